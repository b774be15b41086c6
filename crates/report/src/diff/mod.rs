//! `vigil diff OLD NEW`: what changed between two saved scans — findings that are new
//! (failing now, not before), resolved (failing before, passing now or their resource
//! gone), changed (status, severity or evidence) or not evaluated by the new scan;
//! resources added, removed or modified (with the changed paths, secrets masked); and
//! the epic maturity, enabler and area scores that moved.
//!
//! Findings are matched by uid (rule + resource). Only accounts both scans hold are
//! compared; the others are named in the notes. A finding the new scan did not make is
//! resolved only when the new scan looked: it evaluated the rule, collected the
//! resource's service in that account and region, and (version 2 files) no longer saw
//! the resource. Anything else is "not evaluated" — never judged on what was not seen.

pub mod json;
pub mod render;
mod scores;
mod seen;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use thiserror::Error;
use vigil_rules::{Evidence, RuleFile, Severity, Status};

use crate::saved::{SAVED_SCAN_FORMAT_V1, SavedFinding, SavedResource, SavedScan};
use json::FieldChange;
pub use scores::{AreaChange, EnablerChange, LevelChange, ScoreChanges};
use seen::Seen;

/// Format marker of `vigil diff --format json`.
pub const DIFF_FORMAT: &str = "vigil.diff/v1";

/// Why two saved scans cannot be compared.
#[derive(Debug, Error)]
pub enum DiffError {
    #[error(
        "the scans are in different formats (OLD {old}, NEW {new}): write both with the same Vigil (`vigil scan --format scan`) to compare them"
    )]
    Formats { old: String, new: String },
    #[error("the scans have no account in common (OLD: {old}; NEW: {new}): nothing to compare")]
    NoCommonAccount { old: String, new: String },
}

/// Everything `vigil diff` reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(title = "Vigil scan diff")]
pub struct ScanDiff {
    /// [`DIFF_FORMAT`].
    pub format: String,
    pub old: ScanSide,
    pub new: ScanSide,
    pub accounts: AccountSets,
    pub summary: DiffSummary,
    pub findings: FindingChanges,
    /// `null` when a file is `vigil.scan/v1`, which holds no per-resource data.
    pub resources: Option<ResourceChanges>,
    pub scores: ScoreChanges,
    /// What the reader must know: accounts only one side has, resources not compared.
    pub notes: Vec<String>,
}

/// One of the two scans.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ScanSide {
    pub scan_id: String,
    pub finished_at: DateTime<Utc>,
    /// The saved scan's format (`vigil.scan/v2`).
    pub format: String,
    pub accounts: Vec<String>,
    pub findings: usize,
}

/// Which accounts were compared.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AccountSets {
    /// Compared.
    pub common: Vec<String>,
    /// Scanned only by OLD: left out of the comparison.
    pub only_old: Vec<String>,
    /// Scanned only by NEW: left out of the comparison.
    pub only_new: Vec<String>,
}

/// The counts, for a glance and for CI.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DiffSummary {
    pub new: usize,
    pub resolved: usize,
    pub changed: usize,
    pub not_evaluated: usize,
    /// Findings in both scans with the same status, severity and evidence.
    pub unchanged: usize,
    /// Findings only NEW has that are not failing (a new resource's passes).
    pub appeared_not_failing: usize,
    /// Findings OLD had, not failing, on resources NEW saw removed.
    pub gone_not_failing: usize,
    pub resources_added: usize,
    pub resources_removed: usize,
    pub resources_modified: usize,
    pub resources_not_seen: usize,
}

/// The findings that differ, by kind.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct FindingChanges {
    /// FAIL in NEW, and absent or not FAIL in OLD.
    pub new: Vec<FindingDelta>,
    /// FAIL in OLD; in NEW passing, or its resource removed.
    pub resolved: Vec<FindingDelta>,
    /// In both (or appearing as ERROR or MUTED), with another status, severity or
    /// evidence, and neither new nor resolved.
    pub changed: Vec<FindingDelta>,
    /// In OLD, not made by NEW, and NEW did not look (`why` says how).
    pub not_evaluated: Vec<FindingDelta>,
}

/// One finding's change. `old` or `new` is absent when that scan did not make it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct FindingDelta {
    pub uid: String,
    pub rule: String,
    pub title: String,
    /// NEW's severity when NEW has the finding, else OLD's.
    pub severity: Severity,
    pub resource: String,
    pub resource_type: String,
    pub account: String,
    pub region: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old: Option<FindingState>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new: Option<FindingState>,
    /// What differs: `status`, `severity`, `evidence`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aspects: Vec<String>,
    /// For resolved and not evaluated findings: why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub why: Option<String>,
    /// Evidence paths that differ (JSON Pointers into the evidence), secrets masked.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<FieldChange>,
}

/// A finding as one scan saw it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct FindingState {
    #[schemars(with = "String")]
    pub status: Status,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
    pub muted_status: Option<Status>,
    pub severity: Severity,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Resources that differ.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ResourceChanges {
    pub added: Vec<ResourceEntry>,
    /// Gone from a service, account and region NEW collected.
    pub removed: Vec<ResourceEntry>,
    pub modified: Vec<ResourceEntry>,
    /// In OLD, absent from NEW, where NEW did not collect: not judged removed.
    pub not_seen: Vec<ResourceEntry>,
}

/// One resource that differs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ResourceEntry {
    pub id: String,
    #[serde(rename = "type")]
    pub resource_type: String,
    pub account: String,
    pub region: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// For a modified resource: each changed path of its snapshot document
    /// (`/properties/...`, `/tags/...`, `/name`), secrets masked.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldChange>,
    /// For an added resource OLD did not collect, or one NEW did not see: why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub why: Option<String>,
}

impl ResourceEntry {
    fn of(r: &SavedResource) -> ResourceEntry {
        ResourceEntry {
            id: r.id.clone(),
            resource_type: r.resource_type.clone(),
            account: r.account.clone(),
            region: r.region.clone(),
            name: r.name.clone(),
            fields: Vec::new(),
            why: None,
        }
    }
}

impl ScanDiff {
    /// Compares two saved scans. Refuses scans in different formats, and scans with
    /// no account in common.
    pub fn new(old: &SavedScan, new: &SavedScan) -> Result<ScanDiff, DiffError> {
        if old.format != new.format {
            return Err(DiffError::Formats {
                old: old.format.clone(),
                new: new.format.clone(),
            });
        }
        let accounts = account_sets(&old.facts.accounts, &new.facts.accounts);
        if accounts.common.is_empty() {
            return Err(DiffError::NoCommonAccount {
                old: old.facts.accounts.join(", "),
                new: new.facts.accounts.join(", "),
            });
        }
        let mut notes = Vec::new();
        if !accounts.only_old.is_empty() {
            notes.push(format!(
                "accounts only in OLD, not compared: {}",
                accounts.only_old.join(", ")
            ));
        }
        if !accounts.only_new.is_empty() {
            notes.push(format!(
                "accounts only in NEW, not compared: {}",
                accounts.only_new.join(", ")
            ));
        }
        let common: BTreeSet<&str> = accounts.common.iter().map(String::as_str).collect();
        let resources = match (&old.resources, &new.resources) {
            (Some(a), Some(b)) if old.format != SAVED_SCAN_FORMAT_V1 => Some((a, b)),
            _ => {
                notes.push(format!(
                    "resources not compared: {} files hold no per-resource data; write both scans again with `vigil scan --format scan` to compare them",
                    old.format
                ));
                None
            }
        };
        let seen_by_new = Seen::of(new, "NEW");
        let seen_by_old = Seen::of(old, "OLD");
        let new_resource_ids: Option<BTreeSet<&str>> =
            resources.map(|(_, b)| b.iter().map(|r| r.id.as_str()).collect());

        let mut summary = DiffSummary::default();
        let findings = compare_findings(
            old,
            new,
            &common,
            &seen_by_new,
            new_resource_ids.as_ref(),
            &mut summary,
        );
        let resources = resources.map(|(a, b)| {
            compare_resources(a, b, &common, &seen_by_old, &seen_by_new, &mut summary)
        });
        summary.new = findings.new.len();
        summary.resolved = findings.resolved.len();
        summary.changed = findings.changed.len();
        summary.not_evaluated = findings.not_evaluated.len();
        let scores = scores::compare(&old.scorecard, &new.scorecard, &common);
        Ok(ScanDiff {
            format: DIFF_FORMAT.to_owned(),
            old: side(old),
            new: side(new),
            accounts,
            summary,
            findings,
            resources,
            scores,
            notes,
        })
    }

    /// New FAIL findings at or above `min` (all when `None`): what `--fail-on new`
    /// gates on.
    pub fn new_failures(&self, min: Option<Severity>) -> usize {
        self.findings
            .new
            .iter()
            .filter(|f| min.is_none_or(|m| f.severity >= m))
            .count()
    }

    /// Whether anything at all differs: what `--fail-on any` gates on.
    pub fn has_changes(&self) -> bool {
        let s = &self.summary;
        s.new
            + s.resolved
            + s.changed
            + s.resources_added
            + s.resources_removed
            + s.resources_modified
            > 0
            || !self.scores.is_empty()
    }
}

fn side(scan: &SavedScan) -> ScanSide {
    ScanSide {
        scan_id: scan.scan.scan_id.clone(),
        finished_at: scan.scan.finished_at,
        format: scan.format.clone(),
        accounts: scan.facts.accounts.clone(),
        findings: scan.findings.len(),
    }
}

fn account_sets(old: &[String], new: &[String]) -> AccountSets {
    let old: BTreeSet<&String> = old.iter().collect();
    let new: BTreeSet<&String> = new.iter().collect();
    AccountSets {
        common: old.intersection(&new).map(|a| (*a).clone()).collect(),
        only_old: old.difference(&new).map(|a| (*a).clone()).collect(),
        only_new: new.difference(&old).map(|a| (*a).clone()).collect(),
    }
}

/// A scan's findings by uid, with their rules; only those of `accounts`.
struct Indexed<'a> {
    rules: HashMap<&'a str, &'a RuleFile>,
    findings: BTreeMap<String, &'a SavedFinding>,
}

impl<'a> Indexed<'a> {
    fn of(scan: &'a SavedScan, accounts: &BTreeSet<&str>) -> Indexed<'a> {
        Indexed {
            rules: scan.rules.iter().map(|r| (r.id.as_str(), r)).collect(),
            findings: scan
                .findings
                .iter()
                .filter(|f| accounts.contains(f.resource.account.as_str()))
                .map(|f| (uid(f), f))
                .collect(),
        }
    }

    fn state(&self, f: &SavedFinding) -> FindingState {
        FindingState {
            status: f.status,
            muted_status: f.muted_status,
            severity: self.severity(&f.rule),
            reason: f.reason.clone(),
        }
    }

    fn severity(&self, rule: &str) -> Severity {
        self.rules
            .get(rule)
            .map_or(Severity::Informational, |r| r.severity)
    }

    fn title(&self, rule: &str) -> String {
        self.rules
            .get(rule)
            .map_or_else(|| rule.to_owned(), |r| r.title.clone())
    }
}

/// The uid a scan gives this finding (`Finding::uid`).
fn uid(f: &SavedFinding) -> String {
    format!("vigil:{}:{}", f.rule, f.resource.id)
}

fn delta(
    f: &SavedFinding,
    index: &Indexed<'_>,
    old: Option<FindingState>,
    new: Option<FindingState>,
) -> FindingDelta {
    let severity = new
        .as_ref()
        .or(old.as_ref())
        .map_or(Severity::Informational, |s| s.severity);
    FindingDelta {
        uid: uid(f),
        rule: f.rule.clone(),
        title: index.title(&f.rule),
        severity,
        resource: f.resource.id.clone(),
        resource_type: f.resource.resource_type.clone(),
        account: f.resource.account.clone(),
        region: f.resource.region.clone(),
        old,
        new,
        aspects: Vec::new(),
        why: None,
        evidence: Vec::new(),
    }
}

fn evidence_changes(old: &Evidence, new: &Evidence) -> Vec<FieldChange> {
    let as_json = |e: &Evidence| serde_json::to_value(e).unwrap_or(serde_json::Value::Null);
    json::diff(&as_json(old), &as_json(new))
}

fn compare_findings(
    old: &SavedScan,
    new: &SavedScan,
    common: &BTreeSet<&str>,
    seen_by_new: &Seen<'_>,
    new_resources: Option<&BTreeSet<&str>>,
    summary: &mut DiffSummary,
) -> FindingChanges {
    let before = Indexed::of(old, common);
    let after = Indexed::of(new, common);
    let mut out = FindingChanges::default();
    for (uid, f) in &after.findings {
        let now = after.state(f);
        let Some(was_finding) = before.findings.get(uid) else {
            match f.status {
                Status::Fail => out.new.push(delta(f, &after, None, Some(now))),
                Status::Pass => summary.appeared_not_failing += 1,
                _ => {
                    let mut d = delta(f, &after, None, Some(now));
                    d.aspects.push("status".into());
                    out.changed.push(d);
                }
            }
            continue;
        };
        let was = before.state(was_finding);
        let evidence = evidence_changes(&was_finding.evidence, &f.evidence);
        let mut aspects = Vec::new();
        if (was.status, was.muted_status) != (now.status, now.muted_status) {
            aspects.push("status".to_owned());
        }
        if was.severity != now.severity {
            aspects.push("severity".to_owned());
        }
        if !evidence.is_empty() {
            aspects.push("evidence".to_owned());
        }
        let mut d = delta(f, &after, Some(was.clone()), Some(now.clone()));
        d.aspects = aspects;
        d.evidence = evidence;
        if now.status == Status::Fail && was.status != Status::Fail {
            out.new.push(d);
        } else if was.status == Status::Fail && now.status == Status::Pass {
            d.why = Some("passing".to_owned());
            out.resolved.push(d);
        } else if d.aspects.is_empty() {
            summary.unchanged += 1;
        } else {
            out.changed.push(d);
        }
    }
    for (uid, f) in &before.findings {
        if after.findings.contains_key(uid) {
            continue;
        }
        let was = before.state(f);
        let removed = match new_resources {
            Some(ids) => !ids.contains(f.resource.id.as_str()),
            // A version 1 file cannot tell; the new scan looked and made no finding.
            None => true,
        };
        let why_not = seen_by_new
            .why_not(
                &f.rule,
                &f.resource.resource_type,
                &f.resource.account,
                &f.resource.region,
            )
            .or_else(|| {
                (!removed).then(|| {
                    "NEW saw the resource but made no finding of this rule on it".to_owned()
                })
            });
        let mut d = delta(f, &before, Some(was), None);
        match why_not {
            Some(why) => {
                d.why = Some(why);
                out.not_evaluated.push(d);
            }
            None if f.status == Status::Fail => {
                d.why = Some(if new_resources.is_some() {
                    "resource removed".to_owned()
                } else {
                    "no longer reported".to_owned()
                });
                out.resolved.push(d);
            }
            None => summary.gone_not_failing += 1,
        }
    }
    out
}

fn compare_resources(
    old: &[SavedResource],
    new: &[SavedResource],
    common: &BTreeSet<&str>,
    seen_by_old: &Seen<'_>,
    seen_by_new: &Seen<'_>,
    summary: &mut DiffSummary,
) -> ResourceChanges {
    let index = |list: &[SavedResource]| -> BTreeMap<String, usize> {
        list.iter()
            .enumerate()
            .filter(|(_, r)| common.contains(r.account.as_str()))
            .map(|(i, r)| (r.id.clone(), i))
            .collect()
    };
    let (before, after) = (index(old), index(new));
    let mut out = ResourceChanges::default();
    for (id, &i) in &after {
        let now = &new[i];
        match before.get(id) {
            None => {
                let mut entry = ResourceEntry::of(now);
                entry.why =
                    seen_by_old.why_not_collected(&now.resource_type, &now.account, &now.region);
                out.added.push(entry);
            }
            Some(&j) if old[j].hash != now.hash => {
                let mut entry = ResourceEntry::of(now);
                entry.fields = json::diff(&old[j].document(), &now.document());
                out.modified.push(entry);
            }
            Some(_) => {}
        }
    }
    for (id, &j) in &before {
        if after.contains_key(id) {
            continue;
        }
        let was = &old[j];
        let mut entry = ResourceEntry::of(was);
        match seen_by_new.why_not_collected(&was.resource_type, &was.account, &was.region) {
            Some(why) => {
                entry.why = Some(why);
                out.not_seen.push(entry);
            }
            None => out.removed.push(entry),
        }
    }
    summary.resources_added = out.added.len();
    summary.resources_removed = out.removed.len();
    summary.resources_modified = out.modified.len();
    summary.resources_not_seen = out.not_seen.len();
    out
}

/// The diff's JSON Schema, pretty-printed, as committed at
/// `docs/schemas/diff.schema.json`.
pub fn diff_schema() -> String {
    let schema = schemars::schema_for!(ScanDiff);
    let mut text = serde_json::to_string_pretty(&schema).expect("schema serialises");
    text.push('\n');
    text
}

#[cfg(test)]
mod tests;
