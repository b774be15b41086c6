//! OpenSearch Service: the region's domains, OpenSearch and Elasticsearch engines alike,
//! with encryption at rest and between nodes, HTTPS enforcement and TLS policy, VPC
//! placement, fine-grained access control, log publishing, the shape of the cluster and
//! pending software updates, and the access policy (parsed). Indices are never read.
//!
//! One listing of names, one DescribeDomains per five domains (a failed batch is a gap
//! on each of its domains, which keep their names only) and one tag read per domain.
//!
//! Relations: domain `member_of` its subnets, `uses` its security groups,
//! `encrypted_by` its KMS key, `delivers_to` the log groups it publishes to.

use aws_sdk_opensearch::Client;
use aws_sdk_opensearch::types::{DomainStatus, LogType};
use serde_json::{Map, Value, json};
use vigil_inventory::Resource;

use crate::registry::{Collector, Scope};
use crate::services::ec2::kms_key_arn;
use crate::services::logs::strip_wildcard;
use crate::shape::{ec2_id, enum_str, put, tag_map};
use crate::{Ctx, client, policy_document};

pub const COLLECTOR: Collector = Collector {
    service: "opensearch",
    scope: Scope::Regional,
    actions: &["es:ListDomainNames", "es:DescribeDomains", "es:ListTags"],
    run: |ctx| Box::pin(collect(ctx)),
};

const DOMAIN: &str = "aws.opensearch.domain";

/// DescribeDomains takes at most five names.
const BATCH: usize = 5;

async fn collect(ctx: Ctx) {
    let client = client!(ctx, aws_sdk_opensearch);
    let Some(listed) = ctx
        .list(
            "es:ListDomainNames",
            &[DOMAIN],
            client.list_domain_names().send(),
        )
        .await
    else {
        return;
    };
    let names: Vec<String> = listed
        .domain_names()
        .iter()
        .filter_map(|d| d.domain_name().map(str::to_owned))
        .collect();
    for batch in names.chunks(BATCH) {
        let described = ctx
            .call(
                "es:DescribeDomains",
                client
                    .describe_domains()
                    .set_domain_names(Some(batch.to_vec()))
                    .send(),
            )
            .await;
        match described {
            Ok(out) => {
                let domains = out.domain_status_list().to_vec();
                ctx.each(domains, |d| domain(&ctx, &client, d)).await;
            }
            Err(err) => {
                // The domains exist; their settings are unknown.
                for name in batch {
                    let id = domain_arn(&ctx, name);
                    ctx.gap_resource("es:DescribeDomains", &id, &err);
                    let mut resource = ctx.resource(id, DOMAIN);
                    resource.name = Some(name.clone());
                    resource.properties = json!({ "domain_name": name }).into();
                    ctx.add(resource);
                }
            }
        }
    }
}

fn domain_arn(ctx: &Ctx, name: &str) -> String {
    ctx.arn("es", &format!("domain/{name}"))
}

async fn domain(ctx: &Ctx, client: &Client, d: DomainStatus) -> Option<Resource> {
    if d.deleted() == Some(true) {
        return None;
    }
    let arn = d.arn().to_owned();
    let tags = ctx
        .detail_value(
            "es:ListTags",
            &arn,
            &["ResourceNotFoundException"],
            client.list_tags().arn(&arn).send(),
            |out| {
                json!(tag_map(
                    out.tag_list()
                        .iter()
                        .map(|t| (Some(t.key()), Some(t.value())))
                ))
            },
        )
        .await;
    relate(ctx, &arn, &d);
    let mut resource = ctx.resource(&arn, DOMAIN);
    resource.name = Some(d.domain_name().to_owned());
    if let Some(Value::Object(tags)) = tags {
        resource.tags = tags
            .into_iter()
            .filter_map(|(k, v)| Some((k, v.as_str()?.to_owned())))
            .collect();
    }
    resource.properties = domain_properties(&d).into();
    Some(resource)
}

fn relate(ctx: &Ctx, arn: &str, d: &DomainStatus) {
    if let Some(vpc) = d.vpc_options() {
        for subnet in vpc.subnet_ids() {
            ctx.relate(arn, "member_of", ec2_id(ctx, "subnet", subnet));
        }
        for sg in vpc.security_group_ids() {
            ctx.relate(arn, "uses", ec2_id(ctx, "security-group", sg));
        }
    }
    if let Some(key) = d
        .encryption_at_rest_options()
        .and_then(|e| e.kms_key_id())
        .and_then(|k| kms_key_arn(ctx, k))
    {
        ctx.relate(arn, "encrypted_by", key);
    }
    for option in d
        .log_publishing_options()
        .into_iter()
        .flat_map(|m| m.values())
    {
        if option.enabled() == Some(true)
            && let Some(group) = option.cloud_watch_logs_log_group_arn()
        {
            ctx.relate(arn, "delivers_to", strip_wildcard(group));
        }
    }
}

/// Log types published to CloudWatch Logs, as the API names them (`AUDIT_LOGS`,
/// `ES_APPLICATION_LOGS`, `INDEX_SLOW_LOGS`, `SEARCH_SLOW_LOGS`), sorted.
fn published_logs(d: &DomainStatus) -> Vec<String> {
    let mut logs: Vec<String> = d
        .log_publishing_options()
        .into_iter()
        .flat_map(|m| m.iter())
        .filter(|(_, o)| o.enabled() == Some(true) && o.cloud_watch_logs_log_group_arn().is_some())
        .map(|(t, _)| LogType::as_str(t).to_owned())
        .collect();
    logs.sort();
    logs
}

fn domain_properties(d: &DomainStatus) -> Value {
    let cluster = d.cluster_config();
    let endpoint = d.domain_endpoint_options();
    let security = d.advanced_security_options();
    let vpc = d.vpc_options();
    let engine = d.engine_version().unwrap_or_default();
    let mut props = Map::new();
    props.insert("domain_name".into(), json!(d.domain_name()));
    props.insert("arn".into(), json!(d.arn()));
    props.insert("engine_version".into(), json!(d.engine_version()));
    props.insert(
        "engine".into(),
        json!(if engine.starts_with("Elasticsearch") {
            "Elasticsearch"
        } else {
            "OpenSearch"
        }),
    );
    props.insert(
        "encryption_at_rest".into(),
        json!(
            d.encryption_at_rest_options()
                .and_then(|e| e.enabled())
                .unwrap_or(false)
        ),
    );
    props.insert(
        "kms_key_id".into(),
        json!(d.encryption_at_rest_options().and_then(|e| e.kms_key_id())),
    );
    props.insert(
        "node_to_node_encryption".into(),
        json!(
            d.node_to_node_encryption_options()
                .and_then(|e| e.enabled())
                .unwrap_or(false)
        ),
    );
    props.insert(
        "enforce_https".into(),
        json!(endpoint.and_then(|e| e.enforce_https()).unwrap_or(false)),
    );
    props.insert(
        "tls_security_policy".into(),
        enum_str(endpoint.and_then(|e| e.tls_security_policy())),
    );
    props.insert("vpc_id".into(), json!(vpc.and_then(|v| v.vpc_id())));
    // VPC options are given for VPC domains only.
    props.insert(
        "in_vpc".into(),
        json!(vpc.is_some_and(|v| v.vpc_id().is_some() || !v.subnet_ids().is_empty())),
    );
    props.insert(
        "fine_grained_access_control".into(),
        json!(security.and_then(|s| s.enabled()).unwrap_or(false)),
    );
    props.insert(
        "internal_user_database".into(),
        json!(security.and_then(|s| s.internal_user_database_enabled())),
    );
    props.insert("published_logs".into(), json!(published_logs(d)));
    props.insert(
        "instance_count".into(),
        json!(cluster.and_then(|c| c.instance_count())),
    );
    props.insert(
        "zone_awareness".into(),
        json!(
            cluster
                .and_then(|c| c.zone_awareness_enabled())
                .unwrap_or(false)
        ),
    );
    props.insert(
        "dedicated_master_enabled".into(),
        json!(
            cluster
                .and_then(|c| c.dedicated_master_enabled())
                .unwrap_or(false)
        ),
    );
    props.insert(
        "dedicated_master_count".into(),
        json!(cluster.and_then(|c| c.dedicated_master_count())),
    );
    props.insert(
        "update_available".into(),
        json!(
            d.service_software_options()
                .and_then(|s| s.update_available())
        ),
    );
    put(
        &mut props,
        "access_policy",
        Some(policy_document(
            d.access_policies().filter(|p| !p.is_empty()),
        )),
    );
    Value::Object(props)
}

#[cfg(test)]
mod tests {
    use aws_sdk_opensearch::types::{
        ClusterConfig, DomainEndpointOptions, EncryptionAtRestOptions, LogPublishingOption,
        TlsSecurityPolicy,
    };

    use super::*;

    #[test]
    fn a_public_elasticsearch_domain_with_application_logs() {
        let d = DomainStatus::builder()
            .domain_id("111122223333/search")
            .domain_name("search")
            .arn("arn:aws:es:us-east-1:111122223333:domain/search")
            .engine_version("Elasticsearch_7.10")
            .cluster_config(ClusterConfig::builder().instance_count(1).build())
            .encryption_at_rest_options(EncryptionAtRestOptions::builder().enabled(true).build())
            .domain_endpoint_options(
                DomainEndpointOptions::builder()
                    .enforce_https(true)
                    .tls_security_policy(TlsSecurityPolicy::PolicyMinTls10201907)
                    .build(),
            )
            .log_publishing_options(
                LogType::EsApplicationLogs,
                LogPublishingOption::builder()
                    .enabled(true)
                    .cloud_watch_logs_log_group_arn(
                        "arn:aws:logs:us-east-1:111122223333:log-group:es:*",
                    )
                    .build(),
            )
            .log_publishing_options(
                LogType::AuditLogs,
                LogPublishingOption::builder().enabled(false).build(),
            )
            .access_policies("")
            .build()
            .unwrap();
        let props = domain_properties(&d);
        assert_eq!(props["engine"], "Elasticsearch");
        assert_eq!(props["vpc_id"], Value::Null);
        assert_eq!(props["in_vpc"], false);
        assert_eq!(props["encryption_at_rest"], true);
        assert_eq!(props["node_to_node_encryption"], false);
        assert_eq!(props["tls_security_policy"], "Policy-Min-TLS-1-0-2019-07");
        assert_eq!(props["published_logs"], json!(["ES_APPLICATION_LOGS"]));
        assert_eq!(props["instance_count"], 1);
        assert_eq!(props["access_policy"], Value::Null);
    }
}
