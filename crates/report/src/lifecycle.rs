//! The events the daemon sends to SIEMs: a finding's lifecycle change as an OCSF
//! Compliance Finding whose `activity_id` and `status_id` say what happened to it
//! (created, reopened, closed, suppressed), and a scan summary as an OCSF Scan Activity
//! (class 6007) carrying the scorecard.
//!
//! A SIEM that follows findings by `finding_info.uid` can then open, update and close
//! its own cases from these events alone.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::OCSF_VERSION;
use crate::ocsf::{
    ACTIVITY_CREATE, CLASS_UID as FINDING_CLASS_UID, FINDING_STATUS_NEW as STATUS_NEW,
    FINDING_STATUS_SUPPRESSED as STATUS_SUPPRESSED,
};

/// The activities and the status a finding reaches over its life, beyond those a
/// single scan's report uses.
const ACTIVITY_UPDATE: u32 = 2;
const ACTIVITY_CLOSE: u32 = 3;
const STATUS_RESOLVED: u32 = 4;

const SCAN_CLASS_UID: u32 = 6007;
const SCAN_CATEGORY_UID: u32 = 6;

/// What happened to a finding between two scans.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Failing for the first time.
    New,
    /// Failing again after it had been resolved.
    Reopened,
    /// Passing now, or its resource is gone.
    Resolved,
    /// Its result is muted (an accepted risk).
    Muted,
}

impl Change {
    /// From the store's lifecycle state name; `None` for states that are not events
    /// (OPEN: still failing, nothing new to tell).
    pub fn from_state(state: &str) -> Option<Change> {
        match state {
            "NEW" => Some(Change::New),
            "REOPENED" => Some(Change::Reopened),
            "RESOLVED" => Some(Change::Resolved),
            "MUTED" => Some(Change::Muted),
            _ => None,
        }
    }

    /// The event kind sinks carry (`finding.new`, ...).
    pub fn kind(self) -> &'static str {
        match self {
            Change::New => "finding.new",
            Change::Reopened => "finding.reopened",
            Change::Resolved => "finding.resolved",
            Change::Muted => "finding.muted",
        }
    }

    fn activity(self) -> (u32, &'static str) {
        match self {
            Change::New => (ACTIVITY_CREATE, "Create"),
            Change::Reopened | Change::Muted => (ACTIVITY_UPDATE, "Update"),
            Change::Resolved => (ACTIVITY_CLOSE, "Close"),
        }
    }

    fn status(self) -> (u32, &'static str) {
        match self {
            Change::New | Change::Reopened => (STATUS_NEW, "New"),
            Change::Muted => (STATUS_SUPPRESSED, "Suppressed"),
            Change::Resolved => (STATUS_RESOLVED, "Resolved"),
        }
    }
}

/// When the finding was seen, for `finding_info`: the first time only when known.
#[derive(Debug, Clone, Copy)]
pub struct Seen {
    pub first: Option<DateTime<Utc>>,
    pub last: DateTime<Utc>,
}

/// A Compliance Finding (as [`ocsf_finding`](crate::ocsf_finding) wrote it) turned into
/// the event of one lifecycle change. `resource_gone` marks a finding closed because its
/// resource left the account, not because it passes.
pub fn finding_change_event(
    body: &Value,
    change: Change,
    seen: Seen,
    resource_gone: bool,
) -> Value {
    let mut event = body.clone();
    let (activity_id, activity_name) = change.activity();
    let (status_id, status) = change.status();
    event["class_uid"] = json!(FINDING_CLASS_UID);
    event["activity_id"] = json!(activity_id);
    event["activity_name"] = json!(activity_name);
    event["type_uid"] = json!(FINDING_CLASS_UID * 100 + activity_id);
    event["type_name"] = json!(format!("Compliance Finding: {activity_name}"));
    event["status_id"] = json!(status_id);
    event["status"] = json!(status);
    if let Some(info) = event.get_mut("finding_info").and_then(Value::as_object_mut) {
        if let Some(first) = seen.first {
            info.insert("first_seen_time".into(), json!(first.timestamp_millis()));
        }
        info.insert("last_seen_time".into(), json!(seen.last.timestamp_millis()));
    }
    if resource_gone {
        event["status_detail"] = json!("the resource is no longer in the account");
    }
    if let Some(vigil) = event
        .get_mut("unmapped")
        .and_then(|u| u.get_mut("vigil"))
        .and_then(Value::as_object_mut)
    {
        vigil.insert("lifecycle".into(), json!(change.kind()));
    }
    event
}

/// How a scan ended, for the summary event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScanEnd {
    Completed,
    Cancelled,
    Failed,
}

/// The facts of a finished scan of one account.
#[derive(Debug, Clone)]
pub struct ScanSummary<'a> {
    pub scan_id: &'a str,
    pub account: &'a str,
    pub end: ScanEnd,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    pub resources: usize,
    pub pass: usize,
    pub fail: usize,
    pub error: usize,
    pub muted: usize,
    pub gaps: usize,
    /// Why the scan failed, for `status_detail`.
    pub error_message: Option<&'a str>,
    /// The scorecard as JSON (`Value::Null` when the scan failed before scoring).
    pub scorecard: Value,
    /// What the scan covered: services collected, excluded and failed (`Value::Null`
    /// when the scan failed before collecting).
    pub coverage: Value,
    pub product_version: &'a str,
}

/// An OCSF Scan Activity (6007) event for a finished scan: counts in the class's own
/// fields, the scorecard (epic maturity, CAF and WAF scores) under `unmapped.vigil`.
pub fn scan_summary_event(summary: &ScanSummary<'_>) -> Value {
    let (activity_id, activity_name, status_id, status) = match summary.end {
        ScanEnd::Completed => (2, "Completed", 1, "Success"),
        ScanEnd::Cancelled => (3, "Cancelled", 2, "Failure"),
        ScanEnd::Failed => (6, "Error", 2, "Failure"),
    };
    let duration_ms = (summary.finished_at - summary.started_at).num_milliseconds();
    let mut event = json!({
        "class_uid": SCAN_CLASS_UID,
        "class_name": "Scan Activity",
        "category_uid": SCAN_CATEGORY_UID,
        "category_name": "Application Activity",
        "activity_id": activity_id,
        "activity_name": activity_name,
        "type_uid": SCAN_CLASS_UID * 100 + activity_id,
        "type_name": format!("Scan Activity: {activity_name}"),
        "severity_id": 1,
        "severity": "Informational",
        "status_id": status_id,
        "status": status,
        "time": summary.finished_at.timestamp_millis(),
        "start_time": summary.started_at.timestamp_millis(),
        "end_time": summary.finished_at.timestamp_millis(),
        "duration": duration_ms,
        "message": format!(
            "Vigil scan of account {}: {} failing, {} passing, {} not evaluated, {} gaps",
            summary.account, summary.fail, summary.pass, summary.error, summary.gaps
        ),
        "metadata": {
            "version": OCSF_VERSION,
            "uid": summary.scan_id,
            "product": { "name": "Vigil", "vendor_name": "Vigil", "version": summary.product_version },
            // `cloud` below is an attribute of the cloud profile.
            "profiles": ["cloud"],
        },
        "scan": { "uid": summary.scan_id, "name": "Vigil posture scan", "type_id": 99, "type": "Cloud posture" },
        "cloud": { "provider": "AWS", "account": crate::ocsf::account(summary.account) },
        "num_detections": summary.fail,
        "num_skipped_items": summary.error,
        "total": summary.resources,
        "unmapped": { "vigil": {
            "counts": { "pass": summary.pass, "fail": summary.fail, "error": summary.error, "muted": summary.muted, "gaps": summary.gaps },
            "scorecard": summary.scorecard,
            "coverage": summary.coverage,
        } },
    });
    if let Some(message) = summary.error_message {
        event["status_detail"] = json!(message);
    }
    event
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body() -> Value {
        json!({
            "class_uid": 2003, "activity_id": 1, "type_uid": 200301, "status_id": 1,
            "finding_info": { "uid": "vigil:r:res" },
            "unmapped": { "vigil": { "scan_id": "s1" } },
        })
    }

    fn seen() -> Seen {
        let t = DateTime::parse_from_rfc3339("2026-11-01T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        Seen {
            first: Some(t),
            last: t,
        }
    }

    #[test]
    fn each_change_sets_its_activity_and_status() {
        let cases = [
            (Change::New, 1, 200301, 1),
            (Change::Reopened, 2, 200302, 1),
            (Change::Muted, 2, 200302, 3),
            (Change::Resolved, 3, 200303, 4),
        ];
        for (change, activity, type_uid, status) in cases {
            let event = finding_change_event(&body(), change, seen(), false);
            assert_eq!(event["activity_id"], activity, "{change:?}");
            assert_eq!(event["type_uid"], type_uid, "{change:?}");
            assert_eq!(event["status_id"], status, "{change:?}");
            assert_eq!(event["unmapped"]["vigil"]["lifecycle"], change.kind());
            assert_eq!(
                event["finding_info"]["first_seen_time"],
                seen().last.timestamp_millis()
            );
        }
        let gone = finding_change_event(&body(), Change::Resolved, seen(), true);
        assert!(
            gone["status_detail"]
                .as_str()
                .unwrap()
                .contains("no longer")
        );
    }

    #[test]
    fn open_is_not_an_event() {
        assert_eq!(Change::from_state("OPEN"), None);
        assert_eq!(Change::from_state("NEW"), Some(Change::New));
    }

    #[test]
    fn the_scan_summary_is_a_scan_activity_with_the_scorecard() {
        let t = seen().last;
        let event = scan_summary_event(&ScanSummary {
            scan_id: "42",
            account: "111122223333",
            end: ScanEnd::Failed,
            started_at: t,
            finished_at: t + chrono::Duration::seconds(3),
            resources: 10,
            pass: 5,
            fail: 3,
            error: 2,
            muted: 0,
            gaps: 1,
            error_message: Some("AccessDenied"),
            scorecard: json!({"epics": []}),
            coverage: json!([{"account": "111122223333", "excluded": ["guardduty"]}]),
            product_version: "0.1.0",
        });
        assert_eq!(event["class_uid"], 6007);
        assert_eq!(event["type_uid"], 600706);
        assert_eq!(event["duration"], 3000);
        assert_eq!(event["num_detections"], 3);
        assert_eq!(event["status_detail"], "AccessDenied");
        assert_eq!(event["unmapped"]["vigil"]["scorecard"]["epics"], json!([]));
        assert_eq!(
            event["unmapped"]["vigil"]["coverage"][0]["excluded"],
            json!(["guardduty"])
        );
    }
}
