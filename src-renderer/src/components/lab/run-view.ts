// Results of a run as the Guests and Queue screens show them: decoded instruction names, the
// APQN each step addressed, rows for the results table and each queue's interrupt state at the
// end of the run. Pure functions of RunResults.
import type { LabView, RunResults, StepResult } from '../../../../src-preload/contract'
import { formatApqn } from '../../format'

export type GuestResults = RunResults['guests'][number]

/** `PQAP(AQIC)`, `NQAP`, `WAIT`, … */
export function insnName(step: StepResult): string {
  if (step.insn !== 'PQAP') return step.insn
  if (step.fcName) return `PQAP(${step.fcName})`
  return step.fc === null ? 'PQAP' : `PQAP(fc 0x${step.fc.toString(16).padStart(2, '0')})`
}

function low32(reg: string | undefined): number | null {
  if (!reg || !/^0x[0-9a-f]{16}$/i.test(reg)) return null
  return parseInt(reg.slice(10), 16) >>> 0
}

/** The APQN in GR0 bits 48–63 for the instructions that name one (not QCI, not WAIT). */
export function apqnOf(step: StepResult): number | null {
  if (step.insn !== 'PQAP' && step.insn !== 'NQAP' && step.insn !== 'DQAP') return null
  if (step.insn === 'PQAP' && step.fcName === 'QCI') return null
  const r0 = low32(step.regsIn.r0)
  return r0 === null ? null : r0 & 0xffff
}

export function apqnText(apqn: number | null): string {
  return apqn === null ? '' : formatApqn(apqn >>> 8, apqn & 0xff)
}

export interface ResultRow {
  key: string
  vcpu: number
  /** Execution order in the run (for a stable sort). */
  order: number
  step: StepResult
  insn: string
  apqn: string
  /** Lower-case text of every column, for the filter. */
  search: string
}

export function resultRows(guest: GuestResults): ResultRow[] {
  const rows: ResultRow[] = []
  let order = 0
  guest.vcpus.forEach((v, vcpu) => {
    for (const step of v.steps) {
      const insn = insnName(step)
      const apqn = apqnText(apqnOf(step))
      const s = step.status
      const search = [
        `#${step.index}`,
        `cpu${vcpu}`,
        step.atUs,
        insn,
        apqn,
        step.cc === null ? '' : `cc ${step.cc}`,
        s ? `${s.rcName} rc ${s.rc} e${s.E} r${s.R} f${s.F} i${s.I}` : '',
        step.pgm ? step.pgm.name : '',
        step.handledBy,
        step.rule,
      ]
        .join(' ')
        .toLowerCase()
      rows.push({ key: `${vcpu}:${order}`, vcpu, order: order++, step, insn, apqn, search })
    }
  })
  rows.sort((a, b) => a.step.atUs - b.step.atUs || a.vcpu - b.vcpu || a.order - b.order)
  return rows
}

/** Rows whose text contains every word of the filter. */
export function filterRows(rows: readonly ResultRow[], filter: string): readonly ResultRow[] {
  const words = filter.toLowerCase().split(/\s+/).filter(Boolean)
  if (words.length === 0) return rows
  return rows.filter((r) => words.every((w) => r.search.includes(w)))
}

export interface IrqAfterRun {
  /** The I bit of the last status word the guest got for this queue. */
  I: 0 | 1
  /** ISC and NIB of the last successful AQIC enable, null after a disable. */
  isc: number | null
  nib: string | null
  guest: string
  atUs: number
  /** `host`: the queue as the run left it; `status`: the last status word a guest got for it. */
  source: 'host' | 'status'
}

/** Each queue's interrupt state as the run left it on the host (labView with afterRun). */
export function irqFromEndView(view: LabView | null, results: RunResults | null): Map<number, IrqAfterRun> {
  const out = new Map<number, IrqAfterRun>()
  if (!view || !results) return out
  for (const c of view.cells) {
    if (!c.irq) continue
    out.set((c.apid << 8) | c.apqi, {
      I: c.irq.enabled ? 1 : 0,
      isc: c.irq.enabled ? c.irq.isc : null,
      nib: c.irq.enabled ? c.irq.nib : null,
      guest: c.guest ?? '',
      atUs: results.endUs,
      source: 'host',
    })
  }
  return out
}

/** Each queue's interrupt state at the end of a run, read from the status words the guests got. */
export function irqAfterRun(results: RunResults | null): Map<number, IrqAfterRun> {
  const out = new Map<number, IrqAfterRun>()
  if (!results) return out
  const steps: { guest: string; step: StepResult }[] = []
  for (const g of results.guests)
    for (const v of g.vcpus) for (const step of v.steps) steps.push({ guest: g.name, step })
  steps.sort((a, b) => a.step.atUs - b.step.atUs)
  for (const { guest, step } of steps) {
    const apqn = apqnOf(step)
    if (apqn === null || !step.status || step.statusPlacement !== 'lo' || step.cc === 3) continue
    const prev = out.get(apqn)
    const next: IrqAfterRun = {
      I: step.status.I,
      isc: prev?.isc ?? null,
      nib: prev?.nib ?? null,
      guest,
      atUs: step.atUs,
      source: 'status',
    }
    if (step.fcName === 'AQIC' && step.status.rc === 0) {
      const r1 = low32(step.regsIn.r1)
      next.isc = step.status.I === 1 && r1 !== null ? r1 & 7 : null
      next.nib = step.status.I === 1 ? (step.regsIn.r2 ?? '').replace(/^0x0*(?=.)/, '0x') : null
    }
    if (step.status.I === 0) {
      next.isc = null
      next.nib = null
    }
    out.set(apqn, next)
  }
  return out
}
