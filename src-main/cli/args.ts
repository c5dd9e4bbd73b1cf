// Command-line parsing shared by every `aplab` command. A command declares its options and
// positionals as data; `parseArgs` turns argv into typed values or throws a UsageError whose
// message is the one line `aplab: <reason>` printed before exiting with code 2.

export type OptionType = 'flag' | 'string' | 'int'

export interface OptionSpec {
  /** Long name without the dashes, e.g. `port` for `--port`. */
  readonly name: string
  readonly type: OptionType
  readonly repeatable?: boolean
  /** Placeholder shown in help, e.g. `N` or `file`. */
  readonly value?: string
  readonly min?: number
  readonly max?: number
  readonly description: string
}

export interface PositionalSpec {
  readonly name: string
  readonly required?: boolean
  /** Takes every remaining argument; only the last positional may be variadic. */
  readonly variadic?: boolean
  readonly description?: string
}

export class UsageError extends Error {
  override readonly name = 'UsageError'
}

/** Options every command accepts. */
export const COMMON_OPTIONS = [
  { name: 'json', type: 'flag', description: 'machine-readable JSON output' },
  { name: 'db', type: 'string', value: 'file', description: "database file (default: the user's data directory)" },
] as const satisfies readonly OptionSpec[]

type ValueOf<O extends OptionSpec> = O['type'] extends 'flag'
  ? boolean
  : O extends { repeatable: true }
    ? (O['type'] extends 'int' ? number : string)[]
    : (O['type'] extends 'int' ? number : string) | undefined

export type ParsedOptions<Os extends readonly OptionSpec[]> = {
  [O in Os[number] | (typeof COMMON_OPTIONS)[number] as O['name']]: ValueOf<O>
}

export interface ParsedArgs<Os extends readonly OptionSpec[] = readonly OptionSpec[]> {
  options: ParsedOptions<Os>
  positionals: string[]
  /** `--help` or `-h` was given; nothing else was validated. */
  help: boolean
}

export interface ArgsSpec {
  /** Used in messages: `(see aplab <command> --help)`. */
  readonly command: string
  readonly options: readonly OptionSpec[]
  readonly positionals?: readonly PositionalSpec[]
}

function describeInt(o: OptionSpec): string {
  if (o.min !== undefined && o.max !== undefined) return `an integer ${o.min}–${o.max}`
  if (o.min !== undefined) return `an integer ≥ ${o.min}`
  if (o.max !== undefined) return `an integer ≤ ${o.max}`
  return 'an integer'
}

function parseInt10(o: OptionSpec, raw: string): number {
  const n = /^[+-]?\d{1,16}$/.test(raw) ? Number(raw) : NaN
  if (!Number.isSafeInteger(n) || (o.min !== undefined && n < o.min) || (o.max !== undefined && n > o.max)) {
    throw new UsageError(`--${o.name} needs ${describeInt(o)}, got '${raw}'`)
  }
  return n
}

export function allOptions(spec: ArgsSpec): OptionSpec[] {
  const own = spec.options.filter((o) => !COMMON_OPTIONS.some((c) => c.name === o.name))
  return [...own, ...COMMON_OPTIONS]
}

export function parseArgs<Os extends readonly OptionSpec[]>(
  spec: ArgsSpec & { readonly options: Os },
  argv: readonly string[],
): ParsedArgs<Os> {
  const options = allOptions(spec)
  const byName = new Map(options.map((o) => [o.name, o]))
  const values: Record<string, unknown> = {}
  for (const o of options) values[o.name] = o.type === 'flag' ? false : o.repeatable ? [] : undefined
  const seen = new Set<string>()
  const positionals: string[] = []
  const seeHelp = `(see aplab ${spec.command} --help)`

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1))
      break
    }
    if (arg === '--help' || arg === '-h') return { options: values as ParsedOptions<Os>, positionals, help: true }
    if (!arg.startsWith('-') || arg === '-') {
      positionals.push(arg)
      continue
    }
    if (!arg.startsWith('--')) throw new UsageError(`unknown option '${arg}' ${seeHelp}`)

    const eq = arg.indexOf('=')
    const name = arg.slice(2, eq < 0 ? undefined : eq)
    const o = byName.get(name)
    if (!o) throw new UsageError(`unknown option '--${name}' ${seeHelp}`)
    if (seen.has(name) && !o.repeatable) throw new UsageError(`--${name} given more than once`)
    seen.add(name)

    if (o.type === 'flag') {
      if (eq >= 0) throw new UsageError(`--${name} takes no value`)
      values[name] = true
      continue
    }
    let raw: string | undefined
    if (eq >= 0) raw = arg.slice(eq + 1)
    else {
      const next = argv[i + 1]
      if (next !== undefined && !next.startsWith('--')) {
        raw = next
        i++
      }
    }
    if (raw === undefined || raw === '') {
      throw new UsageError(
        o.type === 'int' ? `--${name} needs ${describeInt(o)}` : `--${name} needs a ${o.value ?? 'value'}`,
      )
    }
    const value = o.type === 'int' ? parseInt10(o, raw) : raw
    if (o.repeatable) (values[name] as unknown[]).push(value)
    else values[name] = value
  }

  const declared = spec.positionals ?? []
  const variadic = declared.at(-1)?.variadic === true
  if (!variadic && positionals.length > declared.length) {
    throw new UsageError(`unexpected argument '${positionals[declared.length]}' ${seeHelp}`)
  }
  const missing = declared.find((p, idx) => p.required && positionals.length <= idx)
  if (missing) throw new UsageError(`missing <${missing.name}> ${seeHelp}`)

  return { options: values as ParsedOptions<Os>, positionals, help: false }
}

/** One line per option for `aplab <command> --help`. */
export function optionHelp(options: readonly OptionSpec[]): string[] {
  const rows = options.map((o) => {
    const placeholder = o.type === 'flag' ? '' : ` <${o.value ?? (o.type === 'int' ? 'N' : 'value')}>`
    const suffix = o.repeatable ? ' (repeatable)' : ''
    return [`--${o.name}${placeholder}`, o.description + suffix] as const
  })
  const width = Math.max(0, ...rows.map(([left]) => left.length))
  return rows.map(([left, right]) => `  ${left.padEnd(width)}  ${right}`)
}
