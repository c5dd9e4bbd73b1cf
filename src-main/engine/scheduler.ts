// The run queue of the lab: vCPUs ordered by the virtual time they are ready at; vCPUs ready at
// the same microsecond are ordered by a seeded random key, so runs are deterministic per seed.

export interface Schedulable {
  readyUs: number
  /** Tie-break key drawn from the seeded generator when the entry is queued. */
  tie: number
}

function before(a: Schedulable, b: Schedulable): boolean {
  return a.readyUs < b.readyUs || (a.readyUs === b.readyUs && a.tie < b.tie)
}

/** A binary min-heap on (readyUs, tie). */
export class RunQueue<T extends Schedulable> {
  private readonly items: T[] = []

  get size(): number {
    return this.items.length
  }

  peek(): T | undefined {
    return this.items[0]
  }

  push(item: T): void {
    const a = this.items
    a.push(item)
    let i = a.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!before(a[i]!, a[parent]!)) break
      ;[a[i], a[parent]] = [a[parent]!, a[i]!]
      i = parent
    }
  }

  pop(): T | undefined {
    const a = this.items
    const top = a[0]
    const last = a.pop()
    if (a.length > 0 && last !== undefined) {
      a[0] = last
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        const r = l + 1
        let m = i
        if (l < a.length && before(a[l]!, a[m]!)) m = l
        if (r < a.length && before(a[r]!, a[m]!)) m = r
        if (m === i) break
        ;[a[i], a[m]] = [a[m]!, a[i]!]
        i = m
      }
    }
    return top
  }
}

/** xorshift32: the seeded generator for tie-breaks. */
export function seededRandom(seed: number): () => number {
  let x = seed >>> 0 || 0x9e3779b9
  return () => {
    x ^= x << 13
    x >>>= 0
    x ^= x >>> 17
    x ^= x << 5
    x >>>= 0
    return x
  }
}
