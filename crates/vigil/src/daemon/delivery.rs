//! Delivery: each sink drains its part of the outbox in insertion order. A failed batch
//! stays in the outbox with its attempt count and the next time to try (exponential
//! backoff, or the receiver's `Retry-After`), so a SIEM that is down for hours loses
//! nothing and is not hammered; a restart picks up where the last run stopped.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio_util::sync::CancellationToken;
use vigil_sink::{Event, Sink};

use super::Daemon;
use super::metrics::labels;

/// How often an idle loop looks for due events when nobody wakes it.
const IDLE_POLL: Duration = Duration::from_secs(1);

/// Delivers `sink`'s events until `stop` is cancelled. With `draining` cancelled (a
/// shutdown in progress) it returns as soon as nothing is due.
pub async fn deliver(
    daemon: Arc<Daemon>,
    sink: Arc<dyn Sink>,
    draining: CancellationToken,
    stop: CancellationToken,
) {
    let name = sink.name().to_owned();
    let limit = u32::try_from(sink.max_batch().max(1)).unwrap_or(u32::MAX);
    let lease = format!("deliver:{name}");
    // In a fleet, when this replica last took or renewed the sink's lease.
    let mut renewed: Option<tokio::time::Instant> = None;
    loop {
        if stop.is_cancelled() {
            break;
        }
        if let Some(fleet) = &daemon.fleet
            && renewed.is_none_or(|at| at.elapsed() >= fleet.heartbeat())
        {
            if super::fleet::acquire(&daemon, fleet, &lease).await {
                if renewed.is_none() {
                    tracing::info!(sink = %name, replica = %fleet.replica, "this replica delivers the sink");
                }
                renewed = Some(tokio::time::Instant::now());
            } else {
                if renewed.take().is_some() {
                    tracing::warn!(sink = %name, replica = %fleet.replica, "the sink's lease went to another replica");
                }
                // Another replica delivers; look again in a heartbeat, or leave at
                // shutdown: that replica flushes what is due.
                if draining.is_cancelled() {
                    return;
                }
                tokio::select! {
                    () = tokio::time::sleep(fleet.heartbeat()) => {}
                    () = stop.cancelled() => return,
                    () = draining.cancelled() => return,
                }
                continue;
            }
        }
        let due = {
            let store = Arc::clone(&daemon.store);
            let name = name.clone();
            tokio::task::spawn_blocking(move || store.due_events(&name, Utc::now(), limit)).await
        };
        let due = match due {
            Ok(Ok(due)) => due,
            Ok(Err(err)) => {
                tracing::error!(sink = %name, error = %err, "cannot read the outbox");
                Vec::new()
            }
            Err(err) => {
                tracing::error!(sink = %name, error = %err, "outbox task failed");
                Vec::new()
            }
        };
        if due.is_empty() {
            if draining.is_cancelled() {
                break;
            }
            tokio::select! {
                () = daemon.wake_delivery.notified() => {}
                () = tokio::time::sleep(IDLE_POLL) => {}
                () = stop.cancelled() => break,
            }
            continue;
        }
        let seqs: Vec<i64> = due.iter().map(|e| e.seq).collect();
        let attempts = due.iter().map(|e| e.attempts).max().unwrap_or(0);
        let events: Vec<Event> = due
            .into_iter()
            .map(|e| Event {
                id: e.event_id,
                kind: e.kind,
                time: e.created_at,
                body: e.payload,
            })
            .collect();
        let sent = tokio::select! {
            sent = sink.send(&events) => sent,
            () = stop.cancelled() => break,
        };
        let store = Arc::clone(&daemon.store);
        let sink_name = name.clone();
        match sent {
            Ok(()) => {
                let n = events.len() as u64;
                let marked =
                    tokio::task::spawn_blocking(move || store.mark_delivered(&sink_name, &seqs))
                        .await;
                if !matches!(marked, Ok(Ok(_))) {
                    // Delivered but not marked: these events will go again (at least once).
                    tracing::error!(sink = %name, "cannot mark events delivered: {marked:?}");
                }
                daemon
                    .metrics
                    .delivered
                    .get_or_create(&labels([("sink", &name)]))
                    .inc_by(n);
                tracing::debug!(sink = %name, events = n, "delivered");
            }
            Err(err) => {
                let retryable = err.is_retryable();
                let slowest = Duration::from_secs(daemon.config.delivery.max_backoff_secs.max(1));
                let delay = if retryable {
                    err.retry_after()
                        .unwrap_or_else(|| daemon.config.delivery.backoff(attempts + 1))
                        .min(slowest)
                } else {
                    slowest
                };
                let next = Utc::now()
                    + chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::seconds(60));
                let message = err.to_string();
                daemon
                    .metrics
                    .sink_errors
                    .get_or_create(&labels([
                        ("sink", &name),
                        ("retryable", if retryable { "true" } else { "false" }),
                    ]))
                    .inc();
                if retryable {
                    tracing::warn!(sink = %name, events = events.len(), attempt = attempts + 1, retry_in_secs = delay.as_secs(), error = %message, "delivery failed; will retry");
                } else {
                    // Kept, not dropped: a rejected event waits for the operator to fix the
                    // sink's configuration or the receiver, and is retried at the slowest pace.
                    tracing::error!(sink = %name, events = events.len(), attempt = attempts + 1, error = %message, "delivery rejected; events kept in the outbox");
                }
                let failed = tokio::task::spawn_blocking(move || {
                    store.mark_failed(&sink_name, &seqs, &message, next)
                })
                .await;
                if !matches!(failed, Ok(Ok(_))) {
                    tracing::error!(sink = %name, "cannot record the failed delivery");
                }
                // Nothing else of this sink is due before the batch at its head.
                tokio::select! {
                    () = tokio::time::sleep(delay.min(IDLE_POLL * 5)) => {}
                    () = stop.cancelled() => break,
                }
            }
        }
    }
    if let Some(fleet) = &daemon.fleet
        && renewed.is_some()
    {
        // Let another replica take over at once instead of after the lease time.
        super::fleet::release(&daemon, fleet, &lease).await;
    }
}

/// Every few seconds: outbox depth and age per sink into the metrics, and a warning
/// when a sink's backlog passes the configured bound.
pub async fn watch_backlog(daemon: Arc<Daemon>, stop: CancellationToken) {
    let mut warned: std::collections::HashSet<String> = Default::default();
    loop {
        let store = Arc::clone(&daemon.store);
        if let Ok(Ok(stats)) = tokio::task::spawn_blocking(move || store.outbox_stats()).await {
            let now = Utc::now();
            for sink in &daemon.sinks {
                let name = sink.name();
                let (depth, oldest) = stats
                    .get(name)
                    .map_or((0, None), |stat| (stat.depth, stat.oldest_created_at));
                let exceeded = depth > daemon.config.delivery.backlog_warn_events;
                let depth = i64::try_from(depth).unwrap_or(i64::MAX);
                daemon
                    .metrics
                    .outbox_depth
                    .get_or_create(&labels([("sink", name)]))
                    .set(depth);
                let age = oldest.map_or(0, |t| (now - t).num_seconds().max(0));
                daemon
                    .metrics
                    .outbox_oldest_age
                    .get_or_create(&labels([("sink", name)]))
                    .set(age);
                daemon
                    .metrics
                    .outbox_backlog_exceeded
                    .get_or_create(&labels([("sink", name)]))
                    .set(i64::from(exceeded));
                if exceeded && warned.insert(name.to_owned()) {
                    tracing::warn!(sink = %name, undelivered = depth, oldest_age_secs = age, bound = daemon.config.delivery.backlog_warn_events, "outbox backlog above its bound; nothing is dropped, the sink is behind");
                } else if !exceeded {
                    warned.remove(name);
                }
            }
        }
        tokio::select! {
            () = tokio::time::sleep(Duration::from_secs(5)) => {}
            () = stop.cancelled() => return,
        }
    }
}
