// Fallback worker entry when esbuild is not available to pre-bundle the worker: load the
// TypeScript worker through tsx, as bin/aplab.mjs loads the CLI.
import { register } from 'tsx/esm/api'

register()
await import('./worker.ts')
