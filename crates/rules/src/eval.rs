//! Evaluation: every rule over every resource of its type, in parallel, with the
//! evidence that decided each result. A rule over data Vigil could not see never
//! passes: a gap over its resource type, a property that was not collected, or a
//! helper that meets a gap makes the result ERROR.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use cel::{ExecutionError, Value};
use rayon::prelude::*;
use vigil_inventory::{Inventory, ResourceIdx};

use crate::expr::functions::{reset_touched, take_touched};
use crate::expr::{EvalContext, Expr};
use crate::finding::{Evidence, Finding, ResourceRef, Status};
use crate::load::RuleSet;
use crate::rule::{Rule, RuleFile};

/// Counts from one evaluation, for the summary and the benchmark.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EvalStats {
    /// Resources that at least one rule evaluated.
    pub resources: usize,
    /// Rule × resource evaluations run.
    pub evaluations: usize,
    /// Evaluations where `applies_when` was false.
    pub not_applicable: usize,
}

/// Evaluates every rule of `rules` over the context's inventory.
pub fn evaluate(rules: &RuleSet, ctx: &EvalContext) -> (Vec<Finding>, EvalStats) {
    evaluate_where(rules, ctx, |_| true)
}

/// Evaluates the rules that `keep` selects (the fixture runner takes one at a time).
pub fn evaluate_where(
    rules: &RuleSet,
    ctx: &EvalContext,
    keep: impl Fn(&Rule) -> bool + Sync,
) -> (Vec<Finding>, EvalStats) {
    let inventory = ctx.inventory();
    // Each rule's metadata is shared by all its findings.
    let metas: HashMap<&str, Arc<RuleFile>> = rules
        .rules()
        .iter()
        .map(|r| (r.id(), Arc::new(r.meta.clone())))
        .collect();
    let mut findings = gap_findings(rules, inventory, &metas, &keep);

    // Resources in catalogue-type order then inventory order, and rules in id order
    // within each resource: the findings come out in a stable order without a sort.
    let mut types: Vec<&str> = rules
        .resource_types()
        .filter(|t| rules.for_type(t).any(&keep))
        .collect();
    types.sort_unstable();
    let targets: Vec<ResourceIdx> = types
        .into_iter()
        .flat_map(|t| inventory.of_type(t).iter().copied())
        .collect();
    let with_gaps: HashSet<&str> = inventory
        .gaps()
        .iter()
        .filter_map(|g| g.resource.as_deref())
        .collect();

    // One CEL root context per chunk of resources: contexts are cheap but not free.
    let per_chunk: Vec<(Vec<Finding>, usize, usize)> = targets
        .par_chunks(256)
        .map(|chunk| {
            let root = ctx.root();
            let mut out = Vec::with_capacity(chunk.len() * 4);
            let (mut runs, mut skipped) = (0, 0);
            for &idx in chunk {
                let resource = inventory.resource(idx);
                let mut scope = root.new_inner_scope();
                EvalContext::bind(&mut scope, resource);
                let subject = Arc::new(ResourceRef::from(resource));
                let resource_has_gaps = with_gaps.contains(resource.id.as_str());
                let tags_unseen = resource_has_gaps
                    .then(|| tag_gap(inventory, &resource.id))
                    .flatten();
                for rule in rules.for_type(&resource.resource_type).filter(|r| keep(r)) {
                    runs += 1;
                    reset_touched();
                    if let (true, Some(gap)) = (rule.reads_tags, &tags_unseen) {
                        let meta = Arc::clone(&metas[rule.id()]);
                        out.push(finding(
                            ctx,
                            idx,
                            &subject,
                            meta,
                            rule,
                            Status::Error,
                            Some(format!("tags not collected ({gap})")),
                        ));
                        continue;
                    }
                    if let Some(applies) = rule.applies_when() {
                        match run(applies, &scope) {
                            Ok(true) => {}
                            Ok(false) => {
                                skipped += 1;
                                continue;
                            }
                            Err(reason) => {
                                let meta = Arc::clone(&metas[rule.id()]);
                                out.push(finding(
                                    ctx,
                                    idx,
                                    &subject,
                                    meta,
                                    rule,
                                    Status::Error,
                                    Some(format!("applies_when: {reason}")),
                                ));
                                continue;
                            }
                        }
                    }
                    let (status, reason) = match run(rule.condition(), &scope) {
                        Ok(true) => (Status::Pass, None),
                        Ok(false) => (Status::Fail, None),
                        Err(reason) => (Status::Error, Some(reason)),
                    };
                    // A failure decided from what was seen stands; a pass must not rest
                    // on a property that a gap kept from us.
                    let (status, reason) = if resource_has_gaps && status == Status::Pass {
                        match unseen_reads(inventory, idx, rule) {
                            Some(reason) => (Status::Error, Some(reason)),
                            None => (status, reason),
                        }
                    } else {
                        (status, reason)
                    };
                    let meta = Arc::clone(&metas[rule.id()]);
                    out.push(finding(ctx, idx, &subject, meta, rule, status, reason));
                }
            }
            (out, runs, skipped)
        })
        .collect();

    let mut stats = EvalStats {
        resources: targets.len(),
        ..EvalStats::default()
    };
    findings.reserve(per_chunk.iter().map(|(out, _, _)| out.len()).sum());
    for (mut out, runs, skipped) in per_chunk {
        stats.evaluations += runs;
        stats.not_applicable += skipped;
        findings.append(&mut out);
    }
    (findings, stats)
}

/// Runs a compiled condition; `Err` carries a reason a person can act on.
fn run(expr: &Expr, scope: &cel::Context) -> Result<bool, String> {
    match expr.program().execute(scope) {
        Ok(Value::Bool(b)) => Ok(b),
        Ok(other) => Err(format!("condition returned {other:?}, not a bool")),
        Err(ExecutionError::NoSuchKey(key)) => Err(format!("property `{key}` was not collected")),
        Err(e) => Err(e.to_string()),
    }
}

/// Was the property at this dotted path looked at? A `null` on the way means the
/// collector looked and found nothing there, so nothing below it is missing.
fn seen(properties: &serde_json::Value, path: &str) -> bool {
    let mut value = properties;
    for key in path.split('.') {
        match value {
            serde_json::Value::Null => return true,
            serde_json::Value::Object(map) => match map.get(key) {
                Some(next) => value = next,
                None => return false,
            },
            _ => return true,
        }
    }
    true
}

/// The gap of a failed tag read on this resource (an operation about tags), if any.
fn tag_gap(inventory: &Inventory, id: &str) -> Option<String> {
    inventory
        .resource_gaps(id)
        .find(|g| g.operation.contains("Tag"))
        .map(|g| g.summary())
}

/// When a resource has gaps, a rule reading a property that is absent cannot pass.
fn unseen_reads(inventory: &Inventory, idx: ResourceIdx, rule: &Rule) -> Option<String> {
    let resource = inventory.resource(idx);
    let missing: Vec<&str> = rule
        .reads
        .iter()
        .filter(|path| !seen(&resource.properties, path))
        .map(String::as_str)
        .collect();
    if missing.is_empty() {
        return None;
    }
    let gaps: Vec<String> = inventory
        .resource_gaps(&resource.id)
        .map(|g| g.summary())
        .collect();
    Some(format!(
        "not collected: {} ({})",
        missing.join(", "),
        gaps.join("; ")
    ))
}

fn finding(
    ctx: &EvalContext,
    idx: ResourceIdx,
    subject: &Arc<ResourceRef>,
    meta: Arc<RuleFile>,
    rule: &Rule,
    status: Status,
    reason: Option<String>,
) -> Finding {
    let inventory = ctx.inventory();
    let resource = inventory.resource(idx);
    let touched = take_touched();
    let evidence = if status == Status::Pass {
        Evidence::default()
    } else {
        let mut properties = BTreeMap::new();
        let mut missing = Vec::new();
        for path in &rule.reads {
            match resource.property(path) {
                Some(v) => {
                    properties.insert(path.clone(), v.clone());
                }
                None => missing.push(path.clone()),
            }
        }
        // An ERROR may come from a related resource a helper returned (a backup plan
        // whose selections were not collected, judged from its region): its gaps are
        // the cause, so they are named beside the subject's own.
        let mut gaps: Vec<String> = inventory
            .resource_gaps(&resource.id)
            .map(|g| g.summary())
            .collect();
        if status == Status::Error {
            for &i in &touched {
                for gap in inventory.resource_gaps(&inventory.resource(i).id) {
                    let summary = gap.summary();
                    if !gaps.contains(&summary) {
                        gaps.push(summary);
                    }
                }
            }
        }
        Evidence {
            properties,
            missing,
            related: touched
                .into_iter()
                .map(|i| inventory.resource(i).id.clone())
                .collect(),
            gaps,
        }
    };
    Finding {
        rule: meta,
        resource: Arc::clone(subject),
        status,
        reason,
        muted_status: None,
        evidence,
    }
}

/// One ERROR per rule, account and region where the rule's resource type could not
/// be listed: the resources there are unknown, so nothing there can pass.
fn gap_findings(
    rules: &RuleSet,
    inventory: &Inventory,
    metas: &HashMap<&str, Arc<RuleFile>>,
    keep: &dyn Fn(&Rule) -> bool,
) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    for rule in rules.rules().iter().filter(|r| keep(r)) {
        for gap in inventory.gaps() {
            if !gap.resource_types.contains(&rule.meta.resource) {
                continue;
            }
            if !seen.insert((
                rule.id().to_owned(),
                gap.account.clone(),
                gap.region.clone(),
            )) {
                continue;
            }
            let id = format!("{}/{}/{}", gap.account, gap.region, rule.meta.resource);
            out.push(Finding {
                rule: Arc::clone(&metas[rule.id()]),
                resource: Arc::new(ResourceRef {
                    id,
                    resource_type: rule.meta.resource.clone(),
                    account: gap.account.clone(),
                    region: gap.region.clone(),
                    name: None,
                    tags: BTreeMap::new(),
                }),
                status: Status::Error,
                reason: Some(format!(
                    "could not list {}: {}",
                    rule.meta.resource,
                    gap.summary()
                )),
                muted_status: None,
                evidence: Evidence {
                    gaps: vec![gap.summary()],
                    ..Evidence::default()
                },
            });
        }
    }
    out
}

/// Evaluates one expression over one resource, outside a scan: the scorer uses it for
/// maturity facts. Builds a fresh CEL context, so it suits a few calls, not a loop.
pub fn evaluate_expr(ctx: &EvalContext, expr: &Expr, idx: ResourceIdx) -> Result<bool, String> {
    let root = ctx.root();
    let mut scope = root.new_inner_scope();
    EvalContext::bind(&mut scope, ctx.inventory().resource(idx));
    run(expr, &scope)
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use serde_json::json;
    use vigil_inventory::{Gap, Resource};

    use super::*;
    use crate::load::RuleSource;

    const RULE: &str = r#"id: backup_plan_exists
title: A backup plan with a selection exists in the region
severity: medium
resource: aws.region
description: Checks plans.
rationale: Backups.
condition: regional(resource, "aws.backup.plan").exists(p, size(p.properties.selections) > 0)
caf:
  component: Preventive
  capability: Data protection
waf:
  area: Data
  practice: SEC09-BP01
epics: [resilience]
remediation:
  text: Create a plan.
"#;

    #[test]
    fn an_error_from_a_related_resource_names_that_resources_gap() {
        let rules = RuleSet::from_sources(vec![RuleSource {
            path: PathBuf::from("rules/aws/backup/backup_plan_exists.yaml"),
            text: RULE.to_owned(),
            fixtures: None,
        }])
        .unwrap();
        let region = Resource::new(
            "111111111111/us-east-1",
            "aws.region",
            "111111111111",
            "us-east-1",
        )
        .with_property("region", json!("us-east-1"));
        let plan = Resource::new(
            "arn:aws:backup:us-east-1:111111111111:backup-plan:p-1",
            "aws.backup.plan",
            "111111111111",
            "us-east-1",
        )
        .with_property("name", json!("daily"));
        let gap = Gap {
            service: "backup".into(),
            operation: "ListBackupSelections".into(),
            account: "111111111111".into(),
            region: "us-east-1".into(),
            resource_types: vec![],
            resource: Some(plan.id.clone()),
            error_code: "AccessDeniedException".into(),
            message: String::new(),
        };
        let inventory = Inventory::new(vec![region, plan], vec![], vec![gap]).unwrap();
        let ctx = EvalContext::new(Arc::new(inventory), chrono::Utc::now());
        let (findings, _) = evaluate(&rules, &ctx);
        let finding = &findings[0];
        assert_eq!(finding.status, Status::Error, "{finding:?}");
        assert!(
            finding
                .evidence
                .gaps
                .iter()
                .any(|g| g.contains("ListBackupSelections")),
            "{:?}",
            finding.evidence
        );
    }
}
