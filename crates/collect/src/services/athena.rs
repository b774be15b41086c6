//! Amazon Athena: the region's workgroups with whether they publish query metrics to
//! CloudWatch, whether they enforce their settings, and how query results are
//! encrypted. Queries and results are never read.
//!
//! One paginated listing (ListWorkGroups) and one GetWorkGroup per workgroup; a failed
//! read is a gap on the workgroup, which keeps its name and state only. Every region
//! has the `primary` workgroup.

use aws_sdk_athena::Client;
use aws_sdk_athena::types::WorkGroupSummary;
use serde_json::{Map, Value, json};
use vigil_inventory::Resource;

use crate::registry::{Collector, Scope};
use crate::shape::enum_str;
use crate::{Ctx, client};

pub const COLLECTOR: Collector = Collector {
    service: "athena",
    scope: Scope::Regional,
    actions: &["athena:ListWorkGroups", "athena:GetWorkGroup"],
    run: |ctx| Box::pin(collect(ctx)),
};

const WORKGROUP: &str = "aws.athena.workgroup";

async fn collect(ctx: Ctx) {
    let client = client!(ctx, aws_sdk_athena);
    let listing = client
        .list_work_groups()
        .into_paginator()
        .send()
        .try_collect();
    let Some(pages) = ctx
        .list("athena:ListWorkGroups", &[WORKGROUP], listing)
        .await
    else {
        return;
    };
    let groups: Vec<WorkGroupSummary> = pages
        .into_iter()
        .flat_map(|p| p.work_groups.unwrap_or_default())
        .collect();
    ctx.each(groups, |g| workgroup(&ctx, &client, g)).await;
}

async fn workgroup(ctx: &Ctx, client: &Client, g: WorkGroupSummary) -> Option<Resource> {
    let name = g.name()?;
    let arn = ctx.arn("athena", &format!("workgroup/{name}"));
    let described = ctx
        .detail(
            "athena:GetWorkGroup",
            &arn,
            &["InvalidRequestException"],
            client.get_work_group().work_group(name).send(),
        )
        .await;
    let mut props = Map::new();
    props.insert("name".into(), json!(name));
    props.insert("state".into(), enum_str(g.state()));
    match &described {
        Ok(None) => return None,
        Ok(Some(out)) => {
            let config = out.work_group().and_then(|w| w.configuration());
            props.insert(
                "publish_cloudwatch_metrics".into(),
                json!(
                    config
                        .and_then(|c| c.publish_cloud_watch_metrics_enabled())
                        .unwrap_or(false)
                ),
            );
            props.insert(
                "enforce_configuration".into(),
                json!(
                    config
                        .and_then(|c| c.enforce_work_group_configuration())
                        .unwrap_or(false)
                ),
            );
            let encryption = config
                .and_then(|c| c.result_configuration())
                .and_then(|r| r.encryption_configuration());
            props.insert(
                "result_encryption".into(),
                encryption.map_or(Value::Null, |e| json!(e.encryption_option().as_str())),
            );
        }
        Err(_) => {}
    }
    let mut resource = ctx.resource(&arn, WORKGROUP);
    resource.name = Some(name.to_owned());
    resource.properties = Value::Object(props).into();
    Some(resource)
}
