//! secretsmanager collector: the region's secrets with their rotation facts and KMS key
//! from ListSecrets, and each secret's resource policy (GetResourcePolicy, parsed: the
//! data-access analysis reads it). Secret values are never read: Vigil has no
//! permission to.

use std::collections::BTreeMap;

use aws_sdk_secretsmanager::types::{RotationRulesType, SecretListEntry};
use serde_json::{Value, json};

use super::kms::KeyResolver;
use crate::registry::{Collector, Scope};
use crate::shape::put;
use crate::{Ctx, client, policy_document, time};

pub const COLLECTOR: Collector = Collector {
    service: "secretsmanager",
    scope: Scope::Regional,
    actions: &[
        "secretsmanager:ListSecrets",
        "secretsmanager:GetResourcePolicy",
        // Resolves customer key aliases named as a secret's KMS key.
        "kms:DescribeKey",
    ],
    run: |ctx| Box::pin(collect(ctx)),
};

const SECRET: &str = "aws.secretsmanager.secret";

async fn collect(ctx: Ctx) {
    let client = client!(ctx, aws_sdk_secretsmanager);
    let listed = client.list_secrets().into_paginator().send().try_collect();
    let Some(pages) = ctx
        .list("secretsmanager:ListSecrets", &[SECRET], listed)
        .await
    else {
        return;
    };
    let keys = KeyResolver::new(&ctx);
    let secrets: Vec<SecretListEntry> = pages
        .iter()
        .flat_map(|page| page.secret_list())
        .cloned()
        .collect();
    ctx.each(secrets, |secret| self::secret(&ctx, &client, &keys, secret))
        .await;
}

/// One secret with its resource policy: `null` when it has none; left out, with a gap
/// on the secret, when the read failed. A secret deleted since the listing is dropped.
async fn secret(
    ctx: &Ctx,
    client: &aws_sdk_secretsmanager::Client,
    keys: &KeyResolver,
    secret: SecretListEntry,
) -> Option<vigil_inventory::Resource> {
    let secret = &secret;
    let arn = secret.arn()?;
    let policy = match ctx
        .detail(
            "secretsmanager:GetResourcePolicy",
            arn,
            &["ResourceNotFoundException"],
            client.get_resource_policy().secret_id(arn).send(),
        )
        .await
    {
        Ok(Some(out)) => Some(policy_document(out.resource_policy())),
        Ok(None) => return None,
        Err(_) => None,
    };
    let mut resource = ctx.resource(arn, SECRET);
    resource.name = secret.name().map(str::to_owned);
    resource.tags = tags(secret);
    let mut props = secret_properties(secret);
    if let Value::Object(map) = &mut props {
        put(map, "policy", policy);
    }
    resource.properties = props.into();
    if let Some(key) = secret.kms_key_id()
        && let Some(key) = keys.key_arn(&ctx.region, key).await
    {
        ctx.relate(arn, "encrypted_by", key);
    }
    Some(resource)
}

/// The contract's properties. `kms_key_id` is null for secrets under the AWS managed
/// key `aws/secretsmanager`.
fn secret_properties(secret: &SecretListEntry) -> Value {
    json!({
        "arn": secret.arn(),
        "name": secret.name(),
        "rotation_enabled": secret.rotation_enabled().unwrap_or(false),
        "rotation_days": secret.rotation_rules().and_then(rotation_days),
        "last_rotated_date": time(secret.last_rotated_date()),
        "last_accessed_date": time(secret.last_accessed_date()),
        "kms_key_id": secret.kms_key_id(),
    })
}

/// Days between rotations: `AutomaticallyAfterDays`, or a `rate(N days)` schedule;
/// null for cron schedules and sub-day rates, which have no whole number of days.
fn rotation_days(rules: &RotationRulesType) -> Option<i64> {
    if let Some(days) = rules.automatically_after_days() {
        return Some(days);
    }
    let rate = rules
        .schedule_expression()?
        .trim()
        .strip_prefix("rate(")?
        .strip_suffix(')')?;
    let (n, unit) = rate.trim().split_once(' ')?;
    matches!(unit.trim(), "day" | "days")
        .then(|| n.parse().ok())
        .flatten()
}

fn tags(secret: &SecretListEntry) -> BTreeMap<String, String> {
    secret
        .tags()
        .iter()
        .filter_map(|t| {
            Some((
                t.key()?.to_owned(),
                t.value().unwrap_or_default().to_owned(),
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_secretsmanager::types::Tag;
    use aws_smithy_types::DateTime;

    const ARN: &str = "arn:aws:secretsmanager:us-east-1:111122223333:secret:db-Xk3p9Q";

    #[test]
    fn rotating_secret_has_its_schedule_and_dates() {
        let secret = SecretListEntry::builder()
            .arn(ARN)
            .name("db")
            .rotation_enabled(true)
            .rotation_rules(
                RotationRulesType::builder()
                    .automatically_after_days(30)
                    .build(),
            )
            .last_rotated_date(DateTime::from_secs(1_767_225_600))
            .kms_key_id("arn:aws:kms:us-east-1:111122223333:key/k1")
            .tags(Tag::builder().key("Owner").value("orders").build())
            .build();
        assert_eq!(
            secret_properties(&secret),
            json!({
                "arn": ARN,
                "name": "db",
                "rotation_enabled": true,
                "rotation_days": 30,
                "last_rotated_date": "2026-01-01T00:00:00Z",
                "last_accessed_date": null,
                "kms_key_id": "arn:aws:kms:us-east-1:111122223333:key/k1",
            })
        );
        assert_eq!(
            tags(&secret),
            BTreeMap::from([("Owner".to_owned(), "orders".to_owned())])
        );
    }

    #[test]
    fn secret_without_rotation_is_false_with_nulls() {
        let secret = SecretListEntry::builder().arn(ARN).name("db").build();
        let props = secret_properties(&secret);
        assert_eq!(props["rotation_enabled"], false);
        assert_eq!(props["rotation_days"], Value::Null);
        assert_eq!(props["last_rotated_date"], Value::Null);
        assert_eq!(props["kms_key_id"], Value::Null);
    }

    #[test]
    fn rotation_days_come_from_rate_schedules() {
        let rules = |s: &str| RotationRulesType::builder().schedule_expression(s).build();
        assert_eq!(rotation_days(&rules("rate(10 days)")), Some(10));
        assert_eq!(rotation_days(&rules("rate(1 day)")), Some(1));
        assert_eq!(rotation_days(&rules("rate(4 hours)")), None);
        assert_eq!(rotation_days(&rules("cron(0 16 1,15 * ? *)")), None);
    }
}
