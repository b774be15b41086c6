//! SCPs in the escalation analysis: every call of an edge is asked with the SCPs of
//! every level of the acting principal's OU chain, a method that yields arbitrary
//! permissions ends at administrator only as far as those SCPs let one be, and SCPs
//! Vigil could not read leave the edge conditional rather than allowed or denied.
//!
//! AWS, "Service control policies (SCPs)"
//! (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps.html):
//! SCPs limit the permissions of IAM users and roles in member accounts, every level
//! from the root to the account must allow an action (an explicit Deny anywhere
//! wins), they "don't affect users or roles in the management account", and they do
//! not affect service-linked roles.

use serde_json::{Value, json};
use vigil_inventory::{Gap, Inventory, Resource};

use super::Analysis;
use super::test_estate::{doc, role, user};
use crate::access::Decision;

const MEMBER: &str = "111111111111";
const OTHER: &str = "222222222222";
const MANAGEMENT: &str = "999999999999";

fn scp(id: &str, statements: Value) -> Value {
    json!({"id": id, "name": id, "aws_managed": false,
           "arn": format!("arn:aws:organizations::{MANAGEMENT}:policy/o-1/service_control_policy/{id}"),
           "document": doc(statements)})
}

fn full_access() -> Value {
    scp(
        "p-FullAWSAccess",
        json!([{"Effect": "Allow", "Action": "*", "Resource": "*"}]),
    )
}

/// A member account under the root (FullAWSAccess) and one OU with `ou_scps`.
fn member(account: &str, ou_scps: Vec<Value>) -> Resource {
    let chain = json!([
        {"id": "r-ab12", "type": "ROOT", "scps": [full_access()]},
        {"id": "ou-ab12-workload", "type": "ORGANIZATIONAL_UNIT", "scps": ou_scps},
        {"id": account, "type": "ACCOUNT", "scps": [full_access()]},
    ]);
    account_node(
        account,
        json!({"id": "o-1", "master_account_id": MANAGEMENT,
               "is_management_account": false, "ou_chain": chain}),
    )
}

fn account_node(account: &str, organization: Value) -> Resource {
    Resource::new(
        format!("arn:aws::{account}:account"),
        "aws.account",
        account,
        "global",
    )
    .with_property("organization", organization)
}

/// Alice may write herself an inline policy: a definite edge to administrator when
/// nothing else limits her.
fn alice(account: &str) -> Resource {
    user(
        account,
        "alice",
        json!([{"Effect": "Allow", "Action": "iam:PutUserPolicy",
                "Resource": format!("arn:aws:iam::{account}:user/alice")}]),
    )
}

fn put_user_policy(analysis: &Analysis, account: &str) -> Option<Decision> {
    analysis
        .escalations(&format!("arn:aws:iam::{account}:user/alice"))
        .iter()
        .find(|e| e.method == "iam_put_user_policy")
        .map(|e| e.decision)
}

fn analyse(resources: Vec<Resource>, gaps: Vec<Gap>) -> Analysis {
    Analysis::new(&Inventory::new(resources, vec![], gaps).unwrap()).unwrap()
}

/// The same principal under three OUs: FullAWSAccess only (escalates), an SCP that
/// denies IAM writes (an SCP Deny removes the edge), and an allow-list without IAM
/// (a missing SCP Allow removes it too).
#[test]
fn an_scp_deny_or_a_missing_scp_allow_removes_the_edge() {
    let open = analyse(
        vec![alice(MEMBER), member(MEMBER, vec![full_access()])],
        vec![],
    );
    assert_eq!(put_user_policy(&open, MEMBER), Some(Decision::Allowed));
    let path = open
        .path_to_admin(&format!("arn:aws:iam::{MEMBER}:user/alice"))
        .expect("a path");
    assert!(!path.conditional);

    let deny = analyse(
        vec![
            alice(MEMBER),
            member(
                MEMBER,
                vec![
                    full_access(),
                    scp(
                        "p-no-iam-writes",
                        json!([{"Effect": "Deny", "Action": ["iam:Put*", "iam:Attach*"], "Resource": "*"}]),
                    ),
                ],
            ),
        ],
        vec![],
    );
    assert_eq!(put_user_policy(&deny, MEMBER), None);
    assert!(
        deny.path_to_admin(&format!("arn:aws:iam::{MEMBER}:user/alice"))
            .is_none()
    );

    let allow_list = analyse(
        vec![
            alice(MEMBER),
            member(
                MEMBER,
                vec![scp(
                    "p-data-only",
                    json!([{"Effect": "Allow", "Action": ["s3:*", "dynamodb:*"], "Resource": "*"}]),
                )],
            ),
        ],
        vec![],
    );
    assert_eq!(put_user_policy(&allow_list, MEMBER), None);
}

/// An SCP that allows `iam:PutUserPolicy` but nothing else of IAM: Alice can write
/// herself `*`, yet every IAM action she would then need stays outside what the SCPs
/// allow, so she does not become administrator. Likewise a principal whose own policy
/// is `*` is no administrator under an SCP that denies IAM.
#[test]
fn arbitrary_permissions_are_administrator_only_as_far_as_the_scps_allow() {
    let narrow = analyse(
        vec![
            alice(MEMBER),
            user(
                MEMBER,
                "ops",
                json!([{"Effect": "Allow", "Action": "*", "Resource": "*"}]),
            ),
            member(
                MEMBER,
                vec![scp(
                    "p-narrow",
                    json!([{"Effect": "Allow", "Action": ["iam:PutUserPolicy", "s3:*"], "Resource": "*"}]),
                )],
            ),
        ],
        vec![],
    );
    assert_eq!(put_user_policy(&narrow, MEMBER), None);
    assert_eq!(
        narrow.admin(&format!("arn:aws:iam::{MEMBER}:user/ops")),
        Some(Decision::ImplicitlyDenied)
    );
    let no_iam = analyse(
        vec![
            user(
                MEMBER,
                "ops",
                json!([{"Effect": "Allow", "Action": "*", "Resource": "*"}]),
            ),
            member(
                MEMBER,
                vec![
                    full_access(),
                    scp(
                        "p-no-iam",
                        json!([{"Effect": "Deny", "Action": "iam:*", "Resource": "*"}]),
                    ),
                ],
            ),
        ],
        vec![],
    );
    assert_eq!(
        no_iam.admin(&format!("arn:aws:iam::{MEMBER}:user/ops")),
        Some(Decision::ExplicitlyDenied)
    );
}

/// Role assumption is a call of the caller, so the caller's SCPs decide it: Bob in
/// the other account may assume `admin` (its trust names him, his policy allows it)
/// until his account's OU denies `sts:AssumeRole`.
#[test]
fn the_callers_scps_decide_whether_it_assumes_a_role() {
    let bob = format!("arn:aws:iam::{OTHER}:user/bob");
    let admin = format!("arn:aws:iam::{MEMBER}:role/admin");
    let estate = |ou: Vec<Value>| {
        analyse(
            vec![
                user(
                    OTHER,
                    "bob",
                    json!([{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]),
                ),
                role(
                    MEMBER,
                    "admin",
                    json!([{"Effect": "Allow", "Action": "*", "Resource": "*"}]),
                    json!([{"Effect": "Allow", "Principal": {"AWS": bob}, "Action": "sts:AssumeRole"}]),
                ),
                member(MEMBER, vec![full_access()]),
                member(OTHER, ou),
            ],
            vec![],
        )
    };
    let open = estate(vec![full_access()]);
    assert_eq!(
        open.assumes(&bob)
            .iter()
            .map(|a| (a.role.as_str(), a.decision))
            .collect::<Vec<_>>(),
        [(admin.as_str(), Decision::Allowed)]
    );
    assert!(open.path_to_admin(&bob).is_some());
    let closed = estate(vec![
        full_access(),
        scp(
            "p-no-assume",
            json!([{"Effect": "Deny", "Action": "sts:AssumeRole", "Resource": "*"}]),
        ),
    ]);
    assert!(closed.assumes(&bob).is_empty());
    assert!(closed.path_to_admin(&bob).is_none());
}

/// A member account whose OU chain Organizations would not give (the scanner reads it
/// only from the management account or a delegated administrator): the edge is
/// conditional, and says on which SCPs and why; an explicit Deny in the principal's
/// own policy still removes it. No account node at all is as unknown.
#[test]
fn an_uncollected_ou_chain_makes_the_edge_conditional() {
    let gap = Gap {
        service: "organizations".into(),
        operation: "ListParents".into(),
        account: MEMBER.into(),
        region: "global".into(),
        resource_types: vec![],
        resource: Some(format!("arn:aws::{MEMBER}:account")),
        error_code: "AccessDeniedException".into(),
        message: "You don't have permissions to access this resource.".into(),
    };
    let unread = account_node(
        MEMBER,
        json!({"id": "o-1", "master_account_id": MANAGEMENT, "is_management_account": false}),
    );
    let analysis = analyse(vec![alice(MEMBER), unread.clone()], vec![gap]);
    let edges = analysis.escalations(&format!("arn:aws:iam::{MEMBER}:user/alice"));
    let edge = edges
        .iter()
        .find(|e| e.method == "iam_put_user_policy")
        .expect("a conditional edge, not none");
    assert_eq!(edge.decision, Decision::Conditional);
    assert!(
        edge.depends_on
            .iter()
            .any(|w| w.contains("OU chain was not collected") && w.contains("AccessDenied")),
        "{:?}",
        edge.depends_on
    );
    let path = analysis
        .path_to_admin(&format!("arn:aws:iam::{MEMBER}:user/alice"))
        .expect("a conditional path");
    assert!(path.conditional);

    let denied = user(
        MEMBER,
        "alice",
        json!([{"Effect": "Allow", "Action": "iam:PutUserPolicy", "Resource": "*"},
               {"Effect": "Deny", "Action": "iam:PutUserPolicy", "Resource": "*"}]),
    );
    assert_eq!(
        put_user_policy(&analyse(vec![denied, unread], vec![]), MEMBER),
        None
    );
    assert_eq!(
        put_user_policy(&analyse(vec![alice(MEMBER)], vec![]), MEMBER),
        Some(Decision::Conditional)
    );
}

/// The management account is not subject to SCPs ("SCPs don't affect users or roles
/// in the management account", AWS Organizations user guide, Service control
/// policies): its chain carries an SCP denying IAM writes, yet Alice there escalates
/// definitely. A service-linked role in a member account is not limited either.
#[test]
fn the_management_account_and_service_linked_roles_are_not_subject_to_scps() {
    let deny_iam = scp(
        "p-no-iam",
        json!([{"Effect": "Deny", "Action": "iam:*", "Resource": "*"}]),
    );
    let management = account_node(
        MANAGEMENT,
        json!({"id": "o-1", "master_account_id": MANAGEMENT, "is_management_account": true,
               "ou_chain": [{"id": "r-ab12", "type": "ROOT", "scps": [full_access(), deny_iam.clone()]},
                            {"id": MANAGEMENT, "type": "ACCOUNT", "scps": [full_access()]}]}),
    );
    let analysis = analyse(vec![alice(MANAGEMENT), management], vec![]);
    assert_eq!(
        put_user_policy(&analysis, MANAGEMENT),
        Some(Decision::Allowed)
    );
    assert!(
        !analysis
            .path_to_admin(&format!("arn:aws:iam::{MANAGEMENT}:user/alice"))
            .expect("a path")
            .conditional
    );

    let linked =
        format!("arn:aws:iam::{MEMBER}:role/aws-service-role/x.amazonaws.com/AWSServiceRoleForX");
    let slr = Resource::new(&linked, "aws.iam.role", MEMBER, "global")
        .with_property("is_service_linked", json!(true))
        .with_property(
            "inline_policies",
            json!([{"name": "p", "document": doc(json!([{"Effect": "Allow", "Action": "*", "Resource": "*"}]))}]),
        )
        .with_property("attached_policies", json!([]))
        .with_property(
            "assume_role_policy",
            doc(json!([{"Effect": "Allow", "Principal": {"Service": "x.amazonaws.com"}, "Action": "sts:AssumeRole"}])),
        )
        .with_property("permissions_boundary", Value::Null);
    let analysis = analyse(
        vec![slr, member(MEMBER, vec![full_access(), deny_iam])],
        vec![],
    );
    assert_eq!(analysis.admin(&linked), Some(Decision::Allowed));
}

/// An SCP that protects one user by its ARN: Alice may create access keys for every
/// user (`Resource: "*"`), so her answer would be the same for every user of the
/// account but for the SCP, which must keep the protected user out of her reach and
/// leave the others in it.
#[test]
fn an_scp_naming_one_resource_is_decided_per_target() {
    let bob = format!("arn:aws:iam::{MEMBER}:user/bob");
    let breakglass = format!("arn:aws:iam::{MEMBER}:user/breakglass");
    let analysis = analyse(
        vec![
            user(
                MEMBER,
                "alice",
                json!([{"Effect": "Allow", "Action": "iam:CreateAccessKey", "Resource": "*"}]),
            ),
            user(MEMBER, "bob", json!([])),
            user(MEMBER, "breakglass", json!([])),
            member(
                MEMBER,
                vec![
                    full_access(),
                    scp(
                        "p-protect-breakglass",
                        json!([{"Effect": "Deny", "Action": "iam:*",
                                "Resource": "arn:aws:iam::*:user/breakglass"}]),
                    ),
                ],
            ),
        ],
        vec![],
    );
    let mut reached: Vec<String> = analysis
        .escalations(&format!("arn:aws:iam::{MEMBER}:user/alice"))
        .into_iter()
        .filter(|e| e.method == "iam_create_access_key")
        .map(|e| e.becomes)
        .collect();
    reached.sort();
    assert_eq!(reached, [bob]);
    assert!(!reached.contains(&breakglass));
}
