//! The many-row writes of `record_results` as one statement each, over arrays.
//!
//! Row by row, a scan of an account with a few hundred findings costs a few hundred
//! round trips to the server for the findings seen unchanged (the common case of a
//! rescan: only `last_seen`, the scan and the body change) and as many again for the
//! findings seen for the first time (their row and their epics). The fleet benchmark
//! (`benches/fleet`) showed those round trips, not the server's work, to be the cost;
//! `unnest` over parallel arrays makes each kind one statement. Rows are inserted in
//! the order the scan reported them (`WITH ORDINALITY … ORDER BY`), so ids, which
//! order the findings in the API, come out as row-by-row inserts would give them.

use chrono::{DateTime, Utc};

use super::Pg;
use crate::error::StoreError;
use crate::findings::FindingRecord;
use crate::scans::ScanId;

const OP: &str = "record_results";

/// Findings seen unchanged, to touch together: id, last error, body.
#[derive(Default)]
pub(crate) struct Touches {
    ids: Vec<i64>,
    errors: Vec<Option<String>>,
    bodies: Vec<String>,
}

impl Touches {
    pub fn push(&mut self, id: i64, last_error: Option<String>, body: String) {
        self.ids.push(id);
        self.errors.push(last_error);
        self.bodies.push(body);
    }

    /// One UPDATE for all of them.
    pub fn write(
        self,
        pg: &mut Pg<'_, '_>,
        seen_at: DateTime<Utc>,
        scan_id: ScanId,
    ) -> Result<(), StoreError> {
        if self.ids.is_empty() {
            return Ok(());
        }
        pg.execute(
            OP,
            "findings",
            "UPDATE findings AS f SET last_seen = $2, last_scan_id = $3, last_error = t.last_error,
                 body = t.body
             FROM unnest($1::bigint[], $4::text[], $5::text[]) AS t(id, last_error, body)
             WHERE f.id = t.id",
            &[&self.ids, &seen_at, &scan_id.0, &self.errors, &self.bodies],
        )?;
        Ok(())
    }
}

/// Findings seen for the first time, to insert together with their epics.
#[derive(Default)]
pub(crate) struct Inserts {
    uids: Vec<String>,
    rule_ids: Vec<String>,
    resource_ids: Vec<String>,
    resource_types: Vec<String>,
    regions: Vec<String>,
    severities: Vec<String>,
    titles: Vec<String>,
    caf_components: Vec<String>,
    waf_areas: Vec<String>,
    epics: Vec<String>,
    results: Vec<String>,
    states: Vec<Option<String>>,
    failed_at: Vec<Option<DateTime<Utc>>>,
    errors: Vec<Option<String>>,
    bodies: Vec<String>,
    /// (position in this batch, epic), for `finding_epics`.
    epic_rows: Vec<(i64, String)>,
}

/// What one new finding's row holds besides its record: the serialized epics, the
/// state, when it failed, its last error and body.
pub(crate) struct NewRow {
    pub epics: String,
    pub state: Option<&'static str>,
    pub failed_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub body: String,
}

impl Inserts {
    pub fn push(&mut self, f: &FindingRecord, row: NewRow) {
        let position = self.uids.len() as i64 + 1;
        self.epic_rows
            .extend(f.epics.iter().map(|e| (position, e.clone())));
        self.uids.push(f.uid.clone());
        self.rule_ids.push(f.rule_id.clone());
        self.resource_ids.push(f.resource_id.clone());
        self.resource_types.push(f.resource_type.clone());
        self.regions.push(f.region.clone());
        self.severities.push(f.severity.clone());
        self.titles.push(f.title.clone());
        self.caf_components.push(f.caf_component.clone());
        self.waf_areas.push(f.waf_area.clone());
        self.epics.push(row.epics);
        self.results.push(f.status.as_str().to_owned());
        self.states.push(row.state.map(str::to_owned));
        self.failed_at.push(row.failed_at);
        self.errors.push(row.last_error);
        self.bodies.push(row.body);
    }

    /// One INSERT for the rows, in order, and one for their epics.
    pub fn write(
        self,
        pg: &mut Pg<'_, '_>,
        account: &str,
        seen_at: DateTime<Utc>,
        scan_id: ScanId,
    ) -> Result<(), StoreError> {
        if self.uids.is_empty() {
            return Ok(());
        }
        pg.execute(
            OP,
            "findings",
            "INSERT INTO findings (account, uid, rule_id, resource_id, resource_type, region,
                 severity, title, caf_component, waf_area, epics, result, state, first_seen,
                 last_seen, first_failed_at, resolved_at, reopened_count, last_scan_id,
                 last_error, body)
             SELECT $1, uid, rule_id, resource_id, resource_type, region, severity, title,
                 caf_component, waf_area, epics, result, state, $2, $2, failed_at, NULL, 0, $3,
                 last_error, body
             FROM unnest($4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
                 $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[],
                 $15::text[], $16::timestamptz[], $17::text[], $18::text[])
                 WITH ORDINALITY AS t(uid, rule_id, resource_id, resource_type, region,
                     severity, title, caf_component, waf_area, epics, result, state,
                     failed_at, last_error, body, position)
             ORDER BY position",
            &[
                &account,
                &seen_at,
                &scan_id.0,
                &self.uids,
                &self.rule_ids,
                &self.resource_ids,
                &self.resource_types,
                &self.regions,
                &self.severities,
                &self.titles,
                &self.caf_components,
                &self.waf_areas,
                &self.epics,
                &self.results,
                &self.states,
                &self.failed_at,
                &self.errors,
                &self.bodies,
            ],
        )?;
        if self.epic_rows.is_empty() {
            return Ok(());
        }
        // The new rows' ids, by their (account, uid), in the database.
        let (positions, epics): (Vec<i64>, Vec<String>) = self.epic_rows.into_iter().unzip();
        pg.execute(
            OP,
            "finding_epics",
            "INSERT INTO finding_epics (finding_id, epic)
             SELECT f.id, e.epic
             FROM unnest($2::bigint[], $3::text[]) AS e(position, epic)
             JOIN unnest($4::text[]) WITH ORDINALITY AS u(uid, position) USING (position)
             JOIN findings f ON f.account = $1 AND f.uid = u.uid
             ON CONFLICT DO NOTHING",
            &[&account, &positions, &epics, &self.uids],
        )?;
        Ok(())
    }
}
