//! End-to-end tests of `vigil diff OLD NEW`: each test writes snapshots, runs the real
//! binary to save two scans of them (`vigil scan --format scan`), diffs them, and
//! checks the diff's content, its exit status and its refusals.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};
use tempfile::TempDir;

const NOW: &str = "2026-11-23T12:00:00Z";
const ACCOUNT: &str = "123456789012";
const OTHER_ACCOUNT: &str = "210987654321";
const RULE: &str = "s3_bucket_has_owner_tag";

#[derive(Debug)]
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
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

impl Run {
    fn assert_code(&self, expected: i32) -> &Self {
        assert_eq!(self.code, Some(expected), "unexpected exit status\n{self}");
        self
    }
}

fn path_str(path: &Path) -> String {
    path.to_str().expect("test paths are UTF-8").to_owned()
}

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

fn write(dir: &Path, name: &str, contents: &str) -> String {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, contents).unwrap();
    path_str(&path)
}

/// A user rule directory with one rule, `id`: a bucket carries an `owner` tag.
fn rule_dir(dir: &Path, id: &str) -> String {
    let root = dir.join(format!("rules-{id}"));
    write(
        &root,
        &format!("aws/s3/{id}.yaml"),
        &format!(
            r#"id: {id}
title: S3 bucket names its owner in an owner tag
severity: low
resource: aws.s3.bucket
description: Checks that every bucket carries an `owner` tag.
rationale: A bucket nobody owns is a bucket nobody fixes.
condition: '"owner" in resource.tags'
caf:
  component: Directive
  capability: Control ownership
waf:
  area: Data
  practice: SEC07-BP01
epics: [data_protection]
remediation:
  text: Tag the bucket with owner=TEAM.
"#
        ),
    );
    write(
        &root,
        &format!("aws/s3/{id}.test.yaml"),
        r#"cases:
  - name: tagged bucket
    expect: PASS
    resources:
      - {type: aws.s3.bucket, tags: {owner: data-team}}
  - name: untagged bucket
    expect: FAIL
    resources:
      - {type: aws.s3.bucket}
"#,
    );
    path_str(&root)
}

fn bucket(account: &str, name: &str, owner: Option<&str>, properties: Value) -> Value {
    let mut b = json!({
        "id": format!("arn:aws:s3:::{name}"),
        "type": "aws.s3.bucket",
        "account": account,
        "region": "us-east-1",
        "name": name,
        "properties": properties,
    });
    if let Some(owner) = owner {
        b["tags"] = json!({"owner": owner});
    }
    b
}

fn snapshot(dir: &Path, name: &str, accounts: &[&str], resources: Vec<Value>) -> String {
    let mut all: Vec<Value> = accounts
        .iter()
        .map(|a| {
            json!({
                "id": format!("arn:aws::{a}:account"),
                "type": "aws.account",
                "account": a,
                "region": "global",
                "properties": {"account_id": a},
            })
        })
        .collect();
    all.extend(resources);
    let doc = json!({
        "format": "vigil.snapshot/v1",
        "collected_at": "2026-11-23T11:00:00Z",
        "accounts": accounts,
        "regions": ["us-east-1"],
        "resources": all,
        "relations": [],
        "gaps": [],
    });
    write(dir, name, &serde_json::to_string_pretty(&doc).unwrap())
}

/// Saves a scan of `snapshot` with only the rules of `rules`; returns the file.
fn save(dir: &Path, name: &str, snapshot: &str, rules: &str) -> String {
    let out = path_str(&dir.join(name));
    let run = vigil(&[
        "scan",
        "--snapshot",
        snapshot,
        "--now",
        NOW,
        "--no-builtin-rules",
        "--rules",
        rules,
        "--format",
        "scan",
        "-o",
        &out,
    ]);
    assert!(matches!(run.code, Some(0 | 1)), "scan failed\n{run}");
    out
}

fn diff_json(old: &str, new: &str, extra: &[&str]) -> (Run, Value) {
    let mut args = vec!["diff", old, new, "--format", "json"];
    args.extend_from_slice(extra);
    let run = vigil(&args);
    let parsed = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("diff --format json is JSON ({e})\n{run}"));
    (run, parsed)
}

/// The resource ids of one list of the diff, sorted.
fn ids(diff: &Value, pointer: &str, key: &str) -> Vec<String> {
    let mut out: Vec<String> = diff
        .pointer(pointer)
        .and_then(Value::as_array)
        .unwrap_or_else(|| panic!("{pointer} is not a list in {diff:#}"))
        .iter()
        .map(|v| {
            v[key]
                .as_str()
                .unwrap()
                .trim_start_matches("arn:aws:s3:::")
                .to_owned()
        })
        .collect();
    out.sort();
    out
}

/// OLD: `orphan` and `doomed` untagged (FAIL), `owned` tagged (PASS).
/// NEW: `orphan` tagged (resolved), `owned` untagged (new), `doomed` deleted
/// (resolved), `fresh` created untagged (new); `owned`'s password property changed.
fn two_scans(dir: &Path) -> (String, String) {
    let rules = rule_dir(dir, RULE);
    let old = snapshot(
        dir,
        "old.snapshot.json",
        &[ACCOUNT],
        vec![
            bucket(
                ACCOUNT,
                "orphan",
                None,
                json!({"versioning": {"status": "Suspended"}}),
            ),
            bucket(
                ACCOUNT,
                "owned",
                Some("data"),
                json!({"master_password": "hunter2"}),
            ),
            bucket(ACCOUNT, "doomed", None, json!({})),
        ],
    );
    let new = snapshot(
        dir,
        "new.snapshot.json",
        &[ACCOUNT],
        vec![
            bucket(
                ACCOUNT,
                "orphan",
                Some("web"),
                json!({"versioning": {"status": "Enabled"}}),
            ),
            bucket(
                ACCOUNT,
                "owned",
                None,
                json!({"master_password": "swordfish"}),
            ),
            bucket(ACCOUNT, "fresh", None, json!({})),
        ],
    );
    (
        save(dir, "old.scan.json", &old, &rules),
        save(dir, "new.scan.json", &new, &rules),
    )
}

#[test]
fn diff_reports_new_resolved_findings_and_changed_resources() {
    let dir = TempDir::new().unwrap();
    let (old, new) = two_scans(dir.path());
    let (run, diff) = diff_json(&old, &new, &[]);
    run.assert_code(0);
    assert_eq!(diff["format"], "vigil.diff/v1");
    assert_eq!(ids(&diff, "/findings/new", "resource"), ["fresh", "owned"]);
    assert_eq!(
        ids(&diff, "/findings/resolved", "resource"),
        ["doomed", "orphan"]
    );
    let resolved = diff["findings"]["resolved"].as_array().unwrap();
    let why = |name: &str| {
        resolved
            .iter()
            .find(|f| f["resource"] == format!("arn:aws:s3:::{name}"))
            .unwrap()["why"]
            .clone()
    };
    assert_eq!(why("orphan"), "passing");
    assert_eq!(why("doomed"), "resource removed");
    let owned = &diff["findings"]["new"].as_array().unwrap()[1];
    assert_eq!(owned["uid"], format!("vigil:{RULE}:arn:aws:s3:::owned"));
    assert_eq!(owned["old"]["status"], "PASS");
    assert_eq!(owned["new"]["status"], "FAIL");
    assert_eq!(owned["severity"], "low");

    assert_eq!(ids(&diff, "/resources/added", "id"), ["fresh"]);
    assert_eq!(ids(&diff, "/resources/removed", "id"), ["doomed"]);
    assert_eq!(ids(&diff, "/resources/modified", "id"), ["orphan", "owned"]);
    let orphan = diff["resources"]["modified"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "arn:aws:s3:::orphan")
        .unwrap();
    assert_eq!(
        orphan["fields"],
        json!([
            {"path": "/properties/versioning/status", "old": "Suspended", "new": "Enabled"},
            {"path": "/tags", "new": {"owner": "web"}},
        ])
    );
    assert_eq!(diff["summary"]["new"], 2);
    assert_eq!(diff["summary"]["resolved"], 2);
    assert_eq!(diff["summary"]["not_evaluated"], 0);

    // The secret changed, and neither value is printed, in JSON or in the table.
    let table = vigil(&["diff", &old, &new]);
    table.assert_code(0);
    for text in [&run.stdout, &table.stdout] {
        assert!(
            !text.contains("hunter2") && !text.contains("swordfish"),
            "{text}"
        );
        assert!(text.contains("/properties/master_password"), "{text}");
        assert!(text.contains("(redacted)"), "{text}");
    }
    for heading in [
        "findings: 2 new, 2 resolved, 0 changed, 0 not evaluated",
        "resources: 1 added, 1 removed, 2 modified",
        "New failures (2)",
        "Resolved (2)",
        "Resources modified (2)",
        "/properties/versioning/status: Suspended → Enabled",
    ] {
        assert!(table.stdout.contains(heading), "lacks {heading:?}\n{table}");
    }
}

#[test]
fn fail_on_new_gates_ci_by_new_failures_and_their_severity() {
    let dir = TempDir::new().unwrap();
    let (old, new) = two_scans(dir.path());
    vigil(&["diff", &old, &new, "--fail-on", "new"]).assert_code(1);
    // The rule is low: a gate at high does not trip.
    vigil(&["diff", &old, &new, "--fail-on", "new", "--severity", "high"]).assert_code(0);
    vigil(&["diff", &old, &new, "--fail-on", "new", "--severity", "low"]).assert_code(1);
    // The other way round, `orphan` fails again and `doomed` is back: new failures.
    vigil(&["diff", &new, &old, "--fail-on", "new"]).assert_code(1);
    vigil(&["diff", &new, &old, "--fail-on", "any"]).assert_code(1);
    // A scan against itself: no change at all.
    let same = vigil(&["diff", &old, &old, "--fail-on", "any"]);
    same.assert_code(0);
    assert!(same.stdout.contains("no changes"), "{same}");
}

#[test]
fn a_rule_the_new_scan_did_not_run_is_not_evaluated_not_resolved() {
    let dir = TempDir::new().unwrap();
    let (old, _) = two_scans(dir.path());
    // The same estate, scanned with another rule pack: the owner-tag rule never ran.
    let other_rules = rule_dir(dir.path(), "s3_bucket_has_team_tag");
    let same_estate = snapshot(
        dir.path(),
        "same.snapshot.json",
        &[ACCOUNT],
        vec![
            bucket(
                ACCOUNT,
                "orphan",
                None,
                json!({"versioning": {"status": "Suspended"}}),
            ),
            bucket(
                ACCOUNT,
                "owned",
                Some("data"),
                json!({"master_password": "hunter2"}),
            ),
            bucket(ACCOUNT, "doomed", None, json!({})),
        ],
    );
    let new = save(dir.path(), "other.scan.json", &same_estate, &other_rules);
    let (run, diff) = diff_json(&old, &new, &[]);
    run.assert_code(0);
    assert_eq!(diff["summary"]["resolved"], 0, "{diff:#}");
    assert_eq!(
        ids(&diff, "/findings/not_evaluated", "resource"),
        ["doomed", "orphan", "owned"]
    );
    let why = diff["findings"]["not_evaluated"][0]["why"]
        .as_str()
        .unwrap();
    assert!(
        why.contains(&format!("did not evaluate rule `{RULE}`")),
        "{why}"
    );
    // The other rule's failures are new; the resources did not change.
    assert_eq!(diff["summary"]["new"], 2);
    assert_eq!(diff["summary"]["resources_modified"], 0);
}

#[test]
fn accounts_only_one_side_has_are_named_and_left_out() {
    let dir = TempDir::new().unwrap();
    let (old, _) = two_scans(dir.path());
    let rules = rule_dir(dir.path(), RULE);
    let wider = snapshot(
        dir.path(),
        "wider.snapshot.json",
        &[ACCOUNT, OTHER_ACCOUNT],
        vec![
            bucket(
                ACCOUNT,
                "orphan",
                None,
                json!({"versioning": {"status": "Suspended"}}),
            ),
            bucket(
                ACCOUNT,
                "owned",
                Some("data"),
                json!({"master_password": "hunter2"}),
            ),
            bucket(ACCOUNT, "doomed", None, json!({})),
            bucket(OTHER_ACCOUNT, "elsewhere", None, json!({})),
        ],
    );
    let new = save(dir.path(), "wider.scan.json", &wider, &rules);
    let (run, diff) = diff_json(&old, &new, &[]);
    run.assert_code(0);
    assert!(
        run.stderr.contains(&format!(
            "accounts only in NEW, not compared: {OTHER_ACCOUNT}"
        )),
        "{run}"
    );
    assert_eq!(diff["accounts"]["only_new"], json!([OTHER_ACCOUNT]));
    assert_eq!(diff["accounts"]["common"], json!([ACCOUNT]));
    // The other account's failing bucket is neither a new failure nor an added resource.
    assert_eq!(diff["summary"]["new"], 0, "{diff:#}");
    assert_eq!(diff["summary"]["resources_added"], 0, "{diff:#}");

    // No account in common: refused.
    let elsewhere = snapshot(
        dir.path(),
        "elsewhere.snapshot.json",
        &[OTHER_ACCOUNT],
        vec![],
    );
    let elsewhere = save(dir.path(), "elsewhere.scan.json", &elsewhere, &rules);
    let run = vigil(&["diff", &old, &elsewhere]);
    run.assert_code(2);
    assert!(run.stderr.contains("no account in common"), "{run}");
}

#[test]
fn files_that_are_not_saved_scans_or_differ_in_format_are_refused() {
    let dir = TempDir::new().unwrap();
    let (old, new) = two_scans(dir.path());
    // A snapshot is not a saved scan.
    let snapshot = path_str(&dir.path().join("old.snapshot.json"));
    let run = vigil(&["diff", &snapshot, &new]);
    run.assert_code(2);
    assert!(run.stderr.contains("OLD"), "{run}");
    assert!(run.stderr.contains("not a saved Vigil scan"), "{run}");
    let run = vigil(&["diff", &old, &path_str(&dir.path().join("missing.json"))]);
    run.assert_code(2);
    assert!(run.stderr.contains("NEW: cannot read saved scan"), "{run}");

    // A version 1 file: `vigil report` still renders it, `vigil diff` refuses to
    // compare it with a version 2 file, and compares two of them without resources.
    let mut v1: Value = serde_json::from_str(&std::fs::read_to_string(&old).unwrap()).unwrap();
    assert_eq!(v1["format"], "vigil.scan/v2");
    assert_eq!(v1["resources"].as_array().unwrap().len(), 4);
    v1["format"] = json!("vigil.scan/v1");
    v1.as_object_mut().unwrap().remove("resources");
    let v1 = write(dir.path(), "old.v1.json", &v1.to_string());
    let run = vigil(&["report", "--from", &v1, "--format", "csv"]);
    run.assert_code(0);
    assert!(run.stdout.contains(RULE), "{run}");
    let run = vigil(&["diff", &v1, &new]);
    run.assert_code(2);
    assert!(
        run.stderr
            .contains("different formats (OLD vigil.scan/v1, NEW vigil.scan/v2)"),
        "{run}"
    );
    let (run, diff) = diff_json(&v1, &v1, &[]);
    run.assert_code(0);
    assert!(diff["resources"].is_null(), "{diff:#}");
    assert!(
        run.stderr
            .contains("resources not compared: vigil.scan/v1 files hold no per-resource data"),
        "{run}"
    );
}

#[test]
fn the_bundled_example_saved_twice_shows_no_change() {
    let dir = TempDir::new().unwrap();
    let example = path_str(
        &PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/acme-dev.snapshot.json"),
    );
    let mut saved = Vec::new();
    for name in ["a.scan.json", "b.scan.json"] {
        let out = path_str(&dir.path().join(name));
        let run = vigil(&[
            "scan",
            "--snapshot",
            &example,
            "--now",
            NOW,
            "--format",
            "scan",
            "-o",
            &out,
        ]);
        assert!(matches!(run.code, Some(0 | 1)), "{run}");
        saved.push(out);
    }
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&saved[0]).unwrap()).unwrap();
    // Every resource of the example is in the saved scan, with its hash.
    let resources = doc["resources"].as_array().unwrap();
    assert_eq!(
        resources.len() as u64,
        doc["facts"]["resources"].as_u64().unwrap()
    );
    assert!(
        resources
            .iter()
            .all(|r| r["hash"].as_str().is_some_and(|h| h.len() == 64))
    );
    let (run, diff) = diff_json(&saved[0], &saved[1], &["--fail-on", "any"]);
    run.assert_code(0);
    assert_eq!(
        diff["summary"]["unchanged"].as_u64(),
        Some(doc["findings"].as_array().unwrap().len() as u64)
    );
}
