// Probe: the form of one configuration + one instruction, the request it becomes, the answer
// and where a refused request went wrong. Any change to the form re-runs the probe (debounced),
// so people can flip switches and watch the answer change.
import { defineStore } from 'pinia'
import { computed, reactive, ref, shallowRef, watch } from 'vue'
import type { ApFeature, ProbeRequest, ProbeResult, StepResult } from '../../../src-preload/contract'
// Pure engine helpers (no state, no I/O): the instruction-text parser the service itself uses, so
// a syntax error is shown at once and no request doomed to be refused is sent.
import { rcName } from '../../../src-main/engine/arch'
import { INSN_TEXT_HELP, InsnSyntaxError, parseInsnText } from '../../../src-main/engine/insn-text'
import { parse64 } from '../../../src-main/engine/regs'
import { lab } from '../bridge'
import { failureText, type LabFailure } from '../failure'
import { useActivityStore } from './activity'

export type Tri = 'default' | 'on' | 'off'
export type VfioState = NonNullable<ProbeRequest['vfio']>
export type CardState = 'online' | 'checkstopped' | 'deconfigured'
export type PinErrno = '' | 'EINVAL' | 'E2BIG' | 'EFAULT' | 'ENOMEM' | 'EPERM'

export const AP_FEATURES: readonly ApFeature[] = ['ap', 'apqci', 'apft', 'apqi', 'appv', 'appvi']
export const PIN_ERRNOS: readonly Exclude<PinErrno, ''>[] = ['EINVAL', 'E2BIG', 'EFAULT', 'ENOMEM', 'EPERM']
export const HOST_FACILITIES = ['12', '15', '65', '76'] as const
export type HostFacility = (typeof HOST_FACILITIES)[number]
export const OVERRIDE_REGS = ['r0', 'r1', 'r2'] as const
export type OverrideReg = (typeof OVERRIDE_REGS)[number]

export const DEFAULT_INSN = 'pqap aqic 05.0004 ir=1 isc=6 nib=0x2000'

export const INSN_HELP = INSN_TEXT_HELP

export const QUICK_PICKS: readonly { label: string; insn: string; title: string }[] = [
  { label: 'TAPQ', insn: 'pqap tapq 05.0004', title: 'test AP queue 05.0004' },
  { label: 'AQIC enable', insn: DEFAULT_INSN, title: 'enable interruptions for 05.0004 (ISC 6, NIB 0x2000)' },
  { label: 'AQIC disable', insn: 'pqap aqic 05.0004 ir=0', title: 'disable interruptions for 05.0004' },
  { label: 'QCI', insn: 'pqap qci', title: 'query configuration information (block at 0x3000)' },
  { label: 'NQAP', insn: 'nqap 05.0004', title: 'enqueue a 256-byte request on 05.0004' },
  { label: 'DQAP', insn: 'dqap 05.0004', title: 'dequeue a reply from 05.0004' },
  { label: 'FC 0x2a', insn: 'pqap fc=0x2a 05.0004', title: 'a PQAP function code that is not installed' },
]

export interface ProbeForm {
  kernel: string
  qemu: string
  /** `host`, or a named model (its AP features default to off). */
  cpuModel: string
  features: Record<ApFeature, Tri>
  vfio: VfioState
  psw: 'supervisor' | 'problem'
  ccBefore: 0 | 1 | 2 | 3
  gisa: boolean
  nested: boolean
  mode: 'kernel-faithful' | 'architecture-faithful'
  host: { apInstructions: boolean; aiv: boolean; apxa: boolean; facilities: Record<HostFacility, boolean> }
  queue: { irqEnabled: boolean; state: CardState; resetInProgress: boolean; assigned: boolean }
  faults: { moduleGetFails: boolean; pinErrno: PinErrno; giscRegisterFails: boolean }
  insn: string
  /** Raw overrides applied after the instruction text; '' = none. */
  regs: Record<OverrideReg, string>
}

export function defaultForm(): ProbeForm {
  return {
    kernel: 'linux-6.8',
    qemu: 'qemu-4.1',
    cpuModel: 'host',
    features: { ap: 'default', apqci: 'default', apft: 'default', apqi: 'default', appv: 'default', appvi: 'default' },
    vfio: 'mdev',
    psw: 'supervisor',
    ccBefore: 0,
    gisa: true,
    nested: false,
    mode: 'kernel-faithful',
    host: {
      apInstructions: true,
      aiv: true,
      apxa: true,
      facilities: { '12': true, '15': true, '65': true, '76': true },
    },
    queue: { irqEnabled: false, state: 'online', resetInProgress: false, assigned: true },
    faults: { moduleGetFails: false, pinErrno: '', giscRegisterFails: false },
    insn: DEFAULT_INSN,
    regs: { r0: '', r1: '', r2: '' },
  }
}

/** The request for a form: only what differs from the service's defaults, so it reads like the CLI line. */
export function buildRequest(f: ProbeForm): ProbeRequest {
  const req: ProbeRequest = { kernel: f.kernel, qemu: f.qemu, insn: f.insn, trace: true }
  const features: Partial<Record<ApFeature, boolean>> = {}
  for (const name of AP_FEATURES) if (f.features[name] !== 'default') features[name] = f.features[name] === 'on'
  const model = f.cpuModel.trim()
  if ((model !== '' && model !== 'host') || Object.keys(features).length > 0)
    req.cpu = { model: model === '' ? 'host' : model, features }
  if (f.vfio !== 'mdev') req.vfio = f.vfio
  if (f.psw !== 'supervisor') req.psw = f.psw
  if (f.ccBefore !== 0) req.ccBefore = f.ccBefore
  if (!f.gisa) req.gisa = false
  if (f.nested) req.nested = true
  if (f.mode !== 'kernel-faithful') req.mode = f.mode
  const host: NonNullable<ProbeRequest['host']> = {}
  if (!f.host.apInstructions) host.apInstructions = false
  if (!f.host.aiv) host.aiv = false
  if (!f.host.apxa) host.apxa = false
  const facilities: NonNullable<NonNullable<ProbeRequest['host']>['facilities']> = {}
  for (const bit of HOST_FACILITIES) if (!f.host.facilities[bit]) facilities[bit] = false
  if (Object.keys(facilities).length > 0) host.facilities = facilities
  if (Object.keys(host).length > 0) req.host = host
  const queue: NonNullable<ProbeRequest['queue']> = {}
  if (f.queue.irqEnabled) queue.irqEnabled = true
  if (f.queue.state !== 'online') queue.state = f.queue.state
  if (f.queue.resetInProgress) queue.resetInProgress = true
  if (!f.queue.assigned) queue.assigned = false
  if (Object.keys(queue).length > 0) req.queue = queue
  const faults: NonNullable<ProbeRequest['faults']> = {}
  if (f.faults.moduleGetFails) faults.moduleGetFails = true
  if (f.faults.pinErrno !== '') faults.pinErrno = f.faults.pinErrno
  if (f.faults.giscRegisterFails) faults.giscRegisterFails = true
  if (Object.keys(faults).length > 0) req.faults = faults
  const regs: Record<string, string> = {}
  for (const r of OVERRIDE_REGS) {
    const v = hexOverride(f.regs[r])
    if (v !== null) regs[r] = v
  }
  if (Object.keys(regs).length > 0) req.regs = regs
  return req
}

/** A register override typed in hex, with or without `0x`; null when empty. */
export function hexOverride(text: string): string | null {
  const t = text.trim()
  if (t === '') return null
  return /^0x/i.test(t) ? t : `0x${t}`
}

/**
 * The checks the service would refuse the request for that can be made here, with the same
 * field names and messages: the instruction text and the register overrides.
 */
export function precheck(req: ProbeRequest): LabFailure | null {
  try {
    parseInsnText(req.insn)
  } catch (e) {
    if (!(e instanceof InsnSyntaxError)) throw e
    // The service names it `insn.<operand>` (`insn.insn` for the text as a whole).
    const field = e.field === 'insn' ? 'insn' : `insn.${e.field}`
    return { code: 'invalid-input', field, message: `${field}: ${e.message.slice(e.field.length + 2)}` }
  }
  for (const [r, v] of Object.entries(req.regs ?? {})) {
    if (v === undefined) continue
    const parsed = parse64(v)
    if ('error' in parsed) {
      const field = `regs.${r}`
      return {
        code: 'invalid-input',
        field,
        message: `${field}: ${parsed.error.replace('hex (0x…) or decimal', 'hex')}`,
      }
    }
  }
  return null
}

function shellWord(s: string): string {
  return /^[\w.,=:/+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`
}

/** The equivalent `aplab probe` command, and the settings the CLI has no option for. */
export function cliLine(req: ProbeRequest): { line: string; missing: string[] } {
  const args = ['aplab', 'probe', '--kernel', req.kernel, '--qemu', req.qemu]
  const missing: string[] = []
  if (req.cpu) {
    const parts = [req.cpu.model ?? 'host']
    for (const [k, v] of Object.entries(req.cpu.features ?? {})) parts.push(`${k}=${v ? 'on' : 'off'}`)
    args.push('--cpu', parts.join(','))
  }
  if (req.vfio) args.push('--vfio', req.vfio)
  if (req.psw) args.push('--psw', req.psw)
  if (req.ccBefore !== undefined) args.push('--cc', String(req.ccBefore))
  if (req.gisa === false) args.push('--no-gisa')
  if (req.nested) args.push('--nested')
  if (req.mode === 'architecture-faithful') args.push('--arch')
  if (req.host?.aiv === false) args.push('--no-aiv')
  if (req.host?.apxa === false) args.push('--no-apxa')
  if (req.host?.apInstructions === false) missing.push('host without AP instructions')
  for (const [bit, on] of Object.entries(req.host?.facilities ?? {}))
    if (on === false) missing.push(`host facility ${bit} off`)
  if (req.queue?.irqEnabled) args.push('--irq-enabled')
  if (req.queue?.assigned === false) args.push('--unassigned')
  if (req.queue?.state) args.push('--card', req.queue.state)
  if (req.queue?.resetInProgress) missing.push('reset in progress')
  if (req.faults?.moduleGetFails) args.push('--fault', 'module-get')
  if (req.faults?.giscRegisterFails) args.push('--fault', 'gisc')
  if (req.faults?.pinErrno) args.push('--fault', `pin=${req.faults.pinErrno}`)
  for (const [r, v] of Object.entries(req.regs ?? {})) args.push(`--${r}`, String(v))
  const insn = req.insn.trim().split(/\s+/).filter(Boolean)
  return { line: [...args.map(shellWord), ...insn.map(shellWord)].join(' '), missing }
}

/** Where a field named by the service lives in the form (`insn.fc` → `insn`, `payload.regs.r1` → `regs.r1`). */
export function formFieldOf(field: string | undefined): string | null {
  if (!field) return null
  const f = field.replace(/^payload\.?/, '')
  if (f === '') return null
  if (f === 'insn' || f.startsWith('insn.')) return 'insn'
  const reg = /^regs\.(r\d+)/.exec(f)
  if (reg) return `regs.${reg[1]}`
  if (f.startsWith('cpu')) return 'cpu'
  const head = f.split('.')[0]!
  return ['kernel', 'qemu', 'vfio', 'psw', 'ccBefore', 'gisa', 'nested', 'mode', 'host', 'faults', 'queue'].includes(
    head,
  )
    ? head
    : null
}

export interface StatusView {
  /** The 32-bit status word as stored. */
  word: number
  rc: number
  rcName: string
  E: 0 | 1
  R: 0 | 1
  F: 0 | 1
  I: 0 | 1
  placement: 'lo' | 'hi'
}

function bit(word: number, mask: number): 0 | 1 {
  return (word & mask) !== 0 ? 1 : 0
}

/**
 * The status word the guest got, read from where it was stored: GR1 bits 32–63 normally, bits
 * 0–31 under quirks Q1/Q4 (the service's `status` always decodes bits 32–63).
 */
export function statusOf(step: StepResult): StatusView | null {
  if (!step.status || !step.statusPlacement) return null
  const r1 = step.regsOut.r1 ?? ''
  const half = step.statusPlacement === 'hi' ? r1.slice(2, 10) : r1.slice(10, 18)
  const word = /^[0-9a-f]{8}$/i.test(half) ? parseInt(half, 16) >>> 0 : 0
  if (step.statusPlacement === 'lo') return { word, ...step.status, placement: 'lo' }
  const rc = (word >>> 16) & 0xff
  return {
    word,
    rc,
    rcName: rcName(rc),
    E: bit(word, 0x80000000),
    R: bit(word, 0x40000000),
    F: bit(word, 0x20000000),
    I: bit(word, 0x01000000),
    placement: 'hi',
  }
}

export interface FieldError {
  field: string
  message: string
}

export const useProbeStore = defineStore('probe', () => {
  const activity = useActivityStore()

  const form = reactive<ProbeForm>(defaultForm())
  const result = shallowRef<ProbeResult | null>(null)
  /** The request that produced `result`. */
  const resultRequest = shallowRef<ProbeRequest | null>(null)
  const failure = shallowRef<LabFailure | null>(null)
  const fieldError = shallowRef<FieldError | null>(null)
  const running = ref(false)

  const request = computed(() => buildRequest(form))
  const cli = computed(() => cliLine(request.value))
  /** The answer on screen no longer matches the form (a run is pending or the last one failed). */
  const stale = computed(
    () => result.value !== null && JSON.stringify(resultRequest.value) !== JSON.stringify(request.value),
  )

  let seq = 0
  let timer: ReturnType<typeof setTimeout> | null = null

  async function run(): Promise<void> {
    if (timer !== null) {
      clearTimeout(timer)
      timer = null
    }
    const req = buildRequest(form)
    const mine = ++seq
    const refused = precheck(req)
    if (refused) {
      running.value = false
      failure.value = refused
      fieldError.value = { field: formFieldOf(refused.field) ?? 'insn', message: refused.message }
      return
    }
    running.value = true
    const r = await activity.track('probe.run', 'Probe', () => lab.probe(req), {
      done: (res) => (res.step ? `probe: ${res.step.rule}` : 'probe: the guest did not start'),
    })
    if (mine !== seq) return
    running.value = false
    if (r.ok) {
      result.value = r.value
      resultRequest.value = req
      failure.value = null
      fieldError.value = null
      return
    }
    failure.value = r.error
    const field = formFieldOf(r.error.field)
    fieldError.value = field === null ? null : { field, message: `${r.error.field}: ${failureText(r.error)}` }
    // Bad input is shown next to the field it names; in the banner too it would flash on every keystroke.
    if (field !== null && r.error.code === 'invalid-input') activity.clear('probe.run')
  }

  function schedule(delayMs = 150): void {
    if (timer !== null) clearTimeout(timer)
    timer = setTimeout(() => {
      timer = null
      void run()
    }, delayMs)
  }

  function setInsn(text: string): void {
    form.insn = text
  }

  function reset(): void {
    Object.assign(form, defaultForm())
  }

  watch(form, () => schedule(), { deep: true })

  /** The error for a form field, if the last run was refused because of it. */
  function errorFor(field: string): string | null {
    return fieldError.value?.field === field ? fieldError.value.message : null
  }

  return {
    form,
    result,
    resultRequest,
    failure,
    fieldError,
    running,
    request,
    cli,
    stale,
    run,
    schedule,
    setInsn,
    reset,
    errorFor,
  }
})
