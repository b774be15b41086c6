//! `vigil store migrate`'s engine: a real SQLite file with every kind of row copied into
//! a real PostgreSQL schema, checked by counts and checksums, and then by asking both
//! stores the same questions.

use chrono::{TimeDelta, Utc};
use serde_json::json;
use vigil_inventory::{Gap, Resource};
use vigil_store::copy::{schema_columns, sqlite_to_postgres};
use vigil_store::{
    ChangeFilter, FindingFilter, GapRecord, NewEvent, PageRequest, PostgresStore, ResultCounts,
    ResultStatus, RetentionPolicy, ScanFilter, ScanOutcome, ScanStatus, ScoreSummary, SqliteStore,
    Store, StoreError,
};

use crate::common::*;

fn bucket(public: bool) -> Resource {
    Resource::new("arn:aws:s3:::data", "aws.s3.bucket", ACCOUNT, "global")
        .with_property("public", json!(public))
}

fn outcome(minutes: i64, gaps: Vec<GapRecord>) -> ScanOutcome {
    ScanOutcome {
        status: ScanStatus::Succeeded,
        finished_at: at(minutes) + TimeDelta::milliseconds(1_234),
        counts: ResultCounts {
            pass: 1,
            fail: 2,
            error: 3,
            muted: 4,
        },
        gaps,
        error: None,
        api_calls: 42,
    }
}

/// A store that has lived: scans finished, failed and running, findings in every state
/// with epics, scores, drift, events delivered, failing and pending, and a pruned
/// scan whose id must never come back.
pub fn lived_in(store: &dyn Store) {
    let old = store
        .begin_scan(
            ACCOUNT,
            vigil_store::ScanTrigger::Schedule,
            Utc::now() - TimeDelta::days(400),
        )
        .unwrap();
    store.finish_scan(old, &outcome(0, Vec::new())).unwrap();
    let mut minute = 0;
    let mut step = |findings: &[vigil_store::FindingRecord], resources: &[Resource]| {
        minute += 10;
        let id = scan(store, ACCOUNT, minute);
        store
            .record_results(id, ACCOUNT, findings, &present(&[]), &mut one_event)
            .unwrap();
        store.record_inventory(id, ACCOUNT, resources, &[]).unwrap();
        let mut summary = ScoreSummary::default();
        summary
            .epic_levels
            .insert("data_protection".into(), (minute / 10 % 4) as u8);
        summary.caf_components.insert("Preventive".into(), 0.5);
        store
            .record_scores(
                id,
                ACCOUNT,
                &json!({ "minute": minute, "ünïcödé": "✓" }),
                &summary,
            )
            .unwrap();
        let gaps = vec![GapRecord::from(&Gap {
            service: "kms".into(),
            operation: "ListKeys".into(),
            account: ACCOUNT.into(),
            region: "eu-west-1".into(),
            resource_types: Vec::new(),
            resource: None,
            error_code: "AccessDenied".into(),
            message: "not allowed\n\"quoted\"".into(),
        })];
        store.finish_scan(id, &outcome(minute, gaps)).unwrap();
        id
    };
    let f = |rule: &str, status| {
        let mut f = finding(ACCOUNT, rule, "arn:aws:s3:::data", status);
        f.epics = vec!["data_protection".into(), "iam".into()];
        f
    };
    step(
        &[f("a", ResultStatus::Fail), f("b", ResultStatus::Pass)],
        &[bucket(false)],
    );
    step(
        &[f("a", ResultStatus::Pass), f("c", ResultStatus::Muted)],
        &[bucket(true)],
    );
    step(
        &[f("a", ResultStatus::Fail), f("d", ResultStatus::Error)],
        &[bucket(true)],
    );
    // Another account, still running.
    let running = scan(store, OTHER_ACCOUNT, 100);
    store
        .record_results(
            running,
            OTHER_ACCOUNT,
            &[finding(OTHER_ACCOUNT, "a", "r", ResultStatus::Fail)],
            &present(&["r"]),
            &mut one_event,
        )
        .unwrap();
    store
        .enqueue(&[NewEvent {
            sink: "file".into(),
            event_id: "summary-1".into(),
            kind: "scan.summary".into(),
            payload: json!({ "n": 1.5, "big": u64::MAX, "nul": "a\u{0}b" }),
        }])
        .unwrap();
    let due = store.due_events(SINK, later(), 100).unwrap();
    store.mark_delivered(SINK, &[due[0].seq]).unwrap();
    store
        .mark_failed(
            SINK,
            &[due[1].seq],
            "HTTP 503",
            Utc::now() + TimeDelta::minutes(5),
        )
        .unwrap();
    // The first scan is pruned: its id stays used in sqlite_sequence only.
    let year = RetentionPolicy {
        scans_days: 365,
        changes_days: 365,
        delivered_events_days: 365,
    };
    assert_eq!(store.prune(&year, Utc::now()).unwrap().scans, 1);
}

/// Everything the API can ask, as one comparable value.
fn answers(store: &dyn Store) -> serde_json::Value {
    let page = PageRequest::first(1000);
    json!({
        "scans": store.list_scans(&ScanFilter::default(), &page).unwrap(),
        "findings": store.list_findings(&FindingFilter::default(), &page).unwrap(),
        "epic": store.list_findings(&FindingFilter { epic: Some("iam".into()), ..Default::default() }, &page).unwrap(),
        "scores": store.latest_scores(None).unwrap(),
        "history": store.score_history(ACCOUNT, None, 100).unwrap(),
        "changes": store.list_changes(&ChangeFilter::default(), &page).unwrap(),
        "due": store.due_events(SINK, later(), 1000).unwrap(),
        "due_file": store.due_events("file", later(), 1000).unwrap(),
        "stats": store.outbox_stats().unwrap(),
    })
}

#[test]
fn a_lived_in_sqlite_store_is_copied_whole() {
    let Some(url) = postgres_url("copy::a_lived_in_sqlite_store_is_copied_whole") else {
        return;
    };
    let sqlite = TestStore::sqlite();
    lived_in(&*sqlite);
    let source = SqliteStore::open(sqlite.sqlite_path().unwrap()).unwrap();
    let schema = unique_schema("a_lived_in_sqlite_store_is_copied_whole");
    let target = PostgresStore::open_in_schema(&url, Some(&schema)).unwrap();

    let report = sqlite_to_postgres(&source, &target).unwrap();
    assert!(report.committed && report.matches(), "{report:#?}");
    let counts: Vec<(&str, u64)> = report
        .tables
        .iter()
        .map(|t| (t.table, t.source_rows))
        .collect();
    assert_eq!(
        counts,
        [
            ("scans", 4),
            ("scan_gaps", 3),
            ("findings", 5),
            ("finding_epics", 9),
            ("scores", 3),
            ("resources", 1),
            ("inventory_state", 1),
            ("resource_changes", 1),
            ("outbox", 6),
            ("leases", 0),
            ("cycle_claims", 0),
        ]
    );
    assert_eq!(answers(&source), answers(&target));

    // Ids go on past every id SQLite gave, the pruned scan's included.
    let next = scan(&target, ACCOUNT, 500);
    let from_sqlite = scan(&source, ACCOUNT, 500);
    assert_eq!(next, from_sqlite);

    // A second copy into the same schema is refused: it would mix two histories.
    let err = sqlite_to_postgres(&source, &target).unwrap_err();
    assert!(
        matches!(err, StoreError::InvalidInput { ref message, .. } if message.contains("already holds data")),
        "{err}"
    );
    drop(target);
    admin(&url)
        .unwrap()
        .batch_execute(&format!("DROP SCHEMA \"{schema}\" CASCADE"))
        .unwrap();
}

/// A copy that would not be faithful (here a trigger alters a title on the way in) is
/// reported table by table and rolled back: the target stays empty.
#[test]
fn an_unfaithful_copy_is_reported_and_rolled_back() {
    let Some(url) = postgres_url("copy::an_unfaithful_copy_is_reported_and_rolled_back") else {
        return;
    };
    let sqlite = TestStore::sqlite();
    lived_in(&*sqlite);
    let source = SqliteStore::open(sqlite.sqlite_path().unwrap()).unwrap();
    let schema = unique_schema("an_unfaithful_copy_is_reported_and_rolled_back");
    let target = PostgresStore::open_in_schema(&url, Some(&schema)).unwrap();
    admin(&url)
        .unwrap()
        .batch_execute(&format!(
            "CREATE FUNCTION \"{schema}\".lossy() RETURNS trigger LANGUAGE plpgsql AS
                 $$ BEGIN NEW.title := left(NEW.title, 3); RETURN NEW; END $$;
             CREATE TRIGGER lossy BEFORE INSERT ON \"{schema}\".findings
                 FOR EACH ROW EXECUTE FUNCTION \"{schema}\".lossy();"
        ))
        .unwrap();
    let report = sqlite_to_postgres(&source, &target).unwrap();
    assert!(!report.committed);
    let unequal: Vec<&str> = report
        .tables
        .iter()
        .filter(|t| !t.matches())
        .map(|t| t.table)
        .collect();
    assert_eq!(unequal, ["findings"]);
    let findings = &report.tables[2];
    assert_eq!(findings.source_rows, findings.target_rows);
    assert!(
        target
            .list_scans(&ScanFilter::default(), &PageRequest::first(10))
            .unwrap()
            .items
            .is_empty()
    );
    drop(target);
    admin(&url)
        .unwrap()
        .batch_execute(&format!("DROP SCHEMA \"{schema}\" CASCADE"))
        .unwrap();
}

/// The copy's table list is both schemas' table list: a migration that adds a table or
/// a column to one store must teach the copy about it.
#[test]
fn the_copy_knows_every_column_of_both_schemas() {
    let sqlite = TestStore::sqlite();
    let raw = rusqlite::Connection::open(sqlite.sqlite_path().unwrap()).unwrap();
    let mut from_sqlite: Vec<(String, Vec<String>)> = Vec::new();
    let mut from_copy: Vec<(String, Vec<String>)> = schema_columns()
        .into_iter()
        .map(|(t, cols)| (t.to_owned(), cols.into_iter().map(str::to_owned).collect()))
        .collect();
    from_copy.sort();
    for (table, _) in &from_copy {
        let cols: Vec<String> = raw
            .prepare(&format!(
                "SELECT name FROM pragma_table_info('{table}') ORDER BY cid"
            ))
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        from_sqlite.push((table.clone(), cols));
    }
    let tables: Vec<String> = raw
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        tables,
        from_copy.iter().map(|(t, _)| t.clone()).collect::<Vec<_>>()
    );
    assert_eq!(from_sqlite, from_copy);

    let Some(url) = postgres_url("copy::the_copy_knows_every_column_of_both_schemas") else {
        return;
    };
    let schema = unique_schema("the_copy_knows_every_column_of_both_schemas");
    drop(PostgresStore::open_in_schema(&url, Some(&schema)).unwrap());
    let mut admin = admin(&url).unwrap();
    let mut from_postgres = Vec::new();
    for (table, _) in &from_copy {
        let cols: Vec<String> = admin
            .query(
                "SELECT column_name::text FROM information_schema.columns
                 WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position",
                &[&schema, table],
            )
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
        from_postgres.push((table.clone(), cols));
    }
    assert_eq!(from_postgres, from_copy);
    admin
        .batch_execute(&format!("DROP SCHEMA \"{schema}\" CASCADE"))
        .unwrap();
}
