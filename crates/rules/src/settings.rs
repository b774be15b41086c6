//! Settings: what a team tells Vigil about its own conventions, which no API can show —
//! the tag keys that classify data or name an owner, the regions data may live in, how
//! the incident-response role is named. Conditions read them as the CEL variable
//! `settings`; rules that need a setting the team has not given (an empty list of
//! allowed regions) use `applies_when` to make no finding rather than guess.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// The settings rules read, with defaults that match common tagging schemes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// Tag keys that carry a data classification (any one of them counts).
    pub classification_tag_keys: Vec<String>,
    /// Classification values (compared lower-case) that mark data as sensitive, e.g.
    /// for rules asking for CloudTrail data events on sensitive buckets.
    pub sensitive_classifications: Vec<String>,
    /// Tag keys that name an owner (a person, team or cost centre).
    pub ownership_tag_keys: Vec<String>,
    /// Regions where data may live. Empty means "not configured": locality rules then
    /// make no finding.
    pub allowed_regions: Vec<String>,
    /// Regular expression matching the name of the pre-provisioned incident-response
    /// role(s) (SEC10-BP05).
    pub incident_response_role_pattern: String,
}

impl Default for Settings {
    fn default() -> Self {
        let list = |items: &[&str]| items.iter().map(|s| (*s).to_owned()).collect();
        Settings {
            classification_tag_keys: list(&[
                "data-classification",
                "DataClassification",
                "classification",
                "Classification",
            ]),
            sensitive_classifications: list(&[
                "confidential",
                "restricted",
                "secret",
                "sensitive",
                "pii",
            ]),
            ownership_tag_keys: list(&["owner", "Owner", "team", "Team"]),
            allowed_regions: Vec::new(),
            incident_response_role_pattern:
                "(?i)(incident|forensic|security-?response|break-?glass)".to_owned(),
        }
    }
}

/// A setting that cannot be used.
#[derive(Debug, Clone, Error, PartialEq, Eq)]
#[error("settings: `{field}`: {message}")]
pub struct SettingsError {
    pub field: &'static str,
    pub message: String,
}

/// A settings file that cannot be used, naming the file (and line, when known).
#[derive(Debug, Error)]
#[error("settings file {path}: {message}")]
pub struct SettingsFileError {
    pub path: String,
    pub message: String,
}

impl Settings {
    /// Reads and validates a YAML settings file.
    pub fn load(path: &std::path::Path) -> Result<Settings, SettingsFileError> {
        let fail = |message: String| SettingsFileError {
            path: path.display().to_string(),
            message,
        };
        let text = std::fs::read_to_string(path).map_err(|e| fail(format!("cannot read: {e}")))?;
        let settings: Settings = serde_saphyr::from_str(&text).map_err(|e| {
            fail(format!(
                "{}{}",
                e.location()
                    .map(|l| format!("line {}: ", l.line()))
                    .unwrap_or_default(),
                e.to_string().lines().next().unwrap_or("")
            ))
        })?;
        settings.validate().map_err(|e| fail(e.to_string()))?;
        Ok(settings)
    }

    /// Checks what serde cannot: the role pattern compiles, region names look like
    /// regions, sensitive classifications are lower-case (they are compared so).
    pub fn validate(&self) -> Result<(), SettingsError> {
        regex::Regex::new(&self.incident_response_role_pattern).map_err(|e| SettingsError {
            field: "incident_response_role_pattern",
            message: format!("not a regular expression: {e}"),
        })?;
        if let Some(bad) = self.allowed_regions.iter().find(|r| !looks_like_region(r)) {
            return Err(SettingsError {
                field: "allowed_regions",
                message: format!("`{bad}` is not a region name such as eu-west-1"),
            });
        }
        if let Some(bad) = self
            .sensitive_classifications
            .iter()
            .find(|c| c.to_lowercase() != **c)
        {
            return Err(SettingsError {
                field: "sensitive_classifications",
                message: format!(
                    "`{bad}` must be lower-case; tag values are lower-cased before comparing"
                ),
            });
        }
        Ok(())
    }

    /// The settings as JSON, the shape conditions see.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).expect("settings serialise")
    }

    /// These settings with the keys of `overrides` (a JSON object) replaced, as fixture
    /// cases give them.
    pub fn merged(
        &self,
        overrides: &serde_json::Map<String, serde_json::Value>,
    ) -> Result<Settings, String> {
        let mut value = self.to_json();
        let object = value.as_object_mut().expect("settings are an object");
        for (key, v) in overrides {
            object.insert(key.clone(), v.clone());
        }
        serde_json::from_value(value).map_err(|e| format!("bad settings: {e}"))
    }
}

/// `eu-west-1`, `us-gov-west-1`, `ap-southeast-4`: letters and dashes, ending in a digit.
fn looks_like_region(name: &str) -> bool {
    let parts: Vec<&str> = name.split('-').collect();
    parts.len() >= 3
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
        && parts
            .last()
            .is_some_and(|p| p.chars().all(|c| c.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_validate_and_serialise_every_key() {
        let s = Settings::default();
        s.validate().unwrap();
        let json = s.to_json();
        for key in [
            "classification_tag_keys",
            "sensitive_classifications",
            "ownership_tag_keys",
            "allowed_regions",
            "incident_response_role_pattern",
        ] {
            assert!(json.get(key).is_some(), "{key}");
        }
    }

    #[test]
    fn bad_values_name_their_field() {
        let s = Settings {
            incident_response_role_pattern: "(unclosed".into(),
            ..Settings::default()
        };
        assert_eq!(
            s.validate().unwrap_err().field,
            "incident_response_role_pattern"
        );
        let s = Settings {
            allowed_regions: vec!["eu-west-1".into(), "Ireland".into()],
            ..Settings::default()
        };
        let err = s.validate().unwrap_err();
        assert_eq!(err.field, "allowed_regions");
        assert!(err.message.contains("Ireland"));
        let s = Settings {
            sensitive_classifications: vec!["PII".into()],
            ..Settings::default()
        };
        assert_eq!(s.validate().unwrap_err().field, "sensitive_classifications");
    }

    #[test]
    fn a_file_with_a_misspelt_key_names_file_and_line() {
        let dir = std::env::temp_dir().join(format!("vigil-settings-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("settings.yaml");
        std::fs::write(
            &path,
            "allowed_regions: [eu-west-1]\nowner_tag_keys: [owner]\n",
        )
        .unwrap();
        let err = Settings::load(&path).unwrap_err().to_string();
        assert!(
            err.contains("settings.yaml") && err.contains("line 2"),
            "{err}"
        );
        std::fs::write(&path, "allowed_regions: [eu-west-1, eu-central-1]\n").unwrap();
        let s = Settings::load(&path).unwrap();
        assert_eq!(s.allowed_regions, vec!["eu-west-1", "eu-central-1"]);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn unknown_keys_are_refused_and_overrides_merge() {
        let err = serde_json::from_str::<Settings>(r#"{"allowed_region": ["eu-west-1"]}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("allowed_region"), "{err}");
        let overrides = serde_json::json!({"allowed_regions": ["eu-west-1"]});
        let merged = Settings::default()
            .merged(overrides.as_object().unwrap())
            .unwrap();
        assert_eq!(merged.allowed_regions, vec!["eu-west-1"]);
        assert_eq!(
            merged.ownership_tag_keys,
            Settings::default().ownership_tag_keys
        );
    }
}
