//! What only the PostgreSQL store has: versioned migrations in a `schema_version` table,
//! replicas starting together, TLS as to RDS, and a connection that breaks.

use vigil_store::{POSTGRES_SCHEMA_VERSION, PostgresStore, ScanTrigger, Store, StoreError};

use crate::common::*;

/// A fresh schema on the test server, or `None` (skipped) outside CI without one.
fn server(test: &str) -> Option<(String, String)> {
    let url = postgres_url(test)?;
    Some((url, unique_schema(test)))
}

fn drop_schema(url: &str, schema: &str) {
    admin(url)
        .unwrap()
        .batch_execute(&format!("DROP SCHEMA \"{schema}\" CASCADE"))
        .unwrap();
}

#[test]
fn a_new_schema_is_at_the_latest_version_with_sqlites_tables() {
    let Some((url, schema)) = server("a_new_schema_is_at_the_latest_version") else {
        return;
    };
    let store = PostgresStore::open_in_schema(&url, Some(&schema)).unwrap();
    assert_eq!(
        POSTGRES_SCHEMA_VERSION, 2,
        "two migrations so far; bump with each new one"
    );
    assert_eq!(store.schema_version().unwrap(), POSTGRES_SCHEMA_VERSION);
    drop(store);

    let mut admin = admin(&url).unwrap();
    let tables: Vec<String> = admin
        .query(
            "SELECT table_name::text FROM information_schema.tables
             WHERE table_schema = $1 ORDER BY table_name",
            &[&schema],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(
        tables,
        [
            "cycle_claims",
            "finding_epics",
            "findings",
            "inventory_state",
            "leases",
            "outbox",
            "resource_changes",
            "resources",
            "scan_gaps",
            "scans",
            "schema_version",
            "scores",
        ]
    );
    let applied: Vec<(i32, String)> = admin
        .query(
            &format!("SELECT version, name FROM \"{schema}\".schema_version ORDER BY version"),
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(
        applied,
        [
            (1, "0001_initial.sql".to_owned()),
            (2, "0002_fleet.sql".to_owned())
        ]
    );

    // Opening again applies nothing.
    let store = PostgresStore::open_in_schema(&url, Some(&schema)).unwrap();
    assert_eq!(store.schema_version().unwrap(), POSTGRES_SCHEMA_VERSION);
    drop(store);
    drop_schema(&url, &schema);
}

#[test]
fn a_database_from_a_newer_vigil_is_refused() {
    let Some((url, schema)) = server("a_database_from_a_newer_vigil_is_refused") else {
        return;
    };
    drop(PostgresStore::open_in_schema(&url, Some(&schema)).unwrap());
    admin(&url)
        .unwrap()
        .execute(
            &format!(
                "INSERT INTO \"{schema}\".schema_version (version, name) VALUES ($1, 'future')"
            ),
            &[&(POSTGRES_SCHEMA_VERSION as i32 + 1)],
        )
        .unwrap();
    let err = PostgresStore::open_in_schema(&url, Some(&schema)).unwrap_err();
    assert!(
        matches!(err, StoreError::TooNew { found, known, .. } if found == POSTGRES_SCHEMA_VERSION + 1 && known == POSTGRES_SCHEMA_VERSION),
        "{err}"
    );
    assert!(err.to_string().contains(&schema), "{err}");
    drop_schema(&url, &schema);
}

/// Replicas of a fleet start together against an empty database: one migrates, the
/// others wait for it and find the schema ready.
#[test]
fn replicas_opening_a_new_schema_at_once_migrate_it_once() {
    let Some((url, schema)) = server("replicas_opening_a_new_schema_at_once") else {
        return;
    };
    let stores: Vec<PostgresStore> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|_| s.spawn(|| PostgresStore::open_in_schema(&url, Some(&schema)).unwrap()))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for store in &stores {
        assert_eq!(store.schema_version().unwrap(), POSTGRES_SCHEMA_VERSION);
    }
    let a = stores[0]
        .begin_scan(ACCOUNT, ScanTrigger::Api, at(0))
        .unwrap();
    assert_eq!(stores[3].get_scan(a).unwrap().unwrap().account, ACCOUNT);
    drop(stores);
    drop_schema(&url, &schema);
}

/// As to RDS: TLS required and the server's certificate verified against the CA file of
/// `sslrootcert`; without that file the same server is refused, since verification is
/// never skipped.
#[test]
#[allow(clippy::print_stderr)]
fn tls_is_verified_against_the_ca_file() {
    let Some((url, schema)) = server("tls_is_verified_against_the_ca_file") else {
        return;
    };
    let Ok(ca) = std::env::var("VIGIL_TEST_POSTGRES_CA") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "tests/postgres/start.sh serves TLS in CI (VIGIL_TEST_POSTGRES_CA)"
        );
        eprintln!("SKIPPED: the test server has no TLS (VIGIL_TEST_POSTGRES_CA is not set)");
        return;
    };
    let mut base = url::Url::parse(&url).unwrap();
    base.set_query(None);
    let app = format!("vigil-tls-{}", std::process::id());
    let with = |query: &str| format!("{base}?application_name={app}&{query}");

    let store = PostgresStore::open_in_schema(
        &with(&format!("sslmode=verify-full&sslrootcert={ca}")),
        Some(&schema),
    )
    .unwrap();
    store.begin_scan(ACCOUNT, ScanTrigger::Api, at(0)).unwrap();
    let ssl: Vec<bool> = admin(&url)
        .unwrap()
        .query(
            "SELECT s.ssl FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid)
             WHERE a.application_name = $1",
            &[&app],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(ssl, [true], "the store's session is encrypted");
    drop(store);

    let err = PostgresStore::open_in_schema(&with("sslmode=require"), Some(&schema)).unwrap_err();
    assert!(matches!(err, StoreError::Connect { .. }), "{err}");
    assert!(err.to_string().contains("UnknownIssuer"), "{err}");
    drop_schema(&url, &schema);
}

/// A fail-over or a restart of the server breaks the connection: the call that meets
/// the break fails, and the store connects again for the next one.
#[test]
fn a_broken_connection_is_replaced() {
    let Some((url, schema)) = server("a_broken_connection_is_replaced") else {
        return;
    };
    let app = format!("vigil-reconnect-{}", std::process::id());
    let separator = if url.contains('?') { '&' } else { '?' };
    let store = PostgresStore::open_in_schema(
        &format!("{url}{separator}application_name={app}"),
        Some(&schema),
    )
    .unwrap();
    let first = store.begin_scan(ACCOUNT, ScanTrigger::Api, at(0)).unwrap();
    let killed: Vec<bool> = admin(&url)
        .unwrap()
        .query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
            &[&app],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(killed, [true]);
    // The break may only be noticed by the first call after it.
    let row = match store.get_scan(first) {
        Ok(row) => row,
        Err(err) => {
            assert!(
                matches!(
                    err,
                    StoreError::PostgresTransaction { .. } | StoreError::Postgres { .. }
                ),
                "{err}"
            );
            store.get_scan(first).unwrap()
        }
    };
    assert_eq!(row.unwrap().account, ACCOUNT);
    let second = store.begin_scan(ACCOUNT, ScanTrigger::Api, at(1)).unwrap();
    assert!(second > first);
    drop(store);
    drop_schema(&url, &schema);
}
