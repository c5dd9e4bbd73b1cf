// Multi-guest lab throughput: a large session (64 guests sharing 16 adapters × 64 domains, each
// guest with its own mdev and a request/interrupt workload) against a single guest executing the
// same number of instructions, measured in the same run.
import { runSession } from '../engine/lab'
import { parseSession, type SessionInput, type Step } from '../engine/session'

const ADAPTERS = 16
const DOMAINS = 64

function apqnText(apid: number, apqi: number): string {
  return `${apid.toString(16).padStart(2, '0')}.${apqi.toString(16).padStart(4, '0')}`
}

/** One round trip on a queue: enqueue, wait for the adapter interruption, dequeue, test. */
function roundTrip(apqn: string, psmid: number): Step[] {
  return [
    { text: `nqap ${apqn} psmid=${psmid} len=256` },
    { wait: 'irq', isc: 6, timeoutUs: 1_000_000 },
    { text: `dqap ${apqn} len=4096` },
    { text: `pqap tapq ${apqn}` },
  ]
}

export function largeSession(guests: number, instructionsPerGuest: number): SessionInput {
  const adapters = Array.from({ length: ADAPTERS }, (_, i) => ({
    id: i + 1,
    domains: Array.from({ length: DOMAINS }, (_, d) => d),
    latencyUs: 20,
    depth: 8,
  }))
  const mdevs = Array.from({ length: guests }, (_, g) => ({
    uuid: `mdev-${g}`,
    adapters: [1 + (g % ADAPTERS)],
    domains: [Math.floor(g / ADAPTERS) % DOMAINS],
  }))
  return {
    format: 'aplab/session@1',
    name: `bench ${guests} guests`,
    host: { kernel: 'linux-6.8', adapters },
    mdevs,
    guests: mdevs.map((m, g) => {
      const apqn = apqnText(m.adapters[0]!, m.domains[0]!)
      const program: Step[] = [{ aqic: apqn, ir: true, isc: 6, nib: '0x2000' }]
      let psmid = 1
      // Each round trip is 3 instructions plus one wait.
      while (program.length < instructionsPerGuest * 1.34) program.push(...roundTrip(apqn, psmid++))
      return { name: `g${g}`, qemu: 'qemu-8.2', mdev: m.uuid, vcpus: [{ program }] }
    }),
  }
}

function measure(doc: SessionInput) {
  const session = parseSession(doc)
  global.gc?.()
  const before = process.memoryUsage().heapUsed
  let peak = before
  let steps = 0
  const t0 = process.hrtime.bigint()
  const r = runSession(session, {
    trace: false,
    keepSteps: false,
    onStep: () => {
      if ((++steps & 0xffff) === 0) peak = Math.max(peak, process.memoryUsage().heapUsed)
    },
  })
  const s = Number(process.hrtime.bigint() - t0) / 1e9
  peak = Math.max(peak, process.memoryUsage().heapUsed)
  return {
    instructions: r.counts.instructions,
    interrupts: r.counts.interrupts,
    seconds: +s.toFixed(3),
    perSec: Math.round(r.counts.instructions / s),
    peakHeapMiB: +((peak - before) / 2 ** 20).toFixed(1),
    virtualEndUs: r.endUs,
  }
}

export function benchLab(totalInstructions = 1_000_000, guests = 64) {
  const perGuest = Math.ceil(totalInstructions / guests)
  const large = measure(largeSession(guests, perGuest))
  const single = measure(largeSession(1, large.instructions))
  return {
    guests,
    adapters: ADAPTERS,
    domains: DOMAINS,
    large,
    singleGuestReference: single,
    ratioToSingleGuest: +(large.perSec / single.perSec).toFixed(3),
  }
}
