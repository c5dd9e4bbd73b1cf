// Cells as they travel from sweep workers to the pool: packed (see PackedCells).
import type { Cell } from '../engine/matrix'

export type CellWithoutCoords = Omit<Cell, 'coords'>

/** Cell fields in the order of the packed codes. */
export const PACKED_FIELDS = [
  'outcome',
  'rule',
  'handledBy',
  'trace',
  'startError',
  'observed',
  'hostLog',
  'program',
] as const
export const PACKED_WIDTH = PACKED_FIELDS.length

/**
 * A chunk's cells, packed: each field of each cell is the JSON text of its value, interned in
 * `table`; `codes` holds, per cell, one table index per field. Cells of a sweep repeat the same
 * few outcomes, rules and traces, so this is far smaller and faster to pass than the objects.
 */
export interface PackedCells {
  table: string[]
  codes: Uint32Array
}

export function packCells(cells: readonly Cell[]): PackedCells {
  const table: string[] = []
  const ids = new Map<string, number>()
  const codes = new Uint32Array(cells.length * PACKED_WIDTH)
  cells.forEach((c, i) => {
    PACKED_FIELDS.forEach((f, j) => {
      const text = JSON.stringify(c[f] ?? null)
      let id = ids.get(text)
      if (id === undefined) {
        id = table.length
        table.push(text)
        ids.set(text, id)
      }
      codes[i * PACKED_WIDTH + j] = id
    })
  })
  return { table, codes }
}

/** The inverse of packCells; equal values come back as one shared object (cells are read-only). */
export function unpackCells(p: PackedCells): CellWithoutCoords[] {
  const values = p.table.map((t) => JSON.parse(t) as unknown)
  const n = p.codes.length / PACKED_WIDTH
  const out: CellWithoutCoords[] = new Array(n)
  for (let i = 0; i < n; i++) {
    const at = i * PACKED_WIDTH
    const v = (j: number) => values[p.codes[at + j]!]
    const cell: CellWithoutCoords = {
      outcome: v(0) as string,
      rule: v(1) as Cell['rule'],
      handledBy: v(2) as Cell['handledBy'],
      trace: (v(3) as Cell['trace'] | null) ?? [],
      startError: v(4) as string | null,
      hostLog: (v(6) as string[] | null) ?? [],
      program: (v(7) as string[] | null) ?? [],
    }
    const observed = v(5) as Cell['observed'] | null
    if (observed) cell.observed = observed
    out[i] = cell
  }
  return out
}
