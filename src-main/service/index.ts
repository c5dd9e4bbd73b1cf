import type { z } from 'zod'
import { KERNEL_PROFILES, QEMU_PROFILES, findProfile } from '../engine/profiles'
import { BUILTIN_MATRICES, builtinMatrix, formatMatrix, runMatrix, type MatrixFormat } from '../engine'
import { probe } from './probe'
import { run } from './run'
import { EXAMPLE_SESSIONS } from '../engine/examples'
import type { SessionInput } from '../engine/session'
import { OPERATION_NAMES, type LabApi, type LabOperations, type OperationName } from '../../src-preload/contract'
import { LabError } from './errors'
import { OPERATION_SCHEMAS } from './schemas'

export { LabError, toErrorBody } from './errors'

type Handlers = { [K in OperationName]: (req: LabOperations[K]['req']) => Promise<LabOperations[K]['res']> }

export interface LabService {
  /** Validates `payload` against the operation's schema, then runs it. Untrusted input enters here. */
  call(op: string, payload: unknown): Promise<unknown>
  readonly api: LabApi
}

export function isOperationName(op: string): op is OperationName {
  return (OPERATION_NAMES as readonly string[]).includes(op)
}

function zodPath(issue: z.core.$ZodIssue): string {
  return issue.path.length === 0 ? 'payload' : ['payload', ...issue.path.map(String)].join('.')
}

export function createLabService(): LabService {
  const handlers: Handlers = {
    listProfiles: async () => ({ kernel: [...KERNEL_PROFILES], qemu: [...QEMU_PROFILES] }),
    getProfile: async ({ id }) => {
      const p = findProfile(id)
      if (!p) throw new LabError('not-found', `no kernel or QEMU profile named '${id}'`, 'id')
      return p
    },
    probe: async (req) => probe(req),
    listMatrices: async () => BUILTIN_MATRICES.map(({ name, title, description }) => ({ name, title, description })),
    compare: async ({ matrix }) => {
      const name = matrix.startsWith('builtin:') ? matrix.slice('builtin:'.length) : matrix
      const m = builtinMatrix(name)
      if (!m)
        throw new LabError(
          'not-found',
          `no built-in matrix '${name}' (built-ins: ${BUILTIN_MATRICES.map((b) => b.name).join(', ')})`,
          'matrix',
        )
      const result = runMatrix(m)
      const formats: MatrixFormat[] = ['text', 'md', 'csv', 'json']
      const exports = Object.fromEntries(formats.map((f) => [f, formatMatrix(result, f)])) as Record<
        MatrixFormat,
        string
      >
      return { result, exports }
    },
    listExamples: async () =>
      EXAMPLE_SESSIONS.map((s) => ({ name: s.name, description: s.description ?? '', session: s })),
    runSession: async ({ session, trace }) => run(session as string | SessionInput, { trace: trace ?? true }),
  }

  async function call(op: string, payload: unknown): Promise<unknown> {
    if (!isOperationName(op)) throw new LabError('not-found', `unknown operation '${op}'`, 'operation')
    const parsed = OPERATION_SCHEMAS[op].safeParse(payload)
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!
      throw new LabError('invalid-input', issue.message, zodPath(issue))
    }
    const handler = handlers[op] as (req: unknown) => Promise<unknown>
    return handler(parsed.data)
  }

  return { call, api: handlers as unknown as LabApi }
}
