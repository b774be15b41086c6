//! One scheduled (or requested) scan: which accounts, then for each account the whole
//! pipeline — collect, evaluate, score — and its results recorded in the store together
//! with the events the sinks are owed.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use futures::StreamExt;
use tokio_util::sync::CancellationToken;
use vigil_collect::{CollectOptions, Collection};
use vigil_inventory::Inventory;
use vigil_report::ScanInfo;
use vigil_report::lifecycle::{
    Change, ScanEnd, ScanSummary, Seen, finding_change_event, scan_summary_event,
};
use vigil_rules::{EvalContext, Finding, Mutelist, RuleSet, Status, evaluate};
use vigil_score::{Attestations, Models, OrgFinding, Scorecard, score_in_organization};
use vigil_store::{
    FindingRecord, GapRecord, NewEvent, ResultCounts, ResultStatus, ScanId, ScanOutcome,
    ScanStatus, ScanTrigger, ScoreSummary, Transition, TransitionCause,
};

use super::config::{AccountConfig, Config};
use super::fleet::{self, Fleet};
use super::metrics::labels;
use super::scope::Scope;
use super::{Daemon, ScanRequest};

/// What every scan evaluates with, loaded once when the daemon starts.
pub struct Pipeline {
    pub rules: RuleSet,
    pub models: Models,
    pub mutelist: Mutelist,
    pub attestations: Attestations,
    pub settings: vigil_rules::Settings,
}

/// Organisation-wide findings by organisation id, then account.
pub type OrganizationEvidence = std::sync::Mutex<HashMap<String, HashMap<String, Vec<Finding>>>>;

/// Keeps this account's organisation-wide findings and returns those of the other
/// accounts of its organisation, for its scorecard.
fn share_organization_evidence(
    pool: &OrganizationEvidence,
    organization: Option<&str>,
    account: &str,
    findings: &[Finding],
) -> Vec<OrgFinding> {
    let Some(organization) = organization else {
        return Vec::new();
    };
    let mut pool = pool.lock().expect("organization evidence lock");
    let accounts = pool.entry(organization.to_owned()).or_default();
    accounts.insert(
        account.to_owned(),
        findings
            .iter()
            .filter(|f| f.rule.organization_wide)
            // Kept until the account's next scan: holding their own values, they do
            // not keep this scan's inventory alive with them.
            .map(Finding::detached)
            .collect(),
    );
    accounts
        .iter()
        .filter(|(other, _)| other.as_str() != account)
        .flat_map(|(_, findings)| findings.iter().cloned())
        .map(|finding| OrgFinding {
            organization_id: organization.to_owned(),
            finding,
        })
        .collect()
}

/// One account to scan: a label for logs, and how to reach it.
#[derive(Debug, Clone)]
pub struct Target {
    pub label: String,
    /// Known before the scan (a role ARN names it, discovery lists it); else found by
    /// `sts:GetCallerIdentity`.
    pub account: Option<String>,
    pub options: CollectOptions,
}

fn base_options(config: &Config) -> CollectOptions {
    CollectOptions {
        regions: config.scan.regions.clone(),
        all_regions: config.scan.all_regions,
        max_attempts: config.scan.max_attempts,
        call_timeout: Duration::from_secs(config.scan.call_timeout_secs.max(1)),
        concurrency_per_service: config.scan.service_concurrency,
        services: config.scan.services.clone(),
        role_session_name: "vigil-daemon".to_owned(),
        ..CollectOptions::default()
    }
}

fn account_of_role(arn: &str) -> Option<String> {
    arn.split(':').nth(4).map(str::to_owned)
}

fn account_target(config: &Config, account: &AccountConfig) -> Target {
    let mut options = base_options(config);
    options.profile = account.profile.clone();
    options.role_arn = account.role_arn.clone();
    options.external_id = account.external_id.clone();
    if let Some(regions) = &account.regions {
        options.regions = regions.clone();
        options.all_regions = false;
    }
    let known = account.role_arn.as_deref().and_then(account_of_role);
    Target {
        label: account
            .name
            .clone()
            .or_else(|| known.clone())
            .unwrap_or_else(|| "default".to_owned()),
        account: known,
        options,
    }
}

/// The accounts of this run: the listed ones, then those Organizations discovery finds
/// (active, included, not excluded, not listed already). Discovery problems are
/// returned, not fatal: the listed accounts are still scanned.
pub async fn targets(config: &Config) -> (Vec<Target>, Vec<String>) {
    let mut targets: Vec<Target> = config
        .accounts
        .iter()
        .map(|a| account_target(config, a))
        .collect();
    let mut problems = Vec::new();
    let Some(org) = &config.organization else {
        return (targets, problems);
    };
    let mut options = base_options(config);
    options.profile = org.profile.clone();
    options.role_arn = org.role_arn.clone();
    options.external_id = org.external_id.clone();
    match vigil_collect::discover_accounts(&options).await {
        Ok(accounts) => {
            let listed: HashSet<String> =
                targets.iter().filter_map(|t| t.account.clone()).collect();
            for account in accounts {
                if !account.is_active() {
                    tracing::info!(account = %account.id, state = %account.state, "organization account skipped: not active");
                    continue;
                }
                if (!org.include_accounts.is_empty() && !org.include_accounts.contains(&account.id))
                    || org.exclude_accounts.contains(&account.id)
                    || listed.contains(&account.id)
                {
                    continue;
                }
                let mut member = base_options(config);
                member.profile = org.profile.clone();
                member.role_arn = Some(account.role_arn(&org.member_role_name));
                member.external_id = org.member_external_id.clone();
                targets.push(Target {
                    label: account.name.clone().unwrap_or_else(|| account.id.clone()),
                    account: Some(account.id.clone()),
                    options: member,
                });
            }
        }
        Err(err) => {
            let problem = format!(
                "organizations:ListAccounts failed ({err}); only the listed accounts are scanned"
            );
            tracing::error!(%problem);
            problems.push(problem);
        }
    }
    (targets, problems)
}

/// Scans every target, `account_concurrency` at a time. Returns the scan ids recorded.
///
/// In a fleet, a target is only scanned if this replica claims it for the request's
/// cycle (scheduled scans) and takes its lease; the others are another replica's.
pub async fn run(
    daemon: Arc<Daemon>,
    request: ScanRequest,
    cancel: CancellationToken,
) -> Vec<ScanId> {
    let trigger = request.trigger;
    if daemon.fleet.is_some() {
        // Clean up after replicas that died mid-scan: their leases have expired.
        let store = Arc::clone(&daemon.store);
        match tokio::task::spawn_blocking(move || store.mark_interrupted_scans()).await {
            Ok(Ok(ids)) if !ids.is_empty() => {
                tracing::warn!(scans = ?ids, "scans of a replica that stopped renewing its leases are marked interrupted");
            }
            Ok(Ok(_)) => {}
            Ok(Err(err)) => tracing::error!(error = %err, "cannot mark interrupted scans"),
            Err(err) => tracing::error!(error = %err, "interrupted scans task failed"),
        }
    }
    let (targets, _) = targets(&daemon.config).await;
    tracing::info!(accounts = targets.len(), trigger = %trigger, "scan started");
    let concurrency = daemon.config.scan.account_concurrency.max(1);
    let cycle = request.cycle;
    let ids: Vec<ScanId> = futures::stream::iter(targets)
        .map(|target| {
            let daemon = Arc::clone(&daemon);
            let cancel = cancel.clone();
            let cycle = cycle.clone();
            async move {
                let scanned = match &daemon.fleet {
                    None => scan_account(&daemon, &target, trigger, &cancel).await,
                    Some(fleet) => {
                        let fleet = fleet.clone();
                        scan_leased(&daemon, &fleet, cycle.as_ref(), &target, trigger, &cancel)
                            .await?
                    }
                };
                match scanned {
                    Ok(id) => Some(id),
                    Err(err) => {
                        tracing::error!(account = %target.label, error = format!("{err:#}"), "account scan not recorded");
                        None
                    }
                }
            }
        })
        .buffer_unordered(concurrency)
        .filter_map(|id| async move { id })
        .collect()
        .await;
    daemon.wake_delivery.notify_waiters();
    ids
}

/// A fleet's scan of one target: claimed for the cycle, under the target's lease,
/// renewed while the scan runs. `None` when the target is another replica's.
async fn scan_leased(
    daemon: &Arc<Daemon>,
    fleet: &Fleet,
    cycle: Option<&vigil_store::Cycle>,
    target: &Target,
    trigger: ScanTrigger,
    cancel: &CancellationToken,
) -> Option<Result<ScanId>> {
    if let Some(cycle) = cycle
        && !fleet::claim(daemon, fleet, cycle, &target.label).await
    {
        tracing::debug!(account = %target.label, "claimed by another replica in this cycle");
        return None;
    }
    let lease = format!("scan:{}", target.label);
    // The claim makes the account ours in this cycle; its lease may still be held by
    // the scan of an earlier cycle that overran (here or on another replica), or by a
    // replica that died: wait for it to end or expire rather than skip the cycle.
    let mut waited = false;
    while !fleet::acquire(daemon, fleet, &lease).await {
        if cycle.is_none() {
            tracing::info!(account = %target.label, "another replica is scanning it now; skipped");
            return None;
        }
        if !waited {
            tracing::info!(account = %target.label, "an earlier scan still holds the account; waiting for it");
            waited = true;
        }
        tokio::select! {
            () = tokio::time::sleep(Duration::from_secs(1)) => {}
            () = cancel.cancelled() => return None,
        }
    }
    let done = CancellationToken::new();
    let lost = cancel.child_token();
    let beat = tokio::spawn(fleet::heartbeat(
        Arc::clone(daemon),
        fleet.clone(),
        lease.clone(),
        done.clone(),
        lost.clone(),
    ));
    let scanned = scan_account(daemon, target, trigger, &lost).await;
    done.cancel();
    let _ = beat.await;
    fleet::release(daemon, fleet, &lease).await;
    Some(scanned)
}

/// Runs a store call off the async runtime.
async fn blocking<T: Send + 'static>(
    daemon: &Arc<Daemon>,
    f: impl FnOnce(&dyn vigil_store::Store) -> vigil_store::Result<T> + Send + 'static,
) -> Result<T> {
    let store = Arc::clone(&daemon.store);
    Ok(tokio::task::spawn_blocking(move || f(store.as_ref())).await??)
}

fn finished(status: ScanStatus, error: Option<String>) -> ScanOutcome {
    ScanOutcome {
        status,
        finished_at: Utc::now(),
        counts: ResultCounts::default(),
        gaps: Vec::new(),
        error,
        api_calls: 0,
    }
}

/// One account: identify, collect, evaluate, record. Every path ends the scan row
/// (succeeded, failed or cancelled); only a crash leaves it running, which the next
/// start marks interrupted.
async fn scan_account(
    daemon: &Arc<Daemon>,
    target: &Target,
    trigger: ScanTrigger,
    cancel: &CancellationToken,
) -> Result<ScanId> {
    let started = Instant::now();
    let started_at = Utc::now();
    // The row is begun before anything can stall or crash, under the configured
    // account or the target's label, so that even a process killed while identifying
    // the account leaves a scan the next start marks interrupted.
    let scan_id = {
        let name = target
            .account
            .clone()
            .unwrap_or_else(|| target.label.clone());
        let holder = daemon.fleet.as_ref().map(|f| f.replica.clone());
        blocking(daemon, move |s| match holder {
            Some(holder) => s.begin_held_scan(&name, trigger, started_at, &holder),
            None => s.begin_scan(&name, trigger, started_at),
        })
        .await?
    };
    // Identifying the account is a network call like any other: shutdown must be able
    // to cut it short (a stalled endpoint held SIGTERM for the whole call timeout).
    let mut cancelled_early = false;
    let account = match &target.account {
        Some(account) => Ok(account.clone()),
        None => tokio::select! {
            identity = vigil_collect::identify(&target.options) => identity.map_err(|e| e.to_string()),
            () = cancel.cancelled() => {
                cancelled_early = true;
                Err("cancelled by shutdown while identifying the account".to_owned())
            }
        },
    };
    let (account, early_error) = match account {
        Ok(account) => (account, None),
        Err(err) => (target.label.clone(), Some(err)),
    };
    if target.account.is_none() && early_error.is_none() {
        let account = account.clone();
        blocking(daemon, move |s| s.set_scan_account(scan_id, &account)).await?;
    }
    let end = |status: ScanStatus, error: Option<String>| {
        let daemon = Arc::clone(daemon);
        let account = account.clone();
        async move {
            let label = status.to_string();
            daemon
                .metrics
                .scans
                .get_or_create(&labels([("account", &account), ("status", &label)]))
                .inc();
            let summary = ScanSummary {
                scan_id: &scan_id.to_string(),
                account: &account,
                end: if status == ScanStatus::Cancelled {
                    ScanEnd::Cancelled
                } else {
                    ScanEnd::Failed
                },
                started_at,
                finished_at: Utc::now(),
                resources: 0,
                pass: 0,
                fail: 0,
                error: 0,
                muted: 0,
                gaps: 0,
                error_message: error.as_deref(),
                scorecard: serde_json::Value::Null,
                coverage: serde_json::Value::Null,
                product_version: env!("CARGO_PKG_VERSION"),
            };
            let events = summary_events(&daemon, scan_id, &scan_summary_event(&summary));
            // The summary is queued first: a crash in between leaves a queued summary and
            // a scan the next start marks interrupted, never a finished scan without one.
            blocking(&daemon, move |s| {
                s.enqueue(&events)?;
                s.finish_scan(scan_id, &finished(status, error))
            })
            .await
        }
    };
    if let Some(err) = early_error {
        if cancelled_early {
            tracing::warn!(account = %target.label, "scan cancelled by shutdown");
            end(ScanStatus::Cancelled, Some(err)).await?;
        } else {
            tracing::error!(account = %target.label, error = %err, "cannot reach the account (credentials or role)");
            end(ScanStatus::Failed, Some(err)).await?;
        }
        return Ok(scan_id);
    }

    let collection: Collection = tokio::select! {
        collected = vigil_collect::collect(&target.options, None) => match collected {
            Ok(collection) => collection,
            Err(err) => {
                tracing::error!(account = %account, error = %err, "collection failed");
                end(ScanStatus::Failed, Some(err.to_string())).await?;
                return Ok(scan_id);
            }
        },
        () = cancel.cancelled() => {
            tracing::warn!(account = %account, "scan cancelled by shutdown");
            end(ScanStatus::Cancelled, Some("cancelled by shutdown".into())).await?;
            return Ok(scan_id);
        }
    };
    record_calls(daemon, &account, &collection);

    // Evaluation runs on a blocking thread, so it never stalls the runtime; shutdown
    // stops waiting for it at the scan deadline (the thread is abandoned, and the
    // runtime is shut down with a timeout, so the process still ends).
    let evaluated = {
        let evaluation = {
            let daemon = Arc::clone(daemon);
            let account = account.clone();
            tokio::task::spawn_blocking(move || {
                evaluate_account(&daemon, &account, scan_id, started_at, collection)
            })
        };
        tokio::select! {
            evaluated = evaluation => evaluated.context("evaluation task")??,
            () = cancel.cancelled() => {
                tracing::warn!(account = %account, "scan cancelled by shutdown during evaluation");
                end(ScanStatus::Cancelled, Some("cancelled by shutdown".into())).await?;
                return Ok(scan_id);
            }
        }
    };
    record_findings_metrics(daemon, &account, &evaluated);
    let transitions = store_results(daemon, scan_id, &account, evaluated).await?;
    for t in &transitions {
        daemon
            .metrics
            .transitions
            .get_or_create(&labels([("to", &t.to.to_string())]))
            .inc();
    }
    daemon
        .metrics
        .scan_duration
        .get_or_create(&labels([("account", &account)]))
        .observe(started.elapsed().as_secs_f64());
    daemon
        .metrics
        .scans
        .get_or_create(&labels([("account", &account), ("status", "succeeded")]))
        .inc();
    tracing::info!(
        account = %account,
        scan_id = %scan_id,
        transitions = transitions.len(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "account scan recorded"
    );
    Ok(scan_id)
}

fn record_calls(daemon: &Daemon, account: &str, collection: &Collection) {
    for ((action, outcome), n) in &collection.outcomes {
        let (service, operation) = action.split_once(':').unwrap_or(("", action));
        daemon
            .metrics
            .api_calls
            .get_or_create(&labels([
                ("service", service),
                ("operation", operation),
                ("outcome", outcome),
            ]))
            .inc_by(*n);
    }
    daemon
        .metrics
        .throttled
        .get_or_create(&labels([("account", account)]))
        .inc_by(collection.throttled);
    daemon
        .metrics
        .gaps
        .get_or_create(&labels([("account", account)]))
        .set(collection.snapshot.gaps.len() as i64);
}

/// What one account's evaluation gives the store.
struct Evaluated {
    started_at: DateTime<Utc>,
    finished_at: DateTime<Utc>,
    snapshot_resources: Vec<vigil_inventory::Resource>,
    gaps: Vec<vigil_inventory::Gap>,
    /// What the scan looked at, so that it resolves nothing it did not.
    scope: Scope,
    records: Vec<FindingRecord>,
    counts: ResultCounts,
    scorecard: serde_json::Value,
    /// Services collected, excluded and failed, for the scan summary.
    coverage: serde_json::Value,
    score_summary: ScoreSummary,
    api_calls: u64,
}

fn evaluate_account(
    daemon: &Daemon,
    account: &str,
    scan_id: ScanId,
    started_at: DateTime<Utc>,
    collection: Collection,
) -> Result<Evaluated> {
    let pipeline = &daemon.pipeline;
    let api_calls = collection.operations.values().map(|s| s.calls).sum();
    let snapshot = collection.snapshot;
    let snapshot_resources = snapshot.resources.clone();
    let gaps = snapshot.gaps.clone();
    let coverage = serde_json::to_value(vigil_report::coverage::by_account(&snapshot.coverage))?;
    let scope = Scope {
        account: account.to_owned(),
        regions: snapshot.regions.iter().cloned().collect(),
        gaps: gaps.clone(),
        coverage: snapshot.coverage.clone(),
        rules: pipeline
            .rules
            .rules()
            .iter()
            .map(|r| r.id().to_owned())
            .collect(),
    };
    let inventory = Inventory::from_snapshot(snapshot).context("inventory")?;
    tracing::info!(
        account,
        resources = inventory.len(),
        rules = pipeline.rules.len(),
        "evaluating"
    );
    let now = Utc::now();
    let ctx = EvalContext::with_settings(Arc::new(inventory), now, &pipeline.settings).with_budget(
        std::time::Duration::from_millis(daemon.config.scan.rule_budget_ms),
    );
    let (mut findings, _) = evaluate(&pipeline.rules, &ctx);
    pipeline.mutelist.apply(&mut findings, now.date_naive());
    let organization = ctx
        .inventory()
        .of_type_in_account(account, "aws.account")
        .first()
        .and_then(|&idx| {
            ctx.inventory()
                .resource(idx)
                .properties
                .pointer("/organization/id")
                .and_then(|v| v.as_str())
                .map(str::to_owned)
        });
    let elsewhere = share_organization_evidence(
        &daemon.organization_evidence,
        organization.as_deref(),
        account,
        &findings,
    );
    let scorecard = score_in_organization(
        &findings,
        &ctx,
        &pipeline.models,
        &pipeline.attestations,
        &elsewhere,
    );
    let finished_at = Utc::now();
    let info = ScanInfo {
        scan_id: scan_id.to_string(),
        started_at,
        finished_at,
        product_version: env!("CARGO_PKG_VERSION").to_owned(),
    };
    let mut counts = ResultCounts::default();
    let records = findings
        .iter()
        .map(|f| {
            match f.status {
                Status::Pass => counts.pass += 1,
                Status::Fail => counts.fail += 1,
                Status::Error => counts.error += 1,
                Status::Muted => counts.muted += 1,
            }
            record(f, account, &info)
        })
        .collect();
    Ok(Evaluated {
        started_at,
        finished_at,
        snapshot_resources,
        gaps,
        scope,
        records,
        counts,
        score_summary: score_summary(&scorecard, account),
        scorecard: serde_json::to_value(&scorecard).context("scorecard")?,
        coverage,
        api_calls,
    })
}

fn record(finding: &Finding, account: &str, info: &ScanInfo) -> FindingRecord {
    FindingRecord {
        uid: finding.uid(),
        rule_id: finding.rule.id.clone(),
        resource_id: finding.resource.id.clone(),
        resource_type: finding.resource.resource_type.clone(),
        account: if finding.resource.account.is_empty() {
            account.to_owned()
        } else {
            finding.resource.account.clone()
        },
        region: finding.resource.region.clone(),
        status: match finding.status {
            Status::Pass => ResultStatus::Pass,
            Status::Fail => ResultStatus::Fail,
            Status::Error => ResultStatus::Error,
            Status::Muted => ResultStatus::Muted,
        },
        status_detail: finding.reason.clone(),
        severity: finding.rule.severity.as_str().to_owned(),
        title: finding.rule.title.clone(),
        caf_component: finding.rule.caf.component.as_str().to_owned(),
        waf_area: finding.rule.waf.area.as_str().to_owned(),
        epics: finding
            .rule
            .epics
            .iter()
            .map(|e| e.id().to_owned())
            .collect(),
        body: vigil_report::ocsf_finding(finding, info),
    }
}

fn score_summary(scorecard: &Scorecard, account: &str) -> ScoreSummary {
    let mut summary = ScoreSummary::default();
    for area in &scorecard.caf_components {
        if let Some(score) = area.score {
            summary.caf_components.insert(area.name.clone(), score);
        }
    }
    for area in &scorecard.waf_areas {
        if let Some(score) = area.score {
            summary.waf_areas.insert(area.name.clone(), score);
        }
    }
    if let Some(maturity) = scorecard.accounts.iter().find(|a| a.account == account) {
        for epic in &maturity.epics {
            summary.epic_levels.insert(epic.epic.clone(), epic.level);
        }
        for enabler in &maturity.enablers {
            summary
                .enablers
                .insert(enabler.id.clone(), format!("{:?}", enabler.status));
        }
    }
    summary
}

fn record_findings_metrics(daemon: &Daemon, account: &str, evaluated: &Evaluated) {
    let mut counts: std::collections::BTreeMap<(String, &'static str), i64> = Default::default();
    for record in &evaluated.records {
        *counts
            .entry((record.severity.clone(), record.status.as_str()))
            .or_default() += 1;
    }
    for severity in ["informational", "low", "medium", "high", "critical"] {
        for status in ["PASS", "FAIL", "ERROR", "MUTED"] {
            let n = counts
                .get(&(severity.to_owned(), status))
                .copied()
                .unwrap_or(0);
            daemon
                .metrics
                .findings
                .get_or_create(&labels([
                    ("account", account),
                    ("severity", severity),
                    ("status", status),
                ]))
                .set(n);
        }
    }
}

/// The events of a summary, one per sink.
fn summary_events(daemon: &Daemon, scan_id: ScanId, body: &serde_json::Value) -> Vec<NewEvent> {
    daemon
        .sinks
        .iter()
        .map(|sink| NewEvent {
            sink: sink.name().to_owned(),
            event_id: format!("scan:{scan_id}:summary"),
            kind: "scan.summary".to_owned(),
            payload: body.clone(),
        })
        .collect()
}

/// Drift, lifecycle with its events, scores, the scan row and its summary event.
async fn store_results(
    daemon: &Arc<Daemon>,
    scan_id: ScanId,
    account: &str,
    evaluated: Evaluated,
) -> Result<Vec<Transition>> {
    let sinks: Vec<String> = daemon.sinks.iter().map(|s| s.name().to_owned()).collect();
    let summary = scan_summary_event(&ScanSummary {
        scan_id: &scan_id.to_string(),
        account,
        end: ScanEnd::Completed,
        started_at: evaluated.started_at,
        finished_at: evaluated.finished_at,
        resources: evaluated.snapshot_resources.len(),
        pass: evaluated.counts.pass as usize,
        fail: evaluated.counts.fail as usize,
        error: evaluated.counts.error as usize,
        muted: evaluated.counts.muted as usize,
        gaps: evaluated.gaps.len(),
        error_message: None,
        scorecard: evaluated.scorecard.clone(),
        coverage: evaluated.coverage.clone(),
        product_version: env!("CARGO_PKG_VERSION"),
    });
    let summary_events = summary_events(daemon, scan_id, &summary);
    let account = account.to_owned();
    blocking(daemon, move |store| {
        let changes = store.record_inventory(
            scan_id,
            &account,
            &evaluated.snapshot_resources,
            &evaluated.gaps,
        )?;
        if !changes.is_empty() {
            tracing::info!(account = %account, changes = changes.len(), "resources changed since the last scan");
        }
        let mut present: HashSet<String> = evaluated
            .snapshot_resources
            .iter()
            .map(|r| r.id.clone())
            .collect();
        // Resources the scan could not have seen are not gone: their findings keep
        // their state (see `scope`).
        let unseen = super::scope::out_of_view(store, &evaluated.scope)?;
        if !unseen.is_empty() {
            tracing::info!(account = %account, resources = unseen.len(), "open findings outside what this scan evaluated are left as they are");
        }
        present.extend(unseen);
        let last = evaluated.finished_at;
        let mut make_events = |t: &Transition| -> Vec<NewEvent> {
            let Some(change) = Change::from_state(t.to.as_str()) else {
                return Vec::new();
            };
            let seen = Seen {
                first: (change == Change::New).then_some(last),
                last,
            };
            let payload = finding_change_event(
                &t.finding.body,
                change,
                seen,
                t.cause == TransitionCause::ResourceGone,
            );
            sinks
                .iter()
                .map(|sink| NewEvent {
                    sink: sink.clone(),
                    event_id: t.event_id(),
                    kind: change.kind().to_owned(),
                    payload: payload.clone(),
                })
                .collect()
        };
        let transitions = store.record_results(
            scan_id,
            &account,
            &evaluated.records,
            &present,
            &mut make_events,
        )?;
        store.record_scores(
            scan_id,
            &account,
            &evaluated.scorecard,
            &evaluated.score_summary,
        )?;
        store.enqueue(&summary_events)?;
        store.finish_scan(
            scan_id,
            &ScanOutcome {
                status: ScanStatus::Succeeded,
                finished_at: Utc::now(),
                counts: evaluated.counts,
                gaps: evaluated.gaps.iter().map(GapRecord::from).collect(),
                error: None,
                api_calls: evaluated.api_calls,
            },
        )?;
        Ok(transitions)
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use vigil_inventory::{GLOBAL_REGION, Gap, Resource};

    const MANAGEMENT: &str = "111111111111";
    const MEMBER: &str = "222222222222";

    fn account(id: &str, org: &str) -> Resource {
        Resource::new(format!("arn:aws::{id}:account"), "aws.account", id, GLOBAL_REGION)
            .with_property(
                "organization",
                json!({"id": org, "master_account_id": MANAGEMENT, "is_management_account": id == MANAGEMENT}),
            )
    }

    fn findings(resources: Vec<Resource>, gaps: Vec<Gap>) -> Vec<Finding> {
        let selection = crate::cli::RuleSelection {
            rules: vec![],
            no_builtin_rules: false,
        };
        let rules = crate::pack::load_rules(&selection).unwrap();
        let inventory = Inventory::new(resources, vec![], gaps).unwrap();
        let ctx = EvalContext::new(Arc::new(inventory), Utc::now());
        evaluate(&rules, &ctx).0
    }

    #[test]
    fn the_management_accounts_organisation_results_reach_members_of_its_organisation_only() {
        let scp = Resource::new(
            format!("arn:aws:organizations::{MANAGEMENT}:policy/o-1/service_control_policy/p-1"),
            "aws.organizations.policy",
            MANAGEMENT,
            GLOBAL_REGION,
        )
        .with_property("type", json!("SERVICE_CONTROL_POLICY"))
        .with_property("attached_to_root", json!(true))
        .with_property("targets", json!([{"target_id": "r-1", "type": "ROOT", "name": "Root"}]))
        .with_property(
            "document",
            json!({"Statement": [{"Effect": "Deny", "Action": "organizations:LeaveOrganization", "Resource": "*"}]}),
        );
        let management = findings(vec![account(MANAGEMENT, "o-1"), scp], vec![]);
        let member_gap = Gap {
            service: "organizations".into(),
            operation: "ListPolicies".into(),
            account: MEMBER.into(),
            region: GLOBAL_REGION.into(),
            resource_types: vec!["aws.organizations.policy".into()],
            resource: None,
            error_code: "NotManagementAccount".into(),
            message: String::new(),
        };
        let member = findings(vec![account(MEMBER, "o-1")], vec![member_gap]);

        let pool = OrganizationEvidence::default();
        // The management account, scanned first, has nobody else's results yet.
        assert!(
            share_organization_evidence(&pool, Some("o-1"), MANAGEMENT, &management).is_empty()
        );
        // The member receives the management account's organisation-wide results.
        let shared = share_organization_evidence(&pool, Some("o-1"), MEMBER, &member);
        assert!(!shared.is_empty());
        assert!(
            shared
                .iter()
                .all(|o| o.finding.resource.account == MANAGEMENT
                    && o.finding.rule.organization_wide
                    && o.organization_id == "o-1")
        );
        assert!(shared.iter().any(|o| o.finding.rule.id
            == "organizations_scp_denies_leaving_organization"
            && o.finding.status == Status::Pass));
        // Another organisation, or an account in none, gets nothing from it.
        assert!(
            share_organization_evidence(&pool, Some("o-2"), "333333333333", &member).is_empty()
        );
        assert!(share_organization_evidence(&pool, None, "444444444444", &member).is_empty());
    }
}
