// Interning of step outcomes. A step's outcome is everything in its results@1 record except where
// and when it ran (index, atUs): instruction, registers in and out, cc or program exception,
// status, deciding rule and trace. Lab programs loop, so a run of millions of steps has few
// distinct outcomes; a consumer (the store) keeps each once and refers to it from every step.
// A key is a list of numbers and a list of strings, compared exactly; the hash only picks the bucket.

/** Outcomes remembered per run; later new outcomes still get ids, each one its own. */
export const MAX_REMEMBERED = 1 << 16
/** Keys with equal words and texts that internLoose keeps apart by their extra values. */
export const MAX_VARIANTS = 4

export const KEY_NUMBER = 0
export const KEY_STRING = 1
export const KEY_ABSENT = 2
export const KEY_UNDEFINED = 3

interface StoredKey {
  words: Float64Array
  texts: string[]
}

export class OutcomeInterner {
  /** Id of the last interned key: below MAX_REMEMBERED when remembered, else a one-off id. */
  id = 0
  private words = new Float64Array(64)
  private readonly texts: string[] = []
  private nw = 0
  private nt = 0
  private remembered = 0
  private oneOff = MAX_REMEMBERED
  private readonly keys: StoredKey[] = []
  private readonly extras: unknown[] = []
  private readonly buckets = new Map<number, number | number[]>()

  begin(): void {
    this.nw = 0
    this.nt = 0
  }

  word(x: number): void {
    if (this.nw === this.words.length) {
      const grown = new Float64Array(this.words.length * 2)
      grown.set(this.words)
      this.words = grown
    }
    this.words[this.nw++] = x
  }

  text(s: string): void {
    this.texts[this.nt++] = s
  }

  /** Finds or adds the key built since `begin`; true when it is new. Sets `id`. */
  intern(): boolean {
    const h = this.hash()
    const bucket = this.buckets.get(h)
    const id = this.find(bucket, null)
    if (id >= 0) {
      this.id = id
      return false
    }
    this.add(h, bucket)
    return true
  }

  /**
   * intern() for a key that leaves some values out (trace arguments): a remembered key with equal
   * words and texts matches when `same(itsExtra)` holds. Comparing those values directly costs less
   * than hashing them into every key. 'crowded' when MAX_VARIANTS such keys exist and none
   * matches: the caller then interns a key with the values in it (and a word that tells it apart).
   */
  internLoose(same: (extra: unknown) => boolean, extra: () => unknown): 'found' | 'new' | 'crowded' {
    const h = this.hash()
    const bucket = this.buckets.get(h)
    const id = this.find(bucket, same)
    if (id >= 0) {
      this.id = id
      return 'found'
    }
    if (this.variants >= MAX_VARIANTS) return 'crowded'
    this.add(h, bucket)
    if (this.id < MAX_REMEMBERED) this.extras[this.id] = extra()
    return 'new'
  }

  /** Variants the last `find` passed over: remembered keys equal to this one whose extra values differ. */
  private variants = 0

  /** The remembered key in `bucket` equal to the one being built (and accepted by `same`), or -1. */
  private find(bucket: number | number[] | undefined, same: ((extra: unknown) => boolean) | null): number {
    this.variants = 0
    if (bucket === undefined) return -1
    const n = typeof bucket === 'number' ? 1 : bucket.length
    for (let i = 0; i < n; i++) {
      const id = typeof bucket === 'number' ? bucket : bucket[i]!
      if (!this.matches(id)) continue
      if (same === null || same(this.extras[id])) return id
      this.variants++
    }
    return -1
  }

  private hash(): number {
    const words = this.words
    const texts = this.texts
    let h = 0x811c9dc5 ^ this.nw
    for (let i = 0; i < this.nw; i++) h = Math.imul(h ^ (words[i]! | 0), 0x01000193)
    for (let i = 0; i < this.nt; i++) {
      const s = texts[i]!
      h = Math.imul(h ^ s.length, 0x01000193)
      for (let j = 0; j < s.length; j++) h = Math.imul(h ^ s.charCodeAt(j), 0x01000193)
    }
    return h
  }

  private add(h: number, bucket: number | number[] | undefined): void {
    if (this.remembered >= MAX_REMEMBERED) {
      this.id = this.oneOff++
      return
    }
    const id = this.remembered++
    this.keys.push({ words: this.words.slice(0, this.nw), texts: this.texts.slice(0, this.nt) })
    if (bucket === undefined) this.buckets.set(h, id)
    else if (typeof bucket === 'number') this.buckets.set(h, [bucket, id])
    else bucket.push(id)
    this.id = id
  }

  private matches(id: number): boolean {
    const k = this.keys[id]!
    if (k.words.length !== this.nw || k.texts.length !== this.nt) return false
    const words = this.words
    for (let i = 0; i < this.nw; i++) if (k.words[i] !== words[i]) return false
    for (let i = 0; i < this.nt; i++) if (k.texts[i] !== this.texts[i]) return false
    return true
  }
}
