use std::sync::Arc;

use aws_sdk_ec2::types::{
    CreateVolumePermission, GroupIdentifier, HttpTokensState, IamInstanceProfile,
    InstanceMetadataEndpointState, InstanceMetadataOptionsResponse, InstanceState,
    InstanceStateName, InstanceType, IpRange, Ipv6Range, LogDestinationType, NetworkAclAssociation,
    PermissionGroup, PortRange, RouteState, RouteTableAssociation, RuleAction, TrafficType,
    UserIdGroupPair, VpcPeeringConnectionStateReason, VpcPeeringConnectionStateReasonCode,
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
        .ipv6_cidr_block_association_set(block("2700::/56", VpcCidrBlockStateCode::Disassociated))
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
