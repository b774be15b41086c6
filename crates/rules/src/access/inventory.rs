//! The engine's inputs read from the inventory graph: a user's or role's identity
//! policies (inline, attached managed, and a user's groups'), its tags, its permissions
//! boundary, the SCPs on every level of its account's OU chain, and the resource's own
//! policy where the inventory has one.
//!
//! What the inventory does not hold is said, never guessed. A boundary whose document is
//! missing is an error rather than no boundary. SCPs that could not be read (the chain
//! not collected: a member account without Organizations access, a failed call, the
//! organizations collector left out) become an SCP level the engine cannot decide: an
//! Allow on everything under a condition on [`SCPS_KNOWN_KEY`], a key no request
//! carries, so an answer that would be Allowed is Conditional and names that level,
//! while a Deny elsewhere still decides. No SCP applies outside an organisation and in
//! its management account (AWS: SCPs "don't affect users or roles in the management
//! account"), and none where SCPs are not enabled.

use serde_json::json;
use vigil_inventory::Value;
use vigil_inventory::{Inventory, Resource};

use super::{NamedPolicy, Principal, ResourceKind};
use crate::helpers::iam::Policy;

/// Why a principal or resource could not be built from the inventory.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FromInventoryError {
    #[error("`{0}` is not an IAM user or role in the inventory")]
    NotAPrincipal(String),
    #[error(
        "{owner}: its permissions boundary {boundary} is not in the inventory (its document decides what the principal may do)"
    )]
    BoundaryMissing { owner: String, boundary: String },
    #[error("{owner}: {what} is not a policy document: {reason}")]
    BadPolicy {
        owner: String,
        what: String,
        reason: String,
    },
}

/// What could not be taken into account, for the reader of the answer.
pub const NOT_APPLIED: &[&str] =
    &["resource control policies (RCPs) are not collected: none is applied"];

/// The condition key of the SCP level that stands for SCPs Vigil could not read. No
/// request carries it, so the level is undecided; `--context` can set it to `true` to
/// ask "what if those SCPs allow".
pub const SCPS_KNOWN_KEY: &str = "vigil:ServiceControlPoliciesKnown";

/// A principal as the inventory knows it: a user (with its groups' policies) or a role.
pub fn principal(inventory: &Inventory, id: &str) -> Result<Principal, FromInventoryError> {
    let node = inventory
        .get(id)
        .ok_or_else(|| FromInventoryError::NotAPrincipal(id.to_owned()))?;
    let mut principal = match node.resource_type.as_str() {
        "aws.iam.user" => Principal::user(&node.id),
        "aws.iam.role" => Principal::role(&node.id),
        _ => return Err(FromInventoryError::NotAPrincipal(id.to_owned())),
    };
    if node.properties["is_service_linked"] == Value::Bool(true) {
        principal = principal.service_linked();
    }
    principal = principal.with_tags(node.tags.clone());
    if let Some(boundary) = node.properties["permissions_boundary"].as_str() {
        let document = inventory
            .get(&format!("{boundary}#{}", node.account))
            .or_else(|| inventory.get(boundary))
            .map(|p| &p.properties["document"])
            .filter(|d| !d.is_null())
            .ok_or_else(|| FromInventoryError::BoundaryMissing {
                owner: node.id.clone(),
                boundary: boundary.to_owned(),
            })?;
        let policy = Policy::from_value(document).map_err(|e| FromInventoryError::BadPolicy {
            owner: node.id.clone(),
            what: format!("permissions boundary {boundary}"),
            reason: e.to_string(),
        })?;
        principal = principal.with_boundary(NamedPolicy::managed(boundary, policy));
    }
    for policy in own_policies(inventory, node)? {
        principal = principal.with_policy(policy);
    }
    for (target, policies) in scp_levels(inventory, &node.account)? {
        principal = principal.with_scp_level(target, policies);
    }
    if node.resource_type == "aws.iam.user" {
        for group in node.properties["groups"].as_array().into_iter().flatten() {
            let Some(name) = group.as_str() else { continue };
            let group_node = inventory
                .of_type_in_account(&node.account, "aws.iam.group")
                .iter()
                .map(|&i| inventory.resource(i))
                .find(|g| g.properties["group_name"].as_str() == Some(name));
            if let Some(group_node) = group_node {
                for policy in own_policies(inventory, group_node)? {
                    principal = principal.with_group_policy(name, policy);
                }
            }
        }
    }
    Ok(principal)
}

/// The inline and attached managed policies of a user, group or role node.
fn own_policies(
    inventory: &Inventory,
    node: &Resource,
) -> Result<Vec<NamedPolicy>, FromInventoryError> {
    let parse = |what: String, document: &Value| {
        Policy::from_value(document).map_err(|e| FromInventoryError::BadPolicy {
            owner: node.id.clone(),
            what,
            reason: e.to_string(),
        })
    };
    let mut out = Vec::new();
    for inline in node.properties["inline_policies"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let name = inline["name"].as_str().unwrap_or("inline");
        let document = parse(format!("inline policy {name}"), &inline["document"])?;
        out.push(NamedPolicy::inline(name, document));
    }
    for arn in node.properties["attached_policies"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let Some(arn) = arn.as_str() else { continue };
        // Several snapshots merged: an AWS managed policy of another account carries
        // `#<account>` in its id.
        let policy = inventory
            .get(&format!("{arn}#{}", node.account))
            .or_else(|| inventory.get(arn));
        if let Some(document) = policy
            .map(|p| &p.properties["document"])
            .filter(|d| !d.is_null())
        {
            out.push(NamedPolicy::managed(
                arn,
                parse(format!("policy {arn}"), document)?,
            ));
        }
    }
    Ok(out)
}

/// The SCP levels of the account, root first: none outside an organisation or in its
/// management account; an undecidable level for every part of the chain the inventory
/// does not hold. The escalation and data-access analyses read them once per account.
pub fn scp_levels(
    inventory: &Inventory,
    account: &str,
) -> Result<Vec<(String, Vec<NamedPolicy>)>, FromInventoryError> {
    let node_id = format!("arn:aws::{account}:account");
    let chain_target = format!("the OU chain of {account}");
    let Some(node) = inventory.get(&node_id) else {
        return Ok(vec![unknown_level(
            chain_target,
            "the account node is not in the inventory",
        )]);
    };
    let organization = match node.properties.get("organization") {
        None => {
            let why = with_gaps(
                inventory,
                &node_id,
                "whether the account is in an organisation was not collected",
            );
            return Ok(vec![unknown_level(chain_target, &why)]);
        }
        Some(Value::Null) => return Ok(Vec::new()),
        Some(organization) => organization,
    };
    if organization["is_management_account"] == Value::Bool(true) {
        return Ok(Vec::new());
    }
    let Some(chain) = organization.get("ou_chain").and_then(Value::as_array) else {
        let why = with_gaps(
            inventory,
            &node_id,
            "the account's OU chain was not collected (a member account reads it only as a delegated administrator of Organizations)",
        );
        return Ok(vec![unknown_level(chain_target, &why)]);
    };
    let mut levels = Vec::new();
    for level in chain {
        let target = level["id"].as_str().unwrap_or("?").to_owned();
        match level.get("scps") {
            // SCPs not enabled: this level restricts nothing.
            Some(Value::Null) => {}
            Some(Value::Array(scps)) => {
                levels.push(level_policies(inventory, &node_id, target, scps)?)
            }
            _ => {
                let why = with_gaps(
                    inventory,
                    &node_id,
                    "the SCPs attached here were not collected",
                );
                levels.push(unknown_level(target, &why));
            }
        }
    }
    Ok(levels)
}

/// One level's SCPs; undecidable as a whole when a document is missing, since that
/// policy may deny what the others allow.
fn level_policies(
    inventory: &Inventory,
    node_id: &str,
    target: String,
    scps: &[Value],
) -> Result<(String, Vec<NamedPolicy>), FromInventoryError> {
    let mut policies = Vec::with_capacity(scps.len());
    for scp in scps {
        let arn = scp["arn"].as_str().or(scp["id"].as_str()).unwrap_or("?");
        let name = scp["name"].as_str().unwrap_or(arn);
        let Some(document) = scp.get("document").filter(|d| !d.is_null()) else {
            let why = with_gaps(
                inventory,
                node_id,
                &format!("the document of SCP {name} ({arn}) was not collected"),
            );
            return Ok(unknown_level(target, &why));
        };
        let document = Policy::from_value(document).map_err(|e| FromInventoryError::BadPolicy {
            owner: node_id.to_owned(),
            what: format!("SCP {name} ({arn}) on {target}"),
            reason: e.to_string(),
        })?;
        policies.push(NamedPolicy {
            name: name.to_owned(),
            arn: Some(arn.to_owned()),
            via_group: None,
            document,
        });
    }
    Ok((target, policies))
}

/// `why`, with the Organizations gaps recorded on the account node that explain it.
fn with_gaps(inventory: &Inventory, node_id: &str, why: &str) -> String {
    let gaps: Vec<String> = inventory
        .resource_gaps(node_id)
        .filter(|g| g.service == "organizations")
        .map(|g| g.summary())
        .collect();
    if gaps.is_empty() {
        why.to_owned()
    } else {
        format!("{why}: {}", gaps.join("; "))
    }
}

/// A level the engine cannot decide: it allows everything only under a condition on
/// [`SCPS_KNOWN_KEY`], which no request carries.
fn unknown_level(target: String, why: &str) -> (String, Vec<NamedPolicy>) {
    let document = Policy::from_json(&json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "ScpsNotCollected",
            "Effect": "Allow",
            "Action": "*",
            "Resource": "*",
            "Condition": {"Bool": {SCPS_KNOWN_KEY: "true"}},
        }],
    }))
    .expect("a well-formed policy");
    (
        target,
        vec![NamedPolicy::inline(
            format!("SCPs not known: {why}"),
            document,
        )],
    )
}

/// The resource's own policy and how it takes part, when the inventory holds the
/// resource (an S3 object is judged by its bucket's policy).
pub fn resource_policy(
    inventory: &Inventory,
    resource: &str,
) -> Result<Option<(NamedPolicy, ResourceKind, String)>, FromInventoryError> {
    let bucket = resource
        .strip_prefix("arn:aws:s3:::")
        .map(|rest| format!("arn:aws:s3:::{}", rest.split('/').next().unwrap_or(rest)));
    let Some(node) = inventory
        .get(resource)
        .or_else(|| bucket.as_deref().and_then(|b| inventory.get(b)))
    else {
        return Ok(None);
    };
    let (key, kind) = match node.resource_type.as_str() {
        "aws.iam.role" => ("assume_role_policy", ResourceKind::RoleTrust),
        "aws.kms.key" => ("policy", ResourceKind::KmsKey),
        _ => ("policy", ResourceKind::Standard),
    };
    let document = &node.properties[key];
    if document.is_null() || !document.is_object() && !document.is_string() {
        return Ok(None);
    }
    let policy = Policy::from_value(document).map_err(|e| FromInventoryError::BadPolicy {
        owner: node.id.clone(),
        what: key.to_owned(),
        reason: e.to_string(),
    })?;
    Ok(Some((
        NamedPolicy::inline(format!("{key} of {}", node.id), policy),
        kind,
        node.account.clone(),
    )))
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};
    use vigil_inventory::{Gap, Resource};

    use super::*;
    use crate::access::{Decision, Layer, Request, evaluate};

    const MEMBER: &str = "111111111111";

    /// The account node as the scan writes it, with `organization` as given.
    fn account_node(account: &str, organization: Value) -> Resource {
        Resource::new(
            format!("arn:aws::{account}:account"),
            "aws.account",
            account,
            "global",
        )
        .with_property("organization", organization)
    }

    fn member_org(chain: Option<Value>) -> Value {
        let mut org = json!({"id": "o-1", "master_account_id": "999999999999", "is_management_account": false});
        if let Some(chain) = chain {
            org["ou_chain"] = chain;
        }
        org
    }

    fn scp(id: &str, statements: Value) -> Value {
        json!({"id": id, "arn": format!("arn:aws:organizations::999999999999:policy/o-1/service_control_policy/{id}"),
               "name": id, "aws_managed": false, "document": {"Version": "2012-10-17", "Statement": statements}})
    }

    fn full_access() -> Value {
        scp(
            "p-FullAWSAccess",
            json!([{"Effect": "Allow", "Action": "*", "Resource": "*"}]),
        )
    }

    /// An administrator user (inline `*`), and optionally a service-linked role with
    /// the same policy.
    fn admins() -> Vec<Resource> {
        let admin = json!([{"name": "admin", "document":
            {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}}]);
        vec![
            Resource::new(
                format!("arn:aws:iam::{MEMBER}:user/ops"),
                "aws.iam.user",
                MEMBER,
                "global",
            )
            .with_property("attached_policies", json!([]))
            .with_property("inline_policies", admin.clone()),
            Resource::new(
                format!(
                    "arn:aws:iam::{MEMBER}:role/aws-service-role/x.amazonaws.com/AWSServiceRoleForX"
                ),
                "aws.iam.role",
                MEMBER,
                "global",
            )
            .with_property("is_service_linked", json!(true))
            .with_property("attached_policies", json!([]))
            .with_property("inline_policies", admin),
        ]
    }

    fn ask(inventory: &Inventory, who: &str, action: &str) -> crate::access::Answer {
        let p = principal(inventory, &format!("arn:aws:iam::{MEMBER}:{who}")).unwrap();
        evaluate(&p, &Request::new(action, "*").in_account(MEMBER))
    }

    /// Every level must allow: the root's FullAWSAccess, an OU that allows only S3 and
    /// EC2 and denies leaving the bucket unencrypted, the account's FullAWSAccess.
    #[test]
    fn the_scps_of_every_level_of_a_member_accounts_chain_apply() {
        let chain = json!([
            {"id": "r-ab12", "type": "ROOT", "scps": [full_access()]},
            {"id": "ou-ab12-workload", "type": "ORGANIZATIONAL_UNIT", "scps": [
                scp("p-allowlist", json!([{"Effect": "Allow", "Action": ["s3:*", "ec2:*"], "Resource": "*"}])),
                scp("p-deny", json!([{"Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "*"}])),
            ]},
            {"id": MEMBER, "type": "ACCOUNT", "scps": [full_access()]},
        ]);
        let mut resources = admins();
        resources.push(account_node(MEMBER, member_org(Some(chain))));
        let inventory = Inventory::new(resources, vec![], vec![]).unwrap();
        let ops = principal(&inventory, &format!("arn:aws:iam::{MEMBER}:user/ops")).unwrap();
        assert_eq!(
            ops.scps
                .iter()
                .map(|l| l.target.as_str())
                .collect::<Vec<_>>(),
            ["r-ab12", "ou-ab12-workload", MEMBER]
        );
        assert_eq!(
            ask(&inventory, "user/ops", "s3:GetObject").decision,
            Decision::Allowed
        );
        let delete = ask(&inventory, "user/ops", "s3:DeleteBucket");
        assert_eq!(delete.decision, Decision::ExplicitlyDenied, "{delete}");
        assert!(delete.policies.iter().any(|p| p.policy.name == "p-deny"
            && p.policy.layer
                == Layer::Scp {
                    level: 1,
                    target: "ou-ab12-workload".into()
                }));
        let iam = ask(&inventory, "user/ops", "iam:CreateUser");
        assert_eq!(iam.decision, Decision::ImplicitlyDenied, "{iam}");
        // Service-linked roles are not limited by SCPs.
        assert_eq!(
            ask(
                &inventory,
                "role/aws-service-role/x.amazonaws.com/AWSServiceRoleForX",
                "iam:CreateUser"
            )
            .decision,
            Decision::Allowed
        );
    }

    /// A member account whose chain could not be read: what would be allowed is
    /// conditional on the unread SCPs, named with the gap; a Deny still decides.
    #[test]
    fn an_uncollected_chain_leaves_allowed_answers_conditional() {
        let mut resources = admins();
        resources[0] = resources[0].clone().with_property(
            "inline_policies",
            json!([{"name": "admin", "document": {"Statement": [
                {"Effect": "Allow", "Action": "*", "Resource": "*"},
                {"Effect": "Deny", "Action": "iam:DeleteUser", "Resource": "*"}]}}]),
        );
        resources.push(account_node(MEMBER, member_org(None)));
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
        let inventory = Inventory::new(resources, vec![], vec![gap]).unwrap();
        let answer = ask(&inventory, "user/ops", "s3:GetObject");
        assert_eq!(answer.decision, Decision::Conditional, "{answer}");
        assert_eq!(answer.undecided_keys(), [SCPS_KNOWN_KEY]);
        let policy = answer.undecided[0].policy.as_ref().unwrap();
        assert!(
            policy.name.contains("OU chain was not collected"),
            "{}",
            policy.name
        );
        assert!(
            policy.name.contains("AccessDeniedException"),
            "{}",
            policy.name
        );
        assert_eq!(
            ask(&inventory, "user/ops", "iam:DeleteUser").decision,
            Decision::ExplicitlyDenied
        );
        // Asked "what if the SCPs allow", the answer is the identity policies'.
        let p = principal(&inventory, &format!("arn:aws:iam::{MEMBER}:user/ops")).unwrap();
        let context = crate::access::RequestContext::new().with(SCPS_KNOWN_KEY, "true");
        let assumed = evaluate(
            &p,
            &Request::new("s3:GetObject", "*")
                .in_account(MEMBER)
                .with_context(&context),
        );
        assert_eq!(assumed.decision, Decision::Allowed, "{assumed}");
    }

    /// No SCP applies outside an organisation, in the management account, or where SCPs
    /// are not enabled; an organisation membership never collected (or no account node
    /// at all) is unknown, as is a level whose SCP document is missing.
    #[test]
    fn when_scps_apply_and_when_they_are_unknown() {
        let decision = |organization: Option<Value>| {
            let mut resources = admins();
            let mut node = Resource::new(
                format!("arn:aws::{MEMBER}:account"),
                "aws.account",
                MEMBER,
                "global",
            );
            if let Some(org) = organization {
                node = node.with_property("organization", org);
            }
            resources.push(node);
            let inventory = Inventory::new(resources, vec![], vec![]).unwrap();
            ask(&inventory, "user/ops", "iam:CreateUser").decision
        };
        assert_eq!(decision(Some(Value::Null)), Decision::Allowed);
        assert_eq!(
            decision(Some(
                json!({"id": "o-1", "master_account_id": MEMBER, "is_management_account": true})
            )),
            Decision::Allowed
        );
        let disabled = json!([{"id": "r-1", "type": "ROOT", "scps": null}, {"id": MEMBER, "type": "ACCOUNT", "scps": null}]);
        assert_eq!(
            decision(Some(member_org(Some(disabled)))),
            Decision::Allowed
        );
        assert_eq!(decision(None), Decision::Conditional);
        let unread_level = json!([{"id": "r-1", "type": "ROOT", "scps": [full_access()]}, {"id": MEMBER, "type": "ACCOUNT"}]);
        assert_eq!(
            decision(Some(member_org(Some(unread_level)))),
            Decision::Conditional
        );
        let mut no_document = full_access();
        no_document.as_object_mut().unwrap().remove("document");
        let unread_document = json!([{"id": "r-1", "type": "ROOT", "scps": [no_document]}]);
        assert_eq!(
            decision(Some(member_org(Some(unread_document)))),
            Decision::Conditional
        );
        let no_node = Inventory::new(admins(), vec![], vec![]).unwrap();
        assert_eq!(
            ask(&no_node, "user/ops", "iam:CreateUser").decision,
            Decision::Conditional
        );
    }

    /// A user gets S3 reads through its group's attached policy and is denied deletes
    /// by its own inline policy; the bucket in the same account has no policy.
    #[test]
    fn a_users_group_and_inline_policies_combine() {
        let account = "111111111111";
        let user = Resource::new(format!("arn:aws:iam::{account}:user/alice"), "aws.iam.user", account, "global")
            .with_property("groups", json!(["readers"]))
            .with_property("attached_policies", json!([]))
            .with_property("inline_policies", json!([{"name": "no-delete", "document":
                {"Statement": [{"Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"}]}}]));
        let group = Resource::new(
            format!("arn:aws:iam::{account}:group/readers"),
            "aws.iam.group",
            account,
            "global",
        )
        .with_property("group_name", json!("readers"))
        .with_property("inline_policies", json!([]))
        .with_property(
            "attached_policies",
            json!(["arn:aws:iam::aws:policy/AmazonS3FullAccess"]),
        );
        let policy = Resource::new(
            "arn:aws:iam::aws:policy/AmazonS3FullAccess",
            "aws.iam.policy",
            account,
            "global",
        )
        .with_property(
            "document",
            json!({"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}),
        );
        let bucket = Resource::new("arn:aws:s3:::data", "aws.s3.bucket", account, "global")
            .with_property("policy", Value::Null);
        let inventory = Inventory::new(
            vec![
                user,
                group,
                policy,
                bucket,
                account_node(account, Value::Null),
            ],
            vec![],
            vec![],
        )
        .unwrap();
        let alice = principal(&inventory, &format!("arn:aws:iam::{account}:user/alice")).unwrap();
        assert_eq!(alice.identity_policies.len(), 2);
        assert!(
            resource_policy(&inventory, "arn:aws:s3:::data/x")
                .unwrap()
                .is_none()
        );
        let read = evaluate(
            &alice,
            &Request::new("s3:GetObject", "arn:aws:s3:::data/x").in_account(account),
        );
        assert_eq!(read.decision, Decision::Allowed, "{read}");
        let delete = evaluate(
            &alice,
            &Request::new("s3:DeleteObject", "arn:aws:s3:::data/x").in_account(account),
        );
        assert_eq!(delete.decision, Decision::ExplicitlyDenied, "{delete}");
        assert!(matches!(
            principal(&inventory, "arn:aws:s3:::data"),
            Err(FromInventoryError::NotAPrincipal(_))
        ));
    }

    /// A boundary limits: an admin role bounded to S3 reads cannot create users; a
    /// boundary the inventory lacks is an error, not "no boundary".
    #[test]
    fn a_roles_permissions_boundary_is_applied() {
        let account = "111111111111";
        let boundary = format!("arn:aws:iam::{account}:policy/s3-read-only");
        let role = |boundary: &str| {
            Resource::new(
                format!("arn:aws:iam::{account}:role/ops"),
                "aws.iam.role",
                account,
                "global",
            )
            .with_property("attached_policies", json!([]))
            .with_property(
                "inline_policies",
                json!([{"name": "admin", "document":
                    {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}}]),
            )
            .with_property("permissions_boundary", json!(boundary))
        };
        let policy = Resource::new(&boundary, "aws.iam.policy", account, "global").with_property(
            "document",
            json!({"Statement": [{"Effect": "Allow", "Action": "s3:Get*", "Resource": "*"}]}),
        );
        let inventory = Inventory::new(
            vec![role(&boundary), policy, account_node(account, Value::Null)],
            vec![],
            vec![],
        )
        .unwrap();
        let ops = principal(&inventory, &format!("arn:aws:iam::{account}:role/ops")).unwrap();
        let create = evaluate(
            &ops,
            &Request::new("iam:CreateUser", "*").in_account(account),
        );
        assert_eq!(create.decision, Decision::ImplicitlyDenied, "{create}");
        let read = evaluate(
            &ops,
            &Request::new("s3:GetObject", "arn:aws:s3:::b/k").in_account(account),
        );
        assert_eq!(read.decision, Decision::Allowed, "{read}");
        let missing = Inventory::new(
            vec![role("arn:aws:iam::111111111111:policy/gone")],
            vec![],
            vec![],
        )
        .unwrap();
        assert!(matches!(
            principal(&missing, &format!("arn:aws:iam::{account}:role/ops")),
            Err(FromInventoryError::BoundaryMissing { .. })
        ));
    }
}
