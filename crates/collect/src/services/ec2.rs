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
// VPCs and subnets

async fn vpcs(ctx: &Ctx, ec2: &Client) {
    let listing = ec2
        .describe_vpcs()
        .into_paginator()
        .items()
        .send()
        .try_collect();
    let Some(vpcs) = ctx.list("ec2:DescribeVpcs", &[VPC], listing).await else {
        return;
    };
    for vpc in &vpcs {
        add_vpc(ctx, vpc);
    }
}

fn add_vpc(ctx: &Ctx, vpc: &Vpc) {
    let Some(id) = vpc.vpc_id() else { return };
    ctx.add(ec2_resource(
        ctx,
        ec2_arn(ctx, "vpc", id),
        VPC,
        vpc.tags(),
        id,
        vpc_properties(vpc),
    ));
}

fn vpc_properties(vpc: &Vpc) -> Value {
    // Blocks being removed or that failed to attach carry no traffic.
    let ipv6: Vec<&str> = vpc
        .ipv6_cidr_block_association_set()
        .iter()
        .filter(|a| {
            let state = a
                .ipv6_cidr_block_state()
                .and_then(|s| s.state())
                .map(|s| s.as_str());
            matches!(state, None | Some("associated" | "associating"))
        })
        .filter_map(|a| a.ipv6_cidr_block())
        .collect();
    json!({
        "vpc_id": vpc.vpc_id(),
        "cidr_block": vpc.cidr_block(),
        "ipv6_cidr_blocks": ipv6,
        "is_default": vpc.is_default().unwrap_or(false),
        "state": vpc.state().map(|s| s.as_str()),
    })
}

async fn subnets(ctx: &Ctx, ec2: &Client) {
    let listing = ec2
        .describe_subnets()
        .into_paginator()
        .items()
        .send()
        .try_collect();
    let Some(subnets) = ctx.list("ec2:DescribeSubnets", &[SUBNET], listing).await else {
        return;
    };
    for subnet in &subnets {
        add_subnet(ctx, subnet);
    }
}

fn add_subnet(ctx: &Ctx, subnet: &Subnet) {
    let Some(id) = subnet.subnet_id() else { return };
    let arn = ec2_arn(ctx, "subnet", id);
    let properties = json!({
        "subnet_id": id,
        "vpc_id": subnet.vpc_id(),
        "cidr_block": subnet.cidr_block(),
        "availability_zone": subnet.availability_zone(),
        "map_public_ip_on_launch": subnet.map_public_ip_on_launch(),
    });
    if let Some(vpc) = subnet.vpc_id() {
        ctx.relate(&arn, "member_of", ec2_arn(ctx, "vpc", vpc));
    }
    ctx.add(ec2_resource(
        ctx,
        arn,
        SUBNET,
        subnet.tags(),
        id,
        properties,
    ));
}

// ---------------------------------------------------------------------------------
// Route tables and gateways

async fn route_tables(ctx: &Ctx, ec2: &Client) {
    let listing = ec2
        .describe_route_tables()
        .into_paginator()
        .items()
        .send()
        .try_collect();
    let Some(tables) = ctx
        .list("ec2:DescribeRouteTables", &[ROUTE_TABLE], listing)
        .await
    else {
        return;
    };
    for table in &tables {
        add_route_table(ctx, table);
    }
}

fn add_route_table(ctx: &Ctx, table: &RouteTable) {
    let Some(id) = table.route_table_id() else {
        return;
    };
    let arn = ec2_arn(ctx, "route-table", id);
    for target in route_targets(ctx, table.routes()) {
        ctx.relate(&arn, "routes_to", target);
    }
    let subnets: BTreeSet<&str> = table
        .associations()
        .iter()
        .filter_map(|a| a.subnet_id())
        .collect();
    for subnet in subnets {
        ctx.relate(&arn, "associated_with", ec2_arn(ctx, "subnet", subnet));
    }
    ctx.add(ec2_resource(
        ctx,
        arn,
        ROUTE_TABLE,
        table.tags(),
        id,
        route_table_properties(table),
    ));
}

fn route_table_properties(table: &RouteTable) -> Value {
    let routes: Vec<Value> = table
        .routes()
        .iter()
        .map(|r| {
            json!({
                "destination_cidr": r.destination_cidr_block(),
                "destination_ipv6_cidr": r.destination_ipv6_cidr_block(),
                "gateway_id": r.gateway_id(),
                "nat_gateway_id": r.nat_gateway_id(),
                "vpc_peering_connection_id": r.vpc_peering_connection_id(),
                "state": r.state().map(|s| s.as_str()),
            })
        })
        .collect();
    // Gateway (edge) associations name no subnet and are not the main table.
    let associations: Vec<Value> = table
        .associations()
        .iter()
        .filter(|a| a.subnet_id().is_some() || a.main() == Some(true))
        .map(|a| json!({"subnet_id": a.subnet_id(), "main": a.main().unwrap_or(false)}))
        .collect();
    json!({
        "route_table_id": table.route_table_id(),
        "vpc_id": table.vpc_id(),
        "routes": routes,
        "associations": associations,
    })
}

/// The collected resources routes send traffic to: internet gateways, NAT gateways and
/// peering connections (`local`, VPN and transit gateways are not inventoried).
fn route_targets(ctx: &Ctx, routes: &[Route]) -> BTreeSet<String> {
    let mut targets = BTreeSet::new();
    for route in routes {
        if let Some(igw) = route.gateway_id().filter(|g| g.starts_with("igw-")) {
            targets.insert(ec2_arn(ctx, "internet-gateway", igw));
        }
        if let Some(nat) = route.nat_gateway_id() {
            targets.insert(ec2_arn(ctx, "natgateway", nat));
        }
        if let Some(pcx) = route.vpc_peering_connection_id() {
            targets.insert(ec2_arn(ctx, "vpc-peering-connection", pcx));
        }
    }
    targets
}

async fn internet_gateways(ctx: &Ctx, ec2: &Client) {
    let listing = ec2
        .describe_internet_gateways()
        .into_paginator()
        .items()
        .send()
        .try_collect();
    let Some(gateways) = ctx
        .list("ec2:DescribeInternetGateways", &[INTERNET_GATEWAY], listing)
        .await
    else {
        return;
    };
    for gateway in &gateways {
        add_internet_gateway(ctx, gateway);
    }
}

fn add_internet_gateway(ctx: &Ctx, gateway: &InternetGateway) {
    let Some(id) = gateway.internet_gateway_id() else {
        return;
    };
    let attachments: Vec<Value> = gateway
        .attachments()
        .iter()
        .map(|a| json!({"vpc_id": a.vpc_id(), "state": a.state().map(|s| s.as_str())}))
        .collect();
    let properties = json!({"internet_gateway_id": id, "attachments": attachments});
    let arn = ec2_arn(ctx, "internet-gateway", id);
    ctx.add(ec2_resource(
        ctx,
        arn,
        INTERNET_GATEWAY,
        gateway.tags(),
        id,
        properties,
    ));
}

async fn nat_gateways(ctx: &Ctx, ec2: &Client) {
    let listing = ec2
        .describe_nat_gateways()
        .into_paginator()
        .items()
        .send()
        .try_collect();
    let Some(gateways) = ctx
        .list("ec2:DescribeNatGateways", &[NAT_GATEWAY], listing)
        .await
    else {
        return;
    };
    for gateway in &gateways {
        add_nat_gateway(ctx, gateway);
    }
}

fn add_nat_gateway(ctx: &Ctx, gateway: &NatGateway) {
    let Some(id) = gateway.nat_gateway_id() else {
        return;
    };
    let properties = json!({
        "nat_gateway_id": id,
        "vpc_id": gateway.vpc_id(),
        "subnet_id": gateway.subnet_id(),
        "state": gateway.state().map(|s| s.as_str()),
        "connectivity_type": gateway.connectivity_type().map(|c| c.as_str()),
    });
    let arn = ec2_arn(ctx, "natgateway", id);
    ctx.add(ec2_resource(
        ctx,
        arn,
        NAT_GATEWAY,
        gateway.tags(),
        id,
        properties,
    ));
}

// ---------------------------------------------------------------------------------
// Security groups and network ACLs

/// Security groups, with `attached_enis` counted from the region's network interfaces.
/// If the interfaces cannot be listed, the count is left absent with a gap per group.
async fn security_groups(ctx: &Ctx, ec2: &Client) {
    let groups = ec2
        .describe_security_groups()
        .into_paginator()
        .items()
        .send()
        .try_collect();
    let interfaces = ec2
        .describe_network_interfaces()
        .into_paginator()
        .items()
        .send()
        .try_collect();
    let (groups, interfaces) = futures::join!(
        ctx.list("ec2:DescribeSecurityGroups", &[SECURITY_GROUP], groups),
        ctx.call("ec2:DescribeNetworkInterfaces", interfaces),
    );
    let Some(groups) = groups else { return };
    let counts = match interfaces {
        Ok(interfaces) => Some(eni_counts(&interfaces)),
        Err(err) => {
            for id in groups.iter().filter_map(|g| g.group_id()) {
                ctx.gap_resource(
                    "ec2:DescribeNetworkInterfaces",
                    &ec2_arn(ctx, "security-group", id),
                    &err,
                );
            }
            None
        }
    };
    for group in &groups {
        add_security_group(ctx, group, counts.as_ref());
    }
}

/// Network interfaces per security group id.
fn eni_counts(interfaces: &[NetworkInterface]) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for eni in interfaces {
        let groups: BTreeSet<&str> = eni.groups().iter().filter_map(|g| g.group_id()).collect();
        for group in groups {
            *counts.entry(group.to_owned()).or_default() += 1;
        }
    }
    counts
}

fn add_security_group(
    ctx: &Ctx,
    group: &SecurityGroup,
    eni_counts: Option<&HashMap<String, usize>>,
) {
    let Some(id) = group.group_id() else { return };
    let attached = eni_counts.map(|c| c.get(id).copied().unwrap_or(0));
    let properties = security_group_properties(group, attached);
    let fallback = group.group_name().unwrap_or(id);
    let arn = ec2_arn(ctx, "security-group", id);
    ctx.add(ec2_resource(
        ctx,
        arn,
        SECURITY_GROUP,
        group.tags(),
        fallback,
        properties,
    ));
}

/// `attached_enis` is `None` when the interfaces could not be listed: the key is left out.
fn security_group_properties(group: &SecurityGroup, attached_enis: Option<usize>) -> Value {
    let (ingress, ingress_from_groups) = permission_entries(group.ip_permissions());
    let (egress, _) = permission_entries(group.ip_permissions_egress());
    let mut properties = json!({
        "group_id": group.group_id(),
        "group_name": group.group_name(),
        "vpc_id": group.vpc_id(),
        "description": group.description(),
        "is_default": group.group_name() == Some("default"),
        "ingress": ingress,
        "ingress_from_groups": ingress_from_groups,
        "egress": egress,
    });
    if let (Some(n), Some(map)) = (attached_enis, properties.as_object_mut()) {
        map.insert("attached_enis".into(), json!(n));
    }
    properties
}

/// Flattens permissions into one `{protocol, from_port, to_port, cidr}` per IPv4 or IPv6
/// range, and one `{protocol, from_port, to_port, group_id}` per referenced group.
/// Prefix-list references are not part of the contract and are left out.
fn permission_entries(permissions: &[IpPermission]) -> (Vec<Value>, Vec<Value>) {
    let mut cidrs = Vec::new();
    let mut groups = Vec::new();
    for permission in permissions {
        let protocol = permission.ip_protocol().unwrap_or("-1");
        let (from, to) = ports(protocol, permission.from_port(), permission.to_port());
        let ranges = permission.ip_ranges().iter().filter_map(|r| r.cidr_ip());
        let ipv6 = permission
            .ipv6_ranges()
            .iter()
            .filter_map(|r| r.cidr_ipv6());
        for cidr in ranges.chain(ipv6) {
            cidrs.push(
                json!({"protocol": protocol, "from_port": from, "to_port": to, "cidr": cidr}),
            );
        }
        for pair in permission.user_id_group_pairs() {
            if let Some(group) = pair.group_id() {
                groups.push(json!({"protocol": protocol, "from_port": from, "to_port": to, "group_id": group}));
            }
        }
    }
    (cidrs, groups)
}

async fn network_acls(ctx: &Ctx, ec2: &Client) {
    let listing = ec2
        .describe_network_acls()
        .into_paginator()
        .items()
        .send()
        .try_collect();
    let Some(acls) = ctx
        .list("ec2:DescribeNetworkAcls", &[NETWORK_ACL], listing)
        .await
    else {
        return;
    };
    for acl in &acls {
        add_network_acl(ctx, acl);
    }
}

fn add_network_acl(ctx: &Ctx, acl: &NetworkAcl) {
    let Some(id) = acl.network_acl_id() else {
        return;
    };
    let arn = ec2_arn(ctx, "network-acl", id);
    let subnets: BTreeSet<&str> = acl
        .associations()
        .iter()
        .filter_map(|a| a.subnet_id())
        .collect();
    for subnet in subnets {
        ctx.relate(&arn, "associated_with", ec2_arn(ctx, "subnet", subnet));
    }
    let entries: Vec<Value> = acl.entries().iter().flat_map(nacl_entries).collect();
    let properties = json!({
        "network_acl_id": id,
        "vpc_id": acl.vpc_id(),
        "is_default": acl.is_default().unwrap_or(false),
        "entries": entries,
    });
    ctx.add(ec2_resource(
        ctx,
        arn,
        NETWORK_ACL,
        acl.tags(),
        id,
        properties,
    ));
}

/// One flattened entry per CIDR of a NACL entry (an entry has an IPv4 or an IPv6 block).
fn nacl_entries(entry: &NetworkAclEntry) -> Vec<Value> {
    let protocol = entry.protocol().unwrap_or("-1");
    let range = entry.port_range();
    let (from, to) = ports(
        protocol,
        range.and_then(|r| r.from()),
        range.and_then(|r| r.to()),
    );
    [entry.cidr_block(), entry.ipv6_cidr_block()]
        .into_iter()
        .flatten()
        .map(|cidr| {
            json!({
                "rule_number": entry.rule_number(),
                "protocol": protocol,
                "rule_action": entry.rule_action().map(|a| a.as_str()),
                "egress": entry.egress().unwrap_or(false),
                "cidr": cidr,
                "from_port": from,
                "to_port": to,
            })
        })
        .collect()
}

// ---------------------------------------------------------------------------------
// Flow logs, endpoints, peering connections

async fn flow_logs(ctx: &Ctx, ec2: &Client) {
    let listing = ec2
        .describe_flow_logs()
        .into_paginator()
        .items()
        .send()
        .try_collect();
    let Some(logs) = ctx.list("ec2:DescribeFlowLogs", &[FLOW_LOG], listing).await else {
        return;
    };
    for log in &logs {
        add_flow_log(ctx, log);
    }
}

fn add_flow_log(ctx: &Ctx, log: &FlowLog) {
    let Some(id) = log.flow_log_id() else { return };
    let arn = ec2_arn(ctx, "vpc-flow-log", id);
    if let Some(watched) = log.resource_id().and_then(|r| flow_log_subject(ctx, r)) {
        ctx.relate(&arn, "monitors", watched);
    }
    let destination = flow_log_destination(ctx, log);
    if let Some(target) = destination.as_deref().and_then(|d| flow_log_target(log, d)) {
        ctx.relate(&arn, "delivers_to", target);
    }
    let properties = json!({
        "flow_log_id": id,
        "resource_id": log.resource_id(),
        "traffic_type": log.traffic_type().map(|t| t.as_str()),
        "log_destination_type": log.log_destination_type().map(|t| t.as_str()),
        "log_destination": destination,
        "deliver_logs_status": log.deliver_logs_status(),
    });
    ctx.add(ec2_resource(ctx, arn, FLOW_LOG, log.tags(), id, properties));
}

/// What a flow log watches: a VPC, a subnet or a network interface.
fn flow_log_subject(ctx: &Ctx, resource_id: &str) -> Option<String> {
    let kind = match resource_id.split_once('-')?.0 {
        "vpc" => "vpc",
        "subnet" => "subnet",
        "eni" => "network-interface",
        _ => return None,
    };
    Some(ec2_arn(ctx, kind, resource_id))
}

/// Where the flow log delivers; flow logs created before `LogDestination` existed name
/// only their log group.
fn flow_log_destination(ctx: &Ctx, log: &FlowLog) -> Option<String> {
    log.log_destination().map(str::to_owned).or_else(|| {
        log.log_group_name()
            .map(|g| ctx.arn("logs", &format!("log-group:{g}")))
    })
}

/// The id of the bucket or log group a flow log delivers to (Firehose is not inventoried).
fn flow_log_target(log: &FlowLog, destination: &str) -> Option<String> {
    match log.log_destination_type().map(|t| t.as_str()) {
        Some("s3") => {
            let (prefix, path) = destination.split_once(":::")?;
            let bucket = path.split('/').next().filter(|b| !b.is_empty())?;
            Some(format!("{prefix}:::{bucket}"))
        }
        Some("cloud-watch-logs") | None => Some(
            destination
                .strip_suffix(":*")
                .unwrap_or(destination)
                .to_owned(),
        ),
        Some(_) => None,
    }
}

async fn vpc_endpoints(ctx: &Ctx, ec2: &Client) {
    let listing = ec2
        .describe_vpc_endpoints()
        .into_paginator()
        .items()
        .send()
        .try_collect();
    let Some(endpoints) = ctx
        .list("ec2:DescribeVpcEndpoints", &[VPC_ENDPOINT], listing)
        .await
    else {
        return;
    };
    for endpoint in &endpoints {
        add_vpc_endpoint(ctx, endpoint);
    }
}

fn add_vpc_endpoint(ctx: &Ctx, endpoint: &VpcEndpoint) {
    let Some(id) = endpoint.vpc_endpoint_id() else {
        return;
    };
    let properties = json!({
        "vpc_endpoint_id": id,
        "vpc_id": endpoint.vpc_id(),
        "service_name": endpoint.service_name(),
        "vpc_endpoint_type": endpoint.vpc_endpoint_type().map(|t| t.as_str()),
        "policy": policy_document(endpoint.policy_document()),
        "state": endpoint.state().map(|s| s.as_str()),
    });
    let arn = ec2_arn(ctx, "vpc-endpoint", id);
    ctx.add(ec2_resource(
        ctx,
        arn,
        VPC_ENDPOINT,
        endpoint.tags(),
        id,
        properties,
    ));
}

async fn peering_connections(ctx: &Ctx, ec2: &Client) {
    let listing = ec2
        .describe_vpc_peering_connections()
        .into_paginator()
        .items()
        .send()
        .try_collect();
    let Some(peerings) = ctx
        .list("ec2:DescribeVpcPeeringConnections", &[PEERING], listing)
        .await
    else {
        return;
    };
    for peering in &peerings {
        add_peering_connection(ctx, peering);
    }
}

fn add_peering_connection(ctx: &Ctx, peering: &VpcPeeringConnection) {
    let Some(id) = peering.vpc_peering_connection_id() else {
        return;
    };
    let arn = ec2_arn(ctx, "vpc-peering-connection", id);
    let requester = peering.requester_vpc_info();
    let accepter = peering.accepter_vpc_info();
    for vpc in [requester, accepter]
        .into_iter()
        .flatten()
        .filter_map(|i| remote_vpc_arn(ctx, i))
    {
        ctx.relate(&arn, "peers_with", vpc);
    }
    let properties = json!({
        "vpc_peering_connection_id": id,
        "requester_vpc_id": requester.and_then(|i| i.vpc_id()),
        "requester_owner_id": requester.and_then(|i| i.owner_id()),
        "accepter_vpc_id": accepter.and_then(|i| i.vpc_id()),
        "accepter_owner_id": accepter.and_then(|i| i.owner_id()),
        "status": peering.status().and_then(|s| s.code()).map(|c| c.as_str()),
    });
    ctx.add(ec2_resource(
        ctx,
        arn,
        PEERING,
        peering.tags(),
        id,
        properties,
    ));
}

// ---------------------------------------------------------------------------------
// Instances

async fn instances(ctx: &Ctx, ec2: &Client) {
    let listing = ec2
        .describe_instances()
        .into_paginator()
        .items()
        .send()
        .try_collect();
    let Some(reservations) = ctx
        .list("ec2:DescribeInstances", &[INSTANCE], listing)
        .await
    else {
        return;
    };
    let instances: Vec<&Instance> = reservations.iter().flat_map(|r| r.instances()).collect();
    let profiles: BTreeSet<&str> = instances
        .iter()
        .filter_map(|i| i.iam_instance_profile().and_then(|p| p.arn()))
        .collect();
    let roles = profile_roles(ctx, profiles).await;
    for instance in instances {
        add_instance(ctx, instance, &roles);
    }
}

/// The roles of each instance profile, for the instance's `uses` relation. A profile
/// that cannot be read gets a gap and no relation; its ARN is still a property.
async fn profile_roles(ctx: &Ctx, profiles: BTreeSet<&str>) -> HashMap<String, Vec<String>> {
    if profiles.is_empty() {
        return HashMap::new();
    }
    let iam = client!(ctx, aws_sdk_iam);
    // Futures built up front: a closure over borrowed items inside the stream trips the
    // compiler's Send inference for the boxed collector future.
    let lookups: Vec<_> = profiles
        .into_iter()
        .map(|p| profile_role(ctx, &iam, p))
        .collect();
    futures::stream::iter(lookups)
        .buffer_unordered(PARALLEL_DETAILS)
        .collect()
        .await
}

/// One profile's role ARNs; none when the profile is gone or cannot be read.
async fn profile_role(
    ctx: &Ctx,
    iam: &aws_sdk_iam::Client,
    profile: &str,
) -> (String, Vec<String>) {
    let name = profile.rsplit('/').next().unwrap_or(profile);
    let call = iam
        .get_instance_profile()
        .instance_profile_name(name)
        .send();
    let roles = match ctx
        .detail("iam:GetInstanceProfile", profile, &["NoSuchEntity"], call)
        .await
    {
        Ok(Some(out)) => out
            .instance_profile()
            .map(|p| p.roles().iter().map(|r| r.arn().to_owned()).collect())
            .unwrap_or_default(),
        _ => Vec::new(),
    };
    (profile.to_owned(), roles)
}

fn add_instance(ctx: &Ctx, instance: &Instance, roles: &HashMap<String, Vec<String>>) {
    let Some(id) = instance.instance_id() else {
        return;
    };
    let arn = ec2_arn(ctx, "instance", id);
    let groups: Vec<&str> = instance
        .security_groups()
        .iter()
        .filter_map(|g| g.group_id())
        .collect();
    for group in &groups {
        ctx.relate(&arn, "uses", ec2_arn(ctx, "security-group", group));
    }
    let profile = instance.iam_instance_profile().and_then(|p| p.arn());
    for role in profile.and_then(|p| roles.get(p)).into_iter().flatten() {
        ctx.relate(&arn, "uses", role);
    }
    if let Some(subnet) = instance.subnet_id().filter(|s| !s.is_empty()) {
        ctx.relate(&arn, "member_of", ec2_arn(ctx, "subnet", subnet));
    }
    let properties = instance_properties(instance, &groups);
    ctx.add(ec2_resource(
        ctx,
        arn,
        INSTANCE,
        instance.tags(),
        id,
        properties,
    ));
}

fn instance_properties(instance: &Instance, security_group_ids: &[&str]) -> Value {
    let metadata = instance.metadata_options();
    json!({
        "instance_id": instance.instance_id(),
        "instance_type": instance.instance_type().map(|t| t.as_str()),
        "image_id": instance.image_id(),
        "launch_time": time(instance.launch_time()),
        "state": instance.state().and_then(|s| s.name()).map(|n| n.as_str()),
        "metadata_options": {
            "http_tokens": metadata.and_then(|m| m.http_tokens()).map(|t| t.as_str()),
            "http_endpoint": metadata.and_then(|m| m.http_endpoint()).map(|e| e.as_str()),
            "http_put_response_hop_limit": metadata.and_then(|m| m.http_put_response_hop_limit()),
        },
        "public_ip_address": instance.public_ip_address().filter(|ip| !ip.is_empty()),
        "iam_instance_profile_arn": instance.iam_instance_profile().and_then(|p| p.arn()),
        "security_group_ids": security_group_ids,
        "subnet_id": instance.subnet_id().filter(|s| !s.is_empty()),
        "vpc_id": instance.vpc_id().filter(|v| !v.is_empty()),
    })
}

// ---------------------------------------------------------------------------------
// EBS volumes, snapshots, images

async fn volumes(ctx: &Ctx, ec2: &Client) {
    let listing = ec2
        .describe_volumes()
        .into_paginator()
        .items()
        .send()
        .try_collect();
    let Some(volumes) = ctx.list("ec2:DescribeVolumes", &[VOLUME], listing).await else {
        return;
    };
    for volume in &volumes {
        add_volume(ctx, volume);
    }
}

fn add_volume(ctx: &Ctx, volume: &Volume) {
    let Some(id) = volume.volume_id() else { return };
    let arn = ec2_arn(ctx, "volume", id);
    if let Some(key) = volume.kms_key_id().and_then(|k| kms_key_arn(ctx, k)) {
        ctx.relate(&arn, "encrypted_by", key);
    }
    if let Some(snapshot) = volume.snapshot_id().filter(|s| !s.is_empty()) {
        ctx.relate(&arn, "created_from", ec2_arn(ctx, "snapshot", snapshot));
    }
    let attachments: Vec<&str> = volume
        .attachments()
        .iter()
        .filter_map(|a| a.instance_id())
        .collect();
    let properties = json!({
        "volume_id": id,
        "encrypted": volume.encrypted().unwrap_or(false),
        "kms_key_id": volume.kms_key_id(),
        "state": volume.state().map(|s| s.as_str()),
        "size_gib": volume.size(),
        "attachments": attachments,
    });
    ctx.add(ec2_resource(
        ctx,
        arn,
        VOLUME,
        volume.tags(),
        id,
        properties,
    ));
}

/// Snapshots the account owns. Create-volume permissions are read for at most
/// [`MAX_SNAPSHOT_ATTRIBUTE_CALLS`] snapshots, tagged and newest first (the ones most
/// likely to be the account's own work); the others are inventoried without them and
/// carry a `NotCollected` gap.
async fn snapshots(ctx: &Ctx, ec2: &Client) {
    let listing = ec2
        .describe_snapshots()
        .owner_ids("self")
        .into_paginator()
        .items()
        .send()
        .try_collect();
    let Some(mut snapshots) = ctx
        .list("ec2:DescribeSnapshots", &[SNAPSHOT], listing)
        .await
    else {
        return;
    };
    snapshots.retain(|s| s.owner_id().is_none_or(|owner| owner == ctx.account));
    order_for_detail(&mut snapshots);
    let (checked, unchecked) =
        snapshots.split_at(snapshots.len().min(MAX_SNAPSHOT_ATTRIBUTE_CALLS));
    let reads: Vec<_> = checked
        .iter()
        .map(|s| snapshot_permissions(ctx, ec2, s))
        .collect();
    let permissions: Vec<(&Snapshot, Permissions)> = futures::stream::iter(reads)
        .buffer_unordered(PARALLEL_DETAILS)
        .collect()
        .await;
    for (snapshot, permissions) in permissions {
        match permissions {
            Permissions::Read(list) => add_snapshot(ctx, snapshot, Some(list)),
            Permissions::Failed => add_snapshot(ctx, snapshot, None),
            Permissions::Gone => {}
        }
    }
    if !unchecked.is_empty() {
        tracing::info!(region = %ctx.region, skipped = unchecked.len(), "snapshot permissions not read beyond the per-region bound");
    }
    let not_collected = CallError {
        code: "NotCollected".into(),
        message: format!(
            "create-volume permissions read for the first {MAX_SNAPSHOT_ATTRIBUTE_CALLS} of {} snapshots in the region only",
            snapshots.len()
        ),
    };
    for snapshot in unchecked {
        if let Some(id) = snapshot.snapshot_id() {
            ctx.gap_resource(
                "ec2:DescribeSnapshotAttribute",
                &ec2_arn(ctx, "snapshot", id),
                &not_collected,
            );
        }
        add_snapshot(ctx, snapshot, None);
    }
}

/// Tagged snapshots first, then newest first; among equals, later in the listing first.
fn order_for_detail(snapshots: &mut [Snapshot]) {
    snapshots.reverse();
    snapshots.sort_by_key(|s| {
        (
            s.tags().is_empty(),
            Reverse(s.start_time().map(|t| t.secs())),
        )
    });
}

/// The outcome of reading one snapshot's create-volume permissions.
#[derive(Debug)]
enum Permissions {
    Read(Vec<Value>),
    /// The call failed and a gap was recorded: the property stays absent.
    Failed,
    /// The snapshot was deleted between the listing and the read.
    Gone,
}

async fn snapshot_permissions<'a>(
    ctx: &Ctx,
    ec2: &Client,
    snapshot: &'a Snapshot,
) -> (&'a Snapshot, Permissions) {
    let Some(id) = snapshot.snapshot_id() else {
        return (snapshot, Permissions::Gone);
    };
    let call = ec2
        .describe_snapshot_attribute()
        .snapshot_id(id)
        .attribute(SnapshotAttributeName::CreateVolumePermission)
        .send();
    let arn = ec2_arn(ctx, "snapshot", id);
    let permissions = match ctx
        .detail(
            "ec2:DescribeSnapshotAttribute",
            &arn,
            &["InvalidSnapshot.NotFound"],
            call,
        )
        .await
    {
        Ok(Some(out)) => Permissions::Read(
            out.create_volume_permissions()
                .iter()
                .map(|p| json!({"group": p.group().map(|g| g.as_str()), "user_id": p.user_id()}))
                .collect(),
        ),
        Ok(None) => Permissions::Gone,
        Err(_) => Permissions::Failed,
    };
    (snapshot, permissions)
}

/// `permissions` is `None` when they were not read: the key is left out.
fn add_snapshot(ctx: &Ctx, snapshot: &Snapshot, permissions: Option<Vec<Value>>) {
    let Some(id) = snapshot.snapshot_id() else {
        return;
    };
    let arn = ec2_arn(ctx, "snapshot", id);
    if let Some(volume) = snapshot
        .volume_id()
        .filter(|v| !v.is_empty() && *v != NO_VOLUME)
    {
        ctx.relate(&arn, "created_from", ec2_arn(ctx, "volume", volume));
    }
    if let Some(key) = snapshot.kms_key_id().and_then(|k| kms_key_arn(ctx, k)) {
        ctx.relate(&arn, "encrypted_by", key);
    }
    let mut properties = json!({
        "snapshot_id": id,
        "volume_id": snapshot.volume_id(),
        "encrypted": snapshot.encrypted().unwrap_or(false),
        "start_time": time(snapshot.start_time()),
    });
    if let (Some(list), Some(map)) = (permissions, properties.as_object_mut()) {
        map.insert("create_volume_permissions".into(), Value::Array(list));
    }
    ctx.add(ec2_resource(
        ctx,
        arn,
        SNAPSHOT,
        snapshot.tags(),
        id,
        properties,
    ));
}

async fn images(ctx: &Ctx, ec2: &Client) {
    let listing = ec2
        .describe_images()
        .owners("self")
        .into_paginator()
        .items()
        .send()
        .try_collect();
    let Some(images) = ctx.list("ec2:DescribeImages", &[IMAGE], listing).await else {
        return;
    };
    for image in images
        .iter()
        .filter(|i| i.owner_id().is_none_or(|o| o == ctx.account))
    {
        add_image(ctx, image);
    }
}

fn add_image(ctx: &Ctx, image: &Image) {
    let Some(id) = image.image_id() else { return };
    let properties = json!({
        "image_id": id,
        "public": image.public(),
        "creation_date": image.creation_date(),
        "state": image.state().map(|s| s.as_str()),
    });
    let fallback = image.name().unwrap_or(id);
    let arn = ec2_arn(ctx, "image", id);
    ctx.add(ec2_resource(
        ctx,
        arn,
        IMAGE,
        image.tags(),
        fallback,
        properties,
    ));
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use aws_sdk_ec2::types::{
        CreateVolumePermission, GroupIdentifier, HttpTokensState, IamInstanceProfile,
        InstanceMetadataEndpointState, InstanceMetadataOptionsResponse, InstanceState,
        InstanceStateName, InstanceType, IpRange, Ipv6Range, LogDestinationType,
        NetworkAclAssociation, PermissionGroup, PortRange, RouteState, RouteTableAssociation,
        RuleAction, TrafficType, UserIdGroupPair, VpcPeeringConnectionStateReason,
        VpcPeeringConnectionStateReasonCode,
    };
    use aws_smithy_types::DateTime;
    use aws_types::SdkConfig;
    use vigil_inventory::Relation;

    use super::*;

    fn test_ctx() -> Ctx {
        Ctx::new(
            "111122223333".into(),
            "us-east-1".into(),
            SdkConfig::builder().build(),
            Arc::default(),
        )
    }

    fn resources(ctx: &Ctx) -> Vec<Resource> {
        ctx.shared.output.lock().unwrap().resources.clone()
    }

    fn relations(ctx: &Ctx) -> Vec<Relation> {
        ctx.shared.output.lock().unwrap().relations.clone()
    }

    fn has_relation(ctx: &Ctx, from: &str, kind: &str, to: &str) -> bool {
        relations(ctx)
            .iter()
            .any(|r| r.from == from && r.kind == kind && r.to == to)
    }

    fn tag(key: &str, value: &str) -> Tag {
        Tag::builder().key(key).value(value).build()
    }

    #[test]
    fn security_group_rules_are_flattened_per_cidr_and_group() {
        let ssh = IpPermission::builder()
            .ip_protocol("tcp")
            .from_port(22)
            .to_port(22)
            .ip_ranges(IpRange::builder().cidr_ip("0.0.0.0/0").build())
            .ip_ranges(IpRange::builder().cidr_ip("10.0.0.0/8").build())
            .ipv6_ranges(Ipv6Range::builder().cidr_ipv6("::/0").build())
            .user_id_group_pairs(UserIdGroupPair::builder().group_id("sg-peer").build())
            .build();
        let all_out = IpPermission::builder()
            .ip_protocol("-1")
            .from_port(-1)
            .to_port(-1)
            .ip_ranges(IpRange::builder().cidr_ip("0.0.0.0/0").build())
            .build();
        let group = SecurityGroup::builder()
            .group_id("sg-1")
            .group_name("default")
            .vpc_id("vpc-1")
            .description("default VPC security group")
            .ip_permissions(ssh)
            .ip_permissions_egress(all_out)
            .build();
        let props = security_group_properties(&group, Some(3));
        assert_eq!(props["is_default"], json!(true));
        assert_eq!(props["attached_enis"], json!(3));
        assert_eq!(
            props["ingress"],
            json!([
                {"protocol": "tcp", "from_port": 22, "to_port": 22, "cidr": "0.0.0.0/0"},
                {"protocol": "tcp", "from_port": 22, "to_port": 22, "cidr": "10.0.0.0/8"},
                {"protocol": "tcp", "from_port": 22, "to_port": 22, "cidr": "::/0"},
            ])
        );
        assert_eq!(
            props["ingress_from_groups"],
            json!([{"protocol": "tcp", "from_port": 22, "to_port": 22, "group_id": "sg-peer"}])
        );
        assert_eq!(
            props["egress"],
            json!([{"protocol": "-1", "from_port": null, "to_port": null, "cidr": "0.0.0.0/0"}])
        );
    }

    #[test]
    fn attached_enis_is_absent_when_interfaces_were_not_listed() {
        let group = SecurityGroup::builder()
            .group_id("sg-1")
            .group_name("app")
            .build();
        let props = security_group_properties(&group, None);
        assert!(props.get("attached_enis").is_none());
        assert_eq!(props["is_default"], json!(false));
        assert_eq!(props["ingress"], json!([]));
    }

    #[test]
    fn enis_are_counted_per_group() {
        let eni = |groups: &[&str]| {
            let mut b = NetworkInterface::builder();
            for g in groups {
                b = b.groups(GroupIdentifier::builder().group_id(*g).build());
            }
            b.build()
        };
        let counts = eni_counts(&[eni(&["sg-a", "sg-b"]), eni(&["sg-a"]), eni(&[])]);
        assert_eq!(counts.get("sg-a"), Some(&2));
        assert_eq!(counts.get("sg-b"), Some(&1));
        assert_eq!(counts.get("sg-c"), None);
    }

    #[test]
    fn nacl_entries_keep_ipv4_and_ipv6_and_null_ports_for_all_protocols() {
        let ctx = test_ctx();
        let acl = NetworkAcl::builder()
            .network_acl_id("acl-1")
            .vpc_id("vpc-1")
            .is_default(true)
            .entries(
                NetworkAclEntry::builder()
                    .rule_number(100)
                    .protocol("6")
                    .rule_action(RuleAction::Allow)
                    .egress(false)
                    .cidr_block("0.0.0.0/0")
                    .port_range(PortRange::builder().from(22).to(22).build())
                    .build(),
            )
            .entries(
                NetworkAclEntry::builder()
                    .rule_number(32768)
                    .protocol("-1")
                    .rule_action(RuleAction::Deny)
                    .egress(true)
                    .ipv6_cidr_block("::/0")
                    .build(),
            )
            .associations(
                NetworkAclAssociation::builder()
                    .subnet_id("subnet-1")
                    .build(),
            )
            .build();
        add_network_acl(&ctx, &acl);
        let props = &resources(&ctx)[0].properties;
        assert_eq!(
            props["entries"],
            json!([
                {"rule_number": 100, "protocol": "6", "rule_action": "allow", "egress": false,
                 "cidr": "0.0.0.0/0", "from_port": 22, "to_port": 22},
                {"rule_number": 32768, "protocol": "-1", "rule_action": "deny", "egress": true,
                 "cidr": "::/0", "from_port": null, "to_port": null},
            ])
        );
        assert_eq!(props["is_default"], json!(true));
        assert!(has_relation(
            &ctx,
            "arn:aws:ec2:us-east-1:111122223333:network-acl/acl-1",
            "associated_with",
            "arn:aws:ec2:us-east-1:111122223333:subnet/subnet-1"
        ));
    }

    #[test]
    fn route_tables_route_to_gateways_and_peerings() {
        let ctx = test_ctx();
        let table = RouteTable::builder()
            .route_table_id("rtb-1")
            .vpc_id("vpc-1")
            .routes(
                Route::builder()
                    .destination_cidr_block("10.0.0.0/16")
                    .gateway_id("local")
                    .state(RouteState::Active)
                    .build(),
            )
            .routes(
                Route::builder()
                    .destination_cidr_block("0.0.0.0/0")
                    .gateway_id("igw-1")
                    .build(),
            )
            .routes(
                Route::builder()
                    .destination_ipv6_cidr_block("::/0")
                    .vpc_peering_connection_id("pcx-1")
                    .build(),
            )
            .routes(
                Route::builder()
                    .destination_cidr_block("10.9.0.0/16")
                    .nat_gateway_id("nat-1")
                    .build(),
            )
            .associations(RouteTableAssociation::builder().main(true).build())
            .associations(
                RouteTableAssociation::builder()
                    .main(false)
                    .subnet_id("subnet-1")
                    .build(),
            )
            .associations(
                RouteTableAssociation::builder()
                    .main(false)
                    .gateway_id("igw-1")
                    .build(),
            )
            .build();
        add_route_table(&ctx, &table);
        let props = &resources(&ctx)[0].properties;
        assert_eq!(
            props["routes"][0],
            json!({"destination_cidr": "10.0.0.0/16", "destination_ipv6_cidr": null, "gateway_id": "local",
                   "nat_gateway_id": null, "vpc_peering_connection_id": null, "state": "active"})
        );
        assert_eq!(
            props["routes"][2]["vpc_peering_connection_id"],
            json!("pcx-1")
        );
        assert_eq!(props["routes"][2]["destination_ipv6_cidr"], json!("::/0"));
        assert_eq!(
            props["associations"],
            json!([{"subnet_id": null, "main": true}, {"subnet_id": "subnet-1", "main": false}])
        );
        let rtb = "arn:aws:ec2:us-east-1:111122223333:route-table/rtb-1";
        let p = "arn:aws:ec2:us-east-1:111122223333:";
        assert!(has_relation(
            &ctx,
            rtb,
            "routes_to",
            &format!("{p}internet-gateway/igw-1")
        ));
        assert!(has_relation(
            &ctx,
            rtb,
            "routes_to",
            &format!("{p}natgateway/nat-1")
        ));
        assert!(has_relation(
            &ctx,
            rtb,
            "routes_to",
            &format!("{p}vpc-peering-connection/pcx-1")
        ));
        assert!(has_relation(
            &ctx,
            rtb,
            "associated_with",
            &format!("{p}subnet/subnet-1")
        ));
        assert_eq!(relations(&ctx).len(), 4, "no relation for the local route");
    }

    #[test]
    fn flow_logs_monitor_their_vpc_and_deliver_to_bucket_or_log_group() {
        let ctx = test_ctx();
        let to_s3 = FlowLog::builder()
            .flow_log_id("fl-1")
            .resource_id("vpc-1")
            .traffic_type(TrafficType::All)
            .log_destination_type(LogDestinationType::S3)
            .log_destination("arn:aws:s3:::flow-bucket/prefix/")
            .deliver_logs_status("SUCCESS")
            .build();
        let to_logs = FlowLog::builder()
            .flow_log_id("fl-2")
            .resource_id("subnet-1")
            .traffic_type(TrafficType::Reject)
            .log_group_name("/vpc/flow")
            .build();
        add_flow_log(&ctx, &to_s3);
        add_flow_log(&ctx, &to_logs);
        let p = "arn:aws:ec2:us-east-1:111122223333:";
        assert!(has_relation(
            &ctx,
            &format!("{p}vpc-flow-log/fl-1"),
            "monitors",
            &format!("{p}vpc/vpc-1")
        ));
        assert!(has_relation(
            &ctx,
            &format!("{p}vpc-flow-log/fl-1"),
            "delivers_to",
            "arn:aws:s3:::flow-bucket"
        ));
        assert!(has_relation(
            &ctx,
            &format!("{p}vpc-flow-log/fl-2"),
            "monitors",
            &format!("{p}subnet/subnet-1")
        ));
        let group = "arn:aws:logs:us-east-1:111122223333:log-group:/vpc/flow";
        assert!(has_relation(
            &ctx,
            &format!("{p}vpc-flow-log/fl-2"),
            "delivers_to",
            group
        ));
        let all = resources(&ctx);
        assert_eq!(all[0].properties["traffic_type"], json!("ALL"));
        assert_eq!(all[0].properties["log_destination_type"], json!("s3"));
        assert_eq!(all[1].properties["log_destination"], json!(group));
        assert_eq!(all[1].properties["deliver_logs_status"], Value::Null);
    }

    #[test]
    fn cloud_watch_destinations_lose_the_trailing_wildcard() {
        let log = FlowLog::builder()
            .log_destination_type(LogDestinationType::CloudWatchLogs)
            .build();
        assert_eq!(
            flow_log_target(&log, "arn:aws:logs:us-east-1:1:log-group:g:*").as_deref(),
            Some("arn:aws:logs:us-east-1:1:log-group:g")
        );
        let firehose = FlowLog::builder()
            .log_destination_type(LogDestinationType::KinesisDataFirehose)
            .build();
        assert_eq!(
            flow_log_target(&firehose, "arn:aws:firehose:us-east-1:1:deliverystream/x"),
            None
        );
    }

    #[test]
    fn instances_carry_metadata_options_and_relations() {
        let ctx = test_ctx();
        let instance = Instance::builder()
            .instance_id("i-1")
            .instance_type(InstanceType::T3Micro)
            .image_id("ami-1")
            .launch_time(DateTime::from_secs(1_700_000_000))
            .state(
                InstanceState::builder()
                    .name(InstanceStateName::Running)
                    .build(),
            )
            .metadata_options(
                InstanceMetadataOptionsResponse::builder()
                    .http_tokens(HttpTokensState::Optional)
                    .http_endpoint(InstanceMetadataEndpointState::Enabled)
                    .http_put_response_hop_limit(1)
                    .build(),
            )
            .public_ip_address("54.1.2.3")
            .iam_instance_profile(
                IamInstanceProfile::builder()
                    .arn("arn:aws:iam::111122223333:instance-profile/app")
                    .build(),
            )
            .security_groups(GroupIdentifier::builder().group_id("sg-1").build())
            .subnet_id("subnet-1")
            .vpc_id("vpc-1")
            .tags(tag("Name", "bastion"))
            .build();
        let roles = HashMap::from([(
            "arn:aws:iam::111122223333:instance-profile/app".to_owned(),
            vec!["arn:aws:iam::111122223333:role/app".to_owned()],
        )]);
        add_instance(&ctx, &instance, &roles);
        let all = resources(&ctx);
        let r = &all[0];
        assert_eq!(r.name.as_deref(), Some("bastion"));
        assert_eq!(
            r.properties,
            json!({
                "instance_id": "i-1",
                "instance_type": "t3.micro",
                "image_id": "ami-1",
                "launch_time": "2023-11-14T22:13:20Z",
                "state": "running",
                "metadata_options": {"http_tokens": "optional", "http_endpoint": "enabled",
                                     "http_put_response_hop_limit": 1},
                "public_ip_address": "54.1.2.3",
                "iam_instance_profile_arn": "arn:aws:iam::111122223333:instance-profile/app",
                "security_group_ids": ["sg-1"],
                "subnet_id": "subnet-1",
                "vpc_id": "vpc-1",
            })
        );
        let i = "arn:aws:ec2:us-east-1:111122223333:instance/i-1";
        assert!(has_relation(
            &ctx,
            i,
            "uses",
            "arn:aws:ec2:us-east-1:111122223333:security-group/sg-1"
        ));
        assert!(has_relation(
            &ctx,
            i,
            "uses",
            "arn:aws:iam::111122223333:role/app"
        ));
        assert!(has_relation(
            &ctx,
            i,
            "member_of",
            "arn:aws:ec2:us-east-1:111122223333:subnet/subnet-1"
        ));
    }

    #[test]
    fn an_instance_without_profile_or_public_address_has_nulls() {
        let instance = Instance::builder().instance_id("i-2").build();
        let props = instance_properties(&instance, &[]);
        assert_eq!(props["public_ip_address"], Value::Null);
        assert_eq!(props["iam_instance_profile_arn"], Value::Null);
        assert_eq!(props["subnet_id"], Value::Null);
        assert_eq!(props["security_group_ids"], json!([]));
    }

    #[test]
    fn snapshots_keep_permissions_or_leave_them_absent() {
        let ctx = test_ctx();
        let snapshot = Snapshot::builder()
            .snapshot_id("snap-1")
            .volume_id("vol-1")
            .encrypted(true)
            .kms_key_id("arn:aws:kms:us-east-1:111122223333:key/k1")
            .start_time(DateTime::from_secs(0))
            .build();
        let public = CreateVolumePermission::builder()
            .group(PermissionGroup::All)
            .build();
        let permissions =
            vec![json!({"group": public.group().map(|g| g.as_str()), "user_id": public.user_id()})];
        add_snapshot(&ctx, &snapshot, Some(permissions));
        add_snapshot(
            &ctx,
            &Snapshot::builder()
                .snapshot_id("snap-2")
                .volume_id(NO_VOLUME)
                .build(),
            None,
        );
        let all = resources(&ctx);
        assert_eq!(
            all[0].properties["create_volume_permissions"],
            json!([{"group": "all", "user_id": null}])
        );
        assert_eq!(
            all[0].properties["start_time"],
            json!("1970-01-01T00:00:00Z")
        );
        assert!(all[1].properties.get("create_volume_permissions").is_none());
        let s = "arn:aws:ec2:us-east-1:111122223333:snapshot/snap-1";
        assert!(has_relation(
            &ctx,
            s,
            "created_from",
            "arn:aws:ec2:us-east-1:111122223333:volume/vol-1"
        ));
        assert!(has_relation(
            &ctx,
            s,
            "encrypted_by",
            "arn:aws:kms:us-east-1:111122223333:key/k1"
        ));
        assert_eq!(
            relations(&ctx).len(),
            2,
            "no relation to the placeholder volume"
        );
    }

    #[test]
    fn tagged_and_newest_snapshots_are_read_first() {
        let snap = |id: &str, secs: i64, tagged: bool| {
            let b = Snapshot::builder()
                .snapshot_id(id)
                .start_time(DateTime::from_secs(secs));
            if tagged {
                b.tags(tag("Name", id)).build()
            } else {
                b.build()
            }
        };
        let mut list = vec![
            snap("old", 10, false),
            snap("same-a", 20, false),
            snap("same-b", 20, false),
            snap("tagged", 5, true),
        ];
        order_for_detail(&mut list);
        let ids: Vec<&str> = list.iter().filter_map(|s| s.snapshot_id()).collect();
        assert_eq!(ids, ["tagged", "same-b", "same-a", "old"]);
    }

    #[test]
    fn peering_connections_peer_with_both_vpcs_even_in_other_accounts() {
        let ctx = test_ctx();
        let peering = VpcPeeringConnection::builder()
            .vpc_peering_connection_id("pcx-1")
            .requester_vpc_info(
                VpcPeeringConnectionVpcInfo::builder()
                    .vpc_id("vpc-a")
                    .owner_id("111122223333")
                    .build(),
            )
            .accepter_vpc_info(
                VpcPeeringConnectionVpcInfo::builder()
                    .vpc_id("vpc-b")
                    .owner_id("222233334444")
                    .region("eu-west-1")
                    .build(),
            )
            .status(
                VpcPeeringConnectionStateReason::builder()
                    .code(VpcPeeringConnectionStateReasonCode::Active)
                    .build(),
            )
            .build();
        add_peering_connection(&ctx, &peering);
        let pcx = "arn:aws:ec2:us-east-1:111122223333:vpc-peering-connection/pcx-1";
        assert!(has_relation(
            &ctx,
            pcx,
            "peers_with",
            "arn:aws:ec2:us-east-1:111122223333:vpc/vpc-a"
        ));
        assert!(has_relation(
            &ctx,
            pcx,
            "peers_with",
            "arn:aws:ec2:eu-west-1:222233334444:vpc/vpc-b"
        ));
        let props = &resources(&ctx)[0].properties;
        assert_eq!(props["status"], json!("active"));
        assert_eq!(props["accepter_owner_id"], json!("222233334444"));
    }

    #[test]
    fn vpcs_list_associated_ipv6_blocks() {
        use aws_sdk_ec2::types::{
            VpcCidrBlockState, VpcCidrBlockStateCode, VpcIpv6CidrBlockAssociation,
        };
        let block = |cidr: &str, state: VpcCidrBlockStateCode| {
            VpcIpv6CidrBlockAssociation::builder()
                .ipv6_cidr_block(cidr)
                .ipv6_cidr_block_state(VpcCidrBlockState::builder().state(state).build())
                .build()
        };
        let vpc = Vpc::builder()
            .vpc_id("vpc-1")
            .cidr_block("10.0.0.0/16")
            .is_default(false)
            .ipv6_cidr_block_association_set(block("2600::/56", VpcCidrBlockStateCode::Associated))
            .ipv6_cidr_block_association_set(block(
                "2700::/56",
                VpcCidrBlockStateCode::Disassociated,
            ))
            .build();
        assert_eq!(
            vpc_properties(&vpc)["ipv6_cidr_blocks"],
            json!(["2600::/56"])
        );
    }

    #[test]
    fn kms_keys_resolve_to_key_arns_but_aliases_do_not() {
        let ctx = test_ctx();
        assert_eq!(
            kms_key_arn(&ctx, "k1").as_deref(),
            Some("arn:aws:kms:us-east-1:111122223333:key/k1")
        );
        assert_eq!(
            kms_key_arn(&ctx, "arn:aws:kms:eu-west-1:1:key/k2").as_deref(),
            Some("arn:aws:kms:eu-west-1:1:key/k2")
        );
        assert_eq!(kms_key_arn(&ctx, "alias/aws/ebs"), None);
        assert_eq!(kms_key_arn(&ctx, "arn:aws:kms:us-east-1:1:alias/x"), None);
    }

    #[test]
    fn images_and_volumes_carry_their_contract_properties() {
        let ctx = test_ctx();
        let image = Image::builder()
            .image_id("ami-1")
            .name("golden")
            .public(true)
            .creation_date("2025-01-01T00:00:00.000Z")
            .state(aws_sdk_ec2::types::ImageState::Available)
            .build();
        add_image(&ctx, &image);
        let volume = Volume::builder()
            .volume_id("vol-1")
            .encrypted(false)
            .size(8)
            .state(aws_sdk_ec2::types::VolumeState::InUse)
            .attachments(
                aws_sdk_ec2::types::VolumeAttachment::builder()
                    .instance_id("i-1")
                    .build(),
            )
            .build();
        add_volume(&ctx, &volume);
        let all = resources(&ctx);
        assert_eq!(all[0].name.as_deref(), Some("golden"));
        assert_eq!(
            all[0].properties,
            json!({"image_id": "ami-1", "public": true, "creation_date": "2025-01-01T00:00:00.000Z", "state": "available"})
        );
        assert_eq!(
            all[1].properties,
            json!({"volume_id": "vol-1", "encrypted": false, "kms_key_id": null, "state": "in-use",
                   "size_gib": 8, "attachments": ["i-1"]})
        );
    }
}
