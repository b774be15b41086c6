//! What the internet can reach: for each EC2 instance, the protocols and ports a
//! connection from anywhere on the internet gets through, and for each Lambda function
//! whether its URL answers anyone; with the path hop by hop (address, route, network
//! ACL in and out, security group), as the evidence of a finding.
//!
//! ```text
//! instance ─► public IPv4 / IPv6 address ─► subnet ─► route table (0.0.0.0/0 or ::/0
//!   → igw-…) ─► network ACL inbound (first matching rule, by number) ─► security
//!   group (an ingress rule from 0.0.0.0/0 or ::/0) ─► network ACL outbound (replies
//!   to the client's ephemeral port)
//! function ─► URL with AuthType NONE ─► resource policy allows lambda:InvokeFunctionUrl
//!   to everyone (decided by the evaluation engine)
//! ```
//!
//! AWS semantics modelled (VPC User Guide): network ACL rules are evaluated "starting
//! with the lowest numbered rule"; the first rule that matches decides, and traffic no
//! rule matches is denied by the `*` rule. ACLs are stateless: "responses to allowed
//! inbound traffic are subject to the rules for outbound traffic", so the outbound
//! rules must admit the client's ephemeral ports (1024-65535 covers every common
//! client). Security groups are stateful: "responses to allowed inbound traffic are
//! allowed to leave the instance, regardless of the outbound rules", so their egress
//! is not read. A subnet uses its explicitly associated route table, else the VPC's
//! main table; only a route to an internet gateway (`igw-`) carries connections from
//! the internet (an egress-only gateway does not).
//!
//! "The internet" is any address no narrower rule singles out: only `0.0.0.0/0` and
//! `::/0` entries and routes count, and narrower NACL entries are skipped unless,
//! together, they cover every address (then the answer is unknown). Three-valued
//! throughout: a piece that is definitely closed makes the answer "not reachable"
//! even when others are unknown; otherwise any piece Vigil did not see (a subnet, a
//! route table or ACL missing from the inventory, a gap, an uncollected property)
//! makes it unknown, never "not reachable".
//!
//! Not modelled: secondary network interfaces and their addresses (the collector
//! records the instance's primary public IPv4 only; IPv6 addresses are not collected,
//! so an IPv6 path that every other piece leaves open is unknown), prefix lists in
//! security-group rules and routes, routes through firewalls or gateway load
//! balancers, and load balancers in front of instances.

pub mod ports;
#[cfg(test)]
mod tests;

mod function;
pub(crate) use function::anyone;
pub use function::function;

use crate::hash::{HashMap, New};

use ipnet::IpNet;
use rayon::prelude::*;
use serde::Serialize;
use vigil_inventory::{Inventory, Resource, ResourceIdx, Value};

use crate::access::Tri;
// Parsed once per thread and text: every instance reads the entries of its groups and ACLs.
use crate::expr::direct::block as parse_cidr;
use ports::{Ports, Protocol};

/// One step of an attack path: who acts, what it does, on what, by which mechanism.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hop {
    /// `internet`, or the principal's ARN.
    pub principal: String,
    pub action: String,
    pub resource: String,
    /// The mechanism: `public_ip`, `route_table`, `network_acl`, `security_group`,
    /// `function_url`, `resource_policy`, an escalation method, …
    pub method: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub detail: String,
}

impl std::fmt::Display for Hop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} --[{}: {}]--> {}",
            self.principal, self.method, self.action, self.resource
        )?;
        if !self.detail.is_empty() {
            write!(f, " ({})", self.detail)?;
        }
        Ok(())
    }
}

/// A protocol and port range reachable over one address family.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Opening {
    pub family: &'static str,
    pub protocol: Protocol,
    pub from_port: u16,
    pub to_port: u16,
}

/// What the internet can reach of one instance or function.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Exposure {
    pub resource: String,
    /// `yes`, `no`, or `unknown` when a piece that matters was not seen.
    pub reachable: Tri,
    pub open: Vec<Opening>,
    /// Reachable: the path to the first opening. Not reachable: the pieces seen and,
    /// last, the one that closes it.
    pub path: Vec<Hop>,
    /// What closes the path, when it is closed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blocked_by: Option<String>,
    /// Why the answer is unknown: the pieces not seen.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unknown: Vec<String>,
}

/// The exposure of every instance and function of an inventory.
#[derive(Debug, Default)]
pub struct Reachability {
    by_resource: HashMap<ResourceIdx, Exposure>,
}

impl Reachability {
    pub fn new(inventory: &Inventory) -> Reachability {
        let targets: Vec<ResourceIdx> = inventory
            .of_type("aws.ec2.instance")
            .iter()
            .chain(inventory.of_type("aws.lambda.function"))
            .copied()
            .collect();
        let look = NetworkIndex::new(inventory);
        let by_resource = targets
            .par_iter()
            .map(|&i| {
                let exposure = if inventory.resource(i).resource_type == "aws.ec2.instance" {
                    instance(inventory, &look, i)
                } else {
                    function(inventory, i)
                };
                (i, exposure)
            })
            .collect();
        Reachability { by_resource }
    }

    pub fn get(&self, idx: ResourceIdx) -> Option<&Exposure> {
        self.by_resource.get(&idx)
    }
}

/// One piece's verdict.
enum Step {
    Open(Hop),
    Closed(Hop, String),
    Unseen(String),
}

const IPV4_ANY: &str = "0.0.0.0/0";
const IPV6_ANY: &str = "::/0";
/// Client ports replies go to: the range AWS's NACL guidance uses for clients on the
/// internet (Linux uses 32768-60999, Windows 49152-65535, NAT gateways 1024-65535).
const EPHEMERAL: (u16, u16) = (1024, u16::MAX);

fn hop(principal: &str, action: String, resource: &str, method: &str, detail: String) -> Hop {
    Hop {
        principal: principal.to_owned(),
        action,
        resource: resource.to_owned(),
        method: method.to_owned(),
        detail,
    }
}

/// The instance's subnet, route table, network ACL and security groups, each as found
/// or why not.
struct Pieces<'a> {
    subnet: Result<&'a Resource, String>,
    route_table: Result<&'a Resource, String>,
    acl: Result<&'a Resource, String>,
    groups: Result<Vec<&'a Resource>, String>,
}

/// The resources the walk finds by a property rather than by ARN (a subnet by
/// `subnet_id`, a security group by `group_id`, an internet gateway by
/// `internet_gateway_id`, a subnet's route table), indexed once per analysis. Scanning
/// the account's resources of the type for each instance made the analysis quadratic
/// in the account's size (every instance read every security group's `group_id`).
pub(crate) struct NetworkIndex<'a> {
    /// (type, account, region, id) to the first such resource in inventory order.
    by_id: HashMap<(&'a str, &'a str, &'a str, &'a str), &'a Resource>,
    /// (account, region, subnet id) to the first route table associated with it.
    table_of_subnet: HashMap<(&'a str, &'a str, &'a str), &'a Resource>,
    /// (account, region, VPC id) to the first route table marked its main one.
    main_table: HashMap<(&'a str, &'a str, &'a str), &'a Resource>,
}

/// The types [`NetworkIndex`] indexes, with the property that names each.
const BY_ID: [(&str, &str); 3] = [
    ("aws.ec2.subnet", "subnet_id"),
    ("aws.ec2.security_group", "group_id"),
    ("aws.ec2.internet_gateway", "internet_gateway_id"),
];

impl<'a> NetworkIndex<'a> {
    pub(crate) fn new(inv: &'a Inventory) -> NetworkIndex<'a> {
        let mut by_id = HashMap::new();
        for (ty, key) in BY_ID {
            for &i in inv.of_type(ty) {
                let r = inv.resource(i);
                if let Some(id) = r.properties.get(key).and_then(Value::as_str) {
                    by_id.entry((ty, &*r.account, &*r.region, id)).or_insert(r);
                }
            }
        }
        let (mut table_of_subnet, mut main_table) = (HashMap::new(), HashMap::new());
        for &i in inv.of_type("aws.ec2.route_table") {
            let t = inv.resource(i);
            let associations = t.properties.get("associations").and_then(Value::as_array);
            for a in associations.into_iter().flatten() {
                if let Some(subnet) = a.get("subnet_id").and_then(Value::as_str) {
                    table_of_subnet
                        .entry((&*t.account, &*t.region, subnet))
                        .or_insert(t);
                }
                if let (Some(&Value::Bool(true)), Some(vpc)) = (
                    a.get("main"),
                    t.properties.get("vpc_id").and_then(Value::as_str),
                ) {
                    main_table
                        .entry((&*t.account, &*t.region, vpc))
                        .or_insert(t);
                }
            }
        }
        NetworkIndex {
            by_id,
            table_of_subnet,
            main_table,
        }
    }

    /// A resource of `ty` in `r`'s account and region whose identifying property is `id`.
    fn find(&self, r: &Resource, ty: &str, id: &str) -> Option<&'a Resource> {
        self.by_id
            .get(&(ty, r.account.as_str(), r.region.as_str(), id))
            .copied()
    }
}

fn complete(inv: &Inventory, ty: &str, r: &Resource) -> Result<(), String> {
    match inv.type_gaps(ty, &r.account, Some(&r.region)).next() {
        Some(g) => Err(format!("{ty} was not fully collected ({})", g.summary())),
        None => Ok(()),
    }
}

fn pieces<'a>(inv: &'a Inventory, look: &NetworkIndex<'a>, idx: ResourceIdx) -> Pieces<'a> {
    let r = inv.resource(idx);
    let subnet = (|| {
        complete(inv, "aws.ec2.subnet", r)?;
        let id = match r.properties.get("subnet_id") {
            None => return Err("the instance's subnet_id was not collected".to_owned()),
            Some(Value::String(s)) => &**s,
            Some(_) => return Err("the instance has no subnet".to_owned()),
        };
        look.find(r, "aws.ec2.subnet", id)
            .ok_or_else(|| format!("subnet {id} is not in the inventory"))
    })();
    let route_table = subnet.clone().and_then(|s| {
        complete(inv, "aws.ec2.route_table", r)?;
        let subnet_id = s.properties["subnet_id"].as_str().unwrap_or_default();
        let vpc = s.properties["vpc_id"].as_str().unwrap_or_default();
        look.table_of_subnet
            .get(&(r.account.as_str(), r.region.as_str(), subnet_id))
            .or_else(|| look.main_table.get(&(r.account.as_str(), r.region.as_str(), vpc)))
            .copied()
            .ok_or_else(|| {
                format!(
                    "no route table of subnet {subnet_id} (explicit or the main table of {vpc}) is in the inventory"
                )
            })
    });
    let acl = subnet.clone().and_then(|s| {
        complete(inv, "aws.ec2.network_acl", r)?;
        let s_idx = inv.index_of(&s.id).expect("found in the inventory");
        inv.related_from(s_idx, "associated_with")
            .map(|i| inv.resource(i))
            .find(|a| a.resource_type == "aws.ec2.network_acl")
            .ok_or_else(|| {
                format!(
                    "no network ACL associated with subnet {} is in the inventory",
                    s.properties["subnet_id"].as_str().unwrap_or(&s.id)
                )
            })
    });
    let groups = (|| {
        complete(inv, "aws.ec2.security_group", r)?;
        let ids = r
            .properties
            .get("security_group_ids")
            .and_then(Value::as_array)
            .ok_or("the instance's security_group_ids were not collected")?;
        ids.iter()
            .filter_map(Value::as_str)
            .map(|id| {
                look.find(r, "aws.ec2.security_group", id)
                    .ok_or_else(|| format!("security group {id} is not in the inventory"))
            })
            .collect()
    })();
    Pieces {
        subnet,
        route_table,
        acl,
        groups,
    }
}

fn family_name(ipv6: bool) -> &'static str {
    if ipv6 { "ipv6" } else { "ipv4" }
}

fn any_block(ipv6: bool) -> &'static str {
    if ipv6 { IPV6_ANY } else { IPV4_ANY }
}

/// Step 1: does the instance have an address the internet can use?
fn address(r: &Resource, ipv6: bool) -> Step {
    if ipv6 {
        return match r.properties.get("ipv6_addresses").and_then(Value::as_array) {
            None => Step::Unseen("the instance's IPv6 addresses are not collected".to_owned()),
            Some([]) => Step::Closed(
                hop(
                    "internet",
                    "connect over IPv6".into(),
                    &r.id,
                    "ipv6_address",
                    String::new(),
                ),
                "the instance has no IPv6 address".to_owned(),
            ),
            Some(list) => Step::Open(hop(
                "internet",
                format!("connect to {}", list[0].as_str().unwrap_or("?")),
                &r.id,
                "ipv6_address",
                String::new(),
            )),
        };
    }
    match r.properties.get("public_ip_address") {
        None => Step::Unseen("the instance's public_ip_address was not collected".to_owned()),
        Some(Value::String(ip)) => Step::Open(hop(
            "internet",
            format!("connect to {ip}"),
            &r.id,
            "public_ip",
            "public IPv4 address (or Elastic IP) of the primary network interface".to_owned(),
        )),
        Some(_) => Step::Closed(
            hop(
                "internet",
                "connect over IPv4".into(),
                &r.id,
                "public_ip",
                String::new(),
            ),
            "the instance has no public IPv4 address".to_owned(),
        ),
    }
}

/// Step 2: does the subnet's route table send the internet's replies to an internet
/// gateway?
fn route(look: &NetworkIndex, p: &Pieces, ipv6: bool) -> Step {
    let table = match &p.route_table {
        Ok(t) => *t,
        Err(e) => return Step::Unseen(e.clone()),
    };
    let Some(routes) = table.properties.get("routes").and_then(Value::as_array) else {
        return Step::Unseen(format!("the routes of {} were not collected", table.id));
    };
    let key = if ipv6 {
        "destination_ipv6_cidr"
    } else {
        "destination_cidr"
    };
    let default = routes.iter().find(|rt| {
        rt[key]
            .as_str()
            .and_then(|c| parse_cidr(c).ok())
            .is_some_and(|c| c.prefix_len() == 0)
    });
    let action = format!("route {}", any_block(ipv6));
    let target = |rt: &Value| {
        ["gateway_id", "nat_gateway_id", "vpc_peering_connection_id"]
            .iter()
            .find_map(|k| rt[*k].as_str().map(str::to_owned))
            .unwrap_or_else(|| "a target Vigil does not record".to_owned())
    };
    match default {
        None => Step::Closed(
            hop("internet", action, &table.id, "route_table", String::new()),
            format!(
                "route table {} has no {} route: the subnet is private",
                table.id,
                any_block(ipv6)
            ),
        ),
        Some(rt) if rt["state"].as_str() == Some("blackhole") => Step::Closed(
            hop("internet", action, &table.id, "route_table", String::new()),
            format!(
                "the {} route of {} is a blackhole (its target is gone)",
                any_block(ipv6),
                table.id
            ),
        ),
        Some(rt) => match rt["gateway_id"].as_str().filter(|g| g.starts_with("igw-")) {
            Some(igw) => {
                let vpc = table.properties["vpc_id"].as_str().unwrap_or_default();
                let gateway = look.find(table, "aws.ec2.internet_gateway", igw);
                let detached = gateway.is_some_and(|g| {
                    !g.properties["attachments"].as_array().is_some_and(|a| {
                        a.iter().any(|x| {
                            x["vpc_id"].as_str() == Some(vpc)
                                && matches!(
                                    x["state"].as_str(),
                                    Some("available" | "attached") | None
                                )
                        })
                    })
                });
                let subnet = p
                    .subnet
                    .as_ref()
                    .map(|s| s.properties["subnet_id"].as_str().unwrap_or(&s.id))
                    .unwrap_or("?");
                let h = hop(
                    "internet",
                    action,
                    &table.id,
                    "route_table",
                    format!("{} -> {igw}, the table of subnet {subnet}", any_block(ipv6)),
                );
                if detached {
                    Step::Closed(h, format!("{igw} is not attached to {vpc}"))
                } else {
                    Step::Open(h)
                }
            }
            None => Step::Closed(
                hop("internet", action, &table.id, "route_table", String::new()),
                format!(
                    "the {} route of {} goes to {}, not to an internet gateway",
                    any_block(ipv6),
                    table.id,
                    target(rt)
                ),
            ),
        },
    }
}

/// A port range and the number of the NACL entry that decides it.
type Decider = (u16, u16, i64);
/// A port range and the security group and rule that admit it.
type Admitter = (u16, u16, String, String);

/// A NACL entry as the collector flattens it.
struct Entry {
    number: i64,
    allow: bool,
    protocol: String,
    cidr: IpNet,
    from: Option<i64>,
    to: Option<i64>,
}

fn entries(acl: &Resource, egress: bool, ipv6: bool) -> Result<Vec<Entry>, String> {
    let list = acl
        .properties
        .get("entries")
        .and_then(Value::as_array)
        .ok_or_else(|| format!("the entries of {} were not collected", acl.id))?;
    let mut out: Vec<Entry> = list
        .iter()
        .filter(|e| e["egress"].as_bool() == Some(egress))
        .filter_map(|e| {
            let cidr = parse_cidr(e["cidr"].as_str()?).ok()?;
            (matches!(cidr, IpNet::V6(_)) == ipv6).then(|| Entry {
                number: e["rule_number"].as_i64().unwrap_or(i64::MAX),
                allow: e["rule_action"].as_str() == Some("allow"),
                protocol: match &e["protocol"] {
                    Value::String(s) => String::from(&**s),
                    other => other.to_string(),
                },
                cidr,
                from: e["from_port"].as_i64(),
                to: e["to_port"].as_i64(),
            })
        })
        .collect();
    out.sort_by_key(|e| e.number);
    Ok(out)
}

/// The ports of `protocol` (within `over`) a network ACL lets through for an address
/// no narrower entry names, and the entry deciding each allowed range's first port.
fn acl_allows(
    acl: &Resource,
    list: &[Entry],
    protocol: Protocol,
    ipv6: bool,
    over: &Ports,
) -> Result<(Ports, Vec<Decider>), String> {
    let mut undecided = over.clone();
    let mut allowed = Ports::none();
    let mut deciding = Vec::new();
    let mut narrow = Vec::new();
    for e in list
        .iter()
        .filter(|e| protocol.covered_by(&e.protocol, ipv6))
    {
        if e.cidr.prefix_len() != 0 {
            narrow.push(e.cidr);
            continue;
        }
        let hit = undecided.intersect(&Ports::of_rule(protocol, e.from, e.to));
        if e.allow && !hit.is_empty() {
            deciding.extend(hit.ranges().iter().map(|r| (r.0, r.1, e.number)));
            allowed = allowed.union(&hit);
        }
        undecided = undecided.minus(&hit);
    }
    if IpNet::aggregate(&narrow)
        .iter()
        .any(|n| n.prefix_len() == 0)
    {
        return Err(format!(
            "the narrower entries of {} together cover every address; Vigil judges only addresses no entry singles out",
            acl.id
        ));
    }
    Ok((allowed, deciding))
}

/// The ports of `protocol` the security groups admit from the whole internet, with the
/// group and rule admitting each range's first port.
fn group_allows(
    groups: &[&Resource],
    protocol: Protocol,
    ipv6: bool,
) -> Result<(Ports, Vec<Admitter>), String> {
    let mut open = Ports::none();
    let mut why = Vec::new();
    for g in groups {
        let ingress = g
            .properties
            .get("ingress")
            .and_then(Value::as_array)
            .ok_or_else(|| format!("the ingress rules of {} were not collected", g.id))?;
        for rule in ingress {
            let Some(cidr) = rule["cidr"].as_str().and_then(|c| parse_cidr(c).ok()) else {
                continue;
            };
            let protocol_text = match &rule["protocol"] {
                Value::String(s) => String::from(&**s),
                other => other.to_string(),
            };
            if cidr.prefix_len() != 0
                || matches!(cidr, IpNet::V6(_)) != ipv6
                || !protocol.covered_by(&protocol_text, ipv6)
            {
                continue;
            }
            let ports = Ports::of_rule(
                protocol,
                rule["from_port"].as_i64(),
                rule["to_port"].as_i64(),
            );
            for &(from, to) in ports.minus(&open).ranges() {
                why.push((
                    from,
                    to,
                    g.id.clone(),
                    format!("ingress {protocol_text} {ports} from {cidr}"),
                ));
            }
            open = open.union(&ports);
        }
    }
    Ok((open, why))
}

/// Steps 3-5 for one address family: inbound ACL, security groups, outbound ACL.
struct Filters {
    /// Per protocol: the ports open (`None` when a piece is unseen and the others leave
    /// some open), with the hops for the first port.
    open: Vec<(Protocol, Ports)>,
    verdict: Tri,
    hops: Vec<Hop>,
    blocked_by: Option<(Hop, String)>,
    unknown: Vec<String>,
}

fn filters(p: &Pieces, ipv6: bool) -> Filters {
    let mut unknown = Vec::new();
    let any = any_block(ipv6);
    let acl = match &p.acl {
        Ok(a) => Some(*a),
        Err(e) => {
            unknown.push(e.clone());
            None
        }
    };
    let groups = match &p.groups {
        Ok(g) => Some(g.as_slice()),
        Err(e) => {
            unknown.push(e.clone());
            None
        }
    };
    let inbound = acl.map(|a| entries(a, false, ipv6));
    let outbound = acl.map(|a| entries(a, true, ipv6));
    let mut verdicts = Vec::new();
    let mut open = Vec::new();
    let mut hops = Vec::new();
    let mut closed: Vec<(Hop, String)> = Vec::new();
    let note = |e: String, unknown: &mut Vec<String>| {
        if !unknown.contains(&e) {
            unknown.push(e);
        }
    };
    for protocol in Protocol::ALL {
        let sg = groups.map(|g| group_allows(g, protocol, ipv6));
        let ephemeral = if protocol.has_ports() {
            Ports::range(EPHEMERAL.0, EPHEMERAL.1)
        } else {
            Ports::all()
        };
        let acl_in = match (acl, &inbound) {
            (Some(a), Some(Ok(list))) => Some(acl_allows(a, list, protocol, ipv6, &Ports::all())),
            (_, Some(Err(e))) => Some(Err(e.clone())),
            _ => None,
        };
        let acl_out = match (acl, &outbound) {
            (Some(a), Some(Ok(list))) => Some(acl_allows(a, list, protocol, ipv6, &ephemeral)),
            (_, Some(Err(e))) => Some(Err(e.clone())),
            _ => None,
        };
        let mut ports = Ports::all();
        let mut seen_all = true;
        for part in [
            sg.as_ref().map(|r| r.as_ref().map(|x| &x.0)),
            acl_in.as_ref().map(|r| r.as_ref().map(|x| &x.0)),
        ] {
            match part {
                Some(Ok(set)) => ports = ports.intersect(set),
                Some(Err(e)) => {
                    note(e.clone(), &mut unknown);
                    seen_all = false;
                }
                None => seen_all = false,
            }
        }
        let replies = match &acl_out {
            Some(Ok((set, _))) if set.is_empty() => Tri::No,
            Some(Ok(_)) => Tri::Yes,
            Some(Err(e)) => {
                note(e.clone(), &mut unknown);
                Tri::Unknown
            }
            None => Tri::Unknown,
        };
        let verdict = if ports.is_empty() || replies.is_no() {
            Tri::No
        } else if seen_all && replies.is_yes() {
            Tri::Yes
        } else {
            Tri::Unknown
        };
        verdicts.push(verdict);
        let name = protocol.as_str();
        if verdict.is_yes() {
            open.push((protocol, ports.clone()));
            if hops.is_empty() {
                let port = ports.first().unwrap_or(0);
                let action = if protocol.has_ports() {
                    format!("{name}/{port} inbound")
                } else {
                    format!("{name} inbound")
                };
                let (a, in_rules, out_rules) = match (acl, &acl_in, &acl_out) {
                    (Some(a), Some(Ok(i)), Some(Ok(o))) => (a, &i.1, &o.1),
                    _ => unreachable!("a yes needs every piece seen"),
                };
                let rule_for = |list: &[Decider], port: u16| {
                    list.iter()
                        .find(|(from, to, _)| *from <= port && port <= *to)
                        .map(|x| x.2)
                        .unwrap_or_default()
                };
                let in_set = &acl_in
                    .as_ref()
                    .and_then(|r| r.as_ref().ok())
                    .map(|x| x.0.clone())
                    .unwrap_or_default();
                hops.push(hop(
                    "internet",
                    action.clone(),
                    &a.id,
                    "network_acl",
                    format!(
                        "inbound rule {} allows {any} {name} {}; no lower-numbered rule matches first",
                        rule_for(in_rules, port),
                        in_set
                    ),
                ));
                if let Some(Ok((_, why))) = &sg
                    && let Some((_, _, group, rule)) = why
                        .iter()
                        .find(|(from, to, _, _)| *from <= port && port <= *to)
                {
                    hops.push(hop(
                        "internet",
                        action.clone(),
                        group,
                        "security_group",
                        format!(
                            "{rule}; security groups are stateful, replies need no egress rule"
                        ),
                    ));
                }
                let out_set = acl_out
                    .as_ref()
                    .and_then(|r| r.as_ref().ok())
                    .map(|x| x.0.clone())
                    .unwrap_or_default();
                let first_out = out_set.first().unwrap_or(0);
                hops.push(hop(
                    &a.id,
                    format!("{name} replies to {any} ports {out_set}"),
                    &a.id,
                    "network_acl",
                    format!(
                        "outbound rule {} allows the replies; network ACLs are stateless",
                        rule_for(out_rules, first_out)
                    ),
                ));
            }
        } else if verdict.is_no() {
            let reason = if let Some(Ok((set, _))) = &sg
                && set.is_empty()
            {
                let ids = groups
                    .unwrap_or_default()
                    .iter()
                    .map(|g| g.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ");
                (
                    hop(
                        "internet",
                        format!("{name} inbound"),
                        &ids,
                        "security_group",
                        String::new(),
                    ),
                    format!("no security group rule admits {name} from {any}"),
                )
            } else if replies.is_no() {
                let a = acl.map(|a| a.id.as_str()).unwrap_or_default();
                (
                    hop(
                        a,
                        format!("{name} replies"),
                        a,
                        "network_acl",
                        String::new(),
                    ),
                    format!(
                        "the network ACL's outbound rules deny {name} replies to the client's ephemeral ports"
                    ),
                )
            } else {
                let a = acl.map(|a| a.id.as_str()).unwrap_or_default();
                (
                    hop(
                        "internet",
                        format!("{name} inbound"),
                        a,
                        "network_acl",
                        String::new(),
                    ),
                    format!(
                        "no {name} port is admitted by both the security groups and the network ACL's inbound rules"
                    ),
                )
            };
            closed.push(reason);
        }
    }
    let verdict = Tri::any(verdicts.iter().copied());
    Filters {
        open,
        verdict,
        hops,
        blocked_by: if verdict.is_no() {
            closed.into_iter().next()
        } else {
            None
        },
        unknown: if verdict.is_unknown() {
            unknown
        } else {
            Vec::new()
        },
    }
}

/// The exposure of one family: address and route, then the filters.
fn leg(
    look: &NetworkIndex,
    r: &Resource,
    p: &Pieces,
    ipv6: bool,
) -> (Tri, Vec<Opening>, Vec<Hop>, Option<String>, Vec<String>) {
    let mut hops = Vec::new();
    let mut unknown = Vec::new();
    for step in [address(r, ipv6), route(look, p, ipv6)] {
        match step {
            Step::Open(h) => hops.push(h),
            Step::Closed(h, why) => {
                hops.push(h);
                return (Tri::No, Vec::new(), hops, Some(why), Vec::new());
            }
            Step::Unseen(why) => unknown.push(why),
        }
    }
    let f = filters(p, ipv6);
    if f.verdict.is_no() {
        let (h, why) = f.blocked_by.expect("a closed filter says why");
        hops.push(h);
        return (Tri::No, Vec::new(), hops, Some(why), Vec::new());
    }
    unknown.extend(f.unknown);
    if !unknown.is_empty() || f.verdict.is_unknown() {
        return (Tri::Unknown, Vec::new(), hops, None, unknown);
    }
    hops.extend(f.hops);
    let open = f
        .open
        .iter()
        .flat_map(|(protocol, ports)| {
            ports.ranges().iter().map(|&(a, b)| Opening {
                family: family_name(ipv6),
                protocol: *protocol,
                from_port: a,
                to_port: b,
            })
        })
        .collect();
    (Tri::Yes, open, hops, None, Vec::new())
}

/// What the internet can reach of an EC2 instance, over IPv4 and IPv6.
pub(crate) fn instance(inv: &Inventory, look: &NetworkIndex, idx: ResourceIdx) -> Exposure {
    let r = inv.resource(idx);
    let p = pieces(inv, look, idx);
    let v4 = leg(look, r, &p, false);
    let v6 = leg(look, r, &p, true);
    let reachable = v4.0.or(v6.0);
    let (path, blocked_by, unknown) = match reachable {
        Tri::Yes => {
            let winner = if v4.0.is_yes() { &v4 } else { &v6 };
            (winner.2.clone(), None, Vec::new())
        }
        Tri::No => (
            v4.2.clone(),
            Some(format!(
                "IPv4: {}; IPv6: {}",
                v4.3.clone().unwrap_or_default(),
                v6.3.clone().unwrap_or_default()
            )),
            Vec::new(),
        ),
        Tri::Unknown => {
            let mut unknown: Vec<String> = Vec::new();
            for (name, l) in [("IPv4", &v4), ("IPv6", &v6)] {
                unknown.extend(l.4.iter().map(|u| format!("{name}: {u}")));
            }
            (Vec::new(), None, unknown)
        }
    };
    let mut open = v4.1;
    open.extend(v6.1);
    Exposure {
        resource: r.id.clone(),
        reachable,
        open,
        path,
        blocked_by,
        unknown,
    }
}
