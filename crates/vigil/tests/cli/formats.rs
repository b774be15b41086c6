//! Output formats.

use super::*;

#[test]
fn ocsf_file_is_an_array_of_compliance_findings_and_the_summary_goes_to_stdout() {
    let (run, events) = scan_ocsf(&example_snapshot(), &[] as &[&str]);
    run.assert_code(0)
        .assert_stdout_contains("Findings by severity")
        .assert_stdout_contains("Key security enablers");
    assert!(
        !run.stdout.trim_start().starts_with('['),
        "the findings went to the file, not to stdout"
    );
    assert!(!events.is_empty());
    let header = run.stdout.lines().next().unwrap();
    assert!(
        header.ends_with(&format!("{} findings", events.len())),
        "summary counts the findings written: {header}"
    );
    for event in &events {
        assert_eq!(u64_at(event, "/class_uid"), 2003, "{event:#}");
        assert_eq!(u64_at(event, "/type_uid"), 200301, "{event:#}");
        assert_eq!(str_at(event, "/metadata/version"), "1.6.0");
        assert!(!uid_of(event).is_empty());
        assert!(
            ["PASS", "FAIL", "ERROR", "MUTED"].contains(&str_at(event, "/status_code")),
            "{event:#}"
        );
    }
}

#[test]
fn ocsf_finding_uids_are_unique_within_a_scan_and_stable_across_scans() {
    let first = example_events(&[]);
    let second = example_events(&[]);
    let uids = |events: &[Value]| -> Vec<String> {
        let mut uids: Vec<String> = events.iter().map(|e| uid_of(e).to_owned()).collect();
        uids.sort();
        uids
    };
    let a = uids(&first);
    let mut unique = a.clone();
    unique.dedup();
    assert_eq!(unique.len(), a.len(), "finding uids repeat within one scan");
    assert_eq!(a, uids(&second), "finding uids differ between two scans");
    // Each scan's events are still events of their own.
    assert_ne!(
        str_at(&first[0], "/metadata/uid"),
        str_at(&second[0], "/metadata/uid")
    );
}

#[test]
fn ndjson_is_one_ocsf_object_per_line() {
    let run = scan(&example_snapshot(), &["--format", "ndjson"]);
    run.assert_code(0);
    let lines: Vec<&str> = run.stdout.lines().collect();
    let ocsf = example_events(&[]);
    assert_eq!(
        lines.len(),
        ocsf.len(),
        "one line per finding, nothing else"
    );
    for line in lines {
        let event: Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("line is not JSON ({e}): {line:.200}"));
        assert!(event.is_object());
        assert_eq!(u64_at(&event, "/class_uid"), 2003);
    }
}

#[test]
fn csv_has_the_header_and_one_row_per_finding() {
    let dir = TempDir::new().unwrap();
    let out = path_str(&dir.path().join("findings.csv"));
    let run = scan(&example_snapshot(), &["--format", "csv", "-o", &out]);
    run.assert_code(0)
        .assert_stdout_contains("Findings by severity");
    let mut reader = csv::Reader::from_path(&out).unwrap();
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(&header[..4], ["uid", "status", "severity", "rule_id"]);
    assert!(header.contains(&"evidence".to_owned()));
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let events = example_events(&[]);
    assert_eq!(rows.len(), events.len());
    let mut csv_uids: Vec<&str> = rows.iter().map(|r| &r[0]).collect();
    let mut ocsf_uids: Vec<&str> = events.iter().map(uid_of).collect();
    csv_uids.sort_unstable();
    ocsf_uids.sort_unstable();
    assert_eq!(csv_uids, ocsf_uids);
    for row in &rows {
        assert_eq!(row.len(), header.len(), "row {row:?}");
        assert!(SEVERITIES.contains(&&row[2]), "row {row:?}");
    }
}

#[test]
fn sarif_and_junit_report_the_failures_ocsf_reports() {
    let dir = TempDir::new().unwrap();
    let events = example_events(&[]);
    let mut failing: Vec<&str> = events
        .iter()
        .filter(|e| e["status_code"] == "FAIL")
        .map(uid_of)
        .collect();
    failing.sort_unstable();
    assert!(!failing.is_empty(), "the example has failures");

    let sarif = path_str(&dir.path().join("vigil.sarif"));
    scan(&example_snapshot(), &["--format", "sarif", "-o", &sarif])
        .assert_code(0)
        .assert_stdout_contains("Findings by severity");
    let log: Value = serde_json::from_str(&std::fs::read_to_string(&sarif).unwrap()).unwrap();
    assert_eq!(log["version"], "2.1.0");
    let mut results: Vec<&str> = log["runs"][0]["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter(|r| r.get("suppressions").is_none())
        .map(|r| {
            r["partialFingerprints"]["vigilFindingUid/v1"]
                .as_str()
                .unwrap()
        })
        .collect();
    results.sort_unstable();
    assert_eq!(
        results, failing,
        "one SARIF result per FAIL, fingerprinted by its uid"
    );

    let junit = path_str(&dir.path().join("vigil.junit.xml"));
    scan(&example_snapshot(), &["--format", "junit", "-o", &junit]).assert_code(0);
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.starts_with("<?xml"));
    assert_eq!(xml.matches("<testcase ").count(), events.len());
    assert_eq!(xml.matches("<failure ").count(), failing.len());
}

#[test]
fn scorecard_file_has_caf_components_waf_areas_epics_and_enablers() {
    let dir = TempDir::new().unwrap();
    let path = path_str(&dir.path().join("scorecard.json"));
    scan(&example_snapshot(), &["--scorecard", &path]).assert_code(0);
    let card: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let caf = card["caf_components"].as_array().expect("caf_components");
    assert_eq!(caf.len(), 4);
    let names: Vec<&str> = caf.iter().map(|c| str_at(c, "/name")).collect();
    assert_eq!(
        names,
        ["Directive", "Preventive", "Detective", "Responsive"]
    );
    assert_eq!(card["waf_areas"].as_array().expect("waf_areas").len(), 5);
    let account = &card["accounts"][0];
    assert_eq!(account["account"], EXAMPLE_ACCOUNT);
    let epics = account["epics"].as_array().expect("epics");
    assert_eq!(epics.len(), 10);
    for epic in epics {
        let level = u64_at(epic, "/level");
        assert!(level <= 3, "epic level {level} out of 0..=3: {epic:#}");
    }
    assert_eq!(account["enablers"].as_array().expect("enablers").len(), 7);
}

#[test]
fn attestations_raise_maturity_and_are_marked_declared() {
    let dir = TempDir::new().unwrap();
    let plain = path_str(&dir.path().join("plain.json"));
    let attested = path_str(&dir.path().join("attested.json"));
    scan(&example_snapshot(), &["--scorecard", &plain]).assert_code(0);
    scan(
        &example_snapshot(),
        &[
            "--scorecard",
            &attested,
            "--attestations",
            &example("attestations.yaml"),
        ],
    )
    .assert_code(0);
    let epic = |file: &str, id: &str| -> Value {
        let card: Value = serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
        card["accounts"][0]["epics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["epic"] == id)
            .unwrap_or_else(|| panic!("no epic {id}"))
            .clone()
    };
    let before = epic(&plain, "incident_response");
    let after = epic(&attested, "incident_response");
    assert!(
        u64_at(&after, "/level") > u64_at(&before, "/level"),
        "the declared incident response plan raises the level: {} -> {}",
        before["level"],
        after["level"]
    );
    assert_eq!(after["rests_on_declarations"], true);
    assert_eq!(before["rests_on_declarations"], false);
}
