// Behaviour matrices: a sweep of probe configurations, the outcome of every cell, hand-made
// rows checked against the computed cells, and two exact collapsed tables: `minimized` (every
// coordinate a value or `x`) and `cover` (coordinates may be value sets, `a|b`).
//
// Cells are numbered in grid order (the last dimension varies fastest), so any range of
// indexes can be computed on its own: sweeps split a matrix into chunks and shards by index.
import { rcName } from './arch'
import type { ParsedInsn } from './insn-text'
import { runProbe, runProbeProgram, type ProbeResult, type ProbeSpec } from './probe'
import { findProfile } from './profiles'
import { decodeStatus, type StepResult } from './results'
import type { Layer, RuleId } from './rules'
import type { TraceRecord } from './trace'
import type { MatrixSpec } from './matrix-spec'

/** The part of a dimension the table functions need: its value ids, in order. */
export interface DimShape {
  values: readonly { id: string }[]
}

export interface DimValue {
  id: string
  label: string
  apply: (spec: ProbeSpec) => ProbeSpec
  /** The same as `apply`, in place, on a private copy made by cloneProbeSpec (optional fast path). */
  mutate?: (spec: ProbeSpec) => void
}

export interface Dimension {
  id: string
  label: string
  values: DimValue[]
  /** The configuration field the dimension varies (matrix-spec field name), when it came from a spec. */
  field?: string
}

export type OutcomeField = 'pgm' | 'cc' | 'rc' | 'status' | 'placement' | 'handledBy'

export const OUTCOME_FIELDS: readonly OutcomeField[] = ['pgm', 'cc', 'rc', 'status', 'placement', 'handledBy']

export interface Matrix {
  name: string
  title: string
  description: string
  base: ProbeSpec
  dimensions: Dimension[]
  outcome: OutcomeField[]
  /** Rows written by people (e.g. the seed's table): value ids, `x` for any, `a|b` for a set, checked against the cells. */
  rows?: string[][]
  notes?: string[]
  /** The validated `aplab/matrix@1` document this matrix was compiled from (needed by worker sweeps and merges). */
  spec?: MatrixSpec
  /** A dimension whose consecutive values are compared cell by cell (the change-* built-ins, `aplab diff`). */
  diffAxis?: string
}

/** What the guest saw, field by field: the base of `outcome` strings and of ABI diffs. */
export interface Observed {
  started: boolean
  pgm: string | null
  cc: number | null
  /** The response code as the guest finds it where the status was stored (bits 8–15 of GR1 for `hi`). */
  rc: number | null
  /** Status flags of the stored status word, e.g. `E0 R0 F0 I1`. */
  flags: string | null
  placement: 'lo' | 'hi' | null
  handledBy: Layer | null
}

export interface Cell {
  coords: string[]
  outcome: string
  rule: RuleId | null
  handledBy: Layer | null
  trace: TraceRecord[]
  startError: string | null
  observed?: Observed
  /** Host log lines (WARN, pr_warn …) the probe produced: host-side, not guest-visible. */
  hostLog?: string[]
  /** For a program probe: the outcome of each step before the last. */
  program?: string[]
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

export interface ResultDimension {
  id: string
  label: string
  values: { id: string; label: string }[]
}

export interface ProfileRef {
  id: string
  kind: 'kernel' | 'qemu'
  label: string
  date: string
  sources: string[]
}

export interface MatrixResult {
  name: string
  title: string
  dimensions: ResultDimension[]
  outcomeFields: OutcomeField[]
  cells: Cell[]
  /** Exact collapsed table, every coordinate a value id or `x`; no group of rows can collapse further to `x`. */
  minimized: TableRow[]
  rows: CheckedRow[] | null
  notes: string[]
  description?: string
  /** Exact and irreducible cover with value sets (`a|b`): no two rows with one outcome differ in exactly one coordinate. */
  cover?: TableRow[]
  spec?: MatrixSpec | null
  /** The kernel and QEMU profiles the matrix uses, with their sources. */
  profiles?: ProfileRef[]
  diffAxis?: string | null
  /** Whether the cells carry their traces. */
  traced?: boolean
}

export const ANY = 'x'
export const SET_SEPARATOR = '|'

// ---------------------------------------------------------------------------------------------
// Outcomes

const NOT_STARTED: Observed = Object.freeze({
  started: false,
  pgm: null,
  cc: null,
  rc: null,
  flags: null,
  placement: null,
  handledBy: null,
}) as Observed

function flagsOf(word: number): string {
  const s = decodeStatus(word)
  return `E${s.E} R${s.R} F${s.F} I${s.I}`
}

export function observeStep(s: StepResult): Observed {
  if (s.pgm)
    return { started: true, pgm: s.pgm.name, cc: null, rc: null, flags: null, placement: null, handledBy: s.handledBy }
  let rc: number | null = null
  let flags: string | null = null
  if (s.status) {
    if (s.statusPlacement === 'hi') {
      const word = parseInt(s.regsOut.r1!.slice(2, 10), 16) >>> 0
      rc = (word >>> 16) & 0xff
      flags = flagsOf(word)
    } else {
      rc = s.status.rc
      flags = `E${s.status.E} R${s.status.R} F${s.status.F} I${s.status.I}`
    }
  }
  return { started: true, pgm: null, cc: s.cc, rc, flags, placement: s.statusPlacement, handledBy: s.handledBy }
}

export function observe(r: ProbeResult): Observed {
  if (!r.started || !r.step) return NOT_STARTED
  return observeStep(r.step)
}

export function hex2(n: number): string {
  return `0x${n.toString(16).padStart(2, '0')}`
}

/** The outcome text of a cell, from the fields the matrix counts (a program exception always counts). */
export function describeObserved(o: Observed, fields: readonly OutcomeField[]): string {
  if (!o.started) return 'guest does not start'
  if (o.pgm) return fields.includes('handledBy') ? `${o.pgm} (${o.handledBy})` : o.pgm
  const parts: string[] = []
  for (const f of fields) {
    if (f === 'pgm') continue
    if (f === 'cc') parts.push(`cc ${o.cc}`)
    if (f === 'rc' && o.rc !== null) parts.push(`RC ${hex2(o.rc)} ${rcName(o.rc)}`)
    if (f === 'placement' && o.placement) parts.push(o.placement === 'hi' ? 'GR1 bits 0–31' : 'GR1 bits 32–63')
    if (f === 'status' && o.flags) parts.push(o.flags)
    if (f === 'handledBy') parts.push(`by ${o.handledBy}`)
  }
  return parts.length === 0 ? '-' : parts.join(', ')
}

export function describeOutcome(r: ProbeResult, fields: readonly OutcomeField[]): string {
  return describeObserved(observe(r), fields)
}

// ---------------------------------------------------------------------------------------------
// Probes and programs

/** A probe configuration as the matrix builds it: a ProbeSpec plus, for programs, the steps. */
export interface MatrixProbeSpec extends ProbeSpec {
  program?: readonly ParsedInsn[]
}

/** Runs a program (the last step is the outcome) in the probe's machine; see runProbeProgram. */
export function runProgram(
  spec: ProbeSpec,
  program: readonly ParsedInsn[],
): { result: ProbeResult; earlier: StepResult[] } {
  if (program.length === 0) return { result: runProbe(spec), earlier: [] }
  return runProbeProgram(spec, program)
}

// ---------------------------------------------------------------------------------------------
// Cells

/** Number of cells: the product of the dimensions' sizes (0 when a dimension is empty). */
export function cellCount(matrix: { dimensions: readonly DimShape[] }): number {
  let n = 1
  for (const d of matrix.dimensions) n *= d.values.length
  return n
}

/** The dimension values of the cell with this grid index (last dimension fastest). */
export function valuesAt(matrix: Pick<Matrix, 'dimensions'>, index: number): DimValue[] {
  const dims = matrix.dimensions
  const out: DimValue[] = new Array(dims.length)
  let rest = index
  for (let i = dims.length - 1; i >= 0; i--) {
    const n = dims[i]!.values.length
    out[i] = dims[i]!.values[rest % n]!
    rest = Math.floor(rest / n)
  }
  return out
}

export function coordsAt(matrix: { dimensions: readonly DimShape[] }, index: number): string[] {
  const dims = matrix.dimensions
  const out: string[] = new Array(dims.length)
  let rest = index
  for (let i = dims.length - 1; i >= 0; i--) {
    const n = dims[i]!.values.length
    out[i] = dims[i]!.values[rest % n]!.id
    rest = Math.floor(rest / n)
  }
  return out
}

/** A copy of a probe configuration whose nested objects can be changed in place. */
export function cloneProbeSpec(s: ProbeSpec): ProbeSpec {
  const c: ProbeSpec = { ...s }
  if (s.cpu) c.cpu = s.cpu.features ? { ...s.cpu, features: { ...s.cpu.features } } : { ...s.cpu }
  if (s.host) c.host = s.host.facilities ? { ...s.host, facilities: { ...s.host.facilities } } : { ...s.host }
  if (s.faults) c.faults = { ...s.faults }
  if (s.queue) c.queue = { ...s.queue }
  if (s.regs) c.regs = { ...s.regs }
  return c
}

/** The probe configuration of one cell: the base with every coordinate's value applied. */
export function cellSpec(matrix: Matrix, values: readonly DimValue[], trace = true): MatrixProbeSpec {
  if (values.every((v) => v.mutate)) {
    const spec = cloneProbeSpec(matrix.base)
    spec.trace = trace
    for (const v of values) v.mutate!(spec)
    return spec
  }
  let spec: ProbeSpec = { ...matrix.base, trace }
  for (const v of values) spec = v.apply(spec)
  return spec
}

export function computeCell(matrix: Matrix, values: readonly DimValue[], trace = true): Cell {
  const spec = cellSpec(matrix, values, trace) as MatrixProbeSpec
  const { result: r, earlier } = spec.program ? runProgram(spec, spec.program) : { result: runProbe(spec), earlier: [] }
  const observed = observe(r)
  return {
    coords: values.map((v) => v.id),
    outcome: describeObserved(observed, matrix.outcome),
    rule: r.step?.rule ?? null,
    handledBy: r.step?.handledBy ?? null,
    trace: r.step ? r.step.trace : r.startTrace,
    startError: r.startError,
    observed,
    hostLog: r.hostLog.map((l) => `${l.level}: ${l.text}`),
    program: earlier.map((s) => `${s.fcName ?? s.insn}: ${describeObserved(observeStep(s), matrix.outcome)}`),
  }
}

export function computeCellAt(matrix: Matrix, index: number, trace = true): Cell {
  return computeCell(matrix, valuesAt(matrix, index), trace)
}

/** Cells `start` (inclusive) to `end` (exclusive) in grid order. */
export function computeRange(matrix: Matrix, start: number, end: number, trace = true): Cell[] {
  const out: Cell[] = []
  for (let i = start; i < end; i++) out.push(computeCellAt(matrix, i, trace))
  return out
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

export function computeCells(matrix: Matrix, trace = true): Cell[] {
  const out: Cell[] = []
  for (const values of grid(matrix.dimensions)) out.push(computeCell(matrix, values, trace))
  return out
}

// ---------------------------------------------------------------------------------------------
// Row patterns: `x`, a value id, or a set `a|b`

export function patternMatches(p: string, id: string): boolean {
  if (p === ANY || p === id) return true
  return p.includes(SET_SEPARATOR) && p.split(SET_SEPARATOR).includes(id)
}

export function matches(pattern: readonly string[], coords: readonly string[]): boolean {
  return pattern.every((p, i) => patternMatches(p, coords[i]!))
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

export function expand(dims: readonly DimShape[], rows: readonly TableRow[]): Map<string, string> {
  const out = new Map<string, string>()
  for (const values of grid(dims as unknown as Dimension[])) {
    const coords = values.map((v) => v.id)
    const row = rows.find((r) => matches(r.coords, coords))
    if (row) out.set(coords.join('\u0000'), row.outcome)
  }
  return out
}

// ---------------------------------------------------------------------------------------------
// Minimization
//
// Internally a table is an Int32Array of outcome ids over the grid (-1: no cell there), and a
// row is one index set per dimension (sorted value indexes) plus an outcome id.

interface IRow {
  sets: number[][]
  out: number
}

interface Table {
  sizes: number[]
  strides: number[]
  outcomes: Int32Array
  names: string[]
}

function buildTable(dims: readonly DimShape[], cells: readonly Pick<Cell, 'coords' | 'outcome'>[]) {
  const sizes = dims.map((d) => d.values.length)
  const strides = new Array<number>(sizes.length)
  let n = 1
  for (let i = sizes.length - 1; i >= 0; i--) {
    strides[i] = n
    n *= sizes[i]!
  }
  const outcomes = new Int32Array(n).fill(-1)
  const names: string[] = []
  const nameIds = new Map<string, number>()
  const valueIndex = dims.map((d) => new Map(d.values.map((v, i) => [v.id, i])))
  for (const c of cells) {
    let at = 0
    let ok = true
    for (let i = 0; i < sizes.length; i++) {
      const v = valueIndex[i]!.get(c.coords[i]!)
      if (v === undefined) {
        ok = false
        break
      }
      at += v * strides[i]!
    }
    if (!ok) continue
    let id = nameIds.get(c.outcome)
    if (id === undefined) {
      id = names.length
      names.push(c.outcome)
      nameIds.set(c.outcome, id)
    }
    outcomes[at] = id
  }
  return { sizes, strides, outcomes, names } satisfies Table
}

/** Split on each dimension in turn; values whose sub-tables are identical form one group. */
function partition(t: Table, allowSets: boolean): IRow[] {
  const D = t.sizes.length
  const rec = (d: number, base: number): IRow[] => {
    if (d === D) {
      const o = t.outcomes[base]!
      return o < 0 ? [] : [{ sets: [], out: o }]
    }
    const n = t.sizes[d]!
    const parts: IRow[][] = []
    const sigs: string[] = []
    for (let v = 0; v < n; v++) {
      const rows = rec(d + 1, base + v * t.strides[d]!)
      parts.push(rows)
      sigs.push(JSON.stringify(rows))
    }
    const groups = new Map<string, number[]>()
    for (let v = 0; v < n; v++) {
      const g = groups.get(sigs[v]!)
      if (g) g.push(v)
      else groups.set(sigs[v]!, [v])
    }
    const out: IRow[] = []
    const full = groups.size === 1
    for (const members of groups.values()) {
      const split = full || allowSets ? [members] : members.map((m) => [m])
      for (const set of split) for (const r of parts[set[0]!]!) out.push({ sets: [set, ...r.sets], out: r.out })
    }
    // Keep rows in value order of their first coordinate, as the seed's table is written.
    if (!full && !allowSets) out.sort((a, b) => a.sets[0]![0]! - b.sets[0]![0]!)
    return out
  }
  return rec(0, 0)
}

function isFull(set: readonly number[], size: number): boolean {
  return set.length === size
}

function union(a: readonly number[], b: readonly number[]): number[] {
  return [...new Set([...a, ...b])].sort((x, y) => x - y)
}

function keyExcept(r: IRow, d: number): string {
  let k = String(r.out)
  for (let i = 0; i < r.sets.length; i++) k += i === d ? '|*' : `|${r.sets[i]!.join(',')}`
  return k
}

/**
 * Merges rows with one outcome that differ in exactly one coordinate. With `toAnyOnly`, a group
 * merges only when together it covers every value of that dimension (the row becomes `x`);
 * otherwise the coordinates are joined into a set. Repeats until nothing merges.
 */
function mergePass(t: Table, rows: IRow[], toAnyOnly: boolean): IRow[] {
  let cur = rows
  let changed = true
  while (changed) {
    changed = false
    for (let d = 0; d < t.sizes.length; d++) {
      const groups = new Map<string, number[]>()
      cur.forEach((r, i) => {
        const k = keyExcept(r, d)
        const g = groups.get(k)
        if (g) g.push(i)
        else groups.set(k, [i])
      })
      const drop = new Set<number>()
      const replace = new Map<number, IRow>()
      for (const members of groups.values()) {
        if (members.length < 2) continue
        let set: number[] = []
        for (const m of members) set = union(set, cur[m]!.sets[d]!)
        if (toAnyOnly && !isFull(set, t.sizes[d]!)) continue
        const first = cur[members[0]!]!
        replace.set(members[0]!, { sets: first.sets.map((s, i) => (i === d ? set : s)), out: first.out })
        for (const m of members.slice(1)) drop.add(m)
      }
      if (drop.size > 0) {
        changed = true
        cur = cur.flatMap((r, i) => (drop.has(i) ? [] : [replace.get(i) ?? r]))
      }
    }
  }
  return cur
}

/** Visits the grid indexes of a cube; stops early when `visit` returns false. */
function forEachCell(t: Table, sets: readonly (readonly number[])[], visit: (at: number) => boolean): boolean {
  const D = sets.length
  const pos = new Array<number>(D).fill(0)
  if (sets.some((s) => s.length === 0)) return true
  for (;;) {
    let at = 0
    for (let i = 0; i < D; i++) at += sets[i]![pos[i]!]! * t.strides[i]!
    if (!visit(at)) return false
    let k = D - 1
    while (k >= 0) {
      pos[k]!++
      if (pos[k]! < sets[k]!.length) break
      pos[k] = 0
      k--
    }
    if (k < 0) return true
  }
}

function cubeSize(sets: readonly (readonly number[])[]): number {
  let n = 1
  for (const s of sets) n *= s.length
  return n
}

function contains(a: IRow, b: IRow): boolean {
  return a.out === b.out && a.sets.every((s, i) => b.sets[i]!.every((v) => s.includes(v)))
}

/** Work limit (cells visited) for prime expansion and the irredundancy pass. */
const COVER_BUDGET = 8_000_000

/**
 * Grows `start` (pure rows covering every cell) into an irreducible cover: never more rows than
 * `start`. Where it starts decides where it ends, so the caller tries more than one start.
 */
function primeCover(t: Table, start: IRow[]): IRow[] {
  const D = t.sizes.length
  let rows = mergePass(t, start, false)
  let budget = COVER_BUDGET
  // Expand each row to a prime: add every value whose slice has the row's outcome throughout.
  rows = rows.map((r) => {
    const sets = r.sets.map((s) => [...s])
    for (let d = 0; d < D && budget > 0; d++) {
      for (let v = 0; v < t.sizes[d]! && budget > 0; v++) {
        if (sets[d]!.includes(v)) continue
        const slice = sets.map((s, i) => (i === d ? [v] : s))
        budget -= cubeSize(slice)
        const pure = forEachCell(t, slice, (at) => t.outcomes[at] === r.out)
        if (pure) sets[d] = union(sets[d]!, [v])
      }
    }
    return { sets, out: r.out }
  })
  // Drop rows every cell of which another row covers (smallest first).
  const total = rows.reduce((n, r) => n + cubeSize(r.sets), 0)
  if (total <= budget) {
    const count = new Uint32Array(t.outcomes.length)
    for (const r of rows) forEachCell(t, r.sets, (at) => ((count[at] = count[at]! + 1), true))
    const order = rows.map((_, i) => i).sort((a, b) => cubeSize(rows[a]!.sets) - cubeSize(rows[b]!.sets) || a - b)
    const dropped = new Set<number>()
    for (const i of order) {
      const redundant = forEachCell(t, rows[i]!.sets, (at) => count[at]! >= 2)
      if (!redundant) continue
      dropped.add(i)
      forEachCell(t, rows[i]!.sets, (at) => ((count[at] = count[at]! - 1), true))
    }
    rows = rows.filter((_, i) => !dropped.has(i))
  }
  rows = mergePass(t, rows, false)
  // Equal or contained rows (possible when the budget cut expansion short).
  if (rows.length <= 4000)
    rows = rows.filter((r, i) => !rows.some((o, j) => j !== i && contains(o, r) && (j < i || !contains(r, o))))
  return rows
}

function sortRows(rows: IRow[]): IRow[] {
  return [...rows].sort((a, b) => {
    for (let i = 0; i < a.sets.length; i++) {
      const x = a.sets[i]!
      const y = b.sets[i]!
      if (x[0] !== y[0]) return x[0]! - y[0]!
      if (x.length !== y.length) return y.length - x.length
      for (let k = 0; k < x.length; k++) if (x[k] !== y[k]) return x[k]! - y[k]!
    }
    return a.out - b.out
  })
}

function render(dims: readonly DimShape[], t: Table, rows: readonly IRow[]): TableRow[] {
  return rows.map((r) => ({
    coords: r.sets.map((s, i) =>
      isFull(s, t.sizes[i]!) ? ANY : s.map((v) => dims[i]!.values[v]!.id).join(SET_SEPARATOR),
    ),
    outcome: t.names[r.out]!,
  }))
}

/**
 * Exact minimization with `x` only: split on each dimension, collapse a dimension to `x` where
 * every value's part is the same table, then merge any group of rows with one outcome that
 * differ in one coordinate and together cover all of its values. Expanding the result gives
 * back every computed cell; rows never overlap.
 */
export function minimize(dims: readonly DimShape[], cells: readonly Pick<Cell, 'coords' | 'outcome'>[]): TableRow[] {
  if (dims.length === 0) return cells.length > 0 ? [{ coords: [], outcome: cells[0]!.outcome }] : []
  const t = buildTable(dims, cells)
  return render(dims, t, mergePass(t, partition(t, false), true))
}

/**
 * Exact, irreducible cover with value sets (a Quine–McCluskey-style prime cover over
 * multi-valued dimensions): every row is pure (all its cells have its outcome), every cell is
 * covered, no two rows with one outcome differ in exactly one coordinate, and no row lies inside
 * another. Rows may overlap; overlapping rows always agree.
 */
export function minimizeCover(
  dims: readonly DimShape[],
  cells: readonly Pick<Cell, 'coords' | 'outcome'>[],
): TableRow[] {
  if (dims.length === 0) return cells.length > 0 ? [{ coords: [], outcome: cells[0]!.outcome }] : []
  const t = buildTable(dims, cells)
  // From the value-set partition, and from the x-only table (so the cover is never longer than it).
  const fromSets = primeCover(t, partition(t, true))
  const fromX = primeCover(t, mergePass(t, partition(t, false), true))
  return render(dims, t, sortRows(fromX.length < fromSets.length ? fromX : fromSets))
}

// ---------------------------------------------------------------------------------------------
// Results

export function resultDimensions(dims: readonly Dimension[]): ResultDimension[] {
  return dims.map((d) => ({ id: d.id, label: d.label, values: d.values.map((v) => ({ id: v.id, label: v.label })) }))
}

/** The kernel and QEMU profiles a matrix reaches: the base's and every dimension value's. */
export function matrixProfiles(matrix: Matrix): ProfileRef[] {
  const ids = new Set<string>([matrix.base.kernel, matrix.base.qemu])
  for (const d of matrix.dimensions)
    for (const v of d.values) {
      const s = v.apply({ ...matrix.base })
      ids.add(s.kernel)
      ids.add(s.qemu)
    }
  const out: ProfileRef[] = []
  for (const id of ids) {
    const p = findProfile(id)
    if (p) out.push({ id: p.id, kind: p.kind, label: p.label, date: p.date, sources: [...p.sources] })
  }
  const kind = (k: string) => (k === 'kernel' ? 0 : 1)
  return out.sort((a, b) => kind(a.kind) - kind(b.kind))
}

/** Everything derived from a complete set of cells: the collapsed tables and the hand-row check. */
export function assembleResult(matrix: Matrix, cells: Cell[], traced = true): MatrixResult {
  return {
    name: matrix.name,
    title: matrix.title,
    dimensions: resultDimensions(matrix.dimensions),
    outcomeFields: matrix.outcome,
    cells,
    minimized: minimize(matrix.dimensions, cells),
    rows: matrix.rows ? checkRows(matrix.rows, cells) : null,
    notes: matrix.notes ?? [],
    description: matrix.description,
    cover: minimizeCover(matrix.dimensions, cells),
    spec: matrix.spec ?? null,
    profiles: matrixProfiles(matrix),
    diffAxis: matrix.diffAxis ?? null,
    traced,
  }
}

/** A result for part of the cells (a shard): no collapsed tables, no hand-row check. */
export function partialResult(matrix: Matrix, cells: Cell[], traced = true): MatrixResult {
  return {
    name: matrix.name,
    title: matrix.title,
    dimensions: resultDimensions(matrix.dimensions),
    outcomeFields: matrix.outcome,
    cells,
    minimized: [],
    rows: null,
    notes: matrix.notes ?? [],
    description: matrix.description,
    cover: [],
    spec: matrix.spec ?? null,
    profiles: matrixProfiles(matrix),
    diffAxis: matrix.diffAxis ?? null,
    traced,
  }
}

export function runMatrix(matrix: Matrix, trace = true): MatrixResult {
  return assembleResult(matrix, computeCells(matrix, trace), trace)
}
