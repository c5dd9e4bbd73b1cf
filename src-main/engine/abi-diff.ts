// ABI diffs: compare the cells of a matrix along one dimension (two kernel profiles, two QEMU
// profiles, or any axis) and list every cell whose guest-visible outcome changed, grouped by
// change, with the rules that decided before and after, their sources, and where in the
// configuration space each change happens (a collapsed table over the other dimensions).
//
// `diffPlan` builds the sweep `aplab diff A B` runs: the other relevant dimensions (QEMU or
// kernel counterpart, vfio_ap state, CPU features, PSW state, GISA, AIV, APXA, nesting) × a
// probe set (AQIC variants, other function codes, NQAP/DQAP).
import { rcName } from './arch'
import {
  ANY,
  computeCell,
  coordsAt,
  minimizeCover,
  hex2,
  type Cell,
  type Matrix,
  type Observed,
  type ResultDimension,
  type TableRow,
} from './matrix'
import { MATRIX_FORMAT, type MatrixSpec } from './matrix-spec'
import { findProfile, kernelProfile, type Profile } from './profiles'
import { RULES, type RuleId } from './rules'
import type { TraceRecord } from './trace'

export const DIFF_FORMAT = 'aplab/abi-diff@1'

export class DiffError extends Error {
  constructor(
    readonly field: string,
    reason: string,
  ) {
    super(`${field}: ${reason}`)
  }
}

// ---------------------------------------------------------------------------------------------
// Describing what the guest saw

/** Every guest-visible field in one phrase, e.g. `cc 3, RC 0x01 Q_NOT_AVAIL in GR1 bits 0–31 (kvm)`. */
export function describeVisible(o: Observed | undefined, fallback: string): string {
  if (!o) return fallback
  if (!o.started) return 'guest does not start'
  if (o.pgm) return `${o.pgm} (${o.handledBy})`
  let s = `cc ${o.cc}`
  if (o.rc !== null) {
    s += `, RC ${hex2(o.rc)} ${rcName(o.rc)}`
    const set = (o.flags ?? '')
      .split(' ')
      .filter((f) => f.endsWith('1'))
      .map((f) => f[0])
    if (set.length > 0) s += ` [${set.join(' ')}]`
    s += o.placement === 'hi' ? ' in GR1 bits 0–31' : ' in GR1 bits 32–63'
  }
  return `${s} (${o.handledBy})`
}

function visibleKey(c: Cell): string {
  const o = c.observed
  if (!o) return `${c.outcome}\u0000${c.handledBy ?? ''}`
  return [o.started, o.pgm, o.cc, o.rc, o.flags, o.placement, o.handledBy].join('\u0000')
}

// ---------------------------------------------------------------------------------------------
// Results

export interface DiffSide {
  /** What the guest saw (guest-visible changes), the deciding rule (path changes) or the host log. */
  outcome: string
  rule: RuleId | null
  /** The rule's source: version, file, function. */
  ref: string | null
  /** The deciding trace record's sentence, from an example cell. */
  text: string | null
  /** The rules of the example cell's trace, in order. */
  path: RuleId[]
}

export interface DiffExample {
  coords: string[]
  before: { outcome: string; trace: TraceRecord[] }
  after: { outcome: string; trace: TraceRecord[] }
}

export interface AbiChange {
  kind: 'visible' | 'path' | 'host'
  /** One line: `OPERATION (qemu) → SPECIFICATION (kvm)`. */
  summary: string
  before: DiffSide
  after: DiffSide
  /** Number of cells (configuration × probe) with this change. */
  cells: number
  /** Where it happens: a collapsed table over the dimensions other than the axis. */
  where: TableRow[]
  /** The same as sentences, one per row of `where`. */
  conditions: string[]
  examples: DiffExample[]
  /** Every cell with this change: coordinates over the other dimensions. */
  members: string[][]
}

export interface AxisDiff {
  axis: { id: string; label: string }
  from: { id: string; label: string }
  to: { id: string; label: string }
  /** The dimensions other than the axis, in matrix order. */
  dimensions: ResultDimension[]
  /** Cells per side. */
  compared: number
  changes: AbiChange[]
  pathChanges: AbiChange[]
  hostChanges: AbiChange[]
  summary: string
}

export interface AbiDiff extends AxisDiff {
  format: typeof DIFF_FORMAT
  kind: 'kernel' | 'qemu' | 'axis'
  a: string
  b: string
  title: string
  probes: { id: string; label: string; steps: string[] }[]
  profiles: {
    id: string
    kind: 'kernel' | 'qemu'
    label: string
    date: string
    represents: string
    sources: string[]
  }[]
  notes: string[]
  spec: MatrixSpec | null
}

export interface DiffOptions {
  /** Recomputes a cell with its trace (for the examples) when the swept cells carry none. */
  retrace?: (coords: string[]) => Cell
  /** Example cells shown per change (default 3). */
  examples?: number
}

function ruleSentence(trace: readonly TraceRecord[], rule: RuleId | null): TraceRecord | null {
  if (!rule) return null
  for (let i = trace.length - 1; i >= 0; i--) if (trace[i]!.rule === rule) return trace[i]!
  return null
}

function side(outcome: string, cell: Cell, traced: Cell | null): DiffSide {
  const trace = traced?.trace ?? cell.trace
  const rec = ruleSentence(trace, cell.rule)
  return {
    outcome,
    rule: cell.rule,
    ref: rec?.ref ?? null,
    text: rec?.text ?? (cell.rule ? RULES[cell.rule].text : null),
    path: trace.map((t) => t.rule),
  }
}

/**
 * A row coordinate for people: `x`, a value, `a|b`, or — for a set holding more than half of
 * the values of a dimension with six or more — `≠c|d`, the values it leaves out.
 */
export function presentCoord(dim: { values: readonly { id: string }[] }, coord: string): string {
  if (coord === ANY || !coord.includes('|') || dim.values.length < 6) return coord
  const inSet = new Set(coord.split('|'))
  if (inSet.size * 2 <= dim.values.length) return coord
  return '≠' + dim.values.flatMap((v) => (inSet.has(v.id) ? [] : [v.id])).join('|')
}

function conditionText(dims: readonly ResultDimension[], row: TableRow): string {
  const parts = row.coords.flatMap((c, i) => {
    if (c === ANY) return []
    const shown = presentCoord(dims[i]!, c)
    return [
      shown.startsWith('≠')
        ? `${dims[i]!.id} ≠ ${shown.slice(1).split('|').join(' or ')}`
        : `${dims[i]!.id} = ${c.split('|').join(' or ')}`,
    ]
  })
  return parts.length === 0 ? 'in every configuration swept' : parts.join(', ')
}

/**
 * Compares the cells of a complete sweep between two values of one dimension. `cells` are in
 * grid order (all of them, as computeCells / a sweep returns).
 */
/** A dimension as results carry it: ids and labels. */
export interface DimLike {
  id: string
  label: string
  values: readonly { id: string; label: string }[]
}

export function diffAlong(
  matrix: { dimensions: readonly DimLike[] },
  cells: readonly Cell[],
  axisId: string,
  fromId: string,
  toId: string,
  opts: DiffOptions = {},
): AxisDiff {
  const dims = matrix.dimensions
  const axisIndex = dims.findIndex((d) => d.id === axisId)
  if (axisIndex < 0) throw new DiffError('axis', `no dimension '${axisId}'`)
  const axis = dims[axisIndex]!
  const fromIndex = axis.values.findIndex((v) => v.id === fromId)
  const toIndex = axis.values.findIndex((v) => v.id === toId)
  if (fromIndex < 0) throw new DiffError('from', `'${fromId}' is not a value of '${axisId}'`)
  if (toIndex < 0) throw new DiffError('to', `'${toId}' is not a value of '${axisId}'`)
  const others = dims.filter((_, i) => i !== axisIndex)
  const otherDims: ResultDimension[] = others.map((d) => ({
    id: d.id,
    label: d.label,
    values: d.values.map((v) => ({ id: v.id, label: v.label })),
  }))
  let stride = 1
  for (let i = dims.length - 1; i > axisIndex; i--) stride *= dims[i]!.values.length
  const n = axis.values.length
  const total = cells.length / n

  interface Group {
    kind: AbiChange['kind']
    key: string
    before: string
    after: string
    first: { a: Cell; b: Cell }
    members: number[]
    index: number
  }
  const groups = new Map<string, Group>()
  const labels = new Int32Array(total).fill(-1)
  const order: Group[] = []
  let sub = 0
  // Walk the sub-grid (every cell with the axis removed) in grid order.
  for (let hiBlock = 0; hiBlock < cells.length; hiBlock += stride * n) {
    for (let loOff = 0; loOff < stride; loOff++, sub++) {
      const a = cells[hiBlock + fromIndex * stride + loOff]!
      const b = cells[hiBlock + toIndex * stride + loOff]!
      let kind: AbiChange['kind'] | null = null
      let before = ''
      let after = ''
      if (visibleKey(a) !== visibleKey(b)) {
        kind = 'visible'
        before = describeVisible(a.observed, a.outcome)
        after = describeVisible(b.observed, b.outcome)
      } else if (a.rule !== b.rule) {
        kind = 'path'
        before = describeVisible(a.observed, a.outcome)
        after = before
      } else if ((a.hostLog ?? []).join('\n') !== (b.hostLog ?? []).join('\n')) {
        kind = 'host'
        before = (a.hostLog ?? []).join('; ') || '(no host log)'
        after = (b.hostLog ?? []).join('; ') || '(no host log)'
      }
      if (!kind) continue
      const key = [kind, before, after, a.rule, b.rule].join('\u0000')
      let g = groups.get(key)
      if (!g) {
        g = { kind, key, before, after, first: { a, b }, members: [], index: order.length }
        groups.set(key, g)
        order.push(g)
      }
      labels[sub] = g.index
      g.members.push(sub)
    }
  }

  // Where each change happens: one collapsed table over the other dimensions, outcome = group.
  const subCoords = (j: number): string[] => coordsAt({ dimensions: others }, j)
  const whereCells: { coords: string[]; outcome: string }[] = []
  for (let j = 0; j < total; j++) whereCells.push({ coords: subCoords(j), outcome: String(labels[j]) })
  const cover = order.length > 0 ? minimizeCover(others, whereCells) : []

  const maxExamples = opts.examples ?? 3
  const changes: AbiChange[] = order.map((g, gi) => {
    const where = cover.filter((r) => r.outcome === String(gi)).map((r) => ({ coords: r.coords, outcome: g.after }))
    const examples: DiffExample[] = []
    const exampleCells: { a: Cell; b: Cell }[] = []
    for (const j of g.members.slice(0, maxExamples)) {
      const coords = subCoords(j)
      const full = (valueId: string) => [...coords.slice(0, axisIndex), valueId, ...coords.slice(axisIndex)]
      const hi = Math.floor(j / stride)
      const lo = j % stride
      let a = cells[hi * stride * n + fromIndex * stride + lo]!
      let b = cells[hi * stride * n + toIndex * stride + lo]!
      if (opts.retrace && a.trace.length === 0) a = opts.retrace(full(fromId))
      if (opts.retrace && b.trace.length === 0) b = opts.retrace(full(toId))
      exampleCells.push({ a, b })
      examples.push({
        coords,
        before: { outcome: describeVisible(a.observed, a.outcome), trace: a.trace },
        after: { outcome: describeVisible(b.observed, b.outcome), trace: b.trace },
      })
    }
    const ex = exampleCells[0] ?? { a: g.first.a, b: g.first.b }
    const beforeSide = side(g.before, g.first.a, ex.a)
    const afterSide = side(g.after, g.first.b, ex.b)
    const summary =
      g.kind === 'path'
        ? `${g.before}: decided by ${g.first.a.rule} → ${g.first.b.rule}`
        : g.kind === 'host'
          ? `host log: ${g.before} → ${g.after}`
          : `${g.before} → ${g.after}`
    return {
      kind: g.kind,
      summary,
      before: beforeSide,
      after: afterSide,
      cells: g.members.length,
      where,
      conditions: where.map((r) => conditionText(otherDims, r)),
      examples,
      members: g.members.map(subCoords),
    }
  })

  const visible = changes.filter((c) => c.kind === 'visible')
  const path = changes.filter((c) => c.kind === 'path')
  const host = changes.filter((c) => c.kind === 'host')
  const count = (cs: AbiChange[]) => cs.reduce((s, c) => s + c.cells, 0)
  const from = axis.values[fromIndex]!
  const to = axis.values[toIndex]!
  const parts: string[] = []
  if (visible.length === 0)
    parts.push(`No guest-visible change from ${from.id} to ${to.id} in ${total.toLocaleString('en-US')} cells.`)
  else
    parts.push(
      `${visible.length} guest-visible change${visible.length === 1 ? '' : 's'} from ${from.id} to ${to.id} in ${count(visible).toLocaleString('en-US')} of ${total.toLocaleString('en-US')} cells.`,
    )
  if (path.length > 0)
    parts.push(
      `Same outcome, different deciding rule: ${path.length} change${path.length === 1 ? '' : 's'} in ${count(path).toLocaleString('en-US')} cells.`,
    )
  if (host.length > 0)
    parts.push(
      `${visible.length === 0 ? 'Only' : 'Also'} host-side: ${host.length} change${host.length === 1 ? '' : 's'} of the host log in ${count(host).toLocaleString('en-US')} cells (${host[0]!.before.outcome} → ${host[0]!.after.outcome}${host.length > 1 ? ', …' : ''}).`,
    )
  return {
    axis: { id: axis.id, label: axis.label },
    from: { id: from.id, label: from.label },
    to: { id: to.id, label: to.label },
    dimensions: otherDims,
    compared: total,
    changes: visible,
    pathChanges: path,
    hostChanges: host,
    summary: parts.join(' '),
  }
}

// ---------------------------------------------------------------------------------------------
// The sweep behind `aplab diff A B`

export interface DiffProbe {
  id: string
  label: string
  steps: string[]
  set?: Record<string, string | number | boolean | null>
}

const AQIC_ON = 'pqap aqic 05.0004 ir=1 isc=6 nib=0x2000'

export const DIFF_PROBES: readonly DiffProbe[] = [
  { id: 'aqic-enable', label: 'AQIC enable, valid NIB', steps: [AQIC_ON] },
  { id: 'aqic-disable', label: 'AQIC disable (IR = 0)', steps: ['pqap aqic 05.0004 ir=0'] },
  {
    id: 'aqic-reserved',
    label: 'AQIC with GR0 bit 47 (reserved) set',
    steps: [AQIC_ON],
    set: { 'regs.r0': '0x03010504' },
  },
  {
    id: 'aqic-t-bit',
    label: 'AQIC with the T bit (GR0 bit 40)',
    steps: ['pqap aqic 05.0004 t=1 ir=1 isc=6 nib=0x2000'],
  },
  { id: 'aqic-apid-32', label: 'AQIC on APQN 20.0004 (APID 32)', steps: ['pqap aqic 20.0004 ir=1 isc=6 nib=0x2000'] },
  { id: 'aqic-apid-64', label: 'AQIC on APQN 40.0004 (APID 64)', steps: ['pqap aqic 40.0004 ir=1 isc=6 nib=0x2000'] },
  { id: 'aqic-apqi-16', label: 'AQIC on APQN 05.0010 (APQI 16)', steps: ['pqap aqic 05.0010 ir=1 isc=6 nib=0x2000'] },
  { id: 'aqic-nib-0', label: 'AQIC enable with NIB 0', steps: ['pqap aqic 05.0004 ir=1 isc=6 nib=0'] },
  {
    id: 'aqic-nib-outside',
    label: 'AQIC enable with the NIB outside guest memory',
    steps: ['pqap aqic 05.0004 ir=1 isc=6 nib=0x40000000'],
  },
  {
    id: 'aqic-enabled-again',
    label: 'AQIC enable on a queue already enabled',
    steps: [AQIC_ON],
    set: { 'queue.irqEnabled': true },
  },
  {
    id: 'aqic-disable-enabled',
    label: 'AQIC disable on an enabled queue',
    steps: ['pqap aqic 05.0004 ir=0'],
    set: { 'queue.irqEnabled': true },
  },
  {
    id: 'aqic-unassigned',
    label: "AQIC on a queue outside the mdev's matrix",
    steps: [AQIC_ON],
    set: { 'queue.assigned': false },
  },
  {
    id: 'aqic-checkstopped',
    label: 'AQIC on a checkstopped card',
    steps: [AQIC_ON],
    set: { 'queue.state': 'checkstopped' },
  },
  {
    id: 'aqic-gisc-fail',
    label: 'AQIC enable, GISC registration fails',
    steps: [AQIC_ON],
    set: { 'faults.giscRegisterFails': true },
  },
  {
    id: 'aqic-pin-efault',
    label: 'AQIC enable, pinning the NIB fails (EFAULT)',
    steps: [AQIC_ON],
    set: { 'faults.pinErrno': 'EFAULT' },
  },
  {
    id: 'aqic-module-get-fail',
    label: "AQIC while vfio_ap's module reference cannot be taken",
    steps: [AQIC_ON],
    set: { 'faults.moduleGetFails': true },
  },
  { id: 'tapq', label: 'TAPQ', steps: ['pqap tapq 05.0004'] },
  { id: 'tapq-t', label: 'TAPQ with T bit', steps: ['pqap tapq 05.0004 t=1'] },
  { id: 'rapq', label: 'RAPQ', steps: ['pqap rapq 05.0004'] },
  { id: 'zapq', label: 'ZAPQ', steps: ['pqap zapq 05.0004'] },
  { id: 'qci', label: 'QCI', steps: ['pqap qci'] },
  { id: 'fc-2a', label: 'PQAP with an unknown FC (0x2a)', steps: ['pqap fc=0x2a 05.0004'] },
  { id: 'nqap', label: 'NQAP', steps: ['nqap 05.0004'] },
  { id: 'dqap', label: 'DQAP', steps: ['dqap 05.0004'] },
]

export const PROBE_SETS: Readonly<Record<string, readonly string[]>> = {
  aqic: DIFF_PROBES.filter((p) => p.id.startsWith('aqic-')).map((p) => p.id),
  fc: ['tapq', 'tapq-t', 'rapq', 'zapq', 'qci', 'fc-2a'],
  msg: ['nqap', 'dqap'],
  all: DIFF_PROBES.map((p) => p.id),
}

/** Resolves probe-set words: set names, probe ids, or instruction texts (anything with a space). */
export function resolveProbes(words: readonly string[] | undefined): DiffProbe[] {
  if (!words || words.length === 0) return [...DIFF_PROBES]
  const out: DiffProbe[] = []
  const add = (p: DiffProbe) => {
    if (!out.some((o) => o.id === p.id)) out.push(p)
  }
  words.forEach((w, i) => {
    for (const part of w.includes(' ') ? [w] : w.split(',').filter(Boolean)) {
      const set = PROBE_SETS[part]
      if (set) {
        for (const id of set) add(DIFF_PROBES.find((p) => p.id === id)!)
        continue
      }
      const known = DIFF_PROBES.find((p) => p.id === part)
      if (known) {
        add(known)
        continue
      }
      if (/^(pqap|nqap|dqap)\b/i.test(part)) {
        add({ id: part, label: part, steps: [part] })
        continue
      }
      throw new DiffError(
        `probes[${i}]`,
        `unknown probe or probe set '${part}' (sets: ${Object.keys(PROBE_SETS).join(', ')}; probes: ${DIFF_PROBES.map((p) => p.id).join(', ')}; or an instruction text such as "pqap aqic 05.0004 nib=0")`,
      )
    }
  })
  return out
}

const KERNEL_COUNTERPARTS = ['linux-5.2', 'linux-5.3', 'linux-6.0', 'linux-6.3', 'linux-6.8']

function commonDims(): MatrixSpec['dimensions'] {
  return [
    {
      id: 'vfio',
      label: 'vfio_ap',
      field: 'vfio',
      values: [
        { id: 'none', label: 'not loaded', value: 'none' },
        { id: 'loaded', label: 'loaded, no mdev for this guest', value: 'loaded' },
        { id: 'mdev', label: 'mdev attached (hook)', value: 'mdev' },
      ],
    },
    { id: 'psw', label: 'PSW', field: 'psw', values: [{ value: 'supervisor' }, { value: 'problem' }] },
    { id: 'gisa', label: 'GISA', field: 'gisa', values: [{ value: true }, { value: false }] },
    { id: 'aiv', label: 'host AIV', field: 'aiv', values: [{ value: true }, { value: false }] },
    { id: 'apxa', label: 'host APXA', field: 'apxa', values: [{ value: true }, { value: false }] },
    {
      id: 'apft',
      label: 'apft (facility 15)',
      field: 'cpu.apft',
      values: [
        { id: 'default', label: 'as -cpu host offers', value: 'default' },
        { id: 'off', label: 'apft=off', value: 'off' },
      ],
    },
    { id: 'nested', label: 'nested', field: 'nested', values: [{ value: false }, { value: true }] },
  ]
}

function profileInfo(p: Profile) {
  return { id: p.id, kind: p.kind, label: p.label, date: p.date, represents: p.represents, sources: [...p.sources] }
}

/** The matrix spec `aplab diff a b [probes]` sweeps; the axis is the first non-probe dimension. */
export function diffPlan(
  a: string,
  b: string,
  probeWords?: readonly string[],
): { spec: MatrixSpec; kind: 'kernel' | 'qemu' } {
  const pa = findProfile(a)
  const pb = findProfile(b)
  if (!pa) throw new DiffError('profileA', `no kernel or QEMU profile named '${a}' (see aplab profiles)`)
  if (!pb) throw new DiffError('profileB', `no kernel or QEMU profile named '${b}' (see aplab profiles)`)
  if (pa.kind !== pb.kind)
    throw new DiffError(
      'profileB',
      `'${a}' is a ${pa.kind === 'kernel' ? 'kernel' : 'QEMU'} profile but '${b}' is a ${pb.kind === 'kernel' ? 'kernel' : 'QEMU'} profile; diff two kernel profiles or two QEMU profiles`,
    )
  if (a === b) throw new DiffError('profileB', `'${a}' compared with itself`)
  const probes = resolveProbes(probeWords)
  const kind = pa.kind
  const axis = {
    id: kind,
    label: kind === 'kernel' ? 'kernel' : 'QEMU',
    field: kind,
    values: [
      { id: a, label: pa.label, value: a },
      { id: b, label: pb.label, value: b },
    ],
  }
  const counterpart =
    kind === 'kernel'
      ? {
          id: 'qemu',
          label: 'QEMU',
          values: [
            { id: 'Q0', label: 'qemu-3.0 (no AP support)', set: { qemu: 'qemu-3.0' } },
            { id: 'Q-old', label: 'qemu-4.0 -cpu host', set: { qemu: 'qemu-4.0' } },
            { id: 'Q-new/off', label: 'qemu-4.1 -cpu host,apqi=off', set: { qemu: 'qemu-4.1', 'cpu.apqi': 'off' } },
            { id: 'Q-new', label: 'qemu-4.1 -cpu host (apqi where offered)', set: { qemu: 'qemu-4.1' } },
          ],
        }
      : {
          id: 'kernel',
          label: 'kernel',
          field: 'kernel',
          values: KERNEL_COUNTERPARTS.map((k) => ({ id: k, label: kernelProfile(k)!.label, value: k })),
        }
  const extra =
    kind === 'qemu'
      ? [
          {
            id: 'cpu',
            label: 'CPU model',
            values: [
              { id: 'host', label: '-cpu host', set: { 'cpu.apqi': 'default' } },
              { id: 'host,apqi=off', label: '-cpu host,apqi=off', set: { 'cpu.apqi': 'off' } },
            ],
          },
        ]
      : []
  const spec: MatrixSpec = {
    format: MATRIX_FORMAT,
    name: `diff-${a}-${b}`.replace(/[^A-Za-z0-9._-]/g, '_'),
    title: `ABI diff ${a} → ${b}`,
    description: `Every guest-visible outcome of ${probes.length} probe${probes.length === 1 ? '' : 's'} under ${a} and ${b}, swept over ${kind === 'kernel' ? 'QEMU variants' : 'kernel profiles, CPU models'}, vfio_ap state, PSW state, GISA, host AIV, host APXA, facility 15 and nesting.`,
    base: { kernel: kind === 'kernel' ? a : 'linux-6.8', qemu: kind === 'qemu' ? a : 'qemu-4.1', ccBefore: 1 },
    dimensions: [axis, counterpart, ...extra, ...commonDims()] as MatrixSpec['dimensions'],
    probes: probes.map((p) =>
      p.set ? { id: p.id, label: p.label, steps: p.steps, set: p.set } : { id: p.id, label: p.label, steps: p.steps },
    ),
    probeDimension: { id: 'probe', label: 'probe', position: 'first' },
    outcome: ['pgm', 'cc', 'rc', 'status', 'placement', 'handledBy'],
    notes: [
      'Every probe starts with cc 1, which no AQIC answer sets: "cc 1" means the cc was left unchanged.',
      'A guest-visible change is a change of program exception, cc, RC, status flags, status placement or the layer that answered.',
    ],
    diffAxis: kind,
  }
  return { spec, kind }
}

/** Turns a complete sweep of a diffPlan spec into the diff document. */
export function diffFromCells(
  matrix: Matrix,
  cells: readonly Cell[],
  kind: 'kernel' | 'qemu' | 'axis',
  opts: DiffOptions = {},
): AbiDiff {
  const axisId = matrix.diffAxis ?? kind
  const axis = matrix.dimensions.find((d) => d.id === axisId)
  if (!axis) throw new DiffError('axis', `no dimension '${axisId}'`)
  const a = axis.values[0]!.id
  const b = axis.values[1]!.id
  const retrace =
    opts.retrace ??
    ((coords: string[]) =>
      computeCell(
        matrix,
        coords.map((id, i) => matrix.dimensions[i]!.values.find((v) => v.id === id)!),
        true,
      ))
  const d = diffAlong(matrix, cells, axisId, a, b, { ...opts, retrace })
  const probeDim = matrix.dimensions.find((x) => x.id === 'probe')
  const specProbes = matrix.spec?.probes ?? []
  const probes = specProbes.map((p, i) => {
    const obj = typeof p === 'string' || Array.isArray(p) ? { steps: p } : p
    const steps = typeof obj.steps === 'string' ? [obj.steps] : [...obj.steps]
    const id = probeDim?.values[i]?.id ?? steps.join(' ; ')
    return { id, label: probeDim?.values[i]?.label ?? id, steps }
  })
  const profiles = [a, b].flatMap((id) => {
    const p = findProfile(id)
    return p ? [profileInfo(p)] : []
  })
  return {
    format: DIFF_FORMAT,
    kind,
    a,
    b,
    title: matrix.spec?.title ?? `${a} → ${b}`,
    probes,
    profiles,
    notes: matrix.spec?.notes ? [...matrix.spec.notes] : [],
    spec: matrix.spec ?? null,
    ...d,
  }
}

/** The kind of two profile ids, for callers that validate before sweeping. */
