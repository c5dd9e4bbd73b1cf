// Step results in the `aplab/results@1` shape (product.md §6).
import { PQAP_FUNCTIONS, STATUS_E, STATUS_F, STATUS_I, STATUS_R, pgmName, rcName, statusRc } from './arch'
import type { Outcome, Insn } from './outcome'
import { gprHex, hi, lo, type Vcpu } from './regs'
import type { Layer, RuleId } from './rules'
import type { TraceRecord } from './trace'

export interface StatusDecoded {
  rc: number
  rcName: string
  E: 0 | 1
  R: 0 | 1
  F: 0 | 1
  I: 0 | 1
}

export interface StepResult {
  index: number
  insn: string
  fc: number | null
  fcName: string | null
  atUs: number
  regsIn: Record<string, string>
  pgm: { name: string; code: number } | null
  cc: number | null
  regsOut: Record<string, string>
  status: StatusDecoded | null
  /** Where the status word was stored: `lo` (bits 32–63) or `hi` (bits 0–31, quirks Q1/Q4). */
  statusPlacement: 'lo' | 'hi' | null
  /** The status word decoded from the half of GR1 where it was stored; differs from `status` only for `hi`. */
  statusStored?: StatusDecoded | null
  handledBy: Layer
  rule: RuleId
  trace: TraceRecord[]
}

export function decodeStatus(word: number): StatusDecoded {
  const rc = statusRc(word)
  return {
    rc,
    rcName: rcName(rc),
    E: (word & STATUS_E) !== 0 ? 1 : 0,
    R: (word & STATUS_R) !== 0 ? 1 : 0,
    F: (word & STATUS_F) !== 0 ? 1 : 0,
    I: (word & STATUS_I) !== 0 ? 1 : 0,
  }
}

/** The registers an instruction reads: GR0–GR2 for PQAP, plus the R1 and R2 pairs for NQAP/DQAP. */
const PQAP_OPERANDS: readonly number[] = [0, 1, 2]
export const PQAP_OUT: readonly number[] = [1, 2]
const PAIR_OPERANDS = new Map<number, readonly number[]>()

export function operandRegisters(insn: Insn): readonly number[] {
  if (insn.name === 'PQAP') return PQAP_OPERANDS
  const key = insn.r1 * 16 + insn.r2
  let regs = PAIR_OPERANDS.get(key)
  if (!regs) {
    const set = new Set([0, 1, 2, insn.r1, insn.r1 + 1, insn.r2, insn.r2 + 1].filter((r) => r < 16))
    regs = [...set].sort((a, b) => a - b)
    PAIR_OPERANDS.set(key, regs)
  }
  return regs
}

/** The registers' values as results@1 text; `vcpu` may be a copy of the GPRs taken earlier. */
export function snapshotRegs(vcpu: Pick<Vcpu, 'gprs'>, regs: readonly number[]): Record<string, string> {
  const out: Record<string, string> = {}
  for (const r of regs) out[`r${r}`] = gprHex(vcpu, r)
  return out
}

export function fcOf(insn: Insn, r0lo: number): { fc: number | null; fcName: string | null } {
  if (insn.name !== 'PQAP') return { fc: null, fcName: null }
  const fc = (r0lo >>> 24) & 0xff
  return { fc, fcName: PQAP_FUNCTIONS[fc]?.name ?? null }
}

export function buildStepResult(args: {
  index: number
  insn: Insn
  r0loIn: number
  regsIn: Record<string, string>
  outcome: Outcome
  vcpu: Vcpu
  atUs: number
  trace: TraceRecord[] | null
}): StepResult {
  const { insn, outcome, vcpu } = args
  const { fc, fcName } = fcOf(insn, args.r0loIn)
  const regsOut = snapshotRegs(vcpu, insn.name === 'PQAP' ? PQAP_OUT : operandRegisters(insn))
  const returnsStatus = outcome.pgm === 0 && outcome.statusPlacement !== null
  return {
    index: args.index,
    insn: insn.name,
    fc,
    fcName,
    atUs: args.atUs,
    regsIn: args.regsIn,
    pgm: outcome.pgm === 0 ? null : { name: pgmName(outcome.pgm), code: outcome.pgm },
    cc: outcome.pgm === 0 ? vcpu.psw.cc : null,
    regsOut,
    status: returnsStatus ? decodeStatus(lo(vcpu, 1)) : null,
    statusPlacement: returnsStatus ? outcome.statusPlacement : null,
    statusStored: returnsStatus ? decodeStatus(outcome.statusPlacement === 'hi' ? hi(vcpu, 1) : lo(vcpu, 1)) : null,
    handledBy: outcome.handledBy,
    rule: outcome.rule,
    trace: args.trace ?? [],
  }
}
