// Where a recorded run's steps go: written on the engine's thread between steps (InlineSink), or
// handed to the store's writer thread (ThreadSink). `recordRun` sees only this interface.
import type { RunOptions } from '../engine/lab'
import type { Db } from './db'
import type { WriterThread } from './write-thread'
import { RunWriter, type RunWriterOptions } from './writer'

export interface StepSink {
  /** RunOptions.onRow for the engine. */
  readonly row: NonNullable<RunOptions['onRow']>
  /** The engine has finished: writes what is left, then `end(steps)` in the transaction that ends the run. */
  finish(end: (steps: number) => void): void
  /** After a failure: keeps the steps that were produced if it can, and says how many are committed. Never throws. */
  abort(): number
  /** Always called last. */
  dispose(): void
}

/**
 * Inserts on the engine's thread. While the run streams, WAL checkpoints are held back to one per
 * 64 MiB (see write-worker.ts); the setting is back before the commit that ends the run, which so
 * copies the run's pages into the database file once. The last steps and the end of the run are
 * one transaction.
 */
export class InlineSink implements StepSink {
  readonly row: StepSink['row']
  private readonly writer: RunWriter
  private readonly autoCheckpoint: number
  private checkpointsHeld = true
  private ending = false

  constructor(
    private readonly db: Db,
    runId: number,
    opts: RunWriterOptions,
  ) {
    this.writer = new RunWriter(db, runId, opts)
    this.row = this.writer.row.bind(this.writer)
    this.autoCheckpoint = db.pragma('wal_autocheckpoint', { simple: true }) as number
    db.pragma(`wal_autocheckpoint = ${Math.max(this.autoCheckpoint, 16384)}`)
  }

  finish(end: (steps: number) => void): void {
    this.writer.begin()
    this.writer.flush()
    this.ending = true
    end(this.writer.seq)
    this.releaseCheckpoints()
    this.writer.commit()
  }

  abort(): number {
    try {
      // Steps that ran are kept; a failed write or a half-written end of run is not.
      if (this.writer.failed || this.ending) this.writer.rollback()
      else this.writer.commit()
    } catch {
      this.writer.rollback()
    }
    return this.writer.committed
  }

  dispose(): void {
    this.releaseCheckpoints()
  }

  private releaseCheckpoints(): void {
    if (this.checkpointsHeld) this.db.pragma(`wal_autocheckpoint = ${this.autoCheckpoint}`)
    this.checkpointsHeld = false
  }
}

/** Hands the steps to the writer thread; the end of the run is a transaction of the engine's thread once the writer has committed every step. */
export class ThreadSink implements StepSink {
  readonly row: StepSink['row']

  constructor(
    private readonly thread: WriterThread,
    private readonly db: Db,
  ) {
    this.row = thread.row.bind(thread)
  }

  finish(end: (steps: number) => void): void {
    const steps = this.thread.finish()
    this.db.transaction(() => end(steps)).immediate()
  }

  abort(): number {
    return this.thread.abort()
  }

  dispose(): void {}
}
