//! Findings: the current state of every finding, keyed by (account, uid), and the step
//! that applies a scan's results to it ([`record_results`]).
//!
//! Every finding a scan reports is stored, passing ones included, so the API can answer
//! "which checks pass"; a finding that has only ever passed carries no lifecycle state
//! and is only touched to update its latest result, `last_seen` and body. Rows are
//! never deleted: they are the memory that tells NEW from REOPENED.
//!
//! The key includes the account because a uid names a rule and a resource id, and
//! some resource ids (S3 bucket ARNs) carry no account.

use std::collections::{HashMap, HashSet};
use std::str::FromStr;

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, Row, params};
use serde::{Deserialize, Serialize};

use crate::db::Db;
use crate::error::StoreError;
use crate::lifecycle::{LifecycleState, next_state};
use crate::outbox::{self, NewEvent};
use crate::page::{Page, PageRequest};
use crate::scans::ScanId;
use crate::time::SqlTime;

text_enum! {
    /// A finding's result in one scan.
    pub enum ResultStatus {
        Pass => "PASS",
        Fail => "FAIL",
        /// Unknown: the rule could not decide (data not collected, evaluation error).
        Error => "ERROR",
        Muted => "MUTED",
    }
}

/// One finding as a scan reports it: the input of
/// [`Store::record_results`](crate::Store::record_results).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FindingRecord {
    /// Stable across scans: `vigil:<rule>:<resource>`.
    pub uid: String,
    pub rule_id: String,
    pub resource_id: String,
    pub resource_type: String,
    pub account: String,
    pub region: String,
    pub status: ResultStatus,
    /// Why the result is ERROR (or MUTED); kept as the finding's `last_error` for ERROR.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_detail: Option<String>,
    /// informational, low, medium, high, critical.
    pub severity: String,
    pub title: String,
    pub caf_component: String,
    pub waf_area: String,
    pub epics: Vec<String>,
    /// The finding as sent to sinks (the OCSF document).
    pub body: serde_json::Value,
}

text_enum! {
    /// Why a finding changed state.
    pub enum TransitionCause {
        /// The scan reported a new result for it.
        Result => "result",
        /// Its resource is no longer in the account.
        ResourceGone => "resource_gone",
    }
}

/// A finding that changed lifecycle state in a scan. Staying in the same state
/// (OPEN again, RESOLVED again) is not a transition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Transition {
    pub scan_id: ScanId,
    pub account: String,
    pub uid: String,
    /// `None` for a finding that had no lifecycle state yet.
    pub from: Option<LifecycleState>,
    pub to: LifecycleState,
    pub cause: TransitionCause,
    /// The finding as reported by the scan; for [`TransitionCause::ResourceGone`], as
    /// last stored (the scan did not report it).
    pub finding: FindingRecord,
}

impl Transition {
    /// An event id that is the same every time this transition is computed, so an event
    /// enqueued twice (a retried step) is delivered once:
    /// `<account>:<uid>:<scan id>:<new state>`.
    pub fn event_id(&self) -> String {
        format!(
            "{}:{}:{}:{}",
            self.account,
            self.uid,
            self.scan_id,
            self.to.as_str().to_ascii_lowercase()
        )
    }
}

/// A stored finding with its lifecycle.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FindingRow {
    pub uid: String,
    pub account: String,
    pub rule_id: String,
    pub resource_id: String,
    pub resource_type: String,
    pub region: String,
    pub severity: String,
    pub title: String,
    pub caf_component: String,
    pub waf_area: String,
    pub epics: Vec<String>,
    /// The latest result.
    pub result: ResultStatus,
    /// `None` for a finding that has never failed nor been muted.
    pub state: Option<LifecycleState>,
    pub first_seen: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
    pub first_failed_at: Option<DateTime<Utc>>,
    /// When it was resolved; set only while the state is RESOLVED.
    pub resolved_at: Option<DateTime<Utc>>,
    pub reopened_count: u32,
    /// The last scan that reported it.
    pub last_scan_id: ScanId,
    /// Why its latest result is ERROR; cleared by any other result.
    pub last_error: Option<String>,
    pub body: serde_json::Value,
}

impl FindingRow {
    /// The finding as a scan would report it, for transitions the scan did not report.
    pub(crate) fn to_record(&self) -> FindingRecord {
        FindingRecord {
            uid: self.uid.clone(),
            rule_id: self.rule_id.clone(),
            resource_id: self.resource_id.clone(),
            resource_type: self.resource_type.clone(),
            account: self.account.clone(),
            region: self.region.clone(),
            status: self.result,
            status_detail: self.last_error.clone(),
            severity: self.severity.clone(),
            title: self.title.clone(),
            caf_component: self.caf_component.clone(),
            waf_area: self.waf_area.clone(),
            epics: self.epics.clone(),
            body: self.body.clone(),
        }
    }
}

/// The `status` filter of the findings API: a lifecycle state, a latest result, or
/// `ACTIVE` (NEW, OPEN or REOPENED). `MUTED` is the lifecycle state, which a muted
/// finding keeps while a later scan cannot evaluate it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum StatusFilter {
    State(LifecycleState),
    Result(ResultStatus),
    Active,
}

impl FromStr for StatusFilter {
    type Err = String;

    /// Case-insensitive, as typed in a query string.
    fn from_str(s: &str) -> Result<Self, String> {
        let upper = s.to_ascii_uppercase();
        if upper == "ACTIVE" {
            return Ok(StatusFilter::Active);
        }
        if let Ok(state) = upper.parse::<LifecycleState>() {
            return Ok(StatusFilter::State(state));
        }
        upper
            .parse::<ResultStatus>()
            .map(StatusFilter::Result)
            .map_err(|_| {
                format!(
                    "unknown finding status {s:?} (expected NEW, OPEN, RESOLVED, REOPENED, MUTED, \
                 PASS, FAIL, ERROR or ACTIVE)"
                )
            })
    }
}

impl TryFrom<String> for StatusFilter {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        s.parse()
    }
}

impl From<StatusFilter> for String {
    fn from(f: StatusFilter) -> String {
        match f {
            StatusFilter::State(s) => s.as_str().to_owned(),
            StatusFilter::Result(r) => r.as_str().to_owned(),
            StatusFilter::Active => "ACTIVE".to_owned(),
        }
    }
}

/// Which findings to list; `None` matches any. Each filter is backed by an index.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindingFilter {
    pub account: Option<String>,
    pub status: Option<StatusFilter>,
    pub severity: Option<String>,
    pub rule_id: Option<String>,
    pub caf_component: Option<String>,
    pub waf_area: Option<String>,
    pub epic: Option<String>,
}

/// What `record_results` needs to know of a stored finding before deciding its next
/// state; the body stays on disk.
#[derive(Debug)]
struct Stored {
    id: i64,
    state: Option<LifecycleState>,
    result: ResultStatus,
    failed_before: bool,
    epics: String,
    resource_id: String,
    /// The indexed and descriptive columns, to tell whether a row needs more than a
    /// touch (see `record_results`).
    description: [String; 7],
}

/// The descriptive columns of a finding, in the order `load_stored` reads them.
pub(crate) fn description(f: &FindingRecord) -> [&str; 7] {
    [
        &f.rule_id,
        &f.resource_type,
        &f.region,
        &f.severity,
        &f.title,
        &f.caf_component,
        &f.waf_area,
    ]
}

pub(crate) fn record_results(
    db: Db<'_>,
    scan_id: ScanId,
    account: &str,
    findings: &[FindingRecord],
    present_resource_ids: &HashSet<String>,
    make_events: &mut dyn FnMut(&Transition) -> Vec<NewEvent>,
) -> Result<Vec<Transition>, StoreError> {
    const OP: &str = "record_results";
    let seen_at = db.scan_start(OP, scan_id, account)?;
    let reported = check_input(account, findings)?;
    let stored = load_stored(db, account)?;
    let events_at = Utc::now();

    let mut insert = db
        .conn
        .prepare_cached(
            "INSERT INTO findings (account, uid, rule_id, resource_id, resource_type, region,
                 severity, title, caf_component, waf_area, epics, result, state, first_seen,
                 last_seen, first_failed_at, resolved_at, reopened_count, last_scan_id,
                 last_error, body)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?14, ?15,
                 NULL, 0, ?16, ?17, ?18)",
        )
        .map_err(db.sql(OP, "findings"))?;
    // `resolved_at` is set only while RESOLVED, so COALESCE keeps the first resolution
    // time across scans that find it resolved again, and any other state clears it.
    let mut update = db
        .conn
        .prepare_cached(
            "UPDATE findings SET rule_id = ?2, resource_id = ?3, resource_type = ?4,
                 region = ?5, severity = ?6, title = ?7, caf_component = ?8, waf_area = ?9,
                 epics = ?10, result = ?11, state = ?12, last_seen = ?13,
                 first_failed_at = COALESCE(first_failed_at, ?14),
                 resolved_at = CASE WHEN ?12 = 'RESOLVED' THEN COALESCE(resolved_at, ?13) END,
                 reopened_count = reopened_count + ?15, last_scan_id = ?16, last_error = ?17,
                 body = ?18
             WHERE id = ?1",
        )
        .map_err(db.sql(OP, "findings"))?;
    // Most findings of a scan are as they were: same state, same result, same rule
    // metadata. Those only get a touch, which leaves every index alone; rewriting
    // indexed columns, even with equal values, makes SQLite update each index.
    let mut touch = db
        .conn
        .prepare_cached(
            "UPDATE findings SET last_seen = ?2, last_scan_id = ?3, last_error = ?4, body = ?5
             WHERE id = ?1",
        )
        .map_err(db.sql(OP, "findings"))?;

    let mut transitions = Vec::new();
    for finding in findings {
        let prior = stored.get(finding.uid.as_str());
        let from = prior.and_then(|p| p.state);
        let failed_before = prior.is_some_and(|p| p.failed_before);
        let to = next_state(from, finding.status, failed_before);

        let epics = serde_json::to_string(&finding.epics).map_err(db.json(OP, "findings"))?;
        let body = serde_json::to_string(&finding.body).map_err(db.json(OP, "findings"))?;
        let failed_at = (finding.status == ResultStatus::Fail).then_some(SqlTime(seen_at));
        let last_error = match finding.status {
            ResultStatus::Error => Some(
                finding
                    .status_detail
                    .clone()
                    .unwrap_or_else(|| "no reason given".to_owned()),
            ),
            _ => None,
        };

        match prior {
            None => {
                insert
                    .execute(params![
                        account,
                        finding.uid,
                        finding.rule_id,
                        finding.resource_id,
                        finding.resource_type,
                        finding.region,
                        finding.severity,
                        finding.title,
                        finding.caf_component,
                        finding.waf_area,
                        epics,
                        finding.status,
                        to,
                        SqlTime(seen_at),
                        failed_at,
                        scan_id.0,
                        last_error,
                        body
                    ])
                    .map_err(db.sql(OP, "findings"))?;
                let id = db.conn.last_insert_rowid();
                write_epics(db, id, &finding.epics, false)?;
            }
            Some(prior)
                if to == from
                    && finding.status == prior.result
                    && description(finding) == prior.description.each_ref().map(String::as_str) =>
            {
                touch
                    .execute(params![
                        prior.id,
                        SqlTime(seen_at),
                        scan_id.0,
                        last_error,
                        body
                    ])
                    .map_err(db.sql(OP, "findings"))?;
                if prior.epics != epics {
                    write_epics(db, prior.id, &finding.epics, true)?;
                }
            }
            Some(prior) => {
                let reopened = u32::from(to == Some(LifecycleState::Reopened) && from != to);
                update
                    .execute(params![
                        prior.id,
                        finding.rule_id,
                        finding.resource_id,
                        finding.resource_type,
                        finding.region,
                        finding.severity,
                        finding.title,
                        finding.caf_component,
                        finding.waf_area,
                        epics,
                        finding.status,
                        to,
                        SqlTime(seen_at),
                        failed_at,
                        reopened,
                        scan_id.0,
                        last_error,
                        body
                    ])
                    .map_err(db.sql(OP, "findings"))?;
                if prior.epics != epics {
                    write_epics(db, prior.id, &finding.epics, true)?;
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
            outbox::insert(db, OP, &make_events(&transition), events_at)?;
            transitions.push(transition);
        }
    }

    // Resolution by absence: an open finding the scan did not report, on a resource the
    // scan did not see. Sorted by row id so the order of transitions (and of events) is
    // the same on every run.
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
    let mut resolve = db
        .conn
        .prepare_cached("UPDATE findings SET state = 'RESOLVED', resolved_at = ?2 WHERE id = ?1")
        .map_err(db.sql(OP, "findings"))?;
    for (uid, s) in gone {
        resolve
            .execute(params![s.id, SqlTime(seen_at)])
            .map_err(db.sql(OP, "findings"))?;
        let row = get(db, account, uid)?.ok_or_else(|| StoreError::InvalidInput {
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
        outbox::insert(db, OP, &make_events(&transition), events_at)?;
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

/// Rejects input that would make the outcome depend on the order of findings: another
/// account's finding, or the same uid twice. Returns the reported uids.
pub(crate) fn check_input<'f>(
    account: &str,
    findings: &'f [FindingRecord],
) -> Result<HashSet<&'f str>, StoreError> {
    let mut uids = HashSet::with_capacity(findings.len());
    for finding in findings {
        if finding.account != account {
            return Err(StoreError::InvalidInput {
                operation: "record_results",
                message: format!(
                    "finding {} is of account {}, not {account}",
                    finding.uid, finding.account
                ),
            });
        }
        if finding.uid.is_empty() {
            return Err(StoreError::InvalidInput {
                operation: "record_results",
                message: format!("a finding of rule {} has an empty uid", finding.rule_id),
            });
        }
        if !uids.insert(finding.uid.as_str()) {
            return Err(StoreError::InvalidInput {
                operation: "record_results",
                message: format!("finding {} is reported twice", finding.uid),
            });
        }
    }
    Ok(uids)
}

fn load_stored(db: Db<'_>, account: &str) -> Result<HashMap<String, Stored>, StoreError> {
    db.conn
        .prepare_cached(
            "SELECT uid, id, state, result, first_failed_at IS NOT NULL, epics, resource_id,
                 rule_id, resource_type, region, severity, title, caf_component, waf_area
             FROM findings WHERE account = ?1",
        )
        .and_then(|mut stmt| {
            stmt.query_map([account], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    Stored {
                        id: r.get(1)?,
                        state: r.get(2)?,
                        result: r.get(3)?,
                        failed_before: r.get(4)?,
                        epics: r.get(5)?,
                        resource_id: r.get(6)?,
                        description: [
                            r.get(7)?,
                            r.get(8)?,
                            r.get(9)?,
                            r.get(10)?,
                            r.get(11)?,
                            r.get(12)?,
                            r.get(13)?,
                        ],
                    },
                ))
            })?
            .collect()
        })
        .map_err(db.sql("record_results", "findings"))
}

/// Keeps `finding_epics`, the index behind the epic filter, in step with `epics`.
fn write_epics(
    db: Db<'_>,
    finding_id: i64,
    epics: &[String],
    replace: bool,
) -> Result<(), StoreError> {
    const OP: &str = "record_results";
    if replace {
        db.conn
            .prepare_cached("DELETE FROM finding_epics WHERE finding_id = ?1")
            .and_then(|mut stmt| stmt.execute([finding_id]))
            .map_err(db.sql(OP, "finding_epics"))?;
    }
    let mut insert = db
        .conn
        .prepare_cached("INSERT OR IGNORE INTO finding_epics (finding_id, epic) VALUES (?1, ?2)")
        .map_err(db.sql(OP, "finding_epics"))?;
    for epic in epics {
        insert
            .execute(params![finding_id, epic])
            .map_err(db.sql(OP, "finding_epics"))?;
    }
    Ok(())
}

const COLUMNS: &str = "id, uid, account, rule_id, resource_id, resource_type, region, severity, \
     title, caf_component, waf_area, epics, result, state, first_seen, last_seen, \
     first_failed_at, resolved_at, reopened_count, last_scan_id, last_error, body";

/// A row of `COLUMNS`, with the JSON columns still as text (parsed outside rusqlite so a
/// bad document is reported as JSON, not as a type error).
fn from_row(r: &Row<'_>) -> rusqlite::Result<(i64, FindingRow, String, String)> {
    let row = FindingRow {
        uid: r.get(1)?,
        account: r.get(2)?,
        rule_id: r.get(3)?,
        resource_id: r.get(4)?,
        resource_type: r.get(5)?,
        region: r.get(6)?,
        severity: r.get(7)?,
        title: r.get(8)?,
        caf_component: r.get(9)?,
        waf_area: r.get(10)?,
        epics: Vec::new(),
        result: r.get(12)?,
        state: r.get(13)?,
        first_seen: r.get::<_, SqlTime>(14)?.0,
        last_seen: r.get::<_, SqlTime>(15)?.0,
        first_failed_at: r.get::<_, Option<SqlTime>>(16)?.map(|t| t.0),
        resolved_at: r.get::<_, Option<SqlTime>>(17)?.map(|t| t.0),
        reopened_count: r.get(18)?,
        last_scan_id: ScanId(r.get(19)?),
        last_error: r.get(20)?,
        body: serde_json::Value::Null,
    };
    Ok((r.get(0)?, row, r.get(11)?, r.get(21)?))
}

fn parse_json(
    db: Db<'_>,
    operation: &'static str,
    (id, mut row, epics, body): (i64, FindingRow, String, String),
) -> Result<(i64, FindingRow), StoreError> {
    row.epics = serde_json::from_str(&epics).map_err(db.json(operation, "findings"))?;
    row.body = serde_json::from_str(&body).map_err(db.json(operation, "findings"))?;
    Ok((id, row))
}

pub(crate) fn get(db: Db<'_>, account: &str, uid: &str) -> Result<Option<FindingRow>, StoreError> {
    const OP: &str = "get_finding";
    let raw = db
        .conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM findings WHERE account = ?1 AND uid = ?2"
        ))
        .and_then(|mut stmt| stmt.query_row([account, uid], from_row).optional())
        .map_err(db.sql(OP, "findings"))?;
    raw.map(|raw| parse_json(db, OP, raw).map(|(_, row)| row))
        .transpose()
}

pub(crate) fn list(
    db: Db<'_>,
    filter: &FindingFilter,
    page: &PageRequest,
) -> Result<Page<FindingRow>, StoreError> {
    const OP: &str = "list_findings";
    let limit = page.effective_limit();
    let mut sql = format!("SELECT {COLUMNS} FROM findings WHERE 1 = 1");
    let mut args: Vec<rusqlite::types::Value> = Vec::new();
    let mut bind = |sql: &mut String, clause: &str, value: &str| {
        args.push(value.to_owned().into());
        sql.push_str(&format!(" AND {clause}?{}", args.len()));
    };
    if let Some(account) = &filter.account {
        bind(&mut sql, "account = ", account);
    }
    match filter.status {
        None => {}
        Some(StatusFilter::State(state)) => bind(&mut sql, "state = ", state.as_str()),
        Some(StatusFilter::Result(result)) => bind(&mut sql, "result = ", result.as_str()),
        Some(StatusFilter::Active) => sql.push_str(" AND state IN ('NEW', 'OPEN', 'REOPENED')"),
    }
    if let Some(severity) = &filter.severity {
        bind(&mut sql, "severity = ", severity);
    }
    if let Some(rule_id) = &filter.rule_id {
        bind(&mut sql, "rule_id = ", rule_id);
    }
    if let Some(caf) = &filter.caf_component {
        bind(&mut sql, "caf_component = ", caf);
    }
    if let Some(waf) = &filter.waf_area {
        bind(&mut sql, "waf_area = ", waf);
    }
    if let Some(epic) = &filter.epic {
        bind(
            &mut sql,
            "id IN (SELECT finding_id FROM finding_epics WHERE epic = ",
            epic,
        );
        sql.push(')');
    }
    if let Some(after) = page.after_id(OP)? {
        args.push(after.into());
        sql.push_str(&format!(" AND id > ?{}", args.len()));
    }
    sql.push_str(&format!(" ORDER BY id LIMIT {}", limit + 1));

    let raw = db
        .conn
        .prepare(&sql)
        .and_then(|mut stmt| {
            stmt.query_map(rusqlite::params_from_iter(args.iter()), from_row)?
                .collect::<rusqlite::Result<Vec<_>>>()
        })
        .map_err(db.sql(OP, "findings"))?;
    let rows = raw
        .into_iter()
        .map(|raw| parse_json(db, OP, raw))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_rows(rows, limit))
}
