//! Vigil's rule engine: loads rule files (YAML, one rule per file, CEL conditions),
//! validates all of them before anything runs, and evaluates them over the inventory
//! graph into findings with evidence.
//!
//! ```text
//! RuleSet::load_dirs ──► RuleSet ──► evaluate(&RuleSet, &EvalContext) ──► Vec<Finding>
//!                                                                           │
//!                                              Mutelist::apply ◄────────────┘
//! ```

pub mod access;
pub mod escalation;
mod eval;
pub mod expr;
mod finding;
mod fixtures;
mod hash;
pub mod helpers;
mod load;
pub mod mapping;
mod mutelist;
pub mod reach;
mod rule;
mod settings;
pub mod standards;

pub use eval::{EvalStats, evaluate, evaluate_expr, evaluate_where};
pub use expr::{EvalContext, Expr, HELPERS, Helper};
pub use finding::{Evidence, Finding, ResourceRef, Status};
pub use fixtures::{
    CaseResult, FIXTURE_ACCOUNT, FIXTURE_NOW, FIXTURE_REGION, FixtureReport, run_fixtures,
};
pub use load::{FixtureSource, LoadError, LoadErrors, RuleSet, RuleSource, fixture_path, read_dir};
pub use mapping::{CafComponent, Epic, Severity, WafArea};
pub use mutelist::{ExpiredMute, MuteEntry, Mutelist, MutelistError, MutelistFile};
pub use rule::{
    CafMapping, Compliance, Remediation, Rule, RuleFile, RuleStatus, WafMapping, rule_schema,
};
pub use settings::{Settings, SettingsError, SettingsFileError};
pub use standards::{Standards, coverage_markdown};
