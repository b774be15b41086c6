//! `vigil scan`: snapshot → findings → mutelist → scorecard → outputs.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result};
use chrono::Utc;
use vigil_inventory::{Inventory, Snapshot};
use vigil_report::ocsf::ScanInfo;
use vigil_report::saved::{SavedResource, ScanFacts};
use vigil_rules::{EvalContext, Mutelist, RuleFile, Status, evaluate};
use vigil_score::{Attestations, score};

use crate::cli::{OutputFormat, ScanArgs};
use crate::pack::{load_models, load_rules};
use crate::report_cmd::{self, ScanOutput};

/// Reads and merges snapshot files; an error names the file at fault.
pub(crate) fn load_snapshots(paths: &[std::path::PathBuf]) -> Result<Snapshot> {
    let mut merged: Option<Snapshot> = None;
    for path in paths {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read snapshot {}", path.display()))?;
        let one =
            Snapshot::from_json(&text).with_context(|| format!("snapshot {}", path.display()))?;
        match &mut merged {
            Some(all) => all
                .merge(one)
                .with_context(|| format!("snapshot {}", path.display()))?,
            None => merged = Some(one),
        }
    }
    merged.context("no snapshot given")
}

pub fn run(args: ScanArgs) -> Result<ExitCode> {
    let started_at = Utc::now();
    let rules = load_rules(&args.selection)?;
    let models = load_models(&rules, &args.selection)?;
    let attestations = match &args.attestations {
        Some(path) => Attestations::load(path, &models)?,
        None => Attestations::default(),
    };
    let settings = match &args.settings {
        Some(path) => vigil_rules::Settings::load(path)?,
        None => vigil_rules::Settings::default(),
    };
    let mutelist = match &args.mutelist {
        Some(path) => Mutelist::load(path)?,
        None => Mutelist::default(),
    };
    let snapshot = if args.snapshot.is_empty() {
        crate::live::run(&args.aws)?.snapshot
    } else {
        load_snapshots(&args.snapshot)?
    };
    let coverage = vigil_report::coverage::by_account(&snapshot.coverage);
    let inventory = Inventory::from_snapshot(snapshot).context("inventory")?;
    let mut facts = ScanFacts::from_inventory(&inventory);
    facts.coverage = coverage;
    facts.gaps = inventory.gaps().iter().map(|g| g.summary()).collect();
    // Only the saved scan carries every resource (for `vigil diff`); other formats
    // do not pay for the copy.
    let resources: Vec<SavedResource> = if args.format == OutputFormat::Scan {
        inventory
            .resources()
            .iter()
            .map(SavedResource::from_resource)
            .collect()
    } else {
        Vec::new()
    };
    let now = args.now.unwrap_or(started_at);
    let ctx = EvalContext::with_settings(Arc::new(inventory), now, &settings)
        .with_budget(std::time::Duration::from_millis(args.rule_budget_ms));

    let (mut findings, stats) = evaluate(&rules, &ctx);
    let expired = mutelist.apply(&mut findings, now.date_naive());
    let scorecard = score(&findings, &ctx, &models, &attestations);
    tracing::info!(
        resources = stats.resources,
        evaluations = stats.evaluations,
        findings = findings.len(),
        "scan evaluated"
    );

    let scan = ScanInfo {
        scan_id: format!("vigil-{}", started_at.format("%Y%m%dT%H%M%S%.3fZ")),
        started_at,
        finished_at: Utc::now(),
        product_version: env!("CARGO_PKG_VERSION").to_owned(),
    };
    facts.rules = rules.len();
    facts.evaluations = stats.evaluations;
    facts.excluded_evaluations = stats.excluded;
    facts.expired_mutes = expired
        .iter()
        .map(|m| {
            format!(
                "#{} rule {} resource {} expired {}: {}",
                m.index, m.rule, m.resource, m.expired, m.reason
            )
        })
        .collect();
    let all_rules: Vec<RuleFile> = rules.rules().iter().map(|r| r.meta.clone()).collect();
    let output = ScanOutput {
        scan: &scan,
        facts: &facts,
        findings: &findings,
        scorecard: &scorecard,
        attestations: &attestations,
        rules: &all_rules,
        top: args.top,
        frameworks: &args.compliance.frameworks,
        resources: Some(&resources),
    };

    let stdout = std::io::stdout();
    let mut out: Box<dyn Write> = match &args.output {
        Some(path) => Box::new(BufWriter::new(
            File::create(path).with_context(|| format!("cannot create {}", path.display()))?,
        )),
        None => Box::new(BufWriter::new(stdout.lock())),
    };
    report_cmd::write(args.format, &mut out, &output)?;
    drop(out);
    if args.output.is_some() && args.format != OutputFormat::Table {
        let mut stdout = std::io::stdout().lock();
        report_cmd::write(OutputFormat::Table, &mut stdout, &output)?;
    }
    if let Some(path) = &args.scorecard {
        let file =
            File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
        serde_json::to_writer_pretty(BufWriter::new(file), &scorecard)?;
    }

    let breach = args.fail_on.is_some_and(|threshold| {
        findings
            .iter()
            .any(|f| f.status == Status::Fail && f.rule.severity >= threshold)
    });
    Ok(if breach {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
