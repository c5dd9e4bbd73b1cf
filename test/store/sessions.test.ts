// Saved sessions, and imports of session and results files: everything is checked before anything
// is written, so a hostile or broken file leaves the database exactly as it was.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { EXAMPLE_SESSIONS } from '../../src-main/engine/examples'
import { LabError } from '../../src-main/service/errors'
import { MAX_IMPORT_BYTES, openStore, type Store } from '../../src-main/store'
import { bytes, tempDir } from './helpers'

let tmp: ReturnType<typeof tempDir>
let store: Store
let path: string
beforeEach(() => {
  tmp = tempDir()
  path = tmp.file('s.db')
  store = openStore(path)
})
afterEach(() => {
  store.close()
  tmp.cleanup()
})

const minimal = { format: 'aplab/session@1', name: 'minimal', host: { kernel: 'linux-6.8' } }

function catchLab(fn: () => unknown): LabError {
  try {
    fn()
  } catch (e) {
    if (e instanceof LabError) return e
    throw e
  }
  throw new Error('expected a LabError')
}

/** Row counts of every table and SQLite's change counter: "nothing was written" means all equal. */
function snapshot(): string {
  const tables = store.db
    .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
    .pluck()
    .all() as string[]
  const counts = tables.map((t) => `${t}=${String(store.db.prepare(`SELECT count(*) FROM "${t}"`).pluck().get())}`)
  return counts.join(' ') + ` changes=${store.db.prepare('SELECT total_changes()').pluck().get() as number}`
}

describe('sessions', () => {
  it('store, list, reread, update, export and delete', () => {
    const doc = EXAMPLE_SESSIONS[0]!
    const { id } = store.saveSession({ document: doc })
    expect(store.getSession(id).document).toEqual(doc)
    const [row] = store.listSessions()
    expect(row).toMatchObject({ id, name: doc.name, kernel: 'linux-6.8', guests: 2, runs: 0, lastRun: null })
    expect(row!.description).toBe(doc.description)

    // Reopen: the session is on disk.
    store.close()
    store = openStore(path)
    expect(store.getSession(id).document).toEqual(doc)

    // Update in place, renaming it: the document's name follows.
    expect(store.saveSession({ id, name: 'renamed', document: minimal })).toEqual({ id })
    const again = store.getSession(id)
    expect(again.name).toBe('renamed')
    expect(again.document).toEqual({ ...minimal, name: 'renamed' })
    expect(again.updated >= again.created).toBe(true)

    const out = store.exportSession(id)
    expect(out.fileName).toBe('renamed.session.json')
    expect(JSON.parse(out.text)).toEqual({ ...minimal, name: 'renamed' })
    // The export imports again as an equal session.
    const back = store.importSession(out.text)
    expect(store.getSession(back.id).document).toEqual(store.getSession(id).document)

    expect(store.deleteSession(id)).toEqual({ id, deleted: true })
    expect(catchLab(() => store.getSession(id)).code).toBe('not-found')
    expect(catchLab(() => store.deleteSession(id)).code).toBe('not-found')
    expect(catchLab(() => store.saveSession({ id: 999, document: minimal })).code).toBe('not-found')
  })

  it('every built-in example round-trips through import and export', () => {
    for (const ex of EXAMPLE_SESSIONS) {
      const { id, name } = store.importSession(JSON.stringify(ex))
      expect(name).toBe(ex.name)
      expect(JSON.parse(store.exportSession(id).text)).toEqual(ex)
    }
    expect(store.listSessions()).toHaveLength(EXAMPLE_SESSIONS.length)
  })

  it('an invalid document is refused with the field, and nothing is written', () => {
    const before = snapshot()
    const e1 = catchLab(() => store.saveSession({ document: { ...minimal, host: { kernel: 'linux-0.1' } } }))
    expect(e1).toMatchObject({ code: 'invalid-input', field: 'host.kernel' })
    const e2 = catchLab(() => store.saveSession({ document: { ...minimal, colour: 'red' } }))
    expect(e2).toMatchObject({ code: 'invalid-input', field: 'colour' })
    expect(e2.message).toMatch(/unknown field/)
    expect(snapshot()).toBe(before)
  })
})

describe('hostile and malformed imports', () => {
  const deep = (n: number) => '['.repeat(n) + ']'.repeat(n)
  const deepObject = (n: number) => {
    let v: unknown = 1
    for (let i = 0; i < n; i++) v = { a: v }
    return v
  }
  const sessionCases: [string, () => string, string | RegExp, RegExp][] = [
    ['not JSON', () => '{"format": "aplab/session@1",', 'text', /not valid JSON/],
    ['an array', () => '[]', '(document)', /JSON object/],
    [
      'no format tag',
      () => JSON.stringify({ name: 'x', host: { kernel: 'linux-6.8' } }),
      'format',
      /expected 'aplab\/session@1', found nothing/,
    ],
    [
      'the wrong format tag',
      () => JSON.stringify({ ...minimal, format: 'aplab/session@2' }),
      'format',
      /found 'aplab\/session@2'/,
    ],
    [
      'a results file',
      () => JSON.stringify({ format: 'aplab/results@1', session: 'x', seed: 1, guests: [] }),
      'format',
      /found 'aplab\/results@1'/,
    ],
    ['a string seed', () => JSON.stringify({ ...minimal, seed: '1' }), 'seed', /number/],
    ['a number for the name', () => JSON.stringify({ ...minimal, name: 7 }), 'name', /string/],
    ['guests as an object', () => JSON.stringify({ ...minimal, guests: { g1: {} } }), 'guests', /array/],
    [
      'a huge number',
      () => JSON.stringify(minimal).replace('}}', '}, "seed": 18446744073709551616}'),
      'seed',
      /safe|2\^53/,
    ],
    ['1e400', () => JSON.stringify(minimal).replace('}}', '}, "seed": 1e400}'), 'seed', /Infinity/],
    ['a fraction', () => JSON.stringify({ ...minimal, seed: 1.5 }), 'seed', /integers/],
    [
      'a huge number deep inside',
      () =>
        JSON.stringify({
          ...minimal,
          guests: [{ name: 'g', qemu: 'qemu-8.2', vcpus: [{ program: [{ set: { r0: 2 ** 60 } }] }] }],
        }),
      'guests[0].vcpus[0].program[0].set.r0',
      /integers/,
    ],
    [
      '10,000-deep nesting',
      () => `{"format":"aplab/session@1","name":"x","host":{"kernel":"linux-6.8"},"description":${deep(10_000)}}`,
      'text',
      /nested deeper than 64 levels/,
    ],
    [
      '10,000-deep objects',
      () => JSON.stringify({ ...minimal, description: 'x' }).replace('"x"', JSON.stringify(deepObject(100))),
      'text',
      /nested deeper than 64/,
    ],
    [
      'a 20 MB string',
      () => JSON.stringify({ ...minimal, description: 'x'.repeat(20 * 1024 * 1024) }),
      'text',
      /larger than 16 MiB/,
    ],
    [
      'a 2 MB description',
      () => JSON.stringify({ ...minimal, description: 'x'.repeat(2 * 1024 * 1024) }),
      'description',
      /Too big|10000/,
    ],
    [
      'a guest with an unknown mdev',
      () => JSON.stringify({ ...minimal, guests: [{ name: 'g', qemu: 'qemu-8.2', mdev: 'nope' }] }),
      'guests[0].mdev',
      /no mdev/,
    ],
  ]

  it.each(sessionCases)('session file with %s is rejected, nothing written', (_what, make, field, message) => {
    const text = make()
    const before = snapshot()
    const fileBefore = bytes(path)
    const e = catchLab(() => store.importSession(text))
    expect(e.code).toBe('invalid-input')
    expect(e.field).toBe(field)
    expect(e.message).toMatch(message)
    expect(snapshot()).toBe(before)
    expect(bytes(path).equals(fileBefore)).toBe(true)
  })

  it('a deeply nested document passed as an object (IPC, HTTP) is rejected too', () => {
    const before = snapshot()
    const e = catchLab(() => store.saveSession({ document: { ...minimal, description: deepObject(10_000) } }))
    expect(e).toMatchObject({ code: 'invalid-input' })
    expect(e.message).toMatch(/nested deeper than 64/)
    const e2 = catchLab(() => store.saveSession({ document: { ...minimal, seed: 2 ** 60 } }))
    expect(e2).toMatchObject({ code: 'invalid-input', field: 'seed' })
    expect(snapshot()).toBe(before)
  })

  it('input that is not text is refused', () => {
    expect(catchLab(() => store.importSession(42)).message).toMatch(/must be JSON text/)
    expect(catchLab(() => store.importRun(null)).message).toMatch(/must be JSON text/)
    expect(MAX_IMPORT_BYTES).toBe(16 * 1024 * 1024)
  })

  const goodResults = () => ({
    format: 'aplab/results@1',
    session: 's',
    runId: '1',
    seed: 1,
    kernel: 'linux-6.8',
    guests: [
      {
        name: 'g1',
        qemu: 'qemu-8.2',
        started: true,
        startError: null,
        warnings: [],
        vcpus: [
          {
            steps: [
              {
                index: 0,
                insn: 'PQAP',
                fc: 0,
                fcName: 'TAPQ',
                atUs: 0,
                regsIn: { r0: '0x0000000000000504' },
                pgm: null,
                cc: 0,
                regsOut: { r1: '0x0000000080000000' },
                status: { rc: 0, rcName: 'NORMAL', E: 1, R: 0, F: 0, I: 0 },
                statusPlacement: 'lo',
                handledBy: 'firmware',
                rule: 'fw.tapq',
                trace: [],
              },
            ],
          },
        ],
      },
    ],
    events: [],
    hostLog: [],
    endUs: 0,
    counts: { steps: 1, instructions: 1, interrupts: 0 },
  })
  type Results = ReturnType<typeof goodResults>
  const step = (r: Results) => r.guests[0]!.vcpus[0]!.steps[0]! as Record<string, unknown>
  const resultCases: [string, (r: Results) => unknown, string, RegExp][] = [
    ['a session file', () => minimal, 'format', /expected 'aplab\/results@1', found 'aplab\/session@1'/],
    ['a string seed', (r) => ({ ...r, seed: '1' }), 'seed', /number/],
    ['cc 7', (r) => ((step(r).cc = 7), r), 'guests[0].vcpus[0].steps[0].cc', /<=3/],
    [
      'a register that is not hex',
      (r) => ((step(r).regsIn = { r0: '12' }), r),
      'guests[0].vcpus[0].steps[0].regsIn.r0',
      /hex/,
    ],
    [
      'a register r16',
      (r) => ((step(r).regsIn = { r16: '0x0000000000000000' }), r),
      'guests[0].vcpus[0].steps[0].regsIn.r16',
      /r0..r15/,
    ],
    [
      'an unknown layer',
      (r) => ((step(r).handledBy = 'kernel'), r),
      'guests[0].vcpus[0].steps[0].handledBy',
      /firmware/,
    ],
    [
      'a huge atUs',
      (r) => JSON.stringify(r).replace('"atUs":0', '"atUs":1e300'),
      'guests[0].vcpus[0].steps[0].atUs',
      /integers/,
    ],
    [
      'steps out of order',
      (r) => (r.guests[0]!.vcpus[0]!.steps.push({ ...r.guests[0]!.vcpus[0]!.steps[0]! }), r),
      'guests[0].vcpus[0].steps[1].index',
      /increase/,
    ],
    ['a guest twice', (r) => ({ ...r, guests: [r.guests[0], r.guests[0]] }), 'guests[1].name', /twice/],
  ]

  it.each(resultCases)('results file with %s is rejected, nothing written', (_what, mutate, field, message) => {
    const out = mutate(goodResults())
    const text = typeof out === 'string' ? out : JSON.stringify(out)
    const before = snapshot()
    const e = catchLab(() => store.importRun(text))
    expect(e.code).toBe('invalid-input')
    expect(e.field).toBe(field)
    expect(e.message).toMatch(message)
    expect(snapshot()).toBe(before)
  })

  it('results files: deep nesting and a 20 MB string are rejected before parsing, a good one is stored', () => {
    const before = snapshot()
    expect(
      catchLab(() => store.importRun(`{"format":"aplab/results@1","x":${'['.repeat(10_000)}${']'.repeat(10_000)}}`))
        .message,
    ).toMatch(/nested deeper/)
    expect(
      catchLab(() => store.importRun(JSON.stringify({ ...goodResults(), session: 'y'.repeat(20 * 1024 * 1024) })))
        .message,
    ).toMatch(/16 MiB/)
    expect(snapshot()).toBe(before)
    const { id } = store.importRun(JSON.stringify(goodResults()))
    expect(store.getRunSummary(id)).toMatchObject({
      origin: 'import',
      status: 'finished',
      steps: 1,
      instructions: 1,
      sessionId: null,
    })
    expect(store.rebuildResults(id)).toEqual({ ...goodResults(), runId: String(id) })
  })
})
