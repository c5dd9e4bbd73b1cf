// Assignment to a vfio_ap mediated device and its consequences while a guest runs
// (vfio-ap.md §5, §8–§10): the kernel's errno by era, hot plug in the dynamic era, queue resets
// that free interrupt resources on unplug.
import { formatApqn } from './arch'
import { resetQueue } from './apbus'
import { guestMatrix, setCrycbMasks } from './machine'
import { maskSet, maskTest, type Host, type Mdev } from './model'
import { note, type TraceScope } from './trace'
import { mdevAssigns, releaseSaved, reservedForVfioAp } from './vfio-ap'

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

/** The `assign_*` sysfs write, validated as the host kernel's era does it. */
export function assign(host: Host, mdev: Mdev, kind: AssignKind, id: number): MatrixChange {
  const dynamic = host.kernel.vfioAp.dynamicMatrix
  const max = kind === 'adapter' ? host.na : host.nd
  if (id > max)
    return refuse('ENODEV', `${kind} ${id} is above the maximum ${max} (QCI ${kind === 'adapter' ? 'Na' : 'Nd'})`)
  if (!dynamic && mdev.vm !== null)
    return refuse('EBUSY', 'the mdev is in use by a running guest (static matrix before 6.0)')
  const m = maskOf(mdev, kind)
  if (maskTest(m, id)) return OK
  if (kind !== 'control_domain') {
    const apids = kind === 'adapter' ? [id] : idsOf(mdev.apm)
    const apqis = kind === 'domain' ? [id] : idsOf(mdev.aqm)
    for (const a of apids)
      for (const d of apqis) {
        const apqn = (a << 8) | d
        if (!dynamic && host.queues.has(apqn) && !reservedForVfioAp(host, apqn))
          return refuse('EADDRNOTAVAIL', `queue ${formatApqn(apqn)} is not reserved for vfio_ap (apmask/aqmask)`)
        for (const other of host.mdevs.values())
          if (other !== mdev && mdevAssigns(other, apqn))
            return refuse('EADDRINUSE', `queue ${formatApqn(apqn)} is already assigned to mdev ${other.uuid}`)
      }
  }
  maskSet(m, id)
  refreshGuest(host, mdev)
  return OK
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

/** vfio_ap_mdev_reset_queue: ZAPQ on the host, then the interrupt resources of the queue are freed. */
export function resetAndFree(scope: TraceScope | null, host: Host, mdev: Mdev, apqn: number): void {
  const q = host.queues.get(apqn)
  if (q) resetQueue(host, q)
  const vm = mdev.vm
  if (vm && scope) {
    releaseSaved({ host, vm, vcpu: vm.vcpus[0]!, trace: scope.trace, kernel: host.kernel, qemu: vm.qemu }, apqn)
    note(scope, 'lab.reset.irq-freed', { apqn: formatApqn(apqn) })
  } else if (vm) releaseSaved({ host, vm, vcpu: vm.vcpus[0]!, trace: null, kernel: host.kernel, qemu: vm.qemu }, apqn)
}

/** The guest stops: vfio_ap clears the hook and the CRYCB masks and resets every queue of the mdev. */
export function detachGuest(scope: TraceScope | null, host: Host, mdev: Mdev): void {
  const vm = mdev.vm
  if (!vm) return
  for (const apqn of host.queues.keys()) if (mdevAssigns(mdev, apqn)) resetAndFree(scope, host, mdev, apqn)
  vm.hook = host.kernel.vfioAp.hookRegistration === 'module-load' && host.vfioAp ? { mdev: null } : null
  setCrycbMasks(vm, { apm: new Uint8Array(32), aqm: new Uint8Array(32), adm: new Uint8Array(32) })
  mdev.vm = null
}

export function attachGuest(host: Host, mdev: Mdev, vm: NonNullable<Mdev['vm']>): void {
  mdev.vm = vm
  vm.hook = { mdev }
  setCrycbMasks(vm, guestMatrix(host, mdev))
}

function refreshGuest(host: Host, mdev: Mdev): void {
  if (mdev.vm) setCrycbMasks(mdev.vm, guestMatrix(host, mdev))
}

function idsOf(m: Uint8Array): number[] {
  const out: number[] = []
  for (let i = 0; i < 256; i++) if (maskTest(m, i)) out.push(i)
  return out
}
