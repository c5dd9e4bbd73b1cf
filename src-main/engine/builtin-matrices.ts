// Built-in behaviour matrices, written as `aplab/matrix@1` documents. Outcomes are computed by
// the engine; only the row patterns of hand-made tables (the seed's) are written here, and every
// cell they cover is checked. The change-* matrices show, one each, the changes between
// consecutive profiles of the catalogue (interception.md §7) that a guest can see.
import { DIFF_PROBES } from './abi-diff'
import type { Matrix } from './matrix'
import { compileMatrixSpec, MATRIX_FORMAT, parseMatrixSpec, type MatrixSpec, type MatrixSpecInput } from './matrix-spec'

const AQIC = 'pqap aqic 05.0004 ir=1 isc=6 nib=0x2000'

/** Built-ins go through the same validation as files, so their embedded spec is canonical. */
function spec(input: MatrixSpecInput): MatrixSpec {
  return parseMatrixSpec(input)
}

export const SEED_2019_03_SPEC: MatrixSpec = spec({
  format: MATRIX_FORMAT,
  name: 'seed-2019-03',
  title: 'AQIC behaviour, March 2019 (v5 review thread)',
  description:
    'The table Pierre Morel wrote by hand on 15 Mar 2019 in reply to Cornelia Huck on "[PATCH v5 1/7] s390: ap: kvm: add PQAP interception for AQIC": the program exception a guest in supervisor state sees for PQAP(AQIC), by host Linux, vfio_ap and QEMU. OLD Linux is linux-5.2, NEW is the v5 series; OLD QEMU is 4.0, NEW is 4.1. The message\'s "aqic" is QEMU\'s apqi feature.',
  base: { kernel: 'aqic-v5', qemu: 'qemu-4.1', vfio: 'none', psw: 'supervisor' },
  dimensions: [
    {
      id: 'linux',
      label: 'LINUX',
      field: 'kernel',
      values: [
        { id: 'OLD', label: 'OLD (linux-5.2)', value: 'linux-5.2' },
        { id: 'NEW', label: 'NEW (aqic-v5)', value: 'aqic-v5' },
      ],
    },
    {
      id: 'vfio_ap',
      label: 'VFIO_AP',
      field: 'vfio',
      values: [
        { id: '-', label: 'absent', value: 'none' },
        { id: 'mdev', label: 'mdev attached', value: 'mdev' },
      ],
    },
    {
      id: 'qemu',
      label: 'QEMU',
      values: [
        { id: 'OLD', label: 'OLD (qemu-4.0, -cpu host)', set: { qemu: 'qemu-4.0', 'cpu.model': 'host' } },
        {
          id: 'NEW/apqi=off',
          label: 'NEW (qemu-4.1, -cpu host,apqi=off)',
          set: { qemu: 'qemu-4.1', 'cpu.model': 'host', 'cpu.apqi': 'off' },
        },
        {
          id: 'NEW/apqi=on',
          label: 'NEW (qemu-4.1, -cpu host: apqi on wherever KVM offers facility 65)',
          set: { qemu: 'qemu-4.1', 'cpu.model': 'host' },
        },
      ],
    },
  ],
  probes: [AQIC],
  outcome: ['pgm'],
  rows: [
    ['OLD', 'x', 'x'],
    ['NEW', '-', 'OLD'],
    ['NEW', '-', 'NEW/apqi=off'],
    ['NEW', 'x', 'NEW/apqi=on'],
  ],
  notes: [
    'x = whatever, - = absent/none; PGM "-" = no program exception',
    'NEW/apqi=on is -cpu host on QEMU 4.1: on OLD Linux KVM does not offer facility 65, so apqi stays off (an explicit apqi=on would stop QEMU from starting).',
  ],
})

export const AQIC_MERGED_SPEC: MatrixSpec = spec({
  format: MATRIX_FORMAT,
  name: 'aqic-merged',
  title: 'PQAP(AQIC) as merged (Linux ≥ 5.3), by configuration',
  description:
    'interception.md §8.1: the guest-visible result of PQAP(AQIC) by host Linux, vfio_ap state for this guest, QEMU variant and PSW state. Q0 is QEMU without AP support (qemu-3.0), Q-old is 3.1–4.0, Q-new is ≥ 4.1.',
  base: { kernel: 'linux-5.3', qemu: 'qemu-4.1', vfio: 'none', psw: 'supervisor', ccBefore: 0 },
  dimensions: [
    {
      id: 'linux',
      label: 'Host Linux',
      field: 'kernel',
      values: [
        { id: 'OLD', label: 'OLD ≤ 5.2 (linux-5.2)', value: 'linux-5.2' },
        { id: 'NEW', label: 'NEW ≥ 5.3 (linux-5.3)', value: 'linux-5.3' },
      ],
    },
    {
      id: 'vfio_ap',
      label: 'vfio_ap for this guest',
      field: 'vfio',
      values: [
        { id: 'absent', label: 'vfio_ap not loaded', value: 'none' },
        { id: 'loaded', label: 'loaded, no mdev for this guest', value: 'loaded' },
        { id: 'mdev', label: 'mdev attached (hook)', value: 'mdev' },
      ],
    },
    {
      id: 'qemu',
      label: 'QEMU',
      values: [
        { id: 'Q0', label: 'qemu-3.0 (no AP support)', set: { qemu: 'qemu-3.0', 'cpu.model': 'host' } },
        { id: 'Q-old', label: 'qemu-4.0 -cpu host', set: { qemu: 'qemu-4.0', 'cpu.model': 'host' } },
        {
          id: 'Q-new/off',
          label: 'qemu-4.1 -cpu host,apqi=off',
          set: { qemu: 'qemu-4.1', 'cpu.model': 'host', 'cpu.apqi': 'off' },
        },
        {
          id: 'Q-new/on',
          label: 'qemu-4.1 -cpu host (apqi where offered)',
          set: { qemu: 'qemu-4.1', 'cpu.model': 'host' },
        },
      ],
    },
    {
      id: 'psw',
      label: 'PSW',
      field: 'psw',
      values: [
        { id: 'supervisor', label: 'supervisor state', value: 'supervisor' },
        { id: 'problem', label: 'problem state', value: 'problem' },
      ],
    },
  ],
  probes: [AQIC],
  outcome: ['pgm', 'cc', 'rc', 'placement'],
  notes: [
    'The guest starts every probe with cc 0, so "cc 0" after a successful hook call before 6.8 means "left unchanged" (Q2).',
    'On linux-5.3 the hook passes through an all-zero host status (Q5).',
  ],
})

// ---------------------------------------------------------------------------------------------
// One matrix per guest-visible change between consecutive profiles (interception.md §7)

type DimInput = MatrixSpecInput['dimensions'][number]

function probe(id: string): {
  id: string
  label: string
  steps: string[]
  set?: Record<string, string | number | boolean | null>
} {
  const p = DIFF_PROBES.find((x) => x.id === id)
  if (!p) throw new Error(`no diff probe '${id}'`)
  return p.set
    ? { id: p.id, label: p.label, steps: [...p.steps], set: { ...p.set } }
    : { id: p.id, label: p.label, steps: [...p.steps] }
}

const VFIO3: DimInput = {
  id: 'vfio_ap',
  label: 'vfio_ap',
  field: 'vfio',
  values: [
    { id: 'absent', label: 'vfio_ap not loaded', value: 'none' },
    { id: 'loaded', label: 'loaded, no mdev for this guest', value: 'loaded' },
    { id: 'mdev', label: 'mdev attached', value: 'mdev' },
  ],
}
const VFIO2: DimInput = { ...VFIO3, values: [VFIO3.values[0]!, VFIO3.values[2]!] }
const PSW: DimInput = { id: 'psw', label: 'PSW', field: 'psw', values: [{ value: 'supervisor' }, { value: 'problem' }] }
const QEMU_VARIANTS: DimInput = {
  id: 'qemu',
  label: 'QEMU',
  values: [
    { id: 'Q-old', label: 'qemu-4.0 -cpu host', set: { qemu: 'qemu-4.0' } },
    { id: 'Q-new/off', label: 'qemu-4.1 -cpu host,apqi=off', set: { qemu: 'qemu-4.1', 'cpu.apqi': 'off' } },
    { id: 'Q-new', label: 'qemu-4.1 -cpu host (apqi where offered)', set: { qemu: 'qemu-4.1' } },
  ],
}
const QEMU_OLD_NEW: DimInput = { ...QEMU_VARIANTS, values: [QEMU_VARIANTS.values[0]!, QEMU_VARIANTS.values[2]!] }
const AIV: DimInput = { id: 'aiv', label: 'host AIV', field: 'aiv', values: [{ value: true }, { value: false }] }
const APXA: DimInput = { id: 'apxa', label: 'host APXA', field: 'apxa', values: [{ value: true }, { value: false }] }
const CC_BEFORE: DimInput = {
  id: 'cc',
  label: 'cc before',
  field: 'cc',
  values: [
    { id: 'cc0', label: 'cc 0 before PQAP', value: 0 },
    { id: 'cc2', label: 'cc 2 before PQAP', value: 2 },
  ],
}

const CC_NOTE =
  'Every probe starts with cc 1 unless a dimension says otherwise; no AQIC answer sets cc 1, so "cc 1" means the cc was left unchanged.'

function change(o: {
  name: string
  axis: 'kernel' | 'qemu'
  before: string
  after: string
  title: string
  description: string
  dimensions: DimInput[]
  probes: string[]
  base?: MatrixSpecInput['base']
  outcome?: MatrixSpecInput['outcome']
  notes?: string[]
}): MatrixSpec {
  return spec({
    format: MATRIX_FORMAT,
    name: o.name,
    title: o.title,
    description: `${o.description} The matrix compares ${o.before} with ${o.after}; its diff lists every cell that changed.`,
    base: {
      kernel: o.axis === 'kernel' ? o.after : 'linux-6.8',
      qemu: o.axis === 'qemu' ? o.after : 'qemu-4.1',
      vfio: 'mdev',
      ccBefore: 1,
      ...o.base,
    },
    dimensions: [
      {
        id: o.axis,
        label: o.axis === 'kernel' ? 'kernel' : 'QEMU',
        field: o.axis,
        values: [{ value: o.before }, { value: o.after }],
      },
      ...o.dimensions,
    ],
    probes: o.probes.map(probe),
    probeDimension: { id: 'probe', label: 'probe', position: 'last' },
    outcome: o.outcome ?? ['pgm', 'cc', 'rc', 'placement'],
    notes: [CC_NOTE, ...(o.notes ?? [])],
    diffAxis: o.axis,
  })
}

export const CHANGE_SPECS: readonly MatrixSpec[] = [
  change({
    name: 'change-aqic-v3',
    axis: 'kernel',
    before: 'linux-5.2',
    after: 'aqic-v3',
    title:
      'aqic-v3: KVM intercepts PQAP(AQIC) and calls the vfio_ap hook ("[PATCH v3 2/9] s390: ap: kvm: setting a hook for PQAP instructions", 561e48c66cb6)',
    description:
      'Posted v3 (2019-02-14) gives KVM a PQAP handler. The hook, a bare function pointer set when vfio_ap loads, is tested first: without it the instruction still goes to QEMU (OPERATION); with it problem state gets PRIVILEGED-OPERATION, a guest without facility 65 SPECIFICATION, and otherwise vfio_ap answers with the status in GR1 bits 0–31 (an untied queue: RC 0x03).',
    dimensions: [VFIO3, QEMU_OLD_NEW, PSW],
    probes: ['aqic-enable'],
  }),
  change({
    name: 'change-aqic-v4',
    axis: 'kernel',
    before: 'aqic-v3',
    after: 'aqic-v4',
    title:
      'aqic-v4: no hook → RC 0x01 in GR1 bits 0–31 instead of OPERATION ("[PATCH v4 1/7] s390: ap: kvm: add PQAP interception for AQIC", 3d63ac6c97ef)',
    description:
      'Posted v4 (2019-02-22) checks privilege and facility 65 before the hook, and answers a guest with facility 65 but no hook itself: RC 0x01 copied into the first 4 bytes of GR1 (quirk Q1), no cc. A hook called without an mdev returns -EOPNOTSUPP (OPERATION).',
    dimensions: [VFIO3, QEMU_OLD_NEW, PSW],
    probes: ['aqic-enable'],
  }),
  change({
    name: 'change-aqic-v5',
    axis: 'kernel',
    before: 'aqic-v4',
    after: 'aqic-v5',
    title:
      'aqic-v5: the hook exists only while an mdev is open, behind try_module_get ("[PATCH v5 1/7]", 7f6289d56f90)',
    description:
      'Posted v5 (2019-03-13), the version the seed thread reviewed: the hook becomes struct kvm_s390_module_hook and is registered per VM while an mdev is open, so "vfio_ap loaded, no mdev" now gets the no-hook answer RC 0x01; a failing try_module_get drops to user space (OPERATION).',
    dimensions: [
      VFIO3,
      {
        id: 'module',
        label: 'try_module_get',
        field: 'faults.moduleGetFails',
        values: [
          { id: 'ok', value: false },
          { id: 'fails', value: true },
        ],
      },
    ],
    probes: ['aqic-enable'],
  }),
  change({
    name: 'change-aqic-v5-alt',
    axis: 'kernel',
    before: 'aqic-v5',
    after: 'aqic-v5-alt',
    title:
      "aqic-v5-alt: the review's alternative, no hook → OPERATION from user space (Halil Pasic, reply to v5 1/7, 19 Mar 2019)",
    description:
      'The alternative argued in the v5 review keeps user space in charge while no driver has registered: a guest with facility 65 and no mdev gets OPERATION from QEMU instead of RC 0x01. Never posted as code.',
    dimensions: [VFIO3, QEMU_VARIANTS],
    probes: ['aqic-enable'],
  }),
  change({
    name: 'change-aqic-v6',
    axis: 'kernel',
    before: 'aqic-v5',
    after: 'aqic-v6',
    title:
      'aqic-v6: reserved GR0 bits and APQN range checked, with the wrong APXA mask 0x30F0 ("[PATCH v6 1/7]", 86415b05ce96)',
    description:
      'Posted v6 (2019-03-22) gives SPECIFICATION for GR0 bits 41–47 and, without format-2 CRYCB, for GR0 & 0x30F0 ≠ 0: APIDs 16–63 (valid) are wrongly refused and APID 64 is not caught (quirk Q7). An FC other than AQIC logs pr_warn (host only).',
    dimensions: [APXA, VFIO2],
    probes: ['aqic-enable', 'aqic-reserved', 'aqic-apid-32', 'aqic-apid-64', 'aqic-apqi-16'],
  }),
  change({
    name: 'change-aqic-v7',
    axis: 'kernel',
    before: 'aqic-v6',
    after: 'aqic-v7',
    title:
      'aqic-v7: T-bit check, APXA mask 0xC0F0, cc 3 on errors, status in GR1 bits 32–63 ("[PATCH v7 1/4]", 74b063764897)',
    description:
      'Posted v7 (2019-04-26) adds the T-bit check without facility 15, fixes the APXA mask, sets cc 3 for the no-hook answer and for hook answers with RC ≠ 0, and the hook now shifts its status into GR1 bits 32–63.',
    dimensions: [
      APXA,
      {
        id: 'apft',
        label: 'apft (facility 15)',
        field: 'cpu.apft',
        values: [
          { id: 'default', value: 'default' },
          { id: 'off', value: 'off' },
        ],
      },
      VFIO2,
    ],
    probes: ['aqic-enable', 'aqic-t-bit', 'aqic-apid-32', 'aqic-apid-64', 'aqic-enabled-again'],
  }),
  change({
    name: 'change-linux-5.3',
    axis: 'kernel',
    before: 'linux-5.2',
    after: 'linux-5.3',
    title:
      'linux-5.3: PQAP(AQIC) intercepted by KVM — OPERATION becomes SPECIFICATION without facility 65 (e5282de93105, ec89b55e3bce, 05f31e3bf6b3)',
    description:
      "The seed thread's ABI question, released: a guest without facility 65 (old QEMU, or apqi=off) that issues AQIC got OPERATION from QEMU and now gets SPECIFICATION from KVM; problem state gets PRIVILEGED-OPERATION; with facility 65 (host AIV) but no mdev the guest gets RC 0x01 in GR1 bits 0–31 with cc 3.",
    dimensions: [VFIO3, QEMU_VARIANTS, PSW, AIV],
    probes: ['aqic-enable'],
  }),
  change({
    name: 'change-linux-5.3-v9',
    axis: 'kernel',
    before: 'aqic-v7',
    after: 'linux-5.3',
    title:
      'linux-5.3 vs posted v7: facility 65 needs host AIV; the host AQIC status reads as zeros (05f31e3bf6b3; 159491f3b509, quirk Q5)',
    description:
      'v9 as merged offers facility 65 only with host AIV, maps every pin failure to RC 0x06, and its host ap_aqic() returns the wrong half of GR1, so every AQIC that reaches the host answers RC 0 with the cc unchanged.',
    dimensions: [AIV, VFIO2],
    probes: ['aqic-enable', 'aqic-enabled-again', 'aqic-checkstopped', 'aqic-pin-efault'],
  }),
  change({
    name: 'change-linux-5.15',
    axis: 'kernel',
    before: 'linux-5.11',
    after: 'linux-5.15',
    title: 'linux-5.15: the hook pointer under pqap_hook_rwsem, no try_module_get → OPERATION (1e753732bda6)',
    description:
      '"s390/vfio-ap: r/w lock for PQAP interception handler function pointer": KVM takes a read lock instead of a module reference, so a module going away no longer turns AQIC into OPERATION.',
    dimensions: [
      {
        id: 'module',
        label: 'try_module_get',
        field: 'faults.moduleGetFails',
        values: [
          { id: 'ok', value: false },
          { id: 'fails', value: true },
        ],
      },
      PSW,
    ],
    probes: ['aqic-enable'],
  }),
  change({
    name: 'change-linux-6.0',
    axis: 'kernel',
    before: 'linux-5.15',
    after: 'linux-6.0',
    title:
      'linux-6.0: GISC registration failure → RC 0x08; NIB checked against the memslots (dynamic-configuration series, 783f0a3ccd79)',
    description:
      "vfio_ap now checks kvm_s390_gisc_register and answers RC 0x08 when it fails, and validates the NIB against KVM's memslots before pinning it (the guest sees RC 0x06 either way: same answer, new rule).",
    dimensions: [
      {
        id: 'gisc',
        label: 'GISC registration',
        field: 'faults.giscRegisterFails',
        values: [
          { id: 'ok', value: false },
          { id: 'fails', value: true },
        ],
      },
    ],
    probes: ['aqic-enable', 'aqic-nib-outside'],
  }),
  change({
    name: 'change-linux-6.3',
    axis: 'kernel',
    before: 'linux-6.0',
    after: 'linux-6.3',
    title: 'linux-6.3: NIB 0 → RC 0x06; the real host AQIC status reaches the guest (a64a6d23874c, 394740d7645e)',
    description:
      '"s390: vfio-ap: tighten the NIB validity check" refuses NIB 0, and "s390/ap: fix status returned by ap_aqic()" ends quirk Q5: RC 0x07 for enable-while-enabled, the card state, and the E/I flags now reach the guest.',
    dimensions: [],
    probes: [
      'aqic-enable',
      'aqic-nib-0',
      'aqic-enabled-again',
      'aqic-disable',
      'aqic-disable-enabled',
      'aqic-checkstopped',
    ],
    outcome: ['pgm', 'cc', 'rc', 'status', 'placement'],
  }),
  change({
    name: 'change-linux-6.8',
    axis: 'kernel',
    before: 'linux-6.3',
    after: 'linux-6.8',
    title:
      'linux-6.8: cc 0 after a successful AQIC; GISC failure → RC 0x06 (83303a4c776c "KVM: s390: fix cc for successful PQAP", 3746d48c55ac)',
    description:
      'Before 6.8 KVM left the cc unchanged after a successful hook call (quirk Q2), so a guest could not tell whether GR1 was meaningful; 6.8 sets cc 0. A GISC registration failure now unpins the NIB and answers RC 0x06 instead of 0x08.',
    dimensions: [CC_BEFORE],
    probes: ['aqic-enable', 'aqic-disable', 'aqic-gisc-fail', 'aqic-unassigned'],
  }),
  change({
    name: 'change-qemu-3.1',
    axis: 'qemu',
    before: 'qemu-3.0',
    after: 'qemu-3.1',
    title: 'qemu-3.1: the ap CPU feature sets ECA_APIE; the machine interprets AP instructions, only AQIC intercepts',
    description:
      'QEMU 3.1 adds the ap, apqci and apft features and the vfio-ap device: the firmware now interprets TAPQ and the other functions (before: OPERATION from QEMU), and AQIC reaches KVM.',
    base: { vfio: 'none' },
    dimensions: [
      { id: 'kernel', label: 'kernel', field: 'kernel', values: [{ value: 'linux-5.2' }, { value: 'linux-5.3' }] },
      PSW,
    ],
    probes: ['tapq', 'aqic-enable'],
  }),
  change({
    name: 'change-qemu-4.1',
    axis: 'qemu',
    before: 'qemu-4.0',
    after: 'qemu-4.1',
    title:
      'qemu-4.1: the apqi feature (facility 65) — -cpu host offers AQIC where KVM does ("s390x/cpumodel: Set up CPU model for AQIC interception")',
    description:
      "With QEMU 4.1, -cpu host turns apqi on when the kernel offers facility 65 (Linux ≥ 5.3 with host AIV): AQIC is answered (RC 0x01 without an mdev, the hook's status with one) instead of SPECIFICATION.",
    dimensions: [
      {
        id: 'kernel',
        label: 'kernel',
        field: 'kernel',
        values: [{ value: 'linux-5.2' }, { value: 'linux-5.3' }, { value: 'linux-6.8' }],
      },
      VFIO2,
      AIV,
    ],
    probes: ['aqic-enable'],
  }),
]

export const SEED_2019_03: Matrix = compileMatrixSpec(SEED_2019_03_SPEC)
export const AQIC_MERGED: Matrix = compileMatrixSpec(AQIC_MERGED_SPEC)

export const BUILTIN_SPECS: readonly MatrixSpec[] = [SEED_2019_03_SPEC, AQIC_MERGED_SPEC, ...CHANGE_SPECS]

export const BUILTIN_MATRICES: readonly Matrix[] = [
  SEED_2019_03,
  AQIC_MERGED,
  ...CHANGE_SPECS.map((s) => compileMatrixSpec(s)),
]

export function builtinMatrix(name: string): Matrix | undefined {
  return BUILTIN_MATRICES.find((m) => m.name === name)
}

export function builtinSpec(name: string): MatrixSpec | undefined {
  return BUILTIN_SPECS.find((m) => m.name === name)
}
