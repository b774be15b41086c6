//! The `vigil` binary: parses arguments, wires the crates together, and maps errors
//! to exit statuses (0 clean, 1 findings at or above `--fail-on`, 2 usage or input
//! error). All user-facing output is written here.

mod builtin;
mod cli;
mod pack;
mod rules_cmd;
mod scan;

use std::process::ExitCode;

use clap::Parser;

use cli::{Cli, Command, LogFormat};

/// mimalloc: evaluation allocates and frees many small values across threads, where it
/// measures faster than the system allocator (see the `vigil-rules` benchmark).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Exit status for a usage or input error.
pub const EXIT_INPUT: u8 = 2;

fn init_logging(cli: &Cli) {
    let level = match cli.verbose {
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

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(&cli);
    let result = match cli.command {
        Command::Scan(args) => scan::run(args),
        Command::Rules(command) => rules_cmd::run(command),
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
