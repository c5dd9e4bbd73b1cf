// Behaviour switches of profiles as rows and columns, and what changed between rows.
import type { KernelProfile, QemuProfile } from '../../src-preload/contract'
import { formatSwitchValue, valueKind } from './format'

export type SwitchGroupKey = 'kvm' | 'vfioAp'

export const SWITCH_GROUPS: readonly { key: SwitchGroupKey; label: string }[] = [
  { key: 'kvm', label: 'KVM' },
  { key: 'vfioAp', label: 'vfio_ap' },
]

export interface SwitchColumn {
  group: SwitchGroupKey
  key: string
}

export interface SwitchCell {
  /** Switch name exactly as the data key. */
  key: string
  value: unknown
  text: string
  /** `v-true`, `v-false`, `v-null` or `v-other` (CSS class). */
  kind: string
  /** Differs from the same switch in the previous profile (false on the first row). */
  changed: boolean
  /** The previous profile's rendering when changed, for tooltips. */
  previousText: string | null
}

export interface SwitchRow {
  profile: KernelProfile
  cells: SwitchCell[]
}

type Rec = Record<string, unknown>

function groupOf(p: KernelProfile, group: SwitchGroupKey): Rec {
  return p[group] as unknown as Rec
}

function same(a: unknown, b: unknown): boolean {
  return a === b || JSON.stringify(a) === JSON.stringify(b)
}

function compare(key: string, current: Rec, previous: Rec | null): SwitchCell {
  const value = current[key]
  const changed = previous !== null && !same(value, previous[key])
  return {
    key,
    value,
    text: formatSwitchValue(key, value),
    kind: valueKind(value),
    changed,
    previousText: changed && previous ? formatSwitchValue(key, previous[key]) : null,
  }
}

/** Every switch name, in data order, across all given profiles (a later profile may add one). */
export function switchColumns(profiles: readonly KernelProfile[]): SwitchColumn[] {
  const cols: SwitchColumn[] = []
  for (const { key: group } of SWITCH_GROUPS) {
    const seen = new Set<string>()
    for (const p of profiles) {
      for (const key of Object.keys(groupOf(p, group))) {
        if (!seen.has(key)) {
          seen.add(key)
          cols.push({ group, key })
        }
      }
    }
  }
  return cols
}

/** One row per profile; `changed` compares each cell with the row above it. */
export function switchRows(profiles: readonly KernelProfile[], columns: readonly SwitchColumn[]): SwitchRow[] {
  return profiles.map((profile, i) => {
    const prev = i > 0 ? profiles[i - 1]! : null
    return {
      profile,
      cells: columns.map((c) => compare(c.key, groupOf(profile, c.group), prev ? groupOf(prev, c.group) : null)),
    }
  })
}

/** The switches of one profile, grouped, each compared with `previous` (the profile listed before it). */
export function profileSwitches(
  profile: KernelProfile,
  previous: KernelProfile | null,
): { key: SwitchGroupKey; label: string; cells: SwitchCell[] }[] {
  return SWITCH_GROUPS.map((g) => {
    const cur = groupOf(profile, g.key)
    const prev = previous ? groupOf(previous, g.key) : null
    return { ...g, cells: Object.keys(cur).map((key) => compare(key, cur, prev)) }
  })
}

/** Boolean capabilities of a QEMU profile (every boolean field), compared with `previous`. */
export function qemuCapabilities(profile: QemuProfile, previous: QemuProfile | null): SwitchCell[] {
  const cur = profile as unknown as Rec
  const prev = previous as unknown as Rec | null
  return Object.keys(cur)
    .filter((key) => typeof cur[key] === 'boolean' && key !== 'dateApprox')
    .map((key) => compare(key, cur, prev))
}
