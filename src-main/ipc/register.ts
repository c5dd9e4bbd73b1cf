// https://www.electronjs.org/docs/latest/tutorial/security#17-validate-the-sender-of-all-ipc-messages
import { OPERATION_NAMES, ipcChannel, type OperationName } from '../../src-preload/contract'
import type { IpcEnvelope } from '../../src-preload/ipc-envelope'
import { toErrorBody, type LabService } from '../service'

export interface IpcInvokeEvent {
  sender: { id: number }
  senderFrame: { url: string; parent: unknown } | null
}

export interface IpcMainLike {
  handle(channel: string, listener: (event: IpcInvokeEvent, ...args: unknown[]) => Promise<unknown>): void
  removeHandler(channel: string): void
}

export interface IpcOptions {
  ipcMain: IpcMainLike
  service: Pick<LabService, 'call'>
  /** webContents ids of the app's own windows; read on every message, so add and remove as windows come and go. */
  trustedWebContentsIds: ReadonlySet<number>
  isAppUrl: (url: string) => boolean
  log?: (message: string) => void
}

/** Why the sender is not trusted, or undefined when it is the top frame of an app window showing the app. */
export function untrustedSenderReason(
  event: IpcInvokeEvent,
  trusted: ReadonlySet<number>,
  isAppUrl: (url: string) => boolean,
): string | undefined {
  try {
    const frame = event.senderFrame
    if (!frame) return 'the sending frame is gone'
    if (!trusted.has(event.sender.id)) return `webContents ${event.sender.id} is not an app window`
    if (frame.parent !== null) return `a subframe (${frame.url}) is not allowed to call the lab`
    if (!isAppUrl(frame.url)) return `frame URL ${frame.url} is not the app`
    return undefined
  } catch (err) {
    // A frame that navigated or was destroyed mid-call throws on property access.
    return `the sending frame could not be inspected: ${err instanceof Error ? err.message : String(err)}`
  }
}

/** Registers one `ipcMain.handle` per operation; returns a function that removes them again. */
export function registerIpcHandlers(opts: IpcOptions): () => void {
  const log = opts.log ?? console.warn
  const handle = (op: OperationName) => {
    const channel = ipcChannel(op)
    opts.ipcMain.handle(channel, async (event, payload): Promise<IpcEnvelope> => {
      const reason = untrustedSenderReason(event, opts.trustedWebContentsIds, opts.isAppUrl)
      if (reason !== undefined) {
        log(`aplab: dropped IPC '${channel}': ${reason}`)
        throw new Error(`aplab: IPC '${channel}' refused: the sender is not the AP Lab window`)
      }
      try {
        return { ok: true, value: await opts.service.call(op, payload) }
      } catch (err) {
        return { ok: false, error: toErrorBody(err) }
      }
    })
    return channel
  }
  const channels = OPERATION_NAMES.map(handle)
  return () => channels.forEach((c) => opts.ipcMain.removeHandler(c))
}
