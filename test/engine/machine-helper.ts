// A headless test machine: one call builds a host, its AP bus and one guest, and runs AP
// instructions through firmware → KVM → vfio_ap → QEMU. Register values are bigints.
import { expect } from 'vitest'
import { readGuestByte } from '../../src-main/engine/apbus'
import { parseInsnText } from '../../src-main/engine/insn-text'
import {
  buildLab,
  contextFor,
  execute,
  type AdapterSpec,
  type GuestSpec,
  type HostSpec,
  type LabMachine,
  type MdevSpec,
} from '../../src-main/engine/machine'
import type { ExecContext, Host, Vm } from '../../src-main/engine/model'
import type { Insn, Outcome } from '../../src-main/engine/outcome'
import { runProbe, type ProbeResult, type ProbeSpec } from '../../src-main/engine/probe'
import { KERNEL_PROFILES, QEMU_PROFILES, type KernelProfile } from '../../src-main/engine/profiles'
import { hi, lo, setGpr, toBigInt } from '../../src-main/engine/regs'
import type { StepResult } from '../../src-main/engine/results'
import type { RuleId } from '../../src-main/engine/rules'
import type { TraceRecord } from '../../src-main/engine/trace'

export const KERNELS = KERNEL_PROFILES.map((p) => p.id)
export const QEMUS = QEMU_PROFILES.map((p) => p.id)

/** Profiles in catalogue order, for range selections such as `between('linux-5.3', 'linux-6.0')`. */
export function between(first: string, last: string): string[] {
  const a = KERNELS.indexOf(first)
  const b = KERNELS.indexOf(last)
  if (a < 0 || b < 0) throw new Error(`unknown profile in range ${first}..${last}`)
  return KERNELS.slice(a, b + 1)
}
export function except(list: readonly string[], ...drop: string[]): string[] {
  return list.filter((k) => !drop.includes(k))
}

export const WITH_HANDLER = except(KERNELS, 'linux-5.2')
export const PRE_MERGE_HI = ['aqic-v3', 'aqic-v4', 'aqic-v5', 'aqic-v5-alt', 'aqic-v6']
export const ZEROS = between('linux-5.3', 'linux-6.0')
export const NEW = between('linux-5.3', 'linux-latest')

/** A Linux guest's AQIC enable: IR = 1, ISC 6, NIB at 0x2000. */
export const AQIC = 'pqap aqic 05.0004 ir=1 isc=6 nib=0x2000'
export const AQIC_DISABLE = 'pqap aqic 05.0004 ir=0'

export const MASK64 = (1n << 64n) - 1n

export function split(v: bigint): { hi: number; lo: number } {
  return { hi: Number((v >> 32n) & 0xffffffffn), lo: Number(v & 0xffffffffn) }
}

export function hex64(v: bigint): string {
  return '0x' + (v & MASK64).toString(16).padStart(16, '0')
}

/** One probe through runProbe with the defaults a Linux guest on QEMU 4.1 with an mdev would have. */
export function probe(spec: Partial<ProbeSpec> & { kernel: string }): ProbeResult {
  return runProbe({ qemu: 'qemu-4.1', vfio: 'mdev', insn: AQIC, ...spec })
}

/** The step of a probe whose guest started. */
export function stepOf(r: ProbeResult): StepResult {
  expect(r.startError).toBeNull()
  expect(r.step).not.toBeNull()
  return r.step!
}

export function probeStep(spec: Partial<ProbeSpec> & { kernel: string }): StepResult {
  return stepOf(probe(spec))
}

export function regOut(s: StepResult, r: number): bigint {
  const v = s.regsOut[`r${r}`]
  if (v === undefined) throw new Error(`r${r} not in regsOut`)
  return BigInt(v)
}

/** GR1 bits 40–47 (the architected RC field) and bits 8–15 (where Q1/Q4 put it). */
export function rcLo(s: StepResult): number {
  return Number((regOut(s, 1) >> 16n) & 0xffn)
}
export function rcHi(s: StepResult): number {
  return Number((regOut(s, 1) >> 48n) & 0xffn)
}

export function traceRules(trace: readonly TraceRecord[]): RuleId[] {
  return trace.map((t) => t.rule)
}

/**
 * The rule that sent an instruction to user space: the last decision below QEMU before the
 * SIEIC exit. For other outcomes the step's own rule decides.
 */
export function decidingRule(s: StepResult): RuleId {
  if (s.handledBy !== 'qemu') return s.rule
  const below = s.trace.filter((t) => t.layer !== 'qemu' && t.rule !== 'kvm.exit.sieic')
  let last = below[below.length - 1]
  // -EOPNOTSUPP from the hook is vfio_ap's decision; KVM only passes it on.
  if (last?.rule === 'kvm.pqap.hook-eopnotsupp' && below.length > 1) last = below[below.length - 2]
  if (!last) throw new Error('no decision before QEMU in the trace')
  return last.rule
}

/** `cc: SAME` in an expectation: the cc is left as it was before the instruction. */
export const SAME = -1

export type Expect =
  | { kind: 'OP'; by?: RuleId }
  | { kind: 'PRIV'; by?: RuleId }
  | { kind: 'SPEC'; by?: RuleId }
  | { kind: 'ANS'; rc: number; cc: number; place: 'hi' | 'lo'; by?: RuleId }

/** Asserts an interception.md §1 outcome symbol. */
export function expectOutcome(s: StepResult, e: Expect, ccBefore = 0): void {
  switch (e.kind) {
    case 'OP':
      expect(s.pgm?.code, 'PGM').toBe(0x01)
      expect(s.handledBy).toBe('qemu')
      expect(s.rule).toBe('qemu.b2.unhandled')
      break
    case 'PRIV':
      expect(s.pgm?.code, 'PGM').toBe(0x02)
      break
    case 'SPEC':
      expect(s.pgm?.code, 'PGM').toBe(0x06)
      break
    case 'ANS':
      expect(s.pgm, 'no program exception').toBeNull()
      expect(s.cc, 'cc').toBe(e.cc === SAME ? ccBefore : e.cc)
      expect(s.statusPlacement, 'placement').toBe(e.place)
      expect(e.place === 'hi' ? rcHi(s) : rcLo(s), 'RC').toBe(e.rc)
      break
  }
  if (e.by) expect(decidingRule(s)).toBe(e.by)
}

export interface TestMachineOptions {
  kernel?: string | KernelProfile
  qemu?: string
  host?: Omit<HostSpec, 'kernel'>
  adapters?: AdapterSpec[]
  /** null: no mdev; default: mdev m1 with adapter 5, domain 4. */
  mdev?: MdevSpec | null
  guest?: Omit<GuestSpec, 'name' | 'qemu'>
}

export interface RunResult {
  outcome: Outcome
  trace: TraceRecord[]
  cc: number
  pgm: number
  gr: (r: number) => bigint
}

/** A whole machine for multi-step scenarios (time, queue state, resources). */
export class TestMachine {
  readonly lab: LabMachine
  readonly host: Host
  readonly vm: Vm
  readonly ctx: ExecContext

  constructor(opts: TestMachineOptions = {}) {
    const mdev = opts.mdev === undefined ? { uuid: 'm1', adapters: [5], domains: [4] } : opts.mdev
    const adapters = opts.adapters ?? [{ id: 5, domains: [4, 5] }]
    this.lab = buildLab({ adapters, ...opts.host, kernel: opts.kernel ?? 'linux-6.8' }, mdev ? [mdev] : [], [
      { name: 'g1', qemu: opts.qemu ?? 'qemu-4.1', mdev: mdev?.uuid ?? null, ...opts.guest },
    ])
    const g = this.lab.guests[0]!
    if (!g.vm) throw new Error(`guest did not start: ${g.startError}`)
    this.host = this.lab.host
    this.vm = g.vm
    this.ctx = contextFor(this.host, this.vm, 0, [])
  }

  get vcpu() {
    return this.ctx.vcpu
  }

  set(r: number, v: bigint): void {
    const { hi: h, lo: l } = split(v)
    setGpr(this.vcpu, r, h >>> 0, l >>> 0)
  }

  gr(r: number): bigint {
    return toBigInt(hi(this.vcpu, r), lo(this.vcpu, r))
  }

  setPsw(psw: { problem?: boolean; cc?: 0 | 1 | 2 | 3 }): void {
    if (psw.problem !== undefined) this.vcpu.psw.problem = psw.problem
    if (psw.cc !== undefined) this.vcpu.psw.cc = psw.cc
  }

  /** Loads the registers the text form implies (others keep their values) and executes it. */
  run(text: string, regs: Record<number, bigint> = {}): RunResult {
    const parsed = parseInsnText(text)
    for (const [r, v] of Object.entries(parsed.regs)) setGpr(this.vcpu, Number(r), v.hi >>> 0, v.lo >>> 0)
    for (const [r, v] of Object.entries(regs)) this.set(Number(r), v)
    return this.exec(parsed.insn)
  }

  exec(insn: Insn): RunResult {
    const trace: TraceRecord[] = []
    const ctx = { ...this.ctx, trace }
    const outcome = execute(ctx, insn)
    return { outcome, trace, cc: this.vcpu.psw.cc, pgm: outcome.pgm, gr: (r) => this.gr(r) }
  }

  /** Executes with tracing off, as the engine's hot path does. */
  execQuiet(insn: Insn): Outcome {
    return execute({ ...this.ctx, trace: null }, insn)
  }

  advance(us: number): void {
    this.host.nowUs += us
  }

  queue(apqn: number) {
    const q = this.host.queues.get(apqn)
    if (!q) throw new Error(`no queue ${apqn.toString(16)}`)
    return q
  }

  guestByte(gpa: number): number {
    return readGuestByte(this.vm, gpa)
  }

  guestBytes(gpa: number, n: number): number[] {
    return Array.from({ length: n }, (_, i) => readGuestByte(this.vm, gpa + i))
  }
}

export function machine(opts: TestMachineOptions = {}): TestMachine {
  return new TestMachine(opts)
}

/** GR1 status word fields from a 32-bit status. */
export function statusFields(word: number): { rc: number; E: number; R: number; F: number; I: number } {
  return { rc: (word >>> 16) & 0xff, E: word >>> 31, R: (word >>> 30) & 1, F: (word >>> 29) & 1, I: (word >>> 24) & 1 }
}

export function loWord(v: bigint): number {
  return Number(v & 0xffffffffn)
}
export function hiWord(v: bigint): number {
  return Number((v >> 32n) & 0xffffffffn)
}
