//! GuardDuty: the region's detector, its status and protection plans, and the
//! administrator account (a delegated administrator of the organization) that manages it.
//!
//! An account where GuardDuty was never enabled has no detector, and `ListDetectors`
//! answers with an empty list: no resource, so "enabled in every region" rules FAIL. A
//! failed listing is a type-level gap (ERROR), never an empty list.
//!
//! `GetAdministratorAccount` answers without an `Administrator` when the detector is not
//! a member of another account's GuardDuty: `administrator_account_id` is `null`. A failed
//! call is a resource gap and the key stays absent.

use std::collections::BTreeMap;

use futures::StreamExt;
use serde_json::{Map, Value, json};

use aws_sdk_guardduty::operation::get_administrator_account::GetAdministratorAccountOutput;
use aws_sdk_guardduty::operation::get_detector::GetDetectorOutput;
use aws_sdk_guardduty::types::{DataSourceConfigurationsResult, DataSourceStatus};

use crate::Ctx;
use crate::registry::{Collector, Scope};

pub const COLLECTOR: Collector = Collector {
    service: "guardduty",
    scope: Scope::Regional,
    actions: &[
        "guardduty:ListDetectors",
        "guardduty:GetDetector",
        "guardduty:GetAdministratorAccount",
    ],
    run: |ctx| Box::pin(collect(ctx)),
};

const DETECTOR: &str = "aws.guardduty.detector";

async fn collect(ctx: Ctx) {
    let client = crate::client!(ctx, aws_sdk_guardduty);
    let Some(ids) = crate::list_all!(
        ctx,
        "guardduty:ListDetectors",
        &[DETECTOR],
        client.list_detectors()
    )
    .await
    else {
        return;
    };
    // A region has at most one detector; the bound only matters for odd answers.
    futures::stream::iter(ids)
        .map(|id| detector(ctx.clone(), client.clone(), id))
        .buffer_unordered(4)
        .collect::<Vec<()>>()
        .await;
}

/// One detector: its id always, its settings when `GetDetector` answers (else a
/// resource gap and no `status`, so rules reading it report ERROR).
async fn detector(ctx: Ctx, client: aws_sdk_guardduty::Client, detector_id: String) {
    let id = ctx.arn("guardduty", &format!("detector/{detector_id}"));
    let mut resource = ctx.resource(id.clone(), DETECTOR);
    resource.name = Some(detector_id.clone());
    let mut properties = Map::new();
    properties.insert("detector_id".into(), json!(detector_id));
    if let Ok(Some(out)) = ctx
        .detail(
            "guardduty:GetDetector",
            &id,
            &[],
            client.get_detector().detector_id(&detector_id).send(),
        )
        .await
    {
        properties.extend(detector_properties(&out));
        if let Some(tags) = out.tags() {
            resource.tags = tags.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        }
    }
    if let Ok(Some(out)) = ctx
        .detail(
            "guardduty:GetAdministratorAccount",
            &id,
            &[],
            client
                .get_administrator_account()
                .detector_id(&detector_id)
                .send(),
        )
        .await
    {
        properties.insert("administrator_account_id".into(), administrator_id(&out));
    }
    resource.properties = Value::Object(properties).into();
    ctx.add(resource);
}

/// The contract's detector settings.
fn detector_properties(out: &GetDetectorOutput) -> Map<String, Value> {
    let mut p = Map::new();
    p.insert("status".into(), json!(out.status().map(|s| s.as_str())));
    p.insert(
        "finding_publishing_frequency".into(),
        json!(out.finding_publishing_frequency().map(|f| f.as_str())),
    );
    p.insert("features".into(), json!(features(out)));
    p
}

/// The administrator's account id, or null when no account administers this detector.
fn administrator_id(out: &GetAdministratorAccountOutput) -> Value {
    json!(out.administrator().and_then(|a| a.account_id()))
}

/// Feature name → `ENABLED`/`DISABLED`. Detectors answer with `features`; where an
/// endpoint only returns the older, deprecated `dataSources` block (moto does), the same
/// names are derived from it.
#[allow(deprecated)]
fn features(out: &GetDetectorOutput) -> BTreeMap<String, String> {
    let mut map: BTreeMap<String, String> = out
        .features()
        .iter()
        .filter_map(|f| {
            Some((
                f.name()?.as_str().to_owned(),
                f.status()?.as_str().to_owned(),
            ))
        })
        .collect();
    if map.is_empty()
        && let Some(sources) = out.data_sources()
    {
        map = data_source_features(sources);
    }
    map
}

fn data_source_features(sources: &DataSourceConfigurationsResult) -> BTreeMap<String, String> {
    let entries: [(&str, Option<&DataSourceStatus>); 6] = [
        (
            "CLOUD_TRAIL",
            sources.cloud_trail().and_then(|s| s.status()),
        ),
        ("DNS_LOGS", sources.dns_logs().and_then(|s| s.status())),
        ("FLOW_LOGS", sources.flow_logs().and_then(|s| s.status())),
        ("S3_DATA_EVENTS", sources.s3_logs().and_then(|s| s.status())),
        (
            "EKS_AUDIT_LOGS",
            sources
                .kubernetes()
                .and_then(|k| k.audit_logs())
                .and_then(|a| a.status()),
        ),
        (
            "EBS_MALWARE_PROTECTION",
            sources
                .malware_protection()
                .and_then(|m| m.scan_ec2_instance_with_findings())
                .and_then(|s| s.ebs_volumes())
                .and_then(|e| e.status()),
        ),
    ];
    entries
        .into_iter()
        .filter_map(|(name, status)| Some((name.to_owned(), status?.as_str().to_owned())))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_guardduty::types::{
        Administrator, CloudTrailConfigurationResult, DetectorFeatureConfigurationResult,
        DetectorFeatureResult, DetectorStatus, FeatureStatus, FindingPublishingFrequency,
        S3LogsConfigurationResult,
    };

    #[test]
    fn detector_with_features() {
        let out = GetDetectorOutput::builder()
            .status(DetectorStatus::Enabled)
            .finding_publishing_frequency(FindingPublishingFrequency::FifteenMinutes)
            .features(
                DetectorFeatureConfigurationResult::builder()
                    .name(DetectorFeatureResult::S3DataEvents)
                    .status(FeatureStatus::Enabled)
                    .build(),
            )
            .features(
                DetectorFeatureConfigurationResult::builder()
                    .name(DetectorFeatureResult::RuntimeMonitoring)
                    .status(FeatureStatus::Disabled)
                    .build(),
            )
            .build();
        let p = detector_properties(&out);
        assert_eq!(p["status"], json!("ENABLED"));
        assert_eq!(p["finding_publishing_frequency"], json!("FIFTEEN_MINUTES"));
        assert_eq!(
            p["features"],
            json!({"S3_DATA_EVENTS": "ENABLED", "RUNTIME_MONITORING": "DISABLED"})
        );
    }

    #[test]
    #[allow(deprecated)]
    fn features_fall_back_to_data_sources() {
        let out = GetDetectorOutput::builder()
            .status(DetectorStatus::Disabled)
            .data_sources(
                DataSourceConfigurationsResult::builder()
                    .cloud_trail(
                        CloudTrailConfigurationResult::builder()
                            .status(DataSourceStatus::Enabled)
                            .build(),
                    )
                    .s3_logs(
                        S3LogsConfigurationResult::builder()
                            .status(DataSourceStatus::Disabled)
                            .build(),
                    )
                    .build(),
            )
            .build();
        let p = detector_properties(&out);
        assert_eq!(p["status"], json!("DISABLED"));
        assert_eq!(p["finding_publishing_frequency"], Value::Null);
        assert_eq!(
            p["features"],
            json!({"CLOUD_TRAIL": "ENABLED", "S3_DATA_EVENTS": "DISABLED"})
        );
    }

    #[test]
    fn administrator_set_or_null() {
        let managed = GetAdministratorAccountOutput::builder()
            .administrator(
                Administrator::builder()
                    .account_id("444455556666")
                    .relationship_status("Enabled")
                    .build(),
            )
            .build();
        assert_eq!(administrator_id(&managed), json!("444455556666"));
        let standalone = GetAdministratorAccountOutput::builder().build();
        assert_eq!(administrator_id(&standalone), Value::Null);
    }
}
