//! The engine's inputs read from the inventory graph: a user's or role's identity
//! policies (inline, attached managed, and a user's groups'), its tags, and the
//! resource's own policy where the inventory has one, and its permissions boundary.
//! What the inventory does not hold is said, never guessed: the account's OU chain is
//! not collected yet, so an answer built here names SCPs as not applied, and a boundary
//! whose document is missing is an error rather than no boundary.

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
    &["the account's organisational-unit chain is not collected yet: no SCP is applied"];

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
    if node.properties["is_service_linked"] == serde_json::Value::Bool(true) {
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
    let parse = |what: String, document: &serde_json::Value| {
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
    use serde_json::json;
    use vigil_inventory::Resource;

    use super::*;
    use crate::access::{Decision, Request, evaluate};

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
            .with_property("policy", serde_json::Value::Null);
        let inventory = Inventory::new(vec![user, group, policy, bucket], vec![], vec![]).unwrap();
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
        let inventory = Inventory::new(vec![role(&boundary), policy], vec![], vec![]).unwrap();
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
