//! RDS collector: the region's DB instances (including Aurora, DocumentDB and Neptune
//! instances, which the same API lists) with their encryption, exposure, backup and
//! upgrade settings. One paginated listing; no per-instance calls.

use aws_sdk_rds::types::DbInstance;
use serde_json::{Value, json};

use crate::registry::{Collector, Scope};
use crate::services::ec2::kms_key_arn;
use crate::{Ctx, client};

pub const COLLECTOR: Collector = Collector {
    service: "rds",
    scope: Scope::Regional,
    actions: &["rds:DescribeDBInstances"],
    run: |ctx| Box::pin(collect(ctx)),
};

const DB_INSTANCE: &str = "aws.rds.db_instance";

async fn collect(ctx: Ctx) {
    let rds = client!(ctx, aws_sdk_rds);
    let listing = rds
        .describe_db_instances()
        .into_paginator()
        .items()
        .send()
        .try_collect();
    let Some(instances) = ctx
        .list("rds:DescribeDBInstances", &[DB_INSTANCE], listing)
        .await
    else {
        return;
    };
    for instance in &instances {
        add_db_instance(&ctx, instance);
    }
}

fn add_db_instance(ctx: &Ctx, db: &DbInstance) {
    let Some(name) = db.db_instance_identifier() else {
        return;
    };
    let id = db
        .db_instance_arn()
        .map_or_else(|| ctx.arn("rds", &format!("db:{name}")), str::to_owned);
    if let Some(key) = db.kms_key_id().and_then(|k| kms_key_arn(ctx, k)) {
        ctx.relate(&id, "encrypted_by", key);
    }
    let mut resource = ctx.resource(id, DB_INSTANCE);
    resource.name = Some(name.to_owned());
    resource.tags = db
        .tag_list()
        .iter()
        .filter_map(|t| {
            Some((
                t.key()?.to_owned(),
                t.value().unwrap_or_default().to_owned(),
            ))
        })
        .collect();
    resource.properties = db_instance_properties(db);
    ctx.add(resource);
}

fn db_instance_properties(db: &DbInstance) -> Value {
    json!({
        "db_instance_identifier": db.db_instance_identifier(),
        "engine": db.engine(),
        "storage_encrypted": db.storage_encrypted(),
        "kms_key_id": db.kms_key_id(),
        "publicly_accessible": db.publicly_accessible(),
        "auto_minor_version_upgrade": db.auto_minor_version_upgrade(),
        "multi_az": db.multi_az(),
        "backup_retention_period_days": db.backup_retention_period(),
        "deletion_protection": db.deletion_protection(),
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use aws_sdk_rds::types::Tag;
    use aws_types::SdkConfig;

    use super::*;

    #[test]
    fn db_instances_carry_their_settings_tags_and_key() {
        let ctx = Ctx::new(
            "111122223333".into(),
            "us-east-1".into(),
            SdkConfig::builder().build(),
            Arc::default(),
        );
        let db = DbInstance::builder()
            .db_instance_identifier("orders")
            .db_instance_arn("arn:aws:rds:us-east-1:111122223333:db:orders")
            .engine("postgres")
            .storage_encrypted(true)
            .kms_key_id("arn:aws:kms:us-east-1:111122223333:key/k1")
            .publicly_accessible(false)
            .auto_minor_version_upgrade(true)
            .multi_az(false)
            .backup_retention_period(7)
            .deletion_protection(true)
            .tag_list(Tag::builder().key("Owner").value("orders").build())
            .build();
        add_db_instance(&ctx, &db);
        let out = ctx.shared.output.lock().unwrap();
        let r = &out.resources[0];
        assert_eq!(r.id, "arn:aws:rds:us-east-1:111122223333:db:orders");
        assert_eq!(r.name.as_deref(), Some("orders"));
        assert_eq!(r.tags.get("Owner").map(String::as_str), Some("orders"));
        assert_eq!(
            r.properties,
            json!({
                "db_instance_identifier": "orders",
                "engine": "postgres",
                "storage_encrypted": true,
                "kms_key_id": "arn:aws:kms:us-east-1:111122223333:key/k1",
                "publicly_accessible": false,
                "auto_minor_version_upgrade": true,
                "multi_az": false,
                "backup_retention_period_days": 7,
                "deletion_protection": true,
            })
        );
        assert_eq!(out.relations[0].kind, "encrypted_by");
        assert_eq!(
            out.relations[0].to,
            "arn:aws:kms:us-east-1:111122223333:key/k1"
        );
    }

    #[test]
    fn an_unencrypted_instance_has_a_null_key_and_no_relation() {
        let ctx = Ctx::new(
            "111122223333".into(),
            "us-east-1".into(),
            SdkConfig::builder().build(),
            Arc::default(),
        );
        let db = DbInstance::builder()
            .db_instance_identifier("legacy")
            .engine("mysql")
            .build();
        add_db_instance(&ctx, &db);
        let out = ctx.shared.output.lock().unwrap();
        assert_eq!(
            out.resources[0].id,
            "arn:aws:rds:us-east-1:111122223333:db:legacy"
        );
        assert_eq!(out.resources[0].properties["kms_key_id"], Value::Null);
        assert_eq!(
            out.resources[0].properties["backup_retention_period_days"],
            Value::Null
        );
        assert_eq!(
            out.resources[0].properties["publicly_accessible"],
            Value::Null
        );
        assert!(out.relations.is_empty());
    }
}
