// Saved lab sessions (the database) and where the editor's document came from: a built-in example,
// a saved session, or nothing saved yet. The document itself lives in the `lab` store; this store
// only reads it and opens documents through its public actions (`openExample`, `edit`). Tracks a
// baseline to tell unsaved changes, asks before they are thrown away, and keeps a Recent list.
import { defineStore } from 'pinia'
import { computed, ref, shallowRef, watch } from 'vue'
import type { SessionInput, SessionSummary } from '../../../src-preload/contract'
import { lab as api, labMode } from '../bridge'
import { downloadText } from '../components/store/util'
import { failureText, type LabFailure } from '../failure'
import { useActivityStore } from './activity'
import { SYNTHETIC_PREFIX, useLabStore } from './lab'

export type SessionSource =
  | { kind: 'example'; name: string }
  | { kind: 'saved'; id: number; name: string }
  /** The synthetic benchmark host: generated, never meant to be saved. */
  | { kind: 'generated'; name: string }
  /** Stored nowhere (its saved session was deleted, or it came from elsewhere). */
  | { kind: 'unsaved'; name: string; note: string }

interface Provenance {
  source: SessionSource
  /** JSON text of the document as it was opened or saved; null: nothing to compare with. */
  baseline: string | null
}

export interface RecentSession {
  id: number
  name: string
  /** ISO time it was last opened or saved. */
  at: string
}

export interface PendingSwitch {
  /** What the user asked for, e.g. `open "lab 2" (#4)`. */
  label: string
  proceed: () => Promise<void> | void
}

export interface SaveAsPrompt {
  name: string
  /** Runs after a successful save (the unsaved-changes guard continues with it). */
  then: (() => Promise<void> | void) | null
}

const RECENT_KEY = 'aplab.sessions.recent'
const RECENT_MAX = 8

function readRecent(): RecentSession[] {
  try {
    const raw = typeof localStorage === 'undefined' ? null : localStorage.getItem(RECENT_KEY)
    const list: unknown = raw ? JSON.parse(raw) : []
    if (!Array.isArray(list)) return []
    return list
      .filter(
        (e): e is RecentSession =>
          e !== null &&
          typeof e === 'object' &&
          Number.isSafeInteger((e as RecentSession).id) &&
          typeof (e as RecentSession).name === 'string' &&
          typeof (e as RecentSession).at === 'string',
      )
      .slice(0, RECENT_MAX)
  } catch {
    return []
  }
}

function writeRecent(list: readonly RecentSession[]): void {
  try {
    localStorage.setItem(RECENT_KEY, JSON.stringify(list))
  } catch {
    // Storage full or disabled: the list lives for this page only.
  }
}

export const useSessionsStore = defineStore('sessions', () => {
  const activity = useActivityStore()
  const editor = useLabStore()

  const list = shallowRef<SessionSummary[]>([])
  const loading = ref(false)
  const loaded = ref(false)
  /** Why the database cannot be used (no database open), or null. */
  const noDb = ref<string | null>(null)
  const selectedId = ref<number | null>(null)
  const source = shallowRef<SessionSource | null>(null)
  const baseline = ref<string | null>(null)
  const recent = ref<RecentSession[]>(readRecent())
  const pending = shallowRef<PendingSwitch | null>(null)
  const saveAs = shallowRef<SaveAsPrompt | null>(null)
  const saveError = shallowRef<LabFailure | null>(null)
  const importError = shallowRef<LabFailure | null>(null)
  const importName = ref('')
  const confirmDelete = ref<number | null>(null)
  const saving = ref(false)
  const importing = ref(false)
  /** The outcome of the last action, shown under the header. */
  const message = ref('')

  /** Where each document object the editor held came from (documents are never mutated in place). */
  const provenance = new WeakMap<object, Provenance>()

  const docText = computed(() => (editor.doc === null ? null : JSON.stringify(editor.doc)))
  const dirty = computed(() => {
    const s = source.value
    if (editor.doc === null || s === null) return false
    if (s.kind === 'unsaved') return true
    return baseline.value !== null && docText.value !== baseline.value
  })
  const savedId = computed(() => (source.value?.kind === 'saved' ? source.value.id : null))
  const selected = computed(() => list.value.find((s) => s.id === selectedId.value) ?? null)

  function adopt(doc: SessionInput, p: Provenance): void {
    provenance.set(doc, p)
    source.value = p.source
    baseline.value = p.baseline
  }

  // Documents the editor got without this store (the example picker of the lab screens, undo,
  // the synthetic host): recognise them, so that Save never writes an example over a saved session.
  watch(
    () => editor.doc,
    (doc, prev) => {
      if (doc === null) return
      const known = provenance.get(doc)
      if (known) {
        source.value = known.source
        baseline.value = known.baseline
        return
      }
      const text = JSON.stringify(doc)
      const ex = editor.example
      const replaced = prev === null || prev === undefined || JSON.stringify(prev) !== text
      if (ex && (source.value === null || replaced) && text === JSON.stringify(ex.session)) {
        adopt(doc, { source: { kind: 'example', name: ex.name }, baseline: text })
      } else if (editor.origin === '' && doc.name.startsWith(SYNTHETIC_PREFIX) && prev?.name !== doc.name) {
        adopt(doc, { source: { kind: 'generated', name: doc.name }, baseline: text })
      } else if (source.value === null) {
        adopt(doc, { source: { kind: 'unsaved', name: doc.name, note: 'not saved yet' }, baseline: null })
      }
      // Otherwise an edit: the source stays and `dirty` compares with its baseline.
    },
    { immediate: true },
  )

  /** Errors the screen shows inline (with the field path) leave the banner; internal ones stay there. */
  function inline(key: string, error: LabFailure): LabFailure {
    if (error.code !== 'internal') activity.clear(key)
    return error
  }

  function pushRecent(id: number, name: string): void {
    const next = [{ id, name, at: new Date().toISOString() }, ...recent.value.filter((r) => r.id !== id)]
    recent.value = next.slice(0, RECENT_MAX)
    writeRecent(recent.value)
  }

  function dropRecent(id: number): void {
    recent.value = recent.value.filter((r) => r.id !== id)
    writeRecent(recent.value)
  }

  let listSeq = 0
  async function refresh(): Promise<void> {
    const mine = ++listSeq
    loading.value = true
    const r = await activity.track('sessions.list', 'Loading saved sessions', () => api.listSessions(), {
      retry: () => void refresh(),
    })
    if (mine !== listSeq) return
    loading.value = false
    loaded.value = true
    if (r.ok) {
      list.value = r.value
      noDb.value = null
      // Names follow renames; sessions deleted elsewhere leave the Recent list.
      const byId = new Map(r.value.map((s) => [s.id, s]))
      const kept = recent.value.filter((e) => byId.has(e.id)).map((e) => ({ ...e, name: byId.get(e.id)!.name }))
      if (JSON.stringify(kept) !== JSON.stringify(recent.value)) {
        recent.value = kept
        writeRecent(kept)
      }
    } else if (r.error.code === 'conflict') {
      list.value = []
      noDb.value = failureText(r.error)
      activity.clear('sessions.list')
      activity.lastMessage = 'no database: sessions and runs are not stored'
    }
  }

  async function init(): Promise<void> {
    await Promise.all([refresh(), editor.ensureLoaded()])
  }

  /** Runs `proceed` now, or after the user decided what happens to the unsaved changes. */
  function guard(label: string, proceed: () => Promise<void> | void): void {
    if (!dirty.value) {
      void proceed()
      return
    }
    pending.value = { label, proceed }
  }

  async function resolvePending(choice: 'save' | 'discard' | 'cancel'): Promise<void> {
    const p = pending.value
    if (!p) return
    if (choice === 'cancel') {
      pending.value = null
      return
    }
    if (choice === 'discard') {
      pending.value = null
      await p.proceed()
      return
    }
    if (savedId.value !== null) {
      if (await save()) {
        pending.value = null
        await p.proceed()
      }
    } else {
      pending.value = null
      startSaveAs(p.proceed)
    }
  }

  async function open(id: number): Promise<boolean> {
    await editor.ensureLoaded()
    if (editor.doc === null) return false
    const r = await activity.track('sessions.open', `Opening saved session #${id}`, () => api.getSession({ id }), {
      retry: () => void open(id),
    })
    if (!r.ok) return false
    const rec = r.value
    if (JSON.stringify(editor.doc) !== JSON.stringify(rec.document))
      editor.edit(rec.document, `open saved session #${id} ${rec.name}`)
    const doc = editor.doc!
    adopt(doc, { source: { kind: 'saved', id, name: rec.name }, baseline: JSON.stringify(doc) })
    selectedId.value = id
    saveError.value = null
    pushRecent(id, rec.name)
    message.value = `Opened “${rec.name}” (#${id}) in the editor.`
    return true
  }

  async function newFromExample(name: string): Promise<void> {
    await editor.ensureLoaded()
    editor.openExample(name)
    const doc = editor.doc
    if (doc !== null && editor.origin === name) {
      adopt(doc, { source: { kind: 'example', name }, baseline: JSON.stringify(doc) })
      saveError.value = null
      message.value = `New session from the example ${name}; Save as stores it.`
    }
  }

  function startSaveAs(then: SaveAsPrompt['then'] = null): void {
    const doc = editor.doc
    if (doc === null) return
    saveError.value = null
    saveAs.value = { name: doc.name, then }
  }

  function cancelSaveAs(): void {
    saveAs.value = null
    saveError.value = null
  }

  /** Save: over the saved session the editor holds; anything else asks for a name first. */
  async function save(): Promise<boolean> {
    const s = source.value
    const doc = editor.doc
    if (doc === null) return false
    if (s?.kind !== 'saved') {
      startSaveAs()
      return false
    }
    saving.value = true
    const r = await activity.track('sessions.save', `Saving ${doc.name}`, () =>
      api.saveSession({ id: s.id, document: doc }),
    )
    saving.value = false
    if (!r.ok) {
      saveError.value = inline('sessions.save', r.error)
      if (r.error.code === 'not-found') {
        adopt(doc, {
          source: { kind: 'unsaved', name: doc.name, note: `saved session #${s.id} no longer exists` },
          baseline: null,
        })
      }
      return false
    }
    saveError.value = null
    const stored: Provenance = {
      source: { kind: 'saved', id: s.id, name: doc.name },
      baseline: JSON.stringify(doc),
    }
    provenance.set(doc, stored)
    if (editor.doc === doc) adopt(doc, stored)
    pushRecent(s.id, doc.name)
    message.value = `Saved “${doc.name}” (#${s.id}).`
    await refresh()
    return true
  }

  async function submitSaveAs(): Promise<boolean> {
    const prompt = saveAs.value
    const doc = editor.doc
    if (prompt === null || doc === null) return false
    const name = prompt.name.trim()
    if (name === '') {
      saveError.value = { code: 'invalid-input', message: 'a name is required', field: 'name' }
      return false
    }
    saving.value = true
    const r = await activity.track('sessions.save', `Saving as ${name}`, () => api.saveSession({ name, document: doc }))
    saving.value = false
    if (!r.ok) {
      saveError.value = inline('sessions.save', r.error)
      return false
    }
    const id = r.value.id
    const storedText = JSON.stringify({ ...doc, name })
    // The editor's document takes the name it was saved under (one undoable step).
    const cur = editor.doc
    if (cur !== null && cur.name !== name) editor.edit({ ...cur, name }, `save as “${name}”`)
    const now = editor.doc
    if (now !== null) adopt(now, { source: { kind: 'saved', id, name }, baseline: storedText })
    saveAs.value = null
    saveError.value = null
    selectedId.value = id
    pushRecent(id, name)
    message.value = `Saved as “${name}” (#${id}).`
    await refresh()
    if (prompt.then) await prompt.then()
    return true
  }

  async function remove(id: number): Promise<boolean> {
    confirmDelete.value = null
    const name = list.value.find((s) => s.id === id)?.name ?? `#${id}`
    const r = await activity.track('sessions.delete', `Deleting saved session #${id}`, () => api.deleteSession({ id }))
    if (!r.ok) return false
    const doc = editor.doc
    if (savedId.value === id && doc !== null)
      adopt(doc, {
        source: { kind: 'unsaved', name: doc.name, note: `saved session #${id} was deleted` },
        baseline: null,
      })
    dropRecent(id)
    if (selectedId.value === id) selectedId.value = null
    message.value = `Deleted “${name}” (#${id}); its runs stay in the history.`
    await refresh()
    return true
  }

  async function importFile(file: File): Promise<boolean> {
    importError.value = null
    importName.value = file.name
    let text: string
    try {
      text = await file.text()
    } catch (e) {
      importError.value = { code: 'invalid-input', message: `cannot read ${file.name}: ${String(e)}` }
      return false
    }
    importing.value = true
    const r = await activity.track('sessions.import', `Importing ${file.name}`, () => api.importSession({ text }))
    importing.value = false
    if (!r.ok) {
      importError.value = inline('sessions.import', r.error)
      return false
    }
    selectedId.value = r.value.id
    message.value = `Imported ${file.name} as “${r.value.name}” (#${r.value.id}).`
    await refresh()
    return true
  }

  async function exportSession(id: number): Promise<void> {
    const r = await activity.track('sessions.export', `Exporting saved session #${id}`, () => api.exportSession({ id }))
    if (!r.ok) return
    downloadText(r.value.fileName, r.value.text, 'application/json')
    message.value = `Exported “${r.value.name}” (#${id}) as ${r.value.fileName}.`
  }

  function select(id: number | null): void {
    selectedId.value = id
    if (confirmDelete.value !== id) confirmDelete.value = null
  }

  // Closing the page with unsaved changes asks first. Desktop: Electron cancels the close silently
  // unless the main process answers `will-prevent-unload`, so the guard is browser-only there.
  if (typeof window !== 'undefined' && labMode === 'browser') {
    window.addEventListener('beforeunload', (e) => {
      if (!dirty.value) return
      e.preventDefault()
      e.returnValue = ''
    })
  }

  return {
    list,
    loading,
    loaded,
    noDb,
    selectedId,
    selected,
    source,
    baseline,
    recent,
    pending,
    saveAs,
    saveError,
    importError,
    importName,
    confirmDelete,
    saving,
    importing,
    message,
    dirty,
    savedId,
    init,
    refresh,
    guard,
    resolvePending,
    open,
    newFromExample,
    startSaveAs,
    cancelSaveAs,
    save,
    submitSaveAs,
    remove,
    importFile,
    exportSession,
    select,
  }
})
