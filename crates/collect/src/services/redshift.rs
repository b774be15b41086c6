//! Redshift: the region's provisioned clusters with exposure, encryption, enhanced VPC
//! routing, snapshots, version upgrades, Multi-AZ and audit logging, and the parameter
//! groups they use with the security-relevant parameters only (`require_ssl`,
//! `use_fips_ssl`, `enable_user_activity_logging`). Data is never read.
//!
//! One paginated listing, one logging-status read per cluster, and one parameter read
//! per parameter group in use (none in an account without clusters).
//!
//! Relations: cluster `encrypted_by` its KMS key, `uses` its parameter groups and
//! security groups, `member_of` its VPC.

use std::collections::BTreeSet;

use aws_sdk_redshift::Client;
use aws_sdk_redshift::types::Cluster;
use serde_json::{Map, Value, json};
use vigil_inventory::Resource;

use crate::registry::{Collector, Scope};
use crate::services::ec2::kms_key_arn;
use crate::shape::{ec2_id, enum_str, put, tag_map};
use crate::{Ctx, client, list_all};

pub const COLLECTOR: Collector = Collector {
    service: "redshift",
    scope: Scope::Regional,
    actions: &[
        "redshift:DescribeClusters",
        "redshift:DescribeLoggingStatus",
        "redshift:DescribeClusterParameters",
    ],
    run: |ctx| Box::pin(collect(ctx)),
};

const CLUSTER: &str = "aws.redshift.cluster";
const PARAMETER_GROUP: &str = "aws.redshift.parameter_group";

/// The parameters read from each parameter group in use.
const PARAMETERS: &[&str] = &[
    "require_ssl",
    "use_fips_ssl",
    "enable_user_activity_logging",
];

const GONE: &[&str] = &["ClusterNotFound", "ClusterNotFoundFault"];

async fn collect(ctx: Ctx) {
    let client = client!(ctx, aws_sdk_redshift);
    let Some(clusters) = list_all!(
        ctx,
        "redshift:DescribeClusters",
        &[CLUSTER],
        client.describe_clusters()
    )
    .await
    else {
        return;
    };
    let groups: BTreeSet<String> = clusters
        .iter()
        .flat_map(|c| c.cluster_parameter_groups())
        .filter_map(|g| g.parameter_group_name().map(str::to_owned))
        .collect();
    ctx.each(clusters, |c| cluster(&ctx, &client, c)).await;
    ctx.each(groups, |g| parameter_group(&ctx, &client, g))
        .await;
}

fn parameter_group_id(ctx: &Ctx, name: &str) -> String {
    ctx.arn("redshift", &format!("parametergroup:{name}"))
}

async fn cluster(ctx: &Ctx, client: &Client, c: Cluster) -> Option<Resource> {
    let id = c.cluster_identifier()?;
    let arn = ctx.arn("redshift", &format!("cluster:{id}"));
    let logging = ctx
        .detail(
            "redshift:DescribeLoggingStatus",
            &arn,
            GONE,
            client
                .describe_logging_status()
                .cluster_identifier(id)
                .send(),
        )
        .await;
    let mut props = cluster_properties(&c);
    match &logging {
        Ok(None) => return None,
        Ok(Some(out)) => {
            put(
                &mut props,
                "logging_enabled",
                Some(json!(out.logging_enabled().unwrap_or(false))),
            );
            put(
                &mut props,
                "log_destination_type",
                Some(enum_str(out.log_destination_type())),
            );
            put(&mut props, "log_exports", Some(json!(out.log_exports())));
        }
        Err(_) => {}
    }
    if let Some(key) = c.kms_key_id().and_then(|k| kms_key_arn(ctx, k)) {
        ctx.relate(&arn, "encrypted_by", key);
    }
    for group in c.cluster_parameter_groups() {
        if let Some(name) = group.parameter_group_name() {
            ctx.relate(&arn, "uses", parameter_group_id(ctx, name));
        }
    }
    for sg in c.vpc_security_groups() {
        if let Some(sg) = sg.vpc_security_group_id() {
            ctx.relate(&arn, "uses", ec2_id(ctx, "security-group", sg));
        }
    }
    if let Some(vpc) = c.vpc_id() {
        ctx.relate(&arn, "member_of", ec2_id(ctx, "vpc", vpc));
    }
    let mut resource = ctx.resource(&arn, CLUSTER);
    resource.name = Some(id.to_owned());
    resource.tags = tag_map(c.tags().iter().map(|t| (t.key(), t.value())));
    resource.properties = Value::Object(props).into();
    Some(resource)
}

fn cluster_properties(c: &Cluster) -> Map<String, Value> {
    let mut props = Map::new();
    props.insert("cluster_identifier".into(), json!(c.cluster_identifier()));
    props.insert("node_type".into(), json!(c.node_type()));
    props.insert("number_of_nodes".into(), json!(c.number_of_nodes()));
    props.insert("publicly_accessible".into(), json!(c.publicly_accessible()));
    props.insert("encrypted".into(), json!(c.encrypted()));
    props.insert("kms_key_id".into(), json!(c.kms_key_id()));
    props.insert(
        "enhanced_vpc_routing".into(),
        json!(c.enhanced_vpc_routing()),
    );
    props.insert(
        "automated_snapshot_retention_period".into(),
        json!(c.automated_snapshot_retention_period()),
    );
    props.insert(
        "allow_version_upgrade".into(),
        json!(c.allow_version_upgrade()),
    );
    props.insert("master_username".into(), json!(c.master_username()));
    props.insert("port".into(), json!(c.endpoint().and_then(|e| e.port())));
    props.insert("vpc_id".into(), json!(c.vpc_id()));
    // "Enabled" or "Disabled"; absent for single-AZ clusters of older node types.
    props.insert("multi_az".into(), json!(c.multi_az()));
    props.insert(
        "parameter_groups".into(),
        json!(
            c.cluster_parameter_groups()
                .iter()
                .filter_map(|g| g.parameter_group_name())
                .collect::<Vec<_>>()
        ),
    );
    props.insert(
        "vpc_security_group_ids".into(),
        json!(
            c.vpc_security_groups()
                .iter()
                .filter_map(|g| g.vpc_security_group_id())
                .collect::<Vec<_>>()
        ),
    );
    props
}

async fn parameter_group(ctx: &Ctx, client: &Client, name: String) -> Option<Resource> {
    let id = parameter_group_id(ctx, &name);
    let parameters = ctx
        .detail_value(
            "redshift:DescribeClusterParameters",
            &id,
            &[
                "ClusterParameterGroupNotFound",
                "ClusterParameterGroupNotFoundFault",
            ],
            client
                .describe_cluster_parameters()
                .parameter_group_name(&name)
                .into_paginator()
                .items()
                .send()
                .try_collect(),
            |list| {
                Value::Object(
                    list.iter()
                        .filter_map(|p| {
                            let key = p.parameter_name()?;
                            PARAMETERS
                                .contains(&key)
                                .then(|| (key.to_owned(), json!(p.parameter_value())))
                        })
                        .collect(),
                )
            },
        )
        .await;
    if parameters == Some(Value::Null) {
        return None;
    }
    let mut props = Map::new();
    props.insert("name".into(), json!(name));
    put(&mut props, "parameters", parameters);
    let mut resource = ctx.resource(id, PARAMETER_GROUP);
    resource.name = Some(name);
    resource.properties = Value::Object(props).into();
    Some(resource)
}

#[cfg(test)]
mod tests {
    use aws_sdk_redshift::types::ClusterParameterGroupStatus;

    use super::*;

    #[test]
    fn clusters_carry_exposure_encryption_and_parameter_groups() {
        let c = Cluster::builder()
            .cluster_identifier("warehouse")
            .publicly_accessible(true)
            .encrypted(false)
            .enhanced_vpc_routing(false)
            .automated_snapshot_retention_period(1)
            .master_username("awsuser")
            .cluster_parameter_groups(
                ClusterParameterGroupStatus::builder()
                    .parameter_group_name("default.redshift-2.0")
                    .build(),
            )
            .build();
        let props = cluster_properties(&c);
        assert_eq!(props["publicly_accessible"], true);
        assert_eq!(props["encrypted"], false);
        assert_eq!(props["master_username"], "awsuser");
        assert_eq!(props["parameter_groups"], json!(["default.redshift-2.0"]));
        assert_eq!(props["multi_az"], Value::Null);
    }
}
