// Browser tests against `aplab serve` running as a real child process, in a real Chromium.
// `useLab()` registers the hooks in the calling test file; every page it opens collects console
// errors, page errors and Vue warnings, and the test fails if any occurred.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll } from 'vitest'

export const ROOT = fileURLToPath(new URL('../..', import.meta.url))
export const CHROMIUM = process.env.APLAB_CHROMIUM ?? '/usr/bin/chromium'

export interface ServeProcess {
  /** The URL printed by `aplab serve`, with `?token=`. */
  url: string
  /** `http://127.0.0.1:<port>` */
  origin: string
  port: number
  token: string
  child: ChildProcess
  /** Everything the server wrote to stderr so far (for failure messages). */
  stderr(): string
  stop(): Promise<void>
}

/** Starts `aplab serve` on its own temporary database (or `db`), never the developer's real one. */
export async function startServe(timeoutMs = 45_000, db?: string): Promise<ServeProcess> {
  const dbPath = db ?? join(mkdtempSync(join(tmpdir(), 'aplab-e2e-')), 'lab.db')
  const child = spawn(process.execPath, ['bin/aplab.mjs', 'serve', '--port', '0', '--no-open', '--db', dbPath], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, DISPLAY: '', WAYLAND_DISPLAY: '' },
  })
  let stdout = ''
  let stderr = ''
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s))
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))

  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`aplab serve printed no URL within ${timeoutMs} ms; stderr:\n${stderr}`))
    }, timeoutMs)
    child.stdout!.setEncoding('utf8').on('data', (s: string) => {
      stdout += s
      const m = /^AP Lab browser mode: (http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+)$/m.exec(stdout)
      if (m) {
        clearTimeout(timer)
        resolve(m[1]!)
      }
    })
    child.once('exit', (code, signal) => {
      clearTimeout(timer)
      reject(new Error(`aplab serve exited (${code ?? signal}) before printing its URL; stderr:\n${stderr}`))
    })
  })

  const parsed = new URL(url)
  return {
    url,
    origin: parsed.origin,
    port: Number(parsed.port),
    token: parsed.searchParams.get('token')!,
    child,
    stderr: () => stderr,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000)
      await exited
      clearTimeout(timer)
    },
  }
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-background-networking',
      '--disable-gpu',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  })
}

export interface LabOptions {
  /**
   * Console errors a test provokes on purpose: Chromium logs every HTTP error response, and browser
   * mode answers a refused request with 400. Matching errors are counted in `expectedErrors`.
   */
  expectError?: (text: string, url: string) => boolean
  /** Playwright's default timeout for each action and wait, in ms (default: Playwright's). */
  timeoutMs?: number
}

export interface Lab {
  readonly server: ServeProcess
  readonly browser: Browser
  /** A fresh browser context (downloads accepted) with the app loaded through the tokenized URL. */
  openApp(): Promise<Page>
  /** Closes the open pages and starts `aplab serve` again on the same database. */
  restart(): Promise<void>
  /** Problems collected so far in the current test (console errors, page errors, Vue warnings). */
  readonly problems: readonly string[]
  /** Console errors that matched `expectError` so far. */
  readonly expectedErrors: number
}

/** Registers the hooks of a browser test file: one server on its own temporary database, one Chromium. */
export function useLab(opts: LabOptions = {}): Lab {
  let server: ServeProcess | undefined
  let browser: Browser | undefined
  let contexts: BrowserContext[] = []
  let problems: string[] = []
  let expectedErrors = 0
  const dir = mkdtempSync(join(tmpdir(), 'aplab-e2e-'))
  const db = join(dir, 'lab.db')

  const closePages = async () => {
    await Promise.all(contexts.map((c) => c.close()))
    contexts = []
  }

  beforeAll(async () => {
    server = await startServe(45_000, db)
    browser = await launchBrowser()
  })

  afterEach(async () => {
    const found = problems
    await closePages()
    problems = []
    if (found.length > 0) throw new Error(`the page reported errors:\n${found.join('\n')}`)
  })

  afterAll(async () => {
    await browser?.close()
    await server?.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  return {
    get server() {
      if (!server) throw new Error('aplab serve is not running (beforeAll failed?)')
      return server
    },
    get browser() {
      if (!browser) throw new Error('Chromium is not running (beforeAll failed?)')
      return browser
    },
    get problems() {
      return problems
    },
    get expectedErrors() {
      return expectedErrors
    },
    async restart() {
      await closePages()
      await server?.stop()
      server = undefined
      server = await startServe(45_000, db)
    },
    async openApp() {
      const context = await this.browser.newContext({ acceptDownloads: true })
      contexts.push(context)
      const page = await context.newPage()
      if (opts.timeoutMs !== undefined) page.setDefaultTimeout(opts.timeoutMs)
      page.on('console', (msg) => {
        const where = msg.location().url
        if (msg.type() === 'error') {
          if (opts.expectError?.(msg.text(), where)) expectedErrors++
          else problems.push(`console error: ${msg.text()}${where ? ` (${where})` : ''}`)
        }
        if (msg.type() === 'warning' && msg.text().includes('[Vue warn]')) problems.push(msg.text())
      })
      page.on('pageerror', (err) => problems.push(`page error: ${err.stack ?? err.message}`))
      page.on('crash', () => problems.push('page crashed'))
      await page.goto(this.server.url)
      return page
    },
  }
}
