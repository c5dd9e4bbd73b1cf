// Sweeps: worker threads compute exactly what this thread computes; progress is reported; an
// AbortSignal cancels; shards merged give exactly the result of one run.
import { describe, expect, it } from 'vitest'
import { builtinMatrix } from '../../src-main/engine/builtin-matrices'
import { assembleResult, cellCount, partialResult, type Matrix } from '../../src-main/engine/matrix'
import { formatMatrix, formatShard } from '../../src-main/engine/matrix-format'
import { compileMatrixSpec, MATRIX_FORMAT, parseMatrixSpec } from '../../src-main/engine/matrix-spec'
import { parseShard, runSweep, shardRange, SweepAbortedError, SweepPool } from '../../src-main/sweep'
import { mergeShards, MergeError } from '../../src-main/sweep/merge'

/** 2 × 3 × 2 × 2 × 2 kernel/vfio/psw/gisa/aiv × 5 probes (one a program) = 240 cells. */
const spec = parseMatrixSpec({
  format: MATRIX_FORMAT,
  name: 'sweep-test',
  title: 'sweep test',
  base: { qemu: 'qemu-4.1', ccBefore: 1 },
  dimensions: [
    { id: 'kernel', field: 'kernel', values: [{ value: 'linux-6.0' }, { value: 'linux-6.8' }] },
    { id: 'vfio', field: 'vfio', values: [{ value: 'none' }, { value: 'loaded' }, { value: 'mdev' }] },
    { id: 'psw', field: 'psw', values: [{ value: 'supervisor' }, { value: 'problem' }] },
    { id: 'gisa', field: 'gisa', values: [{ value: true }, { value: false }] },
    { id: 'aiv', field: 'aiv', values: [{ value: true }, { value: false }] },
  ],
  probes: [
    'pqap aqic 05.0004 ir=1 isc=6 nib=0x2000',
    'pqap aqic 05.0004 ir=0',
    'pqap tapq 05.0004',
    { id: 'twice', steps: ['pqap aqic 05.0004 ir=1 isc=6 nib=0x2000', 'pqap aqic 05.0004 ir=1 isc=6 nib=0x3000'] },
    { id: 'gisc', steps: 'pqap aqic 05.0004', set: { 'faults.giscRegisterFails': true } },
  ],
  diffAxis: 'kernel',
})
const matrix: Matrix = compileMatrixSpec(spec)
const total = cellCount(matrix)
const oneRun = assembleResult(matrix, (await runSweep(matrix, { workers: 0 })).cells)
const oneRunJson = formatMatrix(oneRun, 'json')

async function shardDoc(k: number, n: number, workers: number): Promise<unknown> {
  const r = await runSweep(matrix, { shard: { k, n }, workers })
  const { start, end } = shardRange(total, { k, n })
  expect([r.start, r.end]).toEqual([start, end])
  return JSON.parse(formatShard(partialResult(matrix, r.cells), { k, n, start, end, total }))
}

describe('sweeps', () => {
  it('worker threads compute exactly the cells this thread computes, in order', async () => {
    const r = await runSweep(matrix, { workers: 2, chunkSize: 17 })
    expect(r.workers).toBe(2)
    expect(r.loader).toMatch(/bundle|tsx/)
    expect(formatMatrix(assembleResult(matrix, r.cells), 'json')).toBe(oneRunJson)
  })

  it('reports progress up to the total', async () => {
    const seen: number[] = []
    await runSweep(matrix, { workers: 0, chunkSize: 50, onProgress: (p) => seen.push(p.done) })
    expect(seen).toEqual([50, 100, 150, 200, 240])
    const pooled: number[] = []
    await runSweep(matrix, { workers: 2, chunkSize: 60, onProgress: (p) => pooled.push(p.done) })
    expect(pooled.at(-1)).toBe(total)
    expect(pooled).toHaveLength(4)
  })

  it('an AbortSignal cancels, in this thread and on workers', async () => {
    for (const workers of [0, 2]) {
      const controller = new AbortController()
      const run = runSweep(matrix, {
        workers,
        chunkSize: 16,
        signal: controller.signal,
        onProgress: (p) => {
          if (p.done >= 32) controller.abort()
        },
      })
      await expect(run).rejects.toBeInstanceOf(SweepAbortedError)
    }
    const aborted = new AbortController()
    aborted.abort()
    await expect(runSweep(matrix, { signal: aborted.signal })).rejects.toBeInstanceOf(SweepAbortedError)
  })

  it('a pool is reused across sweeps', async () => {
    const pool = await SweepPool.create(2)
    try {
      const a = await runSweep(matrix, { pool, shard: { k: 1, n: 2 } })
      const b = await runSweep(matrix, { pool, shard: { k: 2, n: 2 } })
      expect(formatMatrix(assembleResult(matrix, [...a.cells, ...b.cells]), 'json')).toBe(oneRunJson)
    } finally {
      await pool.close()
    }
  })

  it('parses k/n and splits the index range into contiguous shards', () => {
    expect(parseShard('2/5')).toEqual({ k: 2, n: 5 })
    for (const bad of ['0/2', '3/2', '1/0', '1-2', 'a/b']) expect(() => parseShard(bad)).toThrow()
    const ranges = [1, 2, 3].map((k) => shardRange(10, { k, n: 3 }))
    expect(ranges).toEqual([
      { start: 0, end: 3 },
      { start: 3, end: 6 },
      { start: 6, end: 10 },
    ])
  })
})

describe('shards and merge', () => {
  it('shards computed apart (some on workers) and merged in any order give exactly one run', async () => {
    const docs = [await shardDoc(3, 3, 0), await shardDoc(1, 3, 2), await shardDoc(2, 3, 0)]
    const merged = mergeShards(docs.map((doc, i) => ({ name: `s${i}.json`, doc })))
    expect(formatMatrix(merged.result, 'json')).toBe(oneRunJson)
    for (const f of ['text', 'md', 'csv', 'html'] as const)
      expect(formatMatrix(merged.result, f)).toBe(formatMatrix(oneRun, f))
  })

  it('a built-in merges too (its spec travels with the shards)', async () => {
    const m = builtinMatrix('seed-2019-03')!
    const n = cellCount(m)
    const docs = await Promise.all(
      [2, 1].map(async (k) => {
        const { start, end } = shardRange(n, { k, n: 2 })
        const r = await runSweep(m, { shard: { k, n: 2 }, workers: 0 })
        return JSON.parse(formatShard(partialResult(m, r.cells), { k, n: 2, start, end, total: n })) as unknown
      }),
    )
    const merged = mergeShards(docs.map((doc, i) => ({ name: `${i}`, doc })))
    expect(formatMatrix(merged.result, 'json')).toBe(formatMatrix(assembleResult(m, (await runSweep(m)).cells), 'json'))
    expect(merged.result.rows!.every((r) => r.agrees)).toBe(true)
  })

  it.each([
    ['a missing shard', [1, 3], /cells 80–160 are in no shard given/],
    ['a shard given twice', [1, 1, 2, 3], /overlaps another shard/],
    ['only the last shard', [3], /cells 0–160 are in no shard given/],
  ])('refuses %s', async (_what, ks, message) => {
    const docs = await Promise.all((ks as number[]).map((k) => shardDoc(k, 3, 0)))
    expect(() => mergeShards(docs.map((doc, i) => ({ name: `s${i}`, doc })))).toThrow(message as RegExp)
  })

  it('refuses shards of different specs, documents that are not shards, and a tampered cell', async () => {
    const a = (await shardDoc(1, 2, 0)) as Record<string, unknown>
    const b = (await shardDoc(2, 2, 0)) as Record<string, unknown>
    const other = { ...b, spec: { ...(b.spec as object), title: 'another' } }
    expect(() =>
      mergeShards([
        { name: 'a', doc: a },
        { name: 'b', doc: other },
      ]),
    ).toThrow(/different matrix spec/)
    expect(() => mergeShards([{ name: 'x', doc: JSON.parse(oneRunJson) }])).toThrow(/not a shard/)
    expect(() => mergeShards([{ name: 'x', doc: [] }])).toThrow(MergeError)
    const full = structuredClone(b.full) as { coords: string[] }[]
    full[0]!.coords = ['nope']
    expect(() =>
      mergeShards([
        { name: 'a', doc: a },
        { name: 'b', doc: { ...b, full } },
      ]),
    ).toThrow(/b: full\[0\]: coordinates/)
  })
})
