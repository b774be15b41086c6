//! The engine against AWS's documented semantics, one test per rule, each quoting the
//! sentence it checks and the page it is on; then the false-negative and
//! false-positive cases of public IAM simulator test suites.

use serde_json::{Value, json};

use super::*;
use crate::helpers::iam::{Effect, Policy};

const EVAL_LOGIC: &str = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-denyallow.html";

const ACCT: &str = "111122223333";
const OTHER: &str = "444455556666";
const ALICE: &str = "arn:aws:iam::111122223333:user/alice";
const APP_ROLE: &str = "arn:aws:iam::111122223333:role/app";
const BUCKET_OBJ: &str = "arn:aws:s3:::reports/2024/q1.csv";

fn doc(statements: Value) -> Policy {
    Policy::from_json(&json!({"Version": "2012-10-17", "Statement": statements}))
        .expect("test policies are valid")
}

fn policy(name: &str, statements: Value) -> NamedPolicy {
    NamedPolicy::inline(name, doc(statements))
}

fn allow(action: &str, resource: &str) -> Value {
    json!([{"Effect": "Allow", "Action": action, "Resource": resource}])
}

fn deny(action: &str, resource: &str) -> Value {
    json!([{"Effect": "Deny", "Action": action, "Resource": resource}])
}

fn alice() -> Principal {
    Principal::user(ALICE).with_unique_id("AIDAALICEEXAMPLE0001")
}

fn app_role() -> Principal {
    Principal::role(APP_ROLE)
}

fn get(principal: &Principal, action: &str, resource: &str) -> Answer {
    evaluate(principal, &Request::new(action, resource).in_account(ACCT))
}

fn with_resource(
    principal: &Principal,
    action: &str,
    resource: &str,
    account: &str,
    rp: &NamedPolicy,
) -> Answer {
    evaluate(
        principal,
        &Request::new(action, resource)
            .in_account(account)
            .with_resource_policy(rp),
    )
}

fn bucket_policy(principal: Value) -> NamedPolicy {
    NamedPolicy::inline(
        "reports-bucket-policy",
        doc(
            json!([{"Effect": "Allow", "Principal": principal, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::reports/*"}]),
        ),
    )
}

// ---------------------------------------------------------------------------------
// Deny, allow and the defaults.

/// "By default, all requests are implicitly denied with the exception of the AWS
/// account root user, which has full access." (EVAL_LOGIC)
#[test]
fn requests_are_implicitly_denied_by_default() {
    let a = get(&alice(), "s3:GetObject", BUCKET_OBJ);
    assert_eq!(a.decision, Decision::ImplicitlyDenied, "{EVAL_LOGIC}\n{a}");
    assert_eq!(a.reasons, vec!["no identity-based policy allows it"]);
    let root = get(&Principal::root(ACCT), "s3:GetObject", BUCKET_OBJ);
    assert_eq!(root.decision, Decision::Allowed, "{root}");
}

/// "If any statement in any applicable identity-based policies allows the requested
/// action, the code evaluation continues." (EVAL_LOGIC)
#[test]
fn an_identity_policy_allows() {
    let p = alice().with_policy(policy("reports-read", json!([
        {"Sid": "ListAll", "Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"},
        {"Sid": "Read", "Effect": "Allow", "Action": "s3:Get*", "Resource": "arn:aws:s3:::reports/*"}
    ])));
    let a = get(&p, "s3:GetObject", BUCKET_OBJ);
    assert_eq!(a.decision, Decision::Allowed, "{a}");
    assert_eq!(
        a.reasons,
        vec!["identity policy `reports-read` statement 1 (Sid `Read`) allows it"]
    );
    // The explanation goes statement by statement.
    let trace = &a.policies[0];
    assert_eq!(trace.statements[0].applies, Tri::No);
    assert_eq!(trace.statements[0].checks[0].element, Element::Action);
    assert!(trace.statements[0].checks[0].detail.contains("no pattern"));
    assert_eq!(trace.statements[1].applies, Tri::Yes);
    assert_eq!(trace.statements[1].checks.len(), 2);
    let text = a.to_string();
    assert!(
        text.starts_with("Allowed: `arn:aws:iam::111122223333:user/alice` calling `s3:GetObject`"),
        "{text}"
    );
    assert!(
        text.contains("statement 1 (Sid `Read`) (Allow): applies"),
        "{text}"
    );
    assert!(
        text.contains("Action [yes]: `s3:Get*` matches `s3:GetObject`"),
        "{text}"
    );
}

/// "An explicit deny overrides an explicit allow." "If the enforcement code finds even
/// one explicit deny that applies, the enforcement code returns a final decision of
/// Deny." (EVAL_LOGIC)
#[test]
fn an_explicit_deny_anywhere_wins() {
    let allowed = alice().with_policy(policy("all", allow("*", "*")));
    let denied = allowed.clone().with_policy(policy(
        "no-delete",
        json!([
            {"Sid": "NoDelete", "Effect": "Deny", "Action": "s3:Delete*", "Resource": "*"}
        ]),
    ));
    let a = get(&denied, "s3:DeleteObject", BUCKET_OBJ);
    assert_eq!(a.decision, Decision::ExplicitlyDenied, "{a}");
    assert_eq!(
        a.reasons,
        vec!["identity policy `no-delete` statement 0 (Sid `NoDelete`) explicitly denies it"]
    );
    assert_eq!(
        get(&denied, "s3:GetObject", BUCKET_OBJ).decision,
        Decision::Allowed
    );

    // In a resource policy, a boundary or an SCP, too.
    let rp = policy(
        "bucket",
        json!([{"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*"}]),
    );
    assert_eq!(
        with_resource(&allowed, "s3:GetObject", BUCKET_OBJ, ACCT, &rp).decision,
        Decision::ExplicitlyDenied
    );
    let bounded = allowed.clone().with_boundary(policy(
        "boundary",
        json!([
            {"Effect": "Allow", "Action": "*", "Resource": "*"},
            {"Effect": "Deny", "Action": "s3:*", "Resource": "*"}
        ]),
    ));
    assert_eq!(
        get(&bounded, "s3:GetObject", BUCKET_OBJ).decision,
        Decision::ExplicitlyDenied
    );
    let scp = allowed.with_scp_level(
        "r-root",
        vec![
            policy("FullAWSAccess", allow("*", "*")),
            policy("no-s3", deny("s3:*", "*")),
        ],
    );
    let a = get(&scp, "s3:GetObject", BUCKET_OBJ);
    assert_eq!(a.decision, Decision::ExplicitlyDenied);
    assert!(
        a.reasons[0].starts_with("SCP `no-s3` on r-root statement 0"),
        "{a}"
    );
}

/// "For an IAM user, these include user policies and policies from groups to which the
/// user belongs." (EVAL_LOGIC) A group's policy allows, and a group's Deny wins, and
/// the explanation names the group.
#[test]
fn group_policies_are_identity_policies() {
    let managed = NamedPolicy::managed(
        "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess",
        doc(allow("s3:Get*", "*")),
    );
    let p = alice().with_group_policy("readers", managed);
    let a = get(&p, "s3:GetObject", BUCKET_OBJ);
    assert_eq!(a.decision, Decision::Allowed);
    assert_eq!(
        a.reasons,
        vec![
            "identity policy `AmazonS3ReadOnlyAccess` (arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess) via group `readers` statement 0 allows it"
        ]
    );
    assert_eq!(a.policies[0].policy.via_group.as_deref(), Some("readers"));
    let q = p.with_group_policy("quarantine", policy("deny-all", deny("*", "*")));
    assert_eq!(
        get(&q, "s3:GetObject", BUCKET_OBJ).decision,
        Decision::ExplicitlyDenied
    );
}

// ---------------------------------------------------------------------------------
// Elements.

/// NotAction: "NotAction is an advanced policy element that explicitly matches
/// everything except the specified list of actions."
/// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notaction.html
/// NotResource: "matches every resource except those specified".
/// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notresource.html
#[test]
fn not_action_and_not_resource() {
    let p = alice().with_policy(policy(
        "power-user",
        json!([
            {"Effect": "Allow", "NotAction": ["iam:*", "organizations:*"], "Resource": "*"}
        ]),
    ));
    assert_eq!(get(&p, "ec2:RunInstances", "*").decision, Decision::Allowed);
    let a = get(&p, "iam:CreateUser", "*");
    assert_eq!(a.decision, Decision::ImplicitlyDenied);
    assert_eq!(
        a.policies[0].statements[0].checks[0].element,
        Element::NotAction
    );
    assert!(
        a.policies[0].statements[0].checks[0]
            .detail
            .contains("excluded by `iam:*`")
    );

    let q = alice().with_policy(policy(
        "not-secret",
        json!([
            {"Effect": "Allow", "Action": "s3:GetObject", "NotResource": "arn:aws:s3:::secret/*"}
        ]),
    ));
    assert_eq!(
        get(&q, "s3:GetObject", BUCKET_OBJ).decision,
        Decision::Allowed
    );
    assert_eq!(
        get(&q, "s3:GetObject", "arn:aws:s3:::secret/key").decision,
        Decision::ImplicitlyDenied
    );

    // A Deny with NotAction denies everything else: the common "only IAM" guardrail.
    let r = alice()
        .with_policy(policy("all", allow("*", "*")))
        .with_policy(policy(
            "only-iam",
            json!([{"Effect": "Deny", "NotAction": "iam:*", "Resource": "*"}]),
        ));
    assert_eq!(
        get(&r, "s3:GetObject", BUCKET_OBJ).decision,
        Decision::ExplicitlyDenied
    );
    assert_eq!(get(&r, "iam:GetUser", ALICE).decision, Decision::Allowed);
}

/// "You can use wildcard characters (* and ?) within any ARN segment"; action names are
/// not case sensitive ("The prefix and the action name are case insensitive"), resource
/// ARNs are.
/// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html
#[test]
fn wildcards_and_case() {
    let p = alice().with_policy(policy(
        "w",
        json!([
            {"Effect": "Allow", "Action": "S3:get?bject", "Resource": "arn:aws:s3:::reports/202?/*"}
        ]),
    ));
    assert_eq!(
        get(&p, "s3:GetObject", BUCKET_OBJ).decision,
        Decision::Allowed
    );
    assert_eq!(
        get(&p, "s3:GETOBJECT", BUCKET_OBJ).decision,
        Decision::Allowed
    );
    assert_eq!(
        get(&p, "s3:GetObjects", BUCKET_OBJ).decision,
        Decision::ImplicitlyDenied
    );
    assert_eq!(
        get(&p, "s3:GetObject", "arn:aws:s3:::Reports/2024/q1.csv").decision,
        Decision::ImplicitlyDenied
    );
    assert_eq!(
        get(&p, "s3:GetObject", "arn:aws:s3:::reports/20245/q1.csv").decision,
        Decision::ImplicitlyDenied
    );
}

/// "When this policy is evaluated, IAM replaces the variable ${aws:username} with the
/// friendly name of the actual current user"; a key "not present … causes the
/// statement to be invalid"; "To add a default value to a variable, surround the
/// default value with single quotes".
/// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html
#[test]
fn policy_variables() {
    let home = json!([
        {"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::home/${aws:username}/*"},
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::teams/${aws:PrincipalTag/team}/*"},
        {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::shared/${aws:PrincipalTag/team, 'none'}"}
    ]);
    let p = alice()
        .with_tag("team", "blue")
        .with_policy(policy("home", home.clone()));
    assert_eq!(
        get(&p, "s3:PutObject", "arn:aws:s3:::home/alice/x").decision,
        Decision::Allowed
    );
    assert_eq!(
        get(&p, "s3:PutObject", "arn:aws:s3:::home/bob/x").decision,
        Decision::ImplicitlyDenied
    );
    assert_eq!(
        get(&p, "s3:GetObject", "arn:aws:s3:::teams/blue/x").decision,
        Decision::Allowed
    );
    assert_eq!(
        get(&p, "s3:GetObject", "arn:aws:s3:::teams/red/x").decision,
        Decision::ImplicitlyDenied
    );

    // A role has no aws:username: the statement is invalid and grants nothing.
    let role = app_role()
        .with_tags(Default::default())
        .with_policy(policy("home", home.clone()));
    let a = get(&role, "s3:PutObject", "arn:aws:s3:::home/app/x");
    assert_eq!(a.decision, Decision::ImplicitlyDenied, "{a}");
    assert!(
        a.policies[0].statements[0].checks[1]
            .detail
            .contains("statement is invalid")
    );
    assert_eq!(
        get(&role, "s3:ListBucket", "arn:aws:s3:::shared/none").decision,
        Decision::Allowed,
        "default value"
    );

    // Tags not known: the team statement is undecided.
    let unknown_tags = app_role().with_policy(policy("home", home));
    let a = get(&unknown_tags, "s3:GetObject", "arn:aws:s3:::teams/blue/x");
    assert_eq!(a.decision, Decision::Conditional, "{a}");
    assert_eq!(a.undecided_keys(), vec!["aws:PrincipalTag/team"]);

    // Under the 2008 language version the variable is literal text.
    let old = alice().with_policy(NamedPolicy::inline("old", Policy::from_json(&json!({
        "Version": "2008-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::home/${aws:username}/*"}]
    })).unwrap()));
    assert_eq!(
        get(&old, "s3:GetObject", "arn:aws:s3:::home/alice/x").decision,
        Decision::ImplicitlyDenied
    );
    assert_eq!(
        get(&old, "s3:GetObject", "arn:aws:s3:::home/${aws:username}/x").decision,
        Decision::Allowed
    );
}

// ---------------------------------------------------------------------------------
// Conditions and undecidable answers.

fn mfa_policy() -> Value {
    json!([{"Sid": "WithMfa", "Effect": "Allow", "Action": "ec2:*", "Resource": "*",
            "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}])
}

/// A condition on a key whose value is unknown leaves the statement undecided, and the
/// answer Conditional, naming the statement and the key; a known value decides it.
/// "If the key that you specify in a policy condition is not present in the request
/// context, the values do not match and the condition is false."
/// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
#[test]
fn an_undecidable_condition_makes_the_answer_conditional() {
    let p = alice().with_policy(policy("mfa", mfa_policy()));
    let a = get(&p, "ec2:StopInstances", "*");
    assert_eq!(a.decision, Decision::Conditional, "{a}");
    assert_eq!(a.undecided.len(), 1);
    let u = &a.undecided[0];
    assert_eq!(u.statement, Some(0));
    assert_eq!(u.sid.as_deref(), Some("WithMfa"));
    assert_eq!(u.keys, vec!["aws:MultiFactorAuthPresent"]);
    assert_eq!(u.policy.as_ref().unwrap().name, "mfa");
    assert_eq!(
        a.reasons,
        vec!["the decision depends on unknown aws:MultiFactorAuthPresent"]
    );
    assert_eq!(
        u.why,
        "Bool on `aws:MultiFactorAuthPresent`: its value is unknown"
    );
    assert!(
        a.to_string()
            .contains("undecided: identity policy `mfa` statement 0 (Sid `WithMfa`)")
    );

    let with_mfa = RequestContext::new().with("aws:MultiFactorAuthPresent", "true");
    let req = Request::new("ec2:StopInstances", "*").with_context(&with_mfa);
    assert_eq!(evaluate(&p, &req).decision, Decision::Allowed);
    let access_key = RequestContext::new().with_absent("aws:MultiFactorAuthPresent");
    let req = Request::new("ec2:StopInstances", "*").with_context(&access_key);
    assert_eq!(evaluate(&p, &req).decision, Decision::ImplicitlyDenied);
}

/// An undecided statement the decision does not depend on does not make it
/// conditional: an unconditional Allow already allows.
#[test]
fn undecided_statements_that_do_not_matter_are_not_reported() {
    let p = alice()
        .with_policy(policy("mfa", mfa_policy()))
        .with_policy(policy("ec2", allow("ec2:*", "*")));
    let a = get(&p, "ec2:StopInstances", "*");
    assert_eq!(a.decision, Decision::Allowed, "{a}");
    assert!(a.undecided.is_empty());
}

/// A conditional Deny that would otherwise deny keeps an Allow from being reported:
/// the answer is Conditional. Where nothing allows, it is denied whichever way the
/// Deny goes, and the reason says the Deny may apply too.
#[test]
fn a_conditional_deny_makes_an_allow_conditional() {
    let guard = json!([{"Sid": "RequireMfa", "Effect": "Deny", "Action": "*", "Resource": "*",
        "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}}]);
    let p = alice()
        .with_policy(policy("all", allow("*", "*")))
        .with_policy(policy("mfa-guard", guard.clone()));
    let a = get(&p, "iam:CreateUser", "*");
    assert_eq!(a.decision, Decision::Conditional, "{a}");
    assert_eq!(a.undecided[0].effect, Some(Effect::Deny));
    assert_eq!(a.undecided[0].sid.as_deref(), Some("RequireMfa"));

    let q = alice().with_policy(policy("mfa-guard", guard));
    let a = get(&q, "iam:CreateUser", "*");
    assert_eq!(a.decision, Decision::ImplicitlyDenied, "{a}");
    assert!(
        a.reasons
            .iter()
            .any(|r| r.contains("Deny statement may also apply"))
    );
    // A Deny that surely applies wins over an undecided Allow.
    let r = alice()
        .with_policy(policy("mfa", mfa_policy()))
        .with_policy(policy("no-ec2", deny("ec2:*", "*")));
    assert_eq!(
        get(&r, "ec2:StopInstances", "*").decision,
        Decision::ExplicitlyDenied
    );
}

/// "…IfExists: If the key is not present, evaluate the condition element as true";
/// "If you are using an "Effect": "Deny" element with a negated condition operator like
/// StringNotEqualsIfExists, the request is still denied even if the tag is missing."
/// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
#[test]
fn if_exists_and_negated_operators_with_missing_keys() {
    let p = alice()
        .with_policy(policy("all", allow("*", "*")))
        .with_policy(policy(
            "team-guard",
            json!([{"Effect": "Deny", "Action": "s3:*", "Resource": "*",
            "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalTag/team": "data"}}}]),
        ));
    let untagged = p.clone().with_tags(Default::default());
    assert_eq!(
        get(&untagged, "s3:GetObject", BUCKET_OBJ).decision,
        Decision::ExplicitlyDenied,
        "the tag missing, IfExists makes the condition true and the Deny applies"
    );
    let other_team = p.clone().with_tag("team", "web");
    assert_eq!(
        get(&other_team, "s3:GetObject", BUCKET_OBJ).decision,
        Decision::ExplicitlyDenied
    );
    let data = p.with_tag("team", "data");
    assert_eq!(
        get(&data, "s3:GetObject", BUCKET_OBJ).decision,
        Decision::Allowed
    );
}

/// The org guardrail: Deny unless `aws:PrincipalOrgID` is ours. "If the policy
/// condition requires that the key is not matched, such as StringNotLike … and the
/// right key is not present, the condition is true."
#[test]
fn negated_operator_on_a_missing_key_applies_a_deny() {
    let rp = policy(
        "bucket",
        json!([
            {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::reports/*"},
            {"Sid": "OrgOnly", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*",
             "Condition": {"StringNotEquals": {"aws:PrincipalOrgID": "o-abc123"}}}
        ]),
    );
    let outsider = Principal::user("arn:aws:iam::444455556666:user/mallory")
        .with_policy(policy("all", allow("*", "*")));
    let req = Request::new("s3:GetObject", BUCKET_OBJ)
        .in_account(ACCT)
        .with_resource_policy(&rp);
    let a = evaluate(&outsider, &req);
    assert_eq!(a.decision, Decision::Conditional, "org unknown: {a}");
    assert_eq!(a.undecided_keys(), vec!["aws:PrincipalOrgID"]);
    let no_org = RequestContext::new().with_absent("aws:PrincipalOrgID");
    assert_eq!(
        evaluate(&outsider, &req.with_context(&no_org)).decision,
        Decision::ExplicitlyDenied
    );
    let ours = RequestContext::new().with("aws:PrincipalOrgID", "o-abc123");
    assert_eq!(
        evaluate(&outsider, &req.with_context(&ours)).decision,
        Decision::Allowed
    );
}

/// Every operator family through the engine; the operators themselves are tested in
/// `condition.rs`.
#[test]
fn conditions_decided_from_the_request_context() {
    let p = alice().with_policy(policy(
        "cond",
        json!([{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*",
        "Condition": {
            "IpAddress": {"aws:SourceIp": ["203.0.113.0/24"]},
            "NumericLessThanEquals": {"s3:max-keys": "100"},
            "DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"},
            "StringLike": {"s3:prefix": ["home/${aws:username}/*"]},
            "ForAllValues:StringEquals": {"aws:TagKeys": ["team", "cost"]},
            "Null": {"aws:TokenIssueTime": "true"}
        }}]),
    ));
    let ctx = RequestContext::new()
        .with("aws:SourceIp", "203.0.113.50")
        .with("s3:max-keys", "50")
        .with("aws:CurrentTime", "2026-03-01T10:00:00Z")
        .with("s3:prefix", "home/alice/docs")
        .with_values("aws:TagKeys", ["team"])
        .with_absent("aws:TokenIssueTime");
    let req = Request::new("s3:ListBucket", "arn:aws:s3:::home").in_account(ACCT);
    assert_eq!(
        evaluate(&p, &req.with_context(&ctx)).decision,
        Decision::Allowed
    );
    // Each condition can rule the statement out (AND across operators and keys).
    for (key, value) in [
        ("aws:SourceIp", "198.51.100.1"),
        ("s3:max-keys", "1000"),
        ("aws:CurrentTime", "2031-01-01T00:00:00Z"),
        ("s3:prefix", "home/bob/"),
        ("aws:TokenIssueTime", "2026-03-01T09:00:00Z"),
    ] {
        let c = ctx.clone().with(key, value);
        let a = evaluate(&p, &req.with_context(&c));
        assert_eq!(a.decision, Decision::ImplicitlyDenied, "{key}: {a}");
    }
    let c = ctx.clone().with_values("aws:TagKeys", ["team", "owner"]);
    assert_eq!(
        evaluate(&p, &req.with_context(&c)).decision,
        Decision::ImplicitlyDenied
    );
    let c = ctx.with_unknown("aws:SourceIp");
    let a = evaluate(&p, &req.with_context(&c));
    assert_eq!(a.decision, Decision::Conditional);
    assert_eq!(a.undecided_keys(), vec!["aws:SourceIp"]);
}

// Same account, cross-account, SCPs and boundaries: in `accounts.rs`.
mod accounts;
