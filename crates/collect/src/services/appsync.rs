//! AWS AppSync: the region's GraphQL APIs with their authentication modes, field-level
//! logging, WAF association, X-Ray, and the encryption of their cache. Schemas,
//! resolvers and API key values are never read.
//!
//! One paginated listing (ListGraphqlApis), which carries everything but the cache; one
//! GetApiCache per API (`NotFoundException` means the API has no cache: `cache` is
//! null). A failed cache read is a gap on the API, which then has no `cache` property.
//!
//! Relations: API `protected_by` its web ACL, `uses` its logging role.

use aws_sdk_appsync::Client;
use aws_sdk_appsync::types::GraphqlApi;
use serde_json::{Map, Value, json};
use vigil_inventory::Resource;

use crate::registry::{Collector, Scope};
use crate::shape::{enum_str, hash_tags, put};
use crate::{Ctx, client, list_all};

pub const COLLECTOR: Collector = Collector {
    service: "appsync",
    scope: Scope::Regional,
    actions: &["appsync:ListGraphqlApis", "appsync:GetApiCache"],
    run: |ctx| Box::pin(collect(ctx)),
};

const API: &str = "aws.appsync.graphql_api";

async fn collect(ctx: Ctx) {
    let client = client!(ctx, aws_sdk_appsync);
    let Some(apis) = list_all!(
        ctx,
        "appsync:ListGraphqlApis",
        &[API],
        client.list_graphql_apis()
    )
    .await
    else {
        return;
    };
    ctx.each(apis, |api| graphql_api(&ctx, &client, api)).await;
}

async fn graphql_api(ctx: &Ctx, client: &Client, api: GraphqlApi) -> Option<Resource> {
    let (id, arn) = (api.api_id()?, api.arn()?);
    let cache = ctx
        .detail_value(
            "appsync:GetApiCache",
            arn,
            &["NotFoundException"],
            client.get_api_cache().api_id(id).send(),
            |out| {
                out.api_cache().map_or(Value::Null, |c| {
                    json!({
                        "status": enum_str(c.status()),
                        "at_rest_encryption": c.at_rest_encryption_enabled(),
                        "transit_encryption": c.transit_encryption_enabled(),
                    })
                })
            },
        )
        .await;
    let mut modes: Vec<&str> = api
        .authentication_type()
        .map(|a| a.as_str())
        .into_iter()
        .collect();
    modes.extend(
        api.additional_authentication_providers()
            .iter()
            .filter_map(|p| p.authentication_type().map(|a| a.as_str())),
    );
    let log = api.log_config();
    if let Some(acl) = api.waf_web_acl_arn() {
        ctx.relate(arn, "protected_by", acl);
    }
    if let Some(role) = log
        .map(|l| l.cloud_watch_logs_role_arn())
        .filter(|r| !r.is_empty())
    {
        ctx.relate(arn, "uses", role);
    }
    let mut props = Map::new();
    props.insert("id".into(), json!(id));
    props.insert("arn".into(), json!(arn));
    props.insert("name".into(), json!(api.name()));
    props.insert("api_type".into(), enum_str(api.api_type()));
    props.insert("authentication_types".into(), json!(modes));
    // No log configuration: field-level logging is off (`NONE`).
    props.insert(
        "field_log_level".into(),
        log.map_or(json!("NONE"), |l| json!(l.field_log_level().as_str())),
    );
    props.insert("waf_web_acl_arn".into(), json!(api.waf_web_acl_arn()));
    props.insert("xray_enabled".into(), json!(api.xray_enabled()));
    props.insert("visibility".into(), enum_str(api.visibility()));
    put(&mut props, "cache", cache);
    let mut resource = ctx.resource(arn, API);
    resource.name = api.name().map(str::to_owned);
    resource.tags = hash_tags(api.tags());
    resource.properties = Value::Object(props).into();
    Some(resource)
}
