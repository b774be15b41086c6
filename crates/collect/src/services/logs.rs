//! CloudWatch Logs: log groups (retention, encryption) and the metric filters that turn
//! CloudTrail events into the metrics CIS section 4 alarms watch.
//!
//! Ids: a log group is its ARN *without* the trailing `:*` that `DescribeLogGroups`'
//! `arn` field and CloudTrail's `CloudWatchLogsLogGroupArn` carry, so that a trail's
//! `delivers_to` edge and a filter's `monitors` edge land on the same node. Metric filters
//! have no ARN; their id is
//! `arn:aws:logs:REGION:ACCOUNT:log-group:GROUP:metric-filter:FILTER` ([`metric_filter_id`]),
//! which the CloudWatch collector builds too when it relates alarms to filters.

use serde_json::{Map, Value, json};

use aws_sdk_cloudwatchlogs::types::{LogGroup, MetricFilter};

use crate::Ctx;
use crate::registry::{Collector, Scope};

pub const COLLECTOR: Collector = Collector {
    service: "logs",
    scope: Scope::Regional,
    actions: &["logs:DescribeLogGroups", "logs:DescribeMetricFilters"],
    run: |ctx| Box::pin(collect(ctx)),
};

const LOG_GROUP: &str = "aws.logs.log_group";
const METRIC_FILTER: &str = "aws.logs.metric_filter";

async fn collect(ctx: Ctx) {
    let client = crate::client!(ctx, aws_sdk_cloudwatchlogs);
    log_groups(&ctx, &client).await;
    metric_filters(&ctx, &client).await;
}

/// Every log group of the region, with its retention and KMS key.
async fn log_groups(ctx: &Ctx, client: &aws_sdk_cloudwatchlogs::Client) {
    let Some(groups) = crate::list_all!(
        ctx,
        "logs:DescribeLogGroups",
        &[LOG_GROUP],
        client.describe_log_groups()
    )
    .await
    else {
        return;
    };
    for group in &groups {
        let Some(name) = group.log_group_name() else {
            continue;
        };
        let id = log_group_id(group, &ctx.region, &ctx.account);
        let mut resource = ctx.resource(id.clone(), LOG_GROUP);
        resource.name = Some(name.to_owned());
        resource.properties = Value::Object(log_group_properties(group, &id)).into();
        ctx.add(resource);
        if let Some(key) = group.kms_key_id() {
            ctx.relate(id.as_str(), "encrypted_by", key);
        }
    }
}

/// Every metric filter of the region, related to the log group it reads.
async fn metric_filters(ctx: &Ctx, client: &aws_sdk_cloudwatchlogs::Client) {
    let Some(filters) = crate::list_all!(
        ctx,
        "logs:DescribeMetricFilters",
        &[METRIC_FILTER],
        client.describe_metric_filters()
    )
    .await
    else {
        return;
    };
    for filter in &filters {
        let (Some(group), Some(name)) = (filter.log_group_name(), filter.filter_name()) else {
            continue;
        };
        let id = metric_filter_id(&ctx.region, &ctx.account, group, name);
        let mut resource = ctx.resource(id.clone(), METRIC_FILTER);
        resource.name = Some(name.to_owned());
        resource.properties = Value::Object(metric_filter_properties(filter)).into();
        ctx.add(resource);
        ctx.relate(
            id,
            "monitors",
            log_group_arn(&ctx.region, &ctx.account, group),
        );
    }
}

/// `arn:aws:logs:REGION:ACCOUNT:log-group:NAME`, the id of a log group.
pub(crate) fn log_group_arn(region: &str, account: &str, name: &str) -> String {
    format!("arn:aws:logs:{region}:{account}:log-group:{name}")
}

/// The id of a metric filter, which has no ARN of its own: its log group's id followed
/// by `:metric-filter:NAME`.
pub(crate) fn metric_filter_id(
    region: &str,
    account: &str,
    log_group: &str,
    filter: &str,
) -> String {
    format!(
        "{}:metric-filter:{filter}",
        log_group_arn(region, account, log_group)
    )
}

/// A log group ARN without the trailing `:*` that some APIs append.
pub(crate) fn strip_wildcard(arn: &str) -> &str {
    arn.strip_suffix(":*").unwrap_or(arn)
}

/// The group's ARN as AWS gives it (`logGroupArn`, else `arn` without `:*`), or built
/// from its name when the API gives neither.
fn log_group_id(group: &LogGroup, region: &str, account: &str) -> String {
    group
        .log_group_arn()
        .or(group.arn())
        .map(|arn| strip_wildcard(arn).to_owned())
        .unwrap_or_else(|| {
            log_group_arn(region, account, group.log_group_name().unwrap_or_default())
        })
}

/// The contract's log group properties. No retention means events never expire: `null`.
fn log_group_properties(group: &LogGroup, id: &str) -> Map<String, Value> {
    let mut p = Map::new();
    p.insert("arn".into(), json!(id));
    p.insert("log_group_name".into(), json!(group.log_group_name()));
    p.insert("retention_days".into(), json!(group.retention_in_days()));
    p.insert("kms_key_id".into(), json!(group.kms_key_id()));
    p
}

/// The contract's metric filter properties; transformations keep only the metric's
/// identity, which is what alarms match on.
fn metric_filter_properties(filter: &MetricFilter) -> Map<String, Value> {
    let transformations: Vec<Value> = filter
        .metric_transformations()
        .iter()
        .map(|t| json!({"metric_name": t.metric_name(), "metric_namespace": t.metric_namespace()}))
        .collect();
    let mut p = Map::new();
    p.insert("filter_name".into(), json!(filter.filter_name()));
    p.insert("log_group_name".into(), json!(filter.log_group_name()));
    p.insert("filter_pattern".into(), json!(filter.filter_pattern()));
    p.insert(
        "metric_transformations".into(),
        Value::Array(transformations),
    );
    p
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_cloudwatchlogs::types::MetricTransformation;

    #[test]
    fn log_group_id_drops_the_wildcard_and_falls_back_to_the_name() {
        let with_arn = LogGroup::builder()
            .log_group_name("trail")
            .arn("arn:aws:logs:eu-west-1:111122223333:log-group:trail:*")
            .build();
        assert_eq!(
            log_group_id(&with_arn, "eu-west-1", "111122223333"),
            "arn:aws:logs:eu-west-1:111122223333:log-group:trail"
        );
        let bare = LogGroup::builder().log_group_name("/aws/lambda/f").build();
        assert_eq!(
            log_group_id(&bare, "us-east-1", "123456789012"),
            "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/f"
        );
    }

    #[test]
    fn log_group_without_retention_or_key_has_nulls() {
        let group = LogGroup::builder().log_group_name("app").build();
        let p = log_group_properties(&group, "arn:aws:logs:us-east-1:1:log-group:app");
        assert_eq!(p["retention_days"], Value::Null);
        assert_eq!(p["kms_key_id"], Value::Null);
        assert_eq!(p["log_group_name"], json!("app"));
        assert_eq!(p["arn"], json!("arn:aws:logs:us-east-1:1:log-group:app"));

        let kept = LogGroup::builder()
            .log_group_name("app")
            .retention_in_days(365)
            .kms_key_id("arn:aws:kms:us-east-1:1:key/k")
            .build();
        let p = log_group_properties(&kept, "x");
        assert_eq!(p["retention_days"], json!(365));
        assert_eq!(p["kms_key_id"], json!("arn:aws:kms:us-east-1:1:key/k"));
    }

    #[test]
    fn metric_filter_keeps_pattern_and_metric_identity() {
        let filter = MetricFilter::builder()
            .filter_name("root-usage")
            .log_group_name("trail")
            .filter_pattern("{ $.userIdentity.type = \"Root\" }")
            .metric_transformations(
                MetricTransformation::builder()
                    .metric_name("RootAccountUsage")
                    .metric_namespace("CISBenchmark")
                    .metric_value("1")
                    .build()
                    .unwrap(),
            )
            .build();
        let p = metric_filter_properties(&filter);
        assert_eq!(p["filter_name"], json!("root-usage"));
        assert_eq!(p["log_group_name"], json!("trail"));
        assert_eq!(
            p["filter_pattern"],
            json!("{ $.userIdentity.type = \"Root\" }")
        );
        assert_eq!(
            p["metric_transformations"],
            json!([{"metric_name": "RootAccountUsage", "metric_namespace": "CISBenchmark"}])
        );
        assert_eq!(
            metric_filter_id("us-east-1", "123456789012", "trail", "root-usage"),
            "arn:aws:logs:us-east-1:123456789012:log-group:trail:metric-filter:root-usage"
        );
    }
}
