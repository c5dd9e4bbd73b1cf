#!/usr/bin/env node
// The `aplab` command: runs the TypeScript sources directly through tsx (no build step).
import { register } from 'tsx/esm/api'

register()

process.stdout.on('error', (err) => {
  // `aplab profiles | head` closes the pipe early; that is not a failure.
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0)
  throw err
})

const { main } = await import('../src-main/cli/main.ts')
process.exitCode = await main(process.argv.slice(2))
