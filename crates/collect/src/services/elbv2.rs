//! Elastic Load Balancing v2: application, network and gateway load balancers, with
//! their listeners (protocols, TLS policies, certificates, redirects), the attributes
//! that decide deletion protection, access logs, desync mitigation and invalid-header
//! handling, and the targets each one forwards to.
//!
//! Relations: load balancer `uses` its security groups and listener certificates,
//! `member_of` its subnets, `logs_to` its access-log bucket, `forwards_to` its target
//! instances and functions. WAF associations come from the wafv2 collector
//! (`protected_by`), which asks each web ACL what it protects.

use aws_sdk_elasticloadbalancingv2::Client;
use aws_sdk_elasticloadbalancingv2::types::{Listener, LoadBalancer, TargetGroup};
use serde_json::{Map, Value, json};

use crate::registry::{Collector, Scope};
use crate::shape::{ec2_id, enum_str, put, tag_map};
use crate::{Ctx, client, list_all};

pub const COLLECTOR: Collector = Collector {
    service: "elbv2",
    scope: Scope::Regional,
    actions: &[
        "elasticloadbalancing:DescribeLoadBalancers",
        "elasticloadbalancing:DescribeLoadBalancerAttributes",
        "elasticloadbalancing:DescribeListeners",
        "elasticloadbalancing:DescribeTags",
        "elasticloadbalancing:DescribeTargetGroups",
        "elasticloadbalancing:DescribeTargetHealth",
    ],
    run: |ctx| Box::pin(collect(ctx)),
};

const LOAD_BALANCER: &str = "aws.elbv2.load_balancer";

async fn collect(ctx: Ctx) {
    let client = client!(ctx, aws_sdk_elasticloadbalancingv2);
    let Some(balancers) = list_all!(
        ctx,
        "elasticloadbalancing:DescribeLoadBalancers",
        &[LOAD_BALANCER],
        client.describe_load_balancers()
    )
    .await
    else {
        return;
    };
    if balancers.is_empty() {
        return;
    }
    // Targets are found from the target groups (one listing for the region), so the
    // relations do not cost a call per load balancer.
    if let Some(groups) = list_all!(
        ctx,
        "elasticloadbalancing:DescribeTargetGroups",
        &[],
        client.describe_target_groups()
    )
    .await
    {
        ctx.each(groups, |group| targets(&ctx, &client, group))
            .await;
    }
    ctx.each(balancers, |lb| load_balancer(&ctx, &client, lb))
        .await;
}

async fn load_balancer(
    ctx: &Ctx,
    client: &Client,
    lb: LoadBalancer,
) -> Option<vigil_inventory::Resource> {
    let arn = lb.load_balancer_arn()?.to_owned();
    let mut props = Map::new();
    props.insert("arn".into(), json!(arn));
    props.insert("name".into(), json!(lb.load_balancer_name()));
    props.insert("type".into(), enum_str(lb.r#type()));
    props.insert("scheme".into(), enum_str(lb.scheme()));
    props.insert(
        "internet_facing".into(),
        json!(lb.scheme().map(|s| s.as_str()) == Some("internet-facing")),
    );
    props.insert("vpc_id".into(), json!(lb.vpc_id()));
    props.insert("dns_name".into(), json!(lb.dns_name()));
    props.insert("security_groups".into(), json!(lb.security_groups()));
    let zones: Vec<&str> = lb
        .availability_zones()
        .iter()
        .filter_map(|z| z.zone_name())
        .collect();
    props.insert("availability_zones".into(), json!(zones));
    for sg in lb.security_groups() {
        ctx.relate(&arn, "uses", ec2_id(ctx, "security-group", sg));
    }
    for zone in lb.availability_zones() {
        if let Some(subnet) = zone.subnet_id() {
            ctx.relate(&arn, "member_of", ec2_id(ctx, "subnet", subnet));
        }
    }
    let (attributes, listeners, tags) = futures::join!(
        ctx.detail_value(
            "elasticloadbalancing:DescribeLoadBalancerAttributes",
            &arn,
            &[],
            client
                .describe_load_balancer_attributes()
                .load_balancer_arn(&arn)
                .send(),
            |out| {
                let map: Map<String, Value> = out
                    .attributes()
                    .iter()
                    .filter_map(|a| Some((a.key()?.to_owned(), json!(a.value()))))
                    .collect();
                Value::Object(map)
            },
        ),
        ctx.detail_value(
            "elasticloadbalancing:DescribeListeners",
            &arn,
            &[],
            client
                .describe_listeners()
                .load_balancer_arn(&arn)
                .into_paginator()
                .items()
                .send()
                .try_collect(),
            |listeners: Vec<Listener>| json!(listeners.iter().map(listener).collect::<Vec<_>>()),
        ),
        ctx.detail(
            "elasticloadbalancing:DescribeTags",
            &arn,
            &[],
            client.describe_tags().resource_arns(&arn).send(),
        ),
    );
    if let Some(Value::Object(attrs)) = &attributes
        && attrs.get("access_logs.s3.enabled").and_then(Value::as_str) == Some("true")
        && let Some(bucket) = attrs.get("access_logs.s3.bucket").and_then(Value::as_str)
    {
        ctx.relate(&arn, "logs_to", format!("arn:aws:s3:::{bucket}"));
    }
    if let Some(Value::Array(listeners)) = &listeners {
        for cert in listeners
            .iter()
            .flat_map(|l| l["certificates"].as_array().cloned().unwrap_or_default())
        {
            if let Some(cert) = cert.as_str() {
                ctx.relate(&arn, "uses", cert);
            }
        }
    }
    put(&mut props, "attributes", attributes);
    put(&mut props, "listeners", listeners);
    let mut resource = ctx.resource(&arn, LOAD_BALANCER);
    resource.name = lb.load_balancer_name().map(str::to_owned);
    if let Ok(Some(out)) = tags {
        resource.tags = tag_map(
            out.tag_descriptions()
                .iter()
                .flat_map(|d| d.tags())
                .map(|t| (t.key(), t.value())),
        );
    }
    resource.properties = Value::Object(props).into();
    Some(resource)
}

/// A listener as rules read it: port, protocol, TLS policy, certificate ARNs and what
/// its default actions do (a redirect keeps its target protocol).
fn listener(l: &Listener) -> Value {
    let actions: Vec<Value> = l
        .default_actions()
        .iter()
        .map(|a| {
            json!({
                "type": enum_str(a.r#type()),
                "redirect_protocol": a.redirect_config().and_then(|r| r.protocol()),
            })
        })
        .collect();
    json!({
        "arn": l.listener_arn(),
        "port": l.port(),
        "protocol": enum_str(l.protocol()),
        "ssl_policy": l.ssl_policy(),
        "certificates": l.certificates().iter().filter_map(|c| c.certificate_arn()).collect::<Vec<_>>(),
        "default_actions": actions,
    })
}

/// `forwards_to` relations from each load balancer of a target group to its targets
/// (instances by their EC2 id, functions by ARN; IP targets have no node).
async fn targets(
    ctx: &Ctx,
    client: &Client,
    group: TargetGroup,
) -> Option<vigil_inventory::Resource> {
    let arn = group.target_group_arn()?;
    let kind = group.target_type().map(|t| t.as_str().to_owned());
    let health = ctx
        .detail(
            "elasticloadbalancing:DescribeTargetHealth",
            arn,
            &["TargetGroupNotFound"],
            client.describe_target_health().target_group_arn(arn).send(),
        )
        .await;
    let Ok(Some(health)) = health else {
        return None;
    };
    for target in health
        .target_health_descriptions()
        .iter()
        .filter_map(|d| d.target()?.id())
    {
        let to = match kind.as_deref() {
            Some("instance") => ec2_id(ctx, "instance", target),
            Some("lambda") => target.to_owned(),
            _ => continue,
        };
        for lb in group.load_balancer_arns() {
            ctx.relate(lb, "forwards_to", to.clone());
        }
    }
    None
}
