import { RULES, fillRuleText, type Layer, type RuleId } from './rules'
import type { KernelProfile, QemuProfile } from './profiles/types'

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
  kernel: KernelProfile
  qemu: QemuProfile | null
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
  if (scope.trace !== null) scope.trace.push(makeRecord(scope, id, typeof args === 'function' ? args() : args))
}

export function hex(n: number, width = 0): string {
  return (n >>> 0).toString(16).padStart(width, '0')
}
