//! Benchmark: the privilege-escalation analysis over an organisation-sized IAM estate
//! (10,000 roles, 5,000 users, 20,000 customer managed policies over 10 accounts),
//! computing every principal's path to administrator, then who can read and write
//! every data store (3,000 buckets, 2,000 secrets, 1,000 KMS keys). Prints wall time per
//! phase and peak memory. Run with `cargo bench -p vigil-rules --bench escalation`.
//!
//! The bar (issue 10, item 8): under 5 seconds and under 1 GiB on a 2-core machine.
//!
//! The estate is shaped like real ones: managed policies are shared with a skewed
//! popularity (a few attached everywhere, most to a handful of principals), most
//! statements are about data services, a few per cent grant the calls escalation
//! methods use, roles trust services, their own account, other accounts of the
//! organisation or an identity provider, and compute runs as some of the roles. The
//! accounts are one organisation: the management account (no SCP applies), seven
//! member accounts under guardrail SCPs (root: FullAWSAccess and a Deny on leaving the
//! organisation; a workloads OU denying IAM user and access-key creation), one member
//! account under an allow-list OU, and one whose OU chain was not collected (every
//! answer about it is conditional). Buckets, secrets and keys have resource policies
//! granting other accounts of the organisation here and there; secrets are under their
//! account's keys or `aws/secretsmanager`.

#![allow(clippy::print_stdout)]

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::time::Instant;

use serde_json::{Value, json};
use vigil_inventory::{Inventory, Resource};
use vigil_rules::escalation::Analysis;
use vigil_rules::escalation::data::DataAccess;
use vigil_rules::{EvalContext, RuleSet, Severity, Status, evaluate_where};

/// A small deterministic generator, so every run measures the same estate.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, per_mille: u64) -> bool {
        self.next() % 1000 < per_mille
    }
    /// Skewed towards small indexes: popular policies are attached far more often.
    fn skewed(&mut self, n: usize) -> usize {
        let u = (self.next() % 1_000_000) as f64 / 1_000_000.0;
        ((u * u * u) * n as f64) as usize
    }
}

const ACCOUNTS: usize = 10;
const BUCKETS: usize = 3_000;
const SECRETS: usize = 2_000;
const KEYS: usize = 1_000;
const ROLES: usize = 10_000;
const USERS: usize = 5_000;
const POLICIES: usize = 20_000;

const DATA_ACTIONS: &[&str] = &[
    "s3:GetObject",
    "s3:PutObject",
    "s3:ListBucket",
    "dynamodb:GetItem",
    "dynamodb:Query",
    "dynamodb:PutItem",
    "sqs:SendMessage",
    "sqs:ReceiveMessage",
    "sns:Publish",
    "logs:CreateLogStream",
    "logs:PutLogEvents",
    "kms:Decrypt",
    "kms:GenerateDataKey",
    "ec2:Describe*",
    "cloudwatch:PutMetricData",
    "secretsmanager:GetSecretValue",
    "ssm:GetParameter",
    "ecr:GetAuthorizationToken",
    "xray:PutTraceSegments",
    "lambda:InvokeFunction",
];

/// Calls escalation methods use, granted here and there (as in real estates).
const RISKY: &[&str] = &[
    "iam:PassRole",
    "ec2:RunInstances",
    "lambda:CreateFunction",
    "lambda:UpdateFunctionCode",
    "sts:AssumeRole",
    "iam:CreateAccessKey",
    "codebuild:StartBuild",
    "ssm:SendCommand",
    "iam:PutRolePolicy",
    "cloudformation:CreateStack",
    "glue:CreateDevEndpoint",
    "iam:AttachUserPolicy",
];

const SERVICES: &[&str] = &[
    "ec2.amazonaws.com",
    "ec2.amazonaws.com",
    "lambda.amazonaws.com",
    "lambda.amazonaws.com",
    "ecs-tasks.amazonaws.com",
    "codebuild.amazonaws.com",
    "glue.amazonaws.com",
    "sagemaker.amazonaws.com",
    "cloudformation.amazonaws.com",
];

fn account(i: usize) -> String {
    format!("{:012}", 100_000_000_000u64 + i as u64)
}

fn policy_document(rng: &mut Lcg, acct: &str) -> Value {
    let mut statements = Vec::new();
    for _ in 0..2 + rng.below(5) {
        let actions: Vec<&str> = (0..1 + rng.below(4))
            .map(|_| DATA_ACTIONS[rng.below(DATA_ACTIONS.len())])
            .collect();
        let resource = if rng.chance(500) {
            json!("*")
        } else {
            json!(format!("arn:aws:s3:::data-{acct}-{}/*", rng.below(300)))
        };
        statements.push(json!({"Effect": "Allow", "Action": actions, "Resource": resource}));
    }
    if rng.chance(40) {
        let action = RISKY[rng.below(RISKY.len())];
        let resource = match action {
            "iam:PassRole" | "sts:AssumeRole" | "iam:PutRolePolicy" if rng.chance(700) => {
                format!("arn:aws:iam::{acct}:role/app-{}-*", rng.below(50))
            }
            "iam:CreateAccessKey" | "iam:AttachUserPolicy" if rng.chance(800) => {
                format!("arn:aws:iam::{acct}:user/${{aws:username}}")
            }
            _ => "*".to_owned(),
        };
        let mut s = json!({"Effect": "Allow", "Action": action, "Resource": resource});
        if rng.chance(200) {
            s["Condition"] = json!({"Bool": {"aws:MultiFactorAuthPresent": "true"}});
        }
        statements.push(s);
    }
    if rng.chance(30) {
        statements.push(
            json!({"Effect": "Deny", "Action": ["iam:*", "organizations:*"], "Resource": "*"}),
        );
    }
    json!({"Version": "2012-10-17", "Statement": statements})
}

fn inline(rng: &mut Lcg, acct: &str) -> Value {
    if rng.chance(300) {
        json!([{"name": "inline", "document": policy_document(rng, acct)}])
    } else {
        json!([])
    }
}

fn estate() -> Inventory {
    let mut rng = Lcg(0x005e_ed10);
    let mut resources = Vec::with_capacity(ROLES + USERS + POLICIES + 6_000);
    let per_account = POLICIES / ACCOUNTS;
    for a in 0..ACCOUNTS {
        let acct = account(a);
        for p in 0..per_account {
            let arn = format!("arn:aws:iam::{acct}:policy/team-{p}");
            resources.push(
                Resource::new(&arn, "aws.iam.policy", &acct, "global")
                    .with_property("arn", json!(arn))
                    .with_property("is_aws_managed", json!(false))
                    .with_property("document", policy_document(&mut rng, &acct)),
            );
        }
        for (name, doc) in [
            (
                "AdministratorAccess",
                json!([{"Effect": "Allow", "Action": "*", "Resource": "*"}]),
            ),
            (
                "ReadOnlyAccess",
                json!([{"Effect": "Allow", "Action": ["s3:Get*", "ec2:Describe*", "iam:Get*", "iam:List*"], "Resource": "*"}]),
            ),
            (
                "PowerUserAccess",
                json!([{"Effect": "Allow", "NotAction": ["iam:*", "organizations:*", "account:*"], "Resource": "*"}]),
            ),
        ] {
            let arn = format!("arn:aws:iam::aws:policy/{name}");
            resources.push(
                Resource::new(format!("{arn}#{acct}"), "aws.iam.policy", &acct, "global")
                    .with_property("arn", json!(arn))
                    .with_property("is_aws_managed", json!(true))
                    .with_property(
                        "document",
                        json!({"Version": "2012-10-17", "Statement": doc}),
                    ),
            );
        }
        for g in 0..40 {
            let arn = format!("arn:aws:iam::{acct}:group/team-{g}");
            let attached: Vec<String> = (0..1 + rng.below(3))
                .map(|_| {
                    format!(
                        "arn:aws:iam::{acct}:policy/team-{}",
                        rng.skewed(per_account)
                    )
                })
                .collect();
            resources.push(
                Resource::new(&arn, "aws.iam.group", &acct, "global")
                    .with_property("arn", json!(arn))
                    .with_property("group_name", json!(format!("team-{g}")))
                    .with_property("attached_policies", json!(attached))
                    .with_property("inline_policies", json!([])),
            );
        }
    }
    let attach = |rng: &mut Lcg, acct: &str| -> Vec<String> {
        let mut out: Vec<String> = (0..2 + rng.below(5))
            .map(|_| {
                format!(
                    "arn:aws:iam::{acct}:policy/team-{}",
                    rng.skewed(per_account)
                )
            })
            .collect();
        if rng.chance(10) {
            out.push("arn:aws:iam::aws:policy/AdministratorAccess".into());
        } else if rng.chance(50) {
            out.push("arn:aws:iam::aws:policy/PowerUserAccess".into());
        } else if rng.chance(200) {
            out.push("arn:aws:iam::aws:policy/ReadOnlyAccess".into());
        }
        out
    };
    for r in 0..ROLES {
        let acct = account(r % ACCOUNTS);
        let name = format!("app-{}-{r}", r % 50);
        let arn = format!("arn:aws:iam::{acct}:role/{name}");
        let roll = rng.below(100);
        let principal = if roll < 70 {
            json!({"Service": SERVICES[rng.below(SERVICES.len())]})
        } else if roll < 85 {
            json!({"AWS": format!("arn:aws:iam::{acct}:root")})
        } else if roll < 95 {
            json!({"AWS": format!("arn:aws:iam::{}:root", account(rng.below(ACCOUNTS)))})
        } else {
            json!({"Federated": format!("arn:aws:iam::{acct}:saml-provider/corp")})
        };
        let trust = json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}]});
        resources.push(
            Resource::new(&arn, "aws.iam.role", &acct, "global")
                .with_property("role_name", json!(name))
                .with_property("assume_role_policy", trust)
                .with_property("attached_policies", json!(attach(&mut rng, &acct)))
                .with_property("inline_policies", inline(&mut rng, &acct))
                .with_property("is_service_linked", json!(false))
                .with_property("permissions_boundary", Value::Null)
                .with_property(
                    "instance_profiles",
                    json!([format!("arn:aws:iam::{acct}:instance-profile/{name}")]),
                ),
        );
        // Compute running as some of the roles.
        if r % 5 == 0 {
            let f = format!("arn:aws:lambda:us-east-1:{acct}:function:f-{r}");
            resources.push(
                Resource::new(&f, "aws.lambda.function", &acct, "us-east-1")
                    .with_property("role", json!(arn)),
            );
        }
        if r % 5 == 1 {
            let i = format!("arn:aws:ec2:us-east-1:{acct}:instance/i-{r:017x}");
            resources.push(
                Resource::new(&i, "aws.ec2.instance", &acct, "us-east-1").with_property(
                    "iam_instance_profile_arn",
                    json!(format!("arn:aws:iam::{acct}:instance-profile/{name}")),
                ),
            );
        }
        if r % 40 == 2 {
            let p = format!("arn:aws:codebuild:us-east-1:{acct}:project/p-{r}");
            resources.push(
                Resource::new(&p, "aws.codebuild.project", &acct, "us-east-1")
                    .with_property("service_role", json!(arn)),
            );
        }
    }
    for u in 0..USERS {
        let acct = account(u % ACCOUNTS);
        let arn = format!("arn:aws:iam::{acct}:user/user-{u}");
        let groups: Vec<String> = (0..rng.below(3))
            .map(|_| format!("team-{}", rng.below(40)))
            .collect();
        let keys = (0..rng.below(3))
            .map(|k| json!({"access_key_id": format!("AKIA{u}{k}"), "status": if k == 0 { "Active" } else { "Inactive" }}))
            .collect::<Vec<_>>();
        resources.push(
            Resource::new(&arn, "aws.iam.user", &acct, "global")
                .with_property("user_name", json!(format!("user-{u}")))
                .with_property("groups", json!(groups))
                .with_property("attached_policies", json!(attach(&mut rng, &acct)))
                .with_property("inline_policies", inline(&mut rng, &acct))
                .with_property("access_keys", json!(keys))
                .with_property("password_enabled", json!(rng.chance(500)))
                .with_property("permissions_boundary", Value::Null),
        );
    }
    organisation(&mut resources);
    data_stores(&mut rng, &mut resources);
    Inventory::new(resources, vec![], vec![]).expect("estate")
}

fn scp(id: &str, statements: Value) -> Value {
    json!({"id": id, "name": id, "aws_managed": false,
           "arn": format!("arn:aws:organizations::{}:policy/o-1/service_control_policy/{id}", account(0)),
           "document": {"Version": "2012-10-17", "Statement": statements}})
}

/// Account 0 is the management account, 1-7 are workloads, 8 is under an allow-list
/// OU, 9's chain was not collected.
fn organisation(resources: &mut Vec<Resource>) {
    let full = scp(
        "p-FullAWSAccess",
        json!([{"Effect": "Allow", "Action": "*", "Resource": "*"}]),
    );
    let root = json!({"id": "r-ab12", "type": "ROOT", "scps": [full.clone(), scp("p-stay",
        json!([{"Effect": "Deny", "Action": "organizations:LeaveOrganization", "Resource": "*"}]))]});
    for a in 0..ACCOUNTS {
        let acct = account(a);
        let ou = match a {
            8 => {
                json!({"id": "ou-ab12-data", "type": "ORGANIZATIONAL_UNIT", "scps": [scp("p-data-only",
                json!([{"Effect": "Allow", "Action": ["s3:*", "dynamodb:*", "kms:*", "secretsmanager:*", "sts:*", "iam:Get*", "iam:List*"], "Resource": "*"}]))]})
            }
            _ => {
                json!({"id": "ou-ab12-workloads", "type": "ORGANIZATIONAL_UNIT", "scps": [full.clone(), scp("p-no-users",
                json!([{"Effect": "Deny", "Action": ["iam:CreateUser", "iam:CreateAccessKey"], "Resource": "*"}]))]})
            }
        };
        let mut organization = json!({"id": "o-1", "master_account_id": account(0),
                                      "is_management_account": a == 0});
        if a != 9 {
            organization["ou_chain"] =
                json!([root, ou, {"id": acct, "type": "ACCOUNT", "scps": [full.clone()]}]);
        }
        resources.push(
            Resource::new(
                format!("arn:aws::{acct}:account"),
                "aws.account",
                &acct,
                "global",
            )
            .with_property("organization", organization),
        );
    }
}

/// Buckets, KMS keys and secrets spread over the accounts, some shared with another
/// account of the organisation.
fn data_stores(rng: &mut Lcg, resources: &mut Vec<Resource>) {
    let region = "us-east-1";
    for k in 0..KEYS {
        let acct = account(k % ACCOUNTS);
        let arn = format!("arn:aws:kms:{region}:{acct}:key/{k:08x}-0000-0000-0000-000000000000");
        let mut statements = vec![json!({"Effect": "Allow",
            "Principal": {"AWS": format!("arn:aws:iam::{acct}:root")}, "Action": "kms:*", "Resource": "*"})];
        if rng.chance(100) {
            statements.push(json!({"Effect": "Allow",
                "Principal": {"AWS": format!("arn:aws:iam::{}:root", account(rng.below(ACCOUNTS)))},
                "Action": ["kms:Decrypt", "kms:DescribeKey"], "Resource": "*"}));
        }
        resources.push(
            Resource::new(&arn, "aws.kms.key", &acct, region)
                .with_property("arn", json!(arn))
                .with_property(
                    "key_id",
                    json!(format!("{k:08x}-0000-0000-0000-000000000000")),
                )
                .with_property("key_manager", json!("CUSTOMER"))
                .with_property("aliases", json!([]))
                .with_property(
                    "policy",
                    json!({"Version": "2012-10-17", "Statement": statements}),
                ),
        );
    }
    for b in 0..BUCKETS {
        let acct = account(b % ACCOUNTS);
        let name = format!("data-{acct}-{}", b / ACCOUNTS);
        let policy = if rng.chance(100) {
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                "Principal": {"AWS": format!("arn:aws:iam::{}:root", account(rng.below(ACCOUNTS)))},
                "Action": "s3:GetObject", "Resource": format!("arn:aws:s3:::{name}/*")}]})
        } else {
            Value::Null
        };
        resources.push(
            Resource::new(
                format!("arn:aws:s3:::{name}"),
                "aws.s3.bucket",
                &acct,
                region,
            )
            .with_property("arn", json!(format!("arn:aws:s3:::{name}")))
            .with_property("policy", policy)
            .with_property("policy_is_public", json!(false))
            .with_property("public_access_block", Value::Null),
        );
    }
    for s in 0..SECRETS {
        let a = s % ACCOUNTS;
        let acct = account(a);
        let arn = format!("arn:aws:secretsmanager:{region}:{acct}:secret:app-{s}-AbCdEf");
        let key = if rng.chance(600) {
            let k = a + ACCOUNTS * rng.below(KEYS / ACCOUNTS);
            json!(format!(
                "arn:aws:kms:{region}:{acct}:key/{k:08x}-0000-0000-0000-000000000000"
            ))
        } else {
            Value::Null
        };
        let policy = if rng.chance(100) {
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                "Principal": {"AWS": format!("arn:aws:iam::{}:root", account(rng.below(ACCOUNTS)))},
                "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]})
        } else {
            Value::Null
        };
        resources.push(
            Resource::new(&arn, "aws.secretsmanager.secret", &acct, region)
                .with_property("arn", json!(arn))
                .with_property("kms_key_id", key)
                .with_property("policy", policy),
        );
    }
}

fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

fn main() {
    let started = Instant::now();
    let inventory = estate();
    let built = started.elapsed();
    let began = Instant::now();
    let analysis = Analysis::new(&inventory).expect("the built-in catalogue loads");
    let analysed = began.elapsed();
    let paths = analysis.all_paths();
    let total = began.elapsed();
    let stats = analysis.stats();
    let longest = paths.iter().map(|p| p.hops.len()).max().unwrap_or(0);
    println!("escalation analysis over an organisation-sized IAM estate");
    println!(
        "  estate:            {} roles, {} users, {} customer managed policies, {} accounts ({} resources, built in {:.2} s)",
        ROLES,
        USERS,
        POLICIES,
        ACCOUNTS,
        inventory.len(),
        built.as_secs_f64()
    );
    println!(
        "  principals:        {} ({} administrators)",
        stats.principals, stats.administrators
    );
    println!(
        "  edges:             {} assumptions, {} escalation edges ({} conditional)",
        stats.assumptions, stats.edges, stats.conditional_edges
    );
    println!(
        "  paths to admin:    {} definite, {} conditional only, longest {} hop(s)",
        stats.escalate, stats.escalate_conditionally, longest
    );
    println!(
        "  wall time:         {:.2} s analysis + {:.2} s every path = {:.2} s",
        analysed.as_secs_f64(),
        (total - analysed).as_secs_f64(),
        total.as_secs_f64()
    );
    // Who can read and write every store, each store's grants worked out and counted,
    // not kept (a scan keeps only those of the stores its rules ask about: the ones
    // classified as sensitive).
    let began = Instant::now();
    let data = DataAccess::new(&inventory, &analysis);
    let prepared = began.elapsed();
    let (mut grants, mut conditional, mut external) = (0, 0, 0);
    for ty in ["aws.s3.bucket", "aws.secretsmanager.secret", "aws.kms.key"] {
        for &i in inventory.of_type(ty) {
            for g in data.grants_now(i).into_iter().flatten().flatten() {
                grants += 1;
                conditional +=
                    usize::from(g.decision == vigil_rules::access::Decision::Conditional);
                external += usize::from(g.external);
            }
        }
    }
    let data_time = began.elapsed();
    println!(
        "  data access:       {} buckets, {} secrets, {} KMS keys: {} grants ({} conditional, {} from another account); stores read in {:.2} s, every store's grants in {:.2} s ({:.1} ms a store)",
        BUCKETS,
        SECRETS,
        KEYS,
        grants,
        conditional,
        external,
        prepared.as_secs_f64(),
        data_time.as_secs_f64(),
        data_time.as_secs_f64() * 1000.0 / (BUCKETS + SECRETS + KEYS) as f64
    );
    if let Some(mib) = peak_rss_mib() {
        println!("  memory after data: {mib:.0} MiB (VmHWM, whole process)");
    }
    drop(data);
    // The rule over the same estate, as a scan runs it (its own analysis included).
    let rules = RuleSet::load_dirs(&[
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../rules")
    ])
    .expect("the rule pack loads");
    let inventory = std::sync::Arc::new(inventory);
    let began = Instant::now();
    let ctx = EvalContext::new(std::sync::Arc::clone(&inventory), chrono::Utc::now());
    let (findings, _) = evaluate_where(&rules, &ctx, |r| {
        r.id() == "iam_principal_can_escalate_to_admin"
    });
    let count = |status: Status, severity: Option<Severity>| {
        findings
            .iter()
            .filter(|f| f.status == status && severity.is_none_or(|s| f.rule.severity == s))
            .count()
    };
    println!(
        "  rule iam_principal_can_escalate_to_admin: {:.2} s, {} FAIL ({} critical, {} high), {} PASS, {} ERROR",
        began.elapsed().as_secs_f64(),
        count(Status::Fail, None),
        count(Status::Fail, Some(Severity::Critical)),
        count(Status::Fail, Some(Severity::High)),
        count(Status::Pass, None),
        count(Status::Error, None)
    );
    match peak_rss_mib() {
        Some(mib) => {
            println!("  peak memory:       {mib:.0} MiB (VmHWM, whole process, estate included)")
        }
        None => println!("  peak memory:       not available (no /proc/self/status)"),
    }
    println!(
        "  bar:               under 5 s and 1 GiB: {}",
        if total.as_secs_f64() < 5.0 && peak_rss_mib().is_none_or(|m| m < 1024.0) {
            "met"
        } else {
            "NOT met"
        }
    );
}
