//! The fast path must not change a single result: every built-in rule, over the
//! example snapshot and over each of its fixture cases, evaluated with and without
//! the shortcuts of `expr::native`, gives the same findings (status, reason,
//! evidence, severity) in the same order.

use std::path::PathBuf;
use std::sync::Arc;

use vigil_inventory::{Inventory, Snapshot};

use crate::{
    EvalContext, EvalStats, Finding, Rule, RuleSet, evaluate, evaluate_where, run_fixtures,
};

/// The first difference between two evaluations, if any.
fn difference(fast: &[Finding], plain: &[Finding]) -> Option<String> {
    if fast.len() != plain.len() {
        return Some(format!(
            "{} findings, plain CEL made {}",
            fast.len(),
            plain.len()
        ));
    }
    fast.iter().zip(plain).find_map(|(f, p)| {
        let same = f.rule.id == p.rule.id
            && f.resource == p.resource
            && f.status == p.status
            && f.reason == p.reason
            && f.evidence == p.evidence
            && f.rule.severity == p.rule.severity;
        (!same).then(|| format!("fast path: {f:?}\nplain CEL: {p:?}"))
    })
}

/// Called by the fixture runner in this crate's tests, for every case of every rule.
pub(crate) fn same_as_plain(
    rules: &RuleSet,
    rule: &Rule,
    ctx: &EvalContext,
    findings: &[Finding],
) -> Result<(), String> {
    let plain = ctx.clone().with_plain_cel();
    let (expected, _) = evaluate_where(rules, &plain, |r| r.id() == rule.id());
    match difference(findings, &expected) {
        None => Ok(()),
        Some(diff) => Err(format!("the fast path differs from plain CEL: {diff}")),
    }
}

#[test]
fn the_fast_path_and_plain_cel_agree_on_every_fixture_case() {
    let rules = RuleSet::load_dirs(&[root().join("rules")]).expect("the built-in rules load");
    let report = run_fixtures(&rules);
    let differ: Vec<String> = report
        .cases
        .iter()
        .filter(|c| c.message.contains("the fast path differs"))
        .map(|c| format!("{} / {}: {}", c.rule, c.case, c.message))
        .collect();
    assert!(differ.is_empty(), "{}", differ.join("\n\n"));
    assert!(report.cases.len() > rules.len(), "every rule has cases");
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn the_fast_path_and_plain_cel_agree_on_every_rule_over_the_example() {
    let rules = RuleSet::load_dirs(&[root().join("rules")]).expect("the built-in rules load");
    let text = std::fs::read_to_string(root().join("examples/acme-dev.snapshot.json"))
        .expect("the example snapshot");
    let snapshot = Snapshot::from_json(&text).expect("the example snapshot parses");
    let inventory = Arc::new(Inventory::from_snapshot(snapshot).expect("the example inventory"));
    let now = "2026-06-01T00:00:00Z".parse().expect("a time");

    let fast = EvalContext::new(Arc::clone(&inventory), now);
    let plain = EvalContext::new(inventory, now).with_plain_cel();
    let (fast_findings, fast_stats) = evaluate(&rules, &fast);
    let (plain_findings, plain_stats) = evaluate(&rules, &plain);

    // Plain CEL decides everything itself; the fast path leaves it a few.
    assert!(
        plain_stats.by_cel >= plain_stats.evaluations,
        "{plain_stats:?}"
    );
    assert!(fast_stats.by_cel < plain_stats.by_cel / 2, "{fast_stats:?}");
    assert_eq!(
        EvalStats {
            by_cel: 0,
            analyses: Default::default(),
            ..fast_stats
        },
        EvalStats {
            by_cel: 0,
            analyses: Default::default(),
            ..plain_stats
        }
    );
    assert!(
        plain_findings.len() > 400,
        "the example exercises many rules"
    );
    if let Some(diff) = difference(&fast_findings, &plain_findings) {
        panic!("{diff}");
    }
}

/// How much of the built-in pack compiles to native checks (`expr/direct/pred.rs`; 261
/// of 424 conditions when this was written), held above a floor so that a change that
/// stops most conditions from compiling shows here rather than only in the benchmark.
#[test]
fn most_built_in_conditions_compile_to_native_checks() {
    let rules = RuleSet::load_dirs(&[root().join("rules")]).expect("the built-in rules load");
    let whole = rules
        .rules()
        .iter()
        .filter(|r| r.condition().compiled_whole())
        .count();
    assert!(whole * 2 > rules.len(), "{whole} of {}", rules.len());
}
