// https://www.electronjs.org/docs/latest/tutorial/security#checklist-security-recommendations
import { blockForeignNavigation, type NavigatingContents } from './navigation'
import { denyNewWindows, type WindowOpeningContents } from './new-windows'
import { installContentSecurityPolicy, type HeaderRewritingSession } from './csp'
import { denyAllPermissions, type PermissionSession } from './permissions'
import { preventWebviews, type WebviewHostContents } from './webview'

export { createAppUrlPolicy, type AppUrlPolicy } from './app-url'
export { secureWebPreferences } from './web-preferences'

export type GuardedContents = NavigatingContents & WindowOpeningContents & WebviewHostContents

export interface ContentsGuardOptions {
  isAppUrl: (url: string) => boolean
  openExternal: (url: string) => Promise<void>
  log?: (message: string) => void
}

export function guardWebContents(contents: GuardedContents, opts: ContentsGuardOptions): void {
  blockForeignNavigation(contents, opts.isAppUrl, opts.log)
  denyNewWindows(contents, opts.openExternal, opts.log)
  preventWebviews(contents, opts.log)
}

export interface WebContentsCreatedSource {
  on(event: 'web-contents-created', listener: (event: unknown, contents: GuardedContents) => void): unknown
}

/** Guards every webContents the app ever creates, not only the main window's. */
export function guardAllWebContents(app: WebContentsCreatedSource, opts: ContentsGuardOptions): void {
  app.on('web-contents-created', (_event, contents) => guardWebContents(contents, opts))
}

export function secureSession(
  session: HeaderRewritingSession & PermissionSession,
  log?: (message: string) => void,
): void {
  installContentSecurityPolicy(session)
  denyAllPermissions(session, log)
}
