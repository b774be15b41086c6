//! Input and usage errors (exit 2).

use super::*;

#[test]
fn malformed_snapshot_names_the_json_path() {
    let dir = TempDir::new().unwrap();
    let mut doc = snapshot_doc(
        json!([account_resource(), bucket_resource("b", json!({}))]),
        json!([]),
    );
    doc["resources"][1]["account"] = json!(123456789012_u64);
    let path = write_json(dir.path(), "bad.snapshot.json", &doc);
    scan(&path, &[] as &[&str])
        .assert_code(2)
        .assert_stderr_contains("resources[1].account")
        .assert_stderr_contains("bad.snapshot.json");
}

#[test]
fn missing_snapshot_names_the_path() {
    let dir = TempDir::new().unwrap();
    let path = path_str(&dir.path().join("no-such.snapshot.json"));
    scan(&path, &[] as &[&str])
        .assert_code(2)
        .assert_stderr_contains(&path);
}

#[test]
fn broken_user_rules_report_every_problem_with_file_field_and_line() {
    let dir = TempDir::new().unwrap();
    let unknown_type = rule_yaml(
        "custom_unknown_type",
        "aws.s3.bukkit",
        r#"'"owner" in resource.tags'"#,
        "Control ownership",
    );
    let bad_condition = rule_yaml(
        "custom_bad_condition",
        "aws.s3.bucket",
        "properties.versioning.status ==",
        "Telepathy",
    );
    write(dir.path(), "custom_unknown_type.yaml", &unknown_type);
    write(dir.path(), "custom_bad_condition.yaml", &bad_condition);
    let run = scan(&example_snapshot(), &["--rules", &path_str(dir.path())]);
    run.assert_code(2)
        .assert_stderr_contains("3 problem(s)")
        .assert_stderr_contains(&format!(
            "custom_unknown_type.yaml:{}: field `resource`",
            line_of(&unknown_type, "resource:")
        ))
        .assert_stderr_contains("aws.s3.bukkit")
        .assert_stderr_contains(&format!(
            "custom_bad_condition.yaml:{}: field `condition`: CEL syntax error",
            line_of(&bad_condition, "condition:")
        ))
        .assert_stderr_contains(&format!(
            "custom_bad_condition.yaml:{}: field `caf.capability`",
            line_of(&bad_condition, "capability:")
        ))
        .assert_stderr_contains("Telepathy");
    // `rules list` loads the same pack and refuses it the same way.
    vigil(&["rules", "list", "--rules", &path_str(dir.path())])
        .assert_code(2)
        .assert_stderr_contains("3 problem(s)");
}

#[test]
fn cel_syntax_error_in_a_block_condition_names_the_offending_line() {
    let dir = TempDir::new().unwrap();
    let text = rule_yaml(
        "custom_block_condition",
        "aws.s3.bucket",
        "|\n  properties.versioning.status == \"Enabled\" &&\n  properties.versioning.mfa_delete == )",
        "Data protection",
    )
    .replace("component: Directive", "component: Preventive");
    write(dir.path(), "custom_block_condition.yaml", &text);
    let run = vigil(&["rules", "list", "--rules", &path_str(dir.path())]);
    run.assert_code(2).assert_stderr_contains(&format!(
        "custom_block_condition.yaml:{}: field `condition`",
        line_of(&text, "properties.versioning.mfa_delete")
    ));
}

#[test]
fn user_rule_reusing_a_builtin_id_is_refused() {
    let dir = TempDir::new().unwrap();
    let builtin = workspace().join("rules/aws/s3/s3_bucket_versioning_enabled.yaml");
    write(
        dir.path(),
        "s3_bucket_versioning_enabled.yaml",
        &std::fs::read_to_string(builtin).unwrap(),
    );
    scan(&example_snapshot(), &["--rules", &path_str(dir.path())])
        .assert_code(2)
        .assert_stderr_contains("duplicate rule id `s3_bucket_versioning_enabled`");
}

#[test]
fn unknown_format_is_a_usage_error() {
    scan(&example_snapshot(), &["--format", "xml"])
        .assert_code(2)
        .assert_stderr_contains("xml");
}

#[test]
fn unknown_fail_on_severity_is_a_usage_error() {
    scan(&example_snapshot(), &["--fail-on", "bogus"])
        .assert_code(2)
        .assert_stderr_contains("bogus");
}

#[test]
fn attestation_with_an_unknown_key_is_refused_naming_the_key() {
    let dir = TempDir::new().unwrap();
    let unknown_declaration = write(
        dir.path(),
        "unknown-key.yaml",
        "declarations:\n  logging.approach_defind:\n    statement: typo in the key\n    by: Tester\n    date: 2026-01-01\n",
    );
    scan(
        &example_snapshot(),
        &["--attestations", &unknown_declaration],
    )
    .assert_code(2)
    .assert_stderr_contains("logging.approach_defind");
    let unknown_field = write(
        dir.path(),
        "unknown-field.yaml",
        "declarations:\n  logging.approach_defined:\n    statment: typo in the field\n    by: Tester\n    date: 2026-01-01\n",
    );
    scan(&example_snapshot(), &["--attestations", &unknown_field])
        .assert_code(2)
        .assert_stderr_contains("statment");
}

#[test]
fn mutelist_entry_without_a_reason_is_refused() {
    let dir = TempDir::new().unwrap();
    let missing = write(
        dir.path(),
        "missing-reason.yaml",
        "mutes:\n  - rule: s3_*\n    expires: 2027-01-01\n",
    );
    scan(&example_snapshot(), &["--mutelist", &missing])
        .assert_code(2)
        .assert_stderr_contains("missing-reason.yaml")
        .assert_stderr_contains("reason");
    let blank = write(
        dir.path(),
        "blank-reason.yaml",
        "mutes:\n  - rule: s3_*\n    reason: \"  \"\n    expires: 2027-01-01\n",
    );
    scan(&example_snapshot(), &["--mutelist", &blank])
        .assert_code(2)
        .assert_stderr_contains("mutes[0].reason");
}
