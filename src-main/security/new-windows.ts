// https://www.electronjs.org/docs/latest/tutorial/security#14-disable-or-limit-creation-of-new-windows
import { isSafeExternalUrl } from './external-url'

export interface WindowOpeningContents {
  setWindowOpenHandler(handler: (details: { url: string }) => { action: 'deny' }): void
}

export function denyNewWindows(
  contents: WindowOpeningContents,
  openExternal: (url: string) => Promise<void>,
  log: (message: string) => void = console.warn,
): void {
  contents.setWindowOpenHandler(({ url }) => {
    if (isSafeExternalUrl(url)) {
      openExternal(url).catch((err: unknown) => log(`aplab: could not open ${url} in the browser: ${String(err)}`))
    } else {
      log(`aplab: denied a new window for ${url}`)
    }
    return { action: 'deny' }
  })
}
