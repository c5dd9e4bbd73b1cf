import type { ProfileCatalogue, ProfileDetail } from '../../../src-preload/contract'
import { createLabService } from '../../service'
import { defineCommand, type CliIo } from '../command'
import { formatTable } from '../table'

type Row = ProfileCatalogue['kernel'][number] | ProfileCatalogue['qemu'][number]

function date(p: Row): string {
  return p.dateApprox ? `${p.date}~` : p.date
}

function table(title: string, profiles: readonly Row[], io: CliIo): string {
  const rows = profiles.map((p) => [p.id, date(p), p.label, p.sources])
  return (
    `${title} (${profiles.length})\n` + formatTable(['ID', 'DATE', 'LABEL', 'SOURCES'], rows, { width: io.columns })
  )
}

const hex = (n: number, digits: number): string => '0x' + n.toString(16).padStart(digits, '0')

/** Masks and response codes in hex, as the architecture writes them; condition codes stay decimal. */
function scalar(key: string, v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return v.length === 0 ? '(none)' : v.join(', ')
  if (typeof v === 'number' && /Mask$/.test(key)) return hex(v, 4)
  if (typeof v === 'number' && /Rc$/.test(key)) return hex(v, 2)
  if (typeof v === 'object') {
    const entries = Object.entries(v).map(([k, x]) => `${k} ${typeof x === 'number' ? hex(x, 2) : String(x)}`)
    return entries.join(', ')
  }
  return String(v)
}

function detail(p: ProfileDetail, io: CliIo): string {
  const rows: string[][] = [
    ['id', p.id],
    ['kind', p.kind],
    ['label', p.label],
    ['date', p.dateApprox ? `${p.date} (approximate)` : p.date],
    ['represents', p.represents],
    ['ref', p.refName],
  ]
  const sections: [string, object][] =
    p.kind === 'kernel'
      ? [
          ['kvm', p.kvm],
          ['vfio_ap', p.vfioAp],
        ]
      : []
  if (p.kind === 'qemu') {
    const { features, vfioApDevice, hotplug, requestIrq, configChangeNotification, iommufd } = p
    sections.push(['qemu', { features, vfioApDevice, hotplug, requestIrq, configChangeNotification, iommufd }])
  }
  for (const [prefix, switches] of sections) {
    for (const [k, v] of Object.entries(switches)) rows.push([`${prefix}.${k}`, scalar(k, v)])
  }
  let out = formatTable(['FIELD', 'VALUE'], rows, { width: io.columns })
  out += '\nsources:\n' + p.sources.map((s) => `  - ${s}\n`).join('')
  return out
}

export const profilesCommand = defineCommand({
  name: 'profiles',
  summary: 'list kernel and QEMU profiles with dates and sources',
  details: 'With an id, show every switch of that profile. `~` after a date marks it approximate.',
  options: [],
  positionals: [{ name: 'id', description: 'a profile id, e.g. linux-5.3 or qemu-4.1' }],
  async run({ options, positionals }, { io }) {
    const service = createLabService()
    const id = positionals[0]
    if (id !== undefined) {
      const p = (await service.call('getProfile', { id })) as ProfileDetail
      io.stdout(options.json ? JSON.stringify(p, null, 2) + '\n' : detail(p, io))
      return
    }
    const catalogue = (await service.call('listProfiles', undefined)) as ProfileCatalogue
    if (options.json) {
      io.stdout(JSON.stringify(catalogue, null, 2) + '\n')
      return
    }
    io.stdout(
      table('Kernel profiles', catalogue.kernel, io) +
        '\n' +
        table('QEMU profiles', catalogue.qemu, io) +
        '\n~ after a date: approximate. One profile in full: aplab profiles <id>\n',
    )
  },
})
