//! The outbox on its own: ordering, backoff, duplicates, bookkeeping, stats.

use chrono::{TimeDelta, Utc};
use serde_json::json;
use vigil_store::{NewEvent, Store};

use crate::common::*;

fn event(sink: &str, id: &str) -> NewEvent {
    NewEvent {
        sink: sink.to_owned(),
        event_id: id.to_owned(),
        kind: "scan.summary".to_owned(),
        payload: json!({ "id": id }),
    }
}

fn ids(events: &[vigil_store::OutboxEvent]) -> Vec<&str> {
    events.iter().map(|e| e.event_id.as_str()).collect()
}

fn delivery_bookkeeping(store: &dyn Store) {
    let inserted = store
        .enqueue(&[
            event(SINK, "e1"),
            event(SINK, "e2"),
            event("file", "e1"),
            event(SINK, "e3"),
        ])
        .unwrap();
    assert_eq!(
        inserted, 4,
        "the same event id in another sink is another event"
    );
    assert_eq!(
        store
            .enqueue(&[event(SINK, "e1"), event(SINK, "e2")])
            .unwrap(),
        0
    );

    let now = Utc::now() + TimeDelta::seconds(1);
    let due = store.due_events(SINK, now, 10).unwrap();
    assert_eq!(ids(&due), ["e1", "e2", "e3"]);
    assert!(due.windows(2).all(|w| w[0].seq < w[1].seq));
    assert_eq!(due[0].payload, json!({ "id": "e1" }));
    assert_eq!(ids(&store.due_events(SINK, now, 2).unwrap()), ["e1", "e2"]);
    let (e1, e2, e3) = (due[0].seq, due[1].seq, due[2].seq);

    // e1 fails and backs off a minute: the others stay due, in order.
    assert_eq!(
        store
            .mark_failed(SINK, &[e1], "HTTP 503", now + TimeDelta::minutes(1))
            .unwrap(),
        1
    );
    assert_eq!(ids(&store.due_events(SINK, now, 10).unwrap()), ["e2", "e3"]);
    let retry = store
        .due_events(SINK, now + TimeDelta::minutes(2), 10)
        .unwrap();
    assert_eq!(ids(&retry), ["e1", "e2", "e3"]);
    assert_eq!(retry[0].attempts, 1);
    assert_eq!(retry[0].last_error.as_deref(), Some("HTTP 503"));
    store.mark_failed(SINK, &[e1], "timeout", now).unwrap();
    let e1_row = &store.due_events(SINK, now, 10).unwrap()[0];
    assert_eq!(
        (e1_row.attempts, e1_row.last_error.as_deref()),
        (2, Some("timeout"))
    );

    assert_eq!(store.mark_delivered(SINK, &[e2]).unwrap(), 1);
    assert_eq!(
        store.mark_delivered(SINK, &[e2]).unwrap(),
        0,
        "already delivered"
    );
    assert_eq!(store.mark_failed(SINK, &[e2], "late", now).unwrap(), 0);
    assert_eq!(
        store.mark_delivered("file", &[e3]).unwrap(),
        0,
        "another sink's event"
    );
    assert_eq!(ids(&store.due_events(SINK, now, 10).unwrap()), ["e1", "e3"]);

    let stats = store.outbox_stats().unwrap();
    assert_eq!(stats.len(), 2);
    assert_eq!((stats[SINK].depth, stats[SINK].failing), (2, 1));
    assert_eq!(stats[SINK].oldest_created_at, Some(e1_row.created_at));
    assert_eq!((stats["file"].depth, stats["file"].failing), (1, 0));

    store.mark_delivered(SINK, &[e1, e3]).unwrap();
    assert!(store.due_events(SINK, now, 10).unwrap().is_empty());
    assert!(!store.outbox_stats().unwrap().contains_key(SINK));
}

fn an_invalid_event_fails_the_whole_enqueue(store: &dyn Store) {
    let err = store
        .enqueue(&[event(SINK, "ok"), event(SINK, "")])
        .unwrap_err();
    assert!(err.to_string().contains("outbox"), "{err}");
    assert!(store.outbox_stats().unwrap().is_empty());
}

conformance!(
    delivery_bookkeeping,
    an_invalid_event_fails_the_whole_enqueue,
);
