//! The AWS calls of the Security Hub sink (`vigil_sink::SecurityHubSink`): the one
//! place where Vigil writes to AWS. Kept apart from the collectors on purpose:
//!
//! - its credentials are its own (`profile`, `role_arn`, `region`, `endpoint_url` of
//!   the sink's configuration), never the scanner's;
//! - its two actions are in their own published policy,
//!   `deploy/aws/securityhub-sink-policy.json` ([`SINK_ACTIONS`]), and not in the
//!   read-only scanner policy (the policy test reads this file apart from the rest);
//! - it goes through the SDK's adaptive retry (throttling, timeouts, 5xx), and then
//!   tells the sink whether a failure is worth a later retry, so that a finding is
//!   never lost: the daemon's outbox keeps it until Security Hub took it.
//!
//! The client is made at the first call, not when the daemon starts: building a sink
//! connects nothing, and a daemon whose Security Hub is unreachable still scans.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use crate::CollectOptions;
use aws_sdk_securityhub::Client;
use aws_sdk_securityhub::types::{
    AwsSecurityFinding, AwsSecurityFindingFilters, AwsSecurityFindingIdentifier, Compliance,
    ComplianceStatus, NoteUpdate, Partition, Recommendation, RecordState, Remediation, Resource,
    Severity, SeverityLabel, StringFilter, StringFilterComparison, Workflow, WorkflowStatus,
    WorkflowUpdate,
};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use vigil_sink::asff::{AsffFinding, Kept, Target};
use vigil_sink::{FailedFinding, FindingsImporter, ImportError, SecurityHubConfig};

/// Every action the sink calls: its whole published policy.
pub const SINK_ACTIONS: &[&str] = &[
    "securityhub:BatchImportFindings",
    "securityhub:BatchUpdateFindings",
    "securityhub:GetFindings",
];

/// Attempts per call under the SDK's adaptive retry before the sink reports the batch
/// undelivered (and the daemon's outbox tries again later).
const MAX_ATTEMPTS: u32 = 4;

/// Security Hub error codes that mean "later": the outbox keeps the batch and retries.
const RETRYABLE_CODES: &[&str] = &[
    "ThrottlingException",
    "TooManyRequestsException",
    "LimitExceededException",
    "InternalException",
    "InternalFailure",
    "ServiceUnavailable",
];

/// The sink's importer: a Security Hub client made from the sink's own settings.
pub fn securityhub_importer(config: &SecurityHubConfig) -> Arc<dyn FindingsImporter> {
    Arc::new(SecurityHubImporter {
        config: config.clone(),
        client: tokio::sync::OnceCell::new(),
        region: OnceLock::new(),
    })
}

#[derive(Debug)]
struct SecurityHubImporter {
    config: SecurityHubConfig,
    client: tokio::sync::OnceCell<Client>,
    /// The region the client resolved, once made (`target` needs it).
    region: OnceLock<String>,
}

impl SecurityHubImporter {
    async fn client(&self) -> Result<&Client, ImportError> {
        self.client
            .get_or_try_init(|| async {
                let client = make_client(&self.config).await;
                let region = client
                    .config()
                    .region()
                    .map(ToString::to_string)
                    .ok_or_else(|| ImportError {
                        retryable: false,
                        message:
                            "no region: set `region` in the sink's configuration or AWS_REGION"
                                .into(),
                    })?;
                let _ = self.region.set(region);
                Ok(client)
            })
            .await
    }
}

/// The sink's client: the collectors' own configuration loader (profile, region, role,
/// adaptive retry, per-call timeout), fed with the sink's settings instead of the scan's.
async fn make_client(config: &SecurityHubConfig) -> Client {
    let options = CollectOptions {
        profile: config.profile.clone(),
        regions: config.region.iter().cloned().collect(),
        role_arn: config.role_arn.clone(),
        external_id: config.external_id.clone(),
        role_session_name: "vigil-securityhub-sink".to_owned(),
        max_attempts: MAX_ATTEMPTS,
        call_timeout: Duration::from_secs(config.timeout_secs.max(1)),
        ..CollectOptions::default()
    };
    let sdk = crate::load_config(&options).await;
    let mut service = aws_sdk_securityhub::config::Builder::from(&sdk);
    if let Some(url) = &config.endpoint_url {
        service = service.endpoint_url(url.clone());
    }
    Client::from_conf(service.build())
}

/// The partition a region belongs to.
fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

/// A failed call as the sink sees it: worth a retry later, or not.
fn import_error<E>(operation: &str, err: SdkError<E, HttpResponse>) -> ImportError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let retryable = match &err {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            true
        }
        SdkError::ServiceError(service) => {
            service
                .err()
                .code()
                .is_some_and(|c| RETRYABLE_CODES.contains(&c))
                || service.raw().status().as_u16() >= 500
        }
        _ => false,
    };
    let call = crate::calls::classify(err);
    ImportError {
        retryable,
        message: format!("securityhub:{operation}: {call}"),
    }
}

/// The SDK's form of one ASFF finding (field by field: the SDK's types have no serde).
fn to_sdk(finding: &AsffFinding) -> AwsSecurityFinding {
    let mut out = AwsSecurityFinding::builder()
        .schema_version(&finding.schema_version)
        .id(&finding.id)
        .product_arn(&finding.product_arn)
        .generator_id(&finding.generator_id)
        .aws_account_id(&finding.aws_account_id)
        .created_at(&finding.created_at)
        .updated_at(&finding.updated_at)
        .first_observed_at(&finding.first_observed_at)
        .last_observed_at(&finding.last_observed_at)
        .severity(
            Severity::builder()
                .label(SeverityLabel::from(finding.severity.label.as_str()))
                .original(&finding.severity.original)
                .build(),
        )
        .title(&finding.title)
        .description(&finding.description)
        .compliance({
            let mut c = Compliance::builder()
                .status(ComplianceStatus::from(finding.compliance.status.as_str()));
            for r in &finding.compliance.related_requirements {
                c = c.related_requirements(r);
            }
            c.build()
        })
        .workflow(
            Workflow::builder()
                .status(WorkflowStatus::from(finding.workflow.status.as_str()))
                .build(),
        )
        .record_state(RecordState::from(finding.record_state.as_str()));
    for t in &finding.types {
        out = out.types(t);
    }
    for (k, v) in &finding.product_fields {
        out = out.product_fields(k, v);
    }
    if let Some(remediation) = &finding.remediation {
        let r = &remediation.recommendation;
        out = out.remediation(
            Remediation::builder()
                .recommendation(
                    Recommendation::builder()
                        .text(&r.text)
                        .set_url(r.url.clone())
                        .build(),
                )
                .build(),
        );
    }
    for resource in &finding.resources {
        let mut r = Resource::builder()
            .r#type(&resource.resource_type)
            .id(&resource.id)
            .partition(Partition::from(resource.partition.as_str()))
            .set_region(resource.region.clone());
        for (k, v) in &resource.tags {
            r = r.tags(k, v);
        }
        out = out.resources(r.build());
    }
    out.build()
}

#[async_trait::async_trait]
impl FindingsImporter for SecurityHubImporter {
    fn endpoint(&self) -> String {
        match (&self.config.endpoint_url, &self.config.region) {
            (Some(url), _) => url.clone(),
            (None, Some(region)) => format!("securityhub.{region}"),
            (None, None) => "securityhub (default region)".to_owned(),
        }
    }

    fn target(&self) -> Target {
        let region = self
            .region
            .get()
            .cloned()
            .or_else(|| self.config.region.clone())
            .unwrap_or_default();
        Target {
            partition: partition(&region).to_owned(),
            region,
        }
    }

    async fn existing(&self, ids: &[String]) -> Result<HashMap<String, Kept>, ImportError> {
        let client = self.client().await?;
        let mut filters = AwsSecurityFindingFilters::builder();
        for id in ids {
            filters = filters.id(StringFilter::builder()
                .value(id)
                .comparison(StringFilterComparison::Equals)
                .build());
        }
        let mut kept = HashMap::new();
        let mut pages = client
            .get_findings()
            .filters(filters.build())
            .max_results(100)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| import_error("GetFindings", e))?;
            for f in page.findings() {
                // Only the ids asked about (an emulator may ignore the filter).
                let (Some(id), Some(created)) = (f.id(), f.created_at()) else {
                    continue;
                };
                if !ids.iter().any(|x| x == id) {
                    continue;
                }
                kept.insert(
                    id.to_owned(),
                    Kept {
                        created_at: created.to_owned(),
                        first_observed_at: f.first_observed_at().map(str::to_owned),
                        workflow: f
                            .workflow()
                            .and_then(|w| w.status())
                            .map(|s| s.as_str().to_owned()),
                        noted_by_vigil: f
                            .note()
                            .and_then(|n| n.updated_by())
                            .is_some_and(|by| by == vigil_sink::asff::NOTE_BY),
                    },
                );
            }
        }
        Ok(kept)
    }

    async fn import(&self, findings: &[AsffFinding]) -> Result<Vec<FailedFinding>, ImportError> {
        let client = self.client().await?;
        let answer = client
            .batch_import_findings()
            .set_findings(Some(findings.iter().map(to_sdk).collect()))
            .send()
            .await
            .map_err(|e| import_error("BatchImportFindings", e))?;
        tracing::debug!(
            imported = answer.success_count(),
            refused = answer.failed_count(),
            "securityhub:BatchImportFindings"
        );
        Ok(answer
            .failed_findings()
            .iter()
            .map(|f| FailedFinding {
                id: f.id().unwrap_or_default().to_owned(),
                error_code: f.error_code().unwrap_or_default().to_owned(),
                error_message: f.error_message().unwrap_or_default().to_owned(),
            })
            .collect())
    }

    async fn set_workflow(
        &self,
        findings: &[(String, String)],
        status: &str,
        note: &str,
    ) -> Result<Vec<FailedFinding>, ImportError> {
        let client = self.client().await?;
        let mut call = client
            .batch_update_findings()
            .workflow(
                WorkflowUpdate::builder()
                    .status(WorkflowStatus::from(status))
                    .build(),
            )
            .note(
                NoteUpdate::builder()
                    .text(note)
                    .updated_by(vigil_sink::asff::NOTE_BY)
                    .build(),
            );
        for (id, product_arn) in findings {
            call = call.finding_identifiers(
                AwsSecurityFindingIdentifier::builder()
                    .id(id)
                    .product_arn(product_arn)
                    .build(),
            );
        }
        let answer = call
            .send()
            .await
            .map_err(|e| import_error("BatchUpdateFindings", e))?;
        Ok(answer
            .unprocessed_findings()
            .iter()
            .map(|f| FailedFinding {
                id: f
                    .finding_identifier()
                    .and_then(|i| i.id())
                    .unwrap_or_default()
                    .to_owned(),
                error_code: f.error_code().unwrap_or_default().to_owned(),
                error_message: f.error_message().unwrap_or_default().to_owned(),
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partitions_follow_the_region() {
        assert_eq!(partition("eu-west-1"), "aws");
        assert_eq!(partition("cn-north-1"), "aws-cn");
        assert_eq!(partition("us-gov-west-1"), "aws-us-gov");
    }

    #[test]
    fn every_field_vigil_sets_reaches_the_sdk_finding() {
        let finding: AsffFinding = serde_json::from_value(serde_json::json!({
            "SchemaVersion": "2018-10-08",
            "Id": "vigil-1",
            "ProductArn": "arn:aws:securityhub:eu-west-1:111122223333:product/111122223333/default",
            "GeneratorId": "vigil/s3_bucket_public",
            "AwsAccountId": "111122223333",
            "Types": ["Software and Configuration Checks/AWS Security Best Practices"],
            "CreatedAt": "2026-01-01T00:00:00.000Z",
            "UpdatedAt": "2026-01-02T00:00:00.000Z",
            "FirstObservedAt": "2026-01-01T00:00:00.000Z",
            "LastObservedAt": "2026-01-02T00:00:00.000Z",
            "Severity": {"Label": "HIGH", "Original": "high"},
            "Title": "S3 bucket is public",
            "Description": "d",
            "Remediation": {"Recommendation": {"Text": "Block public access", "Url": "https://docs.aws.amazon.com/x"}},
            "ProductFields": {"vigil/rule": "s3_bucket_public"},
            "Resources": [{"Type": "AwsS3Bucket", "Id": "arn:aws:s3:::b", "Partition": "aws", "Region": "eu-west-1", "Tags": {"env": "prod"}}],
            "Compliance": {"Status": "FAILED", "RelatedRequirements": ["CIS AWS Foundations v5.0/2.1.4"]},
            "Workflow": {"Status": "SUPPRESSED"},
            "RecordState": "ARCHIVED"
        }))
        .unwrap();
        let sdk = to_sdk(&finding);
        assert_eq!(sdk.id(), Some("vigil-1"));
        assert_eq!(
            sdk.severity().and_then(|s| s.label()),
            Some(&SeverityLabel::High)
        );
        assert_eq!(
            sdk.compliance().and_then(|c| c.status()),
            Some(&ComplianceStatus::Failed)
        );
        assert_eq!(
            sdk.compliance().map(|c| c.related_requirements().len()),
            Some(1)
        );
        assert_eq!(
            sdk.workflow().and_then(|w| w.status()),
            Some(&WorkflowStatus::Suppressed)
        );
        assert_eq!(sdk.record_state(), Some(&RecordState::Archived));
        let r = &sdk.resources()[0];
        assert_eq!(r.partition(), Some(&Partition::Aws));
        assert_eq!(
            r.tags().and_then(|t| t.get("env")).map(String::as_str),
            Some("prod")
        );
        assert_eq!(
            sdk.remediation()
                .and_then(|r| r.recommendation())
                .and_then(|r| r.url()),
            Some("https://docs.aws.amazon.com/x")
        );
        assert_eq!(sdk.first_observed_at(), Some("2026-01-01T00:00:00.000Z"));
        assert_eq!(
            sdk.product_fields()
                .and_then(|p| p.get("vigil/rule"))
                .map(String::as_str),
            Some("s3_bucket_public")
        );
    }
}
