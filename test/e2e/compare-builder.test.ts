// The Compare screen's matrix builder, progress, ABI diff and saved comparisons, in a real
// Chromium against a real `aplab serve` (its own temporary database).
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { ROOT, launchBrowser, startServe, type ServeProcess } from './harness'

const dir = mkdtempSync(join(tmpdir(), 'aplab-e2e-builder-'))
let server: ServeProcess | undefined
let browser: Browser | undefined
let contexts: BrowserContext[] = []
let problems: string[] = []
/**
 * Chromium logs every HTTP error response as a console error. A refused matrix document is
 * answered with 400 (and a test-made "no database" answer with 409): those are expected and
 * counted here; any other console error, page error or Vue warning fails the test.
 */
let refusals: string[] = []

beforeAll(async () => {
  server = await startServe(45_000, join(dir, 'lab.db'))
  browser = await launchBrowser()
})

afterEach(async () => {
  const found = problems
  await Promise.all(contexts.map((c) => c.close()))
  contexts = []
  problems = []
  refusals = []
  if (found.length > 0) throw new Error(`the page reported errors:\n${found.join('\n')}`)
})

afterAll(async () => {
  await browser?.close()
  await server?.stop()
  rmSync(dir, { recursive: true, force: true })
})

async function openApp(): Promise<Page> {
  const context = await browser!.newContext({ acceptDownloads: true, viewport: { width: 1440, height: 900 } })
  contexts.push(context)
  const page = await context.newPage()
  page.setDefaultTimeout(15_000)
  page.on('console', (msg) => {
    const where = msg.location().url
    const refused = /status of (400|409)/.test(msg.text())
    if (msg.type() === 'error' && refused && /\/api\/(compareSpec|listComparisons)$/.test(where)) refusals.push(where)
    else if (msg.type() === 'error') problems.push(`console error: ${msg.text()} (${where})`)
    if (msg.type() === 'warning' && msg.text().includes('[Vue warn]')) problems.push(msg.text())
  })
  page.on('pageerror', (err) => problems.push(`page error: ${err.stack ?? err.message}`))
  await page.goto(server!.url)
  await page.locator(tid('nav-compare')).click()
  return page
}

const tid = (id: string) => `[data-testid="${id}"]`
const AQIC = 'pqap aqic 05.0004 ir=1 isc=6 nib=0x2000'

async function openBuilder(page: Page): Promise<void> {
  await page.locator(tid('compare-builder-toggle')).click()
  await page.locator(tid('compare-builder')).waitFor()
  // The catalogue needs the profiles.
  await page.locator(tid('builder-dim-kernel-linux-5.2')).waitFor()
}

async function tableRows(page: Page, testid: string): Promise<string[][]> {
  const rows = page.locator(`${tid(testid)} tbody tr`)
  await rows.first().waitFor()
  return rows.evaluateAll((trs) =>
    trs.map((tr) => Array.from(tr.querySelectorAll('td')).map((td) => td.textContent?.trim() ?? '')),
  )
}

/** The CLI's answer for the same document: `aplab compare <file> --format json`. */
function cliCover(spec: unknown): { coords: string[]; outcome: string }[] {
  const file = join(dir, 'spec.json')
  writeFileSync(file, JSON.stringify(spec))
  const out = execFileSync(process.execPath, ['bin/aplab.mjs', 'compare', file, '--format', 'json'], {
    cwd: ROOT,
    encoding: 'utf8',
  })
  return (JSON.parse(out) as { cover: { coords: string[]; outcome: string }[] }).cover
}

async function specJson(page: Page): Promise<Record<string, unknown>> {
  return JSON.parse(await page.locator(tid('builder-spec-json')).inputValue()) as Record<string, unknown>
}

describe('matrix builder', () => {
  it('builds kernels × vfio_ap with the AQIC probe, runs it and shows the cover the CLI prints', async () => {
    const page = await openApp()
    await openBuilder(page)

    await page.locator(tid('builder-dim-kernel-linux-5.2')).check()
    await page.locator(tid('builder-dim-kernel-linux-5.3')).check()
    await page.locator(tid('builder-dim-vfio-none')).check()
    await page.locator(tid('builder-dim-vfio-mdev')).check()
    expect(await page.locator(tid('builder-cells')).textContent()).toContain('0 cells')
    await page.locator(tid('builder-pick-aqic-enable')).click()
    expect(await page.locator(tid('builder-probes')).inputValue()).toBe(AQIC)
    expect(await page.locator(tid('builder-cells')).textContent()).toMatch(/^\s*4\s+cells\s+kernel \(2\) × vfio \(2\)/)
    expect(await page.locator(tid('builder-dim-kernel')).getAttribute('data-swept')).toBe('true')
    expect(await page.locator(tid('builder-dim-qemu')).getAttribute('data-swept')).toBe('false')

    await page.locator(tid('builder-run')).click()
    const cover = await tableRows(page, 'compare-cover')

    // The expectation, computed with `aplab compare` on this document: QEMU defaults to qemu-10.1
    // -cpu host, which turns apqi on wherever KVM offers facility 65, so no SPECIFICATION here.
    expect(cover).toEqual([
      ['linux-5.2', 'x', 'OPERATION'],
      ['linux-5.3', 'none', 'cc 3, RC 0x01 Q_NOT_AVAIL, GR1 bits 0–31'],
      ['linux-5.3', 'mdev', 'cc 0, RC 0x00 NORMAL, GR1 bits 32–63'],
    ])
    const spec = await specJson(page)
    expect(cover).toEqual(cliCover(spec).map((r) => [...r.coords, r.outcome]))
    expect(cover.flat()).not.toContain('SPECIFICATION')
    expect(await page.locator(`${tid('compare-cover')} td.cell-any`).count()).toBe(1)

    // The minimized and full tables.
    expect(await tableRows(page, 'compare-minimized')).toEqual(cover)
    await page.locator(`${tid('compare-full')} > summary`).click()
    expect((await tableRows(page, 'compare-cells')).map((r) => r.slice(0, 3))).toEqual([
      ['linux-5.2', 'none', 'OPERATION'],
      ['linux-5.2', 'mdev', 'OPERATION'],
      ['linux-5.3', 'none', 'cc 3, RC 0x01 Q_NOT_AVAIL, GR1 bits 0–31'],
      ['linux-5.3', 'mdev', 'cc 0, RC 0x00 NORMAL, GR1 bits 32–63'],
    ])

    // A cover row with x opens its cells; each has a trace.
    await page
      .locator(`${tid('compare-cover')} tbody tr`)
      .first()
      .click()
    expect(await page.locator(`${tid('compare-covered')} button`).count()).toBe(2)
    expect(await page.locator(`${tid('compare-trace')} ${tid('trace-row')}`).count()).toBeGreaterThan(0)
    const rule = (await page.locator(tid('compare-cell-rule')).textContent()) ?? ''
    expect(rule.length).toBeGreaterThan(0)

    // The header's matrix list now offers the builder's result.
    expect(await page.locator(tid('compare-matrix')).inputValue()).toBe('@builder')

    // Every export; HTML has no external reference and downloads as .html.
    for (const f of ['text', 'md', 'csv', 'json']) {
      await page.locator(tid(`compare-format-${f}`)).click()
      expect(((await page.locator(tid(`compare-export-${f}`)).textContent()) ?? '').length).toBeGreaterThan(0)
    }
    await page.locator(tid('compare-format-html')).click()
    const html = (await page.locator(tid('compare-export-html')).textContent()) ?? ''
    expect(html).toContain('linux-5.3')
    expect(html).not.toContain('http://')
    expect(html).not.toContain('https://')
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator(tid('compare-download')).click()])
    expect(download.suggestedFilename()).toBe('custom.html')

    // A built matrix is saved as its spec and the computed result, and listed.
    await page.locator(tid('compare-save')).click()
    const saved = page.locator(tid('compare-save-message'))
    await saved.waitFor()
    const savedId = Number(/#(\d+)/.exec((await saved.textContent()) ?? '')?.[1])
    await page.locator(tid(`comparison-row-${savedId}`)).waitFor()

    expect(await page.locator(tid('error-banner')).count()).toBe(0)
    expect(refusals).toEqual([])
  })

  it('round-trips the spec JSON with the form, and downloads it', async () => {
    const page = await openApp()
    await openBuilder(page)
    await page.locator(tid('builder-dim-kernel-linux-5.2')).check()
    await page.locator(tid('builder-dim-kernel-linux-5.3')).check()
    // Groups without a swept dimension are folded.
    expect(await page.locator(tid('builder-dim-apqi')).count()).toBe(0)
    await page.locator(tid('builder-group-cpu-model-features')).click()
    await page.locator(tid('builder-dim-apqi-off')).check()
    await page.locator(tid('builder-pick-tapq')).click()
    await page.locator(tid('builder-pick-aqic-enable')).click()
    await page.locator(tid('builder-outcome-status')).check()

    await page.locator(tid('builder-json-toggle')).click()
    const spec = await specJson(page)
    expect(spec).toEqual({
      format: 'aplab/matrix@1',
      name: 'custom',
      title: 'Custom matrix',
      base: {},
      dimensions: [
        { id: 'kernel', label: 'kernel', field: 'kernel', values: [{ value: 'linux-5.2' }, { value: 'linux-5.3' }] },
        { id: 'apqi', label: 'apqi', field: 'cpu.apqi', values: [{ value: 'off' }] },
      ],
      probes: ['pqap tapq 05.0004', AQIC],
      outcome: ['pgm', 'cc', 'rc', 'status', 'placement'],
    })
    expect(await page.locator(tid('builder-cells')).textContent()).toContain('4 cells')

    // Edited as JSON: the form follows (a program probe, another kernel, a new title, a note).
    const edited = {
      ...spec,
      title: 'AQIC on two kernels',
      dimensions: [
        {
          id: 'kernel',
          label: 'Host Linux',
          field: 'kernel',
          values: [{ value: 'linux-5.2' }, { value: 'linux-5.3' }, { id: 'new', value: 'linux-6.8' }],
        },
      ],
      probes: [AQIC, { id: 'twice', steps: [AQIC, 'pqap aqic 05.0004 ir=1 isc=6 nib=0x3000'] }],
      notes: ['kept as written'],
    }
    await page.locator(tid('builder-spec-json')).fill(JSON.stringify(edited))
    expect(await page.locator(tid('builder-title')).inputValue()).toBe('AQIC on two kernels')
    expect(await page.locator(tid('builder-dim-kernel-linux-6.8')).isChecked()).toBe(true)
    expect(await page.locator(tid('builder-dim-apqi-off')).isChecked()).toBe(false)
    expect(await page.locator(tid('builder-probes')).inputValue()).toBe(
      `${AQIC}\n${AQIC} ; pqap aqic 05.0004 ir=1 isc=6 nib=0x3000`,
    )
    expect(await page.locator(tid('builder-cells')).textContent()).toContain('6 cells')
    expect(await specJson(page)).toEqual(edited)

    // A form change rewrites the JSON and keeps what the form does not edit (ids, labels, notes).
    await page.locator(tid('builder-dim-kernel-linux-5.2')).uncheck()
    const after = await specJson(page)
    expect(after).toEqual({
      ...edited,
      dimensions: [
        {
          id: 'kernel',
          label: 'Host Linux',
          field: 'kernel',
          values: [{ value: 'linux-5.3' }, { id: 'new', value: 'linux-6.8' }],
        },
      ],
    })

    // Broken JSON is reported and leaves the form on the last valid document.
    await page.locator(tid('builder-spec-json')).fill('{"format": ')
    await page.locator(tid('builder-json-error')).waitFor()
    expect(await page.locator(tid('builder-cells')).textContent()).toContain('4 cells')
    await page.locator(tid('builder-spec-json')).fill(JSON.stringify(after))
    expect(await page.locator(tid('builder-json-error')).count()).toBe(0)

    const [download] = await Promise.all([page.waitForEvent('download'), page.locator(tid('builder-download')).click()])
    expect(download.suggestedFilename()).toBe('custom.json')
    const path = join(dir, 'downloaded.json')
    await download.saveAs(path)
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual(after)

    // It runs, with as many cells as the builder counted.
    expect(await page.locator(tid('builder-cells')).textContent()).toContain('4 cells')
    await page.locator(tid('builder-run')).click()
    const cover = await tableRows(page, 'compare-cover')
    expect(cover.length).toBeGreaterThan(0)
    expect(await page.locator(tid('compare-intro')).textContent()).toContain('= 4 cells')
    // A program probe's cell shows the outcome of its earlier step.
    await page.locator(`${tid('compare-full')} > summary`).click()
    await page
      .locator(`${tid('compare-cells')} tbody tr`)
      .last()
      .click()
    expect(await page.locator(tid('compare-cell')).textContent()).toContain('earlier steps')
    expect(problems).toEqual([])
  })

  it('starts from a built-in and shows the service refusals next to the field they name', async () => {
    const page = await openApp()
    await openBuilder(page)
    await page.locator(tid('builder-start')).selectOption('seed-2019-03')
    await page.locator(tid('builder-load')).click()
    await expect.poll(() => page.locator(tid('builder-name')).inputValue()).toBe('seed-2019-03')
    expect(await page.locator(tid('builder-dim-kernel-linux-5.2')).isChecked()).toBe(true)
    expect(await page.locator(tid('builder-dim-kernel-aqic-v5')).isChecked()).toBe(true)
    // QEMU values given by `set` are not the catalogue's: kept as written, edited in the JSON.
    expect(await page.locator(tid('builder-dim-qemu')).getAttribute('data-swept')).toBe('false')
    expect(await page.locator(tid('builder-docdim-qemu')).textContent()).toContain('NEW/apqi=off')
    expect(await page.locator(tid('builder-cells')).textContent()).toContain('12 cells')
    await page.locator(tid('builder-run')).click()
    const rows = await tableRows(page, 'compare-rows')
    expect(rows.map((r) => r[3])).toEqual(['OPERATION', 'SPECIFICATION', 'SPECIFICATION', '-'])

    // A probe the service cannot parse: the message sits under the probes, with its line.
    await page.locator(tid('builder-probes')).fill(`${AQIC}\npqap bogus`)
    await page.locator(tid('builder-run')).click()
    const probeError = page.locator(tid('builder-error-probes'))
    await probeError.waitFor()
    expect(await probeError.textContent()).toContain("line 2: cannot parse 'pqap bogus'")

    // Two probes add a probe dimension, so the seed's three-coordinate rows no longer fit.
    await page.locator(tid('builder-probes')).fill(AQIC)
    await page.locator(tid('builder-pick-tapq')).click()
    await page.locator(tid('builder-run')).click()
    const jsonError = page.locator(tid('builder-error-json'))
    await jsonError.waitFor()
    expect(await jsonError.textContent()).toContain('spec.rows[0]')
    expect(await jsonError.textContent()).toContain('the matrix has 4 dimensions')

    // An unknown kernel typed into the JSON: the message sits at the kernel dimension.
    const spec = await specJson(page)
    const dims = spec.dimensions as { values: { id?: string; value: string }[] }[]
    dims[0]!.values.push({ id: 'future', value: 'linux-9.9' })
    await page.locator(tid('builder-spec-json')).fill(JSON.stringify({ ...spec, rows: undefined, probes: [AQIC] }))
    await page.locator(tid('builder-run')).click()
    const dimError = page.locator(tid('builder-error-dim-kernel'))
    await dimError.waitFor()
    expect(await dimError.textContent()).toContain('spec.dimensions[0].values[2].value')
    expect(await dimError.textContent()).toContain('unknown kernel profile "linux-9.9"')
    expect(await page.locator(tid('builder-error-probes')).count()).toBe(0)

    // The refusals were shown in place, not in the error banner.
    expect(await page.locator(tid('error-banner')).count()).toBe(0)
    expect(refusals.length).toBe(3)
  })

  it('shows an indeterminate progress bar with the cell count, and Cancel drops the answer', async () => {
    const page = await openApp()
    await openBuilder(page)
    await page.locator(tid('builder-dim-kernel-linux-6.3')).check()
    await page.locator(tid('builder-dim-kernel-linux-6.8')).check()
    await page.locator(tid('builder-dim-psw-supervisor')).check()
    await page.locator(tid('builder-dim-psw-problem')).check()
    await page.locator(tid('builder-pick-aqic-enable')).click()

    // Hold the answer back so the sweep is seen in flight.
    let release: () => void = () => {}
    const held = new Promise<void>((r) => (release = r))
    await page.route('**/api/compareSpec', async (route) => {
      await held
      await route.continue()
    })
    await page.locator(tid('builder-run')).click()
    const progress = page.locator(tid('compare-progress'))
    await progress.waitFor()
    expect(await page.locator(tid('compare-progress-cells')).textContent()).toBe('4 cells')
    expect(await progress.locator('[role="progressbar"]').count()).toBe(1)
    await expect.poll(async () => page.locator(tid('compare-progress-elapsed')).textContent()).not.toBe('0.0 s')
    expect(await page.locator(tid('builder-run')).isDisabled()).toBe(true)

    await page.locator(tid('compare-cancel')).click()
    await progress.waitFor({ state: 'detached' })
    expect(await page.locator(tid('compare-cancelled')).textContent()).toContain('aplab compare')
    const responded = page.waitForResponse((r) => r.url().endsWith('/api/compareSpec'))
    release()
    expect((await responded).status()).toBe(200)
    await page.waitForTimeout(300)
    // The answer arrived and was ignored.
    expect(await page.locator(tid('compare-cover')).count()).toBe(0)
    expect(await page.locator(tid('compare-matrix')).inputValue()).not.toBe('@builder')

    await page.unroute('**/api/compareSpec')
    await page.locator(tid('builder-run')).click()
    expect((await tableRows(page, 'compare-cover')).length).toBeGreaterThan(0)
    expect(await page.locator(tid('compare-matrix')).inputValue()).toBe('@builder')
    expect(problems).toEqual([])
  })
})

describe('ABI diff of two profiles', () => {
  it('diffs linux-6.3 and linux-6.8: cc 0 on success and RC 0x06 on GISC failure, highlighted', async () => {
    const page = await openApp()
    await page.locator(tid('compare-view-diff')).click()
    await page.locator(tid('diff-a')).selectOption('linux-6.3')
    await page.locator(tid('diff-b')).selectOption('linux-6.8')
    // Only profiles of a's kind are offered as b.
    const bOptions = await page.locator(`${tid('diff-b')} option`).evaluateAll((os) => os.map((o) => o.textContent))
    expect(bOptions).toContain('linux-5.2')
    expect(bOptions.some((o) => o?.startsWith('qemu-'))).toBe(false)

    await page.locator(tid('diff-run')).click()
    const groups = page.locator(`${tid('diff-groups')} > ${tid('diff-group')}`)
    await groups.first().waitFor({ timeout: 30_000 })
    expect(await groups.count()).toBe(3)
    const texts = await groups.allTextContents()
    expect(texts.some((t) => t.includes('cc 0'))).toBe(true)
    expect(texts.some((t) => t.includes('RC 0x06'))).toBe(true)
    expect(await page.locator(tid('diff-summary')).textContent()).toContain(
      '3 guest-visible changes from linux-6.3 to linux-6.8 in 52 of 18,432 cells',
    )

    // The changed fields are highlighted, and only they.
    const changedAfter = (i: number) =>
      groups
        .nth(i)
        .locator(`${tid('diff-after')} [data-changed="true"]`)
        .allTextContents()
    expect(await changedAfter(0)).toEqual(['cc 0'])
    expect(await changedAfter(2)).toEqual(['RC 0x06 INVALID_ADDRESS'])
    expect(
      await groups
        .nth(0)
        .locator(`${tid('diff-before')} [data-changed="true"]`)
        .allTextContents(),
    ).toEqual(['cc 1'])

    // The first change is open: deciding rules with sources, where it happens, both traces.
    const first = groups.nth(0)
    expect(await first.locator(tid('diff-ref-before')).textContent()).toContain('linux v6.3')
    expect(await first.locator(tid('diff-ref-after')).textContent()).toContain('linux v6.8')
    expect(await first.locator(`${tid('diff-where')} tbody tr`).count()).toBeGreaterThan(0)
    expect(await first.locator(`${tid('diff-where')} td[data-changed="true"]`).count()).toBeGreaterThan(0)
    const before = first.locator(`${tid('diff-trace-before')} ${tid('trace-row')}`)
    const after = first.locator(`${tid('diff-trace-after')} ${tid('trace-row')}`)
    expect(await before.count()).toBeGreaterThan(0)
    expect(await after.count()).toBeGreaterThan(0)
    expect(await first.locator(`${tid('diff-trace-after')} .deciding`).getAttribute('data-rule')).toBe(
      'vfio_ap.irq.enabled',
    )

    // A closed change opens on click.
    const third = groups.nth(2)
    await third.locator('summary').click()
    expect(await third.locator(tid('diff-ref-after')).textContent()).toContain('vfio_ap_irq_enable')

    // The diff's exports: HTML with no external reference.
    await page.locator(tid('diff-format-html')).click()
    const html = (await page.locator(tid('diff-export-html')).textContent()) ?? ''
    expect(html).toMatch(/^<!doctype html>/i)
    expect(html).not.toContain('http://')
    expect(html).not.toContain('https://')
    expect(problems).toEqual([])
  })

  it('says "no guest-visible change" and lists host-only changes', async () => {
    const page = await openApp()
    await page.locator(tid('compare-view-diff')).click()
    await page.locator(tid('diff-a')).selectOption('linux-5.3')
    await page.locator(tid('diff-b')).selectOption('linux-5.7')
    await page.locator(tid('diff-run')).click()
    const empty = page.locator(tid('diff-empty'))
    await empty.waitFor({ timeout: 30_000 })
    expect(await empty.textContent()).toContain('No guest-visible change')
    expect(await page.locator(tid('diff-groups')).count()).toBe(0)
    const host = page.locator(`${tid('diff-host')} ${tid('diff-group')}`)
    expect(await host.count()).toBe(5)
    expect(await host.first().textContent()).toContain('WARN_ON_ONCE')

    // QEMU × QEMU: b follows a's kind.
    await page.locator(tid('diff-a')).selectOption('qemu-4.0')
    const bOptions = await page.locator(`${tid('diff-b')} option`).evaluateAll((os) => os.map((o) => o.textContent))
    expect(bOptions.every((o) => o?.startsWith('qemu-'))).toBe(true)
    expect(await page.locator(tid('diff-b')).inputValue()).toBe('qemu-4.1')
    expect(problems).toEqual([])
  })
})

describe('saved comparisons', () => {
  it('saves a built-in comparison and lists it', async () => {
    const page = await openApp()
    await page.locator(tid('compare-matrix')).selectOption('seed-2019-03')
    await page.locator(tid('compare-run')).click()
    await page
      .locator(`${tid('compare-cover')} tbody tr`)
      .first()
      .waitFor()
    await page.locator(tid('compare-save')).click()
    const message = page.locator(tid('compare-save-message'))
    await message.waitFor()
    const id = Number(/#(\d+)/.exec((await message.textContent()) ?? '')?.[1])
    const row = page.locator(tid(`comparison-row-${id}`))
    await row.waitFor()
    expect(await row.textContent()).toContain('AQIC behaviour, March 2019')
    expect(problems).toEqual([])
  })

  it('says plainly when there is no database', async () => {
    const context = await browser!.newContext()
    contexts.push(context)
    const page = await context.newPage()
    page.on('console', (msg) => {
      const where = msg.location().url
      if (msg.type() === 'error' && /status of 409/.test(msg.text()) && where.endsWith('/api/listComparisons'))
        refusals.push(where)
      else if (msg.type() === 'error') problems.push(`console error: ${msg.text()} (${where})`)
    })
    page.on('pageerror', (err) => problems.push(`page error: ${err.stack ?? err.message}`))
    // The service's answer without a database (LabServiceOptions without a store).
    await page.route('**/api/listComparisons', (route) =>
      route.fulfill({
        status: 409,
        contentType: 'application/json',
        body: JSON.stringify({ ok: false, error: { code: 'conflict', message: 'no database open' } }),
      }),
    )
    await page.goto(server!.url)
    await page.locator(tid('nav-compare')).click()
    const nodb = page.locator(tid('compare-nodb'))
    await nodb.waitFor()
    expect(await nodb.textContent()).toContain('No database open')
    expect(await nodb.textContent()).toContain('no database open')
    await page.locator(tid('compare-run')).click()
    await page
      .locator(`${tid('compare-cover')} tbody tr`)
      .first()
      .waitFor()
    expect(await page.locator(tid('compare-save')).isDisabled()).toBe(true)
    expect(await page.locator(tid('compare-save')).getAttribute('title')).toContain('no database open')
    expect(await page.locator(tid('error-banner')).count()).toBe(0)
    expect(problems).toEqual([])
  })
})
