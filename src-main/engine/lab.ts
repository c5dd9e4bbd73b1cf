// Runs a lab session: guests' vCPUs execute their programs on a virtual clock (µs), cards
// reply after their latency, replies raise adapter interruptions, and timed events change the
// host. A seeded scheduler orders vCPUs that are ready at the same time, so a run is a pure
// function of the session.
import { APQN_MASK, formatApqn, parseApqn } from './arch'
import { advanceQueue, resetQueue, writeGuestBytes } from './apbus'
import { parseInsnText } from './insn-text'
import { buildLab, contextFor, execute, type GuestInstance, type LabMachine } from './machine'
import {
  assign,
  attachGuest,
  detachGuest,
  finishRemoval,
  removeMdev,
  unassign,
  type AssignKind,
  type MatrixChange,
} from './mdev-matrix'
import { releaseSaved } from './vfio-ap'
import type { ApQueue, Host, HostLogEntry, Vm } from './model'
import type { Insn } from './outcome'
import { hi, lo, parse64, setGpr, type Vcpu } from './regs'
import { buildStepResult, operandRegisters, PQAP_OUT, snapshotRegs, type StepResult } from './results'
import { ruleKey, type Layer, type RuleId } from './rules'
import { RunQueue, seededRandom } from './scheduler'
import type { Session, SessionEvent, Step } from './session'
import { KEY_ABSENT, KEY_NUMBER, KEY_STRING, KEY_UNDEFINED, MAX_REMEMBERED, OutcomeInterner } from './step-intern'
import { makeRecord, PendingTrace, type TraceArgs, type TraceRecord } from './trace'
import type { Outcome } from './outcome'

export const RESULTS_FORMAT = 'aplab/results@1'
/** Virtual time one executed step costs a vCPU (project default). */
export const STEP_COST_US = 1

export interface VcpuResults {
  steps: StepResult[]
}

export interface GuestResults {
  name: string
  qemu: string
  started: boolean
  startError: string | null
  warnings: string[]
  vcpus: VcpuResults[]
}

export interface EventResult {
  index: number
  atUs: number
  do: string
  applied: boolean
  errno: string | null
  reason: string
}

export interface RunResults {
  format: typeof RESULTS_FORMAT
  session: string
  runId: string
  seed: number
  kernel: string
  guests: GuestResults[]
  events: EventResult[]
  hostLog: HostLogEntry[]
  endUs: number
  counts: { steps: number; instructions: number; interrupts: number }
}

export interface RunOptions {
  runId?: string
  trace?: boolean
  /** Called for every step as it completes, in execution order (for streaming into a store). */
  onStep?: (guest: number, vcpu: number, step: StepResult) => void
  /**
   * Called for every step as it completes, in execution order, with its outcome interned (see
   * step-intern.ts): `outcome` is shared by every step of this run with the same outcome, and
   * `first` is the whole step the first time an outcome is passed, null afterwards. With this
   * callback, trace texts are made once per distinct outcome.
   */
  onRow?: (guest: number, vcpu: number, index: number, atUs: number, outcome: number, first: StepResult | null) => void
  /** Keep steps in the returned document (default true); false for long streamed runs. */
  keepSteps?: boolean
  /** Stop after this many executed steps (a guard for runaway programs). */
  maxSteps?: number
}

interface Runner {
  readyUs: number
  tie: number
  guest: number
  vcpu: number
  vm: Vm
  cpu: Vcpu
  program: Step[]
  pc: number
  /** A `wait` step in progress: for an adapter interruption (`isc`, null for any) or, with `crw`, a channel report word. */
  wait: { isc: number | null; crw: boolean; deadline: number; since: number; index: number } | null
  poll: { count: number } | null
  /** The guest's QEMU profile as a number, for outcome keys (trace references name the profile). */
  qemuKey: number
}

// Every key is decodable from its start: the first word says what follows (an instruction's
// registers, or a wait's rule), and each trace record's tags say which argument words follow.
const INSN_KEY: Record<Insn['name'], number> = { PQAP: 1, NQAP: 2, DQAP: 3 }
const WAIT_KEY = 4
type WaitRule = 'lab.wait.irq' | 'lab.wait.timeout' | 'lab.wait.crw' | 'lab.wait.crw-timeout'
/** Follows an instruction key's fixed words when the trace arguments are hashed into the key (never a record count). */
const ARGS_IN_KEY = -1
const LAYER_KEY: Record<Layer, number> = { firmware: 1, kvm: 2, vfio_ap: 3, qemu: 4, lab: 5 }

export function labFromSession(session: Session): LabMachine {
  const h = session.host
  const lab = buildLab(
    {
      kernel: h.kernel,
      mode: session.mode,
      apInstructions: h.apInstructions,
      facilities: { ...(h.facilities as Record<string, boolean>) },
      aiv: h.aiv,
      apxa: h.apxa,
      vfioAp: h.vfioAp,
      ...(h.apmask !== undefined ? { apmask: parseMask(h.apmask, 'host.apmask') } : {}),
      ...(h.aqmask !== undefined ? { aqmask: parseMask(h.aqmask, 'host.aqmask') } : {}),
      adapters: h.adapters.map((a) => ({ ...a, controlDomains: a.controlDomains ?? a.domains })),
      resetWindowUs: h.resetWindowUs,
    },
    session.mdevs,
    session.guests.map((g) => {
      const { model, ...features } = g.cpu
      return {
        name: g.name,
        qemu: g.qemu,
        cpu: { model, features },
        mdev: g.mdev,
        gisa: g.gisa,
        memoryMiB: g.memoryMiB,
        nested: g.nested,
        vcpus: g.vcpus.length,
      }
    }),
  )
  return lab
}

/** apmask/aqmask in both notations the kernel accepts: an absolute 0x… bitmap (bit 0 leftmost) or a "+5,-0x10" list. */
export function parseMask(text: string, field: string): Uint8Array {
  const m = new Uint8Array(32).fill(0xff)
  const t = text.trim()
  if (/^0x[0-9a-fA-F]+$/.test(t)) {
    const hex = t.slice(2).padEnd(64, '0')
    if (hex.length > 64) throw new Error(`${field}: more than 256 bits`)
    for (let i = 0; i < 32; i++) m[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16)
    return m
  }
  for (const part of t.split(',').filter(Boolean)) {
    const mm = /^([+-])(0x[0-9a-fA-F]+|[0-9]+)$/.exec(part.trim())
    if (!mm) throw new Error(`${field}: cannot read '${part}' (expected 0x… or a list like +5,-0x10)`)
    const id = Number(mm[2])
    if (id > 255) throw new Error(`${field}: ${id} is above 255`)
    if (mm[1] === '+') m[id >>> 3] = m[id >>> 3]! | (0x80 >>> (id & 7))
    else m[id >>> 3] = m[id >>> 3]! & ~(0x80 >>> (id & 7))
  }
  return m
}

/** An instruction step's text parsed once: the instruction and its register loads as (reg, hi, lo) triples. */
interface Compiled {
  insn: Insn
  loads: Uint32Array
}

function compile(text: string, cache: Map<string, Compiled>): Compiled {
  let c = cache.get(text)
  if (!c) {
    const p = parseInsnText(text)
    const regs = Object.entries(p.regs)
    const loads = new Uint32Array(regs.length * 3)
    regs.forEach(([r, v], i) => loads.set([Number(r), v.hi >>> 0, v.lo >>> 0], i * 3))
    c = { insn: p.insn, loads }
    cache.set(text, c)
  }
  return c
}

function stepInsn(step: Step, cpu: Vcpu, cache: Map<string, Compiled>): Insn | null {
  if ('insn' in step) return { name: step.insn, r1: step.r1 ?? 0, r2: step.r2 ?? 0 }
  let text: string
  if ('text' in step) text = step.text
  else if ('aqic' in step) {
    const nib = step.nib === undefined ? '0x2000' : String(step.nib)
    text = `pqap aqic ${step.aqic} ir=${step.ir === false ? 0 : 1} isc=${step.isc ?? 6} nib=${nib}`
  } else return null
  const c = compile(text, cache)
  const l = c.loads
  for (let i = 0; i < l.length; i += 3) setGpr(cpu, l[i]!, l[i + 1]!, l[i + 2]!)
  return c.insn
}

function conditionHolds(cond: string, s: StepResult): boolean {
  const m = /^(I|R|E|F|rc|cc)\s*(==|!=)\s*(0x[0-9a-fA-F]+|[0-9]+)$/.exec(cond)!
  const want = Number(m[3])
  const have =
    m[1] === 'cc'
      ? s.cc
      : m[1] === 'rc'
        ? (s.status?.rc ?? null)
        : s.status
          ? s.status[m[1] as 'I' | 'R' | 'E' | 'F']
          : null
  if (have === null) return false
  return m[2] === '==' ? have === want : have !== want
}

export function runSession(session: Session, opts: RunOptions = {}): RunResults {
  return runOnLab(labFromSession(session), session, opts)
}

/** Runs the session on a lab built from it; the lab is left in its final state for inspection. */
export function runOnLab(lab: LabMachine, session: Session, opts: RunOptions = {}): RunResults {
  const { host } = lab
  const trace = opts.trace ?? true
  const keep = opts.keepSteps ?? true
  const random = seededRandom(session.seed)
  const guests: GuestResults[] = lab.guests.map((g, gi) => ({
    name: g.name,
    qemu: g.qemu.id,
    started: g.started,
    startError: g.startError,
    warnings: g.warnings,
    vcpus: session.guests[gi]!.vcpus.map(() => ({ steps: [] })),
  }))
  const runners: Runner[] = []
  const qemuKeys = new Map<string, number>()
  lab.guests.forEach((g, gi) => {
    if (!g.vm) return
    const qemuId = g.vm.qemu.id
    if (!qemuKeys.has(qemuId)) qemuKeys.set(qemuId, qemuKeys.size)
    session.guests[gi]!.vcpus.forEach((v, vi) => {
      runners.push({
        qemuKey: qemuKeys.get(qemuId)!,
        guest: gi,
        vcpu: vi,
        vm: g.vm!,
        cpu: g.vm!.vcpus[vi]!,
        program: v.program,
        pc: 0,
        readyUs: 0,
        tie: random(),
        wait: null,
        poll: null,
      })
    })
  })
  const events = session.events
    .map((e, index) => ({ e, index }))
    .sort((a, b) => a.e.atUs - b.e.atUs || a.index - b.index)
  let nextEvent = 0
  const eventResults: EventResult[] = []
  const counts = { steps: 0, instructions: 0, interrupts: 0 }
  const maxSteps = opts.maxSteps ?? 10_000_000
  const stopped = new Set<number>()
  const busy = new Set<ApQueue>()
  const compiled = new Map<string, Compiled>()

  const onRow = opts.onRow
  const interner = onRow ? new OutcomeInterner() : null
  const pending = interner && trace ? new PendingTrace() : null
  /** Non-null, so that call sites build their arguments; the records themselves go to `pending`. */
  const pendingMarker: TraceRecord[] = []
  const outcomes: StepResult[] = []
  const announced = interner ? new Uint8Array(MAX_REMEMBERED) : null
  const needSteps = keep || opts.onStep !== undefined
  /** The operand registers before the instruction, in the GPRs' layout (halves 2r, 2r+1). */
  const regsIn = new Uint32Array(32)
  const regsInCopy = { gprs: regsIn }
  // Where and which outcome the step about to be emitted is (set by whoever produced it).
  let placeId = 0
  let placeIndex = 0
  let placeAt = 0

  const place = (s: StepResult): StepResult =>
    s.index === placeIndex && s.atUs === placeAt ? s : { ...s, index: placeIndex, atUs: placeAt }

  const emit = (r: Runner, step: StepResult) => {
    counts.steps++
    if (onRow) {
      let first: StepResult | null = null
      if (placeId >= MAX_REMEMBERED || announced![placeId] === 0) {
        if (placeId < MAX_REMEMBERED) announced![placeId] = 1
        first = place(step)
      }
      onRow(r.guest, r.vcpu, placeIndex, placeAt, placeId, first)
      if (!needSteps) return
      step = first ?? place(step)
    }
    if (keep) guests[r.guest]!.vcpus[r.vcpu]!.steps.push(step)
    opts.onStep?.(r.guest, r.vcpu, step)
  }

  /** After interning (`fresh`: the key was new): the remembered outcome, or null when it is new. */
  const known = (fresh: boolean, index: number, atUs: number): StepResult | null => {
    placeId = interner!.id
    placeIndex = index
    placeAt = atUs
    return fresh ? null : outcomes[placeId]!
  }

  const remember = (s: StepResult): StepResult => {
    if (placeId < MAX_REMEMBERED) outcomes[placeId] = s
    return s
  }

  /**
   * Whether the remembered trace arguments (of an outcome with the same rules) equal this step's:
   * the same own names with the same values, so the texts are the same. `for…in` over an object
   * literal reads through V8's enum cache, far cheaper here than looking names up one by one.
   */
  const sameArgs = (stored: unknown): boolean => {
    const mine = pending!.args
    const theirs = stored as readonly (TraceArgs | undefined)[]
    for (let i = 0; i < pending!.length; i++) {
      const a = mine[i]
      const b = theirs[i]
      if (a === b) continue
      if (a === undefined || b === undefined) return false
      let n = 0
      for (const name in a) {
        if (a[name] !== b[name] || (a[name] === undefined && !(name in b))) return false
        n++
      }
      for (const _ in b) n--
      if (n !== 0) return false
    }
    return true
  }
  const copyArgs = () => pending!.args.slice(0, pending!.length)

  const keyTrace = (rules: readonly RuleId[], args: readonly (TraceArgs | undefined)[]) => {
    const k = interner!
    k.word(rules.length)
    for (let i = 0; i < rules.length; i++) {
      const rule = ruleKey(rules[i]!)
      k.word(rule.index)
      const a = args[i]
      for (const name of rule.argNames) {
        const v = a?.[name]
        if (typeof v === 'number') {
          k.word(KEY_NUMBER)
          k.word(v)
        } else if (typeof v === 'string') {
          k.word(KEY_STRING)
          k.text(v)
        } else k.word(a !== undefined && name in a ? KEY_UNDEFINED : KEY_ABSENT)
      }
    }
  }

  // The earliest reply time among busy queues; a stale (too early) value only costs one extra scan.
  let earliestDue = Infinity
  const advanceAll = () => {
    if (host.nowUs < earliestDue) return
    earliestDue = Infinity
    for (const q of busy) {
      advanceQueue(null, host, q)
      if (q.requests.length === 0) busy.delete(q)
      else earliestDue = Math.min(earliestDue, q.requests[0]!.dueUs)
    }
  }

  const nextDue = () => earliestDue

  const applyEvent = (ev: SessionEvent, index: number) => {
    const res = applyHostEvent(lab, session, ev, stopped, trace)
    eventResults.push({ index, atUs: ev.atUs, do: ev.do, applied: res.ok, errno: res.errno, reason: res.reason })
  }

  const queue = new RunQueue<Runner>()
  const parked: Runner[] = []
  for (const r of runners) if (r.program.length > 0) queue.push(r)

  const nextRunner = (): Runner | undefined => {
    for (;;) {
      const r = queue.peek()
      if (r === undefined || !stopped.has(r.guest)) return r
      parked.push(queue.pop()!)
    }
  }

  for (;;) {
    const best = nextRunner()
    const eventAt = nextEvent < events.length ? events[nextEvent]!.e.atUs : Infinity
    const runAt = best ? best.readyUs : Infinity
    const dueAt = nextDue()
    const now = Math.min(eventAt, runAt, dueAt)
    if (now === Infinity) break
    if (now > host.nowUs) host.nowUs = now
    advanceAll()
    if (eventAt <= now) {
      const { e, index } = events[nextEvent++]!
      applyEvent(e, index)
      for (let i = parked.length - 1; i >= 0; i--) {
        const r = parked[i]!
        if (stopped.has(r.guest)) continue
        parked.splice(i, 1)
        r.readyUs = Math.max(r.readyUs, host.nowUs)
        r.tie = random()
        queue.push(r)
      }
      continue
    }
    if (!best || runAt > now) continue
    if (counts.steps >= maxSteps) break
    queue.pop()
    runStep(best)
    if (best.pc < best.program.length) {
      best.tie = random()
      queue.push(best)
    }
  }

  function runStep(r: Runner) {
    const step = r.program[r.pc]!
    const cpu = r.cpu
    if (r.wait?.crw) {
      if ((r.vm.crwPending ?? 0) > 0) {
        r.vm.crwPending!--
        emit(r, waitStep(r, 'lab.wait.crw', { waitedUs: host.nowUs - r.wait.since }))
        finish(r)
      } else if (host.nowUs >= r.wait.deadline) {
        emit(r, waitStep(r, 'lab.wait.crw-timeout', { timeoutUs: r.wait.deadline - r.wait.since }))
        finish(r)
      } else {
        // Only a host event queues a channel report word: look again at the next one.
        const nextEventAt = nextEvent < events.length ? events[nextEvent]!.e.atUs : Infinity
        r.readyUs = Math.max(Math.min(r.wait.deadline, nextEventAt), host.nowUs + 1)
      }
      return
    }
    if (r.wait) {
      const gisa = r.vm.gisa
      const mask = r.wait.isc === null ? 0xff : 1 << (7 - r.wait.isc)
      const pending = gisa ? gisa.ipm & mask : 0
      if (pending) {
        const isc = 7 - Math.floor(Math.log2(pending & -pending))
        gisa!.ipm &= ~(1 << (7 - isc))
        counts.interrupts++
        emit(r, waitStep(r, 'lab.wait.irq', { isc, waitedUs: host.nowUs - r.wait.since }))
        finish(r)
      } else if (host.nowUs >= r.wait.deadline) {
        emit(
          r,
          waitStep(r, 'lab.wait.timeout', {
            isc: r.wait.isc === null ? '' : ` on ISC ${r.wait.isc}`,
            timeoutUs: r.wait.deadline - r.wait.since,
          }),
        )
        finish(r)
      } else {
        r.readyUs = Math.max(Math.min(r.wait.deadline, earliestDue), host.nowUs + 1)
        if (r.readyUs <= host.nowUs) r.readyUs = host.nowUs + 1
      }
      return
    }
    if ('set' in step) {
      for (const [name, value] of Object.entries(step.set)) {
        const v = parse64(value)
        if (!('error' in v)) setGpr(cpu, Number(name.slice(1)), v.hi, v.lo)
      }
      return finish(r)
    }
    if ('psw' in step) {
      cpu.psw.problem = step.psw === 'problem'
      return finish(r)
    }
    if ('cc' in step) {
      cpu.psw.cc = step.cc
      return finish(r)
    }
    if ('write' in step) {
      const a = parse64(step.write.addr)
      const bytes = step.write.bytes.match(/../g)?.map((h) => parseInt(h, 16)) ?? []
      if (!('error' in a) && a.hi === 0 && a.lo + bytes.length <= r.vm.memorySize) writeGuestBytes(r.vm, a.lo, bytes)
      return finish(r)
    }
    if ('sleepUs' in step) {
      r.pc++
      r.readyUs = host.nowUs + step.sleepUs
      return
    }
    if ('wait' in step) {
      r.wait = {
        isc: 'isc' in step ? (step.isc ?? null) : null,
        crw: step.wait === 'crw',
        deadline: host.nowUs + (step.timeoutUs ?? 1_000_000),
        since: host.nowUs,
        index: r.pc,
      }
      r.readyUs = host.nowUs
      return
    }
    if ('poll' in step) {
      const result = executeInsnStep(r, step.poll)
      r.poll = { count: (r.poll?.count ?? 0) + 1 }
      if (conditionHolds(step.until, result) || r.poll.count >= (step.max ?? 100)) {
        emit(r, result)
        r.poll = null
        return finish(r)
      }
      r.readyUs = host.nowUs + (step.everyUs ?? 20_000)
      return
    }
    emit(r, executeInsnStep(r, step))
    finish(r)
  }

  function waitStep(r: Runner, rule: WaitRule, args: TraceArgs): StepResult {
    const index = r.wait!.index
    if (interner) {
      interner.begin()
      interner.word(WAIT_KEY)
      interner.word(ruleKey(rule).index)
      if (trace) keyTrace([rule], [args])
      const seen = known(interner.intern(), index, host.nowUs)
      if (seen) return seen
    }
    return remember(labStep(index, host, rule, args, r, trace))
  }

  function executeInsnStep(r: Runner, step: Step): StepResult {
    const cpu = r.cpu
    const insn = stepInsn(step, cpu, compiled)!
    if (interner) return executeInterned(r, insn)
    const t: TraceRecord[] | null = trace ? [] : null
    const ctx = contextFor(host, r.vm, r.vcpu, t)
    const regsIn = snapshotRegs(cpu, operandRegisters(insn))
    const r0lo = lo(cpu, 0)
    const atUs = host.nowUs
    const outcome = execute(ctx, insn)
    afterExecute(insn, outcome, r0lo, cpu)
    return buildStepResult({ index: r.pc, insn, r0loIn: r0lo, regsIn, outcome, vcpu: cpu, atUs, trace: t })
  }

  /**
   * The same step as executeInsnStep, keyed by everything its record holds: instruction, registers
   * in and out, cc, program exception, status placement, deciding rule, the guest's QEMU (trace
   * references name it) and each trace record's rule and text arguments.
   */
  function executeInterned(r: Runner, insn: Insn): StepResult {
    const cpu = r.cpu
    const k = interner!
    pending?.clear()
    const ctx = contextFor(host, r.vm, r.vcpu, pending ? pendingMarker : null, pending)
    const ops = operandRegisters(insn)
    for (const reg of ops) {
      regsIn[2 * reg] = hi(cpu, reg)
      regsIn[2 * reg + 1] = lo(cpu, reg)
    }
    const r0lo = lo(cpu, 0)
    const atUs = host.nowUs
    const outcome = execute(ctx, insn)
    afterExecute(insn, outcome, r0lo, cpu)
    baseKey(r, insn, ops, outcome)
    let fresh: boolean
    if (pending) {
      // The trace's rules in the key, its arguments compared with the remembered outcome's.
      k.word(pending.length)
      for (let i = 0; i < pending.length; i++) k.word(ruleKey(pending.rules[i]!).index)
      const loose = k.internLoose(sameArgs, copyArgs)
      if (loose === 'crowded') {
        baseKey(r, insn, ops, outcome)
        k.word(ARGS_IN_KEY)
        keyTrace(pending.rules.slice(0, pending.length), pending.args)
        fresh = k.intern()
      } else fresh = loose === 'new'
    } else fresh = k.intern()
    const seen = known(fresh, r.pc, atUs)
    if (seen) return seen
    return remember(
      buildStepResult({
        index: r.pc,
        insn,
        r0loIn: r0lo,
        regsIn: snapshotRegs(regsInCopy, ops),
        outcome,
        vcpu: cpu,
        atUs,
        trace: pending ? pending.records(ctx) : null,
      }),
    )
  }

  /** The words of an instruction step's key before its trace: everything its record holds but index, time and trace. */
  function baseKey(r: Runner, insn: Insn, ops: readonly number[], outcome: Outcome) {
    const k = interner!
    const cpu = r.cpu
    k.begin()
    k.word(INSN_KEY[insn.name])
    k.word(insn.r1 * 16 + insn.r2)
    for (const reg of ops) {
      k.word(regsIn[2 * reg]!)
      k.word(regsIn[2 * reg + 1]!)
    }
    const out = insn.name === 'PQAP' ? PQAP_OUT : ops
    for (let i = 0; i < out.length; i++) {
      k.word(hi(cpu, out[i]!))
      k.word(lo(cpu, out[i]!))
    }
    k.word(outcome.pgm)
    k.word(cpu.psw.cc)
    k.word(outcome.statusPlacement === null ? 0 : outcome.statusPlacement === 'lo' ? 1 : 2)
    k.word(LAYER_KEY[outcome.handledBy])
    k.word(ruleKey(outcome.rule).index)
    k.word(r.qemuKey)
  }

  function afterExecute(insn: Insn, outcome: Outcome, r0lo: number, cpu: Vcpu) {
    counts.instructions++
    if (insn.name === 'NQAP' && outcome.pgm === 0) {
      const q = host.queues.get(r0lo & APQN_MASK)
      if (q && q.requests.length > 0) {
        busy.add(q)
        earliestDue = Math.min(earliestDue, q.requests[0]!.dueUs)
      }
    }
    if (outcome.pgm === 2) cpu.psw.problem = false
  }

  function finish(r: Runner) {
    r.pc++
    r.wait = null
    r.readyUs = Math.max(r.readyUs, host.nowUs) + STEP_COST_US
  }

  return {
    format: RESULTS_FORMAT,
    session: session.name,
    runId: opts.runId ?? `run-${session.seed}`,
    seed: session.seed,
    kernel: session.host.kernel,
    guests,
    events: eventResults,
    hostLog: host.log,
    endUs: host.nowUs,
    counts,
  }
}

function labStep(
  index: number,
  host: Host,
  rule: WaitRule,
  args: Record<string, string | number>,
  r: Runner,
  trace: boolean,
): StepResult {
  const scope = { trace: [] as TraceRecord[], kernel: host.kernel, qemu: r.vm.qemu }
  return {
    index,
    insn: 'WAIT',
    fc: null,
    fcName: null,
    atUs: host.nowUs,
    regsIn: {},
    pgm: null,
    cc: null,
    regsOut: {},
    status: null,
    statusPlacement: null,
    statusStored: null,
    handledBy: 'lab',
    rule,
    trace: trace ? [makeRecord(scope, rule, args)] : [],
  }
}

const gone = (uuid: string): MatrixChange => ({
  ok: false,
  errno: 'ENOENT',
  reason: `mdev ${uuid} has been removed`,
})

function applyHostEvent(
  lab: LabMachine,
  session: Session,
  ev: SessionEvent,
  stopped: Set<number>,
  trace: boolean,
): MatrixChange {
  const { host } = lab
  const scope = { trace: trace ? ([] as TraceRecord[]) : null, kernel: host.kernel, qemu: null }
  switch (ev.do) {
    case 'assign_adapter':
    case 'assign_domain':
    case 'unassign_adapter':
    case 'unassign_domain': {
      const mdev = host.mdevs.get(ev.mdev)
      if (!mdev) return gone(ev.mdev)
      const kind: AssignKind = ev.do.endsWith('adapter') ? 'adapter' : 'domain'
      return ev.do.startsWith('assign') ? assign(host, mdev, kind, ev.id) : unassign(scope, host, mdev, kind, ev.id)
    }
    case 'set_adapter_state': {
      const a = host.adapters.get(ev.adapter)!
      a.state = ev.state
      return { ok: true, errno: null, reason: `adapter ${ev.adapter.toString(16).padStart(2, '0')} is ${ev.state}` }
    }
    case 'remove_mdev': {
      const mdev = host.mdevs.get(ev.mdev)
      return mdev ? removeMdev(scope, host, mdev) : gone(ev.mdev)
    }
    case 'reset_queue': {
      const apqn = parseApqn(ev.apqn)!
      const q = host.queues.get(apqn)
      if (!q) return { ok: false, errno: 'ENODEV', reason: `no queue ${formatApqn(apqn)} on the host` }
      resetQueue(host, q)
      releaseSaved(scope, host, q)
      return { ok: true, errno: null, reason: `queue ${formatApqn(apqn)} reset; its interrupt resources freed` }
    }
    case 'stop_guest':
    case 'start_guest': {
      const gi = session.guests.findIndex((g) => g.name === ev.guest)
      const g: GuestInstance = lab.guests[gi]!
      const mdev = g.vm && session.guests[gi]!.mdev ? host.mdevs.get(session.guests[gi]!.mdev!) : undefined
      if (ev.do === 'stop_guest') {
        stopped.add(gi)
        if (mdev && mdev.vm === g.vm) {
          detachGuest(scope, host, mdev)
          finishRemoval(host, mdev)
        }
        const extra = host.kernel.vfioAp.irqDisableAfterReset
          ? ' (each queue reset, then its interruptions disabled with a host AQIC, as before 5.11)'
          : ' (each queue reset, which also disables its interruptions)'
        return { ok: true, errno: null, reason: `guest ${ev.guest} stopped; its mdev closed${extra}` }
      }
      stopped.delete(gi)
      if (mdev && g.vm) {
        if (mdev.vm && mdev.vm !== g.vm)
          return { ok: false, errno: 'EPERM', reason: `mdev ${mdev.uuid} is in use by another guest` }
        attachGuest(host, mdev, g.vm)
      }
      const uuid = session.guests[gi]!.mdev
      const without = uuid && !mdev ? ` without its vfio-ap device (mdev ${uuid} has been removed)` : ''
      return { ok: true, errno: null, reason: `guest ${ev.guest} started${without}` }
    }
  }
}
