// Runs after `npm install`. Electron's own install script is denied in package.json
// ("allowScripts": {"electron": false}) so that installing never fails on a machine that
// cannot reach Electron's download host. This script attempts the same download itself,
// bounded in time, and reports what the desktop app will do without it.
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'

const require = createRequire(import.meta.url)

function electronDir() {
  try {
    return dirname(require.resolve('electron/package.json'))
  } catch {
    return null
  }
}

const dir = electronDir()
const skip = process.env.ELECTRON_SKIP_BINARY_DOWNLOAD
if (!dir) {
  console.log('aplab: electron is not installed (production install); browser mode only.')
} else if (existsSync(join(dir, 'path.txt'))) {
  console.log('aplab: Electron binary present.')
} else if (skip) {
  console.log(
    'aplab: ELECTRON_SKIP_BINARY_DOWNLOAD is set; skipping the Electron binary. `npm start` will use browser mode.',
  )
} else {
  const timeoutMs = Number(process.env.APLAB_ELECTRON_DOWNLOAD_TIMEOUT_MS ?? 120000)
  const child = spawn(process.execPath, [join(dir, 'install.js')], { cwd: dir, stdio: 'inherit' })
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
  child.on('exit', (code) => {
    clearTimeout(timer)
    if (code === 0 && existsSync(join(dir, 'path.txt'))) {
      console.log('aplab: Electron binary downloaded.')
    } else {
      console.log(
        'aplab: the Electron binary could not be downloaded (no access to its host). ' +
          'Installation continues: tests, the CLI and browser mode work; `npm start` opens browser mode. ' +
          'Run `node node_modules/electron/install.js` later to get the desktop app.',
      )
    }
    process.exit(0)
  })
}
