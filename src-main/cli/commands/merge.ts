// `aplab merge a.json b.json …`: join the shards of `aplab compare … --shard k/n` into exactly
// the result one run gives (JSON by default; any compare format).
import { readFileSync } from 'node:fs'
import { formatMatrix, TABLE_CHOICES, type TableChoice } from '../../engine/matrix-format'
import { LabError } from '../../service'
import { mergeShards, MergeError } from '../../sweep/merge'
import { UsageError } from '../args'
import { defineCommand } from '../command'
import { formatOption, writeOutput } from './compare'

export const mergeCommand = defineCommand({
  name: 'merge',
  summary: 'join the shard outputs of aplab compare --shard k/n into the full result',
  details: [
    'Example:',
    '  aplab compare m.json --shard 1/2 --out a.json',
    '  aplab compare m.json --shard 2/2 --out b.json',
    '  aplab merge a.json b.json > all.json     identical to aplab compare m.json --format json',
  ].join('\n'),
  options: [
    { name: 'format', type: 'string', value: 'json|text|md|csv|html', description: 'output format (default json)' },
    {
      name: 'table',
      type: 'string',
      value: 'compact|rows|cover|minimized|full',
      description: 'which table text, md and csv show (default compact)',
    },
    { name: 'out', type: 'string', value: 'file', description: 'write the output to a file instead of stdout' },
  ],
  positionals: [{ name: 'shards', required: true, variadic: true, description: 'shard JSON files, in any order' }],
  async run({ options, positionals }, { io }) {
    const format = formatOption(options, 'json')
    const table = (options.table ?? 'compact') as TableChoice
    if (!(TABLE_CHOICES as readonly string[]).includes(table))
      throw new UsageError(`--table needs one of ${TABLE_CHOICES.join(', ')}, got '${options.table}'`)
    const inputs = positionals.map((file) => {
      let text: string
      try {
        text = readFileSync(file, 'utf8')
      } catch (e) {
        throw new LabError(
          'not-found',
          `cannot read '${file}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
        )
      }
      try {
        return { name: file, doc: JSON.parse(text) as unknown }
      } catch (e) {
        throw new LabError('invalid-input', `'${file}' is not JSON: ${(e as Error).message}`)
      }
    })
    let merged: ReturnType<typeof mergeShards>
    try {
      merged = mergeShards(inputs)
    } catch (e) {
      if (e instanceof MergeError) throw new LabError('invalid-input', e.message)
      throw e
    }
    writeOutput(io, formatMatrix(merged.result, format, { table }), options.out)
    return (merged.result.rows ?? []).some((r) => !r.agrees) ? 1 : 0
  },
})
