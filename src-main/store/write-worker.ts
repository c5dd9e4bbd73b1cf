// The writer thread of recorded runs (write-thread.ts): opens the database itself and writes the
// steps of each run the engine thread sends, committing in batches, until told to close.
import { createRequire } from 'node:module'
import { parentPort, workerData } from 'node:worker_threads'
import type BetterSqlite3 from 'better-sqlite3'
import type { StepResult } from '../engine/results'
import { ROW_INTS, WRITER_DONE, WRITER_FAILED, WRITER_RUNNING, type ToWriter, type WriterData } from './write-protocol'
import { RunWriter } from './writer'

function main(): void {
  const data = workerData as WriterData
  const state = new Int32Array(data.shared)
  const port = parentPort!
  const Database = createRequire(data.requireFrom)('better-sqlite3') as typeof BetterSqlite3
  let db: BetterSqlite3.Database | null = null
  let writer: RunWriter | null = null
  const fail = (e: unknown) => {
    try {
      writer?.rollback()
    } catch {
      // the database is gone; nothing to roll back
    }
    if (writer) Atomics.store(state, 2, writer.committed)
    db?.close()
    data.errors.postMessage({ error: e instanceof Error ? e.message : String(e) })
    data.errors.close()
    Atomics.store(state, 0, WRITER_FAILED)
    Atomics.notify(state, 0)
    Atomics.notify(state, 1)
    port.close()
  }
  try {
    db = new Database(data.path, {
      timeout: data.busyTimeoutMs,
      ...(data.nativeBinding !== undefined ? { nativeBinding: data.nativeBinding } : {}),
    })
    db.pragma('foreign_keys = ON')
    db.pragma('synchronous = NORMAL')
    // Checkpoints (copying the WAL into the database file, with an fsync) once per 64 MiB of WAL
    // instead of 4 MiB: a run's pages are copied once, by the commit that ends the run.
    db.pragma('wal_autocheckpoint = 16384')
  } catch (e) {
    fail(e)
    return
  }
  const conn = db
  port.on('message', (msg: ToWriter) => {
    if (msg.type === 'close') {
      conn.close()
      data.errors.close()
      port.close()
      return
    }
    if (Atomics.load(state, 0) !== WRITER_RUNNING) return
    try {
      if (msg.type === 'begin') {
        conn.prepare('UPDATE run_documents SET snapshot = ? WHERE run_id = ?').run(msg.snapshot, msg.runId)
        writer = new RunWriter(conn, msg.runId, { batchRows: msg.batchRows, flushMs: msg.flushMs })
        return
      }
      if (msg.type === 'rows') {
        const w = writer!
        const r = msg.ints
        const at = msg.atUs
        let f = 0
        for (let i = 0; i < msg.count; i++) {
          const o = i * ROW_INTS
          let first: StepResult | null = null
          if (f < msg.firsts.length && msg.firsts[f]![0] === i) first = msg.firsts[f++]![1]
          w.row(r[o]!, r[o + 1]!, r[o + 2]!, at[i]!, r[o + 3]!, first)
        }
        if (w.committed !== Atomics.load(state, 2)) Atomics.store(state, 2, w.committed)
        Atomics.sub(state, 1, 1)
        Atomics.notify(state, 1)
        return
      }
      if (writer) {
        writer.commit()
        Atomics.store(state, 2, writer.committed)
        writer = null
      }
      Atomics.store(state, 0, WRITER_DONE)
      Atomics.notify(state, 0)
    } catch (e) {
      fail(e)
    }
  })
}

main()
