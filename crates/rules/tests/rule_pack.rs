//! The built-in rule pack under `rules/`: it loads, every rule's fixtures pass, every
//! rule has both a failing and a passing case, the property paths rules read are in the
//! collector contract, and the committed JSON Schema is current.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use vigil_rules::{RuleSet, run_fixtures};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn pack() -> RuleSet {
    match RuleSet::load_dirs(&[root().join("rules")]) {
        Ok(set) => set,
        Err(errors) => panic!("{errors}"),
    }
}

#[test]
fn every_fixture_passes_and_every_rule_has_fail_and_pass_cases() {
    let set = pack();
    let report = run_fixtures(&set);
    let mut failures: Vec<String> = report.problems.clone();
    failures.extend(
        report
            .cases
            .iter()
            .filter(|c| !c.passed)
            .map(|c| format!("{} / {}: {}", c.rule, c.case, c.message)),
    );
    assert!(
        failures.is_empty(),
        "{} fixture problem(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(report.cases.len() >= 2 * set.len());
}

/// `docs/resource-properties.md` lists, per resource type, the properties collectors
/// produce. A rule may only read top-level properties listed for its type.
#[test]
fn rules_read_only_documented_properties() {
    let doc = std::fs::read_to_string(root().join("docs/resource-properties.md")).unwrap();
    let mut documented: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut current: Vec<String> = Vec::new();
    // A bullet `- aws.x.y: ...` adds properties to the type it names, on its line and
    // the indented lines that continue it ("Additions to existing types").
    let mut bullet: Option<String> = None;
    for line in doc.lines() {
        if let Some(heading) = line
            .strip_prefix("## ")
            .or_else(|| line.strip_prefix("### "))
        {
            bullet = None;
            current = heading
                .split(" / ")
                .filter_map(|part| part.split_whitespace().next())
                .filter(|t| t.starts_with("aws."))
                .map(str::to_owned)
                .collect();
            continue;
        }
        if let Some(rest) = line.strip_prefix("- ") {
            bullet = rest
                .split_once(':')
                .map(|(t, _)| t.trim())
                .filter(|t| t.starts_with("aws.") && !t.contains(' '))
                .map(str::to_owned);
        } else if !line.starts_with("  ") {
            bullet = None;
        }
        let owners: Vec<String> = match &bullet {
            Some(t) => vec![t.clone()],
            None => current.clone(),
        };
        for (i, piece) in line.split('`').enumerate() {
            if i % 2 == 1 {
                for t in &owners {
                    documented
                        .entry(t.clone())
                        .or_default()
                        .insert(piece.to_owned());
                }
            }
        }
    }
    let mut problems = Vec::new();
    for rule in pack().rules() {
        let known = documented.get(&rule.meta.resource);
        for path in &rule.reads {
            let top = path.split('.').next().unwrap();
            if !known.is_some_and(|k| k.contains(top)) {
                problems.push(format!(
                    "{}: reads `{path}`, but `{top}` is not documented for {}",
                    rule.id(),
                    rule.meta.resource
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Regenerate with `VIGIL_UPDATE_SCHEMAS=1 cargo nextest run -p vigil-rules`.
#[test]
fn committed_rule_schema_is_current() {
    let path = root().join("rules/rule.schema.json");
    let current = vigil_rules::rule_schema();
    if std::env::var_os("VIGIL_UPDATE_SCHEMAS").is_some() {
        std::fs::write(&path, &current).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == current,
        "rules/rule.schema.json is stale: run with VIGIL_UPDATE_SCHEMAS=1"
    );
}

#[test]
fn the_pack_has_at_least_sixty_rules_across_the_required_services() {
    let set = pack();
    assert!(set.len() >= 60, "only {} rules", set.len());
    for service in [
        "iam",
        "s3",
        "ec2",
        "kms",
        "cloudtrail",
        "config",
        "cloudwatch",
        "logs",
        "guardduty",
        "securityhub",
        "accessanalyzer",
        "account",
    ] {
        assert!(
            set.rules()
                .iter()
                .any(|r| r.id().starts_with(&format!("{service}_"))),
            "no rule for {service}"
        );
    }
}

/// Every CIS AWS Foundations v3.0.0 recommendation in sections 1–5 that an API can
/// show has at least one rule; the rest are listed as manual in `mapping.rs`.
#[test]
fn every_automatable_cis_v3_recommendation_is_covered() {
    let set = pack();
    let covered: BTreeSet<&str> = set
        .rules()
        .iter()
        .flat_map(|r| r.meta.compliance.cis_aws_v3.iter().map(String::as_str))
        .collect();
    let missing: Vec<&str> = vigil_rules::mapping::CIS_AWS_V3
        .iter()
        .map(|(id, _)| *id)
        .filter(|id| !covered.contains(id) && !vigil_rules::mapping::CIS_AWS_V3_MANUAL.contains(id))
        .collect();
    assert!(
        missing.is_empty(),
        "CIS v3 recommendations without a rule: {missing:?}"
    );
}

/// Every rule is mapped to all the frameworks the scorecard reports on.
#[test]
fn every_rule_is_mapped_to_caf_waf_epics_and_a_compliance_reference_or_practice() {
    for rule in pack().rules() {
        let m = &rule.meta;
        assert!(!m.epics.is_empty(), "{}", m.id);
        assert!(
            vigil_rules::mapping::is_waf_practice(&m.waf.practice),
            "{}",
            m.id
        );
        assert!(!m.remediation.text.trim().is_empty(), "{}", m.id);
        assert!(!m.references.is_empty(), "{}: no references", m.id);
    }
}
