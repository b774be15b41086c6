//! The rule pack and maturity models compiled into the binary.

use std::path::PathBuf;

use vigil_rules::{FixtureSource, RuleSource};
use vigil_score::ModelSource;

include!(concat!(env!("OUT_DIR"), "/builtin_rules.rs"));

/// Built-in rules with their fixtures, named `builtin:rules/<path>` in messages.
pub fn rule_sources() -> Vec<RuleSource> {
    BUILTIN_FILES
        .iter()
        .filter(|(path, _)| path.starts_with("aws/") && !path.ends_with(".test.yaml"))
        .map(|(path, text)| {
            let fixture = path.replace(".yaml", ".test.yaml");
            RuleSource {
                path: PathBuf::from(format!("builtin:rules/{path}")),
                text: (*text).to_owned(),
                fixtures: BUILTIN_FILES
                    .iter()
                    .find(|(p, _)| *p == fixture)
                    .map(|(p, t)| FixtureSource {
                        path: PathBuf::from(format!("builtin:rules/{p}")),
                        text: (*t).to_owned(),
                    }),
            }
        })
        .collect()
}

/// Built-in maturity models.
pub fn model_sources() -> Vec<ModelSource> {
    BUILTIN_FILES
        .iter()
        .filter(|(path, _)| path.starts_with("maturity/"))
        .map(|(path, text)| ModelSource {
            path: PathBuf::from(format!("builtin:rules/{path}")),
            text: (*text).to_owned(),
        })
        .collect()
}
