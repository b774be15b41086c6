//! The schema and how a file gets to it: an ordered list of migrations and SQLite's
//! `PRAGMA user_version` as the number applied. Each migration runs in its own
//! transaction with the version bump, so a crash mid-migration leaves the previous
//! version intact.
//!
//! A hand-written ladder rather than the `rusqlite_migration` crate: its current release
//! is tied to an older `rusqlite` (and so an older bundled SQLite), and the ladder is
//! these few lines. Migrations are append-only: never edit one that has shipped, add
//! the next.

use std::path::Path;

use rusqlite::{Connection, TransactionBehavior};

use crate::error::StoreError;

/// Migration `i` takes a file from version `i` to `i + 1`.
const MIGRATIONS: &[&str] = &[V1, V2];

/// The schema version this build writes: the number of migrations.
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

/// Brings the file to [`SCHEMA_VERSION`], refusing a file from a newer Vigil. Each
/// step re-reads the version inside its write transaction, so two processes opening a
/// new file at once do not both apply the same migration.
pub(crate) fn migrate(conn: &mut Connection, path: &Path) -> Result<u32, StoreError> {
    loop {
        let failed = |version: u32| {
            move |source| StoreError::Migrate {
                path: path.to_owned(),
                version,
                source,
            }
        };
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(failed(SCHEMA_VERSION))?;
        let current: u32 = tx
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(failed(SCHEMA_VERSION))?;
        if current > SCHEMA_VERSION {
            return Err(StoreError::TooNew {
                path: path.to_owned(),
                found: current,
                known: SCHEMA_VERSION,
            });
        }
        if current == SCHEMA_VERSION {
            return Ok(current);
        }
        let next = current + 1;
        tx.execute_batch(MIGRATIONS[current as usize])
            .map_err(failed(next))?;
        tx.pragma_update(None, "user_version", next)
            .map_err(failed(next))?;
        tx.commit().map_err(failed(next))?;
        tracing::info!(path = %path.display(), version = next, "migrated the store schema");
    }
}

/// The first schema. Conventions: instants are TEXT in the fixed format of `time.rs`;
/// JSON documents are TEXT; names from closed sets are checked where a wrong one would
/// corrupt the meaning of a row (statuses, states), and left open where a new one may
/// come (triggers, sinks, kinds). Row ids that other rows or clients refer to after
/// deletes (scans, outbox) are AUTOINCREMENT so they are never reused.
const V1: &str = "
CREATE TABLE scans (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    account      TEXT NOT NULL,
    trigger      TEXT NOT NULL,
    status       TEXT NOT NULL
                 CHECK (status IN ('running', 'succeeded', 'failed', 'interrupted', 'cancelled')),
    started_at   TEXT NOT NULL,
    finished_at  TEXT,
    pass_count   INTEGER NOT NULL DEFAULT 0,
    fail_count   INTEGER NOT NULL DEFAULT 0,
    error_count  INTEGER NOT NULL DEFAULT 0,
    muted_count  INTEGER NOT NULL DEFAULT 0,
    api_calls    INTEGER NOT NULL DEFAULT 0,
    error        TEXT
);
CREATE INDEX scans_by_account ON scans (account, id);
CREATE INDEX scans_by_start ON scans (started_at);
CREATE INDEX scans_running ON scans (status) WHERE status = 'running';

CREATE TABLE scan_gaps (
    scan_id    INTEGER NOT NULL REFERENCES scans (id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    service    TEXT NOT NULL,
    operation  TEXT NOT NULL,
    scope      TEXT NOT NULL,
    code       TEXT NOT NULL,
    message    TEXT NOT NULL,
    PRIMARY KEY (scan_id, position)
) WITHOUT ROWID;

-- Current state only; never pruned. last_scan_id has no foreign key because scans are.
CREATE TABLE findings (
    id               INTEGER PRIMARY KEY,
    account          TEXT NOT NULL,
    uid              TEXT NOT NULL,
    rule_id          TEXT NOT NULL,
    resource_id      TEXT NOT NULL,
    resource_type    TEXT NOT NULL,
    region           TEXT NOT NULL,
    severity         TEXT NOT NULL,
    title            TEXT NOT NULL,
    caf_component    TEXT NOT NULL,
    waf_area         TEXT NOT NULL,
    epics            TEXT NOT NULL,
    result           TEXT NOT NULL CHECK (result IN ('PASS', 'FAIL', 'ERROR', 'MUTED')),
    state            TEXT CHECK (state IN ('NEW', 'OPEN', 'RESOLVED', 'REOPENED', 'MUTED')),
    first_seen       TEXT NOT NULL,
    last_seen        TEXT NOT NULL,
    first_failed_at  TEXT,
    resolved_at      TEXT,
    reopened_count   INTEGER NOT NULL DEFAULT 0,
    last_scan_id     INTEGER NOT NULL,
    last_error       TEXT,
    body             TEXT NOT NULL,
    UNIQUE (account, uid)
);
CREATE INDEX findings_by_state ON findings (state);
CREATE INDEX findings_by_result ON findings (result);
CREATE INDEX findings_by_severity ON findings (severity);
CREATE INDEX findings_by_rule ON findings (rule_id);
CREATE INDEX findings_by_caf ON findings (caf_component);
CREATE INDEX findings_by_waf ON findings (waf_area);

-- One row per (finding, epic): the index behind the epic filter.
CREATE TABLE finding_epics (
    finding_id  INTEGER NOT NULL REFERENCES findings (id) ON DELETE CASCADE,
    epic        TEXT NOT NULL,
    PRIMARY KEY (finding_id, epic)
) WITHOUT ROWID;
CREATE INDEX finding_epics_by_epic ON finding_epics (epic, finding_id);

CREATE TABLE scores (
    scan_id     INTEGER PRIMARY KEY REFERENCES scans (id) ON DELETE CASCADE,
    account     TEXT NOT NULL,
    scanned_at  TEXT NOT NULL,
    scorecard   TEXT NOT NULL,
    summary     TEXT NOT NULL
);
CREATE INDEX scores_by_account ON scores (account, scan_id);

-- The latest state of each resource; `doc` is its canonical snapshot JSON, `hash` the
-- SHA-256 of doc.
CREATE TABLE resources (
    id               INTEGER PRIMARY KEY,
    account          TEXT NOT NULL,
    resource_id      TEXT NOT NULL,
    resource_type    TEXT NOT NULL,
    region           TEXT NOT NULL,
    doc              TEXT NOT NULL,
    hash             BLOB NOT NULL,
    first_scan_id    INTEGER NOT NULL,
    changed_scan_id  INTEGER NOT NULL,
    UNIQUE (account, resource_id)
);

-- Which scan the stored inventory of an account comes from; no row means the next
-- inventory is a baseline.
CREATE TABLE inventory_state (
    account      TEXT PRIMARY KEY,
    scan_id      INTEGER NOT NULL,
    recorded_at  TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE resource_changes (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    scan_id        INTEGER NOT NULL REFERENCES scans (id) ON DELETE CASCADE,
    account        TEXT NOT NULL,
    resource_id    TEXT NOT NULL,
    resource_type  TEXT NOT NULL,
    region         TEXT NOT NULL,
    kind           TEXT NOT NULL CHECK (kind IN ('added', 'removed', 'modified')),
    detected_at    TEXT NOT NULL,
    fields         TEXT NOT NULL,
    snapshot       TEXT
);
CREATE INDEX changes_by_account ON resource_changes (account, id);
CREATE INDEX changes_by_resource ON resource_changes (resource_id, id);
CREATE INDEX changes_by_time ON resource_changes (detected_at);
CREATE INDEX changes_by_scan ON resource_changes (scan_id);

CREATE TABLE outbox (
    seq              INTEGER PRIMARY KEY AUTOINCREMENT,
    sink             TEXT NOT NULL CHECK (sink <> ''),
    event_id         TEXT NOT NULL CHECK (event_id <> ''),
    kind             TEXT NOT NULL CHECK (kind <> ''),
    payload          TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    next_attempt_at  TEXT NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    last_error       TEXT,
    delivered_at     TEXT,
    UNIQUE (sink, event_id)
);
CREATE INDEX outbox_pending ON outbox (sink, seq) WHERE delivered_at IS NULL;
CREATE INDEX outbox_delivered ON outbox (delivered_at) WHERE delivered_at IS NOT NULL;
";

/// Fleets (issue 13, item 2): leases, per-cycle claims, and the replica that runs each
/// scan. SQLite is single-process, but it keeps the same schema as PostgreSQL so that
/// `vigil store migrate` copies it table for table, and so the conformance suite can
/// hold both to one contract.
const V2: &str = "
ALTER TABLE scans ADD COLUMN holder TEXT;

CREATE TABLE leases (
    name        TEXT PRIMARY KEY CHECK (name <> ''),
    holder      TEXT NOT NULL CHECK (holder <> ''),
    expires_at  TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE cycle_claims (
    schedule    TEXT NOT NULL,
    fire_at     TEXT NOT NULL,
    target      TEXT NOT NULL,
    holder      TEXT NOT NULL,
    claimed_at  TEXT NOT NULL,
    PRIMARY KEY (schedule, fire_at, target)
) WITHOUT ROWID;
CREATE INDEX cycle_claims_by_time ON cycle_claims (claimed_at);
";
