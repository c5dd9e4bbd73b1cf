import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { useLab } from './harness'

const lab = useLab()

const tid = (id: string) => `[data-testid="${id}"]`

/** Waits until the answer on screen belongs to the current form (the probe re-runs on every change). */
async function settled(page: Page): Promise<void> {
  await expect
    .poll(() => page.locator(tid('probe-state')).textContent(), { timeout: 10_000 })
    .toMatch(/up to date|refused/)
}

async function traceRules(page: Page): Promise<string[]> {
  return page
    .locator(`${tid('probe-trace')} ${tid('trace-row')}`)
    .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-rule') ?? ''))
}

describe('probe screen', () => {
  it('answers as the configuration changes, with the deciding rule and the trace', async () => {
    const page = await lab.openApp()
    await page.locator(tid('nav-probe')).click()
    const outcome = page.locator(tid('probe-outcome'))
    const rule = page.locator(tid('probe-rule'))
    await outcome.waitFor()
    expect(await page.locator(tid('probe-insn')).inputValue()).toBe('pqap aqic 05.0004 ir=1 isc=6 nib=0x2000')
    expect(await page.locator(tid('probe-kernel')).inputValue()).toBe('linux-6.8')
    expect(await page.locator(tid('probe-qemu')).inputValue()).toBe('qemu-4.1')

    // Linux 5.2 has no PQAP handler: QEMU injects an operation exception.
    await page.locator(tid('probe-kernel')).selectOption('linux-5.2')
    await expect.poll(() => rule.textContent()).toBe('qemu.b2.unhandled')
    await settled(page)
    expect(await outcome.getAttribute('data-outcome')).toBe('OPERATION')
    expect(await page.locator(tid('probe-pgm')).textContent()).toBe('OPERATION (0x01)')
    expect(await page.locator(tid('probe-handled-by')).textContent()).toBe('qemu')
    expect(await traceRules(page)).toContain('kvm.b2.no-pqap-case')
    expect(await page.locator(tid('probe-cli')).textContent()).toContain('--kernel linux-5.2 --qemu qemu-4.1')

    // Linux 6.8 with the mdev attached: the hook enables interruptions and KVM sets cc 0.
    await page.locator(tid('probe-kernel')).selectOption('linux-6.8')
    await page.locator(tid('probe-vfio-mdev')).click()
    await expect.poll(() => rule.textContent()).toBe('vfio_ap.irq.enabled')
    await settled(page)
    expect(await outcome.getAttribute('data-outcome')).toBe('cc 0')
    expect(await page.locator(tid('probe-cc')).textContent()).toBe('cc 0')
    expect(await page.locator(tid('probe-rc')).textContent()).toBe('0x00')
    expect(await page.locator(tid('probe-rc-name')).textContent()).toBe('NORMAL')
    expect(await page.locator(tid('probe-placement')).textContent()).toContain('bits 32–63')
    expect(await page.locator(tid('probe-bit-I')).getAttribute('class')).toContain('on')
    expect(await traceRules(page)).toContain('kvm.pqap.cc-success')
    // Registers in 64-bit hex; GR1 changed and is marked.
    const r1 = page.locator(tid('reg-r1'))
    expect(await r1.getAttribute('data-changed')).toBe('true')
    expect((await r1.textContent())?.replace(/\s+/g, ' ')).toContain('0x0000000081000000')
    // Layer chips and source refs in the trace.
    const firstRow = page.locator(`${tid('probe-trace')} ${tid('trace-row')}`).first()
    expect(await firstRow.getAttribute('data-layer')).toBe('firmware')
    expect(await firstRow.textContent()).toContain('architecture.md')

    // Problem state: privileged-operation exception.
    await page.locator(tid('probe-psw-problem')).click()
    await expect.poll(() => outcome.getAttribute('data-outcome')).toBe('PRIVILEGED_OP')
    await settled(page)
    expect(await rule.textContent()).toBe('kvm.pqap.problem-state')
    expect(await page.locator(tid('probe-cli')).textContent()).toContain('--psw problem')
    await page.locator(tid('probe-psw-supervisor')).click()
    await expect.poll(() => outcome.getAttribute('data-outcome')).toBe('cc 0')

    // No vfio_ap: the no-hook answer stores the status in GR1 bits 0–31 (quirk Q1).
    await page.locator(tid('probe-vfio-none')).click()
    await expect.poll(() => rule.textContent()).toBe('kvm.pqap.no-hook-rc01')
    await settled(page)
    expect(await page.locator(tid('probe-rc')).textContent()).toBe('0x01')
    const placement = (await page.locator(tid('probe-placement')).textContent()) ?? ''
    expect(placement).toContain('bits 0–31')
    expect(placement).toContain('Q1')
    await page.locator(tid('probe-vfio-mdev')).click()
    await expect.poll(() => rule.textContent()).toBe('vfio_ap.irq.enabled')

    // A bad instruction: the error is shown at the field it names.
    const insn = page.locator(tid('probe-insn'))
    await insn.fill('pqap fc=zz')
    const fieldError = page.locator(tid('probe-insn-error'))
    await fieldError.waitFor()
    expect(await fieldError.textContent()).toContain('fc')
    expect(await insn.getAttribute('aria-invalid')).toBe('true')
    expect(await page.locator(tid('probe-state')).textContent()).toContain('refused')
    // Fixing it clears the error and runs again; Ctrl+Enter runs too.
    await insn.fill('pqap tapq 05.0004')
    await insn.press('Control+Enter')
    await expect.poll(() => rule.textContent()).toBe('fw.tapq')
    await settled(page)
    expect(await fieldError.count()).toBe(0)
    expect(await outcome.textContent()).toContain('PQAP(TAPQ) 05.0004')

    // The guest does not start: QEMU's reason is shown.
    await page.locator(tid('probe-kernel')).selectOption('linux-5.2')
    await page.locator(tid('probe-feature-apqi-on')).click()
    const startError = page.locator(tid('probe-start-error'))
    await startError.waitFor()
    expect(await startError.textContent()).toContain('apqi')
    await page.locator(tid('probe-run')).click()
    await settled(page)
    expect(await outcome.getAttribute('data-outcome')).toBe('not started')

    expect(await page.locator(tid('error-banner')).count()).toBe(0)
    expect(lab.problems).toEqual([])
  })

  it('shows a quick-pick instruction and the linux-5.3 Q5 quirk in the trace', async () => {
    const page = await lab.openApp()
    await page.locator(tid('nav-probe')).click()
    await page.locator(tid('probe-outcome')).waitFor()
    await page.locator(tid('probe-pick-qci')).click()
    await expect.poll(() => page.locator(tid('probe-rule')).textContent()).toBe('fw.qci')
    expect(await page.locator(tid('probe-insn')).inputValue()).toBe('pqap qci')
    await page.locator(tid('probe-pick-aqic-enable')).click()
    await page.locator(tid('probe-kernel')).selectOption('linux-5.3')
    await expect.poll(() => traceRules(page)).toContain('vfio_ap.irq.host-status-zeros')
    await settled(page)
    const badges = await page
      .locator(`${tid('probe-trace')} ${tid('trace-badge')}`)
      .evaluateAll((els) => els.map((e) => e.textContent?.trim() ?? ''))
    expect(badges).toContain('Q5')
    expect(badges).toContain('Q2')
    expect(lab.problems).toEqual([])
  })
})
