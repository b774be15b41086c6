//! End-to-end tests of the `vigil` binary: each test runs the real executable on the
//! bundled example or on a small snapshot written to a temporary directory, and checks
//! exit statuses, the terminal summary, and the OCSF, NDJSON, CSV and scorecard files.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};
use tempfile::TempDir;

/// Evaluation time for the example, so that `days_since` and mutelist expiry are fixed.
const NOW: &str = "2026-11-23T12:00:00Z";
/// The account of the bundled example.
const EXAMPLE_ACCOUNT: &str = "111122223333";
/// The account of the small snapshots these tests write.
const ACCOUNT: &str = "123456789012";

const SEVERITIES: [&str; 5] = ["informational", "low", "medium", "high", "critical"];

// ---------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------

/// What one run of the binary produced.
#[derive(Debug)]
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Run {
    /// Exit status, with the whole run in the message when it is not the expected one.
    fn assert_code(&self, expected: i32) -> &Self {
        assert_eq!(self.code, Some(expected), "unexpected exit status\n{self}");
        self
    }

    fn assert_stdout_contains(&self, needle: &str) -> &Self {
        assert!(
            self.stdout.contains(needle),
            "stdout lacks {needle:?}\n{self}"
        );
        self
    }

    fn assert_stderr_contains(&self, needle: &str) -> &Self {
        assert!(
            self.stderr.contains(needle),
            "stderr lacks {needle:?}\n{self}"
        );
        self
    }
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "--- exit status: {:?}\n--- stdout:\n{}\n--- stderr:\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn example(name: &str) -> String {
    path_str(&workspace().join("examples").join(name))
}

fn example_snapshot() -> String {
    example("acme-dev.snapshot.json")
}

fn path_str(path: &Path) -> String {
    path.to_str().expect("test paths are UTF-8").to_owned()
}

/// Runs `vigil` with these arguments, without colour so that output is plain text.
fn vigil<S: AsRef<str>>(args: &[S]) -> Run {
    let output = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(args.iter().map(AsRef::as_ref))
        .env("NO_COLOR", "1")
        .env_remove("VIGIL_LOG")
        .output()
        .expect("the vigil binary runs");
    Run {
        code: output.status.code(),
        stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(output.stderr).expect("stderr is UTF-8"),
    }
}

/// `vigil scan --snapshot SNAPSHOT --now NOW` followed by `extra`.
fn scan<S: AsRef<str>>(snapshot: &str, extra: &[S]) -> Run {
    scan_at(snapshot, NOW, extra)
}

/// `vigil scan --snapshot SNAPSHOT --now now` followed by `extra`.
fn scan_at<S: AsRef<str>>(snapshot: &str, now: &str, extra: &[S]) -> Run {
    let mut args = vec![
        "scan".to_owned(),
        "--snapshot".to_owned(),
        snapshot.to_owned(),
        "--now".to_owned(),
        now.to_owned(),
    ];
    args.extend(extra.iter().map(|a| a.as_ref().to_owned()));
    vigil(&args)
}

/// Scans at `NOW` with `--format ocsf -o FILE`; returns the run and the parsed events.
fn scan_ocsf<S: AsRef<str>>(snapshot: &str, extra: &[S]) -> (Run, Vec<Value>) {
    scan_ocsf_at(snapshot, NOW, extra)
}

fn scan_ocsf_at<S: AsRef<str>>(snapshot: &str, now: &str, extra: &[S]) -> (Run, Vec<Value>) {
    let dir = TempDir::new().unwrap();
    let out = path_str(&dir.path().join("findings.ocsf.json"));
    let mut args: Vec<String> = vec!["--format".into(), "ocsf".into(), "-o".into(), out.clone()];
    args.extend(extra.iter().map(|a| a.as_ref().to_owned()));
    let run = scan_at(snapshot, now, &args);
    assert!(
        matches!(run.code, Some(0 | 1)),
        "scan did not complete\n{run}"
    );
    let text = std::fs::read_to_string(&out).expect("the OCSF file is written");
    let parsed: Value = serde_json::from_str(&text).expect("the OCSF file is JSON");
    let events = parsed
        .as_array()
        .unwrap_or_else(|| panic!("the OCSF file is a JSON array, found {parsed:.200}"))
        .clone();
    (run, events)
}

/// The OCSF events of the bundled example, scanned at `NOW`, with extra arguments.
fn example_events(extra: &[&str]) -> Vec<Value> {
    scan_ocsf(&example_snapshot(), extra).1
}

fn str_at<'a>(event: &'a Value, pointer: &str) -> &'a str {
    event
        .pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("{pointer} is not a string in {event:#}"))
}

fn u64_at(event: &Value, pointer: &str) -> u64 {
    event
        .pointer(pointer)
        .and_then(Value::as_u64)
        .unwrap_or_else(|| panic!("{pointer} is not an unsigned integer in {event:#}"))
}

fn rule_of(event: &Value) -> &str {
    str_at(event, "/metadata/event_code")
}

fn resource_of(event: &Value) -> &str {
    str_at(event, "/resources/0/uid")
}

fn uid_of(event: &Value) -> &str {
    str_at(event, "/finding_info/uid")
}

/// The events of one rule on one resource.
fn events_for<'a>(events: &'a [Value], rule: &str, resource: &str) -> Vec<&'a Value> {
    events
        .iter()
        .filter(|e| rule_of(e) == rule && resource_of(e) == resource)
        .collect()
}

/// The single event of one rule on one resource.
fn event_for<'a>(events: &'a [Value], rule: &str, resource: &str) -> &'a Value {
    let found = events_for(events, rule, resource);
    assert_eq!(
        found.len(),
        1,
        "expected exactly one {rule} finding on {resource}, found {}",
        found.len()
    );
    found[0]
}

/// Rank of an OCSF severity caption, in the order of [`SEVERITIES`].
fn severity_rank(caption: &str) -> usize {
    SEVERITIES
        .iter()
        .position(|s| s.eq_ignore_ascii_case(caption))
        .unwrap_or_else(|| panic!("unknown severity caption {caption:?}"))
}

/// Would `--fail-on threshold` trip on these events: an un-muted FAIL at or above it?
fn has_failure_at_or_above(events: &[Value], threshold: &str) -> bool {
    let min = severity_rank(threshold);
    events.iter().any(|e| {
        str_at(e, "/status_code") == "FAIL" && severity_rank(str_at(e, "/severity")) >= min
    })
}

/// A snapshot document holding these resources and gaps, in [`ACCOUNT`].
fn snapshot_doc(resources: Value, gaps: Value) -> Value {
    json!({
        "format": "vigil.snapshot/v1",
        "collected_at": "2026-11-23T11:00:00Z",
        "accounts": [ACCOUNT],
        "regions": ["us-east-1"],
        "resources": resources,
        "relations": [],
        "gaps": gaps,
    })
}

fn account_resource() -> Value {
    json!({
        "id": format!("arn:aws::{ACCOUNT}:account"),
        "type": "aws.account",
        "account": ACCOUNT,
        "region": "global",
        "name": "fixture-account",
        "properties": {"account_id": ACCOUNT},
    })
}

fn bucket_resource(name: &str, tags: Value) -> Value {
    json!({
        "id": format!("arn:aws:s3:::{name}"),
        "type": "aws.s3.bucket",
        "account": ACCOUNT,
        "region": "us-east-1",
        "name": name,
        "tags": tags,
        "properties": {},
    })
}

/// Writes `contents` to `dir/name` and returns the path.
fn write(dir: &Path, name: &str, contents: &str) -> String {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, contents).unwrap();
    path_str(&path)
}

fn write_json(dir: &Path, name: &str, value: &Value) -> String {
    write(dir, name, &serde_json::to_string_pretty(value).unwrap())
}

/// A complete rule file; the tests vary the fields they break.
fn rule_yaml(id: &str, resource: &str, condition: &str, capability: &str) -> String {
    format!(
        r#"id: {id}
title: S3 bucket names its owner in an owner tag
severity: low
resource: {resource}
description: Checks that every bucket carries an `owner` tag.
rationale: A bucket nobody owns is a bucket nobody fixes.
condition: {condition}
caf:
  component: Directive
  capability: {capability}
waf:
  area: Data
  practice: SEC07-BP01
epics: [data_protection]
remediation:
  text: Tag the bucket with owner=TEAM.
"#
    )
}

const OWNER_RULE_ID: &str = "s3_bucket_has_owner_tag";

fn owner_rule() -> String {
    rule_yaml(
        OWNER_RULE_ID,
        "aws.s3.bucket",
        r#"'"owner" in resource.tags'"#,
        "Control ownership",
    )
}

/// Fixtures for the owner-tag rule; `untagged_expect` is what the untagged bucket
/// is said to produce.
fn owner_fixtures(untagged_expect: &str) -> String {
    format!(
        r#"cases:
  - name: tagged bucket
    expect: PASS
    resources:
      - {{type: aws.s3.bucket, tags: {{owner: data-team}}}}
  - name: untagged bucket
    expect: FAIL
    resources:
      - {{type: aws.s3.bucket}}
  - name: one tagged, one not
    expect: {{"arn:aws:s3:::orphan": {untagged_expect}, "arn:aws:s3:::owned": PASS}}
    resources:
      - {{type: aws.s3.bucket, id: "arn:aws:s3:::orphan", tags: {{Owner: capitalised-does-not-count}}}}
      - {{type: aws.s3.bucket, id: "arn:aws:s3:::owned", tags: {{owner: me}}}}
"#
    )
}

/// A user rule directory holding the owner-tag rule and its fixtures.
fn owner_rule_dir(untagged_expect: &str) -> TempDir {
    let dir = TempDir::new().unwrap();
    write(
        dir.path(),
        &format!("aws/s3/{OWNER_RULE_ID}.yaml"),
        &owner_rule(),
    );
    write(
        dir.path(),
        &format!("aws/s3/{OWNER_RULE_ID}.test.yaml"),
        &owner_fixtures(untagged_expect),
    );
    dir
}

/// 1-based line of the first line of `text` that, trimmed, starts with `prefix`.
fn line_of(text: &str, prefix: &str) -> usize {
    text.lines()
        .position(|l| l.trim_start().starts_with(prefix))
        .unwrap_or_else(|| panic!("no line starting with {prefix:?}"))
        + 1
}

// ---------------------------------------------------------------------------------
// The bundled example and --fail-on
// ---------------------------------------------------------------------------------

#[test]
fn example_scan_exits_zero_and_prints_every_summary_section() {
    let run = scan(&example_snapshot(), &[] as &[&str]);
    run.assert_code(0)
        .assert_stdout_contains("Findings by severity")
        .assert_stdout_contains("CAF Security Perspective components")
        .assert_stdout_contains("Well-Architected security pillar areas")
        .assert_stdout_contains(&format!(
            "Security epics maturity, account {EXAMPLE_ACCOUNT}"
        ))
        .assert_stdout_contains(&format!("Key security enablers, account {EXAMPLE_ACCOUNT}"));
    for row in [
        "critical",
        "high",
        "medium",
        "low",
        "informational",
        "Directive",
        "Preventive",
        "Detective",
        "Responsive",
        "Identity and Access Management",
        "Detective Controls",
        "Infrastructure Protection",
        "Data Protection",
        "Incident Response",
        "Cloud Security Strategy",
    ] {
        run.assert_stdout_contains(row);
    }
    // Sections come in a fixed order: severity first, enablers last.
    let at = |s: &str| run.stdout.find(s).unwrap();
    assert!(at("Findings by severity") < at("CAF Security Perspective components"));
    assert!(at("CAF Security Perspective components") < at("Well-Architected security"));
    assert!(at("Well-Architected security") < at("Security epics maturity"));
    assert!(at("Security epics maturity") < at("Key security enablers"));
}

#[test]
fn example_scan_fails_on_high_because_it_has_high_failures() {
    let events = example_events(&[]);
    assert!(
        has_failure_at_or_above(&events, "high"),
        "the example is meant to have high or critical failures"
    );
    scan(&example_snapshot(), &["--fail-on", "high"]).assert_code(1);
}

#[test]
fn fail_on_critical_exit_status_follows_the_critical_failures_in_the_data() {
    let events = example_events(&[]);
    let expected = if has_failure_at_or_above(&events, "critical") {
        1
    } else {
        0
    };
    scan(&example_snapshot(), &["--fail-on", "critical"]).assert_code(expected);
}

#[test]
fn fail_on_exit_status_matches_failures_at_or_above_every_severity() {
    let events = example_events(&[]);
    for severity in SEVERITIES {
        let expected = i32::from(has_failure_at_or_above(&events, severity));
        let run = scan(&example_snapshot(), &["--fail-on", severity]);
        assert_eq!(
            run.code,
            Some(expected),
            "--fail-on {severity}: expected exit {expected}\n{run}"
        );
    }
}

#[test]
fn muted_failures_do_not_trip_fail_on() {
    let dir = TempDir::new().unwrap();
    let mutelist = write(
        dir.path(),
        "mute-all.yaml",
        "mutes:\n  - account: \"111122223333\"\n    reason: everything in the example account accepted for this test\n    expires: 2099-12-31\n",
    );
    let (run, events) = scan_ocsf(
        &example_snapshot(),
        &["--mutelist", &mutelist, "--fail-on", "informational"],
    );
    run.assert_code(0);
    assert!(
        events.iter().all(|e| str_at(e, "/status_code") != "FAIL"),
        "muting the whole account leaves no FAIL"
    );
    assert!(events.iter().any(|e| str_at(e, "/status_code") == "MUTED"));
}

// ---------------------------------------------------------------------------------
// Output formats
// ---------------------------------------------------------------------------------

#[test]
fn ocsf_file_is_an_array_of_compliance_findings_and_the_summary_goes_to_stdout() {
    let (run, events) = scan_ocsf(&example_snapshot(), &[] as &[&str]);
    run.assert_code(0)
        .assert_stdout_contains("Findings by severity")
        .assert_stdout_contains("Key security enablers");
    assert!(
        !run.stdout.trim_start().starts_with('['),
        "the findings went to the file, not to stdout"
    );
    assert!(!events.is_empty());
    let header = run.stdout.lines().next().unwrap();
    assert!(
        header.ends_with(&format!("{} findings", events.len())),
        "summary counts the findings written: {header}"
    );
    for event in &events {
        assert_eq!(u64_at(event, "/class_uid"), 2003, "{event:#}");
        assert_eq!(u64_at(event, "/type_uid"), 200301, "{event:#}");
        assert_eq!(str_at(event, "/metadata/version"), "1.6.0");
        assert!(!uid_of(event).is_empty());
        assert!(
            ["PASS", "FAIL", "ERROR", "MUTED"].contains(&str_at(event, "/status_code")),
            "{event:#}"
        );
    }
}

#[test]
fn ocsf_finding_uids_are_unique_within_a_scan_and_stable_across_scans() {
    let first = example_events(&[]);
    let second = example_events(&[]);
    let uids = |events: &[Value]| -> Vec<String> {
        let mut uids: Vec<String> = events.iter().map(|e| uid_of(e).to_owned()).collect();
        uids.sort();
        uids
    };
    let a = uids(&first);
    let mut unique = a.clone();
    unique.dedup();
    assert_eq!(unique.len(), a.len(), "finding uids repeat within one scan");
    assert_eq!(a, uids(&second), "finding uids differ between two scans");
    // Each scan's events are still events of their own.
    assert_ne!(
        str_at(&first[0], "/metadata/uid"),
        str_at(&second[0], "/metadata/uid")
    );
}

#[test]
fn ndjson_is_one_ocsf_object_per_line() {
    let run = scan(&example_snapshot(), &["--format", "ndjson"]);
    run.assert_code(0);
    let lines: Vec<&str> = run.stdout.lines().collect();
    let ocsf = example_events(&[]);
    assert_eq!(
        lines.len(),
        ocsf.len(),
        "one line per finding, nothing else"
    );
    for line in lines {
        let event: Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("line is not JSON ({e}): {line:.200}"));
        assert!(event.is_object());
        assert_eq!(u64_at(&event, "/class_uid"), 2003);
    }
}

#[test]
fn csv_has_the_header_and_one_row_per_finding() {
    let dir = TempDir::new().unwrap();
    let out = path_str(&dir.path().join("findings.csv"));
    let run = scan(&example_snapshot(), &["--format", "csv", "-o", &out]);
    run.assert_code(0)
        .assert_stdout_contains("Findings by severity");
    let mut reader = csv::Reader::from_path(&out).unwrap();
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(&header[..4], ["uid", "status", "severity", "rule_id"]);
    assert!(header.contains(&"evidence".to_owned()));
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let events = example_events(&[]);
    assert_eq!(rows.len(), events.len());
    let mut csv_uids: Vec<&str> = rows.iter().map(|r| &r[0]).collect();
    let mut ocsf_uids: Vec<&str> = events.iter().map(uid_of).collect();
    csv_uids.sort_unstable();
    ocsf_uids.sort_unstable();
    assert_eq!(csv_uids, ocsf_uids);
    for row in &rows {
        assert_eq!(row.len(), header.len(), "row {row:?}");
        assert!(SEVERITIES.contains(&&row[2]), "row {row:?}");
    }
}

#[test]
fn sarif_and_junit_report_the_failures_ocsf_reports() {
    let dir = TempDir::new().unwrap();
    let events = example_events(&[]);
    let mut failing: Vec<&str> = events
        .iter()
        .filter(|e| e["status_code"] == "FAIL")
        .map(uid_of)
        .collect();
    failing.sort_unstable();
    assert!(!failing.is_empty(), "the example has failures");

    let sarif = path_str(&dir.path().join("vigil.sarif"));
    scan(&example_snapshot(), &["--format", "sarif", "-o", &sarif])
        .assert_code(0)
        .assert_stdout_contains("Findings by severity");
    let log: Value = serde_json::from_str(&std::fs::read_to_string(&sarif).unwrap()).unwrap();
    assert_eq!(log["version"], "2.1.0");
    let mut results: Vec<&str> = log["runs"][0]["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter(|r| r.get("suppressions").is_none())
        .map(|r| {
            r["partialFingerprints"]["vigilFindingUid/v1"]
                .as_str()
                .unwrap()
        })
        .collect();
    results.sort_unstable();
    assert_eq!(
        results, failing,
        "one SARIF result per FAIL, fingerprinted by its uid"
    );

    let junit = path_str(&dir.path().join("vigil.junit.xml"));
    scan(&example_snapshot(), &["--format", "junit", "-o", &junit]).assert_code(0);
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.starts_with("<?xml"));
    assert_eq!(xml.matches("<testcase ").count(), events.len());
    assert_eq!(xml.matches("<failure ").count(), failing.len());
}

#[test]
fn scorecard_file_has_caf_components_waf_areas_epics_and_enablers() {
    let dir = TempDir::new().unwrap();
    let path = path_str(&dir.path().join("scorecard.json"));
    scan(&example_snapshot(), &["--scorecard", &path]).assert_code(0);
    let card: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let caf = card["caf_components"].as_array().expect("caf_components");
    assert_eq!(caf.len(), 4);
    let names: Vec<&str> = caf.iter().map(|c| str_at(c, "/name")).collect();
    assert_eq!(
        names,
        ["Directive", "Preventive", "Detective", "Responsive"]
    );
    assert_eq!(card["waf_areas"].as_array().expect("waf_areas").len(), 5);
    let account = &card["accounts"][0];
    assert_eq!(account["account"], EXAMPLE_ACCOUNT);
    let epics = account["epics"].as_array().expect("epics");
    assert_eq!(epics.len(), 10);
    for epic in epics {
        let level = u64_at(epic, "/level");
        assert!(level <= 3, "epic level {level} out of 0..=3: {epic:#}");
    }
    assert_eq!(account["enablers"].as_array().expect("enablers").len(), 7);
}

#[test]
fn attestations_raise_maturity_and_are_marked_declared() {
    let dir = TempDir::new().unwrap();
    let plain = path_str(&dir.path().join("plain.json"));
    let attested = path_str(&dir.path().join("attested.json"));
    scan(&example_snapshot(), &["--scorecard", &plain]).assert_code(0);
    scan(
        &example_snapshot(),
        &[
            "--scorecard",
            &attested,
            "--attestations",
            &example("attestations.yaml"),
        ],
    )
    .assert_code(0);
    let epic = |file: &str, id: &str| -> Value {
        let card: Value = serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
        card["accounts"][0]["epics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["epic"] == id)
            .unwrap_or_else(|| panic!("no epic {id}"))
            .clone()
    };
    let before = epic(&plain, "incident_response");
    let after = epic(&attested, "incident_response");
    assert!(
        u64_at(&after, "/level") > u64_at(&before, "/level"),
        "the declared incident response plan raises the level: {} -> {}",
        before["level"],
        after["level"]
    );
    assert_eq!(after["rests_on_declarations"], true);
    assert_eq!(before["rests_on_declarations"], false);
}

// ---------------------------------------------------------------------------------
// Input and usage errors (exit 2)
// ---------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------
// User rules
// ---------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------
// Gaps and the mutelist
// ---------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------
// rules list / show
// ---------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------
// Organisation-wide evidence, settings and the maturity models in plain words.

const MEMBER: &str = "222233334444";
const ORG: &str = "o-vigiltest01";

fn org_account(account: &str) -> Value {
    json!({
        "id": format!("arn:aws::{account}:account"),
        "type": "aws.account",
        "account": account,
        "region": "global",
        "properties": {"account_id": account, "organization": {
            "id": ORG, "master_account_id": ACCOUNT, "is_management_account": account == ACCOUNT}},
    })
}

#[test]
fn an_scp_seen_in_the_management_snapshot_counts_for_a_member_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let management = snapshot_doc(
        json!([org_account(ACCOUNT), {
            "id": format!("arn:aws:organizations::{ACCOUNT}:policy/{ORG}/service_control_policy/p-root"),
            "type": "aws.organizations.policy",
            "account": ACCOUNT,
            "region": "global",
            "properties": {"id": "p-root", "arn": "arn", "name": "deny-root", "type": "SERVICE_CONTROL_POLICY",
                "aws_managed": false, "attached_to_root": true,
                "targets": [{"target_id": "r-1", "type": "ROOT", "name": "Root"}],
                "document": {"Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*",
                    "Condition": {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:root"}}}]}},
        }]),
        json!([]),
    );
    let mut member = snapshot_doc(
        json!([org_account(MEMBER)]),
        json!([{"service": "organizations", "operation": "ListPolicies", "account": MEMBER,
                "region": "global", "resource_types": ["aws.organizations.policy", "aws.organizations.delegated_administrator"],
                "error_code": "NotManagementAccount", "message": "evidence lives in the management account"}]),
    );
    member["accounts"] = json!([MEMBER]);
    let (m, s) = (
        dir.path().join("management.json"),
        dir.path().join("member.json"),
    );
    std::fs::write(&m, management.to_string()).unwrap();
    std::fs::write(&s, member.to_string()).unwrap();
    let card_path = dir.path().join("card.json");
    let member_guardrails = |snapshots: &[&Path]| -> Value {
        let mut args: Vec<String> = Vec::new();
        for p in snapshots {
            args.extend(["--snapshot".into(), path_str(p)]);
        }
        args.extend(["--now".into(), "2026-11-23T12:00:00Z".into()]);
        args.extend(["--scorecard".into(), path_str(&card_path)]);
        let mut full = vec!["scan".to_owned()];
        full.extend(args);
        vigil(&full).assert_code(0);
        let card: Value =
            serde_json::from_str(&std::fs::read_to_string(&card_path).unwrap()).unwrap();
        let account = card["accounts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["account"] == MEMBER)
            .unwrap()
            .clone();
        let iam = account["epics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["epic"] == "identity_and_access_management")
            .unwrap()
            .clone();
        iam["levels"][2]["criteria"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == "iam.guardrails")
            .unwrap()
            .clone()
    };
    // The member alone cannot see SCPs: unknown, never met.
    let alone = member_guardrails(&[&s]);
    assert_eq!(alone["outcome"], "unknown", "{alone}");
    // Scanned with the management account's snapshot, the root SCP counts for it and
    // the scorecard names the account the evidence lives in.
    let together = member_guardrails(&[&m, &s]);
    assert_eq!(together["outcome"], "met", "{together}");
    assert_eq!(together["evidence_account"], ACCOUNT, "{together}");
}

#[test]
fn settings_decide_data_locality_and_a_bad_settings_file_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let snap = dir.path().join("s.json");
    let mut bucket = bucket_resource("eu-data", json!({}));
    bucket["properties"] = json!({"bucket_region": "eu-central-1"});
    bucket["region"] = json!("eu-central-1");
    std::fs::write(
        &snap,
        snapshot_doc(json!([account_resource(), bucket]), json!([])).to_string(),
    )
    .unwrap();
    let locality = |extra: &[String]| -> Vec<String> {
        let (_, events) = scan_ocsf(&path_str(&snap), extra);
        events
            .iter()
            .filter(|e| str_at(e, "/metadata/event_code") == "s3_bucket_in_allowed_region")
            .map(|e| str_at(e, "/status_code").to_owned())
            .collect()
    };
    // Not configured: the locality rule makes no finding rather than guessing.
    assert!(locality(&[]).is_empty());
    let settings = dir.path().join("settings.yaml");
    std::fs::write(&settings, "allowed_regions: [eu-west-1]\n").unwrap();
    assert_eq!(
        locality(&["--settings".into(), path_str(&settings)]),
        ["FAIL"]
    );
    std::fs::write(&settings, "allowed_regions: [eu-west-1, eu-central-1]\n").unwrap();
    assert_eq!(
        locality(&["--settings".into(), path_str(&settings)]),
        ["PASS"]
    );
    std::fs::write(
        &settings,
        "allowed_regions: [eu-west-1]\nallowed_region: []\n",
    )
    .unwrap();
    vigil(&[
        "scan".to_owned(),
        "--snapshot".into(),
        path_str(&snap),
        "--settings".into(),
        path_str(&settings),
    ])
    .assert_code(2)
    .assert_stderr_contains("settings.yaml")
    .assert_stderr_contains("line 2");
}

#[test]
fn rules_show_explains_an_epic_level_by_level() {
    vigil(&["rules", "show", "incident_response"])
        .assert_code(0)
        .assert_stdout_contains("### Level 2: minimal viable implementation")
        .assert_stdout_contains("declared only: `incident_response.simulations_run`")
        .assert_stdout_contains("iam_incident_response_role_trust_restricted");
    vigil(&["rules", "show", "logging_and_monitoring"])
        .assert_code(0)
        .assert_stdout_contains(
            "Platform-level and service-level logging is enabled and centralized.",
        );
    vigil(&["rules", "show", "playbooks_and_runbooks"])
        .assert_code(0)
        .assert_stdout_contains("ssm_automation_runbooks_exist");
    vigil(&["rules", "show", "no_such_thing"]).assert_code(2);
}

// ---------------------------------------------------------------------------------
// vigil explain
// ---------------------------------------------------------------------------------

/// `vigil explain` answers from a snapshot, statement by statement: a role whose inline
/// policy allows `s3:*` may read a bucket's objects, and is denied by the bucket
/// policy's explicit Deny on deletes; exit status 0 when allowed, 1 otherwise.
#[test]
fn explain_says_why_a_role_can_or_cannot_act_on_a_bucket() {
    let dir = TempDir::new().unwrap();
    let role = format!("arn:aws:iam::{ACCOUNT}:role/app");
    let snapshot = json!({
        "format": "vigil.snapshot/v1",
        "resources": [
            {"id": role, "type": "aws.iam.role", "account": ACCOUNT, "region": "global",
             "properties": {"role_name": "app", "attached_policies": [], "inline_policies": [
                {"name": "s3-all", "document": {"Statement": [
                    {"Sid": "S3", "Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}}]}},
            {"id": "arn:aws:s3:::data", "type": "aws.s3.bucket", "account": ACCOUNT, "region": "global",
             "properties": {"policy": {"Statement": [
                {"Sid": "NoDeletes", "Effect": "Deny", "Principal": "*", "Action": "s3:DeleteObject",
                 "Resource": "arn:aws:s3:::data/*"}]}}},
            // Outside an organisation: no SCP applies.
            {"id": format!("arn:aws::{ACCOUNT}:account"), "type": "aws.account", "account": ACCOUNT,
             "region": "global", "properties": {"organization": null}}
        ]
    });
    let path = write(dir.path(), "iam.snapshot.json", &snapshot.to_string());
    let allowed = vigil(&[
        "explain",
        "--snapshot",
        &path,
        "--principal",
        &role,
        "--action",
        "s3:GetObject",
        "--resource",
        "arn:aws:s3:::data/report.csv",
    ]);
    allowed.assert_code(0).assert_stdout_contains("S3");
    let denied = vigil(&[
        "explain",
        "--snapshot",
        &path,
        "--principal",
        &role,
        "--action",
        "s3:DeleteObject",
        "--resource",
        "arn:aws:s3:::data/report.csv",
        "--format",
        "json",
    ]);
    denied.assert_code(1);
    let answer: Value = serde_json::from_str(&denied.stdout).unwrap();
    assert_eq!(answer["decision"], "ExplicitlyDenied", "{answer}");
    assert!(denied.stdout.contains("NoDeletes"), "{}", denied.stdout);
    assert!(
        answer["not_applied"]
            .as_array()
            .is_some_and(|n| n.len() == 1)
    );
    // Not a principal: an input error naming it.
    vigil(&[
        "explain",
        "--snapshot",
        &path,
        "--principal",
        "arn:aws:s3:::data",
        "--action",
        "s3:GetObject",
    ])
    .assert_code(2)
    .assert_stderr_contains("is not an IAM user or role");
}

/// `vigil explain --paths`: the escalation analysis for one principal. A developer may
/// assume a deployer role that may write its own inline policy: two hops to
/// administrator, each named by its method and calls. The deployer is reached from the
/// developer; an intern with no permissions has no path (exit status 1).
#[test]
fn explain_paths_shows_the_way_to_administrator_hop_by_hop() {
    let dir = TempDir::new().unwrap();
    let dev = format!("arn:aws:iam::{ACCOUNT}:user/dev");
    let intern = format!("arn:aws:iam::{ACCOUNT}:user/intern");
    let deployer = format!("arn:aws:iam::{ACCOUNT}:role/deployer");
    let user = |name: &str, statements: Value| {
        json!({"id": format!("arn:aws:iam::{ACCOUNT}:user/{name}"), "type": "aws.iam.user",
               "account": ACCOUNT, "region": "global",
               "properties": {"user_name": name, "attached_policies": [], "groups": [],
                              "access_keys": [], "password_enabled": false,
                              "permissions_boundary": null,
                              "inline_policies": [{"name": "p", "document": {"Statement": statements}}]}})
    };
    let snapshot = json!({
        "format": "vigil.snapshot/v1",
        "resources": [
            user("dev", json!([{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": deployer}])),
            user("intern", json!([])),
            {"id": deployer, "type": "aws.iam.role", "account": ACCOUNT, "region": "global",
             "properties": {"role_name": "deployer", "attached_policies": [], "instance_profiles": [],
                            "is_service_linked": false, "permissions_boundary": null,
                            "assume_role_policy": {"Statement": [{"Effect": "Allow",
                                "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT}:root")},
                                "Action": "sts:AssumeRole"}]},
                            "inline_policies": [{"name": "self", "document": {"Statement": [
                                {"Effect": "Allow", "Action": "iam:PutRolePolicy", "Resource": deployer}]}}]}},
            // Outside an organisation: no SCP applies (SCPs not known would make the
            // paths conditional).
            {"id": format!("arn:aws::{ACCOUNT}:account"), "type": "aws.account", "account": ACCOUNT,
             "region": "global", "properties": {"organization": null}}
        ]
    });
    let path = write(dir.path(), "iam.snapshot.json", &snapshot.to_string());
    let text = vigil(&[
        "explain",
        "--snapshot",
        &path,
        "--principal",
        &dev,
        "--paths",
    ]);
    text.assert_code(0)
        .assert_stdout_contains("can become administrator in 2 step(s)")
        .assert_stdout_contains("--[sts_assume_role: sts:AssumeRole on")
        .assert_stdout_contains("--[iam_put_role_policy: iam:PutRolePolicy on");

    let json_run = vigil(&[
        "explain",
        "--snapshot",
        &path,
        "--principal",
        &deployer,
        "--paths",
        "--format",
        "json",
    ]);
    json_run.assert_code(0);
    let answer: Value = serde_json::from_str(&json_run.stdout).unwrap();
    let hops = answer["path_to_administrator"]["hops"].as_array().unwrap();
    assert_eq!(hops.len(), 1, "{answer}");
    assert_eq!(hops[0]["method"], "iam_put_role_policy");
    assert_eq!(hops[0]["becomes"], "administrator");
    let assumed_by: Vec<&str> = answer["can_be_assumed_by"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["principal"].as_str())
        .collect();
    assert!(assumed_by.contains(&dev.as_str()), "{answer}");
    assert!(!assumed_by.contains(&intern.as_str()), "{answer}");

    vigil(&[
        "explain",
        "--snapshot",
        &path,
        "--principal",
        &intern,
        "--paths",
    ])
    .assert_code(1)
    .assert_stdout_contains("No path to administrator was found.");
    // --paths and --action are one or the other.
    vigil(&["explain", "--snapshot", &path, "--principal", &dev]).assert_code(2);
}

/// `vigil scan --format scan` saves the scan; `vigil report --from` renders every other
/// format from it without the snapshot, and they say what the scan itself says.
#[test]
fn report_renders_every_format_from_a_saved_scan() {
    let dir = TempDir::new().unwrap();
    let saved = path_str(&dir.path().join("scan.json"));
    let attestations = write(
        dir.path(),
        "attest.yaml",
        "requirements:\n  \"cis_aws_v5:1.1\":\n    statement: Contacts are reviewed every quarter\n    by: secops\n    date: 2026-04-01\n",
    );
    scan(
        &example_snapshot(),
        &[
            "--format",
            "scan",
            "-o",
            &saved,
            "--attestations",
            &attestations,
        ],
    )
    .assert_code(0);
    let direct = path_str(&dir.path().join("direct.csv"));
    scan(&example_snapshot(), &["--format", "csv", "-o", &direct]).assert_code(0);
    // Nothing of the snapshot is needed any more.
    let from = |format: &str, extra: &[&str]| -> String {
        let out = path_str(&dir.path().join(format!("out.{format}")));
        let mut args = vec!["report", "--from", &saved, "--format", format, "-o", &out];
        args.extend_from_slice(extra);
        vigil(&args).assert_code(0);
        std::fs::read_to_string(&out).unwrap()
    };
    assert_eq!(
        from("csv", &[]),
        std::fs::read_to_string(&direct).unwrap(),
        "the CSV from the saved scan is the scan's own"
    );
    let events: Vec<Value> = serde_json::from_str(&from("ocsf", &[])).unwrap();
    assert_eq!(events.len(), from("csv", &[]).lines().count() - 1);

    let html = from("html", &[]);
    for id in [
        "scan",
        "scores",
        "maturity",
        "compliance",
        "findings",
        "inventory",
    ] {
        assert!(
            html.contains(&format!("<section id=\"{id}\"")),
            "no section {id}"
        );
    }
    assert!(html.contains(EXAMPLE_ACCOUNT));
    assert!(!html.contains("src=\"http") && !html.contains("href=\"http"));

    let csv = from("compliance-csv", &["--framework", "cis_aws_v5"]);
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let cis = std::fs::read_to_string(workspace().join("rules/standards/cis_aws.yaml")).unwrap();
    let v5 = cis.split("field: cis_aws_v5").nth(1).unwrap();
    assert_eq!(
        rows.len(),
        v5.matches("{id:").count(),
        "one row per v5 recommendation"
    );
    assert!(rows.iter().all(|r| &r[0] == "cis_aws_v5"));
    let row = |id: &str| rows.iter().find(|r| &r[1] == id).unwrap().clone();
    assert_eq!(
        &row("1.1")[5],
        "declared",
        "the attestation travels in the saved scan"
    );
    assert!(row("1.1")[12].contains("Contacts are reviewed every quarter"));
    assert!(["pass", "fail", "unknown", "muted", "not_applicable"].contains(&&row("2.1.1")[5]));

    let json: Value = serde_json::from_str(&from("compliance-json", &[])).unwrap();
    let ids: Vec<&str> = json["frameworks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "cis_aws_v3",
            "cis_aws_v4",
            "cis_aws_v5",
            "fsbp",
            "waf",
            "caf",
            "epics"
        ]
    );

    let table = vigil(&["report", "--from", &saved, "--format", "table"]);
    table
        .assert_code(0)
        .assert_stdout_contains("Security epics maturity, account 111122223333");
}

#[test]
fn report_refuses_what_is_not_a_saved_scan_and_unknown_frameworks() {
    vigil(&["report", "--from", &example_snapshot()])
        .assert_code(2)
        .assert_stderr_contains("vigil.scan/v1");
    scan(
        &example_snapshot(),
        &["--format", "compliance-csv", "--framework", "cis"],
    )
    .assert_code(2)
    .assert_stderr_contains("cis_aws_v3, cis_aws_v4, cis_aws_v5, fsbp, waf, caf, epics");
}
