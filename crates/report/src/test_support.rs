//! Hand-built findings for the output tests: one realistic rule with CIS, FSBP,
//! CAF, WAF and epic mappings, so every column and attribute has a value to check.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{TimeZone, Utc};
use serde_json::json;
use vigil_rules::{
    CafComponent, CafMapping, Compliance, Epic, Evidence, Finding, Remediation, ResourceRef,
    RuleFile, RuleStatus, Severity, Status, WafArea, WafMapping,
};

use crate::ocsf::ScanInfo;

pub(crate) fn rule() -> RuleFile {
    RuleFile {
        id: "s3_bucket_secure_transport_required".into(),
        title: "S3 bucket policies deny requests over plain HTTP".into(),
        severity: Severity::High,
        resource: "aws.s3.bucket".into(),
        description: "Checks that the bucket policy denies any request where \
                      aws:SecureTransport is false."
            .into(),
        rationale: "Requests over HTTP expose data and credentials in transit.".into(),
        condition: "properties.policy.denies_insecure_transport == true".into(),
        applies_when: None,
        caf: CafMapping {
            component: CafComponent::Preventive,
            capability: "Data protection".into(),
        },
        waf: WafMapping {
            area: WafArea::Data,
            practice: "SEC09-BP02".into(),
        },
        epics: vec![Epic::DataProtection, Epic::InfrastructureSecurity],
        compliance: Compliance {
            cis_aws_v3: vec!["2.1.1".into()],
            cis_aws_v4: vec!["2.1.1".into()],
            cis_aws_v5: vec!["2.1.1".into()],
            fsbp: vec!["S3.5".into()],
        },
        remediation: Remediation {
            text: "Add a bucket policy statement that denies s3:* when \
                   aws:SecureTransport is false."
                .into(),
            cli: Some(
                "aws s3api put-bucket-policy --bucket <bucket> --policy file://policy.json".into(),
            ),
            terraform: None,
        },
        references: vec![
            "https://docs.aws.amazon.com/AmazonS3/latest/userguide/security-best-practices.html"
                .into(),
        ],
        status: RuleStatus::Stable,
        organization_wide: false,
        since: Some("0.1.0".into()),
    }
}

pub(crate) fn finding(status: Status) -> Finding {
    let mut properties = BTreeMap::new();
    properties.insert(
        "policy.denies_insecure_transport".to_string(),
        json!(status == Status::Pass).into(),
    );
    Finding {
        rule: Arc::new(rule()),
        resource: Arc::new(ResourceRef {
            id: "arn:aws:s3:::logs-bucket".into(),
            resource_type: "aws.s3.bucket".into(),
            account: "123456789012".into(),
            region: "eu-west-1".into(),
            name: Some("logs-bucket".into()),
            tags: BTreeMap::from([("env".to_string(), "prod".to_string())]),
        }),
        status,
        reason: match status {
            Status::Error => Some("property policy was not collected".into()),
            _ => None,
        },
        muted_status: None,
        evidence: Evidence::new(properties, Vec::new(), Vec::new(), Vec::new()),
    }
}

/// A finding a mutelist entry accepted, replacing `underlying`.
pub(crate) fn muted(underlying: Status) -> Finding {
    let mut f = finding(underlying);
    f.status = Status::Muted;
    f.muted_status = Some(underlying);
    f.reason = Some("accepted risk: legacy bucket, ticket SEC-42".into());
    f
}

pub(crate) fn scan(scan_id: &str) -> ScanInfo {
    ScanInfo {
        scan_id: scan_id.into(),
        started_at: Utc.with_ymd_and_hms(2025, 9, 1, 10, 0, 0).unwrap(),
        finished_at: Utc.with_ymd_and_hms(2025, 9, 1, 10, 4, 30).unwrap(),
        product_version: "0.1.0".into(),
    }
}
