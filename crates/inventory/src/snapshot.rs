//! The JSON snapshot: an inventory written to a file, so that collection and
//! evaluation can run apart. Its JSON Schema is generated from these types and
//! committed at `docs/schemas/snapshot.schema.json`.

use std::io::Read;

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::{Gap, Relation, Resource};

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
        }
    }

    /// Adds another snapshot's contents: several accounts collected apart (a management
    /// account and its members) are evaluated and scored together, so that
    /// organisation-wide evidence counts for every member.
    pub fn merge(&mut self, other: Snapshot) {
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
        self.resources.extend(other.resources);
        self.relations.extend(other.relations);
        self.gaps.extend(other.gaps);
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
        Ok(snapshot)
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
        snapshot
            .resources
            .push(Resource::new("a", "aws.s3.bucket", "1", "global"));
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
