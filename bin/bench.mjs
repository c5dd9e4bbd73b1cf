#!/usr/bin/env node
// `npm run bench`: prints one JSON document with every figure and its ratio to a reference
// measured in the same run (the machines are shared and noisy; compare ratios, not rates).
import { register } from 'tsx/esm/api'

register()
const { runBenchmarks } = await import('../src-main/bench/index.ts')
const report = await runBenchmarks(process.argv.slice(2))
process.stdout.write(JSON.stringify(report, null, 2) + '\n')
