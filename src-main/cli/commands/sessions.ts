// `aplab sessions list|show|import|export|delete`: saved lab sessions in the database.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { LabError, createLabService } from '../../service'
import {
  openStore,
  resolveStorePath,
  type ResolvedStorePath,
  type SessionRecord,
  type SessionSummary,
  type Store,
} from '../../store'
import { UsageError } from '../args'
import { defineCommand, type CliIo } from '../command'
import { formatTable } from '../table'

export interface CliStore extends ResolvedStorePath {
  store: Store
}

/** The database of `--db`, else $APLAB_DB, else the user's data directory (created when missing). */
export function openCliStore(db: string | undefined, io: Pick<CliIo, 'env'>): CliStore {
  const where = resolveStorePath(db, io.env)
  if (where.source === 'default') {
    try {
      mkdirSync(dirname(where.path), { recursive: true })
    } catch (e) {
      throw new LabError('invalid-input', `cannot create ${dirname(where.path)}: ${(e as Error).message}`, 'db')
    }
  }
  return { ...where, store: openStore(where.path) }
}

/** Runs `fn` with the database open, and closes it afterwards. */
export async function withCliStore<T>(
  db: string | undefined,
  io: Pick<CliIo, 'env'>,
  fn: (s: CliStore) => Promise<T>,
): Promise<T> {
  const s = openCliStore(db, io)
  try {
    return await fn(s)
  } finally {
    s.store.close()
  }
}

export function parseId(raw: string | undefined, what: string): number {
  if (raw === undefined) throw new UsageError(`missing <${what}>`)
  const n = /^[0-9]{1,15}$/.test(raw) ? Number(raw) : NaN
  if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`<${what}> must be a positive integer, got '${raw}'`)
  return n
}

export function readInputFile(file: string, field: string): string {
  try {
    return readFileSync(file, 'utf8')
  } catch (e) {
    throw new LabError('invalid-input', `cannot read ${file}: ${(e as Error).message}`, field)
  }
}

export function writeOutputFile(file: string, chunks: Iterable<string>): void {
  try {
    writeFileSync(file, '')
    for (const c of chunks) writeFileSync(file, c, { flag: 'a' })
  } catch (e) {
    throw new LabError('invalid-input', `cannot write ${file}: ${(e as Error).message}`, 'out')
  }
}

export function expectArgs(action: string, rest: readonly string[], names: readonly string[], command: string): void {
  if (rest.length < names.length)
    throw new UsageError(`${command} ${action}: missing <${names[rest.length]}> (see aplab ${command} --help)`)
  if (rest.length > names.length)
    throw new UsageError(
      `${command} ${action}: unexpected argument '${rest[names.length]}' (see aplab ${command} --help)`,
    )
}

const json = (v: unknown): string => JSON.stringify(v, null, 2) + '\n'

function sessionDetail(s: SessionRecord, path: string, io: CliIo): string {
  const d = s.document
  const rows: string[][] = [
    ['id', String(s.id)],
    ['name', s.name],
    ['created', s.created],
    ['updated', s.updated],
    ['kernel', d.host.kernel],
    ['seed', String(d.seed ?? 1)],
    ['adapters', (d.host.adapters ?? []).map((a) => a.id.toString(16).padStart(2, '0')).join(', ') || '(none)'],
    ['mdevs', String((d.mdevs ?? []).length)],
    ['events', String((d.events ?? []).length)],
    ['database', path],
  ]
  if (d.description) rows.push(['description', d.description])
  let out = formatTable(['FIELD', 'VALUE'], rows, { width: io.columns })
  const guests = (d.guests ?? []).map((g) => {
    const vcpus = g.vcpus ?? [{ program: [] }]
    return [
      g.name,
      g.qemu,
      g.mdev ?? '-',
      String(vcpus.length),
      String(vcpus.reduce((n, v) => n + (v.program?.length ?? 0), 0)),
    ]
  })
  if (guests.length > 0)
    out += '\n' + formatTable(['GUEST', 'QEMU', 'MDEV', 'VCPUS', 'STEPS'], guests, { width: io.columns })
  return out
}

export const sessionsCommand = defineCommand({
  name: 'sessions',
  summary: 'saved lab sessions in the database: list, show, import, export, delete',
  details: [
    '',
    '  aplab sessions list                       saved sessions, newest first',
    '  aplab sessions show <id>                  one session: host, guests, programs',
    '  aplab sessions import <file>              check an aplab/session@1 file completely, then save it',
    '  aplab sessions export <id> [--out file]   the session document (stdout unless --out)',
    '  aplab sessions delete <id>                delete it (its runs stay)',
  ].join('\n'),
  options: [
    { name: 'out', type: 'string', value: 'file', description: 'export: write to this file instead of stdout' },
  ],
  positionals: [
    { name: 'action', required: true, description: 'list, show, import, export or delete' },
    { name: 'arg', variadic: true, description: 'a session id, or the file to import' },
  ],
  async run({ options, positionals }, { io }) {
    const [action, ...rest] = positionals as [string, ...string[]]
    const actions = ['list', 'show', 'import', 'export', 'delete']
    if (!actions.includes(action))
      throw new UsageError(`unknown sessions action '${action}' (expected ${actions.join(', ')})`)
    if (options.out !== undefined && action !== 'export') throw new UsageError('--out is only for sessions export')
    expectArgs(action, rest, action === 'list' ? [] : action === 'import' ? ['file'] : ['id'], 'sessions')
    const id = action === 'list' || action === 'import' ? 0 : parseId(rest[0], 'id')
    const text = action === 'import' ? readInputFile(rest[0]!, 'file') : ''

    await withCliStore(options.db, io, async ({ store, path }) => {
      const service = createLabService({ store })
      switch (action) {
        case 'list': {
          const rows = (await service.call('listSessions', undefined)) as SessionSummary[]
          if (options.json) return io.stdout(json(rows))
          if (rows.length === 0)
            return io.stdout(`no saved sessions in ${path} (aplab sessions import <file> adds one)\n`)
          const table = rows.map((r) => [
            String(r.id),
            r.name,
            r.kernel ?? '?',
            String(r.guests),
            String(r.runs),
            r.updated.slice(0, 19).replace('T', ' '),
          ])
          return io.stdout(
            formatTable(['ID', 'NAME', 'KERNEL', 'GUESTS', 'RUNS', 'UPDATED'], table, { width: io.columns }),
          )
        }
        case 'show': {
          const s = (await service.call('getSession', { id })) as SessionRecord
          return io.stdout(options.json ? json(s) : sessionDetail(s, path, io))
        }
        case 'import': {
          const r = (await service.call('importSession', { text })) as { id: number; name: string }
          return io.stdout(
            options.json ? json({ ...r, db: path }) : `imported session ${r.id} '${r.name}' into ${path}\n`,
          )
        }
        case 'export': {
          const r = (await service.call('exportSession', { id })) as { id: number; name: string; text: string }
          if (options.out === undefined) return io.stdout(r.text)
          writeOutputFile(options.out, [r.text])
          return io.stdout(
            options.json ? json({ id, file: options.out }) : `exported session ${id} '${r.name}' to ${options.out}\n`,
          )
        }
        case 'delete': {
          await service.call('deleteSession', { id })
          return io.stdout(
            options.json ? json({ id, deleted: true }) : `deleted session ${id} (its runs stay in the database)\n`,
          )
        }
      }
    })
  },
})
