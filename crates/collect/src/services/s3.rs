//! s3 collector: every bucket of the account with its protection settings, read from the
//! bucket's own region, and the account-level Block Public Access settings (S3 Control).
//! Buckets are a global type whose `region` is the bucket's region.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, PoisonError};

use aws_sdk_s3::operation::get_bucket_acl::GetBucketAclOutput;
use aws_sdk_s3::operation::get_bucket_encryption::GetBucketEncryptionOutput;
use aws_sdk_s3::operation::get_bucket_lifecycle_configuration::GetBucketLifecycleConfigurationOutput;
use aws_sdk_s3::operation::get_bucket_logging::GetBucketLoggingOutput;
use aws_sdk_s3::operation::get_bucket_ownership_controls::GetBucketOwnershipControlsOutput;
use aws_sdk_s3::operation::get_bucket_policy_status::GetBucketPolicyStatusOutput;
use aws_sdk_s3::operation::get_bucket_replication::GetBucketReplicationOutput;
use aws_sdk_s3::operation::get_bucket_tagging::GetBucketTaggingOutput;
use aws_sdk_s3::operation::get_bucket_versioning::GetBucketVersioningOutput;
use aws_sdk_s3::operation::get_object_lock_configuration::GetObjectLockConfigurationOutput;
use aws_sdk_s3::operation::get_public_access_block::GetPublicAccessBlockOutput;
use aws_sdk_s3::types::{Bucket, BucketLocationConstraint, ObjectLockEnabled};
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use aws_types::region::Region;
use futures::StreamExt;
use serde_json::{Map, Value, json};
use vigil_inventory::Resource;

use super::kms::KeyResolver;
use crate::calls::CallError;
use crate::registry::{Collector, Scope};
use crate::{Ctx, account_id, client, policy_document, time};

pub const COLLECTOR: Collector = Collector {
    service: "s3",
    scope: Scope::Global,
    actions: &[
        "s3:ListAllMyBuckets",
        "s3:GetBucketLocation",
        "s3:GetEncryptionConfiguration",
        "s3:GetBucketPublicAccessBlock",
        "s3:GetBucketPolicy",
        "s3:GetBucketPolicyStatus",
        "s3:GetBucketAcl",
        "s3:GetBucketVersioning",
        "s3:GetBucketLogging",
        "s3:GetBucketOwnershipControls",
        "s3:GetBucketObjectLockConfiguration",
        "s3:GetLifecycleConfiguration",
        "s3:GetReplicationConfiguration",
        "s3:GetBucketTagging",
        "s3:GetAccountPublicAccessBlock",
        // Resolves customer key aliases named in default encryption.
        "kms:DescribeKey",
    ],
    run: |ctx| Box::pin(collect(ctx)),
};

const BUCKET: &str = "aws.s3.bucket";

/// Buckets read at once; each reads its dozen settings concurrently.
const BUCKET_CONCURRENCY: usize = 4;

async fn collect(ctx: Ctx) {
    let clients = Clients::new(&ctx);
    let keys = KeyResolver::new(&ctx);
    futures::join!(
        collect_account_public_access_block(&ctx),
        collect_buckets(&ctx, &clients, &keys)
    );
}

/// S3 clients by region, with the call recorder and, against a custom endpoint
/// (LocalStack), path-style addressing: `client!` cannot set either of the last two.
#[derive(Debug)]
struct Clients {
    ctx: Ctx,
    by_region: Mutex<HashMap<String, aws_sdk_s3::Client>>,
}

impl Clients {
    fn new(ctx: &Ctx) -> Clients {
        Clients {
            ctx: ctx.clone(),
            by_region: Mutex::new(HashMap::new()),
        }
    }

    /// The client for `region`: a bucket's settings are read from its own region's
    /// endpoint, which answers without a redirect.
    fn get(&self, region: &str) -> aws_sdk_s3::Client {
        let mut by_region = self
            .by_region
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        by_region
            .entry(region.to_owned())
            .or_insert_with(|| {
                aws_sdk_s3::Client::from_conf(
                    aws_sdk_s3::config::Builder::from(self.ctx.sdk())
                        .region(Region::new(region.to_owned()))
                        .interceptor(self.ctx.recorder())
                        .force_path_style(self.ctx.s3_path_style())
                        .build(),
                )
            })
            .clone()
    }
}

/// The account-wide Block Public Access settings, on the account node. S3 Control puts
/// the account id in the host name, which a local emulator cannot resolve: that, like
/// any failure, is a gap on the account node and the property stays absent.
async fn collect_account_public_access_block(ctx: &Ctx) {
    let control = client!(ctx, aws_sdk_s3control);
    let call = control
        .get_public_access_block()
        .account_id(&ctx.account)
        .send();
    let absent = &["NoSuchPublicAccessBlockConfiguration"];
    if let Ok(found) = ctx
        .detail(
            "s3:GetAccountPublicAccessBlock",
            &account_id(&ctx.account),
            absent,
            call,
        )
        .await
    {
        let value = found.and_then(|out| {
            out.public_access_block_configuration().map(|c| {
                public_access_block([
                    c.block_public_acls(),
                    c.ignore_public_acls(),
                    c.block_public_policy(),
                    c.restrict_public_buckets(),
                ])
            })
        });
        ctx.set_account("s3_public_access_block", value.unwrap_or(Value::Null));
    }
}

async fn collect_buckets(ctx: &Ctx, clients: &Clients, keys: &KeyResolver) {
    let listed = clients
        .get(&ctx.region)
        .list_buckets()
        .into_paginator()
        .items()
        .send()
        .try_collect();
    let Some(buckets) = ctx.list("s3:ListAllMyBuckets", &[BUCKET], listed).await else {
        return;
    };
    futures::stream::iter(buckets)
        .map(|bucket| collect_bucket(ctx, clients, keys, bucket))
        .buffer_unordered(BUCKET_CONCURRENCY)
        .collect::<Vec<()>>()
        .await;
}

/// One bucket: where it lives, then every setting from that region. A failed call
/// leaves its property out (and records a gap); "not configured" answers become what
/// the contract says for nothing (null, false or an empty list).
async fn collect_bucket(ctx: &Ctx, clients: &Clients, keys: &KeyResolver, bucket: Bucket) {
    let Some(name) = bucket.name() else {
        return;
    };
    let id = bucket_id(name);
    let mut props = Map::new();
    let region = bucket_region(ctx, clients, &id, &bucket).await;
    if let Some(region) = &region {
        props.insert("bucket_region".into(), Value::from(region.as_str()));
    }
    let region = region.unwrap_or_else(|| ctx.region.clone());
    props.insert("creation_date".into(), time(bucket.creation_date()));

    let s3 = clients.get(&region);
    let read = Reader { ctx, id: &id };
    let (encryption, public_access, policy, acl, versioning, logging) = futures::join!(
        read.setting(
            "s3:GetEncryptionConfiguration",
            &["ServerSideEncryptionConfigurationNotFoundError"],
            s3.get_bucket_encryption().bucket(name).send(),
            encryption,
        ),
        read.setting(
            "s3:GetBucketPublicAccessBlock",
            &["NoSuchPublicAccessBlockConfiguration"],
            s3.get_public_access_block().bucket(name).send(),
            bucket_public_access_block,
        ),
        read.setting(
            "s3:GetBucketPolicy",
            &["NoSuchBucketPolicy"],
            s3.get_bucket_policy().bucket(name).send(),
            |out| policy_document(out.and_then(|o| o.policy())),
        ),
        read.setting(
            "s3:GetBucketAcl",
            &[],
            s3.get_bucket_acl().bucket(name).send(),
            acl_grants
        ),
        read.setting(
            "s3:GetBucketVersioning",
            &[],
            s3.get_bucket_versioning().bucket(name).send(),
            versioning
        ),
        read.setting(
            "s3:GetBucketLogging",
            &[],
            s3.get_bucket_logging().bucket(name).send(),
            logging
        ),
    );
    let (ownership, object_lock, lifecycle, replication, tagging) = futures::join!(
        read.setting(
            "s3:GetBucketOwnershipControls",
            &["OwnershipControlsNotFoundError"],
            s3.get_bucket_ownership_controls().bucket(name).send(),
            ownership_controls,
        ),
        read.setting(
            "s3:GetBucketObjectLockConfiguration",
            &["ObjectLockConfigurationNotFoundError"],
            s3.get_object_lock_configuration().bucket(name).send(),
            object_lock,
        ),
        read.setting(
            "s3:GetLifecycleConfiguration",
            &["NoSuchLifecycleConfiguration"],
            s3.get_bucket_lifecycle_configuration().bucket(name).send(),
            lifecycle_rules,
        ),
        read.setting(
            "s3:GetReplicationConfiguration",
            &["ReplicationConfigurationNotFoundError"],
            s3.get_bucket_replication().bucket(name).send(),
            replication_rules,
        ),
        // The bucket's tags go on the resource, not in its properties: `setting`
        // does not fit, but the absent/gap conventions are the same.
        ctx.detail(
            "s3:GetBucketTagging",
            &id,
            &["NoSuchTagSet"],
            s3.get_bucket_tagging().bucket(name).send(),
        ),
    );
    // Without a policy nothing is public: the status is only asked about a policy.
    let policy_is_public = match &policy {
        Some(Value::Null) => Some(Value::Bool(false)),
        _ => {
            let status = s3.get_bucket_policy_status().bucket(name).send();
            read.setting(
                "s3:GetBucketPolicyStatus",
                &["NoSuchBucketPolicy"],
                status,
                policy_is_public,
            )
            .await
        }
    };

    relate_bucket(
        ctx,
        keys,
        &id,
        &region,
        encryption.as_ref(),
        logging.as_ref(),
    )
    .await;
    for (key, value) in [
        ("encryption", encryption),
        ("public_access_block", public_access),
        ("policy", policy),
        ("policy_is_public", policy_is_public),
        ("acl_grants", acl),
        ("versioning", versioning),
        ("logging", logging),
        ("ownership_controls", ownership),
        ("object_lock", object_lock),
        ("lifecycle_rules", lifecycle),
        ("replication_rules", replication),
    ] {
        if let Some(value) = value {
            props.insert(key.into(), value);
        }
    }

    let mut resource = Resource::new(&id, BUCKET, &ctx.account, &region);
    resource.name = Some(name.to_owned());
    // A failed read (gap recorded) leaves the tags empty, like a bucket without any.
    if let Ok(tagging) = tagging {
        resource.tags = bucket_tags(tagging.as_ref());
    }
    resource.properties = Value::Object(props).into();
    ctx.add(resource);
}

/// Reads the settings of one bucket.
struct Reader<'a> {
    ctx: &'a Ctx,
    id: &'a str,
}

impl Reader<'_> {
    /// One detail call turned into its property: `convert(Some(answer))`, or
    /// `convert(None)` when the error code is one of `absent` ("not configured"), or
    /// `None` (gap recorded) when the call failed.
    async fn setting<T, E, R>(
        &self,
        action: &'static str,
        absent: &[&str],
        call: impl Future<Output = Result<T, SdkError<E, R>>>,
        convert: impl FnOnce(Option<&T>) -> Value,
    ) -> Option<Value>
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug,
    {
        let found: Result<Option<T>, CallError> =
            self.ctx.detail(action, self.id, absent, call).await;
        found.ok().map(|answer| convert(answer.as_ref()))
    }
}

/// The bucket's region from GetBucketLocation, asked of the region ListBuckets names
/// (or the home region); when that call fails, ListBuckets' answer if it gave one.
async fn bucket_region(ctx: &Ctx, clients: &Clients, id: &str, bucket: &Bucket) -> Option<String> {
    let listed = bucket.bucket_region().filter(|r| !r.is_empty());
    let Some(name) = bucket.name() else {
        return listed.map(str::to_owned);
    };
    let ask = clients.get(listed.unwrap_or(&ctx.region));
    match ctx
        .detail(
            "s3:GetBucketLocation",
            id,
            &[],
            ask.get_bucket_location().bucket(name).send(),
        )
        .await
    {
        Ok(Some(out)) => Some(location_region(out.location_constraint())),
        _ => listed.map(str::to_owned),
    }
}

/// GetBucketLocation answers nothing for us-east-1 and `EU` for old eu-west-1 buckets.
fn location_region(constraint: Option<&BucketLocationConstraint>) -> String {
    match constraint.map(BucketLocationConstraint::as_str) {
        None | Some("") => "us-east-1".to_owned(),
        Some("EU") => "eu-west-1".to_owned(),
        Some(region) => region.to_owned(),
    }
}

fn bucket_id(name: &str) -> String {
    format!("arn:aws:s3:::{name}")
}

/// `logs_to` the access-log target bucket; `encrypted_by` the KMS key of default
/// encryption, when it names one.
async fn relate_bucket(
    ctx: &Ctx,
    keys: &KeyResolver,
    id: &str,
    region: &str,
    encryption: Option<&Value>,
    logging: Option<&Value>,
) {
    if let Some(target) = logging
        .and_then(|l| l["target_bucket"].as_str())
        .filter(|t| !t.is_empty())
    {
        ctx.relate(id, "logs_to", bucket_id(target));
    }
    let Some(encryption) = encryption else {
        return;
    };
    let is_kms = encryption["sse_algorithm"]
        .as_str()
        .is_some_and(|a| a.starts_with("aws:kms"));
    if let Some(reference) = encryption["kms_master_key_id"].as_str().filter(|_| is_kms)
        && let Some(key) = keys.key_arn(region, reference).await
    {
        ctx.relate(id, "encrypted_by", key);
    }
}

/// The first rule's default encryption (S3 allows one), or null when there is none.
fn encryption(out: Option<&GetBucketEncryptionOutput>) -> Value {
    let Some(rule) = out
        .and_then(|o| o.server_side_encryption_configuration())
        .and_then(|c| c.rules().first())
    else {
        return Value::Null;
    };
    let Some(default) = rule.apply_server_side_encryption_by_default() else {
        return Value::Null;
    };
    json!({
        "sse_algorithm": default.sse_algorithm().as_str(),
        "kms_master_key_id": default.kms_master_key_id(),
        "bucket_key_enabled": rule.bucket_key_enabled().unwrap_or(false),
    })
}

fn bucket_public_access_block(out: Option<&GetPublicAccessBlockOutput>) -> Value {
    out.and_then(|o| o.public_access_block_configuration())
        .map_or(Value::Null, |c| {
            public_access_block([
                c.block_public_acls(),
                c.ignore_public_acls(),
                c.block_public_policy(),
                c.restrict_public_buckets(),
            ])
        })
}

/// The four Block Public Access flags, in their documented order; unset means off.
fn public_access_block([acls, ignore, policy, restrict]: [Option<bool>; 4]) -> Value {
    json!({
        "block_public_acls": acls.unwrap_or(false),
        "ignore_public_acls": ignore.unwrap_or(false),
        "block_public_policy": policy.unwrap_or(false),
        "restrict_public_buckets": restrict.unwrap_or(false),
    })
}

fn policy_is_public(out: Option<&GetBucketPolicyStatusOutput>) -> Value {
    Value::Bool(
        out.and_then(|o| o.policy_status())
            .and_then(|s| s.is_public())
            .unwrap_or(false),
    )
}

/// Grants with who and what; e-mail grantees keep only their type.
fn acl_grants(out: Option<&GetBucketAclOutput>) -> Value {
    out.map(|o| o.grants())
        .unwrap_or_default()
        .iter()
        .map(|grant| {
            let grantee = grant.grantee();
            json!({
                "grantee_type": grantee.map(|g| g.r#type().as_str()),
                "grantee_uri": grantee.and_then(|g| g.uri()),
                "grantee_id": grantee.and_then(|g| g.id()),
                "permission": grant.permission().map(|p| p.as_str()),
            })
        })
        .collect()
}

fn versioning(out: Option<&GetBucketVersioningOutput>) -> Value {
    json!({
        "status": out.and_then(|o| o.status()).map(|s| s.as_str()),
        "mfa_delete": out.and_then(|o| o.mfa_delete()).map(|s| s.as_str()),
    })
}

fn logging(out: Option<&GetBucketLoggingOutput>) -> Value {
    out.and_then(|o| o.logging_enabled()).map_or(
        Value::Null,
        |l| json!({"target_bucket": l.target_bucket(), "target_prefix": l.target_prefix()}),
    )
}

fn ownership_controls(out: Option<&GetBucketOwnershipControlsOutput>) -> Value {
    out.and_then(|o| o.ownership_controls())
        .and_then(|c| c.rules().first())
        .map_or(Value::Null, |r| Value::from(r.object_ownership().as_str()))
}

fn object_lock(out: Option<&GetObjectLockConfigurationOutput>) -> Value {
    let Some(config) = out.and_then(|o| o.object_lock_configuration()) else {
        return Value::Null;
    };
    let retention = config.rule().and_then(|r| r.default_retention());
    json!({
        "enabled": config.object_lock_enabled() == Some(&ObjectLockEnabled::Enabled),
        "mode": retention.and_then(|r| r.mode()).map(|m| m.as_str()),
        "days": retention.and_then(|r| r.days()),
        "years": retention.and_then(|r| r.years()),
    })
}

fn lifecycle_rules(out: Option<&GetBucketLifecycleConfigurationOutput>) -> Value {
    out.map(|o| o.rules())
        .unwrap_or_default()
        .iter()
        .map(|r| json!({"id": r.id(), "status": r.status().as_str()}))
        .collect()
}

fn replication_rules(out: Option<&GetBucketReplicationOutput>) -> Value {
    out.and_then(|o| o.replication_configuration())
        .map(|c| c.rules())
        .unwrap_or_default()
        .iter()
        .map(|r| {
            json!({
                "id": r.id(),
                "status": r.status().as_str(),
                "destination_bucket": r.destination().map(|d| d.bucket()),
            })
        })
        .collect()
}

/// The tag set as a map; `None` (NoSuchTagSet: the bucket has no tags) is empty.
fn bucket_tags(out: Option<&GetBucketTaggingOutput>) -> BTreeMap<String, String> {
    out.map(GetBucketTaggingOutput::tag_set)
        .unwrap_or_default()
        .iter()
        .map(|t| (t.key().to_owned(), t.value().to_owned()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_s3::types::{
        BucketVersioningStatus, DefaultRetention, Destination, ExpirationStatus, Grant, Grantee,
        LifecycleRule, LoggingEnabled, MfaDeleteStatus, ObjectLockConfiguration,
        ObjectLockRetentionMode, ObjectLockRule, ObjectOwnership, OwnershipControls,
        OwnershipControlsRule, Permission, PolicyStatus, PublicAccessBlockConfiguration,
        ReplicationConfiguration, ReplicationRule, ReplicationRuleStatus, ServerSideEncryption,
        ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration, ServerSideEncryptionRule,
        Tag, Type,
    };

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    #[test]
    fn location_constraints_become_regions() {
        assert_eq!(location_region(None), "us-east-1");
        assert_eq!(
            location_region(Some(&BucketLocationConstraint::from(""))),
            "us-east-1"
        );
        assert_eq!(
            location_region(Some(&BucketLocationConstraint::Eu)),
            "eu-west-1"
        );
        assert_eq!(
            location_region(Some(&BucketLocationConstraint::EuCentral1)),
            "eu-central-1"
        );
        assert_eq!(
            location_region(Some(&BucketLocationConstraint::from("ap-east-2"))),
            "ap-east-2"
        );
    }

    #[test]
    fn kms_default_encryption_keeps_algorithm_key_and_bucket_key() -> TestResult {
        let config = ServerSideEncryptionConfiguration::builder()
            .rules(
                ServerSideEncryptionRule::builder()
                    .apply_server_side_encryption_by_default(
                        ServerSideEncryptionByDefault::builder()
                            .sse_algorithm(ServerSideEncryption::AwsKms)
                            .kms_master_key_id("arn:aws:kms:us-east-1:111122223333:key/k1")
                            .build()?,
                    )
                    .bucket_key_enabled(true)
                    .build(),
            )
            .build()?;
        let out = GetBucketEncryptionOutput::builder()
            .server_side_encryption_configuration(config)
            .build();
        assert_eq!(
            encryption(Some(&out)),
            json!({
                "sse_algorithm": "aws:kms",
                "kms_master_key_id": "arn:aws:kms:us-east-1:111122223333:key/k1",
                "bucket_key_enabled": true,
            })
        );
        Ok(())
    }

    #[test]
    fn encryption_not_configured_or_without_rules_is_null() -> TestResult {
        let config = ServerSideEncryptionConfiguration::builder()
            .set_rules(Some(Vec::new()))
            .build()?;
        let out = GetBucketEncryptionOutput::builder()
            .server_side_encryption_configuration(config)
            .build();
        assert_eq!(encryption(Some(&out)), Value::Null);
        assert_eq!(encryption(None), Value::Null);
        Ok(())
    }

    #[test]
    fn no_policy_status_means_not_public() {
        assert_eq!(policy_is_public(None), Value::Bool(false));
        let out = GetBucketPolicyStatusOutput::builder()
            .policy_status(PolicyStatus::builder().is_public(true).build())
            .build();
        assert_eq!(policy_is_public(Some(&out)), Value::Bool(true));
    }

    #[test]
    fn unset_public_access_flags_are_off() {
        let out = GetPublicAccessBlockOutput::builder()
            .public_access_block_configuration(
                PublicAccessBlockConfiguration::builder()
                    .block_public_acls(true)
                    .block_public_policy(false)
                    .restrict_public_buckets(true)
                    .build(),
            )
            .build();
        assert_eq!(
            bucket_public_access_block(Some(&out)),
            json!({
                "block_public_acls": true,
                "ignore_public_acls": false,
                "block_public_policy": false,
                "restrict_public_buckets": true,
            })
        );
        assert_eq!(bucket_public_access_block(None), Value::Null);
    }

    #[test]
    fn acl_grants_name_grantee_and_permission() -> TestResult {
        let out = GetBucketAclOutput::builder()
            .grants(
                Grant::builder()
                    .grantee(
                        Grantee::builder()
                            .r#type(Type::Group)
                            .uri("http://acs.amazonaws.com/groups/global/AllUsers")
                            .build()?,
                    )
                    .permission(Permission::Read)
                    .build(),
            )
            .grants(
                Grant::builder()
                    .grantee(
                        Grantee::builder()
                            .r#type(Type::CanonicalUser)
                            .id("abc123")
                            .build()?,
                    )
                    .permission(Permission::FullControl)
                    .build(),
            )
            .build();
        assert_eq!(
            acl_grants(Some(&out)),
            json!([
                {"grantee_type": "Group", "grantee_uri": "http://acs.amazonaws.com/groups/global/AllUsers",
                 "grantee_id": null, "permission": "READ"},
                {"grantee_type": "CanonicalUser", "grantee_uri": null, "grantee_id": "abc123",
                 "permission": "FULL_CONTROL"},
            ])
        );
        Ok(())
    }

    #[test]
    fn versioning_never_enabled_is_two_nulls() {
        let out = GetBucketVersioningOutput::builder().build();
        assert_eq!(
            versioning(Some(&out)),
            json!({"status": null, "mfa_delete": null})
        );
        let out = GetBucketVersioningOutput::builder()
            .status(BucketVersioningStatus::Enabled)
            .mfa_delete(MfaDeleteStatus::Disabled)
            .build();
        assert_eq!(
            versioning(Some(&out)),
            json!({"status": "Enabled", "mfa_delete": "Disabled"})
        );
    }

    #[test]
    fn logging_is_null_or_target() -> TestResult {
        assert_eq!(
            logging(Some(&GetBucketLoggingOutput::builder().build())),
            Value::Null
        );
        let out = GetBucketLoggingOutput::builder()
            .logging_enabled(
                LoggingEnabled::builder()
                    .target_bucket("logs")
                    .target_prefix("app/")
                    .build()?,
            )
            .build();
        assert_eq!(
            logging(Some(&out)),
            json!({"target_bucket": "logs", "target_prefix": "app/"})
        );
        Ok(())
    }

    #[test]
    fn ownership_controls_is_the_rule_setting() -> TestResult {
        let out = GetBucketOwnershipControlsOutput::builder()
            .ownership_controls(
                OwnershipControls::builder()
                    .rules(
                        OwnershipControlsRule::builder()
                            .object_ownership(ObjectOwnership::BucketOwnerEnforced)
                            .build()?,
                    )
                    .build()?,
            )
            .build();
        assert_eq!(ownership_controls(Some(&out)), json!("BucketOwnerEnforced"));
        assert_eq!(
            ownership_controls(Some(&GetBucketOwnershipControlsOutput::builder().build())),
            Value::Null
        );
        Ok(())
    }

    #[test]
    fn object_lock_with_default_retention() {
        let out = GetObjectLockConfigurationOutput::builder()
            .object_lock_configuration(
                ObjectLockConfiguration::builder()
                    .object_lock_enabled(ObjectLockEnabled::Enabled)
                    .rule(
                        ObjectLockRule::builder()
                            .default_retention(
                                DefaultRetention::builder()
                                    .mode(ObjectLockRetentionMode::Compliance)
                                    .days(30)
                                    .build(),
                            )
                            .build(),
                    )
                    .build(),
            )
            .build();
        assert_eq!(
            object_lock(Some(&out)),
            json!({"enabled": true, "mode": "COMPLIANCE", "days": 30, "years": null})
        );
    }

    #[test]
    fn lifecycle_and_replication_rules_are_listed() -> TestResult {
        let lifecycle = GetBucketLifecycleConfigurationOutput::builder()
            .rules(
                LifecycleRule::builder()
                    .id("expire")
                    .status(ExpirationStatus::Enabled)
                    .build()?,
            )
            .build();
        assert_eq!(
            lifecycle_rules(Some(&lifecycle)),
            json!([{"id": "expire", "status": "Enabled"}])
        );

        let replication = GetBucketReplicationOutput::builder()
            .replication_configuration(
                ReplicationConfiguration::builder()
                    .role("arn:aws:iam::111122223333:role/replication")
                    .rules(
                        ReplicationRule::builder()
                            .id("dr")
                            .status(ReplicationRuleStatus::Disabled)
                            .destination(
                                Destination::builder()
                                    .bucket("arn:aws:s3:::dr-copy")
                                    .build()?,
                            )
                            .build()?,
                    )
                    .build()?,
            )
            .build();
        assert_eq!(
            replication_rules(Some(&replication)),
            json!([{"id": "dr", "status": "Disabled", "destination_bucket": "arn:aws:s3:::dr-copy"}])
        );
        assert_eq!(
            replication_rules(Some(&GetBucketReplicationOutput::builder().build())),
            json!([])
        );
        assert_eq!(replication_rules(None), json!([]));
        assert_eq!(lifecycle_rules(None), json!([]));
        Ok(())
    }

    #[test]
    fn tag_set_becomes_a_map_and_no_tag_set_is_empty() -> TestResult {
        let out = GetBucketTaggingOutput::builder()
            .tag_set(
                Tag::builder()
                    .key("data-classification")
                    .value("confidential")
                    .build()?,
            )
            .tag_set(Tag::builder().key("owner").value("team-a").build()?)
            .build()?;
        let tags = bucket_tags(Some(&out));
        assert_eq!(
            tags.into_iter().collect::<Vec<_>>(),
            vec![
                ("data-classification".to_owned(), "confidential".to_owned()),
                ("owner".to_owned(), "team-a".to_owned()),
            ]
        );
        assert!(bucket_tags(None).is_empty());
        Ok(())
    }
}
