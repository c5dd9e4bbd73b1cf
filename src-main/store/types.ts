// Rows the store hands out: what the Runs and Sessions screens, the CLI and the service see.
// Plain JSON values only (they cross IPC and HTTP).
import type { StepResult } from '../engine/results'
import type { SessionInput } from '../engine/session'

export type RunStatus = 'running' | 'finished' | 'aborted'
export const RUN_STATUSES: readonly RunStatus[] = ['running', 'finished', 'aborted']

export interface SessionSummary {
  id: number
  name: string
  description: string
  kernel: string | null
  guests: number
  created: string
  updated: string
  /** Runs stored for this session, and when the last one started. */
  runs: number
  lastRun: string | null
}

export interface SessionRecord {
  id: number
  name: string
  created: string
  updated: string
  document: SessionInput
}

export interface RunSummary {
  id: number
  sessionId: number | null
  sessionName: string
  kernel: string
  seed: number
  trace: boolean
  status: RunStatus
  origin: 'run' | 'import'
  started: string
  finished: string | null
  durationMs: number | null
  steps: number
  instructions: number
  interrupts: number
  endUs: number | null
  error: string | null
}

export interface RunGuest {
  guest: number
  name: string
  qemu: string
  vcpus: number
  /** null when the run did not finish (aborted or still running). */
  started: boolean | null
  startError: string | null
  warnings: string[]
}

/** One stored step: the `aplab/results@1` step plus where it ran and its place in the run. */
export interface StoredStep extends StepResult {
  /** Position in the run's execution order, 0..steps-1. */
  seq: number
  guest: number
  vcpu: number
}

export interface RunPage {
  run: RunSummary
  guests: RunGuest[]
  /** Rows matching the guest/vcpu filter. */
  total: number
  offset: number
  results: StoredStep[]
}

export interface RunList {
  total: number
  runs: RunSummary[]
}

export type DiffField = 'insn' | 'fc' | 'pgm' | 'cc' | 'rc' | 'E' | 'R' | 'F' | 'I' | 'statusPlacement' | 'handledBy'

export interface StepChange {
  guest: string
  vcpu: number
  /** Program step index. */
  index: number
  kind: 'changed' | 'only-a' | 'only-b'
  insn: string
  fcName: string | null
  seqA: number | null
  seqB: number | null
  fields: { field: DiffField; a: string | number | null; b: string | number | null }[]
}

export interface RunDiff {
  a: number
  b: number
  /** Steps present in both runs (matched by guest name, vCPU and program step index). */
  compared: number
  changed: number
  onlyA: number
  onlyB: number
  guestsOnlyA: string[]
  guestsOnlyB: string[]
  /** The first `limit` differences in guest, vCPU, step order. */
  changes: StepChange[]
  truncated: boolean
}

export interface ComparisonSummary {
  id: number
  name: string
  matrix: string | null
  created: string
}

export interface ComparisonRecord extends ComparisonSummary {
  spec: unknown
  result: unknown
}

export interface ExportedText {
  id: number
  format: 'json' | 'csv'
  fileName: string
  text: string
}
