//! API Gateway REST APIs: each API (endpoint type, resource policy, whether the default
//! execute-api endpoint is on, methods without authorisation) and each stage (execution
//! and access logging, X-Ray, cache encryption, client certificate, WAF).
//!
//! Relations: stage `member_of` its API; API `forwards_to` the Lambda functions its
//! integrations invoke; stage `protected_by` its web ACL. Stage variables are never
//! stored: they often hold credentials.

use aws_sdk_apigateway::Client;
use aws_sdk_apigateway::types::{Resource as ApiResource, RestApi, Stage};
use serde_json::{Map, Value, json};
use vigil_inventory::Resource;

use crate::registry::{Collector, Scope};
use crate::shape::{hash_tags, integration_function, put};
use crate::{Ctx, client, list_all, policy_document};

pub const COLLECTOR: Collector = Collector {
    service: "apigateway",
    scope: Scope::Regional,
    actions: &["apigateway:GET"],
    run: |ctx| Box::pin(collect(ctx)),
};

const REST_API: &str = "aws.apigateway.rest_api";
const STAGE: &str = "aws.apigateway.stage";

async fn collect(ctx: Ctx) {
    let client = client!(ctx, aws_sdk_apigateway);
    let Some(apis) = list_all!(
        ctx,
        "apigateway:GET",
        &[REST_API, STAGE],
        client.get_rest_apis()
    )
    .await
    else {
        return;
    };
    ctx.each(apis, |api| rest_api(&ctx, &client, api)).await;
}

/// `arn:aws:apigateway:REGION::/restapis/ID`, as IAM and WAF name it.
fn api_arn(ctx: &Ctx, id: &str) -> String {
    format!("arn:aws:apigateway:{}::/restapis/{id}", ctx.region)
}

async fn rest_api(ctx: &Ctx, client: &Client, api: RestApi) -> Option<Resource> {
    let id = api.id()?.to_owned();
    let arn = api_arn(ctx, &id);
    let mut props = Map::new();
    props.insert("id".into(), json!(id));
    props.insert("name".into(), json!(api.name()));
    props.insert(
        "endpoint_types".into(),
        json!(
            api.endpoint_configuration()
                .map(|e| e.types().iter().map(|t| t.as_str()).collect::<Vec<_>>())
                .unwrap_or_default()
        ),
    );
    // The API returns the policy JSON with its quotes escaped.
    props.insert(
        "policy".into(),
        policy_document(api.policy().map(|p| p.replace("\\\"", "\"")).as_deref()),
    );
    props.insert(
        "execute_api_endpoint_disabled".into(),
        json!(api.disable_execute_api_endpoint()),
    );
    let (stages, resources) = futures::join!(
        ctx.detail(
            "apigateway:GET",
            &arn,
            &["NotFoundException"],
            client.get_stages().rest_api_id(&id).send(),
        ),
        ctx.detail(
            "apigateway:GET",
            &arn,
            &["NotFoundException"],
            client
                .get_resources()
                .rest_api_id(&id)
                .embed("methods")
                .into_paginator()
                .items()
                .send()
                .try_collect(),
        ),
    );
    put(
        &mut props,
        "unauthorized_methods",
        resources
            .as_ref()
            .ok()
            .map(|r| json!(open_methods(r.as_deref().unwrap_or(&[])))),
    );
    if let Ok(Some(resources)) = &resources {
        for function in resources.iter().flat_map(integrated_functions) {
            ctx.relate(&arn, "forwards_to", function);
        }
    }
    if let Ok(Some(out)) = stages {
        for stage in out.item() {
            if let Some(resource) = stage_resource(ctx, &arn, &id, stage) {
                ctx.add(resource);
            }
        }
    }
    let mut resource = ctx.resource(&arn, REST_API);
    resource.name = api.name().map(str::to_owned);
    resource.tags = hash_tags(api.tags());
    resource.properties = Value::Object(props).into();
    Some(resource)
}

/// `METHOD /path` of every method that needs neither an authoriser nor an API key.
fn open_methods(resources: &[ApiResource]) -> Vec<String> {
    let mut open: Vec<String> = resources
        .iter()
        .flat_map(|r| {
            r.resource_methods()
                .into_iter()
                .flatten()
                .filter(|(verb, m)| {
                    verb.as_str() != "OPTIONS"
                        && m.authorization_type().unwrap_or("NONE") == "NONE"
                        && !m.api_key_required().unwrap_or(false)
                })
                .map(move |(verb, _)| format!("{verb} {}", r.path().unwrap_or("/")))
        })
        .collect();
    open.sort();
    open
}

/// Lambda functions an API's integrations invoke, from URIs such as
/// `arn:aws:apigateway:R:lambda:path/2015-03-31/functions/<function ARN>/invocations`.
fn integrated_functions(resource: &ApiResource) -> Vec<String> {
    resource
        .resource_methods()
        .into_iter()
        .flatten()
        .filter_map(|(_, m)| m.method_integration()?.uri())
        .filter_map(integration_function)
        .map(str::to_owned)
        .collect()
}

fn stage_resource(ctx: &Ctx, api_arn: &str, api_id: &str, stage: &Stage) -> Option<Resource> {
    let name = stage.stage_name()?;
    let arn = format!("{api_arn}/stages/{name}");
    // `*/*` holds the settings every method inherits.
    let all = stage.method_settings().and_then(|m| m.get("*/*"));
    let props = json!({
        "api_id": api_id,
        "stage_name": name,
        "execution_logging_level": all.and_then(|s| s.logging_level()).unwrap_or("OFF"),
        "data_trace_enabled": all.is_some_and(|s| s.data_trace_enabled()),
        "caching_enabled": all.is_some_and(|s| s.caching_enabled()) || stage.cache_cluster_enabled(),
        "cache_data_encrypted": all.is_some_and(|s| s.cache_data_encrypted()),
        "access_log_destination": stage.access_log_settings().and_then(|a| a.destination_arn()),
        "tracing_enabled": stage.tracing_enabled(),
        "client_certificate_id": stage.client_certificate_id(),
        "web_acl_arn": stage.web_acl_arn(),
    });
    ctx.relate(&arn, "member_of", api_arn);
    if let Some(acl) = stage.web_acl_arn() {
        ctx.relate(&arn, "protected_by", acl);
    }
    let mut resource = ctx.resource(&arn, STAGE);
    resource.name = Some(format!("{api_id}/{name}"));
    resource.tags = hash_tags(stage.tags());
    resource.properties = props.into();
    Some(resource)
}
