// What a command file exports. To add a command: write src-main/cli/commands/<name>.ts
// exporting `defineCommand({...})` and add it to the COMMANDS table in main.ts.
import type { OptionSpec, ParsedArgs, PositionalSpec } from './args'

export interface CliIo {
  stdout(text: string): void
  stderr(text: string): void
  env: NodeJS.ProcessEnv
  /** Terminal width for text output; undefined when stdout is not a terminal and COLUMNS is unset. */
  columns: number | undefined
}

export interface CliContext {
  io: CliIo
  /** The repository (or installed package) root: where package.json and out/ live. */
  projectRoot: string
}

export interface Command<Os extends readonly OptionSpec[] = readonly OptionSpec[]> {
  readonly name: string
  /** One line for `aplab --help`. */
  readonly summary: string
  /** Longer text for `aplab <name> --help`, after the usage line. */
  readonly details?: string
  readonly options: Os
  readonly positionals?: readonly PositionalSpec[]
  /** Returns the exit code (default 0). Throw UsageError for bad input, LabError for a failed operation. */
  run(args: ParsedArgs<Os>, ctx: CliContext): Promise<number | void>
}

export function defineCommand<const Os extends readonly OptionSpec[]>(command: Command<Os>): Command<Os> {
  return command
}
