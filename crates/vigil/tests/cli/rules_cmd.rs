//! `vigil rules list` and `vigil rules show`.

use super::*;

#[test]
fn rules_list_json_has_every_rule_with_its_mappings() {
    let run = vigil(&["rules", "list", "--format", "json"]);
    run.assert_code(0);
    let rules: Value = serde_json::from_str(&run.stdout).expect("rules list is JSON");
    let rules = rules.as_array().expect("a JSON array");
    assert!(rules.len() >= 60, "only {} rules", rules.len());
    let mut ids = Vec::new();
    for rule in rules {
        ids.push(str_at(rule, "/id"));
        assert!(SEVERITIES.contains(&str_at(rule, "/severity")), "{rule:#}");
        assert!(str_at(rule, "/resource").starts_with("aws."), "{rule:#}");
        assert!(!str_at(rule, "/caf/component").is_empty(), "{rule:#}");
        assert!(!str_at(rule, "/caf/capability").is_empty(), "{rule:#}");
        assert!(!str_at(rule, "/waf/area").is_empty(), "{rule:#}");
        assert!(str_at(rule, "/waf/practice").starts_with("SEC"), "{rule:#}");
        let epics = rule["epics"].as_array().expect("epics array");
        assert!(!epics.is_empty(), "{rule:#}");
    }
    let count = ids.len();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), count, "rule ids repeat");
    assert!(ids.contains(&"s3_bucket_versioning_enabled"));

    let table = vigil(&["rules", "list"]);
    table.assert_stdout_contains(&format!("{count} rules"));
}

#[test]
fn rules_show_prints_the_title_mappings_and_fixtures() {
    vigil(&["rules", "show", "s3_bucket_versioning_enabled"])
        .assert_code(0)
        .assert_stdout_contains("S3 bucket versioning is enabled")
        .assert_stdout_contains("Mappings")
        .assert_stdout_contains("CAF: Preventive / Data protection")
        .assert_stdout_contains("SEC08-BP04")
        .assert_stdout_contains("Fixtures (")
        .assert_stdout_contains("versioning suspended or never enabled");
    // Compliance references of every framework, CIS v5.0.0 renumbered, FSBP ids only
    // where FSBP has the control.
    vigil(&["rules", "show", "s3_bucket_denies_insecure_transport"])
        .assert_code(0)
        .assert_stdout_contains("CIS AWS Foundations Benchmark v4.0.1: 2.1.1")
        .assert_stdout_contains("CIS AWS Foundations Benchmark v5.0.0: 2.1.1")
        .assert_stdout_contains("AWS Foundational Security Best Practices v1.0.0: S3.5");
    vigil(&["rules", "show", "iam_root_no_access_keys"])
        .assert_code(0)
        .assert_stdout_contains("CIS AWS Foundations Benchmark v4.0.1: 1.4")
        .assert_stdout_contains("CIS AWS Foundations Benchmark v5.0.0: 1.3");
}

#[test]
fn rules_show_unknown_id_is_an_input_error() {
    vigil(&["rules", "show", "nope"])
        .assert_code(2)
        .assert_stderr_contains("nope");
}
