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
