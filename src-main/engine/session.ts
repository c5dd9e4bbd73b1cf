// The lab session document `aplab/session@1` (product.md §4, normative) and program steps (§5).
// Unknown fields are rejected with the path of the offending field.
import { z } from 'zod'
import { parseApqn } from './arch'
import { kernelProfile, qemuProfile } from './profiles'

export const SESSION_FORMAT = 'aplab/session@1'

const id8 = z.number().int().min(0).max(255)
const regValue = z.union([
  z.string().regex(/^(0x[0-9a-fA-F_]{1,19}|[0-9]{1,20})$/, 'expected hex (0x…) or decimal'),
  z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
])
const regName = z.string().regex(/^r(1[0-5]|[0-9])$/, 'register names are r0..r15')
const maskText = z.string().max(200)

const insnStep = z.strictObject({
  insn: z.enum(['PQAP', 'NQAP', 'DQAP']),
  r1: z.number().int().min(0).max(15).optional(),
  r2: z.number().int().min(0).max(15).optional(),
})
const textStep = z.strictObject({ text: z.string().min(1).max(400) })
const aqicStep = z.strictObject({
  aqic: z.string().refine((s) => parseApqn(s) !== null, 'expected an APQN like 05.0004'),
  ir: z.boolean().optional(),
  isc: z.number().int().min(0).max(7).optional(),
  nib: regValue.optional(),
})
const pollable = z.union([insnStep, textStep])

export const stepSchema = z.union([
  z.strictObject({ set: z.record(regName, regValue) }),
  insnStep,
  textStep,
  aqicStep,
  z.strictObject({ psw: z.enum(['problem', 'supervisor']) }),
  z.strictObject({ cc: z.union([z.literal(0), z.literal(1), z.literal(2), z.literal(3)]) }),
  z.strictObject({
    poll: pollable,
    until: z
      .string()
      .regex(/^(I|R|E|F|rc|cc)\s*(==|!=)\s*(0x[0-9a-fA-F]+|[0-9]+)$/, 'expected e.g. "I==1", "rc==0" or "cc!=3"'),
    everyUs: z.number().int().min(1).max(10_000_000).optional(),
    max: z.number().int().min(1).max(100_000).optional(),
  }),
  z.strictObject({
    wait: z.literal('irq'),
    isc: z.number().int().min(0).max(7).optional(),
    timeoutUs: z.number().int().min(1).max(1_000_000_000).optional(),
  }),
  z.strictObject({
    wait: z.literal('crw'),
    timeoutUs: z.number().int().min(1).max(1_000_000_000).optional(),
  }),
  z.strictObject({
    write: z.strictObject({
      addr: regValue,
      bytes: z
        .string()
        .regex(/^([0-9a-fA-F]{2})*$/, 'expected hex bytes like "00ff"')
        .max(8192),
    }),
  }),
  z.strictObject({ sleepUs: z.number().int().min(0).max(1_000_000_000) }),
])

export type Step = z.infer<typeof stepSchema>

const adapterSchema = z.strictObject({
  id: id8,
  type: z.enum(['CEX4', 'CEX5', 'CEX6', 'CEX7', 'CEX8']).default('CEX8'),
  mode: z.enum(['CCA', 'EP11', 'Accelerator']).default('CCA'),
  domains: z.array(id8).max(256),
  controlDomains: z.array(id8).max(256).optional(),
  state: z.enum(['online', 'checkstopped', 'deconfigured']).default('online'),
  ml: z.number().int().min(0).max(15).default(0),
  depth: z.number().int().min(1).max(16).default(8),
  latencyUs: z.number().int().min(0).max(10_000_000).default(50),
})

const mdevSchema = z.strictObject({
  uuid: z.string().min(1).max(64),
  adapters: z.array(id8).max(256).default([]),
  domains: z.array(id8).max(256).default([]),
  controlDomains: z.array(id8).max(256).default([]),
})

const featureFlags = {
  ap: z.boolean().optional(),
  apqci: z.boolean().optional(),
  apft: z.boolean().optional(),
  apqi: z.boolean().optional(),
  appv: z.boolean().optional(),
  appvi: z.boolean().optional(),
}

const guestSchema = z.strictObject({
  name: z.string().min(1).max(64),
  qemu: z.string().refine((q) => qemuProfile(q) !== undefined, 'unknown QEMU profile (see aplab profiles)'),
  cpu: z.strictObject({ model: z.string().min(1).max(32).default('host'), ...featureFlags }).default({ model: 'host' }),
  mdev: z.string().min(1).max(64).nullable().default(null),
  gisa: z.boolean().default(true),
  memoryMiB: z
    .number()
    .int()
    .min(1)
    .max(1024 * 1024)
    .default(64),
  nested: z.boolean().default(false),
  vcpus: z
    .array(z.strictObject({ program: z.array(stepSchema).max(5_000_000).default([]) }))
    .min(1)
    .max(64)
    .default([{ program: [] }]),
})

const eventSchema = z.discriminatedUnion('do', [
  z.strictObject({ atUs: z.number().int().min(0), do: z.literal('assign_adapter'), mdev: z.string(), id: id8 }),
  z.strictObject({ atUs: z.number().int().min(0), do: z.literal('unassign_adapter'), mdev: z.string(), id: id8 }),
  z.strictObject({ atUs: z.number().int().min(0), do: z.literal('assign_domain'), mdev: z.string(), id: id8 }),
  z.strictObject({ atUs: z.number().int().min(0), do: z.literal('unassign_domain'), mdev: z.string(), id: id8 }),
  z.strictObject({
    atUs: z.number().int().min(0),
    do: z.literal('set_adapter_state'),
    adapter: id8,
    state: z.enum(['online', 'checkstopped', 'deconfigured']),
  }),
  z.strictObject({
    atUs: z.number().int().min(0),
    do: z.literal('reset_queue'),
    apqn: z.string().refine((s) => parseApqn(s) !== null, 'expected an APQN like 05.0004'),
  }),
  z.strictObject({ atUs: z.number().int().min(0), do: z.literal('remove_mdev'), mdev: z.string() }),
  z.strictObject({ atUs: z.number().int().min(0), do: z.literal('stop_guest'), guest: z.string() }),
  z.strictObject({ atUs: z.number().int().min(0), do: z.literal('start_guest'), guest: z.string() }),
])

export type SessionEvent = z.infer<typeof eventSchema>

export const sessionSchema = z.strictObject({
  format: z.literal(SESSION_FORMAT),
  name: z.string().min(1).max(200),
  description: z.string().max(10_000).optional(),
  seed: z
    .number()
    .int()
    .min(0)
    .max(2 ** 32 - 1)
    .default(1),
  mode: z.enum(['kernel-faithful', 'architecture-faithful']).default('kernel-faithful'),
  host: z.strictObject({
    kernel: z.string().refine((k) => kernelProfile(k) !== undefined, 'unknown kernel profile (see aplab profiles)'),
    apInstructions: z.boolean().default(true),
    facilities: z
      .strictObject({
        '12': z.boolean().optional(),
        '15': z.boolean().optional(),
        '65': z.boolean().optional(),
        '76': z.boolean().optional(),
      })
      .default({}),
    aiv: z.boolean().default(true),
    apxa: z.boolean().default(true),
    vfioAp: z.boolean().default(true),
    apmask: maskText.optional(),
    aqmask: maskText.optional(),
    resetWindowUs: z.number().int().min(0).max(10_000_000).default(20_000),
    adapters: z.array(adapterSchema).max(256).default([]),
  }),
  mdevs: z.array(mdevSchema).max(256).default([]),
  guests: z.array(guestSchema).max(256).default([]),
  events: z.array(eventSchema).max(100_000).default([]),
})

export type Session = z.infer<typeof sessionSchema>
export type SessionInput = z.input<typeof sessionSchema>

export class SessionError extends Error {
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${field}: ${reason}`)
  }
}

function pathOf(path: readonly PropertyKey[]): string {
  let out = ''
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? String(p) : `.${String(p)}`
  return out === '' ? '(document)' : out
}

/** Validates a session document; throws SessionError naming the first offending field. */
export function parseSession(doc: unknown): Session {
  const r = sessionSchema.safeParse(doc)
  if (!r.success) {
    const issue = r.error.issues[0]!
    const where = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0]!] : issue.path
    const reason = issue.code === 'unrecognized_keys' ? 'unknown field' : issue.message
    throw new SessionError(pathOf(where), reason)
  }
  const s = r.data
  const adapterIds = new Set<number>()
  s.host.adapters.forEach((a, i) => {
    if (adapterIds.has(a.id)) throw new SessionError(`host.adapters[${i}].id`, `adapter ${a.id} is listed twice`)
    adapterIds.add(a.id)
  })
  const uuids = new Set<string>()
  s.mdevs.forEach((m, i) => {
    if (uuids.has(m.uuid)) throw new SessionError(`mdevs[${i}].uuid`, `mdev ${m.uuid} is defined twice`)
    uuids.add(m.uuid)
  })
  const names = new Set<string>()
  s.guests.forEach((g, i) => {
    if (names.has(g.name)) throw new SessionError(`guests[${i}].name`, `guest '${g.name}' is defined twice`)
    names.add(g.name)
    if (g.mdev !== null && !uuids.has(g.mdev))
      throw new SessionError(`guests[${i}].mdev`, `no mdev with uuid '${g.mdev}' in mdevs`)
  })
  s.events.forEach((e, i) => {
    if ('mdev' in e && !uuids.has(e.mdev))
      throw new SessionError(`events[${i}].mdev`, `no mdev with uuid '${e.mdev}' in mdevs`)
    if ('guest' in e && !names.has(e.guest)) throw new SessionError(`events[${i}].guest`, `no guest named '${e.guest}'`)
    if (e.do === 'set_adapter_state' && !adapterIds.has(e.adapter))
      throw new SessionError(`events[${i}].adapter`, `no adapter ${e.adapter} on the host`)
  })
  return s
}
