import type { z } from 'zod'
import { KERNEL_PROFILES, QEMU_PROFILES, findProfile } from '../engine/profiles'
import { BUILTIN_MATRICES, builtinMatrix, formatMatrix, runMatrix, type MatrixFormat } from '../engine'
import { probe } from './probe'
import { changeAssignment, labView } from '../engine/lab-view'
import { resolveSession, run, sessionFromDocument, withSessionErrors } from './run'
import { parseMask, runSession } from '../engine/lab'
import type { Session } from '../engine/session'
import type { Store } from '../store'
import { EXAMPLE_SESSIONS } from '../engine/examples'
import type { SessionInput } from '../engine/session'
import { OPERATION_NAMES, type LabApi, type LabOperations, type OperationName } from '../../src-preload/contract'
import { LabError } from './errors'
import { OPERATION_SCHEMAS } from './schemas'
import { cellCount, computeCells, runMatrix as runMatrixCells, type MatrixResult } from '../engine/matrix'
import { formatDiff, MATRIX_FORMATS } from '../engine/matrix-format'
import { compileMatrixSpec, loadMatrixSpec, MatrixSpecError } from '../engine/matrix-spec'
import { DiffError, diffFromCells, diffPlan } from '../engine/abi-diff'

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

/** Cells a compareSpec computes in the main process; bigger sweeps belong to `aplab compare` (all cores). */
export const SERVICE_MAX_CELLS = 200_000
/** Up to this many cells carry their traces. */
const SERVICE_TRACE_CELLS = 20_000

function matrixExports(result: MatrixResult): Record<MatrixFormat, string> {
  return Object.fromEntries(MATRIX_FORMATS.map((f) => [f, formatMatrix(result, f)])) as Record<MatrixFormat, string>
}

export interface LabServiceOptions {
  /** The database; without it the session, run and comparison storage operations fail with 'conflict'. */
  store?: Store
}

/** Bad apmask/aqmask text is an input error, found before a run row is created. */
function checkMasks(s: Session): void {
  for (const key of ['apmask', 'aqmask'] as const) {
    const text = s.host[key]
    if (text === undefined) continue
    try {
      parseMask(text, `host.${key}`)
    } catch (e) {
      throw new LabError('invalid-input', (e as Error).message.replace(/^host\.\w+: /, ''), `host.${key}`)
    }
  }
}

/** Validates a matrix spec and computes it in this thread, within the service's size limits. */
function computeSpec(spec: Record<string, unknown>): MatrixResult {
  let m: ReturnType<typeof loadMatrixSpec>
  try {
    m = loadMatrixSpec(spec)
  } catch (e) {
    if (e instanceof MatrixSpecError) throw new LabError('invalid-input', e.reason, `spec.${e.field}`)
    throw e
  }
  const n = cellCount(m)
  if (n > SERVICE_MAX_CELLS)
    throw new LabError(
      'invalid-input',
      `${n} cells is more than ${SERVICE_MAX_CELLS} for one request; sweep it on all cores with aplab compare`,
      'spec.dimensions',
    )
  return runMatrixCells(m, n <= SERVICE_TRACE_CELLS)
}

export function createLabService(options: LabServiceOptions = {}): LabService {
  const needStore = (): Store => {
    if (!options.store) throw new LabError('conflict', 'no database open')
    return options.store
  }
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
      return { result, exports: matrixExports(result) }
    },
    compareSpec: async ({ spec }) => {
      const result = computeSpec(spec)
      return { result, exports: matrixExports(result) }
    },
    diffProfiles: async ({ a, b, probes }) => {
      let plan: ReturnType<typeof diffPlan>
      try {
        plan = diffPlan(a, b, probes)
      } catch (e) {
        if (e instanceof DiffError) {
          const field = e.field === 'profileA' ? 'a' : e.field === 'profileB' ? 'b' : e.field
          throw new LabError(
            e.message.includes('no kernel or QEMU profile') ? 'not-found' : 'invalid-input',
            e.message.slice(e.field.length + 2),
            field,
          )
        }
        throw e
      }
      const m = compileMatrixSpec(plan.spec)
      const diff = diffFromCells(m, computeCells(m, false), plan.kind)
      const exports = Object.fromEntries(MATRIX_FORMATS.map((f) => [f, formatDiff(diff, f)])) as Record<
        MatrixFormat,
        string
      >
      return { diff, exports }
    },
    listExamples: async () =>
      EXAMPLE_SESSIONS.map((s) => ({ name: s.name, description: s.description ?? '', session: s })),
    labView: async ({ session, afterRun }) =>
      withSessionErrors(() => labView(resolveSession(session), afterRun ? { afterRun } : {})),
    changeAssignment: async ({ session, ...change }) =>
      withSessionErrors(() => changeAssignment(resolveSession(session), change)),
    runSession: async ({ session, trace }) => run(session as string | SessionInput, { trace: trace ?? true }),
    saveSession: async (req) => needStore().saveSession(req),
    listSessions: async () => needStore().listSessions(),
    getSession: async ({ id }) => needStore().getSession(id),
    deleteSession: async ({ id }) => needStore().deleteSession(id),
    importSession: async ({ text }) => needStore().importSession(text),
    exportSession: async ({ id }) => needStore().exportSession(id),
    listRuns: async (req) => needStore().listRuns(req ?? {}),
    getRun: async (req) => needStore().getRunPage(req),
    runStored: async ({ session, trace, keepSteps }) => {
      const store = needStore()
      let parsed: Session
      let sessionId: number | null = null
      if (typeof session === 'number') {
        const saved = (() => {
          try {
            return store.getSession(session)
          } catch (e) {
            if (e instanceof LabError && e.code === 'not-found')
              throw new LabError('not-found', `no saved session with id ${session}`, 'session')
            throw e
          }
        })()
        parsed = sessionFromDocument(saved.document)
        sessionId = session
      } else {
        parsed = resolveSession(session)
      }
      checkMasks(parsed)
      const rec = store.recordRun(parsed, {
        sessionId,
        trace: trace ?? true,
        ...(keepSteps !== undefined ? { keepSteps } : {}),
        runner: (o) => runSession(parsed, o),
      })
      return { runId: rec.runId, run: rec.run, results: rec.results }
    },
    diffRuns: async ({ a, b, limit }) => needStore().diffRuns(a, b, limit !== undefined ? { limit } : {}),
    exportRun: async ({ id, format }) => needStore().exportRun(id, format ?? 'json'),
    importRun: async ({ text }) => needStore().importRun(text),
    deleteRun: async ({ id }) => needStore().deleteRun(id),
    saveComparison: async (req) => {
      const store = needStore()
      if ('spec' in req) {
        const result = computeSpec(req.spec)
        return store.saveComparison({ name: req.name ?? result.title, spec: req.spec, result })
      }
      const key = req.matrix.startsWith('builtin:') ? req.matrix.slice('builtin:'.length) : req.matrix
      const m = builtinMatrix(key)
      if (!m)
        throw new LabError(
          'not-found',
          `no built-in matrix '${key}' (built-ins: ${BUILTIN_MATRICES.map((b) => b.name).join(', ')})`,
          'matrix',
        )
      const result = runMatrix(m)
      return store.saveComparison({
        name: req.name ?? m.title,
        spec: { matrix: `builtin:${m.name}`, title: m.title },
        result,
      })
    },
    listComparisons: async () => needStore().listComparisons(),
    getComparison: async ({ id }) => needStore().getComparison(id),
    deleteComparison: async ({ id }) => needStore().deleteComparison(id),
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
