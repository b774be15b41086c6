//! Vigil's SIEM delivery sinks: where the daemon sends finding events once they
//! are in its durable outbox.
//!
//! This crate owns the wire formats and transports (stdout, NDJSON file, generic
//! HTTP webhook, Splunk HEC, RFC 5424 syslog over UDP, TCP or TLS; AWS Security Hub
//! through an importer the daemon gives, as the AWS SDK lives elsewhere), their
//! configuration, and the classification of every failure as retryable or not.
//! It owns no queue, no retry loop and no metrics: the daemon's delivery loop reads
//! the outbox, calls [`Sink::send`] with at most [`Sink::max_batch`] events, and
//! decides from [`SinkError::is_retryable`] whether to back off and retry. That
//! split keeps each sink a plain "deliver these bytes once" object that tests can
//! drive against real sockets.
//!
//! Delivery is at least once: a failed `send` may have delivered part of the batch
//! (a syslog stream, a file sink that hit a full disk), and the caller sends the
//! whole batch again. Every event therefore carries its stable [`Event::id`] on the
//! wire so that the SIEM can drop duplicates.
//!
//! TLS uses rustls with the aws-lc-rs provider passed explicitly to every client
//! configuration, never the process-wide default: with two providers compiled
//! into one binary (the AWS SDK may bring one), rustls would otherwise panic the
//! first time it needs the default.

pub mod asff;
mod config;
mod error;
mod file;
mod format;
mod hec;
mod http;
mod http_common;
mod secret;
mod securityhub;
mod stdout;
mod syslog;
mod tls;

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use config::{
    Compression, FileConfig, HttpConfig, HttpFormat, SecurityHubConfig, SinkConfig,
    SplunkHecConfig, StdoutConfig, SyslogConfig, SyslogFacility, SyslogTransport,
};
pub use error::{ConfigProblem, SinkError};
pub use file::FileSink;
pub use hec::SplunkHecSink;
pub use http::HttpSink;
pub use secret::Secret;
pub use securityhub::{FailedFinding, FindingsImporter, ImportError, SecurityHubSink};
pub use stdout::StdoutSink;
pub use syslog::{SyslogSink, syslog_severity};
pub use tls::{crypto_provider, install_crypto_provider};

/// One thing to tell the SIEM: a new, changed or resolved finding, or a scan
/// summary, as the outbox stores it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Stable id of this event, the same on every delivery attempt, so that the
    /// receiving side can drop the duplicates that at-least-once delivery makes.
    pub id: String,
    /// What happened, such as `finding.new`, `finding.resolved`, `scan.summary`.
    /// Syslog uses it as MSGID; the other formats carry it beside the body.
    pub kind: String,
    /// When it happened (not when it is sent: a retried event keeps its time).
    pub time: DateTime<Utc>,
    /// The OCSF document itself, sent as is.
    pub body: serde_json::Value,
}

/// A destination for events. Object-safe so that the daemon can hold a list of
/// `Box<dyn Sink>` built from configuration.
#[async_trait::async_trait]
pub trait Sink: Send + Sync + std::fmt::Debug {
    /// The configured name: the key of this sink's delivery state in the outbox,
    /// and the `sink` label on logs and metrics. Unique within one configuration.
    fn name(&self) -> &str;

    /// The sink type as written in configuration (`http`, `syslog`, ...), for
    /// metrics labels.
    fn kind(&self) -> &'static str;

    /// Where events go, with any credentials and query string removed, for logs,
    /// status pages and error messages.
    fn endpoint(&self) -> &str;

    /// The largest batch the caller should pass to [`Sink::send`]. Larger
    /// batches are still accepted and split, but a failure then covers them all.
    fn max_batch(&self) -> usize;

    /// Delivers the batch, in order. `Ok` means the endpoint accepted every event
    /// (for syslog over UDP and TCP, which have no acknowledgement, that the bytes
    /// left this process). On `Err`, part of the batch may have been delivered;
    /// the caller keeps every event of the batch and sends it again later.
    async fn send(&self, batch: &[Event]) -> Result<(), SinkError>;
}

/// Validates one sink's configuration and builds it, reading its token (from the
/// environment or a file) and any CA or client-certificate files now, so that a
/// broken configuration stops the daemon at start-up rather than at the first
/// finding. Every problem found is reported in one [`SinkError::Config`].
pub fn build(config: &SinkConfig) -> Result<Box<dyn Sink>, SinkError> {
    build_with_env(config, &|name| std::env::var(name).ok())
}

/// Makes the AWS client of a Security Hub sink. This crate holds no AWS SDK code:
/// the daemon passes `vigil_collect::securityhub_importer`.
pub type ImporterFactory<'a> =
    &'a dyn Fn(&SecurityHubConfig) -> std::sync::Arc<dyn FindingsImporter>;

/// Like [`build_with_env`], with the maker of Security Hub clients; without one, a
/// `securityhub` sink is a configuration error that says so.
pub fn build_with(
    config: &SinkConfig,
    env: &dyn Fn(&str) -> Option<String>,
    importers: Option<ImporterFactory<'_>>,
) -> Result<Box<dyn Sink>, SinkError> {
    match (config, importers) {
        (SinkConfig::Securityhub(c), Some(make)) => Ok(Box::new(SecurityHubSink::new(c, make(c))?)),
        (SinkConfig::Securityhub(c), None) => Err(SinkError::config(
            c.name.as_deref().unwrap_or("securityhub"),
            "type",
            "a `securityhub` sink needs the AWS SDK, which only the daemon links",
        )),
        _ => build_with_env(config, env),
    }
}

/// Like [`build`], with the environment given as a lookup function, for callers
/// that resolve variables themselves (and for tests, as setting variables in a
/// running process is unsafe).
pub fn build_with_env(
    config: &SinkConfig,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Box<dyn Sink>, SinkError> {
    Ok(match config {
        SinkConfig::Stdout(c) => Box::new(StdoutSink::new(c)?),
        SinkConfig::File(c) => Box::new(FileSink::new(c)?),
        SinkConfig::Http(c) => Box::new(HttpSink::new(c, env)?),
        SinkConfig::SplunkHec(c) => Box::new(SplunkHecSink::new(c, env)?),
        SinkConfig::Syslog(c) => Box::new(SyslogSink::new(c)?),
        SinkConfig::Securityhub(_) => return build_with(config, env, None),
    })
}

/// Checks a sink's configuration as the daemon's start-up would, without side effects:
/// network sinks are built (building connects nothing), a file sink is checked without
/// opening its file.
pub fn validate_with_env(
    config: &SinkConfig,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(), SinkError> {
    match config {
        SinkConfig::File(c) => FileSink::check(c),
        SinkConfig::Securityhub(c) => SecurityHubSink::check(c),
        other => build_with_env(other, env).map(drop),
    }
}

/// Builds every configured sink, reporting the problems of all of them at once,
/// plus any name used twice (two sinks sharing a name would share delivery state
/// in the outbox). `importers` makes the AWS clients of Security Hub sinks.
pub fn build_all(
    configs: &[SinkConfig],
    importers: Option<ImporterFactory<'_>>,
) -> Result<Vec<Box<dyn Sink>>, Vec<SinkError>> {
    let mut sinks = Vec::with_capacity(configs.len());
    let mut errors = Vec::new();
    let mut names = HashSet::new();
    for config in configs {
        let name = config.name();
        if !names.insert(name.to_owned()) {
            errors.push(SinkError::config(
                name,
                "name",
                "another sink already has this name; give each sink its own `name`",
            ));
            continue;
        }
        match build_with(config, &|name| std::env::var(name).ok(), importers) {
            Ok(sink) => sinks.push(sink),
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok(sinks)
    } else {
        Err(errors)
    }
}
