//! The bench's own access to the databases, beside the stores: a database of its own on
//! the PostgreSQL server, sizes, and the bulk path that makes 10 million finding rows
//! reachable in minutes (copies of the scanned accounts' findings under new account ids,
//! made inside the database), which recording scan by scan would take hours for.

use std::path::Path;
use std::process::Command;

use postgres::{Client, NoTls};

/// Free space the bulk fill leaves on the disk, at least.
const KEEP_FREE: u64 = 20 << 30;

/// The columns a copy of a finding takes from its original (all but `id`).
const COPIED: &str = "rule_id, resource_type, region, severity, title, caf_component, waf_area,
    epics, result, state, first_seen, last_seen, first_failed_at, resolved_at, reopened_count,
    last_scan_id, last_error";

/// A connection to the bench's database, and one to the server's, to drop it after.
pub struct Pg {
    admin: Client,
    bench: Client,
    name: String,
}

/// Bytes free on the filesystem of `/` and of the temporary folder, whichever is less.
fn free_bytes() -> u64 {
    let out = Command::new("df")
        .args(["-B1", "--output=avail", "/"])
        .arg(std::env::temp_dir())
        .output()
        .expect("run df");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.trim().parse::<u64>().ok())
        .min()
        .unwrap_or(0)
}

impl Pg {
    /// Creates a database of the bench's own on the server of `url`, and returns the
    /// URL of that database (TLS settings kept) for the stores. The bench's own
    /// connections go without TLS: the test server trusts 127.0.0.1.
    pub fn create(url: &str) -> (Pg, String) {
        let mut parsed = url::Url::parse(url).expect("a postgres:// URL");
        let name = format!("vigil_bench_{}", std::process::id());
        let mut plain = parsed.clone();
        plain.set_query(None);
        let mut admin = Client::connect(plain.as_str(), NoTls).expect("connect without TLS");
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .expect("create the bench database");
        parsed.set_path(&format!("/{name}"));
        plain.set_path(&format!("/{name}"));
        let bench = Client::connect(plain.as_str(), NoTls).expect("connect to the bench database");
        (Pg { admin, bench, name }, parsed.to_string())
    }

    pub fn size(&mut self) -> u64 {
        let size: i64 = self
            .bench
            .query_one("SELECT pg_database_size(current_database())", &[])
            .and_then(|r| r.try_get(0))
            .unwrap();
        size as u64
    }

    /// Counts once, before the copies (a count of millions of 2 KB rows is a scan of
    /// gigabytes); the copies then add what each INSERT reports.
    fn count(&mut self) -> u64 {
        let row = self
            .bench
            .query_one("SELECT count(*) FROM findings", &[])
            .unwrap();
        row.get::<_, i64>(0) as u64
    }

    /// The largest id, from the primary key's index.
    fn max_id(&mut self) -> i64 {
        let row = self
            .bench
            .query_one("SELECT COALESCE(max(id), 0) FROM findings", &[])
            .unwrap();
        row.get(0)
    }

    /// Copies the findings of the scanned accounts under new account ids until there
    /// are `target` rows, then analyses. Returns the rows, the largest id, and a note
    /// if the disk stopped it short.
    pub fn fill(&mut self, target: u64, accounts: u64) -> (u64, i64, String) {
        let (mut rows, original_max) = (self.count(), self.max_id());
        let mut note = String::new();
        let mut copy = 1_i64;
        while rows < target {
            let before_size = self.size();
            let before_max = self.max_id();
            let shift = copy * accounts as i64;
            let limit = (target - rows) as i64;
            let inserted = self
                .bench
                .execute(
                    &format!(
                        "INSERT INTO findings (account, uid, resource_id, body, {COPIED})
                         SELECT acct, replace(uid, account, acct), replace(resource_id, account, acct),
                             replace(body, account, acct), {COPIED}
                         FROM (SELECT *, (account::bigint + $1)::text AS acct FROM findings
                               WHERE id <= $2 ORDER BY id LIMIT $3) AS original"
                    ),
                    &[&shift, &original_max, &limit],
                )
                .unwrap();
            self.bench
                .execute(
                    "INSERT INTO finding_epics (finding_id, epic)
                     SELECT id, json_array_elements_text(epics::json) FROM findings WHERE id > $1",
                    &[&before_max],
                )
                .unwrap();
            rows += inserted;
            copy += 1;
            let per_row = (self.size().saturating_sub(before_size)) as f64 / inserted.max(1) as f64;
            let next = (target.saturating_sub(rows)).min(inserted);
            if free_bytes().saturating_sub((per_row * next as f64) as u64) < KEEP_FREE
                && rows < target
            {
                note = format!(" (stopped short of {target}: under 20 GB of disk would be left)");
                break;
            }
            eprintln!("  bulk fill: {rows} finding rows");
        }
        self.bench.batch_execute("ANALYZE").unwrap();
        (rows, self.max_id(), note)
    }

    pub fn drop_database(mut self) {
        drop(self.bench);
        self.admin
            .batch_execute(&format!("DROP DATABASE {} WITH (FORCE)", self.name))
            .expect("drop the bench database");
    }
}

/// The SQLite file and its WAL.
pub fn sqlite_size(path: &Path) -> u64 {
    let size = |p: &Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
    size(path) + size(&path.with_extension("db-wal"))
}

/// As [`Pg::fill`], on the SQLite file, through a connection of its own.
pub fn sqlite_fill(path: &Path, target: u64, accounts: u64) -> (u64, i64, String) {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.busy_timeout(std::time::Duration::from_secs(60))
        .unwrap();
    let max_id = |conn: &rusqlite::Connection| -> i64 {
        conn.query_row("SELECT COALESCE(max(id), 0) FROM findings", [], |r| {
            r.get(0)
        })
        .unwrap()
    };
    let mut rows = conn
        .query_row("SELECT count(*) FROM findings", [], |r| r.get::<_, i64>(0))
        .unwrap() as u64;
    let original_max = max_id(&conn);
    let mut note = String::new();
    let mut copy = 1_i64;
    while rows < target {
        let before_size = sqlite_size(path);
        let before_max = max_id(&conn);
        let shift = copy * accounts as i64;
        let limit = (target - rows) as i64;
        let tx = conn.unchecked_transaction().unwrap();
        let inserted = tx
            .execute(
                &format!(
                    "INSERT INTO findings (account, uid, resource_id, body, {COPIED})
                     SELECT acct, replace(uid, account, acct), replace(resource_id, account, acct),
                         replace(body, account, acct), {COPIED}
                     FROM (SELECT *, CAST(CAST(account AS INTEGER) + ?1 AS TEXT) AS acct
                           FROM findings WHERE id <= ?2 ORDER BY id LIMIT ?3)"
                ),
                rusqlite::params![shift, original_max, limit],
            )
            .unwrap() as u64;
        tx.execute(
            "INSERT INTO finding_epics (finding_id, epic)
             SELECT f.id, j.value FROM findings f, json_each(f.epics) j WHERE f.id > ?1",
            [before_max],
        )
        .unwrap();
        tx.commit().unwrap();
        conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
            .unwrap();
        rows += inserted;
        copy += 1;
        let per_row = sqlite_size(path).saturating_sub(before_size) as f64 / inserted.max(1) as f64;
        let next = target.saturating_sub(rows).min(inserted);
        if free_bytes().saturating_sub((per_row * next as f64) as u64) < KEEP_FREE && rows < target
        {
            note = format!(" (stopped short of {target}: under 20 GB of disk would be left)");
            break;
        }
        eprintln!("  bulk fill: {rows} finding rows");
    }
    conn.execute_batch("ANALYZE").unwrap();
    (rows, max_id(&conn), note)
}
