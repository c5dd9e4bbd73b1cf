// aplab compare / diff / merge as real processes: output, exit codes, one-line errors, shards
// merged equal to one run, and SIGINT.
import { execFile, spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const BIN = join(ROOT, 'bin', 'aplab.mjs')
const DIR = mkdtempSync(join(tmpdir(), 'aplab-matrix-cli-'))
const EXAMPLE = join(ROOT, 'docs', 'examples', 'aqic-by-kernel.json')
afterAll(() => rmSync(DIR, { recursive: true, force: true }))

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
      { cwd: ROOT, env: { ...process.env, COLUMNS: '' }, timeout: 60_000, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) =>
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    )
  })
}

function expectOneLineError(r: Result, code: number, pattern: RegExp): void {
  expect(r.code, r.stderr).toBe(code)
  expect(r.stdout).toBe('')
  expect(r.stderr.endsWith('\n')).toBe(true)
  expect(r.stderr.trimEnd().split('\n')).toHaveLength(1)
  expect(r.stderr).toMatch(/^aplab: /)
  expect(r.stderr).toMatch(pattern)
}

describe('aplab compare', () => {
  it('prints the seed rows, computed', async () => {
    const r = await aplab('compare', 'builtin:seed-2019-03')
    expect(r.code, r.stderr).toBe(0)
    expect(
      r.stdout
        .split('\n')
        .slice(0, 5)
        .map((l) => l.split(/\s{2,}/)),
    ).toEqual([
      ['LINUX', 'VFIO_AP', 'QEMU', 'PGM'],
      ['OLD', 'x', 'x', 'OPERATION'],
      ['NEW', '-', 'OLD', 'SPECIFICATION'],
      ['NEW', '-', 'NEW/apqi=off', 'SPECIFICATION'],
      ['NEW', 'x', 'NEW/apqi=on', '-'],
    ])
  })

  it('a spec file, as HTML into --out', async () => {
    const out = join(DIR, 'report.html')
    const r = await aplab('compare', EXAMPLE, '--format', 'html', '--out', out)
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toBe('')
    const html = readFileSync(out, 'utf8')
    expect(html).toMatch(/^<!doctype html>/)
    expect(html).not.toMatch(/https?:\/\//)
  })

  it('a bad spec: exit 1, one line naming the file and the field', async () => {
    const bad = join(DIR, 'bad.json')
    writeFileSync(
      bad,
      JSON.stringify({
        format: 'aplab/matrix@1',
        name: 'bad',
        title: 'bad',
        dimensions: [{ id: 'k', field: 'kernel', values: [{ value: 'linux-4.0' }] }],
        probes: ['pqap aqic 05.0004'],
      }),
    )
    expectOneLineError(
      await aplab('compare', bad),
      1,
      /bad\.json: dimensions\[0\]\.values\[0\]\.value: unknown kernel profile "linux-4\.0"/,
    )
    expectOneLineError(await aplab('compare', join(DIR, 'missing.json')), 1, /cannot read .*missing\.json.*ENOENT/)
    expectOneLineError(
      await aplab('compare', 'builtin:nope'),
      1,
      /no built-in matrix 'nope' \(built-ins: seed-2019-03, aqic-merged, change-/,
    )
  })

  it('bad command lines: exit 2, one line', async () => {
    expectOneLineError(
      await aplab('compare', 'builtin:seed-2019-03', '--format', 'pdf'),
      2,
      /--format needs one of text, md, csv, json, html/,
    )
    expectOneLineError(
      await aplab('compare', 'builtin:seed-2019-03', '--shard', '3/2'),
      2,
      /--shard: expected 1 ≤ k ≤ n/,
    )
    expectOneLineError(
      await aplab('compare', 'builtin:seed-2019-03', '--shard', '1/2', '--format', 'text'),
      2,
      /--shard writes the JSON/,
    )
    expectOneLineError(await aplab('compare', 'builtin:seed-2019-03', '--table', 'nice'), 2, /--table needs one of/)
  })

  it('--progress prints progress lines on stderr', async () => {
    const r = await aplab('compare', EXAMPLE, '--progress', '--format', 'csv')
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr.trimEnd().split('\n').at(-1)).toBe('progress aqic-by-kernel: 54/54 cells (100%)')
  })
})

describe('aplab compare --shard and aplab merge', () => {
  it('shards merged give exactly the JSON of one run (one shard on worker threads)', async () => {
    const a = join(DIR, 'a.json')
    const b = join(DIR, 'b.json')
    const [one, ra, rb] = await Promise.all([
      aplab('compare', EXAMPLE, '--format', 'json'),
      aplab('compare', EXAMPLE, '--shard', '1/2', '--out', a, '--workers', '2'),
      aplab('compare', EXAMPLE, '--shard', '2/2', '--out', b),
    ])
    for (const r of [one, ra, rb]) expect(r.code, r.stderr).toBe(0)
    const merged = await aplab('merge', b, a)
    expect(merged.code, merged.stderr).toBe(0)
    expect(merged.stdout).toBe(one.stdout)
    const text = await aplab('merge', a, b, '--format', 'text')
    expect(text.stdout).toBe((await aplab('compare', EXAMPLE)).stdout)
  })

  it('a missing shard: exit 1, one line', async () => {
    const a = join(DIR, 'only.json')
    expect((await aplab('compare', EXAMPLE, '--shard', '1/3', '--out', a)).code).toBe(0)
    expectOneLineError(await aplab('merge', a), 1, /only\.json: cells 18–54 are in no shard given/)
    expectOneLineError(await aplab('merge', EXAMPLE), 1, /not an aplab\/matrix-result@1 document/)
  })
})

describe('aplab diff', () => {
  it('linux-5.2 → linux-5.3: the seed change and the no-hook answer', async () => {
    const r = await aplab('diff', 'linux-5.2', 'linux-5.3', 'aqic-enable')
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toContain('1. OPERATION (qemu) → SPECIFICATION (kvm)')
    expect(r.stdout).toContain('after   kvm.pqap.fac65-missing')
    expect(r.stdout).toContain('OPERATION (qemu) → cc 3, RC 0x01 Q_NOT_AVAIL in GR1 bits 0–31 (kvm)')
  })

  it('linux-5.3 → linux-5.7: says there is no guest-visible change, only the host WARN', async () => {
    const r = await aplab('diff', 'linux-5.3', 'linux-5.7', 'fc', '--format', 'md')
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/No guest-visible change from linux-5.3 to linux-5.7/)
    expect(r.stdout).toMatch(/WARN_ON_ONCE/)
  })

  it('profiles of two kinds, or an unknown one: exit 1, one line', async () => {
    expectOneLineError(
      await aplab('diff', 'linux-5.2', 'qemu-4.1'),
      1,
      /profileB: 'linux-5.2' is a kernel profile but 'qemu-4.1' is a QEMU profile/,
    )
    expectOneLineError(await aplab('diff', 'linux-5.2', 'linux-7.7'), 1, /no kernel or QEMU profile named 'linux-7.7'/)
    expectOneLineError(await aplab('diff', 'linux-5.2'), 2, /missing <profileB>/)
  })
})

describe('SIGINT', () => {
  it('stops a sweep: exit 130 and one line', async () => {
    const big = join(DIR, 'big.json')
    writeFileSync(
      big,
      JSON.stringify({
        format: 'aplab/matrix@1',
        name: 'big',
        title: 'big',
        dimensions: Array.from({ length: 5 }, (_, i) => ({
          id: `r${i}`,
          field: `regs.r${i + 3}`,
          values: Array.from({ length: 10 }, (_, v) => ({ value: v })),
        })),
        probes: ['pqap aqic 05.0004 ir=1 isc=6 nib=0x2000'],
      }),
    )
    const child = spawn(process.execPath, [BIN, 'compare', big, '--progress', '--no-trace'], { cwd: ROOT })
    let stderr = ''
    let sent = false
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString()
      if (!sent && /progress big: [1-9]/.test(stderr)) {
        sent = true
        child.kill('SIGINT')
      }
    })
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)))
    expect(code, stderr).toBe(130)
    const last = stderr.trimEnd().split('\n').at(-1)!
    expect(last).toMatch(/^aplab: interrupted \(SIGINT\): sweep interrupted after \d+ of 100000 cells$/)
  })
})
