//! Maturity models as data (`rules/maturity/*.yaml`): for each epic, the criteria
//! each level requires; for each key security enabler, the criteria for Engaged and
//! Completed. Criteria rest on rule results, inventory facts (CEL over the account), or
//! declarations in the attestation file.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use thiserror::Error;
use vigil_rules::{Epic, Expr, RuleSet};

/// One epic's maturity model as written.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EpicModel {
    pub epic: Epic,
    /// Level 1 ("addressed in architecture and plans"), 2 ("minimal viable
    /// implementation") and 3 ("enterprise-ready production implementation").
    pub levels: Vec<LevelSpec>,
}

/// What one level requires.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LevelSpec {
    pub level: u8,
    /// The level in the team's words, after the whitepaper's Appendix A example.
    pub summary: String,
    pub criteria: Vec<Criterion>,
}

/// One criterion: a description and exactly one test.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Criterion {
    pub id: String,
    pub description: String,
    /// Every finding of each rule in the account passes (and there is at least one).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules_pass: Vec<String>,
    /// At least one finding of any of these rules in the account passes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub any_rule_passes: Vec<String>,
    /// A CEL expression over the account's `aws.account` resource.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fact: Option<String>,
    /// A key of the attestation file: evidence a team declares because no API shows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub declared: Option<String>,
    /// Alternatives: the criterion holds when any of them holds.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub any_of: Vec<Criterion>,
}

/// The key security enablers as written (`rules/maturity/enablers.yaml`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnablersFile {
    pub enablers: Vec<EnablerModel>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnablerModel {
    pub id: String,
    pub title: String,
    pub engaged: Vec<Criterion>,
    pub completed: Vec<Criterion>,
}

/// The seven key security enablers of Appendix A, by id.
pub const ENABLERS: &[(&str, &str)] = &[
    ("cloud_security_strategy", "Cloud Security Strategy"),
    (
        "stakeholder_communication_plan",
        "Stakeholder Communication Plan",
    ),
    ("security_cartography", "Security Cartography"),
    (
        "shared_responsibility_model",
        "Document Shared Responsibility Model",
    ),
    (
        "playbooks_and_runbooks",
        "Security Operations Playbook & Runbooks",
    ),
    ("security_epics_plan", "Security Epics Plan"),
    (
        "incident_response_simulation",
        "Security Incident Response Simulation",
    ),
];

/// A problem in a maturity model file.
#[derive(Debug, Clone, Error, PartialEq, Eq)]
#[error("{file}: {message}")]
pub struct ModelError {
    pub file: String,
    pub message: String,
}

/// Every problem found while loading models, reported at once.
#[derive(Debug, Clone, Error, PartialEq, Eq)]
pub struct ModelErrors(pub Vec<ModelError>);

impl std::fmt::Display for ModelErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "{} problem(s) in maturity models:", self.0.len())?;
        for e in &self.0 {
            writeln!(f, "  {e}")?;
        }
        Ok(())
    }
}

/// A compiled criterion, ready to evaluate.
#[derive(Debug)]
pub(crate) enum Test {
    RulesPass(Vec<String>),
    AnyRulePasses(Vec<String>),
    Fact(Box<Expr>),
    Declared(String),
    AnyOf(Vec<CompiledCriterion>),
}

#[derive(Debug)]
pub(crate) struct CompiledCriterion {
    pub id: String,
    pub description: String,
    pub test: Test,
}

#[derive(Debug)]
pub(crate) struct CompiledLevel {
    pub level: u8,
    pub summary: String,
    pub criteria: Vec<CompiledCriterion>,
}

#[derive(Debug)]
pub(crate) struct CompiledEnabler {
    pub id: String,
    pub title: String,
    pub engaged: Vec<CompiledCriterion>,
    pub completed: Vec<CompiledCriterion>,
}

/// All maturity models, validated against the rule set.
#[derive(Debug)]
pub struct Models {
    pub(crate) epics: Vec<(Epic, Vec<CompiledLevel>)>,
    pub(crate) enablers: Vec<CompiledEnabler>,
    /// Every declaration key a model refers to, for checking attestation files.
    pub(crate) declaration_keys: HashSet<String>,
}

/// A model file's name and text.
#[derive(Debug, Clone)]
pub struct ModelSource {
    pub path: PathBuf,
    pub text: String,
}

impl Models {
    /// Reads every `*.yaml` in a directory.
    pub fn read_dir(dir: &Path) -> Result<Vec<ModelSource>, ModelErrors> {
        let entries = std::fs::read_dir(dir).map_err(|e| {
            ModelErrors(vec![ModelError {
                file: dir.display().to_string(),
                message: format!("cannot read: {e}"),
            }])
        })?;
        let mut paths: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
            .collect();
        paths.sort();
        paths
            .into_iter()
            .map(|path| {
                std::fs::read_to_string(&path)
                    .map(|text| ModelSource {
                        path: path.clone(),
                        text,
                    })
                    .map_err(|e| {
                        ModelErrors(vec![ModelError {
                            file: path.display().to_string(),
                            message: format!("cannot read: {e}"),
                        }])
                    })
            })
            .collect()
    }

    /// Validates the sources: every epic and enabler exactly once, levels 1..3 in
    /// order, each criterion with one test, rule ids that exist, facts that compile.
    pub fn from_sources(sources: &[ModelSource], rules: &RuleSet) -> Result<Models, ModelErrors> {
        let mut errors = Vec::new();
        let mut epics = Vec::new();
        let mut enablers = Vec::new();
        let mut keys = HashSet::new();
        for source in sources {
            let file = source.path.display().to_string();
            let mut err = |message: String| {
                errors.push(ModelError {
                    file: file.clone(),
                    message,
                })
            };
            let is_enablers = source.path.file_stem().is_some_and(|s| s == "enablers");
            if is_enablers {
                match serde_saphyr::from_str::<EnablersFile>(&source.text) {
                    Ok(parsed) => {
                        for e in parsed.enablers {
                            let engaged = compile_all(&e.engaged, rules, &mut keys, &mut err);
                            let completed = compile_all(&e.completed, rules, &mut keys, &mut err);
                            if !ENABLERS.iter().any(|(id, _)| *id == e.id) {
                                err(format!("unknown enabler `{}`", e.id));
                            }
                            enablers.push(CompiledEnabler {
                                id: e.id,
                                title: e.title,
                                engaged,
                                completed,
                            });
                        }
                    }
                    Err(e) => err(yaml_error(&e)),
                }
                continue;
            }
            match serde_saphyr::from_str::<EpicModel>(&source.text) {
                Ok(model) => {
                    let numbers: Vec<u8> = model.levels.iter().map(|l| l.level).collect();
                    if numbers != [1, 2, 3] {
                        err(format!(
                            "levels must be 1, 2 and 3 in order, found {numbers:?}"
                        ));
                    }
                    let levels = model
                        .levels
                        .iter()
                        .map(|l| {
                            if l.criteria.is_empty() {
                                err(format!("level {} has no criteria", l.level));
                            }
                            CompiledLevel {
                                level: l.level,
                                summary: l.summary.clone(),
                                criteria: compile_all(&l.criteria, rules, &mut keys, &mut err),
                            }
                        })
                        .collect();
                    epics.push((model.epic, levels));
                }
                Err(e) => err(yaml_error(&e)),
            }
        }
        for epic in Epic::ALL {
            match epics.iter().filter(|(e, _)| *e == epic).count() {
                1 => {}
                0 => errors.push(ModelError {
                    file: "rules/maturity".into(),
                    message: format!("no model for epic `{}`", epic.id()),
                }),
                _ => errors.push(ModelError {
                    file: "rules/maturity".into(),
                    message: format!("more than one model for epic `{}`", epic.id()),
                }),
            }
        }
        for (id, _) in ENABLERS {
            if !enablers.iter().any(|e| e.id == *id) {
                errors.push(ModelError {
                    file: "rules/maturity/enablers.yaml".into(),
                    message: format!("no model for enabler `{id}`"),
                });
            }
        }
        if !errors.is_empty() {
            return Err(ModelErrors(errors));
        }
        epics.sort_by_key(|(e, _)| Epic::ALL.iter().position(|x| x == e));
        enablers.sort_by_key(|e| ENABLERS.iter().position(|(id, _)| *id == e.id));
        Ok(Models {
            epics,
            enablers,
            declaration_keys: keys,
        })
    }

    /// No models: for scans with only user rules, where the built-in maturity models
    /// have nothing to stand on. CAF and WAF scores are still computed.
    pub fn empty() -> Models {
        Models {
            epics: Vec::new(),
            enablers: Vec::new(),
            declaration_keys: HashSet::new(),
        }
    }

    /// Declaration keys the models accept.
    pub fn declaration_keys(&self) -> impl Iterator<Item = &str> {
        self.declaration_keys.iter().map(String::as_str)
    }
}

fn yaml_error(e: &serde_saphyr::Error) -> String {
    let line = e
        .location()
        .map(|l| format!("line {}: ", l.line()))
        .unwrap_or_default();
    format!("{line}{}", e.to_string().lines().next().unwrap_or(""))
}

fn compile_all(
    criteria: &[Criterion],
    rules: &RuleSet,
    keys: &mut HashSet<String>,
    err: &mut dyn FnMut(String),
) -> Vec<CompiledCriterion> {
    criteria
        .iter()
        .filter_map(|c| compile(c, rules, keys, err))
        .collect()
}

fn compile(
    c: &Criterion,
    rules: &RuleSet,
    keys: &mut HashSet<String>,
    err: &mut dyn FnMut(String),
) -> Option<CompiledCriterion> {
    let tests = [
        !c.rules_pass.is_empty(),
        !c.any_rule_passes.is_empty(),
        c.fact.is_some(),
        c.declared.is_some(),
        !c.any_of.is_empty(),
    ]
    .iter()
    .filter(|&&b| b)
    .count();
    if tests != 1 {
        err(format!(
            "criterion `{}` must have exactly one of rules_pass, any_rule_passes, fact, declared, any_of (has {tests})",
            c.id
        ));
        return None;
    }
    for id in c.rules_pass.iter().chain(&c.any_rule_passes) {
        if rules.get(id).is_none() {
            err(format!("criterion `{}` names unknown rule `{id}`", c.id));
        }
    }
    let test = if !c.rules_pass.is_empty() {
        Test::RulesPass(c.rules_pass.clone())
    } else if !c.any_rule_passes.is_empty() {
        Test::AnyRulePasses(c.any_rule_passes.clone())
    } else if let Some(fact) = &c.fact {
        match Expr::compile(fact) {
            Ok(expr) => Test::Fact(Box::new(expr)),
            Err(issues) => {
                for i in issues {
                    err(format!("criterion `{}` fact: {}", c.id, i.message));
                }
                return None;
            }
        }
    } else if let Some(key) = &c.declared {
        keys.insert(key.clone());
        Test::Declared(key.clone())
    } else {
        Test::AnyOf(compile_all(&c.any_of, rules, keys, err))
    };
    Some(CompiledCriterion {
        id: c.id.clone(),
        description: c.description.clone(),
        test,
    })
}
