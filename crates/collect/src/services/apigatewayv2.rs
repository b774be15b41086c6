//! API Gateway HTTP and WebSocket APIs (v2): each API with its routes' authorisation
//! and the Lambda functions its integrations invoke, and each stage with its access
//! logging and default route settings. Stage variables are never stored.
//!
//! Relations: stage `member_of` its API; API `forwards_to` its integration functions.

use aws_sdk_apigatewayv2::Client;
use aws_sdk_apigatewayv2::types::Api;
use serde_json::{Map, Value, json};

use crate::registry::{Collector, Scope};
use crate::shape::{enum_str, hash_tags, integration_function, put};
use crate::{Ctx, client};

pub const COLLECTOR: Collector = Collector {
    service: "apigatewayv2",
    scope: Scope::Regional,
    // API Gateway's management API authorises every read as `apigateway:GET`.
    actions: &["apigateway:GET"],
    run: |ctx| Box::pin(collect(ctx)),
};

const API: &str = "aws.apigatewayv2.api";
const STAGE: &str = "aws.apigatewayv2.stage";

/// Items per page; the listings here have no paginator, so they loop on `next_token`.
const PAGE: &str = "500";

async fn collect(ctx: Ctx) {
    let client = client!(ctx, aws_sdk_apigatewayv2);
    let mut apis = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let Some(out) = ctx
            .list(
                "apigateway:GET",
                &[API, STAGE],
                client
                    .get_apis()
                    .max_results(PAGE)
                    .set_next_token(token.clone())
                    .send(),
            )
            .await
        else {
            return;
        };
        apis.extend(out.items().iter().cloned());
        match out.next_token() {
            Some(next) if !next.is_empty() => token = Some(next.to_owned()),
            _ => break,
        }
    }
    ctx.each(apis, |api| api_resource(&ctx, &client, api)).await;
}

async fn api_resource(ctx: &Ctx, client: &Client, api: Api) -> Option<vigil_inventory::Resource> {
    let id = api.api_id()?.to_owned();
    let arn = format!("arn:aws:apigateway:{}::/apis/{id}", ctx.region);
    let mut props = Map::new();
    props.insert("id".into(), json!(id));
    props.insert("name".into(), json!(api.name()));
    props.insert("protocol_type".into(), enum_str(api.protocol_type()));
    props.insert(
        "execute_api_endpoint_disabled".into(),
        json!(api.disable_execute_api_endpoint()),
    );
    let absent = &["NotFoundException"];
    let (routes, integrations, stages) = futures::join!(
        ctx.detail_value(
            "apigateway:GET",
            &arn,
            absent,
            client.get_routes().api_id(&id).max_results(PAGE).send(),
            |out| {
                json!(
                    out.items()
                        .iter()
                        .map(|r| json!({
                            "route_key": r.route_key(),
                            "authorization_type": enum_str(r.authorization_type()),
                            "api_key_required": r.api_key_required(),
                        }))
                        .collect::<Vec<_>>()
                )
            },
        ),
        ctx.detail(
            "apigateway:GET",
            &arn,
            absent,
            client
                .get_integrations()
                .api_id(&id)
                .max_results(PAGE)
                .send(),
        ),
        ctx.detail(
            "apigateway:GET",
            &arn,
            absent,
            client.get_stages().api_id(&id).max_results(PAGE).send(),
        ),
    );
    put(&mut props, "routes", routes);
    for function in integrations
        .iter()
        .flatten()
        .flat_map(|out| out.items())
        .filter_map(|i| integration_function(i.integration_uri()?))
    {
        ctx.relate(&arn, "forwards_to", function);
    }
    for stage in stages.iter().flatten().flat_map(|out| out.items()) {
        let Some(name) = stage.stage_name() else {
            continue;
        };
        let stage_arn = format!("{arn}/stages/{name}");
        let defaults = stage.default_route_settings();
        ctx.relate(&stage_arn, "member_of", &arn);
        let mut resource = ctx.resource(&stage_arn, STAGE);
        resource.name = Some(format!("{id}/{name}"));
        resource.tags = hash_tags(stage.tags());
        resource.properties = json!({
            "api_id": id,
            "stage_name": name,
            "access_log_destination": stage.access_log_settings().and_then(|a| a.destination_arn()),
            "logging_level": enum_str(defaults.and_then(|d| d.logging_level())),
            "detailed_metrics_enabled": defaults.and_then(|d| d.detailed_metrics_enabled()),
            "client_certificate_id": stage.client_certificate_id(),
            "auto_deploy": stage.auto_deploy(),
        })
        .into();
        ctx.add(resource);
    }
    let mut resource = ctx.resource(&arn, API);
    resource.name = api.name().map(str::to_owned);
    resource.tags = hash_tags(api.tags());
    resource.properties = Value::Object(props).into();
    Some(resource)
}
