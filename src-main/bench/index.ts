import { cpus } from 'node:os'
import { benchEngine } from './engine'
import { benchLab } from './lab'

export async function runBenchmarks(argv: readonly string[]): Promise<Record<string, unknown>> {
  const quick = argv.includes('--quick')
  const report: Record<string, unknown> = {
    format: 'aplab/bench@1',
    node: process.version,
    cpus: cpus().length,
    date: new Date().toISOString(),
    engine: benchEngine(quick ? 200_000 : 2_000_000),
    lab: benchLab(quick ? 100_000 : 1_000_000),
  }
  try {
    const modulePath = '../store/bench'
    const store = (await import(modulePath)) as { benchStore?: (opts: { quick: boolean }) => unknown }
    if (store.benchStore) report.store = await store.benchStore({ quick })
  } catch (e) {
    report.store = { skipped: `store benchmark unavailable: ${(e as Error).message}` }
  }
  return report
}
