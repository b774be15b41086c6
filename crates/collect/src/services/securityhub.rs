//! Security Hub: whether the region has a hub, which standards it runs, and which
//! administrator account (if any) manages it.
//!
//! `DescribeHub` answers `InvalidAccessException` ("… is not subscribed to AWS Security
//! Hub") when Security Hub is not enabled in the region: that is a real "not enabled",
//! so no hub resource is added and the "enabled in every region" rule FAILs. Any other
//! error is a type-level gap.
//!
//! `GetAdministratorAccount` answers without an `Administrator` when no other account
//! administers this hub (also in the administrator account itself):
//! `administrator_account_id` is `null`. A failed call is a resource gap; the key stays
//! absent.

use serde_json::{Map, Value, json};

use aws_sdk_securityhub::operation::describe_hub::DescribeHubOutput;
use aws_sdk_securityhub::operation::get_administrator_account::GetAdministratorAccountOutput;
use aws_sdk_securityhub::types::StandardsSubscription;

use crate::registry::{Collector, Scope};
use crate::{CallError, Ctx};

pub const COLLECTOR: Collector = Collector {
    service: "securityhub",
    scope: Scope::Regional,
    actions: &[
        "securityhub:DescribeHub",
        "securityhub:GetEnabledStandards",
        "securityhub:GetAdministratorAccount",
    ],
    run: |ctx| Box::pin(collect(ctx)),
};

const HUB: &str = "aws.securityhub.hub";

async fn collect(ctx: Ctx) {
    let client = crate::client!(ctx, aws_sdk_securityhub);
    let hub = match ctx
        .call("securityhub:DescribeHub", client.describe_hub().send())
        .await
    {
        Ok(hub) => hub,
        Err(err) if is_not_subscribed(&err) => return,
        Err(err) => {
            ctx.gap_types("securityhub:DescribeHub", &[HUB], &err);
            return;
        }
    };
    let id = hub
        .hub_arn()
        .map(str::to_owned)
        .unwrap_or_else(|| ctx.arn("securityhub", "hub/default"));
    let mut properties = hub_properties(&hub, &id);
    if let Ok(Some(standards)) = ctx
        .detail(
            "securityhub:GetEnabledStandards",
            &id,
            &[],
            client
                .get_enabled_standards()
                .into_paginator()
                .items()
                .send()
                .try_collect(),
        )
        .await
    {
        properties.insert("standards".into(), standards_list(&standards));
    }
    if let Ok(Some(out)) = ctx
        .detail(
            "securityhub:GetAdministratorAccount",
            &id,
            &[],
            client.get_administrator_account().send(),
        )
        .await
    {
        properties.insert("administrator_account_id".into(), administrator_id(&out));
    }
    let mut resource = ctx.resource(id, HUB);
    resource.name = Some("default".to_owned());
    resource.properties = Value::Object(properties).into();
    ctx.add(resource);
}

/// Is this the error Security Hub gives in a region where it is not enabled?
fn is_not_subscribed(err: &CallError) -> bool {
    err.code == "InvalidAccessException"
        && err.message.to_ascii_lowercase().contains("not subscribed")
}

fn hub_properties(hub: &DescribeHubOutput, id: &str) -> Map<String, Value> {
    let mut p = Map::new();
    p.insert("hub_arn".into(), json!(hub.hub_arn().unwrap_or(id)));
    p.insert("subscribed_at".into(), json!(hub.subscribed_at()));
    p.insert(
        "auto_enable_controls".into(),
        json!(hub.auto_enable_controls()),
    );
    p
}

/// The administrator's account id, or null when no account administers this hub.
fn administrator_id(out: &GetAdministratorAccountOutput) -> Value {
    json!(out.administrator().and_then(|a| a.account_id()))
}

/// `[{standards_arn, status}]` of the enabled standards.
fn standards_list(standards: &[StandardsSubscription]) -> Value {
    Value::Array(
        standards
            .iter()
            .map(|s| json!({"standards_arn": s.standards_arn(), "status": s.standards_status().map(|st| st.as_str())}))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_securityhub::types::{Invitation, StandardsStatus};

    #[test]
    fn not_subscribed_is_told_apart_from_other_denials() {
        let not_enabled = CallError {
            code: "InvalidAccessException".into(),
            message: "Account 123456789012 is not subscribed to AWS Security Hub".into(),
        };
        assert!(is_not_subscribed(&not_enabled));
        let denied = CallError {
            code: "AccessDeniedException".into(),
            message: "not authorized".into(),
        };
        assert!(!is_not_subscribed(&denied));
        let other = CallError {
            code: "InvalidAccessException".into(),
            message: "something else".into(),
        };
        assert!(!is_not_subscribed(&other));
    }

    #[test]
    fn hub_and_standards() {
        let hub = DescribeHubOutput::builder()
            .hub_arn("arn:aws:securityhub:us-east-1:123456789012:hub/default")
            .subscribed_at("2025-01-09T11:45:12.408Z")
            .auto_enable_controls(true)
            .build();
        let p = hub_properties(&hub, "unused");
        assert_eq!(
            p["hub_arn"],
            json!("arn:aws:securityhub:us-east-1:123456789012:hub/default")
        );
        assert_eq!(p["subscribed_at"], json!("2025-01-09T11:45:12.408Z"));
        assert_eq!(p["auto_enable_controls"], json!(true));

        let standards = vec![
            StandardsSubscription::builder()
                .standards_arn("arn:aws:securityhub:us-east-1::standards/aws-foundational-security-best-practices/v/1.0.0")
                .standards_status(StandardsStatus::Ready)
                .build(),
        ];
        assert_eq!(
            standards_list(&standards),
            json!([{"standards_arn": "arn:aws:securityhub:us-east-1::standards/aws-foundational-security-best-practices/v/1.0.0", "status": "READY"}])
        );
    }

    #[test]
    fn administrator_set_or_null() {
        let managed = GetAdministratorAccountOutput::builder()
            .administrator(
                Invitation::builder()
                    .account_id("444455556666")
                    .member_status("Enabled")
                    .build(),
            )
            .build();
        assert_eq!(administrator_id(&managed), json!("444455556666"));
        let standalone = GetAdministratorAccountOutput::builder().build();
        assert_eq!(administrator_id(&standalone), Value::Null);
    }
}
