//! The context one collector runs in: one account, one region, the shared SDK
//! configuration, and the output it adds resources, relations and gaps to.

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::future::Future;
use std::sync::{Arc, Mutex};

use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use aws_types::SdkConfig;
use serde_json::Value;
use vigil_inventory::{Gap, Relation, Resource};

use crate::calls::{CallError, CallStats, Recorder, THROTTLING_CODES, classify};

/// What all collectors of one scan add to.
#[derive(Debug, Default)]
pub(crate) struct Output {
    pub resources: Vec<Resource>,
    pub relations: Vec<Relation>,
    pub gaps: Vec<Gap>,
    /// Properties of the `aws.account` node, which several collectors contribute to.
    pub account: serde_json::Map<String, Value>,
    /// Properties of each `aws.region` node, by region.
    pub regions: BTreeMap<String, serde_json::Map<String, Value>>,
    pub throttled: u64,
}

/// Shared by every context of a scan.
#[derive(Debug, Default)]
pub(crate) struct Shared {
    pub output: Mutex<Output>,
    pub recorder: Recorder,
    pub stats: CallStats,
    /// Custom endpoints (LocalStack) need S3 path-style addressing.
    pub s3_path_style: bool,
}

/// One collector's view: account, region, configuration and output.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub account: String,
    /// The region calls go to; for global services, the scan's home region.
    pub region: String,
    sdk: SdkConfig,
    pub(crate) shared: Arc<Shared>,
}

impl Ctx {
    pub(crate) fn new(account: String, region: String, sdk: SdkConfig, shared: Arc<Shared>) -> Ctx {
        Ctx {
            account,
            region,
            sdk,
            shared,
        }
    }

    pub fn sdk(&self) -> &SdkConfig {
        &self.sdk
    }

    /// The interceptor every client must carry (see [`client!`](crate::client)).
    pub fn recorder(&self) -> Recorder {
        self.shared.recorder.clone()
    }

    pub fn s3_path_style(&self) -> bool {
        self.shared.s3_path_style
    }

    /// Runs one call (or one paginated listing) and classifies its error.
    pub async fn call<T, E, R, F>(&self, action: &'static str, fut: F) -> Result<T, CallError>
    where
        F: Future<Output = Result<T, SdkError<E, R>>>,
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: Debug,
    {
        match fut.await {
            Ok(value) => {
                self.shared.stats.record(action, "ok");
                Ok(value)
            }
            Err(err) => {
                let err = classify(err);
                self.shared.stats.record(action, &err.code);
                if THROTTLING_CODES.contains(&err.code.as_str()) {
                    self.shared.output.lock().expect("output lock").throttled += 1;
                }
                tracing::debug!(action, account = %self.account, region = %self.region, code = %err.code, "call failed");
                Err(err)
            }
        }
    }

    /// A listing call: on error, records a gap over `types` in this scope and returns
    /// `None`, so that rules over those types report ERROR rather than PASS.
    pub async fn list<T, E, R, F>(&self, action: &'static str, types: &[&str], fut: F) -> Option<T>
    where
        F: Future<Output = Result<T, SdkError<E, R>>>,
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: Debug,
    {
        match self.call(action, fut).await {
            Ok(value) => Some(value),
            Err(err) => {
                self.gap_types(action, types, &err);
                None
            }
        }
    }

    /// A listing whose every item becomes a resource through `add`: the shape most
    /// collectors share. A failed listing is a gap over `types`, as with [`Ctx::list`].
    pub async fn list_each<I, E, R, F>(
        &self,
        action: &'static str,
        types: &[&str],
        fut: F,
        add: impl FnMut(&I),
    ) where
        F: Future<Output = Result<Vec<I>, SdkError<E, R>>>,
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: Debug,
    {
        if let Some(items) = self.list(action, types, fut).await {
            items.iter().for_each(add);
        }
    }

    /// A detail call about one resource: `Ok(Some)` the answer, `Ok(None)` when the
    /// error code is one of `absent` (the thing was looked for and is not there),
    /// `Err` otherwise, after recording a resource-level gap. The caller leaves the
    /// property out on `Err`, so rules reading it report ERROR.
    pub async fn detail<T, E, R, F>(
        &self,
        action: &'static str,
        resource: &str,
        absent: &[&str],
        fut: F,
    ) -> Result<Option<T>, CallError>
    where
        F: Future<Output = Result<T, SdkError<E, R>>>,
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: Debug,
    {
        match self.call(action, fut).await {
            Ok(value) => Ok(Some(value)),
            Err(err) if absent.contains(&err.code.as_str()) => Ok(None),
            Err(err) => {
                self.gap_resource(action, resource, &err);
                Err(err)
            }
        }
    }

    /// A gap in this scope: over `types` (a listing) or over one `resource` (a detail).
    fn push_gap(&self, action: &str, types: &[&str], resource: Option<&str>, err: &CallError) {
        let (service, operation) = match action.split_once(':') {
            Some((s, o)) => (s.to_owned(), o.to_owned()),
            None => (String::new(), action.to_owned()),
        };
        self.shared
            .output
            .lock()
            .expect("output lock")
            .gaps
            .push(Gap {
                service,
                operation,
                account: self.account.clone(),
                region: self.region.clone(),
                resource_types: types.iter().map(|t| (*t).to_owned()).collect(),
                resource: resource.map(str::to_owned),
                error_code: err.code.clone(),
                message: err.message.clone(),
            });
    }

    /// Records that the list of `types` in this scope is incomplete.
    pub fn gap_types(&self, action: &str, types: &[&str], err: &CallError) {
        tracing::warn!(action, account = %self.account, region = %self.region, code = %err.code, "not collected");
        self.push_gap(action, types, None, err);
    }

    /// Records that a detail of one resource could not be collected.
    pub fn gap_resource(&self, action: &str, resource: &str, err: &CallError) {
        tracing::info!(action, resource, code = %err.code, "detail not collected");
        self.push_gap(action, &[], Some(resource), err);
    }

    /// Records a type-level gap that no failed call caused: a known limit of this scope
    /// (a member account cannot read its organization's policies), under a code of
    /// Vigil's own. Logged at debug level: it is expected, not a problem to warn about.
    pub(crate) fn gap_by_design(&self, action: &str, types: &[&str], code: &str, message: String) {
        tracing::debug!(action, account = %self.account, code, "not collectable in this scope");
        let err = CallError {
            code: code.to_owned(),
            message,
        };
        self.push_gap(action, types, None, &err);
    }

    pub fn add(&self, resource: Resource) {
        self.shared
            .output
            .lock()
            .expect("output lock")
            .resources
            .push(resource);
    }

    pub fn relate(&self, from: impl Into<String>, kind: &str, to: impl Into<String>) {
        self.shared
            .output
            .lock()
            .expect("output lock")
            .relations
            .push(Relation::new(from, kind, to));
    }

    /// Sets a property of the account node.
    pub fn set_account(&self, key: &str, value: Value) {
        self.shared
            .output
            .lock()
            .expect("output lock")
            .account
            .insert(key.to_owned(), value);
    }

    /// Sets a property of this region's node.
    pub fn set_region(&self, key: &str, value: Value) {
        self.shared
            .output
            .lock()
            .expect("output lock")
            .regions
            .entry(self.region.clone())
            .or_default()
            .insert(key.to_owned(), value);
    }

    /// A new resource in this account and region.
    pub fn resource(&self, id: impl Into<String>, resource_type: &str) -> Resource {
        Resource::new(id, resource_type, &self.account, &self.region)
    }

    /// A new resource of a global service (region `global`).
    pub fn global_resource(&self, id: impl Into<String>, resource_type: &str) -> Resource {
        Resource::new(
            id,
            resource_type,
            &self.account,
            vigil_inventory::GLOBAL_REGION,
        )
    }

    /// `arn:aws:<service>:<region>:<account>:<rest>`.
    pub fn arn(&self, service: &str, rest: &str) -> String {
        format!("arn:aws:{service}:{}:{}:{rest}", self.region, self.account)
    }
}

/// Every item of a paginated listing through [`Ctx::list`]: a failed page records a gap
/// over the types and gives `None`, so rules over them report ERROR, never an empty list.
/// `list_all!(ctx, "logs:DescribeLogGroups", &[LOG_GROUP], client.describe_log_groups())`
#[macro_export]
macro_rules! list_all {
    ($ctx:expr, $action:literal, $types:expr, $request:expr) => {
        $ctx.list(
            $action,
            $types,
            $request.into_paginator().items().send().try_collect(),
        )
    };
}

/// Builds a service client from the context's configuration, with the call recorder
/// and the classifier that stops retries of answers that cannot change.
#[macro_export]
macro_rules! client {
    ($ctx:expr, $sdk:ident) => {
        $sdk::Client::from_conf(
            $sdk::config::Builder::from($ctx.sdk())
                .interceptor($ctx.recorder())
                .retry_classifier($crate::FinalErrors)
                .build(),
        )
    };
}

/// Timestamps as RFC 3339 strings in UTC.
pub fn time(t: Option<&aws_smithy_types::DateTime>) -> Value {
    match t.and_then(|t| t.fmt(aws_smithy_types::date_time::Format::DateTime).ok()) {
        Some(s) => Value::String(s),
        None => Value::Null,
    }
}

/// A policy document as IAM and resource APIs return it (JSON text, URL-encoded by IAM)
/// turned into a JSON object; unparsable text is kept as a string so rules report ERROR.
pub fn policy_document(text: Option<&str>) -> Value {
    let Some(text) = text else {
        return Value::Null;
    };
    let decoded = if text.trim_start().starts_with('%') {
        percent_encoding::percent_decode_str(text)
            .decode_utf8_lossy()
            .into_owned()
    } else {
        text.to_owned()
    };
    serde_json::from_str(&decoded).unwrap_or(Value::String(decoded))
}
