//! Findings as a SARIF 2.1.0 log, for CI systems and code-scanning dashboards that
//! gate on static-analysis results (GitHub code scanning, GitLab, Azure DevOps, the
//! SARIF viewers).
//!
//! One run: the driver lists every rule that produced a finding, and each failing
//! finding becomes one result. A result points at its AWS resource through a logical
//! location (there is no file to point at) and carries the finding uid as a partial
//! fingerprint, so a dashboard follows the same problem across scans exactly as the
//! store and the SIEM do. Passing findings are not results: SARIF reports problems.
//! A muted failure stays a result with an accepted external suppression, so the
//! accepted risk remains visible without failing the gate; a finding Vigil could not
//! evaluate is a tool execution notification, since nothing is known about the
//! resource.

use std::collections::BTreeMap;
use std::io::{self, Write};

use chrono::SecondsFormat;
use serde::Serialize;
use vigil_rules::{Finding, RuleFile, Severity, Status};

use crate::ocsf::ScanInfo;

/// The published schema of the SARIF 2.1.0 OASIS Standard with its errata, named in
/// the log's `$schema`.
pub const SARIF_SCHEMA: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";
/// The SARIF version every log declares.
pub const SARIF_VERSION: &str = "2.1.0";
/// The `partialFingerprints` key holding the finding uid. Versioned as SARIF advises,
/// so that a change of what the fingerprint means gets a new key instead of silently
/// re-identifying every result.
pub const FINGERPRINT_KEY: &str = "vigilFindingUid/v1";

#[derive(Debug, Serialize)]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: [Run<'a>; 1],
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<'a> {
    tool: Tool<'a>,
    invocations: [Invocation<'a>; 1],
    automation_details: AutomationDetails,
    results: Vec<SarifResult<'a>>,
    column_kind: &'static str,
}

#[derive(Debug, Serialize)]
struct Tool<'a> {
    driver: Driver<'a>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver<'a> {
    name: &'static str,
    version: &'a str,
    semantic_version: &'a str,
    rules: Vec<Rule<'a>>,
}

/// A rule as a SARIF `reportingDescriptor`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Rule<'a> {
    id: &'a str,
    name: String,
    short_description: Text<'a>,
    full_description: Text<'a>,
    help: Help<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    help_uri: Option<&'a str>,
    default_configuration: Configuration,
    properties: RuleProperties,
}

#[derive(Debug, Serialize)]
struct Text<'a> {
    text: &'a str,
}

#[derive(Debug, Serialize)]
struct Help<'a> {
    text: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    markdown: Option<String>,
}

#[derive(Debug, Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Debug, Serialize)]
struct RuleProperties {
    /// GitHub's convention: a number from 0.0 to 10.0, written as a string, that code
    /// scanning turns into its own critical/high/medium/low.
    #[serde(rename = "security-severity")]
    security_severity: &'static str,
    tags: Vec<String>,
    precision: &'static str,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Invocation<'a> {
    execution_successful: bool,
    start_time_utc: String,
    end_time_utc: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tool_execution_notifications: Vec<Notification<'a>>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Notification<'a> {
    level: &'static str,
    message: OwnedText,
    associated_rule: RuleRef<'a>,
    locations: [Location<'a>; 1],
}

#[derive(Debug, Serialize)]
struct RuleRef<'a> {
    id: &'a str,
    index: usize,
}

#[derive(Debug, Serialize)]
struct AutomationDetails {
    id: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult<'a> {
    rule_id: &'a str,
    rule_index: usize,
    kind: &'static str,
    level: &'static str,
    message: OwnedText,
    locations: [Location<'a>; 1],
    partial_fingerprints: BTreeMap<&'static str, String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    suppressions: Vec<Suppression<'a>>,
    properties: ResultProperties<'a>,
}

#[derive(Debug, Serialize)]
struct OwnedText {
    text: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Location<'a> {
    logical_locations: [LogicalLocation<'a>; 1],
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct LogicalLocation<'a> {
    name: &'a str,
    fully_qualified_name: &'a str,
    kind: &'static str,
}

#[derive(Debug, Serialize)]
struct Suppression<'a> {
    kind: &'static str,
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    justification: Option<&'a str>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ResultProperties<'a> {
    resource_type: &'a str,
    account: &'a str,
    region: &'a str,
    severity: &'static str,
}

/// SARIF `level`: only what a CI gate should stop on is an error.
fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Informational => "note",
    }
}

/// GitHub's `security-severity` bands: over 9.0 critical, 7.0 to 8.9 high, 4.0 to 6.9
/// medium, 0.1 to 3.9 low, 0.0 none. Each severity takes a value inside its band.
pub fn security_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "2.0",
        Severity::Informational => "0.0",
    }
}

/// `s3_bucket_secure_transport_required` → `S3BucketSecureTransportRequired`: SARIF's
/// `name` is an identifier a person can read, which viewers show beside the id.
fn pascal_case(id: &str) -> String {
    id.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|part| !part.is_empty())
        .map(|part| {
            let mut chars = part.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_ascii_uppercase().to_string() + chars.as_str()
            })
        })
        .collect()
}

/// The first reference that is a web address, for `helpUri` (which must be a URI).
fn help_uri(rule: &RuleFile) -> Option<&str> {
    rule.references
        .iter()
        .map(String::as_str)
        .find(|r| r.starts_with("https://") || r.starts_with("http://"))
}

fn rule_descriptor(rule: &RuleFile) -> Rule<'_> {
    let mut tags = vec![
        "security".to_string(),
        rule.resource.clone(),
        format!("CAF {}", rule.caf.component.as_str()),
        format!("WAF {}", rule.waf.practice),
    ];
    tags.extend(rule.epics.iter().map(|e| e.id().to_string()));
    tags.extend(
        rule.compliance
            .references()
            .into_iter()
            .map(|(standard, id)| format!("{standard} {id}")),
    );
    // SARIF wants the tags of a property bag distinct.
    let mut seen = std::collections::HashSet::new();
    tags.retain(|t| seen.insert(t.clone()));

    let mut markdown = format!(
        "{}\n\n**Remediation.** {}",
        rule.rationale, rule.remediation.text
    );
    if let Some(cli) = &rule.remediation.cli {
        markdown.push_str(&format!("\n\n```sh\n{cli}\n```"));
    }
    Rule {
        id: &rule.id,
        name: pascal_case(&rule.id),
        short_description: Text { text: &rule.title },
        full_description: Text {
            text: &rule.description,
        },
        help: Help {
            text: &rule.remediation.text,
            markdown: Some(markdown),
        },
        help_uri: help_uri(rule),
        default_configuration: Configuration {
            level: level(rule.severity),
        },
        properties: RuleProperties {
            security_severity: security_severity(rule.severity),
            tags,
            precision: "very-high",
        },
    }
}

fn location(finding: &Finding) -> Location<'_> {
    let resource = &finding.resource;
    Location {
        logical_locations: [LogicalLocation {
            name: resource.name.as_deref().unwrap_or(&resource.id),
            fully_qualified_name: &resource.id,
            kind: "resource",
        }],
    }
}

/// Builds the SARIF log of one scan.
fn log<'a>(findings: &'a [Finding], scan: &'a ScanInfo) -> Log<'a> {
    // Rules in id order, so that two scans of the same rule pack list them alike and
    // `ruleIndex` points at the same rule.
    let mut rules: BTreeMap<&str, &RuleFile> = BTreeMap::new();
    for finding in findings {
        rules.entry(&finding.rule.id).or_insert(&finding.rule);
    }
    let index: BTreeMap<&str, usize> = rules.keys().enumerate().map(|(i, id)| (*id, i)).collect();

    let mut results = Vec::new();
    let mut notifications = Vec::new();
    for finding in findings {
        let rule = &finding.rule;
        let rule_index = index[rule.id.as_str()];
        match (finding.status, finding.effective_status()) {
            (Status::Fail, _) | (Status::Muted, Status::Fail) => {
                let suppressions = if finding.status == Status::Muted {
                    vec![Suppression {
                        kind: "external",
                        status: "accepted",
                        justification: finding.reason.as_deref(),
                    }]
                } else {
                    Vec::new()
                };
                results.push(SarifResult {
                    rule_id: &rule.id,
                    rule_index,
                    kind: "fail",
                    level: level(rule.severity),
                    message: OwnedText {
                        // A title states what passes, so the message says it is not met.
                        text: format!("{} does not meet: {}", finding.resource.id, rule.title),
                    },
                    locations: [location(finding)],
                    partial_fingerprints: BTreeMap::from([(FINGERPRINT_KEY, finding.uid())]),
                    suppressions,
                    properties: ResultProperties {
                        resource_type: &finding.resource.resource_type,
                        account: &finding.resource.account,
                        region: &finding.resource.region,
                        severity: rule.severity.as_str(),
                    },
                });
            }
            (Status::Error, _) => notifications.push(Notification {
                level: "warning",
                message: OwnedText {
                    text: format!(
                        "{} could not be evaluated on {}: {}",
                        rule.id,
                        finding.resource.id,
                        finding.reason.as_deref().unwrap_or("no reason recorded")
                    ),
                },
                associated_rule: RuleRef {
                    id: &rule.id,
                    index: rule_index,
                },
                locations: [location(finding)],
            }),
            _ => {}
        }
    }

    Log {
        schema: SARIF_SCHEMA,
        version: SARIF_VERSION,
        runs: [Run {
            tool: Tool {
                driver: Driver {
                    name: "Vigil",
                    version: &scan.product_version,
                    semantic_version: &scan.product_version,
                    rules: rules.into_values().map(rule_descriptor).collect(),
                },
            },
            invocations: [Invocation {
                execution_successful: true,
                start_time_utc: scan.started_at.to_rfc3339_opts(SecondsFormat::Millis, true),
                end_time_utc: scan
                    .finished_at
                    .to_rfc3339_opts(SecondsFormat::Millis, true),
                tool_execution_notifications: notifications,
            }],
            // GitHub takes what precedes the last slash as the analysis category, so
            // each scan replaces the previous one's alerts instead of adding to them.
            automation_details: AutomationDetails {
                id: format!("vigil/{}", scan.scan_id),
            },
            results,
            column_kind: "unicodeCodePoints",
        }],
    }
}

/// Writes the findings as one pretty-printed SARIF 2.1.0 log.
///
/// Pass a buffered writer: serde writes in small pieces.
pub fn write_sarif(mut w: impl Write, findings: &[Finding], scan: &ScanInfo) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut w, &log(findings, scan))?;
    w.write_all(b"\n")?;
    w.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{finding, muted, scan};
    use serde_json::Value;

    fn sarif(findings: &[Finding]) -> Value {
        let mut out = Vec::new();
        write_sarif(&mut out, findings, &scan("scan-1")).unwrap();
        serde_json::from_slice(&out).unwrap()
    }

    #[test]
    fn only_failures_are_results_with_the_finding_uid_as_fingerprint() {
        let log = sarif(&[
            finding(Status::Pass),
            finding(Status::Fail),
            finding(Status::Error),
        ]);
        assert_eq!(log["version"], "2.1.0");
        assert_eq!(log["$schema"], SARIF_SCHEMA);
        let run = &log["runs"][0];
        let results = run["results"].as_array().unwrap();
        assert_eq!(results.len(), 1, "PASS and ERROR are not results");
        let result = &results[0];
        assert_eq!(result["ruleId"], "s3_bucket_secure_transport_required");
        assert_eq!(result["ruleIndex"], 0);
        assert_eq!(result["level"], "error");
        assert_eq!(result["kind"], "fail");
        assert_eq!(
            result["message"]["text"],
            "arn:aws:s3:::logs-bucket does not meet: S3 bucket policies deny requests over plain HTTP"
        );
        assert_eq!(
            result["partialFingerprints"][FINGERPRINT_KEY],
            "vigil:s3_bucket_secure_transport_required:arn:aws:s3:::logs-bucket"
        );
        let logical = &result["locations"][0]["logicalLocations"][0];
        assert_eq!(logical["fullyQualifiedName"], "arn:aws:s3:::logs-bucket");
        assert_eq!(logical["name"], "logs-bucket");
        assert_eq!(logical["kind"], "resource");
        assert!(result.get("suppressions").is_none());

        let notes = &run["invocations"][0]["toolExecutionNotifications"];
        assert_eq!(
            notes.as_array().unwrap().len(),
            1,
            "the ERROR is a notification"
        );
        assert!(
            notes[0]["message"]["text"]
                .as_str()
                .unwrap()
                .contains("property policy was not collected")
        );
    }

    #[test]
    fn the_rule_carries_security_severity_tags_and_help() {
        let log = sarif(&[finding(Status::Fail)]);
        let rule = &log["runs"][0]["tool"]["driver"]["rules"][0];
        assert_eq!(rule["id"], "s3_bucket_secure_transport_required");
        assert_eq!(rule["name"], "S3BucketSecureTransportRequired");
        assert_eq!(
            rule["shortDescription"]["text"],
            "S3 bucket policies deny requests over plain HTTP"
        );
        assert_eq!(rule["properties"]["security-severity"], "8.0");
        assert_eq!(rule["defaultConfiguration"]["level"], "error");
        assert_eq!(
            rule["helpUri"],
            "https://docs.aws.amazon.com/AmazonS3/latest/userguide/security-best-practices.html"
        );
        let tags: Vec<&str> = rule["properties"]["tags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap())
            .collect();
        assert!(tags.contains(&"security"));
        assert!(tags.contains(&"AWS Foundational Security Best Practices v1.0.0 S3.5"));
        assert!(tags.contains(&"data_protection"));
    }

    #[test]
    fn security_severity_falls_in_githubs_bands() {
        let band = |s| security_severity(s).parse::<f64>().unwrap();
        assert!(band(Severity::Critical) > 9.0);
        assert!((7.0..9.0).contains(&band(Severity::High)));
        assert!((4.0..7.0).contains(&band(Severity::Medium)));
        assert!((0.1..4.0).contains(&band(Severity::Low)));
        assert_eq!(band(Severity::Informational), 0.0);
    }

    #[test]
    fn a_muted_failure_is_a_suppressed_result_and_a_muted_pass_is_none() {
        let log = sarif(&[muted(Status::Fail), muted(Status::Pass)]);
        let results = log["runs"][0]["results"].as_array().unwrap();
        assert_eq!(results.len(), 1);
        let suppression = &results[0]["suppressions"][0];
        assert_eq!(suppression["kind"], "external");
        assert_eq!(suppression["status"], "accepted");
        assert_eq!(
            suppression["justification"],
            "accepted risk: legacy bucket, ticket SEC-42"
        );
    }

    #[test]
    fn a_clean_scan_still_lists_its_rules() {
        let log = sarif(&[finding(Status::Pass)]);
        let run = &log["runs"][0];
        assert_eq!(run["results"], serde_json::json!([]));
        assert_eq!(run["tool"]["driver"]["rules"].as_array().unwrap().len(), 1);
        assert_eq!(run["automationDetails"]["id"], "vigil/scan-1");
    }

    #[test]
    fn pascal_case_names() {
        assert_eq!(pascal_case("iam_root_mfa"), "IamRootMfa");
        assert_eq!(pascal_case("a--b"), "AB");
    }
}
