//! What a restarted daemon finds: the same state, the same outbox, the same schema, and
//! the scan it was running marked interrupted.

use vigil_store::{
    LifecycleState, POSTGRES_SCHEMA_VERSION, PostgresStore, ResultStatus, SCHEMA_VERSION,
    ScanStatus, SqliteStore, StoreError,
};

use crate::common::*;

fn state_outbox_and_schema_survive_a_reopen(test: &TestStore) {
    let f = finding(ACCOUNT, "rule", "arn:aws:s3:::a", ResultStatus::Fail);
    let (finished, running) = {
        let store = test.location().open();
        let finished = scan(&*store, ACCOUNT, 0);
        store
            .record_results(
                finished,
                ACCOUNT,
                std::slice::from_ref(&f),
                &present(&[]),
                &mut one_event,
            )
            .unwrap();
        store
            .finish_scan(
                finished,
                &vigil_store::ScanOutcome {
                    status: ScanStatus::Succeeded,
                    finished_at: at(1),
                    counts: vigil_store::ResultCounts {
                        fail: 1,
                        ..Default::default()
                    },
                    gaps: Vec::new(),
                    error: None,
                    api_calls: 12,
                },
            )
            .unwrap();
        // The process "dies" during the next scan.
        let running = scan(&*store, ACCOUNT, 10);
        (finished, running)
    };

    let store = test.location().open();
    match test.location() {
        Location::Sqlite(path) => assert_eq!(
            SqliteStore::open(path).unwrap().schema_version().unwrap(),
            SCHEMA_VERSION
        ),
        Location::Postgres { url, schema } => assert_eq!(
            PostgresStore::open_in_schema(url, Some(schema))
                .unwrap()
                .schema_version()
                .unwrap(),
            POSTGRES_SCHEMA_VERSION
        ),
    }
    let row = store.get_finding(ACCOUNT, &f.uid).unwrap().unwrap();
    assert_eq!(row.state, Some(LifecycleState::New));
    assert_eq!(row.last_scan_id, finished);
    let due = store.due_events(SINK, later(), 10).unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].kind, "finding.new");

    assert_eq!(
        store.get_scan(running).unwrap().unwrap().status,
        ScanStatus::Running
    );
    assert_eq!(store.mark_interrupted_scans().unwrap(), [running]);
    assert!(
        store.mark_interrupted_scans().unwrap().is_empty(),
        "only once"
    );
    let scan_row = store.get_scan(running).unwrap().unwrap();
    assert_eq!(scan_row.status, ScanStatus::Interrupted);
    assert!(scan_row.finished_at.is_some());
    let done = store.get_scan(finished).unwrap().unwrap();
    assert_eq!(
        (done.status, done.api_calls, done.counts.fail),
        (ScanStatus::Succeeded, 12, 1)
    );

    // An interrupted scan cannot be finished after the fact.
    let err = store
        .finish_scan(
            running,
            &vigil_store::ScanOutcome {
                status: ScanStatus::Succeeded,
                finished_at: at(11),
                counts: Default::default(),
                gaps: Vec::new(),
                error: None,
                api_calls: 0,
            },
        )
        .unwrap_err();
    assert!(matches!(err, StoreError::ScanNotRunning { .. }), "{err}");

    // The journal mode is a property of the file; check it from a plain connection.
    drop(store);
    let Some(path) = test.sqlite_path() else {
        return;
    };
    let raw = rusqlite::Connection::open(path).unwrap();
    let mode: String = raw
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
}

conformance!(; state_outbox_and_schema_survive_a_reopen);
