//! The schema version ladder.

use vigil_store::{SCHEMA_VERSION, SqliteStore, StoreError};

#[test]
fn a_new_file_is_at_the_latest_version() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vigil.db");
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(
        SCHEMA_VERSION, 2,
        "two migrations so far; bump with each new one"
    );
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    drop(store);

    let raw = rusqlite::Connection::open(&path).unwrap();
    let version: u32 = raw
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, SCHEMA_VERSION);
    let mut tables: Vec<String> = raw
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    tables.sort();
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
            "scores",
        ]
    );
    drop(raw);

    // Opening again applies nothing and keeps the version.
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
}

#[test]
fn a_file_from_a_newer_vigil_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vigil.db");
    drop(SqliteStore::open(&path).unwrap());
    rusqlite::Connection::open(&path)
        .unwrap()
        .pragma_update(None, "user_version", SCHEMA_VERSION + 1)
        .unwrap();
    let err = SqliteStore::open(&path).unwrap_err();
    assert!(
        matches!(err, StoreError::TooNew { found, known, .. } if found == SCHEMA_VERSION + 1 && known == SCHEMA_VERSION),
        "{err}"
    );
    assert!(err.to_string().contains("vigil.db"), "{err}");
}

#[test]
fn an_unopenable_path_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("missing-dir").join("vigil.db");
    let err = SqliteStore::open(&path).unwrap_err();
    assert!(matches!(err, StoreError::Open { .. }), "{err}");
    assert!(err.to_string().contains("missing-dir"), "{err}");
}
