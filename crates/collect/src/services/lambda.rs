//! lambda collector: the region's functions with their resource policy, function URL
//! and execution role. Environment variables are reduced to their names: their values
//! often hold credentials and are never stored.

use std::collections::BTreeMap;

use aws_sdk_lambda::operation::get_function_url_config::GetFunctionUrlConfigOutput;
use aws_sdk_lambda::operation::list_tags::ListTagsOutput;
use aws_sdk_lambda::types::{Cors, FunctionConfiguration};
use futures::StreamExt;
use serde_json::{Map, Value, json};

use crate::registry::{Collector, Scope};
use crate::{Ctx, client, policy_document};

pub const COLLECTOR: Collector = Collector {
    service: "lambda",
    scope: Scope::Regional,
    actions: &[
        "lambda:ListFunctions",
        "lambda:GetPolicy",
        "lambda:GetFunctionUrlConfig",
        "lambda:ListTags",
    ],
    run: |ctx| Box::pin(collect(ctx)),
};

const FUNCTION: &str = "aws.lambda.function";

/// Functions whose policy, URL and tags are read at once.
const FUNCTION_CONCURRENCY: usize = 4;

/// "No resource policy" and "no function URL".
const NOT_FOUND: &[&str] = &["ResourceNotFoundException"];

async fn collect(ctx: Ctx) {
    let client = client!(ctx, aws_sdk_lambda);
    let listed = client
        .list_functions()
        .into_paginator()
        .items()
        .send()
        .try_collect();
    let Some(functions) = ctx.list("lambda:ListFunctions", &[FUNCTION], listed).await else {
        return;
    };
    futures::stream::iter(functions)
        .map(|function| collect_function(&ctx, &client, function))
        .buffer_unordered(FUNCTION_CONCURRENCY)
        .collect::<Vec<()>>()
        .await;
}

async fn collect_function(
    ctx: &Ctx,
    client: &aws_sdk_lambda::Client,
    function: FunctionConfiguration,
) {
    let Some(arn) = function.function_arn() else {
        return;
    };
    let mut props = function_properties(&function);
    let (policy, url, tags) = futures::join!(
        ctx.detail(
            "lambda:GetPolicy",
            arn,
            NOT_FOUND,
            client.get_policy().function_name(arn).send()
        ),
        ctx.detail(
            "lambda:GetFunctionUrlConfig",
            arn,
            NOT_FOUND,
            client.get_function_url_config().function_name(arn).send()
        ),
        // An untagged function answers an empty map: no "not found" code means
        // "no tags" here, so any error is a gap.
        ctx.detail(
            "lambda:ListTags",
            arn,
            &[],
            client.list_tags().resource(arn).send()
        ),
    );
    if let Ok(policy) = policy {
        props.insert(
            "policy".into(),
            policy.map_or(Value::Null, |p| policy_document(p.policy())),
        );
    }
    if let Ok(url) = url {
        props.insert(
            "url_config".into(),
            url.as_ref().map_or(Value::Null, url_config),
        );
    }
    if let Some(role) = function.role() {
        ctx.relate(arn, "uses", role);
    }
    let mut resource = ctx.resource(arn, FUNCTION);
    resource.name = function.function_name().map(str::to_owned);
    // A failed read (gap recorded) leaves the tags empty.
    if let Ok(Some(tags)) = tags {
        resource.tags = function_tags(&tags);
    }
    resource.properties = Value::Object(props).into();
    ctx.add(resource);
}

/// What ListFunctions tells: identity, runtime (null for container images), role,
/// network and tracing, and the names (only) of environment variables, sorted.
fn function_properties(function: &FunctionConfiguration) -> Map<String, Value> {
    let mut variables: Vec<&str> = function
        .environment()
        .and_then(|e| e.variables())
        .map(|vars| vars.keys().map(String::as_str).collect())
        .unwrap_or_default();
    variables.sort_unstable();
    let vpc_id = function
        .vpc_config()
        .and_then(|v| v.vpc_id())
        .filter(|v| !v.is_empty());
    let mut props = Map::new();
    props.insert("function_arn".into(), function.function_arn().into());
    props.insert("function_name".into(), function.function_name().into());
    props.insert(
        "runtime".into(),
        function.runtime().map(|r| r.as_str()).into(),
    );
    props.insert("role".into(), function.role().into());
    props.insert("environment_variable_names".into(), variables.into());
    props.insert("vpc_id".into(), vpc_id.into());
    props.insert(
        "tracing_mode".into(),
        function
            .tracing_config()
            .and_then(|t| t.mode())
            .map(|m| m.as_str())
            .into(),
    );
    props
}

fn function_tags(out: &ListTagsOutput) -> BTreeMap<String, String> {
    out.tags()
        .map(|tags| tags.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default()
}

fn url_config(url: &GetFunctionUrlConfigOutput) -> Value {
    json!({
        "auth_type": url.auth_type().as_str(),
        "cors": url.cors().map(cors),
    })
}

fn cors(cors: &Cors) -> Value {
    json!({
        "allow_origins": cors.allow_origins(),
        "allow_methods": cors.allow_methods(),
        "allow_headers": cors.allow_headers(),
        "expose_headers": cors.expose_headers(),
        "allow_credentials": cors.allow_credentials(),
        "max_age": cors.max_age(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_lambda::types::{
        EnvironmentResponse, FunctionUrlAuthType, Runtime, TracingConfigResponse, TracingMode,
        VpcConfigResponse,
    };

    const ARN: &str = "arn:aws:lambda:us-east-1:111122223333:function:thumbnailer";
    const ROLE: &str = "arn:aws:iam::111122223333:role/lambda-exec";

    #[test]
    fn function_keeps_variable_names_never_values() {
        let function = FunctionConfiguration::builder()
            .function_arn(ARN)
            .function_name("thumbnailer")
            .runtime(Runtime::Python312)
            .role(ROLE)
            .environment(
                EnvironmentResponse::builder()
                    .variables("DB_PASSWORD", "hunter2")
                    .variables("BUCKET", "images")
                    .build(),
            )
            .vpc_config(VpcConfigResponse::builder().vpc_id("vpc-1").build())
            .tracing_config(
                TracingConfigResponse::builder()
                    .mode(TracingMode::Active)
                    .build(),
            )
            .build();
        let props = Value::Object(function_properties(&function));
        assert_eq!(
            props,
            json!({
                "function_arn": ARN,
                "function_name": "thumbnailer",
                "runtime": "python3.12",
                "role": ROLE,
                "environment_variable_names": ["BUCKET", "DB_PASSWORD"],
                "vpc_id": "vpc-1",
                "tracing_mode": "Active",
            })
        );
        assert!(!props.to_string().contains("hunter2"));
    }

    #[test]
    fn image_function_outside_a_vpc_has_nulls() {
        let function = FunctionConfiguration::builder()
            .function_arn(ARN)
            .vpc_config(VpcConfigResponse::builder().vpc_id("").build())
            .build();
        let props = Value::Object(function_properties(&function));
        assert_eq!(props["runtime"], Value::Null);
        assert_eq!(props["vpc_id"], Value::Null);
        assert_eq!(props["environment_variable_names"], json!([]));
    }

    #[test]
    fn url_config_has_auth_type_and_cors() -> Result<(), Box<dyn std::error::Error>> {
        let url = GetFunctionUrlConfigOutput::builder()
            .function_url("https://abc.lambda-url.us-east-1.on.aws/")
            .function_arn(ARN)
            .auth_type(FunctionUrlAuthType::None)
            .cors(
                Cors::builder()
                    .allow_origins("*")
                    .allow_methods("GET")
                    .build(),
            )
            .creation_time("2026-01-01T00:00:00Z")
            .last_modified_time("2026-01-01T00:00:00Z")
            .build()?;
        let config = url_config(&url);
        assert_eq!(config["auth_type"], "NONE");
        assert_eq!(config["cors"]["allow_origins"], json!(["*"]));
        assert_eq!(config["cors"]["allow_methods"], json!(["GET"]));
        Ok(())
    }

    #[test]
    fn tags_become_a_sorted_map() {
        let out = ListTagsOutput::builder()
            .tags("owner", "team-a")
            .tags("cost-center", "42")
            .build();
        assert_eq!(
            function_tags(&out).into_iter().collect::<Vec<_>>(),
            vec![
                ("cost-center".to_owned(), "42".to_owned()),
                ("owner".to_owned(), "team-a".to_owned()),
            ]
        );
        assert!(function_tags(&ListTagsOutput::builder().build()).is_empty());
    }
}
