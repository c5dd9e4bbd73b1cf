// Behaviour matrices: the seed table (interception.md §8.2), exact minimization, and the
// text / Markdown / CSV / JSON renderings (product.md §1, §7).
import { describe, expect, it } from 'vitest'
import { AQIC_MERGED, BUILTIN_MATRICES, SEED_2019_03, builtinMatrix } from '../../src-main/engine/builtin-matrices'
import {
  checkRows,
  expand,
  minimize,
  runMatrix,
  type Cell,
  type Dimension,
  type Matrix,
  type MatrixResult,
} from '../../src-main/engine/matrix'
import { formatMatrix } from '../../src-main/engine/matrix-format'

const seed = runMatrix(SEED_2019_03)
const merged = runMatrix(AQIC_MERGED)

const key = (coords: readonly string[]) => coords.join('\u0000')

function expectExact(matrix: Matrix, result: MatrixResult) {
  const expanded = expand(matrix.dimensions, result.minimized)
  expect(expanded.size).toBe(result.cells.length)
  for (const c of result.cells) expect(expanded.get(key(c.coords)), c.coords.join(' ')).toBe(c.outcome)
  // every minimized row is used by some cell
  for (const row of result.minimized) {
    const hits = result.cells.filter((c) => row.coords.every((p, i) => p === 'x' || p === c.coords[i]))
    expect(hits.length, row.coords.join(' ')).toBeGreaterThan(0)
  }
}

describe('seed-2019-03 (§8.2, the v5 review table)', () => {
  it('is built in and found by name', () => {
    expect(builtinMatrix('seed-2019-03')).toBe(SEED_2019_03)
    expect(BUILTIN_MATRICES.map((m) => m.name)).toContain('seed-2019-03')
    expect(builtinMatrix('nope')).toBeUndefined()
  })

  it('computes 2 × 2 × 3 cells', () => {
    expect(seed.cells).toHaveLength(12)
    for (const c of seed.cells) expect(c.startError).toBeNull()
  })

  it.each([
    [0, ['OLD', 'x', 'x'], 'OPERATION'],
    [1, ['NEW', '-', 'OLD'], 'SPECIFICATION'],
    [2, ['NEW', '-', 'NEW/apqi=off'], 'SPECIFICATION'],
    [3, ['NEW', 'x', 'NEW/apqi=on'], '-'],
  ] as const)('row %s: %j → %s, and every cell it covers agrees', (i, coords, outcome) => {
    const row = seed.rows![i]!
    expect(row.coords).toEqual(coords)
    expect(row.outcome).toBe(outcome)
    expect(row.agrees).toBe(true)
    expect(row.outcomes).toEqual([outcome])
    expect(row.cells).toBeGreaterThan(0)
  })

  it('has exactly four rows', () => {
    expect(seed.rows).toHaveLength(4)
  })

  it('NEW, x, NEW/apqi=on covers both the hook answer and the no-hook answer', () => {
    const hit = seed.cells.filter((c) => c.coords[0] === 'NEW' && c.coords[2] === 'NEW/apqi=on')
    expect(hit.map((c) => c.coords[1]).sort()).toEqual(['-', 'mdev'])
    expect(new Set(hit.map((c) => c.rule))).toEqual(new Set(['kvm.pqap.no-hook-rc01', 'vfio_ap.irq.enabled']))
  })

  it('each cell explains itself: OLD cells were decided in QEMU, SPECIFICATION by kvm.pqap.fac65-missing', () => {
    for (const c of seed.cells) {
      if (c.coords[0] === 'OLD') expect(c.handledBy).toBe('qemu')
      if (c.outcome === 'SPECIFICATION') expect(c.rule).toBe('kvm.pqap.fac65-missing')
      expect(c.trace.length).toBeGreaterThan(0)
    }
  })

  it('minimization is exact', () => {
    expectExact(SEED_2019_03, seed)
  })
})

describe('aqic-merged (§8.1)', () => {
  it('computes 2 × 3 × 4 × 2 cells', () => {
    expect(merged.cells).toHaveLength(48)
  })

  it('minimization is exact and smaller than the grid', () => {
    expectExact(AQIC_MERGED, merged)
    expect(merged.minimized.length).toBeLessThan(merged.cells.length)
  })

  const cell = (coords: string[]) => merged.cells.find((c) => key(c.coords) === key(coords))

  it.each([
    [['OLD', 'absent', 'Q0', 'supervisor'], 'OPERATION'],
    [['NEW', 'mdev', 'Q0', 'problem'], 'guest does not start'],
    [['NEW', 'absent', 'Q0', 'problem'], 'OPERATION'],
    [['OLD', 'mdev', 'Q-new/on', 'supervisor'], 'OPERATION'],
    [['NEW', 'loaded', 'Q-old', 'supervisor'], 'SPECIFICATION'],
    [['NEW', 'mdev', 'Q-new/off', 'problem'], 'PRIVILEGED_OP'],
    [['NEW', 'absent', 'Q-new/on', 'supervisor'], 'cc 3, RC 0x01 Q_NOT_AVAIL, GR1 bits 0–31'],
    [['NEW', 'loaded', 'Q-new/on', 'supervisor'], 'cc 3, RC 0x01 Q_NOT_AVAIL, GR1 bits 0–31'],
    [['NEW', 'mdev', 'Q-new/on', 'supervisor'], 'cc 0, RC 0x00 NORMAL, GR1 bits 32–63'],
  ])('%j → %s', (coords, outcome) => {
    expect(cell(coords)?.outcome).toBe(outcome)
  })
})

describe('minimize and checkRows on a small synthetic table', () => {
  const dims: Dimension[] = [
    {
      id: 'a',
      label: 'A',
      values: [
        { id: 'a1', label: 'a1', apply: (s) => s },
        { id: 'a2', label: 'a2', apply: (s) => s },
      ],
    },
    {
      id: 'b',
      label: 'B',
      values: [
        { id: 'b1', label: 'b1', apply: (s) => s },
        { id: 'b2', label: 'b2', apply: (s) => s },
      ],
    },
  ]
  const mk = (coords: string[], outcome: string): Cell => ({
    coords,
    outcome,
    rule: null,
    handledBy: null,
    trace: [],
    startError: null,
  })

  it('collapses a dimension the outcome does not depend on to x', () => {
    const cells = [mk(['a1', 'b1'], 'P'), mk(['a1', 'b2'], 'Q'), mk(['a2', 'b1'], 'P'), mk(['a2', 'b2'], 'Q')]
    expect(minimize(dims, cells)).toEqual([
      { coords: ['x', 'b1'], outcome: 'P' },
      { coords: ['x', 'b2'], outcome: 'Q' },
    ])
  })

  it('keeps both values where the outcome depends on them', () => {
    const cells = [mk(['a1', 'b1'], 'P'), mk(['a1', 'b2'], 'P'), mk(['a2', 'b1'], 'P'), mk(['a2', 'b2'], 'Q')]
    const rows = minimize(dims, cells)
    expect(rows).toEqual([
      { coords: ['a1', 'x'], outcome: 'P' },
      { coords: ['a2', 'b1'], outcome: 'P' },
      { coords: ['a2', 'b2'], outcome: 'Q' },
    ])
    const back = expand(dims, rows)
    for (const c of cells) expect(back.get(key(c.coords))).toBe(c.outcome)
  })

  it('a hand-made row over cells with different outcomes does not agree', () => {
    const cells = [mk(['a1', 'b1'], 'P'), mk(['a2', 'b1'], 'Q')]
    const [row] = checkRows([['x', 'b1']], cells)
    expect(row!.agrees).toBe(false)
    expect(row!.outcomes.sort()).toEqual(['P', 'Q'])
    expect(row!.cells).toBe(2)
  })
})

describe('renderings of the seed table', () => {
  it('text: the first line is the header LINUX  VFIO_AP  QEMU  PGM, and columns are aligned', () => {
    const text = formatMatrix(seed, 'text')
    const lines = text.split('\n')
    const header = lines[0]!
    expect(header.split(/\s{2,}/)).toEqual(['LINUX', 'VFIO_AP', 'QEMU', 'PGM'])
    expect(header.startsWith('LINUX  VFIO_AP  QEMU')).toBe(true)
    const starts = ['LINUX', 'VFIO_AP', 'QEMU', 'PGM'].map((h) => header.indexOf(h))
    const body = lines.slice(1, 5)
    expect(body.map((l) => l.split(/\s{2,}/))).toEqual([
      ['OLD', 'x', 'x', 'OPERATION'],
      ['NEW', '-', 'OLD', 'SPECIFICATION'],
      ['NEW', '-', 'NEW/apqi=off', 'SPECIFICATION'],
      ['NEW', 'x', 'NEW/apqi=on', '-'],
    ])
    for (const line of body) {
      for (const [i, at] of starts.entries()) {
        expect(line[at], `column ${i} of '${line}'`).not.toBe(' ')
        if (at > 0) expect(line.slice(at - 2, at), `gap before column ${i} of '${line}'`).toBe('  ')
      }
    }
    expect(lines[5] ?? '').toBe('')
  })

  it("text uses QEMU's apqi, never the message's aqic", () => {
    const table = formatMatrix(seed, 'text').split('\n\n')[0]!
    expect(table).toContain('apqi')
    expect(table).not.toContain('aqic')
  })

  it('CSV: one header line and one line per row', () => {
    const lines = formatMatrix(seed, 'csv').split('\n')
    expect(lines).toHaveLength(5)
    expect(lines[0]).toBe('LINUX,VFIO_AP,QEMU,PGM')
    expect(lines[1]).toBe('OLD,x,x,OPERATION')
    expect(lines[4]).toBe('NEW,x,NEW/apqi=on,-')
  })

  it('Markdown: a table with a header and one line per row', () => {
    const md = formatMatrix(seed, 'md')
    const table = md.split('\n').filter((l) => l.startsWith('|'))
    const rows = table.filter((l) => !/^\|(-{3}\|)+$/.test(l))
    expect(table).toHaveLength(6)
    expect(rows).toHaveLength(5)
    expect(rows[0]).toBe('| LINUX | VFIO_AP | QEMU | PGM |')
    expect(rows[2]).toBe('| NEW | - | OLD | SPECIFICATION |')
  })

  it('JSON: the aplab/matrix-result@1 document with rows, minimized and every cell', () => {
    const doc = JSON.parse(formatMatrix(seed, 'json')) as {
      format: string
      rows: unknown[]
      minimized: unknown[]
      full: { coords: string[]; outcome: string }[]
    }
    expect(doc.format).toBe('aplab/matrix-result@1')
    expect(doc.rows).toHaveLength(4)
    expect(doc.full).toHaveLength(12)
    expect(doc.minimized.length).toBe(seed.minimized.length)
  })

  it('a disagreeing row is reported in the text and Markdown output', () => {
    const bad = runMatrix({ ...SEED_2019_03, rows: [['x', 'x', 'x']] })
    expect(bad.rows![0]!.agrees).toBe(false)
    expect(formatMatrix(bad, 'text')).toMatch(/covers cells with different outcomes/)
    expect(formatMatrix(bad, 'md')).toMatch(/covers cells with different outcomes/)
  })

  it('without hand-made rows the minimized table is rendered', () => {
    const lines = formatMatrix(merged, 'csv').split('\n')
    expect(lines).toHaveLength(merged.minimized.length + 1)
    expect(lines[0]).toBe('Host Linux,vfio_ap for this guest,QEMU,PSW,OUTCOME')
  })
})
