// Runs streamed into the database and read back: the rebuilt aplab/results@1 document equals the
// engine's in-memory one byte for byte, pages and filters work, diffs list what changed.
import { spawnSync } from 'node:child_process'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { EXAMPLE_SESSIONS } from '../../src-main/engine/examples'
import { runSession } from '../../src-main/engine/lab'
import { parseSession, type SessionInput } from '../../src-main/engine/session'
import { LabError, createLabService, type LabService } from '../../src-main/service'
import { openStore, type RunDiff, type RunPage, type Store } from '../../src-main/store'
import type { RunStoredResponse } from '../../src-preload/contract'
import { failingRunner, tapqSession, tempDir } from './helpers'

let tmp: ReturnType<typeof tempDir>
let store: Store
let service: LabService
let path: string
beforeEach(() => {
  tmp = tempDir()
  path = tmp.file('runs.db')
  store = openStore(path)
  service = createLabService({ store })
})
afterEach(() => {
  store.close()
  tmp.cleanup()
})

const expectedRun = (doc: SessionInput, runId: number) => runSession(parseSession(doc), { runId: String(runId) })

describe('runs through the store', () => {
  it('builtin:two-guests-one-adapter: stored results read back equal to the in-memory results', async () => {
    const r = (await service.call('runStored', { session: 'builtin:two-guests-one-adapter' })) as RunStoredResponse
    const doc = EXAMPLE_SESSIONS.find((s) => s.name === 'two-guests-one-adapter')!
    const expected = expectedRun(doc, r.runId)
    expect(r.results).toEqual(expected)
    expect(r.run).toMatchObject({
      status: 'finished',
      steps: 12,
      instructions: 10,
      interrupts: 2,
      kernel: 'linux-6.8',
      sessionId: null,
    })
    expect(r.run.durationMs).toBeGreaterThanOrEqual(0)

    // Reopen the file: the rows are on disk.
    store.close()
    store = openStore(path)
    expect(JSON.stringify(store.rebuildResults(r.runId))).toBe(JSON.stringify(expected))
    const exported = store.exportRun(r.runId, 'json')
    expect(exported.text).toBe(JSON.stringify(expected, null, 2) + '\n')
    expect(exported.fileName).toBe(`two-guests-one-adapter.run-${r.runId}.results.json`)
  })

  it('every built-in example, with and without trace, in batches of 3 rows, rebuilds exactly', () => {
    for (const doc of EXAMPLE_SESSIONS) {
      for (const trace of [true, false]) {
        const session = parseSession(doc)
        const rec = store.recordRun(session, { trace, batchRows: 3 })
        const expected = runSession(session, { runId: String(rec.runId), trace })
        expect(JSON.stringify(store.rebuildResults(rec.runId)), `${doc.name} trace=${trace}`).toBe(
          JSON.stringify(expected),
        )
        expect(rec.run.trace).toBe(trace)
      }
    }
  })

  it('a big run is streamed, not kept: the document comes back without steps and the rows hold them', () => {
    const doc = tapqSession(60_000)
    const session = parseSession(doc)
    const rec = store.recordRun(session, { trace: false })
    expect(rec.results.guests.every((g) => g.vcpus.every((v) => v.steps.length === 0))).toBe(true)
    expect(rec.run.steps).toBe(120_000)
    const stats = store.db
      .prepare('SELECT count(*) AS n, min(seq) AS lo, max(seq) AS hi FROM results WHERE run_id = ?')
      .get(rec.runId)
    expect(stats).toEqual({ n: 120_000, lo: 0, hi: 119_999 })
    const page = store.getRunPage({ id: rec.runId, guest: 'g2', limit: 3, offset: 10 })
    expect(page.total).toBe(60_000)
    expect(page.results.map((s) => [s.guest, s.index, s.fcName, s.status?.rc])).toEqual([
      [1, 11, 'TAPQ', 0],
      [1, 12, 'TAPQ', 0],
      [1, 13, 'TAPQ', 0],
    ])
  })

  it('saved sessions run by id and are linked to their runs', async () => {
    const doc = EXAMPLE_SESSIONS[1]!
    const { id } = (await service.call('saveSession', { document: doc })) as { id: number }
    const r1 = (await service.call('runStored', { session: id })) as RunStoredResponse
    const r2 = (await service.call('runStored', { session: id, trace: false })) as RunStoredResponse
    expect(r1.run.sessionId).toBe(id)
    const list = store.listSessions()
    expect(list[0]).toMatchObject({ id, runs: 2 })
    expect(store.listRuns({ session: id }).runs.map((r) => r.id)).toEqual([r2.runId, r1.runId])
    expect(store.runSnapshot(r1.runId)).toEqual(JSON.parse(JSON.stringify(parseSession(doc))))
    // Deleting the session keeps its runs.
    await service.call('deleteSession', { id })
    expect(store.getRunSummary(r1.runId)).toMatchObject({ sessionId: null, sessionName: doc.name })
    await expect(service.call('runStored', { session: id })).rejects.toMatchObject({
      code: 'not-found',
      field: 'session',
    })
  })

  it('getRun pages, filters by guest and vCPU, and includes traces on request', async () => {
    const r = (await service.call('runStored', { session: 'builtin:two-guests-one-adapter' })) as RunStoredResponse
    const all = (await service.call('getRun', { id: r.runId, limit: 100 })) as RunPage
    expect(all.total).toBe(12)
    expect(all.results.map((s) => s.seq)).toEqual([...Array(12).keys()])
    expect(all.guests.map((g) => [g.name, g.started, g.vcpus])).toEqual([
      ['g1', true, 1],
      ['g2', true, 1],
    ])
    expect(all.results.every((s) => s.trace.length === 0)).toBe(true)
    const g1 = (await service.call('getRun', { id: r.runId, guest: 'g1', trace: true })) as RunPage
    expect(g1.total).toBe(6)
    const { guests } = r.results
    expect(g1.results.map(({ seq: _s, guest: _g, vcpu: _v, ...step }) => step)).toEqual(guests[0]!.vcpus[0]!.steps)
    const page = (await service.call('getRun', { id: r.runId, limit: 5, offset: 10 })) as RunPage
    expect(page.results.map((s) => s.seq)).toEqual([10, 11])
    const after = (await service.call('getRun', { id: r.runId, limit: 2, afterSeq: 3 })) as RunPage
    expect(after.results.map((s) => s.seq)).toEqual([4, 5])
    expect(store.getStep(r.runId, 3)).toEqual({ ...all.results[3], trace: expect.any(Array) })
    await expect(service.call('getRun', { id: r.runId, guest: 'g9' })).rejects.toMatchObject({
      code: 'not-found',
      field: 'guest',
    })
    await expect(service.call('getRun', { id: 999 })).rejects.toMatchObject({ code: 'not-found' })
    await expect(service.call('getRun', { id: 'x' })).rejects.toMatchObject({
      code: 'invalid-input',
      field: 'payload.id',
    })
  })

  it('listRuns pages newest first and filters by status', async () => {
    for (let i = 0; i < 5; i++) await service.call('runStored', { session: 'builtin:neighbour-apqn' })
    const list = store.listRuns({ limit: 2, offset: 1 })
    expect(list.total).toBe(5)
    expect(list.runs.map((r) => r.id)).toEqual([4, 3])
    store.db.prepare("UPDATE runs SET status = 'aborted' WHERE id = 2").run()
    expect((await service.call('listRuns', { status: 'aborted' })) as unknown).toMatchObject({
      total: 1,
      runs: [{ id: 2 }],
    })
    expect(((await service.call('listRuns', undefined)) as { total: number }).total).toBe(5)
    await expect(service.call('listRuns', { status: 'lost' })).rejects.toMatchObject({ code: 'invalid-input' })
  })

  it('diffRuns lists the guest-visible changes between two kernels', async () => {
    const doc = EXAMPLE_SESSIONS.find((s) => s.name === 'two-guests-one-adapter')!
    const a = (await service.call('runStored', { session: doc })) as RunStoredResponse
    const same = (await service.call('runStored', { session: doc })) as RunStoredResponse
    const none = (await service.call('diffRuns', { a: a.runId, b: same.runId })) as RunDiff
    expect(none).toMatchObject({ compared: 12, changed: 0, onlyA: 0, onlyB: 0, changes: [] })

    // The same session on a kernel without the AQIC hook: AQIC and what depends on it change.
    const old = (await service.call('runStored', {
      session: { ...doc, host: { ...doc.host, kernel: 'linux-5.2' } },
    })) as RunStoredResponse
    const d = (await service.call('diffRuns', { a: a.runId, b: old.runId })) as RunDiff
    expect(d.compared).toBe(12)
    expect(d.changed).toBeGreaterThan(0)
    const aqic = d.changes.find((c) => c.guest === 'g1' && c.index === 1)!
    expect(aqic).toMatchObject({ kind: 'changed', insn: 'PQAP', fcName: 'AQIC' })
    // Each listed field really differs between the two stored steps.
    const stepA = store.getStep(a.runId, aqic.seqA!)
    const stepB = store.getStep(old.runId, aqic.seqB!)
    expect(aqic.fields.length).toBeGreaterThan(0)
    for (const f of aqic.fields) expect(f.a, f.field).not.toEqual(f.b)
    expect(JSON.stringify([stepA.pgm, stepA.cc, stepA.status, stepA.handledBy])).not.toBe(
      JSON.stringify([stepB.pgm, stepB.cc, stepB.status, stepB.handledBy]),
    )
    const limited = (await service.call('diffRuns', { a: a.runId, b: old.runId, limit: 1 })) as RunDiff
    expect(limited.changes).toHaveLength(1)
    expect(limited.truncated).toBe(d.changes.length > 1)

    // Guests matched by name: a run with only g2 has g1's steps only on one side.
    const g2only = (await service.call('runStored', {
      session: { ...doc, guests: [doc.guests![1]!] },
    })) as RunStoredResponse
    const d2 = store.diffRuns(a.runId, g2only.runId)
    expect(d2.guestsOnlyA).toEqual(['g1'])
    expect(d2.onlyA).toBe(6)
    await expect(service.call('diffRuns', { a: a.runId, b: 999 })).rejects.toMatchObject({
      code: 'not-found',
      field: 'b',
    })
  })

  it('exports CSV with one line per step, and a JSON export imports back as an equal run', async () => {
    const r = (await service.call('runStored', { session: 'builtin:two-guests-one-adapter' })) as RunStoredResponse
    const csv = store.exportRun(r.runId, 'csv').text
    const lines = csv.trimEnd().split('\r\n')
    expect(lines).toHaveLength(13)
    expect(lines[0]).toMatch(/^seq,guest,vcpu,step,at_us,insn,fc,fc_name,pgm_code,pgm_name,cc,rc,/)
    expect(lines[1]).toMatch(/^0,g\d,0,0,0,PQAP,0,TAPQ,,,0,0,NORMAL,1,0,0,0,lo,firmware,fw\.tapq,"\{""r0"":""0x/)

    const json = ((await service.call('exportRun', { id: r.runId })) as { text: string }).text
    const { id } = (await service.call('importRun', { text: json })) as { id: number }
    expect(store.getRunSummary(id)).toMatchObject({
      origin: 'import',
      status: 'finished',
      steps: 12,
      instructions: 10,
      interrupts: 2,
    })
    expect(store.rebuildResults(id)).toEqual({ ...JSON.parse(json), runId: String(id) })
    expect(store.diffRuns(r.runId, id)).toMatchObject({ compared: 12, changed: 0 })
  })

  it('deleting a run removes its rows', async () => {
    const r = (await service.call('runStored', { session: 'builtin:two-guests-one-adapter' })) as RunStoredResponse
    await service.call('deleteRun', { id: r.runId })
    for (const t of ['results', 'trace', 'run_events', 'run_guests']) {
      expect(store.db.prepare(`SELECT count(*) FROM ${t} WHERE run_id = ?`).pluck().get(r.runId), t).toBe(0)
    }
    await expect(service.call('deleteRun', { id: r.runId })).rejects.toMatchObject({ code: 'not-found' })
    const live = (await service.call('runStored', { session: 'builtin:neighbour-apqn' })) as RunStoredResponse
    store.db.prepare("UPDATE runs SET status = 'running' WHERE id = ?").run(live.runId)
    await expect(service.call('deleteRun', { id: live.runId })).rejects.toMatchObject({ code: 'conflict' })
    expect(store.getRunSummary(live.runId).steps).toBe(live.run.steps)
  })

  it('a runner that throws leaves an aborted run with the rows it committed', () => {
    const session = parseSession(tapqSession(50))
    expect(() =>
      store.recordRun(session, {
        batchRows: 10,
        runner: failingRunner(session, 25, 'engine bug'),
      }),
    ).toThrow('engine bug')
    const [run] = store.listRuns().runs
    expect(run).toMatchObject({ status: 'aborted', steps: 25, instructions: 25 })
    expect(run!.error).toMatch(/engine bug/)
    expect(store.db.prepare('SELECT count(*) FROM results WHERE run_id = ?').pluck().get(run!.id)).toBe(25)
    const doc = store.rebuildResults(run!.id)
    expect(doc.status).toBe('aborted')
    expect(doc.guests.reduce((n, g) => n + g.vcpus[0]!.steps.length, 0)).toBe(25)
  })

  it('a write that fails mid-run aborts the run with that error; the rows before the failed batch stay, contiguous', () => {
    store.db.exec(
      "CREATE TEMP TRIGGER boom BEFORE INSERT ON steps WHEN NEW.seq = 2500 BEGIN SELECT RAISE(ABORT, 'disk on fire'); END",
    )
    const session = parseSession(tapqSession(2000))
    expect(() => store.recordRun(session, { trace: false, batchRows: 1000 })).toThrow(/disk on fire/)
    const [run] = store.listRuns().runs
    expect(run).toMatchObject({ status: 'aborted', steps: 2000 })
    expect(run!.error).toMatch(/disk on fire/)
    const stats = store.db.prepare('SELECT count(*) AS n, min(seq) AS lo, max(seq) AS hi FROM results').get()
    expect(stats).toEqual({ n: 2000, lo: 0, hi: 1999 })
  })

  it('a bad mask is an input error and creates no run', async () => {
    const doc = { ...EXAMPLE_SESSIONS[0]!, host: { ...EXAMPLE_SESSIONS[0]!.host, apmask: '+999' } }
    await expect(service.call('runStored', { session: doc })).rejects.toMatchObject({
      code: 'invalid-input',
      field: 'host.apmask',
    })
    expect(store.listRuns().total).toBe(0)
  })

  it('saves and lists comparisons', async () => {
    const { id } = (await service.call('saveComparison', { matrix: 'builtin:seed-2019-03' })) as { id: number }
    expect(store.listComparisons()).toMatchObject([{ id, matrix: 'builtin:seed-2019-03' }])
    const c = store.getComparison(id)
    expect((c.result as { name: string }).name).toBe('seed-2019-03')
    await service.call('deleteComparison', { id })
    expect(store.listComparisons()).toEqual([])
  })
})

describe('interrupted runs', () => {
  const running = (pid: number | null, host: string | null) => {
    const session = parseSession(EXAMPLE_SESSIONS[0]!)
    const r = store.db
      .prepare(
        `INSERT INTO runs (session_name, kernel, seed, status, started, owner_pid, owner_host)
         VALUES ('x', 'linux-6.8', 1, 'running', '2025-01-01T00:00:00.000Z', ?, ?)`,
      )
      .run(pid, host)
    const id = Number(r.lastInsertRowid)
    store.db.prepare('INSERT INTO run_documents (run_id, snapshot) VALUES (?, ?)').run(id, JSON.stringify(session))
    return id
  }

  it('at open, runs of dead processes become aborted; runs of live ones are left alone', async () => {
    const { hostname } = await import('node:os')
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' })
    const deadPid = Number(dead.stdout)
    const a = running(deadPid, hostname())
    const b = running(process.ppid, hostname()) // alive: the test runner's parent
    const c = running(process.pid, hostname()) // this process, but no Store of ours is recording it
    const d = running(1234, 'another-host')
    const e = running(null, null)
    store.close()
    store = openStore(path)
    expect([...store.recovered].sort()).toEqual([a, c, d, e].sort())
    expect(store.getRunSummary(b).status).toBe('running')
    expect(store.listRuns({ status: 'aborted' }).total).toBe(4)
  })

  it('a second Store opened while this process records a run does not abort it', () => {
    const session = parseSession(tapqSession(30))
    let seen: string[] = []
    store.recordRun(session, {
      batchRows: 5,
      runner: (o) =>
        runSession(session, {
          ...o,
          onRow: (g, v, index, ...rest) => {
            o.onRow!(g, v, index, ...rest)
            if (index === 20 && g === 0) {
              const other = openStore(path)
              seen = other.listRuns().runs.map((r) => r.status)
              expect(other.recovered).toEqual([])
              other.close()
            }
          },
        }),
    })
    expect(seen).toEqual(['running'])
    expect(store.listRuns().runs[0]!.status).toBe('finished')
  })
})

describe('a service without a database', () => {
  it('store operations fail with a clear conflict error; the others work', async () => {
    const bare = createLabService()
    for (const [op, payload] of [
      ['listSessions', undefined],
      ['listRuns', {}],
      ['getRun', { id: 1 }],
      ['runStored', { session: 'builtin:neighbour-apqn' }],
      ['importSession', { text: '{}' }],
    ] as const) {
      const err = await bare.call(op, payload).catch((e: unknown) => e)
      expect(err, op).toBeInstanceOf(LabError)
      expect(err).toMatchObject({ code: 'conflict', message: 'no database open' })
    }
    await expect(bare.call('runSession', { session: 'builtin:neighbour-apqn' })).resolves.toMatchObject({
      format: 'aplab/results@1',
    })
  })
})
