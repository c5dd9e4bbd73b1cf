import { describe, expect, it } from 'vitest'
import { runOnLab, labFromSession } from '../../src-main/engine/lab'
import { resetAndFree } from '../../src-main/engine/mdev-matrix'
import { parseSession, type SessionInput } from '../../src-main/engine/session'
import type { TraceRecord } from '../../src-main/engine/trace'

const session = (kernel: string): SessionInput => ({
  format: 'aplab/session@1',
  name: 'reset frees interrupts',
  host: { kernel, adapters: [{ id: 5, domains: [4] }] },
  mdevs: [{ uuid: 'm', adapters: [5], domains: [4] }],
  guests: [{ name: 'g', qemu: 'qemu-4.1', mdev: 'm', vcpus: [{ program: [{ aqic: '05.0004', ir: true }] }] }],
  events: [{ atUs: 10, do: 'stop_guest', guest: 'g' }],
})

describe('interrupt resources after a queue reset (vfio-ap.md §9)', () => {
  it.each([
    ['linux-5.3', true],
    ['linux-5.7', true],
    ['linux-5.11', false],
    ['linux-6.8', false],
  ])('%s: the reset frees the NIB pin and GISC; an extra AQIC disable follows it: %s', (kernel, extraDisable) => {
    const s = parseSession(session(kernel))
    const lab = labFromSession(s)
    const q = lab.host.queues.get(0x0504)!
    const run = runOnLab(lab, { ...s, events: [] })
    expect(run.guests[0]!.vcpus[0]!.steps[0]!.rule).toBe('vfio_ap.irq.enabled')
    expect(lab.host.pinnedPages).toBe(1)
    const trace: TraceRecord[] = []
    resetAndFree({ trace, kernel: lab.host.kernel, qemu: null }, lab.host, lab.host.mdevs.get('m')!, 0x0504)
    expect(lab.host.pinnedPages).toBe(0)
    expect(q.irq.enabled).toBe(false)
    expect(q.saved.vm).toBeNull()
    expect(trace.some((t) => t.rule === 'vfio_ap.reset.irq-disable')).toBe(extraDisable)
  })

  it('a guest stop says which form the reset took', () => {
    const old = runOnLab(labFromSession(parseSession(session('linux-5.3'))), parseSession(session('linux-5.3')))
    const now = runOnLab(labFromSession(parseSession(session('linux-6.8'))), parseSession(session('linux-6.8')))
    expect(old.events[0]!.reason).toContain('interruptions disabled with a host AQIC')
    expect(now.events[0]!.reason).toContain('which also disables its interruptions')
  })
})
