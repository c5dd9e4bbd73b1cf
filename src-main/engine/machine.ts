// Builds a host, its AP bus and the guests' VMs from plain specs, and runs one instruction
// through firmware → KVM → vfio_ap → QEMU. `labMachine()` is the one-call entry for tests.
import { ECA_AIV, ECA_APIE, type CardMode, type CardType } from './arch'
import { newQueue, refreshHwinfo } from './apbus'
import { sieExecute, insnIpa } from './firmware'
import { crycbFormatFor, kvmHandleInstruction } from './kvm'
import {
  NO_FAULTS,
  maskSet,
  newMask,
  type Adapter,
  type AdapterState,
  type ApMask,
  type EmulatorMode,
  type ExecContext,
  type Faults,
  type Host,
  type HostFacilities,
  type Mdev,
  type Vm,
} from './model'
import { EOPNOTSUPP, type Insn, type Outcome } from './outcome'
import { kernelProfile, qemuProfile, type KernelProfile, type QemuProfile } from './profiles'
import { qemuHandleSieic, resolveCpuModel, vfioApDeviceError, type CpuModelSpec } from './qemu'
import { newVcpu } from './regs'
import { makeRecord, note, type PendingTrace, type TraceRecord } from './trace'
import { applyAssignments, guestMatrix, setCrycbMasks } from './mdev-matrix'

export interface AdapterSpec {
  id: number
  type?: CardType
  mode?: CardMode
  domains: number[]
  controlDomains?: number[]
  state?: AdapterState
  ml?: number
  depth?: number
  latencyUs?: number
}

export interface HostSpec {
  kernel: KernelProfile | string
  mode?: EmulatorMode
  apInstructions?: boolean
  facilities?: Partial<HostFacilities>
  aiv?: boolean
  apxa?: boolean
  vfioAp?: boolean
  apmask?: ApMask
  aqmask?: ApMask
  adapters?: AdapterSpec[]
  faults?: Partial<Faults>
  resetWindowUs?: number
}

export interface MdevSpec {
  uuid: string
  adapters: number[]
  domains: number[]
  controlDomains?: number[]
}

export interface GuestSpec {
  name: string
  qemu: QemuProfile | string
  cpu?: CpuModelSpec
  mdev?: string | null
  gisa?: boolean
  memoryMiB?: number
  nested?: boolean
  vcpus?: number
}

export interface GuestInstance {
  name: string
  qemu: QemuProfile
  vm: Vm | null
  started: boolean
  startError: string | null
  warnings: string[]
  startTrace: TraceRecord[]
}

export interface LabMachine {
  host: Host
  guests: GuestInstance[]
}

export const DEFAULT_RESET_WINDOW_US = 20_000
const MIB = 1024 * 1024
const HOST_BASE_STRIDE = 0x1_0000_0000

function requireKernel(k: KernelProfile | string): KernelProfile {
  if (typeof k !== 'string') return k
  const p = kernelProfile(k)
  if (!p) throw new Error(`unknown kernel profile '${k}'`)
  return p
}

function requireQemu(q: QemuProfile | string): QemuProfile {
  if (typeof q !== 'string') return q
  const p = qemuProfile(q)
  if (!p) throw new Error(`unknown QEMU profile '${q}'`)
  return p
}

export function makeAdapter(spec: AdapterSpec): Adapter {
  const adapter: Adapter = {
    id: spec.id,
    type: spec.type ?? 'CEX8',
    mode: spec.mode ?? 'CCA',
    domains: [...spec.domains],
    controlDomains: [...(spec.controlDomains ?? spec.domains)],
    state: spec.state ?? 'online',
    ml: spec.ml ?? 0,
    depth: spec.depth ?? 8,
    latencyUs: spec.latencyUs ?? 50,
    busyUntilUs: 0,
    hwinfoHi: 0,
    hwinfoLo: 0,
  }
  refreshHwinfo(adapter)
  return adapter
}

/** Default host masks: every adapter of an mdev goes to vfio_ap (its apmask bit cleared), all else to the host drivers. */
export function defaultMasks(mdevs: readonly MdevSpec[]): { apmask: ApMask; aqmask: ApMask } {
  const apmask = newMask().fill(0xff)
  for (const m of mdevs) for (const a of m.adapters) maskSet(apmask, a, false)
  return { apmask, aqmask: newMask().fill(0xff) }
}

export function buildHost(spec: HostSpec, mdevs: readonly MdevSpec[] = []): Host {
  const kernel = requireKernel(spec.kernel)
  const apxa = spec.apxa ?? true
  const masks = defaultMasks(mdevs)
  const host: Host = {
    kernel,
    mode: spec.mode ?? 'kernel-faithful',
    apInstructions: spec.apInstructions ?? true,
    facilities: { 12: true, 15: true, 65: true, 76: true, ...spec.facilities },
    aiv: spec.aiv ?? true,
    apxa,
    vfioAp: spec.vfioAp ?? true,
    na: apxa ? 255 : 63,
    nd: apxa ? 255 : 15,
    apmask: spec.apmask ?? masks.apmask,
    aqmask: spec.aqmask ?? masks.aqmask,
    adapters: new Map(),
    queues: new Map(),
    mdevs: new Map(),
    nowUs: 0,
    resetWindowUs: spec.resetWindowUs ?? DEFAULT_RESET_WINDOW_US,
    log: [],
    warnedOnce: new Set(),
    pinnedPages: 0,
    faults: { ...NO_FAULTS, ...spec.faults },
  }
  for (const a of spec.adapters ?? []) {
    const adapter = makeAdapter(a)
    host.adapters.set(adapter.id, adapter)
    for (const d of adapter.domains) host.queues.set((adapter.id << 8) | d, newQueue(adapter, d))
  }
  mdevs.forEach((m, i) => {
    const mdev: Mdev = { uuid: m.uuid, apm: newMask(), aqm: newMask(), adm: newMask(), vm: null }
    host.mdevs.set(m.uuid, mdev)
    applyAssignments(host, mdev, m, `mdevs[${i}]`)
  })
  return host
}

export function startGuest(host: Host, spec: GuestSpec, index: number): GuestInstance {
  const qemu = requireQemu(spec.qemu)
  const scope = { trace: [] as TraceRecord[], kernel: host.kernel, qemu }
  const base: GuestInstance = {
    name: spec.name,
    qemu,
    vm: null,
    started: false,
    startError: null,
    warnings: [],
    startTrace: scope.trace,
  }
  const cpu = resolveCpuModel(qemu, host, spec.cpu ?? { model: 'host', features: {} })
  for (const r of cpu.rules) scope.trace.push(makeRecord(scope, r.rule, r.args))
  base.warnings = cpu.warnings
  if (!cpu.ok) return { ...base, startError: cpu.error }
  const mdevId = spec.mdev ?? null
  let mdev: Mdev | null = null
  if (mdevId !== null) {
    const devErr = vfioApDeviceError(qemu, cpu.features)
    if (devErr) {
      note(scope, devErr.rule)
      return { ...base, startError: devErr.error }
    }
    mdev = host.mdevs.get(mdevId) ?? null
    if (!mdev)
      return {
        ...base,
        startError: `qemu-system-s390x: -device vfio-ap,sysfsdev=/sys/devices/vfio_ap/matrix/${mdevId}: no such mediated device`,
      }
    if (!host.vfioAp)
      return {
        ...base,
        startError: `qemu-system-s390x: -device vfio-ap,sysfsdev=/sys/devices/vfio_ap/matrix/${mdevId}: vfio_ap is not loaded`,
      }
  }
  const facilities = { 12: cpu.features.apqci, 15: cpu.features.apft, 65: cpu.features.apqi, 76: host.facilities[76] }
  const gisa =
    host.aiv && (spec.gisa ?? true)
      ? { origin: 0x10000 * (index + 1), iamRefs: [0, 0, 0, 0, 0, 0, 0, 0], ipm: 0 }
      : null
  const vm: Vm = {
    name: spec.name,
    host,
    qemu,
    eca: (cpu.features.ap ? ECA_APIE : 0) | (gisa ? ECA_AIV : 0),
    facilities,
    crycbFormat: crycbFormatFor(facilities[76], host.apxa),
    apm: newMask(),
    aqm: newMask(),
    adm: newMask(),
    gisa,
    hook: null,
    nested: spec.nested ?? false,
    memorySize: (spec.memoryMiB ?? 64) * MIB,
    memory: new Map(),
    hostBase: HOST_BASE_STRIDE * (index + 1),
    vcpus: Array.from({ length: spec.vcpus ?? 1 }, (_, i) => newVcpu(i)),
  }
  if (mdev) {
    mdev.vm = vm
    setCrycbMasks(vm, guestMatrix(host, mdev))
  }
  if (host.vfioAp && (mdev || host.kernel.vfioAp.hookRegistration === 'module-load')) vm.hook = { mdev }
  return { ...base, vm, started: true }
}

export function buildLab(host: HostSpec, mdevs: readonly MdevSpec[], guests: readonly GuestSpec[]): LabMachine {
  const h = buildHost(host, mdevs)
  return { host: h, guests: guests.map((g, i) => startGuest(h, g, i)) }
}

/** One-call machine for tests and probes: a host with adapter 05 (domains 4, 5) and one guest. */
export function labMachine(opts: {
  kernel: string
  qemu: string
  host?: Omit<HostSpec, 'kernel'>
  mdev?: MdevSpec | null
  guest?: Omit<GuestSpec, 'name' | 'qemu'>
}): LabMachine {
  const mdevs = opts.mdev ? [opts.mdev] : []
  const host: HostSpec = { adapters: [{ id: 5, domains: [4, 5] }], ...opts.host, kernel: opts.kernel }
  return buildLab(host, mdevs, [{ name: 'g1', qemu: opts.qemu, mdev: opts.mdev?.uuid ?? null, ...opts.guest }])
}

export function contextFor(
  host: Host,
  vm: Vm,
  vcpuIndex: number,
  trace: TraceRecord[] | null,
  pending: PendingTrace | null = null,
): ExecContext {
  return { host, vm, vcpu: vm.vcpus[vcpuIndex]!, trace, pending, kernel: host.kernel, qemu: vm.qemu }
}

/** One AP instruction through the whole stack. Never throws for any register or memory content. */
export function execute(ctx: ExecContext, insn: Insn): Outcome {
  const fw = sieExecute(ctx, insn)
  if (fw) return fw
  const k = kvmHandleInstruction(ctx, insn)
  if (k !== EOPNOTSUPP) return k
  if (ctx.trace)
    note(ctx, 'kvm.exit.sieic', {
      ipa: insnIpa(insn),
      ipb: ((insn.r1 << 20) | (insn.r2 << 16)).toString(16).padStart(8, '0'),
    })
  return qemuHandleSieic(ctx, insn)
}
