// Probe: one instruction, one configuration → what the guest sees and the path through the stack.
import { formatApqn } from './arch'
import { parseInsnText, type ParsedInsn, type RegLoad } from './insn-text'
import { buildLab, contextFor, execute, type AdapterSpec, type MdevSpec } from './machine'
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
  return runProbeProgram(spec, [parsed]).result
}

function unique(xs: readonly number[]): number[] {
  return [...new Set(xs)]
}

/**
 * Runs instructions in order on one vCPU of the probe's machine: adapter 05 (domains 4, 5) plus
 * every queue the instructions name, all reserved for vfio_ap (so only the mdev matrix decides),
 * and one guest. The result describes the last instruction; `earlier` holds the ones before it.
 */
export function runProbeProgram(
  spec: ProbeSpec,
  program: readonly ParsedInsn[],
): { result: ProbeResult; earlier: StepResult[] } {
  const steps = program.map((parsed) => ({ parsed, regs: { ...parsed.regs, ...spec.regs } as Record<number, RegLoad> }))
  const apqns = steps.map((s) => (s.regs[0]?.lo ?? 0) & 0xffff)
  const apids = unique(apqns.map((a) => a >>> 8))
  const apqis = unique(apqns.map((a) => a & 0xff))
  const vfio = spec.vfio ?? 'mdev'
  const adapters: AdapterSpec[] = [{ id: 5, domains: [4, 5] }]
  for (const apqn of apqns) {
    const own = adapters.find((a) => a.id === apqn >>> 8)
    if (!own) adapters.push({ id: apqn >>> 8, domains: [apqn & 0xff] })
    else if (!own.domains.includes(apqn & 0xff)) own.domains.push(apqn & 0xff)
  }
  if (spec.queue?.state) for (const a of adapters) if (apids.includes(a.id)) a.state = spec.queue.state
  const assigned = spec.queue?.assigned ?? true
  const mdev: MdevSpec | null =
    vfio === 'mdev' ? { uuid: PROBE_MDEV, adapters: assigned ? apids : [], domains: assigned ? apqis : [] } : null
  const apmask = new Uint8Array(32).fill(0xff)
  for (const id of apids) apmask[id >>> 3] = apmask[id >>> 3]! & ~(0x80 >>> (id & 7))
  const build = (withMdev: MdevSpec | null) =>
    buildLab(
      {
        kernel: spec.kernel,
        mode: spec.mode ?? 'kernel-faithful',
        vfioAp: vfio !== 'none',
        adapters,
        faults: spec.faults ?? {},
        ...spec.host,
        apmask,
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
    assignWarning = `vfio_ap refused to assign ${unique(apqns).map(formatApqn).join(', ')} to the probe's mdev: ${e.errno} (${e.message})`
    lab = build({ ...mdev, adapters: [], domains: [] })
  }
  const guest = lab.guests[0]!
  const last = steps[steps.length - 1]!.parsed
  const base = {
    kernel: spec.kernel,
    qemu: spec.qemu,
    vfio,
    apqn: last.insn.name === 'PQAP' && last.fcName === 'QCI' ? null : formatApqn(apqns[apqns.length - 1]!),
    started: guest.started,
    startError: guest.startError,
    warnings: assignWarning ? [...guest.warnings, assignWarning] : guest.warnings,
    startTrace: guest.startTrace,
    hostLog: lab.host.log,
  }
  if (!guest.vm) return { result: { ...base, step: null, resources: { pinnedPages: 0, giscRefs: [] } }, earlier: [] }
  const vm = guest.vm
  for (const apqn of unique(apqns)) {
    const q = lab.host.queues.get(apqn)
    if (q && spec.queue?.irqEnabled) {
      q.irq.enabled = true
      q.irq.isc = 6
      q.irq.gisc = 6
      q.irq.nibVm = vm
      q.irq.nibGpa = 0x1000
    }
    if (q && spec.queue?.resetInProgress) q.resetUntilUs = lab.host.resetWindowUs
  }
  const vcpu = vm.vcpus[0]!
  vcpu.psw.cc = spec.ccBefore ?? 0
  const results = steps.map((s, index) => {
    const trace: TraceRecord[] | null = spec.trace === false ? null : []
    const ctx = contextFor(lab.host, vm, 0, trace)
    for (const [r, v] of Object.entries(s.regs)) setGpr(vcpu, Number(r), v.hi >>> 0, v.lo >>> 0)
    vcpu.psw.problem = spec.psw === 'problem'
    const regsIn = snapshotRegs(vcpu, operandRegisters(s.parsed.insn))
    const r0loIn = lo(vcpu, 0)
    const outcome = execute(ctx, s.parsed.insn)
    return buildStepResult({ index, insn: s.parsed.insn, r0loIn, regsIn, outcome, vcpu, atUs: lab.host.nowUs, trace })
  })
  return {
    result: {
      ...base,
      step: results[results.length - 1]!,
      resources: { pinnedPages: lab.host.pinnedPages, giscRefs: vm.gisa ? [...vm.gisa.iamRefs] : [] },
    },
    earlier: results.slice(0, -1),
  }
}
