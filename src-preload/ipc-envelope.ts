// What every `aplab:*` IPC handler resolves with. Thrown errors lose their fields when Electron
// serializes them across IPC, so the main process returns failures as data instead.
import type { LabErrorBody, LabErrorCode } from './contract'

export type IpcEnvelope<T = unknown> = { ok: true; value: T } | { ok: false; error: LabErrorBody }

const ERROR_CODES: readonly LabErrorCode[] = ['invalid-input', 'not-found', 'conflict', 'internal']

export function isIpcEnvelope(x: unknown): x is IpcEnvelope {
  if (typeof x !== 'object' || x === null) return false
  const e = x as Record<string, unknown>
  if (e.ok === true) return 'value' in e
  if (e.ok !== false || typeof e.error !== 'object' || e.error === null) return false
  const body = e.error as Record<string, unknown>
  return (
    ERROR_CODES.includes(body.code as LabErrorCode) &&
    typeof body.message === 'string' &&
    (body.field === undefined || typeof body.field === 'string')
  )
}

/** The rejection the renderer sees for `{ ok: false }`. */
export class LabIpcError extends Error {
  readonly code: LabErrorCode
  readonly field: string | undefined

  constructor(body: LabErrorBody) {
    super(formatLabErrorMessage(body))
    this.name = 'LabIpcError'
    this.code = body.code
    this.field = body.field
  }
}

// contextBridge hands the page a copy of a thrown Error that keeps only `message`, so code and field
// travel inside it: "[invalid-input:payload.id] payload.id: Too small: ...".
export function formatLabErrorMessage(body: LabErrorBody): string {
  const field = body.field !== undefined && /^[^\]\n]*$/.test(body.field) ? `:${body.field}` : ''
  return `[${body.code}${field}] ${body.message}`
}

/** Recovers the error body from a `LabIpcError` message after it has crossed contextBridge. */
export function parseLabErrorMessage(text: string): LabErrorBody | undefined {
  const m = /^\[([a-z-]+)(?::([^\]\n]*))?\] ([\s\S]*)$/.exec(text)
  if (!m || !ERROR_CODES.includes(m[1] as LabErrorCode)) return undefined
  const body: LabErrorBody = { code: m[1] as LabErrorCode, message: m[3]! }
  if (m[2] !== undefined) body.field = m[2]
  return body
}

export function unwrapIpcEnvelope<T>(channel: string, x: unknown): T {
  if (!isIpcEnvelope(x)) throw new Error(`aplab: malformed reply on IPC channel '${channel}'`)
  if (!x.ok) throw new LabIpcError(x.error)
  return x.value as T
}
