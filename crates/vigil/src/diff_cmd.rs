//! `vigil diff OLD NEW`: compares two saved scans and prints what changed, as tables
//! or JSON. Exit status: 0, or 1 when `--fail-on` trips, or 2 when a file is not a
//! saved scan, the two are in different formats, or they share no account.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};
use vigil_report::diff::{ScanDiff, render::render};
use vigil_report::saved::SavedScan;

use crate::cli::{DiffArgs, DiffFormat, DiffGate};

fn read(path: &Path, side: &str) -> Result<SavedScan> {
    let file = File::open(path)
        .with_context(|| format!("{side}: cannot read saved scan {}", path.display()))?;
    SavedScan::read(file).with_context(|| format!("{side}: {}", path.display()))
}

pub fn run(args: DiffArgs) -> Result<ExitCode> {
    let old = read(&args.old, "OLD")?;
    let new = read(&args.new, "NEW")?;
    let diff = ScanDiff::new(&old, &new).with_context(|| {
        format!(
            "cannot compare {} with {}",
            args.old.display(),
            args.new.display()
        )
    })?;
    // The notes (accounts only one side has, resources not compared) also go to
    // stderr, so that a reader of `--format json -o FILE` sees them.
    for note in &diff.notes {
        #[allow(clippy::print_stderr)]
        {
            eprintln!("warning: {note}");
        }
    }
    let stdout = std::io::stdout();
    let mut out: Box<dyn Write> = match &args.output {
        Some(path) => Box::new(BufWriter::new(
            File::create(path).with_context(|| format!("cannot create {}", path.display()))?,
        )),
        None => Box::new(BufWriter::new(stdout.lock())),
    };
    match args.format {
        DiffFormat::Table => out.write_all(render(&diff, args.rows).as_bytes())?,
        DiffFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &diff)?;
            out.write_all(b"\n")?;
        }
    }
    out.flush()?;
    let tripped = match args.fail_on {
        None => false,
        Some(DiffGate::New) => diff.new_failures(args.severity) > 0,
        Some(DiffGate::Any) => diff.has_changes(),
    };
    Ok(if tripped {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
