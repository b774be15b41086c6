//! codebuild collector: the region's build projects and the source-provider credentials
//! CodeBuild holds.
//!
//! Environment variable VALUES are never stored, logged or returned: a project keeps the
//! names and types of its variables, and the values of `PLAINTEXT` ones are looked at in
//! memory only to decide whether the variable looks like a credential
//! (`plaintext_credential_variables`), then dropped with the SDK's answer. The same goes
//! for source locations: only whether the URL carries user info is kept.
//!
//! `ListProjects` failing is a type-level gap. `BatchGetProjects` reads 100 projects at
//! a time; a failed batch still adds its projects (id and name only) with a
//! resource-level gap each, so rules over them report ERROR instead of missing them.

use std::sync::LazyLock;

use aws_sdk_codebuild::Client;
use aws_sdk_codebuild::types::{
    EnvironmentVariable, EnvironmentVariableType, Project, SourceCredentialsInfo,
};
use futures::StreamExt;
use regex::Regex;
use serde_json::{Map, Value, json};

use crate::registry::{Collector, Scope};
use crate::{Ctx, client};

pub const COLLECTOR: Collector = Collector {
    service: "codebuild",
    scope: Scope::Regional,
    actions: &[
        "codebuild:ListProjects",
        "codebuild:BatchGetProjects",
        "codebuild:ListSourceCredentials",
    ],
    run: |ctx| Box::pin(collect(ctx)),
};

const PROJECT: &str = "aws.codebuild.project";
const SOURCE_CREDENTIAL: &str = "aws.codebuild.source_credential";

/// The most names `BatchGetProjects` accepts.
const BATCH_SIZE: usize = 100;
/// Batches read at once.
const PARALLEL_BATCHES: usize = 2;

/// Variable names that are credentials whatever else they say.
const CREDENTIAL_NAMES: &[&str] = &["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"];
/// Name fragments that mark a variable as holding a secret.
const CREDENTIAL_NAME_PARTS: &[&str] = &["PASSWORD", "SECRET", "TOKEN", "API_KEY", "PRIVATE_KEY"];

/// An AWS access key id (long-term `AKIA`, temporary `ASIA`) standing on its own.
static ACCESS_KEY_ID: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b").expect("valid regex"));

async fn collect(ctx: Ctx) {
    let client = client!(ctx, aws_sdk_codebuild);
    futures::join!(projects(&ctx, &client), source_credentials(&ctx, &client));
}

// ---------------------------------------------------------------------------------
// Projects

async fn projects(ctx: &Ctx, client: &Client) {
    let listed = client
        .list_projects()
        .into_paginator()
        .items()
        .send()
        .try_collect();
    let Some(names) = ctx.list("codebuild:ListProjects", &[PROJECT], listed).await else {
        return;
    };
    futures::stream::iter(names.chunks(BATCH_SIZE).map(<[String]>::to_vec))
        .map(|batch| project_batch(ctx, client, batch))
        .buffer_unordered(PARALLEL_BATCHES)
        .collect::<Vec<()>>()
        .await;
}

async fn project_batch(ctx: &Ctx, client: &Client, names: Vec<String>) {
    let answer = ctx
        .call(
            "codebuild:BatchGetProjects",
            client
                .batch_get_projects()
                .set_names(Some(names.clone()))
                .send(),
        )
        .await;
    match answer {
        Ok(out) => {
            // Projects deleted since the listing come back in `projects_not_found`.
            for project in out.projects() {
                add_project(ctx, project);
            }
        }
        Err(err) => {
            for name in &names {
                let id = project_arn(ctx, name);
                ctx.gap_resource("codebuild:BatchGetProjects", &id, &err);
                let mut resource = ctx.resource(id.clone(), PROJECT);
                resource.name = Some(name.clone());
                resource.properties = json!({"arn": id, "name": name}).into();
                ctx.add(resource);
            }
        }
    }
}

/// `arn:aws:codebuild:REGION:ACCOUNT:project/NAME`.
fn project_arn(ctx: &Ctx, name: &str) -> String {
    ctx.arn("codebuild", &format!("project/{name}"))
}

fn add_project(ctx: &Ctx, project: &Project) {
    let Some(name) = project.name() else {
        return;
    };
    let id = project
        .arn()
        .map_or_else(|| project_arn(ctx, name), str::to_owned);
    let mut props = project_properties(project);
    props.insert("arn".into(), json!(id));
    let mut resource = ctx.resource(id, PROJECT);
    resource.name = Some(name.to_owned());
    resource.tags = project
        .tags()
        .iter()
        .filter_map(|t| {
            Some((
                t.key()?.to_owned(),
                t.value().unwrap_or_default().to_owned(),
            ))
        })
        .collect();
    resource.properties = Value::Object(props).into();
    // The role every build runs as: escalation paths through the project end there.
    if let Some(role) = project.service_role().filter(|r| r.starts_with("arn:")) {
        ctx.relate(&resource.id, "uses", role);
    }
    ctx.add(resource);
}

/// The contract's project properties. Never copies a variable's value or a source
/// location: only names, types and the verdicts drawn from them.
fn project_properties(project: &Project) -> Map<String, Value> {
    let environment = project.environment();
    let variables = environment.map_or(&[][..], |e| e.environment_variables());
    let logs = project.logs_config();
    let mut p = Map::new();
    p.insert("name".into(), json!(project.name()));
    p.insert("service_role".into(), json!(project.service_role()));
    p.insert(
        "privileged_mode".into(),
        json!(environment.map(|e| e.privileged_mode().unwrap_or(false))),
    );
    p.insert("image".into(), json!(environment.map(|e| e.image())));
    p.insert(
        "environment_type".into(),
        json!(environment.map(|e| e.r#type().as_str())),
    );
    p.insert(
        "environment_variables".into(),
        Value::Array(
            variables
                .iter()
                .map(|v| json!({"name": v.name(), "type": variable_type(v).as_str()}))
                .collect(),
        ),
    );
    p.insert(
        "plaintext_credential_variables".into(),
        json!(plaintext_credential_variables(variables)),
    );
    p.insert(
        "source_type".into(),
        json!(project.source().map(|s| s.r#type().as_str())),
    );
    p.insert(
        "source_url_has_credentials".into(),
        json!(
            project
                .source()
                .into_iter()
                .chain(project.secondary_sources())
                .filter_map(|s| s.location())
                .any(url_has_credentials)
        ),
    );
    p.insert(
        "logs".into(),
        json!({
            "cloudwatch_status": logs.and_then(|l| l.cloud_watch_logs()).map(|c| c.status().as_str()),
            "s3_status": logs.and_then(|l| l.s3_logs()).map(|s| s.status().as_str()),
        }),
    );
    p.insert("encryption_key".into(), json!(project.encryption_key()));
    p
}

/// A variable without a type is `PLAINTEXT`, the API's default.
fn variable_type(variable: &EnvironmentVariable) -> &EnvironmentVariableType {
    variable
        .r#type()
        .unwrap_or(&EnvironmentVariableType::Plaintext)
}

/// Names of `PLAINTEXT` variables that look like credentials, by name or by value.
fn plaintext_credential_variables(variables: &[EnvironmentVariable]) -> Vec<&str> {
    variables
        .iter()
        .filter(|v| *variable_type(v) == EnvironmentVariableType::Plaintext)
        .filter(|v| looks_like_credential(v.name(), v.value()))
        .map(|v| v.name())
        .collect()
}

/// The name is a known credential variable or mentions a secret, or the value holds an
/// AWS access key id. The value is only matched against, never kept.
fn looks_like_credential(name: &str, value: &str) -> bool {
    let name = name.to_ascii_uppercase();
    CREDENTIAL_NAMES.contains(&name.as_str())
        || CREDENTIAL_NAME_PARTS.iter().any(|part| name.contains(part))
        || ACCESS_KEY_ID.is_match(value)
}

/// Whether a source location is a URL with a user name or a password in it
/// (`https://user:token@host/...`). Locations that are not URLs (S3 `bucket/key`) do not.
fn url_has_credentials(location: &str) -> bool {
    url::Url::parse(location.trim())
        .is_ok_and(|url| !url.username().is_empty() || url.password().is_some())
}

// ---------------------------------------------------------------------------------
// Source credentials

async fn source_credentials(ctx: &Ctx, client: &Client) {
    let Some(out) = ctx
        .list(
            "codebuild:ListSourceCredentials",
            &[SOURCE_CREDENTIAL],
            client.list_source_credentials().send(),
        )
        .await
    else {
        return;
    };
    for info in out.source_credentials_infos() {
        let Some(arn) = info.arn() else {
            continue;
        };
        let mut resource = ctx.resource(arn, SOURCE_CREDENTIAL);
        resource.name = info.server_type().map(|s| s.as_str().to_owned());
        resource.properties = source_credential(info).into();
        ctx.add(resource);
    }
}

fn source_credential(info: &SourceCredentialsInfo) -> Value {
    json!({
        "arn": info.arn(),
        "server_type": info.server_type().map(|s| s.as_str()),
        "auth_type": info.auth_type().map(|a| a.as_str()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_codebuild::types::{
        AuthType, CloudWatchLogsConfig, ComputeType, EnvironmentType, LogsConfig,
        LogsConfigStatusType, ProjectEnvironment, ProjectSource, S3LogsConfig, ServerType,
        SourceType,
    };

    const SECRET_VALUE: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    const KEY_ID_VALUE: &str = "AKIAIOSFODNN7EXAMPLE";

    fn var(name: &str, value: &str, kind: Option<EnvironmentVariableType>) -> EnvironmentVariable {
        let mut b = EnvironmentVariable::builder().name(name).value(value);
        if let Some(kind) = kind {
            b = b.r#type(kind);
        }
        b.build().unwrap()
    }

    fn project() -> Project {
        Project::builder()
            .name("build")
            .arn("arn:aws:codebuild:eu-west-1:111122223333:project/build")
            .service_role("arn:aws:iam::111122223333:role/build")
            .encryption_key("arn:aws:kms:eu-west-1:111122223333:alias/aws/s3")
            .source(
                ProjectSource::builder()
                    .r#type(SourceType::Github)
                    .location("https://github.com/org/repo.git")
                    .build()
                    .unwrap(),
            )
            .secondary_sources(
                ProjectSource::builder()
                    .r#type(SourceType::Bitbucket)
                    .location("https://builder:hunter2@bitbucket.org/org/lib.git")
                    .build()
                    .unwrap(),
            )
            .environment(
                ProjectEnvironment::builder()
                    .r#type(EnvironmentType::LinuxContainer)
                    .image("aws/codebuild/standard:7.0")
                    .compute_type(ComputeType::BuildGeneral1Small)
                    .privileged_mode(true)
                    .environment_variables(var(
                        "AWS_SECRET_ACCESS_KEY",
                        SECRET_VALUE,
                        Some(EnvironmentVariableType::Plaintext),
                    ))
                    .environment_variables(var("DEPLOY_KEY", KEY_ID_VALUE, None))
                    .environment_variables(var(
                        "DB_PASSWORD",
                        "/prod/db/password",
                        Some(EnvironmentVariableType::ParameterStore),
                    ))
                    .environment_variables(var(
                        "STAGE",
                        "prod",
                        Some(EnvironmentVariableType::Plaintext),
                    ))
                    .build()
                    .unwrap(),
            )
            .logs_config(
                LogsConfig::builder()
                    .cloud_watch_logs(
                        CloudWatchLogsConfig::builder()
                            .status(LogsConfigStatusType::Enabled)
                            .build()
                            .unwrap(),
                    )
                    .s3_logs(
                        S3LogsConfig::builder()
                            .status(LogsConfigStatusType::Disabled)
                            .build()
                            .unwrap(),
                    )
                    .build(),
            )
            .build()
    }

    #[test]
    fn project_properties_follow_the_contract() {
        assert_eq!(
            Value::Object(project_properties(&project())),
            json!({
                "name": "build",
                "service_role": "arn:aws:iam::111122223333:role/build",
                "privileged_mode": true,
                "image": "aws/codebuild/standard:7.0",
                "environment_type": "LINUX_CONTAINER",
                "environment_variables": [
                    {"name": "AWS_SECRET_ACCESS_KEY", "type": "PLAINTEXT"},
                    {"name": "DEPLOY_KEY", "type": "PLAINTEXT"},
                    {"name": "DB_PASSWORD", "type": "PARAMETER_STORE"},
                    {"name": "STAGE", "type": "PLAINTEXT"},
                ],
                // By name; by an access key id in the value (untyped = PLAINTEXT); the
                // Parameter Store one holds a parameter name, not a secret.
                "plaintext_credential_variables": ["AWS_SECRET_ACCESS_KEY", "DEPLOY_KEY"],
                "source_type": "GITHUB",
                "source_url_has_credentials": true,
                "logs": {"cloudwatch_status": "ENABLED", "s3_status": "DISABLED"},
                "encryption_key": "arn:aws:kms:eu-west-1:111122223333:alias/aws/s3",
            })
        );
    }

    /// The project runs as its service role: a `uses` relation, as a function or an
    /// instance has to the role it runs as.
    #[test]
    fn a_project_uses_its_service_role() {
        let ctx = Ctx::new(
            "111122223333".into(),
            "eu-west-1".into(),
            aws_types::SdkConfig::builder().build(),
            std::sync::Arc::default(),
        );
        add_project(&ctx, &project());
        let output = ctx.shared.output.lock().unwrap();
        let relations: Vec<_> = output
            .relations
            .iter()
            .map(|r| (r.from.as_str(), r.kind.as_str(), r.to.as_str()))
            .collect();
        assert_eq!(
            relations,
            vec![(
                "arn:aws:codebuild:eu-west-1:111122223333:project/build",
                "uses",
                "arn:aws:iam::111122223333:role/build"
            )]
        );
    }

    /// Whatever the variables and locations hold, no value and no user info reaches the
    /// inventory.
    #[test]
    fn no_value_or_url_secret_appears_in_the_output() {
        let text = serde_json::to_string(&project_properties(&project())).unwrap();
        for secret in [
            SECRET_VALUE,
            KEY_ID_VALUE,
            "/prod/db/password",
            "\"prod\"",
            "hunter2",
            "builder:",
        ] {
            assert!(!text.contains(secret), "{secret} leaked into {text}");
        }
    }

    #[test]
    fn a_project_without_environment_or_source() {
        let p = project_properties(&Project::builder().name("bare").build());
        assert_eq!(p["privileged_mode"], Value::Null);
        assert_eq!(p["image"], Value::Null);
        assert_eq!(p["environment_type"], Value::Null);
        assert_eq!(p["environment_variables"], json!([]));
        assert_eq!(p["plaintext_credential_variables"], json!([]));
        assert_eq!(p["source_type"], Value::Null);
        assert_eq!(p["source_url_has_credentials"], json!(false));
        assert_eq!(
            p["logs"],
            json!({"cloudwatch_status": null, "s3_status": null})
        );
        assert_eq!(p["encryption_key"], Value::Null);
    }

    #[test]
    fn credential_names_match_case_insensitively() {
        for name in [
            "AWS_ACCESS_KEY_ID",
            "aws_secret_access_key",
            "GITHUB_TOKEN",
            "npm_token",
            "DbPassword",
            "CLIENT_SECRET",
            "STRIPE_API_KEY",
            "SSH_PRIVATE_KEY",
        ] {
            assert!(looks_like_credential(name, "x"), "{name}");
        }
        for name in [
            "STAGE",
            "AWS_REGION",
            "AWS_DEFAULT_REGION",
            "KEY_NAME",
            "APIKEYS_URL",
        ] {
            assert!(!looks_like_credential(name, "x"), "{name}");
        }
    }

    #[test]
    fn access_key_ids_in_values() {
        assert!(looks_like_credential("X", "AKIAIOSFODNN7EXAMPLE"));
        assert!(looks_like_credential("X", "ASIAIOSFODNN7EXAMPLE"));
        assert!(looks_like_credential("X", "key=AKIAIOSFODNN7EXAMPLE;"));
        // Too short, lower case, or part of a longer token.
        assert!(!looks_like_credential("X", "AKIAIOSFODNN7EXAMPL"));
        assert!(!looks_like_credential("X", "akiaiosfodnn7example"));
        assert!(!looks_like_credential("X", "XAKIAIOSFODNN7EXAMPLEX"));
        assert!(!looks_like_credential("X", "AIDAIOSFODNN7EXAMPLE"));
    }

    #[test]
    fn urls_with_user_info() {
        for location in [
            "https://user:pass@github.com/org/repo.git",
            "https://token@github.com/org/repo.git",
            "https://:pass@bitbucket.org/org/repo.git",
            " https://user@host/repo ",
        ] {
            assert!(url_has_credentials(location), "{location}");
        }
        for location in [
            "https://github.com/org/repo.git",
            "https://git-codecommit.eu-west-1.amazonaws.com/v1/repos/app",
            "https://github.com/org/repo@v1.git",
            "https://github.com/org/repo?ref=a@b",
            "my-bucket/source.zip",
            "git@github.com:org/repo.git",
            "",
        ] {
            assert!(!url_has_credentials(location), "{location}");
        }
    }

    #[test]
    fn source_credential_properties() {
        let info = SourceCredentialsInfo::builder()
            .arn("arn:aws:codebuild:eu-west-1:111122223333:token/github")
            .server_type(ServerType::Github)
            .auth_type(AuthType::PersonalAccessToken)
            .build();
        assert_eq!(
            source_credential(&info),
            json!({
                "arn": "arn:aws:codebuild:eu-west-1:111122223333:token/github",
                "server_type": "GITHUB",
                "auth_type": "PERSONAL_ACCESS_TOKEN",
            })
        );
    }
}
