// The matrix builder's model: a catalogue of the dimensions people sweep most, and pure
// functions that read and change an `aplab/matrix@1` document (docs/matrix-format.md).
//
// The document itself is the builder's state: every control is a view of it, and every change
// writes a new document. So the JSON text and the form always say the same thing, a document
// loaded from a built-in or typed in keeps whatever the form does not edit (ids, labels, `set`
// values, hand-made rows, notes), and the service sees exactly what the user sees.
import type { MatrixSpecInput } from '../../../../src-preload/contract'

export const MATRIX_FORMAT = 'aplab/matrix@1'

export type Scalar = string | number | boolean | null
/** A matrix document as the builder holds it: any JSON object (the service validates it). */
export type SpecDoc = Record<string, unknown>

export type OutcomeField = 'pgm' | 'cc' | 'rc' | 'status' | 'placement' | 'handledBy'

export const OUTCOME_FIELDS: readonly { id: OutcomeField; label: string; title: string }[] = [
  { id: 'pgm', label: 'pgm', title: 'the program exception (always shown when one occurs)' },
  { id: 'cc', label: 'cc', title: 'the condition code after the instruction' },
  { id: 'rc', label: 'rc', title: 'the response code, read where the status was stored' },
  { id: 'status', label: 'status', title: 'the status flags E R F I' },
  { id: 'placement', label: 'placement', title: 'GR1 bits 32–63 or GR1 bits 0–31 (the hi quirk)' },
  { id: 'handledBy', label: 'handledBy', title: 'the layer that answered: firmware, kvm, vfio_ap, qemu' },
]

export const DEFAULT_OUTCOME: readonly OutcomeField[] = ['pgm', 'cc', 'rc', 'placement']

export interface CatalogOption {
  value: Scalar
  /** The value id the engine derives: `true` → `on`, `null` → `none`, numbers as text. */
  id: string
  /** Shown next to the checkbox. */
  label: string
  title?: string
}

export interface CatalogDim {
  /** Dimension id written into new documents; `builder-dim-<id>` in the UI. */
  id: string
  /** Column header written into new documents. */
  label: string
  group: string
  /** The field name written into new documents. */
  field: string
  /** What the dimension varies, for people. */
  title: string
  options: CatalogOption[]
}

export interface ProfileLite {
  id: string
  label: string
  date: string
}

// ---------------------------------------------------------------------------------------------
// Fields and their spellings

/** The engine's aliases (matrix-spec.ts ALIASES): both spellings name one field. */
const ALIASES: Record<string, string> = {
  cc: 'ccBefore',
  aiv: 'host.aiv',
  apxa: 'host.apxa',
  apInstructions: 'host.apInstructions',
}

export function canonicalField(field: string): string {
  const alias = ALIASES[field]
  if (alias) return alias
  const cpu = /^cpu\.(ap|apqci|apft|apqi|appv|appvi)$/.exec(field)
  return cpu ? `cpu.features.${cpu[1]}` : field
}

const BOOL_FIELDS = new Set([
  'gisa',
  'nested',
  'host.aiv',
  'host.apxa',
  'host.apInstructions',
  'host.facilities.12',
  'host.facilities.15',
  'host.facilities.65',
  'host.facilities.76',
  'queue.irqEnabled',
  'queue.resetInProgress',
  'queue.assigned',
  'faults.moduleGetFails',
  'faults.giscRegisterFails',
])

function isBoolField(canonical: string): boolean {
  return BOOL_FIELDS.has(canonical) || canonical.startsWith('cpu.features.')
}

/** One key per meaning of a value in a field: `true` and `"on"` are the same value of a flag. */
export function valueKey(field: string, v: unknown): string {
  const canonical = canonicalField(field)
  if (isBoolField(canonical)) {
    if (v === true || v === 'on') return 'on'
    if (v === false || v === 'off') return 'off'
  }
  if (v === null) return 'null'
  return `${typeof v}:${String(v)}`
}

// ---------------------------------------------------------------------------------------------
// The catalogue

const onOff = (onLabel = 'on', offLabel = 'off'): CatalogOption[] => [
  { value: true, id: 'on', label: onLabel },
  { value: false, id: 'off', label: offLabel },
]

const FEATURE_TITLES: Record<string, string> = {
  ap: 'AP instructions (facility 12): without it the guest has no AP',
  apqci: 'PQAP(QCI) (facility 12 QCI bit)',
  apft: 'PQAP(TAPQ) T bit: facility 15',
  apqi: 'PQAP(AQIC) interruption support: facility 65',
  appv: 'AP for protected (Secure Execution) guests',
  appvi: 'AP interruptions for protected guests',
}

export function buildCatalog(kernels: readonly ProfileLite[], qemus: readonly ProfileLite[]): CatalogDim[] {
  const profiles = (ps: readonly ProfileLite[]): CatalogOption[] =>
    ps.map((p) => ({ value: p.id, id: p.id, label: p.id, title: `${p.label}, ${p.date}` }))
  const features: CatalogDim[] = ['ap', 'apqci', 'apft', 'apqi', 'appv', 'appvi'].map((f) => ({
    id: f,
    label: f,
    group: 'CPU model features',
    field: `cpu.${f}`,
    title: `${FEATURE_TITLES[f]}; default: as -cpu host offers`,
    options: [
      { value: 'on', id: 'on', label: 'on' },
      { value: 'off', id: 'off', label: 'off' },
      { value: 'default', id: 'default', label: 'default', title: 'plain -cpu host: on wherever KVM offers it' },
    ],
  }))
  return [
    {
      id: 'kernel',
      label: 'kernel',
      group: 'Profiles',
      field: 'kernel',
      title: 'the host kernel profile (KVM and vfio_ap)',
      options: profiles(kernels),
    },
    {
      id: 'qemu',
      label: 'QEMU',
      group: 'Profiles',
      field: 'qemu',
      title: 'the QEMU profile',
      options: profiles(qemus),
    },
    {
      id: 'vfio',
      label: 'vfio_ap',
      group: 'vfio_ap and the queue',
      field: 'vfio',
      title: 'vfio_ap not loaded, loaded without an mdev for this guest, or an mdev attached (the hook)',
      options: [
        { value: 'none', id: 'none', label: 'none', title: 'vfio_ap not loaded' },
        { value: 'loaded', id: 'loaded', label: 'loaded', title: 'loaded, no mdev for this guest' },
        { value: 'mdev', id: 'mdev', label: 'mdev', title: 'mdev attached (hook)' },
      ],
    },
    {
      id: 'card',
      label: 'card',
      group: 'vfio_ap and the queue',
      field: 'queue.state',
      title: 'the state of the card behind the queue',
      options: [
        { value: 'online', id: 'online', label: 'online' },
        { value: 'checkstopped', id: 'checkstopped', label: 'checkstopped' },
        { value: 'deconfigured', id: 'deconfigured', label: 'deconfigured' },
      ],
    },
    ...features,
    {
      id: 'psw',
      label: 'PSW',
      group: 'Guest',
      field: 'psw',
      title: 'the PSW problem-state bit',
      options: [
        { value: 'supervisor', id: 'supervisor', label: 'supervisor' },
        { value: 'problem', id: 'problem', label: 'problem' },
      ],
    },
    {
      id: 'cc',
      label: 'cc before',
      group: 'Guest',
      field: 'cc',
      title: 'the PSW condition code before the instruction (shows whether an answer leaves it unchanged)',
      options: [0, 1, 2, 3].map((n) => ({ value: n, id: String(n), label: `cc ${n}` })),
    },
    {
      id: 'gisa',
      label: 'GISA',
      group: 'Guest',
      field: 'gisa',
      title: 'the VM has a GISA (ECA_AIV)',
      options: onOff(),
    },
    {
      id: 'nested',
      label: 'nested',
      group: 'Guest',
      field: 'nested',
      title: 'the guest runs nested (a guest of a guest)',
      options: onOff(),
    },
    {
      id: 'crycb',
      label: 'CRYCB',
      group: 'Host',
      field: 'crycb',
      title: 'CRYCB format: 0 without facility 76, 1 with 76 and no APXA, 2 with 76 and APXA',
      options: [
        { value: 'format0', id: 'format0', label: 'format 0', title: 'no facility 76' },
        { value: 'format1', id: 'format1', label: 'format 1', title: 'facility 76, host without APXA' },
        { value: 'format2', id: 'format2', label: 'format 2', title: 'facility 76 and APXA' },
      ],
    },
    {
      id: 'apxa',
      label: 'APXA',
      group: 'Host',
      field: 'apxa',
      title: 'the host QCI reports APXA (AP extended addressing)',
      options: onOff(),
    },
    {
      id: 'aiv',
      label: 'AIV',
      group: 'Host',
      field: 'aiv',
      title: 'adapter-interruption virtualization on the host',
      options: onOff(),
    },
    {
      id: 'fault-module',
      label: 'module get fails',
      group: 'Fault injection',
      field: 'faults.moduleGetFails',
      title: "vfio_ap's module reference cannot be taken",
      options: onOff('fails', 'ok'),
    },
    {
      id: 'fault-gisc',
      label: 'GISC register fails',
      group: 'Fault injection',
      field: 'faults.giscRegisterFails',
      title: 'kvm_s390_gisc_register fails',
      options: onOff('fails', 'ok'),
    },
    {
      id: 'fault-pin',
      label: 'NIB pin errno',
      group: 'Fault injection',
      field: 'faults.pinErrno',
      title: 'pinning the NIB page fails with this errno',
      options: [
        { value: null, id: 'none', label: 'none', title: 'pinning succeeds' },
        ...['EINVAL', 'E2BIG', 'EFAULT', 'ENOMEM', 'EPERM'].map((e) => ({ value: e, id: e, label: e })),
      ],
    },
  ]
}

// ---------------------------------------------------------------------------------------------
// Reading a document

function obj(v: unknown): Record<string, unknown> | null {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null
}

export function dimsOf(doc: SpecDoc): unknown[] {
  return Array.isArray(doc.dimensions) ? doc.dimensions : []
}

export function probesOf(doc: SpecDoc): unknown[] {
  return Array.isArray(doc.probes) ? doc.probes : []
}

function valuesOf(dim: unknown): unknown[] {
  const d = obj(dim)
  return d && Array.isArray(d.values) ? d.values : []
}

/** A dimension as the builder lists it. */
export interface DimInfo {
  index: number
  id: string
  label: string
  field: string | null
  /** Value ids (as the engine derives them) for display. */
  valueIds: string[]
  /** The catalogue entry whose checkboxes edit this dimension, or null (edit it in JSON). */
  catalogId: string | null
}

function valueIdOf(v: unknown): string {
  const o = obj(v)
  if (!o) return '?'
  if (typeof o.id === 'string') return o.id
  const x = o.value
  if (x === true) return 'on'
  if (x === false) return 'off'
  if (x === null) return 'none'
  return x === undefined ? '?' : String(x)
}

/** Whether the catalogue can edit a dimension: same field, and values given by `value` alone. */
function editableBy(dim: unknown, cat: CatalogDim): boolean {
  const d = obj(dim)
  if (!d || typeof d.field !== 'string' || canonicalField(d.field) !== canonicalField(cat.field)) return false
  return valuesOf(dim).every((v) => {
    const o = obj(v)
    return o !== null && 'value' in o && o.set === undefined
  })
}

export function describeDims(doc: SpecDoc, catalog: readonly CatalogDim[]): DimInfo[] {
  const claimed = new Set<string>()
  return dimsOf(doc).map((dim, index) => {
    const d = obj(dim) ?? {}
    const cat = catalog.find((c) => !claimed.has(c.id) && editableBy(dim, c)) ?? null
    if (cat) claimed.add(cat.id)
    return {
      index,
      id: typeof d.id === 'string' ? d.id : `#${index + 1}`,
      label: typeof d.label === 'string' ? d.label : typeof d.id === 'string' ? d.id : `#${index + 1}`,
      field: typeof d.field === 'string' ? d.field : null,
      valueIds: valuesOf(dim).map(valueIdOf),
      catalogId: cat?.id ?? null,
    }
  })
}

/** The checked values of a catalogue dimension in the document, and values it does not offer. */
export interface CatalogState {
  /** Index into `dimensions`, or -1 when the dimension is not swept. */
  index: number
  checked: Set<string>
  extras: { key: string; id: string }[]
}

export function catalogState(doc: SpecDoc, cat: CatalogDim, dims: readonly DimInfo[]): CatalogState {
  const info = dims.find((d) => d.catalogId === cat.id)
  if (!info) return { index: -1, checked: new Set(), extras: [] }
  const known = new Set(cat.options.map((o) => valueKey(cat.field, o.value)))
  const checked = new Set<string>()
  const extras: { key: string; id: string }[] = []
  for (const v of valuesOf(dimsOf(doc)[info.index])) {
    const key = valueKey(cat.field, obj(v)?.value)
    checked.add(key)
    if (!known.has(key)) extras.push({ key, id: valueIdOf(v) })
  }
  return { index: info.index, checked, extras }
}

export function optionKey(cat: CatalogDim, o: CatalogOption): string {
  return valueKey(cat.field, o.value)
}

// ---------------------------------------------------------------------------------------------
// Changing a document (every function returns a new document)

function withDims(doc: SpecDoc, dims: unknown[]): SpecDoc {
  return { ...doc, dimensions: dims }
}

function uniqueDimId(doc: SpecDoc, wanted: string): string {
  const taken = new Set(dimsOf(doc).map((d) => obj(d)?.id))
  if (!taken.has(wanted)) return wanted
  for (let n = 2; ; n++) if (!taken.has(`${wanted}-${n}`)) return `${wanted}-${n}`
}

/**
 * Sets which values of a catalogue dimension are swept. Values keep their objects (ids, labels)
 * and the catalogue's order; values the catalogue does not offer stay at the end unless `keys`
 * leaves them out. No value left: the dimension leaves the document.
 */
export function setCatalogValues(
  doc: SpecDoc,
  cat: CatalogDim,
  dims: readonly DimInfo[],
  keys: ReadonlySet<string>,
): SpecDoc {
  const state = catalogState(doc, cat, dims)
  const all = dimsOf(doc)
  const existing = state.index >= 0 ? valuesOf(all[state.index]) : []
  const byKey = new Map(existing.map((v) => [valueKey(cat.field, obj(v)?.value), v] as const))
  const values: unknown[] = []
  for (const o of cat.options) {
    const k = optionKey(cat, o)
    if (keys.has(k)) values.push(byKey.get(k) ?? { value: o.value })
  }
  for (const e of state.extras) if (keys.has(e.key)) values.push(byKey.get(e.key))
  if (state.index < 0) {
    if (values.length === 0) return doc
    return withDims(doc, [...all, { id: uniqueDimId(doc, cat.id), label: cat.label, field: cat.field, values }])
  }
  if (values.length === 0) return withDims(doc, all.toSpliced(state.index, 1))
  return withDims(doc, all.toSpliced(state.index, 1, { ...obj(all[state.index]), values }))
}

export function toggleCatalogValue(
  doc: SpecDoc,
  cat: CatalogDim,
  dims: readonly DimInfo[],
  key: string,
  on: boolean,
): SpecDoc {
  const keys = new Set(catalogState(doc, cat, dims).checked)
  if (on) keys.add(key)
  else keys.delete(key)
  return setCatalogValues(doc, cat, dims, keys)
}

export function moveDim(doc: SpecDoc, index: number, delta: -1 | 1): SpecDoc {
  const all = [...dimsOf(doc)]
  const to = index + delta
  if (index < 0 || index >= all.length || to < 0 || to >= all.length) return doc
  ;[all[index], all[to]] = [all[to], all[index]]
  return withDims(doc, all)
}

export function removeDim(doc: SpecDoc, index: number): SpecDoc {
  const all = dimsOf(doc)
  if (index < 0 || index >= all.length) return doc
  return withDims(doc, all.toSpliced(index, 1))
}

// ---------------------------------------------------------------------------------------------
// Probes: one per line; a short program is its steps separated by `;`

/** The steps of a probe entry, or null when it has no readable steps. */
export function probeSteps(p: unknown): string[] | null {
  if (typeof p === 'string') return [p]
  if (Array.isArray(p)) return p.every((s) => typeof s === 'string') ? (p as string[]) : null
  const o = obj(p)
  if (!o) return null
  return probeSteps(o.steps)
}

export function probeLine(p: unknown): string {
  const steps = probeSteps(p)
  return steps ? steps.join(' ; ') : JSON.stringify(p)
}

export function probesText(doc: SpecDoc): string {
  return probesOf(doc).map(probeLine).join('\n')
}

/** Whether a probe entry carries more than its steps (an id, a label, a `set`): kept as written. */
export function probeHasExtras(p: unknown): boolean {
  const o = obj(p)
  return o !== null && (o.id !== undefined || o.label !== undefined || o.set !== undefined)
}

export function splitProbeLines(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
}

/** Rewrites `probes` from the text; a line equal to an existing probe keeps that probe's object. */
export function setProbesText(doc: SpecDoc, text: string): SpecDoc {
  const existing = new Map<string, unknown>()
  for (const p of probesOf(doc)) {
    const line = probeLine(p)
    if (!existing.has(line)) existing.set(line, p)
  }
  const probes = splitProbeLines(text).map((line) => {
    const kept = existing.get(line)
    if (kept !== undefined) return kept
    const steps = line
      .split(';')
      .map((s) => s.trim())
      .filter((s) => s !== '')
    return steps.length === 1 ? steps[0]! : steps
  })
  return { ...doc, probes }
}

/** Appends a probe line unless the document already has it. */
export function addProbe(doc: SpecDoc, insn: string): SpecDoc {
  if (probesOf(doc).some((p) => probeLine(p) === insn)) return doc
  return { ...doc, probes: [...probesOf(doc), insn] }
}

// ---------------------------------------------------------------------------------------------
// Outcome fields, name, title, base

export function outcomeOf(doc: SpecDoc): OutcomeField[] {
  if (!Array.isArray(doc.outcome)) return [...DEFAULT_OUTCOME]
  return doc.outcome.filter((f): f is OutcomeField => OUTCOME_FIELDS.some((o) => o.id === f))
}

export function setOutcome(doc: SpecDoc, field: OutcomeField, on: boolean): SpecDoc {
  const cur = new Set(outcomeOf(doc))
  if (on) cur.add(field)
  else cur.delete(field)
  return { ...doc, outcome: OUTCOME_FIELDS.map((o) => o.id).filter((f) => cur.has(f)) }
}

export function setText(doc: SpecDoc, key: 'name' | 'title', value: string): SpecDoc {
  return { ...doc, [key]: value }
}

export function baseOf(doc: SpecDoc): Record<string, unknown> {
  return obj(doc.base) ?? {}
}

/** Sets `base.kernel` or `base.qemu`; '' removes it (the engine default applies). */
export function setBase(doc: SpecDoc, key: 'kernel' | 'qemu', value: string): SpecDoc {
  const base = { ...baseOf(doc) }
  if (value === '') delete base[key]
  else base[key] = value
  return { ...doc, base }
}

/** `kernel linux-6.8 · vfio none · …`: the base fields other than kernel and QEMU, for one line. */
export function baseSummary(doc: SpecDoc): string {
  const out: string[] = []
  const walk = (prefix: string, o: Record<string, unknown>) => {
    for (const [k, v] of Object.entries(o)) {
      if (prefix === '' && (k === 'kernel' || k === 'qemu')) continue
      const o2 = obj(v)
      if (o2) walk(`${prefix}${k}.`, o2)
      else out.push(`${prefix}${k}=${JSON.stringify(v)}`)
    }
  }
  walk('', baseOf(doc))
  return out.join(' · ')
}

// ---------------------------------------------------------------------------------------------
// Size

export interface Shape {
  parts: { id: string; count: number }[]
  probes: number
  cells: number
}

export function shapeOf(doc: SpecDoc): Shape {
  const parts = dimsOf(doc).map((d, i) => ({
    id: typeof obj(d)?.id === 'string' ? (obj(d)!.id as string) : `#${i + 1}`,
    count: valuesOf(d).length,
  }))
  const probes = probesOf(doc).length
  // More than one probe: the probes form a dimension of their own.
  let cells = probes
  for (const p of parts) cells *= p.count
  return { parts, probes, cells }
}

// ---------------------------------------------------------------------------------------------
// Documents

export function blankSpec(): SpecDoc {
  return {
    format: MATRIX_FORMAT,
    name: 'custom',
    title: 'Custom matrix',
    base: {},
    dimensions: [],
    probes: [],
  }
}

export function serialize(doc: SpecDoc): string {
  return JSON.stringify(doc, null, 2)
}

/** Parses the JSON text of a document; a reason when it is not a JSON object. */
export function parseSpecText(text: string): { doc: SpecDoc } | { error: string } {
  let v: unknown
  try {
    v = JSON.parse(text)
  } catch (e) {
    return { error: `not JSON: ${(e as Error).message}` }
  }
  const o = obj(v)
  if (!o) return { error: 'a matrix document is a JSON object' }
  return { doc: o }
}

export function asSpecInput(doc: SpecDoc): MatrixSpecInput {
  return doc as unknown as MatrixSpecInput
}

// ---------------------------------------------------------------------------------------------
// Service errors: where in the builder a field path belongs

export type ErrorArea =
  | { area: 'dim'; index: number }
  | { area: 'probes'; index: number | null }
  | { area: 'name' | 'title' | 'outcome' | 'base' | 'cells' | 'json' }

/** Maps a service field (`spec.dimensions[1].values[0].value`) to the part of the builder it names. */
export function errorArea(field: string | undefined): ErrorArea {
  const f = (field ?? '').replace(/^payload\./, '').replace(/^spec\.?/, '')
  if (f === 'dimensions') return { area: 'cells' }
  const dim = /^dimensions\[(\d+)\]/.exec(f)
  if (dim) return { area: 'dim', index: Number(dim[1]) }
  const probe = /^probes(?:\[(\d+)\])?/.exec(f)
  if (probe) return { area: 'probes', index: probe[1] !== undefined ? Number(probe[1]) : null }
  if (f === 'name' || f === 'title' || f.startsWith('outcome') || f.startsWith('base'))
    return { area: f.startsWith('outcome') ? 'outcome' : f.startsWith('base') ? 'base' : (f as 'name' | 'title') }
  return { area: 'json' }
}

/** A file name from a matrix name. */
export function fileStem(name: unknown): string {
  const s = typeof name === 'string' ? name.replace(/[^A-Za-z0-9._-]+/g, '_') : ''
  return s === '' ? 'matrix' : s
}
