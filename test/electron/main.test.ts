// src-main/index.ts with a fake Electron: what the real app process does at start-up.
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { KERNEL_PROFILES } from '../../src-main/engine/profiles'
import type { IpcInvokeEvent } from '../../src-main/ipc/register'
import { CONTENT_SECURITY_POLICY } from '../../src-main/security/csp'
import { OPERATION_NAMES, ipcChannel } from '../../src-preload/contract'

const APP_ROOT = join('/opt', 'aplab')
const INDEX = join(APP_ROOT, 'out', 'renderer', 'index.html')
const APP_URL = pathToFileURL(INDEX).href

const fake = vi.hoisted(() => {
  type Listener = (...args: unknown[]) => unknown

  class Emitter {
    listeners = new Map<string, Listener[]>()
    on(event: string, listener: Listener) {
      this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener])
      return this
    }
    once(event: string, listener: Listener) {
      return this.on(event, listener)
    }
    emit(event: string, ...args: unknown[]) {
      for (const l of this.listeners.get(event) ?? []) l(...args)
    }
  }

  const state = {
    order: [] as string[],
    nextId: 1,
    lock: true,
    ready: false,
    packaged: false,
    windows: [] as FakeWindow[],
    ipcHandlers: new Map<string, Listener>(),
    headersListener: undefined as Listener | undefined,
    permissionRequest: undefined as Listener | undefined,
    permissionCheck: undefined as Listener | undefined,
  }

  class FakeWebContents extends Emitter {
    windowOpenHandler: ((d: { url: string }) => unknown) | undefined
    constructor(readonly id: number) {
      super()
    }
    setWindowOpenHandler(h: (d: { url: string }) => unknown) {
      this.windowOpenHandler = h
    }
  }

  class FakeWindow extends Emitter {
    webContents: FakeWebContents
    loadFile = vi.fn(async (_path: string) => {})
    loadURL = vi.fn(async (_url: string) => {})
    focus = vi.fn()
    restore = vi.fn()
    isMinimized = () => false
    constructor(readonly options: { webPreferences: Record<string, unknown> }) {
      super()
      state.order.push('window')
      this.webContents = new FakeWebContents(state.nextId++)
      state.windows.push(this)
      app.emit('web-contents-created', {}, this.webContents)
    }
  }

  const app = Object.assign(new Emitter(), {
    enableSandbox: vi.fn(() => state.order.push('enableSandbox')),
    requestSingleInstanceLock: vi.fn(() => state.lock),
    quit: vi.fn(),
    getAppPath: () => '/opt/aplab',
    getPath: vi.fn((name: string) => (name === 'userData' ? '/home/u/.config/AP Lab' : `/home/u/${name}`)),
    isReady: () => state.ready,
    whenReady: () =>
      Promise.resolve().then(() => {
        state.ready = true
        state.order.push('ready')
      }),
  })
  // Object.assign would freeze a getter's current value, so this one is defined separately.
  Object.defineProperty(app, 'isPackaged', { get: () => state.packaged })

  const electron = {
    app,
    BrowserWindow: FakeWindow,
    ipcMain: {
      handle: vi.fn((channel: string, l: Listener) => state.ipcHandlers.set(channel, l)),
      removeHandler: vi.fn((channel: string) => state.ipcHandlers.delete(channel)),
    },
    session: {
      defaultSession: {
        webRequest: { onHeadersReceived: vi.fn((l: Listener) => (state.headersListener = l)) },
        setPermissionRequestHandler: vi.fn((l: Listener) => (state.permissionRequest = l)),
        setPermissionCheckHandler: vi.fn((l: Listener) => (state.permissionCheck = l)),
      },
    },
    shell: { openExternal: vi.fn(async (_url: string) => {}) },
  }

  function reset() {
    Object.assign(state, {
      order: [],
      nextId: 1,
      lock: true,
      ready: false,
      packaged: false,
      windows: [],
      headersListener: undefined,
      permissionRequest: undefined,
      permissionCheck: undefined,
    })
    state.ipcHandlers.clear()
    app.listeners.clear()
    vi.clearAllMocks()
  }

  const sqlite = {
    ensureElectronSqliteBinding: vi.fn(async (_opts: { electronVersion: string; userDataDir: string }) => ({
      ok: false as const,
      path: '/x/better_sqlite3.node',
      error: { reason: 'build-failed', message: 'no headers (test)', detail: '' },
    })),
  }

  return { state, app, electron, reset, sqlite }
})

vi.mock('electron', () => fake.electron)
vi.mock('../../src-main/native/electron-sqlite', () => fake.sqlite)

async function start(env: { rendererUrl?: string; packaged?: boolean; lock?: boolean } = {}) {
  fake.reset()
  fake.state.packaged = env.packaged ?? false
  fake.state.lock = env.lock ?? true
  if (env.rendererUrl === undefined) delete process.env.ELECTRON_RENDERER_URL
  else process.env.ELECTRON_RENDERER_URL = env.rendererUrl
  vi.resetModules()
  await import('../../src-main/index')
  if (env.lock === false) await new Promise((r) => setTimeout(r, 10))
  else await vi.waitFor(() => expect(fake.sqlite.ensureElectronSqliteBinding).toHaveBeenCalled())
}

function onlyWindow() {
  expect(fake.state.windows).toHaveLength(1)
  return fake.state.windows[0]!
}

function ipc(op: string, event: IpcInvokeEvent, payload?: unknown) {
  const handler = fake.state.ipcHandlers.get(ipcChannel(op as (typeof OPERATION_NAMES)[number]))
  if (!handler) throw new Error(`no handler for ${op}`)
  return handler(event, payload) as Promise<unknown>
}

const savedRendererUrl = process.env.ELECTRON_RENDERER_URL

beforeEach(() => {
  vi.spyOn(console, 'warn').mockImplementation(() => {})
  vi.spyOn(console, 'log').mockImplementation(() => {})
  vi.spyOn(console, 'error').mockImplementation(() => {})
})

afterEach(() => {
  vi.restoreAllMocks()
  if (savedRendererUrl === undefined) delete process.env.ELECTRON_RENDERER_URL
  else process.env.ELECTRON_RENDERER_URL = savedRendererUrl
})

describe('main process start-up', () => {
  it('enables the sandbox before the app is ready', async () => {
    await start()
    expect(fake.app.enableSandbox).toHaveBeenCalledTimes(1)
    expect(fake.state.order.indexOf('enableSandbox')).toBe(0)
    expect(fake.state.order.indexOf('enableSandbox')).toBeLessThan(fake.state.order.indexOf('ready'))
    expect(fake.state.order.indexOf('ready')).toBeLessThan(fake.state.order.indexOf('window'))
  })

  it('opens exactly one window with the hardened webPreferences and the bundled preload', async () => {
    await start()
    const prefs = onlyWindow().options.webPreferences
    expect(prefs.contextIsolation).toBe(true)
    expect(prefs.sandbox).toBe(true)
    expect(prefs.nodeIntegration).toBe(false)
    expect(prefs.nodeIntegrationInWorker).toBe(false)
    expect(prefs.webSecurity).toBe(true)
    expect(prefs.allowRunningInsecureContent).toBe(false)
    expect(prefs.experimentalFeatures).toBe(false)
    expect(prefs.spellcheck).toBe(false)
    expect(prefs.preload).toBe(join(APP_ROOT, 'out', 'preload', 'index.cjs'))
    expect(prefs).not.toHaveProperty('enableBlinkFeatures')
    expect(prefs.nodeIntegrationInSubFrames).not.toBe(true)
    expect(prefs.webviewTag).not.toBe(true)
  })

  it('loads the built renderer with loadFile', async () => {
    await start()
    const win = onlyWindow()
    expect(win.loadFile).toHaveBeenCalledExactlyOnceWith(INDEX)
    expect(win.loadURL).not.toHaveBeenCalled()
  })

  it('loads the dev server in electron-vite dev, and trusts only it', async () => {
    await start({ rendererUrl: 'http://localhost:5173' })
    const win = onlyWindow()
    expect(win.loadURL).toHaveBeenCalledExactlyOnceWith('http://localhost:5173')
    expect(win.loadFile).not.toHaveBeenCalled()

    const id = win.webContents.id
    const dev = { sender: { id }, senderFrame: { url: 'http://localhost:5173/', parent: null } }
    await expect(ipc('listProfiles', dev)).resolves.toMatchObject({ ok: true })
    await expect(ipc('listProfiles', { sender: { id }, senderFrame: { url: APP_URL, parent: null } })).rejects.toThrow(
      /refused/,
    )
  })

  it('ignores ELECTRON_RENDERER_URL in a packaged app', async () => {
    await start({ rendererUrl: 'http://localhost:5173', packaged: true })
    const win = onlyWindow()
    expect(win.loadFile).toHaveBeenCalledExactlyOnceWith(INDEX)
    expect(win.loadURL).not.toHaveBeenCalled()
  })

  it('keeps one window: a second launch or activate focuses it instead of opening another', async () => {
    await start()
    const win = onlyWindow()
    fake.app.emit('second-instance', {}, [], '/')
    fake.app.emit('activate')
    expect(fake.state.windows).toHaveLength(1)
    expect(win.focus).toHaveBeenCalledTimes(2)
  })

  it('quits instead of opening a window when another instance is running', async () => {
    await start({ lock: false })
    expect(fake.app.quit).toHaveBeenCalledTimes(1)
    expect(fake.state.windows).toHaveLength(0)
    expect(fake.state.ipcHandlers.size).toBe(0)
  })

  it('quits when the window is closed', async () => {
    await start()
    onlyWindow().emit('closed')
    fake.app.emit('window-all-closed')
    expect(fake.app.quit).toHaveBeenCalledTimes(1)
  })

  it('asks for the Electron-ABI SQLite module under userData and says why when it is missing', async () => {
    await start()
    expect(fake.sqlite.ensureElectronSqliteBinding).toHaveBeenCalledTimes(1)
    expect(fake.sqlite.ensureElectronSqliteBinding.mock.calls[0]![0].userDataDir).toBe('/home/u/.config/AP Lab')
    await vi.waitFor(() =>
      expect(console.warn).toHaveBeenCalledWith(expect.stringMatching(/without persistence.*no headers \(test\)/s)),
    )
  })
})

describe('security wiring', () => {
  it('sets the strict CSP on every response of the default session', async () => {
    await start()
    const callback = vi.fn()
    fake.state.headersListener!({ responseHeaders: { 'Content-Type': ['text/html'] } }, callback)
    expect(callback).toHaveBeenCalledExactlyOnceWith({
      responseHeaders: { 'Content-Type': ['text/html'], 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] },
    })
  })

  it('denies permission requests and checks', async () => {
    await start()
    const cb = vi.fn()
    fake.state.permissionRequest!({}, 'media', cb, {})
    expect(cb).toHaveBeenCalledExactlyOnceWith(false)
    expect(fake.state.permissionCheck!({}, 'notifications', 'file://', {})).toBe(false)
  })

  it("blocks navigation away from the app in the window's webContents", async () => {
    await start()
    const contents = onlyWindow().webContents
    const away = { url: 'https://evil.example/', preventDefault: vi.fn() }
    contents.emit('will-navigate', away)
    expect(away.preventDefault).toHaveBeenCalledTimes(1)
    const home = { url: `${APP_URL}#/profiles`, preventDefault: vi.fn() }
    contents.emit('will-navigate', home)
    expect(home.preventDefault).not.toHaveBeenCalled()
  })

  it('denies window.open, sending only http(s) links to the system browser', async () => {
    await start()
    const contents = onlyWindow().webContents
    expect(contents.windowOpenHandler!({ url: 'https://example.com/doc' })).toEqual({ action: 'deny' })
    expect(contents.windowOpenHandler!({ url: APP_URL })).toEqual({ action: 'deny' })
    expect(contents.windowOpenHandler!({ url: 'file:///etc/passwd' })).toEqual({ action: 'deny' })
    expect(fake.electron.shell.openExternal.mock.calls).toEqual([['https://example.com/doc']])
  })

  it('prevents <webview> attachment', async () => {
    await start()
    const event = { preventDefault: vi.fn() }
    onlyWindow().webContents.emit('will-attach-webview', event, {}, { src: 'https://evil.example/' })
    expect(event.preventDefault).toHaveBeenCalledTimes(1)
  })
})

describe('IPC wiring', () => {
  it('registers one handler per operation and no others', async () => {
    await start()
    expect([...fake.state.ipcHandlers.keys()].sort()).toEqual(OPERATION_NAMES.map(ipcChannel).sort())
    expect(fake.electron.ipcMain.handle).toHaveBeenCalledTimes(OPERATION_NAMES.length)
  })

  it('serves the window and refuses other webContents and closed windows', async () => {
    await start()
    const id = onlyWindow().webContents.id
    const good = { sender: { id }, senderFrame: { url: APP_URL, parent: null } }
    const res = (await ipc('listProfiles', good)) as { ok: boolean; value: { kernel: unknown[] } }
    expect(res.ok).toBe(true)
    expect(res.value.kernel).toEqual([...KERNEL_PROFILES])

    await expect(ipc('listProfiles', { ...good, sender: { id: id + 100 } })).rejects.toThrow(/refused/)

    onlyWindow().emit('closed')
    await expect(ipc('listProfiles', good)).rejects.toThrow(/refused/)
  })
})
