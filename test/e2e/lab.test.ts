// Lab session screens in a real Chromium against `aplab serve`: Queue assignment (owners, a
// refused and an accepted sysfs write, undo, the static era, keyboard) and Guests (program
// editor, run, results, trace, events, a guest that does not start), plus the 256 × 256 grid
// render measurement the bench reads.
import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { useLab } from './harness'

const lab = useLab()

const tid = (id: string) => `[data-testid="${id}"]`

/** Vue warnings go to console.warn, which the harness does not collect. */
function collectVueWarnings(page: Page): string[] {
  const warnings: string[] = []
  page.on('console', (msg) => {
    if (msg.type() === 'warning' && msg.text().includes('[Vue warn]')) warnings.push(msg.text())
  })
  return warnings
}

async function text(page: Page, id: string): Promise<string> {
  return ((await page.locator(tid(id)).textContent({ timeout: 5_000 })) ?? '').trim()
}

async function openQueues(page: Page): Promise<void> {
  await page.locator(tid('nav-queues')).click()
  await page.locator(tid('cell-05.0004')).waitFor()
}

describe('queue assignment screen', () => {
  it('shows owners, refuses an overlapping assignment with the errno and accepts a free domain', async () => {
    const page = await lab.openApp()
    page.setDefaultTimeout(10_000)
    const warnings = collectVueWarnings(page)
    await openQueues(page)
    expect(await page.locator(tid('lab-example')).inputValue()).toBe('two-guests-one-adapter')
    expect(await text(page, 'lab-era')).toBe('dynamic matrix')

    // 05.0004 belongs to guest g1 through mdev-g1; 05.0005 to g2.
    const c4 = page.locator(tid('cell-05.0004'))
    expect(await c4.getAttribute('class')).toContain('o-guest')
    expect(await c4.textContent()).toContain('g1')
    expect(await page.locator(tid('cell-05.0005')).textContent()).toContain('g2')
    await c4.click()
    expect(await text(page, 'cell-detail-apqn')).toBe('05.0004')
    expect(await page.locator(tid('cell-detail-owner')).getAttribute('data-owner')).toBe('guest')
    expect(await text(page, 'cell-detail-guest')).toBe('g1')
    expect(await text(page, 'cell-detail-mdev')).toBe('mdev-g1')
    expect(await text(page, 'mdev-matrix-mdev-g1')).toBe('05.0004')
    expect(await text(page, 'mdev-guest-matrix-mdev-g1')).toBe('05.0004')
    expect(await text(page, 'mdev-matrix-mdev-g2')).toBe('05.0005')

    // mdev-g2 asks for 05.0004 while the guests run: EADDRINUSE, and nothing changes.
    await page.locator(tid('mdev-mdev-g2')).click()
    expect(await page.locator(tid('mdev-mdev-g2')).getAttribute('aria-pressed')).toBe('true')
    await page.locator(tid('guests-running')).check()
    await c4.click()
    const refusal = page.locator(tid('assign-refusal'))
    await refusal.waitFor()
    expect(await text(page, 'assign-refusal-errno')).toBe('EADDRINUSE')
    const refusalText = (await refusal.textContent()) ?? ''
    expect(refusalText).toContain('EADDRINUSE — the matrix would share queues with mdev mdev-g1')
    expect(refusalText).toContain('echo 0x4 > /sys/devices/vfio_ap/matrix/mdev-g2/assign_domain')
    expect(refusalText).toContain('The session is unchanged')
    expect(await text(page, 'mdev-matrix-mdev-g2')).toBe('05.0005')
    expect(await page.locator(tid('lab-undo')).isDisabled()).toBe(true)
    expect(
      await page
        .locator(`${tid('write-log')} li`)
        .first()
        .textContent(),
    ).toContain('EADDRINUSE')

    // Another example: mdev-a takes the free domain 0006 (dynamic era, guests running: hot plug).
    await page.locator(tid('lab-example')).selectOption('overlapping-assignment')
    await expect.poll(() => page.locator(tid('cell-05.0004')).textContent()).toContain('a')
    expect(await refusal.count()).toBe(0)
    await page.locator(tid('mdev-mdev-a')).click()
    await page.locator(tid('grid-full')).check()
    await expect.poll(() => text(page, 'grid-size')).toBe('256 × 256')
    await page.locator(tid('domain-0006')).click()
    await expect.poll(() => text(page, 'mdev-matrix-mdev-a')).toBe('05.0004\n05.0006')
    expect(await refusal.count()).toBe(0)
    expect(
      await page
        .locator(`${tid('write-log')} li`)
        .first()
        .textContent(),
    ).toContain('echo 0x6 > /sys/devices/vfio_ap/matrix/mdev-a/assign_domain')
    await expect.poll(() => page.locator(tid('cell-05.0006')).getAttribute('class')).toContain('sel')
    expect(await page.locator(tid('cell-05.0006')).getAttribute('class')).toContain('o-guest')
    expect(await page.locator(tid('domain-0006')).textContent()).toContain('U')
    // 05.0006 has no queue, so the filter drops the whole APID 05 from the guest matrix.
    expect(await text(page, 'mdev-guest-matrix-mdev-a')).toBe('.0004\n.0006')
    expect(await page.locator(`${tid('adapter-05')} ${tid('apid-dropped')}`).count()).toBe(1)
    expect(await page.locator(tid('cell-05.0004')).getAttribute('class')).toContain('nogm')

    // Dragging across domain headers assigns several in one undoable step.
    await page.locator(tid('domain-0007')).hover()
    await page.mouse.down()
    await page.locator(tid('domain-0008')).hover()
    await page.locator(tid('domain-0009')).hover()
    await page.mouse.up()
    await expect.poll(() => text(page, 'mdev-matrix-mdev-a')).toBe('05.0004\n05.0006\n05.0007\n05.0008\n05.0009')

    // Ctrl+Z undoes the drag, then the single assignment; Redo brings one back.
    await page.locator(tid('apqn-grid')).focus()
    await page.keyboard.press('Control+z')
    await expect.poll(() => text(page, 'mdev-matrix-mdev-a')).toBe('05.0004\n05.0006')
    await page.keyboard.press('Control+z')
    await expect.poll(() => text(page, 'mdev-matrix-mdev-a')).toBe('05.0004')
    await page.locator(tid('lab-redo')).click()
    await expect.poll(() => text(page, 'mdev-matrix-mdev-a')).toBe('05.0004\n05.0006')
    // Back to the example's matrix: 05.0006 has no queue, which the static era would not accept.
    await page.locator(tid('lab-undo')).click()
    await expect.poll(() => text(page, 'mdev-matrix-mdev-a')).toBe('05.0004')

    // Linux 5.15, static matrix: a write while the guests run is refused with EBUSY.
    await page.locator(tid('lab-kernel')).selectOption('linux-5.15')
    await expect.poll(() => text(page, 'lab-era')).toBe('static matrix')
    await page.locator(tid('domain-0007')).click()
    await expect.poll(() => text(page, 'assign-refusal-errno')).toBe('EBUSY')
    expect(await text(page, 'assign-refusal-reason')).toContain('running guest')

    // Keyboard: move the cursor to 05.0007 and press Enter with the guests stopped. The static era
    // wants a queue bound to vfio_ap, and the host has none there: EADDRNOTAVAIL.
    await page.locator(tid('guests-running')).uncheck()
    // Esc leaves assignment mode, so a click only moves the cursor.
    await page.keyboard.press('Escape')
    expect(await page.locator(tid('assign-mode')).count()).toBe(0)
    await page.locator(tid('cell-05.0004')).click()
    expect(await text(page, 'cell-detail-apqn')).toBe('05.0004')
    expect(await text(page, 'mdev-matrix-mdev-a')).toBe('05.0004')
    await page.locator(tid('mdev-mdev-a')).click()
    await page.locator(tid('apqn-grid')).focus()
    await page.keyboard.press('ArrowRight')
    await page.keyboard.press('ArrowRight')
    await page.keyboard.press('ArrowRight')
    expect(await text(page, 'cell-detail-apqn')).toBe('05.0007')
    await page.keyboard.press('Enter')
    await expect.poll(() => text(page, 'assign-refusal-errno')).toBe('EADDRNOTAVAIL')
    expect(await text(page, 'mdev-matrix-mdev-a')).toBe('05.0004')

    expect(await page.locator(tid('error-banner')).count()).toBe(0)
    expect(warnings).toEqual([])
  })
})

describe('guests screen', () => {
  it('runs the built-in session and explains a step by its trace', async () => {
    const page = await lab.openApp()
    page.setDefaultTimeout(10_000)
    const warnings = collectVueWarnings(page)
    await page.locator(tid('nav-guests')).click()
    const editor = page.locator(tid('program-editor'))
    await editor.waitFor()
    expect(await page.locator(tid('guest-tab-g1')).getAttribute('aria-selected')).toBe('true')
    expect(await editor.inputValue()).toContain('aqic 05.0004 ir=1 isc=6 nib=0x2000')
    expect(await page.locator(tid('guest-qemu')).inputValue()).toBe('qemu-8.2')
    expect(await page.locator(tid('guest-mdev')).inputValue()).toBe('mdev-g1')

    await page.locator(tid('run-session')).click()
    const table = page.locator(tid('results-g1'))
    await table.waitFor()
    const rows = table.locator(tid('step-row'))
    expect(await rows.count()).toBe(6)
    const aqic = table.locator(`${tid('step-row')}[data-insn="PQAP(AQIC)"]`)
    expect(await aqic.count()).toBe(1)
    expect(await aqic.locator(tid('step-cc')).textContent()).toBe('0')
    expect(await aqic.textContent()).toContain('05.0004')
    expect(await aqic.textContent()).toContain('NORMAL')
    expect(await aqic.textContent()).toContain('vfio_ap.irq.enabled')
    const wait = table.locator(`${tid('step-row')}[data-insn="WAIT"]`)
    expect(await wait.count()).toBe(1)
    expect(await wait.getAttribute('data-rule')).toBe('lab.wait.irq')

    // A row opens its trace: layers, rules and sources, the deciding rule marked.
    await aqic.click()
    const trace = page.locator(tid('step-trace'))
    await trace.waitFor()
    const rules = await trace
      .locator(tid('trace-row'))
      .evaluateAll((rs) => rs.map((r) => `${r.getAttribute('data-layer')} ${r.getAttribute('data-rule')}`))
    expect(rules).toContain('vfio_ap vfio_ap.irq.enabled')
    expect(rules).toContain('kvm kvm.pqap.cc-success')
    expect(await trace.locator('tr.deciding').getAttribute('data-rule')).toBe('vfio_ap.irq.enabled')
    expect(await trace.textContent()).toContain('drivers/s390/crypto/vfio_ap_ops.c')
    expect(await text(page, 'step-outcome')).toContain('cc 0 · RC 0x00 NORMAL')
    expect(await page.locator(`${tid('step-registers')} ${tid('reg-r1')}`).getAttribute('data-changed')).toBe('true')

    // The filter keeps matching rows only.
    await page.locator(tid('results-filter')).fill('aqic')
    await expect.poll(() => rows.count()).toBe(1)
    await page.locator(tid('results-filter')).fill('')
    await expect.poll(() => rows.count()).toBe(6)

    // g2 has its own table; after the run the Queue assignment grid shows the interrupt state.
    await page.locator(tid('guest-tab-g2')).click()
    await page.locator(tid('results-g2')).waitFor()
    expect(
      await page
        .locator(`${tid('results-g2')} ${tid('step-row')}`)
        .first()
        .textContent(),
    ).toContain('05.0005')
    await page.locator(tid('nav-queues')).click()
    await expect.poll(() => page.locator(tid('cell-05.0004')).textContent()).toContain('I6')
    await page.locator(tid('cell-05.0004')).click()
    expect(await text(page, 'cell-detail-irq-run')).toContain('I=1 ISC 6 NIB 0x2000')
    // Once the host's own end state arrives (labView afterRun), the detail says it is that.
    await expect.poll(() => text(page, 'cell-detail-irq-run')).toContain('the host at the end of the run')
    expect(await text(page, 'cell-detail-irq-run')).toContain('I=1 ISC 6 NIB 0x2000')
    await page.locator(tid('nav-guests')).click()

    // The program editor: a bad line is named with its reason and changes nothing; fixing it does.
    await page.locator(tid('guest-tab-g1')).click()
    await editor.fill('pqap tapq 05.0004\nbogus 1\naqic 05.0004 isc=9')
    const errors = page.locator(tid('program-error'))
    await expect.poll(() => errors.count()).toBe(2)
    expect(await errors.nth(0).textContent()).toContain("line 2: unknown step 'bogus'")
    expect(await errors.nth(1).textContent()).toContain('line 3: isc: must be 0..7, got 9')
    await editor.fill('pqap tapq 05.0004\nsleep 10\naqic 05.0004 isc=3')
    await expect.poll(() => errors.count()).toBe(0)
    expect(await text(page, 'program-status')).toBe('3 steps')
    await page.locator(tid('run-session')).click()
    await expect.poll(() => page.locator(`${tid('results-g1')} ${tid('step-row')}`).count()).toBe(2)
    expect(await page.locator(tid('run-state')).textContent()).toContain('ran:')

    // A guest that cannot start: apqi=on on QEMU 4.0. QEMU's error is shown.
    await page.locator(tid('guest-qemu')).selectOption('qemu-4.0')
    await page.locator(tid('guest-feature-apqi-on')).click()
    const startError = page.locator(tid('guest-start-error'))
    await startError.waitFor()
    expect(await startError.textContent()).toContain("Property '.apqi' not found")
    await page.locator(tid('run-session')).click()
    await expect.poll(() => page.locator(`${tid('results-g1')} ${tid('step-row')}`).count()).toBe(0)
    expect(await page.locator(tid('guest-tab-g1')).locator('.dot.down').count()).toBe(1)

    // Events of a run: the overlapping assignment at 10 µs is refused with EADDRINUSE.
    await page.locator(tid('lab-example')).selectOption('overlapping-assignment')
    await page.locator(tid('run-session')).click()
    const event = page.locator(`${tid('run-events')} ${tid('run-event')}`)
    await event.waitFor()
    expect(await event.getAttribute('data-applied')).toBe('false')
    expect(await event.textContent()).toContain('refused EADDRINUSE')

    expect(await page.locator(tid('error-banner')).count()).toBe(0)
    expect(warnings).toEqual([])
  })
})

describe('grid render measurement', () => {
  it('renders the synthetic 256 × 256 session and reports its render time', async () => {
    const page = await lab.openApp()
    page.setDefaultTimeout(10_000)
    const warnings = collectVueWarnings(page)
    await page.goto(`${lab.server.url}#queues?synthetic=256`)
    const ms = page.locator(`${tid('grid-render-ms')}[data-state="done"][data-cells="65536"]`)
    await ms.waitFor({ timeout: 30_000 })
    const value = Number(await ms.getAttribute('data-ms'))
    expect(Number.isFinite(value) && value > 0).toBe(true)
    expect(Number(await ms.textContent())).toBe(value)
    expect(await text(page, 'grid-size')).toBe('256 × 256')
    expect(await page.locator(tid('cell-00.0000')).count()).toBe(1)
    expect(await page.locator(tid('grid-overview')).count()).toBe(1)
    // Only the visible window is in the DOM.
    expect(await page.locator('.apcell').count()).toBeLessThan(5000)
    console.log(`256 × 256 grid: ${value} ms to first paint (DOM ${await ms.getAttribute('data-dom-ms')} ms)`)
    expect(warnings).toEqual([])
  })
})

describe('results table scroll measurement', () => {
  it('shows 1,000,000 synthetic rows with only a window in the DOM and reports its scroll time', async () => {
    const page = await lab.openApp()
    page.setDefaultTimeout(10_000)
    const warnings = collectVueWarnings(page)
    await page.goto(`${lab.server.url}#guests?synthetic-rows=1000000`)
    const table = page.locator(tid('results-g1'))
    await table.waitFor({ timeout: 30_000 })
    expect(await text(page, 'results-count')).toBe('1,000,000 steps')
    const ms = page.locator(`${tid('results-scroll-ms')}[data-state="done"]`)
    await ms.waitFor({ timeout: 30_000 })
    const mean = Number(await ms.getAttribute('data-ms'))
    const total = Number(await ms.getAttribute('data-total-ms'))
    expect(Number.isFinite(mean) && mean > 0).toBe(true)
    expect(Number.isFinite(total) && total >= mean).toBe(true)
    expect(await ms.getAttribute('data-rows')).toBe('1000000')

    // Only the rows in view (and a few more) are in the DOM, at the top and at the bottom.
    const rows = table.locator(tid('step-row'))
    const scroller = page.locator('.results-scroll')
    await scroller.evaluate((el) => {
      el.scrollTop = 0
      el.dispatchEvent(new Event('scroll'))
    })
    await expect.poll(() => rows.first().getAttribute('data-index')).toBe('0')
    expect(await rows.count()).toBeLessThan(200)
    await scroller.evaluate((el) => {
      el.scrollTop = el.scrollHeight
      el.dispatchEvent(new Event('scroll'))
    })
    const bottom = table.locator(`${tid('step-row')}[data-index="999999"]`)
    await expect.poll(() => bottom.count()).toBe(1)
    expect(await bottom.isVisible()).toBe(true)
    expect(await rows.count()).toBeLessThan(200)

    // Keyboard and click still select rows: Home goes back to the first step, ↓ to the next.
    await scroller.focus()
    await page.keyboard.press('Home')
    await expect.poll(() => rows.first().getAttribute('data-index')).toBe('0')
    await page.keyboard.press('ArrowDown')
    const second = table.locator(`${tid('step-row')}[data-index="1"]`)
    await expect.poll(() => second.getAttribute('aria-selected')).toBe('true')
    expect(await text(page, 'step-outcome')).not.toBe('')
    await table.locator(`${tid('step-row')}[data-index="3"]`).click()
    await expect
      .poll(() => table.locator(`${tid('step-row')}[data-index="3"]`).getAttribute('aria-selected'))
      .toBe('true')

    // The filter works on all of them.
    await page.locator(tid('results-filter')).fill('#999999')
    await expect.poll(() => text(page, 'results-count'), { timeout: 30_000 }).toBe('1 of 1,000,000 steps')
    await expect.poll(() => rows.count()).toBe(1)
    expect(await rows.first().getAttribute('data-index')).toBe('999999')

    console.log(
      `1,000,000-row results table: ${mean} ms per scroll step, ${total} ms top to bottom in ${await ms.getAttribute('data-steps')} steps (DOM and layout ${await ms.getAttribute('data-work-ms')} ms a step)`,
    )
    expect(await page.locator(tid('error-banner')).count()).toBe(0)
    expect(warnings).toEqual([])
  })
})
