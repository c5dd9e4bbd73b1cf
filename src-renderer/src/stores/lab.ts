// Lab session: the session document being edited (starts from a built-in example), its lab view
// (APQN owners, mdevs, guests; refreshed whenever the document changes), assignment changes as
// the host kernel answers them, an undo stack, and the results of the last run.
import { defineStore } from 'pinia'
import { computed, ref, shallowRef, watch } from 'vue'
import type { AssignmentAnswer, LabView, RunResults, SessionInput } from '../../../src-preload/contract'
import { LabCallError, lab } from '../bridge'
import type { LabFailure } from '../failure'
import { useActivityStore } from './activity'

export type { LabView, RunResults, SessionInput }
export type GuestInput = NonNullable<SessionInput['guests']>[number]
export type MdevInput = NonNullable<SessionInput['mdevs']>[number]
export type AssignKind = 'adapter' | 'domain' | 'control_domain'

export const DEFAULT_EXAMPLE = 'two-guests-one-adapter'
export const SYNTHETIC_PREFIX = 'synthetic-'
const UNDO_LIMIT = 100
/** Edits with the same key within this window (typing in one editor) make one undo entry. */
const COALESCE_MS = 1500

export interface Example {
  name: string
  description: string
  session: SessionInput
}

export interface AssignWrite {
  mdev: string
  kind: AssignKind
  id: number
  action: 'assign' | 'unassign'
}

export interface WriteLogEntry extends AssignWrite {
  seq: number
  /** The sysfs write, e.g. `echo 0x4 > /sys/devices/vfio_ap/matrix/mdev-g2/assign_domain`. */
  command: string
  ok: boolean
  errno: string | null
  reason: string
  running: boolean
}

export interface Refusal {
  errno: string
  reason: string
  command: string
  write: AssignWrite
  /** Writes of the same gesture that the kernel accepted before this one (not kept). */
  rolledBack: number
  running: boolean
}

interface UndoEntry {
  doc: SessionInput
  label: string
}

/** What each errno means, as strerror(3) words it. */
export const ERRNO_TEXT: Record<string, string> = {
  EBUSY: 'Device or resource busy',
  EADDRINUSE: 'Address already in use',
  EADDRNOTAVAIL: 'Cannot assign requested address',
  ENODEV: 'No such device',
  EINVAL: 'Invalid argument',
  ERANGE: 'Numerical result out of range',
  EPERM: 'Operation not permitted',
  ENOENT: 'No such file or directory',
}

export function sysfsCommand(w: AssignWrite): string {
  const attr = `${w.action === 'assign' ? 'assign' : 'unassign'}_${w.kind}`
  return `echo 0x${w.id.toString(16)} > /sys/devices/vfio_ap/matrix/${w.mdev}/${attr}`
}

/**
 * A session with `n` adapters × `n` domains (every APQN exists), sixteen mdevs and eight running
 * guests, some cards check-stopped or deconfigured: the Queue assignment screen's render benchmark.
 */
export function syntheticSession(n: number): SessionInput {
  const size = Math.max(1, Math.min(256, Math.trunc(n)))
  const ids = Array.from({ length: size }, (_, i) => i)
  const block = Math.max(1, Math.floor(size / 16))
  const mdevs = Array.from({ length: Math.min(16, size) }, (_, k) => ({
    uuid: `mdev-${k.toString().padStart(2, '0')}`,
    adapters: ids.slice(k * block, k * block + Math.max(1, block >> 2)),
    domains: ids.slice(k * block, k * block + Math.max(1, block >> 1)),
    controlDomains: [k * block],
  }))
  return {
    format: 'aplab/session@1',
    name: `${SYNTHETIC_PREFIX}${size}`,
    description: `Synthetic ${size} × ${size} host for the grid render measurement`,
    host: {
      kernel: 'linux-6.8',
      adapters: ids.map((id) => ({
        id,
        type: (['CEX5', 'CEX6', 'CEX7', 'CEX8'] as const)[id % 4],
        domains: ids,
        controlDomains: ids.filter((d) => d % 16 === 0),
        state: id % 37 === 5 ? 'checkstopped' : id % 53 === 7 ? 'deconfigured' : 'online',
      })),
    },
    mdevs,
    guests: mdevs.slice(0, 8).map((m, k) => ({ name: `g${k}`, qemu: 'qemu-8.2', mdev: m.uuid })),
  }
}

/**
 * `#queues?synthetic=256` (or `?synthetic=256` in the query) asks for the synthetic session.
 * Read once at start-up; the hash is rewritten to `#queues` so the screen router finds the screen.
 */
function takeSyntheticFromUrl(): number | null {
  if (typeof location === 'undefined') return null
  const fromHash = /^#\/?queues\?(?:.*&)?synthetic=(\d+)/.exec(location.hash)
  const fromQuery = /[?&]synthetic=(\d+)/.exec(location.search)
  const m = fromHash ?? fromQuery
  if (!m) return null
  if (fromHash && typeof history !== 'undefined')
    history.replaceState(null, '', location.pathname + location.search + '#queues')
  return Number(m[1])
}

const SYNTHETIC_FROM_URL = takeSyntheticFromUrl()

export const useLabStore = defineStore('lab', () => {
  const activity = useActivityStore()

  const examples = shallowRef<Example[]>([])
  /** The example the document started from ('' for none). */
  const origin = ref('')
  const doc = shallowRef<SessionInput | null>(null)
  const undoStack = shallowRef<UndoEntry[]>([])
  const redoStack = shallowRef<UndoEntry[]>([])
  let lastEdit: { key: string; at: number } | null = null

  const view = shallowRef<LabView | null>(null)
  /** The document `view` belongs to. */
  const viewDoc = shallowRef<SessionInput | null>(null)
  /** performance.now() when `view` was set: the start of the grid render measurement. */
  const viewAt = ref(0)
  const viewError = shallowRef<LabFailure | null>(null)
  const viewLoading = ref(false)

  const results = shallowRef<RunResults | null>(null)
  const resultsDoc = shallowRef<SessionInput | null>(null)
  const runError = shallowRef<LabFailure | null>(null)
  const running = ref(false)
  /** The database id of the last run, when it was stored. */
  const storedRunId = ref<number | null>(null)
  /** The host as the last run left it (queues' interrupt state included), from labView afterRun. */
  const endView = shallowRef<LabView | null>(null)

  /** Whether guests are running while assignments change (static-era kernels answer EBUSY). */
  const guestsRunning = ref(false)
  const selectedMdev = ref<string | null>(null)
  const refusal = shallowRef<Refusal | null>(null)
  const writeLog = shallowRef<WriteLogEntry[]>([])
  const assigning = ref(false)
  let writeSeq = 0

  const example = computed(() => examples.value.find((e) => e.name === origin.value) ?? null)
  const canUndo = computed(() => undoStack.value.length > 0)
  const canRedo = computed(() => redoStack.value.length > 0)
  const modified = computed(() => {
    const e = example.value
    return doc.value !== null && (e === null || JSON.stringify(e.session) !== JSON.stringify(doc.value))
  })
  const viewStale = computed(() => view.value !== null && viewDoc.value !== doc.value)
  const resultsStale = computed(() => results.value !== null && resultsDoc.value !== doc.value)

  let loading: Promise<void> | null = null

  /** Loads the examples once and opens the default one (or the synthetic session the URL asks for). */
  function ensureLoaded(): Promise<void> {
    if (loading) return loading
    loading = (async () => {
      const r = await activity.track('lab.examples', 'Loading example sessions', () => lab.listExamples(), {
        retry: () => {
          loading = null
          void ensureLoaded()
        },
      })
      if (!r.ok) {
        loading = null
        return
      }
      examples.value = r.value
      if (doc.value !== null) return
      if (SYNTHETIC_FROM_URL !== null) openSynthetic(SYNTHETIC_FROM_URL)
      else openExample(r.value.some((e) => e.name === DEFAULT_EXAMPLE) ? DEFAULT_EXAMPLE : (r.value[0]?.name ?? ''))
    })()
    return loading
  }

  function replaceDoc(next: SessionInput, label: string): void {
    if (doc.value !== null) pushUndo({ doc: doc.value, label })
    doc.value = next
    redoStack.value = []
    lastEdit = null
  }

  function pushUndo(entry: UndoEntry): void {
    undoStack.value = [...undoStack.value, entry].slice(-UNDO_LIMIT)
  }

  function openExample(name: string): void {
    const e = examples.value.find((x) => x.name === name)
    if (!e) return
    origin.value = name
    replaceDoc(structuredClone(e.session), `open example ${name}`)
    afterDocSwap()
  }

  function openSynthetic(n: number): void {
    origin.value = ''
    replaceDoc(syntheticSession(n), `open synthetic ${n} × ${n}`)
    afterDocSwap()
  }

  function afterDocSwap(): void {
    refusal.value = null
    const mdevs = doc.value?.mdevs ?? []
    if (selectedMdev.value !== null && !mdevs.some((m) => m.uuid === selectedMdev.value)) selectedMdev.value = null
  }

  /**
   * Replaces the document with an edited copy; undoable. Edits with the same `coalesce` key in
   * quick succession (typing) are one undo step.
   */
  function edit(next: SessionInput, label: string, coalesce?: string): void {
    const cur = doc.value
    if (cur === null || JSON.stringify(cur) === JSON.stringify(next)) return
    const now = Date.now()
    const merge = coalesce !== undefined && lastEdit?.key === coalesce && now - lastEdit.at < COALESCE_MS
    if (!merge) pushUndo({ doc: cur, label })
    doc.value = next
    redoStack.value = []
    lastEdit = coalesce !== undefined ? { key: coalesce, at: now } : null
  }

  function undo(): void {
    const top = undoStack.value[undoStack.value.length - 1]
    if (!top || doc.value === null) return
    undoStack.value = undoStack.value.slice(0, -1)
    redoStack.value = [...redoStack.value, { doc: doc.value, label: top.label }]
    doc.value = top.doc
    lastEdit = null
    activity.lastMessage = `undid: ${top.label}`
    afterDocSwap()
  }

  function redo(): void {
    const top = redoStack.value[redoStack.value.length - 1]
    if (!top || doc.value === null) return
    redoStack.value = redoStack.value.slice(0, -1)
    pushUndo({ doc: doc.value, label: top.label })
    doc.value = top.doc
    lastEdit = null
    activity.lastMessage = `redid: ${top.label}`
    afterDocSwap()
  }

  let viewSeq = 0
  async function refreshView(): Promise<void> {
    const d = doc.value
    if (d === null) return
    const mine = ++viewSeq
    viewLoading.value = true
    const r = await activity.track('lab.view', 'Reading the lab view', () => lab.labView({ session: d }), {
      retry: () => void refreshView(),
    })
    if (mine !== viewSeq) return
    viewLoading.value = false
    if (r.ok) {
      viewAt.value = performance.now()
      view.value = r.value
      viewDoc.value = d
      viewError.value = null
    } else {
      viewError.value = r.error
    }
  }

  /** Typing in an editor changes the document on every keystroke; ask for the view once it settles. */
  let viewTimer: ReturnType<typeof setTimeout> | null = null
  watch(doc, () => {
    if (viewTimer !== null) clearTimeout(viewTimer)
    viewTimer = setTimeout(() => {
      viewTimer = null
      void refreshView()
    }, 40)
  })

  /**
   * Applies sysfs writes one after the other as the kernel answers them. The document changes
   * only if every write of the gesture is accepted; a refusal keeps it unchanged.
   */
  async function applyWrites(writes: readonly AssignWrite[], label: string): Promise<boolean> {
    const start = doc.value
    if (start === null || writes.length === 0 || assigning.value) return false
    assigning.value = true
    const runningNow = guestsRunning.value
    let session: SessionInput = start
    let accepted = 0
    const log: WriteLogEntry[] = []
    try {
      for (const w of writes) {
        const s = session
        const r = await activity.track('lab.assign', 'Changing the assignment', () =>
          lab.changeAssignment({ session: s, ...w, running: runningNow }),
        )
        if (!r.ok) return false
        const a: AssignmentAnswer = r.value
        const command = sysfsCommand(w)
        log.push({
          ...w,
          seq: ++writeSeq,
          command,
          ok: a.ok,
          errno: a.errno,
          reason: a.reason,
          running: runningNow,
        })
        if (!a.ok) {
          refusal.value = {
            errno: a.errno ?? 'EIO',
            reason: a.reason,
            command,
            write: w,
            rolledBack: accepted,
            running: runningNow,
          }
          activity.lastMessage = `refused: ${a.errno} ${command}`
          return false
        }
        session = a.session
        accepted++
      }
      if (doc.value !== start) {
        activity.lastMessage = `${label}: not applied, the session changed meanwhile`
        return false
      }
      refusal.value = null
      edit(session, label)
      activity.lastMessage = `${label}: applied`
      return true
    } finally {
      writeLog.value = [...log.reverse(), ...writeLog.value].slice(0, 50)
      assigning.value = false
    }
  }

  function dismissRefusal(): void {
    refusal.value = null
  }

  function selectMdev(uuid: string | null): void {
    selectedMdev.value = selectedMdev.value === uuid ? null : uuid
  }

  function addMdev(): string | null {
    const d = doc.value
    if (d === null) return null
    const taken = new Set((d.mdevs ?? []).map((m) => m.uuid))
    let n = (d.mdevs ?? []).length + 1
    while (taken.has(`mdev-${n}`)) n++
    const uuid = `mdev-${n}`
    edit({ ...d, mdevs: [...(d.mdevs ?? []), { uuid, adapters: [], domains: [], controlDomains: [] }] }, `add ${uuid}`)
    selectedMdev.value = uuid
    return uuid
  }

  function removeMdev(uuid: string): void {
    const d = doc.value
    if (d === null) return
    if ((d.guests ?? []).some((g) => g.mdev === uuid) || (d.events ?? []).some((e) => 'mdev' in e && e.mdev === uuid))
      return
    edit({ ...d, mdevs: (d.mdevs ?? []).filter((m) => m.uuid !== uuid) }, `remove ${uuid}`)
    if (selectedMdev.value === uuid) selectedMdev.value = null
  }

  function setKernel(kernel: string): void {
    const d = doc.value
    if (d === null || d.host.kernel === kernel) return
    edit({ ...d, host: { ...d.host, kernel } }, `host kernel ${kernel}`)
  }

  /** Replaces guest `index` with `next` (its configuration or program). */
  function updateGuest(index: number, next: GuestInput, label: string, coalesce?: string): void {
    const d = doc.value
    if (d === null || !d.guests?.[index]) return
    const guests = d.guests.map((g, i) => (i === index ? next : g))
    edit({ ...d, guests }, label, coalesce)
  }

  /** Runs through the database when one is open (the run then appears on the Runs screen), else in memory. */
  async function runAndStore(d: SessionInput): Promise<RunResults> {
    try {
      const stored = await lab.runStored({ session: d, trace: true, keepSteps: true })
      storedRunId.value = stored.runId
      return stored.results
    } catch (err) {
      if (!(err instanceof LabCallError) || err.code !== 'conflict') throw err
      storedRunId.value = null
      return lab.runSession({ session: d, trace: true })
    }
  }

  async function run(): Promise<void> {
    const d = doc.value
    if (d === null || running.value) return
    running.value = true
    const r = await activity.track('lab.run', `Running ${d.name}`, () => runAndStore(d), {
      done: (res) =>
        `${res.session}: ${res.counts.steps} steps, ${res.counts.interrupts} interrupts, ended at ${res.endUs} µs`,
      retry: () => void run(),
    })
    running.value = false
    if (r.ok) {
      results.value = r.value
      resultsDoc.value = d
      runError.value = null
      endView.value = null
      const end = await activity.track('lab.end-view', 'Reading the host after the run', () =>
        lab.labView({ session: d, afterRun: true }),
      )
      if (end.ok && resultsDoc.value === d) endView.value = end.value
    } else {
      runError.value = r.error
    }
  }

  return {
    storedRunId,
    endView,
    examples,
    origin,
    doc,
    undoStack,
    redoStack,
    view,
    viewDoc,
    viewAt,
    viewError,
    viewLoading,
    results,
    resultsDoc,
    runError,
    running,
    guestsRunning,
    selectedMdev,
    refusal,
    writeLog,
    assigning,
    example,
    canUndo,
    canRedo,
    modified,
    viewStale,
    resultsStale,
    ensureLoaded,
    openExample,
    openSynthetic,
    edit,
    undo,
    redo,
    refreshView,
    applyWrites,
    dismissRefusal,
    selectMdev,
    addMdev,
    removeMdev,
    setKernel,
    updateGuest,
    run,
  }
})
