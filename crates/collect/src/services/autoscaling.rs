//! Auto Scaling: groups (Availability Zones, load-balancer health checks, launch
//! template or configuration) and launch configurations (IMDSv2, public IP addresses).
//! User data is never stored. Launch configurations are listed only in a region with
//! at least one group (or whose group listing failed), so a region without Auto
//! Scaling costs one call.
//!
//! Relations: group `uses` its launch configuration or launch template, `member_of` its
//! subnets;
//! instances are the EC2 collector's.

use aws_sdk_autoscaling::types::{AutoScalingGroup, LaunchConfiguration};
use serde_json::json;

use crate::registry::{Collector, Scope};
use crate::shape::{ec2_id, enum_str, tag_map};
use crate::{Ctx, client, list_all};

pub const COLLECTOR: Collector = Collector {
    service: "autoscaling",
    scope: Scope::Regional,
    actions: &[
        "autoscaling:DescribeAutoScalingGroups",
        "autoscaling:DescribeLaunchConfigurations",
    ],
    run: |ctx| Box::pin(collect(ctx)),
};

const GROUP: &str = "aws.autoscaling.group";
const LAUNCH_CONFIGURATION: &str = "aws.autoscaling.launch_configuration";

async fn collect(ctx: Ctx) {
    let client = client!(ctx, aws_sdk_autoscaling);
    let groups = list_all!(
        ctx,
        "autoscaling:DescribeAutoScalingGroups",
        &[GROUP],
        client.describe_auto_scaling_groups()
    )
    .await;
    // A launch configuration launches instances only through a group: in a region
    // without groups they are not listed, so a region without Auto Scaling costs one
    // call. When the group listing failed, they are still read.
    if groups.as_ref().is_some_and(Vec::is_empty) {
        return;
    }
    let configurations = list_all!(
        ctx,
        "autoscaling:DescribeLaunchConfigurations",
        &[LAUNCH_CONFIGURATION],
        client.describe_launch_configurations()
    )
    .await;
    for group in groups.into_iter().flatten() {
        if let Some(resource) = group_resource(&ctx, &group) {
            ctx.add(resource);
        }
    }
    for lc in configurations.into_iter().flatten() {
        if let Some(resource) = configuration_resource(&ctx, &lc) {
            ctx.add(resource);
        }
    }
}

fn group_resource(ctx: &Ctx, g: &AutoScalingGroup) -> Option<vigil_inventory::Resource> {
    let arn = g.auto_scaling_group_arn()?;
    let template = g.launch_template().or_else(|| {
        g.mixed_instances_policy()
            .and_then(|m| m.launch_template())
            .and_then(|t| t.launch_template_specification())
    });
    let subnets: Vec<&str> = g
        .vpc_zone_identifier()
        .map(|v| {
            v.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default();
    for subnet in &subnets {
        ctx.relate(arn, "member_of", ec2_id(ctx, "subnet", subnet));
    }
    if let Some(lc) = g.launch_configuration_name() {
        ctx.relate(
            arn,
            "uses",
            ctx.arn(
                "autoscaling",
                &format!("launchConfiguration:*:launchConfigurationName/{lc}"),
            ),
        );
    }
    if let Some(template) = template.and_then(|t| t.launch_template_id()) {
        ctx.relate(arn, "uses", ec2_id(ctx, "launch-template", template));
    }
    let mut resource = ctx.resource(arn, GROUP);
    resource.name = g.auto_scaling_group_name().map(str::to_owned);
    resource.tags = tag_map(g.tags().iter().map(|t| (t.key(), t.value())));
    resource.properties = json!({
        "name": g.auto_scaling_group_name(),
        "availability_zones": g.availability_zones(),
        "subnets": subnets,
        "health_check_type": g.health_check_type(),
        "load_balancer_names": g.load_balancer_names(),
        "target_group_arns": g.target_group_arns(),
        "launch_configuration_name": g.launch_configuration_name(),
        "launch_template_id": template.and_then(|t| t.launch_template_id()),
        "launch_template_version": template.and_then(|t| t.version()),
        "uses_mixed_instances_policy": g.mixed_instances_policy().is_some(),
        "capacity_rebalance": g.capacity_rebalance(),
    })
    .into();
    Some(resource)
}

fn configuration_resource(
    ctx: &Ctx,
    lc: &LaunchConfiguration,
) -> Option<vigil_inventory::Resource> {
    let name = lc.launch_configuration_name()?;
    // The ARN names the configuration's id; groups refer to it by name, so the node's
    // id is the name-based form both can build.
    let id = ctx.arn(
        "autoscaling",
        &format!("launchConfiguration:*:launchConfigurationName/{name}"),
    );
    let metadata = lc.metadata_options();
    let mut resource = ctx.resource(id, LAUNCH_CONFIGURATION);
    resource.name = Some(name.to_owned());
    resource.properties = json!({
        "name": name,
        "arn": lc.launch_configuration_arn(),
        "image_id": lc.image_id(),
        // Not given: the default, which follows the subnet's setting.
        "associate_public_ip_address": lc.associate_public_ip_address(),
        "http_tokens": enum_str(metadata.and_then(|m| m.http_tokens())),
        "http_endpoint": enum_str(metadata.and_then(|m| m.http_endpoint())),
        "http_put_response_hop_limit": metadata.and_then(|m| m.http_put_response_hop_limit()),
        "security_groups": lc.security_groups(),
        "iam_instance_profile": lc.iam_instance_profile(),
    })
    .into();
    Some(resource)
}
