use chrono::TimeZone;
use serde_json::json;

use super::*;

const ACCOUNT: &str = "123456789012";

fn target() -> Target {
    Target {
        partition: "aws".into(),
        region: "eu-west-1".into(),
    }
}

/// A finding event shaped as the daemon's lifecycle events are (an OCSF Compliance
/// Finding from `vigil_report::ocsf_finding` through `finding_change_event`).
fn event(kind: &str, status_code: &str, uid: &str) -> Event {
    let time = Utc.with_ymd_and_hms(2026, 12, 7, 4, 0, 0).unwrap();
    Event {
        id: format!("{ACCOUNT}:{uid}:7:{kind}"),
        kind: kind.into(),
        time,
        body: json!({
            "class_uid": 2003,
            "severity": "High",
            "status_code": status_code,
            "message": format!("{status_code} S3 bucket is public: {uid}"),
            "metadata": {"event_code": "s3_bucket_public"},
            "finding_info": {
                "uid": uid,
                "title": "S3 bucket is public",
                "desc": "A bucket anyone can read.",
                "first_seen_time": time.timestamp_millis() - 60_000,
                "last_seen_time": time.timestamp_millis(),
            },
            "compliance": {
                "requirements": ["CIS AWS Foundations Benchmark v3.0: 2.1.4", "AWS Foundational Security Best Practices: S3.8"],
                "status": "Fail",
            },
            "resources": [{
                "uid": "arn:aws:s3:::bucket-a",
                "type": "aws.s3.bucket",
                "region": "us-east-1",
                "cloud_partition": "aws",
                "tags": [{"name": "team", "value": "data"}],
            }],
            "cloud": {"provider": "AWS", "account": {"uid": ACCOUNT}},
            "remediation": {"desc": "Block public access.", "references": ["https://docs.aws.amazon.com/s3/"]},
            "unmapped": {"vigil": {
                "scan_id": "7",
                "caf": {"component": "preventive"},
                "waf": {"area": "data_protection"},
                "evidence": {"acl": "public-read"},
                "muted_status": if status_code == "MUTED" { json!("FAIL") } else { Value::Null },
            }},
        }),
    }
}

#[test]
fn results_map_to_compliance_status() {
    assert_eq!(compliance_status("PASS"), "PASSED");
    assert_eq!(compliance_status("FAIL"), "FAILED");
    assert_eq!(compliance_status("ERROR"), "NOT_AVAILABLE");
    for (kind, code, compliance, workflow, record) in [
        ("finding.new", "FAIL", "FAILED", "NEW", "ACTIVE"),
        ("finding.reopened", "FAIL", "FAILED", "NEW", "ACTIVE"),
        ("finding.new", "ERROR", "NOT_AVAILABLE", "NEW", "ACTIVE"),
        ("finding.muted", "MUTED", "FAILED", "SUPPRESSED", "ACTIVE"),
        ("finding.resolved", "PASS", "PASSED", "RESOLVED", "ARCHIVED"),
        // Resolved because the resource is gone: no result to report any more.
        (
            "finding.resolved",
            "FAIL",
            "NOT_AVAILABLE",
            "RESOLVED",
            "ARCHIVED",
        ),
    ] {
        let f = to_asff(
            &event(kind, code, "vigil:s3_bucket_public:arn:aws:s3:::bucket-a"),
            &target(),
            None,
        )
        .unwrap();
        assert_eq!(f.compliance.status, compliance, "{kind} {code}");
        assert_eq!(f.workflow.status, workflow, "{kind} {code}");
        assert_eq!(f.record_state, record, "{kind} {code}");
    }
}

#[test]
fn the_finding_carries_its_identity_evidence_and_remediation() {
    let f = to_asff(&event("finding.new", "FAIL", "vigil:r:b"), &target(), None).unwrap();
    assert_eq!(f.schema_version, "2018-10-08");
    assert_eq!(f.id, "vigil:r:b");
    assert_eq!(f.aws_account_id, ACCOUNT);
    assert_eq!(
        f.product_arn,
        format!("arn:aws:securityhub:eu-west-1:{ACCOUNT}:product/{ACCOUNT}/default")
    );
    assert_eq!(f.generator_id, "vigil/s3_bucket_public");
    assert_eq!(f.severity.label, "HIGH");
    assert_eq!(f.resources[0].resource_type, "AwsS3Bucket");
    assert_eq!(f.resources[0].region.as_deref(), Some("us-east-1"));
    assert_eq!(
        f.resources[0].tags.get("team").map(String::as_str),
        Some("data")
    );
    assert_eq!(
        f.product_fields["vigil/evidence"],
        r#"{"acl":"public-read"}"#
    );
    assert_eq!(
        f.product_fields["vigil/event_id"],
        format!("{ACCOUNT}:vigil:r:b:7:finding.new")
    );
    assert_eq!(f.compliance.related_requirements.len(), 2);
    let rec = &f.remediation.as_ref().unwrap().recommendation;
    assert_eq!(rec.text, "Block public access.");
    assert_eq!(rec.url.as_deref(), Some("https://docs.aws.amazon.com/s3/"));
    // First seen a minute before the event; the event's time is the update.
    assert_eq!(f.first_observed_at, "2026-12-07T03:59:00.000Z");
    assert_eq!(f.created_at, "2026-12-07T04:00:00.000Z");
    assert_eq!(f.updated_at, "2026-12-07T04:00:00.000Z");
    // The JSON uses ASFF's own names.
    let json = serde_json::to_value(&f).unwrap();
    assert_eq!(json["Compliance"]["Status"], "FAILED");
    assert_eq!(json["Resources"][0]["Type"], "AwsS3Bucket");
    assert_eq!(json["RecordState"], "ACTIVE");
}

#[test]
fn an_update_keeps_what_security_hub_holds() {
    let kept = Kept {
        created_at: "2026-01-01T00:00:00.000Z".into(),
        first_observed_at: Some("2026-01-01T00:00:01.000Z".into()),
        ..Default::default()
    };
    let f = to_asff(
        &event("finding.resolved", "PASS", "vigil:r:b"),
        &target(),
        Some(&kept),
    )
    .unwrap();
    assert_eq!(f.created_at, kept.created_at);
    assert_eq!(f.first_observed_at, "2026-01-01T00:00:01.000Z");
    assert_eq!(f.updated_at, "2026-12-07T04:00:00.000Z");
}

#[test]
fn an_oversize_finding_loses_its_evidence_then_its_tags_then_is_refused() {
    let mut big = event("finding.new", "FAIL", "vigil:r:b");
    big.body["unmapped"]["vigil"]["evidence"] = json!({"policy": "x".repeat(300 * 1024)});
    // Evidence is one product field, cut to 2048 characters: under the limit anyway.
    let f = to_asff(&big, &target(), None).unwrap();
    assert!(f.product_fields["vigil/evidence"].chars().count() <= 2048);
    assert!(f.product_fields["vigil/evidence"].ends_with('…'));

    // Thousands of tags are not cut by a field limit: the tags go, and it says so.
    let tags: Vec<Value> = (0..4000)
        .map(|i| json!({"name": format!("tag-{i:05}"), "value": "v".repeat(60)}))
        .collect();
    big.body["resources"][0]["tags"] = Value::Array(tags);
    let f = to_asff(&big, &target(), None).unwrap();
    assert!(size(&f) <= MAX_FINDING_BYTES);
    assert!(f.resources[0].tags.is_empty());
    assert!(f.product_fields.contains_key("vigil/tags_cut"));
    assert!(f.product_fields.contains_key("vigil/evidence_cut"));

    // What cannot be cut is refused, naming the finding and the event.
    big.body["compliance"]["requirements"] = json!(["r".repeat(300 * 1024)]);
    let err = to_asff(&big, &target(), None).unwrap_err();
    assert!(matches!(err, AsffError::TooLarge { .. }), "{err}");
    let text = err.to_string();
    assert!(
        text.contains("vigil:r:b") && text.contains(&big.id),
        "{text}"
    );
    assert_eq!(err.event(), big.id);
}

#[test]
fn an_event_without_a_finding_is_refused_by_name() {
    let mut e = event("finding.new", "FAIL", "vigil:r:b");
    e.body["finding_info"] = json!({});
    let err = to_asff(&e, &target(), None).unwrap_err();
    assert!(err.to_string().contains("finding_info.uid"), "{err}");
    let long = event("finding.new", "FAIL", &"x".repeat(600));
    assert!(matches!(
        to_asff(&long, &target(), None),
        Err(AsffError::IdTooLong { len: 600, .. })
    ));
}

#[test]
fn batches_hold_at_most_100_findings_and_the_byte_budget() {
    let findings: Vec<AsffFinding> = (0..250)
        .map(|i| {
            to_asff(
                &event("finding.new", "FAIL", &format!("vigil:r:{i}")),
                &target(),
                None,
            )
            .unwrap()
        })
        .collect();
    let one = size(&findings[0]);
    let split = batches(findings.clone(), usize::MAX);
    assert_eq!(
        split.iter().map(Vec::len).collect::<Vec<_>>(),
        [100, 100, 50]
    );
    // Order is kept across batches.
    let ids: Vec<&str> = split.iter().flatten().map(|f| f.id.as_str()).collect();
    assert_eq!(ids[0], "vigil:r:0");
    assert_eq!(ids[249], "vigil:r:249");
    // A byte budget of ten findings makes batches of at most ten.
    let split = batches(findings, one * 10 + one / 2);
    assert!(
        split.iter().all(|b| b.len() <= 10),
        "{:?}",
        split.iter().map(Vec::len).collect::<Vec<_>>()
    );
    assert_eq!(split.iter().map(Vec::len).sum::<usize>(), 250);
    assert!(batches(Vec::new(), 1).is_empty());
}

#[test]
fn only_finding_events_are_findings() {
    let mut e = event("finding.new", "FAIL", "vigil:r:b");
    assert!(is_finding_event(&e));
    e.kind = "scan.summary".into();
    assert!(!is_finding_event(&e));
}
