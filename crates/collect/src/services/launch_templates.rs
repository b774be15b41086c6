//! EC2 launch templates, part of the EC2 collector: each template with what its latest
//! version gives the instances launched from it (instance metadata options, public IP
//! addresses on network interfaces, EBS encryption, image, instance profile). User data
//! is never stored.
//!
//! One paginated listing, then one read of the latest version per template; a failed
//! read is a gap on the template, which keeps its name and tags without the version's
//! properties.
//!
//! Relations: template `uses` its security groups; `encrypted_by` the KMS keys of its
//! volumes. Auto Scaling groups `uses` the templates they launch from.

use aws_sdk_ec2::Client;
use aws_sdk_ec2::types::{LaunchTemplate, ResponseLaunchTemplateData};
use serde_json::{Map, Value, json};
use vigil_inventory::Resource;

use super::ec2::kms_key_arn;
use crate::shape::{ec2_id, enum_str, tag_map};
use crate::{Ctx, list_all};

const LAUNCH_TEMPLATE: &str = "aws.ec2.launch_template";

/// The template was deleted between the listing and the version read.
const GONE: &[&str] = &[
    "InvalidLaunchTemplateId.NotFound",
    "InvalidLaunchTemplateName.NotFoundException",
];

pub(crate) async fn launch_templates(ctx: &Ctx, ec2: &Client) {
    let Some(templates) = list_all!(
        ctx,
        "ec2:DescribeLaunchTemplates",
        &[LAUNCH_TEMPLATE],
        ec2.describe_launch_templates()
    )
    .await
    else {
        return;
    };
    ctx.each(templates, |t| template(ctx, ec2, t)).await;
}

async fn template(ctx: &Ctx, ec2: &Client, t: LaunchTemplate) -> Option<Resource> {
    let id = t.launch_template_id()?;
    let arn = ec2_id(ctx, "launch-template", id);
    let latest = ctx
        .detail(
            "ec2:DescribeLaunchTemplateVersions",
            &arn,
            GONE,
            ec2.describe_launch_template_versions()
                .launch_template_id(id)
                .versions("$Latest")
                .send(),
        )
        .await;
    let mut props = Map::new();
    props.insert("launch_template_id".into(), json!(id));
    props.insert("name".into(), json!(t.launch_template_name()));
    props.insert("default_version".into(), json!(t.default_version_number()));
    props.insert("latest_version".into(), json!(t.latest_version_number()));
    match &latest {
        Ok(None) => return None,
        Ok(Some(out)) => {
            let data = out
                .launch_template_versions()
                .first()
                .and_then(|v| v.launch_template_data());
            if let Some(data) = data {
                version_properties(ctx, &arn, data, &mut props);
            }
        }
        Err(_) => {}
    }
    let mut resource = ctx.resource(arn, LAUNCH_TEMPLATE);
    resource.name = t.launch_template_name().map(str::to_owned);
    resource.tags = tag_map(t.tags().iter().map(|t| (t.key(), t.value())));
    resource.properties = Value::Object(props).into();
    Some(resource)
}

/// What the latest version sets; a setting the version leaves out is `null` (the
/// launch then takes the default: the subnet's public IP setting, the account's
/// instance metadata defaults, the AMI's volumes).
fn version_properties(
    ctx: &Ctx,
    arn: &str,
    data: &ResponseLaunchTemplateData,
    props: &mut Map<String, Value>,
) {
    let metadata = data.metadata_options();
    props.insert(
        "http_tokens".into(),
        enum_str(metadata.and_then(|m| m.http_tokens())),
    );
    props.insert(
        "http_endpoint".into(),
        enum_str(metadata.and_then(|m| m.http_endpoint())),
    );
    props.insert(
        "network_interfaces".into(),
        Value::Array(
            data.network_interfaces()
                .iter()
                .map(|n| {
                    json!({
                        "device_index": n.device_index(),
                        "associate_public_ip_address": n.associate_public_ip_address(),
                    })
                })
                .collect(),
        ),
    );
    let volumes: Vec<Value> = data
        .block_device_mappings()
        .iter()
        .filter_map(|m| {
            let ebs = m.ebs()?;
            Some(json!({
                "device_name": m.device_name(),
                "encrypted": ebs.encrypted(),
                "kms_key_id": ebs.kms_key_id(),
            }))
        })
        .collect();
    props.insert("ebs_volumes".into(), Value::Array(volumes));
    props.insert("image_id".into(), json!(data.image_id()));
    props.insert(
        "iam_instance_profile".into(),
        json!(
            data.iam_instance_profile()
                .and_then(|p| p.arn().or(p.name()))
        ),
    );
    let mut groups: Vec<&str> = data
        .security_group_ids()
        .iter()
        .map(String::as_str)
        .chain(
            data.network_interfaces()
                .iter()
                .flat_map(|n| n.groups().iter().map(String::as_str)),
        )
        .collect();
    groups.sort_unstable();
    groups.dedup();
    for group in &groups {
        ctx.relate(arn, "uses", ec2_id(ctx, "security-group", group));
    }
    props.insert("security_group_ids".into(), json!(groups));
    for key in data
        .block_device_mappings()
        .iter()
        .filter_map(|m| m.ebs()?.kms_key_id())
        .filter_map(|k| kms_key_arn(ctx, k))
    {
        ctx.relate(arn, "encrypted_by", key);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use aws_sdk_ec2::types::{
        LaunchTemplateBlockDeviceMapping, LaunchTemplateEbsBlockDevice,
        LaunchTemplateHttpTokensState, LaunchTemplateInstanceMetadataOptions,
        LaunchTemplateInstanceNetworkInterfaceSpecification,
    };
    use aws_types::SdkConfig;

    use super::*;

    #[test]
    fn the_latest_version_gives_metadata_public_ip_and_volumes() {
        let ctx = Ctx::new(
            "111122223333".into(),
            "us-east-1".into(),
            SdkConfig::builder().build(),
            Arc::default(),
        );
        let data = ResponseLaunchTemplateData::builder()
            .metadata_options(
                LaunchTemplateInstanceMetadataOptions::builder()
                    .http_tokens(LaunchTemplateHttpTokensState::Optional)
                    .build(),
            )
            .network_interfaces(
                LaunchTemplateInstanceNetworkInterfaceSpecification::builder()
                    .device_index(0)
                    .associate_public_ip_address(true)
                    .groups("sg-1")
                    .build(),
            )
            .block_device_mappings(
                LaunchTemplateBlockDeviceMapping::builder()
                    .device_name("/dev/xvda")
                    .ebs(
                        LaunchTemplateEbsBlockDevice::builder()
                            .encrypted(true)
                            .kms_key_id("k1")
                            .build(),
                    )
                    .build(),
            )
            .build();
        let mut props = Map::new();
        let arn = "arn:aws:ec2:us-east-1:111122223333:launch-template/lt-1";
        version_properties(&ctx, arn, &data, &mut props);
        assert_eq!(props["http_tokens"], "optional");
        assert_eq!(
            props["network_interfaces"],
            json!([{"device_index": 0, "associate_public_ip_address": true}])
        );
        assert_eq!(
            props["ebs_volumes"],
            json!([{"device_name": "/dev/xvda", "encrypted": true, "kms_key_id": "k1"}])
        );
        assert_eq!(props["security_group_ids"], json!(["sg-1"]));
        let out = ctx.shared.output.lock().unwrap();
        assert_eq!(
            out.relations
                .iter()
                .map(|r| (r.kind.as_str(), r.to.as_str()))
                .collect::<Vec<_>>(),
            [
                (
                    "uses",
                    "arn:aws:ec2:us-east-1:111122223333:security-group/sg-1"
                ),
                ("encrypted_by", "arn:aws:kms:us-east-1:111122223333:key/k1"),
            ]
        );
    }
}
