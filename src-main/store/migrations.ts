// Versioned schema migrations. Append only: a migration that has shipped is never edited, a
// change to the schema is a new entry at the end. `openStore` applies the pending ones at open,
// all in one transaction, and records each in `schema_migrations`. They run with foreign keys ON:
// a migration that rebuilds a table must not DROP a parent table (the drop would cascade to its
// rows); rebuild children, or copy into a new table and rename, and check with foreign_key_check.

/** `PRAGMA application_id` of an AP Lab database: "APLB". Together with `schema_migrations` it marks the file as ours. */
export const APPLICATION_ID = 0x41504c42

export interface Migration {
  version: number
  name: string
  sql: string
}

/**
 * The first schema (version 1). Frozen: test/store/fixtures/aplab-v1.sql was created from it.
 * Large JSON lives at the end of a row or in a table of its own (`run_documents`): SQLite reads a
 * row's columns in order, and a column after a large value costs a walk through overflow pages, which
 * the Runs list (1,000 runs with 100 kB snapshots) would pay on every row.
 */
export const V1_SQL = `
CREATE TABLE sessions (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL,
  created TEXT NOT NULL,
  updated TEXT NOT NULL,
  document TEXT NOT NULL CHECK (json_valid(document))
);
CREATE INDEX sessions_updated ON sessions(updated);

CREATE TABLE runs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  session_id INTEGER REFERENCES sessions(id) ON DELETE SET NULL,
  session_name TEXT NOT NULL,
  kernel TEXT NOT NULL,
  seed INTEGER NOT NULL,
  trace INTEGER NOT NULL DEFAULT 1,
  status TEXT NOT NULL CHECK (status IN ('running', 'finished', 'aborted')),
  started TEXT NOT NULL,
  finished TEXT,
  duration_ms INTEGER,
  steps INTEGER NOT NULL DEFAULT 0,
  instructions INTEGER NOT NULL DEFAULT 0,
  interrupts INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX runs_started ON runs(started);
CREATE INDEX runs_status ON runs(status);
CREATE INDEX runs_session ON runs(session_id);

CREATE TABLE run_documents (
  run_id INTEGER PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
  snapshot TEXT CHECK (snapshot IS NULL OR json_valid(snapshot))
);

CREATE TABLE results (
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  seq INTEGER NOT NULL,
  guest INTEGER NOT NULL,
  vcpu INTEGER NOT NULL,
  step_index INTEGER NOT NULL,
  insn TEXT NOT NULL,
  fc INTEGER,
  fc_name TEXT,
  cc INTEGER,
  rc INTEGER,
  rc_name TEXT,
  e INTEGER,
  r INTEGER,
  f INTEGER,
  i INTEGER,
  pgm_code INTEGER,
  pgm_name TEXT,
  handled_by TEXT NOT NULL,
  rule TEXT NOT NULL,
  status_placement TEXT,
  at_us INTEGER NOT NULL,
  regs_in TEXT NOT NULL,
  regs_out TEXT NOT NULL,
  PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;
CREATE INDEX results_guest ON results(run_id, guest, vcpu, seq);

CREATE TABLE trace (
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  seq INTEGER NOT NULL,
  ord INTEGER NOT NULL,
  layer TEXT NOT NULL,
  rule TEXT NOT NULL,
  text TEXT NOT NULL,
  ref TEXT NOT NULL,
  quirk TEXT,
  choice TEXT,
  PRIMARY KEY (run_id, seq, ord)
) WITHOUT ROWID;

CREATE TABLE run_events (
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  ord INTEGER NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('event', 'log')),
  at_us INTEGER NOT NULL,
  event_index INTEGER,
  action TEXT,
  applied INTEGER,
  errno TEXT,
  level TEXT,
  source TEXT,
  text TEXT NOT NULL,
  PRIMARY KEY (run_id, ord)
) WITHOUT ROWID;

CREATE TABLE comparisons (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL,
  created TEXT NOT NULL,
  spec TEXT NOT NULL CHECK (json_valid(spec)),
  result TEXT NOT NULL CHECK (json_valid(result))
);
CREATE INDEX comparisons_created ON comparisons(created);
`

/**
 * Version 2: per-run guest rows (so a run's results can be shown and diffed by guest name without
 * parsing the snapshot), the engine's end time and an error text, imported runs, the owner of a
 * running run (pid and host) so that opening the database marks only runs of dead processes aborted,
 * and what the results format gained or may gain: `run_documents.results_doc` is the run's aplab/results@1
 * document without its steps (written when the run finishes; every top-level, guest and event field,
 * in order), `results.status_stored` the step's `statusStored` (NULL: absent, '=': equal to the
 * status columns, else JSON), `results.extra` any other step field as JSON (NULL: none).
 */
export const V2_SQL = `
ALTER TABLE run_documents ADD COLUMN results_doc TEXT CHECK (results_doc IS NULL OR json_valid(results_doc));
ALTER TABLE results ADD COLUMN status_stored TEXT;
ALTER TABLE results ADD COLUMN extra TEXT;
ALTER TABLE runs ADD COLUMN end_us INTEGER;
ALTER TABLE runs ADD COLUMN error TEXT;
ALTER TABLE runs ADD COLUMN origin TEXT NOT NULL DEFAULT 'run' CHECK (origin IN ('run', 'import'));
ALTER TABLE runs ADD COLUMN owner_pid INTEGER;
ALTER TABLE runs ADD COLUMN owner_host TEXT;

CREATE TABLE run_guests (
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  guest INTEGER NOT NULL,
  name TEXT NOT NULL,
  qemu TEXT NOT NULL,
  vcpus INTEGER NOT NULL,
  started INTEGER,
  start_error TEXT,
  warnings TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(warnings)),
  PRIMARY KEY (run_id, guest)
) WITHOUT ROWID;
CREATE INDEX run_guests_name ON run_guests(run_id, name);

INSERT INTO run_guests (run_id, guest, name, qemu, vcpus, started)
  SELECT r.id, CAST(g.key AS INTEGER), json_extract(g.value, '$.name'), json_extract(g.value, '$.qemu'),
         coalesce(json_array_length(g.value, '$.vcpus'), 1),
         CASE WHEN r.status = 'running' THEN NULL
              ELSE EXISTS (SELECT 1 FROM results x WHERE x.run_id = r.id AND x.guest = CAST(g.key AS INTEGER)) END
  FROM runs r JOIN run_documents d ON d.run_id = r.id, json_each(d.snapshot, '$.guests') g
  WHERE d.snapshot IS NOT NULL;

UPDATE runs SET end_us = (SELECT max(at_us) FROM results x WHERE x.run_id = runs.id) WHERE status <> 'running';
`

export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: 'sessions, runs, results, trace, run events, comparisons', sql: V1_SQL },
  { version: 2, name: 'run guests, end time, error, origin, run owner', sql: V2_SQL },
]

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version

/** Created before the first migration; one row per applied migration. */
export const MIGRATIONS_TABLE_SQL = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  applied TEXT NOT NULL
)`
