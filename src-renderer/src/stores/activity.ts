// Bridge-call activity shared by every screen: what is in flight (top-bar status) and which
// calls failed (the error banner). Screens never swallow a failure: `track` records it here.
import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import { toFailure, type LabFailure } from '../failure'

export interface ReportedError extends LabFailure {
  id: number
  /** Stable key of the operation, e.g. `profiles.load`; a later success clears its errors. */
  source: string
  /** What the user was doing, e.g. `Loading profiles`. */
  context: string
  at: Date
  retry: (() => void) | null
}

export type Tracked<T> = { ok: true; value: T } | { ok: false; error: LabFailure }

/** The banner keeps the most recent errors; older ones are dropped, not hidden. */
const MAX_ERRORS = 20

interface Pending {
  id: number
  label: string
}

export const useActivityStore = defineStore('activity', () => {
  let nextId = 1
  const pending = ref<Pending[]>([])
  const errors = shallowRef<ReportedError[]>([])
  const lastMessage = ref('')

  const busy = computed(() => pending.value.length > 0)
  const busyLabel = computed(() => pending.value[pending.value.length - 1]?.label ?? '')

  function report(source: string, context: string, err: unknown, retry: (() => void) | null = null): LabFailure {
    const failure = toFailure(err)
    const entry: ReportedError = { ...failure, id: nextId++, source, context, at: new Date(), retry }
    errors.value = [...errors.value, entry].slice(-MAX_ERRORS)
    return failure
  }

  function dismiss(id: number): void {
    errors.value = errors.value.filter((e) => e.id !== id)
  }

  function clear(source?: string): void {
    errors.value = source === undefined ? [] : errors.value.filter((e) => e.source !== source)
  }

  /**
   * Runs one bridge call: shows it as in flight, clears earlier errors of the same source on
   * success, records the failure (with an optional retry) otherwise.
   */
  async function track<T>(
    source: string,
    label: string,
    call: () => Promise<T>,
    opts: { done?: (value: T) => string; retry?: () => void } = {},
  ): Promise<Tracked<T>> {
    const entry: Pending = { id: nextId++, label }
    pending.value = [...pending.value, entry]
    try {
      const value = await call()
      clear(source)
      if (opts.done) lastMessage.value = opts.done(value)
      return { ok: true, value }
    } catch (err) {
      clear(source) // a repeated failure replaces the earlier one instead of stacking up
      const error = report(source, label, err, opts.retry ?? null)
      lastMessage.value = `${label} failed`
      return { ok: false, error }
    } finally {
      pending.value = pending.value.filter((p) => p.id !== entry.id)
    }
  }

  return { pending, errors, lastMessage, busy, busyLabel, report, dismiss, clear, track }
})
