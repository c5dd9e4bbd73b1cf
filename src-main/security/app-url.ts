// https://www.electronjs.org/docs/latest/tutorial/security#13-disable-or-limit-navigation
import { pathToFileURL } from 'node:url'

export type AppEntry = { kind: 'file'; path: string } | { kind: 'url'; url: string }

export interface AppUrlPolicy {
  /** What the window loads: the built renderer's index.html, or the dev server in `electron-vite dev`. */
  readonly entry: AppEntry
  /** True only for the app's own page: that exact index.html (any query or hash), or the dev server's origin. */
  isAppUrl(url: string): boolean
}

function parse(url: string): URL | undefined {
  try {
    return new URL(url)
  } catch {
    return undefined
  }
}

export function createAppUrlPolicy(opts: {
  rendererIndexFile: string
  devServerUrl?: string | undefined
}): AppUrlPolicy {
  if (opts.devServerUrl) {
    const dev = parse(opts.devServerUrl)
    if (!dev || (dev.protocol !== 'http:' && dev.protocol !== 'https:')) {
      throw new Error(`aplab: the renderer dev server URL must be http(s), got '${opts.devServerUrl}'`)
    }
    return {
      entry: { kind: 'url', url: opts.devServerUrl },
      isAppUrl: (url) => parse(url)?.origin === dev.origin,
    }
  }
  const index = pathToFileURL(opts.rendererIndexFile)
  return {
    entry: { kind: 'file', path: opts.rendererIndexFile },
    isAppUrl: (url) => {
      const u = parse(url)
      return u !== undefined && u.protocol === 'file:' && u.host === '' && u.pathname === index.pathname
    },
  }
}
