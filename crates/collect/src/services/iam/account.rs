//! Account-level facts IAM holds, set on the `aws.account` node: the password policy,
//! the account summary, the root user's credentials, whether a support role exists.

use super::*;
// ---------------------------------------------------------------------------------
// Account-level facts
// ---------------------------------------------------------------------------------

/// Serial numbers of the account's virtual MFA devices, and whether the root user's
/// MFA device is one of them.
#[derive(Debug, Default)]
pub(super) struct VirtualMfa {
    pub(super) serials: HashSet<String>,
    pub(super) root_is_virtual: bool,
}

pub(super) async fn virtual_mfa_devices(ctx: &Ctx, client: &Client) -> Option<VirtualMfa> {
    let devices: Vec<VirtualMfaDevice> = ctx
        .detail(
            "iam:ListVirtualMFADevices",
            &crate::account_id(&ctx.account),
            &[],
            client
                .list_virtual_mfa_devices()
                .into_paginator()
                .items()
                .send()
                .try_collect(),
        )
        .await
        .ok()
        .flatten()?;
    Some(virtual_mfa(&devices))
}

pub(super) fn virtual_mfa(devices: &[VirtualMfaDevice]) -> VirtualMfa {
    VirtualMfa {
        serials: devices
            .iter()
            .map(|d| d.serial_number().to_owned())
            .collect(),
        root_is_virtual: devices.iter().any(|d| {
            d.user().is_some_and(|u| u.arn().ends_with(":root"))
                || d.serial_number().ends_with(":mfa/root-account-mfa-device")
        }),
    }
}

/// GetAccountSummary's counters, by their AWS names.
pub(super) async fn account_summary(ctx: &Ctx, client: &Client) -> Option<Map<String, Value>> {
    let out = ctx
        .detail(
            "iam:GetAccountSummary",
            &crate::account_id(&ctx.account),
            &[],
            client.get_account_summary().send(),
        )
        .await
        .ok()
        .flatten()?;
    let summary = summary_json(out.summary_map());
    ctx.set_account("account_summary", Value::Object(summary.clone()));
    Some(summary)
}

pub(super) fn summary_json(map: Option<&HashMap<SummaryKeyType, i32>>) -> Map<String, Value> {
    map.into_iter()
        .flatten()
        .map(|(k, v)| (k.as_str().to_owned(), json!(v)))
        .collect()
}

/// The root user's facts. The account summary is live, the report up to four hours old,
/// so the summary decides what it states exactly (root MFA enabled; no root access keys
/// at all) and the report's `<root_account>` row answers the rest (which key is active,
/// last uses). A fact no source answers is left out.
pub(super) fn root_properties(
    row: Option<&ReportRow>,
    summary: Option<&Map<String, Value>>,
    root_virtual: Option<bool>,
) -> Map<String, Value> {
    let counter = |key: &str| summary.and_then(|s| s.get(key)).and_then(Value::as_i64);
    let no_keys = counter("AccountAccessKeysPresent") == Some(0);
    let mut map = Map::new();

    let mfa_active = counter("AccountMFAEnabled")
        .map(|n| n == 1)
        .or_else(|| row.and_then(|r| r.flag("mfa_active")));
    if let Some(active) = mfa_active {
        map.insert("mfa_active".into(), Value::Bool(active));
        let hardware = if active {
            root_virtual.map(|v| !v)
        } else {
            Some(false)
        };
        if let Some(hardware) = hardware {
            map.insert("hardware_mfa".into(), Value::Bool(hardware));
        }
    }
    for n in [1, 2] {
        let active = if no_keys {
            Some(false)
        } else {
            row.and_then(|r| r.flag(&format!("access_key_{n}_active")))
        };
        if let Some(active) = active {
            map.insert(format!("access_key_{n}_active"), Value::Bool(active));
        }
        let last_used = row
            .and_then(|r| r.time(&format!("access_key_{n}_last_used_date")))
            .or(no_keys.then_some(Value::Null));
        if let Some(last_used) = last_used {
            map.insert(format!("access_key_{n}_last_used"), last_used);
        }
    }
    if let Some(used) = row.and_then(|r| r.time("password_last_used")) {
        map.insert("password_last_used".into(), used);
    }
    map
}

pub(super) async fn password_policy(ctx: &Ctx, client: &Client) {
    let answer = ctx
        .detail(
            "iam:GetAccountPasswordPolicy",
            &crate::account_id(&ctx.account),
            &["NoSuchEntity"],
            client.get_account_password_policy().send(),
        )
        .await;
    match answer {
        Ok(Some(out)) => ctx.set_account(
            "password_policy",
            out.password_policy()
                .map_or(Value::Null, password_policy_json),
        ),
        Ok(None) => ctx.set_account("password_policy", Value::Null),
        Err(_) => {}
    }
}

pub(super) fn password_policy_json(p: &PasswordPolicy) -> Value {
    json!({
        "minimum_password_length": p.minimum_password_length(),
        "require_symbols": p.require_symbols(),
        "require_numbers": p.require_numbers(),
        "require_uppercase_characters": p.require_uppercase_characters(),
        "require_lowercase_characters": p.require_lowercase_characters(),
        "allow_users_to_change_password": p.allow_users_to_change_password(),
        "expire_passwords": p.expire_passwords(),
        "max_password_age": p.max_password_age(),
        "password_reuse_prevention": p.password_reuse_prevention(),
        "hard_expiry": p.hard_expiry(),
    })
}

/// Whether any role has AWSSupportAccess attached (CIS: someone can open support cases).
pub(super) async fn support_role(ctx: &Ctx, client: &Client) {
    let answer = ctx
        .detail(
            "iam:ListEntitiesForPolicy",
            &crate::account_id(&ctx.account),
            &["NoSuchEntity"],
            client
                .list_entities_for_policy()
                .policy_arn(SUPPORT_POLICY_ARN)
                .entity_filter(EntityType::Role)
                .into_paginator()
                .send()
                .try_collect(),
        )
        .await;
    match answer {
        Ok(Some(pages)) => {
            let exists = pages.iter().any(|p| !p.policy_roles().is_empty());
            ctx.set_account("support_role_exists", Value::Bool(exists));
        }
        // No such policy: nothing can have it attached.
        Ok(None) => ctx.set_account("support_role_exists", Value::Bool(false)),
        Err(_) => {}
    }
}
