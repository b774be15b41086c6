//! Leases and cycle claims: how several daemon replicas sharing one store divide the
//! work (issue 13, item 2).
//!
//! A lease is a named piece of work (`scan:<target>`, `deliver:<sink>`) held by one
//! replica until `expires_at`. The holder renews it while it works (a heartbeat); a
//! replica that dies stops renewing, and once the lease has expired any other replica
//! may take it. Each call is one write transaction, so two replicas racing for the same
//! lease serialise on its row (PostgreSQL's row lock, SQLite's write lock) and exactly
//! one wins.
//!
//! A cycle claim records that one replica took one target of one firing of a schedule.
//! It outlives the lease on purpose: a replica that starts late, or finishes its other
//! work after the scan ended, must not scan the account again in the same cycle. Claims
//! are never taken over: a replica killed mid-scan loses the account for this cycle and
//! another takes it in the next one, as the issue asks.
//!
//! Instants come from the caller's clock, as everywhere else in the store: replicas
//! must keep their clocks in step (NTP) to well within a third of the lease's time.

use chrono::{DateTime, TimeDelta, Utc};
use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};

use crate::db::Db;
use crate::error::StoreError;
use crate::time::SqlTime;

/// Who holds a named piece of work, and until when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lease {
    pub name: String,
    pub holder: String,
    pub expires_at: DateTime<Utc>,
}

/// One cycle of one schedule: the schedule's name and its firing time (before jitter),
/// which every replica with the same configuration computes alike.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Cycle {
    pub schedule: String,
    pub fire_at: DateTime<Utc>,
}

/// Rejects empty names and holders, and a lease that would expire at once.
pub(crate) fn check(
    operation: &'static str,
    name: &str,
    holder: &str,
    ttl: Option<TimeDelta>,
) -> Result<(), StoreError> {
    let message = if name.is_empty() {
        "the lease name is empty"
    } else if holder.is_empty() {
        "the holder is empty"
    } else if ttl.is_some_and(|ttl| ttl <= TimeDelta::zero()) {
        "the lease time must be positive"
    } else {
        return Ok(());
    };
    Err(StoreError::InvalidInput {
        operation,
        message: message.into(),
    })
}

pub(crate) fn acquire(
    db: Db<'_>,
    name: &str,
    holder: &str,
    ttl: TimeDelta,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    const OP: &str = "acquire_lease";
    check(OP, name, holder, Some(ttl))?;
    // Free, expired, or already ours (then extended): the upsert's WHERE decides.
    let changed = db
        .conn
        .execute(
            "INSERT INTO leases (name, holder, expires_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (name) DO UPDATE SET holder = excluded.holder,
                 expires_at = excluded.expires_at
             WHERE leases.holder = excluded.holder OR leases.expires_at <= ?4",
            params![name, holder, SqlTime(now + ttl), SqlTime(now)],
        )
        .map_err(db.sql(OP, "leases"))?;
    Ok(changed == 1)
}

pub(crate) fn renew(
    db: Db<'_>,
    name: &str,
    holder: &str,
    ttl: TimeDelta,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    const OP: &str = "renew_lease";
    check(OP, name, holder, Some(ttl))?;
    let changed = db
        .conn
        .execute(
            "UPDATE leases SET expires_at = ?3
             WHERE name = ?1 AND holder = ?2 AND expires_at > ?4",
            params![name, holder, SqlTime(now + ttl), SqlTime(now)],
        )
        .map_err(db.sql(OP, "leases"))?;
    Ok(changed == 1)
}

pub(crate) fn release(db: Db<'_>, name: &str, holder: &str) -> Result<bool, StoreError> {
    const OP: &str = "release_lease";
    check(OP, name, holder, None)?;
    let changed = db
        .conn
        .execute(
            "DELETE FROM leases WHERE name = ?1 AND holder = ?2",
            params![name, holder],
        )
        .map_err(db.sql(OP, "leases"))?;
    Ok(changed == 1)
}

pub(crate) fn list(db: Db<'_>) -> Result<Vec<Lease>, StoreError> {
    const OP: &str = "list_leases";
    db.conn
        .prepare("SELECT name, holder, expires_at FROM leases ORDER BY name")
        .and_then(|mut stmt| {
            stmt.query_map([], |r| {
                Ok(Lease {
                    name: r.get(0)?,
                    holder: r.get(1)?,
                    expires_at: r.get::<_, SqlTime>(2)?.0,
                })
            })?
            .collect()
        })
        .map_err(db.sql(OP, "leases"))
}

pub(crate) fn claim(
    db: Db<'_>,
    cycle: &Cycle,
    target: &str,
    holder: &str,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    const OP: &str = "claim_cycle";
    check(OP, target, holder, None)?;
    let changed = db
        .conn
        .execute(
            "INSERT INTO cycle_claims (schedule, fire_at, target, holder, claimed_at)
             VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING",
            params![
                cycle.schedule,
                SqlTime(cycle.fire_at),
                target,
                holder,
                SqlTime(now)
            ],
        )
        .map_err(db.sql(OP, "cycle_claims"))?;
    Ok(changed == 1)
}

pub(crate) fn claims(db: Db<'_>, cycle: &Cycle) -> Result<Vec<(String, String)>, StoreError> {
    const OP: &str = "cycle_claims";
    db.conn
        .prepare(
            "SELECT target, holder FROM cycle_claims
             WHERE schedule = ?1 AND fire_at = ?2 ORDER BY target",
        )
        .and_then(|mut stmt| {
            stmt.query_map(params![cycle.schedule, SqlTime(cycle.fire_at)], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?
            .collect()
        })
        .map_err(db.sql(OP, "cycle_claims"))
}

/// The holder of a scan, if it was begun by a replica.
pub(crate) fn scan_holder(db: Db<'_>, id: i64) -> Result<Option<String>, StoreError> {
    db.conn
        .query_row("SELECT holder FROM scans WHERE id = ?1", [id], |r| r.get(0))
        .optional()
        .map(Option::flatten)
        .map_err(db.sql("scan_holder", "scans"))
}
