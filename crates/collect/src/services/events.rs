//! EventBridge: the region's event buses with their resource policy and KMS key, and
//! the rules of every bus with their event pattern and targets. Incident-response rules read them ("GuardDuty findings reach a topic or a
//! runbook"): `sources` and `detail_types` say what a rule listens to, `targets` and the
//! `invokes` relations say where the events go.
//!
//! A failed `ListEventBuses` or `ListRules` is a type-level gap (the list of rules is
//! incomplete); a failed `ListTargetsByRule` is a gap on the rule and leaves `targets`
//! absent, a failed `DescribeEventBus` a gap on the bus that leaves `policy` absent. EventBridge has no paginators in the SDK, so pages are followed by hand.

use aws_sdk_eventbridge::error::SdkError;
use aws_sdk_eventbridge::operation::list_event_buses::ListEventBusesError;
use aws_sdk_eventbridge::operation::list_rules::ListRulesError;
use aws_sdk_eventbridge::operation::list_targets_by_rule::ListTargetsByRuleError;
use aws_sdk_eventbridge::types::{EventBus, Rule, Target};
use futures::StreamExt;
use serde_json::{Map, Value, json};

use crate::registry::{Collector, Scope};
use crate::services::ec2::kms_key_arn;
use crate::shape::put;
use crate::{Ctx, client, policy_document};

pub const COLLECTOR: Collector = Collector {
    service: "events",
    scope: Scope::Regional,
    actions: &[
        "events:ListEventBuses",
        "events:DescribeEventBus",
        "events:ListRules",
        "events:ListTargetsByRule",
    ],
    run: |ctx| Box::pin(collect(ctx)),
};

const RULE: &str = "aws.events.rule";
const BUS: &str = "aws.events.event_bus";

/// Rules whose targets are read at once.
const TARGET_CONCURRENCY: usize = 4;

/// A rule deleted between `ListRules` and `ListTargetsByRule`: it is gone, not unseen.
const RULE_GONE: &[&str] = &["ResourceNotFoundException"];

async fn collect(ctx: Ctx) {
    let client = client!(ctx, aws_sdk_eventbridge);
    let Some(buses) = ctx
        .list("events:ListEventBuses", &[RULE, BUS], list_buses(&client))
        .await
    else {
        return;
    };
    ctx.each(buses.clone(), |bus| event_bus(&ctx, &client, bus))
        .await;
    let mut rules: Vec<(String, Rule)> = Vec::new();
    for bus in buses
        .into_iter()
        .filter_map(|b| b.name().map(str::to_owned))
    {
        // A bus whose rules cannot be listed leaves a type-level gap; the other buses'
        // rules are still worth collecting.
        if let Some(listed) = ctx
            .list("events:ListRules", &[RULE], list_rules(&client, &bus))
            .await
        {
            rules.extend(listed.into_iter().map(|rule| (bus.clone(), rule)));
        }
    }
    futures::stream::iter(rules)
        .map(|(bus, rule)| collect_rule(&ctx, &client, bus, rule))
        .buffer_unordered(TARGET_CONCURRENCY)
        .collect::<Vec<()>>()
        .await;
}

/// The token of the next page: none when the service sends none, an empty one, or the
/// one just used (some endpoints repeat it instead of ending the listing).
fn next_page(new: Option<&str>, previous: Option<&str>) -> Option<String> {
    new.filter(|t| !t.is_empty() && Some(*t) != previous)
        .map(str::to_owned)
}

/// Every event bus of the region, all pages.
async fn list_buses(
    client: &aws_sdk_eventbridge::Client,
) -> Result<Vec<EventBus>, SdkError<ListEventBusesError>> {
    let mut names = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let out = client
            .list_event_buses()
            .set_next_token(token.clone())
            .send()
            .await?;
        names.extend_from_slice(out.event_buses());
        match next_page(out.next_token(), token.as_deref()) {
            Some(next) => token = Some(next),
            None => return Ok(names),
        }
    }
}

/// What kind of bus a name is: the account's `default` bus, a SaaS partner's
/// (`aws.partner/…`), or one the account created.
fn bus_kind(name: &str) -> &'static str {
    if name == "default" {
        "default"
    } else if name.starts_with("aws.partner/") {
        "partner"
    } else {
        "custom"
    }
}

/// One bus with its resource policy (`null` when it has none) and encryption key.
async fn event_bus(
    ctx: &Ctx,
    client: &aws_sdk_eventbridge::Client,
    bus: EventBus,
) -> Option<vigil_inventory::Resource> {
    let name = bus.name()?;
    let arn = bus.arn().map_or_else(
        || ctx.arn("events", &format!("event-bus/{name}")),
        str::to_owned,
    );
    let described = ctx
        .detail(
            "events:DescribeEventBus",
            &arn,
            RULE_GONE,
            client.describe_event_bus().name(name).send(),
        )
        .await;
    let mut props = Map::new();
    props.insert("name".into(), json!(name));
    props.insert("arn".into(), json!(arn));
    props.insert("kind".into(), json!(bus_kind(name)));
    let (policy, key) = match &described {
        Ok(None) => return None,
        Ok(Some(out)) => (
            Some(policy_document(out.policy())),
            Some(json!(out.kms_key_identifier())),
        ),
        Err(_) => (None, None),
    };
    put(&mut props, "policy", policy);
    put(&mut props, "kms_key_identifier", key);
    if let Ok(Some(out)) = &described
        && let Some(key) = out.kms_key_identifier().and_then(|k| kms_key_arn(ctx, k))
    {
        ctx.relate(&arn, "encrypted_by", key);
    }
    let mut resource = ctx.resource(&arn, BUS);
    resource.name = Some(name.to_owned());
    resource.properties = Value::Object(props).into();
    Some(resource)
}

/// Every rule of one bus, all pages.
async fn list_rules(
    client: &aws_sdk_eventbridge::Client,
    bus: &str,
) -> Result<Vec<Rule>, SdkError<ListRulesError>> {
    let mut rules = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let out = client
            .list_rules()
            .event_bus_name(bus)
            .set_next_token(token.clone())
            .send()
            .await?;
        rules.extend_from_slice(out.rules());
        match next_page(out.next_token(), token.as_deref()) {
            Some(next) => token = Some(next),
            None => return Ok(rules),
        }
    }
}

/// Every target of one rule, all pages.
async fn list_targets(
    client: &aws_sdk_eventbridge::Client,
    bus: &str,
    rule: &str,
) -> Result<Vec<Target>, SdkError<ListTargetsByRuleError>> {
    let mut targets = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let out = client
            .list_targets_by_rule()
            .event_bus_name(bus)
            .rule(rule)
            .set_next_token(token.clone())
            .send()
            .await?;
        targets.extend_from_slice(out.targets());
        match next_page(out.next_token(), token.as_deref()) {
            Some(next) => token = Some(next),
            None => return Ok(targets),
        }
    }
}

async fn collect_rule(ctx: &Ctx, client: &aws_sdk_eventbridge::Client, bus: String, rule: Rule) {
    let (Some(arn), Some(name)) = (rule.arn(), rule.name()) else {
        return;
    };
    let bus = rule.event_bus_name().unwrap_or(&bus);
    let mut props = rule_properties(&rule, bus);
    let targets = ctx
        .detail(
            "events:ListTargetsByRule",
            arn,
            RULE_GONE,
            list_targets(client, bus, name),
        )
        .await;
    match targets {
        Ok(Some(targets)) => {
            for target in &targets {
                ctx.relate(arn, "invokes", target_resource_id(target.arn()));
            }
            props.insert(
                "targets".into(),
                Value::Array(targets.iter().map(target_json).collect()),
            );
        }
        Ok(None) => return,
        // The gap is recorded; `targets` stays absent.
        Err(_) => {}
    }
    let mut resource = ctx.resource(arn, RULE);
    resource.name = Some(name.to_owned());
    resource.properties = Value::Object(props).into();
    ctx.add(resource);
}

/// What `ListRules` tells about a rule, with the pattern parsed and what it listens to.
fn rule_properties(rule: &Rule, bus: &str) -> Map<String, Value> {
    let pattern = event_pattern(rule.event_pattern());
    let mut p = Map::new();
    p.insert("arn".into(), json!(rule.arn()));
    p.insert("name".into(), json!(rule.name()));
    p.insert("event_bus_name".into(), json!(bus));
    p.insert("state".into(), json!(rule.state().map(|s| s.as_str())));
    p.insert("sources".into(), json!(pattern_values(&pattern, "source")));
    p.insert(
        "detail_types".into(),
        json!(pattern_values(&pattern, "detail-type")),
    );
    p.insert("event_pattern".into(), pattern);
    p.insert(
        "schedule_expression".into(),
        json!(rule.schedule_expression()),
    );
    p.insert("managed_by".into(), json!(rule.managed_by()));
    p
}

/// The pattern as a JSON object; `null` for schedule-only rules. Text that does not
/// parse is kept as a string, so a rule reading a field of it reports ERROR.
fn event_pattern(text: Option<&str>) -> Value {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => Value::Null,
        Some(t) => serde_json::from_str(t).unwrap_or_else(|_| Value::String(t.to_owned())),
    }
}

/// The exact values a pattern matches for a top-level field: the strings of its array,
/// or the field itself when a (lenient) pattern gives a single string. Content filters
/// (`{"prefix": "aws."}`) are not exact values and stay in `event_pattern` only.
fn pattern_values(pattern: &Value, field: &str) -> Vec<String> {
    match pattern.get(field) {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(values)) => values
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    }
}

fn target_json(target: &Target) -> Value {
    json!({
        "id": target.id(),
        "arn": target.arn(),
        "service": arn_service(target.arn()),
    })
}

/// The service field of an ARN (`arn:aws:sns:…` → `sns`); `None` for anything else.
fn arn_service(arn: &str) -> Option<&str> {
    let mut fields = arn.split(':');
    (fields.next() == Some("arn"))
        .then(|| fields.nth(1))
        .flatten()
        .filter(|s| !s.is_empty())
}

/// The inventory id of what a target ARN names. Topics, queues and buses are their
/// ARN; a Lambda target may carry a version or alias, which the function id does not;
/// a log group target may end in `:*`, which the log group id does not; an SSM
/// Automation target names the runbook as `automation-definition/NAME[:VERSION]`, whose
/// id is the document ARN.
fn target_resource_id(arn: &str) -> String {
    let fields: Vec<&str> = arn.split(':').collect();
    match fields.as_slice() {
        [
            "arn",
            partition,
            "lambda",
            region,
            account,
            "function",
            name,
            ..,
        ] => {
            format!("arn:{partition}:lambda:{region}:{account}:function:{name}")
        }
        ["arn", _, "logs", ..] => arn.strip_suffix(":*").unwrap_or(arn).to_owned(),
        ["arn", partition, "ssm", region, account, resource, ..] => {
            match resource.strip_prefix("automation-definition/") {
                Some(name) => format!("arn:{partition}:ssm:{region}:{account}:document/{name}"),
                None => arn.to_owned(),
            }
        }
        _ => arn.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_eventbridge::types::RuleState;

    const ACCOUNT: &str = "111122223333";

    fn target(id: &str, arn: &str) -> Target {
        Target::builder()
            .id(id)
            .arn(arn)
            .build()
            .expect("id and arn")
    }

    #[test]
    fn guardduty_rule_on_the_default_bus() {
        let rule = Rule::builder()
            .name("gd-findings")
            .arn(format!("arn:aws:events:us-east-1:{ACCOUNT}:rule/gd-findings"))
            .state(RuleState::Enabled)
            .event_pattern(
                r#"{"source":["aws.guardduty"],"detail-type":["GuardDuty Finding"],"detail":{"severity":[{"numeric":[">=",7]}]}}"#,
            )
            .event_bus_name("default")
            .build();
        let p = Value::Object(rule_properties(&rule, "default"));
        assert_eq!(p["name"], "gd-findings");
        assert_eq!(p["event_bus_name"], "default");
        assert_eq!(p["state"], "ENABLED");
        assert_eq!(p["sources"], json!(["aws.guardduty"]));
        assert_eq!(p["detail_types"], json!(["GuardDuty Finding"]));
        assert_eq!(p["event_pattern"]["detail"]["severity"][0]["numeric"][1], 7);
        assert_eq!(p["schedule_expression"], Value::Null);
        assert_eq!(p["managed_by"], Value::Null);
    }

    #[test]
    fn a_string_source_counts_as_one_and_content_filters_are_skipped() {
        let pattern = event_pattern(Some(
            r#"{"source":"aws.securityhub","detail-type":[{"prefix":"Security Hub"},"Security Hub Findings - Imported"]}"#,
        ));
        assert_eq!(pattern_values(&pattern, "source"), vec!["aws.securityhub"]);
        assert_eq!(
            pattern_values(&pattern, "detail-type"),
            vec!["Security Hub Findings - Imported"]
        );
        assert!(pattern_values(&pattern, "account").is_empty());
    }

    #[test]
    fn scheduled_rule_on_a_custom_bus_has_no_pattern() {
        let rule = Rule::builder()
            .name("nightly")
            .arn(format!(
                "arn:aws:events:us-east-1:{ACCOUNT}:rule/ops/nightly"
            ))
            .state(RuleState::EnabledWithAllCloudtrailManagementEvents)
            .schedule_expression("rate(1 day)")
            .managed_by("ssm.amazonaws.com")
            .build();
        // ListRules may leave the bus out; the bus it was listed on is used then.
        let p = Value::Object(rule_properties(&rule, "ops"));
        assert_eq!(p["event_bus_name"], "ops");
        assert_eq!(p["state"], "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS");
        assert_eq!(p["event_pattern"], Value::Null);
        assert_eq!(p["sources"], json!([]));
        assert_eq!(p["detail_types"], json!([]));
        assert_eq!(p["schedule_expression"], "rate(1 day)");
        assert_eq!(p["managed_by"], "ssm.amazonaws.com");
    }

    #[test]
    fn an_unparsable_pattern_is_kept_as_text() {
        assert_eq!(event_pattern(Some("{not json")), json!("{not json"));
        assert_eq!(event_pattern(Some("  ")), Value::Null);
        assert!(pattern_values(&json!("{not json"), "source").is_empty());
    }

    #[test]
    fn target_service_is_the_third_arn_field() {
        let t = target("1", &format!("arn:aws:sns:us-east-1:{ACCOUNT}:alerts"));
        assert_eq!(
            target_json(&t),
            json!({"id": "1", "arn": format!("arn:aws:sns:us-east-1:{ACCOUNT}:alerts"), "service": "sns"})
        );
        assert_eq!(
            arn_service("arn:aws:ssm-incidents::111122223333:response-plan/p"),
            Some("ssm-incidents")
        );
        assert_eq!(
            arn_service("arn:aws-cn:states:cn-north-1:1:stateMachine:s"),
            Some("states")
        );
        assert_eq!(arn_service("not-an-arn"), None);
        assert_eq!(arn_service("arn:aws"), None);
    }

    #[test]
    fn target_arns_map_to_inventory_ids() {
        let topic = format!("arn:aws:sns:us-east-1:{ACCOUNT}:alerts");
        assert_eq!(target_resource_id(&topic), topic);
        assert_eq!(
            target_resource_id(&format!(
                "arn:aws:lambda:us-east-1:{ACCOUNT}:function:triage:live"
            )),
            format!("arn:aws:lambda:us-east-1:{ACCOUNT}:function:triage")
        );
        assert_eq!(
            target_resource_id(&format!(
                "arn:aws:lambda:us-east-1:{ACCOUNT}:function:triage"
            )),
            format!("arn:aws:lambda:us-east-1:{ACCOUNT}:function:triage")
        );
        assert_eq!(
            target_resource_id(&format!(
                "arn:aws:ssm:us-east-1:{ACCOUNT}:automation-definition/Isolate:$DEFAULT"
            )),
            format!("arn:aws:ssm:us-east-1:{ACCOUNT}:document/Isolate")
        );
        assert_eq!(
            target_resource_id(&format!(
                "arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws/events/gd:*"
            )),
            format!("arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws/events/gd")
        );
        let run_command = "arn:aws:ssm:us-east-1::document/AWS-RunShellScript";
        assert_eq!(target_resource_id(run_command), run_command);
    }

    #[test]
    fn pagination_stops_on_missing_empty_or_repeated_tokens() {
        assert_eq!(next_page(Some("b"), Some("a")), Some("b".to_owned()));
        assert_eq!(next_page(Some("a"), None), Some("a".to_owned()));
        assert_eq!(next_page(None, Some("a")), None);
        assert_eq!(next_page(Some(""), None), None);
        assert_eq!(next_page(Some("a"), Some("a")), None);
    }
}
