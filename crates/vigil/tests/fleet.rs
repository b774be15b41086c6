//! Several replicas, one organisation (issue 13, item 2), end to end: three real
//! `vigil daemon` processes with the same configuration share one PostgreSQL store
//! (tests/postgres/start.sh) and scan four LocalStack accounts on a 15-second cron.
//! LocalStack maps a 12-digit access key id to an account of that number, so four
//! profiles with keys 000000000001 … 000000000004 are four accounts.
//!
//! It proves, from the store's claims and scans and from what an HTTP receiver got:
//! every account is scanned exactly once per cycle across the replicas and none is
//! skipped; a replica killed with SIGKILL mid-scan loses its account, whose running scan
//! a live replica marks interrupted once the lease expired, and another replica scans it
//! in a later cycle; every event reaches the receiver, and an event that arrives twice
//! carries the same id and body.
//!
//! Ignored by default: it needs the emulators and PostgreSQL (`tests/run` starts them).

// The test prints its figures (claims per replica, takeover time, events) for the
// closing notes and CI logs.
#![allow(clippy::print_stderr)]

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use serde_json::Value;
use vigil_store::{
    Cycle, PageRequest, PostgresStore, ScanFilter, ScanId, ScanRow, ScanStatus, ScanTrigger, Store,
};

const REPLICAS: usize = 3;
const ACCOUNTS: usize = 4;
const PERIOD_SECS: i64 = 15;
const SCHEDULE: &str = "fleet-every-15-seconds";
const LEASE_SECS: u64 = 6;

/// Every event the receiver took: (id, body), in arrival order.
type Inbox = Arc<Mutex<Vec<(String, Value)>>>;

/// A webhook receiver on loopback that accepts every batch.
fn receiver() -> (u16, Inbox) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let inbox: Inbox = Arc::default();
    let shared = Arc::clone(&inbox);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let inbox = Arc::clone(&shared);
            std::thread::spawn(move || serve(stream, &inbox));
        }
    });
    (port, inbox)
}

fn serve(stream: TcpStream, inbox: &Inbox) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut writer = stream;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut length = 0;
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header).unwrap_or(0) == 0 {
                return;
            }
            if header == "\r\n" {
                break;
            }
            if let Some((name, value)) = header.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let batch: Vec<Value> = serde_json::from_slice(&body).expect("a JSON array");
        inbox.lock().unwrap().extend(
            batch
                .into_iter()
                .map(|e| (e["id"].as_str().unwrap().to_owned(), e["event"].clone())),
        );
        if writer
            .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
            .is_err()
        {
            return;
        }
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The test server's URL with `schema` first on the search path, so the replicas and
/// the test share a schema of their own.
fn url_in_schema(url: &str, schema: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}options=-csearch_path%3D{schema}")
}

/// Four profiles, four LocalStack accounts.
fn write_aws_files(dir: &Path) -> (PathBuf, PathBuf) {
    let (mut config, mut credentials) = (String::new(), String::new());
    for i in 1..=ACCOUNTS {
        config.push_str(&format!("[profile acct{i}]\nregion = us-east-1\n\n"));
        credentials.push_str(&format!(
            "[acct{i}]\naws_access_key_id = {i:012}\naws_secret_access_key = test\n\n"
        ));
    }
    let (c, k) = (dir.join("aws-config"), dir.join("aws-credentials"));
    std::fs::write(&c, config).unwrap();
    std::fs::write(&k, credentials).unwrap();
    (c, k)
}

fn write_config(dir: &Path, i: usize, http: u16) -> PathBuf {
    let accounts: String = (1..=ACCOUNTS)
        .map(|a| format!("[[accounts]]\nname = \"acct{a}\"\nprofile = \"acct{a}\"\n\n"))
        .collect();
    let config = format!(
        r#"
[store]
url_env = "VIGIL_FLEET_STORE_URL"

[fleet]
lease_secs = {LEASE_SECS}

[api]
listen = "127.0.0.1:{port}"
token_env = "VIGIL_TEST_API_TOKEN"

[scan]
services = ["s3", "iam"]
account_concurrency = 2

{accounts}
[[schedules]]
name = "{SCHEDULE}"
cron = "*/{PERIOD_SECS} * * * * *"

[delivery]
min_backoff_secs = 1
max_backoff_secs = 3
shutdown_flush_secs = 5
shutdown_scan_secs = 10

[[sinks]]
type = "http"
name = "webhook"
url = "http://127.0.0.1:{http}/ingest"
max_batch_events = 50
"#,
        port = free_port(),
    );
    let path = dir.join(format!("vigil-{i}.toml"));
    std::fs::write(&path, config).unwrap();
    path
}

struct Replica {
    child: Child,
    log: PathBuf,
}

fn start(config: &Path, log: PathBuf, store_url: &str, aws: &(PathBuf, PathBuf)) -> Replica {
    let file = std::fs::File::create(&log).unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(["--log-format", "json", "daemon", "--config"])
        .arg(config)
        .env("VIGIL_TEST_API_TOKEN", "fleet-test-token")
        .env("VIGIL_FLEET_STORE_URL", store_url)
        // The profiles' keys, not the emulators' default one, pick the accounts.
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env("AWS_CONFIG_FILE", &aws.0)
        .env("AWS_SHARED_CREDENTIALS_FILE", &aws.1)
        .stdout(Stdio::null())
        .stderr(file)
        .spawn()
        .expect("vigil daemon starts");
    Replica { child, log }
}

fn all_scans(store: &dyn Store) -> Vec<ScanRow> {
    store
        .list_scans(&ScanFilter::default(), &PageRequest::first(500))
        .unwrap()
        .items
}

/// The pid in a replica id (`host:pid:random`).
fn pid_of(holder: &str) -> Option<u32> {
    holder.split(':').nth(1)?.parse().ok()
}

fn cycle_of(t: DateTime<Utc>) -> DateTime<Utc> {
    t.duration_trunc(TimeDelta::seconds(PERIOD_SECS)).unwrap()
}

#[test]
#[ignore = "needs LocalStack, moto and PostgreSQL running (tests/run starts them)"]
fn replicas_share_the_accounts_take_over_after_kill_9_and_deliver_every_event() {
    assert!(
        std::env::var_os("AWS_ENDPOINT_URL").is_some(),
        "AWS_ENDPOINT_URL is not set: source localstack/state/env.sh first"
    );
    let url = std::env::var("VIGIL_TEST_POSTGRES_URL")
        .expect("VIGIL_TEST_POSTGRES_URL is not set: source tests/postgres/state/env.sh");
    let schema = format!("vigil_fleet_{}", std::process::id());
    // Creates the schema and its tables; the replicas find them migrated.
    let store = PostgresStore::open_in_schema(&url, Some(&schema)).unwrap();
    let store_url = url_in_schema(&url, &schema);

    let dir = tempfile::tempdir().unwrap();
    let aws = write_aws_files(dir.path());
    let (http, inbox) = receiver();
    let started = Utc::now();
    let mut replicas: Vec<Replica> = (0..REPLICAS)
        .map(|i| {
            let config = write_config(dir.path(), i, http);
            start(
                &config,
                dir.path().join(format!("replica-{i}.log")),
                &store_url,
                &aws,
            )
        })
        .collect();

    // Let three cycles pass, then kill -9 the replica of the next running scan.
    std::thread::sleep(Duration::from_secs(3 * PERIOD_SECS as u64 + 3));
    let deadline = Instant::now() + Duration::from_secs(60);
    let (victim, killed_scan, killed_at) = loop {
        assert!(Instant::now() < deadline, "no running scan to kill in 60 s");
        let running = store
            .list_scans(
                &ScanFilter {
                    status: Some(ScanStatus::Running),
                    ..Default::default()
                },
                &PageRequest::first(50),
            )
            .unwrap()
            .items;
        let found = running.iter().find_map(|scan| {
            let pid = pid_of(&store.scan_holder(scan.id).ok()??)?;
            let index = replicas.iter().position(|r| r.child.id() == pid)?;
            Some((index, scan.id))
        });
        if let Some((index, scan)) = found {
            replicas[index].child.kill().unwrap();
            replicas[index].child.wait().unwrap();
            break (index, scan, Utc::now());
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let killed_account = store.get_scan(killed_scan).unwrap().unwrap().account;
    eprintln!("killed replica {victim} mid-scan of {killed_account} (scan {killed_scan})");

    // Three more cycles with the survivors, then a clean stop.
    std::thread::sleep(Duration::from_secs(3 * PERIOD_SECS as u64 + 5));
    let stopped = Utc::now();
    for (i, replica) in replicas.iter_mut().enumerate() {
        if i == victim {
            continue;
        }
        Command::new("kill")
            .args(["-TERM", &replica.child.id().to_string()])
            .status()
            .unwrap();
    }
    for (i, replica) in replicas.iter_mut().enumerate() {
        if i != victim {
            let status = replica.child.wait().unwrap();
            assert!(
                status.success(),
                "replica {i}: {status}; log {}",
                replica.log.display()
            );
        }
    }

    // 1. Every account once per cycle, claimed by one replica, none skipped.
    let scans = all_scans(&store);
    let holders: HashMap<ScanId, String> = scans
        .iter()
        .map(|s| (s.id, store.scan_holder(s.id).unwrap().unwrap_or_default()))
        .collect();
    let targets: BTreeSet<String> = (1..=ACCOUNTS).map(|a| format!("acct{a}")).collect();
    let mut per_replica: BTreeMap<String, usize> = BTreeMap::new();
    let mut cycles = 0;
    // Per (replica, account label): the cycles it claimed, in order.
    let mut claimed_by: BTreeMap<(String, String), Vec<DateTime<Utc>>> = BTreeMap::new();
    // From the first cycle every replica was up for (they take a few seconds to load
    // the rules) to the last one not cut by the stop.
    let mut fire = cycle_of(started) + TimeDelta::seconds(2 * PERIOD_SECS);
    while fire + TimeDelta::seconds(PERIOD_SECS) < stopped {
        let cycle = Cycle {
            schedule: SCHEDULE.into(),
            fire_at: fire,
        };
        let claims = store.cycle_claims(&cycle).unwrap();
        let claimed: BTreeSet<String> = claims.iter().map(|(t, _)| t.clone()).collect();
        assert_eq!(claimed, targets, "cycle {fire}: every account claimed once");
        for (_, holder) in &claims {
            *per_replica.entry(holder.clone()).or_default() += 1;
        }
        for (target, holder) in claims {
            claimed_by.entry((holder, target)).or_default().push(fire);
        }
        cycles += 1;
        fire += TimeDelta::seconds(PERIOD_SECS);
    }
    assert!(cycles >= 4, "only {cycles} full cycles ran");
    // Each claim by a replica that lived is one scan by it: the scan of its account
    // that began after the cycle fired and before its own next claim of the account
    // (a replica takes the next cycle's request after the last one's targets).
    let label_of = |account: &str| match account.parse::<usize>() {
        Ok(n) => format!("acct{n}"),
        Err(_) => account.to_owned(),
    };
    let (first, last) = (
        cycle_of(started) + TimeDelta::seconds(2 * PERIOD_SECS),
        fire,
    );
    // The claims of the later cycles too, which end the windows of the checked ones.
    let mut windows = claimed_by.clone();
    let mut later = last;
    while later < stopped + TimeDelta::seconds(PERIOD_SECS) {
        let cycle = Cycle {
            schedule: SCHEDULE.into(),
            fire_at: later,
        };
        for (target, holder) in store.cycle_claims(&cycle).unwrap() {
            windows.entry((holder, target)).or_default().push(later);
        }
        later += TimeDelta::seconds(PERIOD_SECS);
    }
    for ((holder, target), fires) in &claimed_by {
        if pid_of(holder) == Some(replicas[victim].child.id()) {
            continue;
        }
        let all = &windows[&(holder.clone(), target.clone())];
        for (i, at) in fires.iter().enumerate() {
            let until = all
                .get(i + 1)
                .copied()
                .unwrap_or(later + TimeDelta::days(1));
            let n = scans
                .iter()
                .filter(|s| {
                    s.trigger == ScanTrigger::Schedule
                        && holders[&s.id] == *holder
                        && label_of(&s.account) == *target
                        && s.started_at >= *at
                        && s.started_at < until
                })
                .count();
            // Never twice; and once, unless the cycle was still queued behind slow
            // scans when the replicas were stopped.
            assert!(n <= 1, "{holder} scanned {target} {n} times in cycle {at}");
            if *at + TimeDelta::seconds(3 * PERIOD_SECS) < stopped {
                assert_eq!(n, 1, "{holder} claimed {target} in cycle {at}: {n} scans");
            }
        }
    }
    // And no scheduled scan outside a claim.
    let unclaimed = scans.iter().filter(|s| {
        s.trigger == ScanTrigger::Schedule
            && s.started_at >= first
            && s.started_at < last
            && !claimed_by
                .get(&(holders[&s.id].clone(), label_of(&s.account)))
                .is_some_and(|f| f.iter().any(|at| *at <= s.started_at))
    });
    assert_eq!(unclaimed.count(), 0, "scans without a claim");
    eprintln!("{cycles} cycles; claims per replica: {per_replica:?}");
    assert!(
        per_replica.len() >= 2,
        "the work was not shared: {per_replica:?}"
    );

    // 2. Takeover: the killed scan is interrupted (by a live replica), and its account
    //    scanned again, successfully, by another replica in a later cycle.
    let killed = store.get_scan(killed_scan).unwrap().unwrap();
    assert_eq!(killed.status, ScanStatus::Interrupted, "{killed:?}");
    let victim_holder = &holders[&killed_scan];
    let taken_over = scans
        .iter()
        .filter(|s| {
            label_of(&s.account) == label_of(&killed_account)
                && s.started_at > killed_at
                && matches!(s.status, ScanStatus::Succeeded | ScanStatus::Failed)
        })
        .min_by_key(|s| s.started_at)
        .unwrap_or_else(|| panic!("{killed_account} was never scanned again"));
    assert_ne!(&holders[&taken_over.id], victim_holder);
    eprintln!(
        "takeover: {killed_account} scanned again {:.1} s after the kill, by {}",
        (taken_over.finished_at.unwrap() - killed_at).as_seconds_f64(),
        holders[&taken_over.id]
    );

    // 3. Delivery: nothing left in the outbox, a summary for every finished scan, and
    //    a repeated id always with the same body.
    let stats = store.outbox_stats().unwrap();
    assert!(
        // Cancelled scans queue their summaries while the replicas stop: those wait
        // for the next start. Everything older was delivered.
        stats
            .get("webhook")
            .is_none_or(|s| s.depth == 0 || s.oldest_created_at.is_some_and(|t| t >= stopped)),
        "undelivered events remain: {stats:?}"
    );
    let inbox = inbox.lock().unwrap();
    let mut bodies: HashMap<&str, &Value> = HashMap::new();
    let mut duplicates = 0;
    for (id, body) in inbox.iter() {
        if let Some(first) = bodies.insert(id, body) {
            duplicates += 1;
            assert_eq!(
                first, body,
                "event {id} delivered twice with different bodies"
            );
        }
    }
    for scan in scans
        .iter()
        .filter(|s| matches!(s.status, ScanStatus::Succeeded | ScanStatus::Failed))
    {
        let id = format!("scan:{}:summary", scan.id);
        assert!(
            bodies.contains_key(id.as_str()),
            "no summary of scan {}",
            scan.id
        );
    }
    eprintln!(
        "events: {} delivered, {} distinct ids, {duplicates} duplicates (same id and body)",
        inbox.len(),
        bodies.len()
    );
    drop(store);
}
