//! The daemon API's query strings (`/api/v1/scans`, `/findings`, `/scores`), read the
//! way axum's `Query` reads them (`serde_urlencoded`) and answered by a real SQLite
//! store. A malformed query is the caller's error (400); the store may refuse it only
//! as invalid input — any other error would be a 500, and any panic a crash.
#![no_main]
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use vigil_store::{SqliteStore, Store, StoreError};

#[allow(dead_code)]
#[path = "../../crates/vigil/src/daemon/query.rs"]
mod query;

fn store() -> &'static SqliteStore {
    static STORE: OnceLock<(tempfile::TempDir, SqliteStore)> = OnceLock::new();
    &STORE
        .get_or_init(|| {
            let dir = tempfile::tempdir().unwrap();
            let store = SqliteStore::open(dir.path().join("vigil.db")).unwrap();
            store
                .begin_scan(
                    "123456789012",
                    vigil_store::ScanTrigger::Api,
                    chrono::Utc::now(),
                )
                .unwrap();
            (dir, store)
        })
        .1
}

fn answered<T>(result: vigil_store::Result<T>) {
    match result {
        Ok(_) | Err(StoreError::InvalidInput { .. }) => {}
        Err(other) => panic!("a query string made the store fail: {other}"),
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let store = store();
    match which % 3 {
        0 => {
            if let Ok(q) = serde_urlencoded::from_str::<query::ScansQuery>(text)
                && let Ok((filter, page)) = q.request()
            {
                answered(store.list_scans(&filter, &page));
            }
        }
        1 => {
            if let Ok(q) = serde_urlencoded::from_str::<query::FindingsQuery>(text)
                && let Ok((filter, page)) = q.request()
            {
                answered(store.list_findings(&filter, &page));
            }
        }
        _ => {
            if let Ok(q) = serde_urlencoded::from_str::<query::ScoresQuery>(text) {
                answered(store.latest_scores(q.account.as_deref()));
                if let Some(account) = q.account {
                    answered(store.score_history(
                        &account,
                        q.epic.as_deref(),
                        q.limit.unwrap_or(100),
                    ));
                }
            }
        }
    }
});
