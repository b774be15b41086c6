//! Scans: one row per scan of one account, from `running` to how it ended, with the
//! gaps it met. Other tables point at a scan to say when they were observed.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, Row, params};
use serde::{Deserialize, Serialize};
use vigil_inventory::Gap;

use crate::db::Db;
use crate::error::StoreError;
use crate::page::{Page, PageRequest};
use crate::time::SqlTime;

/// A scan's id. Ids only grow and are never reused, even after pruning, so an id in an
/// old event or log line never names a different scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ScanId(pub i64);

impl std::fmt::Display for ScanId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

text_enum! {
    /// What started a scan.
    pub enum ScanTrigger {
        /// The daemon's cron schedule.
        Schedule => "schedule",
        /// A request to the HTTP API.
        Api => "api",
        /// The scan the daemon runs when it starts.
        Startup => "startup",
    }
}

text_enum! {
    /// Where a scan is in its life.
    pub enum ScanStatus {
        Running => "running",
        Succeeded => "succeeded",
        Failed => "failed",
        /// The process stopped (crash, kill) before the scan finished.
        Interrupted => "interrupted",
        Cancelled => "cancelled",
    }
}

/// Findings of a scan by result.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResultCounts {
    pub pass: u64,
    pub fail: u64,
    pub error: u64,
    pub muted: u64,
}

/// Something the scan could not see, as kept with the scan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GapRecord {
    /// AWS service (`cloudtrail`).
    pub service: String,
    /// API operation (`DescribeTrails`).
    pub operation: String,
    /// Where: `account/region`, or the resource whose detail call failed.
    pub scope: String,
    /// AWS error code (`AccessDenied`).
    pub code: String,
    pub message: String,
}

impl From<&Gap> for GapRecord {
    fn from(gap: &Gap) -> Self {
        GapRecord {
            service: gap.service.clone(),
            operation: gap.operation.clone(),
            scope: gap
                .resource
                .clone()
                .unwrap_or_else(|| format!("{}/{}", gap.account, gap.region)),
            code: gap.error_code.clone(),
            message: gap.message.clone(),
        }
    }
}

/// How a scan ended, given to [`Store::finish_scan`](crate::Store::finish_scan).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScanOutcome {
    /// Any status but `running`.
    pub status: ScanStatus,
    pub finished_at: DateTime<Utc>,
    pub counts: ResultCounts,
    pub gaps: Vec<GapRecord>,
    /// Why the scan failed, for a failed scan.
    pub error: Option<String>,
    /// AWS API calls made, for cost and throttling questions.
    pub api_calls: u64,
}

/// A stored scan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScanRow {
    pub id: ScanId,
    pub account: String,
    pub trigger: ScanTrigger,
    pub status: ScanStatus,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub counts: ResultCounts,
    pub api_calls: u64,
    pub error: Option<String>,
    pub gaps: Vec<GapRecord>,
}

/// Which scans to list; `None` matches any.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanFilter {
    pub account: Option<String>,
    pub status: Option<ScanStatus>,
    pub trigger: Option<ScanTrigger>,
}

pub(crate) fn begin(
    db: Db<'_>,
    account: &str,
    trigger: ScanTrigger,
    started_at: DateTime<Utc>,
    holder: Option<&str>,
) -> Result<ScanId, StoreError> {
    if account.is_empty() {
        return Err(StoreError::InvalidInput {
            operation: "begin_scan",
            message: "the account is empty".into(),
        });
    }
    db.conn
        .prepare_cached(
            "INSERT INTO scans (account, trigger, status, started_at, holder)
             VALUES (?1, ?2, 'running', ?3, ?4)",
        )
        .and_then(|mut stmt| stmt.execute(params![account, trigger, SqlTime(started_at), holder]))
        .map_err(db.sql("begin_scan", "scans"))?;
    Ok(ScanId(db.conn.last_insert_rowid()))
}

pub(crate) fn set_account(db: Db<'_>, id: ScanId, account: &str) -> Result<(), StoreError> {
    const OP: &str = "set_scan_account";
    if account.is_empty() {
        return Err(StoreError::InvalidInput {
            operation: OP,
            message: "the account is empty".into(),
        });
    }
    ensure_running(&db, id, OP)?;
    db.conn
        .prepare_cached("UPDATE scans SET account = ?2 WHERE id = ?1")
        .and_then(|mut stmt| stmt.execute(params![id.0, account]))
        .map_err(db.sql(OP, "scans"))?;
    Ok(())
}

/// A scan can only change while it runs: an ended scan is history.
fn ensure_running(db: &Db<'_>, id: ScanId, op: &'static str) -> Result<(), StoreError> {
    let status: Option<ScanStatus> = db
        .conn
        .query_row("SELECT status FROM scans WHERE id = ?1", [id.0], |r| {
            r.get(0)
        })
        .optional()
        .map_err(db.sql(op, "scans"))?;
    match status {
        None => Err(StoreError::ScanNotFound {
            id: id.0,
            path: db.path.to_owned(),
        }),
        Some(ScanStatus::Running) => Ok(()),
        Some(other) => Err(StoreError::ScanNotRunning {
            id: id.0,
            status: other.to_string(),
            path: db.path.to_owned(),
        }),
    }
}

pub(crate) fn finish(db: Db<'_>, id: ScanId, outcome: &ScanOutcome) -> Result<(), StoreError> {
    const OP: &str = "finish_scan";
    if outcome.status == ScanStatus::Running {
        return Err(StoreError::InvalidInput {
            operation: OP,
            message: format!("scan {id} cannot finish as running"),
        });
    }
    ensure_running(&db, id, OP)?;
    let c = &outcome.counts;
    db.conn
        .execute(
            "UPDATE scans SET status = ?2, finished_at = ?3, pass_count = ?4, fail_count = ?5,
                 error_count = ?6, muted_count = ?7, api_calls = ?8, error = ?9
             WHERE id = ?1",
            params![
                id.0,
                outcome.status,
                SqlTime(outcome.finished_at),
                c.pass,
                c.fail,
                c.error,
                c.muted,
                outcome.api_calls,
                outcome.error
            ],
        )
        .map_err(db.sql(OP, "scans"))?;
    let mut insert = db
        .conn
        .prepare_cached(
            "INSERT INTO scan_gaps (scan_id, position, service, operation, scope, code, message)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )
        .map_err(db.sql(OP, "scan_gaps"))?;
    for (position, gap) in outcome.gaps.iter().enumerate() {
        insert
            .execute(params![
                id.0,
                position,
                gap.service,
                gap.operation,
                gap.scope,
                gap.code,
                gap.message
            ])
            .map_err(db.sql(OP, "scan_gaps"))?;
    }
    Ok(())
}

pub(crate) fn mark_interrupted(db: Db<'_>, now: DateTime<Utc>) -> Result<Vec<ScanId>, StoreError> {
    const OP: &str = "mark_interrupted_scans";
    let ids = db
        .conn
        .prepare("SELECT id FROM scans WHERE status = 'running' ORDER BY id")
        .and_then(|mut stmt| {
            stmt.query_map([], |r| r.get(0).map(ScanId))?
                .collect::<rusqlite::Result<Vec<_>>>()
        })
        .map_err(db.sql(OP, "scans"))?;
    db.conn
        .execute(
            "UPDATE scans SET status = 'interrupted', finished_at = ?1,
                 error = 'the process stopped before the scan finished'
             WHERE status = 'running'",
            [SqlTime(now)],
        )
        .map_err(db.sql(OP, "scans"))?;
    Ok(ids)
}

const COLUMNS: &str = "id, account, trigger, status, started_at, finished_at, pass_count, \
     fail_count, error_count, muted_count, api_calls, error";

fn from_row(r: &Row<'_>) -> rusqlite::Result<ScanRow> {
    Ok(ScanRow {
        id: ScanId(r.get(0)?),
        account: r.get(1)?,
        trigger: r.get(2)?,
        status: r.get(3)?,
        started_at: r.get::<_, SqlTime>(4)?.0,
        finished_at: r.get::<_, Option<SqlTime>>(5)?.map(|t| t.0),
        counts: ResultCounts {
            pass: r.get(6)?,
            fail: r.get(7)?,
            error: r.get(8)?,
            muted: r.get(9)?,
        },
        api_calls: r.get(10)?,
        error: r.get(11)?,
        gaps: Vec::new(),
    })
}

fn load_gaps(db: Db<'_>, scan: &mut ScanRow, operation: &'static str) -> Result<(), StoreError> {
    scan.gaps = db
        .conn
        .prepare_cached(
            "SELECT service, operation, scope, code, message FROM scan_gaps
             WHERE scan_id = ?1 ORDER BY position",
        )
        .and_then(|mut stmt| {
            stmt.query_map([scan.id.0], |r| {
                Ok(GapRecord {
                    service: r.get(0)?,
                    operation: r.get(1)?,
                    scope: r.get(2)?,
                    code: r.get(3)?,
                    message: r.get(4)?,
                })
            })?
            .collect()
        })
        .map_err(db.sql(operation, "scan_gaps"))?;
    Ok(())
}

pub(crate) fn get(db: Db<'_>, id: ScanId) -> Result<Option<ScanRow>, StoreError> {
    let scan = db
        .conn
        .query_row(
            &format!("SELECT {COLUMNS} FROM scans WHERE id = ?1"),
            [id.0],
            from_row,
        )
        .optional()
        .map_err(db.sql("get_scan", "scans"))?;
    let Some(mut scan) = scan else {
        return Ok(None);
    };
    load_gaps(db, &mut scan, "get_scan")?;
    Ok(Some(scan))
}

pub(crate) fn list(
    db: Db<'_>,
    filter: &ScanFilter,
    page: &PageRequest,
) -> Result<Page<ScanRow>, StoreError> {
    const OP: &str = "list_scans";
    let limit = page.effective_limit();
    let mut sql = format!("SELECT {COLUMNS} FROM scans WHERE 1 = 1");
    let mut args: Vec<rusqlite::types::Value> = Vec::new();
    let mut bind = |sql: &mut String, clause: &str, value: rusqlite::types::Value| {
        args.push(value);
        sql.push_str(&format!(" AND {clause} ?{}", args.len()));
    };
    if let Some(account) = &filter.account {
        bind(&mut sql, "account =", account.clone().into());
    }
    if let Some(status) = filter.status {
        bind(&mut sql, "status =", status.as_str().to_owned().into());
    }
    if let Some(trigger) = filter.trigger {
        bind(&mut sql, "trigger =", trigger.as_str().to_owned().into());
    }
    if let Some(after) = page.after_id(OP)? {
        bind(&mut sql, "id <", after.into());
    }
    sql.push_str(&format!(" ORDER BY id DESC LIMIT {}", limit + 1));
    let rows = db
        .conn
        .prepare(&sql)
        .and_then(|mut stmt| {
            stmt.query_map(rusqlite::params_from_iter(args.iter()), from_row)?
                .collect::<rusqlite::Result<Vec<_>>>()
        })
        .map_err(db.sql(OP, "scans"))?;
    let mut page = Page::from_rows(rows.into_iter().map(|s| (s.id.0, s)).collect(), limit);
    for scan in &mut page.items {
        load_gaps(db, scan, OP)?;
    }
    Ok(page)
}
