//! ElastiCache: the region's replication groups (Valkey and Redis OSS) and cache clusters
//! (their member nodes, and standalone Memcached, Valkey or Redis OSS clusters) with
//! encryption at rest and in transit, AUTH, automatic failover and backups, minor
//! version upgrades and the subnet group. Cached data and AUTH tokens are never read.
//!
//! Two paginated listings and one tag read per resource.
//!
//! Relations: replication group and cluster `encrypted_by` their KMS key; cluster
//! `member_of` its replication group and `uses` its security groups.

use std::collections::HashMap;

use aws_sdk_elasticache::Client;
use aws_sdk_elasticache::types::{CacheCluster, ReplicationGroup};
use serde_json::{Map, Value, json};
use vigil_inventory::Resource;

use crate::registry::{Collector, Scope};
use crate::services::ec2::kms_key_arn;
use crate::shape::{ec2_id, enum_str, tag_map};
use crate::{Ctx, client, list_all};

pub const COLLECTOR: Collector = Collector {
    service: "elasticache",
    scope: Scope::Regional,
    actions: &[
        "elasticache:DescribeReplicationGroups",
        "elasticache:DescribeCacheClusters",
        "elasticache:ListTagsForResource",
    ],
    run: |ctx| Box::pin(collect(ctx)),
};

const REPLICATION_GROUP: &str = "aws.elasticache.replication_group";
const CLUSTER: &str = "aws.elasticache.cluster";

const GONE: &[&str] = &[
    "CacheClusterNotFound",
    "CacheClusterNotFoundFault",
    "ReplicationGroupNotFoundFault",
];

async fn collect(ctx: Ctx) {
    let client = client!(ctx, aws_sdk_elasticache);
    let (groups, clusters) = futures::join!(
        list_all!(
            ctx,
            "elasticache:DescribeReplicationGroups",
            &[REPLICATION_GROUP],
            client.describe_replication_groups()
        ),
        list_all!(
            ctx,
            "elasticache:DescribeCacheClusters",
            &[CLUSTER],
            client.describe_cache_clusters()
        ),
    );
    // A replication group does not say its engine version; its member clusters do.
    let versions: HashMap<String, String> = clusters
        .iter()
        .flatten()
        .filter_map(|c| {
            Some((
                c.replication_group_id()?.to_owned(),
                c.engine_version()?.to_owned(),
            ))
        })
        .collect();
    let groups: Vec<(ReplicationGroup, Option<String>)> = groups
        .into_iter()
        .flatten()
        .map(|g| {
            let version = g
                .replication_group_id()
                .and_then(|id| versions.get(id).cloned());
            (g, version)
        })
        .collect();
    ctx.each(groups, |(g, version)| {
        replication_group(&ctx, &client, g, version)
    })
    .await;
    ctx.each(clusters.into_iter().flatten(), |c| {
        cluster(&ctx, &client, c)
    })
    .await;
}

/// Tags of one resource; a failed read is a gap on it and leaves the tags empty.
async fn tags(
    ctx: &Ctx,
    client: &Client,
    arn: &str,
) -> Option<std::collections::BTreeMap<String, String>> {
    match ctx
        .detail(
            "elasticache:ListTagsForResource",
            arn,
            GONE,
            client.list_tags_for_resource().resource_name(arn).send(),
        )
        .await
    {
        Ok(Some(out)) => Some(tag_map(out.tag_list().iter().map(|t| (t.key(), t.value())))),
        Ok(None) => None,
        Err(_) => Some(Default::default()),
    }
}

async fn replication_group(
    ctx: &Ctx,
    client: &Client,
    g: ReplicationGroup,
    engine_version: Option<String>,
) -> Option<Resource> {
    let id = g.replication_group_id()?;
    let arn = g.arn().map_or_else(
        || ctx.arn("elasticache", &format!("replicationgroup:{id}")),
        str::to_owned,
    );
    let tags = tags(ctx, client, &arn).await?;
    if let Some(key) = g.kms_key_id().and_then(|k| kms_key_arn(ctx, k)) {
        ctx.relate(&arn, "encrypted_by", key);
    }
    let mut resource = ctx.resource(&arn, REPLICATION_GROUP);
    resource.name = Some(id.to_owned());
    resource.tags = tags;
    resource.properties = replication_group_properties(&g, engine_version.as_deref()).into();
    Some(resource)
}

fn replication_group_properties(g: &ReplicationGroup, engine_version: Option<&str>) -> Value {
    json!({
        "replication_group_id": g.replication_group_id(),
        "engine": g.engine(),
        "engine_version": engine_version,
        "status": g.status(),
        "cluster_enabled": g.cluster_enabled(),
        "automatic_failover": enum_str(g.automatic_failover()),
        "multi_az": enum_str(g.multi_az()),
        "at_rest_encryption_enabled": g.at_rest_encryption_enabled().unwrap_or(false),
        "transit_encryption_enabled": g.transit_encryption_enabled().unwrap_or(false),
        "transit_encryption_mode": enum_str(g.transit_encryption_mode()),
        "auth_token_enabled": g.auth_token_enabled().unwrap_or(false),
        "user_group_ids": g.user_group_ids(),
        "kms_key_id": g.kms_key_id(),
        "snapshot_retention_limit": g.snapshot_retention_limit(),
        "auto_minor_version_upgrade": g.auto_minor_version_upgrade(),
        "member_clusters": g.member_clusters(),
    })
}

async fn cluster(ctx: &Ctx, client: &Client, c: CacheCluster) -> Option<Resource> {
    let id = c.cache_cluster_id()?;
    let arn = c.arn().map_or_else(
        || ctx.arn("elasticache", &format!("cluster:{id}")),
        str::to_owned,
    );
    let tags = tags(ctx, client, &arn).await?;
    if let Some(group) = c.replication_group_id() {
        ctx.relate(
            &arn,
            "member_of",
            ctx.arn("elasticache", &format!("replicationgroup:{group}")),
        );
    }
    for sg in c.security_groups() {
        if let Some(sg) = sg.security_group_id() {
            ctx.relate(&arn, "uses", ec2_id(ctx, "security-group", sg));
        }
    }
    let mut resource = ctx.resource(&arn, CLUSTER);
    resource.name = Some(id.to_owned());
    resource.tags = tags;
    resource.properties = cluster_properties(&c).into();
    Some(resource)
}

fn cluster_properties(c: &CacheCluster) -> Value {
    let mut props = Map::new();
    props.insert("cache_cluster_id".into(), json!(c.cache_cluster_id()));
    props.insert("engine".into(), json!(c.engine()));
    props.insert("engine_version".into(), json!(c.engine_version()));
    props.insert("status".into(), json!(c.cache_cluster_status()));
    props.insert(
        "replication_group_id".into(),
        json!(c.replication_group_id()),
    );
    props.insert(
        "cache_subnet_group_name".into(),
        json!(c.cache_subnet_group_name()),
    );
    props.insert(
        "auto_minor_version_upgrade".into(),
        json!(c.auto_minor_version_upgrade()),
    );
    props.insert(
        "snapshot_retention_limit".into(),
        json!(c.snapshot_retention_limit()),
    );
    props.insert(
        "at_rest_encryption_enabled".into(),
        json!(c.at_rest_encryption_enabled().unwrap_or(false)),
    );
    props.insert(
        "transit_encryption_enabled".into(),
        json!(c.transit_encryption_enabled().unwrap_or(false)),
    );
    props.insert(
        "auth_token_enabled".into(),
        json!(c.auth_token_enabled().unwrap_or(false)),
    );
    props.insert(
        "security_group_ids".into(),
        json!(
            c.security_groups()
                .iter()
                .filter_map(|g| g.security_group_id())
                .collect::<Vec<_>>()
        ),
    );
    Value::Object(props)
}

#[cfg(test)]
mod tests {
    use aws_sdk_elasticache::types::AutomaticFailoverStatus;

    use super::*;

    #[test]
    fn replication_groups_say_encryption_auth_and_failover() {
        let g = ReplicationGroup::builder()
            .replication_group_id("sessions")
            .engine("redis")
            .automatic_failover(AutomaticFailoverStatus::Enabled)
            .at_rest_encryption_enabled(true)
            .transit_encryption_enabled(false)
            .snapshot_retention_limit(0)
            .member_clusters("sessions-001")
            .build();
        let props = replication_group_properties(&g, Some("5.0.6"));
        assert_eq!(props["automatic_failover"], "enabled");
        assert_eq!(props["at_rest_encryption_enabled"], true);
        assert_eq!(props["transit_encryption_enabled"], false);
        assert_eq!(props["auth_token_enabled"], false);
        assert_eq!(props["engine_version"], "5.0.6");
        assert_eq!(props["member_clusters"], json!(["sessions-001"]));
    }

    #[test]
    fn clusters_keep_their_subnet_group_and_backups() {
        let c = CacheCluster::builder()
            .cache_cluster_id("cache")
            .engine("memcached")
            .cache_subnet_group_name("default")
            .auto_minor_version_upgrade(true)
            .build();
        let props = cluster_properties(&c);
        assert_eq!(props["cache_subnet_group_name"], "default");
        assert_eq!(props["snapshot_retention_limit"], Value::Null);
        assert_eq!(props["transit_encryption_enabled"], false);
    }
}
