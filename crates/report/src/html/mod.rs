//! The HTML report: one self-contained file that works offline. Styles, script and
//! charts (SVG) are inline; nothing is fetched, and a Content-Security-Policy in the
//! page forbids any fetch at all, so a report opened from a mail attachment cannot
//! call out. The page is rendered from minijinja templates with autoescape on: finding
//! text comes from AWS resource names and tags, which whoever can tag a resource
//! controls.
//!
//! Findings travel as one JSON document in a `<script type="application/json">`
//! (with `<`, `>` and `&` escaped, so no string in it can close the element) and a
//! small script pages, filters and searches them in the browser, building every cell
//! with `textContent`: 50,000 findings stay one file and one DOM of a hundred rows.
//!
//! The layout (`base.html`), the partials and the assets are shared with the daemon's
//! dashboard: [`environment`] holds them all, and [`ASSETS`] lets a server hand out
//! the stylesheet and script as files instead of inline.

use std::borrow::Borrow;
use std::io::Write;

use base64::Engine as _;
use minijinja::value::Serde;
use minijinja::{Environment, Value, context};
use serde::Serialize;
use sha2::{Digest, Sha256};
use thiserror::Error;
use vigil_rules::{Finding, RuleFile, Severity, Status};
use vigil_score::Scorecard;

use crate::compliance::{FrameworkReport, RequirementStatus};
use crate::ocsf::ScanInfo;
use crate::saved::{ScanFacts, service_of};

/// The report's stylesheet (screen and print).
pub const STYLESHEET: &str = include_str!("../../templates/assets/vigil.css");
/// The script that pages, filters and opens findings.
pub const SCRIPT: &str = include_str!("../../templates/assets/report.js");

/// The static assets by file name, for a server that serves them instead of inlining.
pub const ASSETS: [(&str, &str); 2] = [("vigil.css", STYLESHEET), ("report.js", SCRIPT)];

/// Templates by name: the layout, the report page and the partials a dashboard reuses.
const TEMPLATES: [(&str, &str); 9] = [
    ("base.html", include_str!("../../templates/base.html")),
    ("macros.html", include_str!("../../templates/macros.html")),
    ("report.html", include_str!("../../templates/report.html")),
    (
        "partials/scan.html",
        include_str!("../../templates/partials/scan.html"),
    ),
    (
        "partials/scores.html",
        include_str!("../../templates/partials/scores.html"),
    ),
    (
        "partials/maturity.html",
        include_str!("../../templates/partials/maturity.html"),
    ),
    (
        "partials/compliance.html",
        include_str!("../../templates/partials/compliance.html"),
    ),
    (
        "partials/findings.html",
        include_str!("../../templates/partials/findings.html"),
    ),
    (
        "partials/inventory.html",
        include_str!("../../templates/partials/inventory.html"),
    ),
];

/// Why the report could not be written.
#[derive(Debug, Error)]
pub enum HtmlError {
    #[error("HTML template: {0:#}")]
    Template(#[from] minijinja::Error),
    #[error("HTML report data: {0}")]
    Json(#[from] serde_json::Error),
    #[error("writing the HTML report: {0}")]
    Io(#[from] std::io::Error),
}

/// Every template, with autoescape for `.html` (minijinja's default) and undefined
/// variables as errors, so a renamed context field fails a test instead of printing
/// nothing.
pub fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    for (name, source) in TEMPLATES {
        // The templates are compiled in and a test renders them all: a syntax error
        // cannot reach a user.
        if let Err(error) = env.add_template(name, source) {
            tracing::error!(template = name, %error, "built-in template does not parse");
        }
    }
    env
}

/// What the report is made of.
#[derive(Debug, Clone, Copy)]
pub struct HtmlInput<'a> {
    pub scan: &'a ScanInfo,
    pub facts: &'a ScanFacts,
    pub findings: &'a [Finding],
    pub scorecard: &'a Scorecard,
    pub compliance: &'a [FrameworkReport],
}

/// One segment of a stacked bar, in percent of the bar (the `stacked_bar` macro's
/// input).
#[derive(Debug, Clone, Serialize)]
pub struct Segment {
    pub class: &'static str,
    pub label: String,
    pub count: usize,
    pub x: f64,
    pub width: f64,
}

/// The segments of a stacked bar over `(class, label, count)` parts; empty parts are
/// left out.
pub fn segments(parts: &[(&'static str, String, usize)]) -> Vec<Segment> {
    let total: usize = parts.iter().map(|(_, _, n)| n).sum();
    let mut x = 0.0;
    parts
        .iter()
        .filter(|(_, _, n)| *n > 0)
        .map(|(class, label, count)| {
            let width = *count as f64 * 100.0 / total as f64;
            let s = Segment {
                class,
                label: label.clone(),
                count: *count,
                x: (x * 100.0_f64).round() / 100.0,
                width: (width * 100.0_f64).round() / 100.0,
            };
            x += width;
            s
        })
        .collect()
}

#[derive(Debug, Serialize)]
struct SeverityRow {
    severity: &'static str,
    total: usize,
    segments: Vec<Segment>,
}

#[derive(Debug, Serialize)]
struct Totals {
    findings: usize,
    pass: usize,
    fail: usize,
    error: usize,
    muted: usize,
    with_attack_path: usize,
    segments: Vec<Segment>,
}

#[derive(Debug, Serialize)]
struct FrameworkView<'a> {
    report: &'a FrameworkReport,
    segments: Vec<Segment>,
}

/// The template context. Field names are the templates' vocabulary.
#[derive(Debug, Serialize)]
struct Page<'a> {
    title: String,
    scan: &'a ScanInfo,
    facts: &'a ScanFacts,
    totals: Totals,
    by_severity: Vec<SeverityRow>,
    scorecard: &'a Scorecard,
    compliance: Vec<FrameworkView<'a>>,
}

const STATUS_ORDER: [Status; 4] = [Status::Fail, Status::Error, Status::Muted, Status::Pass];

/// The texts of a finding's attack path: evidence properties that graph helpers
/// record as a path (`…_path_text`, hop by hop) or an escalation path.
pub fn attack_path(finding: &Finding) -> Vec<String> {
    path_texts(
        finding
            .evidence
            .properties()
            .into_iter()
            .filter(|(k, _)| is_path(k))
            .map(|(k, v)| (k, v.to_json())),
    )
}

/// Is this evidence property a path a graph helper recorded?
fn is_path(key: &str) -> bool {
    key.ends_with("_path_text") || key.ends_with("escalation_path")
}

/// The attack path texts among evidence properties, for a caller (the dashboard)
/// that holds the evidence as stored JSON rather than a [`Finding`].
pub fn path_texts<K: AsRef<str>, V: Borrow<serde_json::Value>>(
    properties: impl IntoIterator<Item = (K, V)>,
) -> Vec<String> {
    properties
        .into_iter()
        .filter(|(k, _)| is_path(k.as_ref()))
        .filter_map(|(_, v)| match v.borrow() {
            serde_json::Value::Null => None,
            serde_json::Value::String(s) => Some(s.clone()),
            serde_json::Value::Array(items) => Some(
                items
                    .iter()
                    .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_owned))
                    .collect::<Vec<_>>()
                    .join("\n"),
            ),
            other => serde_json::to_string_pretty(other).ok(),
        })
        .filter(|s| !s.trim().is_empty())
        .collect()
}

/// A rule as the findings script reads it (`rules[i]` in the data document): the
/// report and the dashboard give the script the same shape.
pub fn rule_json(r: &RuleFile) -> serde_json::Value {
    serde_json::json!({
        "id": r.id,
        "title": r.title,
        "severity": r.severity.as_str(),
        "description": r.description,
        "rationale": r.rationale,
        "caf": r.caf.component.as_str(),
        "capability": r.caf.capability,
        "waf": r.waf.area.title(),
        "practice": r.waf.practice,
        "epics": r.epics.iter().map(|e| e.title()).collect::<Vec<_>>(),
        "cis": {
            "v3": r.compliance.cis_aws_v3,
            "v4": r.compliance.cis_aws_v4,
            "v5": r.compliance.cis_aws_v5,
        },
        "fsbp": r.compliance.fsbp,
        "remediation": r.remediation,
        "references": r.references,
    })
}

/// The findings as the script reads them: rules once, findings by index into them,
/// worst first (FAIL, ERROR, MUTED, PASS; attack paths first; then by severity).
fn findings_json(findings: &[Finding]) -> Result<String, serde_json::Error> {
    use serde_json::{Map, Value as J, json};
    let mut rule_index: std::collections::HashMap<&str, usize> = Default::default();
    let mut rules: Vec<&RuleFile> = Vec::new();
    // Within a status, failures with an attack path lead: they show how, not only that.
    let mut order: Vec<(&Finding, Vec<String>)> =
        findings.iter().map(|f| (f, attack_path(f))).collect();
    let rank = |s: Status| STATUS_ORDER.iter().position(|x| *x == s).unwrap_or(0);
    order.sort_by(|(a, pa), (b, pb)| {
        rank(a.status)
            .cmp(&rank(b.status))
            .then(pa.is_empty().cmp(&pb.is_empty()))
            .then(b.rule.severity.cmp(&a.rule.severity))
            .then(a.rule.id.cmp(&b.rule.id))
            .then(a.resource.id.cmp(&b.resource.id))
    });
    let rows: Vec<J> = order
        .iter()
        .map(|(f, path)| {
            let r = *rule_index.entry(f.rule.id.as_str()).or_insert_with(|| {
                rules.push(&f.rule);
                rules.len() - 1
            });
            let mut row = Map::new();
            row.insert("r".into(), json!(r));
            row.insert("s".into(), json!(f.status.as_str()));
            row.insert("id".into(), json!(f.resource.id));
            if let Some(name) = &f.resource.name {
                row.insert("n".into(), json!(name));
            }
            row.insert("t".into(), json!(f.resource.resource_type));
            row.insert("sv".into(), json!(service_of(&f.resource.resource_type)));
            row.insert("a".into(), json!(f.resource.account));
            row.insert("g".into(), json!(f.resource.region));
            if !f.resource.tags.is_empty() {
                row.insert("tg".into(), json!(f.resource.tags));
            }
            if let Some(reason) = &f.reason {
                row.insert("rs".into(), json!(reason));
            }
            if let Some(m) = f.muted_status {
                row.insert("ms".into(), json!(m.as_str()));
            }
            if !path.is_empty() {
                row.insert("p".into(), json!(path));
            }
            row.insert("ev".into(), serde_json::to_value(&f.evidence)?);
            Ok(J::Object(row))
        })
        .collect::<Result<_, serde_json::Error>>()?;
    let rules: Vec<J> = rules.iter().map(|r| rule_json(r)).collect();
    let text = serde_json::to_string(&json!({ "rules": rules, "findings": rows }))?;
    Ok(script_safe(&text))
}

/// JSON that can sit inside a `<script>` element: `<`, `>` and `&` only occur inside
/// JSON strings, where their `\u` escapes mean the same, and without them no
/// `</script>` or `<!--` can end the element early.
pub fn script_safe(json: &str) -> String {
    let mut out = String::with_capacity(json.len() + json.len() / 50);
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

/// `'sha256-…'` of an inline element's text, for the Content-Security-Policy: the
/// browser runs that script and applies that stylesheet and nothing else inline.
fn csp_hash(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

fn page<'a>(input: &HtmlInput<'a>) -> Page<'a> {
    let count = |s: Status| input.findings.iter().filter(|f| f.status == s).count();
    let (pass, fail, error, muted) = (
        count(Status::Pass),
        count(Status::Fail),
        count(Status::Error),
        count(Status::Muted),
    );
    let status_parts = |pass, fail, error, muted| {
        segments(&[
            ("fail", "FAIL".into(), fail),
            ("error", "ERROR".into(), error),
            ("muted", "MUTED".into(), muted),
            ("pass", "PASS".into(), pass),
        ])
    };
    let by_severity = Severity::ALL
        .iter()
        .map(|&s| {
            let of = |st: Status| {
                input
                    .findings
                    .iter()
                    .filter(|f| f.rule.severity == s && f.status == st)
                    .count()
            };
            let (p, f, e, m) = (
                of(Status::Pass),
                of(Status::Fail),
                of(Status::Error),
                of(Status::Muted),
            );
            SeverityRow {
                severity: s.as_str(),
                total: p + f + e + m,
                segments: status_parts(p, f, e, m),
            }
        })
        .collect();
    let compliance = input
        .compliance
        .iter()
        .map(|report| FrameworkView {
            report,
            segments: segments(
                &RequirementStatus::ALL
                    .iter()
                    .map(|s| {
                        (
                            s.as_str(),
                            s.as_str().replace('_', " "),
                            report.totals.get(s).copied().unwrap_or(0),
                        )
                    })
                    .collect::<Vec<_>>(),
            ),
        })
        .collect();
    let accounts = if input.facts.accounts.is_empty() {
        String::new()
    } else {
        format!(" — {}", input.facts.accounts.join(", "))
    };
    Page {
        title: format!("Vigil report{accounts}"),
        scan: input.scan,
        facts: input.facts,
        totals: Totals {
            findings: input.findings.len(),
            pass,
            fail,
            error,
            muted,
            with_attack_path: input
                .findings
                .iter()
                .filter(|f| f.status == Status::Fail && !attack_path(f).is_empty())
                .count(),
            segments: status_parts(pass, fail, error, muted),
        },
        by_severity,
        scorecard: input.scorecard,
        compliance,
    }
}

/// Renders the report to a string.
pub fn render_html(input: &HtmlInput<'_>) -> Result<String, HtmlError> {
    let env = environment();
    let template = env.get_template("report.html")?;
    let data = findings_json(input.findings)?;
    let csp = format!(
        "default-src 'none'; style-src {}; script-src {}; img-src data:; base-uri 'none'; form-action 'none'",
        csp_hash(STYLESHEET),
        csp_hash(SCRIPT)
    );
    let html = template.render(context! {
        page => Value::from(Serde(page(input))),
        csp => csp,
        styles => Value::from_safe_string(STYLESHEET.to_owned()),
        script => Value::from_safe_string(SCRIPT.to_owned()),
        data => Value::from_safe_string(data),
    })?;
    Ok(html)
}

/// Renders the report and writes it.
pub fn write_html(mut w: impl Write, input: &HtmlInput<'_>) -> Result<(), HtmlError> {
    let started = std::time::Instant::now();
    let html = render_html(input)?;
    w.write_all(html.as_bytes())?;
    w.flush()?;
    tracing::info!(
        findings = input.findings.len(),
        bytes = html.len(),
        millis = started.elapsed().as_millis() as u64,
        "HTML report written"
    );
    Ok(())
}

#[cfg(test)]
mod tests;
