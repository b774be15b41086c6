//! Benchmark: an organisation of 1,000 accounts recorded by a fleet into one PostgreSQL,
//! against the same work on SQLite with one worker, printed side by side.
//!
//! Three phases per store, each labelled in the output with the path its figures came
//! from:
//! 1. **Scans, row by row** (the daemon's path): every account of the synthetic
//!    organisation (see `workload`) is scanned `VIGIL_BENCH_ROUNDS` times. A scan is
//!    recorded exactly as the daemon's scanner records it, through the `Store` trait:
//!    claim the cycle and take the account's lease (PostgreSQL), begin the held scan,
//!    name its account, record the inventory, the results with one event per sink and
//!    transition (two sinks), the scores, the summary events, finish the scan, release
//!    the lease. PostgreSQL gets `VIGIL_BENCH_WORKERS` workers (default 4), each with a
//!    store handle of its own, as replicas have; SQLite gets one. Reported: scans per
//!    minute, and store growth per scan from `pg_database_size` (the file and its WAL on
//!    SQLite).
//! 2. **Bulk fill** (a faster path, not the daemon's): the findings of phase 1 are
//!    copied inside the database under new account ids (`INSERT … SELECT`, epics from
//!    each row's `epics` column) until the store holds `VIGIL_BENCH_FINDING_ROWS`
//!    findings (default 10 million), then `ANALYZE`.
//! 3. **API queries**: the findings queries `/api/v1/findings` answers (its filters and
//!    cursor paging) are timed through `Store::list_findings`, the call the API makes;
//!    p50 and p99 over up to `VIGIL_BENCH_QUERY_RUNS` runs (default 200, at most ~15 s
//!    per query).
//!
//! Run: `bash tests/postgres/start.sh; . tests/postgres/state/env.sh;
//! cargo bench -p vigil-store --bench fleet`. Also `VIGIL_BENCH_ACCOUNTS` (1000),
//! `VIGIL_BENCH_STORES` (`postgres,sqlite`), `VIGIL_BENCH_POSTGRES_URL` (else
//! `VIGIL_TEST_POSTGRES_URL`; the bench creates and drops a database of its own),
//! `VIGIL_BENCH_DIR` (where the SQLite file goes, deleted after). The bulk phase stops
//! short of its target rather than leave less than 20 GB of free disk.

#![allow(clippy::print_stdout, clippy::print_stderr)]

/// The daemon's allocator, so the figures are the daemon's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod bulk;
mod workload;

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use chrono::{TimeDelta, Utc};
use serde_json::json;
use vigil_store::{
    Cycle, FindingFilter, GapRecord, LifecycleState, NewEvent, PageRequest, PostgresStore,
    ScanOutcome, ScanStatus, ScanTrigger, SqliteStore, StatusFilter, Store, Transition,
};

const SINKS: [&str; 2] = ["siem", "archive"];

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

/// The figures of one store, for the table.
#[derive(Default)]
struct Figures {
    label: String,
    rows: Vec<(String, String)>,
}

impl Figures {
    fn put(&mut self, key: impl Into<String>, value: impl Into<String>) {
        let (key, value) = (key.into(), value.into());
        println!("  {key:<58} {value}");
        self.rows.push((key, value));
    }
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / 1_048_576.0)
}

fn kib(bytes: f64) -> String {
    format!("{:.0} KiB", bytes / 1024.0)
}

/// One scan of account `i`, recorded as the daemon's scanner records it.
fn record_scan(store: &dyn Store, holder: Option<&str>, cycle: &Cycle, i: u64, round: u64) -> u64 {
    let data = workload::scan_data(i, round);
    let account = data.account.as_str();
    let label = format!("acct-{account}");
    let lease = format!("scan:{label}");
    let started_at = Utc::now();
    let scan_id = match holder {
        Some(holder) => {
            assert!(
                store
                    .claim_cycle(cycle, &label, holder, started_at)
                    .unwrap()
            );
            assert!(
                store
                    .acquire_lease(&lease, holder, TimeDelta::seconds(120), started_at)
                    .unwrap()
            );
            store
                .begin_held_scan(&label, ScanTrigger::Schedule, started_at, holder)
                .unwrap()
        }
        None => store
            .begin_scan(&label, ScanTrigger::Schedule, started_at)
            .unwrap(),
    };
    store.set_scan_account(scan_id, account).unwrap();
    store
        .record_inventory(scan_id, account, &data.resources, &[])
        .unwrap();
    let present: HashSet<String> = data.resources.iter().map(|r| r.id.clone()).collect();
    let mut make_events = |t: &Transition| -> Vec<NewEvent> {
        let payload = json!({ "change": t.to.as_str(), "finding": t.finding.body,
            "first_seen": started_at, "last_seen": started_at });
        SINKS
            .iter()
            .map(|sink| NewEvent {
                sink: (*sink).to_owned(),
                event_id: t.event_id(),
                kind: format!("finding.{}", t.to.as_str().to_ascii_lowercase()),
                payload: payload.clone(),
            })
            .collect()
    };
    let transitions = store
        .record_results(scan_id, account, &data.findings, &present, &mut make_events)
        .unwrap();
    let (scorecard, summary) = workload::scorecard(&data.counts);
    store
        .record_scores(scan_id, account, &scorecard, &summary)
        .unwrap();
    let summary_events: Vec<NewEvent> = SINKS
        .iter()
        .map(|sink| NewEvent {
            sink: (*sink).to_owned(),
            event_id: format!("scan:{scan_id}:summary"),
            kind: "scan.completed".into(),
            payload: json!({ "scan_id": scan_id.to_string(), "account": account,
                "resources": data.resources.len(), "counts": data.counts, "scorecard": scorecard }),
        })
        .collect();
    store.enqueue(&summary_events).unwrap();
    store
        .finish_scan(
            scan_id,
            &ScanOutcome {
                status: ScanStatus::Succeeded,
                finished_at: Utc::now(),
                counts: data.counts,
                gaps: Vec::<GapRecord>::new(),
                error: None,
                api_calls: 900,
            },
        )
        .unwrap();
    if let Some(holder) = holder {
        store.release_lease(&lease, holder).unwrap();
    }
    transitions.len() as u64
}

/// A worker's store handle, with its replica name (none on SQLite).
type Handle = (Box<dyn Store>, Option<String>);
type Handles = Vec<Handle>;

/// Where the store lives, and how to measure and bulk-fill it.
enum Target {
    Postgres { admin: Box<bulk::Pg> },
    Sqlite { path: PathBuf },
}

impl Target {
    fn size(&mut self) -> u64 {
        match self {
            Target::Postgres { admin, .. } => admin.size(),
            Target::Sqlite { path } => bulk::sqlite_size(path),
        }
    }
}

/// Phase 1: `rounds` scans of every account by `handles.len()` workers.
fn scan_rounds(
    figures: &mut Figures,
    target: &mut Target,
    handles: &[Handle],
    accounts: u64,
    rounds: u64,
) {
    for round in 0..rounds {
        let before = target.size();
        let next = AtomicU64::new(0);
        let transitions = AtomicU64::new(0);
        let cycle = Cycle {
            schedule: "bench".into(),
            fire_at: Utc::now(),
        };
        let start = Instant::now();
        std::thread::scope(|scope| {
            for (store, holder) in handles {
                let (next, transitions, cycle) = (&next, &transitions, &cycle);
                scope.spawn(move || {
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= accounts {
                            break;
                        }
                        let t = record_scan(store.as_ref(), holder.as_deref(), cycle, i, round);
                        transitions.fetch_add(t, Ordering::Relaxed);
                    }
                });
            }
        });
        let elapsed = start.elapsed().as_secs_f64();
        let after = target.size();
        let what = if round == 0 { "first scan" } else { "rescan" };
        figures.put(
            format!("round {round} ({what}): scans per minute [row by row]"),
            format!("{:.0}", accounts as f64 * 60.0 / elapsed),
        );
        figures.put(
            format!("round {round} ({what}): wall time, transitions"),
            format!("{elapsed:.1} s, {}", transitions.load(Ordering::Relaxed)),
        );
        figures.put(
            format!("round {round} ({what}): store growth per scan"),
            kib(after.saturating_sub(before) as f64 / accounts as f64),
        );
    }
}

/// Phase 3: the findings queries of the API, p50 and p99.
fn queries(figures: &mut Figures, store: &dyn Store, runs: u64, max_id: i64, accounts: u64) {
    let account = Some(workload::account_id(accounts / 2));
    let cases: Vec<(&str, FindingFilter, PageRequest)> = vec![
        (
            "no filter, first page",
            FindingFilter::default(),
            PageRequest::first(100),
        ),
        (
            "no filter, a page in the middle (cursor)",
            FindingFilter::default(),
            PageRequest::after(100, (max_id / 2).to_string()),
        ),
        (
            "account",
            FindingFilter {
                account: account.clone(),
                ..Default::default()
            },
            PageRequest::first(100),
        ),
        (
            "account, status=FAIL",
            FindingFilter {
                account: account.clone(),
                status: Some(StatusFilter::Result(vigil_store::ResultStatus::Fail)),
                ..Default::default()
            },
            PageRequest::first(100),
        ),
        (
            "status=ACTIVE",
            FindingFilter {
                status: Some(StatusFilter::Active),
                ..Default::default()
            },
            PageRequest::first(100),
        ),
        (
            "status=ACTIVE, page in the middle",
            FindingFilter {
                status: Some(StatusFilter::Active),
                ..Default::default()
            },
            PageRequest::after(100, (max_id / 2).to_string()),
        ),
        (
            "severity=critical",
            FindingFilter {
                severity: Some("critical".into()),
                ..Default::default()
            },
            PageRequest::first(100),
        ),
        (
            "rule",
            FindingFilter {
                rule_id: Some("rds_instance_not_public".into()),
                ..Default::default()
            },
            PageRequest::first(100),
        ),
        (
            "epic=resilience",
            FindingFilter {
                epic: Some("resilience".into()),
                ..Default::default()
            },
            PageRequest::first(100),
        ),
        (
            "account, epic, status=ACTIVE",
            FindingFilter {
                account: account.clone(),
                epic: Some("identity_and_access_management".into()),
                status: Some(StatusFilter::Active),
                ..Default::default()
            },
            PageRequest::first(100),
        ),
        (
            "status=REOPENED (rare)",
            FindingFilter {
                status: Some(StatusFilter::State(LifecycleState::Reopened)),
                ..Default::default()
            },
            PageRequest::first(100),
        ),
        (
            "severity=critical, epic=data_protection (no match)",
            FindingFilter {
                severity: Some("critical".into()),
                epic: Some("data_protection".into()),
                ..Default::default()
            },
            PageRequest::first(100),
        ),
        (
            "waf_area=Data, severity=low (no match)",
            FindingFilter {
                waf_area: Some("Data".into()),
                severity: Some("low".into()),
                ..Default::default()
            },
            PageRequest::first(100),
        ),
    ];
    for (name, filter, page) in cases {
        let mut times = Vec::new();
        let budget = Instant::now();
        let mut items = 0;
        while (times.len() as u64) < runs
            && (times.len() < 5 || budget.elapsed() < Duration::from_secs(15))
        {
            let start = Instant::now();
            let result = store.list_findings(&filter, &page).unwrap();
            times.push(start.elapsed().as_secs_f64() * 1000.0);
            items = result.items.len();
        }
        times.sort_by(f64::total_cmp);
        let pick = |q: f64| times[((times.len() as f64 - 1.0) * q).round() as usize];
        figures.put(
            format!("query {name}: p50 / p99"),
            format!(
                "{:.1} / {:.1} ms ({} runs, {items} rows)",
                pick(0.5),
                pick(0.99),
                times.len()
            ),
        );
    }
}

fn run_store(kind: &str, accounts: u64, rounds: u64, target_rows: u64, runs: u64) -> Figures {
    let workers = if kind == "postgres" {
        env_u64("VIGIL_BENCH_WORKERS", 4)
    } else {
        1
    };
    let mut figures = Figures {
        label: format!(
            "{} ({workers} worker{})",
            if kind == "postgres" {
                "PostgreSQL"
            } else {
                "SQLite"
            },
            if workers == 1 { "" } else { "s" }
        ),
        ..Default::default()
    };
    println!("== {}", figures.label);
    let dir = tempfile::tempdir_in(
        std::env::var("VIGIL_BENCH_DIR")
            .unwrap_or_else(|_| std::env::temp_dir().display().to_string()),
    )
    .unwrap();
    let (mut target, handles): (Target, Handles) = match kind {
        "postgres" => {
            let url = std::env::var("VIGIL_BENCH_POSTGRES_URL")
                .or_else(|_| std::env::var("VIGIL_TEST_POSTGRES_URL"))
                .expect("set VIGIL_BENCH_POSTGRES_URL or VIGIL_TEST_POSTGRES_URL");
            let (admin, url) = bulk::Pg::create(&url);
            let handles = (0..workers)
                .map(|w| {
                    let store: Box<dyn Store> = Box::new(PostgresStore::open(&url).unwrap());
                    (store, Some(format!("bench-replica-{w}")))
                })
                .collect();
            (
                Target::Postgres {
                    admin: Box::new(admin),
                },
                handles,
            )
        }
        _ => {
            let path = dir.path().join("bench.db");
            let store: Box<dyn Store> = Box::new(SqliteStore::open(&path).unwrap());
            (Target::Sqlite { path }, vec![(store, None)])
        }
    };
    figures.put(
        "accounts, scans per account",
        format!("{accounts}, {rounds}"),
    );
    let sample = workload::scan_data(0, 0);
    let body_bytes: usize = sample
        .findings
        .iter()
        .map(|f| f.body.to_string().len())
        .sum();
    figures.put(
        "per account: resources, findings, mean finding body",
        format!(
            "{}, {}, {} B",
            sample.resources.len(),
            sample.findings.len(),
            body_bytes / sample.findings.len()
        ),
    );

    scan_rounds(&mut figures, &mut target, &handles, accounts, rounds);
    let size = target.size();
    figures.put("store size after the scans", mib(size));

    let start = Instant::now();
    let (rows, max_id, path_note) = match &mut target {
        Target::Postgres { admin, .. } => admin.fill(target_rows, accounts),
        Target::Sqlite { path } => bulk::sqlite_fill(path, target_rows, accounts),
    };
    figures.put(
        "finding rows [bulk fill: INSERT ... SELECT]",
        format!(
            "{rows} in {:.0} s{path_note}",
            start.elapsed().as_secs_f64()
        ),
    );
    figures.put("store size with them", mib(target.size()));
    let (store, _) = &handles[0];
    queries(&mut figures, store.as_ref(), runs, max_id, accounts);

    drop(handles);
    if let Target::Postgres { admin } = target {
        admin.drop_database();
    }
    drop(dir);
    figures
}

fn main() {
    let accounts = env_u64("VIGIL_BENCH_ACCOUNTS", 1000);
    let rounds = env_u64("VIGIL_BENCH_ROUNDS", 2).max(1);
    let target_rows = env_u64("VIGIL_BENCH_FINDING_ROWS", 10_000_000);
    let runs = env_u64("VIGIL_BENCH_QUERY_RUNS", 200).max(1);
    let stores = std::env::var("VIGIL_BENCH_STORES").unwrap_or_else(|_| "postgres,sqlite".into());
    println!(
        "vigil-store fleet bench: {accounts} accounts, {rounds} scans each, {target_rows} finding rows for the queries"
    );
    let all: Vec<Figures> = stores
        .split(',')
        .map(|kind| run_store(kind.trim(), accounts, rounds, target_rows, runs))
        .collect();

    println!();
    let width = 58;
    let mut header = format!("{:<width$}", "");
    for f in &all {
        header.push_str(&format!(" | {:<44}", f.label));
    }
    println!("{header}");
    println!("{}", "-".repeat(header.len()));
    if let Some(first) = all.first() {
        for (i, (key, _)) in first.rows.iter().enumerate() {
            let mut line = format!("{key:<width$}");
            for f in &all {
                let value = f.rows.get(i).map(|(_, v)| v.as_str()).unwrap_or("");
                line.push_str(&format!(" | {value:<44}"));
            }
            println!("{line}");
        }
    }
}
