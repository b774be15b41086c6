//! Read-only, provably: the IAM actions the collectors' source passes to `ctx.call`,
//! `ctx.list` and `ctx.detail` are exactly those the published policy grants, every one
//! is a Describe/List/Get (or the report generation IAM needs), and the committed
//! `deploy/iam-policy.json` is current.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use vigil_collect::SINK_ACTIONS;
use vigil_collect::policy::{all_actions, is_read_only, policy_document, sink_policy_document};

fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// String literals shaped like IAM actions (`service:Operation`) in a source file.
fn action_literals(text: &str) -> BTreeSet<String> {
    text.split('"')
        .skip(1)
        .step_by(2)
        .filter(|s| {
            s.split_once(':').is_some_and(|(service, op)| {
                !service.is_empty()
                    && service
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                    && op.starts_with(|c: char| c.is_ascii_uppercase())
                    && op.chars().all(|c| c.is_ascii_alphanumeric())
            })
        })
        .map(str::to_owned)
        .collect()
}

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The Security Hub sink's calls: writes, with their own credentials and policy.
const SINK_FILE: &str = "sink_securityhub.rs";

/// The committed copy of a generated policy (a path under the repository) is `current`;
/// `VIGIL_UPDATE_SCHEMAS=1` rewrites it first.
fn assert_committed(relative: &str, current: &str) {
    let path = crate_dir().join("../..").join(relative);
    if std::env::var_os("VIGIL_UPDATE_SCHEMAS").is_some() {
        std::fs::write(&path, current).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == current,
        "{relative} is stale: run with VIGIL_UPDATE_SCHEMAS=1"
    );
}

/// Actions that need no IAM permission: every principal may ask who it is.
const NO_PERMISSION_NEEDED: &[&str] = &["sts:GetCallerIdentity"];

#[test]
fn the_policy_holds_exactly_the_actions_the_source_calls() {
    let mut files = Vec::new();
    sources(&crate_dir().join("src"), &mut files);
    let mut called = BTreeSet::new();
    for file in files
        .iter()
        .filter(|f| !f.ends_with("policy.rs") && !f.ends_with(SINK_FILE))
    {
        called.extend(action_literals(&std::fs::read_to_string(file).unwrap()));
    }
    let granted: BTreeSet<String> = all_actions().into_iter().map(str::to_owned).collect();
    let needed: BTreeSet<String> = called
        .iter()
        .filter(|a| !NO_PERMISSION_NEEDED.contains(&a.as_str()))
        .cloned()
        .collect();
    let missing: Vec<_> = needed.difference(&granted).collect();
    let unused: Vec<_> = granted.difference(&needed).collect();
    assert!(
        missing.is_empty(),
        "called but not in the policy: {missing:?}"
    );
    assert!(
        unused.is_empty(),
        "in the policy but never called: {unused:?}"
    );
}

#[test]
fn every_action_is_read_only() {
    let writes: Vec<&str> = all_actions()
        .into_iter()
        .filter(|a| !is_read_only(a))
        .collect();
    assert!(writes.is_empty(), "not read-only: {writes:?}");
    assert!(is_read_only("iam:GenerateCredentialReport"));
    assert!(!is_read_only("s3:PutBucketPolicy"));
    assert!(!is_read_only("ec2:CreateSecurityGroup"));
}

/// Regenerate with `VIGIL_UPDATE_SCHEMAS=1 cargo nextest run -p vigil-collect`.
#[test]
fn the_published_policy_is_current() {
    assert_committed("deploy/iam-policy.json", &policy_document());
}

#[test]
fn the_literal_scanner_finds_actions_and_ignores_other_strings() {
    let found = action_literals(
        r#"ctx.list("s3:ListAllMyBuckets", &["aws.s3.bucket"], x); let u = "https://a:b"; "access-analyzer:ListAnalyzers""#,
    );
    assert_eq!(
        found.into_iter().collect::<Vec<_>>(),
        vec!["access-analyzer:ListAnalyzers", "s3:ListAllMyBuckets"]
    );
}

/// The sink's file calls exactly the actions of its own policy, none of which is in
/// the scanner's; its committed policy is current. Regenerate with
/// `VIGIL_UPDATE_SCHEMAS=1`.
#[test]
fn the_security_hub_sink_has_its_own_policy_and_the_scanner_none_of_it() {
    let text = std::fs::read_to_string(crate_dir().join("src").join(SINK_FILE)).unwrap();
    let called = action_literals(&text);
    let granted: BTreeSet<String> = SINK_ACTIONS.iter().map(|a| (*a).to_owned()).collect();
    assert_eq!(called, granted);
    assert!(
        SINK_ACTIONS.iter().any(|a| !is_read_only(a)),
        "the sink writes"
    );
    let scanner = all_actions();
    assert!(SINK_ACTIONS.iter().all(|a| !scanner.contains(a)));
    assert!(!policy_document().contains("BatchImportFindings"));

    assert_committed(
        "deploy/aws/securityhub-sink-policy.json",
        &sink_policy_document(),
    );
}
