import { describe, expect, it } from 'vitest'
import { useLab } from './harness'

const lab = useLab()

const tid = (id: string) => `[data-testid="${id}"]`

async function serviceCompare(matrix: string): Promise<{ exports: Record<string, string> }> {
  const { origin, token } = lab.server
  const res = await fetch(`${origin}/api/compare`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-AP-Lab-Token': token },
    body: JSON.stringify({ payload: { matrix } }),
  })
  const body = (await res.json()) as { ok: boolean; value: { exports: Record<string, string> } }
  expect(body.ok).toBe(true)
  return body.value
}

describe('compare screen', () => {
  it('runs the seed matrix, checks its four rows and exports the text table', async () => {
    const page = await lab.openApp()
    await page.locator(tid('nav-compare')).click()
    const select = page.locator(tid('compare-matrix'))
    await expect.poll(() => select.locator('option').count()).toBeGreaterThanOrEqual(2)
    await select.selectOption('seed-2019-03')
    await page.locator(tid('compare-run')).click()

    const rows = page.locator(`${tid('compare-rows')} tbody tr`)
    await rows.first().waitFor()
    expect(await rows.count()).toBe(4)
    const outcomes = await rows.evaluateAll((trs) =>
      trs.map((tr) => tr.querySelector('[data-testid="outcome"]')?.textContent?.trim() ?? ''),
    )
    expect(outcomes).toEqual(['OPERATION', 'SPECIFICATION', 'SPECIFICATION', '-'])
    expect(await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-agrees')))).toEqual([
      'true',
      'true',
      'true',
      'true',
    ])
    const covered = await rows.evaluateAll((trs) =>
      trs.map((tr) => Number(tr.querySelector('[data-testid="covered"]')?.textContent)),
    )
    expect(covered).toEqual([6, 1, 1, 2])
    expect(await page.locator(tid('compare-rows-summary')).textContent()).toContain('all 4 agree')

    // The minimized table marks collapsed dimensions as x.
    const minimized = page.locator(tid('compare-minimized'))
    expect(await minimized.locator('tbody tr').count()).toBe(4)
    expect(await minimized.locator('td.cell-any').count()).toBeGreaterThan(0)
    expect((await minimized.locator('td.cell-any').first().textContent())?.trim()).toBe('x')

    // A row opens the trace of a cell it covers.
    await rows.nth(1).click()
    const trace = page.locator(tid('compare-trace'))
    await trace.waitFor()
    expect(await page.locator(tid('compare-cell-rule')).textContent()).toBe('kvm.pqap.fac65-missing')
    const traceRules = await trace
      .locator(tid('trace-row'))
      .evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-rule')))
    expect(traceRules).toContain('kvm.pqap.fac65-missing')
    // A row covering several cells lists them; another one can be opened.
    await rows.nth(0).click()
    const coveredList = page.locator(`${tid('compare-covered')} button`)
    expect(await coveredList.count()).toBe(6)
    await coveredList.nth(5).click()
    expect(await page.locator(tid('compare-cell-rule')).textContent()).toBe('qemu.b2.unhandled')

    // Keyboard: ↓ and Enter open the next row.
    await rows.nth(0).focus()
    await page.keyboard.press('ArrowDown')
    await page.keyboard.press('Enter')
    expect(await rows.nth(1).getAttribute('aria-selected')).toBe('true')

    // The full table is collapsible.
    await page.locator(`${tid('compare-full')} > summary`).click()
    await page.locator(tid('compare-cells')).waitFor()
    expect(await page.locator(`${tid('compare-cells')} tbody tr`).count()).toBe(12)

    // The text export is exactly the service's, as a mailing-list reply would show it.
    const text = (await page.locator(tid('compare-export-text')).textContent()) ?? ''
    expect(text).toContain('NEW/apqi=off')
    expect(text).toBe((await serviceCompare('seed-2019-03')).exports.text)
    await page.locator(tid('compare-format-md')).click()
    expect(await page.locator(tid('compare-export-md')).textContent()).toContain(
      '| NEW | - | NEW/apqi=off | SPECIFICATION |',
    )
    expect(await page.locator(tid('compare-notes')).textContent()).toContain('x = whatever')

    expect(await page.locator(tid('error-banner')).count()).toBe(0)
    expect(lab.problems).toEqual([])
  })

  it('runs the merged AQIC matrix without hand-made rows', async () => {
    const page = await lab.openApp()
    await page.locator(tid('nav-compare')).click()
    const select = page.locator(tid('compare-matrix'))
    await select.selectOption('aqic-merged')
    await page.locator(tid('compare-run')).click()
    const minimized = page.locator(`${tid('compare-minimized')} tbody tr`)
    await minimized.first().waitFor()
    expect(await page.locator(tid('compare-rows')).count()).toBe(0)
    const outcomes = await minimized.evaluateAll((trs) =>
      trs.map((tr) => tr.querySelector('[data-testid="outcome"]')?.textContent?.trim() ?? ''),
    )
    expect(outcomes).toContain('cc 3, RC 0x01 Q_NOT_AVAIL, GR1 bits 0–31')
    expect(outcomes).toContain('PRIVILEGED_OP')
    expect(lab.problems).toEqual([])
  })
})

describe('compare screen: cover, exports, saved comparisons', () => {
  it('shows the exact cover with value sets and opens the cells a set covers', async () => {
    const page = await lab.openApp()
    await page.locator(tid('nav-compare')).click()
    await page.locator(tid('compare-matrix')).selectOption('seed-2019-03')
    await page.locator(tid('compare-run')).click()

    // `aplab compare builtin:seed-2019-03 --table cover` prints these three rows.
    const cover = page.locator(`${tid('compare-cover')} tbody tr`)
    await cover.first().waitFor()
    const rows = await cover.evaluateAll((trs) =>
      trs.map((tr) => Array.from(tr.querySelectorAll('td')).map((td) => td.textContent?.trim() ?? '')),
    )
    expect(rows).toEqual([
      ['OLD', 'x', 'x', 'OPERATION'],
      ['NEW', 'x', 'OLD|NEW/apqi=off', 'SPECIFICATION'],
      ['NEW', 'x', 'NEW/apqi=on', '-'],
    ])
    expect(await cover.nth(1).locator('td[data-set="true"]').count()).toBe(1)
    expect(await cover.nth(0).locator('td.cell-any').count()).toBe(2)

    // A value set covers each of its values: NEW × {-, mdev} × {OLD, NEW/apqi=off}.
    await cover.nth(1).click()
    const covered = page.locator(`${tid('compare-covered')} button`)
    expect(await covered.count()).toBe(4)
    const items = await covered.evaluateAll((bs) =>
      bs.map((b) =>
        Array.from(b.querySelectorAll('span'))
          .map((s) => s.textContent?.trim())
          .join(' → '),
      ),
    )
    expect(items).toEqual([
      'NEW · - · OLD → SPECIFICATION',
      'NEW · - · NEW/apqi=off → SPECIFICATION',
      'NEW · mdev · OLD → SPECIFICATION',
      'NEW · mdev · NEW/apqi=off → SPECIFICATION',
    ])
    expect(await page.locator(tid('compare-cell-rule')).textContent()).toBe('kvm.pqap.fac65-missing')
    expect(lab.problems).toEqual([])
  })

  it('exports standalone HTML with no external reference and downloads it as .html', async () => {
    const page = await lab.openApp()
    await page.locator(tid('nav-compare')).click()
    await page.locator(tid('compare-matrix')).selectOption('seed-2019-03')
    await page.locator(tid('compare-run')).click()
    await page
      .locator(`${tid('compare-cover')} tbody tr`)
      .first()
      .waitFor()

    const service = await serviceCompare('seed-2019-03')
    for (const f of ['text', 'md', 'csv', 'json', 'html']) {
      await page.locator(tid(`compare-format-${f}`)).click()
      expect(await page.locator(tid(`compare-export-${f}`)).textContent()).toBe(service.exports[f])
    }
    const html = (await page.locator(tid('compare-export-html')).textContent()) ?? ''
    expect(html).toMatch(/^<!doctype html>/i)
    expect(html).not.toContain('http://')
    expect(html).not.toContain('https://')

    const [download] = await Promise.all([page.waitForEvent('download'), page.locator(tid('compare-download')).click()])
    expect(download.suggestedFilename()).toBe('seed-2019-03.html')
    expect(lab.problems).toEqual([])
  })

  it('saves a comparison, lists it and reopens it', async () => {
    const page = await lab.openApp()
    await page.locator(tid('nav-compare')).click()
    await page.locator(tid('compare-matrix')).selectOption('aqic-merged')
    await page.locator(tid('compare-run')).click()
    await page
      .locator(`${tid('compare-minimized')} tbody tr`)
      .first()
      .waitFor()
    const minimized = await page.locator(`${tid('compare-minimized')} tbody tr`).count()

    await page.locator(tid('compare-save-name')).fill('merged AQIC, reviewed')
    await page.locator(tid('compare-save')).click()
    const message = page.locator(tid('compare-save-message'))
    await message.waitFor()
    const id = Number(/#(\d+)/.exec((await message.textContent()) ?? '')?.[1])
    expect(id).toBeGreaterThan(0)
    const row = page.locator(tid(`comparison-row-${id}`))
    await row.waitFor()
    expect(await row.textContent()).toContain('merged AQIC, reviewed')
    expect(await row.textContent()).toContain('builtin:aqic-merged')

    // Reopened, it shows the stored table (its exports are not stored).
    await page.locator(tid(`comparison-open-${id}`)).click()
    await expect.poll(() => page.locator(tid('compare-matrix')).inputValue()).toBe(`@saved:${id}`)
    expect(await page.locator(tid('compare-source')).textContent()).toContain('builtin:aqic-merged')
    expect(await page.locator(`${tid('compare-minimized')} tbody tr`).count()).toBe(minimized)
    await page.locator(tid('compare-no-exports')).waitFor()

    // The list is the database's: a new page lists it too.
    const again = await lab.openApp()
    await again.locator(tid('nav-compare')).click()
    await again.locator(tid(`comparison-row-${id}`)).waitFor()
    expect(await page.locator(tid('error-banner')).count()).toBe(0)
    expect(lab.problems).toEqual([])
  })
})
