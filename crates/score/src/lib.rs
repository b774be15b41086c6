//! Vigil's scorer: turns findings and inventory facts into the scorecard — per CAF
//! component and WAF area, and per account the maturity (0–3) of each of the ten
//! security epics and the status of each key security enabler — from maturity models
//! kept as data in `rules/maturity/`. Every score lists the criteria met and missing.

mod attest;
mod explain;
mod model;
mod scorecard;

pub use attest::{AttestationError, Attestations, Declaration, REQUIREMENT_FRAMEWORKS};
pub use explain::{enabler_markdown, epic_markdown, maturity_markdown, whitepaper_example};
pub use model::{
    Criterion, ENABLERS, EnablerModel, EnablersFile, EpicModel, LevelSpec, ModelError, ModelErrors,
    ModelSource, Models,
};
pub use scorecard::{
    AccountMaturity, AreaScore, ClassificationCoverage, Counts, CriterionResult, EnablerScore,
    EnablerStatus, EpicScore, EvidenceKind, LevelResult, OrgFinding, Outcome, Scorecard, score,
    score_in_organization,
};
