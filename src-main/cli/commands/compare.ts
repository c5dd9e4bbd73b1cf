import type { CompareResponse } from '../../../src-preload/contract'
import { createLabService } from '../../service'
import { UsageError } from '../args'
import { defineCommand } from '../command'

const FORMATS = ['text', 'md', 'csv', 'json'] as const

export const compareCommand = defineCommand({
  name: 'compare',
  summary: 'compute a behaviour table (built-ins: seed-2019-03, aqic-merged)',
  details: 'Example: aplab compare builtin:seed-2019-03 --format text',
  options: [
    {
      name: 'format',
      type: 'string',
      value: 'text|md|csv|json',
      description: 'output format (default text; --json means json)',
    },
  ],
  positionals: [{ name: 'matrix', required: true, description: 'builtin:NAME' }],
  async run({ options, positionals }, { io }) {
    const format = options.json ? 'json' : (options.format ?? 'text')
    if (!(FORMATS as readonly string[]).includes(format))
      throw new UsageError(`--format needs one of ${FORMATS.join(', ')}, got '${format}'`)
    const res = (await createLabService().call('compare', { matrix: positionals[0] })) as CompareResponse
    io.stdout(res.exports[format as (typeof FORMATS)[number]] + '\n')
    const disagreeing = (res.result.rows ?? []).filter((r) => !r.agrees).length
    return disagreeing > 0 ? 1 : 0
  },
})
