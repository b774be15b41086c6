//! Amazon EMR: the region's block public access setting, its active clusters (whether
//! the primary node has a public IP, network placement, roles, the security
//! configuration) and the security configurations those clusters use (encryption at
//! rest and in transit). Steps, notebooks and data are never read.
//!
//! One listing (ListClusters, active states only) and one setting read
//! (GetBlockPublicAccessConfiguration); per active cluster, DescribeCluster and
//! ListInstances for its primary node. Security configurations are read by the names
//! clusters give, not listed: one that no cluster uses protects nothing, and an account
//! without clusters costs one listing per region. A failed read is a gap on the cluster,
//! which keeps its id and name only.
//!
//! Relations: cluster `member_of` its subnet, `uses` its security groups, service role,
//! instance profile role and security configuration.

use std::collections::BTreeSet;
use std::sync::Mutex;

use aws_sdk_emr::Client;
use aws_sdk_emr::types::{ClusterState, ClusterSummary, InstanceGroupType};
use serde_json::{Map, Value, json};
use vigil_inventory::Resource;

use crate::registry::{Collector, Scope};
use crate::shape::{ec2_id, enum_str, tag_map};
use crate::{Ctx, client, list_all};

pub const COLLECTOR: Collector = Collector {
    service: "elasticmapreduce",
    scope: Scope::Regional,
    actions: &[
        "elasticmapreduce:ListClusters",
        "elasticmapreduce:DescribeCluster",
        "elasticmapreduce:ListInstances",
        "elasticmapreduce:GetBlockPublicAccessConfiguration",
        "elasticmapreduce:DescribeSecurityConfiguration",
    ],
    run: |ctx| Box::pin(collect(ctx)),
};

const CLUSTER: &str = "aws.emr.cluster";
const SECURITY_CONFIGURATION: &str = "aws.emr.security_configuration";

const GONE: &[&str] = &["InvalidRequestException"];

async fn collect(ctx: Ctx) {
    let client = client!(ctx, aws_sdk_emr);
    let listing = async {
        list_all!(
            ctx,
            "elasticmapreduce:ListClusters",
            &[CLUSTER, SECURITY_CONFIGURATION],
            client
                .list_clusters()
                .cluster_states(ClusterState::Starting)
                .cluster_states(ClusterState::Bootstrapping)
                .cluster_states(ClusterState::Running)
                .cluster_states(ClusterState::Waiting)
        )
        .await
    };
    let (clusters, _) = futures::join!(listing, block_public_access(&ctx, &client));
    let Some(clusters) = clusters else {
        return;
    };
    let configurations: Mutex<BTreeSet<String>> = Mutex::default();
    ctx.each(clusters, |c| cluster(&ctx, &client, c, &configurations))
        .await;
    let configurations = configurations.into_inner().expect("configuration set lock");
    ctx.each(configurations, |name| {
        security_configuration(&ctx, &client, name)
    })
    .await;
}

/// The region's block public access setting, on the region node.
async fn block_public_access(ctx: &Ctx, client: &Client) {
    let region_node = crate::region_id(&ctx.account, &ctx.region);
    let Ok(Some(out)) = ctx
        .detail(
            "elasticmapreduce:GetBlockPublicAccessConfiguration",
            &region_node,
            &[],
            client.get_block_public_access_configuration().send(),
        )
        .await
    else {
        return;
    };
    let config = out.block_public_access_configuration();
    let ranges: Vec<Value> = config
        .map(|c| c.permitted_public_security_group_rule_ranges())
        .unwrap_or_default()
        .iter()
        .map(|r| json!({"from": r.min_range(), "to": r.max_range().or(r.min_range())}))
        .collect();
    ctx.set_region(
        "emr_block_public_access",
        json!({
            "block_public_security_group_rules":
                config.and_then(|c| c.block_public_security_group_rules()).unwrap_or(false),
            "permitted_port_ranges": ranges,
        }),
    );
}

async fn cluster(
    ctx: &Ctx,
    client: &Client,
    summary: ClusterSummary,
    configurations: &Mutex<BTreeSet<String>>,
) -> Option<Resource> {
    let id = summary.id()?;
    let arn = summary.cluster_arn().map_or_else(
        || ctx.arn("elasticmapreduce", &format!("cluster/{id}")),
        str::to_owned,
    );
    let (described, primary) = futures::join!(
        ctx.detail(
            "elasticmapreduce:DescribeCluster",
            &arn,
            GONE,
            client.describe_cluster().cluster_id(id).send(),
        ),
        ctx.detail(
            "elasticmapreduce:ListInstances",
            &arn,
            GONE,
            client
                .list_instances()
                .cluster_id(id)
                .instance_group_types(InstanceGroupType::Master)
                .send(),
        ),
    );
    let mut resource = ctx.resource(&arn, CLUSTER);
    resource.name = summary.name().map(str::to_owned);
    let mut props = Map::new();
    props.insert("id".into(), json!(id));
    props.insert("arn".into(), json!(arn));
    props.insert("name".into(), json!(summary.name()));
    props.insert(
        "state".into(),
        enum_str(summary.status().and_then(|s| s.state())),
    );
    match &described {
        Ok(None) => return None,
        Ok(Some(out)) => {
            if let Some(c) = out.cluster() {
                let ec2 = c.ec2_instance_attributes();
                let subnet = ec2.and_then(|e| e.ec2_subnet_id());
                let mut groups: Vec<&str> = Vec::new();
                if let Some(e) = ec2 {
                    groups.extend(e.emr_managed_master_security_group());
                    groups.extend(e.emr_managed_slave_security_group());
                    groups.extend(e.service_access_security_group());
                    groups.extend(
                        e.additional_master_security_groups()
                            .iter()
                            .map(String::as_str),
                    );
                    groups.extend(
                        e.additional_slave_security_groups()
                            .iter()
                            .map(String::as_str),
                    );
                }
                groups.sort_unstable();
                groups.dedup();
                if let Some(subnet) = subnet {
                    ctx.relate(&arn, "member_of", ec2_id(ctx, "subnet", subnet));
                }
                for group in &groups {
                    ctx.relate(&arn, "uses", ec2_id(ctx, "security-group", group));
                }
                if let Some(role) = c.service_role() {
                    ctx.relate(&arn, "uses", role_arn(ctx, role));
                }
                let configuration = c.security_configuration();
                if let Some(name) = configuration {
                    ctx.relate(&arn, "uses", configuration_arn(ctx, name));
                    configurations
                        .lock()
                        .expect("configuration set lock")
                        .insert(name.to_owned());
                }
                resource.tags = tag_map(c.tags().iter().map(|t| (t.key(), t.value())));
                props.insert("release_label".into(), json!(c.release_label()));
                props.insert("subnet_id".into(), json!(subnet));
                props.insert("security_group_ids".into(), json!(groups));
                props.insert("service_role".into(), json!(c.service_role()));
                props.insert(
                    "instance_profile".into(),
                    json!(ec2.and_then(|e| e.iam_instance_profile())),
                );
                props.insert("security_configuration".into(), json!(configuration));
                props.insert("log_uri".into(), json!(c.log_uri()));
                props.insert(
                    "termination_protected".into(),
                    json!(c.termination_protected()),
                );
                props.insert(
                    "master_public_dns_name".into(),
                    json!(c.master_public_dns_name()),
                );
            }
        }
        Err(_) => {}
    }
    if let Ok(answer) = &primary {
        let ips: Vec<&str> = answer
            .iter()
            .flat_map(|out| out.instances())
            .filter_map(|i| i.public_ip_address())
            .filter(|ip| !ip.is_empty())
            .collect();
        props.insert("primary_public_ips".into(), json!(ips));
    }
    resource.properties = Value::Object(props).into();
    Some(resource)
}

async fn security_configuration(ctx: &Ctx, client: &Client, name: String) -> Option<Resource> {
    let arn = configuration_arn(ctx, &name);
    let described = ctx
        .detail(
            "elasticmapreduce:DescribeSecurityConfiguration",
            &arn,
            GONE,
            client.describe_security_configuration().name(&name).send(),
        )
        .await;
    let mut resource = ctx.resource(&arn, SECURITY_CONFIGURATION);
    resource.name = Some(name.clone());
    let mut props = Map::new();
    props.insert("name".into(), json!(name));
    match &described {
        Ok(None) => return None,
        Ok(Some(out)) => {
            // The configuration is a JSON document; an unparsable one leaves the
            // encryption properties out, so rules say ERROR.
            if let Some(doc) = out
                .security_configuration()
                .and_then(|s| serde_json::from_str::<Value>(s).ok())
            {
                let encryption = doc.get("EncryptionConfiguration");
                let flag = |key: &str| {
                    encryption
                        .and_then(|e| e.get(key))
                        .and_then(Value::as_bool)
                        .unwrap_or(false)
                };
                props.insert(
                    "at_rest_encryption".into(),
                    json!(flag("EnableAtRestEncryption")),
                );
                props.insert(
                    "in_transit_encryption".into(),
                    json!(flag("EnableInTransitEncryption")),
                );
            }
        }
        Err(_) => {}
    }
    resource.properties = Value::Object(props).into();
    Some(resource)
}

/// Security configurations have no ARN in the API; this id names one per region.
fn configuration_arn(ctx: &Ctx, name: &str) -> String {
    ctx.arn(
        "elasticmapreduce",
        &format!("security-configuration/{name}"),
    )
}

/// EMR gives role names (`EMR_DefaultRole`); the graph's role nodes are ARNs.
fn role_arn(ctx: &Ctx, role: &str) -> String {
    if role.starts_with("arn:") {
        role.to_owned()
    } else {
        format!("arn:aws:iam::{}:role/{role}", ctx.account)
    }
}
