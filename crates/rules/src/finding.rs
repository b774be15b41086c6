//! The result of evaluating one rule over one resource.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use vigil_inventory::{Inventory, ResourceIdx, Value};

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

/// What decided the result: the property values the condition read, the facts a
/// helper recorded (an escalation path), the properties that were not collected, the
/// related resources, and the gaps that bear on it.
///
/// A finding made by evaluation does not copy the values it read: it keeps the
/// inventory it was evaluated over (shared and never changed after the scan built it)
/// with the resource and the paths, and reads the values when asked. Copies were most
/// of an evaluation's memory (a security group's `ingress` is ~4 KB, once per failing
/// rule). A finding kept beyond the scan's life is [`Evidence::detached`] first, so it
/// does not hold a whole inventory alive. A PASS carries none, in eight bytes.
#[derive(Clone, Default)]
pub struct Evidence {
    parts: Option<Box<Parts>>,
}

#[derive(Clone, Default)]
struct Parts {
    /// Values held as they are: facts a helper recorded, evidence read back from a
    /// store or built by hand.
    owned: BTreeMap<String, Value>,
    /// Properties read, looked up in the inventory when asked.
    read: Option<Reads>,
    missing: Vec<String>,
    related: Vec<String>,
    gaps: Vec<String>,
}

/// Where the values a condition read live: the paths of one resource of a shared
/// inventory. Paths the resource lacks are in `missing` instead.
#[derive(Clone)]
struct Reads {
    inventory: Arc<Inventory>,
    idx: ResourceIdx,
    paths: Arc<[String]>,
}

impl Reads {
    fn values(&self) -> impl Iterator<Item = (&str, &Value)> {
        let resource = self.inventory.resource(self.idx);
        self.paths
            .iter()
            .filter_map(move |p| resource.property(p).map(|v| (p.as_str(), v)))
    }
}

impl Evidence {
    /// Evidence that holds its values: what a store reads back, or a test builds.
    pub fn new(
        properties: BTreeMap<String, Value>,
        missing: Vec<String>,
        related: Vec<String>,
        gaps: Vec<String>,
    ) -> Evidence {
        Evidence::from_parts(Parts {
            owned: properties,
            read: None,
            missing,
            related,
            gaps,
        })
    }

    /// Evidence of an evaluation: the values at `paths` of resource `idx` are read from
    /// `inventory` when asked; paths the resource lacks are listed as missing. A fact
    /// under the name of a property that was read gives way to the property.
    pub(crate) fn read_from(
        inventory: &Arc<Inventory>,
        idx: ResourceIdx,
        paths: &Arc<[String]>,
        mut facts: BTreeMap<String, Value>,
        related: Vec<String>,
        gaps: Vec<String>,
    ) -> Evidence {
        let resource = inventory.resource(idx);
        let mut missing = Vec::new();
        let mut any = false;
        for path in paths.iter() {
            if resource.property(path).is_some() {
                facts.remove(path);
                any = true;
            } else {
                missing.push(path.clone());
            }
        }
        Evidence::from_parts(Parts {
            owned: facts,
            read: any.then(|| Reads {
                inventory: Arc::clone(inventory),
                idx,
                paths: Arc::clone(paths),
            }),
            missing,
            related,
            gaps,
        })
    }

    fn from_parts(parts: Parts) -> Evidence {
        let empty = parts.owned.is_empty()
            && parts.read.is_none()
            && parts.missing.is_empty()
            && parts.related.is_empty()
            && parts.gaps.is_empty();
        Evidence {
            parts: (!empty).then(|| Box::new(parts)),
        }
    }

    /// Nothing recorded (a PASS).
    pub fn is_empty(&self) -> bool {
        self.parts.is_none()
    }

    /// The property values and facts, by path, in path order.
    pub fn properties(&self) -> BTreeMap<&str, &Value> {
        let Some(parts) = &self.parts else {
            return BTreeMap::new();
        };
        let mut out: BTreeMap<&str, &Value> = parts.read.iter().flat_map(Reads::values).collect();
        out.extend(parts.owned.iter().map(|(k, v)| (k.as_str(), v)));
        out
    }

    /// One property value or fact, by path.
    pub fn property(&self, path: &str) -> Option<&Value> {
        let parts = self.parts.as_deref()?;
        parts.owned.get(path).or_else(|| {
            parts
                .read
                .as_ref()
                .and_then(|r| r.values().find(|(p, _)| *p == path).map(|(_, v)| v))
        })
    }

    /// Records one value (a fact a caller adds, such as a path for a report's example).
    pub fn insert_property(&mut self, path: &str, value: impl Into<Value>) {
        self.parts
            .get_or_insert_with(Box::default)
            .owned
            .insert(path.to_owned(), value.into());
    }

    /// Properties the condition read that were not collected.
    pub fn missing(&self) -> &[String] {
        self.parts.as_deref().map_or(&[], |p| &p.missing)
    }

    /// Related resources the graph helpers returned, by id.
    pub fn related(&self) -> &[String] {
        self.parts.as_deref().map_or(&[], |p| &p.related)
    }

    /// Collection gaps that bear on this result.
    pub fn gaps(&self) -> &[String] {
        self.parts.as_deref().map_or(&[], |p| &p.gaps)
    }

    /// The same evidence holding its own values, so that keeping it does not keep
    /// the inventory it was read from.
    pub fn detached(&self) -> Evidence {
        match &self.parts {
            Some(parts) if parts.read.is_some() => Evidence::new(
                self.properties()
                    .into_iter()
                    .map(|(k, v)| (k.to_owned(), v.clone()))
                    .collect(),
                parts.missing.clone(),
                parts.related.clone(),
                parts.gaps.clone(),
            ),
            _ => self.clone(),
        }
    }

    fn view(&self) -> View<'_> {
        View {
            properties: self.properties(),
            missing: self.missing(),
            related: self.related(),
            gaps: self.gaps(),
        }
    }
}

/// Evidence as it is written: the values in place of where they were read.
#[derive(Debug, PartialEq, Serialize)]
struct View<'a> {
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    properties: BTreeMap<&'a str, &'a Value>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    missing: &'a [String],
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    related: &'a [String],
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    gaps: &'a [String],
}

/// Evidence as it is read back.
#[derive(Deserialize)]
struct Owned {
    #[serde(default)]
    properties: BTreeMap<String, Value>,
    #[serde(default)]
    missing: Vec<String>,
    #[serde(default)]
    related: Vec<String>,
    #[serde(default)]
    gaps: Vec<String>,
}

impl Serialize for Evidence {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.view().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Evidence {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let o = Owned::deserialize(deserializer)?;
        Ok(Evidence::new(o.properties, o.missing, o.related, o.gaps))
    }
}

impl PartialEq for Evidence {
    fn eq(&self, other: &Self) -> bool {
        self.view() == other.view()
    }
}

impl fmt::Debug for Evidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = self.view();
        f.debug_struct("Evidence")
            .field("properties", &v.properties)
            .field("missing", &v.missing)
            .field("related", &v.related)
            .field("gaps", &v.gaps)
            .finish()
    }
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

    /// The same finding with evidence that holds its own values, for keeping beyond
    /// the scan (see [`Evidence::detached`]).
    pub fn detached(&self) -> Finding {
        Finding {
            rule: Arc::clone(&self.rule),
            resource: Arc::clone(&self.resource),
            status: self.status,
            reason: self.reason.clone(),
            muted_status: self.muted_status,
            evidence: self.evidence.detached(),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use vigil_inventory::Resource;

    use super::*;

    fn inventory() -> Arc<Inventory> {
        let group = Resource::new(
            "sg-1",
            "aws.ec2.security_group",
            "111111111111",
            "eu-west-1",
        )
        .with_property("ingress", json!([{"cidr": "0.0.0.0/0", "from_port": 22}]))
        .with_property("vpc_id", json!("vpc-1"));
        Arc::new(Inventory::new(vec![group], vec![], vec![]).unwrap())
    }

    /// Evidence that points into the inventory is written exactly as evidence that
    /// holds copies of the same values, reads back equal, and detaches equal.
    #[test]
    fn evidence_read_from_the_inventory_is_written_as_copied_evidence() {
        let inventory = inventory();
        let paths: Arc<[String]> = vec!["ingress".to_owned(), "tags_seen".to_owned()].into();
        let facts = BTreeMap::from([("escalation_path_text".to_owned(), json!("a -> b").into())]);
        let read = Evidence::read_from(&inventory, 0, &paths, facts, vec!["sg-2".into()], vec![]);
        let copied = Evidence::new(
            BTreeMap::from([
                ("escalation_path_text".to_owned(), json!("a -> b").into()),
                (
                    "ingress".to_owned(),
                    json!([{"cidr": "0.0.0.0/0", "from_port": 22}]).into(),
                ),
            ]),
            vec!["tags_seen".into()],
            vec!["sg-2".into()],
            vec![],
        );
        assert_eq!(read, copied);
        let written = serde_json::to_value(&read).unwrap();
        assert_eq!(written, serde_json::to_value(&copied).unwrap());
        assert_eq!(written["properties"]["ingress"][0]["from_port"], 22);
        assert_eq!(written["missing"], json!(["tags_seen"]));
        assert!(written.get("gaps").is_none(), "empty lists are left out");
        let back: Evidence = serde_json::from_value(written).unwrap();
        assert_eq!(back, read);
        let detached = read.detached();
        assert_eq!(detached, read);
        drop(read);
        // The detached copy no longer holds the inventory.
        assert_eq!(Arc::strong_count(&inventory), 1);
        assert_eq!(
            detached.property("ingress").unwrap()[0]["cidr"],
            "0.0.0.0/0"
        );
    }

    /// A fact recorded under a property's name gives way to the property read, as
    /// when the values were copied over the facts; an empty evidence is eight bytes.
    #[test]
    fn a_property_read_wins_over_a_fact_of_the_same_name_and_a_pass_holds_nothing() {
        let inventory = inventory();
        let paths: Arc<[String]> = vec!["vpc_id".to_owned()].into();
        let facts = BTreeMap::from([("vpc_id".to_owned(), json!("stale").into())]);
        let e = Evidence::read_from(&inventory, 0, &paths, facts, vec![], vec![]);
        assert_eq!(e.property("vpc_id"), Some(&json!("vpc-1").into()));
        assert_eq!(e.properties().len(), 1);
        assert!(Evidence::default().is_empty());
        assert_eq!(std::mem::size_of::<Evidence>(), 8);
        assert!(std::mem::size_of::<Finding>() <= 64);
    }
}
