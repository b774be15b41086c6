//! Small IAM estates for the analysis' unit tests: a policy document, and a user or role
//! with one inline policy and nothing else, which each test then adds to.

use serde_json::{Value, json};
use vigil_inventory::Resource;

pub(super) fn doc(statements: Value) -> Value {
    json!({"Version": "2012-10-17", "Statement": statements})
}

/// A user with one inline policy: no group, no managed policy, no access key, no
/// boundary.
pub(super) fn user(account: &str, name: &str, statements: Value) -> Resource {
    Resource::new(
        format!("arn:aws:iam::{account}:user/{name}"),
        "aws.iam.user",
        account,
        "global",
    )
    .with_property(
        "inline_policies",
        json!([{"name": "p", "document": doc(statements)}]),
    )
    .with_property("attached_policies", json!([]))
    .with_property("groups", json!([]))
    .with_property("access_keys", json!([]))
    .with_property("permissions_boundary", Value::Null)
}

/// A role with one inline policy and the trust statements given: no managed policy,
/// no boundary, no instance profile.
pub(super) fn role(account: &str, name: &str, statements: Value, trust: Value) -> Resource {
    Resource::new(
        format!("arn:aws:iam::{account}:role/{name}"),
        "aws.iam.role",
        account,
        "global",
    )
    .with_property(
        "inline_policies",
        json!([{"name": "p", "document": doc(statements)}]),
    )
    .with_property("attached_policies", json!([]))
    .with_property("assume_role_policy", doc(trust))
    .with_property("permissions_boundary", Value::Null)
    .with_property("instance_profiles", json!([]))
}
