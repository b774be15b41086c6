//! The terminal summary: findings by severity, the worst failures, what could not be
//! seen, the CAF/WAF scorecard, and each account's epic maturity with one line of next
//! step each.

use comfy_table::{Cell, ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};
use vigil_rules::{Finding, Severity, Status};
use vigil_score::{AreaScore, EnablerStatus, Scorecard};

/// Facts about the scan that the findings do not carry.
#[derive(Debug, Clone, Default)]
pub struct SummaryInfo {
    pub resources: usize,
    pub rules: usize,
    pub evaluations: usize,
    /// Collection gaps, one line each.
    pub gaps: Vec<String>,
    /// What the scan covered, per account (empty for a snapshot that does not say).
    pub coverage: Vec<crate::coverage::AccountCoverage>,
    /// Evaluations not made because their service was left out of the scan.
    pub excluded_evaluations: usize,
    /// Expired mutelist entries, one line each.
    pub expired_mutes: Vec<String>,
    /// How many failures to list by name.
    pub top_failures: usize,
}

fn table(header: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_style(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(120)
        .set_header(header.iter().map(Cell::new));
    t
}

/// Longest text one table cell shows. comfy-table's layout costs grow faster than the
/// length of a cell (a 1 MB resource name took 43 s), and no terminal shows more.
const MAX_CELL_CHARS: usize = 160;

/// Adds a row with every cell cut to [`MAX_CELL_CHARS`].
fn add_row(t: &mut Table, cells: Vec<String>) {
    t.add_row(cells.into_iter().map(|c| clip(&c)));
}

/// `text`, cut to [`MAX_CELL_CHARS`] characters with an ellipsis.
fn clip(text: &str) -> String {
    match text.char_indices().nth(MAX_CELL_CHARS) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}

/// Failures whose evidence is a path (an escalation to administrator, a route from the
/// internet): graph helpers record it as a `…_path_text` property, hop by hop, so the
/// reader sees how, not only that. The worst first, as many as the failures table.
fn attack_paths(failures: &[&Finding], limit: usize) -> String {
    let with_paths: Vec<(&Finding, Vec<&str>)> = failures
        .iter()
        .filter_map(|f| {
            let texts: Vec<&str> = f
                .evidence
                .properties()
                .into_iter()
                .filter(|(k, _)| k.ends_with("_path_text"))
                .filter_map(|(_, v)| v.as_str())
                .collect();
            (!texts.is_empty()).then_some((*f, texts))
        })
        .collect();
    if with_paths.is_empty() {
        return String::new();
    }
    let mut out = format!("Attack paths ({} failure(s) with one)\n", with_paths.len());
    for (f, texts) in with_paths.iter().take(limit) {
        out.push_str(&format!("  [{}] {}\n", f.rule.severity, f.rule.id));
        for text in texts {
            for line in text.lines().take(MAX_PATH_LINES) {
                out.push_str(&format!("    {}\n", clip(line)));
            }
        }
    }
    if with_paths.len() > limit {
        out.push_str(&format!(
            "  … {} more in the full output\n",
            with_paths.len() - limit
        ));
    }
    out.push('\n');
    out
}

/// Lines of one path the summary shows; a path longer than this is cut.
const MAX_PATH_LINES: usize = 12;

fn score_text(score: Option<f64>) -> String {
    score.map_or("-".to_owned(), |s| format!("{s:.1}%"))
}

fn area_table(title: &str, areas: &[AreaScore]) -> String {
    let mut t = table(&[title, "pass", "fail", "error", "muted", "score"]);
    for a in areas {
        add_row(
            &mut t,
            vec![
                a.name.clone(),
                a.counts.pass.to_string(),
                a.counts.fail.to_string(),
                a.counts.error.to_string(),
                a.counts.muted.to_string(),
                score_text(a.score),
            ],
        );
    }
    t.to_string()
}

/// Renders the whole summary as text.
pub fn render(findings: &[Finding], scorecard: &Scorecard, info: &SummaryInfo) -> String {
    let mut out = String::new();
    let count = |s: Severity, st: Status| {
        findings
            .iter()
            .filter(|f| f.rule.severity == s && f.status == st)
            .count()
    };
    out.push_str(&format!(
        "Vigil: {} resources, {} rules, {} evaluations, {} findings\n\n",
        info.resources,
        info.rules,
        info.evaluations,
        findings.len()
    ));
    let mut t = table(&["severity", "FAIL", "ERROR", "MUTED", "PASS"]);
    for s in Severity::ALL {
        add_row(
            &mut t,
            vec![
                s.to_string(),
                count(s, Status::Fail).to_string(),
                count(s, Status::Error).to_string(),
                count(s, Status::Muted).to_string(),
                count(s, Status::Pass).to_string(),
            ],
        );
    }
    out.push_str(&format!("Findings by severity\n{t}\n\n"));

    let mut failures: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.status == Status::Fail)
        .collect();
    failures.sort_by(|a, b| {
        b.rule
            .severity
            .cmp(&a.rule.severity)
            .then(a.rule.id.cmp(&b.rule.id))
    });
    if !failures.is_empty() {
        let mut t = table(&["severity", "rule", "resource", "title"]);
        for f in failures.iter().take(info.top_failures.max(1)) {
            add_row(
                &mut t,
                vec![
                    f.rule.severity.to_string(),
                    f.rule.id.clone(),
                    f.resource
                        .name
                        .clone()
                        .unwrap_or_else(|| f.resource.id.clone()),
                    f.rule.title.clone(),
                ],
            );
        }
        let more = failures.len().saturating_sub(info.top_failures.max(1));
        out.push_str(&format!(
            "Failures{}\n{t}\n",
            if more > 0 {
                format!(
                    " (first {}; {more} more in the full output)",
                    info.top_failures.max(1)
                )
            } else {
                String::new()
            }
        ));
        out.push('\n');
        out.push_str(&attack_paths(&failures, info.top_failures.max(1)));
    }

    // A muted ERROR is still a result nobody saw: it counts as not evaluated.
    let errors: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.status == Status::Error || f.muted_status == Some(Status::Error))
        .collect();
    let muted_errors = errors.iter().filter(|f| f.status == Status::Muted).count();
    if !info.coverage.is_empty() {
        out.push_str(
            "Coverage
",
        );
        for line in crate::coverage::lines(&info.coverage) {
            out.push_str(&format!(
                "  {line}
"
            ));
        }
        if info.excluded_evaluations > 0 {
            out.push_str(&format!(
                "  {} rule evaluation(s) not made: they read services left out of the scan
",
                info.excluded_evaluations
            ));
        }
        out.push('\n');
    }
    if !info.gaps.is_empty() || !errors.is_empty() {
        out.push_str(&format!(
            "Not seen: {} collection gap(s); {} finding(s) could not be evaluated (ERROR, never counted as PASS){}\n",
            info.gaps.len(),
            errors.len(),
            if muted_errors > 0 {
                format!(", {muted_errors} of them muted")
            } else {
                String::new()
            }
        ));
        for g in info.gaps.iter().take(20) {
            out.push_str(&format!("  - {g}\n"));
        }
        if info.gaps.len() > 20 {
            out.push_str(&format!("  … and {} more\n", info.gaps.len() - 20));
        }
        out.push('\n');
    }
    if !info.expired_mutes.is_empty() {
        out.push_str("Expired mutelist entries (no longer muting; review them):\n");
        for m in &info.expired_mutes {
            out.push_str(&format!("  - {m}\n"));
        }
        out.push('\n');
    }

    out.push_str(&format!(
        "CAF Security Perspective components\n{}\n\n",
        area_table("component", &scorecard.caf_components)
    ));
    out.push_str(&format!(
        "Well-Architected security pillar areas\n{}\n\n",
        area_table("area", &scorecard.waf_areas)
    ));

    for account in &scorecard.accounts {
        let mut t = table(&["epic", "level", "next step"]);
        for e in &account.epics {
            let level = format!(
                "{}/3{}",
                e.level,
                if e.rests_on_declarations {
                    " (declared)"
                } else {
                    ""
                }
            );
            add_row(
                &mut t,
                vec![
                    e.title.clone(),
                    level,
                    e.next_step
                        .clone()
                        .unwrap_or_else(|| "at the top level".into()),
                ],
            );
        }
        out.push_str(&format!(
            "Security epics maturity, account {}\n{t}\n",
            account.account
        ));
        let c = &account.data_classification;
        match c.percent() {
            Some(percent) => out.push_str(&format!(
                "Data classification: {} of {} data stores carry a classification tag ({percent}%){}\n\n",
                c.tagged,
                c.tagged + c.untagged,
                if c.unknown > 0 {
                    format!("; {} could not be read", c.unknown)
                } else {
                    String::new()
                }
            )),
            None => out.push('\n'),
        }
        let mut t = table(&["key security enabler", "status", "next step"]);
        for e in &account.enablers {
            let status = match e.status {
                EnablerStatus::Unaddressed => "Unaddressed",
                EnablerStatus::Engaged => "Engaged",
                EnablerStatus::Completed => "Completed",
            };
            let status = format!(
                "{status}{}",
                if e.rests_on_declarations {
                    " (declared)"
                } else {
                    ""
                }
            );
            add_row(
                &mut t,
                vec![
                    e.title.clone(),
                    status,
                    e.next_step.clone().unwrap_or_default(),
                ],
            );
        }
        out.push_str(&format!(
            "Key security enablers, account {}\n{t}\n",
            account.account
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{finding, muted};
    use std::sync::Arc;

    fn empty_scorecard() -> Scorecard {
        Scorecard {
            caf_components: Vec::new(),
            waf_areas: Vec::new(),
            accounts: Vec::new(),
        }
    }

    /// The table output was quadratic in a resource name's length (a 1 MB name took
    /// 43 s while CSV took 0.04 s): cells are cut before layout.
    #[test]
    fn a_huge_resource_name_is_cut_in_the_table() {
        let mut f = finding(Status::Fail);
        let mut resource = (*f.resource).clone();
        resource.name = Some("n".repeat(1_000_000));
        f.resource = Arc::new(resource);
        let text = render(&[f], &empty_scorecard(), &SummaryInfo::default());
        assert!(text.len() < 20_000, "{} bytes", text.len());
        assert!(text.contains('…'));
    }

    /// A catch-all mute hid every ERROR and the summary said none was ERROR.
    #[test]
    fn muted_errors_still_count_as_not_evaluated() {
        let text = render(
            &[muted(Status::Error), muted(Status::Fail)],
            &empty_scorecard(),
            &SummaryInfo::default(),
        );
        assert!(
            text.contains("1 finding(s) could not be evaluated (ERROR, never counted as PASS), 1 of them muted"),
            "{text}"
        );
    }

    /// A failure whose evidence is a path shows it hop by hop under "Attack paths";
    /// failures without one do not appear there.
    #[test]
    fn a_path_in_the_evidence_is_shown_hop_by_hop() {
        let mut with_path = finding(Status::Fail);
        with_path.evidence.insert_property(
            "escalation_path_text",
            serde_json::Value::String(
                "dev can become administrator in 2 step(s):\n  1. dev --[sts_assume_role]--> deployer\n  2. deployer --[iam_put_role_policy]--> administrator\n".into(),
            ),
        );
        let text = render(
            &[with_path, finding(Status::Fail)],
            &empty_scorecard(),
            &SummaryInfo::default(),
        );
        let section = text
            .split_once("Attack paths (1 failure(s) with one)")
            .unwrap_or_else(|| panic!("{text}"))
            .1;
        assert!(
            section.contains("    dev can become administrator in 2 step(s):"),
            "{text}"
        );
        assert!(section.contains("2. deployer --[iam_put_role_policy]--> administrator"));
        let plain = render(
            &[finding(Status::Fail)],
            &empty_scorecard(),
            &SummaryInfo::default(),
        );
        assert!(!plain.contains("Attack paths"), "{plain}");
    }
}
