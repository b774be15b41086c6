//! `vigil store migrate` end to end: the real binary copies a real SQLite file into the
//! real PostgreSQL server of tests/postgres/start.sh (VIGIL_TEST_POSTGRES_URL), prints
//! counts and checksums per table, and the daemon's questions get the same answers
//! from both stores.

use std::collections::HashSet;
use std::process::Command;

use chrono::{TimeZone, Utc};
use serde_json::json;
use vigil_store::{
    FindingFilter, FindingRecord, NewEvent, PageRequest, PostgresStore, ResultStatus, ScanFilter,
    ScanTrigger, ScoreSummary, SqliteStore, Store,
};

const ACCOUNT: &str = "111111111111";

fn url() -> Option<String> {
    match std::env::var("VIGIL_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var_os("CI").is_some() => {
            panic!("VIGIL_TEST_POSTGRES_URL is not set: tests/run starts PostgreSQL for CI")
        }
        _ => None,
    }
}

fn finding(rule: &str, status: ResultStatus) -> FindingRecord {
    FindingRecord {
        uid: format!("vigil:{rule}:arn:aws:s3:::data"),
        rule_id: rule.into(),
        resource_id: "arn:aws:s3:::data".into(),
        resource_type: "aws.s3.bucket".into(),
        account: ACCOUNT.into(),
        region: "global".into(),
        status,
        status_detail: None,
        severity: "high".into(),
        title: format!("{rule} — ünïcode"),
        caf_component: "Preventive".into(),
        waf_area: "Data".into(),
        epics: vec!["data_protection".into()],
        body: json!({ "rule": rule, "n": 1.25 }),
    }
}

/// A daemon's store after a few scans.
fn fill(store: &dyn Store) {
    for (i, status) in [ResultStatus::Fail, ResultStatus::Pass, ResultStatus::Fail]
        .into_iter()
        .enumerate()
    {
        let started = Utc.with_ymd_and_hms(2026, 3, 1, 12, i as u32, 0).unwrap();
        let scan = store
            .begin_scan(ACCOUNT, ScanTrigger::Schedule, started)
            .unwrap();
        store
            .record_results(
                scan,
                ACCOUNT,
                &[finding("a", status), finding("b", ResultStatus::Muted)],
                &HashSet::new(),
                &mut |t| {
                    vec![NewEvent {
                        sink: "siem".into(),
                        event_id: t.event_id(),
                        kind: "finding".into(),
                        payload: json!({ "to": t.to }),
                    }]
                },
            )
            .unwrap();
        store
            .record_scores(
                scan,
                ACCOUNT,
                &json!({ "scan": i }),
                &ScoreSummary::default(),
            )
            .unwrap();
    }
}

#[test]
#[allow(clippy::print_stderr)]
fn a_sqlite_store_moves_to_postgres_with_counts_and_checksums() {
    let Some(url) = url() else {
        eprintln!("SKIPPED: VIGIL_TEST_POSTGRES_URL is not set (bash tests/postgres/start.sh)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("vigil.db");
    fill(&SqliteStore::open(&file).unwrap());
    let schema = format!("vigil_migrate_cli_{}", std::process::id());

    let out = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(["store", "migrate", "--from"])
        .arg(&file)
        .args(["--schema", &schema])
        .env("VIGIL_STORE_URL", &url)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for (table, rows) in [("scans", 3), ("findings", 2), ("scores", 3), ("outbox", 4)] {
        let line = stdout
            .lines()
            .find(|l| l.starts_with(&format!("{table} ")))
            .unwrap_or_else(|| panic!("no line for {table}:\n{stdout}"));
        let fields: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(fields[1..3], [rows.to_string(), rows.to_string()], "{line}");
        assert_eq!(fields[3].len(), 64, "{line}");
        assert_eq!(fields[4], "same", "{line}");
    }
    assert!(
        stdout.contains("every count and checksum matches"),
        "{stdout}"
    );

    let source = SqliteStore::open(&file).unwrap();
    let target = PostgresStore::open_in_schema(&url, Some(&schema)).unwrap();
    let page = PageRequest::first(100);
    assert_eq!(
        source
            .list_findings(&FindingFilter::default(), &page)
            .unwrap(),
        target
            .list_findings(&FindingFilter::default(), &page)
            .unwrap()
    );
    assert_eq!(
        source.list_scans(&ScanFilter::default(), &page).unwrap(),
        target.list_scans(&ScanFilter::default(), &page).unwrap()
    );
    assert_eq!(
        source.due_events("siem", Utc::now(), 100).unwrap(),
        target.due_events("siem", Utc::now(), 100).unwrap()
    );

    // Again into the same schema: refused, nothing mixed.
    let again = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(["store", "migrate", "--json", "--from"])
        .arg(&file)
        .args(["--schema", &schema, "--to", &url])
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("already holds data"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
}

#[test]
fn a_missing_sqlite_file_is_an_error_not_an_empty_copy() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(["store", "migrate", "--from"])
        .arg(dir.path().join("nope.db"))
        .args(["--to", "postgres://vigil@127.0.0.1:1/vigil"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("nope.db") && stderr.contains("no such SQLite store"),
        "{stderr}"
    );
    assert!(!dir.path().join("nope.db").exists());
}
