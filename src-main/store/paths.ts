// Where the database lives: `--db <file>`, else $APLAB_DB, else the user's data directory.
import { homedir } from 'node:os'
import { join } from 'node:path'

export const DB_FILE_NAME = 'aplab.db'

/** The per-user data directory of AP Lab (created on first use by the CLI). */
export function userDataDirectory(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): string {
  const home = env.HOME || env.USERPROFILE || homedir()
  if (platform === 'win32') return join(env.LOCALAPPDATA || env.APPDATA || join(home, 'AppData', 'Local'), 'aplab')
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', 'aplab')
  // XDG: a relative XDG_DATA_HOME is invalid and must be ignored.
  const xdg = env.XDG_DATA_HOME && env.XDG_DATA_HOME.startsWith('/') ? env.XDG_DATA_HOME : join(home, '.local', 'share')
  return join(xdg, 'aplab')
}

export function defaultStorePath(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform) {
  return join(userDataDirectory(env, platform), DB_FILE_NAME)
}

export interface ResolvedStorePath {
  path: string
  /** Where the path came from: `--db`, $APLAB_DB or the default. */
  source: 'option' | 'env' | 'default'
}

export function resolveStorePath(
  option: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): ResolvedStorePath {
  if (option !== undefined && option !== '') return { path: option, source: 'option' }
  if (env.APLAB_DB) return { path: env.APLAB_DB, source: 'env' }
  return { path: defaultStorePath(env, platform), source: 'default' }
}
