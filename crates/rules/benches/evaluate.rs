//! Benchmark: evaluates the whole rule pack over a synthetic inventory of 100,000
//! resources with a realistic mix of types and relations, and prints resources/s,
//! rule evaluations/s and peak memory. Run with `cargo bench -p vigil-rules`
//! (`VIGIL_BENCH_RESOURCES=N` to change the size, `VIGIL_BENCH_RULES=DIR` for another pack).
//!
//! The bar (issue 15, item 3): under 0.5 s and under 400 MiB on a 2-core machine.
//! `VIGIL_BENCH_PER_RULE=1` also times each rule alone (the 15 dearest, or the number
//! given, and the mean cost per rule), so a rule that costs out of proportion shows up by name.
//! `VIGIL_BENCH_EVIDENCE=1` prints the evidence the findings carry (serialized size), by
//! rule. `--features bench-system-alloc` swaps mimalloc for the system allocator, so that
//! `heaptrack` or `valgrind --tool=dhat` see every allocation.
//!
//! Wall time on a shared machine moves with the neighbours' load, so the CPU time the
//! process spent is printed beside it, user and system apart: user time is the figure
//! to compare between runs; system time is the kernel zeroing the pages the
//! evaluation's allocations touch first, and moves with the neighbours' memory traffic.
//!
//! Figures (100,000 resources, 424 rules, 972,370 evaluations, 882,413 findings of
//! which 251,803 FAIL or ERROR; a 2-core machine, idle unless said):
//! - 2026-12-07 (seventh session), 7e3c09f against this session's last commit,
//!   alternating four runs each: two threads 0.82-0.95 -> 0.54-0.67 s wall, one thread
//!   1.23-1.52 -> 0.99-1.24 s CPU, peak 333-335 -> 338-344 MiB, the same findings. The
//!   first pass had spent 0.26-0.29 s working out the graph analyses before the rules
//!   ran (measured by timing each): now 0.13-0.16 s (`analyses` in the output). How:
//!   reachability found subnets, security groups and gateways by scanning the account's
//!   resources of the type for every instance (quadratic: an index now), the escalation
//!   estate built its principals one after another (in parallel now), the two analyses
//!   ran one after the other (side by side now), each `Action` pattern was matched
//!   against the catalogue once per statement (once per analysis now), the analyses'
//!   maps hashed with SipHash (foldhash now: -12% of their instructions), boxed texts
//!   were copied through `Display`, address blocks parsed again per instance (the
//!   rules' per-thread cache now). In the loop (callgrind, 10,000 resources, one pass:
//!   333.6M -> 279.9M instructions): a block's `cidr_is_internet` and an entry's
//!   protocol and ports worked out once per pass for the 29 security-group rules that
//!   ask (`expr/direct/memo.rs`: -26M), each resource carrying its rules instead of
//!   three lookups by type (-10M), a helper's facts converted to CEL without interning
//!   their keys (-9M), and rules compiled whole run without the budget's two clock
//!   reads. Not met: 0.5 s. Left (10,000 resources, per pass): compiled checks ~90M,
//!   the walker ~70M (helpers, `admin_escalation`), the loop and its findings ~60M
//!   (evidence for each FAIL, the rule's shared `Arc` counted up by both threads),
//!   and 0.13-0.16 s of analyses, whose reachability part builds its hops' texts for
//!   every instance whether a finding shows them or not.
//! - 2026-12-07 (sixth session), e14148b against this session's last commit, alternating
//!   four runs each (the machine quiet at the time): two threads 1.19-1.26 -> 0.74-0.94
//!   s wall, one thread 1.55-2.10 -> 1.19-1.35 s CPU, peak 315-320 -> 329-334 MiB, the
//!   same findings. (Earlier sets in the session, the machine slower: 1.33-1.46 -> 1.02-
//!   1.15 s.) callgrind (10,000 resources, one pass of the evaluation with the set-up
//!   subtracted, deterministic): 587M -> 332M instructions (-43%). How, in that order:
//!   the walker deciding what it left to CEL (`type()`, `string()`, `modifiable_by`, a
//!   graph helper's failure through `&&`/`||`/`!` as CEL carries it: CEL ran for 2.1% of
//!   evaluations, now 0.4% at this size, 0.7% at 100,000; -46M), policies parsed once per
//!   resource and address blocks once per thread (-10M), the predicates of `exists`/`all`
//!   compiled to native checks when the rule loads (`expr/direct/pred.rs`: the
//!   security-group rules' `cidr_is_internet(r.cidr) && opens_any_port(r, [...])` over
//!   every ingress entry are a third of the pack's evaluations; -157M), fields read by
//!   interned key (-16M), whole conditions over `properties` compiled the same way (261
//!   of 424; -11M: the walker was no longer where the time went), a rule's port range
//!   read once for all the ports asked (-9M); and the reachability and data-access
//!   analyses worked out before the loop (in it, on one thread while the other waited).
//!   Left, per pass: the compiled checks themselves (~105M, mostly the security groups'
//!   29 rules x 5 entries), the walker over the conditions that do not compile (~90M,
//!   with the escalation and policy helpers), the loop around each evaluation and its
//!   finding (~60M: the budget's clock read, the helpers' thread-local records, evidence
//!   for each FAIL). Wall time gains less than instructions: allocation, the findings'
//!   first-touch page faults (0.15-0.25 s of system time) and memory traffic over a 150
//!   MiB inventory do not shrink with them. 0.5 s is not reached; next: decode each
//!   ingress entry once per resource for all the security-group rules, fewer
//!   allocations per finding.
//! - 2026-12-07 (00f3a25), alternating with the commit before: peak 462-464 -> 312-322
//!   MiB (under the 400 MiB bar), 297 -> 147 MiB before evaluating, the same findings.
//!   How: properties are `vigil_inventory::Value`s (24 bytes; an object is one boxed
//!   slice of entries sorted by key, keys interned) instead of `serde_json::Value`
//!   trees. CPU unchanged within the noise (one thread 1.87-2.52 s before, 2.28-2.39 s
//!   after) until c7dd202: a lookup in an object of up to 32 entries compares lengths
//!   and first bytes before the text (callgrind, 10,000 resources: 1,464M -> 1,321M
//!   instructions, memcmp 112M -> 53M); one thread 2.18-2.27 -> 1.52-2.09 s CPU, two
//!   threads 1.09-1.45 -> 0.90-1.10 s wall (090bfe2, before both: 1.47 s, 465 MiB).
//!   Next for time: resolving a rule's property names to interned keys when it loads
//!   (a pointer comparison per entry), and the walker's string dispatch of functions.
//! - 2026-12-07 (a091beb), before and after side by side, alternating runs: peak
//!   864-879 -> 464-467 MiB; one thread (`RAYON_NUM_THREADS=1`, CPU time without the
//!   workers' spinning) 3.17-3.19 -> 2.13-2.51 s CPU, of it system time 0.74-0.78 ->
//!   0.17-0.22 s; two threads 1.35-1.93 -> 1.45-1.61 s wall. How: evidence points into
//!   the inventory rather than copying the values read (a security group's `ingress`
//!   was ~3.8 KB a copy, once per failing rule), a `Finding` is 56 bytes instead of 144
//!   (evidence behind one pointer), mimalloc no longer asks for transparent huge pages
//!   (memory committed 2 MiB at a time: 508 -> 462 MiB alone), one clock read per
//!   evaluation. Two threads gain 1.4-1.6x over one here (the same CPU time in all,
//!   spread over two vCPUs that each run slower), and neighbours move both figures
//!   by about 15% from run to run: compare side by side, alternating.
//! - Where the memory goes now (heaptrack, `bench-system-alloc`, 20,000 resources, 95.6
//!   MB heap peak): the inventory's JSON 45.4 MB (47%: every JSON object, however
//!   small, is a `BTreeMap` leaf of 632 bytes, every key its own `String`), the findings
//!   11.3 MB (56 bytes each, PASS included), evidence 5.1 MB, one wave's findings before
//!   they join the result 4.9 MB (fixed, not per resource), resource ids and names
//!   4.1 MB, the inventory's indexes 3.9 MB, the escalation analysis 4.0 MB, resource
//!   structs 2.4 MB, parsed policies 2.0 MB, the rule pack ~5 MB. At 100,000 the
//!   inventory's JSON is ~227 MB of the 464 MiB: the 400 MiB bar needs an inventory
//!   leaner than `serde_json::Value` trees (small maps inline, interned keys), which
//!   would also make property lookups cheaper (`BTreeMap::get` and its `memcmp` are
//!   ~15% of evaluation time).
//! - Earlier (ab86dbe -> 1396b1f, load 5-6): 1.24-1.29 -> 0.79-0.85 s user by
//!   `exists`/`all` as native loops, the escalation and reach helpers decided by the
//!   direct walker, `admin_escalation` answered once per principal. Cost grows linearly
//!   with the rules (`VIGIL_BENCH_GROWTH=1`: half the pack costs half), so bounded per
//!   rule; a resource costs what the rules of its type cost (security groups, 29 rules
//!   over 5 ingress entries each, are the dearest).

#![allow(clippy::print_stdout)]

use std::path::PathBuf;

#[cfg(not(feature = "bench-system-alloc"))]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Instant;

use serde_json::{Value, json};
use vigil_inventory::{Inventory, Relation, Resource};
use vigil_rules::{EvalContext, RuleSet, Status, evaluate};

/// A small deterministic generator, so every run measures the same inventory.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
}

/// Resources of each type per account; about 5,000 per account.
const MIX: &[(&str, usize)] = &[
    ("aws.iam.user", 300),
    ("aws.iam.role", 400),
    ("aws.iam.policy", 300),
    ("aws.iam.group", 30),
    ("aws.s3.bucket", 250),
    ("aws.ec2.vpc", 20),
    ("aws.ec2.subnet", 100),
    ("aws.ec2.route_table", 60),
    ("aws.ec2.network_acl", 40),
    ("aws.ec2.flow_log", 15),
    ("aws.ec2.security_group", 800),
    ("aws.ec2.instance", 700),
    ("aws.ec2.volume", 900),
    ("aws.ec2.snapshot", 500),
    ("aws.kms.key", 100),
    ("aws.logs.log_group", 300),
    ("aws.lambda.function", 200),
    ("aws.secretsmanager.secret", 100),
    ("aws.rds.db_instance", 30),
    ("aws.sns.topic", 30),
    ("aws.cloudtrail.trail", 2),
];

const REGIONS: &[&str] = &["us-east-1", "eu-west-1", "ap-southeast-2", "us-west-2"];

fn properties(kind: &str, rng: &mut Lcg, n: usize) -> Value {
    let date = |rng: &mut Lcg| {
        format!(
            "2025-{:02}-{:02}T10:00:00Z",
            1 + rng.next() % 12,
            1 + rng.next() % 28
        )
    };
    let doc = |rng: &mut Lcg| {
        let action = rng.pick(&[
            "s3:GetObject",
            "ec2:Describe*",
            "*",
            "iam:PassRole",
            "logs:*",
        ]);
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": "*"}]})
    };
    let ingress = |rng: &mut Lcg| {
        (0..5)
            .map(|_| {
                let port = [22, 80, 443, 3389, 5432][(rng.next() % 5) as usize];
                let cidr = rng.pick(&["10.0.0.0/8", "0.0.0.0/0", "192.168.0.0/16", "::/0"]);
                json!({"protocol": "tcp", "from_port": port, "to_port": port, "cidr": cidr})
            })
            .collect::<Vec<_>>()
    };
    match kind {
        "aws.iam.user" => json!({
            "arn": format!("user-{n}"), "user_name": format!("user-{n}"), "create_date": date(rng),
            "password_enabled": rng.chance(50), "password_last_used": if rng.chance(50) { json!(date(rng)) } else { Value::Null },
            "mfa_active": rng.chance(70), "mfa_devices": [],
            "access_keys": [{"access_key_id": format!("AKIA{n}"), "status": "Active", "create_date": date(rng), "last_used_date": date(rng), "last_used_service": "s3"}],
            "attached_policies": if rng.chance(20) { json!(["arn:aws:iam::aws:policy/ReadOnlyAccess"]) } else { json!([]) },
            "inline_policies": [], "groups": ["devs"],
        }),
        "aws.iam.role" => json!({
            "arn": format!("role-{n}"), "role_name": format!("role-{n}"), "path": "/", "create_date": date(rng),
            "assume_role_policy": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
            "attached_policies": [], "inline_policies": [{"name": "inline", "document": doc(rng)}], "role_last_used": Value::Null, "is_service_linked": false,
        }),
        "aws.iam.policy" => json!({
            "arn": format!("policy-{n}"), "policy_name": format!("policy-{n}"), "is_aws_managed": rng.chance(30),
            "attachment_count": rng.next() % 3, "document": doc(rng), "default_version_id": "v1",
        }),
        "aws.iam.group" => {
            json!({"arn": format!("group-{n}"), "group_name": format!("group-{n}"), "attached_policies": [], "inline_policies": []})
        }
        "aws.s3.bucket" => json!({
            "bucket_region": "us-east-1", "creation_date": date(rng),
            "encryption": if rng.chance(80) { json!({"sse_algorithm": "AES256", "kms_master_key_id": null, "bucket_key_enabled": false}) } else { Value::Null },
            "public_access_block": {"block_public_acls": true, "ignore_public_acls": true, "block_public_policy": rng.chance(90), "restrict_public_buckets": true},
            "policy": if rng.chance(50) { json!({"Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}) } else { Value::Null },
            "policy_is_public": false, "acl_grants": [],
            "versioning": {"status": if rng.chance(60) { "Enabled" } else { "Suspended" }, "mfa_delete": null},
            "logging": null, "ownership_controls": "BucketOwnerEnforced", "object_lock": null, "lifecycle_rules": [], "replication_rules": [],
        }),
        "aws.ec2.security_group" => json!({
            "group_id": format!("sg-{n}"), "group_name": if n.is_multiple_of(40) { "default" } else { "app" }, "vpc_id": "vpc-1", "description": "",
            "is_default": n.is_multiple_of(40), "ingress": ingress(rng), "ingress_from_groups": [],
            "egress": [{"protocol": "-1", "from_port": null, "to_port": null, "cidr": "0.0.0.0/0"}], "attached_enis": rng.next() % 4,
        }),
        "aws.ec2.network_acl" => {
            json!({"network_acl_id": format!("acl-{n}"), "vpc_id": "vpc-1", "is_default": true, "entries": [
            {"rule_number": 100, "protocol": "-1", "rule_action": "allow", "egress": false, "cidr": "0.0.0.0/0", "from_port": null, "to_port": null}]})
        }
        "aws.ec2.instance" => json!({
            "instance_id": format!("i-{n}"), "instance_type": "t3.micro", "image_id": "ami-1", "launch_time": date(rng), "state": "running",
            "metadata_options": {"http_tokens": if rng.chance(60) { "required" } else { "optional" }, "http_endpoint": "enabled", "http_put_response_hop_limit": 1},
            "public_ip_address": if rng.chance(20) { json!("203.0.113.10") } else { Value::Null },
            "iam_instance_profile_arn": if rng.chance(70) { json!("profile") } else { Value::Null },
            "security_group_ids": ["sg-1"], "subnet_id": "subnet-1", "vpc_id": "vpc-1",
        }),
        "aws.ec2.volume" => {
            json!({"volume_id": format!("vol-{n}"), "encrypted": rng.chance(75), "kms_key_id": null, "state": "in-use", "size_gib": 20, "attachments": []})
        }
        "aws.ec2.snapshot" => {
            json!({"snapshot_id": format!("snap-{n}"), "volume_id": "vol-1", "encrypted": rng.chance(75), "start_time": date(rng),
            "create_volume_permissions": if rng.chance(2) { json!([{"group": "all", "user_id": null}]) } else { json!([]) }})
        }
        "aws.ec2.vpc" => {
            json!({"vpc_id": format!("vpc-{n}"), "cidr_block": "10.0.0.0/16", "ipv6_cidr_blocks": [], "is_default": n.is_multiple_of(10), "state": "available"})
        }
        "aws.ec2.subnet" => {
            json!({"subnet_id": format!("subnet-{n}"), "vpc_id": "vpc-1", "cidr_block": "10.0.1.0/24", "availability_zone": "us-east-1a", "map_public_ip_on_launch": rng.chance(20)})
        }
        "aws.ec2.route_table" => {
            json!({"route_table_id": format!("rtb-{n}"), "vpc_id": "vpc-1", "routes": [{"destination_cidr": "0.0.0.0/0", "destination_ipv6_cidr": null, "gateway_id": "igw-1", "nat_gateway_id": null, "vpc_peering_connection_id": null, "state": "active"}], "associations": []})
        }
        "aws.ec2.flow_log" => {
            json!({"flow_log_id": format!("fl-{n}"), "resource_id": "vpc-1", "traffic_type": "ALL", "log_destination_type": "s3", "log_destination": "arn:aws:s3:::logs", "deliver_logs_status": "SUCCESS"})
        }
        "aws.kms.key" => {
            json!({"key_id": format!("key-{n}"), "arn": format!("key-{n}"), "key_manager": "CUSTOMER", "key_state": "Enabled", "key_spec": "SYMMETRIC_DEFAULT", "key_usage": "ENCRYPT_DECRYPT", "origin": "AWS_KMS",
            "rotation_enabled": rng.chance(50), "policy": {"Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::1:root"}, "Action": "kms:*", "Resource": "*"}]}, "aliases": [], "deletion_date": null})
        }
        "aws.logs.log_group" => {
            json!({"arn": format!("lg-{n}"), "log_group_name": format!("/app/{n}"), "retention_days": if rng.chance(50) { json!(365) } else { Value::Null }, "kms_key_id": null})
        }
        "aws.lambda.function" => {
            json!({"function_arn": format!("fn-{n}"), "function_name": format!("fn-{n}"), "runtime": rng.pick(&["python3.12", "python3.7", "nodejs20.x"]), "role": "role-1",
            "policy": null, "url_config": null, "environment_variable_names": ["STAGE"], "vpc_id": null, "tracing_mode": "PassThrough"})
        }
        "aws.secretsmanager.secret" => {
            json!({"arn": format!("secret-{n}"), "name": format!("secret-{n}"), "rotation_enabled": rng.chance(50), "rotation_days": 30, "last_rotated_date": date(rng), "last_accessed_date": date(rng), "kms_key_id": null})
        }
        "aws.rds.db_instance" => {
            json!({"db_instance_identifier": format!("db-{n}"), "engine": "postgres", "storage_encrypted": rng.chance(80), "kms_key_id": null, "publicly_accessible": rng.chance(5),
            "auto_minor_version_upgrade": true, "multi_az": rng.chance(50), "backup_retention_period_days": 7, "deletion_protection": true})
        }
        "aws.sns.topic" => {
            json!({"topic_arn": format!("topic-{n}"), "kms_master_key_id": null, "policy": {"Statement": []}, "subscriptions_confirmed": 1})
        }
        "aws.cloudtrail.trail" => {
            json!({"trail_arn": format!("trail-{n}"), "name": "main", "home_region": "us-east-1", "is_multi_region_trail": true, "is_organization_trail": false,
            "log_file_validation_enabled": true, "is_logging": true, "latest_delivery_time": date(rng), "s3_bucket_name": "logs", "kms_key_id": null,
            "cloud_watch_logs_log_group_arn": null, "include_management_events": true, "read_write_type": "All", "data_events": []})
        }
        _ => json!({}),
    }
}

fn synthetic(total: usize) -> (Vec<Resource>, Vec<Relation>) {
    let per_account: usize = MIX.iter().map(|(_, n)| n).sum::<usize>() + 1 + REGIONS.len();
    let accounts = total.div_ceil(per_account);
    let mut rng = Lcg(42);
    let mut resources = Vec::with_capacity(total);
    let mut relations = Vec::new();
    for a in 0..accounts {
        let account = format!("{:012}", 100_000_000_000u64 + a as u64);
        let acct_id = format!("arn:aws::{account}:account");
        resources.push(Resource::new(&acct_id, "aws.account", &account, "global").with_property("password_policy", Value::Null)
            .with_property("root", json!({"mfa_active": true, "hardware_mfa": false, "access_key_1_active": false, "access_key_2_active": false, "password_last_used": null, "access_key_1_last_used": null, "access_key_2_last_used": null}))
            .with_property("alternate_contacts", json!({"security": null, "billing": null, "operations": null}))
            .with_property("support_role_exists", json!(false))
            .with_property("s3_public_access_block", Value::Null)
            .with_property("organization", Value::Null)
            .with_property("account_summary", json!({})));
        for region in REGIONS {
            resources.push(
                Resource::new(
                    format!("{acct_id}/{region}"),
                    "aws.region",
                    &account,
                    *region,
                )
                .with_property("region", json!(region))
                .with_property("ebs_encryption_by_default", json!(rng.chance(50)))
                .with_property("ebs_default_kms_key_id", Value::Null),
            );
        }
        let mut groups = Vec::new();
        for (kind, count) in MIX {
            for n in 0..*count {
                let region = if kind.starts_with("aws.iam") || *kind == "aws.s3.bucket" {
                    "global"
                } else {
                    REGIONS[n % REGIONS.len()]
                };
                let id = format!("arn:aws:{kind}:{region}:{account}:{n}");
                let mut r = Resource::new(&id, *kind, &account, region);
                r.properties = properties(kind, &mut rng, n).into();
                match *kind {
                    "aws.ec2.security_group" => groups.push(id.clone()),
                    "aws.ec2.instance" if !groups.is_empty() => {
                        for _ in 0..2 {
                            let g = &groups[(rng.next() as usize) % groups.len()];
                            relations.push(Relation::new(&id, "uses", g));
                        }
                    }
                    _ => {}
                }
                resources.push(r);
                if resources.len() >= total {
                    return (resources, relations);
                }
            }
        }
    }
    (resources, relations)
}

fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// CPU time this process has spent so far (user + system), in seconds.
fn cpu_secs() -> f64 {
    let (user, system) = cpu_split();
    user + system
}

/// CPU time this process has spent so far, user and system apart, in seconds. The
/// system part is mostly the kernel zeroing fresh pages for what the evaluation
/// allocates: it moves with the neighbours' memory traffic, the user part much less.
fn cpu_split() -> (f64, f64) {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return (0.0, 0.0);
    };
    // Fields after the command name (which may hold spaces) start at `) `.
    let rest = stat.rsplit_once(") ").map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 of the whole line, 12 and 13 here; the
    // kernel reports them in clock ticks of 1/100 s on Linux.
    (ticks(11) / 100.0, ticks(12) / 100.0)
}

fn rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

fn main() {
    let total: usize = std::env::var("VIGIL_BENCH_RESOURCES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    // `VIGIL_BENCH_RULES` points at another rule pack (a fixed copy, so that figures
    // compare while rules are being added to the tree).
    let rules_dir = std::env::var_os("VIGIL_BENCH_RULES")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../rules"));
    let rules = RuleSet::load_dirs(&[rules_dir]).unwrap_or_else(|e| panic!("{e}"));

    let t = Instant::now();
    let (resources, relations) = synthetic(total);
    let generated = t.elapsed();
    let t = Instant::now();
    let inventory =
        Inventory::new(resources, relations, Vec::new()).expect("synthetic ids are unique");
    let indexed = t.elapsed();
    let ctx = EvalContext::new(
        Arc::new(inventory),
        "2026-06-01T00:00:00Z".parse().expect("valid time"),
    );

    let before = rss_mib();
    let t = Instant::now();
    let split = cpu_split();
    let (findings, stats) = evaluate(&rules, &ctx);
    let elapsed = t.elapsed();
    let (user, system) = {
        let now = cpu_split();
        (now.0 - split.0, now.1 - split.1)
    };
    let cpu = user + system;
    let after = rss_mib();
    // Extra passes, for profiling the evaluation rather than the set-up.
    let repeat: usize = std::env::var("VIGIL_BENCH_REPEAT")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    for _ in 0..repeat {
        let t2 = Instant::now();
        let again = evaluate(&rules, &ctx);
        println!(
            "  repeat pass: {:.3} s, {} findings",
            t2.elapsed().as_secs_f64(),
            again.0.len()
        );
    }
    let secs = elapsed.as_secs_f64();
    let per_rule = std::env::var("VIGIL_BENCH_PER_RULE")
        .ok()
        .map(|top| per_rule(&rules, &ctx, top.parse().unwrap_or(15)));
    let failed = findings.iter().filter(|f| f.status == Status::Fail).count();
    let errors = findings
        .iter()
        .filter(|f| f.status == Status::Error)
        .count();
    println!(
        "vigil evaluate benchmark ({} threads)",
        rayon::current_num_threads()
    );
    println!("  rules:            {}", rules.len());
    println!("  resources:        {}", ctx.inventory().len());
    println!(
        "  generate / index: {:.3} s / {:.3} s",
        generated.as_secs_f64(),
        indexed.as_secs_f64()
    );
    println!(
        "  evaluated:        {} resources, {} rule evaluations, {} findings ({failed} FAIL, {errors} ERROR)",
        stats.resources,
        stats.evaluations,
        findings.len()
    );
    println!(
        "  evaluation time:  {secs:.3} s wall, {cpu:.2} s CPU ({user:.2} s user, {system:.2} s system)"
    );
    println!(
        "  of it, analyses:  {:.3} s wall (escalation, reachability, data access, before the rules run)",
        stats.analyses.as_secs_f64()
    );
    println!(
        "  left to CEL:      {} condition runs the direct walker did not decide ({:.1}% of evaluations)",
        stats.by_cel,
        stats.by_cel as f64 * 100.0 / stats.evaluations.max(1) as f64
    );
    println!(
        "  resources/s:      {:.0}",
        ctx.inventory().len() as f64 / secs
    );
    println!("  evaluations/s:    {:.0}", stats.evaluations as f64 / secs);
    let thousands = ctx.inventory().len() as f64 / 1000.0;
    println!(
        "  cost:             {:.2} µs CPU per evaluation; per rule per 1,000 resources {:.1} µs CPU",
        cpu * 1e6 / stats.evaluations.max(1) as f64,
        cpu * 1e6 / rules.len().max(1) as f64 / thousands
    );
    match (peak_rss_mib(), before) {
        (Some(mib), Some(before)) => println!(
            "  peak memory:      {mib:.0} MiB (VmHWM, whole process; {before:.0} MiB before evaluating)"
        ),
        _ => println!("  peak memory:      unavailable (no /proc)"),
    }
    if std::env::var("VIGIL_BENCH_EVIDENCE").is_ok_and(|v| v == "1") {
        print!("{}", evidence_by_rule(&findings));
    }
    let count = findings.len();
    drop(findings);
    // With `MIMALLOC_PURGE_DELAY=0` the allocator gives freed pages back at once, so
    // the drop shows what the findings held.
    if let (Some(after), Some(dropped)) = (after, rss_mib()) {
        println!(
            "  findings held:    {:.0} MiB RSS ({after:.0} MiB after evaluating, {dropped:.0} MiB once the {count} findings are dropped; {} bytes per Finding inline)",
            after - dropped,
            std::mem::size_of::<vigil_rules::Finding>()
        );
    }
    // `VIGIL_BENCH_GROWTH=1`: the same inventory under every other rule, then under
    // all of them again, both after the first pass built what helpers prepare once per
    // scan. The cost per added rule beside the average per rule says whether cost
    // grows linearly with the pack (bounded per rule) or faster. Run after the first
    // pass's findings are dropped, so the peak above is that pass's alone.
    if std::env::var("VIGIL_BENCH_GROWTH").is_ok_and(|v| v == "1") {
        let pass = |keep: &(dyn Fn(&vigil_rules::Rule) -> bool + Sync)| {
            let started = cpu_secs();
            let (f, s) = vigil_rules::evaluate_where(&rules, &ctx, keep);
            drop(f);
            (cpu_secs() - started, s.evaluations)
        };
        let half: HashSet<&str> = rules.rules().iter().step_by(2).map(|r| r.id()).collect();
        let (half_cpu, half_evals) = pass(&|r| half.contains(r.id()));
        let (all_cpu, all_evals) = pass(&|_| true);
        let per_rule = |cpu: f64, n: usize| cpu * 1e6 / n.max(1) as f64 / thousands;
        println!(
            "  growth (warm):    {} rules {half_cpu:.2} s CPU ({half_evals} evaluations), {} rules {all_cpu:.2} s CPU ({all_evals}); per rule per 1,000 resources {:.1} µs CPU on average, {:.1} µs for each added rule",
            half.len(),
            rules.len(),
            per_rule(all_cpu, rules.len()),
            per_rule(all_cpu - half_cpu, rules.len() - half.len())
        );
    }
    if let Some(text) = per_rule {
        print!("{text}");
    }
}

/// Times each rule alone over the same inventory (analyses a helper prepares once per
/// scan are already built by the full pass, so this is the per-evaluation cost).
fn per_rule(rules: &RuleSet, ctx: &EvalContext, top: usize) -> String {
    use std::fmt::Write;
    let mut timings: Vec<(f64, &str, usize, usize)> = rules
        .rules()
        .iter()
        .map(|rule| {
            let t = Instant::now();
            let (_, s) = vigil_rules::evaluate_where(rules, ctx, |r| r.id() == rule.id());
            (
                t.elapsed().as_secs_f64(),
                rule.id(),
                s.evaluations,
                s.by_cel,
            )
        })
        .collect();
    timings.sort_by(|a, b| b.0.total_cmp(&a.0));
    let total: f64 = timings.iter().map(|t| t.0).sum();
    let evals: usize = timings.iter().map(|t| t.2).sum();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "  rules alone:      {total:.3} s in all, {:.2} ms per rule on average, {:.2} µs per evaluation",
        total * 1e3 / timings.len().max(1) as f64,
        total * 1e6 / evals.max(1) as f64
    );
    let by_cel = timings.iter().filter(|t| t.3 > 0).count();
    let _ = writeln!(
        out,
        "  rules CEL decides on some resource: {by_cel} of {}",
        timings.len()
    );
    for (t, id, n, cel) in timings.iter().take(top) {
        let _ = writeln!(
            out,
            "    {:>8.1} ms {n:>7} evals {cel:>7} by CEL {:>7.2} µs/eval  {id}",
            t * 1e3,
            t * 1e6 / (*n).max(1) as f64
        );
    }
    out
}

/// Serialized evidence per rule (a proxy for what the findings hold beyond their
/// fixed size), the rules with the most first.
fn evidence_by_rule(findings: &[vigil_rules::Finding]) -> String {
    use std::collections::HashMap;
    use std::fmt::Write;
    let mut by_rule: HashMap<&str, (usize, usize, usize)> = HashMap::new();
    for f in findings {
        let e = by_rule.entry(f.rule.id.as_str()).or_default();
        e.0 += 1;
        if f.status != Status::Pass {
            e.1 += 1;
            e.2 += serde_json::to_string(&f.evidence).map_or(0, |t| t.len());
        }
    }
    let mut rows: Vec<_> = by_rule.into_iter().collect();
    rows.sort_by_key(|r| std::cmp::Reverse(r.1.2));
    let total: usize = rows.iter().map(|r| r.1.2).sum();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "  evidence:         {:.1} MB serialized in all",
        total as f64 / 1e6
    );
    for (id, (n, not_pass, bytes)) in rows.iter().take(15) {
        let _ = writeln!(
            out,
            "    {:>8.1} MB {n:>7} findings {not_pass:>7} not PASS  {id}",
            *bytes as f64 / 1e6
        );
    }
    out
}
