//! The diff as terminal tables: a heading with both scans and the counts, then one
//! table per kind of change, each cut to `rows` lines (the JSON output has them all).

use comfy_table::{Cell, ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};
use serde_json::Value;

use super::json::FieldChange;
use super::{FindingDelta, FindingState, ResourceEntry, ScanDiff};

/// Longest text one cell shows (comfy-table's layout cost grows fast with cell length).
const MAX_CELL_CHARS: usize = 120;

fn table(header: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_style(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(140)
        .set_header(header.iter().map(Cell::new));
    t
}

fn clip(text: &str) -> String {
    match text.char_indices().nth(MAX_CELL_CHARS) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}

fn add_row(t: &mut Table, cells: Vec<String>) {
    t.add_row(cells.into_iter().map(|c| clip(&c)));
}

fn state(s: Option<&FindingState>) -> String {
    match s {
        None => "—".to_owned(),
        Some(s) => match s.muted_status {
            Some(under) => format!("MUTED ({under})"),
            None => s.status.to_string(),
        },
    }
}

fn value(v: Option<&Value>) -> String {
    match v {
        None => "(absent)".to_owned(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

fn field(c: &FieldChange) -> String {
    format!(
        "{}: {} → {}",
        c.path,
        value(c.old.as_ref()),
        value(c.new.as_ref())
    )
}

/// Appends `t`, or only the first `rows` rows of `items` and how many were left out.
fn section<T>(
    out: &mut String,
    title: &str,
    items: &[T],
    rows: usize,
    header: &[&str],
    row: impl Fn(&T) -> Vec<String>,
) {
    if items.is_empty() {
        return;
    }
    out.push_str(&format!("\n{title} ({})\n", items.len()));
    let mut t = table(header);
    for item in items.iter().take(rows) {
        add_row(&mut t, row(item));
    }
    out.push_str(&t.to_string());
    out.push('\n');
    if items.len() > rows {
        out.push_str(&format!(
            "… and {} more (--rows, or --format json for all)\n",
            items.len() - rows
        ));
    }
}

fn finding_row(f: &FindingDelta, last: String) -> Vec<String> {
    vec![
        f.severity.to_string(),
        f.rule.clone(),
        format!("{} ({})", f.resource, f.region),
        format!("{} → {}", state(f.old.as_ref()), state(f.new.as_ref())),
        last,
    ]
}

fn resource_row(r: &ResourceEntry) -> Vec<String> {
    vec![
        r.resource_type.clone(),
        r.id.clone(),
        format!("{} / {}", r.account, r.region),
        r.why.clone().unwrap_or_default(),
    ]
}

fn level(v: Option<u8>) -> String {
    v.map_or_else(|| "—".to_owned(), |l| l.to_string())
}

fn score(v: Option<f64>) -> String {
    v.map_or_else(|| "—".to_owned(), |s| format!("{s:.1}"))
}

/// The whole diff as text.
pub fn render(diff: &ScanDiff, rows: usize) -> String {
    let s = &diff.summary;
    let mut out = format!(
        "vigil diff: OLD {} ({}) → NEW {} ({})\naccounts compared: {}\n",
        diff.old.scan_id,
        diff.old.finished_at.format("%Y-%m-%d %H:%M:%SZ"),
        diff.new.scan_id,
        diff.new.finished_at.format("%Y-%m-%d %H:%M:%SZ"),
        diff.accounts.common.join(", "),
    );
    for note in &diff.notes {
        out.push_str(&format!("note: {note}\n"));
    }
    out.push_str(&format!(
        "findings: {} new, {} resolved, {} changed, {} not evaluated, {} unchanged\n",
        s.new, s.resolved, s.changed, s.not_evaluated, s.unchanged
    ));
    if diff.resources.is_some() {
        out.push_str(&format!(
            "resources: {} added, {} removed, {} modified, {} not seen by NEW\n",
            s.resources_added, s.resources_removed, s.resources_modified, s.resources_not_seen
        ));
    }
    let f = &diff.findings;
    let header = |last| ["Severity", "Rule", "Resource", "Status", last];
    section(
        &mut out,
        "New failures",
        &f.new,
        rows,
        &header("Title"),
        |d| finding_row(d, d.title.clone()),
    );
    section(
        &mut out,
        "Resolved",
        &f.resolved,
        rows,
        &header("Why"),
        |d| finding_row(d, d.why.clone().unwrap_or_default()),
    );
    section(
        &mut out,
        "Changed",
        &f.changed,
        rows,
        &header("What changed"),
        |d| {
            let mut what = d.aspects.join(", ");
            if let (Some(a), Some(b)) = (&d.old, &d.new)
                && a.severity != b.severity
            {
                what.push_str(&format!("\nseverity: {} → {}", a.severity, b.severity));
            }
            for c in &d.evidence {
                what.push('\n');
                what.push_str(&field(c));
            }
            finding_row(d, what)
        },
    );
    section(
        &mut out,
        "Not evaluated by NEW (not judged resolved)",
        &f.not_evaluated,
        rows,
        &header("Why"),
        |d| finding_row(d, d.why.clone().unwrap_or_default()),
    );
    if let Some(r) = &diff.resources {
        let header = ["Type", "Resource", "Account / region", "Note"];
        section(
            &mut out,
            "Resources added",
            &r.added,
            rows,
            &header,
            resource_row,
        );
        section(
            &mut out,
            "Resources removed",
            &r.removed,
            rows,
            &header,
            resource_row,
        );
        section(
            &mut out,
            "Resources modified",
            &r.modified,
            rows,
            &[
                "Type",
                "Resource",
                "Account / region",
                "Changed (old → new)",
            ],
            |e| {
                let mut row = resource_row(e);
                row[3] = e.fields.iter().map(field).collect::<Vec<_>>().join("\n");
                row
            },
        );
        section(
            &mut out,
            "Resources not seen by NEW (not judged removed)",
            &r.not_seen,
            rows,
            &header,
            resource_row,
        );
    }
    let sc = &diff.scores;
    section(
        &mut out,
        "Epic maturity",
        &sc.epics,
        rows,
        &["Account", "Epic", "Old", "New"],
        |c| {
            vec![
                c.account.clone(),
                c.title.clone(),
                level(c.old),
                level(c.new),
            ]
        },
    );
    section(
        &mut out,
        "Key security enablers",
        &sc.enablers,
        rows,
        &["Account", "Enabler", "Old", "New"],
        |c| {
            let dash = || "—".to_owned();
            vec![
                c.account.clone(),
                c.title.clone(),
                c.old.clone().unwrap_or_else(dash),
                c.new.clone().unwrap_or_else(dash),
            ]
        },
    );
    let areas: Vec<(&str, &super::AreaChange)> = sc
        .caf_components
        .iter()
        .map(|a| ("CAF", a))
        .chain(sc.waf_areas.iter().map(|a| ("WAF", a)))
        .collect();
    section(
        &mut out,
        "Scores",
        &areas,
        rows,
        &["", "Area", "Old", "New"],
        |(kind, a)| {
            vec![
                (*kind).to_owned(),
                a.name.clone(),
                score(a.old),
                score(a.new),
            ]
        },
    );
    if !diff.has_changes() {
        out.push_str("\nno changes\n");
    }
    out
}
