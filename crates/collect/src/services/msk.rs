//! Amazon MSK (Managed Streaming for Apache Kafka): provisioned and serverless clusters
//! with their encryption in transit, public access, client authentication and broker
//! logging. Topics and messages are never read.
//!
//! One paginated listing (ListClustersV2), which carries everything kept; no call per
//! cluster.
//!
//! Relations: cluster `member_of` its client subnets, `uses` its security groups,
//! `encrypted_by` its KMS key, `logs_to` its broker log group.

use aws_sdk_kafka::types::Cluster;
use serde_json::{Value, json};

use crate::registry::{Collector, Scope};
use crate::services::ec2::kms_key_arn;
use crate::services::logs::log_group_arn;
use crate::shape::{ec2_id, enum_str, hash_tags};
use crate::{Ctx, client, list_all};

pub const COLLECTOR: Collector = Collector {
    service: "kafka",
    scope: Scope::Regional,
    actions: &["kafka:ListClustersV2"],
    run: |ctx| Box::pin(collect(ctx)),
};

const CLUSTER: &str = "aws.kafka.cluster";

async fn collect(ctx: Ctx) {
    let client = client!(ctx, aws_sdk_kafka);
    let Some(clusters) = list_all!(
        ctx,
        "kafka:ListClustersV2",
        &[CLUSTER],
        client.list_clusters_v2()
    )
    .await
    else {
        return;
    };
    for cluster in &clusters {
        add_cluster(&ctx, cluster);
    }
}

fn add_cluster(ctx: &Ctx, c: &Cluster) {
    let Some(arn) = c.cluster_arn() else {
        return;
    };
    let mut resource = ctx.resource(arn, CLUSTER);
    resource.name = c.cluster_name().map(str::to_owned);
    resource.tags = hash_tags(c.tags());
    let (subnets, security_groups): (Vec<&str>, Vec<&str>) = if let Some(p) = c.provisioned() {
        let nodes = p.broker_node_group_info();
        (
            nodes
                .map(|n| n.client_subnets())
                .unwrap_or_default()
                .iter()
                .map(String::as_str)
                .collect(),
            nodes
                .map(|n| n.security_groups())
                .unwrap_or_default()
                .iter()
                .map(String::as_str)
                .collect(),
        )
    } else {
        let vpcs = c.serverless().map(|s| s.vpc_configs()).unwrap_or_default();
        (
            vpcs.iter()
                .flat_map(|v| v.subnet_ids())
                .map(String::as_str)
                .collect(),
            vpcs.iter()
                .flat_map(|v| v.security_group_ids())
                .map(String::as_str)
                .collect(),
        )
    };
    for subnet in &subnets {
        ctx.relate(arn, "member_of", ec2_id(ctx, "subnet", subnet));
    }
    for sg in &security_groups {
        ctx.relate(arn, "uses", ec2_id(ctx, "security-group", sg));
    }
    let mut props = json!({
        "name": c.cluster_name(),
        "arn": arn,
        "cluster_type": enum_str(c.cluster_type()),
        "state": enum_str(c.state()),
        "subnet_ids": subnets,
        "security_group_ids": security_groups,
    });
    if let Some(p) = c.provisioned() {
        let transit = p.encryption_info().and_then(|e| e.encryption_in_transit());
        let auth = p.client_authentication();
        let key = p
            .encryption_info()
            .and_then(|e| e.encryption_at_rest())
            .and_then(|e| e.data_volume_kms_key_id());
        if let Some(key) = key.and_then(|k| kms_key_arn(ctx, k)) {
            ctx.relate(arn, "encrypted_by", key);
        }
        let logs = p
            .logging_info()
            .and_then(|l| l.broker_logs())
            .and_then(|b| b.cloud_watch_logs());
        let log_group = logs
            .filter(|l| l.enabled() == Some(true))
            .and_then(|l| l.log_group());
        if let Some(group) = log_group {
            ctx.relate(
                arn,
                "logs_to",
                log_group_arn(&ctx.region, &ctx.account, group),
            );
        }
        let extra = json!({
            // Absent means the defaults: TLS between clients and brokers, and among brokers.
            "in_cluster_encryption": transit.and_then(|t| t.in_cluster()).unwrap_or(true),
            "client_broker_encryption": transit
                .and_then(|t| t.client_broker())
                .map_or(json!("TLS"), |c| json!(c.as_str())),
            "public_access_type": p
                .broker_node_group_info()
                .and_then(|n| n.connectivity_info())
                .and_then(|c| c.public_access())
                .and_then(|a| a.r#type())
                .unwrap_or("DISABLED"),
            "unauthenticated_access": auth
                .and_then(|a| a.unauthenticated())
                .and_then(|u| u.enabled())
                .unwrap_or(false),
            "iam_auth": auth.and_then(|a| a.sasl()).and_then(|s| s.iam()).and_then(|i| i.enabled()).unwrap_or(false),
            "scram_auth": auth.and_then(|a| a.sasl()).and_then(|s| s.scram()).and_then(|i| i.enabled()).unwrap_or(false),
            "tls_auth": auth.and_then(|a| a.tls()).and_then(|t| t.enabled()).unwrap_or(false),
            "kms_key_id": key,
            "enhanced_monitoring": enum_str(p.enhanced_monitoring()),
            "broker_log_group": log_group,
            "kafka_version": p.current_broker_software_info().and_then(|s| s.kafka_version()),
        });
        merge(&mut props, extra);
    } else {
        // Serverless clusters always encrypt in transit, are never public and always
        // authenticate clients with IAM.
        merge(
            &mut props,
            json!({
                "in_cluster_encryption": true,
                "client_broker_encryption": "TLS",
                "public_access_type": "DISABLED",
                "unauthenticated_access": false,
                "iam_auth": true,
            }),
        );
    }
    resource.properties = props.into();
    ctx.add(resource);
}

fn merge(into: &mut Value, from: Value) {
    if let (Value::Object(into), Value::Object(from)) = (into, from) {
        into.extend(from);
    }
}
