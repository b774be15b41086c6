//! The region's VPC network: VPCs, subnets, route tables, internet and NAT gateways,
//! security groups, network ACLs, flow logs, VPC endpoints and peering connections.

use super::*;
// VPCs and subnets

pub(super) async fn vpcs(ctx: &Ctx, ec2: &Client) {
    let listing = ec2
        .describe_vpcs()
        .into_paginator()
        .items()
        .send()
        .try_collect();
    ctx.list_each("ec2:DescribeVpcs", &[VPC], listing, |vpc| add_vpc(ctx, vpc))
        .await;
}

pub(super) fn add_vpc(ctx: &Ctx, vpc: &Vpc) {
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

pub(super) fn vpc_properties(vpc: &Vpc) -> Value {
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

pub(super) async fn subnets(ctx: &Ctx, ec2: &Client) {
    let listing = ec2
        .describe_subnets()
        .into_paginator()
        .items()
        .send()
        .try_collect();
    ctx.list_each("ec2:DescribeSubnets", &[SUBNET], listing, |subnet| {
        add_subnet(ctx, subnet)
    })
    .await;
}

pub(super) fn add_subnet(ctx: &Ctx, subnet: &Subnet) {
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

pub(super) async fn route_tables(ctx: &Ctx, ec2: &Client) {
    let listing = ec2
        .describe_route_tables()
        .into_paginator()
        .items()
        .send()
        .try_collect();
    ctx.list_each(
        "ec2:DescribeRouteTables",
        &[ROUTE_TABLE],
        listing,
        |table| add_route_table(ctx, table),
    )
    .await;
}

pub(super) fn add_route_table(ctx: &Ctx, table: &RouteTable) {
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

pub(super) fn route_table_properties(table: &RouteTable) -> Value {
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
pub(super) fn route_targets(ctx: &Ctx, routes: &[Route]) -> BTreeSet<String> {
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

pub(super) async fn internet_gateways(ctx: &Ctx, ec2: &Client) {
    let listing = ec2
        .describe_internet_gateways()
        .into_paginator()
        .items()
        .send()
        .try_collect();
    ctx.list_each(
        "ec2:DescribeInternetGateways",
        &[INTERNET_GATEWAY],
        listing,
        |gateway| add_internet_gateway(ctx, gateway),
    )
    .await;
}

pub(super) fn add_internet_gateway(ctx: &Ctx, gateway: &InternetGateway) {
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

pub(super) async fn nat_gateways(ctx: &Ctx, ec2: &Client) {
    let listing = ec2
        .describe_nat_gateways()
        .into_paginator()
        .items()
        .send()
        .try_collect();
    ctx.list_each(
        "ec2:DescribeNatGateways",
        &[NAT_GATEWAY],
        listing,
        |gateway| add_nat_gateway(ctx, gateway),
    )
    .await;
}

pub(super) fn add_nat_gateway(ctx: &Ctx, gateway: &NatGateway) {
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
pub(super) async fn security_groups(ctx: &Ctx, ec2: &Client) {
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
pub(super) fn eni_counts(interfaces: &[NetworkInterface]) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for eni in interfaces {
        let groups: BTreeSet<&str> = eni.groups().iter().filter_map(|g| g.group_id()).collect();
        for group in groups {
            *counts.entry(group.to_owned()).or_default() += 1;
        }
    }
    counts
}

pub(super) fn add_security_group(
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
pub(super) fn security_group_properties(
    group: &SecurityGroup,
    attached_enis: Option<usize>,
) -> Value {
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
pub(super) fn permission_entries(permissions: &[IpPermission]) -> (Vec<Value>, Vec<Value>) {
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

pub(super) async fn network_acls(ctx: &Ctx, ec2: &Client) {
    let listing = ec2
        .describe_network_acls()
        .into_paginator()
        .items()
        .send()
        .try_collect();
    ctx.list_each("ec2:DescribeNetworkAcls", &[NETWORK_ACL], listing, |acl| {
        add_network_acl(ctx, acl)
    })
    .await;
}

pub(super) fn add_network_acl(ctx: &Ctx, acl: &NetworkAcl) {
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
pub(super) fn nacl_entries(entry: &NetworkAclEntry) -> Vec<Value> {
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

pub(super) async fn flow_logs(ctx: &Ctx, ec2: &Client) {
    let listing = ec2
        .describe_flow_logs()
        .into_paginator()
        .items()
        .send()
        .try_collect();
    ctx.list_each("ec2:DescribeFlowLogs", &[FLOW_LOG], listing, |log| {
        add_flow_log(ctx, log)
    })
    .await;
}

pub(super) fn add_flow_log(ctx: &Ctx, log: &FlowLog) {
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
pub(super) fn flow_log_subject(ctx: &Ctx, resource_id: &str) -> Option<String> {
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
pub(super) fn flow_log_destination(ctx: &Ctx, log: &FlowLog) -> Option<String> {
    log.log_destination().map(str::to_owned).or_else(|| {
        log.log_group_name()
            .map(|g| ctx.arn("logs", &format!("log-group:{g}")))
    })
}

/// The id of the bucket or log group a flow log delivers to (Firehose is not inventoried).
pub(super) fn flow_log_target(log: &FlowLog, destination: &str) -> Option<String> {
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

pub(super) async fn vpc_endpoints(ctx: &Ctx, ec2: &Client) {
    let listing = ec2
        .describe_vpc_endpoints()
        .into_paginator()
        .items()
        .send()
        .try_collect();
    ctx.list_each(
        "ec2:DescribeVpcEndpoints",
        &[VPC_ENDPOINT],
        listing,
        |endpoint| add_vpc_endpoint(ctx, endpoint),
    )
    .await;
}

pub(super) fn add_vpc_endpoint(ctx: &Ctx, endpoint: &VpcEndpoint) {
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

pub(super) async fn peering_connections(ctx: &Ctx, ec2: &Client) {
    let listing = ec2
        .describe_vpc_peering_connections()
        .into_paginator()
        .items()
        .send()
        .try_collect();
    ctx.list_each(
        "ec2:DescribeVpcPeeringConnections",
        &[PEERING],
        listing,
        |peering| add_peering_connection(ctx, peering),
    )
    .await;
}

pub(super) fn add_peering_connection(ctx: &Ctx, peering: &VpcPeeringConnection) {
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
