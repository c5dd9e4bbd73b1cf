// A change of a running guest's AP configuration (hot plug, hot unplug, removal of its mdev) and
// whether the guest is told at once: the newest vfio_ap signals user space and QEMU ≥ 10.1 queues
// a channel report word, which `{"wait": "crw"}` takes (interception.md §5.2, vfio-ap.md §10).
import { describe, expect, it } from 'vitest'
import { runSession, type RunResults } from '../../src-main/engine/lab'
import { KERNEL_PROFILES } from '../../src-main/engine/profiles'
import { parseSession, SessionError, type SessionInput } from '../../src-main/engine/session'

function session(kernel: string, qemu: string, events: SessionInput['events']): SessionInput {
  return {
    format: 'aplab/session@1',
    name: 'configuration change',
    host: { kernel, adapters: [{ id: 1, domains: [0, 1, 2] }] },
    mdevs: [{ uuid: 'm0', adapters: [1], domains: [0, 2] }],
    guests: [
      {
        name: 'g0',
        qemu,
        mdev: 'm0',
        vcpus: [
          {
            program: [
              { wait: 'crw', timeoutUs: 500 },
              { wait: 'crw', timeoutUs: 500 },
            ],
          },
        ],
      },
    ],
    events,
  }
}

const run = (doc: SessionInput): RunResults => runSession(parseSession(doc), { trace: true })
const waits = (r: RunResults) => r.guests[0]!.vcpus[0]!.steps.map((s) => [s.atUs, s.rule])

describe('AP configuration-change notification', () => {
  const hotPlug = [{ atUs: 100, do: 'assign_domain' as const, mdev: 'm0', id: 1 }]
  it.each([
    ['linux-6.8', 'qemu-10.1'],
    ['linux-latest', 'qemu-8.2'],
    ['linux-latest', 'qemu-4.1'],
  ])('%s with %s: the guest is not told (it sees the change on its next QCI or TAPQ)', (kernel, qemu) => {
    const r = run(session(kernel, qemu, hotPlug))
    expect(waits(r)).toEqual([
      [500, 'lab.wait.crw-timeout'],
      [1001, 'lab.wait.crw-timeout'],
    ])
    expect(r.hostLog).toEqual([])
  })

  it('linux-latest with qemu-10.1: a hot plug queues one channel report word, taken at once', () => {
    const r = run(session('linux-latest', 'qemu-10.1', hotPlug))
    expect(waits(r)).toEqual([
      [100, 'lab.wait.crw'],
      [601, 'lab.wait.crw-timeout'],
    ])
    const step = r.guests[0]!.vcpus[0]!.steps[0]!
    expect(step.trace[0]!.text).toBe(
      'channel report word for an AP configuration change taken after 100 µs (QEMU ≥ 10.1; CHSC SEI NT0 RS 5, CC 3); the guest reissues QCI to see the new configuration',
    )
    expect(r.hostLog.map((l) => [l.atUs, l.source, l.text])).toEqual([
      [
        100,
        'qemu',
        'guest g0: qemu-10.1 queues a channel report word for the AP configuration change (CHSC SEI NT0: RS 5, CC 3)',
      ],
    ])
  })

  it('an assignment that changes nothing queues nothing; a hot unplug and an mdev removal each queue one', () => {
    const r = run(
      session('linux-latest', 'qemu-10.1', [
        { atUs: 50, do: 'assign_domain', mdev: 'm0', id: 0 },
        { atUs: 100, do: 'unassign_domain', mdev: 'm0', id: 2 },
        { atUs: 300, do: 'remove_mdev', mdev: 'm0' },
      ]),
    )
    expect(waits(r)).toEqual([
      [100, 'lab.wait.crw'],
      [300, 'lab.wait.crw'],
    ])
    expect(r.events.map((e) => e.applied)).toEqual([true, true, true])
  })

  it('queued words wait for the guest: two changes before it waits are two words', () => {
    const doc = session('linux-latest', 'qemu-10.1', [
      { atUs: 10, do: 'assign_domain', mdev: 'm0', id: 1 },
      { atUs: 20, do: 'unassign_domain', mdev: 'm0', id: 1 },
    ])
    doc.guests![0]!.vcpus = [{ program: [{ sleepUs: 100 }, { wait: 'crw' }, { wait: 'crw' }] }]
    const r = run(doc)
    expect(waits(r)).toEqual([
      [100, 'lab.wait.crw'],
      [101, 'lab.wait.crw'],
    ])
  })

  it('a wait for a channel report word takes no ISC', () => {
    const doc = session('linux-latest', 'qemu-10.1', [])
    doc.guests![0]!.vcpus = [{ program: [{ wait: 'crw', isc: 3 } as never] }]
    expect(() => parseSession(doc)).toThrow(SessionError)
    expect(() => parseSession(doc)).toThrow(/guests\[0\]\.vcpus\[0\]\.program\[0\]/)
  })

  it.each(KERNEL_PROFILES.map((p) => [p.id, p.id === 'linux-latest'] as const))(
    '%s signals configuration changes: %s',
    (id, expected) => {
      expect(KERNEL_PROFILES.find((p) => p.id === id)!.vfioAp.configChangeSignal).toBe(expected)
    },
  )
})
