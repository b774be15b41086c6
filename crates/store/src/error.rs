//! The store's errors. Each names the operation, the table and the database (the SQLite
//! file, or the PostgreSQL server, database and schema, never with the password), so a
//! log line alone tells an operator what failed and where.
//!
//! Errors that both stores can meet (an unknown scan, a newer schema, bad JSON) carry the
//! database as `path`; for PostgreSQL that is the description of the connection.

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

    /// The PostgreSQL connection settings are unusable: a malformed URL, an unreadable
    /// CA file, a schema name PostgreSQL cannot take.
    #[error("cannot connect to the Vigil store {target}: {message}")]
    Config { target: String, message: String },

    /// The PostgreSQL server could not be reached, refused the login or the TLS
    /// handshake, or the connection broke.
    #[error("cannot connect to the Vigil store {target}: {step}: {source}")]
    Connect {
        target: String,
        step: &'static str,
        #[source]
        source: PostgresError,
    },

    /// A PostgreSQL schema migration failed; the database keeps its previous version.
    #[error("cannot migrate the Vigil store {target} to schema version {version}: {source}")]
    PostgresMigrate {
        target: String,
        version: u32,
        #[source]
        source: PostgresError,
    },

    /// A PostgreSQL statement failed.
    #[error("{operation} on table {table} failed in {target}: {source}")]
    Postgres {
        operation: &'static str,
        table: &'static str,
        target: String,
        #[source]
        source: PostgresError,
    },

    /// A PostgreSQL transaction could not begin or commit (the connection broke, a
    /// serialization failure).
    #[error("{operation} failed in {target}: cannot {step}: {source}")]
    PostgresTransaction {
        operation: &'static str,
        step: &'static str,
        target: String,
        #[source]
        source: PostgresError,
    },
}

impl StoreError {
    /// The table a failed statement was on, whichever the store: lets a caller tell an
    /// outbox failure from a findings one without matching each store's variant.
    pub fn table(&self) -> Option<&'static str> {
        match self {
            StoreError::Sql { table, .. }
            | StoreError::Json { table, .. }
            | StoreError::Postgres { table, .. } => Some(table),
            _ => None,
        }
    }
}

/// A PostgreSQL error as an operator needs to read it: the driver's own message says
/// only "db error", so the server's message, detail and SQLSTATE are spelled out.
#[derive(Debug)]
pub struct PostgresError(pub postgres::Error);

impl From<postgres::Error> for PostgresError {
    fn from(e: postgres::Error) -> Self {
        PostgresError(e)
    }
}

impl std::fmt::Display for PostgresError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(db) = self.0.as_db_error() {
            write!(
                f,
                "{}: {} (SQLSTATE {})",
                db.severity(),
                db.message(),
                db.code().code()
            )?;
            if let Some(detail) = db.detail() {
                write!(f, "; {detail}")?;
            }
            if let Some(hint) = db.hint() {
                write!(f, "; hint: {hint}")?;
            }
            return Ok(());
        }
        write!(f, "{}", self.0)?;
        if let Some(cause) = std::error::Error::source(&self.0) {
            write!(f, ": {cause}")?;
        }
        Ok(())
    }
}

impl std::error::Error for PostgresError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}
