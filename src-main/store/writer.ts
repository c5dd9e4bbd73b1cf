// Streams one run's steps into the database (schema version 3): each distinct outcome once
// (`outcomes`, `outcome_trace`), each step as seven integers (`steps`), and for every committed
// batch the seq range of each (guest, vCPU) stream in it (`step_segments`). Rows are inserted as
// they arrive, inside a write transaction that is committed every `batchRows` steps or `flushMs`
// milliseconds, so memory stays bounded and a crash loses at most the open batch.
import { performance } from 'node:perf_hooks'
import type { StepResult } from '../engine/results'
import { MAX_REMEMBERED } from '../engine/step-intern'
import type { Db, Statement } from './db'
import {
  OUTCOME_PARAMS,
  OUTCOME_TRACE_PARAMS,
  STEP_PARAMS,
  insertOutcomeTraceSql,
  insertOutcomesSql,
  insertStepsSql,
  pushOutcomeParams,
  pushOutcomeTraceParams,
} from './rows'

/** Steps per INSERT statement. */
const STEP_ROWS = 128
/** Outcomes and trace records per INSERT statement. */
const OUTCOME_ROWS = 16

interface Segment {
  guest: number
  vcpu: number
  first: number
  last: number
  rows: number
}

interface Statements {
  steps: Statement
  step: Statement
  outcomes: Statement
  outcome: Statement
  traces: Statement
  trace: Statement
  segment: Statement
}

const statementCache = new WeakMap<Db, Statements>()

function statements(db: Db): Statements {
  let s = statementCache.get(db)
  if (!s) {
    s = {
      steps: db.prepare(insertStepsSql(STEP_ROWS)),
      step: db.prepare(insertStepsSql(1)),
      outcomes: db.prepare(insertOutcomesSql(OUTCOME_ROWS)),
      outcome: db.prepare(insertOutcomesSql(1)),
      traces: db.prepare(insertOutcomeTraceSql(OUTCOME_ROWS)),
      trace: db.prepare(insertOutcomeTraceSql(1)),
      segment: db.prepare(
        'INSERT INTO step_segments (run_id, guest, vcpu, first_seq, last_seq, rows) VALUES (?, ?, ?, ?, ?, ?)',
      ),
    }
    statementCache.set(db, s)
  }
  return s
}

/** The first `rows` rows of `params` (`width` parameters each): one `many` statement when they fill it, else `one` per row. */
function insertRows(
  many: Statement,
  one: Statement,
  params: readonly unknown[],
  rows: number,
  width: number,
  perStatement: number,
): void {
  if (rows === perStatement) many.run(params)
  else for (let i = 0; i < rows * width; i += width) one.run(params.slice(i, i + width))
}

export interface RunWriterOptions {
  /** Steps per committed transaction (default: no commits of its own, for a caller's transaction). */
  batchRows?: number
  /** A partial batch is committed once it is this old (ms). */
  flushMs?: number
}

export class RunWriter {
  /** Steps added so far; the next step's seq. */
  seq = 0
  /** Steps committed so far. */
  committed = 0
  /** A database call failed: the open batch is lost, only a rollback is left. */
  failed = false
  private readonly stmts: Statements
  private readonly batchRows: number
  private readonly flushMs: number
  private readonly ownsTransactions: boolean
  private open = false
  private batchStart = 0
  /** The parameters of one full steps statement, filled in place (a fixed-size array is never regrown). */
  private readonly stepParams: number[] = new Array<number>(STEP_ROWS * STEP_PARAMS).fill(0)
  private stepRows = 0
  private readonly outcomeParams: unknown[] = []
  private outcomeRows = 0
  private readonly traceParams: unknown[] = []
  private traceRows = 0
  private readonly segments = new Map<number, Segment>()
  private lastKey = -1
  private lastSegment: Segment | null = null
  /** Outcomes of whole steps by their JSON text (index and time zeroed), for `step`. */
  private readonly byText = new Map<string, number>()
  private readonly textsThisBatch: string[] = []
  private nextOutcome = 0

  constructor(
    private readonly db: Db,
    private readonly runId: number,
    opts: RunWriterOptions = {},
  ) {
    this.stmts = statements(db)
    this.ownsTransactions = opts.batchRows !== undefined
    this.batchRows = Math.max(1, opts.batchRows ?? Infinity)
    this.flushMs = opts.flushMs ?? Infinity
  }

  /** A step of the engine's interned stream (RunOptions.onRow). */
  row(guest: number, vcpu: number, index: number, atUs: number, outcome: number, first: StepResult | null): void {
    if (this.ownsTransactions && !this.open) this.begin()
    if (first) this.addOutcome(outcome, first)
    const seq = this.seq++
    const p = this.stepParams
    const o = this.stepRows * STEP_PARAMS
    p[o] = this.runId
    p[o + 1] = seq
    p[o + 2] = guest
    p[o + 3] = vcpu
    p[o + 4] = index
    p[o + 5] = atUs
    p[o + 6] = outcome
    if (++this.stepRows === STEP_ROWS) this.flushSteps()
    const key = guest * 65536 + vcpu
    let seg = key === this.lastKey ? this.lastSegment : this.segments.get(key)
    if (!seg) this.segments.set(key, (seg = { guest, vcpu, first: seq, last: seq, rows: 0 }))
    seg.last = seq
    seg.rows++
    this.lastKey = key
    this.lastSegment = seg
    if (this.ownsTransactions) {
      const n = this.seq - this.committed
      if (n >= this.batchRows || ((n & 63) === 0 && performance.now() - this.batchStart >= this.flushMs)) this.commit()
    }
  }

  /** A whole step (imports, custom runners): its outcome is found by its text. */
  step(guest: number, vcpu: number, s: StepResult): void {
    const text = JSON.stringify({ ...s, index: 0, atUs: 0 })
    let id = this.byText.get(text)
    let first: StepResult | null = null
    if (id === undefined) {
      id = this.nextOutcome++
      first = s
      if (this.byText.size < MAX_REMEMBERED) {
        this.byText.set(text, id)
        this.textsThisBatch.push(text)
      }
    }
    this.row(guest, vcpu, s.index, s.atUs, id, first)
  }

  /** Writes what is buffered, inside the open transaction. */
  flush(): void {
    this.guard(() => {
      this.flushOutcomes()
      this.flushSteps()
      for (const s of this.segments.values())
        this.stmts.segment.run(this.runId, s.guest, s.vcpu, s.first, s.last, s.rows)
    })
    this.clearSegments()
  }

  /** Starts this writer's transaction (if none is open), e.g. to add the run's last updates to it. */
  begin(): void {
    if (this.open) return
    this.guard(() => this.db.exec('BEGIN IMMEDIATE'))
    this.open = true
    this.batchStart = performance.now()
  }

  /** Writes what is buffered and commits this writer's transaction. */
  commit(): void {
    this.flush()
    if (this.open) {
      this.guard(() => this.db.exec('COMMIT'))
      this.open = false
    }
    this.committed = this.seq
    this.textsThisBatch.length = 0
  }

  /** Drops the open batch (after a failure): its steps, and the outcomes first written in it. */
  rollback(): void {
    if (this.open && this.db.inTransaction) this.db.exec('ROLLBACK')
    this.open = false
    this.stepRows = 0
    this.outcomeParams.length = 0
    this.outcomeRows = 0
    this.traceParams.length = 0
    this.traceRows = 0
    this.clearSegments()
    for (const t of this.textsThisBatch) this.byText.delete(t)
    this.textsThisBatch.length = 0
    this.seq = this.committed
  }

  private guard(fn: () => void): void {
    try {
      fn()
    } catch (e) {
      this.failed = true
      throw e
    }
  }

  private addOutcome(id: number, s: StepResult): void {
    pushOutcomeParams(this.outcomeParams, this.runId, id, s)
    if (++this.outcomeRows === OUTCOME_ROWS) this.guard(() => this.flushOutcomeRows())
    const t = s.trace
    for (let k = 0; k < t.length; k++) {
      pushOutcomeTraceParams(this.traceParams, this.runId, id, k, t[k]!)
      if (++this.traceRows === OUTCOME_ROWS) this.guard(() => this.flushTraceRows())
    }
  }

  private flushSteps(): void {
    const { steps, step } = this.stmts
    this.guard(() => insertRows(steps, step, this.stepParams, this.stepRows, STEP_PARAMS, STEP_ROWS))
    this.stepRows = 0
  }

  private flushOutcomes(): void {
    this.flushOutcomeRows()
    this.flushTraceRows()
  }

  private flushOutcomeRows(): void {
    const { outcomes, outcome } = this.stmts
    insertRows(outcomes, outcome, this.outcomeParams, this.outcomeRows, OUTCOME_PARAMS, OUTCOME_ROWS)
    this.outcomeParams.length = 0
    this.outcomeRows = 0
  }

  private flushTraceRows(): void {
    const { traces, trace } = this.stmts
    insertRows(traces, trace, this.traceParams, this.traceRows, OUTCOME_TRACE_PARAMS, OUTCOME_ROWS)
    this.traceParams.length = 0
    this.traceRows = 0
  }

  private clearSegments(): void {
    this.segments.clear()
    this.lastKey = -1
    this.lastSegment = null
  }
}
