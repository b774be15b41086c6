//! AWS Config: the configuration recorder (and whether it records), the delivery
//! channel it writes to, the Config rules of the region, their remediation
//! configurations, the conformance packs with their compliance, and the configuration
//! aggregators.
//!
//! Remediation configurations can only be asked for by rule name
//! (`DescribeRemediationConfigurations` takes at most 25 names per call), so they are read
//! for the rules `DescribeConfigRules` listed; when that listing fails, both types get a
//! type-level gap. A remediation `manages` the rule it fixes and `invokes` the SSM
//! document it runs when that document belongs to the account (a plain name outside the
//! prefixes AWS reserves for its own documents, or an ARN in this account).

use serde_json::{Map, Value, json};

use std::collections::BTreeMap;

use aws_sdk_config::types::{
    ConfigRule, ConfigurationAggregator, ConfigurationRecorder, ConfigurationRecorderStatus,
    ConformancePackComplianceSummary, ConformancePackDetail, DeliveryChannel,
    RemediationConfiguration, RemediationTargetType,
};

use crate::Ctx;
use crate::registry::{Collector, Scope};

pub const COLLECTOR: Collector = Collector {
    service: "config",
    scope: Scope::Regional,
    actions: &[
        "config:DescribeConfigurationRecorders",
        "config:DescribeConfigurationRecorderStatus",
        "config:DescribeDeliveryChannels",
        "config:DescribeConfigRules",
        "config:DescribeRemediationConfigurations",
        "config:DescribeConformancePacks",
        "config:GetConformancePackComplianceSummary",
        "config:DescribeConfigurationAggregators",
    ],
    run: |ctx| Box::pin(collect(ctx)),
};

const RECORDER: &str = "aws.config.recorder";
const CHANNEL: &str = "aws.config.delivery_channel";
const RULE: &str = "aws.config.rule";
const REMEDIATION: &str = "aws.config.remediation";
const CONFORMANCE_PACK: &str = "aws.config.conformance_pack";
const AGGREGATOR: &str = "aws.config.aggregator";

/// `DescribeRemediationConfigurations` accepts at most 25 rule names per call.
const REMEDIATION_CHUNK: usize = 25;
/// `GetConformancePackComplianceSummary` accepts at most 5 conformance pack names per call.
const COMPLIANCE_CHUNK: usize = 5;

async fn collect(ctx: Ctx) {
    let client = crate::client!(ctx, aws_sdk_config);
    recorders(&ctx, &client).await;
    delivery_channels(&ctx, &client).await;
    if let Some(rules) = rules(&ctx, &client).await {
        remediations(&ctx, &client, &rules).await;
    }
    conformance_packs(&ctx, &client).await;
    aggregators(&ctx, &client).await;
}

/// Recorders with their recording status. If only the status call fails, the recorders
/// are still added, without `recording`/`last_status`, and each gets a resource gap.
async fn recorders(ctx: &Ctx, client: &aws_sdk_config::Client) {
    let Some(out) = ctx
        .list(
            "config:DescribeConfigurationRecorders",
            &[RECORDER],
            client.describe_configuration_recorders().send(),
        )
        .await
    else {
        return;
    };
    let recorders = out.configuration_recorders();
    if recorders.is_empty() {
        return;
    }
    let statuses = ctx
        .call(
            "config:DescribeConfigurationRecorderStatus",
            client.describe_configuration_recorder_status().send(),
        )
        .await;
    for recorder in recorders {
        let Some(name) = recorder.name() else {
            continue;
        };
        let id = recorder_id(ctx, recorder, name);
        let status = match &statuses {
            Ok(out) => {
                let found = out
                    .configuration_recorders_status()
                    .iter()
                    .find(|s| s.name() == Some(name));
                if found.is_none() {
                    tracing::warn!(
                        recorder = name,
                        "no status returned for the configuration recorder"
                    );
                }
                found
            }
            Err(err) => {
                ctx.gap_resource("config:DescribeConfigurationRecorderStatus", &id, err);
                None
            }
        };
        let mut resource = ctx.resource(id, RECORDER);
        resource.name = Some(name.to_owned());
        resource.properties = Value::Object(recorder_properties(recorder, status)).into();
        ctx.add(resource);
    }
}

/// The recorder's ARN where the API gives it, else one built from its name.
fn recorder_id(ctx: &Ctx, recorder: &ConfigurationRecorder, name: &str) -> String {
    recorder
        .arn()
        .map(str::to_owned)
        .unwrap_or_else(|| ctx.arn("config", &format!("configuration-recorder/{name}")))
}

/// The contract's recorder properties; `recording` and `last_status` only when the
/// status of this recorder was read.
fn recorder_properties(
    recorder: &ConfigurationRecorder,
    status: Option<&ConfigurationRecorderStatus>,
) -> Map<String, Value> {
    let group = recorder.recording_group();
    let mut p = Map::new();
    p.insert("name".into(), json!(recorder.name()));
    p.insert(
        "all_supported".into(),
        json!(group.map(|g| g.all_supported())),
    );
    p.insert(
        "include_global_resource_types".into(),
        json!(group.map(|g| g.include_global_resource_types())),
    );
    p.insert("role_arn".into(), json!(recorder.role_arn()));
    if let Some(status) = status {
        p.insert("recording".into(), json!(status.recording()));
        p.insert(
            "last_status".into(),
            json!(status.last_status().map(|s| screaming_snake(s.as_str()))),
        );
    }
    p
}

/// `Success` → `SUCCESS`, `NotApplicable` → `NOT_APPLICABLE`: the contract's spelling of
/// the recorder status.
fn screaming_snake(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 4);
    for (i, c) in value.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_uppercase());
    }
    out
}

async fn delivery_channels(ctx: &Ctx, client: &aws_sdk_config::Client) {
    let Some(out) = ctx
        .list(
            "config:DescribeDeliveryChannels",
            &[CHANNEL],
            client.describe_delivery_channels().send(),
        )
        .await
    else {
        return;
    };
    for channel in out.delivery_channels() {
        let Some(name) = channel.name() else {
            continue;
        };
        let id = ctx.arn("config", &format!("delivery-channel/{name}"));
        let mut resource = ctx.resource(id.clone(), CHANNEL);
        resource.name = Some(name.to_owned());
        resource.properties = Value::Object(channel_properties(channel)).into();
        ctx.add(resource);
        if let Some(bucket) = channel.s3_bucket_name() {
            ctx.relate(id.as_str(), "delivers_to", format!("arn:aws:s3:::{bucket}"));
        }
        if let Some(topic) = channel.sns_topic_arn() {
            ctx.relate(id.as_str(), "delivers_to", topic);
        }
    }
}

fn channel_properties(channel: &DeliveryChannel) -> Map<String, Value> {
    let mut p = Map::new();
    p.insert("name".into(), json!(channel.name()));
    p.insert("s3_bucket_name".into(), json!(channel.s3_bucket_name()));
    p.insert("sns_topic_arn".into(), json!(channel.sns_topic_arn()));
    p
}

/// Adds the region's Config rules and returns their ids by name, or `None` when the
/// listing failed (then remediation configurations cannot be asked for either, and both
/// types get the gap).
async fn rules(ctx: &Ctx, client: &aws_sdk_config::Client) -> Option<BTreeMap<String, String>> {
    let rules = crate::list_all!(
        ctx,
        "config:DescribeConfigRules",
        &[RULE, REMEDIATION],
        client.describe_config_rules()
    )
    .await?;
    let mut ids = BTreeMap::new();
    for rule in &rules {
        let Some(name) = rule.config_rule_name() else {
            continue;
        };
        let id = rule
            .config_rule_arn()
            .map(str::to_owned)
            .unwrap_or_else(|| ctx.arn("config", &format!("config-rule/{name}")));
        let mut resource = ctx.resource(id.clone(), RULE);
        resource.name = Some(name.to_owned());
        resource.properties = Value::Object(rule_properties(rule)).into();
        ctx.add(resource);
        ids.insert(name.to_owned(), id);
    }
    Some(ids)
}

fn rule_properties(rule: &ConfigRule) -> Map<String, Value> {
    let source = rule.source();
    let mut p = Map::new();
    p.insert("config_rule_name".into(), json!(rule.config_rule_name()));
    p.insert(
        "source_owner".into(),
        json!(source.map(|s| s.owner().as_str())),
    );
    p.insert(
        "source_identifier".into(),
        json!(source.and_then(|s| s.source_identifier())),
    );
    p.insert(
        "state".into(),
        json!(rule.config_rule_state().map(|s| s.as_str())),
    );
    p
}

/// The remediation configurations of `rules` (name → rule id), 25 names per call. A
/// failed call is a type-level gap (the list is incomplete); the remaining chunks are not
/// asked for, since they would fail the same way.
async fn remediations(
    ctx: &Ctx,
    client: &aws_sdk_config::Client,
    rules: &BTreeMap<String, String>,
) {
    let names: Vec<&String> = rules.keys().collect();
    for chunk in names.chunks(REMEDIATION_CHUNK) {
        let Some(out) = ctx
            .list(
                "config:DescribeRemediationConfigurations",
                &[REMEDIATION],
                client
                    .describe_remediation_configurations()
                    .set_config_rule_names(Some(chunk.iter().map(|n| (*n).clone()).collect()))
                    .send(),
            )
            .await
        else {
            return;
        };
        for remediation in out.remediation_configurations() {
            let rule_name = remediation.config_rule_name();
            let id = remediation.arn().map(str::to_owned).unwrap_or_else(|| {
                ctx.arn("config", &format!("remediation-configuration/{rule_name}"))
            });
            let mut resource = ctx.resource(id.clone(), REMEDIATION);
            resource.name = Some(rule_name.to_owned());
            resource.properties = Value::Object(remediation_properties(remediation, &id)).into();
            ctx.add(resource);
            if let Some(rule_id) = rules.get(rule_name) {
                ctx.relate(id.as_str(), "manages", rule_id.as_str());
            }
            if let Some(document) = owned_document(remediation, &ctx.region, &ctx.account) {
                ctx.relate(id.as_str(), "invokes", document);
            }
        }
    }
}

/// The contract's remediation properties.
fn remediation_properties(remediation: &RemediationConfiguration, id: &str) -> Map<String, Value> {
    let mut p = Map::new();
    p.insert("arn".into(), json!(remediation.arn().unwrap_or(id)));
    p.insert(
        "config_rule_name".into(),
        json!(remediation.config_rule_name()),
    );
    p.insert(
        "target_type".into(),
        json!(remediation.target_type().as_str()),
    );
    p.insert("target_id".into(), json!(remediation.target_id()));
    p.insert("automatic".into(), json!(remediation.automatic()));
    p.insert(
        "maximum_automatic_attempts".into(),
        json!(remediation.maximum_automatic_attempts()),
    );
    p
}

/// Prefixes SSM reserves for documents AWS owns: no account can create a document whose
/// name starts with one (case-insensitive), so such a target is never the account's own.
const RESERVED_DOCUMENT_PREFIXES: &[&str] = &["aws", "amazon", "amzn"];

/// The id of the `aws.ssm.document` a remediation runs, when the account owns it: a
/// plain document name outside AWS's reserved prefixes (resolved in this region and
/// account), or a document ARN in this account. AWS-owned and shared documents are not
/// inventoried, so no relation is made to them.
fn owned_document(
    remediation: &RemediationConfiguration,
    region: &str,
    account: &str,
) -> Option<String> {
    if remediation.target_type() != &RemediationTargetType::SsmDocument {
        return None;
    }
    let target = remediation.target_id();
    if let Some(rest) = target.strip_prefix("arn:") {
        // arn:<partition>:ssm:<region>:<account>:document/<name>
        let parts: Vec<&str> = rest.splitn(5, ':').collect();
        return (parts.len() == 5
            && parts[1] == "ssm"
            && parts[3] == account
            && parts[4].starts_with("document/"))
        .then(|| target.to_owned());
    }
    let lower = target.to_ascii_lowercase();
    if target.is_empty()
        || target.contains('/')
        || RESERVED_DOCUMENT_PREFIXES
            .iter()
            .any(|p| lower.starts_with(p))
    {
        return None;
    }
    Some(format!("arn:aws:ssm:{region}:{account}:document/{target}"))
}

/// Conformance packs, with their compliance read 5 names per call. A failed compliance
/// call leaves `compliance` out of the packs it was about, each with a resource gap.
async fn conformance_packs(ctx: &Ctx, client: &aws_sdk_config::Client) {
    let Some(packs) = crate::list_all!(
        ctx,
        "config:DescribeConformancePacks",
        &[CONFORMANCE_PACK],
        client.describe_conformance_packs()
    )
    .await
    else {
        return;
    };
    for chunk in packs.chunks(COMPLIANCE_CHUNK) {
        let summaries = ctx
            .call(
                "config:GetConformancePackComplianceSummary",
                client
                    .get_conformance_pack_compliance_summary()
                    .set_conformance_pack_names(Some(
                        chunk
                            .iter()
                            .map(|p| p.conformance_pack_name().to_owned())
                            .collect(),
                    ))
                    .into_paginator()
                    .items()
                    .send()
                    .try_collect(),
            )
            .await;
        for pack in chunk {
            let id = pack_id(ctx, pack);
            let mut properties = pack_properties(pack, &id);
            match &summaries {
                Ok(summaries) => {
                    properties.insert("compliance".into(), pack_compliance(pack, summaries));
                }
                Err(err) => {
                    ctx.gap_resource("config:GetConformancePackComplianceSummary", &id, err);
                }
            }
            let mut resource = ctx.resource(id, CONFORMANCE_PACK);
            resource.name = Some(pack.conformance_pack_name().to_owned());
            resource.properties = Value::Object(properties).into();
            ctx.add(resource);
        }
    }
}

fn pack_id(ctx: &Ctx, pack: &ConformancePackDetail) -> String {
    match pack.conformance_pack_arn() {
        "" => ctx.arn(
            "config",
            &format!("conformance-pack/{}", pack.conformance_pack_name()),
        ),
        arn => arn.to_owned(),
    }
}

/// `arn`, `name`, `created_by` (the service that deployed the pack, or null).
fn pack_properties(pack: &ConformancePackDetail, id: &str) -> Map<String, Value> {
    let mut p = Map::new();
    p.insert("arn".into(), json!(id));
    p.insert("name".into(), json!(pack.conformance_pack_name()));
    p.insert("created_by".into(), json!(pack.created_by()));
    p
}

/// The pack's compliance status, or null when the summary says nothing about it (no
/// evaluation yet).
fn pack_compliance(
    pack: &ConformancePackDetail,
    summaries: &[ConformancePackComplianceSummary],
) -> Value {
    summaries
        .iter()
        .find(|s| s.conformance_pack_name() == pack.conformance_pack_name())
        .map_or(Value::Null, |s| {
            json!(s.conformance_pack_compliance_status().as_str())
        })
}

async fn aggregators(ctx: &Ctx, client: &aws_sdk_config::Client) {
    let Some(aggregators) = crate::list_all!(
        ctx,
        "config:DescribeConfigurationAggregators",
        &[AGGREGATOR],
        client.describe_configuration_aggregators()
    )
    .await
    else {
        return;
    };
    for aggregator in &aggregators {
        let Some(name) = aggregator.configuration_aggregator_name() else {
            continue;
        };
        let id = aggregator
            .configuration_aggregator_arn()
            .map(str::to_owned)
            .unwrap_or_else(|| ctx.arn("config", &format!("config-aggregator/{name}")));
        let mut resource = ctx.resource(id.clone(), AGGREGATOR);
        resource.name = Some(name.to_owned());
        resource.properties = Value::Object(aggregator_properties(aggregator, &id)).into();
        ctx.add(resource);
    }
}

/// The aggregator's sources merged: `organization` when it aggregates an organization,
/// `all_aws_regions` when any source covers every region, `regions` and `account_ids`
/// the union of the sources' lists (sorted, without repeats).
fn aggregator_properties(aggregator: &ConfigurationAggregator, id: &str) -> Map<String, Value> {
    let org = aggregator.organization_aggregation_source();
    let accounts = aggregator.account_aggregation_sources();
    let mut regions = std::collections::BTreeSet::new();
    let mut account_ids = std::collections::BTreeSet::new();
    let mut all_regions = org.is_some_and(|o| o.all_aws_regions());
    if let Some(org) = org {
        regions.extend(org.aws_regions().iter().cloned());
    }
    for source in accounts {
        all_regions |= source.all_aws_regions();
        regions.extend(source.aws_regions().iter().cloned());
        account_ids.extend(source.account_ids().iter().cloned());
    }
    let mut p = Map::new();
    p.insert(
        "arn".into(),
        json!(aggregator.configuration_aggregator_arn().unwrap_or(id)),
    );
    p.insert(
        "name".into(),
        json!(aggregator.configuration_aggregator_name()),
    );
    p.insert("organization".into(), json!(org.is_some()));
    p.insert("all_aws_regions".into(), json!(all_regions));
    p.insert("regions".into(), json!(regions));
    p.insert("account_ids".into(), json!(account_ids));
    p
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_config::types::{
        AccountAggregationSource, ConfigRuleState, ConformancePackComplianceType,
        OrganizationAggregationSource, Owner, RecorderStatus, RecordingGroup, Source,
    };

    fn recorder() -> ConfigurationRecorder {
        ConfigurationRecorder::builder()
            .name("default")
            .role_arn("arn:aws:iam::123456789012:role/config")
            .recording_group(
                RecordingGroup::builder()
                    .all_supported(true)
                    .include_global_resource_types(false)
                    .build(),
            )
            .build()
    }

    #[test]
    fn recorder_with_status() {
        let status = ConfigurationRecorderStatus::builder()
            .name("default")
            .recording(true)
            .last_status(RecorderStatus::Success)
            .build();
        let p = recorder_properties(&recorder(), Some(&status));
        assert_eq!(p["name"], json!("default"));
        assert_eq!(p["recording"], json!(true));
        assert_eq!(p["all_supported"], json!(true));
        assert_eq!(p["include_global_resource_types"], json!(false));
        assert_eq!(p["last_status"], json!("SUCCESS"));
        assert_eq!(
            p["role_arn"],
            json!("arn:aws:iam::123456789012:role/config")
        );
    }

    #[test]
    fn recorder_never_started_has_null_last_status() {
        let status = ConfigurationRecorderStatus::builder()
            .name("default")
            .recording(false)
            .build();
        let p = recorder_properties(&recorder(), Some(&status));
        assert_eq!(p["recording"], json!(false));
        assert_eq!(p["last_status"], Value::Null);
    }

    #[test]
    fn recorder_without_status_leaves_status_keys_out() {
        let p = recorder_properties(&recorder(), None);
        assert!(!p.contains_key("recording"));
        assert!(!p.contains_key("last_status"));
    }

    #[test]
    fn statuses_are_upper_snake_case() {
        assert_eq!(screaming_snake("Failure"), "FAILURE");
        assert_eq!(screaming_snake("Pending"), "PENDING");
        assert_eq!(screaming_snake("NotApplicable"), "NOT_APPLICABLE");
    }

    #[test]
    fn channel_and_rule_properties() {
        let channel = DeliveryChannel::builder()
            .name("default")
            .s3_bucket_name("config-history")
            .build();
        let p = channel_properties(&channel);
        assert_eq!(p["s3_bucket_name"], json!("config-history"));
        assert_eq!(p["sns_topic_arn"], Value::Null);

        let rule = ConfigRule::builder()
            .config_rule_name("s3-bucket-versioning-enabled")
            .source(
                Source::builder()
                    .owner(Owner::Aws)
                    .source_identifier("S3_BUCKET_VERSIONING_ENABLED")
                    .build()
                    .unwrap(),
            )
            .config_rule_state(ConfigRuleState::Active)
            .build();
        let p = rule_properties(&rule);
        assert_eq!(p["config_rule_name"], json!("s3-bucket-versioning-enabled"));
        assert_eq!(p["source_owner"], json!("AWS"));
        assert_eq!(
            p["source_identifier"],
            json!("S3_BUCKET_VERSIONING_ENABLED")
        );
        assert_eq!(p["state"], json!("ACTIVE"));
    }

    fn remediation(target_id: &str, automatic: bool) -> RemediationConfiguration {
        let mut builder = RemediationConfiguration::builder()
            .config_rule_name("s3-bucket-versioning-enabled")
            .target_type(RemediationTargetType::SsmDocument)
            .target_id(target_id)
            .automatic(automatic);
        if automatic {
            builder = builder.maximum_automatic_attempts(5);
        }
        builder.build().unwrap()
    }

    #[test]
    fn automatic_remediation() {
        let r = remediation("AWS-ConfigureS3BucketVersioning", true);
        let p =
            remediation_properties(&r, "arn:aws:config:us-east-1:1:remediation-configuration/x");
        assert_eq!(
            p["arn"],
            json!("arn:aws:config:us-east-1:1:remediation-configuration/x")
        );
        assert_eq!(p["config_rule_name"], json!("s3-bucket-versioning-enabled"));
        assert_eq!(p["target_type"], json!("SSM_DOCUMENT"));
        assert_eq!(p["target_id"], json!("AWS-ConfigureS3BucketVersioning"));
        assert_eq!(p["automatic"], json!(true));
        assert_eq!(p["maximum_automatic_attempts"], json!(5));
    }

    #[test]
    fn manual_remediation_has_no_attempt_limit() {
        let p = remediation_properties(&remediation("fix-bucket", false), "id");
        assert_eq!(p["automatic"], json!(false));
        assert_eq!(p["maximum_automatic_attempts"], Value::Null);
    }

    #[test]
    fn only_owned_documents_are_invoked() {
        let owned =
            |target: &str| owned_document(&remediation(target, false), "us-east-1", "123456789012");
        assert_eq!(
            owned("fix-bucket").as_deref(),
            Some("arn:aws:ssm:us-east-1:123456789012:document/fix-bucket")
        );
        assert_eq!(owned("AWS-ConfigureS3BucketVersioning"), None);
        assert_eq!(owned("AWSConfigRemediation-EnableS3BucketEncryption"), None);
        assert_eq!(owned("AmazonCloudWatch-ManageAgent"), None);
        assert_eq!(
            owned("arn:aws:ssm:us-east-1:123456789012:document/fix-bucket").as_deref(),
            Some("arn:aws:ssm:us-east-1:123456789012:document/fix-bucket")
        );
        assert_eq!(
            owned("arn:aws:ssm:us-east-1:999988887777:document/shared-fix"),
            None
        );
    }

    #[test]
    fn conformance_pack_with_and_without_compliance() {
        let pack = ConformancePackDetail::builder()
            .conformance_pack_name("operational-best-practices")
            .conformance_pack_arn("arn:aws:config:us-east-1:1:conformance-pack/operational-best-practices/conformance-pack-abc")
            .conformance_pack_id("conformance-pack-abc")
            .created_by("securityhub.amazonaws.com")
            .build()
            .unwrap();
        let p = pack_properties(&pack, "arn:x");
        assert_eq!(p["name"], json!("operational-best-practices"));
        assert_eq!(p["created_by"], json!("securityhub.amazonaws.com"));
        let summary = ConformancePackComplianceSummary::builder()
            .conformance_pack_name("operational-best-practices")
            .conformance_pack_compliance_status(ConformancePackComplianceType::NonCompliant)
            .build()
            .unwrap();
        assert_eq!(pack_compliance(&pack, &[summary]), json!("NON_COMPLIANT"));
        assert_eq!(pack_compliance(&pack, &[]), Value::Null);
    }

    #[test]
    fn aggregator_with_an_organization_source() {
        let aggregator = ConfigurationAggregator::builder()
            .configuration_aggregator_name("org")
            .configuration_aggregator_arn(
                "arn:aws:config:us-east-1:1:config-aggregator/config-aggregator-abc",
            )
            .organization_aggregation_source(
                OrganizationAggregationSource::builder()
                    .role_arn("arn:aws:iam::1:role/aggregator")
                    .all_aws_regions(true)
                    .build()
                    .unwrap(),
            )
            .build();
        let p = aggregator_properties(&aggregator, "unused");
        assert_eq!(
            p["arn"],
            json!("arn:aws:config:us-east-1:1:config-aggregator/config-aggregator-abc")
        );
        assert_eq!(p["name"], json!("org"));
        assert_eq!(p["organization"], json!(true));
        assert_eq!(p["all_aws_regions"], json!(true));
        assert_eq!(p["account_ids"], json!([]));
    }

    #[test]
    fn aggregator_with_account_sources() {
        let aggregator = ConfigurationAggregator::builder()
            .configuration_aggregator_name("accounts")
            .account_aggregation_sources(
                AccountAggregationSource::builder()
                    .account_ids("222233334444")
                    .account_ids("111122223333")
                    .aws_regions("eu-west-1")
                    .build()
                    .unwrap(),
            )
            .account_aggregation_sources(
                AccountAggregationSource::builder()
                    .account_ids("111122223333")
                    .aws_regions("us-east-1")
                    .build()
                    .unwrap(),
            )
            .build();
        let p = aggregator_properties(&aggregator, "arn:built");
        assert_eq!(p["arn"], json!("arn:built"));
        assert_eq!(p["organization"], json!(false));
        assert_eq!(p["all_aws_regions"], json!(false));
        assert_eq!(p["regions"], json!(["eu-west-1", "us-east-1"]));
        assert_eq!(p["account_ids"], json!(["111122223333", "222233334444"]));
    }
}
