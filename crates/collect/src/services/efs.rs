//! EFS collector: the region's file systems with their encryption at rest and whether
//! automatic backups are on. One listing, then one backup-policy read per file system
//! (a few in flight).

use aws_sdk_efs::Client;
use aws_sdk_efs::operation::describe_backup_policy::DescribeBackupPolicyOutput;
use aws_sdk_efs::types::FileSystemDescription;
use futures::StreamExt;
use serde_json::{Value, json};

use crate::registry::{Collector, Scope};
use crate::services::ec2::kms_key_arn;
use crate::{Ctx, client};

pub const COLLECTOR: Collector = Collector {
    service: "efs",
    scope: Scope::Regional,
    actions: &[
        "elasticfilesystem:DescribeFileSystems",
        "elasticfilesystem:DescribeBackupPolicy",
    ],
    run: |ctx| Box::pin(collect(ctx)),
};

const FILE_SYSTEM: &str = "aws.efs.file_system";
/// Backup-policy reads in flight.
const PARALLEL_DETAILS: usize = 4;

async fn collect(ctx: Ctx) {
    let efs = client!(ctx, aws_sdk_efs);
    let listing = efs
        .describe_file_systems()
        .into_paginator()
        .items()
        .send()
        .try_collect();
    let Some(file_systems) = ctx
        .list(
            "elasticfilesystem:DescribeFileSystems",
            &[FILE_SYSTEM],
            listing,
        )
        .await
    else {
        return;
    };
    let (ctx, efs) = (&ctx, &efs);
    // Futures built up front: a closure over borrowed items inside the stream trips the
    // compiler's Send inference for the boxed collector future.
    let reads: Vec<_> = file_systems
        .iter()
        .map(|fs| backup_policy_status(ctx, efs, fs))
        .collect();
    let with_policies: Vec<(&FileSystemDescription, Option<Value>)> = futures::stream::iter(reads)
        .buffer_unordered(PARALLEL_DETAILS)
        .collect()
        .await;
    for (fs, backup) in with_policies {
        add_file_system(ctx, fs, backup);
    }
}

fn file_system_arn(ctx: &Ctx, fs: &FileSystemDescription) -> String {
    fs.file_system_arn().map_or_else(
        || {
            ctx.arn(
                "elasticfilesystem",
                &format!("file-system/{}", fs.file_system_id()),
            )
        },
        str::to_owned,
    )
}

/// `Some(status or null)` when the policy was read (no policy is null); `None` after a
/// failed call, which leaves the property absent.
async fn backup_policy_status<'a>(
    ctx: &Ctx,
    efs: &Client,
    fs: &'a FileSystemDescription,
) -> (&'a FileSystemDescription, Option<Value>) {
    let call = efs
        .describe_backup_policy()
        .file_system_id(fs.file_system_id())
        .send();
    let arn = file_system_arn(ctx, fs);
    let status = match ctx
        .detail(
            "elasticfilesystem:DescribeBackupPolicy",
            &arn,
            &["PolicyNotFound"],
            call,
        )
        .await
    {
        Ok(out) => Some(backup_status(out.as_ref())),
        Err(_) => None,
    };
    (fs, status)
}

fn backup_status(out: Option<&DescribeBackupPolicyOutput>) -> Value {
    json!(
        out.and_then(|o| o.backup_policy())
            .map(|p| p.status().as_str())
    )
}

fn add_file_system(ctx: &Ctx, fs: &FileSystemDescription, backup_policy_status: Option<Value>) {
    let id = file_system_arn(ctx, fs);
    if let Some(key) = fs.kms_key_id().and_then(|k| kms_key_arn(ctx, k)) {
        ctx.relate(&id, "encrypted_by", key);
    }
    let mut resource = ctx.resource(id, FILE_SYSTEM);
    resource.tags = fs
        .tags()
        .iter()
        .map(|t| (t.key().to_owned(), t.value().to_owned()))
        .collect();
    // `Name` mirrors the `Name` tag; older answers carry only the tag.
    let name = fs
        .name()
        .or_else(|| resource.tags.get("Name").map(String::as_str));
    resource.name = Some(
        name.filter(|n| !n.is_empty())
            .unwrap_or(fs.file_system_id())
            .to_owned(),
    );
    let mut properties = json!({
        "file_system_id": fs.file_system_id(),
        "encrypted": fs.encrypted(),
        "kms_key_id": fs.kms_key_id(),
    });
    if let (Some(status), Some(map)) = (backup_policy_status, properties.as_object_mut()) {
        map.insert("backup_policy_status".into(), status);
    }
    resource.properties = properties.into();
    ctx.add(resource);
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use aws_sdk_efs::types::{BackupPolicy, LifeCycleState, PerformanceMode, Status, Tag};
    use aws_smithy_types::DateTime;
    use aws_types::SdkConfig;

    use super::*;

    fn file_system(encrypted: bool) -> FileSystemDescription {
        let mut b = FileSystemDescription::builder()
            .owner_id("111122223333")
            .creation_token("t")
            .file_system_id("fs-1")
            .creation_time(DateTime::from_secs(0))
            .life_cycle_state(LifeCycleState::Available)
            .number_of_mount_targets(0)
            .performance_mode(PerformanceMode::GeneralPurpose)
            .encrypted(encrypted)
            .tags(Tag::builder().key("Name").value("shared").build().unwrap());
        if encrypted {
            b = b.kms_key_id("arn:aws:kms:us-east-1:111122223333:key/k1");
        }
        b.build().unwrap()
    }

    fn test_ctx() -> Ctx {
        Ctx::new(
            "111122223333".into(),
            "us-east-1".into(),
            SdkConfig::builder().build(),
            Arc::default(),
        )
    }

    #[test]
    fn backup_status_is_the_policy_status_or_null_without_policy() {
        let out = DescribeBackupPolicyOutput::builder()
            .backup_policy(
                BackupPolicy::builder()
                    .status(Status::Enabled)
                    .build()
                    .unwrap(),
            )
            .build();
        assert_eq!(backup_status(Some(&out)), json!("ENABLED"));
        assert_eq!(backup_status(None), Value::Null);
    }

    #[test]
    fn file_systems_carry_encryption_and_backup_status() {
        let ctx = test_ctx();
        add_file_system(&ctx, &file_system(true), Some(json!("ENABLED")));
        let out = ctx.shared.output.lock().unwrap();
        let r = &out.resources[0];
        assert_eq!(
            r.id,
            "arn:aws:elasticfilesystem:us-east-1:111122223333:file-system/fs-1"
        );
        assert_eq!(r.name.as_deref(), Some("shared"));
        assert_eq!(
            r.properties,
            json!({"file_system_id": "fs-1", "encrypted": true,
                   "kms_key_id": "arn:aws:kms:us-east-1:111122223333:key/k1", "backup_policy_status": "ENABLED"})
        );
        assert_eq!(
            out.relations[0].to,
            "arn:aws:kms:us-east-1:111122223333:key/k1"
        );
    }

    #[test]
    fn a_failed_backup_read_leaves_the_status_absent() {
        let ctx = test_ctx();
        add_file_system(&ctx, &file_system(false), None);
        let out = ctx.shared.output.lock().unwrap();
        let props = &out.resources[0].properties;
        assert!(props.get("backup_policy_status").is_none());
        assert_eq!(props["encrypted"], json!(false));
        assert_eq!(props["kms_key_id"], Value::Null);
        assert!(out.relations.is_empty());
    }
}
