//! User rules.

use super::*;

#[test]
fn custom_rule_directory_findings_appear_in_the_ocsf_output() {
    let rules = owner_rule_dir("FAIL");
    let dir = TempDir::new().unwrap();
    let snapshot = write_json(
        dir.path(),
        "buckets.snapshot.json",
        &snapshot_doc(
            json!([
                account_resource(),
                bucket_resource("owned", json!({"owner": "data-team"})),
                bucket_resource("orphan", json!({"Owner": "nobody"})),
            ]),
            json!([]),
        ),
    );
    let (run, events) = scan_ocsf(&snapshot, &["--rules", &path_str(rules.path())]);
    run.assert_code(0);
    let owned = event_for(&events, OWNER_RULE_ID, "arn:aws:s3:::owned");
    let orphan = event_for(&events, OWNER_RULE_ID, "arn:aws:s3:::orphan");
    assert_eq!(str_at(owned, "/status_code"), "PASS");
    assert_eq!(str_at(orphan, "/status_code"), "FAIL");
    assert_eq!(str_at(orphan, "/unmapped/vigil/caf/component"), "Directive");
    assert_eq!(
        str_at(orphan, "/unmapped/vigil/caf/capability"),
        "Control ownership"
    );
    // Built-in rules still run beside it.
    assert!(
        events
            .iter()
            .any(|e| rule_of(e) == "s3_bucket_versioning_enabled"),
        "built-in rules are kept when --rules adds a directory"
    );
}

#[test]
fn scan_with_only_user_rules_evaluates_just_those_rules() {
    let rules = owner_rule_dir("FAIL");
    let (run, events) = scan_ocsf(
        &example_snapshot(),
        &["--no-builtin-rules", "--rules", &path_str(rules.path())],
    );
    run.assert_code(0);
    assert!(!events.is_empty());
    assert!(events.iter().all(|e| rule_of(e) == OWNER_RULE_ID));
}

#[test]
fn rules_test_runs_the_fixtures_of_a_user_rule_directory() {
    let rules = owner_rule_dir("FAIL");
    let run = vigil(&[
        "rules",
        "test",
        &path_str(rules.path()),
        "--no-builtin-rules",
    ]);
    run.assert_code(0)
        .assert_stdout_contains("1 rules: 3 passed, 0 failed");
}

#[test]
fn rules_test_fails_when_a_fixture_expects_the_wrong_status() {
    let rules = owner_rule_dir("PASS");
    let run = vigil(&[
        "rules",
        "test",
        &path_str(rules.path()),
        "--no-builtin-rules",
    ]);
    run.assert_code(1)
        .assert_stdout_contains(&format!(
            "FAIL {OWNER_RULE_ID} / one tagged, one not: expected PASS for arn:aws:s3:::orphan, got FAIL"
        ))
        .assert_stdout_contains("2 passed, 1 failed");
}

#[test]
fn rules_test_reports_a_user_rule_without_fixtures() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), &format!("{OWNER_RULE_ID}.yaml"), &owner_rule());
    vigil(&["rules", "test", &path_str(dir.path()), "--no-builtin-rules"])
        .assert_code(1)
        .assert_stdout_contains(&format!("PROBLEM {OWNER_RULE_ID}: no fixture file"));
}
