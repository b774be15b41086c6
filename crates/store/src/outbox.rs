//! The outbox: events waiting for delivery to a sink, for at-least-once delivery.
//!
//! An event is written in the same transaction as the change it reports, then a delivery
//! loop reads the due ones, sends them, and marks them delivered or failed (with when to
//! retry). A crash between sending and marking means the event is sent again, which is
//! why events carry a stable `event_id` that sinks can deduplicate on, and why inserting
//! an event id twice for the same sink is a no-op. Only retention deletes rows, and only
//! delivered ones.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rusqlite::params;
use serde::{Deserialize, Serialize};

use crate::db::Db;
use crate::error::StoreError;
use crate::time::SqlTime;

/// An event to deliver.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewEvent {
    /// The sink's configured name.
    pub sink: String,
    /// Stable: computing the same event again yields the same id (see
    /// [`Transition::event_id`](crate::Transition::event_id)).
    pub event_id: String,
    /// What the event is about (`finding.new`, `finding.resolved`, `scan.summary`).
    pub kind: String,
    pub payload: serde_json::Value,
}

/// A stored event not yet delivered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutboxEvent {
    /// Insertion order; the handle for `mark_delivered` and `mark_failed`.
    pub seq: i64,
    pub event_id: String,
    pub kind: String,
    pub payload: serde_json::Value,
    /// Failed deliveries so far.
    pub attempts: u32,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// The backlog of one sink.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SinkStats {
    /// Undelivered events.
    pub depth: u64,
    /// When the oldest undelivered event was created: how far behind the sink is.
    pub oldest_created_at: Option<DateTime<Utc>>,
    /// Undelivered events that have failed at least once.
    pub failing: u64,
}

/// Inserts events, ignoring those whose (sink, event_id) is already there. Only that
/// uniqueness conflict is ignored: an event breaking another constraint (an empty sink)
/// fails, and with it the caller's whole transaction.
pub(crate) fn insert(
    db: Db<'_>,
    operation: &'static str,
    events: &[NewEvent],
    now: DateTime<Utc>,
) -> Result<usize, StoreError> {
    if events.is_empty() {
        return Ok(0);
    }
    let mut stmt = db
        .conn
        .prepare_cached(
            "INSERT INTO outbox (sink, event_id, kind, payload, created_at, next_attempt_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?5)
             ON CONFLICT (sink, event_id) DO NOTHING",
        )
        .map_err(db.sql(operation, "outbox"))?;
    let mut inserted = 0;
    for event in events {
        let payload =
            serde_json::to_string(&event.payload).map_err(db.json(operation, "outbox"))?;
        inserted += stmt
            .execute(params![
                event.sink,
                event.event_id,
                event.kind,
                payload,
                SqlTime(now)
            ])
            .map_err(db.sql(operation, "outbox"))?;
    }
    Ok(inserted)
}

pub(crate) fn due(
    db: Db<'_>,
    sink: &str,
    now: DateTime<Utc>,
    limit: u32,
) -> Result<Vec<OutboxEvent>, StoreError> {
    const OP: &str = "due_events";
    let raw = db
        .conn
        .prepare_cached(
            "SELECT seq, event_id, kind, payload, attempts, last_error, created_at FROM outbox
             WHERE sink = ?1 AND delivered_at IS NULL AND next_attempt_at <= ?2
             ORDER BY seq LIMIT ?3",
        )
        .and_then(|mut stmt| {
            stmt.query_map(params![sink, SqlTime(now), limit], |r| {
                Ok((
                    OutboxEvent {
                        seq: r.get(0)?,
                        event_id: r.get(1)?,
                        kind: r.get(2)?,
                        payload: serde_json::Value::Null,
                        attempts: r.get(4)?,
                        last_error: r.get(5)?,
                        created_at: r.get::<_, SqlTime>(6)?.0,
                    },
                    r.get::<_, String>(3)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()
        })
        .map_err(db.sql(OP, "outbox"))?;
    raw.into_iter()
        .map(|(mut event, payload)| {
            event.payload = serde_json::from_str(&payload).map_err(db.json(OP, "outbox"))?;
            Ok(event)
        })
        .collect()
}

pub(crate) fn mark_delivered(
    db: Db<'_>,
    sink: &str,
    seqs: &[i64],
    now: DateTime<Utc>,
) -> Result<usize, StoreError> {
    let mut stmt = db
        .conn
        .prepare_cached(
            "UPDATE outbox SET delivered_at = ?3
             WHERE sink = ?1 AND seq = ?2 AND delivered_at IS NULL",
        )
        .map_err(db.sql("mark_delivered", "outbox"))?;
    let mut changed = 0;
    for seq in seqs {
        changed += stmt
            .execute(params![sink, seq, SqlTime(now)])
            .map_err(db.sql("mark_delivered", "outbox"))?;
    }
    Ok(changed)
}

pub(crate) fn mark_failed(
    db: Db<'_>,
    sink: &str,
    seqs: &[i64],
    error: &str,
    next_attempt_at: DateTime<Utc>,
) -> Result<usize, StoreError> {
    let mut stmt = db
        .conn
        .prepare_cached(
            "UPDATE outbox SET attempts = attempts + 1, last_error = ?3, next_attempt_at = ?4
             WHERE sink = ?1 AND seq = ?2 AND delivered_at IS NULL",
        )
        .map_err(db.sql("mark_failed", "outbox"))?;
    let mut changed = 0;
    for seq in seqs {
        changed += stmt
            .execute(params![sink, seq, error, SqlTime(next_attempt_at)])
            .map_err(db.sql("mark_failed", "outbox"))?;
    }
    Ok(changed)
}

pub(crate) fn stats(db: Db<'_>) -> Result<BTreeMap<String, SinkStats>, StoreError> {
    db.conn
        .prepare_cached(
            "SELECT sink, COUNT(*), MIN(created_at), SUM(attempts > 0) FROM outbox
             WHERE delivered_at IS NULL GROUP BY sink",
        )
        .and_then(|mut stmt| {
            stmt.query_map([], |r| {
                Ok((
                    r.get(0)?,
                    SinkStats {
                        depth: r.get(1)?,
                        oldest_created_at: r.get::<_, Option<SqlTime>>(2)?.map(|t| t.0),
                        failing: r.get(3)?,
                    },
                ))
            })?
            .collect()
        })
        .map_err(db.sql("outbox_stats", "outbox"))
}
