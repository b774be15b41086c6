//! Gaps and the mutelist.

use super::*;

#[test]
fn a_type_level_gap_makes_the_account_finding_error_never_pass() {
    let dir = TempDir::new().unwrap();
    let gap = json!({
        "service": "cloudtrail",
        "operation": "DescribeTrails",
        "account": ACCOUNT,
        "region": "us-east-1",
        "resource_types": ["aws.cloudtrail.trail"],
        "error_code": "AccessDenied",
    });
    let account_id = format!("arn:aws::{ACCOUNT}:account");
    let with_gap = write_json(
        dir.path(),
        "gap.snapshot.json",
        &snapshot_doc(json!([account_resource()]), json!([gap])),
    );
    let (run, events) = scan_ocsf(&with_gap, &[] as &[&str]);
    let finding = event_for(&events, "cloudtrail_multi_region_enabled", &account_id);
    assert_eq!(str_at(finding, "/status_code"), "ERROR", "{finding:#}");
    assert_eq!(u64_at(finding, "/compliance/status_id"), 0, "{finding:#}");
    assert!(
        str_at(finding, "/compliance/status_detail").contains("DescribeTrails"),
        "the reason names the gap: {finding:#}"
    );
    run.assert_stdout_contains("Not seen: 1 collection gap(s)")
        .assert_stdout_contains(&format!(
            "cloudtrail:DescribeTrails in {ACCOUNT}/us-east-1: AccessDenied"
        ));

    // Without the gap, the same account has no trail and fails: the gap is what
    // turned the result into ERROR.
    let without_gap = write_json(
        dir.path(),
        "no-gap.snapshot.json",
        &snapshot_doc(json!([account_resource()]), json!([])),
    );
    let (_, events) = scan_ocsf(&without_gap, &[] as &[&str]);
    let finding = event_for(&events, "cloudtrail_multi_region_enabled", &account_id);
    assert_eq!(str_at(finding, "/status_code"), "FAIL", "{finding:#}");
}

#[test]
fn a_gap_in_listing_buckets_makes_every_bucket_rule_error_with_no_bucket_seen() {
    let list = vigil(&["rules", "list", "--format", "json"]);
    list.assert_code(0);
    let rules: Value = serde_json::from_str(&list.stdout).unwrap();
    let bucket_rules: Vec<&str> = rules
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["resource"] == "aws.s3.bucket")
        .map(|r| str_at(r, "/id"))
        .collect();
    assert!(!bucket_rules.is_empty());

    let dir = TempDir::new().unwrap();
    let gap = json!({
        "service": "s3",
        "operation": "ListBuckets",
        "account": ACCOUNT,
        "region": "global",
        "resource_types": ["aws.s3.bucket"],
        "error_code": "AccessDenied",
    });
    let snapshot = write_json(
        dir.path(),
        "no-buckets-listed.snapshot.json",
        &snapshot_doc(json!([account_resource()]), json!([gap])),
    );
    let (_, events) = scan_ocsf(&snapshot, &[] as &[&str]);
    for rule in bucket_rules {
        let statuses: Vec<&str> = events
            .iter()
            .filter(|e| rule_of(e) == rule)
            .map(|e| str_at(e, "/status_code"))
            .collect();
        assert!(
            !statuses.is_empty() && statuses.iter().all(|s| *s == "ERROR"),
            "{rule}: buckets that could not be listed must be ERROR, found {statuses:?}"
        );
    }
}

const MUTED_RULE: &str = "s3_bucket_policy_not_public";
const MUTED_RESOURCE: &str = "arn:aws:s3:::acme-dev-www";
const EXPIRED_RULE: &str = "ec2_security_group_no_ipv6_admin_ports";
const EXPIRED_RESOURCE_SUFFIX: &str = ":111122223333:security-group/sg-0e6d4c2b0a9f87531";

fn expired_mute_events(events: &[Value]) -> Vec<&Value> {
    let found: Vec<&Value> = events
        .iter()
        .filter(|e| rule_of(e) == EXPIRED_RULE && resource_of(e).ends_with(EXPIRED_RESOURCE_SUFFIX))
        .collect();
    assert!(
        !found.is_empty(),
        "no {EXPIRED_RULE} finding on the RDP group"
    );
    found
}

#[test]
fn mutelist_suppresses_the_live_entry_and_reports_the_expired_one() {
    let mutelist = example("mutelist.yaml");
    let (run, events) = scan_ocsf(&example_snapshot(), &["--mutelist", &mutelist]);
    run.assert_code(0);

    let muted = event_for(&events, MUTED_RULE, MUTED_RESOURCE);
    assert_eq!(str_at(muted, "/status_code"), "MUTED", "{muted:#}");
    assert_eq!(u64_at(muted, "/status_id"), 3, "{muted:#}");
    assert_eq!(str_at(muted, "/status"), "Suppressed");
    assert_eq!(str_at(muted, "/unmapped/vigil/muted_status"), "FAIL");
    assert_eq!(
        u64_at(muted, "/compliance/status_id"),
        3,
        "a mute keeps the underlying Fail"
    );

    // The expired entry no longer mutes: its finding is an ordinary, new FAIL.
    for event in expired_mute_events(&events) {
        assert_eq!(str_at(event, "/status_code"), "FAIL", "{event:#}");
        assert_eq!(u64_at(event, "/status_id"), 1, "{event:#}");
    }
    run.assert_stdout_contains("Expired mutelist entries")
        .assert_stdout_contains(&format!("rule {EXPIRED_RULE}"))
        .assert_stdout_contains("expired 2026-10-31");
}

#[test]
fn mutelist_expiry_date_is_the_last_day_it_mutes() {
    let mutelist = example("mutelist.yaml");
    let on_last_day = scan_ocsf_at(
        &example_snapshot(),
        "2026-10-31T23:59:59Z",
        &["--mutelist", &mutelist],
    );
    on_last_day.0.assert_code(0);
    assert!(!on_last_day.0.stdout.contains("Expired mutelist entries"));
    for event in expired_mute_events(&on_last_day.1) {
        assert_eq!(str_at(event, "/status_code"), "MUTED", "{event:#}");
    }

    let day_after = scan_ocsf_at(
        &example_snapshot(),
        "2026-11-01T00:00:00Z",
        &["--mutelist", &mutelist],
    );
    day_after
        .0
        .assert_stdout_contains("Expired mutelist entries");
    for event in expired_mute_events(&day_after.1) {
        assert_eq!(str_at(event, "/status_code"), "FAIL", "{event:#}");
    }
}
