// The contract between the renderer and the main process. The preload exposes exactly these
// operations as `window.lab`; browser mode implements the same object over HTTP.
import type { KernelProfile, QemuProfile } from '../src-main/engine/profiles/types'

export type { KernelProfile, QemuProfile }

export interface ProfileCatalogue {
  kernel: KernelProfile[]
  qemu: QemuProfile[]
}

export type ProfileDetail = KernelProfile | QemuProfile

export interface LabOperations {
  listProfiles: { req: void; res: ProfileCatalogue }
  getProfile: { req: { id: string }; res: ProfileDetail }
}

export type OperationName = keyof LabOperations

export const OPERATION_NAMES = ['listProfiles', 'getProfile'] as const satisfies readonly OperationName[]

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
