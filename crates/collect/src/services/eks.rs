//! EKS: clusters with endpoint access (public, private, the CIDRs the public endpoint
//! admits), Kubernetes secret encryption, control-plane logging and version.
//!
//! Relations: cluster `member_of` its subnets, `uses` its security groups and its role,
//! `encrypted_by` the KMS key that encrypts its secrets.

use aws_sdk_eks::Client;
use serde_json::json;

use crate::registry::{Collector, Scope};
use crate::shape::{ec2_id, enum_str, hash_tags};
use crate::{Ctx, client, list_all};

pub const COLLECTOR: Collector = Collector {
    service: "eks",
    scope: Scope::Regional,
    actions: &["eks:ListClusters", "eks:DescribeCluster"],
    run: |ctx| Box::pin(collect(ctx)),
};

const CLUSTER: &str = "aws.eks.cluster";

async fn collect(ctx: Ctx) {
    let client = client!(ctx, aws_sdk_eks);
    let Some(names) = list_all!(ctx, "eks:ListClusters", &[CLUSTER], client.list_clusters()).await
    else {
        return;
    };
    ctx.each(names, |name| cluster(&ctx, &client, name)).await;
}

async fn cluster(ctx: &Ctx, client: &Client, name: String) -> Option<vigil_inventory::Resource> {
    let id = ctx.arn("eks", &format!("cluster/{name}"));
    let out = ctx
        .detail(
            "eks:DescribeCluster",
            &id,
            &["ResourceNotFoundException"],
            client.describe_cluster().name(&name).send(),
        )
        .await;
    let c = match &out {
        Ok(None) => return None,
        Ok(Some(out)) => out.cluster(),
        Err(_) => None,
    };
    let arn = c.and_then(|c| c.arn()).unwrap_or(&id).to_owned();
    let mut resource = ctx.resource(&arn, CLUSTER);
    resource.name = Some(name.clone());
    let Some(c) = c else {
        // The detail call failed: the cluster exists, its settings are unknown.
        resource.properties = json!({ "name": name }).into();
        return Some(resource);
    };
    let vpc = c.resources_vpc_config();
    for subnet in vpc.map(|v| v.subnet_ids()).unwrap_or_default() {
        ctx.relate(&arn, "member_of", ec2_id(ctx, "subnet", subnet));
    }
    for sg in vpc
        .map(|v| {
            v.security_group_ids()
                .iter()
                .map(String::as_str)
                .chain(v.cluster_security_group_id())
                .collect::<Vec<_>>()
        })
        .unwrap_or_default()
    {
        ctx.relate(&arn, "uses", ec2_id(ctx, "security-group", sg));
    }
    if let Some(role) = c.role_arn() {
        ctx.relate(&arn, "uses", role);
    }
    let mut logged: Vec<&str> = c
        .logging()
        .map(|l| l.cluster_logging())
        .unwrap_or_default()
        .iter()
        .filter(|s| s.enabled().unwrap_or(false))
        .flat_map(|s| s.types().iter().map(|t| t.as_str()))
        .collect();
    logged.sort_unstable();
    // EKS encrypts Kubernetes API data itself; an encryption configuration adds
    // envelope encryption of secrets with a KMS key the account controls.
    let secrets_key = c
        .encryption_config()
        .iter()
        .find_map(|e| e.provider()?.key_arn());
    if let Some(key) = secrets_key {
        ctx.relate(&arn, "encrypted_by", key);
    }
    resource.tags = hash_tags(c.tags());
    resource.properties = json!({
        "name": name,
        "version": c.version(),
        "platform_version": c.platform_version(),
        "status": enum_str(c.status()),
        "endpoint_public_access": vpc.map(|v| v.endpoint_public_access()),
        "endpoint_private_access": vpc.map(|v| v.endpoint_private_access()),
        "public_access_cidrs": vpc.map(|v| v.public_access_cidrs()),
        "logging_types": logged,
        "secrets_kms_key_arn": secrets_key,
    })
    .into();
    Some(resource)
}
