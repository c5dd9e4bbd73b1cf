import type { ApFeature, QemuProfile } from './types'

type QemuRow = Omit<QemuProfile, 'kind'>

function qemu(row: QemuRow): QemuProfile {
  return Object.freeze({ kind: 'qemu', ...row, features: Object.freeze([...row.features]) }) as QemuProfile
}

const AP_31: readonly ApFeature[] = ['ap', 'apqci', 'apft']
const AP_41: readonly ApFeature[] = [...AP_31, 'apqi']
const AP_82: readonly ApFeature[] = [...AP_41, 'appv', 'appvi']

const KVM_C =
  'qemu/qemu target/s390x/kvm/kvm.c @ 06b8b50b057a08ed3680599866b69240dc006034 (handle_b2: no case 0xad/0xae/0xaf)'

export const QEMU_3_0 = qemu({
  id: 'qemu-3.0',
  label: 'QEMU 3.0',
  date: '2018-08-14',
  dateApprox: true,
  represents: 'no AP support: no ap/apqci/apft features, no vfio-ap device; ECA_APIE never set',
  refName: 'qemu v3.0',
  sources: [KVM_C],
  features: [],
  vfioApDevice: false,
  hotplug: false,
  requestIrq: false,
  configChangeNotification: false,
  iommufd: false,
})

export const QEMU_3_1 = qemu({
  id: 'qemu-3.1',
  label: 'QEMU 3.1',
  date: '2018-12-11',
  dateApprox: true,
  represents: 'features ap, apqci, apft; KVM_S390_VM_CRYPTO_ENABLE_APIE; vfio-ap device (sysfsdev)',
  refName: 'qemu v3.1',
  sources: [
    '"[PATCH 2/6] s390x/cpumodel: Set up CPU model for AP device support" (Tony Krowiak, qemu-devel, 2018-10-10)',
    '"[PATCH 3/6] s390x/kvm: enable AP instruction interpretation for guest" (2018-10-10)',
    KVM_C,
  ],
  features: AP_31,
  vfioApDevice: true,
  hotplug: false,
  requestIrq: false,
  configChangeNotification: false,
  iommufd: false,
})

export const QEMU_4_0 = qemu({
  ...QEMU_3_1,
  id: 'qemu-4.0',
  label: 'QEMU 4.0',
  date: '2019-04-23',
  represents: 'hot plug and unplug of vfio-ap (device_add / device_del)',
  refName: 'qemu v4.0',
  sources: ['"s390x changes in QEMU 4.0" (people.redhat.com/~cohuck, 2019-03-12)', KVM_C],
  hotplug: true,
})

export const QEMU_4_1 = qemu({
  ...QEMU_4_0,
  id: 'qemu-4.1',
  label: 'QEMU 4.1',
  date: '2019-08-15',
  represents: 'feature apqi (STFLE 65); -cpu host offers it when KVM does',
  refName: 'qemu v4.1',
  sources: [
    '"[Qemu-devel] [PATCH] s390x/cpumodel: Set up CPU model for AQIC interception" (Pierre Morel, 2019-07-05)',
    '"s390x changes in QEMU 4.1" (virtualpenguins.blogspot.com, 2019-07-10)',
    'qemu/qemu target/s390x/cpu_features_def.h.inc @ 1029cd5b9827ba6aa7f5e02eed1928a928e2fa5e',
    KVM_C,
  ],
  features: AP_41,
})

export const QEMU_8_1 = qemu({
  ...QEMU_4_1,
  id: 'qemu-8.1',
  label: 'QEMU 8.1',
  date: '2023-08-22',
  represents: 'vfio-ap request IRQ: the device is unplugged when the host asks for it back',
  refName: 'qemu v8.1',
  sources: ['"[PULL 09/11] s390x/ap: Wire up the device request notifier interface" (2023-07-10)', KVM_C],
  requestIrq: true,
})

export const QEMU_8_2 = qemu({
  ...QEMU_8_1,
  id: 'qemu-8.2',
  label: 'QEMU 8.2',
  date: '2023-12-19',
  represents: 'appv / appvi for Secure Execution guests (release inferred)',
  refName: 'qemu v8.2',
  sources: ['"[PATCH v3 5/5] target/s390x: AP-passthrough for PV guests" (2023-08-18)', KVM_C],
  features: AP_82,
})

export const QEMU_10_1 = qemu({
  ...QEMU_8_2,
  id: 'qemu-10.1',
  label: 'QEMU 10.1',
  date: '2025-08-26',
  represents: 'AP configuration-change notification (CRW + CHSC SEI NT0); iommufd since 9.0',
  refName: 'qemu v10.1',
  sources: ['AP config-change series by Rorie Reyes (v13, 2025-06-09)', 'hw/vfio/ap.c (iommufd property, 9.0)', KVM_C],
  configChangeNotification: true,
  iommufd: true,
})

export const QEMU_PROFILES: readonly QemuProfile[] = Object.freeze([
  QEMU_3_0,
  QEMU_3_1,
  QEMU_4_0,
  QEMU_4_1,
  QEMU_8_1,
  QEMU_8_2,
  QEMU_10_1,
])
