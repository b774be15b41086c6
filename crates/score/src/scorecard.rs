//! The scorecard: CAF components and WAF areas scored from findings, and each
//! account's epic maturity (0–3) and enabler status computed from the models, each
//! with the criteria met and missing.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};
use vigil_inventory::ResourceIdx;
use vigil_rules::{CafComponent, EvalContext, Finding, Status, WafArea, evaluate_expr};

use crate::attest::Attestations;
use crate::model::{CompiledCriterion, Models, Test};

/// Findings by status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub pass: usize,
    pub fail: usize,
    pub error: usize,
    pub muted: usize,
}

impl Counts {
    fn add(&mut self, status: Status) {
        match status {
            Status::Pass => self.pass += 1,
            Status::Fail => self.fail += 1,
            Status::Error => self.error += 1,
            Status::Muted => self.muted += 1,
        }
    }

    pub fn total(&self) -> usize {
        self.pass + self.fail + self.error + self.muted
    }
}

/// One CAF component's or WAF area's score. The score weighs passes and failures by
/// severity; errors are counted, never scored as passes; muted findings are left out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AreaScore {
    pub name: String,
    pub counts: Counts,
    pub weighted_passed: u32,
    pub weighted_total: u32,
    /// 0–100, or `None` when nothing was scored.
    pub score: Option<f64>,
}

/// Whether a criterion holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Met,
    NotMet,
    /// The evidence could not be seen (a gap or an ERROR); it does not count as met.
    Unknown,
}

/// Where the evidence for a met criterion came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EvidenceKind {
    Observed,
    Declared,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CriterionResult {
    pub id: String,
    pub description: String,
    pub outcome: Outcome,
    pub evidence: EvidenceKind,
    pub detail: String,
    /// The account the deciding evidence lives in, when it is not the account scored
    /// (an organisation trail, an SCP on the root, a delegated administrator).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence_account: Option<String>,
}

/// A finding from another account of an organisation, for organisation-wide rules:
/// the daemon keeps the management account's results and hands them to the scoring
/// of every member.
#[derive(Debug, Clone)]
pub struct OrgFinding {
    pub organization_id: String,
    pub finding: Finding,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LevelResult {
    pub level: u8,
    pub summary: String,
    pub met: bool,
    pub criteria: Vec<CriterionResult>,
}

/// One epic's maturity in one account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpicScore {
    pub epic: String,
    pub title: String,
    /// 0 not addressed .. 3 enterprise-ready.
    pub level: u8,
    pub levels: Vec<LevelResult>,
    /// True when a level reached rests on at least one declaration.
    pub rests_on_declarations: bool,
    /// What the next level needs, in plain words.
    pub next_step: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum EnablerStatus {
    Unaddressed,
    Engaged,
    Completed,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnablerScore {
    pub id: String,
    pub title: String,
    pub status: EnablerStatus,
    pub engaged: Vec<CriterionResult>,
    pub completed: Vec<CriterionResult>,
    pub rests_on_declarations: bool,
    pub next_step: Option<String>,
}

/// How many of the account's data stores (buckets, volumes, databases, secrets, file
/// systems) carry a classification tag: the Directive "data classification" evidence.
/// Stores whose tags could not be read are counted apart, never as tagged.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClassificationCoverage {
    pub tagged: usize,
    pub untagged: usize,
    pub unknown: usize,
}

impl ClassificationCoverage {
    /// Tagged stores as a percentage of those whose tags were seen.
    pub fn percent(&self) -> Option<f64> {
        let seen = self.tagged + self.untagged;
        (seen > 0).then(|| (self.tagged as f64 * 1000.0 / seen as f64).round() / 10.0)
    }
}

/// The rules that judge a data store's classification tag, one per store type.
const CLASSIFICATION_RULES: &[&str] = &[
    "s3_bucket_classification_tagged",
    "ec2_volume_classification_tagged",
    "rds_db_instance_classification_tagged",
    "secretsmanager_secret_classification_tagged",
    "efs_file_system_classification_tagged",
];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountMaturity {
    pub account: String,
    pub data_classification: ClassificationCoverage,
    pub epics: Vec<EpicScore>,
    pub enablers: Vec<EnablerScore>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scorecard {
    pub caf_components: Vec<AreaScore>,
    pub waf_areas: Vec<AreaScore>,
    pub accounts: Vec<AccountMaturity>,
}

/// Scores CAF components and WAF areas from findings.
fn area_scores<K: Copy + PartialEq>(
    keys: &[K],
    name: impl Fn(K) -> String,
    key_of: impl Fn(&Finding) -> K,
    findings: &[Finding],
) -> Vec<AreaScore> {
    keys.iter()
        .map(|&k| {
            let mut counts = Counts::default();
            let (mut passed, mut total) = (0, 0);
            for f in findings.iter().filter(|f| key_of(f) == k) {
                counts.add(f.status);
                let w = f.rule.severity.weight();
                match f.status {
                    Status::Pass => {
                        passed += w;
                        total += w;
                    }
                    Status::Fail => total += w,
                    Status::Error | Status::Muted => {}
                }
            }
            AreaScore {
                name: name(k),
                counts,
                weighted_passed: passed,
                weighted_total: total,
                score: (total > 0)
                    .then(|| (f64::from(passed) * 1000.0 / f64::from(total)).round() / 10.0),
            }
        })
        .collect()
}

/// What the criteria of one account are judged against.
struct AccountEvidence<'a> {
    account: &'a str,
    statuses: HashMap<&'a str, Vec<(&'a Finding, Status)>>,
    /// Passing findings of organisation-wide rules in other accounts of this
    /// account's organisation, by rule id.
    organization: HashMap<&'a str, Vec<&'a Finding>>,
    account_resource: Option<ResourceIdx>,
    ctx: &'a EvalContext,
    attestations: &'a Attestations,
}

impl AccountEvidence<'_> {
    fn judge(&self, c: &CompiledCriterion) -> CriterionResult {
        let result = |outcome, evidence, detail: String| CriterionResult {
            id: c.id.clone(),
            description: c.description.clone(),
            outcome,
            evidence,
            detail,
            evidence_account: None,
        };
        // An organisation-wide rule that passes elsewhere in the organisation decides.
        let from_organization = |ids: &[String]| -> Option<CriterionResult> {
            let passes: Vec<&Finding> = ids
                .iter()
                .map(|id| self.organization.get(id.as_str())?.first().copied())
                .collect::<Option<_>>()?;
            let first = passes.first()?;
            let mut r = result(
                Outcome::Met,
                EvidenceKind::Observed,
                passes
                    .iter()
                    .map(|f| {
                        format!(
                            "{} passes on {} in account {}, which covers the organisation",
                            f.rule.id, f.resource.id, f.resource.account
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("; "),
            );
            r.evidence_account = Some(first.resource.account.clone());
            Some(r)
        };
        match &c.test {
            Test::RulesPass(ids) => {
                let mut problems = Vec::new();
                let (mut unknown, mut failed) = (false, false);
                for id in ids {
                    let findings = self
                        .statuses
                        .get(id.as_str())
                        .map(Vec::as_slice)
                        .unwrap_or(&[]);
                    if findings.is_empty() {
                        // A rule over a service left out of the scan was not judged:
                        // the criterion is unknown, not unmet.
                        match self.ctx.exclusion(id, self.account) {
                            Some(reason) => {
                                unknown = true;
                                problems.push(format!("{id}: {reason}"));
                            }
                            None => problems.push(format!("{id}: no resource evaluated")),
                        }
                        continue;
                    }
                    for (f, status) in findings {
                        match status {
                            Status::Pass => {}
                            Status::Error => {
                                unknown = true;
                                problems
                                    .push(format!("{id}: could not evaluate {}", f.resource.id));
                            }
                            Status::Fail | Status::Muted => {
                                failed = true;
                                problems.push(format!("{id}: fails on {}", f.resource.id));
                            }
                        }
                    }
                }
                problems.truncate(5);
                // A failure that was seen decides, whatever else could not be seen.
                if problems.is_empty() {
                    let mut r = result(
                        Outcome::Met,
                        EvidenceKind::Observed,
                        format!("{} pass", ids.join(", ")),
                    );
                    r.evidence_account = self.elsewhere(ids);
                    if let Some(account) = &r.evidence_account {
                        r.detail
                            .push_str(&format!(" (on resources that live in account {account})"));
                    }
                    r
                } else if let Some(r) = from_organization(ids) {
                    r
                } else if unknown && !failed {
                    result(
                        Outcome::Unknown,
                        EvidenceKind::Observed,
                        problems.join("; "),
                    )
                } else {
                    result(Outcome::NotMet, EvidenceKind::Observed, problems.join("; "))
                }
            }
            Test::AnyRulePasses(ids) => {
                let all: Vec<&(&Finding, Status)> = ids
                    .iter()
                    .flat_map(|id| self.statuses.get(id.as_str()).into_iter().flatten())
                    .collect();
                if let Some((f, _)) = all.iter().find(|(_, s)| *s == Status::Pass) {
                    let mut r = result(
                        Outcome::Met,
                        EvidenceKind::Observed,
                        format!("{} passes on {}", f.rule.id, f.resource.id),
                    );
                    r.evidence_account = arn_account(&f.resource.id)
                        .filter(|a| *a != self.account)
                        .map(str::to_owned);
                    r
                } else if let Some(r) = ids
                    .iter()
                    .find_map(|id| from_organization(std::slice::from_ref(id)))
                {
                    r
                } else if all.iter().any(|(_, s)| *s == Status::Error)
                    || ids
                        .iter()
                        .any(|id| self.ctx.exclusion(id, self.account).is_some())
                {
                    result(
                        Outcome::Unknown,
                        EvidenceKind::Observed,
                        format!("{}: could not evaluate", ids.join(", ")),
                    )
                } else {
                    result(
                        Outcome::NotMet,
                        EvidenceKind::Observed,
                        format!("none of {} passes", ids.join(", ")),
                    )
                }
            }
            Test::Fact(expr) => match self.account_resource {
                None => result(
                    Outcome::Unknown,
                    EvidenceKind::Observed,
                    "the account itself was not collected".into(),
                ),
                Some(idx) => match evaluate_expr(self.ctx, expr, idx) {
                    Ok(true) => result(
                        Outcome::Met,
                        EvidenceKind::Observed,
                        "observed in the inventory".into(),
                    ),
                    Ok(false) => result(
                        Outcome::NotMet,
                        EvidenceKind::Observed,
                        "not found in the inventory".into(),
                    ),
                    Err(reason) => result(Outcome::Unknown, EvidenceKind::Observed, reason),
                },
            },
            Test::Declared(key) => match self.attestations.declarations.get(key) {
                Some(d) => result(
                    Outcome::Met,
                    EvidenceKind::Declared,
                    format!("declared by {} on {}: {}", d.by, d.date, d.statement),
                ),
                None => result(
                    Outcome::NotMet,
                    EvidenceKind::Declared,
                    format!("`{key}` is not declared in the attestation file"),
                ),
            },
            Test::AnyOf(items) => {
                let results: Vec<CriterionResult> = items.iter().map(|i| self.judge(i)).collect();
                // Observed evidence is preferred: a level should rest on a declaration
                // only where nothing observed holds.
                let met = |kind| {
                    results
                        .iter()
                        .find(|r| r.outcome == Outcome::Met && r.evidence == kind)
                };
                if let Some(hit) =
                    met(EvidenceKind::Observed).or_else(|| met(EvidenceKind::Declared))
                {
                    let mut r = result(
                        Outcome::Met,
                        hit.evidence,
                        format!("{}: {}", hit.description, hit.detail),
                    );
                    r.evidence_account = hit.evidence_account.clone();
                    r
                } else {
                    let outcome = if results.iter().any(|r| r.outcome == Outcome::Unknown) {
                        Outcome::Unknown
                    } else {
                        Outcome::NotMet
                    };
                    let detail = results
                        .iter()
                        .map(|r| format!("{} ({})", r.description, r.detail))
                        .collect::<Vec<_>>()
                        .join("; or ");
                    result(outcome, EvidenceKind::Observed, detail)
                }
            }
        }
    }
}

impl AccountEvidence<'_> {
    /// The other account that the deciding resources of these rules live in, when
    /// there is exactly one and none is the account's own: an organisation trail
    /// seen from a member account, owned by the management account.
    fn elsewhere(&self, ids: &[String]) -> Option<String> {
        let mut others: HashSet<&str> = HashSet::new();
        for (f, _) in ids
            .iter()
            .flat_map(|id| self.statuses.get(id.as_str()).into_iter().flatten())
        {
            let related = f.evidence.related().iter().map(String::as_str);
            for id in std::iter::once(f.resource.id.as_str()).chain(related.clone()) {
                match arn_account(id) {
                    Some(a) if a != self.account => {
                        others.insert(a);
                    }
                    _ => {}
                }
            }
            if related.filter_map(arn_account).any(|a| a == self.account) {
                return None;
            }
        }
        match others.into_iter().collect::<Vec<_>>().as_slice() {
            [one] => Some((*one).to_owned()),
            _ => None,
        }
    }
}

/// The account field of an ARN (`arn:aws:cloudtrail:us-east-1:999988887777:trail/org`).
fn arn_account(id: &str) -> Option<&str> {
    let mut parts = id.split(':');
    (parts.next()? == "arn").then_some(())?;
    let account = parts.nth(3)?;
    (account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit())).then_some(account)
}

fn missing(criteria: &[CriterionResult]) -> String {
    criteria
        .iter()
        .filter(|c| c.outcome != Outcome::Met)
        .map(|c| {
            if c.outcome == Outcome::Unknown {
                format!("{} (could not be seen: {})", c.description, c.detail)
            } else {
                c.description.clone()
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Computes the scorecard.
pub fn score(
    findings: &[Finding],
    ctx: &EvalContext,
    models: &Models,
    attestations: &Attestations,
) -> Scorecard {
    score_in_organization(findings, ctx, models, attestations, &[])
}

/// The account's organisation id, from its `aws.account` node.
fn organization_of(ctx: &EvalContext, account: &str) -> Option<String> {
    let inventory = ctx.inventory();
    let idx = *inventory
        .of_type_in_account(account, "aws.account")
        .first()?;
    inventory
        .resource(idx)
        .properties
        .pointer("/organization/id")?
        .as_str()
        .map(str::to_owned)
}

/// Computes the scorecard, letting organisation-wide rules that pass in one account
/// of an organisation count for every account of it: those in `findings` (several
/// accounts scanned together) and those in `elsewhere` (results kept from earlier
/// scans of other accounts, such as the management account).
pub fn score_in_organization(
    findings: &[Finding],
    ctx: &EvalContext,
    models: &Models,
    attestations: &Attestations,
    elsewhere: &[OrgFinding],
) -> Scorecard {
    let caf_components = area_scores(
        &CafComponent::ALL,
        |c| c.as_str().to_owned(),
        |f| f.rule.caf.component,
        findings,
    );
    let waf_areas = area_scores(
        &WafArea::ALL,
        |a| a.title().to_owned(),
        |f| f.rule.waf.area,
        findings,
    );
    let inventory = ctx.inventory();
    let mut accounts: Vec<String> = inventory.accounts();
    for f in findings {
        if !accounts.contains(&f.resource.account) {
            accounts.push(f.resource.account.clone());
        }
    }
    accounts.sort();
    let accounts = accounts
        .into_iter()
        .map(|account| {
            let mut statuses: HashMap<&str, Vec<(&Finding, Status)>> = HashMap::new();
            for f in findings.iter().filter(|f| f.resource.account == account) {
                statuses
                    .entry(f.rule.id.as_str())
                    .or_default()
                    .push((f, f.status));
            }
            let organization_id = organization_of(ctx, &account);
            let mut organization: HashMap<&str, Vec<&Finding>> = HashMap::new();
            if let Some(org) = &organization_id {
                let same_org = |f: &Finding| {
                    f.resource.account != account
                        && f.status == Status::Pass
                        && f.rule.organization_wide
                };
                let here = findings.iter().filter(|f| {
                    same_org(f) && organization_of(ctx, &f.resource.account).as_deref() == Some(org)
                });
                let kept = elsewhere
                    .iter()
                    .filter(|o| &o.organization_id == org && same_org(&o.finding))
                    .map(|o| &o.finding);
                for f in here.chain(kept) {
                    organization.entry(f.rule.id.as_str()).or_default().push(f);
                }
            }
            let evidence = AccountEvidence {
                account: &account,
                organization,
                statuses,
                account_resource: inventory
                    .of_type_in_account(&account, "aws.account")
                    .first()
                    .copied(),
                ctx,
                attestations,
            };
            let epics = models
                .epics
                .iter()
                .map(|(epic, levels)| {
                    let results: Vec<LevelResult> = levels
                        .iter()
                        .map(|l| {
                            let criteria: Vec<CriterionResult> =
                                l.criteria.iter().map(|c| evidence.judge(c)).collect();
                            LevelResult {
                                level: l.level,
                                summary: l.summary.clone(),
                                met: criteria.iter().all(|c| c.outcome == Outcome::Met),
                                criteria,
                            }
                        })
                        .collect();
                    let level = results.iter().take_while(|l| l.met).count() as u8;
                    let rests_on_declarations = results
                        .iter()
                        .take(level as usize)
                        .flat_map(|l| &l.criteria)
                        .any(|c| c.evidence == EvidenceKind::Declared);
                    let next_step = results.get(level as usize).map(|next| {
                        format!(
                            "for level {} ({}): {}",
                            next.level,
                            next.summary,
                            missing(&next.criteria)
                        )
                    });
                    EpicScore {
                        epic: epic.id().to_owned(),
                        title: epic.title().to_owned(),
                        level,
                        levels: results,
                        rests_on_declarations,
                        next_step,
                    }
                })
                .collect();
            let enablers = models
                .enablers
                .iter()
                .map(|e| {
                    let engaged: Vec<CriterionResult> =
                        e.engaged.iter().map(|c| evidence.judge(c)).collect();
                    let completed: Vec<CriterionResult> =
                        e.completed.iter().map(|c| evidence.judge(c)).collect();
                    let is_engaged = engaged.iter().all(|c| c.outcome == Outcome::Met);
                    let is_completed =
                        is_engaged && completed.iter().all(|c| c.outcome == Outcome::Met);
                    let status = if is_completed {
                        EnablerStatus::Completed
                    } else if is_engaged {
                        EnablerStatus::Engaged
                    } else {
                        EnablerStatus::Unaddressed
                    };
                    let counted: Vec<&CriterionResult> = match status {
                        EnablerStatus::Completed => engaged.iter().chain(&completed).collect(),
                        EnablerStatus::Engaged => engaged.iter().collect(),
                        EnablerStatus::Unaddressed => Vec::new(),
                    };
                    let next_step = match status {
                        EnablerStatus::Unaddressed => {
                            Some(format!("to be Engaged: {}", missing(&engaged)))
                        }
                        EnablerStatus::Engaged => {
                            Some(format!("to be Completed: {}", missing(&completed)))
                        }
                        EnablerStatus::Completed => None,
                    };
                    EnablerScore {
                        id: e.id.clone(),
                        title: e.title.clone(),
                        status,
                        rests_on_declarations: counted
                            .iter()
                            .any(|c| c.evidence == EvidenceKind::Declared),
                        engaged,
                        completed,
                        next_step,
                    }
                })
                .collect();
            let mut data_classification = ClassificationCoverage::default();
            for f in findings.iter().filter(|f| {
                f.resource.account == account && CLASSIFICATION_RULES.contains(&f.rule.id.as_str())
            }) {
                match f.status {
                    Status::Pass => data_classification.tagged += 1,
                    Status::Fail | Status::Muted => data_classification.untagged += 1,
                    Status::Error => data_classification.unknown += 1,
                }
            }
            AccountMaturity {
                data_classification,
                account,
                epics,
                enablers,
            }
        })
        .collect();
    Scorecard {
        caf_components,
        waf_areas,
        accounts,
    }
}
