// Step results ⇄ table rows. A row's columns are what the screens filter and sort on; reading
// rows back gives the exact `aplab/results@1` step (same fields, same order).
import type { StatusDecoded, StepResult } from '../engine/results'
import type { TraceRecord } from '../engine/trace'
import type { RunGuest, RunStatus, RunSummary, StoredStep } from './types'

export const RESULT_COLUMNS =
  'seq, guest, vcpu, step_index, insn, fc, fc_name, cc, rc, rc_name, e, r, f, i, pgm_code, pgm_name, handled_by, rule, status_placement, at_us, regs_in, regs_out, status_stored, extra'

/** Parameters of one row of `outcomes`, `outcome_trace` and `steps`. */
export const OUTCOME_PARAMS = 21
export const OUTCOME_TRACE_PARAMS = 9
export const STEP_PARAMS = 7

function values(params: number, rows: number): string {
  return Array(rows)
    .fill(`(${Array(params).fill('?').join(', ')})`)
    .join(', ')
}

export function insertOutcomesSql(rows: number): string {
  return `INSERT INTO outcomes (run_id, id, insn, fc, fc_name, cc, rc, rc_name, e, r, f, i, pgm_code, pgm_name, handled_by,
    rule, status_placement, regs_in, regs_out, status_stored, extra) VALUES ${values(OUTCOME_PARAMS, rows)}`
}

export function insertOutcomeTraceSql(rows: number): string {
  return `INSERT INTO outcome_trace (run_id, outcome, ord, layer, rule, text, ref, quirk, choice) VALUES ${values(OUTCOME_TRACE_PARAMS, rows)}`
}

/** One INSERT of `rows` steps: fewer statement executions (measured: 1.5× the rows per second of single-row inserts). */
export function insertStepsSql(rows: number): string {
  return `INSERT INTO steps (run_id, seq, guest, vcpu, step_index, at_us, outcome) VALUES ${values(STEP_PARAMS, rows)}`
}

/** Step fields with columns of their own; any other field of a step goes to `extra` (JSON). */
const STEP_KEYS = new Set([
  'index',
  'insn',
  'fc',
  'fcName',
  'atUs',
  'regsIn',
  'pgm',
  'cc',
  'regsOut',
  'status',
  'statusPlacement',
  'statusStored',
  'handledBy',
  'rule',
  'trace',
])

export interface ResultRow {
  seq: number
  guest: number
  vcpu: number
  step_index: number
  insn: string
  fc: number | null
  fc_name: string | null
  cc: number | null
  rc: number | null
  rc_name: string | null
  e: number | null
  r: number | null
  f: number | null
  i: number | null
  pgm_code: number | null
  pgm_name: string | null
  handled_by: string
  rule: string
  status_placement: string | null
  at_us: number
  regs_in: string
  regs_out: string
  status_stored: string | null
  extra: string | null
}

export interface TraceRow {
  seq: number
  ord: number
  layer: string
  rule: string
  text: string
  ref: string
  quirk: string | null
  choice: string | null
}

/** Appends the OUTCOME_PARAMS parameters of a step's outcome (all but its index and time) to `out`. */
export function pushOutcomeParams(out: unknown[], runId: number, id: number, s: StepResult): void {
  const st = s.status
  let extra: Record<string, unknown> | null = null
  for (const k in s) {
    if (STEP_KEYS.has(k)) continue
    extra ??= {}
    extra[k] = (s as unknown as Record<string, unknown>)[k]
  }
  out.push(
    runId,
    id,
    s.insn,
    s.fc,
    s.fcName,
    s.cc,
    st ? st.rc : null,
    st ? st.rcName : null,
    st ? st.E : null,
    st ? st.R : null,
    st ? st.F : null,
    st ? st.I : null,
    s.pgm ? s.pgm.code : null,
    s.pgm ? s.pgm.name : null,
    s.handledBy,
    s.rule,
    s.statusPlacement,
    JSON.stringify(s.regsIn),
    JSON.stringify(s.regsOut),
    statusStoredText(s),
    extra === null ? null : JSON.stringify(extra),
  )
}

function sameStatus(a: StatusDecoded, b: StatusDecoded): boolean {
  return a.rc === b.rc && a.rcName === b.rcName && a.E === b.E && a.R === b.R && a.F === b.F && a.I === b.I
}

function statusStoredText(s: StepResult): string | null {
  const v = s.statusStored
  if (v === undefined) return null
  if (v !== null && s.status !== null && sameStatus(v, s.status)) return '='
  return JSON.stringify(v)
}

export function pushOutcomeTraceParams(
  out: unknown[],
  runId: number,
  outcome: number,
  ord: number,
  t: TraceRecord,
): void {
  out.push(runId, outcome, ord, t.layer, t.rule, t.text, t.ref, t.quirk ?? null, t.choice ?? null)
}

export function traceFromRow(t: TraceRow): TraceRecord {
  const rec = { layer: t.layer, rule: t.rule, text: t.text, ref: t.ref } as TraceRecord
  if (t.quirk !== null) rec.quirk = t.quirk
  if (t.choice !== null) rec.choice = t.choice
  return rec
}

/** The step exactly as the engine produced it (key order included, so JSON text compares equal). */
export function stepFromRow(r: ResultRow, trace: TraceRecord[]): StepResult {
  const status: StatusDecoded | null =
    r.rc === null ? null : { rc: r.rc, rcName: r.rc_name ?? '', E: bit(r.e), R: bit(r.r), F: bit(r.f), I: bit(r.i) }
  const step: StepResult = {
    index: r.step_index,
    insn: r.insn,
    fc: r.fc,
    fcName: r.fc_name,
    atUs: r.at_us,
    regsIn: JSON.parse(r.regs_in) as Record<string, string>,
    pgm: r.pgm_code === null ? null : { name: r.pgm_name ?? '', code: r.pgm_code },
    cc: r.cc,
    regsOut: JSON.parse(r.regs_out) as Record<string, string>,
    status,
    statusPlacement: r.status_placement as StepResult['statusPlacement'],
    ...(r.status_stored === null
      ? {}
      : {
          statusStored:
            r.status_stored === '=' ? { ...status! } : (JSON.parse(r.status_stored) as StatusDecoded | null),
        }),
    handledBy: r.handled_by as StepResult['handledBy'],
    rule: r.rule as StepResult['rule'],
    trace,
  }
  return r.extra === null ? step : { ...step, ...(JSON.parse(r.extra) as object) }
}

function bit(v: number | null): 0 | 1 {
  return v === 1 ? 1 : 0
}

export function storedStepFromRow(r: ResultRow, trace: TraceRecord[]): StoredStep {
  return { seq: r.seq, guest: r.guest, vcpu: r.vcpu, ...stepFromRow(r, trace) }
}

export interface RunRow {
  id: number
  session_id: number | null
  session_name: string
  kernel: string
  seed: number
  trace: number
  status: RunStatus
  origin: 'run' | 'import'
  started: string
  finished: string | null
  duration_ms: number | null
  steps: number
  instructions: number
  interrupts: number
  end_us: number | null
  error: string | null
}

export const RUN_COLUMNS =
  'id, session_id, session_name, kernel, seed, trace, status, origin, started, finished, duration_ms, steps, instructions, interrupts, end_us, error'

export function runFromRow(r: RunRow): RunSummary {
  return {
    id: r.id,
    sessionId: r.session_id,
    sessionName: r.session_name,
    kernel: r.kernel,
    seed: r.seed,
    trace: r.trace !== 0,
    status: r.status,
    origin: r.origin,
    started: r.started,
    finished: r.finished,
    durationMs: r.duration_ms,
    steps: r.steps,
    instructions: r.instructions,
    interrupts: r.interrupts,
    endUs: r.end_us,
    error: r.error,
  }
}

export interface GuestRow {
  guest: number
  name: string
  qemu: string
  vcpus: number
  started: number | null
  start_error: string | null
  warnings: string
}

export function guestFromRow(g: GuestRow): RunGuest {
  return {
    guest: g.guest,
    name: g.name,
    qemu: g.qemu,
    vcpus: g.vcpus,
    started: g.started === null ? null : g.started !== 0,
    startError: g.start_error,
    warnings: JSON.parse(g.warnings) as string[],
  }
}

// ---- CSV ---------------------------------------------------------------------------------------

export const CSV_HEADER = [
  'seq',
  'guest',
  'vcpu',
  'step',
  'at_us',
  'insn',
  'fc',
  'fc_name',
  'pgm_code',
  'pgm_name',
  'cc',
  'rc',
  'rc_name',
  'E',
  'R',
  'F',
  'I',
  'status_placement',
  'handled_by',
  'rule',
  'regs_in',
  'regs_out',
]

/** RFC 4180 quoting; text cells that a spreadsheet would run as a formula get a leading apostrophe. */
export function csvCell(v: string | number | null): string {
  if (v === null) return ''
  if (typeof v === 'number') return String(v)
  const s = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
}

export function csvLine(r: ResultRow, guestName: string): string {
  const cells: (string | number | null)[] = [
    r.seq,
    guestName,
    r.vcpu,
    r.step_index,
    r.at_us,
    r.insn,
    r.fc,
    r.fc_name,
    r.pgm_code,
    r.pgm_name,
    r.cc,
    r.rc,
    r.rc_name,
    r.e,
    r.r,
    r.f,
    r.i,
    r.status_placement,
    r.handled_by,
    r.rule,
    r.regs_in,
    r.regs_out,
  ]
  return cells.map(csvCell).join(',') + '\r\n'
}
