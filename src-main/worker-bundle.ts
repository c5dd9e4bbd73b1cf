// Worker threads run TypeScript sources of this project, which Node cannot load by itself (the CLI
// runs under tsx). esbuild (installed with tsx by `npm ci`) bundles a worker's entry and what it
// imports into one ES module in the OS temp directory, named by its content hash and reused while
// the sources do not change.
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

interface EsbuildLike {
  buildSync(options: Record<string, unknown>): { outputFiles?: { text: string }[] }
}

/** The bundled script of `entry` (a .ts file URL); throws when esbuild is not there or fails. */
export function bundleWorker(entry: URL, name: string): URL {
  const esbuild = createRequire(import.meta.url)('esbuild') as EsbuildLike
  const out = esbuild.buildSync({
    entryPoints: [fileURLToPath(entry)],
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
  const dir = join(tmpdir(), 'aplab-workers')
  const file = join(dir, `${name}-${hash}.mjs`)
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true })
    const tmp = `${file}.${process.pid}.tmp`
    writeFileSync(tmp, text)
    renameSync(tmp, file)
  }
  return pathToFileURL(file)
}
