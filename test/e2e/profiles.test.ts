import { request } from 'node:http'
import { describe, expect, it } from 'vitest'
import { useLab } from './harness'

const lab = useLab()

describe('profiles screen', () => {
  it('lists kernel and QEMU profiles and shows the detail of linux-5.3', async () => {
    const page = await lab.openApp()
    expect(new URL(page.url()).search).toBe('')

    await page.locator('[data-testid="nav-profiles"]').click()
    const linux53 = page.locator('[data-testid="profile-row-linux-5.3"]')
    await linux53.waitFor()
    await page.locator('[data-testid="profile-row-qemu-4.1"]').waitFor()

    await linux53.click()
    const detail = page.locator('[data-testid="profile-detail"]')
    await detail.waitFor()
    await expect.poll(() => detail.textContent()).toContain('host65+aiv')
    const text = (await detail.textContent()) ?? ''
    expect(text).toContain('e5282de93105')
    expect(lab.problems).toEqual([])
  })
})

describe('browser-mode access control', () => {
  function getWithHost(path: string, host: string, token: string): Promise<number> {
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: lab.server.port,
          path,
          headers: { Host: host, 'X-AP-Lab-Token': token },
          setHost: false,
        },
        (res) => {
          res.resume()
          resolve(res.statusCode ?? 0)
        },
      )
      req.on('error', reject)
      req.end()
    })
  }

  it('answers 401 without the token', async () => {
    const { origin } = lab.server
    expect((await fetch(`${origin}/`)).status).toBe(401)
    expect((await fetch(`${origin}/api/listProfiles`, { method: 'POST', body: '{}' })).status).toBe(401)
  })

  it('refuses a foreign Host header even with the token', async () => {
    expect(await getWithHost('/', 'attacker.example', lab.server.token)).toBe(421)
    expect(await getWithHost('/', `attacker.example:${lab.server.port}`, lab.server.token)).toBe(421)
  })

  it('serves the data with the token', async () => {
    const { origin, token } = lab.server
    const res = await fetch(`${origin}/api/listProfiles`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-AP-Lab-Token': token },
      body: '{}',
    })
    expect(res.status).toBe(200)
    const body = (await res.json()) as { ok: true; value: { kernel: { id: string }[]; qemu: { id: string }[] } }
    expect(body.value.kernel.map((p) => p.id)).toContain('linux-5.3')
    expect(body.value.qemu.map((p) => p.id)).toContain('qemu-4.1')
    const page = await fetch(`${origin}/`, { headers: { 'X-AP-Lab-Token': token } })
    expect(page.status).toBe(200)
    expect(await page.text()).toContain(`<meta name="aplab-token" content="${token}">`)
  })
})
