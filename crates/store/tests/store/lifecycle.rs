//! The finding lifecycle across scans, and the outbox events written with it.

use vigil_store::{
    FindingRecord, LifecycleState, NewEvent, ResultStatus, ScanId, Store, StoreError, Transition,
    TransitionCause,
};

use crate::common::*;

const RULE: &str = "s3_bucket_public";
const BUCKET: &str = "arn:aws:s3:::data";

/// Records one finding in a new scan and returns the transitions, as (from, to).
fn step(
    store: &dyn Store,
    minutes: i64,
    findings: &[FindingRecord],
    resources: &[&str],
) -> (ScanId, Vec<Transition>) {
    let scan = scan(store, ACCOUNT, minutes);
    let transitions = store
        .record_results(scan, ACCOUNT, findings, &present(resources), &mut one_event)
        .unwrap();
    (scan, transitions)
}

fn moves(transitions: &[Transition]) -> Vec<(Option<LifecycleState>, LifecycleState)> {
    transitions.iter().map(|t| (t.from, t.to)).collect()
}

fn a_finding_walks_through_every_state(store: &dyn Store) {
    use LifecycleState::*;
    let uid = format!("vigil:{RULE}:{BUCKET}");
    let fail = finding(ACCOUNT, RULE, BUCKET, ResultStatus::Fail);
    let pass = finding(ACCOUNT, RULE, BUCKET, ResultStatus::Pass);
    let muted = finding(ACCOUNT, RULE, BUCKET, ResultStatus::Muted);
    let mut error = finding(ACCOUNT, RULE, BUCKET, ResultStatus::Error);
    error.status_detail = Some("policy was not collected".into());

    let (s1, t) = step(store, 0, std::slice::from_ref(&fail), &[BUCKET]);
    assert_eq!(moves(&t), [(None, New)]);
    let row = store.get_finding(ACCOUNT, &uid).unwrap().unwrap();
    assert_eq!(row.state, Some(New));
    assert_eq!(row.first_seen, at(0));
    assert_eq!(row.first_failed_at, Some(at(0)));
    assert_eq!(row.last_scan_id, s1);

    let (_, t) = step(store, 10, std::slice::from_ref(&fail), &[BUCKET]);
    assert_eq!(moves(&t), [(Some(New), Open)]);

    // Failing once more is no transition: nothing new to tell a sink.
    let (_, t) = step(store, 15, std::slice::from_ref(&fail), &[BUCKET]);
    assert!(t.is_empty());

    let (_, t) = step(store, 20, std::slice::from_ref(&pass), &[BUCKET]);
    assert_eq!(moves(&t), [(Some(Open), Resolved)]);
    let row = store.get_finding(ACCOUNT, &uid).unwrap().unwrap();
    assert_eq!(row.resolved_at, Some(at(20)));
    assert_eq!(row.result, ResultStatus::Pass);

    let (_, t) = step(store, 30, std::slice::from_ref(&fail), &[BUCKET]);
    assert_eq!(moves(&t), [(Some(Resolved), Reopened)]);
    let row = store.get_finding(ACCOUNT, &uid).unwrap().unwrap();
    assert_eq!(row.reopened_count, 1);
    assert_eq!(row.resolved_at, None);
    assert_eq!(row.first_seen, at(0), "first_seen never moves");

    let (_, t) = step(store, 40, std::slice::from_ref(&muted), &[BUCKET]);
    assert_eq!(moves(&t), [(Some(Reopened), Muted)]);

    // ERROR is "unknown": the state stays, the reason is kept.
    let (_, t) = step(store, 50, std::slice::from_ref(&error), &[BUCKET]);
    assert!(t.is_empty());
    let row = store.get_finding(ACCOUNT, &uid).unwrap().unwrap();
    assert_eq!(row.state, Some(Muted));
    assert_eq!(row.result, ResultStatus::Error);
    assert_eq!(row.last_error.as_deref(), Some("policy was not collected"));
    assert_eq!(row.last_seen, at(50));

    // Unmuted and failing: it was seen failing before, so OPEN rather than NEW.
    let (_, t) = step(store, 60, std::slice::from_ref(&fail), &[BUCKET]);
    assert_eq!(moves(&t), [(Some(Muted), Open)]);
    assert_eq!(
        store
            .get_finding(ACCOUNT, &uid)
            .unwrap()
            .unwrap()
            .last_error,
        None
    );

    // ERROR while open keeps it open: a permissions hiccup resolves nothing.
    let (_, t) = step(store, 65, std::slice::from_ref(&error), &[BUCKET]);
    assert!(t.is_empty());
    assert_eq!(
        store.get_finding(ACCOUNT, &uid).unwrap().unwrap().state,
        Some(Open)
    );

    // The bucket is gone from a successful scan: resolved by absence.
    let (s9, t) = step(store, 70, &[], &[]);
    assert_eq!(moves(&t), [(Some(Open), Resolved)]);
    assert_eq!(t[0].cause, TransitionCause::ResourceGone);
    assert_eq!(t[0].finding.uid, uid);
    assert_eq!(t[0].scan_id, s9);
    let row = store.get_finding(ACCOUNT, &uid).unwrap().unwrap();
    assert_eq!(row.state, Some(Resolved));
    assert_eq!(row.resolved_at, Some(at(70)));

    // Every transition put exactly its event in the outbox, in order.
    let events = store.due_events(SINK, later(), 100).unwrap();
    let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "finding.new",
            "finding.open",
            "finding.resolved",
            "finding.reopened",
            "finding.muted",
            "finding.open",
            "finding.resolved",
        ]
    );
    assert_eq!(
        events.last().unwrap().event_id,
        format!("{ACCOUNT}:{uid}:{s9}:resolved")
    );
}

fn absence_resolves_only_open_findings_of_that_account_on_missing_resources(store: &dyn Store) {
    use LifecycleState::*;
    let kept = finding(ACCOUNT, RULE, "arn:aws:s3:::kept", ResultStatus::Fail);
    let gone = finding(ACCOUNT, RULE, "arn:aws:s3:::gone", ResultStatus::Fail);
    let muted = finding(
        ACCOUNT,
        RULE,
        "arn:aws:s3:::muted-gone",
        ResultStatus::Muted,
    );
    let other = finding(OTHER_ACCOUNT, RULE, "arn:aws:s3:::gone", ResultStatus::Fail);

    step(
        store,
        0,
        &[kept.clone(), gone.clone(), muted.clone()],
        &[
            "arn:aws:s3:::kept",
            "arn:aws:s3:::gone",
            "arn:aws:s3:::muted-gone",
        ],
    );
    let other_scan = scan(store, OTHER_ACCOUNT, 0);
    store
        .record_results(
            other_scan,
            OTHER_ACCOUNT,
            std::slice::from_ref(&other),
            &present(&["arn:aws:s3:::gone"]),
            &mut one_event,
        )
        .unwrap();

    // The rule did not report on `kept` this time, but its bucket still exists.
    let (_, t) = step(store, 10, &[], &["arn:aws:s3:::kept"]);
    assert_eq!(moves(&t), [(Some(New), Resolved)]);
    assert_eq!(t[0].finding.resource_id, "arn:aws:s3:::gone");
    let state =
        |account, f: &FindingRecord| store.get_finding(account, &f.uid).unwrap().unwrap().state;
    assert_eq!(state(ACCOUNT, &kept), Some(New));
    assert_eq!(state(ACCOUNT, &muted), Some(Muted));
    assert_eq!(
        state(OTHER_ACCOUNT, &other),
        Some(New),
        "another account is untouched"
    );
}

fn passing_and_unknown_findings_are_stored_without_a_lifecycle(store: &dyn Store) {
    let pass = finding(ACCOUNT, RULE, "arn:aws:s3:::a", ResultStatus::Pass);
    let error = finding(ACCOUNT, RULE, "arn:aws:s3:::b", ResultStatus::Error);
    let (_, t) = step(store, 0, &[pass.clone(), error.clone()], &[]);
    assert!(t.is_empty());
    let (_, t) = step(store, 5, &[pass.clone(), error.clone()], &[]);
    assert!(
        t.is_empty(),
        "a finding without a state is never resolved by absence"
    );

    let row = store.get_finding(ACCOUNT, &pass.uid).unwrap().unwrap();
    assert_eq!((row.state, row.result), (None, ResultStatus::Pass));
    assert_eq!((row.first_seen, row.last_seen), (at(0), at(5)));
    let row = store.get_finding(ACCOUNT, &error.uid).unwrap().unwrap();
    assert_eq!(row.last_error.as_deref(), Some("no reason given"));
    assert!(store.outbox_stats().unwrap().is_empty());
}

fn a_rejected_event_rolls_back_the_whole_scan(store: &dyn Store) {
    let scan = scan(store, ACCOUNT, 0);
    let a = finding(ACCOUNT, RULE, "arn:aws:s3:::a", ResultStatus::Fail);
    let b = finding(ACCOUNT, RULE, "arn:aws:s3:::b", ResultStatus::Fail);
    let mut calls = 0;
    // The first transition's event is fine and is written; the second names no sink,
    // which the outbox's CHECK constraint rejects after `a` was already stored.
    let mut bad_second = |t: &Transition| {
        calls += 1;
        let mut events = one_event(t);
        if calls == 2 {
            events[0].sink = String::new();
        }
        events
    };
    let err = store
        .record_results(
            scan,
            ACCOUNT,
            &[a.clone(), b.clone()],
            &present(&[]),
            &mut bad_second,
        )
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Sql { .. } | StoreError::Postgres { .. })
            && err.table() == Some("outbox"),
        "{err}"
    );
    // The message names the database: the file, or the server and schema.
    let message = err.to_string();
    assert!(
        message.contains("vigil.db") || message.contains(" schema t_"),
        "{err}"
    );

    assert_eq!(store.get_finding(ACCOUNT, &a.uid).unwrap(), None);
    assert!(store.outbox_stats().unwrap().is_empty());

    // The same step, retried with a working callback, starts from a clean slate.
    let t = store
        .record_results(scan, ACCOUNT, &[a, b], &present(&[]), &mut one_event)
        .unwrap();
    assert_eq!(t.len(), 2);
    assert_eq!(store.outbox_stats().unwrap()[SINK].depth, 2);
}

fn duplicate_events_from_the_callback_are_stored_once(store: &dyn Store) {
    let scan = scan(store, ACCOUNT, 0);
    let mut twice = |t: &Transition| {
        let mut events = one_event(t);
        events.extend(one_event(t));
        events.push(NewEvent {
            sink: "file".into(),
            ..one_event(t).remove(0)
        });
        events
    };
    store
        .record_results(
            scan,
            ACCOUNT,
            &[finding(ACCOUNT, RULE, BUCKET, ResultStatus::Fail)],
            &present(&[BUCKET]),
            &mut twice,
        )
        .unwrap();
    let stats = store.outbox_stats().unwrap();
    assert_eq!(stats[SINK].depth, 1);
    assert_eq!(stats["file"].depth, 1);
}

fn bad_input_is_refused_before_anything_is_written(store: &dyn Store) {
    let scan = scan(store, ACCOUNT, 0);
    let f = finding(ACCOUNT, RULE, BUCKET, ResultStatus::Fail);
    let err = store
        .record_results(
            scan,
            ACCOUNT,
            &[f.clone(), f.clone()],
            &present(&[]),
            &mut one_event,
        )
        .unwrap_err();
    assert!(err.to_string().contains("reported twice"), "{err}");

    let foreign = finding(OTHER_ACCOUNT, RULE, BUCKET, ResultStatus::Fail);
    let err = store
        .record_results(scan, ACCOUNT, &[foreign], &present(&[]), &mut one_event)
        .unwrap_err();
    assert!(err.to_string().contains(OTHER_ACCOUNT), "{err}");

    let err = store
        .record_results(scan, OTHER_ACCOUNT, &[], &present(&[]), &mut one_event)
        .unwrap_err();
    assert!(matches!(err, StoreError::InvalidInput { .. }), "{err}");

    let err = store
        .record_results(
            ScanId(999),
            ACCOUNT,
            std::slice::from_ref(&f),
            &present(&[]),
            &mut one_event,
        )
        .unwrap_err();
    assert!(
        matches!(err, StoreError::ScanNotFound { id: 999, .. }),
        "{err}"
    );
    assert_eq!(store.get_finding(ACCOUNT, &f.uid).unwrap(), None);
}

conformance!(
    a_finding_walks_through_every_state,
    absence_resolves_only_open_findings_of_that_account_on_missing_resources,
    passing_and_unknown_findings_are_stored_without_a_lifecycle,
    a_rejected_event_rolls_back_the_whole_scan,
    duplicate_events_from_the_callback_are_stored_once,
    bad_input_is_refused_before_anything_is_written,
);
