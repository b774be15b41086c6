//! Database Migration Service: replication instances (public access, Multi-AZ, minor
//! version upgrades, network placement), endpoints (SSL mode and the engine-specific
//! authentication settings; credentials are never stored) and replication tasks (the
//! logging part of their settings only; table mappings are never read).
//!
//! Three paginated listings. Endpoints and tasks are listed only when the region has a
//! replication instance: a task runs on an instance and an endpoint is used by tasks, so
//! a region without instances migrates nothing, and an account that does not use DMS
//! costs one call per region.
//!
//! Relations: instance `member_of` its subnets, `uses` its security groups,
//! `encrypted_by` its KMS key; endpoint `encrypted_by` its key; task `uses` its instance
//! and both endpoints.

use aws_sdk_databasemigration::types::{Endpoint, ReplicationInstance, ReplicationTask};
use serde_json::{Map, Value, json};

use crate::registry::{Collector, Scope};
use crate::services::ec2::kms_key_arn;
use crate::shape::{ec2_id, enum_str};
use crate::{Ctx, client};

pub const COLLECTOR: Collector = Collector {
    service: "dms",
    scope: Scope::Regional,
    actions: &[
        "dms:DescribeReplicationInstances",
        "dms:DescribeEndpoints",
        "dms:DescribeReplicationTasks",
    ],
    run: |ctx| Box::pin(collect(ctx)),
};

const INSTANCE: &str = "aws.dms.replication_instance";
const ENDPOINT: &str = "aws.dms.endpoint";
const TASK: &str = "aws.dms.replication_task";

async fn collect(ctx: Ctx) {
    let client = client!(ctx, aws_sdk_databasemigration);
    let listing = client
        .describe_replication_instances()
        .into_paginator()
        .send()
        .try_collect();
    let Some(pages) = ctx
        .list(
            "dms:DescribeReplicationInstances",
            &[INSTANCE, ENDPOINT, TASK],
            listing,
        )
        .await
    else {
        return;
    };
    let instances: Vec<&ReplicationInstance> = pages
        .iter()
        .flat_map(|p| p.replication_instances())
        .collect();
    if instances.is_empty() {
        return;
    }
    for instance in instances {
        add_instance(&ctx, instance);
    }
    let endpoints = client
        .describe_endpoints()
        .into_paginator()
        .send()
        .try_collect();
    let tasks = client
        .describe_replication_tasks()
        .without_settings(false)
        .into_paginator()
        .send()
        .try_collect();
    let (endpoints, tasks) = futures::join!(
        ctx.list("dms:DescribeEndpoints", &[ENDPOINT], endpoints),
        ctx.list("dms:DescribeReplicationTasks", &[TASK], tasks),
    );
    for endpoint in endpoints.iter().flatten().flat_map(|p| p.endpoints()) {
        add_endpoint(&ctx, endpoint);
    }
    for task in tasks.iter().flatten().flat_map(|p| p.replication_tasks()) {
        add_task(&ctx, task);
    }
}

fn add_instance(ctx: &Ctx, i: &ReplicationInstance) {
    let Some(arn) = i.replication_instance_arn() else {
        return;
    };
    let group = i.replication_subnet_group();
    let subnets: Vec<&str> = group
        .map(|g| g.subnets())
        .unwrap_or_default()
        .iter()
        .filter_map(|s| s.subnet_identifier())
        .collect();
    let security_groups: Vec<&str> = i
        .vpc_security_groups()
        .iter()
        .filter_map(|g| g.vpc_security_group_id())
        .collect();
    for subnet in &subnets {
        ctx.relate(arn, "member_of", ec2_id(ctx, "subnet", subnet));
    }
    for sg in &security_groups {
        ctx.relate(arn, "uses", ec2_id(ctx, "security-group", sg));
    }
    if let Some(key) = i.kms_key_id().and_then(|k| kms_key_arn(ctx, k)) {
        ctx.relate(arn, "encrypted_by", key);
    }
    let mut resource = ctx.resource(arn, INSTANCE);
    resource.name = i.replication_instance_identifier().map(str::to_owned);
    resource.properties = json!({
        "identifier": i.replication_instance_identifier(),
        "arn": arn,
        "class": i.replication_instance_class(),
        "status": i.replication_instance_status(),
        "engine_version": i.engine_version(),
        "publicly_accessible": i.publicly_accessible(),
        "public_ip_addresses": i.replication_instance_public_ip_addresses(),
        "auto_minor_version_upgrade": i.auto_minor_version_upgrade(),
        "multi_az": i.multi_az(),
        "kms_key_id": i.kms_key_id(),
        "vpc_id": group.and_then(|g| g.vpc_id()),
        "subnet_ids": subnets,
        "security_group_ids": security_groups,
    })
    .into();
    ctx.add(resource);
}

fn add_endpoint(ctx: &Ctx, e: &Endpoint) {
    let Some(arn) = e.endpoint_arn() else {
        return;
    };
    if let Some(key) = e.kms_key_id().and_then(|k| kms_key_arn(ctx, k)) {
        ctx.relate(arn, "encrypted_by", key);
    }
    let mongo = e.mongo_db_settings();
    let redis = e.redis_settings();
    let mut resource = ctx.resource(arn, ENDPOINT);
    resource.name = e.endpoint_identifier().map(str::to_owned);
    resource.properties = json!({
        "identifier": e.endpoint_identifier(),
        "arn": arn,
        "endpoint_type": enum_str(e.endpoint_type()),
        "engine_name": e.engine_name(),
        "status": e.status(),
        // `none`, `require`, `verify-ca` or `verify-full`.
        "ssl_mode": enum_str(e.ssl_mode()),
        "certificate_arn": e.certificate_arn(),
        "kms_key_id": e.kms_key_id(),
        "neptune_iam_auth_enabled": e.neptune_settings().map(|n| n.iam_auth_enabled().unwrap_or(false)),
        "mongodb_auth_type": enum_str(mongo.and_then(|m| m.auth_type())),
        "mongodb_auth_mechanism": enum_str(mongo.and_then(|m| m.auth_mechanism())),
        "redis_ssl_security_protocol": enum_str(redis.and_then(|r| r.ssl_security_protocol())),
        "redis_auth_type": enum_str(redis.and_then(|r| r.auth_type())),
    }).into();
    ctx.add(resource);
}

fn add_task(ctx: &Ctx, t: &ReplicationTask) {
    let Some(arn) = t.replication_task_arn() else {
        return;
    };
    for to in [
        t.replication_instance_arn(),
        t.source_endpoint_arn(),
        t.target_endpoint_arn(),
    ]
    .into_iter()
    .flatten()
    {
        ctx.relate(arn, "uses", to);
    }
    let mut props = Map::new();
    props.insert("identifier".into(), json!(t.replication_task_identifier()));
    props.insert("arn".into(), json!(arn));
    props.insert("status".into(), json!(t.status()));
    props.insert("migration_type".into(), enum_str(t.migration_type()));
    props.insert(
        "replication_instance_arn".into(),
        json!(t.replication_instance_arn()),
    );
    props.insert("source_endpoint_arn".into(), json!(t.source_endpoint_arn()));
    props.insert("target_endpoint_arn".into(), json!(t.target_endpoint_arn()));
    // The settings are a JSON document; only its `Logging` part is kept. Settings that
    // are absent or unparsable leave the logging properties out, so rules say ERROR.
    if let Some(logging) = t
        .replication_task_settings()
        .and_then(|s| serde_json::from_str::<Value>(s).ok())
        .map(|s| s.get("Logging").cloned().unwrap_or(Value::Null))
    {
        let (enabled, components) = task_logging(&logging);
        props.insert("logging_enabled".into(), json!(enabled));
        props.insert("log_components".into(), Value::Object(components));
    }
    let mut resource = ctx.resource(arn, TASK);
    resource.name = t.replication_task_identifier().map(str::to_owned);
    resource.properties = Value::Object(props).into();
    ctx.add(resource);
}

/// `Logging.EnableLogging` and each log component's severity
/// (`SOURCE_CAPTURE` → `LOGGER_SEVERITY_DEFAULT`) from a task's settings.
fn task_logging(logging: &Value) -> (bool, Map<String, Value>) {
    let enabled = logging
        .get("EnableLogging")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let components = logging
        .get("LogComponents")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|c| {
            Some((
                c.get("Id")?.as_str()?.to_owned(),
                c.get("Severity").cloned().unwrap_or(Value::Null),
            ))
        })
        .collect();
    (enabled, components)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn task_logging_reads_the_components() {
        let (enabled, components) = task_logging(&json!({
            "EnableLogging": true,
            "LogComponents": [
                {"Id": "SOURCE_CAPTURE", "Severity": "LOGGER_SEVERITY_DEFAULT"},
                {"Id": "TARGET_APPLY", "Severity": "LOGGER_SEVERITY_WARNING"},
                {"Severity": "LOGGER_SEVERITY_DEBUG"}
            ]
        }));
        assert!(enabled);
        assert_eq!(components.len(), 2);
        assert_eq!(components["TARGET_APPLY"], "LOGGER_SEVERITY_WARNING");
        let (enabled, components) = task_logging(&Value::Null);
        assert!(!enabled);
        assert!(components.is_empty());
    }
}
