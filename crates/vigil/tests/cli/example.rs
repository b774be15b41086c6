//! The bundled example and `--fail-on`.

use super::*;

#[test]
fn example_scan_exits_zero_and_prints_every_summary_section() {
    let run = scan(&example_snapshot(), &[] as &[&str]);
    run.assert_code(0)
        .assert_stdout_contains("Findings by severity")
        .assert_stdout_contains("CAF Security Perspective components")
        .assert_stdout_contains("Well-Architected security pillar areas")
        .assert_stdout_contains(&format!(
            "Security epics maturity, account {EXAMPLE_ACCOUNT}"
        ))
        .assert_stdout_contains(&format!("Key security enablers, account {EXAMPLE_ACCOUNT}"));
    for row in [
        "critical",
        "high",
        "medium",
        "low",
        "informational",
        "Directive",
        "Preventive",
        "Detective",
        "Responsive",
        "Identity and Access Management",
        "Detective Controls",
        "Infrastructure Protection",
        "Data Protection",
        "Incident Response",
        "Cloud Security Strategy",
    ] {
        run.assert_stdout_contains(row);
    }
    // Sections come in a fixed order: severity first, enablers last.
    let at = |s: &str| run.stdout.find(s).unwrap();
    assert!(at("Findings by severity") < at("CAF Security Perspective components"));
    assert!(at("CAF Security Perspective components") < at("Well-Architected security"));
    assert!(at("Well-Architected security") < at("Security epics maturity"));
    assert!(at("Security epics maturity") < at("Key security enablers"));
}

#[test]
fn example_scan_fails_on_high_because_it_has_high_failures() {
    let events = example_events(&[]);
    assert!(
        has_failure_at_or_above(&events, "high"),
        "the example is meant to have high or critical failures"
    );
    scan(&example_snapshot(), &["--fail-on", "high"]).assert_code(1);
}

#[test]
fn fail_on_critical_exit_status_follows_the_critical_failures_in_the_data() {
    let events = example_events(&[]);
    let expected = if has_failure_at_or_above(&events, "critical") {
        1
    } else {
        0
    };
    scan(&example_snapshot(), &["--fail-on", "critical"]).assert_code(expected);
}

#[test]
fn fail_on_exit_status_matches_failures_at_or_above_every_severity() {
    let events = example_events(&[]);
    for severity in SEVERITIES {
        let expected = i32::from(has_failure_at_or_above(&events, severity));
        let run = scan(&example_snapshot(), &["--fail-on", severity]);
        assert_eq!(
            run.code,
            Some(expected),
            "--fail-on {severity}: expected exit {expected}\n{run}"
        );
    }
}

#[test]
fn muted_failures_do_not_trip_fail_on() {
    let dir = TempDir::new().unwrap();
    let mutelist = write(
        dir.path(),
        "mute-all.yaml",
        "mutes:\n  - account: \"111122223333\"\n    reason: everything in the example account accepted for this test\n    expires: 2099-12-31\n",
    );
    let (run, events) = scan_ocsf(
        &example_snapshot(),
        &["--mutelist", &mutelist, "--fail-on", "informational"],
    );
    run.assert_code(0);
    assert!(
        events.iter().all(|e| str_at(e, "/status_code") != "FAIL"),
        "muting the whole account leaves no FAIL"
    );
    assert!(events.iter().any(|e| str_at(e, "/status_code") == "MUTED"));
}
