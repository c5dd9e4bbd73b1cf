// `aplab runs list|show|diff|export|import|delete`: stored runs and their per-step results.
import { createLabService } from '../../service'
import {
  RUN_STATUSES,
  type RunDiff,
  type RunList,
  type RunPage,
  type RunStatus,
  type RunSummary,
  type StoredStep,
} from '../../store'
import { UsageError } from '../args'
import { defineCommand } from '../command'
import { formatTable } from '../table'
import { expectArgs, parseId, readInputFile, withCliStore, writeOutputFile } from './sessions'

const json = (v: unknown): string => JSON.stringify(v, null, 2) + '\n'

const when = (iso: string | null): string => (iso === null ? '-' : iso.slice(0, 19).replace('T', ' '))

function duration(ms: number | null): string {
  if (ms === null) return '-'
  return ms < 10_000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`
}

export function outcome(s: StoredStep): string {
  if (s.pgm) return `PGM ${s.pgm.name} (${s.pgm.code})`
  if (s.cc === null) return s.insn === 'WAIT' ? (s.rule === 'lab.wait.irq' ? 'interrupt' : 'timeout') : ''
  let out = `cc ${s.cc}`
  if (s.status) {
    const st = s.status
    out += ` RC 0x${st.rc.toString(16).padStart(2, '0')} ${st.rcName} E${st.E}R${st.R}F${st.F}I${st.I}`
    if (s.statusPlacement === 'hi') out += ' (GR1 bits 0-31)'
  }
  return out
}

function runHeader(r: RunSummary): string {
  const lines = [
    `run ${r.id}: ${r.status}${r.origin === 'import' ? ' (imported)' : ''} — session '${r.sessionName}'${r.sessionId !== null ? ` (saved session ${r.sessionId})` : ''}`,
    `  kernel ${r.kernel}, seed ${r.seed}, trace ${r.trace ? 'on' : 'off'}`,
    `  started ${when(r.started)}, finished ${when(r.finished)}, ${duration(r.durationMs)}`,
    `  ${r.steps} steps, ${r.instructions} instructions, ${r.interrupts} interrupts${r.endUs !== null ? `, virtual end ${r.endUs} µs` : ''}`,
  ]
  if (r.error) lines.push(`  ${r.error}`)
  return lines.join('\n') + '\n'
}

function pageText(p: RunPage, columns: number | undefined): string {
  let out = runHeader(p.run)
  for (const g of p.guests) {
    const state = g.started === null ? '' : g.started ? '' : ` — did not start: ${g.startError ?? ''}`
    out += `  guest ${g.guest} ${g.name} (${g.qemu}, ${g.vcpus} vCPU${g.vcpus === 1 ? '' : 's'})${state}\n`
    for (const w of g.warnings) out += `    ${w}\n`
  }
  if (p.results.length === 0)
    return out + (p.total === 0 ? '  no steps stored\n' : `  no steps at offset ${p.offset} (${p.total} in all)\n`)
  const names = new Map(p.guests.map((g) => [g.guest, g.name]))
  const rows = p.results.map((s) => [
    String(s.seq),
    names.get(s.guest) ?? String(s.guest),
    String(s.vcpu),
    String(s.index),
    String(s.atUs),
    s.fcName ? `${s.insn}(${s.fcName})` : s.insn,
    outcome(s),
    s.handledBy,
    s.trace.length === 0 ? s.rule : [s.rule, ...s.trace.map((t) => `  ${t.layer}: ${t.text} [${t.ref}]`)],
  ])
  out +=
    '\n' +
    formatTable(['SEQ', 'GUEST', 'VCPU', 'STEP', 'AT_US', 'INSN', 'OUTCOME', 'BY', 'RULE'], rows, { width: columns })
  const shown = p.offset + p.results.length
  if (shown < p.total) out += `… ${p.total - shown} more of ${p.total} (--offset ${shown})\n`
  return out
}

function diffText(d: RunDiff): string {
  const lines = [
    `runs ${d.a} → ${d.b}: ${d.compared} steps compared, ${d.changed} changed, ${d.onlyA} only in ${d.a}, ${d.onlyB} only in ${d.b}`,
  ]
  if (d.guestsOnlyA.length > 0) lines.push(`  guests only in run ${d.a}: ${d.guestsOnlyA.join(', ')}`)
  if (d.guestsOnlyB.length > 0) lines.push(`  guests only in run ${d.b}: ${d.guestsOnlyB.join(', ')}`)
  for (const c of d.changes) {
    const where = `${c.guest} vcpu ${c.vcpu} step ${c.index} ${c.fcName ? `${c.insn}(${c.fcName})` : c.insn}`
    if (c.kind !== 'changed') {
      lines.push(`  ${where}: only in run ${c.kind === 'only-a' ? d.a : d.b}`)
      continue
    }
    const fields = c.fields.map(
      (f) => `${f.field} ${f.a === null ? '-' : String(f.a)} → ${f.b === null ? '-' : String(f.b)}`,
    )
    lines.push(`  ${where}: ${fields.join(', ')}`)
  }
  if (d.truncated) lines.push(`  … more differences not listed (--limit N lists more)`)
  if (d.changed === 0 && d.onlyA === 0 && d.onlyB === 0) lines.push('  no guest-visible differences')
  return lines.join('\n') + '\n'
}

export const runsCommand = defineCommand({
  name: 'runs',
  summary: 'stored runs: list, show, diff, export, import, delete',
  details: [
    '',
    '  aplab runs list [--status S] [--session ID]    newest first (--limit, --offset page)',
    '  aplab runs show <id> [--guest NAME] [--trace]  the run and a page of its steps',
    '  aplab runs diff <a> <b>                        steps whose guest-visible outcome changed',
    '  aplab runs export <id> [--format json|csv] [--out file]',
    '  aplab runs import <file>                       check an aplab/results@1 file completely, then store it',
    '  aplab runs delete <id>',
  ].join('\n'),
  options: [
    { name: 'status', type: 'string', value: 'status', description: 'list: running, finished or aborted' },
    { name: 'session', type: 'int', value: 'id', min: 1, description: 'list: runs of this saved session' },
    { name: 'guest', type: 'string', value: 'name', description: 'show: only this guest' },
    {
      name: 'limit',
      type: 'int',
      min: 1,
      max: 100_000,
      description: 'list/show: rows per page; diff: differences listed',
    },
    { name: 'offset', type: 'int', min: 0, description: 'list/show: rows to skip' },
    { name: 'trace', type: 'flag', description: 'show: include each step’s trace' },
    { name: 'format', type: 'string', value: 'json|csv', description: 'export format (default json)' },
    { name: 'out', type: 'string', value: 'file', description: 'export: write to this file instead of stdout' },
  ],
  positionals: [
    { name: 'action', required: true, description: 'list, show, diff, export, import or delete' },
    { name: 'arg', variadic: true, description: 'run id(s), or the file to import' },
  ],
  async run({ options, positionals }, { io }) {
    const [action, ...rest] = positionals as [string, ...string[]]
    const actions = ['list', 'show', 'diff', 'export', 'import', 'delete']
    if (!actions.includes(action))
      throw new UsageError(`unknown runs action '${action}' (expected ${actions.join(', ')})`)
    const args = action === 'list' ? [] : action === 'diff' ? ['a', 'b'] : action === 'import' ? ['file'] : ['id']
    expectArgs(action, rest, args, 'runs')
    const status = options.status
    if (status !== undefined && !(RUN_STATUSES as readonly string[]).includes(status)) {
      throw new UsageError(`--status must be one of ${RUN_STATUSES.join(', ')}, got '${status}'`)
    }
    const format = options.format ?? 'json'
    if (format !== 'json' && format !== 'csv') throw new UsageError(`--format must be json or csv, got '${format}'`)
    if (options.out !== undefined && action !== 'export') throw new UsageError('--out is only for runs export')
    const ids = action === 'list' || action === 'import' ? [] : rest.map((r, i) => parseId(r, args[i]!))
    const text = action === 'import' ? readInputFile(rest[0]!, 'file') : ''

    await withCliStore(options.db, io, async ({ store, path }) => {
      const service = createLabService({ store })
      switch (action) {
        case 'list': {
          const req = {
            ...(status !== undefined ? { status: status as RunStatus } : {}),
            ...(options.session !== undefined ? { session: options.session } : {}),
            limit: Math.min(options.limit ?? 50, 1000),
            offset: options.offset ?? 0,
          }
          const list = (await service.call('listRuns', req)) as RunList
          if (options.json) return io.stdout(json(list))
          if (list.total === 0) return io.stdout(`no runs in ${path}${status ? ` with status ${status}` : ''}\n`)
          const rows = list.runs.map((r) => [
            String(r.id),
            r.status,
            r.sessionName,
            r.kernel,
            String(r.steps),
            when(r.started),
            duration(r.durationMs),
          ])
          let out = formatTable(['ID', 'STATUS', 'SESSION', 'KERNEL', 'STEPS', 'STARTED', 'DURATION'], rows, {
            width: io.columns,
          })
          const shown = req.offset + list.runs.length
          if (shown < list.total) out += `… ${list.total - shown} more of ${list.total} (--offset ${shown})\n`
          return io.stdout(out)
        }
        case 'show': {
          const req = {
            id: ids[0]!,
            ...(options.guest !== undefined ? { guest: options.guest } : {}),
            limit: Math.min(options.limit ?? 200, 10_000),
            offset: options.offset ?? 0,
            trace: options.trace,
          }
          const page = (await service.call('getRun', req)) as RunPage
          return io.stdout(options.json ? json(page) : pageText(page, io.columns))
        }
        case 'diff': {
          const d = (await service.call('diffRuns', {
            a: ids[0]!,
            b: ids[1]!,
            limit: options.limit ?? 1000,
          })) as RunDiff
          return io.stdout(options.json ? json(d) : diffText(d))
        }
        case 'export': {
          store.getRunSummary(ids[0]!)
          const chunks = store.exportRunChunks(ids[0]!, format)
          if (options.out === undefined) {
            for (const c of chunks) io.stdout(c)
            return
          }
          writeOutputFile(options.out, chunks)
          return io.stdout(
            options.json
              ? json({ id: ids[0], format, file: options.out })
              : `exported run ${ids[0]} (${format}) to ${options.out}\n`,
          )
        }
        case 'import': {
          const r = (await service.call('importRun', { text })) as { id: number }
          return io.stdout(options.json ? json({ ...r, db: path }) : `imported run ${r.id} into ${path}\n`)
        }
        case 'delete': {
          await service.call('deleteRun', { id: ids[0]! })
          return io.stdout(options.json ? json({ id: ids[0], deleted: true }) : `deleted run ${ids[0]}\n`)
        }
      }
    })
  },
})
