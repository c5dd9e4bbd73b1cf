// Built-in lab sessions (`aplab examples`, `aplab run builtin:NAME`).
import type { SessionInput } from './session'

const ENABLE_AND_ROUND_TRIP = (apqn: string) => [
  { text: `pqap tapq ${apqn} t=1` },
  { aqic: apqn, ir: true, isc: 6, nib: '0x2000' },
  { text: `pqap tapq ${apqn}` },
  { text: `nqap ${apqn} psmid=0x1001 len=512` },
  { wait: 'irq' as const, isc: 6, timeoutUs: 100_000 },
  { text: `dqap ${apqn} len=4096` },
]

export const EXAMPLE_SESSIONS: readonly SessionInput[] = [
  {
    format: 'aplab/session@1',
    name: 'two-guests-one-adapter',
    description:
      'Two guests share adapter 05 with disjoint usage domains (05.0004 and 05.0005). Each enables interruptions with AQIC, sends a request, waits for the adapter interruption and dequeues the reply (Linux 6.8, QEMU 8.2).',
    seed: 1,
    host: { kernel: 'linux-6.8', adapters: [{ id: 5, type: 'CEX8', mode: 'CCA', domains: [4, 5], latencyUs: 50 }] },
    mdevs: [
      { uuid: 'mdev-g1', adapters: [5], domains: [4], controlDomains: [4] },
      { uuid: 'mdev-g2', adapters: [5], domains: [5], controlDomains: [5] },
    ],
    guests: [
      { name: 'g1', qemu: 'qemu-8.2', mdev: 'mdev-g1', vcpus: [{ program: ENABLE_AND_ROUND_TRIP('05.0004') }] },
      { name: 'g2', qemu: 'qemu-8.2', mdev: 'mdev-g2', vcpus: [{ program: ENABLE_AND_ROUND_TRIP('05.0005') }] },
    ],
  },
  {
    format: 'aplab/session@1',
    name: 'neighbour-apqn',
    description:
      "Guest g1 asks for its neighbour's queue 05.0005: the firmware answers cc 3 / RC 0x01 for TAPQ and NQAP (outside its CRYCB), and vfio_ap answers RC 0x01 to AQIC (not in this mdev).",
    host: { kernel: 'linux-6.8', adapters: [{ id: 5, domains: [4, 5] }] },
    mdevs: [
      { uuid: 'mdev-g1', adapters: [5], domains: [4] },
      { uuid: 'mdev-g2', adapters: [5], domains: [5] },
    ],
    guests: [
      {
        name: 'g1',
        qemu: 'qemu-8.2',
        mdev: 'mdev-g1',
        vcpus: [
          {
            program: [
              { text: 'pqap tapq 05.0004' },
              { text: 'pqap tapq 05.0005' },
              { text: 'nqap 05.0005 psmid=7' },
              { aqic: '05.0005', ir: true },
            ],
          },
        ],
      },
      { name: 'g2', qemu: 'qemu-8.2', mdev: 'mdev-g2', vcpus: [{ program: [{ text: 'pqap tapq 05.0005' }] }] },
    ],
  },
  {
    format: 'aplab/session@1',
    name: 'hot-unplug-during-aqic',
    description:
      'Linux 6.8 (dynamic matrix): adapter 05 is unassigned from the mdev while the guest has interruptions enabled and a request in flight. vfio_ap resets the queue and frees the NIB pin and GISC; the guest no longer sees 05.0004.',
    host: { kernel: 'linux-6.8', adapters: [{ id: 5, domains: [4], latencyUs: 500 }] },
    mdevs: [{ uuid: 'mdev-g1', adapters: [5], domains: [4] }],
    guests: [
      {
        name: 'g1',
        qemu: 'qemu-8.2',
        mdev: 'mdev-g1',
        vcpus: [
          {
            program: [
              { aqic: '05.0004', ir: true, isc: 6, nib: '0x2000' },
              { text: 'nqap 05.0004 psmid=0x42' },
              { wait: 'irq', isc: 6, timeoutUs: 2000 },
              { text: 'pqap tapq 05.0004' },
              { text: 'dqap 05.0004' },
            ],
          },
        ],
      },
    ],
    events: [{ atUs: 100, do: 'unassign_adapter', mdev: 'mdev-g1', id: 5 }],
  },
  {
    format: 'aplab/session@1',
    name: 'checkstopped-card',
    description:
      'Adapter 05 check-stops at t=50 µs: TAPQ before it answers RC 0x00, after it RC 0x04; the polling loop gives up after its maximum.',
    host: { kernel: 'linux-6.3', adapters: [{ id: 5, domains: [4] }] },
    mdevs: [{ uuid: 'mdev-g1', adapters: [5], domains: [4] }],
    guests: [
      {
        name: 'g1',
        qemu: 'qemu-8.1',
        mdev: 'mdev-g1',
        vcpus: [
          {
            program: [
              { text: 'pqap tapq 05.0004' },
              { sleepUs: 100 },
              { poll: { text: 'pqap tapq 05.0004' }, until: 'rc==0', everyUs: 20_000, max: 3 },
            ],
          },
        ],
      },
    ],
    events: [{ atUs: 50, do: 'set_adapter_state', adapter: 5, state: 'checkstopped' }],
  },
  {
    format: 'aplab/session@1',
    name: 'overlapping-assignment',
    description:
      "Two mdevs on Linux 6.8: assigning domain 4 to mdev-b, whose adapter 05 already serves mdev-a's 05.0004, is refused with EADDRINUSE; the same change on Linux 5.15 (static matrix) is refused earlier with EBUSY because the guest runs.",
    host: { kernel: 'linux-6.8', adapters: [{ id: 5, domains: [4, 5] }] },
    mdevs: [
      { uuid: 'mdev-a', adapters: [5], domains: [4] },
      { uuid: 'mdev-b', adapters: [5], domains: [5] },
    ],
    guests: [
      {
        name: 'a',
        qemu: 'qemu-8.2',
        mdev: 'mdev-a',
        vcpus: [{ program: [{ text: 'pqap tapq 05.0004' }, { sleepUs: 50 }, { text: 'pqap tapq 05.0004' }] }],
      },
      {
        name: 'b',
        qemu: 'qemu-8.2',
        mdev: 'mdev-b',
        vcpus: [{ program: [{ sleepUs: 50 }, { text: 'pqap tapq 05.0004' }] }],
      },
    ],
    events: [{ atUs: 10, do: 'assign_domain', mdev: 'mdev-b', id: 4 }],
  },
  {
    format: 'aplab/session@1',
    name: 'aqic-march-2019',
    description:
      'The v5 design the seed thread reviewed (aqic-v5), one guest with an mdev and one without: AQIC answers land in GR1 bits 0–31 and the cc is never set.',
    host: { kernel: 'aqic-v5', adapters: [{ id: 5, domains: [4] }] },
    mdevs: [{ uuid: 'mdev-g1', adapters: [5], domains: [4] }],
    guests: [
      {
        name: 'with-mdev',
        qemu: 'qemu-4.1',
        mdev: 'mdev-g1',
        vcpus: [{ program: [{ cc: 2 }, { aqic: '05.0004', ir: true }, { aqic: '05.0004', ir: false }] }],
      },
      {
        name: 'no-mdev',
        qemu: 'qemu-4.1',
        vcpus: [{ program: [{ cc: 2 }, { aqic: '05.0004', ir: true }, { psw: 'problem' }, { aqic: '05.0004' }] }],
      },
      { name: 'old-qemu', qemu: 'qemu-4.0', vcpus: [{ program: [{ aqic: '05.0004', ir: true }] }] },
    ],
  },
  {
    format: 'aplab/session@1',
    name: 'remove-mdev-request',
    description:
      "The host removes both mdevs at 100 µs (newest kernel). QEMU 10.1 answers vfio_ap's request: its guest gets a channel report word and loses its queue at once. QEMU 4.1 has no request handler: the removal blocks, the newest kernel empties the guest's masks meanwhile, and the mdev goes when that guest stops at 400 µs.",
    host: { kernel: 'linux-latest', adapters: [{ id: 5, domains: [4, 5] }] },
    mdevs: [
      { uuid: 'mdev-old', adapters: [5], domains: [4] },
      { uuid: 'mdev-new', adapters: [5], domains: [5] },
    ],
    guests: [
      {
        name: 'qemu-4.1-guest',
        qemu: 'qemu-4.1',
        mdev: 'mdev-old',
        vcpus: [
          {
            program: [{ text: 'pqap tapq 05.0004' }, { wait: 'crw', timeoutUs: 200 }, { text: 'pqap tapq 05.0004' }],
          },
        ],
      },
      {
        name: 'qemu-10.1-guest',
        qemu: 'qemu-10.1',
        mdev: 'mdev-new',
        vcpus: [
          {
            program: [
              { text: 'pqap tapq 05.0005' },
              { wait: 'crw', timeoutUs: 200 },
              { text: 'pqap tapq 05.0005' },
              { text: 'pqap qci' },
            ],
          },
        ],
      },
    ],
    events: [
      { atUs: 100, do: 'remove_mdev', mdev: 'mdev-old' },
      { atUs: 100, do: 'remove_mdev', mdev: 'mdev-new' },
      { atUs: 400, do: 'stop_guest', guest: 'qemu-4.1-guest' },
    ],
  },
]

export function exampleSession(name: string): SessionInput | undefined {
  return EXAMPLE_SESSIONS.find((s) => s.name === name)
}
