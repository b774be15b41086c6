//! A managed policy's versions beyond its default, for the escalation analysis: whoever
//! may call iam:SetDefaultPolicyVersion on a policy attached to itself can put an older
//! or staged version in force, so what those versions allow matters.
//!
//! GetAccountAuthorizationDetails already returns every version of every managed policy
//! with its document, so this reads that answer and makes no call of its own
//! (ListPolicyVersions and GetPolicyVersion would read the same again, policy by policy).
//!
//! `versions` (every version id, the default included) is kept for every policy;
//! `other_versions` (the non-default versions with their documents) for customer managed
//! policies only: no one in the account can make an AWS managed policy's old version its
//! default, and those policies carry dozens of large versions each.

use aws_sdk_iam::types::{ManagedPolicyDetail, PolicyVersion};
use serde_json::{Map, Value, json};

use crate::{policy_document, time};

/// `versions` and, for a customer managed policy, `other_versions`.
pub(super) fn version_properties(
    policy: &ManagedPolicyDetail,
    aws_managed: bool,
) -> Map<String, Value> {
    let versions = policy.policy_version_list();
    let mut p = Map::new();
    p.insert(
        "versions".into(),
        json!(
            versions
                .iter()
                .filter_map(PolicyVersion::version_id)
                .collect::<Vec<_>>()
        ),
    );
    if !aws_managed {
        let others: Vec<Value> = versions
            .iter()
            .filter(|v| !is_default(policy, v))
            .map(|v| {
                json!({
                    "version_id": v.version_id(),
                    "create_date": time(v.create_date()),
                    "document": policy_document(v.document()),
                })
            })
            .collect();
        p.insert("other_versions".into(), Value::Array(others));
    }
    p
}

/// The version in force: flagged as the default, or named by the policy's
/// `DefaultVersionId` (answers do not always carry the flag).
pub(super) fn is_default(policy: &ManagedPolicyDetail, version: &PolicyVersion) -> bool {
    version.is_default_version()
        || (version.version_id().is_some() && version.version_id() == policy.default_version_id())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(id: &str, default: bool, action: &str) -> PolicyVersion {
        PolicyVersion::builder()
            .version_id(id)
            .is_default_version(default)
            .create_date(aws_smithy_types::DateTime::from_secs(1_735_689_600))
            .document(format!(
                "%7B%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22{action}%22%2C%22Resource%22%3A%22%2A%22%7D%5D%7D"
            ))
            .build()
    }

    fn policy() -> ManagedPolicyDetail {
        ManagedPolicyDetail::builder()
            .arn("arn:aws:iam::111122223333:policy/app")
            .default_version_id("v2")
            .policy_version_list(version("v1", false, "%2A"))
            .policy_version_list(version("v2", true, "s3%3AGetObject"))
            .build()
    }

    /// An old version granting everything is kept, decoded, beside the default's id.
    #[test]
    fn a_customer_policy_keeps_its_other_versions_with_documents() {
        let p = version_properties(&policy(), false);
        assert_eq!(p["versions"], json!(["v1", "v2"]));
        assert_eq!(
            p["other_versions"],
            json!([{
                "version_id": "v1",
                "create_date": "2025-01-01T00:00:00Z",
                "document": {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]},
            }])
        );
    }

    #[test]
    fn an_aws_managed_policy_keeps_only_its_version_ids() {
        let p = version_properties(&policy(), true);
        assert_eq!(p["versions"], json!(["v1", "v2"]));
        assert!(!p.contains_key("other_versions"));
    }

    /// The default is found by id when the answer does not flag it.
    #[test]
    fn the_default_is_named_by_its_id_when_not_flagged() {
        let detail = ManagedPolicyDetail::builder()
            .default_version_id("v2")
            .policy_version_list(version("v1", false, "%2A"))
            .policy_version_list(version("v2", false, "%2A"))
            .build();
        let p = version_properties(&detail, false);
        assert_eq!(p["other_versions"].as_array().unwrap().len(), 1);
        assert_eq!(p["other_versions"][0]["version_id"], json!("v1"));
        let single = ManagedPolicyDetail::builder()
            .default_version_id("v1")
            .policy_version_list(version("v1", true, "%2A"))
            .build();
        assert_eq!(
            version_properties(&single, false)["other_versions"],
            json!([])
        );
    }
}
