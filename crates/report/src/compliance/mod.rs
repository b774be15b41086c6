//! Compliance reports per framework: CIS AWS Foundations v3.0.0, v4.0.1 and v5.0.0, the
//! AWS Foundational Security Best Practices, the Well-Architected security pillar's
//! best practices (SEC01–SEC11), the CAF Security Perspective's components and
//! capabilities, and the epics' maturity criteria. One row per requirement, as an
//! auditor reads them.
//!
//! A requirement's status is decided by the findings of the rules that name it (any
//! failure fails it; an ERROR makes it unknown, never a pass). A requirement no rule
//! covers is either one no API can show — a CIS "Manual" recommendation, a
//! Well-Architected practice, a CAF capability — which carries its attestation state
//! (declared, or missing), or one Vigil does not collect yet, with the reason from
//! `rules/standards/coverage_reasons.yaml`.

use std::collections::{BTreeMap, HashMap};
use std::io::{self, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};
use thiserror::Error;
use vigil_rules::standards::{CisList, CoverageReasons, FsbpList};
use vigil_rules::{CafComponent, Finding, RuleFile, Standards, Status};
use vigil_score::{Attestations, CriterionResult, EvidenceKind, Outcome, Scorecard};

/// `rules/standards/waf_security_pillar.yaml`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WafPillar {
    pub standard: String,
    pub questions: Vec<WafQuestion>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WafQuestion {
    pub id: String,
    pub title: String,
    pub practices: Vec<WafPractice>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WafPractice {
    pub id: String,
    pub title: String,
}

/// The requirement lists the reports enumerate.
#[derive(Debug, Clone, PartialEq)]
pub struct Catalogue {
    pub standards: Standards,
    pub waf: WafPillar,
}

/// A requirement list that could not be read.
#[derive(Debug, Error)]
#[error("{file}: {message}")]
pub struct CatalogueError {
    pub file: String,
    pub message: String,
}

/// The files of `rules/standards/` a catalogue is made of, by name.
pub const CATALOGUE_FILES: [&str; 4] = [
    "fsbp.yaml",
    "cis_aws.yaml",
    "coverage_reasons.yaml",
    "waf_security_pillar.yaml",
];

impl Catalogue {
    /// From the texts of [`CATALOGUE_FILES`] (the binary embeds them).
    pub fn from_texts(
        text_of: impl Fn(&str) -> Option<String>,
    ) -> Result<Catalogue, CatalogueError> {
        fn parse<T: for<'de> Deserialize<'de>>(
            text_of: &impl Fn(&str) -> Option<String>,
            name: &str,
        ) -> Result<T, CatalogueError> {
            let error = |message: String| CatalogueError {
                file: format!("rules/standards/{name}"),
                message,
            };
            let text = text_of(name).ok_or_else(|| error("missing".into()))?;
            serde_saphyr::from_str(&text).map_err(|e| error(e.to_string()))
        }
        let fsbp: FsbpList = parse(&text_of, CATALOGUE_FILES[0])?;
        let cis: CisList = parse(&text_of, CATALOGUE_FILES[1])?;
        let reasons: CoverageReasons = parse(&text_of, CATALOGUE_FILES[2])?;
        let waf: WafPillar = parse(&text_of, CATALOGUE_FILES[3])?;
        Ok(Catalogue {
            standards: Standards { fsbp, cis, reasons },
            waf,
        })
    }

    /// From a directory holding [`CATALOGUE_FILES`] (the repository's `rules/standards`).
    pub fn load(dir: &Path) -> Result<Catalogue, CatalogueError> {
        Catalogue::from_texts(|name| std::fs::read_to_string(dir.join(name)).ok())
    }
}

/// Where a requirement stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequirementStatus {
    /// A rule's finding failed (unmuted), or a maturity criterion is not met.
    Fail,
    /// A finding could not be evaluated: not shown to comply.
    Unknown,
    /// Every non-passing finding is an accepted risk (muted).
    Muted,
    /// Every finding passes, or the criterion is met by observed evidence.
    Pass,
    /// The rules exist but found no resource to judge.
    NotApplicable,
    /// No API can show it, and the attestation file declares it.
    Declared,
    /// No API can show it, and the attestation file does not declare it.
    Missing,
    /// No rule covers it yet; the detail says why.
    NotCovered,
}

impl RequirementStatus {
    pub const ALL: [RequirementStatus; 8] = [
        RequirementStatus::Fail,
        RequirementStatus::Unknown,
        RequirementStatus::Muted,
        RequirementStatus::Pass,
        RequirementStatus::NotApplicable,
        RequirementStatus::Declared,
        RequirementStatus::Missing,
        RequirementStatus::NotCovered,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RequirementStatus::Fail => "fail",
            RequirementStatus::Unknown => "unknown",
            RequirementStatus::Muted => "muted",
            RequirementStatus::Pass => "pass",
            RequirementStatus::NotApplicable => "not_applicable",
            RequirementStatus::Declared => "declared",
            RequirementStatus::Missing => "missing",
            RequirementStatus::NotCovered => "not_covered",
        }
    }
}

/// One requirement's row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Requirement {
    pub id: String,
    pub title: String,
    /// The CIS section, FSBP service, WAF question, CAF component or epic.
    pub group: String,
    /// The account, for maturity criteria (judged per account).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    pub status: RequirementStatus,
    /// The rules that name it.
    pub rules: Vec<String>,
    pub pass: usize,
    pub fail: usize,
    pub error: usize,
    pub muted: usize,
    /// Resources whose finding failed, the first [`MAX_FAILING`].
    pub failing: Vec<String>,
    /// The reason, the attestation, or the criterion's evidence.
    pub detail: String,
}

/// Failing resources a requirement names; the counts say how many more.
pub const MAX_FAILING: usize = 20;

/// One framework's report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FrameworkReport {
    /// `cis_aws_v5`, `fsbp`, `waf`, `caf`, `epics`.
    pub id: String,
    pub name: String,
    /// Requirements by status.
    pub totals: BTreeMap<RequirementStatus, usize>,
    pub requirements: Vec<Requirement>,
}

/// The framework ids, in report order.
pub const FRAMEWORKS: [&str; 7] = [
    "cis_aws_v3",
    "cis_aws_v4",
    "cis_aws_v5",
    "fsbp",
    "waf",
    "caf",
    "epics",
];

/// What the reports are computed from.
#[derive(Debug, Clone, Copy)]
pub struct ComplianceInput<'a> {
    pub catalogue: &'a Catalogue,
    /// Every rule evaluated, with findings or not.
    pub rules: &'a [RuleFile],
    pub findings: &'a [Finding],
    pub scorecard: &'a Scorecard,
    pub attestations: &'a Attestations,
}

/// Every framework's report.
pub fn reports(input: &ComplianceInput<'_>) -> Vec<FrameworkReport> {
    let mut by_rule: HashMap<&str, Vec<&Finding>> = HashMap::new();
    for f in input.findings {
        by_rule.entry(f.rule.id.as_str()).or_default().push(f);
    }
    let judge = Judge {
        input,
        by_rule: &by_rule,
    };
    let mut out = Vec::new();
    let standards = &input.catalogue.standards;
    for bench in &standards.cis.benchmarks {
        let field = bench.field.as_str();
        let rows = bench
            .recommendations
            .iter()
            .map(|r| {
                let rules = rules_naming(input.rules, |rule| match field {
                    "cis_aws_v3" => rule.compliance.cis_aws_v3.contains(&r.id),
                    "cis_aws_v4" => rule.compliance.cis_aws_v4.contains(&r.id),
                    "cis_aws_v5" => rule.compliance.cis_aws_v5.contains(&r.id),
                    _ => false,
                });
                let reason = standards.cis_reason(field, &r.id);
                let uncovered = match reason {
                    Some(text) if text.starts_with("Manual") => Uncovered::Attest(text),
                    Some(text) => Uncovered::Reason(text),
                    None => Uncovered::Reason("no reason given"),
                };
                let section = r.id.split('.').next().unwrap_or(&r.id);
                judge.row(
                    (field, &r.id, &r.title, format!("Section {section}")),
                    rules,
                    uncovered,
                )
            })
            .collect();
        out.push(framework(field, &bench.name, rows));
    }
    let rows = standards
        .fsbp
        .controls
        .iter()
        .map(|c| {
            let rules = rules_naming(input.rules, |rule| rule.compliance.fsbp.contains(&c.id));
            let uncovered =
                Uncovered::Reason(standards.fsbp_reason(c).unwrap_or("no reason given"));
            judge.row(
                ("fsbp", &c.id, &c.title, c.service.clone()),
                rules,
                uncovered,
            )
        })
        .collect();
    out.push(framework("fsbp", &standards.fsbp.standard, rows));

    let waf = &input.catalogue.waf;
    let rows = waf
        .questions
        .iter()
        .flat_map(|q| q.practices.iter().map(move |p| (q, p)))
        .map(|(q, p)| {
            let rules = rules_naming(input.rules, |rule| rule.waf.practice == p.id);
            judge.row(
                ("waf", &p.id, &p.title, format!("{} {}", q.id, q.title)),
                rules,
                Uncovered::Attest("a practice no rule observes"),
            )
        })
        .collect();
    out.push(framework("waf", &waf.standard, rows));

    let rows = CafComponent::ALL
        .iter()
        .flat_map(|c| c.capabilities().iter().map(move |cap| (*c, *cap)))
        .map(|(component, capability)| {
            let rules = rules_naming(input.rules, |rule| {
                rule.caf.component == component
                    && rule.caf.capability.eq_ignore_ascii_case(capability)
            });
            judge.row(
                ("caf", capability, capability, component.as_str().to_owned()),
                rules,
                Uncovered::Attest("a capability no rule observes"),
            )
        })
        .collect();
    out.push(framework(
        "caf",
        "AWS Cloud Adoption Framework Security Perspective",
        rows,
    ));
    out.push(framework(
        "epics",
        "Security epics and key security enablers (maturity criteria)",
        maturity_rows(input.scorecard),
    ));
    out
}

fn framework(id: &str, name: &str, requirements: Vec<Requirement>) -> FrameworkReport {
    let mut totals = BTreeMap::new();
    for r in &requirements {
        *totals.entry(r.status).or_insert(0) += 1;
    }
    FrameworkReport {
        id: id.to_owned(),
        name: name.to_owned(),
        totals,
        requirements,
    }
}

fn rules_naming(rules: &[RuleFile], names: impl Fn(&RuleFile) -> bool) -> Vec<&str> {
    rules
        .iter()
        .filter(|r| names(r))
        .map(|r| r.id.as_str())
        .collect()
}

/// What a requirement no rule covers rests on.
enum Uncovered<'a> {
    /// No API can show it: the attestation decides (the text says why).
    Attest(&'a str),
    /// Not collected or not checked yet.
    Reason(&'a str),
}

struct Judge<'a> {
    input: &'a ComplianceInput<'a>,
    by_rule: &'a HashMap<&'a str, Vec<&'a Finding>>,
}

impl Judge<'_> {
    /// One row: (framework, id, title, group), the rules naming it, and what an
    /// uncovered requirement rests on.
    fn row(
        &self,
        (framework, id, title, group): (&str, &str, &str, String),
        rules: Vec<&str>,
        uncovered: Uncovered<'_>,
    ) -> Requirement {
        let mut row = Requirement {
            id: id.to_owned(),
            title: title.to_owned(),
            group,
            account: None,
            status: RequirementStatus::NotApplicable,
            rules: rules.iter().map(|r| (*r).to_owned()).collect(),
            pass: 0,
            fail: 0,
            error: 0,
            muted: 0,
            failing: Vec::new(),
            detail: String::new(),
        };
        if rules.is_empty() {
            let key = format!("{framework}:{id}");
            let declared = self.input.attestations.requirements.get(&key);
            (row.status, row.detail) = match (declared, uncovered) {
                (Some(d), _) => (
                    RequirementStatus::Declared,
                    format!(
                        "declared by {} on {}: {}{}",
                        d.by,
                        d.date,
                        d.statement.trim(),
                        d.reference
                            .as_ref()
                            .map(|r| format!(" ({r})"))
                            .unwrap_or_default()
                    ),
                ),
                (None, Uncovered::Attest(why)) => (
                    RequirementStatus::Missing,
                    format!(
                        "{why}; not declared: add `{key}` under `requirements` in the attestation file"
                    ),
                ),
                (None, Uncovered::Reason(why)) => (RequirementStatus::NotCovered, why.to_owned()),
            };
            return row;
        }
        for f in rules
            .iter()
            .flat_map(|r| self.by_rule.get(r).into_iter().flatten())
        {
            match f.status {
                Status::Pass => row.pass += 1,
                Status::Fail => {
                    row.fail += 1;
                    if row.failing.len() < MAX_FAILING {
                        row.failing.push(f.resource.id.clone());
                    }
                }
                Status::Error => row.error += 1,
                Status::Muted => row.muted += 1,
            }
        }
        row.status = if row.fail > 0 {
            RequirementStatus::Fail
        } else if row.error > 0 {
            RequirementStatus::Unknown
        } else if row.muted > 0 {
            RequirementStatus::Muted
        } else if row.pass > 0 {
            RequirementStatus::Pass
        } else {
            RequirementStatus::NotApplicable
        };
        row.detail = match row.status {
            RequirementStatus::Fail => format!("{} resource(s) fail", row.fail),
            RequirementStatus::Unknown => {
                format!("{} resource(s) could not be evaluated", row.error)
            }
            RequirementStatus::Muted => format!("{} accepted risk(s), muted", row.muted),
            RequirementStatus::Pass => format!("{} resource(s) pass", row.pass),
            _ => "the rules found no resource to judge".to_owned(),
        };
        row
    }
}

/// Every criterion of every epic level and enabler, per account.
fn maturity_rows(scorecard: &Scorecard) -> Vec<Requirement> {
    let mut rows = Vec::new();
    let row = |account: &str, id: String, group: String, c: &CriterionResult| {
        let status = match (c.outcome, c.evidence) {
            (Outcome::Met, EvidenceKind::Observed) => RequirementStatus::Pass,
            (Outcome::Met, EvidenceKind::Declared) => RequirementStatus::Declared,
            (Outcome::NotMet, EvidenceKind::Declared) => RequirementStatus::Missing,
            (Outcome::NotMet, EvidenceKind::Observed) => RequirementStatus::Fail,
            (Outcome::Unknown, _) => RequirementStatus::Unknown,
        };
        Requirement {
            id,
            title: c.description.clone(),
            group,
            account: Some(account.to_owned()),
            status,
            rules: Vec::new(),
            pass: 0,
            fail: 0,
            error: 0,
            muted: 0,
            failing: Vec::new(),
            detail: c.detail.clone(),
        }
    };
    for account in &scorecard.accounts {
        for epic in &account.epics {
            for level in &epic.levels {
                for c in &level.criteria {
                    rows.push(row(
                        &account.account,
                        format!("{}.L{}.{}", epic.epic, level.level, c.id),
                        format!("{} level {}: {}", epic.title, level.level, level.summary),
                        c,
                    ));
                }
            }
        }
        for enabler in &account.enablers {
            for (stage, criteria) in [
                ("engaged", &enabler.engaged),
                ("completed", &enabler.completed),
            ] {
                for c in criteria {
                    rows.push(row(
                        &account.account,
                        format!("{}.{stage}.{}", enabler.id, c.id),
                        format!("{} ({stage})", enabler.title),
                        c,
                    ));
                }
            }
        }
    }
    rows
}

/// The reports as one JSON document, `{"frameworks": [...]}`.
pub fn write_json(mut w: impl Write, reports: &[FrameworkReport]) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut w, &serde_json::json!({ "frameworks": reports }))?;
    w.write_all(b"\n")?;
    w.flush()
}

/// The CSV header, in column order.
pub const CSV_HEADER: [&str; 13] = [
    "framework",
    "requirement",
    "title",
    "group",
    "account",
    "status",
    "rules",
    "pass",
    "fail",
    "error",
    "muted",
    "failing_resources",
    "detail",
];

/// One row per requirement of every report given.
pub fn write_csv(w: impl Write, reports: &[FrameworkReport]) -> io::Result<()> {
    let mut writer = csv::Writer::from_writer(w);
    writer.write_record(CSV_HEADER)?;
    for report in reports {
        for r in &report.requirements {
            writer.write_record([
                report.id.as_str(),
                &r.id,
                &r.title,
                &r.group,
                r.account.as_deref().unwrap_or(""),
                r.status.as_str(),
                &r.rules.join(";"),
                &r.pass.to_string(),
                &r.fail.to_string(),
                &r.error.to_string(),
                &r.muted.to_string(),
                &r.failing.join(";"),
                &r.detail,
            ])?;
        }
    }
    writer.flush()
}

#[cfg(test)]
mod tests;
