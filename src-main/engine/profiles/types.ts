export type CcRule = 'unchanged' | 0 | 3

/** handle_pqap's checks in order (interception.md §3): H hook, I AP instructions, A ECA_APIE, F FC = 3, P problem state, R reserved bits, T T bit without APFT, X APQN range, 65 facility 65, K call the hook or answer. */
export type CheckOrder = 'HIAFP65K' | 'IAFP65K' | 'IAFPRX65K' | 'IAFPRTX65K'

export interface KvmSwitches {
  pqapHandler: boolean
  checkOrder: CheckOrder | null
  fcNot3: 'op' | 'warn+op' | 'pr_warn+op'
  noHookResult: 'op' | 'rc01'
  noHookCc: 'unchanged' | 3
  noHookPlacement: 'hi'
  hookSuccessCc: 'unchanged' | 0
  hookErrorCc: 'unchanged' | 3
  reservedBitsCheck: boolean
  tBitApftCheck: boolean
  apxaMask: null | 0x30f0 | 0xc0f0
  fac65Gating: 'never' | 'host65' | 'host65+aiv'
  fac65MissingResult: 'spec' | 'op'
  moduleRefcount: 'none' | 'try_module_get' | 'rwsem'
}

export interface VfioApSwitches {
  /** When the PQAP hook exists for a VM: whenever vfio_ap is loaded (v3/v4, inferred) or while an mdev is open for it. */
  hookRegistration: 'module-load' | 'mdev-open'
  queueLookup: 'none' | 'vfioap-any' | 'mdev-list' | 'assigned+bound' | 'linked-hash'
  noMdevResult: 'rc01' | 'op'
  untiedQueueRc: null | 0x03
  mdevWithoutKvmRc01: boolean
  nibValidation: 'none' | 'memslot' | 'memslot+nonzero' | 'memslot+nonzero+pvShared'
  pinErrorMapping: 'einval-e2big-only' | 'any'
  gisaDesignation: 'next_alert' | 'origin'
  giscFailureRc: null | 0x08 | 0x06
  giscFailureUnpins: boolean
  hostRcRewrite: null | { from: number; to: number }
  hostAqicStatus: 'real' | 'zeros'
  hookPlacement: 'hi' | 'lo'
  disablePath: 'aqic-free' | 'aqic-free-if-rc0' | 'aqic-poll-tapq' | 'retry-loop'
  rc07GiscFirst: boolean
  dynamicMatrix: boolean
  irqDisableAfterReset: boolean
  /**
   * Writing `remove` while a guest holds the mdev (vfio-ap.md §11): `none`, vfio waits until the
   * device is released; `relay`, vfio_ap's request callback signals the request eventfd to user
   * space (QEMU ≥ 8.1 then unplugs the device); `relay+clear-masks`, it also clears the guest's
   * CRYCB masks at once.
   */
  removeRequest: 'none' | 'relay' | 'relay+clear-masks'
  /**
   * vfio_ap signals a change of the guest's AP configuration to user space (the eventfd at
   * VFIO_AP_CFG_CHG_IRQ_INDEX); QEMU ≥ 10.1 turns it into a channel report word for the guest.
   */
  configChangeSignal: boolean
  driverLock: 'matrix_dev->lock' | 'matrix_dev->mdevs_lock'
  pinApi: 'pfn' | 'iova'
}

export interface KernelProfile {
  kind: 'kernel'
  id: string
  label: string
  date: string
  dateApprox: boolean
  represents: string
  /** How a trace `ref` names this profile, e.g. `linux v5.3`. */
  refName: string
  sources: string[]
  kvm: KvmSwitches
  vfioAp: VfioApSwitches
}

export type ApFeature = 'ap' | 'apqci' | 'apft' | 'apqi' | 'appv' | 'appvi'

export interface QemuProfile {
  kind: 'qemu'
  id: string
  label: string
  date: string
  dateApprox: boolean
  represents: string
  refName: string
  sources: string[]
  /** CPU-model features this QEMU knows (it rejects others as unknown properties). */
  features: readonly ApFeature[]
  vfioApDevice: boolean
  hotplug: boolean
  requestIrq: boolean
  configChangeNotification: boolean
  iommufd: boolean
}

export type Profile = KernelProfile | QemuProfile
