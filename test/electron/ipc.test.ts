import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { describe, expect, it, vi } from 'vitest'
import { KERNEL_PROFILES, QEMU_PROFILES } from '../../src-main/engine/profiles'
import { registerIpcHandlers, type IpcInvokeEvent } from '../../src-main/ipc/register'
import { createAppUrlPolicy } from '../../src-main/security/app-url'
import { createLabService } from '../../src-main/service'
import { IPC_CHANNEL_PREFIX, OPERATION_NAMES, ipcChannel } from '../../src-preload/contract'

const APP_URL = pathToFileURL(join('/opt/aplab', 'out', 'renderer', 'index.html')).href
const WINDOW_ID = 7

type Handler = (event: IpcInvokeEvent, ...args: unknown[]) => Promise<unknown>

function setup(opts: { devServerUrl?: string; callImpl?: (op: string, payload: unknown) => Promise<unknown> } = {}) {
  const handlers = new Map<string, Handler>()
  const ipcMain = {
    handle: vi.fn((channel: string, handler: Handler) => {
      expect(handlers.has(channel), `second handler for ${channel}`).toBe(false)
      handlers.set(channel, handler)
    }),
    removeHandler: vi.fn((channel: string) => handlers.delete(channel)),
  }
  const service = createLabService()
  const call = opts.callImpl ? vi.spyOn(service, 'call').mockImplementation(opts.callImpl) : vi.spyOn(service, 'call')
  const log = vi.fn()
  const trusted = new Set([WINDOW_ID])
  const policy = createAppUrlPolicy({
    rendererIndexFile: join('/opt/aplab', 'out', 'renderer', 'index.html'),
    devServerUrl: opts.devServerUrl,
  })
  const unregister = registerIpcHandlers({
    ipcMain,
    service,
    trustedWebContentsIds: trusted,
    isAppUrl: policy.isAppUrl,
    log,
  })
  const invoke = (op: string, event: IpcInvokeEvent, payload?: unknown) => {
    const h = handlers.get(IPC_CHANNEL_PREFIX + op)
    if (!h) throw new Error(`no handler for ${op}`)
    return h(event, payload)
  }
  return { handlers, ipcMain, call, log, trusted, unregister, invoke }
}

function appEvent(url = APP_URL, id = WINDOW_ID): IpcInvokeEvent {
  return { sender: { id }, senderFrame: { url, parent: null } }
}

describe('IPC registration', () => {
  it('registers exactly one handler per operation and nothing else', () => {
    const { handlers, ipcMain } = setup()
    expect(ipcMain.handle).toHaveBeenCalledTimes(OPERATION_NAMES.length)
    expect([...handlers.keys()].sort()).toEqual(OPERATION_NAMES.map(ipcChannel).sort())
  })

  it('the returned function removes every handler it registered', () => {
    const { handlers, unregister, ipcMain } = setup()
    unregister()
    expect(handlers.size).toBe(0)
    expect(ipcMain.removeHandler).toHaveBeenCalledTimes(OPERATION_NAMES.length)
  })
})

describe('IPC sender validation', () => {
  const refused: [string, IpcInvokeEvent][] = [
    ['a webContents that is not an app window', appEvent(APP_URL, 99)],
    ['an app window showing a foreign page', appEvent('https://evil.example/')],
    ['an app window showing another local file', appEvent(pathToFileURL('/tmp/evil.html').href)],
    ['a subframe of the app window', { sender: { id: WINDOW_ID }, senderFrame: { url: APP_URL, parent: {} } }],
    ['a frame that is gone', { sender: { id: WINDOW_ID }, senderFrame: null }],
    [
      'a frame that throws when inspected',
      {
        sender: { id: WINDOW_ID },
        get senderFrame(): never {
          throw new Error('Render frame was disposed')
        },
      },
    ],
  ]

  for (const [what, event] of refused) {
    it(`refuses ${what} without calling the service`, async () => {
      const { invoke, call, log } = setup()
      for (const op of OPERATION_NAMES) {
        await expect(invoke(op, event, op === 'getProfile' ? { id: 'linux-5.2' } : undefined)).rejects.toThrow(
          /refused/,
        )
      }
      expect(call).not.toHaveBeenCalled()
      expect(log).toHaveBeenCalledTimes(OPERATION_NAMES.length)
      expect(log.mock.calls[0]![0]).toMatch(/dropped IPC/)
    })
  }

  it('stops trusting a window once its id leaves the allowlist', async () => {
    const { invoke, call, trusted } = setup()
    await expect(invoke('listProfiles', appEvent())).resolves.toMatchObject({ ok: true })
    trusted.delete(WINDOW_ID)
    await expect(invoke('listProfiles', appEvent())).rejects.toThrow(/refused/)
    expect(call).toHaveBeenCalledTimes(1)
  })

  it('in dev trusts the dev server origin and nothing else', async () => {
    const { invoke, call } = setup({ devServerUrl: 'http://localhost:5173' })
    await expect(invoke('listProfiles', appEvent('http://localhost:5173/#/lab'))).resolves.toMatchObject({ ok: true })
    await expect(invoke('listProfiles', appEvent('http://localhost:5174/'))).rejects.toThrow(/refused/)
    await expect(invoke('listProfiles', appEvent(APP_URL))).rejects.toThrow(/refused/)
    expect(call).toHaveBeenCalledTimes(1)
  })
})

describe('IPC envelopes', () => {
  it('a good listProfiles call returns the whole catalogue', async () => {
    const { invoke, call } = setup()
    const res = await invoke('listProfiles', appEvent(), undefined)
    expect(call).toHaveBeenCalledExactlyOnceWith('listProfiles', undefined)
    expect(res).toEqual({ ok: true, value: { kernel: [...KERNEL_PROFILES], qemu: [...QEMU_PROFILES] } })
    expect(KERNEL_PROFILES.length + QEMU_PROFILES.length).toBeGreaterThan(0)
  })

  it('a good getProfile call returns that profile', async () => {
    const { invoke } = setup()
    const profile = QEMU_PROFILES[0]!
    await expect(invoke('getProfile', appEvent(), { id: profile.id })).resolves.toEqual({ ok: true, value: profile })
  })

  it('a bad payload yields invalid-input with the offending field', async () => {
    const { invoke } = setup()
    await expect(invoke('getProfile', appEvent(), { id: '' })).resolves.toMatchObject({
      ok: false,
      error: { code: 'invalid-input', field: 'payload.id' },
    })
    await expect(invoke('getProfile', appEvent(), { id: 'x', extra: 1 })).resolves.toMatchObject({
      ok: false,
      error: { code: 'invalid-input' },
    })
    await expect(invoke('listProfiles', appEvent(), { please: true })).resolves.toMatchObject({
      ok: false,
      error: { code: 'invalid-input', field: 'payload' },
    })
  })

  it('an unknown profile yields not-found', async () => {
    const { invoke } = setup()
    const res = await invoke('getProfile', appEvent(), { id: 'no-such-profile' })
    expect(res).toMatchObject({ ok: false, error: { code: 'not-found', field: 'id' } })
    expect((res as { error: { message: string } }).error.message).toContain('no-such-profile')
  })

  it('an unexpected exception becomes an internal error, not a rejection', async () => {
    const { invoke } = setup({
      callImpl: async () => {
        throw new TypeError('boom')
      },
    })
    await expect(invoke('listProfiles', appEvent())).resolves.toEqual({
      ok: false,
      error: { code: 'internal', message: 'boom' },
    })
  })

  it('envelopes are plain data that survive structured cloning (what IPC does)', async () => {
    const { invoke } = setup()
    for (const res of [
      await invoke('getProfile', appEvent(), { id: '' }),
      await invoke('getProfile', appEvent(), { id: KERNEL_PROFILES[0]!.id }),
    ]) {
      expect(structuredClone(res)).toEqual(res)
    }
  })
})
