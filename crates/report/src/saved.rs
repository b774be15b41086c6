//! The saved scan (`vigil scan --format scan -o scan.json`): everything the reports
//! need in one JSON file — the scan's facts (accounts, regions, coverage, gaps, the
//! inventory by type), the rules as evaluated, every finding with its evidence, the
//! scorecard and the attestations it was scored with — so that `vigil report` renders
//! any format later, on another machine, without AWS access and without rescanning.
//!
//! Rules are stored once and findings point at them by id, which keeps a 50,000-finding
//! scan to the size of its evidence rather than 50,000 copies of the rule text. The
//! rules travel with the scan (not looked up in the reader's rule pack) so a report
//! says what the scanning Vigil checked, even after rules change.
//!
//! Version 2 adds every resource the scan saw, with its properties and their hash, so
//! that `vigil diff` can say which resources changed and how. Version 1 files are
//! still read (every report renders from them); only a comparison of resources needs
//! version 2, and [`SavedScan::resources`] says so when a file lacks them.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::{Read, Write};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use thiserror::Error;
use vigil_inventory::{Inventory, Resource};
use vigil_rules::{Evidence, Finding, ResourceRef, RuleFile, Status};
use vigil_score::{Attestations, Scorecard};

use crate::coverage::AccountCoverage;
use crate::diff::json::{canonical_json, sha256_hex};
use crate::ocsf::ScanInfo;
use crate::summary::SummaryInfo;

/// Format marker of the saved scans this Vigil writes.
pub const SAVED_SCAN_FORMAT: &str = "vigil.scan/v2";
/// The first format, without per-resource data; still read.
pub const SAVED_SCAN_FORMAT_V1: &str = "vigil.scan/v1";

/// Facts about the scan that findings do not carry.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ScanFacts {
    pub accounts: Vec<String>,
    pub regions: Vec<String>,
    pub resources: usize,
    pub rules: usize,
    pub evaluations: usize,
    /// Evaluations not made because their service was left out of the scan.
    pub excluded_evaluations: usize,
    /// Collection gaps, one line each.
    pub gaps: Vec<String>,
    pub coverage: Vec<AccountCoverage>,
    /// Expired mutelist entries, one line each.
    pub expired_mutes: Vec<String>,
    /// Resources by type, most numerous first.
    pub inventory: Vec<TypeCount>,
}

/// How many resources of one type the scan saw, and where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TypeCount {
    #[serde(rename = "type")]
    pub resource_type: String,
    pub service: String,
    pub count: usize,
    /// Per account.
    pub accounts: BTreeMap<String, usize>,
}

impl ScanFacts {
    /// Accounts, regions and resources by type, read off the inventory.
    pub fn from_inventory(inventory: &Inventory) -> ScanFacts {
        let mut regions = BTreeSet::new();
        let mut types: BTreeMap<&str, TypeCount> = BTreeMap::new();
        for r in inventory.resources() {
            regions.insert(r.region.clone());
            let entry = types
                .entry(r.resource_type.as_str())
                .or_insert_with(|| TypeCount {
                    resource_type: r.resource_type.clone(),
                    service: service_of(&r.resource_type).to_owned(),
                    count: 0,
                    accounts: BTreeMap::new(),
                });
            entry.count += 1;
            *entry.accounts.entry(r.account.clone()).or_default() += 1;
        }
        let mut inventory_counts: Vec<TypeCount> = types.into_values().collect();
        inventory_counts.sort_by(|a, b| {
            b.count
                .cmp(&a.count)
                .then(a.resource_type.cmp(&b.resource_type))
        });
        ScanFacts {
            accounts: inventory.accounts(),
            regions: regions.into_iter().collect(),
            resources: inventory.len(),
            inventory: inventory_counts,
            ..ScanFacts::default()
        }
    }

    /// The terminal summary's input.
    pub fn summary_info(&self, top_failures: usize) -> SummaryInfo {
        SummaryInfo {
            resources: self.resources,
            rules: self.rules,
            evaluations: self.evaluations,
            gaps: self.gaps.clone(),
            coverage: self.coverage.clone(),
            excluded_evaluations: self.excluded_evaluations,
            expired_mutes: self.expired_mutes.clone(),
            top_failures,
        }
    }
}

/// The service a resource type belongs to, for the report's service filter: the
/// collector's name where the catalogue knows the type, else the type's middle part.
pub fn service_of(resource_type: &str) -> &str {
    vigil_inventory::service_of_type(resource_type)
        .or_else(|| resource_type.split('.').nth(1))
        .unwrap_or(resource_type)
}

/// One finding as saved: its rule by id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedFinding {
    pub rule: String,
    pub resource: ResourceRef,
    pub status: Status,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub muted_status: Option<Status>,
    #[serde(default)]
    pub evidence: Evidence,
}

/// One resource as saved: what the snapshot held for it, and the SHA-256 of its
/// canonical snapshot document (keys sorted), the same hash the store's drift keeps,
/// so that an unchanged resource is told by its hash without reading its properties.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedResource {
    pub id: String,
    #[serde(rename = "type")]
    pub resource_type: String,
    pub account: String,
    pub region: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
    #[serde(default)]
    pub properties: vigil_inventory::Value,
    /// Lowercase hex SHA-256 of the canonical snapshot document.
    pub hash: String,
}

impl SavedResource {
    pub fn from_resource(resource: &Resource) -> SavedResource {
        let mut saved = SavedResource {
            id: resource.id.clone(),
            resource_type: resource.resource_type.clone(),
            account: resource.account.clone(),
            region: resource.region.clone(),
            name: resource.name.clone(),
            tags: resource.tags.clone(),
            properties: resource.properties.clone(),
            hash: String::new(),
        };
        saved.hash = sha256_hex(&canonical_json(&saved.document()));
        saved
    }

    /// The resource as a snapshot file writes it: what the hash covers and what a
    /// changed path points into (`/name`, `/tags/owner`, `/properties/...`).
    pub fn document(&self) -> serde_json::Value {
        let mut doc = serde_json::json!({
            "id": self.id,
            "type": self.resource_type,
            "account": self.account,
            "region": self.region,
            "properties": self.properties,
        });
        if let Some(name) = &self.name {
            doc["name"] = name.clone().into();
        }
        if !self.tags.is_empty() {
            doc["tags"] = serde_json::json!(self.tags);
        }
        doc
    }
}

/// A whole scan, as `vigil report` reads it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedScan {
    /// [`SAVED_SCAN_FORMAT`].
    pub format: String,
    pub scan: ScanInfo,
    pub facts: ScanFacts,
    pub scorecard: Scorecard,
    #[serde(default)]
    pub attestations: Attestations,
    /// Every rule the scan evaluated, findings or not: a compliance requirement whose
    /// rules found no resource is "not applicable", not "not covered".
    pub rules: Vec<RuleFile>,
    pub findings: Vec<SavedFinding>,
    /// Every resource the scan saw (version 2 on); `None` in a version 1 file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<Vec<SavedResource>>,
}

/// Why a saved scan could not be read.
#[derive(Debug, Error)]
pub enum SavedScanError {
    #[error(
        "not a saved Vigil scan ({SAVED_SCAN_FORMAT} or {SAVED_SCAN_FORMAT_V1}; write one with `vigil scan --format scan`): {0}"
    )]
    Json(#[from] serde_json::Error),
    #[error(
        "format `{0}` is neither {SAVED_SCAN_FORMAT} nor {SAVED_SCAN_FORMAT_V1}; write it with `vigil scan --format scan`"
    )]
    Format(String),
    #[error(
        "this saved scan is {format}, which holds no per-resource data (resources and their properties); write the scan again with `vigil scan --format scan` of Vigil {} or later to compare resources",
        env!("CARGO_PKG_VERSION")
    )]
    NoResources { format: String },
    #[error("finding {index} names rule `{rule}`, which the saved scan does not hold")]
    UnknownRule { index: usize, rule: String },
}

impl SavedScan {
    /// Gathers a finished scan. `rules` is every rule evaluated, `resources` every
    /// resource seen; `None` writes version 1 (a version 1 file rendered again).
    pub fn new(
        scan: ScanInfo,
        facts: ScanFacts,
        scorecard: Scorecard,
        attestations: Attestations,
        rules: Vec<RuleFile>,
        findings: &[Finding],
        resources: Option<Vec<SavedResource>>,
    ) -> SavedScan {
        let mut rules = rules;
        // A finding of a rule not in the list (a caller that passed only some) still
        // keeps its rule.
        let known: BTreeSet<String> = rules.iter().map(|r| r.id.clone()).collect();
        let mut extra: BTreeMap<&str, &RuleFile> = BTreeMap::new();
        for f in findings {
            if !known.contains(&f.rule.id) {
                extra.insert(&f.rule.id, &f.rule);
            }
        }
        rules.extend(extra.into_values().cloned());
        SavedScan {
            format: if resources.is_some() {
                SAVED_SCAN_FORMAT
            } else {
                SAVED_SCAN_FORMAT_V1
            }
            .to_owned(),
            scan,
            facts,
            scorecard,
            attestations,
            rules,
            findings: findings
                .iter()
                .map(|f| SavedFinding {
                    rule: f.rule.id.clone(),
                    resource: (*f.resource).clone(),
                    status: f.status,
                    reason: f.reason.clone(),
                    muted_status: f.muted_status,
                    evidence: f.evidence.clone(),
                })
                .collect(),
            resources,
        }
    }

    /// Writes compact JSON (the file is for programs; `jq` shows it to people).
    pub fn write(&self, mut w: impl Write) -> std::io::Result<()> {
        serde_json::to_writer(&mut w, self)?;
        w.write_all(b"\n")?;
        w.flush()
    }

    /// Reads and checks the format marker: version 2, or version 1 (without
    /// resources).
    pub fn read(reader: impl Read) -> Result<SavedScan, SavedScanError> {
        let saved: SavedScan = serde_json::from_reader(std::io::BufReader::new(reader))?;
        match saved.format.as_str() {
            SAVED_SCAN_FORMAT | SAVED_SCAN_FORMAT_V1 => Ok(saved),
            _ => Err(SavedScanError::Format(saved.format)),
        }
    }

    /// Every resource the scan saw, or why the file cannot say.
    pub fn resources(&self) -> Result<&[SavedResource], SavedScanError> {
        match &self.resources {
            Some(resources) if self.format != SAVED_SCAN_FORMAT_V1 => Ok(resources),
            _ => Err(SavedScanError::NoResources {
                format: self.format.clone(),
            }),
        }
    }

    /// The findings again, sharing one rule and one resource between the findings
    /// that have them in common, as a scan makes them.
    pub fn findings(&self) -> Result<Vec<Finding>, SavedScanError> {
        let rules: HashMap<&str, Arc<RuleFile>> = self
            .rules
            .iter()
            .map(|r| (r.id.as_str(), Arc::new(r.clone())))
            .collect();
        let mut resources: HashMap<&str, Arc<ResourceRef>> = HashMap::new();
        self.findings
            .iter()
            .enumerate()
            .map(|(index, f)| {
                let rule = rules
                    .get(f.rule.as_str())
                    .ok_or_else(|| SavedScanError::UnknownRule {
                        index,
                        rule: f.rule.clone(),
                    })?
                    .clone();
                let resource = resources
                    .entry(f.resource.id.as_str())
                    .or_insert_with(|| Arc::new(f.resource.clone()))
                    .clone();
                Ok(Finding {
                    rule,
                    resource,
                    status: f.status,
                    reason: f.reason.clone(),
                    muted_status: f.muted_status,
                    evidence: f.evidence.clone(),
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{finding, muted, rule, scan};

    fn card() -> Scorecard {
        Scorecard {
            caf_components: Vec::new(),
            waf_areas: Vec::new(),
            accounts: Vec::new(),
        }
    }

    #[test]
    fn a_saved_scan_reads_back_to_the_same_findings() {
        let findings = vec![finding(Status::Fail), muted(Status::Error)];
        let mut other = rule();
        other.id = "s3_unused_rule".into();
        let saved = SavedScan::new(
            scan("scan-1"),
            ScanFacts {
                resources: 1,
                ..ScanFacts::default()
            },
            card(),
            Attestations::default(),
            vec![other],
            &findings,
            Some(vec![SavedResource::from_resource(&Resource::new(
                "arn:aws:s3:::b",
                "aws.s3.bucket",
                "123456789012",
                "us-east-1",
            ))]),
        );
        // The rule with no finding is kept, and the findings' rule was added once.
        assert_eq!(saved.rules.len(), 2);
        let mut bytes = Vec::new();
        saved.write(&mut bytes).unwrap();
        let back = SavedScan::read(bytes.as_slice()).unwrap();
        assert_eq!(back, saved);
        let again = back.findings().unwrap();
        assert_eq!(again.len(), 2);
        assert_eq!(again[0].uid(), findings[0].uid());
        assert_eq!(again[1].status, Status::Muted);
        assert_eq!(again[1].muted_status, Some(Status::Error));
        assert_eq!(*again[0].rule, *findings[0].rule);
        assert!(Arc::ptr_eq(&again[0].resource, &again[1].resource));
    }

    #[test]
    fn another_format_or_a_missing_rule_is_refused() {
        let mut saved = SavedScan::new(
            scan("scan-1"),
            ScanFacts::default(),
            card(),
            Attestations::default(),
            Vec::new(),
            &[finding(Status::Pass)],
            Some(Vec::new()),
        );
        saved.format = "vigil.snapshot/v1".into();
        let mut bytes = Vec::new();
        saved.write(&mut bytes).unwrap();
        let error = SavedScan::read(bytes.as_slice()).unwrap_err().to_string();
        assert!(error.contains("vigil.snapshot/v1"), "{error}");

        saved.format = SAVED_SCAN_FORMAT.into();
        saved.rules.clear();
        let error = saved.findings().unwrap_err().to_string();
        assert!(
            error.contains("s3_bucket_secure_transport_required"),
            "{error}"
        );
    }

    #[test]
    fn a_version_1_file_is_read_but_says_it_holds_no_resources() {
        let mut saved = SavedScan::new(
            scan("scan-1"),
            ScanFacts::default(),
            card(),
            Attestations::default(),
            Vec::new(),
            &[finding(Status::Fail)],
            Some(Vec::new()),
        );
        assert!(saved.resources().unwrap().is_empty());
        assert_eq!(saved.format, SAVED_SCAN_FORMAT);
        saved.format = SAVED_SCAN_FORMAT_V1.into();
        saved.resources = None;
        // Without resources, a scan is written as version 1.
        let again = SavedScan::new(
            scan("scan-1"),
            ScanFacts::default(),
            card(),
            Attestations::default(),
            Vec::new(),
            &[finding(Status::Fail)],
            None,
        );
        assert_eq!(again, saved);
        let mut bytes = Vec::new();
        saved.write(&mut bytes).unwrap();
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(!text.contains("\"resources\":["), "{text}");
        let back = SavedScan::read(bytes.as_slice()).unwrap();
        assert_eq!(back.findings().unwrap().len(), 1);
        let error = back.resources().unwrap_err().to_string();
        assert!(
            error.contains("vigil.scan/v1") && error.contains("no per-resource data"),
            "{error}"
        );
    }

    #[test]
    fn a_resource_hash_follows_its_document_not_its_key_order() {
        let a = Resource::new("arn:aws:s3:::b", "aws.s3.bucket", "1", "us-east-1")
            .with_property("x", serde_json::json!({"b": 1, "a": 2}));
        let mut b = a.clone();
        b.properties = serde_json::from_str(r#"{"x": {"a": 2, "b": 1}}"#).unwrap();
        let (sa, sb) = (
            SavedResource::from_resource(&a),
            SavedResource::from_resource(&b),
        );
        assert_eq!(sa.hash, sb.hash);
        assert_eq!(sa.hash.len(), 64);
        let mut c = a.clone();
        c.tags.insert("owner".into(), "me".into());
        assert_ne!(SavedResource::from_resource(&c).hash, sa.hash);
        // The document is the snapshot form.
        let doc = SavedResource::from_resource(&c).document();
        assert_eq!(doc["tags"]["owner"], "me");
        assert_eq!(doc["properties"]["x"]["a"], 2);
    }
}
