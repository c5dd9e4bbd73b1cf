import { RULES, fillRuleText, type Layer, type RuleId } from './rules'
import type { KernelProfile, QemuProfile } from './profiles/types'
import { BYTE_HEX, hex8 } from './regs'

export interface TraceRecord {
  layer: Layer
  rule: RuleId
  text: string
  ref: string
  quirk?: string
  choice?: string
}

export type TraceArgs = Record<string, string | number>

export interface TraceScope {
  trace: TraceRecord[] | null
  /** When set (and `trace` is not null), records are kept as rule ids and arguments; see PendingTrace. */
  pending?: PendingTrace | null
  kernel: KernelProfile
  qemu: QemuProfile | null
}

/**
 * One step's trace as rule ids and arguments. A long lab run repeats few distinct steps, so the
 * record texts are made only for a step whose outcome has not been seen before (lab.ts).
 */
export class PendingTrace {
  /** Records of the current step: the first `length` entries (the arrays are reused). */
  length = 0
  readonly rules: RuleId[] = []
  readonly args: (TraceArgs | undefined)[] = []

  push(id: RuleId, args: TraceArgs | undefined): void {
    this.rules[this.length] = id
    this.args[this.length] = args
    this.length++
  }

  clear(): void {
    this.length = 0
  }

  records(scope: TraceScope): TraceRecord[] {
    const out: TraceRecord[] = []
    for (let i = 0; i < this.length; i++) out.push(makeRecord(scope, this.rules[i]!, this.args[i]))
    return out
  }
}

const REFS = new Map<string, string>()

export function ruleRef(id: RuleId, kernel: KernelProfile, qemu: QemuProfile | null): string {
  const key = `${id}\u0000${kernel.id}\u0000${qemu?.id ?? ''}`
  let ref = REFS.get(key)
  if (ref === undefined) {
    ref = computeRef(id, kernel, qemu)
    REFS.set(key, ref)
  }
  return ref
}

function computeRef(id: RuleId, kernel: KernelProfile, qemu: QemuProfile | null): string {
  const def = RULES[id]
  switch (def.layer) {
    case 'firmware':
      return `${def.file} ${def.fn}`
    case 'qemu':
      return `${qemu?.refName ?? 'qemu'} ${def.file} ${def.fn}`
    default:
      return `${kernel.refName} ${def.file} ${def.fn}`
  }
}

export function makeRecord(scope: TraceScope, id: RuleId, args?: TraceArgs): TraceRecord {
  const def = RULES[id]
  const rec: TraceRecord = {
    layer: def.layer,
    rule: id,
    text: fillRuleText(id, args),
    ref: ruleRef(id, scope.kernel, scope.qemu),
  }
  if (def.quirk) rec.quirk = def.quirk
  if (def.choice) rec.choice = def.choice
  return rec
}

/** Appends a record when tracing is on; a no-op otherwise, so the hot path builds no strings. */
export function note(scope: TraceScope, id: RuleId, args?: TraceArgs | (() => TraceArgs)): void {
  if (scope.trace === null) return
  const a = typeof args === 'function' ? args() : args
  if (scope.pending) scope.pending.push(id, a)
  else scope.trace.push(makeRecord(scope, id, a))
}

const HEX64_TEXT = new Map<number, Map<number, string>>()
let hex64Texts = 0

/**
 * 16 hex digits of a register value given as halves, without `0x`: the same string object for a
 * value seen before (up to 4,096 values), so repeated traces compare it by reference.
 */
export function hex64Text(high: number, low: number): string {
  let byLow = HEX64_TEXT.get(high >>> 0)
  let text = byLow?.get(low >>> 0)
  if (text === undefined) {
    if (hex64Texts >= 4096) {
      HEX64_TEXT.clear()
      hex64Texts = 0
      byLow = undefined
    }
    if (!byLow) HEX64_TEXT.set(high >>> 0, (byLow = new Map()))
    text = hex8(high >>> 0) + hex8(low >>> 0)
    byLow.set(low >>> 0, text)
    hex64Texts++
  }
  return text
}

/** `n` as unsigned 32-bit lowercase hex, at least `width` digits (the widths traces use most, from tables). */
export function hex(n: number, width = 0): string {
  const v = n >>> 0
  if (width === 8) return hex8(v)
  if (width === 2 && v < 256) return BYTE_HEX[v]!
  return v.toString(16).padStart(width, '0')
}
