//! `vigil report --from scan.json`: any output format from a saved scan, and the one
//! place that writes a format, for `vigil scan` as well, so that a report rendered
//! later is the report the scan would have written.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use vigil_report::compliance::{
    CATALOGUE_FILES, Catalogue, ComplianceInput, FRAMEWORKS, FrameworkReport,
};
use vigil_report::html::HtmlInput;
use vigil_report::ocsf::ScanInfo;
use vigil_report::saved::{SavedResource, SavedScan, ScanFacts};
use vigil_rules::{Finding, RuleFile};
use vigil_score::{Attestations, Scorecard};

use crate::builtin;
use crate::cli::{OutputFormat, ReportArgs};

/// Everything a format may need.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ScanOutput<'a> {
    pub scan: &'a ScanInfo,
    pub facts: &'a ScanFacts,
    pub findings: &'a [Finding],
    pub scorecard: &'a Scorecard,
    pub attestations: &'a Attestations,
    /// Every rule evaluated.
    pub rules: &'a [RuleFile],
    pub top: usize,
    /// Compliance frameworks asked for; empty for all.
    pub frameworks: &'a [String],
    /// Every resource seen, for the saved scan (`--format scan`) only; empty when
    /// another format is written, `None` when rendering from a version 1 saved scan
    /// (which then stays version 1).
    pub resources: Option<&'a [SavedResource]>,
}

/// The requirement lists compiled into the binary (`rules/standards/`).
fn catalogue() -> Result<Catalogue> {
    Catalogue::from_texts(|name| {
        let path = format!("standards/{name}");
        builtin::BUILTIN_FILES
            .iter()
            .find(|(p, _)| *p == path)
            .map(|(_, text)| (*text).to_owned())
    })
    .with_context(|| format!("built-in standards ({})", CATALOGUE_FILES.join(", ")))
}

fn compliance(output: &ScanOutput<'_>) -> Result<Vec<FrameworkReport>> {
    for id in output.frameworks {
        if !FRAMEWORKS.contains(&id.as_str()) {
            bail!(
                "--framework {id}: not a framework; one of {}",
                FRAMEWORKS.join(", ")
            );
        }
    }
    let catalogue = catalogue()?;
    let mut reports = vigil_report::compliance::reports(&ComplianceInput {
        catalogue: &catalogue,
        rules: output.rules,
        findings: output.findings,
        scorecard: output.scorecard,
        attestations: output.attestations,
    });
    if !output.frameworks.is_empty() {
        reports.retain(|r| output.frameworks.contains(&r.id));
    }
    Ok(reports)
}

/// Writes one format.
pub(crate) fn write(
    format: OutputFormat,
    out: &mut dyn Write,
    output: &ScanOutput<'_>,
) -> Result<()> {
    let findings = output.findings;
    let scan = output.scan;
    match format {
        OutputFormat::Table => out.write_all(
            vigil_report::summary::render(
                findings,
                output.scorecard,
                &output.facts.summary_info(output.top),
            )
            .as_bytes(),
        )?,
        OutputFormat::Ocsf => vigil_report::ocsf::write_ocsf_json(&mut *out, findings, scan)?,
        OutputFormat::Ndjson => vigil_report::ocsf::write_ndjson(&mut *out, findings, scan)?,
        OutputFormat::Csv => vigil_report::write_csv(&mut *out, findings)?,
        OutputFormat::Sarif => vigil_report::write_sarif(&mut *out, findings, scan)?,
        OutputFormat::Junit => vigil_report::write_junit(&mut *out, findings, scan)?,
        OutputFormat::Html => {
            let compliance = compliance(&ScanOutput {
                frameworks: &[],
                ..*output
            })?;
            vigil_report::html::write_html(
                &mut *out,
                &HtmlInput {
                    scan,
                    facts: output.facts,
                    findings,
                    scorecard: output.scorecard,
                    compliance: &compliance,
                },
            )?;
        }
        OutputFormat::Scan => SavedScan::new(
            scan.clone(),
            output.facts.clone(),
            output.scorecard.clone(),
            output.attestations.clone(),
            output.rules.to_vec(),
            findings,
            output.resources.map(<[SavedResource]>::to_vec),
        )
        .write(&mut *out)?,
        OutputFormat::ComplianceCsv => {
            vigil_report::compliance::write_csv(&mut *out, &compliance(output)?)?
        }
        OutputFormat::ComplianceJson => {
            vigil_report::compliance::write_json(&mut *out, &compliance(output)?)?
        }
    }
    out.flush()?;
    Ok(())
}

pub fn run(args: ReportArgs) -> Result<ExitCode> {
    let file = File::open(&args.from)
        .with_context(|| format!("cannot read saved scan {}", args.from.display()))?;
    let saved =
        SavedScan::read(file).with_context(|| format!("saved scan {}", args.from.display()))?;
    let findings = saved
        .findings()
        .with_context(|| format!("saved scan {}", args.from.display()))?;
    let output = ScanOutput {
        scan: &saved.scan,
        facts: &saved.facts,
        findings: &findings,
        scorecard: &saved.scorecard,
        attestations: &saved.attestations,
        rules: &saved.rules,
        top: args.top,
        frameworks: &args.compliance.frameworks,
        resources: saved.resources().ok(),
    };
    let stdout = std::io::stdout();
    let mut out: Box<dyn Write> = match &args.output {
        Some(path) => Box::new(BufWriter::new(
            File::create(path).with_context(|| format!("cannot create {}", path.display()))?,
        )),
        None => Box::new(BufWriter::new(stdout.lock())),
    };
    write(args.format, &mut out, &output)?;
    Ok(ExitCode::SUCCESS)
}
