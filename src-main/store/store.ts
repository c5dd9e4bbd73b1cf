// The AP Lab database: saved sessions, runs with their per-step results and traces, and
// comparisons. Open it with `openStore` (db.ts). Every method is synchronous (better-sqlite3).
import { hostname } from 'node:os'
import { performance } from 'node:perf_hooks'
import { RESULTS_FORMAT, runSession, type GuestResults, type RunOptions, type RunResults } from '../engine/lab'
import type { StepResult } from '../engine/results'
import { SESSION_FORMAT, SessionError, parseSession, type Session, type SessionInput } from '../engine/session'
import type { TraceRecord } from '../engine/trace'
import { LabError } from '../service/errors'
import { ACTIVE_RUNS } from './active'
import type { Db, StoreOptions } from './db'
import { diffStoredRuns } from './diff'
import { guestStepCount, guestSteps } from './segments'
import { WriterThread } from './write-thread'
import { InlineSink, ThreadSink, type StepSink } from './sink'
import { RunWriter } from './writer'
import { MAX_IMPORT_BYTES, checkFormatTag, checkJsonValue, parseJsonSafely, parseResultsDocument } from './json'
import { SCHEMA_VERSION } from './migrations'
import {
  CSV_HEADER,
  RESULT_COLUMNS,
  RUN_COLUMNS,
  csvCell,
  csvLine,
  guestFromRow,
  runFromRow,
  stepFromRow,
  storedStepFromRow,
  traceFromRow,
  type GuestRow,
  type ResultRow,
  type RunRow,
  type TraceRow,
} from './rows'
import type {
  ComparisonRecord,
  ComparisonSummary,
  ExportedText,
  RunDiff,
  RunGuest,
  RunList,
  RunPage,
  RunStatus,
  RunSummary,
  SessionRecord,
  SessionSummary,
  StoredStep,
} from './types'

/**
 * Steps per transaction while a run streams into the store. A commit rewrites the table's last,
 * partly filled pages; measured on 600,000 TAPQ steps with the writer thread, 8,192-step batches
 * write 1.3× the steps per second of 1,000-step ones.
 */
export const DEFAULT_BATCH_ROWS = 8192
/** A partial batch is committed at least this often (ms), so a crash loses little of a slow run. */
export const DEFAULT_FLUSH_MS = 500
/** Runs whose programs have more steps than this are not kept in memory by default, only streamed. */
export const KEEP_STEPS_LIMIT = 100_000

export interface RecordRunOptions {
  /** The saved session this run came from, if any. */
  sessionId?: number | null
  trace?: boolean
  /** Keep the steps in the returned document (default: when the programs hold ≤ 100,000 steps). */
  keepSteps?: boolean
  batchRows?: number
  flushMs?: number
  /** Runs the session; default `runSession(session, opts)`. It must call `opts.onRow` for every step. */
  runner?: (opts: RunOptions) => RunResults
  /**
   * Where steps are inserted: `thread`, a writer thread with its own connection (write-thread.ts),
   * or `inline`, this thread between engine steps. Default: `thread` for a database file and
   * programs of at least THREAD_MIN_STEPS steps, where one can run.
   */
  writer?: 'thread' | 'inline'
}

/** Programs at least this long are written by a writer thread by default (starting one costs ~50 ms). */
export const THREAD_MIN_STEPS = 50_000

export interface RecordedRun {
  runId: number
  run: RunSummary
  results: RunResults
}

export interface RunPageQuery {
  id: number
  /** Guest name or index. With a guest, rows come in vCPU then execution order. */
  guest?: string | number
  vcpu?: number
  limit?: number
  offset?: number
  /** Keyset paging: rows after this seq (faster than a large offset). */
  afterSeq?: number
  /** Include each step's trace. */
  trace?: boolean
}

export interface RunListQuery {
  status?: RunStatus
  /** A saved session id. */
  session?: number
  limit?: number
  offset?: number
}

const notFound = (what: string, id: number, field = 'id') =>
  new LabError('not-found', `no ${what} with id ${id}`, field)

function now(): string {
  return new Date().toISOString()
}

function sessionOrThrow(doc: unknown): Session {
  try {
    return parseSession(doc)
  } catch (e) {
    if (e instanceof SessionError) throw new LabError('invalid-input', e.reason, e.field)
    throw e
  }
}

function programSteps(session: Session): number {
  let n = 0
  for (const g of session.guests) for (const v of g.vcpus) n += v.program.length
  return n
}

export class Store {
  readonly db: Db
  readonly path: string
  /** Runs this open found `running` with no live owner and marked `aborted`. */
  readonly recovered: readonly number[]
  readonly schemaVersion = SCHEMA_VERSION
  private readonly key: string
  /** How the database was opened: a writer thread opens it the same way. */
  readonly options: StoreOptions

  constructor(db: Db, info: { path: string; key: string; recovered: number[]; options?: StoreOptions }) {
    this.db = db
    this.path = info.path
    this.key = info.key
    this.recovered = info.recovered
    this.options = info.options ?? {}
  }

  close(): void {
    this.closeWriter()
    if (this.db.open) this.db.close()
  }

  private writer: WriterThread | null = null

  /** The store's writer thread (write-thread.ts), started on first use and kept for later runs; null where none can run. */
  private writerThread(): WriterThread | null {
    if (this.writer && !this.writer.usable) this.writer = null
    this.writer ??= WriterThread.start({
      path: this.path,
      ...(this.options.nativeBinding !== undefined ? { nativeBinding: this.options.nativeBinding } : {}),
      busyTimeoutMs: this.options.busyTimeoutMs ?? 5000,
    })
    return this.writer
  }

  private closeWriter(): void {
    this.writer?.close()
    this.writer = null
  }

  // ---- sessions --------------------------------------------------------------------------------

  /** Validates the whole document, then inserts it (or replaces session `id`). `name` renames the document too. */
  saveSession(req: { id?: number; name?: string; document: unknown }): { id: number } {
    checkJsonValue(req.document, 'session document')
    checkFormatTag(req.document, SESSION_FORMAT)
    const doc = req.name === undefined ? req.document : { ...(req.document as object), name: req.name }
    const session = sessionOrThrow(doc)
    const text = JSON.stringify(doc)
    if (text.length > MAX_IMPORT_BYTES)
      throw new LabError('invalid-input', 'the session document is larger than 16 MiB', 'document')
    const t = now()
    if (req.id !== undefined) {
      const r = this.db
        .prepare('UPDATE sessions SET name = ?, document = ?, updated = ? WHERE id = ?')
        .run(session.name, text, t, req.id)
      if (r.changes === 0) throw notFound('saved session', req.id)
      return { id: req.id }
    }
    const r = this.db
      .prepare('INSERT INTO sessions (name, document, created, updated) VALUES (?, ?, ?, ?)')
      .run(session.name, text, t, t)
    return { id: Number(r.lastInsertRowid) }
  }

  /** A session file: parsed within size and depth limits, checked completely, and only then stored. */
  importSession(text: unknown): { id: number; name: string } {
    const doc = parseJsonSafely(text, 'session file')
    checkFormatTag(doc, SESSION_FORMAT)
    const session = sessionOrThrow(doc)
    const { id } = this.saveSession({ document: doc })
    return { id, name: session.name }
  }

  listSessions(): SessionSummary[] {
    const rows = this.db
      .prepare(
        `SELECT s.id, s.name, s.created, s.updated,
           coalesce(json_extract(s.document, '$.description'), '') AS description,
           json_extract(s.document, '$.host.kernel') AS kernel,
           coalesce(json_array_length(s.document, '$.guests'), 0) AS guests,
           (SELECT count(*) FROM runs r WHERE r.session_id = s.id) AS runs,
           (SELECT max(started) FROM runs r WHERE r.session_id = s.id) AS lastRun
         FROM sessions s ORDER BY s.updated DESC, s.id DESC`,
      )
      .all() as SessionSummary[]
    return rows
  }

  getSession(id: number): SessionRecord {
    const r = this.db.prepare('SELECT id, name, created, updated, document FROM sessions WHERE id = ?').get(id) as
      { id: number; name: string; created: string; updated: string; document: string } | undefined
    if (!r) throw notFound('saved session', id)
    return {
      id: r.id,
      name: r.name,
      created: r.created,
      updated: r.updated,
      document: JSON.parse(r.document) as SessionInput,
    }
  }

  exportSession(id: number): { id: number; name: string; fileName: string; text: string } {
    const s = this.getSession(id)
    return {
      id,
      name: s.name,
      fileName: `${fileSafe(s.name)}.session.json`,
      text: JSON.stringify(s.document, null, 2) + '\n',
    }
  }

  /** Deletes a saved session; its runs stay (with their snapshot) and lose the link. */
  deleteSession(id: number): { id: number; deleted: true } {
    const r = this.db.prepare('DELETE FROM sessions WHERE id = ?').run(id)
    if (r.changes === 0) throw notFound('saved session', id)
    return { id, deleted: true }
  }

  // ---- runs: recording -------------------------------------------------------------------------

  /**
   * Runs a session and streams every step into the database: the run row is committed first with
   * status `running`, steps are committed in batches as they complete, and the last batch, the
   * guests' outcome, the events and status `finished` are committed together. If the runner throws,
   * what was committed stays and the run becomes `aborted` with the error.
   */
  recordRun(session: Session, opts: RecordRunOptions = {}): RecordedRun {
    const trace = opts.trace ?? true
    const keepSteps = opts.keepSteps ?? programSteps(session) <= KEEP_STEPS_LIMIT
    const batchRows = Math.max(1, opts.batchRows ?? DEFAULT_BATCH_ROWS)
    const flushMs = opts.flushMs ?? DEFAULT_FLUSH_MS
    const runner = opts.runner ?? ((o: RunOptions) => runSession(session, o))
    const db = this.db
    const t0 = performance.now()
    const wantThread =
      this.path !== ':memory:' &&
      (opts.writer ?? (programSteps(session) >= THREAD_MIN_STEPS ? 'thread' : 'inline')) === 'thread'
    // Started first: it opens the database while this thread serializes the snapshot.
    const thread = wantThread ? this.writerThread() : null
    const snapshot = JSON.stringify(session)

    let runId: number
    try {
      runId = db
        .transaction(() => {
          const r = db
            .prepare(
              `INSERT INTO runs (session_id, session_name, kernel, seed, trace, status, origin, started, owner_pid, owner_host)
               VALUES (?, ?, ?, ?, ?, 'running', 'run', ?, ?, ?)`,
            )
            .run(
              opts.sessionId ?? null,
              session.name,
              session.host.kernel,
              session.seed,
              trace ? 1 : 0,
              now(),
              process.pid,
              hostname(),
            )
          const id = Number(r.lastInsertRowid)
          db.prepare('INSERT INTO run_documents (run_id, snapshot) VALUES (?, ?)').run(id, thread ? null : snapshot)
          const g = db.prepare('INSERT INTO run_guests (run_id, guest, name, qemu, vcpus) VALUES (?, ?, ?, ?, ?)')
          session.guests.forEach((x, i) => g.run(id, i, x.name, x.qemu, x.vcpus.length))
          return id
        })
        .immediate()
    } catch (e) {
      if (thread) this.closeWriter()
      throw e
    }
    const activeKey = `${this.key}#${runId}`
    ACTIVE_RUNS.add(activeKey)

    // The writer thread stores the snapshot (SQLite checks it is JSON) while the engine runs.
    thread?.begin(runId, snapshot, batchRows, flushMs)
    const sink: StepSink = thread ? new ThreadSink(thread, db) : new InlineSink(db, runId, { batchRows, flushMs })

    /** After a failure: keep what can be kept and mark the run aborted. Never throws (the caller rethrows the cause). */
    const abort = (cause: unknown) => {
      try {
        const committed = sink.abort()
        db.prepare(
          `UPDATE runs SET status = 'aborted', error = ?, finished = ?, duration_ms = ?, steps = ?,
             instructions = (SELECT count(*) FROM results x WHERE x.run_id = runs.id AND x.insn <> 'WAIT'),
             interrupts = (SELECT count(*) FROM results x WHERE x.run_id = runs.id AND x.rule = 'lab.wait.irq'),
             end_us = (SELECT max(at_us) FROM results x WHERE x.run_id = runs.id)
           WHERE id = ? AND status = 'running'`,
        ).run(
          `the run failed: ${cause instanceof Error ? cause.message : String(cause)}`,
          now(),
          Math.round(performance.now() - t0),
          committed,
          runId,
        )
      } catch {
        // The database itself fails; the next open marks the run aborted.
      }
    }

    try {
      const results = runner({ runId: String(runId), trace, keepSteps, onRow: sink.row })
      sink.finish((steps) => {
        const g = db.prepare(
          'UPDATE run_guests SET started = ?, start_error = ?, warnings = ? WHERE run_id = ? AND guest = ?',
        )
        results.guests.forEach((x, i) => g.run(x.started ? 1 : 0, x.startError, JSON.stringify(x.warnings), runId, i))
        this.insertEvents(runId, results)
        db.prepare(
          `UPDATE runs SET status = 'finished', finished = ?, duration_ms = ?, steps = ?, instructions = ?, interrupts = ?, end_us = ?
           WHERE id = ?`,
        ).run(
          now(),
          Math.round(performance.now() - t0),
          steps,
          results.counts.instructions,
          results.counts.interrupts,
          results.endUs,
          runId,
        )
        db.prepare('UPDATE run_documents SET results_doc = ? WHERE run_id = ?').run(
          JSON.stringify(withoutSteps(results)),
          runId,
        )
      })
      return { runId, run: this.getRunSummary(runId), results }
    } catch (e) {
      abort(e)
      throw e
    } finally {
      ACTIVE_RUNS.delete(activeKey)
      sink.dispose()
    }
  }

  private insertEvents(runId: number, results: Pick<RunResults, 'events' | 'hostLog'>): void {
    const ev = this.db.prepare(
      `INSERT INTO run_events (run_id, ord, kind, at_us, event_index, action, applied, errno, level, source, text)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    let ord = 0
    for (const e of results.events)
      ev.run(runId, ord++, 'event', e.atUs, e.index, e.do, e.applied ? 1 : 0, e.errno, null, null, e.reason)
    for (const l of results.hostLog)
      ev.run(runId, ord++, 'log', l.atUs, null, null, null, null, l.level, l.source, l.text)
  }

  /** A results file (`aplab/results@1`): parsed within limits, checked completely, then stored in one transaction. */
  importRun(text: unknown): { id: number } {
    const parsed = parseJsonSafely(text, 'results file')
    const doc = parseResultsDocument(parsed)
    const db = this.db
    return db
      .transaction(() => {
        let steps = 0
        let instructions = 0
        let interrupts = 0
        for (const g of doc.guests)
          for (const v of g.vcpus)
            for (const s of v.steps) {
              steps++
              if (s.insn !== 'WAIT') instructions++
              if (s.rule === 'lab.wait.irq') interrupts++
            }
        const hasTrace = doc.guests.some((g) => g.vcpus.some((v) => v.steps.some((s) => s.trace.length > 0)))
        const t = now()
        const r = db
          .prepare(
            `INSERT INTO runs (session_id, session_name, kernel, seed, trace, status, origin, started, finished,
               steps, instructions, interrupts, end_us)
             VALUES (NULL, ?, ?, ?, ?, 'finished', 'import', ?, ?, ?, ?, ?, ?)`,
          )
          .run(
            doc.session,
            doc.kernel,
            doc.seed,
            hasTrace ? 1 : 0,
            t,
            t,
            steps,
            instructions,
            interrupts,
            doc.endUs ?? null,
          )
        const runId = Number(r.lastInsertRowid)
        db.prepare('INSERT INTO run_documents (run_id, snapshot, results_doc) VALUES (?, NULL, ?)').run(
          runId,
          JSON.stringify(withoutSteps(parsed as RunResults)),
        )
        const g = db.prepare(
          'INSERT INTO run_guests (run_id, guest, name, qemu, vcpus, started, start_error, warnings) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
        )
        const writer = new RunWriter(db, runId)
        doc.guests.forEach((x, gi) => {
          g.run(runId, gi, x.name, x.qemu, x.vcpus.length, x.started ? 1 : 0, x.startError, JSON.stringify(x.warnings))
          x.vcpus.forEach((v, vi) => {
            for (const s of v.steps) writer.step(gi, vi, s as StepResult)
          })
        })
        writer.flush()
        this.insertEvents(runId, doc)
        return { id: runId }
      })
      .immediate()
  }

  // ---- runs: reading ---------------------------------------------------------------------------

  listRuns(q: RunListQuery = {}): RunList {
    const where: string[] = []
    const params: unknown[] = []
    if (q.status !== undefined) {
      where.push('status = ?')
      params.push(q.status)
    }
    if (q.session !== undefined) {
      where.push('session_id = ?')
      params.push(q.session)
    }
    const w = where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''
    const total = (this.db.prepare(`SELECT count(*) AS n FROM runs ${w}`).get(...params) as { n: number }).n
    const rows = this.db
      .prepare(`SELECT ${RUN_COLUMNS} FROM runs ${w} ORDER BY started DESC, id DESC LIMIT ? OFFSET ?`)
      .all(...params, q.limit ?? 50, q.offset ?? 0) as RunRow[]
    return { total, runs: rows.map(runFromRow) }
  }

  getRunSummary(id: number): RunSummary {
    const r = this.db.prepare(`SELECT ${RUN_COLUMNS} FROM runs WHERE id = ?`).get(id) as RunRow | undefined
    if (!r) throw notFound('run', id)
    return runFromRow(r)
  }

  runGuests(id: number): RunGuest[] {
    return (
      this.db
        .prepare(
          'SELECT guest, name, qemu, vcpus, started, start_error, warnings FROM run_guests WHERE run_id = ? ORDER BY guest',
        )
        .all(id) as GuestRow[]
    ).map(guestFromRow)
  }

  /** The session a run ran, as it was then (null for imported runs). */
  runSnapshot(id: number): SessionInput | null {
    this.getRunSummary(id)
    const snapshot = this.db.prepare('SELECT snapshot FROM run_documents WHERE run_id = ?').pluck().get(id) as
      string | null | undefined
    return snapshot == null ? null : (JSON.parse(snapshot) as SessionInput)
  }

  /** A run and one page of its results (the Runs screen, `aplab runs show`). */
  getRunPage(q: RunPageQuery): RunPage {
    const run = this.getRunSummary(q.id)
    const guests = this.runGuests(q.id)
    let guest: number | undefined
    if (q.guest !== undefined) {
      const g =
        typeof q.guest === 'number' ? guests.find((x) => x.guest === q.guest) : guests.find((x) => x.name === q.guest)
      if (!g)
        throw new LabError(
          'not-found',
          `run ${q.id} has no guest ${typeof q.guest === 'number' ? q.guest : `'${q.guest}'`}`,
          'guest',
        )
      guest = g.guest
    } else if (q.vcpu !== undefined) {
      throw new LabError('invalid-input', 'a vCPU filter needs a guest', 'vcpu')
    }
    const limit = q.limit ?? 100
    const offset = q.offset ?? 0
    let total: number
    let rows: ResultRow[]
    if (guest !== undefined) {
      // In vCPU, then execution order; see segments.ts.
      total = guestStepCount(this.db, q.id, guest, q.vcpu)
      rows = []
      if (limit > 0)
        for (const r of guestSteps<ResultRow>(this.db, q.id, RESULT_COLUMNS, {
          guest,
          ...(q.vcpu !== undefined ? { vcpu: q.vcpu } : {}),
          ...(q.afterSeq !== undefined ? { afterSeq: q.afterSeq } : {}),
          skip: offset,
        })) {
          rows.push(r)
          if (rows.length >= limit) break
        }
    } else {
      total =
        run.status === 'finished'
          ? run.steps
          : (this.db.prepare('SELECT count(*) FROM steps WHERE run_id = ?').pluck().get(q.id) as number)
      rows = this.db
        .prepare(`SELECT ${RESULT_COLUMNS} FROM results WHERE run_id = ? AND seq > ? ORDER BY seq LIMIT ? OFFSET ?`)
        .all(q.id, q.afterSeq ?? -1, limit, offset) as ResultRow[]
    }
    const traceOf = q.trace
      ? this.db.prepare(
          'SELECT seq, ord, layer, rule, text, ref, quirk, choice FROM trace WHERE run_id = ? AND seq = ? ORDER BY ord',
        )
      : null
    const results: StoredStep[] = rows.map((r) =>
      storedStepFromRow(r, traceOf ? (traceOf.all(q.id, r.seq) as TraceRow[]).map(traceFromRow) : []),
    )
    return { run, guests, total, offset, results }
  }

  /** One stored step with its trace. */
  getStep(id: number, seq: number): StoredStep {
    const r = this.db.prepare(`SELECT ${RESULT_COLUMNS} FROM results WHERE run_id = ? AND seq = ?`).get(id, seq) as
      ResultRow | undefined
    if (!r) throw new LabError('not-found', `run ${id} has no step ${seq}`, 'seq')
    const trace = this.db
      .prepare(
        'SELECT seq, ord, layer, rule, text, ref, quirk, choice FROM trace WHERE run_id = ? AND seq = ? ORDER BY ord',
      )
      .all(id, seq) as TraceRow[]
    return storedStepFromRow(r, trace.map(traceFromRow))
  }

  /** Every result row of a run in execution order, read a chunk at a time. */
  private *resultChunks(
    id: number,
    withTrace: boolean,
    chunk = 10_000,
  ): Generator<{ rows: ResultRow[]; traces: Map<number, TraceRecord[]> }> {
    const page = this.db.prepare(
      `SELECT ${RESULT_COLUMNS} FROM results WHERE run_id = ? AND seq >= ? ORDER BY seq LIMIT ?`,
    )
    const traceRange = this.db.prepare(
      'SELECT seq, ord, layer, rule, text, ref, quirk, choice FROM trace WHERE run_id = ? AND seq >= ? AND seq <= ? ORDER BY seq, ord',
    )
    let from = 0
    for (;;) {
      const rows = page.all(id, from, chunk) as ResultRow[]
      if (rows.length === 0) return
      const traces = new Map<number, TraceRecord[]>()
      if (withTrace) {
        for (const t of traceRange.all(id, rows[0]!.seq, rows[rows.length - 1]!.seq) as TraceRow[]) {
          let list = traces.get(t.seq)
          if (!list) traces.set(t.seq, (list = []))
          list.push(traceFromRow(t))
        }
      }
      yield { rows, traces }
      if (rows.length < chunk) return
      from = rows[rows.length - 1]!.seq + 1
    }
  }

  /**
   * The run's `aplab/results@1` document rebuilt from the rows: for a finished run, equal (as JSON
   * text) to what the engine returned. A run that did not finish gets `"status": "aborted"`/`"running"`.
   */
  rebuildResults(id: number): RunResults & { status?: RunStatus } {
    const run = this.getRunSummary(id)
    const stored = this.db.prepare('SELECT results_doc FROM run_documents WHERE run_id = ?').pluck().get(id) as
      string | null | undefined
    if (stored != null) {
      // A finished run: its document as the engine returned it, with the steps from the rows.
      const doc = JSON.parse(stored) as RunResults & { status?: RunStatus }
      doc.runId = String(id)
      for (const { rows, traces } of this.resultChunks(id, true)) {
        for (const r of rows) {
          const vcpus = doc.guests[r.guest]?.vcpus
          if (!vcpus) continue
          while (vcpus.length <= r.vcpu) vcpus.push({ steps: [] })
          vcpus[r.vcpu]!.steps.push(stepFromRow(r, traces.get(r.seq) ?? []))
        }
      }
      if (run.status !== 'finished') doc.status = run.status
      return doc
    }
    // A run that did not finish (or one from schema version 1): rebuilt from the tables.
    const guestRows = this.runGuests(id)
    const hasRows = this.db.prepare('SELECT EXISTS (SELECT 1 FROM step_segments WHERE run_id = ? AND guest = ?) AS x')
    const guests: GuestResults[] = guestRows.map((g) => ({
      name: g.name,
      qemu: g.qemu,
      started: g.started ?? (hasRows.get(id, g.guest) as { x: number }).x === 1,
      startError: g.startError,
      warnings: g.warnings,
      vcpus: Array.from({ length: g.vcpus }, () => ({ steps: [] as StepResult[] })),
    }))
    let lastAt = 0
    for (const { rows, traces } of this.resultChunks(id, true)) {
      for (const r of rows) {
        const vcpus = guests[r.guest]?.vcpus
        if (!vcpus) continue
        while (vcpus.length <= r.vcpu) vcpus.push({ steps: [] })
        vcpus[r.vcpu]!.steps.push(stepFromRow(r, traces.get(r.seq) ?? []))
        if (r.at_us > lastAt) lastAt = r.at_us
      }
    }
    const events = this.db
      .prepare(
        'SELECT kind, at_us, event_index, action, applied, errno, level, source, text FROM run_events WHERE run_id = ? ORDER BY ord',
      )
      .all(id) as {
      kind: 'event' | 'log'
      at_us: number
      event_index: number | null
      action: string | null
      applied: number | null
      errno: string | null
      level: string | null
      source: string | null
      text: string
    }[]
    const doc: RunResults & { status?: RunStatus } = {
      format: RESULTS_FORMAT,
      session: run.sessionName,
      runId: String(id),
      seed: run.seed,
      kernel: run.kernel,
      guests,
      events: events
        .filter((e) => e.kind === 'event')
        .map((e) => ({
          index: e.event_index ?? 0,
          atUs: e.at_us,
          do: e.action ?? '',
          applied: e.applied === 1,
          errno: e.errno,
          reason: e.text,
        })),
      hostLog: events
        .filter((e) => e.kind === 'log')
        .map((e) => ({
          atUs: e.at_us,
          level: e.level === 'warn' ? 'warn' : 'info',
          source: e.source ?? '',
          text: e.text,
        })),
      endUs: run.endUs ?? lastAt,
      counts: { steps: run.steps, instructions: run.instructions, interrupts: run.interrupts },
    }
    if (run.status !== 'finished') doc.status = run.status
    return doc
  }

  /** The run as text, a chunk at a time (for writing big runs to a file or stdout). */
  *exportRunChunks(id: number, format: 'json' | 'csv'): Generator<string> {
    if (format === 'json') {
      yield JSON.stringify(this.rebuildResults(id), null, 2) + '\n'
      return
    }
    const names = new Map(this.runGuests(id).map((g) => [g.guest, g.name]))
    if (names.size === 0) this.getRunSummary(id)
    yield CSV_HEADER.map(csvCell).join(',') + '\r\n'
    for (const { rows } of this.resultChunks(id, false)) {
      let text = ''
      for (const r of rows) text += csvLine(r, names.get(r.guest) ?? String(r.guest))
      yield text
    }
  }

  exportRun(id: number, format: 'json' | 'csv' = 'json'): ExportedText {
    const run = this.getRunSummary(id)
    const text = [...this.exportRunChunks(id, format)].join('')
    return {
      id,
      format,
      fileName: `${fileSafe(run.sessionName)}.run-${id}.${format === 'json' ? 'results.json' : 'csv'}`,
      text,
    }
  }

  diffRuns(a: number, b: number, opts: { limit?: number } = {}): RunDiff {
    this.getRunSummary(a)
    try {
      this.getRunSummary(b)
    } catch (e) {
      if (e instanceof LabError) throw notFound('run', b, 'b')
      throw e
    }
    return diffStoredRuns(this.db, a, b, opts.limit ?? 1000)
  }

  /** Deletes a run and its rows. A run still being recorded cannot be deleted. */
  deleteRun(id: number): { id: number; deleted: true } {
    this.db
      .transaction(() => {
        const status = this.db.prepare('SELECT status FROM runs WHERE id = ?').pluck().get(id) as RunStatus | undefined
        if (status === undefined) throw notFound('run', id)
        if (status === 'running')
          throw new LabError('conflict', `run ${id} is still running; delete it once it has finished`, 'id')
        this.db.prepare('DELETE FROM runs WHERE id = ?').run(id)
      })
      .immediate()
    return { id, deleted: true }
  }

  // ---- comparisons -----------------------------------------------------------------------------

  saveComparison(req: { name: string; spec: unknown; result: unknown }): { id: number } {
    const r = this.db
      .prepare('INSERT INTO comparisons (name, spec, result, created) VALUES (?, ?, ?, ?)')
      .run(req.name, JSON.stringify(req.spec), JSON.stringify(req.result), now())
    return { id: Number(r.lastInsertRowid) }
  }

  listComparisons(): ComparisonSummary[] {
    return this.db
      .prepare(
        "SELECT id, name, json_extract(spec, '$.matrix') AS matrix, created FROM comparisons ORDER BY created DESC, id DESC",
      )
      .all() as ComparisonSummary[]
  }

  getComparison(id: number): ComparisonRecord {
    const r = this.db
      .prepare(
        "SELECT id, name, json_extract(spec, '$.matrix') AS matrix, created, spec, result FROM comparisons WHERE id = ?",
      )
      .get(id) as (ComparisonSummary & { spec: string; result: string }) | undefined
    if (!r) throw notFound('comparison', id)
    return { ...r, spec: JSON.parse(r.spec) as unknown, result: JSON.parse(r.result) as unknown }
  }

  deleteComparison(id: number): { id: number; deleted: true } {
    const r = this.db.prepare('DELETE FROM comparisons WHERE id = ?').run(id)
    if (r.changes === 0) throw notFound('comparison', id)
    return { id, deleted: true }
  }
}

/** The document with every vCPU's steps emptied (key order kept): what `run_documents.results_doc` holds. */
function withoutSteps(doc: RunResults): RunResults {
  return { ...doc, guests: doc.guests.map((g) => ({ ...g, vcpus: g.vcpus.map((v) => ({ ...v, steps: [] })) })) }
}

function fileSafe(name: string): string {
  const s = name.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[-.]+|-+$/g, '')
  return s === '' ? 'session' : s.slice(0, 80)
}
