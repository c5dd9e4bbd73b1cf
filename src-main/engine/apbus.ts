import {
  CARD_MODES,
  CARD_TYPES,
  HWINFO_APXA_HI,
  NIB_SET_VALUE,
  RC,
  STATUS_E,
  STATUS_F,
  STATUS_I,
  STATUS_R,
  formatApqn,
  statusWord,
} from './arch'
import type { Adapter, ApQueue, Host, Vm } from './model'
import { hex, note, type TraceScope } from './trace'

export const PAGE_SIZE = 4096

export function queueAt(host: Host, apqn: number): ApQueue | undefined {
  return host.queues.get(apqn)
}

export function newQueue(adapter: Adapter, apqi: number): ApQueue {
  return {
    apqn: (adapter.id << 8) | apqi,
    adapter,
    irq: { enabled: false, isc: 0, gisc: 0, gisaOrigin: 0, nibVm: null, nibGpa: 0 },
    resetUntilUs: 0,
    requests: [],
    replies: [],
    replyOffset: 0,
    saved: { vm: null, gpa: 0, isc: 0xff },
  }
}

export function inMemory(vm: Vm, addrHi: number, addrLo: number, len: number): boolean {
  return addrHi === 0 && addrLo + len <= vm.memorySize
}

export function writeGuestByte(vm: Vm, gpa: number, value: number): void {
  const page = Math.floor(gpa / PAGE_SIZE)
  let bytes = vm.memory.get(page)
  if (!bytes) {
    bytes = new Uint8Array(PAGE_SIZE)
    vm.memory.set(page, bytes)
  }
  bytes[gpa % PAGE_SIZE] = value
}

export function readGuestByte(vm: Vm, gpa: number): number {
  return vm.memory.get(Math.floor(gpa / PAGE_SIZE))?.[gpa % PAGE_SIZE] ?? 0
}

export function writeGuestBytes(vm: Vm, gpa: number, bytes: ArrayLike<number>): void {
  const offset = gpa % PAGE_SIZE
  if (bytes instanceof Uint8Array && offset + bytes.length <= PAGE_SIZE) {
    const page = Math.floor(gpa / PAGE_SIZE)
    let target = vm.memory.get(page)
    if (!target) {
      target = new Uint8Array(PAGE_SIZE)
      vm.memory.set(page, target)
    }
    target.set(bytes, offset)
    return
  }
  for (let i = 0; i < bytes.length; i++) writeGuestByte(vm, gpa + i, bytes[i]!)
}

/** Moves requests whose reply time has come to the reply list; a reply on an interrupt-enabled queue sets the NIB and makes the adapter interruption pending (FW-14). */
export function advanceQueue(scope: TraceScope | null, host: Host, q: ApQueue): void {
  while (q.requests.length > 0 && q.requests[0]!.dueUs <= host.nowUs) {
    const m = q.requests.shift()!
    q.replies.push(m)
    if (q.irq.enabled) deliverReplyInterrupt(scope, q)
  }
}

export function deliverReplyInterrupt(scope: TraceScope | null, q: ApQueue): void {
  const vm = q.irq.nibVm
  if (!vm) return
  writeGuestByte(vm, q.irq.nibGpa, NIB_SET_VALUE)
  if (vm.gisa) vm.gisa.ipm |= 1 << (7 - q.irq.gisc)
  if (scope && scope.trace)
    note(scope, 'fw.reply.irq', { apqn: formatApqn(q.apqn), nib: hex(q.irq.nibGpa), isc: q.irq.gisc })
}

export function queueFlags(q: ApQueue): number {
  let flags = 0
  if (q.requests.length === 0 && q.replies.length === 0) flags |= STATUS_E
  if (q.replies.length > 0) flags |= STATUS_R
  if (q.requests.length + q.replies.length >= q.adapter.depth) flags |= STATUS_F
  if (q.irq.enabled) flags |= STATUS_I
  return flags
}

/** The response code a queue in this state gives before any function-specific work, or -1. */
export function queueGateRc(host: Host, q: ApQueue): number {
  if (q.adapter.state === 'checkstopped') return RC.CHECKSTOPPED
  if (q.adapter.state === 'deconfigured') return RC.DECONFIGURED
  if (host.nowUs < q.resetUntilUs) return RC.RESET_IN_PROGRESS
  return -1
}

export function gateRule(rc: number): 'fw.checkstopped' | 'fw.deconfigured' | 'fw.reset-in-progress' {
  return rc === RC.CHECKSTOPPED
    ? 'fw.checkstopped'
    : rc === RC.DECONFIGURED
      ? 'fw.deconfigured'
      : 'fw.reset-in-progress'
}

export function gateArgs(q: ApQueue): Record<string, string | number> {
  return { apqn: formatApqn(q.apqn), apid: hex(q.adapter.id, 2), untilUs: q.resetUntilUs }
}

/** FW-11: the reset discards messages and disables interruptions at once; RC 0x02 lasts for the reset window. */
export function resetQueue(host: Host, q: ApQueue): void {
  q.requests.length = 0
  q.replies.length = 0
  q.replyOffset = 0
  clearIrq(q)
  q.resetUntilUs = host.nowUs + host.resetWindowUs
}

export function clearIrq(q: ApQueue): void {
  q.irq.enabled = false
  q.irq.isc = 0
  q.irq.gisc = 0
  q.irq.gisaOrigin = 0
  q.irq.nibVm = null
  q.irq.nibGpa = 0
}

/** TAPQ hardware information (architecture.md §6), computed when the adapter is configured. */
export function refreshHwinfo(a: Adapter): void {
  const apType = CARD_TYPES.find((t) => t.type === a.type)!.apType
  a.hwinfoLo =
    (((apType & 0xff) << 24) | ((a.domains.length & 0xff) << 16) | ((a.ml & 0xf) << 8) | ((a.depth - 1) & 0xf)) >>> 0
  a.hwinfoHi = CARD_MODES.find((m) => m.mode === a.mode)!.hwinfoHi >>> 0
}

/** GR2 after TAPQ: the high word (mode and APXA bits) only with T = 1 (OQ-12). */
export function tapqHwinfo(host: Host, q: ApQueue, tBit: boolean): { hi: number; lo: number } {
  const a = q.adapter
  return { hi: tBit ? (a.hwinfoHi | (host.apxa ? HWINFO_APXA_HI : 0)) >>> 0 : 0, lo: a.hwinfoLo }
}

export interface HostAqicRequest {
  ir: boolean
  isc: number
  gisc: number
  gisaOrigin: number
  nibVm: Vm | null
  nibGpa: number
}

/** The firmware's answer to an AQIC issued by the host on behalf of a guest (FW-11 to FW-13). */
export function hostAqic(scope: TraceScope, host: Host, q: ApQueue, req: HostAqicRequest): number {
  const gate = queueGateRc(host, q)
  if (gate >= 0) {
    if (scope.trace) note(scope, gateRule(gate), gateArgs(q))
    return statusWord(gate, queueFlags(q))
  }
  if (req.ir) {
    if (q.irq.enabled) {
      if (scope.trace) note(scope, 'fw.aqic.already-enabled', { apqn: formatApqn(q.apqn) })
      return statusWord(RC.OTHERWISE_CHANGED, queueFlags(q))
    }
    if (req.gisaOrigin === 0) {
      if (scope.trace) note(scope, 'fw.aqic.invalid-gisa', { apqn: formatApqn(q.apqn) })
      return statusWord(RC.INVALID_GISA, queueFlags(q))
    }
    q.irq.enabled = true
    q.irq.isc = req.isc
    q.irq.gisc = req.gisc
    q.irq.gisaOrigin = req.gisaOrigin
    q.irq.nibVm = req.nibVm
    q.irq.nibGpa = req.nibGpa
    if (scope.trace)
      note(scope, 'fw.aqic.enable', { apqn: formatApqn(q.apqn), isc: req.isc, gisc: req.gisc, nib: hex(req.nibGpa) })
    if (q.replies.length > 0) deliverReplyInterrupt(scope, q)
    return statusWord(RC.NORMAL, queueFlags(q))
  }
  if (!q.irq.enabled) {
    if (scope.trace) note(scope, 'fw.aqic.already-disabled', { apqn: formatApqn(q.apqn) })
    return statusWord(RC.OTHERWISE_CHANGED, queueFlags(q))
  }
  clearIrq(q)
  if (scope.trace) note(scope, 'fw.aqic.disable', { apqn: formatApqn(q.apqn) })
  return statusWord(RC.NORMAL, queueFlags(q))
}
