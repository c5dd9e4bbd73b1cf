// Built-in behaviour matrices. Outcomes are computed by the engine; only the row patterns of
// hand-made tables (the seed's) are written here, and every cell they cover is checked.
import type { DimValue, Dimension, Matrix } from './matrix'
import type { ProbeSpec } from './probe'

const AQIC = 'pqap aqic 05.0004 ir=1 isc=6 nib=0x2000'

function value(id: string, label: string, patch: Partial<ProbeSpec>): DimValue {
  return { id, label, apply: (s) => ({ ...s, ...patch }) }
}

const HOST_CPU = { model: 'host', features: {} }

export const SEED_2019_03: Matrix = {
  name: 'seed-2019-03',
  title: 'AQIC behaviour, March 2019 (v5 review thread)',
  description:
    'The table Pierre Morel wrote by hand on 15 Mar 2019 in reply to Cornelia Huck on "[PATCH v5 1/7] s390: ap: kvm: add PQAP interception for AQIC": the program exception a guest in supervisor state sees for PQAP(AQIC), by host Linux, vfio_ap and QEMU. OLD Linux is linux-5.2, NEW is the v5 series; OLD QEMU is 4.0, NEW is 4.1. The message\'s "aqic" is QEMU\'s apqi feature.',
  base: { kernel: 'aqic-v5', qemu: 'qemu-4.1', vfio: 'none', psw: 'supervisor', insn: AQIC },
  dimensions: [
    {
      id: 'linux',
      label: 'LINUX',
      values: [
        value('OLD', 'OLD (linux-5.2)', { kernel: 'linux-5.2' }),
        value('NEW', 'NEW (aqic-v5)', { kernel: 'aqic-v5' }),
      ],
    },
    {
      id: 'vfio_ap',
      label: 'VFIO_AP',
      values: [value('-', 'absent', { vfio: 'none' }), value('mdev', 'mdev attached', { vfio: 'mdev' })],
    },
    {
      id: 'qemu',
      label: 'QEMU',
      values: [
        value('OLD', 'OLD (qemu-4.0, -cpu host)', { qemu: 'qemu-4.0', cpu: HOST_CPU }),
        value('NEW/apqi=off', 'NEW (qemu-4.1, -cpu host,apqi=off)', {
          qemu: 'qemu-4.1',
          cpu: { model: 'host', features: { apqi: false } },
        }),
        value('NEW/apqi=on', 'NEW (qemu-4.1, -cpu host: apqi on wherever KVM offers facility 65)', {
          qemu: 'qemu-4.1',
          cpu: HOST_CPU,
        }),
      ],
    },
  ],
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
}

const LINUX_DIM: Dimension = {
  id: 'linux',
  label: 'Host Linux',
  values: [
    value('OLD', 'OLD ≤ 5.2 (linux-5.2)', { kernel: 'linux-5.2' }),
    value('NEW', 'NEW ≥ 5.3 (linux-5.3)', { kernel: 'linux-5.3' }),
  ],
}

export const AQIC_MERGED: Matrix = {
  name: 'aqic-merged',
  title: 'PQAP(AQIC) as merged (Linux ≥ 5.3), by configuration',
  description:
    'interception.md §8.1: the guest-visible result of PQAP(AQIC) by host Linux, vfio_ap state for this guest, QEMU variant and PSW state. Q0 is QEMU without AP support (qemu-3.0), Q-old is 3.1–4.0, Q-new is ≥ 4.1.',
  base: { kernel: 'linux-5.3', qemu: 'qemu-4.1', vfio: 'none', psw: 'supervisor', insn: AQIC, ccBefore: 0 },
  dimensions: [
    LINUX_DIM,
    {
      id: 'vfio_ap',
      label: 'vfio_ap for this guest',
      values: [
        value('absent', 'vfio_ap not loaded', { vfio: 'none' }),
        value('loaded', 'loaded, no mdev for this guest', { vfio: 'loaded' }),
        value('mdev', 'mdev attached (hook)', { vfio: 'mdev' }),
      ],
    },
    {
      id: 'qemu',
      label: 'QEMU',
      values: [
        value('Q0', 'qemu-3.0 (no AP support)', { qemu: 'qemu-3.0', cpu: HOST_CPU }),
        value('Q-old', 'qemu-4.0 -cpu host', { qemu: 'qemu-4.0', cpu: HOST_CPU }),
        value('Q-new/off', 'qemu-4.1 -cpu host,apqi=off', {
          qemu: 'qemu-4.1',
          cpu: { model: 'host', features: { apqi: false } },
        }),
        value('Q-new/on', 'qemu-4.1 -cpu host (apqi where offered)', { qemu: 'qemu-4.1', cpu: HOST_CPU }),
      ],
    },
    {
      id: 'psw',
      label: 'PSW',
      values: [
        value('supervisor', 'supervisor state', { psw: 'supervisor' }),
        value('problem', 'problem state', { psw: 'problem' }),
      ],
    },
  ],
  outcome: ['pgm', 'cc', 'rc', 'placement'],
  notes: [
    'The guest starts every probe with cc 0, so "cc 0" after a successful hook call before 6.8 means "left unchanged" (Q2).',
    'On linux-5.3 the hook passes through an all-zero host status (Q5).',
  ],
}

export const BUILTIN_MATRICES: readonly Matrix[] = [SEED_2019_03, AQIC_MERGED]

export function builtinMatrix(name: string): Matrix | undefined {
  return BUILTIN_MATRICES.find((m) => m.name === name)
}
