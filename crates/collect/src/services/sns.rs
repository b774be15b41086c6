//! sns collector: the region's topics with their access policy and encryption, and the
//! subscriptions to them. Subscription endpoints are personal or secret often enough
//! (e-mail addresses, phone numbers, webhook URLs with tokens) that only the part a
//! rule could need is kept.

use std::collections::HashMap;

use aws_sdk_sns::types::Subscription;
use futures::StreamExt;
use serde_json::{Map, Value};

use super::kms::KeyResolver;
use crate::registry::{Collector, Scope};
use crate::{Ctx, client, policy_document};

pub const COLLECTOR: Collector = Collector {
    service: "sns",
    scope: Scope::Regional,
    actions: &[
        "sns:ListTopics",
        "sns:GetTopicAttributes",
        "sns:ListSubscriptions",
        // Resolves customer key aliases named as a topic's KMS key.
        "kms:DescribeKey",
    ],
    run: |ctx| Box::pin(collect(ctx)),
};

const TOPIC: &str = "aws.sns.topic";
const SUBSCRIPTION: &str = "aws.sns.subscription";

/// Topics whose attributes are read at once.
const TOPIC_CONCURRENCY: usize = 4;

async fn collect(ctx: Ctx) {
    let client = client!(ctx, aws_sdk_sns);
    futures::join!(
        collect_topics(&ctx, &client),
        collect_subscriptions(&ctx, &client)
    );
}

async fn collect_topics(ctx: &Ctx, client: &aws_sdk_sns::Client) {
    let listed = client
        .list_topics()
        .into_paginator()
        .items()
        .send()
        .try_collect();
    let Some(topics) = ctx.list("sns:ListTopics", &[TOPIC], listed).await else {
        return;
    };
    let keys = KeyResolver::new(ctx);
    // Owned ARNs: a stream over borrowed ones is not provably `Send` to the compiler.
    let arns: Vec<String> = topics
        .iter()
        .filter_map(|t| t.topic_arn())
        .map(str::to_owned)
        .collect();
    futures::stream::iter(arns)
        .map(|arn| collect_topic(ctx, client, &keys, arn))
        .buffer_unordered(TOPIC_CONCURRENCY)
        .collect::<Vec<()>>()
        .await;
}

async fn collect_topic(ctx: &Ctx, client: &aws_sdk_sns::Client, keys: &KeyResolver, arn: String) {
    let arn = arn.as_str();
    let mut resource = ctx.resource(arn, TOPIC);
    resource.name = arn.rsplit(':').next().map(str::to_owned);
    let mut props = Map::new();
    props.insert("topic_arn".into(), Value::from(arn));
    let call = client.get_topic_attributes().topic_arn(arn).send();
    if let Ok(Some(out)) = ctx.detail("sns:GetTopicAttributes", arn, &[], call).await {
        let attributes = out.attributes().cloned().unwrap_or_default();
        props.extend(topic_properties(&attributes));
        if let Some(reference) = props.get("kms_master_key_id").and_then(Value::as_str)
            && let Some(key) = keys.key_arn(&ctx.region, reference).await
        {
            ctx.relate(arn, "encrypted_by", key);
        }
    }
    resource.properties = Value::Object(props).into();
    ctx.add(resource);
}

/// The attributes the rules read. An attribute SNS leaves out is null, and an
/// unreadable count is null rather than a guess.
fn topic_properties(attributes: &HashMap<String, String>) -> Map<String, Value> {
    let attribute = |name: &str| {
        attributes
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    };
    let mut props = Map::new();
    props.insert(
        "kms_master_key_id".into(),
        attribute("KmsMasterKeyId").into(),
    );
    props.insert("policy".into(), policy_document(attribute("Policy")));
    props.insert(
        "subscriptions_confirmed".into(),
        attribute("SubscriptionsConfirmed")
            .and_then(|n| n.parse::<i64>().ok())
            .into(),
    );
    props
}

async fn collect_subscriptions(ctx: &Ctx, client: &aws_sdk_sns::Client) {
    let listed = client
        .list_subscriptions()
        .into_paginator()
        .items()
        .send()
        .try_collect();
    let Some(subscriptions) = ctx
        .list("sns:ListSubscriptions", &[SUBSCRIPTION], listed)
        .await
    else {
        return;
    };
    let mut pending: HashMap<String, usize> = HashMap::new();
    for subscription in &subscriptions {
        let Some(topic) = subscription.topic_arn() else {
            continue;
        };
        let id = subscription_id(subscription, topic, &mut pending);
        let mut resource = ctx.resource(&id, SUBSCRIPTION);
        resource.properties = Value::Object(subscription_properties(subscription)).into();
        ctx.add(resource);
        ctx.relate(id, "subscribed_to", topic);
    }
}

/// The subscription ARN, except for subscriptions not confirmed yet, which all carry
/// the ARN `PendingConfirmation`: they get `TOPIC:PendingConfirmation:N`, numbered in
/// listing order per topic.
fn subscription_id(
    subscription: &Subscription,
    topic: &str,
    pending: &mut HashMap<String, usize>,
) -> String {
    match subscription.subscription_arn() {
        Some(arn) if arn.starts_with("arn:") => arn.to_owned(),
        other => {
            let n = pending.entry(topic.to_owned()).or_default();
            *n += 1;
            format!("{topic}:{}:{n}", other.unwrap_or("PendingConfirmation"))
        }
    }
}

fn subscription_properties(subscription: &Subscription) -> Map<String, Value> {
    let protocol = subscription.protocol().unwrap_or_default();
    let mut props = Map::new();
    props.insert(
        "subscription_arn".into(),
        subscription.subscription_arn().into(),
    );
    props.insert("topic_arn".into(), subscription.topic_arn().into());
    props.insert("protocol".into(), subscription.protocol().into());
    props.insert(
        "endpoint".into(),
        subscription
            .endpoint()
            .map(|e| redact_endpoint(protocol, e))
            .into(),
    );
    props
}

/// What of an endpoint may be stored: an e-mail address becomes its domain, a phone
/// number is dropped, a URL keeps its scheme and host (paths and queries of webhooks
/// often carry tokens); ARNs of queues, functions and streams are kept.
fn redact_endpoint(protocol: &str, endpoint: &str) -> String {
    match protocol {
        "email" | "email-json" => endpoint
            .rsplit_once('@')
            .map_or("redacted", |(_, domain)| domain)
            .to_owned(),
        "sms" => "redacted".to_owned(),
        "http" | "https" => url_origin(endpoint),
        _ => endpoint.to_owned(),
    }
}

/// `scheme://host[:port]` of a URL, without user information.
fn url_origin(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return "redacted".to_owned();
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    format!("{scheme}://{host}")
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOPIC_ARN: &str = "arn:aws:sns:us-east-1:111122223333:alerts";

    fn subscription(arn: &str, protocol: &str, endpoint: &str) -> Subscription {
        Subscription::builder()
            .subscription_arn(arn)
            .topic_arn(TOPIC_ARN)
            .protocol(protocol)
            .endpoint(endpoint)
            .build()
    }

    #[test]
    fn topic_attributes_become_properties() {
        let attributes = HashMap::from([
            ("KmsMasterKeyId".to_owned(), "alias/aws/sns".to_owned()),
            (
                "Policy".to_owned(),
                r#"{"Version":"2012-10-17","Statement":[]}"#.to_owned(),
            ),
            ("SubscriptionsConfirmed".to_owned(), "3".to_owned()),
        ]);
        let props = Value::Object(topic_properties(&attributes));
        assert_eq!(props["kms_master_key_id"], "alias/aws/sns");
        assert_eq!(props["policy"]["Version"], "2012-10-17");
        assert_eq!(props["subscriptions_confirmed"], 3);
    }

    #[test]
    fn unencrypted_topic_has_null_key() {
        let attributes = HashMap::from([("KmsMasterKeyId".to_owned(), String::new())]);
        let props = Value::Object(topic_properties(&attributes));
        assert_eq!(props["kms_master_key_id"], Value::Null);
        assert_eq!(props["policy"], Value::Null);
        assert_eq!(props["subscriptions_confirmed"], Value::Null);
    }

    #[test]
    fn email_endpoints_keep_only_their_domain() {
        let s = subscription(&format!("{TOPIC_ARN}:5b0e"), "email", "alice@acme.example");
        let props = Value::Object(subscription_properties(&s));
        assert_eq!(props["endpoint"], "acme.example");
        assert_eq!(props["protocol"], "email");
        assert_eq!(props["topic_arn"], TOPIC_ARN);
        assert_eq!(
            redact_endpoint("email-json", "ops@corp.example"),
            "corp.example"
        );
    }

    #[test]
    fn phone_numbers_and_url_secrets_are_dropped() {
        assert_eq!(redact_endpoint("sms", "+12065550142"), "redacted");
        assert_eq!(
            redact_endpoint(
                "https",
                "https://user:pw@hooks.example.com:8443/services/T0/B0/secret?x=1"
            ),
            "https://hooks.example.com:8443"
        );
        assert_eq!(redact_endpoint("http", "not a url"), "redacted");
        let queue = "arn:aws:sqs:us-east-1:111122223333:q";
        assert_eq!(redact_endpoint("sqs", queue), queue);
    }

    #[test]
    fn pending_subscriptions_get_distinct_ids() {
        let mut pending = HashMap::new();
        let a = subscription("PendingConfirmation", "email", "a@x.example");
        let b = subscription("PendingConfirmation", "email", "b@x.example");
        let confirmed = subscription(
            &format!("{TOPIC_ARN}:5b0e"),
            "sqs",
            "arn:aws:sqs:us-east-1:1:q",
        );
        assert_eq!(
            subscription_id(&a, TOPIC_ARN, &mut pending),
            format!("{TOPIC_ARN}:PendingConfirmation:1")
        );
        assert_eq!(
            subscription_id(&b, TOPIC_ARN, &mut pending),
            format!("{TOPIC_ARN}:PendingConfirmation:2")
        );
        assert_eq!(
            subscription_id(&confirmed, TOPIC_ARN, &mut pending),
            format!("{TOPIC_ARN}:5b0e")
        );
    }
}
