// Compare throughput: matrix cells (configuration × probe) per second for a sweep of 100,800
// cells on all cores, against the single-thread rate measured in the same run. Also measured:
// the speed-up this machine gives a plain CPU loop on the same number of threads (on shared
// machines that, not the sweep code, is often the limit).
import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'
import { cellCount } from '../engine/matrix'
import { compileMatrixSpec, MATRIX_FORMAT, parseMatrixSpec } from '../engine/matrix-spec'
import { KERNEL_PROFILES, QEMU_PROFILES } from '../engine/profiles'
import { runSweep, SweepPool } from '../sweep'

const PROBES = [
  'pqap aqic 05.0004 ir=1 isc=6 nib=0x2000',
  'pqap aqic 05.0004 ir=0',
  'pqap aqic 05.0004 ir=1 isc=6 nib=0',
  'pqap aqic 05.0004 t=1',
  'pqap aqic 40.0004',
  'pqap tapq 05.0004',
  'pqap tapq 05.0004 t=1',
  'pqap zapq 05.0004',
  'pqap fc=0x2a 05.0004',
  'nqap 05.0004',
]

/** kernel (15) × QEMU (7) × vfio_ap (3) × PSW (2) × GISA (2) × AIV (2) × APXA (2) × nesting (2) × probes (10) = 100,800 cells. */
export function benchSpec(probes = PROBES.length) {
  return parseMatrixSpec({
    format: MATRIX_FORMAT,
    name: 'bench-sweep',
    title: 'Sweep benchmark',
    dimensions: [
      { id: 'kernel', field: 'kernel', values: KERNEL_PROFILES.map((p) => ({ value: p.id })) },
      { id: 'qemu', field: 'qemu', values: QEMU_PROFILES.map((p) => ({ value: p.id })) },
      { id: 'vfio', field: 'vfio', values: [{ value: 'none' }, { value: 'loaded' }, { value: 'mdev' }] },
      { id: 'psw', field: 'psw', values: [{ value: 'supervisor' }, { value: 'problem' }] },
      { id: 'gisa', field: 'gisa', values: [{ value: true }, { value: false }] },
      { id: 'aiv', field: 'aiv', values: [{ value: true }, { value: false }] },
      { id: 'apxa', field: 'apxa', values: [{ value: true }, { value: false }] },
      { id: 'nested', field: 'nested', values: [{ value: false }, { value: true }] },
    ],
    probes: PROBES.slice(0, probes),
    outcome: ['pgm', 'cc', 'rc', 'placement', 'handledBy'],
  })
}

/** Seconds for `threads` workers to each run the same fixed CPU loop (a machine reference). */
async function cpuLoop(threads: number): Promise<number> {
  const code = `const { parentPort } = require('node:worker_threads'); let x = 0; for (let i = 0; i < 1.5e8; i++) x = (x + i * 7) % 1000003; parentPort.postMessage(x)`
  const t0 = performance.now()
  await Promise.all(
    Array.from(
      { length: threads },
      () =>
        new Promise<void>((resolve, reject) => {
          const w = new Worker(code, { eval: true })
          w.once('message', () => void w.terminate().then(() => resolve()))
          w.once('error', reject)
        }),
    ),
  )
  return (performance.now() - t0) / 1000
}

async function timed<T>(f: () => Promise<T>): Promise<{ ms: number; cpuMs: number }> {
  const c0 = process.cpuUsage()
  const t0 = performance.now()
  await f()
  const c = process.cpuUsage(c0)
  return { ms: performance.now() - t0, cpuMs: (c.user + c.system) / 1000 }
}

function best(runs: { ms: number; cpuMs: number }[]) {
  return runs.reduce((a, b) => (b.ms < a.ms ? b : a))
}

export async function benchSweep(opts: { quick?: boolean } = {}) {
  const spec = benchSpec(opts.quick ? 2 : PROBES.length)
  const matrix = compileMatrixSpec(spec)
  const cells = cellCount(matrix)
  const cores = availableParallelism()
  const repeat = opts.quick ? 1 : 2
  // Warm the engine in this thread.
  await runSweep(matrix, { workers: 0, trace: false, shard: { k: 1, n: 20 } })
  // All cores, cold: worker start-up (bundling the engine, loading it, JIT) included.
  let loader: string | null = null
  const cold = await timed(async () => {
    loader = (await runSweep(matrix, { workers: cores, trace: false })).loader
  })
  // Single thread and all cores with a warm pool, alternating; best of `repeat` each (shared
  // machines are noisy).
  const single: { ms: number; cpuMs: number }[] = []
  const warm: { ms: number; cpuMs: number }[] = []
  const pool = await SweepPool.create(cores)
  try {
    await runSweep(matrix, { pool, trace: false, shard: { k: 1, n: 10 } })
    for (let i = 0; i < repeat; i++) {
      single.push(await timed(() => runSweep(matrix, { workers: 0, trace: false })))
      warm.push(await timed(() => runSweep(matrix, { pool, trace: false })))
    }
  } finally {
    await pool.close()
  }
  const s = best(single)
  const w = best(warm)
  const loop1 = await cpuLoop(1)
  const loopN = await cpuLoop(cores)
  const rate = (ms: number) => Math.round(cells / (ms / 1000))
  return {
    cells,
    cores,
    loader,
    singleThreadCellsPerSec: rate(s.ms),
    allCoresCellsPerSec: rate(cold.ms),
    allCoresWarmCellsPerSec: rate(w.ms),
    speedup: +(s.ms / cold.ms).toFixed(3),
    speedupWarm: +(s.ms / w.ms).toFixed(3),
    /** What this machine gives a plain CPU loop on `cores` threads (ideal: cores). */
    machineSpeedup: +((loop1 * cores) / loopN).toFixed(3),
    /** CPU time of the parallel sweep over the single-thread one: the cost of workers (ideal: 1). */
    cpuOverheadWarm: +(w.cpuMs / s.cpuMs).toFixed(3),
    seconds: {
      singleThread: +(s.ms / 1000).toFixed(3),
      allCores: +(cold.ms / 1000).toFixed(3),
      allCoresWarm: +(w.ms / 1000).toFixed(3),
      cpuSingleThread: +(s.cpuMs / 1000).toFixed(3),
      cpuAllCoresWarm: +(w.cpuMs / 1000).toFixed(3),
    },
    targets: { speedupOnTwoCores: 1.7 },
  }
}
