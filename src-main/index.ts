import { join } from 'node:path'
import { BrowserWindow, app, ipcMain, session, shell } from 'electron'
import { registerIpcHandlers } from './ipc/register'
import { ensureElectronSqliteBinding } from './native/electron-sqlite'
import { createAppUrlPolicy, guardAllWebContents, secureSession, secureWebPreferences } from './security'
import { createLabService } from './service'

// https://www.electronjs.org/docs/latest/tutorial/security#4-enable-process-sandboxing
app.enableSandbox()

const appRoot = app.getAppPath()
const policy = createAppUrlPolicy({
  rendererIndexFile: join(appRoot, 'out', 'renderer', 'index.html'),
  devServerUrl: app.isPackaged ? undefined : process.env.ELECTRON_RENDERER_URL,
})
const trustedWebContentsIds = new Set<number>()
let mainWindow: BrowserWindow | null = null

function showMainWindow(): void {
  if (mainWindow) {
    if (mainWindow.isMinimized()) mainWindow.restore()
    mainWindow.focus()
    return
  }
  const win = new BrowserWindow({
    width: 1280,
    height: 860,
    title: 'AP Lab',
    webPreferences: secureWebPreferences(join(appRoot, 'out', 'preload', 'index.cjs')),
  })
  const id = win.webContents.id
  trustedWebContentsIds.add(id)
  win.on('closed', () => {
    trustedWebContentsIds.delete(id)
    mainWindow = null
  })
  mainWindow = win
  const entry = policy.entry
  const loading = entry.kind === 'file' ? win.loadFile(entry.path) : win.loadURL(entry.url)
  loading.catch((err: unknown) => console.error(`aplab: could not load the renderer: ${String(err)}`))
}

async function prepareSqlite(): Promise<void> {
  const binding = await ensureElectronSqliteBinding({
    electronVersion: process.versions.electron ?? '',
    userDataDir: app.getPath('userData'),
  })
  if (binding.ok) console.log(`aplab: SQLite for Electron: ${binding.path}${binding.built ? ' (built now)' : ''}`)
  else console.warn(`aplab: running without persistence. ${binding.error.message}\n${binding.error.detail}`)
}

if (!app.requestSingleInstanceLock()) {
  app.quit()
} else {
  guardAllWebContents(app, { isAppUrl: policy.isAppUrl, openExternal: (url) => shell.openExternal(url) })
  app.on('second-instance', () => app.isReady() && showMainWindow())
  app.on('activate', () => app.isReady() && showMainWindow())
  app.on('window-all-closed', () => app.quit())
  void app.whenReady().then(() => {
    secureSession(session.defaultSession)
    registerIpcHandlers({ ipcMain, service: createLabService(), trustedWebContentsIds, isAppUrl: policy.isAppUrl })
    showMainWindow()
    return prepareSqlite()
  })
}
