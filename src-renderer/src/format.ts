// Display formatting shared by every screen: hex, APQNs, dates, switch values.

/** Lowercase hex with `0x`, zero-padded to an even number of digits (at least `minDigits`). */
export function hex(n: number, minDigits = 2): string {
  const digits = Math.max(0, Math.trunc(n)).toString(16)
  const width = Math.max(minDigits, digits.length + (digits.length % 2))
  return '0x' + digits.padStart(width, '0')
}

/** An AP queue number as the kernel's sysfs writes it: adapter `05`, domain `0004` → `05.0004`. */
export function formatApqn(adapter: number, domain: number): string {
  return adapter.toString(16).padStart(2, '0') + '.' + domain.toString(16).padStart(4, '0')
}

/** A profile date, prefixed with `~` when the date is approximate. */
export function formatDate(date: string, approx: boolean): string {
  return (approx ? '~' : '') + date
}

/** Switches whose numbers are codes or masks (shown in hex); other numbers (condition codes) stay decimal. */
function isHexKey(key: string): boolean {
  return /(Rc|Mask|Rewrite)$/.test(key)
}

function isFromTo(v: object): v is { from: number; to: number } {
  const o = v as Record<string, unknown>
  return typeof o.from === 'number' && typeof o.to === 'number' && Object.keys(o).length === 2
}

/** Renders a behaviour-switch value for people: `0x30f0`, `0x08 → 0x06`, `—` for null. */
export function formatSwitchValue(key: string, value: unknown): string {
  if (value === null || value === undefined) return '—'
  if (typeof value === 'boolean') return value ? 'true' : 'false'
  if (typeof value === 'number') return isHexKey(key) ? hex(value) : String(value)
  if (typeof value === 'string') return value
  if (Array.isArray(value)) return value.length === 0 ? '—' : value.map((v) => formatSwitchValue(key, v)).join(', ')
  if (typeof value === 'object') {
    if (isFromTo(value)) return `${hex(value.from)} → ${hex(value.to)}`
    return JSON.stringify(value)
  }
  return String(value)
}

/** CSS class describing a value's kind, so true/false/null can be told apart at a glance. */
export function valueKind(value: unknown): string {
  if (value === null || value === undefined) return 'v-null'
  if (typeof value === 'boolean') return value ? 'v-true' : 'v-false'
  return 'v-other'
}
