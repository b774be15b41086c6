//! A connection (or an open transaction) together with the file it belongs to, so that
//! every query helper can turn a SQLite error into a [`StoreError`] naming the file.

use std::path::Path;

use rusqlite::Connection;

use crate::error::StoreError;

/// What every module's query functions take. Writers receive it inside a transaction
/// ([`rusqlite::Transaction`] derefs to [`Connection`]), so they never commit themselves.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Db<'c> {
    pub conn: &'c Connection,
    pub path: &'c Path,
}

impl<'c> Db<'c> {
    /// Maps a SQLite error to one naming the operation, the table and this file.
    pub fn sql(
        &self,
        operation: &'static str,
        table: &'static str,
    ) -> impl FnOnce(rusqlite::Error) -> StoreError + 'c {
        let path = self.path;
        move |source| StoreError::Sql {
            operation,
            table,
            path: path.to_owned(),
            source,
        }
    }

    /// Maps a JSON error the same way.
    pub fn json(
        &self,
        operation: &'static str,
        table: &'static str,
    ) -> impl FnOnce(serde_json::Error) -> StoreError + 'c {
        let path = self.path;
        move |source| StoreError::Json {
            operation,
            table,
            path: path.to_owned(),
            source,
        }
    }

    /// Checks that `scan_id` exists and belongs to `account`, and returns when it
    /// started: the time that findings, scores and changes of that scan are dated with.
    pub fn scan_start(
        &self,
        operation: &'static str,
        scan_id: crate::ScanId,
        account: &str,
    ) -> Result<chrono::DateTime<chrono::Utc>, StoreError> {
        use rusqlite::OptionalExtension;
        let row: Option<(String, crate::time::SqlTime)> = self
            .conn
            .prepare_cached("SELECT account, started_at FROM scans WHERE id = ?1")
            .and_then(|mut stmt| {
                stmt.query_row([scan_id.0], |r| Ok((r.get(0)?, r.get(1)?)))
                    .optional()
            })
            .map_err(self.sql(operation, "scans"))?;
        match row {
            None => Err(StoreError::ScanNotFound {
                id: scan_id.0,
                path: self.path.to_owned(),
            }),
            Some((scan_account, _)) if scan_account != account => Err(StoreError::InvalidInput {
                operation,
                message: format!("scan {scan_id} is of account {scan_account}, not {account}"),
            }),
            Some((_, started_at)) => Ok(started_at.0),
        }
    }
}
