//! ECS: clusters (Container Insights, ECS Exec logging and encryption), services (public
//! IPs, task definition, launch type, platform version) and the latest active revision
//! of each task-definition family with its containers (privileged, user, host network,
//! read-only root filesystem, logging, and the *names* of plain environment variables —
//! values are never stored: they are where credentials leak).
//!
//! Task-definition families are listed only in a region with at least one cluster
//! (or whose cluster listing failed): a task definition no cluster can run launches
//! nothing, and a region without ECS costs a single ListClusters.
//!
//! Relations: service `member_of` its cluster and its subnets, `uses` its task
//! definition and security groups; task definition `uses` its task and execution roles.

use aws_sdk_ecs::Client;
use aws_sdk_ecs::types::{
    ClusterField, ContainerDefinition, Service, TaskDefinition, TaskDefinitionFamilyStatus,
};
use serde_json::{Value, json};
use vigil_inventory::Resource;

use crate::registry::{Collector, Scope};
use crate::shape::{ec2_id, enum_str, tag_map};
use crate::{Ctx, client, list_all};

pub const COLLECTOR: Collector = Collector {
    service: "ecs",
    scope: Scope::Regional,
    actions: &[
        "ecs:ListClusters",
        "ecs:DescribeClusters",
        "ecs:ListServices",
        "ecs:DescribeServices",
        "ecs:ListTaskDefinitionFamilies",
        "ecs:DescribeTaskDefinition",
    ],
    run: |ctx| Box::pin(collect(ctx)),
};

const CLUSTER: &str = "aws.ecs.cluster";
const SERVICE: &str = "aws.ecs.service";
const TASK_DEFINITION: &str = "aws.ecs.task_definition";

async fn collect(ctx: Ctx) {
    let client = client!(ctx, aws_sdk_ecs);
    let listed = list_all!(
        ctx,
        "ecs:ListClusters",
        &[CLUSTER, SERVICE],
        client.list_clusters()
    )
    .await;
    // A task definition runs only in a cluster: in a region without clusters the
    // families are not listed, so an account that does not use ECS costs one call per
    // region. When the cluster listing failed, they are still read.
    if listed.as_ref().is_some_and(Vec::is_empty) {
        return;
    }
    let clusters = async {
        let Some(arns) = listed else {
            return;
        };
        // DescribeClusters takes up to 100 clusters a call.
        for chunk in arns.chunks(100) {
            let described = ctx
                .list(
                    "ecs:DescribeClusters",
                    &[CLUSTER],
                    client
                        .describe_clusters()
                        .set_clusters(Some(chunk.to_vec()))
                        .include(ClusterField::Settings)
                        .include(ClusterField::Configurations)
                        .include(ClusterField::Tags)
                        .send(),
                )
                .await;
            for cluster in described.iter().flat_map(|out| out.clusters()) {
                let Some(arn) = cluster.cluster_arn() else {
                    continue;
                };
                let insights = cluster
                    .settings()
                    .iter()
                    .find(|s| s.name().map(|n| n.as_str()) == Some("containerInsights"))
                    .and_then(|s| s.value());
                let exec = cluster
                    .configuration()
                    .and_then(|c| c.execute_command_configuration());
                let mut resource = ctx.resource(arn, CLUSTER);
                resource.name = cluster.cluster_name().map(str::to_owned);
                resource.tags = tag_map(cluster.tags().iter().map(|t| (t.key(), t.value())));
                resource.properties = json!({
                    "name": cluster.cluster_name(),
                    "container_insights": insights,
                    "exec_kms_key_id": exec.and_then(|e| e.kms_key_id()),
                    "exec_logging": enum_str(exec.and_then(|e| e.logging())),
                })
                .into();
                ctx.add(resource);
            }
        }
        ctx.each(arns, |cluster| services(&ctx, &client, cluster))
            .await;
    };
    let families = async {
        let Some(families) = list_all!(
            ctx,
            "ecs:ListTaskDefinitionFamilies",
            &[TASK_DEFINITION],
            client
                .list_task_definition_families()
                .status(TaskDefinitionFamilyStatus::Active)
        )
        .await
        else {
            return;
        };
        ctx.each(families, |family| task_definition(&ctx, &client, family))
            .await;
    };
    futures::join!(clusters, families);
}

/// The services of one cluster, added as they are described (ten a call).
async fn services(ctx: &Ctx, client: &Client, cluster: String) -> Option<Resource> {
    let arns = ctx
        .detail(
            "ecs:ListServices",
            &cluster,
            &["ClusterNotFoundException"],
            client
                .list_services()
                .cluster(&cluster)
                .into_paginator()
                .items()
                .send()
                .try_collect(),
        )
        .await;
    let Ok(Some(arns)) = arns else { return None };
    for chunk in arns.chunks(10) {
        let described = ctx
            .detail(
                "ecs:DescribeServices",
                &cluster,
                &[],
                client
                    .describe_services()
                    .cluster(&cluster)
                    .set_services(Some(chunk.to_vec()))
                    .send(),
            )
            .await;
        for service in described.iter().flatten().flat_map(|out| out.services()) {
            if let Some(resource) = service_resource(ctx, &cluster, service) {
                ctx.add(resource);
            }
        }
    }
    None
}

fn service_resource(ctx: &Ctx, cluster: &str, s: &Service) -> Option<Resource> {
    let arn = s.service_arn()?;
    let vpc = s
        .network_configuration()
        .and_then(|n| n.awsvpc_configuration());
    ctx.relate(arn, "member_of", cluster);
    if let Some(td) = s.task_definition() {
        ctx.relate(arn, "uses", td);
    }
    for subnet in vpc.map(|v| v.subnets()).unwrap_or_default() {
        ctx.relate(arn, "member_of", ec2_id(ctx, "subnet", subnet));
    }
    for sg in vpc.map(|v| v.security_groups()).unwrap_or_default() {
        ctx.relate(arn, "uses", ec2_id(ctx, "security-group", sg));
    }
    let mut resource = ctx.resource(arn, SERVICE);
    resource.name = s.service_name().map(str::to_owned);
    resource.tags = tag_map(s.tags().iter().map(|t| (t.key(), t.value())));
    resource.properties = json!({
        "name": s.service_name(),
        "cluster_arn": cluster,
        "task_definition": s.task_definition(),
        "launch_type": enum_str(s.launch_type()),
        "platform_version": s.platform_version(),
        "assign_public_ip": vpc.and_then(|v| v.assign_public_ip()).map(|a| a.as_str() == "ENABLED"),
        "execute_command_enabled": s.enable_execute_command(),
    })
    .into();
    Some(resource)
}

/// The latest active revision of a family.
async fn task_definition(ctx: &Ctx, client: &Client, family: String) -> Option<Resource> {
    let id = ctx.arn("ecs", &format!("task-definition/{family}"));
    let out = ctx
        .detail(
            "ecs:DescribeTaskDefinition",
            &id,
            &["ClientException"],
            client
                .describe_task_definition()
                .task_definition(&family)
                .send(),
        )
        .await;
    let Ok(Some(out)) = out else { return None };
    let td = out.task_definition()?;
    let arn = td.task_definition_arn()?;
    for role in [td.task_role_arn(), td.execution_role_arn()]
        .into_iter()
        .flatten()
    {
        ctx.relate(arn, "uses", role);
    }
    let mut resource = ctx.resource(arn, TASK_DEFINITION);
    resource.name = Some(format!("{family}:{}", td.revision()));
    resource.tags = tag_map(out.tags().iter().map(|t| (t.key(), t.value())));
    resource.properties = task_definition_properties(td).into();
    Some(resource)
}

fn task_definition_properties(td: &TaskDefinition) -> Value {
    json!({
        "family": td.family(),
        "revision": td.revision(),
        "network_mode": enum_str(td.network_mode()),
        "task_role_arn": td.task_role_arn(),
        "execution_role_arn": td.execution_role_arn(),
        "pid_mode": enum_str(td.pid_mode()),
        "containers": td.container_definitions().iter().map(container).collect::<Vec<_>>(),
    })
}

fn container(c: &ContainerDefinition) -> Value {
    let mut names: Vec<&str> = c.environment().iter().filter_map(|kv| kv.name()).collect();
    names.sort_unstable();
    json!({
        "name": c.name(),
        "image": c.image(),
        "privileged": c.privileged().unwrap_or(false),
        // No user: the image's default, which is root unless the image says otherwise.
        "user": c.user(),
        "readonly_root_filesystem": c.readonly_root_filesystem().unwrap_or(false),
        "log_driver": c.log_configuration().map(|l| l.log_driver().as_str()),
        "environment_variable_names": names,
        "secret_names": c.secrets().iter().map(|s| s.name()).collect::<Vec<_>>(),
    })
}
