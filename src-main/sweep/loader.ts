// How sweep workers load the engine. The engine is TypeScript and this project runs it without
// a build step (bin/aplab.mjs uses tsx), so a worker thread needs one of:
//
//  - `bundle` (default): worker.ts and the engine bundled into one module (worker-bundle.ts).
//    Starting a worker then costs ~0.1 s.
//  - `tsx`: the worker registers tsx itself and imports worker.ts (~0.5 s per worker). Used when
//    esbuild cannot be loaded, or when APLAB_SWEEP_LOADER=tsx.
import { bundleWorker } from '../worker-bundle'

export type LoaderMode = 'bundle' | 'tsx'

export interface WorkerScript {
  url: URL
  mode: LoaderMode
}

let cached: Promise<WorkerScript> | null = null

const WORKER_TS = new URL('./worker.ts', import.meta.url)
const TSX_ENTRY = new URL('./tsx-entry.mjs', import.meta.url)

async function bundle(): Promise<WorkerScript> {
  return { url: bundleWorker(WORKER_TS, 'sweep-worker'), mode: 'bundle' }
}

/** The script sweep workers start from; resolved once per process. */
export function workerScript(): Promise<WorkerScript> {
  if (!cached) {
    const want = process.env.APLAB_SWEEP_LOADER
    cached =
      want === 'tsx'
        ? Promise.resolve({ url: TSX_ENTRY, mode: 'tsx' as const })
        : bundle().catch((e: unknown) => {
            if (want === 'bundle') throw e
            return { url: TSX_ENTRY, mode: 'tsx' as const }
          })
  }
  return cached
}
