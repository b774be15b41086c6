//! Retention in PostgreSQL: the SQL of `crate::retention`, keeping the same rows.

use chrono::{DateTime, TimeDelta, Utc};

use super::{Pg, ms};
use crate::error::StoreError;
use crate::retention::{PruneReport, RetentionPolicy};

pub(crate) fn prune(
    pg: &mut Pg<'_, '_>,
    policy: &RetentionPolicy,
    now: DateTime<Utc>,
) -> Result<PruneReport, StoreError> {
    const OP: &str = "prune";
    let cutoff = |days: u32| ms(now - TimeDelta::days(i64::from(days)));

    let old_scans: Vec<i64> = pg
        .query(
            OP,
            "scans",
            "SELECT id FROM scans
             WHERE started_at < $1 AND status <> 'running'
               AND id NOT IN (SELECT MAX(id) FROM scans GROUP BY account)
               AND id NOT IN (SELECT MAX(scan_id) FROM scores GROUP BY account)",
            &[&cutoff(policy.scans_days)],
        )?
        .iter()
        .map(|r| r.try_get(0))
        .collect::<Result<_, _>>()
        .map_err(pg.sql(OP, "scans"))?;

    let mut report = PruneReport::default();
    // Children first, explicitly rather than by cascade, so the report can count them.
    for (table, counter) in [
        ("resource_changes", &mut report.changes),
        ("scores", &mut report.scores),
        ("scan_gaps", &mut report.scan_gaps),
        ("scans", &mut report.scans),
    ] {
        let key = if table == "scans" { "id" } else { "scan_id" };
        *counter += pg.execute(
            OP,
            table,
            &format!("DELETE FROM {table} WHERE {key} = ANY($1)"),
            &[&old_scans],
        )?;
    }
    report.changes += pg.execute(
        OP,
        "resource_changes",
        "DELETE FROM resource_changes WHERE detected_at < $1",
        &[&cutoff(policy.changes_days)],
    )?;
    report.delivered_events = pg.execute(
        OP,
        "outbox",
        "DELETE FROM outbox WHERE delivered_at IS NOT NULL AND delivered_at < $1",
        &[&cutoff(policy.delivered_events_days)],
    )?;
    tracing::info!(
        scans = report.scans,
        scores = report.scores,
        changes = report.changes,
        delivered_events = report.delivered_events,
        "pruned the store"
    );
    Ok(report)
}
