import type { InstructionName } from './arch'
import type { Layer, RuleId } from './rules'

export interface Insn {
  name: InstructionName
  r1: number
  r2: number
}

/** What one executed instruction amounted to; registers and the PSW hold the rest. */
export interface Outcome {
  /** Program-interruption code, 0 when none was presented. */
  readonly pgm: number
  readonly handledBy: Layer
  readonly rule: RuleId
  /** Where the status word went in GR1, or null when none was stored. */
  readonly statusPlacement: 'lo' | 'hi' | null
}

/** Outcomes are immutable, so hot paths build theirs once at module load and share them. */
export function outcome(handledBy: Layer, rule: RuleId, pgm = 0, statusPlacement: 'lo' | 'hi' | null = null): Outcome {
  return Object.freeze({ pgm, handledBy, rule, statusPlacement })
}

export const EOPNOTSUPP = -95
