//! The JSON snapshot: an inventory written to a file, so that collection and
//! evaluation can run apart. Its JSON Schema is generated from these types and
//! committed at `docs/schemas/snapshot.schema.json`.

use std::io::Read;

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::{Coverage, Gap, Relation, Resource};

/// The value of [`Snapshot::format`] this version reads and writes.
pub const SNAPSHOT_FORMAT: &str = "vigil.snapshot/v1";

/// An inventory as a document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "Vigil inventory snapshot")]
pub struct Snapshot {
    /// Format marker; must be `vigil.snapshot/v1`.
    pub format: String,
    /// When collection finished.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collected_at: Option<DateTime<Utc>>,
    /// Accounts the collection covered.
    #[serde(default)]
    pub accounts: Vec<String>,
    /// Regions the collection covered.
    #[serde(default)]
    pub regions: Vec<String>,
    #[serde(default)]
    pub resources: Vec<Resource>,
    #[serde(default)]
    pub relations: Vec<Relation>,
    /// What could not be collected.
    #[serde(default)]
    pub gaps: Vec<Gap>,
    /// For each service, account and region: collected, excluded on purpose, or failed.
    /// A snapshot without it (written by hand, or by an older Vigil) is taken as
    /// collected wherever it has no gap.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub coverage: Vec<Coverage>,
}

/// Why two snapshots cannot be evaluated together.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum MergeError {
    #[error(
        "resources[{index}]: resource `{id}` of account {account} is already in an earlier snapshot (the same account given twice?)"
    )]
    DuplicateId {
        id: String,
        account: String,
        index: usize,
    },
}

/// Why a snapshot could not be read.
#[derive(Debug, Error)]
pub enum SnapshotError {
    #[error("cannot read snapshot: {0}")]
    Io(#[from] std::io::Error),
    #[error("malformed snapshot at `{path}` (line {line}, column {column}): {message}")]
    Malformed {
        /// JSON path of the offending value, such as `resources[3].account`.
        path: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("unsupported snapshot format `{found}`: this Vigil reads `{SNAPSHOT_FORMAT}`")]
    Format { found: String },
    /// Well-formed JSON whose values make no sense: a typo in a type (`aws.s3.buckt`)
    /// would otherwise hide a resource from every rule.
    #[error("invalid snapshot at `{path}`: {message}")]
    Invalid { path: String, message: String },
}

/// Is this a twelve-digit AWS account id?
pub fn valid_account(account: &str) -> bool {
    account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit())
}

/// Is this `global` or shaped like an AWS region (`us-east-1`, `us-gov-west-1`,
/// `eu-central-2`, `us-isob-east-1`)? Shape only: new regions need no new Vigil.
pub fn valid_region(region: &str) -> bool {
    if region == crate::GLOBAL_REGION {
        return true;
    }
    if region.len() > 32 {
        return false;
    }
    let parts: Vec<&str> = region.split('-').collect();
    parts.len() >= 3
        && parts.len() <= 4
        && parts[0].len() == 2
        && parts[..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && parts[parts.len() - 1].bytes().all(|b| b.is_ascii_digit())
        && !parts[parts.len() - 1].is_empty()
        && parts[parts.len() - 1].len() <= 2
}

impl Snapshot {
    /// An empty snapshot of the current format.
    pub fn new() -> Self {
        Snapshot {
            format: SNAPSHOT_FORMAT.to_owned(),
            collected_at: None,
            accounts: Vec::new(),
            regions: Vec::new(),
            resources: Vec::new(),
            relations: Vec::new(),
            gaps: Vec::new(),
            coverage: Vec::new(),
        }
    }

    /// Adds another snapshot's contents: several accounts collected apart (a management
    /// account and its members) are evaluated and scored together, so that
    /// organisation-wide evidence counts for every member.
    ///
    /// A resource whose id is already present for *another* account stays a resource of
    /// its own: AWS managed policies have ARNs that name no account
    /// (`arn:aws:iam::aws:policy/ReadOnlyAccess`), yet each account's node carries its
    /// own attachments. The added copy's id becomes `<id>#<account>` and the added
    /// snapshot's relations follow it. The same id twice in one account is refused.
    pub fn merge(&mut self, other: Snapshot) -> Result<(), MergeError> {
        let existing: std::collections::HashMap<&str, &str> = self
            .resources
            .iter()
            .map(|r| (r.id.as_str(), r.account.as_str()))
            .collect();
        let mut renamed: std::collections::HashMap<String, String> =
            std::collections::HashMap::new();
        for (index, r) in other.resources.iter().enumerate() {
            match existing.get(r.id.as_str()) {
                Some(account) if *account == r.account => {
                    return Err(MergeError::DuplicateId {
                        id: r.id.clone(),
                        account: r.account.clone(),
                        index,
                    });
                }
                Some(_) => {
                    renamed.insert(r.id.clone(), format!("{}#{}", r.id, r.account));
                }
                None => {}
            }
        }
        drop(existing);
        for account in other.accounts {
            if !self.accounts.contains(&account) {
                self.accounts.push(account);
            }
        }
        for region in other.regions {
            if !self.regions.contains(&region) {
                self.regions.push(region);
            }
        }
        self.collected_at = match (self.collected_at, other.collected_at) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let rename = |id: String| renamed.get(&id).cloned().unwrap_or(id);
        self.resources
            .extend(other.resources.into_iter().map(|mut r| {
                r.id = rename(std::mem::take(&mut r.id));
                r
            }));
        self.relations
            .extend(other.relations.into_iter().map(|mut rel| {
                rel.from = rename(std::mem::take(&mut rel.from));
                rel.to = rename(std::mem::take(&mut rel.to));
                rel
            }));
        self.gaps.extend(other.gaps.into_iter().map(|mut g| {
            g.resource = g.resource.map(rename);
            g
        }));
        self.coverage.extend(other.coverage);
        Ok(())
    }

    /// Parses a snapshot, naming the JSON path of the first malformed value.
    pub fn from_json(text: &str) -> Result<Self, SnapshotError> {
        let mut deserializer = serde_json::Deserializer::from_str(text);
        let snapshot: Snapshot =
            serde_path_to_error::deserialize(&mut deserializer).map_err(|err| {
                let path = err.path().to_string();
                let inner = err.into_inner();
                SnapshotError::Malformed {
                    path,
                    line: inner.line(),
                    column: inner.column(),
                    message: strip_position(&inner.to_string()),
                }
            })?;
        if snapshot.format != SNAPSHOT_FORMAT {
            return Err(SnapshotError::Format {
                found: snapshot.format,
            });
        }
        snapshot.validate()?;
        Ok(snapshot)
    }

    /// Checks what the JSON shape cannot: known resource types and relation kinds,
    /// twelve-digit accounts, region names, and ids that are present and unique.
    pub fn validate(&self) -> Result<(), SnapshotError> {
        let invalid = |path: String, message: String| Err(SnapshotError::Invalid { path, message });
        let mut ids = std::collections::HashMap::with_capacity(self.resources.len());
        for (i, r) in self.resources.iter().enumerate() {
            if r.id.is_empty() {
                return invalid(format!("resources[{i}].id"), "empty resource id".into());
            }
            if let Some(first) = ids.insert(r.id.as_str(), i) {
                return invalid(
                    format!("resources[{i}].id"),
                    format!(
                        "duplicate resource id `{}` (first at resources[{first}])",
                        r.id
                    ),
                );
            }
            if crate::resource_type(&r.resource_type).is_none() {
                return invalid(
                    format!("resources[{i}].type"),
                    format!(
                        "unknown resource type `{}` (`vigil rules types` lists them)",
                        short(&r.resource_type)
                    ),
                );
            }
            if !valid_account(&r.account) {
                return invalid(
                    format!("resources[{i}].account"),
                    format!("`{}` is not a twelve-digit account id", short(&r.account)),
                );
            }
            if !valid_region(&r.region) {
                return invalid(
                    format!("resources[{i}].region"),
                    format!("`{}` is not `global` or a region name", short(&r.region)),
                );
            }
        }
        // One account node per account and one region node per account and region:
        // copies multiply every rule that walks from them (40 copies of an account
        // made evaluation 40³ times dearer).
        let mut scopes = std::collections::HashMap::new();
        for (i, r) in self.resources.iter().enumerate() {
            let key = match r.resource_type.as_str() {
                "aws.account" => (r.account.as_str(), None),
                "aws.region" => (r.account.as_str(), Some(r.region.as_str())),
                _ => continue,
            };
            if let Some(first) = scopes.insert(key, i) {
                return invalid(
                    format!("resources[{i}]"),
                    format!(
                        "a second {} node for account {}{} (first at resources[{first}])",
                        r.resource_type,
                        r.account,
                        key.1
                            .map(|region| format!(" in {region}"))
                            .unwrap_or_default()
                    ),
                );
            }
        }
        for (i, rel) in self.relations.iter().enumerate() {
            if !crate::is_relation_kind(&rel.kind) {
                return invalid(
                    format!("relations[{i}].kind"),
                    format!(
                        "unknown relation kind `{}` (`vigil rules types` lists them)",
                        short(&rel.kind)
                    ),
                );
            }
        }
        for (i, g) in self.gaps.iter().enumerate() {
            if !valid_account(&g.account) {
                return invalid(
                    format!("gaps[{i}].account"),
                    format!("`{}` is not a twelve-digit account id", short(&g.account)),
                );
            }
            if !valid_region(&g.region) {
                return invalid(
                    format!("gaps[{i}].region"),
                    format!("`{}` is not `global` or a region name", short(&g.region)),
                );
            }
        }
        for (field, list) in [("accounts", &self.accounts)] {
            if let Some((i, a)) = list.iter().enumerate().find(|(_, a)| !valid_account(a)) {
                return invalid(
                    format!("{field}[{i}]"),
                    format!("`{}` is not a twelve-digit account id", short(a)),
                );
            }
        }
        if let Some((i, r)) = self
            .regions
            .iter()
            .enumerate()
            .find(|(_, r)| !valid_region(r))
        {
            return invalid(
                format!("regions[{i}]"),
                format!("`{}` is not a region name", short(r)),
            );
        }
        for (i, c) in self.coverage.iter().enumerate() {
            if !valid_account(&c.account) || !valid_region(&c.region) {
                return invalid(
                    format!("coverage[{i}]"),
                    format!(
                        "`{}/{}` is not an account and region",
                        short(&c.account),
                        short(&c.region)
                    ),
                );
            }
        }
        Ok(())
    }

    pub fn from_reader(mut reader: impl Read) -> Result<Self, SnapshotError> {
        let mut text = String::new();
        reader.read_to_string(&mut text)?;
        Snapshot::from_json(&text)
    }

    pub fn to_json_pretty(&self) -> String {
        serde_json::to_string_pretty(self).expect("a snapshot always serialises")
    }
}

impl Default for Snapshot {
    fn default() -> Self {
        Snapshot::new()
    }
}

/// A value quoted in an error, cut short: a hostile snapshot may hold megabytes there.
fn short(text: &str) -> String {
    const MAX: usize = 80;
    match text.char_indices().nth(MAX) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}

/// serde_json appends " at line L column C"; the error carries those as fields already.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message.to_owned(),
    }
}

/// The snapshot's JSON Schema, pretty-printed, as committed in the repository.
pub fn snapshot_schema() -> String {
    let schema = schemars::schema_for!(Snapshot);
    let mut text = serde_json::to_string_pretty(&schema).expect("schema serialises");
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let mut snapshot = Snapshot::new();
        snapshot.resources.push(Resource::new(
            "a",
            "aws.s3.bucket",
            "111111111111",
            "global",
        ));
        let back = Snapshot::from_json(&snapshot.to_json_pretty()).unwrap();
        assert_eq!(back, snapshot);
    }

    #[test]
    fn malformed_value_names_its_json_path() {
        let text = r#"{"format": "vigil.snapshot/v1", "resources": [
            {"id": "a", "type": "aws.s3.bucket", "account": "1", "region": "global"},
            {"id": "b", "type": "aws.s3.bucket", "account": 2, "region": "global"}
        ]}"#;
        let err = Snapshot::from_json(text).unwrap_err();
        match err {
            SnapshotError::Malformed {
                path,
                line,
                message,
                ..
            } => {
                assert_eq!(path, "resources[1].account");
                assert_eq!(line, 3);
                assert!(message.contains("expected a string"), "{message}");
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn unknown_field_and_missing_field_are_named() {
        let err = Snapshot::from_json(r#"{"format": "vigil.snapshot/v1", "resourcez": []}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown field `resourcez`"), "{err}");
        let err = Snapshot::from_json(
            r#"{"format": "vigil.snapshot/v1", "resources": [{"id": "a", "account": "1", "region": "x"}]}"#,
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("resources[0]") && err.contains("missing field `type`"),
            "{err}"
        );
    }

    /// `--snapshot a.json --snapshot b.json` exited 2 whenever both accounts attached the
    /// same AWS managed policy: its ARN names no account, so the ids collided.
    #[test]
    fn merging_accounts_that_share_an_aws_managed_policy() {
        let policy = "arn:aws:iam::aws:policy/ReadOnlyAccess";
        let one = |account: &str, role: &str| {
            let mut s = Snapshot::new();
            s.accounts.push(account.into());
            s.resources
                .push(Resource::new(role, "aws.iam.role", account, "global"));
            s.resources
                .push(Resource::new(policy, "aws.iam.policy", account, "global"));
            s.relations
                .push(crate::Relation::new(role, "attached", policy));
            s
        };
        let mut merged = one("111111111111", "arn:aws:iam::111111111111:role/a");
        merged
            .merge(one("222222222222", "arn:aws:iam::222222222222:role/b"))
            .unwrap();
        let ids: Vec<&str> = merged.resources.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(
            ids,
            vec![
                "arn:aws:iam::111111111111:role/a",
                policy,
                "arn:aws:iam::222222222222:role/b",
                "arn:aws:iam::aws:policy/ReadOnlyAccess#222222222222"
            ]
        );
        assert_eq!(
            merged.relations[1].to,
            "arn:aws:iam::aws:policy/ReadOnlyAccess#222222222222"
        );
        let inventory = crate::Inventory::from_snapshot(merged.clone()).unwrap();
        assert_eq!(inventory.of_type("aws.iam.policy").len(), 2);
        // The same account twice is refused, naming the resource.
        let err = merged
            .merge(one("111111111111", "arn:aws:iam::111111111111:role/a"))
            .unwrap_err();
        assert!(err.to_string().contains("resources[0]"), "{err}");
    }

    /// A typo such as `aws.s3.buckt` hid a bucket from every rule; an empty or
    /// malformed account, a made-up region or relation kind passed silently.
    #[test]
    fn unknown_types_accounts_regions_and_kinds_are_refused() {
        let resource = |t: &str, account: &str, region: &str| {
            format!(
                r#"{{"format": "vigil.snapshot/v1", "resources": [{{"id": "a", "type": "{t}", "account": "{account}", "region": "{region}"}}]}}"#
            )
        };
        let cases = [
            (resource("aws.s3.buckt", "111111111111", "global"), "resources[0].type"),
            (resource("aws.s3.bucket", "", "global"), "resources[0].account"),
            (resource("aws.s3.bucket", "12345", "global"), "resources[0].account"),
            (resource("aws.s3.bucket", "111111111111", "mars-north-9"), "resources[0].region"),
            (resource("aws.s3.bucket", "111111111111", "us-east-1x"), "resources[0].region"),
            (
                r#"{"format": "vigil.snapshot/v1", "relations": [{"from": "a", "kind": "owns", "to": "b"}]}"#.to_owned(),
                "relations[0].kind",
            ),
        ];
        for (text, path) in cases {
            let err = Snapshot::from_json(&text).unwrap_err().to_string();
            assert!(err.contains(path), "{path}: {err}");
        }
        let twice = r#"{"format": "vigil.snapshot/v1", "resources": [
            {"id": "a", "type": "aws.account", "account": "111111111111", "region": "global"},
            {"id": "b", "type": "aws.account", "account": "111111111111", "region": "global"}]}"#;
        let err = Snapshot::from_json(twice).unwrap_err().to_string();
        assert!(err.contains("a second aws.account node"), "{err}");
        for region in ["us-east-1", "us-gov-west-1", "ap-southeast-5", "global"] {
            assert!(valid_region(region), "{region}");
        }
        assert!(!valid_region(&"a".repeat(1_000_000)));
    }

    #[test]
    fn wrong_format_is_refused() {
        let err = Snapshot::from_json(r#"{"format": "other/v9"}"#).unwrap_err();
        assert!(matches!(err, SnapshotError::Format { .. }));
    }

    /// The committed schema must match the types; regenerate with
    /// `VIGIL_UPDATE_SCHEMAS=1 cargo nextest run -p vigil-inventory`.
    #[test]
    fn committed_schema_is_current() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../docs/schemas/snapshot.schema.json"
        );
        let current = snapshot_schema();
        if std::env::var_os("VIGIL_UPDATE_SCHEMAS").is_some() {
            std::fs::create_dir_all(std::path::Path::new(path).parent().unwrap()).unwrap();
            std::fs::write(path, &current).unwrap();
        }
        let committed = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            committed == current,
            "docs/schemas/snapshot.schema.json is stale: run with VIGIL_UPDATE_SCHEMAS=1"
        );
    }
}
