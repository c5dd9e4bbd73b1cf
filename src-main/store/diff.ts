// Two stored runs side by side: steps are matched by guest name, vCPU and program step index, and
// every guest-visible field that differs is listed. Both runs are read in index order, a chunk at a
// time, so runs of millions of steps diff in one pass with bounded memory.
import type { Db } from './db'
import { guestStepCount, guestSteps } from './segments'
import type { DiffField, RunDiff, StepChange } from './types'

interface DiffRow {
  vcpu: number
  seq: number
  step_index: number
  insn: string
  fc: number | null
  fc_name: string | null
  cc: number | null
  rc: number | null
  e: number | null
  r: number | null
  f: number | null
  i: number | null
  pgm_code: number | null
  pgm_name: string | null
  handled_by: string
  status_placement: string | null
}

const DIFF_COLUMNS =
  'vcpu, seq, step_index, insn, fc, fc_name, cc, rc, e, r, f, i, pgm_code, pgm_name, handled_by, status_placement'

function guestRows(db: Db, runId: number, guest: number): Generator<DiffRow> {
  return guestSteps<DiffRow>(db, runId, DIFF_COLUMNS, { guest })
}

const pgmText = (r: DiffRow): string | null => (r.pgm_code === null ? null : `${r.pgm_name ?? '?'} (${r.pgm_code})`)

const FIELDS: readonly [DiffField, (r: DiffRow) => string | number | null][] = [
  ['insn', (r) => r.insn],
  ['fc', (r) => r.fc_name ?? r.fc],
  ['pgm', pgmText],
  ['cc', (r) => r.cc],
  ['rc', (r) => r.rc],
  ['E', (r) => r.e],
  ['R', (r) => r.r],
  ['F', (r) => r.f],
  ['I', (r) => r.i],
  ['statusPlacement', (r) => r.status_placement],
  ['handledBy', (r) => r.handled_by],
]

export function diffStoredRuns(db: Db, a: number, b: number, limit: number): RunDiff {
  const guestsOf = db.prepare('SELECT guest, name FROM run_guests WHERE run_id = ? ORDER BY guest')
  const ga = guestsOf.all(a) as { guest: number; name: string }[]
  const gb = guestsOf.all(b) as { guest: number; name: string }[]
  const bByName = new Map(gb.map((g) => [g.name, g.guest]))
  const aNames = new Set(ga.map((g) => g.name))
  const out: RunDiff = {
    a,
    b,
    compared: 0,
    changed: 0,
    onlyA: 0,
    onlyB: 0,
    guestsOnlyA: [],
    guestsOnlyB: [],
    changes: [],
    truncated: false,
  }
  const push = (c: StepChange) => {
    if (out.changes.length < limit) out.changes.push(c)
    else out.truncated = true
  }
  const only = (name: string, r: DiffRow, side: 'a' | 'b'): StepChange => ({
    guest: name,
    vcpu: r.vcpu,
    index: r.step_index,
    kind: side === 'a' ? 'only-a' : 'only-b',
    insn: r.insn,
    fcName: r.fc_name,
    seqA: side === 'a' ? r.seq : null,
    seqB: side === 'b' ? r.seq : null,
    fields: [],
  })

  for (const g of ga) {
    const other = bByName.get(g.name)
    if (other === undefined) {
      out.guestsOnlyA.push(g.name)
      out.onlyA += guestStepCount(db, a, g.guest)
      continue
    }
    const ia = guestRows(db, a, g.guest)
    const ib = guestRows(db, b, other)
    let ra = ia.next()
    let rb = ib.next()
    while (!ra.done || !rb.done) {
      const x = ra.done ? null : ra.value
      const y = rb.done ? null : rb.value
      const order = x === null ? 1 : y === null ? -1 : x.vcpu - y.vcpu || x.step_index - y.step_index
      if (order < 0) {
        out.onlyA++
        push(only(g.name, x!, 'a'))
        ra = ia.next()
        continue
      }
      if (order > 0) {
        out.onlyB++
        push(only(g.name, y!, 'b'))
        rb = ib.next()
        continue
      }
      out.compared++
      const fields: StepChange['fields'] = []
      for (const [field, get] of FIELDS) {
        const va = get(x!)
        const vb = get(y!)
        if (va !== vb) fields.push({ field, a: va, b: vb })
      }
      if (fields.length > 0) {
        out.changed++
        push({
          guest: g.name,
          vcpu: x!.vcpu,
          index: x!.step_index,
          kind: 'changed',
          insn: x!.insn,
          fcName: x!.fc_name,
          seqA: x!.seq,
          seqB: y!.seq,
          fields,
        })
      }
      ra = ia.next()
      rb = ib.next()
    }
  }
  for (const g of gb) {
    if (aNames.has(g.name)) continue
    out.guestsOnlyB.push(g.name)
    out.onlyB += guestStepCount(db, b, g.guest)
  }
  return out
}
