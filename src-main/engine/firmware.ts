// The machine under SIE: what it interprets against the guest CRYCB and what it intercepts
// (architecture.md §14, rules FW-1 to FW-16).
import {
  APXA_RANGE_MASK,
  APQN_MASK,
  DQAP_MBZ,
  ECA_APIE,
  FC_AQIC,
  FC_QACT,
  FC_QCI,
  FC_RAPQ,
  FC_TAPQ,
  FC_ZAPQ,
  GR0_T_BIT,
  NQAP_MBZ,
  PGM,
  RC,
  formatApqn,
  maxMessageSize,
  pqapFunction,
  statusWord,
  type PqapFunctionRow,
} from './arch'
import {
  advanceQueue,
  gateArgs,
  gateRule,
  inMemory,
  queueAt,
  queueFlags,
  queueGateRc,
  resetQueue,
  tapqHwinfo,
  writeGuestBytes,
} from './apbus'
import { maskTest, type ApQueue, type ExecContext, type Vm } from './model'
import { outcome, type Insn, type Outcome } from './outcome'
import { hi, lo, setGpr } from './regs'
import { hex, hex64Text, note } from './trace'

const QCI_BLOCK_SIZE = 128
const O_PRIVILEGED = outcome('firmware', 'fw.privileged', PGM.PRIVILEGED_OP)
const O_QUEUE_NOT_CONFIGURED_LO = outcome('firmware', 'fw.queue-not-configured', 0, 'lo')
const O_QUEUE_ABSENT_LO = outcome('firmware', 'fw.queue-absent', 0, 'lo')
const O_TAPQ_LO = outcome('firmware', 'fw.tapq', 0, 'lo')
const O_RESET_LO = outcome('firmware', 'fw.reset', 0, 'lo')
const O_QACT_LO = outcome('firmware', 'fw.qact', 0, 'lo')
const O_ADDRESSING = outcome('firmware', 'fw.addressing', PGM.ADDRESSING)
const O_QCI = outcome('firmware', 'fw.qci')
const O_NQAP_FULL_LO = outcome('firmware', 'fw.nqap.full', 0, 'lo')
const O_NQAP_ENQUEUED_LO = outcome('firmware', 'fw.nqap.enqueued', 0, 'lo')
const O_DQAP_NO_REPLY_LO = outcome('firmware', 'fw.dqap.no-reply', 0, 'lo')
const O_DQAP_PARTIAL_LO = outcome('firmware', 'fw.dqap.partial', 0, 'lo')
const O_DQAP_REPLY_LO = outcome('firmware', 'fw.dqap.reply', 0, 'lo')
const QCI_SCRATCH = new Uint8Array(QCI_BLOCK_SIZE)

/** Returns the firmware's result, or null when the instruction intercepts to KVM. */
export function sieExecute(ctx: ExecContext, insn: Insn): Outcome | null {
  const { vm, vcpu } = ctx
  if ((vm.eca & ECA_APIE) === 0) {
    if (ctx.trace) note(ctx, 'fw.apie-off.intercept', { insn: insn.name, ipa: insnIpa(insn) })
    return null
  }
  if (insn.name === 'PQAP') {
    const fc = (lo(vcpu, 0) >>> 24) & 0xff
    if (fc === FC_AQIC) {
      note(ctx, 'fw.aqic.intercept')
      return null
    }
    if (vm.nested) {
      note(ctx, 'fw.nested.intercept')
      return null
    }
    return interpretPqap(ctx, fc)
  }
  return interpretQueueMessage(ctx, insn)
}

export function insnIpa(insn: Insn): string {
  return insn.name === 'PQAP' ? 'b2af' : insn.name === 'NQAP' ? 'b2ad' : 'b2ae'
}

function privileged(ctx: ExecContext, name: string): Outcome | null {
  if (!ctx.vcpu.psw.problem) return null
  if (ctx.trace) note(ctx, 'fw.privileged', { insn: name })
  return O_PRIVILEGED
}

type SpecRule =
  | 'fw.fc-not-installed'
  | 'fw.reserved-bits'
  | 'fw.t-bit-without-apft'
  | 'fw.apqn-range'
  | 'fw.qci-alignment'
  | 'fw.odd-register'
  | 'fw.must-be-zero'
  | 'fw.length-zero'
  | 'fw.length-too-big'
const SPEC_OUTCOMES = new Map<SpecRule, Outcome>(
  (
    [
      'fw.fc-not-installed',
      'fw.reserved-bits',
      'fw.t-bit-without-apft',
      'fw.apqn-range',
      'fw.qci-alignment',
      'fw.odd-register',
      'fw.must-be-zero',
      'fw.length-zero',
      'fw.length-too-big',
    ] as const
  ).map((r) => [r, outcome('firmware', r, PGM.SPECIFICATION)]),
)
function spec(rule: SpecRule): Outcome {
  return SPEC_OUTCOMES.get(rule)!
}

const GATE_OUTCOMES = new Map(
  (['fw.checkstopped', 'fw.deconfigured', 'fw.reset-in-progress'] as const).map((r) => [
    r,
    outcome('firmware', r, 0, 'lo'),
  ]),
)

function fcInstalled(ctx: ExecContext, row: PqapFunctionRow | undefined): string | null {
  if (!row) return 'FC 6 and values ≥ 9 are not installed'
  switch (row.installed) {
    case 'always':
      return null
    case 'facility-12':
      return ctx.vm.facilities[12] ? null : 'QCI needs facility 12'
    case 'qci-c-bit':
      return ctx.vm.facilities[12] ? null : 'QACT needs the QCI C bit'
    case 'secure-execution':
      return `${row.name} exists only for Secure Execution guests`
    case 'never':
      return `${row.name} is not modelled as installed`
  }
}

function apqnOutOfRange(vm: Vm, r0lo: number): boolean {
  return vm.crycbFormat !== 2 && (r0lo & APXA_RANGE_MASK) !== 0
}

/** FW-9: usage needs the APID in the APM and the APQI in the AQM of the CRYCB in effect. */
export function inGuestConfig(vm: Vm, apqn: number): boolean {
  const apid = apqn >>> 8
  const apqi = apqn & 0xff
  if (vm.crycbFormat !== 2 && (apid > 63 || apqi > 15)) return false
  if (vm.crycbFormat === 2 && (apid > vm.host.na || apqi > vm.host.nd)) return false
  return maskTest(vm.apm, apid) && maskTest(vm.aqm, apqi)
}

function storeStatus(ctx: ExecContext, rc: number, flags: number): void {
  setGpr(ctx.vcpu, 1, 0, statusWord(rc, flags))
  ctx.vcpu.psw.cc = rc === RC.NORMAL ? 0 : 3
}

/** Looks the APQN up for an interpreted instruction; stores cc 3 and the RC when it is not usable. */
function usableQueue(ctx: ExecContext, apqn: number): ApQueue | Outcome {
  const { vm, host } = ctx
  if (!inGuestConfig(vm, apqn)) {
    if (ctx.trace) note(ctx, 'fw.queue-not-configured', { apqn: formatApqn(apqn) })
    storeStatus(ctx, RC.Q_NOT_AVAIL, 0)
    return O_QUEUE_NOT_CONFIGURED_LO
  }
  const q = queueAt(host, apqn)
  if (!q) {
    if (ctx.trace) note(ctx, 'fw.queue-absent', { apqn: formatApqn(apqn) })
    storeStatus(ctx, RC.Q_NOT_AVAIL, 0)
    return O_QUEUE_ABSENT_LO
  }
  const gate = queueGateRc(host, q)
  if (gate >= 0) {
    const rule = gateRule(gate)
    if (ctx.trace) note(ctx, rule, gateArgs(q))
    storeStatus(ctx, gate, queueFlags(q))
    return GATE_OUTCOMES.get(rule)!
  }
  advanceQueue(ctx, host, q)
  return q
}

function interpretPqap(ctx: ExecContext, fc: number): Outcome {
  const { vm, vcpu, host } = ctx
  const denied = privileged(ctx, 'PQAP')
  if (denied) return denied
  const row = pqapFunction(fc)
  const why = fcInstalled(ctx, row)
  if (why !== null || !row) {
    if (ctx.trace) note(ctx, 'fw.fc-not-installed', { fc: hex(fc, 2), why: why ?? '' })
    return spec('fw.fc-not-installed')
  }
  const r0lo = lo(vcpu, 0)
  if ((r0lo & row.reservedMask) !== 0) {
    if (ctx.trace)
      note(ctx, 'fw.reserved-bits', {
        fcName: row.name,
        mask: hex(row.reservedMask, 8),
        bits: hex(r0lo & row.reservedMask, 8),
      })
    return spec('fw.reserved-bits')
  }
  if ((r0lo & GR0_T_BIT) !== 0 && !vm.facilities[15]) {
    note(ctx, 'fw.t-bit-without-apft')
    return spec('fw.t-bit-without-apft')
  }
  if (row.takesApqn && apqnOutOfRange(vm, r0lo)) {
    if (ctx.trace) note(ctx, 'fw.apqn-range', { apqn: formatApqn(r0lo & APQN_MASK), format: vm.crycbFormat })
    return spec('fw.apqn-range')
  }
  if (fc === FC_QCI) return interpretQci(ctx)

  const found = usableQueue(ctx, r0lo & APQN_MASK)
  if (!('apqn' in found)) return found
  const q = found
  switch (fc) {
    case FC_TAPQ: {
      const info = tapqHwinfo(host, q, (r0lo & GR0_T_BIT) !== 0)
      setGpr(vcpu, 2, info.hi, info.lo)
      const flags = queueFlags(q)
      storeStatus(ctx, RC.NORMAL, flags)
      if (ctx.trace)
        note(ctx, 'fw.tapq', {
          apqn: formatApqn(q.apqn),
          E: flags >>> 31,
          R: (flags >>> 30) & 1,
          F: (flags >>> 29) & 1,
          I: (flags >>> 24) & 1,
          hwinfo: hex64Text(info.hi, info.lo),
        })
      return O_TAPQ_LO
    }
    case FC_RAPQ:
    case FC_ZAPQ: {
      resetQueue(host, q)
      storeStatus(ctx, RC.NORMAL, queueFlags(q))
      if (ctx.trace) note(ctx, 'fw.reset', { fcName: row.name, apqn: formatApqn(q.apqn), untilUs: q.resetUntilUs })
      return O_RESET_LO
    }
    case FC_QACT: {
      const info = tapqHwinfo(host, q, false)
      setGpr(vcpu, 2, 0, info.lo)
      storeStatus(ctx, RC.NORMAL, queueFlags(q))
      if (ctx.trace) note(ctx, 'fw.qact', { apqn: formatApqn(q.apqn) })
      return O_QACT_LO
    }
    default:
      if (ctx.trace) note(ctx, 'fw.fc-not-installed', { fc: hex(fc, 2), why: 'not modelled' })
      return spec('fw.fc-not-installed')
  }
}

function interpretQci(ctx: ExecContext): Outcome {
  const { vm, vcpu, host } = ctx
  const addrHi = hi(vcpu, 2)
  const addrLo = lo(vcpu, 2)
  if ((addrLo & 7) !== 0) {
    if (ctx.trace) note(ctx, 'fw.qci-alignment', { addr: hex(addrHi) + hex(addrLo, 8) })
    return spec('fw.qci-alignment')
  }
  if (!inMemory(vm, addrHi, addrLo, QCI_BLOCK_SIZE)) {
    if (ctx.trace)
      note(ctx, 'fw.addressing', {
        what: 'QCI block',
        addr: hex(addrHi) + hex(addrLo, 8),
        len: QCI_BLOCK_SIZE,
        mem: vm.memorySize,
      })
    return O_ADDRESSING
  }
  const block = QCI_SCRATCH.fill(0)
  const format2 = vm.crycbFormat === 2
  // Byte 0: S=0x80, N=0x40, C=0x20 (architecture.md §7). The CRYCB masks are already clipped to
  // the format's widths and share QCI's bit order, so they are copied byte for byte (FW-15).
  block[0] = (format2 ? 0x40 : 0) | 0x20
  block[4] = format2 ? host.na : 63
  block[5] = format2 ? host.nd : 15
  block.set(vm.apm, 16)
  block.set(vm.aqm, 48)
  block.set(vm.adm, 80)
  writeGuestBytes(vm, addrLo, block)
  vcpu.psw.cc = 0
  if (ctx.trace) note(ctx, 'fw.qci', { addr: hex(addrLo), n: format2 ? 1 : 0, na: block[4]!, nd: block[5]! })
  return O_QCI
}

function interpretQueueMessage(ctx: ExecContext, insn: Insn): Outcome {
  const { vm, vcpu, host } = ctx
  const denied = privileged(ctx, insn.name)
  if (denied) return denied
  const nqap = insn.name === 'NQAP'
  if ((insn.r1 & 1) !== 0 || (insn.r2 & 1) !== 0) {
    const odd1 = (insn.r1 & 1) !== 0
    if (ctx.trace) note(ctx, 'fw.odd-register', { insn: insn.name, which: odd1 ? 1 : 2, reg: odd1 ? insn.r1 : insn.r2 })
    return spec('fw.odd-register')
  }
  const r0lo = lo(vcpu, 0)
  const mbz = nqap ? NQAP_MBZ : DQAP_MBZ
  if ((r0lo & mbz) !== 0) {
    if (ctx.trace) note(ctx, 'fw.must-be-zero', { insn: insn.name, mask: hex(mbz, 8), bits: hex(r0lo & mbz, 8) })
    return spec('fw.must-be-zero')
  }
  if (apqnOutOfRange(vm, r0lo)) {
    if (ctx.trace) note(ctx, 'fw.apqn-range', { apqn: formatApqn(r0lo & APQN_MASK), format: vm.crycbFormat })
    return spec('fw.apqn-range')
  }
  const apqn = r0lo & APQN_MASK
  const lenHi = hi(vcpu, insn.r2 + 1)
  const len = lo(vcpu, insn.r2 + 1)
  if (lenHi === 0 && len === 0) {
    if (ctx.trace) note(ctx, 'fw.length-zero', { insn: insn.name, reg: insn.r2 + 1 })
    return spec('fw.length-zero')
  }
  const configured = inGuestConfig(vm, apqn) ? queueAt(host, apqn) : undefined
  const ml = configured ? configured.adapter.ml : 0
  const max = maxMessageSize(ml)
  if (lenHi !== 0 || len > max) {
    if (ctx.trace)
      note(ctx, 'fw.length-too-big', {
        insn: insn.name,
        len: lenHi === 0 ? len : `0x${hex(lenHi)}${hex(len, 8)}`,
        max,
        ml,
      })
    return spec('fw.length-too-big')
  }
  const addrHi = hi(vcpu, insn.r2)
  const addrLo = lo(vcpu, insn.r2)
  if (!inMemory(vm, addrHi, addrLo, len)) {
    if (ctx.trace)
      note(ctx, 'fw.addressing', {
        what: nqap ? 'NQAP message' : 'DQAP buffer',
        addr: hex(addrHi) + hex(addrLo, 8),
        len,
        mem: vm.memorySize,
      })
    return O_ADDRESSING
  }
  const found = usableQueue(ctx, apqn)
  if (!('apqn' in found)) return found
  return nqap ? enqueue(ctx, found, insn, len) : dequeue(ctx, found, insn, len)
}

function enqueue(ctx: ExecContext, q: ApQueue, insn: Insn, len: number): Outcome {
  const { vcpu, host } = ctx
  const a = q.adapter
  if (q.requests.length + q.replies.length >= a.depth) {
    storeStatus(ctx, RC.Q_FULL, queueFlags(q))
    if (ctx.trace) note(ctx, 'fw.nqap.full', { apqn: formatApqn(q.apqn), depth: a.depth })
    return O_NQAP_FULL_LO
  }
  const psmid = (BigInt(lo(vcpu, insn.r1)) << 32n) | BigInt(lo(vcpu, insn.r1 + 1))
  const dueUs = Math.max(host.nowUs, a.busyUntilUs) + a.latencyUs
  a.busyUntilUs = dueUs
  q.requests.push({ psmid, length: len, dueUs })
  setGpr(vcpu, insn.r2, hi(vcpu, insn.r2), (lo(vcpu, insn.r2) + len) >>> 0)
  setGpr(vcpu, insn.r2 + 1, 0, 0)
  storeStatus(ctx, RC.NORMAL, queueFlags(q))
  if (ctx.trace) note(ctx, 'fw.nqap.enqueued', { apqn: formatApqn(q.apqn), psmid: psmid.toString(16), len, dueUs })
  return O_NQAP_ENQUEUED_LO
}

function dequeue(ctx: ExecContext, q: ApQueue, insn: Insn, len: number): Outcome {
  const { vcpu } = ctx
  const reply = q.replies[0]
  if (!reply) {
    storeStatus(ctx, RC.NO_PENDING_REPLY, queueFlags(q))
    if (ctx.trace) note(ctx, 'fw.dqap.no-reply', { apqn: formatApqn(q.apqn) })
    return O_DQAP_NO_REPLY_LO
  }
  const remaining = reply.length - q.replyOffset
  const take = Math.min(remaining, len)
  setGpr(vcpu, insn.r1, hi(vcpu, insn.r1), Number(reply.psmid >> 32n))
  setGpr(vcpu, insn.r1 + 1, hi(vcpu, insn.r1 + 1), Number(reply.psmid & 0xffffffffn))
  setGpr(vcpu, insn.r2, hi(vcpu, insn.r2), (lo(vcpu, insn.r2) + take) >>> 0)
  setGpr(vcpu, insn.r2 + 1, 0, len - take)
  if (take < remaining) {
    q.replyOffset += take
    setGpr(vcpu, 1, 0, statusWord(RC.NORMAL, queueFlags(q)))
    vcpu.psw.cc = 1
    if (ctx.trace) note(ctx, 'fw.dqap.partial', { apqn: formatApqn(q.apqn), len, total: remaining })
    return O_DQAP_PARTIAL_LO
  }
  q.replies.shift()
  q.replyOffset = 0
  if (insn.r1 !== 2 && insn.r2 !== 2) setGpr(vcpu, 2, 0, 0)
  storeStatus(ctx, RC.NORMAL, queueFlags(q))
  if (ctx.trace) note(ctx, 'fw.dqap.reply', { apqn: formatApqn(q.apqn), psmid: reply.psmid.toString(16), len: take })
  return O_DQAP_REPLY_LO
}
