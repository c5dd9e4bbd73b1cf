// The vfio_ap PQAP hook per era (interception.md §4.2–§4.7, §7.3, quirks Q4–Q6, Q9, Q11, Q12).
import { describe, expect, it } from 'vitest'
import type { ProbeSpec } from '../../src-main/engine/probe'
import type { RuleId } from '../../src-main/engine/rules'
import type { StepResult } from '../../src-main/engine/results'
import {
  AQIC,
  AQIC_DISABLE,
  PRE_MERGE_HI,
  SAME,
  WITH_HANDLER,
  ZEROS,
  between,
  decidingRule,
  expectOutcome,
  hex64,
  loWord,
  machine,
  probe,
  probeStep,
  regOut,
  split,
  statusFields,
  traceRules,
} from './machine-helper'

const REAL_FROM_63 = between('linux-6.3', 'linux-latest')
const MERGED = between('linux-5.3', 'linux-latest')
const HOOK_PROFILES = WITH_HANDLER

/** Where the hook's status lands (Q4): `hi` for v3–v6, `lo` from v7. */
const placement = (k: string): 'hi' | 'lo' => (PRE_MERGE_HI.includes(k) ? 'hi' : 'lo')
/** cc after the hook answered RC ≠ 0 (§3): unchanged before v7, 3 from v7. */
const errCc = (k: string): number => (PRE_MERGE_HI.includes(k) ? SAME : 3)
/** cc after the hook answered RC 0: unchanged before 6.8 (Q2, Q3), 0 from 6.8. */
const okCc = (k: string): number => (k === 'linux-6.8' || k === 'linux-latest' ? 0 : SAME)

/** Asserts the hook answered `rc` with the era's placement and cc (ccBefore 2). */
function expectHookAnswer(s: StepResult, kernel: string, rc: number, by?: RuleId): void {
  expect(s.handledBy).toBe('vfio_ap')
  expectOutcome(
    s,
    { kind: 'ANS', rc, cc: rc === 0 ? okCc(kernel) : errCc(kernel), place: placement(kernel), ...(by ? { by } : {}) },
    2,
  )
}

/** Q5: every host AQIC result reads as zeros, so GR1 is all zero and the cc is unchanged. */
function expectAllZero(s: StepResult): void {
  expect(s.pgm).toBeNull()
  expect(s.handledBy).toBe('vfio_ap')
  expect(hex64(regOut(s, 1))).toBe('0x0000000000000000')
  expect(s.cc).toBe(2)
  expect(s.trace.find((t) => t.rule === 'vfio_ap.irq.host-status-zeros')?.quirk).toBe('Q5')
}

const hook = (kernel: string, extra: Partial<ProbeSpec> = {}) => probeStep({ kernel, ccBefore: 2, ...extra })

describe('§4.2 step 1: vCPU without ECA_AIV', () => {
  it.each(HOOK_PROFILES)('%s: → OP, GR1 and cc untouched (Q11 when facility 65 is offered)', (kernel) => {
    const s = hook(kernel, { gisa: false })
    expectOutcome(s, { kind: 'OP', by: 'vfio_ap.hook.no-aiv-fac65' })
    expect(s.regsOut['r1']).toBe(s.regsIn['r1'])
    const rec = s.trace.find((t) => t.rule === 'vfio_ap.hook.no-aiv-fac65')
    expect(rec?.quirk).toBe('Q11')
  })

  it.each(HOOK_PROFILES)('%s: problem state is still PRIV (KVM checks it before the hook)', (kernel) => {
    const s = hook(kernel, { gisa: false, psw: 'problem' })
    expectOutcome(s, { kind: 'PRIV', by: 'kvm.pqap.problem-state' })
  })
})

describe('§4.2 step 6: queue lookup', () => {
  it.each(HOOK_PROFILES)('%s: APQN not assigned to the mdev → RC %s', (kernel) => {
    const s = hook(kernel, { queue: { assigned: false } })
    if (kernel === 'aqic-v3') expectHookAnswer(s, kernel, 0x03, 'vfio_ap.hook.queue-untied')
    else expectHookAnswer(s, kernel, 0x01, 'vfio_ap.hook.queue-not-found')
  })

  it.each(HOOK_PROFILES)('%s: APQN of no queue on the host → RC 0x01', (kernel) => {
    const m = machine({ kernel })
    m.setPsw({ cc: 2 })
    const r = m.run('pqap aqic 06.0004 ir=1 isc=6 nib=0x2000')
    expect(r.pgm).toBe(0)
    expect(r.outcome.rule).toBe('vfio_ap.hook.queue-not-found')
    const gr1 = r.gr(1)
    expect(Number(placement(kernel) === 'hi' ? (gr1 >> 48n) & 0xffn : (gr1 >> 16n) & 0xffn)).toBe(0x01)
  })

  it('aqic-v3: a vfio_ap queue not tied to any guest matrix → RC 0x03', () => {
    const m = machine({ kernel: 'aqic-v3' })
    const r = m.run('pqap aqic 05.0005 ir=1 isc=6 nib=0x2000')
    expect(r.outcome.rule).toBe('vfio_ap.hook.queue-untied')
    expect(Number((r.gr(1) >> 48n) & 0xffn)).toBe(0x03)
  })

  it('aqic-v3: vfio_ap loaded with no mdev at all: the queue is among the vfio_ap queues but untied → RC 0x03', () => {
    const s = hook('aqic-v3', { vfio: 'loaded' })
    expectHookAnswer(s, 'aqic-v3', 0x03)
  })

  it('aqic-v4: hook called without an mdev → OP', () => {
    expectOutcome(hook('aqic-v4', { vfio: 'loaded' }), { kind: 'OP', by: 'vfio_ap.hook.no-mdev-op' })
  })

  it.each(between('linux-5.15', 'linux-latest'))('%s: an mdev that lost its KVM → RC 0x01 (from ~5.12)', (kernel) => {
    const m = machine({ kernel })
    m.host.mdevs.get('m1')!.vm = null
    m.setPsw({ cc: 2 })
    const r = m.run(AQIC)
    expect(r.outcome.rule).toBe('vfio_ap.hook.no-kvm')
    expect(Number((r.gr(1) >> 16n) & 0xffn)).toBe(0x01)
    expect(r.cc).toBe(3)
  })

  it.each(between('linux-5.3', 'linux-5.11'))(
    '%s: an mdev that lost its KVM is not checked; the lookup goes on',
    (kernel) => {
      const m = machine({ kernel })
      m.host.mdevs.get('m1')!.vm = null
      const r = m.run(AQIC)
      expect(r.outcome.rule).toBe('vfio_ap.irq.enabled')
    },
  )

  it.each(between('linux-6.0', 'linux-latest'))(
    '%s (OQ-4): the lookup uses the linked queues, not the filtered guest APCB',
    (kernel) => {
      // Domain 9 has no queue on adapter 5, so the dynamic guest matrix drops adapter 5.
      const m = machine({ kernel, mdev: { uuid: 'm1', adapters: [5], domains: [4, 9] } })
      const tapq = m.run('pqap tapq 05.0004')
      expect(tapq.cc).toBe(3)
      expect(Number((tapq.gr(1) >> 16n) & 0xffn)).toBe(0x01)
      const aqic = m.run(AQIC)
      expect(aqic.outcome.rule).toBe('vfio_ap.irq.enabled')
      expect(Number((aqic.gr(1) >> 16n) & 0xffn)).toBe(0x00)
    },
  )
})

describe('§4.3 enable: NIB validation (E1, E1b) and pinning (E2)', () => {
  const OUTSIDE = ['nib=0x8000000', 'nib=0x4000000', 'nib=0x100002000']

  it.each(HOOK_PROFILES.flatMap((k) => OUTSIDE.map((n) => [k, n] as const)))(
    '%s: %s outside the 64 MiB guest → RC 0x06, nothing pinned',
    (kernel, nib) => {
      const r = probe({ kernel, ccBefore: 2, insn: `pqap aqic 05.0004 ir=1 isc=6 ${nib}` })
      const s = r.step!
      const byMemslot = between('linux-6.0', 'linux-latest').includes(kernel)
      expectHookAnswer(s, kernel, 0x06, byMemslot ? 'vfio_ap.irq.nib-not-in-memslot' : 'vfio_ap.irq.pin-failed')
      expect(r.resources.pinnedPages).toBe(0)
      if (byMemslot) expect(traceRules(s.trace)).not.toContain('vfio_ap.irq.pinned')
    },
  )

  it.each(HOOK_PROFILES)('%s: NIB at the last byte of guest memory is valid', (kernel) => {
    const r = probe({ kernel, insn: `pqap aqic 05.0004 ir=1 isc=6 nib=${64 * 1024 * 1024 - 1}` })
    expect(r.step!.rule).toBe('vfio_ap.irq.enabled')
    expect(r.resources.pinnedPages).toBe(1)
  })

  it.each(REAL_FROM_63)('%s: NIB 0 → RC 0x06 (a64a6d23874c)', (kernel) => {
    const r = probe({ kernel, ccBefore: 2, insn: 'pqap aqic 05.0004 ir=1 isc=6 nib=0' })
    expectHookAnswer(r.step!, kernel, 0x06, 'vfio_ap.irq.nib-zero')
    expect(r.resources.pinnedPages).toBe(0)
  })

  it.each(between('aqic-v3', 'linux-6.0'))('%s: NIB 0 is accepted and pinned', (kernel) => {
    const r = probe({ kernel, insn: 'pqap aqic 05.0004 ir=1 isc=6 nib=0' })
    expect(r.step!.rule).toBe('vfio_ap.irq.enabled')
    expect(r.resources.pinnedPages).toBe(1)
  })
})

describe('§4.3 E2 pin errno mapping (Q6)', () => {
  const Q6 = ['aqic-v3', 'aqic-v4', 'aqic-v5', 'aqic-v5-alt', 'aqic-v6', 'aqic-v7']

  it.each(Q6)('%s: EFAULT → an all-zero status (RC 0)', (kernel) => {
    const r = probe({ kernel, ccBefore: 2, faults: { pinErrno: 'EFAULT' } })
    const s = r.step!
    expectHookAnswer(s, kernel, 0x00, 'vfio_ap.irq.pin-failed-zero')
    const status = placement(kernel) === 'hi' ? Number(regOut(s, 1) >> 32n) : loWord(regOut(s, 1))
    expect(status).toBe(0)
    expect(s.trace.find((t) => t.rule === 'vfio_ap.irq.pin-failed-zero')?.quirk).toBe('Q6')
    expect(r.resources.pinnedPages).toBe(0)
  })

  it.each(MERGED)('%s: EFAULT → RC 0x06', (kernel) => {
    const r = probe({ kernel, ccBefore: 2, faults: { pinErrno: 'EFAULT' } })
    expectHookAnswer(r.step!, kernel, 0x06, 'vfio_ap.irq.pin-failed')
    expect(r.resources.pinnedPages).toBe(0)
  })

  it.each(HOOK_PROFILES.flatMap((k) => [[k, 'EINVAL'] as const, [k, 'E2BIG'] as const]))(
    '%s: %s → RC 0x06',
    (kernel, errno) => {
      const r = probe({ kernel, ccBefore: 2, faults: { pinErrno: errno } })
      expectHookAnswer(r.step!, kernel, 0x06, 'vfio_ap.irq.pin-failed')
    },
  )
})

describe('§4.3 E4 GISC registration failure', () => {
  it.each(between('aqic-v3', 'linux-5.15'))('%s: result not checked; the host AQIC goes ahead', (kernel) => {
    const r = probe({ kernel, ccBefore: 2, faults: { giscRegisterFails: true } })
    const s = r.step!
    expect(s.rule).toBe('vfio_ap.irq.enabled')
    expect(traceRules(s.trace)).toContain('vfio_ap.irq.gisc-unchecked')
    expect(traceRules(s.trace)).toContain('fw.aqic.enable')
    expect(r.resources.pinnedPages).toBe(1)
    if (ZEROS.includes(kernel)) expectAllZero(s)
    else expectHookAnswer(s, kernel, 0x00)
  })

  it.each(['linux-6.0', 'linux-6.3'])('%s: RC 0x08 and the pinned page leaks', (kernel) => {
    const r = probe({ kernel, ccBefore: 2, faults: { giscRegisterFails: true } })
    expectHookAnswer(r.step!, kernel, 0x08, 'vfio_ap.irq.gisc-failed-rc08')
    expect(r.resources.pinnedPages).toBe(1)
    expect(traceRules(r.step!.trace)).not.toContain('fw.aqic.enable')
  })

  it.each(['linux-6.8', 'linux-latest'])('%s: RC 0x06 and the page is unpinned', (kernel) => {
    const r = probe({ kernel, ccBefore: 2, faults: { giscRegisterFails: true } })
    expectHookAnswer(r.step!, kernel, 0x06, 'vfio_ap.irq.gisc-failed-rc06')
    expect(r.resources.pinnedPages).toBe(0)
    expect(traceRules(r.step!.trace)).not.toContain('fw.aqic.enable')
  })
})

describe('§4.3 E5–E7 and §4.7: the host AQIC result reaches the guest', () => {
  it.each(HOOK_PROFILES)('%s: a successful enable', (kernel) => {
    const r = probe({ kernel, ccBefore: 2 })
    const s = r.step!
    expect(s.rule).toBe('vfio_ap.irq.enabled')
    expect(r.resources.pinnedPages).toBe(1)
    expect(r.resources.giscRefs[6]).toBe(1)
    if (ZEROS.includes(kernel)) expectAllZero(s)
    else {
      expectHookAnswer(s, kernel, 0x00)
      const word = placement(kernel) === 'hi' ? Number(regOut(s, 1) >> 32n) : loWord(regOut(s, 1))
      expect(statusFields(word)).toMatchObject({ rc: 0, E: 1, I: 1 })
    }
  })

  it.each(HOOK_PROFILES)(
    '%s: the host AQIC carries GISC = guest ISC, ISC = the alert ISC, GISA = origin (E5)',
    (kernel) => {
      const m = machine({ kernel })
      m.run('pqap aqic 05.0004 ir=1 isc=3 nib=0x2000', { 1: 0x00ff_8700_7ffffff3n })
      const irq = m.queue(0x0504).irq
      expect(irq.enabled).toBe(true)
      expect(irq.gisc).toBe(3)
      expect(irq.isc).toBe(5)
      expect(irq.gisaOrigin).toBe(m.vm.gisa!.origin)
      expect(irq.nibGpa).toBe(0x2000)
    },
  )

  it.each(HOOK_PROFILES)('%s: enable on an already-enabled queue (FW-12)', (kernel) => {
    const r = probe({ kernel, ccBefore: 2, queue: { irqEnabled: true } })
    const s = r.step!
    if (ZEROS.includes(kernel)) {
      expectAllZero(s)
      return
    }
    expectHookAnswer(s, kernel, 0x07, 'vfio_ap.irq.rc07')
    expect(r.resources.pinnedPages).toBe(0)
    expect(r.resources.giscRefs[6]).toBe(0)
  })

  it.each(HOOK_PROFILES)('%s: host RC 0x08 (invalid GISA designation) after rewriting', (kernel) => {
    const m = machine({ kernel })
    m.vm.gisa!.origin = 0
    m.setPsw({ cc: 2 })
    const r = m.run(AQIC)
    const gr1 = r.gr(1)
    const rules = traceRules(r.trace)
    expect(rules).toContain('fw.aqic.invalid-gisa')
    if (ZEROS.includes(kernel)) {
      expect(gr1).toBe(0n)
      expect(r.cc).toBe(2)
      return
    }
    const want =
      { 'aqic-v3': 0x07, 'aqic-v4': 0x07, 'aqic-v5': 0x06, 'aqic-v5-alt': 0x06, 'aqic-v6': 0x06 }[kernel] ?? 0x08
    const rc = Number(placement(kernel) === 'hi' ? (gr1 >> 48n) & 0xffn : (gr1 >> 16n) & 0xffn)
    expect(rc).toBe(want)
    expect(rules.includes('vfio_ap.irq.rc-rewrite')).toBe(want !== 0x08)
    expect(r.cc).toBe(errCc(kernel) === SAME ? 2 : 3)
    expect(r.outcome.rule).toBe('vfio_ap.irq.enable-error')
  })

  it.each(HOOK_PROFILES.filter((k) => !ZEROS.includes(k)))(
    '%s: an enable error keeps the new pin (Q9) and runs the disable path',
    (kernel) => {
      const m = machine({ kernel })
      m.vm.gisa!.origin = 0
      const r = m.run(AQIC)
      expect(m.host.pinnedPages).toBe(1)
      expect(
        traceRules(r.trace).filter((x) => x === 'fw.aqic.already-disabled' || x === 'fw.aqic.disable'),
      ).toHaveLength(1)
    },
  )

  it.each(ZEROS)('%s (Q5): a rejected enable looks successful to vfio_ap, which saves the NIB', (kernel) => {
    const m = machine({ kernel })
    m.vm.gisa!.origin = 0
    const r = m.run(AQIC)
    expect(r.outcome.rule).toBe('vfio_ap.irq.enabled')
    expect(m.queue(0x0504).irq.enabled).toBe(false)
    expect(m.host.pinnedPages).toBe(1)
  })

  it.each(HOOK_PROFILES)('%s: adapter check-stopped', (kernel) => {
    const s = hook(kernel, { queue: { state: 'checkstopped' } })
    if (ZEROS.includes(kernel)) expectAllZero(s)
    else expectHookAnswer(s, kernel, 0x04)
  })

  it.each(HOOK_PROFILES)('%s: adapter deconfigured', (kernel) => {
    const s = hook(kernel, { queue: { state: 'deconfigured' } })
    if (ZEROS.includes(kernel)) expectAllZero(s)
    else expectHookAnswer(s, kernel, 0x03)
  })

  it.each(REAL_FROM_63)('%s: enable while the queue is being reset → RC 0x02 passed through', (kernel) => {
    expectHookAnswer(hook(kernel, { queue: { resetInProgress: true } }), kernel, 0x02)
  })
})

describe('Q4: write-back placement', () => {
  const GR1_IN = 0x0000_8000_0001_2346n // IR = 1; GISA field and ISC 6 in the low word

  it.each(PRE_MERGE_HI)('%s: status in bits 0–31, bits 32–63 keep the guest value', (kernel) => {
    const s = hook(kernel, { regs: { 1: split(GR1_IN) } })
    expect(hex64(regOut(s, 1))).toBe('0x8100000000012346')
    expect(s.trace.find((t) => t.rule === 'vfio_ap.hook.write-back-hi')?.quirk).toBe('Q4')
  })

  it.each(['aqic-v7', ...REAL_FROM_63])('%s: status shifted into bits 32–63, bits 0–31 zero', (kernel) => {
    const s = hook(kernel, { regs: { 1: split(GR1_IN) } })
    expect(hex64(regOut(s, 1))).toBe('0x0000000081000000')
    expect(traceRules(s.trace)).toContain('vfio_ap.hook.write-back-lo')
  })

  it.each(ZEROS)('%s: the shifted status is all zero (Q5)', (kernel) => {
    const s = hook(kernel, { regs: { 1: split(GR1_IN) } })
    expect(hex64(regOut(s, 1))).toBe('0x0000000000000000')
  })

  it.each(HOOK_PROFILES)('%s: GR2 (the NIB) is not changed', (kernel) => {
    const s = hook(kernel)
    expect(regOut(s, 2)).toBe(0x2000n)
  })
})

describe('§4.4 disable path (IR = 0)', () => {
  it.each(HOOK_PROFILES)('%s: disable after an enable frees the NIB pin and the GISC, RC 0 with I = 0', (kernel) => {
    const m = machine({ kernel })
    m.run(AQIC)
    expect(m.host.pinnedPages).toBe(1)
    expect(m.vm.gisa!.iamRefs[6]).toBe(1)
    m.setPsw({ cc: 2 })
    const r = m.run(AQIC_DISABLE)
    expect(r.pgm).toBe(0)
    expect(r.outcome.rule).toBe('vfio_ap.irq.disable')
    expect(m.host.pinnedPages).toBe(0)
    expect(m.vm.gisa!.iamRefs[6]).toBe(0)
    expect(m.queue(0x0504).irq.enabled).toBe(false)
    const word = placement(kernel) === 'hi' ? Number(r.gr(1) >> 32n) : loWord(r.gr(1))
    expect(statusFields(word)).toMatchObject({ rc: 0, I: 0 })
    expect(r.cc).toBe(okCc(kernel) === SAME ? 2 : 0)
    const tapq = m.run('pqap tapq 05.0004')
    expect(statusFields(loWord(tapq.gr(1))).I).toBe(0)
  })

  it.each(HOOK_PROFILES)('%s: disable of a disabled queue', (kernel) => {
    const s = hook(kernel, { insn: AQIC_DISABLE })
    if (ZEROS.includes(kernel)) expectAllZero(s)
    else expectHookAnswer(s, kernel, 0x07, 'vfio_ap.irq.disable')
  })

  it.each(REAL_FROM_63)('%s: reset in progress → the disable loop sleeps 20 ms and retries', (kernel) => {
    const s = hook(kernel, { insn: AQIC_DISABLE, queue: { resetInProgress: true } })
    const retry = s.trace.filter((t) => t.rule === 'vfio_ap.irq.disable-retry')
    expect(retry.length).toBeGreaterThanOrEqual(1)
    expect(retry[0]!.text).toMatch(/0x02/)
    expect(s.atUs).toBeGreaterThanOrEqual(20_000)
    // After the reset the queue is disabled: the last host AQIC answers RC 0x07.
    expectHookAnswer(s, kernel, 0x07)
  })

  it.each(ZEROS)('%s: reset in progress is not seen (Q5): no retry, all-zero status', (kernel) => {
    const s = hook(kernel, { insn: AQIC_DISABLE, queue: { resetInProgress: true } })
    expect(traceRules(s.trace)).not.toContain('vfio_ap.irq.disable-retry')
    expectAllZero(s)
  })

  it.each(between('aqic-v3', 'aqic-v7'))('%s: reset in progress → one host AQIC, its RC 0x02 returned', (kernel) => {
    const s = hook(kernel, { insn: AQIC_DISABLE, queue: { resetInProgress: true } })
    expect(traceRules(s.trace)).not.toContain('vfio_ap.irq.disable-retry')
    expectHookAnswer(s, kernel, 0x02)
  })

  it.each(REAL_FROM_63)('%s: disable on a check-stopped adapter → RC 0x04, resources freed', (kernel) => {
    const m = machine({ kernel })
    m.run(AQIC)
    m.host.adapters.get(5)!.state = 'checkstopped'
    const r = m.run(AQIC_DISABLE)
    expect(Number((r.gr(1) >> 16n) & 0xffn)).toBe(0x04)
    expect(r.cc).toBe(3)
    expect(traceRules(r.trace)).toContain('vfio_ap.irq.disable-warn')
    expect(m.host.pinnedPages).toBe(0)
  })
})

describe('§4.4/§4.5 disable forms: a host RC ≠ 0 during disable', () => {
  // Enable, then a guest RAPQ (the firmware resets the queue; vfio_ap does not notice, Q12),
  // then disable inside the reset window: the first host AQIC answers RC 0x02.
  // interception.md §4.5 summarises v3/v4 as "AQIC IR = 0, then unpin/unregister"; the posted
  // [PATCH v3 7/9] vfio_ap_clrirq frees only when ap_aqic() answers RC 0, and AP Lab follows the patch.
  const rows: [string, 'freed' | 'kept', number][] = [
    ['aqic-v3', 'kept', 0x02],
    ['aqic-v4', 'kept', 0x02],
    ['aqic-v5', 'kept', 0x02],
    ['aqic-v5-alt', 'kept', 0x02],
    ['aqic-v6', 'kept', 0x02],
    ['aqic-v7', 'kept', 0x02],
    ...ZEROS.map((k): [string, 'freed' | 'kept', number] => [k, 'freed', 0x00]),
    ...REAL_FROM_63.map((k): [string, 'freed' | 'kept', number] => [k, 'freed', 0x07]),
  ]

  it.each(rows)('%s: resources %s, guest RC 0x%s', (kernel, resources, rc) => {
    const m = machine({ kernel })
    m.run(AQIC)
    m.run('pqap rapq 05.0004')
    m.setPsw({ cc: 2 })
    const r = m.run(AQIC_DISABLE)
    expect(m.host.pinnedPages).toBe(resources === 'freed' ? 0 : 1)
    const gr1 = r.gr(1)
    expect(Number(placement(kernel) === 'hi' ? (gr1 >> 48n) & 0xffn : (gr1 >> 16n) & 0xffn)).toBe(rc)
    const retries = traceRules(r.trace).filter((x) => x === 'vfio_ap.irq.disable-retry').length
    expect(retries).toBe(REAL_FROM_63.includes(kernel) ? 1 : 0)
  })

  it.each(REAL_FROM_63)(
    '%s: retries exhausted after 6 attempts → WARN, resources freed, RC 0x02 returned',
    (kernel) => {
      const m = machine({ kernel, host: { resetWindowUs: 1_000_000 } })
      m.run(AQIC)
      m.run('pqap rapq 05.0004')
      const r = m.run(AQIC_DISABLE)
      const rules = traceRules(r.trace)
      expect(rules.filter((x) => x === 'vfio_ap.irq.disable-retry')).toHaveLength(5)
      expect(rules.filter((x) => x === 'fw.reset-in-progress')).toHaveLength(6)
      expect(rules).toContain('vfio_ap.irq.disable-warn')
      expect(m.host.pinnedPages).toBe(0)
      expect(Number((r.gr(1) >> 16n) & 0xffn)).toBe(0x02)
      expect(r.cc).toBe(3)
    },
  )
})

describe('era details visible in the trace', () => {
  it.each(HOOK_PROFILES)('%s: the NIB is pinned %s-based (§4.3 E2)', (kernel) => {
    const s = hook(kernel)
    const want = between('linux-6.0', 'linux-latest').includes(kernel) ? 'IOVA' : 'pfn'
    expect(s.trace.find((t) => t.rule === 'vfio_ap.irq.pinned')?.text).toContain(`${want}-based`)
  })

  it.each(HOOK_PROFILES)('%s: the host AQIC designates the GISA by next_alert (v3–v7) or origin (§4.5)', (kernel) => {
    const text = hook(kernel).trace.find((t) => t.rule === 'vfio_ap.irq.host-aqic')?.text ?? ''
    if (kernel.startsWith('aqic-')) expect(text).toContain('next_alert')
    else expect(text).toContain('GISA origin >> 4')
  })

  it.each(REAL_FROM_63)('%s: RC 0x07 handling unregisters the GISC first only from 6.8 (c44ce579240d)', (kernel) => {
    const text =
      hook(kernel, { queue: { irqEnabled: true } }).trace.find((t) => t.rule === 'vfio_ap.irq.rc07')?.text ?? ''
    expect(text.includes('c44ce579240d')).toBe(kernel === 'linux-6.8' || kernel === 'linux-latest')
  })

  it.each(HOOK_PROFILES.filter((k) => !ZEROS.includes(k)))(
    '%s: an enable error is flagged as quirk Q9 and logged on the host',
    (kernel) => {
      const r = probe({ kernel, queue: { state: 'checkstopped' } })
      expect(r.step!.trace.find((t) => t.rule === 'vfio_ap.irq.enable-error')?.quirk).toBe('Q9')
      expect(r.hostLog.some((e) => e.level === 'warn' && e.text.includes('05.0004'))).toBe(true)
    },
  )

  it.each(['linux-6.8', 'linux-5.3', 'aqic-v5'])('%s: trace refs name the kernel, file and function', (kernel) => {
    const s = hook(kernel)
    const ref = (rule: string) => s.trace.find((t) => t.rule === rule)?.ref
    const name = kernel === 'aqic-v5' ? 'aqic-v5' : `linux v${kernel.slice(6)}`
    expect(ref('kvm.pqap.call-hook')).toBe(`${name} arch/s390/kvm/priv.c handle_pqap`)
    expect(ref('vfio_ap.hook.queue-found')).toBe(`${name} drivers/s390/crypto/vfio_ap_ops.c handle_pqap`)
  })
})

describe('Q12: guest resets are invisible to vfio_ap', () => {
  it.each(HOOK_PROFILES)(
    '%s: RAPQ keeps the pin; the next enable succeeds and releases the old resources',
    (kernel) => {
      const m = machine({ kernel })
      m.run(AQIC)
      const reset = m.run('pqap rapq 05.0004')
      expect(reset.outcome.handledBy).toBe('firmware')
      expect(m.host.pinnedPages).toBe(1)
      expect(m.queue(0x0504).irq.enabled).toBe(false)
      m.advance(20_000)
      const again = m.run(AQIC)
      expect(again.outcome.rule).toBe('vfio_ap.irq.enabled')
      expect(m.host.pinnedPages).toBe(1)
      expect(m.vm.gisa!.iamRefs[6]).toBe(1)
      expect(m.queue(0x0504).irq.enabled).toBe(true)
    },
  )

  it.each(REAL_FROM_63)('%s: a second enable without a reset → RC 0x07; the new pin is released', (kernel) => {
    const m = machine({ kernel })
    m.run(AQIC)
    const r = m.run(AQIC)
    expect(Number((r.gr(1) >> 16n) & 0xffn)).toBe(0x07)
    expect(m.host.pinnedPages).toBe(1)
    expect(m.vm.gisa!.iamRefs[6]).toBe(1)
  })
})

describe('hook decisions are vfio_ap rules', () => {
  it.each(HOOK_PROFILES)('%s: every answer the hook gives is decided by a vfio_ap rule', (kernel) => {
    for (const extra of [{}, { queue: { assigned: false } }, { insn: AQIC_DISABLE }] as Partial<ProbeSpec>[]) {
      const s = hook(kernel, extra)
      expect(s.handledBy).toBe('vfio_ap')
      expect(decidingRule(s).startsWith('vfio_ap.')).toBe(true)
    }
  })
})
