//! `vigil store migrate`: moves the daemon's history from its SQLite file into
//! PostgreSQL, for a fleet of daemons sharing one store. The copy itself, and the proof
//! that nothing was lost (rows and a SHA-256 per table, on both sides), are
//! `vigil_store::copy`'s; this prints the comparison and sets the exit status: 0 when
//! every table matches and the copy is committed, 1 when one does not (nothing is
//! kept), 2 when the copy could not run.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use vigil_store::copy::{CopyReport, sqlite_to_postgres};
use vigil_store::{PostgresStore, SqliteStore};

#[derive(Debug, Subcommand)]
pub enum StoreCommand {
    /// Copy a SQLite store into an empty PostgreSQL database (or schema), then compare
    /// every table's rows and checksum; the copy is kept only if all of them match.
    /// Stop the daemon first: the copy reads one snapshot of the file.
    Migrate(MigrateArgs),
}

#[derive(Debug, Args)]
pub struct MigrateArgs {
    /// The SQLite store to copy (the daemon's `store.path`); it is only read.
    #[arg(long, value_name = "FILE")]
    pub from: PathBuf,
    /// The PostgreSQL database, `postgres://user@host:5432/db`; for RDS add
    /// `?sslmode=require&sslrootcert=/path/to/global-bundle.pem`. Taken from
    /// VIGIL_STORE_URL when not given, which keeps a password out of the process list.
    #[arg(
        long,
        value_name = "URL",
        env = "VIGIL_STORE_URL",
        hide_env_values = true
    )]
    pub to: String,
    /// The schema to copy into (created if missing); by default the database's own.
    #[arg(long, value_name = "NAME")]
    pub schema: Option<String>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn run(command: StoreCommand) -> Result<ExitCode> {
    match command {
        StoreCommand::Migrate(args) => migrate(args),
    }
}

fn migrate(args: MigrateArgs) -> Result<ExitCode> {
    // Opening a missing path would create an empty store and copy nothing.
    if !args.from.is_file() {
        bail!("--from {}: no such SQLite store", args.from.display());
    }
    let source =
        SqliteStore::open(&args.from).with_context(|| format!("--from {}", args.from.display()))?;
    let target = PostgresStore::open_in_schema(&args.to, args.schema.as_deref()).context("--to")?;
    let report = sqlite_to_postgres(&source, &target)
        .with_context(|| format!("copying {} into {}", args.from.display(), target.target()))?;
    let out = if args.json {
        serde_json::to_string_pretty(&report)? + "\n"
    } else {
        text(&report, &args.from.display().to_string(), target.target())
    };
    #[allow(clippy::print_stdout)]
    {
        print!("{out}");
    }
    Ok(if report.committed {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn text(report: &CopyReport, from: &str, to: &str) -> String {
    let mut out = format!("{from} -> {to}\n");
    out.push_str(&format!(
        "{:<18} {:>10} {:>12}  {:<64}  {}\n",
        "table", "SQLite", "PostgreSQL", "SHA-256 of the rows", "compared"
    ));
    for t in &report.tables {
        let verdict = if t.matches() {
            "same".to_owned()
        } else {
            format!("DIFFERENT: PostgreSQL has {}", t.target_checksum)
        };
        out.push_str(&format!(
            "{:<18} {:>10} {:>12}  {:<64}  {verdict}\n",
            t.table, t.source_rows, t.target_rows, t.source_checksum
        ));
    }
    let rows: u64 = report.tables.iter().map(|t| t.source_rows).sum();
    if report.committed {
        out.push_str(&format!(
            "copied {rows} rows in {} tables; every count and checksum matches\n",
            report.tables.len()
        ));
    } else {
        out.push_str("the copy differs from its source: nothing was kept in PostgreSQL\n");
    }
    out
}
