//! CloudTrail trails: where they deliver, whether they log, and which events they record.
//!
//! Which region reports a trail: a multi-region trail lives in its home region and is
//! replicated as a "shadow trail" into every other region; an organization trail is
//! also a shadow trail in each member account. `DescribeTrails` with
//! `includeShadowTrails=false` would report each trail exactly once, but only when its
//! home region is scanned: a scan of `eu-west-1` alone would miss the account's
//! `us-east-1` multi-region trail (and a member account would never see its
//! organization trail), and "a multi-region trail is logging" would FAIL falsely. So
//! each region lists trails *with* their shadows, and each trail is collected **once per
//! scan**, by whichever region task sees it first ([`claim`]). Its details are read
//! from its home region (that is where `GetTrailStatus`/`GetEventSelectors` are sure to
//! answer for it) and the resource's region is its home region, so the output does not
//! depend on which task won.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, PoisonError, Weak};

use aws_types::region::Region;
use futures::StreamExt;
use serde_json::{Map, Value, json};

use aws_sdk_cloudtrail::operation::get_event_selectors::GetEventSelectorsOutput;
use aws_sdk_cloudtrail::operation::get_trail_status::GetTrailStatusOutput;
use aws_sdk_cloudtrail::types::{AdvancedEventSelector, AdvancedFieldSelector, Trail};

use crate::ctx::Shared;
use crate::registry::{Collector, Scope};
use crate::services::logs::strip_wildcard;
use crate::{Ctx, time};

pub const COLLECTOR: Collector = Collector {
    service: "cloudtrail",
    scope: Scope::Regional,
    actions: &[
        "cloudtrail:DescribeTrails",
        "cloudtrail:GetTrailStatus",
        "cloudtrail:GetEventSelectors",
    ],
    run: |ctx| Box::pin(collect(ctx)),
};

const TRAIL: &str = "aws.cloudtrail.trail";

async fn collect(ctx: Ctx) {
    let client = crate::client!(ctx, aws_sdk_cloudtrail);
    let Some(out) = ctx
        .list(
            "cloudtrail:DescribeTrails",
            &[TRAIL],
            client.describe_trails().include_shadow_trails(true).send(),
        )
        .await
    else {
        return;
    };
    let trails: Vec<Trail> = out
        .trail_list
        .unwrap_or_default()
        .into_iter()
        .filter(|t| t.trail_arn().is_some_and(|arn| claim(&ctx, arn)))
        .collect();
    futures::stream::iter(trails)
        .map(|t| trail(ctx.clone(), t))
        .buffer_unordered(4)
        .collect::<Vec<()>>()
        .await;
}

/// Trail ARNs already taken in each running scan. A scan is told apart by its shared
/// output; holding a `Weak` keeps that allocation's address from being reused by a later
/// scan while the entry exists, and entries of finished scans are dropped on the next
/// claim.
static CLAIMED: Mutex<Vec<(Weak<Shared>, HashSet<String>)>> = Mutex::new(Vec::new());

/// True for the first region task of a scan that asks for this trail.
fn claim(ctx: &Ctx, trail_arn: &str) -> bool {
    let scan = Arc::downgrade(&ctx.shared);
    let mut claimed = CLAIMED.lock().unwrap_or_else(PoisonError::into_inner);
    claimed.retain(|(s, _)| s.strong_count() > 0);
    if let Some((_, arns)) = claimed.iter_mut().find(|(s, _)| s.ptr_eq(&scan)) {
        return arns.insert(trail_arn.to_owned());
    }
    claimed.push((scan, HashSet::from([trail_arn.to_owned()])));
    true
}

/// The same scan, account and output, calling `region`.
fn in_region(ctx: &Ctx, region: &str) -> Ctx {
    if region == ctx.region {
        return ctx.clone();
    }
    let sdk = ctx
        .sdk()
        .clone()
        .into_builder()
        .region(Region::new(region.to_owned()))
        .build();
    Ctx::new(
        ctx.account.clone(),
        region.to_owned(),
        sdk,
        Arc::clone(&ctx.shared),
    )
}

/// One trail: its configuration from `DescribeTrails`, its status and its event
/// selectors (each left out, with a resource gap, when its call fails).
async fn trail(ctx: Ctx, trail: Trail) {
    let Some(arn) = trail.trail_arn().map(str::to_owned) else {
        return;
    };
    let home = in_region(&ctx, trail.home_region().unwrap_or(&ctx.region));
    let client = crate::client!(home, aws_sdk_cloudtrail);
    let (status, selectors) = futures::join!(
        home.detail(
            "cloudtrail:GetTrailStatus",
            &arn,
            &[],
            client.get_trail_status().name(&arn).send(),
        ),
        home.detail(
            "cloudtrail:GetEventSelectors",
            &arn,
            &[],
            client.get_event_selectors().trail_name(&arn).send(),
        ),
    );
    let mut properties = trail_properties(&trail);
    if let Ok(Some(status)) = &status {
        properties.extend(status_properties(status));
    }
    if let Ok(Some(selectors)) = &selectors {
        properties.extend(selector_properties(selectors));
    }
    let mut resource = home.resource(arn.clone(), TRAIL);
    resource.name = trail.name().map(str::to_owned);
    resource.properties = Value::Object(properties).into();
    home.add(resource);
    relate(&home, &arn, &trail);
}

/// `delivers_to` the bucket and the log group, `encrypted_by` the key.
fn relate(ctx: &Ctx, arn: &str, trail: &Trail) {
    if let Some(bucket) = trail.s3_bucket_name() {
        ctx.relate(arn, "delivers_to", format!("arn:aws:s3:::{bucket}"));
    }
    if let Some(group) = trail.cloud_watch_logs_log_group_arn() {
        ctx.relate(arn, "delivers_to", strip_wildcard(group));
    }
    if let Some(key) = trail.kms_key_id() {
        let account = arn.split(':').nth(4).unwrap_or(&ctx.account);
        ctx.relate(arn, "encrypted_by", kms_key_arn(key, &ctx.region, account));
    }
}

/// A KMS key reference as a key ARN where it can be built without asking KMS: CloudTrail
/// returns the key's full ARN, but a bare key id or alias name is widened to an ARN in
/// the trail's region and account. An alias ARN stays an alias ARN.
fn kms_key_arn(key: &str, region: &str, account: &str) -> String {
    if key.starts_with("arn:") {
        key.to_owned()
    } else if key.starts_with("alias/") {
        format!("arn:aws:kms:{region}:{account}:{key}")
    } else {
        format!("arn:aws:kms:{region}:{account}:key/{key}")
    }
}

/// The configuration `DescribeTrails` gives. `cloud_watch_logs_log_group_arn` is kept as
/// AWS writes it (with `:*`); only the relation drops the wildcard.
fn trail_properties(trail: &Trail) -> Map<String, Value> {
    let mut p = Map::new();
    p.insert("trail_arn".into(), json!(trail.trail_arn()));
    p.insert("name".into(), json!(trail.name()));
    p.insert("home_region".into(), json!(trail.home_region()));
    p.insert(
        "is_multi_region_trail".into(),
        json!(trail.is_multi_region_trail()),
    );
    p.insert(
        "is_organization_trail".into(),
        json!(trail.is_organization_trail()),
    );
    p.insert(
        "log_file_validation_enabled".into(),
        json!(trail.log_file_validation_enabled()),
    );
    p.insert("s3_bucket_name".into(), json!(trail.s3_bucket_name()));
    p.insert("kms_key_id".into(), json!(trail.kms_key_id()));
    p.insert(
        "cloud_watch_logs_log_group_arn".into(),
        json!(trail.cloud_watch_logs_log_group_arn()),
    );
    p
}

fn status_properties(status: &GetTrailStatusOutput) -> Map<String, Value> {
    let mut p = Map::new();
    p.insert("is_logging".into(), json!(status.is_logging()));
    p.insert(
        "latest_delivery_time".into(),
        time(status.latest_delivery_time()),
    );
    p
}

/// What the trail records, from basic or advanced event selectors:
/// `include_management_events` (some selector records management events),
/// `read_write_type` (the union over those selectors: `All`, `ReadOnly`, `WriteOnly`,
/// or null when none records management events) and `data_events`, one entry per data
/// resource type and selector. An advanced selector without a positive `resources.ARN`
/// condition covers every resource of its type: `values` is empty.
fn selector_properties(out: &GetEventSelectorsOutput) -> Map<String, Value> {
    let mut management: Vec<ReadWrite> = Vec::new();
    let mut data_events: Vec<Value> = Vec::new();
    for selector in out.event_selectors() {
        let rw = selector
            .read_write_type()
            .map_or(ReadWrite::All, |r| ReadWrite::from_name(r.as_str()));
        if selector.include_management_events().unwrap_or(true) {
            management.push(rw);
        }
        for resource in selector.data_resources() {
            data_events.push(json!({
                "resource_type": resource.r#type(),
                "values": resource.values(),
                "read_write_type": rw.name(),
            }));
        }
    }
    for selector in out.advanced_event_selectors() {
        advanced_selector(selector, &mut management, &mut data_events);
    }
    let mut p = Map::new();
    p.insert(
        "include_management_events".into(),
        json!(!management.is_empty()),
    );
    p.insert(
        "read_write_type".into(),
        json!(ReadWrite::union(&management).map(ReadWrite::name)),
    );
    p.insert("data_events".into(), Value::Array(data_events));
    p
}

/// One advanced selector: a management selector adds to `management`, a data selector
/// adds one data event per resource type it names.
fn advanced_selector(
    selector: &AdvancedEventSelector,
    management: &mut Vec<ReadWrite>,
    data_events: &mut Vec<Value>,
) {
    let fields = selector.field_selectors();
    let rw = advanced_read_write(field(fields, "readOnly"));
    let category = field(fields, "eventCategory")
        .map(|f| f.equals())
        .unwrap_or_default();
    if category
        .iter()
        .any(|c| c.eq_ignore_ascii_case("Management"))
    {
        management.push(rw);
    }
    if category.iter().any(|c| c.eq_ignore_ascii_case("Data")) {
        let values: Vec<&String> = field(fields, "resources.ARN")
            .map(|f| {
                f.equals()
                    .iter()
                    .chain(f.starts_with())
                    .chain(f.ends_with())
                    .collect()
            })
            .unwrap_or_default();
        for resource_type in field(fields, "resources.type")
            .map(|f| f.equals())
            .unwrap_or_default()
        {
            data_events.push(json!({
                "resource_type": resource_type,
                "values": values,
                "read_write_type": rw.name(),
            }));
        }
    }
}

fn field<'a>(fields: &'a [AdvancedFieldSelector], name: &str) -> Option<&'a AdvancedFieldSelector> {
    fields.iter().find(|f| f.field().eq_ignore_ascii_case(name))
}

/// The `readOnly` field of an advanced selector as a read/write type; no condition
/// means both.
fn advanced_read_write(read_only: Option<&AdvancedFieldSelector>) -> ReadWrite {
    let Some(f) = read_only else {
        return ReadWrite::All;
    };
    let has = |list: &[String], v: &str| list.iter().any(|x| x.eq_ignore_ascii_case(v));
    let reads = has(f.equals(), "true") || has(f.not_equals(), "false");
    let writes = has(f.equals(), "false") || has(f.not_equals(), "true");
    match (reads, writes) {
        (true, false) => ReadWrite::ReadOnly,
        (false, true) => ReadWrite::WriteOnly,
        _ => ReadWrite::All,
    }
}

/// Which API calls a selector records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ReadWrite {
    All,
    ReadOnly,
    WriteOnly,
}

impl ReadWrite {
    fn from_name(name: &str) -> ReadWrite {
        match name {
            "ReadOnly" => ReadWrite::ReadOnly,
            "WriteOnly" => ReadWrite::WriteOnly,
            _ => ReadWrite::All,
        }
    }

    fn name(self) -> &'static str {
        match self {
            ReadWrite::All => "All",
            ReadWrite::ReadOnly => "ReadOnly",
            ReadWrite::WriteOnly => "WriteOnly",
        }
    }

    /// What several selectors record together; `None` when there are none.
    fn union(all: &[ReadWrite]) -> Option<ReadWrite> {
        let reads = all.iter().any(|r| *r != ReadWrite::WriteOnly);
        let writes = all.iter().any(|r| *r != ReadWrite::ReadOnly);
        match (reads, writes) {
            (false, false) => None,
            (true, false) => Some(ReadWrite::ReadOnly),
            (false, true) => Some(ReadWrite::WriteOnly),
            (true, true) => Some(ReadWrite::All),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_cloudtrail::types::{DataResource, EventSelector, ReadWriteType};
    use aws_smithy_types::DateTime;

    fn field_selector(name: &str, equals: &[&str]) -> AdvancedFieldSelector {
        let mut b = AdvancedFieldSelector::builder().field(name);
        for e in equals {
            b = b.equals(*e);
        }
        b.build().unwrap()
    }

    fn advanced(fields: Vec<AdvancedFieldSelector>) -> AdvancedEventSelector {
        AdvancedEventSelector::builder()
            .set_field_selectors(Some(fields))
            .build()
            .unwrap()
    }

    #[test]
    fn trail_configuration_keeps_aws_values() {
        let trail = Trail::builder()
            .name("management-events")
            .trail_arn("arn:aws:cloudtrail:us-east-1:123456789012:trail/management-events")
            .home_region("us-east-1")
            .is_multi_region_trail(true)
            .is_organization_trail(false)
            .log_file_validation_enabled(true)
            .s3_bucket_name("audit-logs")
            .cloud_watch_logs_log_group_arn(
                "arn:aws:logs:us-east-1:123456789012:log-group:cloudtrail:*",
            )
            .build();
        let p = trail_properties(&trail);
        assert_eq!(p["name"], json!("management-events"));
        assert_eq!(p["home_region"], json!("us-east-1"));
        assert_eq!(p["is_multi_region_trail"], json!(true));
        assert_eq!(p["is_organization_trail"], json!(false));
        assert_eq!(p["log_file_validation_enabled"], json!(true));
        assert_eq!(p["s3_bucket_name"], json!("audit-logs"));
        assert_eq!(p["kms_key_id"], Value::Null);
        assert_eq!(
            p["cloud_watch_logs_log_group_arn"],
            json!("arn:aws:logs:us-east-1:123456789012:log-group:cloudtrail:*")
        );
    }

    #[test]
    fn status_reads_logging_and_delivery_time() {
        let status = GetTrailStatusOutput::builder()
            .is_logging(true)
            .latest_delivery_time(DateTime::from_secs(1_700_000_000))
            .build();
        let p = status_properties(&status);
        assert_eq!(p["is_logging"], json!(true));
        assert_eq!(p["latest_delivery_time"], json!("2023-11-14T22:13:20Z"));
        let never = status_properties(&GetTrailStatusOutput::builder().is_logging(false).build());
        assert_eq!(never["latest_delivery_time"], Value::Null);
    }

    #[test]
    fn basic_selectors() {
        let out = GetEventSelectorsOutput::builder()
            .event_selectors(
                EventSelector::builder()
                    .read_write_type(ReadWriteType::All)
                    .include_management_events(true)
                    .data_resources(
                        DataResource::builder()
                            .r#type("AWS::S3::Object")
                            .values("arn:aws:s3")
                            .build(),
                    )
                    .build(),
            )
            .build();
        let p = selector_properties(&out);
        assert_eq!(p["include_management_events"], json!(true));
        assert_eq!(p["read_write_type"], json!("All"));
        assert_eq!(
            p["data_events"],
            json!([{"resource_type": "AWS::S3::Object", "values": ["arn:aws:s3"], "read_write_type": "All"}])
        );
    }

    #[test]
    fn basic_selectors_union_read_and_write_only() {
        let selector = |rw| {
            EventSelector::builder()
                .read_write_type(rw)
                .include_management_events(true)
                .build()
        };
        let out = GetEventSelectorsOutput::builder()
            .event_selectors(selector(ReadWriteType::ReadOnly))
            .event_selectors(selector(ReadWriteType::WriteOnly))
            .build();
        assert_eq!(selector_properties(&out)["read_write_type"], json!("All"));
        let write_only = GetEventSelectorsOutput::builder()
            .event_selectors(selector(ReadWriteType::WriteOnly))
            .build();
        assert_eq!(
            selector_properties(&write_only)["read_write_type"],
            json!("WriteOnly")
        );
    }

    #[test]
    fn no_management_selector_means_no_management_events() {
        let out = GetEventSelectorsOutput::builder()
            .event_selectors(
                EventSelector::builder()
                    .read_write_type(ReadWriteType::All)
                    .include_management_events(false)
                    .build(),
            )
            .build();
        let p = selector_properties(&out);
        assert_eq!(p["include_management_events"], json!(false));
        assert_eq!(p["read_write_type"], Value::Null);
        assert_eq!(p["data_events"], json!([]));
    }

    #[test]
    fn advanced_selectors() {
        let out = GetEventSelectorsOutput::builder()
            .advanced_event_selectors(advanced(vec![field_selector(
                "eventCategory",
                &["Management"],
            )]))
            .advanced_event_selectors(advanced(vec![
                field_selector("eventCategory", &["Data"]),
                field_selector("resources.type", &["AWS::S3::Object"]),
                field_selector("readOnly", &["false"]),
            ]))
            .advanced_event_selectors(advanced(vec![
                field_selector("eventCategory", &["Data"]),
                field_selector("resources.type", &["AWS::Lambda::Function"]),
                AdvancedFieldSelector::builder()
                    .field("resources.ARN")
                    .starts_with("arn:aws:lambda:us-east-1:123456789012:function:pay")
                    .build()
                    .unwrap(),
                field_selector("readOnly", &["true"]),
            ]))
            .build();
        let p = selector_properties(&out);
        assert_eq!(p["include_management_events"], json!(true));
        assert_eq!(p["read_write_type"], json!("All"));
        assert_eq!(
            p["data_events"],
            json!([
                {"resource_type": "AWS::S3::Object", "values": [], "read_write_type": "WriteOnly"},
                {"resource_type": "AWS::Lambda::Function", "values": ["arn:aws:lambda:us-east-1:123456789012:function:pay"], "read_write_type": "ReadOnly"}
            ])
        );
    }

    #[test]
    fn advanced_management_read_only() {
        let out = GetEventSelectorsOutput::builder()
            .advanced_event_selectors(advanced(vec![
                field_selector("eventCategory", &["Management"]),
                field_selector("readOnly", &["true"]),
            ]))
            .build();
        let p = selector_properties(&out);
        assert_eq!(p["read_write_type"], json!("ReadOnly"));
        assert_eq!(p["data_events"], json!([]));
    }

    #[test]
    fn each_trail_is_claimed_once_per_scan() {
        let scan = Arc::new(Shared::default());
        let sdk = aws_types::SdkConfig::builder().build();
        let east = Ctx::new(
            "1".into(),
            "us-east-1".into(),
            sdk.clone(),
            Arc::clone(&scan),
        );
        let west = Ctx::new(
            "1".into(),
            "us-west-2".into(),
            sdk.clone(),
            Arc::clone(&scan),
        );
        let trail = "arn:aws:cloudtrail:us-east-1:1:trail/main";
        assert!(claim(&west, trail));
        assert!(!claim(&east, trail));
        assert!(claim(&east, "arn:aws:cloudtrail:us-east-1:1:trail/other"));
        let other_scan = Ctx::new(
            "1".into(),
            "us-east-1".into(),
            sdk,
            Arc::new(Shared::default()),
        );
        assert!(claim(&other_scan, trail));
        assert_eq!(in_region(&east, "eu-west-1").region, "eu-west-1");
    }

    #[test]
    fn kms_key_references_become_arns() {
        let arn = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
        assert_eq!(kms_key_arn(arn, "eu-west-1", "1"), arn);
        assert_eq!(
            kms_key_arn(
                "1234abcd-12ab-34cd-56ef-1234567890ab",
                "us-east-1",
                "123456789012"
            ),
            arn
        );
        assert_eq!(
            kms_key_arn("alias/trail", "us-east-1", "123456789012"),
            "arn:aws:kms:us-east-1:123456789012:alias/trail"
        );
    }
}
