//! CloudFront (global): distributions with their viewer and origin protocol policies,
//! minimum TLS version, origin access control, WAF, logging and default root object.
//!
//! Relations: distribution `forwards_to` its S3 origin buckets (by name: a bucket that
//! no longer exists leaves a dangling edge that a rule can see), `uses` its ACM
//! certificate, `protected_by` its WAFv2 web ACL, `logs_to` its log bucket.

use aws_sdk_cloudfront::Client;
use aws_sdk_cloudfront::types::{DistributionSummary, Origin};
use serde_json::{Map, Value, json};

use crate::registry::{Collector, Scope};
use crate::{Ctx, client, list_all};

pub const COLLECTOR: Collector = Collector {
    service: "cloudfront",
    scope: Scope::Global,
    actions: &[
        "cloudfront:ListDistributions",
        "cloudfront:GetDistributionConfig",
    ],
    run: |ctx| Box::pin(collect(ctx)),
};

const DISTRIBUTION: &str = "aws.cloudfront.distribution";

async fn collect(ctx: Ctx) {
    let client = client!(ctx, aws_sdk_cloudfront);
    let Some(distributions) = list_all!(
        ctx,
        "cloudfront:ListDistributions",
        &[DISTRIBUTION],
        client.list_distributions()
    )
    .await
    else {
        return;
    };
    ctx.each(distributions, |d| distribution(&ctx, &client, d))
        .await;
}

/// The bucket an S3 origin's domain names (`b.s3.amazonaws.com`,
/// `b.s3.eu-west-1.amazonaws.com`, `b.s3-website-…`), if it is one.
fn origin_bucket(origin: &Origin) -> Option<&str> {
    let domain = origin.domain_name();
    let (bucket, rest) = domain.split_once(".s3")?;
    (rest.ends_with(".amazonaws.com") && !bucket.is_empty()).then_some(bucket)
}

fn origin(o: &Origin) -> Value {
    let custom = o.custom_origin_config();
    json!({
        "id": o.id(),
        "domain_name": o.domain_name(),
        "s3_bucket": origin_bucket(o),
        "origin_access_control_id": o.origin_access_control_id().filter(|s| !s.is_empty()),
        "origin_access_identity": o.s3_origin_config().map(|s| s.origin_access_identity()).filter(|s| !s.is_empty()),
        "origin_protocol_policy": custom.map(|c| c.origin_protocol_policy().as_str()),
        "origin_ssl_protocols": custom
            .and_then(|c| c.origin_ssl_protocols())
            .map(|p| p.items().iter().map(|x| x.as_str()).collect::<Vec<_>>()),
    })
}

async fn distribution(
    ctx: &Ctx,
    client: &Client,
    d: DistributionSummary,
) -> Option<vigil_inventory::Resource> {
    let arn = d.arn().to_owned();
    let origins: Vec<&Origin> = d
        .origins()
        .map(|o| o.items().iter().collect())
        .unwrap_or_default();
    let mut viewer_policies: Vec<&str> = d
        .default_cache_behavior()
        .map(|b| b.viewer_protocol_policy().as_str())
        .into_iter()
        .collect();
    viewer_policies.extend(
        d.cache_behaviors()
            .map(|c| c.items())
            .unwrap_or_default()
            .iter()
            .map(|b| b.viewer_protocol_policy().as_str()),
    );
    let cert = d.viewer_certificate();
    let mut props = Map::new();
    props.insert("id".into(), json!(d.id()));
    props.insert("domain_name".into(), json!(d.domain_name()));
    props.insert("enabled".into(), json!(d.enabled()));
    props.insert(
        "aliases".into(),
        json!(d.aliases().map(|a| a.items()).unwrap_or_default()),
    );
    props.insert("viewer_protocol_policies".into(), json!(viewer_policies));
    props.insert(
        "origins".into(),
        json!(origins.iter().map(|o| origin(o)).collect::<Vec<_>>()),
    );
    props.insert(
        "minimum_protocol_version".into(),
        json!(
            cert.and_then(|c| c.minimum_protocol_version())
                .map(|v| v.as_str())
        ),
    );
    props.insert(
        "default_certificate".into(),
        json!(
            cert.and_then(|c| c.cloud_front_default_certificate())
                .unwrap_or(false)
        ),
    );
    props.insert(
        "ssl_support_method".into(),
        json!(
            cert.and_then(|c| c.ssl_support_method())
                .map(|v| v.as_str())
        ),
    );
    let web_acl = Some(d.web_acl_id()).filter(|w| !w.is_empty());
    props.insert("web_acl_id".into(), json!(web_acl));
    for o in &origins {
        if let Some(bucket) = origin_bucket(o) {
            ctx.relate(&arn, "forwards_to", format!("arn:aws:s3:::{bucket}"));
        }
    }
    if let Some(acm) = cert.and_then(|c| c.acm_certificate_arn()) {
        ctx.relate(&arn, "uses", acm);
    }
    if let Some(acl) = web_acl.filter(|w| w.starts_with("arn:")) {
        ctx.relate(&arn, "protected_by", acl);
    }
    let config = ctx
        .detail_value(
            "cloudfront:GetDistributionConfig",
            &arn,
            &["NoSuchDistribution"],
            client.get_distribution_config().id(d.id()).send(),
            |out| {
                let c = out.distribution_config();
                let logging = c.and_then(|c| c.logging()).filter(|l| l.enabled());
                json!({
                    "logging_enabled": logging.is_some(),
                    "logging_bucket": logging.map(|l| l.bucket()),
                    "default_root_object": c.and_then(|c| c.default_root_object()).filter(|o| !o.is_empty()),
                })
            },
        )
        .await;
    if let Some(Value::Object(c)) = &config {
        if let Some(bucket) = c["logging_bucket"].as_str() {
            // `bucket.s3.amazonaws.com`
            let name = bucket.split(".s3").next().unwrap_or(bucket);
            ctx.relate(&arn, "logs_to", format!("arn:aws:s3:::{name}"));
        }
        for (k, v) in c {
            props.insert(k.clone(), v.clone());
        }
    }
    let mut resource = ctx.global_resource(&arn, DISTRIBUTION);
    resource.name = Some(d.domain_name().to_owned());
    resource.properties = Value::Object(props).into();
    Some(resource)
}
