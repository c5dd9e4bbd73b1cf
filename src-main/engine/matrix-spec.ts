// The behaviour-matrix document `aplab/matrix@1`: a base probe configuration, dimensions that
// vary one configuration field each, probes (instruction texts or short programs) and the
// outcome fields that count. Validated with zod; every error names the offending field, and
// everything (profiles, field paths, instruction texts) is checked before any cell is computed.
// docs/matrix-format.md describes the format for people.
import { z } from 'zod'
import { AP_FEATURES } from './qemu'
import { InsnSyntaxError, parseInsnText, type ParsedInsn, type RegLoad } from './insn-text'
import {
  OUTCOME_FIELDS,
  ANY,
  SET_SEPARATOR,
  type DimValue,
  type Dimension,
  type Matrix,
  type MatrixProbeSpec,
  type OutcomeField,
} from './matrix'
import type { ProbeSpec } from './probe'
import { kernelProfile, qemuProfile } from './profiles'
import { parse64 } from './regs'

export const MATRIX_FORMAT = 'aplab/matrix@1'

export class MatrixSpecError extends Error {
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${field}: ${reason}`)
  }
}

// ---------------------------------------------------------------------------------------------
// Schema

const flag = z.boolean().optional()
const regValue = z.union([
  z.string().regex(/^(0x[0-9a-fA-F_]{1,19}|[0-9]{1,20})$/, 'expected hex (0x…) or decimal'),
  z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
])
const id = z
  .string()
  .min(1)
  .max(200)
  .refine((s) => s !== ANY, `'${ANY}' means "any value" in rows and cannot be an id`)
  .refine((s) => !s.includes(SET_SEPARATOR), `'${SET_SEPARATOR}' separates value sets in rows and cannot be in an id`)
const label = z.string().min(1).max(200)
const scalar = z.union([z.string().max(400), z.number(), z.boolean(), z.null()])

export const probeConfigSchema = z.strictObject({
  kernel: z.string().min(1).max(64).optional(),
  qemu: z.string().min(1).max(64).optional(),
  vfio: z.enum(['none', 'loaded', 'mdev']).optional(),
  psw: z.enum(['problem', 'supervisor']).optional(),
  ccBefore: z.union([z.literal(0), z.literal(1), z.literal(2), z.literal(3)]).optional(),
  gisa: flag,
  nested: flag,
  mode: z.enum(['kernel-faithful', 'architecture-faithful']).optional(),
  cpu: z
    .strictObject({
      model: z.string().min(1).max(32).optional(),
      features: z.strictObject({ ap: flag, apqci: flag, apft: flag, apqi: flag, appv: flag, appvi: flag }).optional(),
    })
    .optional(),
  host: z
    .strictObject({
      apInstructions: flag,
      aiv: flag,
      apxa: flag,
      facilities: z.strictObject({ '12': flag, '15': flag, '65': flag, '76': flag }).optional(),
    })
    .optional(),
  faults: z
    .strictObject({
      moduleGetFails: flag,
      pinErrno: z.enum(['EINVAL', 'E2BIG', 'EFAULT', 'ENOMEM', 'EPERM']).nullable().optional(),
      giscRegisterFails: flag,
    })
    .optional(),
  queue: z
    .strictObject({
      irqEnabled: flag,
      state: z.enum(['online', 'checkstopped', 'deconfigured']).optional(),
      resetInProgress: flag,
      assigned: flag,
    })
    .optional(),
  regs: z.record(z.string().regex(/^r(1[0-5]|[0-9])$/, 'register names are r0..r15'), regValue).optional(),
})

export type ProbeConfig = z.infer<typeof probeConfigSchema>

const setMap = z.record(z.string().min(1).max(100), scalar)

const valueSchema = z.strictObject({
  id: id.optional(),
  label: label.optional(),
  value: scalar.optional(),
  set: setMap.optional(),
})

const dimensionSchema = z.strictObject({
  id,
  label: label.optional(),
  field: z.string().min(1).max(100).optional(),
  values: z.array(valueSchema).max(4096),
})

const steps = z.union([z.string().min(1).max(400), z.array(z.string().min(1).max(400)).min(1).max(64)])

const probeSchema = z.union([
  z.string().min(1).max(400),
  z.array(z.string().min(1).max(400)).min(1).max(64),
  z.strictObject({ id: id.optional(), label: label.optional(), steps, set: setMap.optional() }),
])

export const matrixSpecSchema = z.strictObject({
  format: z.literal(MATRIX_FORMAT),
  name: z
    .string()
    .min(1)
    .max(100)
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, dot, dash and underscore'),
  title: z.string().min(1).max(300),
  description: z.string().max(10_000).default(''),
  base: probeConfigSchema.default({}),
  dimensions: z.array(dimensionSchema).max(16),
  probes: z.array(probeSchema).min(1, 'a matrix needs at least one probe').max(4096),
  probeDimension: z
    .strictObject({ id: id.optional(), label: label.optional(), position: z.enum(['first', 'last']).optional() })
    .optional(),
  outcome: z
    .array(z.enum(OUTCOME_FIELDS as [OutcomeField, ...OutcomeField[]]))
    .min(1)
    .max(6)
    .optional(),
  rows: z
    .array(z.array(z.string().min(1).max(2000)).max(17))
    .max(10_000)
    .optional(),
  notes: z.array(z.string().max(2000)).max(100).optional(),
  diffAxis: z.string().min(1).max(200).optional(),
})

export type MatrixSpec = z.infer<typeof matrixSpecSchema>
export type MatrixSpecInput = z.input<typeof matrixSpecSchema>

export const DEFAULT_OUTCOME: readonly OutcomeField[] = ['pgm', 'cc', 'rc', 'placement']

// ---------------------------------------------------------------------------------------------
// Fields: what a dimension may vary, as paths into the probe configuration

type Scalar = string | number | boolean | null
/** `undefined` removes the path (the engine default applies). */
type Assignment = { path: string; value: Scalar | undefined }

interface FieldDef {
  /** Turns a dimension value into assignments, or throws a reason. */
  assign(value: Scalar): Assignment[]
  /** The values to offer in docs and error messages. */
  accepts: string
}

const DEFAULT = 'default'

function bool(path: string): FieldDef {
  return {
    accepts: 'true | false | "on" | "off" | "default"',
    assign(v) {
      if (v === DEFAULT) return [{ path, value: undefined }]
      if (v === true || v === 'on') return [{ path, value: true }]
      if (v === false || v === 'off') return [{ path, value: false }]
      throw new Error(`expected true, false, "on", "off" or "default", got ${JSON.stringify(v)}`)
    },
  }
}

function oneOf(path: string, options: readonly Scalar[]): FieldDef {
  return {
    accepts: options.map((o) => JSON.stringify(o)).join(' | ') + ' | "default"',
    assign(v) {
      if (v === DEFAULT) return [{ path, value: undefined }]
      if (!options.includes(v))
        throw new Error(`expected one of ${options.map((o) => JSON.stringify(o)).join(', ')}, got ${JSON.stringify(v)}`)
      return [{ path, value: v }]
    },
  }
}

const FIELDS = new Map<string, FieldDef>()
const ALIASES = new Map<string, string>([
  ['cc', 'ccBefore'],
  ['aiv', 'host.aiv'],
  ['apxa', 'host.apxa'],
  ['apInstructions', 'host.apInstructions'],
])

FIELDS.set('kernel', {
  accepts: 'a kernel profile id (aplab profiles)',
  assign(v) {
    if (typeof v !== 'string' || !kernelProfile(v))
      throw new Error(`unknown kernel profile ${JSON.stringify(v)} (see aplab profiles)`)
    return [{ path: 'kernel', value: v }]
  },
})
FIELDS.set('qemu', {
  accepts: 'a QEMU profile id (aplab profiles)',
  assign(v) {
    if (typeof v !== 'string' || !qemuProfile(v))
      throw new Error(`unknown QEMU profile ${JSON.stringify(v)} (see aplab profiles)`)
    return [{ path: 'qemu', value: v }]
  },
})
FIELDS.set('vfio', oneOf('vfio', ['none', 'loaded', 'mdev']))
FIELDS.set('psw', oneOf('psw', ['supervisor', 'problem']))
FIELDS.set('ccBefore', oneOf('ccBefore', [0, 1, 2, 3]))
FIELDS.set('mode', oneOf('mode', ['kernel-faithful', 'architecture-faithful']))
FIELDS.set('gisa', bool('gisa'))
FIELDS.set('nested', bool('nested'))
FIELDS.set('cpu.model', {
  accepts: '"host" or a named CPU model such as "z14"',
  assign(v) {
    if (v === DEFAULT) return [{ path: 'cpu.model', value: undefined }]
    if (typeof v !== 'string' || v.length === 0 || v.length > 32) throw new Error('expected a CPU model name')
    return [{ path: 'cpu.model', value: v }]
  },
})
for (const f of AP_FEATURES) FIELDS.set(`cpu.features.${f}`, bool(`cpu.features.${f}`))
for (const f of AP_FEATURES) ALIASES.set(`cpu.${f}`, `cpu.features.${f}`)
for (const k of ['apInstructions', 'aiv', 'apxa']) FIELDS.set(`host.${k}`, bool(`host.${k}`))
for (const n of ['12', '15', '65', '76']) FIELDS.set(`host.facilities.${n}`, bool(`host.facilities.${n}`))
FIELDS.set('faults.moduleGetFails', bool('faults.moduleGetFails'))
FIELDS.set('faults.giscRegisterFails', bool('faults.giscRegisterFails'))
FIELDS.set('faults.pinErrno', oneOf('faults.pinErrno', [null, 'EINVAL', 'E2BIG', 'EFAULT', 'ENOMEM', 'EPERM']))
for (const k of ['irqEnabled', 'resetInProgress', 'assigned']) FIELDS.set(`queue.${k}`, bool(`queue.${k}`))
FIELDS.set('queue.state', oneOf('queue.state', ['online', 'checkstopped', 'deconfigured']))
for (let r = 0; r < 16; r++)
  FIELDS.set(`regs.r${r}`, {
    accepts: 'a 64-bit value, hex "0x…" or decimal',
    assign(v) {
      if (v === DEFAULT) return [{ path: `regs.r${r}`, value: undefined }]
      if (typeof v !== 'string' && typeof v !== 'number') throw new Error('expected a hex string or a number')
      const p = parse64(v)
      if ('error' in p) throw new Error(p.error)
      return [{ path: `regs.r${r}`, value: v }]
    },
  })
FIELDS.set('crycb', {
  accepts: '"format0" (no facility 76) | "format1" (76, no APXA) | "format2" (76 and APXA)',
  assign(v) {
    if (v === 'format0') return [{ path: 'host.facilities.76', value: false }]
    if (v === 'format1')
      return [
        { path: 'host.facilities.76', value: true },
        { path: 'host.apxa', value: false },
      ]
    if (v === 'format2')
      return [
        { path: 'host.facilities.76', value: true },
        { path: 'host.apxa', value: true },
      ]
    throw new Error(`expected "format0", "format1" or "format2", got ${JSON.stringify(v)}`)
  },
})

/** Every field name a dimension (or a `set`) accepts, aliases included. */
export function matrixFields(): { field: string; accepts: string; alias?: string }[] {
  const out: { field: string; accepts: string; alias?: string }[] = [...FIELDS].map(([field, d]) => ({
    field,
    accepts: d.accepts,
  }))
  for (const [alias, field] of ALIASES) out.push({ field: alias, accepts: FIELDS.get(field)!.accepts, alias: field })
  return out
}

function fieldDef(name: string): FieldDef | undefined {
  return FIELDS.get(ALIASES.get(name) ?? name)
}

function unknownField(name: string): string {
  const near = [...FIELDS.keys(), ...ALIASES.keys()].filter((f) => f.startsWith(name.split('.')[0]! + '.'))
  const hint = near.length > 0 ? `; under '${name.split('.')[0]}': ${near.join(', ')}` : ''
  return `unknown field '${name}' (kernel, qemu, vfio, psw, cc, mode, gisa, nested, aiv, apxa, crycb, cpu.model, cpu.<feature>, host.facilities.<n>, queue.*, faults.*, regs.rN${hint})`
}

// ---------------------------------------------------------------------------------------------
// Assignments on the probe configuration (JSON shape) and on the engine's ProbeSpec

type Obj = Record<string, unknown>
type Setter = (o: Obj) => Obj

/** A setter for one path, built once: it copies only the objects along the path (no `delete`). */
function pathSetter(path: readonly string[], value: unknown): Setter {
  const [head, ...rest] = path as [string, ...string[]]
  if (rest.length === 0) {
    if (value === undefined)
      return (o) => {
        if (!(head in o)) return o
        const { [head]: _drop, ...others } = o
        return others
      }
    return (o) => ({ ...o, [head]: value })
  }
  const inner = pathSetter(rest, value)
  return (o) => ({ ...o, [head]: inner((o[head] as Obj | undefined) ?? {}) })
}

function toRegLoad(v: Scalar): RegLoad {
  const p = parse64(v as string | number)
  if ('error' in p) throw new Error(p.error)
  return p
}

/** Compiles assignments into one function on an engine ProbeSpec (regs become RegLoads keyed by number). */
function compileAssignments(assignments: readonly Assignment[]): (spec: ProbeSpec) => ProbeSpec {
  const setters: Setter[] = assignments.map((a) =>
    a.path.startsWith('regs.r')
      ? pathSetter(['regs', a.path.slice('regs.r'.length)], a.value === undefined ? undefined : toRegLoad(a.value))
      : pathSetter(a.path.split('.'), a.value),
  )
  if (setters.length === 1) return setters[0]! as unknown as (spec: ProbeSpec) => ProbeSpec
  return (spec) => {
    let o = spec as unknown as Obj
    for (const f of setters) o = f(o)
    return o as unknown as ProbeSpec
  }
}

/** The same assignments, in place, on a private copy made by cloneProbeSpec (the sweep's fast path). */
function compileMutation(assignments: readonly Assignment[]): (spec: ProbeSpec) => void {
  const steps = assignments.map((a) => {
    const path = a.path.startsWith('regs.r') ? ['regs', a.path.slice('regs.r'.length)] : a.path.split('.')
    const value = a.value === undefined ? undefined : a.path.startsWith('regs.r') ? toRegLoad(a.value) : a.value
    return { parents: path.slice(0, -1), last: path[path.length - 1]!, value }
  })
  return (spec) => {
    for (const { parents, last, value } of steps) {
      let cur = spec as unknown as Obj
      for (const p of parents) {
        let next = cur[p] as Obj | undefined
        if (next === undefined) {
          next = {}
          cur[p] = next
        }
        cur = next
      }
      if (value !== undefined) cur[last] = value
      else if (last in cur) delete cur[last]
    }
  }
}

function applyAssignments(spec: ProbeSpec, assignments: readonly Assignment[]): ProbeSpec {
  return compileAssignments(assignments)(spec)
}

function probeSpecOf(config: ProbeConfig): Omit<ProbeSpec, 'insn'> {
  const { regs, ...rest } = config
  const spec: Record<string, unknown> = { kernel: 'linux-latest', qemu: 'qemu-10.1', ...rest }
  if (regs) {
    const out: Record<number, RegLoad> = {}
    for (const [k, v] of Object.entries(regs)) out[Number(k.slice(1))] = toRegLoad(v)
    spec.regs = out
  }
  return spec as unknown as Omit<ProbeSpec, 'insn'>
}

// ---------------------------------------------------------------------------------------------
// Parsing

function pathOf(path: readonly PropertyKey[]): string {
  let out = ''
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? String(p) : `.${String(p)}`
  return out === '' ? '(document)' : out
}

function zodError(issues: readonly z.core.$ZodIssue[]): MatrixSpecError {
  const issue = issues[0]!
  if (issue.code === 'unrecognized_keys')
    return new MatrixSpecError(pathOf([...issue.path, issue.keys[0]!]), 'unknown field')
  if (issue.code === 'invalid_union') {
    // Report the branch that got furthest (the object form of a probe, say).
    const branches = (issue as unknown as { errors: z.core.$ZodIssue[][] }).errors ?? []
    const deepest = branches.filter((b) => b.length > 0).sort((a, b) => b[0]!.path.length - a[0]!.path.length)[0]
    if (deepest && deepest[0]!.path.length > 0)
      return zodError(deepest.map((i) => ({ ...i, path: [...issue.path, ...i.path] })))
  }
  return new MatrixSpecError(pathOf(issue.path), issue.message)
}

export interface CompiledProbe {
  id: string
  label: string
  steps: ParsedInsn[]
  texts: string[]
  set: Assignment[]
}

function compileProbe(p: MatrixSpec['probes'][number], i: number): CompiledProbe {
  const obj = typeof p === 'string' || Array.isArray(p) ? { steps: p } : p
  const texts = typeof obj.steps === 'string' ? [obj.steps] : obj.steps
  const stepsPath = (j: number) =>
    typeof p === 'string'
      ? `probes[${i}]`
      : Array.isArray(p)
        ? `probes[${i}][${j}]`
        : Array.isArray(obj.steps)
          ? `probes[${i}].steps[${j}]`
          : `probes[${i}].steps`
  const steps = texts.map((t, j) => {
    try {
      return parseInsnText(t)
    } catch (e) {
      if (e instanceof InsnSyntaxError) throw new MatrixSpecError(stepsPath(j), `cannot parse '${t}': ${e.message}`)
      throw e
    }
  })
  const set: Assignment[] = []
  if ('set' in obj && obj.set) {
    for (const [field, value] of Object.entries(obj.set))
      set.push(...assignField(`probes[${i}].set.${field}`, field, value))
  }
  const probeId = ('id' in obj && obj.id) || texts.join(' ; ')
  if (probeId.includes(SET_SEPARATOR) || probeId === ANY)
    throw new MatrixSpecError(`probes[${i}]`, `give the probe an id: '${probeId}' cannot serve as one`)
  return { id: probeId, label: ('label' in obj && obj.label) || probeId, steps, texts, set }
}

function assignField(where: string, field: string, value: Scalar): Assignment[] {
  const def = fieldDef(field)
  if (!def) throw new MatrixSpecError(where, unknownField(field))
  try {
    return def.assign(value)
  } catch (e) {
    throw new MatrixSpecError(where, (e as Error).message)
  }
}

function defaultValueId(v: Scalar): string {
  if (v === true) return 'on'
  if (v === false) return 'off'
  if (v === null) return 'none'
  return String(v)
}

/** Validates an `aplab/matrix@1` document; throws MatrixSpecError naming the first offending field. */
export function parseMatrixSpec(doc: unknown): MatrixSpec {
  const r = matrixSpecSchema.safeParse(doc)
  if (!r.success) throw zodError(r.error.issues)
  const spec = r.data
  compile(spec)
  return spec
}

/** Compiles a validated spec into a Matrix. Throws MatrixSpecError for anything the schema cannot see. */
export function compileMatrixSpec(spec: MatrixSpec): Matrix {
  return compile(spec)
}

/** Parse and compile in one call. */
export function loadMatrixSpec(doc: unknown): Matrix {
  return compile(parseMatrixSpec(doc))
}

function compile(spec: MatrixSpec): Matrix {
  const base = probeSpecOf(spec.base)
  if (!kernelProfile(base.kernel))
    throw new MatrixSpecError('base.kernel', `unknown kernel profile '${base.kernel}' (see aplab profiles)`)
  if (!qemuProfile(base.qemu))
    throw new MatrixSpecError('base.qemu', `unknown QEMU profile '${base.qemu}' (see aplab profiles)`)
  if (spec.base.regs) {
    for (const [k, v] of Object.entries(spec.base.regs)) {
      const p = parse64(v)
      if ('error' in p) throw new MatrixSpecError(`base.regs.${k}`, p.error)
    }
  }

  const dimensions: Dimension[] = []
  const dimIds = new Set<string>()
  spec.dimensions.forEach((d, i) => {
    const at = `dimensions[${i}]`
    if (dimIds.has(d.id)) throw new MatrixSpecError(`${at}.id`, `dimension '${d.id}' is defined twice`)
    dimIds.add(d.id)
    if (d.values.length === 0) throw new MatrixSpecError(`${at}.values`, `dimension '${d.id}' has no values`)
    if (d.field !== undefined && !fieldDef(d.field)) throw new MatrixSpecError(`${at}.field`, unknownField(d.field))
    const valueIds = new Set<string>()
    const values: DimValue[] = d.values.map((v, j) => {
      const vat = `${at}.values[${j}]`
      const assignments: Assignment[] = []
      if (v.value !== undefined) {
        if (d.field === undefined)
          throw new MatrixSpecError(
            `${at}.field`,
            `dimension '${d.id}' has values but no field (or give each value a "set")`,
          )
        assignments.push(...assignField(`${vat}.value`, d.field, v.value))
      } else if (v.set === undefined)
        throw new MatrixSpecError(
          `${vat}.value`,
          d.field ? `missing (a value for ${d.field})` : 'missing: give "value" or "set"',
        )
      for (const [field, value] of Object.entries(v.set ?? {}))
        assignments.push(...assignField(`${vat}.set.${field}`, field, value))
      const vid = v.id ?? (v.value !== undefined ? defaultValueId(v.value) : undefined)
      if (vid === undefined) throw new MatrixSpecError(`${vat}.id`, 'needed when the value is given only by "set"')
      if (vid === ANY || vid.includes(SET_SEPARATOR))
        throw new MatrixSpecError(`${vat}.id`, `'${vid}' cannot serve as an id (give one with "id")`)
      if (valueIds.has(vid))
        throw new MatrixSpecError(`${vat}.id`, `value id '${vid}' appears twice in dimension '${d.id}'`)
      valueIds.add(vid)
      // Check the combined configuration now, so a bad value fails before any work.
      const probe = applyAssignments({ ...base, insn: 'pqap tapq' } as ProbeSpec, assignments)
      if (!kernelProfile(probe.kernel)) throw new MatrixSpecError(vat, `unknown kernel profile '${probe.kernel}'`)
      if (!qemuProfile(probe.qemu)) throw new MatrixSpecError(vat, `unknown QEMU profile '${probe.qemu}'`)
      return {
        id: vid,
        label: v.label ?? vid,
        apply: compileAssignments(assignments),
        mutate: compileMutation(assignments),
      }
    })
    const dim: Dimension = { id: d.id, label: d.label ?? d.id, values }
    if (d.field !== undefined) dim.field = ALIASES.get(d.field) ?? d.field
    dimensions.push(dim)
  })

  const probes = spec.probes.map(compileProbe)
  const probeIds = new Set<string>()
  probes.forEach((p, i) => {
    if (probeIds.has(p.id)) throw new MatrixSpecError(`probes[${i}]`, `probe id '${p.id}' appears twice`)
    probeIds.add(p.id)
  })
  const probeValue = (p: CompiledProbe): DimValue => {
    const applySet = p.set.length > 0 ? compileAssignments(p.set) : (s: ProbeSpec) => s
    const mutateSet = p.set.length > 0 ? compileMutation(p.set) : null
    const insn = p.steps[p.steps.length - 1]!
    const program = p.steps.length > 1 ? p.steps : null
    return {
      id: p.id,
      label: p.label,
      apply: (s: ProbeSpec) => {
        const withSet = applySet(s)
        return p.steps.length === 1
          ? { ...withSet, insn: p.steps[0]! }
          : ({ ...withSet, insn: p.steps[p.steps.length - 1]!, program: p.steps } as ProbeSpec)
      },
      mutate: (s: ProbeSpec) => {
        if (mutateSet) mutateSet(s)
        s.insn = insn
        if (program) (s as MatrixProbeSpec).program = program
      },
    }
  }
  let matrixBase: ProbeSpec
  if (probes.length === 1) {
    matrixBase = probeValue(probes[0]!).apply({ ...base, insn: probes[0]!.steps[0]! } as ProbeSpec)
  } else {
    matrixBase = { ...base, insn: probes[0]!.steps[0]! } as ProbeSpec
    const pd = spec.probeDimension
    const probeDim: Dimension = {
      id: pd?.id ?? 'probe',
      label: pd?.label ?? 'PROBE',
      values: probes.map(probeValue),
      field: 'probe',
    }
    if (dimIds.has(probeDim.id))
      throw new MatrixSpecError(
        'probeDimension.id',
        `'${probeDim.id}' is also a dimension id; name the probe dimension`,
      )
    if (pd?.position === 'last') dimensions.push(probeDim)
    else dimensions.unshift(probeDim)
  }

  if (spec.rows) {
    spec.rows.forEach((row, i) => {
      if (row.length !== dimensions.length)
        throw new MatrixSpecError(
          `rows[${i}]`,
          `has ${row.length} coordinates; the matrix has ${dimensions.length} dimensions (${dimensions.map((d) => d.id).join(', ')})`,
        )
      row.forEach((p, j) => {
        if (p === ANY) return
        for (const v of p.split(SET_SEPARATOR))
          if (!dimensions[j]!.values.some((x) => x.id === v))
            throw new MatrixSpecError(`rows[${i}][${j}]`, `'${v}' is not a value of dimension '${dimensions[j]!.id}'`)
      })
    })
  }
  if (spec.diffAxis !== undefined) {
    const axis = dimensions.find((d) => d.id === spec.diffAxis)
    if (!axis) throw new MatrixSpecError('diffAxis', `no dimension '${spec.diffAxis}'`)
    if (axis.values.length < 2)
      throw new MatrixSpecError('diffAxis', `dimension '${spec.diffAxis}' needs at least two values`)
  }

  const matrix: Matrix = {
    name: spec.name,
    title: spec.title,
    description: spec.description,
    base: matrixBase,
    dimensions,
    outcome: spec.outcome ? [...spec.outcome] : [...DEFAULT_OUTCOME],
    spec,
  }
  if (spec.rows) matrix.rows = spec.rows.map((r) => [...r])
  if (spec.notes) matrix.notes = [...spec.notes]
  if (spec.diffAxis !== undefined) matrix.diffAxis = spec.diffAxis
  return matrix
}
