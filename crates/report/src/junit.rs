//! Findings as JUnit XML, the test-report format every CI system renders (GitLab's
//! test reports, Jenkins, Azure DevOps, CircleCI, GitHub actions that publish test
//! results), so that a posture gate shows up as failed tests with their reasons.
//!
//! One `testsuite` per rule and one `testcase` per (rule, resource): a FAIL is a
//! `failure`, an ERROR (the rule could not be evaluated) an `error`, a MUTED finding
//! (an accepted risk) is `skipped`, and a PASS is a test case that passed. The shape
//! follows the Jenkins/Ant schema (`junit-10.xsd` of the Jenkins xunit plugin), the
//! one CI tools accept most widely; the tests validate against it.
//!
//! The XML is written with quick-xml, which escapes text and attribute values; text
//! is further cleared of the characters XML 1.0 cannot carry at all (most control
//! characters), which AWS names and error messages may contain. Like the other
//! outputs, nothing of the machine Vigil ran on (no host name) is written.

use std::collections::BTreeMap;
use std::io::{self, Write};

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};
use vigil_rules::{Finding, Status};

use crate::ocsf::ScanInfo;

/// Counts of one suite or of the whole report.
#[derive(Debug, Default, Clone, Copy)]
struct Counts {
    tests: usize,
    failures: usize,
    errors: usize,
    skipped: usize,
}

impl Counts {
    fn add(&mut self, status: Status) {
        self.tests += 1;
        match status {
            Status::Fail => self.failures += 1,
            Status::Error => self.errors += 1,
            Status::Muted => self.skipped += 1,
            Status::Pass => {}
        }
    }
}

/// Text as XML 1.0 can hold it: characters outside its `Char` production (C0 controls
/// other than tab, line feed and carriage return; U+FFFE and U+FFFF) become U+FFFD.
/// Escaping cannot help there: even `&#1;` is not well-formed XML 1.0.
fn xml_text(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\t' | '\n' | '\r' => c,
            '\u{0}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}' => '\u{fffd}',
            _ => c,
        })
        .collect()
}

/// An attribute value on one line: parsers turn line breaks in attributes into spaces
/// anyway, and CI tools show `message` as a one-line summary.
fn attr(text: &str) -> String {
    xml_text(&text.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// The body of a `failure`: what was checked, the evidence that decided, and the fix.
fn failure_text(finding: &Finding) -> String {
    let rule = &finding.rule;
    // Evidence is string-keyed maps and JSON values, which always serialise.
    let evidence = serde_json::to_string_pretty(&finding.evidence).unwrap_or_default();
    format!(
        "{}\n\nResource: {} ({}, account {}, region {})\nFinding: {}\nEvidence: {}\n\nRemediation: {}",
        rule.description,
        finding.resource.id,
        finding.resource.resource_type,
        finding.resource.account,
        if finding.resource.region.is_empty() {
            "global"
        } else {
            &finding.resource.region
        },
        finding.uid(),
        evidence,
        rule.remediation.text,
    )
}

fn write_testcase<W: Write>(w: &mut Writer<W>, finding: &Finding) -> io::Result<()> {
    let rule = &finding.rule;
    let name = xml_text(&finding.resource.id);
    let classname = xml_text(&rule.id);
    let element = w.create_element("testcase").with_attributes([
        ("name", name.as_str()),
        ("classname", classname.as_str()),
        ("time", "0"),
    ]);
    let reason = finding.reason.as_deref().unwrap_or("no reason recorded");
    match finding.status {
        Status::Pass => {
            element.write_empty()?;
        }
        Status::Fail => {
            element.write_inner_content(|w| {
                // A title states what passes, so the message says it is not met.
                let message = attr(&format!("Not met: {}", rule.title));
                w.create_element("failure")
                    .with_attributes([
                        ("message", message.as_str()),
                        ("type", rule.severity.as_str()),
                    ])
                    .write_text_content(BytesText::new(&xml_text(&failure_text(finding))))?;
                Ok(())
            })?;
        }
        Status::Error => {
            element.write_inner_content(|w| {
                let message = attr(reason);
                w.create_element("error")
                    .with_attributes([("message", message.as_str()), ("type", "ERROR")])
                    .write_text_content(BytesText::new(&xml_text(reason)))?;
                Ok(())
            })?;
        }
        Status::Muted => {
            element.write_inner_content(|w| {
                let underlying = finding.effective_status().as_str();
                let message = attr(&format!("muted ({underlying}): {reason}"));
                w.create_element("skipped")
                    .with_attributes([("message", message.as_str()), ("type", "MUTED")])
                    .write_empty()?;
                Ok(())
            })?;
        }
    }
    Ok(())
}

/// Writes the findings as one JUnit XML document.
///
/// Suites come in rule-id order and test cases in the order of the findings, so the
/// same scan gives the same document. Pass a buffered writer: this writes in small
/// pieces.
pub fn write_junit(w: impl Write, findings: &[Finding], scan: &ScanInfo) -> io::Result<()> {
    let mut by_rule: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    let mut total = Counts::default();
    for finding in findings {
        by_rule.entry(&finding.rule.id).or_default().push(finding);
        total.add(finding.status);
    }
    // JUnit timestamps are ISO 8601 without a zone in the Ant tradition; Vigil's
    // times are UTC.
    let timestamp = scan.started_at.format("%Y-%m-%dT%H:%M:%S").to_string();
    let seconds = format!(
        "{:.3}",
        (scan.finished_at - scan.started_at)
            .num_milliseconds()
            .max(0) as f64
            / 1000.0
    );

    let mut writer = Writer::new_with_indent(w, b' ', 2);
    writer.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    let (tests, failures, errors) = (
        total.tests.to_string(),
        total.failures.to_string(),
        total.errors.to_string(),
    );
    writer
        .create_element("testsuites")
        .with_attributes([
            ("name", "Vigil"),
            ("tests", tests.as_str()),
            ("failures", failures.as_str()),
            ("errors", errors.as_str()),
            ("time", seconds.as_str()),
        ])
        .write_inner_content(|w| {
            for (index, (rule_id, group)) in by_rule.iter().enumerate() {
                let rule = &group[0].rule;
                let mut counts = Counts::default();
                group.iter().for_each(|f| counts.add(f.status));
                let (id, tests, failures, errors, skipped) = (
                    index.to_string(),
                    counts.tests.to_string(),
                    counts.failures.to_string(),
                    counts.errors.to_string(),
                    counts.skipped.to_string(),
                );
                let name = xml_text(rule_id);
                w.create_element("testsuite")
                    .with_attributes([
                        ("name", name.as_str()),
                        ("id", id.as_str()),
                        ("package", "vigil"),
                        ("tests", tests.as_str()),
                        ("failures", failures.as_str()),
                        ("errors", errors.as_str()),
                        ("skipped", skipped.as_str()),
                        ("time", "0"),
                        ("timestamp", timestamp.as_str()),
                    ])
                    .write_inner_content(|w| {
                        let title = attr(&rule.title);
                        let resource = xml_text(&rule.resource);
                        w.create_element("properties").write_inner_content(|w| {
                            for (name, value) in [
                                ("title", title.as_str()),
                                ("severity", rule.severity.as_str()),
                                ("resource_type", resource.as_str()),
                                ("scan_id", scan.scan_id.as_str()),
                            ] {
                                w.create_element("property")
                                    .with_attributes([("name", name), ("value", value)])
                                    .write_empty()?;
                            }
                            Ok(())
                        })?;
                        for finding in group {
                            write_testcase(w, finding)?;
                        }
                        Ok(())
                    })?;
            }
            Ok(())
        })?;
    let mut w = writer.into_inner();
    w.write_all(b"\n")?;
    w.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{finding, muted, scan};

    fn junit(findings: &[Finding]) -> String {
        let mut out = Vec::new();
        write_junit(&mut out, findings, &scan("scan-1")).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn one_suite_per_rule_and_one_case_per_resource_with_its_outcome() {
        let mut other = finding(Status::Pass);
        let mut rule = (*other.rule).clone();
        rule.id = "another_rule".into();
        other.rule = std::sync::Arc::new(rule);
        let xml = junit(&[
            finding(Status::Fail),
            finding(Status::Error),
            muted(Status::Fail),
            other,
        ]);
        assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"));
        assert!(xml.contains(r#"<testsuites name="Vigil" tests="4" failures="1" errors="1""#));
        assert_eq!(xml.matches("<testsuite ").count(), 2);
        // Suites in rule-id order: another_rule first.
        let first = xml.find(r#"name="another_rule""#).unwrap();
        let second = xml.find(r#"name="s3_bucket_secure_transport_required" id="1""#);
        assert!(second.is_some_and(|s| s > first), "{xml}");
        assert!(xml.contains(r#"tests="3" failures="1" errors="1" skipped="1""#));
        assert_eq!(xml.matches("<testcase ").count(), 4);
        assert!(xml.contains(
            r#"<failure message="Not met: S3 bucket policies deny requests over plain HTTP" type="high">"#
        ));
        assert!(
            xml.contains(r#"<error message="property policy was not collected" type="ERROR">"#)
        );
        assert!(xml.contains(
            r#"<skipped message="muted (FAIL): accepted risk: legacy bucket, ticket SEC-42" type="MUTED"/>"#
        ));
        assert!(xml.contains(
            r#"<testcase name="arn:aws:s3:::logs-bucket" classname="another_rule" time="0"/>"#
        ));
    }

    #[test]
    fn markup_and_control_characters_cannot_break_the_document() {
        let mut f = finding(Status::Error);
        f.reason = Some("bad <policy> & \"quotes\"\u{1}\nnext line".into());
        let xml = junit(&[f]);
        assert!(xml.contains("bad &lt;policy&gt; &amp; &quot;quotes&quot;\u{fffd} next line"));
        assert!(!xml.contains('\u{1}'));
        assert!(!xml.contains("<policy>"));
    }

    #[test]
    fn an_empty_scan_is_an_empty_report() {
        let xml = junit(&[]);
        assert!(xml.contains(r#"tests="0" failures="0" errors="0""#));
        assert!(!xml.contains("<testsuite "));
    }
}
