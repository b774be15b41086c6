//! RDS collector: the region's DB instances and DB clusters (including Aurora, DocumentDB
//! and Neptune, which the same API lists) with their encryption, exposure, backup,
//! logging and upgrade settings; DB and cluster snapshots with who may restore them;
//! DB and cluster parameter groups with the security-relevant parameters only (TLS,
//! audit and connection logging: [`PARAMETERS`]); event subscriptions. Data, passwords
//! and the other parameters are never read.
//!
//! Listings are paginated and each becomes a type-level gap when it fails. Per-resource
//! calls: one attribute read per manual snapshot (automated snapshots cannot be shared;
//! RDS bounds manual snapshots to a quota of 100 per region by default) and one
//! filtered parameter read per parameter group.
//!
//! Relations: instance and cluster `encrypted_by` their KMS key, `uses` their parameter
//! groups and security groups, `member_of` their DB subnet group's subnets; instance
//! `member_of` its cluster; snapshot `created_from` its instance or cluster and
//! `encrypted_by` its key; event subscription `notifies` its SNS topic.

use aws_sdk_rds::Client;
use aws_sdk_rds::types::{
    DbCluster, DbClusterParameterGroup, DbClusterSnapshot, DbInstance, DbParameterGroup,
    DbSnapshot, EventSubscription, Filter, Parameter, Tag,
};
use serde_json::{Map, Value, json};

use crate::registry::{Collector, Scope};
use crate::services::ec2::kms_key_arn;
use crate::shape::{ec2_id, put, tag_map};
use crate::{Ctx, client, list_all, time};

pub const COLLECTOR: Collector = Collector {
    service: "rds",
    scope: Scope::Regional,
    actions: &[
        "rds:DescribeDBInstances",
        "rds:DescribeDBClusters",
        "rds:DescribeDBSnapshots",
        "rds:DescribeDBSnapshotAttributes",
        "rds:DescribeDBClusterSnapshots",
        "rds:DescribeDBClusterSnapshotAttributes",
        "rds:DescribeDBParameterGroups",
        "rds:DescribeDBParameters",
        "rds:DescribeDBClusterParameterGroups",
        "rds:DescribeDBClusterParameters",
        "rds:DescribeEventSubscriptions",
    ],
    run: |ctx| Box::pin(collect(ctx)),
};

const DB_INSTANCE: &str = "aws.rds.db_instance";
const DB_CLUSTER: &str = "aws.rds.db_cluster";
const DB_SNAPSHOT: &str = "aws.rds.db_snapshot";
const DB_CLUSTER_SNAPSHOT: &str = "aws.rds.db_cluster_snapshot";
const PARAMETER_GROUP: &str = "aws.rds.db_parameter_group";
const CLUSTER_PARAMETER_GROUP: &str = "aws.rds.db_cluster_parameter_group";
const EVENT_SUBSCRIPTION: &str = "aws.rds.event_subscription";

/// The parameters read from each parameter group: those that decide encryption in
/// transit and audit or connection logging. Everything else is left unread.
pub const PARAMETERS: &[&str] = &[
    // TLS: PostgreSQL and SQL Server; MySQL and MariaDB; DocumentDB.
    "rds.force_ssl",
    "require_secure_transport",
    "tls",
    // Audit and connection logging.
    "server_audit_logging",
    "server_audit_events",
    "audit_logs",
    "neptune_enable_audit_log",
    "pgaudit.log",
    "log_connections",
    "log_disconnections",
    "log_statement",
    "general_log",
    "slow_query_log",
    "log_output",
];

/// Deleted between the listing and a detail call.
const GONE: &[&str] = &[
    "DBSnapshotNotFound",
    "DBSnapshotNotFoundFault",
    "DBClusterSnapshotNotFoundFault",
    "DBParameterGroupNotFound",
    "DBParameterGroupNotFoundFault",
];

async fn collect(ctx: Ctx) {
    let rds = client!(ctx, aws_sdk_rds);
    futures::join!(
        instances(&ctx, &rds),
        clusters(&ctx, &rds),
        snapshots(&ctx, &rds),
        cluster_snapshots(&ctx, &rds),
        parameter_groups(&ctx, &rds),
        cluster_parameter_groups(&ctx, &rds),
        event_subscriptions(&ctx, &rds),
    );
}

fn tags(list: &[Tag]) -> std::collections::BTreeMap<String, String> {
    tag_map(list.iter().map(|t| (t.key(), t.value())))
}

fn parameter_group_id(ctx: &Ctx, name: &str) -> String {
    ctx.arn("rds", &format!("pg:{name}"))
}

fn cluster_parameter_group_id(ctx: &Ctx, name: &str) -> String {
    ctx.arn("rds", &format!("cluster-pg:{name}"))
}

fn cluster_id(ctx: &Ctx, name: &str) -> String {
    ctx.arn("rds", &format!("cluster:{name}"))
}

fn instance_id(ctx: &Ctx, name: &str) -> String {
    ctx.arn("rds", &format!("db:{name}"))
}

// ---------------------------------------------------------------------------------
// Instances

async fn instances(ctx: &Ctx, rds: &Client) {
    if let Some(instances) = list_all!(
        ctx,
        "rds:DescribeDBInstances",
        &[DB_INSTANCE],
        rds.describe_db_instances()
    )
    .await
    {
        for instance in &instances {
            add_db_instance(ctx, instance);
        }
    }
}

fn add_db_instance(ctx: &Ctx, db: &DbInstance) {
    let Some(name) = db.db_instance_identifier() else {
        return;
    };
    let id = db
        .db_instance_arn()
        .map_or_else(|| instance_id(ctx, name), str::to_owned);
    if let Some(key) = db.kms_key_id().and_then(|k| kms_key_arn(ctx, k)) {
        ctx.relate(&id, "encrypted_by", key);
    }
    for group in db.db_parameter_groups() {
        if let Some(group) = group.db_parameter_group_name() {
            ctx.relate(&id, "uses", parameter_group_id(ctx, group));
        }
    }
    for sg in db.vpc_security_groups() {
        if let Some(sg) = sg.vpc_security_group_id() {
            ctx.relate(&id, "uses", ec2_id(ctx, "security-group", sg));
        }
    }
    for subnet in db
        .db_subnet_group()
        .map(|g| g.subnets())
        .unwrap_or_default()
    {
        if let Some(subnet) = subnet.subnet_identifier() {
            ctx.relate(&id, "member_of", ec2_id(ctx, "subnet", subnet));
        }
    }
    if let Some(cluster) = db.db_cluster_identifier() {
        ctx.relate(&id, "member_of", cluster_id(ctx, cluster));
    }
    let mut resource = ctx.resource(id, DB_INSTANCE);
    resource.name = Some(name.to_owned());
    resource.tags = tags(db.tag_list());
    resource.properties = db_instance_properties(db).into();
    ctx.add(resource);
}

fn db_instance_properties(db: &DbInstance) -> Value {
    json!({
        "db_instance_identifier": db.db_instance_identifier(),
        "engine": db.engine(),
        "engine_version": db.engine_version(),
        "storage_encrypted": db.storage_encrypted(),
        "kms_key_id": db.kms_key_id(),
        "publicly_accessible": db.publicly_accessible(),
        "auto_minor_version_upgrade": db.auto_minor_version_upgrade(),
        "multi_az": db.multi_az(),
        "backup_retention_period_days": db.backup_retention_period(),
        "deletion_protection": db.deletion_protection(),
        "port": db.endpoint().and_then(|e| e.port()).or(db.db_instance_port()),
        "master_username": db.master_username(),
        "iam_database_authentication_enabled": db.iam_database_authentication_enabled(),
        "copy_tags_to_snapshot": db.copy_tags_to_snapshot(),
        "monitoring_interval": db.monitoring_interval(),
        "enabled_cloudwatch_logs_exports": db.enabled_cloudwatch_logs_exports(),
        "db_cluster_identifier": db.db_cluster_identifier(),
        "db_parameter_groups": db
            .db_parameter_groups()
            .iter()
            .filter_map(|g| g.db_parameter_group_name())
            .collect::<Vec<_>>(),
        "db_subnet_group": db.db_subnet_group().and_then(|g| g.db_subnet_group_name()),
        "vpc_security_group_ids": db
            .vpc_security_groups()
            .iter()
            .filter_map(|g| g.vpc_security_group_id())
            .collect::<Vec<_>>(),
        "read_replica_source": db.read_replica_source_db_instance_identifier(),
    })
}

// ---------------------------------------------------------------------------------
// Clusters

async fn clusters(ctx: &Ctx, rds: &Client) {
    if let Some(clusters) = list_all!(
        ctx,
        "rds:DescribeDBClusters",
        &[DB_CLUSTER],
        rds.describe_db_clusters()
    )
    .await
    {
        for cluster in &clusters {
            add_db_cluster(ctx, cluster);
        }
    }
}

fn add_db_cluster(ctx: &Ctx, c: &DbCluster) {
    let Some(name) = c.db_cluster_identifier() else {
        return;
    };
    let id = c
        .db_cluster_arn()
        .map_or_else(|| cluster_id(ctx, name), str::to_owned);
    if let Some(key) = c.kms_key_id().and_then(|k| kms_key_arn(ctx, k)) {
        ctx.relate(&id, "encrypted_by", key);
    }
    if let Some(group) = c.db_cluster_parameter_group() {
        ctx.relate(&id, "uses", cluster_parameter_group_id(ctx, group));
    }
    for sg in c.vpc_security_groups() {
        if let Some(sg) = sg.vpc_security_group_id() {
            ctx.relate(&id, "uses", ec2_id(ctx, "security-group", sg));
        }
    }
    let mut resource = ctx.resource(id, DB_CLUSTER);
    resource.name = Some(name.to_owned());
    resource.tags = tags(c.tag_list());
    resource.properties = db_cluster_properties(c).into();
    ctx.add(resource);
}

fn db_cluster_properties(c: &DbCluster) -> Value {
    json!({
        "db_cluster_identifier": c.db_cluster_identifier(),
        "engine": c.engine(),
        "engine_version": c.engine_version(),
        "engine_mode": c.engine_mode(),
        "storage_encrypted": c.storage_encrypted(),
        "kms_key_id": c.kms_key_id(),
        "publicly_accessible": c.publicly_accessible(),
        // Set for Multi-AZ DB clusters only; Aurora sets it on each instance.
        "auto_minor_version_upgrade": c.auto_minor_version_upgrade(),
        "multi_az": c.multi_az(),
        "availability_zones": c.availability_zones(),
        "backup_retention_period_days": c.backup_retention_period(),
        "deletion_protection": c.deletion_protection(),
        "port": c.port(),
        "master_username": c.master_username(),
        "iam_database_authentication_enabled": c.iam_database_authentication_enabled(),
        "copy_tags_to_snapshot": c.copy_tags_to_snapshot(),
        "backtrack_window": c.backtrack_window(),
        "enabled_cloudwatch_logs_exports": c.enabled_cloudwatch_logs_exports(),
        "db_cluster_parameter_group": c.db_cluster_parameter_group(),
        "db_subnet_group": c.db_subnet_group(),
        "members": c
            .db_cluster_members()
            .iter()
            .filter_map(|m| m.db_instance_identifier())
            .collect::<Vec<_>>(),
        "vpc_security_group_ids": c
            .vpc_security_groups()
            .iter()
            .filter_map(|g| g.vpc_security_group_id())
            .collect::<Vec<_>>(),
    })
}

// ---------------------------------------------------------------------------------
// Snapshots

/// Accounts that may restore a snapshot, from its `restore` attribute (`all`: anyone).
fn restore_accounts<'a>(
    attributes: impl IntoIterator<Item = (Option<&'a str>, &'a [String])>,
) -> Value {
    let accounts: Vec<&String> = attributes
        .into_iter()
        .filter(|(name, _)| *name == Some("restore"))
        .flat_map(|(_, values)| values)
        .collect();
    json!({
        "restore_accounts": accounts,
        "public": accounts.iter().any(|a| a.as_str() == "all"),
    })
}

/// Adds `restore_accounts` and `public` from an attribute read's answer.
fn put_sharing(props: &mut Map<String, Value>, sharing: Option<Value>) {
    // Anything else (gone since the listing, or a failed read) adds nothing.
    if let Some(Value::Object(fields)) = sharing {
        props.extend(fields);
    }
}

async fn snapshots(ctx: &Ctx, rds: &Client) {
    let Some(snapshots) = list_all!(
        ctx,
        "rds:DescribeDBSnapshots",
        &[DB_SNAPSHOT],
        rds.describe_db_snapshots()
    )
    .await
    else {
        return;
    };
    ctx.each(snapshots, |s| db_snapshot(ctx, rds, s)).await;
}

async fn db_snapshot(ctx: &Ctx, rds: &Client, s: DbSnapshot) -> Option<vigil_inventory::Resource> {
    let name = s.db_snapshot_identifier()?;
    let id = s.db_snapshot_arn().map_or_else(
        || ctx.arn("rds", &format!("snapshot:{name}")),
        str::to_owned,
    );
    let mut props = Map::new();
    props.insert("db_snapshot_identifier".into(), json!(name));
    props.insert(
        "db_instance_identifier".into(),
        json!(s.db_instance_identifier()),
    );
    props.insert("engine".into(), json!(s.engine()));
    props.insert("snapshot_type".into(), json!(s.snapshot_type()));
    props.insert("encrypted".into(), json!(s.encrypted()));
    props.insert("kms_key_id".into(), json!(s.kms_key_id()));
    props.insert("created".into(), time(s.snapshot_create_time()));
    if s.snapshot_type() == Some("manual") {
        let sharing = ctx
            .detail_value(
                "rds:DescribeDBSnapshotAttributes",
                &id,
                GONE,
                rds.describe_db_snapshot_attributes()
                    .db_snapshot_identifier(name)
                    .send(),
                |out| {
                    restore_accounts(
                        out.db_snapshot_attributes_result()
                            .map(|r| r.db_snapshot_attributes())
                            .unwrap_or_default()
                            .iter()
                            .map(|a| (a.attribute_name(), a.attribute_values())),
                    )
                },
            )
            .await;
        if sharing == Some(Value::Null) {
            return None;
        }
        put_sharing(&mut props, sharing);
    } else {
        // Automated and AWS Backup snapshots cannot be shared.
        put_sharing(&mut props, Some(restore_accounts([])));
    }
    if let Some(key) = s.kms_key_id().and_then(|k| kms_key_arn(ctx, k)) {
        ctx.relate(&id, "encrypted_by", key);
    }
    if let Some(instance) = s.db_instance_identifier() {
        ctx.relate(&id, "created_from", instance_id(ctx, instance));
    }
    let mut resource = ctx.resource(id, DB_SNAPSHOT);
    resource.name = Some(name.to_owned());
    resource.tags = tags(s.tag_list());
    resource.properties = Value::Object(props).into();
    Some(resource)
}

async fn cluster_snapshots(ctx: &Ctx, rds: &Client) {
    let Some(snapshots) = list_all!(
        ctx,
        "rds:DescribeDBClusterSnapshots",
        &[DB_CLUSTER_SNAPSHOT],
        rds.describe_db_cluster_snapshots()
    )
    .await
    else {
        return;
    };
    ctx.each(snapshots, |s| db_cluster_snapshot(ctx, rds, s))
        .await;
}

async fn db_cluster_snapshot(
    ctx: &Ctx,
    rds: &Client,
    s: DbClusterSnapshot,
) -> Option<vigil_inventory::Resource> {
    let name = s.db_cluster_snapshot_identifier()?;
    let id = s.db_cluster_snapshot_arn().map_or_else(
        || ctx.arn("rds", &format!("cluster-snapshot:{name}")),
        str::to_owned,
    );
    let mut props = Map::new();
    props.insert("db_cluster_snapshot_identifier".into(), json!(name));
    props.insert(
        "db_cluster_identifier".into(),
        json!(s.db_cluster_identifier()),
    );
    props.insert("engine".into(), json!(s.engine()));
    props.insert("snapshot_type".into(), json!(s.snapshot_type()));
    props.insert("storage_encrypted".into(), json!(s.storage_encrypted()));
    props.insert("kms_key_id".into(), json!(s.kms_key_id()));
    props.insert("created".into(), time(s.snapshot_create_time()));
    if s.snapshot_type() == Some("manual") {
        let sharing = ctx
            .detail_value(
                "rds:DescribeDBClusterSnapshotAttributes",
                &id,
                GONE,
                rds.describe_db_cluster_snapshot_attributes()
                    .db_cluster_snapshot_identifier(name)
                    .send(),
                |out| {
                    restore_accounts(
                        out.db_cluster_snapshot_attributes_result()
                            .map(|r| r.db_cluster_snapshot_attributes())
                            .unwrap_or_default()
                            .iter()
                            .map(|a| (a.attribute_name(), a.attribute_values())),
                    )
                },
            )
            .await;
        if sharing == Some(Value::Null) {
            return None;
        }
        put_sharing(&mut props, sharing);
    } else {
        put_sharing(&mut props, Some(restore_accounts([])));
    }
    if let Some(key) = s.kms_key_id().and_then(|k| kms_key_arn(ctx, k)) {
        ctx.relate(&id, "encrypted_by", key);
    }
    if let Some(cluster) = s.db_cluster_identifier() {
        ctx.relate(&id, "created_from", cluster_id(ctx, cluster));
    }
    let mut resource = ctx.resource(id, DB_CLUSTER_SNAPSHOT);
    resource.name = Some(name.to_owned());
    resource.tags = tags(s.tag_list());
    resource.properties = Value::Object(props).into();
    Some(resource)
}

// ---------------------------------------------------------------------------------
// Parameter groups

fn parameter_filter() -> Filter {
    Filter::builder()
        .name("parameter-name")
        .set_values(Some(PARAMETERS.iter().map(|p| (*p).to_owned()).collect()))
        .build()
}

/// The security-relevant parameters as `name → value` (null when the group leaves it
/// unset); endpoints that ignore the filter send every parameter, and the rest are
/// dropped here.
fn parameter_map(parameters: &[Parameter]) -> Value {
    let map: Map<String, Value> = parameters
        .iter()
        .filter_map(|p| {
            let name = p.parameter_name()?;
            PARAMETERS
                .contains(&name)
                .then(|| (name.to_owned(), json!(p.parameter_value())))
        })
        .collect();
    Value::Object(map)
}

async fn parameter_groups(ctx: &Ctx, rds: &Client) {
    let Some(groups) = list_all!(
        ctx,
        "rds:DescribeDBParameterGroups",
        &[PARAMETER_GROUP],
        rds.describe_db_parameter_groups()
    )
    .await
    else {
        return;
    };
    ctx.each(groups, |g| parameter_group(ctx, rds, g)).await;
}

async fn parameter_group(
    ctx: &Ctx,
    rds: &Client,
    g: DbParameterGroup,
) -> Option<vigil_inventory::Resource> {
    let name = g.db_parameter_group_name()?;
    let id = parameter_group_id(ctx, name);
    let parameters = ctx
        .detail_value(
            "rds:DescribeDBParameters",
            &id,
            GONE,
            rds.describe_db_parameters()
                .db_parameter_group_name(name)
                .filters(parameter_filter())
                .into_paginator()
                .items()
                .send()
                .try_collect(),
            |list| parameter_map(&list),
        )
        .await;
    if parameters == Some(Value::Null) {
        return None;
    }
    let mut props = Map::new();
    props.insert("name".into(), json!(name));
    props.insert("arn".into(), json!(g.db_parameter_group_arn()));
    props.insert("family".into(), json!(g.db_parameter_group_family()));
    put(&mut props, "parameters", parameters);
    let mut resource = ctx.resource(id, PARAMETER_GROUP);
    resource.name = Some(name.to_owned());
    resource.properties = Value::Object(props).into();
    Some(resource)
}

async fn cluster_parameter_groups(ctx: &Ctx, rds: &Client) {
    let Some(groups) = list_all!(
        ctx,
        "rds:DescribeDBClusterParameterGroups",
        &[CLUSTER_PARAMETER_GROUP],
        rds.describe_db_cluster_parameter_groups()
    )
    .await
    else {
        return;
    };
    ctx.each(groups, |g| cluster_parameter_group(ctx, rds, g))
        .await;
}

async fn cluster_parameter_group(
    ctx: &Ctx,
    rds: &Client,
    g: DbClusterParameterGroup,
) -> Option<vigil_inventory::Resource> {
    let name = g.db_cluster_parameter_group_name()?;
    let id = cluster_parameter_group_id(ctx, name);
    let parameters = ctx
        .detail_value(
            "rds:DescribeDBClusterParameters",
            &id,
            GONE,
            rds.describe_db_cluster_parameters()
                .db_cluster_parameter_group_name(name)
                .filters(parameter_filter())
                .into_paginator()
                .items()
                .send()
                .try_collect(),
            |list| parameter_map(&list),
        )
        .await;
    if parameters == Some(Value::Null) {
        return None;
    }
    let mut props = Map::new();
    props.insert("name".into(), json!(name));
    props.insert("arn".into(), json!(g.db_cluster_parameter_group_arn()));
    props.insert("family".into(), json!(g.db_parameter_group_family()));
    put(&mut props, "parameters", parameters);
    let mut resource = ctx.resource(id, CLUSTER_PARAMETER_GROUP);
    resource.name = Some(name.to_owned());
    resource.properties = Value::Object(props).into();
    Some(resource)
}

// ---------------------------------------------------------------------------------
// Event subscriptions

async fn event_subscriptions(ctx: &Ctx, rds: &Client) {
    if let Some(subscriptions) = list_all!(
        ctx,
        "rds:DescribeEventSubscriptions",
        &[EVENT_SUBSCRIPTION],
        rds.describe_event_subscriptions()
    )
    .await
    {
        for s in &subscriptions {
            add_event_subscription(ctx, s);
        }
    }
}

fn add_event_subscription(ctx: &Ctx, s: &EventSubscription) {
    let Some(name) = s.cust_subscription_id() else {
        return;
    };
    let id = s
        .event_subscription_arn()
        .map_or_else(|| ctx.arn("rds", &format!("es:{name}")), str::to_owned);
    if let Some(topic) = s.sns_topic_arn() {
        ctx.relate(&id, "notifies", topic);
    }
    let mut resource = ctx.resource(id, EVENT_SUBSCRIPTION);
    resource.name = Some(name.to_owned());
    resource.properties = json!({
        "name": name,
        "enabled": s.enabled(),
        "status": s.status(),
        "sns_topic_arn": s.sns_topic_arn(),
        // Null: every source type.
        "source_type": s.source_type(),
        "source_ids": s.source_ids_list(),
        // Empty: every category.
        "event_categories": s.event_categories_list(),
    })
    .into();
    ctx.add(resource);
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use aws_sdk_rds::types::Tag;
    use aws_types::SdkConfig;

    use super::*;

    #[test]
    fn db_instances_carry_their_settings_tags_and_key() {
        let ctx = Ctx::new(
            "111122223333".into(),
            "us-east-1".into(),
            SdkConfig::builder().build(),
            Arc::default(),
        );
        let db = DbInstance::builder()
            .db_instance_identifier("orders")
            .db_instance_arn("arn:aws:rds:us-east-1:111122223333:db:orders")
            .engine("postgres")
            .storage_encrypted(true)
            .kms_key_id("arn:aws:kms:us-east-1:111122223333:key/k1")
            .publicly_accessible(false)
            .auto_minor_version_upgrade(true)
            .multi_az(false)
            .backup_retention_period(7)
            .deletion_protection(true)
            .tag_list(Tag::builder().key("Owner").value("orders").build())
            .build();
        add_db_instance(&ctx, &db);
        let out = ctx.shared.output.lock().unwrap();
        let r = &out.resources[0];
        assert_eq!(r.id, "arn:aws:rds:us-east-1:111122223333:db:orders");
        assert_eq!(r.name.as_deref(), Some("orders"));
        assert_eq!(r.tags.get("Owner").map(String::as_str), Some("orders"));
        assert_eq!(
            r.properties,
            json!({
                "db_instance_identifier": "orders",
                "engine": "postgres",
                "storage_encrypted": true,
                "kms_key_id": "arn:aws:kms:us-east-1:111122223333:key/k1",
                "publicly_accessible": false,
                "auto_minor_version_upgrade": true,
                "multi_az": false,
                "backup_retention_period_days": 7,
                "deletion_protection": true,
                "engine_version": null,
                "port": null,
                "master_username": null,
                "iam_database_authentication_enabled": null,
                "copy_tags_to_snapshot": null,
                "monitoring_interval": null,
                "enabled_cloudwatch_logs_exports": [],
                "db_cluster_identifier": null,
                "db_parameter_groups": [],
                "db_subnet_group": null,
                "vpc_security_group_ids": [],
                "read_replica_source": null,
            })
        );
        assert_eq!(out.relations[0].kind, "encrypted_by");
        assert_eq!(
            out.relations[0].to,
            "arn:aws:kms:us-east-1:111122223333:key/k1"
        );
    }

    #[test]
    fn an_unencrypted_instance_has_a_null_key_and_no_relation() {
        let ctx = Ctx::new(
            "111122223333".into(),
            "us-east-1".into(),
            SdkConfig::builder().build(),
            Arc::default(),
        );
        let db = DbInstance::builder()
            .db_instance_identifier("legacy")
            .engine("mysql")
            .build();
        add_db_instance(&ctx, &db);
        let out = ctx.shared.output.lock().unwrap();
        assert_eq!(
            out.resources[0].id,
            "arn:aws:rds:us-east-1:111122223333:db:legacy"
        );
        assert_eq!(out.resources[0].properties["kms_key_id"], Value::Null);
        assert_eq!(
            out.resources[0].properties["backup_retention_period_days"],
            Value::Null
        );
        assert_eq!(
            out.resources[0].properties["publicly_accessible"],
            Value::Null
        );
        assert!(out.relations.is_empty());
    }

    fn ctx() -> Ctx {
        Ctx::new(
            "111122223333".into(),
            "us-east-1".into(),
            SdkConfig::builder().build(),
            Arc::default(),
        )
    }

    #[test]
    fn sharing_with_all_makes_a_snapshot_public() {
        let all = vec!["all".to_owned(), "444455556666".to_owned()];
        assert_eq!(
            restore_accounts([(Some("restore"), all.as_slice())]),
            json!({"restore_accounts": ["all", "444455556666"], "public": true})
        );
        assert_eq!(
            restore_accounts([]),
            json!({"restore_accounts": [], "public": false})
        );
    }

    #[test]
    fn only_the_security_relevant_parameters_are_kept() {
        let params = [
            Parameter::builder()
                .parameter_name("rds.force_ssl")
                .parameter_value("1")
                .build(),
            Parameter::builder()
                .parameter_name("log_connections")
                .build(),
            Parameter::builder()
                .parameter_name("shared_buffers")
                .parameter_value("128MB")
                .build(),
        ];
        assert_eq!(
            parameter_map(&params),
            json!({"rds.force_ssl": "1", "log_connections": null})
        );
    }

    #[test]
    fn clusters_use_their_parameter_group_and_key() {
        let ctx = ctx();
        let cluster = DbCluster::builder()
            .db_cluster_identifier("ledger")
            .engine("aurora-mysql")
            .storage_encrypted(true)
            .kms_key_id("arn:aws:kms:us-east-1:111122223333:key/k1")
            .db_cluster_parameter_group("audited")
            .enabled_cloudwatch_logs_exports("audit")
            .build();
        add_db_cluster(&ctx, &cluster);
        let out = ctx.shared.output.lock().unwrap();
        let r = &out.resources[0];
        assert_eq!(r.id, "arn:aws:rds:us-east-1:111122223333:cluster:ledger");
        assert_eq!(r.properties["engine"], "aurora-mysql");
        assert_eq!(
            r.properties["enabled_cloudwatch_logs_exports"],
            json!(["audit"])
        );
        let kinds: Vec<(&str, &str)> = out
            .relations
            .iter()
            .map(|r| (r.kind.as_str(), r.to.as_str()))
            .collect();
        assert_eq!(
            kinds,
            [
                ("encrypted_by", "arn:aws:kms:us-east-1:111122223333:key/k1"),
                (
                    "uses",
                    "arn:aws:rds:us-east-1:111122223333:cluster-pg:audited"
                ),
            ]
        );
    }

    #[test]
    fn event_subscriptions_notify_their_topic() {
        let ctx = ctx();
        let sub = EventSubscription::builder()
            .cust_subscription_id("db-events")
            .sns_topic_arn("arn:aws:sns:us-east-1:111122223333:ops")
            .source_type("db-instance")
            .event_categories_list("failure")
            .enabled(true)
            .build();
        add_event_subscription(&ctx, &sub);
        let out = ctx.shared.output.lock().unwrap();
        assert_eq!(
            out.resources[0].id,
            "arn:aws:rds:us-east-1:111122223333:es:db-events"
        );
        assert_eq!(
            out.resources[0].properties["event_categories"],
            json!(["failure"])
        );
        assert_eq!(out.relations[0].kind, "notifies");
    }
}
