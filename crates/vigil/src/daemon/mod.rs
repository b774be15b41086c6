//! `vigil daemon`: scheduled scans of many accounts, their history in the store, and
//! delivery of finding state changes to SIEMs through a durable outbox.

// `StoreError` names the operation, table and file of a failure, which makes it large;
// store calls are far from hot, so boxing it buys nothing here.
#![allow(clippy::result_large_err)]

mod api;
pub mod config;
mod dashboard;
mod delivery;
mod fleet;
mod metrics;
mod query;
mod scanner;
mod schedule;
mod scope;

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::{Context, Result};
use tokio::sync::{Notify, mpsc};
use tokio_util::sync::CancellationToken;
use vigil_rules::Mutelist;
use vigil_score::Attestations;
use vigil_sink::Sink;
use vigil_store::{Cycle, PostgresStore, RetentionPolicy, ScanTrigger, SqliteStore, Store};

use crate::cli::{ConfigCommand, DaemonArgs, RuleSelection};
use config::Config;
use metrics::Metrics;
use scanner::Pipeline;

/// What every task of the daemon shares.
pub struct Daemon {
    pub config: Config,
    pub store: Arc<dyn Store>,
    pub sinks: Vec<Arc<dyn Sink>>,
    pub pipeline: Pipeline,
    pub metrics: Metrics,
    /// Scan requests from the schedules and the API; one may wait while one runs.
    pub requests: mpsc::Sender<ScanRequest>,
    /// This replica, when replicas share a PostgreSQL store; `None` with SQLite.
    pub fleet: Option<fleet::Fleet>,
    /// Wakes the delivery loops when a scan has queued events.
    pub wake_delivery: Notify,
    /// Set once the API listens and the store is open: `/readyz` answers 200.
    pub ready: AtomicBool,
    /// True while a scan runs.
    pub scanning: AtomicBool,
    /// Results of organisation-wide rules (SCPs on the root, delegated
    /// administrators) from the latest scan of each account, by organisation id and
    /// account: a PASS in the management account counts for every member's
    /// scorecard. Members scanned before the management account in the first cycle
    /// use it from the next cycle on.
    pub organization_evidence: scanner::OrganizationEvidence,
}

/// A scan to run: why, and for a schedule's firing, which cycle (how replicas tell
/// that an account was already scanned in it).
#[derive(Debug, Clone)]
pub struct ScanRequest {
    pub trigger: ScanTrigger,
    pub cycle: Option<Cycle>,
}

/// `vigil daemon --config FILE`.
pub fn run(args: DaemonArgs) -> Result<ExitCode> {
    let config = match config::load(&args.config, &collector_services()) {
        Ok(config) => config,
        Err(errors) => {
            #[allow(clippy::print_stderr)]
            {
                eprint!("{errors}");
            }
            return Ok(ExitCode::from(2));
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let result = runtime.block_on(serve(config, args.scan_on_start));
    // Dropping the runtime would wait for every blocking thread, an abandoned rule
    // evaluation included, and keep the process alive after "stopped". Deadlines
    // were applied in `serve`; what still runs now is let go.
    runtime.shutdown_timeout(Duration::from_secs(2));
    result
}

/// The names `[scan] services` may use: one per collector.
fn collector_services() -> Vec<&'static str> {
    vigil_collect::COLLECTORS
        .iter()
        .map(|c| c.service)
        .collect()
}

fn api_token(config: &Config) -> Result<String> {
    let token = match (&config.api.token_env, &config.api.token_file) {
        (Some(name), _) => std::env::var(name)
            .with_context(|| format!("api.token_env: environment variable `{name}` is not set"))?,
        (None, Some(file)) => std::fs::read_to_string(file)
            .with_context(|| format!("api.token_file: cannot read {}", file.display()))?,
        (None, None) => anyhow::bail!("api: no token configured"),
    };
    let token = token.lines().next().unwrap_or("").trim().to_owned();
    anyhow::ensure!(!token.is_empty(), "api: the token is empty");
    Ok(token)
}

fn pipeline(config: &Config) -> Result<Pipeline> {
    let selection = RuleSelection {
        rules: config.scan.rules_dirs.clone(),
        no_builtin_rules: !config.scan.builtin_rules,
    };
    let rules = crate::pack::load_rules(&selection)?;
    let models = crate::pack::load_models(&rules, &selection)?;
    let attestations = match &config.scan.attestations {
        Some(path) => Attestations::load(path, &models)?,
        None => Attestations::default(),
    };
    let mutelist = match &config.scan.mutelist {
        Some(path) => Mutelist::load(path)?,
        None => Mutelist::default(),
    };
    Ok(Pipeline {
        rules,
        models,
        mutelist,
        attestations,
        settings: config.scan.settings.clone(),
    })
}

async fn serve(config: Config, scan_on_start: bool) -> Result<ExitCode> {
    let token = api_token(&config)?;
    let pipeline = pipeline(&config)?;
    let (store, fleet) = open_store(&config).await?;
    let interrupted = {
        let store = Arc::clone(&store);
        tokio::task::spawn_blocking(move || store.mark_interrupted_scans()).await??
    };
    if !interrupted.is_empty() {
        tracing::warn!(scans = ?interrupted, "scans left running by a stopped process are marked interrupted");
    }
    let sinks = vigil_sink::build_all(&config.sinks, Some(&vigil_collect::securityhub_importer))
        .map_err(|errors| {
            anyhow::anyhow!(
                "sinks: {}",
                errors
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; ")
            )
        })?;
    let listener = tokio::net::TcpListener::bind(&config.api.listen)
        .await
        .with_context(|| format!("api.listen: cannot listen on {}", config.api.listen))?;
    let (requests, mut queue) = mpsc::channel::<ScanRequest>(1);
    let daemon = Arc::new(Daemon {
        store,
        fleet,
        sinks: sinks.into_iter().map(Arc::from).collect(),
        pipeline,
        metrics: Metrics::new(),
        requests,
        wake_delivery: Notify::new(),
        ready: AtomicBool::new(false),
        scanning: AtomicBool::new(false),
        organization_evidence: Default::default(),
        config,
    });

    let stop_schedules = CancellationToken::new();
    let cancel_scan = CancellationToken::new();
    let draining = CancellationToken::new();
    let stop = CancellationToken::new();
    let mut tasks = tokio::task::JoinSet::new();
    for schedule in daemon.config.schedules.clone() {
        tasks.spawn(schedule::run(
            schedule,
            daemon.requests.clone(),
            stop_schedules.clone(),
        ));
    }
    let mut delivery = tokio::task::JoinSet::new();
    for sink in &daemon.sinks {
        delivery.spawn(delivery::deliver(
            Arc::clone(&daemon),
            Arc::clone(sink),
            draining.clone(),
            stop.clone(),
        ));
    }
    tasks.spawn(delivery::watch_backlog(Arc::clone(&daemon), stop.clone()));
    tasks.spawn(retention(Arc::clone(&daemon), stop.clone()));
    let api = api::router(Arc::clone(&daemon), token);
    let api_stop = stop.clone();
    tasks.spawn(async move {
        let served = axum::serve(listener, api)
            .with_graceful_shutdown(async move { api_stop.cancelled().await })
            .await;
        if let Err(err) = served {
            tracing::error!(error = %err, "the HTTP API stopped");
        }
    });

    // One scan at a time; a request arriving meanwhile waits in the queue (of one).
    // Once shutdown starts (`stop_schedules`), no queued scan begins.
    let scans = {
        let daemon = Arc::clone(&daemon);
        let cancel = cancel_scan.clone();
        let no_new = stop_schedules.clone();
        tokio::spawn(async move {
            loop {
                let trigger = tokio::select! {
                    trigger = queue.recv() => trigger,
                    () = no_new.cancelled() => None,
                };
                let Some(request) = trigger else { break };
                daemon.scanning.store(true, Ordering::SeqCst);
                scanner::run(Arc::clone(&daemon), request, cancel.clone()).await;
                daemon.scanning.store(false, Ordering::SeqCst);
            }
        })
    };
    if scan_on_start {
        let _ = daemon.requests.try_send(ScanRequest {
            trigger: ScanTrigger::Startup,
            cycle: None,
        });
    }
    daemon.ready.store(true, Ordering::SeqCst);
    let store_name = match &daemon.config.store.url {
        Some(_) => "postgresql (store.url)".to_owned(),
        None if daemon.fleet.is_some() => "postgresql (store.url_env)".to_owned(),
        None => daemon.config.store.path.display().to_string(),
    };
    let _ = sd_notify::notify(false, &[sd_notify::NotifyState::Ready]);
    tracing::info!(
        config = %daemon.config.path.display(),
        listen = %daemon.config.api.listen,
        store = %store_name,
        replica = daemon.fleet.as_ref().map_or("", |f| f.replica.as_str()),
        schedules = daemon.config.schedules.len(),
        sinks = daemon.sinks.len(),
        "vigil daemon started"
    );

    shutdown_signal().await;
    tracing::info!("shutting down: no new scans; finishing the running one");
    let _ = sd_notify::notify(false, &[sd_notify::NotifyState::Stopping]);
    daemon.ready.store(false, Ordering::SeqCst);
    stop_schedules.cancel();
    let scan_deadline = Duration::from_secs(daemon.config.delivery.shutdown_scan_secs);
    let finished = tokio::time::timeout(scan_deadline, async {
        while daemon.scanning.load(Ordering::SeqCst) {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await;
    if finished.is_err() {
        tracing::warn!(
            deadline_secs = scan_deadline.as_secs(),
            "the running scan did not finish in time; cancelling it"
        );
        cancel_scan.cancel();
    }
    // The worker records a cancelled scan as such before it ends.
    if tokio::time::timeout(Duration::from_secs(10), scans)
        .await
        .is_err()
    {
        tracing::warn!(
            "the scan worker did not stop; its scan will be marked interrupted at the next start"
        );
    }

    draining.cancel();
    daemon.wake_delivery.notify_waiters();
    let flush = Duration::from_secs(daemon.config.delivery.shutdown_flush_secs);
    if tokio::time::timeout(flush, async {
        while delivery.join_next().await.is_some() {}
    })
    .await
    .is_err()
    {
        tracing::warn!(
            deadline_secs = flush.as_secs(),
            "outbox not flushed in time; the rest is kept for the next start"
        );
    }
    stop.cancel();
    while tasks.join_next().await.is_some() {}
    tracing::info!("vigil daemon stopped");
    Ok(ExitCode::SUCCESS)
}

/// The SQLite file, or with `store.url`/`url_env` the PostgreSQL store and this
/// replica's place in the fleet. PostgreSQL's client blocks, hence `spawn_blocking`.
async fn open_store(config: &Config) -> Result<(Arc<dyn Store>, Option<fleet::Fleet>)> {
    let url = config
        .store
        .postgres_url(&|name| std::env::var(name).ok())
        .map_err(|message| anyhow::anyhow!("store: {message}"))?;
    if let Some(url) = url {
        let store = tokio::task::spawn_blocking(move || PostgresStore::open(&url))
            .await?
            .context("store.url: cannot open the PostgreSQL store")?;
        let fleet = fleet::Fleet::new(config.fleet.lease_secs);
        tracing::info!(store = %store.target(), replica = %fleet.replica, lease_secs = config.fleet.lease_secs, "sharing the store with any other replica");
        return Ok((Arc::new(store), Some(fleet)));
    }
    if let Some(dir) = config
        .store
        .path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
    {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("store.path: cannot create {}", dir.display()))?;
    }
    let store = SqliteStore::open(&config.store.path)
        .with_context(|| format!("store.path: {}", config.store.path.display()))?;
    Ok((Arc::new(store), None))
}

/// SIGTERM or SIGINT.
async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = match signal(SignalKind::terminate()) {
        Ok(term) => term,
        Err(err) => {
            tracing::error!(error = %err, "cannot listen for SIGTERM");
            let _ = tokio::signal::ctrl_c().await;
            return;
        }
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}

/// Daily: delete what the retention settings let go.
async fn retention(daemon: Arc<Daemon>, stop: CancellationToken) {
    let policy = RetentionPolicy {
        scans_days: daemon.config.store.retention_scans_days,
        changes_days: daemon.config.store.retention_changes_days,
        delivered_events_days: daemon.config.store.retention_delivered_events_days,
    };
    loop {
        let store = Arc::clone(&daemon.store);
        match tokio::task::spawn_blocking(move || store.prune(&policy, chrono::Utc::now())).await {
            Ok(Ok(report)) => tracing::info!(?report, "retention applied"),
            Ok(Err(err)) => tracing::error!(error = %err, "retention failed"),
            Err(err) => tracing::error!(error = %err, "retention task failed"),
        }
        tokio::select! {
            () = tokio::time::sleep(Duration::from_secs(24 * 3600)) => {}
            () = stop.cancelled() => return,
        }
    }
}

/// `vigil config init|validate`.
pub fn config_command(command: ConfigCommand) -> anyhow::Result<ExitCode> {
    match command {
        ConfigCommand::Init => {
            #[allow(clippy::print_stdout)]
            {
                print!("{}", config::TEMPLATE);
            }
            Ok(ExitCode::SUCCESS)
        }
        ConfigCommand::Validate { config: path } => {
            match config::load(&path, &collector_services()) {
                Ok(config) => {
                    // What start-up reads next — the rule pack, the mutelist and
                    // attestations (their contents, not just their paths), the API token —
                    // is read here too, so that whatever `validate` accepts, the daemon
                    // starts with.
                    if let Err(err) = pipeline(&config).and_then(|_| api_token(&config)) {
                        #[allow(clippy::print_stderr)]
                        {
                            eprintln!("{}: {err:#}", path.display());
                        }
                        return Ok(ExitCode::from(2));
                    }
                    #[allow(clippy::print_stdout)]
                    {
                        println!(
                            "{}: valid ({} account(s){}, {} schedule(s), {} sink(s))",
                            path.display(),
                            config.accounts.len(),
                            if config.organization.is_some() {
                                " and Organizations discovery"
                            } else {
                                ""
                            },
                            config.schedules.len(),
                            config.sinks.len()
                        );
                    }
                    Ok(ExitCode::SUCCESS)
                }
                Err(errors) => {
                    #[allow(clippy::print_stderr)]
                    {
                        eprint!("{errors}");
                    }
                    Ok(ExitCode::from(2))
                }
            }
        }
    }
}
