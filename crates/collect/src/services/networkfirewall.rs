//! AWS Network Firewall: firewalls (deletion and subnet change protection, logging, the
//! policy and subnets), the firewall policies they use (stateless default actions, rule
//! group references) and the stateless rule groups those policies reference (how many
//! rules they hold; the rules themselves are not stored).
//!
//! One listing (ListFirewalls); each firewall is read with DescribeFirewall and
//! DescribeLoggingConfiguration. Policies and rule groups are read by the ARNs that
//! firewalls and policies name, not listed: a policy no firewall uses filters nothing,
//! and an account without firewalls costs one call per region. A failed read is a gap
//! on that resource, which keeps its name and ARN only.
//!
//! Relations: firewall `member_of` its VPC and subnets, `uses` its policy, `logs_to` its
//! log destinations (log groups, buckets, streams); policy `uses` its rule groups.

use std::collections::BTreeSet;

use aws_sdk_networkfirewall::Client;
use aws_sdk_networkfirewall::types::FirewallMetadata;
use serde_json::{Map, Value, json};
use vigil_inventory::Resource;

use crate::registry::{Collector, Scope};
use crate::shape::{ec2_id, tag_map};
use crate::{Ctx, client, list_all};

pub const COLLECTOR: Collector = Collector {
    service: "network-firewall",
    scope: Scope::Regional,
    actions: &[
        "network-firewall:ListFirewalls",
        "network-firewall:DescribeFirewall",
        "network-firewall:DescribeLoggingConfiguration",
        "network-firewall:DescribeFirewallPolicy",
        "network-firewall:DescribeRuleGroup",
    ],
    run: |ctx| Box::pin(collect(ctx)),
};

const FIREWALL: &str = "aws.networkfirewall.firewall";
const POLICY: &str = "aws.networkfirewall.firewall_policy";
const RULE_GROUP: &str = "aws.networkfirewall.rule_group";

const GONE: &[&str] = &["ResourceNotFoundException"];

async fn collect(ctx: Ctx) {
    let client = client!(ctx, aws_sdk_networkfirewall);
    let Some(firewalls) = list_all!(
        ctx,
        "network-firewall:ListFirewalls",
        &[FIREWALL, POLICY, RULE_GROUP],
        client.list_firewalls()
    )
    .await
    else {
        return;
    };
    let policies: std::sync::Mutex<BTreeSet<String>> = Default::default();
    ctx.each(firewalls, |f| firewall(&ctx, &client, f, &policies))
        .await;
    let policies = policies.into_inner().expect("policy set lock");
    let groups: std::sync::Mutex<BTreeSet<String>> = Default::default();
    ctx.each(policies, |arn| policy(&ctx, &client, arn, &groups))
        .await;
    let groups = groups.into_inner().expect("rule group set lock");
    ctx.each(groups, |arn| rule_group(&ctx, &client, arn)).await;
}

async fn firewall(
    ctx: &Ctx,
    client: &Client,
    f: FirewallMetadata,
    policies: &std::sync::Mutex<BTreeSet<String>>,
) -> Option<Resource> {
    let arn = f.firewall_arn()?;
    let name = f.firewall_name().unwrap_or(arn);
    let (described, logging) = futures::join!(
        ctx.detail(
            "network-firewall:DescribeFirewall",
            arn,
            GONE,
            client.describe_firewall().firewall_arn(arn).send(),
        ),
        ctx.detail(
            "network-firewall:DescribeLoggingConfiguration",
            arn,
            GONE,
            client
                .describe_logging_configuration()
                .firewall_arn(arn)
                .send(),
        ),
    );
    let mut resource = ctx.resource(arn, FIREWALL);
    resource.name = Some(name.to_owned());
    let mut props = Map::new();
    props.insert("name".into(), json!(name));
    props.insert("arn".into(), json!(arn));
    match &described {
        Ok(None) => return None,
        Ok(Some(out)) => {
            if let Some(fw) = out.firewall() {
                let subnets: Vec<&str> =
                    fw.subnet_mappings().iter().map(|s| s.subnet_id()).collect();
                props.insert("policy_arn".into(), json!(fw.firewall_policy_arn()));
                props.insert("vpc_id".into(), json!(fw.vpc_id()));
                props.insert("subnet_ids".into(), json!(subnets));
                props.insert("delete_protection".into(), json!(fw.delete_protection()));
                props.insert(
                    "subnet_change_protection".into(),
                    json!(fw.subnet_change_protection()),
                );
                props.insert(
                    "policy_change_protection".into(),
                    json!(fw.firewall_policy_change_protection()),
                );
                resource.tags = tag_map(fw.tags().iter().map(|t| (Some(t.key()), Some(t.value()))));
                if !fw.vpc_id().is_empty() {
                    ctx.relate(arn, "member_of", ec2_id(ctx, "vpc", fw.vpc_id()));
                }
                for subnet in subnets {
                    ctx.relate(arn, "member_of", ec2_id(ctx, "subnet", subnet));
                }
                if !fw.firewall_policy_arn().is_empty() {
                    ctx.relate(arn, "uses", fw.firewall_policy_arn());
                    policies
                        .lock()
                        .expect("policy set lock")
                        .insert(fw.firewall_policy_arn().to_owned());
                }
            }
        }
        Err(_) => {}
    }
    match &logging {
        Ok(Some(out)) => {
            let destinations: Vec<Value> = out
                .logging_configuration()
                .map(|l| l.log_destination_configs())
                .unwrap_or_default()
                .iter()
                .map(|d| {
                    let target = d
                        .log_destination()
                        .get("logGroup")
                        .or_else(|| d.log_destination().get("bucketName"))
                        .or_else(|| d.log_destination().get("deliveryStream"));
                    json!({
                        "log_type": d.log_type().as_str(),
                        "destination_type": d.log_destination_type().as_str(),
                        "destination": target,
                    })
                })
                .collect();
            props.insert("log_destinations".into(), Value::Array(destinations));
        }
        Ok(None) => {
            props.insert("log_destinations".into(), json!([]));
        }
        Err(_) => {}
    }
    resource.properties = Value::Object(props).into();
    Some(resource)
}

async fn policy(
    ctx: &Ctx,
    client: &Client,
    arn: String,
    groups: &std::sync::Mutex<BTreeSet<String>>,
) -> Option<Resource> {
    let described = ctx
        .detail(
            "network-firewall:DescribeFirewallPolicy",
            &arn,
            GONE,
            client
                .describe_firewall_policy()
                .firewall_policy_arn(&arn)
                .send(),
        )
        .await;
    let mut resource = ctx.resource(&arn, POLICY);
    let name = arn.rsplit('/').next().unwrap_or(&arn).to_owned();
    let mut props = Map::new();
    props.insert("arn".into(), json!(arn));
    match &described {
        Ok(None) => return None,
        Ok(Some(out)) => {
            let name = out
                .firewall_policy_response()
                .map_or(name.as_str(), |r| r.firewall_policy_name());
            resource.name = Some(name.to_owned());
            props.insert("name".into(), json!(name));
            if let Some(p) = out.firewall_policy() {
                let stateless: Vec<&str> = p
                    .stateless_rule_group_references()
                    .iter()
                    .map(|r| r.resource_arn())
                    .collect();
                let stateful: Vec<&str> = p
                    .stateful_rule_group_references()
                    .iter()
                    .map(|r| r.resource_arn())
                    .collect();
                for group in stateless.iter().chain(&stateful) {
                    ctx.relate(&arn, "uses", *group);
                }
                groups
                    .lock()
                    .expect("rule group set lock")
                    .extend(stateless.iter().map(|g| (*g).to_owned()));
                props.insert(
                    "stateless_default_actions".into(),
                    json!(p.stateless_default_actions()),
                );
                props.insert(
                    "stateless_fragment_default_actions".into(),
                    json!(p.stateless_fragment_default_actions()),
                );
                props.insert("stateless_rule_groups".into(), json!(stateless));
                props.insert("stateful_rule_groups".into(), json!(stateful));
            }
        }
        Err(_) => {
            resource.name = Some(name.clone());
            props.insert("name".into(), json!(name));
        }
    }
    resource.properties = Value::Object(props).into();
    Some(resource)
}

async fn rule_group(ctx: &Ctx, client: &Client, arn: String) -> Option<Resource> {
    let described = ctx
        .detail(
            "network-firewall:DescribeRuleGroup",
            &arn,
            GONE,
            client.describe_rule_group().rule_group_arn(&arn).send(),
        )
        .await;
    let mut resource = ctx.resource(&arn, RULE_GROUP);
    let mut name = arn.rsplit('/').next().unwrap_or(&arn).to_owned();
    let mut props = Map::new();
    props.insert("arn".into(), json!(arn));
    match &described {
        Ok(None) => return None,
        Ok(Some(out)) => {
            if let Some(r) = out.rule_group_response() {
                name = r.rule_group_name().to_owned();
                props.insert("type".into(), json!(r.r#type().map(|t| t.as_str())));
            }
            let stateless = out
                .rule_group()
                .and_then(|g| g.rules_source())
                .and_then(|s| s.stateless_rules_and_custom_actions());
            props.insert(
                "stateless_rule_count".into(),
                json!(stateless.map_or(0, |s| s.stateless_rules().len())),
            );
        }
        Err(_) => {}
    }
    props.insert("name".into(), json!(name));
    resource.name = Some(name);
    resource.properties = Value::Object(props).into();
    Some(resource)
}
