//! Drift in PostgreSQL: the SQL of `crate::drift`, whose types, canonical JSON, hash and
//! diff it shares, so both stores report the same changes.

use std::collections::{HashMap, HashSet};

use postgres::types::ToSql;
use vigil_inventory::{Gap, Resource};

use super::{Pg, ms};
use crate::drift::{ChangeFilter, ChangeKind, FieldChange, ResourceChange, check_input};
use crate::error::StoreError;
use crate::page::{Page, PageRequest};
use crate::scans::ScanId;
use vigil_inventory::canonical::{canonical_json, diff, sha256 as hash};

/// A stored resource, without its document (read only when the hash differs).
#[derive(Debug)]
struct StoredResource {
    id: i64,
    hash: Vec<u8>,
    resource_type: String,
    region: String,
}

pub(crate) fn record(
    pg: &mut Pg<'_, '_>,
    scan_id: ScanId,
    account: &str,
    resources: &[Resource],
    gaps: &[Gap],
) -> Result<Vec<ResourceChange>, StoreError> {
    const OP: &str = "record_inventory";
    let detected_at = ms(pg.scan_start(OP, scan_id, account)?);
    let seen = check_input(account, resources)?;
    let baseline = pg
        .query_opt(
            OP,
            "inventory_state",
            "SELECT scan_id FROM inventory_state WHERE account = $1",
            &[&account],
        )?
        .is_none();
    let stored = load_stored(pg, account)?;
    let partial: HashSet<&str> = gaps
        .iter()
        .filter(|g| g.account == account)
        .filter_map(|g| g.resource.as_deref())
        .collect();

    let insert = pg.prepare(
        OP,
        "resources",
        "INSERT INTO resources (account, resource_id, resource_type, region, doc, hash,
             first_scan_id, changed_scan_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
    )?;
    let update = pg.prepare(
        OP,
        "resources",
        "UPDATE resources SET resource_type = $2, region = $3, doc = $4, hash = $5,
             changed_scan_id = $6
         WHERE id = $1",
    )?;

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
        let doc = serde_json::to_value(resource).map_err(pg.json(OP, "resources"))?;
        let text = canonical_json(&doc);
        let digest = hash(&text);
        match stored.get(resource.id.as_str()) {
            None => {
                pg.tx
                    .execute(
                        &insert,
                        &[
                            &account,
                            &resource.id,
                            &resource.resource_type,
                            &resource.region,
                            &text,
                            &&digest[..],
                            &scan_id.0,
                        ],
                    )
                    .map_err(pg.sql(OP, "resources"))?;
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
            Some(s) if s.hash == digest[..] => {}
            Some(_) if partial.contains(resource.id.as_str()) => {}
            Some(s) => {
                let old = load_doc(pg, OP, s.id)?;
                let fields = diff(&old, &doc);
                pg.tx
                    .execute(
                        &update,
                        &[
                            &s.id,
                            &resource.resource_type,
                            &resource.region,
                            &text,
                            &&digest[..],
                            &scan_id.0,
                        ],
                    )
                    .map_err(pg.sql(OP, "resources"))?;
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
    for (resource_id, s) in missing {
        let unseen = gaps
            .iter()
            .any(|g| g.covers_type(&s.resource_type, account, Some(&s.region)));
        if unseen {
            continue;
        }
        let old = load_doc(pg, OP, s.id)?;
        pg.execute(
            OP,
            "resources",
            "DELETE FROM resources WHERE id = $1",
            &[&s.id],
        )?;
        changes.push(change(
            resource_id,
            &s.resource_type,
            &s.region,
            ChangeKind::Removed,
            Vec::new(),
            Some(old),
        ));
    }

    pg.execute(
        OP,
        "inventory_state",
        "INSERT INTO inventory_state (account, scan_id, recorded_at) VALUES ($1, $2, $3)
         ON CONFLICT (account) DO UPDATE SET scan_id = excluded.scan_id,
             recorded_at = excluded.recorded_at",
        &[&account, &scan_id.0, &detected_at],
    )?;
    insert_changes(pg, &changes)?;
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

fn load_stored(
    pg: &mut Pg<'_, '_>,
    account: &str,
) -> Result<HashMap<String, StoredResource>, StoreError> {
    const OP: &str = "record_inventory";
    let rows = pg.query(
        OP,
        "resources",
        "SELECT resource_id, id, hash, resource_type, region FROM resources
         WHERE account = $1",
        &[&account],
    )?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get(0)?,
                StoredResource {
                    id: r.try_get(1)?,
                    hash: r.try_get(2)?,
                    resource_type: r.try_get(3)?,
                    region: r.try_get(4)?,
                },
            ))
        })
        .collect::<Result<_, postgres::Error>>()
        .map_err(pg.sql(OP, "resources"))
}

fn load_doc(
    pg: &mut Pg<'_, '_>,
    operation: &'static str,
    id: i64,
) -> Result<serde_json::Value, StoreError> {
    let text: String = pg
        .tx
        .query_one("SELECT doc FROM resources WHERE id = $1", &[&id])
        .and_then(|r| r.try_get(0))
        .map_err(pg.sql(operation, "resources"))?;
    serde_json::from_str(&text).map_err(pg.json(operation, "resources"))
}

fn insert_changes(pg: &mut Pg<'_, '_>, changes: &[ResourceChange]) -> Result<(), StoreError> {
    const OP: &str = "record_inventory";
    if changes.is_empty() {
        return Ok(());
    }
    let stmt = pg.prepare(
        OP,
        "resource_changes",
        "INSERT INTO resource_changes (scan_id, account, resource_id, resource_type, region,
             kind, detected_at, fields, snapshot)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )?;
    for c in changes {
        let fields = serde_json::to_string(&c.fields).map_err(pg.json(OP, "resource_changes"))?;
        let snapshot = c.snapshot.as_ref().map(canonical_json);
        pg.tx
            .execute(
                &stmt,
                &[
                    &c.scan_id.0,
                    &c.account,
                    &c.resource_id,
                    &c.resource_type,
                    &c.region,
                    &c.kind.as_str(),
                    &ms(c.detected_at),
                    &fields,
                    &snapshot,
                ],
            )
            .map_err(pg.sql(OP, "resource_changes"))?;
    }
    Ok(())
}

pub(crate) fn list(
    pg: &mut Pg<'_, '_>,
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
    let mut args: Vec<Box<dyn ToSql + Sync>> = Vec::new();
    let mut bind = |sql: &mut String, clause: &str, value: Box<dyn ToSql + Sync>| {
        args.push(value);
        sql.push_str(&format!(" AND {clause} ${}", args.len()));
    };
    if let Some(account) = &filter.account {
        bind(&mut sql, "account =", Box::new(account.clone()));
    }
    if let Some(resource_id) = &filter.resource_id {
        bind(&mut sql, "resource_id =", Box::new(resource_id.clone()));
    }
    if let Some(since) = filter.since {
        bind(&mut sql, "detected_at >=", Box::new(ms(since)));
    }
    if let Some(after) = page.after_id(OP)? {
        bind(&mut sql, "id <", Box::new(after));
    }
    sql.push_str(&format!(" ORDER BY id DESC LIMIT {}", limit + 1));
    let params: Vec<&(dyn ToSql + Sync)> = args.iter().map(|a| a.as_ref()).collect();
    let rows = pg.query(OP, "resource_changes", &sql, &params)?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let (id, mut change, fields, snapshot) = (|| {
            Ok::<_, postgres::Error>((
                r.try_get::<_, i64>(0)?,
                ResourceChange {
                    scan_id: ScanId(r.try_get(1)?),
                    account: r.try_get(2)?,
                    resource_id: r.try_get(3)?,
                    resource_type: r.try_get(4)?,
                    region: r.try_get(5)?,
                    kind: r.try_get(6)?,
                    detected_at: r.try_get(7)?,
                    fields: Vec::new(),
                    snapshot: None,
                },
                r.try_get::<_, String>(8)?,
                r.try_get::<_, Option<String>>(9)?,
            ))
        })()
        .map_err(pg.sql(OP, "resource_changes"))?;
        change.fields = serde_json::from_str(&fields).map_err(pg.json(OP, "resource_changes"))?;
        change.snapshot = snapshot
            .map(|s| serde_json::from_str(&s))
            .transpose()
            .map_err(pg.json(OP, "resource_changes"))?;
        out.push((id, change));
    }
    Ok(Page::from_rows(out, limit))
}
