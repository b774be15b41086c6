//! The maturity models in plain words: for each epic and enabler, what each level asks
//! for, which evidence decides each criterion (rules or facts Vigil observes) and which
//! can only be declared. `vigil rules show <epic>` prints one epic; `docs/maturity.md`
//! is the whole page, generated and kept current by a test.

use std::fmt::Write;

use vigil_rules::{Epic, RuleSet};

use crate::model::{CompiledCriterion, Models, Test};

/// The whitepaper's own Appendix A examples, level 0 to 3, for the two epics it
/// illustrates.
pub fn whitepaper_example(epic: Epic) -> Option<[&'static str; 4]> {
    match epic {
        Epic::IdentityAndAccessManagement => Some([
            "No relationship between on-premises and AWS identities.",
            "An approach is defined for workforce lifecycle identity management. IAM architecture is documented. Job functions are mapped to IAM policy needs.",
            "Implemented IAM as defined in architecture. IAM policies implemented that map to some job functions. IAM implementation validated.",
            "Automation of IAM lifecycle workflows.",
        ]),
        Epic::LoggingAndMonitoring => Some([
            "No utilization of AWS provided logging and monitoring solutions.",
            "An approach is defined for log aggregation, monitoring, and integration into security event management processes.",
            "Platform-level and service-level logging is enabled and centralized.",
            "Events with security implications are deeply integrated into security workflow and incident management processes and systems.",
        ]),
        _ => None,
    }
}

/// How one criterion is decided, in words, with the rule titles.
fn decided_by(test: &Test, rules: &RuleSet) -> String {
    let named = |ids: &[String]| {
        ids.iter()
            .map(|id| match rules.get(id) {
                Some(r) => format!("`{id}` ({})", r.meta.title),
                None => format!("`{id}`"),
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    match test {
        Test::RulesPass(ids) => format!("observed: every finding of {} passes", named(ids)),
        Test::AnyRulePasses(ids) => format!("observed: some finding of {} passes", named(ids)),
        Test::Fact(expr) => format!("observed: `{}`", expr.source().trim()),
        Test::Declared(key) => format!("declared only: `{key}` in the attestation file"),
        Test::AnyOf(_) => "any one of:".to_owned(),
    }
}

fn criterion(out: &mut String, c: &CompiledCriterion, rules: &RuleSet, depth: usize) {
    let indent = "  ".repeat(depth);
    let _ = writeln!(
        out,
        "{indent}- **{}** — {}; {}",
        c.id,
        c.description,
        decided_by(&c.test, rules)
    );
    if let Test::AnyOf(items) = &c.test {
        for item in items {
            criterion(out, item, rules, depth + 1);
        }
    }
}

/// One epic in Markdown, or `None` when the models do not know it.
pub fn epic_markdown(models: &Models, rules: &RuleSet, epic: Epic) -> Option<String> {
    let (_, levels) = models.epics.iter().find(|(e, _)| *e == epic)?;
    let mut out = String::new();
    let _ = writeln!(out, "## {}\n", epic.title());
    let example = whitepaper_example(epic);
    if let Some(example) = example {
        let _ = writeln!(
            out,
            "The whitepaper's example for level 0 (not addressed): *{}*\n",
            example[0]
        );
    }
    for level in levels {
        let _ = writeln!(out, "### Level {}: {}\n", level.level, level.summary);
        if let Some(example) = example {
            let _ = writeln!(
                out,
                "Whitepaper example: *{}*\n",
                example[usize::from(level.level).min(3)]
            );
        }
        let _ = writeln!(
            out,
            "Every criterion below, and those of the levels before, must hold:\n"
        );
        for c in &level.criteria {
            criterion(&mut out, c, rules, 0);
        }
        out.push('\n');
    }
    Some(out)
}

/// One enabler in Markdown, or `None`.
pub fn enabler_markdown(models: &Models, rules: &RuleSet, id: &str) -> Option<String> {
    let e = models.enablers.iter().find(|e| e.id == id)?;
    let mut out = String::new();
    let _ = writeln!(out, "## {}\n", e.title);
    let _ = writeln!(out, "### Engaged\n");
    for c in &e.engaged {
        criterion(&mut out, c, rules, 0);
    }
    let _ = writeln!(out, "\n### Completed (also needs Engaged)\n");
    for c in &e.completed {
        criterion(&mut out, c, rules, 0);
    }
    out.push('\n');
    Some(out)
}

/// The whole page, `docs/maturity.md`.
pub fn maturity_markdown(models: &Models, rules: &RuleSet) -> String {
    let mut out = String::from(
        "# Maturity models\n\n\
         Generated from `rules/maturity/*.yaml`; `vigil rules show <epic or enabler id>` prints \
         one of them. A test keeps this page current (`VIGIL_UPDATE_SCHEMAS=1 cargo nextest run -p vigil-score` rewrites it).\n\n\
         Each of the ten security epics is scored 0 (not addressed), 1 (addressed in \
         architecture and plans), 2 (minimal viable implementation) or 3 (enterprise-ready \
         production implementation). A level holds when all its criteria and those of the \
         levels below hold. A criterion is decided by rule results or inventory facts that \
         Vigil **observes**, or rests on a **declaration** in the attestation file where no \
         API can show it; the scorecard marks levels that rest on declarations. Evidence \
         that could not be seen (access denied, an unsupported API) leaves a criterion \
         *unknown*, never met.\n\n\
         Organisation-wide evidence counts once: a rule marked `organization_wide` (a \
         service control policy on the root, a delegated administrator, an organisation \
         aggregator) that passes in one account of an AWS Organization, usually the \
         management account, meets the criterion for every account of the organisation, \
         and the scorecard names the account the evidence lives in. An organisation trail \
         is seen from every member account directly (as a shadow trail), so it counts \
         there too.\n\n\
         Settings (`--settings`, or `[scan.settings]` in the daemon) give the team's \
         conventions that rules read: classification and ownership tag keys, allowed \
         regions, the incident-response role's name pattern.\n\n# Epics\n\n",
    );
    for epic in Epic::ALL {
        if let Some(text) = epic_markdown(models, rules, epic) {
            out.push_str(&text);
        }
    }
    out.push_str("# Key security enablers\n\n");
    for e in &models.enablers {
        if let Some(text) = enabler_markdown(models, rules, &e.id) {
            out.push_str(&text);
        }
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}
