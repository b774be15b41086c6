//! Retention deletes old history and nothing that is still needed.

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::json;
use vigil_inventory::Resource;
use vigil_store::{
    ChangeFilter, NewEvent, PageRequest, ResultStatus, RetentionPolicy, ScanId, ScanTrigger,
    ScoreSummary, Store,
};

use crate::common::*;

fn days_ago(now: DateTime<Utc>, days: i64) -> DateTime<Utc> {
    now - TimeDelta::days(days)
}

fn scored_scan(store: &dyn Store, started_at: DateTime<Utc>, running: bool) -> ScanId {
    let id = store
        .begin_scan(ACCOUNT, ScanTrigger::Schedule, started_at)
        .unwrap();
    store
        .record_scores(id, ACCOUNT, &json!({}), &ScoreSummary::default())
        .unwrap();
    if !running {
        store
            .finish_scan(
                id,
                &vigil_store::ScanOutcome {
                    status: vigil_store::ScanStatus::Succeeded,
                    finished_at: started_at,
                    counts: Default::default(),
                    gaps: vec![vigil_store::GapRecord {
                        service: "s3".into(),
                        operation: "ListBuckets".into(),
                        scope: ACCOUNT.into(),
                        code: "AccessDenied".into(),
                        message: String::new(),
                    }],
                    error: None,
                    api_calls: 0,
                },
            )
            .unwrap();
    }
    id
}

fn prune_keeps_undelivered_events_current_state_and_recent_history(store: &dyn Store) {
    let now = Utc::now();
    let stuck = scored_scan(store, days_ago(now, 200), true);
    let oldest = scored_scan(store, days_ago(now, 120), false);
    let old = scored_scan(store, days_ago(now, 100), false);
    let recent = scored_scan(store, days_ago(now, 1), false);

    // Drift: a baseline, then a change recorded by the old scan.
    let r = |v: bool| {
        Resource::new("arn:b", "aws.s3.bucket", ACCOUNT, "global").with_property("v", json!(v))
    };
    store
        .record_inventory(oldest, ACCOUNT, &[r(true)], &[])
        .unwrap();
    assert_eq!(
        store
            .record_inventory(old, ACCOUNT, &[r(false)], &[])
            .unwrap()
            .len(),
        1
    );

    // A finding last reported by the old scan, with its event still undelivered.
    let f = finding(ACCOUNT, "rule", "arn:b", ResultStatus::Fail);
    store
        .record_results(
            old,
            ACCOUNT,
            std::slice::from_ref(&f),
            &present(&["arn:b"]),
            &mut one_event,
        )
        .unwrap();
    store
        .enqueue(&[
            NewEvent {
                sink: SINK.into(),
                event_id: "delivered".into(),
                kind: "scan.summary".into(),
                payload: json!({}),
            },
            NewEvent {
                sink: SINK.into(),
                event_id: "failing".into(),
                kind: "scan.summary".into(),
                payload: json!({}),
            },
        ])
        .unwrap();
    let due = store.due_events(SINK, later(), 10).unwrap();
    assert_eq!(due.len(), 3);
    store.mark_delivered(SINK, &[due[1].seq]).unwrap();
    store
        .mark_failed(SINK, &[due[2].seq], "down", later())
        .unwrap();

    // A year later, with the tightest policy: only history goes.
    let report = store
        .prune(
            &RetentionPolicy {
                scans_days: 30,
                changes_days: 30,
                delivered_events_days: 0,
            },
            now + TimeDelta::days(365),
        )
        .unwrap();
    assert_eq!(report.scans, 2, "{report:?}");
    assert_eq!(report.scores, 2);
    assert_eq!(report.scan_gaps, 2);
    assert_eq!(report.changes, 1);
    assert_eq!(report.delivered_events, 1);

    assert!(store.get_scan(oldest).unwrap().is_none());
    assert!(store.get_scan(old).unwrap().is_none());
    assert!(
        store.get_scan(stuck).unwrap().is_some(),
        "a running scan is never pruned"
    );
    assert!(
        store.get_scan(recent).unwrap().is_some(),
        "the latest scan of an account stays"
    );
    assert_eq!(
        store.latest_scores(Some(ACCOUNT)).unwrap()[0].scan_id,
        recent
    );
    assert!(
        store
            .list_changes(&ChangeFilter::default(), &PageRequest::first(10))
            .unwrap()
            .items
            .is_empty()
    );

    let stats = store.outbox_stats().unwrap();
    assert_eq!(
        (stats[SINK].depth, stats[SINK].failing),
        (2, 1),
        "undelivered events stay"
    );
    let row = store.get_finding(ACCOUNT, &f.uid).unwrap().unwrap();
    assert_eq!(row.last_scan_id, old, "finding state outlives its scan");

    // The stored inventory stays too: the next scan compares against it.
    let next = store.begin_scan(ACCOUNT, ScanTrigger::Api, now).unwrap();
    assert!(
        store
            .record_inventory(next, ACCOUNT, &[r(false)], &[])
            .unwrap()
            .is_empty()
    );
}

conformance!(prune_keeps_undelivered_events_current_state_and_recent_history,);
