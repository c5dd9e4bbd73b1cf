// Opening the database: refuse what is not ours (never writing to it), refuse a newer schema,
// apply pending migrations in one transaction, and mark runs whose process died as aborted.
import Database from 'better-sqlite3'
import { closeSync, openSync, readSync, statSync } from 'node:fs'
import { hostname } from 'node:os'
import { resolve } from 'node:path'
import { LabError } from '../service/errors'
import { ACTIVE_RUNS } from './active'
import { APPLICATION_ID, MIGRATIONS, MIGRATIONS_TABLE_SQL, SCHEMA_VERSION } from './migrations'
import { Store } from './store'

export type Db = Database.Database
export type Statement = Database.Statement

export interface StoreOptions {
  /** better-sqlite3's addon to load instead of the one in node_modules (the desktop app's Electron build). */
  nativeBinding?: string
  /** How long to wait for another process's write lock, in ms (default 5000). */
  busyTimeoutMs?: number
}

const SQLITE_HEADER = 'SQLite format 3\u0000'

function fail(path: string, message: string, code: 'invalid-input' | 'conflict' | 'internal' = 'invalid-input'): never {
  throw new LabError(code, `${path} ${message}`, 'db')
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e)
}

/** What is on disk before SQLite touches it: nothing (a new database), or a file that must be an SQLite database. */
function inspectFile(path: string): 'new' | 'existing' {
  let size: number
  try {
    const st = statSync(path)
    if (st.isDirectory()) fail(path, 'is a directory, not a database file')
    if (!st.isFile()) fail(path, 'is not a regular file')
    size = st.size
  } catch (e) {
    if (e instanceof LabError) throw e
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 'new'
    fail(path, `cannot be read: ${errorText(e)}`)
  }
  if (size === 0) return 'new'
  const header = Buffer.alloc(100)
  let got = 0
  let fd: number | undefined
  try {
    fd = openSync(path, 'r')
    got = readSync(fd, header, 0, 100, 0)
  } catch (e) {
    fail(path, `cannot be read: ${errorText(e)}`)
  } finally {
    if (fd !== undefined) closeSync(fd)
  }
  if (got < 100 || header.toString('latin1', 0, 16) !== SQLITE_HEADER) {
    fail(
      path,
      'is not an AP Lab database: it is not an SQLite file. It was left untouched; use --db to choose another file.',
    )
  }
  return 'existing'
}

interface SchemaState {
  /** 0: an empty database that gets the whole schema. */
  version: number
}

/** Read-only look at a database: ours, empty, or something else. Throws LabError for anything we must not touch. */
function inspectSchema(db: Db, path: string): SchemaState {
  let tables: string[]
  let appId: number
  try {
    tables = (
      db.prepare("SELECT name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'").all() as { name: string }[]
    ).map((r) => r.name)
    appId = db.pragma('application_id', { simple: true }) as number
  } catch (e) {
    fail(path, `is not an AP Lab database: SQLite cannot read it (${errorText(e)}). It was left untouched.`)
  }
  if (tables.length === 0 && appId === 0) return { version: 0 }
  if (appId !== APPLICATION_ID || !tables.includes('schema_migrations')) {
    const what =
      tables.length === 0
        ? 'an empty SQLite database of another application'
        : `an SQLite database with other tables: ${tables.slice(0, 5).join(', ')}${tables.length > 5 ? ', …' : ''}`
    fail(path, `is not an AP Lab database: it is ${what}. It was left untouched; use --db to choose another file.`)
  }
  let version: number
  try {
    version = (db.prepare('SELECT coalesce(max(version), 0) AS v FROM schema_migrations').get() as { v: number }).v
  } catch (e) {
    fail(path, `is not a readable AP Lab database (${errorText(e)}). It was left untouched.`)
  }
  const userVersion = db.pragma('user_version', { simple: true }) as number
  checkNotNewer(path, Math.max(version, userVersion))
  return { version }
}

function checkNotNewer(path: string, version: number): void {
  if (version > SCHEMA_VERSION) {
    fail(
      path,
      `was written by a newer AP Lab (database schema version ${version}; this AP Lab knows versions up to ${SCHEMA_VERSION}). ` +
        'It was not opened and not changed: update AP Lab, or use --db to choose another file.',
      'conflict',
    )
  }
}

/**
 * Brings the schema to `target` (default: the latest), every pending migration in one IMMEDIATE
 * transaction: either all of them apply or none does. Exported for tests that build old databases.
 */
export function migrate(db: Db, target = SCHEMA_VERSION, path = 'database'): number {
  const run = db.transaction(() => {
    db.exec(MIGRATIONS_TABLE_SQL)
    const current = (db.prepare('SELECT coalesce(max(version), 0) AS v FROM schema_migrations').get() as { v: number })
      .v
    // Another process may have migrated between our look and this lock.
    checkNotNewer(path, current)
    const record = db.prepare('INSERT INTO schema_migrations (version, name, applied) VALUES (?, ?, ?)')
    let applied = current
    for (const m of MIGRATIONS) {
      if (m.version <= current || m.version > target) continue
      db.exec(m.sql)
      record.run(m.version, m.name, new Date().toISOString())
      applied = m.version
    }
    db.pragma(`application_id = ${APPLICATION_ID}`)
    db.pragma(`user_version = ${applied}`)
    return applied
  })
  return run.immediate()
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * Runs left `running` by a process that is gone (killed, crashed, power lost) become `aborted`, with
 * their counts taken from the rows that were committed. A run whose owner is still alive on this host
 * (the CLI running next to the desktop app) is left alone.
 */
export function recoverInterruptedRuns(db: Db, key: string): number[] {
  const running = db.prepare("SELECT id, owner_pid, owner_host FROM runs WHERE status = 'running'").all() as {
    id: number
    owner_pid: number | null
    owner_host: string | null
  }[]
  const host = hostname()
  const dead = running.filter((r) => {
    if (r.owner_pid === null || r.owner_host !== host) return true
    if (r.owner_pid === process.pid) return !ACTIVE_RUNS.has(`${key}#${r.id}`)
    return !processAlive(r.owner_pid)
  })
  if (dead.length === 0) return []
  const abort = db.prepare(`UPDATE runs SET
      status = 'aborted',
      error = coalesce(error, 'interrupted: the process recording this run ended before it finished'),
      steps = (SELECT count(*) FROM results x WHERE x.run_id = runs.id),
      instructions = (SELECT count(*) FROM results x WHERE x.run_id = runs.id AND x.insn <> 'WAIT'),
      interrupts = (SELECT count(*) FROM results x WHERE x.run_id = runs.id AND x.rule = 'lab.wait.irq'),
      end_us = (SELECT max(at_us) FROM results x WHERE x.run_id = runs.id)
    WHERE id = ? AND status = 'running'`)
  const done: number[] = []
  db.transaction(() => {
    for (const r of dead) if (abort.run(r.id).changes > 0) done.push(r.id)
  }).immediate()
  return done
}

/**
 * Opens (creating if needed) an AP Lab database. `:memory:` gives a private in-memory one.
 * Throws LabError: 'invalid-input' for a file that is not an AP Lab database (left untouched),
 * 'conflict' for a database from a newer AP Lab (left untouched), 'internal' when SQLite cannot load.
 */
export function openStore(path: string, opts: StoreOptions = {}): Store {
  if (path === '') throw new LabError('invalid-input', 'the database path is empty', 'db')
  const memory = path === ':memory:'
  const state = memory ? 'new' : inspectFile(path)
  const timeout = opts.busyTimeoutMs ?? 5000
  const binding = opts.nativeBinding !== undefined ? { nativeBinding: opts.nativeBinding } : {}

  if (state === 'existing') {
    // Look first through a read-only connection: a file we refuse is never written, not even its header.
    let ro: Db
    try {
      ro = new Database(path, { readonly: true, fileMustExist: true, timeout, ...binding })
    } catch (e) {
      fail(
        path,
        `cannot be opened: ${errorText(e)}`,
        /binding|\.node|NODE_MODULE_VERSION/i.test(errorText(e)) ? 'internal' : 'invalid-input',
      )
    }
    try {
      inspectSchema(ro, path)
    } finally {
      ro.close()
    }
  }

  let db: Db
  try {
    db = new Database(path, { timeout, ...binding })
  } catch (e) {
    const msg = errorText(e)
    if (/directory does not exist/i.test(msg)) fail(path, 'cannot be created: its directory does not exist')
    fail(
      path,
      `cannot be opened: ${msg}`,
      /binding|\.node|NODE_MODULE_VERSION/i.test(msg) ? 'internal' : 'invalid-input',
    )
  }
  try {
    db.pragma('foreign_keys = ON')
    const { version } = inspectSchema(db, path)
    if (!memory) {
      const mode = db.pragma('journal_mode = WAL', { simple: true })
      if (mode !== 'wal')
        fail(path, `cannot use write-ahead logging (SQLite left the journal mode at '${String(mode)}')`, 'internal')
      // WAL + NORMAL: a committed transaction survives the process being killed; only a power loss can cost the last ones.
      db.pragma('synchronous = NORMAL')
    }
    if (version < SCHEMA_VERSION) migrate(db, SCHEMA_VERSION, path)
    const key = memory ? `:memory:${Math.random()}` : resolve(path)
    const recovered = recoverInterruptedRuns(db, key)
    return new Store(db, { path, key, recovered, options: { ...opts, busyTimeoutMs: timeout } })
  } catch (e) {
    db.close()
    throw e
  }
}
