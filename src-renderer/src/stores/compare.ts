// Compare: behaviour matrices (the built-ins, a matrix built in the builder, saved comparisons),
// the result on show (cells, the checked hand-made rows, the exact cover with value sets, the
// x-minimized table, exports), the sweep in flight, ABI diffs of two profiles, and which row or
// cell is open in the trace pane.
//
// The service computes a sweep synchronously in the main process, so a running compare cannot be
// stopped from here: Cancel forgets the request and its answer is dropped when it arrives. Only
// the CLI sweep (`aplab compare`, Ctrl-C) really stops the work.
import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import type {
  ComparisonSummary,
  CompareResponse,
  DiffProfilesResponse,
  MatrixFormat,
  MatrixSummary,
} from '../../../src-preload/contract'
import { lab } from '../bridge'
import { failureText, type LabFailure } from '../failure'
import { useActivityStore } from './activity'
import { useProfilesStore } from './profiles'
import {
  addProbe,
  asSpecInput,
  blankSpec,
  buildCatalog,
  describeDims,
  moveDim,
  parseSpecText,
  removeDim,
  serialize,
  setBase,
  setCatalogValues,
  setOutcome,
  setProbesText,
  setText,
  shapeOf,
  toggleCatalogValue,
  type CatalogDim,
  type OutcomeField,
  type SpecDoc,
} from '../components/compare/spec-model'

export type MatrixResult = CompareResponse['result']
export type MatrixCell = MatrixResult['cells'][number]
export type MatrixExports = CompareResponse['exports']
export type AbiDiff = DiffProfilesResponse['diff']
export type TableKind = 'rows' | 'cover' | 'minimized' | 'cells'

export const ANY = 'x'
/** Separates the values of a set in a row coordinate (`Q-old|Q-new/off`). */
export const SET_SEPARATOR = '|'

export const EXPORT_FORMATS: readonly { id: MatrixFormat; label: string; ext: string; mime: string }[] = [
  { id: 'text', label: 'Text', ext: 'txt', mime: 'text/plain' },
  { id: 'md', label: 'Markdown', ext: 'md', mime: 'text/markdown' },
  { id: 'csv', label: 'CSV', ext: 'csv', mime: 'text/csv' },
  { id: 'json', label: 'JSON', ext: 'json', mime: 'application/json' },
  { id: 'html', label: 'HTML', ext: 'html', mime: 'text/html' },
]

/** `aplab diff` probe sets (abi-diff.ts PROBE_SETS). */
export const DIFF_PROBE_SETS: readonly { id: string; label: string }[] = [
  { id: 'all', label: 'all probes' },
  { id: 'aqic', label: 'AQIC variants' },
  { id: 'fc', label: 'other PQAP function codes' },
  { id: 'msg', label: 'NQAP / DQAP' },
]

/** The result on show comes from the built-in of this name, the builder, or a saved comparison. */
export const BUILDER_KEY = '@builder'
const SAVED_PREFIX = '@saved:'
export const savedKey = (id: number): string => `${SAVED_PREFIX}${id}`

/** Rows of the full table rendered at first (and added per "show more"): a sweep may have 200,000. */
export const FULL_PAGE = 1000

export interface Shown {
  result: MatrixResult
  /** The service's exports; a saved comparison stores only its result. */
  exports: MatrixExports | null
  source: 'builtin' | 'builder' | 'saved'
  /** How the header's matrix list names it. */
  label: string
  /** For a saved comparison: what it was computed from (`builtin:NAME`). */
  matrix?: string | null
}

export interface Selection {
  kind: TableKind
  /** Row index in that table. */
  index: number
  /** Index into `result.cells` of the cell whose trace is shown. */
  cell: number
}

export interface Job {
  id: number
  kind: 'matrix' | 'diff'
  label: string
  /** Cells the request computes, when known before it returns. */
  cells: number | null
  startedAt: number
  key: string
}

/** Whether a row coordinate (a value id, `x`, or a set `a|b`) covers a value id. */
export function coordMatches(p: string, id: string): boolean {
  if (p === ANY || p === id) return true
  return p.includes(SET_SEPARATOR) && p.split(SET_SEPARATOR).includes(id)
}

export function matches(pattern: readonly string[], coords: readonly string[]): boolean {
  return pattern.every((p, i) => coordMatches(p, coords[i]!))
}

/** A CSS class for an outcome text, so exceptions, success and errors read apart at a glance. */
export function outcomeKind(outcome: string): string {
  if (outcome.includes(' | ')) return 'o-mixed'
  if (outcome === '-') return 'o-none'
  if (outcome === 'guest does not start') return 'o-nostart'
  if (/^[A-Z][A-Z_]*( \(\w+\))?$/.test(outcome)) return 'o-pgm'
  if (outcome.startsWith('cc 0')) return 'o-cc0'
  if (/^cc [1-3]/.test(outcome)) return 'o-cc3'
  return 'o-other'
}

function isMatrixResult(v: unknown): v is MatrixResult {
  const r = v as Partial<MatrixResult> | null
  return (
    r !== null &&
    typeof r === 'object' &&
    Array.isArray(r.dimensions) &&
    Array.isArray(r.cells) &&
    Array.isArray(r.minimized)
  )
}

export const useCompareStore = defineStore('compare', () => {
  const activity = useActivityStore()
  const profiles = useProfilesStore()

  // ---- the result on show --------------------------------------------------------------------

  const view = ref<'matrix' | 'diff'>('matrix')
  const matrices = shallowRef<MatrixSummary[]>([])
  const loading = ref(false)
  /** The key of the result on show: a built-in's name, BUILDER_KEY or `@saved:<id>`. */
  const selectedName = ref('seed-2019-03')
  const results = shallowRef<Record<string, Shown>>({})
  const selection = ref<Selection | null>(null)
  const exportFormat = ref<MatrixFormat>('text')
  const showFull = ref(false)
  const fullLimit = ref(FULL_PAGE)

  const isBuiltin = computed(() => !selectedName.value.startsWith('@'))
  const shown = computed<Shown | null>(() => results.value[selectedName.value] ?? null)
  const result = computed<MatrixResult | null>(() => shown.value?.result ?? null)
  /** The exports of the result on show (null for a saved comparison). */
  const response = computed<{ exports: MatrixExports } | null>(() =>
    shown.value?.exports ? { exports: shown.value.exports } : null,
  )
  const summary = computed<MatrixSummary | null>(() => {
    if (isBuiltin.value) return matrices.value.find((m) => m.name === selectedName.value) ?? null
    const r = result.value
    return r ? { name: r.name, title: r.title, description: r.description ?? '' } : null
  })
  /** Entries of the header's matrix list besides the built-ins: the builder's and saved results. */
  const extraEntries = computed(() =>
    Object.entries(results.value)
      .filter(([k]) => k.startsWith('@'))
      .map(([key, s]) => ({ key, label: s.label })),
  )

  // ---- the sweep in flight -------------------------------------------------------------------

  const job = ref<Job | null>(null)
  const cancelled = ref<string | null>(null)
  let jobSeq = 0
  const running = computed(() => (job.value?.kind === 'matrix' ? job.value.key : null))

  function startJob(kind: Job['kind'], key: string, label: string, cells: number | null): number {
    const id = ++jobSeq
    job.value = { id, kind, key, label, cells, startedAt: Date.now() }
    cancelled.value = null
    return id
  }

  /** True while `id` is the job in flight (not cancelled, not replaced). */
  function current(id: number): boolean {
    return job.value?.id === id
  }

  /** Forgets the request in flight; the main process finishes it and the answer is dropped. */
  function cancel(): void {
    const j = job.value
    if (!j) return
    job.value = null
    cancelled.value = `${j.label}: cancelled; the answer will be ignored (the main process finishes the sweep — only aplab compare can stop one, with Ctrl-C)`
    activity.lastMessage = `${j.label} cancelled`
  }

  // ---- tables and selection ------------------------------------------------------------------

  function linesOf(kind: TableKind): readonly { coords: readonly string[] }[] {
    const r = result.value
    if (!r) return []
    if (kind === 'rows') return r.rows ?? []
    if (kind === 'cover') return r.cover ?? []
    return kind === 'minimized' ? r.minimized : r.cells
  }

  /** Indexes into `result.cells` of the cells a row of a table covers (value sets included). */
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

  function showMoreCells(): void {
    fullLimit.value += FULL_PAGE * 5
  }

  function put(key: string, s: Shown): void {
    results.value = { ...results.value, [key]: s }
    if (selectedName.value === key) {
      selection.value = null
      fullLimit.value = FULL_PAGE
    }
  }

  // ---- built-ins -----------------------------------------------------------------------------

  async function load(force = false): Promise<void> {
    void profiles.load()
    void loadSaved()
    if (loading.value || (matrices.value.length > 0 && !force)) return
    loading.value = true
    const r = await activity.track('compare.list', 'Loading matrices', () => lab.listMatrices(), {
      retry: () => void load(true),
    })
    loading.value = false
    if (!r.ok) return
    matrices.value = r.value
    if (isBuiltin.value && !r.value.some((m) => m.name === selectedName.value) && r.value[0])
      selectedName.value = r.value[0].name
  }

  async function runBuiltin(name: string): Promise<Shown | null> {
    const id = startJob('matrix', name, `Comparing ${name}`, null)
    const r = await activity.track('compare.run', `Comparing ${name}`, () => lab.compare({ matrix: name }), {
      done: (res) => `${name}: ${res.result.cells.length} cells, ${res.result.minimized.length} rows minimized`,
      retry: () => void runBuiltin(name),
    })
    if (!current(id)) return null
    job.value = null
    if (!r.ok) return null
    const s: Shown = { ...r.value, source: 'builtin', label: name }
    put(name, s)
    return s
  }

  /** Runs what is on show: a built-in, the builder's matrix, or (for a saved one) its built-in again. */
  async function run(): Promise<void> {
    if (job.value) return
    const key = selectedName.value
    if (key === BUILDER_KEY) return runBuilder()
    if (key.startsWith(SAVED_PREFIX)) {
      const m = shown.value?.matrix
      if (!m?.startsWith('builtin:')) return
      selectedName.value = m.slice('builtin:'.length)
    }
    await runBuiltin(selectedName.value)
  }

  function selectMatrix(name: string): void {
    if (name === selectedName.value) return
    selectedName.value = name
    selection.value = null
    fullLimit.value = FULL_PAGE
  }

  // ---- the builder ---------------------------------------------------------------------------

  const builderOpen = ref(false)
  const doc = shallowRef<SpecDoc>(blankSpec())
  const jsonText = ref(serialize(doc.value))
  const jsonError = ref<string | null>(null)
  /** The service's refusal of the last run (shown next to the field it names). */
  const builderError = ref<LabFailure | null>(null)
  /** Where the document came from: `blank`, `builtin:NAME`, a file name. */
  const builderOrigin = ref('blank')

  const catalog = computed<CatalogDim[]>(() =>
    buildCatalog(
      profiles.kernel.map((p) => ({ id: p.id, label: p.label, date: p.date })),
      profiles.qemu.map((p) => ({ id: p.id, label: p.label, date: p.date })),
    ),
  )
  const dims = computed(() => describeDims(doc.value, catalog.value))
  const shape = computed(() => shapeOf(doc.value))

  function commit(next: SpecDoc): void {
    doc.value = next
    jsonText.value = serialize(next)
    jsonError.value = null
  }

  /** The JSON textarea: a valid object becomes the document at once; anything else waits. */
  function editJson(text: string): void {
    jsonText.value = text
    const p = parseSpecText(text)
    if ('error' in p) {
      jsonError.value = p.error
      return
    }
    jsonError.value = null
    doc.value = p.doc
  }

  /** Rewrites the JSON text from the document (after typing, to see it formatted). */
  function formatJson(): void {
    if (jsonError.value === null) jsonText.value = serialize(doc.value)
  }

  const edit = {
    toggleValue: (cat: CatalogDim, key: string, on: boolean) =>
      commit(toggleCatalogValue(doc.value, cat, dims.value, key, on)),
    setValues: (cat: CatalogDim, keys: ReadonlySet<string>) =>
      commit(setCatalogValues(doc.value, cat, dims.value, keys)),
    moveDim: (index: number, delta: -1 | 1) => commit(moveDim(doc.value, index, delta)),
    removeDim: (index: number) => commit(removeDim(doc.value, index)),
    probesText: (text: string) => commit(setProbesText(doc.value, text)),
    addProbe: (insn: string) => commit(addProbe(doc.value, insn)),
    outcome: (field: OutcomeField, on: boolean) => commit(setOutcome(doc.value, field, on)),
    text: (key: 'name' | 'title', value: string) => commit(setText(doc.value, key, value)),
    base: (key: 'kernel' | 'qemu', value: string) => commit(setBase(doc.value, key, value)),
  }

  /** Starts the builder from a blank document or from a built-in's document. */
  async function startFrom(source: string): Promise<void> {
    builderOpen.value = true
    builderError.value = null
    if (source === '' || source === 'blank') {
      commit(blankSpec())
      builderOrigin.value = 'blank'
      return
    }
    if (!results.value[source] && job.value) return
    const s = results.value[source] ?? (await runBuiltin(source))
    const spec = s?.result.spec
    if (!spec) return
    commit(structuredClone(spec) as SpecDoc)
    builderOrigin.value = `builtin:${source}`
  }

  /** A document read from a file. */
  function loadText(text: string, fileName: string): void {
    builderOpen.value = true
    editJson(text)
    if (jsonError.value === null) {
      formatJson()
      builderOrigin.value = fileName
      builderError.value = null
    }
  }

  /** The spec behind the builder's result on show: what Save stores. */
  let builderSpecShown: ReturnType<typeof asSpecInput> | null = null

  async function runBuilder(): Promise<void> {
    if (job.value) return
    if (jsonError.value !== null) {
      builderOpen.value = true
      return
    }
    const spec = asSpecInput(doc.value)
    const name = typeof doc.value.name === 'string' && doc.value.name !== '' ? doc.value.name : 'matrix'
    const cells = shape.value.cells
    const id = startJob('matrix', BUILDER_KEY, `Comparing ${name}`, cells)
    const r = await activity.track('compare.spec', `Comparing ${name}`, () => lab.compareSpec({ spec }), {
      done: (res) => `${name}: ${res.result.cells.length} cells, ${(res.result.cover ?? []).length} rows in the cover`,
      retry: () => void runBuilder(),
    })
    if (!current(id)) return
    job.value = null
    if (!r.ok) {
      // A refused document is shown next to the field it names, not in the banner.
      if (r.error.code === 'invalid-input' && (r.error.field ?? '').startsWith('spec')) {
        builderError.value = r.error
        builderOpen.value = true
        activity.clear('compare.spec')
      } else builderError.value = null
      return
    }
    builderError.value = null
    builderSpecShown = spec
    put(BUILDER_KEY, { ...r.value, source: 'builder', label: `builder: ${name}` })
    selectedName.value = BUILDER_KEY
    selection.value = null
    fullLimit.value = FULL_PAGE
  }

  // ---- saved comparisons ---------------------------------------------------------------------

  const saved = shallowRef<ComparisonSummary[]>([])
  const savedLoaded = ref(false)
  /** Why nothing can be saved (no database open), or null. */
  const noDb = ref<string | null>(null)
  const saveName = ref('')
  const saveMessage = ref<string | null>(null)
  const saving = ref(false)

  function onNoDb(f: LabFailure, source: string): void {
    noDb.value = failureText(f)
    activity.clear(source)
    activity.lastMessage = 'no database: comparisons are not stored'
  }

  async function loadSaved(): Promise<void> {
    const r = await activity.track('compare.saved', 'Loading saved comparisons', () => lab.listComparisons(), {
      retry: () => void loadSaved(),
    })
    savedLoaded.value = true
    if (r.ok) {
      saved.value = r.value
      noDb.value = null
    } else if (r.error.code === 'conflict') {
      saved.value = []
      onNoDb(r.error, 'compare.saved')
    }
  }

  /** Why the result on show cannot be saved, or null. */
  const cannotSave = computed<string | null>(() => {
    if (noDb.value !== null) return `no database open: comparisons are not stored (${noDb.value})`
    if (!result.value) return 'run a matrix first'
    if (selectedName.value.startsWith(SAVED_PREFIX)) return 'this is a saved comparison'
    return null
  })

  async function save(): Promise<void> {
    if (cannotSave.value !== null || saving.value) return
    const name = selectedName.value
    const title = saveName.value.trim() || result.value?.title || name
    saving.value = true
    saveMessage.value = null
    const r = await activity.track(
      'compare.save',
      `Saving comparison ${name}`,
      () =>
        name === BUILDER_KEY && builderSpecShown !== null
          ? lab.saveComparison({ spec: builderSpecShown, name: title })
          : lab.saveComparison({ matrix: `builtin:${name}`, name: title }),
      { done: (res) => `comparison saved as #${res.id}` },
    )
    saving.value = false
    if (r.ok) {
      saveMessage.value = `saved as #${r.value.id}: ${title}`
      saveName.value = ''
      await loadSaved()
    } else if (r.error.code === 'conflict') onNoDb(r.error, 'compare.save')
  }

  async function openSaved(id: number): Promise<void> {
    const r = await activity.track('compare.open', `Opening comparison #${id}`, () => lab.getComparison({ id }), {
      retry: () => void openSaved(id),
    })
    if (!r.ok) {
      if (r.error.code === 'conflict') onNoDb(r.error, 'compare.open')
      return
    }
    if (!isMatrixResult(r.value.result)) {
      activity.report('compare.open', `Opening comparison #${id}`, {
        code: 'internal',
        message: `comparison #${id} does not hold a matrix result`,
      })
      return
    }
    const key = savedKey(id)
    put(key, {
      result: r.value.result,
      exports: null,
      source: 'saved',
      label: `saved #${id}: ${r.value.name}`,
      matrix: r.value.matrix,
    })
    view.value = 'matrix'
    selectMatrix(key)
  }

  async function deleteSaved(id: number): Promise<void> {
    const r = await activity.track('compare.delete', `Deleting comparison #${id}`, () => lab.deleteComparison({ id }))
    if (!r.ok) return
    const key = savedKey(id)
    if (results.value[key]) {
      const { [key]: _gone, ...rest } = results.value
      results.value = rest
      if (selectedName.value === key) selectMatrix(matrices.value[0]?.name ?? 'seed-2019-03')
    }
    await loadSaved()
  }

  // ---- ABI diff of two profiles --------------------------------------------------------------

  const diffA = ref('linux-6.3')
  const diffB = ref('linux-6.8')
  const diffProbeSet = ref('all')
  const diffResponse = shallowRef<DiffProfilesResponse | null>(null)
  const diffError = ref<LabFailure | null>(null)
  const diffExportFormat = ref<MatrixFormat>('text')

  function kindOf(id: string): 'kernel' | 'qemu' | null {
    if (profiles.kernel.some((p) => p.id === id)) return 'kernel'
    if (profiles.qemu.some((p) => p.id === id)) return 'qemu'
    return null
  }

  /** Profiles `b` may be: the other profiles of a's kind. */
  const diffChoicesB = computed(() => {
    const k = kindOf(diffA.value)
    const list = k === 'qemu' ? profiles.qemu : profiles.kernel
    return list.filter((p) => p.id !== diffA.value)
  })

  function setDiffA(id: string): void {
    diffA.value = id
    if (kindOf(diffB.value) === kindOf(id) && diffB.value !== id) return
    const k = kindOf(id)
    const list = k === 'qemu' ? profiles.qemu : profiles.kernel
    const i = list.findIndex((p) => p.id === id)
    diffB.value = (list[i + 1] ?? list[i - 1])?.id ?? ''
  }

  function setDiffB(id: string): void {
    diffB.value = id
  }

  async function runDiff(): Promise<void> {
    if (job.value) return
    const a = diffA.value
    const b = diffB.value
    const id = startJob('diff', `diff:${a}:${b}`, `Diffing ${a} → ${b}`, null)
    diffError.value = null
    const probes = diffProbeSet.value === 'all' ? undefined : [diffProbeSet.value]
    const r = await activity.track(
      'compare.diff',
      `Diffing ${a} → ${b}`,
      () => lab.diffProfiles(probes ? { a, b, probes } : { a, b }),
      {
        done: (res) =>
          `${a} → ${b}: ${res.diff.changes.length} guest-visible change${res.diff.changes.length === 1 ? '' : 's'}`,
        retry: () => void runDiff(),
      },
    )
    if (!current(id)) return
    job.value = null
    if (!r.ok) {
      if (r.error.code === 'invalid-input' || r.error.code === 'not-found') {
        diffError.value = r.error
        activity.clear('compare.diff')
      }
      return
    }
    diffResponse.value = r.value
  }

  return {
    view,
    matrices,
    loading,
    selectedName,
    results,
    running,
    selection,
    exportFormat,
    showFull,
    fullLimit,
    isBuiltin,
    shown,
    summary,
    response,
    result,
    extraEntries,
    covered,
    selectedCell,
    job,
    cancelled,
    cancel,
    load,
    run,
    selectMatrix,
    select,
    selectCell,
    closeSelection,
    coveredBy,
    showMoreCells,
    // builder
    builderOpen,
    doc,
    jsonText,
    jsonError,
    builderError,
    builderOrigin,
    catalog,
    dims,
    shape,
    edit,
    editJson,
    formatJson,
    startFrom,
    loadText,
    runBuilder,
    // saved
    saved,
    savedLoaded,
    noDb,
    saveName,
    saveMessage,
    saving,
    cannotSave,
    loadSaved,
    save,
    openSaved,
    deleteSaved,
    // diff
    diffA,
    diffB,
    diffProbeSet,
    diffResponse,
    diffError,
    diffExportFormat,
    diffChoicesB,
    kindOf,
    setDiffA,
    setDiffB,
    runDiff,
  }
})
