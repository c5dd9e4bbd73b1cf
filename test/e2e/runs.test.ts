/// <reference lib="dom" />
// Runs screen in a real Chromium against `aplab serve --db <tmpfile>`: a built-in session run and
// stored twice (runStored), the history with filters, a run's results per guest with a step's
// trace, the two runs compared (identical: no changed cell), a run of the session with another
// host kernel compared with them (changed cells highlighted), re-run, exports as downloads.
import { readFileSync } from 'node:fs'
import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { useLab } from './harness'

/** Browser mode answers a refused import with 400, which Chromium logs; each is counted. */
const lab = useLab({
  timeoutMs: 10_000,
  expectError: (text, url) => /status of 400/.test(text) && url.endsWith('/api/importRun'),
})
const openApp = () => lab.openApp()
let refusedImports = 0

// ---- helpers --------------------------------------------------------------------------------------

const tid = (id: string) => `[data-testid="${id}"]`

async function text(page: Page, id: string): Promise<string> {
  return ((await page.locator(tid(id)).first().textContent()) ?? '').trim()
}

/** Runs what the source picker names and returns the id of the run that opens. */
async function runAndStore(page: Page, source: string): Promise<number> {
  const before = await page
    .locator(tid('run-view'))
    .getAttribute('data-run', { timeout: 200 })
    .catch(() => null)
  await page.locator(tid('run-source')).selectOption(source)
  await page.locator(tid('run-start')).click()
  await expect
    .poll(() =>
      page
        .locator(tid('run-view'))
        .getAttribute('data-run', { timeout: 1000 })
        .catch(() => null),
    )
    .not.toBe(before)
  return Number(await page.locator(tid('run-view')).getAttribute('data-run'))
}

async function compare(page: Page, a: number, b: number): Promise<void> {
  if (await page.locator(tid('run-compare-clear')).count()) await page.locator(tid('run-compare-clear')).click()
  await page.locator(tid(`run-check-${a}`)).check()
  await page.locator(tid(`run-check-${b}`)).check()
  expect(await text(page, 'run-compare-pick')).toBe(`A #${Math.min(a, b)} ↔ B #${Math.max(a, b)}`)
  await page.locator(tid('run-compare')).click()
  await expect.poll(() => page.locator(tid('run-diff')).count()).toBe(1)
  const table = page.locator(tid('run-diff'))
  await expect
    .poll(async () => `${await table.getAttribute('data-a')}-${await table.getAttribute('data-b')}`)
    .toBe(`${Math.min(a, b)}-${Math.max(a, b)}`)
}

// ---- tests ----------------------------------------------------------------------------------------

describe('runs screen', () => {
  it('stores runs, shows results and traces, compares identical and changed runs, exports', async () => {
    const page = await openApp()
    await page.locator(tid('nav-runs')).click()
    await expect.poll(() => text(page, 'run-table')).toContain('No stored runs yet')
    expect(await page.locator(tid('runs-no-db')).count()).toBe(0)

    // The same built-in session twice.
    const a = await runAndStore(page, 'builtin:two-guests-one-adapter')
    const b = await runAndStore(page, 'builtin:two-guests-one-adapter')
    expect(b).toBeGreaterThan(a)
    for (const id of [a, b]) {
      const row = page.locator(tid(`run-row-${id}`))
      expect(await row.getAttribute('data-status')).toBe('finished')
      expect(await row.textContent()).toContain('two-guests-one-adapter')
      expect(await row.textContent()).toContain('linux-6.8')
    }
    expect(await text(page, 'runs-total')).toBe('2')

    // The opened run: results per guest a page at a time, a step opens its trace.
    expect(await text(page, 'run-view-status')).toBe('finished')
    const g1 = page.locator(tid('results-g1'))
    await g1.waitFor()
    expect(await g1.locator(tid('step-row')).count()).toBe(6)
    expect(await text(page, 'run-steps-range')).toBe('1–6 of 6')
    const aqic = g1.locator(`${tid('step-row')}[data-insn="PQAP(AQIC)"]`)
    expect(await aqic.locator(tid('step-cc')).textContent()).toBe('0')
    expect(await aqic.textContent()).toContain('05.0004')
    expect(await aqic.textContent()).toContain('NORMAL')
    expect(await aqic.textContent()).toContain('vfio_ap.irq.enabled')
    await aqic.click()
    const trace = page.locator(tid('step-trace'))
    await trace.waitFor()
    expect(await trace.locator(tid('trace-row')).count()).toBeGreaterThan(1)
    const rules = await trace.locator(tid('trace-rule')).allTextContents()
    expect(rules).toContain('vfio_ap.irq.enabled')
    expect(await text(page, 'step-outcome')).toContain('cc 0')
    await page.locator(tid('run-guest-g2')).click()
    const g2 = page.locator(tid('results-g2'))
    await g2.waitFor()
    expect(await g2.textContent()).toContain('05.0005')
    expect(await page.locator(tid('step-detail')).count()).toBe(0)

    // Clicking a row of the history opens that run.
    await page.locator(tid(`run-row-${a}`)).click()
    await expect.poll(() => page.locator(tid('run-view')).getAttribute('data-run')).toBe(String(a))
    expect(await page.locator(tid(`run-row-${a}`)).getAttribute('aria-selected')).toBe('true')

    // Two runs of the same session: identical, no changed cell.
    await compare(page, a, b)
    expect(await page.locator(tid('run-diff-verdict')).getAttribute('data-identical')).toBe('true')
    expect(await text(page, 'run-diff-verdict')).toContain('identical')
    expect(await page.locator(`${tid('run-diff')} [data-changed="true"]`).count()).toBe(0)
    expect(await page.locator(tid('run-diff-row')).count()).toBe(0)
    expect(await text(page, 'run-diff')).toContain('Every one of the 12 steps')

    // The same session on Linux 5.15 (changed in the editor): AQIC answers E 0 and I 0 there.
    await page.locator(tid('nav-guests')).click()
    await page.locator(tid('lab-kernel')).selectOption('linux-5.15')
    await expect.poll(() => page.locator(tid('lab-kernel')).inputValue()).toBe('linux-5.15')
    await page.locator(tid('nav-runs')).click()
    expect(await page.locator(`${tid('run-source')} option[value="editor"]`).textContent()).toContain(
      'two-guests-one-adapter',
    )
    const c = await runAndStore(page, 'editor')
    expect(await page.locator(tid(`run-row-${c}`)).textContent()).toContain('linux-5.15')

    await compare(page, a, c)
    expect(await page.locator(tid('run-diff-verdict')).getAttribute('data-identical')).toBe('false')
    expect(await text(page, 'run-diff-verdict')).toBe('2 changed')
    const rows = page.locator(tid('run-diff-row'))
    expect(await rows.count()).toBe(2)
    expect(await rows.evaluateAll((r) => r.map((x) => x.getAttribute('data-guest')))).toEqual(['g1', 'g2'])
    const changed = page.locator(`${tid('run-diff')} td[data-changed="true"]`)
    // E and I, on each side, for each guest.
    expect(await changed.count()).toBe(8)
    expect(await changed.evaluateAll((t) => [...new Set(t.map((x) => x.getAttribute('data-col')))].sort())).toEqual([
      'E',
      'I',
    ])
    for (const cell of await changed.all()) expect(await cell.getAttribute('class')).toContain('changed')
    const first = rows.first()
    expect(await first.getAttribute('data-index')).toBe('1')
    expect(await first.locator('td[data-col="insn"]').first().textContent()).toContain('PQAP(AQIC)')
    expect(await first.locator('td[data-col="cc"]').allTextContents()).toEqual(['0', '0'])
    expect(await first.locator('td[data-col="E"]').allTextContents()).toEqual(['1', '0'])

    // The filters: status, text.
    await page.locator(tid('runs-status')).selectOption('aborted')
    await expect.poll(() => text(page, 'run-table')).toContain('No run matches the filters')
    await page.locator(tid('runs-status')).selectOption('finished')
    await expect.poll(() => page.locator('[data-testid^="run-row-"]').count()).toBe(3)
    await page.locator(tid('runs-text')).fill('5.15')
    await expect.poll(() => page.locator('[data-testid^="run-row-"]').count()).toBe(1)
    expect(await page.locator(tid(`run-row-${c}`)).count()).toBe(1)
    await page.locator(tid('runs-text')).fill('')
    await page.locator(tid('runs-status')).selectOption('')
    await expect.poll(() => page.locator('[data-testid^="run-row-"]').count()).toBe(3)

    // Re-run the Linux 5.15 run: its own session again, a fourth run, identical to it.
    await page.locator(tid('runs-show-run')).click()
    await expect.poll(() => page.locator(tid('run-view')).getAttribute('data-run')).toBe(String(c))
    expect(await text(page, 'run-rerun-note')).toBe('the session exactly as this run had it')
    await page.locator(tid('run-rerun')).click()
    await expect.poll(() => page.locator(tid('run-view')).getAttribute('data-run')).not.toBe(String(c))
    const d = Number(await page.locator(tid('run-view')).getAttribute('data-run'))
    expect(await page.locator(tid(`run-row-${d}`)).textContent()).toContain('linux-5.15')
    await compare(page, c, d)
    expect(await page.locator(tid('run-diff-verdict')).getAttribute('data-identical')).toBe('true')

    // Exports: the results document and the CSV, as downloads.
    await page.locator(tid(`run-row-${a}`)).click()
    await expect.poll(() => page.locator(tid('run-view')).getAttribute('data-run')).toBe(String(a))
    let download = page.waitForEvent('download')
    await page.locator(tid('run-export-json')).click()
    let file = await download
    expect(file.suggestedFilename()).toBe(`two-guests-one-adapter.run-${a}.results.json`)
    const exportedJson = readFileSync((await file.path())!, 'utf8')
    const doc = JSON.parse(exportedJson) as {
      format: string
      runId: string
      guests: { name: string; vcpus: { steps: unknown[] }[] }[]
    }
    expect(doc.format).toBe('aplab/results@1')
    expect(doc.runId).toBe(String(a))
    expect(doc.guests.map((g) => g.vcpus[0]!.steps.length)).toEqual([6, 6])
    download = page.waitForEvent('download')
    await page.locator(tid('run-export-csv')).click()
    file = await download
    expect(file.suggestedFilename()).toBe(`two-guests-one-adapter.run-${a}.csv`)
    const csv = readFileSync((await file.path())!, 'utf8')
      .trim()
      .split(/\r?\n/)
    expect(csv).toHaveLength(13)

    // Import the exported document back: an imported run, equal to its source, that cannot re-run.
    const importInput = page.locator(tid('run-import'))
    const broken = JSON.stringify({ ...doc, seed: 'one' })
    await importInput.setInputFiles({
      name: 'broken.results.json',
      mimeType: 'application/json',
      buffer: Buffer.from(broken),
    })
    await page.locator(tid('run-import-error')).waitFor()
    expect(await text(page, 'run-import-error')).toContain('broken.results.json was not imported')
    expect(await text(page, 'run-import-error')).toContain('seed')
    refusedImports++
    await importInput.setInputFiles({
      name: 'copy.results.json',
      mimeType: 'application/json',
      buffer: Buffer.from(exportedJson),
    })
    await page.locator(tid('run-import-error')).waitFor({ state: 'detached' })
    await expect.poll(() => page.locator(tid('run-view')).getAttribute('data-run')).not.toBe(String(a))
    const imported = Number(await page.locator(tid('run-view')).getAttribute('data-run'))
    expect(await page.locator(tid(`run-row-${imported}`)).textContent()).toContain('imp')
    expect(await page.locator(tid('run-rerun')).isDisabled()).toBe(true)
    expect(await text(page, 'run-rerun-note')).toContain('imported run')
    await compare(page, a, imported)
    expect(await page.locator(tid('run-diff-verdict')).getAttribute('data-identical')).toBe('true')
    await page.locator(tid('runs-show-run')).click()
    await page.locator(tid('run-delete')).click()
    await page.locator(tid('run-delete-confirm')).click()
    await page.locator(tid(`run-row-${imported}`)).waitFor({ state: 'detached' })
    await page.locator(tid('run-compare-clear')).click()

    // Open by keyboard: the Open button acts on the selected row.
    await page.locator(tid(`run-row-${b}`)).focus()
    await page.locator(tid('run-open')).click()
    await expect.poll(() => page.locator(tid('run-view')).getAttribute('data-run')).toBe(String(b))

    // Delete asks first; deleting the opened run closes it, and the comparison is shown again.
    await compare(page, c, d)
    await page.locator(tid(`run-row-${b}`)).click()
    await expect.poll(() => page.locator(tid('run-view')).getAttribute('data-run')).toBe(String(b))
    await page.locator(tid('run-delete')).click()
    await page.locator(tid('run-delete-confirm')).click()
    await page.locator(tid(`run-row-${b}`)).waitFor({ state: 'detached' })
    await page.locator(tid('run-view')).waitFor({ state: 'detached' })
    expect(await page.locator(tid('run-diff')).getAttribute('data-a')).toBe(String(c))

    // Paging: 52 more runs (stored through the HTTP API directly) make two pages of 50.
    await page.evaluate(async () => {
      const token = document.querySelector<HTMLMetaElement>('meta[name="aplab-token"]')!.content
      for (let i = 0; i < 52; i++) {
        const res = await fetch('/api/runStored', {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', 'X-AP-Lab-Token': token },
          body: JSON.stringify({ payload: { session: 'builtin:checkstopped-card', trace: false, keepSteps: false } }),
        })
        if (!res.ok) throw new Error(`runStored: HTTP ${res.status}`)
      }
    })
    await page.locator(tid('runs-status')).selectOption('finished')
    await expect.poll(() => text(page, 'runs-range')).toBe('1–50 of 55')
    await expect.poll(() => page.locator('[data-testid^="run-row-"]').count()).toBe(50)
    await page.locator(tid('runs-next')).click()
    await expect.poll(() => text(page, 'runs-range')).toBe('51–55 of 55')
    await expect.poll(() => page.locator(tid(`run-row-${a}`)).count()).toBe(1)
    // A text search reads every run and pages the matches.
    await page.locator(tid('runs-text')).fill('two-guests')
    await expect.poll(() => text(page, 'runs-range')).toBe('1–3 of 3')
    await page.locator(tid('runs-text')).fill('checkstopped')
    await expect.poll(() => text(page, 'runs-range')).toBe('1–50 of 52')
    expect(await page.locator(tid('error-banner')).count()).toBe(0)
    expect(lab.expectedErrors).toBe(refusedImports)
  })
})
