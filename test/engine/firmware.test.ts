// The machine under SIE (architecture.md §14, FW-1 … FW-16), with ECA_APIE on (qemu-4.1) unless noted.
import { describe, expect, it } from 'vitest'
import { parseInsnText } from '../../src-main/engine/insn-text'
import { KERNEL_PROFILES } from '../../src-main/engine/profiles'
import type { RuleId } from '../../src-main/engine/rules'
import {
  KERNELS,
  expectOutcome,
  hiWord,
  loWord,
  machine,
  probeStep,
  regOut,
  statusFields,
  traceRules,
  type TestMachine,
} from './machine-helper'

const rcOf = (gr1: bigint) => Number((gr1 >> 16n) & 0xffn)

function expectStored(
  m: TestMachine,
  r: { pgm: number; cc: number; outcome: { rule: RuleId } },
  rc: number,
  rule?: RuleId,
) {
  expect(r.pgm).toBe(0)
  expect(r.cc).toBe(rc === 0 ? 0 : 3)
  expect(rcOf(m.gr(1))).toBe(rc)
  expect(hiWord(m.gr(1)), 'GR1 bits 0–31 are zero after a firmware store (OQ-8)').toBe(0)
  if (rule) expect(r.outcome.rule).toBe(rule)
}

function expectPgm(r: { pgm: number; outcome: { rule: RuleId; handledBy: string } }, pgm: number, rule: RuleId) {
  expect(r.pgm).toBe(pgm)
  expect(r.outcome.handledBy).toBe('firmware')
  expect(r.outcome.rule).toBe(rule)
}

describe('FW-1/FW-10: TAPQ is interpreted', () => {
  it('TAPQ of an assigned queue: cc 0, RC 0, E = 1, I = 0', () => {
    const m = machine()
    m.set(1, 0xdeadbeef_deadbeefn)
    const r = m.run('pqap tapq 05.0004')
    expectStored(m, r, 0, 'fw.tapq')
    expect(statusFields(loWord(m.gr(1)))).toMatchObject({ rc: 0, E: 1, R: 0, F: 0, I: 0 })
  })

  it('T = 1: GR2 holds the full hardware information (type 14 for CEX8, CCA mode bit, APXA bit, ML, depth)', () => {
    const m = machine({ adapters: [{ id: 5, domains: [4, 5], type: 'CEX8', mode: 'CCA', ml: 3, depth: 8 }] })
    m.run('pqap tapq 05.0004 t=1')
    const gr2 = m.gr(2)
    expect(hiWord(gr2) & 0x1c000000).toBe(0x10000000) // D (CCA) only among A/D/X
    expect(hiWord(gr2) & 0x02000000).toBe(0x02000000) // N: APXA installed
    expect((loWord(gr2) >>> 24) & 0xff).toBe(14)
    expect((loWord(gr2) >>> 8) & 0xf).toBe(3)
    expect(loWord(gr2) & 0xf).toBe(7) // depth − 1 (lszcrypt prints depth + 1)
  })

  it.each([
    ['CEX4', 10],
    ['CEX5', 11],
    ['CEX6', 12],
    ['CEX7', 13],
    ['CEX8', 14],
  ] as const)('%s reports AP type %s', (type, apType) => {
    const m = machine({ adapters: [{ id: 5, domains: [4], type }] })
    m.run('pqap tapq 05.0004 t=1')
    expect((loWord(m.gr(2)) >>> 24) & 0xff).toBe(apType)
  })

  it.each([
    ['Accelerator', 0x08000000],
    ['CCA', 0x10000000],
    ['EP11', 0x04000000],
  ] as const)('mode %s sets hwinfo bit 0x%s', (mode, bit) => {
    const m = machine({ adapters: [{ id: 5, domains: [4], mode }] })
    m.run('pqap tapq 05.0004 t=1')
    expect(hiWord(m.gr(2)) & 0x1c000000).toBe(bit)
  })

  it('host without APXA: hwinfo bit 6 is 0', () => {
    const m = machine({ host: { apxa: false } })
    m.run('pqap tapq 05.0004 t=1')
    expect(hiWord(m.gr(2)) & 0x02000000).toBe(0)
  })

  it('T = 0 (OQ-12): bits 32–63 as with T = 1, bits 0–31 zero', () => {
    const m = machine()
    m.run('pqap tapq 05.0004 t=1')
    const full = m.gr(2)
    m.set(2, 0xffffffff_ffffffffn)
    m.run('pqap tapq 05.0004')
    expect(hiWord(m.gr(2))).toBe(0)
    expect(loWord(m.gr(2))).toBe(loWord(full))
  })

  it.each(KERNELS)('%s: TAPQ never reaches KVM (the firmware answers for every kernel)', (kernel) => {
    const s = probeStep({ kernel, insn: 'pqap tapq 05.0004 t=1' })
    expect(s.handledBy).toBe('firmware')
    expect(s.cc).toBe(0)
  })

  it('AQIC always intercepts (FW-1): its first trace record says so', () => {
    const s = probeStep({ kernel: 'linux-6.8' })
    expect(s.trace[0]?.rule).toBe('fw.aqic.intercept')
    expect(s.handledBy).not.toBe('firmware')
  })
})

describe('FW-9: queue not in the configuration → cc 3, RC 0x01', () => {
  it.each([
    'pqap tapq 05.0004',
    'pqap rapq 05.0004',
    'pqap zapq 05.0004',
    'pqap qact 05.0004',
    'nqap 05.0004',
    'dqap 05.0004 r1=4 r2=6',
  ])('%s with the mdev attached but the queue not assigned', (insn) => {
    const s = probeStep({ kernel: 'linux-6.8', insn, queue: { assigned: false } })
    expect(s.handledBy).toBe('firmware')
    expect(s.pgm).toBeNull()
    expect(s.cc).toBe(3)
    expect(s.status?.rc).toBe(0x01)
    expect(s.rule).toBe('fw.queue-not-configured')
  })

  it('APID in the APM but APQI not in the AQM (05.0005 when only domain 4 is assigned)', () => {
    const m = machine()
    expectStored(m, m.run('pqap tapq 05.0005'), 0x01, 'fw.queue-not-configured')
  })

  it('a control domain alone does not make a queue usable', () => {
    const m = machine({ mdev: { uuid: 'm1', adapters: [5], domains: [4], controlDomains: [4, 5] } })
    expectStored(m, m.run('pqap tapq 05.0005'), 0x01)
  })

  it('a queue in the CRYCB that does not exist on the host → RC 0x01', () => {
    const m = machine({ mdev: { uuid: 'm1', adapters: [5, 6], domains: [4] }, adapters: [{ id: 5, domains: [4] }] })
    expectStored(m, m.run('pqap tapq 06.0004'), 0x01)
  })

  it('without the vfio-ap device the guest sees no queue at all', () => {
    const s = probeStep({ kernel: 'linux-6.8', vfio: 'none', insn: 'pqap tapq 05.0004' })
    expect(s.cc).toBe(3)
    expect(s.status?.rc).toBe(0x01)
  })
})

describe('FW-4: function codes that are not installed → SPEC', () => {
  it.each([0x06, 0x07, 0x08, 0x09, 0x2a, 0xff])('FC 0x%s', (fc) => {
    const m = machine()
    const r = m.run(`pqap fc=${fc} 05.0004`)
    expectPgm(r, 0x06, 'fw.fc-not-installed')
  })

  it('QCI without facility 12 (apqci=off)', () => {
    const m = machine({ guest: { cpu: { model: 'host', features: { apqci: false } } } })
    expectPgm(m.run('pqap qci'), 0x06, 'fw.fc-not-installed')
  })

  it.each([0, 1, 2, 4, 5])('FC %s is installed with the default CPU model', (fc) => {
    const m = machine()
    const r = m.run(`pqap fc=${fc} 05.0004`)
    expect(r.pgm).toBe(0)
  })
})

describe('FW-5: reserved GR0 bits per FC', () => {
  it.each([
    ['pqap tapq 05.0004', 41, true],
    ['pqap tapq 05.0004', 47, true],
    ['pqap qci', 41, true],
    ['pqap rapq 05.0004', 41, false],
    ['pqap zapq 05.0004', 41, false],
    ['pqap qact 05.0004', 41, false],
    ['pqap rapq 05.0004', 42, true],
    ['pqap zapq 05.0004', 47, true],
    ['pqap qact 05.0004', 44, true],
  ] as const)('%s with GR0 bit %s: SPEC = %s', (insn, bit, spec) => {
    const m = machine()
    const base = BigInt(parseInsnText(insn).regs[0]!.lo)
    const r2 = m.run(insn, { 0: base | (1n << BigInt(63 - bit)) })
    if (spec) expectPgm(r2, 0x06, 'fw.reserved-bits')
    else expect(r2.pgm).toBe(0)
  })

  it('T bit without APFT (apft=off) → SPEC', () => {
    const m = machine({ guest: { cpu: { model: 'host', features: { apft: false } } } })
    expectPgm(m.run('pqap tapq 05.0004 t=1'), 0x06, 'fw.t-bit-without-apft')
  })

  it('T bit on RAPQ with APFT installed is accepted (OQ-10)', () => {
    const m = machine()
    expect(m.run('pqap rapq 05.0004 t=1').pgm).toBe(0)
  })

  it('GR0 bits 0–31 are ignored', () => {
    const m = machine()
    const r = m.run('pqap tapq 05.0004', { 0: 0xffffffff_00000504n })
    expectStored(m, r, 0, 'fw.tapq')
  })
})

describe('FW-6: APQN range without APXA (CRYCB format 1)', () => {
  it.each(['pqap tapq 40.0004', 'pqap tapq 05.0010', 'pqap rapq ff.00ff', 'nqap 40.0004', 'dqap 05.0010 r1=4 r2=6'])(
    '%s → SPEC',
    (insn) => {
      const m = machine({ host: { apxa: false } })
      expectPgm(m.run(insn), 0x06, 'fw.apqn-range')
    },
  )

  it('QCI takes no APQN: the range check does not apply', () => {
    const m = machine({ host: { apxa: false } })
    expect(m.run('pqap qci', { 0: 0x04000000n | 0xff0fn }).pgm).toBe(0)
  })

  it('with APXA (format 2) APID 64 is a queue result, not an exception', () => {
    const m = machine()
    expectStored(m, m.run('pqap tapq 40.0004'), 0x01)
  })
})

describe('FW-3, OQ-1: problem state → PRIV before any specification condition', () => {
  it.each([
    ['pqap tapq 05.0004', {}],
    ['pqap fc=0x2a 05.0004', {}],
    ['pqap tapq 05.0004', { 0: 0x007f0504n }],
    ['pqap qci', { 2: 0x3004n }],
    ['nqap 05.0004 r1=3', {}],
    ['nqap 05.0004 len=0', {}],
    ['dqap 05.0004 r1=4 r2=6', { 0: 0xf0c00504n }],
  ] as [string, Record<number, bigint>][])('%s (case %#)', (insn, regs) => {
    const m = machine()
    m.setPsw({ problem: true })
    expectPgm(m.run(insn, regs), 0x02, 'fw.privileged')
  })
})

describe('FW-7, FW-15: QCI', () => {
  it('misaligned block address → SPEC', () => {
    const m = machine()
    for (const addr of [0x3001n, 0x3004n, 0x3007n]) expectPgm(m.run('pqap qci', { 2: addr }), 0x06, 'fw.qci-alignment')
  })

  it('block outside guest memory → ADDRESSING', () => {
    const m = machine()
    expectPgm(m.run('pqap qci', { 2: BigInt(64 * 1024 * 1024 - 64) }), 0x05, 'fw.addressing')
  })

  it('format 2: stores N = 1, Na/Nd from the host, and the CRYCB masks; cc 0; GR1 untouched', () => {
    const m = machine({
      mdev: { uuid: 'm1', adapters: [5, 200], domains: [4, 100], controlDomains: [4, 7] },
      adapters: [
        { id: 5, domains: [4, 100] },
        { id: 200, domains: [4, 100] },
      ],
    })
    m.setPsw({ cc: 2 })
    const r = m.run('pqap qci', { 1: 0x1234n, 2: 0x3000n })
    expect(r.pgm).toBe(0)
    expect(r.cc).toBe(0)
    expect(m.gr(1)).toBe(0x1234n)
    const b = m.guestBytes(0x3000, 128)
    expect(b[0]! & 0x40).toBe(0x40)
    expect(b[4]).toBe(255)
    expect(b[5]).toBe(255)
    const bitOf = (base: number, id: number) => (b[base + (id >> 3)]! & (0x80 >> (id & 7))) !== 0
    const ids = (base: number) => Array.from({ length: 256 }, (_, i) => i).filter((i) => bitOf(base, i))
    expect(ids(16)).toEqual([5, 200])
    expect(ids(48)).toEqual([4, 100])
    expect(ids(80)).toEqual([4, 7])
    expect(b.slice(112)).toEqual(new Array(16).fill(0))
  })

  it('format 1 (host without APXA): N = 0, Na = 63, Nd = 15, masks from APCB0', () => {
    const m = machine({
      host: { apxa: false },
      mdev: { uuid: 'm1', adapters: [5, 63], domains: [4, 15] },
      adapters: [
        { id: 5, domains: [4, 15] },
        { id: 63, domains: [4, 15] },
      ],
    })
    expect(m.vm.crycbFormat).toBe(1)
    m.run('pqap qci', { 2: 0x3000n })
    const b = m.guestBytes(0x3000, 128)
    expect(b[0]! & 0x40).toBe(0)
    expect(b[4]).toBe(63)
    expect(b[5]).toBe(15)
    expect(b.slice(16, 24)).toEqual([0x04, 0, 0, 0, 0, 0, 0, 0x01])
    expect(b.slice(24, 48)).toEqual(new Array(24).fill(0))
    expect(b.slice(48, 50)).toEqual([0x08, 0x01])
    expect(b.slice(50, 80)).toEqual(new Array(30).fill(0))
  })

  it('format 0 (no MSA3): N = 0', () => {
    const m = machine({ host: { facilities: { 76: false } } })
    expect(m.vm.crycbFormat).toBe(0)
    m.run('pqap qci', { 2: 0x3000n })
    expect(m.guestByte(0x3000) & 0x40).toBe(0)
    expect(m.guestByte(0x3004)).toBe(63)
  })
})

describe('FW-11: resets', () => {
  it.each(['rapq', 'zapq'])('%s then TAPQ: RC 0x02 during the 20 ms window, RC 0 with E = 1, I = 0 after', (fc) => {
    const m = machine()
    m.run(AQIC_ENABLE)
    expect(m.queue(0x0504).irq.enabled).toBe(true)
    const reset = m.run(`pqap ${fc} 05.0004`)
    expectStored(m, reset, 0, 'fw.reset')
    expectStored(m, m.run('pqap tapq 05.0004'), 0x02, 'fw.reset-in-progress')
    m.advance(19_999)
    expectStored(m, m.run('pqap tapq 05.0004'), 0x02)
    m.advance(1)
    expectStored(m, m.run('pqap tapq 05.0004'), 0x00, 'fw.tapq')
    expect(statusFields(loWord(m.gr(1)))).toMatchObject({ E: 1, I: 0 })
  })

  it('during the reset NQAP, DQAP and a second RAPQ also get RC 0x02 (OQ-11)', () => {
    const m = machine()
    m.run('pqap rapq 05.0004')
    for (const insn of ['nqap 05.0004', 'dqap 05.0004 r1=4 r2=6', 'pqap rapq 05.0004', 'pqap qact 05.0004'])
      expectStored(m, m.run(insn), 0x02)
  })

  it('the reset window is a model parameter', () => {
    const m = machine({ host: { resetWindowUs: 5 } })
    m.run('pqap rapq 05.0004')
    m.advance(5)
    expectStored(m, m.run('pqap tapq 05.0004'), 0)
  })

  it('a reset discards queued requests and replies', () => {
    const m = machine()
    m.run('nqap 05.0004')
    m.advance(1000)
    m.run('pqap rapq 05.0004')
    m.advance(20_000)
    m.run('pqap tapq 05.0004')
    expect(statusFields(loWord(m.gr(1)))).toMatchObject({ E: 1, R: 0 })
    expectStored(m, m.run('dqap 05.0004 r1=4 r2=6'), 0x10)
  })
})

const AQIC_ENABLE = 'pqap aqic 05.0004 ir=1 isc=6 nib=0x2000'

describe('FW-9 gate states: check-stopped and deconfigured adapters', () => {
  it.each([
    ['checkstopped', 0x04, 'fw.checkstopped'],
    ['deconfigured', 0x03, 'fw.deconfigured'],
  ] as const)('%s → RC 0x%s for TAPQ, NQAP and DQAP', (state, rc, rule) => {
    const m = machine({ adapters: [{ id: 5, domains: [4, 5], state }] })
    expectStored(m, m.run('pqap tapq 05.0004'), rc, rule)
    expectStored(m, m.run('nqap 05.0004'), rc, rule)
    expectStored(m, m.run('dqap 05.0004 r1=4 r2=6'), rc, rule)
  })
})

describe('FW-13: AQIC effects seen through TAPQ', () => {
  it('after a successful enable TAPQ reports I = 1; after a disable I = 0', () => {
    const m = machine()
    m.run(AQIC_ENABLE)
    m.run('pqap tapq 05.0004')
    expect(statusFields(loWord(m.gr(1))).I).toBe(1)
    m.run('pqap aqic 05.0004 ir=0')
    m.run('pqap tapq 05.0004')
    expect(statusFields(loWord(m.gr(1))).I).toBe(0)
  })
})

describe('FW-8: NQAP/DQAP specification conditions', () => {
  it.each([
    ['nqap 05.0004 r1=3', 'fw.odd-register'],
    ['nqap 05.0004 r2=5', 'fw.odd-register'],
    ['dqap 05.0004 r1=5 r2=6', 'fw.odd-register'],
    ['dqap 05.0004 r1=4 r2=7', 'fw.odd-register'],
    ['nqap 05.0004 len=0', 'fw.length-zero'],
    ['dqap 05.0004 r1=4 r2=6 len=0', 'fw.length-zero'],
    ['nqap 05.0004 len=12289', 'fw.length-too-big'],
    ['dqap 05.0004 r1=4 r2=6 len=12289', 'fw.length-too-big'],
    ['nqap 05.0004 len=0x100000000', 'fw.length-too-big'],
  ] as [string, RuleId][])('%s → SPEC (%s)', (insn, rule) => {
    const m = machine()
    expectPgm(m.run(insn), 0x06, rule)
  })

  it.each([32, 34, 35, 40])('NQAP GR0 bit %s must be zero', (bit) => {
    const m = machine()
    expectPgm(m.run('nqap 05.0004', { 0: 0x40000504n | (1n << BigInt(63 - bit)) }), 0x06, 'fw.must-be-zero')
  })

  it.each([33, 34, 35, 40, 41])('DQAP GR0 bit %s must be zero', (bit) => {
    const m = machine()
    expectPgm(m.run('dqap 05.0004 r1=4 r2=6', { 0: 0x80000504n | (1n << BigInt(63 - bit)) }), 0x06, 'fw.must-be-zero')
  })

  it.each([
    ['NQAP with L and special', 'nqap 05.0004 last=1 special=1'],
    ['NQAP GR0 bits 36–39 and 42–47 (OQ-6)', 'nqap 05.0004'],
    ['DQAP with bit 32', 'dqap 05.0004 r1=4 r2=6'],
  ])('%s is accepted', (name, insn) => {
    const m = machine()
    const regs: Record<number, bigint> = name.includes('OQ-6') ? { 0: 0x4f3f0504n } : {}
    expect(m.run(insn, regs).pgm).toBe(0)
  })

  it('12 KiB is the limit with ML 0; ML 4 allows 16 KiB', () => {
    const m = machine()
    expect(m.run('nqap 05.0004 len=12288').pgm).toBe(0)
    const m4 = machine({ adapters: [{ id: 5, domains: [4], ml: 4 }] })
    expect(m4.run('nqap 05.0004 len=16384').pgm).toBe(0)
    expectPgm(m4.run('nqap 05.0004 len=16385'), 0x06, 'fw.length-too-big')
    const m2 = machine({ adapters: [{ id: 5, domains: [4], ml: 2 }] })
    expectPgm(m2.run('nqap 05.0004 len=8193'), 0x06, 'fw.length-too-big')
  })

  it('OQ-14: an APQN outside the configuration is measured against 12 KiB first, then gets RC 0x01', () => {
    const m = machine()
    expectPgm(m.run('nqap 05.0005 len=12289'), 0x06, 'fw.length-too-big')
    expectStored(m, m.run('nqap 05.0005 len=256'), 0x01)
  })

  it.each([
    'nqap 05.0004 addr=0x3ffff00 len=512',
    'dqap 05.0004 r1=4 r2=6 addr=0x3fffff0 len=4096',
    'nqap 05.0004 addr=0x100000000',
  ])('%s: operand outside guest memory → ADDRESSING', (insn) => {
    const m = machine()
    expectPgm(m.run(insn), 0x05, 'fw.addressing')
  })
})

describe('FW-14: the message path', () => {
  it('NQAP then DQAP before the latency → RC 0x10; after it → cc 0 and the PSMID in the R1 pair', () => {
    const m = machine({ adapters: [{ id: 5, domains: [4], latencyUs: 50 }] })
    expectStored(m, m.run('nqap 05.0004 r1=2 r2=4 psmid=0x1122334455667788 len=256'), 0, 'fw.nqap.enqueued')
    expectStored(m, m.run('dqap 05.0004 r1=8 r2=10 len=4096'), 0x10, 'fw.dqap.no-reply')
    m.advance(49)
    expectStored(m, m.run('dqap 05.0004 r1=8 r2=10 len=4096'), 0x10)
    m.advance(1)
    m.set(8, 0xaaaaaaaa_00000000n)
    const r = m.run('dqap 05.0004 r1=8 r2=10 len=4096')
    expectStored(m, r, 0, 'fw.dqap.reply')
    expect(loWord(m.gr(8))).toBe(0x11223344)
    expect(loWord(m.gr(9))).toBe(0x55667788)
    expect(statusFields(loWord(m.gr(1)))).toMatchObject({ E: 1, R: 0 })
  })

  it('TAPQ shows E = 0 while a request is queued and R = 1 when the reply is there', () => {
    const m = machine()
    m.run('nqap 05.0004')
    m.run('pqap tapq 05.0004')
    expect(statusFields(loWord(m.gr(1)))).toMatchObject({ E: 0, R: 0 })
    m.advance(1000)
    m.run('pqap tapq 05.0004')
    expect(statusFields(loWord(m.gr(1)))).toMatchObject({ E: 0, R: 1 })
  })

  it('queue full at the adapter depth → RC 0x10 with F = 1', () => {
    const m = machine({ adapters: [{ id: 5, domains: [4], depth: 4, latencyUs: 1_000_000 }] })
    for (let i = 0; i < 4; i++) expect(m.run(`nqap 05.0004 psmid=${i + 1}`).cc).toBe(0)
    const full = m.run('nqap 05.0004 psmid=9')
    expectStored(m, full, 0x10, 'fw.nqap.full')
    expect(statusFields(loWord(m.gr(1))).F).toBe(1)
  })

  it('a buffer shorter than the reply → cc 1; reissuing receives the rest', () => {
    const m = machine()
    m.run('nqap 05.0004 len=256')
    m.advance(1000)
    const part = m.run('dqap 05.0004 r1=4 r2=6 len=100')
    expect(part.cc).toBe(1)
    expect(part.outcome.rule).toBe('fw.dqap.partial')
    const rest = m.run('dqap 05.0004 r1=4 r2=6 len=200')
    expect(rest.cc).toBe(0)
    expect(rest.outcome.rule).toBe('fw.dqap.reply')
  })

  it('a reply on an interrupt-enabled queue sets the NIB byte and the GISA IPM bit for the guest ISC', () => {
    const m = machine()
    m.run('pqap aqic 05.0004 ir=1 isc=6 nib=0x2000')
    expect(m.guestByte(0x2000)).toBe(0)
    m.run('nqap 05.0004')
    m.advance(1000)
    const r = m.run('pqap tapq 05.0004')
    expect(traceRules(r.trace)).toContain('fw.reply.irq')
    expect(m.guestByte(0x2000)).not.toBe(0)
    expect(m.vm.gisa!.ipm & (1 << (7 - 6))).not.toBe(0)
  })
})

describe('FW-16: a program interruption changes neither registers nor cc', () => {
  it.each([
    ['pqap fc=0x2a 05.0004', {}],
    ['pqap tapq 05.0004', { 0: 0x00010504n }],
    ['pqap qci', { 2: 0x3003n }],
    ['nqap 05.0004 r1=3', {}],
    ['nqap 05.0004 len=0', {}],
    ['nqap 05.0004 addr=0x8000000', {}],
  ] as [string, Record<number, bigint>][])('%s (case %#)', (insn, regs) => {
    const m = machine()
    for (let r = 0; r < 16; r++) m.set(r, 0x0101010101010101n * BigInt(r + 1))
    const parsed = parseInsnText(insn)
    for (const [r, v] of Object.entries(parsed.regs)) m.set(Number(r), (BigInt(v.hi) << 32n) | BigInt(v.lo))
    for (const [r, v] of Object.entries(regs)) m.set(Number(r), v)
    m.setPsw({ cc: 1 })
    const before = Array.from({ length: 16 }, (_, r) => m.gr(r))
    const r = m.exec(parsed.insn)
    expect(r.pgm).not.toBe(0)
    expect(Array.from({ length: 16 }, (_, i) => m.gr(i))).toEqual(before)
    expect(r.cc).toBe(1)
  })
})

describe('FW-2: ECA_APIE off (qemu-3.0): every AP instruction → OPERATION through QEMU', () => {
  const insns = [
    'pqap tapq 05.0004',
    'pqap rapq 05.0004',
    'pqap zapq 05.0004',
    'pqap qci',
    'pqap qact 05.0004',
    'pqap fc=0x2a',
    AQIC_ENABLE,
    'nqap 05.0004',
    'dqap 05.0004 r1=4 r2=6',
    'nqap 05.0004 r1=3',
  ]
  it.each(KERNEL_PROFILES.flatMap((k) => insns.map((i) => [k.id, i] as const)))('%s: %s', (kernel, insn) => {
    for (const psw of ['supervisor', 'problem'] as const) {
      const s = probeStep({ kernel, qemu: 'qemu-3.0', vfio: 'none', insn, psw })
      expectOutcome(s, { kind: 'OP' })
      expect(s.trace[0]?.rule).toBe('fw.apie-off.intercept')
      expect(regOut(s, 1).toString(16)).toBe(BigInt(s.regsIn['r1'] ?? '0x0').toString(16))
    }
  })
})
