//! The scorecard over the real rule pack and the real maturity models
//! (`rules/maturity/`): models validate, CAF/WAF areas weigh findings by severity, the
//! Logging and Monitoring epic rises level by level over crafted accounts, levels are
//! cumulative, enablers move from Unaddressed to Completed on declarations, attestation
//! files are checked, and each account is judged on its own findings.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use vigil_inventory::{GLOBAL_REGION, Gap, Inventory, Relation, Resource};
use vigil_rules::{EvalContext, Finding, ResourceRef, RuleSet, Status, evaluate};
use vigil_score::{
    AccountMaturity, AreaScore, AttestationError, Attestations, CriterionResult, ENABLERS,
    EnablerScore, EnablerStatus, EpicScore, EvidenceKind, ModelSource, Models, Outcome, Scorecard,
    score,
};

const ACCOUNT: &str = "111111111111";
const OTHER: &str = "222222222222";
const HOME: &str = "us-east-1";
const REGIONS: &[&str] = &["us-east-1", "eu-west-1"];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

struct Pack {
    rules: RuleSet,
    models: Models,
}

/// The built-in rule pack and maturity models, loaded once.
fn pack() -> &'static Pack {
    static PACK: OnceLock<Pack> = OnceLock::new();
    PACK.get_or_init(|| {
        let rules = RuleSet::load_dirs(&[root().join("rules")]).unwrap_or_else(|e| panic!("{e}"));
        let models =
            Models::from_sources(&model_sources(), &rules).unwrap_or_else(|e| panic!("{e}"));
        Pack { rules, models }
    })
}

fn model_sources() -> Vec<ModelSource> {
    Models::read_dir(&root().join("rules/maturity")).unwrap_or_else(|e| panic!("{e}"))
}

fn now() -> DateTime<Utc> {
    "2026-06-01T00:00:00Z".parse().expect("valid time")
}

// ---------------------------------------------------------------------------------------
// Inventory builders, with the properties of docs/resource-properties.md.

fn with_properties(mut resource: Resource, properties: Value) -> Resource {
    let Value::Object(map) = properties else {
        panic!("properties must be an object")
    };
    for (k, v) in map {
        resource = resource.with_property(&k, v);
    }
    resource
}

fn account_node(account: &str) -> Resource {
    with_properties(
        Resource::new(
            format!("arn:aws:iam::{account}:root"),
            "aws.account",
            account,
            GLOBAL_REGION,
        ),
        json!({"account_id": account}),
    )
}

fn region_node(account: &str, region: &str) -> Resource {
    with_properties(
        Resource::new(format!("{account}/{region}"), "aws.region", account, region),
        json!({"region": region}),
    )
}

/// An account and its scanned regions, and nothing else.
fn empty_account(account: &str) -> Vec<Resource> {
    let mut out = vec![account_node(account)];
    out.extend(REGIONS.iter().map(|r| region_node(account, r)));
    out
}

fn trail_arn(account: &str, name: &str) -> String {
    format!("arn:aws:cloudtrail:{HOME}:{account}:trail/{name}")
}

fn trail(account: &str, name: &str, multi_region: bool, bucket: &str) -> Resource {
    let arn = trail_arn(account, name);
    let mut r = with_properties(
        Resource::new(&arn, "aws.cloudtrail.trail", account, HOME),
        json!({
            "trail_arn": arn,
            "name": name,
            "home_region": HOME,
            "is_multi_region_trail": multi_region,
            "is_organization_trail": false,
            "log_file_validation_enabled": true,
            "is_logging": true,
            "latest_delivery_time": "2026-05-31T23:55:00Z",
            "s3_bucket_name": bucket,
            "kms_key_id": null,
            "cloud_watch_logs_log_group_arn": null,
            "include_management_events": true,
            "read_write_type": "All",
            "data_events": [],
        }),
    );
    r.name = Some(name.to_owned());
    r
}

fn bucket_arn(name: &str) -> String {
    format!("arn:aws:s3:::{name}")
}

/// A private log bucket with server access logging.
fn log_bucket(account: &str, name: &str, trail: &str) -> Resource {
    let mut r = with_properties(
        Resource::new(bucket_arn(name), "aws.s3.bucket", account, HOME),
        json!({
            "bucket_region": HOME,
            "creation_date": "2025-01-01T00:00:00Z",
            "encryption": {"sse_algorithm": "AES256", "kms_master_key_id": null, "bucket_key_enabled": false},
            "public_access_block": {"block_public_acls": true, "ignore_public_acls": true, "block_public_policy": true, "restrict_public_buckets": true},
            "policy": {
                "Version": "2012-10-17",
                "Statement": [{
                    "Sid": "AWSCloudTrailWrite",
                    "Effect": "Allow",
                    "Principal": {"Service": "cloudtrail.amazonaws.com"},
                    "Action": "s3:PutObject",
                    "Resource": format!("arn:aws:s3:::{name}/AWSLogs/{account}/*"),
                    "Condition": {"StringEquals": {"aws:SourceArn": trail}},
                }],
            },
            "policy_is_public": false,
            "acl_grants": [{"grantee_type": "CanonicalUser", "grantee_uri": null, "grantee_id": "owner", "permission": "FULL_CONTROL"}],
            "versioning": {"status": "Enabled", "mfa_delete": null},
            "logging": {"target_bucket": format!("{name}-access"), "target_prefix": format!("{name}/")},
            "ownership_controls": "BucketOwnerEnforced",
            "object_lock": null,
            "lifecycle_rules": [],
            "replication_rules": [],
        }),
    );
    r.name = Some(name.to_owned());
    r
}

fn recorder(account: &str, region: &str) -> Resource {
    with_properties(
        Resource::new(
            format!("arn:aws:config:{region}:{account}:config-recorder/default"),
            "aws.config.recorder",
            account,
            region,
        ),
        json!({
            "name": "default",
            "recording": true,
            "all_supported": true,
            "include_global_resource_types": region == HOME,
            "last_status": "SUCCESS",
            "role_arn": format!("arn:aws:iam::{account}:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig"),
        }),
    )
}

/// An account that meets Logging and Monitoring level 2: a logging multi-region trail
/// with log-file validation, delivering to a private bucket with access logging, and
/// Config recording in every scanned region.
fn level_two_account(account: &str) -> (Vec<Resource>, Vec<Relation>) {
    let bucket = format!("audit-logs-{account}");
    let arn = trail_arn(account, "management-events");
    let mut resources = empty_account(account);
    resources.push(trail(account, "management-events", true, &bucket));
    resources.push(log_bucket(account, &bucket, &arn));
    resources.extend(REGIONS.iter().map(|r| recorder(account, r)));
    let relations = vec![Relation::new(&arn, "delivers_to", bucket_arn(&bucket))];
    (resources, relations)
}

fn trail_gap(account: &str, region: &str) -> Gap {
    Gap {
        service: "cloudtrail".into(),
        operation: "DescribeTrails".into(),
        account: account.into(),
        region: region.into(),
        resource_types: vec!["aws.cloudtrail.trail".into()],
        resource: None,
        error_code: "AccessDenied".into(),
        message: String::new(),
    }
}

// ---------------------------------------------------------------------------------------
// Running the pipeline.

fn run(
    resources: Vec<Resource>,
    relations: Vec<Relation>,
    gaps: Vec<Gap>,
    attestations: &Attestations,
) -> Scorecard {
    let pack = pack();
    let inventory = Inventory::new(resources, relations, gaps).expect("valid inventory");
    let ctx = EvalContext::new(Arc::new(inventory), now());
    let (findings, _) = evaluate(&pack.rules, &ctx);
    score(&findings, &ctx, &pack.models, attestations)
}

fn none() -> Attestations {
    Attestations::default()
}

/// An attestation file declaring these keys, parsed and checked against the models.
fn declare(keys: &[&str]) -> Attestations {
    let mut text = String::from("declarations:\n");
    for key in keys {
        text.push_str(&format!(
            "  {key}:\n    statement: \"{key} is in place\"\n    by: security-team@example.com\n    date: 2026-04-01\n"
        ));
    }
    Attestations::parse(&text, "test-attestations.yaml", &pack().models)
        .unwrap_or_else(|e| panic!("{e}"))
}

fn account<'a>(card: &'a Scorecard, id: &str) -> &'a AccountMaturity {
    card.accounts
        .iter()
        .find(|a| a.account == id)
        .unwrap_or_else(|| panic!("no account {id} in the scorecard"))
}

fn epic<'a>(card: &'a Scorecard, account_id: &str, epic_id: &str) -> &'a EpicScore {
    account(card, account_id)
        .epics
        .iter()
        .find(|e| e.epic == epic_id)
        .unwrap_or_else(|| panic!("no epic {epic_id}"))
}

fn logging(card: &Scorecard) -> &EpicScore {
    epic(card, ACCOUNT, "logging_and_monitoring")
}

fn criterion<'a>(epic: &'a EpicScore, id: &str) -> &'a CriterionResult {
    epic.levels
        .iter()
        .flat_map(|l| &l.criteria)
        .find(|c| c.id == id)
        .unwrap_or_else(|| panic!("no criterion {id} in {}", epic.epic))
}

fn enabler<'a>(card: &'a Scorecard, id: &str) -> &'a EnablerScore {
    account(card, ACCOUNT)
        .enablers
        .iter()
        .find(|e| e.id == id)
        .unwrap_or_else(|| panic!("no enabler {id}"))
}

// ---------------------------------------------------------------------------------------
// 1. Models.

#[test]
fn real_models_load_with_levels_one_two_three_for_every_epic_and_all_seven_enablers() {
    let pack = pack();
    let card = run(empty_account(ACCOUNT), vec![], vec![], &none());
    let acct = account(&card, ACCOUNT);
    let epics: Vec<&str> = acct.epics.iter().map(|e| e.epic.as_str()).collect();
    let expected: Vec<&str> = vigil_rules::Epic::ALL.iter().map(|e| e.id()).collect();
    assert_eq!(epics, expected, "every epic once, in Epic::ALL order");
    for e in &acct.epics {
        let levels: Vec<u8> = e.levels.iter().map(|l| l.level).collect();
        assert_eq!(levels, [1, 2, 3], "{}", e.epic);
        for l in &e.levels {
            assert!(!l.criteria.is_empty(), "{} level {}", e.epic, l.level);
        }
    }
    let enablers: Vec<&str> = acct.enablers.iter().map(|e| e.id.as_str()).collect();
    let expected: Vec<&str> = ENABLERS.iter().map(|(id, _)| *id).collect();
    assert_eq!(enablers, expected);

    let keys: Vec<&str> = pack.models.declaration_keys().collect();
    for key in [
        "logging.approach_defined",
        "logging.siem_integration",
        "enabler.cloud_security_strategy.drafted",
        "enabler.incident_response_simulation.held",
    ] {
        assert!(
            keys.contains(&key),
            "declaration key {key} missing: {keys:?}"
        );
    }
    let described = vigil_score::maturity_markdown(&pack.models, &pack.rules);
    assert!(
        described.contains("## Logging and Monitoring"),
        "{described}"
    );
    assert!(
        described.contains("declared only: `logging.approach_defined` in the attestation file"),
        "{described}"
    );
}

#[test]
fn model_problems_are_all_reported_at_once() {
    let pack = pack();
    let mut sources: Vec<ModelSource> = model_sources()
        .into_iter()
        // A missing epic.
        .filter(|s| !s.path.ends_with("security_big_data.yaml"))
        .collect();
    let edit = |sources: &mut Vec<ModelSource>, file: &str, from: &str, to: &str| {
        let s = sources
            .iter_mut()
            .find(|s| s.path.ends_with(file))
            .unwrap_or_else(|| panic!("no {file}"));
        assert!(s.text.contains(from), "{file} does not contain {from:?}");
        s.text = s.text.replacen(from, to, 1);
    };
    // A criterion naming an unknown rule.
    edit(
        &mut sources,
        "logging_and_monitoring.yaml",
        "rules_pass: [cloudtrail_multi_region_enabled, cloudtrail_log_file_validation_enabled]",
        "rules_pass: [cloudtrail_multi_region_enabled, cloudtrail_no_such_rule]",
    );
    // A criterion with two tests.
    edit(
        &mut sources,
        "dev_sec_ops.yaml",
        "declared: devsecops.posture_scan_in_ci",
        "declared: devsecops.posture_scan_in_ci\n        rules_pass: [lambda_function_supported_runtime]",
    );
    // Levels out of order: 2, 1, 3.
    edit(&mut sources, "resilience.yaml", "- level: 1", "- level: X");
    edit(&mut sources, "resilience.yaml", "- level: 2", "- level: 1");
    edit(&mut sources, "resilience.yaml", "- level: X", "- level: 2");
    // An unknown enabler (which also leaves a known one without a model).
    edit(
        &mut sources,
        "enablers.yaml",
        "id: playbooks_and_runbooks",
        "id: playbooks_and_drills",
    );

    let errors = Models::from_sources(&sources, &pack.rules).expect_err("broken models load");
    let text = errors.to_string();
    let has = |file: &str, message: &str| {
        errors
            .0
            .iter()
            .any(|e| e.file.ends_with(file) && e.message.contains(message))
    };
    assert!(
        has(
            "logging_and_monitoring.yaml",
            "criterion `logging.multi_region_trail` names unknown rule `cloudtrail_no_such_rule`"
        ),
        "{text}"
    );
    assert!(
        has(
            "dev_sec_ops.yaml",
            "criterion `devsecops.scans_in_pipeline` must have exactly one of"
        ),
        "{text}"
    );
    assert!(has("dev_sec_ops.yaml", "(has 2)"), "{text}");
    assert!(
        has("rules/maturity", "no model for epic `security_big_data`"),
        "{text}"
    );
    assert!(
        has(
            "resilience.yaml",
            "levels must be 1, 2 and 3 in order, found [2, 1, 3]"
        ),
        "{text}"
    );
    assert!(
        has("enablers.yaml", "unknown enabler `playbooks_and_drills`"),
        "{text}"
    );
    assert!(
        has(
            "enablers.yaml",
            "no model for enabler `playbooks_and_runbooks`"
        ),
        "{text}"
    );
    assert_eq!(errors.0.len(), 6, "exactly the six problems: {text}");
    assert!(
        text.starts_with("6 problem(s) in maturity models:"),
        "{text}"
    );
}

#[test]
fn model_with_a_fact_that_does_not_compile_is_rejected() {
    let pack = pack();
    let mut sources = model_sources();
    let s = sources
        .iter_mut()
        .find(|s| s.path.ends_with("logging_and_monitoring.yaml"))
        .expect("logging model");
    s.text = s.text.replacen(
        "fact: resources(resource, \"aws.cloudtrail.trail\").size() > 0",
        "fact: resources(resource, \"aws.cloudtrail.trail\").size() >",
        1,
    );
    let errors = Models::from_sources(&sources, &pack.rules).expect_err("bad fact loads");
    assert_eq!(errors.0.len(), 1, "{errors}");
    assert!(
        errors.0[0]
            .message
            .starts_with("criterion `logging.some_trail` fact:"),
        "{errors}"
    );
}

// ---------------------------------------------------------------------------------------
// 2. CAF components and WAF areas.

/// A hand-made finding of a real rule, with the given status.
fn finding(rule_id: &str, resource: &str, account: &str, status: Status) -> Finding {
    let rule = pack()
        .rules
        .get(rule_id)
        .unwrap_or_else(|| panic!("no rule {rule_id}"));
    Finding {
        rule: Arc::new(rule.meta.clone()),
        resource: Arc::new(ResourceRef {
            id: resource.into(),
            resource_type: rule.meta.resource.clone(),
            account: account.into(),
            region: HOME.into(),
            name: None,
            tags: Default::default(),
        }),
        status,
        reason: None,
        muted_status: (status == Status::Muted).then_some(Status::Fail),
        evidence: Default::default(),
    }
}

fn score_findings(findings: &[Finding]) -> Scorecard {
    let inventory = Inventory::new(empty_account(ACCOUNT), vec![], vec![]).expect("inventory");
    let ctx = EvalContext::new(Arc::new(inventory), now());
    score(findings, &ctx, &pack().models, &none())
}

fn caf<'a>(card: &'a Scorecard, name: &str) -> &'a AreaScore {
    card.caf_components
        .iter()
        .find(|a| a.name == name)
        .unwrap_or_else(|| panic!("no CAF component {name}"))
}

fn waf<'a>(card: &'a Scorecard, name: &str) -> &'a AreaScore {
    card.waf_areas
        .iter()
        .find(|a| a.name == name)
        .unwrap_or_else(|| panic!("no WAF area {name}"))
}

// Both rules are Detective / Detective: one critical, one low.
const CRITICAL: &str = "config_recorder_enabled_all_regions";
const LOW: &str = "cloudtrail_log_file_validation_enabled";

#[test]
fn area_scores_weigh_a_critical_failure_more_than_a_low_one() {
    let pack = pack();
    assert_eq!(
        pack.rules.get(CRITICAL).unwrap().meta.severity,
        vigil_rules::Severity::Critical
    );
    assert_eq!(
        pack.rules.get(LOW).unwrap().meta.severity,
        vigil_rules::Severity::Low
    );

    let critical_fails = score_findings(&[
        finding(CRITICAL, "r1", ACCOUNT, Status::Fail),
        finding(LOW, "t1", ACCOUNT, Status::Pass),
    ]);
    let low_fails = score_findings(&[
        finding(CRITICAL, "r1", ACCOUNT, Status::Pass),
        finding(LOW, "t1", ACCOUNT, Status::Fail),
    ]);
    for (card, passed, expected) in [(&critical_fails, 1, 6.3), (&low_fails, 15, 93.8)] {
        for area in [caf(card, "Detective"), waf(card, "Detective Controls")] {
            assert_eq!(area.weighted_passed, passed, "{area:?}");
            assert_eq!(area.weighted_total, 16, "{area:?}");
            assert_eq!(area.score, Some(expected), "{area:?}");
            assert_eq!(area.counts.pass, 1);
            assert_eq!(area.counts.fail, 1);
        }
    }
    assert!(
        caf(&critical_fails, "Detective").score.unwrap()
            < caf(&low_fails, "Detective").score.unwrap()
    );
    // Areas without findings are not scored.
    assert_eq!(caf(&critical_fails, "Responsive").score, None);
    assert_eq!(caf(&critical_fails, "Responsive").counts.total(), 0);
    assert_eq!(
        waf(&critical_fails, "Identity and Access Management").score,
        None
    );
}

#[test]
fn area_scores_count_error_and_muted_findings_without_scoring_them() {
    let card = score_findings(&[
        finding(CRITICAL, "r1", ACCOUNT, Status::Pass),
        finding(LOW, "t1", ACCOUNT, Status::Fail),
        finding(CRITICAL, "r2", ACCOUNT, Status::Error),
        finding(CRITICAL, "r3", ACCOUNT, Status::Muted),
        finding(LOW, "t2", ACCOUNT, Status::Error),
    ]);
    let area = caf(&card, "Detective");
    assert_eq!(area.counts.pass, 1);
    assert_eq!(area.counts.fail, 1);
    assert_eq!(area.counts.error, 2);
    assert_eq!(area.counts.muted, 1);
    assert_eq!(area.counts.total(), 5);
    // Only the PASS (15) and the FAIL (1) are weighed: errors are not passes.
    assert_eq!(area.weighted_passed, 15);
    assert_eq!(area.weighted_total, 16);
    assert_eq!(area.score, Some(93.8));
}

#[test]
fn area_score_is_none_when_only_errors_and_muted_findings_exist() {
    let card = score_findings(&[
        finding(CRITICAL, "r1", ACCOUNT, Status::Error),
        finding(LOW, "t1", ACCOUNT, Status::Muted),
    ]);
    for area in [caf(&card, "Detective"), waf(&card, "Detective Controls")] {
        assert_eq!(area.counts.error, 1, "{area:?}");
        assert_eq!(area.counts.muted, 1, "{area:?}");
        assert_eq!(area.weighted_total, 0, "{area:?}");
        assert_eq!(area.score, None, "{area:?}");
    }
}

#[test]
fn area_scores_follow_each_rules_own_caf_component_and_waf_area() {
    // cloudtrail_bucket_not_public is Preventive / Data, not Detective.
    let card = score_findings(&[
        finding("cloudtrail_bucket_not_public", "t1", ACCOUNT, Status::Fail),
        finding(LOW, "t1", ACCOUNT, Status::Pass),
    ]);
    assert_eq!(caf(&card, "Preventive").score, Some(0.0));
    assert_eq!(waf(&card, "Data Protection").score, Some(0.0));
    assert_eq!(caf(&card, "Detective").score, Some(100.0));
    assert_eq!(waf(&card, "Detective Controls").score, Some(100.0));
}

// ---------------------------------------------------------------------------------------
// 3. Logging and Monitoring over crafted accounts.

#[test]
fn empty_account_is_logging_level_zero_with_a_next_step_to_level_one() {
    let card = run(empty_account(ACCOUNT), vec![], vec![], &none());
    let e = logging(&card);
    assert_eq!(e.level, 0);
    assert!(!e.rests_on_declarations);
    assert!(e.levels.iter().all(|l| !l.met), "{e:#?}");
    let c = criterion(e, "logging.approach");
    assert_eq!(c.outcome, Outcome::NotMet, "{c:?}");
    let next = e.next_step.as_deref().expect("a next step");
    assert!(
        next.starts_with("for level 1 (addressed in architecture and plans): "),
        "{next}"
    );
    assert!(
        next.contains("a logging approach is declared, or some logging exists"),
        "{next}"
    );
}

#[test]
fn declared_logging_approach_gives_level_one_resting_on_a_declaration() {
    let card = run(
        empty_account(ACCOUNT),
        vec![],
        vec![],
        &declare(&["logging.approach_defined"]),
    );
    let e = logging(&card);
    assert_eq!(e.level, 1, "{e:#?}");
    assert!(e.rests_on_declarations);
    let c = criterion(e, "logging.approach");
    assert_eq!(c.outcome, Outcome::Met);
    assert_eq!(c.evidence, EvidenceKind::Declared);
    assert!(
        c.detail
            .contains("declared by security-team@example.com on 2026-04-01"),
        "{c:?}"
    );
    let next = e.next_step.as_deref().expect("a next step");
    assert!(
        next.starts_with("for level 2 (minimal viable implementation): "),
        "{next}"
    );
    assert!(
        next.contains("a multi-region CloudTrail trail is logging"),
        "{next}"
    );
}

#[test]
fn single_region_trail_gives_level_one_observed_not_declared() {
    let bucket = "audit-logs";
    let mut resources = empty_account(ACCOUNT);
    resources.push(trail(ACCOUNT, "regional", false, bucket));
    let card = run(resources, vec![], vec![], &none());
    let e = logging(&card);
    assert_eq!(e.level, 1, "{e:#?}");
    assert!(!e.rests_on_declarations);
    let c = criterion(e, "logging.approach");
    assert_eq!(c.outcome, Outcome::Met);
    assert_eq!(c.evidence, EvidenceKind::Observed);
    assert_eq!(
        criterion(e, "logging.multi_region_trail").outcome,
        Outcome::NotMet
    );
    assert!(!e.levels[1].met);
}

#[test]
fn multi_region_trail_config_everywhere_and_private_logged_bucket_give_level_two() {
    let (resources, relations) = level_two_account(ACCOUNT);
    let card = run(resources, relations, vec![], &none());
    let e = logging(&card);
    for id in [
        "logging.approach",
        "logging.multi_region_trail",
        "logging.config_everywhere",
        "logging.centralised",
    ] {
        let c = criterion(e, id);
        assert_eq!(c.outcome, Outcome::Met, "{c:?}");
        assert_eq!(c.evidence, EvidenceKind::Observed, "{c:?}");
    }
    assert_eq!(e.level, 2, "{e:#?}");
    assert!(!e.rests_on_declarations);
    let next = e.next_step.as_deref().expect("level 3 is next");
    assert!(
        next.starts_with("for level 3 (enterprise-ready production implementation): "),
        "{next}"
    );
    assert!(
        next.contains("findings leave the account for a SIEM"),
        "{next}"
    );
}

#[test]
fn each_level_two_ingredient_is_needed_for_level_two() {
    type Spoil = fn(&mut Vec<Resource>);
    let spoilers: [(&str, &str, Spoil); 4] = [
        (
            "no log-file validation",
            "logging.multi_region_trail",
            |rs| {
                let t = rs
                    .iter_mut()
                    .find(|r| r.resource_type == "aws.cloudtrail.trail")
                    .unwrap();
                *t = t
                    .clone()
                    .with_property("log_file_validation_enabled", json!(false));
            },
        ),
        (
            "Config missing in one region",
            "logging.config_everywhere",
            |rs| {
                rs.retain(|r| {
                    !(r.resource_type == "aws.config.recorder" && r.region == "eu-west-1")
                })
            },
        ),
        (
            "log bucket without access logging",
            "logging.centralised",
            |rs| {
                let b = rs
                    .iter_mut()
                    .find(|r| r.resource_type == "aws.s3.bucket")
                    .unwrap();
                *b = b.clone().with_property("logging", Value::Null);
            },
        ),
        ("public log bucket policy", "logging.centralised", |rs| {
            let b = rs
                .iter_mut()
                .find(|r| r.resource_type == "aws.s3.bucket")
                .unwrap();
            *b = b.clone().with_property("policy_is_public", json!(true));
        }),
    ];
    for (what, criterion_id, spoil) in spoilers {
        let (mut resources, relations) = level_two_account(ACCOUNT);
        spoil(&mut resources);
        let card = run(resources, relations, vec![], &none());
        let e = logging(&card);
        assert_eq!(e.level, 1, "{what}: {e:#?}");
        let c = criterion(e, criterion_id);
        assert_eq!(c.outcome, Outcome::NotMet, "{what}: {c:?}");
        let next = e.next_step.as_deref().unwrap();
        assert!(next.contains(&c.description), "{what}: {next}");
    }
}

#[test]
fn trail_type_gap_makes_trail_criteria_unknown_and_the_level_does_not_rise() {
    let (resources, relations) = level_two_account(ACCOUNT);
    let card = run(
        resources,
        relations,
        vec![trail_gap(ACCOUNT, "eu-west-1")],
        &none(),
    );
    let e = logging(&card);
    for id in ["logging.multi_region_trail", "logging.centralised"] {
        let c = criterion(e, id);
        assert_eq!(c.outcome, Outcome::Unknown, "{c:?}");
        assert!(c.detail.contains("could not evaluate"), "{c:?}");
    }
    // Config is still seen.
    assert_eq!(
        criterion(e, "logging.config_everywhere").outcome,
        Outcome::Met
    );
    // Level 1 still holds: the Config recorders are seen, and CEL's `||` lets a true
    // side absorb the error of the trail side.
    assert_eq!(criterion(e, "logging.approach").outcome, Outcome::Met);
    assert_eq!(e.level, 1, "{e:#?}");
    assert!(!e.levels[1].met);
    let next = e.next_step.as_deref().unwrap();
    assert!(next.contains("could not be seen"), "{next}");
}

#[test]
fn trail_gap_in_an_otherwise_empty_account_leaves_level_one_unknown() {
    let card = run(
        empty_account(ACCOUNT),
        vec![],
        vec![trail_gap(ACCOUNT, HOME)],
        &none(),
    );
    let e = logging(&card);
    assert_eq!(e.level, 0);
    let c = criterion(e, "logging.approach");
    assert_eq!(c.outcome, Outcome::Unknown, "{c:?}");
    assert!(
        c.detail
            .contains("aws.cloudtrail.trail was not fully collected"),
        "{c:?}"
    );
    // A declaration still counts: the gap hides evidence, it does not veto a declaration.
    let card = run(
        empty_account(ACCOUNT),
        vec![],
        vec![trail_gap(ACCOUNT, HOME)],
        &declare(&["logging.approach_defined"]),
    );
    assert_eq!(logging(&card).level, 1);
}

#[test]
fn trail_gap_does_not_hide_an_observed_config_recorder_for_level_one() {
    let mut resources = empty_account(ACCOUNT);
    resources.push(recorder(ACCOUNT, HOME));
    let card = run(
        resources,
        vec![],
        vec![trail_gap(ACCOUNT, "eu-west-1")],
        &none(),
    );
    let e = logging(&card);
    let c = criterion(e, "logging.approach");
    assert_eq!(c.outcome, Outcome::Met, "{c:?}");
    assert_eq!(e.level, 1);
}

#[test]
fn observed_evidence_is_preferred_over_a_declaration_when_both_hold() {
    let mut resources = empty_account(ACCOUNT);
    resources.push(trail(ACCOUNT, "regional", false, "audit-logs"));
    let card = run(
        resources,
        vec![],
        vec![],
        &declare(&["logging.approach_defined"]),
    );
    let e = logging(&card);
    assert_eq!(e.level, 1);
    assert_eq!(
        criterion(e, "logging.approach").evidence,
        EvidenceKind::Observed
    );
    assert!(!e.rests_on_declarations, "{e:#?}");
}

#[test]
fn a_definite_failure_makes_a_rules_pass_criterion_not_met_even_beside_an_error() {
    // Two trails, one without log-file validation (FAIL); trails in eu-west-1 could not
    // be listed (ERROR). Every finding must pass, and one does not: NotMet, not Unknown.
    let mut resources = empty_account(ACCOUNT);
    resources.push(
        trail(ACCOUNT, "unvalidated", true, "audit-logs")
            .with_property("log_file_validation_enabled", json!(false)),
    );
    let card = run(
        resources,
        vec![],
        vec![trail_gap(ACCOUNT, "eu-west-1")],
        &none(),
    );
    let c = criterion(logging(&card), "logging.multi_region_trail");
    assert!(c.detail.contains("fails on"), "{c:?}");
    assert_eq!(c.outcome, Outcome::NotMet, "{c:?}");
}

// ---------------------------------------------------------------------------------------
// 4. Levels are cumulative.

#[test]
fn level_three_declared_without_level_one_stays_level_zero() {
    // DevSecOps: level 1 and level 3 are declarations; declare only level 3.
    let card = run(
        empty_account(ACCOUNT),
        vec![],
        vec![],
        &declare(&["devsecops.deploy_only_by_pipeline"]),
    );
    let e = epic(&card, ACCOUNT, "dev_sec_ops");
    assert!(e.levels[2].met, "{e:#?}");
    assert!(!e.levels[0].met);
    assert_eq!(e.level, 0);
    assert!(
        !e.rests_on_declarations,
        "no level was reached, so nothing rests on a declaration"
    );
    assert!(
        e.next_step.as_deref().unwrap().starts_with("for level 1 "),
        "{e:#?}"
    );
}

#[test]
fn a_gap_in_level_two_caps_the_level_even_when_level_three_holds() {
    // DevSecOps: levels 1 and 3 declared, level 2's pipeline scan not declared.
    let card = run(
        empty_account(ACCOUNT),
        vec![],
        vec![],
        &declare(&[
            "devsecops.pipeline_designed",
            "devsecops.deploy_only_by_pipeline",
        ]),
    );
    let e = epic(&card, ACCOUNT, "dev_sec_ops");
    assert!(
        e.levels[0].met && !e.levels[1].met && e.levels[2].met,
        "{e:#?}"
    );
    assert_eq!(e.level, 1);
    assert!(e.rests_on_declarations);
    let next = e.next_step.as_deref().unwrap();
    assert!(next.starts_with("for level 2 "), "{next}");
    assert!(
        next.contains("infrastructure changes are scanned in the pipeline"),
        "{next}"
    );
    // The runtime criterion holds by observation: the account runs no Lambda function.
    assert!(
        !next.contains("functions run on supported runtimes"),
        "{next}"
    );
}

#[test]
fn observed_level_two_without_declared_level_one_is_level_zero() {
    // Compliance Validation: level 2 is observed (Config, Security Hub and a
    // conformance pack in every region), which also meets level 1 by observation.
    let (mut resources, relations) = level_two_account(ACCOUNT);
    for region in REGIONS {
        resources.push(with_properties(
            Resource::new(
                format!("arn:aws:securityhub:{region}:{ACCOUNT}:hub/default"),
                "aws.securityhub.hub",
                ACCOUNT,
                *region,
            ),
            json!({
                "hub_arn": format!("arn:aws:securityhub:{region}:{ACCOUNT}:hub/default"),
                "subscribed_at": "2025-01-01T00:00:00Z",
                "auto_enable_controls": true,
                "standards": [],
            }),
        ));
        let pack =
            format!("arn:aws:config:{region}:{ACCOUNT}:conformance-pack/cis/conformance-pack-abc");
        resources.push(with_properties(
            Resource::new(&pack, "aws.config.conformance_pack", ACCOUNT, *region),
            json!({"arn": pack, "name": "cis", "created_by": null, "compliance": "NON_COMPLIANT"}),
        ));
    }
    let card = run(resources, relations, vec![], &none());
    let e = epic(&card, ACCOUNT, "compliance_validation");
    assert_eq!(e.level, 2, "{e:#?}");
    assert!(!e.rests_on_declarations, "{e:#?}");
    let packs = criterion(e, "compliance.packs_compliant");
    assert_eq!(packs.outcome, Outcome::NotMet, "{packs:#?}");

    // DevSecOps in an account with no build projects, repositories or functions:
    // level 2 holds on the declared posture scan, level 1 still needs the pipeline's
    // design to be declared, and levels are cumulative.
    let card = run(
        empty_account(ACCOUNT),
        vec![],
        vec![],
        &declare(&["devsecops.posture_scan_in_ci"]),
    );
    let e = epic(&card, ACCOUNT, "dev_sec_ops");
    assert!(e.levels[1].met, "{e:#?}");
    assert!(!e.levels[0].met);
    assert_eq!(e.level, 0);

    let card = run(
        empty_account(ACCOUNT),
        vec![],
        vec![],
        &declare(&[
            "devsecops.posture_scan_in_ci",
            "devsecops.pipeline_designed",
        ]),
    );
    let e = epic(&card, ACCOUNT, "dev_sec_ops");
    assert_eq!(e.level, 2, "{e:#?}");
    assert!(e.rests_on_declarations, "level 1 rests on a declaration");
}

// 5-7. Enablers, attestations and multi-account: in `enablers.rs`.
mod enablers;
