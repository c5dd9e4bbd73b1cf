import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { EXAMPLE_SESSIONS } from '../../src-main/engine/examples'
import { stepSchema } from '../../src-main/engine/session'
import { formatProgram, formatStep, parseProgram, type Step } from '../../src-renderer/src/program-text'

function stepsOf(text: string): Step[] {
  const p = parseProgram(text)
  expect(p.errors).toEqual([])
  return p.steps
}

function errorsOf(text: string) {
  return parseProgram(text).errors
}

describe('program text → steps', () => {
  it('reads every step form of product.md §5', () => {
    const text = [
      'pqap tapq 05.0004',
      'aqic 05.0004 ir=1 isc=6 nib=0x2000',
      'nqap 05.0004 psmid=1 len=512',
      'wait irq isc=6 timeout=100000',
      'wait crw timeout=500',
      'sleep 100',
      'psw problem',
      'cc 2',
      'set r0=0x03000504 r1=0',
      'poll pqap tapq 05.0004 until I==1 every=20000 max=100',
      'write 0x2000 00ff',
      'insn nqap r1=2 r2=4',
      'insn pqap',
      'poll insn pqap until cc!=3',
    ].join('\n')
    expect(stepsOf(text)).toEqual([
      { text: 'pqap tapq 05.0004' },
      { aqic: '05.0004', ir: true, isc: 6, nib: '0x2000' },
      { text: 'nqap 05.0004 psmid=1 len=512' },
      { wait: 'irq', isc: 6, timeoutUs: 100000 },
      { wait: 'crw', timeoutUs: 500 },
      { sleepUs: 100 },
      { psw: 'problem' },
      { cc: 2 },
      { set: { r0: '0x03000504', r1: 0 } },
      { poll: { text: 'pqap tapq 05.0004' }, until: 'I==1', everyUs: 20000, max: 100 },
      { write: { addr: '0x2000', bytes: '00ff' } },
      { insn: 'NQAP', r1: 2, r2: 4 },
      { insn: 'PQAP' },
      { poll: { insn: 'PQAP' }, until: 'cc!=3' },
    ])
  })

  it('skips blank lines and comments and maps each step to its line', () => {
    const p = parseProgram('# enable, then test\n\npqap aqic 05.0004   # ISC 6\n  \ncc 0\n')
    expect(p.errors).toEqual([])
    expect(p.steps).toEqual([{ text: 'pqap aqic 05.0004' }, { cc: 0 }])
    expect(p.lines).toEqual([3, 5])
  })

  it('accepts friendly variants and normalises them', () => {
    expect(stepsOf('WAIT timeout=2ms\nsleep 1s\nPSW Supervisor\nset R5=128 r6=0x_ff\nwrite 4096 00 ff 10')).toEqual([
      { wait: 'irq', timeoutUs: 2000 },
      { sleepUs: 1_000_000 },
      { psw: 'supervisor' },
      { set: { r5: 128, r6: '0x_ff' } },
      { write: { addr: 4096, bytes: '00ff10' } },
    ])
    expect(stepsOf('poll pqap tapq 05.0004 until rc == 0 max=3')).toEqual([
      { poll: { text: 'pqap tapq 05.0004' }, until: 'rc==0', max: 3 },
    ])
    // Decimal values too large for a JS number stay strings, as the session schema allows.
    expect(stepsOf('set r1=18446744073709551615')).toEqual([{ set: { r1: '18446744073709551615' } }])
  })

  it('names the line and the reason of every error, and keeps the good lines', () => {
    const p = parseProgram(
      [
        'pqap tapq 05.0004',
        'frobnicate 05.0004',
        'pqap 05.0004',
        'aqic 5.0004x ir=1',
        'aqic 05.0004 isc=9',
        'cc 4',
        'set r16=1',
        'set r1=0xzz',
        'poll pqap tapq 05.0004 until X==1',
        'poll sleep 5 until I==1',
        'wait irq isc=6 foo=1',
        'write 0x2000 0f0',
        'sleep -1',
        'set r1=0x10000000000000000',
        'psw user',
        'insn tapq',
        'aqic 05.0004 isc=1 isc=2',
      ].join('\n'),
    )
    expect(p.steps).toEqual([{ text: 'pqap tapq 05.0004' }])
    const byLine = new Map(p.errors.map((e) => [e.line, e.message]))
    expect([...byLine.keys()]).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17])
    expect(byLine.get(2)).toMatch(/unknown step 'frobnicate'/)
    expect(byLine.get(3)).toMatch(/^fc: pqap needs a function/)
    expect(byLine.get(4)).toMatch(/APQN like 05.0004/)
    expect(byLine.get(5)).toBe('isc: must be 0..7, got 9')
    expect(byLine.get(6)).toBe('cc: must be 0..3, got 4')
    expect(byLine.get(7)).toMatch(/cannot read 'r16=1'/)
    expect(byLine.get(8)).toMatch(/r1: expected hex/)
    expect(byLine.get(9)).toMatch(/until: expected a condition/)
    expect(byLine.get(10)).toMatch(/poll: can repeat only an instruction/)
    expect(byLine.get(11)).toMatch(/unknown option 'foo'/)
    expect(byLine.get(12)).toMatch(/hex bytes in pairs/)
    expect(byLine.get(13)).toMatch(/sleep: expected a time/)
    expect(byLine.get(14)).toMatch(/does not fit in 64 bits/)
    expect(byLine.get(15)).toMatch(/psw: expected problem or supervisor/)
    expect(byLine.get(16)).toMatch(/insn: expected pqap, nqap or dqap/)
    expect(byLine.get(17)).toMatch(/isc= given twice/)
  })

  it('a wait for a channel report word takes no ISC', () => {
    expect(errorsOf('wait crw isc=6')).toEqual([{ line: 1, message: expect.stringMatching(/unknown option 'isc'/) }])
  })

  it('reports instruction-text errors with the engine parser’s field and reason', () => {
    expect(errorsOf('nqap 05.0004 fc=3')).toEqual([
      { line: 1, message: expect.stringMatching(/^fc: not an operand of NQAP/) },
    ])
    expect(errorsOf('dqap 05.0004 r2=15')).toEqual([{ line: 1, message: 'r2: register 15 has no pair register' }])
  })

  it('produces only steps the session schema accepts', () => {
    const text =
      'set r0=0x03000504 r15=18446744073709551615\nwait\nsleep 0\nwrite 0 00\npoll insn dqap r1=2 r2=6 until rc!=0x10'
    for (const s of stepsOf(text)) expect(stepSchema.safeParse(s).success).toBe(true)
  })
})

describe('steps → program text', () => {
  it('writes one canonical line per step', () => {
    expect(formatStep({ aqic: '05.0004', ir: false })).toBe('aqic 05.0004 ir=0')
    expect(formatStep({ poll: { text: 'pqap  tapq 05.0004' }, until: 'rc == 0', everyUs: 20000, max: 3 })).toBe(
      'poll pqap tapq 05.0004 until rc==0 every=20000 max=3',
    )
    expect(formatStep({ wait: 'irq' })).toBe('wait irq')
    expect(formatStep({ wait: 'crw', timeoutUs: 500 })).toBe('wait crw timeout=500')
    expect(formatStep({ set: { r0: 5, r1: '0xff' } })).toBe('set r0=5 r1=0xff')
    expect(formatStep({ insn: 'DQAP', r2: 6 })).toBe('insn dqap r2=6')
    expect(formatStep({ sleepUs: 100 })).toBe('sleep 100')
    expect(formatStep({ write: { addr: '0x2000', bytes: '00ff' } })).toBe('write 0x2000 00ff')
  })

  it('round-trips every built-in example program', () => {
    for (const session of EXAMPLE_SESSIONS)
      for (const g of session.guests ?? [])
        for (const v of g.vcpus ?? []) {
          const program = (v.program ?? []) as Step[]
          const text = formatProgram(program)
          expect(stepsOf(text), `${session.name}/${g.name}`).toEqual(program)
          expect(formatProgram(stepsOf(text))).toBe(text)
        }
  })

  it('round-trips generated steps (text → steps → text is stable, steps → text → steps is identity)', () => {
    const apqn = fc
      .tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }))
      .map(([a, d]) => `${a.toString(16).padStart(2, '0')}.${d.toString(16).padStart(4, '0')}`)
    const hexValue = fc.bigInt({ min: 0n, max: 0xffffffffffffffffn }).map((b) => `0x${b.toString(16)}`)
    const value = fc.oneof(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), hexValue)
    const reg = fc.integer({ min: 0, max: 15 }).map((n) => `r${n}`)
    const insnText = fc.oneof(
      apqn.map((q) => `pqap tapq ${q}`),
      fc.tuple(apqn, fc.integer({ min: 0, max: 7 })).map(([q, isc]) => `pqap aqic ${q} ir=1 isc=${isc}`),
      fc.tuple(apqn, fc.integer({ min: 1, max: 4096 })).map(([q, len]) => `nqap ${q} len=${len}`),
      apqn.map((q) => `dqap ${q}`),
      fc.constant('pqap qci'),
    )
    const insnStep = fc.record(
      {
        insn: fc.constantFrom('PQAP' as const, 'NQAP' as const, 'DQAP' as const),
        r1: fc.integer({ min: 0, max: 15 }),
        r2: fc.integer({ min: 0, max: 15 }),
      },
      { requiredKeys: ['insn'] },
    )
    const pollable = fc.oneof(
      insnText.map((text) => ({ text })),
      insnStep,
    )
    const step: fc.Arbitrary<Step> = fc.oneof(
      insnText.map((text) => ({ text })),
      insnStep,
      fc.record(
        { aqic: apqn, ir: fc.boolean(), isc: fc.integer({ min: 0, max: 7 }), nib: value },
        { requiredKeys: ['aqic'] },
      ),
      fc
        .uniqueArray(fc.tuple(reg, value), { minLength: 1, maxLength: 4, selector: ([r]) => r })
        .map((pairs) => ({ set: Object.fromEntries(pairs) })),
      fc.constantFrom('problem' as const, 'supervisor' as const).map((psw) => ({ psw })),
      fc.constantFrom(0 as const, 1 as const, 2 as const, 3 as const).map((cc) => ({ cc })),
      fc.record(
        {
          poll: pollable,
          until: fc
            .tuple(fc.constantFrom('I', 'R', 'E', 'F', 'rc', 'cc'), fc.constantFrom('==', '!='), fc.nat(255))
            .map(([f, op, n]) => `${f}${op}${n}`),
          everyUs: fc.integer({ min: 1, max: 10_000_000 }),
          max: fc.integer({ min: 1, max: 100_000 }),
        },
        { requiredKeys: ['poll', 'until'] },
      ),
      fc.record(
        {
          wait: fc.constant('irq' as const),
          isc: fc.integer({ min: 0, max: 7 }),
          timeoutUs: fc.integer({ min: 1, max: 1_000_000_000 }),
        },
        { requiredKeys: ['wait'] },
      ),
      fc.integer({ min: 0, max: 1_000_000_000 }).map((sleepUs) => ({ sleepUs })),
      fc
        .tuple(value, fc.uint8Array({ minLength: 1, maxLength: 16 }))
        .map(([addr, b]) => ({ write: { addr, bytes: Buffer.from(b).toString('hex') } })),
    )
    fc.assert(
      fc.property(fc.array(step, { maxLength: 12 }), (steps) => {
        for (const s of steps) expect(stepSchema.safeParse(s).success).toBe(true)
        const text = formatProgram(steps)
        const back = parseProgram(text)
        expect(back.errors).toEqual([])
        expect(back.steps).toEqual(steps)
        expect(formatProgram(back.steps)).toBe(text)
      }),
      { numRuns: 300 },
    )
  })
})
