//! EC2 collector: one region's VPC network (VPCs, subnets, route tables, gateways,
//! security groups, network ACLs, flow logs, endpoints, peerings), instances, EBS
//! volumes, snapshots and images, launch templates (`launch_templates.rs`), and the
//! region's EBS encryption defaults.
//!
//! Every listing is paginated and each becomes a type-level gap when it fails. The only
//! per-resource calls are each launch template's latest version, the snapshot permission reads, bounded per region because
//! LocalStack lists thousands of public-image snapshots as owned by the account, and
//! one IAM read per distinct instance profile to find the role an instance runs as.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use aws_sdk_ec2::Client;
use aws_sdk_ec2::types::{
    FlowLog, Image, Instance, InternetGateway, IpPermission, NatGateway, NetworkAcl,
    NetworkAclEntry, NetworkInterface, Route, RouteTable, SecurityGroup, Snapshot,
    SnapshotAttributeName, Subnet, Tag, Volume, Vpc, VpcEndpoint, VpcPeeringConnection,
    VpcPeeringConnectionVpcInfo,
};
use futures::future::BoxFuture;
use futures::{FutureExt, StreamExt};
use serde_json::{Value, json};
use vigil_inventory::Resource;

use crate::calls::CallError;
use crate::registry::{Collector, Scope};
use crate::{Ctx, client, policy_document, time};

mod compute;
mod network;

use compute::*;
use network::*;

pub const COLLECTOR: Collector = Collector {
    service: "ec2",
    scope: Scope::Regional,
    actions: &[
        "ec2:DescribeRegions",
        "ec2:GetEbsEncryptionByDefault",
        "ec2:GetEbsDefaultKmsKeyId",
        "ec2:DescribeVpcs",
        "ec2:DescribeSubnets",
        "ec2:DescribeRouteTables",
        "ec2:DescribeInternetGateways",
        "ec2:DescribeNatGateways",
        "ec2:DescribeSecurityGroups",
        "ec2:DescribeNetworkInterfaces",
        "ec2:DescribeNetworkAcls",
        "ec2:DescribeFlowLogs",
        "ec2:DescribeVpcEndpoints",
        "ec2:DescribeVpcPeeringConnections",
        "ec2:DescribeInstances",
        "iam:GetInstanceProfile",
        "ec2:DescribeVolumes",
        "ec2:DescribeSnapshots",
        "ec2:DescribeSnapshotAttribute",
        "ec2:DescribeImages",
        "ec2:DescribeLaunchTemplates",
        "ec2:DescribeLaunchTemplateVersions",
    ],
    run: |ctx| Box::pin(collect(ctx)),
};

const VPC: &str = "aws.ec2.vpc";
const SUBNET: &str = "aws.ec2.subnet";
const ROUTE_TABLE: &str = "aws.ec2.route_table";
const INTERNET_GATEWAY: &str = "aws.ec2.internet_gateway";
const NAT_GATEWAY: &str = "aws.ec2.nat_gateway";
const SECURITY_GROUP: &str = "aws.ec2.security_group";
const NETWORK_ACL: &str = "aws.ec2.network_acl";
const FLOW_LOG: &str = "aws.ec2.flow_log";
const VPC_ENDPOINT: &str = "aws.ec2.vpc_endpoint";
const PEERING: &str = "aws.ec2.vpc_peering_connection";
const INSTANCE: &str = "aws.ec2.instance";
const VOLUME: &str = "aws.ec2.volume";
const SNAPSHOT: &str = "aws.ec2.snapshot";
const IMAGE: &str = "aws.ec2.image";

/// Listings run at once per region; the runner bounds regions and services in flight.
const PARALLEL_LISTINGS: usize = 4;
/// Per-resource detail calls in flight.
const PARALLEL_DETAILS: usize = 4;
/// Snapshots per region whose create-volume permissions are read; the rest get a
/// `NotCollected` gap so that the public-snapshot rule reports ERROR for them.
const MAX_SNAPSHOT_ATTRIBUTE_CALLS: usize = 200;
/// The volume id AWS gives snapshots that were copied rather than taken of a volume.
const NO_VOLUME: &str = "vol-ffffffff";

async fn collect(ctx: Ctx) {
    let ec2 = client!(ctx, aws_sdk_ec2);
    let listings: Vec<BoxFuture<'_, ()>> = vec![
        ebs_defaults(&ctx, &ec2).boxed(),
        vpcs(&ctx, &ec2).boxed(),
        subnets(&ctx, &ec2).boxed(),
        route_tables(&ctx, &ec2).boxed(),
        internet_gateways(&ctx, &ec2).boxed(),
        nat_gateways(&ctx, &ec2).boxed(),
        security_groups(&ctx, &ec2).boxed(),
        network_acls(&ctx, &ec2).boxed(),
        flow_logs(&ctx, &ec2).boxed(),
        vpc_endpoints(&ctx, &ec2).boxed(),
        peering_connections(&ctx, &ec2).boxed(),
        instances(&ctx, &ec2).boxed(),
        volumes(&ctx, &ec2).boxed(),
        snapshots(&ctx, &ec2).boxed(),
        images(&ctx, &ec2).boxed(),
        super::launch_templates::launch_templates(&ctx, &ec2).boxed(),
    ];
    futures::stream::iter(listings)
        .buffer_unordered(PARALLEL_LISTINGS)
        .collect::<Vec<()>>()
        .await;
}

// ---------------------------------------------------------------------------------
// Shared helpers

/// `arn:aws:ec2:REGION:ACCOUNT:<kind>/<id>`: the id every collector uses for EC2 things.
fn ec2_arn(ctx: &Ctx, kind: &str, id: &str) -> String {
    ctx.arn("ec2", &format!("{kind}/{id}"))
}

/// The ARN of a VPC that may live in another account or region (peering accepters).
fn remote_vpc_arn(ctx: &Ctx, info: &VpcPeeringConnectionVpcInfo) -> Option<String> {
    let vpc = info.vpc_id()?;
    let region = info.region().unwrap_or(&ctx.region);
    let owner = info.owner_id().unwrap_or(&ctx.account);
    Some(format!("arn:aws:ec2:{region}:{owner}:vpc/{vpc}"))
}

/// The id the KMS collector gives a key, `arn:aws:kms:REGION:ACCOUNT:key/ID`, from a key
/// ARN or a bare key id. Aliases would need KMS calls to resolve and give `None`.
pub(crate) fn kms_key_arn(ctx: &Ctx, key: &str) -> Option<String> {
    if key.starts_with("arn:") {
        return key.contains(":key/").then(|| key.to_owned());
    }
    if key.is_empty() || key.starts_with("alias/") {
        return None;
    }
    Some(ctx.arn("kms", &format!("key/{key}")))
}

fn tag_map(tags: &[Tag]) -> BTreeMap<String, String> {
    tags.iter()
        .filter_map(|t| {
            Some((
                t.key()?.to_owned(),
                t.value().unwrap_or_default().to_owned(),
            ))
        })
        .collect()
}

/// A resource of this region with its tags, named by its `Name` tag or else `fallback`.
fn ec2_resource(
    ctx: &Ctx,
    id: String,
    resource_type: &str,
    tags: &[Tag],
    fallback: &str,
    properties: Value,
) -> Resource {
    let mut resource = ctx.resource(id, resource_type);
    resource.tags = tag_map(tags);
    let name = resource.tags.get("Name").filter(|n| !n.is_empty()).cloned();
    resource.name = Some(name.unwrap_or_else(|| fallback.to_owned()));
    resource.properties = properties.into();
    resource
}

/// Ports of a rule: `null` for all protocols (`-1`), where the port fields mean nothing.
fn ports(protocol: &str, from: Option<i32>, to: Option<i32>) -> (Option<i32>, Option<i32>) {
    if protocol == "-1" {
        (None, None)
    } else {
        (from, to)
    }
}

// ---------------------------------------------------------------------------------
// Region: EBS encryption defaults

/// Both defaults live on the `aws.region` node; a failed read leaves the property
/// absent with a gap on that node.
async fn ebs_defaults(ctx: &Ctx, ec2: &Client) {
    let region_node = crate::region_id(&ctx.account, &ctx.region);
    let by_default = ctx
        .detail(
            "ec2:GetEbsEncryptionByDefault",
            &region_node,
            &[],
            ec2.get_ebs_encryption_by_default().send(),
        )
        .await;
    if let Ok(Some(out)) = by_default {
        ctx.set_region(
            "ebs_encryption_by_default",
            json!(out.ebs_encryption_by_default()),
        );
    }
    let key = ctx
        .detail(
            "ec2:GetEbsDefaultKmsKeyId",
            &region_node,
            &[],
            ec2.get_ebs_default_kms_key_id().send(),
        )
        .await;
    if let Ok(Some(out)) = key {
        ctx.set_region("ebs_default_kms_key_id", json!(out.kms_key_id()));
    }
}

// ---------------------------------------------------------------------------------

#[cfg(test)]
mod tests;
