//! WAFv2: the region's web ACLs (and, in us-east-1, the CloudFront-scoped ones) with
//! their rules, default action and logging, and what each protects.
//!
//! Relations: each protected load balancer or API stage `protected_by` the web ACL
//! (CloudFront distributions name their web ACL themselves).

use aws_sdk_wafv2::Client;
use aws_sdk_wafv2::types::{ResourceType, Scope as WafScope, WebAclSummary};
use serde_json::{Map, Value, json};

use crate::registry::{Collector, Scope};
use crate::shape::put;
use crate::{Ctx, client};

pub const COLLECTOR: Collector = Collector {
    service: "wafv2",
    scope: Scope::Regional,
    actions: &[
        "wafv2:ListWebACLs",
        "wafv2:GetWebACL",
        "wafv2:GetLoggingConfiguration",
        "wafv2:ListResourcesForWebACL",
    ],
    run: |ctx| Box::pin(collect(ctx)),
};

const WEB_ACL: &str = "aws.wafv2.web_acl";

async fn collect(ctx: Ctx) {
    let client = client!(ctx, aws_sdk_wafv2);
    let mut scopes = vec![WafScope::Regional];
    if ctx.region == "us-east-1" {
        scopes.push(WafScope::Cloudfront);
    }
    for scope in scopes {
        let Some(acls) = list(&ctx, &client, scope.clone()).await else {
            continue;
        };
        ctx.each(acls, |acl| web_acl(&ctx, &client, scope.clone(), acl))
            .await;
    }
}

/// Every web ACL of a scope, page by page (the listing has no paginator).
async fn list(ctx: &Ctx, client: &Client, scope: WafScope) -> Option<Vec<WebAclSummary>> {
    let mut all = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let out = ctx
            .list(
                "wafv2:ListWebACLs",
                &[WEB_ACL],
                client
                    .list_web_acls()
                    .scope(scope.clone())
                    .limit(100)
                    .set_next_marker(marker.clone())
                    .send(),
            )
            .await?;
        all.extend(out.web_acls().iter().cloned());
        match out
            .next_marker()
            .filter(|m| !m.is_empty() && out.web_acls().len() == 100)
        {
            Some(next) => marker = Some(next.to_owned()),
            None => return Some(all),
        }
    }
}

async fn web_acl(
    ctx: &Ctx,
    client: &Client,
    scope: WafScope,
    acl: WebAclSummary,
) -> Option<vigil_inventory::Resource> {
    let (arn, name, id) = (
        acl.arn()?.to_owned(),
        acl.name()?.to_owned(),
        acl.id()?.to_owned(),
    );
    let mut props = Map::new();
    props.insert("name".into(), json!(name));
    props.insert("scope".into(), json!(scope.as_str()));
    let (detail, logging) = futures::join!(
        ctx.detail_value(
            "wafv2:GetWebACL",
            &arn,
            &["WAFNonexistentItemException"],
            client.get_web_acl().name(&name).id(&id).scope(scope.clone()).send(),
            |out| {
                let acl = out.web_acl();
                json!({
                    "rule_count": acl.map_or(0, |a| a.rules().len()),
                    "rule_names": acl.map(|a| a.rules().iter().map(|r| r.name()).collect::<Vec<_>>()),
                    "default_action": acl.and_then(|a| a.default_action()).map(|d| if d.block().is_some() { "BLOCK" } else { "ALLOW" }),
                    "metrics_enabled": acl.and_then(|a| a.visibility_config()).map(|v| v.cloud_watch_metrics_enabled()),
                })
            },
        ),
        ctx.detail_value(
            "wafv2:GetLoggingConfiguration",
            &arn,
            &["WAFNonexistentItemException"],
            client.get_logging_configuration().resource_arn(&arn).send(),
            |out| json!(out.logging_configuration().map(|l| l.log_destination_configs())),
        ),
    );
    if let Some(Value::Object(d)) = detail {
        props.extend(d);
    }
    put(&mut props, "log_destinations", logging);
    if scope == WafScope::Regional {
        for kind in [
            ResourceType::ApplicationLoadBalancer,
            ResourceType::ApiGateway,
        ] {
            let protected = ctx
                .call(
                    "wafv2:ListResourcesForWebACL",
                    client
                        .list_resources_for_web_acl()
                        .web_acl_arn(&arn)
                        .resource_type(kind)
                        .send(),
                )
                .await;
            match protected {
                Ok(out) => {
                    for resource in out.resource_arns() {
                        ctx.relate(resource, "protected_by", &arn);
                    }
                }
                // Without the associations, "this load balancer has no web ACL" cannot
                // be said: the region's web ACLs are incomplete as a graph, so rules
                // that follow `protected_by` to them report ERROR.
                Err(err) if err.code != "WAFNonexistentItemException" => {
                    ctx.gap_types("wafv2:ListResourcesForWebACL", &[WEB_ACL], &err);
                }
                Err(_) => {}
            }
        }
    }
    let mut resource = ctx.resource(&arn, WEB_ACL);
    resource.name = Some(name);
    resource.properties = Value::Object(props).into();
    Some(resource)
}
