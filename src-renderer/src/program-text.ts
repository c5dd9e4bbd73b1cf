// The program editor's text syntax, one step per line, and its conversion to and from the JSON
// steps of product.md §5 (the `Step` union of session.ts). Pure: no DOM, no store.
//
//   pqap tapq 05.0004                      → {"text": "pqap tapq 05.0004"}   (also nqap / dqap)
//   insn nqap r1=2 r2=4                     → {"insn": "NQAP", "r1": 2, "r2": 4}
//   aqic 05.0004 ir=1 isc=6 nib=0x2000      → {"aqic": "05.0004", "ir": true, "isc": 6, "nib": "0x2000"}
//   set r0=0x03000504 r1=0                  → {"set": {"r0": "0x03000504", "r1": 0}}
//   psw problem | cc 2 | sleep 100 | write 0x2000 00ff
//   wait irq isc=6 timeout=100000           → {"wait": "irq", "isc": 6, "timeoutUs": 100000}
//   wait crw timeout=100000                 → {"wait": "crw", "timeoutUs": 100000}
//   poll pqap tapq 05.0004 until I==1 every=20000 max=100
//
// Times are microseconds; `ms` and `s` suffixes are accepted. `#` starts a comment.
import { parseApqn } from '../../src-main/engine/arch'
import { InsnSyntaxError, parseInsnText } from '../../src-main/engine/insn-text'
import type { Step } from '../../src-main/engine/session'

export type { Step }

export interface ProgramError {
  /** 1-based line number in the text. */
  line: number
  message: string
}

export interface ParsedProgram {
  steps: Step[]
  errors: ProgramError[]
  /** The 1-based text line of each step. */
  lines: number[]
}

export const PROGRAM_TEXT_HELP = [
  'pqap <tapq|rapq|zapq|aqic|qci|qact|fc=N> [AA.DDDD] [t=1] [ir=0|1] [isc=N] [nib=ADDR]',
  'nqap AA.DDDD [psmid=N] [addr=ADDR] [len=N] [r1=2] [r2=4]      dqap AA.DDDD [addr=ADDR] [len=N]',
  'insn pqap|nqap|dqap [r1=N] [r2=N]       execute with the registers as they are',
  'aqic AA.DDDD [ir=0|1] [isc=N] [nib=ADDR]',
  'set r0=0x03000504 r1=0                  load registers (hex or decimal)',
  'psw problem|supervisor      cc 0..3      sleep 100      write 0x2000 00ff',
  'wait irq [isc=N] [timeout=100000]',
  'wait crw [timeout=100000]',
  'poll <pqap …|insn …> until I==1 [every=20000] [max=100]    (I R E F rc cc, == or !=)',
  'times in µs (100, 20ms, 1s) · # comment',
].join('\n')

const KEYWORDS = ['pqap', 'nqap', 'dqap', 'insn', 'aqic', 'set', 'psw', 'cc', 'poll', 'wait', 'sleep', 'write']
const REG_VALUE = /^(0x[0-9a-fA-F_]{1,19}|[0-9]{1,20})$/
const UNTIL = /^(I|R|E|F|rc|cc)(==|!=)(0x[0-9a-fA-F]+|[0-9]+)$/
const MAX_TEXT = 400
const MAX_BYTES_HEX = 8192

class LineError extends Error {}

function fail(message: string): never {
  throw new LineError(message)
}

type RegValue = string | number

/** A register or address value as the session schema accepts it: decimal → number when exact, hex → string. */
function regValue(what: string, text: string): RegValue {
  if (!REG_VALUE.test(text)) fail(`${what}: expected hex (0x…) or decimal, got '${text}'`)
  const big = BigInt(text.replace(/_/g, ''))
  if (big > 0xffffffffffffffffn) fail(`${what}: '${text}' does not fit in 64 bits`)
  if (!text.startsWith('0x') && big <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(big)
  return text
}

function int(what: string, text: string, min: number, max: number): number {
  const m = /^(0x[0-9a-fA-F]+|[0-9]+)$/.exec(text)
  if (!m) fail(`${what}: expected a number, got '${text}'`)
  const n = Number(text)
  if (!Number.isSafeInteger(n) || n < min || n > max) fail(`${what}: must be ${min}..${max}, got ${text}`)
  return n
}

const TIME_UNITS: Record<string, number> = { '': 1, us: 1, µs: 1, ms: 1000, s: 1_000_000 }

/** A time in µs: `100`, `100us`, `20ms`, `1s`. */
function time(what: string, text: string, min: number, max: number): number {
  const m = /^([0-9]+)(us|µs|ms|s)?$/.exec(text)
  if (!m) fail(`${what}: expected a time in µs (e.g. 100, 20ms, 1s), got '${text}'`)
  const n = Number(m[1]) * TIME_UNITS[m[2] ?? '']!
  if (!Number.isSafeInteger(n) || n < min || n > max) fail(`${what}: must be ${min}..${max} µs, got ${text}`)
  return n
}

function flag(what: string, text: string): boolean {
  if (['1', 'on', 'true'].includes(text)) return true
  if (['0', 'off', 'false'].includes(text)) return false
  fail(`${what}: expected 0 or 1, got '${text}'`)
}

/** `key=value` words; every key must be allowed and given once. */
function options(words: readonly string[], allowed: readonly string[], step: string): Map<string, string> {
  const out = new Map<string, string>()
  for (const w of words) {
    const eq = w.indexOf('=')
    if (eq <= 0) fail(`${step}: cannot read '${w}' (expected ${allowed.map((k) => `${k}=…`).join(', ')})`)
    const key = w.slice(0, eq).toLowerCase()
    if (!allowed.includes(key))
      fail(`${step}: unknown option '${key}' (allowed: ${allowed.map((k) => `${k}=`).join(', ')})`)
    if (out.has(key)) fail(`${step}: ${key}= given twice`)
    const value = w.slice(eq + 1)
    if (value === '') fail(`${step}: ${key}= needs a value`)
    out.set(key, value)
  }
  return out
}

function insnText(words: readonly string[]): { text: string } {
  const text = words.join(' ')
  if (text.length > MAX_TEXT) fail(`instruction text is longer than ${MAX_TEXT} characters`)
  try {
    parseInsnText(text)
  } catch (e) {
    if (e instanceof InsnSyntaxError) fail(e.message)
    throw e
  }
  return { text }
}

function insnStep(words: readonly string[]): Extract<Step, { insn: string }> {
  const name = words[0]?.toUpperCase()
  if (name !== 'PQAP' && name !== 'NQAP' && name !== 'DQAP')
    fail(`insn: expected pqap, nqap or dqap, got '${words[0] ?? ''}'`)
  const opts = options(words.slice(1), ['r1', 'r2'], 'insn')
  const step: Extract<Step, { insn: string }> = { insn: name }
  if (opts.has('r1')) step.r1 = int('r1', opts.get('r1')!, 0, 15)
  if (opts.has('r2')) step.r2 = int('r2', opts.get('r2')!, 0, 15)
  return step
}

/** What `poll` repeats: an instruction text (`pqap …`) or a register-level `insn …`. */
function pollable(words: readonly string[]): Extract<Step, { poll: unknown }>['poll'] {
  if (words.length === 0) fail('poll: expected an instruction before until (e.g. poll pqap tapq 05.0004 until I==1)')
  const head = words[0]!.toLowerCase()
  if (head === 'insn') return insnStep(words.slice(1))
  if (head === 'pqap' || head === 'nqap' || head === 'dqap') return insnText(words)
  fail(`poll: can repeat only an instruction (pqap, nqap, dqap or insn …), got '${words[0]}'`)
}

function parseWords(words: readonly string[]): Step {
  const head = words[0]!.toLowerCase()
  const rest = words.slice(1)
  switch (head) {
    case 'pqap':
    case 'nqap':
    case 'dqap':
      return insnText(words)
    case 'insn':
      return insnStep(rest)
    case 'aqic': {
      const apqn = rest[0]
      if (apqn === undefined || apqn.includes('=') || parseApqn(apqn) === null)
        fail(`aqic: expected an APQN like 05.0004 first, got '${apqn ?? ''}'`)
      const opts = options(rest.slice(1), ['ir', 'isc', 'nib'], 'aqic')
      const step: Extract<Step, { aqic: string }> = { aqic: apqn }
      if (opts.has('ir')) step.ir = flag('ir', opts.get('ir')!)
      if (opts.has('isc')) step.isc = int('isc', opts.get('isc')!, 0, 7)
      if (opts.has('nib')) step.nib = regValue('nib', opts.get('nib')!)
      return step
    }
    case 'set': {
      if (rest.length === 0) fail('set: expected at least one register, e.g. set r0=0x03000504 r1=0')
      const set: Record<string, RegValue> = {}
      for (const w of rest) {
        const m = /^(r(?:1[0-5]|[0-9]))=(.*)$/i.exec(w)
        if (!m) fail(`set: cannot read '${w}' (expected rN=value with N 0..15)`)
        const reg = m[1]!.toLowerCase()
        if (reg in set) fail(`set: ${reg} given twice`)
        set[reg] = regValue(reg, m[2]!)
      }
      return { set }
    }
    case 'psw': {
      const state = rest[0]?.toLowerCase()
      if (rest.length !== 1 || (state !== 'problem' && state !== 'supervisor'))
        fail(`psw: expected problem or supervisor, got '${rest.join(' ')}'`)
      return { psw: state }
    }
    case 'cc': {
      if (rest.length !== 1) fail(`cc: expected one condition code 0..3, got '${rest.join(' ')}'`)
      return { cc: int('cc', rest[0]!, 0, 3) as 0 | 1 | 2 | 3 }
    }
    case 'sleep': {
      if (rest.length !== 1) fail(`sleep: expected one time in µs, got '${rest.join(' ')}'`)
      return { sleepUs: time('sleep', rest[0]!, 0, 1_000_000_000) }
    }
    case 'wait': {
      if (rest[0]?.toLowerCase() === 'crw') {
        const opts = options(rest.slice(1), ['timeout'], 'wait crw')
        const step: Extract<Step, { wait: 'crw' }> = { wait: 'crw' }
        if (opts.has('timeout')) step.timeoutUs = time('timeout', opts.get('timeout')!, 1, 1_000_000_000)
        return step
      }
      const args = rest[0]?.toLowerCase() === 'irq' ? rest.slice(1) : rest
      const opts = options(args, ['isc', 'timeout'], 'wait')
      const step: Extract<Step, { wait: 'irq' }> = { wait: 'irq' }
      if (opts.has('isc')) step.isc = int('isc', opts.get('isc')!, 0, 7)
      if (opts.has('timeout')) step.timeoutUs = time('timeout', opts.get('timeout')!, 1, 1_000_000_000)
      return step
    }
    case 'write': {
      if (rest.length < 2) fail('write: expected an address and hex bytes, e.g. write 0x2000 00ff')
      const addr = regValue('address', rest[0]!)
      const bytes = rest.slice(1).join('')
      if (!/^([0-9a-fA-F]{2})+$/.test(bytes)) fail(`write: expected hex bytes in pairs like 00ff, got '${bytes}'`)
      if (bytes.length > MAX_BYTES_HEX) fail(`write: at most ${MAX_BYTES_HEX / 2} bytes per step`)
      return { write: { addr, bytes } }
    }
    case 'poll': {
      const u = rest.findIndex((w) => w.toLowerCase() === 'until')
      if (u < 0) fail('poll: expected until <condition>, e.g. poll pqap tapq 05.0004 until I==1')
      const poll = pollable(rest.slice(0, u))
      const after = rest.slice(u + 1)
      const isOption = (w: string) => /^(every|max)=/i.test(w)
      const cond = after.filter((w) => !isOption(w)).join('')
      if (!UNTIL.test(cond))
        fail(`until: expected a condition on I, R, E, F, rc or cc, e.g. I==1, rc==0, cc!=3; got '${cond}'`)
      const opts = options(after.filter(isOption), ['every', 'max'], 'poll')
      const step: Extract<Step, { poll: unknown }> = { poll, until: cond }
      if (opts.has('every')) step.everyUs = time('every', opts.get('every')!, 1, 10_000_000)
      if (opts.has('max')) step.max = int('max', opts.get('max')!, 1, 100_000)
      return step
    }
    default:
      fail(`unknown step '${words[0]}' (expected ${KEYWORDS.join(', ')})`)
  }
}

/** Reads the program text; every line that is not blank or a comment is one step. */
export function parseProgram(text: string): ParsedProgram {
  const steps: Step[] = []
  const errors: ProgramError[] = []
  const lines: number[] = []
  text.split(/\r?\n/).forEach((raw, i) => {
    const hash = raw.indexOf('#')
    const words = (hash >= 0 ? raw.slice(0, hash) : raw).trim().split(/\s+/).filter(Boolean)
    if (words.length === 0) return
    try {
      steps.push(parseWords(words))
      lines.push(i + 1)
    } catch (e) {
      if (!(e instanceof LineError)) throw e
      errors.push({ line: i + 1, message: e.message })
    }
  })
  return { steps, errors, lines }
}

function formatPollable(p: Extract<Step, { poll: unknown }>['poll']): string {
  return formatStep(p)
}

/** One step as a line of the text syntax. */
export function formatStep(step: Step): string {
  if ('text' in step) return step.text.trim().split(/\s+/).join(' ')
  if ('insn' in step)
    return [
      `insn ${step.insn.toLowerCase()}`,
      step.r1 !== undefined ? `r1=${step.r1}` : '',
      step.r2 !== undefined ? `r2=${step.r2}` : '',
    ]
      .filter(Boolean)
      .join(' ')
  if ('aqic' in step)
    return [
      `aqic ${step.aqic}`,
      step.ir !== undefined ? `ir=${step.ir ? 1 : 0}` : '',
      step.isc !== undefined ? `isc=${step.isc}` : '',
      step.nib !== undefined ? `nib=${step.nib}` : '',
    ]
      .filter(Boolean)
      .join(' ')
  if ('set' in step)
    return ['set', ...Object.entries(step.set).map(([r, v]) => `${r}=${typeof v === 'number' ? v : v.trim()}`)].join(
      ' ',
    )
  if ('psw' in step) return `psw ${step.psw}`
  if ('cc' in step) return `cc ${step.cc}`
  if ('sleepUs' in step) return `sleep ${step.sleepUs}`
  if ('wait' in step)
    return [
      `wait ${step.wait}`,
      'isc' in step && step.isc !== undefined ? `isc=${step.isc}` : '',
      step.timeoutUs !== undefined ? `timeout=${step.timeoutUs}` : '',
    ]
      .filter(Boolean)
      .join(' ')
  if ('write' in step) return `write ${step.write.addr} ${step.write.bytes}`
  return [
    `poll ${formatPollable(step.poll)} until ${step.until.replace(/\s+/g, '')}`,
    step.everyUs !== undefined ? `every=${step.everyUs}` : '',
    step.max !== undefined ? `max=${step.max}` : '',
  ]
    .filter(Boolean)
    .join(' ')
}

/** A program as text, one line per step. */
export function formatProgram(steps: readonly Step[]): string {
  return steps.map(formatStep).join('\n')
}
