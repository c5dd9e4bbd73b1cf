#!/usr/bin/env node
// `npm run bench`: prints one JSON document with every figure and its ratio to a reference
// measured in the same run (the machines are shared and noisy; compare ratios, not rates).
// Each section runs in a child process of its own (`--section NAME` runs one and prints it).
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { register } from 'tsx/esm/api'

register()
const { SECTIONS, runSection, reportHeader } = await import('../src-main/bench/index.ts')
const argv = process.argv.slice(2)
const at = argv.indexOf('--section')
if (at >= 0) {
  const section = argv[at + 1]
  if (!SECTIONS.includes(section)) {
    process.stderr.write(`bench: unknown section '${section}' (${SECTIONS.join(', ')})\n`)
    process.exit(2)
  }
  process.stdout.write(JSON.stringify(await runSection(section, argv)) + '\n')
} else {
  const report = reportHeader()
  for (const section of SECTIONS) {
    const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--section', section, ...argv], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      maxBuffer: 64 * 1024 * 1024,
    })
    if (child.status !== 0) {
      process.stderr.write(`bench: section ${section} failed (exit ${child.status ?? child.signal})\n`)
      process.exit(1)
    }
    report[section] = JSON.parse(child.stdout)
  }
  process.stdout.write(JSON.stringify(report, null, 2) + '\n')
}
