//! ACM: the region's certificates with expiry, key algorithm, status, renewal
//! eligibility and what uses them (transparency logging can no longer be opted out
//! of). Private keys are never read (ACM does not give them to a reader anyway).
//!
//! `ListCertificates` returns only RSA-1024 and RSA-2048 certificates unless asked for
//! every key type: the listing names them all, or ECDSA and RSA-4096 certificates
//! would go unseen.

use aws_sdk_acm::Client;
use aws_sdk_acm::types::{CertificateSummary, Filters, KeyAlgorithm};
use serde_json::{Map, Value, json};

use crate::registry::{Collector, Scope};
use crate::shape::{enum_str, tag_map};
use crate::{Ctx, client, list_all, time};

pub const COLLECTOR: Collector = Collector {
    service: "acm",
    scope: Scope::Regional,
    actions: &[
        "acm:ListCertificates",
        "acm:DescribeCertificate",
        "acm:ListTagsForCertificate",
    ],
    run: |ctx| Box::pin(collect(ctx)),
};

const CERTIFICATE: &str = "aws.acm.certificate";

async fn collect(ctx: Ctx) {
    let client = client!(ctx, aws_sdk_acm);
    let every_key_type = Filters::builder()
        .set_key_types(Some(
            KeyAlgorithm::values()
                .iter()
                .map(|v| KeyAlgorithm::from(*v))
                .collect(),
        ))
        .build();
    let Some(summaries) = list_all!(
        ctx,
        "acm:ListCertificates",
        &[CERTIFICATE],
        client.list_certificates().includes(every_key_type)
    )
    .await
    else {
        return;
    };
    ctx.each(summaries, |s| certificate(&ctx, &client, s)).await;
}

async fn certificate(
    ctx: &Ctx,
    client: &Client,
    summary: CertificateSummary,
) -> Option<vigil_inventory::Resource> {
    let arn = summary.certificate_arn()?.to_owned();
    let mut props = Map::new();
    props.insert("arn".into(), json!(arn));
    props.insert("domain_name".into(), json!(summary.domain_name()));
    let (described, tags) = futures::join!(
        ctx.detail(
            "acm:DescribeCertificate",
            &arn,
            &["ResourceNotFoundException"],
            client.describe_certificate().certificate_arn(&arn).send(),
        ),
        ctx.detail(
            "acm:ListTagsForCertificate",
            &arn,
            &["ResourceNotFoundException"],
            client
                .list_tags_for_certificate()
                .certificate_arn(&arn)
                .send(),
        ),
    );
    match described {
        Ok(None) => return None,
        Ok(Some(out)) => {
            if let Some(c) = out.certificate() {
                props.insert("status".into(), enum_str(c.status()));
                props.insert("type".into(), enum_str(c.r#type()));
                props.insert("key_algorithm".into(), enum_str(c.key_algorithm()));
                props.insert("signature_algorithm".into(), json!(c.signature_algorithm()));
                props.insert("not_before".into(), time(c.not_before()));
                props.insert("not_after".into(), time(c.not_after()));
                props.insert("in_use_by".into(), json!(c.in_use_by()));
                props.insert(
                    "renewal_eligibility".into(),
                    enum_str(c.renewal_eligibility()),
                );
                props.insert(
                    "subject_alternative_names".into(),
                    json!(c.subject_alternative_names()),
                );
            }
        }
        Err(_) => {}
    }
    let mut resource = ctx.resource(&arn, CERTIFICATE);
    resource.name = summary.domain_name().map(str::to_owned);
    if let Ok(Some(out)) = tags {
        resource.tags = tag_map(out.tags().iter().map(|t| (Some(t.key()), t.value())));
    }
    resource.properties = Value::Object(props).into();
    Some(resource)
}
