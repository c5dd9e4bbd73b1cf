// Every built-in matrix computes; hand-made rows agree; each change-* matrix shows, along its
// axis, the change between consecutive profiles its title names.
import { describe, expect, it } from 'vitest'
import { BUILTIN_MATRICES, BUILTIN_SPECS, builtinMatrix, builtinSpec } from '../../src-main/engine/builtin-matrices'
import { runMatrix } from '../../src-main/engine/matrix'
import { axisChanges } from '../../src-main/engine/matrix-format'

const results = new Map(BUILTIN_MATRICES.map((m) => [m.name, runMatrix(m)]))

describe('built-in matrices', () => {
  it('each has a spec, a title and a unique name', () => {
    expect(new Set(BUILTIN_MATRICES.map((m) => m.name)).size).toBe(BUILTIN_MATRICES.length)
    for (const m of BUILTIN_MATRICES) {
      expect(m.spec, m.name).toBe(builtinSpec(m.name))
      expect(m.title.length).toBeGreaterThan(10)
      expect(builtinMatrix(m.name)).toBe(m)
    }
    expect(BUILTIN_SPECS.map((s) => s.name)).toEqual(BUILTIN_MATRICES.map((m) => m.name))
  })

  it.each(BUILTIN_MATRICES.map((m) => [m.name]))('%s computes every cell, with its trace and rule', (name) => {
    const r = results.get(name)!
    expect(r.cells.length).toBeGreaterThan(0)
    for (const c of r.cells) {
      expect(c.trace.length, c.coords.join(' ')).toBeGreaterThan(0)
      if (c.startError === null) expect(c.rule).not.toBeNull()
      expect(c.observed).toBeDefined()
    }
    expect(r.minimized.length).toBeGreaterThan(0)
    expect(r.cover!.length).toBeLessThanOrEqual(r.minimized.length)
    for (const row of r.rows ?? []) expect(row.agrees, row.coords.join(' ')).toBe(true)
  })

  const changes = BUILTIN_MATRICES.filter((m) => m.name.startsWith('change-'))

  it('there is one change matrix per guest-visible catalogue change', () => {
    expect(changes.map((m) => m.name)).toEqual([
      'change-aqic-v3',
      'change-aqic-v4',
      'change-aqic-v5',
      'change-aqic-v5-alt',
      'change-aqic-v6',
      'change-aqic-v7',
      'change-linux-5.3',
      'change-linux-5.3-v9',
      'change-linux-5.15',
      'change-linux-6.0',
      'change-linux-6.3',
      'change-linux-6.8',
      'change-qemu-3.1',
      'change-qemu-4.1',
    ])
  })

  it.each(changes.map((m) => [m.name]))('%s shows a guest-visible change along its axis', (name) => {
    const m = builtinMatrix(name)!
    expect(m.diffAxis).toBeDefined()
    const [d] = axisChanges(results.get(name)!)
    expect(d!.changes.length, d!.summary).toBeGreaterThan(0)
    // the title names the profile and a commit, mail or message
    expect(m.title).toContain(name.slice('change-'.length).replace(/-v9$/, ''))
    expect(m.title).toMatch(/[0-9a-f]{12}|PATCH|reply|cpumodel|feature/)
  })

  it.each([
    ['change-linux-5.3', 'OPERATION (qemu)', 'SPECIFICATION (kvm)', 'kvm.pqap.fac65-missing'],
    [
      'change-linux-5.3',
      'OPERATION (qemu)',
      'cc 3, RC 0x01 Q_NOT_AVAIL in GR1 bits 0–31 (kvm)',
      'kvm.pqap.no-hook-rc01',
    ],
    [
      'change-linux-6.8',
      'cc 2, RC 0x00 NORMAL [E I] in GR1 bits 32–63 (vfio_ap)',
      'cc 0, RC 0x00 NORMAL [E I] in GR1 bits 32–63 (vfio_ap)',
      'vfio_ap.irq.enabled',
    ],
    [
      'change-linux-6.8',
      'cc 3, RC 0x08 INVALID_GISA in GR1 bits 32–63 (vfio_ap)',
      'cc 3, RC 0x06 INVALID_ADDRESS in GR1 bits 32–63 (vfio_ap)',
      'vfio_ap.irq.gisc-failed-rc06',
    ],
    [
      'change-linux-6.3',
      'cc 1, RC 0x00 NORMAL in GR1 bits 32–63 (vfio_ap)',
      'cc 3, RC 0x06 INVALID_ADDRESS in GR1 bits 32–63 (vfio_ap)',
      'vfio_ap.irq.nib-zero',
    ],
    ['change-aqic-v5-alt', 'cc 1, RC 0x01 Q_NOT_AVAIL in GR1 bits 0–31 (kvm)', 'OPERATION (qemu)', 'qemu.b2.unhandled'],
    [
      'change-linux-5.15',
      'OPERATION (qemu)',
      'cc 1, RC 0x00 NORMAL in GR1 bits 32–63 (vfio_ap)',
      'vfio_ap.irq.enabled',
    ],
  ])('%s: %s → %s (%s)', (name, before, after, rule) => {
    const [d] = axisChanges(results.get(name)!)
    const c = d!.changes.find((x) => x.before.outcome === before && x.after.outcome === after && x.after.rule === rule)
    expect(c, d!.changes.map((x) => `${x.summary} ${x.after.rule}`).join('\n')).toBeDefined()
    expect(c!.after.ref).toMatch(/linux v|qemu v/)
  })

  it('change-linux-6.0: NIB outside memory is answered by the memslot check (same RC, new rule)', () => {
    const [d] = axisChanges(results.get('change-linux-6.0')!)
    expect(d!.pathChanges.map((c) => [c.before.rule, c.after.rule])).toContainEqual([
      'vfio_ap.irq.pin-failed',
      'vfio_ap.irq.nib-not-in-memslot',
    ])
  })
})
