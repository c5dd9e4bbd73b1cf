// Records a run on two threads: the engine runs on this one and hands its steps, a few thousand at
// a time, to a writer thread (write-worker.ts) that inserts them through its own connection to the
// same database file. On two cores the engine and SQLite then overlap instead of taking turns.
// `recordRun` stays synchronous: at the end it waits (Atomics.wait) for the writer to commit. A
// store keeps its writer thread for the next run (warm, its statements prepared) until it closes.
// Used for file databases in Node (the CLI, browser mode, tests); the desktop app, `:memory:`
// databases and short runs write on the engine's thread.
import { existsSync } from 'node:fs'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from 'node:worker_threads'
import type { StepResult } from '../engine/results'
import { bundleWorker } from '../worker-bundle'
import { ROW_INTS, WRITER_DONE, WRITER_FAILED, WRITER_RUNNING, type ToWriter, type WriterData } from './write-protocol'

/** Steps per message to the writer. */
const BATCH = 4096
/** Messages the writer may have queued before the engine waits for it (bounds memory). */
const MAX_QUEUED = 16

const WORKER_TS = new URL('./write-worker.ts', import.meta.url)
let script: URL | null | undefined

/** The writer's script, bundled once per process; null where that cannot be done (the desktop app's bundle). */
function writerScript(): URL | null {
  if (script !== undefined) return script
  script = null
  try {
    if (process.versions.electron === undefined && WORKER_TS.protocol === 'file:' && existsSync(WORKER_TS))
      script = bundleWorker(WORKER_TS, 'write-worker')
  } catch {
    script = null
  }
  return script
}

export type WriterThreadOptions = Omit<WriterData, 'requireFrom' | 'shared' | 'errors'>

/**
 * A store's writer thread. The first one starts (and opens the database) before its run row
 * exists, while the engine's thread builds the session snapshot; `begin` hands it each run.
 */
export class WriterThread {
  private ints = new Int32Array(BATCH * ROW_INTS)
  private atUs = new Float64Array(BATCH)
  private count = 0
  private firsts: [number, StepResult][] = []
  private lastPost = performance.now()
  private ended = true

  private constructor(
    private readonly worker: Worker,
    private readonly state: Int32Array,
    private readonly errors: MessagePort,
  ) {}

  private postMs = 250

  /** A writer thread for the run, or null where one cannot run (the caller then writes itself). */
  static start(opts: WriterThreadOptions): WriterThread | null {
    // WRITER_DONE until the first `begin`: no run is in progress.
    const url = writerScript()
    if (!url) return null
    const shared = new SharedArrayBuffer(3 * Int32Array.BYTES_PER_ELEMENT)
    new Int32Array(shared)[0] = WRITER_DONE
    const { port1, port2 } = new MessageChannel()
    const data: WriterData = {
      ...opts,
      requireFrom: fileURLToPath(import.meta.url),
      shared,
      errors: port2,
    }
    const worker = new Worker(url, { workerData: data, transferList: [port2] })
    worker.unref()
    return new WriterThread(worker, new Int32Array(shared), port1)
  }

  /** False once the thread has failed (it has then closed itself). */
  get usable(): boolean {
    return Atomics.load(this.state, 0) !== WRITER_FAILED
  }

  /** The run to write: its row exists; the writer stores the snapshot first. */
  begin(runId: number, snapshot: string, batchRows: number, flushMs: number): void {
    this.check()
    this.ended = false
    this.count = 0
    this.firsts = []
    this.postMs = Math.max(1, flushMs / 2)
    this.lastPost = performance.now()
    Atomics.store(this.state, 1, 0)
    Atomics.store(this.state, 2, 0)
    Atomics.store(this.state, 0, WRITER_RUNNING)
    this.worker.postMessage({ type: 'begin', runId, snapshot, batchRows, flushMs } satisfies ToWriter)
  }

  /** Closes the thread's connection; the thread exits. */
  close(): void {
    if (this.usable) this.worker.postMessage({ type: 'close' } satisfies ToWriter)
  }

  /** Steps committed by the writer so far. */
  get committed(): number {
    return Atomics.load(this.state, 2)
  }

  row(guest: number, vcpu: number, index: number, atUs: number, outcome: number, first: StepResult | null): void {
    const r = this.ints
    const o = this.count * ROW_INTS
    r[o] = guest
    r[o + 1] = vcpu
    r[o + 2] = index
    r[o + 3] = outcome
    this.atUs[this.count] = atUs
    if (first) this.firsts.push([this.count, first])
    this.count++
    if (this.count === BATCH || ((this.count & 63) === 0 && performance.now() - this.lastPost >= this.postMs))
      this.post()
  }

  /** Sends what is left and waits until the writer has committed it all. Throws the writer's error. */
  finish(): number {
    this.end()
    this.check()
    return this.committed
  }

  /** After a failure on this side: the writer commits what it has; never throws. */
  abort(): number {
    try {
      this.end()
    } catch {
      // the writer failed too; what it committed stays
    }
    return this.committed
  }

  private end(): void {
    if (this.ended) return
    this.ended = true
    if (this.count > 0) this.post()
    if (Atomics.load(this.state, 0) === WRITER_RUNNING) this.worker.postMessage({ type: 'end' } satisfies ToWriter)
    while (Atomics.load(this.state, 0) === WRITER_RUNNING) Atomics.wait(this.state, 0, WRITER_RUNNING, 1000)
  }

  private check(): void {
    if (Atomics.load(this.state, 0) !== WRITER_FAILED) return
    const msg = receiveMessageOnPort(this.errors)?.message as { error?: string } | undefined
    throw new Error(msg?.error ?? 'the writer thread failed')
  }

  private post(): void {
    this.check()
    for (;;) {
      const queued = Atomics.load(this.state, 1)
      if (queued < MAX_QUEUED) break
      Atomics.wait(this.state, 1, queued, 1000)
      this.check()
    }
    Atomics.add(this.state, 1, 1)
    const msg: ToWriter = { type: 'rows', ints: this.ints, atUs: this.atUs, count: this.count, firsts: this.firsts }
    this.worker.postMessage(msg, [this.ints.buffer, this.atUs.buffer])
    this.ints = new Int32Array(BATCH * ROW_INTS)
    this.atUs = new Float64Array(BATCH)
    this.count = 0
    this.firsts = []
    this.lastPost = performance.now()
  }
}
