//! The result of evaluating one rule over one resource.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::rule::RuleFile;

/// A result is never a bare bool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Status {
    /// The condition held.
    Pass,
    /// The condition did not hold; the evidence says why.
    Fail,
    /// The rule could not be evaluated: missing data, a gap over its inputs, or a
    /// runtime error. Never counted as a pass.
    Error,
    /// A failure or error that a mutelist entry accepts, with its reason.
    Muted,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "PASS",
            Status::Fail => "FAIL",
            Status::Error => "ERROR",
            Status::Muted => "MUTED",
        }
    }

    pub fn parse(text: &str) -> Option<Status> {
        match text.to_ascii_uppercase().as_str() {
            "PASS" => Some(Status::Pass),
            "FAIL" => Some(Status::Fail),
            "ERROR" | "UNKNOWN" => Some(Status::Error),
            "MUTED" => Some(Status::Muted),
            _ => None,
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The resource a finding is about.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResourceRef {
    pub id: String,
    #[serde(rename = "type")]
    pub resource_type: String,
    pub account: String,
    pub region: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
}

impl From<&vigil_inventory::Resource> for ResourceRef {
    fn from(r: &vigil_inventory::Resource) -> Self {
        ResourceRef {
            id: r.id.clone(),
            resource_type: r.resource_type.clone(),
            account: r.account.clone(),
            region: r.region.clone(),
            name: r.name.clone(),
            tags: r.tags.clone(),
        }
    }
}

/// What decided the result.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    /// The values of the properties the condition read (absent ones as `null`
    /// with the path listed in `missing`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub properties: BTreeMap<String, serde_json::Value>,
    /// Properties the condition read that were not collected.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing: Vec<String>,
    /// Related resources the graph helpers returned, by id.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<String>,
    /// Collection gaps that bear on this result.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub gaps: Vec<String>,
}

/// One rule's verdict on one resource.
#[derive(Debug, Clone)]
pub struct Finding {
    /// The rule's metadata, shared by all its findings.
    pub rule: Arc<RuleFile>,
    /// Shared by all findings about the same resource.
    pub resource: Arc<ResourceRef>,
    pub status: Status,
    /// Why: the error for ERROR, the mutelist reason for MUTED.
    pub reason: Option<String>,
    /// For MUTED, the status the mute replaced.
    pub muted_status: Option<Status>,
    pub evidence: Evidence,
}

impl Finding {
    /// Stable across scans: the same rule on the same resource gives the same uid,
    /// so the store and the SIEM can follow a finding.
    pub fn uid(&self) -> String {
        format!("vigil:{}:{}", self.rule.id, self.resource.id)
    }

    /// The status the finding would have had without a mute.
    pub fn effective_status(&self) -> Status {
        self.muted_status.unwrap_or(self.status)
    }
}
