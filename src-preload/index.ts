// https://www.electronjs.org/docs/latest/tutorial/security#20-do-not-expose-electron-apis-to-untrusted-web-content
// Runs sandboxed: only 'electron' can be required at run time; the other imports are bundled.
import { contextBridge, ipcRenderer } from 'electron'
import { OPERATION_NAMES, ipcChannel, type LabApi, type OperationName } from './contract'
import { unwrapIpcEnvelope } from './ipc-envelope'

function operation(op: OperationName): (req?: unknown) => Promise<unknown> {
  const channel = ipcChannel(op)
  return async (req) => unwrapIpcEnvelope(channel, await ipcRenderer.invoke(channel, req))
}

const api = Object.fromEntries(OPERATION_NAMES.map((op) => [op, operation(op)])) as unknown as LabApi

contextBridge.exposeInMainWorld('lab', api)
