//! Amazon MQ: the region's brokers with their engine, public accessibility, automatic
//! minor version upgrades and CloudWatch log streaming. Users and messages are never
//! read.
//!
//! One paginated listing (ListBrokers) and one DescribeBroker per broker; a failed read
//! is a gap on the broker, which keeps its name and engine only.
//!
//! Relations: broker `logs_to` its audit and general log groups.

use aws_sdk_mq::Client;
use aws_sdk_mq::types::BrokerSummary;
use serde_json::{Map, Value, json};
use vigil_inventory::Resource;

use crate::registry::{Collector, Scope};
use crate::shape::{enum_str, hash_tags};
use crate::{Ctx, client, list_all};

pub const COLLECTOR: Collector = Collector {
    service: "mq",
    scope: Scope::Regional,
    actions: &["mq:ListBrokers", "mq:DescribeBroker"],
    run: |ctx| Box::pin(collect(ctx)),
};

const BROKER: &str = "aws.mq.broker";

async fn collect(ctx: Ctx) {
    let client = client!(ctx, aws_sdk_mq);
    let Some(brokers) = list_all!(ctx, "mq:ListBrokers", &[BROKER], client.list_brokers()).await
    else {
        return;
    };
    ctx.each(brokers, |b| broker(&ctx, &client, b)).await;
}

async fn broker(ctx: &Ctx, client: &Client, b: BrokerSummary) -> Option<Resource> {
    let (id, arn) = (b.broker_id()?, b.broker_arn()?);
    let described = ctx
        .detail(
            "mq:DescribeBroker",
            arn,
            &["NotFoundException"],
            client.describe_broker().broker_id(id).send(),
        )
        .await;
    let mut resource = ctx.resource(arn, BROKER);
    resource.name = b.broker_name().map(str::to_owned);
    let mut props = Map::new();
    props.insert("id".into(), json!(id));
    props.insert("arn".into(), json!(arn));
    props.insert("name".into(), json!(b.broker_name()));
    props.insert("engine_type".into(), enum_str(b.engine_type()));
    props.insert("deployment_mode".into(), enum_str(b.deployment_mode()));
    match &described {
        Ok(None) => return None,
        Ok(Some(out)) => {
            let logs = out.logs();
            for group in [
                logs.and_then(|l| l.audit_log_group()),
                logs.and_then(|l| l.general_log_group()),
            ]
            .into_iter()
            .flatten()
            {
                ctx.relate(arn, "logs_to", group);
            }
            props.insert("engine_version".into(), json!(out.engine_version()));
            props.insert(
                "auto_minor_version_upgrade".into(),
                json!(out.auto_minor_version_upgrade().unwrap_or(false)),
            );
            props.insert(
                "publicly_accessible".into(),
                json!(out.publicly_accessible().unwrap_or(false)),
            );
            props.insert(
                "audit_logs".into(),
                json!(logs.and_then(|l| l.audit()).unwrap_or(false)),
            );
            props.insert(
                "general_logs".into(),
                json!(logs.and_then(|l| l.general()).unwrap_or(false)),
            );
            resource.tags = hash_tags(out.tags());
        }
        Err(_) => {}
    }
    resource.properties = Value::Object(props).into();
    Some(resource)
}
