//! Route 53: the account's hosted zones, public and private, with whether DNS query
//! logging is configured for them. Records are never read.
//!
//! One listing of zones, one of query-logging configurations (all zones at once), and
//! one tag read per ten zones; a failed tag read is a gap on each zone of the batch.
//!
//! Relations: zone `delivers_to` the log group its queries are logged to.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_route53::types::{HostedZone, TagResourceType};
use serde_json::json;

use crate::registry::{Collector, Scope};
use crate::services::logs::strip_wildcard;
use crate::shape::tag_map;
use crate::{Ctx, client, list_all};

pub const COLLECTOR: Collector = Collector {
    service: "route53",
    scope: Scope::Global,
    actions: &[
        "route53:ListHostedZones",
        "route53:ListQueryLoggingConfigs",
        "route53:ListTagsForResources",
    ],
    run: |ctx| Box::pin(collect(ctx)),
};

const HOSTED_ZONE: &str = "aws.route53.hosted_zone";

/// ListTagsForResources takes at most ten ids.
const TAG_BATCH: usize = 10;

async fn collect(ctx: Ctx) {
    let client = client!(ctx, aws_sdk_route53);
    let Some(zones) = list_all!(
        ctx,
        "route53:ListHostedZones",
        &[HOSTED_ZONE],
        client.list_hosted_zones()
    )
    .await
    else {
        return;
    };
    if zones.is_empty() {
        return;
    }
    // Without the configurations, no zone can be said to log or not: a type-level gap.
    let logging: Option<HashMap<String, String>> = list_all!(
        ctx,
        "route53:ListQueryLoggingConfigs",
        &[HOSTED_ZONE],
        client.list_query_logging_configs()
    )
    .await
    .map(|configs| {
        configs
            .iter()
            .map(|c| {
                (
                    c.hosted_zone_id().to_owned(),
                    c.cloud_watch_logs_log_group_arn().to_owned(),
                )
            })
            .collect()
    });
    let mut tags: HashMap<String, BTreeMap<String, String>> = HashMap::new();
    for batch in zones.chunks(TAG_BATCH) {
        let ids: Vec<String> = batch.iter().map(|z| zone_id(z).to_owned()).collect();
        let read = ctx
            .call(
                "route53:ListTagsForResources",
                client
                    .list_tags_for_resources()
                    .resource_type(TagResourceType::Hostedzone)
                    .set_resource_ids(Some(ids.clone()))
                    .send(),
            )
            .await;
        match read {
            Ok(out) => {
                for set in out.resource_tag_sets() {
                    if let Some(id) = set.resource_id() {
                        tags.insert(
                            id.to_owned(),
                            tag_map(set.tags().iter().map(|t| (t.key(), t.value()))),
                        );
                    }
                }
            }
            Err(err) => {
                for id in &ids {
                    ctx.gap_resource("route53:ListTagsForResources", &zone_arn(id), &err);
                }
            }
        }
    }
    for zone in &zones {
        let id = zone_id(zone);
        let arn = zone_arn(id);
        let log_group = logging.as_ref().map(|l| l.get(id));
        if let Some(Some(group)) = log_group {
            ctx.relate(&arn, "delivers_to", strip_wildcard(group));
        }
        let mut resource = ctx.global_resource(&arn, HOSTED_ZONE);
        resource.name = Some(zone.name().to_owned());
        resource.tags = tags.remove(id).unwrap_or_default();
        let mut props = json!({
            "id": id,
            "name": zone.name(),
            "private_zone": zone.config().is_some_and(|c| c.private_zone()),
            "record_count": zone.resource_record_set_count(),
        });
        if let (Some(group), Some(map)) = (log_group, props.as_object_mut()) {
            map.insert("query_logging_log_group".into(), json!(group));
        }
        resource.properties = props.into();
        ctx.add(resource);
    }
}

/// `Z123…` from `/hostedzone/Z123…`.
fn zone_id(zone: &HostedZone) -> &str {
    zone.id().trim_start_matches("/hostedzone/")
}

fn zone_arn(id: &str) -> String {
    format!("arn:aws:route53:::hostedzone/{id}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zone_ids_lose_their_path_prefix() {
        let zone = HostedZone::builder()
            .id("/hostedzone/Z0123")
            .name("example.com.")
            .caller_reference("r")
            .build()
            .unwrap();
        assert_eq!(zone_id(&zone), "Z0123");
        assert_eq!(zone_arn("Z0123"), "arn:aws:route53:::hostedzone/Z0123");
    }
}
