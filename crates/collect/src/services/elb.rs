//! Classic Elastic Load Balancing: the region's classic load balancers with their
//! listeners (protocols, certificates, the predefined TLS policy each HTTPS/SSL
//! listener uses), access logs, connection draining, cross-zone balancing, desync
//! mitigation, and the instances behind them.
//!
//! Relations: load balancer `uses` its security groups and certificates, `member_of`
//! its subnets, `forwards_to` its instances, `logs_to` its access-log bucket.

use aws_sdk_elasticloadbalancing::Client;
use aws_sdk_elasticloadbalancing::types::LoadBalancerDescription;
use serde_json::{Map, Value, json};

use crate::registry::{Collector, Scope};
use crate::shape::{ec2_id, put, tag_map};
use crate::{Ctx, client, list_all};

pub const COLLECTOR: Collector = Collector {
    service: "elb",
    scope: Scope::Regional,
    actions: &[
        "elasticloadbalancing:DescribeLoadBalancers",
        "elasticloadbalancing:DescribeLoadBalancerAttributes",
        "elasticloadbalancing:DescribeLoadBalancerPolicies",
        "elasticloadbalancing:DescribeTags",
    ],
    run: |ctx| Box::pin(collect(ctx)),
};

const LOAD_BALANCER: &str = "aws.elb.load_balancer";

const GONE: &[&str] = &["LoadBalancerNotFound"];

async fn collect(ctx: Ctx) {
    let client = client!(ctx, aws_sdk_elasticloadbalancing);
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
    ctx.each(balancers, |lb| load_balancer(&ctx, &client, lb))
        .await;
}

async fn load_balancer(
    ctx: &Ctx,
    client: &Client,
    lb: LoadBalancerDescription,
) -> Option<vigil_inventory::Resource> {
    let name = lb.load_balancer_name()?.to_owned();
    let arn = ctx.arn("elasticloadbalancing", &format!("loadbalancer/{name}"));
    let listeners: Vec<Value> = lb
        .listener_descriptions()
        .iter()
        .filter_map(|d| {
            let l = d.listener()?;
            Some(json!({
                "protocol": l.protocol(),
                "port": l.load_balancer_port(),
                "instance_protocol": l.instance_protocol(),
                "instance_port": l.instance_port(),
                "certificate": l.ssl_certificate_id(),
                "policy_names": d.policy_names(),
            }))
        })
        .collect();
    let mut props = Map::new();
    props.insert("name".into(), json!(name));
    props.insert("scheme".into(), json!(lb.scheme()));
    props.insert(
        "internet_facing".into(),
        json!(lb.scheme() == Some("internet-facing")),
    );
    props.insert("vpc_id".into(), json!(lb.vpc_id()));
    props.insert("dns_name".into(), json!(lb.dns_name()));
    props.insert("availability_zones".into(), json!(lb.availability_zones()));
    props.insert("security_groups".into(), json!(lb.security_groups()));
    props.insert(
        "instances".into(),
        json!(
            lb.instances()
                .iter()
                .filter_map(|i| i.instance_id())
                .collect::<Vec<_>>()
        ),
    );
    for l in lb
        .listener_descriptions()
        .iter()
        .filter_map(|d| d.listener())
    {
        if let Some(cert) = l.ssl_certificate_id() {
            ctx.relate(&arn, "uses", cert);
        }
    }
    props.insert("listeners".into(), json!(listeners));
    for sg in lb.security_groups() {
        ctx.relate(&arn, "uses", ec2_id(ctx, "security-group", sg));
    }
    for subnet in lb.subnets() {
        ctx.relate(&arn, "member_of", ec2_id(ctx, "subnet", subnet));
    }
    for instance in lb.instances().iter().filter_map(|i| i.instance_id()) {
        ctx.relate(&arn, "forwards_to", ec2_id(ctx, "instance", instance));
    }
    let (attributes, policies, tags) = futures::join!(
        ctx.detail(
            "elasticloadbalancing:DescribeLoadBalancerAttributes",
            &arn,
            GONE,
            client
                .describe_load_balancer_attributes()
                .load_balancer_name(&name)
                .send(),
        ),
        ctx.detail_value(
            "elasticloadbalancing:DescribeLoadBalancerPolicies",
            &arn,
            GONE,
            client
                .describe_load_balancer_policies()
                .load_balancer_name(&name)
                .send(),
            |out| {
                // The predefined policy an SSL negotiation policy was made from.
                let references: Vec<&str> = out
                    .policy_descriptions()
                    .iter()
                    .flat_map(|p| p.policy_attribute_descriptions())
                    .filter(|a| a.attribute_name() == Some("Reference-Security-Policy"))
                    .filter_map(|a| a.attribute_value())
                    .collect();
                json!(references)
            },
        ),
        ctx.detail(
            "elasticloadbalancing:DescribeTags",
            &arn,
            GONE,
            client.describe_tags().load_balancer_names(&name).send(),
        ),
    );
    if let Ok(Some(out)) = &attributes
        && let Some(a) = out.load_balancer_attributes()
    {
        let log = a.access_log();
        let logging = log.is_some_and(|l| l.enabled());
        props.insert("access_logs_enabled".into(), json!(logging));
        if let Some(bucket) = log.and_then(|l| l.s3_bucket_name()).filter(|_| logging) {
            ctx.relate(&arn, "logs_to", format!("arn:aws:s3:::{bucket}"));
        }
        props.insert(
            "connection_draining".into(),
            json!(a.connection_draining().is_some_and(|c| c.enabled())),
        );
        props.insert(
            "cross_zone".into(),
            json!(a.cross_zone_load_balancing().is_some_and(|c| c.enabled())),
        );
        let additional: Map<String, Value> = a
            .additional_attributes()
            .iter()
            .filter_map(|x| Some((x.key()?.to_owned(), json!(x.value()))))
            .collect();
        props.insert(
            "desync_mitigation_mode".into(),
            additional
                .get("elb.http.desyncmitigationmode")
                .cloned()
                .unwrap_or(json!("defensive")),
        );
    }
    put(&mut props, "tls_reference_policies", policies);
    if let Ok(None) = attributes {
        return None;
    }
    let mut resource = ctx.resource(&arn, LOAD_BALANCER);
    resource.name = Some(name);
    if let Ok(Some(out)) = tags {
        resource.tags = tag_map(
            out.tag_descriptions()
                .iter()
                .flat_map(|d| d.tags())
                .map(|t| (Some(t.key()), t.value())),
        );
    }
    resource.properties = Value::Object(props).into();
    Some(resource)
}
