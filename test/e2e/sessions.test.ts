/// <reference lib="dom" />
// Sessions screen in a real Chromium against `aplab serve --db <tmpfile>`: New from an example,
// Save / Save as (inline name prompt), the dirty flag and the unsaved-changes guard, Recent, a
// restart of the server with the same database (the session is still there), Import with field
// errors, Export as a .json download, Delete with confirmation.
import { readFileSync } from 'node:fs'
import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { useLab } from './harness'

/** Browser mode answers each of the two refused imports below with 400, which Chromium logs. */
const lab = useLab({
  timeoutMs: 10_000,
  expectError: (text, url) => /status of 400/.test(text) && url.endsWith('/api/importSession'),
})
const openApp = () => lab.openApp()

// ---- helpers --------------------------------------------------------------------------------------

const tid = (id: string) => `[data-testid="${id}"]`

async function text(page: Page, id: string): Promise<string> {
  return ((await page.locator(tid(id)).first().textContent()) ?? '').trim()
}

async function openSessions(page: Page): Promise<void> {
  await page.locator(tid('nav-sessions')).click()
  await page.locator(tid('session-new-two-guests-one-adapter')).waitFor()
}

/** Changes the host kernel of the editor's session on the Guests screen, then comes back. */
async function setKernel(page: Page, kernel: string): Promise<void> {
  await page.locator(tid('nav-guests')).click()
  await page.locator(tid('lab-kernel')).selectOption(kernel)
  await expect.poll(() => page.locator(tid('lab-kernel')).inputValue()).toBe(kernel)
  await openSessions(page)
}

async function sessionIds(page: Page): Promise<number[]> {
  const ids = await page
    .locator('[data-testid^="session-row-"]')
    .evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-testid')!.slice('session-row-'.length))))
  return ids
}

// ---- tests ----------------------------------------------------------------------------------------

describe('sessions screen', () => {
  let savedId = 0
  const NAME = 'neighbours on 5.11'

  it('saves a new session with Save as and keeps the editor clean afterwards', async () => {
    const page = await openApp()
    await openSessions(page)
    expect(await page.locator(tid('sessions-no-db')).count()).toBe(0)
    expect(await text(page, 'session-table')).toContain('No saved sessions yet')

    // New from an example: nothing to save yet, so not dirty.
    await page.locator(tid('session-new-neighbour-apqn')).click()
    await expect.poll(() => text(page, 'session-current-name')).toBe('neighbour-apqn')
    expect(await text(page, 'session-source')).toBe('from example neighbour-apqn')
    expect(await page.locator(tid('session-dirty')).count()).toBe(0)

    // An edit makes it dirty; Save on a session never saved asks for a name, inline.
    await setKernel(page, 'linux-5.15')
    await page.locator(tid('session-dirty')).waitFor()
    await page.locator(tid('session-save')).click()
    const nameInput = page.locator(tid('session-save-as-name'))
    await nameInput.waitFor()
    expect(await nameInput.inputValue()).toBe('neighbour-apqn')
    // An empty name is refused where it is typed.
    await nameInput.fill('  ')
    await page.locator(tid('session-save-as-confirm')).click()
    expect(await text(page, 'session-save-error')).toContain('a name is required')
    await nameInput.fill('neighbours on 5.15')
    await page.locator(tid('session-save-as-confirm')).click()
    await page.locator(tid('session-save-as-prompt')).waitFor({ state: 'detached' })
    await expect.poll(() => sessionIds(page)).toHaveLength(1)
    savedId = (await sessionIds(page))[0]!
    expect(await text(page, `session-row-${savedId}`)).toContain('neighbours on 5.15')
    expect(await text(page, `session-row-${savedId}`)).toContain('linux-5.15')
    expect(await text(page, 'session-current-name')).toBe('neighbours on 5.15')
    expect(await text(page, 'session-source')).toBe(`saved #${savedId}`)
    expect(await page.locator(tid('session-dirty')).count()).toBe(0)
    expect(await page.locator(tid(`session-recent-${savedId}`)).count()).toBe(1)

    // Another edit. Save as can be cancelled with Escape; Save writes over the same saved session.
    await setKernel(page, 'linux-5.11')
    await page.locator(tid('session-dirty')).waitFor()
    await page.locator(tid('session-save-as')).click()
    await nameInput.fill(NAME)
    await nameInput.press('Escape')
    await page.locator(tid('session-save-as-prompt')).waitFor({ state: 'detached' })
    expect(await page.locator(tid('session-dirty')).count()).toBe(1)
    await page.locator(tid('session-save')).click()
    await page.locator(tid('session-dirty')).waitFor({ state: 'detached' })
    await expect.poll(() => text(page, `session-row-${savedId}`)).toContain('linux-5.11')
    expect(await sessionIds(page)).toEqual([savedId])
    expect(await text(page, 'session-message')).toContain(`(#${savedId})`)

    // Save as with a new name: a second saved session, which the editor now holds.
    await page.locator(tid('session-save-as')).click()
    await nameInput.fill(NAME)
    await nameInput.press('Enter')
    await expect.poll(() => sessionIds(page)).toHaveLength(2)
    const copyId = (await sessionIds(page)).find((id) => id !== savedId)!
    expect(await text(page, 'session-current-name')).toBe(NAME)
    expect(await text(page, 'session-source')).toBe(`saved #${copyId}`)
    expect(await text(page, `session-row-${savedId}`)).toContain('neighbours on 5.15')
    savedId = copyId
  })

  it('finds the saved session again after the server restarts with the same database', async () => {
    await lab.restart()
    const page = await openApp()
    await openSessions(page)
    const row = page.locator(tid(`session-row-${savedId}`))
    await row.waitFor()
    expect(await row.textContent()).toContain(NAME)
    expect(await row.textContent()).toContain('linux-5.11')
    await row.click()
    expect(await text(page, 'session-detail-name')).toBe(NAME)
    await page.locator(tid('session-open')).click()
    await expect.poll(() => text(page, 'session-source')).toBe(`saved #${savedId}`)
    expect(await text(page, 'session-current-name')).toBe(NAME)
    expect(await page.locator(tid('session-dirty')).count()).toBe(0)
    // The editor holds it: the lab screens show its kernel.
    await page.locator(tid('session-goto-guests')).click()
    await expect.poll(() => page.locator(tid('lab-kernel')).inputValue()).toBe('linux-5.11')
    expect(await page.locator(tid('guest-tab-g1')).count()).toBe(1)
  })

  it('asks before unsaved changes are dropped, imports with field errors, exports and deletes', async () => {
    const page = await openApp()
    await openSessions(page)
    await page.locator(tid(`session-row-${savedId}`)).dblclick()
    await expect.poll(() => text(page, 'session-source')).toBe(`saved #${savedId}`)
    await setKernel(page, 'linux-6.8')
    await page.locator(tid('session-dirty')).waitFor()

    // Switching session with unsaved changes asks inline; Cancel keeps everything.
    await page.locator(tid('session-new-checkstopped-card')).click()
    const guard = page.locator(tid('session-guard'))
    await guard.waitFor()
    expect(await guard.textContent()).toContain('has unsaved changes')
    expect(await guard.textContent()).toContain('checkstopped-card')
    await page.locator(tid('session-guard-cancel')).click()
    await guard.waitFor({ state: 'detached' })
    expect(await text(page, 'session-current-name')).toBe(NAME)
    expect(await page.locator(tid('session-dirty')).count()).toBe(1)

    // Closing the page asks too: the beforeunload handler cancels the unload while dirty.
    await page.evaluate(() => {
      const e = new Event('beforeunload', { cancelable: true })
      window.dispatchEvent(e)
      ;(window as unknown as { __prevented: boolean }).__prevented = e.defaultPrevented
    })
    expect(await page.evaluate(() => (window as unknown as { __prevented: boolean }).__prevented)).toBe(true)

    // Discard: the example replaces the edited session, which stays as saved.
    await page.locator(tid('session-new-checkstopped-card')).click()
    await guard.waitFor()
    await page.locator(tid('session-guard-discard')).click()
    await expect.poll(() => text(page, 'session-current-name')).toBe('checkstopped-card')
    expect(await page.locator(tid('session-dirty')).count()).toBe(0)
    expect(await text(page, `session-row-${savedId}`)).toContain('linux-5.11')

    // Import: a document with an unknown field is refused with the field's path.
    const input = page.locator(tid('session-import'))
    const good = {
      format: 'aplab/session@1',
      name: 'imported pair',
      host: {
        kernel: 'linux-6.8',
        adapters: [{ id: 5, type: 'CEX8', mode: 'CCA', domains: [4, 5] }],
      },
      mdevs: [{ uuid: 'm1', adapters: [5], domains: [4] }],
      guests: [{ name: 'g1', qemu: 'qemu-8.2', mdev: 'm1', vcpus: [{ program: [{ text: 'pqap tapq 05.0004' }] }] }],
    }
    const bad = { ...good, host: { ...good.host, adapters: [{ ...good.host.adapters[0], colour: 'red' }] } }
    await input.setInputFiles({
      name: 'bad.json',
      mimeType: 'application/json',
      buffer: Buffer.from(JSON.stringify(bad)),
    })
    await page.locator(tid('session-import-error')).waitFor()
    expect(await text(page, 'session-import-error-field')).toBe('host.adapters[0].colour')
    expect(await text(page, 'session-import-error')).toContain('bad.json was not imported')
    expect(await text(page, 'session-import-error')).toContain('unknown field')
    // Not JSON at all.
    await input.setInputFiles({ name: 'broken.json', mimeType: 'application/json', buffer: Buffer.from('{"format":') })
    await expect.poll(() => text(page, 'session-import-error')).toContain('broken.json was not imported')
    expect(await text(page, 'session-import-error')).toContain('not valid JSON')
    expect(await page.locator(tid('error-banner')).count()).toBe(0)
    expect(lab.expectedErrors).toBe(2)
    // A good one is saved and selected.
    await input.setInputFiles({
      name: 'pair.json',
      mimeType: 'application/json',
      buffer: Buffer.from(JSON.stringify(good)),
    })
    await page.locator(tid('session-import-error')).waitFor({ state: 'detached' })
    await expect.poll(() => text(page, 'session-detail-name')).toBe('imported pair')
    const selectedRow = page.locator('[data-testid^="session-row-"][aria-selected="true"]')
    const importedId = Number((await selectedRow.getAttribute('data-testid'))!.slice('session-row-'.length))
    expect(await selectedRow.textContent()).toContain('imported pair')
    expect(await text(page, 'session-message')).toContain(`Imported pair.json as “imported pair” (#${importedId})`)

    // Export the selected session: a .json download with the document.
    const download = page.waitForEvent('download')
    await page.locator(tid('session-export')).click()
    const file = await download
    expect(file.suggestedFilename()).toBe('imported-pair.session.json')
    const exported = JSON.parse(readFileSync((await file.path())!, 'utf8')) as typeof good
    expect(exported.format).toBe('aplab/session@1')
    expect(exported.name).toBe('imported pair')
    expect(exported.guests[0]!.vcpus[0]!.program[0]).toEqual({ text: 'pqap tapq 05.0004' })

    // Delete asks first; Cancel keeps it, Delete removes it.
    await page.locator(tid('session-delete')).click()
    await page.locator(tid('session-delete-prompt')).waitFor()
    expect(await text(page, 'session-delete-prompt')).toContain('“imported pair”')
    await page.locator(`${tid('session-delete-prompt')} button:has-text("Cancel")`).click()
    expect(await page.locator(tid(`session-row-${importedId}`)).count()).toBe(1)
    await page.locator(tid('session-delete')).click()
    await page.locator(tid('session-delete-confirm')).click()
    await page.locator(tid(`session-row-${importedId}`)).waitFor({ state: 'detached' })
    expect(await sessionIds(page)).not.toContain(importedId)

    // Recent keeps what was opened, newest first, and opens it again.
    await page.locator(tid(`session-recent-${savedId}`)).click()
    await expect.poll(() => text(page, 'session-current-name')).toBe(NAME)
    expect(await page.locator(tid('error-banner')).count()).toBe(0)
  })
})
