//! The store's errors. Each names the operation, the table and the database file, so a
//! log line alone tells an operator what failed and where.

use std::path::PathBuf;

/// What went wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The file could not be opened or configured (permissions, a full disk, a file
    /// that is not a database).
    #[error("cannot open the Vigil store {path}: {step}: {source}")]
    Open {
        path: PathBuf,
        step: &'static str,
        #[source]
        source: rusqlite::Error,
    },

    /// A schema migration failed; the file keeps its previous version.
    #[error("cannot migrate the Vigil store {path} to schema version {version}: {source}")]
    Migrate {
        path: PathBuf,
        version: u32,
        #[source]
        source: rusqlite::Error,
    },

    /// The file was written by a newer Vigil. Opening it would risk misreading it.
    #[error(
        "the Vigil store {path} has schema version {found}, newer than this Vigil knows ({known}); \
         run a newer Vigil or point it at another file"
    )]
    TooNew {
        path: PathBuf,
        found: u32,
        known: u32,
    },

    /// A statement failed.
    #[error("{operation} on table {table} failed in {path}: {source}")]
    Sql {
        operation: &'static str,
        table: &'static str,
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },

    /// A transaction could not begin or commit (the disk is full, another process holds
    /// the write lock past the busy timeout).
    #[error("{operation} failed in {path}: cannot {step}: {source}")]
    Transaction {
        operation: &'static str,
        step: &'static str,
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },

    /// A stored JSON column did not parse, or a value could not be serialised.
    #[error("{operation} on table {table} failed in {path}: bad JSON: {source}")]
    Json {
        operation: &'static str,
        table: &'static str,
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },

    /// The scan id is not in the store (never created, or pruned).
    #[error("scan {id} is not in the Vigil store {path}")]
    ScanNotFound { id: i64, path: PathBuf },

    /// The scan has already ended.
    #[error("scan {id} is {status}, not running, in the Vigil store {path}")]
    ScanNotRunning {
        id: i64,
        status: String,
        path: PathBuf,
    },

    /// The caller passed something the store cannot record (an account that does not
    /// match the scan's, a duplicate uid, a malformed cursor).
    #[error("{operation}: {message}")]
    InvalidInput {
        operation: &'static str,
        message: String,
    },
}
