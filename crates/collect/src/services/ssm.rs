//! Systems Manager: the account's own documents (runbooks that incident response and
//! remediation run) and the instances SSM manages, with their patch compliance.
//!
//! Only documents owned by the account are listed (`Owner=Self`): AWS publishes
//! thousands of its own, which say nothing about the account. A failed listing is a
//! type-level gap. When the patch compliance summaries cannot be read, every instance
//! gets a resource gap and no `patch_compliance`, so patch rules report ERROR rather than
//! reading a missing summary as "no patch data".

use std::collections::HashMap;

use aws_sdk_ssm::types::{
    ComplianceQueryOperatorType, ComplianceStringFilter, DocumentIdentifier,
    DocumentKeyValuesFilter, InstanceInformation, ResourceComplianceSummaryItem, ResourceType,
};
use serde_json::{Map, Value, json};

use crate::registry::{Collector, Scope};
use crate::{Ctx, client, time};

pub const COLLECTOR: Collector = Collector {
    service: "ssm",
    scope: Scope::Regional,
    actions: &[
        "ssm:ListDocuments",
        "ssm:DescribeInstanceInformation",
        "ssm:ListResourceComplianceSummaries",
    ],
    run: |ctx| Box::pin(collect(ctx)),
};

const DOCUMENT: &str = "aws.ssm.document";
const MANAGED_INSTANCE: &str = "aws.ssm.managed_instance";

async fn collect(ctx: Ctx) {
    let client = client!(ctx, aws_sdk_ssm);
    futures::join!(documents(&ctx, &client), managed_instances(&ctx, &client));
}

/// The id of the document `name` of this account and region: its ARN.
pub(crate) fn document_arn(region: &str, account: &str, name: &str) -> String {
    format!("arn:aws:ssm:{region}:{account}:document/{name}")
}

/// The id of a document an action runs, when the account owns it: a name the account
/// could have created (AWS reserves names starting `AWS`, `Amazon` and `AMZN` for its
/// own), or the ARN of a document of this account. `None` for AWS documents and
/// documents shared from other accounts, which this account's inventory never holds.
pub(crate) fn owned_document_id(region: &str, account: &str, document: &str) -> Option<String> {
    if document.starts_with("arn:") {
        let fields: Vec<&str> = document.splitn(6, ':').collect();
        return match fields.as_slice() {
            ["arn", _, "ssm", _, owner, resource]
                if *owner == account && resource.starts_with("document/") =>
            {
                Some(document.to_owned())
            }
            _ => None,
        };
    }
    let lower = document.to_ascii_lowercase();
    let reserved = ["aws", "amazon", "amzn"]
        .iter()
        .any(|prefix| lower.starts_with(prefix));
    (!reserved && !document.is_empty()).then(|| document_arn(region, account, document))
}

async fn documents(ctx: &Ctx, client: &aws_sdk_ssm::Client) {
    let owned = DocumentKeyValuesFilter::builder()
        .key("Owner")
        .values("Self")
        .build();
    let listed = client
        .list_documents()
        .filters(owned)
        .into_paginator()
        .items()
        .send()
        .try_collect();
    let Some(documents) = ctx.list("ssm:ListDocuments", &[DOCUMENT], listed).await else {
        return;
    };
    for document in &documents {
        let Some(name) = document.name() else {
            continue;
        };
        let id = document_arn(&ctx.region, &ctx.account, name);
        let mut resource = ctx.resource(&id, DOCUMENT);
        resource.name = Some(name.to_owned());
        resource.tags = document
            .tags()
            .iter()
            .map(|t| (t.key().to_owned(), t.value().to_owned()))
            .collect();
        resource.properties = Value::Object(document_properties(document, &id)).into();
        ctx.add(resource);
    }
}

fn document_properties(document: &DocumentIdentifier, arn: &str) -> Map<String, Value> {
    let mut p = Map::new();
    p.insert("arn".into(), json!(arn));
    p.insert("name".into(), json!(document.name()));
    p.insert("owner".into(), json!(document.owner()));
    p.insert(
        "document_type".into(),
        json!(document.document_type().map(|t| t.as_str())),
    );
    p.insert(
        "document_format".into(),
        json!(document.document_format().map(|f| f.as_str())),
    );
    p.insert(
        "target_type".into(),
        json!(document.target_type().filter(|t| !t.is_empty())),
    );
    p.insert("created_date".into(), time(document.created_date()));
    p.insert(
        "platform_types".into(),
        json!(
            document
                .platform_types()
                .iter()
                .map(|t| t.as_str())
                .collect::<Vec<_>>()
        ),
    );
    p
}

async fn managed_instances(ctx: &Ctx, client: &aws_sdk_ssm::Client) {
    let listed = client
        .describe_instance_information()
        .into_paginator()
        .items()
        .send()
        .try_collect();
    let Some(instances) = ctx
        .list(
            "ssm:DescribeInstanceInformation",
            &[MANAGED_INSTANCE],
            listed,
        )
        .await
    else {
        return;
    };
    if instances.is_empty() {
        return;
    }
    let patch = ComplianceStringFilter::builder()
        .key("ComplianceType")
        .values("Patch")
        .r#type(ComplianceQueryOperatorType::Equal)
        .build();
    let summaries = client
        .list_resource_compliance_summaries()
        .filters(patch)
        .into_paginator()
        .items()
        .send()
        .try_collect();
    let compliance = ctx
        .call("ssm:ListResourceComplianceSummaries", summaries)
        .await
        .map(|items| patch_compliance_by_instance(&items));
    for instance in &instances {
        let Some(instance_id) = instance.instance_id() else {
            continue;
        };
        let id = ctx.arn("ssm", &format!("managed-instance/{instance_id}"));
        let mut props = instance_properties(instance);
        match &compliance {
            Ok(by_instance) => {
                props.insert(
                    "patch_compliance".into(),
                    by_instance.get(instance_id).cloned().unwrap_or(Value::Null),
                );
            }
            // Not collected for this instance: a gap on it, and the property absent.
            Err(err) => ctx.gap_resource("ssm:ListResourceComplianceSummaries", &id, err),
        }
        if instance.resource_type() == Some(&ResourceType::Ec2Instance) {
            ctx.relate(
                &id,
                "manages",
                ctx.arn("ec2", &format!("instance/{instance_id}")),
            );
        }
        let mut resource = ctx.resource(&id, MANAGED_INSTANCE);
        resource.name = Some(
            instance
                .name()
                .filter(|n| !n.is_empty())
                .unwrap_or(instance_id)
                .to_owned(),
        );
        resource.properties = Value::Object(props).into();
        ctx.add(resource);
    }
}

/// The agent's view of an instance; `patch_compliance` is added from the summaries.
fn instance_properties(instance: &InstanceInformation) -> Map<String, Value> {
    let mut p = Map::new();
    p.insert("instance_id".into(), json!(instance.instance_id()));
    p.insert(
        "ping_status".into(),
        json!(instance.ping_status().map(|s| s.as_str())),
    );
    p.insert(
        "resource_type".into(),
        json!(instance.resource_type().map(|t| t.as_str())),
    );
    p.insert(
        "platform_type".into(),
        json!(instance.platform_type().map(|t| t.as_str())),
    );
    p.insert("platform_name".into(), json!(instance.platform_name()));
    p.insert("agent_version".into(), json!(instance.agent_version()));
    p.insert(
        "is_latest_version".into(),
        json!(instance.is_latest_version()),
    );
    p.insert(
        "last_ping_date_time".into(),
        time(instance.last_ping_date_time()),
    );
    p
}

/// Instance id → its patch summary. Only `Patch` summaries count, whatever else an
/// endpoint returns despite the filter.
fn patch_compliance_by_instance(items: &[ResourceComplianceSummaryItem]) -> HashMap<String, Value> {
    items
        .iter()
        .filter(|i| i.compliance_type() == Some("Patch"))
        .filter_map(|i| Some((i.resource_id()?.to_owned(), patch_compliance(i))))
        .collect()
}

/// `{status, critical_non_compliant, high_non_compliant, non_compliant_count}`; the
/// counts are null when the summary carries no non-compliance breakdown.
fn patch_compliance(item: &ResourceComplianceSummaryItem) -> Value {
    let non_compliant = item.non_compliant_summary();
    let severity = non_compliant.and_then(|n| n.severity_summary());
    json!({
        "status": item.status().map(|s| s.as_str()),
        "critical_non_compliant": severity.map(|s| s.critical_count()),
        "high_non_compliant": severity.map(|s| s.high_count()),
        "non_compliant_count": non_compliant.map(|n| n.non_compliant_count()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_ssm::types::{
        ComplianceStatus, DocumentFormat, DocumentType, NonCompliantSummary, PingStatus,
        PlatformType, SeveritySummary, Tag,
    };
    use aws_smithy_types::DateTime;

    const ACCOUNT: &str = "111122223333";

    #[test]
    fn automation_document_properties() {
        let doc = DocumentIdentifier::builder()
            .name("Isolate-Instance")
            .owner(ACCOUNT)
            .document_type(DocumentType::Automation)
            .document_format(DocumentFormat::Yaml)
            .platform_types(PlatformType::Linux)
            .platform_types(PlatformType::Windows)
            .created_date(DateTime::from_secs(1_700_000_000))
            .tags(
                Tag::builder()
                    .key("team")
                    .value("sec")
                    .build()
                    .expect("tag"),
            )
            .build();
        let arn = document_arn("eu-west-1", ACCOUNT, "Isolate-Instance");
        assert_eq!(
            arn,
            "arn:aws:ssm:eu-west-1:111122223333:document/Isolate-Instance"
        );
        let p = Value::Object(document_properties(&doc, &arn));
        assert_eq!(
            p,
            json!({
                "arn": arn,
                "name": "Isolate-Instance",
                "owner": ACCOUNT,
                "document_type": "Automation",
                "document_format": "YAML",
                "target_type": null,
                "created_date": "2023-11-14T22:13:20Z",
                "platform_types": ["Linux", "Windows"],
            })
        );
    }

    #[test]
    fn command_document_with_a_target_type() {
        let doc = DocumentIdentifier::builder()
            .name("collect-forensics")
            .document_type(DocumentType::Command)
            .document_format(DocumentFormat::Json)
            .target_type("/AWS::EC2::Instance")
            .build();
        let p = Value::Object(document_properties(&doc, "x"));
        assert_eq!(p["document_type"], "Command");
        assert_eq!(p["target_type"], "/AWS::EC2::Instance");
        assert_eq!(p["platform_types"], json!([]));
        assert_eq!(p["created_date"], Value::Null);
    }

    #[test]
    fn only_the_accounts_documents_get_an_id() {
        let own = "arn:aws:ssm:us-east-1:111122223333:document/Isolate";
        assert_eq!(
            owned_document_id("us-east-1", ACCOUNT, "Isolate").as_deref(),
            Some(own)
        );
        assert_eq!(
            owned_document_id("us-east-1", ACCOUNT, own).as_deref(),
            Some(own)
        );
        assert_eq!(
            owned_document_id("us-east-1", ACCOUNT, "AWS-RestartEC2Instance"),
            None
        );
        assert_eq!(
            owned_document_id(
                "us-east-1",
                ACCOUNT,
                "AWSIncidents-CriticalIncidentRunbookTemplate"
            ),
            None
        );
        assert_eq!(
            owned_document_id("us-east-1", ACCOUNT, "amazon-cloudwatch-agent"),
            None
        );
        assert_eq!(
            owned_document_id(
                "us-east-1",
                ACCOUNT,
                "arn:aws:ssm:us-east-1:999988887777:document/Shared"
            ),
            None
        );
    }

    #[test]
    fn managed_ec2_instance_properties() {
        let instance = InstanceInformation::builder()
            .instance_id("i-0abc")
            .ping_status(PingStatus::ConnectionLost)
            .resource_type(ResourceType::Ec2Instance)
            .platform_type(PlatformType::Linux)
            .platform_name("Amazon Linux")
            .agent_version("3.3.40.0")
            .is_latest_version(false)
            .last_ping_date_time(DateTime::from_secs(1_700_000_000))
            .ip_address("10.0.0.5")
            .build();
        let p = Value::Object(instance_properties(&instance));
        assert_eq!(
            p,
            json!({
                "instance_id": "i-0abc",
                "ping_status": "ConnectionLost",
                "resource_type": "EC2Instance",
                "platform_type": "Linux",
                "platform_name": "Amazon Linux",
                "agent_version": "3.3.40.0",
                "is_latest_version": false,
                "last_ping_date_time": "2023-11-14T22:13:20Z",
            })
        );
    }

    fn summary(
        id: &str,
        status: ComplianceStatus,
        critical: i32,
        high: i32,
    ) -> ResourceComplianceSummaryItem {
        ResourceComplianceSummaryItem::builder()
            .compliance_type("Patch")
            .resource_type("ManagedInstance")
            .resource_id(id)
            .status(status)
            .non_compliant_summary(
                NonCompliantSummary::builder()
                    .non_compliant_count(critical + high + 1)
                    .severity_summary(
                        SeveritySummary::builder()
                            .critical_count(critical)
                            .high_count(high)
                            .medium_count(1)
                            .build(),
                    )
                    .build(),
            )
            .build()
    }

    #[test]
    fn compliance_summary_to_patch_compliance() {
        let items = vec![
            summary("i-0abc", ComplianceStatus::NonCompliant, 2, 3),
            summary("mi-0def", ComplianceStatus::Compliant, 0, 0),
            ResourceComplianceSummaryItem::builder()
                .compliance_type("Association")
                .resource_id("i-0zzz")
                .status(ComplianceStatus::NonCompliant)
                .build(),
        ];
        let by_instance = patch_compliance_by_instance(&items);
        assert_eq!(
            by_instance["i-0abc"],
            json!({"status": "NON_COMPLIANT", "critical_non_compliant": 2, "high_non_compliant": 3, "non_compliant_count": 6})
        );
        assert_eq!(by_instance["mi-0def"]["status"], "COMPLIANT");
        assert_eq!(by_instance["mi-0def"]["critical_non_compliant"], 0);
        assert!(!by_instance.contains_key("i-0zzz"), "not a patch summary");
    }

    #[test]
    fn summary_without_breakdown_has_null_counts() {
        let item = ResourceComplianceSummaryItem::builder()
            .compliance_type("Patch")
            .resource_id("i-1")
            .status(ComplianceStatus::Compliant)
            .build();
        assert_eq!(
            patch_compliance(&item),
            json!({"status": "COMPLIANT", "critical_non_compliant": null, "high_non_compliant": null, "non_compliant_count": null})
        );
    }
}
