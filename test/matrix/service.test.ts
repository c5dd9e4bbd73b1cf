// The service operations: compareSpec (a matrix document) and diffProfiles; compare keeps
// working for built-ins and now exports HTML as well.
import { describe, expect, it } from 'vitest'
import { createLabService, LabError } from '../../src-main/service'
import type { CompareResponse, DiffProfilesResponse } from '../../src-preload/contract'
import { OPERATION_NAMES } from '../../src-preload/contract'

const service = createLabService()

async function fails(op: string, payload: unknown): Promise<LabError> {
  try {
    await service.call(op, payload)
  } catch (e) {
    if (e instanceof LabError) return e
    throw e
  }
  throw new Error('expected a LabError')
}

const spec = {
  format: 'aplab/matrix@1',
  name: 'svc',
  title: 'service test',
  dimensions: [{ id: 'kernel', field: 'kernel', values: [{ value: 'linux-5.2' }, { value: 'linux-5.3' }] }],
  probes: ['pqap aqic 05.0004 ir=1 isc=6 nib=0x2000'],
  base: { qemu: 'qemu-4.0', vfio: 'none' },
  outcome: ['pgm'],
}

describe('compareSpec', () => {
  it('is an operation of the contract', () => {
    expect(OPERATION_NAMES).toContain('compareSpec')
    expect(OPERATION_NAMES).toContain('diffProfiles')
  })

  it('computes a matrix document, with the compare response shape', async () => {
    const res = (await service.call('compareSpec', { spec })) as CompareResponse
    expect(res.result.cells.map((c) => c.outcome)).toEqual(['OPERATION', 'SPECIFICATION'])
    expect(Object.keys(res.exports).sort()).toEqual(['csv', 'html', 'json', 'md', 'text'])
    expect(res.result.spec?.name).toBe('svc')
  })

  it('names the offending field of the document', async () => {
    const e = await fails('compareSpec', {
      spec: { ...spec, dimensions: [{ id: 'k', field: 'kernel', values: [{ value: 'linux-9' }] }] },
    })
    expect(e.code).toBe('invalid-input')
    expect(e.field).toBe('spec.dimensions[0].values[0].value')
    const e2 = await fails('compareSpec', { spec: 'builtin:seed-2019-03' })
    expect(e2.field).toBe('payload.spec')
  })

  it('refuses a sweep too large for one request', async () => {
    const big = {
      ...spec,
      dimensions: Array.from({ length: 6 }, (_, i) => ({
        id: `r${i}`,
        field: `regs.r${i + 3}`,
        values: Array.from({ length: 8 }, (_, v) => ({ value: v })),
      })),
    }
    const e = await fails('compareSpec', { spec: big })
    expect(e.message).toMatch(/262144 cells is more than 200000/)
  })

  it('compare of a built-in exports HTML too', async () => {
    const res = (await service.call('compare', { matrix: 'builtin:seed-2019-03' })) as CompareResponse
    expect(res.exports.html).toMatch(/^<!doctype html>/)
    expect(res.result.rows).toHaveLength(4)
  })
})

describe('diffProfiles', () => {
  it('lists the changes and exports them', async () => {
    const res = (await service.call('diffProfiles', {
      a: 'linux-6.3',
      b: 'linux-6.8',
      probes: ['aqic-enable', 'aqic-gisc-fail'],
    })) as DiffProfilesResponse
    expect(res.diff.format).toBe('aplab/abi-diff@1')
    expect(res.diff.changes.map((c) => c.after.rule)).toContain('vfio_ap.irq.gisc-failed-rc06')
    expect(res.exports.text).toContain('Guest-visible changes')
  })

  it.each([
    [{ a: 'linux-9', b: 'linux-6.8' }, 'a', 'not-found'],
    [{ a: 'linux-6.3', b: 'qemu-4.1' }, 'b', 'invalid-input'],
    [{ a: 'linux-6.3', b: 'linux-6.8', probes: ['nope'] }, 'probes[0]', 'invalid-input'],
    [{ a: 'linux-6.3' }, 'payload.b', 'invalid-input'],
  ])('%j → %s', async (payload, field, code) => {
    const e = await fails('diffProfiles', payload)
    expect(e.field).toBe(field)
    expect(e.code).toBe(code)
  })
})
