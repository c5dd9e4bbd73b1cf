// Runs written by a writer thread (write-thread.ts) and by the engine's own thread store the same
// rows; a failing writer or engine leaves an aborted run with a contiguous prefix of its steps.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { EXAMPLE_SESSIONS } from '../../src-main/engine/examples'
import { runSession } from '../../src-main/engine/lab'
import { parseSession, type Session } from '../../src-main/engine/session'
import { openStore, type Store } from '../../src-main/store'
import { failingRunner, tapqSession, tempDir } from './helpers'

let tmp: ReturnType<typeof tempDir>
let store: Store
beforeEach(() => {
  tmp = tempDir()
  store = openStore(tmp.file('thread.db'))
})
afterEach(() => {
  store.close()
  tmp.cleanup()
})

/** Everything stored for a run, as text: steps with their outcomes, traces, segments' totals, the rebuilt document. */
function stored(id: number) {
  const db = store.db
  const { runId: _, ...doc } = store.rebuildResults(id)
  return {
    results: db
      .prepare('SELECT * FROM results WHERE run_id = ? ORDER BY seq')
      .raw()
      .all(id)
      .map((r) => (r as unknown[]).slice(1)),
    trace: db
      .prepare('SELECT * FROM trace WHERE run_id = ? ORDER BY seq, ord')
      .raw()
      .all(id)
      .map((r) => (r as unknown[]).slice(1)),
    segments: db
      .prepare('SELECT guest, vcpu, sum(rows) FROM step_segments WHERE run_id = ? GROUP BY guest, vcpu')
      .raw()
      .all(id),
    doc: JSON.stringify(doc),
  }
}

/** Two guests on one adapter, each looping NQAP, DQAP, AQIC and a wait for the interruption. */
function busySession(loops: number): Session {
  const program = (q: string) =>
    Array.from({ length: loops }, () => [
      { aqic: q, ir: true, isc: 3 },
      { text: `nqap ${q} psmid=7 len=64` },
      { wait: 'irq' as const, isc: 3, timeoutUs: 100 },
      { text: `dqap ${q}` },
      { aqic: q, ir: false },
    ]).flat()
  return parseSession({
    format: 'aplab/session@1',
    name: 'busy',
    host: { kernel: 'linux-6.8', adapters: [{ id: 1, domains: [0, 1], latencyUs: 5 }] },
    mdevs: [
      { uuid: 'm0', adapters: [1], domains: [0] },
      { uuid: 'm1', adapters: [1], domains: [1] },
    ],
    guests: [
      { name: 'g0', qemu: 'qemu-8.2', mdev: 'm0', vcpus: [{ program: program('01.0000') }] },
      { name: 'g1', qemu: 'qemu-10.1', mdev: 'm1', vcpus: [{ program: program('01.0001') }] },
    ],
  })
}

describe('writer thread', () => {
  it('stores the same rows, traces, segments and document as writing on the engine thread', () => {
    for (const session of [busySession(600), parseSession(EXAMPLE_SESSIONS[0]!)]) {
      const a = store.recordRun(session, { writer: 'thread', batchRows: 700 })
      const b = store.recordRun(session, { writer: 'inline', batchRows: 700 })
      expect(a.run).toMatchObject({ status: 'finished', steps: b.run.steps })
      const sa = stored(a.runId)
      const sb = stored(b.runId)
      expect(sa.results.length).toBe(b.run.steps)
      expect(sa).toEqual(sb)
      expect(sa.doc).toBe(JSON.stringify({ ...runSession(session, { runId: 'x' }), runId: undefined }))
    }
  })

  it('keeps each distinct outcome once: 20,000 TAPQs of two guests are 4 outcomes', () => {
    const { runId } = store.recordRun(parseSession(tapqSession(10_000, 2)), { writer: 'thread' })
    expect(store.db.prepare('SELECT count(*) FROM outcomes WHERE run_id = ?').pluck().get(runId)).toBe(4)
    expect(store.db.prepare('SELECT count(*) FROM steps WHERE run_id = ?').pluck().get(runId)).toBe(20_000)
    expect(store.getRunPage({ id: runId, guest: 'g2', offset: 9_998, limit: 5 }).results.map((r) => r.index)).toEqual([
      9_999, 10_000,
    ])
  })

  it('a write that fails in the writer thread aborts the run with its error; the committed rows stay, contiguous', () => {
    store.db.exec(
      "CREATE TRIGGER boom BEFORE INSERT ON steps WHEN NEW.seq = 2500 BEGIN SELECT RAISE(ABORT, 'disk on fire'); END",
    )
    const session = parseSession(tapqSession(20_000, 2))
    expect(() => store.recordRun(session, { writer: 'thread', trace: false, batchRows: 1000 })).toThrow(/disk on fire/)
    const [run] = store.listRuns().runs
    expect(run).toMatchObject({ status: 'aborted', steps: 2000 })
    expect(run!.error).toMatch(/disk on fire/)
    const stats = store.db.prepare('SELECT count(*) AS n, min(seq) AS lo, max(seq) AS hi FROM results').get()
    expect(stats).toEqual({ n: 2000, lo: 0, hi: 1999 })
  })

  it('an engine that throws leaves an aborted run with every step it produced', () => {
    const session = parseSession(tapqSession(20_000, 2))
    expect(() =>
      store.recordRun(session, {
        writer: 'thread',
        batchRows: 1000,
        runner: failingRunner(session, 12_345, 'engine bug'),
      }),
    ).toThrow('engine bug')
    const [run] = store.listRuns().runs
    expect(run).toMatchObject({ status: 'aborted', steps: 12_345, instructions: 12_345 })
    const doc = store.rebuildResults(run!.id)
    expect(doc.guests.reduce((n, g) => n + g.vcpus[0]!.steps.length, 0)).toBe(12_345)
  })

  it('the store keeps its writer thread for the next run, and replaces it after it failed', () => {
    const session = parseSession(tapqSession(6_000, 2))
    const first = store.recordRun(session, { writer: 'thread', trace: false })
    store.db.exec(
      "CREATE TRIGGER boom BEFORE INSERT ON steps WHEN NEW.seq = 100 BEGIN SELECT RAISE(ABORT, 'full'); END",
    )
    expect(() => store.recordRun(session, { writer: 'thread', trace: false })).toThrow(/full/)
    store.db.exec('DROP TRIGGER boom')
    const third = store.recordRun(session, { writer: 'thread', trace: false })
    const fourth = store.recordRun(session, { writer: 'thread', trace: false })
    expect(store.listRuns().runs.map((r) => [r.id, r.status, r.steps])).toEqual([
      [fourth.runId, 'finished', 12_000],
      [third.runId, 'finished', 12_000],
      [first.runId + 1, 'aborted', 0],
      [first.runId, 'finished', 12_000],
    ])
    const rows = (id: number) => stored(id).results
    expect(rows(third.runId)).toEqual(rows(first.runId))
    expect(rows(fourth.runId)).toEqual(rows(first.runId))
  })

  it('a :memory: database writes on the engine thread (a thread cannot share it)', () => {
    const mem = openStore(':memory:')
    try {
      const r = mem.recordRun(parseSession(tapqSession(1000, 2)), { writer: 'thread' })
      expect(r.run).toMatchObject({ status: 'finished', steps: 2000 })
    } finally {
      mem.close()
    }
  })
})
