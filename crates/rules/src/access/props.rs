//! Property tests for the evaluation engine: invariants AWS's evaluation logic implies,
//! over generated principals, policies, resource policies and request contexts.
//!
//! Access is ranked Allowed > Conditional > denied (explicitly or implicitly):
//! - adding a `Deny` statement never raises the rank, adding an `Allow` never lowers it;
//! - a permissions boundary or SCPs only ever lower it;
//! - statement and policy order do not change the decision;
//! - knowing less never turns an answer into a different definite one: with keys
//!   forgotten (made unknown), an Allowed or denied answer stays as it was or becomes
//!   Conditional, and a Conditional one stays Conditional.

use proptest::prelude::*;
use serde_json::{Value, json};

use super::*;
use crate::helpers::iam::Policy;

const ACCT: &str = "111122223333";
const OTHER: &str = "444455556666";
const USER: &str = "arn:aws:iam::111122223333:user/alice";
const ROLE: &str = "arn:aws:iam::111122223333:role/app";

const ACTIONS: &[&str] = &[
    "s3:GetObject",
    "s3:PutObject",
    "iam:CreateUser",
    "sts:AssumeRole",
];
const ACTION_PATTERNS: &[&str] = &[
    "*",
    "*",
    "s3:*",
    "s3:Get*",
    "iam:*",
    "sts:AssumeRole",
    "S3:PUTOBJECT",
];
const RESOURCES: &[&str] = &[
    "arn:aws:s3:::data/alice/x",
    "arn:aws:s3:::data/bob/x",
    "arn:aws:iam::111122223333:role/app",
];
const RESOURCE_PATTERNS: &[&str] = &[
    "*",
    "*",
    "arn:aws:s3:::data/*",
    "arn:aws:s3:::data/${aws:username}/*",
    "arn:aws:s3:::data/${aws:PrincipalTag/team}/*",
    "arn:aws:iam::*:role/*",
];
const PRINCIPALS: &[&str] = &[
    "*",
    USER,
    ROLE,
    ACCT,
    "arn:aws:iam::444455556666:root",
    "arn:aws:sts::111122223333:assumed-role/app/job",
];

/// Conditions over the context keys below, one per key family.
fn condition() -> impl Strategy<Value = Option<Value>> {
    prop_oneof![
        3 => Just(None),
        1 => Just(Some(json!({"Bool": {"aws:MultiFactorAuthPresent": "true"}}))),
        1 => Just(Some(json!({"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}))),
        1 => Just(Some(json!({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}))),
        1 => Just(Some(json!({"StringNotEquals": {"aws:PrincipalOrgID": "o-1"}}))),
        1 => Just(Some(json!({"StringEquals": {"aws:PrincipalTag/team": ["red", "blue"]}}))),
        1 => Just(Some(json!({"ForAllValues:StringEquals": {"aws:PrincipalOrgID": ["o-1"]}}))),
        1 => Just(Some(json!({"Null": {"aws:SourceIp": "true"}}))),
    ]
}

fn statement(resource_based: bool) -> impl Strategy<Value = Value> {
    (
        prop::bool::weighted(0.8),
        prop::collection::vec(prop::sample::select(ACTION_PATTERNS), 1..3),
        prop::bool::weighted(0.15),
        prop::collection::vec(prop::sample::select(RESOURCE_PATTERNS), 1..3),
        prop::bool::weighted(0.15),
        condition(),
        prop::collection::vec(prop::sample::select(PRINCIPALS), 1..3),
        prop::bool::weighted(0.15),
    )
        .prop_map(
            move |(
                allow,
                actions,
                not_action,
                resources,
                not_resource,
                cond,
                principals,
                not_principal,
            )| {
                let mut s = json!({"Effect": if allow { "Allow" } else { "Deny" }});
                s[if not_action { "NotAction" } else { "Action" }] = json!(actions);
                s[if not_resource {
                    "NotResource"
                } else {
                    "Resource"
                }] = json!(resources);
                if let Some(c) = cond {
                    s["Condition"] = c;
                }
                if resource_based {
                    s[if not_principal {
                        "NotPrincipal"
                    } else {
                        "Principal"
                    }] = json!({"AWS": principals});
                }
                s
            },
        )
}

/// One level of SCPs: usually with AWS's default `FullAWSAccess` beside the others.
fn scp_level() -> impl Strategy<Value = Vec<Vec<Value>>> {
    (
        prop::bool::weighted(0.85),
        prop::collection::vec(statements(false, 3), 0..2),
    )
        .prop_map(|(full, mut policies)| {
            if full {
                policies.push(vec![
                    json!({"Effect": "Allow", "Action": "*", "Resource": "*"}),
                ]);
            }
            if policies.is_empty() {
                policies.push(Vec::new());
            }
            policies
        })
}

fn statements(resource_based: bool, max: usize) -> impl Strategy<Value = Vec<Value>> {
    prop::collection::vec(statement(resource_based), 1..max)
}

/// Everything one evaluation takes, as data that can be edited and rebuilt.
#[derive(Debug, Clone)]
struct Case {
    role: bool,
    session: bool,
    tags: Option<Vec<(&'static str, &'static str)>>,
    identity: Vec<Vec<Value>>,
    boundary: Option<Vec<Value>>,
    scps: Vec<Vec<Vec<Value>>>,
    resource_policy: Option<Vec<Value>>,
    resource_account: &'static str,
    kind: ResourceKind,
    action: &'static str,
    resource: &'static str,
    context: Vec<(&'static str, Known)>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Known {
    Unknown,
    Absent,
    Value(&'static str),
}

fn known(values: &'static [&'static str]) -> impl Strategy<Value = Known> {
    prop_oneof![
        Just(Known::Unknown),
        Just(Known::Absent),
        prop::sample::select(values).prop_map(Known::Value),
    ]
}

fn case() -> impl Strategy<Value = Case> {
    let principal = (
        prop::bool::ANY,
        prop::bool::ANY,
        prop::option::of(prop::sample::subsequence(
            vec![("team", "red"), ("env", "prod")],
            0..=2,
        )),
    );
    let policies = (
        prop::collection::vec(statements(false, 4), 1..3),
        prop::option::weighted(0.3, statements(false, 3)),
        prop::collection::vec(scp_level(), 0..3),
        prop::option::weighted(0.6, statements(true, 4)),
    );
    let request = (
        prop::sample::select(vec![ACCT, ACCT, OTHER]),
        prop::sample::select(vec![
            ResourceKind::Standard,
            ResourceKind::Standard,
            ResourceKind::Standard,
            ResourceKind::RoleTrust,
            ResourceKind::KmsKey,
        ]),
        prop::sample::select(ACTIONS),
        prop::sample::select(RESOURCES),
        (
            known(&["true", "false"]),
            known(&["10.1.2.3", "203.0.113.5"]),
            known(&["o-1", "o-2"]),
        ),
    );
    (principal, policies, request).prop_map(
        |(
            (role, session, tags),
            (identity, boundary, scps, resource_policy),
            (resource_account, kind, action, resource, (mfa, ip, org)),
        )| Case {
            role,
            session,
            tags,
            identity,
            boundary,
            scps,
            resource_policy,
            resource_account,
            kind,
            action,
            resource,
            context: vec![
                ("aws:MultiFactorAuthPresent", mfa),
                ("aws:SourceIp", ip),
                ("aws:PrincipalOrgID", org),
            ],
        },
    )
}

fn named(name: String, statements: &[Value]) -> NamedPolicy {
    NamedPolicy::inline(
        name,
        Policy::from_json(&json!({"Version": "2012-10-17", "Statement": statements}))
            .expect("generated policies are valid"),
    )
}

impl Case {
    fn answer(&self) -> Answer {
        let mut p = if self.role {
            Principal::role(ROLE)
        } else {
            Principal::user(USER)
        };
        if self.role && self.session {
            p = p.with_session_name("job");
        }
        if let Some(tags) = &self.tags {
            p = p.with_tags(
                tags.iter()
                    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                    .collect(),
            );
        }
        for (i, s) in self.identity.iter().enumerate() {
            p = p.with_policy(named(format!("identity-{i}"), s));
        }
        if let Some(b) = &self.boundary {
            p = p.with_boundary(named("boundary".into(), b));
        }
        for (level, policies) in self.scps.iter().enumerate() {
            let ps = policies
                .iter()
                .enumerate()
                .map(|(i, s)| named(format!("scp-{level}-{i}"), s))
                .collect();
            p = p.with_scp_level(format!("level-{level}"), ps);
        }
        let mut ctx = RequestContext::new();
        for (key, k) in &self.context {
            match k {
                Known::Unknown => {}
                Known::Absent => ctx = ctx.with_absent(key),
                Known::Value(v) => ctx = ctx.with(key, *v),
            }
        }
        let rp = self
            .resource_policy
            .as_ref()
            .map(|s| named("resource".into(), s));
        let mut req = Request::new(self.action, self.resource)
            .in_account(self.resource_account)
            .of_kind(self.kind)
            .with_context(&ctx);
        if let Some(rp) = &rp {
            req = req.with_resource_policy(rp);
        }
        evaluate(&p, &req)
    }
}

fn rank(d: Decision) -> u8 {
    match d {
        Decision::Allowed => 2,
        Decision::Conditional => 1,
        Decision::ExplicitlyDenied | Decision::ImplicitlyDenied => 0,
    }
}

/// Where an extra statement goes: a new identity policy, the boundary, an SCP level
/// or the resource policy (when there is one).
#[derive(Debug, Clone, Copy)]
enum Into {
    Identity,
    Boundary,
    Scp(usize),
    Resource,
}

fn place() -> impl Strategy<Value = Into> {
    prop_oneof![
        Just(Into::Identity),
        Just(Into::Boundary),
        (0usize..3).prop_map(Into::Scp),
        Just(Into::Resource),
    ]
}

/// Adds `s` where `into` says, if that place exists; false when it does not.
fn add(case: &mut Case, into: Into, identity_s: Value, resource_s: Value) -> bool {
    match into {
        Into::Identity => case.identity.push(vec![identity_s]),
        Into::Boundary => match &mut case.boundary {
            Some(b) => b.push(identity_s),
            None => return false,
        },
        Into::Scp(level) => match case.scps.get_mut(level) {
            Some(l) => l[0].push(identity_s),
            None => return false,
        },
        Into::Resource => match &mut case.resource_policy {
            Some(r) => r.push(resource_s),
            None => return false,
        },
    }
    true
}

fn with_effect(mut s: Value, effect: &str) -> Value {
    s["Effect"] = json!(effect);
    s
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn adding_a_deny_never_adds_access(c in case(), into in place(), s in statement(false), r in statement(true)) {
        let before = c.answer().decision;
        let mut more = c.clone();
        if add(&mut more, into, with_effect(s, "Deny"), with_effect(r, "Deny")) {
            let after = more.answer().decision;
            prop_assert!(rank(after) <= rank(before), "{before} -> {after}");
            if before == Decision::ExplicitlyDenied {
                prop_assert_eq!(after, Decision::ExplicitlyDenied);
            }
        }
    }

    #[test]
    fn adding_an_allow_never_removes_access(c in case(), into in place(), s in statement(false), r in statement(true)) {
        let before = c.answer().decision;
        let mut more = c.clone();
        if add(&mut more, into, with_effect(s, "Allow"), with_effect(r, "Allow")) {
            let after = more.answer().decision;
            prop_assert!(rank(after) >= rank(before), "{before} -> {after}");
            if before == Decision::ExplicitlyDenied {
                prop_assert_eq!(after, Decision::ExplicitlyDenied);
            }
        }
    }

    #[test]
    fn a_boundary_or_scps_only_narrow(c in case()) {
        let with = c.answer().decision;
        let mut without_boundary = c.clone();
        without_boundary.boundary = None;
        let wb = without_boundary.answer().decision;
        prop_assert!(rank(with) <= rank(wb), "boundary widened: {wb} -> {with}");
        let mut without_scps = c.clone();
        without_scps.scps.clear();
        let ws = without_scps.answer().decision;
        prop_assert!(rank(with) <= rank(ws), "SCPs widened: {ws} -> {with}");
    }

    #[test]
    fn statement_and_policy_order_do_not_matter(c in case()) {
        let a = c.answer();
        let mut r = c.clone();
        r.identity.reverse();
        for p in &mut r.identity {
            p.reverse();
        }
        if let Some(b) = &mut r.boundary {
            b.reverse();
        }
        r.scps.reverse();
        for level in &mut r.scps {
            level.reverse();
            for p in level.iter_mut() {
                p.reverse();
            }
        }
        if let Some(rp) = &mut r.resource_policy {
            rp.reverse();
        }
        let b = r.answer();
        prop_assert_eq!(a.decision, b.decision);
        prop_assert_eq!(a.undecided_keys(), b.undecided_keys());
    }

    #[test]
    fn knowing_less_never_changes_a_definite_answer(c in case(), forget in prop::collection::vec(prop::bool::ANY, 3), forget_tags in prop::bool::ANY, forget_session in prop::bool::ANY) {
        let full = c.answer().decision;
        let mut less = c.clone();
        for (entry, f) in less.context.iter_mut().zip(&forget) {
            if *f {
                entry.1 = Known::Unknown;
            }
        }
        if forget_tags {
            less.tags = None;
        }
        if forget_session {
            less.session = false;
        }
        let coarse = less.answer().decision;
        match coarse {
            Decision::Allowed => prop_assert_eq!(full, Decision::Allowed),
            Decision::ExplicitlyDenied => prop_assert_eq!(full, Decision::ExplicitlyDenied),
            Decision::ImplicitlyDenied => prop_assert!(full.is_denied(), "{coarse} -> {full}"),
            Decision::Conditional => {}
        }
        if full == Decision::Conditional {
            prop_assert_eq!(coarse, Decision::Conditional);
        }
    }

    #[test]
    fn conditional_never_becomes_allowed_by_adding_unknown_context(c in case(), extra in prop::collection::vec(prop::sample::select(vec!["aws:SourceVpce", "aws:CalledVia", "s3:prefix", "aws:SourceIp"]), 0..3)) {
        let before = c.answer().decision;
        let mut more = c.clone();
        for key in extra {
            if !more.context.iter().any(|(k, _)| *k == key) {
                more.context.push((key, Known::Unknown));
            }
        }
        prop_assert_eq!(more.answer().decision, before);
    }

    #[test]
    fn an_applicable_deny_always_wins(c in case()) {
        let a = c.answer();
        let denied = a.policies.iter().flat_map(|p| &p.statements).any(|s| s.effect == crate::helpers::iam::Effect::Deny && s.applies == Tri::Yes);
        prop_assert_eq!(denied, a.decision == Decision::ExplicitlyDenied);
        // A conditional answer always names what it depends on.
        if a.decision == Decision::Conditional {
            prop_assert!(!a.undecided.is_empty());
        }
    }
}
