// arch.ts data tables, row by row, against architecture.md.
import { describe, expect, it } from 'vitest'
import {
  APQN_MASK,
  APXA_RANGE_MASK,
  CARD_MODES,
  CARD_TYPES,
  CRYCB_FORMATS,
  DEFAULT_MAX_MSG_SIZE,
  DQAP_MBZ,
  ECA_AIV,
  ECA_APIE,
  FACILITIES,
  GR0_FC_SHIFT,
  GR0_RESERVED_41_47,
  GR0_RESERVED_42_47,
  GR0_T_BIT,
  HWINFO_APXA_HI,
  INSTRUCTIONS,
  MAX_MSG_CHUNK,
  NQAP_MBZ,
  PGM,
  PQAP_FUNCTIONS,
  PROGRAM_INTERRUPTS,
  QIRQ_GISA_LO,
  QIRQ_GISC_HI_SHIFT,
  QIRQ_IR_HI,
  QIRQ_ISC_LO,
  RC,
  RESPONSE_CODES,
  STATUS_ASYNC,
  STATUS_E,
  STATUS_F,
  STATUS_I,
  STATUS_R,
  STATUS_RC_MASK,
  STATUS_RC_SHIFT,
  formatApqn,
  maxMessageSize,
  parseApqn,
  pgmName,
  pqapFunction,
  pqapFunctionByName,
  rcName,
  statusRc,
  statusWord,
} from '../../src-main/engine/arch'

/** IBM bit n of a 64-bit register (bit 0 = MSB). */
const bit64 = (n: number): bigint => 1n << BigInt(63 - n)
/** The low word (bits 32–63) of a 64-bit mask. */
const lowWord = (m: bigint): number => Number(m & 0xffffffffn)
/** The high word (bits 0–31) of a 64-bit mask. */
const highWord = (m: bigint): number => Number(m >> 32n)
const bits64 = (from: number, to: number): bigint => {
  let m = 0n
  for (let b = from; b <= to; b++) m |= bit64(b)
  return m
}

describe('instruction encodings (§2)', () => {
  it.each([
    ['PQAP', 0xb2af, false],
    ['NQAP', 0xb2ad, true],
    ['DQAP', 0xb2ae, true],
  ] as const)('%s: opcode 0x%s, R1/R2 used = %s', (name, opcode, usesR1R2) => {
    const row = INSTRUCTIONS.find((r) => r.name === name)
    expect(row).toBeDefined()
    expect(row!.opcode).toBe(opcode)
    expect(row!.ipaLow).toBe(opcode & 0xff)
    expect(row!.usesR1R2).toBe(usesR1R2)
  })

  it('has exactly the three AP instructions', () => {
    expect(INSTRUCTIONS.map((r) => r.name).sort()).toEqual(['DQAP', 'NQAP', 'PQAP'])
  })
})

describe('PQAP function codes (§3.1, FW-4, FW-5, FW-6)', () => {
  // fc, name, installed (FW-4), reserved GR0 mask (FW-5; null = not stated), takes an APQN (FW-6), returns a status word (§4)
  const rows: [number, string, string, number | null, boolean | null, boolean | null][] = [
    [0x00, 'TAPQ', 'always', 0x007f0000, true, true],
    [0x01, 'RAPQ', 'always', 0x003f0000, true, true],
    [0x02, 'ZAPQ', 'always', 0x003f0000, true, true],
    [0x03, 'AQIC', 'always', 0x007f0000, true, true],
    [0x04, 'QCI', 'facility-12', 0x007f0000, false, false],
    [0x05, 'QACT', 'qci-c-bit', 0x003f0000, true, true],
    [0x06, 'QBAP', 'never', null, null, null],
    [0x07, 'BAPQ', 'secure-execution', null, true, true],
    [0x08, 'AAPQ', 'secure-execution', null, true, true],
  ]

  it.each(rows)('FC 0x%s is %s, installed: %s', (fc, name, installed, reserved, takesApqn, returnsStatus) => {
    const row = pqapFunction(fc)
    expect(row?.name).toBe(name)
    expect(row?.fc).toBe(fc)
    expect(row?.installed).toBe(installed)
    if (reserved !== null) expect(row?.reservedMask.toString(16)).toBe(reserved.toString(16))
    if (takesApqn !== null) expect(row?.takesApqn).toBe(takesApqn)
    if (returnsStatus !== null) expect(row?.returnsStatus).toBe(returnsStatus)
    expect(pqapFunctionByName(name)).toBe(row)
    expect(pqapFunctionByName(name.toLowerCase())).toBe(row)
  })

  it('covers FCs 0–8 and nothing else; FC 0x2a and ≥ 9 are not in the table', () => {
    expect(PQAP_FUNCTIONS.map((r) => r.fc)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8])
    for (const fc of [9, 0x2a, 0xff]) expect(pqapFunction(fc)).toBeUndefined()
    expect(pqapFunctionByName('AQIX')).toBeUndefined()
  })

  it('GR0 field masks (§3.2) are the low words of the architected 64-bit masks', () => {
    expect(GR0_T_BIT).toBe(lowWord(bit64(40)))
    expect(GR0_RESERVED_41_47).toBe(lowWord(bits64(41, 47)))
    expect(GR0_RESERVED_42_47).toBe(lowWord(bits64(42, 47)))
    expect(APQN_MASK).toBe(lowWord(bits64(48, 63)))
    expect((0xff << GR0_FC_SHIFT) >>> 0).toBe(lowWord(bits64(32, 39)))
  })

  it('APXA range mask 0xC0F0 catches APID ≥ 64 and APQI ≥ 16 only (§3.2)', () => {
    expect(APXA_RANGE_MASK).toBe(0xc0f0)
    for (let apid = 0; apid < 256; apid++)
      expect(((apid << 8) & APXA_RANGE_MASK) !== 0, `APID ${apid}`).toBe(apid >= 64)
    for (let apqi = 0; apqi < 256; apqi++)
      expect(((apqi & APXA_RANGE_MASK) !== 0) === apqi >= 16, `APQI ${apqi}`).toBe(true)
  })
})

describe('AP queue status word (§4)', () => {
  it.each([
    ['E', STATUS_E, 32],
    ['R', STATUS_R, 33],
    ['F', STATUS_F, 34],
    ['async', STATUS_ASYNC, 38],
    ['I', STATUS_I, 39],
  ] as const)('%s is GR1 bit %s', (_name, mask, bit) => {
    expect(mask >>> 0).toBe(lowWord(bit64(bit as number)))
  })

  it('RC is bits 40–47', () => {
    expect(STATUS_RC_MASK).toBe(lowWord(bits64(40, 47)))
    expect(STATUS_RC_SHIFT).toBe(16)
  })

  it('statusWord/statusRc round-trip every RC with any flags', () => {
    for (let rc = 0; rc < 256; rc++) {
      const w = statusWord(rc, STATUS_E | STATUS_I)
      expect(statusRc(w)).toBe(rc)
      expect((w & (STATUS_E | STATUS_I)) >>> 0).toBe((STATUS_E | STATUS_I) >>> 0)
      expect(w & 0xffff).toBe(0)
    }
  })
})

describe('AQIC qirq control in GR1 (§3.3)', () => {
  it('IR (bit 16) and GISC (bits 21–23) live in the high word', () => {
    expect(QIRQ_IR_HI).toBe(highWord(bit64(16)))
    expect(QIRQ_IR_HI).toBe(0x00008000)
    expect(7 << QIRQ_GISC_HI_SHIFT).toBe(highWord(bits64(21, 23)))
  })
  it('ISC (bits 61–63) and the GISA origin (bits 33–59) live in the low word', () => {
    expect(QIRQ_ISC_LO).toBe(lowWord(bits64(61, 63)))
    expect(QIRQ_GISA_LO).toBe(lowWord(bits64(33, 59)))
  })
})

describe('response codes (§9)', () => {
  const spec: [number, string][] = [
    [0x00, 'NORMAL'],
    [0x01, 'Q_NOT_AVAIL'],
    [0x02, 'RESET_IN_PROGRESS'],
    [0x03, 'DECONFIGURED'],
    [0x04, 'CHECKSTOPPED'],
    [0x05, 'BUSY'],
    [0x06, 'INVALID_ADDRESS'],
    [0x07, 'OTHERWISE_CHANGED'],
    [0x08, 'INVALID_GISA'],
    [0x09, 'Q_BOUND_TO_ANOTHER'],
    [0x0a, 'STATE_CHANGE_IN_PROGRESS'],
    [0x0b, 'Q_NOT_BOUND'],
    [0x10, 'Q_FULL'],
    [0x11, 'INDEX_TOO_BIG'],
    [0x13, 'NO_FIRST_PART'],
    [0x15, 'MESSAGE_TOO_BIG'],
    [0x16, 'REQ_FAC_NOT_INST'],
    [0x42, 'INVALID_DOMAIN'],
  ]

  it.each(spec)('RC 0x%s is AP_RESPONSE_%s', (rc, name) => {
    expect(rcName(rc)).toBe(name)
    const row = RESPONSE_CODES.find((r) => r.rc === rc)
    expect(row?.name).toBe(name)
    expect(row?.meaning.length).toBeGreaterThan(0)
  })

  it('lists exactly the modelled RCs: no Secure Execution bind codes 0x30–0x36, never the software value 0xFF', () => {
    expect(RESPONSE_CODES.map((r) => r.rc)).toEqual(spec.map(([rc]) => rc))
    expect(RESPONSE_CODES.find((r) => r.rc === 0xff)).toBeUndefined()
  })

  it('0x10 is both Q_FULL (NQAP) and NO_PENDING_REPLY (DQAP)', () => {
    expect(RC.Q_FULL).toBe(0x10)
    expect(RC.NO_PENDING_REPLY).toBe(0x10)
    expect(RESPONSE_CODES.find((r) => r.rc === 0x10)?.meaning).toMatch(/no reply pending/i)
  })

  it('RC constants match the table', () => {
    for (const [key, value] of Object.entries(RC)) {
      if (key === 'NO_PENDING_REPLY') continue
      expect(rcName(value), key).toBe(key)
    }
  })
})

describe('program-interruption codes (§10)', () => {
  it.each([
    [0x01, /^OPERATION$/],
    [0x02, /^PRIVILEGED/],
    [0x04, /^PROTECTION$/],
    [0x05, /^ADDRESSING$/],
    [0x06, /^SPECIFICATION$/],
  ] as const)('PGM 0x%s', (code, name) => {
    expect(pgmName(code)).toMatch(name)
    expect(PROGRAM_INTERRUPTS.find((r) => r.code === code)).toBeDefined()
  })

  it('has no other codes (execute 0x03, data 0x07 are not produced)', () => {
    expect(PROGRAM_INTERRUPTS.map((r) => r.code)).toEqual([0x01, 0x02, 0x04, 0x05, 0x06])
    expect(Object.values(PGM).sort()).toEqual([0x01, 0x02, 0x04, 0x05, 0x06])
  })
})

describe('facilities and QEMU features (§11)', () => {
  it.each([
    [12, 'apqci'],
    [15, 'apft'],
    [65, 'apqi'],
    [76, null],
  ] as const)('STFLE bit %s → QEMU feature %s', (bit, feature) => {
    expect(FACILITIES.find((f) => f.bit === bit)?.qemuFeature).toBe(feature)
  })

  it('has no feature called aqic', () => {
    expect(FACILITIES.map((f) => f.qemuFeature)).not.toContain('aqic')
    expect(FACILITIES).toHaveLength(4)
  })
})

describe('SIE controls and CRYCB (§12)', () => {
  it('ECA_APIE is ECA bit 28 and ECA_AIV is ECA bit 10 of a 32-bit word', () => {
    expect(ECA_APIE).toBe(1 << (31 - 28))
    expect(ECA_AIV).toBe(1 << (31 - 10))
  })

  it.each([
    [0, 0x0, 'APCB0', 64, 16, 16],
    [1, 0x1, 'APCB0', 64, 16, 16],
    [2, 0x3, 'APCB1', 256, 256, 256],
  ] as const)(
    'format %s: designation 0x%s, %s, APM %s / AQM %s / ADM %s bits',
    (format, designation, apcb, apm, aqm, adm) => {
      const row = CRYCB_FORMATS.find((r) => r.format === format)
      expect(row).toEqual({ format, designation, apcb, apmBits: apm, aqmBits: aqm, admBits: adm })
    },
  )

  it("KVM's APXA test crycbd & 0x02 is true for format 2 only", () => {
    expect(CRYCB_FORMATS.filter((r) => (r.designation & 0x02) !== 0).map((r) => r.format)).toEqual([2])
    for (const r of CRYCB_FORMATS) expect(r.designation & 0x3).toBe(r.designation)
  })
})

describe('card types and modes (§13.1, §6)', () => {
  it.each([
    ['CEX4', 10],
    ['CEX5', 11],
    ['CEX6', 12],
    ['CEX7', 13],
    ['CEX8', 14],
  ] as const)('%s is AP type %s', (type, apType) => {
    expect(CARD_TYPES.find((t) => t.type === type)?.apType).toBe(apType)
  })

  it('models only types 10–14', () => {
    expect(CARD_TYPES.map((t) => t.apType)).toEqual([10, 11, 12, 13, 14])
  })

  it.each([
    ['Accelerator', 'A', 4, 'Accelerator'],
    ['CCA', 'C', 3, 'CCA-Coproc'],
    ['EP11', 'P', 5, 'EP11-Coproc'],
  ] as const)('mode %s: letter %s, hwinfo bit %s, lszcrypt %s', (mode, letter, bit, text) => {
    const row = CARD_MODES.find((m) => m.mode === mode)
    expect(row?.letter).toBe(letter)
    expect(row?.hwinfoHi).toBe(highWord(bit64(bit)))
    expect(row?.lszcrypt).toBe(text)
  })

  it('APXA installed is hwinfo bit 6', () => {
    expect(HWINFO_APXA_HI).toBe(highWord(bit64(6)))
  })
})

describe('maximum message size (§6, OQ-15)', () => {
  it('is 12 KiB for ML 0', () => {
    expect(maxMessageSize(0)).toBe(12288)
    expect(DEFAULT_MAX_MSG_SIZE).toBe(12 * 1024)
  })
  it.each([1, 2, 3, 4, 8, 15])('is ML × 4096 for ML %s', (ml) => {
    expect(maxMessageSize(ml)).toBe(ml * 4096)
    expect(MAX_MSG_CHUNK).toBe(4096)
  })
})

describe('NQAP/DQAP must-be-zero GR0 bits (FW-8)', () => {
  it('NQAP: bits 32, 34, 35, 40', () => {
    expect(NQAP_MBZ >>> 0).toBe(lowWord(bit64(32) | bit64(34) | bit64(35) | bit64(40)))
  })
  it('DQAP: bits 33, 34, 35, 40, 41', () => {
    expect(DQAP_MBZ >>> 0).toBe(lowWord(bit64(33) | bit64(34) | bit64(35) | bit64(40) | bit64(41)))
  })
  it('leave the flag bits free: NQAP L (33) and special (41), DQAP bit 32', () => {
    expect(NQAP_MBZ & lowWord(bit64(33) | bit64(41))).toBe(0)
    expect(DQAP_MBZ & lowWord(bit64(32))).toBe(0)
  })
})

describe('APQN notation (§13.2)', () => {
  it.each([
    [0x0504, '05.0004'],
    [0x0aab, '0a.00ab'],
    [0x0000, '00.0000'],
    [0xffff, 'ff.00ff'],
    [0x3f0f, '3f.000f'],
  ])('0x%s is written %s and read back', (apqn, text) => {
    expect(formatApqn(apqn)).toBe(text)
    expect(parseApqn(text)).toBe(apqn)
  })

  it.each(['0x05.0x0004', '05', '05.', '.0004', '05.0100', '123.0004', 'zz.0004', ''])('rejects %j', (text) => {
    expect(parseApqn(text)).toBeNull()
  })
})
