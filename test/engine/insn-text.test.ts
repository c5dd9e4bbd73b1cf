// The one-line instruction syntax (insn-text.ts): every documented form, the register
// encodings it produces (architecture.md §3, §5), and errors that name the field.
import { describe, expect, it } from 'vitest'
import { INSN_TEXT_HELP, InsnSyntaxError, parseInsnText, type ParsedInsn } from '../../src-main/engine/insn-text'
import { machine } from './machine-helper'

const reg = (p: ParsedInsn, r: number): bigint => {
  const v = p.regs[r]
  if (!v) throw new Error(`GR${r} not loaded`)
  return (BigInt(v.hi >>> 0) << 32n) | BigInt(v.lo >>> 0)
}

function syntaxError(text: string): InsnSyntaxError {
  try {
    parseInsnText(text)
  } catch (e) {
    expect(e).toBeInstanceOf(InsnSyntaxError)
    return e as InsnSyntaxError
  }
  throw new Error(`'${text}' parsed without an error`)
}

/** A sample value for a placeholder in the help text. */
function sample(key: string, placeholder: string): string {
  if (placeholder === 'N') return key === 'fc' ? '0x2a' : key === 'len' ? '64' : '3'
  if (placeholder === 'ADDR') return '0x3000'
  if (placeholder.includes('|')) return placeholder.split('|').at(-1)!
  return placeholder
}

describe('INSN_TEXT_HELP: every documented form parses', () => {
  const lines = INSN_TEXT_HELP.split('\n')

  it('documents pqap, nqap and dqap', () => {
    expect(lines.map((l) => l.split(' ')[0])).toEqual(['pqap', 'nqap', 'dqap'])
  })

  const forms: [string, string][] = []
  for (const line of lines) {
    const mnemonic = line.split(' ')[0]!
    const fcAlt = /<([^>]+)>/.exec(line)?.[1]
    const heads = fcAlt
      ? fcAlt.split('|').map((a) => (a.includes('=') ? `${a.split('=')[0]}=${sample('fc', a.split('=')[1]!)}` : a))
      : ['']
    const opts = [...line.matchAll(/\[([^\]]+)\]/g)].map((m) => m[1]!)
    const words = opts.map((o) =>
      o === 'AA.DDDD' ? '0a.00ab' : `${o.split('=')[0]}=${sample(o.split('=')[0]!, o.split('=')[1]!)}`,
    )
    const apqnWord = line.includes(' AA.DDDD ') ? ' 05.0004' : ''
    for (const head of heads) {
      forms.push([line, `${mnemonic} ${head}${apqnWord}`.replace(/\s+/g, ' ').trim()])
      for (const w of words)
        forms.push([line, `${mnemonic} ${head}${w === '0a.00ab' ? '' : apqnWord} ${w}`.replace(/\s+/g, ' ').trim()])
    }
    if (fcAlt) forms.push([line, `${mnemonic} ${heads[0]} ${words.join(' ')}`])
    else forms.push([line, `${mnemonic}${apqnWord} ${words.join(' ')}`])
  }

  it.each(forms.map(([, f]) => f))('%s', (text) => {
    const p = parseInsnText(text)
    expect(p.insn.name).toBe(text.split(' ')[0]!.toUpperCase())
    expect(p.regs[0]).toBeDefined()
  })
})

describe('PQAP encodings (GR0 §3.2, GR1 §3.3)', () => {
  it.each([
    ['pqap tapq 05.0004', 0x00000504],
    ['pqap rapq 05.0004', 0x01000504],
    ['pqap zapq 05.0004', 0x02000504],
    ['pqap aqic 05.0004', 0x03000504],
    ['pqap qact 05.0004', 0x05000504],
    ['pqap fc=0x2a 0a.00ab', 0x2a000aab],
    ['pqap fc=255 ff.00ff', 0xff00ffff],
    ['pqap tapq 05.0004 t=1', 0x00800504],
    ['pqap rapq 05.0004 f=1', 0x01400504],
    ['PQAP TAPQ 05.0004', 0x00000504],
    ['pqap tapq', 0x00000504],
    ['pqap tapq apqn=0a.00ab', 0x00000aab],
  ])('%s → GR0 = 0x%s', (text, r0) => {
    expect(reg(parseInsnText(text), 0)).toBe(BigInt(r0 >>> 0))
  })

  it('pqap qci: FC 4 and a doubleword-aligned block address in GR2', () => {
    const p = parseInsnText('pqap qci')
    expect(Number(reg(p, 0) >> 24n) & 0xff).toBe(4)
    expect(reg(p, 2) % 8n).toBe(0n)
    expect(p.fcName).toBe('QCI')
  })

  it('aqic ir=1: IR is bit 16 (high word 0x00008000), ISC in the low word, NIB in GR2', () => {
    const p = parseInsnText('pqap aqic 05.0004 ir=1 isc=6 nib=0x2000')
    expect(p.regs[1]).toEqual({ hi: 0x00008000, lo: 6 })
    expect(reg(p, 1)).toBe(0x0000800000000006n)
    expect(reg(p, 2)).toBe(0x2000n)
    expect(p.fcName).toBe('AQIC')
    expect(p.insn).toEqual({ name: 'PQAP', r1: 0, r2: 0 })
  })

  it('aqic ir=0: IR clear', () => {
    expect(parseInsnText('pqap aqic 05.0004 ir=0').regs[1]!.hi).toBe(0)
  })

  it('aqic defaults to a Linux guest: IR = 1, ISC 6', () => {
    expect(reg(parseInsnText('pqap aqic 05.0004'), 1)).toBe(0x0000800000000006n)
  })

  it.each([0, 1, 5, 7])('gisc=%s goes to bits 21–23 (high word)', (gisc) => {
    const p = parseInsnText(`pqap aqic ir=1 gisc=${gisc} isc=2`)
    expect(p.regs[1]!.hi).toBe((0x8000 | (gisc << 8)) >>> 0)
    expect(p.regs[1]!.lo).toBe(2)
  })

  it('nib takes a full 64-bit address', () => {
    expect(reg(parseInsnText('pqap aqic nib=0xfedcba9876543210'), 2)).toBe(0xfedcba9876543210n)
  })

  it('numbers are hex with 0x, or decimal; underscores are allowed', () => {
    expect(reg(parseInsnText('pqap aqic nib=8192'), 2)).toBe(0x2000n)
    expect(reg(parseInsnText('pqap aqic nib=0x1_0000'), 2)).toBe(0x10000n)
  })
})

describe('NQAP/DQAP encodings (§5)', () => {
  it('nqap: L bit 0x40000000 by default, PSMID split over the R1 pair, address and length in the R2 pair', () => {
    const p = parseInsnText('nqap 05.0004 r1=2 r2=4 psmid=0x1122334455667788 addr=0x10000 len=100')
    expect(p.insn).toEqual({ name: 'NQAP', r1: 2, r2: 4 })
    expect(reg(p, 0)).toBe(0x40000504n)
    expect(reg(p, 2) & 0xffffffffn).toBe(0x11223344n)
    expect(reg(p, 3) & 0xffffffffn).toBe(0x55667788n)
    expect(reg(p, 4)).toBe(0x10000n)
    expect(reg(p, 5)).toBe(100n)
  })

  it('nqap last=0 special=1: L clear, special bit 41 (0x00400000)', () => {
    expect(reg(parseInsnText('nqap 05.0004 last=0 special=1'), 0)).toBe(0x00400504n)
  })

  it('nqap with other register pairs', () => {
    const p = parseInsnText('nqap 05.0004 r1=8 r2=10 psmid=7 len=16')
    expect(p.insn).toEqual({ name: 'NQAP', r1: 8, r2: 10 })
    expect(reg(p, 9) & 0xffffffffn).toBe(7n)
    expect(reg(p, 11)).toBe(16n)
  })

  it('dqap: GR0 bit 32 (0x80000000) set, buffer in the R2 pair, residual GR2 cleared', () => {
    const p = parseInsnText('dqap 05.0004 r1=4 r2=6 addr=0x20000 len=4096')
    expect(p.insn).toEqual({ name: 'DQAP', r1: 4, r2: 6 })
    expect(reg(p, 0)).toBe(0x80000504n)
    expect(reg(p, 6)).toBe(0x20000n)
    expect(reg(p, 7)).toBe(4096n)
    expect(reg(p, 2)).toBe(0n)
  })

  it('odd register fields are accepted by the syntax (the firmware rejects them, FW-8)', () => {
    expect(parseInsnText('nqap 05.0004 r1=3').insn.r1).toBe(3)
  })

  it('the default DQAP form returns the PSMID in its R1 pair (it must not overlap GR2, the residual length)', () => {
    const m = machine()
    m.run('nqap 05.0004 psmid=0x1122334455667788')
    m.advance(1000)
    const r = m.run('dqap 05.0004')
    expect(r.cc).toBe(0)
    const { r1 } = parseInsnText('dqap 05.0004').insn
    expect(((m.gr(r1) & 0xffffffffn) << 32n) | (m.gr(r1 + 1) & 0xffffffffn)).toBe(0x1122334455667788n)
  })
})

describe('errors name the field', () => {
  it.each([
    ['pqap fc=zz', 'fc'],
    ['pqap fc=256', 'fc'],
    ['pqap', 'fc'],
    ['pqap tapq fc=0', 'fc'],
    ['frob 05.0004', 'insn'],
    ['', 'insn'],
    ['pqap tapq 05.0004 foo=1', 'foo'],
    ['pqap tapq r1=2', 'r1'],
    ['dqap 05.0004 psmid=1', 'psmid'],
    ['pqap tapq 05.0004 06.0004', 'apqn'],
    ['pqap tapq 05.0004 apqn=06.0004', 'apqn'],
    ['pqap tapq apqn=zz', 'apqn'],
    ['pqap aqic isc=8', 'isc'],
    ['pqap aqic ir=2', 'ir'],
    ['pqap aqic ir=1 ir=0', 'ir'],
    ['pqap aqic nib=-1', 'nib'],
    ['pqap aqic nib=0x10000000000000000', 'nib'],
    ['nqap 05.0004 r1=15', 'r1'],
    ['nqap 05.0004 r2=16', 'r2'],
    ['nqap 05.0004 psmid=0x1ffffffffffffffff', 'psmid'],
    ['nqap 05.0004 len=abc', 'len'],
    ['nqap 05.0004 last=maybe', 'last'],
  ])('%j → field %s', (text, field) => {
    const e = syntaxError(text)
    expect(e.field).toBe(field)
    expect(e.message.startsWith(`${field}: `)).toBe(true)
    expect(e.message.length).toBeGreaterThan(field.length + 3)
  })

  it('an unknown instruction says which ones exist', () => {
    expect(syntaxError('frob').message).toMatch(/pqap.*nqap.*dqap/i)
  })

  it('an unknown key lists the allowed ones', () => {
    expect(syntaxError('dqap foo=1').message).toMatch(/addr/)
  })
})
