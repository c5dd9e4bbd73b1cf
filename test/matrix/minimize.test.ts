// Minimization: both collapsed tables are exact (expanding them gives back every computed
// cell) and irreducible, checked as properties over random outcome tables (fast-check), and on
// the seed's table.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { SEED_2019_03, AQIC_MERGED } from '../../src-main/engine/builtin-matrices'
import {
  ANY,
  expand,
  matches,
  minimize,
  minimizeCover,
  runMatrix,
  type DimShape,
  type TableRow,
} from '../../src-main/engine/matrix'

interface Table {
  dims: DimShape[]
  cells: { coords: string[]; outcome: string }[]
}

function grid(sizes: readonly number[]): string[][] {
  // every coordinate tuple, last dimension fastest
  let out: string[][] = [[]]
  sizes.forEach((n, d) => {
    out = out.flatMap((prefix) => Array.from({ length: n }, (_, v) => [...prefix, `d${d}v${v}`]))
  })
  return out
}

/**
 * Random tables: 1–4 dimensions of 1–4 values, 1–4 outcomes. Half of them are built from a
 * random subset of dimensions only, so that collapsing has something to find.
 */
const tables: fc.Arbitrary<Table> = fc
  .record({
    sizes: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 4 }),
    alphabet: fc.integer({ min: 1, max: 4 }),
    relevant: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
    structured: fc.boolean(),
    seed: fc.array(fc.nat(), { minLength: 256, maxLength: 256 }),
  })
  .map(({ sizes, alphabet, relevant, structured, seed }) => {
    const dims = sizes.map((n, d) => ({ values: Array.from({ length: n }, (_, v) => ({ id: `d${d}v${v}` })) }))
    const cells = grid(sizes).map((coords, i) => {
      let key = i
      if (structured) {
        // The outcome depends only on the relevant dimensions.
        key = 0
        coords.forEach((c, d) => {
          if (relevant[d]) key = key * 5 + Number(c.slice(c.indexOf('v') + 1))
        })
      }
      return { coords, outcome: `o${seed[key % 256]! % alphabet}` }
    })
    return { dims, cells }
  })

function valuesOf(dims: readonly DimShape[], row: TableRow): Set<string>[] {
  return row.coords.map((p, d) => (p === ANY ? new Set(dims[d]!.values.map((v) => v.id)) : new Set(p.split('|'))))
}

function expectExact(t: Table, rows: readonly TableRow[]): void {
  // every row is non-empty and pure; every cell is covered by a row with its outcome
  for (const r of rows) {
    const hit = t.cells.filter((c) => matches(r.coords, c.coords))
    expect(hit.length, r.coords.join(' ')).toBeGreaterThan(0)
    for (const c of hit) expect(c.outcome, `${r.coords.join(' ')} covers ${c.coords.join(' ')}`).toBe(r.outcome)
  }
  for (const c of t.cells) expect(rows.some((r) => matches(r.coords, c.coords))).toBe(true)
  const back = expand(t.dims, rows)
  expect(back.size).toBe(t.cells.length)
  for (const c of t.cells) expect(back.get(c.coords.join('\u0000'))).toBe(c.outcome)
}

/** No group of rows with one outcome that differ only in dimension d covers all of d's values. */
function expectXIrreducible(t: Table, rows: readonly TableRow[]): void {
  t.dims.forEach((dim, d) => {
    const groups = new Map<string, TableRow[]>()
    for (const r of rows) {
      const key = [r.outcome, ...r.coords.map((c, i) => (i === d ? '*' : c))].join('\u0000')
      groups.set(key, [...(groups.get(key) ?? []), r])
    }
    for (const g of groups.values()) {
      if (g.length < 2) continue
      const covered = new Set(g.flatMap((r) => [...valuesOf(t.dims, r)[d]!]))
      expect(covered.size, `rows ${g.map((r) => r.coords.join(' ')).join(' / ')} collapse to x`).toBeLessThan(
        dim.values.length,
      )
    }
  })
}

/** No two rows with one outcome differ in exactly one coordinate; no row lies inside another. */
function expectIrreducible(t: Table, rows: readonly TableRow[]): void {
  const sets = rows.map((r) => valuesOf(t.dims, r))
  const same = (a: Set<string>, b: Set<string>) => a.size === b.size && [...a].every((v) => b.has(v))
  const inside = (a: Set<string>, b: Set<string>) => [...a].every((v) => b.has(v))
  for (let i = 0; i < rows.length; i++)
    for (let j = 0; j < rows.length; j++) {
      if (i === j || rows[i]!.outcome !== rows[j]!.outcome) continue
      const differing = sets[i]!.filter((s, d) => !same(s, sets[j]![d]!)).length
      expect(differing, `${rows[i]!.coords.join(' ')} and ${rows[j]!.coords.join(' ')} merge`).not.toBe(1)
      expect(
        sets[i]!.every((s, d) => inside(s, sets[j]![d]!)),
        `${rows[i]!.coords.join(' ')} lies inside ${rows[j]!.coords.join(' ')}`,
      ).toBe(false)
    }
}

describe('minimize (x only)', () => {
  it('is exact, disjoint and x-irreducible on random tables', () => {
    fc.assert(
      fc.property(tables, (t) => {
        const rows = minimize(t.dims, t.cells)
        expectExact(t, rows)
        for (const r of rows) for (const c of r.coords) expect(c.includes('|')).toBe(false)
        for (const c of t.cells) expect(rows.filter((r) => matches(r.coords, c.coords))).toHaveLength(1)
        expectXIrreducible(t, rows)
      }),
      { numRuns: 300 },
    )
  })
})

describe('minimizeCover (value sets)', () => {
  it('is exact and irreducible on random tables, and never longer than the x-only table', () => {
    fc.assert(
      fc.property(tables, (t) => {
        const rows = minimizeCover(t.dims, t.cells)
        expectExact(t, rows)
        expectIrreducible(t, rows)
        expect(rows.length).toBeLessThanOrEqual(minimize(t.dims, t.cells).length)
      }),
      { numRuns: 300 },
    )
  })

  it('is no longer than the x-only table where a value-set start would end longer (a case fast-check found)', () => {
    const ids = (d: number, n: number) => ({ values: Array.from({ length: n }, (_, v) => ({ id: `d${d}v${v}` })) })
    const dims = [ids(0, 2), ids(1, 1), ids(2, 2), ids(3, 3)]
    const outcomes = ['o1', 'o2', 'o0', 'o0', 'o2', 'o2', 'o2', 'o0', 'o0', 'o2', 'o0', 'o2']
    const cells = outcomes.map((outcome, i) => ({
      coords: [`d0v${Math.floor(i / 6)}`, 'd1v0', `d2v${Math.floor(i / 3) % 2}`, `d3v${i % 3}`],
      outcome,
    }))
    const t: Table = { dims, cells }
    const rows = minimizeCover(dims, cells)
    expectExact(t, rows)
    expectIrreducible(t, rows)
    expect(minimize(dims, cells)).toHaveLength(7)
    expect(rows.length).toBeLessThanOrEqual(7)
  })

  it('a table that depends on no dimension is one all-x row', () => {
    const t: Table = {
      dims: [{ values: [{ id: 'a' }, { id: 'b' }, { id: 'c' }] }, { values: [{ id: '1' }, { id: '2' }] }],
      cells: ['a', 'b', 'c'].flatMap((x) => ['1', '2'].map((y) => ({ coords: [x, y], outcome: 'P' }))),
    }
    expect(minimizeCover(t.dims, t.cells)).toEqual([{ coords: ['x', 'x'], outcome: 'P' }])
    expect(minimize(t.dims, t.cells)).toEqual([{ coords: ['x', 'x'], outcome: 'P' }])
  })

  it('joins values into a set where the rest of the row is the same', () => {
    const cells = [
      { coords: ['a', '1'], outcome: 'P' },
      { coords: ['b', '1'], outcome: 'P' },
      { coords: ['c', '1'], outcome: 'Q' },
      { coords: ['a', '2'], outcome: 'Q' },
      { coords: ['b', '2'], outcome: 'Q' },
      { coords: ['c', '2'], outcome: 'Q' },
    ]
    const dims = [{ values: [{ id: 'a' }, { id: 'b' }, { id: 'c' }] }, { values: [{ id: '1' }, { id: '2' }] }]
    expect(minimizeCover(dims, cells)).toEqual([
      { coords: ['x', '2'], outcome: 'Q' },
      { coords: ['a|b', '1'], outcome: 'P' },
      { coords: ['c', 'x'], outcome: 'Q' },
    ])
  })
})

describe('the seed and the merged table', () => {
  const seed = runMatrix(SEED_2019_03)
  const merged = runMatrix(AQIC_MERGED)

  it("the seed's hand-made rows all agree with the computed cells", () => {
    expect(seed.rows!.map((r) => [r.coords.join(' '), r.outcome, r.agrees])).toEqual([
      ['OLD x x', 'OPERATION', true],
      ['NEW - OLD', 'SPECIFICATION', true],
      ['NEW - NEW/apqi=off', 'SPECIFICATION', true],
      ['NEW x NEW/apqi=on', '-', true],
    ])
  })

  it("the seed's cover joins OLD and NEW/apqi=off: three rows", () => {
    expect(seed.cover).toEqual([
      { coords: ['OLD', 'x', 'x'], outcome: 'OPERATION' },
      { coords: ['NEW', 'x', 'OLD|NEW/apqi=off'], outcome: 'SPECIFICATION' },
      { coords: ['NEW', 'x', 'NEW/apqi=on'], outcome: '-' },
    ])
  })

  it('§8.1 collapses to {Q-old, Q-new/off} → SPECIFICATION in supervisor state', () => {
    expect(merged.cover).toContainEqual({
      coords: ['NEW', 'x', 'Q-old|Q-new/off', 'supervisor'],
      outcome: 'SPECIFICATION',
    })
    for (const rows of [merged.cover!, merged.minimized])
      expectExact({ dims: merged.dimensions, cells: merged.cells }, rows)
    expectIrreducible({ dims: merged.dimensions, cells: merged.cells }, merged.cover!)
    expectXIrreducible({ dims: merged.dimensions, cells: merged.cells }, merged.minimized)
  })
})
