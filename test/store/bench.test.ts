// The store benchmark's helper runs end to end at a tiny size (the real figures come from `npm run bench`).
import { readdirSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { runStoreBench, tapqStormSession } from '../../src-main/store/bench'
import { parseSession } from '../../src-main/engine/session'
import { tempDir } from './helpers'

describe('store bench', () => {
  it('measures writes against the one-column reference and times the Runs screen queries', () => {
    const tmp = tempDir('aplab-bench-test-')
    try {
      const r = runStoreBench({ dir: tmp.dir, rows: 3000, rounds: 2, runs: 30, rowsPerRun: 200, repeats: 3 })
      expect(r.rowsPerSec).toBeGreaterThan(0)
      expect(r.referenceRowsPerSec).toBeGreaterThan(0)
      expect(r.ratio).toBeCloseTo(r.rowsPerSec / r.referenceRowsPerSec, 3)
      // One guest: its first TAPQ sees GR1 and GR2 zero, every later one the previous result.
      expect(r.write).toMatchObject({ rows: 3000, trace: true, outcomes: 2 })
      expect(r.writeNoTrace).toMatchObject({ rows: 3000, trace: false, outcomes: 2 })
      expect(r.write.rounds).toHaveLength(2)
      expect(r.write.bestRatio).toBe(Math.max(...r.write.rounds.map((x) => x.ratio)))
      expect(r.write.rounds.map((x) => x.ratio)).toContain(r.write.ratio)
      expect(r.queries).toMatchObject({ runs: 30, rowsPerRun: 200, rows: 6000 })
      for (const q of [
        'listRunsPage',
        'listRunsByStatus',
        'openRunFirstPage',
        'openRunGuestPage',
        'openRunDeepPage',
      ] as const) {
        expect(r.queries![q].medianMs).toBeGreaterThanOrEqual(0)
      }
      // Its temporary databases are gone.
      expect(readdirSync(tmp.dir)).toEqual([])
    } finally {
      tmp.cleanup()
    }
  })

  it('tapqStormSession spreads rows over guests of at most 99,999 steps', () => {
    const s = parseSession(tapqStormSession(250_000))
    expect(s.guests).toHaveLength(3)
    expect(s.guests.reduce((n, g) => n + g.vcpus[0]!.program.length - 1, 0)).toBe(250_000)
  })
})
