//! End-to-end tests of the `vigil` binary: each test runs the real executable on the
//! bundled example or on a small snapshot written to a temporary directory, and checks
//! exit statuses, the terminal summary, and the OCSF, NDJSON, CSV and scorecard files.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};
use tempfile::TempDir;

// The tests, by what they exercise; the helpers below are shared by all.
mod errors;
mod example;
mod explain;
mod formats;
mod gaps;
mod organisation;
mod rules_cmd;
mod user_rules;

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
