//! The API's query strings, read into store filters. Kept apart from the handlers (and
//! free of axum) so that `fuzz/` can compile this file as it is and feed it hostile
//! query strings through the same `serde_urlencoded` reading axum's `Query` does.
//! Anything malformed is the caller's error: a message for a 400, never a 500.

use serde::Deserialize;
use vigil_store::{FindingFilter, PageRequest, ScanFilter, StatusFilter};

/// `limit` (default 100) and `after` (the `next` of the previous page). Not a flattened
/// struct: serde cannot read numbers from a query string through `flatten`.
fn page(limit: Option<u32>, after: Option<String>) -> PageRequest {
    PageRequest {
        limit: limit.unwrap_or(100).clamp(1, vigil_store::MAX_PAGE_SIZE),
        after,
    }
}

/// `GET /api/v1/scans`.
#[derive(Debug, Deserialize)]
pub struct ScansQuery {
    pub account: Option<String>,
    pub status: Option<String>,
    pub limit: Option<u32>,
    pub after: Option<String>,
}

impl ScansQuery {
    /// The filter and page this query asks for, or why it cannot be answered.
    pub fn request(self) -> Result<(ScanFilter, PageRequest), String> {
        let status = self
            .status
            .as_deref()
            .map(str::parse)
            .transpose()
            .map_err(|err| format!("status: {err}"))?;
        let filter = ScanFilter {
            account: self.account,
            status,
            trigger: None,
        };
        Ok((filter, page(self.limit, self.after)))
    }
}

/// `GET /api/v1/findings`.
#[derive(Debug, Deserialize)]
pub struct FindingsQuery {
    pub account: Option<String>,
    pub status: Option<String>,
    pub severity: Option<String>,
    pub rule: Option<String>,
    pub caf_component: Option<String>,
    pub waf_area: Option<String>,
    pub epic: Option<String>,
    pub limit: Option<u32>,
    pub after: Option<String>,
}

impl FindingsQuery {
    /// The filter and page this query asks for, or why it cannot be answered.
    pub fn request(self) -> Result<(FindingFilter, PageRequest), String> {
        let status = self
            .status
            .as_deref()
            .map(str::parse::<StatusFilter>)
            .transpose()
            .map_err(|err| format!("status: {err}"))?;
        let filter = FindingFilter {
            account: self.account,
            status,
            severity: self.severity,
            rule_id: self.rule,
            caf_component: self.caf_component,
            waf_area: self.waf_area,
            epic: self.epic,
        };
        Ok((filter, page(self.limit, self.after)))
    }
}

/// `GET /api/v1/scores`.
#[derive(Debug, Deserialize)]
pub struct ScoresQuery {
    pub account: Option<String>,
    /// With `account`: the history of the epic levels (of one epic with `epic`).
    pub history: Option<bool>,
    pub epic: Option<String>,
    pub limit: Option<u32>,
}
