//! The analysis over small estates: transitive paths, both sides of cross-account
//! trust, conditional edges kept apart from definite ones, and the definition of an
//! administrator, each against AWS's documented semantics.

use serde_json::{Value, json};
use vigil_inventory::{Inventory, Resource};

use super::Analysis;
use super::test_estate::doc;
use crate::access::Decision;

const A: &str = "111111111111";
const B: &str = "222222222222";

/// A user with one inline policy and an active access key.
fn user(account: &str, name: &str, statements: Value) -> Resource {
    super::test_estate::user(account, name, statements).with_property(
        "access_keys",
        json!([{"access_key_id": "AKIA", "status": "Active"}]),
    )
}

/// A role with one inline policy, the trust given, and an instance profile of its name.
fn role(account: &str, name: &str, statements: Value, trust: Value) -> Resource {
    super::test_estate::role(account, name, statements, trust).with_property(
        "instance_profiles",
        json!([format!("arn:aws:iam::{account}:instance-profile/{name}")]),
    )
}

fn trusts(principal: Value) -> Value {
    json!([{"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}])
}

fn admin_policy() -> Value {
    json!([{"Effect": "Allow", "Action": "*", "Resource": "*"}])
}

fn analyse(resources: Vec<Resource>) -> Analysis {
    let resources = super::fixtures::standalone_accounts(resources);
    Analysis::new(&Inventory::new(resources, vec![], vec![]).unwrap()).unwrap()
}

/// Alice assumes `deploy` (its trust policy names her: AWS, "a resource-based policy
/// that grants permissions to an IAM user ARN … in the same account" needs no
/// identity permission), and `deploy` passes the EC2 role `ec2-admin` to an instance:
/// two hops, each naming principal, method, calls, resource and decision.
/// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-denyallow.html
#[test]
fn a_transitive_path_is_reported_hop_by_hop() {
    let alice = format!("arn:aws:iam::{A}:user/alice");
    let deploy = format!("arn:aws:iam::{A}:role/deploy");
    let ec2_admin = format!("arn:aws:iam::{A}:role/ec2-admin");
    let analysis = analyse(vec![
        user(
            A,
            "alice",
            json!([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]),
        ),
        role(
            A,
            "deploy",
            json!([{"Effect": "Allow", "Action": ["iam:PassRole", "ec2:RunInstances"], "Resource": "*"}]),
            trusts(json!({"AWS": alice})),
        ),
        role(
            A,
            "ec2-admin",
            admin_policy(),
            trusts(json!({"Service": "ec2.amazonaws.com"})),
        ),
    ]);
    assert_eq!(analysis.admin(&ec2_admin), Some(Decision::Allowed));
    assert_eq!(analysis.admin(&alice), Some(Decision::ImplicitlyDenied));
    let path = analysis.path_to_admin(&alice).expect("a path");
    assert!(!path.conditional);
    assert_eq!(path.administrator, ec2_admin);
    let hops: Vec<(&str, &str, &str)> = path
        .hops
        .iter()
        .map(|h| (h.principal.as_str(), h.method.as_str(), h.becomes.as_str()))
        .collect();
    assert_eq!(
        hops,
        vec![
            (alice.as_str(), "sts_assume_role", deploy.as_str()),
            (
                deploy.as_str(),
                "pass_role_ec2_run_instances",
                ec2_admin.as_str()
            ),
        ]
    );
    assert_eq!(
        path.hops[1].actions,
        vec![
            format!("iam:PassRole on {ec2_admin}"),
            "ec2:RunInstances on *".to_owned()
        ]
    );
    assert!(
        path.to_string()
            .contains("--[sts_assume_role: sts:AssumeRole on")
    );
    assert_eq!(analysis.assumable_by(&deploy).len(), 1);
    assert!(
        analysis.path_to_admin(&ec2_admin).is_none(),
        "an administrator has nothing to escalate"
    );
}

/// Cross-account: "the requester in the trusted AccountA must have an identity-based
/// policy … Additionally, the resource-based policy in AccountB must allow". A role
/// of A trusting account B is assumable by B's user only when B's identity policy
/// allows sts:AssumeRole on it; the role counts as assumable from outside either way.
/// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html
#[test]
fn cross_account_trust_needs_both_sides() {
    let target = format!("arn:aws:iam::{A}:role/shared-admin");
    let estate = |identity: Value| {
        analyse(vec![
            role(
                A,
                "shared-admin",
                admin_policy(),
                trusts(json!({"AWS": format!("arn:aws:iam::{B}:root")})),
            ),
            user(B, "carol", identity),
        ])
    };
    let carol = format!("arn:aws:iam::{B}:user/carol");
    let with = estate(json!([{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": target}]));
    assert_eq!(with.assumes(&carol).len(), 1);
    assert_eq!(with.path_to_admin(&carol).unwrap().administrator, target);
    assert!(with.assumable_from_outside(&target));
    let without = estate(json!([{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]));
    assert!(without.assumes(&carol).is_empty());
    assert!(without.path_to_admin(&carol).is_none());
}

/// A condition on a key Vigil cannot know (`aws:MultiFactorAuthPresent`) makes the
/// edge conditional, and the path reports it with the key; a definite path, where one
/// exists, is preferred to a shorter conditional one.
#[test]
fn conditional_edges_make_conditional_paths_and_definite_ones_win() {
    let dave = format!("arn:aws:iam::{A}:user/dave");
    let mfa = json!({"Bool": {"aws:MultiFactorAuthPresent": "true"}});
    let conditional_only = analyse(vec![user(
        A,
        "dave",
        json!([{"Effect": "Allow", "Action": "iam:PutUserPolicy", "Resource": dave, "Condition": mfa}]),
    )]);
    let path = conditional_only
        .path_to_admin(&dave)
        .expect("a conditional path");
    assert!(path.conditional);
    assert_eq!(path.hops[0].decision, Decision::Conditional);
    assert_eq!(
        path.hops[0].depends_on,
        vec!["aws:MultiFactorAuthPresent".to_owned()]
    );
    assert_eq!(conditional_only.stats().escalate_conditionally, 1);

    let both = analyse(vec![
        user(
            A,
            "dave",
            json!([
                {"Effect": "Allow", "Action": "iam:PutUserPolicy", "Resource": dave, "Condition": mfa},
                {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}
            ]),
        ),
        role(
            A,
            "hop",
            json!([{"Effect": "Allow", "Action": "iam:PutRolePolicy", "Resource": format!("arn:aws:iam::{A}:role/hop")}]),
            trusts(json!({"AWS": format!("arn:aws:iam::{A}:root")})),
        ),
    ]);
    let path = both.path_to_admin(&dave).unwrap();
    assert!(!path.conditional, "{path}");
    assert_eq!(path.hops.len(), 2, "{path}");
}

/// Administrator is judged on the effective permission: `*` on `*` is one; a
/// `NotAction` that leaves out IAM is not (it cannot write itself what it lacks); an
/// explicit Deny of IAM writes undoes it ("an explicit deny in any of these policies
/// overrides the allow"); so does a permissions boundary ("the effective permissions
/// … are the intersection").
/// https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html
#[test]
fn administrator_is_the_effective_permission() {
    let arn = |n: &str| format!("arn:aws:iam::{A}:user/{n}");
    let boundary = format!("arn:aws:iam::{A}:policy/ec2-only");
    let analysis = analyse(vec![
        user(A, "root-like", admin_policy()),
        user(
            A,
            "power",
            json!([{"Effect": "Allow", "NotAction": ["iam:*", "organizations:*"], "Resource": "*"}]),
        ),
        user(
            A,
            "denied",
            json!([
                {"Effect": "Allow", "Action": "*", "Resource": "*"},
                {"Effect": "Deny", "Action": "iam:*", "Resource": "*"}
            ]),
        ),
        user(A, "bounded", admin_policy()).with_property("permissions_boundary", json!(boundary)),
        Resource::new(&boundary, "aws.iam.policy", A, "global").with_property(
            "document",
            doc(json!([{"Effect": "Allow", "Action": "ec2:*", "Resource": "*"}])),
        ),
    ]);
    assert_eq!(analysis.admin(&arn("root-like")), Some(Decision::Allowed));
    for (n, decision) in [
        ("power", Decision::ImplicitlyDenied),
        ("denied", Decision::ExplicitlyDenied),
        ("bounded", Decision::ImplicitlyDenied),
    ] {
        assert_eq!(analysis.admin(&arn(n)), Some(decision), "{n}");
        assert!(analysis.path_to_admin(&arn(n)).is_none(), "{n}");
    }
    assert!(analysis.has_active_access_key(&arn("power")));
}

/// A principal whose boundary document is not in the inventory is not analysed
/// (its boundary decides what it may do): the analysis says why rather than guess.
#[test]
fn a_missing_boundary_is_an_error_not_no_boundary() {
    let analysis = analyse(vec![user(A, "erin", admin_policy()).with_property(
        "permissions_boundary",
        json!(format!("arn:aws:iam::{A}:policy/gone")),
    )]);
    let erin = format!("arn:aws:iam::{A}:user/erin");
    assert!(
        analysis
            .error(&erin)
            .unwrap()
            .contains("not in the inventory")
    );
    assert_eq!(analysis.admin(&erin), Some(Decision::ImplicitlyDenied));
}
