//! DynamoDB: the region's tables with encryption (AWS owned, AWS managed or customer
//! key), point-in-time recovery, deletion protection, streams and replicas. Items are
//! never read.

use aws_sdk_dynamodb::Client;
use serde_json::{Map, Value, json};

use crate::registry::{Collector, Scope};
use crate::shape::{enum_str, put, tag_map};
use crate::{Ctx, client, list_all};

pub const COLLECTOR: Collector = Collector {
    service: "dynamodb",
    scope: Scope::Regional,
    actions: &[
        "dynamodb:ListTables",
        "dynamodb:DescribeTable",
        "dynamodb:DescribeContinuousBackups",
        "dynamodb:ListTagsOfResource",
    ],
    run: |ctx| Box::pin(collect(ctx)),
};

const TABLE: &str = "aws.dynamodb.table";

const GONE: &[&str] = &["ResourceNotFoundException"];

async fn collect(ctx: Ctx) {
    let client = client!(ctx, aws_sdk_dynamodb);
    let Some(names) = list_all!(ctx, "dynamodb:ListTables", &[TABLE], client.list_tables()).await
    else {
        return;
    };
    ctx.each(names, |name| table(&ctx, &client, name)).await;
}

async fn table(ctx: &Ctx, client: &Client, name: String) -> Option<vigil_inventory::Resource> {
    let fallback = ctx.arn("dynamodb", &format!("table/{name}"));
    let described = ctx
        .detail(
            "dynamodb:DescribeTable",
            &fallback,
            GONE,
            client.describe_table().table_name(&name).send(),
        )
        .await;
    let mut props = Map::new();
    props.insert("name".into(), json!(name));
    let arn = match &described {
        Ok(None) => return None,
        Ok(Some(out)) => {
            let t = out.table()?;
            let sse = t.sse_description();
            // No SSE description: encrypted with an AWS owned key, the default.
            props.insert(
                "sse_type".into(),
                sse.and_then(|s| s.sse_type())
                    .map_or(json!("AWS_OWNED"), |t| json!(t.as_str())),
            );
            props.insert(
                "kms_key_arn".into(),
                json!(sse.and_then(|s| s.kms_master_key_arn())),
            );
            props.insert("status".into(), enum_str(t.table_status()));
            props.insert(
                "deletion_protection".into(),
                json!(t.deletion_protection_enabled().unwrap_or(false)),
            );
            props.insert(
                "billing_mode".into(),
                enum_str(t.billing_mode_summary().and_then(|b| b.billing_mode())),
            );
            props.insert(
                "replica_regions".into(),
                json!(
                    t.replicas()
                        .iter()
                        .filter_map(|r| r.region_name())
                        .collect::<Vec<_>>()
                ),
            );
            props.insert(
                "stream_enabled".into(),
                json!(t.stream_specification().is_some_and(|s| s.stream_enabled())),
            );
            t.table_arn().unwrap_or(&fallback).to_owned()
        }
        Err(_) => fallback.clone(),
    };
    if let Some(key) = props.get("kms_key_arn").and_then(Value::as_str) {
        ctx.relate(&arn, "encrypted_by", key);
    }
    let (backups, tags) = futures::join!(
        ctx.detail_value(
            "dynamodb:DescribeContinuousBackups",
            &arn,
            &[],
            client
                .describe_continuous_backups()
                .table_name(&name)
                .send(),
            |out| {
                json!(
                    out.continuous_backups_description()
                        .and_then(|d| d.point_in_time_recovery_description())
                        .and_then(|p| p.point_in_time_recovery_status())
                        .map(|s| s.as_str())
                )
            },
        ),
        ctx.detail(
            "dynamodb:ListTagsOfResource",
            &arn,
            &[],
            client.list_tags_of_resource().resource_arn(&arn).send(),
        ),
    );
    put(&mut props, "point_in_time_recovery", backups);
    let mut resource = ctx.resource(&arn, TABLE);
    resource.name = Some(name);
    if let Ok(Some(out)) = tags {
        resource.tags = tag_map(out.tags().iter().map(|t| (Some(t.key()), Some(t.value()))));
    }
    resource.properties = Value::Object(props).into();
    Some(resource)
}
