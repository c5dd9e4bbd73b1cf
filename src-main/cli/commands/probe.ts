import { AP_FEATURES, type ProbeResult, type StepResult } from '../../engine'
import { createLabService } from '../../service'
import type { ProbeRequest } from '../../../src-preload/contract'
import { UsageError } from '../args'
import { defineCommand } from '../command'

const REG_OPTIONS = Array.from({ length: 16 }, (_, r) => ({
  name: `r${r}`,
  type: 'string' as const,
  value: 'hex',
  description: r === 0 ? 'raw register values (0x… hex or decimal) applied after the instruction text (r0 … r15)' : '',
}))

function parseCpu(text: string): NonNullable<ProbeRequest['cpu']> {
  const cpu: NonNullable<ProbeRequest['cpu']> = { features: {} }
  for (const part of text.split(',').filter(Boolean)) {
    const [k, v] = part.split('=')
    if (v === undefined) {
      cpu.model = k!
      continue
    }
    if (k === 'model') {
      cpu.model = v
      continue
    }
    if (!(AP_FEATURES as readonly string[]).includes(k!))
      throw new UsageError(`--cpu: unknown AP feature '${k}' (known: ${AP_FEATURES.join(', ')}, model=NAME)`)
    if (v !== 'on' && v !== 'off') throw new UsageError(`--cpu: ${k} needs on or off, got '${v}'`)
    cpu.features![k as (typeof AP_FEATURES)[number]] = v === 'on'
  }
  return cpu
}

export function formatStep(step: StepResult): string {
  const lines: string[] = []
  const head = step.fcName ? `${step.insn}(${step.fcName})` : step.insn
  if (step.pgm)
    lines.push(
      `  outcome   ${head}: program exception ${step.pgm.name} (0x${step.pgm.code.toString(16).padStart(2, '0')})`,
    )
  else {
    const s = step.status
    const word = (d: NonNullable<StepResult['status']>) =>
      `RC 0x${d.rc.toString(16).padStart(2, '0')} ${d.rcName} E=${d.E} R=${d.R} F=${d.F} I=${d.I}`
    lines.push(`  outcome   ${head}: cc ${step.cc}` + (s ? `, GR1 bits 32–63 read as status: ${word(s)}` : ''))
    if (step.statusPlacement === 'hi' && step.statusStored)
      lines.push(
        `            the handler stored the status in GR1 bits 0–31 instead (quirk): ${word(step.statusStored)}`,
      )
  }
  lines.push(`  decided   ${step.handledBy} — ${step.rule}`)
  lines.push(
    `  regs in   ${Object.entries(step.regsIn)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')}`,
  )
  lines.push(
    `  regs out  ${Object.entries(step.regsOut)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')}`,
  )
  if (step.trace.length > 0) {
    lines.push('  trace')
    const w = Math.max(...step.trace.map((t) => t.layer.length))
    for (const t of step.trace) {
      const badge = t.quirk ? ` [quirk ${t.quirk}]` : t.choice ? ` [${t.choice}]` : ''
      lines.push(`    ${t.layer.padEnd(w)}  ${t.rule}${badge}`)
      lines.push(`    ${''.padEnd(w)}  ${t.text}`)
      lines.push(`    ${''.padEnd(w)}  ← ${t.ref}`)
    }
  }
  return lines.join('\n')
}

export function formatProbe(r: ProbeResult): string {
  const lines = [`${r.kernel} × ${r.qemu}, vfio_ap ${r.vfio}${r.apqn ? `, APQN ${r.apqn}` : ''}`]
  if (!r.started) {
    lines.push(`  the guest does not start: ${r.startError}`)
    for (const t of r.startTrace) lines.push(`    ${t.layer}  ${t.rule}: ${t.text} ← ${t.ref}`)
    return lines.join('\n') + '\n'
  }
  for (const w of r.warnings) lines.push(`  ${w}`)
  if (r.step) lines.push(formatStep(r.step))
  for (const l of r.hostLog) lines.push(`  host log: ${l.level} ${l.text} (${l.source})`)
  lines.push(
    `  host resources: ${r.resources.pinnedPages} pinned NIB page(s); GISC refs ${r.resources.giscRefs.join(',')}`,
  )
  return lines.join('\n') + '\n'
}

export const probeCommand = defineCommand({
  name: 'probe',
  summary: 'run one AP instruction in one configuration and show what the guest sees, with the trace',
  details: [
    'The instruction is text, e.g.:',
    '  aplab probe --kernel linux-5.3 --qemu qemu-4.1 pqap aqic 05.0004 ir=1 isc=6 nib=0x2000',
    '  aplab probe --kernel aqic-v5 --qemu qemu-4.0 --vfio none pqap aqic 05.0004',
    '  aplab probe --kernel linux-6.8 --qemu qemu-4.1 --psw problem pqap tapq 05.0004 t=1',
    'Forms: pqap <tapq|rapq|zapq|aqic|qci|qact|fc=N> [AA.DDDD] [t=1] [ir=0|1] [isc=N] [nib=ADDR];',
    '       nqap AA.DDDD [r1=2] [r2=4] [psmid=N] [addr=ADDR] [len=N]; dqap AA.DDDD [r1=2] [r2=6] [addr=ADDR] [len=N]',
  ].join('\n'),
  options: [
    { name: 'kernel', type: 'string', value: 'profile', description: 'kernel profile (default linux-latest)' },
    { name: 'qemu', type: 'string', value: 'profile', description: 'QEMU profile (default qemu-10.1)' },
    {
      name: 'cpu',
      type: 'string',
      value: 'model,feat=on|off',
      description: 'CPU model and AP features, e.g. host,apqi=off or z14,ap=on',
    },
    { name: 'vfio', type: 'string', value: 'none|loaded|mdev', description: 'vfio_ap for this guest (default mdev)' },
    { name: 'psw', type: 'string', value: 'problem|supervisor', description: 'PSW state (default supervisor)' },
    { name: 'cc', type: 'int', min: 0, max: 3, description: 'condition code before the instruction (default 0)' },
    { name: 'no-gisa', type: 'flag', description: 'the VM has no GISA (no ECA_AIV)' },
    { name: 'no-aiv', type: 'flag', description: 'the host has no adapter-interruption virtualization' },
    { name: 'no-apxa', type: 'flag', description: 'the host has no APXA (CRYCB format 1)' },
    { name: 'nested', type: 'flag', description: 'under a lower-level hypervisor whose effective ECA_APIE is off' },
    { name: 'arch', type: 'flag', description: 'architecture-faithful mode (a reference; no released kernel)' },
    { name: 'irq-enabled', type: 'flag', description: 'the queue already has interruptions enabled' },
    { name: 'unassigned', type: 'flag', description: "the APQN is not in the mdev's matrix" },
    { name: 'card', type: 'string', value: 'online|checkstopped|deconfigured', description: 'card state' },
    { name: 'fault', type: 'string', repeatable: true, value: 'name', description: 'module-get | gisc | pin=ERRNO' },
    { name: 'no-ap-instructions', type: 'flag', description: 'the host has no AP instructions' },
    {
      name: 'no-facility',
      type: 'int',
      repeatable: true,
      min: 0,
      max: 255,
      description: 'a host facility that is absent (12, 15, 65, 76)',
    },
    { name: 'reset-in-progress', type: 'flag', description: 'the queue is being reset' },
    { name: 'no-trace', type: 'flag', description: 'omit the trace' },
    ...REG_OPTIONS,
  ],
  positionals: [{ name: 'insn', required: true, variadic: true, description: 'the instruction text' }],
  async run({ options, positionals }, { io }) {
    const req: ProbeRequest = {
      kernel: options.kernel ?? 'linux-latest',
      qemu: options.qemu ?? 'qemu-10.1',
      insn: positionals.join(' '),
    }
    if (options.cpu) req.cpu = parseCpu(options.cpu)
    if (options.vfio) {
      if (!['none', 'loaded', 'mdev'].includes(options.vfio))
        throw new UsageError(`--vfio needs none, loaded or mdev, got '${options.vfio}'`)
      req.vfio = options.vfio as ProbeRequest['vfio']
    }
    if (options.psw) {
      if (options.psw !== 'problem' && options.psw !== 'supervisor')
        throw new UsageError(`--psw needs problem or supervisor, got '${options.psw}'`)
      req.psw = options.psw
    }
    if (options.cc !== undefined) req.ccBefore = options.cc as 0 | 1 | 2 | 3
    if (options['no-gisa']) req.gisa = false
    if (options.nested) req.nested = true
    if (options.arch) req.mode = 'architecture-faithful'
    const host: NonNullable<ProbeRequest['host']> = {}
    if (options['no-aiv']) host.aiv = false
    if (options['no-apxa']) host.apxa = false
    if (options['no-ap-instructions']) host.apInstructions = false
    for (const f of options['no-facility']) {
      if (f !== 12 && f !== 15 && f !== 65 && f !== 76)
        throw new UsageError(`--no-facility: ${f} is not modelled (12, 15, 65 or 76)`)
      host.facilities = { ...host.facilities, [String(f)]: false }
    }
    if (Object.keys(host).length > 0) req.host = host
    const queue: NonNullable<ProbeRequest['queue']> = {}
    if (options['irq-enabled']) queue.irqEnabled = true
    if (options['reset-in-progress']) queue.resetInProgress = true
    if (options.unassigned) queue.assigned = false
    if (options.card) {
      if (!['online', 'checkstopped', 'deconfigured'].includes(options.card))
        throw new UsageError(`--card needs online, checkstopped or deconfigured, got '${options.card}'`)
      queue.state = options.card as 'online'
    }
    if (Object.keys(queue).length > 0) req.queue = queue
    const faults: NonNullable<ProbeRequest['faults']> = {}
    for (const f of options.fault) {
      if (f === 'module-get') faults.moduleGetFails = true
      else if (f === 'gisc') faults.giscRegisterFails = true
      else if (f.startsWith('pin=')) faults.pinErrno = f.slice(4)
      else throw new UsageError(`--fault: unknown fault '${f}' (module-get, gisc, pin=ERRNO)`)
    }
    if (Object.keys(faults).length > 0) req.faults = faults
    const regs: Record<string, string> = {}
    for (let r = 0; r < 16; r++) {
      const v = (options as Record<string, unknown>)[`r${r}`]
      if (typeof v === 'string') regs[`r${r}`] = v
    }
    if (Object.keys(regs).length > 0) req.regs = regs
    if (options['no-trace']) req.trace = false
    const result = (await createLabService().call('probe', req)) as ProbeResult
    io.stdout(options.json ? JSON.stringify(result, null, 2) + '\n' : formatProbe(result))
  },
})
