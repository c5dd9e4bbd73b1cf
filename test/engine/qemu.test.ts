// QEMU: CPU model, start-up errors and the user-space exit (interception.md §5, §7.5; architecture.md §11).
import { describe, expect, it } from 'vitest'
import { buildHost, type HostSpec } from '../../src-main/engine/machine'
import type { ProbeSpec } from '../../src-main/engine/probe'
import { qemuProfile } from '../../src-main/engine/profiles'
import { offeredFeatures, resolveCpuModel } from '../../src-main/engine/qemu'
import { ECA_APIE } from '../../src-main/engine/arch'
import type { ApFeature } from '../../src-main/engine/profiles/types'
import { AQIC, NEW, QEMUS, expectOutcome, machine, probe, probeStep, traceRules } from './machine-helper'

type Features = Partial<Record<ApFeature, boolean>>

function start(kernel: string, qemu: string, features: Features = {}, extra: Partial<ProbeSpec> = {}) {
  return probe({ kernel, qemu, vfio: 'none', cpu: { model: 'host', features }, ...extra })
}

function cpu(kernel: string, qemu: string, model: string, features: Features, host: Partial<HostSpec> = {}) {
  const h = buildHost({ kernel, ...host })
  return resolveCpuModel(qemuProfile(qemu)!, h, { model, features })
}

describe('§5.2: features a QEMU does not have are unknown properties', () => {
  it.each(['ap', 'apqci', 'apft', 'apqi'] as const)(
    'qemu-3.0 %s=on → "Property \'.%s\' not found"; the guest does not start',
    (f) => {
      const r = start('linux-5.3', 'qemu-3.0', { [f]: true })
      expect(r.started).toBe(false)
      expect(r.step).toBeNull()
      expect(r.startError).toContain(`Property '.${f}' not found`)
      expect(traceRules(r.startTrace)).toContain('qemu.cpu.feature-unknown')
    },
  )

  it('qemu-3.0 apqi=off is rejected too: the property does not exist whatever its value', () => {
    const r = start('linux-5.3', 'qemu-3.0', { apqi: false })
    expect(r.started).toBe(false)
    expect(r.startError).toContain("Property '.apqi' not found")
  })

  it.each(['qemu-3.1', 'qemu-4.0'])('%s apqi=on → unknown property', (qemu) => {
    const r = start('linux-5.3', qemu, { apqi: true })
    expect(r.started).toBe(false)
    expect(r.startError).toContain("Property '.apqi' not found")
  })

  it.each(['qemu-4.1', 'qemu-8.1'])('%s appv=on → unknown property (appv came with 8.2)', (qemu) => {
    const r = start('linux-6.8', qemu, { appv: true })
    expect(r.startError).toContain("Property '.appv' not found")
  })

  it('QEMU has no feature called aqic (§8.2)', () => {
    const res = resolveCpuModel(qemuProfile('qemu-4.1')!, buildHost({ kernel: 'linux-5.3' }), {
      model: 'host',
      features: { aqic: true } as unknown as Features,
    })
    expect(res.features).not.toHaveProperty('aqic')
  })
})

describe('§5.3: apqi=on needs kernel support', () => {
  it.each([
    ['linux-5.2', {}],
    ['linux-5.3', { aiv: false }],
    ['linux-6.8', { aiv: false }],
    ['linux-6.8', { facilities: { 65: false } }],
    ['aqic-v5', { facilities: { 65: false } }],
  ] as const)('%s %j: qemu-4.1 apqi=on → refused, the guest does not start', (kernel, host) => {
    const r = start(kernel, 'qemu-4.1', { apqi: true }, { host })
    expect(r.started).toBe(false)
    expect(r.step).toBeNull()
    expect(r.startError).toContain(
      'Some features requested in the CPU model are not available in the configuration: apqi',
    )
    expect(traceRules(r.startTrace)).toContain('qemu.cpu.feature-unavailable')
  })

  it.each(NEW)('%s: qemu-4.1 apqi=on with host AIV and facility 65 starts with facility 65', (kernel) => {
    const m = machine({ kernel, mdev: null, guest: { cpu: { model: 'host', features: { apqi: true } } } })
    expect(m.vm.facilities[65]).toBe(true)
  })

  it.each([
    ['linux-5.2', false],
    ['aqic-v5', true],
    ['linux-5.3', true],
    ['linux-latest', true],
  ] as const)('%s: -cpu host on qemu-4.1 has apqi = %s', (kernel, on) => {
    const m = machine({ kernel, mdev: null })
    expect(m.vm.facilities[65]).toBe(on)
  })

  it('linux-5.3 without host AIV: -cpu host quietly leaves apqi off', () => {
    const r = start('linux-5.3', 'qemu-4.1', {}, { host: { aiv: false } })
    expect(r.started).toBe(true)
    expectOutcome(r.step!, { kind: 'SPEC', by: 'kvm.pqap.fac65-missing' })
  })

  it.each(['qemu-3.1', 'qemu-4.0'])(
    '%s -cpu host on linux-5.3: the feature does not exist, the guest never has facility 65',
    (qemu) => {
      const m = machine({ kernel: 'linux-5.3', qemu, mdev: null })
      expect(m.vm.facilities[65]).toBe(false)
    },
  )

  it('-cpu host,apqi=off hides facility 65', () => {
    const m = machine({ kernel: 'linux-6.8', mdev: null, guest: { cpu: { model: 'host', features: { apqi: false } } } })
    expect(m.vm.facilities[65]).toBe(false)
    expect(m.vm.facilities[12]).toBe(true)
    expect(m.vm.facilities[15]).toBe(true)
  })
})

describe('§5.2 "How the model reaches KVM"', () => {
  it.each(QEMUS)('%s -cpu host: ECA_APIE is set exactly when the ap feature is on', (qemu) => {
    const m = machine({ kernel: 'linux-6.8', qemu, mdev: null })
    const hasAp = qemuProfile(qemu)!.features.includes('ap')
    expect((m.vm.eca & ECA_APIE) !== 0).toBe(hasAp)
    const tapq = m.run('pqap tapq 05.0004')
    expect(tapq.outcome.handledBy).toBe(hasAp ? 'firmware' : 'qemu')
  })

  it.each([
    ['apqci', 12],
    ['apft', 15],
    ['apqi', 65],
  ] as const)('%s=off takes facility %s from the guest', (feature, bit) => {
    const m = machine({
      kernel: 'linux-6.8',
      mdev: null,
      guest: { cpu: { model: 'host', features: { [feature]: false } } },
    })
    expect(m.vm.facilities[bit]).toBe(false)
  })

  it('a host without AP instructions offers no AP feature to -cpu host', () => {
    const h = buildHost({ kernel: 'linux-6.8', apInstructions: false })
    expect(offeredFeatures(h)).toMatchObject({ ap: false, apqci: false, apft: false, apqi: false })
  })
})

describe('§5.3: named models need explicit features', () => {
  it('z14 on qemu-4.1: every AP feature off, so AP instructions go to QEMU', () => {
    const res = cpu('linux-6.8', 'qemu-4.1', 'z14', {})
    expect(res.ok).toBe(true)
    expect(res.features).toMatchObject({ ap: false, apqci: false, apft: false, apqi: false })
    const s = probeStep({
      kernel: 'linux-6.8',
      vfio: 'none',
      cpu: { model: 'z14', features: {} },
      insn: 'pqap tapq 05.0004',
    })
    expectOutcome(s, { kind: 'OP', by: 'kvm.pqap.apie-off' })
  })

  it('z14,ap=on,apqci=on,apft=on,apqi=on: all on', () => {
    const res = cpu('linux-6.8', 'qemu-4.1', 'z14', { ap: true, apqci: true, apft: true, apqi: true })
    expect(res.ok).toBe(true)
    expect(res.features).toMatchObject({ ap: true, apqci: true, apft: true, apqi: true })
    expect(res.warnings).toEqual([])
  })

  it('z14,ap=on: only ap', () => {
    const res = cpu('linux-6.8', 'qemu-4.1', 'z14', { ap: true })
    expect(res.features).toMatchObject({ ap: true, apqci: false, apft: false, apqi: false })
  })
})

describe('§11 dependencies: warnings only, the guest still starts', () => {
  it.each([
    ['host', { ap: false }, ['apqci', 'apft', 'apqi']],
    ['z14', { apqi: true }, ['apqi']],
    ['z14', { apqci: true, apft: true }, ['apqci', 'apft']],
  ] as const)('-cpu %s %j warns about %j needing ap', (model, features, warned) => {
    const res = cpu('linux-6.8', 'qemu-4.1', model, features)
    expect(res.ok).toBe(true)
    expect(res.warnings).toHaveLength(warned.length)
    for (const f of warned) expect(res.warnings.some((w) => w.includes(`'${f}'`) && w.includes("'ap'"))).toBe(true)
    expect(res.rules.filter((r) => r.rule === 'qemu.cpu.dependency')).toHaveLength(warned.length)
  })

  it('apqi=on,ap=off: warning, started, and AQIC goes to QEMU (ECA_APIE clear)', () => {
    const r = start('linux-6.8', 'qemu-4.1', { apqi: true, ap: false })
    expect(r.started).toBe(true)
    expect(r.warnings.some((w) => w.includes("'apqi'"))).toBe(true)
    expectOutcome(r.step!, { kind: 'OP', by: 'kvm.pqap.apie-off' })
  })

  it('no warning for the default -cpu host', () => {
    expect(start('linux-6.8', 'qemu-4.1').warnings).toEqual([])
  })
})

describe('§5.4: the vfio-ap device', () => {
  it('qemu-3.0 has no vfio-ap device', () => {
    const r = probe({ kernel: 'linux-5.3', qemu: 'qemu-3.0', vfio: 'mdev' })
    expect(r.started).toBe(false)
    expect(r.startError).toContain("'vfio-ap' is not a valid device model name")
    expect(traceRules(r.startTrace)).toContain('qemu.vfio-ap.no-device')
  })

  it.each(['qemu-3.1', 'qemu-4.1', 'qemu-10.1'])('%s with ap=off: no ap-bus', (qemu) => {
    const r = probe({ kernel: 'linux-6.8', qemu, vfio: 'mdev', cpu: { model: 'host', features: { ap: false } } })
    expect(r.started).toBe(false)
    expect(r.startError).toContain("No 'ap-bus' bus found")
    expect(traceRules(r.startTrace)).toContain('qemu.vfio-ap.no-bus')
  })

  it('a named model without ap=on has no ap-bus either', () => {
    const r = probe({ kernel: 'linux-6.8', qemu: 'qemu-4.1', vfio: 'mdev', cpu: { model: 'z14', features: {} } })
    expect(r.startError).toContain("No 'ap-bus' bus found")
  })

  it.each(QEMUS.filter((q) => q !== 'qemu-3.0'))('%s -cpu host with an mdev starts', (qemu) => {
    expect(probe({ kernel: 'linux-6.8', qemu, vfio: 'mdev' }).started).toBe(true)
  })
})

describe('§5.1: every AP instruction that reaches QEMU ends as OPERATION', () => {
  it.each(QEMUS)('%s: an AQIC on linux-5.2 → PGM 0x01 from handle_b2, named by this QEMU', (qemu) => {
    const s = probeStep({ kernel: 'linux-5.2', qemu, vfio: 'none', insn: AQIC })
    expectOutcome(s, { kind: 'OP' })
    const rec = s.trace.find((t) => t.rule === 'qemu.b2.unhandled')!
    expect(rec.layer).toBe('qemu')
    expect(rec.ref).toContain(qemuProfile(qemu)!.refName)
    expect(rec.text).toContain('0xaf')
  })

  it.each([
    ['nqap 05.0004', '0xad'],
    ['dqap 05.0004', '0xae'],
  ])('%s reaching QEMU names ipa low byte %s', (insn, ipa) => {
    const s = probeStep({ kernel: 'linux-6.8', qemu: 'qemu-3.0', vfio: 'none', insn })
    expect(s.trace.find((t) => t.rule === 'qemu.b2.unhandled')?.text).toContain(ipa)
    expect(traceRules(s.trace)).toContain('kvm.exit.sieic')
  })

  it('QEMU does not test problem state: a problem-state PQAP that reaches it is still OPERATION', () => {
    expectOutcome(probeStep({ kernel: 'linux-5.2', vfio: 'none', psw: 'problem' }), { kind: 'OP' })
  })
})
