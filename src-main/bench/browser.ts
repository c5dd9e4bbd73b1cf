// UI figures measured in Debian's Chromium against a real `aplab serve`: the time from the lab
// view's arrival to the first paint of the 256 × 256 Queue assignment grid (target < 100 ms).
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))

async function serve(db: string): Promise<{ url: string; stop: () => void }> {
  const child = spawn(process.execPath, ['bin/aplab.mjs', 'serve', '--port', '0', '--no-open', '--db', db], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'ignore'],
    env: { ...process.env, DISPLAY: '', WAYLAND_DISPLAY: '' },
  })
  const url = await new Promise<string>((resolve, reject) => {
    let out = ''
    const timer = setTimeout(() => reject(new Error('aplab serve printed no URL within 60 s')), 60_000)
    child.stdout!.setEncoding('utf8').on('data', (s: string) => {
      out += s
      const m = /AP Lab browser mode: (\S+)/.exec(out)
      if (m) {
        clearTimeout(timer)
        resolve(m[1]!)
      }
    })
    child.once('exit', (code) => reject(new Error(`aplab serve exited with ${code}`)))
  })
  return { url, stop: () => child.kill('SIGTERM') }
}

export async function benchBrowser(rounds = 5): Promise<Record<string, unknown>> {
  const chromiumPath = process.env.APLAB_CHROMIUM ?? '/usr/bin/chromium'
  if (!existsSync(chromiumPath)) return { skipped: `no Chromium at ${chromiumPath} (apt-get install -y chromium)` }
  if (!existsSync(join(ROOT, 'out', 'renderer', 'index.html')))
    return { skipped: 'no build in out/renderer (npm run build)' }
  const { chromium } = await import('playwright-core')
  const dir = mkdtempSync(join(tmpdir(), 'aplab-bench-ui-'))
  const server = await serve(join(dir, 'bench.db'))
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-background-networking',
      '--disable-gpu',
      '--disable-component-update',
      '--no-first-run',
    ],
  })
  try {
    const samples: { firstPaintMs: number; domLayoutMs: number }[] = []
    for (let i = 0; i < rounds; i++) {
      const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } })
      await page.goto(server.url.replace(/#.*$/, '') + '#queues?synthetic=256')
      const el = page.locator('[data-testid="grid-render-ms"][data-state="done"][data-cells="65536"]')
      await el.waitFor({ timeout: 60_000 })
      samples.push({
        firstPaintMs: Number(await el.getAttribute('data-ms')),
        domLayoutMs: Number(await el.getAttribute('data-dom-ms')),
      })
      await page.close()
    }
    const sorted = samples.map((s) => s.firstPaintMs).sort((a, b) => a - b)
    return {
      grid: '256 × 256 APQNs',
      samples,
      medianFirstPaintMs: sorted[Math.floor(sorted.length / 2)],
      bestFirstPaintMs: sorted[0],
      targetMs: 100,
    }
  } finally {
    await browser.close()
    server.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}
