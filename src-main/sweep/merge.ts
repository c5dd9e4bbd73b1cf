// `aplab merge`: join the JSON documents of a sharded sweep (`aplab compare … --shard k/n`) into
// exactly the result one run gives. Every shard must come from the same matrix spec and tracing
// setting, and together the shards must cover every cell exactly once.
import { assembleResult, cellCount, coordsAt, type Cell, type Matrix, type MatrixResult } from '../engine/matrix'
import { cellsFromDoc, RESULT_FORMAT, type CellDoc, type ShardInfo } from '../engine/matrix-format'
import { compileMatrixSpec, MatrixSpecError, parseMatrixSpec } from '../engine/matrix-spec'
import type { TraceRecord } from '../engine/trace'

export class MergeError extends Error {
  constructor(
    readonly file: string,
    reason: string,
  ) {
    super(`${file}: ${reason}`)
  }
}

interface ShardDoc {
  format: string
  shard?: ShardInfo
  spec?: unknown
  traced?: boolean
  full?: CellDoc[]
  traces?: TraceRecord[][]
}

function asShard(
  name: string,
  doc: unknown,
): Required<Pick<ShardDoc, 'shard' | 'spec' | 'full' | 'traces'>> & ShardDoc {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new MergeError(name, 'not a JSON object')
  const d = doc as ShardDoc
  if (d.format !== RESULT_FORMAT)
    throw new MergeError(name, `not an ${RESULT_FORMAT} document (format: ${JSON.stringify(d.format)})`)
  if (!d.shard) throw new MergeError(name, 'not a shard: produce shards with aplab compare … --shard k/n')
  const s = d.shard
  const ints = [s.k, s.n, s.start, s.end, s.total]
  if (
    !ints.every((x) => Number.isSafeInteger(x) && x >= 0) ||
    s.k < 1 ||
    s.k > s.n ||
    s.start > s.end ||
    s.end > s.total
  )
    throw new MergeError(name, 'shard: malformed k/n or index range')
  if (!d.spec) throw new MergeError(name, 'spec: missing (the shard must carry its matrix spec)')
  if (!Array.isArray(d.full)) throw new MergeError(name, 'full: missing')
  if (!Array.isArray(d.traces)) throw new MergeError(name, 'traces: missing')
  if (d.full.length !== s.end - s.start)
    throw new MergeError(name, `full: ${d.full.length} cells for the range ${s.start}–${s.end}`)
  return d as Required<Pick<ShardDoc, 'shard' | 'spec' | 'full' | 'traces'>> & ShardDoc
}

/** Joins shard documents (each `{ name, doc }`, name for messages) into the full result. */
export function mergeShards(inputs: readonly { name: string; doc: unknown }[]): {
  matrix: Matrix
  result: MatrixResult
} {
  if (inputs.length === 0) throw new MergeError('(arguments)', 'no shard files given')
  const shards = inputs.map((i) => ({ name: i.name, doc: asShard(i.name, i.doc) }))
  const first = shards[0]!
  const specText = JSON.stringify(first.doc.spec)
  for (const s of shards.slice(1)) {
    if (JSON.stringify(s.doc.spec) !== specText)
      throw new MergeError(s.name, `comes from a different matrix spec than ${first.name}`)
    if ((s.doc.traced ?? true) !== (first.doc.traced ?? true))
      throw new MergeError(s.name, `was computed ${s.doc.traced ? 'with' : 'without'} traces, ${first.name} not`)
    if (s.doc.shard.n !== first.doc.shard.n || s.doc.shard.total !== first.doc.shard.total)
      throw new MergeError(
        s.name,
        `is shard ${s.doc.shard.k}/${s.doc.shard.n} of ${s.doc.shard.total} cells; ${first.name} is of ${first.doc.shard.n} shards of ${first.doc.shard.total}`,
      )
  }
  let matrix: Matrix
  try {
    matrix = compileMatrixSpec(parseMatrixSpec(first.doc.spec))
  } catch (e) {
    if (e instanceof MatrixSpecError) throw new MergeError(first.name, `spec.${e.field}: ${e.reason}`)
    throw e
  }
  const total = cellCount(matrix)
  if (first.doc.shard.total !== total)
    throw new MergeError(first.name, `shard says ${first.doc.shard.total} cells, the spec has ${total}`)
  const sorted = [...shards].sort((a, b) => a.doc.shard.start - b.doc.shard.start || a.doc.shard.k - b.doc.shard.k)
  let at = 0
  const cells: Cell[] = []
  for (const s of sorted) {
    const { start, end, k, n } = s.doc.shard
    if (start < at) throw new MergeError(s.name, `shard ${k}/${n} overlaps another shard (cells ${start}–${end})`)
    if (start > at)
      throw new MergeError(s.name, `cells ${at}–${start} are in no shard given (missing a shard before ${k}/${n})`)
    const part = cellsFromDoc(s.doc.full, s.doc.traces)
    part.forEach((c, i) => {
      const expected = coordsAt(matrix, start + i)
      if (c.coords.join('\u0000') !== expected.join('\u0000'))
        throw new MergeError(
          s.name,
          `full[${i}]: coordinates ${c.coords.join(' ')} are not cell ${start + i} (${expected.join(' ')})`,
        )
    })
    cells.push(...part)
    at = end
  }
  if (at < total) throw new MergeError(sorted[sorted.length - 1]!.name, `cells ${at}–${total} are in no shard given`)
  return { matrix, result: assembleResult(matrix, cells, first.doc.traced ?? true) }
}
