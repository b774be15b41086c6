//! Vigil's store: what the daemon must remember between scans and across restarts.
//!
//! It holds the scans themselves, the lifecycle of every finding (NEW, OPEN, RESOLVED,
//! REOPENED, MUTED, keyed by the finding's stable uid), the scores of each scan, the
//! latest inventory with the changes between scans (drift), and an outbox of events not
//! yet delivered to the sinks.
//!
//! The [`Store`] trait is the contract; [`SqliteStore`] is the embedded implementation,
//! so a fleet can later put PostgreSQL behind the same trait. The API is synchronous:
//! the daemon calls it through `spawn_blocking`, which keeps SQLite's blocking I/O off
//! the async runtime without making every caller async.
//!
//! Crash safety is the point of the design: every write method is one transaction, the
//! file is in WAL mode with `synchronous=FULL`, so a `kill -9` at any moment loses nothing
//! that a method had returned `Ok` for, and never leaves half of one. In particular
//! [`Store::record_results`] writes the lifecycle changes of a scan and the outbox events
//! they cause together: a sink can never miss a transition, nor hear of one that the
//! store forgot.

#[macro_use]
mod macros;

pub mod copy;
mod db;
mod drift;
mod error;
mod findings;
mod leases;
mod lifecycle;
mod migrations;
mod outbox;
mod page;
mod postgres;
mod retention;
mod scans;
mod scores;
mod sqlite;
mod time;

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, TimeDelta, Utc};
use vigil_inventory::{Gap, Resource};

pub use drift::{ChangeFilter, ChangeKind, FieldChange, ResourceChange};
pub use error::{PostgresError, StoreError};
pub use findings::{
    FindingFilter, FindingRecord, FindingRow, ResultStatus, StatusFilter, Transition,
    TransitionCause,
};
pub use leases::{Cycle, Lease};
pub use lifecycle::{LifecycleState, next_state};
pub use migrations::SCHEMA_VERSION;
pub use outbox::{NewEvent, OutboxEvent, SinkStats};
pub use page::{MAX_PAGE_SIZE, Page, PageRequest};
pub use postgres::{POSTGRES_SCHEMA_VERSION, PostgresStore};
pub use retention::{PruneReport, RetentionPolicy};
pub use scans::{
    GapRecord, ResultCounts, ScanFilter, ScanId, ScanOutcome, ScanRow, ScanStatus, ScanTrigger,
};
pub use scores::{ScorePoint, ScoreRow, ScoreSummary};
pub use sqlite::SqliteStore;

/// The result of every store method.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Everything the daemon keeps between scans. Every method that writes is one
/// transaction: it happens entirely or not at all, even across a crash.
///
/// Implementations are shared between the scheduler, the delivery loop and the HTTP
/// API, hence `Send + Sync`; they serialise writes themselves.
pub trait Store: Send + Sync {
    // ----- scans -----

    /// Records that a scan of `account` started, and returns its id. The scan stays
    /// `running` until [`finish_scan`](Store::finish_scan), or until
    /// [`mark_interrupted_scans`](Store::mark_interrupted_scans) finds it after a crash.
    fn begin_scan(
        &self,
        account: &str,
        trigger: ScanTrigger,
        started_at: DateTime<Utc>,
    ) -> Result<ScanId>;

    /// Names the account of a running scan once it is known. A scan row is begun
    /// before the account is identified (`sts:GetCallerIdentity` can stall), under the
    /// target's label, so that a process killed while identifying still leaves a row
    /// that the next start marks interrupted.
    fn set_scan_account(&self, id: ScanId, account: &str) -> Result<()>;

    /// Records how a running scan ended. Fails if the scan is unknown or no longer
    /// running, so that a scan cannot be finished twice with different outcomes.
    fn finish_scan(&self, id: ScanId, outcome: &ScanOutcome) -> Result<()>;

    /// Like [`begin_scan`](Store::begin_scan), for a scan run by the fleet replica
    /// `holder`: the scan is only orphaned once `holder` keeps no live lease (see
    /// [`mark_interrupted_scans`](Store::mark_interrupted_scans)). One transaction, so no
    /// other replica ever sees the scan without its holder.
    fn begin_held_scan(
        &self,
        account: &str,
        trigger: ScanTrigger,
        started_at: DateTime<Utc>,
        holder: &str,
    ) -> Result<ScanId>;

    /// The replica that runs (or ran) a scan, `None` for a scan of a lone daemon.
    fn scan_holder(&self, id: ScanId) -> Result<Option<String>>;

    /// Marks `interrupted` the scans still `running` that nobody is running any more,
    /// and returns their ids, for the log. On SQLite (one process per file) that is
    /// every running scan: the daemon calls it once, at startup. On PostgreSQL,
    /// shared by replicas, it is the running scans without a holder, or whose holder
    /// keeps no live lease: never another live replica's scan, so every replica may
    /// call it each cycle to clean up after one that was killed.
    fn mark_interrupted_scans(&self) -> Result<Vec<ScanId>>;

    /// Scans, newest first.
    fn list_scans(&self, filter: &ScanFilter, page: &PageRequest) -> Result<Page<ScanRow>>;

    /// One scan with its gaps, if it exists (it may have been pruned).
    fn get_scan(&self, id: ScanId) -> Result<Option<ScanRow>>;

    // ----- findings -----

    /// Applies one scan's findings for `account` to the stored lifecycle and, in the same
    /// transaction, puts into the outbox every event that `make_events` returns for each
    /// transition. Returns the transitions, in the order they were made.
    ///
    /// A finding of that account in state NEW, OPEN or REOPENED whose resource is not in
    /// `present_resource_ids` (and which is not among `findings`) is RESOLVED: its
    /// resource no longer exists. That is only true of a scan that saw the account, so
    /// the caller does not call this method for a scan that failed as a whole, and puts
    /// into `present_resource_ids` the resources it could not list (gaps), lest they be
    /// taken for deleted.
    ///
    /// `make_events` runs inside the transaction with the store locked: it must not call
    /// the store. If it returns an event the outbox rejects, nothing of the call is kept.
    fn record_results(
        &self,
        scan_id: ScanId,
        account: &str,
        findings: &[FindingRecord],
        present_resource_ids: &HashSet<String>,
        make_events: &mut dyn FnMut(&Transition) -> Vec<NewEvent>,
    ) -> Result<Vec<Transition>>;

    /// Current findings, filtered, in a stable order (oldest first).
    fn list_findings(&self, filter: &FindingFilter, page: &PageRequest)
    -> Result<Page<FindingRow>>;

    /// One finding by account and uid.
    fn get_finding(&self, account: &str, uid: &str) -> Result<Option<FindingRow>>;

    // ----- scores -----

    /// Stores the scorecard of one scan of `account`. Recording again for the same scan
    /// replaces it, so a retried step is harmless.
    fn record_scores(
        &self,
        scan_id: ScanId,
        account: &str,
        scorecard: &serde_json::Value,
        summary: &ScoreSummary,
    ) -> Result<()>;

    /// The latest scores of one account, or of every account (one row each).
    fn latest_scores(&self, account: Option<&str>) -> Result<Vec<ScoreRow>>;

    /// Epic levels of `account` over time, newest first, at most `limit` points. With
    /// `epic`, each point holds that epic alone, and scans without it are skipped.
    fn score_history(
        &self,
        account: &str,
        epic: Option<&str>,
        limit: u32,
    ) -> Result<Vec<ScorePoint>>;

    // ----- drift -----

    /// Stores the inventory of a successful scan of `account` and returns how it differs
    /// from the previous one: resources added, removed, and modified (with each changed
    /// JSON path). The first inventory of an account is a baseline and yields no change.
    ///
    /// A stored resource that is missing now is only called removed if no gap covers its
    /// type and region; a resource named by a gap (its detail call failed) keeps its
    /// stored state, since its missing properties would otherwise look like changes.
    fn record_inventory(
        &self,
        scan_id: ScanId,
        account: &str,
        resources: &[Resource],
        gaps: &[Gap],
    ) -> Result<Vec<ResourceChange>>;

    /// Recorded changes, newest first.
    fn list_changes(
        &self,
        filter: &ChangeFilter,
        page: &PageRequest,
    ) -> Result<Page<ResourceChange>>;

    // ----- outbox -----

    /// Adds events not tied to a finding transition (a scan summary, say), in one
    /// transaction. An event whose (sink, event_id) is already there is ignored. Returns
    /// how many were new.
    fn enqueue(&self, events: &[NewEvent]) -> Result<usize>;

    /// Undelivered events of `sink` whose next attempt is due at `now`, in insertion
    /// order, at most `limit`.
    fn due_events(&self, sink: &str, now: DateTime<Utc>, limit: u32) -> Result<Vec<OutboxEvent>>;

    /// Marks events delivered. Returns how many were still undelivered.
    fn mark_delivered(&self, sink: &str, seqs: &[i64]) -> Result<usize>;

    /// Records a failed delivery: one more attempt, the error, and when to try again.
    fn mark_failed(
        &self,
        sink: &str,
        seqs: &[i64],
        error: &str,
        next_attempt_at: DateTime<Utc>,
    ) -> Result<usize>;

    /// Undelivered events per sink, for metrics and the health endpoint.
    fn outbox_stats(&self) -> Result<BTreeMap<String, SinkStats>>;

    // ----- fleet: leases and cycle claims (see the `leases` module) -----

    /// Takes the lease `name` for `holder` until `now + ttl` if it is free, expired, or
    /// already `holder`'s (then it is extended). Returns whether `holder` holds it now.
    fn acquire_lease(
        &self,
        name: &str,
        holder: &str,
        ttl: TimeDelta,
        now: DateTime<Utc>,
    ) -> Result<bool>;

    /// The heartbeat: extends the lease to `now + ttl` if `holder` still holds it and it
    /// has not expired. `false` means the lease was lost: the holder must stop the work.
    fn renew_lease(
        &self,
        name: &str,
        holder: &str,
        ttl: TimeDelta,
        now: DateTime<Utc>,
    ) -> Result<bool>;

    /// Gives the lease up, if `holder` holds it. Returns whether it did.
    fn release_lease(&self, name: &str, holder: &str) -> Result<bool>;

    /// Every lease, expired ones included, by name.
    fn list_leases(&self) -> Result<Vec<Lease>>;

    /// Claims `target` in `cycle` for `holder`. Only the first claim of a (cycle,
    /// target) succeeds, whoever makes it, and a claim is never taken over.
    fn claim_cycle(
        &self,
        cycle: &Cycle,
        target: &str,
        holder: &str,
        now: DateTime<Utc>,
    ) -> Result<bool>;

    /// The claims of one cycle: (target, holder), by target.
    fn cycle_claims(&self, cycle: &Cycle) -> Result<Vec<(String, String)>>;

    // ----- retention -----

    /// Deletes what is older than the policy allows as of `now`. Never deletes an
    /// undelivered event nor the current state of a finding or resource.
    fn prune(&self, policy: &RetentionPolicy, now: DateTime<Utc>) -> Result<PruneReport>;
}
