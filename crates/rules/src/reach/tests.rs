//! Each piece of the path, removed or closed in turn, breaks it; a piece not seen makes
//! the answer unknown. The semantics come from the VPC User Guide: network ACL rules
//! "are evaluated in order, starting with the lowest numbered rule", are stateless
//! ("responses to allowed inbound traffic are subject to the rules for outbound
//! traffic"), and security groups are stateful ("responses to allowed inbound traffic
//! are allowed to leave the instance, regardless of the outbound rules").

use serde_json::{Value, json};
use vigil_inventory::{Gap, Inventory, Relation, Resource};

use super::*;

const ACCOUNT: &str = "123456789012";
const REGION: &str = "us-east-1";

fn arn(kind: &str, id: &str) -> String {
    format!("arn:aws:ec2:{REGION}:{ACCOUNT}:{kind}/{id}")
}

fn res(kind: &str, ty: &str, id: &str, props: Value) -> Resource {
    let mut r = Resource::new(arn(kind, id), ty, ACCOUNT, REGION);
    for (k, v) in props.as_object().expect("an object") {
        r = r.with_property(k, v.clone());
    }
    r
}

fn entry(
    number: i64,
    action: &str,
    egress: bool,
    protocol: &str,
    cidr: &str,
    ports: Option<(i64, i64)>,
) -> Value {
    json!({"rule_number": number, "protocol": protocol, "rule_action": action, "egress": egress,
           "cidr": cidr, "from_port": ports.map(|p| p.0), "to_port": ports.map(|p| p.1)})
}

/// A public subnet with everything open for SSH over IPv4.
struct Estate {
    instance: Value,
    routes: Value,
    entries: Vec<Value>,
    ingress: Vec<Value>,
    egress: Vec<Value>,
    with_route_table: bool,
    /// Route tables besides the subnet's explicit one (main tables of VPCs).
    tables: Vec<Resource>,
    gaps: Vec<Gap>,
}

impl Estate {
    fn open() -> Estate {
        Estate {
            instance: json!({"instance_id": "i-1", "public_ip_address": "203.0.113.10",
                "subnet_id": "subnet-1", "vpc_id": "vpc-1", "security_group_ids": ["sg-1"],
                "metadata_options": {"http_tokens": "optional"}}),
            routes: json!([
                {"destination_cidr": "10.0.0.0/16", "destination_ipv6_cidr": null, "gateway_id": "local", "nat_gateway_id": null, "vpc_peering_connection_id": null, "state": "active"},
                {"destination_cidr": "0.0.0.0/0", "destination_ipv6_cidr": null, "gateway_id": "igw-1", "nat_gateway_id": null, "vpc_peering_connection_id": null, "state": "active"}]),
            entries: vec![
                entry(100, "allow", false, "-1", "0.0.0.0/0", None),
                entry(32767, "deny", false, "-1", "0.0.0.0/0", None),
                entry(100, "allow", true, "-1", "0.0.0.0/0", None),
                entry(32767, "deny", true, "-1", "0.0.0.0/0", None),
            ],
            ingress: vec![
                json!({"protocol": "tcp", "from_port": 22, "to_port": 22, "cidr": "0.0.0.0/0"}),
            ],
            egress: vec![],
            with_route_table: true,
            tables: vec![],
            gaps: vec![],
        }
    }

    fn inventory(&self) -> Inventory {
        let mut resources = vec![
            res("instance", "aws.ec2.instance", "i-1", self.instance.clone()),
            res(
                "subnet",
                "aws.ec2.subnet",
                "subnet-1",
                json!({"subnet_id": "subnet-1", "vpc_id": "vpc-1", "cidr_block": "10.0.1.0/24"}),
            ),
            res(
                "internet-gateway",
                "aws.ec2.internet_gateway",
                "igw-1",
                json!({"internet_gateway_id": "igw-1", "attachments": [{"vpc_id": "vpc-1", "state": "available"}]}),
            ),
            res(
                "network-acl",
                "aws.ec2.network_acl",
                "acl-1",
                json!({"network_acl_id": "acl-1", "vpc_id": "vpc-1", "is_default": false, "entries": self.entries}),
            ),
            res(
                "security-group",
                "aws.ec2.security_group",
                "sg-1",
                json!({"group_id": "sg-1", "vpc_id": "vpc-1", "ingress": self.ingress, "egress": self.egress}),
            ),
        ];
        if self.with_route_table {
            resources.push(res("route-table", "aws.ec2.route_table", "rtb-1", json!({"route_table_id": "rtb-1", "vpc_id": "vpc-1", "routes": self.routes, "associations": [{"subnet_id": "subnet-1", "main": false}]})));
        }
        resources.extend(self.tables.iter().cloned());
        let relations = vec![Relation::new(
            arn("network-acl", "acl-1"),
            "associated_with",
            arn("subnet", "subnet-1"),
        )];
        Inventory::new(resources, relations, self.gaps.clone()).expect("a valid inventory")
    }

    fn exposure(&self) -> Exposure {
        let inv = self.inventory();
        instance(
            &inv,
            &NetworkIndex::new(&inv),
            inv.index_of(&arn("instance", "i-1")).expect("the instance"),
        )
    }
}

#[test]
fn every_piece_open_makes_ssh_reachable_with_the_path_hop_by_hop() {
    let e = Estate::open().exposure();
    assert_eq!(e.reachable, Tri::Yes, "{e:?}");
    assert_eq!(
        e.open,
        vec![Opening {
            family: "ipv4",
            protocol: Protocol::Tcp,
            from_port: 22,
            to_port: 22
        }]
    );
    let methods: Vec<&str> = e.path.iter().map(|h| h.method.as_str()).collect();
    assert_eq!(
        methods,
        [
            "public_ip",
            "route_table",
            "network_acl",
            "security_group",
            "network_acl"
        ]
    );
    assert!(
        e.path[2].detail.contains("inbound rule 100"),
        "{:?}",
        e.path[2]
    );
    assert!(
        e.path[4].detail.contains("outbound rule 100"),
        "{:?}",
        e.path[4]
    );
}

/// "Each subnet in your VPC must be associated with a route table. If a subnet is not
/// explicitly associated with any route table, it is implicitly associated with the main
/// route table" (EC2 API Reference, DescribeRouteTables): its own VPC's main table.
#[test]
fn a_subnet_without_a_table_of_its_own_uses_its_vpcs_main_table() {
    let main = |id: &str, vpc: &str| {
        res(
            "route-table",
            "aws.ec2.route_table",
            id,
            json!({"route_table_id": id, "vpc_id": vpc, "routes": Estate::open().routes,
                   "associations": [{"subnet_id": null, "main": true}]}),
        )
    };
    let mut s = Estate::open();
    s.with_route_table = false;
    s.tables = vec![main("rtb-other", "vpc-2"), main("rtb-main", "vpc-1")];
    let e = s.exposure();
    assert_eq!(e.reachable, Tri::Yes, "{e:?}");
    assert_eq!(e.path[1].resource, arn("route-table", "rtb-main"));
    // Another VPC's main table is not the subnet's.
    s.tables = vec![main("rtb-other", "vpc-2")];
    let e = s.exposure();
    assert_eq!(e.reachable, Tri::Unknown, "{e:?}");
    assert!(
        e.unknown.iter().any(|u| u
            .contains("no route table of subnet subnet-1 (explicit or the main table of vpc-1)")),
        "{e:?}"
    );
}

#[test]
fn no_public_address_closes_it() {
    let mut s = Estate::open();
    s.instance["public_ip_address"] = Value::Null;
    let e = s.exposure();
    assert_eq!(e.reachable, Tri::No);
    assert!(e.blocked_by.unwrap().contains("no public IPv4 address"));
}

#[test]
fn a_private_subnet_routes_to_a_nat_gateway_not_an_internet_gateway() {
    let mut s = Estate::open();
    s.routes[1]["gateway_id"] = Value::Null;
    s.routes[1]["nat_gateway_id"] = json!("nat-1");
    let e = s.exposure();
    assert_eq!(e.reachable, Tri::No);
    assert!(e.blocked_by.unwrap().contains("nat-1"));
    let mut s = Estate::open();
    s.routes = json!([s.routes[0].clone()]);
    assert_eq!(s.exposure().reachable, Tri::No);
}

#[test]
fn a_blackhole_route_carries_nothing() {
    let mut s = Estate::open();
    s.routes[1]["state"] = json!("blackhole");
    assert_eq!(s.exposure().reachable, Tri::No);
}

#[test]
fn a_missing_route_table_is_unknown_not_unreachable() {
    let mut s = Estate::open();
    s.with_route_table = false;
    let e = s.exposure();
    assert_eq!(e.reachable, Tri::Unknown);
    assert!(
        e.unknown.iter().any(|u| u.contains("route table")),
        "{:?}",
        e.unknown
    );
    // ... but a piece that is closed decides anyway.
    s.instance["public_ip_address"] = Value::Null;
    assert_eq!(s.exposure().reachable, Tri::No);
}

#[test]
fn a_lower_numbered_nacl_deny_wins_over_a_later_allow() {
    let mut s = Estate::open();
    s.entries.insert(
        0,
        entry(90, "deny", false, "6", "0.0.0.0/0", Some((22, 22))),
    );
    let e = s.exposure();
    assert_eq!(e.reachable, Tri::No, "{e:?}");
    // The same deny numbered after the allow does not matter: the first match decides.
    let mut s = Estate::open();
    s.entries.insert(
        1,
        entry(200, "deny", false, "6", "0.0.0.0/0", Some((22, 22))),
    );
    assert_eq!(s.exposure().reachable, Tri::Yes);
}

#[test]
fn nacls_are_stateless_replies_need_an_outbound_rule_for_ephemeral_ports() {
    let mut s = Estate::open();
    s.entries[2] = entry(100, "allow", true, "6", "0.0.0.0/0", Some((443, 443)));
    let e = s.exposure();
    assert_eq!(e.reachable, Tri::No, "{e:?}");
    assert!(e.blocked_by.unwrap().contains("outbound"));
    let mut s = Estate::open();
    s.entries[2] = entry(100, "allow", true, "6", "0.0.0.0/0", Some((32768, 65535)));
    let e = s.exposure();
    assert_eq!(e.reachable, Tri::Yes);
    assert!(e.path[4].action.contains("32768-65535"), "{:?}", e.path[4]);
}

#[test]
fn security_groups_are_stateful_and_must_admit_the_whole_internet() {
    let mut s = Estate::open();
    s.ingress =
        vec![json!({"protocol": "tcp", "from_port": 22, "to_port": 22, "cidr": "198.51.100.0/24"})];
    let e = s.exposure();
    assert_eq!(e.reachable, Tri::No);
    assert!(e.blocked_by.unwrap().contains("security group"));
    // No egress rule at all: replies still leave.
    let mut s = Estate::open();
    s.egress = vec![];
    assert_eq!(s.exposure().reachable, Tri::Yes);
}

#[test]
fn an_all_traffic_rule_opens_every_protocol_the_acl_lets_through() {
    let mut s = Estate::open();
    s.ingress =
        vec![json!({"protocol": "-1", "from_port": null, "to_port": null, "cidr": "0.0.0.0/0"})];
    s.entries
        .insert(0, entry(50, "deny", false, "17", "0.0.0.0/0", None));
    let e = s.exposure();
    let protocols: Vec<Protocol> = e.open.iter().map(|o| o.protocol).collect();
    assert_eq!(protocols, [Protocol::Tcp, Protocol::Icmp]);
}

#[test]
fn ipv6_needs_a_route_an_acl_entry_and_a_rule_for_the_whole_ipv6_internet() {
    let mut s = Estate::open();
    s.instance["public_ip_address"] = Value::Null;
    s.routes[1]["destination_cidr"] = Value::Null;
    s.routes[1]["destination_ipv6_cidr"] = json!("::/0");
    s.entries = vec![
        entry(100, "allow", false, "-1", "::/0", None),
        entry(100, "allow", true, "-1", "::/0", None),
    ];
    s.ingress = vec![json!({"protocol": "tcp", "from_port": 443, "to_port": 443, "cidr": "::/0"})];
    // Everything open, but the instance's IPv6 addresses are not collected: unknown.
    let e = s.exposure();
    assert_eq!(e.reachable, Tri::Unknown, "{e:?}");
    assert!(e.unknown.iter().any(|u| u.contains("IPv6 addresses")));
    s.instance["ipv6_addresses"] = json!(["2001:db8::10"]);
    let e = s.exposure();
    assert_eq!(e.reachable, Tri::Yes, "{e:?}");
    assert_eq!(e.open[0].family, "ipv6");
    // An IPv4-only security group rule does not open IPv6.
    s.ingress =
        vec![json!({"protocol": "tcp", "from_port": 443, "to_port": 443, "cidr": "0.0.0.0/0"})];
    assert_eq!(s.exposure().reachable, Tri::No);
}

#[test]
fn a_gap_over_security_groups_is_unknown_unless_something_else_closes() {
    let mut s = Estate::open();
    s.gaps = vec![Gap {
        service: "ec2".into(),
        operation: "DescribeSecurityGroups".into(),
        account: ACCOUNT.into(),
        region: REGION.into(),
        resource_types: vec!["aws.ec2.security_group".into()],
        resource: None,
        error_code: "AccessDenied".into(),
        message: String::new(),
    }];
    let e = s.exposure();
    assert_eq!(e.reachable, Tri::Unknown);
    assert!(
        e.unknown.iter().any(|u| u.contains("not fully collected")),
        "{:?}",
        e.unknown
    );
    s.entries[0] = entry(100, "deny", false, "-1", "0.0.0.0/0", None);
    assert_eq!(s.exposure().reachable, Tri::No);
}

#[test]
fn narrower_entries_that_cover_every_address_leave_it_unknown() {
    let mut s = Estate::open();
    s.entries
        .insert(0, entry(10, "deny", false, "-1", "0.0.0.0/1", None));
    s.entries
        .insert(1, entry(11, "deny", false, "-1", "128.0.0.0/1", None));
    assert_eq!(s.exposure().reachable, Tri::Unknown);
    s.entries.remove(1);
    assert_eq!(s.exposure().reachable, Tri::Yes);
}

fn function_exposure(url: Value, policy: Option<Value>) -> Exposure {
    let mut f = Resource::new(
        format!("arn:aws:lambda:{REGION}:{ACCOUNT}:function:api"),
        "aws.lambda.function",
        ACCOUNT,
        REGION,
    )
    .with_property("url_config", url);
    if let Some(p) = policy {
        f = f.with_property("policy", p);
    }
    let inv = Inventory::new(vec![f], vec![], vec![]).unwrap();
    function(&inv, 0)
}

#[test]
fn a_function_url_without_auth_and_a_public_policy_is_reachable() {
    let public = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*",
        "Action": "lambda:InvokeFunctionUrl", "Resource": format!("arn:aws:lambda:{REGION}:{ACCOUNT}:function:api"),
        "Condition": {"StringEquals": {"lambda:FunctionUrlAuthType": "NONE"}}}]});
    let e = function_exposure(json!({"auth_type": "NONE"}), Some(public.clone()));
    assert_eq!(e.reachable, Tri::Yes, "{e:?}");
    assert_eq!(e.path.len(), 2);
    assert_eq!(
        function_exposure(json!({"auth_type": "AWS_IAM"}), Some(public.clone())).reachable,
        Tri::No
    );
    assert_eq!(
        function_exposure(json!({"auth_type": "NONE"}), Some(Value::Null)).reachable,
        Tri::No
    );
    assert_eq!(function_exposure(Value::Null, None).reachable, Tri::No);
    assert_eq!(
        function_exposure(json!({"auth_type": "NONE"}), None).reachable,
        Tri::Unknown
    );
    let own_account = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": ACCOUNT},
        "Action": "lambda:InvokeFunctionUrl", "Resource": "*"}]});
    assert_eq!(
        function_exposure(json!({"auth_type": "NONE"}), Some(own_account)).reachable,
        Tri::No
    );
    let by_ip = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*",
        "Action": "lambda:InvokeFunctionUrl", "Resource": "*", "Condition": {"IpAddress": {"aws:SourceIp": "198.51.100.0/24"}}}]});
    let e = function_exposure(json!({"auth_type": "NONE"}), Some(by_ip));
    assert_eq!(e.reachable, Tri::Unknown, "{e:?}");
}
