// The Queue assignment grid as data: which adapters and domains are rows and columns, every
// APQN's cell by key, and what the selected mdev holds. Pure functions of a LabView.
import type { LabView } from '../../../../src-preload/contract'
import { formatApqn } from '../../format'
import type { IrqAfterRun } from './run-view'

export type ApqnCell = LabView['cells'][number]
export type AdapterView = LabView['adapters'][number]
export type MdevView = LabView['mdevs'][number]
export type CellOwner = ApqnCell['owner'] | 'absent'

export const OWNERS: readonly { owner: CellOwner; label: string; title: string }[] = [
  { owner: 'guest', label: 'guest', title: 'assigned to an mdev whose guest is running' },
  { owner: 'mdev', label: 'mdev', title: 'assigned to an mdev with no running guest' },
  { owner: 'vfio_ap', label: 'vfio_ap', title: 'bound to vfio_ap, in no mdev (free for assignment)' },
  { owner: 'host', label: 'host driver', title: 'in the default-driver pool (apmask ∧ aqmask): cex4queue' },
  { owner: 'unbound', label: 'unbound', title: 'no driver: vfio_ap not loaded, or no queue' },
  { owner: 'absent', label: 'absent', title: 'the host has no such queue and no mdev assigns it' },
]

export interface Cursor {
  apid: number
  apqi: number
}

export function cellKey(apid: number, apqi: number): number {
  return (apid << 8) | apqi
}

export const hex2 = (n: number): string => n.toString(16).padStart(2, '0')
export const hex4 = (n: number): string => n.toString(16).padStart(4, '0')
export { formatApqn }

export interface GridAxes {
  apids: number[]
  apqis: number[]
}

function sortedUnique(values: Iterable<number>): number[] {
  return [...new Set(values)].sort((a, b) => a - b)
}

/** Compact: adapters and domains the host or an mdev mentions. Full: every id up to the host's limits. */
export function gridAxes(view: LabView, full: boolean): GridAxes {
  if (full)
    return {
      apids: Array.from({ length: view.maxApid + 1 }, (_, i) => i),
      apqis: Array.from({ length: view.maxDomain + 1 }, (_, i) => i),
    }
  const apids: number[] = []
  const apqis: number[] = []
  for (const a of view.adapters) {
    apids.push(a.id)
    apqis.push(...a.domains, ...a.controlDomains)
  }
  for (const m of view.mdevs) {
    apids.push(...m.adapters)
    apqis.push(...m.domains, ...m.controlDomains)
  }
  return { apids: sortedUnique(apids), apqis: sortedUnique(apqis) }
}

export interface GridIndex {
  /** Every APQN of the view by `cellKey` (65,536 slots; an array is faster than a Map here). */
  cells: readonly (ApqnCell | undefined)[]
  adapters: Map<number, AdapterView>
  mdevs: Map<string, MdevView>
  /** APIDs an mdev assigns that its guest matrix dropped (dynamic era): APID → mdev uuids. */
  dropped: Map<number, string[]>
}

const INDEXES = new WeakMap<LabView, GridIndex>()

/** The index of a view, built once per view object (the grid and the side panel share it). */
export function indexView(view: LabView): GridIndex {
  let index = INDEXES.get(view)
  if (!index) {
    index = buildIndex(view)
    INDEXES.set(view, index)
  }
  return index
}

function buildIndex(view: LabView): GridIndex {
  const cells = new Array<ApqnCell | undefined>(65536).fill(undefined)
  for (const c of view.cells) cells[cellKey(c.apid, c.apqi)] = c
  const adapters = new Map(view.adapters.map((a) => [a.id, a]))
  const mdevs = new Map(view.mdevs.map((m) => [m.uuid, m]))
  const dropped = new Map<number, string[]>()
  for (const m of view.mdevs) {
    if (m.guestMatrix === null || m.domains.length === 0) continue
    const inGuest = new Set<number>()
    for (const a of m.adapters) for (const d of m.domains) if (cells[cellKey(a, d)]?.inGuestMatrix) inGuest.add(a)
    for (const a of m.adapters) if (!inGuest.has(a)) dropped.set(a, [...(dropped.get(a) ?? []), m.uuid])
  }
  return { cells, adapters, mdevs, dropped }
}

export function ownerOf(cell: ApqnCell | undefined): CellOwner {
  return cell ? cell.owner : 'absent'
}

/** A short label for an mdev: its uuid without a leading `mdev-`, at most 6 characters. */
export function shortMdev(uuid: string): string {
  return uuid.replace(/^mdev-/, '').slice(0, 6)
}

/** The lszcrypt-style TYPE of a card: generation + mode letter (CEX8C, CEX7A, CEX8P). */
export function cardType(a: AdapterView): string {
  const letter = a.mode === 'Accelerator' ? 'A' : a.mode === 'EP11' ? 'P' : 'C'
  return `${a.type}${letter}`
}

export interface IrqState {
  enabled: boolean
  isc: number | null
  nib: string | null
  /** Where the state comes from: the lab view, or the last status word of the run. */
  source: 'view' | 'run'
}

export function irqOf(cell: ApqnCell | undefined, run: IrqAfterRun | undefined): IrqState | null {
  if (run) return { enabled: run.I === 1, isc: run.isc, nib: run.nib, source: 'run' }
  if (cell?.irq?.enabled) return { enabled: true, isc: cell.irq.isc, nib: cell.irq.nib, source: 'view' }
  return null
}

/** One line per fact, for the native tooltip of a cell. */
export function describeCell(
  apid: number,
  apqi: number,
  index: GridIndex,
  dynamic: boolean,
  irq: IrqState | null,
): string {
  const cell = index.cells[cellKey(apid, apqi)]
  const card = index.adapters.get(apid)
  const lines = [formatApqn(apid, apqi)]
  const owner = OWNERS.find((o) => o.owner === ownerOf(cell))!
  lines.push(`owner: ${owner.label}${cell?.mdev ? ` (${cell.mdev}${cell.guest ? `, guest ${cell.guest}` : ''})` : ''}`)
  if (cell && !cell.exists) lines.push('no queue on the host (assigned only)')
  if (cell?.mdev && cell.guest) lines.push(cell.inGuestMatrix ? 'in the guest matrix' : 'NOT in the guest matrix')
  if (cell?.control) lines.push('control domain of the card')
  if (card) lines.push(`card ${hex2(apid)}: ${cardType(card)} ${card.state}`)
  if (irq)
    lines.push(
      `interruptions ${irq.enabled ? 'enabled' : 'disabled'}${irq.isc !== null ? ` ISC ${irq.isc}` : ''}${irq.nib ? ` NIB ${irq.nib}` : ''}${irq.source === 'run' ? ' (after the run)' : ''}`,
    )
  if (!dynamic && cell?.mdev) lines.push('static era: the CRYCB holds the assigned masks')
  return lines.join('\n')
}
