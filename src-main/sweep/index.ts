// Sweeps: compute the cells of a behaviour matrix on all cores. Computing a cell is pure
// (src-main/engine/matrix.ts); this module only schedules index ranges ("chunks") on worker
// threads, reports progress, and can be cancelled with an AbortSignal. A sweep can also cover
// one shard (k of n equal index ranges); `aplab merge` joins shards (./merge.ts).
//
// Matrices travel to workers as their `aplab/matrix@1` spec, so only spec-based matrices (all
// built-ins, files, diff plans) run on workers; others run in this thread.
import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'
import { cellCount, computeCellAt, coordsAt, type Cell, type Matrix } from '../engine/matrix'
import type { MatrixSpec } from '../engine/matrix-spec'
import { workerScript, type LoaderMode } from './loader'
import { unpackCells } from './pack'
import type { FromWorker, ToWorker } from './worker'

export interface SweepProgress {
  done: number
  total: number
}

export interface Shard {
  k: number
  n: number
}

export interface SweepOptions {
  /** Worker threads; 0 computes in this thread. Default: every core for sweeps of 2,000 cells or more. */
  workers?: number
  shard?: Shard
  /** Record every cell's trace (default true). */
  trace?: boolean
  signal?: AbortSignal
  onProgress?: (p: SweepProgress) => void
  /** Cells per chunk (default: about 20 chunks per worker, 16–2,000 cells). */
  chunkSize?: number
  /** A pool to reuse (its workers stay up after the sweep). */
  pool?: SweepPool
}

export interface SweepResult {
  /** The cells of [start, end), in grid order. */
  cells: Cell[]
  start: number
  end: number
  /** Cells of the whole matrix. */
  total: number
  workers: number
  loader: LoaderMode | null
  elapsedMs: number
}

export class SweepAbortedError extends Error {
  constructor(
    readonly done: number,
    readonly total: number,
  ) {
    super(`sweep interrupted after ${done} of ${total} cells`)
    this.name = 'SweepAbortedError'
  }
}

export const IN_PROCESS_BELOW = 2000

export function parseShard(text: string): Shard {
  const m = /^(\d{1,6})\/(\d{1,6})$/.exec(text.trim())
  if (!m) throw new Error(`expected k/n such as 1/4, got '${text}'`)
  const k = Number(m[1])
  const n = Number(m[2])
  if (n < 1 || k < 1 || k > n) throw new Error(`expected 1 ≤ k ≤ n in k/n, got '${text}'`)
  return { k, n }
}

/** Shard k of n: the k-th of n contiguous, nearly equal index ranges. */
export function shardRange(total: number, shard: Shard): { start: number; end: number } {
  return {
    start: Math.floor(((shard.k - 1) * total) / shard.n),
    end: Math.floor((shard.k * total) / shard.n),
  }
}

function chunksOf(start: number, end: number, size: number): { start: number; end: number }[] {
  const out: { start: number; end: number }[] = []
  for (let s = start; s < end; s += size) out.push({ start: s, end: Math.min(end, s + size) })
  return out
}

function defaultChunk(count: number, workers: number): number {
  return Math.max(16, Math.min(2000, Math.ceil(count / Math.max(1, workers * 20))))
}

const yieldToEvents = () => new Promise<void>((resolve) => setImmediate(resolve))

async function inProcess(matrix: Matrix, start: number, end: number, opts: SweepOptions): Promise<Cell[]> {
  const trace = opts.trace ?? true
  const count = end - start
  const cells: Cell[] = []
  for (const c of chunksOf(start, end, opts.chunkSize ?? defaultChunk(count, 1))) {
    if (opts.signal?.aborted) throw new SweepAbortedError(cells.length, count)
    for (let i = c.start; i < c.end; i++) cells.push(computeCellAt(matrix, i, trace))
    opts.onProgress?.({ done: cells.length, total: count })
    await yieldToEvents()
  }
  if (opts.signal?.aborted) throw new SweepAbortedError(cells.length, count)
  return cells
}

interface PoolWorker {
  worker: Worker
  busy: boolean
}

/** Worker threads that compute matrix cells; reusable across sweeps until closed. */
export class SweepPool {
  private closed = false
  private running = false
  /** Messages carry the run they belong to, so a late answer from an abandoned run is ignored. */
  private runs = 0

  private constructor(
    private readonly workers: PoolWorker[],
    readonly loader: LoaderMode,
  ) {}

  static async create(size = availableParallelism()): Promise<SweepPool> {
    const script = await workerScript()
    const workers = Array.from({ length: Math.max(1, size) }, () => ({
      worker: new Worker(script.url),
      busy: false,
    }))
    return new SweepPool(workers, script.mode)
  }

  get size(): number {
    return this.workers.length
  }

  /** Computes cells [start, end) of the matrix described by `spec`. */
  async run(
    spec: MatrixSpec,
    matrixForCoords: Matrix,
    start: number,
    end: number,
    opts: SweepOptions = {},
  ): Promise<Cell[]> {
    if (this.closed) throw new Error('sweep pool is closed')
    if (this.running) throw new Error('sweep pool is busy')
    this.running = true
    const run = ++this.runs
    const count = end - start
    const chunks = chunksOf(start, end, opts.chunkSize ?? defaultChunk(count, this.workers.length))
    // Packed chunks are kept as they arrive and unpacked once the workers are done, so this
    // thread does not compete with them for the cores while they compute.
    const packed: unknown[] = new Array(chunks.length)
    let next = 0
    let done = 0
    const trace = opts.trace ?? true
    try {
      await new Promise<void>((resolve, reject) => {
        let finished = false
        const listeners: (() => void)[] = []
        const finish = (err?: unknown) => {
          if (finished) return
          finished = true
          for (const off of listeners) off()
          if (err) reject(err)
          else resolve()
        }
        const onAbort = () => {
          // Workers may be in the middle of a chunk: stop them and give up the pool.
          void this.close()
          finish(new SweepAbortedError(done, count))
        }
        if (opts.signal) {
          if (opts.signal.aborted) return onAbort()
          opts.signal.addEventListener('abort', onAbort, { once: true })
          listeners.push(() => opts.signal!.removeEventListener('abort', onAbort))
        }
        if (chunks.length === 0) return finish()
        let pending = 0
        const dispatch = (pw: PoolWorker) => {
          if (next >= chunks.length) {
            pw.busy = false
            if (pending === 0) finish()
            return
          }
          const id = next++
          pw.busy = true
          pending++
          pw.worker.postMessage({
            type: 'run',
            run,
            id,
            start: chunks[id]!.start,
            end: chunks[id]!.end,
          } satisfies ToWorker)
        }
        for (const pw of this.workers) {
          const onMessage = (msg: FromWorker) => {
            if (finished || msg.run !== run) return
            if (msg.type === 'error') return finish(new Error(msg.message))
            if (msg.type === 'ready') return dispatch(pw)
            pending--
            packed[msg.id] = msg.packed
            done += chunks[msg.id]!.end - chunks[msg.id]!.start
            opts.onProgress?.({ done, total: count })
            dispatch(pw)
          }
          const onError = (e: Error) => finish(e)
          const onExit = (code: number) => {
            if (!finished) finish(new Error(`sweep worker exited with code ${code}`))
          }
          pw.worker.on('message', onMessage)
          pw.worker.on('error', onError)
          pw.worker.on('exit', onExit)
          listeners.push(() => {
            pw.worker.off('message', onMessage)
            pw.worker.off('error', onError)
            pw.worker.off('exit', onExit)
          })
          pw.worker.postMessage({ type: 'init', run, spec, trace } satisfies ToWorker)
        }
      })
    } finally {
      this.running = false
    }
    const cells: Cell[] = []
    let index = start
    for (const p of packed)
      for (const c of unpackCells(p as Parameters<typeof unpackCells>[0]))
        cells.push({ coords: coordsAt(matrixForCoords, index++), ...c })
    return cells
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    await Promise.all(this.workers.map((w) => w.worker.terminate()))
  }
}

/** Computes the cells of a matrix (or of one shard of it) on worker threads or in this thread. */
export async function runSweep(matrix: Matrix, opts: SweepOptions = {}): Promise<SweepResult> {
  const t0 = performance.now()
  const total = cellCount(matrix)
  const { start, end } = opts.shard ? shardRange(total, opts.shard) : { start: 0, end: total }
  const count = end - start
  let workers = opts.pool ? opts.pool.size : (opts.workers ?? (count >= IN_PROCESS_BELOW ? availableParallelism() : 0))
  if (!matrix.spec) workers = 0
  workers = Math.min(workers, Math.max(1, Math.ceil(count / 16)))
  if (opts.signal?.aborted) throw new SweepAbortedError(0, count)
  if (workers <= 0) {
    const cells = await inProcess(matrix, start, end, opts)
    return { cells, start, end, total, workers: 0, loader: null, elapsedMs: performance.now() - t0 }
  }
  const pool = opts.pool ?? (await SweepPool.create(workers))
  try {
    const cells = await pool.run(matrix.spec!, matrix, start, end, opts)
    return { cells, start, end, total, workers: pool.size, loader: pool.loader, elapsedMs: performance.now() - t0 }
  } finally {
    if (!opts.pool) await pool.close()
  }
}
