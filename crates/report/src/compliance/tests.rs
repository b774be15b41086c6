use std::path::Path;

use chrono::NaiveDate;
use vigil_score::{AccountMaturity, ClassificationCoverage, Declaration, EpicScore, LevelResult};

use super::*;
use crate::test_support::{finding, muted, rule};

fn catalogue() -> Catalogue {
    Catalogue::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rules/standards"))
        .unwrap_or_else(|e| panic!("{e}"))
}

fn empty_card() -> Scorecard {
    Scorecard {
        caf_components: Vec::new(),
        waf_areas: Vec::new(),
        accounts: Vec::new(),
    }
}

fn run(
    findings: &[Finding],
    attestations: &Attestations,
    card: &Scorecard,
) -> Vec<FrameworkReport> {
    let catalogue = catalogue();
    let mut unused = rule();
    unused.id = "unused_rule".into();
    unused.compliance.fsbp = vec!["S3.8".into()];
    unused.compliance.cis_aws_v5.clear();
    unused.waf.practice = "SEC03-BP07".into();
    reports(&ComplianceInput {
        catalogue: &catalogue,
        rules: &[rule(), unused],
        findings,
        scorecard: card,
        attestations,
    })
}

fn find<'a>(reports: &'a [FrameworkReport], framework: &str, id: &str) -> &'a Requirement {
    reports
        .iter()
        .find(|r| r.id == framework)
        .unwrap_or_else(|| panic!("no framework {framework}"))
        .requirements
        .iter()
        .find(|r| r.id == id)
        .unwrap_or_else(|| panic!("no requirement {framework} {id}"))
}

#[test]
fn every_framework_has_a_row_per_requirement() {
    let reports = run(&[], &Attestations::default(), &empty_card());
    let ids: Vec<&str> = reports.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, FRAMEWORKS);
    let count = |id: &str| {
        reports
            .iter()
            .find(|r| r.id == id)
            .unwrap()
            .requirements
            .len()
    };
    assert_eq!(count("waf"), 63, "SEC01-BP01 .. SEC11-BP08");
    assert_eq!(count("caf"), 19, "the capabilities of the four components");
    let catalogue = catalogue();
    assert_eq!(count("fsbp"), catalogue.standards.fsbp.controls.len());
    assert_eq!(
        count("cis_aws_v5"),
        catalogue
            .standards
            .cis_benchmark("cis_aws_v5")
            .unwrap()
            .recommendations
            .len()
    );
    for r in &reports {
        assert_eq!(
            r.totals.values().sum::<usize>(),
            r.requirements.len(),
            "{}",
            r.id
        );
    }
}

#[test]
fn a_requirement_takes_the_worst_status_of_its_rules_findings() {
    let fail = run(
        &[finding(Status::Pass), finding(Status::Fail)],
        &Attestations::default(),
        &empty_card(),
    );
    let row = find(&fail, "cis_aws_v5", "2.1.1");
    assert_eq!(row.status, RequirementStatus::Fail);
    assert_eq!((row.pass, row.fail), (1, 1));
    assert_eq!(row.failing, vec!["arn:aws:s3:::logs-bucket"]);
    assert_eq!(row.rules, vec!["s3_bucket_secure_transport_required"]);
    assert_eq!(find(&fail, "fsbp", "S3.5").status, RequirementStatus::Fail);
    assert_eq!(
        find(&fail, "waf", "SEC09-BP02").status,
        RequirementStatus::Fail
    );
    assert_eq!(
        find(&fail, "caf", "Data protection").status,
        RequirementStatus::Fail
    );

    let unknown = run(
        &[finding(Status::Pass), finding(Status::Error)],
        &Attestations::default(),
        &empty_card(),
    );
    assert_eq!(
        find(&unknown, "cis_aws_v5", "2.1.1").status,
        RequirementStatus::Unknown
    );
    let accepted = run(
        &[finding(Status::Pass), muted(Status::Fail)],
        &Attestations::default(),
        &empty_card(),
    );
    assert_eq!(
        find(&accepted, "cis_aws_v5", "2.1.1").status,
        RequirementStatus::Muted
    );
    let pass = run(
        &[finding(Status::Pass)],
        &Attestations::default(),
        &empty_card(),
    );
    assert_eq!(
        find(&pass, "cis_aws_v5", "2.1.1").status,
        RequirementStatus::Pass
    );
    // A rule that names the control but found nothing to judge.
    assert_eq!(
        find(&pass, "fsbp", "S3.8").status,
        RequirementStatus::NotApplicable
    );
    assert_eq!(
        find(&pass, "waf", "SEC03-BP07").status,
        RequirementStatus::NotApplicable
    );
}

#[test]
fn what_no_api_shows_is_declared_or_missing_and_the_rest_says_why_not_covered() {
    let reports = run(&[], &Attestations::default(), &empty_card());
    let manual = find(&reports, "cis_aws_v5", "1.1");
    assert_eq!(manual.status, RequirementStatus::Missing);
    assert!(
        manual.detail.contains("`cis_aws_v5:1.1`"),
        "{}",
        manual.detail
    );
    assert_eq!(
        find(&reports, "waf", "SEC10-BP02").status,
        RequirementStatus::Missing
    );
    let uncollected = find(&reports, "fsbp", "S3.6");
    assert_eq!(uncollected.status, RequirementStatus::NotCovered);
    assert!(
        uncollected.detail.contains("statement-by-statement"),
        "{}",
        uncollected.detail
    );

    let mut attestations = Attestations::default();
    attestations.requirements.insert(
        "cis_aws_v5:1.1".into(),
        Declaration {
            statement: "Contacts are reviewed every quarter".into(),
            by: "secops".into(),
            date: NaiveDate::from_ymd_opt(2026, 4, 1).unwrap(),
            reference: Some("TICKET-9".into()),
        },
    );
    let reports = run(&[], &attestations, &empty_card());
    let declared = find(&reports, "cis_aws_v5", "1.1");
    assert_eq!(declared.status, RequirementStatus::Declared);
    assert_eq!(
        declared.detail,
        "declared by secops on 2026-04-01: Contacts are reviewed every quarter (TICKET-9)"
    );
    // Declared for v5 only: v4's 1.1 is still missing.
    assert_eq!(
        find(&reports, "cis_aws_v4", "1.1").status,
        RequirementStatus::Missing
    );
}

#[test]
fn maturity_criteria_are_rows_per_account_with_their_evidence() {
    let criterion = |id: &str, outcome, evidence| CriterionResult {
        id: id.into(),
        description: format!("{id} holds"),
        outcome,
        evidence,
        detail: format!("{id} detail"),
        evidence_account: None,
    };
    let card = Scorecard {
        caf_components: Vec::new(),
        waf_areas: Vec::new(),
        accounts: vec![AccountMaturity {
            account: "111122223333".into(),
            data_classification: ClassificationCoverage::default(),
            epics: vec![EpicScore {
                epic: "logging_and_monitoring".into(),
                title: "Logging and Monitoring".into(),
                level: 1,
                levels: vec![LevelResult {
                    level: 1,
                    summary: "addressed".into(),
                    met: true,
                    criteria: vec![
                        criterion("plan", Outcome::Met, EvidenceKind::Declared),
                        criterion("trail", Outcome::Met, EvidenceKind::Observed),
                        criterion("siem", Outcome::NotMet, EvidenceKind::Declared),
                        criterion("alarms", Outcome::NotMet, EvidenceKind::Observed),
                        criterion("config", Outcome::Unknown, EvidenceKind::Observed),
                    ],
                }],
                rests_on_declarations: true,
                next_step: None,
            }],
            enablers: Vec::new(),
        }],
    };
    let reports = run(&[], &Attestations::default(), &card);
    let status = |id: &str| find(&reports, "epics", id).status;
    assert_eq!(
        status("logging_and_monitoring.L1.plan"),
        RequirementStatus::Declared
    );
    assert_eq!(
        status("logging_and_monitoring.L1.trail"),
        RequirementStatus::Pass
    );
    assert_eq!(
        status("logging_and_monitoring.L1.siem"),
        RequirementStatus::Missing
    );
    assert_eq!(
        status("logging_and_monitoring.L1.alarms"),
        RequirementStatus::Fail
    );
    assert_eq!(
        status("logging_and_monitoring.L1.config"),
        RequirementStatus::Unknown
    );
    let row = find(&reports, "epics", "logging_and_monitoring.L1.plan");
    assert_eq!(row.account.as_deref(), Some("111122223333"));
    assert_eq!(row.group, "Logging and Monitoring level 1: addressed");
}

#[test]
fn csv_and_json_hold_every_row() {
    let reports = run(
        &[finding(Status::Fail)],
        &Attestations::default(),
        &empty_card(),
    );
    let rows: usize = reports.iter().map(|r| r.requirements.len()).sum();
    let mut out = Vec::new();
    write_csv(&mut out, &reports).unwrap();
    let mut reader = csv::Reader::from_reader(out.as_slice());
    assert_eq!(
        reader.headers().unwrap().iter().collect::<Vec<_>>(),
        CSV_HEADER
    );
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), rows);
    let failing = records
        .iter()
        .find(|r| &r[0] == "cis_aws_v3" && &r[1] == "2.1.1")
        .unwrap();
    assert_eq!(&failing[5], "fail");
    assert_eq!(&failing[11], "arn:aws:s3:::logs-bucket");

    let mut out = Vec::new();
    write_json(&mut out, &reports).unwrap();
    let parsed: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let back: Vec<FrameworkReport> = serde_json::from_value(parsed["frameworks"].clone()).unwrap();
    assert_eq!(back, reports);
    assert_eq!(parsed["frameworks"][2]["totals"]["fail"], 1);
}
