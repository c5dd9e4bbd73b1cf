// Aligned plain-text tables for terminal output. The last column may hold several lines and is
// word-wrapped to the terminal width; the other columns are padded to their widest cell. When the
// terminal leaves the last column too narrow, its lines go below each row instead, indented.

export interface TableOptions {
  /** Total width to wrap the last column to; undefined: no wrapping. */
  width?: number
  /** Spaces between columns. */
  gap?: number
}

export type Cell = string | readonly string[]

const MIN_LAST_WIDTH = 40

function wrap(text: string, width: number): string[] {
  if (width <= 0 || text.length <= width) return [text]
  const lines: string[] = []
  let line = ''
  for (const word of text.split(' ')) {
    if (line === '') line = word
    else if (line.length + 1 + word.length <= width) line += ' ' + word
    else {
      lines.push(line)
      line = word
    }
    while (line.length > width) {
      lines.push(line.slice(0, width))
      line = line.slice(width)
    }
  }
  lines.push(line)
  return lines
}

export function formatTable(
  headers: readonly string[],
  rows: readonly (readonly Cell[])[],
  opts: TableOptions = {},
): string {
  const gap = ' '.repeat(opts.gap ?? 2)
  const last = headers.length - 1
  const widths = headers.map((h, c) =>
    Math.max(
      h.length,
      ...rows.map((r) => {
        const cell = r[c] ?? ''
        return c === last ? 0 : (typeof cell === 'string' ? [cell] : cell).reduce((m, l) => Math.max(m, l.length), 0)
      }),
    ),
  )
  const indent = widths.slice(0, last).reduce((sum, w) => sum + w + gap.length, 0)
  const stacked = opts.width !== undefined && opts.width - indent < MIN_LAST_WIDTH
  const lastWidth = opts.width === undefined ? 0 : stacked ? Math.max(20, opts.width - 4) : opts.width - indent

  const out: string[] = []
  const emit = (cells: readonly Cell[]): void => {
    if (stacked) {
      const head = cells
        .slice(0, last)
        .map((cell, c) => (typeof cell === 'string' ? cell : cell.join(' ')).padEnd(widths[c]!))
      out.push(head.join(gap).trimEnd())
      const tail = cells[last] ?? ''
      for (const l of typeof tail === 'string' ? [tail] : tail) {
        for (const w of wrap(l, lastWidth)) if (w !== '') out.push('    ' + w)
      }
      return
    }
    const lines = cells.map((cell, c) => {
      const raw = typeof cell === 'string' ? [cell] : [...cell]
      return c === last ? raw.flatMap((l) => wrap(l, lastWidth)) : raw
    })
    const height = Math.max(1, ...lines.map((l) => l.length))
    for (let i = 0; i < height; i++) {
      const parts = lines.map((l, c) => (c === last ? (l[i] ?? '') : (l[i] ?? '').padEnd(widths[c]!)))
      out.push(parts.join(gap).trimEnd())
    }
  }
  emit(headers)
  for (const row of rows) emit(row)
  return out.join('\n') + '\n'
}
