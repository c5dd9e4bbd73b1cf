// Synthetic results for the results table's scroll measurement: `#guests?synthetic-rows=1000000`
// shows that many rows in the first guest's table without running anything. The rows are made on
// demand (an array-like Proxy), so a million of them cost nothing until they are read.
import type { StepResult } from '../../../../src-preload/contract'
import type { GuestResults, ResultRow } from './run-view'

export const SYNTHETIC_ROWS_MAX = 10_000_000

/**
 * `#guests?synthetic-rows=N` asks for N synthetic result rows. Read once at start-up (this module is
 * imported before the screen router reads the hash); the hash is rewritten to `#guests`.
 */
function takeSyntheticRowsFromUrl(): number | null {
  if (typeof location === 'undefined') return null
  const m = /^#\/?guests\?(?:.*&)?synthetic-rows=(\d+)/.exec(location.hash)
  if (!m) return null
  if (typeof history !== 'undefined') history.replaceState(null, '', location.pathname + location.search + '#guests')
  return Math.max(0, Math.min(SYNTHETIC_ROWS_MAX, Number(m[1])))
}

export const SYNTHETIC_ROWS_FROM_URL = takeSyntheticRowsFromUrl()

type Template = Pick<StepResult, 'insn' | 'fc' | 'fcName' | 'cc' | 'pgm' | 'handledBy' | 'rule'> & {
  rc: number | null
  rcName: string
  I: 0 | 1
}

const TEMPLATES: readonly Template[] = [
  {
    insn: 'PQAP',
    fc: 0,
    fcName: 'TAPQ',
    cc: 0,
    pgm: null,
    handledBy: 'firmware',
    rule: 'fw.tapq',
    rc: 0,
    rcName: 'NORMAL',
    I: 0,
  },
  {
    insn: 'PQAP',
    fc: 3,
    fcName: 'AQIC',
    cc: 0,
    pgm: null,
    handledBy: 'vfio_ap',
    rule: 'vfio_ap.irq.enabled',
    rc: 0,
    rcName: 'NORMAL',
    I: 1,
  },
  {
    insn: 'NQAP',
    fc: null,
    fcName: null,
    cc: 0,
    pgm: null,
    handledBy: 'firmware',
    rule: 'fw.nqap.enqueued',
    rc: 0,
    rcName: 'NORMAL',
    I: 1,
  },
  {
    insn: 'DQAP',
    fc: null,
    fcName: null,
    cc: 0,
    pgm: null,
    handledBy: 'firmware',
    rule: 'fw.dqap.reply',
    rc: 0,
    rcName: 'NORMAL',
    I: 1,
  },
  {
    insn: 'DQAP',
    fc: null,
    fcName: null,
    cc: 1,
    pgm: null,
    handledBy: 'firmware',
    rule: 'fw.dqap.no-reply',
    rc: 0x0e,
    rcName: 'NO_REPLY',
    I: 1,
  },
  {
    insn: 'PQAP',
    fc: 0,
    fcName: 'TAPQ',
    cc: 3,
    pgm: null,
    handledBy: 'firmware',
    rule: 'fw.queue-not-configured',
    rc: 0x01,
    rcName: 'Q_NOT_AVAIL',
    I: 0,
  },
  {
    insn: 'WAIT',
    fc: null,
    fcName: null,
    cc: null,
    pgm: null,
    handledBy: 'lab',
    rule: 'lab.wait.irq',
    rc: null,
    rcName: '',
    I: 0,
  },
]

const hex4 = (n: number): string => n.toString(16).padStart(4, '0')

/** Step `i` of the synthetic program: every 7th step a WAIT, APQNs 05.0000–05.000f. */
export function syntheticStep(i: number): StepResult {
  const t = TEMPLATES[i % TEMPLATES.length]!
  const apqn = 0x0500 | (i % 16)
  const status =
    t.rc === null ? null : ({ rc: t.rc, rcName: t.rcName, E: i % 3 === 0 ? 1 : 0, R: 0, F: 0, I: t.I } as const)
  return {
    index: i,
    insn: t.insn,
    fc: t.fc,
    fcName: t.fcName,
    atUs: i * 10,
    regsIn: t.insn === 'WAIT' ? {} : { r0: `0x000000000000${hex4(apqn)}` },
    pgm: t.pgm,
    cc: t.cc,
    regsOut: {},
    status,
    statusPlacement: status ? 'lo' : null,
    handledBy: t.handledBy,
    rule: t.rule,
    trace: [],
  }
}

function syntheticRow(i: number): ResultRow {
  const step = syntheticStep(i)
  const insn = step.fcName ? `PQAP(${step.fcName})` : step.insn
  const apqn = step.insn === 'WAIT' ? '' : `05.${hex4(i % 16)}`
  const s = step.status
  const search = [
    `#${i}`,
    'cpu0',
    step.atUs,
    insn,
    apqn,
    step.cc === null ? '' : `cc ${step.cc}`,
    s ? `${s.rcName} rc ${s.rc} e${s.E} r${s.R} f${s.F} i${s.I}` : '',
    step.handledBy,
    step.rule,
  ]
    .join(' ')
    .toLowerCase()
  return { key: `0:${i}`, vcpu: 0, order: i, step, insn, apqn, search }
}

const isIndex = (key: string | symbol): key is string => typeof key === 'string' && /^(?:0|[1-9]\d*)$/.test(key)

/** `n` result rows, each made when it is read; behaves as a read-only array. */
export function syntheticRows(n: number): readonly ResultRow[] {
  const target: ResultRow[] = []
  return new Proxy(target, {
    get(t, key, receiver) {
      if (key === 'length') return n
      if (isIndex(key)) {
        const i = Number(key)
        return i < n ? syntheticRow(i) : undefined
      }
      return Reflect.get(t, key, receiver) as unknown
    },
    has(t, key) {
      if (isIndex(key)) return Number(key) < n
      return Reflect.has(t, key)
    },
    set() {
      return false
    },
  })
}

/** The guest the synthetic rows belong to: started, one vCPU. */
export function syntheticGuest(name: string): GuestResults {
  return { name, qemu: 'qemu-8.2', started: true, startError: null, warnings: [], vcpus: [{ steps: [] }] }
}

/** What the results table reports after scrolling from its top to its bottom. */
export interface ScrollMeasure {
  steps: number
  /** Mean time per step: scroll, DOM update, layout and the next painted frame. */
  meanMs: number
  maxMs: number
  totalMs: number
  /** Mean time per step to the DOM update and layout only (no frame wait). */
  workMs: number
  /** The last row in the DOM at the end (the bottom of the table). */
  lastIndex: number
}
