// A guest's steps in (vCPU, seq) order, read through `step_segments` (schema version 3): each
// segment is a short seq range of one batch that holds rows of that (guest, vCPU), so reading a
// guest never scans the other guests' rows beyond its batches, and an offset skips whole segments.
import type { Db } from './db'

/** Rows read per query inside one segment. */
const CHUNK = 2000

export interface GuestScan {
  guest: number
  vcpu?: number
  /** Only rows with a larger seq. */
  afterSeq?: number
  /** Rows to skip first. */
  skip?: number
}

interface SegmentRow {
  vcpu: number
  first: number
  last: number
  rows: number
}

/** The WHERE clause (and its parameters) of one guest's, or one of its vCPUs', segments. */
function segmentFilter(runId: number, guest: number, vcpu: number | undefined): { where: string; params: number[] } {
  return vcpu === undefined
    ? { where: 'run_id = ? AND guest = ?', params: [runId, guest] }
    : { where: 'run_id = ? AND guest = ? AND vcpu = ?', params: [runId, guest, vcpu] }
}

function segmentsOf(db: Db, runId: number, q: GuestScan): SegmentRow[] {
  const f = segmentFilter(runId, q.guest, q.vcpu)
  return db
    .prepare(
      `SELECT vcpu, first_seq AS first, last_seq AS last, rows FROM step_segments
       WHERE ${f.where} ORDER BY vcpu, first_seq`,
    )
    .all(...f.params) as SegmentRow[]
}

/** How many steps the guest (or one of its vCPUs) has in the run. */
export function guestStepCount(db: Db, runId: number, guest: number, vcpu?: number): number {
  const f = segmentFilter(runId, guest, vcpu)
  return db
    .prepare(`SELECT coalesce(sum(rows), 0) FROM step_segments WHERE ${f.where}`)
    .pluck()
    .get(...f.params) as number
}

/** The guest's rows of `results` (the given columns, which must include seq) in vCPU, then seq order. */
export function* guestSteps<T extends { seq: number }>(
  db: Db,
  runId: number,
  columns: string,
  q: GuestScan,
): Generator<T> {
  const range = db.prepare(
    `SELECT ${columns} FROM results WHERE run_id = ? AND seq >= ? AND seq <= ? AND guest = ? AND vcpu = ?
     ORDER BY seq LIMIT ? OFFSET ?`,
  )
  let skip = q.skip ?? 0
  for (const s of segmentsOf(db, runId, q)) {
    let from = s.first
    let offset = 0
    if (q.afterSeq !== undefined) {
      if (s.last <= q.afterSeq) continue
      from = Math.max(from, q.afterSeq + 1)
    } else if (skip >= s.rows) {
      skip -= s.rows
      continue
    } else {
      offset = skip
      skip = 0
    }
    for (;;) {
      const rows = range.all(runId, from, s.last, q.guest, s.vcpu, CHUNK, offset) as T[]
      offset = 0
      for (const r of rows) {
        if (skip > 0) skip--
        else yield r
      }
      if (rows.length < CHUNK) break
      from = rows[rows.length - 1]!.seq + 1
    }
  }
}
