//! Findings as OCSF Compliance Finding events (class 2003, schema 1.6.0), the
//! shape Security Hub and Security Lake ingest, and the JSON array and NDJSON
//! writers around it.
//!
//! Each finding becomes one self-contained event: a SIEM receiving a single line
//! must be able to tell what was checked, on which resource, under which control,
//! and how to fix it, without looking anything up in Vigil. Vigil's own mapping
//! (CAF, Well-Architected, epics) has no OCSF attribute, so it travels in
//! `unmapped.vigil`.

use std::io::{self, Write};

use chrono::{DateTime, Utc};
use serde::Serializer as _;
use serde_json::{Map, Value, json};
use vigil_rules::{Finding, Severity, Status};

/// The OCSF schema version written to `metadata.version`. Security Hub's
/// OCSF-native findings are on 1.6, so that is the version Vigil targets.
pub const OCSF_VERSION: &str = "1.6.0";

/// The standard named in `compliance.standards` for the Well-Architected mapping
/// every rule carries, so that a rule with no CIS or FSBP reference still names a
/// standard.
pub const WAF_STANDARD: &str = "AWS Well-Architected Framework Security Pillar";

pub(crate) const CLASS_UID: u32 = 2003;
const CATEGORY_UID: u32 = 2;
/// Vigil reports each finding fresh at the end of every scan; following a
/// finding over time (update, close) is the store's job, keyed on the stable
/// `finding_info.uid`.
pub(crate) const ACTIVITY_CREATE: u32 = 1;

/// OCSF finding `status_id`: where the finding is in a triage workflow, not
/// whether the check passed (that is `compliance.status_id`).
pub(crate) const FINDING_STATUS_NEW: u32 = 1;
pub(crate) const FINDING_STATUS_SUPPRESSED: u32 = 3;

const COMPLIANCE_UNKNOWN: u32 = 0;
const COMPLIANCE_PASS: u32 = 1;
const COMPLIANCE_FAIL: u32 = 3;

/// OCSF `account.type_id` for an AWS account.
const ACCOUNT_TYPE_AWS: u32 = 10;
/// OCSF `user.type_id` Other: the type is named in `type`.
const USER_TYPE_OTHER: u32 = 99;

/// What an OCSF event needs to know about the scan that produced the finding.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ScanInfo {
    /// Distinguishes the events of one scan from those of the next, in
    /// `metadata.uid`; the finding uid itself stays the same across scans.
    pub scan_id: String,
    pub started_at: DateTime<Utc>,
    /// The time the events report: a finding describes the state Vigil saw by
    /// the end of the scan.
    pub finished_at: DateTime<Utc>,
    /// Vigil's version, for `metadata.product.version`.
    pub product_version: String,
}

/// One finding as an OCSF 1.6.0 Compliance Finding event.
///
/// Only the finding and the scan metadata go in: nothing from the environment
/// is added, so no credential can leak into an output that is shipped to a SIEM.
pub fn ocsf_finding(finding: &Finding, scan: &ScanInfo) -> Value {
    let rule = &finding.rule;
    let resource = &finding.resource;
    let time = scan.finished_at.timestamp_millis();
    // Evidence is string-keyed maps and JSON values, which always serialise;
    // the fallback only keeps this function total.
    let evidence = serde_json::to_value(&finding.evidence).unwrap_or(Value::Null);
    let (status_id, status) = finding_status(finding.status);
    let (severity_id, severity) = severity(rule.severity);

    let mut resource_json = Map::new();
    resource_json.insert("uid".into(), json!(resource.id));
    if let Some(name) = &resource.name {
        resource_json.insert("name".into(), json!(name));
    }
    resource_json.insert("type".into(), json!(resource.resource_type));
    if !resource.region.is_empty() {
        resource_json.insert("region".into(), json!(resource.region));
    }
    resource_json.insert(
        "cloud_partition".into(),
        json!(partition(&resource.id, &resource.region)),
    );
    resource_json.insert("role_id".into(), json!(1));
    resource_json.insert("role".into(), json!("Target"));
    resource_json.insert("owner".into(), owner(&resource.account));
    if !resource.tags.is_empty() {
        let tags: Vec<Value> = resource
            .tags
            .iter()
            .map(|(name, value)| json!({ "name": name, "value": value }))
            .collect();
        resource_json.insert("tags".into(), Value::Array(tags));
    }
    resource_json.insert("data".into(), json!({ "evidence": evidence }));

    let mut cloud = Map::new();
    cloud.insert("provider".into(), json!("AWS"));
    if !resource.region.is_empty() {
        cloud.insert("region".into(), json!(resource.region));
    }
    cloud.insert("account".into(), account(&resource.account));

    let mut remediation = Map::new();
    remediation.insert("desc".into(), json!(rule.remediation.text));
    if !rule.references.is_empty() {
        remediation.insert("references".into(), json!(rule.references));
    }

    let mut vigil = Map::new();
    vigil.insert("scan_id".into(), json!(scan.scan_id));
    vigil.insert(
        "caf".into(),
        json!({ "component": rule.caf.component.as_str(), "capability": rule.caf.capability }),
    );
    vigil.insert(
        "waf".into(),
        json!({ "area": rule.waf.area.as_str(), "practice": rule.waf.practice }),
    );
    vigil.insert(
        "epics".into(),
        Value::Array(rule.epics.iter().map(|e| json!(e.id())).collect()),
    );
    vigil.insert("evidence".into(), evidence);
    if let Some(reason) = &finding.reason {
        vigil.insert("reason".into(), json!(reason));
    }
    if let Some(muted) = finding.muted_status {
        vigil.insert("muted_status".into(), json!(muted.as_str()));
    }
    if let Some(cli) = &rule.remediation.cli {
        vigil.insert("remediation_cli".into(), json!(cli));
    }
    if let Some(terraform) = &rule.remediation.terraform {
        vigil.insert("remediation_terraform".into(), json!(terraform));
    }

    let message = one_line(&format!(
        "{} {}: {}",
        finding.status.as_str(),
        rule.title,
        resource.id
    ));

    let mut event = json!({
        "class_uid": CLASS_UID,
        "class_name": "Compliance Finding",
        "category_uid": CATEGORY_UID,
        "category_name": "Findings",
        "activity_id": ACTIVITY_CREATE,
        "activity_name": "Create",
        "type_uid": CLASS_UID * 100 + ACTIVITY_CREATE,
        "type_name": "Compliance Finding: Create",
        "time": time,
        "start_time": scan.started_at.timestamp_millis(),
        "end_time": time,
        "timezone_offset": 0,
        "severity_id": severity_id,
        "severity": severity,
        "status_id": status_id,
        "status": status,
        "status_code": finding.status.as_str(),
        "message": message,
        "metadata": {
            "version": OCSF_VERSION,
            "product": {
                "name": "Vigil",
                "vendor_name": "Vigil",
                "version": scan.product_version,
            },
            "profiles": ["cloud"],
            "event_code": rule.id,
            "uid": format!("{}:{}", scan.scan_id, finding.uid()),
        },
        "finding_info": {
            "uid": finding.uid(),
            "title": rule.title,
            "desc": rule.description,
            "types": ["Posture Management"],
            "analytic": {
                "uid": rule.id,
                "name": rule.title,
                "type_id": 1,
                "type": "Rule",
            },
            // Vigil sees one scan; the store, which knows earlier scans, is
            // where an older first_seen_time can be restored.
            "created_time": time,
            "first_seen_time": time,
            "last_seen_time": time,
        },
        "compliance": compliance(finding),
        "resources": [Value::Object(resource_json)],
        "cloud": Value::Object(cloud),
        "remediation": Value::Object(remediation),
        "unmapped": { "vigil": Value::Object(vigil) },
    });
    if let (Some(reason), Value::Object(map)) = (&finding.reason, &mut event) {
        map.insert("status_detail".into(), json!(one_line(reason)));
    }
    event
}

/// The `compliance` object: which standards and controls the rule evidences,
/// and whether the resource meets them.
fn compliance(finding: &Finding) -> Value {
    let rule = &finding.rule;
    let references = rule.compliance.references();

    let mut standards: Vec<&str> = Vec::new();
    for (standard, _) in &references {
        if !standards.contains(standard) {
            standards.push(standard);
        }
    }
    standards.push(WAF_STANDARD);

    let mut requirements: Vec<String> = references
        .iter()
        .map(|(standard, id)| format!("{standard}: {id}"))
        .collect();
    requirements.push(format!("{WAF_STANDARD}: {}", rule.waf.practice));

    // A CIS or FSBP control is what an auditor asks about; the WAF practice is
    // the fallback every rule has.
    let control = references
        .first()
        .map_or(rule.waf.practice.as_str(), |(_, id)| id);

    let (status_id, status) = compliance_status(finding.effective_status());
    let mut out = json!({
        "standards": standards,
        "control": control,
        "requirements": requirements,
        "status_id": status_id,
        "status": status,
    });
    if let (Some(reason), Value::Object(map)) = (&finding.reason, &mut out) {
        map.insert("status_detail".into(), json!(reason));
    }
    out
}

/// The AWS account as an OCSF `account` object.
///
/// A snapshot knows the account id but not its alias, so the id is the name as well:
/// OCSF only needs a name or a uid, but consumers built on py-ocsf-models (Prowler's
/// model library) reject an account without a `name`, and an id is the name the AWS
/// console shows when an account has no alias.
pub(crate) fn account(id: &str) -> Value {
    json!({ "uid": id, "name": id, "type_id": ACCOUNT_TYPE_AWS, "type": "AWS Account" })
}

/// The owner of a resource: its AWS account, as the OCSF `user` object that
/// `resources[].owner` must be.
///
/// OCSF asks only for one of `account`, `name` or `uid`; py-ocsf-models requires all of
/// them and a `type_id`, so every one is given. An account is none of OCSF's user
/// types (user, admin, system, service), hence Other with the type spelt out.
fn owner(id: &str) -> Value {
    json!({
        "uid": id,
        "name": id,
        "type_id": USER_TYPE_OTHER,
        "type": "AWS Account",
        "account": account(id),
    })
}

/// Finding workflow status: a mute is a decision to suppress, everything else
/// is new as far as one scan can tell.
fn finding_status(status: Status) -> (u32, &'static str) {
    match status {
        Status::Muted => (FINDING_STATUS_SUPPRESSED, "Suppressed"),
        Status::Pass | Status::Fail | Status::Error => (FINDING_STATUS_NEW, "New"),
    }
}

/// Compliance status. An error is Unknown, never Pass: a resource Vigil could
/// not evaluate has not been shown to comply.
fn compliance_status(status: Status) -> (u32, &'static str) {
    match status {
        Status::Pass => (COMPLIANCE_PASS, "Pass"),
        Status::Fail => (COMPLIANCE_FAIL, "Fail"),
        // A Muted effective status means the mute recorded no underlying
        // status, so nothing is known about compliance.
        Status::Error | Status::Muted => (COMPLIANCE_UNKNOWN, "Unknown"),
    }
}

fn severity(severity: Severity) -> (u8, &'static str) {
    let caption = match severity {
        Severity::Informational => "Informational",
        Severity::Low => "Low",
        Severity::Medium => "Medium",
        Severity::High => "High",
        Severity::Critical => "Critical",
    };
    (severity.ocsf_id(), caption)
}

/// The AWS partition, so China and GovCloud findings are not labelled `aws`:
/// from the ARN when the id is one, else from the region name.
fn partition(id: &str, region: &str) -> String {
    if let Some(rest) = id.strip_prefix("arn:")
        && let Some((partition, _)) = rest.split_once(':')
        && !partition.is_empty()
    {
        return partition.to_string();
    }
    if region.starts_with("cn-") {
        "aws-cn".into()
    } else if region.starts_with("us-gov-") {
        "aws-us-gov".into()
    } else {
        "aws".into()
    }
}

/// Collapses line breaks so that a message stays one line in a log viewer.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Writes the findings as one pretty-printed JSON array of OCSF events, for
/// files a person may read or a tool may load whole.
///
/// Events are serialised one at a time, so a large scan is never held twice in
/// memory. Pass a buffered writer: this writes in small pieces.
pub fn write_ocsf_json(mut w: impl Write, findings: &[Finding], scan: &ScanInfo) -> io::Result<()> {
    let mut serializer = serde_json::Serializer::pretty(&mut w);
    serializer.collect_seq(findings.iter().map(|f| ocsf_finding(f, scan)))?;
    w.write_all(b"\n")?;
    w.flush()
}

/// Writes one compact OCSF event per line (NDJSON), the form log shippers and
/// Security Lake custom sources read a record at a time.
///
/// Pass a buffered writer: this writes in small pieces.
pub fn write_ndjson(mut w: impl Write, findings: &[Finding], scan: &ScanInfo) -> io::Result<()> {
    for finding in findings {
        // serde_json escapes control characters, so a compact object never
        // contains a raw newline and each line is one event.
        serde_json::to_writer(&mut w, &ocsf_finding(finding, scan))?;
        w.write_all(b"\n")?;
    }
    w.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{finding, muted, scan};

    fn as_u64(event: &Value, pointer: &str) -> u64 {
        event
            .pointer(pointer)
            .and_then(Value::as_u64)
            .unwrap_or_else(|| panic!("{pointer} is missing or not an unsigned integer"))
    }

    /// The required base-event and finding attributes of OCSF 1.6 Compliance
    /// Finding, and the allowed values of its enums.
    fn assert_valid_compliance_finding(event: &Value) {
        for pointer in [
            "/activity_id",
            "/category_uid",
            "/class_uid",
            "/metadata/product",
            "/metadata/product/name",
            "/metadata/version",
            "/severity_id",
            "/time",
            "/type_uid",
            "/finding_info/uid",
            "/compliance",
            "/cloud/provider",
        ] {
            assert!(
                event.pointer(pointer).is_some_and(|v| !v.is_null()),
                "required {pointer} missing in {event:#}"
            );
        }
        assert_eq!(as_u64(event, "/class_uid"), 2003);
        assert_eq!(as_u64(event, "/category_uid"), 2);
        assert_eq!(event["metadata"]["version"], OCSF_VERSION);

        let activity = as_u64(event, "/activity_id");
        assert!((1..=3).contains(&activity), "activity_id {activity}");
        assert_eq!(as_u64(event, "/type_uid"), 2003 * 100 + activity);

        let severity = as_u64(event, "/severity_id");
        assert!(severity <= 6 || severity == 99, "severity_id {severity}");
        let status = as_u64(event, "/status_id");
        assert!(status <= 6 || status == 99, "status_id {status}");
        let compliance = as_u64(event, "/compliance/status_id");
        assert!(
            compliance <= 3 || compliance == 99,
            "compliance.status_id {compliance}"
        );

        assert!(event["time"].as_i64().is_some_and(|t| t > 0));
        let standards = event["compliance"]["standards"].as_array();
        assert!(standards.is_some_and(|s| !s.is_empty()));
        let resources = event["resources"].as_array().expect("resources array");
        assert!(!resources.is_empty());
        for resource in resources {
            assert!(
                resource.get("uid").is_some() || resource.get("name").is_some(),
                "a resource needs a uid or a name"
            );
        }
        assert!(event["remediation"]["desc"].is_string());
        let message = event["message"].as_str().expect("message");
        assert!(!message.contains('\n'));
    }

    #[test]
    fn every_status_produces_a_valid_compliance_finding() {
        let s = scan("scan-1");
        for status in [Status::Pass, Status::Fail, Status::Error] {
            let event = ocsf_finding(&finding(status), &s);
            assert_valid_compliance_finding(&event);
            assert_eq!(event["status_code"], status.as_str());
        }
        assert_valid_compliance_finding(&ocsf_finding(&muted(Status::Fail), &s));
    }

    #[test]
    fn fields_carry_rule_resource_and_mapping() {
        let s = scan("scan-1");
        let event = ocsf_finding(&finding(Status::Fail), &s);
        assert_eq!(event["severity_id"], 4);
        assert_eq!(event["severity"], "High");
        assert_eq!(event["time"], s.finished_at.timestamp_millis());
        assert_eq!(event["status_id"], 1);
        assert_eq!(event["status"], "New");
        assert_eq!(
            event["metadata"]["event_code"],
            "s3_bucket_secure_transport_required"
        );
        assert_eq!(event["metadata"]["product"]["version"], "0.1.0");
        assert_eq!(event["metadata"]["profiles"], json!(["cloud"]));
        assert_eq!(event["finding_info"]["analytic"]["type_id"], 1);
        assert_eq!(
            event["message"],
            "FAIL S3 bucket policies deny requests over plain HTTP: arn:aws:s3:::logs-bucket"
        );

        let compliance = &event["compliance"];
        assert_eq!(compliance["status_id"], 3);
        assert_eq!(compliance["status"], "Fail");
        assert_eq!(compliance["control"], "2.1.1");
        assert_eq!(
            compliance["standards"],
            json!([
                "CIS AWS Foundations Benchmark v3.0.0",
                "CIS AWS Foundations Benchmark v4.0.1",
                "CIS AWS Foundations Benchmark v5.0.0",
                "AWS Foundational Security Best Practices v1.0.0",
                WAF_STANDARD,
            ])
        );
        assert_eq!(
            compliance["requirements"],
            json!([
                "CIS AWS Foundations Benchmark v3.0.0: 2.1.1",
                "CIS AWS Foundations Benchmark v4.0.1: 2.1.1",
                "CIS AWS Foundations Benchmark v5.0.0: 2.1.1",
                "AWS Foundational Security Best Practices v1.0.0: S3.5",
                "AWS Well-Architected Framework Security Pillar: SEC09-BP02",
            ])
        );

        let resource = &event["resources"][0];
        assert_eq!(resource["uid"], "arn:aws:s3:::logs-bucket");
        assert_eq!(resource["name"], "logs-bucket");
        assert_eq!(resource["type"], "aws.s3.bucket");
        assert_eq!(resource["cloud_partition"], "aws");
        // The owner is a complete OCSF user, as py-ocsf-models requires.
        assert_eq!(
            resource["owner"],
            json!({
                "uid": "123456789012",
                "name": "123456789012",
                "type_id": 99,
                "type": "AWS Account",
                "account": {
                    "uid": "123456789012",
                    "name": "123456789012",
                    "type_id": 10,
                    "type": "AWS Account",
                },
            })
        );
        assert_eq!(
            resource["tags"],
            json!([{ "name": "env", "value": "prod" }])
        );
        assert_eq!(
            resource["data"]["evidence"]["properties"]["policy.denies_insecure_transport"],
            false
        );
        assert_eq!(event["cloud"]["account"]["type_id"], 10);
        assert_eq!(event["cloud"]["region"], "eu-west-1");

        let vigil = &event["unmapped"]["vigil"];
        assert_eq!(vigil["caf"]["component"], "Preventive");
        assert_eq!(vigil["caf"]["capability"], "Data protection");
        assert_eq!(vigil["waf"]["area"], "Data");
        assert_eq!(vigil["waf"]["practice"], "SEC09-BP02");
        assert_eq!(
            vigil["epics"],
            json!(["data_protection", "infrastructure_security"])
        );
        assert_eq!(vigil["scan_id"], "scan-1");
        assert_eq!(
            event["remediation"]["references"][0],
            "https://docs.aws.amazon.com/AmazonS3/latest/userguide/security-best-practices.html"
        );
    }

    #[test]
    fn finding_uid_is_stable_across_scans() {
        let first = ocsf_finding(&finding(Status::Fail), &scan("scan-1"));
        let second = ocsf_finding(&finding(Status::Pass), &scan("scan-2"));
        assert_eq!(first["finding_info"]["uid"], second["finding_info"]["uid"]);
        assert_eq!(
            first["finding_info"]["uid"],
            "vigil:s3_bucket_secure_transport_required:arn:aws:s3:::logs-bucket"
        );
        assert_ne!(
            first["metadata"]["uid"], second["metadata"]["uid"],
            "each scan's event is its own event"
        );
    }

    #[test]
    fn muted_finding_is_suppressed_and_keeps_its_compliance_status() {
        let event = ocsf_finding(&muted(Status::Fail), &scan("scan-1"));
        assert_eq!(event["status_id"], 3);
        assert_eq!(event["status"], "Suppressed");
        assert_eq!(event["status_code"], "MUTED");
        assert_eq!(event["compliance"]["status_id"], 3);
        assert_eq!(event["compliance"]["status"], "Fail");
        assert_eq!(
            event["status_detail"],
            "accepted risk: legacy bucket, ticket SEC-42"
        );
        assert_eq!(event["unmapped"]["vigil"]["muted_status"], "FAIL");
    }

    #[test]
    fn error_is_unknown_compliance_never_pass() {
        let mut f = finding(Status::Error);
        f.reason = Some("policy\nwas not collected".into());
        let event = ocsf_finding(&f, &scan("scan-1"));
        assert_eq!(event["compliance"]["status_id"], 0);
        assert_eq!(event["compliance"]["status"], "Unknown");
        assert_eq!(event["status_id"], 1);
        assert_eq!(event["status_detail"], "policy was not collected");
        assert_eq!(
            event["compliance"]["status_detail"],
            "policy\nwas not collected"
        );
    }

    #[test]
    fn rule_without_cis_or_fsbp_uses_the_waf_practice() {
        let mut f = finding(Status::Pass);
        let mut rule = (*f.rule).clone();
        rule.compliance = Default::default();
        f.rule = std::sync::Arc::new(rule);
        let event = ocsf_finding(&f, &scan("scan-1"));
        assert_valid_compliance_finding(&event);
        assert_eq!(event["compliance"]["control"], "SEC09-BP02");
        assert_eq!(event["compliance"]["standards"], json!([WAF_STANDARD]));
    }

    #[test]
    fn partition_follows_arn_then_region() {
        assert_eq!(partition("arn:aws-cn:s3:::b", "cn-north-1"), "aws-cn");
        assert_eq!(partition("arn:aws-us-gov:iam::1:role/r", ""), "aws-us-gov");
        assert_eq!(partition("vpc-123", "us-gov-west-1"), "aws-us-gov");
        assert_eq!(partition("vpc-123", "eu-west-1"), "aws");
    }

    #[test]
    fn json_array_holds_every_finding() {
        let findings = [
            finding(Status::Pass),
            finding(Status::Fail),
            muted(Status::Fail),
        ];
        let mut out = Vec::new();
        write_ocsf_json(&mut out, &findings, &scan("scan-1")).unwrap();
        let parsed: Value = serde_json::from_slice(&out).unwrap();
        let events = parsed.as_array().expect("a JSON array");
        assert_eq!(events.len(), 3);
        events.iter().for_each(assert_valid_compliance_finding);

        let mut empty = Vec::new();
        write_ocsf_json(&mut empty, &[], &scan("scan-1")).unwrap();
        assert_eq!(serde_json::from_slice::<Value>(&empty).unwrap(), json!([]));
    }

    #[test]
    fn ndjson_has_one_parseable_event_per_line() {
        let mut multiline = finding(Status::Error);
        multiline.reason = Some("line one\nline two".into());
        let findings = [finding(Status::Pass), multiline, muted(Status::Fail)];
        let mut out = Vec::new();
        write_ndjson(&mut out, &findings, &scan("scan-1")).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.ends_with('\n'));
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), findings.len());
        for (line, finding) in lines.iter().zip(&findings) {
            let event: Value = serde_json::from_str(line).unwrap();
            assert!(event.is_object());
            assert_valid_compliance_finding(&event);
            assert_eq!(event["finding_info"]["uid"], finding.uid());
        }
    }
}
