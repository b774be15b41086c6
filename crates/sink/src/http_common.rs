//! What the webhook and HEC sinks share: the reqwest client with this crate's
//! TLS configuration, the request, and the mapping of transport errors and HTTP
//! statuses to retryable or not.

use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderValue, LOCATION, RETRY_AFTER};
use reqwest::{StatusCode, Url};

use crate::SinkError;
use crate::error::Checker;
use crate::secret::{Redactor, Secret};
use crate::tls::{self, TlsFiles};

/// Longest piece of a response body quoted in an error message.
const MAX_QUOTED_BODY: usize = 300;

/// Most of a response body read into memory: an endpoint answering with gigabytes
/// (a misconfigured proxy, a hostile server) must not take the daemon's memory. What
/// sinks need from a body — a HEC error code, a line to quote — is at its start.
const MAX_BODY_BYTES: usize = 64 * 1024;

/// One HTTP endpoint as a sink sees it. Its `Debug` shows the redacted URL only: the
/// URL itself may carry a token in its query or its user information.
pub(crate) struct Endpoint {
    pub(crate) sink: String,
    /// The URL without credentials or query, for messages.
    pub(crate) display: String,
    pub(crate) url: Url,
    client: reqwest::Client,
    /// The token and the URL's own secrets, scrubbed from every message.
    redactor: Redactor,
    timeout_secs: u64,
}

impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Endpoint")
            .field("sink", &self.sink)
            .field("url", &self.display)
            .field("secrets", &self.redactor)
            .field("timeout_secs", &self.timeout_secs)
            .finish_non_exhaustive()
    }
}

/// A response that came back, whatever its status.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Vec<u8>,
}

/// Parses and checks `url`: absolute, `http` or `https`, with a host.
pub(crate) fn parse_url(check: &mut Checker, raw: &str) -> Option<Url> {
    if raw.trim().is_empty() {
        check.problem(
            "url",
            "is required, such as `https://siem.example.com/ingest`",
        );
        return None;
    }
    match Url::parse(raw) {
        Ok(url) if !matches!(url.scheme(), "http" | "https") => {
            check.problem("url", "must start with `http://` or `https://`");
            None
        }
        Ok(url) if url.host_str().is_none() => {
            check.problem("url", "has no host");
            None
        }
        Ok(url) => Some(url),
        Err(e) => {
            check.problem("url", format!("is not a valid URL: {e}"));
            None
        }
    }
}

/// The URL without user, password, query or fragment: what may appear in logs.
pub(crate) fn redact(url: &Url) -> String {
    let mut shown = url.clone();
    // Only fails for URLs that cannot have credentials, which then have none.
    let _ = shown.set_username("");
    let _ = shown.set_password(None);
    shown.set_query(None);
    shown.set_fragment(None);
    shown.to_string()
}

/// The options that shape the HTTP client.
#[derive(Debug)]
pub(crate) struct ClientOptions<'a> {
    pub(crate) timeout_secs: u64,
    pub(crate) connect_timeout_secs: u64,
    pub(crate) tls: TlsFiles<'a>,
}

impl Endpoint {
    /// Builds the client; problems go into `check`. Returns `None` when any
    /// problem was found in the parts this function looks at.
    pub(crate) fn new(
        check: &mut Checker,
        url: Option<Url>,
        token: Option<Secret>,
        options: ClientOptions<'_>,
    ) -> Option<Self> {
        if options.timeout_secs == 0 {
            check.problem("timeout_secs", "must be at least 1");
        }
        if options.connect_timeout_secs == 0 {
            check.problem("connect_timeout_secs", "must be at least 1");
        }
        let tls = tls::client_config(check, options.tls)?;
        let client = reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            .timeout(Duration::from_secs(options.timeout_secs.max(1)))
            .connect_timeout(Duration::from_secs(options.connect_timeout_secs.max(1)))
            // A 301/302 would turn the POST into a body-less GET: better to say so.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("vigil/", env!("CARGO_PKG_VERSION")))
            .build();
        let client = match client {
            Ok(c) => c,
            Err(e) => {
                check.problem("url", format!("cannot build an HTTP client: {e}"));
                return None;
            }
        };
        let url = url?;
        Some(Self {
            sink: check.sink().to_owned(),
            display: redact(&url),
            redactor: Redactor::new(Some(&url), token.as_ref()),
            url,
            client,
            timeout_secs: options.timeout_secs,
        })
    }

    /// POSTs the body. Transport failures (connect, TLS, timeout, a connection
    /// cut mid-response) are retryable errors; any HTTP answer comes back as is.
    pub(crate) async fn post(
        &self,
        headers: HeaderMap,
        body: Vec<u8>,
    ) -> Result<Answer, SinkError> {
        let result = self
            .client
            .post(self.url.clone())
            .headers(headers)
            .body(body)
            .send()
            .await;
        let mut response = result.map_err(|e| self.transport_error(e))?;
        let status = response.status();
        let headers = response.headers().clone();
        // Read at most MAX_BODY_BYTES; the rest is dropped with the connection.
        let mut body = Vec::new();
        while body.len() < MAX_BODY_BYTES {
            match response
                .chunk()
                .await
                .map_err(|e| self.transport_error(e))?
            {
                Some(chunk) => {
                    let room = MAX_BODY_BYTES - body.len();
                    body.extend_from_slice(&chunk[..chunk.len().min(room)]);
                }
                None => break,
            }
        }
        Ok(Answer {
            status,
            headers,
            body,
        })
    }

    /// Sends `batch` in chunks of `max_batch`, each as the body `body` makes of it, and
    /// stops at the first chunk not accepted, with the error `refused` makes of the
    /// answer (the events before it were delivered; the caller's outbox keeps the rest).
    pub(crate) async fn post_batches(
        &self,
        headers: &HeaderMap,
        batch: &[crate::Event],
        max_batch: usize,
        body: impl Fn(&[crate::Event]) -> Result<Vec<u8>, SinkError>,
        refused: impl Fn(&Answer, &[crate::Event]) -> SinkError,
    ) -> Result<(), SinkError> {
        for chunk in batch.chunks(max_batch.max(1)) {
            let started = std::time::Instant::now();
            let body = body(chunk)?;
            let bytes = body.len();
            let answer = self.post(headers.clone(), body).await?;
            if !answer.status.is_success() {
                return Err(refused(&answer, chunk));
            }
            tracing::debug!(
                sink = %self.sink,
                events = chunk.len(),
                bytes,
                status = answer.status.as_u16(),
                elapsed_ms = started.elapsed().as_millis() as u64,
                "batch delivered"
            );
        }
        Ok(())
    }

    fn transport_error(&self, err: reqwest::Error) -> SinkError {
        // `without_url`: reqwest's messages quote the full URL, query included.
        let err = err.without_url();
        let reason = if let Some(tls) = tls::describe_tls_failure(&err) {
            tls
        } else if err.is_timeout() {
            format!("no answer within {} s (`timeout_secs`)", self.timeout_secs)
        } else {
            chain(&err)
        };
        SinkError::Unavailable {
            sink: self.sink.clone(),
            endpoint: self.display.clone(),
            reason: self.scrub(&reason),
            retry_after: None,
        }
    }

    /// The error for a non-2xx answer. `detail` is what the sink made of the
    /// body; it is scrubbed of the token and shortened here.
    pub(crate) fn status_error(
        &self,
        answer: &Answer,
        detail: &str,
        event_id: Option<String>,
    ) -> SinkError {
        let status = answer.status;
        // Scrub before shortening: a cut could leave half a secret behind.
        let detail = shorten(&self.scrub(detail));
        let detail = if detail.is_empty() {
            String::new()
        } else {
            format!(": {detail}")
        };
        if status == StatusCode::REQUEST_TIMEOUT
            || status == StatusCode::TOO_MANY_REQUESTS
            || status.is_server_error()
        {
            return SinkError::Unavailable {
                sink: self.sink.clone(),
                endpoint: self.display.clone(),
                reason: format!("HTTP {status}{detail}"),
                retry_after: answer.headers.get(RETRY_AFTER).and_then(parse_retry_after),
            };
        }
        let reason = if status.is_redirection() {
            let to = answer
                .headers
                .get(LOCATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| self.url.join(v).ok())
                .map(|u| format!(" to {}", redact(&u)))
                .unwrap_or_default();
            format!("HTTP {status}: the endpoint redirects{to}; set `url` to the final address")
        } else {
            format!("HTTP {status}{detail}")
        };
        SinkError::Rejected {
            sink: self.sink.clone(),
            endpoint: self.display.clone(),
            status: Some(status.as_u16()),
            event_id,
            reason,
        }
    }

    pub(crate) fn scrub(&self, text: &str) -> String {
        self.redactor.scrub(text)
    }
}

/// An error and its sources on one line.
fn chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut out = err.to_string();
    let mut cur = err.source();
    while let Some(e) = cur {
        let msg = e.to_string();
        if !out.contains(&msg) {
            out.push_str(": ");
            out.push_str(&msg);
        }
        cur = e.source();
    }
    out
}

/// A response body made fit for one line of an error message.
fn shorten(text: &str) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match flat.char_indices().nth(MAX_QUOTED_BODY) {
        Some((cut, _)) => format!("{}…", &flat[..cut]),
        None => flat,
    }
}

/// `Retry-After` as seconds or as an HTTP date.
fn parse_retry_after(value: &HeaderValue) -> Option<Duration> {
    let text = value.to_str().ok()?.trim();
    if let Ok(secs) = text.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = chrono::DateTime::parse_from_rfc2822(text).ok()?;
    let wait = when.with_timezone(&chrono::Utc) - chrono::Utc::now();
    Some(wait.to_std().unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_drops_credentials_and_query() {
        let url = Url::parse("https://user:pw@siem.example.com:8443/in?token=abc#x").unwrap();
        assert_eq!(redact(&url), "https://siem.example.com:8443/in");
    }

    #[test]
    fn retry_after_seconds_and_date() {
        assert_eq!(
            parse_retry_after(&HeaderValue::from_static("7")),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            parse_retry_after(&HeaderValue::from_static("Sun, 06 Nov 1994 08:49:37 GMT")),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after(&HeaderValue::from_static("soon")), None);
    }

    #[test]
    fn shorten_flattens_and_cuts() {
        assert_eq!(shorten(" a\n  b "), "a b");
        let long = "x".repeat(1000);
        assert_eq!(shorten(&long).chars().count(), MAX_QUOTED_BODY + 1);
    }
}
