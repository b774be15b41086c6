//! Vigil's collectors: read-only AWS SDK calls, concurrent across services and regions,
//! that build the inventory graph. The only crate that depends on the AWS SDK.
//!
//! Configuration comes from the standard AWS chain (environment, profiles, SSO, web
//! identity, instance metadata), optionally through an assumed role; endpoints from
//! `AWS_ENDPOINT_URL` and `AWS_ENDPOINT_URL_<SERVICE>`, so LocalStack needs no flag.
//! Anything that cannot be read becomes a [`Gap`](vigil_inventory::Gap), never an empty
//! list.

mod calls;
mod ctx;
mod discover;
mod options;
pub mod policy;
mod registry;
mod retry;
mod services;
mod shape;
mod sink_securityhub;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_config::sts::AssumeRoleProvider;
use aws_config::timeout::TimeoutConfig;
use aws_types::SdkConfig;
use aws_types::region::Region;
use serde_json::Value;
use thiserror::Error;
use tokio::sync::Semaphore;
use tracing::Instrument;
use vigil_inventory::{GLOBAL_REGION, Resource, SNAPSHOT_FORMAT, Snapshot};

pub use calls::{CallError, CallStats, Recorder, Sent};
pub use ctx::{Ctx, policy_document, time};
pub use discover::{DISCOVERY_ACTIONS, OrgAccount, discover_accounts};
pub use options::CollectOptions;
pub use registry::{COLLECTORS, Collector, Scope};
pub use retry::FinalErrors;
pub use sink_securityhub::{SINK_ACTIONS, securityhub_importer};

/// Why a collection could not start at all. Failures of single services or regions
/// are gaps, not errors.
#[derive(Debug, Error)]
pub enum CollectError {
    #[error(
        "cannot identify the AWS account (sts:GetCallerIdentity): {0}. Check credentials (AWS_PROFILE, AWS_ACCESS_KEY_ID, SSO login) and the endpoint"
    )]
    Identity(CallError),
    #[error("no region configured: pass --region, --all-regions, or set AWS_REGION")]
    NoRegion,
    #[error("cannot list regions (ec2:DescribeRegions): {0}")]
    Regions(CallError),
    #[error("unknown service `{0}`; known: {1}")]
    UnknownService(String, String),
}

/// A finished collection: the snapshot and what it cost.
#[derive(Debug)]
pub struct Collection {
    pub snapshot: Snapshot,
    /// (service, operation) → requests the SDK sent (pages and each call counted).
    pub operations: BTreeMap<(String, String), Sent>,
    /// (IAM action, outcome) → count.
    pub outcomes: BTreeMap<(String, String), u64>,
    /// Calls that failed with a throttling code after the retries.
    pub throttled: u64,
    pub duration: Duration,
}

impl Collection {
    /// What the SDK sent, summed by service (`IAM`, `S3 Control`, …).
    pub fn calls_by_service(&self) -> BTreeMap<&str, Sent> {
        let mut by_service: BTreeMap<&str, Sent> = BTreeMap::new();
        for ((service, _), sent) in &self.operations {
            let entry = by_service.entry(service.as_str()).or_default();
            entry.calls += sent.calls;
            entry.attempts += sent.attempts;
        }
        by_service
    }
}

/// Reports progress: called with (finished, total) tasks.
pub type Progress = Arc<dyn Fn(usize, usize) + Send + Sync>;

/// The id of an account's node.
pub fn account_id(account: &str) -> String {
    format!("arn:aws::{account}:account")
}

/// The id of a region's node.
pub fn region_id(account: &str, region: &str) -> String {
    format!("arn:aws::{account}:account/{region}")
}

async fn load_config(options: &CollectOptions) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .retry_config(RetryConfig::adaptive().with_max_attempts(options.max_attempts.max(1)))
        .timeout_config(
            TimeoutConfig::builder()
                .operation_timeout(options.call_timeout)
                .build(),
        );
    if let Some(profile) = &options.profile {
        loader = loader.profile_name(profile);
    }
    if let Some(region) = options.regions.first() {
        loader = loader.region(Region::new(region.clone()));
    }
    let base = loader.load().await;
    let Some(role) = &options.role_arn else {
        return base;
    };
    let mut provider = AssumeRoleProvider::builder(role.clone())
        .session_name(options.role_session_name.clone())
        .configure(&base);
    if let Some(external_id) = &options.external_id {
        provider = provider.external_id(external_id.clone());
    }
    let provider = provider.build().await;
    base.into_builder()
        .credentials_provider(aws_types::sdk_config::SharedCredentialsProvider::new(
            provider,
        ))
        .build()
}

/// The configuration, and a context for the calls made before the account is known
/// (who am I, which regions, which accounts), sharing the recorder and statistics of
/// the collection that follows.
pub(crate) async fn probe(options: &CollectOptions) -> (Arc<ctx::Shared>, Ctx) {
    let sdk = load_config(options).await;
    let shared = Arc::new(ctx::Shared {
        s3_path_style: std::env::var_os("AWS_ENDPOINT_URL").is_some()
            || std::env::var_os("AWS_ENDPOINT_URL_S3").is_some(),
        ..Default::default()
    });
    let home = sdk.region().map(|r| r.to_string()).unwrap_or_default();
    let probe = Ctx::new(String::new(), home, sdk, Arc::clone(&shared));
    (shared, probe)
}

/// The account the configuration's credentials belong to (`sts:GetCallerIdentity`),
/// which also proves a role can be assumed before a scan is recorded for it.
pub async fn identify(options: &CollectOptions) -> Result<String, CollectError> {
    let (_, probe) = probe(options).await;
    let sts = client!(probe, aws_sdk_sts);
    let identity = probe
        .call("sts:GetCallerIdentity", sts.get_caller_identity().send())
        .await
        .map_err(CollectError::Identity)?;
    Ok(identity.account().unwrap_or_default().to_owned())
}

/// Collects the account the configuration points at.
pub async fn collect(
    options: &CollectOptions,
    progress: Option<Progress>,
) -> Result<Collection, CollectError> {
    let started = Instant::now();
    let (shared, probe) = probe(options).await;
    let sdk = probe.sdk().clone();
    let home = sdk
        .region()
        .map(|r| r.to_string())
        .ok_or(CollectError::NoRegion)?;

    let sts = client!(probe, aws_sdk_sts);
    let identity = probe
        .call("sts:GetCallerIdentity", sts.get_caller_identity().send())
        .await
        .map_err(CollectError::Identity)?;
    let account = identity.account().unwrap_or_default().to_owned();

    let regions = if options.all_regions {
        let ec2 = client!(probe, aws_sdk_ec2);
        let out = probe
            .call("ec2:DescribeRegions", ec2.describe_regions().send())
            .await
            .map_err(CollectError::Regions)?;
        let mut names: Vec<String> = out
            .regions()
            .iter()
            .filter(|r| r.opt_in_status() != Some("not-opted-in"))
            .filter_map(|r| r.region_name().map(str::to_owned))
            .collect();
        names.sort();
        names
    } else if options.regions.is_empty() {
        vec![home.clone()]
    } else {
        options.regions.clone()
    };

    let selected: Vec<&Collector> = if options.services.is_empty() {
        COLLECTORS.iter().collect()
    } else {
        let known = COLLECTORS
            .iter()
            .map(|c| c.service)
            .collect::<Vec<_>>()
            .join(", ");
        options
            .services
            .iter()
            .map(|s| {
                COLLECTORS
                    .iter()
                    .find(|c| c.service == s)
                    .ok_or_else(|| CollectError::UnknownService(s.clone(), known.clone()))
            })
            .collect::<Result<_, _>>()?
    };

    // One task per collector and region; a semaphore per service bounds calls in flight.
    let mut tasks = tokio::task::JoinSet::new();
    let mut total = 0;
    for collector in selected.iter().copied() {
        let gate = Arc::new(Semaphore::new(options.concurrency_per_service.max(1)));
        let scopes: Vec<String> = match collector.scope {
            Scope::Global => vec![home.clone()],
            Scope::Regional => regions.clone(),
        };
        for region in scopes {
            let config = sdk
                .clone()
                .into_builder()
                .region(Region::new(region.clone()))
                .build();
            let ctx = Ctx::new(account.clone(), region, config, Arc::clone(&shared));
            let gate = Arc::clone(&gate);
            let run = collector.run;
            let service = collector.service;
            total += 1;
            // `instrument`, not `span.enter()`: an entered guard held across an await
            // leaks into whatever task the thread runs next, and log lines then carried
            // a dozen wrongly nested `collect{service=…}` spans naming the wrong service.
            let span = tracing::info_span!("collect", service, region = %ctx.region);
            tasks.spawn(
                async move {
                    let _permit = gate.acquire_owned().await;
                    let started = Instant::now();
                    run(ctx).await;
                    tracing::debug!(
                        service,
                        elapsed_ms = started.elapsed().as_millis() as u64,
                        "collector finished"
                    );
                }
                .instrument(span),
            );
        }
    }
    let mut done = 0;
    while let Some(joined) = tasks.join_next().await {
        done += 1;
        if let Err(err) = joined {
            tracing::error!(%err, "a collector task failed");
        }
        if let Some(progress) = &progress {
            progress(done, total);
        }
    }

    let mut output = std::mem::take(&mut *shared.output.lock().expect("output lock"));
    let mut account_node =
        Resource::new(account_id(&account), "aws.account", &account, GLOBAL_REGION);
    account_node.name = Some(account.clone());
    output
        .account
        .insert("account_id".into(), Value::String(account.clone()));
    account_node.properties = Value::Object(std::mem::take(&mut output.account)).into();
    output.resources.push(account_node);
    for region in &regions {
        let mut node = Resource::new(
            region_id(&account, region),
            "aws.region",
            &account,
            region.as_str(),
        );
        node.name = Some(region.clone());
        let mut props = output.regions.remove(region).unwrap_or_default();
        props.insert("region".into(), Value::String(region.clone()));
        node.properties = Value::Object(props).into();
        output.resources.push(node);
    }
    // Several collectors may name the same resource (a bucket seen by S3 and as a
    // trail target); keep the first and drop exact duplicates of ids.
    let mut seen = std::collections::HashSet::new();
    output.resources.retain(|r| seen.insert(r.id.clone()));
    output
        .resources
        .sort_by(|a, b| (&a.resource_type, &a.id).cmp(&(&b.resource_type, &b.id)));

    let coverage = coverage(&selected, &account, &regions, &output.gaps);
    let snapshot = Snapshot {
        format: SNAPSHOT_FORMAT.to_owned(),
        collected_at: Some(chrono::Utc::now()),
        accounts: vec![account],
        regions,
        resources: output.resources,
        relations: output.relations,
        gaps: output.gaps,
        coverage,
    };
    Ok(Collection {
        snapshot,
        operations: shared.recorder.operations(),
        outcomes: shared.stats.outcomes(),
        throttled: output.throttled,
        duration: started.elapsed(),
    })
}

/// What the collection covered: every known collector in every scope it runs in,
/// collected (no gap), failed (its gaps counted) or excluded (not selected). Gaps are
/// matched to collectors by the IAM action that failed.
fn coverage(
    selected: &[&Collector],
    account: &str,
    regions: &[String],
    gaps: &[vigil_inventory::Gap],
) -> Vec<vigil_inventory::Coverage> {
    use vigil_inventory::{Coverage, CoverageStatus};
    let mut out = Vec::new();
    for collector in COLLECTORS {
        let scopes: Vec<&str> = match collector.scope {
            Scope::Global => vec![GLOBAL_REGION],
            Scope::Regional => regions.iter().map(String::as_str).collect(),
        };
        let chosen = selected.iter().any(|c| c.service == collector.service);
        for region in scopes {
            let mine: Vec<&vigil_inventory::Gap> = gaps
                .iter()
                .filter(|g| {
                    let action = format!("{}:{}", g.service, g.operation);
                    // Two collectors may call the same action (classic and v2 load
                    // balancers, REST and HTTP APIs): a listing gap names its types,
                    // and those say whose it is.
                    let mine = g.resource_types.is_empty()
                        || g.resource_types.iter().any(|t| {
                            vigil_inventory::service_of_type(t)
                                .is_none_or(|s| s == collector.service)
                        });
                    collector.actions.contains(&action.as_str())
                        && mine
                        && (region == GLOBAL_REGION || g.region == region)
                })
                .collect();
            let (status, reason) = if !chosen {
                (
                    CoverageStatus::Excluded,
                    "not among the selected services".to_owned(),
                )
            } else if mine.is_empty() {
                (CoverageStatus::Collected, String::new())
            } else {
                let mut codes: Vec<&str> = mine.iter().map(|g| g.error_code.as_str()).collect();
                codes.sort_unstable();
                codes.dedup();
                (CoverageStatus::Failed, codes.join(", "))
            };
            out.push(Coverage {
                service: collector.service.to_owned(),
                account: account.to_owned(),
                region: region.to_owned(),
                status,
                reason,
                gaps: mine.len(),
            });
        }
    }
    out
}
