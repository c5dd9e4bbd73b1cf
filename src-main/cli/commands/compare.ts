// `aplab compare <matrix.json | builtin:NAME>`: sweep a behaviour matrix on all cores and print
// the table (text, md, csv, json, html). With --shard k/n, compute one shard and write its JSON
// for `aplab merge`. Helpers shared with `aplab diff` and `aplab merge` live here too.
import { readFileSync, writeFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { BUILTIN_SPECS, builtinSpec } from '../../engine/builtin-matrices'
import { assembleResult, cellCount, partialResult, type Cell, type Matrix } from '../../engine/matrix'
import {
  formatMatrix,
  formatShard,
  MATRIX_FORMATS,
  TABLE_CHOICES,
  type MatrixFormat,
  type TableChoice,
} from '../../engine/matrix-format'
import { compileMatrixSpec, MatrixSpecError, parseMatrixSpec, type MatrixSpec } from '../../engine/matrix-spec'
import { LabError } from '../../service'
import { parseShard, runSweep, shardRange, SweepAbortedError, type Shard } from '../../sweep'
import { progressReporter } from '../../sweep/progress'
import { UsageError } from '../args'
import { defineCommand, type CliIo } from '../command'

export const EXIT_INTERRUPTED = 130

export const SWEEP_OPTIONS = [
  {
    name: 'workers',
    type: 'int',
    min: 0,
    max: 1024,
    description: `worker threads (default: all ${availableParallelism()} cores for 2,000 cells or more; 0 = this thread)`,
  },
  {
    name: 'progress',
    type: 'flag',
    description: 'print progress lines on stderr (a bar is drawn anyway on a terminal)',
  },
  { name: 'out', type: 'string', value: 'file', description: 'write the output to a file instead of stdout' },
] as const

export function formatOption(
  options: { format?: string | undefined; json: boolean },
  dflt: MatrixFormat,
): MatrixFormat {
  const format = options.json ? 'json' : (options.format ?? dflt)
  if (!(MATRIX_FORMATS as readonly string[]).includes(format))
    throw new UsageError(`--format needs one of ${MATRIX_FORMATS.join(', ')}, got '${format}'`)
  return format as MatrixFormat
}

export function writeOutput(io: CliIo, text: string, out: string | undefined): void {
  const body = text.endsWith('\n') ? text : text + '\n'
  if (out === undefined) {
    io.stdout(body)
    return
  }
  try {
    writeFileSync(out, body)
  } catch (e) {
    throw new LabError(
      'invalid-input',
      `cannot write '${out}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      '--out',
    )
  }
}

/** Runs a sweep with a progress bar or lines on stderr; SIGINT cancels it. */
export async function sweepForCli(
  io: CliIo,
  matrix: Matrix,
  opts: { workers?: number | undefined; progress: boolean; shard?: Shard; trace: boolean; label: string },
): Promise<{ cells: Cell[] } | { interrupted: string }> {
  const controller = new AbortController()
  const onSigint = () => controller.abort()
  process.once('SIGINT', onSigint)
  const mode = opts.progress ? 'lines' : process.stderr.isTTY ? 'bar' : 'none'
  const reporter = progressReporter(mode, (t) => io.stderr(t), opts.label, process.stderr.columns || 80)
  try {
    const r = await runSweep(matrix, {
      ...(opts.workers !== undefined ? { workers: opts.workers } : {}),
      ...(opts.shard ? { shard: opts.shard } : {}),
      trace: opts.trace,
      signal: controller.signal,
      onProgress: (p) => reporter.update(p),
    })
    reporter.finish()
    return { cells: r.cells }
  } catch (e) {
    reporter.finish()
    if (e instanceof SweepAbortedError) return { interrupted: `interrupted (SIGINT): ${e.message}` }
    throw e
  } finally {
    process.off('SIGINT', onSigint)
  }
}

function readJson(file: string): unknown {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    const hint =
      !file.includes('/') && !file.endsWith('.json')
        ? ` (built-ins: ${BUILTIN_SPECS.map((s) => `builtin:${s.name}`).join(', ')})`
        : ''
    throw new LabError('not-found', `cannot read '${file}': ${code ?? (e as Error).message}${hint}`)
  }
  try {
    return JSON.parse(text)
  } catch (e) {
    throw new LabError('invalid-input', `'${file}' is not JSON: ${(e as Error).message}`)
  }
}

/** A matrix spec from `builtin:NAME` or a JSON file, validated before any work. */
export function loadSpec(arg: string): MatrixSpec {
  if (arg.startsWith('builtin:')) {
    const name = arg.slice('builtin:'.length)
    const s = builtinSpec(name)
    if (!s)
      throw new LabError(
        'not-found',
        `no built-in matrix '${name}' (built-ins: ${BUILTIN_SPECS.map((b) => b.name).join(', ')})`,
        'matrix',
      )
    return s
  }
  const doc = readJson(arg)
  try {
    return parseMatrixSpec(doc)
  } catch (e) {
    if (e instanceof MatrixSpecError) throw new LabError('invalid-input', `${e.field}: ${e.reason}`, arg)
    throw e
  }
}

export const compareCommand = defineCommand({
  name: 'compare',
  summary: 'compute a behaviour table from a matrix spec or a built-in (aplab examples lists them)',
  details: [
    'Examples:',
    '  aplab compare builtin:seed-2019-03 --format text',
    '  aplab compare docs/examples/aqic-by-kernel.json --format html --out aqic.html',
    '  aplab compare big.json --shard 1/2 --out a.json; aplab compare big.json --shard 2/2 --out b.json; aplab merge a.json b.json',
    'The matrix format (aplab/matrix@1) is described in docs/matrix-format.md.',
    'Tables: compact (default) = the hand-made rows if the matrix has them, else the exact cover with value sets (a|b);',
    'minimized = x-only rows; full = every cell. Exit code 1 when a hand-made row covers cells that disagree.',
  ].join('\n'),
  options: [
    {
      name: 'format',
      type: 'string',
      value: 'text|md|csv|json|html',
      description: 'output format (default text; --json means json)',
    },
    {
      name: 'table',
      type: 'string',
      value: 'compact|rows|cover|minimized|full',
      description: 'which table text, md and csv show (default compact)',
    },
    {
      name: 'shard',
      type: 'string',
      value: 'k/n',
      description: 'compute shard k of n and write its JSON for aplab merge',
    },
    {
      name: 'no-trace',
      type: 'flag',
      description: 'do not record each cell’s trace (faster; html and json carry none)',
    },
    ...SWEEP_OPTIONS,
  ],
  positionals: [{ name: 'matrix', required: true, description: 'a matrix spec file (.json) or builtin:NAME' }],
  async run({ options, positionals }, { io }) {
    const format = formatOption(options, options.shard !== undefined ? 'json' : 'text')
    const table = (options.table ?? 'compact') as TableChoice
    if (!(TABLE_CHOICES as readonly string[]).includes(table))
      throw new UsageError(`--table needs one of ${TABLE_CHOICES.join(', ')}, got '${options.table}'`)
    let shard: Shard | undefined
    if (options.shard !== undefined) {
      try {
        shard = parseShard(options.shard)
      } catch (e) {
        throw new UsageError(`--shard: ${(e as Error).message}`)
      }
      if (format !== 'json')
        throw new UsageError('--shard writes the JSON aplab merge reads; use --format json or leave --format out')
    }
    const spec = loadSpec(positionals[0]!)
    const matrix = compileMatrixSpec(spec)
    const trace = !options['no-trace']
    const label = shard ? `${matrix.name} ${shard.k}/${shard.n}` : matrix.name
    const run = await sweepForCli(io, matrix, {
      workers: options.workers,
      progress: options.progress,
      trace,
      label,
      ...(shard ? { shard } : {}),
    })
    if ('interrupted' in run) {
      io.stderr(`aplab: ${run.interrupted}\n`)
      return EXIT_INTERRUPTED
    }
    if (shard) {
      const total = cellCount(matrix)
      const { start, end } = shardRange(total, shard)
      writeOutput(
        io,
        formatShard(partialResult(matrix, run.cells, trace), { ...shard, start, end, total }),
        options.out,
      )
      return 0
    }
    const result = assembleResult(matrix, run.cells, trace)
    writeOutput(io, formatMatrix(result, format, { table }), options.out)
    return (result.rows ?? []).some((r) => !r.agrees) ? 1 : 0
  },
})
