// interception.md §8.1 and §8.3, row by row: the guest-visible result of PQAP(AQIC).
import { describe, expect, it } from 'vitest'
import type { ProbeSpec, VfioState } from '../../src-main/engine/probe'
import type { ApFeature } from '../../src-main/engine/profiles/types'
import type { StepResult } from '../../src-main/engine/results'
import {
  AQIC,
  AQIC_DISABLE,
  NEW,
  SAME,
  WITH_HANDLER,
  ZEROS,
  between,
  expectOutcome,
  hex64,
  loWord,
  machine,
  probe,
  probeStep,
  regOut,
  statusFields,
  traceRules,
} from './machine-helper'

const OLD = ['linux-5.2']

interface QemuVariant {
  id: string
  qemu: string
  features: Partial<Record<ApFeature, boolean>>
}
/** §8.1 QEMU variants, each with every QEMU profile it covers. */
const Q0: QemuVariant[] = [
  { id: 'Q0 qemu-3.0', qemu: 'qemu-3.0', features: {} },
  { id: 'Q0 qemu-4.1 ap=off', qemu: 'qemu-4.1', features: { ap: false } },
  { id: 'Q0 qemu-10.1 ap=off', qemu: 'qemu-10.1', features: { ap: false } },
]
const Q_OLD: QemuVariant[] = [
  { id: 'Q-old qemu-3.1', qemu: 'qemu-3.1', features: {} },
  { id: 'Q-old qemu-4.0', qemu: 'qemu-4.0', features: {} },
]
const NEW_QEMUS = ['qemu-4.1', 'qemu-8.1', 'qemu-8.2', 'qemu-10.1']
const Q_NEW_OFF: QemuVariant[] = NEW_QEMUS.map((q) => ({ id: `Q-new/off ${q}`, qemu: q, features: { apqi: false } }))
const Q_NEW_ON: QemuVariant[] = NEW_QEMUS.map((q) => ({ id: `Q-new/on ${q}`, qemu: q, features: {} }))

function spec(
  kernel: string,
  v: QemuVariant,
  vfio: VfioState,
  psw: 'supervisor' | 'problem',
  extra: Partial<ProbeSpec> = {},
): ProbeSpec {
  return {
    kernel,
    qemu: v.qemu,
    cpu: { model: 'host', features: v.features },
    vfio,
    psw,
    insn: AQIC,
    ccBefore: 2,
    ...extra,
  }
}

function grid(
  kernels: string[],
  variants: QemuVariant[],
  vfios: VfioState[],
): [string, string, VfioState, QemuVariant][] {
  return kernels.flatMap((k) =>
    variants.flatMap((v) => vfios.map((f) => [k, v.id, f, v] as [string, string, VfioState, QemuVariant])),
  )
}

describe('§8.1 as merged, by configuration', () => {
  // Row 1. With Q0 the vfio-ap device cannot be attached (no device or no ap-bus), so "any" is absent or loaded.
  it.each(grid([...OLD, ...NEW], Q0, ['none', 'loaded']))(
    'any Linux (%s), %s, vfio_ap %s: OPERATION (QEMU) in both PSW states',
    (kernel, _id, vfio, v) => {
      for (const psw of ['supervisor', 'problem'] as const) {
        const s = probeStep(spec(kernel, v, vfio, psw))
        expectOutcome(s, { kind: 'OP' })
        expect(traceRules(s.trace)).toContain('fw.apie-off.intercept')
      }
    },
  )

  // Row 2.
  it.each(grid(OLD, [...Q_OLD, ...Q_NEW_OFF], ['none', 'loaded', 'mdev']))(
    'OLD (%s), %s, vfio_ap %s: OPERATION in both PSW states',
    (kernel, _id, vfio, v) => {
      for (const psw of ['supervisor', 'problem'] as const)
        expectOutcome(probeStep(spec(kernel, v, vfio, psw)), { kind: 'OP', by: 'kvm.b2.no-pqap-case' })
    },
  )

  // Row 3.
  it.each(grid(OLD, Q_NEW_ON, ['none', 'loaded', 'mdev']))(
    'OLD (%s), %s, vfio_ap %s: apqi=on refused; -cpu host leaves it off → the row above',
    (kernel, _id, vfio, v) => {
      const refused = probe({
        ...spec(kernel, v, vfio, 'supervisor'),
        cpu: { model: 'host', features: { apqi: true } },
      })
      expect(refused.started).toBe(false)
      expect(refused.startError).toMatch(/not available in the configuration: apqi/)
      for (const psw of ['supervisor', 'problem'] as const)
        expectOutcome(probeStep(spec(kernel, v, vfio, psw)), { kind: 'OP', by: 'kvm.b2.no-pqap-case' })
    },
  )

  // Row 4.
  it.each(grid(NEW, [...Q_OLD, ...Q_NEW_OFF], ['none', 'loaded', 'mdev']))(
    'NEW (%s), %s, vfio_ap %s: SPECIFICATION (KVM) / PRIVILEGED-OPERATION',
    (kernel, _id, vfio, v) => {
      expectOutcome(probeStep(spec(kernel, v, vfio, 'supervisor')), { kind: 'SPEC', by: 'kvm.pqap.fac65-missing' })
      expectOutcome(probeStep(spec(kernel, v, vfio, 'problem')), { kind: 'PRIV', by: 'kvm.pqap.problem-state' })
    },
  )

  it.each(grid(NEW, [Q_OLD[1]!, Q_NEW_OFF[0]!], ['none', 'mdev']))(
    'NEW (%s), %s, vfio_ap %s: reserved-bit, T-bit and APXA violations are SPECIFICATION too, checked first',
    (kernel, _id, vfio, v) => {
      const reserved = probeStep(spec(kernel, v, vfio, 'supervisor', { regs: { 0: { hi: 0, lo: 0x03400504 } } }))
      expectOutcome(reserved, { kind: 'SPEC', by: 'kvm.pqap.reserved-bits' })
      const tbit = probeStep({
        ...spec(kernel, v, vfio, 'supervisor', { regs: { 0: { hi: 0, lo: 0x03800504 } } }),
        cpu: { model: 'host', features: { ...v.features, apft: false } },
      })
      expectOutcome(tbit, { kind: 'SPEC', by: 'kvm.pqap.t-bit-without-apft' })
      const apxa = probeStep(
        spec(kernel, v, vfio, 'supervisor', { host: { apxa: false }, regs: { 0: { hi: 0, lo: 0x03000510 } } }),
      )
      expectOutcome(apxa, { kind: 'SPEC', by: 'kvm.pqap.apqn-range' })
    },
  )

  // Row 5.
  it.each(grid(NEW, Q_NEW_ON, ['none', 'loaded']))(
    'NEW (%s), %s, vfio_ap %s: no exception, cc 3, RC 0x01 in GR1 bits 0–31 (Q1) / PRIV',
    (kernel, _id, vfio, v) => {
      const s = probeStep(spec(kernel, v, vfio, 'supervisor'))
      expectOutcome(s, { kind: 'ANS', rc: 0x01, cc: 3, place: 'hi', by: 'kvm.pqap.no-hook-rc01' })
      expect(hex64(regOut(s, 1))).toBe('0x0001000000000006')
      expectOutcome(probeStep(spec(kernel, v, vfio, 'problem')), { kind: 'PRIV', by: 'kvm.pqap.problem-state' })
    },
  )

  // Row 6.
  describe.each(grid(NEW, Q_NEW_ON, ['mdev']))('NEW (%s), %s, vfio_ap %s (hook)', (kernel, _id, vfio, v) => {
    const zeros = ZEROS.includes(kernel)
    const s = (extra: Partial<ProbeSpec> = {}, psw: 'supervisor' | 'problem' = 'supervisor') =>
      probeStep(spec(kernel, v, vfio, psw, extra))

    it('APQN not assigned/bound → RC 0x01, cc 3', () => {
      expectOutcome(s({ queue: { assigned: false } }), { kind: 'ANS', rc: 0x01, cc: 3, place: 'lo' })
    })

    it('enable with a bad NIB or a pin failure → RC 0x06, cc 3', () => {
      expectOutcome(s({ insn: 'pqap aqic 05.0004 ir=1 isc=6 nib=0x8000000' }), {
        kind: 'ANS',
        rc: 0x06,
        cc: 3,
        place: 'lo',
      })
      expectOutcome(s({ faults: { pinErrno: 'EINVAL' } }), { kind: 'ANS', rc: 0x06, cc: 3, place: 'lo' })
    })

    it(`host AQIC RC 0 → cc ${kernel === 'linux-6.8' || kernel === 'linux-latest' ? '0' : 'unchanged'}${zeros ? '; all-zero status (Q5)' : ''}`, () => {
      const r = s()
      const cc = kernel === 'linux-6.8' || kernel === 'linux-latest' ? 0 : SAME
      expectOutcome(r, { kind: 'ANS', rc: 0x00, cc, place: 'lo' }, 2)
      if (zeros) expect(regOut(r, 1)).toBe(0n)
      else expect(statusFields(loWord(regOut(r, 1)))).toMatchObject({ rc: 0, I: 1 })
    })

    it(
      zeros
        ? 'host AQIC RC ≠ 0 is not seen: all-zero status, cc unchanged (Q5)'
        : 'host AQIC RC ≠ 0 → passed through with cc 3',
      () => {
        const r = s({ queue: { irqEnabled: true } })
        if (zeros) {
          expect(regOut(r, 1)).toBe(0n)
          expect(r.cc).toBe(2)
        } else expectOutcome(r, { kind: 'ANS', rc: 0x07, cc: 3, place: 'lo' })
      },
    )

    it('disable: host AQIC with IR = 0, then the NIB and GISC are released', () => {
      const m = machine({ kernel, qemu: v.qemu })
      m.run(AQIC)
      const r = m.run(AQIC_DISABLE)
      expect(r.pgm).toBe(0)
      expect(traceRules(r.trace)).toContain('fw.aqic.disable')
      expect(m.host.pinnedPages).toBe(0)
      expect(m.vm.gisa!.iamRefs[6]).toBe(0)
    })

    it('problem state → PRIVILEGED-OPERATION', () => {
      expectOutcome(s({}, 'problem'), { kind: 'PRIV', by: 'kvm.pqap.problem-state' })
    })
  })

  // Row 7.
  it.each(grid(NEW, Q_NEW_ON, ['mdev']))(
    'NEW (%s), %s, vfio_ap %s, vCPU without ECA_AIV (Q11): OPERATION / PRIV',
    (kernel, _id, vfio, v) => {
      expectOutcome(probeStep(spec(kernel, v, vfio, 'supervisor', { gisa: false })), {
        kind: 'OP',
        by: 'vfio_ap.hook.no-aiv-fac65',
      })
      expectOutcome(probeStep(spec(kernel, v, vfio, 'problem', { gisa: false })), {
        kind: 'PRIV',
        by: 'kvm.pqap.problem-state',
      })
    },
  )
})

describe('§8.3 per-profile differences for the NEW rows', () => {
  type Ans = { place: 'hi' | 'lo'; cc: number }
  // profile, facility 65 absent, no hook with facility 65, hook RC 0, hook RC ≠ 0 (host RC 0x07)
  type Row = [string, 'SPEC' | 'SPEC-if-hook', 'OP' | Ans, Ans & { zeros?: true }, Ans & { ownRcsOnly?: true }]
  const hi = (cc: number): Ans => ({ place: 'hi', cc })
  const lo = (cc: number): Ans => ({ place: 'lo', cc })
  const rows: Row[] = [
    ['aqic-v3', 'SPEC-if-hook', 'OP', hi(SAME), hi(SAME)],
    ['aqic-v4', 'SPEC', hi(SAME), hi(SAME), hi(SAME)],
    ['aqic-v5', 'SPEC', hi(SAME), hi(SAME), hi(SAME)],
    ['aqic-v5-alt', 'SPEC', 'OP', hi(SAME), hi(SAME)],
    ['aqic-v6', 'SPEC', hi(SAME), hi(SAME), hi(SAME)],
    ['aqic-v7', 'SPEC', hi(3), lo(SAME), lo(3)],
    ...between('linux-5.3', 'linux-6.0').map((k): Row => [
      k,
      'SPEC',
      hi(3),
      { ...lo(SAME), zeros: true },
      { ...lo(3), ownRcsOnly: true },
    ]),
    ['linux-6.3', 'SPEC', hi(3), lo(SAME), lo(3)],
    ['linux-6.8', 'SPEC', hi(3), lo(0), lo(3)],
    ['linux-latest', 'SPEC', hi(3), lo(0), lo(3)],
  ]

  it('covers every profile with a handler', () => {
    expect(rows.map((r) => r[0])).toEqual(WITH_HANDLER)
  })

  const base = (kernel: string, extra: Partial<ProbeSpec> = {}): ProbeSpec => ({
    kernel,
    qemu: 'qemu-4.1',
    vfio: 'mdev',
    insn: AQIC,
    ccBefore: 2,
    ...extra,
  })
  const rcAt = (s: StepResult, place: 'hi' | 'lo') => Number((regOut(s, 1) >> (place === 'hi' ? 48n : 16n)) & 0xffn)

  it.each(rows)('%s: facility 65 absent → %s', (kernel, fac65Absent) => {
    const noApqi = { cpu: { model: 'host', features: { apqi: false } } }
    expectOutcome(probeStep(base(kernel, noApqi)), { kind: 'SPEC', by: 'kvm.pqap.fac65-missing' })
    const noHook = probeStep(base(kernel, { ...noApqi, vfio: 'none' }))
    if (fac65Absent === 'SPEC-if-hook') expectOutcome(noHook, { kind: 'OP', by: 'kvm.pqap.hook-missing-first' })
    else expectOutcome(noHook, { kind: 'SPEC', by: 'kvm.pqap.fac65-missing' })
  })

  it.each(rows)('%s: no hook, facility 65 present → %j', (kernel, _a, noHook) => {
    const s = probeStep(base(kernel, { vfio: 'none' }))
    if (noHook === 'OP') expectOutcome(s, { kind: 'OP' })
    else expectOutcome(s, { kind: 'ANS', rc: 0x01, cc: noHook.cc, place: noHook.place, by: 'kvm.pqap.no-hook-rc01' }, 2)
  })

  it.each(rows)('%s: hook, RC 0 → %j', (kernel, _a, _b, ok) => {
    const s = probeStep(base(kernel))
    expect(s.pgm).toBeNull()
    expect(s.statusPlacement).toBe(ok.place)
    expect(s.cc).toBe(ok.cc === SAME ? 2 : ok.cc)
    const word = ok.place === 'hi' ? Number(regOut(s, 1) >> 32n) : loWord(regOut(s, 1))
    if (ok.zeros) expect(regOut(s, 1)).toBe(0n)
    else expect(statusFields(word)).toMatchObject({ rc: 0, E: 1, I: 1 })
  })

  it.each(rows)('%s: hook, RC ≠ 0 → %j', (kernel, _a, _b, _c, err) => {
    const cc = err.cc === SAME ? 2 : err.cc
    // vfio_ap's own RC (APQN not assigned)
    const own = probeStep(base(kernel, { queue: { assigned: false } }))
    expect(own.statusPlacement).toBe(err.place)
    expect(rcAt(own, err.place)).toBe(kernel === 'aqic-v3' ? 0x03 : 0x01)
    expect(own.cc).toBe(cc)
    // a host RC (enable while enabled)
    const host = probeStep(base(kernel, { queue: { irqEnabled: true } }))
    if (err.ownRcsOnly) {
      expect(regOut(host, 1)).toBe(0n)
      expect(host.cc).toBe(2)
    } else {
      expect(rcAt(host, err.place)).toBe(0x07)
      expect(host.cc).toBe(cc)
    }
  })

  it.each(between('linux-5.3', 'linux-6.0'))(
    '%s: vfio_ap’s own RC 0x06 and 0x08 reach the guest with cc 3',
    (kernel) => {
      expectOutcome(probeStep(base(kernel, { insn: 'pqap aqic 05.0004 ir=1 isc=6 nib=0x8000000' })), {
        kind: 'ANS',
        rc: 0x06,
        cc: 3,
        place: 'lo',
      })
      if (kernel === 'linux-6.0')
        expectOutcome(probeStep(base(kernel, { faults: { giscRegisterFails: true } })), {
          kind: 'ANS',
          rc: 0x08,
          cc: 3,
          place: 'lo',
        })
    },
  )

  it.each(rows)('%s: a problem-state guest gets PRIV in every column (OP for aqic-v3 without a hook)', (kernel) => {
    const variants: Partial<ProbeSpec>[] = [
      { cpu: { model: 'host', features: { apqi: false } } },
      { vfio: 'none' },
      {},
      { queue: { assigned: false } },
    ]
    for (const extra of variants) {
      const s = probeStep(base(kernel, { ...extra, psw: 'problem' }))
      if (kernel === 'aqic-v3' && extra.vfio === 'none')
        expectOutcome(s, { kind: 'OP', by: 'kvm.pqap.hook-missing-first' })
      else expectOutcome(s, { kind: 'PRIV', by: 'kvm.pqap.problem-state' })
    }
  })

  it('linux-5.2: every case is OP', () => {
    for (const extra of [
      { cpu: { model: 'host', features: { apqi: false } } },
      { vfio: 'none' as const },
      {},
      { psw: 'problem' as const },
    ] as Partial<ProbeSpec>[])
      expectOutcome(probeStep(base('linux-5.2', extra)), { kind: 'OP', by: 'kvm.b2.no-pqap-case' })
  })
})
