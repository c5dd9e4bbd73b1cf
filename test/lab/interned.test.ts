import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { EXAMPLE_SESSIONS } from '../../src-main/engine/examples'
import { runSession } from '../../src-main/engine/lab'
import { KERNEL_PROFILES } from '../../src-main/engine/profiles'
import type { StepResult } from '../../src-main/engine/results'
import { parseSession, type Session, type SessionInput } from '../../src-main/engine/session'
import { MAX_REMEMBERED, OutcomeInterner } from '../../src-main/engine/step-intern'
import { tapqStormSession } from '../../src-main/store/bench'

/** The steps as `onStep` sees them, and as rebuilt from `onRow` (outcome id → its first step, placed). */
function bothWays(session: Session, trace: boolean) {
  const plain: string[] = []
  runSession(session, { trace, keepSteps: false, onStep: (g, v, s) => plain.push(JSON.stringify({ g, v, ...s })) })
  const outcomes = new Map<number, StepResult>()
  const firsts: number[] = []
  const rows: string[] = []
  const doc = runSession(session, {
    trace,
    onRow: (g, v, index, atUs, id, first) => {
      if (first) {
        firsts.push(id)
        outcomes.set(id, first)
      }
      const o = outcomes.get(id)
      if (!o) throw new Error(`outcome ${id} used before it was passed whole`)
      rows.push(JSON.stringify({ g, v, ...o, index, atUs }))
    },
  })
  return { plain, rows, firsts, doc, distinct: outcomes.size }
}

const apqnText = (a: number, d: number) => `${a.toString(16).padStart(2, '0')}.${d.toString(16).padStart(4, '0')}`
const kernels = KERNEL_PROFILES.filter((k) => k.kvm.pqapHandler).map((k) => k.id)

/** Two guests on different QEMU profiles, looping programs with waits, polls and host events. */
const sessionArb = fc
  .record({
    kernel: fc.constantFrom(...kernels),
    qemu: fc.array(fc.constantFrom('qemu-4.1', 'qemu-8.2', 'qemu-10.1'), { minLength: 2, maxLength: 2 }),
    body: fc.array(
      fc.array(
        fc.record({
          op: fc.constantFrom('tapq', 'rapq', 'nqap', 'dqap', 'aqic', 'aqic-off', 'wait', 'poll', 'sleep'),
          apqi: fc.integer({ min: 0, max: 2 }),
        }),
        { minLength: 1, maxLength: 6 },
      ),
      { minLength: 2, maxLength: 2 },
    ),
    repeat: fc.integer({ min: 1, max: 8 }),
    event: fc.option(fc.constantFrom('reset_queue', 'stop_guest', 'unassign_domain'), { nil: undefined }),
    seed: fc.integer({ min: 1, max: 1000 }),
  })
  .map(({ kernel, qemu, body, repeat, event, seed }): SessionInput => {
    const step = (g: number, op: string, apqi: number) => {
      const q = apqnText(1, g * 3 + apqi)
      switch (op) {
        case 'aqic':
          return { aqic: q, ir: true, isc: 3 }
        case 'aqic-off':
          return { aqic: q, ir: false }
        case 'nqap':
          return { text: `nqap ${q} psmid=7` }
        case 'dqap':
          return { text: `dqap ${q}` }
        case 'wait':
          return { wait: 'irq' as const, isc: 3, timeoutUs: 40 }
        case 'poll':
          return { poll: { text: `pqap tapq ${q}` }, until: 'rc==0', everyUs: 5, max: 3 }
        case 'sleep':
          return { sleepUs: 7 }
        default:
          return { text: `pqap ${op} ${q}` }
      }
    }
    const events =
      event === 'reset_queue'
        ? [{ atUs: 30, do: 'reset_queue' as const, apqn: apqnText(1, 0) }]
        : event === 'stop_guest'
          ? [
              { atUs: 20, do: 'stop_guest' as const, guest: 'g1' },
              { atUs: 60, do: 'start_guest' as const, guest: 'g1' },
            ]
          : event === 'unassign_domain'
            ? [{ atUs: 25, do: 'unassign_domain' as const, mdev: 'm0', id: 1 }]
            : []
    return {
      format: 'aplab/session@1',
      name: 'interned',
      seed,
      host: { kernel, adapters: [{ id: 1, domains: [0, 1, 2, 3, 4, 5], latencyUs: 4 }] },
      mdevs: [0, 1].map((g) => ({ uuid: `m${g}`, adapters: [1], domains: [g * 3, g * 3 + 1, g * 3 + 2] })),
      guests: [0, 1].map((g) => ({
        name: `g${g}`,
        qemu: qemu[g]!,
        mdev: `m${g}`,
        vcpus: [{ program: Array.from({ length: repeat }, () => body[g]!.map((s) => step(g, s.op, s.apqi))).flat() }],
      })),
      events,
    }
  })

describe('interned steps (onRow): the same steps as onStep, each outcome passed whole once', () => {
  for (const input of EXAMPLE_SESSIONS) {
    for (const trace of [true, false]) {
      it(`${input.name}, trace ${trace ? 'on' : 'off'}`, () => {
        const session = parseSession(input)
        const r = bothWays(session, trace)
        expect(r.rows).toEqual(r.plain)
        expect(new Set(r.firsts).size).toBe(r.firsts.length)
        expect(JSON.stringify(r.doc)).toBe(JSON.stringify(runSession(session, { trace })))
      })
    }
  }

  it('random looping sessions on every kernel with a hook, two QEMU profiles, waits, polls and host events', () => {
    fc.assert(
      fc.property(sessionArb, fc.boolean(), (input, trace) => {
        const r = bothWays(parseSession(input), trace)
        expect(r.rows).toEqual(r.plain)
        expect(new Set(r.firsts).size).toBe(r.firsts.length)
      }),
      { numRuns: 150 },
    )
  })

  it('a TAPQ loop of 30,000 steps on 3 guests has two outcomes per guest: the first TAPQ sees GR1 and GR2 zero', () => {
    const r = bothWays(parseSession(tapqStormSession(30_000, { guests: 3 })), true)
    expect(r.rows.length).toBe(30_000)
    expect(r.distinct).toBe(6)
    expect(r.rows).toEqual(r.plain)
  })

  it('trace arguments take part in the key: the same registers with a different reply length are two outcomes', () => {
    const session = parseSession({
      format: 'aplab/session@1',
      name: 'dqap lengths',
      host: { kernel: 'linux-6.8', adapters: [{ id: 1, domains: [0], latencyUs: 1 }] },
      mdevs: [{ uuid: 'm', adapters: [1], domains: [0] }],
      guests: [
        {
          name: 'g',
          qemu: 'qemu-8.2',
          mdev: 'm',
          vcpus: [
            {
              program: [
                { text: 'nqap 01.0000 psmid=1 len=64' },
                { sleepUs: 5 },
                { text: 'nqap 01.0000 psmid=1 len=64' },
                { sleepUs: 5 },
              ],
            },
          ],
        },
      ],
    })
    const r = bothWays(session, true)
    expect(r.rows).toEqual(r.plain)
    const texts = r.plain.map((p) => (JSON.parse(p) as StepResult).trace.map((t) => t.text).join(' / '))
    expect(texts[0]).not.toBe(texts[1])
    expect(r.distinct).toBe(2)
  })
})

describe('OutcomeInterner', () => {
  const intern = (k: OutcomeInterner, words: number[], texts: string[]) => {
    k.begin()
    for (const w of words) k.word(w)
    for (const t of texts) k.text(t)
    const fresh = k.intern()
    return { fresh, id: k.id }
  }

  it('equal keys share an id; a key differing in one number, one text or its length does not', () => {
    const k = new OutcomeInterner()
    const a = intern(k, [1, 2, 0xffffffff], ['fw.tapq', '05.0004'])
    expect(a.fresh).toBe(true)
    expect(intern(k, [1, 2, 0xffffffff], ['fw.tapq', '05.0004'])).toEqual({ fresh: false, id: a.id })
    for (const [w, t] of [
      [
        [1, 2, 0xfffffffe],
        ['fw.tapq', '05.0004'],
      ],
      [
        [1, 2, 0xffffffff + 2 ** 32],
        ['fw.tapq', '05.0004'],
      ],
      [
        [1, 2, 0xffffffff],
        ['fw.tapq', '05.0005'],
      ],
      [
        [1, 2, 0xffffffff, 0],
        ['fw.tapq', '05.0004'],
      ],
      [
        [1, 2, 0xffffffff],
        ['fw.tapq', '05.0004', ''],
      ],
      [
        [1, 2, 0xffffffff],
        ['fw.tapq05.0004', ''],
      ],
    ] as [number[], string[]][]) {
      const r = intern(k, w, t)
      expect(r.fresh).toBe(true)
      expect(r.id).not.toBe(a.id)
    }
  })

  it('remembers at most MAX_REMEMBERED outcomes; later ones get one-off ids that are never reused', () => {
    const k = new OutcomeInterner()
    for (let i = 0; i < MAX_REMEMBERED; i++) expect(intern(k, [i], []).id).toBe(i)
    const first = intern(k, [-1], [])
    const again = intern(k, [-1], [])
    expect(first.fresh && again.fresh).toBe(true)
    expect(first.id).toBeGreaterThanOrEqual(MAX_REMEMBERED)
    expect(again.id).toBe(first.id + 1)
    expect(intern(k, [5], [])).toEqual({ fresh: false, id: 5 })
  })
})
