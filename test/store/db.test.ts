// Opening databases: a new one gets the whole schema, an old one is migrated, and files that are
// not ours or come from a newer AP Lab are refused and left byte for byte as they were.
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { runSession } from '../../src-main/engine/lab'
import { parseSession } from '../../src-main/engine/session'
import { LabError } from '../../src-main/service/errors'
import { APPLICATION_ID, MIGRATIONS, SCHEMA_VERSION, migrate, openStore } from '../../src-main/store'
import { MIGRATIONS_TABLE_SQL, V1_SQL } from '../../src-main/store/migrations'
import { FIXTURES, bytes, raw, tempDir } from './helpers'

let tmp: ReturnType<typeof tempDir>
beforeEach(() => {
  tmp = tempDir()
})
afterEach(() => tmp.cleanup())

function refused(path: string, code: string, message: RegExp): void {
  let err: unknown
  try {
    openStore(path).close()
  } catch (e) {
    err = e
  }
  expect(err).toBeInstanceOf(LabError)
  expect((err as LabError).code).toBe(code)
  expect((err as LabError).field).toBe('db')
  expect((err as LabError).message).toMatch(message)
  expect((err as LabError).message).not.toMatch(/\n/)
}

/** Tables, indexes and their SQL: the schema as SQLite sees it. */
function schemaOf(path: string): { type: string; name: string; sql: string | null }[] {
  const db = raw(path, { readonly: true })
  try {
    return db
      .prepare("SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name")
      .all() as {
      type: string
      name: string
      sql: string | null
    }[]
  } finally {
    db.close()
  }
}

describe('a new database', () => {
  it('gets the latest schema, WAL, foreign keys, our application id and the marker table', () => {
    const path = tmp.file('new.db')
    const store = openStore(path)
    try {
      expect(store.schemaVersion).toBe(SCHEMA_VERSION)
      expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal')
      expect(store.db.pragma('foreign_keys', { simple: true })).toBe(1)
      expect(store.db.pragma('busy_timeout', { simple: true })).toBe(5000)
      expect(store.db.pragma('application_id', { simple: true })).toBe(APPLICATION_ID)
      expect(store.db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION)
      const versions = store.db.prepare('SELECT version FROM schema_migrations ORDER BY version').pluck().all()
      expect(versions).toEqual(MIGRATIONS.map((m) => m.version))
    } finally {
      store.close()
    }
    const names = schemaOf(path).map((r) => `${r.type}:${r.name}`)
    for (const t of [
      'sessions',
      'runs',
      'run_documents',
      'steps',
      'step_segments',
      'outcomes',
      'outcome_trace',
      'run_events',
      'run_guests',
      'comparisons',
      'schema_migrations',
    ]) {
      expect(names).toContain(`table:${t}`)
    }
    for (const v of ['results', 'trace']) expect(names).toContain(`view:${v}`)
    expect(names).toContain('trigger:runs_delete_steps')
    for (const i of ['runs_started', 'runs_status', 'runs_session']) expect(names).toContain(`index:${i}`)
    // Only the primary key: see migrations.ts, version 3.
    expect(names.filter((n) => /^index:/.test(n) && /step/.test(n))).toEqual([])
  })

  it('the Runs screen queries use the indexes', () => {
    const store = openStore(':memory:')
    try {
      const plan = (sql: string) =>
        (store.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as { detail: string }[]).map((r) => r.detail).join(' | ')
      expect(plan('SELECT * FROM runs ORDER BY started DESC LIMIT 50')).toMatch(/runs_started/)
      expect(plan("SELECT * FROM runs WHERE status = 'aborted'")).toMatch(/runs_status/)
      const page = plan('SELECT * FROM results WHERE run_id = 1 ORDER BY seq LIMIT 100')
      expect(page).toMatch(/SEARCH s USING PRIMARY KEY \(run_id=\?\)/)
      expect(page).toMatch(/SEARCH o USING PRIMARY KEY \(run_id=\? AND id=\?\)/)
      expect(page).not.toMatch(/TEMP B-TREE|SCAN/)
      const segment = plan(
        'SELECT * FROM results WHERE run_id = 1 AND seq >= 10 AND seq <= 20 AND guest = 0 AND vcpu = 0 ORDER BY seq',
      )
      expect(segment).toMatch(/SEARCH s USING PRIMARY KEY \(run_id=\? AND seq>\? AND seq<\?\)/)
      expect(segment).not.toMatch(/TEMP B-TREE|SCAN/)
      expect(plan('SELECT * FROM step_segments WHERE run_id = 1 AND guest = 0 ORDER BY vcpu, first_seq')).toMatch(
        /SEARCH step_segments USING PRIMARY KEY \(run_id=\? AND guest=\?\)/,
      )
      expect(plan('SELECT * FROM trace WHERE run_id = 1 AND seq = 5 ORDER BY ord')).not.toMatch(/TEMP B-TREE|SCAN/)
    } finally {
      store.close()
    }
  })

  it('an empty file becomes a database; a missing directory is an error', () => {
    const path = tmp.file('empty.db')
    writeFileSync(path, '')
    openStore(path).close()
    expect(bytes(path).subarray(0, 16).toString('latin1')).toBe('SQLite format 3\u0000')
    refused(tmp.file('no/such/dir/x.db'), 'invalid-input', /directory does not exist/)
    expect(existsSync(tmp.file('no'))).toBe(false)
  })

  it('a directory is refused', () => {
    mkdirSync(tmp.file('d.db'))
    refused(tmp.file('d.db'), 'invalid-input', /is a directory/)
  })

  it('opening twice is harmless and the second open sees the first one’s data', () => {
    const path = tmp.file('twice.db')
    const a = openStore(path)
    const b = openStore(path)
    try {
      const { id } = a.saveSession({
        document: { format: 'aplab/session@1', name: 'x', host: { kernel: 'linux-6.8' } },
      })
      expect(b.getSession(id).name).toBe('x')
    } finally {
      a.close()
      b.close()
    }
  })
})

describe('migrations', () => {
  it('the v1 fixture was written with the frozen v1 DDL', () => {
    const fromFixture = tmp.file('fixture.db')
    const db = raw(fromFixture)
    db.exec(readFileSync(`${FIXTURES}/aplab-v1.sql`, 'utf8'))
    db.close()
    const fromCode = tmp.file('code.db')
    const c = raw(fromCode)
    migrate(c, 1)
    expect(c.pragma('user_version', { simple: true })).toBe(1)
    c.close()
    const norm = (rows: ReturnType<typeof schemaOf>) =>
      rows.map((r) => ({ ...r, sql: r.sql?.replace(/\s+/g, ' ') ?? null }))
    expect(norm(schemaOf(fromFixture))).toEqual(norm(schemaOf(fromCode)))
    // Migration 1 is append-only history: its SQL is what the fixture holds.
    expect(MIGRATIONS[0]!.sql).toBe(V1_SQL)
    expect(MIGRATIONS_TABLE_SQL).toMatch(/schema_migrations/)
  })

  it('a v1 database is migrated at open, keeping its data, and its interrupted run becomes aborted', () => {
    const path = tmp.file('v1.db')
    const db = raw(path)
    db.exec(readFileSync(`${FIXTURES}/aplab-v1.sql`, 'utf8'))
    db.close()

    const store = openStore(path)
    try {
      expect(store.db.prepare('SELECT max(version) FROM schema_migrations').pluck().get()).toBe(SCHEMA_VERSION)
      expect(store.db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION)
      expect(store.recovered).toEqual([2])

      expect(store.listSessions().map((s) => s.name)).toEqual(['neighbour'])
      expect(store.getSession(1).document.host.kernel).toBe('linux-6.8')
      expect(store.listComparisons()).toMatchObject([{ id: 1, name: 'seed table', matrix: 'builtin:seed-2019-03' }])

      const runs = store.listRuns().runs
      expect(runs.map((r) => [r.id, r.status])).toEqual([
        [2, 'aborted'],
        [1, 'finished'],
      ])
      const aborted = store.getRunSummary(2)
      expect(aborted).toMatchObject({ steps: 2, instructions: 2, origin: 'run', sessionId: 1 })
      expect(aborted.error).toMatch(/interrupted/)

      // Guests were filled in from each run's snapshot; the finished run rebuilds to what the engine says.
      expect(store.runGuests(1).map((g) => [g.name, g.qemu, g.vcpus, g.started])).toEqual([
        ['g1', 'qemu-8.2', 1, true],
        ['g2', 'qemu-8.2', 1, true],
      ])
      expect(store.runGuests(2).map((g) => g.started)).toEqual([null, null])
      const session = parseSession(store.runSnapshot(1))
      const expected = runSession(session, { runId: '1' })
      // Fields the engine gained after the fixture was written are simply absent from the old rows.
      for (const g of expected.guests) for (const v of g.vcpus) for (const st of v.steps) delete st.statusStored
      expect(store.rebuildResults(1)).toEqual(expected)

      // And the migrated database takes new runs.
      const rec = store.recordRun(session)
      expect(rec.runId).toBe(3)
      expect(store.getRunSummary(3).status).toBe('finished')
    } finally {
      store.close()
    }
  })

  it('a failing migration leaves the database at its old version', () => {
    const path = tmp.file('v1-broken.db')
    const db = raw(path)
    db.exec(readFileSync(`${FIXTURES}/aplab-v1.sql`, 'utf8'))
    // A table in the way of migration 2.
    db.exec('CREATE TABLE run_guests (x)')
    db.close()
    expect(() => openStore(path)).toThrow(/run_guests already exists/)
    const after = raw(path, { readonly: true })
    expect(after.prepare('SELECT max(version) FROM schema_migrations').pluck().get()).toBe(1)
    expect(after.prepare('SELECT count(*) FROM pragma_table_info(?)').pluck().get('runs')).toBe(13)
    after.close()
  })
})

describe('files that are not ours', () => {
  it('a database from a newer AP Lab is refused and not modified', () => {
    const path = tmp.file('newer.db')
    const store = openStore(path)
    store.saveSession({ document: { format: 'aplab/session@1', name: 'kept', host: { kernel: 'linux-6.8' } } })
    store.close()
    const db = raw(path)
    db.prepare('INSERT INTO schema_migrations VALUES (?, ?, ?)').run(
      SCHEMA_VERSION + 1,
      'from the future',
      '2030-01-01',
    )
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`)
    db.close()
    const before = bytes(path)
    refused(
      path,
      'conflict',
      new RegExp(
        `newer AP Lab \\(database schema version ${SCHEMA_VERSION + 1}; this AP Lab knows versions up to ${SCHEMA_VERSION}\\)`,
      ),
    )
    refused(path, 'conflict', /not opened and not changed/)
    expect(bytes(path).equals(before)).toBe(true)
  })

  it('another application’s SQLite database is refused and not modified (rollback and WAL journals)', () => {
    for (const mode of ['delete', 'wal']) {
      const path = tmp.file(`other-${mode}.db`)
      const db = raw(path)
      db.pragma(`journal_mode = ${mode}`)
      db.exec("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes (body) VALUES ('keep me')")
      db.close()
      const before = bytes(path)
      refused(path, 'invalid-input', /is not an AP Lab database: it is an SQLite database with other tables: notes/)
      expect(bytes(path).equals(before)).toBe(true)
    }
  })

  it('a database with a schema_migrations table of another tool (no AP Lab application id) is refused', () => {
    const path = tmp.file('rails.db')
    const db = raw(path)
    db.exec(
      "CREATE TABLE schema_migrations (version varchar NOT NULL PRIMARY KEY); INSERT INTO schema_migrations VALUES ('20240101')",
    )
    db.close()
    const before = bytes(path)
    refused(path, 'invalid-input', /not an AP Lab database/)
    expect(bytes(path).equals(before)).toBe(true)
  })

  it('random bytes, a text file and a corrupt SQLite file are refused and not modified', () => {
    const files: [string, Buffer, RegExp][] = [
      ['random.db', randomBytes(64 * 1024), /not an SQLite file/],
      ['short.db', Buffer.from('SQLite'), /not an SQLite file/],
      ['notes.json', Buffer.from('{"format":"aplab/session@1"}\n'), /not an SQLite file/],
      [
        'corrupt.db',
        Buffer.concat([Buffer.from('SQLite format 3\u0000', 'latin1'), randomBytes(8192)]),
        /SQLite cannot read it/,
      ],
    ]
    for (const [name, content, message] of files) {
      const path = tmp.file(name)
      writeFileSync(path, content)
      refused(path, 'invalid-input', message)
      expect(bytes(path).equals(content), name).toBe(true)
    }
  })
})
