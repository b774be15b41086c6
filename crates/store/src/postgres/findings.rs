//! Findings in PostgreSQL: the SQL of `crate::findings`, whose types, lifecycle and
//! input checks it shares, so both stores decide every transition the same way.

use std::collections::{HashMap, HashSet};

use chrono::Utc;
use postgres::Row;
use postgres::types::ToSql;

use super::{Pg, batch, ms, outbox};
use crate::error::StoreError;
use crate::findings::{
    FindingFilter, FindingRecord, FindingRow, ResultStatus, StatusFilter, Transition,
    TransitionCause, check_input, description,
};
use crate::lifecycle::{LifecycleState, next_state};
use crate::outbox::NewEvent;
use crate::page::{Page, PageRequest};
use crate::scans::ScanId;

/// What `record_results` needs of a stored finding (see `crate::findings::Stored`).
#[derive(Debug)]
struct Stored {
    id: i64,
    state: Option<LifecycleState>,
    result: ResultStatus,
    failed_before: bool,
    epics: String,
    resource_id: String,
    description: [String; 7],
}

pub(crate) fn record_results(
    pg: &mut Pg<'_, '_>,
    scan_id: ScanId,
    account: &str,
    findings: &[FindingRecord],
    present_resource_ids: &HashSet<String>,
    make_events: &mut dyn FnMut(&Transition) -> Vec<NewEvent>,
) -> Result<Vec<Transition>, StoreError> {
    const OP: &str = "record_results";
    let seen_at = pg.scan_start(OP, scan_id, account)?;
    let reported = check_input(account, findings)?;
    let stored = load_stored(pg, account)?;
    let events_at = Utc::now();

    let update = pg.prepare(
        OP,
        "findings",
        "UPDATE findings SET rule_id = $2, resource_id = $3, resource_type = $4,
             region = $5, severity = $6, title = $7, caf_component = $8, waf_area = $9,
             epics = $10, result = $11, state = $12::text, last_seen = $13,
             first_failed_at = COALESCE(first_failed_at, $14),
             resolved_at = CASE WHEN $12::text = 'RESOLVED' THEN COALESCE(resolved_at, $13) END,
             reopened_count = reopened_count + $15, last_scan_id = $16, last_error = $17,
             body = $18
         WHERE id = $1",
    )?;
    let seen_at = ms(seen_at);

    // First sightings and unchanged findings are written together after the loop
    // (see `batch`); state changes, rare, row by row.
    let mut inserts = batch::Inserts::default();
    let mut touches = batch::Touches::default();
    let mut transitions = Vec::new();
    for finding in findings {
        let prior = stored.get(finding.uid.as_str());
        let from = prior.and_then(|p| p.state);
        let failed_before = prior.is_some_and(|p| p.failed_before);
        let to = next_state(from, finding.status, failed_before);

        let epics = serde_json::to_string(&finding.epics).map_err(pg.json(OP, "findings"))?;
        let body = serde_json::to_string(&finding.body).map_err(pg.json(OP, "findings"))?;
        let failed_at = (finding.status == ResultStatus::Fail).then_some(seen_at);
        let last_error = match finding.status {
            ResultStatus::Error => Some(
                finding
                    .status_detail
                    .clone()
                    .unwrap_or_else(|| "no reason given".to_owned()),
            ),
            _ => None,
        };
        let to_text = to.map(LifecycleState::as_str);

        match prior {
            None => inserts.push(
                finding,
                batch::NewRow {
                    epics,
                    state: to_text,
                    failed_at,
                    last_error,
                    body,
                },
            ),
            Some(prior)
                if to == from
                    && finding.status == prior.result
                    && description(finding) == prior.description.each_ref().map(String::as_str) =>
            {
                if prior.epics != epics {
                    write_epics(pg, prior.id, &finding.epics, true)?;
                }
                touches.push(prior.id, last_error, body);
            }
            Some(prior) => {
                let reopened = i64::from(to == Some(LifecycleState::Reopened) && from != to);
                pg.tx
                    .execute(
                        &update,
                        &[
                            &prior.id,
                            &finding.rule_id,
                            &finding.resource_id,
                            &finding.resource_type,
                            &finding.region,
                            &finding.severity,
                            &finding.title,
                            &finding.caf_component,
                            &finding.waf_area,
                            &epics,
                            &finding.status.as_str(),
                            &to_text,
                            &seen_at,
                            &failed_at,
                            &reopened,
                            &scan_id.0,
                            &last_error,
                            &body,
                        ],
                    )
                    .map_err(pg.sql(OP, "findings"))?;
                if prior.epics != epics {
                    write_epics(pg, prior.id, &finding.epics, true)?;
                }
            }
        }

        if let Some(to) = to
            && from != Some(to)
        {
            let transition = Transition {
                scan_id,
                account: account.to_owned(),
                uid: finding.uid.clone(),
                from,
                to,
                cause: TransitionCause::Result,
                finding: finding.clone(),
            };
            outbox::insert(pg, OP, &make_events(&transition), events_at)?;
            transitions.push(transition);
        }
    }

    inserts.write(pg, account, seen_at, scan_id)?;
    touches.write(pg, seen_at, scan_id)?;

    // Resolution by absence, in row-id order, as in SQLite.
    let mut gone: Vec<(&str, &Stored)> = stored
        .iter()
        .filter(|(uid, s)| {
            s.state.is_some_and(LifecycleState::is_active)
                && !reported.contains(uid.as_str())
                && !present_resource_ids.contains(&s.resource_id)
        })
        .map(|(uid, s)| (uid.as_str(), s))
        .collect();
    gone.sort_by_key(|(_, s)| s.id);
    let resolve = pg.prepare(
        OP,
        "findings",
        "UPDATE findings SET state = 'RESOLVED', resolved_at = $2 WHERE id = $1",
    )?;
    for (uid, s) in gone {
        pg.tx
            .execute(&resolve, &[&s.id, &seen_at])
            .map_err(pg.sql(OP, "findings"))?;
        let row = get(pg, OP, account, uid)?.ok_or_else(|| StoreError::InvalidInput {
            operation: OP,
            message: format!("finding {uid} vanished during the transaction"),
        })?;
        let transition = Transition {
            scan_id,
            account: account.to_owned(),
            uid: uid.to_owned(),
            from: s.state,
            to: LifecycleState::Resolved,
            cause: TransitionCause::ResourceGone,
            finding: row.to_record(),
        };
        outbox::insert(pg, OP, &make_events(&transition), events_at)?;
        transitions.push(transition);
    }

    tracing::debug!(
        scan_id = scan_id.0,
        account,
        findings = findings.len(),
        transitions = transitions.len(),
        "recorded scan results"
    );
    Ok(transitions)
}

fn load_stored(pg: &mut Pg<'_, '_>, account: &str) -> Result<HashMap<String, Stored>, StoreError> {
    const OP: &str = "record_results";
    let rows = pg.query(
        OP,
        "findings",
        "SELECT uid, id, state, result, first_failed_at IS NOT NULL, epics, resource_id,
             rule_id, resource_type, region, severity, title, caf_component, waf_area
         FROM findings WHERE account = $1",
        &[&account],
    )?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get::<_, String>(0)?,
                Stored {
                    id: r.try_get(1)?,
                    state: r.try_get(2)?,
                    result: r.try_get(3)?,
                    failed_before: r.try_get(4)?,
                    epics: r.try_get(5)?,
                    resource_id: r.try_get(6)?,
                    description: [
                        r.try_get(7)?,
                        r.try_get(8)?,
                        r.try_get(9)?,
                        r.try_get(10)?,
                        r.try_get(11)?,
                        r.try_get(12)?,
                        r.try_get(13)?,
                    ],
                },
            ))
        })
        .collect::<Result<_, postgres::Error>>()
        .map_err(pg.sql(OP, "findings"))
}

/// Keeps `finding_epics` in step with `epics`.
fn write_epics(
    pg: &mut Pg<'_, '_>,
    finding_id: i64,
    epics: &[String],
    replace: bool,
) -> Result<(), StoreError> {
    const OP: &str = "record_results";
    if replace {
        pg.execute(
            OP,
            "finding_epics",
            "DELETE FROM finding_epics WHERE finding_id = $1",
            &[&finding_id],
        )?;
    }
    if !epics.is_empty() {
        pg.execute(
            OP,
            "finding_epics",
            "INSERT INTO finding_epics (finding_id, epic) SELECT $1, unnest($2::text[])
             ON CONFLICT DO NOTHING",
            &[&finding_id, &epics],
        )?;
    }
    Ok(())
}

const COLUMNS: &str = "id, uid, account, rule_id, resource_id, resource_type, region, severity, \
     title, caf_component, waf_area, epics, result, state, first_seen, last_seen, \
     first_failed_at, resolved_at, reopened_count, last_scan_id, last_error, body";

fn from_row(
    pg: &Pg<'_, '_>,
    operation: &'static str,
    r: &Row,
) -> Result<(i64, FindingRow), StoreError> {
    let raw = (|| {
        let row = FindingRow {
            uid: r.try_get(1)?,
            account: r.try_get(2)?,
            rule_id: r.try_get(3)?,
            resource_id: r.try_get(4)?,
            resource_type: r.try_get(5)?,
            region: r.try_get(6)?,
            severity: r.try_get(7)?,
            title: r.try_get(8)?,
            caf_component: r.try_get(9)?,
            waf_area: r.try_get(10)?,
            epics: Vec::new(),
            result: r.try_get(12)?,
            state: r.try_get(13)?,
            first_seen: r.try_get(14)?,
            last_seen: r.try_get(15)?,
            first_failed_at: r.try_get(16)?,
            resolved_at: r.try_get(17)?,
            reopened_count: u32::try_from(r.try_get::<_, i64>(18)?).unwrap_or(u32::MAX),
            last_scan_id: ScanId(r.try_get(19)?),
            last_error: r.try_get(20)?,
            body: serde_json::Value::Null,
        };
        Ok::<_, postgres::Error>((
            r.try_get::<_, i64>(0)?,
            row,
            r.try_get::<_, String>(11)?,
            r.try_get::<_, String>(21)?,
        ))
    })();
    let (id, mut row, epics, body) = raw.map_err(pg.sql(operation, "findings"))?;
    row.epics = serde_json::from_str(&epics).map_err(pg.json(operation, "findings"))?;
    row.body = serde_json::from_str(&body).map_err(pg.json(operation, "findings"))?;
    Ok((id, row))
}

pub(crate) fn get(
    pg: &mut Pg<'_, '_>,
    operation: &'static str,
    account: &str,
    uid: &str,
) -> Result<Option<FindingRow>, StoreError> {
    let row = pg.query_opt(
        operation,
        "findings",
        &format!("SELECT {COLUMNS} FROM findings WHERE account = $1 AND uid = $2"),
        &[&account, &uid],
    )?;
    row.map(|r| from_row(pg, operation, &r).map(|(_, row)| row))
        .transpose()
}

pub(crate) fn list(
    pg: &mut Pg<'_, '_>,
    filter: &FindingFilter,
    page: &PageRequest,
) -> Result<Page<FindingRow>, StoreError> {
    const OP: &str = "list_findings";
    let limit = page.effective_limit();
    let mut sql = format!("SELECT {COLUMNS} FROM findings WHERE 1 = 1");
    let mut args: Vec<Box<dyn ToSql + Sync>> = Vec::new();
    let mut bind = |sql: &mut String, clause: &str, value: Box<dyn ToSql + Sync>| {
        args.push(value);
        sql.push_str(&format!(" AND {clause}${}", args.len()));
    };
    let text = |s: &str| -> Box<dyn ToSql + Sync> { Box::new(s.to_owned()) };
    if let Some(account) = &filter.account {
        bind(&mut sql, "account = ", text(account));
    }
    match filter.status {
        None => {}
        Some(StatusFilter::State(state)) => bind(&mut sql, "state = ", text(state.as_str())),
        Some(StatusFilter::Result(result)) => bind(&mut sql, "result = ", text(result.as_str())),
        Some(StatusFilter::Active) => sql.push_str(" AND state IN ('NEW', 'OPEN', 'REOPENED')"),
    }
    if let Some(severity) = &filter.severity {
        bind(&mut sql, "severity = ", text(severity));
    }
    if let Some(rule_id) = &filter.rule_id {
        bind(&mut sql, "rule_id = ", text(rule_id));
    }
    if let Some(caf) = &filter.caf_component {
        bind(&mut sql, "caf_component = ", text(caf));
    }
    if let Some(waf) = &filter.waf_area {
        bind(&mut sql, "waf_area = ", text(waf));
    }
    if let Some(epic) = &filter.epic {
        bind(
            &mut sql,
            "id IN (SELECT finding_id FROM finding_epics WHERE epic = ",
            text(epic),
        );
        sql.push(')');
    }
    if let Some(after) = page.after_id(OP)? {
        bind(&mut sql, "id > ", Box::new(after));
    }
    sql.push_str(&format!(" ORDER BY id LIMIT {}", limit + 1));
    let params: Vec<&(dyn ToSql + Sync)> = args.iter().map(|a| a.as_ref()).collect();
    let rows = pg.query(OP, "findings", &sql, &params)?;
    let rows = rows
        .iter()
        .map(|r| from_row(pg, OP, r))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_rows(rows, limit))
}
