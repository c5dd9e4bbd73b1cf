import type { CardMode, CardType } from './arch'
import type { KernelProfile, QemuProfile } from './profiles/types'
import type { Vcpu } from './regs'
import type { PendingTrace, TraceRecord } from './trace'

export type EmulatorMode = 'kernel-faithful' | 'architecture-faithful'
export type AdapterState = 'online' | 'checkstopped' | 'deconfigured'

/** A 256-bit AP mask; ID n is bit n with bit 0 the MSB of byte 0, as in QCI and sysfs. */
export type ApMask = Uint8Array

export function newMask(): ApMask {
  return new Uint8Array(32)
}
export function maskTest(m: ApMask, id: number): boolean {
  return (m[id >>> 3]! & (0x80 >>> (id & 7))) !== 0
}
export function maskSet(m: ApMask, id: number, on = true): void {
  if (on) m[id >>> 3] = m[id >>> 3]! | (0x80 >>> (id & 7))
  else m[id >>> 3] = m[id >>> 3]! & ~(0x80 >>> (id & 7))
}
export function maskIds(m: ApMask): number[] {
  const out: number[] = []
  for (let id = 0; id < 256; id++) if (maskTest(m, id)) out.push(id)
  return out
}
export interface Adapter {
  id: number
  type: CardType
  mode: CardMode
  domains: number[]
  controlDomains: number[]
  state: AdapterState
  ml: number
  depth: number
  latencyUs: number
  busyUntilUs: number
  /** TAPQ hardware-information words derived from type, mode, domains, ML and depth. */
  hwinfoHi: number
  hwinfoLo: number
}

export interface ApMessage {
  psmid: bigint
  length: number
  dueUs: number
}

export interface IrqState {
  enabled: boolean
  isc: number
  gisc: number
  gisaOrigin: number
  /** Guest and guest-physical address of the NIB the firmware will set. */
  nibVm: Vm | null
  nibGpa: number
}

export interface ApQueue {
  apqn: number
  adapter: Adapter
  irq: IrqState
  resetUntilUs: number
  requests: ApMessage[]
  replies: ApMessage[]
  /** The remaining bytes of a reply being received in parts (DQAP cc 1). */
  replyOffset: number
  /** vfio_ap's struct vfio_ap_queue: the NIB it pinned and the ISC it registered (saved_iova / saved_isc). */
  saved: { vm: Vm | null; gpa: number; isc: number }
}

export interface HostFacilities {
  12: boolean
  15: boolean
  65: boolean
  76: boolean
}

export interface Faults {
  /** try_module_get on the hook's owner fails (vfio_ap module going away). */
  moduleGetFails: boolean
  /** vfio_pin_pages fails with this errno (e.g. 'EFAULT', 'EINVAL', 'E2BIG'). */
  pinErrno: string | null
  /** kvm_s390_gisc_register fails. */
  giscRegisterFails: boolean
}

export const NO_FAULTS: Faults = Object.freeze({ moduleGetFails: false, pinErrno: null, giscRegisterFails: false })

export interface HostLogEntry {
  atUs: number
  level: 'warn' | 'info'
  source: string
  text: string
}

export interface Host {
  kernel: KernelProfile
  mode: EmulatorMode
  apInstructions: boolean
  facilities: HostFacilities
  aiv: boolean
  apxa: boolean
  vfioAp: boolean
  /** Highest APID / domain index the host's QCI reports (Na, Nd). */
  na: number
  nd: number
  apmask: ApMask
  aqmask: ApMask
  adapters: Map<number, Adapter>
  queues: Map<number, ApQueue>
  mdevs: Map<string, Mdev>
  nowUs: number
  resetWindowUs: number
  log: HostLogEntry[]
  warnedOnce: Set<string>
  pinnedPages: number
  faults: Faults
}

export interface Mdev {
  uuid: string
  apm: ApMask
  aqm: ApMask
  adm: ApMask
  vm: Vm | null
  /** A write to `remove` is waiting for the guest to release the device (vfio-ap.md §11). */
  removing?: boolean
}

export interface Gisa {
  origin: number
  /** Interruption alert mask: reference counts per guest ISC (kvm_s390_gisc_register). */
  iamRefs: number[]
  /** Pending adapter interruptions by ISC (IPM). */
  ipm: number
}

export interface PqapHook {
  mdev: Mdev | null
}

export interface VmFacilities {
  12: boolean
  15: boolean
  65: boolean
  76: boolean
}

export interface Vm {
  name: string
  /** Channel report words for AP configuration changes that the guest has not taken yet. */
  crwPending?: number
  host: Host
  qemu: QemuProfile
  eca: number
  facilities: VmFacilities
  crycbFormat: 0 | 1 | 2
  apm: ApMask
  aqm: ApMask
  adm: ApMask
  gisa: Gisa | null
  hook: PqapHook | null
  /** Effective ECA_APIE off under an emulated lower-level hypervisor (nesting). */
  nested: boolean
  memorySize: number
  memory: Map<number, Uint8Array>
  /** Synthetic host address of guest page 0, for pinned-page addresses in traces. */
  hostBase: number
  vcpus: Vcpu[]
}

export interface ExecContext {
  host: Host
  vm: Vm
  vcpu: Vcpu
  trace: TraceRecord[] | null
  pending?: PendingTrace | null
  kernel: KernelProfile
  qemu: QemuProfile
}
