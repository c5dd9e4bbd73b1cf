// A sweep worker: compiles the matrix spec it is given once per run, then computes the cell
// ranges the pool sends, and posts the cells back (without coordinates: the pool knows them).
import { parentPort } from 'node:worker_threads'
import { computeRange, type Matrix } from '../engine/matrix'
import { packCells, type PackedCells } from './pack'
import { compileMatrixSpec, type MatrixSpec } from '../engine/matrix-spec'

export type ToWorker =
  | { type: 'init'; run: number; spec: MatrixSpec; trace: boolean }
  | { type: 'run'; run: number; id: number; start: number; end: number }

export type FromWorker =
  | { type: 'ready'; run: number }
  | { type: 'done'; run: number; id: number; packed: PackedCells }
  | { type: 'error'; run: number; message: string }

let matrix: Matrix | null = null
let trace = false
let current = -1

const port = parentPort
port?.on('message', (msg: ToWorker) => {
  if (!port) return
  try {
    if (msg.type === 'init') {
      current = msg.run
      matrix = compileMatrixSpec(msg.spec)
      trace = msg.trace
      port.postMessage({ type: 'ready', run: msg.run } satisfies FromWorker)
      return
    }
    if (!matrix) throw new Error('sweep worker: run before init')
    const packed = packCells(computeRange(matrix, msg.start, msg.end, trace))
    port.postMessage({ type: 'done', run: msg.run, id: msg.id, packed } satisfies FromWorker, [
      packed.codes.buffer as ArrayBuffer,
    ])
  } catch (e) {
    port.postMessage({
      type: 'error',
      run: current,
      message: e instanceof Error ? e.message : String(e),
    } satisfies FromWorker)
  }
})
