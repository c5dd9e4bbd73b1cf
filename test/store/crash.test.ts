// `aplab run` killed with SIGKILL in the middle of a long run, five times at different moments: the
// next open marks the run aborted, and every row that was committed is there, whole and in order.
import Database from 'better-sqlite3'
import { spawn } from 'node:child_process'
import { existsSync, writeFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runSession } from '../../src-main/engine/lab'
import { parseSession } from '../../src-main/engine/session'
import { openStore } from '../../src-main/store'
import { BIN, ROOT, tapqSession, tempDir } from './helpers'

const STEPS_PER_GUEST = 99_999 // two guests: 199,998 result rows
const tmp = tempDir('aplab-crash-')
const sessionFile = tmp.file('storm.json')
const dbFile = tmp.file('crash.db')
const doc = tapqSession(STEPS_PER_GUEST, 2, 'crash storm')
/** What the engine produces, in execution order: the stored rows must be a prefix of it. */
let expected: string[] = []

beforeAll(() => {
  writeFileSync(sessionFile, JSON.stringify(doc))
  runSession(parseSession(doc), {
    trace: false,
    keepSteps: false,
    onStep: (g, v, s) =>
      void expected.push(`${g}/${v}/${s.index}/${s.insn}/${s.fcName}/${s.cc}/${s.status?.rc}/${s.rule}/${s.atUs}`),
  })
})
afterAll(() => {
  expected = []
  tmp.cleanup()
})

/** Committed result rows of the run after `afterRun`, read through a plain read-only connection (no recovery). */
function committedRows(afterRun: number): number | null {
  if (!existsSync(`${dbFile}-wal`)) return null
  let db: Database.Database | undefined
  try {
    db = new Database(dbFile, { readonly: true, fileMustExist: true })
    const id = db.prepare('SELECT max(id) FROM runs').pluck().get() as number | null
    if (id === null || id <= afterRun) return null
    return db.prepare('SELECT count(*) FROM results WHERE run_id = ?').pluck().get(id) as number
  } catch {
    return null // the schema is not there yet
  } finally {
    db?.close()
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Starts `aplab run`, waits until `atLeast` rows are committed (plus `extraMs`), then SIGKILLs it. */
async function runAndKill(afterRun: number, atLeast: number, extraMs: number): Promise<void> {
  const child = spawn(process.execPath, [BIN, 'run', sessionFile, '--db', dbFile], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  )
  let done = false
  void exited.then(() => (done = true))
  const deadline = Date.now() + 30_000
  for (;;) {
    if (done) throw new Error(`aplab run ended before it was killed (${stderr.trim()})`)
    if (Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error('timed out waiting for committed rows')
    }
    const n = committedRows(afterRun)
    if (n !== null && n >= atLeast) break
    await sleep(10)
  }
  if (extraMs > 0) await sleep(extraMs)
  child.kill('SIGKILL')
  const end = await exited
  expect(end.signal).toBe('SIGKILL')
}

describe('SIGKILL in the middle of a run', () => {
  // Rows committed before the kill (batches of 8,192, or 500 ms), and a little more time on top of
  // some; the thresholds lie batches apart.
  const moments: [number, number][] = [
    [1, 0],
    [1, 30],
    [25_000, 0],
    [60_000, 0],
    [60_000, 40],
  ]

  it('each killed run is aborted at the next open, with every committed row intact', { timeout: 120_000 }, async () => {
    const seen: { id: number; rows: number }[] = []
    for (const [atLeast, extraMs] of moments) {
      const before = seen.at(-1)?.id ?? 0
      await runAndKill(before, atLeast, extraMs)

      const store = openStore(dbFile)
      try {
        const id = store.db.prepare('SELECT max(id) FROM runs').pluck().get() as number
        expect(id).toBe(before + 1)
        expect(store.recovered).toEqual([id])
        const run = store.getRunSummary(id)
        expect(run.status).toBe('aborted')
        expect(run.error).toMatch(/interrupted/)

        const stats = store.db
          .prepare('SELECT count(*) AS n, min(seq) AS lo, max(seq) AS hi FROM results WHERE run_id = ?')
          .get(id) as { n: number; lo: number; hi: number }
        const n = stats.n
        expect(n).toBeGreaterThanOrEqual(atLeast)
        expect(n).toBeLessThan(expected.length)
        expect(stats).toEqual({ n, lo: 0, hi: n - 1 })
        expect(run.steps).toBe(n)
        expect(run.instructions).toBe(n)

        // Every committed step has its trace, and no trace row outlives its step.
        const tr = store.db
          .prepare('SELECT count(DISTINCT seq) AS steps, max(seq) AS hi, count(*) AS rows FROM trace WHERE run_id = ?')
          .get(id) as { steps: number; hi: number; rows: number }
        expect(tr.steps).toBe(n)
        expect(tr.hi).toBe(n - 1)

        // The rows are exactly the engine's first n steps, in execution order.
        const rows = store.db
          .prepare(
            "SELECT guest || '/' || vcpu || '/' || step_index || '/' || insn || '/' || fc_name || '/' || cc || '/' || rc || '/' || rule || '/' || at_us AS k FROM results WHERE run_id = ? ORDER BY seq",
          )
          .pluck()
          .all(id) as string[]
        expect(rows.length).toBe(n)
        let mismatch = -1
        for (let i = 0; i < n; i++) {
          if (rows[i] !== expected[i]) {
            mismatch = i
            break
          }
        }
        expect(mismatch, `first differing row ${mismatch}: ${rows[mismatch]} vs ${expected[mismatch]}`).toBe(-1)

        // The aborted run can be shown, and (the small ones, to keep this quick) exported.
        expect(store.getRunPage({ id, limit: 5 }).results.map((s) => s.seq)).toEqual([0, 1, 2, 3, 4])
        if (n <= 10_000) {
          const rebuilt = store.rebuildResults(id)
          expect(rebuilt.status).toBe('aborted')
          expect(rebuilt.guests.reduce((k, g) => k + g.vcpus[0]!.steps.length, 0)).toBe(n)
        }
        seen.push({ id, rows: n })
      } finally {
        store.close()
      }
    }

    // Different moments: the kills left different amounts of work (a kill can land a batch later
    // than its threshold on a busy machine, so two of them may meet).
    expect(new Set(seen.map((s) => s.rows)).size).toBeGreaterThanOrEqual(3)
    // Later runs did not disturb earlier ones, and the file is sound.
    const store = openStore(dbFile)
    try {
      expect(store.recovered).toEqual([])
      for (const s of seen) {
        expect(store.getRunSummary(s.id)).toMatchObject({ status: 'aborted', steps: s.rows })
        expect(store.db.prepare('SELECT count(*) FROM results WHERE run_id = ?').pluck().get(s.id)).toBe(s.rows)
      }
      expect(store.db.pragma('integrity_check', { simple: true })).toBe('ok')
      expect(store.db.pragma('foreign_key_check')).toEqual([])
    } finally {
      store.close()
    }
  })
})
