//! The outbox in PostgreSQL: the SQL of `crate::outbox`, with the same types.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::{Pg, ms, unsigned};
use crate::error::StoreError;
use crate::outbox::{NewEvent, OutboxEvent, SinkStats};

/// Inserts events, ignoring those whose (sink, event_id) is already there; any other
/// constraint broken fails the caller's whole transaction, as in SQLite.
pub(crate) fn insert(
    pg: &mut Pg<'_, '_>,
    operation: &'static str,
    events: &[NewEvent],
    now: DateTime<Utc>,
) -> Result<usize, StoreError> {
    if events.is_empty() {
        return Ok(0);
    }
    let stmt = pg.prepare(
        operation,
        "outbox",
        "INSERT INTO outbox (sink, event_id, kind, payload, created_at, next_attempt_at)
         VALUES ($1, $2, $3, $4, $5, $5)
         ON CONFLICT (sink, event_id) DO NOTHING",
    )?;
    let now = ms(now);
    let mut inserted = 0;
    for event in events {
        let payload =
            serde_json::to_string(&event.payload).map_err(pg.json(operation, "outbox"))?;
        inserted += pg
            .tx
            .execute(
                &stmt,
                &[&event.sink, &event.event_id, &event.kind, &payload, &now],
            )
            .map_err(pg.sql(operation, "outbox"))?;
    }
    Ok(inserted as usize)
}

pub(crate) fn due(
    pg: &mut Pg<'_, '_>,
    sink: &str,
    now: DateTime<Utc>,
    limit: u32,
) -> Result<Vec<OutboxEvent>, StoreError> {
    const OP: &str = "due_events";
    let rows = pg.query(
        OP,
        "outbox",
        "SELECT seq, event_id, kind, payload, attempts, last_error, created_at FROM outbox
         WHERE sink = $1 AND delivered_at IS NULL AND next_attempt_at <= $2
         ORDER BY seq LIMIT $3",
        &[&sink, &ms(now), &i64::from(limit)],
    )?;
    let mut events = Vec::with_capacity(rows.len());
    for r in &rows {
        let (mut event, payload) = (|| {
            Ok::<_, postgres::Error>((
                OutboxEvent {
                    seq: r.try_get(0)?,
                    event_id: r.try_get(1)?,
                    kind: r.try_get(2)?,
                    payload: serde_json::Value::Null,
                    attempts: u32::try_from(r.try_get::<_, i64>(4)?).unwrap_or(u32::MAX),
                    last_error: r.try_get(5)?,
                    created_at: r.try_get(6)?,
                },
                r.try_get::<_, String>(3)?,
            ))
        })()
        .map_err(pg.sql(OP, "outbox"))?;
        event.payload = serde_json::from_str(&payload).map_err(pg.json(OP, "outbox"))?;
        events.push(event);
    }
    Ok(events)
}

pub(crate) fn mark_delivered(
    pg: &mut Pg<'_, '_>,
    sink: &str,
    seqs: &[i64],
    now: DateTime<Utc>,
) -> Result<usize, StoreError> {
    let changed = pg.execute(
        "mark_delivered",
        "outbox",
        "UPDATE outbox SET delivered_at = $3
         WHERE sink = $1 AND seq = ANY($2) AND delivered_at IS NULL",
        &[&sink, &seqs, &ms(now)],
    )?;
    Ok(changed as usize)
}

pub(crate) fn mark_failed(
    pg: &mut Pg<'_, '_>,
    sink: &str,
    seqs: &[i64],
    error: &str,
    next_attempt_at: DateTime<Utc>,
) -> Result<usize, StoreError> {
    let changed = pg.execute(
        "mark_failed",
        "outbox",
        "UPDATE outbox SET attempts = attempts + 1, last_error = $3, next_attempt_at = $4
         WHERE sink = $1 AND seq = ANY($2) AND delivered_at IS NULL",
        &[&sink, &seqs, &error, &ms(next_attempt_at)],
    )?;
    Ok(changed as usize)
}

pub(crate) fn stats(pg: &mut Pg<'_, '_>) -> Result<BTreeMap<String, SinkStats>, StoreError> {
    const OP: &str = "outbox_stats";
    let rows = pg.query(
        OP,
        "outbox",
        "SELECT sink, COUNT(*), MIN(created_at), COUNT(*) FILTER (WHERE attempts > 0)
         FROM outbox WHERE delivered_at IS NULL GROUP BY sink",
        &[],
    )?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get(0)?,
                SinkStats {
                    depth: unsigned(r.try_get(1)?),
                    oldest_created_at: r.try_get(2)?,
                    failing: unsigned(r.try_get(3)?),
                },
            ))
        })
        .collect::<Result<_, postgres::Error>>()
        .map_err(pg.sql(OP, "outbox"))
}
