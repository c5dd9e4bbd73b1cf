import { KERNEL_PROFILES } from './kernel'
import { QEMU_PROFILES } from './qemu'
import type { KernelProfile, Profile, QemuProfile } from './types'

export * from './types'
export { KERNEL_PROFILES } from './kernel'
export { QEMU_PROFILES } from './qemu'

const BY_ID: ReadonlyMap<string, Profile> = new Map<string, Profile>(
  [...KERNEL_PROFILES, ...QEMU_PROFILES].map((p) => [p.id, p]),
)

export function findProfile(id: string): Profile | undefined {
  return BY_ID.get(id)
}

export function kernelProfile(id: string): KernelProfile | undefined {
  const p = BY_ID.get(id)
  return p?.kind === 'kernel' ? p : undefined
}

export function qemuProfile(id: string): QemuProfile | undefined {
  const p = BY_ID.get(id)
  return p?.kind === 'qemu' ? p : undefined
}
