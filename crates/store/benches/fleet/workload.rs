//! The synthetic organisation: accounts of a realistic size, generated the same way on
//! every run (no randomness, only a hash of the names), so two runs and two stores see
//! the same work.
//!
//! One account holds about 300 resources of eleven types in three regions, with the
//! properties the collectors gather (0.3 to 1.5 KB of JSON each), and about 460 findings:
//! one per (rule, resource) the rules apply to, 15% failing and 1% in error. A finding
//! body is an OCSF compliance finding with its evidence, 1.4 to 2 KB, about what the
//! rules engine writes.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use vigil_inventory::Resource;
use vigil_store::{FindingRecord, ResultCounts, ResultStatus, ScoreSummary};

/// The first account id; account `i` is `FIRST_ACCOUNT + i`, twelve digits.
pub const FIRST_ACCOUNT: u64 = 100_000_000_000;

const REGIONS: [&str; 3] = ["us-east-1", "eu-west-1", "ap-southeast-2"];

pub fn account_id(i: u64) -> String {
    format!("{:012}", FIRST_ACCOUNT + i)
}

/// A stable number in 0..100 for a name, so failures and changes spread evenly.
pub fn percent(parts: &[&str]) -> u64 {
    let mut hash = Sha256::new();
    for part in parts {
        hash.update(part.as_bytes());
        hash.update([0]);
    }
    let digest = hash.finalize();
    u64::from_le_bytes(digest[..8].try_into().expect("8 bytes")) % 100
}

/// A resource type of the synthetic account: how many, whether regional, its rules.
struct Kind {
    resource_type: &'static str,
    count: usize,
    regional: bool,
    rules: &'static [(&'static str, &'static str, &'static str, &'static str)],
}

/// (rule id, severity, CAF component, WAF area) per type.
const KINDS: [Kind; 11] = [
    Kind {
        resource_type: "aws.s3.bucket",
        count: 25,
        regional: false,
        rules: &[
            ("s3_bucket_block_public_acls", "high", "Preventive", "Data"),
            (
                "s3_bucket_default_encryption",
                "medium",
                "Preventive",
                "Data",
            ),
            (
                "s3_bucket_ssl_requests_only",
                "medium",
                "Preventive",
                "Data",
            ),
        ],
    },
    Kind {
        resource_type: "aws.iam.role",
        count: 60,
        regional: false,
        rules: &[("iam_role_no_admin_policy", "high", "Preventive", "Identity")],
    },
    Kind {
        resource_type: "aws.iam.user",
        count: 20,
        regional: false,
        rules: &[
            ("iam_user_mfa_enabled", "high", "Preventive", "Identity"),
            (
                "iam_user_access_key_rotated",
                "medium",
                "Preventive",
                "Identity",
            ),
            (
                "iam_user_no_inline_policies",
                "low",
                "Preventive",
                "Identity",
            ),
        ],
    },
    Kind {
        resource_type: "aws.iam.policy",
        count: 30,
        regional: false,
        rules: &[("iam_policy_no_full_admin", "high", "Preventive", "Identity")],
    },
    Kind {
        resource_type: "aws.ec2.instance",
        count: 40,
        regional: true,
        rules: &[
            (
                "ec2_instance_imdsv2_required",
                "high",
                "Preventive",
                "Infrastructure",
            ),
            (
                "ec2_instance_no_public_ip",
                "medium",
                "Preventive",
                "Infrastructure",
            ),
        ],
    },
    Kind {
        resource_type: "aws.ec2.security_group",
        count: 50,
        regional: true,
        rules: &[(
            "ec2_sg_no_ingress_0_0_0_0_admin_ports",
            "critical",
            "Preventive",
            "Infrastructure",
        )],
    },
    Kind {
        resource_type: "aws.ec2.volume",
        count: 40,
        regional: true,
        rules: &[("ec2_ebs_volume_encrypted", "medium", "Preventive", "Data")],
    },
    Kind {
        resource_type: "aws.rds.db_instance",
        count: 8,
        regional: true,
        rules: &[
            (
                "rds_instance_storage_encrypted",
                "medium",
                "Preventive",
                "Data",
            ),
            (
                "rds_instance_not_public",
                "critical",
                "Preventive",
                "Infrastructure",
            ),
            (
                "rds_instance_backup_enabled",
                "medium",
                "Responsive",
                "Incident",
            ),
            (
                "rds_instance_deletion_protection",
                "low",
                "Responsive",
                "Incident",
            ),
        ],
    },
    Kind {
        resource_type: "aws.lambda.function",
        count: 20,
        regional: true,
        rules: &[(
            "lambda_function_not_public",
            "critical",
            "Preventive",
            "Infrastructure",
        )],
    },
    Kind {
        resource_type: "aws.kms.key",
        count: 10,
        regional: true,
        rules: &[("kms_key_rotation_enabled", "medium", "Preventive", "Data")],
    },
    Kind {
        resource_type: "aws.cloudtrail.trail",
        count: 2,
        regional: true,
        rules: &[
            (
                "cloudtrail_multi_region_enabled",
                "high",
                "Detective",
                "Detection",
            ),
            (
                "cloudtrail_log_file_validation",
                "medium",
                "Detective",
                "Detection",
            ),
            (
                "cloudtrail_kms_encrypted",
                "medium",
                "Detective",
                "Detection",
            ),
        ],
    },
];

/// The epics a rule's WAF area counts towards.
fn epics(waf_area: &str) -> Vec<String> {
    let epics: &[&str] = match waf_area {
        "Data" => &["data_protection", "infrastructure_security"],
        "Identity" => &["identity_and_access_management"],
        "Infrastructure" => &["infrastructure_security", "threat_detection"],
        "Incident" => &["incident_response", "resilience"],
        _ => &["logging_and_monitoring", "threat_detection"],
    };
    epics.iter().map(|e| (*e).to_owned()).collect()
}

/// The properties of one resource, as a collector would gather them; `variant` bumps a
/// value, which is how a scan sees a modified resource.
fn properties(resource_type: &str, account: &str, n: usize, variant: u64) -> Value {
    let env = ["prod", "staging", "dev"][n % 3];
    let tags = json!({ "owner": format!("team-{}", n % 40), "env": env,
        "cost-centre": format!("cc-{:04}", n * 7 % 1000), "service": format!("svc-{}", n % 25) });
    match resource_type {
        "aws.s3.bucket" => json!({
            "public_access_block": { "block_public_acls": !n.is_multiple_of(7), "ignore_public_acls": true,
                "block_public_policy": true, "restrict_public_buckets": true },
            "encryption": { "algorithm": "aws:kms", "bucket_key": true,
                "kms_key_id": format!("arn:aws:kms:us-east-1:{account}:key/{n:08x}-1b2c-4d5e-8f90-{variant:012x}") },
            "versioning": { "status": "Enabled", "mfa_delete": null },
            "logging": { "target_bucket": format!("logs-{account}"), "prefix": format!("s3/{n}/") },
            "policy": { "Version": "2012-10-17", "Statement": [{ "Sid": "DenyInsecureTransport",
                "Effect": "Deny", "Principal": "*", "Action": "s3:*",
                "Resource": [format!("arn:aws:s3:::bucket-{account}-{n}"), format!("arn:aws:s3:::bucket-{account}-{n}/*")],
                "Condition": { "Bool": { "aws:SecureTransport": "false" } } }] },
            "lifecycle_rules": [{ "id": "expire-old", "status": "Enabled", "expiration_days": 365 + variant }],
            "tags": tags,
        }),
        "aws.iam.role" | "aws.iam.policy" => json!({
            "path": "/service-role/", "create_date": "2024-03-11T09:14:02Z",
            "assume_role_policy": { "Version": "2012-10-17", "Statement": [{ "Effect": "Allow",
                "Principal": { "Service": "lambda.amazonaws.com" }, "Action": "sts:AssumeRole" }] },
            "attached_policies": [
                { "name": "AWSLambdaBasicExecutionRole", "arn": "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole" },
                { "name": format!("app-{n}-access"), "arn": format!("arn:aws:iam::{account}:policy/app-{n}-access") },
            ],
            "last_used": { "date": "2026-11-30T22:01:45Z", "region": "us-east-1" },
            "max_session_duration": 3600 + variant,
            "tags": tags,
        }),
        "aws.iam.user" => json!({
            "create_date": "2023-06-02T10:00:00Z", "password_enabled": n.is_multiple_of(2),
            "mfa_devices": if n.is_multiple_of(5) { json!([]) } else { json!([{ "serial": format!("arn:aws:iam::{account}:mfa/user-{n}") }]) },
            "access_keys": [{ "id": format!("AKIA{n:016}"), "status": "Active", "created": "2025-01-04T08:00:00Z", "last_used": "2026-12-01T07:00:00Z" }],
            "groups": ["developers", "readonly"], "inline_policies": [], "password_last_used": "2026-12-0{}T08:00:00Z".replace("{}", &((variant % 9) + 1).to_string()),
            "tags": tags,
        }),
        "aws.ec2.instance" => json!({
            "instance_type": "m6i.large", "state": "running", "image_id": format!("ami-{n:017x}"),
            "metadata_options": { "http_tokens": if n.is_multiple_of(6) { "optional" } else { "required" }, "http_endpoint": "enabled", "http_put_response_hop_limit": 1 },
            "public_ip": if n.is_multiple_of(9) { json!(format!("54.12.{}.{}", n % 250, variant % 250)) } else { json!(null) },
            "private_ip": format!("10.{}.{}.{}", n % 4, n % 250, 10 + variant % 200),
            "subnet_id": format!("subnet-{:017x}", n % 6), "vpc_id": format!("vpc-{:017x}", n % 2),
            "security_groups": [format!("sg-{:017x}", n % 50), format!("sg-{:017x}", (n + 1) % 50)],
            "iam_instance_profile": format!("arn:aws:iam::{account}:instance-profile/app-{n}"),
            "block_devices": [{ "device": "/dev/xvda", "volume_id": format!("vol-{n:017x}"), "delete_on_termination": true }],
            "tags": tags,
        }),
        "aws.ec2.security_group" => json!({
            "group_name": format!("app-{n}"), "description": "application tier", "vpc_id": format!("vpc-{:017x}", n % 2),
            "ingress": [
                { "protocol": "tcp", "from_port": 443, "to_port": 443, "cidr_ipv4": ["0.0.0.0/0"] },
                { "protocol": "tcp", "from_port": 22, "to_port": 22, "cidr_ipv4": [if n.is_multiple_of(11) { "0.0.0.0/0" } else { "10.0.0.0/8" }] },
                { "protocol": "tcp", "from_port": 5432, "to_port": 5432, "source_groups": [format!("sg-{:017x}", (n + variant as usize) % 50)] },
            ],
            "egress": [{ "protocol": "-1", "cidr_ipv4": ["0.0.0.0/0"] }],
            "tags": tags,
        }),
        "aws.ec2.volume" => json!({
            "size_gib": 100 + variant, "volume_type": "gp3", "iops": 3000, "throughput": 125,
            "encrypted": !n.is_multiple_of(8), "kms_key_id": format!("arn:aws:kms:us-east-1:{account}:key/{n:08x}"),
            "attachments": [{ "instance_id": format!("i-{n:017x}"), "device": "/dev/xvda", "state": "attached" }],
            "tags": tags,
        }),
        "aws.rds.db_instance" => json!({
            "engine": "postgres", "engine_version": "16.4", "instance_class": "db.r6g.large",
            "storage_encrypted": !n.is_multiple_of(4), "publicly_accessible": n.is_multiple_of(10), "multi_az": true,
            "backup_retention_period": 7 + variant, "deletion_protection": !n.is_multiple_of(3),
            "endpoint": { "address": format!("db-{n}.abcdefghij.us-east-1.rds.amazonaws.com"), "port": 5432 },
            "vpc_security_groups": [format!("sg-{:017x}", n % 50)],
            "parameter_group": "default.postgres16", "auto_minor_version_upgrade": true,
            "tags": tags,
        }),
        "aws.lambda.function" => json!({
            "runtime": "python3.12", "handler": "app.handler", "memory_size": 512, "timeout": 30 + variant,
            "role": format!("arn:aws:iam::{account}:role/lambda-{n}"),
            "policy": { "Version": "2012-10-17", "Statement": [{ "Effect": "Allow",
                "Principal": { "Service": "events.amazonaws.com" }, "Action": "lambda:InvokeFunction" }] },
            "vpc_config": { "subnet_ids": [format!("subnet-{:017x}", n % 6)], "security_group_ids": [format!("sg-{:017x}", n % 50)] },
            "tags": tags,
        }),
        "aws.kms.key" => json!({
            "key_state": "Enabled", "key_manager": "CUSTOMER", "key_spec": "SYMMETRIC_DEFAULT",
            "rotation_enabled": !n.is_multiple_of(3), "rotation_period_days": 365, "description": format!("data key {n} v{variant}"),
            "policy": { "Version": "2012-10-17", "Statement": [{ "Sid": "Enable IAM User Permissions", "Effect": "Allow",
                "Principal": { "AWS": format!("arn:aws:iam::{account}:root") }, "Action": "kms:*", "Resource": "*" }] },
            "tags": tags,
        }),
        _ => json!({
            "is_multi_region": n.is_multiple_of(2), "log_file_validation": true, "kms_key_id": null,
            "s3_bucket": format!("trail-{account}"), "is_logging": true, "latest_delivery": format!("2026-12-0{}T00:00:00Z", variant % 9 + 1),
            "event_selectors": [{ "read_write_type": "All", "include_management_events": true }],
            "tags": tags,
        }),
    }
}

/// One resource's id in the synthetic account.
fn resource_id(resource_type: &str, account: &str, region: &str, n: usize) -> String {
    let name = resource_type.rsplit('.').next().unwrap_or(resource_type);
    if region == "global" {
        format!("arn:aws:{name}::{account}:{name}/synthetic-{n:05}")
    } else {
        format!("arn:aws:{name}:{region}:{account}:{name}/synthetic-{n:05}")
    }
}

/// What one scan of account `i` in round `round` saw: its inventory, its findings (the
/// daemon's records) and its counts. Round 0 is the first scan; from round 1 on, 1% of
/// the resources are modified and 1% of the findings change result each round.
pub struct ScanData {
    pub account: String,
    pub resources: Vec<Resource>,
    pub findings: Vec<FindingRecord>,
    pub counts: ResultCounts,
}

pub fn scan_data(i: u64, round: u64) -> ScanData {
    let account = account_id(i);
    let mut resources = Vec::new();
    let mut findings = Vec::new();
    let mut counts = ResultCounts::default();
    for kind in &KINDS {
        for n in 0..kind.count {
            let region = if kind.regional {
                REGIONS[n % REGIONS.len()]
            } else {
                "global"
            };
            let id = resource_id(kind.resource_type, &account, region, n);
            let changed = round > 0 && percent(&[&id, "change"]) == round % 100;
            let variant = if changed { round } else { 0 };
            let props = properties(kind.resource_type, &account, n, variant);
            let mut resource = Resource::new(&id, kind.resource_type, &account, region);
            resource.name = Some(format!("synthetic-{n:05}"));
            if let Value::Object(map) = &props {
                for (k, v) in map {
                    if k == "tags" {
                        if let Value::Object(tags) = v {
                            for (tk, tv) in tags {
                                resource
                                    .tags
                                    .insert(tk.clone(), tv.as_str().unwrap_or("").to_owned());
                            }
                        }
                    } else {
                        resource = resource.with_property(k, v.clone());
                    }
                }
            }
            for &(rule, severity, caf, waf) in kind.rules {
                let p = percent(&[&id, rule]);
                let flip = round > 0 && percent(&[&id, rule, "flip"]) == round % 100;
                let status = match (p, flip) {
                    (0, _) => ResultStatus::Error,
                    (1..=15, false) | (16..=99, true) => ResultStatus::Fail,
                    _ => ResultStatus::Pass,
                };
                match status {
                    ResultStatus::Pass => counts.pass += 1,
                    ResultStatus::Fail => counts.fail += 1,
                    ResultStatus::Error => counts.error += 1,
                    ResultStatus::Muted => counts.muted += 1,
                }
                findings.push(finding(&resource, &props, rule, severity, caf, waf, status));
            }
            resources.push(resource);
        }
    }
    ScanData {
        account,
        resources,
        findings,
        counts,
    }
}

fn finding(
    resource: &Resource,
    props: &Value,
    rule: &str,
    severity: &str,
    caf: &str,
    waf: &str,
    status: ResultStatus,
) -> FindingRecord {
    let uid = format!("vigil:{rule}:{}", resource.id);
    let title = rule.replace('_', " ");
    // The evidence: the properties the rule read, as the rules engine attaches them.
    let evidence: serde_json::Map<String, Value> = props
        .as_object()
        .map(|m| {
            m.iter()
                .filter(|(k, _)| *k != "tags")
                .take(2)
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        })
        .unwrap_or_default();
    let detail = (status == ResultStatus::Error)
        .then(|| "AccessDenied: not authorized to perform GetBucketPolicy".to_owned());
    let body = json!({
        "class_uid": 2003, "class_name": "Compliance Finding", "category_uid": 2, "activity_id": 1,
        "type_uid": 200301, "severity": severity, "status": status.as_str(),
        "time": 1_796_000_000_000_i64,
        "finding_info": { "uid": uid, "title": title,
            "desc": format!("Checks that {title} holds for every {} of the account.", resource.resource_type),
            "types": [format!("Software and Configuration Checks/AWS Security Best Practices/{waf}")] },
        "resources": [{ "uid": resource.id, "type": resource.resource_type, "region": resource.region,
            "name": resource.name, "owner": { "account": { "uid": resource.account } }, "labels": resource.tags }],
        "compliance": { "control": rule, "status": status.as_str(),
            "standards": ["AWS Foundational Security Best Practices v1.0.0", "CIS AWS Foundations Benchmark v3.0.0"],
            "requirements": [format!("FSBP {}", rule.len()), format!("CIS {}.{}", rule.len() % 5, rule.len() % 9)] },
        "remediation": { "desc": format!("Change the {} so that {title}; see the rule's documentation for the console and CLI steps.", resource.resource_type),
            "references": ["https://docs.aws.amazon.com/securityhub/latest/userguide/fsbp-standard.html"] },
        "evidences": [{ "data": evidence }],
        "status_detail": detail,
        "unmapped": { "caf_component": caf, "waf_area": waf, "epics": epics(waf) },
        "metadata": { "product": { "name": "Vigil", "vendor_name": "Vigil" }, "version": "1.1.0" },
    });
    FindingRecord {
        body,
        uid,
        rule_id: rule.to_owned(),
        resource_id: resource.id.clone(),
        resource_type: resource.resource_type.clone(),
        account: resource.account.clone(),
        region: resource.region.clone(),
        status,
        status_detail: detail,
        severity: severity.to_owned(),
        title,
        caf_component: caf.to_owned(),
        waf_area: waf.to_owned(),
        epics: epics(waf),
    }
}

/// The scorecard the daemon stores with each scan (about 4 KB), and its summary.
pub fn scorecard(counts: &ResultCounts) -> (Value, ScoreSummary) {
    let epic_names = [
        "identity_and_access_management",
        "data_protection",
        "infrastructure_security",
        "threat_detection",
        "logging_and_monitoring",
        "incident_response",
        "resilience",
        "governance",
    ];
    let mut summary = ScoreSummary::default();
    let mut epics = BTreeMap::new();
    for (i, epic) in epic_names.iter().enumerate() {
        let level = ((counts.pass + i as u64) % 4) as u8;
        summary.epic_levels.insert((*epic).to_owned(), level);
        epics.insert(
            (*epic).to_owned(),
            json!({ "level": level, "score": 0.25 * f64::from(level),
                "controls": { "pass": counts.pass / 8, "fail": counts.fail / 8, "error": counts.error / 8 },
                "capabilities": (0..6).map(|c| json!({ "id": format!("{epic}.{c}"), "met": c % 2 == 0,
                    "why": "the controls mapped to this capability pass in every region" })).collect::<Vec<_>>() }),
        );
    }
    for caf in ["Preventive", "Detective", "Responsive", "Directive"] {
        summary.caf_components.insert(caf.to_owned(), 0.72);
    }
    for waf in [
        "Identity",
        "Data",
        "Infrastructure",
        "Detection",
        "Incident",
    ] {
        summary.waf_areas.insert(waf.to_owned(), 0.66);
    }
    let scorecard = json!({ "epics": epics, "caf": summary.caf_components, "waf": summary.waf_areas,
        "enablers": { "guardduty": "Completed", "security_hub": "Engaged", "config": "Completed" } });
    (scorecard, summary)
}
