//! The PostgreSQL schema and how a database gets to it: the versioned SQL files of
//! `migrations/postgres/` (`NNNN_name.sql`), applied in order, each in one transaction
//! with its row in `schema_version`, so a failure leaves the previous version whole.
//!
//! Two replicas starting at once do not both migrate: each step holds a transaction
//! advisory lock keyed by the schema, and re-reads the version under it. Migrations
//! are append-only, like SQLite's: never edit a file that has shipped, add the next.

use postgres::{Client, GenericClient};

use crate::error::StoreError;

/// The files, in order: migration `i` takes a database from version `i` to `i + 1`.
/// A test checks that this list and the folder agree.
pub(crate) const MIGRATIONS: &[(&str, &str)] = &[
    (
        "0001_initial.sql",
        include_str!("../../migrations/postgres/0001_initial.sql"),
    ),
    (
        "0002_fleet.sql",
        include_str!("../../migrations/postgres/0002_fleet.sql"),
    ),
];

/// The schema version this build writes: the number of migrations.
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

/// Created before any migration, so the version can always be read.
const VERSION_TABLE: &str = "CREATE TABLE IF NOT EXISTS schema_version (
    version     INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    applied_at  TIMESTAMPTZ NOT NULL DEFAULT now()
)";

/// Brings the database to [`SCHEMA_VERSION`], refusing one from a newer Vigil.
pub(crate) fn migrate(client: &mut Client, target: &str) -> Result<u32, StoreError> {
    loop {
        let failed = |version: u32| {
            move |source: postgres::Error| StoreError::PostgresMigrate {
                target: target.to_owned(),
                version,
                source: source.into(),
            }
        };
        let mut tx = client.transaction().map_err(failed(SCHEMA_VERSION))?;
        // One migrator per schema at a time; the lock ends with the transaction.
        tx.execute(
            "SELECT pg_advisory_xact_lock(hashtext('vigil-migrate:' || current_schema()))",
            &[],
        )
        .map_err(failed(SCHEMA_VERSION))?;
        tx.batch_execute(VERSION_TABLE)
            .map_err(failed(SCHEMA_VERSION))?;
        let current = current(&mut tx, target)?;
        if current > SCHEMA_VERSION {
            return Err(StoreError::TooNew {
                path: target.into(),
                found: current,
                known: SCHEMA_VERSION,
            });
        }
        if current == SCHEMA_VERSION {
            return Ok(current);
        }
        let next = current + 1;
        let (name, sql) = MIGRATIONS[current as usize];
        tx.batch_execute(sql).map_err(failed(next))?;
        tx.execute(
            "INSERT INTO schema_version (version, name) VALUES ($1, $2)",
            &[
                &(next as i32) as &(dyn postgres::types::ToSql + Sync),
                &name,
            ],
        )
        .map_err(failed(next))?;
        tx.commit().map_err(failed(next))?;
        tracing::info!(
            store = target,
            version = next,
            migration = name,
            "migrated the store schema"
        );
    }
}

/// The highest version applied, 0 for an empty schema.
pub(crate) fn current(client: &mut impl GenericClient, target: &str) -> Result<u32, StoreError> {
    let version: i32 = client
        .query_one("SELECT COALESCE(MAX(version), 0) FROM schema_version", &[])
        .and_then(|row| row.try_get(0))
        .map_err(|source| StoreError::Postgres {
            operation: "schema_version",
            table: "schema_version",
            target: target.to_owned(),
            source: source.into(),
        })?;
    Ok(u32::try_from(version).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_matches_the_folder() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/postgres");
        let mut files: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|name| name.ends_with(".sql"))
            .collect();
        files.sort();
        let listed: Vec<&str> = MIGRATIONS.iter().map(|(name, _)| *name).collect();
        assert_eq!(
            files,
            listed,
            "every file of {} in MIGRATIONS, in order",
            dir.display()
        );
        for (i, (name, _)) in MIGRATIONS.iter().enumerate() {
            assert!(
                name.starts_with(&format!("{:04}_", i + 1)),
                "{name} should be numbered {:04}",
                i + 1
            );
        }
    }
}
