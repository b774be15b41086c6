//! Compute and storage: instances (with the role each runs as), EBS volumes, snapshots
//! (with their create-volume permissions) and images.

use super::*;
// Instances

pub(super) async fn instances(ctx: &Ctx, ec2: &Client) {
    let listing = ec2
        .describe_instances()
        .into_paginator()
        .items()
        .send()
        .try_collect();
    let Some(reservations) = ctx
        .list("ec2:DescribeInstances", &[INSTANCE], listing)
        .await
    else {
        return;
    };
    let instances: Vec<&Instance> = reservations.iter().flat_map(|r| r.instances()).collect();
    let profiles: BTreeSet<&str> = instances
        .iter()
        .filter_map(|i| i.iam_instance_profile().and_then(|p| p.arn()))
        .collect();
    let roles = profile_roles(ctx, profiles).await;
    for instance in instances {
        add_instance(ctx, instance, &roles);
    }
}

/// The roles of each instance profile, for the instance's `uses` relation. A profile
/// that cannot be read gets a gap and no relation; its ARN is still a property.
pub(super) async fn profile_roles(
    ctx: &Ctx,
    profiles: BTreeSet<&str>,
) -> HashMap<String, Vec<String>> {
    if profiles.is_empty() {
        return HashMap::new();
    }
    let iam = client!(ctx, aws_sdk_iam);
    // Futures built up front: a closure over borrowed items inside the stream trips the
    // compiler's Send inference for the boxed collector future.
    let lookups: Vec<_> = profiles
        .into_iter()
        .map(|p| profile_role(ctx, &iam, p))
        .collect();
    futures::stream::iter(lookups)
        .buffer_unordered(PARALLEL_DETAILS)
        .collect()
        .await
}

/// One profile's role ARNs; none when the profile is gone or cannot be read.
pub(super) async fn profile_role(
    ctx: &Ctx,
    iam: &aws_sdk_iam::Client,
    profile: &str,
) -> (String, Vec<String>) {
    let name = profile.rsplit('/').next().unwrap_or(profile);
    let call = iam
        .get_instance_profile()
        .instance_profile_name(name)
        .send();
    let roles = match ctx
        .detail("iam:GetInstanceProfile", profile, &["NoSuchEntity"], call)
        .await
    {
        Ok(Some(out)) => out
            .instance_profile()
            .map(|p| p.roles().iter().map(|r| r.arn().to_owned()).collect())
            .unwrap_or_default(),
        _ => Vec::new(),
    };
    (profile.to_owned(), roles)
}

pub(super) fn add_instance(ctx: &Ctx, instance: &Instance, roles: &HashMap<String, Vec<String>>) {
    let Some(id) = instance.instance_id() else {
        return;
    };
    let arn = ec2_arn(ctx, "instance", id);
    let groups: Vec<&str> = instance
        .security_groups()
        .iter()
        .filter_map(|g| g.group_id())
        .collect();
    for group in &groups {
        ctx.relate(&arn, "uses", ec2_arn(ctx, "security-group", group));
    }
    let profile = instance.iam_instance_profile().and_then(|p| p.arn());
    for role in profile.and_then(|p| roles.get(p)).into_iter().flatten() {
        ctx.relate(&arn, "uses", role);
    }
    if let Some(subnet) = instance.subnet_id().filter(|s| !s.is_empty()) {
        ctx.relate(&arn, "member_of", ec2_arn(ctx, "subnet", subnet));
    }
    let properties = instance_properties(instance, &groups);
    ctx.add(ec2_resource(
        ctx,
        arn,
        INSTANCE,
        instance.tags(),
        id,
        properties,
    ));
}

pub(super) fn instance_properties(instance: &Instance, security_group_ids: &[&str]) -> Value {
    let metadata = instance.metadata_options();
    json!({
        "instance_id": instance.instance_id(),
        "instance_type": instance.instance_type().map(|t| t.as_str()),
        "image_id": instance.image_id(),
        "launch_time": time(instance.launch_time()),
        "state": instance.state().and_then(|s| s.name()).map(|n| n.as_str()),
        "metadata_options": {
            "http_tokens": metadata.and_then(|m| m.http_tokens()).map(|t| t.as_str()),
            "http_endpoint": metadata.and_then(|m| m.http_endpoint()).map(|e| e.as_str()),
            "http_put_response_hop_limit": metadata.and_then(|m| m.http_put_response_hop_limit()),
        },
        "public_ip_address": instance.public_ip_address().filter(|ip| !ip.is_empty()),
        "iam_instance_profile_arn": instance.iam_instance_profile().and_then(|p| p.arn()),
        "security_group_ids": security_group_ids,
        "subnet_id": instance.subnet_id().filter(|s| !s.is_empty()),
        "vpc_id": instance.vpc_id().filter(|v| !v.is_empty()),
    })
}

// ---------------------------------------------------------------------------------
// EBS volumes, snapshots, images

pub(super) async fn volumes(ctx: &Ctx, ec2: &Client) {
    let listing = ec2
        .describe_volumes()
        .into_paginator()
        .items()
        .send()
        .try_collect();
    ctx.list_each("ec2:DescribeVolumes", &[VOLUME], listing, |volume| {
        add_volume(ctx, volume)
    })
    .await;
}

pub(super) fn add_volume(ctx: &Ctx, volume: &Volume) {
    let Some(id) = volume.volume_id() else { return };
    let arn = ec2_arn(ctx, "volume", id);
    if let Some(key) = volume.kms_key_id().and_then(|k| kms_key_arn(ctx, k)) {
        ctx.relate(&arn, "encrypted_by", key);
    }
    if let Some(snapshot) = volume.snapshot_id().filter(|s| !s.is_empty()) {
        ctx.relate(&arn, "created_from", ec2_arn(ctx, "snapshot", snapshot));
    }
    let attachments: Vec<&str> = volume
        .attachments()
        .iter()
        .filter_map(|a| a.instance_id())
        .collect();
    let properties = json!({
        "volume_id": id,
        "encrypted": volume.encrypted().unwrap_or(false),
        "kms_key_id": volume.kms_key_id(),
        "state": volume.state().map(|s| s.as_str()),
        "size_gib": volume.size(),
        "attachments": attachments,
    });
    ctx.add(ec2_resource(
        ctx,
        arn,
        VOLUME,
        volume.tags(),
        id,
        properties,
    ));
}

/// Snapshots the account owns. Create-volume permissions are read for at most
/// [`MAX_SNAPSHOT_ATTRIBUTE_CALLS`] snapshots, tagged and newest first (the ones most
/// likely to be the account's own work); the others are inventoried without them and
/// carry a `NotCollected` gap.
pub(super) async fn snapshots(ctx: &Ctx, ec2: &Client) {
    let listing = ec2
        .describe_snapshots()
        .owner_ids("self")
        .into_paginator()
        .items()
        .send()
        .try_collect();
    let Some(mut snapshots) = ctx
        .list("ec2:DescribeSnapshots", &[SNAPSHOT], listing)
        .await
    else {
        return;
    };
    snapshots.retain(|s| s.owner_id().is_none_or(|owner| owner == ctx.account));
    order_for_detail(&mut snapshots);
    let (checked, unchecked) =
        snapshots.split_at(snapshots.len().min(MAX_SNAPSHOT_ATTRIBUTE_CALLS));
    let reads: Vec<_> = checked
        .iter()
        .map(|s| snapshot_permissions(ctx, ec2, s))
        .collect();
    let permissions: Vec<(&Snapshot, Permissions)> = futures::stream::iter(reads)
        .buffer_unordered(PARALLEL_DETAILS)
        .collect()
        .await;
    for (snapshot, permissions) in permissions {
        match permissions {
            Permissions::Read(list) => add_snapshot(ctx, snapshot, Some(list)),
            Permissions::Failed => add_snapshot(ctx, snapshot, None),
            Permissions::Gone => {}
        }
    }
    if !unchecked.is_empty() {
        tracing::info!(region = %ctx.region, skipped = unchecked.len(), "snapshot permissions not read beyond the per-region bound");
    }
    let not_collected = CallError {
        code: "NotCollected".into(),
        message: format!(
            "create-volume permissions read for the first {MAX_SNAPSHOT_ATTRIBUTE_CALLS} of {} snapshots in the region only",
            snapshots.len()
        ),
    };
    for snapshot in unchecked {
        if let Some(id) = snapshot.snapshot_id() {
            ctx.gap_resource(
                "ec2:DescribeSnapshotAttribute",
                &ec2_arn(ctx, "snapshot", id),
                &not_collected,
            );
        }
        add_snapshot(ctx, snapshot, None);
    }
}

/// Tagged snapshots first, then newest first; among equals, later in the listing first.
pub(super) fn order_for_detail(snapshots: &mut [Snapshot]) {
    snapshots.reverse();
    snapshots.sort_by_key(|s| {
        (
            s.tags().is_empty(),
            Reverse(s.start_time().map(|t| t.secs())),
        )
    });
}

/// The outcome of reading one snapshot's create-volume permissions.
#[derive(Debug)]
pub(super) enum Permissions {
    Read(Vec<Value>),
    /// The call failed and a gap was recorded: the property stays absent.
    Failed,
    /// The snapshot was deleted between the listing and the read.
    Gone,
}

pub(super) async fn snapshot_permissions<'a>(
    ctx: &Ctx,
    ec2: &Client,
    snapshot: &'a Snapshot,
) -> (&'a Snapshot, Permissions) {
    let Some(id) = snapshot.snapshot_id() else {
        return (snapshot, Permissions::Gone);
    };
    let call = ec2
        .describe_snapshot_attribute()
        .snapshot_id(id)
        .attribute(SnapshotAttributeName::CreateVolumePermission)
        .send();
    let arn = ec2_arn(ctx, "snapshot", id);
    let permissions = match ctx
        .detail(
            "ec2:DescribeSnapshotAttribute",
            &arn,
            &["InvalidSnapshot.NotFound"],
            call,
        )
        .await
    {
        Ok(Some(out)) => Permissions::Read(
            out.create_volume_permissions()
                .iter()
                .map(|p| json!({"group": p.group().map(|g| g.as_str()), "user_id": p.user_id()}))
                .collect(),
        ),
        Ok(None) => Permissions::Gone,
        Err(_) => Permissions::Failed,
    };
    (snapshot, permissions)
}

/// `permissions` is `None` when they were not read: the key is left out.
pub(super) fn add_snapshot(ctx: &Ctx, snapshot: &Snapshot, permissions: Option<Vec<Value>>) {
    let Some(id) = snapshot.snapshot_id() else {
        return;
    };
    let arn = ec2_arn(ctx, "snapshot", id);
    if let Some(volume) = snapshot
        .volume_id()
        .filter(|v| !v.is_empty() && *v != NO_VOLUME)
    {
        ctx.relate(&arn, "created_from", ec2_arn(ctx, "volume", volume));
    }
    if let Some(key) = snapshot.kms_key_id().and_then(|k| kms_key_arn(ctx, k)) {
        ctx.relate(&arn, "encrypted_by", key);
    }
    let mut properties = json!({
        "snapshot_id": id,
        "volume_id": snapshot.volume_id(),
        "encrypted": snapshot.encrypted().unwrap_or(false),
        "start_time": time(snapshot.start_time()),
    });
    if let (Some(list), Some(map)) = (permissions, properties.as_object_mut()) {
        map.insert("create_volume_permissions".into(), Value::Array(list));
    }
    ctx.add(ec2_resource(
        ctx,
        arn,
        SNAPSHOT,
        snapshot.tags(),
        id,
        properties,
    ));
}

pub(super) async fn images(ctx: &Ctx, ec2: &Client) {
    let listing = ec2
        .describe_images()
        .owners("self")
        .into_paginator()
        .items()
        .send()
        .try_collect();
    let Some(images) = ctx.list("ec2:DescribeImages", &[IMAGE], listing).await else {
        return;
    };
    for image in images
        .iter()
        .filter(|i| i.owner_id().is_none_or(|o| o == ctx.account))
    {
        add_image(ctx, image);
    }
}

pub(super) fn add_image(ctx: &Ctx, image: &Image) {
    let Some(id) = image.image_id() else { return };
    let properties = json!({
        "image_id": id,
        "public": image.public(),
        "creation_date": image.creation_date(),
        "state": image.state().map(|s| s.as_str()),
    });
    let fallback = image.name().unwrap_or(id);
    let arn = ec2_arn(ctx, "image", id);
    ctx.add(ec2_resource(
        ctx,
        arn,
        IMAGE,
        image.tags(),
        fallback,
        properties,
    ));
}
