// Normalises whatever a bridge call rejected with into what the error banner shows.
// The bridge rejects with an Error carrying `code`, `field` and `message`; anything else
// (a bug, a lost connection) is shown as `internal` rather than dropped.

export interface LabFailure {
  code: string
  message: string
  field?: string
}

export function toFailure(err: unknown): LabFailure {
  if (err && typeof err === 'object') {
    const e = err as { code?: unknown; message?: unknown; field?: unknown }
    const code = typeof e.code === 'string' && e.code !== '' ? e.code : 'internal'
    const message = typeof e.message === 'string' && e.message !== '' ? e.message : String(err)
    const failure: LabFailure = { code, message }
    if (typeof e.field === 'string' && e.field !== '') failure.field = e.field
    return failure
  }
  return { code: 'internal', message: String(err) }
}

/** The message without a leading `field: ` the service may already have prefixed. */
export function failureText(f: LabFailure): string {
  if (f.field && f.message.startsWith(`${f.field}: `)) return f.message.slice(f.field.length + 2)
  return f.message
}
