//! securitylake collector: the Amazon Security Lake data lake of the region, with the
//! log sources it collects and the regions it replicates to.
//!
//! `ListDataLakes` (filtered to the region) failing is a type-level gap: in a member
//! account of an organization whose lake is run by a delegated administrator, the call
//! is refused and whether a lake covers the account is not known here. An empty answer
//! means no lake in this region. `ListLogSources` failing is a resource gap on the lake
//! and leaves `sources` absent.

use std::collections::BTreeSet;

use aws_sdk_securitylake::Client;
use aws_sdk_securitylake::types::{DataLakeResource, LogSource, LogSourceResource};
use serde_json::{Map, Value, json};

use crate::registry::{Collector, Scope};
use crate::{Ctx, client};

pub const COLLECTOR: Collector = Collector {
    service: "securitylake",
    scope: Scope::Regional,
    actions: &["securitylake:ListDataLakes", "securitylake:ListLogSources"],
    run: |ctx| Box::pin(collect(ctx)),
};

const DATA_LAKE: &str = "aws.securitylake.data_lake";

async fn collect(ctx: Ctx) {
    let client = client!(ctx, aws_sdk_securitylake);
    let Some(out) = ctx
        .list(
            "securitylake:ListDataLakes",
            &[DATA_LAKE],
            client.list_data_lakes().regions(&ctx.region).send(),
        )
        .await
    else {
        return;
    };
    for lake in out.data_lakes().iter().filter(|l| l.region() == ctx.region) {
        collect_data_lake(&ctx, &client, lake).await;
    }
}

async fn collect_data_lake(ctx: &Ctx, client: &Client, lake: &DataLakeResource) {
    let arn = lake.data_lake_arn();
    let mut props = data_lake_properties(lake);
    let listed = client
        .list_log_sources()
        .regions(&ctx.region)
        .into_paginator()
        .items()
        .send()
        .try_collect();
    if let Ok(Some(sources)) = ctx
        .detail("securitylake:ListLogSources", arn, &[], listed)
        .await
    {
        props.insert("sources".into(), log_sources(&sources));
    }
    let mut resource = ctx.resource(arn, DATA_LAKE);
    resource.name = Some(format!("security-lake-{}", lake.region()));
    resource.properties = Value::Object(props).into();
    ctx.add(resource);
}

/// What ListDataLakes tells: identity, creation status and replication regions.
fn data_lake_properties(lake: &DataLakeResource) -> Map<String, Value> {
    let mut p = Map::new();
    p.insert("arn".into(), json!(lake.data_lake_arn()));
    p.insert("region".into(), json!(lake.region()));
    p.insert(
        "status".into(),
        json!(lake.create_status().map(|s| s.as_str())),
    );
    p.insert(
        "replication_regions".into(),
        json!(
            lake.replication_configuration()
                .map_or(&[][..], |r| r.regions())
        ),
    );
    p
}

/// The distinct `{source_name, source_version}` the lake collects, over every account
/// it collects from, sorted. AWS sources are named as the API names them
/// (`CLOUD_TRAIL_MGMT`, `VPC_FLOW`, `SH_FINDINGS`, …), custom sources by their name.
fn log_sources(sources: &[LogSource]) -> Value {
    let distinct: BTreeSet<(String, Option<String>)> = sources
        .iter()
        .flat_map(|s| s.sources())
        .filter_map(|resource| match resource {
            LogSourceResource::AwsLogSource(aws) => Some((
                aws.source_name()?.as_str().to_owned(),
                aws.source_version().map(str::to_owned),
            )),
            LogSourceResource::CustomLogSource(custom) => Some((
                custom.source_name()?.to_owned(),
                custom.source_version().map(str::to_owned),
            )),
            _ => None,
        })
        .collect();
    Value::Array(
        distinct
            .into_iter()
            .map(|(name, version)| json!({"source_name": name, "source_version": version}))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_securitylake::types::{
        AwsLogSourceName, AwsLogSourceResource, CustomLogSourceResource,
        DataLakeReplicationConfiguration, DataLakeStatus,
    };

    #[test]
    fn data_lake_status_and_replication() {
        let lake = DataLakeResource::builder()
            .data_lake_arn("arn:aws:securitylake:eu-west-1:111122223333:data-lake/default")
            .region("eu-west-1")
            .create_status(DataLakeStatus::Completed)
            .replication_configuration(
                DataLakeReplicationConfiguration::builder()
                    .regions("eu-central-1")
                    .build(),
            )
            .build()
            .unwrap();
        assert_eq!(
            Value::Object(data_lake_properties(&lake)),
            json!({
                "arn": "arn:aws:securitylake:eu-west-1:111122223333:data-lake/default",
                "region": "eu-west-1",
                "status": "COMPLETED",
                "replication_regions": ["eu-central-1"],
            })
        );
        let bare = DataLakeResource::builder()
            .data_lake_arn("arn:aws:securitylake:eu-west-1:111122223333:data-lake/default")
            .region("eu-west-1")
            .build()
            .unwrap();
        let p = data_lake_properties(&bare);
        assert_eq!(p["status"], Value::Null);
        assert_eq!(p["replication_regions"], json!([]));
    }

    #[test]
    fn sources_are_distinct_across_accounts_and_sorted() {
        let aws = |name: AwsLogSourceName| {
            LogSourceResource::AwsLogSource(
                AwsLogSourceResource::builder()
                    .source_name(name)
                    .source_version("2.0")
                    .build(),
            )
        };
        let sources = [
            LogSource::builder()
                .account("111122223333")
                .sources(aws(AwsLogSourceName::VpcFlow))
                .sources(aws(AwsLogSourceName::CloudTrailMgmt))
                .build(),
            LogSource::builder()
                .account("444455556666")
                .sources(aws(AwsLogSourceName::CloudTrailMgmt))
                .sources(LogSourceResource::CustomLogSource(
                    CustomLogSourceResource::builder()
                        .source_name("firewall")
                        .build(),
                ))
                .build(),
        ];
        assert_eq!(
            log_sources(&sources),
            json!([
                {"source_name": "CLOUD_TRAIL_MGMT", "source_version": "2.0"},
                {"source_name": "VPC_FLOW", "source_version": "2.0"},
                {"source_name": "firewall", "source_version": null},
            ])
        );
        assert_eq!(log_sources(&[]), json!([]));
    }
}
