// Architecture facts as data (architecture.md). Register fields are given for the low word
// (IBM bits 32–63) or the high word (bits 0–31) of a 64-bit GPR, because the engine keeps
// each GPR as two 32-bit halves.

export type InstructionName = 'PQAP' | 'NQAP' | 'DQAP'

export interface InstructionRow {
  name: InstructionName
  opcode: number
  ipaLow: number
  usesR1R2: boolean
}

export const INSTRUCTIONS: readonly InstructionRow[] = [
  { name: 'PQAP', opcode: 0xb2af, ipaLow: 0xaf, usesR1R2: false },
  { name: 'NQAP', opcode: 0xb2ad, ipaLow: 0xad, usesR1R2: true },
  { name: 'DQAP', opcode: 0xb2ae, ipaLow: 0xae, usesR1R2: true },
]

export type Installed = 'always' | 'facility-12' | 'qci-c-bit' | 'secure-execution' | 'never'

export interface PqapFunctionRow {
  fc: number
  name: string
  purpose: string
  /** GR0 low-word bits that must be zero (FW-5): 41–47 or 42–47. */
  reservedMask: number
  takesApqn: boolean
  returnsStatus: boolean
  installed: Installed
}

export const GR0_RESERVED_41_47 = 0x007f0000
export const GR0_RESERVED_42_47 = 0x003f0000
export const GR0_T_BIT = 0x00800000
export const GR0_FC_SHIFT = 24
export const APQN_MASK = 0xffff
export const APXA_RANGE_MASK = 0xc0f0

export const PQAP_FUNCTIONS: readonly PqapFunctionRow[] = [
  {
    fc: 0x00,
    name: 'TAPQ',
    purpose: 'test AP queue',
    reservedMask: GR0_RESERVED_41_47,
    takesApqn: true,
    returnsStatus: true,
    installed: 'always',
  },
  {
    fc: 0x01,
    name: 'RAPQ',
    purpose: 'reset AP queue',
    reservedMask: GR0_RESERVED_42_47,
    takesApqn: true,
    returnsStatus: true,
    installed: 'always',
  },
  {
    fc: 0x02,
    name: 'ZAPQ',
    purpose: 'reset and zeroize AP queue',
    reservedMask: GR0_RESERVED_42_47,
    takesApqn: true,
    returnsStatus: true,
    installed: 'always',
  },
  {
    fc: 0x03,
    name: 'AQIC',
    purpose: 'AP queue interruption control',
    reservedMask: GR0_RESERVED_41_47,
    takesApqn: true,
    returnsStatus: true,
    installed: 'always',
  },
  {
    fc: 0x04,
    name: 'QCI',
    purpose: 'query configuration information',
    reservedMask: GR0_RESERVED_41_47,
    takesApqn: false,
    returnsStatus: false,
    installed: 'facility-12',
  },
  {
    fc: 0x05,
    name: 'QACT',
    purpose: 'query AP compatibility type',
    reservedMask: GR0_RESERVED_42_47,
    takesApqn: true,
    returnsStatus: true,
    installed: 'qci-c-bit',
  },
  {
    fc: 0x06,
    name: 'QBAP',
    purpose: 'query best AP (not used by Linux)',
    reservedMask: GR0_RESERVED_41_47,
    takesApqn: false,
    returnsStatus: false,
    installed: 'never',
  },
  {
    fc: 0x07,
    name: 'BAPQ',
    purpose: 'Secure Execution: bind queue',
    reservedMask: GR0_RESERVED_41_47,
    takesApqn: true,
    returnsStatus: true,
    installed: 'secure-execution',
  },
  {
    fc: 0x08,
    name: 'AAPQ',
    purpose: 'Secure Execution: associate queue',
    reservedMask: GR0_RESERVED_41_47,
    takesApqn: true,
    returnsStatus: true,
    installed: 'secure-execution',
  },
]

export const FC_TAPQ = 0
export const FC_RAPQ = 1
export const FC_ZAPQ = 2
export const FC_AQIC = 3
export const FC_QCI = 4
export const FC_QACT = 5

const FC_BY_NAME = new Map(PQAP_FUNCTIONS.map((r) => [r.name, r]))
export function pqapFunctionByName(name: string): PqapFunctionRow | undefined {
  return FC_BY_NAME.get(name.toUpperCase())
}
export function pqapFunction(fc: number): PqapFunctionRow | undefined {
  return fc < PQAP_FUNCTIONS.length ? PQAP_FUNCTIONS[fc] : undefined
}

// AP queue status word, GR1 low word (IBM bits 32–63).
export const STATUS_E = 0x80000000
export const STATUS_R = 0x40000000
export const STATUS_F = 0x20000000
export const STATUS_ASYNC = 0x02000000
export const STATUS_I = 0x01000000
export const STATUS_RC_SHIFT = 16
export const STATUS_RC_MASK = 0x00ff0000

export function statusWord(rc: number, flags = 0): number {
  return (flags | ((rc & 0xff) << STATUS_RC_SHIFT)) >>> 0
}
export function statusRc(word: number): number {
  return (word >>> STATUS_RC_SHIFT) & 0xff
}

// GR1 for AQIC (struct ap_qirq_ctrl): IR is IBM bit 16, i.e. bit 15 of the high word.
export const QIRQ_IR_HI = 0x00008000
export const QIRQ_GISC_HI_SHIFT = 8
export const QIRQ_ISC_LO = 0x7
export const QIRQ_GISA_LO = 0x7ffffff0

export interface ResponseCodeRow {
  rc: number
  name: string
  meaning: string
}

export const RESPONSE_CODES: readonly ResponseCodeRow[] = [
  { rc: 0x00, name: 'NORMAL', meaning: 'success' },
  { rc: 0x01, name: 'Q_NOT_AVAIL', meaning: 'the queue is not in this configuration (APM × AQM)' },
  { rc: 0x02, name: 'RESET_IN_PROGRESS', meaning: 'the queue is being reset' },
  { rc: 0x03, name: 'DECONFIGURED', meaning: 'adapter or domain deconfigured' },
  { rc: 0x04, name: 'CHECKSTOPPED', meaning: 'adapter check-stopped' },
  { rc: 0x05, name: 'BUSY', meaning: 'busy; retry' },
  { rc: 0x06, name: 'INVALID_ADDRESS', meaning: 'invalid address of the AP-queue notification byte' },
  { rc: 0x07, name: 'OTHERWISE_CHANGED', meaning: 'interruption state could not be changed as requested' },
  { rc: 0x08, name: 'INVALID_GISA', meaning: 'invalid ZONE/GISA designation' },
  { rc: 0x09, name: 'Q_BOUND_TO_ANOTHER', meaning: 'Secure Execution: queue bound to another guest' },
  { rc: 0x0a, name: 'STATE_CHANGE_IN_PROGRESS', meaning: 'state change in progress' },
  { rc: 0x0b, name: 'Q_NOT_BOUND', meaning: 'Secure Execution: queue not bound' },
  { rc: 0x10, name: 'Q_FULL', meaning: 'NQAP: queue full; DQAP: no reply pending (AP_RESPONSE_NO_PENDING_REPLY)' },
  { rc: 0x11, name: 'INDEX_TOO_BIG', meaning: 'index too big' },
  { rc: 0x13, name: 'NO_FIRST_PART', meaning: 'no first part' },
  { rc: 0x15, name: 'MESSAGE_TOO_BIG', meaning: 'message too big' },
  { rc: 0x16, name: 'REQ_FAC_NOT_INST', meaning: 'a required facility is not installed' },
  { rc: 0x42, name: 'INVALID_DOMAIN', meaning: 'invalid domain' },
]

export const RC = {
  NORMAL: 0x00,
  Q_NOT_AVAIL: 0x01,
  RESET_IN_PROGRESS: 0x02,
  DECONFIGURED: 0x03,
  CHECKSTOPPED: 0x04,
  BUSY: 0x05,
  INVALID_ADDRESS: 0x06,
  OTHERWISE_CHANGED: 0x07,
  INVALID_GISA: 0x08,
  Q_FULL: 0x10,
  NO_PENDING_REPLY: 0x10,
} as const

const RC_NAMES = new Map(RESPONSE_CODES.map((r) => [r.rc, r.name]))
export function rcName(rc: number): string {
  return RC_NAMES.get(rc) ?? `RC_${rc.toString(16).padStart(2, '0').toUpperCase()}`
}

export interface ProgramInterruptRow {
  code: number
  name: string
  use: string
}

export const PROGRAM_INTERRUPTS: readonly ProgramInterruptRow[] = [
  { code: 0x01, name: 'OPERATION', use: 'QEMU injects it for every PQAP/NQAP/DQAP intercept that reaches user space' },
  { code: 0x02, name: 'PRIVILEGED_OP', use: 'problem-state PQAP/NQAP/DQAP (FW-3); KVM for a problem-state AQIC' },
  { code: 0x04, name: 'PROTECTION', use: 'storage operands (not produced: guest memory has no key protection here)' },
  { code: 0x05, name: 'ADDRESSING', use: 'storage operand outside guest memory (QCI block, NQAP/DQAP buffers)' },
  { code: 0x06, name: 'SPECIFICATION', use: 'FW-4 to FW-8; KVM AQIC checks' },
]

export const PGM = {
  OPERATION: 0x01,
  PRIVILEGED_OP: 0x02,
  PROTECTION: 0x04,
  ADDRESSING: 0x05,
  SPECIFICATION: 0x06,
} as const
export type PgmCode = (typeof PGM)[keyof typeof PGM]

const PGM_NAMES = new Map(PROGRAM_INTERRUPTS.map((r) => [r.code, r.name]))
export function pgmName(code: number): string {
  return PGM_NAMES.get(code) ?? `PGM_${code.toString(16)}`
}

export interface FacilityRow {
  bit: number
  name: string
  qemuFeature: string | null
}

export const FACILITIES: readonly FacilityRow[] = [
  { bit: 12, name: 'AP Query Configuration Information (PQAP QCI)', qemuFeature: 'apqci' },
  { bit: 15, name: 'AP Facilities Test (APFT; TAPQ T bit)', qemuFeature: 'apft' },
  { bit: 65, name: 'AP Queue Interruption Control (AQIC)', qemuFeature: 'apqi' },
  { bit: 76, name: 'Message-security-assist extension 3 (selects the CRYCB format)', qemuFeature: null },
]

// SIE block `eca` bits (kvm_host.h).
export const ECA_APIE = 0x00000008
export const ECA_AIV = 0x00200000

export interface CrycbFormatRow {
  format: 0 | 1 | 2
  designation: number
  apcb: 'APCB0' | 'APCB1'
  apmBits: number
  aqmBits: number
  admBits: number
}

export const CRYCB_FORMATS: readonly CrycbFormatRow[] = [
  { format: 0, designation: 0x0, apcb: 'APCB0', apmBits: 64, aqmBits: 16, admBits: 16 },
  { format: 1, designation: 0x1, apcb: 'APCB0', apmBits: 64, aqmBits: 16, admBits: 16 },
  { format: 2, designation: 0x3, apcb: 'APCB1', apmBits: 256, aqmBits: 256, admBits: 256 },
]

export type CardType = 'CEX4' | 'CEX5' | 'CEX6' | 'CEX7' | 'CEX8'
export type CardMode = 'CCA' | 'EP11' | 'Accelerator'

export interface CardTypeRow {
  type: CardType
  apType: number
}

export const CARD_TYPES: readonly CardTypeRow[] = [
  { type: 'CEX4', apType: 10 },
  { type: 'CEX5', apType: 11 },
  { type: 'CEX6', apType: 12 },
  { type: 'CEX7', apType: 13 },
  { type: 'CEX8', apType: 14 },
]

export interface CardModeRow {
  mode: CardMode
  letter: 'A' | 'C' | 'P'
  /** TAPQ hwinfo bit in the high word of GR2 (IBM bits 3–5). */
  hwinfoHi: number
  lszcrypt: string
}

export const CARD_MODES: readonly CardModeRow[] = [
  { mode: 'Accelerator', letter: 'A', hwinfoHi: 0x08000000, lszcrypt: 'Accelerator' },
  { mode: 'CCA', letter: 'C', hwinfoHi: 0x10000000, lszcrypt: 'CCA-Coproc' },
  { mode: 'EP11', letter: 'P', hwinfoHi: 0x04000000, lszcrypt: 'EP11-Coproc' },
]

export const HWINFO_APXA_HI = 0x02000000
export const MAX_MSG_CHUNK = 4096
export const DEFAULT_MAX_MSG_SIZE = 12 * 1024
export const NIB_SET_VALUE = 0x01

export function maxMessageSize(ml: number): number {
  return ml > 0 ? ml * MAX_MSG_CHUNK : DEFAULT_MAX_MSG_SIZE
}

// NQAP / DQAP GR0 must-be-zero bits (FW-8), low word.
export const NQAP_MBZ = 0x80000000 | 0x20000000 | 0x10000000 | 0x00800000
export const DQAP_MBZ = 0x40000000 | 0x20000000 | 0x10000000 | 0x00800000 | 0x00400000

const APQN_TEXT: (string | undefined)[] = new Array<string | undefined>(0x10000)

/** `05.0004`: the same string object for the same APQN, so traces and keys compare it cheaply. */
export function formatApqn(apqn: number): string {
  const key = apqn & 0xffff
  return (APQN_TEXT[key] ??=
    `${((apqn >>> 8) & 0xff).toString(16).padStart(2, '0')}.${(apqn & 0xff).toString(16).padStart(4, '0')}`)
}

export function parseApqn(text: string): number | null {
  const m = /^([0-9a-fA-F]{1,2})\.([0-9a-fA-F]{1,4})$/.exec(text.trim())
  if (!m) return null
  const apid = parseInt(m[1]!, 16)
  const apqi = parseInt(m[2]!, 16)
  if (apqi > 0xff) return null
  return (apid << 8) | apqi
}
