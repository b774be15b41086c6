//! `vigil daemon`: scheduled scans of many accounts, their history in the store, and
//! delivery of finding state changes to SIEMs through a durable outbox.

// The runtime that reads every option lands next; until then only `vigil config`
// reads the configuration.
#[expect(dead_code, reason = "read by the daemon runtime")]
pub mod config;

use std::process::ExitCode;

use crate::cli::ConfigCommand;

/// `vigil config init|validate`.
pub fn config_command(command: ConfigCommand) -> anyhow::Result<ExitCode> {
    match command {
        ConfigCommand::Init => {
            #[allow(clippy::print_stdout)]
            {
                print!("{}", config::TEMPLATE);
            }
            Ok(ExitCode::SUCCESS)
        }
        ConfigCommand::Validate { config: path } => match config::load(&path) {
            Ok(config) => {
                #[allow(clippy::print_stdout)]
                {
                    println!(
                        "{}: valid ({} account(s){}, {} schedule(s), {} sink(s))",
                        path.display(),
                        config.accounts.len(),
                        if config.organization.is_some() {
                            " and Organizations discovery"
                        } else {
                            ""
                        },
                        config.schedules.len(),
                        config.sinks.len()
                    );
                }
                Ok(ExitCode::SUCCESS)
            }
            Err(errors) => {
                #[allow(clippy::print_stderr)]
                {
                    eprint!("{errors}");
                }
                Ok(ExitCode::from(2))
            }
        },
    }
}
