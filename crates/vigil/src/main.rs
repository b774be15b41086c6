//! The `vigil` binary: parses arguments, wires the crates together, and maps errors
//! to exit statuses (0 clean, 1 findings at or above `--fail-on`, 2 usage or input
//! error). All user-facing output is written here.

mod builtin;
mod cli;
mod daemon;
mod diff_cmd;
mod explain;
mod live;
mod pack;
mod report_cmd;
mod rules_cmd;
mod scan;
mod store_cmd;

use std::process::ExitCode;

use clap::Parser;

use cli::{Cli, Command, LogFormat};

/// mimalloc: evaluation allocates and frees many small values across threads, where it
/// measures faster than the system allocator (see the `vigil-rules` benchmark). The
/// `system-alloc` feature leaves it out, so that heaptrack and valgrind see every
/// allocation (`cargo build --release -p vigil --features system-alloc`).
#[cfg(not(feature = "system-alloc"))]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Exit status for a usage or input error.
pub const EXIT_INPUT: u8 = 2;

fn init_logging(cli: &Cli) {
    // A service logs its lifecycle (scans, deliveries); a command line stays quiet.
    let daemon = matches!(cli.command, Command::Daemon(_));
    let level = match cli.verbose {
        0 if daemon => "info",
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("VIGIL_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match cli.log_format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}

/// `vigil collect`: the snapshot to a file, and what it cost to stdout.
fn collect(args: cli::CollectArgs) -> anyhow::Result<ExitCode> {
    use anyhow::Context;
    let collection = live::run(&args.aws)?;
    std::fs::write(&args.output, collection.snapshot.to_json_pretty())
        .with_context(|| format!("cannot write {}", args.output.display()))?;
    // Requests by service, as the SDK interceptor saw them leave the process.
    let by_service = collection.calls_by_service();
    #[allow(clippy::print_stdout)]
    {
        println!(
            "collected {} resources, {} relations, {} gaps in {:.1} s; wrote {}",
            collection.snapshot.resources.len(),
            collection.snapshot.relations.len(),
            collection.snapshot.gaps.len(),
            collection.duration.as_secs_f64(),
            args.output.display()
        );
        println!(
            "API calls by service ({} calls, {} HTTP requests with retries, {} throttled):",
            by_service.values().map(|sent| sent.calls).sum::<u64>(),
            by_service.values().map(|sent| sent.attempts).sum::<u64>(),
            collection.throttled
        );
        for (service, sent) in by_service {
            println!("  {service:<20} {:>6} {:>6}", sent.calls, sent.attempts);
        }
        println!("Operations the SDK sent (operation, calls, requests, service):");
        for ((service, operation), sent) in &collection.operations {
            println!(
                "  sent {operation:<40} {:>6} {:>6}  {service}",
                sent.calls, sent.attempts
            );
        }
        println!("Calls by IAM action and outcome:");
        for ((action, outcome), n) in &collection.outcomes {
            println!("  {action:<50} {outcome:<24} {n}");
        }
        for gap in &collection.snapshot.gaps {
            println!("  gap: {}", gap.summary());
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(&cli);
    let result = match cli.command {
        Command::Scan(args) => scan::run(args),
        Command::Collect(args) => collect(args),
        Command::Policy => {
            #[allow(clippy::print_stdout)]
            {
                print!("{}", vigil_collect::policy::policy_document());
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Rules(command) => rules_cmd::run(command),
        Command::Config(command) => daemon::config_command(command),
        Command::Daemon(args) => daemon::run(args),
        Command::Explain(args) => explain::run(args),
        Command::Report(args) => report_cmd::run(args),
        Command::Diff(args) => diff_cmd::run(args),
        Command::Store(command) => store_cmd::run(command),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            #[allow(clippy::print_stderr)]
            {
                eprintln!("error: {error:#}");
            }
            ExitCode::from(EXIT_INPUT)
        }
    }
}
