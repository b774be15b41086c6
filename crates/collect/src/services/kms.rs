//! kms collector: every key of a region with its metadata, key policy, rotation status
//! and aliases. It also owns [`KeyResolver`], which turns the key references other
//! services store (key id, key ARN, alias) into the key ARN that is a key's id here, so
//! their `encrypted_by` relations land on the key node.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use aws_sdk_kms::types::{
    AliasListEntry, KeyListEntry, KeyManagerType, KeyMetadata, KeySpec, KeyUsageType, OriginType,
};
use aws_types::region::Region;
use futures::StreamExt;
use serde_json::{Map, Value};

use crate::calls::CallError;
use crate::registry::{Collector, Scope};
use crate::{Ctx, client, policy_document, time};

pub const COLLECTOR: Collector = Collector {
    service: "kms",
    scope: Scope::Regional,
    actions: &[
        "kms:ListKeys",
        "kms:ListAliases",
        "kms:DescribeKey",
        "kms:GetKeyRotationStatus",
        "kms:GetKeyPolicy",
    ],
    run: |ctx| Box::pin(collect(ctx)),
};

const KEY: &str = "aws.kms.key";

/// Keys whose details are read at once: five calls each, against a per-account
/// request quota shared with every application using KMS.
const KEY_CONCURRENCY: usize = 4;

/// Error codes of GetKeyRotationStatus that mean "rotation does not apply to this key
/// in its current state" (pending deletion or import, custom key stores).
const ROTATION_NOT_APPLICABLE: &[&str] =
    &["KMSInvalidStateException", "UnsupportedOperationException"];

/// Alias names by the id of the key they point at, or why they could not be listed.
type Aliases = Result<HashMap<String, Vec<String>>, CallError>;

async fn collect(ctx: Ctx) {
    let client = client!(ctx, aws_sdk_kms);
    let listed = client
        .list_keys()
        .into_paginator()
        .items()
        .send()
        .try_collect();
    let Some(keys) = ctx.list("kms:ListKeys", &[KEY], listed).await else {
        return;
    };
    let aliases = list_aliases(&ctx, &client).await;
    futures::stream::iter(keys)
        .map(|key| collect_key(&ctx, &client, key, &aliases))
        .buffer_unordered(KEY_CONCURRENCY)
        .collect::<Vec<()>>()
        .await;
}

/// One listing of the region's aliases serves every key, instead of one call per key.
async fn list_aliases(ctx: &Ctx, client: &aws_sdk_kms::Client) -> Aliases {
    let listed = client
        .list_aliases()
        .into_paginator()
        .items()
        .send()
        .try_collect();
    ctx.call("kms:ListAliases", listed)
        .await
        .map(|entries| aliases_by_key(&entries))
}

/// Groups alias names by target key id, sorted; aliases AWS reserved for keys not yet
/// created point at nothing and are left out.
fn aliases_by_key(entries: &[AliasListEntry]) -> HashMap<String, Vec<String>> {
    let mut by_key: HashMap<String, Vec<String>> = HashMap::new();
    for entry in entries {
        if let (Some(key), Some(name)) = (entry.target_key_id(), entry.alias_name()) {
            by_key
                .entry(key.to_owned())
                .or_default()
                .push(name.to_owned());
        }
    }
    for names in by_key.values_mut() {
        names.sort();
    }
    by_key
}

async fn collect_key(
    ctx: &Ctx,
    client: &aws_sdk_kms::Client,
    entry: KeyListEntry,
    aliases: &Aliases,
) {
    let Some(key_id) = entry.key_id() else {
        return;
    };
    let id = entry
        .key_arn()
        .map_or_else(|| ctx.arn("kms", &format!("key/{key_id}")), str::to_owned);
    let mut props = Map::new();
    props.insert("key_id".into(), Value::from(key_id));
    props.insert("arn".into(), Value::from(id.as_str()));

    let described = client.describe_key().key_id(key_id).send();
    let metadata = match ctx.detail("kms:DescribeKey", &id, &[], described).await {
        Ok(Some(out)) => out.key_metadata().cloned(),
        _ => None,
    };
    if let Some(metadata) = &metadata {
        props.extend(metadata_properties(metadata));
        if let Some(rotation) = rotation_enabled(ctx, client, &id, metadata).await {
            props.insert("rotation_enabled".into(), rotation);
        }
    }

    let policy = client
        .get_key_policy()
        .key_id(key_id)
        .policy_name("default")
        .send();
    if let Ok(Some(out)) = ctx.detail("kms:GetKeyPolicy", &id, &[], policy).await {
        props.insert("policy".into(), policy_document(out.policy()));
    }

    let mut resource = ctx.resource(&id, KEY);
    match aliases {
        Ok(by_key) => {
            let names = by_key.get(key_id).cloned().unwrap_or_default();
            resource.name = names.first().cloned();
            props.insert("aliases".into(), Value::from(names));
        }
        Err(err) => ctx.gap_resource("kms:ListAliases", &id, err),
    }
    resource.properties = Value::Object(props).into();
    ctx.add(resource);
}

/// `Some(null)` where automatic rotation does not apply (AWS managed, asymmetric, HMAC,
/// imported or external key material, or a state that forbids it), `Some(bool)` from
/// GetKeyRotationStatus, `None` when that call failed.
async fn rotation_enabled(
    ctx: &Ctx,
    client: &aws_sdk_kms::Client,
    id: &str,
    metadata: &KeyMetadata,
) -> Option<Value> {
    if !rotation_applies(metadata) {
        return Some(Value::Null);
    }
    let status = client
        .get_key_rotation_status()
        .key_id(metadata.key_id())
        .send();
    match ctx
        .detail(
            "kms:GetKeyRotationStatus",
            id,
            ROTATION_NOT_APPLICABLE,
            status,
        )
        .await
    {
        Ok(Some(out)) => Some(Value::Bool(out.key_rotation_enabled())),
        Ok(None) => Some(Value::Null),
        Err(_) => None,
    }
}

/// Automatic rotation exists only for customer managed symmetric encryption keys whose
/// material KMS generated.
fn rotation_applies(metadata: &KeyMetadata) -> bool {
    metadata.key_manager() == Some(&KeyManagerType::Customer)
        && metadata.key_spec() == Some(&KeySpec::SymmetricDefault)
        && metadata.key_usage() == Some(&KeyUsageType::EncryptDecrypt)
        && metadata.origin() == Some(&OriginType::AwsKms)
}

/// The DescribeKey facts the rules read.
fn metadata_properties(metadata: &KeyMetadata) -> Map<String, Value> {
    let mut props = Map::new();
    props.insert("key_manager".into(), text(metadata.key_manager()));
    props.insert("key_state".into(), text(metadata.key_state()));
    props.insert("key_spec".into(), text(metadata.key_spec()));
    props.insert("key_usage".into(), text(metadata.key_usage()));
    props.insert("origin".into(), text(metadata.origin()));
    props.insert("deletion_date".into(), time(metadata.deletion_date()));
    props
}

/// An SDK enum as its wire string, or null.
fn text<T: AsRef<str>>(value: Option<&T>) -> Value {
    value.map_or(Value::Null, |v| Value::from(v.as_ref()))
}

/// The key ARN for a reference that names a key directly: a key ARN as is, a bare key id
/// completed with `region` and `account`. Aliases (and anything else) give `None`.
pub(crate) fn key_arn(reference: &str, region: &str, account: &str) -> Option<String> {
    let reference = reference.trim();
    if reference.is_empty() || is_alias(reference) {
        return None;
    }
    if reference.starts_with("arn:") {
        let mut parts = reference.splitn(6, ':');
        let service = parts.nth(2);
        let resource = parts.nth(2);
        return (service == Some("kms") && resource.is_some_and(|r| r.starts_with("key/")))
            .then(|| reference.to_owned());
    }
    if reference.contains([':', '/']) {
        return None;
    }
    Some(format!("arn:aws:kms:{region}:{account}:key/{reference}"))
}

/// `alias/NAME` or `arn:…:kms:REGION:ACCOUNT:alias/NAME`.
fn is_alias(reference: &str) -> bool {
    reference.starts_with("alias/")
        || (reference.starts_with("arn:") && reference.contains(":alias/"))
}

/// Aliases of AWS managed keys (`alias/aws/s3`). DescribeKey on one whose key does not
/// exist yet makes KMS create the key, so Vigil never resolves them.
fn is_aws_managed_alias(reference: &str) -> bool {
    reference.starts_with("alias/aws/") || reference.contains(":alias/aws/")
}

/// Resolves key references to key ARNs for the collectors of other services, asking
/// KMS (DescribeKey) only for customer aliases, once per region and alias.
#[derive(Debug)]
pub(crate) struct KeyResolver {
    ctx: Ctx,
    resolved: Mutex<HashMap<(String, String), Option<String>>>,
}

impl KeyResolver {
    pub(crate) fn new(ctx: &Ctx) -> KeyResolver {
        KeyResolver {
            ctx: ctx.clone(),
            resolved: Mutex::new(HashMap::new()),
        }
    }

    /// The ARN of the key `reference` names, as stored by a resource in `region`;
    /// `None` when it cannot be told without a write or the lookup failed.
    pub(crate) async fn key_arn(&self, region: &str, reference: &str) -> Option<String> {
        if let Some(arn) = key_arn(reference, region, &self.ctx.account) {
            return Some(arn);
        }
        if !is_alias(reference) || is_aws_managed_alias(reference) {
            return None;
        }
        // An alias ARN names its own region.
        let region = match reference.split(':').nth(3) {
            Some(r) if reference.starts_with("arn:") && !r.is_empty() => r,
            _ => region,
        };
        let cache_key = (region.to_owned(), reference.to_owned());
        if let Some(known) = self.cache().get(&cache_key) {
            return known.clone();
        }
        let client = aws_sdk_kms::Client::from_conf(
            aws_sdk_kms::config::Builder::from(self.ctx.sdk())
                .region(Region::new(region.to_owned()))
                .interceptor(self.ctx.recorder())
                .build(),
        );
        let described = client.describe_key().key_id(reference).send();
        let arn = match self.ctx.call("kms:DescribeKey", described).await {
            Ok(out) => out
                .key_metadata()
                .and_then(KeyMetadata::arn)
                .map(str::to_owned),
            Err(err) => {
                tracing::debug!(alias = reference, region, code = %err.code, "alias not resolved");
                None
            }
        };
        self.cache().insert(cache_key, arn.clone());
        arn
    }

    fn cache(&self) -> std::sync::MutexGuard<'_, HashMap<(String, String), Option<String>>> {
        self.resolved.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_kms::types::KeyState;
    use aws_smithy_types::DateTime;

    const ACCOUNT: &str = "111122223333";
    const KEY_ARN: &str =
        "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";

    fn metadata(manager: KeyManagerType, spec: KeySpec, origin: OriginType) -> KeyMetadata {
        KeyMetadata::builder()
            .key_id("1234abcd-12ab-34cd-56ef-1234567890ab")
            .key_manager(manager)
            .key_spec(spec)
            .key_usage(KeyUsageType::EncryptDecrypt)
            .origin(origin)
            .key_state(KeyState::Enabled)
            .build()
            .expect("key id is set")
    }

    #[test]
    fn metadata_becomes_the_contract_properties() {
        let mut m = metadata(
            KeyManagerType::Customer,
            KeySpec::SymmetricDefault,
            OriginType::AwsKms,
        );
        m.key_state = Some(KeyState::PendingDeletion);
        m.deletion_date = Some(DateTime::from_secs(1_767_225_600));
        let props = Value::Object(metadata_properties(&m));
        assert_eq!(props["key_manager"], "CUSTOMER");
        assert_eq!(props["key_state"], "PendingDeletion");
        assert_eq!(props["key_spec"], "SYMMETRIC_DEFAULT");
        assert_eq!(props["key_usage"], "ENCRYPT_DECRYPT");
        assert_eq!(props["origin"], "AWS_KMS");
        assert_eq!(props["deletion_date"], "2026-01-01T00:00:00Z");
    }

    #[test]
    fn missing_metadata_fields_are_null() {
        let m = KeyMetadata::builder()
            .key_id("k")
            .build()
            .expect("key id is set");
        let props = Value::Object(metadata_properties(&m));
        assert_eq!(props["key_manager"], Value::Null);
        assert_eq!(props["deletion_date"], Value::Null);
    }

    #[test]
    fn rotation_applies_only_to_customer_symmetric_kms_generated_keys() {
        assert!(rotation_applies(&metadata(
            KeyManagerType::Customer,
            KeySpec::SymmetricDefault,
            OriginType::AwsKms
        )));
        assert!(!rotation_applies(&metadata(
            KeyManagerType::Aws,
            KeySpec::SymmetricDefault,
            OriginType::AwsKms
        )));
        assert!(!rotation_applies(&metadata(
            KeyManagerType::Customer,
            KeySpec::Rsa2048,
            OriginType::AwsKms
        )));
        assert!(!rotation_applies(&metadata(
            KeyManagerType::Customer,
            KeySpec::SymmetricDefault,
            OriginType::External
        )));
        let mut hmac = metadata(
            KeyManagerType::Customer,
            KeySpec::SymmetricDefault,
            OriginType::AwsKms,
        );
        hmac.key_usage = Some(KeyUsageType::GenerateVerifyMac);
        assert!(!rotation_applies(&hmac));
    }

    #[test]
    fn aliases_are_grouped_by_target_key_and_sorted() {
        let entries = vec![
            AliasListEntry::builder()
                .alias_name("alias/zeta")
                .target_key_id("k1")
                .build(),
            AliasListEntry::builder()
                .alias_name("alias/alpha")
                .target_key_id("k1")
                .build(),
            AliasListEntry::builder()
                .alias_name("alias/other")
                .target_key_id("k2")
                .build(),
            AliasListEntry::builder()
                .alias_name("alias/aws/unused")
                .build(),
        ];
        let by_key = aliases_by_key(&entries);
        assert_eq!(by_key["k1"], vec!["alias/alpha", "alias/zeta"]);
        assert_eq!(by_key["k2"], vec!["alias/other"]);
        assert_eq!(by_key.len(), 2);
    }

    #[test]
    fn key_references_resolve_to_key_arns_where_they_name_a_key() {
        assert_eq!(
            key_arn(KEY_ARN, "us-east-1", ACCOUNT).as_deref(),
            Some(KEY_ARN)
        );
        assert_eq!(
            key_arn("1234abcd-12ab-34cd-56ef-1234567890ab", "eu-west-1", ACCOUNT).as_deref(),
            Some(KEY_ARN)
        );
        assert_eq!(
            key_arn("mrk-1234abcd", "us-east-1", ACCOUNT).as_deref(),
            Some("arn:aws:kms:us-east-1:111122223333:key/mrk-1234abcd")
        );
        assert_eq!(key_arn("alias/app", "us-east-1", ACCOUNT), None);
        assert_eq!(
            key_arn(
                "arn:aws:kms:us-east-1:111122223333:alias/app",
                "us-east-1",
                ACCOUNT
            ),
            None
        );
        assert_eq!(key_arn("arn:aws:s3:::bucket", "us-east-1", ACCOUNT), None);
        assert_eq!(key_arn("", "us-east-1", ACCOUNT), None);
    }

    #[test]
    fn aws_managed_aliases_are_recognised() {
        assert!(is_alias("alias/aws/sns"));
        assert!(is_aws_managed_alias("alias/aws/sns"));
        assert!(is_aws_managed_alias(
            "arn:aws:kms:us-east-1:111122223333:alias/aws/s3"
        ));
        assert!(is_alias("arn:aws:kms:us-east-1:111122223333:alias/app"));
        assert!(!is_aws_managed_alias("alias/app"));
        assert!(!is_alias(KEY_ARN));
    }
}
