//! Rule fixtures: every rule has a `<id>.test.yaml` beside it with cases that must
//! fail and cases that must pass. `vigil rules test` and the workspace test suite run
//! them all; a rule without both kinds of case fails.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use vigil_inventory::{Gap, Inventory, Relation, Resource, Scope};

use crate::eval::evaluate_where;
use crate::expr::EvalContext;
use crate::finding::Status;
use crate::load::RuleSet;
use crate::rule::Rule;

/// The account fixtures use unless they say otherwise.
pub const FIXTURE_ACCOUNT: &str = "123456789012";
/// The region regional fixtures use unless they say otherwise.
pub const FIXTURE_REGION: &str = "us-east-1";
/// The scan time fixtures run at, so that `days_since` is reproducible.
pub const FIXTURE_NOW: &str = "2026-06-01T00:00:00Z";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FixtureFile {
    cases: Vec<Case>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    expect: Expect,
    #[serde(default)]
    now: Option<DateTime<Utc>>,
    #[serde(default)]
    resources: Vec<FixtureResource>,
    #[serde(default)]
    relations: Vec<Relation>,
    #[serde(default)]
    gaps: Vec<Gap>,
    /// Settings for this case, over the defaults (`{allowed_regions: [eu-west-1]}`).
    #[serde(default)]
    settings: serde_json::Map<String, serde_json::Value>,
}

/// Either one status for every finding of the rule, or a status per resource id.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Expect {
    All(String),
    Each(BTreeMap<String, String>),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FixtureResource {
    #[serde(rename = "type")]
    resource_type: String,
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    account: Option<String>,
    #[serde(default)]
    region: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    tags: BTreeMap<String, String>,
    #[serde(default)]
    properties: serde_json::Map<String, serde_json::Value>,
}

/// The outcome of one fixture case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseResult {
    pub rule: String,
    pub case: String,
    pub passed: bool,
    /// What went wrong, when it did not pass.
    pub message: String,
}

/// The outcome of running fixtures.
#[derive(Debug, Default)]
pub struct FixtureReport {
    pub cases: Vec<CaseResult>,
    /// Rules whose fixtures are missing, unreadable, or lack a FAIL or a PASS case.
    pub problems: Vec<String>,
}

impl FixtureReport {
    pub fn passed(&self) -> usize {
        self.cases.iter().filter(|c| c.passed).count()
    }

    pub fn failed(&self) -> usize {
        self.cases.len() - self.passed()
    }

    pub fn ok(&self) -> bool {
        self.failed() == 0 && self.problems.is_empty()
    }
}

/// Runs the fixtures of every rule in the set.
pub fn run_fixtures(rules: &RuleSet) -> FixtureReport {
    let mut report = FixtureReport::default();
    for rule in rules.rules() {
        run_rule(rules, rule, &mut report);
    }
    report
}

fn run_rule(rules: &RuleSet, rule: &Rule, report: &mut FixtureReport) {
    let id = rule.id();
    let Some(source) = &rule.fixtures else {
        report.problems.push(format!(
            "{id}: no fixture file {}",
            crate::load::fixture_path(&rule.source).display()
        ));
        return;
    };
    let file: FixtureFile = match serde_saphyr::from_str(&source.text) {
        Ok(file) => file,
        Err(e) => {
            let line = e
                .location()
                .map(|l| format!(":{}", l.line()))
                .unwrap_or_default();
            report.problems.push(format!(
                "{id}: {}{line}: {}",
                source.path.display(),
                e.to_string().lines().next().unwrap_or("")
            ));
            return;
        }
    };
    let mut expected = Vec::new();
    for case in &file.cases {
        match &case.expect {
            Expect::All(s) => expected.push(s.to_ascii_uppercase()),
            Expect::Each(map) => expected.extend(map.values().map(|s| s.to_ascii_uppercase())),
        }
    }
    for needed in ["FAIL", "PASS"] {
        if !expected.iter().any(|s| s == needed) {
            report.problems.push(format!(
                "{id}: {} has no case expecting {needed}",
                source.path.display()
            ));
        }
    }
    for case in file.cases {
        let name = case.name.clone();
        let (passed, message) = match run_case(rules, rule, case) {
            Ok(()) => (true, String::new()),
            Err(message) => (false, message),
        };
        report.cases.push(CaseResult {
            rule: id.to_owned(),
            case: name,
            passed,
            message,
        });
    }
}

fn run_case(rules: &RuleSet, rule: &Rule, case: Case) -> Result<(), String> {
    let mut counters: BTreeMap<String, usize> = BTreeMap::new();
    let resources: Vec<Resource> = case
        .resources
        .into_iter()
        .map(|r| {
            let scope = vigil_inventory::resource_type(&r.resource_type).map(|t| t.scope);
            let n = counters.entry(r.resource_type.clone()).or_default();
            *n += 1;
            let id =
                r.id.unwrap_or_else(|| format!("fixture:{}:{n}", r.resource_type));
            Resource {
                id,
                region: r.region.unwrap_or_else(|| match scope {
                    Some(Scope::Global) => vigil_inventory::GLOBAL_REGION.to_owned(),
                    _ => FIXTURE_REGION.to_owned(),
                }),
                account: r.account.unwrap_or_else(|| FIXTURE_ACCOUNT.to_owned()),
                resource_type: r.resource_type,
                name: r.name,
                tags: r.tags,
                properties: serde_json::Value::Object(r.properties).into(),
            }
        })
        .collect();
    let inventory =
        Inventory::new(resources, case.relations, case.gaps).map_err(|e| e.to_string())?;
    let now = case
        .now
        .unwrap_or_else(|| FIXTURE_NOW.parse().expect("fixture time parses"));
    let settings = crate::Settings::default().merged(&case.settings)?;
    settings.validate().map_err(|e| e.to_string())?;
    let ctx = EvalContext::with_settings(Arc::new(inventory), now, &settings);
    let (findings, _) = evaluate_where(rules, &ctx, |r| r.id() == rule.id());
    #[cfg(test)]
    crate::eval::fast_path::same_as_plain(rules, rule, &ctx, &findings)?;
    let describe = |f: &crate::finding::Finding| match &f.reason {
        Some(reason) => format!("{} ({reason})", f.status),
        None => f.status.to_string(),
    };
    match case.expect {
        Expect::All(want) => {
            let want = Status::parse(&want).ok_or_else(|| format!("unknown status `{want}`"))?;
            if findings.is_empty() {
                return Err(format!("expected {want} but the rule made no finding"));
            }
            let wrong: Vec<String> = findings
                .iter()
                .filter(|f| f.status != want)
                .map(|f| format!("{}: {}", f.resource.id, describe(f)))
                .collect();
            if !wrong.is_empty() {
                return Err(format!("expected {want}, got {}", wrong.join("; ")));
            }
        }
        Expect::Each(map) => {
            for (resource, want) in map {
                // `NONE`: the rule must leave this resource unjudged (not applicable, or
                // not decidable and so neither PASS nor FAIL).
                if want == "NONE" {
                    if let Some(f) = findings.iter().find(|f| f.resource.id == resource) {
                        return Err(format!(
                            "expected no finding for {resource}, got {}",
                            describe(f)
                        ));
                    }
                    continue;
                }
                let want =
                    Status::parse(&want).ok_or_else(|| format!("unknown status `{want}`"))?;
                match findings.iter().find(|f| f.resource.id == resource) {
                    None => {
                        return Err(format!(
                            "expected {want} for {resource}, but it has no finding"
                        ));
                    }
                    Some(f) if f.status != want => {
                        return Err(format!(
                            "expected {want} for {resource}, got {}",
                            describe(f)
                        ));
                    }
                    Some(_) => {}
                }
            }
        }
    }
    Ok(())
}
