//! The access engine across accounts and organisation levels: same-account identity and
//! resource policies, cross-account requests, SCPs and permissions boundaries.

use super::*;

// ---------------------------------------------------------------------------------
// Same account: identity and resource policies.

/// "If either the identity-based policy or the resource-based policy within the same
/// account allows the request and the other doesn't, the request is still allowed."
/// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-basics.html
#[test]
fn same_account_identity_or_resource_policy_suffices() {
    let rp = bucket_policy(json!({"AWS": ALICE}));
    let a = with_resource(&alice(), "s3:GetObject", BUCKET_OBJ, ACCT, &rp);
    assert_eq!(a.decision, Decision::Allowed, "{a}");
    assert_eq!(a.cross_account, Some(false));
    assert_eq!(
        a.reasons,
        vec!["resource policy `reports-bucket-policy` statement 0 allows it"]
    );
    let grants = a.policies[0].statements[0].grants.unwrap();
    assert_eq!(grants.direct, Tri::Yes);

    let p = alice().with_policy(policy("read", allow("s3:GetObject", "*")));
    let other = bucket_policy(json!({"AWS": "arn:aws:iam::111122223333:user/bob"}));
    assert_eq!(
        with_resource(&p, "s3:GetObject", BUCKET_OBJ, ACCT, &other).decision,
        Decision::Allowed
    );
    assert_eq!(
        with_resource(&alice(), "s3:GetObject", BUCKET_OBJ, ACCT, &other).decision,
        Decision::ImplicitlyDenied
    );
}

/// "You can specify AWS account identifiers in the Principal element … This delegates
/// authority to the account." An account grant alone does not allow a user of the
/// account; its identity policies must.
/// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html
#[test]
fn same_account_account_principal_delegates_to_identity_policies() {
    let rp = bucket_policy(json!({"AWS": format!("arn:aws:iam::{ACCT}:root")}));
    assert_eq!(
        with_resource(&alice(), "s3:GetObject", BUCKET_OBJ, ACCT, &rp).decision,
        Decision::ImplicitlyDenied
    );
    let p = alice().with_policy(policy("read", allow("s3:GetObject", "*")));
    assert_eq!(
        with_resource(&p, "s3:GetObject", BUCKET_OBJ, ACCT, &rp).decision,
        Decision::Allowed
    );
}

/// "Within the same account, resource-based policies that grant permissions to an IAM
/// user ARN (that is not a federated user session) are not limited by an implicit deny
/// in an identity-based policy or permissions boundary." (EVAL_LOGIC)
#[test]
fn same_account_grant_to_a_user_is_not_limited_by_its_boundary() {
    let bounded = alice().with_boundary(policy("ec2-only", allow("ec2:*", "*")));
    let rp = bucket_policy(json!({"AWS": ALICE}));
    let a = with_resource(&bounded, "s3:GetObject", BUCKET_OBJ, ACCT, &rp);
    assert_eq!(a.decision, Decision::Allowed, "{a}");
    // Through its identity policy it would be bounded.
    let p = bounded.with_policy(policy("read", allow("s3:*", "*")));
    let a = get(&p, "s3:GetObject", BUCKET_OBJ);
    assert_eq!(a.decision, Decision::ImplicitlyDenied);
    assert_eq!(
        a.reasons,
        vec!["the permissions boundary does not allow it"]
    );
}

/// "Resource-based policies that grant permissions to an IAM role ARN are limited by an
/// implicit deny in a permissions boundary or session policy"; "resource-based policies
/// that grant permissions to an IAM role session ARN grant permissions directly to the
/// assumed role session. Permissions granted directly to a session are not limited by
/// an implicit deny in an identity-based policy, a permissions boundary, or session
/// policy." (EVAL_LOGIC)
#[test]
fn same_account_grant_to_a_role_is_limited_by_its_boundary_but_to_a_session_is_not() {
    let role = app_role()
        .with_session_name("job-7")
        .with_boundary(policy("ec2-only", allow("ec2:*", "*")));
    let by_role = bucket_policy(json!({"AWS": APP_ROLE}));
    let a = with_resource(&role, "s3:GetObject", BUCKET_OBJ, ACCT, &by_role);
    assert_eq!(a.decision, Decision::ImplicitlyDenied, "{a}");
    let by_session =
        bucket_policy(json!({"AWS": "arn:aws:sts::111122223333:assumed-role/app/job-7"}));
    assert_eq!(
        with_resource(&role, "s3:GetObject", BUCKET_OBJ, ACCT, &by_session).decision,
        Decision::Allowed
    );
    // Without a boundary, the role grant suffices.
    assert_eq!(
        with_resource(&app_role(), "s3:GetObject", BUCKET_OBJ, ACCT, &by_role).decision,
        Decision::Allowed
    );
    // The session name unknown: a grant to one session is undecided.
    let unnamed = app_role().with_boundary(policy("ec2-only", allow("ec2:*", "*")));
    let a = with_resource(&unnamed, "s3:GetObject", BUCKET_OBJ, ACCT, &by_session);
    assert_eq!(a.decision, Decision::Conditional, "{a}");
    // "Permissions boundaries and session policies do not limit permissions granted
    // using the aws:PrincipalArn condition key with a wildcard(*) in the Principal
    // element".
    let by_condition = NamedPolicy::inline(
        "bucket",
        doc(
            json!([{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
        "Resource": "*", "Condition": {"ArnEquals": {"aws:PrincipalArn": APP_ROLE}}}]),
        ),
    );
    assert_eq!(
        with_resource(&unnamed, "s3:GetObject", BUCKET_OBJ, ACCT, &by_condition).decision,
        Decision::Allowed
    );
}

/// "IAM role trust policies and KMS key policies are exceptions to this logic, because
/// they must explicitly allow access for principals." (EVAL_LOGIC)
#[test]
fn same_account_role_trust_policy_must_allow() {
    let role_arn = "arn:aws:iam::111122223333:role/deploy";
    let trust = |principal: Value| {
        NamedPolicy::inline(
            "trust",
            doc(json!([{"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}])),
        )
    };
    let assume = |p: &Principal, t: &NamedPolicy| {
        evaluate(
            p,
            &Request::new("sts:AssumeRole", role_arn)
                .with_resource_policy(t)
                .of_kind(ResourceKind::RoleTrust),
        )
    };
    let may = alice().with_policy(policy("assume", allow("sts:AssumeRole", role_arn)));
    let by_account = trust(json!({"AWS": ACCT}));
    assert_eq!(assume(&may, &by_account).decision, Decision::Allowed);
    let a = assume(&alice(), &by_account);
    assert_eq!(
        a.decision,
        Decision::ImplicitlyDenied,
        "account trusted, no identity allow"
    );
    assert_eq!(a.reasons, vec!["no identity-based policy allows it"]);
    let by_other = trust(json!({"AWS": "arn:aws:iam::111122223333:user/bob"}));
    let a = assume(&may, &by_other);
    assert_eq!(
        a.decision,
        Decision::ImplicitlyDenied,
        "identity allow, trust names someone else: {a}"
    );
    assert_eq!(
        a.reasons,
        vec!["the role trust policy allows neither the principal nor its account"]
    );
    assert_eq!(
        assume(&alice(), &trust(json!({"AWS": ALICE}))).decision,
        Decision::Allowed
    );
    // Trust policies store users as unique IDs.
    assert_eq!(
        assume(&alice(), &trust(json!({"AWS": "AIDAALICEEXAMPLE0001"}))).decision,
        Decision::Allowed
    );
    assert_eq!(
        assume(&may, &trust(json!({"Service": "ec2.amazonaws.com"}))).decision,
        Decision::ImplicitlyDenied
    );
}

/// "Unless the key policy explicitly allows it, you cannot use IAM policies to allow
/// access to a KMS key"; "No AWS principal, including the account root user or key
/// creator, has any permissions to a KMS key unless they are explicitly allowed, and
/// never denied, in a key policy, IAM policy, or grant."
/// https://docs.aws.amazon.com/kms/latest/developerguide/key-policies.html
#[test]
fn same_account_kms_key_policy_must_allow() {
    let key = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd";
    let key_policy = |principal: Value| {
        NamedPolicy::inline(
            "key-policy",
            doc(
                json!([{"Effect": "Allow", "Principal": principal, "Action": "kms:*", "Resource": "*"}]),
            ),
        )
    };
    let decrypt = |p: &Principal, k: Option<&NamedPolicy>| {
        let mut r = Request::new("kms:Decrypt", key).of_kind(ResourceKind::KmsKey);
        if let Some(k) = k {
            r = r.with_resource_policy(k);
        }
        evaluate(p, &r).decision
    };
    let may = alice().with_policy(policy("kms", allow("kms:Decrypt", "*")));
    let enables_iam = key_policy(json!({"AWS": format!("arn:aws:iam::{ACCT}:root")}));
    assert_eq!(decrypt(&may, Some(&enables_iam)), Decision::Allowed);
    assert_eq!(
        decrypt(&alice(), Some(&enables_iam)),
        Decision::ImplicitlyDenied
    );
    let only_bob = key_policy(json!({"AWS": "arn:aws:iam::111122223333:user/bob"}));
    assert_eq!(decrypt(&may, Some(&only_bob)), Decision::ImplicitlyDenied);
    assert_eq!(decrypt(&may, None), Decision::ImplicitlyDenied);
    assert_eq!(
        decrypt(&alice(), Some(&key_policy(json!({"AWS": ALICE})))),
        Decision::Allowed
    );
    let root = Principal::root(ACCT);
    assert_eq!(
        decrypt(&root, Some(&only_bob)),
        Decision::ImplicitlyDenied,
        "not even root"
    );
    assert_eq!(decrypt(&root, Some(&enables_iam)), Decision::Allowed);
}

// ---------------------------------------------------------------------------------
// Cross-account.

/// "For cross-account requests, the requester in the trusted AccountA must have an
/// identity-based policy. That policy must allow them to make a request to the resource
/// in the trusting AccountB. Additionally, the resource-based policy in AccountB must
/// allow the requester in AccountA to access the resource."
/// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html
#[test]
fn cross_account_needs_both_sides() {
    let reader = alice().with_policy(policy(
        "read",
        allow("s3:GetObject", "arn:aws:s3:::reports/*"),
    ));
    let trusts_alice = bucket_policy(json!({"AWS": ALICE}));
    let trusts_account = bucket_policy(json!({"AWS": ACCT}));
    let a = with_resource(&reader, "s3:GetObject", BUCKET_OBJ, OTHER, &trusts_account);
    assert_eq!(a.decision, Decision::Allowed, "{a}");
    assert_eq!(a.cross_account, Some(true));
    assert!(a.notes.iter().any(|n| n.contains("must both allow")));
    assert_eq!(
        with_resource(&reader, "s3:GetObject", BUCKET_OBJ, OTHER, &trusts_alice).decision,
        Decision::Allowed
    );
    // The resource policy alone is not enough, even naming the user.
    let a = with_resource(&alice(), "s3:GetObject", BUCKET_OBJ, OTHER, &trusts_alice);
    assert_eq!(a.decision, Decision::ImplicitlyDenied);
    assert_eq!(a.reasons, vec!["no identity-based policy allows it"]);
    // Nor the identity policy alone.
    let a = evaluate(
        &reader,
        &Request::new("s3:GetObject", BUCKET_OBJ).in_account(OTHER),
    );
    assert_eq!(a.decision, Decision::ImplicitlyDenied);
    assert!(
        a.reasons[0].contains("resource-based policy does not allow"),
        "{a}"
    );
    let elsewhere = bucket_policy(json!({"AWS": "999988887777"}));
    assert_eq!(
        with_resource(&reader, "s3:GetObject", BUCKET_OBJ, OTHER, &elsewhere).decision,
        Decision::ImplicitlyDenied
    );
    // Cross-account, a user grant is limited by the boundary like any other.
    let bounded = reader.with_boundary(policy("ec2-only", allow("ec2:*", "*")));
    assert_eq!(
        with_resource(&bounded, "s3:GetObject", BUCKET_OBJ, OTHER, &trusts_alice).decision,
        Decision::ImplicitlyDenied
    );
}

/// The resource's account comes from its ARN when it has one; an S3 ARN has none, and
/// when the decision depends on it the answer says so.
#[test]
fn unknown_resource_account() {
    let reader = alice().with_policy(policy("read", allow("s3:GetObject", "*")));
    let a = evaluate(&reader, &Request::new("s3:GetObject", BUCKET_OBJ));
    assert_eq!(a.cross_account, None);
    assert_eq!(a.decision, Decision::Conditional, "{a}");
    assert_eq!(a.undecided_keys(), vec!["aws:ResourceAccount"]);
    let rp = bucket_policy(json!({"AWS": ALICE}));
    let a = evaluate(
        &reader,
        &Request::new("s3:GetObject", BUCKET_OBJ).with_resource_policy(&rp),
    );
    assert_eq!(a.decision, Decision::Allowed, "both readings allow");
    let queue = "arn:aws:sqs:eu-west-1:444455556666:jobs";
    let a = evaluate(&reader, &Request::new("sqs:SendMessage", queue));
    assert_eq!(a.cross_account, Some(true), "from the ARN");
}

// ---------------------------------------------------------------------------------
// SCPs and permissions boundaries.

/// "If the enforcement code does not find any applicable Allow statements in the SCPs,
/// the enforcement code returns a final decision of Deny." Every level of the OU path
/// must allow: "SCPs are applied to an entire AWS account … at every level".
/// https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_evaluation.html
#[test]
fn scps_must_allow_at_every_level() {
    let admin = alice().with_policy(policy("admin", allow("*", "*")));
    let p = admin
        .clone()
        .with_scp_level("r-root", vec![policy("FullAWSAccess", allow("*", "*"))])
        .with_scp_level(
            "ou-prod",
            vec![policy(
                "s3-and-ec2",
                json!([{"Effect": "Allow", "Action": ["s3:*", "ec2:*"], "Resource": "*"}]),
            )],
        )
        .with_scp_level(ACCT, vec![policy("FullAWSAccess", allow("*", "*"))]);
    assert_eq!(
        get(&p, "s3:GetObject", BUCKET_OBJ).decision,
        Decision::Allowed
    );
    let a = get(&p, "iam:CreateUser", "*");
    assert_eq!(a.decision, Decision::ImplicitlyDenied, "{a}");
    assert_eq!(
        a.reasons,
        vec!["no SCP allows it at level ou-prod (every level of the organisation path must allow)"]
    );
    // SCPs limit even the root user of a member account, and resource-policy grants.
    let root =
        Principal::root(ACCT).with_scp_level("r-root", vec![policy("s3-only", allow("s3:*", "*"))]);
    assert_eq!(
        get(&root, "ec2:RunInstances", "*").decision,
        Decision::ImplicitlyDenied
    );
    let rp = bucket_policy(json!({"AWS": ALICE}));
    let limited = alice().with_scp_level("r-root", vec![policy("ec2-only", allow("ec2:*", "*"))]);
    assert_eq!(
        with_resource(&limited, "s3:GetObject", BUCKET_OBJ, ACCT, &rp).decision,
        Decision::ImplicitlyDenied
    );
    // SCPs grant nothing by themselves.
    let scp_only = alice().with_scp_level("r-root", vec![policy("FullAWSAccess", allow("*", "*"))]);
    assert_eq!(
        get(&scp_only, "s3:GetObject", BUCKET_OBJ).decision,
        Decision::ImplicitlyDenied
    );
    // Service-linked roles are not limited by SCPs.
    let slr = Principal::role(
        "arn:aws:iam::111122223333:role/aws-service-role/ops.amazonaws.com/AWSServiceRole",
    )
    .service_linked()
    .with_policy(policy("slr", allow("ec2:*", "*")))
    .with_scp_level("r-root", vec![policy("deny-ec2", deny("ec2:*", "*"))]);
    let a = get(&slr, "ec2:RunInstances", "*");
    assert_eq!(a.decision, Decision::Allowed);
    assert!(a.notes.iter().any(|n| n.contains("service-linked")));
    assert!(
        get(&admin, "s3:GetObject", BUCKET_OBJ)
            .notes
            .iter()
            .any(|n| n.contains("no SCPs given"))
    );
}

/// An SCP guardrail with an exception for a break-glass role decides from the
/// principal's own ARN, which is known.
#[test]
fn scp_condition_on_the_principal_arn_is_decided() {
    let guard = policy(
        "protect-trail",
        json!([{"Effect": "Deny", "Action": "cloudtrail:StopLogging", "Resource": "*",
        "Condition": {"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/BreakGlass"}}}]),
    );
    let full = policy("FullAWSAccess", allow("*", "*"));
    let admin = |p: Principal| {
        p.with_policy(policy("admin", allow("*", "*")))
            .with_scp_level("r-root", vec![full.clone(), guard.clone()])
    };
    assert_eq!(
        get(&admin(app_role()), "cloudtrail:StopLogging", "*").decision,
        Decision::ExplicitlyDenied
    );
    let glass = admin(Principal::role("arn:aws:iam::111122223333:role/BreakGlass"));
    assert_eq!(
        get(&glass, "cloudtrail:StopLogging", "*").decision,
        Decision::Allowed
    );
}

/// "An entity's permissions boundary allows it to perform only the actions that are
/// allowed by both its identity-based policies and its permissions boundaries."
/// https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html
#[test]
fn boundaries_only_limit() {
    let boundary = policy("boundary", allow("s3:*", "*"));
    let p = alice()
        .with_policy(policy("admin", allow("*", "*")))
        .with_boundary(boundary.clone());
    assert_eq!(
        get(&p, "s3:GetObject", BUCKET_OBJ).decision,
        Decision::Allowed
    );
    let a = get(&p, "iam:CreateUser", "*");
    assert_eq!(a.decision, Decision::ImplicitlyDenied);
    assert_eq!(
        a.reasons,
        vec!["the permissions boundary does not allow it"]
    );
    assert_eq!(
        a.layers
            .iter()
            .find(|l| l.layer == LayerKind::Boundary)
            .unwrap()
            .allows,
        Tri::No
    );
    let q = alice().with_boundary(boundary);
    assert_eq!(
        get(&q, "s3:GetObject", BUCKET_OBJ).decision,
        Decision::ImplicitlyDenied,
        "a boundary grants nothing"
    );
}

/// "Don't use resource-based policy statements that include a NotPrincipal policy
/// element with a Deny effect for IAM users or roles that have a permissions boundary
/// policy attached. The NotPrincipal element with a Deny effect will always deny any
/// IAM principal that has a permissions boundary policy attached, regardless of the
/// values specified in the NotPrincipal element."
/// https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html
#[test]
fn not_principal_deny_always_denies_a_bounded_principal() {
    let rp = policy(
        "bucket",
        json!([{"Effect": "Deny", "Action": "s3:*", "Resource": "*",
        "NotPrincipal": {"AWS": [ALICE, format!("arn:aws:iam::{ACCT}:root")]}}]),
    );
    let reader = alice().with_policy(policy("read", allow("s3:GetObject", "*")));
    assert_eq!(
        with_resource(&reader, "s3:GetObject", BUCKET_OBJ, ACCT, &rp).decision,
        Decision::Allowed
    );
    let bounded = reader.with_boundary(policy("all", allow("*", "*")));
    assert_eq!(
        with_resource(&bounded, "s3:GetObject", BUCKET_OBJ, ACCT, &rp).decision,
        Decision::ExplicitlyDenied
    );
}

/// "If an assumed-role user (someone who is using a role) is being evaluated, AWS might
/// validate the account first, then the role, and then the assumed-role user … we
/// strongly recommend that you … include both the ARN for a role and the ARN for the
/// account containing that role."
/// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html
#[test]
fn not_principal_deny_and_role_sessions() {
    let reader = app_role()
        .with_session_name("audit")
        .with_policy(policy("read", allow("s3:GetObject", "*")));
    let excluding = |entries: Value| {
        policy(
            "bucket",
            json!([{"Effect": "Deny", "Action": "s3:*", "Resource": "*", "NotPrincipal": {"AWS": entries}}]),
        )
    };
    let session = "arn:aws:sts::111122223333:assumed-role/app/audit";
    let full = excluding(json!([
        session,
        APP_ROLE,
        format!("arn:aws:iam::{ACCT}:root")
    ]));
    assert_eq!(
        with_resource(&reader, "s3:GetObject", BUCKET_OBJ, ACCT, &full).decision,
        Decision::Allowed
    );
    // Only the role listed: the session itself is not, and is denied.
    let role_only = excluding(json!([APP_ROLE]));
    assert_eq!(
        with_resource(&reader, "s3:GetObject", BUCKET_OBJ, ACCT, &role_only).decision,
        Decision::ExplicitlyDenied
    );
    // The session listed but not its account: AWS "might" deny, so undecided.
    let no_account = excluding(json!([session, APP_ROLE]));
    let a = with_resource(&reader, "s3:GetObject", BUCKET_OBJ, ACCT, &no_account);
    assert_eq!(a.decision, Decision::Conditional, "{a}");
}

// ---------------------------------------------------------------------------------
// Cases from public IAM simulator test suites (cloud-copilot/iam-simulate,
// src/core_engine/coreEngineTests), restated in Vigil's terms: the traps that give
// tools false positives or false negatives.

/// permissionBoundaries-SameAccount.json: "Permission boundary implicit deny resource
/// policy allows user" → Allowed; "… allows role, from role" → ImplicitlyDenied; a
/// boundary Deny wins over a session grant → ExplicitlyDenied.
#[test]
fn suite_boundaries_and_resource_grants() {
    let ec2_boundary = policy("b", allow("ec2:*", "*"));
    let deny_boundary = policy("b", deny("s3:*", "*"));
    let user = alice().with_boundary(ec2_boundary.clone());
    assert_eq!(
        with_resource(
            &user,
            "s3:GetObject",
            BUCKET_OBJ,
            ACCT,
            &bucket_policy(json!({"AWS": ALICE}))
        )
        .decision,
        Decision::Allowed
    );
    let role = app_role()
        .with_session_name("s")
        .with_boundary(ec2_boundary);
    assert_eq!(
        with_resource(
            &role,
            "s3:GetObject",
            BUCKET_OBJ,
            ACCT,
            &bucket_policy(json!({"AWS": APP_ROLE}))
        )
        .decision,
        Decision::ImplicitlyDenied
    );
    let session = bucket_policy(json!({"AWS": "arn:aws:sts::111122223333:assumed-role/app/s"}));
    assert_eq!(
        with_resource(&role, "s3:GetObject", BUCKET_OBJ, ACCT, &session).decision,
        Decision::Allowed
    );
    let denied = app_role()
        .with_session_name("s")
        .with_boundary(deny_boundary);
    assert_eq!(
        with_resource(&denied, "s3:GetObject", BUCKET_OBJ, ACCT, &session).decision,
        Decision::ExplicitlyDenied
    );
}

/// notPrincipal.json: an Allow with NotPrincipal naming someone else grants the
/// requester (a false negative for tools that ignore NotPrincipal); naming the
/// requester grants nothing.
#[test]
fn suite_not_principal_allow() {
    let grant = |who: &str| {
        policy(
            "bucket",
            json!([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
            "NotPrincipal": {"AWS": who}}]),
        )
    };
    assert_eq!(
        with_resource(
            &alice(),
            "s3:GetObject",
            BUCKET_OBJ,
            ACCT,
            &grant("arn:aws:iam::111122223333:user/bob")
        )
        .decision,
        Decision::Allowed
    );
    assert_eq!(
        with_resource(&alice(), "s3:GetObject", BUCKET_OBJ, ACCT, &grant(ALICE)).decision,
        Decision::ImplicitlyDenied
    );
}

/// conditions/forAllValuesMisused.json: ForAllValues over a single-valued key is true
/// when the one value is listed and false when not; over a missing key it is true (a
/// false positive for Allow statements that tools miss).
#[test]
fn suite_for_all_values_on_single_and_missing_keys() {
    let p = alice().with_policy(policy("org", json!([{"Effect": "Allow", "Action": "*", "Resource": "*",
        "Condition": {"ForAllValues:StringEquals": {"aws:PrincipalOrgID": ["o-abcdefg", "o-zyxwvu"]}}}])));
    let req = |ctx: &RequestContext| {
        evaluate(
            &p,
            &Request::new("s3:ListBucket", "arn:aws:s3:::b")
                .in_account(ACCT)
                .with_context(ctx),
        )
        .decision
    };
    assert_eq!(
        req(&RequestContext::new().with("aws:PrincipalOrgID", "o-abcdefg")),
        Decision::Allowed
    );
    assert_eq!(
        req(&RequestContext::new().with("aws:PrincipalOrgID", "o-zzzzzz")),
        Decision::ImplicitlyDenied
    );
    assert_eq!(
        req(&RequestContext::new().with_absent("aws:PrincipalOrgID")),
        Decision::Allowed
    );
}

/// "A wildcard matches any value as long as the value is provided": a Deny with
/// `StringNotLike {key: "*"}` applies exactly when the key is missing.
#[test]
fn suite_wildcard_requires_a_value() {
    let p = alice()
        .with_policy(policy("all", allow("*", "*")))
        .with_policy(policy(
            "need-tag",
            json!([{"Effect": "Deny", "Action": "*", "Resource": "*",
            "Condition": {"StringNotLike": {"aws:PrincipalTag/user_id": "*"}}}]),
        ));
    assert_eq!(
        get(
            &p.clone().with_tags(Default::default()),
            "s3:GetObject",
            BUCKET_OBJ
        )
        .decision,
        Decision::ExplicitlyDenied
    );
    assert_eq!(
        get(&p.with_tag("user_id", "42"), "s3:GetObject", BUCKET_OBJ).decision,
        Decision::Allowed
    );
}

/// resourceWildcards/s3Objects.json: Allow on a prefix and Deny on a narrower one, and
/// NotResource in a Deny.
#[test]
fn suite_object_prefixes() {
    let p = alice().with_policy(policy("objs", json!([
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::my-bucket/*"},
        {"Effect": "Deny", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::my-bucket/private/*"}
    ])));
    assert_eq!(
        get(&p, "s3:GetObject", "arn:aws:s3:::my-bucket/public/a").decision,
        Decision::Allowed
    );
    assert_eq!(
        get(&p, "s3:GetObject", "arn:aws:s3:::my-bucket/private/a").decision,
        Decision::ExplicitlyDenied
    );
    let q = alice().with_policy(policy("objs", json!([
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::my-bucket/*"},
        {"Effect": "Deny", "Action": "s3:GetObject", "NotResource": "arn:aws:s3:::my-bucket/public/*"}
    ])));
    assert_eq!(
        get(&q, "s3:GetObject", "arn:aws:s3:::my-bucket/public/a").decision,
        Decision::Allowed
    );
    assert_eq!(
        get(&q, "s3:GetObject", "arn:aws:s3:::my-bucket/private/a").decision,
        Decision::ExplicitlyDenied
    );
}

/// A `Principal` of `arn:aws:iam::*:root` is not "every account" (a false positive for
/// public-access checks that treat it as `*`); `{"AWS": "*"}` under an org condition is
/// not public when the caller's organisation is known to differ (a false positive) and
/// is undecided when it is not known.
#[test]
fn suite_principal_wildcards_and_org_conditions() {
    let reader = Principal::user("arn:aws:iam::444455556666:user/mallory")
        .with_policy(policy("read", allow("s3:*", "*")));
    let partial = bucket_policy(json!({"AWS": "arn:aws:iam::*:root"}));
    assert_eq!(
        with_resource(&reader, "s3:GetObject", BUCKET_OBJ, ACCT, &partial).decision,
        Decision::ImplicitlyDenied
    );
    let org = NamedPolicy::inline(
        "bucket",
        doc(
            json!([{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "s3:GetObject",
        "Resource": "*", "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}}}]),
        ),
    );
    let req = Request::new("s3:GetObject", BUCKET_OBJ)
        .in_account(ACCT)
        .with_resource_policy(&org);
    assert_eq!(evaluate(&reader, &req).decision, Decision::Conditional);
    let ctx = RequestContext::new().with("aws:PrincipalOrgID", "o-other");
    assert_eq!(
        evaluate(&reader, &req.with_context(&ctx)).decision,
        Decision::ImplicitlyDenied
    );
}

#[test]
fn answers_serialise_as_data() {
    let p = alice().with_policy(policy("mfa", mfa_policy()));
    let a = get(&p, "ec2:StopInstances", "*");
    let v = serde_json::to_value(&a).unwrap();
    assert_eq!(v["decision"], "Conditional");
    assert_eq!(v["undecided"][0]["keys"][0], "aws:MultiFactorAuthPresent");
    assert_eq!(v["policies"][0]["policy"]["layer"]["kind"], "identity");
    assert_eq!(v["policies"][0]["statements"][0]["applies"], "unknown");
    assert_eq!(
        v["policies"][0]["statements"][0]["checks"][2]["element"]["element"],
        "condition"
    );
}
