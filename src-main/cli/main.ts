// The `aplab` command. bin/aplab.mjs loads this file through tsx and calls `main`.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { LabError } from '../service'
import { COMMON_OPTIONS, UsageError, allOptions, optionHelp, parseArgs, type OptionSpec } from './args'
import type { CliContext, CliIo, Command } from './command'
import { compareCommand } from './commands/compare'
import { diffCommand } from './commands/diff'
import { mergeCommand } from './commands/merge'
import { probeCommand } from './commands/probe'
import { examplesCommand, runCommand } from './commands/run'
import { profilesCommand } from './commands/profiles'
import { runsCommand } from './commands/runs'
import { serveCommand } from './commands/serve'
import { sessionsCommand } from './commands/sessions'
import { PROJECT_ROOT } from './paths'

/** Every command, in the order `aplab --help` lists them. */
export const COMMANDS: readonly Command<readonly OptionSpec[]>[] = [
  runCommand,
  examplesCommand,
  probeCommand,
  compareCommand,
  diffCommand,
  mergeCommand,
  sessionsCommand,
  runsCommand,
  profilesCommand,
  serveCommand,
]

export const EXIT_OK = 0
export const EXIT_FAILED = 1
export const EXIT_USAGE = 2

function synopsis(cmd: Command): string {
  const options = allOptions({ command: cmd.name, options: cmd.options }).map((o) => {
    const value = o.type === 'flag' ? '' : ` <${o.value ?? (o.type === 'int' ? 'N' : 'value')}>`
    return `[--${o.name}${value}]`
  })
  const positionals = (cmd.positionals ?? []).map((p) => {
    const inner = `<${p.name}>${p.variadic ? '...' : ''}`
    return p.required ? inner : `[${inner}]`
  })
  return ['aplab', cmd.name, ...positionals, ...options].join(' ')
}

function version(projectRoot: string): string {
  const pkg = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { version: string }
  return pkg.version
}

export function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length), 'help'.length)
  const lines = [
    'AP Lab: the s390 AP virtualization stack (firmware, KVM, vfio_ap, QEMU), every historical version.',
    '',
    'Usage: aplab <command> [options]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    `  ${'help'.padEnd(width)}  this text; \`aplab help <command>\` for one command`,
    '',
    'Options every command accepts:',
    ...optionHelp(COMMON_OPTIONS),
    '',
    'Also: aplab --help, aplab --version.',
    'Exit codes: 0 success, 1 the operation failed, 2 bad command line (one line on stderr).',
  ]
  return lines.join('\n') + '\n'
}

export function commandHelp(cmd: Command): string {
  const lines = [`Usage: ${synopsis(cmd)}`, '', cmd.summary.charAt(0).toUpperCase() + cmd.summary.slice(1) + '.']
  if (cmd.details) lines.push(cmd.details)
  const positionals = (cmd.positionals ?? []).filter((p) => p.description)
  if (positionals.length > 0) {
    lines.push('', 'Arguments:')
    const w = Math.max(...positionals.map((p) => p.name.length + 2))
    for (const p of positionals) lines.push(`  ${`<${p.name}>`.padEnd(w)}  ${p.description}`)
  }
  lines.push('', 'Options:', ...optionHelp(allOptions({ command: cmd.name, options: cmd.options })))
  return lines.join('\n') + '\n'
}

export function processIo(): CliIo {
  const fromEnv = Number(process.env.COLUMNS)
  return {
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
    env: process.env,
    columns: process.stdout.isTTY
      ? process.stdout.columns
      : Number.isInteger(fromEnv) && fromEnv > 0
        ? fromEnv
        : undefined,
  }
}

function oneLine(message: string): string {
  return message.replace(/\s*\n\s*/g, ' ').trim()
}

export async function main(
  argv: readonly string[],
  io: CliIo = processIo(),
  projectRoot = PROJECT_ROOT,
): Promise<number> {
  const fail = (code: number, message: string): number => {
    io.stderr(`aplab: ${oneLine(message)}\n`)
    return code
  }
  const [first, ...rest] = argv

  try {
    if (first === undefined || first === '--help' || first === '-h') {
      io.stdout(usage())
      return EXIT_OK
    }
    if (first === '--version') {
      io.stdout(version(projectRoot) + '\n')
      return EXIT_OK
    }
    if (first === 'help') {
      const topic = rest[0]
      if (topic === undefined) {
        io.stdout(usage())
        return EXIT_OK
      }
      const cmd = COMMANDS.find((c) => c.name === topic)
      if (!cmd) return fail(EXIT_USAGE, `unknown command '${topic}' (see aplab --help)`)
      io.stdout(commandHelp(cmd))
      return EXIT_OK
    }
    if (first.startsWith('-')) return fail(EXIT_USAGE, `unknown option '${first}' (see aplab --help)`)

    const cmd = COMMANDS.find((c) => c.name === first)
    if (!cmd) return fail(EXIT_USAGE, `unknown command '${first}' (see aplab --help)`)
    const args = parseArgs({ command: cmd.name, options: cmd.options, positionals: cmd.positionals }, rest)
    if (args.help) {
      io.stdout(commandHelp(cmd))
      return EXIT_OK
    }
    const ctx: CliContext = { io, projectRoot }
    return (await cmd.run(args, ctx)) ?? EXIT_OK
  } catch (err) {
    if (err instanceof UsageError) return fail(EXIT_USAGE, err.message)
    if (err instanceof LabError) return fail(EXIT_FAILED, err.message)
    if (io.env.APLAB_DEBUG && err instanceof Error && err.stack) io.stderr(err.stack + '\n')
    return fail(EXIT_FAILED, err instanceof Error ? err.message : String(err))
  }
}
