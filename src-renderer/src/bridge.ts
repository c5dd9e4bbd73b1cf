// The one object screens talk to. In Electron the preload provides `window.lab`; in browser
// mode (`aplab serve`) the same operations go over HTTP to the same service.
import {
  OPERATION_NAMES,
  type LabApi,
  type LabErrorBody,
  type LabErrorCode,
  type OperationName,
} from '../../src-preload/contract'
import { parseLabErrorMessage } from '../../src-preload/ipc-envelope'

export type LabMode = 'desktop' | 'browser'

const ERROR_CODES: readonly LabErrorCode[] = ['invalid-input', 'not-found', 'conflict', 'internal']

export class LabCallError extends Error {
  readonly code: LabErrorCode
  readonly field: string | undefined

  constructor(body: LabErrorBody) {
    super(body.message)
    this.name = 'LabCallError'
    this.code = body.code
    this.field = body.field
  }
}

function isErrorBody(v: unknown): v is LabErrorBody {
  if (v === null || typeof v !== 'object') return false
  const e = v as { code?: unknown; message?: unknown; field?: unknown }
  return (
    typeof e.code === 'string' &&
    (ERROR_CODES as readonly string[]).includes(e.code) &&
    typeof e.message === 'string' &&
    (e.field === undefined || typeof e.field === 'string')
  )
}

/** contextBridge keeps only the message of a rejection; the preload encodes code and field in it. */
function toCallError(err: unknown): LabCallError {
  if (err instanceof LabCallError) return err
  if (isErrorBody(err)) return new LabCallError(err)
  const message = err instanceof Error ? err.message : String(err)
  const body = parseLabErrorMessage(message) ?? parseLabErrorMessage(message.replace(/^\w*Error: /, ''))
  return new LabCallError(body ?? { code: 'internal', message })
}

function desktopApi(provided: LabApi): LabApi {
  const api: Record<string, (req?: unknown) => Promise<unknown>> = {}
  for (const op of OPERATION_NAMES) {
    const fn = provided[op] as (req?: unknown) => Promise<unknown>
    api[op] = async (req?: unknown) => {
      try {
        return await fn(req)
      } catch (err) {
        throw toCallError(err)
      }
    }
  }
  return Object.freeze(api) as unknown as LabApi
}

/** `aplab serve` writes the token into index.html; its cookie is HttpOnly, so it cannot be read. */
function readToken(): string {
  if (typeof document === 'undefined') return ''
  const meta = document.querySelector<HTMLMetaElement>('meta[name="aplab-token"]')
  return meta?.content ?? ''
}

function browserApi(): LabApi {
  let token: string | null = null

  async function call(op: OperationName, payload: unknown): Promise<unknown> {
    let res: Response
    try {
      res = await fetch(`/api/${op}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-AP-Lab-Token': (token ??= readToken()) },
        body: JSON.stringify({ payload }),
        credentials: 'same-origin',
        cache: 'no-store',
      })
    } catch (err) {
      throw new LabCallError({
        code: 'internal',
        message: `cannot reach the AP Lab server (is \`aplab serve\` still running?): ${err instanceof Error ? err.message : String(err)}`,
      })
    }
    const text = await res.text()
    let body: unknown
    try {
      body = JSON.parse(text)
    } catch {
      throw new LabCallError({ code: 'internal', message: `HTTP ${res.status}: ${text.trim().slice(0, 300)}` })
    }
    const envelope = body as { ok?: unknown; value?: unknown; error?: unknown }
    if (envelope.ok === true) return envelope.value
    if (envelope.ok === false && isErrorBody(envelope.error)) throw new LabCallError(envelope.error)
    throw new LabCallError({ code: 'internal', message: `HTTP ${res.status}: unexpected response from the server` })
  }

  const api: Record<string, (req?: unknown) => Promise<unknown>> = {}
  for (const op of OPERATION_NAMES) api[op] = (req?: unknown) => call(op, req)
  return Object.freeze(api) as unknown as LabApi
}

const provided = typeof window !== 'undefined' ? window.lab : undefined

export const labMode: LabMode = provided ? 'desktop' : 'browser'
export const lab: LabApi = provided ? desktopApi(provided) : browserApi()
