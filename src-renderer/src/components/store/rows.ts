// Stored steps (getRun pages) as rows of the Guests screen's results table.
import type { StoredStep } from '../../../../src-preload/contract'
import { apqnOf, apqnText, insnName, type ResultRow } from '../lab/run-view'

export function storedRow(step: StoredStep): ResultRow {
  const insn = insnName(step)
  const apqn = apqnText(apqnOf(step))
  const s = step.status
  const search = [
    `#${step.index}`,
    `cpu${step.vcpu}`,
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
  return { key: String(step.seq), vcpu: step.vcpu, order: step.seq, step, insn, apqn, search }
}
