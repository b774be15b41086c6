//! `vigil rules list|show|test|functions|types|maturity`.

#![allow(clippy::print_stdout)]

use std::process::ExitCode;

use anyhow::{Result, bail};
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use vigil_rules::{HELPERS, RuleSet, read_dir, run_fixtures};

use crate::builtin;
use crate::cli::{ListFormat, RuleSelection, RulesCommand};
use crate::pack::{load_models, load_rules};

pub fn run(command: RulesCommand) -> Result<ExitCode> {
    match command {
        RulesCommand::List { selection, format } => list(&selection, format),
        RulesCommand::Show { id, selection } => show(&id, &selection),
        RulesCommand::Test {
            dir,
            no_builtin_rules,
        } => test(dir, no_builtin_rules),
        RulesCommand::Functions => {
            for h in HELPERS {
                println!("{}\n    {}\n", h.signature, h.doc);
            }
            Ok(ExitCode::SUCCESS)
        }
        RulesCommand::Types => {
            println!("Resource types:");
            for t in vigil_inventory::RESOURCE_TYPES {
                println!("  {:<34} {:?}  {}", t.name, t.scope, t.description);
            }
            println!("\nRelation kinds (from --kind--> to):");
            for k in vigil_inventory::RELATION_KINDS {
                println!("  {:<16} {}", k.name, k.description);
            }
            Ok(ExitCode::SUCCESS)
        }
        RulesCommand::Maturity => {
            let selection = RuleSelection {
                rules: vec![],
                no_builtin_rules: false,
            };
            let rules = load_rules(&selection)?;
            let models = load_models(&rules, &selection)?;
            println!("{}", vigil_score::maturity_markdown(&models, &rules));
            let mut keys: Vec<&str> = models.declaration_keys().collect();
            keys.sort();
            println!(
                "Declaration keys an attestation file may use:\n  {}",
                keys.join("\n  ")
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn list(selection: &RuleSelection, format: ListFormat) -> Result<ExitCode> {
    let rules = load_rules(selection)?;
    match format {
        ListFormat::Json => {
            let metas: Vec<_> = rules.rules().iter().map(|r| &r.meta).collect();
            println!("{}", serde_json::to_string_pretty(&metas)?);
        }
        ListFormat::Table => {
            let mut t = Table::new();
            t.load_style(UTF8_FULL_CONDENSED)
                .set_header(["id", "severity", "resource", "CAF", "WAF", "CIS v3", "FSBP"]);
            for r in rules.rules() {
                let m = &r.meta;
                t.add_row(vec![
                    m.id.clone(),
                    m.severity.to_string(),
                    m.resource.clone(),
                    m.caf.component.to_string(),
                    m.waf.practice.clone(),
                    m.compliance.cis_aws_v3.join(", "),
                    m.compliance.fsbp.join(", "),
                ]);
            }
            println!("{t}\n{} rules", rules.len());
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn show(id: &str, selection: &RuleSelection) -> Result<ExitCode> {
    let rules = load_rules(selection)?;
    let Some(rule) = rules.get(id) else {
        // An epic or an enabler: its maturity model in plain words.
        let models = crate::pack::load_models(&rules, selection)?;
        let text = vigil_rules::Epic::ALL
            .into_iter()
            .find(|e| e.id() == id)
            .and_then(|epic| vigil_score::epic_markdown(&models, &rules, epic))
            .or_else(|| vigil_score::enabler_markdown(&models, &rules, id));
        match text {
            Some(text) => {
                print!("{text}");
                return Ok(ExitCode::SUCCESS);
            }
            None => bail!(
                "no rule, epic or enabler `{id}`; `vigil rules list` shows the rules, docs/maturity.md the epics and enablers"
            ),
        }
    };
    let m = &rule.meta;
    println!("{} — {}\n", m.id, m.title);
    println!(
        "severity:   {}\nresource:   {}\nstatus:     {:?}\nsource:     {}",
        m.severity,
        m.resource,
        m.status,
        rule.source.display()
    );
    println!(
        "\nWhat it does\n  {}\n\nWhy it matters\n  {}",
        m.description.trim(),
        m.rationale.trim()
    );
    println!(
        "\nCondition (PASS when true)\n  {}",
        m.condition.trim().replace('\n', "\n  ")
    );
    if let Some(a) = &m.applies_when {
        println!("Applies when\n  {}", a.trim());
    }
    println!("Reads: {}", rule.reads.join(", "));
    println!("\nMappings");
    println!("  CAF: {} / {}", m.caf.component, m.caf.capability);
    println!("  WAF: {} / {}", m.waf.area.title(), m.waf.practice);
    println!(
        "  Epics: {}",
        m.epics
            .iter()
            .map(|e| e.title())
            .collect::<Vec<_>>()
            .join(", ")
    );
    for (standard, control) in m.compliance.references() {
        println!("  {standard}: {control}");
    }
    println!("\nFix\n  {}", m.remediation.text.trim());
    if let Some(cli) = &m.remediation.cli {
        println!("  CLI:\n    {}", cli.trim().replace('\n', "\n    "));
    }
    if let Some(tf) = &m.remediation.terraform {
        println!("  Terraform:\n    {}", tf.trim().replace('\n', "\n    "));
    }
    if !m.references.is_empty() {
        println!("\nReferences");
        for r in &m.references {
            println!("  {r}");
        }
    }
    match &rule.fixtures {
        Some(f) => println!("\nFixtures ({})\n{}", f.path.display(), f.text.trim_end()),
        None => println!("\nFixtures: none"),
    }
    Ok(ExitCode::SUCCESS)
}

fn test(dir: Option<std::path::PathBuf>, no_builtin: bool) -> Result<ExitCode> {
    let mut sources = if no_builtin {
        Vec::new()
    } else {
        builtin::rule_sources()
    };
    if let Some(dir) = &dir {
        sources.extend(read_dir(dir).map_err(|e| anyhow::anyhow!("{e}"))?);
    }
    let rules = RuleSet::from_sources(sources).map_err(|e| anyhow::anyhow!("{e}"))?;
    let report = run_fixtures(&rules);
    for case in report.cases.iter().filter(|c| !c.passed) {
        println!("FAIL {} / {}: {}", case.rule, case.case, case.message);
    }
    for problem in &report.problems {
        println!("PROBLEM {problem}");
    }
    println!(
        "{} rules: {} passed, {} failed",
        rules.len(),
        report.passed(),
        report.failed() + report.problems.len()
    );
    Ok(if report.ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
