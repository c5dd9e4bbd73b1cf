// `aplab sessions …`, `aplab runs …` and `aplab run` storing its run, as real processes against real
// database files.
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { EXAMPLE_SESSIONS } from '../../src-main/engine/examples'
import { BIN, ROOT, bytes, tempDir } from './helpers'

const tmp = tempDir('aplab-cli-')
afterAll(() => tmp.cleanup())

interface Result {
  code: number
  stdout: string
  stderr: string
}

function aplab(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Result> {
  const base: NodeJS.ProcessEnv = { ...process.env, COLUMNS: '', NO_COLOR: '1', HOME: tmp.file('home') }
  delete base.APLAB_DB
  delete base.XDG_DATA_HOME
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { cwd: ROOT, env: { ...base, ...env }, timeout: 30_000, maxBuffer: 64 << 20 },
      (err, stdout, stderr) => {
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr })
      },
    )
  })
}

function ok(r: Result): Result {
  expect(r.stderr, r.stderr).toBe('')
  expect(r.code).toBe(0)
  return r
}

function failsWith(r: Result, code: number, message: RegExp): void {
  expect(r.code).toBe(code)
  expect(r.stdout).toBe('')
  expect(r.stderr).toMatch(message)
  expect(r.stderr.trimEnd().split('\n')).toHaveLength(1)
}

describe('aplab sessions and runs (real processes)', () => {
  const db = tmp.file('lab.db')
  const example = EXAMPLE_SESSIONS.find((s) => s.name === 'two-guests-one-adapter')!

  it('sessions: import, list, show, export, delete', async () => {
    const file = tmp.file('session.json')
    writeFileSync(file, JSON.stringify(example, null, 2))
    const imported = JSON.parse(ok(await aplab(['sessions', 'import', file, '--db', db, '--json'])).stdout)
    expect(imported).toEqual({ id: 1, name: example.name, db })

    const [list, text, show, exported, toFile] = await Promise.all([
      aplab(['sessions', 'list', '--db', db, '--json']),
      aplab(['sessions', 'list', '--db', db]),
      aplab(['sessions', 'show', '1', '--db', db]),
      aplab(['sessions', 'export', '1', '--db', db]),
      aplab(['sessions', 'export', '1', '--db', db, '--out', tmp.file('out.json')]),
    ])
    expect(JSON.parse(ok(list).stdout)).toMatchObject([
      { id: 1, name: example.name, kernel: 'linux-6.8', guests: 2, runs: 0 },
    ])
    expect(ok(show).stdout).toMatch(/^kernel +linux-6\.8$/m)
    expect(show.stdout).toMatch(/^g2 +qemu-8\.2 +mdev-g2 +1 +6$/m)
    expect(JSON.parse(ok(exported).stdout)).toEqual(example)
    expect(ok(toFile).stdout).toBe(`exported session 1 '${example.name}' to ${tmp.file('out.json')}\n`)
    expect(JSON.parse(readFileSync(tmp.file('out.json'), 'utf8'))).toEqual(example)

    expect(ok(text).stdout.split('\n')[0]).toMatch(/^ID +NAME +KERNEL +GUESTS +RUNS +UPDATED$/)

    const bad = tmp.file('bad.json')
    writeFileSync(bad, JSON.stringify({ ...example, seed: 'one' }))
    const [badImport, badId, badAction, missing] = await Promise.all([
      aplab(['sessions', 'import', bad, '--db', db]),
      aplab(['sessions', 'show', 'x', '--db', db]),
      aplab(['sessions', 'rename', '1', '--db', db]),
      aplab(['sessions', 'show', '42', '--db', db]),
    ])
    failsWith(badImport, 1, /^aplab: seed: .*number/)
    failsWith(badId, 2, /<id> must be a positive integer, got 'x'/)
    failsWith(badAction, 2, /unknown sessions action 'rename'/)
    failsWith(missing, 1, /no saved session with id 42/)

    ok(await aplab(['sessions', 'delete', '1', '--db', db]))
    expect(ok(await aplab(['sessions', 'list', '--db', db])).stdout).toMatch(/^no saved sessions in /)
  })

  it('run stores its run; runs list, show, export, diff, import', async () => {
    const text = ok(await aplab(['run', 'builtin:two-guests-one-adapter', '--db', db])).stdout
    expect(text).toMatch(new RegExp(`\\nstored as run 1 in ${db.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\n$`))
    const json = ok(await aplab(['run', 'builtin:two-guests-one-adapter', '--db', db, '--json'])).stdout
    const doc = JSON.parse(json)
    expect(doc).toMatchObject({ format: 'aplab/results@1', runId: '2', session: 'two-guests-one-adapter' })
    ok(await aplab(['run', 'builtin:two-guests-one-adapter', '--db', db, '--no-store']))

    const [list, show, exported, csv, diff] = await Promise.all([
      aplab(['runs', 'list', '--db', db, '--json']),
      aplab(['runs', 'show', '2', '--db', db, '--guest', 'g1']),
      aplab(['runs', 'export', '2', '--db', db]),
      aplab(['runs', 'export', '2', '--db', db, '--format', 'csv', '--out', tmp.file('run2.csv')]),
      aplab(['runs', 'diff', '1', '2', '--db', db, '--json']),
    ])
    const l = JSON.parse(ok(list).stdout)
    expect(l.total).toBe(2)
    expect(l.runs.map((r: { id: number; status: string }) => [r.id, r.status])).toEqual([
      [2, 'finished'],
      [1, 'finished'],
    ])
    expect(ok(show).stdout).toMatch(/^run 2: finished — session 'two-guests-one-adapter'$/m)
    expect(show.stdout).toMatch(
      /^\d+ +g1 +0 +1 +1 +PQAP\(AQIC\) +cc 0 RC 0x00 NORMAL E1R0F0I1 +vfio_ap +vfio_ap\.irq\.enabled$/m,
    )
    expect(show.stdout).not.toMatch(/^\d+ +g2 /m)
    // The stored run exports to exactly what `aplab run --json` printed.
    expect(ok(exported).stdout).toBe(json)
    expect(ok(csv).stdout).toBe(`exported run 2 (csv) to ${tmp.file('run2.csv')}\n`)
    expect(readFileSync(tmp.file('run2.csv'), 'utf8').trimEnd().split('\r\n')).toHaveLength(13)
    expect(JSON.parse(ok(diff).stdout)).toMatchObject({ a: 1, b: 2, compared: 12, changed: 0, onlyA: 0, onlyB: 0 })

    writeFileSync(tmp.file('run2.json'), json)
    expect(ok(await aplab(['runs', 'import', tmp.file('run2.json'), '--db', db])).stdout).toBe(
      `imported run 3 into ${db}\n`,
    )
    const d13 = ok(await aplab(['runs', 'diff', '1', '3', '--db', db])).stdout
    expect(d13).toMatch(/^runs 1 → 3: 12 steps compared, 0 changed/)
    expect(d13).toMatch(/no guest-visible differences/)

    const [badStatus, badFormat, noRun, extra] = await Promise.all([
      aplab(['runs', 'list', '--status', 'lost', '--db', db]),
      aplab(['runs', 'export', '1', '--format', 'xml', '--db', db]),
      aplab(['runs', 'show', '99', '--db', db]),
      aplab(['runs', 'show', '1', '2', '--db', db]),
    ])
    failsWith(badStatus, 2, /--status must be one of running, finished, aborted/)
    failsWith(badFormat, 2, /--format must be json or csv/)
    failsWith(noRun, 1, /no run with id 99/)
    failsWith(extra, 2, /unexpected argument '2'/)
    expect(ok(await aplab(['runs', 'delete', '3', '--db', db, '--json'])).stdout).toBe(
      JSON.stringify({ id: 3, deleted: true }, null, 2) + '\n',
    )
  })

  it('the database: --db, else $APLAB_DB, else the user data directory', async () => {
    const envDb = tmp.file('env.db')
    const xdg = tmp.file('xdg')
    const [viaEnv, viaHome, viaXdg] = await Promise.all([
      aplab(['run', 'builtin:neighbour-apqn'], { APLAB_DB: envDb }),
      aplab(['run', 'builtin:neighbour-apqn']),
      aplab(['run', 'builtin:neighbour-apqn'], { XDG_DATA_HOME: xdg }),
    ])
    expect(ok(viaEnv).stdout).toMatch(`stored as run 1 in ${envDb}\n`)
    const home = join(tmp.file('home'), '.local', 'share', 'aplab', 'aplab.db')
    expect(ok(viaHome).stdout).toMatch(`stored as run 1 in ${home}\n`)
    expect(ok(viaXdg).stdout).toMatch(`stored as run 1 in ${join(xdg, 'aplab', 'aplab.db')}\n`)
    expect(existsSync(home)).toBe(true)
  })

  it('files that are not AP Lab databases are refused and left alone', async () => {
    const junk = tmp.file('junk.db')
    const content = randomBytes(4096)
    writeFileSync(junk, content)
    const [list, run] = await Promise.all([
      aplab(['runs', 'list', '--db', junk]),
      aplab(['run', 'builtin:neighbour-apqn', '--db', junk]),
    ])
    failsWith(list, 1, /^aplab: db: .*junk\.db is not an AP Lab database: it is not an SQLite file/)
    failsWith(run, 1, /not an AP Lab database/)
    expect(bytes(junk).equals(content)).toBe(true)

    // An unusable default database does not stop `aplab run`: it warns and runs without storing.
    const home = tmp.file('home2')
    mkdirSync(join(home, '.local', 'share', 'aplab'), { recursive: true })
    writeFileSync(join(home, '.local', 'share', 'aplab', 'aplab.db'), content)
    const warned = await aplab(['run', 'builtin:neighbour-apqn'], { HOME: home })
    expect(warned.code).toBe(0)
    expect(warned.stderr).toMatch(/^aplab: not storing the run: db: .* is not an AP Lab database.*--no-store/)
    expect(warned.stdout).toMatch(/^session 'neighbour-apqn'/)
    expect(warned.stdout).not.toMatch(/stored as run/)
  })
})
