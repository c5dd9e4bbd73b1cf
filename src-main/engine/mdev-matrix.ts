// Assignment to a vfio_ap mediated device and its consequences while a guest runs
// (vfio-ap.md §5, §8–§10): the kernel's errno by era, hot plug in the dynamic era, queue resets
// that free interrupt resources on unplug.
import { CRYCB_FORMATS, formatApqn } from './arch'
import { resetQueue } from './apbus'
import { maskSet, maskTest, newMask, type ApMask, type Host, type Mdev, type Vm } from './model'
import { note, type TraceScope } from './trace'
import { boundToVfioAp, irqDisable, mdevAssigns, releaseSaved, reservedForVfioAp } from './vfio-ap'

export type AssignKind = 'adapter' | 'domain' | 'control_domain'

export interface MatrixChange {
  ok: boolean
  errno: string | null
  reason: string
}

const OK: MatrixChange = { ok: true, errno: null, reason: 'applied' }

function refuse(errno: string, reason: string): MatrixChange {
  return { ok: false, errno, reason }
}

function maskOf(mdev: Mdev, kind: AssignKind) {
  return kind === 'adapter' ? mdev.apm : kind === 'domain' ? mdev.aqm : mdev.adm
}

/** The `assign_*` sysfs write, validated in the order of the host kernel's era (vfio-ap.md §5). */
export function assign(host: Host, mdev: Mdev, kind: AssignKind, id: number): MatrixChange {
  const dynamic = host.kernel.vfioAp.dynamicMatrix
  if (!dynamic && mdev.vm !== null)
    return refuse('EBUSY', 'the mdev is in use by a running guest (static matrix before 6.0)')
  const max = kind === 'adapter' ? host.na : host.nd
  if (id > max) return refuse('ENODEV', `${kind.replace('_', ' ')} ${id} is above the maximum ${max}`)
  const m = maskOf(mdev, kind)
  if (maskTest(m, id)) return OK
  if (kind === 'control_domain') {
    maskSet(m, id)
    refreshGuest(host, mdev)
    return OK
  }
  const apids = kind === 'adapter' ? [id] : idsOf(mdev.apm)
  const apqis = kind === 'domain' ? [id] : idsOf(mdev.aqm)
  if (dynamic) {
    for (const a of apids)
      for (const d of apqis)
        if (!reservedForVfioAp(host, (a << 8) | d))
          return refuse(
            'EADDRNOTAVAIL',
            `queue ${formatApqn((a << 8) | d)} is in the host's default-driver pool (apmask and aqmask)`,
          )
  } else if (apids.length > 0 && apqis.length > 0) {
    for (const a of apids)
      for (const d of apqis)
        if (!boundToVfioAp(host, (a << 8) | d))
          return refuse('EADDRNOTAVAIL', `no queue ${formatApqn((a << 8) | d)} is bound to vfio_ap`)
  } else {
    const some = [...host.queues.keys()].some(
      (apqn) => (kind === 'adapter' ? apqn >>> 8 === id : (apqn & 0xff) === id) && boundToVfioAp(host, apqn),
    )
    if (!some) return refuse('EADDRNOTAVAIL', `no queue with ${kind} ${id} is bound to vfio_ap`)
  }
  maskSet(m, id)
  for (const other of host.mdevs.values()) {
    if (other === mdev || !intersects(other.apm, mdev.apm) || !intersects(other.aqm, mdev.aqm)) continue
    maskSet(m, id, false)
    return refuse('EADDRINUSE', `the matrix would share queues with mdev ${other.uuid}`)
  }
  refreshGuest(host, mdev)
  return OK
}

function intersects(a: ApMask, b: ApMask): boolean {
  for (let i = 0; i < 32; i++) if ((a[i]! & b[i]!) !== 0) return true
  return false
}

export class AssignmentError extends Error {
  constructor(
    readonly field: string,
    readonly errno: string,
    reason: string,
  ) {
    super(`${field}: ${errno}: ${reason}`)
  }
}

/** Applies a session's mdev matrix through the sysfs rules, adapters first; the first refusal stops the session. */
export function applyAssignments(
  host: Host,
  mdev: Mdev,
  spec: { adapters: readonly number[]; domains: readonly number[]; controlDomains?: readonly number[] },
  field: string,
): void {
  const steps: [AssignKind, readonly number[], string][] = [
    ['adapter', spec.adapters, 'adapters'],
    ['domain', spec.domains, 'domains'],
    ['control_domain', spec.controlDomains ?? spec.domains, 'controlDomains'],
  ]
  for (const [kind, ids, key] of steps)
    ids.forEach((id, j) => {
      const r = assign(host, mdev, kind, id)
      if (!r.ok) throw new AssignmentError(`${field}.${key}[${j}]`, r.errno!, r.reason)
    })
}

/** The `unassign_*` sysfs write; in the dynamic era the queues leave the running guest and are reset. */
export function unassign(scope: TraceScope | null, host: Host, mdev: Mdev, kind: AssignKind, id: number): MatrixChange {
  const dynamic = host.kernel.vfioAp.dynamicMatrix
  if (!dynamic && mdev.vm !== null)
    return refuse('EBUSY', 'the mdev is in use by a running guest (static matrix before 6.0)')
  const m = maskOf(mdev, kind)
  if (!maskTest(m, id)) return OK
  const leaving: number[] = []
  if (kind !== 'control_domain') {
    for (const apqn of host.queues.keys()) {
      if (!mdevAssigns(mdev, apqn)) continue
      if ((kind === 'adapter' && apqn >>> 8 === id) || (kind === 'domain' && (apqn & 0xff) === id)) leaving.push(apqn)
    }
  }
  maskSet(m, id, false)
  if (mdev.vm) for (const apqn of leaving) resetAndFree(scope, host, mdev, apqn)
  refreshGuest(host, mdev)
  return OK
}

/**
 * vfio_ap_mdev_reset_queue: ZAPQ on the host, then the interrupt resources of the queue are
 * freed. Before 5.11 vfio_ap also issued an AQIC disable after the reset, which the reset had
 * already made redundant ("s390/vfio-ap: No need to disable IRQ after queue reset").
 */
export function resetAndFree(scope: TraceScope | null, host: Host, _mdev: Mdev, apqn: number): void {
  const q = host.queues.get(apqn)
  if (!q) return
  resetQueue(host, q)
  const vm = q.saved.vm
  const trace = scope?.trace ?? null
  if (host.kernel.vfioAp.irqDisableAfterReset && vm) {
    const ctx = { host, vm, vcpu: vm.vcpus[0]!, trace, kernel: host.kernel, qemu: vm.qemu }
    if (trace) note(ctx, 'vfio_ap.reset.irq-disable', { apqn: formatApqn(apqn) })
    irqDisable(ctx, q)
  } else releaseSaved(scope ?? { trace: null, kernel: host.kernel, qemu: null }, host, q)
  if (scope) note(scope, 'lab.reset.irq-freed', { apqn: formatApqn(apqn) })
}

/** Resets every queue the mdev has assigned, freeing its interrupt resources (vfio_ap_mdev_reset_queues). */
function resetQueuesOf(scope: TraceScope | null, host: Host, mdev: Mdev): void {
  for (const apqn of host.queues.keys()) if (mdevAssigns(mdev, apqn)) resetAndFree(scope, host, mdev, apqn)
}

/** The guest stops: vfio_ap clears the hook and the CRYCB masks and resets every queue of the mdev. */
export function detachGuest(scope: TraceScope | null, host: Host, mdev: Mdev): void {
  const vm = mdev.vm
  if (!vm) return
  resetQueuesOf(scope, host, mdev)
  vm.hook = host.kernel.vfioAp.hookRegistration === 'module-load' && host.vfioAp ? { mdev: null } : null
  setCrycbMasks(vm, { apm: new Uint8Array(32), aqm: new Uint8Array(32), adm: new Uint8Array(32) })
  mdev.vm = null
}

/**
 * Writing 1 to the mdev's `remove` (vfio-ap.md §11). Not in use: its queues are reset and it is
 * deleted. In use by a guest: before 6.0 the write fails with EBUSY; from 6.0 vfio waits for the
 * device to be released, asking user space for it through vfio_ap's request callback where the
 * kernel has one (`removeRequest`). QEMU ≥ 8.1 answers by unplugging the vfio-ap device, which
 * closes it: the removal completes at once. Otherwise it completes when the guest stops
 * (`finishRemoval`); the newest kernels clear the guest's masks while it waits.
 */
export function removeMdev(scope: TraceScope | null, host: Host, mdev: Mdev): MatrixChange {
  const vm = mdev.vm
  if (!vm) {
    resetQueuesOf(scope, host, mdev)
    host.mdevs.delete(mdev.uuid)
    return { ok: true, errno: null, reason: `mdev ${mdev.uuid} removed; its queues were reset` }
  }
  const v = host.kernel.vfioAp
  if (!v.dynamicMatrix)
    return refuse('EBUSY', `mdev ${mdev.uuid} is in use by guest ${vm.name} (static matrix before 6.0)`)
  if (v.removeRequest !== 'none' && vm.qemu.requestIrq) {
    if (v.removeRequest === 'relay+clear-masks') signalConfigChange(host, vm)
    detachGuest(scope, host, mdev)
    host.mdevs.delete(mdev.uuid)
    return {
      ok: true,
      errno: null,
      reason: `vfio_ap relayed the removal request; ${vm.qemu.id} unplugged the vfio-ap device of guest ${vm.name} (its AP configuration is now empty, its queues were reset) and mdev ${mdev.uuid} was removed`,
    }
  }
  mdev.removing = true
  if (v.removeRequest === 'relay+clear-masks') {
    setCrycbMasks(vm, { apm: newMask(), aqm: newMask(), adm: newMask() })
    signalConfigChange(host, vm)
  }
  const why =
    v.removeRequest === 'none'
      ? "this kernel's vfio_ap has no request callback, added in ~6.5"
      : `${vm.qemu.id} registers no request handler, which QEMU 8.1 added, so vfio_ap has nobody to relay the request to`
  const masks = v.removeRequest === 'relay+clear-masks' ? '; the guest masks were cleared at once' : ''
  host.log.push({
    atUs: host.nowUs,
    level: 'info',
    source: 'vfio_ap',
    text: `remove of mdev ${mdev.uuid} blocks until guest ${vm.name} releases the device (VQ-4): ${why}${masks}`,
  })
  return {
    ok: false,
    errno: null,
    reason: `the write to remove blocks until guest ${vm.name} releases the device (${why})${masks}`,
  }
}

/** The guest released the device: a removal that was waiting for it completes. */
export function finishRemoval(host: Host, mdev: Mdev): void {
  if (!mdev.removing || mdev.vm) return
  host.mdevs.delete(mdev.uuid)
  host.log.push({
    atUs: host.nowUs,
    level: 'info',
    source: 'vfio_ap',
    text: `mdev ${mdev.uuid} removed: the write to remove that was waiting for the device returns`,
  })
}

export function attachGuest(host: Host, mdev: Mdev, vm: NonNullable<Mdev['vm']>): void {
  mdev.vm = vm
  vm.hook = { mdev }
  setCrycbMasks(vm, guestMatrix(host, mdev))
}

function refreshGuest(host: Host, mdev: Mdev): void {
  const vm = mdev.vm
  if (!vm) return
  const before = [vm.apm, vm.aqm, vm.adm]
  setCrycbMasks(vm, guestMatrix(host, mdev))
  if ([vm.apm, vm.aqm, vm.adm].some((m, i) => !sameMask(m, before[i]!))) signalConfigChange(host, vm)
}

function sameMask(a: ApMask, b: ApMask): boolean {
  for (let i = 0; i < 32; i++) if (a[i] !== b[i]) return false
  return true
}

/**
 * The guest's AP configuration changed under it: the newest vfio_ap signals user space, and QEMU ≥
 * 10.1 queues a channel report word (then CHSC SEI NT0 with RS 5, CC 3), which `wait crw` takes.
 * Otherwise the guest learns of the change only when it next looks (QCI, TAPQ).
 */
function signalConfigChange(host: Host, vm: Vm): void {
  if (!host.kernel.vfioAp.configChangeSignal || !vm.qemu.configChangeNotification) return
  vm.crwPending = (vm.crwPending ?? 0) + 1
  host.log.push({
    atUs: host.nowUs,
    level: 'info',
    source: 'qemu',
    text: `guest ${vm.name}: ${vm.qemu.id} queues a channel report word for the AP configuration change (CHSC SEI NT0: RS 5, CC 3)`,
  })
}

function idsOf(m: Uint8Array): number[] {
  const out: number[] = []
  for (let i = 0; i < 256; i++) if (maskTest(m, i)) out.push(i)
  return out
}

/** The masks vfio_ap writes into the CRYCB: the whole assigned matrix before 6.0, the filtered guest matrix after. */
export function guestMatrix(host: Host, mdev: Mdev): { apm: ApMask; aqm: ApMask; adm: ApMask } {
  if (!host.kernel.vfioAp.dynamicMatrix) return { apm: mdev.apm.slice(), aqm: mdev.aqm.slice(), adm: mdev.adm.slice() }
  const apm = newMask()
  const aqm = mdev.aqm.slice()
  for (let apid = 0; apid < 256; apid++) {
    if (!maskTest(mdev.apm, apid)) continue
    let complete = true
    for (let apqi = 0; apqi < 256 && complete; apqi++) {
      if (maskTest(mdev.aqm, apqi) && !boundToVfioAp(host, (apid << 8) | apqi)) complete = false
    }
    if (complete) maskSet(apm, apid)
  }
  return { apm, aqm, adm: mdev.adm.slice() }
}

/** kvm_arch_crypto_set_masks: formats 0/1 take 64 adapters and 16 domains, format 2 all 256. */
export function setCrycbMasks(vm: Vm, masks: { apm: ApMask; aqm: ApMask; adm: ApMask }): void {
  const row = CRYCB_FORMATS[vm.crycbFormat]!
  const clip = (m: ApMask, bits: number): ApMask => {
    const out = newMask()
    for (let id = 0; id < bits; id++) if (maskTest(m, id)) maskSet(out, id)
    return out
  }
  vm.apm = clip(masks.apm, row.apmBits)
  vm.aqm = clip(masks.aqm, row.aqmBits)
  vm.adm = clip(masks.adm, row.admBits)
}
