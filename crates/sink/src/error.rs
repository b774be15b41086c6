//! The one error type of every sink, and what the delivery loop should do with it.

use std::fmt;
use std::time::Duration;

/// Why a sink could not be built or could not deliver a batch.
///
/// Messages name the sink and its endpoint (without credentials or query
/// string) and never contain a token: response bodies quoted in them have any
/// occurrence of the sink's token replaced by `***`.
///
/// Whatever the variant, the caller keeps the events in the outbox: a
/// non-retryable error stops retries with backoff and is surfaced (log, metric,
/// status page) until an operator fixes the configuration or the endpoint, after
/// which the same events are sent again.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SinkError {
    /// The configuration cannot work; lists every field at fault.
    #[error("sink `{sink}`: invalid configuration: {}", Problems(problems))]
    Config {
        sink: String,
        problems: Vec<ConfigProblem>,
    },

    /// The endpoint could not be reached or asked to come back later: connection
    /// and DNS errors, timeouts, TLS handshake failures, HTTP 408, 429 and 5xx.
    /// Retrying with backoff is expected to succeed.
    #[error("sink `{sink}` ({endpoint}): {reason}; the batch will be retried")]
    Unavailable {
        sink: String,
        endpoint: String,
        reason: String,
        /// What the endpoint asked for in a `Retry-After` header, if anything.
        retry_after: Option<Duration>,
    },

    /// The endpoint answered and refused the batch (HTTP 4xx other than 408 and
    /// 429, a HEC error code, a redirect), or an event cannot be sent as
    /// configured (a syslog message over `max_message_bytes`). Sending the same
    /// bytes again will not help: the events stay in the outbox and the error is
    /// surfaced until the configuration or the endpoint is fixed.
    #[error(
        "sink `{sink}` ({endpoint}): {reason}{}; not retried until the configuration or the endpoint is fixed",
        EventSuffix(event_id.as_deref())
    )]
    Rejected {
        sink: String,
        endpoint: String,
        /// The HTTP status, for HTTP-based sinks.
        status: Option<u16>,
        /// The event at fault, when the endpoint or the sink could tell which one.
        event_id: Option<String>,
        reason: String,
    },

    /// Local I/O failed (stdout closed, disk full, permissions). Retryable: the
    /// condition is outside Vigil and often passes.
    #[error("sink `{sink}` ({target}): {action}: {source}")]
    Io {
        sink: String,
        target: String,
        action: &'static str,
        #[source]
        source: std::io::Error,
    },
}

/// One configuration field at fault and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigProblem {
    /// The field as written in the sink's configuration, such as `token_env`.
    pub field: String,
    /// What is wrong and, where it helps, what to write instead.
    pub reason: String,
}

impl SinkError {
    /// Whether the caller should retry the same batch later, with backoff.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Unavailable { .. } | Self::Io { .. })
    }

    /// The name of the sink that failed.
    pub fn sink(&self) -> &str {
        match self {
            Self::Config { sink, .. }
            | Self::Unavailable { sink, .. }
            | Self::Rejected { sink, .. }
            | Self::Io { sink, .. } => sink,
        }
    }

    /// How long the endpoint asked the caller to wait, when it said so.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::Unavailable { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// The event the failure is about, when it is about one event (so that the
    /// caller can set it aside and let the rest of the outbox through).
    pub fn event_id(&self) -> Option<&str> {
        match self {
            Self::Rejected { event_id, .. } => event_id.as_deref(),
            _ => None,
        }
    }

    /// The HTTP status that decided the error, if any.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Rejected { status, .. } => *status,
            _ => None,
        }
    }

    /// The fields at fault, for a configuration error.
    pub fn problems(&self) -> &[ConfigProblem] {
        match self {
            Self::Config { problems, .. } => problems,
            _ => &[],
        }
    }

    pub(crate) fn config(sink: &str, field: &str, reason: impl Into<String>) -> Self {
        Self::Config {
            sink: sink.to_owned(),
            problems: vec![ConfigProblem {
                field: field.to_owned(),
                reason: reason.into(),
            }],
        }
    }
}

/// Shows a sink's configuration problems on one line, field by field.
#[derive(Debug)]
pub(crate) struct Problems<'a>(pub(crate) &'a [ConfigProblem]);

impl fmt::Display for Problems<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "`{}`: {}", p.field, p.reason)?;
        }
        Ok(())
    }
}

struct EventSuffix<'a>(Option<&'a str>);

impl fmt::Display for EventSuffix<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(id) => write!(f, " (event `{id}`)"),
            None => Ok(()),
        }
    }
}

/// Gathers every problem of one sink's configuration before failing, so that the
/// operator can fix them in one go.
#[derive(Debug)]
pub(crate) struct Checker {
    sink: String,
    problems: Vec<ConfigProblem>,
}

impl Checker {
    pub(crate) fn new(sink: &str) -> Self {
        Self {
            sink: sink.to_owned(),
            problems: Vec::new(),
        }
    }

    pub(crate) fn sink(&self) -> &str {
        &self.sink
    }

    pub(crate) fn problem(&mut self, field: &str, reason: impl Into<String>) {
        self.problems.push(ConfigProblem {
            field: field.to_owned(),
            reason: reason.into(),
        });
    }

    /// Checks that a batch limit is within what any endpoint can take.
    pub(crate) fn batch(&mut self, value: usize) {
        if !(1..=10_000).contains(&value) {
            self.problem("max_batch_events", "must be between 1 and 10000");
        }
    }

    pub(crate) fn finish(self) -> Result<(), SinkError> {
        if self.problems.is_empty() {
            Ok(())
        } else {
            Err(SinkError::Config {
                sink: self.sink,
                problems: self.problems,
            })
        }
    }
}
