// Splits outcome phrases (`cc 1, RC 0x00 NORMAL [E I] in GR1 bits 32–63 (vfio_ap)`) into their
// guest-visible fields, so a diff can mark exactly the fields that changed.

export interface OutcomePart {
  text: string
  /** The field it shows (cc, rc, flags, placement, layer, pgm), or null for separators. */
  key: string | null
  /** Whether the other side shows this field differently (or not at all). */
  changed: boolean
}

const FIELD_RE =
  /(cc \d)|(RC 0x[0-9a-f]+ [A-Z_]+)|(\[[A-Z ]*\])|(in GR1 bits [0-9]+[–-][0-9]+)|(\((?:firmware|kvm|vfio_ap|qemu)\))|(guest does not start)|([A-Z][A-Z_]{2,})/g
const KEYS = ['cc', 'rc', 'flags', 'placement', 'layer', 'start', 'pgm'] as const

function tokens(s: string): { text: string; key: string | null }[] {
  const out: { text: string; key: string | null }[] = []
  let at = 0
  for (const m of s.matchAll(FIELD_RE)) {
    if (m.index > at) out.push({ text: s.slice(at, m.index), key: null })
    const group = m.slice(1).findIndex((g) => g !== undefined)
    out.push({ text: m[0], key: KEYS[group] ?? 'other' })
    at = m.index + m[0].length
  }
  if (at < s.length) out.push({ text: s.slice(at), key: out.length === 0 ? 'all' : null })
  return out
}

/** Both sides of a change, field by field, with the fields that differ marked. */
export function diffOutcomes(before: string, after: string): { before: OutcomePart[]; after: OutcomePart[] } {
  const a = tokens(before)
  const b = tokens(after)
  const fieldsOf = (ts: { text: string; key: string | null }[]) => {
    const m = new Map<string, string>()
    for (const t of ts) if (t.key) m.set(t.key, t.text)
    return m
  }
  const fa = fieldsOf(a)
  const fb = fieldsOf(b)
  const mark = (ts: { text: string; key: string | null }[], other: Map<string, string>) =>
    ts.map((t) => ({ ...t, changed: t.key !== null && before !== after && other.get(t.key) !== t.text }))
  return { before: mark(a, fb), after: mark(b, fa) }
}

/**
 * A row coordinate for people: `x`, a value, `a|b`, or — for a set holding more than half of the
 * values of a dimension with six or more — `≠c|d`, the values it leaves out (as `aplab diff`).
 */
export function presentCoord(dim: { values: readonly { id: string }[] }, coord: string): string {
  if (coord === 'x' || !coord.includes('|') || dim.values.length < 6) return coord
  const inSet = new Set(coord.split('|'))
  if (inSet.size * 2 <= dim.values.length) return coord
  return '≠' + dim.values.flatMap((v) => (inSet.has(v.id) ? [] : [v.id])).join('|')
}
