// https://www.electronjs.org/docs/latest/tutorial/security#5-handle-session-permission-requests-from-remote-content
export interface PermissionSession {
  setPermissionRequestHandler(
    handler: (webContents: unknown, permission: string, callback: (granted: boolean) => void) => void,
  ): void
  setPermissionCheckHandler(handler: (webContents: unknown, permission: string) => boolean): void
}

/** The lab needs no camera, notifications, clipboard reads, etc.: every request and check is refused. */
export function denyAllPermissions(session: PermissionSession, log: (message: string) => void = console.warn): void {
  session.setPermissionRequestHandler((_webContents, permission, callback) => {
    log(`aplab: denied permission request '${permission}'`)
    callback(false)
  })
  session.setPermissionCheckHandler(() => false)
}
