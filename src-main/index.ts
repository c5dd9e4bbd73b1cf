import { mkdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { BrowserWindow, app, dialog, ipcMain, session, shell } from 'electron'
import { registerIpcHandlers } from './ipc/register'
import { ensureElectronSqliteBinding } from './native/electron-sqlite'
import { createAppUrlPolicy, guardAllWebContents, secureSession, secureWebPreferences } from './security'
import { createLabService, type LabServiceOptions } from './service'
import { defaultStorePath, openStore } from './store'

// https://www.electronjs.org/docs/latest/tutorial/security#4-enable-process-sandboxing
app.enableSandbox()

const appRoot = app.getAppPath()
const policy = createAppUrlPolicy({
  rendererIndexFile: join(appRoot, 'out', 'renderer', 'index.html'),
  devServerUrl: app.isPackaged ? undefined : process.env.ELECTRON_RENDERER_URL,
})
const trustedWebContentsIds = new Set<number>()
// The service reads `store` on every call, so the database can open after the window does.
const serviceOptions: LabServiceOptions = {}
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
  // The renderer asks before unsaved changes are dropped (beforeunload); Electron needs the answer from here.
  win.webContents.on('will-prevent-unload', (event) => {
    const choice = dialog.showMessageBoxSync(win, {
      type: 'question',
      buttons: ['Discard changes', 'Stay'],
      defaultId: 1,
      cancelId: 1,
      message: 'The lab session has unsaved changes.',
    })
    if (choice === 0) event.preventDefault()
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
  if (!binding.ok) {
    console.warn(`aplab: running without persistence. ${binding.error.message}\n${binding.error.detail}`)
    return
  }
  console.log(`aplab: SQLite for Electron: ${binding.path}${binding.built ? ' (built now)' : ''}`)
  const path = defaultStorePath()
  try {
    mkdirSync(dirname(path), { recursive: true })
    serviceOptions.store = openStore(path, { nativeBinding: binding.path })
    console.log(`aplab: database ${path}`)
  } catch (err) {
    console.warn(`aplab: running without persistence. ${err instanceof Error ? err.message : String(err)}`)
  }
}

if (!app.requestSingleInstanceLock()) {
  app.quit()
} else {
  guardAllWebContents(app, { isAppUrl: policy.isAppUrl, openExternal: (url) => shell.openExternal(url) })
  app.on('second-instance', () => app.isReady() && showMainWindow())
  app.on('activate', () => app.isReady() && showMainWindow())
  app.on('window-all-closed', () => app.quit())
  app.on('will-quit', () => serviceOptions.store?.close())
  void app.whenReady().then(() => {
    secureSession(session.defaultSession)
    registerIpcHandlers({
      ipcMain,
      service: createLabService(serviceOptions),
      trustedWebContentsIds,
      isAppUrl: policy.isAppUrl,
    })
    showMainWindow()
    return prepareSqlite()
  })
}
