// Renderings of matrix results and ABI diffs: plain text in the seed's layout (fit for a
// mailing-list reply), Markdown, CSV, JSON and a standalone HTML report (one file, inline CSS,
// no external resources, readable offline; traces behind <details>).
import { diffAlong, presentCoord, type AbiChange, type AbiDiff, type AxisDiff } from './abi-diff'
import type { Cell, MatrixResult, TableRow } from './matrix'
import type { TraceRecord } from './trace'

export type MatrixFormat = 'text' | 'md' | 'csv' | 'json' | 'html'
export const MATRIX_FORMATS: readonly MatrixFormat[] = ['text', 'md', 'csv', 'json', 'html']
export const RESULT_FORMAT = 'aplab/matrix-result@1'

/**
 * Which table text, Markdown and CSV show: `auto` the hand-made rows if any, else `minimized`;
 * `compact` the hand-made rows if any, else `cover`; or one table by name.
 */
export type TableChoice = 'auto' | 'compact' | 'rows' | 'minimized' | 'cover' | 'full'
export const TABLE_CHOICES: readonly TableChoice[] = ['auto', 'compact', 'rows', 'minimized', 'cover', 'full']

export interface FormatOptions {
  table?: TableChoice
  /** HTML: the most cells whose traces are written out (default 20,000). */
  maxTraces?: number
}

export interface ShardInfo {
  k: number
  n: number
  start: number
  end: number
  total: number
}

function tableRows(result: MatrixResult, choice: TableChoice): TableRow[] {
  switch (choice) {
    case 'rows':
      return result.rows ?? result.minimized
    case 'minimized':
      return result.minimized
    case 'cover':
      return result.cover ?? result.minimized
    case 'full':
      return result.cells.map((c) => ({ coords: c.coords, outcome: c.outcome }))
    case 'compact':
      return result.rows ?? result.cover ?? result.minimized
    case 'auto':
      return result.rows ?? result.minimized
  }
}

function table(result: MatrixResult, choice: TableChoice): { head: string[]; body: string[][] } {
  const head = [
    ...result.dimensions.map((d) => d.label),
    result.outcomeFields.length === 1 && result.outcomeFields[0] === 'pgm' ? 'PGM' : 'OUTCOME',
  ]
  return { head, body: tableRows(result, choice).map((r) => [...r.coords, r.outcome]) }
}

function aligned(head: string[], body: string[][], indent = ''): string {
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)))
  const line = (cells: string[]) =>
    indent +
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]! + 2)))
      .join('')
      .trimEnd()
  return [line(head), ...body.map(line)].join('\n')
}

function disagreements(result: MatrixResult): string[] {
  return (result.rows ?? [])
    .filter((r) => !r.agrees)
    .map((r) => `row ${r.coords.join(' ')} covers cells with different outcomes: ${r.outcomes.join(' / ')}`)
}

const csvEscape = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s)
const mdEscape = (s: string) => s.replace(/\|/g, '\\|')

function csv(rows: string[][]): string {
  return rows.map((r) => r.map(csvEscape).join(',')).join('\n')
}

function mdTable(head: string[], body: string[][]): string[] {
  return [
    `| ${head.map(mdEscape).join(' | ')} |`,
    `|${head.map(() => '---').join('|')}|`,
    ...body.map((r) => `| ${r.map(mdEscape).join(' | ')} |`),
  ]
}

/** The changes along the matrix's diff axis, between consecutive values. */
export function axisChanges(result: MatrixResult): AxisDiff[] {
  if (!result.diffAxis) return []
  const axis = result.dimensions.find((d) => d.id === result.diffAxis)
  if (!axis) return []
  const out: AxisDiff[] = []
  for (let i = 0; i + 1 < axis.values.length; i++)
    out.push(diffAlong(result, result.cells, axis.id, axis.values[i]!.id, axis.values[i + 1]!.id))
  return out
}

// ---------------------------------------------------------------------------------------------
// JSON

interface CellDoc {
  coords: string[]
  outcome: string
  rule: string | null
  handledBy: string | null
  startError: string | null
  observed: Cell['observed'] | null
  hostLog: string[]
  program: string[]
  /** Index into `traces`, or null for a cell computed without its trace. */
  trace: number | null
}

function cellDocs(cells: readonly Cell[]): { full: CellDoc[]; traces: TraceRecord[][] } {
  const traces: TraceRecord[][] = []
  const ids = new Map<string, number>()
  const full = cells.map((c) => {
    let trace: number | null = null
    if (c.trace.length > 0) {
      const key = JSON.stringify(c.trace)
      let id = ids.get(key)
      if (id === undefined) {
        id = traces.length
        traces.push(c.trace)
        ids.set(key, id)
      }
      trace = id
    }
    return {
      coords: c.coords,
      outcome: c.outcome,
      rule: c.rule,
      handledBy: c.handledBy,
      startError: c.startError,
      observed: c.observed ?? null,
      hostLog: c.hostLog ?? [],
      program: c.program ?? [],
      trace,
    }
  })
  return { full, traces }
}

/** Cells back from a result document's `full` and `traces` (the inverse of the JSON export). */
export function cellsFromDoc(full: readonly CellDoc[], traces: readonly TraceRecord[][]): Cell[] {
  return full.map((c) => {
    const cell: Cell = {
      coords: c.coords,
      outcome: c.outcome,
      rule: c.rule as Cell['rule'],
      handledBy: c.handledBy as Cell['handledBy'],
      trace: c.trace === null ? [] : traces[c.trace]!,
      startError: c.startError,
      hostLog: c.hostLog,
      program: c.program,
    }
    if (c.observed) cell.observed = c.observed
    return cell
  })
}

export type { CellDoc }

function jsonDoc(result: MatrixResult, shard?: ShardInfo): Record<string, unknown> {
  const { full, traces } = cellDocs(result.cells)
  const doc: Record<string, unknown> = {
    format: RESULT_FORMAT,
    name: result.name,
    title: result.title,
    description: result.description ?? '',
    dimensions: result.dimensions,
    outcomeFields: result.outcomeFields,
    rows: shard ? null : result.rows,
    minimized: shard ? null : result.minimized,
    cover: shard ? null : (result.cover ?? null),
    full,
    traces,
    notes: result.notes,
    diffAxis: result.diffAxis ?? null,
    changes: shard ? null : result.diffAxis ? axisChanges(result) : null,
    profiles: result.profiles ?? [],
    traced: result.traced ?? true,
    spec: result.spec ?? null,
  }
  if (shard) doc.shard = shard
  return doc
}

/** A shard's JSON document: the cells of its index range, no collapsed tables. */
export function formatShard(result: MatrixResult, shard: ShardInfo): string {
  return JSON.stringify(jsonDoc(result, shard), null, 2)
}

// ---------------------------------------------------------------------------------------------
// Text and Markdown change lists

function changeLines(d: AxisDiff, indent: string): string[] {
  const lines = [`${indent}${d.axis.label}: ${d.from.id} → ${d.to.id}. ${d.summary}`]
  const list = (title: string, cs: AbiChange[]) => {
    if (cs.length === 0) return
    lines.push(`${indent}${title}`)
    cs.forEach((c, i) => {
      lines.push(`${indent}  ${i + 1}. ${c.summary} — ${c.cells} cell${c.cells === 1 ? '' : 's'}`)
      if (c.kind !== 'path') {
        lines.push(`${indent}     before: ${c.before.rule ?? '-'}${c.before.ref ? ` ← ${c.before.ref}` : ''}`)
        lines.push(`${indent}     after:  ${c.after.rule ?? '-'}${c.after.ref ? ` ← ${c.after.ref}` : ''}`)
      } else {
        if (c.before.ref) lines.push(`${indent}     before: ${c.before.ref}`)
        if (c.after.ref) lines.push(`${indent}     after:  ${c.after.ref}`)
      }
      for (const cond of c.conditions) lines.push(`${indent}     when ${cond}`)
    })
  }
  list('guest-visible:', d.changes)
  list('same outcome, different deciding rule:', d.pathChanges)
  list('host side only:', d.hostChanges)
  return lines
}

// ---------------------------------------------------------------------------------------------
// HTML

const SCHEME = /\bhttps?:\/\//gi

/** Escapes text for HTML and drops URL schemes, so the report references nothing outside itself. */
export function esc(s: string): string {
  return s
    .replace(SCHEME, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
}

const CSS = `
:root{color-scheme:light dark;--fg:#1d232b;--muted:#5b6672;--bg:#fbfbfa;--line:#d9dde2;--head:#eef1f4;--x:#8a96a3;
--pgm:#a3271f;--ok:#1f6f3d;--warn:#8a5a00;--chg:#fff3c4}
@media (prefers-color-scheme:dark){:root{--fg:#dde3ea;--muted:#9aa6b2;--bg:#15191e;--line:#333b45;--head:#1f252c;--x:#6d7885;
--pgm:#ff8a80;--ok:#7bd88f;--warn:#f0c060;--chg:#3a3420}}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--fg);background:var(--bg);margin:24px auto;max-width:1400px;padding:0 16px}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 8px;border-bottom:1px solid var(--line);padding-bottom:4px}
h3{font-size:14px;margin:18px 0 6px}p{margin:6px 0}.muted{color:var(--muted)}
code,pre,td.mono,.mono{font-family:ui-monospace,"SF Mono",Menlo,Consolas,monospace;font-size:12.5px}
table{border-collapse:collapse;margin:6px 0 10px}th,td{border:1px solid var(--line);padding:3px 8px;text-align:left;vertical-align:top}
th{background:var(--head);font-weight:600}td.x{color:var(--x);text-align:center}td.o-pgm{color:var(--pgm);font-weight:600}
td.o-ok{color:var(--ok)}tr.bad td{background:var(--chg)}.tag{display:inline-block;padding:0 6px;border-radius:8px;background:var(--head);font-size:12px}
details>summary{cursor:pointer}ol.trace{margin:4px 0 4px 18px;padding:0}ol.trace li{margin:2px 0}
.layer{display:inline-block;min-width:64px;font-weight:600}.ref{color:var(--muted)}.change{border-left:3px solid var(--warn);padding:2px 10px;margin:10px 0}
pre{white-space:pre-wrap;background:var(--head);padding:8px;border-radius:4px}
`

function outcomeClass(outcome: string): string {
  if (/^[A-Z][A-Z_]*( \(|$)/.test(outcome)) return 'o-pgm'
  if (outcome.startsWith('cc 0')) return 'o-ok'
  return ''
}

function htmlTable(
  head: string[],
  body: string[][],
  opts: { outcomeCol?: number; badRows?: Set<number> } = {},
): string {
  const th = head.map((h) => `<th>${esc(h)}</th>`).join('')
  const rows = body
    .map((r, i) => {
      const tds = r
        .map((c, j) => {
          const cls = c === 'x' && j < head.length - 1 ? 'x' : j === opts.outcomeCol ? outcomeClass(c) : ''
          return `<td${cls ? ` class="${cls}"` : ''}>${esc(c)}</td>`
        })
        .join('')
      return `<tr${opts.badRows?.has(i) ? ' class="bad"' : ''}>${tds}</tr>`
    })
    .join('\n')
  return `<table><thead><tr>${th}</tr></thead><tbody>\n${rows}\n</tbody></table>`
}

function traceHtml(trace: readonly TraceRecord[]): string {
  if (trace.length === 0) return '<span class="muted">no trace (computed without tracing)</span>'
  return `<ol class="trace">${trace
    .map(
      (t) =>
        `<li><span class="layer">${esc(t.layer)}</span> <code>${esc(t.rule)}</code>${t.quirk ? ` <span class="tag">quirk ${esc(t.quirk)}</span>` : ''}${t.choice ? ` <span class="tag">${esc(t.choice)}</span>` : ''}<br>${esc(t.text)}<br><span class="ref">← ${esc(t.ref)}</span></li>`,
    )
    .join('')}</ol>`
}

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${CSS}</style>
</head>
<body>
${body}
<footer><p class="muted">Generated by AP Lab. This file is self-contained and references nothing outside itself.</p></footer>
</body>
</html>
`
}

function changesHtml(d: AxisDiff, maxExamples = 3): string {
  const parts = [`<p><strong>${esc(d.axis.label)}: ${esc(d.from.id)} → ${esc(d.to.id)}.</strong> ${esc(d.summary)}</p>`]
  const dimHead = d.dimensions.map((x) => x.label)
  const section = (title: string, cs: AbiChange[]) => {
    if (cs.length === 0) return
    parts.push(`<h3>${esc(title)}</h3>`)
    cs.forEach((c, i) => {
      parts.push(
        `<div class="change"><p><strong>${i + 1}. ${esc(c.summary)}</strong> <span class="tag">${c.cells} cell${c.cells === 1 ? '' : 's'}</span></p>`,
      )
      parts.push(
        `<p>before: <code>${esc(c.before.rule ?? '-')}</code> ${esc(c.before.text ?? '')} <span class="ref">${c.before.ref ? `← ${esc(c.before.ref)}` : ''}</span><br>after: <code>${esc(c.after.rule ?? '-')}</code> ${esc(c.after.text ?? '')} <span class="ref">${c.after.ref ? `← ${esc(c.after.ref)}` : ''}</span></p>`,
      )
      parts.push(htmlTable([...dimHead], whereRows(d, c)))
      for (const ex of c.examples.slice(0, maxExamples))
        parts.push(
          `<details><summary>example ${esc(ex.coords.join(' · '))}: ${esc(ex.before.outcome)} → ${esc(ex.after.outcome)}</summary><p>${esc(d.from.id)}:</p>${traceHtml(ex.before.trace)}<p>${esc(d.to.id)}:</p>${traceHtml(ex.after.trace)}</details>`,
        )
      parts.push(
        `<details><summary>every cell (${c.members.length})</summary>${htmlTable(dimHead, c.members)}</details></div>`,
      )
    })
  }
  section('Guest-visible changes', d.changes)
  section('Same outcome, different deciding rule', d.pathChanges)
  section('Host side only', d.hostChanges)
  return parts.join('\n')
}

function profilesHtml(
  profiles: readonly { id: string; label: string; date: string; sources: string[]; represents?: string }[],
): string {
  if (profiles.length === 0) return ''
  return `<h2>Profiles and sources</h2><table><thead><tr><th>profile</th><th>date</th><th>sources</th></tr></thead><tbody>${profiles
    .map(
      (p) =>
        `<tr><td><code>${esc(p.id)}</code><br><span class="muted">${esc(p.label)}${p.represents ? ` — ${esc(p.represents)}` : ''}</span></td><td>${esc(p.date)}</td><td>${p.sources.map((s) => esc(s)).join('<br>')}</td></tr>`,
    )
    .join('')}</tbody></table>`
}

function matrixHtml(result: MatrixResult, opts: FormatOptions): string {
  const parts: string[] = []
  const dims = result.dimensions
  parts.push(`<header><h1>${esc(result.title)}</h1>`)
  if (result.description) parts.push(`<p>${esc(result.description)}</p>`)
  parts.push(
    `<p class="muted"><code>${esc(result.name)}</code> · ${dims.map((d) => `${esc(d.label)} (${d.values.length})`).join(' × ')} = ${result.cells.length} cells · outcome: ${esc(result.outcomeFields.join(', '))}</p></header>`,
  )
  const head = [
    ...dims.map((d) => d.label),
    result.outcomeFields.length === 1 && result.outcomeFields[0] === 'pgm' ? 'PGM' : 'OUTCOME',
  ]
  const outcomeCol = dims.length
  if (result.rows) {
    const bad = new Set(result.rows.flatMap((r, i) => (r.agrees ? [] : [i])))
    parts.push(`<h2>Hand-made rows, checked</h2>`)
    parts.push(
      htmlTable(
        [...head, 'cells', 'agrees'],
        result.rows.map((r) => [...r.coords, r.outcome, String(r.cells), r.agrees ? 'yes' : 'NO']),
        { outcomeCol, badRows: bad },
      ),
    )
  }
  const cover = result.cover ?? result.minimized
  parts.push(`<h2>Table <span class="tag">${cover.length} rows</span></h2>`)
  parts.push(`<p class="muted">x = any value; a|b = any of these values. Rows may overlap; overlapping rows agree.</p>`)
  parts.push(
    htmlTable(
      head,
      cover.map((r) => [...r.coords, r.outcome]),
      { outcomeCol },
    ),
  )
  parts.push(
    `<details><summary>Minimized with x only (${result.minimized.length} rows)</summary>${htmlTable(
      head,
      result.minimized.map((r) => [...r.coords, r.outcome]),
      { outcomeCol },
    )}</details>`,
  )
  if (result.notes.length > 0) parts.push(`<ul>${result.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>`)
  const changes = axisChanges(result)
  if (changes.length > 0) {
    parts.push(`<h2>Diff along ${esc(result.diffAxis!)}</h2>`)
    for (const d of changes) parts.push(changesHtml(d))
  }
  // Every cell, each with its trace behind a <details>.
  const maxTraces = opts.maxTraces ?? 20_000
  parts.push(`<h2>Every cell <span class="tag">${result.cells.length}</span></h2>`)
  if (result.cells.length > maxTraces)
    parts.push(`<p class="muted">Traces are written for the first ${maxTraces} cells only.</p>`)
  const cellHead = [...dims.map((d) => d.label), 'outcome', 'decided by', 'trace']
  const rows = result.cells
    .map((c, i) => {
      const coords = c.coords.map((v) => `<td>${esc(v)}</td>`).join('')
      const trace =
        i < maxTraces
          ? `<details><summary>${c.trace.length} step${c.trace.length === 1 ? '' : 's'}</summary>${c.program && c.program.length > 0 ? `<p class="muted">earlier steps: ${esc(c.program.join('; '))}</p>` : ''}${c.startError ? `<p>${esc(c.startError)}</p>` : ''}${traceHtml(c.trace)}</details>`
          : ''
      return `<tr>${coords}<td class="${outcomeClass(c.outcome)}">${esc(c.outcome)}</td><td class="mono">${esc(c.handledBy ?? '-')} ${esc(c.rule ?? '')}</td><td>${trace}</td></tr>`
    })
    .join('\n')
  parts.push(
    `<table><thead><tr>${cellHead.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>\n${rows}\n</tbody></table>`,
  )
  parts.push(profilesHtml(result.profiles ?? []))
  if (result.spec)
    parts.push(
      `<details><summary>Matrix spec (aplab/matrix@1)</summary><pre>${esc(JSON.stringify(result.spec, null, 2))}</pre></details>`,
    )
  return page(result.title, parts.join('\n'))
}

// ---------------------------------------------------------------------------------------------

export function formatMatrix(result: MatrixResult, format: MatrixFormat, opts: FormatOptions = {}): string {
  const choice = opts.table ?? 'auto'
  const { head, body } = table(result, choice)
  switch (format) {
    case 'json':
      return JSON.stringify(jsonDoc(result), null, 2)
    case 'csv':
      return csv([head, ...body])
    case 'md': {
      const lines = [
        `**${result.title}**`,
        '',
        ...mdTable(head, body),
        '',
        ...result.notes.map((n) => `- ${n}`),
        ...disagreements(result).map((d) => `- **${d}**`),
      ]
      for (const d of axisChanges(result)) lines.push('', ...changeLines(d, ''))
      return lines.join('\n')
    }
    case 'text': {
      const parts = [aligned(head, body)]
      if (result.notes.length > 0) parts.push(result.notes.join('\n'))
      const bad = disagreements(result)
      if (bad.length > 0) parts.push(bad.join('\n'))
      for (const d of axisChanges(result)) parts.push(changeLines(d, '').join('\n'))
      return parts.join('\n\n')
    }
    case 'html':
      return matrixHtml(result, opts)
  }
}

// ---------------------------------------------------------------------------------------------
// ABI diffs

function diffHeader(d: AbiDiff): string[] {
  const sizes = d.dimensions.map((x) => x.values.length)
  const configs = sizes.reduce((a, b) => a * b, 1)
  return [
    `${d.title} (${d.kind === 'axis' ? d.axis.label : d.kind === 'kernel' ? 'kernel profiles' : 'QEMU profiles'})`,
    ...d.profiles.map((p) => `  ${p.id}  ${p.label}, ${p.date}: ${p.represents}`),
    `swept: ${d.dimensions.map((x) => `${x.id} (${x.values.length})`).join(' × ')} = ${configs.toLocaleString('en-US')} cells per profile`,
  ]
}

function whereRows(d: AxisDiff, c: AbiChange): string[][] {
  return c.where.map((r) => r.coords.map((coord, i) => presentCoord(d.dimensions[i]!, coord)))
}

function whereTable(d: AbiDiff, c: AbiChange, indent: string): string {
  return aligned(
    d.dimensions.map((x) => x.id.toUpperCase()),
    whereRows(d, c),
    indent,
  )
}

export function formatDiff(d: AbiDiff, format: MatrixFormat): string {
  switch (format) {
    case 'json':
      return JSON.stringify(d, null, 2)
    case 'csv': {
      const head = ['kind', 'change', ...d.dimensions.map((x) => x.id), `${d.a}`, `${d.b}`, 'rule before', 'rule after']
      const rows: string[][] = [head]
      const all = [...d.changes, ...d.pathChanges, ...d.hostChanges]
      all.forEach((c) => {
        const n = (c.kind === 'visible' ? d.changes : c.kind === 'path' ? d.pathChanges : d.hostChanges).indexOf(c) + 1
        for (const m of c.members)
          rows.push([
            c.kind,
            String(n),
            ...m,
            c.before.outcome,
            c.after.outcome,
            c.before.rule ?? '',
            c.after.rule ?? '',
          ])
      })
      return csv(rows)
    }
    case 'text': {
      const lines = [...diffHeader(d), '', d.summary]
      const list = (title: string, cs: AbiChange[]) => {
        if (cs.length === 0) return
        lines.push('', title)
        cs.forEach((c, i) => {
          lines.push('', `${i + 1}. ${c.summary}  [${c.cells.toLocaleString('en-US')} cell${c.cells === 1 ? '' : 's'}]`)
          if (c.kind === 'host') {
            lines.push(`   decided by ${c.after.rule ?? '-'} in both${c.after.ref ? `  ← ${c.after.ref}` : ''}`)
          } else {
            lines.push(
              `   before  ${c.before.rule ?? '-'}: ${c.before.text ?? ''}${c.before.ref ? `  ← ${c.before.ref}` : ''}`,
            )
            lines.push(
              `   after   ${c.after.rule ?? '-'}: ${c.after.text ?? ''}${c.after.ref ? `  ← ${c.after.ref}` : ''}`,
            )
          }
          lines.push('   where:')
          lines.push(whereTable(d, c, '     '))
        })
      }
      list('Guest-visible changes', d.changes)
      list('Same guest-visible outcome, different deciding rule', d.pathChanges)
      list('Host side only (not visible to the guest)', d.hostChanges)
      if (d.notes.length > 0) lines.push('', ...d.notes)
      return lines.join('\n')
    }
    case 'md': {
      const lines = [
        `## ${d.title}`,
        '',
        ...diffHeader(d)
          .slice(1)
          .map((l) => `- ${l.trim()}`),
        '',
        d.summary,
      ]
      const list = (title: string, cs: AbiChange[]) => {
        if (cs.length === 0) return
        lines.push('', `### ${title}`)
        cs.forEach((c, i) => {
          lines.push('', `**${i + 1}. ${mdEscape(c.summary)}** (${c.cells} cell${c.cells === 1 ? '' : 's'})`, '')
          lines.push(
            `- before: \`${c.before.rule ?? '-'}\` ${c.before.text ?? ''}${c.before.ref ? ` (${c.before.ref})` : ''}`,
          )
          lines.push(
            `- after: \`${c.after.rule ?? '-'}\` ${c.after.text ?? ''}${c.after.ref ? ` (${c.after.ref})` : ''}`,
            '',
          )
          lines.push(
            ...mdTable(
              d.dimensions.map((x) => x.id),
              whereRows(d, c),
            ),
          )
        })
      }
      list('Guest-visible changes', d.changes)
      list('Same guest-visible outcome, different deciding rule', d.pathChanges)
      list('Host side only', d.hostChanges)
      if (d.notes.length > 0) lines.push('', ...d.notes.map((n) => `- ${n}`))
      return lines.join('\n')
    }
    case 'html': {
      const body = [
        `<header><h1>${esc(d.title)}</h1><p>${esc(d.spec?.description ?? '')}</p>`,
        `<p class="muted">${esc(diffHeader(d)[diffHeader(d).length - 1]!)}</p></header>`,
        changesHtml(d),
        d.notes.length > 0 ? `<ul>${d.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>` : '',
        `<h2>Probes</h2>${htmlTable(
          ['probe', 'label', 'steps'],
          d.probes.map((p) => [p.id, p.label, p.steps.join(' ; ')]),
        )}`,
        profilesHtml(d.profiles),
      ]
      return page(d.title, body.join('\n'))
    }
  }
}
