import { cpus } from 'node:os'
import { benchEngine } from './engine'
import { benchLab } from './lab'
import { benchSweep } from './sweep'
import { runStoreBench } from '../store/bench'
import { benchBrowser } from './browser'

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
  report.sweep = await benchSweep({ quick })
  // --full builds the 1,000-run × 10-million-row database the Runs screen target names (about 2.6 GB).
  report.store = runStoreBench({ full: argv.includes('--full'), ...(quick ? { rows: 20_000 } : {}) })
  report.ui = await benchBrowser(quick ? 2 : 5)
  return report
}
