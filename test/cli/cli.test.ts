import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { UsageError, parseArgs } from '../../src-main/cli/args'
import { COMMANDS } from '../../src-main/cli/main'
import { formatTable } from '../../src-main/cli/table'
import type { KernelProfile, QemuProfile } from '../../src-preload/contract'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const BIN = join(ROOT, 'bin', 'aplab.mjs')

interface Result {
  code: number
  stdout: string
  stderr: string
}

function aplab(...args: string[]): Promise<Result> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { cwd: ROOT, env: { ...process.env, COLUMNS: '', NO_COLOR: '1' }, timeout: 30_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0
        resolve({ code, stdout, stderr })
      },
    )
  })
}

function expectUsageError(r: Result, message: string): void {
  expect(r.code, r.stderr).toBe(2)
  expect(r.stdout).toBe('')
  expect(r.stderr).toBe(`aplab: ${message}\n`)
}

describe('aplab (real process)', () => {
  it('--help lists every command', async () => {
    for (const r of await Promise.all([aplab('--help'), aplab('help'), aplab()])) {
      expect(r.code, r.stderr).toBe(0)
      expect(r.stderr).toBe('')
      expect(r.stdout).toMatch(/^Usage: aplab <command>/m)
      for (const cmd of COMMANDS) expect(r.stdout).toMatch(new RegExp(`^  ${cmd.name} +\\S`, 'm'))
      expect(r.stdout).toContain('--json')
      expect(r.stdout).toContain('--db <file>')
    }
  })

  it('<command> --help shows its options', async () => {
    const r = await aplab('serve', '--help')
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/^Usage: aplab serve \[--port <N>\] \[--no-open\] \[--json\] \[--db <file>\]$/m)
    expect((await aplab('help', 'profiles')).stdout).toMatch(/^Usage: aplab profiles \[<id>\]/m)
  })

  it('--version prints the package version', async () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }
    const r = await aplab('--version')
    expect(r).toEqual({ code: 0, stdout: `${pkg.version}\n`, stderr: '' })
  })

  it('profiles prints an aligned table of both kinds', async () => {
    const r = await aplab('profiles')
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr).toBe('')
    const lines = r.stdout.split('\n')
    expect(lines[0]).toBe('Kernel profiles (15)')
    expect(r.stdout).toContain('QEMU profiles (7)')
    const header = lines[1]!
    expect(header).toMatch(/^ID +DATE +LABEL +SOURCES$/)
    const dateCol = header.indexOf('DATE')
    const row = lines.find((l) => l.startsWith('linux-5.3 '))!
    expect(row.slice(dateCol, dateCol + 10)).toBe('2019-09-15')
    expect(row.slice(header.indexOf('SOURCES'))).toMatch(/^e5282de93105 /)
    for (const id of ['linux-5.2', 'aqic-v5-alt', 'linux-latest', 'qemu-3.0', 'qemu-4.1', 'qemu-10.1']) {
      expect(r.stdout).toMatch(new RegExp(`^${id} `, 'm'))
    }
  })

  it('profiles --json lists all 15 kernel and 7 QEMU profiles with sources', async () => {
    const r = await aplab('profiles', '--json')
    expect(r.code, r.stderr).toBe(0)
    const { kernel, qemu } = JSON.parse(r.stdout) as { kernel: KernelProfile[]; qemu: QemuProfile[] }
    expect(kernel).toHaveLength(15)
    expect(qemu).toHaveLength(7)
    for (const p of [...kernel, ...qemu]) {
      expect(p.sources.length, p.id).toBeGreaterThan(0)
      expect(p.date, p.id).toMatch(/^(\d{4}-\d{2}-\d{2}|current)$/)
      expect(p.label, p.id).not.toBe('')
    }
    expect(kernel.every((p) => p.kind === 'kernel' && typeof p.kvm === 'object' && typeof p.vfioAp === 'object')).toBe(
      true,
    )
    expect(qemu.map((p) => p.id)).toContain('qemu-4.1')
    expect(kernel.find((p) => p.id === 'linux-5.3')?.kvm.fac65Gating).toBe('host65+aiv')
  })

  it('profiles <id> shows one profile; an unknown id fails with one line', async () => {
    const r = await aplab('profiles', 'linux-5.3')
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/^kvm\.fac65Gating +host65\+aiv$/m)
    expect(r.stdout).toMatch(/^kvm\.apxaMask +0xc0f0$/m)
    const missing = await aplab('profiles', 'linux-0.1')
    expect(missing.code).toBe(1)
    expect(missing.stderr).toMatch(/^aplab: .*linux-0\.1.*\n$/)
  })

  it('an unknown command exits 2 with exactly one line', async () => {
    expectUsageError(await aplab('frobnicate'), "unknown command 'frobnicate' (see aplab --help)")
  })

  it('bad options and arguments exit 2 with exactly one line', async () => {
    const cases: [string[], string][] = [
      [['serve', '--port', 'abc'], "--port needs an integer 0–65535, got 'abc'"],
      [['serve', '--port=70000'], "--port needs an integer 0–65535, got '70000'"],
      [['serve', '--port'], '--port needs an integer 0–65535'],
      [['profiles', '--bogus'], "unknown option '--bogus' (see aplab profiles --help)"],
      [['profiles', 'a', 'b'], "unexpected argument 'b' (see aplab profiles --help)"],
      [['profiles', '--json=yes'], '--json takes no value'],
      [['--frob'], "unknown option '--frob' (see aplab --help)"],
    ]
    const results = await Promise.all(cases.map(([argv]) => aplab(...argv)))
    results.forEach((r, k) => expectUsageError(r, cases[k]![1]))
  })
})

describe('parseArgs', () => {
  const spec = {
    command: 'demo',
    options: [
      { name: 'port', type: 'int', min: 0, max: 10, description: 'p' },
      { name: 'tag', type: 'string', repeatable: true, value: 'name', description: 't' },
      { name: 'cpu', type: 'string', description: 'c' },
      { name: 'fast', type: 'flag', description: 'f' },
    ],
    positionals: [
      { name: 'input', required: true },
      { name: 'rest', variadic: true },
    ],
  } as const

  it('parses every option type and the common options', () => {
    const r = parseArgs(spec, [
      'in',
      '--port',
      '3',
      '--tag=a',
      'x',
      '--tag',
      'b',
      '--fast',
      '--json',
      '--db',
      'f.db',
      'y',
    ])
    expect(r.help).toBe(false)
    expect(r.positionals).toEqual(['in', 'x', 'y'])
    expect(r.options).toEqual({ port: 3, tag: ['a', 'b'], cpu: undefined, fast: true, json: true, db: 'f.db' })
  })

  it('gives defaults when options are absent', () => {
    expect(parseArgs(spec, ['in']).options).toEqual({
      port: undefined,
      tag: [],
      cpu: undefined,
      fast: false,
      json: false,
      db: undefined,
    })
  })

  it('stops at -- and accepts negative-looking values for ints only where they are values', () => {
    expect(parseArgs(spec, ['--', '--port', '-x']).positionals).toEqual(['--port', '-x'])
    expect(() => parseArgs(spec, ['in', '--port', '-1'])).toThrow("--port needs an integer 0–10, got '-1'")
  })

  it('reports every kind of mistake as a UsageError', () => {
    const cases: [string[], string][] = [
      [[], 'missing <input> (see aplab demo --help)'],
      [['in', '--port', '1', '--port', '2'], '--port given more than once'],
      [['in', '--cpu'], '--cpu needs a value'],
      [['in', '--cpu', '--fast'], '--cpu needs a value'],
      [['in', '--tag='], '--tag needs a name'],
      [['in', '-x'], "unknown option '-x' (see aplab demo --help)"],
      [['in', '--fast=1'], '--fast takes no value'],
      [['in', '--port', '1.5'], "--port needs an integer 0–10, got '1.5'"],
    ]
    for (const [argv, message] of cases) {
      expect(() => parseArgs(spec, argv), argv.join(' ')).toThrow(new UsageError(message))
    }
  })

  it('notices --help anywhere', () => {
    expect(parseArgs(spec, ['--port', '3', '-h']).help).toBe(true)
  })
})

describe('formatTable', () => {
  it('aligns columns and wraps the last one under itself', () => {
    const out = formatTable(
      ['ID', 'TEXT'],
      [
        ['a', 'one two three four five six seven eight nine ten eleven'],
        ['bbbb', ['x', 'y']],
      ],
      { width: 46 },
    )
    expect(out).toBe(
      [
        'ID    TEXT',
        'a     one two three four five six seven eight',
        '      nine ten eleven',
        'bbbb  x',
        '      y',
        '',
      ].join('\n'),
    )
  })

  it('moves the last column below each row when the terminal is too narrow for it', () => {
    const out = formatTable(['ID', 'LABEL', 'SOURCES'], [['linux-5.3', 'x'.repeat(30), ['first source', 'second']]], {
      width: 60,
    })
    expect(out).toBe(
      ['ID         LABEL', '    SOURCES', `linux-5.3  ${'x'.repeat(30)}`, '    first source', '    second', ''].join(
        '\n',
      ),
    )
  })
})
