// The aplab/matrix@1 document: validation errors name the offending field, before any cell is
// computed; dimension fields, `set`, `default`, programs and the probe dimension behave as
// docs/matrix-format.md says.
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { cellCount, cellSpec, computeCells, runMatrix, valuesAt } from '../../src-main/engine/matrix'
import type { ProbeSpec } from '../../src-main/engine/probe'
import {
  MATRIX_FORMAT,
  MatrixSpecError,
  loadMatrixSpec,
  matrixFields,
  parseMatrixSpec,
} from '../../src-main/engine/matrix-spec'
import { BUILTIN_SPECS } from '../../src-main/engine/builtin-matrices'

const AQIC = 'pqap aqic 05.0004 ir=1 isc=6 nib=0x2000'

function doc(patch: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    format: MATRIX_FORMAT,
    name: 't',
    title: 'test',
    dimensions: [{ id: 'kernel', field: 'kernel', values: [{ value: 'linux-5.2' }, { value: 'linux-5.3' }] }],
    probes: [AQIC],
    ...patch,
  }
}

function errorOf(d: unknown): MatrixSpecError {
  try {
    loadMatrixSpec(d)
  } catch (e) {
    if (e instanceof MatrixSpecError) return e
    throw e
  }
  throw new Error('expected a MatrixSpecError')
}

describe('validation names the field', () => {
  it.each([
    ['a missing format', { format: undefined }, 'format'],
    ['another format', { format: 'aplab/matrix@2' }, 'format'],
    ['an unknown top-level field', { colour: 'red' }, 'colour'],
    ['an unknown base field', { base: { kernal: 'linux-5.3' } }, 'base.kernal'],
    ['an unknown kernel in base', { base: { kernel: 'linux-9.9' } }, 'base.kernel'],
    ['an unknown QEMU in base', { base: { qemu: 'qemu-0.1' } }, 'base.qemu'],
    [
      'an unknown kernel profile as a value',
      { dimensions: [{ id: 'k', field: 'kernel', values: [{ value: 'linux-9.9' }] }] },
      'dimensions[0].values[0].value',
    ],
    [
      'an unknown field path',
      { dimensions: [{ id: 'k', field: 'host.facilities.99', values: [{ value: true }] }] },
      'dimensions[0].field',
    ],
    ['an empty dimension', { dimensions: [{ id: 'k', field: 'kernel', values: [] }] }, 'dimensions[0].values'],
    [
      'a bad vfio value',
      { dimensions: [{ id: 'v', field: 'vfio', values: [{ value: 'maybe' }] }] },
      'dimensions[0].values[0].value',
    ],
    [
      'a bad field inside set',
      { dimensions: [{ id: 'q', values: [{ id: 'a', set: { 'cpu.nope': 'on' } }] }] },
      'dimensions[0].values[0].set.cpu.nope',
    ],
    [
      'a value id that collides with x',
      { dimensions: [{ id: 'g', field: 'gisa', values: [{ id: 'x', value: true }] }] },
      'dimensions[0].values[0].id',
    ],
    [
      'two values with one id',
      { dimensions: [{ id: 'g', field: 'gisa', values: [{ value: true }, { value: 'on' }] }] },
      'dimensions[0].values[1].id',
    ],
    [
      'two dimensions with one id',
      {
        dimensions: [
          { id: 'g', field: 'gisa', values: [{ value: true }] },
          { id: 'g', field: 'psw', values: [{ value: 'problem' }] },
        ],
      },
      'dimensions[1].id',
    ],
    ['no probes', { probes: [] }, 'probes'],
    ['a probe that does not parse', { probes: [AQIC, 'pqap frobnicate 05.0004'] }, 'probes[1]'],
    ['a program step that does not parse', { probes: [[AQIC, 'xqap 05.0004']] }, 'probes[0][1]'],
    [
      'an object probe step that does not parse',
      { probes: [{ id: 'p', steps: [AQIC, 'pqap aqic isc=9'] }] },
      'probes[0].steps[1]',
    ],
    [
      'a bad probe set field',
      { probes: [{ id: 'p', steps: AQIC, set: { 'queue.colour': 1 } }] },
      'probes[0].set.queue.colour',
    ],
    ['a hand row of the wrong length', { rows: [['x', 'x']] }, 'rows[0]'],
    ['a hand row naming no value', { rows: [['linux-5.4']] }, 'rows[0][0]'],
    ['an unknown diff axis', { diffAxis: 'qemu' }, 'diffAxis'],
    ['a bad outcome field', { outcome: ['pgm', 'colour'] }, 'outcome[1]'],
    ['a bad register', { base: { regs: { r16: '0x1' } } }, 'base.regs.r16'],
  ])('%s → %s', (_what, patch, field) => {
    const e = errorOf(doc(patch as Record<string, unknown>))
    expect(e.field).toBe(field)
    expect(e.message.startsWith(`${field}: `)).toBe(true)
    expect(e.reason.length).toBeGreaterThan(3)
  })

  it('the reason says what is wrong', () => {
    expect(errorOf(doc({ base: { kernel: 'linux-9.9' } })).reason).toMatch(/unknown kernel profile 'linux-9.9'/)
    expect(errorOf(doc({ probes: ['pqap frobnicate'] })).reason).toMatch(/cannot parse 'pqap frobnicate'/)
    expect(errorOf(doc({ dimensions: [{ id: 'k', field: 'foo.bar', values: [{ value: 1 }] }] })).reason).toMatch(
      /unknown field 'foo.bar'/,
    )
    expect(errorOf(doc({ dimensions: [{ id: 'k', field: 'kernel', values: [] }] })).reason).toMatch(/no values/)
  })

  it('fails before any cell is computed (a bad last probe stops everything)', () => {
    const d = doc({ probes: [AQIC, AQIC.replace('aqic', 'aqicc')] })
    expect(() => parseMatrixSpec(d)).toThrow(MatrixSpecError)
  })
})

describe('fields', () => {
  it('lists every field with what it accepts', () => {
    const fields = matrixFields().map((f) => f.field)
    for (const f of ['kernel', 'qemu', 'vfio', 'cpu.apqi', 'cpu.model', 'crycb', 'apxa', 'aiv', 'gisa', 'psw', 'cc'])
      expect(fields).toContain(f)
    for (const f of ['queue.irqEnabled', 'faults.giscRegisterFails', 'host.facilities.15', 'regs.r0', 'mode', 'nested'])
      expect(fields).toContain(f)
  })

  it('crycb sets facility 76 and host APXA: the APQN-range check depends on it', () => {
    const m = loadMatrixSpec(
      doc({
        base: { kernel: 'linux-5.3', qemu: 'qemu-4.1' },
        dimensions: [{ id: 'crycb', field: 'crycb', values: [{ value: 'format1' }, { value: 'format2' }] }],
        probes: ['pqap aqic 40.0004 ir=1 isc=6 nib=0x2000'],
      }),
    )
    const [f1, f2] = computeCells(m)
    expect(f1!.outcome).toBe('SPECIFICATION')
    expect(f1!.rule).toBe('kvm.pqap.apqn-range')
    expect(f2!.outcome).not.toBe('SPECIFICATION')
  })

  it('cpu.<feature> = default is -cpu host; off hides facility 65; set combines fields', () => {
    const m = loadMatrixSpec(
      doc({
        base: { kernel: 'linux-5.3', vfio: 'none' },
        dimensions: [
          {
            id: 'qemu',
            values: [
              { id: 'old', set: { qemu: 'qemu-4.0' } },
              { id: 'off', set: { qemu: 'qemu-4.1', 'cpu.apqi': 'off' } },
              { id: 'host', set: { qemu: 'qemu-4.1', 'cpu.apqi': 'default' } },
            ],
          },
        ],
        outcome: ['pgm', 'cc', 'rc', 'placement'],
      }),
    )
    expect(computeCells(m).map((c) => c.outcome)).toEqual([
      'SPECIFICATION',
      'SPECIFICATION',
      'cc 3, RC 0x01 Q_NOT_AVAIL, GR1 bits 0–31',
    ])
  })

  it('queue.*, faults.* and regs.rN reach the probe', () => {
    const m = loadMatrixSpec(
      doc({
        base: { kernel: 'linux-6.8', qemu: 'qemu-4.1' },
        dimensions: [
          { id: 'enabled', field: 'queue.irqEnabled', values: [{ value: false }, { value: true }] },
          { id: 'gisc', field: 'faults.giscRegisterFails', values: [{ value: false }, { value: true }] },
          {
            id: 'r0',
            field: 'regs.r0',
            values: [
              { id: 'plain', value: 'default' },
              { id: 'bit47', value: '0x03010504' },
            ],
          },
        ],
      }),
    )
    const cells = computeCells(m)
    const at = (e: string, g: string, r: string) => cells.find((c) => c.coords.join(' ') === `${e} ${g} ${r}`)!
    expect(at('off', 'off', 'plain').rule).toBe('vfio_ap.irq.enabled')
    expect(at('on', 'off', 'plain').rule).toBe('vfio_ap.irq.rc07')
    expect(at('off', 'on', 'plain').rule).toBe('vfio_ap.irq.gisc-failed-rc06')
    expect(at('off', 'off', 'bit47').rule).toBe('kvm.pqap.reserved-bits')
  })
})

describe('probes', () => {
  it('several probes form a dimension, first by default, last on request', () => {
    const first = loadMatrixSpec(doc({ probes: [AQIC, 'pqap tapq 05.0004'] }))
    expect(first.dimensions.map((d) => d.id)).toEqual(['probe', 'kernel'])
    expect(first.dimensions[0]!.values.map((v) => v.id)).toEqual([AQIC, 'pqap tapq 05.0004'])
    const last = loadMatrixSpec(
      doc({ probes: [{ id: 'a', steps: AQIC }, 'pqap tapq 05.0004'], probeDimension: { id: 'p', position: 'last' } }),
    )
    expect(last.dimensions.map((d) => d.id)).toEqual(['kernel', 'p'])
    expect(cellCount(last)).toBe(4)
  })

  it('a program runs its steps on one vCPU of one machine; the last step is the outcome', () => {
    const m = loadMatrixSpec(
      doc({
        base: { qemu: 'qemu-4.1', ccBefore: 1 },
        dimensions: [{ id: 'kernel', field: 'kernel', values: [{ value: 'linux-6.0' }, { value: 'linux-6.3' }] }],
        probes: [{ id: 'twice', steps: [AQIC, 'pqap aqic 05.0004 ir=1 isc=6 nib=0x3000'] }],
        outcome: ['pgm', 'cc', 'rc'],
      }),
    )
    const [old, fixed] = computeCells(m)
    // 6.0 reads every host AQIC status as zeros (Q5); 6.3 sees the firmware's RC 0x07.
    expect(old!.outcome).toBe('cc 1, RC 0x00 NORMAL')
    expect(fixed!.outcome).toBe('cc 3, RC 0x07 OTHERWISE_CHANGED')
    expect(fixed!.program).toEqual(['AQIC: cc 1, RC 0x00 NORMAL'])
  })

  it('a one-step program is the same as the instruction alone', () => {
    const a = runMatrix(loadMatrixSpec(doc({ probes: [AQIC] })))
    const b = runMatrix(loadMatrixSpec(doc({ probes: [[AQIC]] })))
    expect(b.cells.map((c) => c.outcome)).toEqual(a.cells.map((c) => c.outcome))
  })
})

/** Sorted keys, and a key holding `undefined` kept visible (a spread would let it override a default). */
function canon(o: unknown): unknown {
  if (o === undefined) return '<undefined>'
  if (o === null || typeof o !== 'object') return o
  if (Array.isArray(o)) return o.map(canon)
  return Object.fromEntries(
    Object.keys(o)
      .sort()
      .map((k) => [k, canon((o as Record<string, unknown>)[k])]),
  )
}

describe('cell configurations', () => {
  it('the in-place fast path builds the same configuration as applying each value', () => {
    const specs = [
      ...BUILTIN_SPECS,
      parseMatrixSpec(
        doc({
          base: { cpu: { features: { apqi: false } }, host: { facilities: { '15': false } }, regs: { r2: '0x10' } },
          dimensions: [
            { id: 'a', field: 'cpu.apqi', values: [{ value: 'default' }, { value: 'on' }] },
            { id: 'f', field: 'host.facilities.15', values: [{ value: 'default' }, { value: true }] },
            { id: 'c', field: 'crycb', values: [{ value: 'format0' }, { value: 'format1' }] },
            { id: 'r', field: 'regs.r2', values: [{ value: 'default' }, { value: '0x3000' }] },
          ],
          probes: [AQIC, { id: 'p', steps: [AQIC, AQIC], set: { 'queue.irqEnabled': true, gisa: false } }],
        }),
      ),
    ]
    for (const s of specs) {
      const m = loadMatrixSpec(s)
      for (let i = 0; i < cellCount(m); i++) {
        const values = valuesAt(m, i)
        let slow: ProbeSpec = { ...m.base, trace: false }
        for (const v of values) slow = v.apply(slow)
        expect(canon(cellSpec(m, values, false)), `${s.name} cell ${i}`).toEqual(canon(slow))
      }
    }
  })
})

describe('documents', () => {
  it('the example in docs/ validates and computes', () => {
    const d = JSON.parse(readFileSync(new URL('../../docs/examples/aqic-by-kernel.json', import.meta.url), 'utf8'))
    const r = runMatrix(loadMatrixSpec(d))
    expect(r.cells).toHaveLength(3 * 9 * 2)
    expect(r.cover!.length).toBeLessThan(r.cells.length)
  })

  it('every built-in spec is canonical: parsing it again gives the same JSON', () => {
    for (const s of BUILTIN_SPECS)
      expect(JSON.stringify(parseMatrixSpec(JSON.parse(JSON.stringify(s))))).toBe(JSON.stringify(s))
  })
})
