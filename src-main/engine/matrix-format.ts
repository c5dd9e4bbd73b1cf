// Renderings of a matrix result: plain text in the seed's layout (fit for a mailing-list
// reply), Markdown, CSV and JSON.
import type { MatrixResult, TableRow } from './matrix'

export type MatrixFormat = 'text' | 'md' | 'csv' | 'json'

function table(result: MatrixResult, useRows: boolean): { head: string[]; body: string[][] } {
  const head = [
    ...result.dimensions.map((d) => d.label),
    result.outcomeFields.length === 1 && result.outcomeFields[0] === 'pgm' ? 'PGM' : 'OUTCOME',
  ]
  const rows: TableRow[] = useRows && result.rows ? result.rows : result.minimized
  return { head, body: rows.map((r) => [...r.coords, r.outcome]) }
}

function aligned(head: string[], body: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)))
  const line = (cells: string[]) =>
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

export function formatMatrix(result: MatrixResult, format: MatrixFormat): string {
  const { head, body } = table(result, true)
  switch (format) {
    case 'json':
      return JSON.stringify(
        {
          format: 'aplab/matrix-result@1',
          name: result.name,
          title: result.title,
          dimensions: result.dimensions,
          outcomeFields: result.outcomeFields,
          rows: result.rows,
          minimized: result.minimized,
          full: result.cells.map((c) => ({
            coords: c.coords,
            outcome: c.outcome,
            rule: c.rule,
            handledBy: c.handledBy,
            startError: c.startError,
          })),
          notes: result.notes,
        },
        null,
        2,
      )
    case 'csv': {
      const esc = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s)
      return [head, ...body].map((r) => r.map(esc).join(',')).join('\n')
    }
    case 'md': {
      const esc = (s: string) => s.replace(/\|/g, '\\|')
      const lines = [
        `| ${head.map(esc).join(' | ')} |`,
        `|${head.map(() => '---').join('|')}|`,
        ...body.map((r) => `| ${r.map(esc).join(' | ')} |`),
      ]
      return [
        `**${result.title}**`,
        '',
        ...lines,
        '',
        ...result.notes.map((n) => `- ${n}`),
        ...disagreements(result).map((d) => `- **${d}**`),
      ].join('\n')
    }
    case 'text': {
      const parts = [aligned(head, body)]
      if (result.notes.length > 0) parts.push(result.notes.join('\n'))
      const bad = disagreements(result)
      if (bad.length > 0) parts.push(bad.join('\n'))
      return parts.join('\n\n')
    }
  }
}
