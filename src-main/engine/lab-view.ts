// What the Queue assignment screen shows: every APQN's owner (host driver, vfio_ap, an mdev, a
// guest), control domains and card state, the sysfs `matrix` / `guest_matrix` text, and the
// kernel's answer to an assignment change.
import { formatApqn } from './arch'
import { labFromSession, runOnLab } from './lab'
import { assign, unassign, type AssignKind, type MatrixChange } from './mdev-matrix'
import { maskIds, maskTest, type Host, type Mdev } from './model'
import { parseSession, type Session, type SessionInput } from './session'
import { mdevAssigns, reservedForVfioAp } from './vfio-ap'

export type ApqnOwner = 'host' | 'vfio_ap' | 'mdev' | 'guest' | 'unbound'

export interface ApqnCell {
  apqn: string
  apid: number
  apqi: number
  exists: boolean
  owner: ApqnOwner
  mdev: string | null
  guest: string | null
  inGuestMatrix: boolean
  control: boolean
  irq: { enabled: boolean; isc: number; nib: string } | null
}

export interface MdevView {
  uuid: string
  adapters: number[]
  domains: number[]
  controlDomains: number[]
  guest: string | null
  matrix: string
  guestMatrix: string | null
}

export interface LabView {
  kernel: string
  dynamicMatrix: boolean
  apxa: boolean
  maxApid: number
  maxDomain: number
  adapters: { id: number; type: string; mode: string; state: string; domains: number[]; controlDomains: number[] }[]
  cells: ApqnCell[]
  mdevs: MdevView[]
  guests: { name: string; started: boolean; startError: string | null; mdev: string | null }[]
}

/** The sysfs `matrix` file: `%02x.%04x` per APQN, APID-major; `AA.` or `.DDDD` lines when one side is empty. */
export function matrixText(apids: readonly number[], apqis: readonly number[]): string {
  const h2 = (n: number) => n.toString(16).padStart(2, '0')
  const h4 = (n: number) => n.toString(16).padStart(4, '0')
  if (apids.length === 0) return apqis.map((d) => `.${h4(d)}\n`).join('')
  if (apqis.length === 0) return apids.map((a) => `${h2(a)}.\n`).join('')
  return apids.flatMap((a) => apqis.map((d) => `${h2(a)}.${h4(d)}\n`)).join('')
}

function owner(host: Host, apqn: number, mdev: Mdev | undefined, guestOf: Map<Mdev, string>): ApqnOwner {
  if (mdev) return guestOf.has(mdev) ? 'guest' : 'mdev'
  if (!host.queues.has(apqn)) return 'unbound'
  if (!reservedForVfioAp(host, apqn)) return 'host'
  return host.vfioAp ? 'vfio_ap' : 'unbound'
}

/** The host as the session starts it, or, with `afterRun`, as the run left it (interrupt state included). */
export function labView(doc: SessionInput | Session, opts: { afterRun?: boolean } = {}): LabView {
  const session = parseSession(doc)
  const lab = labFromSession(session)
  if (opts.afterRun) runOnLab(lab, session, { trace: false, keepSteps: false })
  const { host } = lab
  const guestOf = new Map<Mdev, string>()
  lab.guests.forEach((g, i) => {
    const id = session.guests[i]!.mdev
    const m = id ? host.mdevs.get(id) : undefined
    if (m && g.started) guestOf.set(m, g.name)
  })
  const apqns = new Set<number>(host.queues.keys())
  for (const m of host.mdevs.values())
    for (const a of maskIds(m.apm)) for (const d of maskIds(m.aqm)) apqns.add((a << 8) | d)
  const cells: ApqnCell[] = [...apqns]
    .sort((a, b) => a - b)
    .map((apqn) => {
      const mdev = [...host.mdevs.values()].find((m) => mdevAssigns(m, apqn))
      const q = host.queues.get(apqn)
      const vm = mdev?.vm ?? null
      const apid = apqn >>> 8
      const apqi = apqn & 0xff
      return {
        apqn: formatApqn(apqn),
        apid,
        apqi,
        exists: q !== undefined,
        owner: owner(host, apqn, mdev, guestOf),
        mdev: mdev?.uuid ?? null,
        guest: mdev ? (guestOf.get(mdev) ?? null) : null,
        inGuestMatrix: vm !== null && maskTest(vm.apm, apid) && maskTest(vm.aqm, apqi),
        control: q !== undefined && q.adapter.controlDomains.includes(apqi),
        irq: q ? { enabled: q.irq.enabled, isc: q.irq.gisc, nib: `0x${q.irq.nibGpa.toString(16)}` } : null,
      }
    })
  return {
    kernel: host.kernel.id,
    dynamicMatrix: host.kernel.vfioAp.dynamicMatrix,
    apxa: host.apxa,
    maxApid: host.na,
    maxDomain: host.nd,
    adapters: [...host.adapters.values()].map((a) => ({
      id: a.id,
      type: a.type,
      mode: a.mode,
      state: a.state,
      domains: a.domains,
      controlDomains: a.controlDomains,
    })),
    cells,
    mdevs: [...host.mdevs.values()].map((m) => {
      const vm = m.vm
      return {
        uuid: m.uuid,
        adapters: maskIds(m.apm),
        domains: maskIds(m.aqm),
        controlDomains: maskIds(m.adm),
        guest: guestOf.get(m) ?? null,
        matrix: matrixText(maskIds(m.apm), maskIds(m.aqm)),
        guestMatrix: host.kernel.vfioAp.dynamicMatrix && vm ? matrixText(maskIds(vm.apm), maskIds(vm.aqm)) : null,
      }
    }),
    guests: lab.guests.map((g, i) => ({
      name: g.name,
      started: g.started,
      startError: g.startError,
      mdev: session.guests[i]!.mdev,
    })),
  }
}

export interface AssignmentRequest {
  mdev: string
  kind: AssignKind
  id: number
  action: 'assign' | 'unassign'
  /** Whether the mdev's guest is running while the change is made (static era: EBUSY). */
  running: boolean
}

export interface AssignmentAnswer extends MatrixChange {
  session: SessionInput
}

/** Applies one sysfs assignment write to a session's mdev as the host kernel would; the document changes only if it succeeds. */
export function changeAssignment(doc: SessionInput | Session, req: AssignmentRequest): AssignmentAnswer {
  const session = parseSession(doc)
  const stopped: Session = { ...session, guests: req.running ? session.guests : [] }
  const lab = labFromSession(stopped)
  const mdev = lab.host.mdevs.get(req.mdev)
  if (!mdev) return { ok: false, errno: 'ENOENT', reason: `no mdev ${req.mdev}`, session }
  const result =
    req.action === 'assign'
      ? assign(lab.host, mdev, req.kind, req.id)
      : unassign(null, lab.host, mdev, req.kind, req.id)
  if (!result.ok) return { ...result, session }
  const key = req.kind === 'adapter' ? 'adapters' : req.kind === 'domain' ? 'domains' : 'controlDomains'
  const mdevs = session.mdevs.map((m) =>
    m.uuid === req.mdev
      ? { ...m, [key]: maskIds(req.kind === 'adapter' ? mdev.apm : req.kind === 'domain' ? mdev.aqm : mdev.adm) }
      : m,
  )
  return { ...result, session: { ...session, mdevs } }
}
