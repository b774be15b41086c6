//! Kinesis Data Streams: the region's streams with server-side encryption, retention
//! and capacity mode. Records are never read.
//!
//! One paginated listing, one DescribeStreamSummary and one tag read per stream; a failed
//! summary is a gap on the stream, which keeps its name only. Endpoints that answer
//! ListStreams with names only (no summaries, as before 2022) are read by name.
//!
//! Relations: stream `encrypted_by` its KMS key.

use aws_sdk_kinesis::Client;
use serde_json::{Map, Value, json};
use vigil_inventory::Resource;

use crate::registry::{Collector, Scope};
use crate::services::ec2::kms_key_arn;
use crate::shape::{enum_str, tag_map};
use crate::{Ctx, client};

pub const COLLECTOR: Collector = Collector {
    service: "kinesis",
    scope: Scope::Regional,
    actions: &[
        "kinesis:ListStreams",
        "kinesis:DescribeStreamSummary",
        "kinesis:ListTagsForStream",
    ],
    run: |ctx| Box::pin(collect(ctx)),
};

const STREAM: &str = "aws.kinesis.stream";

const GONE: &[&str] = &["ResourceNotFoundException"];

async fn collect(ctx: Ctx) {
    let client = client!(ctx, aws_sdk_kinesis);
    let listing = client.list_streams().into_paginator().send().try_collect();
    let Some(pages) = ctx.list("kinesis:ListStreams", &[STREAM], listing).await else {
        return;
    };
    let mut streams: Vec<(String, String)> = pages
        .iter()
        .flat_map(|p| p.stream_summaries())
        .map(|s| (s.stream_name().to_owned(), s.stream_arn().to_owned()))
        .collect();
    for page in &pages {
        for name in page.stream_names() {
            if !streams.iter().any(|(n, _)| n == name) {
                streams.push((name.clone(), ctx.arn("kinesis", &format!("stream/{name}"))));
            }
        }
    }
    ctx.each(streams, |(name, arn)| stream(&ctx, &client, name, arn))
        .await;
}

async fn stream(ctx: &Ctx, client: &Client, name: String, arn: String) -> Option<Resource> {
    let (name, arn) = (name.as_str(), arn.as_str());
    let (summary, tags) = futures::join!(
        ctx.detail(
            "kinesis:DescribeStreamSummary",
            arn,
            GONE,
            client.describe_stream_summary().stream_arn(arn).send(),
        ),
        ctx.detail(
            "kinesis:ListTagsForStream",
            arn,
            GONE,
            client.list_tags_for_stream().stream_arn(arn).send(),
        ),
    );
    let mut props = Map::new();
    props.insert("name".into(), json!(name));
    props.insert("arn".into(), json!(arn));
    match &summary {
        Ok(None) => return None,
        Ok(Some(out)) => {
            if let Some(d) = out.stream_description_summary() {
                props.insert("status".into(), json!(d.stream_status().as_str()));
                // NONE or KMS; absent means NONE.
                props.insert(
                    "encryption_type".into(),
                    d.encryption_type()
                        .map_or(json!("NONE"), |e| json!(e.as_str())),
                );
                props.insert("kms_key_id".into(), json!(d.key_id()));
                props.insert(
                    "retention_period_hours".into(),
                    json!(d.retention_period_hours()),
                );
                props.insert(
                    "stream_mode".into(),
                    enum_str(d.stream_mode_details().map(|m| m.stream_mode())),
                );
                if let Some(key) = d.key_id().and_then(|k| kms_key_arn(ctx, k)) {
                    ctx.relate(arn, "encrypted_by", key);
                }
            }
        }
        Err(_) => {}
    }
    let mut resource = ctx.resource(arn, STREAM);
    resource.name = Some(name.to_owned());
    if let Ok(Some(out)) = &tags {
        resource.tags = tag_map(out.tags().iter().map(|t| (Some(t.key()), t.value())));
    }
    resource.properties = Value::Object(props).into();
    Some(resource)
}
