//! Scans in PostgreSQL: the SQL of `crate::scans`, whose types and rules it shares.

use chrono::{DateTime, Utc};
use postgres::Row;
use postgres::types::ToSql;

use super::{Pg, bigint, ms, unsigned};
use crate::error::StoreError;
use crate::page::{Page, PageRequest};
use crate::scans::{
    GapRecord, ResultCounts, ScanFilter, ScanId, ScanOutcome, ScanRow, ScanStatus, ScanTrigger,
};

pub(crate) fn begin(
    pg: &mut Pg<'_, '_>,
    account: &str,
    trigger: ScanTrigger,
    started_at: DateTime<Utc>,
    holder: Option<&str>,
) -> Result<ScanId, StoreError> {
    const OP: &str = "begin_scan";
    if account.is_empty() {
        return Err(StoreError::InvalidInput {
            operation: OP,
            message: "the account is empty".into(),
        });
    }
    let rows = pg.query(
        OP,
        "scans",
        "INSERT INTO scans (account, trigger, status, started_at, holder)
         VALUES ($1, $2, 'running', $3, $4) RETURNING id",
        &[&account, &trigger.as_str(), &ms(started_at), &holder],
    )?;
    rows.first()
        .map(|r| r.try_get(0).map(ScanId))
        .transpose()
        .map_err(pg.sql(OP, "scans"))?
        .ok_or_else(|| StoreError::InvalidInput {
            operation: OP,
            message: "the insert returned no id".into(),
        })
}

pub(crate) fn set_account(
    pg: &mut Pg<'_, '_>,
    id: ScanId,
    account: &str,
) -> Result<(), StoreError> {
    const OP: &str = "set_scan_account";
    if account.is_empty() {
        return Err(StoreError::InvalidInput {
            operation: OP,
            message: "the account is empty".into(),
        });
    }
    ensure_running(pg, id, OP)?;
    pg.execute(
        OP,
        "scans",
        "UPDATE scans SET account = $2 WHERE id = $1",
        &[&id.0, &account],
    )?;
    Ok(())
}

/// A scan can only change while it runs; the row is locked until the transaction ends,
/// so two processes cannot both finish it.
fn ensure_running(pg: &mut Pg<'_, '_>, id: ScanId, op: &'static str) -> Result<(), StoreError> {
    let row = pg.query_opt(
        op,
        "scans",
        "SELECT status FROM scans WHERE id = $1 FOR UPDATE",
        &[&id.0],
    )?;
    let status: Option<ScanStatus> = row
        .map(|r| r.try_get(0))
        .transpose()
        .map_err(pg.sql(op, "scans"))?;
    match status {
        None => Err(StoreError::ScanNotFound {
            id: id.0,
            path: pg.path(),
        }),
        Some(ScanStatus::Running) => Ok(()),
        Some(other) => Err(StoreError::ScanNotRunning {
            id: id.0,
            status: other.to_string(),
            path: pg.path(),
        }),
    }
}

pub(crate) fn finish(
    pg: &mut Pg<'_, '_>,
    id: ScanId,
    outcome: &ScanOutcome,
) -> Result<(), StoreError> {
    const OP: &str = "finish_scan";
    if outcome.status == ScanStatus::Running {
        return Err(StoreError::InvalidInput {
            operation: OP,
            message: format!("scan {id} cannot finish as running"),
        });
    }
    ensure_running(pg, id, OP)?;
    let c = &outcome.counts;
    pg.execute(
        OP,
        "scans",
        "UPDATE scans SET status = $2, finished_at = $3, pass_count = $4, fail_count = $5,
             error_count = $6, muted_count = $7, api_calls = $8, error = $9
         WHERE id = $1",
        &[
            &id.0,
            &outcome.status.as_str(),
            &ms(outcome.finished_at),
            &bigint(OP, "pass count", c.pass)?,
            &bigint(OP, "fail count", c.fail)?,
            &bigint(OP, "error count", c.error)?,
            &bigint(OP, "muted count", c.muted)?,
            &bigint(OP, "api calls", outcome.api_calls)?,
            &outcome.error,
        ],
    )?;
    let insert = pg.prepare(
        OP,
        "scan_gaps",
        "INSERT INTO scan_gaps (scan_id, position, service, operation, scope, code, message)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )?;
    for (position, gap) in outcome.gaps.iter().enumerate() {
        pg.tx
            .execute(
                &insert,
                &[
                    &id.0,
                    &(position as i64),
                    &gap.service,
                    &gap.operation,
                    &gap.scope,
                    &gap.code,
                    &gap.message,
                ],
            )
            .map_err(pg.sql(OP, "scan_gaps"))?;
    }
    Ok(())
}

pub(crate) fn mark_interrupted(
    pg: &mut Pg<'_, '_>,
    now: DateTime<Utc>,
) -> Result<Vec<ScanId>, StoreError> {
    const OP: &str = "mark_interrupted_scans";
    let rows = pg.query(
        OP,
        "scans",
        // Several replicas share the database: a scan is only orphaned when no replica
        // vouches for it, i.e. it has no holder (one daemon, or an older Vigil) or its
        // holder keeps no live lease (killed, or cut off from the database).
        "UPDATE scans SET status = 'interrupted', finished_at = $1,
             error = 'the process stopped before the scan finished'
         WHERE status = 'running'
           AND (holder IS NULL OR NOT EXISTS (
               SELECT 1 FROM leases l WHERE l.holder = scans.holder AND l.expires_at > $1))
         RETURNING id",
        &[&ms(now)],
    )?;
    let mut ids = rows
        .iter()
        .map(|r| r.try_get(0).map(ScanId))
        .collect::<Result<Vec<_>, _>>()
        .map_err(pg.sql(OP, "scans"))?;
    ids.sort();
    Ok(ids)
}

const COLUMNS: &str = "id, account, trigger, status, started_at, finished_at, pass_count, \
     fail_count, error_count, muted_count, api_calls, error";

fn from_row(r: &Row) -> Result<ScanRow, postgres::Error> {
    Ok(ScanRow {
        id: ScanId(r.try_get(0)?),
        account: r.try_get(1)?,
        trigger: r.try_get(2)?,
        status: r.try_get(3)?,
        started_at: r.try_get(4)?,
        finished_at: r.try_get(5)?,
        counts: ResultCounts {
            pass: unsigned(r.try_get(6)?),
            fail: unsigned(r.try_get(7)?),
            error: unsigned(r.try_get(8)?),
            muted: unsigned(r.try_get(9)?),
        },
        api_calls: unsigned(r.try_get(10)?),
        error: r.try_get(11)?,
        gaps: Vec::new(),
    })
}

fn load_gaps(
    pg: &mut Pg<'_, '_>,
    scan: &mut ScanRow,
    operation: &'static str,
) -> Result<(), StoreError> {
    let rows = pg.query(
        operation,
        "scan_gaps",
        "SELECT service, operation, scope, code, message FROM scan_gaps
         WHERE scan_id = $1 ORDER BY position",
        &[&scan.id.0],
    )?;
    scan.gaps = rows
        .iter()
        .map(|r| {
            Ok(GapRecord {
                service: r.try_get(0)?,
                operation: r.try_get(1)?,
                scope: r.try_get(2)?,
                code: r.try_get(3)?,
                message: r.try_get(4)?,
            })
        })
        .collect::<Result<_, postgres::Error>>()
        .map_err(pg.sql(operation, "scan_gaps"))?;
    Ok(())
}

pub(crate) fn get(pg: &mut Pg<'_, '_>, id: ScanId) -> Result<Option<ScanRow>, StoreError> {
    const OP: &str = "get_scan";
    let row = pg.query_opt(
        OP,
        "scans",
        &format!("SELECT {COLUMNS} FROM scans WHERE id = $1"),
        &[&id.0],
    )?;
    let Some(row) = row else {
        return Ok(None);
    };
    let mut scan = from_row(&row).map_err(pg.sql(OP, "scans"))?;
    load_gaps(pg, &mut scan, OP)?;
    Ok(Some(scan))
}

pub(crate) fn list(
    pg: &mut Pg<'_, '_>,
    filter: &ScanFilter,
    page: &PageRequest,
) -> Result<Page<ScanRow>, StoreError> {
    const OP: &str = "list_scans";
    let limit = page.effective_limit();
    let mut sql = format!("SELECT {COLUMNS} FROM scans WHERE 1 = 1");
    let mut args: Vec<Box<dyn ToSql + Sync>> = Vec::new();
    let mut bind = |sql: &mut String, clause: &str, value: Box<dyn ToSql + Sync>| {
        args.push(value);
        sql.push_str(&format!(" AND {clause} ${}", args.len()));
    };
    if let Some(account) = &filter.account {
        bind(&mut sql, "account =", Box::new(account.clone()));
    }
    if let Some(status) = filter.status {
        bind(&mut sql, "status =", Box::new(status.as_str()));
    }
    if let Some(trigger) = filter.trigger {
        bind(&mut sql, "trigger =", Box::new(trigger.as_str()));
    }
    if let Some(after) = page.after_id(OP)? {
        bind(&mut sql, "id <", Box::new(after));
    }
    sql.push_str(&format!(" ORDER BY id DESC LIMIT {}", limit + 1));
    let params: Vec<&(dyn ToSql + Sync)> = args.iter().map(|a| a.as_ref()).collect();
    let rows = pg.query(OP, "scans", &sql, &params)?;
    let rows = rows
        .iter()
        .map(from_row)
        .collect::<Result<Vec<_>, _>>()
        .map_err(pg.sql(OP, "scans"))?;
    let mut page = Page::from_rows(rows.into_iter().map(|s| (s.id.0, s)).collect(), limit);
    for scan in &mut page.items {
        load_gaps(pg, scan, OP)?;
    }
    Ok(page)
}
