import { EXAMPLE_SESSIONS, exampleSession } from '../engine/examples'
import { runSession, type RunOptions, type RunResults } from '../engine/lab'
import { AssignmentError } from '../engine/mdev-matrix'
import { SessionError, parseSession, type Session } from '../engine/session'
import { LabError } from './errors'

export function sessionFromDocument(doc: unknown): Session {
  try {
    return parseSession(doc)
  } catch (e) {
    if (e instanceof SessionError) throw new LabError('invalid-input', e.reason, e.field)
    throw e
  }
}

/** `builtin:NAME` or a session document. */
export function resolveSession(ref: string | unknown): Session {
  if (typeof ref === 'string') {
    const name = ref.startsWith('builtin:') ? ref.slice('builtin:'.length) : ref
    const ex = exampleSession(name)
    if (!ex)
      throw new LabError(
        'not-found',
        `no built-in session '${name}' (built-ins: ${EXAMPLE_SESSIONS.map((s) => s.name).join(', ')})`,
        'session',
      )
    return sessionFromDocument(ex)
  }
  return sessionFromDocument(ref)
}

export function run(ref: string | unknown, opts: RunOptions = {}): RunResults {
  const session = resolveSession(ref)
  return withSessionErrors(() => runSession(session, opts))
}

/** Builds the lab through `fn`, turning the kernel's refusal of an mdev matrix or a bad mask into invalid input naming the field. */
export function withSessionErrors<T>(fn: () => T): T {
  try {
    return fn()
  } catch (e) {
    if (e instanceof AssignmentError)
      throw new LabError('invalid-input', `${e.errno}: ${e.message.split(': ').slice(2).join(': ')}`, e.field)
    if (e instanceof Error && /^host\.(ap|aq)mask:/.test(e.message)) {
      const [field, ...rest] = e.message.split(': ')
      throw new LabError('invalid-input', rest.join(': '), field)
    }
    throw e
  }
}
