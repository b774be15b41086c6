//! The built-in rule pack under `rules/`: it loads, every rule's fixtures pass, every
//! rule has both a failing and a passing case, the property paths rules read are in the
//! collector contract, the compliance references name real FSBP controls and CIS
//! recommendations, and the committed JSON Schema and coverage page are current.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use vigil_rules::{RuleSet, Standards, run_fixtures};

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
        for path in rule.reads.iter() {
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

fn standards() -> Standards {
    match Standards::load(&root().join("rules/standards")) {
        Ok(s) => s,
        Err(e) => panic!("{e}"),
    }
}

/// A rule's `compliance.fsbp` names controls of the standard as AWS lists it today
/// (`rules/standards/fsbp.yaml`): Security Hub has many more controls (IAM.9, S3.14,
/// SNS.1, EC2.53, ...) that serve its CIS, NIST or PCI standards, not FSBP.
#[test]
fn every_fsbp_reference_is_a_control_of_the_standard() {
    let standards = standards();
    let mut problems = Vec::new();
    for rule in pack().rules() {
        for id in &rule.meta.compliance.fsbp {
            if standards.fsbp_control(id).is_none() {
                problems.push(format!("{}: {id}", rule.id()));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "FSBP ids that are not controls of the standard (see rules/standards/fsbp.yaml):\n{}",
        problems.join("\n")
    );
    assert!(standards.fsbp.controls.len() > 300);
}

/// The CIS lists with titles (`rules/standards/cis_aws.yaml`) and the ids the loader
/// validates (`mapping.rs`) are the same.
#[test]
fn cis_lists_match_the_ids_the_loader_validates() {
    let standards = standards();
    let ids = |field: &str| -> Vec<String> {
        standards
            .cis_benchmark(field)
            .unwrap_or_else(|| panic!("no {field} in cis_aws.yaml"))
            .recommendations
            .iter()
            .map(|r| r.id.clone())
            .collect()
    };
    let v3: Vec<String> = vigil_rules::mapping::CIS_AWS_V3
        .iter()
        .map(|(id, _)| (*id).to_owned())
        .collect();
    assert_eq!(ids("cis_aws_v3"), v3);
    let own = |list: &[&str]| list.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    assert_eq!(ids("cis_aws_v4"), own(vigil_rules::mapping::CIS_AWS_V4));
    assert_eq!(ids("cis_aws_v5"), own(vigil_rules::mapping::CIS_AWS_V5));
    assert_eq!(
        (v3.len(), ids("cis_aws_v4").len(), ids("cis_aws_v5").len()),
        (62, 64, 63)
    );
}

/// A rule with CIS v4.0.1 references also names the v5.0.0 recommendations, renumbered:
/// v5.0.0 dropped 1.3, so v4.0.1's 1.4..1.22 are 1.3..1.21; sections 2-5 are unchanged.
#[test]
fn every_cis_v4_reference_has_its_v5_number() {
    let v5_of = |v4: &str| -> Option<String> {
        match v4.strip_prefix("1.").map(str::parse::<u32>) {
            Some(Ok(3)) => None,
            Some(Ok(n)) if n >= 4 => Some(format!("1.{}", n - 1)),
            _ => Some(v4.to_owned()),
        }
    };
    for rule in pack().rules() {
        let c = &rule.meta.compliance;
        let expected: Vec<String> = c.cis_aws_v4.iter().filter_map(|id| v5_of(id)).collect();
        assert_eq!(c.cis_aws_v5, expected, "{}", rule.id());
        if !c.cis_aws_v3.is_empty() {
            assert!(!c.cis_aws_v4.is_empty(), "{}: v3 ids but no v4", rule.id());
        }
    }
}

/// `docs/coverage.md` is generated from the standards' lists, the reasons file and the
/// rules; every control without a rule says why. Regenerate with
/// `VIGIL_UPDATE_SCHEMAS=1 cargo nextest run -p vigil-rules`.
#[test]
fn coverage_page_is_current_and_every_uncovered_control_has_a_reason() {
    let standards = standards();
    let set = pack();
    let problems = standards.problems(&set);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    let page = vigil_rules::coverage_markdown(&standards, &set);
    assert!(!page.contains("no reason given"));
    assert!(page.contains(&format!("- **Rules in all**: {}.", set.len())));
    let path = root().join("docs/coverage.md");
    let text = format!("{page}\n");
    if std::env::var_os("VIGIL_UPDATE_SCHEMAS").is_some() {
        std::fs::write(&path, &text).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == text,
        "docs/coverage.md is stale: run VIGIL_UPDATE_SCHEMAS=1 cargo nextest run -p vigil-rules"
    );
}

/// The escalation rule raises a user with an active access key to critical (high
/// otherwise) and its evidence is the path, hop by hop, in every output that carries
/// evidence (OCSF puts it under `resources[].data.evidence`).
#[test]
fn escalation_findings_carry_the_path_and_the_raised_severity() {
    use serde_json::json;
    use vigil_inventory::{Inventory, Resource};
    use vigil_rules::{EvalContext, Severity, Status, evaluate_where};

    let set = pack();
    let user = |name: &str, keys: serde_json::Value| {
        Resource::new(
            format!("arn:aws:iam::123456789012:user/{name}"),
            "aws.iam.user",
            "123456789012",
            "global",
        )
        .with_property(
            "inline_policies",
            json!([{"name": "self", "document": {"Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "iam:AttachUserPolicy",
                           "Resource": format!("arn:aws:iam::123456789012:user/{name}")}]}}]),
        )
        .with_property("attached_policies", json!([]))
        .with_property("groups", json!([]))
        .with_property("access_keys", keys)
        .with_property("permissions_boundary", serde_json::Value::Null)
    };
    let inventory = Inventory::new(
        vec![
            user(
                "keyed",
                json!([{"access_key_id": "AKIA1", "status": "Active"}]),
            ),
            user(
                "console",
                json!([{"access_key_id": "AKIA2", "status": "Inactive"}]),
            ),
            // Outside any organisation: no SCP applies (without the account node the
            // SCPs would be unknown and the path conditional).
            Resource::new(
                "arn:aws::123456789012:account",
                "aws.account",
                "123456789012",
                "global",
            )
            .with_property("organization", serde_json::Value::Null),
        ],
        vec![],
        vec![],
    )
    .unwrap();
    let ctx = EvalContext::new(std::sync::Arc::new(inventory), chrono::Utc::now());
    let (findings, _) = evaluate_where(&set, &ctx, |r| {
        r.id() == "iam_principal_can_escalate_to_admin"
    });
    let of = |name: &str| {
        findings
            .iter()
            .find(|f| f.resource.id.ends_with(&format!("user/{name}")))
            .unwrap()
    };
    assert_eq!(of("keyed").status, Status::Fail);
    assert_eq!(of("keyed").rule.severity, Severity::Critical);
    assert_eq!(of("console").status, Status::Fail);
    assert_eq!(of("console").rule.severity, Severity::High);
    let path = of("keyed")
        .evidence
        .property("escalation_path")
        .expect("an escalation path");
    assert_eq!(path["hops"][0]["method"], "iam_attach_user_policy");
    assert_eq!(
        path["hops"][0]["actions"][0],
        "iam:AttachUserPolicy on arn:aws:iam::123456789012:user/keyed"
    );
    assert_eq!(path["hops"][0]["decision"], "Allowed");
    assert_eq!(path["administrator"], "administrator");
    assert!(
        of("keyed")
            .evidence
            .property("escalation_path_text")
            .unwrap()
            .as_str()
            .unwrap()
            .contains("--[iam_attach_user_policy: iam:AttachUserPolicy on")
    );
    // The helper remembers its last answer per thread, and the next evaluation of
    // the same principal starts from it: a second pass must carry the same evidence,
    // the same related principals and the same raised severity.
    let (again, _) = evaluate_where(&set, &ctx, |r| {
        r.id() == "iam_principal_can_escalate_to_admin"
    });
    assert_eq!(again.len(), findings.len());
    for (first, second) in findings.iter().zip(&again) {
        assert_eq!(first.status, second.status);
        assert_eq!(first.rule.severity, second.rule.severity);
        assert_eq!(first.evidence, second.evidence, "{}", first.resource.id);
    }
}
