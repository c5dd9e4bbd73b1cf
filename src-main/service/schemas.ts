import { z } from 'zod'
import type { OperationName } from '../../src-preload/contract'

const id = z.string().min(1).max(64)
const register = z.union([z.string().max(40), z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER)])
const feature = z.boolean().optional()

export const probeRequest = z.strictObject({
  kernel: id,
  qemu: id,
  insn: z.string().min(1).max(400),
  cpu: z
    .strictObject({
      model: z.string().min(1).max(32).optional(),
      features: z
        .strictObject({ ap: feature, apqci: feature, apft: feature, apqi: feature, appv: feature, appvi: feature })
        .optional(),
    })
    .optional(),
  vfio: z.enum(['none', 'loaded', 'mdev']).optional(),
  psw: z.enum(['problem', 'supervisor']).optional(),
  ccBefore: z.union([z.literal(0), z.literal(1), z.literal(2), z.literal(3)]).optional(),
  gisa: z.boolean().optional(),
  nested: z.boolean().optional(),
  mode: z.enum(['kernel-faithful', 'architecture-faithful']).optional(),
  host: z
    .strictObject({
      apInstructions: z.boolean().optional(),
      aiv: z.boolean().optional(),
      apxa: z.boolean().optional(),
      facilities: z.strictObject({ '12': feature, '15': feature, '65': feature, '76': feature }).optional(),
    })
    .optional(),
  faults: z
    .strictObject({
      moduleGetFails: z.boolean().optional(),
      pinErrno: z.enum(['EINVAL', 'E2BIG', 'EFAULT', 'ENOMEM', 'EPERM']).nullable().optional(),
      giscRegisterFails: z.boolean().optional(),
    })
    .optional(),
  queue: z
    .strictObject({
      irqEnabled: z.boolean().optional(),
      state: z.enum(['online', 'checkstopped', 'deconfigured']).optional(),
      resetInProgress: z.boolean().optional(),
      assigned: z.boolean().optional(),
    })
    .optional(),
  regs: z.record(z.string().regex(/^r(1[0-5]|[0-9])$/, 'register names are r0..r15'), register).optional(),
  trace: z.boolean().optional(),
})

const dbId = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER)
const document = z.record(z.string(), z.unknown())
// Import text is bounded again, with a clearer message, by the store (16 MiB).
const importText = z.strictObject({ text: z.string().max(32 * 1024 * 1024) })
const byId = z.strictObject({ id: dbId })

export const OPERATION_SCHEMAS = {
  listProfiles: z.undefined(),
  getProfile: z.strictObject({ id }),
  probe: probeRequest,
  listMatrices: z.undefined(),
  compare: z.strictObject({ matrix: z.string().min(1).max(200) }),
  // The matrix document itself is validated by the engine's matrix-spec schema, which names the field.
  compareSpec: z.strictObject({ spec: z.record(z.string(), z.unknown()) }),
  diffProfiles: z.strictObject({
    a: id,
    b: id,
    probes: z.array(z.string().min(1).max(400)).max(200).optional(),
  }),
  listExamples: z.undefined(),
  // The session document itself is validated by the engine's session schema, which names the field.
  labView: z.strictObject({
    session: z.union([z.string().min(1).max(200), z.record(z.string(), z.unknown())]),
    afterRun: z.boolean().optional(),
  }),
  changeAssignment: z.strictObject({
    session: z.union([z.string().min(1).max(200), z.record(z.string(), z.unknown())]),
    mdev: z.string().min(1).max(64),
    kind: z.enum(['adapter', 'domain', 'control_domain']),
    id: z.number().int().min(0).max(255),
    action: z.enum(['assign', 'unassign']),
    running: z.boolean(),
  }),
  runSession: z.strictObject({
    session: z.union([z.string().min(1).max(200), z.record(z.string(), z.unknown())]),
    trace: z.boolean().optional(),
  }),
  saveSession: z.strictObject({ id: dbId.optional(), name: z.string().min(1).max(200).optional(), document }),
  listSessions: z.undefined(),
  getSession: byId,
  deleteSession: byId,
  importSession: importText,
  exportSession: byId,
  listRuns: z
    .strictObject({
      status: z.enum(['running', 'finished', 'aborted']).optional(),
      session: dbId.optional(),
      limit: z.number().int().min(1).max(1000).optional(),
      offset: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
    })
    .optional(),
  getRun: z.strictObject({
    id: dbId,
    guest: z.union([z.string().min(1).max(64), z.number().int().min(0).max(255)]).optional(),
    vcpu: z.number().int().min(0).max(63).optional(),
    limit: z.number().int().min(1).max(10_000).optional(),
    offset: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
    afterSeq: z.number().int().min(-1).max(Number.MAX_SAFE_INTEGER).optional(),
    trace: z.boolean().optional(),
  }),
  runStored: z.strictObject({
    session: z.union([dbId, z.string().min(1).max(200), document]),
    trace: z.boolean().optional(),
    keepSteps: z.boolean().optional(),
  }),
  diffRuns: z.strictObject({ a: dbId, b: dbId, limit: z.number().int().min(0).max(100_000).optional() }),
  exportRun: z.strictObject({ id: dbId, format: z.enum(['json', 'csv']).optional() }),
  importRun: importText,
  deleteRun: byId,
  saveComparison: z.union([
    z.strictObject({ matrix: z.string().min(1).max(200), name: z.string().min(1).max(200).optional() }),
    z.strictObject({ spec: z.record(z.string(), z.unknown()), name: z.string().min(1).max(200).optional() }),
  ]),
  listComparisons: z.undefined(),
  getComparison: byId,
  deleteComparison: byId,
} satisfies Record<OperationName, z.ZodType>
