//! Moving a store from SQLite to PostgreSQL (`vigil store migrate`), row for row, with
//! the proof that nothing was lost: per table, the rows and a SHA-256 over every value
//! of every row in key order, computed on the SQLite file and again on what PostgreSQL
//! holds after the copy. The copy is one PostgreSQL transaction that commits only when
//! every table matches, so a failed or unequal copy leaves the target as it was.
//!
//! Row ids are copied as they are (events in flight and API cursors keep their
//! meaning), and each PostgreSQL sequence is moved past the highest id SQLite ever gave
//! (`sqlite_sequence`, which remembers ids of pruned scans), so no id is ever reused.
//!
//! The checksum hashes each value with its kind: integers in decimal, text and JSON as
//! their bytes, blobs as bytes, NULL as its own mark. Instants are hashed as SQLite's
//! text holds them and as PostgreSQL's TIMESTAMPTZ gives them back, formatted the same
//! way, so a lost millisecond or time zone would show as a mismatch.

use chrono::{DateTime, Utc};
use postgres::binary_copy::BinaryCopyInWriter;
use postgres::types::{ToSql, Type};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::StoreError;
use crate::{PostgresStore, SqliteStore, time};

/// What a column holds, which decides how it is read, written and hashed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Int,
    Text,
    Time,
    Blob,
}

/// One table of the schema, as both stores have it.
#[derive(Debug)]
struct Table {
    name: &'static str,
    columns: &'static [(&'static str, Kind)],
    /// The primary key: the order rows are hashed in.
    key: &'static [&'static str],
}

use Kind::{Blob, Int, Text, Time};

/// Every table, parents before children (foreign keys). A test checks this list against
/// both schemas, so a migration that adds a column cannot be forgotten here.
const TABLES: &[Table] = &[
    Table {
        name: "scans",
        columns: &[
            ("id", Int),
            ("account", Text),
            ("trigger", Text),
            ("status", Text),
            ("started_at", Time),
            ("finished_at", Time),
            ("pass_count", Int),
            ("fail_count", Int),
            ("error_count", Int),
            ("muted_count", Int),
            ("api_calls", Int),
            ("error", Text),
            ("holder", Text),
        ],
        key: &["id"],
    },
    Table {
        name: "scan_gaps",
        columns: &[
            ("scan_id", Int),
            ("position", Int),
            ("service", Text),
            ("operation", Text),
            ("scope", Text),
            ("code", Text),
            ("message", Text),
        ],
        key: &["scan_id", "position"],
    },
    Table {
        name: "findings",
        columns: &[
            ("id", Int),
            ("account", Text),
            ("uid", Text),
            ("rule_id", Text),
            ("resource_id", Text),
            ("resource_type", Text),
            ("region", Text),
            ("severity", Text),
            ("title", Text),
            ("caf_component", Text),
            ("waf_area", Text),
            ("epics", Text),
            ("result", Text),
            ("state", Text),
            ("first_seen", Time),
            ("last_seen", Time),
            ("first_failed_at", Time),
            ("resolved_at", Time),
            ("reopened_count", Int),
            ("last_scan_id", Int),
            ("last_error", Text),
            ("body", Text),
        ],
        key: &["id"],
    },
    Table {
        name: "finding_epics",
        columns: &[("finding_id", Int), ("epic", Text)],
        key: &["finding_id", "epic"],
    },
    Table {
        name: "scores",
        columns: &[
            ("scan_id", Int),
            ("account", Text),
            ("scanned_at", Time),
            ("scorecard", Text),
            ("summary", Text),
        ],
        key: &["scan_id"],
    },
    Table {
        name: "resources",
        columns: &[
            ("id", Int),
            ("account", Text),
            ("resource_id", Text),
            ("resource_type", Text),
            ("region", Text),
            ("doc", Text),
            ("hash", Blob),
            ("first_scan_id", Int),
            ("changed_scan_id", Int),
        ],
        key: &["id"],
    },
    Table {
        name: "inventory_state",
        columns: &[("account", Text), ("scan_id", Int), ("recorded_at", Time)],
        key: &["account"],
    },
    Table {
        name: "resource_changes",
        columns: &[
            ("id", Int),
            ("scan_id", Int),
            ("account", Text),
            ("resource_id", Text),
            ("resource_type", Text),
            ("region", Text),
            ("kind", Text),
            ("detected_at", Time),
            ("fields", Text),
            ("snapshot", Text),
        ],
        key: &["id"],
    },
    Table {
        name: "outbox",
        columns: &[
            ("seq", Int),
            ("sink", Text),
            ("event_id", Text),
            ("kind", Text),
            ("payload", Text),
            ("created_at", Time),
            ("next_attempt_at", Time),
            ("attempts", Int),
            ("last_error", Text),
            ("delivered_at", Time),
        ],
        key: &["seq"],
    },
    Table {
        name: "leases",
        columns: &[("name", Text), ("holder", Text), ("expires_at", Time)],
        key: &["name"],
    },
    Table {
        name: "cycle_claims",
        columns: &[
            ("schedule", Text),
            ("fire_at", Time),
            ("target", Text),
            ("holder", Text),
            ("claimed_at", Time),
        ],
        key: &["schedule", "fire_at", "target"],
    },
];

/// The tables with an id that only grows: (table, column).
const SEQUENCES: &[(&str, &str)] = &[
    ("scans", "id"),
    ("findings", "id"),
    ("resources", "id"),
    ("resource_changes", "id"),
    ("outbox", "seq"),
];

/// One table's copy: what SQLite had and what PostgreSQL holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TableCopy {
    pub table: &'static str,
    pub source_rows: u64,
    pub target_rows: u64,
    /// SHA-256, hex.
    pub source_checksum: String,
    pub target_checksum: String,
}

impl TableCopy {
    /// Same rows, same values.
    pub fn matches(&self) -> bool {
        self.source_rows == self.target_rows && self.source_checksum == self.target_checksum
    }
}

/// The whole copy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CopyReport {
    pub tables: Vec<TableCopy>,
    /// Whether the copy was committed: only when every table matches.
    pub committed: bool,
}

impl CopyReport {
    pub fn matches(&self) -> bool {
        self.tables.iter().all(TableCopy::matches)
    }
}

/// Copies every row of `from` into `to`, which must hold no row yet, and commits only
/// if every table's rows and checksum match (see [`CopyReport::committed`]). The source
/// is read in one snapshot, so a daemon still writing to it does no harm; the target
/// should not be in use until the copy is done.
pub fn sqlite_to_postgres(
    from: &SqliteStore,
    to: &PostgresStore,
) -> Result<CopyReport, StoreError> {
    const OP: &str = "copy";
    let mut sqlite = from.lock();
    let source = sqlite
        .transaction_with_behavior(rusqlite::TransactionBehavior::Deferred)
        .map_err(sqlite_error(from, "scans"))?;
    let mut guard = to.client(OP)?;
    let client = guard.as_mut().expect("client() leaves a connection");
    let target = to.target();
    let pg_error = |table: &'static str| {
        move |source: postgres::Error| StoreError::Postgres {
            operation: OP,
            table,
            target: target.to_owned(),
            source: source.into(),
        }
    };
    let mut tx = client.transaction().map_err(pg_error("scans"))?;

    for table in TABLES {
        let rows: bool = tx
            .query_one(
                &format!("SELECT EXISTS (SELECT 1 FROM {})", table.name),
                &[],
            )
            .and_then(|r| r.try_get(0))
            .map_err(pg_error(table.name))?;
        if rows {
            return Err(StoreError::InvalidInput {
                operation: OP,
                message: format!(
                    "the target {target} already holds data (table {}); copy into an empty \
                     database or schema",
                    table.name
                ),
            });
        }
    }

    let mut tables = Vec::with_capacity(TABLES.len());
    for table in TABLES {
        let (source_rows, source_checksum) = copy_table(&source, &mut tx, from, target, table)?;
        let (target_rows, target_checksum) =
            hash_postgres(&mut tx, table).map_err(pg_error(table.name))?;
        tracing::info!(table = table.name, rows = source_rows, "copied a table");
        tables.push(TableCopy {
            table: table.name,
            source_rows,
            target_rows,
            source_checksum,
            target_checksum,
        });
    }

    for (table, column) in SEQUENCES {
        let used: Option<i64> = source
            .query_row(
                "SELECT seq FROM sqlite_sequence WHERE name = ?1",
                [table],
                |r| r.get(0),
            )
            .or_else(|e| match e {
                // No AUTOINCREMENT table has had a row yet, or none ever of this table.
                rusqlite::Error::QueryReturnedNoRows => Ok(None),
                rusqlite::Error::SqliteFailure(_, Some(ref m)) if m.contains("no such table") => {
                    Ok(None)
                }
                e => Err(e),
            })
            .map_err(sqlite_error(from, table))?;
        let max: Option<i64> = tx
            .query_one(&format!("SELECT MAX({column}) FROM {table}"), &[])
            .and_then(|r| r.try_get(0))
            .map_err(pg_error(table))?;
        if let Some(last) = used.max(max).filter(|n| *n > 0) {
            tx.execute(
                "SELECT setval(pg_get_serial_sequence($1, $2), $3)",
                &[table, column, &last],
            )
            .map_err(pg_error(table))?;
        }
    }

    let report = CopyReport {
        committed: tables.iter().all(TableCopy::matches),
        tables,
    };
    if report.committed {
        tx.commit().map_err(pg_error("scans"))?;
    } else {
        tracing::error!(target, "the copy does not match its source; rolled back");
    }
    Ok(report)
}

fn sqlite_error(
    store: &SqliteStore,
    table: &'static str,
) -> impl FnOnce(rusqlite::Error) -> StoreError + use<> {
    let path = store.path().to_owned();
    move |source| StoreError::Sql {
        operation: "copy",
        table,
        path,
        source,
    }
}

/// Streams one table from SQLite into PostgreSQL (binary COPY), hashing as it goes.
fn copy_table(
    source: &rusqlite::Connection,
    tx: &mut postgres::Transaction<'_>,
    from: &SqliteStore,
    target: &str,
    table: &Table,
) -> Result<(u64, String), StoreError> {
    let names: Vec<&str> = table.columns.iter().map(|(name, _)| *name).collect();
    let columns = names.join(", ");
    let pg_error = |source: postgres::Error| StoreError::Postgres {
        operation: "copy",
        table: table.name,
        target: target.to_owned(),
        source: source.into(),
    };
    let types: Vec<Type> = table
        .columns
        .iter()
        .map(|(_, kind)| match kind {
            Int => Type::INT8,
            Text => Type::TEXT,
            Time => Type::TIMESTAMPTZ,
            Blob => Type::BYTEA,
        })
        .collect();
    let sink = tx
        .copy_in(&format!(
            "COPY {} ({columns}) FROM STDIN (FORMAT binary)",
            table.name
        ))
        .map_err(pg_error)?;
    let mut writer = BinaryCopyInWriter::new(sink, &types);

    let mut stmt = source
        .prepare(&format!(
            "SELECT {columns} FROM {} ORDER BY {}",
            table.name,
            table.key.join(", ")
        ))
        .map_err(sqlite_error(from, table.name))?;
    let mut rows = stmt.query([]).map_err(sqlite_error(from, table.name))?;
    let mut hasher = Sha256::new();
    let mut count = 0u64;
    while let Some(row) = rows.next().map_err(sqlite_error(from, table.name))? {
        let mut values: Vec<Box<dyn ToSql + Sync>> = Vec::with_capacity(names.len());
        for (i, (name, kind)) in table.columns.iter().enumerate() {
            use rusqlite::types::ValueRef;
            let value = row.get_ref(i).map_err(sqlite_error(from, table.name))?;
            let bad = |what: &str| StoreError::InvalidInput {
                operation: "copy",
                message: format!(
                    "{}: {} of row {} holds {what}, which the schema does not allow",
                    from.path().display(),
                    format_args!("{}.{name}", table.name),
                    count + 1
                ),
            };
            let cell = match value {
                ValueRef::Null => Cell::Null,
                ValueRef::Integer(n) if *kind == Int => Cell::Int(n),
                ValueRef::Text(t) if *kind == Text || *kind == Time => {
                    Cell::Text(std::str::from_utf8(t).map_err(|_| bad("text that is not UTF-8"))?)
                }
                ValueRef::Blob(b) if *kind == Blob => Cell::Blob(b),
                other => return Err(bad(&format!("a {:?} value", other.data_type()))),
            };
            cell.hash(&mut hasher);
            values.push(match (cell, kind) {
                (Cell::Null, Int) => Box::new(None::<i64>),
                (Cell::Null, Text) => Box::new(None::<String>),
                (Cell::Null, Time) => Box::new(None::<DateTime<Utc>>),
                (Cell::Null, Blob) => Box::new(None::<Vec<u8>>),
                (Cell::Int(n), _) => Box::new(n),
                (Cell::Text(t), Time) => Box::new(
                    DateTime::parse_from_rfc3339(t)
                        .map_err(|_| bad(&format!("{t:?}, not an instant")))?
                        .with_timezone(&Utc),
                ),
                (Cell::Text(t), _) => Box::new(t.to_owned()),
                (Cell::Owned(t), _) => Box::new(t),
                (Cell::Blob(b), _) => Box::new(b.to_vec()),
            });
        }
        let refs: Vec<&(dyn ToSql + Sync)> = values.iter().map(|v| v.as_ref()).collect();
        writer.write(&refs).map_err(pg_error)?;
        count += 1;
    }
    writer.finish().map_err(pg_error)?;
    Ok((count, hex(&hasher.finalize())))
}

/// Reads a table back from PostgreSQL in the same order (text keys in byte order, as
/// SQLite sorts them) and hashes it the same way.
fn hash_postgres(
    tx: &mut postgres::Transaction<'_>,
    table: &Table,
) -> Result<(u64, String), postgres::Error> {
    let columns: Vec<&str> = table.columns.iter().map(|(name, _)| *name).collect();
    let order: Vec<String> = table
        .key
        .iter()
        .map(|key| {
            let kind = table
                .columns
                .iter()
                .find(|(n, _)| n == key)
                .map(|(_, k)| *k);
            if kind == Some(Text) {
                format!("{key} COLLATE \"C\"")
            } else {
                (*key).to_owned()
            }
        })
        .collect();
    let sql = format!(
        "SELECT {} FROM {} ORDER BY {}",
        columns.join(", "),
        table.name,
        order.join(", ")
    );
    let mut hasher = Sha256::new();
    let mut count = 0u64;
    let mut rows = tx.query_raw(&sql, std::iter::empty::<&(dyn ToSql + Sync)>())?;
    use postgres::fallible_iterator::FallibleIterator;
    while let Some(row) = rows.next()? {
        for (i, (_, kind)) in table.columns.iter().enumerate() {
            match kind {
                Int => row.try_get::<_, Option<i64>>(i)?.map(Cell::Int),
                Text => row.try_get::<_, Option<&str>>(i)?.map(Cell::Text),
                Time => row
                    .try_get::<_, Option<DateTime<Utc>>>(i)?
                    .map(|t| Cell::Owned(time::format(t))),
                Blob => row.try_get::<_, Option<&[u8]>>(i)?.map(Cell::Blob),
            }
            .unwrap_or(Cell::Null)
            .hash(&mut hasher);
        }
        count += 1;
    }
    Ok((count, hex(&hasher.finalize())))
}

/// One value as the checksum sees it.
enum Cell<'a> {
    Null,
    Int(i64),
    Text(&'a str),
    Owned(String),
    Blob(&'a [u8]),
}

impl Cell<'_> {
    /// A kind mark, then the length, then the bytes: no two different rows can feed the
    /// hasher the same bytes.
    fn hash(&self, hasher: &mut Sha256) {
        let (mark, bytes): (u8, &[u8]) = match self {
            Cell::Null => (b'n', b""),
            Cell::Int(n) => {
                hasher.update([b'i']);
                hasher.update(n.to_be_bytes());
                return;
            }
            Cell::Text(t) => (b't', t.as_bytes()),
            Cell::Owned(t) => (b't', t.as_bytes()),
            Cell::Blob(b) => (b'b', b),
        };
        hasher.update([mark]);
        hasher.update((bytes.len() as u64).to_be_bytes());
        hasher.update(bytes);
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The table list, for the test that checks it against both schemas.
#[doc(hidden)]
pub fn schema_columns() -> Vec<(&'static str, Vec<&'static str>)> {
    TABLES
        .iter()
        .map(|t| (t.name, t.columns.iter().map(|(n, _)| *n).collect()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_and_sequence_is_a_column() {
        for table in TABLES {
            for key in table.key {
                assert!(
                    table.columns.iter().any(|(n, _)| n == key),
                    "{}.{key}",
                    table.name
                );
            }
        }
        for (table, column) in SEQUENCES {
            let t = TABLES.iter().find(|t| t.name == *table).unwrap();
            assert!(t.columns.iter().any(|(n, k)| n == column && *k == Int));
        }
    }
}
