//! Vigil's finding events as AWS Security Finding Format (ASFF) findings, and the
//! batches `BatchImportFindings` takes. Pure: no SDK, no I/O, so that every mapping
//! rule and every limit is unit-tested here; the SDK call lives in `vigil-collect`.
//!
//! What the mapping decides, and why:
//! - `Compliance.Status` comes from the rule's result: PASS → PASSED, FAIL → FAILED,
//!   ERROR → NOT_AVAILABLE (Vigil could not see, so it claims neither). A muted
//!   finding keeps the result the rule gave (`unmapped.vigil.muted_status`) and is
//!   `Workflow.Status = SUPPRESSED`.
//! - A `finding.resolved` event is `RecordState = ARCHIVED`; every other one ACTIVE.
//!   A finding resolved because its resource is gone has no result any more, so its
//!   compliance is NOT_AVAILABLE.
//! - `CreatedAt` and `FirstObservedAt` are what Security Hub already holds for the
//!   finding when it holds it ([`Kept`]), so an update never moves them.
//! - Limits: at most [`MAX_BATCH`] findings a call and [`MAX_FINDING_BYTES`] a
//!   finding. An oversize finding first loses its evidence, then its resource tags
//!   (both said so in `ProductFields`); one still too large is refused, by name.

use std::collections::BTreeMap;

use chrono::{DateTime, SecondsFormat, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::Event;

/// `BatchImportFindings` takes at most 100 findings a call.
pub const MAX_BATCH: usize = 100;
/// Security Hub refuses a finding over 240 KB.
pub const MAX_FINDING_BYTES: usize = 240 * 1024;
/// The ASFF schema version every finding declares.
pub const SCHEMA_VERSION: &str = "2018-10-08";

// Field limits from the ASFF reference; longer text is cut, with an ellipsis.
const MAX_ID: usize = 512;
const MAX_TITLE: usize = 256;
const MAX_DESCRIPTION: usize = 1024;
const MAX_RECOMMENDATION: usize = 512;
const MAX_PRODUCT_FIELD: usize = 2048;
const MAX_REQUIREMENTS: usize = 32;

/// One ASFF finding, with the fields Vigil sets. Serialised with ASFF's own field
/// names, which are also the JSON names the API takes: the serialised size is the
/// size Security Hub measures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AsffFinding {
    pub schema_version: String,
    pub id: String,
    pub product_arn: String,
    pub generator_id: String,
    pub aws_account_id: String,
    pub types: Vec<String>,
    pub created_at: String,
    pub updated_at: String,
    pub first_observed_at: String,
    pub last_observed_at: String,
    pub severity: Severity,
    pub title: String,
    pub description: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remediation: Option<Remediation>,
    pub product_fields: BTreeMap<String, String>,
    pub resources: Vec<AsffResource>,
    pub compliance: Compliance,
    pub workflow: Workflow,
    pub record_state: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Severity {
    /// INFORMATIONAL, LOW, MEDIUM, HIGH or CRITICAL.
    pub label: String,
    /// The rule's own severity word.
    pub original: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Remediation {
    pub recommendation: Recommendation,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Recommendation {
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AsffResource {
    /// An ASFF resource type (`AwsS3Bucket`), or `Other`.
    #[serde(rename = "Type")]
    pub resource_type: String,
    pub id: String,
    pub partition: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Compliance {
    /// PASSED, FAILED or NOT_AVAILABLE.
    pub status: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub related_requirements: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Workflow {
    /// NEW, SUPPRESSED or RESOLVED.
    pub status: String,
}

/// What Security Hub already holds for a finding and must stay as it is on update.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Kept {
    pub created_at: String,
    pub first_observed_at: Option<String>,
    /// `Workflow.Status` as held (NEW, NOTIFIED, SUPPRESSED, RESOLVED).
    pub workflow: Option<String>,
    /// The finding's note was written by Vigil ([`NOTE_BY`]): a suppression Vigil set
    /// and may lift, unlike one a person set in Security Hub.
    pub noted_by_vigil: bool,
}

/// `Note.UpdatedBy` of the notes Vigil writes when it changes a finding's workflow.
pub const NOTE_BY: &str = "vigil";

/// Where findings go: the account and region of the Security Hub written to (the
/// product ARN names them), and the partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub partition: String,
    pub region: String,
}

impl Target {
    /// The product ARN of findings a customer imports into its own account:
    /// `arn:aws:securityhub:<region>:<account>:product/<account>/default`.
    pub fn product_arn(&self, account: &str) -> String {
        format!(
            "arn:{}:securityhub:{}:{account}:product/{account}/default",
            self.partition, self.region
        )
    }
}

/// Why an event cannot become an ASFF finding.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AsffError {
    #[error("event `{event}` has no `{field}`: not a Vigil finding event")]
    Missing { event: String, field: &'static str },
    #[error(
        "finding `{id}` (event `{event}`) is {bytes} bytes as ASFF even without its evidence and tags; Security Hub takes at most {max}",
        max = MAX_FINDING_BYTES
    )]
    TooLarge {
        id: String,
        event: String,
        bytes: usize,
    },
    #[error(
        "finding `{id}` (event `{event}`): its id is {len} characters, Security Hub takes at most {max}",
        max = MAX_ID
    )]
    IdTooLong {
        id: String,
        event: String,
        len: usize,
    },
}

impl AsffError {
    /// The event at fault.
    pub fn event(&self) -> &str {
        match self {
            Self::Missing { event, .. }
            | Self::TooLarge { event, .. }
            | Self::IdTooLong { event, .. } => event,
        }
    }
}

/// Does this event become a finding? Scan summaries and anything else that is not a
/// finding's lifecycle change have no place in Security Hub.
pub fn is_finding_event(event: &Event) -> bool {
    event.kind.starts_with("finding.")
}

/// The finding's Security Hub id: the Vigil finding uid, stable across scans.
pub fn finding_id(event: &Event) -> Option<&str> {
    event
        .body
        .pointer("/finding_info/uid")
        .and_then(Value::as_str)
}

/// The account a finding event is about.
pub fn finding_account(event: &Event) -> Option<&str> {
    event
        .body
        .pointer("/cloud/account/uid")
        .and_then(Value::as_str)
        .or_else(|| {
            event
                .body
                .pointer("/resources/0/owner/account/uid")
                .and_then(Value::as_str)
        })
}

/// ASFF `Compliance.Status` of a Vigil result word.
pub fn compliance_status(result: &str) -> &'static str {
    match result {
        "PASS" => "PASSED",
        "FAIL" => "FAILED",
        _ => "NOT_AVAILABLE",
    }
}

/// Turns one finding event into an ASFF finding within [`MAX_FINDING_BYTES`].
pub fn to_asff(
    event: &Event,
    target: &Target,
    kept: Option<&Kept>,
) -> Result<AsffFinding, AsffError> {
    let body = &event.body;
    let missing = |field: &'static str| AsffError::Missing {
        event: event.id.clone(),
        field,
    };
    let id = finding_id(event).ok_or_else(|| missing("finding_info.uid"))?;
    if id.chars().count() > MAX_ID {
        return Err(AsffError::IdTooLong {
            id: cut(id, 80),
            event: event.id.clone(),
            len: id.chars().count(),
        });
    }
    let account = finding_account(event).ok_or_else(|| missing("cloud.account.uid"))?;
    let rule = str_at(body, "/metadata/event_code")
        .or_else(|| str_at(body, "/finding_info/analytic/uid"))
        .ok_or_else(|| missing("metadata.event_code"))?;
    let resource = body
        .pointer("/resources/0")
        .ok_or_else(|| missing("resources"))?;
    let resource_id = str_at(resource, "/uid").ok_or_else(|| missing("resources[0].uid"))?;
    let vigil = body.pointer("/unmapped/vigil");

    let result = str_at(body, "/status_code").unwrap_or("ERROR");
    let resolved = event.kind == "finding.resolved";
    let resource_gone = resolved && result != "PASS";
    let muted = result == "MUTED";
    let judged = if muted {
        vigil
            .and_then(|v| str_at(v, "/muted_status"))
            .unwrap_or("ERROR")
    } else {
        result
    };
    let compliance = if resource_gone {
        "NOT_AVAILABLE"
    } else {
        compliance_status(judged)
    };

    let now = rfc3339(event.time);
    let first_seen = ms_at(body, "/finding_info/first_seen_time").map(rfc3339);
    let last_seen = ms_at(body, "/finding_info/last_seen_time")
        .map(rfc3339)
        .unwrap_or_else(|| now.clone());
    let created_at = kept.map_or_else(|| now.clone(), |k| k.created_at.clone());
    let first_observed_at = kept
        .and_then(|k| k.first_observed_at.clone())
        .or(first_seen)
        .unwrap_or_else(|| created_at.clone());

    let title = str_at(body, "/finding_info/title").unwrap_or(rule);
    let description = str_at(body, "/finding_info/desc")
        .filter(|d| !d.trim().is_empty())
        .or_else(|| str_at(body, "/message"))
        .unwrap_or(title);
    let remediation = str_at(body, "/remediation/desc")
        .filter(|t| !t.trim().is_empty())
        .map(|text| Remediation {
            recommendation: Recommendation {
                text: cut(text, MAX_RECOMMENDATION),
                url: body
                    .pointer("/remediation/references")
                    .and_then(Value::as_array)
                    .and_then(|refs| {
                        refs.iter()
                            .filter_map(Value::as_str)
                            .find(|r| r.starts_with("https://"))
                    })
                    .map(str::to_owned),
            },
        });

    let severity = str_at(body, "/severity").unwrap_or("Informational");
    let mut product_fields = BTreeMap::new();
    let mut field = |key: &str, value: Option<&str>| {
        if let Some(value) = value.filter(|v| !v.is_empty()) {
            product_fields.insert(format!("vigil/{key}"), cut(value, MAX_PRODUCT_FIELD));
        }
    };
    field("rule_id", Some(rule));
    field("result", Some(result));
    field("event_kind", Some(event.kind.as_str()));
    field("event_id", Some(event.id.as_str()));
    field("status_detail", str_at(body, "/status_detail"));
    field("resource_type", str_at(resource, "/type"));
    if let Some(vigil) = vigil {
        field("scan_id", str_at(vigil, "/scan_id"));
        field("caf_component", str_at(vigil, "/caf/component"));
        field("waf_area", str_at(vigil, "/waf/area"));
        field("reason", str_at(vigil, "/reason"));
    }
    if let Some(evidence) = vigil
        .and_then(|v| v.get("evidence"))
        .filter(|e| !e.is_null())
    {
        let text = evidence.to_string();
        field("evidence", Some(&text));
    }
    product_fields.insert("ProviderName".into(), "Vigil".into());

    let region = str_at(resource, "/region")
        .filter(|r| !r.is_empty() && *r != "global")
        .map(str::to_owned);
    let tags = resource
        .get("tags")
        .and_then(Value::as_array)
        .map(|tags| {
            tags.iter()
                .filter_map(|t| {
                    Some((
                        str_at(t, "/name")?.to_owned(),
                        str_at(t, "/value").unwrap_or("").to_owned(),
                    ))
                })
                .collect()
        })
        .unwrap_or_default();

    let mut finding = AsffFinding {
        schema_version: SCHEMA_VERSION.into(),
        id: id.to_owned(),
        product_arn: target.product_arn(account),
        generator_id: format!("vigil/{rule}"),
        aws_account_id: account.to_owned(),
        types: vec!["Software and Configuration Checks/Vigil/Posture Checks".into()],
        created_at,
        updated_at: now,
        first_observed_at,
        last_observed_at: last_seen,
        severity: Severity {
            label: severity_label(severity).into(),
            original: severity.to_owned(),
        },
        title: cut(title, MAX_TITLE),
        description: cut(description, MAX_DESCRIPTION),
        remediation,
        product_fields,
        resources: vec![AsffResource {
            resource_type: resource_type(str_at(resource, "/type").unwrap_or("")).into(),
            id: resource_id.to_owned(),
            partition: str_at(resource, "/cloud_partition")
                .unwrap_or(&target.partition)
                .to_owned(),
            region,
            tags,
        }],
        compliance: Compliance {
            status: compliance.into(),
            related_requirements: body
                .pointer("/compliance/requirements")
                .and_then(Value::as_array)
                .map(|r| {
                    r.iter()
                        .filter_map(Value::as_str)
                        .take(MAX_REQUIREMENTS)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default(),
        },
        workflow: Workflow {
            status: if muted {
                "SUPPRESSED"
            } else if resolved {
                "RESOLVED"
            } else {
                "NEW"
            }
            .into(),
        },
        record_state: if resolved { "ARCHIVED" } else { "ACTIVE" }.into(),
    };
    fit(&mut finding, &event.id)?;
    Ok(finding)
}

/// The finding's size as the API measures it: its JSON.
pub fn size(finding: &AsffFinding) -> usize {
    serde_json::to_vec(finding).map_or(usize::MAX, |v| v.len())
}

/// Brings a finding under [`MAX_FINDING_BYTES`]: its evidence goes first, then its
/// resource tags, each replaced by a note saying so; what still does not fit is
/// refused rather than cut somewhere arbitrary.
fn fit(finding: &mut AsffFinding, event: &str) -> Result<(), AsffError> {
    if size(finding) <= MAX_FINDING_BYTES {
        return Ok(());
    }
    if finding.product_fields.remove("vigil/evidence").is_some() {
        finding.product_fields.insert(
            "vigil/evidence_cut".into(),
            "evidence left out: the finding was over Security Hub's 240 KB".into(),
        );
        if size(finding) <= MAX_FINDING_BYTES {
            return Ok(());
        }
    }
    if finding.resources.iter().any(|r| !r.tags.is_empty()) {
        for resource in &mut finding.resources {
            resource.tags.clear();
        }
        finding.product_fields.insert(
            "vigil/tags_cut".into(),
            "resource tags left out: the finding was over Security Hub's 240 KB".into(),
        );
        if size(finding) <= MAX_FINDING_BYTES {
            return Ok(());
        }
    }
    Err(AsffError::TooLarge {
        id: finding.id.clone(),
        event: event.to_owned(),
        bytes: size(finding),
    })
}

/// Splits findings into `BatchImportFindings` calls: at most [`MAX_BATCH`] each and,
/// as the request as a whole has a size limit too, at most `max_request_bytes` of
/// findings each. A finding is never split across calls.
pub fn batches(findings: Vec<AsffFinding>, max_request_bytes: usize) -> Vec<Vec<AsffFinding>> {
    let mut out: Vec<Vec<AsffFinding>> = Vec::new();
    let mut current = Vec::new();
    let mut bytes = 0;
    for finding in findings {
        let n = size(&finding);
        if !current.is_empty() && (current.len() == MAX_BATCH || bytes + n > max_request_bytes) {
            out.push(std::mem::take(&mut current));
            bytes = 0;
        }
        bytes += n;
        current.push(finding);
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

fn severity_label(severity: &str) -> &'static str {
    match severity.to_ascii_lowercase().as_str() {
        "critical" | "fatal" => "CRITICAL",
        "high" => "HIGH",
        "medium" => "MEDIUM",
        "low" => "LOW",
        _ => "INFORMATIONAL",
    }
}

/// ASFF's resource type for a Vigil one, where ASFF has one; `Other` otherwise.
fn resource_type(vigil: &str) -> &'static str {
    match vigil {
        "aws.s3.bucket" => "AwsS3Bucket",
        "aws.iam.user" => "AwsIamUser",
        "aws.iam.role" => "AwsIamRole",
        "aws.iam.policy" => "AwsIamPolicy",
        "aws.iam.group" => "AwsIamGroup",
        "aws.iam.access_key" => "AwsIamAccessKey",
        "aws.ec2.security_group" => "AwsEc2SecurityGroup",
        "aws.ec2.instance" => "AwsEc2Instance",
        "aws.ec2.volume" => "AwsEc2Volume",
        "aws.ec2.vpc" => "AwsEc2Vpc",
        "aws.ec2.network_acl" => "AwsEc2NetworkAcl",
        "aws.ec2.subnet" => "AwsEc2Subnet",
        "aws.kms.key" => "AwsKmsKey",
        "aws.cloudtrail.trail" => "AwsCloudTrailTrail",
        "aws.lambda.function" => "AwsLambdaFunction",
        "aws.rds.instance" | "aws.rds.db_instance" => "AwsRdsDbInstance",
        "aws.sns.topic" => "AwsSnsTopic",
        "aws.sqs.queue" => "AwsSqsQueue",
        "aws.secretsmanager.secret" => "AwsSecretsManagerSecret",
        "aws.dynamodb.table" => "AwsDynamoDbTable",
        "aws.ecr.repository" => "AwsEcrRepository",
        "aws.eks.cluster" => "AwsEksCluster",
        "aws.account" => "AwsAccount",
        _ => "Other",
    }
}

fn str_at<'v>(value: &'v Value, pointer: &str) -> Option<&'v str> {
    value.pointer(pointer).and_then(Value::as_str)
}

fn ms_at(value: &Value, pointer: &str) -> Option<DateTime<Utc>> {
    value
        .pointer(pointer)
        .and_then(Value::as_i64)
        .and_then(|ms| Utc.timestamp_millis_opt(ms).single())
}

fn rfc3339(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// At most `max` characters, the last one an ellipsis when cut.
fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

#[cfg(test)]
#[path = "asff_tests.rs"]
mod tests;
