// The desktop app's own copy of better-sqlite3's native addon, compiled for Electron's ABI.
// node_modules/better-sqlite3 stays built for Node (tests, CLI, browser mode) and is never touched:
// the build runs in a temporary copy and only a finished addon is moved into userData.
import { spawn } from 'node:child_process'
import { existsSync, realpathSync, statSync } from 'node:fs'
import { copyFile, cp, mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { delimiter, dirname, join } from 'node:path'

export const ELECTRON_HEADERS_URL = 'https://electronjs.org/headers'

const VERSION_RE = /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$/
const ARCH_RE = /^[a-z0-9_]+$/

/** `<userDataDir>/native/electron-<version>-<arch>/better_sqlite3.node`. Throws on a version or arch that is not one. */
export function electronSqliteBindingPath(
  electronVersion: string,
  userDataDir: string,
  arch: string = process.arch,
): string {
  if (!VERSION_RE.test(electronVersion)) throw new Error(`not an Electron version: '${electronVersion}'`)
  if (!ARCH_RE.test(arch)) throw new Error(`not a CPU architecture: '${arch}'`)
  return join(userDataDir, 'native', `electron-${electronVersion}-${arch}`, 'better_sqlite3.node')
}

export interface RunResult {
  code: number | null
  /** The tail of stdout and stderr, interleaved. */
  output: string
}

export type ProcessRunner = (
  command: string,
  args: readonly string[],
  opts: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number },
) => Promise<RunResult>

export interface NodeGypCommand {
  command: string
  /** Arguments that come before node-gyp's own (the script path, or npx's). */
  args: string[]
}

export interface ElectronSqliteError {
  reason: 'bad-target' | 'source-missing' | 'build-failed' | 'wrong-abi' | 'install-failed'
  /** A paragraph the desktop app can show as is. */
  message: string
  /** The end of node-gyp's output, for the log. */
  detail: string
}

export type ElectronSqliteBinding =
  { ok: true; path: string; built: boolean } | { ok: false; path: string; error: ElectronSqliteError }

export interface EnsureOptions {
  electronVersion: string
  userDataDir: string
  arch?: string
  /** The installed better-sqlite3 package (default: resolved from this module). */
  packageDir?: string
  run?: ProcessRunner
  nodeGyp?: NodeGypCommand
  tempRoot?: string
  timeoutMs?: number
  /** Electron's NODE_MODULE_VERSION, checked in the built addon (default: `process.versions.modules` inside Electron). */
  moduleVersion?: string
  /** The environment node-gyp starts from (default: `process.env`), before `nodeGypEnv` cleans it. */
  env?: NodeJS.ProcessEnv
}

const OUTPUT_TAIL = 16_000

export const spawnRunner: ProcessRunner = (command, args, opts) =>
  new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: opts.cwd,
      env: opts.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      // npx is a .cmd script on Windows, which Node only runs through a shell.
      shell: process.platform === 'win32' && command.endsWith('.cmd'),
      windowsHide: true,
    })
    let output = ''
    const collect = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-OUTPUT_TAIL)
    }
    child.stdout.on('data', collect)
    child.stderr.on('data', collect)
    const timer = setTimeout(() => {
      output += `\n(killed after ${Math.round(opts.timeoutMs / 1000)} s)`
      child.kill('SIGKILL')
    }, opts.timeoutMs)
    child.on('error', (err) => {
      clearTimeout(timer)
      reject(err)
    })
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, output })
    })
  })

function findOnPath(name: string, env: NodeJS.ProcessEnv, exists: (p: string) => boolean): string | undefined {
  const exts = process.platform === 'win32' ? ['.exe', '.cmd', ''] : ['']
  for (const dir of (env.PATH ?? env.Path ?? '').split(delimiter)) {
    if (!dir) continue
    for (const ext of exts) {
      const candidate = join(dir, name + ext)
      if (exists(candidate)) return candidate
    }
  }
  return undefined
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile()
  } catch {
    return false
  }
}

const KEPT_NPM_CONFIG = /^npm_config_(https?_proxy|proxy|no_?proxy|cafile|ca|strict_ssl|devdir|python|msvs_version)$/i

/**
 * The environment for node-gyp. node-gyp lets `npm_config_*` variables override its command line, and `npm start`
 * exports the user's npm config (a `nodedir=/usr` there silently yields a Node-ABI build), so everything but network
 * settings is dropped and the Electron target is pinned here as well.
 */
export function nodeGypEnv(base: NodeJS.ProcessEnv, electronVersion: string, arch: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [key, value] of Object.entries(base)) {
    if (/^npm_package_config_node_gyp_/i.test(key)) continue
    if (/^npm_config_/i.test(key) && !KEPT_NPM_CONFIG.test(key)) continue
    env[key] = value
  }
  return {
    ...env,
    npm_config_nodedir: '',
    npm_config_runtime: 'electron',
    npm_config_target: electronVersion,
    npm_config_arch: arch,
    npm_config_dist_url: ELECTRON_HEADERS_URL,
    npm_config_disturl: ELECTRON_HEADERS_URL,
  }
}

/** The NODE_MODULE_VERSIONs an addon registers itself for (`node_register_module_v<N>` symbols). */
export async function addonModuleVersions(file: string): Promise<string[]> {
  const text = (await readFile(file)).toString('latin1')
  return [...new Set([...text.matchAll(/node_register_module_v(\d+)/g)].map((m) => m[1]!))]
}

/**
 * npm's bundled node-gyp run by the `node` on PATH (better-sqlite3's gyp files call `node` themselves,
 * so a Node on PATH is needed either way), else `npx --yes node-gyp`.
 */
export function locateNodeGyp(
  env: NodeJS.ProcessEnv = process.env,
  exists: (p: string) => boolean = isFile,
): NodeGypCommand {
  const node = process.versions.electron === undefined ? process.execPath : findOnPath('node', env, exists)
  const candidates: string[] = []
  if (env.npm_config_node_gyp) candidates.push(env.npm_config_node_gyp)
  if (env.npm_execpath)
    candidates.push(join(dirname(env.npm_execpath), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'))
  const npm = findOnPath('npm', env, exists)
  if (npm) {
    let npmCli = npm
    try {
      npmCli = realpathSync(npm)
    } catch {
      // keep the unresolved path
    }
    candidates.push(join(dirname(npmCli), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'))
    candidates.push(join(dirname(npm), 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'))
  }
  const script = candidates.find((c) => exists(c))
  if (node && script) return { command: node, args: [script] }
  return { command: process.platform === 'win32' ? 'npx.cmd' : 'npx', args: ['--yes', 'node-gyp'] }
}

function defaultPackageDir(): string {
  return dirname(createRequire(import.meta.url).resolve('better-sqlite3/package.json'))
}

async function packageVersion(packageDir: string): Promise<string> {
  const pkg = JSON.parse(await readFile(join(packageDir, 'package.json'), 'utf8')) as { version?: unknown }
  if (typeof pkg.version !== 'string') throw new Error(`${packageDir}/package.json has no version`)
  return pkg.version
}

async function readStamp(path: string): Promise<string | undefined> {
  try {
    return (await readFile(path, 'utf8')).trim()
  } catch {
    return undefined
  }
}

const NETWORK_RE =
  /network|ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH|getaddrinfo|socket hang up|certificate|proxy/i

function buildFailure(electronVersion: string, arch: string, why: string, output: string): ElectronSqliteError {
  const cause = NETWORK_RE.test(output)
    ? `Electron's headers could not be downloaded from ${ELECTRON_HEADERS_URL} (no network access?).`
    : `Building needs network access to ${ELECTRON_HEADERS_URL} (for Electron's headers), Python 3 and a C++ compiler.`
  return {
    reason: 'build-failed',
    message:
      `The desktop app could not build its SQLite module for Electron ${electronVersion} (${arch}): ${why}. ${cause} ` +
      'AP Lab runs without saving anything until this works; it tries again on the next start.',
    detail: output.slice(-4000),
  }
}

/**
 * Returns the Electron-ABI better_sqlite3.node for this Electron, building it on first use. Never throws and never
 * writes outside `<userDataDir>/native` and its own temporary directory; a failed build leaves every existing file
 * as it was.
 */
export async function ensureElectronSqliteBinding(opts: EnsureOptions): Promise<ElectronSqliteBinding> {
  try {
    return await ensureBinding(opts)
  } catch (err) {
    let path = ''
    try {
      path = electronSqliteBindingPath(opts.electronVersion, opts.userDataDir, opts.arch)
    } catch {
      // already reported as bad-target when it fails
    }
    const message =
      `The desktop app could not prepare its SQLite module: ${(err as Error).message}. ` +
      'AP Lab runs without saving anything until this works; it tries again on the next start.'
    return { ok: false, path, error: { reason: 'build-failed', message, detail: (err as Error).stack ?? '' } }
  }
}

async function ensureBinding(opts: EnsureOptions): Promise<ElectronSqliteBinding> {
  const arch = opts.arch ?? process.arch
  let target: string
  try {
    target = electronSqliteBindingPath(opts.electronVersion, opts.userDataDir, arch)
  } catch (err) {
    const message = `The desktop app cannot place its SQLite module: ${(err as Error).message}.`
    return { ok: false, path: '', error: { reason: 'bad-target', message, detail: '' } }
  }
  const stampPath = `${target}.version`

  let packageDir: string
  let version: string
  try {
    packageDir = opts.packageDir ?? defaultPackageDir()
    version = await packageVersion(packageDir)
  } catch (err) {
    const message = `The desktop app cannot find better-sqlite3 to build its SQLite module: ${(err as Error).message}.`
    return { ok: false, path: target, error: { reason: 'source-missing', message, detail: '' } }
  }

  if (existsSync(target) && (await readStamp(stampPath)) === version) return { ok: true, path: target, built: false }

  const run = opts.run ?? spawnRunner
  const gyp = opts.nodeGyp ?? locateNodeGyp()
  const work = await mkdtemp(join(opts.tempRoot ?? tmpdir(), 'aplab-sqlite-'))
  try {
    const src = join(work, 'better-sqlite3')
    await cp(packageDir, src, {
      recursive: true,
      filter: (from) => !/^[\\/](build|node_modules|\.git)$/.test(from.slice(packageDir.length)),
    })
    const args = [
      ...gyp.args,
      'rebuild',
      '--release',
      '--runtime=electron',
      `--target=${opts.electronVersion}`,
      `--arch=${arch}`,
      `--dist-url=${ELECTRON_HEADERS_URL}`,
      '--jobs=max',
    ]
    let result: RunResult
    try {
      result = await run(gyp.command, args, {
        cwd: src,
        env: nodeGypEnv(opts.env ?? process.env, opts.electronVersion, arch),
        timeoutMs: opts.timeoutMs ?? 20 * 60_000,
      })
    } catch (err) {
      const why = `${gyp.command} could not be started (${(err as Error).message})`
      return { ok: false, path: target, error: buildFailure(opts.electronVersion, arch, why, '') }
    }
    const built = join(src, 'build', 'Release', 'better_sqlite3.node')
    if (result.code !== 0 || !existsSync(built)) {
      const why =
        result.code !== 0 ? `node-gyp exited with code ${result.code}` : 'node-gyp produced no better_sqlite3.node'
      return { ok: false, path: target, error: buildFailure(opts.electronVersion, arch, why, result.output) }
    }

    const expected = opts.moduleVersion ?? (process.versions.electron ? process.versions.modules : undefined)
    if (expected !== undefined) {
      const found = await addonModuleVersions(built)
      if (!found.includes(expected)) {
        const message =
          `The desktop app built its SQLite module for the wrong ABI (NODE_MODULE_VERSION ${found.join(', ') || 'unknown'}, ` +
          `Electron ${opts.electronVersion} needs ${expected}), so it was not installed. Check for npm settings such as ` +
          "'nodedir' or 'target' that point node-gyp at Node's headers. AP Lab runs without saving anything until this works."
        return { ok: false, path: target, error: { reason: 'wrong-abi', message, detail: result.output.slice(-4000) } }
      }
    }

    const partial = `${target}.${process.pid}.partial`
    try {
      await mkdir(dirname(target), { recursive: true })
      await copyFile(built, partial)
      await rename(partial, target)
      await writeFile(stampPath, `${version}\n`)
    } catch (err) {
      await rm(partial, { force: true })
      const message = `The desktop app built its SQLite module but could not install it at ${target}: ${(err as Error).message}.`
      return { ok: false, path: target, error: { reason: 'install-failed', message, detail: '' } }
    }
    return { ok: true, path: target, built: true }
  } finally {
    await rm(work, { recursive: true, force: true })
  }
}
