// `aplab diff <profileA> <profileB> [probe set]`: the ABI changes between two kernel profiles or
// two QEMU profiles, over a sweep of the other relevant dimensions.
import { DIFF_PROBES, DiffError, diffFromCells, diffPlan, PROBE_SETS } from '../../engine/abi-diff'
import { formatDiff } from '../../engine/matrix-format'
import { compileMatrixSpec } from '../../engine/matrix-spec'
import { LabError } from '../../service'
import { defineCommand } from '../command'
import { EXIT_INTERRUPTED, formatOption, sweepForCli, SWEEP_OPTIONS, writeOutput } from './compare'

export const diffCommand = defineCommand({
  name: 'diff',
  summary: 'list every guest-visible change (ABI change) between two kernel or two QEMU profiles',
  details: [
    'Examples:',
    '  aplab diff linux-5.2 linux-5.3            the seed: OPERATION → SPECIFICATION without facility 65',
    '  aplab diff linux-6.3 linux-6.8 aqic       only the AQIC probes',
    '  aplab diff qemu-4.0 qemu-4.1 --format html --out diff.html',
    'Both profiles are swept over QEMU variants (kernel diffs) or kernel profiles and CPU models (QEMU diffs),',
    'vfio_ap state, PSW state, GISA, host AIV, host APXA, facility 15 and nesting, for each probe.',
    `Probe sets: ${Object.keys(PROBE_SETS).join(', ')} (default all). Probes: ${DIFF_PROBES.map((p) => p.id).join(', ')}.`,
    'A probe may also be an instruction text in quotes, e.g. "pqap aqic 05.0004 nib=0".',
    'Changes of the deciding rule with the same outcome, and host-only changes (WARN), are listed apart.',
  ].join('\n'),
  options: [
    { name: 'format', type: 'string', value: 'text|md|csv|json|html', description: 'output format (default text)' },
    ...SWEEP_OPTIONS,
  ],
  positionals: [
    { name: 'profileA', required: true, description: 'kernel or QEMU profile id (aplab profiles)' },
    { name: 'profileB', required: true, description: 'a profile of the same kind' },
    { name: 'probes', variadic: true, description: 'probe sets, probe ids or instruction texts (default: all)' },
  ],
  async run({ options, positionals }, { io }) {
    const format = formatOption(options, 'text')
    const [a, b, ...probes] = positionals
    let plan: ReturnType<typeof diffPlan>
    try {
      plan = diffPlan(a!, b!, probes)
    } catch (e) {
      if (e instanceof DiffError) throw new LabError('invalid-input', e.message)
      throw e
    }
    const matrix = compileMatrixSpec(plan.spec)
    const run = await sweepForCli(io, matrix, {
      workers: options.workers,
      progress: options.progress,
      trace: false,
      label: `${a} → ${b}`,
    })
    if ('interrupted' in run) {
      io.stderr(`aplab: ${run.interrupted}\n`)
      return EXIT_INTERRUPTED
    }
    const diff = diffFromCells(matrix, run.cells, plan.kind)
    writeOutput(io, formatDiff(diff, format), options.out)
    return 0
  },
})
