//! [`PostgresStore`]: the fleet's store, the same [`Store`] contract as SQLite in a
//! PostgreSQL database, so several daemon replicas can share one history.
//!
//! The driver is the `postgres` crate, the synchronous face of `tokio-postgres`: the
//! trait is synchronous (the daemon calls it through `spawn_blocking`), so a blocking
//! client fits it with no adapter, and it is light (no macros, no query checking at
//! build time, no connection pool framework). `sqlx` was the alternative: async only,
//! heavier to build, and its SQLite driver links its own `libsqlite3-sys`, which
//! conflicts with rusqlite's. The client runs a small runtime of its own, so it must
//! never be called from inside an async task: the daemon's `spawn_blocking` is the way.
//!
//! One connection behind a mutex, like [`SqliteStore`](crate::SqliteStore): a daemon
//! writes a few transactions per scan, and one connection keeps each method's
//! transaction whole without a pool. A connection that broke (a server restart, a
//! fail-over of RDS) is replaced on the next call; the call that met the break fails.
//!
//! Every writing method is one transaction (READ COMMITTED); every reading method is a
//! read-only REPEATABLE READ transaction, so a query of several statements sees one
//! snapshot, as with SQLite. The SQL lives in one module per table, beside SQLite's,
//! and the conformance suite (tests/store) runs the same tests against both.
//!
//! For fleets (issue 13, item 2) the second migration adds leases, per-cycle claims and
//! each scan's holder (see `crate::leases`): replicas divide the accounts and the sinks
//! with them, and [`Store::mark_interrupted_scans`] only marks the scans whose holder
//! keeps no live lease.

mod batch;
mod connect;
mod drift;
mod findings;
mod leases;
mod migrations;
mod outbox;
mod retention;
mod scans;
mod scores;

use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use chrono::{DateTime, SubsecRound, TimeDelta, Utc};
use postgres::types::ToSql;
use postgres::{Client, IsolationLevel, Row, Transaction};
use vigil_inventory::{Gap, Resource};

use crate::error::StoreError;
use crate::{
    ChangeFilter, Cycle, FindingFilter, FindingRecord, FindingRow, Lease, NewEvent, OutboxEvent,
    Page, PageRequest, PruneReport, ResourceChange, Result, RetentionPolicy, ScanFilter, ScanId,
    ScanOutcome, ScanRow, ScanTrigger, ScorePoint, ScoreRow, ScoreSummary, SinkStats, Store,
    Transition,
};

/// How long a failed call's connection gets to answer an empty query before it is replaced.
const BROKEN_CHECK_TIMEOUT: Duration = Duration::from_secs(2);

pub use migrations::SCHEMA_VERSION as POSTGRES_SCHEMA_VERSION;

/// The store in a PostgreSQL database.
pub struct PostgresStore {
    connector: connect::Connector,
    /// `None` after a connection broke, until the next call reconnects.
    client: Mutex<Option<Client>>,
}

/// The blocking client shuts its connection down on a runtime of its own, which panics
/// on a thread that drives async tasks: where the daemon's last reference to the store
/// may well go. Closing it on a thread of its own is safe from anywhere.
impl Drop for PostgresStore {
    fn drop(&mut self) {
        let client = self
            .client
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(client) = client {
            let _ = std::thread::spawn(move || drop(client)).join();
        }
    }
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStore")
            .field("target", &self.connector.target)
            .finish_non_exhaustive()
    }
}

impl PostgresStore {
    /// Connects to `url` and brings the schema up to date, in the database's default
    /// schema (`public`). See the `connect` module for the URL's TLS settings.
    pub fn open(url: &str) -> Result<Self> {
        Self::open_in_schema(url, None)
    }

    /// Like [`open`](Self::open), with the tables in `schema` (created if missing), so
    /// one database can hold several stores: tenants, or tests running in parallel.
    pub fn open_in_schema(url: &str, schema: Option<&str>) -> Result<Self> {
        let connector = connect::Connector::new(url, schema)?;
        let mut client = connector.connect()?;
        let version = migrations::migrate(&mut client, &connector.target)?;
        tracing::info!(store = %connector.target, schema_version = version, "opened the store");
        Ok(PostgresStore {
            connector,
            client: Mutex::new(Some(client)),
        })
    }

    /// Checks a URL as [`open`](Self::open) reads it (its syntax, TLS settings and CA
    /// file) without connecting: what `vigil config validate` can know offline.
    pub fn check_url(url: &str) -> Result<()> {
        connect::Connector::new(url, None).map(drop)
    }

    /// The server, database and schema, without the password: for messages.
    pub fn target(&self) -> &str {
        &self.connector.target
    }

    /// The schema version recorded in the database.
    pub fn schema_version(&self) -> Result<u32> {
        self.read("schema_version", |pg| migrations::current(pg.tx, pg.target))
    }

    /// The connection, connecting again if the last one broke. A panic while it was
    /// held leaves it usable: its open transaction, if any, was rolled back when the
    /// transaction dropped, so the poison flag is ignored.
    pub(crate) fn client(&self, operation: &'static str) -> Result<MutexGuard<'_, Option<Client>>> {
        let mut guard = self.client.lock().unwrap_or_else(PoisonError::into_inner);
        if guard.as_ref().is_none_or(Client::is_closed) {
            tracing::warn!(store = %self.connector.target, operation, "reconnecting to the store");
            *guard = None;
            *guard = Some(self.connector.connect()?);
        }
        Ok(guard)
    }

    /// Runs `f` in a write transaction: all of it is committed, or none (a returned
    /// error drops the transaction, which rolls it back).
    fn write<T>(
        &self,
        operation: &'static str,
        f: impl FnOnce(&mut Pg<'_, '_>) -> Result<T>,
    ) -> Result<T> {
        self.transaction(operation, false, f)
    }

    /// Runs `f` in a read-only snapshot.
    fn read<T>(
        &self,
        operation: &'static str,
        f: impl FnOnce(&mut Pg<'_, '_>) -> Result<T>,
    ) -> Result<T> {
        self.transaction(operation, true, f)
    }

    fn transaction<T>(
        &self,
        operation: &'static str,
        read_only: bool,
        f: impl FnOnce(&mut Pg<'_, '_>) -> Result<T>,
    ) -> Result<T> {
        let target = self.connector.target.as_str();
        let failed = |step: &'static str| {
            move |source: postgres::Error| StoreError::PostgresTransaction {
                operation,
                step,
                target: target.to_owned(),
                source: source.into(),
            }
        };
        let mut guard = self.client(operation)?;
        let client = guard.as_mut().expect("client() leaves a connection");
        let out = (|| {
            let mut builder = client.build_transaction();
            if read_only {
                builder = builder
                    .read_only(true)
                    .isolation_level(IsolationLevel::RepeatableRead);
            }
            let mut tx = builder.start().map_err(failed("begin a transaction"))?;
            let out = f(&mut Pg {
                tx: &mut tx,
                target,
            })?;
            tx.commit().map_err(failed("commit"))?;
            Ok(out)
        })();
        // A failure may be the break itself, noticed before the client marks itself
        // closed (the server ended the session; the connection task has not caught up):
        // a connection that cannot answer an empty query now is replaced too, or the
        // next call would fail on it as well.
        if client.is_closed() || (out.is_err() && client.is_valid(BROKEN_CHECK_TIMEOUT).is_err()) {
            *guard = None;
        }
        out
    }
}

/// An open transaction and the description of its database: what every module's query
/// functions take, as SQLite's take [`Db`](crate::db::Db).
pub(crate) struct Pg<'a, 'c> {
    pub tx: &'a mut Transaction<'c>,
    pub target: &'a str,
}

/// Parameters of one statement.
pub(crate) type Params<'p> = [&'p (dyn ToSql + Sync)];

impl Pg<'_, '_> {
    /// Maps a PostgreSQL error to one naming the operation, the table and the database.
    pub fn sql(
        &self,
        operation: &'static str,
        table: &'static str,
    ) -> impl FnOnce(postgres::Error) -> StoreError + use<> {
        let target = self.target.to_owned();
        move |source: postgres::Error| StoreError::Postgres {
            operation,
            table,
            target,
            source: source.into(),
        }
    }

    /// Maps a JSON error the same way.
    pub fn json(
        &self,
        operation: &'static str,
        table: &'static str,
    ) -> impl FnOnce(serde_json::Error) -> StoreError + use<> {
        let path = self.path();
        move |source| StoreError::Json {
            operation,
            table,
            path,
            source,
        }
    }

    /// The database as the errors shared with SQLite name it.
    pub fn path(&self) -> PathBuf {
        PathBuf::from(self.target)
    }

    pub fn execute(
        &mut self,
        operation: &'static str,
        table: &'static str,
        sql: &str,
        params: &Params<'_>,
    ) -> Result<u64> {
        self.tx
            .execute(sql, params)
            .map_err(self.sql(operation, table))
    }

    pub fn query(
        &mut self,
        operation: &'static str,
        table: &'static str,
        sql: &str,
        params: &Params<'_>,
    ) -> Result<Vec<Row>> {
        self.tx
            .query(sql, params)
            .map_err(self.sql(operation, table))
    }

    pub fn query_opt(
        &mut self,
        operation: &'static str,
        table: &'static str,
        sql: &str,
        params: &Params<'_>,
    ) -> Result<Option<Row>> {
        self.tx
            .query_opt(sql, params)
            .map_err(self.sql(operation, table))
    }

    /// A statement prepared once for a loop of executions.
    pub fn prepare(
        &mut self,
        operation: &'static str,
        table: &'static str,
        sql: &str,
    ) -> Result<postgres::Statement> {
        self.tx.prepare(sql).map_err(self.sql(operation, table))
    }

    /// Checks that `scan_id` exists and belongs to `account`, and returns when it
    /// started, as [`Db::scan_start`](crate::db::Db::scan_start) does for SQLite.
    pub fn scan_start(
        &mut self,
        operation: &'static str,
        scan_id: ScanId,
        account: &str,
    ) -> Result<DateTime<Utc>> {
        let row = self.query_opt(
            operation,
            "scans",
            "SELECT account, started_at FROM scans WHERE id = $1",
            &[&scan_id.0],
        )?;
        let Some(row) = row else {
            return Err(StoreError::ScanNotFound {
                id: scan_id.0,
                path: self.path(),
            });
        };
        let (scan_account, started_at): (String, DateTime<Utc>) =
            (|| Ok::<_, postgres::Error>((row.try_get(0)?, row.try_get(1)?)))()
                .map_err(self.sql(operation, "scans"))?;
        if scan_account != account {
            return Err(StoreError::InvalidInput {
                operation,
                message: format!("scan {scan_id} is of account {scan_account}, not {account}"),
            });
        }
        Ok(started_at)
    }
}

/// An instant as the store keeps it: to the millisecond, as SQLite's text does, so both
/// stores answer with the same values.
pub(crate) fn ms(t: DateTime<Utc>) -> DateTime<Utc> {
    t.trunc_subsecs(3)
}

/// A count as a BIGINT. Counts beyond `i64::MAX` cannot occur; refusing one beats
/// storing a negative number.
pub(crate) fn bigint(operation: &'static str, what: &str, n: u64) -> Result<i64> {
    i64::try_from(n).map_err(|_| StoreError::InvalidInput {
        operation,
        message: format!("{what} {n} is too large to store"),
    })
}

/// A stored count (never negative: the store writes them) as the API's unsigned type.
pub(crate) fn unsigned(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

impl Store for PostgresStore {
    fn begin_scan(
        &self,
        account: &str,
        trigger: ScanTrigger,
        started_at: DateTime<Utc>,
    ) -> Result<ScanId> {
        self.write("begin_scan", |pg| {
            scans::begin(pg, account, trigger, started_at, None)
        })
    }

    fn begin_held_scan(
        &self,
        account: &str,
        trigger: ScanTrigger,
        started_at: DateTime<Utc>,
        holder: &str,
    ) -> Result<ScanId> {
        self.write("begin_scan", |pg| {
            scans::begin(pg, account, trigger, started_at, Some(holder))
        })
    }

    fn scan_holder(&self, id: ScanId) -> Result<Option<String>> {
        self.read("scan_holder", |pg| leases::scan_holder(pg, id.0))
    }

    fn set_scan_account(&self, id: ScanId, account: &str) -> Result<()> {
        self.write("set_scan_account", |pg| scans::set_account(pg, id, account))
    }

    fn finish_scan(&self, id: ScanId, outcome: &ScanOutcome) -> Result<()> {
        self.write("finish_scan", |pg| scans::finish(pg, id, outcome))
    }

    fn mark_interrupted_scans(&self) -> Result<Vec<ScanId>> {
        let ids = self.write("mark_interrupted_scans", |pg| {
            scans::mark_interrupted(pg, Utc::now())
        })?;
        if !ids.is_empty() {
            tracing::warn!(scans = ?ids, "scans left running by the previous process are now interrupted");
        }
        Ok(ids)
    }

    fn list_scans(&self, filter: &ScanFilter, page: &PageRequest) -> Result<Page<ScanRow>> {
        self.read("list_scans", |pg| scans::list(pg, filter, page))
    }

    fn get_scan(&self, id: ScanId) -> Result<Option<ScanRow>> {
        self.read("get_scan", |pg| scans::get(pg, id))
    }

    fn record_results(
        &self,
        scan_id: ScanId,
        account: &str,
        findings: &[FindingRecord],
        present_resource_ids: &HashSet<String>,
        make_events: &mut dyn FnMut(&Transition) -> Vec<NewEvent>,
    ) -> Result<Vec<Transition>> {
        self.write("record_results", |pg| {
            findings::record_results(
                pg,
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
        self.read("list_findings", |pg| findings::list(pg, filter, page))
    }

    fn get_finding(&self, account: &str, uid: &str) -> Result<Option<FindingRow>> {
        self.read("get_finding", |pg| {
            findings::get(pg, "get_finding", account, uid)
        })
    }

    fn record_scores(
        &self,
        scan_id: ScanId,
        account: &str,
        scorecard: &serde_json::Value,
        summary: &ScoreSummary,
    ) -> Result<()> {
        self.write("record_scores", |pg| {
            scores::record(pg, scan_id, account, scorecard, summary)
        })
    }

    fn latest_scores(&self, account: Option<&str>) -> Result<Vec<ScoreRow>> {
        self.read("latest_scores", |pg| scores::latest(pg, account))
    }

    fn score_history(
        &self,
        account: &str,
        epic: Option<&str>,
        limit: u32,
    ) -> Result<Vec<ScorePoint>> {
        self.read("score_history", |pg| {
            scores::history(pg, account, epic, limit)
        })
    }

    fn record_inventory(
        &self,
        scan_id: ScanId,
        account: &str,
        resources: &[Resource],
        gaps: &[Gap],
    ) -> Result<Vec<ResourceChange>> {
        self.write("record_inventory", |pg| {
            drift::record(pg, scan_id, account, resources, gaps)
        })
    }

    fn list_changes(
        &self,
        filter: &ChangeFilter,
        page: &PageRequest,
    ) -> Result<Page<ResourceChange>> {
        self.read("list_changes", |pg| drift::list(pg, filter, page))
    }

    fn enqueue(&self, events: &[NewEvent]) -> Result<usize> {
        self.write("enqueue", |pg| {
            outbox::insert(pg, "enqueue", events, Utc::now())
        })
    }

    fn due_events(&self, sink: &str, now: DateTime<Utc>, limit: u32) -> Result<Vec<OutboxEvent>> {
        self.read("due_events", |pg| outbox::due(pg, sink, now, limit))
    }

    fn mark_delivered(&self, sink: &str, seqs: &[i64]) -> Result<usize> {
        self.write("mark_delivered", |pg| {
            outbox::mark_delivered(pg, sink, seqs, Utc::now())
        })
    }

    fn mark_failed(
        &self,
        sink: &str,
        seqs: &[i64],
        error: &str,
        next_attempt_at: DateTime<Utc>,
    ) -> Result<usize> {
        self.write("mark_failed", |pg| {
            outbox::mark_failed(pg, sink, seqs, error, next_attempt_at)
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
        self.write("acquire_lease", |pg| {
            leases::acquire(pg, name, holder, ttl, now)
        })
    }

    fn renew_lease(
        &self,
        name: &str,
        holder: &str,
        ttl: TimeDelta,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        self.write("renew_lease", |pg| {
            leases::renew(pg, name, holder, ttl, now)
        })
    }

    fn release_lease(&self, name: &str, holder: &str) -> Result<bool> {
        self.write("release_lease", |pg| leases::release(pg, name, holder))
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
        self.write("claim_cycle", |pg| {
            leases::claim(pg, cycle, target, holder, now)
        })
    }

    fn cycle_claims(&self, cycle: &Cycle) -> Result<Vec<(String, String)>> {
        self.read("cycle_claims", |pg| leases::claims(pg, cycle))
    }

    fn prune(&self, policy: &RetentionPolicy, now: DateTime<Utc>) -> Result<PruneReport> {
        self.write("prune", |pg| retention::prune(pg, policy, now))
    }
}
