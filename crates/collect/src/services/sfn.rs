//! Step Functions: the region's state machines with their logging level, X-Ray tracing,
//! encryption key and role. Definitions and executions are never read.
//!
//! One paginated listing and one DescribeStateMachine per machine (a failed read is a gap
//! on the machine, which keeps its name only); tags from ListTagsForResource.
//!
//! Relations: state machine `uses` its role, `encrypted_by` its KMS key, `delivers_to`
//! the log groups it logs to.

use aws_sdk_sfn::Client;
use aws_sdk_sfn::types::StateMachineListItem;
use serde_json::{Map, Value, json};
use vigil_inventory::Resource;

use crate::registry::{Collector, Scope};
use crate::services::ec2::kms_key_arn;
use crate::services::logs::strip_wildcard;
use crate::shape::{enum_str, tag_map};
use crate::{Ctx, client, list_all};

pub const COLLECTOR: Collector = Collector {
    service: "states",
    scope: Scope::Regional,
    actions: &[
        "states:ListStateMachines",
        "states:DescribeStateMachine",
        "states:ListTagsForResource",
    ],
    run: |ctx| Box::pin(collect(ctx)),
};

const STATE_MACHINE: &str = "aws.states.state_machine";

const GONE: &[&str] = &["StateMachineDoesNotExist", "ResourceNotFound"];

async fn collect(ctx: Ctx) {
    let client = client!(ctx, aws_sdk_sfn);
    let Some(machines) = list_all!(
        ctx,
        "states:ListStateMachines",
        &[STATE_MACHINE],
        client.list_state_machines()
    )
    .await
    else {
        return;
    };
    ctx.each(machines, |m| machine(&ctx, &client, m)).await;
}

async fn machine(ctx: &Ctx, client: &Client, m: StateMachineListItem) -> Option<Resource> {
    let arn = m.state_machine_arn();
    let (described, tags) = futures::join!(
        ctx.detail(
            "states:DescribeStateMachine",
            arn,
            GONE,
            client
                .describe_state_machine()
                .state_machine_arn(arn)
                .send(),
        ),
        ctx.detail(
            "states:ListTagsForResource",
            arn,
            GONE,
            client.list_tags_for_resource().resource_arn(arn).send(),
        ),
    );
    let mut props = Map::new();
    props.insert("name".into(), json!(m.name()));
    props.insert("arn".into(), json!(arn));
    match &described {
        Ok(None) => return None,
        Ok(Some(out)) => {
            let logging = out.logging_configuration();
            props.insert("type".into(), json!(out.r#type().as_str()));
            props.insert("status".into(), enum_str(out.status()));
            // No logging configuration: the level is OFF.
            props.insert(
                "logging_level".into(),
                logging
                    .and_then(|l| l.level())
                    .map_or(json!("OFF"), |l| json!(l.as_str())),
            );
            props.insert(
                "include_execution_data".into(),
                json!(logging.is_some_and(|l| l.include_execution_data())),
            );
            let groups: Vec<&str> = logging
                .map(|l| l.destinations())
                .unwrap_or_default()
                .iter()
                .filter_map(|d| d.cloud_watch_logs_log_group()?.log_group_arn())
                .map(strip_wildcard)
                .collect();
            for group in &groups {
                ctx.relate(arn, "delivers_to", *group);
            }
            props.insert("log_groups".into(), json!(groups));
            props.insert(
                "tracing_enabled".into(),
                json!(out.tracing_configuration().is_some_and(|t| t.enabled())),
            );
            let key = out.encryption_configuration().and_then(|e| e.kms_key_id());
            props.insert("kms_key_id".into(), json!(key));
            if let Some(key) = key.and_then(|k| kms_key_arn(ctx, k)) {
                ctx.relate(arn, "encrypted_by", key);
            }
            props.insert("role_arn".into(), json!(out.role_arn()));
            ctx.relate(arn, "uses", out.role_arn());
        }
        Err(_) => {}
    }
    let mut resource = ctx.resource(arn, STATE_MACHINE);
    resource.name = Some(m.name().to_owned());
    if let Ok(Some(out)) = &tags {
        resource.tags = tag_map(out.tags().iter().map(|t| (t.key(), t.value())));
    }
    resource.properties = Value::Object(props).into();
    Some(resource)
}
