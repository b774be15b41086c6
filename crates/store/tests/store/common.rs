//! Builders shared by the tests, and the two stores every conformance test runs on.
//!
//! `conformance!(a, b, …)` turns each `fn a(store: &dyn Store)` of a module into two
//! tests, `sqlite::a` on a real SQLite file in a temporary directory and `postgres::a`
//! in a schema of its own on the PostgreSQL server named by `VIGIL_TEST_POSTGRES_URL`
//! (tests/postgres/start.sh starts one), so tests run in parallel. Without that
//! variable the PostgreSQL tests fail under CI (`CI` set) and are skipped, with a
//! message, elsewhere.

use std::collections::HashSet;
use std::ops::Deref;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use serde_json::json;
use tempfile::TempDir;
use vigil_store::{
    FindingRecord, NewEvent, PostgresStore, ResultStatus, ScanId, ScanTrigger, SqliteStore, Store,
    Transition,
};

pub const ACCOUNT: &str = "111111111111";
pub const OTHER_ACCOUNT: &str = "222222222222";
pub const SINK: &str = "siem";

/// The PostgreSQL server of the conformance suite.
pub const POSTGRES_URL_ENV: &str = "VIGIL_TEST_POSTGRES_URL";

/// Declares each listed function as a test on both stores: those before the `;` take
/// the store (`fn name(store: &dyn Store)`), those after it the [`TestStore`], for what
/// needs more than the trait (sharing it, opening it again).
macro_rules! conformance {
    ($($name:ident),* $(,)? $(; $($handle:ident),+ $(,)?)?) => {
        mod sqlite {
            $(
                #[test]
                fn $name() {
                    let store = crate::common::TestStore::sqlite();
                    super::$name(&*store);
                }
            )*
            $($(
                #[test]
                fn $handle() {
                    super::$handle(&crate::common::TestStore::sqlite());
                }
            )+)?
        }
        mod postgres {
            $(
                #[test]
                fn $name() {
                    let test = concat!(module_path!(), "::", stringify!($name));
                    if let Some(store) = crate::common::TestStore::postgres(test) {
                        super::$name(&*store);
                    }
                }
            )*
            $($(
                #[test]
                fn $handle() {
                    let test = concat!(module_path!(), "::", stringify!($handle));
                    if let Some(store) = crate::common::TestStore::postgres(test) {
                        super::$handle(&store);
                    }
                }
            )+)?
        }
    };
}

/// Where a test store lives, so a test can open it again (a restart) or hand it to a
/// child process (`kill -9`).
#[derive(Debug, Clone)]
pub enum Location {
    Sqlite(std::path::PathBuf),
    Postgres { url: String, schema: String },
}

impl Location {
    pub fn open(&self) -> Box<dyn Store> {
        match self {
            Location::Sqlite(path) => Box::new(SqliteStore::open(path).unwrap()),
            Location::Postgres { url, schema } => {
                Box::new(PostgresStore::open_in_schema(url, Some(schema)).unwrap())
            }
        }
    }

    /// One line, for an environment variable.
    pub fn encode(&self) -> String {
        match self {
            Location::Sqlite(path) => format!("sqlite {}", path.display()),
            Location::Postgres { url, schema } => format!("postgres {schema} {url}"),
        }
    }

    pub fn decode(line: &str) -> Location {
        let (kind, rest) = line.split_once(' ').unwrap();
        match kind {
            "sqlite" => Location::Sqlite(rest.into()),
            _ => {
                let (schema, url) = rest.split_once(' ').unwrap();
                Location::Postgres {
                    url: url.to_owned(),
                    schema: schema.to_owned(),
                }
            }
        }
    }
}

/// A new, empty store of one kind, and what keeps it alive: the temporary directory of
/// the SQLite file, or the PostgreSQL schema, dropped with it.
pub struct TestStore {
    store: Arc<dyn Store>,
    location: Location,
    _dir: Option<TempDir>,
}

impl TestStore {
    pub fn sqlite() -> TestStore {
        let dir = tempfile::tempdir().unwrap();
        let location = Location::Sqlite(dir.path().join("vigil.db"));
        TestStore {
            store: Arc::from(location.open()),
            location,
            _dir: Some(dir),
        }
    }

    /// A store in a schema of its own, or `None` (skipped) without a server outside CI.
    pub fn postgres(test: &str) -> Option<TestStore> {
        let url = postgres_url(test)?;
        let schema = unique_schema(test);
        let location = Location::Postgres { url, schema };
        Some(TestStore {
            store: Arc::from(location.open()),
            location,
            _dir: None,
        })
    }

    /// The store as the daemon shares it.
    pub fn shared(&self) -> Arc<dyn Store> {
        Arc::clone(&self.store)
    }

    pub fn location(&self) -> &Location {
        &self.location
    }

    /// The SQLite file, for the checks only a file has.
    pub fn sqlite_path(&self) -> Option<&std::path::Path> {
        match &self.location {
            Location::Sqlite(path) => Some(path),
            Location::Postgres { .. } => None,
        }
    }
}

impl Deref for TestStore {
    type Target = dyn Store;
    fn deref(&self) -> &(dyn Store + 'static) {
        &*self.store
    }
}

impl Drop for TestStore {
    /// Drops the test's schema; a failed test keeps it for a look (the cluster is
    /// thrown away anyway).
    fn drop(&mut self) {
        if std::thread::panicking() {
            return;
        }
        if let Location::Postgres { url, schema } = &self.location
            && let Ok(mut admin) = admin(url)
        {
            let _ = admin.batch_execute(&format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"));
        }
    }
}

/// A plain connection to the test server (on loopback) for what the store does not
/// offer: dropping schemas, looking at sessions.
pub fn admin(url: &str) -> Result<postgres::Client, postgres::Error> {
    let mut plain = url::Url::parse(url).unwrap();
    let kept: Vec<(String, String)> = plain
        .query_pairs()
        .filter(|(k, _)| k != "sslmode" && k != "sslrootcert")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    plain.set_query(None);
    if !kept.is_empty() {
        plain.query_pairs_mut().extend_pairs(kept);
    }
    postgres::Client::connect(plain.as_str(), postgres::NoTls)
}

/// The server's URL; without one, a loud failure under CI and a skip elsewhere.
/// The skip is said on stderr, where a person running the tests sees it.
#[allow(clippy::print_stderr)]
pub fn postgres_url(test: &str) -> Option<String> {
    match std::env::var(POSTGRES_URL_ENV) {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var_os("CI").is_some() => panic!(
            "{POSTGRES_URL_ENV} is not set, so {test} cannot run against PostgreSQL; \
             CI must start a server: bash tests/postgres/start.sh, then source \
             tests/postgres/state/env.sh (tests/run does both)"
        ),
        _ => {
            eprintln!(
                "SKIPPED {test} on PostgreSQL: {POSTGRES_URL_ENV} is not set \
                 (bash tests/postgres/start.sh; set -a; . tests/postgres/state/env.sh)"
            );
            None
        }
    }
}

/// A schema name no other test of any process uses: the test's name, the process and a
/// counter, within PostgreSQL's 63 bytes.
pub fn unique_schema(test: &str) -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let name: String = test
        .rsplit("::")
        .next()
        .unwrap_or(test)
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .take(36)
        .collect();
    format!(
        "t_{name}_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// A fixed instant plus `minutes`, so dates in assertions are exact.
pub fn at(minutes: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap() + TimeDelta::minutes(minutes)
}

pub fn scan(store: &dyn Store, account: &str, minutes: i64) -> ScanId {
    store
        .begin_scan(account, ScanTrigger::Schedule, at(minutes))
        .unwrap()
}

/// A finding of `rule` on `resource` in `account`.
pub fn finding(account: &str, rule: &str, resource: &str, status: ResultStatus) -> FindingRecord {
    FindingRecord {
        uid: format!("vigil:{rule}:{resource}"),
        rule_id: rule.to_owned(),
        resource_id: resource.to_owned(),
        resource_type: "aws.s3.bucket".to_owned(),
        account: account.to_owned(),
        region: "global".to_owned(),
        status,
        status_detail: None,
        severity: "high".to_owned(),
        title: format!("{rule} on {resource}"),
        caf_component: "Preventive".to_owned(),
        waf_area: "Data".to_owned(),
        epics: vec!["data_protection".to_owned()],
        body: json!({ "finding_info": { "uid": format!("vigil:{rule}:{resource}") }, "status": status.as_str() }),
    }
}

pub fn present(ids: &[&str]) -> HashSet<String> {
    ids.iter().map(|s| (*s).to_owned()).collect()
}

/// The callback a daemon would pass: one event per transition for `SINK`.
pub fn one_event(t: &Transition) -> Vec<NewEvent> {
    vec![NewEvent {
        sink: SINK.to_owned(),
        event_id: t.event_id(),
        kind: format!("finding.{}", t.to.as_str().to_ascii_lowercase()),
        payload: json!({ "uid": t.uid, "from": t.from, "to": t.to }),
    }]
}

/// Far enough ahead that every event is due.
pub fn later() -> DateTime<Utc> {
    Utc::now() + TimeDelta::days(1)
}
