// Stored runs (the database): the history with filters and paging, one opened run with its
// per-guest results a page at a time and a step's trace, new runs and re-runs (runStored), two runs
// compared step by step (diffRuns), exports.
import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import type {
  RunDiff,
  RunGuest,
  RunStatus,
  RunSummary,
  SessionInput,
  SessionRef,
  StoredStep,
} from '../../../src-preload/contract'
import { lab as api } from '../bridge'
import { downloadText } from '../components/store/util'
import { failureText, type LabFailure } from '../failure'
import { useActivityStore } from './activity'
import { useLabStore } from './lab'
import { useSessionsStore } from './sessions'

export type StatusFilter = '' | RunStatus
export const RUN_STATUS_FILTERS: readonly RunStatus[] = ['running', 'finished', 'aborted']
export const RUNS_PAGE = 50
export const STEPS_PAGE = 200
/** listRuns has no text filter: a text search reads up to this many runs and filters here. */
const TEXT_SCAN_MAX = 5000
const DIFF_LIMIT = 1000
/** Runs up to this many steps are read whole to fill the unchanged cells of a comparison. */
const DIFF_READ_WHOLE = 10_000
/** For bigger runs, the shown changes are read one step at a time, at most this many. */
const DIFF_READ_STEPS = 200

export interface OpenedRun {
  run: RunSummary
  guests: RunGuest[]
}

export interface DiffView {
  diff: RunDiff
  a: RunSummary
  b: RunSummary
  /** The compared steps by seq, for the cells that did not change. */
  stepsA: ReadonlyMap<number, StoredStep>
  stepsB: ReadonlyMap<number, StoredStep>
}

/** How a run can be run again: the session it ran, and what that is. */
export type RerunPlan = { ref: SessionRef; snapshot: SessionInput | null; note: string } | { ref: null; note: string }

function searchText(r: RunSummary): string {
  return [
    `#${r.id}`,
    r.sessionName,
    r.kernel,
    r.status,
    r.origin,
    `seed ${r.seed}`,
    r.sessionId === null ? '' : `session ${r.sessionId}`,
    r.started,
    r.error ?? '',
  ]
    .join(' ')
    .toLowerCase()
}

export const useRunsStore = defineStore('runs', () => {
  const activity = useActivityStore()
  const editor = useLabStore()
  const sessions = useSessionsStore()

  const status = ref<StatusFilter>('')
  const sessionId = ref<number | null>(null)
  const text = ref('')
  const offset = ref(0)
  const total = ref(0)
  const runs = shallowRef<RunSummary[]>([])
  /** A text search that could not read every run. */
  const scanCapped = ref(false)
  const loading = ref(false)
  const loaded = ref(false)
  const noDb = ref<string | null>(null)

  const cursorId = ref<number | null>(null)
  const checked = ref<number[]>([])

  const opened = shallowRef<OpenedRun | null>(null)
  const guest = ref<string | null>(null)
  const steps = shallowRef<StoredStep[]>([])
  const stepsTotal = ref(0)
  const stepsOffset = ref(0)
  const stepsLoading = ref(false)
  const selectedSeq = ref<number | null>(null)
  const stepDetail = shallowRef<StoredStep | null>(null)

  const diff = shallowRef<DiffView | null>(null)
  const diffLoading = ref(false)
  const view = ref<'run' | 'diff'>('run')

  /** Session documents of the runs this page started: what a re-run runs again. */
  const snapshots = shallowRef<ReadonlyMap<number, SessionInput>>(new Map())
  /** `editor`, `builtin:NAME` or `saved:ID`. */
  const runSource = ref('editor')
  const running = ref(false)
  const confirmDelete = ref<number | null>(null)
  const importError = shallowRef<LabFailure | null>(null)
  const importName = ref('')

  const pages = computed(() => Math.max(1, Math.ceil(total.value / RUNS_PAGE)))
  const page = computed(() => Math.floor(offset.value / RUNS_PAGE) + 1)
  const canCompare = computed(() => checked.value.length === 2)

  function remember(runId: number, doc: SessionInput): void {
    const next = new Map(snapshots.value)
    next.set(runId, doc)
    snapshots.value = next
  }

  let listSeq = 0
  async function load(): Promise<void> {
    const mine = ++listSeq
    loading.value = true
    const q = {
      ...(status.value !== '' ? { status: status.value } : {}),
      ...(sessionId.value !== null ? { session: sessionId.value } : {}),
    }
    const words = text.value.toLowerCase().split(/\s+/).filter(Boolean)
    const from = offset.value
    const r = await activity.track(
      'runs.list',
      'Loading runs',
      async () => {
        if (words.length === 0)
          return { ...(await api.listRuns({ ...q, limit: RUNS_PAGE, offset: from })), capped: false }
        const all: RunSummary[] = []
        let seen = 0
        for (;;) {
          const p = await api.listRuns({ ...q, limit: 1000, offset: all.length })
          seen = p.total
          all.push(...p.runs)
          if (p.runs.length === 0 || all.length >= p.total || all.length >= TEXT_SCAN_MAX) break
        }
        const hits = all.filter((run) => {
          const t = searchText(run)
          return words.every((w) => t.includes(w))
        })
        return { total: hits.length, runs: hits.slice(from, from + RUNS_PAGE), capped: all.length < seen }
      },
      { retry: () => void load() },
    )
    if (mine !== listSeq) return
    loading.value = false
    loaded.value = true
    if (r.ok) {
      noDb.value = null
      runs.value = r.value.runs
      total.value = r.value.total
      scanCapped.value = r.value.capped
      if (from > 0 && r.value.runs.length === 0 && r.value.total > 0) {
        offset.value = Math.max(0, (Math.ceil(r.value.total / RUNS_PAGE) - 1) * RUNS_PAGE)
        void load()
      }
    } else if (r.error.code === 'conflict') {
      runs.value = []
      total.value = 0
      noDb.value = failureText(r.error)
      activity.clear('runs.list')
      activity.lastMessage = 'no database: sessions and runs are not stored'
    }
  }

  function setFilters(next: { status?: StatusFilter; sessionId?: number | null; text?: string }): void {
    if (next.status !== undefined) status.value = next.status
    if (next.sessionId !== undefined) sessionId.value = next.sessionId
    if (next.text !== undefined) text.value = next.text
    offset.value = 0
    void load()
  }

  function goPage(n: number): void {
    const p = Math.min(pages.value, Math.max(1, n))
    offset.value = (p - 1) * RUNS_PAGE
    void load()
  }

  function toggleCheck(id: number): void {
    if (checked.value.includes(id)) checked.value = checked.value.filter((x) => x !== id)
    else checked.value = [...checked.value, id].slice(-2)
  }

  let openSeq = 0
  async function openRun(id: number): Promise<void> {
    const mine = ++openSeq
    cursorId.value = id
    confirmDelete.value = null
    const r = await activity.track('runs.open', `Opening run #${id}`, () => api.getRun({ id, limit: 1 }), {
      retry: () => void openRun(id),
    })
    if (mine !== openSeq || !r.ok) return
    opened.value = { run: r.value.run, guests: r.value.guests }
    view.value = 'run'
    selectedSeq.value = null
    stepDetail.value = null
    steps.value = []
    stepsTotal.value = 0
    stepsOffset.value = 0
    const names = r.value.guests.map((g) => g.name)
    guest.value = guest.value !== null && names.includes(guest.value) ? guest.value : (names[0] ?? null)
    if (guest.value !== null) await loadSteps(0)
  }

  let stepsSeq = 0
  async function loadSteps(from: number): Promise<void> {
    const o = opened.value
    const g = guest.value
    if (o === null || g === null) return
    const mine = ++stepsSeq
    stepsLoading.value = true
    const r = await activity.track(
      'runs.steps',
      `Reading run #${o.run.id}, guest ${g}`,
      () => api.getRun({ id: o.run.id, guest: g, limit: STEPS_PAGE, offset: Math.max(0, from) }),
      { retry: () => void loadSteps(from) },
    )
    if (mine !== stepsSeq) return
    stepsLoading.value = false
    if (!r.ok) return
    opened.value = { run: r.value.run, guests: r.value.guests }
    steps.value = r.value.results
    stepsTotal.value = r.value.total
    stepsOffset.value = r.value.offset
  }

  function selectGuest(name: string): void {
    if (guest.value === name) return
    guest.value = name
    selectedSeq.value = null
    stepDetail.value = null
    steps.value = []
    stepsTotal.value = 0
    stepsOffset.value = 0
    void loadSteps(0)
  }

  let stepSeq = 0
  async function selectStep(seq: number): Promise<void> {
    const o = opened.value
    if (o === null) return
    const mine = ++stepSeq
    selectedSeq.value = seq
    const r = await activity.track('runs.step', `Reading the trace of step ${seq}`, () =>
      api.getRun({ id: o.run.id, afterSeq: seq - 1, limit: 1, trace: true }),
    )
    if (mine !== stepSeq || !r.ok) return
    stepDetail.value = r.value.results[0] ?? null
  }

  /** Opens run `id` at step `seq` (from a comparison): the step's guest, its first page, the step's trace. */
  async function openStep(id: number, seq: number): Promise<void> {
    await openRun(id)
    const o = opened.value
    if (o === null || o.run.id !== id) return
    const r = await activity.track('runs.step', `Reading step ${seq} of run #${id}`, () =>
      api.getRun({ id, afterSeq: seq - 1, limit: 1, trace: true }),
    )
    const s = r.ok ? r.value.results[0] : undefined
    if (!s || opened.value?.run.id !== id) return
    const g = o.guests.find((x) => x.guest === s.guest)
    if (g && g.name !== guest.value) {
      guest.value = g.name
      await loadSteps(0)
    }
    selectedSeq.value = seq
    stepDetail.value = s
  }

  /** Runs a session and stores the run, then shows it. */
  async function runAndStore(
    session: SessionRef,
    snapshot: SessionInput | null,
    label: string,
  ): Promise<number | null> {
    if (running.value) return null
    running.value = true
    const r = await activity.track(
      'runs.run',
      `Running ${label}`,
      () => api.runStored({ session, trace: true, keepSteps: false }),
      { done: (v) => `run #${v.runId}: ${label}, ${v.run.steps} steps, ${v.run.status}` },
    )
    running.value = false
    if (!r.ok) return null
    if (snapshot) remember(r.value.runId, snapshot)
    offset.value = 0
    await Promise.all([load(), sessions.refresh()])
    await openRun(r.value.runId)
    return r.value.runId
  }

  /** Runs what the source picker names: the editor's session, a built-in example or a saved session. */
  async function runSelected(): Promise<number | null> {
    const src = runSource.value
    if (src === 'editor') {
      await editor.ensureLoaded()
      const doc = editor.doc
      if (doc === null) return null
      // A saved session without unsaved changes runs as itself, so the run links to it.
      if (sessions.savedId !== null && !sessions.dirty)
        return runAndStore(sessions.savedId, doc, `${doc.name} (saved #${sessions.savedId})`)
      return runAndStore(doc, doc, doc.name)
    }
    if (src.startsWith('builtin:')) {
      const name = src.slice('builtin:'.length)
      const ex = editor.examples.find((e) => e.name === name)
      return runAndStore(src, ex ? ex.session : null, name)
    }
    const id = Number(src.slice('saved:'.length))
    const rec = await activity.track('runs.run', `Reading saved session #${id}`, () => api.getSession({ id }))
    if (!rec.ok) return null
    return runAndStore(id, rec.value.document, `${rec.value.name} (saved #${id})`)
  }

  function rerunPlan(run: RunSummary): RerunPlan {
    if (run.origin === 'import') return { ref: null, note: 'an imported run carries no session to run again' }
    const snap = snapshots.value.get(run.id)
    if (snap) return { ref: snap, snapshot: snap, note: 'the session exactly as this run had it' }
    if (run.sessionId !== null) {
      const saved = sessions.list.find((s) => s.id === run.sessionId)
      if (!saved && sessions.loaded)
        return { ref: null, note: `saved session #${run.sessionId} was deleted; its snapshot is not readable` }
      const changed = saved !== undefined && saved.updated > run.started
      return {
        ref: run.sessionId,
        snapshot: null,
        note: changed
          ? `saved session #${run.sessionId} as it is now (it changed after this run)`
          : `saved session #${run.sessionId} (unchanged since this run)`,
      }
    }
    const ex = editor.examples.find((e) => e.name === run.sessionName)
    if (ex && ex.session.host.kernel === run.kernel && (ex.session.seed ?? 1) === run.seed)
      return {
        ref: `builtin:${ex.name}`,
        snapshot: ex.session,
        note: `the built-in session ${ex.name} (same name, kernel and seed; the run's own snapshot is not readable)`,
      }
    return { ref: null, note: "the service does not hand out a run's session snapshot" }
  }

  async function rerun(run: RunSummary): Promise<number | null> {
    const plan = rerunPlan(run)
    if (plan.ref === null) return null
    return runAndStore(plan.ref, plan.snapshot, `${run.sessionName} again (re-run of #${run.id})`)
  }

  async function summary(id: number): Promise<RunSummary> {
    return (await api.getRun({ id, limit: 1 })).run
  }

  async function stepsOf(run: RunSummary, seqs: readonly (number | null)[]): Promise<Map<number, StoredStep>> {
    const want = seqs.filter((s): s is number => s !== null)
    const out = new Map<number, StoredStep>()
    if (want.length === 0) return out
    if (run.steps <= DIFF_READ_WHOLE) {
      const p = await api.getRun({ id: run.id, limit: DIFF_READ_WHOLE })
      for (const s of p.results) out.set(s.seq, s)
      return out
    }
    for (const seq of want.slice(0, DIFF_READ_STEPS)) {
      const p = await api.getRun({ id: run.id, afterSeq: seq - 1, limit: 1 })
      if (p.results[0]) out.set(seq, p.results[0])
    }
    return out
  }

  /** The two checked runs, older as A and newer as B. */
  async function compare(): Promise<void> {
    if (checked.value.length !== 2) return
    const [a, b] = [...checked.value].sort((x, y) => x - y) as [number, number]
    await compareRuns(a, b)
  }

  async function compareRuns(a: number, b: number): Promise<void> {
    diffLoading.value = true
    const r = await activity.track('runs.diff', `Comparing runs #${a} and #${b}`, async () => {
      const [d, ra, rb] = await Promise.all([api.diffRuns({ a, b, limit: DIFF_LIMIT }), summary(a), summary(b)])
      const [stepsA, stepsB] = await Promise.all([
        stepsOf(
          ra,
          d.changes.map((c) => c.seqA),
        ),
        stepsOf(
          rb,
          d.changes.map((c) => c.seqB),
        ),
      ])
      return { diff: d, a: ra, b: rb, stepsA, stepsB }
    })
    diffLoading.value = false
    if (!r.ok) return
    diff.value = r.value
    view.value = 'diff'
  }

  function swapDiff(): void {
    const d = diff.value
    if (d) void compareRuns(d.b.id, d.a.id)
  }

  async function exportRun(id: number, format: 'json' | 'csv'): Promise<void> {
    const r = await activity.track('runs.export', `Exporting run #${id} as ${format.toUpperCase()}`, () =>
      api.exportRun({ id, format }),
    )
    if (!r.ok) return
    downloadText(r.value.fileName, r.value.text, format === 'csv' ? 'text/csv' : 'application/json')
    activity.lastMessage = `exported run #${id} as ${r.value.fileName}`
  }

  /** An `aplab/results@1` file: checked completely, stored as an imported run, then opened. */
  async function importFile(file: File): Promise<boolean> {
    importError.value = null
    importName.value = file.name
    let textValue: string
    try {
      textValue = await file.text()
    } catch (e) {
      importError.value = { code: 'invalid-input', message: `cannot read ${file.name}: ${String(e)}` }
      return false
    }
    const r = await activity.track('runs.import', `Importing ${file.name}`, () => api.importRun({ text: textValue }))
    if (!r.ok) {
      if (r.error.code !== 'internal') activity.clear('runs.import')
      importError.value = r.error
      return false
    }
    activity.lastMessage = `imported ${file.name} as run #${r.value.id}`
    offset.value = 0
    await load()
    await openRun(r.value.id)
    return true
  }

  async function deleteRun(id: number): Promise<void> {
    confirmDelete.value = null
    const r = await activity.track('runs.delete', `Deleting run #${id}`, () => api.deleteRun({ id }))
    if (!r.ok) return
    checked.value = checked.value.filter((x) => x !== id)
    if (opened.value?.run.id === id) {
      opened.value = null
      steps.value = []
      stepDetail.value = null
      selectedSeq.value = null
    }
    if (diff.value && (diff.value.a.id === id || diff.value.b.id === id)) diff.value = null
    if (cursorId.value === id) cursorId.value = null
    activity.lastMessage = `deleted run #${id}`
    await load()
  }

  return {
    status,
    sessionId,
    text,
    offset,
    total,
    runs,
    scanCapped,
    loading,
    loaded,
    noDb,
    cursorId,
    checked,
    opened,
    guest,
    steps,
    stepsTotal,
    stepsOffset,
    stepsLoading,
    selectedSeq,
    stepDetail,
    diff,
    diffLoading,
    view,
    snapshots,
    runSource,
    running,
    confirmDelete,
    importError,
    importName,
    pages,
    page,
    canCompare,
    load,
    setFilters,
    goPage,
    toggleCheck,
    openRun,
    loadSteps,
    selectGuest,
    selectStep,
    openStep,
    runSelected,
    rerunPlan,
    rerun,
    compare,
    compareRuns,
    swapDiff,
    exportRun,
    importFile,
    deleteRun,
  }
})
