//! [`SqliteStore`]: the embedded store, one SQLite file, one connection behind a mutex.
//!
//! One connection is enough: the daemon's writes are a few transactions per scan, and
//! SQLite serialises writers anyway. The mutex makes the store `Sync` and keeps each
//! method's transaction whole.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use rusqlite::{Connection, TransactionBehavior};
use vigil_inventory::{Gap, Resource};

use crate::db::Db;
use crate::error::StoreError;
use crate::{
    ChangeFilter, Cycle, FindingFilter, FindingRecord, FindingRow, Lease, NewEvent, OutboxEvent,
    Page, PageRequest, PruneReport, ResourceChange, Result, RetentionPolicy, ScanFilter, ScanId,
    ScanOutcome, ScanRow, ScanTrigger, ScorePoint, ScoreRow, ScoreSummary, SinkStats, Store,
    Transition,
};
use crate::{drift, findings, leases, migrations, outbox, retention, scans, scores};

/// How long a statement waits for another process's write lock before failing. Long
/// enough to ride out a backup or a `sqlite3` shell, short enough to surface a stuck one.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// The store in one SQLite file.
#[derive(Debug)]
pub struct SqliteStore {
    path: PathBuf,
    conn: Mutex<Connection>,
}

impl SqliteStore {
    /// Opens (creating if needed) the store at `path` and brings its schema up to date.
    ///
    /// The file is put in WAL mode with `synchronous=FULL`: every commit is on disk
    /// before the method returns, so a `kill -9` or a power cut loses nothing committed,
    /// and readers do not block the writer. Foreign keys are enforced, which SQLite
    /// leaves off by default.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref().to_owned();
        let failed = |step: &'static str| {
            let path = path.clone();
            move |source| StoreError::Open { path, step, source }
        };
        let mut conn = Connection::open(&path).map_err(failed("open the file"))?;
        conn.busy_timeout(BUSY_TIMEOUT)
            .map_err(failed("set the busy timeout"))?;
        let mode: String = conn
            .pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))
            .map_err(failed("switch to WAL mode"))?;
        if !mode.eq_ignore_ascii_case("wal") {
            // Some filesystems (network mounts) refuse WAL. The rollback journal with
            // synchronous=FULL is just as durable, only slower, so carry on and say so.
            tracing::warn!(path = %path.display(), journal_mode = %mode, "the store could not use WAL mode");
        }
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(failed("set synchronous=FULL"))?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(failed("enable foreign keys"))?;
        // The WAL grows to the size of the largest transaction (a first scan of a big
        // account writes ~100 MiB) and would stay that big; trim it after checkpoints.
        conn.pragma_update(None, "journal_size_limit", 64 * 1024 * 1024)
            .map_err(failed("set the journal size limit"))?;
        conn.set_prepared_statement_cache_capacity(64);
        let version = migrations::migrate(&mut conn, &path)?;
        tracing::info!(path = %path.display(), schema_version = version, "opened the store");
        Ok(SqliteStore {
            path,
            conn: Mutex::new(conn),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The schema version recorded in the file.
    pub fn schema_version(&self) -> Result<u32> {
        let conn = self.lock();
        conn.pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(
                Db {
                    conn: &conn,
                    path: &self.path,
                }
                .sql("schema_version", "pragma"),
            )
    }

    /// The connection. A panic while it was held leaves it usable: the open transaction,
    /// if any, was rolled back when its guard dropped, so the poison flag is ignored.
    pub(crate) fn lock(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `f` in a write transaction: all of it is committed, or none.
    /// `BEGIN IMMEDIATE` takes the write lock up front, so a second process waits for
    /// it (busy timeout) instead of failing halfway with SQLITE_BUSY.
    fn write<T>(&self, operation: &'static str, f: impl FnOnce(Db<'_>) -> Result<T>) -> Result<T> {
        let mut conn = self.lock();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(self.error(operation, "begin a transaction"))?;
        let out = f(Db {
            conn: &tx,
            path: &self.path,
        })?;
        tx.commit().map_err(self.error(operation, "commit"))?;
        Ok(out)
    }

    /// Runs `f` in a read transaction, so a query of several statements sees one
    /// snapshot of the file.
    fn read<T>(&self, operation: &'static str, f: impl FnOnce(Db<'_>) -> Result<T>) -> Result<T> {
        let mut conn = self.lock();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Deferred)
            .map_err(self.error(operation, "begin a transaction"))?;
        f(Db {
            conn: &tx,
            path: &self.path,
        })
    }

    fn error(
        &self,
        operation: &'static str,
        step: &'static str,
    ) -> impl FnOnce(rusqlite::Error) -> StoreError + '_ {
        move |source| StoreError::Transaction {
            operation,
            step,
            path: self.path.clone(),
            source,
        }
    }
}

impl Store for SqliteStore {
    fn begin_scan(
        &self,
        account: &str,
        trigger: ScanTrigger,
        started_at: DateTime<Utc>,
    ) -> Result<ScanId> {
        self.write("begin_scan", |db| {
            scans::begin(db, account, trigger, started_at, None)
        })
    }

    fn begin_held_scan(
        &self,
        account: &str,
        trigger: ScanTrigger,
        started_at: DateTime<Utc>,
        holder: &str,
    ) -> Result<ScanId> {
        self.write("begin_scan", |db| {
            scans::begin(db, account, trigger, started_at, Some(holder))
        })
    }

    fn scan_holder(&self, id: ScanId) -> Result<Option<String>> {
        self.read("scan_holder", |db| leases::scan_holder(db, id.0))
    }

    fn set_scan_account(&self, id: ScanId, account: &str) -> Result<()> {
        self.write("set_scan_account", |db| scans::set_account(db, id, account))
    }

    fn finish_scan(&self, id: ScanId, outcome: &ScanOutcome) -> Result<()> {
        self.write("finish_scan", |db| scans::finish(db, id, outcome))
    }

    fn mark_interrupted_scans(&self) -> Result<Vec<ScanId>> {
        let ids = self.write("mark_interrupted_scans", |db| {
            scans::mark_interrupted(db, Utc::now())
        })?;
        if !ids.is_empty() {
            tracing::warn!(scans = ?ids, "scans left running by the previous process are now interrupted");
        }
        Ok(ids)
    }

    fn list_scans(&self, filter: &ScanFilter, page: &PageRequest) -> Result<Page<ScanRow>> {
        self.read("list_scans", |db| scans::list(db, filter, page))
    }

    fn get_scan(&self, id: ScanId) -> Result<Option<ScanRow>> {
        self.read("get_scan", |db| scans::get(db, id))
    }

    fn record_results(
        &self,
        scan_id: ScanId,
        account: &str,
        findings: &[FindingRecord],
        present_resource_ids: &HashSet<String>,
        make_events: &mut dyn FnMut(&Transition) -> Vec<NewEvent>,
    ) -> Result<Vec<Transition>> {
        self.write("record_results", |db| {
            findings::record_results(
                db,
                scan_id,
                account,
                findings,
                present_resource_ids,
                make_events,
            )
        })
    }

    fn list_findings(
        &self,
        filter: &FindingFilter,
        page: &PageRequest,
    ) -> Result<Page<FindingRow>> {
        self.read("list_findings", |db| findings::list(db, filter, page))
    }

    fn get_finding(&self, account: &str, uid: &str) -> Result<Option<FindingRow>> {
        self.read("get_finding", |db| findings::get(db, account, uid))
    }

    fn record_scores(
        &self,
        scan_id: ScanId,
        account: &str,
        scorecard: &serde_json::Value,
        summary: &ScoreSummary,
    ) -> Result<()> {
        self.write("record_scores", |db| {
            scores::record(db, scan_id, account, scorecard, summary)
        })
    }

    fn latest_scores(&self, account: Option<&str>) -> Result<Vec<ScoreRow>> {
        self.read("latest_scores", |db| scores::latest(db, account))
    }

    fn score_history(
        &self,
        account: &str,
        epic: Option<&str>,
        limit: u32,
    ) -> Result<Vec<ScorePoint>> {
        self.read("score_history", |db| {
            scores::history(db, account, epic, limit)
        })
    }

    fn record_inventory(
        &self,
        scan_id: ScanId,
        account: &str,
        resources: &[Resource],
        gaps: &[Gap],
    ) -> Result<Vec<ResourceChange>> {
        self.write("record_inventory", |db| {
            drift::record(db, scan_id, account, resources, gaps)
        })
    }

    fn list_changes(
        &self,
        filter: &ChangeFilter,
        page: &PageRequest,
    ) -> Result<Page<ResourceChange>> {
        self.read("list_changes", |db| drift::list(db, filter, page))
    }

    fn enqueue(&self, events: &[NewEvent]) -> Result<usize> {
        self.write("enqueue", |db| {
            outbox::insert(db, "enqueue", events, Utc::now())
        })
    }

    fn due_events(&self, sink: &str, now: DateTime<Utc>, limit: u32) -> Result<Vec<OutboxEvent>> {
        self.read("due_events", |db| outbox::due(db, sink, now, limit))
    }

    fn mark_delivered(&self, sink: &str, seqs: &[i64]) -> Result<usize> {
        self.write("mark_delivered", |db| {
            outbox::mark_delivered(db, sink, seqs, Utc::now())
        })
    }

    fn mark_failed(
        &self,
        sink: &str,
        seqs: &[i64],
        error: &str,
        next_attempt_at: DateTime<Utc>,
    ) -> Result<usize> {
        self.write("mark_failed", |db| {
            outbox::mark_failed(db, sink, seqs, error, next_attempt_at)
        })
    }

    fn outbox_stats(&self) -> Result<BTreeMap<String, SinkStats>> {
        self.read("outbox_stats", outbox::stats)
    }

    fn acquire_lease(
        &self,
        name: &str,
        holder: &str,
        ttl: TimeDelta,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        self.write("acquire_lease", |db| {
            leases::acquire(db, name, holder, ttl, now)
        })
    }

    fn renew_lease(
        &self,
        name: &str,
        holder: &str,
        ttl: TimeDelta,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        self.write("renew_lease", |db| {
            leases::renew(db, name, holder, ttl, now)
        })
    }

    fn release_lease(&self, name: &str, holder: &str) -> Result<bool> {
        self.write("release_lease", |db| leases::release(db, name, holder))
    }

    fn list_leases(&self) -> Result<Vec<Lease>> {
        self.read("list_leases", leases::list)
    }

    fn claim_cycle(
        &self,
        cycle: &Cycle,
        target: &str,
        holder: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        self.write("claim_cycle", |db| {
            leases::claim(db, cycle, target, holder, now)
        })
    }

    fn cycle_claims(&self, cycle: &Cycle) -> Result<Vec<(String, String)>> {
        self.read("cycle_claims", |db| leases::claims(db, cycle))
    }

    fn prune(&self, policy: &RetentionPolicy, now: DateTime<Utc>) -> Result<PruneReport> {
        self.write("prune", |db| retention::prune(db, policy, now))
    }
}
