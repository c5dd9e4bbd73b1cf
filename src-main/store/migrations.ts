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

/**
 * Version 3: a step's outcome is stored once per run and every step refers to it. `outcomes` holds
 * what a step did (instruction, registers, cc, status, program exception, deciding rule) and
 * `outcome_trace` its trace; `steps` holds where and when (guest, vCPU, program step, virtual time)
 * and the outcome id, so a run of millions of repeating steps writes seven integers per step.
 * `results` and `trace` are views with the columns the tables of versions 1 and 2 had.
 *
 * `steps` has no index besides its key and no FOREIGN KEY: SQLite would look up the parent run for
 * every inserted row, and a guest index receives its entries at as many places as there are
 * streams (measured: a 4× slower insert with 64 guests interleaved). A trigger deletes a run's
 * steps with the run. `step_segments` replaces the guest index: for every committed batch and every
 * (guest, vCPU) in it, the seq range that holds its rows and how many; a guest's rows are read
 * segment by segment, each a short range of the primary key.
 *
 * Existing rows keep one outcome per step (outcome id = seq), and segments of at most 1,000 seqs.
 */
export const V3_SQL = `
CREATE TABLE outcomes (
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  id INTEGER NOT NULL,
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
  regs_in TEXT NOT NULL,
  regs_out TEXT NOT NULL,
  status_stored TEXT,
  extra TEXT,
  PRIMARY KEY (run_id, id)
) WITHOUT ROWID;

CREATE TABLE outcome_trace (
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  outcome INTEGER NOT NULL,
  ord INTEGER NOT NULL,
  layer TEXT NOT NULL,
  rule TEXT NOT NULL,
  text TEXT NOT NULL,
  ref TEXT NOT NULL,
  quirk TEXT,
  choice TEXT,
  PRIMARY KEY (run_id, outcome, ord)
) WITHOUT ROWID;

CREATE TABLE steps (
  run_id INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  guest INTEGER NOT NULL,
  vcpu INTEGER NOT NULL,
  step_index INTEGER NOT NULL,
  at_us INTEGER NOT NULL,
  outcome INTEGER NOT NULL,
  PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;

CREATE TABLE step_segments (
  run_id INTEGER NOT NULL,
  guest INTEGER NOT NULL,
  vcpu INTEGER NOT NULL,
  first_seq INTEGER NOT NULL,
  last_seq INTEGER NOT NULL,
  rows INTEGER NOT NULL,
  PRIMARY KEY (run_id, guest, vcpu, first_seq)
) WITHOUT ROWID;

CREATE TRIGGER runs_delete_steps AFTER DELETE ON runs BEGIN
  DELETE FROM steps WHERE run_id = old.id;
  DELETE FROM step_segments WHERE run_id = old.id;
END;

INSERT INTO outcomes
  SELECT run_id, seq, insn, fc, fc_name, cc, rc, rc_name, e, r, f, i, pgm_code, pgm_name, handled_by, rule,
         status_placement, regs_in, regs_out, status_stored, extra
  FROM results;
INSERT INTO outcome_trace SELECT run_id, seq, ord, layer, rule, text, ref, quirk, choice FROM trace;
INSERT INTO steps SELECT run_id, seq, guest, vcpu, step_index, at_us, seq FROM results;
INSERT INTO step_segments
  SELECT run_id, guest, vcpu, min(seq), max(seq), count(*) FROM results GROUP BY run_id, guest, vcpu, seq / 1000;

DROP TABLE trace;
DROP TABLE results;

CREATE VIEW results AS
  SELECT s.run_id, s.seq, s.guest, s.vcpu, s.step_index, o.insn, o.fc, o.fc_name, o.cc, o.rc, o.rc_name,
         o.e, o.r, o.f, o.i, o.pgm_code, o.pgm_name, o.handled_by, o.rule, o.status_placement, s.at_us,
         o.regs_in, o.regs_out, o.status_stored, o.extra
  FROM steps s JOIN outcomes o ON o.run_id = s.run_id AND o.id = s.outcome;

CREATE VIEW trace AS
  SELECT s.run_id, s.seq, t.ord, t.layer, t.rule, t.text, t.ref, t.quirk, t.choice
  FROM steps s JOIN outcome_trace t ON t.run_id = s.run_id AND t.outcome = s.outcome;
`

export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: 'sessions, runs, results, trace, run events, comparisons', sql: V1_SQL },
  { version: 2, name: 'run guests, end time, error, origin, run owner', sql: V2_SQL },
  { version: 3, name: 'steps refer to outcomes stored once per run; results and trace become views', sql: V3_SQL },
]

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version

/** Created before the first migration; one row per applied migration. */
export const MIGRATIONS_TABLE_SQL = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  applied TEXT NOT NULL
)`
