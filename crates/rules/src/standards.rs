//! The compliance standards rules point into, kept as data in `rules/standards/`: the
//! AWS Foundational Security Best Practices control list (`fsbp.yaml`), the CIS AWS
//! Foundations Benchmark recommendations (`cis_aws.yaml`) and, for every control or
//! recommendation no rule covers, the reason why (`coverage_reasons.yaml`). From them
//! and the rules' `compliance` fields comes the coverage page, `docs/coverage.md`.
//!
//! The lists are what an auditor checks Vigil against, so they are data with their
//! sources named in the files, not constants; the loader still validates CIS ids from
//! `mapping.rs` (a test keeps the two equal) so that a user's rule needs no files.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;

use serde::Deserialize;

use crate::load::RuleSet;
use crate::mapping::Severity;

/// One FSBP control.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FsbpControl {
    /// `S3.8`.
    pub id: String,
    /// The id's prefix, as Security Hub spells it (`S3`, `Opensearch`).
    pub service: String,
    pub severity: Severity,
    pub title: String,
}

/// `rules/standards/fsbp.yaml`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FsbpList {
    /// `AWS Foundational Security Best Practices v1.0.0`.
    pub standard: String,
    pub controls: Vec<FsbpControl>,
}

/// One CIS recommendation.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CisRecommendation {
    /// `1.4`, `2.1.1`.
    pub id: String,
    pub title: String,
}

/// One version of the CIS benchmark.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CisBenchmark {
    /// The rule field that names its recommendations: `cis_aws_v5`.
    pub field: String,
    /// `CIS AWS Foundations Benchmark v5.0.0`.
    pub name: String,
    pub recommendations: Vec<CisRecommendation>,
}

/// `rules/standards/cis_aws.yaml`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CisList {
    pub benchmarks: Vec<CisBenchmark>,
}

/// Why an FSBP control has no rule.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FsbpReasons {
    /// Per service prefix, for services whose resources Vigil does not collect.
    #[serde(default)]
    pub services: BTreeMap<String, String>,
    /// Per control, where the service is collected but the control is not observable.
    #[serde(default)]
    pub controls: BTreeMap<String, String>,
}

/// `rules/standards/coverage_reasons.yaml`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CoverageReasons {
    #[serde(default)]
    pub fsbp: FsbpReasons,
    /// Per CIS benchmark field (`cis_aws_v5`), per recommendation id.
    #[serde(default)]
    pub cis: BTreeMap<String, BTreeMap<String, String>>,
}

/// Everything in `rules/standards/`.
#[derive(Debug, Clone, PartialEq)]
pub struct Standards {
    pub fsbp: FsbpList,
    pub cis: CisList,
    pub reasons: CoverageReasons,
}

impl Standards {
    /// Reads the three files of `dir` (the repository's `rules/standards`).
    pub fn load(dir: &Path) -> Result<Standards, String> {
        fn read<T: for<'de> Deserialize<'de>>(dir: &Path, name: &str) -> Result<T, String> {
            let path = dir.join(name);
            let text = std::fs::read_to_string(&path)
                .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
            serde_saphyr::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
        }
        Ok(Standards {
            fsbp: read(dir, "fsbp.yaml")?,
            cis: read(dir, "cis_aws.yaml")?,
            reasons: read(dir, "coverage_reasons.yaml")?,
        })
    }

    /// The control, if the standard has it.
    pub fn fsbp_control(&self, id: &str) -> Option<&FsbpControl> {
        self.fsbp.controls.iter().find(|c| c.id == id)
    }

    /// The benchmark version a rule field names (`cis_aws_v4`).
    pub fn cis_benchmark(&self, field: &str) -> Option<&CisBenchmark> {
        self.cis.benchmarks.iter().find(|b| b.field == field)
    }

    /// Why no rule covers the FSBP control, if the reasons file says.
    pub fn fsbp_reason(&self, control: &FsbpControl) -> Option<&str> {
        let r = &self.reasons.fsbp;
        r.controls
            .get(&control.id)
            .or_else(|| r.services.get(&control.service))
            .map(String::as_str)
    }

    /// Why no rule covers the CIS recommendation, if the reasons file says.
    pub fn cis_reason(&self, field: &str, id: &str) -> Option<&str> {
        self.reasons
            .cis
            .get(field)
            .and_then(|m| m.get(id))
            .map(String::as_str)
    }

    /// Every inconsistency between the lists, the reasons and the rules: a rule naming
    /// a control or recommendation that does not exist, an uncovered one without a
    /// reason, a reason for one that is covered (stale), a reason for an unknown id.
    pub fn problems(&self, rules: &RuleSet) -> Vec<String> {
        let mut problems = Vec::new();
        let fsbp_ids: BTreeSet<&str> = self.fsbp.controls.iter().map(|c| c.id.as_str()).collect();
        let services: BTreeSet<&str> = self
            .fsbp
            .controls
            .iter()
            .map(|c| c.service.as_str())
            .collect();
        for c in &self.fsbp.controls {
            if c.id.split_once('.').map(|(s, _)| s) != Some(c.service.as_str()) {
                problems.push(format!(
                    "fsbp.yaml: {} is not of service {}",
                    c.id, c.service
                ));
            }
        }
        if fsbp_ids.len() != self.fsbp.controls.len() {
            problems.push("fsbp.yaml: a control is listed twice".into());
        }
        for rule in rules.rules() {
            for id in &rule.meta.compliance.fsbp {
                if !fsbp_ids.contains(id.as_str()) {
                    problems.push(format!(
                        "{}: compliance.fsbp names {id}, which is not a control of {}",
                        rule.id(),
                        self.fsbp.standard
                    ));
                }
            }
            for (field, ids) in cis_fields(&rule.meta.compliance) {
                let Some(bench) = self.cis_benchmark(field) else {
                    problems.push(format!("cis_aws.yaml: no benchmark for field {field}"));
                    continue;
                };
                for id in ids {
                    if !bench.recommendations.iter().any(|r| &r.id == id) {
                        problems.push(format!(
                            "{}: compliance.{field} names {id}, which is not a recommendation of {}",
                            rule.id(),
                            bench.name
                        ));
                    }
                }
            }
        }
        let covered = fsbp_coverage(rules);
        for c in &self.fsbp.controls {
            let by_rule = covered.contains_key(c.id.as_str());
            match (by_rule, self.fsbp_reason(c)) {
                (false, None) => problems.push(format!(
                    "coverage_reasons.yaml: FSBP {} has no rule and no reason",
                    c.id
                )),
                (true, Some(_)) if self.reasons.fsbp.controls.contains_key(&c.id) => {
                    problems.push(format!(
                        "coverage_reasons.yaml: FSBP {} is covered by a rule; remove its reason",
                        c.id
                    ))
                }
                _ => {}
            }
        }
        for id in self.reasons.fsbp.controls.keys() {
            if !fsbp_ids.contains(id.as_str()) {
                problems.push(format!("coverage_reasons.yaml: unknown FSBP control {id}"));
            }
        }
        for service in self.reasons.fsbp.services.keys() {
            if !services.contains(service.as_str()) {
                problems.push(format!(
                    "coverage_reasons.yaml: unknown FSBP service {service}"
                ));
            } else if self
                .fsbp
                .controls
                .iter()
                .filter(|c| &c.service == service)
                .any(|c| covered.contains_key(c.id.as_str()))
            {
                // A service-wide reason says the service is not collected; once a rule
                // covers one of its controls, the others need reasons of their own.
                problems.push(format!(
                    "coverage_reasons.yaml: a rule covers an FSBP {service} control; replace the service reason with reasons for the controls still uncovered"
                ));
            }
        }
        for bench in &self.cis.benchmarks {
            let covered = cis_coverage(rules, &bench.field);
            let reasons = self.reasons.cis.get(&bench.field);
            for r in &bench.recommendations {
                let reason = self.cis_reason(&bench.field, &r.id);
                match (covered.contains_key(r.id.as_str()), reason) {
                    (false, None) => problems.push(format!(
                        "coverage_reasons.yaml: {} {} has no rule and no reason",
                        bench.field, r.id
                    )),
                    (true, Some(_)) => problems.push(format!(
                        "coverage_reasons.yaml: {} {} is covered by a rule; remove its reason",
                        bench.field, r.id
                    )),
                    _ => {}
                }
            }
            for id in reasons.into_iter().flat_map(BTreeMap::keys) {
                if !bench.recommendations.iter().any(|r| &r.id == id) {
                    problems.push(format!(
                        "coverage_reasons.yaml: unknown {} recommendation {id}",
                        bench.field
                    ));
                }
            }
        }
        for field in self.reasons.cis.keys() {
            if self.cis_benchmark(field).is_none() {
                problems.push(format!("coverage_reasons.yaml: unknown benchmark {field}"));
            }
        }
        problems
    }
}

/// The CIS fields of a rule's compliance references, as (field, ids).
fn cis_fields(c: &crate::rule::Compliance) -> [(&'static str, &[String]); 3] {
    [
        ("cis_aws_v3", &c.cis_aws_v3),
        ("cis_aws_v4", &c.cis_aws_v4),
        ("cis_aws_v5", &c.cis_aws_v5),
    ]
}

/// FSBP control id → the rules naming it.
fn fsbp_coverage(rules: &RuleSet) -> BTreeMap<&str, Vec<&str>> {
    let mut out: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for rule in rules.rules() {
        for id in &rule.meta.compliance.fsbp {
            out.entry(id.as_str()).or_default().push(rule.id());
        }
    }
    out
}

/// CIS recommendation id of one benchmark field → the rules naming it.
fn cis_coverage<'a>(rules: &'a RuleSet, field: &str) -> BTreeMap<&'a str, Vec<&'a str>> {
    let mut out: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for rule in rules.rules() {
        for (f, ids) in cis_fields(&rule.meta.compliance) {
            if f == field {
                for id in ids {
                    out.entry(id.as_str()).or_default().push(rule.id());
                }
            }
        }
    }
    out
}

/// Table cell text: no pipes, no line breaks.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

fn rule_list(ids: &[&str]) -> String {
    ids.iter()
        .map(|id| format!("`{id}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `docs/coverage.md`: every FSBP control and every CIS recommendation, with the rules
/// that cover it or the reason none can.
pub fn coverage_markdown(standards: &Standards, rules: &RuleSet) -> String {
    let fsbp = fsbp_coverage(rules);
    let fsbp_total = standards.fsbp.controls.len();
    let fsbp_covered = standards
        .fsbp
        .controls
        .iter()
        .filter(|c| fsbp.contains_key(c.id.as_str()))
        .count();
    let mut out = String::new();
    out.push_str(
        "# Compliance coverage\n\n\
         Generated from `rules/standards/` (the FSBP control list, the CIS recommendations \
         and the reasons a control has no rule) and the `compliance` fields of the rules \
         under `rules/aws/`. A test keeps this page current \
         (`VIGIL_UPDATE_SCHEMAS=1 cargo nextest run -p vigil-rules` rewrites it).\n\n",
    );
    let _ = writeln!(
        out,
        "- **{}**: {fsbp_covered} of {fsbp_total} controls covered by at least one rule.",
        standards.fsbp.standard
    );
    for bench in &standards.cis.benchmarks {
        let covered = cis_coverage(rules, &bench.field);
        let n = bench
            .recommendations
            .iter()
            .filter(|r| covered.contains_key(r.id.as_str()))
            .count();
        let _ = writeln!(
            out,
            "- **{}**: {n} of {} recommendations covered.",
            bench.name,
            bench.recommendations.len()
        );
    }
    let _ = writeln!(out, "- **Rules in all**: {}.", rules.len());
    out.push_str(
        "\nA control is covered when a rule names it in `compliance`; the rule's \
         description says where it checks less or more than the control. Where no rule \
         covers one, the reason says whether the service is not collected yet, the data \
         the control needs is not collected, or no API can show it.\n\n",
    );

    let _ = writeln!(out, "## {}\n", standards.fsbp.standard);
    let mut service_order: Vec<&str> = Vec::new();
    for c in &standards.fsbp.controls {
        if !service_order.contains(&c.service.as_str()) {
            service_order.push(&c.service);
        }
    }
    for service in service_order {
        let controls: Vec<&FsbpControl> = standards
            .fsbp
            .controls
            .iter()
            .filter(|c| c.service == service)
            .collect();
        let n = controls
            .iter()
            .filter(|c| fsbp.contains_key(c.id.as_str()))
            .count();
        let _ = writeln!(out, "### {service} ({n} of {})\n", controls.len());
        out.push_str("| Control | Severity | Title | Rules, or why none |\n|---|---|---|---|\n");
        for c in controls {
            let covering = match fsbp.get(c.id.as_str()) {
                Some(ids) => rule_list(ids),
                None => format!(
                    "— {}",
                    cell(standards.fsbp_reason(c).unwrap_or("no reason given"))
                ),
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                c.id,
                c.severity,
                cell(&c.title),
                covering
            );
        }
        out.push('\n');
    }

    for bench in &standards.cis.benchmarks {
        let covered = cis_coverage(rules, &bench.field);
        let _ = writeln!(out, "## {}\n", bench.name);
        let _ = writeln!(out, "Rules name these in `compliance.{}`.\n", bench.field);
        out.push_str("| Recommendation | Title | Rules, or why none |\n|---|---|---|\n");
        for r in &bench.recommendations {
            let covering = match covered.get(r.id.as_str()) {
                Some(ids) => rule_list(ids),
                None => format!(
                    "— {}",
                    cell(
                        standards
                            .cis_reason(&bench.field, &r.id)
                            .unwrap_or("no reason given")
                    )
                ),
            };
            let _ = writeln!(out, "| {} | {} | {} |", r.id, cell(&r.title), covering);
        }
        out.push('\n');
    }
    // The page ends without a newline; whoever writes it adds one.
    while out.ends_with('\n') {
        out.pop();
    }
    out
}
