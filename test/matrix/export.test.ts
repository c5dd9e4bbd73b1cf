// Exports: text in the seed's layout, Markdown, CSV, the JSON document, and standalone HTML
// (one file, nothing fetched from anywhere, every cell's trace behind a <details>).
import { describe, expect, it } from 'vitest'
import { builtinMatrix, SEED_2019_03 } from '../../src-main/engine/builtin-matrices'
import { diffFromCells, diffPlan } from '../../src-main/engine/abi-diff'
import { computeCells, runMatrix } from '../../src-main/engine/matrix'
import {
  formatDiff,
  formatMatrix,
  MATRIX_FORMATS,
  cellsFromDoc,
  type CellDoc,
} from '../../src-main/engine/matrix-format'
import { compileMatrixSpec } from '../../src-main/engine/matrix-spec'
import type { TraceRecord } from '../../src-main/engine/trace'

const change68 = runMatrix(builtinMatrix('change-linux-6.8')!)
const seed = runMatrix(SEED_2019_03)
const plan = diffPlan('linux-5.2', 'linux-5.3', ['aqic-enable'])
const diffMatrix = compileMatrixSpec(plan.spec)
const diff = diffFromCells(diffMatrix, computeCells(diffMatrix, false), plan.kind)

function expectStandalone(html: string): void {
  expect(html.startsWith('<!doctype html>')).toBe(true)
  expect(html).toMatch(/<\/html>\n$/)
  expect(html).not.toMatch(/https?:\/\//i)
  expect(html).not.toMatch(/<script|<link|<img|<iframe|@import|url\(|\bsrc=/i)
  expect(html).toContain("default-src 'none'")
}

describe('HTML', () => {
  it('a matrix report is one self-contained file with every cell and its trace behind <details>', () => {
    const html = formatMatrix(change68, 'html')
    expectStandalone(html)
    expect(html).toContain(change68.title.replace(/"/g, '&quot;'))
    const details = html.match(/<details>/g)!.length
    expect(details).toBeGreaterThanOrEqual(change68.cells.length)
    for (const c of change68.cells) expect(html).toContain(c.rule!)
    expect(html).toContain('vfio_ap.irq.gisc-failed-rc06')
    expect(html).toMatch(/Diff along kernel/)
    expect(html).toContain('83303a4c776c')
  })

  it('the seed report checks its hand-made rows; escapes HTML', () => {
    const html = formatMatrix(seed, 'html')
    expectStandalone(html)
    expect(html).toContain('Hand-made rows, checked')
    expect(html).not.toContain('NO</td>')
    expect(formatMatrix({ ...seed, title: '<b>&"x"</b> https://example.org/' }, 'html')).toContain(
      '&lt;b&gt;&amp;&quot;x&quot;&lt;/b&gt; example.org/',
    )
  })

  it('a diff report too', () => {
    const html = formatDiff(diff, 'html')
    expectStandalone(html)
    expect(html).toContain('OPERATION (qemu) → SPECIFICATION (kvm)')
    expect(html).toContain('kvm.pqap.fac65-missing')
  })
})

describe('text, Markdown, CSV', () => {
  it("text keeps the seed's layout and shows the diff along the axis", () => {
    const text = formatMatrix(change68, 'text', { table: 'compact' })
    const [table, notes, changes] = text.split('\n\n')
    expect(table!.split('\n')[0]!.split(/\s{2,}/)).toEqual(['kernel', 'cc before', 'probe', 'OUTCOME'])
    expect(notes).toMatch(/cc 1/)
    expect(changes).toMatch(/^kernel: linux-6.3 → linux-6.8\. 2 guest-visible changes/)
    expect(changes).toContain('vfio_ap.irq.gisc-failed-rc08 ← linux v6.3')
  })

  it('--table chooses the table', () => {
    const lines = (t: 'full' | 'minimized' | 'cover' | 'rows') =>
      formatMatrix(seed, 'csv', { table: t }).split('\n').length - 1
    expect(lines('full')).toBe(12)
    expect(lines('rows')).toBe(4)
    expect(lines('cover')).toBe(3)
    expect(lines('minimized')).toBe(seed.minimized.length)
  })

  it('every format renders a diff; CSV lists every changed cell', () => {
    for (const f of MATRIX_FORMATS) expect(formatDiff(diff, f).length).toBeGreaterThan(100)
    const csv = formatDiff(diff, 'csv').split('\n')
    expect(csv[0]).toBe(
      'kind,change,qemu,vfio,psw,gisa,aiv,apxa,apft,nested,linux-5.2,linux-5.3,rule before,rule after',
    )
    expect(csv.length - 1).toBe(diff.changes.reduce((n, c) => n + c.cells, 0))
    const md = formatDiff(diff, 'md')
    expect(md).toMatch(/^## ABI diff linux-5.2 → linux-5.3/)
    expect(md).toContain('| qemu | vfio | psw |')
    const text = formatDiff(diff, 'text')
    expect(text).toContain('1. OPERATION (qemu) → SPECIFICATION (kvm)')
    expect(text).toContain('after   kvm.pqap.fac65-missing: facility 65 (AQIC) not offered to the VM')
  })
})

describe('JSON', () => {
  it('carries the spec, the full and collapsed tables, the traces and the profile sources', () => {
    const doc = JSON.parse(formatMatrix(change68, 'json')) as {
      format: string
      spec: { format: string; name: string }
      full: CellDoc[]
      traces: TraceRecord[][]
      minimized: unknown[]
      cover: unknown[]
      profiles: { id: string; sources: string[] }[]
      changes: { changes: unknown[] }[]
    }
    expect(doc.format).toBe('aplab/matrix-result@1')
    expect(doc.spec.format).toBe('aplab/matrix@1')
    expect(doc.spec.name).toBe('change-linux-6.8')
    expect(doc.full).toHaveLength(change68.cells.length)
    expect(doc.cover).toHaveLength(change68.cover!.length)
    expect(doc.profiles.find((p) => p.id === 'linux-6.8')!.sources.join(' ')).toContain('83303a4c776c')
    expect(doc.changes[0]!.changes.length).toBe(2)
    // the cells come back exactly
    expect(cellsFromDoc(doc.full, doc.traces)).toEqual(change68.cells)
  })
})
