//! Amazon Data Firehose: the region's delivery streams with their server-side
//! encryption. Records are never read.
//!
//! The listing (ListDeliveryStreams, paged by the last name, no paginator) and one
//! DescribeDeliveryStream per stream; a failed read is a gap on the stream, which keeps
//! its name only.
//!
//! Relations: stream `encrypted_by` its customer managed KMS key.

use aws_sdk_firehose::Client;
use serde_json::{Map, Value, json};
use vigil_inventory::Resource;

use crate::registry::{Collector, Scope};
use crate::shape::enum_str;
use crate::{Ctx, client};

pub const COLLECTOR: Collector = Collector {
    service: "firehose",
    scope: Scope::Regional,
    actions: &[
        "firehose:ListDeliveryStreams",
        "firehose:DescribeDeliveryStream",
    ],
    run: |ctx| Box::pin(collect(ctx)),
};

const STREAM: &str = "aws.firehose.delivery_stream";

async fn collect(ctx: Ctx) {
    let client = client!(ctx, aws_sdk_firehose);
    let mut names: Vec<String> = Vec::new();
    loop {
        let Some(out) = ctx
            .list(
                "firehose:ListDeliveryStreams",
                &[STREAM],
                client
                    .list_delivery_streams()
                    .limit(100)
                    .set_exclusive_start_delivery_stream_name(names.last().cloned())
                    .send(),
            )
            .await
        else {
            return;
        };
        let page = out.delivery_stream_names();
        names.extend(page.iter().cloned());
        if !out.has_more_delivery_streams() || page.is_empty() {
            break;
        }
    }
    ctx.each(names, |name| stream(&ctx, &client, name)).await;
}

async fn stream(ctx: &Ctx, client: &Client, name: String) -> Option<Resource> {
    let arn = ctx.arn("firehose", &format!("deliverystream/{name}"));
    let described = ctx
        .detail(
            "firehose:DescribeDeliveryStream",
            &arn,
            &["ResourceNotFoundException"],
            client
                .describe_delivery_stream()
                .delivery_stream_name(&name)
                .send(),
        )
        .await;
    let mut resource = ctx.resource(&arn, STREAM);
    resource.name = Some(name.clone());
    let mut props = Map::new();
    props.insert("name".into(), json!(name));
    props.insert("arn".into(), json!(arn));
    match &described {
        Ok(None) => return None,
        Ok(Some(out)) => {
            if let Some(d) = out.delivery_stream_description() {
                let encryption = d.delivery_stream_encryption_configuration();
                props.insert("status".into(), json!(d.delivery_stream_status().as_str()));
                props.insert(
                    "stream_type".into(),
                    json!(d.delivery_stream_type().as_str()),
                );
                // No encryption configuration: server-side encryption is off (`DISABLED`).
                props.insert(
                    "encryption_status".into(),
                    encryption
                        .and_then(|e| e.status())
                        .map_or(json!("DISABLED"), |s| json!(s.as_str())),
                );
                props.insert(
                    "encryption_key_type".into(),
                    enum_str(encryption.and_then(|e| e.key_type())),
                );
                if let Some(key) = encryption.and_then(|e| e.key_arn()) {
                    ctx.relate(&arn, "encrypted_by", key);
                }
            }
        }
        Err(_) => {}
    }
    resource.properties = Value::Object(props).into();
    Some(resource)
}
