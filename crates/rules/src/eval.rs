//! Evaluation: every rule over every resource of its type, in parallel, with the
//! evidence that decided each result. A rule over data Vigil could not see never
//! passes: a gap over its resource type, a property that was not collected, or a
//! helper that meets a gap makes the result ERROR.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;

use cel::{ExecutionError, Value};
use rayon::prelude::*;
use vigil_inventory::{Inventory, ResourceIdx};

use crate::expr::MAX_OVERRUNS;
use crate::expr::direct::Scope;
use crate::expr::functions::{
    no_budget, reset_touched, start_budget, take_excluded, take_facts, take_raised, take_touched,
};
use crate::expr::{EvalContext, Expr};
use crate::finding::{Evidence, Finding, ResourceRef, Status};
use crate::load::RuleSet;
use crate::rule::{Rule, RuleFile};

/// Counts from one evaluation, for the summary and the benchmark.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EvalStats {
    /// Evaluations not made because a service the rule reads was left out of the scan
    /// (no finding: a service not looked at is not judged absent).
    pub excluded: usize,
    /// Resources that at least one rule evaluated.
    pub resources: usize,
    /// Rule × resource evaluations run.
    pub evaluations: usize,
    /// Evaluations where `applies_when` was false.
    pub not_applicable: usize,
    /// Conditions (`applies_when` included) the direct walker left to CEL: what the
    /// fast path does not cover yet, and where the time per rule goes up.
    pub by_cel: usize,
    /// Time spent working out the graph analyses the kept rules ask for (escalation,
    /// reachability, data access) before the loop: part of the evaluation, stated apart
    /// because it grows with the estate's principals and instances, not with the rules.
    pub analyses: std::time::Duration,
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
    let plain = ctx.plain();
    let settings = ctx.settings_json();
    let now = ctx.now();
    // Each rule's metadata is shared by all its findings.
    let metas: HashMap<&str, Arc<RuleFile>> = rules
        .rules()
        .iter()
        .map(|r| (r.id(), Arc::new(r.meta.clone())))
        .collect();
    let mut findings = gap_findings(rules, inventory, &metas, &keep);
    // The analyses the kept rules' helpers need are worked out before the loop: in it,
    // the first evaluation to ask would pay for them against its budget, on one thread.
    let asks = |helpers: &[&str]| {
        rules.rules().iter().filter(|r| keep(r)).any(|r| {
            [
                Some(r.condition().source()),
                r.applies_when().map(Expr::source),
            ]
            .into_iter()
            .flatten()
            .any(|text| helpers.iter().any(|h| text.contains(&format!("{h}("))))
        })
    };
    let began = std::time::Instant::now();
    let escalation = asks(crate::expr::escalation::HELPERS);
    let (reach, data) = (
        asks(crate::expr::attack::REACH_HELPERS),
        asks(crate::expr::attack::DATA_HELPERS),
    );
    // Reachability does not build on the escalation analysis (data access does): the
    // two are worked out side by side, so that one's serial parts overlap the other.
    // The data stores, which data access needs besides the escalation analysis, are
    // read on the reachability side, first, so that they are ready when it is.
    rayon::join(
        || {
            if escalation {
                ctx.prepare_escalation();
            }
            ctx.prepare_attack_paths(false, data);
        },
        || {
            if data {
                ctx.prepare_data_stores();
            }
            ctx.prepare_attack_paths(reach, false);
        },
    );
    let analyses = began.elapsed();

    // The rules of each type, chosen once rather than once per resource; a rule's
    // place in this table stands for it in the loop (its metadata, its overruns).
    let kept: Vec<Kept> = rules
        .rules()
        .iter()
        .filter(|r| keep(r))
        .map(|rule| Kept {
            rule,
            bounded: rule.condition().compiled_whole()
                && rule.applies_when().is_none_or(Expr::compiled_whole),
            meta: Arc::clone(&metas[rule.id()]),
            stopped: std::sync::atomic::AtomicBool::new(ctx.overruns(rule.id()) >= MAX_OVERRUNS),
        })
        .collect();
    let mut by_type: HashMap<&str, Vec<&Kept>> = HashMap::new();
    for k in &kept {
        for t in crate::rule::resource_types(&k.rule.meta.resource) {
            by_type.entry(t).or_default().push(k);
        }
    }

    // Resources in catalogue-type order then inventory order, and rules in id order
    // within each resource: the findings come out in a stable order without a sort.
    let mut types: Vec<&str> = by_type.keys().copied().collect();
    types.sort_unstable();
    // Each resource with its type's rules, looked up once here rather than per use.
    let targets: Vec<(ResourceIdx, &[&Kept])> = types
        .into_iter()
        .flat_map(|t| {
            let rules = by_type[t].as_slice();
            inventory.of_type(t).iter().map(move |&idx| (idx, rules))
        })
        .collect();
    let with_gaps: HashSet<&str> = inventory
        .gaps()
        .iter()
        .filter_map(|g| g.resource.as_deref())
        .collect();

    let rules_of = |&(_, rules): &(ResourceIdx, &[&Kept])| rules.len();
    // At most one finding per rule and resource: the whole result is allocated once,
    // and filled wave by wave, so the findings are never held twice (per chunk and
    // in the result) and a `Vec` never doubles past what it needs.
    findings.reserve_exact(targets.iter().map(rules_of).sum());
    let mut stats = EvalStats {
        resources: targets.len(),
        analyses,
        ..EvalStats::default()
    };
    // The findings of one wave join the result while the next wave is evaluated: one
    // thread copying them (and touching the result's fresh pages) while the other
    // waited was a twentieth of the evaluation's time.
    let mut pending: Vec<(Vec<Finding>, usize, usize, usize, usize)> = Vec::new();
    let mut join = |pending: Vec<(Vec<Finding>, usize, usize, usize, usize)>| {
        for (mut out, runs, skipped, excluded, by_cel) in pending {
            stats.by_cel += by_cel;
            stats.evaluations += runs;
            stats.not_applicable += skipped;
            stats.excluded += excluded;
            findings.append(&mut out);
        }
    };
    // One CEL root context per chunk of resources: contexts are cheap but not free.
    let evaluate_chunk = |chunk: &[(ResourceIdx, &[&Kept])]| {
        // Facts about the inventory's values remembered for this chunk (the
        // inventory is borrowed, so unchanging, until it ends).
        let _memo = crate::expr::direct::memo::arm();
        let root = ctx.root();
        let mut out = Vec::with_capacity(chunk.iter().map(rules_of).sum());
        let (mut runs, mut skipped, mut excluded, mut by_cel) = (0, 0, 0, 0);
        // When the previous evaluation ended, if nothing ran since.
        let mut last_end = None;
        for &(idx, for_type) in chunk {
            let resource = inventory.resource(idx);
            let here = Scope {
                inventory,
                subject: idx,
                settings,
                now,
                shared: Some(ctx.shared()),
            };
            // Bound for CEL only when a condition cannot be decided directly.
            let mut scope = None;
            let mut run_here =
                |expr: &Expr| run(expr, resource, &root, &mut scope, here, plain, &mut by_cel);
            let subject = Arc::new(ResourceRef::from(resource));
            let resource_has_gaps = with_gaps.contains(resource.id.as_str());
            let about = About {
                idx,
                subject: &subject,
                has_gaps: resource_has_gaps,
            };
            let tags_unseen = resource_has_gaps
                .then(|| tag_gap(inventory, &resource.id))
                .flatten();
            for kept in for_type {
                let rule = kept.rule;
                if let Some(reason) = excluded_input(inventory, resource, rule) {
                    ctx.record_exclusion(rule.id(), &resource.account, &reason);
                    excluded += 1;
                    continue;
                }
                runs += 1;
                reset_touched();
                take_excluded();
                let error = |reason: String| {
                    let meta = Arc::clone(&kept.meta);
                    finding(ctx, &about, meta, rule, Status::Error, Some(reason))
                };
                // Not judged: a service the rule reads was left out of the scan.
                let exclude = |reason: &str| {
                    ctx.record_exclusion(rule.id(), &resource.account, reason);
                    take_touched();
                };
                if kept.stopped.load(Relaxed) {
                    let overruns = ctx.overruns(rule.id());
                    out.push(error(format!(
                            "not run: the rule overran its evaluation budget of {} ms {overruns} times in this scan",
                            ctx.budget().as_millis()
                        )));
                    continue;
                }
                // The clock read that ended the last evaluation starts this one:
                // a clock read was a measurable part of a cheap evaluation. A
                // bounded one runs without a budget, and without reading the clock.
                let began = if kept.bounded && !plain {
                    no_budget();
                    last_end = None;
                    None
                } else {
                    Some(start_budget(ctx.budget(), last_end.take()))
                };
                if let (true, Some(gap)) = (rule.reads_tags, &tags_unseen) {
                    out.push(error(format!("tags not collected ({gap})")));
                    continue;
                }
                if let Some(applies) = rule.applies_when() {
                    match run_here(applies) {
                        Ok(true) => {}
                        Ok(false) => {
                            skipped += 1;
                            continue;
                        }
                        Err(reason) => {
                            if let Some(why) = take_excluded() {
                                exclude(&why);
                                excluded += 1;
                            } else {
                                out.push(error(format!("applies_when: {reason}")));
                            }
                            continue;
                        }
                    }
                }
                let outcome = run_here(rule.condition());
                // Over budget is ERROR whatever the condition returned: a result that
                // took that long is one a scan cannot afford to wait for again.
                let ended = began.map(|began| (began, std::time::Instant::now()));
                last_end = ended.map(|(_, ended)| ended);
                let outcome = if ended
                    .is_some_and(|(began, ended)| ended.duration_since(began) > ctx.budget())
                {
                    let n = ctx.record_overrun(rule.id());
                    if n >= MAX_OVERRUNS {
                        kept.stopped.store(true, Relaxed);
                    }
                    tracing::warn!(rule = rule.id(), resource = %resource.id, overruns = n, "rule evaluation over budget");
                    Err(format!(
                        "rule {} exceeded its evaluation budget of {} ms on {}",
                        rule.id(),
                        ctx.budget().as_millis(),
                        resource.id
                    ))
                } else {
                    outcome
                };
                // A helper asked for a service left out of the scan: not judged.
                if let Some(reason) = take_excluded() {
                    exclude(&reason);
                    excluded += 1;
                    continue;
                }
                let (status, reason) = match outcome {
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
                let meta = Arc::clone(&kept.meta);
                out.push(finding(ctx, &about, meta, rule, status, reason));
            }
        }
        (out, runs, skipped, excluded, by_cel)
    };
    for wave in targets.chunks(WAVE) {
        let previous = std::mem::take(&mut pending);
        let (_, per_chunk) = rayon::join(
            || join(previous),
            || wave.par_chunks(CHUNK).map(evaluate_chunk).collect(),
        );
        pending = per_chunk;
    }
    join(pending);
    (findings, stats)
}

/// Resources one task evaluates with one CEL root context.
const CHUNK: usize = 256;

/// Resources evaluated in parallel before their findings join the result: enough
/// chunks to keep every core busy, few enough that the findings waiting to be joined
/// stay small beside the result.
const WAVE: usize = 32 * CHUNK;

/// A rule chosen for this evaluation, with what its findings share.
struct Kept<'r> {
    rule: &'r Rule,
    /// The condition and `applies_when` compiled whole to native checks, which are
    /// bounded by the properties they read (no helper, no unbounded loop): such a rule
    /// runs without a budget, so without the two clock reads one costs, a measurable
    /// part of a check this cheap. The plain-CEL mode (`--plain`) still times it.
    bounded: bool,
    meta: Arc<RuleFile>,
    /// Set once the rule has overrun its budget [`MAX_OVERRUNS`] times in this scan:
    /// checked on every evaluation, so an atomic rather than the context's lock.
    stopped: std::sync::atomic::AtomicBool,
}

/// Runs a compiled condition over `resource`: straight on its JSON when that decides
/// it, else in CEL, binding the resource in `scope` the first time it is needed.
/// `Err` carries a reason a person can act on.
fn run<'p, 'q, 'v>(
    expr: &Expr,
    resource: &'v vigil_inventory::Resource,
    root: &'p cel::Context<'q, 'v>,
    scope: &mut Option<cel::Context<'p, 'v>>,
    here: Scope<'_>,
    plain: bool,
    by_cel: &mut usize,
) -> Result<bool, String> {
    if !plain && let Some(decided) = expr.decide(here) {
        return decided.map_err(reason);
    }
    *by_cel += 1;
    let scope = scope.get_or_insert_with(|| {
        let mut scope = root.new_inner_scope();
        EvalContext::bind(&mut scope, resource);
        scope
    });
    run_in(expr, scope, plain)
}

/// Runs a compiled condition in a bound scope.
fn run_in(expr: &Expr, scope: &cel::Context, plain: bool) -> Result<bool, String> {
    match expr.execute(scope, plain) {
        Ok(Value::Bool(b)) => Ok(b),
        Ok(other) => Err(format!("condition returned {other:?}, not a bool")),
        Err(e) => Err(reason(e)),
    }
}

/// An evaluation error as a finding states it.
fn reason(error: ExecutionError) -> String {
    match error {
        ExecutionError::NoSuchKey(key) => format!("property `{key}` was not collected"),
        e => e.to_string(),
    }
}

/// Why `rule` cannot be judged on `resource`: the resource's own type, or a property of
/// an account or region node that the rule reads, belongs to a service left out of the
/// scan. Only scans that record coverage can say so; others judge as before.
fn excluded_input(
    inventory: &Inventory,
    resource: &vigil_inventory::Resource,
    rule: &Rule,
) -> Option<String> {
    if inventory.coverage().is_empty() {
        return None;
    }
    let region = Some(resource.region.as_str());
    if let Some(c) = inventory.type_excluded(&resource.resource_type, &resource.account, region) {
        return Some(format!(
            "{} not scanned: {}",
            resource.resource_type,
            c.summary()
        ));
    }
    rule.inputs.iter().find_map(|path| {
        let key = path.split('.').next().unwrap_or(path);
        inventory
            .property_excluded(&resource.resource_type, key, &resource.account, region)
            .map(|c| format!("property `{path}` not scanned: {}", c.summary()))
    })
}

/// Was the property at this dotted path looked at? A `null` on the way means the
/// collector looked and found nothing there, so nothing below it is missing.
fn seen(properties: &vigil_inventory::Value, path: &str) -> bool {
    let mut value = properties;
    for key in path.split('.') {
        match value {
            vigil_inventory::Value::Null => return true,
            vigil_inventory::Value::Object(map) => match map.get(key) {
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

/// The resource a finding is about, as the evaluation loop holds it.
struct About<'s> {
    idx: ResourceIdx,
    /// Shared by all the resource's findings.
    subject: &'s Arc<ResourceRef>,
    /// Whether any gap names the resource: looking its gaps up walks every gap of
    /// the scan, once per failure otherwise.
    has_gaps: bool,
}

fn finding(
    ctx: &EvalContext,
    about: &About<'_>,
    meta: Arc<RuleFile>,
    rule: &Rule,
    status: Status,
    reason: Option<String>,
) -> Finding {
    let (idx, subject, has_gaps) = (about.idx, about.subject, about.has_gaps);
    // A pass carries no evidence: what the helpers recorded is left for the next
    // evaluation to clear, where its buffers are reused rather than taken and freed.
    if status == Status::Pass {
        return Finding {
            rule: meta,
            resource: Arc::clone(subject),
            status,
            reason,
            muted_status: None,
            evidence: Evidence::default(),
        };
    }
    let inventory = ctx.inventory();
    let resource = inventory.resource(idx);
    let touched = take_touched();
    let facts = take_facts();
    // A `raise_severity` that held: this failure is reported at the higher severity.
    let meta = match take_raised() {
        Some(raised) if status == Status::Fail && raised > meta.severity => Arc::new(RuleFile {
            severity: raised,
            ..(*meta).clone()
        }),
        _ => meta,
    };
    let evidence = {
        // An ERROR may come from a related resource a helper returned (a backup plan
        // whose selections were not collected, judged from its region): its gaps are
        // the cause, so they are named beside the subject's own.
        let mut gaps: Vec<String> = if has_gaps {
            inventory
                .resource_gaps(&resource.id)
                .map(|g| g.summary())
                .collect()
        } else {
            Vec::new()
        };
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
        let related = touched
            .into_iter()
            .map(|i| inventory.resource(i).id.clone())
            .collect();
        // The values read stay in the inventory; facts a helper recorded (an
        // escalation path) are held beside them.
        Evidence::read_from(
            inventory,
            idx,
            &rule.reads,
            facts.into_iter().map(|(k, v)| (k, v.into())).collect(),
            related,
            gaps,
        )
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
            let Some(resource_type) = crate::rule::resource_types(&rule.meta.resource)
                .into_iter()
                .find(|t| gap.resource_types.iter().any(|g| g == t))
            else {
                continue;
            };
            if !seen.insert((
                rule.id().to_owned(),
                gap.account.clone(),
                gap.region.clone(),
            )) {
                continue;
            }
            let id = format!("{}/{}/{}", gap.account, gap.region, resource_type);
            out.push(Finding {
                rule: Arc::clone(&metas[rule.id()]),
                resource: Arc::new(ResourceRef {
                    id,
                    resource_type: resource_type.to_owned(),
                    account: gap.account.clone(),
                    region: gap.region.clone(),
                    name: None,
                    tags: BTreeMap::new(),
                }),
                status: Status::Error,
                reason: Some(format!(
                    "could not list {}: {}",
                    resource_type,
                    gap.summary()
                )),
                muted_status: None,
                evidence: Evidence::new(
                    BTreeMap::new(),
                    Vec::new(),
                    Vec::new(),
                    vec![gap.summary()],
                ),
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
    let _ = start_budget(ctx.budget(), None);
    run_in(expr, &scope, ctx.plain())
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
                .gaps()
                .iter()
                .any(|g| g.contains("ListBackupSelections")),
            "{:?}",
            finding.evidence
        );
    }

    const GUARDDUTY_RULE: &str = r#"id: guardduty_enabled_all_regions
title: GuardDuty is enabled
severity: high
resource: aws.region
description: Checks the detector.
rationale: Threat detection.
condition: regional(resource, "aws.guardduty.detector").exists(d, d.properties.status == "ENABLED")
caf:
  component: Detective
  capability: Logging and monitoring
waf:
  area: Detective
  practice: SEC04-BP01
epics: [logging_and_monitoring]
remediation:
  text: Enable GuardDuty.
"#;

    const EBS_RULE: &str = r#"id: ec2_ebs_default_encryption
title: EBS encryption by default
severity: medium
resource: aws.region
description: Checks the region setting.
rationale: Encryption.
condition: properties.ebs_encryption_by_default == true
caf:
  component: Preventive
  capability: Data protection
waf:
  area: Data
  practice: SEC08-BP02
epics: [data_protection]
remediation:
  text: Turn it on.
"#;

    fn region_rules() -> RuleSet {
        RuleSet::from_sources(vec![
            RuleSource {
                path: PathBuf::from("rules/aws/guardduty/guardduty_enabled_all_regions.yaml"),
                text: GUARDDUTY_RULE.to_owned(),
                fixtures: None,
            },
            RuleSource {
                path: PathBuf::from("rules/aws/ec2/ec2_ebs_default_encryption.yaml"),
                text: EBS_RULE.to_owned(),
                fixtures: None,
            },
        ])
        .unwrap()
    }

    fn coverage(
        service: &str,
        status: vigil_inventory::CoverageStatus,
    ) -> vigil_inventory::Coverage {
        vigil_inventory::Coverage {
            service: service.into(),
            account: "111111111111".into(),
            region: "us-east-1".into(),
            status,
            reason: String::new(),
            gaps: 0,
        }
    }

    /// `vigil scan --services iam,s3` judged GuardDuty "not enabled" and EBS default
    /// encryption "off" in regions where nobody looked: a service left out of the scan
    /// is unseen, not absent.
    #[test]
    fn services_left_out_of_the_scan_are_not_judged() {
        use vigil_inventory::CoverageStatus::{Collected, Excluded};
        let region = Resource::new(
            "111111111111/us-east-1",
            "aws.region",
            "111111111111",
            "us-east-1",
        );
        let rules = region_rules();
        let excluded = Inventory::new(vec![region.clone()], vec![], vec![])
            .unwrap()
            .with_coverage(vec![
                coverage("guardduty", Excluded),
                coverage("ec2", Excluded),
            ]);
        let ctx = EvalContext::new(Arc::new(excluded), chrono::Utc::now());
        let (findings, stats) = evaluate(&rules, &ctx);
        assert!(findings.is_empty(), "{findings:?}");
        assert_eq!(stats.excluded, 2);
        assert!(
            ctx.exclusion("guardduty_enabled_all_regions", "111111111111")
                .unwrap()
                .contains("guardduty in 111111111111/us-east-1: excluded")
        );

        // Looked at and found nothing: that is a failure.
        let collected = Inventory::new(
            vec![region.with_property("ebs_encryption_by_default", json!(false))],
            vec![],
            vec![],
        )
        .unwrap()
        .with_coverage(vec![
            coverage("guardduty", Collected),
            coverage("ec2", Collected),
        ]);
        let ctx = EvalContext::new(Arc::new(collected), chrono::Utc::now());
        let (findings, stats) = evaluate(&rules, &ctx);
        assert_eq!(stats.excluded, 0);
        let statuses: Vec<Status> = findings.iter().map(|f| f.status).collect();
        assert_eq!(statuses, vec![Status::Fail, Status::Fail], "{findings:?}");
    }

    /// No budget on a CEL condition: an expensive custom rule hung `vigil scan` and
    /// `vigil rules test`. Each evaluation now has one; over it, the result is ERROR
    /// naming the rule and the resource, and after a few overruns the rule is not run
    /// again in this scan.
    #[test]
    fn an_expensive_rule_is_cut_off_by_its_budget() {
        let rule = r#"id: expensive_custom_rule
title: Walks every bucket for every bucket
severity: low
resource: aws.s3.bucket
description: A condition whose cost grows as the cube of the buckets.
rationale: None.
condition: resources(resource, "aws.s3.bucket").all(a, resources(resource, "aws.s3.bucket").all(b, resources(resource, "aws.s3.bucket").size() > 0))
caf:
  component: Preventive
  capability: Data protection
waf:
  area: Data
  practice: SEC08-BP01
epics: [data_protection]
remediation:
  text: None.
"#;
        let rules = RuleSet::from_sources(vec![RuleSource {
            path: PathBuf::from("rules/custom/expensive_custom_rule.yaml"),
            text: rule.to_owned(),
            fixtures: None,
        }])
        .unwrap();
        let buckets: Vec<Resource> = (0..400)
            .map(|i| {
                Resource::new(
                    format!("arn:aws:s3:::b{i}"),
                    "aws.s3.bucket",
                    "111111111111",
                    "us-east-1",
                )
            })
            .collect();
        let inventory = Inventory::new(buckets, vec![], vec![]).unwrap();
        let ctx = EvalContext::new(Arc::new(inventory), chrono::Utc::now())
            .with_budget(std::time::Duration::from_millis(20));
        let (findings, _) = evaluate(&rules, &ctx);
        assert_eq!(findings.len(), 400);
        assert!(findings.iter().all(|f| f.status == Status::Error));
        let reasons: Vec<&str> = findings
            .iter()
            .filter_map(|f| f.reason.as_deref())
            .collect();
        assert!(
            reasons
                .iter()
                .any(|r| r.contains("exceeded its evaluation budget of 20 ms on arn:aws:s3:::b")),
            "{:?}",
            &reasons[..3]
        );
        assert!(
            reasons.iter().filter(|r| r.starts_with("not run")).count() > 300,
            "the rule kept running after {MAX_OVERRUNS} overruns"
        );
    }
}

#[cfg(test)]
#[path = "eval_fast_path.rs"]
pub(crate) mod fast_path;
