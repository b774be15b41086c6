//! organizations collector: whether the account belongs to an AWS Organization and
//! whether it is the management account, set on the `aws.account` node as `organization`.
//!
//! `AWSOrganizationsNotInUseException` means the account is in no organization: `null`.
//! Any other failure records a resource-level gap on the account node and leaves the
//! property absent.

use aws_sdk_organizations::types::Organization;
use serde_json::{Value, json};

use crate::Ctx;
use crate::client;
use crate::registry::{Collector, Scope};

pub const COLLECTOR: Collector = Collector {
    service: "organizations",
    scope: Scope::Global,
    actions: &["organizations:DescribeOrganization"],
    run: |ctx| Box::pin(collect(ctx)),
};

async fn collect(ctx: Ctx) {
    let client = client!(ctx, aws_sdk_organizations);
    let account_node = crate::account_id(&ctx.account);
    let answer = ctx
        .detail(
            "organizations:DescribeOrganization",
            &account_node,
            &["AWSOrganizationsNotInUseException"],
            client.describe_organization().send(),
        )
        .await;
    match answer {
        Ok(Some(out)) => ctx.set_account(
            "organization",
            organization_json(out.organization(), &ctx.account),
        ),
        Ok(None) => ctx.set_account("organization", Value::Null),
        // The gap is recorded; the property stays absent.
        Err(_) => {}
    }
}

/// The organization as `{id, master_account_id, is_management_account}`, where the
/// account is the management account when it is the organization's master account.
fn organization_json(org: Option<&Organization>, account: &str) -> Value {
    let Some(org) = org else {
        return Value::Null;
    };
    json!({
        "id": org.id(),
        "master_account_id": org.master_account_id(),
        "is_management_account": org.master_account_id() == Some(account),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn org(master: &str) -> Organization {
        Organization::builder()
            .id("o-abc123")
            .master_account_id(master)
            .arn("arn:aws:organizations::999988887777:organization/o-abc123")
            .build()
    }

    #[test]
    fn a_member_account_is_not_the_management_account() {
        assert_eq!(
            organization_json(Some(&org("999988887777")), "111122223333"),
            json!({"id": "o-abc123", "master_account_id": "999988887777", "is_management_account": false})
        );
    }

    #[test]
    fn the_master_account_is_the_management_account() {
        let value = organization_json(Some(&org("111122223333")), "111122223333");
        assert_eq!(value["is_management_account"], json!(true));
    }

    #[test]
    fn no_organization_in_the_answer_is_null() {
        assert_eq!(organization_json(None, "111122223333"), Value::Null);
    }
}
