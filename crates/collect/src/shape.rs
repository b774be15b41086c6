//! The shapes most collectors share, so that a new service is mostly declarations:
//! list, then build each listed item into a resource with a few detail calls in flight
//! at once; each detail call becomes a property, `null` when the thing is absent, and
//! is left out (with a resource gap) when the call failed.

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::future::Future;

use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use futures::StreamExt;
use serde_json::{Map, Value};
use vigil_inventory::Resource;

use crate::Ctx;

/// Per-resource detail calls in flight per collector and region.
pub const DETAIL_CONCURRENCY: usize = 4;

impl Ctx {
    /// Builds a resource from each item, [`DETAIL_CONCURRENCY`] at a time, and adds
    /// those built (`None`: the item was unusable, such as one without an id).
    pub async fn each<T, F, Fut>(&self, items: impl IntoIterator<Item = T>, build: F)
    where
        F: FnMut(T) -> Fut,
        Fut: Future<Output = Option<Resource>>,
    {
        let built: Vec<Option<Resource>> = futures::stream::iter(items)
            .map(build)
            .buffer_unordered(DETAIL_CONCURRENCY)
            .collect()
            .await;
        for resource in built.into_iter().flatten() {
            self.add(resource);
        }
    }

    /// A detail call whose answer is a property: `Some(f(answer))`, `Some(null)` when
    /// the error code is one of `absent`, `None` (a resource gap recorded) when the call
    /// failed. Pass the result to [`put`].
    pub async fn detail_value<T, E, R, F>(
        &self,
        action: &'static str,
        resource: &str,
        absent: &[&str],
        fut: F,
        f: impl FnOnce(T) -> Value,
    ) -> Option<Value>
    where
        F: Future<Output = Result<T, SdkError<E, R>>>,
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: Debug,
    {
        match self.detail(action, resource, absent, fut).await {
            Ok(Some(answer)) => Some(f(answer)),
            Ok(None) => Some(Value::Null),
            Err(_) => None,
        }
    }
}

/// Sets `key` when the detail call answered (see [`Ctx::detail_value`]); a failed call
/// leaves it absent, so that rules reading it report ERROR.
pub fn put(props: &mut Map<String, Value>, key: &str, value: Option<Value>) {
    if let Some(value) = value {
        props.insert(key.to_owned(), value);
    }
}

/// Tags from any `(key, value)` pairs the SDK gives.
pub fn tag_map<'a>(
    pairs: impl IntoIterator<Item = (Option<&'a str>, Option<&'a str>)>,
) -> BTreeMap<String, String> {
    pairs
        .into_iter()
        .filter_map(|(k, v)| Some((k?.to_owned(), v.unwrap_or_default().to_owned())))
        .collect()
}

/// Tags from the map some SDKs give (API Gateway, EKS).
pub fn hash_tags(
    tags: Option<&std::collections::HashMap<String, String>>,
) -> BTreeMap<String, String> {
    tags.map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default()
}

/// An SDK enum as its wire string (`internet-facing`), or `null`.
pub fn enum_str<T: AsRef<str>>(value: Option<&T>) -> Value {
    value.map_or(Value::Null, |v| Value::String(v.as_ref().to_owned()))
}

/// The id the EC2 collector gives a VPC thing (`arn:aws:ec2:R:A:security-group/sg-1`),
/// so that relations from other services land on the same node.
pub fn ec2_id(ctx: &Ctx, kind: &str, id: &str) -> String {
    ctx.arn("ec2", &format!("{kind}/{id}"))
}

/// The Lambda function an API Gateway integration invokes, from its URI
/// (`arn:aws:apigateway:R:lambda:path/2015-03-31/functions/<function ARN>/invocations`)
/// or a bare function ARN (HTTP API proxy integrations).
pub fn integration_function(uri: &str) -> Option<&str> {
    let function = uri
        .split("/functions/")
        .nth(1)
        .map_or(uri, |rest| rest.trim_end_matches("/invocations"));
    function.starts_with("arn:aws:lambda:").then_some(function)
}
