//! Nodes and edges of the inventory graph.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::value::Value;

/// The region recorded for global services (IAM, Organizations, the account itself).
pub const GLOBAL_REGION: &str = "global";

/// One thing Vigil saw in an account: a bucket, a role, a security group, the account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Resource {
    /// Unique id: the ARN where AWS gives one, otherwise a synthetic id that is stable
    /// across scans (such as `arn:aws:ec2:us-east-1:123456789012:security-group/sg-1`).
    pub id: String,
    /// Resource type from the catalogue, such as `aws.s3.bucket`.
    #[serde(rename = "type")]
    pub resource_type: String,
    /// Twelve-digit AWS account id that owns the resource.
    pub account: String,
    /// Region, or `global` for global services.
    pub region: String,
    /// Human name (bucket name, role name), when the resource has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Tags as key/value pairs.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
    /// Normalised properties, snake_case keys. `null` means looked at and empty; an
    /// absent key means not collected.
    // A compact `Value` (see `value.rs`): properties are most of an inventory's memory.
    #[serde(default = "Value::empty_object")]
    #[schemars(schema_with = "object_schema")]
    pub properties: Value,
}

fn object_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({ "type": "object", "additionalProperties": true })
}

impl Resource {
    /// A resource with no tags and empty properties; a convenience for tests and
    /// collectors that fill properties afterwards.
    pub fn new(
        id: impl Into<String>,
        resource_type: impl Into<String>,
        account: impl Into<String>,
        region: impl Into<String>,
    ) -> Self {
        Resource {
            id: id.into(),
            resource_type: resource_type.into(),
            account: account.into(),
            region: region.into(),
            name: None,
            tags: BTreeMap::new(),
            properties: Value::empty_object(),
        }
    }

    /// Sets one top-level property.
    pub fn with_property(mut self, key: &str, value: impl Into<Value>) -> Self {
        if let Value::Object(map) = &mut self.properties {
            map.insert(key, value.into());
        }
        self
    }

    /// The property at a dotted path (`versioning.status`), if present.
    pub fn property(&self, path: &str) -> Option<&Value> {
        path.split('.')
            .try_fold(&self.properties, |value, key| value.get(key))
    }
}

/// A directed edge between two resources, such as a trail that `delivers_to` a bucket.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Relation {
    /// Id of the source resource.
    pub from: String,
    /// Id of the target resource. It may name something outside the inventory (a
    /// principal in another account); such an edge is kept but cannot be navigated.
    pub to: String,
    /// Relation kind from the catalogue, such as `encrypted_by`.
    pub kind: String,
}

impl Relation {
    pub fn new(from: impl Into<String>, kind: impl Into<String>, to: impl Into<String>) -> Self {
        Relation {
            from: from.into(),
            to: to.into(),
            kind: kind.into(),
        }
    }
}
