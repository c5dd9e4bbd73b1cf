// A vCPU's 16 GPRs are kept as 32 unsigned 32-bit halves: index 2n is IBM bits 0–31 of GPRn
// (the high word), 2n+1 bits 32–63. Every architected AP field except the AQIC control's IR,
// GISC and zone lives in a low word, so the hot path never needs BigInt.

export interface Psw {
  problem: boolean
  cc: 0 | 1 | 2 | 3
}

export interface Vcpu {
  readonly id: number
  readonly gprs: Uint32Array
  readonly psw: Psw
}

export function newVcpu(id: number): Vcpu {
  return { id, gprs: new Uint32Array(32), psw: { problem: false, cc: 0 } }
}

export function hi(v: Vcpu, r: number): number {
  return v.gprs[2 * r]!
}
export function lo(v: Vcpu, r: number): number {
  return v.gprs[2 * r + 1]!
}
export function setGpr(v: Vcpu, r: number, high: number, low: number): void {
  v.gprs[2 * r] = high
  v.gprs[2 * r + 1] = low
}

export const BYTE_HEX: readonly string[] = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'))

/** Exactly 8 lowercase hex digits of an unsigned 32-bit value. */
export function hex8(n: number): string {
  return BYTE_HEX[(n >>> 24) & 0xff]! + BYTE_HEX[(n >>> 16) & 0xff]! + BYTE_HEX[(n >>> 8) & 0xff]! + BYTE_HEX[n & 0xff]!
}

export function hex64(high: number, low: number): string {
  return '0x' + hex8(high) + hex8(low)
}

export function gprHex(v: Pick<Vcpu, 'gprs'>, r: number): string {
  return hex64(v.gprs[2 * r]!, v.gprs[2 * r + 1]!)
}

export type RegisterValue = string | number

/** Parses a 64-bit register value; returns null with a reason when it is not one. */
export function parse64(value: RegisterValue): { hi: number; lo: number } | { error: string } {
  let big: bigint
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 0) return { error: `expected a non-negative integer, got ${value}` }
    big = BigInt(value)
  } else {
    const text = value.trim().replace(/_/g, '')
    if (!/^(0x[0-9a-fA-F]+|[0-9]+)$/.test(text)) return { error: `expected hex (0x…) or decimal, got '${value}'` }
    big = BigInt(text)
  }
  if (big > 0xffffffffffffffffn) return { error: `value does not fit in 64 bits: '${value}'` }
  return { hi: Number(big >> 32n), lo: Number(big & 0xffffffffn) }
}

export function toBigInt(high: number, low: number): bigint {
  return (BigInt(high >>> 0) << 32n) | BigInt(low >>> 0)
}
