// UI figures measured in Debian's Chromium against a real `aplab serve`: the time from the lab
// view's arrival to the first paint of the 256 × 256 Queue assignment grid (target < 100 ms), and
// the time to scroll a 1,000,000-row results table from top to bottom (20 programmatic steps, each
// waiting for a painted frame; product.md §10).
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
/** Rows of the synthetic results table whose scroll time is measured. */
const RESULT_ROWS = 1_000_000

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

    const scrolls: { msPerStep: number; totalMs: number; maxStepMs: number; domLayoutMsPerStep: number }[] = []
    let steps = 0
    for (let i = 0; i < rounds; i++) {
      const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } })
      await page.goto(server.url.replace(/#.*$/, '') + `#guests?synthetic-rows=${RESULT_ROWS}`)
      const el = page.locator(`[data-testid="results-scroll-ms"][data-state="done"][data-rows="${RESULT_ROWS}"]`)
      await el.waitFor({ timeout: 60_000 })
      steps = Number(await el.getAttribute('data-steps'))
      scrolls.push({
        msPerStep: Number(await el.getAttribute('data-ms')),
        totalMs: Number(await el.getAttribute('data-total-ms')),
        maxStepMs: Number(await el.getAttribute('data-max-ms')),
        domLayoutMsPerStep: Number(await el.getAttribute('data-work-ms')),
      })
      await page.close()
    }
    const byTotal = [...scrolls].sort((a, b) => a.totalMs - b.totalMs)
    const median = byTotal[Math.floor(byTotal.length / 2)]

    return {
      grid: '256 × 256 APQNs',
      samples,
      medianFirstPaintMs: sorted[Math.floor(sorted.length / 2)],
      bestFirstPaintMs: sorted[0],
      targetMs: 100,
      resultsTable: {
        rows: RESULT_ROWS,
        scrollSteps: steps,
        samples: scrolls,
        medianTotalMs: median?.totalMs,
        medianMsPerStep: median?.msPerStep,
        bestTotalMs: byTotal[0]?.totalMs,
      },
    }
  } finally {
    await browser.close()
    server.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}
