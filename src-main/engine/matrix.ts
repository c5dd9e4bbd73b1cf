// Behaviour matrices: a sweep of probe configurations, the outcome of every cell, hand-made
// rows checked against the computed cells, and an exact `x`-collapsed table.
import { rcName } from './arch'
import { runProbe, type ProbeResult, type ProbeSpec } from './probe'
import type { RuleId, Layer } from './rules'
import type { TraceRecord } from './trace'

export interface DimValue {
  id: string
  label: string
  apply: (spec: ProbeSpec) => ProbeSpec
}

export interface Dimension {
  id: string
  label: string
  values: DimValue[]
}

export type OutcomeField = 'pgm' | 'cc' | 'rc' | 'status' | 'placement' | 'handledBy'

export interface Matrix {
  name: string
  title: string
  description: string
  base: ProbeSpec
  dimensions: Dimension[]
  outcome: OutcomeField[]
  /** Rows written by people (e.g. the seed's table): value ids, `x` for any, checked against the cells. */
  rows?: string[][]
  notes?: string[]
}

export interface Cell {
  coords: string[]
  outcome: string
  rule: RuleId | null
  handledBy: Layer | null
  trace: TraceRecord[]
  startError: string | null
}

export interface TableRow {
  coords: string[]
  outcome: string
}

export interface CheckedRow extends TableRow {
  cells: number
  agrees: boolean
  outcomes: string[]
}

export interface MatrixResult {
  name: string
  title: string
  dimensions: { id: string; label: string; values: { id: string; label: string }[] }[]
  outcomeFields: OutcomeField[]
  cells: Cell[]
  minimized: TableRow[]
  rows: CheckedRow[] | null
  notes: string[]
}

export const ANY = 'x'

export function describeOutcome(r: ProbeResult, fields: readonly OutcomeField[]): string {
  if (!r.started || !r.step) return 'guest does not start'
  const s = r.step
  if (s.pgm) return s.pgm.name
  const parts: string[] = []
  for (const f of fields) {
    if (f === 'pgm') continue
    if (f === 'cc') parts.push(`cc ${s.cc}`)
    if (f === 'rc' && s.status) {
      const rc = s.statusPlacement === 'hi' ? (parseInt(s.regsOut.r1!.slice(2, 10), 16) >>> 16) & 0xff : s.status.rc
      parts.push(`RC 0x${rc.toString(16).padStart(2, '0')} ${rcName(rc)}`)
    }
    if (f === 'placement' && s.statusPlacement)
      parts.push(s.statusPlacement === 'hi' ? 'GR1 bits 0–31' : 'GR1 bits 32–63')
    if (f === 'status' && s.status) parts.push(`E${s.status.E} R${s.status.R} F${s.status.F} I${s.status.I}`)
    if (f === 'handledBy') parts.push(`by ${s.handledBy}`)
  }
  return parts.length === 0 ? '-' : parts.join(', ')
}

function* grid(dims: readonly Dimension[]): Generator<DimValue[]> {
  const idx = dims.map(() => 0)
  if (dims.some((d) => d.values.length === 0)) return
  for (;;) {
    yield dims.map((d, i) => d.values[idx[i]!]!)
    let k = dims.length - 1
    while (k >= 0) {
      idx[k]!++
      if (idx[k]! < dims[k]!.values.length) break
      idx[k] = 0
      k--
    }
    if (k < 0) return
  }
}

export function computeCell(matrix: Matrix, values: readonly DimValue[], trace = true): Cell {
  let spec: ProbeSpec = { ...matrix.base, trace }
  for (const v of values) spec = v.apply(spec)
  const r = runProbe(spec)
  return {
    coords: values.map((v) => v.id),
    outcome: describeOutcome(r, matrix.outcome),
    rule: r.step?.rule ?? null,
    handledBy: r.step?.handledBy ?? null,
    trace: r.step ? r.step.trace : r.startTrace,
    startError: r.startError,
  }
}

export function computeCells(matrix: Matrix, trace = true): Cell[] {
  const out: Cell[] = []
  for (const values of grid(matrix.dimensions)) out.push(computeCell(matrix, values, trace))
  return out
}

function matches(pattern: readonly string[], coords: readonly string[]): boolean {
  return pattern.every((p, i) => p === ANY || p === coords[i])
}

export function checkRows(rows: readonly string[][], cells: readonly Cell[]): CheckedRow[] {
  return rows.map((pattern) => {
    const hit = cells.filter((c) => matches(pattern, c.coords))
    const outcomes = [...new Set(hit.map((c) => c.outcome))]
    return {
      coords: [...pattern],
      outcome: outcomes.join(' | '),
      cells: hit.length,
      agrees: outcomes.length === 1,
      outcomes,
    }
  })
}

/**
 * Exact minimization: split on the first dimension, minimize each part, and collapse the
 * dimension to `x` where every value's part is the same table. Expanding the result gives back
 * every computed cell.
 */
export function minimize(dims: readonly Dimension[], cells: readonly Cell[]): TableRow[] {
  const byKey = new Map(cells.map((c) => [c.coords.join('\u0000'), c.outcome]))
  function rec(prefix: string[], depth: number): TableRow[] {
    if (depth === dims.length) {
      const outcome = byKey.get(prefix.join('\u0000'))
      return outcome === undefined ? [] : [{ coords: [], outcome }]
    }
    const parts = dims[depth]!.values.map((v) => ({ id: v.id, rows: rec([...prefix, v.id], depth + 1) }))
    const signature = (rows: TableRow[]) => JSON.stringify(rows)
    const first = signature(parts[0]!.rows)
    if (parts.every((p) => signature(p.rows) === first))
      return parts[0]!.rows.map((r) => ({ coords: [ANY, ...r.coords], outcome: r.outcome }))
    const out: TableRow[] = []
    for (const p of parts) for (const r of p.rows) out.push({ coords: [p.id, ...r.coords], outcome: r.outcome })
    return out
  }
  return rec([], 0)
}

export function expand(dims: readonly Dimension[], rows: readonly TableRow[]): Map<string, string> {
  const out = new Map<string, string>()
  for (const values of grid(dims)) {
    const coords = values.map((v) => v.id)
    const row = rows.find((r) => matches(r.coords, coords))
    if (row) out.set(coords.join('\u0000'), row.outcome)
  }
  return out
}

export function runMatrix(matrix: Matrix, trace = true): MatrixResult {
  const cells = computeCells(matrix, trace)
  return {
    name: matrix.name,
    title: matrix.title,
    dimensions: matrix.dimensions.map((d) => ({
      id: d.id,
      label: d.label,
      values: d.values.map((v) => ({ id: v.id, label: v.label })),
    })),
    outcomeFields: matrix.outcome,
    cells,
    minimized: minimize(matrix.dimensions, cells),
    rows: matrix.rows ? checkRows(matrix.rows, cells) : null,
    notes: matrix.notes ?? [],
  }
}
