// The contract between the renderer and the main process. The preload exposes exactly these
// operations as `window.lab`; browser mode implements the same object over HTTP.
import type { KernelProfile, QemuProfile, ApFeature } from '../src-main/engine/profiles/types'
import type { ProbeResult } from '../src-main/engine/probe'
import type { MatrixResult } from '../src-main/engine/matrix'
import type { MatrixFormat } from '../src-main/engine/matrix-format'
import type { RunResults } from '../src-main/engine/lab'
import type { SessionInput } from '../src-main/engine/session'

export type { KernelProfile, QemuProfile, ApFeature, ProbeResult, MatrixResult, MatrixFormat, RunResults, SessionInput }
export type { StepResult, StatusDecoded } from '../src-main/engine/results'
export type { TraceRecord } from '../src-main/engine/trace'

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
  host?: { apInstructions?: boolean; aiv?: boolean; apxa?: boolean; facilities?: { '12'?: boolean; '15'?: boolean; '65'?: boolean; '76'?: boolean } }
  faults?: { moduleGetFails?: boolean; pinErrno?: string | null; giscRegisterFails?: boolean }
  queue?: { irqEnabled?: boolean; state?: 'online' | 'checkstopped' | 'deconfigured'; resetInProgress?: boolean; assigned?: boolean }
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

export interface LabOperations {
  listProfiles: { req: void; res: ProfileCatalogue }
  getProfile: { req: { id: string }; res: ProfileDetail }
  probe: { req: ProbeRequest; res: ProbeResult }
  listMatrices: { req: void; res: MatrixSummary[] }
  compare: { req: { matrix: string }; res: CompareResponse }
  listExamples: { req: void; res: { name: string; description: string; session: SessionInput }[] }
  runSession: { req: { session: string | SessionInput; trace?: boolean }; res: RunResults }
}

export type OperationName = keyof LabOperations

export const OPERATION_NAMES = ['listProfiles', 'getProfile', 'probe', 'listMatrices', 'compare', 'listExamples', 'runSession'] as const satisfies readonly OperationName[]

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
