// SQLite persistence (better-sqlite3): saved sessions, runs, per-step results, comparisons.
export { openStore, migrate, type Db, type StoreOptions } from './db'
export { Store, type RecordRunOptions, type RecordedRun, type RunListQuery, type RunPageQuery } from './store'
export { SCHEMA_VERSION, APPLICATION_ID, MIGRATIONS } from './migrations'
export { defaultStorePath, resolveStorePath, userDataDirectory, type ResolvedStorePath } from './paths'
export { MAX_IMPORT_BYTES, MAX_JSON_DEPTH, parseJsonSafely } from './json'
export type * from './types'
export { RUN_STATUSES } from './types'
