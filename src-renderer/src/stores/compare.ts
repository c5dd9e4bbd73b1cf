// Compare: the built-in behaviour matrices, the result of running one (cells, the x-collapsed
// table, the checked hand-made rows, exports), and which row or cell is open in the trace pane.
import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import type { CompareResponse, MatrixFormat, MatrixSummary } from '../../../src-preload/contract'
import { lab } from '../bridge'
import { useActivityStore } from './activity'

export type MatrixResult = CompareResponse['result']
export type MatrixCell = MatrixResult['cells'][number]
export type TableKind = 'rows' | 'minimized' | 'cells'

export const ANY = 'x'

export const EXPORT_FORMATS: readonly { id: MatrixFormat; label: string; ext: string; mime: string }[] = [
  { id: 'text', label: 'Text', ext: 'txt', mime: 'text/plain' },
  { id: 'md', label: 'Markdown', ext: 'md', mime: 'text/markdown' },
  { id: 'csv', label: 'CSV', ext: 'csv', mime: 'text/csv' },
  { id: 'json', label: 'JSON', ext: 'json', mime: 'application/json' },
]

export interface Selection {
  kind: TableKind
  /** Row index in that table. */
  index: number
  /** Index into `result.cells` of the cell whose trace is shown. */
  cell: number
}

export function matches(pattern: readonly string[], coords: readonly string[]): boolean {
  return pattern.every((p, i) => p === ANY || p === coords[i])
}

/** A CSS class for an outcome text, so exceptions, success and errors read apart at a glance. */
export function outcomeKind(outcome: string): string {
  if (outcome.includes(' | ')) return 'o-mixed'
  if (outcome === '-') return 'o-none'
  if (outcome === 'guest does not start') return 'o-nostart'
  if (/^[A-Z][A-Z_]*$/.test(outcome)) return 'o-pgm'
  if (outcome.startsWith('cc 0')) return 'o-cc0'
  if (/^cc [1-3]/.test(outcome)) return 'o-cc3'
  return 'o-other'
}

export const useCompareStore = defineStore('compare', () => {
  const activity = useActivityStore()

  const matrices = shallowRef<MatrixSummary[]>([])
  const loading = ref(false)
  const selectedName = ref('seed-2019-03')
  /** Results by matrix name, so switching between matrices keeps what was computed. */
  const results = shallowRef<Record<string, CompareResponse>>({})
  const running = ref<string | null>(null)
  const selection = ref<Selection | null>(null)
  const exportFormat = ref<MatrixFormat>('text')
  const showFull = ref(false)

  const summary = computed(() => matrices.value.find((m) => m.name === selectedName.value) ?? null)
  const response = computed<CompareResponse | null>(() => results.value[selectedName.value] ?? null)
  const result = computed<MatrixResult | null>(() => response.value?.result ?? null)

  function linesOf(kind: TableKind): readonly { coords: readonly string[] }[] {
    const r = result.value
    if (!r) return []
    return kind === 'rows' ? (r.rows ?? []) : kind === 'minimized' ? r.minimized : r.cells
  }

  /** Indexes into `result.cells` of the cells a row of a table covers. */
  function coveredBy(kind: TableKind, index: number): number[] {
    const r = result.value
    const line = linesOf(kind)[index]
    if (!r || !line) return []
    if (kind === 'cells') return [index]
    const out: number[] = []
    r.cells.forEach((c, i) => {
      if (matches(line.coords, c.coords)) out.push(i)
    })
    return out
  }

  const covered = computed(() => (selection.value ? coveredBy(selection.value.kind, selection.value.index) : []))
  const selectedCell = computed<MatrixCell | null>(() =>
    selection.value ? (result.value?.cells[selection.value.cell] ?? null) : null,
  )

  async function load(force = false): Promise<void> {
    if (loading.value || (matrices.value.length > 0 && !force)) return
    loading.value = true
    const r = await activity.track('compare.list', 'Loading matrices', () => lab.listMatrices(), {
      retry: () => void load(true),
    })
    loading.value = false
    if (!r.ok) return
    matrices.value = r.value
    if (!r.value.some((m) => m.name === selectedName.value) && r.value[0]) selectedName.value = r.value[0].name
  }

  async function run(): Promise<void> {
    const name = selectedName.value
    if (running.value !== null) return
    running.value = name
    const r = await activity.track('compare.run', `Comparing ${name}`, () => lab.compare({ matrix: name }), {
      done: (res) => `${name}: ${res.result.cells.length} cells, ${res.result.minimized.length} rows minimized`,
      retry: () => void run(),
    })
    running.value = null
    if (!r.ok) return
    results.value = { ...results.value, [name]: r.value }
    if (selectedName.value === name) selection.value = null
  }

  function selectMatrix(name: string): void {
    if (name === selectedName.value) return
    selectedName.value = name
    selection.value = null
  }

  /** Opens a row of a table: its first covered cell's trace, unless a covered cell is already open. */
  function select(kind: TableKind, index: number): void {
    const cells = coveredBy(kind, index)
    if (cells.length === 0) return
    const keep = selection.value && cells.includes(selection.value.cell) ? selection.value.cell : cells[0]!
    selection.value = { kind, index, cell: keep }
  }

  function selectCell(cell: number): void {
    if (!selection.value) return
    selection.value = { ...selection.value, cell }
  }

  function closeSelection(): void {
    selection.value = null
  }

  return {
    matrices,
    loading,
    selectedName,
    results,
    running,
    selection,
    exportFormat,
    showFull,
    summary,
    response,
    result,
    covered,
    selectedCell,
    load,
    run,
    selectMatrix,
    select,
    selectCell,
    closeSelection,
    coveredBy,
  }
})
