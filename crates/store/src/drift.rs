//! Drift, the CAF "change detection" capability: the latest state of every resource,
//! and the changes between one successful scan of an account and the next.
//!
//! Each resource is stored as its snapshot document (the `Resource` as a snapshot file
//! writes it, keys sorted) with the SHA-256 of that text. A new scan hashes each resource
//! and only reads, diffs and rewrites those whose hash differs, so an inventory of 100k
//! mostly unchanged resources costs 100k hashes and a handful of writes.
//!
//! Changed paths are JSON Pointers into that document: `/properties/public_access_block/
//! block_public_acls`, `/tags/owner`, `/name`. Pointing into the snapshot form rather
//! than into `properties` alone keeps tag and name changes unambiguous.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, Row, params};
use serde::{Deserialize, Serialize};
use vigil_inventory::{Gap, Resource};

use crate::db::Db;
use crate::error::StoreError;
use crate::page::{Page, PageRequest};
use crate::scans::ScanId;
use crate::time::SqlTime;
use vigil_inventory::canonical::{canonical_json, diff, sha256 as hash};

text_enum! {
    /// How a resource changed between two scans.
    pub enum ChangeKind {
        Added => "added",
        Removed => "removed",
        Modified => "modified",
    }
}

/// One changed value of a resource's snapshot document (the inventory crate's, shared
/// with `vigil diff` so that paths mean the same in both).
pub use vigil_inventory::canonical::FieldChange;

/// A resource that was added, removed or modified since the previous scan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResourceChange {
    pub scan_id: ScanId,
    pub account: String,
    pub resource_id: String,
    pub resource_type: String,
    pub region: String,
    pub kind: ChangeKind,
    /// When the scan that saw the change started.
    pub detected_at: DateTime<Utc>,
    /// For `modified`: every changed path, sorted. Empty otherwise.
    pub fields: Vec<FieldChange>,
    /// For `added`: the new resource; for `removed`: its last known state. Kept so a
    /// deleted resource can still be described after its current row is gone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot: Option<serde_json::Value>,
}

/// Which changes to list; `None` matches any.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeFilter {
    pub account: Option<String>,
    pub resource_id: Option<String>,
    /// Only changes detected at or after this instant.
    pub since: Option<DateTime<Utc>>,
}

/// A stored resource, without its document (read only when the hash differs).
#[derive(Debug)]
struct StoredResource {
    id: i64,
    hash: Vec<u8>,
    resource_type: String,
    region: String,
}

pub(crate) fn record(
    db: Db<'_>,
    scan_id: ScanId,
    account: &str,
    resources: &[Resource],
    gaps: &[Gap],
) -> Result<Vec<ResourceChange>, StoreError> {
    const OP: &str = "record_inventory";
    let detected_at = db.scan_start(OP, scan_id, account)?;
    let seen = check_input(account, resources)?;
    let baseline = db
        .conn
        .query_row(
            "SELECT scan_id FROM inventory_state WHERE account = ?1",
            [account],
            |r| r.get::<_, i64>(0),
        )
        .optional()
        .map_err(db.sql(OP, "inventory_state"))?
        .is_none();
    let stored = load_stored(db, account)?;
    // Resources whose detail call failed: their missing properties are not changes.
    let partial: HashSet<&str> = gaps
        .iter()
        .filter(|g| g.account == account)
        .filter_map(|g| g.resource.as_deref())
        .collect();

    let mut insert = db
        .conn
        .prepare_cached(
            "INSERT INTO resources (account, resource_id, resource_type, region, doc, hash,
                 first_scan_id, changed_scan_id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
        )
        .map_err(db.sql(OP, "resources"))?;
    let mut update = db
        .conn
        .prepare_cached(
            "UPDATE resources SET resource_type = ?2, region = ?3, doc = ?4, hash = ?5,
                 changed_scan_id = ?6
             WHERE id = ?1",
        )
        .map_err(db.sql(OP, "resources"))?;

    let change = |resource_id: &str,
                  resource_type: &str,
                  region: &str,
                  kind: ChangeKind,
                  fields: Vec<FieldChange>,
                  snapshot: Option<serde_json::Value>| ResourceChange {
        scan_id,
        account: account.to_owned(),
        resource_id: resource_id.to_owned(),
        resource_type: resource_type.to_owned(),
        region: region.to_owned(),
        kind,
        detected_at,
        fields,
        snapshot,
    };

    let mut changes = Vec::new();
    for resource in resources {
        let doc = serde_json::to_value(resource).map_err(db.json(OP, "resources"))?;
        let text = canonical_json(&doc);
        let digest = hash(&text);
        match stored.get(resource.id.as_str()) {
            None => {
                insert
                    .execute(params![
                        account,
                        resource.id,
                        resource.resource_type,
                        resource.region,
                        text,
                        &digest[..],
                        scan_id.0
                    ])
                    .map_err(db.sql(OP, "resources"))?;
                if !baseline {
                    changes.push(change(
                        &resource.id,
                        &resource.resource_type,
                        &resource.region,
                        ChangeKind::Added,
                        Vec::new(),
                        Some(doc),
                    ));
                }
            }
            Some(s) if s.hash == digest => {}
            Some(_) if partial.contains(resource.id.as_str()) => {}
            Some(s) => {
                let old = load_doc(db, OP, s.id)?;
                let fields = diff(&old, &doc);
                update
                    .execute(params![
                        s.id,
                        resource.resource_type,
                        resource.region,
                        text,
                        &digest[..],
                        scan_id.0
                    ])
                    .map_err(db.sql(OP, "resources"))?;
                if !fields.is_empty() {
                    changes.push(change(
                        &resource.id,
                        &resource.resource_type,
                        &resource.region,
                        ChangeKind::Modified,
                        fields,
                        None,
                    ));
                }
            }
        }
    }

    let mut missing: Vec<(&String, &StoredResource)> = stored
        .iter()
        .filter(|(id, _)| !seen.contains(id.as_str()))
        .collect();
    missing.sort_unstable_by(|a, b| a.0.cmp(b.0));
    let mut delete = db
        .conn
        .prepare_cached("DELETE FROM resources WHERE id = ?1")
        .map_err(db.sql(OP, "resources"))?;
    for (resource_id, s) in missing {
        let unseen = gaps
            .iter()
            .any(|g| g.covers_type(&s.resource_type, account, Some(&s.region)));
        if unseen {
            continue;
        }
        let old = load_doc(db, OP, s.id)?;
        delete.execute([s.id]).map_err(db.sql(OP, "resources"))?;
        changes.push(change(
            resource_id,
            &s.resource_type,
            &s.region,
            ChangeKind::Removed,
            Vec::new(),
            Some(old),
        ));
    }

    db.conn
        .execute(
            "INSERT INTO inventory_state (account, scan_id, recorded_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (account) DO UPDATE SET scan_id = excluded.scan_id,
                 recorded_at = excluded.recorded_at",
            params![account, scan_id.0, SqlTime(detected_at)],
        )
        .map_err(db.sql(OP, "inventory_state"))?;
    insert_changes(db, &changes)?;
    tracing::debug!(
        scan_id = scan_id.0,
        account,
        resources = resources.len(),
        changes = changes.len(),
        baseline,
        "recorded inventory"
    );
    Ok(changes)
}

pub(crate) fn check_input<'r>(
    account: &str,
    resources: &'r [Resource],
) -> Result<HashSet<&'r str>, StoreError> {
    let mut ids = HashSet::with_capacity(resources.len());
    for resource in resources {
        if resource.account != account {
            return Err(StoreError::InvalidInput {
                operation: "record_inventory",
                message: format!(
                    "resource {} is of account {}, not {account}",
                    resource.id, resource.account
                ),
            });
        }
        if !ids.insert(resource.id.as_str()) {
            return Err(StoreError::InvalidInput {
                operation: "record_inventory",
                message: format!("resource {} appears twice", resource.id),
            });
        }
    }
    Ok(ids)
}

fn load_stored(db: Db<'_>, account: &str) -> Result<HashMap<String, StoredResource>, StoreError> {
    db.conn
        .prepare_cached(
            "SELECT resource_id, id, hash, resource_type, region FROM resources
             WHERE account = ?1",
        )
        .and_then(|mut stmt| {
            stmt.query_map([account], |r| {
                Ok((
                    r.get(0)?,
                    StoredResource {
                        id: r.get(1)?,
                        hash: r.get(2)?,
                        resource_type: r.get(3)?,
                        region: r.get(4)?,
                    },
                ))
            })?
            .collect()
        })
        .map_err(db.sql("record_inventory", "resources"))
}

fn load_doc(db: Db<'_>, operation: &'static str, id: i64) -> Result<serde_json::Value, StoreError> {
    let text: String = db
        .conn
        .prepare_cached("SELECT doc FROM resources WHERE id = ?1")
        .and_then(|mut stmt| stmt.query_row([id], |r| r.get(0)))
        .map_err(db.sql(operation, "resources"))?;
    serde_json::from_str(&text).map_err(db.json(operation, "resources"))
}

fn insert_changes(db: Db<'_>, changes: &[ResourceChange]) -> Result<(), StoreError> {
    const OP: &str = "record_inventory";
    let mut stmt = db
        .conn
        .prepare_cached(
            "INSERT INTO resource_changes (scan_id, account, resource_id, resource_type, region,
                 kind, detected_at, fields, snapshot)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )
        .map_err(db.sql(OP, "resource_changes"))?;
    for c in changes {
        let fields = serde_json::to_string(&c.fields).map_err(db.json(OP, "resource_changes"))?;
        let snapshot = c.snapshot.as_ref().map(canonical_json);
        stmt.execute(params![
            c.scan_id.0,
            c.account,
            c.resource_id,
            c.resource_type,
            c.region,
            c.kind,
            SqlTime(c.detected_at),
            fields,
            snapshot
        ])
        .map_err(db.sql(OP, "resource_changes"))?;
    }
    Ok(())
}

fn from_row(r: &Row<'_>) -> rusqlite::Result<(i64, ResourceChange, String, Option<String>)> {
    Ok((
        r.get(0)?,
        ResourceChange {
            scan_id: ScanId(r.get(1)?),
            account: r.get(2)?,
            resource_id: r.get(3)?,
            resource_type: r.get(4)?,
            region: r.get(5)?,
            kind: r.get(6)?,
            detected_at: r.get::<_, SqlTime>(7)?.0,
            fields: Vec::new(),
            snapshot: None,
        },
        r.get(8)?,
        r.get(9)?,
    ))
}

pub(crate) fn list(
    db: Db<'_>,
    filter: &ChangeFilter,
    page: &PageRequest,
) -> Result<Page<ResourceChange>, StoreError> {
    const OP: &str = "list_changes";
    let limit = page.effective_limit();
    let mut sql = String::from(
        "SELECT id, scan_id, account, resource_id, resource_type, region, kind, detected_at,
             fields, snapshot
         FROM resource_changes WHERE 1 = 1",
    );
    let mut args: Vec<rusqlite::types::Value> = Vec::new();
    let mut bind = |sql: &mut String, clause: &str, value: rusqlite::types::Value| {
        args.push(value);
        sql.push_str(&format!(" AND {clause} ?{}", args.len()));
    };
    if let Some(account) = &filter.account {
        bind(&mut sql, "account =", account.clone().into());
    }
    if let Some(resource_id) = &filter.resource_id {
        bind(&mut sql, "resource_id =", resource_id.clone().into());
    }
    if let Some(since) = filter.since {
        bind(
            &mut sql,
            "detected_at >=",
            crate::time::format(since).into(),
        );
    }
    if let Some(after) = page.after_id(OP)? {
        bind(&mut sql, "id <", after.into());
    }
    sql.push_str(&format!(" ORDER BY id DESC LIMIT {}", limit + 1));
    let raw = db
        .conn
        .prepare(&sql)
        .and_then(|mut stmt| {
            stmt.query_map(rusqlite::params_from_iter(args.iter()), from_row)?
                .collect::<rusqlite::Result<Vec<_>>>()
        })
        .map_err(db.sql(OP, "resource_changes"))?;
    let rows = raw
        .into_iter()
        .map(|(id, mut change, fields, snapshot)| {
            change.fields =
                serde_json::from_str(&fields).map_err(db.json(OP, "resource_changes"))?;
            change.snapshot = snapshot
                .map(|s| serde_json::from_str(&s))
                .transpose()
                .map_err(db.json(OP, "resource_changes"))?;
            Ok((id, change))
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    Ok(Page::from_rows(rows, limit))
}
