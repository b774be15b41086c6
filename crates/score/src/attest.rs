//! The attestation file: what a team declares because no API can show it (a
//! documented IAM architecture, an incident-response plan, a simulation held). The
//! scorecard reports such evidence as declared, never as observed.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::model::Models;

/// The attestation file as written.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Attestations {
    /// Declarations by key; the keys are those the maturity models ask for
    /// (`vigil rules maturity` lists them).
    #[serde(default)]
    pub declarations: BTreeMap<String, Declaration>,
    /// Compliance requirements no API can show (a CIS "Manual" recommendation, a
    /// Well-Architected practice no rule covers, a CAF capability), declared as met,
    /// keyed `framework:id`: `cis_aws_v5:1.1`, `waf:SEC10-BP02`, `caf:Control framework`.
    /// The compliance reports show them as declared; a requirement without one is
    /// missing.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub requirements: BTreeMap<String, Declaration>,
}

/// The frameworks a `requirements` key may name, before its `:`.
pub const REQUIREMENT_FRAMEWORKS: &[&str] = &[
    "cis_aws_v3",
    "cis_aws_v4",
    "cis_aws_v5",
    "fsbp",
    "waf",
    "caf",
];

/// One declaration: what, who, when, and where the proof lives.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Declaration {
    pub statement: String,
    pub by: String,
    pub date: NaiveDate,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
}

#[derive(Debug, Error)]
pub enum AttestationError {
    #[error("cannot read attestation file {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("attestation file {path}: {}", problems.join("; "))]
    Invalid { path: String, problems: Vec<String> },
}

impl Attestations {
    pub fn load(path: &Path, models: &Models) -> Result<Attestations, AttestationError> {
        let text = std::fs::read_to_string(path).map_err(|source| AttestationError::Io {
            path: path.display().to_string(),
            source,
        })?;
        Attestations::parse(&text, &path.display().to_string(), models)
    }

    /// Parses and checks that every key is one a model asks for.
    pub fn parse(
        text: &str,
        origin: &str,
        models: &Models,
    ) -> Result<Attestations, AttestationError> {
        let parsed: Attestations =
            serde_saphyr::from_str(text).map_err(|e| AttestationError::Invalid {
                path: origin.to_owned(),
                problems: vec![format!(
                    "{}{}",
                    e.location()
                        .map(|l| format!("line {}: ", l.line()))
                        .unwrap_or_default(),
                    e.to_string().lines().next().unwrap_or("")
                )],
            })?;
        let mut problems = Vec::new();
        for (key, declaration) in &parsed.declarations {
            if !models.declaration_keys.contains(key) {
                let mut known: Vec<&str> = models.declaration_keys().collect();
                known.sort();
                problems.push(format!(
                    "declarations.{key}: no maturity model asks for this key (known keys: {})",
                    known.join(", ")
                ));
            }
            if declaration.statement.trim().is_empty() || declaration.by.trim().is_empty() {
                problems.push(format!(
                    "declarations.{key}: `statement` and `by` must not be empty"
                ));
            }
        }
        for (key, declaration) in &parsed.requirements {
            let framework = key.split_once(':').map(|(f, id)| (f, id.trim()));
            if !framework
                .is_some_and(|(f, id)| REQUIREMENT_FRAMEWORKS.contains(&f) && !id.is_empty())
            {
                problems.push(format!(
                    "requirements.{key}: a key is `framework:id` with framework one of {}",
                    REQUIREMENT_FRAMEWORKS.join(", ")
                ));
            }
            if declaration.statement.trim().is_empty() || declaration.by.trim().is_empty() {
                problems.push(format!(
                    "requirements.{key}: `statement` and `by` must not be empty"
                ));
            }
        }
        if problems.is_empty() {
            Ok(parsed)
        } else {
            Err(AttestationError::Invalid {
                path: origin.to_owned(),
                problems,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Requirements are keyed `framework:id`; a key without a known framework is
    /// refused with the list of frameworks, like an unknown declaration key.
    #[test]
    fn requirement_keys_name_a_framework() {
        let good = "requirements:\n  \"cis_aws_v5:1.1\":\n    statement: contacts reviewed quarterly\n    by: secops\n    date: 2026-04-01\n";
        let parsed = Attestations::parse(good, "a.yaml", &Models::empty()).unwrap();
        assert_eq!(
            parsed.requirements["cis_aws_v5:1.1"].statement,
            "contacts reviewed quarterly"
        );
        let bad =
            "requirements:\n  \"cis:1.1\":\n    statement: x\n    by: y\n    date: 2026-04-01\n";
        let error = Attestations::parse(bad, "a.yaml", &Models::empty())
            .unwrap_err()
            .to_string();
        assert!(error.contains("requirements.cis:1.1"), "{error}");
        assert!(error.contains("cis_aws_v5, fsbp, waf, caf"), "{error}");
    }
}
