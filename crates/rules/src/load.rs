//! Loading rule files: everything is validated before anything is evaluated, and all
//! problems are reported together, each naming the file, the field and the line.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};

use thiserror::Error;
use walkdir::WalkDir;

use crate::expr::{Expr, ExprIssue};
use crate::mapping::{self, CIS_AWS_V3, CIS_AWS_V4, CIS_AWS_V5};
use crate::rule::{Rule, RuleFile};

/// A rule file's text, with its fixture file's text when it has one.
#[derive(Debug, Clone)]
pub struct RuleSource {
    pub path: PathBuf,
    pub text: String,
    pub fixtures: Option<FixtureSource>,
}

/// A fixture file beside a rule (`<id>.test.yaml`).
#[derive(Debug, Clone)]
pub struct FixtureSource {
    pub path: PathBuf,
    pub text: String,
}

/// One problem in one rule file.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub struct LoadError {
    pub file: PathBuf,
    pub field: Option<String>,
    pub line: Option<usize>,
    pub message: String,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some(field) = &self.field {
            write!(f, ": field `{field}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Every problem found while loading, reported at once.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub struct LoadErrors(pub Vec<LoadError>);

impl fmt::Display for LoadErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{} problem(s) in rule files:", self.0.len())?;
        for e in &self.0 {
            writeln!(f, "  {e}")?;
        }
        Ok(())
    }
}

/// The loaded, validated rules, indexed by resource type.
#[derive(Debug, Default)]
pub struct RuleSet {
    rules: Vec<Rule>,
    by_type: HashMap<String, Vec<usize>>,
}

impl RuleSet {
    /// Validates every source and returns the set, or every problem found.
    pub fn from_sources(sources: Vec<RuleSource>) -> Result<RuleSet, LoadErrors> {
        let mut errors = Vec::new();
        let mut rules = Vec::new();
        let mut seen: HashMap<String, PathBuf> = HashMap::new();
        for source in sources {
            match load_rule(source) {
                Ok(rule) => {
                    if let Some(first) = seen.get(&rule.meta.id) {
                        errors.push(LoadError {
                            file: rule.source.clone(),
                            field: Some("id".into()),
                            line: None,
                            message: format!(
                                "duplicate rule id `{}` (also in {})",
                                rule.meta.id,
                                first.display()
                            ),
                        });
                    } else {
                        seen.insert(rule.meta.id.clone(), rule.source.clone());
                        rules.push(rule);
                    }
                }
                Err(mut problems) => errors.append(&mut problems),
            }
        }
        if !errors.is_empty() {
            return Err(LoadErrors(errors));
        }
        rules.sort_by(|a, b| a.meta.id.cmp(&b.meta.id));
        let mut by_type: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, rule) in rules.iter().enumerate() {
            for t in crate::rule::resource_types(&rule.meta.resource) {
                by_type.entry(t.to_owned()).or_default().push(i);
            }
        }
        Ok(RuleSet { rules, by_type })
    }

    /// Reads and validates every rule under the given directories.
    pub fn load_dirs(dirs: &[PathBuf]) -> Result<RuleSet, LoadErrors> {
        let mut sources = Vec::new();
        let mut errors = Vec::new();
        for dir in dirs {
            match read_dir(dir) {
                Ok(mut found) => sources.append(&mut found),
                Err(LoadErrors(mut e)) => errors.append(&mut e),
            }
        }
        if !errors.is_empty() {
            return Err(LoadErrors(errors));
        }
        RuleSet::from_sources(sources)
    }

    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    pub fn get(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.meta.id == id)
    }

    /// Rules that evaluate resources of this type.
    pub fn for_type(&self, resource_type: &str) -> impl Iterator<Item = &Rule> + '_ {
        self.by_type
            .get(resource_type)
            .into_iter()
            .flatten()
            .map(|&i| &self.rules[i])
    }

    /// Resource types some rule evaluates.
    pub fn resource_types(&self) -> impl Iterator<Item = &str> + '_ {
        self.by_type.keys().map(String::as_str)
    }

    pub fn len(&self) -> usize {
        self.rules.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }
}

/// Is this a rule file (YAML, not a fixture, not a maturity model, not a standard's
/// control list, not an escalation method)?
fn is_rule_file(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    (name.ends_with(".yaml") || name.ends_with(".yml"))
        && !name.ends_with(".test.yaml")
        && !name.ends_with(".test.yml")
        && !path.components().any(|c| {
            ["maturity", "standards", "escalation"]
                .iter()
                .any(|d| c.as_os_str() == *d)
        })
}

/// The fixture file that belongs to a rule file.
pub fn fixture_path(rule_path: &Path) -> PathBuf {
    let stem = rule_path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
    rule_path.with_file_name(format!("{stem}.test.yaml"))
}

/// Reads every rule file below `dir`, with the fixture file beside each.
pub fn read_dir(dir: &Path) -> Result<Vec<RuleSource>, LoadErrors> {
    let mut sources = Vec::new();
    let mut errors = Vec::new();
    let io_error = |path: &Path, e: &dyn fmt::Display| LoadError {
        file: path.to_owned(),
        field: None,
        line: None,
        message: format!("cannot read: {e}"),
    };
    if !dir.is_dir() {
        return Err(LoadErrors(vec![io_error(dir, &"not a directory")]));
    }
    let mut paths: Vec<PathBuf> = WalkDir::new(dir)
        .into_iter()
        .filter_map(|entry| match entry {
            Ok(e) if e.file_type().is_file() => Some(e.into_path()),
            Ok(_) => None,
            Err(e) => {
                errors.push(io_error(dir, &e));
                None
            }
        })
        .filter(|p| is_rule_file(p.strip_prefix(dir).unwrap_or(p)))
        .collect();
    paths.sort();
    for path in paths {
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) => {
                errors.push(io_error(&path, &e));
                continue;
            }
        };
        let fixture = fixture_path(&path);
        let fixtures = std::fs::read_to_string(&fixture)
            .ok()
            .map(|text| FixtureSource {
                path: fixture,
                text,
            });
        sources.push(RuleSource {
            path,
            text,
            fixtures,
        });
    }
    if errors.is_empty() {
        Ok(sources)
    } else {
        Err(LoadErrors(errors))
    }
}

/// The line of the first `key:` in a YAML text, for errors about that field.
fn field_line(text: &str, key: &str) -> Option<usize> {
    let needle = format!("{key}:");
    text.lines()
        .position(|line| {
            let trimmed = line.trim_start().trim_start_matches("- ");
            trimmed.starts_with(&needle)
        })
        .map(|i| i + 1)
}

fn load_rule(source: RuleSource) -> Result<Rule, Vec<LoadError>> {
    let RuleSource {
        path,
        text,
        fixtures,
    } = source;
    let error = |field: &str, message: String| LoadError {
        file: path.clone(),
        field: (!field.is_empty()).then(|| field.to_owned()),
        line: field
            .rsplit('.')
            .next()
            .and_then(|key| field_line(&text, key)),
        message,
    };
    let meta: RuleFile = match serde_saphyr::from_str(&text) {
        Ok(meta) => meta,
        Err(e) => {
            return Err(vec![LoadError {
                file: path.clone(),
                field: None,
                line: e.location().map(|l| l.line() as usize),
                message: first_line(&e.to_string()),
            }]);
        }
    };
    let mut errors = Vec::new();
    validate_meta(&meta, &path, &mut |field, message| {
        errors.push(error(field, message))
    });
    let mut compile = |field: &str, source: &str| match Expr::compile(source) {
        Ok(expr) => Some(expr),
        Err(issues) => {
            let base = field_line(&text, field);
            for ExprIssue { line, message } in issues {
                let mut e = error(field, message);
                // A block scalar starts on the line after the key.
                e.line = match (base, line) {
                    (Some(b), Some(l))
                        if text
                            .lines()
                            .nth(b - 1)
                            .is_some_and(|t| t.trim_end().ends_with(['|', '>', '-'])) =>
                    {
                        Some(b + l)
                    }
                    (Some(b), _) => Some(b),
                    (None, _) => None,
                };
                errors.push(e);
            }
            None
        }
    };
    let condition = compile("condition", &meta.condition);
    let applies_when = meta
        .applies_when
        .as_deref()
        .map(|s| compile("applies_when", s));
    if !errors.is_empty() {
        return Err(errors);
    }
    let condition = condition.expect("no errors means the condition compiled");
    let applies_when = applies_when.map(|a| a.expect("no errors means it compiled"));
    let reads = condition.property_paths();
    let mut inputs = reads.clone();
    for path in applies_when.iter().flat_map(Expr::property_paths) {
        if !inputs.contains(&path) {
            inputs.push(path);
        }
    }
    let reads_tags = std::iter::once(&condition)
        .chain(applies_when.as_ref())
        .any(|e| e.source().contains("resource.tags"));
    Ok(Rule {
        meta,
        source: path,
        fixtures,
        condition,
        applies_when,
        reads: reads.into(),
        inputs,
        reads_tags,
    })
}

fn first_line(text: &str) -> String {
    text.lines().next().unwrap_or(text).trim().to_owned()
}

fn validate_meta(meta: &RuleFile, path: &Path, report: &mut dyn FnMut(&str, String)) {
    let id_ok = !meta.id.is_empty()
        && meta.id.starts_with(|c: char| c.is_ascii_lowercase())
        && meta
            .id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !id_ok {
        report("id", format!("`{}` is not a snake_case id", meta.id));
    }
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
    if stem != meta.id {
        report(
            "id",
            format!("id `{}` does not match the file name `{stem}`", meta.id),
        );
    }
    for (field, value) in [
        ("title", &meta.title),
        ("description", &meta.description),
        ("rationale", &meta.rationale),
        ("text", &meta.remediation.text),
    ] {
        if value.trim().is_empty() {
            report(field, "must not be empty".into());
        }
    }
    if crate::rule::resource_types(&meta.resource)
        .iter()
        .any(|t| vigil_inventory::resource_type(t).is_none())
    {
        report(
            "resource",
            format!(
                "unknown resource type `{}`; see `vigil rules types`",
                meta.resource
            ),
        );
    }
    let capabilities = meta.caf.component.capabilities();
    if !capabilities
        .iter()
        .any(|c| c.eq_ignore_ascii_case(meta.caf.capability.trim()))
    {
        report(
            "caf.capability",
            format!(
                "`{}` is not a capability of the {} component; expected one of: {}",
                meta.caf.capability,
                meta.caf.component,
                capabilities.join(", ")
            ),
        );
    }
    if !mapping::is_waf_practice(&meta.waf.practice) {
        report(
            "waf.practice",
            format!(
                "`{}` is not a Well-Architected security best practice (SEC01-BP01 .. SEC11-BP08)",
                meta.waf.practice
            ),
        );
    }
    if meta.epics.is_empty() {
        report(
            "epics",
            "list at least one of the ten security epics".into(),
        );
    }
    let unique: HashSet<_> = meta.epics.iter().collect();
    if unique.len() != meta.epics.len() {
        report("epics", "an epic is listed twice".into());
    }
    for c in &meta.compliance.cis_aws_v3 {
        if !CIS_AWS_V3.iter().any(|(id, _)| id == c) {
            report(
                "compliance.cis_aws_v3",
                format!("`{c}` is not a CIS AWS Foundations v3.0.0 recommendation"),
            );
        }
    }
    for c in &meta.compliance.cis_aws_v4 {
        if !CIS_AWS_V4.contains(&c.as_str()) {
            report(
                "compliance.cis_aws_v4",
                format!("`{c}` is not a CIS AWS Foundations v4.0.1 recommendation"),
            );
        }
    }
    for c in &meta.compliance.cis_aws_v5 {
        if !CIS_AWS_V5.contains(&c.as_str()) {
            report(
                "compliance.cis_aws_v5",
                format!("`{c}` is not a CIS AWS Foundations v5.0.0 recommendation"),
            );
        }
    }
    for c in &meta.compliance.fsbp {
        if !mapping::is_fsbp_control(c) {
            report(
                "compliance.fsbp",
                format!("`{c}` is not an FSBP control id such as `S3.8`"),
            );
        }
    }
    for r in &meta.references {
        if !r.starts_with("https://") {
            report("references", format!("`{r}` is not an https URL"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"id: s3_bucket_versioning_enabled
title: S3 bucket versioning is enabled
severity: medium
resource: aws.s3.bucket
description: Checks versioning.
rationale: Versioning keeps old objects.
condition: properties.versioning.status == "Enabled"
caf:
  component: Preventive
  capability: Data protection
waf:
  area: Data
  practice: SEC08-BP04
epics: [data_protection, resilience]
compliance:
  fsbp: [S3.14]
remediation:
  text: Enable versioning.
"#;

    fn source(name: &str, text: &str) -> RuleSource {
        RuleSource {
            path: PathBuf::from(format!("rules/aws/s3/{name}.yaml")),
            text: text.to_owned(),
            fixtures: None,
        }
    }

    #[test]
    fn loads_a_good_rule() {
        let set =
            RuleSet::from_sources(vec![source("s3_bucket_versioning_enabled", GOOD)]).unwrap();
        assert_eq!(set.len(), 1);
        let rule = set.get("s3_bucket_versioning_enabled").unwrap();
        assert_eq!(&*rule.reads, ["versioning.status"]);
        assert_eq!(set.for_type("aws.s3.bucket").count(), 1);
    }

    #[test]
    fn reports_every_problem_at_once_with_file_field_and_line() {
        let bad = GOOD
            .replace("resource: aws.s3.bucket", "resource: aws.s3.bukkit")
            .replace(
                "capability: Data protection",
                "capability: Logging and monitoring",
            )
            .replace("SEC08-BP04", "SEC08-BP09")
            .replace(
                r#"condition: properties.versioning.status == "Enabled""#,
                "condition: properties.versioning.status ==",
            )
            .replace("fsbp: [S3.14]", "fsbp: [S3.14]\n  cis_aws_v3: [\"9.9\"]");
        let errors =
            RuleSet::from_sources(vec![source("s3_bucket_versioning_enabled", &bad)]).unwrap_err();
        let text = errors.to_string();
        assert_eq!(errors.0.len(), 5, "{text}");
        assert!(text.contains("s3_bucket_versioning_enabled.yaml:4: field `resource`: unknown resource type `aws.s3.bukkit`"), "{text}");
        assert!(text.contains(":10: field `caf.capability`"), "{text}");
        assert!(text.contains(":13: field `waf.practice`"), "{text}");
        assert!(
            text.contains(":7: field `condition`: CEL syntax error"),
            "{text}"
        );
        assert!(
            text.contains("field `compliance.cis_aws_v3`: `9.9`"),
            "{text}"
        );
    }

    #[test]
    fn unknown_enum_values_and_fields_are_errors_with_lines() {
        let bad = GOOD.replace("component: Preventive", "component: Protective");
        let errors =
            RuleSet::from_sources(vec![source("s3_bucket_versioning_enabled", &bad)]).unwrap_err();
        assert_eq!(errors.0.len(), 1);
        assert_eq!(errors.0[0].line, Some(9), "{}", errors);
        assert!(errors.0[0].message.contains("Protective"), "{}", errors);

        let bad = GOOD.replace(
            "epics: [data_protection, resilience]",
            "epics: [data_protection, world_peace]",
        );
        let errors =
            RuleSet::from_sources(vec![source("s3_bucket_versioning_enabled", &bad)]).unwrap_err();
        assert!(errors.0[0].message.contains("world_peace"), "{}", errors);

        let bad = format!("{GOOD}colour: blue\n");
        let errors =
            RuleSet::from_sources(vec![source("s3_bucket_versioning_enabled", &bad)]).unwrap_err();
        assert!(errors.0[0].message.contains("colour"), "{}", errors);
    }

    #[test]
    fn duplicate_ids_and_mismatched_file_names() {
        let errors = RuleSet::from_sources(vec![
            source("s3_bucket_versioning_enabled", GOOD),
            RuleSource {
                path: "custom/s3_bucket_versioning_enabled.yaml".into(),
                text: GOOD.into(),
                fixtures: None,
            },
            source("other_name", GOOD),
        ])
        .unwrap_err();
        let text = errors.to_string();
        assert!(text.contains("duplicate rule id `s3_bucket_versioning_enabled` (also in rules/aws/s3/s3_bucket_versioning_enabled.yaml)"), "{text}");
        assert!(
            text.contains("does not match the file name `other_name`"),
            "{text}"
        );
    }

    #[test]
    fn unknown_function_in_block_condition_names_its_line() {
        let bad = GOOD.replace(
            r#"condition: properties.versioning.status == "Enabled""#,
            "condition: |\n  properties.versioning.status == \"Enabled\" &&\n  shiny(properties)",
        );
        let errors =
            RuleSet::from_sources(vec![source("s3_bucket_versioning_enabled", &bad)]).unwrap_err();
        assert_eq!(errors.0.len(), 1, "{errors}");
        assert_eq!(errors.0[0].line, Some(9), "{errors}");
        assert!(errors.0[0].message.contains("unknown function `shiny`"));
    }
}
