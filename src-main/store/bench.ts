// Store benchmark (product.md §10): result rows written per second while a run executes, against
// plain inserts into a one-column table in one transaction on the same disk, measured in the same
// call; and the time of the Runs screen's queries on a database of many runs. `npm run bench`
// calls `runStoreBench`. Everything is written under a temporary directory that is removed after.
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import Database from 'better-sqlite3'
import { runSession } from '../engine/lab'
import { parseSession, type Session, type SessionInput } from '../engine/session'
import { openStore, type StoreOptions } from './db'

/** Rows one vCPU program can produce (a program holds at most 100,000 steps; one loads GR0). */
const PER_GUEST_MAX = 99_999

/**
 * A session that produces `rows` result rows: guests of one vCPU each, every one doing TAPQ on its
 * own queue of adapter 05 (GR0 is loaded once, then bare PQAPs). Up to 255 guests.
 */
export function tapqStormSession(rows: number, opts: { guests?: number; name?: string } = {}): SessionInput {
  const guests = Math.max(opts.guests ?? 1, Math.ceil(rows / PER_GUEST_MAX))
  if (guests > 255) throw new Error(`tapqStormSession: ${rows} rows need more than 255 guests`)
  const domains = Array.from({ length: guests }, (_, i) => i + 1)
  const base = Math.floor(rows / guests)
  return {
    format: 'aplab/session@1',
    name: opts.name ?? `tapq storm (${rows} steps)`,
    host: { kernel: 'linux-6.8', adapters: [{ id: 5, domains }] },
    mdevs: domains.map((d) => ({ uuid: `mdev-${d}`, adapters: [5], domains: [d] })),
    guests: domains.map((d, i) => ({
      name: `g${d}`,
      qemu: 'qemu-8.2',
      mdev: `mdev-${d}`,
      vcpus: [
        {
          program: [
            { set: { r0: `0x${(0x0500 + d).toString(16).padStart(16, '0')}` } },
            ...Array.from({ length: base + (i < rows - base * guests ? 1 : 0) }, () => ({ insn: 'PQAP' as const })),
          ],
        },
      ],
    })),
  }
}

export interface StoreWriteRound {
  /** Result rows per second while the run executes and streams into the store (engine included). */
  rowsPerSec: number
  /** Plain inserts of as many rows into a one-column table, one transaction, same disk: the mean of one just before and one just after the run. */
  referenceRowsPerSec: number
  ratio: number
}

export interface StoreWriteBench {
  rows: number
  trace: boolean
  /** Where the run's steps were inserted (see RecordRunOptions.writer). */
  writer: 'thread' | 'inline' | 'default'
  /** Distinct outcomes the run stored (each step refers to one). */
  outcomes: number
  /** The first round, not counted: it bundles the writer thread's script and warms the JIT. */
  warmUp: StoreWriteRound
  /** Rounds, each a recorded run between two reference measurements. */
  rounds: StoreWriteRound[]
  /** The round with the median ratio. */
  rowsPerSec: number
  referenceRowsPerSec: number
  ratio: number
  bestRatio: number
  /** The same run with `onRow` doing nothing: the engine alone, best round. */
  engineRowsPerSec: number
  dbBytes: number
}

export interface StoreQueryBench {
  runs: number
  rowsPerRun: number
  rows: number
  buildSeconds: number
  dbBytes: number
  /** Milliseconds: the first call after opening, and the median of the repeats. */
  listRunsPage: { firstMs: number; medianMs: number }
  listRunsByStatus: { firstMs: number; medianMs: number }
  openRunFirstPage: { firstMs: number; medianMs: number }
  openRunGuestPage: { firstMs: number; medianMs: number }
  openRunDeepPage: { firstMs: number; medianMs: number }
}

export interface StoreBenchOptions {
  /** Directory for the temporary databases (default: the OS temp directory): the disk measured. */
  dir?: string
  /** Result rows of the write benchmark (default 600,000). */
  rows?: number
  /** Record traces in the write benchmark (default: both, trace on as `aplab run` does, and off). */
  trace?: boolean
  /** Rounds of the write benchmark (default 5). */
  rounds?: number
  /** Build and query the Runs database (default true). */
  queries?: boolean
  /** Runs × rows per run of the query database (default 1,000 × 1,000). */
  runs?: number
  rowsPerRun?: number
  /** 1,000 runs × 10,000 rows (10 million result rows, a few GB on disk). */
  full?: boolean
  repeats?: number
  store?: StoreOptions
  /** Where the write benchmark's run inserts its steps (default: as recordRun decides). */
  writer?: 'thread' | 'inline'
}

export interface StoreBenchResult {
  /** With traces (as `aplab run` records). */
  rowsPerSec: number
  referenceRowsPerSec: number
  ratio: number
  write: StoreWriteBench
  /** The same without traces. */
  writeNoTrace: StoreWriteBench | null
  queries: StoreQueryBench | null
}

function round(n: number, digits = 0): number {
  const f = 10 ** digits
  return Math.round(n * f) / f
}

function fileBytes(path: string): number {
  let n = 0
  for (const suffix of ['', '-wal']) {
    try {
      n += statSync(path + suffix).size
    } catch {
      // no such file
    }
  }
  return n
}

/** Inserts `rows` integers into a one-column table in one transaction (WAL, synchronous=NORMAL, as the store). */
export function referenceInsertRate(path: string, rows: number, opts: StoreOptions = {}): number {
  const db = new Database(path, opts.nativeBinding !== undefined ? { nativeBinding: opts.nativeBinding } : {})
  try {
    db.pragma('journal_mode = WAL')
    db.pragma('synchronous = NORMAL')
    db.exec('CREATE TABLE reference (x INTEGER)')
    const insert = db.prepare('INSERT INTO reference (x) VALUES (?)')
    const t0 = performance.now()
    db.transaction(() => {
      for (let i = 0; i < rows; i++) insert.run(i)
    })()
    return rows / ((performance.now() - t0) / 1000)
  } finally {
    db.close()
  }
}

/**
 * Records a run of `rows` TAPQ steps into a fresh database file, between two inserts of as many
 * rows into a one-column table on the same disk; repeated `rounds` times, and the median ratio is
 * reported: on this shared machine the reference alone varies by ±30% from one second to the next.
 * A warm-up round comes first and is reported apart.
 */
export function benchStoreWrites(dir: string, opts: StoreBenchOptions = {}): StoreWriteBench {
  const rows = opts.rows ?? 600_000
  const trace = opts.trace ?? true
  const roundsWanted = Math.max(1, opts.rounds ?? 5)
  const session: Session = parseSession(tapqStormSession(rows, { name: 'bench: store writes' }))

  let engineRowsPerSec = 0
  const rounds: StoreWriteRound[] = []
  let outcomes = 0
  let dbBytes = 0
  // Round 0 warms up (the writer thread's script is bundled once per process, the JIT learns the
  // engine) and is reported apart.
  let warmUp: StoreWriteRound | null = null
  for (let k = 0; k <= roundsWanted; k++) {
    let engineRows = 0
    const e0 = performance.now()
    runSession(session, { trace, keepSteps: false, onRow: () => void engineRows++ })
    engineRowsPerSec = Math.max(engineRowsPerSec, engineRows / ((performance.now() - e0) / 1000))

    const reference = () => {
      const file = join(dir, `reference-${k}.db`)
      const rate = referenceInsertRate(file, rows, opts.store)
      rmSync(file, { force: true })
      rmSync(`${file}-wal`, { force: true })
      return rate
    }
    const before = reference()
    const path = join(dir, `writes-${k}.db`)
    const store = openStore(path, opts.store)
    let seconds: number
    try {
      const t0 = performance.now()
      const rec = store.recordRun(session, {
        trace,
        keepSteps: false,
        ...(opts.writer ? { writer: opts.writer } : {}),
      })
      seconds = (performance.now() - t0) / 1000
      if (rec.run.steps !== rows) throw new Error(`bench: expected ${rows} rows, the run stored ${rec.run.steps}`)
      outcomes = store.db.prepare('SELECT count(*) FROM outcomes WHERE run_id = ?').pluck().get(rec.runId) as number
    } finally {
      store.close()
    }
    dbBytes = fileBytes(path)
    rmSync(path, { force: true })
    const referenceRowsPerSec = (before + reference()) / 2
    const rowsPerSec = rows / seconds
    const measured = {
      rowsPerSec: Math.round(rowsPerSec),
      referenceRowsPerSec: Math.round(referenceRowsPerSec),
      ratio: round(rowsPerSec / referenceRowsPerSec, 4),
    }
    if (k === 0) warmUp = measured
    else rounds.push(measured)
  }
  const byRatio = [...rounds].sort((a, b) => a.ratio - b.ratio)
  const middle = byRatio[Math.floor(byRatio.length / 2)]!
  return {
    rows,
    trace,
    writer: opts.writer ?? 'default',
    outcomes,
    warmUp: warmUp!,
    rounds,
    rowsPerSec: middle.rowsPerSec,
    referenceRowsPerSec: middle.referenceRowsPerSec,
    ratio: middle.ratio,
    bestRatio: byRatio[byRatio.length - 1]!.ratio,
    engineRowsPerSec: Math.round(engineRowsPerSec),
    dbBytes,
  }
}

function timeIt(repeats: number, fn: () => unknown): { firstMs: number; medianMs: number } {
  const times: number[] = []
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now()
    fn()
    times.push(performance.now() - t0)
  }
  const sorted = [...times].sort((a, b) => a - b)
  return { firstMs: round(times[0]!, 3), medianMs: round(sorted[Math.floor(sorted.length / 2)]!, 3) }
}

/**
 * Builds a database of `runs` runs of `rowsPerRun` result rows each (one real run, copied inside
 * SQLite; traces off, as they do not take part in these queries), then times what the Runs screen
 * asks: a page of the run list, the list filtered by status, and a run's first page of results.
 */
export function benchStoreQueries(dir: string, opts: StoreBenchOptions = {}): StoreQueryBench {
  const runs = opts.full ? 1000 : (opts.runs ?? 1000)
  const rowsPerRun = opts.full ? 10_000 : (opts.rowsPerRun ?? 1000)
  const repeats = opts.repeats ?? 21
  const path = join(dir, 'runs.db')
  const b0 = performance.now()
  let store = openStore(path, opts.store)
  try {
    const session = parseSession(tapqStormSession(rowsPerRun, { guests: 2, name: 'bench: runs screen' }))
    const template = store.recordRun(session, { trace: false, keepSteps: false }).runId
    const db = store.db
    const copyRun = db.prepare(
      `INSERT INTO runs (session_id, session_name, kernel, seed, trace, status, origin, started, finished, duration_ms,
         steps, instructions, interrupts, end_us)
       SELECT session_id, session_name || ' #' || ?, kernel, seed, trace, ?, origin, ?, finished, duration_ms,
         steps, instructions, interrupts, end_us FROM runs WHERE id = ?`,
    )
    const copyDocuments = db.prepare(
      'INSERT INTO run_documents (run_id, snapshot, results_doc) SELECT ?, snapshot, results_doc FROM run_documents WHERE run_id = ?',
    )
    const copyGuests = db.prepare(
      'INSERT INTO run_guests SELECT ?, guest, name, qemu, vcpus, started, start_error, warnings FROM run_guests WHERE run_id = ?',
    )
    const copyRows = [
      db.prepare(
        `INSERT INTO outcomes SELECT ?, id, insn, fc, fc_name, cc, rc, rc_name, e, r, f, i, pgm_code, pgm_name, handled_by,
           rule, status_placement, regs_in, regs_out, status_stored, extra FROM outcomes WHERE run_id = ?`,
      ),
      db.prepare(
        'INSERT INTO outcome_trace SELECT ?, outcome, ord, layer, rule, text, ref, quirk, choice FROM outcome_trace WHERE run_id = ?',
      ),
      db.prepare(
        'INSERT INTO steps SELECT ?, seq, guest, vcpu, step_index, at_us, outcome FROM steps WHERE run_id = ?',
      ),
      db.prepare(
        'INSERT INTO step_segments SELECT ?, guest, vcpu, first_seq, last_seq, rows FROM step_segments WHERE run_id = ?',
      ),
    ]
    const start = Date.parse('2025-01-01T00:00:00.000Z')
    const batch = db.transaction((from: number, to: number) => {
      for (let i = from; i < to; i++) {
        const status = i % 10 === 7 ? 'aborted' : 'finished'
        const id = Number(copyRun.run(i, status, new Date(start + i * 60_000).toISOString(), template).lastInsertRowid)
        copyDocuments.run(id, template)
        copyGuests.run(id, template)
        for (const c of copyRows) c.run(id, template)
      }
    })
    for (let i = 1; i < runs; i += 20) batch.immediate(i, Math.min(runs, i + 20))
    db.pragma('wal_checkpoint(TRUNCATE)')
    db.exec('ANALYZE')
  } finally {
    store.close()
  }
  const buildSeconds = (performance.now() - b0) / 1000

  store = openStore(path, opts.store)
  try {
    const middle = Math.max(1, Math.floor(runs / 2))
    return {
      runs,
      rowsPerRun,
      rows: runs * rowsPerRun,
      buildSeconds: round(buildSeconds, 2),
      dbBytes: fileBytes(path),
      listRunsPage: timeIt(repeats, () => store.listRuns({ limit: 50 })),
      listRunsByStatus: timeIt(repeats, () => store.listRuns({ status: 'aborted', limit: 50 })),
      openRunFirstPage: timeIt(repeats, () => store.getRunPage({ id: middle, limit: 100 })),
      openRunGuestPage: timeIt(repeats, () => store.getRunPage({ id: middle + 1, guest: 'g2', limit: 100 })),
      openRunDeepPage: timeIt(repeats, () =>
        store.getRunPage({ id: middle + 2, limit: 100, offset: Math.max(0, rowsPerRun - 100) }),
      ),
    }
  } finally {
    store.close()
  }
}

export function runStoreBench(opts: StoreBenchOptions = {}): StoreBenchResult {
  const dir = mkdtempSync(join(opts.dir ?? tmpdir(), 'aplab-bench-store-'))
  try {
    const write = benchStoreWrites(dir, { ...opts, trace: opts.trace ?? true })
    const writeNoTrace = opts.trace === undefined ? benchStoreWrites(dir, { ...opts, trace: false }) : null
    const queries = opts.queries === false ? null : benchStoreQueries(dir, opts)
    return {
      rowsPerSec: write.rowsPerSec,
      referenceRowsPerSec: write.referenceRowsPerSec,
      ratio: write.ratio,
      write,
      writeNoTrace,
      queries,
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
