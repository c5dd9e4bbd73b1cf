// Untrusted JSON files (session and run imports): bounded in size and depth before they are
// parsed, every number a safe integer, then validated as a whole before anything is written.
import { z } from 'zod'
import { RESULTS_FORMAT } from '../engine/lab'
import { SESSION_FORMAT } from '../engine/session'
import { LabError } from '../service/errors'

export const MAX_IMPORT_BYTES = 16 * 1024 * 1024
export const MAX_JSON_DEPTH = 64

function pathText(path: readonly (string | number)[]): string {
  let out = ''
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? p : `.${p}`
  return out === '' ? '(document)' : out
}

/** Nesting depth of JSON text, counted without parsing it; stops as soon as `limit` is exceeded. */
export function jsonDepthExceeds(text: string, limit: number): number | null {
  let depth = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 0x5c)
        i++ // backslash: skip the escaped character
      else if (c === 0x22) inString = false
      continue
    }
    if (c === 0x22) inString = true
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > limit) return i
    } else if (c === 0x7d || c === 0x5d) depth--
  }
  return null
}

/** Walks a parsed value (iteratively) and rejects numbers that are not safe integers, naming the field. */
function checkValues(value: unknown, what: string): void {
  const stack: { v: unknown; path: (string | number)[] }[] = [{ v: value, path: [] }]
  while (stack.length > 0) {
    const { v, path } = stack.pop()!
    if (typeof v === 'number') {
      if (!Number.isSafeInteger(v)) {
        throw new LabError(
          'invalid-input',
          `numbers must be integers of at most 2^53 − 1 (found ${String(v)}) in the ${what}`,
          pathText(path),
        )
      }
    } else if (Array.isArray(v)) {
      if (path.length >= MAX_JSON_DEPTH)
        throw new LabError('invalid-input', `nested deeper than ${MAX_JSON_DEPTH} levels`, pathText(path))
      for (let i = v.length - 1; i >= 0; i--) stack.push({ v: v[i], path: [...path, i] })
    } else if (v !== null && typeof v === 'object') {
      if (path.length >= MAX_JSON_DEPTH)
        throw new LabError('invalid-input', `nested deeper than ${MAX_JSON_DEPTH} levels`, pathText(path))
      const entries = Object.entries(v)
      for (let i = entries.length - 1; i >= 0; i--) stack.push({ v: entries[i]![1], path: [...path, entries[i]![0]] })
    }
  }
}

/** Checks a value that arrived already parsed (IPC, HTTP): the same depth and number rules as a file. */
export function checkJsonValue(value: unknown, what: string): void {
  checkValues(value, what)
}

/**
 * Parses untrusted JSON text. Refuses, before parsing, text over 16 MiB or nested deeper than 64
 * levels; after parsing, any number that is not a safe integer (AP Lab files hold none).
 */
export function parseJsonSafely(text: unknown, what: string): unknown {
  if (typeof text !== 'string') throw new LabError('invalid-input', `the ${what} must be JSON text`, 'text')
  if (text.length > MAX_IMPORT_BYTES || Buffer.byteLength(text, 'utf8') > MAX_IMPORT_BYTES) {
    throw new LabError('invalid-input', `the ${what} is larger than ${MAX_IMPORT_BYTES / (1024 * 1024)} MiB`, 'text')
  }
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text
  const deep = jsonDepthExceeds(body, MAX_JSON_DEPTH)
  if (deep !== null)
    throw new LabError(
      'invalid-input',
      `the ${what} is nested deeper than ${MAX_JSON_DEPTH} levels (at character ${deep})`,
      'text',
    )
  let value: unknown
  try {
    value = JSON.parse(body)
  } catch (e) {
    throw new LabError(
      'invalid-input',
      `the ${what} is not valid JSON: ${e instanceof Error ? e.message : String(e)}`,
      'text',
    )
  }
  checkValues(value, what)
  return value
}

/** The `format` tag, checked before the rest so that a wrong kind of file gets the right message. */
export function checkFormatTag(doc: unknown, expected: typeof SESSION_FORMAT | typeof RESULTS_FORMAT): void {
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    throw new LabError('invalid-input', `expected a JSON object with "format": "${expected}"`, '(document)')
  }
  const tag = (doc as { format?: unknown }).format
  if (tag !== expected) {
    const got = typeof tag === 'string' ? `'${tag.slice(0, 60)}'` : tag === undefined ? 'nothing' : typeof tag
    throw new LabError('invalid-input', `expected '${expected}', found ${got}`, 'format')
  }
}

// ---- aplab/results@1 (product.md §6), as AP Lab writes it ------------------------------------

const safeInt = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER)
const layer = z.enum(['firmware', 'kvm', 'vfio_ap', 'qemu', 'lab'])
const regs = z.record(
  z.string().regex(/^r(1[0-5]|[0-9])$/, 'register names are r0..r15'),
  z.string().regex(/^0x[0-9a-f]{16}$/, 'expected 0x and 16 lowercase hex digits'),
)
const bit = z.union([z.literal(0), z.literal(1)])

const traceSchema = z.object({
  layer,
  rule: z.string().min(1).max(120),
  text: z.string().max(4000),
  ref: z.string().max(1000),
  quirk: z.string().max(120).optional(),
  choice: z.string().max(120).optional(),
})

// Steps keep fields this version does not know (stored in results.extra); the rest is checked.
const stepSchema = z.looseObject({
  index: z.number().int().min(0).max(100_000),
  insn: z.string().min(1).max(16),
  fc: z.number().int().min(0).max(255).nullable(),
  fcName: z.string().max(64).nullable(),
  atUs: safeInt,
  regsIn: regs,
  pgm: z.object({ name: z.string().min(1).max(64), code: z.number().int().min(1).max(0xffff) }).nullable(),
  cc: z.number().int().min(0).max(3).nullable(),
  regsOut: regs,
  status: z
    .object({ rc: z.number().int().min(0).max(255), rcName: z.string().max(64), E: bit, R: bit, F: bit, I: bit })
    .nullable(),
  statusPlacement: z.enum(['lo', 'hi']).nullable(),
  statusStored: z
    .object({ rc: z.number().int().min(0).max(255), rcName: z.string().max(64), E: bit, R: bit, F: bit, I: bit })
    .nullable()
    .optional(),
  handledBy: layer,
  rule: z.string().min(1).max(120),
  trace: z.array(traceSchema).max(1000).default([]),
})

export const resultsSchema = z.object({
  format: z.literal(RESULTS_FORMAT),
  session: z.string().min(1).max(200),
  runId: z.string().max(64).optional(),
  seed: z
    .number()
    .int()
    .min(0)
    .max(2 ** 32 - 1),
  kernel: z.string().max(64).default(''),
  guests: z
    .array(
      z.object({
        name: z.string().min(1).max(64),
        qemu: z.string().max(64).default(''),
        started: z.boolean(),
        startError: z.string().max(2000).nullable().default(null),
        warnings: z.array(z.string().max(2000)).max(1000).default([]),
        vcpus: z.array(z.object({ steps: z.array(stepSchema) })).max(64),
      }),
    )
    .max(256),
  events: z
    .array(
      z.object({
        index: safeInt,
        atUs: safeInt,
        do: z.string().min(1).max(64),
        applied: z.boolean(),
        errno: z.string().max(64).nullable(),
        reason: z.string().max(2000),
      }),
    )
    .max(100_000)
    .default([]),
  hostLog: z
    .array(
      z.object({
        atUs: safeInt,
        level: z.enum(['warn', 'info']),
        source: z.string().max(200),
        text: z.string().max(4000),
      }),
    )
    .max(100_000)
    .default([]),
  endUs: safeInt.optional(),
})

export type ImportedResults = z.infer<typeof resultsSchema>

function issuePath(path: readonly PropertyKey[]): string {
  return pathText(path.map((p) => (typeof p === 'number' ? p : String(p))))
}

/** Validates a parsed `aplab/results@1` document completely; throws LabError naming the field. */
export function parseResultsDocument(doc: unknown): ImportedResults {
  checkFormatTag(doc, RESULTS_FORMAT)
  const r = resultsSchema.safeParse(doc)
  if (!r.success) {
    const issue = r.error.issues[0]!
    const message =
      issue.code === 'invalid_key' && issue.issues[0] ? `invalid key: ${issue.issues[0].message}` : issue.message
    throw new LabError('invalid-input', message, issuePath(issue.path))
  }
  const names = new Set<string>()
  r.data.guests.forEach((g, gi) => {
    if (names.has(g.name))
      throw new LabError('invalid-input', `guest '${g.name}' is listed twice`, `guests[${gi}].name`)
    names.add(g.name)
    g.vcpus.forEach((v, vi) => {
      let last = -1
      v.steps.forEach((s, si) => {
        if (s.index <= last) {
          throw new LabError(
            'invalid-input',
            'step indexes must increase within a vCPU',
            `guests[${gi}].vcpus[${vi}].steps[${si}].index`,
          )
        }
        last = s.index
      })
    })
  })
  return r.data
}
