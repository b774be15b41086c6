use std::sync::Arc;

use serde_json::json;
use vigil_inventory::Resource;
use vigil_rules::{Finding, ResourceRef, RuleFile, Severity, Status};
use vigil_score::{AccountMaturity, ClassificationCoverage, EpicScore, Scorecard};

use super::*;
use crate::coverage::AccountCoverage;
use crate::saved::{SAVED_SCAN_FORMAT, SAVED_SCAN_FORMAT_V1, SavedScan, ScanFacts};
use crate::test_support::{finding, rule, scan};

const ACCOUNT: &str = "123456789012";
const OTHER: &str = "210987654321";
const BUCKET: &str = "arn:aws:s3:::logs-bucket";

fn bucket(id: &str, account: &str) -> Resource {
    Resource::new(id, "aws.s3.bucket", account, "eu-west-1")
}

/// `status` of the test rule on the bucket `id` in `account`.
fn on(status: Status, id: &str, account: &str) -> Finding {
    let mut f = finding(status);
    let mut r: ResourceRef = (*f.resource).clone();
    r.id = id.to_owned();
    r.account = account.to_owned();
    f.resource = Arc::new(r);
    f
}

fn card(levels: &[(&str, u8)]) -> Scorecard {
    Scorecard {
        caf_components: Vec::new(),
        waf_areas: Vec::new(),
        accounts: vec![AccountMaturity {
            account: ACCOUNT.into(),
            data_classification: ClassificationCoverage::default(),
            epics: levels
                .iter()
                .map(|(epic, level)| EpicScore {
                    epic: (*epic).into(),
                    title: format!("Epic {epic}"),
                    level: *level,
                    levels: Vec::new(),
                    rests_on_declarations: false,
                    next_step: None,
                })
                .collect(),
            enablers: Vec::new(),
        }],
    }
}

/// A saved scan of `accounts` holding these findings and resources, evaluating `rules`.
fn saved(
    id: &str,
    accounts: &[&str],
    rules: Vec<RuleFile>,
    findings: &[Finding],
    resources: &[Resource],
) -> SavedScan {
    SavedScan::new(
        scan(id),
        ScanFacts {
            accounts: accounts.iter().map(|a| (*a).to_owned()).collect(),
            ..ScanFacts::default()
        },
        card(&[]),
        vigil_score::Attestations::default(),
        rules,
        findings,
        Some(resources.iter().map(SavedResource::from_resource).collect()),
    )
}

fn one(id: &str, status: Status, resources: &[Resource]) -> SavedScan {
    saved(
        id,
        &[ACCOUNT],
        vec![rule()],
        &[on(status, BUCKET, ACCOUNT)],
        resources,
    )
}

fn uids(list: &[FindingDelta]) -> Vec<&str> {
    list.iter().map(|d| d.resource.as_str()).collect()
}

#[test]
fn findings_are_matched_by_uid() {
    let other = "arn:aws:s3:::other-bucket";
    let resources = [bucket(BUCKET, ACCOUNT), bucket(other, ACCOUNT)];
    let old = saved(
        "a",
        &[ACCOUNT],
        vec![rule()],
        &[on(Status::Fail, BUCKET, ACCOUNT)],
        &resources,
    );
    let new = saved(
        "b",
        &[ACCOUNT],
        vec![rule()],
        &[
            on(Status::Fail, BUCKET, ACCOUNT),
            on(Status::Fail, other, ACCOUNT),
        ],
        &resources,
    );
    let diff = ScanDiff::new(&old, &new).unwrap();
    // The same rule on the same resource is the same finding, still failing.
    assert_eq!(diff.summary.unchanged, 1);
    assert_eq!(uids(&diff.findings.new), vec![other]);
    assert_eq!(
        diff.findings.new[0].uid,
        format!("vigil:s3_bucket_secure_transport_required:{other}")
    );
    assert!(diff.findings.resolved.is_empty() && diff.findings.changed.is_empty());
    assert_eq!(diff.new_failures(None), 1);
    assert_eq!(diff.new_failures(Some(Severity::Critical)), 0);
    assert!(diff.has_changes());
    assert!(!ScanDiff::new(&old, &old).unwrap().has_changes());
}

#[test]
fn a_passing_finding_that_fails_is_new_and_one_that_passes_is_resolved() {
    let resources = [bucket(BUCKET, ACCOUNT)];
    let pass = one("a", Status::Pass, &resources);
    let fail = one("b", Status::Fail, &resources);
    let regressed = ScanDiff::new(&pass, &fail).unwrap();
    assert_eq!(uids(&regressed.findings.new), vec![BUCKET]);
    assert_eq!(
        regressed.findings.new[0].old.as_ref().unwrap().status,
        Status::Pass
    );
    // The evidence that decided is carried along.
    assert_eq!(
        regressed.findings.new[0].evidence[0].path,
        "/properties/policy.denies_insecure_transport"
    );
    let fixed = ScanDiff::new(&fail, &pass).unwrap();
    assert_eq!(uids(&fixed.findings.resolved), vec![BUCKET]);
    assert_eq!(fixed.findings.resolved[0].why.as_deref(), Some("passing"));
    assert_eq!(fixed.new_failures(None), 0);
}

#[test]
fn a_failure_whose_resource_is_gone_is_resolved() {
    let old = one("a", Status::Fail, &[bucket(BUCKET, ACCOUNT)]);
    let new = saved("b", &[ACCOUNT], vec![rule()], &[], &[]);
    let diff = ScanDiff::new(&old, &new).unwrap();
    assert_eq!(uids(&diff.findings.resolved), vec![BUCKET]);
    assert_eq!(
        diff.findings.resolved[0].why.as_deref(),
        Some("resource removed")
    );
    let removed = &diff.resources.as_ref().unwrap().removed;
    assert_eq!(removed[0].id, BUCKET);
}

#[test]
fn a_rule_the_new_scan_did_not_evaluate_is_not_evaluated_not_resolved() {
    let old = one("a", Status::Fail, &[bucket(BUCKET, ACCOUNT)]);
    // The new scan ran without the rule, and the bucket is gone as well: still not
    // judged.
    let new = saved("b", &[ACCOUNT], Vec::new(), &[], &[]);
    let diff = ScanDiff::new(&old, &new).unwrap();
    assert!(diff.findings.resolved.is_empty(), "{:#?}", diff.findings);
    assert_eq!(uids(&diff.findings.not_evaluated), vec![BUCKET]);
    let why = diff.findings.not_evaluated[0].why.as_deref().unwrap();
    assert!(
        why.contains("did not evaluate rule `s3_bucket_secure_transport_required`"),
        "{why}"
    );
}

#[test]
fn a_finding_the_new_scan_could_not_see_is_not_evaluated() {
    let resources = [bucket(BUCKET, ACCOUNT)];
    let old = one("a", Status::Fail, &resources);
    // S3 excluded from the new scan: the bucket is absent, but nobody looked.
    let mut excluded = saved("b", &[ACCOUNT], vec![rule()], &[], &[]);
    excluded.facts.coverage = vec![AccountCoverage {
        account: ACCOUNT.into(),
        collected: vec!["iam".into()],
        excluded: vec!["s3".into()],
        failed: Vec::new(),
    }];
    let diff = ScanDiff::new(&old, &excluded).unwrap();
    assert!(diff.findings.resolved.is_empty());
    assert!(
        diff.findings.not_evaluated[0]
            .why
            .as_deref()
            .unwrap()
            .contains("excluded s3"),
        "{:?}",
        diff.findings.not_evaluated
    );
    let r = diff.resources.as_ref().unwrap();
    assert!(r.removed.is_empty());
    assert_eq!(r.not_seen[0].id, BUCKET);

    // S3 failed in the bucket's region.
    let mut failed = excluded.clone();
    failed.facts.coverage[0].excluded.clear();
    failed.facts.coverage[0].failed = vec!["s3 in eu-west-1: AccessDenied (1 gap)".into()];
    let diff = ScanDiff::new(&old, &failed).unwrap();
    assert_eq!(diff.summary.not_evaluated, 1);
    assert_eq!(diff.summary.resolved, 0);

    // The bucket still there, the rule evaluated, but no finding on it.
    let silent = saved("c", &[ACCOUNT], vec![rule()], &[], &resources);
    let diff = ScanDiff::new(&old, &silent).unwrap();
    assert_eq!(diff.summary.not_evaluated, 1);
    assert_eq!(diff.summary.resolved, 0);
}

#[test]
fn status_severity_and_evidence_changes_are_changes() {
    let resources = [bucket(BUCKET, ACCOUNT)];
    let old = one("a", Status::Fail, &resources);

    let error = one("b", Status::Error, &resources);
    let diff = ScanDiff::new(&old, &error).unwrap();
    // FAIL → ERROR: the new scan could not decide; neither resolved nor new.
    assert_eq!(uids(&diff.findings.changed), vec![BUCKET]);
    assert!(
        diff.findings.changed[0]
            .aspects
            .contains(&"status".to_owned())
    );
    assert_eq!(diff.summary.resolved, 0);

    let mut critical = rule();
    critical.severity = Severity::Critical;
    let mut f = on(Status::Fail, BUCKET, ACCOUNT);
    f.evidence
        .insert_property("policy.statement_count", json!(3));
    let worse = saved("c", &[ACCOUNT], vec![critical], &[f], &resources);
    let diff = ScanDiff::new(&old, &worse).unwrap();
    let d = &diff.findings.changed[0];
    assert_eq!(d.aspects, vec!["severity", "evidence"]);
    assert_eq!(d.severity, Severity::Critical);
    assert_eq!(d.old.as_ref().unwrap().severity, Severity::High);
    assert_eq!(d.evidence[0].path, "/properties/policy.statement_count");
    assert_eq!(d.evidence[0].new, Some(json!(3)));
}

#[test]
fn resources_added_removed_and_modified_with_paths_and_no_secrets() {
    let kept = bucket(BUCKET, ACCOUNT)
        .with_property("versioning", json!({"status": "Suspended"}))
        .with_property("db_password", json!("hunter2"));
    let gone = bucket("arn:aws:s3:::gone", ACCOUNT);
    let mut changed = kept
        .clone()
        .with_property("versioning", json!({"status": "Enabled"}))
        .with_property("db_password", json!("swordfish"));
    changed.tags.insert("owner".into(), "data".into());
    let added = bucket("arn:aws:s3:::added", ACCOUNT);
    let old = saved("a", &[ACCOUNT], vec![rule()], &[], &[kept, gone]);
    let new = saved("b", &[ACCOUNT], vec![rule()], &[], &[changed, added]);
    let diff = ScanDiff::new(&old, &new).unwrap();
    let r = diff.resources.as_ref().unwrap();
    assert_eq!(r.added[0].id, "arn:aws:s3:::added");
    assert_eq!(r.removed[0].id, "arn:aws:s3:::gone");
    let paths: Vec<&str> = r.modified[0]
        .fields
        .iter()
        .map(|f| f.path.as_str())
        .collect();
    assert_eq!(
        paths,
        vec![
            "/properties/db_password",
            "/properties/versioning/status",
            "/tags"
        ]
    );
    assert_eq!(r.modified[0].fields[1].old, Some(json!("Suspended")));
    let text = format!(
        "{}{}",
        serde_json::to_string(&diff).unwrap(),
        render::render(&diff, 50)
    );
    assert!(
        !text.contains("hunter2") && !text.contains("swordfish"),
        "{text}"
    );
    assert!(text.contains(json::MASKED), "{text}");
    assert_eq!(
        (
            diff.summary.resources_added,
            diff.summary.resources_removed,
            diff.summary.resources_modified
        ),
        (1, 1, 1)
    );
}

#[test]
fn only_common_accounts_are_compared_and_the_others_are_named() {
    let old = saved(
        "a",
        &[ACCOUNT, OTHER],
        vec![rule()],
        &[
            on(Status::Fail, BUCKET, ACCOUNT),
            on(Status::Fail, "arn:aws:s3:::o", OTHER),
        ],
        &[bucket(BUCKET, ACCOUNT), bucket("arn:aws:s3:::o", OTHER)],
    );
    let new = one("b", Status::Fail, &[bucket(BUCKET, ACCOUNT)]);
    let diff = ScanDiff::new(&old, &new).unwrap();
    assert_eq!(diff.accounts.common, vec![ACCOUNT]);
    assert_eq!(diff.accounts.only_old, vec![OTHER]);
    // The other account's failure is not resolved and its bucket not removed.
    assert_eq!(diff.summary.resolved + diff.summary.not_evaluated, 0);
    assert!(diff.resources.as_ref().unwrap().removed.is_empty());
    assert!(
        diff.notes[0].contains(&format!("only in OLD, not compared: {OTHER}")),
        "{:?}",
        diff.notes
    );

    let elsewhere = saved("c", &[OTHER], vec![rule()], &[], &[]);
    let error = ScanDiff::new(&new, &elsewhere).unwrap_err().to_string();
    assert!(error.contains("no account in common"), "{error}");
}

#[test]
fn different_formats_are_refused_and_version_1_compares_findings_only() {
    let resources = [bucket(BUCKET, ACCOUNT)];
    let mut old = one("a", Status::Fail, &resources);
    let new = one("b", Status::Pass, &resources);
    old.format = SAVED_SCAN_FORMAT_V1.into();
    old.resources = None;
    let error = ScanDiff::new(&old, &new).unwrap_err().to_string();
    assert!(
        error.contains(SAVED_SCAN_FORMAT_V1) && error.contains(SAVED_SCAN_FORMAT),
        "{error}"
    );

    let mut new_v1 = new.clone();
    new_v1.format = SAVED_SCAN_FORMAT_V1.into();
    new_v1.resources = None;
    let diff = ScanDiff::new(&old, &new_v1).unwrap();
    assert!(diff.resources.is_none());
    assert!(
        diff.notes[0].contains("resources not compared"),
        "{:?}",
        diff.notes
    );
    assert_eq!(uids(&diff.findings.resolved), vec![BUCKET]);
}

#[test]
fn epic_levels_that_moved_are_listed() {
    let mut old = one("a", Status::Pass, &[]);
    let mut new = old.clone();
    old.scorecard = card(&[("logging_and_monitoring", 1), ("incident_response", 2)]);
    new.scorecard = card(&[("logging_and_monitoring", 2), ("incident_response", 2)]);
    let diff = ScanDiff::new(&old, &new).unwrap();
    assert_eq!(
        diff.scores.epics,
        vec![LevelChange {
            account: ACCOUNT.into(),
            epic: "logging_and_monitoring".into(),
            title: "Epic logging_and_monitoring".into(),
            old: Some(1),
            new: Some(2),
        }]
    );
    let text = render::render(&diff, 50);
    assert!(text.contains("Epic maturity (1)"), "{text}");
    assert!(diff.has_changes());
}

#[test]
fn the_table_names_each_kind_of_change_and_cuts_long_lists() {
    let many: Vec<Finding> = (0..5)
        .map(|i| on(Status::Fail, &format!("arn:aws:s3:::b{i}"), ACCOUNT))
        .collect();
    let old = saved("a", &[ACCOUNT], vec![rule()], &[], &[]);
    let new = saved("b", &[ACCOUNT], vec![rule()], &many, &[]);
    let diff = ScanDiff::new(&old, &new).unwrap();
    let text = render::render(&diff, 2);
    assert!(text.contains("New failures (5)"), "{text}");
    assert!(text.contains("… and 3 more"), "{text}");
    assert!(text.contains("findings: 5 new, 0 resolved"), "{text}");
}

/// The committed schema must match the types; regenerate with
/// `VIGIL_UPDATE_SCHEMAS=1 cargo nextest run -p vigil-report`.
#[test]
fn committed_schema_is_current_and_a_diff_validates_against_it() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/schemas/diff.schema.json"
    );
    let current = diff_schema();
    if std::env::var_os("VIGIL_UPDATE_SCHEMAS").is_some() {
        std::fs::write(path, &current).unwrap();
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == current,
        "docs/schemas/diff.schema.json is stale: run with VIGIL_UPDATE_SCHEMAS=1"
    );
    let schema: serde_json::Value = serde_json::from_str(&committed).unwrap();
    let validator = jsonschema::options().build(&schema).unwrap();
    let old = one("a", Status::Fail, &[bucket(BUCKET, ACCOUNT)]);
    let new = saved("b", &[ACCOUNT], Vec::new(), &[], &[]);
    let diff = serde_json::to_value(ScanDiff::new(&old, &new).unwrap()).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&diff)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
}
