import type { KernelProfile, KvmSwitches, VfioApSwitches } from './types'

type Identity = Omit<KernelProfile, 'kind' | 'kvm' | 'vfioAp'>

function profile(
  identity: Identity,
  base: KernelProfile | null,
  kvm: Partial<KvmSwitches>,
  vfioAp: Partial<VfioApSwitches>,
): KernelProfile {
  return Object.freeze({
    kind: 'kernel',
    ...identity,
    kvm: Object.freeze({ ...(base?.kvm ?? NO_HANDLER_KVM), ...kvm }),
    vfioAp: Object.freeze({ ...(base?.vfioAp ?? NO_HOOK_VFIO_AP), ...vfioAp }),
  }) as KernelProfile
}

const NO_HANDLER_KVM: KvmSwitches = {
  pqapHandler: false,
  checkOrder: null,
  fcNot3: 'op',
  noHookResult: 'op',
  noHookCc: 'unchanged',
  noHookPlacement: 'hi',
  hookSuccessCc: 'unchanged',
  hookErrorCc: 'unchanged',
  reservedBitsCheck: false,
  tBitApftCheck: false,
  apxaMask: null,
  fac65Gating: 'never',
  fac65MissingResult: 'spec',
  moduleRefcount: 'none',
}

const NO_HOOK_VFIO_AP: VfioApSwitches = {
  hookRegistration: 'mdev-open',
  queueLookup: 'none',
  noMdevResult: 'rc01',
  untiedQueueRc: null,
  mdevWithoutKvmRc01: false,
  nibValidation: 'none',
  pinErrorMapping: 'einval-e2big-only',
  gisaDesignation: 'next_alert',
  giscFailureRc: null,
  giscFailureUnpins: false,
  hostRcRewrite: null,
  hostAqicStatus: 'real',
  hookPlacement: 'hi',
  disablePath: 'aqic-free',
  rc07GiscFirst: false,
  dynamicMatrix: false,
  irqDisableAfterReset: false,
  removeRequest: 'none',
  configChangeSignal: false,
  driverLock: 'matrix_dev->lock',
  pinApi: 'pfn',
}

const SERIES = 'kvm@vger.kernel.org, Pierre Morel; patchwork mirror lkml-likexu/kde kernel_mailing_list/kvm_community'

export const LINUX_5_2 = profile(
  {
    id: 'linux-5.2',
    label: 'Linux 5.2',
    date: '2019-07-07',
    dateApprox: false,
    represents:
      'last release without a PQAP handler; vfio_ap (static matrix) and ECA_APIE exist (since 4.20, inferred)',
    refName: 'linux v5.2',
    sources: ['torvalds/linux v5.2 arch/s390/kvm/priv.c kvm_s390_handle_b2 (no case 0xaf)'],
  },
  null,
  {},
  {},
)

export const AQIC_V3 = profile(
  {
    id: 'aqic-v3',
    label: 'AQIC series v3 (posted)',
    date: '2019-02-14',
    dateApprox: false,
    represents: 'posted v3: the hook is a bare function pointer in kvm->arch.crypto, tested before anything else',
    refName: 'aqic-v3',
    sources: [
      '"[PATCH v3 2/9] s390: ap: kvm: setting a hook for PQAP instructions" (Message-Id 1550152269-6317-3-git-send-email-pmorel@linux.ibm.com)',
      `series 80287, commit 561e48c66cb6 (${SERIES})`,
      '"[PATCH v3 7/9] s390: ap: implement PAPQ AQIC interception in kernel" (vfio_ap handle_pqap, vfio_ap_setirq, vfio_ap_clrirq)',
    ],
  },
  null,
  {
    pqapHandler: true,
    checkOrder: 'HIAFP65K',
    fac65Gating: 'host65',
  },
  {
    hookRegistration: 'module-load',
    queueLookup: 'vfioap-any',
    untiedQueueRc: 0x03,
    hostRcRewrite: { from: 0x08, to: 0x07 },
    // [PATCH v3 7/9] vfio_ap_clrirq frees the NIB and ISC only when ap_aqic() answers RC 0.
    disablePath: 'aqic-free-if-rc0',
  },
)

export const AQIC_V4 = profile(
  {
    id: 'aqic-v4',
    label: 'AQIC series v4 (posted)',
    date: '2019-02-22',
    dateApprox: false,
    represents: 'posted v4: no hook → RC 0x01 written into GR1 bits 0–31',
    refName: 'aqic-v4',
    sources: [
      '"[PATCH v4 1/7] s390: ap: kvm: add PQAP interception for AQIC" (1550849400-27152-2-git-send-email-pmorel@linux.ibm.com)',
      `series 84023, commit 3d63ac6c97ef (${SERIES})`,
      'Cornelia Huck, reply to v4 1/7, 28 Feb 2019 (lkml.iu.edu/hypermail/linux/kernel/1902.3/03620.html)',
    ],
  },
  AQIC_V3,
  { checkOrder: 'IAFP65K', noHookResult: 'rc01' },
  { queueLookup: 'mdev-list', untiedQueueRc: null, noMdevResult: 'op' },
)

export const AQIC_V5 = profile(
  {
    id: 'aqic-v5',
    label: 'AQIC series v5 (posted)',
    date: '2019-03-13',
    dateApprox: false,
    represents: 'posted v5, the version the seed thread reviewed; hook object with try_module_get',
    refName: 'aqic-v5',
    sources: [
      '"[PATCH v5 1/7] s390: ap: kvm: add PQAP interception for AQIC" (1552493104-30510-2-git-send-email-pmorel@linux.ibm.com)',
      '"[PATCH v5 5/7] s390: ap: implement PAPQ AQIC interception in kernel" (1552493104-30510-6-git-send-email-pmorel@linux.ibm.com)',
      `series 91147, commit 7f6289d56f90 (${SERIES})`,
    ],
  },
  AQIC_V4,
  { moduleRefcount: 'try_module_get' },
  {
    hookRegistration: 'mdev-open',
    noMdevResult: 'rc01',
    hostRcRewrite: { from: 0x08, to: 0x06 },
    disablePath: 'aqic-free-if-rc0',
  },
)

export const AQIC_V5_ALT = profile(
  {
    id: 'aqic-v5-alt',
    label: 'AQIC v5, alternative from the review',
    date: '2019-03-19',
    dateApprox: true,
    represents:
      'the alternative argued in the v5 review: no hook → drop to user space → OPERATION (never posted as code)',
    refName: 'aqic-v5-alt',
    sources: [
      'Halil Pasic, reply to [PATCH v5 1/7], 19 Mar 2019 (lkml.iu.edu/hypermail/linux/kernel/1903.2/02443.html)',
      'Pierre Morel, reply to [PATCH v5 1/7], 15 Mar 2019 (the seed thread)',
    ],
  },
  AQIC_V5,
  { noHookResult: 'op' },
  {},
)

export const AQIC_V6 = profile(
  {
    id: 'aqic-v6',
    label: 'AQIC series v6 (posted)',
    date: '2019-03-22',
    dateApprox: false,
    represents: 'posted v6: reserved-bit and APXA checks added, with the wrong 0x30F0 mask',
    refName: 'aqic-v6',
    sources: [
      '"[PATCH v6 1/7] s390: ap: kvm: add PQAP interception for AQIC" (1553265828-27823-2-git-send-email-pmorel@linux.ibm.com)',
      '"[PATCH v6 5/7] s390: ap: implement PAPQ AQIC interception in kernel" (1553265828-27823-6-git-send-email-pmorel@linux.ibm.com)',
      `series 95535, commit 86415b05ce96 (${SERIES})`,
    ],
  },
  AQIC_V5,
  { checkOrder: 'IAFPRX65K', fcNot3: 'pr_warn+op', reservedBitsCheck: true, apxaMask: 0x30f0 },
  {},
)

export const AQIC_V7 = profile(
  {
    id: 'aqic-v7',
    label: 'AQIC series v7 (posted; v8 KVM part identical)',
    date: '2019-04-26',
    dateApprox: false,
    represents: 'posted v7: T-bit check, APXA mask 0xC0F0, cc 3 on errors, status shifted into bits 32–63',
    refName: 'aqic-v7',
    sources: [
      '"[PATCH v7 1/4] s390: ap: kvm: add PQAP interception for AQIC" (1556283688-556-2-git-send-email-pmorel@linux.ibm.com)',
      '"[PATCH v7 3/4] s390: ap: implement PAPQ AQIC interception in kernel" (1556283688-556-4-git-send-email-pmorel@linux.ibm.com)',
      `series 110677, commit 74b063764897; v8 series 113041 (${SERIES})`,
    ],
  },
  AQIC_V6,
  {
    checkOrder: 'IAFPRTX65K',
    fcNot3: 'warn+op',
    tBitApftCheck: true,
    apxaMask: 0xc0f0,
    noHookCc: 3,
    hookErrorCc: 3,
  },
  {
    queueLookup: 'assigned+bound',
    hostRcRewrite: null,
    hookPlacement: 'lo',
    disablePath: 'aqic-poll-tapq',
  },
)

export const LINUX_5_3 = profile(
  {
    id: 'linux-5.3',
    label: 'Linux 5.3',
    date: '2019-09-15',
    dateApprox: false,
    represents: 'v9 of the series as merged; facility 65 offered only with host AIV',
    refName: 'linux v5.3',
    sources: [
      'e5282de93105 "s390: ap: kvm: add PQAP interception for AQIC"',
      'ec89b55e3bce "s390: ap: implement PAPQ AQIC interception in kernel"',
      '05f31e3bf6b3 "s390: ap: kvm: Enable PQAP/AQIC facility for the guest" (pull s390-5.3-1)',
      '159491f3b509 "s390/ap: rework assembler functions to use unions for in/out register variables" (host ap_aqic reads zeros)',
    ],
  },
  AQIC_V7,
  { fac65Gating: 'host65+aiv' },
  {
    gisaDesignation: 'origin',
    pinErrorMapping: 'any',
    hostAqicStatus: 'zeros',
    disablePath: 'retry-loop',
    irqDisableAfterReset: true,
  },
)

export const LINUX_5_7 = profile(
  {
    id: 'linux-5.7',
    label: 'Linux 5.7',
    date: '2020-05-31',
    dateApprox: false,
    represents: 'false WARN_ON_ONCE for FC ≠ 3 removed',
    refName: 'linux v5.7',
    sources: [
      '5615e74f48dc "KVM: s390: Remove false WARN_ON_ONCE for the PQAP instruction" (pull kvm-s390-master-5.7-3)',
    ],
  },
  LINUX_5_3,
  { fcNot3: 'op' },
  {},
)

export const LINUX_5_11 = profile(
  {
    id: 'linux-5.11',
    label: 'Linux 5.11',
    date: '2021-02-14',
    dateApprox: false,
    represents: 'no IRQ disable after queue reset; hook cleared when the KVM pointer goes away',
    refName: 'linux v5.11',
    sources: [
      '"s390/vfio-ap: No need to disable IRQ after queue reset" (Fixes: ec89b55e3bce)',
      'f21916ec4826 "s390/vfio-ap: clean up vfio_ap resources when KVM pointer invalidated"',
    ],
  },
  LINUX_5_7,
  {},
  { irqDisableAfterReset: false },
)

export const LINUX_5_15 = profile(
  {
    id: 'linux-5.15',
    label: 'Linux 5.15',
    date: '2021-10-31',
    dateApprox: false,
    represents: 'hook pointer under pqap_hook_rwsem; no module reference',
    refName: 'linux v5.15',
    sources: [
      '1e753732bda6 "s390/vfio-ap: r/w lock for PQAP interception handler function pointer"',
      '86956e70761b "s390/vfio-ap: replace open coded locks for VFIO_GROUP_NOTIFY_SET_KVM notification"',
    ],
  },
  LINUX_5_11,
  { moduleRefcount: 'rwsem' },
  { mdevWithoutKvmRc01: true },
)

export const LINUX_6_0 = profile(
  {
    id: 'linux-6.0',
    label: 'Linux 6.0',
    date: '2022-10-02',
    dateApprox: true,
    represents: 'dynamic matrix (hot plug, guest_matrix); IOVA pinning; NIB memslot check; GISC failure → RC 0x08',
    refName: 'linux v6.0',
    sources: [
      'dynamic-configuration series (Tony Krowiak), e.g. 51dc562af09d, 09d31ff78793 (release inferred)',
      '"vfio/ap: Change saved_pfn to saved_iova" (Jul 2022)',
      '783f0a3ccd79 (s390dbf logging of AQIC errors, ~5.19)',
      'torvalds/linux @ 034921cdea1c4c491735c8eb344634c7b899d930 drivers/s390/crypto/vfio_ap_ops.c (~5.16–5.19 form)',
    ],
  },
  LINUX_5_15,
  {},
  {
    queueLookup: 'linked-hash',
    nibValidation: 'memslot',
    giscFailureRc: 0x08,
    dynamicMatrix: true,
    driverLock: 'matrix_dev->mdevs_lock',
    pinApi: 'iova',
  },
)

export const LINUX_6_3 = profile(
  {
    id: 'linux-6.3',
    label: 'Linux 6.3',
    date: '2023-04-23',
    dateApprox: false,
    represents: 'NIB 0 invalid; host ap_aqic() status fixed; reset fixes',
    refName: 'linux v6.3',
    sources: [
      'a64a6d23874c "s390: vfio-ap: tighten the NIB validity check"',
      '394740d7645e "s390/ap: fix status returned by ap_aqic()" (Fixes: 159491f3b509)',
      '"s390/vfio-ap: verify ZAPQ completion", "fix handling of error response codes", "always clean up IRQ resources"',
    ],
  },
  LINUX_6_0,
  {},
  { nibValidation: 'memslot+nonzero', hostAqicStatus: 'real' },
)

export const LINUX_6_8 = profile(
  {
    id: 'linux-6.8',
    label: 'Linux 6.8',
    date: '2024-03-10',
    dateApprox: true,
    represents: 'cc 0 on successful AQIC; GISC failure → RC 0x06 with unpin; Secure Execution NIB check',
    refName: 'linux v6.8',
    sources: [
      '83303a4c776c "KVM: s390: fix cc for successful PQAP" (Fixes: e5282de93105; pull kvm-s390-master-6.8-1)',
      '7b2d039da622, 3746d48c55ac, c44ce579240d ("[PATCH v4 0/3] a couple of corrections to the IRQ enablement function", Nov 2023)',
      '"s390/vfio-ap: make sure nib is shared" (Aug 2023)',
      'gregkh/linux @ 02e72909453dee2f8a09f78819f9a9cb902dfbdc drivers/s390/crypto/vfio_ap_ops.c (~6.7–6.9)',
      '"[PATCH 3/3] s390/vfio-ap: Wire in the vfio_device_ops request callback" (May 2023; in ~6.5, inferred from its review and QEMU 8.1)',
    ],
  },
  LINUX_6_3,
  { hookSuccessCc: 0 },
  {
    removeRequest: 'relay',
    nibValidation: 'memslot+nonzero+pvShared',
    giscFailureRc: 0x06,
    giscFailureUnpins: true,
    rc07GiscFirst: true,
  },
)

export const LINUX_LATEST = profile(
  {
    id: 'linux-latest',
    label: 'Linux (newest known)',
    date: 'current',
    dateApprox: true,
    represents: 'newest known behaviour; memslot helper kvm_is_gpa_in_memslot() (no functional change)',
    refName: 'linux latest',
    sources: [
      'Kingxukai/linux @ 9b44fff655e2c6f4cc53cb499dd2c038e99cb013 arch/s390/kvm/priv.c, drivers/s390/crypto/vfio_ap_ops.c',
      '"KVM: s390/vfio-ap: Use kvm_is_gpa_in_memslot()" (2025; merge status not confirmed)',
      'vfio_ap_mdev_request clears the guest masks and signals the configuration change (ap_config series, 2025)',
      'signal_guest_ap_cfg_changed: the configuration-change eventfd (VFIO_AP_CFG_CHG_IRQ_INDEX) on every guest APCB update (same series)',
    ],
  },
  LINUX_6_8,
  {},
  { removeRequest: 'relay+clear-masks', configChangeSignal: true },
)

export const KERNEL_PROFILES: readonly KernelProfile[] = Object.freeze([
  LINUX_5_2,
  AQIC_V3,
  AQIC_V4,
  AQIC_V5,
  AQIC_V5_ALT,
  AQIC_V6,
  AQIC_V7,
  LINUX_5_3,
  LINUX_5_7,
  LINUX_5_11,
  LINUX_5_15,
  LINUX_6_0,
  LINUX_6_3,
  LINUX_6_8,
  LINUX_LATEST,
])
