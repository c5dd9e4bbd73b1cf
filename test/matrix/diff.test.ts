// ABI diffs between profiles (aplab diff): the changes the catalogue documents, table-driven.
// Each case sweeps the full configuration space for a few probes, in this thread.
import { describe, expect, it } from 'vitest'
import {
  DIFF_PROBES,
  DiffError,
  PROBE_SETS,
  diffFromCells,
  diffPlan,
  presentCoord,
  resolveProbes,
  type AbiChange,
  type AbiDiff,
} from '../../src-main/engine/abi-diff'
import { computeCells } from '../../src-main/engine/matrix'
import { compileMatrixSpec } from '../../src-main/engine/matrix-spec'

const cache = new Map<string, AbiDiff>()
function diff(a: string, b: string, probes: string[]): AbiDiff {
  const key = [a, b, ...probes].join(' ')
  let d = cache.get(key)
  if (!d) {
    const plan = diffPlan(a, b, probes)
    const m = compileMatrixSpec(plan.spec)
    d = diffFromCells(m, computeCells(m, false), plan.kind)
    cache.set(key, d)
  }
  return d
}

function find(cs: readonly AbiChange[], before: RegExp | string, after: RegExp | string, rule?: string) {
  const ok = (s: string, p: RegExp | string) => (typeof p === 'string' ? s === p : p.test(s))
  return cs.find((c) => ok(c.before.outcome, before) && ok(c.after.outcome, after) && (!rule || c.after.rule === rule))
}

describe.each([
  {
    title: 'linux-5.2 → linux-5.3: the seed change, OPERATION → SPECIFICATION without facility 65',
    a: 'linux-5.2',
    b: 'linux-5.3',
    probes: ['aqic-enable'],
    before: 'OPERATION (qemu)',
    after: 'SPECIFICATION (kvm)',
    rule: 'kvm.pqap.fac65-missing',
    where: /qemu = Q-old or Q-new\/off, psw = supervisor/,
  },
  {
    title: 'linux-5.2 → linux-5.3: the no-hook answer, RC 0x01 in GR1 bits 0–31 with cc 3',
    a: 'linux-5.2',
    b: 'linux-5.3',
    probes: ['aqic-enable'],
    before: 'OPERATION (qemu)',
    after: 'cc 3, RC 0x01 Q_NOT_AVAIL in GR1 bits 0–31 (kvm)',
    rule: 'kvm.pqap.no-hook-rc01',
    where: /vfio = none or loaded, psw = supervisor, aiv = on/,
  },
  {
    title: 'linux-5.2 → linux-5.3: problem state gets PRIVILEGED-OPERATION',
    a: 'linux-5.2',
    b: 'linux-5.3',
    probes: ['aqic-enable'],
    before: 'OPERATION (qemu)',
    after: 'PRIVILEGED_OP (kvm)',
    rule: 'kvm.pqap.problem-state',
    where: /psw = problem/,
  },
  {
    title: 'linux-6.3 → linux-6.8: the cc fix, cc unchanged → cc 0 after a successful AQIC',
    a: 'linux-6.3',
    b: 'linux-6.8',
    probes: ['aqic-enable', 'aqic-gisc-fail'],
    before: 'cc 1, RC 0x00 NORMAL [E I] in GR1 bits 32–63 (vfio_ap)',
    after: 'cc 0, RC 0x00 NORMAL [E I] in GR1 bits 32–63 (vfio_ap)',
    rule: 'vfio_ap.irq.enabled',
    where: /probe = aqic-enable, .*vfio = mdev/,
  },
  {
    title: 'linux-6.3 → linux-6.8: GISC registration failure RC 0x08 → 0x06',
    a: 'linux-6.3',
    b: 'linux-6.8',
    probes: ['aqic-enable', 'aqic-gisc-fail'],
    before: /RC 0x08 INVALID_GISA/,
    after: /RC 0x06 INVALID_ADDRESS/,
    rule: 'vfio_ap.irq.gisc-failed-rc06',
    where: /probe = aqic-gisc-fail/,
  },
  {
    title: 'linux-6.0 → linux-6.3: NIB 0 → RC 0x06',
    a: 'linux-6.0',
    b: 'linux-6.3',
    probes: ['aqic-nib-0', 'aqic-enabled-again'],
    before: 'cc 1, RC 0x00 NORMAL in GR1 bits 32–63 (vfio_ap)',
    after: 'cc 3, RC 0x06 INVALID_ADDRESS in GR1 bits 32–63 (vfio_ap)',
    rule: 'vfio_ap.irq.nib-zero',
    where: /probe = aqic-nib-0/,
  },
  {
    title: 'linux-6.0 → linux-6.3: the Q5 fix, the host RC 0x07 reaches the guest',
    a: 'linux-6.0',
    b: 'linux-6.3',
    probes: ['aqic-nib-0', 'aqic-enabled-again'],
    before: 'cc 1, RC 0x00 NORMAL in GR1 bits 32–63 (vfio_ap)',
    after: /cc 3, RC 0x07 OTHERWISE_CHANGED/,
    rule: 'vfio_ap.irq.rc07',
    where: /probe = aqic-enabled-again/,
  },
  {
    title: 'linux-5.15 → linux-6.0: a failing GISC registration is now checked (RC 0x08)',
    a: 'linux-5.15',
    b: 'linux-6.0',
    probes: ['aqic-nib-outside', 'aqic-gisc-fail'],
    before: 'cc 1, RC 0x00 NORMAL in GR1 bits 32–63 (vfio_ap)',
    after: /RC 0x08 INVALID_GISA/,
    rule: 'vfio_ap.irq.gisc-failed-rc08',
    where: /probe = aqic-gisc-fail/,
  },
  {
    title: 'qemu-4.0 → qemu-4.1: apqi offers AQIC, SPECIFICATION → the no-hook answer',
    a: 'qemu-4.0',
    b: 'qemu-4.1',
    probes: ['aqic-enable'],
    before: 'SPECIFICATION (kvm)',
    after: 'cc 3, RC 0x01 Q_NOT_AVAIL in GR1 bits 0–31 (kvm)',
    rule: 'kvm.pqap.no-hook-rc01',
    where: /cpu = host, vfio = none or loaded/,
  },
])('$title', ({ a, b, probes, before, after, rule, where }) => {
  it('is listed with the rules that decided and their sources', () => {
    const d = diff(a, b, probes)
    const c = find(d.changes, before, after, rule)
    expect(c, d.changes.map((x) => `${x.summary} [${x.after.rule}]`).join('\n')).toBeDefined()
    expect(c!.kind).toBe('visible')
    expect(c!.before.ref).toMatch(/^(linux|qemu) v|^linux latest|^architecture/)
    if (b.startsWith('linux')) expect(c!.after.ref).toContain(`linux v${b.slice(6)}`)
    else expect(c!.after.ref).toMatch(/^(linux|qemu) v/)
    expect(c!.after.text!.length).toBeGreaterThan(10)
    expect(c!.cells).toBe(c!.members.length)
    expect(c!.conditions.join('\n')).toMatch(where)
    expect(c!.examples[0]!.after.trace.length).toBeGreaterThan(0)
  })
})

describe('changes that are not guest-visible', () => {
  it('linux-5.3 → linux-5.7: no guest-visible change, only the host WARN', () => {
    const d = diff('linux-5.3', 'linux-5.7', ['fc'])
    expect(d.changes).toEqual([])
    expect(d.summary).toMatch(/^No guest-visible change from linux-5.3 to linux-5.7/)
    expect(d.hostChanges.length).toBeGreaterThan(0)
    expect(d.hostChanges[0]!.before.outcome).toMatch(/WARN_ON_ONCE/)
    expect(d.hostChanges[0]!.after.outcome).toBe('(no host log)')
    expect(d.summary).toMatch(/Only host-side/)
  })

  it('linux-5.15 → linux-6.0: NIB outside memory is answered by the memslot check (same RC 0x06)', () => {
    const d = diff('linux-5.15', 'linux-6.0', ['aqic-nib-outside', 'aqic-gisc-fail'])
    const p = d.pathChanges.find((c) => c.before.rule === 'vfio_ap.irq.pin-failed')
    expect(p?.after.rule).toBe('vfio_ap.irq.nib-not-in-memslot')
    expect(p?.before.outcome).toBe('cc 3, RC 0x06 INVALID_ADDRESS in GR1 bits 32–63 (vfio_ap)')
    expect(p?.conditions.join(' ')).toMatch(/probe = aqic-nib-outside/)
  })

  it('linux-6.8 → linux-latest: nothing at all for the AQIC probes', () => {
    const d = diff('linux-6.8', 'linux-latest', ['aqic-enable', 'aqic-nib-0'])
    expect([d.changes, d.pathChanges, d.hostChanges]).toEqual([[], [], []])
  })
})

describe('presentation', () => {
  it('a set of most values of a long dimension is shown by what it leaves out', () => {
    const dim = { values: ['a', 'b', 'c', 'd', 'e', 'f'].map((id) => ({ id })) }
    expect(presentCoord(dim, 'a|b|c|d|e')).toBe('≠f')
    expect(presentCoord(dim, 'a|b|c')).toBe('a|b|c')
    expect(presentCoord(dim, 'x')).toBe('x')
    expect(presentCoord({ values: dim.values.slice(0, 3) }, 'a|b')).toBe('a|b')
  })
})

describe('the plan', () => {
  it('a kernel diff sweeps QEMU variants and the other dimensions; a QEMU diff sweeps kernels and CPU models', () => {
    const k = diffPlan('linux-5.2', 'linux-5.3').spec
    expect(k.dimensions.map((d) => d.id)).toEqual([
      'kernel',
      'qemu',
      'vfio',
      'psw',
      'gisa',
      'aiv',
      'apxa',
      'apft',
      'nested',
    ])
    expect(k.probes).toHaveLength(DIFF_PROBES.length)
    const q = diffPlan('qemu-4.0', 'qemu-4.1', ['aqic']).spec
    expect(q.dimensions.map((d) => d.id)).toEqual([
      'qemu',
      'kernel',
      'cpu',
      'vfio',
      'psw',
      'gisa',
      'aiv',
      'apxa',
      'apft',
      'nested',
    ])
    expect(q.probes).toHaveLength(PROBE_SETS.aqic!.length)
  })

  it('probe sets, probe ids and instruction texts', () => {
    expect(resolveProbes(['fc']).map((p) => p.id)).toEqual(PROBE_SETS.fc)
    expect(resolveProbes(['aqic-nib-0,tapq']).map((p) => p.id)).toEqual(['aqic-nib-0', 'tapq'])
    expect(resolveProbes(['pqap aqic 05.0004 nib=0'])[0]!.steps).toEqual(['pqap aqic 05.0004 nib=0'])
  })

  it.each([
    [['linux-9.9', 'linux-5.3'], 'profileA', /no kernel or QEMU profile named 'linux-9.9'/],
    [['linux-5.2', 'qemu-4.1'], 'profileB', /kernel profile but 'qemu-4.1' is a QEMU profile/],
    [['linux-5.2', 'linux-5.2'], 'profileB', /compared with itself/],
    [['linux-5.2', 'linux-5.3', 'bogus'], 'probes[0]', /unknown probe or probe set 'bogus'/],
  ])('%j → an error naming %s', (args, field, message) => {
    const [a, b, ...p] = args as string[]
    let err: unknown
    try {
      diffPlan(a!, b!, p)
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(DiffError)
    expect((err as DiffError).field).toBe(field)
    expect((err as DiffError).message).toMatch(message)
  })
})
