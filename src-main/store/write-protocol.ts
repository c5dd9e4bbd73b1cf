// Messages and shared state between a recorded run's engine thread (write-thread.ts) and its
// writer thread (write-worker.ts).
import type { MessagePort } from 'node:worker_threads'
import type { StepResult } from '../engine/results'

export interface WriterData {
  path: string
  nativeBinding?: string
  busyTimeoutMs: number
  /** Where better-sqlite3 is resolved from (this script may run from a bundle outside the project). */
  requireFrom: string
  /** [0] state of the current run (WRITER_*), [1] batches sent and not yet written, [2] steps committed. */
  shared: SharedArrayBuffer
  /** Where the writer's error goes (read synchronously by the engine's thread). */
  errors: MessagePort
}

/** Per step in `ints`: guest, vCPU, program step, outcome (read back as small integers, which bind faster than doubles). */
export const ROW_INTS = 4

export type ToWriter =
  /** The run row exists: store its session snapshot (run_documents.snapshot), then its steps. */
  | { type: 'begin'; runId: number; snapshot: string; batchRows: number; flushMs: number }
  | { type: 'rows'; ints: Int32Array; atUs: Float64Array; count: number; firsts: [number, StepResult][] }
  /** Commit what is left of the run and wait for the next one. */
  | { type: 'end' }
  /** Close the database; the thread exits. */
  | { type: 'close' }

export const WRITER_RUNNING = 0
export const WRITER_DONE = 1
export const WRITER_FAILED = 2
