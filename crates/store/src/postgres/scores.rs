//! Scores in PostgreSQL: the SQL of `crate::scores`, with the same types.

use chrono::{DateTime, Utc};

use super::{Pg, ms};
use crate::error::StoreError;
use crate::scans::ScanId;
use crate::scores::{ScorePoint, ScoreRow, ScoreSummary};

pub(crate) fn record(
    pg: &mut Pg<'_, '_>,
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
    let scanned_at = ms(pg.scan_start(OP, scan_id, account)?);
    let scorecard = serde_json::to_string(scorecard).map_err(pg.json(OP, "scores"))?;
    let summary = serde_json::to_string(summary).map_err(pg.json(OP, "scores"))?;
    pg.execute(
        OP,
        "scores",
        "INSERT INTO scores (scan_id, account, scanned_at, scorecard, summary)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (scan_id) DO UPDATE SET scorecard = excluded.scorecard,
             summary = excluded.summary",
        &[&scan_id.0, &account, &scanned_at, &scorecard, &summary],
    )?;
    Ok(())
}

pub(crate) fn latest(
    pg: &mut Pg<'_, '_>,
    account: Option<&str>,
) -> Result<Vec<ScoreRow>, StoreError> {
    const OP: &str = "latest_scores";
    let rows = pg.query(
        OP,
        "scores",
        "SELECT scan_id, account, scanned_at, scorecard, summary FROM scores
         WHERE scan_id IN (SELECT MAX(scan_id) FROM scores GROUP BY account)
           AND ($1::text IS NULL OR account = $1::text)
         ORDER BY account",
        &[&account],
    )?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let (scan_id, account, scanned_at, scorecard, summary) = (|| {
            Ok::<_, postgres::Error>((
                ScanId(r.try_get(0)?),
                r.try_get::<_, String>(1)?,
                r.try_get::<_, DateTime<Utc>>(2)?,
                r.try_get::<_, String>(3)?,
                r.try_get::<_, String>(4)?,
            ))
        })()
        .map_err(pg.sql(OP, "scores"))?;
        out.push(ScoreRow {
            scan_id,
            account,
            scanned_at,
            scorecard: serde_json::from_str(&scorecard).map_err(pg.json(OP, "scores"))?,
            summary: serde_json::from_str(&summary).map_err(pg.json(OP, "scores"))?,
        });
    }
    Ok(out)
}

/// Reads newest first in pages, stopping at `limit` points: with an epic filter, scans
/// without that epic are skipped, so how many rows are needed is not known up front.
pub(crate) fn history(
    pg: &mut Pg<'_, '_>,
    account: &str,
    epic: Option<&str>,
    limit: u32,
) -> Result<Vec<ScorePoint>, StoreError> {
    const OP: &str = "score_history";
    const BATCH: i64 = 500;
    let mut points = Vec::new();
    let mut before = i64::MAX;
    while points.len() < limit as usize {
        let rows = pg.query(
            OP,
            "scores",
            "SELECT scan_id, scanned_at, summary FROM scores
             WHERE account = $1 AND scan_id < $2
             ORDER BY scan_id DESC LIMIT $3",
            &[&account, &before, &BATCH],
        )?;
        for r in &rows {
            let (scan_id, scanned_at, summary) = (|| {
                Ok::<_, postgres::Error>((
                    r.try_get::<_, i64>(0)?,
                    r.try_get::<_, DateTime<Utc>>(1)?,
                    r.try_get::<_, String>(2)?,
                ))
            })()
            .map_err(pg.sql(OP, "scores"))?;
            before = scan_id;
            let summary: ScoreSummary =
                serde_json::from_str(&summary).map_err(pg.json(OP, "scores"))?;
            let mut epic_levels = summary.epic_levels;
            if let Some(epic) = epic {
                epic_levels.retain(|name, _| name == epic);
                if epic_levels.is_empty() {
                    continue;
                }
            }
            points.push(ScorePoint {
                scan_id: ScanId(scan_id),
                scanned_at,
                epic_levels,
            });
            if points.len() == limit as usize {
                break;
            }
        }
        if (rows.len() as i64) < BATCH {
            break;
        }
    }
    Ok(points)
}
