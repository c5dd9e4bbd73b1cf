// How sweep workers load the engine. The engine is TypeScript and this project runs it without
// a build step (bin/aplab.mjs uses tsx), so a worker thread needs one of:
//
//  - `bundle` (default): esbuild (installed with tsx by `npm ci`) bundles src-main/sweep/worker.ts
//    and the engine into one ES module in the OS temp directory, named by its content hash and
//    reused while the sources do not change. Starting a worker then costs ~0.1 s.
//  - `tsx`: the worker registers tsx itself and imports worker.ts (~0.5 s per worker). Used when
//    esbuild cannot be loaded, or when APLAB_SWEEP_LOADER=tsx.
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

export type LoaderMode = 'bundle' | 'tsx'

export interface WorkerScript {
  url: URL
  mode: LoaderMode
}

let cached: Promise<WorkerScript> | null = null

const WORKER_TS = new URL('./worker.ts', import.meta.url)
const TSX_ENTRY = new URL('./tsx-entry.mjs', import.meta.url)

interface EsbuildLike {
  build(options: Record<string, unknown>): Promise<{ outputFiles?: { text: string }[] }>
}

async function bundle(): Promise<WorkerScript> {
  const esbuild = (await import('esbuild')) as unknown as EsbuildLike
  const out = await esbuild.build({
    entryPoints: [fileURLToPath(WORKER_TS)],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    write: false,
    logLevel: 'silent',
  })
  const text = out.outputFiles?.[0]?.text
  if (!text) throw new Error('esbuild produced no output')
  const hash = createHash('sha256').update(text).digest('hex').slice(0, 16)
  const dir = join(tmpdir(), 'aplab-sweep')
  const file = join(dir, `worker-${hash}.mjs`)
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true })
    const tmp = `${file}.${process.pid}.tmp`
    writeFileSync(tmp, text)
    renameSync(tmp, file)
  }
  return { url: pathToFileURL(file), mode: 'bundle' }
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
