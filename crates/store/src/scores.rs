//! Scores: the scorecard of each scan of each account, kept whole (as JSON, so the
//! scorer can evolve its shape freely) beside a small typed summary that history and
//! trend queries read without parsing the scorecard.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rusqlite::params;
use serde::{Deserialize, Serialize};

use crate::db::Db;
use crate::error::StoreError;
use crate::scans::ScanId;
use crate::time::SqlTime;

/// The numbers worth a time series.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ScoreSummary {
    /// Maturity of each epic, 0 to 3, by epic id.
    #[serde(default)]
    pub epic_levels: BTreeMap<String, u8>,
    /// Score of each CAF component as the scorer reports it, where it has one.
    #[serde(default)]
    pub caf_components: BTreeMap<String, f64>,
    /// Score of each WAF security area, likewise.
    #[serde(default)]
    pub waf_areas: BTreeMap<String, f64>,
    /// Status of each key security enabler (`Unaddressed`, `Engaged`, `Completed`).
    #[serde(default)]
    pub enablers: BTreeMap<String, String>,
}

/// The scores of one scan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoreRow {
    pub scan_id: ScanId,
    pub account: String,
    /// When the scan started: the moment the scores describe.
    pub scanned_at: DateTime<Utc>,
    pub scorecard: serde_json::Value,
    pub summary: ScoreSummary,
}

/// One point of an epic-level time series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScorePoint {
    pub scan_id: ScanId,
    pub scanned_at: DateTime<Utc>,
    pub epic_levels: BTreeMap<String, u8>,
}

pub(crate) fn record(
    db: Db<'_>,
    scan_id: ScanId,
    account: &str,
    scorecard: &serde_json::Value,
    summary: &ScoreSummary,
) -> Result<(), StoreError> {
    const OP: &str = "record_scores";
    if let Some((epic, level)) = summary.epic_levels.iter().find(|(_, level)| **level > 3) {
        return Err(StoreError::InvalidInput {
            operation: OP,
            message: format!("epic {epic} has level {level}; levels go from 0 to 3"),
        });
    }
    let scanned_at = db.scan_start(OP, scan_id, account)?;
    let scorecard = serde_json::to_string(scorecard).map_err(db.json(OP, "scores"))?;
    let summary = serde_json::to_string(summary).map_err(db.json(OP, "scores"))?;
    db.conn
        .execute(
            "INSERT INTO scores (scan_id, account, scanned_at, scorecard, summary)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (scan_id) DO UPDATE SET scorecard = excluded.scorecard,
                 summary = excluded.summary",
            params![scan_id.0, account, SqlTime(scanned_at), scorecard, summary],
        )
        .map_err(db.sql(OP, "scores"))?;
    Ok(())
}

pub(crate) fn latest(db: Db<'_>, account: Option<&str>) -> Result<Vec<ScoreRow>, StoreError> {
    const OP: &str = "latest_scores";
    // Scan ids only grow, so the highest one of an account is its latest scan.
    let raw = db
        .conn
        .prepare_cached(
            "SELECT scan_id, account, scanned_at, scorecard, summary FROM scores
             WHERE scan_id IN (SELECT MAX(scan_id) FROM scores GROUP BY account)
               AND (?1 IS NULL OR account = ?1)
             ORDER BY account",
        )
        .and_then(|mut stmt| {
            stmt.query_map([account], |r| {
                Ok((
                    ScanId(r.get(0)?),
                    r.get::<_, String>(1)?,
                    r.get::<_, SqlTime>(2)?.0,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()
        })
        .map_err(db.sql(OP, "scores"))?;
    raw.into_iter()
        .map(|(scan_id, account, scanned_at, scorecard, summary)| {
            Ok(ScoreRow {
                scan_id,
                account,
                scanned_at,
                scorecard: serde_json::from_str(&scorecard).map_err(db.json(OP, "scores"))?,
                summary: serde_json::from_str(&summary).map_err(db.json(OP, "scores"))?,
            })
        })
        .collect()
}

pub(crate) fn history(
    db: Db<'_>,
    account: &str,
    epic: Option<&str>,
    limit: u32,
) -> Result<Vec<ScorePoint>, StoreError> {
    const OP: &str = "score_history";
    let mut stmt = db
        .conn
        .prepare_cached(
            "SELECT scan_id, scanned_at, summary FROM scores WHERE account = ?1
             ORDER BY scan_id DESC",
        )
        .map_err(db.sql(OP, "scores"))?;
    let mut rows = stmt.query([account]).map_err(db.sql(OP, "scores"))?;
    let mut points = Vec::new();
    while points.len() < limit as usize {
        let Some(row) = rows.next().map_err(db.sql(OP, "scores"))? else {
            break;
        };
        let summary: String = row.get(2).map_err(db.sql(OP, "scores"))?;
        let summary: ScoreSummary =
            serde_json::from_str(&summary).map_err(db.json(OP, "scores"))?;
        let mut epic_levels = summary.epic_levels;
        if let Some(epic) = epic {
            epic_levels.retain(|name, _| name == epic);
            if epic_levels.is_empty() {
                continue;
            }
        }
        points.push(ScorePoint {
            scan_id: ScanId(row.get(0).map_err(db.sql(OP, "scores"))?),
            scanned_at: row.get::<_, SqlTime>(1).map_err(db.sql(OP, "scores"))?.0,
            epic_levels,
        });
    }
    Ok(points)
}
