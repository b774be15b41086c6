//! Loading the rule pack (built-in plus user directories) and the maturity models.

use anyhow::{Context, Result, bail};
use vigil_rules::{RuleSet, read_dir};
use vigil_score::Models;

use crate::builtin;
use crate::cli::RuleSelection;

/// Built-in rules (unless left out) plus every `--rules DIR`, validated together so that
/// a user rule cannot reuse a built-in id. Every problem is reported at once.
pub fn load_rules(selection: &RuleSelection) -> Result<RuleSet> {
    let mut sources = if selection.no_builtin_rules {
        Vec::new()
    } else {
        builtin::rule_sources()
    };
    let mut problems = Vec::new();
    for dir in &selection.rules {
        match read_dir(dir) {
            Ok(mut found) => sources.append(&mut found),
            Err(errors) => problems.extend(errors.0),
        }
    }
    if !problems.is_empty() {
        bail!("{}", vigil_rules::LoadErrors(problems));
    }
    RuleSet::from_sources(sources).map_err(|errors| anyhow::anyhow!("{errors}"))
}

/// The built-in maturity models, checked against the rules they name. They rest on
/// the built-in rules, so a scan without them scores no epic maturity.
pub fn load_models(rules: &RuleSet, selection: &RuleSelection) -> Result<Models> {
    if selection.no_builtin_rules {
        tracing::warn!("--no-builtin-rules: epic maturity and enablers are not scored");
        return Ok(Models::empty());
    }
    Models::from_sources(&builtin::model_sources(), rules)
        .map_err(|errors| anyhow::anyhow!("{errors}"))
        .context("built-in maturity models")
}
