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

function segmentsOf(db: Db, runId: number, q: GuestScan): SegmentRow[] {
  const byVcpu = q.vcpu === undefined ? '' : ' AND vcpu = ?'
  const params = q.vcpu === undefined ? [runId, q.guest] : [runId, q.guest, q.vcpu]
  return db
    .prepare(
      `SELECT vcpu, first_seq AS first, last_seq AS last, rows FROM step_segments
       WHERE run_id = ? AND guest = ?${byVcpu} ORDER BY vcpu, first_seq`,
    )
    .all(...params) as SegmentRow[]
}

/** How many steps the guest (or one of its vCPUs) has in the run. */
export function guestStepCount(db: Db, runId: number, guest: number, vcpu?: number): number {
  const byVcpu = vcpu === undefined ? '' : ' AND vcpu = ?'
  const params = vcpu === undefined ? [runId, guest] : [runId, guest, vcpu]
  return db
    .prepare(`SELECT coalesce(sum(rows), 0) FROM step_segments WHERE run_id = ? AND guest = ?${byVcpu}`)
    .pluck()
    .get(...params) as number
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
