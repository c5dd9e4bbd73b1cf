// Property tests over every kernel × QEMU profile pair: any register content gives a
// well-formed result (product.md §11), and a program interruption changes nothing (FW-16).
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { Insn } from '../../src-main/engine/outcome'
import { KERNEL_PROFILES, QEMU_PROFILES, type KernelProfile, type QemuProfile } from '../../src-main/engine/profiles'
import { RULES, type Layer } from '../../src-main/engine/rules'
import { MASK64, machine, type TestMachine } from './machine-helper'

const LAYERS: Layer[] = ['firmware', 'kvm', 'vfio_ap', 'qemu']
const PGMS = [0, 0x01, 0x02, 0x05, 0x06]

const u64 = fc.bigInt({ min: 0n, max: MASK64 })
const u32 = fc.integer({ min: 0, max: 0xffffffff })

/** GR0: mostly a meaningful FC and APQN with few flag bits, sometimes any 64-bit value. */
const gr0 = fc.oneof(
  {
    weight: 3,
    arbitrary: fc
      .record({
        high: fc.oneof(fc.constant(0), u32),
        fc: fc.oneof(
          { weight: 4, arbitrary: fc.integer({ min: 0, max: 5 }) },
          { weight: 1, arbitrary: fc.integer({ min: 0, max: 255 }) },
        ),
        flags: fc.oneof(
          { weight: 3, arbitrary: fc.constant(0) },
          { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xff }) },
        ),
        apqn: fc.oneof(
          { weight: 3, arbitrary: fc.constantFrom(0x0504, 0x0505) },
          { weight: 1, arbitrary: fc.constantFrom(0x0604, 0x4004, 0x0510) },
          { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xffff }) },
        ),
      })
      .map(({ high, fc: f, flags, apqn }) => (BigInt(high) << 32n) | BigInt(((f << 24) | (flags << 16) | apqn) >>> 0)),
  },
  { weight: 1, arbitrary: u64 },
)

/** Addresses and lengths: mostly inside the 64 MiB guest, sometimes anything. */
const operand = fc.oneof(
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 64 * 1024 * 1024 }).map(BigInt) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 0x4000 }).map(BigInt) },
  { weight: 1, arbitrary: u64 },
)

const gr1 = fc.oneof(
  fc
    .record({ ir: fc.boolean(), isc: fc.integer({ min: 0, max: 7 }) })
    .map(({ ir, isc }) => (ir ? 0x0000800000000000n : 0n) | BigInt(isc)),
  u64,
)

const step = fc.record({
  insn: fc.oneof(
    { weight: 3, arbitrary: fc.constant<Insn>({ name: 'PQAP', r1: 0, r2: 0 }) },
    {
      weight: 1,
      arbitrary: fc.record({
        name: fc.constantFrom<'NQAP' | 'DQAP'>('NQAP', 'DQAP'),
        r1: fc.integer({ min: 0, max: 14 }),
        r2: fc.integer({ min: 0, max: 14 }),
      }),
    },
  ),
  regs: fc.array(fc.oneof(operand, u64), { minLength: 16, maxLength: 16 }),
  r0: gr0,
  r1: gr1,
  r2: operand,
  problem: fc.oneof({ weight: 3, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
  cc: fc.constantFrom<0 | 1 | 2 | 3>(0, 1, 2, 3),
  advanceUs: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 50_000 })),
})

type Variant = 'mdev' | 'no-mdev nested' | 'architecture-faithful'

function build(kernel: KernelProfile, qemu: QemuProfile, variant: Variant): TestMachine {
  const canAttach = qemu.vfioApDevice
  if (variant === 'mdev' && canAttach) return machine({ kernel, qemu: qemu.id })
  if (variant === 'architecture-faithful')
    return machine({
      kernel,
      qemu: qemu.id,
      mdev: canAttach ? undefined : null,
      host: { mode: 'architecture-faithful' },
    })
  return machine({ kernel, qemu: qemu.id, mdev: null, guest: { nested: true } })
}

function changedRegisters(before: bigint[], after: bigint[]): number[] {
  return before.flatMap((v, r) => (v === after[r] ? [] : [r]))
}

/** What the random steps reached, so the properties are known not to be vacuous. */
const seen = { layers: new Set<string>(), pgms: new Set<number>(), rules: new Set<string>() }

const PAIRS = KERNEL_PROFILES.flatMap((k) => QEMU_PROFILES.map((q) => [k.id, q.id, k, q] as const))

describe('every instruction on every profile pair', () => {
  it.each(PAIRS)('%s × %s: execute never throws and every result is well formed', (_k, _q, kernel, qemu) => {
    const machines = new Map<Variant, TestMachine>()
    const get = (v: Variant) => {
      let m = machines.get(v)
      if (!m) machines.set(v, (m = build(kernel, qemu, v)))
      return m
    }
    const seed = [...`${kernel.id}/${qemu.id}`].reduce((h, c) => (h * 31 + c.charCodeAt(0)) | 0, 7)
    fc.assert(
      fc.property(step, fc.constantFrom<Variant>('mdev', 'no-mdev nested', 'architecture-faithful'), (s, variant) => {
        const m = get(variant)
        m.advance(s.advanceUs)
        s.regs.forEach((v, r) => m.set(r, v))
        m.set(0, s.r0)
        m.set(1, s.r1)
        if (s.insn.name === 'PQAP') m.set(2, s.r2)
        m.setPsw({ problem: s.problem, cc: s.cc })
        const before = Array.from({ length: 16 }, (_, r) => m.gr(r))

        const r = m.exec(s.insn)
        const after = Array.from({ length: 16 }, (_, i) => m.gr(i))
        const { outcome, trace } = r
        seen.layers.add(outcome.handledBy)
        seen.pgms.add(outcome.pgm)
        seen.rules.add(outcome.rule)

        expect(PGMS).toContain(outcome.pgm)
        expect(LAYERS).toContain(outcome.handledBy)
        expect(RULES[outcome.rule], outcome.rule).toBeDefined()
        expect(RULES[outcome.rule].layer).toBe(outcome.handledBy)
        expect(outcome.pgm === 0x01).toBe(outcome.handledBy === 'qemu')
        expect([0, 1, 2, 3]).toContain(m.vcpu.psw.cc)

        if (outcome.pgm !== 0) {
          expect(changedRegisters(before, after), 'FW-16: registers unchanged').toEqual([])
          expect(m.vcpu.psw.cc, 'FW-16: cc unchanged').toBe(s.cc)
          expect(outcome.statusPlacement).toBeNull()
        } else {
          const allowed =
            s.insn.name === 'PQAP'
              ? [1, 2]
              : s.insn.name === 'NQAP'
                ? [1, s.insn.r2, s.insn.r2 + 1]
                : [0, 1, 2, s.insn.r1, s.insn.r1 + 1, s.insn.r2, s.insn.r2 + 1]
          for (const reg of changedRegisters(before, after))
            expect(allowed, `${s.insn.name} changed GR${reg}`).toContain(reg)
        }
        if (outcome.statusPlacement === 'lo') expect(after[1]! >> 32n, 'status in bits 32–63: bits 0–31 zero').toBe(0n)
        if (outcome.statusPlacement === 'hi')
          expect(after[1]! & 0xffffffffn, 'status in bits 0–31: bits 32–63 kept').toBe(before[1]! & 0xffffffffn)

        expect(trace.length).toBeGreaterThan(0)
        for (const rec of trace) {
          const def = RULES[rec.rule]
          expect(def, rec.rule).toBeDefined()
          expect(rec.layer).toBe(def.layer)
          expect(rec.text.length).toBeGreaterThan(0)
          expect(rec.text).not.toMatch(/\{\w+\}/)
          if (rec.layer === 'kvm' || rec.layer === 'vfio_ap') expect(rec.ref).toContain(kernel.refName)
          if (rec.layer === 'qemu') expect(rec.ref).toContain(qemu.refName)
        }
        expect(trace[trace.length - 1]!.rule === outcome.rule || trace.some((t) => t.rule === outcome.rule)).toBe(true)
      }),
      { numRuns: 40, seed },
    )
  })
})

describe('coverage of the random steps', () => {
  it('reached every layer and every program-interruption code', () => {
    expect([...seen.layers].sort()).toEqual([...LAYERS].sort())
    expect([...seen.pgms].sort()).toEqual([...PGMS].sort())
    for (const rule of [
      'fw.tapq',
      'fw.reset',
      'fw.qci',
      'fw.nqap.enqueued',
      'kvm.pqap.no-hook-rc01',
      'vfio_ap.irq.enabled',
      'qemu.b2.unhandled',
    ])
      expect([...seen.rules], rule).toContain(rule)
  })
})

describe('the trace does not change the result', () => {
  it.each(KERNEL_PROFILES.map((k) => [k.id, k] as const))(
    '%s: the same random steps with and without tracing agree',
    (_id, kernel) => {
      fc.assert(
        fc.property(fc.array(step, { minLength: 1, maxLength: 8 }), (steps) => {
          const a = machine({ kernel })
          const b = machine({ kernel })
          for (const s of steps) {
            for (const m of [a, b]) {
              m.advance(s.advanceUs)
              s.regs.forEach((v, r) => m.set(r, v))
              m.set(0, s.r0)
              m.set(1, s.r1)
              m.setPsw({ problem: s.problem, cc: s.cc })
            }
            const ra = a.exec(s.insn)
            const rb = b.execQuiet(s.insn)
            expect(rb).toEqual(ra.outcome)
            expect(Array.from({ length: 16 }, (_, r) => b.gr(r))).toEqual(Array.from({ length: 16 }, (_, r) => a.gr(r)))
            expect(b.vcpu.psw.cc).toBe(a.vcpu.psw.cc)
          }
        }),
        { numRuns: 20, seed: 42 },
      )
    },
  )
})
