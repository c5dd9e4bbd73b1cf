import { readFileSync } from 'node:fs'
import type { RunResults } from '../../engine/lab'
import type { StepResult } from '../../engine/results'
import type { RunStoredResponse } from '../../../src-preload/contract'
import { LabError, createLabService } from '../../service'
import { resolveStorePath } from '../../store'
import { defineCommand } from '../command'
import { openCliStore, type CliStore } from './sessions'

function stepLine(s: StepResult): string {
  const what = s.fcName ? `${s.insn}(${s.fcName})` : s.insn
  const out = s.pgm
    ? `PGM ${s.pgm.name}`
    : s.cc === null
      ? ''
      : `cc ${s.cc}` +
        (s.status
          ? ` RC 0x${s.status.rc.toString(16).padStart(2, '0')} ${s.status.rcName} E${s.status.E}R${s.status.R}F${s.status.F}I${s.status.I}${s.statusPlacement === 'hi' ? ' (status in GR1 bits 0–31)' : ''}`
          : '')
  return `  ${String(s.atUs).padStart(8)} µs  #${String(s.index).padEnd(3)} ${what.padEnd(11)} ${out.padEnd(44)} ${s.handledBy}: ${s.rule}`
}

export function formatRun(r: RunResults): string {
  const lines = [
    `session '${r.session}' on ${r.kernel}, seed ${r.seed}: ${r.counts.instructions} instructions, ${r.counts.interrupts} interrupts, ended at ${r.endUs} µs`,
  ]
  for (const e of r.events) {
    const outcome = e.applied ? 'applied' : e.errno === null ? 'not applied' : `refused ${e.errno}`
    lines.push(`  event at ${e.atUs} µs: ${e.do} — ${outcome}: ${e.reason}`)
  }
  for (const g of r.guests) {
    lines.push(`guest ${g.name} (${g.qemu})${g.started ? '' : ` did not start: ${g.startError}`}`)
    for (const w of g.warnings) lines.push(`  ${w}`)
    g.vcpus.forEach((v, i) => {
      if (g.vcpus.length > 1) lines.push(` vcpu ${i}`)
      for (const s of v.steps) lines.push(stepLine(s))
    })
  }
  for (const l of r.hostLog) lines.push(`host log at ${l.atUs} µs: ${l.level} ${l.text}`)
  return lines.join('\n') + '\n'
}

export const runCommand = defineCommand({
  name: 'run',
  summary: 'run a lab session (a session.json file or builtin:NAME) and print its results',
  details:
    'See `aplab examples` for the built-in sessions. --json prints the aplab/results@1 document.\n' +
    'The run is stored in the database (--db, $APLAB_DB or the default) and its id printed; --no-store skips that.',
  options: [
    { name: 'no-trace', type: 'flag', description: 'leave the per-step traces out' },
    { name: 'no-store', type: 'flag', description: 'do not store the run in the database' },
  ],
  positionals: [{ name: 'session', required: true, description: 'session.json or builtin:NAME' }],
  async run({ options, positionals }, { io }) {
    const ref = positionals[0]!
    let session: unknown = ref
    if (!ref.startsWith('builtin:')) {
      let text: string
      try {
        text = readFileSync(ref, 'utf8')
      } catch (e) {
        throw new LabError('invalid-input', `cannot read ${ref}: ${(e as Error).message}`, 'session')
      }
      try {
        session = JSON.parse(text)
      } catch (e) {
        throw new LabError('invalid-input', `${ref} is not JSON: ${(e as Error).message}`, 'session')
      }
    }
    let cli: CliStore | null = null
    if (!options['no-store']) {
      try {
        cli = openCliStore(options.db, io)
      } catch (e) {
        // An explicit --db or $APLAB_DB must work; the default database only stores when it can.
        if (!(e instanceof LabError) || resolveStorePath(options.db, io.env).source !== 'default') throw e
        io.stderr(`aplab: not storing the run: ${e.message} (--no-store runs without the database)\n`)
      }
    }
    if (cli === null) {
      const result = (await createLabService().call('runSession', {
        session,
        trace: !options['no-trace'],
      })) as RunResults
      io.stdout(options.json ? JSON.stringify(result, null, 2) + '\n' : formatRun(result))
      return
    }
    try {
      const service = createLabService({ store: cli.store })
      const stored = (await service.call('runStored', {
        session,
        trace: !options['no-trace'],
        keepSteps: true,
      })) as RunStoredResponse
      io.stdout(
        options.json
          ? JSON.stringify(stored.results, null, 2) + '\n'
          : formatRun(stored.results) + `stored as run ${stored.runId} in ${cli.path}\n`,
      )
    } finally {
      cli.store.close()
    }
  },
})

export const examplesCommand = defineCommand({
  name: 'examples',
  summary: 'list the built-in sessions and behaviour matrices',
  options: [],
  async run({ options }, { io }) {
    const service = createLabService()
    const sessions = (await service.call('listExamples', undefined)) as { name: string; description: string }[]
    const matrices = (await service.call('listMatrices', undefined)) as { name: string; title: string }[]
    if (options.json) {
      io.stdout(
        JSON.stringify(
          { sessions: sessions.map(({ name, description }) => ({ name, description })), matrices },
          null,
          2,
        ) + '\n',
      )
      return
    }
    const lines = ['Sessions (aplab run builtin:NAME):']
    for (const s of sessions) lines.push(`  ${s.name.padEnd(26)} ${s.description}`)
    lines.push('', 'Matrices (aplab compare builtin:NAME):')
    for (const m of matrices) lines.push(`  ${m.name.padEnd(26)} ${m.title}`)
    io.stdout(lines.join('\n') + '\n')
  },
})
