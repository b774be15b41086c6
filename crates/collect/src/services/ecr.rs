//! ecr collector: the region's private repositories (tag mutability, scan on push,
//! encryption, repository policy) and the registry's scanning configuration, which
//! lives on the `aws.region` node as `ecr_registry_scanning`.
//!
//! A failed `DescribeRepositories` is a type-level gap. `GetRepositoryPolicy` answers
//! `RepositoryPolicyNotFoundException` for a repository without a policy: `policy` is
//! `null`; any other failure is a resource gap and `policy` stays absent. A failed
//! `GetRegistryScanningConfiguration` is a resource gap on the region node.

use aws_sdk_ecr::Client;
use aws_sdk_ecr::types::{RegistryScanningConfiguration, RegistryScanningRule, Repository};
use futures::StreamExt;
use serde_json::{Map, Value, json};

use crate::registry::{Collector, Scope};
use crate::{Ctx, client, policy_document};

pub const COLLECTOR: Collector = Collector {
    service: "ecr",
    scope: Scope::Regional,
    actions: &[
        "ecr:DescribeRepositories",
        "ecr:GetRepositoryPolicy",
        "ecr:GetRegistryScanningConfiguration",
    ],
    run: |ctx| Box::pin(collect(ctx)),
};

const REPOSITORY: &str = "aws.ecr.repository";

/// Repositories whose policy is read at once.
const PARALLEL_POLICIES: usize = 4;

/// "This repository has no policy".
const NO_POLICY: &[&str] = &["RepositoryPolicyNotFoundException"];

async fn collect(ctx: Ctx) {
    let client = client!(ctx, aws_sdk_ecr);
    futures::join!(
        registry_scanning(&ctx, &client),
        repositories(&ctx, &client)
    );
}

/// The registry's scanning configuration, on the region node.
async fn registry_scanning(ctx: &Ctx, client: &Client) {
    let region_node = crate::region_id(&ctx.account, &ctx.region);
    let answer = ctx
        .detail(
            "ecr:GetRegistryScanningConfiguration",
            &region_node,
            &[],
            client.get_registry_scanning_configuration().send(),
        )
        .await;
    if let Ok(Some(out)) = answer {
        ctx.set_region(
            "ecr_registry_scanning",
            out.scanning_configuration()
                .map_or(Value::Null, scanning_configuration),
        );
    }
}

async fn repositories(ctx: &Ctx, client: &Client) {
    let listed = client
        .describe_repositories()
        .into_paginator()
        .items()
        .send()
        .try_collect();
    let Some(repositories) = ctx
        .list("ecr:DescribeRepositories", &[REPOSITORY], listed)
        .await
    else {
        return;
    };
    futures::stream::iter(repositories)
        .map(|repository| collect_repository(ctx, client, repository))
        .buffer_unordered(PARALLEL_POLICIES)
        .collect::<Vec<()>>()
        .await;
}

async fn collect_repository(ctx: &Ctx, client: &Client, repository: Repository) {
    let (Some(arn), Some(name)) = (repository.repository_arn(), repository.repository_name())
    else {
        return;
    };
    let mut props = repository_properties(&repository);
    let policy = ctx
        .detail(
            "ecr:GetRepositoryPolicy",
            arn,
            NO_POLICY,
            client.get_repository_policy().repository_name(name).send(),
        )
        .await;
    if let Ok(policy) = policy {
        props.insert(
            "policy".into(),
            policy.map_or(Value::Null, |p| policy_document(p.policy_text())),
        );
    }
    let mut resource = ctx.resource(arn, REPOSITORY);
    resource.name = Some(name.to_owned());
    resource.properties = Value::Object(props).into();
    ctx.add(resource);
}

/// What DescribeRepositories tells. Scanning and encryption settings missing from the
/// answer read as the AWS defaults (no scan on push, AES256 without a key).
fn repository_properties(repository: &Repository) -> Map<String, Value> {
    let encryption = repository.encryption_configuration();
    let mut p = Map::new();
    p.insert("arn".into(), json!(repository.repository_arn()));
    p.insert("name".into(), json!(repository.repository_name()));
    p.insert(
        "image_tag_mutability".into(),
        json!(repository.image_tag_mutability().map(|m| m.as_str())),
    );
    p.insert(
        "scan_on_push".into(),
        json!(
            repository
                .image_scanning_configuration()
                .is_some_and(|s| s.scan_on_push())
        ),
    );
    p.insert(
        "encryption_type".into(),
        json!(encryption.map_or("AES256", |e| e.encryption_type().as_str())),
    );
    p.insert(
        "kms_key".into(),
        json!(encryption.and_then(|e| e.kms_key())),
    );
    p
}

/// `{scan_type, rules: [{scan_frequency, filters: [{filter, filter_type}]}]}`.
fn scanning_configuration(config: &RegistryScanningConfiguration) -> Value {
    json!({
        "scan_type": config.scan_type().map(|t| t.as_str()),
        "rules": config.rules().iter().map(scanning_rule).collect::<Vec<_>>(),
    })
}

fn scanning_rule(rule: &RegistryScanningRule) -> Value {
    json!({
        "scan_frequency": rule.scan_frequency().as_str(),
        "filters": rule
            .repository_filters()
            .iter()
            .map(|f| json!({"filter": f.filter(), "filter_type": f.filter_type().as_str()}))
            .collect::<Vec<_>>(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_ecr::types::{
        EncryptionConfiguration, EncryptionType, ImageScanningConfiguration, ImageTagMutability,
        ScanFrequency, ScanType, ScanningRepositoryFilter, ScanningRepositoryFilterType,
    };

    #[test]
    fn repository_with_kms_and_scan_on_push() {
        let r = Repository::builder()
            .repository_arn("arn:aws:ecr:eu-west-1:111122223333:repository/app")
            .repository_name("app")
            .image_tag_mutability(ImageTagMutability::Immutable)
            .image_scanning_configuration(
                ImageScanningConfiguration::builder()
                    .scan_on_push(true)
                    .build(),
            )
            .encryption_configuration(
                EncryptionConfiguration::builder()
                    .encryption_type(EncryptionType::Kms)
                    .kms_key("arn:aws:kms:eu-west-1:111122223333:key/k1")
                    .build()
                    .unwrap(),
            )
            .build();
        assert_eq!(
            Value::Object(repository_properties(&r)),
            json!({
                "arn": "arn:aws:ecr:eu-west-1:111122223333:repository/app",
                "name": "app",
                "image_tag_mutability": "IMMUTABLE",
                "scan_on_push": true,
                "encryption_type": "KMS",
                "kms_key": "arn:aws:kms:eu-west-1:111122223333:key/k1",
            })
        );
    }

    #[test]
    fn repository_defaults_when_settings_are_missing() {
        let r = Repository::builder()
            .repository_arn("arn:aws:ecr:eu-west-1:111122223333:repository/bare")
            .repository_name("bare")
            .image_tag_mutability(ImageTagMutability::Mutable)
            .build();
        let p = repository_properties(&r);
        assert_eq!(p["image_tag_mutability"], json!("MUTABLE"));
        assert_eq!(p["scan_on_push"], json!(false));
        assert_eq!(p["encryption_type"], json!("AES256"));
        assert_eq!(p["kms_key"], Value::Null);
    }

    #[test]
    fn registry_scanning_rules_and_filters() {
        let config = RegistryScanningConfiguration::builder()
            .scan_type(ScanType::Enhanced)
            .rules(
                RegistryScanningRule::builder()
                    .scan_frequency(ScanFrequency::ContinuousScan)
                    .repository_filters(
                        ScanningRepositoryFilter::builder()
                            .filter("prod-*")
                            .filter_type(ScanningRepositoryFilterType::Wildcard)
                            .build()
                            .unwrap(),
                    )
                    .build()
                    .unwrap(),
            )
            .build();
        assert_eq!(
            scanning_configuration(&config),
            json!({
                "scan_type": "ENHANCED",
                "rules": [{
                    "scan_frequency": "CONTINUOUS_SCAN",
                    "filters": [{"filter": "prod-*", "filter_type": "WILDCARD"}],
                }],
            })
        );
        let basic = RegistryScanningConfiguration::builder()
            .scan_type(ScanType::Basic)
            .build();
        assert_eq!(
            scanning_configuration(&basic),
            json!({"scan_type": "BASIC", "rules": []})
        );
    }
}
