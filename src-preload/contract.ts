// The contract between the renderer and the main process. The preload exposes exactly these
// operations as `window.lab`; browser mode implements the same object over HTTP.
import type { KernelProfile, QemuProfile, ApFeature } from '../src-main/engine/profiles/types'
import type { ProbeResult } from '../src-main/engine/probe'
import type { MatrixResult } from '../src-main/engine/matrix'
import type { MatrixFormat } from '../src-main/engine/matrix-format'
import type { MatrixSpecInput } from '../src-main/engine/matrix-spec'
import type { AbiDiff } from '../src-main/engine/abi-diff'
import type { RunResults } from '../src-main/engine/lab'
import type { SessionInput } from '../src-main/engine/session'
import type { LabView, AssignmentAnswer } from '../src-main/engine/lab-view'
import type {
  ComparisonRecord,
  ComparisonSummary,
  ExportedText,
  RunDiff,
  RunList,
  RunPage,
  RunStatus,
  RunSummary,
  SessionRecord,
  SessionSummary,
} from '../src-main/store/types'

export type {
  KernelProfile,
  QemuProfile,
  ApFeature,
  ProbeResult,
  MatrixResult,
  MatrixFormat,
  MatrixSpecInput,
  AbiDiff,
  RunResults,
  SessionInput,
  LabView,
  AssignmentAnswer,
}
export type { StepResult, StatusDecoded } from '../src-main/engine/results'
export type { TraceRecord } from '../src-main/engine/trace'
export type {
  ComparisonRecord,
  ComparisonSummary,
  DiffField,
  ExportedText,
  RunDiff,
  RunGuest,
  RunList,
  RunPage,
  RunStatus,
  RunSummary,
  SessionRecord,
  SessionSummary,
  StepChange,
  StoredStep,
} from '../src-main/store/types'

export interface ProfileCatalogue {
  kernel: KernelProfile[]
  qemu: QemuProfile[]
}

export type ProfileDetail = KernelProfile | QemuProfile

export interface ProbeRequest {
  kernel: string
  qemu: string
  insn: string
  cpu?: { model?: string; features?: Partial<Record<ApFeature, boolean>> }
  vfio?: 'none' | 'loaded' | 'mdev'
  psw?: 'problem' | 'supervisor'
  ccBefore?: 0 | 1 | 2 | 3
  gisa?: boolean
  nested?: boolean
  mode?: 'kernel-faithful' | 'architecture-faithful'
  host?: {
    apInstructions?: boolean
    aiv?: boolean
    apxa?: boolean
    facilities?: { '12'?: boolean; '15'?: boolean; '65'?: boolean; '76'?: boolean }
  }
  faults?: { moduleGetFails?: boolean; pinErrno?: string | null; giscRegisterFails?: boolean }
  queue?: {
    irqEnabled?: boolean
    state?: 'online' | 'checkstopped' | 'deconfigured'
    resetInProgress?: boolean
    assigned?: boolean
  }
  /** Register overrides applied after the instruction text: `r0`..`r15`, hex string or number. */
  regs?: Partial<Record<string, string | number>>
  trace?: boolean
}

export interface MatrixSummary {
  name: string
  title: string
  description: string
}

export interface CompareResponse {
  result: MatrixResult
  exports: Record<MatrixFormat, string>
}

/** `aplab diff` as an operation: two kernel profiles or two QEMU profiles, and optional probe sets. */
export interface DiffProfilesRequest {
  a: string
  b: string
  /** Probe-set names (aqic, fc, msg, all), probe ids or instruction texts; default all. */
  probes?: string[]
}

export interface DiffProfilesResponse {
  diff: AbiDiff
  exports: Record<MatrixFormat, string>
}

/** A stored session id, `builtin:NAME`, or a session document. */
export type SessionRef = number | string | SessionInput

export interface RunStoredResponse {
  runId: number
  run: RunSummary
  /** The aplab/results@1 document; steps are left out (empty) for runs over 100,000 program steps unless keepSteps. */
  results: RunResults
}

export interface GetRunRequest {
  id: number
  /** Guest name or index; with a guest, rows come in vCPU then execution order. */
  guest?: string | number
  vcpu?: number
  limit?: number
  offset?: number
  afterSeq?: number
  trace?: boolean
}

export interface LabOperations {
  listProfiles: { req: void; res: ProfileCatalogue }
  getProfile: { req: { id: string }; res: ProfileDetail }
  probe: { req: ProbeRequest; res: ProbeResult }
  listMatrices: { req: void; res: MatrixSummary[] }
  compare: { req: { matrix: string }; res: CompareResponse }
  /** An `aplab/matrix@1` document (docs/matrix-format.md), computed in the main process. */
  compareSpec: { req: { spec: MatrixSpecInput }; res: CompareResponse }
  diffProfiles: { req: DiffProfilesRequest; res: DiffProfilesResponse }
  listExamples: { req: void; res: { name: string; description: string; session: SessionInput }[] }
  runSession: { req: { session: string | SessionInput; trace?: boolean }; res: RunResults }
  labView: { req: { session: string | SessionInput; afterRun?: boolean }; res: LabView }
  changeAssignment: {
    req: {
      session: string | SessionInput
      mdev: string
      kind: 'adapter' | 'domain' | 'control_domain'
      id: number
      action: 'assign' | 'unassign'
      running: boolean
    }
    res: AssignmentAnswer
  }
  // The database (src-main/store). Without a database open these fail with code 'conflict'.
  saveSession: { req: { id?: number; name?: string; document: SessionInput }; res: { id: number } }
  listSessions: { req: void; res: SessionSummary[] }
  getSession: { req: { id: number }; res: SessionRecord }
  deleteSession: { req: { id: number }; res: { id: number; deleted: true } }
  importSession: { req: { text: string }; res: { id: number; name: string } }
  exportSession: { req: { id: number }; res: { id: number; name: string; fileName: string; text: string } }
  listRuns: { req: { status?: RunStatus; session?: number; limit?: number; offset?: number }; res: RunList }
  getRun: { req: GetRunRequest; res: RunPage }
  runStored: { req: { session: SessionRef; trace?: boolean; keepSteps?: boolean }; res: RunStoredResponse }
  diffRuns: { req: { a: number; b: number; limit?: number }; res: RunDiff }
  exportRun: { req: { id: number; format?: 'json' | 'csv' }; res: ExportedText }
  importRun: { req: { text: string }; res: { id: number } }
  deleteRun: { req: { id: number }; res: { id: number; deleted: true } }
  saveComparison: {
    req: { matrix: string; name?: string } | { spec: MatrixSpecInput; name?: string }
    res: { id: number }
  }
  listComparisons: { req: void; res: ComparisonSummary[] }
  getComparison: { req: { id: number }; res: ComparisonRecord }
  deleteComparison: { req: { id: number }; res: { id: number; deleted: true } }
}

export type OperationName = keyof LabOperations

export const OPERATION_NAMES = [
  'listProfiles',
  'getProfile',
  'probe',
  'listMatrices',
  'compare',
  'compareSpec',
  'diffProfiles',
  'listExamples',
  'runSession',
  'labView',
  'changeAssignment',
  'saveSession',
  'listSessions',
  'getSession',
  'deleteSession',
  'importSession',
  'exportSession',
  'listRuns',
  'getRun',
  'runStored',
  'diffRuns',
  'exportRun',
  'importRun',
  'deleteRun',
  'saveComparison',
  'listComparisons',
  'getComparison',
  'deleteComparison',
] as const satisfies readonly OperationName[]

export type LabApi = {
  [K in OperationName]: LabOperations[K]['req'] extends void
    ? () => Promise<LabOperations[K]['res']>
    : (req: LabOperations[K]['req']) => Promise<LabOperations[K]['res']>
}

export type LabErrorCode = 'invalid-input' | 'not-found' | 'conflict' | 'internal'

export interface LabErrorBody {
  code: LabErrorCode
  message: string
  field?: string
}

export const IPC_CHANNEL_PREFIX = 'aplab:'

export function ipcChannel(op: OperationName): string {
  return IPC_CHANNEL_PREFIX + op
}
