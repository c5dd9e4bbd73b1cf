import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises'
import { request } from 'node:http'
import { networkInterfaces, tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { LabError, createLabService, type LabService } from '../../src-main/service'
import { CONTENT_SECURITY_POLICY, MAX_BODY_BYTES, startWebServer, type WebServer } from '../../src-main/web/server'

const SECRET = 'secret-outside-the-static-dir'

interface RawResponse {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
}

/** node:http rather than fetch: fetch normalises paths and will not send a foreign Host header. */
function raw(
  port: number,
  opts: { method?: string; path: string; headers?: Record<string, string>; body?: string | Buffer },
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, method: opts.method ?? 'GET', path: opts.path, headers: opts.headers, setHost: false },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
        )
      },
    )
    req.on('error', reject)
    req.end(opts.body)
  })
}

let dir: string
let staticDir: string
let server: WebServer
let host: string
let origin: string

function api(op: string, body: string | undefined, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${origin}/api/${op}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-AP-Lab-Token': server.token, ...headers },
    body,
  })
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aplab-web-'))
  staticDir = join(dir, 'static')
  await mkdir(join(staticDir, 'assets'), { recursive: true })
  await writeFile(join(dir, 'secret.txt'), SECRET)
  await writeFile(
    join(staticDir, 'index.html'),
    '<!doctype html><html><head><title>t</title></head><body><div id="app"></div></body></html>',
  )
  await writeFile(join(staticDir, 'assets', 'app.js'), 'console.log(1)\n')
  await writeFile(join(staticDir, 'assets', 'app.css'), 'body{}\n')
  await writeFile(join(staticDir, 'assets', 'blob.bin'), Buffer.from([0, 1, 2]))
  await symlink(join(dir, 'secret.txt'), join(staticDir, 'link.txt'))
  server = await startWebServer({ service: createLabService(), port: 0, staticDir })
  host = `127.0.0.1:${server.port}`
  origin = `http://${host}`
})

afterAll(async () => {
  await server?.close()
  await rm(dir, { recursive: true, force: true })
})

describe('startup', () => {
  it('listens on 127.0.0.1 with a fresh random token in the URL', async () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/?token=${server.token}`)
    expect(server.token).toMatch(/^[A-Za-z0-9_-]{32}$/)
    expect(CONTENT_SECURITY_POLICY.split('; ')).toEqual([
      "default-src 'self'",
      "script-src 'self'",
      "style-src 'self' 'unsafe-inline'",
      "img-src 'self' data:",
      "connect-src 'self'",
      "object-src 'none'",
      "base-uri 'none'",
      "frame-ancestors 'none'",
      "form-action 'none'",
    ])
    const other = await startWebServer({ service: createLabService(), staticDir })
    try {
      expect(other.token).not.toBe(server.token)
      expect(other.port).not.toBe(server.port)
    } finally {
      await other.close()
    }
  })

  it('is not reachable on other interfaces', async () => {
    const external = Object.values(networkInterfaces())
      .flat()
      .find((a) => a && a.family === 'IPv4' && !a.internal)
    if (!external) return
    const attempt = fetch(`http://${external.address}:${server.port}/`, { signal: AbortSignal.timeout(3000) })
    await expect(attempt).rejects.toThrow()
  })

  it('refuses a malformed token and a non-loopback host', async () => {
    await expect(startWebServer({ service: createLabService(), staticDir, token: 'short' })).rejects.toThrow(/token/)
    await expect(
      startWebServer({ service: createLabService(), staticDir, host: '0.0.0.0' as '127.0.0.1' }),
    ).rejects.toThrow(/127\.0\.0\.1/)
  })

  it('reports a port in use', async () => {
    await expect(startWebServer({ service: createLabService(), staticDir, port: server.port })).rejects.toThrow(
      /already in use/,
    )
  })
})

describe('token', () => {
  it('is required for pages, assets and the API', async () => {
    for (const res of [
      await fetch(`${origin}/`),
      await fetch(`${origin}/assets/app.js`),
      await fetch(`${origin}/api/listProfiles`, { method: 'POST', body: '{}' }),
    ]) {
      expect(res.status).toBe(401)
      expect(res.headers.get('content-type')).toMatch(/^text\/plain/)
      const text = await res.text()
      expect(text).toMatch(/token/)
      expect(text.length).toBeLessThan(200)
      expect(res.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY)
    }
  })

  it('rejects a wrong token in the header, the cookie or the query', async () => {
    const wrong = server.token.slice(0, -1) + (server.token.endsWith('A') ? 'B' : 'A')
    expect((await api('listProfiles', '{}', { 'X-AP-Lab-Token': wrong })).status).toBe(401)
    expect((await fetch(`${origin}/`, { headers: { Cookie: `aplab_token=${wrong}` } })).status).toBe(401)
    expect((await fetch(`${origin}/?token=${wrong}`, { redirect: 'manual' })).status).toBe(401)
    expect((await fetch(`${origin}/?token=`, { redirect: 'manual' })).status).toBe(401)
  })

  it('in the query sets an HttpOnly SameSite=Strict cookie and redirects to the URL without it', async () => {
    const res = await fetch(`${origin}/?view=profiles&token=${server.token}`, { redirect: 'manual' })
    expect(res.status).toBe(302)
    expect(res.headers.get('location')).toBe('/?view=profiles')
    expect(res.headers.get('set-cookie')).toBe(`aplab_token=${server.token}; HttpOnly; SameSite=Strict; Path=/`)

    const page = await fetch(`${origin}/?view=profiles`, { headers: { Cookie: `aplab_token=${server.token}` } })
    expect(page.status).toBe(200)
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8')
    expect(page.headers.get('cache-control')).toBe('no-store')
    const html = await page.text()
    expect(html).toContain(`<head><meta name="aplab-token" content="${server.token}"><title>`)
  })

  it('never redirects to another host', async () => {
    const res = await raw(server.port, { path: `//evil.example/x?token=${server.token}`, headers: { Host: host } })
    expect(res.status).toBe(302)
    expect(res.headers.location).toBe('/evil.example/x')
  })

  it('in the cookie or the header opens the API', async () => {
    const viaCookie = await fetch(`${origin}/api/listProfiles`, {
      method: 'POST',
      headers: { Cookie: `other=1; aplab_token=${server.token}` },
      body: '{}',
    })
    expect(viaCookie.status).toBe(200)
    const viaHeader = await api('listProfiles', '{}')
    expect(viaHeader.status).toBe(200)
    const body = (await viaHeader.json()) as { ok: boolean; value: { kernel: unknown[]; qemu: unknown[] } }
    expect(body.ok).toBe(true)
    expect(body.value.kernel).toHaveLength(15)
    expect(body.value.qemu).toHaveLength(7)
  })
})

describe('host and origin checks', () => {
  const auth = (): Record<string, string> => ({ 'X-AP-Lab-Token': server.token })

  it('refuses a foreign Host header even with the token (DNS rebinding)', async () => {
    for (const h of ['evil.example', `evil.example:${server.port}`, '127.0.0.1', `127.0.0.1:${server.port + 1}`]) {
      const res = await raw(server.port, { path: '/', headers: { Host: h, ...auth() } })
      expect(res.status, h).toBe(421)
      expect(res.body).not.toContain('aplab-token')
    }
    // Node itself answers 400 to an HTTP/1.1 request without Host.
    expect([400, 421]).toContain((await raw(server.port, { path: '/', headers: auth() })).status)
  })

  it('accepts 127.0.0.1:<port> and localhost:<port>', async () => {
    for (const h of [host, `localhost:${server.port}`, `LOCALHOST:${server.port}`]) {
      expect((await raw(server.port, { path: '/', headers: { Host: h, ...auth() } })).status, h).toBe(200)
    }
  })

  it('refuses a foreign Origin on POST', async () => {
    for (const o of ['http://evil.example', 'null', `http://127.0.0.1:${server.port + 1}`, `https://${host}`]) {
      const res = await raw(server.port, {
        method: 'POST',
        path: '/api/listProfiles',
        headers: { Host: host, Origin: o, ...auth() },
        body: '{}',
      })
      expect(res.status, o).toBe(403)
    }
    for (const o of [origin, `http://localhost:${server.port}`]) {
      const res = await raw(server.port, {
        method: 'POST',
        path: '/api/listProfiles',
        headers: { Host: host, Origin: o, ...auth() },
        body: '{}',
      })
      expect(res.status, o).toBe(200)
    }
  })
})

describe('static files', () => {
  const get = (path: string): Promise<RawResponse> =>
    raw(server.port, { path, headers: { Host: host, 'X-AP-Lab-Token': server.token } })

  it('serves the renderer with content types and security headers', async () => {
    const js = await get('/assets/app.js')
    expect(js.status).toBe(200)
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8')
    expect(js.headers['x-content-type-options']).toBe('nosniff')
    expect(js.headers['referrer-policy']).toBe('no-referrer')
    expect(js.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY)
    expect((await get('/assets/app.css')).headers['content-type']).toBe('text/css; charset=utf-8')
    expect((await get('/assets/blob.bin')).headers['content-type']).toBe('application/octet-stream')
    const index = await get('/')
    expect(index.status).toBe(200)
    expect(index.body).toContain('<div id="app">')
  })

  it('answers 404 for missing files and directories', async () => {
    expect((await get('/nope.js')).status).toBe(404)
    expect((await get('/assets')).status).toBe(404)
    expect((await get('/assets/')).status).toBe(404)
  })

  it('never serves files outside the static directory', async () => {
    for (const path of [
      '/../secret.txt',
      '/assets/../../secret.txt',
      '/%2e%2e/secret.txt',
      '/assets/..%2f..%2fsecret.txt',
      '/..%5csecret.txt',
      '/link.txt',
      '/%00index.html',
    ]) {
      const res = await get(path)
      expect([400, 403, 404], path).toContain(res.status)
      expect(res.body, path).not.toContain(SECRET)
    }
  })

  it('accepts only GET and HEAD', async () => {
    const res = await raw(server.port, {
      method: 'PUT',
      path: '/index.html',
      headers: { Host: host, 'X-AP-Lab-Token': server.token },
    })
    expect(res.status).toBe(405)
    const head = await raw(server.port, {
      method: 'HEAD',
      path: '/assets/app.js',
      headers: { Host: host, 'X-AP-Lab-Token': server.token },
    })
    expect(head.status).toBe(200)
    expect(head.body).toBe('')
  })
})

describe('API', () => {
  async function json(res: Response): Promise<{ ok: boolean; value?: unknown; error?: Record<string, unknown> }> {
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8')
    expect(res.headers.get('cache-control')).toBe('no-store')
    return (await res.json()) as { ok: boolean; value?: unknown; error?: Record<string, unknown> }
  }

  it('calls the service with the payload', async () => {
    const res = await api('getProfile', JSON.stringify({ payload: { id: 'linux-5.3' } }))
    expect(res.status).toBe(200)
    const body = await json(res)
    expect(body.ok).toBe(true)
    expect(body.value).toMatchObject({ id: 'linux-5.3', kvm: { fac65Gating: 'host65+aiv' } })
  })

  it('treats an empty body as no payload', async () => {
    expect((await api('listProfiles', undefined)).status).toBe(200)
  })

  it('maps service errors to HTTP statuses', async () => {
    const notFound = await api('getProfile', JSON.stringify({ payload: { id: 'linux-0.1' } }))
    expect(notFound.status).toBe(404)
    expect((await json(notFound)).error).toMatchObject({ code: 'not-found', field: 'id' })

    const invalid = await api('getProfile', JSON.stringify({ payload: { id: '' } }))
    expect(invalid.status).toBe(400)
    expect((await json(invalid)).error).toMatchObject({ code: 'invalid-input', field: 'payload.id' })

    const unknownOp = await api('frobnicate', '{}')
    expect(unknownOp.status).toBe(404)
    expect((await json(unknownOp)).error).toMatchObject({ code: 'not-found', field: 'operation' })
  })

  it('maps conflict to 409 and unexpected failures to 500', async () => {
    const failing: LabService = {
      api: createLabService().api,
      async call(op) {
        if (op === 'listProfiles') throw new LabError('conflict', 'busy')
        throw new Error('boom')
      },
    }
    const s = await startWebServer({ service: failing, staticDir })
    try {
      const call = (op: string): Promise<Response> =>
        fetch(`http://127.0.0.1:${s.port}/api/${op}`, { method: 'POST', headers: { 'X-AP-Lab-Token': s.token } })
      const conflict = await call('listProfiles')
      expect(conflict.status).toBe(409)
      expect(await conflict.json()).toEqual({ ok: false, error: { code: 'conflict', message: 'busy' } })
      const internal = await call('getProfile')
      expect(internal.status).toBe(500)
      expect(await internal.json()).toEqual({ ok: false, error: { code: 'internal', message: 'boom' } })
    } finally {
      await s.close()
    }
  })

  it('rejects malformed JSON naming the reason', async () => {
    const res = await api('listProfiles', '{"payload": ')
    expect(res.status).toBe(400)
    const body = await json(res)
    expect(body.error).toMatchObject({ code: 'invalid-input', field: 'body' })
    expect(String(body.error?.message)).toMatch(/^malformed JSON in request body: .+/)
  })

  it('rejects bodies that are not {"payload": ...}', async () => {
    for (const text of ['[]', '"x"', 'null', '{"payload": null, "extra": 1}']) {
      const res = await api('listProfiles', text)
      expect(res.status, text).toBe(400)
      expect((await json(res)).error, text).toMatchObject({ code: 'invalid-input', field: 'body' })
    }
  })

  it('refuses bodies over 10 MB with 413', async () => {
    const big = Buffer.alloc(MAX_BODY_BYTES + 1, 0x20)
    const declared = await api('listProfiles', big.toString())
    expect(declared.status).toBe(413)
    expect((await json(declared)).error).toMatchObject({ code: 'invalid-input', field: 'body' })

    // Without Content-Length the limit is enforced while reading.
    const chunks = [big.subarray(0, 6 * 1024 * 1024), big.subarray(6 * 1024 * 1024)]
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        const next = chunks.shift()
        if (next) controller.enqueue(next)
        else controller.close()
      },
    })
    const streamed = await fetch(`${origin}/api/listProfiles`, {
      method: 'POST',
      headers: { 'X-AP-Lab-Token': server.token },
      body: stream,
      duplex: 'half',
    } as RequestInit)
    expect(streamed.status).toBe(413)

    // A body just under the limit is read (and then judged on its content).
    const underLimit = JSON.stringify({ payload: { id: 'x'.repeat(MAX_BODY_BYTES - 100) } })
    const res = await api('getProfile', underLimit)
    expect(res.status).toBe(400)
    expect((await json(res)).error).toMatchObject({ field: 'payload.id' })
  })

  it('accepts only POST', async () => {
    const res = await fetch(`${origin}/api/listProfiles`, { headers: { 'X-AP-Lab-Token': server.token } })
    expect(res.status).toBe(405)
    expect(res.headers.get('allow')).toBe('POST')
  })
})

describe('close', () => {
  it('stops listening', async () => {
    const s = await startWebServer({ service: createLabService(), staticDir })
    await s.close()
    await expect(fetch(`http://127.0.0.1:${s.port}/`)).rejects.toThrow()
  })
})
