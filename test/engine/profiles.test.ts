// The profile catalogue against interception.md §7: one row per profile per table, with the
// expected values transcribed from the spec ('—' cells are not asserted).
import { describe, expect, it } from 'vitest'
import {
  KERNEL_PROFILES,
  QEMU_PROFILES,
  findProfile,
  kernelProfile,
  qemuProfile,
  type KernelProfile,
} from '../../src-main/engine/profiles'

const DASH = '—'
type Cell<T> = T | typeof DASH

function kernel(id: string): KernelProfile {
  const p = kernelProfile(id)
  if (!p) throw new Error(`no kernel profile ${id}`)
  return p
}

/** The §3 check letters that the R, T and X switches imply, for comparison with `checkOrder`. */
function impliedChecks(p: KernelProfile): string {
  const k = p.kvm
  return (k.reservedBitsCheck ? 'R' : '') + (k.tBitApftCheck ? 'T' : '') + (k.apxaMask !== null ? 'X' : '')
}

describe('§7.1 kernel profiles: identity', () => {
  const rows: [string, string][] = [
    ['linux-5.2', '2019-07-07'],
    ['aqic-v3', '2019-02-14'],
    ['aqic-v4', '2019-02-22'],
    ['aqic-v5', '2019-03-13'],
    ['aqic-v5-alt', '2019-03-1'], // "2019-03-15 … 19"
    ['aqic-v6', '2019-03-22'],
    ['aqic-v7', '2019-04-26'],
    ['linux-5.3', '2019-09-15'],
    ['linux-5.7', '2020-05-31'],
    ['linux-5.11', '2021-02-14'],
    ['linux-5.15', '2021-10-31'],
    ['linux-6.0', '2022-10-02'],
    ['linux-6.3', '2023-04-23'],
    ['linux-6.8', '2024-03-10'],
    ['linux-latest', 'current'],
  ]

  it('lists exactly the §7.1 profiles, in catalogue order', () => {
    expect(KERNEL_PROFILES.map((p) => p.id)).toEqual(rows.map(([id]) => id))
  })

  it.each(rows)('%s is dated %s and has sources', (id, date) => {
    const p = kernel(id)
    expect(p.kind).toBe('kernel')
    expect(p.date.startsWith(date)).toBe(true)
    if (id === 'aqic-v5-alt') expect(Number(p.date.slice(-2))).toBeGreaterThanOrEqual(15)
    expect(p.sources.length).toBeGreaterThan(0)
    for (const s of p.sources) expect(s.trim().length).toBeGreaterThan(0)
    expect(p.label.trim().length).toBeGreaterThan(0)
    expect(p.represents.trim().length).toBeGreaterThan(0)
    expect(p.refName.trim().length).toBeGreaterThan(0)
  })

  it.each([
    ['linux-5.3', 'e5282de93105'],
    ['linux-5.3', 'ec89b55e3bce'],
    ['linux-5.3', '05f31e3bf6b3'],
    ['linux-5.7', '5615e74f48dc'],
    ['linux-5.15', '1e753732bda6'],
    ['linux-6.3', 'a64a6d23874c'],
    ['linux-6.3', '394740d7645e'],
    ['linux-6.8', '83303a4c776c'],
    ['linux-6.8', '3746d48c55ac'],
    ['aqic-v5-alt', '1903.2/02443'],
  ])('%s cites %s', (id, needle) => {
    expect(kernel(id).sources.join('\n')).toContain(needle)
  })

  it('orders dated releases by date (posted series before the merge)', () => {
    const dated = KERNEL_PROFILES.filter(
      (p) => /^\d{4}-/.test(p.date) && p.id.startsWith('linux-') && p.id !== 'linux-5.2',
    )
    const dates = dated.map((p) => p.date)
    expect(dates).toEqual([...dates].sort())
    const series = ['aqic-v3', 'aqic-v4', 'aqic-v5', 'aqic-v6', 'aqic-v7'].map((id) => kernel(id).date)
    expect(series).toEqual([...series].sort())
    expect(series[series.length - 1]! < kernel('linux-5.3').date).toBe(true)
  })
})

describe('§7.2 kernel profiles: KVM switches', () => {
  // profile, handler, check order, FC≠3, no-hook result, cc on no-hook, cc after hook RC 0, cc after hook RC≠0,
  // reserved-bit check, T-bit check, APXA mask, fac65 gating, module refcount
  type Row = [
    string,
    boolean,
    string,
    'op' | 'warn+op' | 'pr_warn+op',
    'op' | 'rc01',
    Cell<'unchanged' | 3>,
    Cell<'unchanged' | 0>,
    Cell<'unchanged' | 3>,
    boolean,
    boolean,
    null | 0x30f0 | 0xc0f0,
    'never' | 'host65' | 'host65+aiv',
    Cell<'none' | 'try_module_get' | 'rwsem'>,
  ]
  const U = 'unchanged' as const
  const rows: Row[] = [
    ['linux-5.2', false, DASH, 'op', 'op', DASH, DASH, DASH, false, false, null, 'never', DASH],
    ['aqic-v3', true, 'HIAFP65K', 'op', 'op', DASH, U, U, false, false, null, 'host65', 'none'],
    ['aqic-v4', true, 'IAFP65K', 'op', 'rc01', U, U, U, false, false, null, 'host65', 'none'],
    ['aqic-v5', true, 'IAFP65K', 'op', 'rc01', U, U, U, false, false, null, 'host65', 'try_module_get'],
    ['aqic-v5-alt', true, 'IAFP65K', 'op', 'op', DASH, U, U, false, false, null, 'host65', 'try_module_get'],
    ['aqic-v6', true, 'IAFPRX65K', 'pr_warn+op', 'rc01', U, U, U, true, false, 0x30f0, 'host65', 'try_module_get'],
    ['aqic-v7', true, 'IAFPRTX65K', 'warn+op', 'rc01', 3, U, 3, true, true, 0xc0f0, 'host65', 'try_module_get'],
    ['linux-5.3', true, 'IAFPRTX65K', 'warn+op', 'rc01', 3, U, 3, true, true, 0xc0f0, 'host65+aiv', 'try_module_get'],
    ['linux-5.7', true, 'IAFPRTX65K', 'op', 'rc01', 3, U, 3, true, true, 0xc0f0, 'host65+aiv', 'try_module_get'],
    ['linux-5.11', true, 'IAFPRTX65K', 'op', 'rc01', 3, U, 3, true, true, 0xc0f0, 'host65+aiv', 'try_module_get'],
    ['linux-5.15', true, 'IAFPRTX65K', 'op', 'rc01', 3, U, 3, true, true, 0xc0f0, 'host65+aiv', 'rwsem'],
    ['linux-6.0', true, 'IAFPRTX65K', 'op', 'rc01', 3, U, 3, true, true, 0xc0f0, 'host65+aiv', 'rwsem'],
    ['linux-6.3', true, 'IAFPRTX65K', 'op', 'rc01', 3, U, 3, true, true, 0xc0f0, 'host65+aiv', 'rwsem'],
    ['linux-6.8', true, 'IAFPRTX65K', 'op', 'rc01', 3, 0, 3, true, true, 0xc0f0, 'host65+aiv', 'rwsem'],
    ['linux-latest', true, 'IAFPRTX65K', 'op', 'rc01', 3, 0, 3, true, true, 0xc0f0, 'host65+aiv', 'rwsem'],
  ]

  it('has a row for every kernel profile', () => {
    expect(rows.map((r) => r[0])).toEqual(KERNEL_PROFILES.map((p) => p.id))
  })

  it.each(rows)(
    '%s: handler %s, order %s, FC≠3 %s, no hook %s (cc %s), hook cc %s / %s, R %s, T %s, APXA %s, fac65 %s, refcount %s',
    (id, handler, order, fcNot3, noHook, noHookCc, okCc, errCc, reserved, tBit, apxa, gating, refcount) => {
      const k = kernel(id).kvm
      expect(k.pqapHandler).toBe(handler)
      expect(k.checkOrder ?? DASH).toBe(order)
      if (order !== DASH) expect(order.replace(/^H?IAFP|65K$/g, '')).toBe(impliedChecks(kernel(id)))
      expect(k.fcNot3).toBe(fcNot3)
      expect(k.noHookResult).toBe(noHook)
      if (noHookCc !== DASH) expect(k.noHookCc).toBe(noHookCc)
      if (okCc !== DASH) expect(k.hookSuccessCc).toBe(okCc)
      if (errCc !== DASH) expect(k.hookErrorCc).toBe(errCc)
      expect(k.reservedBitsCheck).toBe(reserved)
      expect(k.tBitApftCheck).toBe(tBit)
      expect(k.apxaMask).toBe(apxa)
      expect(k.fac65Gating).toBe(gating)
      if (refcount !== DASH) expect(k.moduleRefcount).toBe(refcount)
      expect(k.noHookPlacement).toBe('hi')
      expect(k.fac65MissingResult).toBe('spec')
    },
  )
})

describe('§7.3 kernel profiles: vfio_ap switches', () => {
  // profile, queue lookup, no-mdev result, untied RC, mdev without KVM → RC 0x01, NIB validation, pin failure mapping,
  // GISC failure RC, host RC rewrite (from → to), host AQIC status, hook write-back, dynamic matrix, IRQ disable after reset
  type Row = [
    string,
    Cell<'vfioap-any' | 'mdev-list' | 'assigned+bound' | 'linked-hash'>,
    Cell<'rc01' | 'op'>,
    Cell<null | 0x03>,
    Cell<boolean>,
    Cell<'none' | 'memslot' | 'memslot+nonzero' | 'memslot+nonzero+pvShared'>,
    Cell<'einval-e2big-only' | 'any'>,
    Cell<null | 0x08 | 0x06>,
    Cell<null | [number, number]>,
    Cell<'real' | 'zeros'>,
    Cell<'hi' | 'lo'>,
    boolean,
    Cell<boolean>,
  ]
  const V5PIN = 'einval-e2big-only' as const
  const rows: Row[] = [
    ['linux-5.2', DASH, DASH, DASH, DASH, DASH, DASH, DASH, DASH, DASH, DASH, false, DASH],
    ['aqic-v3', 'vfioap-any', DASH, 0x03, DASH, 'none', V5PIN, null, [0x08, 0x07], 'real', 'hi', false, false],
    ['aqic-v4', 'mdev-list', 'op', null, DASH, 'none', V5PIN, null, [0x08, 0x07], 'real', 'hi', false, false],
    ['aqic-v5', 'mdev-list', 'rc01', null, DASH, 'none', V5PIN, null, [0x08, 0x06], 'real', 'hi', false, false],
    ['aqic-v5-alt', 'mdev-list', 'rc01', null, DASH, 'none', V5PIN, null, [0x08, 0x06], 'real', 'hi', false, false],
    ['aqic-v6', 'mdev-list', 'rc01', null, DASH, 'none', V5PIN, null, [0x08, 0x06], 'real', 'hi', false, false],
    ['aqic-v7', 'assigned+bound', 'rc01', null, DASH, 'none', V5PIN, null, null, 'real', 'lo', false, false],
    ['linux-5.3', 'assigned+bound', 'rc01', null, false, 'none', 'any', null, null, 'zeros', 'lo', false, true],
    ['linux-5.7', 'assigned+bound', 'rc01', null, false, 'none', 'any', null, null, 'zeros', 'lo', false, true],
    ['linux-5.11', 'assigned+bound', 'rc01', null, false, 'none', 'any', null, null, 'zeros', 'lo', false, false],
    ['linux-5.15', 'assigned+bound', 'rc01', null, true, 'none', 'any', null, null, 'zeros', 'lo', false, false],
    ['linux-6.0', 'linked-hash', 'rc01', null, true, 'memslot', 'any', 0x08, null, 'zeros', 'lo', true, false],
    ['linux-6.3', 'linked-hash', 'rc01', null, true, 'memslot+nonzero', 'any', 0x08, null, 'real', 'lo', true, false],
    [
      'linux-6.8',
      'linked-hash',
      'rc01',
      null,
      true,
      'memslot+nonzero+pvShared',
      'any',
      0x06,
      null,
      'real',
      'lo',
      true,
      false,
    ],
    [
      'linux-latest',
      'linked-hash',
      'rc01',
      null,
      true,
      'memslot+nonzero+pvShared',
      'any',
      0x06,
      null,
      'real',
      'lo',
      true,
      false,
    ],
  ]

  /** The rewrite as a from → to pair, whatever shape the profile stores it in. */
  function rewriteOf(p: KernelProfile): null | [number, number] {
    const rw = p.vfioAp.hostRcRewrite as unknown
    if (rw === null || rw === undefined) return null
    const o = rw as Record<string, number>
    if ('from' in o && 'to' in o) return [o['from']!, o['to']!]
    const entries = Object.entries(o)
    return entries.length === 1 ? [Number(entries[0]![0]), entries[0]![1]] : null
  }

  it('has a row for every kernel profile', () => {
    expect(rows.map((r) => r[0])).toEqual(KERNEL_PROFILES.map((p) => p.id))
  })

  it.each(rows)(
    '%s: lookup %s, no mdev %s, untied %s, no KVM→0x01 %s, NIB %s, pin %s, GISC %s, rewrite %j, host status %s, write-back %s, dynamic %s, disable after reset %s',
    (id, lookup, noMdev, untied, noKvm, nib, pin, gisc, rw, hostStatus, placement, dynamic, disableAfterReset) => {
      const p = kernel(id)
      const v = p.vfioAp
      if (lookup !== DASH) expect(v.queueLookup).toBe(lookup)
      if (noMdev !== DASH) expect(v.noMdevResult).toBe(noMdev)
      if (untied !== DASH) expect(v.untiedQueueRc).toBe(untied)
      if (noKvm !== DASH) expect(v.mdevWithoutKvmRc01).toBe(noKvm)
      if (nib !== DASH) expect(v.nibValidation).toBe(nib)
      if (pin !== DASH) expect(v.pinErrorMapping).toBe(pin)
      if (gisc !== DASH) expect(v.giscFailureRc).toBe(gisc)
      if (rw !== DASH) expect(rewriteOf(p)).toEqual(rw)
      if (hostStatus !== DASH) expect(v.hostAqicStatus).toBe(hostStatus)
      if (placement !== DASH) expect(v.hookPlacement).toBe(placement)
      expect(v.dynamicMatrix).toBe(dynamic)
      if (disableAfterReset !== DASH) expect(v.irqDisableAfterReset).toBe(disableAfterReset)
    },
  )

  // §4.5: GISA designation next_alert up to v7, origin from v8 (and so in every merged kernel).
  it.each(
    KERNEL_PROFILES.filter((p) => p.kvm.pqapHandler).map(
      (p) => [p.id, p.id.startsWith('aqic-') ? 'next_alert' : 'origin'] as const,
    ),
  )('%s designates the GISA by %s (§4.5)', (id, designation) => {
    expect(kernel(id).vfioAp.gisaDesignation).toBe(designation)
  })

  // §4.3 E4: the pin is released on GISC failure only from 7b2d039da622 (6.8).
  it.each([
    ['linux-6.0', false],
    ['linux-6.3', false],
    ['linux-6.8', true],
    ['linux-latest', true],
  ] as const)('%s: GISC failure unpins the NIB = %s', (id, unpins) => {
    const v = kernel(id).vfioAp
    expect(v.giscFailureUnpins || v.giscFailureRc === 0x06).toBe(unpins)
  })
})

describe('§7.5 QEMU profiles', () => {
  // profile, released (YYYY-MM), features, vfio-ap device, hot plug, request IRQ, config-change notification, iommufd
  type Row = [string, string, string[], boolean, boolean, boolean, boolean, boolean | typeof DASH]
  const AP = ['ap', 'apqci', 'apft']
  const rows: Row[] = [
    ['qemu-3.0', '2018-08', [], false, false, false, false, false],
    ['qemu-3.1', '2018-12', AP, true, false, false, false, false],
    ['qemu-4.0', '2019-04', AP, true, true, false, false, false],
    ['qemu-4.1', '2019-08', [...AP, 'apqi'], true, true, false, false, false],
    ['qemu-8.1', '2023-08', [...AP, 'apqi'], true, true, true, false, false],
    ['qemu-8.2', '2023-12', [...AP, 'apqi', 'appv', 'appvi'], true, true, true, false, false],
    ['qemu-10.1', '2025-08', [...AP, 'apqi', 'appv', 'appvi'], true, true, true, true, true],
  ]

  it('lists exactly the §7.5 profiles, in release order', () => {
    expect(QEMU_PROFILES.map((p) => p.id)).toEqual(rows.map(([id]) => id))
    const dates = QEMU_PROFILES.map((p) => p.date)
    expect(dates).toEqual([...dates].sort())
  })

  it.each(rows)(
    '%s: released %s, features %j, vfio-ap %s, hot plug %s, request IRQ %s, config change %s, iommufd %s',
    (id, month, features, device, hotplug, reqIrq, cfgChg, iommufd) => {
      const q = qemuProfile(id)
      expect(q).toBeDefined()
      expect(q!.kind).toBe('qemu')
      expect(q!.date.startsWith(month)).toBe(true)
      expect([...q!.features].sort()).toEqual([...features].sort())
      expect(q!.vfioApDevice).toBe(device)
      expect(q!.hotplug).toBe(hotplug)
      expect(q!.requestIrq).toBe(reqIrq)
      expect(q!.configChangeNotification).toBe(cfgChg)
      if (iommufd !== DASH) expect(q!.iommufd).toBe(iommufd)
      expect(q!.sources.length).toBeGreaterThan(0)
      for (const s of q!.sources) expect(s.trim().length).toBeGreaterThan(0)
      expect(q!.refName.trim().length).toBeGreaterThan(0)
      expect(q!.features).not.toContain('aqic')
    },
  )
})

describe('catalogue lookups', () => {
  it('ids are unique across kernel and QEMU profiles', () => {
    const ids = [...KERNEL_PROFILES, ...QEMU_PROFILES].map((p) => p.id)
    expect(new Set(ids).size).toBe(ids.length)
  })

  it('refNames are unique, so a trace ref names one profile', () => {
    const names = [...KERNEL_PROFILES, ...QEMU_PROFILES].map((p) => p.refName)
    expect(new Set(names).size).toBe(names.length)
  })

  it('finds every profile by id, and only of the right kind', () => {
    for (const p of KERNEL_PROFILES) {
      expect(findProfile(p.id)).toBe(p)
      expect(kernelProfile(p.id)).toBe(p)
      expect(qemuProfile(p.id)).toBeUndefined()
    }
    for (const p of QEMU_PROFILES) {
      expect(findProfile(p.id)).toBe(p)
      expect(qemuProfile(p.id)).toBe(p)
      expect(kernelProfile(p.id)).toBeUndefined()
    }
    expect(findProfile('linux-4.19')).toBeUndefined()
  })

  it('profiles are frozen data', () => {
    for (const p of KERNEL_PROFILES) {
      expect(Object.isFrozen(p)).toBe(true)
      expect(Object.isFrozen(p.kvm)).toBe(true)
      expect(Object.isFrozen(p.vfioAp)).toBe(true)
    }
    for (const q of QEMU_PROFILES) expect(Object.isFrozen(q)).toBe(true)
  })
})
