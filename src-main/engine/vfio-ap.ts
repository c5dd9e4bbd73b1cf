// vfio_ap: the PQAP hook (handle_pqap in vfio_ap_ops.c), IRQ enable and disable by era
// (interception.md §4), and the queue ownership it relies on.
import { APQN_MASK, ECA_AIV, QIRQ_IR_HI, QIRQ_ISC_LO, RC, formatApqn, statusRc, statusWord } from './arch'
import {
  PAGE_SIZE,
  gateArgs,
  gateRule,
  hostAqic,
  queueAt,
  queueFlags,
  queueGateRc,
  type HostAqicRequest,
} from './apbus'
import { maskTest, type ApQueue, type ExecContext, type Host, type Mdev, type Vm } from './model'
import { EOPNOTSUPP, outcome, type Outcome } from './outcome'
import { hi, lo, setGpr } from './regs'
import type { RuleId } from './rules'
import { hex, note, type TraceScope } from './trace'

/** The host alert ISC (GAL_ISC, asm/isc.h) that kvm_s390_gisc_register returns. */
export const GAL_ISC = 5
const DISABLE_ATTEMPTS = 6
const RETRY_SLEEP_US = 20_000

/** A queue is free for vfio_ap when the host's default drivers do not claim it (apmask AND aqmask). */
export function reservedForVfioAp(host: Host, apqn: number): boolean {
  return !(maskTest(host.apmask, apqn >>> 8) && maskTest(host.aqmask, apqn & 0xff))
}

/** Bound to vfio_ap: the queue exists, vfio_ap is loaded, the host does not claim it; CEX4 and newer only. */
export function boundToVfioAp(host: Host, apqn: number): boolean {
  const q = host.queues.get(apqn)
  return q !== undefined && host.vfioAp && reservedForVfioAp(host, apqn)
}

export function mdevAssigns(mdev: Mdev, apqn: number): boolean {
  return maskTest(mdev.apm, apqn >>> 8) && maskTest(mdev.aqm, apqn & 0xff)
}

export interface HookResult {
  result: 0 | typeof EOPNOTSUPP
  rule: RuleId
}

function lookupName(ctx: ExecContext): string {
  switch (ctx.kernel.vfioAp.queueLookup) {
    case 'vfioap-any':
      return 'among all queues bound to vfio_ap'
    case 'mdev-list':
      return "in the mdev's queue list built at assign time"
    case 'assigned+bound':
      return "APID in the mdev's assigned APM, APQI in its AQM, queue bound to vfio_ap"
    case 'linked-hash':
      return "in the mdev's hash table of linked queues"
    default:
      return 'no lookup'
  }
}

/** The queue and the VM whose mdev it belongs to (q->matrix_mdev->kvm), or the RC of a failed lookup. */
function lookupQueue(
  ctx: ExecContext,
  mdev: Mdev | null,
  apqn: number,
): { q: ApQueue; owner: Vm } | { rc: number; rule: RuleId } {
  const { host } = ctx
  const v = ctx.kernel.vfioAp
  const q = queueAt(host, apqn)
  const bound = q !== undefined && boundToVfioAp(host, apqn)
  if (v.queueLookup === 'vfioap-any') {
    if (!bound || !q) return { rc: RC.Q_NOT_AVAIL, rule: 'vfio_ap.hook.queue-not-found' }
    // v3 takes q->matrix (the open mdev the queue was associated with) and never compares its KVM with the caller's.
    const tied = [...host.mdevs.values()].find((m) => m.vm !== null && mdevAssigns(m, apqn))
    if (!tied) return { rc: v.untiedQueueRc ?? RC.Q_NOT_AVAIL, rule: 'vfio_ap.hook.queue-untied' }
    return { q, owner: tied.vm! }
  }
  if (!mdev || !bound || !q || !mdevAssigns(mdev, apqn))
    return { rc: RC.Q_NOT_AVAIL, rule: 'vfio_ap.hook.queue-not-found' }
  return { q, owner: mdev.vm ?? ctx.vm }
}

/** handle_pqap in vfio_ap_ops.c: returns 0 with the status written to GR1, or -EOPNOTSUPP. */
export function vfioApPqapHook(ctx: ExecContext): HookResult {
  const { vm, vcpu } = ctx
  const v = ctx.kernel.vfioAp
  if ((vm.eca & ECA_AIV) === 0) {
    const rule: RuleId = vm.facilities[65] ? 'vfio_ap.hook.no-aiv-fac65' : 'vfio_ap.hook.no-aiv'
    note(ctx, rule)
    return { result: EOPNOTSUPP, rule }
  }
  const apqn = lo(vcpu, 0) & APQN_MASK
  let status = statusWord(RC.Q_NOT_AVAIL)
  let rule: RuleId
  const mdev = vm.hook?.mdev ?? null
  const global = v.queueLookup === 'vfioap-any'
  if (!global && !mdev && v.noMdevResult === 'op') {
    note(ctx, 'vfio_ap.hook.no-mdev-op')
    return { result: EOPNOTSUPP, rule: 'vfio_ap.hook.no-mdev-op' }
  }
  if (!mdev && !global) {
    rule = 'vfio_ap.hook.no-mdev'
    note(ctx, rule)
  } else if (mdev && v.mdevWithoutKvmRc01 && mdev.vm === null) {
    rule = 'vfio_ap.hook.no-kvm'
    note(ctx, rule)
  } else {
    const found = lookupQueue(ctx, mdev, apqn)
    if ('rc' in found) {
      rule = found.rule
      status = statusWord(found.rc)
      if (ctx.trace) note(ctx, rule, { apqn: formatApqn(apqn), lookup: lookupName(ctx) })
    } else {
      const ir = (hi(vcpu, 1) & QIRQ_IR_HI) !== 0
      if (ctx.trace)
        note(ctx, 'vfio_ap.hook.queue-found', {
          apqn: formatApqn(apqn),
          lookup: lookupName(ctx),
          ir: ir ? 1 : 0,
          action: ir ? 'enable interruptions' : 'disable interruptions',
        })
      let target = ctx
      if (found.owner !== vm) {
        if (ctx.trace)
          note(ctx, 'vfio_ap.hook.queue-of-other-guest', { apqn: formatApqn(apqn), owner: found.owner.name })
        target = { ...ctx, vm: found.owner }
      }
      const r = ir
        ? irqEnable(target, found.q, lo(vcpu, 1) & QIRQ_ISC_LO, hi(vcpu, 2), lo(vcpu, 2))
        : irqDisable(target, found.q)
      status = r.status
      rule = r.rule
    }
  }
  writeBack(ctx, status)
  return { result: 0, rule }
}

function writeBack(ctx: ExecContext, status: number): void {
  const { vcpu } = ctx
  if (ctx.kernel.vfioAp.hookPlacement === 'lo') {
    setGpr(vcpu, 1, 0, status)
    if (ctx.trace) note(ctx, 'vfio_ap.hook.write-back-lo', { status: hex(status, 8) })
  } else {
    setGpr(vcpu, 1, status, lo(vcpu, 1))
    if (ctx.trace) note(ctx, 'vfio_ap.hook.write-back-hi', { status: hex(status, 8) })
  }
}

interface IrqResult {
  status: number
  rule: RuleId
}

function fail(ctx: ExecContext, rule: RuleId, rc: number, args?: () => Record<string, string | number>): IrqResult {
  if (ctx.trace) note(ctx, rule, args)
  return { status: statusWord(rc), rule }
}

function hostAddress(ctx: ExecContext, gpa: number): number {
  return ctx.vm.hostBase + gpa
}

/** vfio_ap_irq_enable, steps E1–E7 in the order of the profile's era. */
export function irqEnable(ctx: ExecContext, q: ApQueue, isc: number, nibHi: number, nibLo: number): IrqResult {
  const { vm, host } = ctx
  const v = ctx.kernel.vfioAp
  const inMemslot = nibHi === 0 && nibLo < vm.memorySize
  if (v.nibValidation !== 'none') {
    if (v.nibValidation !== 'memslot' && nibHi === 0 && nibLo === 0)
      return fail(ctx, 'vfio_ap.irq.nib-zero', RC.INVALID_ADDRESS)
    if (!inMemslot)
      return fail(ctx, 'vfio_ap.irq.nib-not-in-memslot', RC.INVALID_ADDRESS, () => ({
        nib: hex(nibHi) + hex(nibLo, 8),
      }))
  }
  // An IOVA outside every DMA mapping makes vfio_pin_pages fail with -EINVAL (vfio_iommu_type1).
  const errno = host.faults.pinErrno ?? (inMemslot ? null : 'EINVAL')
  if (errno !== null) {
    if (v.pinErrorMapping === 'einval-e2big-only' && errno !== 'EINVAL' && errno !== 'E2BIG') {
      if (ctx.trace) note(ctx, 'vfio_ap.irq.pin-failed-zero', { errno: `-${errno}` })
      return { status: 0, rule: 'vfio_ap.irq.pin-failed-zero' }
    }
    return fail(ctx, 'vfio_ap.irq.pin-failed', RC.INVALID_ADDRESS, () => ({
      nib: hex(nibHi) + hex(nibLo, 8),
      errno: `-${errno}`,
    }))
  }
  host.pinnedPages++
  if (ctx.trace)
    note(ctx, 'vfio_ap.irq.pinned', {
      pinApi: v.pinApi === 'iova' ? 'IOVA' : 'pfn',
      host: hostAddress(ctx, nibLo).toString(16),
    })

  let nisc = GAL_ISC
  const giscFails = host.faults.giscRegisterFails || vm.gisa === null
  if (host.faults.giscRegisterFails) note(ctx, 'vfio_ap.irq.gisc-fault-injected')
  if (giscFails) {
    if (v.giscFailureRc === 0x06) {
      host.pinnedPages--
      return fail(ctx, 'vfio_ap.irq.gisc-failed-rc06', RC.INVALID_ADDRESS, () => ({ isc }))
    }
    if (v.giscFailureRc === 0x08) {
      if (v.giscFailureUnpins) host.pinnedPages--
      return fail(ctx, 'vfio_ap.irq.gisc-failed-rc08', RC.INVALID_GISA, () => ({
        isc,
        leak: v.giscFailureUnpins ? '; NIB unpinned' : '; the pinned NIB page is not released (before 7b2d039da622)',
      }))
    }
    if (ctx.trace) note(ctx, 'vfio_ap.irq.gisc-unchecked', { isc })
    nisc = 0
  } else {
    vm.gisa!.iamRefs[isc]!++
    if (ctx.trace) note(ctx, 'vfio_ap.irq.gisc-registered', { isc, nisc })
  }

  const req: HostAqicRequest = {
    ir: true,
    isc: nisc,
    gisc: isc,
    gisaOrigin: vm.gisa?.origin ?? 0,
    nibVm: vm,
    nibGpa: nibLo,
  }
  const real = hostAqic(ctx, host, q, req)
  const seen = seenStatus(ctx, real)
  const rc = statusRc(seen)
  if (ctx.trace)
    note(ctx, 'vfio_ap.irq.host-aqic', {
      apqn: formatApqn(q.apqn),
      ir: 1,
      nisc,
      isc,
      gisa: hex(req.gisaOrigin >>> 4),
      designation:
        v.gisaDesignation === 'origin'
          ? 'GISA origin >> 4'
          : 'gisa->next_alert >> 4, which holds the origin (inferred)',
      rc: hex(statusRc(real), 2),
    })
  let rule: RuleId
  if (rc === RC.NORMAL) {
    releaseSaved(ctx, host, q)
    q.saved.vm = vm
    q.saved.gpa = nibLo
    q.saved.isc = isc
    rule = 'vfio_ap.irq.enabled'
    note(ctx, rule)
  } else if (rc === RC.OTHERWISE_CHANGED) {
    if (!giscFails) vm.gisa!.iamRefs[isc]!--
    host.pinnedPages--
    rule = 'vfio_ap.irq.rc07'
    if (ctx.trace)
      note(ctx, rule, {
        order: v.rc07GiscFirst ? ' (GISC first and its result logged, then the page — c44ce579240d)' : '',
      })
  } else {
    rule = 'vfio_ap.irq.enable-error'
    if (ctx.trace) note(ctx, rule, { rc: hex(rc, 2) })
    host.log.push({
      atUs: host.nowUs,
      level: 'warn',
      source: `${ctx.kernel.refName} vfio_ap_irq_enable`,
      text: `PQAP/AQIC ${formatApqn(q.apqn)} rc=0x${hex(rc, 2)}`,
    })
    irqDisable(ctx, q)
  }
  return { status: rewrite(ctx, seen), rule }
}

function seenStatus(ctx: ExecContext, real: number): number {
  if (ctx.kernel.vfioAp.hostAqicStatus === 'real') return real
  if (ctx.trace) note(ctx, 'vfio_ap.irq.host-status-zeros', { rc: hex(statusRc(real), 2) })
  return 0
}

function rewrite(ctx: ExecContext, status: number): number {
  const rw = ctx.kernel.vfioAp.hostRcRewrite
  if (!rw || statusRc(status) !== rw.from) return status
  if (ctx.trace) note(ctx, 'vfio_ap.irq.rc-rewrite', { from: hex(rw.from, 2), to: hex(rw.to, 2) })
  return ((status & ~0x00ff0000) | (rw.to << 16)) >>> 0
}

/** vfio_ap_free_aqic_resources: unregister the saved GISC, unpin the saved NIB. */
export function releaseSaved(scope: TraceScope, host: Host, q: ApQueue): void {
  const saved = q.saved
  const vm = saved.vm
  if (!vm) return
  const isc = saved.isc
  if (vm.gisa && vm.gisa.iamRefs[isc]! > 0) vm.gisa.iamRefs[isc]!--
  host.pinnedPages--
  saved.vm = null
  saved.isc = 0xff
  saved.gpa = 0
  if (scope.trace) note(scope, 'vfio_ap.irq.freed', { isc })
}

function disableOnce(ctx: ExecContext, q: ApQueue): number {
  return seenStatus(
    ctx,
    hostAqic(ctx, ctx.host, q, { ir: false, isc: 0, gisc: 0, gisaOrigin: 0, nibVm: null, nibGpa: 0 }),
  )
}

/** vfio_ap_irq_disable in the profile's form; returns the status of the last host AQIC. */
export function irqDisable(ctx: ExecContext, q: ApQueue): IrqResult {
  const { host } = ctx
  const v = ctx.kernel.vfioAp
  let status = 0
  if (v.disablePath === 'retry-loop') {
    for (let attempt = 1; attempt <= DISABLE_ATTEMPTS; attempt++) {
      status = disableOnce(ctx, q)
      const rc = statusRc(status)
      if (rc === RC.NORMAL || rc === RC.OTHERWISE_CHANGED) {
        if (ctx.trace)
          note(ctx, 'vfio_ap.irq.disable', {
            apqn: formatApqn(q.apqn),
            rc: hex(rc, 2),
            action: 'waited for I to clear (TAPQ), resources freed',
          })
        break
      }
      if ((rc === RC.RESET_IN_PROGRESS || rc === RC.BUSY) && attempt < DISABLE_ATTEMPTS) {
        if (ctx.trace) note(ctx, 'vfio_ap.irq.disable-retry', { rc: hex(rc, 2), attempt })
        host.nowUs += RETRY_SLEEP_US
        continue
      }
      if (ctx.trace) note(ctx, 'vfio_ap.irq.disable-warn', { rc: hex(rc, 2) })
      break
    }
    releaseSaved(ctx, ctx.host, q)
  } else {
    status = disableOnce(ctx, q)
    const rc = statusRc(status)
    const free = v.disablePath === 'aqic-free' || rc === RC.NORMAL
    if (ctx.trace)
      note(ctx, 'vfio_ap.irq.disable', {
        apqn: formatApqn(q.apqn),
        rc: hex(rc, 2),
        action: free
          ? v.disablePath === 'aqic-poll-tapq'
            ? 'polled TAPQ until I = 0, resources freed'
            : 'resources freed'
          : 'resources kept (freed only on RC 0)',
      })
    if (free) releaseSaved(ctx, ctx.host, q)
  }
  return { status, rule: 'vfio_ap.irq.disable' }
}

/** Architecture-faithful mode: AQIC as the machine would answer it, no hook involved. */
export function architectedAqic(ctx: ExecContext, apqn: number, configured: boolean): Outcome {
  const { vm, vcpu, host } = ctx
  let status: number
  const q = configured ? queueAt(host, apqn) : undefined
  if (!q) status = statusWord(RC.Q_NOT_AVAIL)
  else {
    const gate = queueGateRc(host, q)
    const ir = (hi(vcpu, 1) & QIRQ_IR_HI) !== 0
    const nibLo = lo(vcpu, 2)
    if (gate >= 0) {
      if (ctx.trace) note(ctx, gateRule(gate), gateArgs(q))
      status = statusWord(gate, queueFlags(q))
    } else if (ir && !(hi(vcpu, 2) === 0 && nibLo < vm.memorySize))
      status = statusWord(RC.INVALID_ADDRESS, queueFlags(q))
    else
      status = hostAqic(ctx, host, q, {
        ir,
        isc: lo(vcpu, 1) & QIRQ_ISC_LO,
        gisc: lo(vcpu, 1) & QIRQ_ISC_LO,
        gisaOrigin: vm.gisa?.origin ?? PAGE_SIZE,
        nibVm: vm,
        nibGpa: nibLo,
      })
  }
  setGpr(vcpu, 1, 0, status)
  const rc = statusRc(status)
  vcpu.psw.cc = rc === 0 ? 0 : 3
  if (ctx.trace) note(ctx, 'fw.aqic.architected', { rc: hex(rc, 2), cc: vcpu.psw.cc })
  return outcome('firmware', 'fw.aqic.architected', 0, 'lo')
}
