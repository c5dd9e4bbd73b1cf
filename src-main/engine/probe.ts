// Probe: one instruction, one configuration → what the guest sees and the path through the stack.
import { formatApqn } from './arch'
import { parseInsnText, type ParsedInsn, type RegLoad } from './insn-text'
import { buildLab, contextFor, execute, type AdapterSpec, type GuestInstance, type MdevSpec } from './machine'
import type { AdapterState, EmulatorMode, Faults, HostFacilities, HostLogEntry } from './model'
import type { ApFeature } from './profiles/types'
import { AssignmentError } from './mdev-matrix'
import { lo, setGpr } from './regs'
import { buildStepResult, snapshotRegs, operandRegisters, type StepResult } from './results'
import type { TraceRecord } from './trace'

export type VfioState = 'none' | 'loaded' | 'mdev'

export interface ProbeSpec {
  kernel: string
  qemu: string
  cpu?: { model?: string; features?: Partial<Record<ApFeature, boolean>> }
  vfio?: VfioState
  psw?: 'problem' | 'supervisor'
  ccBefore?: 0 | 1 | 2 | 3
  gisa?: boolean
  nested?: boolean
  mode?: EmulatorMode
  host?: { apInstructions?: boolean; facilities?: Partial<HostFacilities>; aiv?: boolean; apxa?: boolean }
  faults?: Partial<Faults>
  /** The queue before the instruction. */
  queue?: { irqEnabled?: boolean; state?: AdapterState; resetInProgress?: boolean; assigned?: boolean }
  insn: string | ParsedInsn
  regs?: Record<number, RegLoad>
  trace?: boolean
}

export interface ProbeResult {
  kernel: string
  qemu: string
  vfio: VfioState
  apqn: string | null
  started: boolean
  startError: string | null
  warnings: string[]
  startTrace: TraceRecord[]
  step: StepResult | null
  hostLog: HostLogEntry[]
  resources: { pinnedPages: number; giscRefs: number[] }
}

const PROBE_MDEV = 'aplab-probe-mdev'

export function runProbe(spec: ProbeSpec): ProbeResult {
  const parsed = typeof spec.insn === 'string' ? parseInsnText(spec.insn) : spec.insn
  const regs = { ...parsed.regs, ...spec.regs }
  const r0 = regs[0] ?? { hi: 0, lo: 0 }
  const apqn = r0.lo & 0xffff
  const apid = apqn >>> 8
  const apqi = apqn & 0xff
  const vfio = spec.vfio ?? 'mdev'
  const adapters: AdapterSpec[] = [{ id: 5, domains: [4, 5] }]
  const own = adapters.find((a) => a.id === apid)
  if (own) {
    if (!own.domains.includes(apqi)) own.domains.push(apqi)
  } else adapters.push({ id: apid, domains: [apqi] })
  for (const a of adapters) if (a.id === apid && spec.queue?.state) a.state = spec.queue.state
  const assigned = spec.queue?.assigned ?? true
  const mdev: MdevSpec | null =
    vfio === 'mdev' ? { uuid: PROBE_MDEV, adapters: assigned ? [apid] : [], domains: assigned ? [apqi] : [] } : null
  const build = (withMdev: MdevSpec | null) =>
    buildLab(
      {
        kernel: spec.kernel,
        mode: spec.mode ?? 'kernel-faithful',
        vfioAp: vfio !== 'none',
        adapters,
        faults: spec.faults ?? {},
        ...spec.host,
        // Assigned or not, the probed queue is reserved for vfio_ap so only the matrix decides.
        apmask: new Uint8Array(32).fill(0xff).map((b, i) => (i === apid >>> 3 ? b & ~(0x80 >>> (apid & 7)) : b)),
      },
      withMdev ? [withMdev] : [],
      [
        {
          name: 'probe',
          qemu: spec.qemu,
          cpu: { model: spec.cpu?.model ?? 'host', features: spec.cpu?.features ?? {} },
          mdev: withMdev?.uuid ?? null,
          gisa: spec.gisa ?? true,
          nested: spec.nested ?? false,
        },
      ],
    )
  let lab: ReturnType<typeof buildLab>
  let assignWarning: string | null = null
  try {
    lab = build(mdev)
  } catch (e) {
    // An APQN the mdev cannot take (e.g. APID > 63 without APXA → ENODEV) stays unassigned.
    if (!(e instanceof AssignmentError) || !mdev) throw e
    assignWarning = `vfio_ap refused to assign ${formatApqn(apqn)} to the probe's mdev: ${e.errno} (${e.message})`
    lab = build({ ...mdev, adapters: [], domains: [] })
  }
  const guest = lab.guests[0]!
  const base = {
    kernel: spec.kernel,
    qemu: spec.qemu,
    vfio,
    apqn: parsed.insn.name === 'PQAP' && parsed.fcName === 'QCI' ? null : formatApqn(apqn),
    started: guest.started,
    startError: guest.startError,
    warnings: assignWarning ? [...guest.warnings, assignWarning] : guest.warnings,
    startTrace: guest.startTrace,
    hostLog: lab.host.log,
  }
  if (!guest.vm) return { ...base, step: null, resources: { pinnedPages: 0, giscRefs: [] } }
  const vm = guest.vm
  const q = lab.host.queues.get(apqn)
  if (q && spec.queue?.irqEnabled) {
    q.irq.enabled = true
    q.irq.isc = 6
    q.irq.gisc = 6
    q.irq.nibVm = vm
    q.irq.nibGpa = 0x1000
  }
  if (q && spec.queue?.resetInProgress) q.resetUntilUs = lab.host.resetWindowUs
  const result = executeParsed(guest, lab.host, parsed, regs, spec)
  return {
    ...base,
    step: result,
    resources: { pinnedPages: lab.host.pinnedPages, giscRefs: vm.gisa ? [...vm.gisa.iamRefs] : [] },
  }
}

function executeParsed(
  guest: GuestInstance,
  host: Parameters<typeof contextFor>[0],
  parsed: ParsedInsn,
  regs: Record<number, RegLoad>,
  spec: ProbeSpec,
): StepResult {
  const vm = guest.vm!
  const trace: TraceRecord[] | null = spec.trace === false ? null : []
  const ctx = contextFor(host, vm, 0, trace)
  for (const [r, v] of Object.entries(regs)) setGpr(ctx.vcpu, Number(r), v.hi >>> 0, v.lo >>> 0)
  ctx.vcpu.psw.problem = spec.psw === 'problem'
  ctx.vcpu.psw.cc = spec.ccBefore ?? 0
  const regsIn = snapshotRegs(ctx.vcpu, operandRegisters(parsed.insn))
  const r0loIn = lo(ctx.vcpu, 0)
  const outcome = execute(ctx, parsed.insn)
  return buildStepResult({
    index: 0,
    insn: parsed.insn,
    r0loIn,
    regsIn,
    outcome,
    vcpu: ctx.vcpu,
    atUs: host.nowUs,
    trace,
  })
}
