//! CloudWatch metric alarms, related to the SNS topics they notify and to the CloudWatch
//! Logs metric filters whose metric they watch (the CIS section 4 chain trail → log
//! group → metric filter → alarm → topic).
//!
//! Relating an alarm to a filter needs both sides, and the framework has no step that
//! runs after every collector, so this collector lists the region's metric filters
//! itself (`logs:DescribeMetricFilters`, one paginated listing per region, and only when
//! some alarm watches a metric). The logs collector lists them too, to add them as
//! resources: one duplicate listing per region, in exchange for relations that never
//! depend on which collector finished first. Both build filter ids with
//! [`logs::metric_filter_id`].

use std::collections::HashSet;

use serde_json::{Map, Value, json};

use aws_sdk_cloudwatch::types::MetricAlarm;
use aws_sdk_cloudwatchlogs::types::MetricFilter;

use crate::Ctx;
use crate::registry::{Collector, Scope};
use crate::services::logs;

pub const COLLECTOR: Collector = Collector {
    service: "cloudwatch",
    scope: Scope::Regional,
    actions: &["cloudwatch:DescribeAlarms", "logs:DescribeMetricFilters"],
    run: |ctx| Box::pin(collect(ctx)),
};

const ALARM: &str = "aws.cloudwatch.alarm";

async fn collect(ctx: Ctx) {
    let cloudwatch = crate::client!(ctx, aws_sdk_cloudwatch);
    // Without `AlarmTypes`, DescribeAlarms returns metric alarms only, which is what the
    // contract covers (composite alarms watch other alarms, not metrics).
    let Some(pages) = ctx
        .list(
            "cloudwatch:DescribeAlarms",
            &[ALARM],
            cloudwatch
                .describe_alarms()
                .into_paginator()
                .send()
                .try_collect(),
        )
        .await
    else {
        return;
    };
    let alarms: Vec<MetricAlarm> = pages
        .into_iter()
        .flat_map(|p| p.metric_alarms.unwrap_or_default())
        .collect();
    let filters = if alarms.iter().any(|a| !alarm_metrics(a).is_empty()) {
        metric_filters(&ctx).await
    } else {
        Some(Vec::new())
    };
    for alarm in &alarms {
        add_alarm(&ctx, alarm, filters.as_deref());
    }
}

/// The region's metric filters, or `None` after recording that alarms' `monitors`
/// relations are incomplete (a gap over alarms: a missing edge would otherwise read as
/// "no alarm on this filter").
async fn metric_filters(ctx: &Ctx) -> Option<Vec<MetricFilter>> {
    let client = crate::client!(ctx, aws_sdk_cloudwatchlogs);
    crate::list_all!(
        ctx,
        "logs:DescribeMetricFilters",
        &[ALARM],
        client.describe_metric_filters()
    )
    .await
}

fn add_alarm(ctx: &Ctx, alarm: &MetricAlarm, filters: Option<&[MetricFilter]>) {
    let Some(name) = alarm.alarm_name() else {
        return;
    };
    let id = alarm
        .alarm_arn()
        .map(str::to_owned)
        .unwrap_or_else(|| ctx.arn("cloudwatch", &format!("alarm:{name}")));
    let mut resource = ctx.resource(id.clone(), ALARM);
    resource.name = Some(name.to_owned());
    resource.properties = Value::Object(alarm_properties(alarm, &id)).into();
    ctx.add(resource);
    for topic in sns_topics(alarm) {
        ctx.relate(id.as_str(), "notifies", topic);
    }
    for filter in watched_filters(
        alarm,
        filters.unwrap_or_default(),
        &ctx.region,
        &ctx.account,
    ) {
        ctx.relate(id.as_str(), "monitors", filter);
    }
}

/// The contract's alarm properties. `metric_name`/`namespace` are null for alarms on
/// metric math; `alarm_actions` keeps every action ARN (SNS, Auto Scaling, EC2, …).
fn alarm_properties(alarm: &MetricAlarm, id: &str) -> Map<String, Value> {
    let mut p = Map::new();
    p.insert("alarm_name".into(), json!(alarm.alarm_name()));
    p.insert("alarm_arn".into(), json!(alarm.alarm_arn().unwrap_or(id)));
    p.insert("metric_name".into(), json!(alarm.metric_name()));
    p.insert("namespace".into(), json!(alarm.namespace()));
    p.insert("actions_enabled".into(), json!(alarm.actions_enabled()));
    p.insert("alarm_actions".into(), json!(alarm.alarm_actions()));
    p.insert(
        "state_value".into(),
        json!(alarm.state_value().map(|s| s.as_str())),
    );
    p
}

/// The (metric name, namespace) pairs an alarm watches: its own metric, or each metric
/// a metric-math alarm reads.
fn alarm_metrics(alarm: &MetricAlarm) -> Vec<(&str, &str)> {
    let mut metrics = Vec::new();
    if let (Some(name), Some(namespace)) = (alarm.metric_name(), alarm.namespace()) {
        metrics.push((name, namespace));
    }
    for query in alarm.metrics() {
        if let Some(metric) = query.metric_stat().and_then(|s| s.metric())
            && let (Some(name), Some(namespace)) = (metric.metric_name(), metric.namespace())
        {
            metrics.push((name, namespace));
        }
    }
    metrics
}

/// Ids of the metric filters that publish a metric the alarm watches.
fn watched_filters(
    alarm: &MetricAlarm,
    filters: &[MetricFilter],
    region: &str,
    account: &str,
) -> Vec<String> {
    let metrics = alarm_metrics(alarm);
    let mut ids: Vec<String> = Vec::new();
    let mut seen = HashSet::new();
    for filter in filters {
        let (Some(group), Some(name)) = (filter.log_group_name(), filter.filter_name()) else {
            continue;
        };
        let publishes = filter.metric_transformations().iter().any(|t| {
            metrics
                .iter()
                .any(|&(m, ns)| t.metric_name() == m && t.metric_namespace() == ns)
        });
        if publishes {
            let id = logs::metric_filter_id(region, account, group, name);
            if seen.insert(id.clone()) {
                ids.push(id);
            }
        }
    }
    ids
}

/// The SNS topics among the alarm's actions.
fn sns_topics(alarm: &MetricAlarm) -> impl Iterator<Item = &str> {
    alarm
        .alarm_actions()
        .iter()
        .map(String::as_str)
        .filter(|a| a.split(':').nth(2) == Some("sns"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_cloudwatch::types::{Metric, MetricDataQuery, MetricStat, StateValue};
    use aws_sdk_cloudwatchlogs::types::MetricTransformation;

    fn filter(group: &str, name: &str, metric: &str, namespace: &str) -> MetricFilter {
        MetricFilter::builder()
            .log_group_name(group)
            .filter_name(name)
            .metric_transformations(
                MetricTransformation::builder()
                    .metric_name(metric)
                    .metric_namespace(namespace)
                    .metric_value("1")
                    .build()
                    .unwrap(),
            )
            .build()
    }

    fn alarm() -> MetricAlarm {
        MetricAlarm::builder()
            .alarm_name("cis-4.3")
            .alarm_arn("arn:aws:cloudwatch:us-east-1:123456789012:alarm:cis-4.3")
            .metric_name("RootAccountUsage")
            .namespace("CISBenchmark")
            .actions_enabled(true)
            .alarm_actions("arn:aws:sns:us-east-1:123456789012:security-alarms")
            .alarm_actions("arn:aws:autoscaling:us-east-1:123456789012:scalingPolicy:x")
            .state_value(StateValue::Ok)
            .build()
    }

    #[test]
    fn alarm_properties_follow_the_contract() {
        let a = alarm();
        let p = alarm_properties(&a, "unused");
        assert_eq!(p["alarm_name"], json!("cis-4.3"));
        assert_eq!(
            p["alarm_arn"],
            json!("arn:aws:cloudwatch:us-east-1:123456789012:alarm:cis-4.3")
        );
        assert_eq!(p["metric_name"], json!("RootAccountUsage"));
        assert_eq!(p["namespace"], json!("CISBenchmark"));
        assert_eq!(p["actions_enabled"], json!(true));
        assert_eq!(p["state_value"], json!("OK"));
        assert_eq!(p["alarm_actions"].as_array().map(Vec::len), Some(2));
    }

    #[test]
    fn only_sns_actions_are_notified_topics() {
        let a = alarm();
        let topics: Vec<&str> = sns_topics(&a).collect();
        assert_eq!(
            topics,
            vec!["arn:aws:sns:us-east-1:123456789012:security-alarms"]
        );
    }

    #[test]
    fn alarm_watches_the_filters_publishing_its_metric() {
        let filters = vec![
            filter("trail", "root-usage", "RootAccountUsage", "CISBenchmark"),
            filter("trail", "other-namespace", "RootAccountUsage", "Custom"),
            filter(
                "trail",
                "other-metric",
                "ConsoleSigninWithoutMFA",
                "CISBenchmark",
            ),
        ];
        assert_eq!(
            watched_filters(&alarm(), &filters, "us-east-1", "123456789012"),
            vec!["arn:aws:logs:us-east-1:123456789012:log-group:trail:metric-filter:root-usage"]
        );
    }

    #[test]
    fn metric_math_alarm_watches_the_metrics_it_reads() {
        let math = MetricAlarm::builder()
            .alarm_name("math")
            .metrics(
                MetricDataQuery::builder()
                    .id("m1")
                    .metric_stat(
                        MetricStat::builder()
                            .metric(
                                Metric::builder()
                                    .metric_name("RootAccountUsage")
                                    .namespace("CISBenchmark")
                                    .build(),
                            )
                            .period(300)
                            .stat("Sum")
                            .build(),
                    )
                    .build(),
            )
            .build();
        let p = alarm_properties(&math, "arn:aws:cloudwatch:us-east-1:1:alarm:math");
        assert_eq!(p["metric_name"], Value::Null);
        assert_eq!(
            p["alarm_arn"],
            json!("arn:aws:cloudwatch:us-east-1:1:alarm:math")
        );
        let filters = vec![filter(
            "trail",
            "root-usage",
            "RootAccountUsage",
            "CISBenchmark",
        )];
        assert_eq!(watched_filters(&math, &filters, "us-east-1", "1").len(), 1);
    }
}
