import { cpus } from 'node:os'
import { benchEngine } from './engine'
import { benchLab } from './lab'
import { benchSweep } from './sweep'
import { runStoreBench } from '../store/bench'
import { benchBrowser } from './browser'

/** Sections of `npm run bench`; bin/bench.mjs runs each in a process of its own, so none inherits another's heap. */
export const SECTIONS = ['engine', 'lab', 'sweep', 'store', 'ui'] as const
export type Section = (typeof SECTIONS)[number]

export async function runSection(section: Section, argv: readonly string[]): Promise<unknown> {
  const quick = argv.includes('--quick')
  switch (section) {
    case 'engine':
      return benchEngine(quick ? 200_000 : 2_000_000)
    case 'lab':
      return benchLab(quick ? 100_000 : 1_000_000)
    case 'sweep':
      return benchSweep({ quick })
    case 'store':
      // --full builds the 1,000-run × 10-million-row database the Runs screen target names (about 2.6 GB).
      return runStoreBench({ full: argv.includes('--full'), ...(quick ? { rows: 20_000 } : {}) })
    case 'ui':
      return benchBrowser(quick ? 2 : 5)
  }
}

export function reportHeader(): Record<string, unknown> {
  return { format: 'aplab/bench@1', node: process.version, cpus: cpus().length, date: new Date().toISOString() }
}
