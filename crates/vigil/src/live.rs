//! Live collection for `vigil collect` and `vigil scan` without `--snapshot`.

#![allow(clippy::print_stderr)]

use std::io::IsTerminal;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use vigil_collect::{CollectOptions, Collection, collect};

use crate::cli::AwsArgs;

fn options(args: &AwsArgs) -> CollectOptions {
    CollectOptions {
        profile: args.profile.clone(),
        regions: args.regions.clone(),
        all_regions: args.all_regions,
        role_arn: args.role_arn.clone(),
        external_id: args.external_id.clone(),
        role_session_name: args.role_session_name.clone(),
        max_attempts: args.max_attempts,
        call_timeout: Duration::from_secs(args.call_timeout_secs.max(1)),
        concurrency_per_service: args.concurrency.max(1),
        services: args.services.clone(),
    }
}

/// Collects the configured account, with a progress bar on a terminal.
pub fn run(args: &AwsArgs) -> Result<Collection> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let bar = (!args.quiet && std::io::stderr().is_terminal()).then(|| {
        let bar = ProgressBar::new(0);
        bar.set_style(
            ProgressStyle::with_template(
                "collecting {bar:30} {pos}/{len} service × region tasks {elapsed}",
            )
            .expect("valid template"),
        );
        bar
    });
    let progress = bar.clone().map(|bar| {
        Arc::new(move |done: usize, total: usize| {
            bar.set_length(total as u64);
            bar.set_position(done as u64);
        }) as vigil_collect::Progress
    });
    let collection = runtime.block_on(collect(&options(args), progress))?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    // One line per service: what the SDK sent, for operators and for the benchmark.
    for (service, sent) in &collection.calls_by_service() {
        tracing::info!(
            service,
            calls = sent.calls,
            requests = sent.attempts,
            "api calls"
        );
    }
    let calls: u64 = collection.operations.values().map(|sent| sent.calls).sum();
    tracing::info!(
        resources = collection.snapshot.resources.len(),
        gaps = collection.snapshot.gaps.len(),
        api_calls = calls,
        throttled = collection.throttled,
        elapsed_ms = collection.duration.as_millis() as u64,
        "collection finished"
    );
    Ok(collection)
}
