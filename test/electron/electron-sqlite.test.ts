import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, relative } from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import {
  ELECTRON_HEADERS_URL,
  electronSqliteBindingPath,
  addonModuleVersions,
  ensureElectronSqliteBinding,
  locateNodeGyp,
  nodeGypEnv,
  spawnRunner,
  type ProcessRunner,
} from '../../src-main/native/electron-sqlite'

const ELECTRON_ADDON = 'ELECTRON-ABI\0node_register_module_v140\0'
const NODE_GYP = { command: '/usr/bin/node', args: ['/npm/node_modules/node-gyp/bin/node-gyp.js'] }

let root: string
let packageDir: string
let userDataDir: string
let tempRoot: string

const nodeAbiAddon = () => join(packageDir, 'build', 'Release', 'better_sqlite3.node')
const target = (version = '39.5.0') => electronSqliteBindingPath(version, userDataDir, 'x64')

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'aplab-sqlite-test-'))
  packageDir = join(root, 'node_modules', 'better-sqlite3')
  userDataDir = join(root, 'userData')
  tempRoot = join(root, 'tmp')
  mkdirSync(tempRoot)
  mkdirSync(join(packageDir, 'src'), { recursive: true })
  mkdirSync(join(packageDir, 'deps'), { recursive: true })
  mkdirSync(dirname(nodeAbiAddon()), { recursive: true })
  mkdirSync(join(packageDir, 'node_modules', 'bindings'), { recursive: true })
  writeFileSync(join(packageDir, 'package.json'), JSON.stringify({ name: 'better-sqlite3', version: '12.6.2' }))
  writeFileSync(join(packageDir, 'binding.gyp'), '{}')
  writeFileSync(join(packageDir, 'src', 'better_sqlite3.cpp'), '// source')
  writeFileSync(join(packageDir, 'deps', 'sqlite3.gyp'), '{}')
  writeFileSync(nodeAbiAddon(), 'NODE-ABI')
  writeFileSync(join(packageDir, 'node_modules', 'bindings', 'index.js'), '')
})

afterEach(() => {
  rmSync(root, { recursive: true, force: true })
})

/** A node-gyp stand-in: records what it saw, then "builds" (writes the addon) or fails. */
function fakeNodeGyp(behaviour: {
  code?: number
  output?: string
  writeAddon?: boolean
  addon?: string
  throws?: Error
}) {
  const seen: { cwd: string; copied: string[]; hadBuildDir: boolean; env: NodeJS.ProcessEnv }[] = []
  const run = vi.fn<ProcessRunner>(async (_command, _args, opts) => {
    seen.push({
      cwd: opts.cwd,
      copied: readdirSync(opts.cwd, { recursive: true }).map(String).sort(),
      hadBuildDir: existsSync(join(opts.cwd, 'build')),
      env: opts.env,
    })
    if (behaviour.throws) throw behaviour.throws
    if (behaviour.writeAddon ?? behaviour.code === 0) {
      mkdirSync(join(opts.cwd, 'build', 'Release'), { recursive: true })
      writeFileSync(join(opts.cwd, 'build', 'Release', 'better_sqlite3.node'), behaviour.addon ?? ELECTRON_ADDON)
    }
    return { code: behaviour.code ?? 0, output: behaviour.output ?? '' }
  })
  return { run, seen }
}

function ensure(run: ProcessRunner, electronVersion = '39.5.0') {
  return ensureElectronSqliteBinding({
    electronVersion,
    userDataDir,
    arch: 'x64',
    packageDir,
    run,
    nodeGyp: NODE_GYP,
    tempRoot,
    moduleVersion: '140',
    env: {
      PATH: '/usr/bin',
      npm_config_nodedir: '/usr',
      npm_config_target: '20.20.2',
      npm_config_https_proxy: 'http://p:3128',
    },
  })
}

describe('electronSqliteBindingPath', () => {
  it('is <userData>/native/electron-<version>-<arch>/better_sqlite3.node', () => {
    expect(electronSqliteBindingPath('39.5.0', '/home/u/.config/AP Lab', 'x64')).toBe(
      join('/home/u/.config/AP Lab', 'native', 'electron-39.5.0-x64', 'better_sqlite3.node'),
    )
    expect(electronSqliteBindingPath('40.0.0-beta.3', '/d', 's390x')).toBe(
      join('/d', 'native', 'electron-40.0.0-beta.3-s390x', 'better_sqlite3.node'),
    )
    expect(electronSqliteBindingPath('39.5.0', '/d')).toBe(
      join('/d', 'native', `electron-39.5.0-${process.arch}`, 'better_sqlite3.node'),
    )
  })

  it('refuses versions and arches that could escape the directory', () => {
    expect(() => electronSqliteBindingPath('../../etc', '/d', 'x64')).toThrow(/Electron version/)
    expect(() => electronSqliteBindingPath('', '/d', 'x64')).toThrow(/Electron version/)
    expect(() => electronSqliteBindingPath('39.5.0', '/d', 'x64/../../x')).toThrow(/architecture/)
  })
})

describe('ensureElectronSqliteBinding', () => {
  it('builds in a temporary copy with the Electron flags and installs the addon under userData', async () => {
    const { run, seen } = fakeNodeGyp({ code: 0 })
    const res = await ensure(run)

    expect(res).toEqual({ ok: true, path: target(), built: true })
    expect(readFileSync(target(), 'utf8')).toBe(ELECTRON_ADDON)
    expect(readFileSync(`${target()}.version`, 'utf8').trim()).toBe('12.6.2')

    expect(run).toHaveBeenCalledTimes(1)
    const [command, args] = run.mock.calls[0]!
    expect(command).toBe(NODE_GYP.command)
    expect(args.slice(0, 2)).toEqual([NODE_GYP.args[0], 'rebuild'])
    expect(args).toEqual(
      expect.arrayContaining([
        '--runtime=electron',
        '--target=39.5.0',
        '--arch=x64',
        `--dist-url=${ELECTRON_HEADERS_URL}`,
      ]),
    )
    expect(ELECTRON_HEADERS_URL).toBe('https://electronjs.org/headers')
    // npm's nodedir/target settings would otherwise override those flags inside node-gyp.
    expect(seen[0]!.env).toMatchObject({
      PATH: '/usr/bin',
      npm_config_https_proxy: 'http://p:3128',
      npm_config_nodedir: '',
      npm_config_target: '39.5.0',
      npm_config_runtime: 'electron',
      npm_config_dist_url: ELECTRON_HEADERS_URL,
    })

    // The copy is elsewhere, has the sources, and leaves out the Node-ABI build and the package's own deps.
    const { cwd, copied, hadBuildDir } = seen[0]!
    expect(relative(packageDir, cwd).startsWith('..')).toBe(true)
    expect(copied).toEqual(
      expect.arrayContaining([
        'binding.gyp',
        'package.json',
        join('src', 'better_sqlite3.cpp'),
        join('deps', 'sqlite3.gyp'),
      ]),
    )
    expect(hadBuildDir).toBe(false)
    expect(copied.some((p) => p.startsWith('node_modules'))).toBe(false)

    expect(readFileSync(nodeAbiAddon(), 'utf8')).toBe('NODE-ABI')
    expect(existsSync(cwd)).toBe(false)
    expect(readdirSync(tempRoot)).toEqual([])
  })

  it('does not rebuild when the addon for this better-sqlite3 version is already there', async () => {
    await ensure(fakeNodeGyp({ code: 0 }).run)
    const second = fakeNodeGyp({ code: 0 })
    await expect(ensure(second.run)).resolves.toEqual({ ok: true, path: target(), built: false })
    expect(second.run).not.toHaveBeenCalled()
  })

  it('rebuilds when better-sqlite3 was upgraded since the last build', async () => {
    await ensure(fakeNodeGyp({ code: 0 }).run)
    writeFileSync(join(packageDir, 'package.json'), JSON.stringify({ version: '12.7.0' }))
    const again = fakeNodeGyp({ code: 0 })
    await expect(ensure(again.run)).resolves.toMatchObject({ ok: true, built: true })
    expect(again.run).toHaveBeenCalledTimes(1)
    expect(readFileSync(`${target()}.version`, 'utf8').trim()).toBe('12.7.0')
  })

  it('a build that cannot fetch the headers returns a clear error and writes nothing', async () => {
    const output =
      'gyp http GET https://electronjs.org/headers/v39.5.0/node-v39.5.0-headers.tar.gz\ngyp ERR! stack Error: getaddrinfo ENOTFOUND electronjs.org'
    const { run, seen } = fakeNodeGyp({ code: 1, output, writeAddon: false })
    const res = await ensure(run)

    expect(res.ok).toBe(false)
    if (res.ok) return
    expect(res.path).toBe(target())
    expect(res.error.reason).toBe('build-failed')
    expect(res.error.message).toContain('Electron 39.5.0 (x64)')
    expect(res.error.message).toContain('node-gyp exited with code 1')
    expect(res.error.message).toContain('https://electronjs.org/headers')
    expect(res.error.message).toMatch(/no network/)
    expect(res.error.message).toMatch(/without saving/)
    expect(res.error.detail).toContain('ENOTFOUND')

    expect(existsSync(join(userDataDir, 'native'))).toBe(false)
    expect(readFileSync(nodeAbiAddon(), 'utf8')).toBe('NODE-ABI')
    expect(existsSync(seen[0]!.cwd)).toBe(false)
  })

  it('a failed rebuild leaves the previous addon and its stamp untouched', async () => {
    await ensure(fakeNodeGyp({ code: 0 }).run)
    writeFileSync(join(packageDir, 'package.json'), JSON.stringify({ version: '12.7.0' }))
    const failing = fakeNodeGyp({ code: 1, output: 'gyp ERR! build error: make failed', writeAddon: true })

    const res = await ensure(failing.run)
    expect(res).toMatchObject({ ok: false, error: { reason: 'build-failed' } })
    expect(!res.ok && res.error.message).toContain('C++ compiler')
    expect(readFileSync(target(), 'utf8')).toBe(ELECTRON_ADDON)
    expect(readFileSync(`${target()}.version`, 'utf8').trim()).toBe('12.6.2')
    expect(readdirSync(dirname(target())).sort()).toEqual(['better_sqlite3.node', 'better_sqlite3.node.version'])
  })

  it('refuses an addon built for the wrong ABI and keeps the previous one', async () => {
    await ensure(fakeNodeGyp({ code: 0 }).run)
    writeFileSync(join(packageDir, 'package.json'), JSON.stringify({ version: '12.7.0' }))
    const nodeAbi = fakeNodeGyp({ code: 0, addon: 'NODE\0node_register_module_v115\0' })

    const res = await ensure(nodeAbi.run)
    expect(res).toMatchObject({ ok: false, path: target(), error: { reason: 'wrong-abi' } })
    expect(!res.ok && res.error.message).toMatch(/NODE_MODULE_VERSION 115.*needs 140/)
    expect(readFileSync(target(), 'utf8')).toBe(ELECTRON_ADDON)
    expect(readFileSync(`${target()}.version`, 'utf8').trim()).toBe('12.6.2')
  })

  it('reports a node-gyp that could not be started, or that produced no addon', async () => {
    const missing = await ensure(
      fakeNodeGyp({ throws: Object.assign(new Error('spawn npx ENOENT'), { code: 'ENOENT' }) }).run,
    )
    expect(missing).toMatchObject({ ok: false, error: { reason: 'build-failed' } })
    expect(!missing.ok && missing.error.message).toContain('could not be started (spawn npx ENOENT)')

    const empty = await ensure(fakeNodeGyp({ code: 0, writeAddon: false }).run)
    expect(!empty.ok && empty.error.message).toContain('produced no better_sqlite3.node')
    expect(existsSync(join(userDataDir, 'native'))).toBe(false)
  })

  it('returns an error instead of throwing when the temporary copy cannot be made', async () => {
    const { run } = fakeNodeGyp({ code: 0 })
    const res = await ensureElectronSqliteBinding({
      electronVersion: '39.5.0',
      userDataDir,
      arch: 'x64',
      packageDir,
      run,
      nodeGyp: NODE_GYP,
      tempRoot: join(root, 'no', 'such', 'dir'),
    })
    expect(res).toMatchObject({ ok: false, path: target(), error: { reason: 'build-failed' } })
    expect(!res.ok && res.error.message).toMatch(/could not prepare its SQLite module.*ENOENT/)
    expect(run).not.toHaveBeenCalled()
    expect(existsSync(join(userDataDir, 'native'))).toBe(false)
  })

  it('returns an error without running anything when the source or the target is unusable', async () => {
    const { run } = fakeNodeGyp({ code: 0 })
    rmSync(packageDir, { recursive: true })
    await expect(ensure(run)).resolves.toMatchObject({ ok: false, error: { reason: 'source-missing' } })
    await expect(ensure(run, '../x')).resolves.toMatchObject({ ok: false, error: { reason: 'bad-target' } })
    expect(run).not.toHaveBeenCalled()
  })
})

describe('nodeGypEnv', () => {
  it('drops npm settings that would retarget node-gyp, keeps network ones, and pins Electron', () => {
    const env = nodeGypEnv(
      {
        PATH: '/bin',
        HOME: '/root',
        npm_config_nodedir: '/usr',
        NPM_CONFIG_TARGET: '20.20.2',
        npm_config_runtime: 'node',
        npm_config_disturl: 'https://nodejs.org/dist',
        npm_package_config_node_gyp_nodedir: '/usr',
        npm_config_proxy: 'http://proxy:3128',
        npm_config_cafile: '/etc/ssl/ca.pem',
      },
      '39.5.0',
      'arm64',
    )
    expect(env).toEqual({
      PATH: '/bin',
      HOME: '/root',
      npm_config_proxy: 'http://proxy:3128',
      npm_config_cafile: '/etc/ssl/ca.pem',
      npm_config_nodedir: '',
      npm_config_runtime: 'electron',
      npm_config_target: '39.5.0',
      npm_config_arch: 'arm64',
      npm_config_dist_url: ELECTRON_HEADERS_URL,
      npm_config_disturl: ELECTRON_HEADERS_URL,
    })
  })

  it('addonModuleVersions reads the ABI an addon registers for', async () => {
    const file = join(root, 'a.node')
    writeFileSync(file, Buffer.from('\x7fELF\0node_register_module_v140\0xx\0node_register_module_v140\0'))
    await expect(addonModuleVersions(file)).resolves.toEqual(['140'])
  })
})

describe('locateNodeGyp', () => {
  it("prefers npm's bundled node-gyp", () => {
    const script = join(root, 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js')
    mkdirSync(dirname(script), { recursive: true })
    writeFileSync(script, '')
    expect(locateNodeGyp({ npm_config_node_gyp: script, PATH: '' })).toEqual({
      command: process.execPath,
      args: [script],
    })

    const viaExecpath = { npm_execpath: join(root, 'npm', 'bin', 'npm-cli.js'), PATH: '' }
    expect(locateNodeGyp(viaExecpath)).toEqual({ command: process.execPath, args: [script] })
  })

  it('falls back to npx when no node-gyp can be found', () => {
    const res = locateNodeGyp({ PATH: '' }, () => false)
    expect(res.command).toMatch(/^npx(\.cmd)?$/)
    expect(res.args).toEqual(['--yes', 'node-gyp'])
  })
})

describe('spawnRunner', () => {
  it('runs a process and reports its exit code and output', async () => {
    const res = await spawnRunner(
      process.execPath,
      ['-e', 'console.log("out"); console.error("err"); process.exit(3)'],
      {
        cwd: root,
        env: process.env,
        timeoutMs: 20_000,
      },
    )
    expect(res.code).toBe(3)
    expect(res.output).toContain('out')
    expect(res.output).toContain('err')
  })

  it('kills a process that runs past the timeout', async () => {
    const res = await spawnRunner(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], {
      cwd: root,
      env: process.env,
      timeoutMs: 200,
    })
    expect(res.code).not.toBe(0)
    expect(res.output).toContain('killed after')
  })

  it('rejects when the command does not exist', async () => {
    await expect(
      spawnRunner(join(root, 'no-such-binary'), [], { cwd: root, env: process.env, timeoutMs: 1000 }),
    ).rejects.toThrow(/ENOENT/)
  })
})
