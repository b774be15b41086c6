//! SQS: the region's queues with their encryption (SSE-SQS or a KMS key), access policy,
//! dead-letter redrive and tags. Messages are never read.

use aws_sdk_sqs::Client;
use aws_sdk_sqs::types::QueueAttributeName;
use serde_json::{Map, Value, json};

use crate::registry::{Collector, Scope};
use crate::{Ctx, client, list_all, policy_document};

pub const COLLECTOR: Collector = Collector {
    service: "sqs",
    scope: Scope::Regional,
    actions: &[
        "sqs:ListQueues",
        "sqs:GetQueueAttributes",
        "sqs:ListQueueTags",
    ],
    run: |ctx| Box::pin(collect(ctx)),
};

const QUEUE: &str = "aws.sqs.queue";

/// A queue deleted between the listing and the detail call.
const GONE: &[&str] = &[
    "AWS.SimpleQueueService.NonExistentQueue",
    "QueueDoesNotExist",
];

async fn collect(ctx: Ctx) {
    let client = client!(ctx, aws_sdk_sqs);
    let Some(urls) = list_all!(ctx, "sqs:ListQueues", &[QUEUE], client.list_queues()).await else {
        return;
    };
    ctx.each(urls, |url| queue(&ctx, &client, url)).await;
}

async fn queue(ctx: &Ctx, client: &Client, url: String) -> Option<vigil_inventory::Resource> {
    let name = url.rsplit('/').next()?.to_owned();
    let arn = ctx.arn("sqs", &name);
    let mut props = Map::new();
    props.insert("name".into(), json!(name));
    props.insert("url".into(), json!(url));
    let (attributes, tags) = futures::join!(
        ctx.detail(
            "sqs:GetQueueAttributes",
            &arn,
            GONE,
            client
                .get_queue_attributes()
                .queue_url(&url)
                .attribute_names(QueueAttributeName::All)
                .send(),
        ),
        ctx.detail_value(
            "sqs:ListQueueTags",
            &arn,
            GONE,
            client.list_queue_tags().queue_url(&url).send(),
            |out| json!(out.tags()),
        ),
    );
    let mut resource = ctx.resource(&arn, QUEUE);
    resource.name = Some(name);
    match attributes {
        Ok(Some(out)) => {
            let get = |k: QueueAttributeName| out.attributes().and_then(|a| a.get(&k)).cloned();
            let kms = get(QueueAttributeName::KmsMasterKeyId).filter(|k| !k.is_empty());
            let sse = get(QueueAttributeName::SqsManagedSseEnabled).as_deref() == Some("true");
            props.insert("kms_master_key_id".into(), json!(kms));
            props.insert("sqs_managed_sse".into(), json!(sse));
            props.insert("encrypted".into(), json!(sse || kms.is_some()));
            props.insert(
                "policy".into(),
                policy_document(get(QueueAttributeName::Policy).as_deref()),
            );
            props.insert(
                "redrive_policy".into(),
                get(QueueAttributeName::RedrivePolicy)
                    .and_then(|t| serde_json::from_str::<Value>(&t).ok())
                    .unwrap_or(Value::Null),
            );
            props.insert(
                "fifo".into(),
                json!(get(QueueAttributeName::FifoQueue).as_deref() == Some("true")),
            );
            if let Some(key) = &kms
                && key.starts_with("arn:")
            {
                ctx.relate(&arn, "encrypted_by", key);
            }
        }
        // Deleted since it was listed: not a resource any more.
        Ok(None) => return None,
        Err(_) => {}
    }
    if let Some(Value::Object(tags)) = &tags {
        resource.tags = tags
            .iter()
            .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
            .collect();
    }
    resource.properties = Value::Object(props).into();
    Some(resource)
}
