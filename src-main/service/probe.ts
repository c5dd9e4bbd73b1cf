import {
  InsnSyntaxError,
  kernelProfile,
  parseInsnText,
  qemuProfile,
  runProbe,
  type ProbeResult,
  type ProbeSpec,
} from '../engine'
import type { RegLoad } from '../engine/insn-text'
import { parse64 } from '../engine/regs'
import type { ProbeRequest } from '../../src-preload/contract'
import { LabError } from './errors'

export function checkProfiles(kernel: string, qemu: string, prefix = ''): void {
  if (!kernelProfile(kernel))
    throw new LabError('not-found', `no kernel profile named '${kernel}' (see aplab profiles)`, `${prefix}kernel`)
  if (!qemuProfile(qemu))
    throw new LabError('not-found', `no QEMU profile named '${qemu}' (see aplab profiles)`, `${prefix}qemu`)
}

export function parseInsnOrThrow(text: string, field = 'payload.insn') {
  try {
    return parseInsnText(text)
  } catch (e) {
    if (e instanceof InsnSyntaxError)
      throw new LabError('invalid-input', e.message.slice(e.field.length + 2), `${field}.${e.field}`)
    throw e
  }
}

export function probeSpecFrom(req: ProbeRequest): ProbeSpec {
  checkProfiles(req.kernel, req.qemu, 'payload.')
  const parsed = parseInsnOrThrow(req.insn)
  const regs: Record<number, RegLoad> = {}
  for (const [name, value] of Object.entries(req.regs ?? {})) {
    if (value === undefined) continue
    const v = parse64(value)
    if ('error' in v) throw new LabError('invalid-input', v.error, `payload.regs.${name}`)
    regs[Number(name.slice(1))] = v
  }
  const { facilities, ...host } = req.host ?? {}
  const spec: ProbeSpec = {
    kernel: req.kernel,
    qemu: req.qemu,
    insn: parsed,
    regs,
    host: { ...host, ...(facilities ? { facilities } : {}) },
  }
  if (req.cpu) spec.cpu = req.cpu
  if (req.vfio) spec.vfio = req.vfio
  if (req.psw) spec.psw = req.psw
  if (req.ccBefore !== undefined) spec.ccBefore = req.ccBefore
  if (req.gisa !== undefined) spec.gisa = req.gisa
  if (req.nested !== undefined) spec.nested = req.nested
  if (req.mode) spec.mode = req.mode
  if (req.faults) spec.faults = req.faults
  if (req.queue) spec.queue = req.queue
  if (req.trace !== undefined) spec.trace = req.trace
  return spec
}

export function probe(req: ProbeRequest): ProbeResult {
  return runProbe(probeSpecFrom(req))
}
