import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { describe, expect, it, vi } from 'vitest'
import { createAppUrlPolicy } from '../../src-main/security/app-url'
import {
  CONTENT_SECURITY_POLICY,
  installContentSecurityPolicy,
  withContentSecurityPolicy,
  type HeaderRewritingSession,
} from '../../src-main/security/csp'
import { isSafeExternalUrl } from '../../src-main/security/external-url'
import { blockForeignNavigation } from '../../src-main/security/navigation'
import { denyNewWindows } from '../../src-main/security/new-windows'
import { denyAllPermissions } from '../../src-main/security/permissions'
import { preventWebviews } from '../../src-main/security/webview'
import { secureWebPreferences } from '../../src-main/security/web-preferences'

const INDEX = join('/opt/aplab', 'out', 'renderer', 'index.html')
const INDEX_URL = pathToFileURL(INDEX).href

function parseCsp(policy: string): Map<string, string[]> {
  const out = new Map<string, string[]>()
  for (const part of policy.split(';')) {
    const [name, ...sources] = part.trim().split(/\s+/)
    if (!name) continue
    expect(out.has(name), `directive ${name} appears twice`).toBe(false)
    out.set(name, sources)
  }
  return out
}

describe('Content-Security-Policy', () => {
  it('has exactly the strict directives', () => {
    const csp = parseCsp(CONTENT_SECURITY_POLICY)
    expect(Object.fromEntries(csp)).toEqual({
      'default-src': ["'self'"],
      'script-src': ["'self'"],
      'style-src': ["'self'", "'unsafe-inline'"],
      'img-src': ["'self'", 'data:'],
      'connect-src': ["'self'"],
      'object-src': ["'none'"],
      'base-uri': ["'none'"],
      'frame-ancestors': ["'none'"],
      'form-action': ["'none'"],
    })
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-eval|\*|https?:/)
  })

  it('is set on every response through onHeadersReceived, replacing whatever CSP the server sent', () => {
    let listener: Parameters<HeaderRewritingSession['webRequest']['onHeadersReceived']>[0] | undefined
    installContentSecurityPolicy({ webRequest: { onHeadersReceived: (l) => (listener = l) } })
    expect(listener).toBeTypeOf('function')

    const callback = vi.fn()
    listener!(
      {
        responseHeaders: {
          'content-security-policy': ["default-src *; script-src 'unsafe-eval'"],
          'Content-Type': ['text/html'],
        },
      },
      callback,
    )
    expect(callback).toHaveBeenCalledTimes(1)
    const headers = callback.mock.calls[0]![0].responseHeaders as Record<string, string[]>
    const cspKeys = Object.keys(headers).filter((k) => k.toLowerCase() === 'content-security-policy')
    expect(cspKeys).toEqual(['Content-Security-Policy'])
    expect(headers['Content-Security-Policy']).toEqual([CONTENT_SECURITY_POLICY])
    expect(headers['Content-Type']).toEqual(['text/html'])

    const bare = vi.fn()
    listener!({}, bare)
    expect(bare.mock.calls[0]![0]).toEqual({
      responseHeaders: { 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] },
    })
  })

  it('withContentSecurityPolicy drops every casing of an existing CSP header', () => {
    const out = withContentSecurityPolicy({
      'CONTENT-SECURITY-POLICY': 'x',
      'Content-Security-Policy': ['y'],
      Etag: 'z',
    })
    expect(out).toEqual({ Etag: 'z', 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] })
  })
})

describe('app URL policy', () => {
  const prod = createAppUrlPolicy({ rendererIndexFile: INDEX })

  it('in production accepts only the built index.html, with any hash or query', () => {
    expect(prod.entry).toEqual({ kind: 'file', path: INDEX })
    expect(prod.isAppUrl(INDEX_URL)).toBe(true)
    expect(prod.isAppUrl(`${INDEX_URL}#/profiles/linux-5.2`)).toBe(true)
    expect(prod.isAppUrl(`${INDEX_URL}?x=1`)).toBe(true)
    for (const url of [
      pathToFileURL(join('/opt/aplab', 'out', 'renderer', 'other.html')).href,
      pathToFileURL(join('/opt/aplab', 'out', 'index.html')).href,
      pathToFileURL('/etc/passwd').href,
      `file://evil-host${pathToFileURL(INDEX).pathname}`,
      `https://opt${pathToFileURL(INDEX).pathname}`,
      'http://localhost:5173/',
      'about:blank',
      'not a url',
      '',
    ]) {
      expect(prod.isAppUrl(url), url).toBe(false)
    }
  })

  it('in dev accepts only the dev server origin', () => {
    const dev = createAppUrlPolicy({ rendererIndexFile: INDEX, devServerUrl: 'http://localhost:5173' })
    expect(dev.entry).toEqual({ kind: 'url', url: 'http://localhost:5173' })
    expect(dev.isAppUrl('http://localhost:5173/')).toBe(true)
    expect(dev.isAppUrl('http://localhost:5173/src/main.ts?t=1#x')).toBe(true)
    for (const url of [
      'http://localhost:5174/',
      'https://localhost:5173/',
      'http://127.0.0.1:5173/',
      'http://localhost:5173.evil.example/',
      'http://localhost:5173@evil.example/',
      INDEX_URL,
    ]) {
      expect(dev.isAppUrl(url), url).toBe(false)
    }
  })

  it('refuses a dev server URL that is not http(s)', () => {
    expect(() => createAppUrlPolicy({ rendererIndexFile: INDEX, devServerUrl: 'file:///tmp/x.html' })).toThrow(/http/)
    expect(() => createAppUrlPolicy({ rendererIndexFile: INDEX, devServerUrl: 'garbage' })).toThrow(/http/)
  })
})

function fakeContents() {
  const listeners = new Map<string, ((...args: never[]) => void)[]>()
  let windowOpenHandler: ((details: { url: string }) => { action: 'deny' }) | undefined
  return {
    on(event: string, listener: (...args: never[]) => void) {
      listeners.set(event, [...(listeners.get(event) ?? []), listener])
      return this
    },
    emit(event: string, ...args: unknown[]) {
      for (const l of listeners.get(event) ?? []) (l as (...a: unknown[]) => void)(...args)
    },
    setWindowOpenHandler(h: (details: { url: string }) => { action: 'deny' }) {
      windowOpenHandler = h
    },
    open(url: string) {
      return windowOpenHandler!({ url })
    },
  }
}

function navigationEvent(url: string) {
  return { url, preventDefault: vi.fn() }
}

describe('navigation', () => {
  it('prevents will-navigate to anything but the app, and allows the app itself', () => {
    const contents = fakeContents()
    const log = vi.fn()
    blockForeignNavigation(contents, createAppUrlPolicy({ rendererIndexFile: INDEX }).isAppUrl, log)

    const evil = navigationEvent('https://evil.example/phish')
    contents.emit('will-navigate', evil)
    expect(evil.preventDefault).toHaveBeenCalledTimes(1)
    expect(log).toHaveBeenCalledWith(expect.stringContaining('https://evil.example/phish'))

    const local = navigationEvent(pathToFileURL('/etc/passwd').href)
    contents.emit('will-navigate', local)
    expect(local.preventDefault).toHaveBeenCalledTimes(1)

    const app = navigationEvent(`${INDEX_URL}#/home`)
    contents.emit('will-navigate', app)
    expect(app.preventDefault).not.toHaveBeenCalled()
  })
})

describe('new windows', () => {
  it('denies every window.open and hands only http(s) links to the system browser', async () => {
    const contents = fakeContents()
    const openExternal = vi.fn(async (_url: string) => {})
    denyNewWindows(contents, openExternal, vi.fn())

    expect(contents.open('https://www.ibm.com/docs/')).toEqual({ action: 'deny' })
    expect(contents.open(INDEX_URL)).toEqual({ action: 'deny' })
    expect(contents.open('file:///etc/passwd')).toEqual({ action: 'deny' })
    expect(contents.open('smb://host/share')).toEqual({ action: 'deny' })
    expect(contents.open('javascript:alert(1)')).toEqual({ action: 'deny' })
    expect(openExternal.mock.calls).toEqual([['https://www.ibm.com/docs/']])
  })

  it('logs instead of throwing when the system browser cannot be opened', async () => {
    const contents = fakeContents()
    const log = vi.fn()
    denyNewWindows(contents, async () => Promise.reject(new Error('no browser')), log)
    expect(contents.open('http://example.com/')).toEqual({ action: 'deny' })
    await vi.waitFor(() => expect(log).toHaveBeenCalledWith(expect.stringContaining('no browser')))
  })

  it('isSafeExternalUrl accepts only plain http(s) URLs', () => {
    expect(isSafeExternalUrl('https://example.com/a?b#c')).toBe(true)
    expect(isSafeExternalUrl('http://example.com/')).toBe(true)
    for (const url of ['file:///x', 'ms-msdt:/id', 'vscode://x', 'https://user:pw@example.com/', 'nonsense', '']) {
      expect(isSafeExternalUrl(url), url).toBe(false)
    }
  })
})

describe('permissions', () => {
  it('denies every permission request and every permission check', () => {
    let request: ((wc: unknown, permission: string, cb: (granted: boolean) => void) => void) | undefined
    let check: ((wc: unknown, permission: string) => boolean) | undefined
    denyAllPermissions(
      {
        setPermissionRequestHandler: (h) => (request = h),
        setPermissionCheckHandler: (h) => (check = h),
      },
      vi.fn(),
    )
    for (const permission of [
      'media',
      'geolocation',
      'notifications',
      'clipboard-read',
      'openExternal',
      'fullscreen',
    ]) {
      const cb = vi.fn()
      request!({}, permission, cb)
      expect(cb, permission).toHaveBeenCalledExactlyOnceWith(false)
      expect(check!({}, permission), permission).toBe(false)
    }
  })
})

describe('webviews', () => {
  it('prevents will-attach-webview', () => {
    const contents = fakeContents()
    preventWebviews(contents, vi.fn())
    const event = { preventDefault: vi.fn() }
    contents.emit('will-attach-webview', event, { nodeIntegration: true }, { src: 'https://evil.example' })
    expect(event.preventDefault).toHaveBeenCalledTimes(1)
  })
})

describe('web preferences', () => {
  it('are the hardened set', () => {
    expect(secureWebPreferences('/p/index.cjs')).toEqual({
      preload: '/p/index.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      spellcheck: false,
    })
  })
})
