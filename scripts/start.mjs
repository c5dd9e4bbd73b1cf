// `npm start`: the desktop app when Electron can run here, otherwise browser mode (`aplab serve`).
// Extra arguments (`npm start -- --port 8080`) go to Electron or to `aplab serve`.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = dirname(dirname(fileURLToPath(import.meta.url)))
const args = process.argv.slice(2)
const isWindows = process.platform === 'win32'

/** Where Electron's own index.js looks: dist/<path.txt>, or ELECTRON_OVERRIDE_DIST_PATH. */
function electronBinary() {
  const dir = join(root, 'node_modules', 'electron')
  const pathTxt = join(dir, 'path.txt')
  if (!existsSync(pathTxt)) {
    return { why: 'the Electron binary has not been downloaded (node_modules/electron/path.txt is missing)' }
  }
  const name = readFileSync(pathTxt, 'utf8').trim()
  const override = process.env.ELECTRON_OVERRIDE_DIST_PATH
  const bin = override ? join(override, name || 'electron') : join(dir, 'dist', name)
  if (!existsSync(bin))
    return { why: `the Electron binary named by node_modules/electron/path.txt is missing (${bin})` }
  return { bin }
}

function displayProblem() {
  if (process.platform === 'darwin' || isWindows) return null
  if (process.env.DISPLAY || process.env.WAYLAND_DISPLAY) return null
  return 'there is no display (neither DISPLAY nor WAYLAND_DISPLAY is set)'
}

function newestMtime(path) {
  if (!existsSync(path)) return 0
  const st = statSync(path)
  if (!st.isDirectory()) return st.mtimeMs
  let newest = st.mtimeMs
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)))
  return newest
}

/** Why out/ must be (re)built, or null when it is up to date. */
function buildReason() {
  const outputs = ['out/main/index.js', 'out/preload/index.cjs', 'out/renderer/index.html'].map((p) => join(root, p))
  if (outputs.some((p) => !existsSync(p))) return 'out/ is missing or incomplete'
  const built = Math.min(...outputs.map((p) => statSync(p).mtimeMs))
  const inputs = ['src-main', 'src-preload', 'src-renderer', 'electron.vite.config.ts', 'package.json']
  const changed = Math.max(...inputs.map((p) => newestMtime(join(root, p))))
  return changed > built ? 'the sources changed since the last build' : null
}

function build() {
  const reason = buildReason()
  if (!reason) return
  console.log(`aplab: ${reason}; building with \`npx electron-vite build\``)
  const r = spawnSync('npx', ['electron-vite', 'build'], { cwd: root, stdio: 'inherit', shell: isWindows })
  if (r.status !== 0) {
    console.error(`aplab: the build failed (exit code ${r.status ?? r.signal}); see its output above`)
    process.exit(r.status || 1)
  }
}

/** Runs a child in the foreground: Ctrl+C reaches it directly; SIGTERM to us is passed on. */
function runForeground(command, childArgs, env = process.env) {
  const child = spawn(command, childArgs, { cwd: root, stdio: 'inherit', env })
  process.on('SIGINT', () => {})
  process.on('SIGTERM', () => child.kill('SIGTERM'))
  child.on('error', (err) => {
    console.error(`aplab: cannot run ${command}: ${err.message}`)
    process.exit(1)
  })
  child.on('exit', (code, signal) => process.exit(code ?? (signal === 'SIGINT' || signal === 'SIGTERM' ? 0 : 1)))
}

const electron = electronBinary()
const why = electron.why ?? displayProblem()

if (!why) {
  build()
  const env = { ...process.env }
  delete env.ELECTRON_RUN_AS_NODE
  runForeground(electron.bin, ['.', ...args], env)
} else {
  console.log(`aplab: the desktop app cannot run here: ${why}.`)
  console.log('aplab: starting browser mode instead: the same app, in your web browser. Open the URL printed below.')
  build()
  runForeground(process.execPath, [join(root, 'bin', 'aplab.mjs'), 'serve', ...args])
}
