// Shared by the store tests: real database files in a temporary directory, no mocks.
import Database from 'better-sqlite3'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { runSession, type RunOptions, type RunResults } from '../../src-main/engine/lab'
import type { Session, SessionInput } from '../../src-main/engine/session'

export const ROOT = fileURLToPath(new URL('../..', import.meta.url))
export const BIN = join(ROOT, 'bin', 'aplab.mjs')
export const FIXTURES = join(ROOT, 'test', 'store', 'fixtures')

export function tempDir(prefix = 'aplab-store-'): { dir: string; file: (name: string) => string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  return { dir, file: (name) => join(dir, name), cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

export function bytes(path: string): Buffer {
  return readFileSync(path)
}

/** A plain better-sqlite3 connection (no AP Lab logic), for looking at or preparing files. */
export function raw(path: string, opts: Database.Options = {}): Database.Database {
  return new Database(path, opts)
}

/**
 * A session of `guests` guests, each one vCPU doing `steps` TAPQs of its own queue: `steps × guests`
 * result rows, no events. Each step is a bare PQAP (GR0 is loaded once), so the file stays small.
 */
export function tapqSession(steps: number, guests = 2, name = 'tapq storm'): SessionInput {
  const domains = Array.from({ length: guests }, (_, i) => i + 1)
  return {
    format: 'aplab/session@1',
    name,
    host: { kernel: 'linux-6.8', adapters: [{ id: 5, domains }] },
    mdevs: domains.map((d) => ({ uuid: `mdev-${d}`, adapters: [5], domains: [d] })),
    guests: domains.map((d) => ({
      name: `g${d}`,
      qemu: 'qemu-8.2',
      mdev: `mdev-${d}`,
      vcpus: [
        {
          program: [
            { set: { r0: `0x${(0x0500 + d).toString(16).padStart(16, '0')}` } },
            ...Array.from({ length: steps }, () => ({ insn: 'PQAP' as const })),
          ],
        },
      ],
    })),
  }
}

/** A runner for `recordRun` that fails with `message` after the engine has produced `steps` steps. */
export function failingRunner(session: Session, steps: number, message: string): (o: RunOptions) => RunResults {
  return (o) => {
    let n = 0
    return runSession(session, {
      ...o,
      onRow: (...row) => {
        o.onRow!(...row)
        if (++n === steps) throw new Error(message)
      },
    })
  }
}
