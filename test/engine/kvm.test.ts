// KVM handle_pqap for every kernel profile (interception.md §3), step by step and in check order.
import { describe, expect, it } from 'vitest'
import { kvmOfferedFacilities } from '../../src-main/engine/kvm'
import { kernelProfile } from '../../src-main/engine/profiles'
import type { ProbeSpec } from '../../src-main/engine/probe'
import type { ApFeature } from '../../src-main/engine/profiles/types'
import type { RuleId } from '../../src-main/engine/rules'
import {
  AQIC,
  AQIC_DISABLE,
  KERNELS,
  NEW,
  SAME,
  WITH_HANDLER,
  between,
  decidingRule,
  expectOutcome,
  hex64,
  machine,
  probe,
  probeStep,
  regOut,
  split,
  traceRules,
} from './machine-helper'

/** §3, transcribed: the check order of each profile with a handler (H I A F P R T X 65, then K). */
const ORDER: Record<string, string[]> = {
  'aqic-v3': ['H', 'I', 'A', 'F', 'P', '65'],
  'aqic-v4': ['I', 'A', 'F', 'P', '65'],
  'aqic-v5': ['I', 'A', 'F', 'P', '65'],
  'aqic-v5-alt': ['I', 'A', 'F', 'P', '65'],
  'aqic-v6': ['I', 'A', 'F', 'P', 'R', 'X', '65'],
}
for (const k of between('aqic-v7', 'linux-latest')) ORDER[k] = ['I', 'A', 'F', 'P', 'R', 'T', 'X', '65']

type Letter = 'H' | 'I' | 'A' | 'F' | 'P' | 'R' | 'T' | 'X' | '65'
const LETTERS: Letter[] = ['H', 'I', 'A', 'F', 'P', 'R', 'T', 'X', '65']

const LETTER_RESULT: Record<Letter, { kind: 'OP' | 'PRIV' | 'SPEC'; rule: (kernel: string) => RuleId }> = {
  H: { kind: 'OP', rule: () => 'kvm.pqap.hook-missing-first' },
  I: { kind: 'OP', rule: () => 'kvm.pqap.no-ap-instructions' },
  A: { kind: 'OP', rule: () => 'kvm.pqap.apie-off' },
  F: { kind: 'OP', rule: () => 'kvm.pqap.fc-not-aqic' },
  P: { kind: 'PRIV', rule: () => 'kvm.pqap.problem-state' },
  R: { kind: 'SPEC', rule: () => 'kvm.pqap.reserved-bits' },
  T: { kind: 'SPEC', rule: () => 'kvm.pqap.t-bit-without-apft' },
  X: { kind: 'SPEC', rule: (k) => (k === 'aqic-v6' ? 'kvm.pqap.apqn-range-wrong-mask' : 'kvm.pqap.apqn-range') },
  '65': { kind: 'SPEC', rule: () => 'kvm.pqap.fac65-missing' },
}

/**
 * A supervisor-state AQIC on an assigned queue with facility 65 (so K would give an answer),
 * changed to violate each listed check:
 * H no hook · I host without AP instructions · A ECA_APIE clear (ap=off) · F FC ≠ 3 (TAPQ under a
 * nesting hypervisor) · P problem state · R GR0 bit 47 · T T bit with apft=off · X APQI 16 with a
 * host without APXA (CRYCB format 1) · 65 apqi=off.
 */
function violating(kernel: string, letters: readonly Letter[]): ProbeSpec {
  const has = (l: Letter) => letters.includes(l)
  const features: Partial<Record<ApFeature, boolean>> = {}
  const host: NonNullable<ProbeSpec['host']> = {}
  let fc = 3
  let flags = 0
  let apqn = 0x0504
  if (has('I')) host.apInstructions = false
  if (has('A')) features.ap = false
  if (has('F')) fc = 0
  if (has('R')) flags |= 0x00010000
  if (has('T')) {
    flags |= 0x00800000
    features.apft = false
  }
  if (has('X')) {
    host.apxa = false
    apqn = 0x0510
  }
  if (has('65')) features.apqi = false
  // With ap off there is no ap-bus, so no vfio-ap device: the hook then exists only where
  // vfio_ap registers it at module load (v3, v4).
  const vfio = has('H') ? 'none' : has('I') || has('A') ? 'loaded' : 'mdev'
  return {
    kernel,
    qemu: 'qemu-4.1',
    vfio,
    cpu: { model: 'host', features },
    host,
    nested: has('F'),
    psw: has('P') ? 'problem' : 'supervisor',
    ccBefore: 2,
    insn: AQIC,
    regs: { 0: { hi: 0, lo: ((fc << 24) | flags | apqn) >>> 0 } },
  }
}

describe('linux-5.2: no PQAP handler (§3.1)', () => {
  it.each([
    ['AQIC, supervisor', { insn: AQIC }],
    ['AQIC, problem state', { insn: AQIC, psw: 'problem' as const }],
    ['AQIC, apqi=off', { insn: AQIC, cpu: { features: { apqi: false } } }],
    ['AQIC, reserved bits', { insn: AQIC, regs: { 0: { hi: 0, lo: 0x037f0504 } } }],
    ['TAPQ under a nesting hypervisor', { insn: 'pqap tapq 05.0004', nested: true }],
    ['QCI under a nesting hypervisor', { insn: 'pqap qci', nested: true }],
    ['AQIC with ECA_APIE clear (qemu-3.0)', { insn: AQIC, qemu: 'qemu-3.0', vfio: 'none' as const }],
    ['AQIC on a host without AP instructions', { insn: AQIC, vfio: 'none' as const, host: { apInstructions: false } }],
  ])('%s → OP (kvm_s390_handle_b2 has no case 0xaf)', (_name, extra) => {
    const s = probeStep({ kernel: 'linux-5.2', vfio: 'none', ...extra })
    expectOutcome(s, { kind: 'OP', by: 'kvm.b2.no-pqap-case' })
  })

  it('never offers facility 65, so apqi stays off under -cpu host', () => {
    const m = machine({ kernel: 'linux-5.2', mdev: null })
    expect(m.vm.facilities[65]).toBe(false)
  })
})

describe('NQAP and DQAP have no KVM handler in any kernel (§3.12)', () => {
  it.each(KERNELS.flatMap((k) => [[k, 'nqap 05.0004'] as const, [k, 'dqap 05.0004'] as const]))(
    '%s: intercepted %s → OP',
    (kernel, insn) => {
      const s = probeStep({ kernel, qemu: 'qemu-3.0', vfio: 'none', insn })
      expectOutcome(s, { kind: 'OP', by: 'kvm.b2.no-case' })
      expect(traceRules(s.trace)).toContain('fw.apie-off.intercept')
    },
  )
})

describe.each(WITH_HANDLER)('%s handle_pqap: each check alone', (kernel) => {
  const order = ORDER[kernel]!

  it('a compliant AQIC reaches K (no program exception)', () => {
    const s = probeStep(violating(kernel, []))
    expect(s.pgm).toBeNull()
  })

  it.each(order)('check %s decides alone', (letter) => {
    const l = letter as Letter
    const s = probeStep(violating(kernel, [l]))
    const want = LETTER_RESULT[l]
    expectOutcome(s, { kind: want.kind, by: want.rule(kernel) })
  })

  const absent = LETTERS.filter((l) => !order.includes(l))
  if (absent.length > 0) {
    it.each(absent)('check %s does not exist in this profile', (letter) => {
      const l = letter as Letter
      const s = probeStep(violating(kernel, [l]))
      expect(traceRules(s.trace)).not.toContain(LETTER_RESULT[l].rule(kernel))
      if (l !== 'H') expect(s.pgm).toBeNull()
    })
  }
})

describe.each(WITH_HANDLER)('%s handle_pqap: check order', (kernel) => {
  const order = ORDER[kernel]!
  const pairs: [Letter, Letter][] = []
  for (let i = 0; i < order.length; i++)
    for (let j = i + 1; j < order.length; j++) pairs.push([order[i] as Letter, order[j] as Letter])

  it.each(pairs)('%s before %s', (first, second) => {
    const s = probeStep(violating(kernel, [first, second]))
    const want = LETTER_RESULT[first]
    expectOutcome(s, { kind: want.kind, by: want.rule(kernel) })
  })

  it('all checks violated at once: the first check decides', () => {
    const s = probeStep(violating(kernel, order as Letter[]))
    expect(decidingRule(s)).toBe(LETTER_RESULT[order[0] as Letter].rule(kernel))
  })
})

describe('ECA_APIE clear through QEMU 3.0 (no ap feature at all)', () => {
  it.each(WITH_HANDLER)('%s: AQIC intercepts (FW-2) and KVM returns it to user space → OP', (kernel) => {
    for (const psw of ['supervisor', 'problem'] as const) {
      const s = probeStep({ kernel, qemu: 'qemu-3.0', vfio: kernel === 'aqic-v3' ? 'loaded' : 'none', psw })
      expectOutcome(s, { kind: 'OP', by: 'kvm.pqap.apie-off' })
      expect(s.trace[0]?.rule).toBe('fw.apie-off.intercept')
    }
  })
})

describe('check order: examples named in the spec', () => {
  it.each(between('aqic-v6', 'linux-latest'))('%s: problem state plus reserved bits → PRIV', (kernel) => {
    expectOutcome(probeStep(violating(kernel, ['P', 'R'])), { kind: 'PRIV', by: 'kvm.pqap.problem-state' })
  })

  it('aqic-v6: reserved bits without facility 65 → SPEC from the reserved-bit rule', () => {
    expectOutcome(probeStep(violating('aqic-v6', ['R', '65'])), { kind: 'SPEC', by: 'kvm.pqap.reserved-bits' })
  })

  it.each(between('aqic-v7', 'linux-latest'))(
    '%s: T bit without APFT and an APQN out of range → the T-bit rule',
    (kernel) => {
      expectOutcome(probeStep(violating(kernel, ['T', 'X'])), { kind: 'SPEC', by: 'kvm.pqap.t-bit-without-apft' })
    },
  )

  it.each(['aqic-v3', 'aqic-v4', 'aqic-v5', 'aqic-v5-alt'])(
    '%s: reserved bits are not checked; facility 65 missing still → SPEC',
    (kernel) => {
      expectOutcome(probeStep(violating(kernel, ['R', '65'])), { kind: 'SPEC', by: 'kvm.pqap.fac65-missing' })
    },
  )
})

describe('reserved bits 41–47 (R), one at a time', () => {
  const bits = [41, 42, 43, 44, 45, 46, 47]
  it.each(between('aqic-v6', 'linux-latest').flatMap((k) => bits.map((b) => [k, b] as const)))(
    '%s: GR0 bit %s → SPEC',
    (kernel, bit) => {
      const s = probeStep({ kernel, regs: { 0: { hi: 0, lo: (0x03000504 | (1 << (63 - bit))) >>> 0 } } })
      expectOutcome(s, { kind: 'SPEC', by: 'kvm.pqap.reserved-bits' })
    },
  )

  it.each(between('aqic-v3', 'aqic-v5-alt'))('%s: all of bits 41–47 set are ignored', (kernel) => {
    const s = probeStep({ kernel, regs: { 0: { hi: 0, lo: 0x037f0504 } } })
    expect(s.pgm).toBeNull()
    expect(s.handledBy).toBe('vfio_ap')
  })
})

describe('T bit (§3.7 step 6, OQ-10)', () => {
  it.each(between('aqic-v7', 'linux-latest'))('%s: T bit with APFT offered is accepted', (kernel) => {
    const s = probeStep({ kernel, regs: { 0: { hi: 0, lo: 0x03800504 } } })
    expect(s.pgm).toBeNull()
    expect(s.handledBy).toBe('vfio_ap')
  })
})

describe('APQN range without APXA (§3.6 step 6, §3.7 step 7, Q7)', () => {
  // host apxa = false → CRYCB format 1
  const aqicOn = (kernel: string, apqn: number, apxa = false) =>
    probeStep({ kernel, host: { apxa }, regs: { 0: { hi: 0, lo: (0x03000000 | apqn) >>> 0 } } })

  it.each(
    between('aqic-v7', 'linux-latest').flatMap(
      (k) =>
        [
          [k, 0x4004],
          [k, 0x0510],
          [k, 0xff0f],
          [k, 0x80ff],
        ] as const,
    ),
  )('%s: APQN 0x%s out of range (mask 0xC0F0) → SPEC', (kernel, apqn) => {
    expectOutcome(aqicOn(kernel, apqn), { kind: 'SPEC', by: 'kvm.pqap.apqn-range' })
  })

  it.each(
    between('aqic-v7', 'linux-latest').flatMap(
      (k) =>
        [
          [k, 0x1004],
          [k, 0x3f0f],
          [k, 0x0004],
        ] as const,
    ),
  )('%s: APQN 0x%s in range → reaches the hook', (kernel, apqn) => {
    const s = aqicOn(kernel, apqn)
    expect(s.pgm).toBeNull()
    expect(s.handledBy).toBe('vfio_ap')
  })

  it.each(between('aqic-v7', 'linux-latest'))(
    '%s: with APXA (CRYCB format 2) APID 64 is not a range error',
    (kernel) => {
      const s = aqicOn(kernel, 0x4004, true)
      expect(s.pgm).toBeNull()
    },
  )

  it('aqic-v6 (Q7): valid APID 16 wrongly → SPEC through the wrong mask', () => {
    expectOutcome(aqicOn('aqic-v6', 0x1004), { kind: 'SPEC', by: 'kvm.pqap.apqn-range-wrong-mask' })
    const s = aqicOn('aqic-v6', 0x1004)
    expect(s.trace.find((t) => t.rule === 'kvm.pqap.apqn-range-wrong-mask')?.quirk).toBe('Q7')
  })

  it.each([0x1004, 0x2004, 0x3f04])('aqic-v6 (Q7): valid APID 0x%s → SPEC', (apqn) => {
    expectOutcome(aqicOn('aqic-v6', apqn), { kind: 'SPEC', by: 'kvm.pqap.apqn-range-wrong-mask' })
  })

  it.each([0x4004, 0x4f04, 0x8004, 0xc004])('aqic-v6 (Q7): invalid APQN 0x%s is let through', (apqn) => {
    const s = aqicOn('aqic-v6', apqn)
    expect(s.pgm).toBeNull()
    expect(s.handledBy).toBe('vfio_ap')
  })

  it('aqic-v6: APQI ≥ 16 is caught correctly', () => {
    expectOutcome(aqicOn('aqic-v6', 0x0510), { kind: 'SPEC', by: 'kvm.pqap.apqn-range-wrong-mask' })
  })

  it.each(between('aqic-v3', 'aqic-v5-alt'))('%s: no range check (APID 64 reaches the hook)', (kernel) => {
    const s = aqicOn(kernel, 0x4004)
    expect(s.pgm).toBeNull()
  })
})

describe('FC ≠ 3 (§3.12, Q10): only AQIC is handled, whatever GR0 bits 0–31 hold', () => {
  const fcs = [0x00, 0x01, 0x02, 0x04, 0x05, 0x06, 0x2a, 0xff]
  it.each(WITH_HANDLER.flatMap((k) => fcs.map((fc) => [k, fc] as const)))(
    '%s: nested PQAP FC 0x%s → OP',
    (kernel, fc) => {
      const s = probeStep({ kernel, nested: true, regs: { 0: { hi: 0x03000000, lo: ((fc << 24) | 0x0504) >>> 0 } } })
      expectOutcome(s, { kind: 'OP', by: 'kvm.pqap.fc-not-aqic' })
      expect(traceRules(s.trace)).toContain('fw.nested.intercept')
    },
  )

  it.each(WITH_HANDLER)('%s: GR0 bits 0–31 all ones do not change the AQIC answer', (kernel) => {
    const plain = probeStep({ kernel, ccBefore: 1 })
    const noisy = probeStep({ kernel, ccBefore: 1, regs: { 0: { hi: 0xffffffff, lo: 0x03000504 } } })
    expect(noisy.rule).toBe(plain.rule)
    expect(noisy.pgm).toEqual(plain.pgm)
    expect(noisy.cc).toBe(plain.cc)
    expect(noisy.regsOut).toEqual(plain.regsOut)
  })

  it.each(NEW)('%s (Q10): nested AQIC still gets an answer while nested TAPQ gets OP', (kernel) => {
    const aqic = probeStep({ kernel, vfio: 'none', nested: true })
    expectOutcome(aqic, { kind: 'ANS', rc: 0x01, cc: 3, place: 'hi', by: 'kvm.pqap.no-hook-rc01' })
    const tapq = probeStep({ kernel, vfio: 'none', nested: true, insn: 'pqap tapq 05.0004' })
    expectOutcome(tapq, { kind: 'OP', by: 'kvm.pqap.fc-not-aqic' })
  })
})

describe('FC ≠ 3 host log (§3.6 step 3, §3.7 step 3, §3.9, Q8)', () => {
  // per profile: entries after two nested TAPQs on one host boot
  const logs: [string, number, RegExp | null][] = WITH_HANDLER.map((k) => {
    if (k === 'aqic-v6') return [k, 2, /Unexpected interception code/]
    if (k === 'aqic-v7' || k === 'linux-5.3') return [k, 1, /WARN/]
    return [k, 0, null]
  })

  it.each(logs)('%s: two FC ≠ 3 intercepts leave %s host warnings', (kernel, count, text) => {
    const m = machine({ kernel, guest: { nested: true } })
    const first = m.run('pqap tapq 05.0004')
    const second = m.run('pqap tapq 05.0004')
    expect(first.pgm).toBe(0x01)
    expect(second.pgm).toBe(0x01)
    const warns = m.host.log.filter((e) => e.level === 'warn')
    expect(warns).toHaveLength(count)
    for (const w of warns) expect(w.text).toMatch(text!)
    if (count === 1) {
      expect(traceRules(first.trace)).toContain('kvm.arch.warn-once')
      expect(traceRules(second.trace)).not.toContain('kvm.arch.warn-once')
    }
  })

  it.each(['aqic-v7', 'linux-5.3'])('%s: the WARN is flagged as quirk Q8', (kernel) => {
    const s = probeStep({ kernel, nested: true, insn: 'pqap tapq 05.0004' })
    expect(s.trace.find((t) => t.rule === 'kvm.arch.warn-once')?.quirk).toBe('Q8')
  })

  it('linux-5.3: the WARN comes back on the next host boot', () => {
    for (let boot = 0; boot < 2; boot++) {
      const m = machine({ kernel: 'linux-5.3', guest: { nested: true } })
      m.run('pqap tapq 05.0004')
      expect(m.host.log).toHaveLength(1)
    }
  })
})

describe('no hook (K, step "no hook"; Q1)', () => {
  const GR1_IN = 0xfedcba98_76543216n
  const GR1_Q1 = (GR1_IN & 0xffffffffn) | 0x0001000000000000n
  // per profile: OP rule, or cc after the answer (SAME = unchanged, Q3)
  const rows: [string, RuleId | null, number][] = [
    ['aqic-v3', 'kvm.pqap.hook-missing-first', 0],
    ['aqic-v4', null, SAME],
    ['aqic-v5', null, SAME],
    ['aqic-v5-alt', 'kvm.pqap.no-hook-to-user', 0],
    ['aqic-v6', null, SAME],
    ...between('aqic-v7', 'linux-latest').map((k): [string, RuleId | null, number] => [k, null, 3]),
  ]

  it.each(rows)('%s, vfio_ap not loaded: OP by %s, else RC 0x01 in GR1 bits 0–31 with cc %s', (kernel, opRule, cc) => {
    const s = probeStep({ kernel, vfio: 'none', ccBefore: 2, regs: { 1: split(GR1_IN) } })
    if (opRule) {
      expectOutcome(s, { kind: 'OP', by: opRule })
      return
    }
    expectOutcome(s, { kind: 'ANS', rc: 0x01, cc, place: 'hi', by: 'kvm.pqap.no-hook-rc01' }, 2)
    expect(hex64(regOut(s, 1))).toBe(hex64(GR1_Q1))
    expect(s.handledBy).toBe('kvm')
    expect(regOut(s, 2)).toBe(0x2000n)
  })

  it.each(between('aqic-v5', 'linux-latest').filter((k) => k !== 'aqic-v5-alt'))(
    '%s: vfio_ap loaded without an mdev for this guest is the same as not loaded (no hook)',
    (kernel) => {
      const s = probeStep({ kernel, vfio: 'loaded', ccBefore: 1, regs: { 1: split(GR1_IN) } })
      expect(s.rule).toBe('kvm.pqap.no-hook-rc01')
      expect(hex64(regOut(s, 1))).toBe(hex64(GR1_Q1))
    },
  )

  it('Q1: a Linux guest (GISA field 0, ISC 6) reads RC 0 in the architected field while the cc is 3', () => {
    const s = probeStep({ kernel: 'linux-5.3', vfio: 'none' })
    expect(s.cc).toBe(3)
    expect(hex64(regOut(s, 1))).toBe('0x0001000000000006')
    expect((regOut(s, 1) >> 16n) & 0xffn).toBe(0n)
  })

  it.each(NEW)('%s: the no-hook rule is flagged as quirk Q1', (kernel) => {
    const s = probeStep({ kernel, vfio: 'none' })
    expect(s.trace.find((t) => t.rule === 'kvm.pqap.no-hook-rc01')?.quirk).toBe('Q1')
  })

  it('aqic-v4: a hook registered without an mdev → OP (§5.1 item 8)', () => {
    expectOutcome(probeStep({ kernel: 'aqic-v4', vfio: 'loaded' }), { kind: 'OP', by: 'vfio_ap.hook.no-mdev-op' })
  })
})

describe('try_module_get failure (§3.4 step 6.1, §3.10)', () => {
  const fails = ['aqic-v5', 'aqic-v5-alt', 'aqic-v6', 'aqic-v7', 'linux-5.3', 'linux-5.7', 'linux-5.11']
  it.each(fails)('%s: module reference fails → OP', (kernel) => {
    const s = probeStep({ kernel, faults: { moduleGetFails: true } })
    expectOutcome(s, { kind: 'OP', by: 'kvm.pqap.module-get-failed' })
    expect(traceRules(s.trace)).not.toContain('kvm.pqap.call-hook')
  })

  it.each(WITH_HANDLER.filter((k) => !fails.includes(k)))(
    '%s: no module reference is taken, the hook runs',
    (kernel) => {
      const s = probeStep({ kernel, faults: { moduleGetFails: true } })
      expect(s.pgm).toBeNull()
      expect(s.handledBy).toBe('vfio_ap')
      expect(traceRules(s.trace)).not.toContain('kvm.pqap.module-get-failed')
    },
  )
})

describe('cc after the hook (§3.2–§3.11, Q2, Q3)', () => {
  // profile, cc after RC 0 (ccBefore 2), cc after RC ≠ 0, cc rule recorded after RC 0
  const rows: [string, number, number, RuleId][] = [
    ...between('aqic-v3', 'aqic-v6').map((k): [string, number, number, RuleId] => [
      k,
      SAME,
      SAME,
      'kvm.pqap.cc-never-set',
    ]),
    ...between('aqic-v7', 'linux-6.3').map((k): [string, number, number, RuleId] => [
      k,
      SAME,
      3,
      'kvm.pqap.cc-unchanged-success',
    ]),
    ['linux-6.8', 0, 3, 'kvm.pqap.cc-success'],
    ['linux-latest', 0, 3, 'kvm.pqap.cc-success'],
  ]

  it.each(rows)('%s: hook RC 0 → cc %s (−1 = unchanged), by %s', (kernel, cc, _err, rule) => {
    for (const ccBefore of [1, 2] as const) {
      const s = probeStep({ kernel, ccBefore })
      expect(s.pgm).toBeNull()
      expect(s.handledBy).toBe('vfio_ap')
      expect(s.cc).toBe(cc === SAME ? ccBefore : cc)
      expect(traceRules(s.trace)).toContain(rule)
    }
  })

  it.each(rows)('%s: hook RC ≠ 0 (APQN not assigned) → cc %s', (kernel, _ok, cc) => {
    const s = probeStep({ kernel, ccBefore: 2, queue: { assigned: false } })
    expect(s.pgm).toBeNull()
    expect(s.cc).toBe(cc === SAME ? 2 : cc)
    if (cc === 3) expect(traceRules(s.trace)).toContain('kvm.pqap.cc-error')
  })

  it.each([
    ...between('aqic-v3', 'aqic-v6').map((k) => [k, 'kvm.pqap.cc-never-set', 'Q3'] as const),
    ...between('aqic-v7', 'linux-6.3').map((k) => [k, 'kvm.pqap.cc-unchanged-success', 'Q2'] as const),
  ])('%s: the cc rule %s is flagged as quirk %s', (kernel, rule, quirk) => {
    expect(probeStep({ kernel }).trace.find((t) => t.rule === rule)?.quirk).toBe(quirk)
  })

  it.each(between('aqic-v3', 'aqic-v6'))('%s (Q3): cc never set, even when the hook answers RC ≠ 0', (kernel) => {
    for (const ccBefore of [0, 1, 2, 3] as const) {
      const s = probeStep({ kernel, ccBefore, queue: { assigned: false } })
      expect(s.cc).toBe(ccBefore)
    }
  })

  it.each(WITH_HANDLER)(
    '%s: a hook that returns -EOPNOTSUPP (vCPU without ECA_AIV) leaves the answer to user space → OP',
    (kernel) => {
      const s = probeStep({ kernel, gisa: false, ccBefore: 2 })
      expectOutcome(s, { kind: 'OP', by: 'vfio_ap.hook.no-aiv-fac65' })
      expect(traceRules(s.trace)).toContain('kvm.pqap.hook-eopnotsupp')
    },
  )
})

describe('facility 65 gating (§3.8, §5.3)', () => {
  const host65 = between('aqic-v3', 'aqic-v7')
  const host65aiv = NEW

  it.each([
    ['never', false, false, false],
    ['never', true, true, false],
    ['host65', true, false, true],
    ['host65', true, true, true],
    ['host65', false, true, false],
    ['host65+aiv', true, true, true],
    ['host65+aiv', true, false, false],
    ['host65+aiv', false, true, false],
  ] as const)('gating %s, host 65 %s, AIV %s → offered %s', (gating, fac65, aiv, offered) => {
    const kernel = { never: 'linux-5.2', host65: 'aqic-v5', 'host65+aiv': 'linux-5.3' }[gating]
    const m = machine({ kernel, mdev: null, host: { facilities: { 65: fac65 }, aiv } })
    expect(kvmOfferedFacilities(m.host)[65]).toBe(offered)
    expect(m.vm.facilities[65]).toBe(offered)
  })

  it.each(host65)('%s: a host without AIV still offers facility 65', (kernel) => {
    const m = machine({ kernel, mdev: null, host: { aiv: false } })
    expect(m.vm.facilities[65]).toBe(true)
    const s = probeStep({ kernel, vfio: kernel === 'aqic-v3' ? 'loaded' : 'none', host: { aiv: false } })
    expect(traceRules(s.trace)).not.toContain('kvm.pqap.fac65-missing')
  })

  it('aqic-v5 without AIV: no hook → RC 0x01 answer (no exception)', () => {
    const s = probeStep({ kernel: 'aqic-v5', vfio: 'none', host: { aiv: false } })
    expectOutcome(s, { kind: 'ANS', rc: 0x01, cc: SAME, place: 'hi' })
  })

  it.each(host65aiv)('%s: a host without AIV does not offer facility 65 → AQIC gets SPEC', (kernel) => {
    const m = machine({ kernel, mdev: null, host: { aiv: false } })
    expect(m.vm.facilities[65]).toBe(false)
    expectOutcome(probeStep({ kernel, vfio: 'none', host: { aiv: false } }), {
      kind: 'SPEC',
      by: 'kvm.pqap.fac65-missing',
    })
  })

  it.each(WITH_HANDLER)('%s: a host without facility 65 never offers it', (kernel) => {
    const m = machine({ kernel, mdev: null, host: { facilities: { 65: false } } })
    expect(m.vm.facilities[65]).toBe(false)
  })

  it('aqic-v3: facility 65 missing → SPEC with a hook, OP without (the hook test comes first)', () => {
    expectOutcome(probeStep({ kernel: 'aqic-v3', cpu: { features: { apqi: false } } }), {
      kind: 'SPEC',
      by: 'kvm.pqap.fac65-missing',
    })
    expectOutcome(probeStep({ kernel: 'aqic-v3', vfio: 'none', cpu: { features: { apqi: false } } }), {
      kind: 'OP',
      by: 'kvm.pqap.hook-missing-first',
    })
  })

  it('aqic-v5-alt: facility 65 missing → SPEC by default (fac65MissingResult = spec)', () => {
    expectOutcome(probeStep({ kernel: 'aqic-v5-alt', vfio: 'none', cpu: { features: { apqi: false } } }), {
      kind: 'SPEC',
      by: 'kvm.pqap.fac65-missing',
    })
  })

  it("aqic-v5-alt with fac65MissingResult = 'op': facility 65 missing → OP", () => {
    const base = kernelProfile('aqic-v5-alt')!
    const kernel = { ...base, kvm: { ...base.kvm, fac65MissingResult: 'op' as const } }
    const m = machine({ kernel, mdev: null, guest: { cpu: { model: 'host', features: { apqi: false } } } })
    const r = m.run(AQIC)
    expect(r.pgm).toBe(0x01)
    expect(traceRules(r.trace)).toContain('kvm.pqap.fac65-missing-to-user')
  })
})

describe('architecture-faithful mode (§2)', () => {
  it.each(WITH_HANDLER)('%s: no hook → RC 0x01 in GR1 bits 32–63, cc 3, no OP', (kernel) => {
    const s = probeStep({ kernel, vfio: 'none', mode: 'architecture-faithful', ccBefore: 1 })
    expectOutcome(s, { kind: 'ANS', rc: 0x01, cc: 3, place: 'lo' })
    expect(regOut(s, 1) >> 32n).toBe(0n)
  })

  it.each(WITH_HANDLER)('%s: enable of an assigned queue → RC 0, cc 0, status in bits 32–63 with I = 1', (kernel) => {
    const s = probeStep({ kernel, mode: 'architecture-faithful', ccBefore: 2 })
    expectOutcome(s, { kind: 'ANS', rc: 0x00, cc: 0, place: 'lo' })
    expect(regOut(s, 1) >> 32n).toBe(0n)
    expect(s.status?.I).toBe(1)
  })

  it.each(WITH_HANDLER)('%s: an APQN outside the guest masks → RC 0x01, cc 3, even with an mdev', (kernel) => {
    const s = probeStep({ kernel, mode: 'architecture-faithful', queue: { assigned: false } })
    expectOutcome(s, { kind: 'ANS', rc: 0x01, cc: 3, place: 'lo' })
    expect(regOut(s, 1) >> 32n).toBe(0n)
  })

  it.each(WITH_HANDLER)('%s: disable of a disabled queue → RC 0x07, cc 3', (kernel) => {
    const s = probeStep({ kernel, mode: 'architecture-faithful', insn: AQIC_DISABLE })
    expectOutcome(s, { kind: 'ANS', rc: 0x07, cc: 3, place: 'lo' })
  })
})

describe('hook call (K) reaches vfio_ap', () => {
  it.each(WITH_HANDLER)('%s: with an mdev the answer comes from vfio_ap', (kernel) => {
    const s = probeStep({ kernel })
    expect(s.handledBy).toBe('vfio_ap')
    expect(traceRules(s.trace)).toContain('kvm.pqap.call-hook')
    expect(traceRules(s.trace)[0]).toBe('fw.aqic.intercept')
  })

  it.each(KERNELS)('%s: AQIC is never interpreted by the firmware (FW-1)', (kernel) => {
    const s = probeStep({ kernel })
    expect(s.handledBy).not.toBe('firmware')
  })

  it('probe helper sanity: the default probe is an AQIC enable', () => {
    const r = probe({ kernel: 'linux-6.8' })
    expect(r.step?.fcName).toBe('AQIC')
    expect(r.apqn).toBe('05.0004')
  })
})
