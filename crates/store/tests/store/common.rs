//! Builders shared by the tests.

use std::collections::HashSet;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use serde_json::json;
use tempfile::TempDir;
use vigil_store::{
    FindingRecord, NewEvent, ResultStatus, ScanId, ScanTrigger, SqliteStore, Store, Transition,
};

pub const ACCOUNT: &str = "111111111111";
pub const OTHER_ACCOUNT: &str = "222222222222";
pub const SINK: &str = "siem";

/// A fixed instant plus `minutes`, so dates in assertions are exact.
pub fn at(minutes: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap() + TimeDelta::minutes(minutes)
}

/// A new store in a new directory. Keep the directory alive as long as the store.
pub fn open() -> (TempDir, SqliteStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("vigil.db")).unwrap();
    (dir, store)
}

pub fn scan(store: &SqliteStore, account: &str, minutes: i64) -> ScanId {
    store
        .begin_scan(account, ScanTrigger::Schedule, at(minutes))
        .unwrap()
}

/// A finding of `rule` on `resource` in `account`.
pub fn finding(account: &str, rule: &str, resource: &str, status: ResultStatus) -> FindingRecord {
    FindingRecord {
        uid: format!("vigil:{rule}:{resource}"),
        rule_id: rule.to_owned(),
        resource_id: resource.to_owned(),
        resource_type: "aws.s3.bucket".to_owned(),
        account: account.to_owned(),
        region: "global".to_owned(),
        status,
        status_detail: None,
        severity: "high".to_owned(),
        title: format!("{rule} on {resource}"),
        caf_component: "Preventive".to_owned(),
        waf_area: "Data".to_owned(),
        epics: vec!["data_protection".to_owned()],
        body: json!({ "finding_info": { "uid": format!("vigil:{rule}:{resource}") }, "status": status.as_str() }),
    }
}

pub fn present(ids: &[&str]) -> HashSet<String> {
    ids.iter().map(|s| (*s).to_owned()).collect()
}

/// The callback a daemon would pass: one event per transition for `SINK`.
pub fn one_event(t: &Transition) -> Vec<NewEvent> {
    vec![NewEvent {
        sink: SINK.to_owned(),
        event_id: t.event_id(),
        kind: format!("finding.{}", t.to.as_str().to_ascii_lowercase()),
        payload: json!({ "uid": t.uid, "from": t.from, "to": t.to }),
    }]
}

/// Far enough ahead that every event is due.
pub fn later() -> DateTime<Utc> {
    Utc::now() + TimeDelta::days(1)
}
