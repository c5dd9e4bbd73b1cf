// Writing `remove` to an mdev while its guest runs (vfio-ap.md §11), for each kernel era and QEMU
// with or without the request handler: what the write returns, what the guest's next TAPQ sees,
// and when the mdev is gone.
import { describe, expect, it } from 'vitest'
import { exampleSession } from '../../src-main/engine/examples'
import { runSession, type RunResults } from '../../src-main/engine/lab'
import { KERNEL_PROFILES } from '../../src-main/engine/profiles'
import { parseSession, type SessionInput } from '../../src-main/engine/session'

/** One guest on mdev m0 doing `tapqs` TAPQs of 01.0000, 100 µs apart; m1 holds domain 1. */
function session(kernel: string, qemu: string, events: SessionInput['events'], tapqs = 2): SessionInput {
  const program = Array.from({ length: tapqs }, (_, i) => [
    ...(i > 0 ? [{ sleepUs: 100 }] : []),
    { text: 'pqap tapq 01.0000' },
  ]).flat()
  return {
    format: 'aplab/session@1',
    name: 'remove mdev',
    host: { kernel, adapters: [{ id: 1, domains: [0, 1] }] },
    mdevs: [
      { uuid: 'm0', adapters: [1], domains: [0] },
      { uuid: 'm1', adapters: [1], domains: [1] },
    ],
    guests: [
      {
        name: 'g0',
        qemu,
        mdev: 'm0',
        vcpus: [{ program }],
      },
    ],
    events,
  }
}

const run = (doc: SessionInput): RunResults => runSession(parseSession(doc), { trace: false })
/** The guest's second TAPQ, 100 µs after the removal was written. */
const secondTapq = (r: RunResults) => {
  const s = r.guests[0]!.vcpus[0]!.steps[1]!
  return { cc: s.cc, rc: s.status?.rc ?? null }
}

describe('remove_mdev while the guest runs', () => {
  const rows: [string, string, boolean, string | null, { cc: number; rc: number }, RegExp][] = [
    ['linux-5.15', 'qemu-8.2', false, 'EBUSY', { cc: 0, rc: 0 }, /static matrix before 6\.0/],
    ['linux-6.3', 'qemu-8.2', false, null, { cc: 0, rc: 0 }, /no request callback, added in ~6\.5/],
    ['linux-6.8', 'qemu-4.1', false, null, { cc: 0, rc: 0 }, /qemu-4\.1 registers no request handler/],
    ['linux-6.8', 'qemu-8.2', true, null, { cc: 3, rc: 1 }, /qemu-8\.2 unplugged the vfio-ap device of guest g0/],
    ['linux-latest', 'qemu-4.1', false, null, { cc: 3, rc: 1 }, /guest masks were cleared at once/],
    ['linux-latest', 'qemu-10.1', true, null, { cc: 3, rc: 1 }, /unplugged/],
  ]
  it.each(rows)(
    '%s with %s: applied %s, errno %s; the next TAPQ gives %j',
    (kernel, qemu, applied, errno, next, why) => {
      const r = run(session(kernel, qemu, [{ atUs: 50, do: 'remove_mdev', mdev: 'm0' }]))
      expect(r.events[0]).toMatchObject({ do: 'remove_mdev', applied, errno })
      expect(r.events[0]!.reason).toMatch(why)
      expect(secondTapq(r)).toEqual(next)
    },
  )

  it('a blocked removal completes when the guest stops; the restarted guest has no AP queues', () => {
    const r = run(
      session(
        'linux-6.8',
        'qemu-4.1',
        [
          { atUs: 50, do: 'remove_mdev', mdev: 'm0' },
          { atUs: 120, do: 'stop_guest', guest: 'g0' },
          { atUs: 130, do: 'start_guest', guest: 'g0' },
          { atUs: 140, do: 'assign_domain', mdev: 'm0', id: 0 },
        ],
        3,
      ),
    )
    expect(r.hostLog.map((l) => l.text)).toEqual([
      expect.stringMatching(/^remove of mdev m0 blocks until guest g0 releases the device/),
      expect.stringMatching(/^mdev m0 removed: the write to remove that was waiting for the device returns$/),
    ])
    expect(r.events[2]!.reason).toBe('guest g0 started without its vfio-ap device (mdev m0 has been removed)')
    expect(r.events[3]).toMatchObject({ applied: false, errno: 'ENOENT' })
    // While the write blocks, the guest still holds its queue; after the restart it has none.
    expect(secondTapq(r)).toEqual({ cc: 0, rc: 0 })
    const third = r.guests[0]!.vcpus[0]!.steps[2]!
    expect(third.atUs).toBeGreaterThan(130)
    expect({ cc: third.cc, rc: third.status?.rc }).toEqual({ cc: 3, rc: 1 })
  })

  it('an mdev no guest holds is removed at once, and its queues can go to another mdev (EADDRINUSE before)', () => {
    const events: SessionInput['events'] = [
      { atUs: 10, do: 'assign_domain', mdev: 'm1', id: 0 },
      { atUs: 20, do: 'remove_mdev', mdev: 'm0' },
      { atUs: 30, do: 'assign_domain', mdev: 'm1', id: 0 },
    ]
    const doc = { ...session('linux-6.8', 'qemu-8.2', events), guests: [] }
    const r = run(doc)
    expect(r.events.map((e) => [e.applied, e.errno])).toEqual([
      [false, 'EADDRINUSE'],
      [true, null],
      [true, null],
    ])
    expect(r.events[1]!.reason).toBe('mdev m0 removed; its queues were reset')
  })

  it('builtin:remove-mdev-request shows both paths side by side', () => {
    const r = runSession(parseSession(exampleSession('remove-mdev-request')!), { trace: false })
    expect(r.events.map((e) => [e.do, e.applied, e.errno])).toEqual([
      ['remove_mdev', false, null],
      ['remove_mdev', true, null],
      ['stop_guest', true, null],
    ])
    const rules = r.guests.map((g) => g.vcpus[0]!.steps.map((s) => s.rule))
    expect(rules).toEqual([
      ['fw.tapq', 'lab.wait.crw-timeout', 'fw.queue-not-configured'],
      ['fw.tapq', 'lab.wait.crw', 'fw.queue-not-configured', 'fw.qci'],
    ])
    expect(r.hostLog.at(-1)!.text).toMatch(/^mdev mdev-old removed/)
  })

  it('names an unknown mdev by its field', () => {
    expect(() =>
      parseSession(session('linux-6.8', 'qemu-8.2', [{ atUs: 1, do: 'remove_mdev', mdev: 'nope' }])),
    ).toThrow(/events\[0\]\.mdev/)
  })

  it.each(
    KERNEL_PROFILES.map(
      (p) => [p.id, p.id === 'linux-6.8' ? 'relay' : p.id === 'linux-latest' ? 'relay+clear-masks' : 'none'] as const,
    ),
  )('%s: request callback %s', (id, expected) => {
    expect(KERNEL_PROFILES.find((p) => p.id === id)!.vfioAp.removeRequest).toBe(expected)
  })
})
