//! Conformance of Vigil's outputs to the published formats, on every finding the
//! built-in rules produce for the bundled example account (examples/), muted and
//! erroring findings included:
//! - OCSF: every event validates against a JSON Schema derived from the official OCSF
//!   1.6.0 schema (tests/data/ocsf/, see its README), and every finding event loads
//!   with py-ocsf-models, the model library Prowler uses;
//! - SARIF: the log validates against the published SARIF 2.1.0 JSON schema;
//! - JUnit: the XML validates against the Jenkins xunit-plugin junit-10.xsd.
//!
//! JSON Schemas are checked in Rust with the `jsonschema` crate. There is no usable
//! XSD validator in Rust, so the JUnit check and the py-ocsf-models check run Python
//! scripts (tests/python/) in the venv that tests/python/install.sh makes (Python
//! `xmlschema` and `py-ocsf-models`); tests/run installs it. Without that venv the two
//! Python checks say so and skip, except under CI (`CI` set), where they fail.
//!
//! Each schema is also shown to reject a broken document, so a vacuous schema or
//! validator cannot pass these tests.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, OnceLock};

use chrono::{DateTime, TimeZone, Utc};
use serde_json::{Value, json};
use vigil_inventory::{Inventory, Snapshot};
use vigil_report::lifecycle::{
    Change, ScanEnd, ScanSummary, Seen, finding_change_event, scan_summary_event,
};
use vigil_report::{
    ScanInfo, ocsf_finding, write_junit, write_ndjson, write_ocsf_json, write_sarif,
};
use vigil_rules::{EvalContext, Finding, Mutelist, RuleSet, Status, evaluate, read_dir};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn data(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(path)
}

fn load_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 9, 1, 12, 0, 0).unwrap()
}

fn scan() -> ScanInfo {
    ScanInfo {
        scan_id: "vigil-20250901T120000.000Z".into(),
        started_at: now(),
        finished_at: now() + chrono::Duration::seconds(42),
        product_version: "0.1.0".into(),
    }
}

/// The built-in rules evaluated over examples/acme-dev.snapshot.json with
/// examples/mutelist.yaml applied, as `vigil scan` does: hundreds of findings of
/// every status, over every resource type the example holds.
fn example_findings() -> &'static [Finding] {
    static FINDINGS: OnceLock<Vec<Finding>> = OnceLock::new();
    FINDINGS.get_or_init(|| {
        let sources = read_dir(&root().join("rules")).expect("the built-in rules load");
        let rules = RuleSet::from_sources(sources).expect("the built-in rules are valid");
        let text = std::fs::read_to_string(root().join("examples/acme-dev.snapshot.json"))
            .expect("the example snapshot");
        let snapshot = Snapshot::from_json(&text).expect("the example snapshot parses");
        let inventory = Inventory::from_snapshot(snapshot).expect("the example inventory");
        let ctx = EvalContext::new(Arc::new(inventory), now());
        let (mut findings, _) = evaluate(&rules, &ctx);
        let mutelist = Mutelist::load(&root().join("examples/mutelist.yaml")).expect("mutelist");
        mutelist.apply(&mut findings, now().date_naive());
        for status in [Status::Pass, Status::Fail, Status::Error, Status::Muted] {
            assert!(
                findings.iter().any(|f| f.status == status),
                "the example has no {status:?} finding: the conformance tests would miss it"
            );
        }
        findings
    })
}

/// Every OCSF event Vigil emits for the example: each finding as `vigil scan` writes
/// it, each as the daemon's lifecycle events (created, reopened, muted, resolved),
/// and the scan summary (a Scan Activity, checked against its own schema).
fn finding_events() -> Vec<Value> {
    let scan = scan();
    let seen = Seen {
        first: Some(now() - chrono::Duration::days(3)),
        last: now(),
    };
    let mut events = Vec::new();
    for finding in example_findings() {
        let body = ocsf_finding(finding, &scan);
        for change in [
            Change::New,
            Change::Reopened,
            Change::Muted,
            Change::Resolved,
        ] {
            events.push(finding_change_event(
                &body,
                change,
                seen,
                change == Change::Resolved,
            ));
        }
        events.push(body);
    }
    events
}

fn summary_events() -> Vec<Value> {
    [ScanEnd::Completed, ScanEnd::Cancelled, ScanEnd::Failed]
        .into_iter()
        .map(|end| {
            scan_summary_event(&ScanSummary {
                scan_id: "vigil-20250901T120000.000Z",
                account: "111122223333",
                end,
                started_at: now(),
                finished_at: now() + chrono::Duration::seconds(42),
                resources: 120,
                pass: 300,
                fail: 100,
                error: 20,
                muted: 2,
                gaps: 3,
                error_message: (end == ScanEnd::Failed).then_some("AccessDenied"),
                scorecard: json!({ "epics": [] }),
                coverage: json!([]),
                product_version: "0.1.0",
            })
        })
        .collect()
}

fn validator(path: &str) -> jsonschema::Validator {
    jsonschema::options()
        .should_validate_formats(true)
        .build(&load_json(&data(path)))
        .unwrap_or_else(|e| panic!("{path} is not a usable JSON Schema: {e}"))
}

/// The first errors of each invalid document, for a readable failure.
fn problems(validator: &jsonschema::Validator, documents: &[Value]) -> Vec<String> {
    let mut out = Vec::new();
    for (i, document) in documents.iter().enumerate() {
        for error in validator.iter_errors(document).take(3) {
            out.push(format!(
                "document {i}: {error} at {}",
                error.instance_path()
            ));
        }
    }
    out
}

const COMPLIANCE_FINDING: &str = "ocsf/ocsf-1.6.0-compliance_finding.schema.json";
const SCAN_ACTIVITY: &str = "ocsf/ocsf-1.6.0-scan_activity.schema.json";
const SARIF: &str = "sarif/sarif-schema-2.1.0.json";

#[test]
fn every_ocsf_finding_event_validates_against_the_ocsf_1_6_schema() {
    let validator = validator(COMPLIANCE_FINDING);
    let events = finding_events();
    assert!(events.len() > 1000, "{} events", events.len());
    let problems = problems(&validator, &events);
    assert!(
        problems.is_empty(),
        "{} problems, the first: {:#?}",
        problems.len(),
        &problems[..problems.len().min(10)]
    );
}

#[test]
fn the_scan_summary_validates_as_an_ocsf_1_6_scan_activity() {
    let validator = validator(SCAN_ACTIVITY);
    let problems = problems(&validator, &summary_events());
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn the_ocsf_schema_rejects_what_ocsf_1_6_forbids() {
    let validator = validator(COMPLIANCE_FINDING);
    let good = ocsf_finding(&example_findings()[0], &scan());
    assert!(validator.is_valid(&good));
    type Breaks = fn(&mut Value);
    let broken: [(&str, Breaks); 6] = [
        ("no metadata.version", |e| {
            e["metadata"].as_object_mut().unwrap().remove("version");
        }),
        ("no compliance", |e| {
            e.as_object_mut().unwrap().remove("compliance");
        }),
        ("another class", |e| e["class_uid"] = json!(2004)),
        ("a type_uid of another class", |e| {
            e["type_uid"] = json!(200401)
        }),
        ("an owner with neither name, uid nor account", |e| {
            e["resources"][0]["owner"] = json!({ "type": "AWS Account" })
        }),
        ("an attribute OCSF does not define", |e| {
            e["resources"][0]["owner_name"] = json!("x")
        }),
    ];
    for (what, breaks) in broken {
        let mut event = good.clone();
        breaks(&mut event);
        assert!(!validator.is_valid(&event), "accepted an event with {what}");
    }
}

#[test]
fn the_sarif_log_validates_against_the_published_sarif_2_1_0_schema() {
    let validator = validator(SARIF);
    let mut out = Vec::new();
    write_sarif(&mut out, example_findings(), &scan()).unwrap();
    let log: Value = serde_json::from_slice(&out).unwrap();
    let failing = example_findings()
        .iter()
        .filter(|f| f.effective_status() == Status::Fail)
        .count();
    assert_eq!(log["runs"][0]["results"].as_array().unwrap().len(), failing);
    let problems = problems(&validator, std::slice::from_ref(&log));
    assert!(problems.is_empty(), "{problems:#?}");

    let mut broken = log.clone();
    broken["runs"][0]["results"][0]["level"] = json!("fatal");
    assert!(
        !validator.is_valid(&broken),
        "accepted a level SARIF does not define"
    );
    let mut broken = log;
    broken["runs"][0]["tool"]["driver"]
        .as_object_mut()
        .unwrap()
        .remove("name");
    assert!(
        !validator.is_valid(&broken),
        "accepted a driver without a name"
    );
}

/// The venv's python, or `None` (after saying why) when it is not installed locally.
fn python() -> Option<PathBuf> {
    let python = std::env::var_os("VIGIL_REPORT_PYTHON").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/.venv/bin/python"),
        PathBuf::from,
    );
    if python.exists() {
        return Some(python);
    }
    let message = format!(
        "{} is missing: run crates/report/tests/python/install.sh (tests/run does) \
         to install py-ocsf-models and xmlschema",
        python.display()
    );
    assert!(std::env::var_os("CI").is_none(), "under CI, {message}");
    // A test's own stderr is where a skipped check has to say so.
    #[allow(clippy::print_stderr)]
    {
        eprintln!("SKIPPED: {message}");
    }
    None
}

/// Runs a checker script; panics with its output unless it succeeds.
fn run_check(python: &Path, script: &str, args: &[&Path]) -> String {
    let script = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/python")
        .join(script);
    let output = Command::new(python)
        .arg(&script)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", python.display()));
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{} failed ({}):\n{stdout}\n{}",
        script.display(),
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

#[test]
fn every_ocsf_finding_loads_with_py_ocsf_models() {
    let Some(python) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let array = dir.path().join("findings.ocsf.json");
    let mut out = Vec::new();
    write_ocsf_json(&mut out, example_findings(), &scan()).unwrap();
    std::fs::write(&array, out).unwrap();
    let ndjson = dir.path().join("lifecycle.ndjson");
    let mut out = Vec::new();
    for event in finding_events() {
        serde_json::to_writer(&mut out, &event).unwrap();
        out.push(b'\n');
    }
    std::fs::write(&ndjson, out).unwrap();
    let mut plain = Vec::new();
    write_ndjson(&mut plain, example_findings(), &scan()).unwrap();
    let plain_path = dir.path().join("findings.ndjson");
    std::fs::write(&plain_path, plain).unwrap();

    let stdout = run_check(
        &python,
        "check_py_ocsf_models.py",
        &[&array, &ndjson, &plain_path],
    );
    let total = example_findings().len() * 2 + finding_events().len();
    assert!(
        stdout.contains(&format!("{total} of {total} events valid")),
        "{stdout}"
    );
}

#[test]
fn py_ocsf_models_rejects_an_owner_without_a_name() {
    let Some(python) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.ndjson");
    let mut event = ocsf_finding(&example_findings()[0], &scan());
    event["resources"][0]["owner"]
        .as_object_mut()
        .unwrap()
        .remove("name");
    std::fs::write(&path, format!("{event}\n")).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/check_py_ocsf_models.py");
    let output = Command::new(&python)
        .arg(script)
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        !output.status.success(),
        "the checker accepted an owner without a name"
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("0 of 1 events valid"));
}

#[test]
fn the_junit_report_validates_against_the_jenkins_junit_xsd() {
    let Some(python) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("vigil.junit.xml");
    let mut out = Vec::new();
    write_junit(&mut out, example_findings(), &scan()).unwrap();
    let xml = String::from_utf8(out).unwrap();
    assert_eq!(
        xml.matches("<testcase ").count(),
        example_findings().len(),
        "one test case per (rule, resource)"
    );
    std::fs::write(&report, &xml).unwrap();
    // The XSD forbids a `skipped` count on <testsuites>, an attribute some tools write:
    // a broken copy proves the validator reads the schema.
    let broken = dir.path().join("broken.junit.xml");
    std::fs::write(
        &broken,
        xml.replacen(
            "<testsuites name=\"Vigil\"",
            "<testsuites skipped=\"1\" name=\"Vigil\"",
            1,
        ),
    )
    .unwrap();
    let xsd = data("junit/junit-10.xsd");
    let stdout = run_check(&python, "check_junit_xsd.py", &[&xsd, &report]);
    assert!(stdout.contains("1 of 1 files valid"), "{stdout}");

    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/check_junit_xsd.py");
    let output = Command::new(&python)
        .arg(script)
        .arg(&xsd)
        .arg(&broken)
        .output()
        .unwrap();
    assert!(
        !output.status.success(),
        "the XSD check accepted an undeclared attribute"
    );
}
