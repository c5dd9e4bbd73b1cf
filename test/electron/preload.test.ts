import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { KERNEL_PROFILES, QEMU_PROFILES } from '../../src-main/engine/profiles'
import { registerIpcHandlers, type IpcInvokeEvent } from '../../src-main/ipc/register'
import { createAppUrlPolicy } from '../../src-main/security/app-url'
import { createLabService } from '../../src-main/service'
import { OPERATION_NAMES, ipcChannel, type LabApi } from '../../src-preload/contract'
import {
  LabIpcError,
  formatLabErrorMessage,
  isIpcEnvelope,
  parseLabErrorMessage,
  unwrapIpcEnvelope,
} from '../../src-preload/ipc-envelope'

const electron = vi.hoisted(() => ({
  contextBridge: { exposeInMainWorld: vi.fn() },
  ipcRenderer: { invoke: vi.fn() },
}))
vi.mock('electron', () => electron)

let exposed: Record<string, unknown>

beforeAll(async () => {
  await import('../../src-preload/index')
  expect(electron.contextBridge.exposeInMainWorld).toHaveBeenCalledTimes(1)
  const [key, api] = electron.contextBridge.exposeInMainWorld.mock.calls[0]!
  expect(key).toBe('lab')
  exposed = api as Record<string, unknown>
})

beforeEach(() => {
  electron.ipcRenderer.invoke.mockReset()
})

const lab = () => exposed as unknown as LabApi

describe('preload', () => {
  it("exposes exactly the contract's operations under window.lab, all functions", () => {
    expect(Object.keys(exposed).sort()).toEqual([...OPERATION_NAMES].sort())
    for (const op of OPERATION_NAMES) expect(exposed[op], op).toBeTypeOf('function')
    expect(Object.values(exposed)).not.toContain(electron.ipcRenderer)
    expect(Object.values(exposed)).not.toContain(electron.ipcRenderer.invoke)
  })

  it('invokes the operation channel with the request and unwraps a good reply', async () => {
    const profile = KERNEL_PROFILES[0]!
    electron.ipcRenderer.invoke.mockResolvedValueOnce({ ok: true, value: profile })
    await expect(lab().getProfile({ id: profile.id })).resolves.toEqual(profile)
    expect(electron.ipcRenderer.invoke).toHaveBeenCalledExactlyOnceWith(ipcChannel('getProfile'), { id: profile.id })

    electron.ipcRenderer.invoke.mockResolvedValueOnce({ ok: true, value: { kernel: [], qemu: [] } })
    await expect(lab().listProfiles()).resolves.toEqual({ kernel: [], qemu: [] })
    expect(electron.ipcRenderer.invoke).toHaveBeenLastCalledWith(ipcChannel('listProfiles'), undefined)
  })

  it('throws an Error carrying code, field and message for { ok: false }', async () => {
    const body = { code: 'invalid-input', field: 'payload.id', message: 'payload.id: Too small' } as const
    electron.ipcRenderer.invoke.mockResolvedValueOnce({ ok: false, error: body })
    const err = await lab()
      .getProfile({ id: '' })
      .then(
        () => undefined,
        (e: unknown) => e,
      )
    expect(err).toBeInstanceOf(Error)
    expect(err).toBeInstanceOf(LabIpcError)
    expect(err).toMatchObject({ code: 'invalid-input', field: 'payload.id' })
    expect((err as Error).message).toBe('[invalid-input:payload.id] payload.id: Too small')
    // contextBridge gives the page `new Error(message)`; the body must still be recoverable from that.
    expect(parseLabErrorMessage(new Error((err as Error).message).message)).toEqual(body)
  })

  it('rejects a malformed reply instead of returning it', async () => {
    for (const reply of [undefined, null, 'x', { ok: 'yes' }, { ok: false, error: { code: 'weird', message: 'm' } }]) {
      electron.ipcRenderer.invoke.mockResolvedValueOnce(reply)
      await expect(lab().listProfiles(), JSON.stringify(reply)).rejects.toThrow(/malformed reply on IPC channel/)
    }
  })

  it('passes on a refusal from the main process', async () => {
    electron.ipcRenderer.invoke.mockRejectedValueOnce(new Error("aplab: IPC 'aplab:listProfiles' refused"))
    await expect(lab().listProfiles()).rejects.toThrow(/refused/)
  })

  it('imports nothing at run time but electron and its bundled siblings', () => {
    const runtimeImports = (file: string) =>
      [
        ...readFileSync(new URL(`../../src-preload/${file}`, import.meta.url), 'utf8').matchAll(
          /^import\s+(?!type\s)[^;]*?from\s+'([^']+)'/gm,
        ),
      ].map((m) => m[1])
    expect(runtimeImports('index.ts').sort()).toEqual(['./contract', './ipc-envelope', 'electron'])
    expect(runtimeImports('ipc-envelope.ts')).toEqual([])
  })
})

describe('preload to main, end to end over a simulated IPC', () => {
  const APP_URL = pathToFileURL(join('/opt/aplab', 'out', 'renderer', 'index.html')).href

  function connect(frameUrl: string) {
    const handlers = new Map<string, (event: IpcInvokeEvent, ...args: unknown[]) => Promise<unknown>>()
    const service = createLabService()
    const call = vi.spyOn(service, 'call')
    registerIpcHandlers({
      ipcMain: { handle: (c, h) => handlers.set(c, h), removeHandler: (c) => handlers.delete(c) },
      service,
      trustedWebContentsIds: new Set([1]),
      isAppUrl: createAppUrlPolicy({ rendererIndexFile: join('/opt/aplab', 'out', 'renderer', 'index.html') }).isAppUrl,
      log: () => {},
    })
    electron.ipcRenderer.invoke.mockImplementation(async (channel: string, req: unknown) => {
      const event: IpcInvokeEvent = { sender: { id: 1 }, senderFrame: { url: frameUrl, parent: null } }
      return structuredClone(await handlers.get(channel)!(event, structuredClone(req)))
    })
    return call
  }

  it('a good request returns the profile list', async () => {
    connect(APP_URL)
    await expect(lab().listProfiles()).resolves.toEqual({ kernel: [...KERNEL_PROFILES], qemu: [...QEMU_PROFILES] })
  })

  it('a bad payload surfaces as an invalid-input error naming the field', async () => {
    connect(APP_URL)
    await expect(lab().getProfile({ id: '' })).rejects.toMatchObject({ code: 'invalid-input', field: 'payload.id' })
  })

  it('a foreign page is refused before the service runs', async () => {
    const call = connect('https://evil.example/')
    await expect(lab().listProfiles()).rejects.toThrow(/refused/)
    expect(call).not.toHaveBeenCalled()
  })
})

describe('ipc-envelope helpers', () => {
  it('recognise well-formed envelopes only', () => {
    expect(isIpcEnvelope({ ok: true, value: undefined })).toBe(true)
    expect(isIpcEnvelope({ ok: false, error: { code: 'not-found', message: 'm', field: 'id' } })).toBe(true)
    expect(isIpcEnvelope({ ok: true })).toBe(false)
    expect(isIpcEnvelope({ ok: false, error: { code: 'not-found', message: 1 } })).toBe(false)
    expect(isIpcEnvelope({ ok: false, error: { code: 'not-found', message: 'm', field: 2 } })).toBe(false)
  })

  it('format and parse round-trip every code, with and without a field', () => {
    for (const code of ['invalid-input', 'not-found', 'conflict', 'internal'] as const) {
      for (const body of [
        { code, message: 'plain' },
        { code, message: 'multi\nline [x]', field: 'payload.a.0' },
      ]) {
        expect(parseLabErrorMessage(formatLabErrorMessage(body))).toEqual(body)
      }
    }
    expect(parseLabErrorMessage('Error invoking remote method: boom')).toBeUndefined()
    expect(parseLabErrorMessage('[bogus] m')).toBeUndefined()
  })

  it('unwrap returns the value or throws the error', () => {
    expect(unwrapIpcEnvelope('c', { ok: true, value: 3 })).toBe(3)
    expect(() => unwrapIpcEnvelope('c', { ok: false, error: { code: 'conflict', message: 'taken' } })).toThrow(
      '[conflict] taken',
    )
  })
})
