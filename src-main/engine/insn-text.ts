// The short text syntax for one AP instruction, e.g. `pqap aqic 05.0004 ir=1 isc=6 nib=0x2000`.
// It expands to the register-level steps of product.md §5: a `set` of GPRs, then an `insn`.
import { FC_AQIC, GR0_T_BIT, QIRQ_IR_HI, parseApqn, pqapFunctionByName, type InstructionName } from './arch'
import type { Insn } from './outcome'
import { parse64 } from './regs'

export interface RegLoad {
  hi: number
  lo: number
}

export interface ParsedInsn {
  insn: Insn
  regs: Record<number, RegLoad>
  fcName: string | null
}

export class InsnSyntaxError extends Error {
  constructor(
    readonly field: string,
    reason: string,
  ) {
    super(`${field}: ${reason}`)
  }
}

const PQAP_KEYS = new Set(['fc', 't', 'f', 'ir', 'isc', 'gisc', 'nib', 'apqn'])
const NQAP_KEYS = new Set(['r1', 'r2', 'psmid', 'addr', 'len', 'last', 'special', 'apqn'])
const DQAP_KEYS = new Set(['r1', 'r2', 'addr', 'len', 'apqn'])

export const INSN_TEXT_HELP = [
  'pqap <tapq|rapq|zapq|aqic|qci|qact|fc=N> [AA.DDDD] [t=1] [f=1] [ir=0|1] [isc=N] [gisc=N] [nib=ADDR]',
  'nqap AA.DDDD [r1=2] [r2=4] [psmid=N] [addr=ADDR] [len=N] [last=0|1] [special=1]',
  'dqap AA.DDDD [r1=4] [r2=6] [addr=ADDR] [len=N]',
].join('\n')

function num(field: string, value: string, max: bigint): RegLoad {
  const v = parse64(value)
  if ('error' in v) throw new InsnSyntaxError(field, v.error)
  const big = (BigInt(v.hi) << 32n) | BigInt(v.lo)
  if (big > max) throw new InsnSyntaxError(field, `must be at most ${max}, got '${value}'`)
  return v
}

function small(field: string, value: string, max: number): number {
  return num(field, value, BigInt(max)).lo
}

export function parseInsnText(text: string): ParsedInsn {
  const words = text.trim().split(/\s+/).filter(Boolean)
  if (words.length === 0) throw new InsnSyntaxError('insn', 'empty instruction text')
  const name = words[0]!.toUpperCase()
  if (name !== 'PQAP' && name !== 'NQAP' && name !== 'DQAP')
    throw new InsnSyntaxError('insn', `unknown instruction '${words[0]}' (expected pqap, nqap or dqap)`)
  const kv = new Map<string, string>()
  let fcWord: string | null = null
  let apqn: number | null = null
  for (const w of words.slice(1)) {
    const eq = w.indexOf('=')
    if (eq > 0) {
      const key = w.slice(0, eq).toLowerCase()
      const allowed = name === 'PQAP' ? PQAP_KEYS : name === 'NQAP' ? NQAP_KEYS : DQAP_KEYS
      if (!allowed.has(key))
        throw new InsnSyntaxError(key, `not an operand of ${name} (allowed: ${[...allowed].join(', ')})`)
      if (kv.has(key)) throw new InsnSyntaxError(key, 'given twice')
      kv.set(key, w.slice(eq + 1))
      continue
    }
    const a = parseApqn(w)
    if (a !== null) {
      if (apqn !== null) throw new InsnSyntaxError('apqn', 'given twice')
      apqn = a
      continue
    }
    if (name === 'PQAP' && fcWord === null && pqapFunctionByName(w)) {
      fcWord = w
      continue
    }
    throw new InsnSyntaxError(
      'insn',
      `cannot read '${w}': expected ${name === 'PQAP' && fcWord === null ? 'a function name (tapq, rapq, zapq, aqic, qci, qact, ...), ' : ''}an APQN like 05.0004 or key=value`,
    )
  }
  if (kv.has('apqn')) {
    if (apqn !== null) throw new InsnSyntaxError('apqn', 'given twice')
    const a = parseApqn(kv.get('apqn')!)
    if (a === null) throw new InsnSyntaxError('apqn', `expected AA.DDDD (e.g. 05.0004), got '${kv.get('apqn')}'`)
    apqn = a
  }
  const q = apqn ?? 0x0504
  const insnName = name as InstructionName
  if (insnName === 'PQAP') return pqap(kv, fcWord, q)
  return queueMessage(insnName, kv, q)
}

function flag(kv: Map<string, string>, key: string, dflt: boolean): boolean {
  const v = kv.get(key)
  if (v === undefined) return dflt
  if (v === '1' || v === 'on' || v === 'true') return true
  if (v === '0' || v === 'off' || v === 'false') return false
  throw new InsnSyntaxError(key, `expected 0 or 1, got '${v}'`)
}

function pqap(kv: Map<string, string>, fcWord: string | null, apqn: number): ParsedInsn {
  let fc: number
  if (fcWord !== null && kv.has('fc')) throw new InsnSyntaxError('fc', 'given both as a name and as fc=')
  if (fcWord !== null) fc = pqapFunctionByName(fcWord)!.fc
  else if (kv.has('fc')) fc = small('fc', kv.get('fc')!, 0xff)
  else throw new InsnSyntaxError('fc', 'pqap needs a function: tapq, rapq, zapq, aqic, qci, qact or fc=N')
  const r0lo =
    ((fc << 24) | (flag(kv, 't', false) ? GR0_T_BIT : 0) | (flag(kv, 'f', false) ? 0x00400000 : 0) | apqn) >>> 0
  const regs: Record<number, RegLoad> = { 0: { hi: 0, lo: r0lo } }
  if (fc === FC_AQIC || kv.has('ir') || kv.has('isc') || kv.has('nib')) {
    const ir = flag(kv, 'ir', true)
    const isc = kv.has('isc') ? small('isc', kv.get('isc')!, 7) : 6
    const gisc = kv.has('gisc') ? small('gisc', kv.get('gisc')!, 7) : 0
    regs[1] = { hi: ((ir ? QIRQ_IR_HI : 0) | (gisc << 8)) >>> 0, lo: isc }
    regs[2] = kv.has('nib') ? num('nib', kv.get('nib')!, 0xffffffffffffffffn) : { hi: 0, lo: 0x2000 }
  } else {
    regs[1] = { hi: 0, lo: 0 }
    regs[2] = fc === 4 ? { hi: 0, lo: 0x3000 } : { hi: 0, lo: 0 }
  }
  const fcName = [...['TAPQ', 'RAPQ', 'ZAPQ', 'AQIC', 'QCI', 'QACT', 'QBAP', 'BAPQ', 'AAPQ']][fc] ?? null
  return { insn: { name: 'PQAP', r1: 0, r2: 0 }, regs, fcName }
}

function queueMessage(name: 'NQAP' | 'DQAP', kv: Map<string, string>, apqn: number): ParsedInsn {
  // Linux's ap_dqap keeps GR2 for the residual length, so the default pairs avoid it.
  const r1 = kv.has('r1') ? small('r1', kv.get('r1')!, 15) : name === 'NQAP' ? 2 : 4
  const r2 = kv.has('r2') ? small('r2', kv.get('r2')!, 15) : name === 'NQAP' ? 4 : 6
  if (r1 === 15 || r2 === 15) throw new InsnSyntaxError(r1 === 15 ? 'r1' : 'r2', 'register 15 has no pair register')
  const regs: Record<number, RegLoad> = {}
  if (name === 'NQAP') {
    const last = flag(kv, 'last', true)
    const special = flag(kv, 'special', false)
    regs[0] = { hi: 0, lo: ((last ? 0x40000000 : 0) | (special ? 0x00400000 : 0) | apqn) >>> 0 }
    const psmid = kv.has('psmid') ? num('psmid', kv.get('psmid')!, 0xffffffffffffffffn) : { hi: 0, lo: 1 }
    regs[r1] = { hi: 0, lo: psmid.hi }
    regs[r1 + 1] = { hi: 0, lo: psmid.lo }
    regs[r2] = kv.has('addr') ? num('addr', kv.get('addr')!, 0xffffffffffffffffn) : { hi: 0, lo: 0x10000 }
    regs[r2 + 1] = kv.has('len') ? num('len', kv.get('len')!, 0xffffffffffffffffn) : { hi: 0, lo: 256 }
  } else {
    regs[0] = { hi: 0, lo: (0x80000000 | apqn) >>> 0 }
    regs[r2] = kv.has('addr') ? num('addr', kv.get('addr')!, 0xffffffffffffffffn) : { hi: 0, lo: 0x20000 }
    regs[r2 + 1] = kv.has('len') ? num('len', kv.get('len')!, 0xffffffffffffffffn) : { hi: 0, lo: 4096 }
    if (r1 !== 2 && r2 !== 2) regs[2] = { hi: 0, lo: 0 }
  }
  return { insn: { name, r1, r2 }, regs, fcName: null }
}
