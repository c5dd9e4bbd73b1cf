// Browser mode: the lab service over HTTP on 127.0.0.1, guarded by a random token.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { readFile, realpath, stat } from 'node:fs/promises'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { extname, isAbsolute, relative, resolve } from 'node:path'
import type { LabErrorBody, LabErrorCode } from '../../src-preload/contract'
import { CONTENT_SECURITY_POLICY } from '../security/csp'
import { toErrorBody, type LabService } from '../service'

export const TOKEN_COOKIE = 'aplab_token'
export const TOKEN_HEADER = 'x-ap-lab-token'
export const TOKEN_META = 'aplab-token'
export const MAX_BODY_BYTES = 10 * 1024 * 1024

/** The desktop app's policy, so a screen that works in one front end works in the other. */
export { CONTENT_SECURITY_POLICY }

const STATUS_BY_CODE: Record<LabErrorCode, number> = {
  'invalid-input': 400,
  'not-found': 404,
  conflict: 409,
  internal: 500,
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.wasm': 'application/wasm',
}

const TOKEN_PATTERN = /^[A-Za-z0-9_-]{16,256}$/

const UNAUTHORIZED_TEXT =
  'AP Lab: missing or wrong token. Open the URL printed by `aplab serve` (it ends in ?token=...).\n'

export interface WebServerOptions {
  service: LabService
  /** 0 or absent: any free port. */
  port?: number
  host?: '127.0.0.1'
  /** Directory of the built renderer; default `out/renderer` under the current directory. */
  staticDir?: string
  /** Base64url, at least 16 characters; default: 24 random bytes. */
  token?: string
}

export interface WebServer {
  /** The address to open, with `?token=`. */
  url: string
  port: number
  token: string
  close(): Promise<void>
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message)
  }
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest()
}

function parseCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>()
  if (!header) return out
  for (const part of header.split(';')) {
    const eq = part.indexOf('=')
    if (eq < 0) continue
    const name = part.slice(0, eq).trim()
    if (!out.has(name)) out.set(name, part.slice(eq + 1).trim())
  }
  return out
}

function isInside(root: string, file: string): boolean {
  const rel = relative(root, file)
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel))
}

function escapeAttr(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

function injectTokenMeta(html: string, token: string): string {
  const meta = `<meta name="${TOKEN_META}" content="${escapeAttr(token)}">`
  const head = /<head(\s[^>]*)?>/i.exec(html)
  if (!head) return meta + html
  const at = head.index + head[0].length
  return html.slice(0, at) + meta + html.slice(at)
}

function sendText(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store', ...headers })
  res.end(text)
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body)
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Cache-Control': 'no-store',
    'Content-Length': String(Buffer.byteLength(text)),
    ...headers,
  })
  res.end(text)
}

function sendApiError(
  res: ServerResponse,
  status: number,
  error: LabErrorBody,
  headers: Record<string, string> = {},
): void {
  sendJson(res, status, { ok: false, error }, headers)
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolveBody, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    let done = false
    req.on('data', (chunk: Buffer) => {
      if (done) return
      size += chunk.length
      if (size > limit) {
        done = true
        chunks.length = 0
        reject(new HttpError(413, `request body larger than ${limit} bytes`))
        return
      }
      chunks.push(chunk)
    })
    req.on('end', () => {
      if (done) return
      done = true
      resolveBody(Buffer.concat(chunks))
    })
    req.on('error', (err) => {
      if (done) return
      done = true
      reject(err)
    })
  })
}

function parseEnvelope(raw: Buffer): unknown {
  const text = raw.toString('utf8')
  if (text.trim() === '') return undefined
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch (err) {
    throw new HttpError(400, `malformed JSON in request body: ${err instanceof Error ? err.message : String(err)}`)
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new HttpError(400, 'request body must be a JSON object {"payload": ...}')
  }
  const extra = Object.keys(body).filter((k) => k !== 'payload')
  if (extra.length > 0)
    throw new HttpError(400, `unexpected key '${extra[0]}' in request body; only "payload" is allowed`)
  return (body as { payload?: unknown }).payload
}

export async function startWebServer(options: WebServerOptions): Promise<WebServer> {
  const { service } = options
  const host = options.host ?? '127.0.0.1'
  if (host !== '127.0.0.1') throw new Error(`browser mode binds 127.0.0.1 only, not '${String(host)}'`)
  const requestedPort = options.port ?? 0
  if (!Number.isInteger(requestedPort) || requestedPort < 0 || requestedPort > 65535) {
    throw new Error(`port must be an integer 0–65535, got ${String(requestedPort)}`)
  }
  const token = options.token ?? randomBytes(24).toString('base64url')
  if (!TOKEN_PATTERN.test(token)) throw new Error('token must be 16–256 base64url characters')
  const tokenDigest = digest(token)
  const staticRoot = resolve(options.staticDir ?? 'out/renderer')

  let port = 0
  let allowedHosts = new Set<string>()
  let allowedOrigins = new Set<string>()

  const tokenMatches = (candidate: string | undefined): boolean =>
    candidate !== undefined && timingSafeEqual(digest(candidate), tokenDigest)

  function presentedToken(req: IncomingMessage): boolean {
    const header = req.headers[TOKEN_HEADER]
    if (typeof header === 'string' && tokenMatches(header)) return true
    const cookie = parseCookies(req.headers.cookie).get(TOKEN_COOKIE)
    if (cookie === undefined) return false
    try {
      return tokenMatches(decodeURIComponent(cookie))
    } catch {
      return false
    }
  }

  async function handleApi(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> {
    if (req.method !== 'POST') {
      sendApiError(res, 405, { code: 'invalid-input', message: `use POST for ${pathname}` }, { Allow: 'POST' })
      return
    }
    let op: string
    try {
      op = decodeURIComponent(pathname.slice('/api/'.length))
    } catch {
      sendApiError(res, 400, { code: 'invalid-input', message: 'malformed operation name', field: 'operation' })
      return
    }
    const declared = Number(req.headers['content-length'] ?? 0)
    let payload: unknown
    try {
      if (declared > MAX_BODY_BYTES) throw new HttpError(413, `request body larger than ${MAX_BODY_BYTES} bytes`)
      payload = parseEnvelope(await readBody(req, MAX_BODY_BYTES))
    } catch (err) {
      if (!(err instanceof HttpError)) throw err
      // Unread body bytes would otherwise be parsed as the next request on a kept-alive socket.
      const close: Record<string, string> = err.status === 413 ? { Connection: 'close' } : {}
      sendApiError(res, err.status, { code: 'invalid-input', message: err.message, field: 'body' }, close)
      return
    }
    let value: unknown
    try {
      value = await service.call(op, payload)
    } catch (err) {
      const body = toErrorBody(err)
      sendApiError(res, STATUS_BY_CODE[body.code] ?? 500, body)
      return
    }
    sendJson(res, 200, { ok: true, value })
  }

  async function handleStatic(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendText(res, 405, 'method not allowed\n', { Allow: 'GET, HEAD' })
      return
    }
    let rel: string
    try {
      rel = decodeURIComponent(pathname)
    } catch {
      sendText(res, 400, 'malformed path\n')
      return
    }
    if (rel.includes('\0') || rel.includes('\\') || rel.split('/').includes('..')) {
      sendText(res, 403, 'forbidden path\n')
      return
    }
    if (rel.endsWith('/')) rel += 'index.html'
    const file = resolve(staticRoot, '.' + rel)
    if (!isInside(staticRoot, file)) {
      sendText(res, 403, 'forbidden path\n')
      return
    }
    let real: string
    try {
      real = await realpath(file)
      if (!isInside(await realpath(staticRoot), real)) {
        sendText(res, 403, 'forbidden path\n')
        return
      }
      if (!(await stat(real)).isFile()) throw new Error('not a file')
    } catch {
      // Browsers ask for a favicon on their own; a 404 would show up as a console error.
      if (rel === '/favicon.ico') res.writeHead(204, { 'Cache-Control': 'no-store' }).end()
      else sendText(res, 404, `not found: ${rel}\n`)
      return
    }
    const ext = extname(real).toLowerCase()
    let content = await readFile(real)
    const headers: Record<string, string> = {
      'Content-Type': CONTENT_TYPES[ext] ?? 'application/octet-stream',
      'Cache-Control': 'no-cache',
    }
    if (ext === '.html') {
      content = Buffer.from(injectTokenMeta(content.toString('utf8'), token), 'utf8')
      headers['Cache-Control'] = 'no-store'
    }
    headers['Content-Length'] = String(content.length)
    res.writeHead(200, headers)
    res.end(req.method === 'HEAD' ? undefined : content)
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    res.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY)
    res.setHeader('X-Content-Type-Options', 'nosniff')
    res.setHeader('Referrer-Policy', 'no-referrer')
    res.setHeader('Cross-Origin-Opener-Policy', 'same-origin')
    res.setHeader('Cross-Origin-Resource-Policy', 'same-origin')

    // DNS rebinding: a hostile page whose name now resolves to 127.0.0.1 still sends its own Host.
    const hostHeader = (req.headers.host ?? '').toLowerCase()
    if (!allowedHosts.has(hostHeader)) {
      sendText(res, 421, `AP Lab: refused: the Host header must be 127.0.0.1:${port} or localhost:${port}\n`)
      return
    }
    const method = req.method ?? 'GET'
    const origin = req.headers.origin
    if (method !== 'GET' && method !== 'HEAD' && origin !== undefined && !allowedOrigins.has(origin.toLowerCase())) {
      sendText(res, 403, `AP Lab: refused: cross-origin request from ${origin}\n`)
      return
    }
    let url: URL
    try {
      // Concatenated, not resolved: `//other.host/x` must stay a path on this server.
      if (!req.url?.startsWith('/')) throw new Error('not origin-form')
      url = new URL(`http://${hostHeader}${req.url}`)
    } catch {
      sendText(res, 400, 'malformed request target\n')
      return
    }
    const isApi = url.pathname.startsWith('/api/')

    const queryToken = url.searchParams.get('token')
    if (queryToken !== null && !isApi && (method === 'GET' || method === 'HEAD')) {
      if (!tokenMatches(queryToken)) {
        sendText(res, 401, UNAUTHORIZED_TEXT)
        return
      }
      url.searchParams.delete('token')
      res.writeHead(302, {
        'Set-Cookie': `${TOKEN_COOKIE}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`,
        // A path starting with `//` would be read as another host (an open redirect).
        Location: url.pathname.replace(/^\/+/, '/') + url.search,
        'Cache-Control': 'no-store',
      })
      res.end()
      return
    }
    if (!presentedToken(req)) {
      sendText(res, 401, UNAUTHORIZED_TEXT)
      return
    }
    if (isApi) await handleApi(req, res, url.pathname)
    else await handleStatic(req, res, url.pathname)
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (res.headersSent) {
        res.destroy()
        return
      }
      sendApiError(res, 500, { code: 'internal', message: err instanceof Error ? err.message : String(err) })
    })
  })

  await new Promise<void>((resolveListen, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      reject(
        err.code === 'EADDRINUSE'
          ? new Error(`port ${requestedPort} on 127.0.0.1 is already in use`)
          : new Error(`cannot listen on 127.0.0.1:${requestedPort}: ${err.message}`),
      )
    }
    server.once('error', onError)
    server.listen(requestedPort, host, () => {
      server.off('error', onError)
      resolveListen()
    })
  })

  port = (server.address() as AddressInfo).port
  allowedHosts = new Set([`127.0.0.1:${port}`, `localhost:${port}`])
  allowedOrigins = new Set([`http://127.0.0.1:${port}`, `http://localhost:${port}`])

  let closing: Promise<void> | null = null
  return {
    url: `http://127.0.0.1:${port}/?token=${token}`,
    port,
    token,
    close() {
      closing ??= new Promise<void>((resolveClose) => {
        server.close(() => resolveClose())
        server.closeAllConnections()
      })
      return closing
    },
  }
}
