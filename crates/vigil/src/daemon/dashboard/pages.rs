//! The dashboard's pages: each reads the store (through `spawn_blocking`, as the API
//! does) and hands a context to its template. Links carry only ids from the store,
//! query-encoded here; nothing secret is ever put in a URL.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::Value;
use minijinja::value::Serde;
use serde::{Deserialize, Serialize};
use serde_json::json;
use vigil_report::html::segments;
use vigil_store::{
    ChangeFilter, FindingFilter, FindingRow, LifecycleState, PageRequest, ResourceChange,
    ScanFilter, ScanId, ScanRow, StatusFilter,
};

use super::Dashboard;
use super::chart::LineChart;
use super::findings;
use crate::daemon::api::store_call;

/// At most this many findings on one page: the report's script handles 50,000.
const MAX_FINDINGS: usize = 50_000;
/// At most this many changes on the drift page.
const MAX_CHANGES: u32 = 500;

/// A link with a query string, each value encoded.
fn href(path: &str, query: &[(&str, &str)]) -> String {
    let query: Vec<_> = query.iter().filter(|(_, v)| !v.is_empty()).collect();
    if query.is_empty() {
        return path.to_owned();
    }
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in query {
        s.append_pair(k, v);
    }
    format!("{path}?{}", s.finish())
}

fn account_href(account: &str) -> String {
    let mut s = String::from("/accounts/");
    s.extend(form_urlencoded::byte_serialize(account.as_bytes()));
    s
}

fn time(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

fn counts_bar(row: &ScanRow) -> Vec<vigil_report::html::Segment> {
    let c = row.counts;
    segments(&[
        ("fail", "FAIL".into(), c.fail as usize),
        ("error", "ERROR".into(), c.error as usize),
        ("muted", "MUTED".into(), c.muted as usize),
        ("pass", "PASS".into(), c.pass as usize),
    ])
}

/// A scan as the templates show it.
#[derive(Debug, Serialize)]
struct ScanView {
    id: i64,
    href: String,
    account: String,
    account_href: String,
    trigger: &'static str,
    status: &'static str,
    started: String,
    finished: Option<String>,
    seconds: Option<i64>,
    counts: vigil_store::ResultCounts,
    bar: Vec<vigil_report::html::Segment>,
    api_calls: u64,
    error: Option<String>,
    gaps: Vec<vigil_store::GapRecord>,
}

impl From<&ScanRow> for ScanView {
    fn from(row: &ScanRow) -> Self {
        ScanView {
            id: row.id.0,
            href: format!("/scans/{}", row.id.0),
            account: row.account.clone(),
            account_href: account_href(&row.account),
            trigger: row.trigger.as_str(),
            status: row.status.as_str(),
            started: time(row.started_at),
            finished: row.finished_at.map(time),
            seconds: row.finished_at.map(|f| (f - row.started_at).num_seconds()),
            counts: row.counts,
            bar: counts_bar(row),
            api_calls: row.api_calls,
            error: row.error.clone(),
            gaps: row.gaps.clone(),
        }
    }
}

/// One account on the overview.
#[derive(Debug, Serialize)]
struct AccountView {
    account: String,
    href: String,
    findings_href: String,
    drift_href: String,
    latest: Option<ScanView>,
    scans: usize,
    maturity: Option<String>,
    epics: Vec<(String, u8)>,
}

/// `GET /`: every account with its latest scan and maturity, and the recent scans.
pub async fn overview(State(dashboard): State<Arc<Dashboard>>) -> Response {
    let daemon = &dashboard.daemon;
    let scans = store_call(daemon, |s| {
        s.list_scans(
            &ScanFilter::default(),
            &PageRequest {
                limit: vigil_store::MAX_PAGE_SIZE,
                after: None,
            },
        )
    })
    .await;
    let scores = store_call(daemon, |s| s.latest_scores(None)).await;
    let (scans, scores) = match (scans, scores) {
        (Ok(scans), Ok(scores)) => (scans.items, scores),
        (Err(e), _) | (_, Err(e)) => return store_failed(&dashboard, e),
    };
    let mut names: BTreeSet<String> = scans.iter().map(|s| s.account.clone()).collect();
    names.extend(scores.iter().map(|s| s.account.clone()));
    let accounts: Vec<AccountView> = names
        .into_iter()
        .map(|account| {
            let mine: Vec<&ScanRow> = scans.iter().filter(|s| s.account == account).collect();
            let score = scores.iter().find(|s| s.account == account);
            let epics: Vec<(String, u8)> = score
                .map(|s| {
                    s.summary
                        .epic_levels
                        .iter()
                        .map(|(k, v)| (k.clone(), *v))
                        .collect()
                })
                .unwrap_or_default();
            let maturity = (!epics.is_empty()).then(|| {
                let sum: u32 = epics.iter().map(|(_, l)| u32::from(*l)).sum();
                format!("{sum} of {}", epics.len() * 3)
            });
            AccountView {
                href: account_href(&account),
                findings_href: href("/findings", &[("account", &account)]),
                drift_href: href("/drift", &[("account", &account)]),
                latest: mine.first().map(|s| ScanView::from(*s)),
                scans: mine.len(),
                maturity,
                epics,
                account,
            }
        })
        .collect();
    let recent: Vec<ScanView> = scans.iter().take(20).map(ScanView::from).collect();
    dashboard.render(
        StatusCode::OK,
        "dashboard/overview.html",
        Value::from(Serde(json!({
            "title": "Vigil — accounts",
            "accounts": accounts,
            "recent": recent,
            "scanning": daemon.scanning.load(std::sync::atomic::Ordering::SeqCst),
        }))),
        true,
    )
}

fn store_failed(dashboard: &Dashboard, _response: Response) -> Response {
    // The store's error is in the daemon's log (the API path logs nothing more of it
    // than this page shows); the page says what failed, not the SQL.
    tracing::error!("dashboard: a store query failed");
    dashboard.message(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Vigil — store error",
        "The store did not answer this page's query.",
    )
}

/// `GET /accounts/{account}`: maturity and scores over time, and the latest scorecard
/// through the report's own score and maturity sections.
pub async fn account(
    State(dashboard): State<Arc<Dashboard>>,
    Path(account): Path<String>,
) -> Response {
    let daemon = &dashboard.daemon;
    let (a1, a2, a3) = (account.clone(), account.clone(), account.clone());
    let history = store_call(daemon, move |s| s.score_history(&a1, None, 100)).await;
    let scans = store_call(daemon, move |s| {
        s.list_scans(
            &ScanFilter {
                account: Some(a2),
                ..ScanFilter::default()
            },
            &PageRequest {
                limit: 100,
                after: None,
            },
        )
    })
    .await;
    let latest = store_call(daemon, move |s| s.latest_scores(Some(&a3))).await;
    let (mut history, scans, latest) = match (history, scans, latest) {
        (Ok(h), Ok(s), Ok(l)) => (h, s.items, l),
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => return store_failed(&dashboard, e),
    };
    if scans.is_empty() && latest.is_empty() {
        return dashboard.message(
            StatusCode::NOT_FOUND,
            "Vigil — unknown account",
            "The store has no scan of this account.",
        );
    }
    history.reverse();
    let maturity: Vec<(String, f64)> = history
        .iter()
        .filter(|p| !p.epic_levels.is_empty())
        .map(|p| {
            let sum: f64 = p.epic_levels.values().map(|l| f64::from(*l)).sum();
            (time(p.scanned_at), sum / p.epic_levels.len() as f64)
        })
        .collect();
    let pass_rate: Vec<(String, f64)> = scans
        .iter()
        .rev()
        .filter(|s| s.status == vigil_store::ScanStatus::Succeeded)
        .filter(|s| s.counts.pass + s.counts.fail > 0)
        .map(|s| {
            (
                time(s.started_at),
                s.counts.pass as f64 * 100.0 / (s.counts.pass + s.counts.fail) as f64,
            )
        })
        .collect();
    // Each epic's level in the latest scans, oldest first: where maturity moved.
    let recent: Vec<_> = history.iter().rev().take(8).rev().collect();
    let epics: BTreeSet<&String> = recent.iter().flat_map(|p| p.epic_levels.keys()).collect();
    let levels: Vec<(String, Vec<Option<u8>>)> = epics
        .into_iter()
        .map(|e| {
            (
                e.clone(),
                recent
                    .iter()
                    .map(|p| p.epic_levels.get(e).copied())
                    .collect(),
            )
        })
        .collect();
    let columns: Vec<(String, String)> = recent
        .iter()
        .map(|p| (time(p.scanned_at), format!("/scans/{}", p.scan_id.0)))
        .collect();
    // The report's sections read a whole scorecard; a stored one of another shape (an
    // older scorer's) is shown through the charts above only.
    let scorecard = latest
        .first()
        .map(|s| s.scorecard.clone())
        .filter(|s| s.get("caf_components").is_some() && s.get("accounts").is_some());
    dashboard.render(
        StatusCode::OK,
        "dashboard/account.html",
        Value::from(Serde(json!({
            "title": format!("Vigil — account {account}"),
            "account": account,
            "findings_href": href("/findings", &[("account", &account)]),
            "drift_href": href("/drift", &[("account", &account)]),
            "maturity_chart": LineChart::new(&maturity, 3.0, &[0.0, 1.0, 2.0, 3.0], ""),
            "pass_chart": LineChart::new(&pass_rate, 100.0, &[0.0, 50.0, 100.0], "%"),
            "levels": levels,
            "columns": columns,
            "scans": scans.iter().take(20).map(ScanView::from).collect::<Vec<_>>(),
            "has_scorecard": scorecard.is_some(),
            "scorecard": scorecard.unwrap_or(serde_json::Value::Null),
        }))),
        true,
    )
}

/// `?account=&status=` of the findings page.
#[derive(Debug, Deserialize)]
pub struct FindingsParams {
    account: Option<String>,
    status: Option<String>,
}

const TABS: [(&str, &str); 7] = [
    ("", "All"),
    ("ACTIVE", "Active"),
    ("NEW", "New"),
    ("OPEN", "Open"),
    ("REOPENED", "Reopened"),
    ("RESOLVED", "Resolved"),
    ("MUTED", "Muted"),
];

/// `GET /findings`: the stored findings by lifecycle, with the report's filters.
pub async fn findings(
    State(dashboard): State<Arc<Dashboard>>,
    Query(params): Query<FindingsParams>,
) -> Response {
    let account = params.account.filter(|a| !a.is_empty());
    let status_text = params.status.unwrap_or_default().to_ascii_uppercase();
    let status = if status_text.is_empty() {
        None
    } else {
        match status_text.parse::<StatusFilter>() {
            Ok(s) => Some(s),
            Err(message) => {
                return dashboard.message(StatusCode::BAD_REQUEST, "Vigil — findings", &message);
            }
        }
    };
    let filter = FindingFilter {
        account: account.clone(),
        ..FindingFilter::default()
    };
    let rows = store_call(&dashboard.daemon, move |s| {
        let mut rows: Vec<FindingRow> = Vec::new();
        let mut after = None;
        loop {
            let page = s.list_findings(
                &filter,
                &PageRequest {
                    limit: vigil_store::MAX_PAGE_SIZE,
                    after,
                },
            )?;
            rows.extend(page.items);
            match page.next {
                Some(next) if rows.len() < MAX_FINDINGS => after = Some(next),
                _ => break,
            }
        }
        rows.truncate(MAX_FINDINGS);
        Ok(rows)
    })
    .await;
    let rows = match rows {
        Ok(rows) => rows,
        Err(e) => return store_failed(&dashboard, e),
    };
    let mut by_state: BTreeMap<&'static str, usize> = BTreeMap::new();
    for row in &rows {
        *by_state
            .entry(row.state.map_or("none", LifecycleState::as_str))
            .or_default() += 1;
    }
    let tabs: Vec<serde_json::Value> = TABS
        .iter()
        .map(|(value, label)| {
            let count = rows
                .iter()
                .filter(|r| findings::matches(r, value.parse().ok()))
                .count();
            json!({
                "label": label,
                "count": count,
                "on": *value == status_text,
                "href": href("/findings", &[("account", account.as_deref().unwrap_or("")), ("status", *value)]),
            })
        })
        .collect();
    let shown: Vec<FindingRow> = rows
        .into_iter()
        .filter(|r| findings::matches(r, status))
        .collect();
    let data = match findings::data_json(&shown, &dashboard.daemon.pipeline.rules) {
        Ok(data) => data,
        Err(error) => {
            tracing::error!(%error, "dashboard: findings data");
            return dashboard.message(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Vigil — findings",
                "The findings could not be prepared.",
            );
        }
    };
    let lifecycle = segments(&[
        (
            "fail",
            "NEW".into(),
            by_state.get("NEW").copied().unwrap_or(0),
        ),
        (
            "error",
            "REOPENED".into(),
            by_state.get("REOPENED").copied().unwrap_or(0),
        ),
        (
            "muted",
            "OPEN".into(),
            by_state.get("OPEN").copied().unwrap_or(0),
        ),
        (
            "not_applicable",
            "MUTED".into(),
            by_state.get("MUTED").copied().unwrap_or(0),
        ),
        (
            "pass",
            "RESOLVED".into(),
            by_state.get("RESOLVED").copied().unwrap_or(0),
        ),
    ]);
    let title = match &account {
        Some(a) => format!("Vigil — findings of {a}"),
        None => "Vigil — findings".to_owned(),
    };
    dashboard.render_findings(
        Value::from(Serde(json!({
            "title": title,
            "account": account,
            "tabs": tabs,
            "lifecycle": lifecycle,
            "shown": shown.len(),
        }))),
        data,
    )
}

impl Dashboard {
    /// The findings page: its data goes in as a safe string (already escaped for a
    /// `<script>` element), beside the page.
    fn render_findings(&self, page: Value, data: String) -> Response {
        let rendered = self
            .env
            .get_template("dashboard/findings.html")
            .and_then(|t| {
                t.render(minijinja::context! {
                    page => page,
                    csp => super::META_CSP,
                    signed_in => true,
                    lifecycle_filter => true,
                    data => Value::from_safe_string(data),
                })
            });
        match rendered {
            Ok(html) => super::html_response(StatusCode::OK, html),
            Err(error) => {
                tracing::error!(error = %format!("{error:#}"), "dashboard findings page");
                self.message(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Vigil — findings",
                    "The page could not be rendered.",
                )
            }
        }
    }
}

/// `?account=&resource=` of the drift page.
#[derive(Debug, Deserialize)]
pub struct DriftParams {
    account: Option<String>,
    resource: Option<String>,
}

/// One change as the drift page shows it.
#[derive(Debug, Serialize)]
struct ChangeView {
    scan_href: String,
    scan_id: i64,
    detected: String,
    kind: &'static str,
    fields: Vec<(String, String, String)>,
}

/// A resource and its changes, newest first.
#[derive(Debug, Serialize)]
struct ResourceView {
    id: String,
    href: String,
    resource_type: String,
    region: String,
    account: String,
    changes: Vec<ChangeView>,
}

fn value_text(v: Option<&serde_json::Value>) -> String {
    match v {
        None => "—".to_owned(),
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

fn change_view(c: &ResourceChange) -> ChangeView {
    ChangeView {
        scan_href: format!("/scans/{}", c.scan_id.0),
        scan_id: c.scan_id.0,
        detected: time(c.detected_at),
        kind: c.kind.as_str(),
        fields: c
            .fields
            .iter()
            .map(|f| {
                (
                    f.path.clone(),
                    value_text(f.old.as_ref()),
                    value_text(f.new.as_ref()),
                )
            })
            .collect(),
    }
}

/// Changes grouped by resource, the resource with the latest change first.
fn by_resource(changes: &[ResourceChange]) -> Vec<ResourceView> {
    let mut order: Vec<String> = Vec::new();
    let mut groups: BTreeMap<String, ResourceView> = BTreeMap::new();
    for c in changes {
        let key = format!("{}\u{0}{}", c.account, c.resource_id);
        let group = groups.entry(key.clone()).or_insert_with(|| {
            order.push(key);
            ResourceView {
                id: c.resource_id.clone(),
                href: href(
                    "/drift",
                    &[("account", &c.account), ("resource", &c.resource_id)],
                ),
                resource_type: c.resource_type.clone(),
                region: c.region.clone(),
                account: c.account.clone(),
                changes: Vec::new(),
            }
        });
        group.changes.push(change_view(c));
    }
    order
        .into_iter()
        .filter_map(|k| groups.remove(&k))
        .collect()
}

/// `GET /drift`: changes between scans, per resource.
pub async fn drift(
    State(dashboard): State<Arc<Dashboard>>,
    Query(params): Query<DriftParams>,
) -> Response {
    let filter = ChangeFilter {
        account: params.account.clone().filter(|a| !a.is_empty()),
        resource_id: params.resource.clone().filter(|r| !r.is_empty()),
        since: None,
    };
    let changes = store_call(&dashboard.daemon, move |s| {
        s.list_changes(
            &filter,
            &PageRequest {
                limit: MAX_CHANGES,
                after: None,
            },
        )
    })
    .await;
    let changes = match changes {
        Ok(page) => page.items,
        Err(e) => return store_failed(&dashboard, e),
    };
    let resources = by_resource(&changes);
    let all_href = href(
        "/drift",
        &[("account", params.account.as_deref().unwrap_or(""))],
    );
    dashboard.render(
        StatusCode::OK,
        "dashboard/drift.html",
        Value::from(Serde(json!({
            "title": "Vigil — drift",
            "account": params.account,
            "resource": params.resource,
            "changes": changes.len(),
            "resources": resources,
            "all_href": all_href,
        }))),
        true,
    )
}

/// `GET /scans/{id}`: one scan, its gaps and the changes it saw.
pub async fn scan(State(dashboard): State<Arc<Dashboard>>, Path(id): Path<String>) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return dashboard.message(StatusCode::NOT_FOUND, "Vigil — scan", "No such scan.");
    };
    let row = match store_call(&dashboard.daemon, move |s| s.get_scan(ScanId(id))).await {
        Ok(Some(row)) => row,
        Ok(None) => {
            return dashboard.message(
                StatusCode::NOT_FOUND,
                "Vigil — scan",
                "No such scan (it may have been pruned).",
            );
        }
        Err(e) => return store_failed(&dashboard, e),
    };
    let filter = ChangeFilter {
        account: Some(row.account.clone()),
        resource_id: None,
        since: Some(row.started_at),
    };
    let changes = match store_call(&dashboard.daemon, move |s| {
        s.list_changes(
            &filter,
            &PageRequest {
                limit: MAX_CHANGES,
                after: None,
            },
        )
    })
    .await
    {
        Ok(page) => page.items,
        Err(e) => return store_failed(&dashboard, e),
    };
    let changes: Vec<ResourceChange> = changes.into_iter().filter(|c| c.scan_id.0 == id).collect();
    let view = ScanView::from(&row);
    dashboard.render(
        StatusCode::OK,
        "dashboard/scan.html",
        Value::from(Serde(json!({
            "title": format!("Vigil — scan {id}"),
            "scan": view,
            "findings_href": href("/findings", &[("account", &row.account)]),
            "drift_href": href("/drift", &[("account", &row.account)]),
            "resources": by_resource(&changes),
            "changes": changes.len(),
            "resource": null,
        }))),
        true,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_encode_their_values() {
        assert_eq!(
            href(
                "/drift",
                &[("account", "1"), ("resource", "arn:aws:s3:::a b&c")]
            ),
            "/drift?account=1&resource=arn%3Aaws%3As3%3A%3A%3Aa+b%26c"
        );
        assert_eq!(
            href("/findings", &[("account", ""), ("status", "")]),
            "/findings"
        );
        assert_eq!(account_href("a/b"), "/accounts/a%2Fb");
    }
}
