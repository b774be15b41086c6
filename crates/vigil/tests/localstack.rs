//! End to end against the emulators: the real `vigil` binary collects the account that
//! `localstack/seed.py` planted in LocalStack and moto, and the findings must match
//! `localstack/expected.yaml` — every planted problem FAILs, no clean resource FAILs,
//! unsupported services are gaps (ERROR, never PASS), and every operation sent was a
//! read.
//!
//! Ignored by default because it needs the emulators running with their endpoints in
//! the environment; `tests/run` starts them, seeds, sources `localstack/state/env.sh`
//! and runs `cargo nextest run -p vigil --test localstack --run-ignored only`.

use std::path::PathBuf;
use std::process::Command;

use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, Deserialize)]
struct Expected {
    fail: Vec<Pair>,
    #[serde(default)]
    clean: Vec<Pair>,
    #[serde(default)]
    gaps: Vec<GapExpectation>,
}

#[derive(Debug, Deserialize)]
struct Pair {
    rule: String,
    resource: String,
    /// For `fail`: an ERROR whose reason mentions this is accepted too (the emulator
    /// cannot serve what would decide it).
    #[serde(default)]
    allow_error: Option<String>,
    #[serde(default)]
    #[allow(dead_code)]
    note: Option<String>,
}

#[derive(Debug, Deserialize)]
struct GapExpectation {
    service: String,
    operation: String,
    #[serde(default)]
    #[allow(dead_code)]
    note: Option<String>,
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn vigil(args: &[&str]) -> std::process::Output {
    let out = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("vigil runs");
    assert!(
        out.status.code().is_some_and(|c| c == 0 || c == 1),
        "vigil {args:?} failed: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    out
}

/// Does the OCSF finding concern this resource (by name, or a substring of its id)?
fn about(event: &Value, resource: &str) -> bool {
    let r = &event["resources"][0];
    r["name"]
        .as_str()
        .is_some_and(|name| name == resource || name.ends_with(&format!("/{resource}")))
        || r["uid"].as_str().is_some_and(|uid| uid.contains(resource))
}

fn rule_of(event: &Value) -> &str {
    event["metadata"]["event_code"].as_str().unwrap_or("")
}

fn status_of(event: &Value) -> &str {
    event["status_code"].as_str().unwrap_or("")
}

#[test]
#[ignore = "needs LocalStack and moto running (tests/run starts them)"]
fn seeded_account_scan_matches_expectations() {
    assert!(
        std::env::var_os("AWS_ENDPOINT_URL").is_some(),
        "AWS_ENDPOINT_URL is not set: source localstack/state/env.sh first"
    );
    let expected: Expected = serde_saphyr::from_str(
        &std::fs::read_to_string(root().join("localstack/expected.yaml")).unwrap(),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let snapshot = dir.path().join("snapshot.json");
    let findings = dir.path().join("findings.json");
    let collect = vigil(&["collect", "--quiet", "-o", snapshot.to_str().unwrap()]);
    let collect_out = String::from_utf8_lossy(&collect.stdout).to_string();

    // Every operation the SDK sent (as its interceptor saw it leave) is a read.
    let ops: Vec<(&str, &str)> = collect_out
        .lines()
        .filter_map(|l| l.trim().strip_prefix("sent "))
        .filter_map(|l| {
            let operation = l.split_whitespace().next()?;
            let service = l.rsplit_once("  ").map(|(_, s)| s.trim())?;
            Some((service, operation))
        })
        .collect();
    assert!(
        ops.len() > 20,
        "too few operations recorded:\n{collect_out}"
    );
    let writes: Vec<_> = ops
        .iter()
        .filter(|(_, op)| {
            !["Describe", "List", "Get"]
                .iter()
                .any(|p| op.starts_with(p))
                && *op != "GenerateCredentialReport"
        })
        .collect();
    assert!(writes.is_empty(), "non-read operations sent: {writes:?}");

    vigil(&[
        "scan",
        "--snapshot",
        snapshot.to_str().unwrap(),
        "--format",
        "ocsf",
        "-o",
        findings.to_str().unwrap(),
    ]);
    let events: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(&findings).unwrap()).unwrap();
    let snap: Value = serde_json::from_str(&std::fs::read_to_string(&snapshot).unwrap()).unwrap();
    let mut problems = Vec::new();

    for pair in &expected.fail {
        let hit = events.iter().any(|e| {
            rule_of(e) == pair.rule
                && about(e, &pair.resource)
                && (status_of(e) == "FAIL"
                    || pair.allow_error.as_deref().is_some_and(|why| {
                        status_of(e) == "ERROR"
                            && e["compliance"]["status_detail"]
                                .as_str()
                                .is_some_and(|d| d.contains(why))
                    }))
        });
        if !hit {
            let seen: Vec<String> = events
                .iter()
                .filter(|e| rule_of(e) == pair.rule && about(e, &pair.resource))
                .map(|e| {
                    format!(
                        "{} ({})",
                        status_of(e),
                        e["compliance"]["status_detail"].as_str().unwrap_or("")
                    )
                })
                .collect();
            problems.push(format!(
                "expected FAIL {} on {}: got {seen:?}",
                pair.rule, pair.resource
            ));
        }
    }
    for pair in &expected.clean {
        if events
            .iter()
            .any(|e| rule_of(e) == pair.rule && about(e, &pair.resource) && status_of(e) == "FAIL")
        {
            problems.push(format!(
                "clean resource {} fails {}",
                pair.resource, pair.rule
            ));
        }
    }
    let gaps = snap["gaps"].as_array().cloned().unwrap_or_default();
    for gap in &expected.gaps {
        if !gaps.iter().any(|g| {
            g["service"].as_str() == Some(gap.service.as_str())
                && g["operation"].as_str() == Some(gap.operation.as_str())
        }) {
            problems.push(format!(
                "expected a gap for {}:{}",
                gap.service, gap.operation
            ));
        }
    }
    // Rules over gapped types never pass: every finding whose evidence names a gap is ERROR.
    for e in &events {
        let gapped = e["unmapped"]["vigil"]["evidence"]["gaps"]
            .as_array()
            .is_some_and(|g| !g.is_empty());
        if gapped && status_of(e) == "PASS" {
            problems.push(format!(
                "{} passes on {} despite a gap",
                rule_of(e),
                e["resources"][0]["uid"]
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "{} problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
}
