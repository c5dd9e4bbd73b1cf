import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { createLabService } from '../../service'
import { openCliStore, type CliStore } from './sessions'
import { startWebServer } from '../../web/server'
import { defineCommand, type CliContext } from '../command'

function run(command: string, args: string[], cwd: string): Promise<number> {
  return new Promise((resolveRun, reject) => {
    // stdout stays reserved for the URL line that scripts and tests parse.
    const child = spawn(command, args, { cwd, stdio: ['ignore', 2, 2], shell: process.platform === 'win32' })
    child.on('error', reject)
    child.on('exit', (code, signal) => resolveRun(code ?? (signal ? 128 : 1)))
  })
}

async function ensureRendererBuilt({ io, projectRoot }: CliContext): Promise<string> {
  const dir = join(projectRoot, 'out', 'renderer')
  if (existsSync(join(dir, 'index.html'))) return dir
  io.stderr('aplab: out/renderer/index.html is missing; building the app first with `npx electron-vite build`\n')
  const code = await run('npx', ['electron-vite', 'build'], projectRoot)
  if (code !== 0 || !existsSync(join(dir, 'index.html'))) {
    throw new Error(`\`npx electron-vite build\` failed (exit code ${code}); see its output above`)
  }
  return dir
}

function hasDisplay(env: NodeJS.ProcessEnv): boolean {
  if (process.platform === 'darwin' || process.platform === 'win32') return true
  return Boolean(env.DISPLAY || env.WAYLAND_DISPLAY)
}

function openInBrowser(url: string): void {
  const [command, args] =
    process.platform === 'darwin'
      ? ['open', [url]]
      : process.platform === 'win32'
        ? ['cmd', ['/c', 'start', '""', url]]
        : ['xdg-open', [url]]
  try {
    const child = spawn(command, args, { stdio: 'ignore', detached: true })
    child.on('error', () => {})
    child.unref()
  } catch {
    // The URL is printed anyway.
  }
}

function waitForSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolveSignal) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
      resolveSignal(signal)
    }
    process.on('SIGINT', onSignal)
    process.on('SIGTERM', onSignal)
  })
}

export const serveCommand = defineCommand({
  name: 'serve',
  summary: 'the browser UI on 127.0.0.1 (until Ctrl+C)',
  details:
    'Prints the address to open, including a random access token. Only this machine can connect; every request must carry the token.',
  options: [
    {
      name: 'port',
      type: 'int',
      min: 0,
      max: 65535,
      value: 'N',
      description: 'port to listen on (default 0: any free port)',
    },
    { name: 'no-open', type: 'flag', description: 'do not open a web browser' },
  ],
  async run({ options }, ctx) {
    const { io } = ctx
    const staticDir = await ensureRendererBuilt(ctx)
    let store: CliStore | null = null
    try {
      store = openCliStore(options.db, io)
    } catch (err) {
      // A database that is refused stays untouched; the lab still runs, without saving.
      io.stderr(`aplab: running without persistence: ${err instanceof Error ? err.message : String(err)}\n`)
    }
    const service = createLabService(store ? { store: store.store } : {})
    const server = await startWebServer({ service, port: options.port ?? 0, staticDir })
    const stopped = waitForSignal()
    if (options.json) io.stdout(JSON.stringify({ url: server.url, port: server.port, token: server.token }) + '\n')
    else io.stdout(`AP Lab browser mode: ${server.url}\n`)
    io.stderr(`Serving on 127.0.0.1 only${store ? `, database ${store.path}` : ''}. Press Ctrl+C to stop.\n`)
    if (!options['no-open'] && hasDisplay(io.env)) openInBrowser(server.url)
    await stopped
    await server.close()
    store?.store.close()
  },
})
