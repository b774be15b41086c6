//! AWS Config: the configuration recorder (and whether it records), the delivery
//! channel it writes to, and the Config rules of the region.

use serde_json::{Map, Value, json};

use aws_sdk_config::types::{
    ConfigRule, ConfigurationRecorder, ConfigurationRecorderStatus, DeliveryChannel,
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
    ],
    run: |ctx| Box::pin(collect(ctx)),
};

const RECORDER: &str = "aws.config.recorder";
const CHANNEL: &str = "aws.config.delivery_channel";
const RULE: &str = "aws.config.rule";

async fn collect(ctx: Ctx) {
    let client = crate::client!(ctx, aws_sdk_config);
    recorders(&ctx, &client).await;
    delivery_channels(&ctx, &client).await;
    rules(&ctx, &client).await;
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
        resource.properties = Value::Object(recorder_properties(recorder, status));
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
        resource.properties = Value::Object(channel_properties(channel));
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

async fn rules(ctx: &Ctx, client: &aws_sdk_config::Client) {
    let Some(rules) = ctx
        .list(
            "config:DescribeConfigRules",
            &[RULE],
            client
                .describe_config_rules()
                .into_paginator()
                .items()
                .send()
                .try_collect(),
        )
        .await
    else {
        return;
    };
    for rule in &rules {
        let Some(name) = rule.config_rule_name() else {
            continue;
        };
        let id = rule
            .config_rule_arn()
            .map(str::to_owned)
            .unwrap_or_else(|| ctx.arn("config", &format!("config-rule/{name}")));
        let mut resource = ctx.resource(id, RULE);
        resource.name = Some(name.to_owned());
        resource.properties = Value::Object(rule_properties(rule));
        ctx.add(resource);
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_config::types::{ConfigRuleState, Owner, RecorderStatus, RecordingGroup, Source};

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
}
