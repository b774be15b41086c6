//! Retention: deleting history that has aged out, so the file does not grow forever.
//!
//! What is never deleted, whatever the policy: an undelivered event (that would break
//! at-least-once delivery), the current state of findings and resources (that is what
//! tells NEW from REOPENED and what drift compares against), a running scan, and the
//! latest scan and latest scored scan of each account (so "latest" queries keep
//! answering for an account that has not been scanned for a while).

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use crate::db::Db;
use crate::error::StoreError;
use crate::time::SqlTime;

/// How long to keep each kind of history, in days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetentionPolicy {
    /// Scans, with their gaps, scores and changes.
    pub scans_days: u32,
    /// Drift changes, which may be kept shorter than their scans.
    pub changes_days: u32,
    /// Events already delivered.
    pub delivered_events_days: u32,
}

impl Default for RetentionPolicy {
    fn default() -> Self {
        RetentionPolicy {
            scans_days: 90,
            changes_days: 90,
            delivered_events_days: 7,
        }
    }
}

/// How many rows `prune` deleted, by kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PruneReport {
    pub scans: u64,
    pub scan_gaps: u64,
    pub scores: u64,
    pub changes: u64,
    pub delivered_events: u64,
}

pub(crate) fn prune(
    db: Db<'_>,
    policy: &RetentionPolicy,
    now: DateTime<Utc>,
) -> Result<PruneReport, StoreError> {
    const OP: &str = "prune";
    let cutoff = |days: u32| SqlTime(now - TimeDelta::days(i64::from(days)));
    let count = |n: usize| n as u64;

    let old_scans: Vec<i64> = db
        .conn
        .prepare(
            "SELECT id FROM scans
             WHERE started_at < ?1 AND status <> 'running'
               AND id NOT IN (SELECT MAX(id) FROM scans GROUP BY account)
               AND id NOT IN (SELECT MAX(scan_id) FROM scores GROUP BY account)",
        )
        .and_then(|mut stmt| {
            stmt.query_map([cutoff(policy.scans_days)], |r| r.get(0))?
                .collect()
        })
        .map_err(db.sql(OP, "scans"))?;

    let mut report = PruneReport::default();
    // Children first, explicitly rather than by cascade, so the report can count them.
    for (table, counter) in [
        ("resource_changes", &mut report.changes),
        ("scores", &mut report.scores),
        ("scan_gaps", &mut report.scan_gaps),
        ("scans", &mut report.scans),
    ] {
        let key = if table == "scans" { "id" } else { "scan_id" };
        let mut stmt = db
            .conn
            .prepare(&format!("DELETE FROM {table} WHERE {key} = ?1"))
            .map_err(db.sql(OP, table))?;
        for id in &old_scans {
            *counter += count(stmt.execute([id]).map_err(db.sql(OP, table))?);
        }
    }

    report.changes += count(
        db.conn
            .execute(
                "DELETE FROM resource_changes WHERE detected_at < ?1",
                [cutoff(policy.changes_days)],
            )
            .map_err(db.sql(OP, "resource_changes"))?,
    );
    report.delivered_events = count(
        db.conn
            .execute(
                "DELETE FROM outbox WHERE delivered_at IS NOT NULL AND delivered_at < ?1",
                [cutoff(policy.delivered_events_days)],
            )
            .map_err(db.sql(OP, "outbox"))?,
    );
    tracing::info!(
        scans = report.scans,
        scores = report.scores,
        changes = report.changes,
        delivered_events = report.delivered_events,
        "pruned the store"
    );
    Ok(report)
}
