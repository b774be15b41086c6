//! The Splunk HTTP Event Collector sink: HEC envelopes concatenated in one POST
//! to the event endpoint, HEC's `{"text","code"}` answers turned into errors.

use reqwest::Url;
use reqwest::header::{AUTHORIZATION, CONTENT_ENCODING, CONTENT_TYPE, HeaderMap, HeaderValue};
use serde::{Deserialize, Serialize};

use crate::config::{Compression, SplunkHecConfig};
use crate::error::Checker;
use crate::format::gzip;
use crate::http_common::{Answer, ClientOptions, Endpoint, parse_url};
use crate::secret::resolve_token;
use crate::tls::TlsFiles;
use crate::{Event, Sink, SinkError};

/// The path of HEC's JSON event endpoint.
const EVENT_PATH: &str = "services/collector/event";

/// Sends events to Splunk HEC. The event id and kind go into indexed `fields`
/// (`vigil_event_id`, `vigil_event_kind`) so that searches can deduplicate
/// without touching the OCSF body.
#[derive(Debug)]
pub struct SplunkHecSink {
    endpoint: Endpoint,
    headers: HeaderMap,
    host: String,
    source: String,
    sourcetype: String,
    index: Option<String>,
    compression: Compression,
    max_batch: usize,
}

/// One HEC event envelope.
#[derive(Debug, Serialize)]
struct Envelope<'a> {
    /// Epoch seconds with milliseconds, as HEC wants it.
    time: f64,
    host: &'a str,
    source: &'a str,
    sourcetype: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    index: Option<&'a str>,
    fields: Fields<'a>,
    event: &'a serde_json::Value,
}

#[derive(Debug, Serialize)]
struct Fields<'a> {
    vigil_event_id: &'a str,
    vigil_event_kind: &'a str,
}

/// HEC's answer body.
#[derive(Debug, Deserialize)]
struct HecAnswer {
    #[serde(default)]
    text: String,
    #[serde(default)]
    code: Option<i64>,
    /// Index in the batch of the event HEC could not take (codes 6, 12, 13).
    #[serde(rename = "invalid-event-number", default)]
    invalid_event_number: Option<usize>,
}

impl SplunkHecSink {
    pub fn new(
        config: &SplunkHecConfig,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, SinkError> {
        let mut check = Checker::new(config.name.as_deref().unwrap_or("splunk_hec"));
        check.batch(config.max_batch_events);
        let url = parse_url(&mut check, &config.url).and_then(|u| event_url(&mut check, u));
        let token = resolve_token(
            &mut check,
            config.token_env.as_deref(),
            config.token_file.as_deref(),
            true,
            env,
        );
        for (field, value) in [
            ("source", &config.source),
            ("sourcetype", &config.sourcetype),
        ] {
            if value.trim().is_empty() {
                check.problem(field, "must not be empty");
            }
        }
        if config.index.as_deref().is_some_and(|i| i.trim().is_empty()) {
            check.problem(
                "index",
                "must not be empty; leave it out for the token's default index",
            );
        }

        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        if config.compression == Compression::Gzip {
            headers.insert(CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        }
        if let Some(token) = &token {
            match HeaderValue::from_str(&format!("Splunk {}", token.expose())) {
                Ok(mut v) => {
                    v.set_sensitive(true);
                    headers.insert(AUTHORIZATION, v);
                }
                Err(_) => {
                    let field = if config.token_env.is_some() {
                        "token_env"
                    } else {
                        "token_file"
                    };
                    check.problem(field, "the token holds characters a header cannot carry");
                }
            }
        }

        let endpoint = Endpoint::new(
            &mut check,
            url,
            token,
            ClientOptions {
                timeout_secs: config.timeout_secs,
                connect_timeout_secs: config.connect_timeout_secs,
                tls: TlsFiles {
                    ca_file: config.ca_file.as_deref(),
                    client_cert_file: config.client_cert_file.as_deref(),
                    client_key_file: config.client_key_file.as_deref(),
                },
            },
        );
        let name = check.sink().to_owned();
        match (endpoint, check.finish()) {
            (Some(endpoint), Ok(())) => Ok(Self {
                endpoint,
                headers,
                host: config
                    .host
                    .clone()
                    .unwrap_or_else(crate::syslog::local_hostname),
                source: config.source.clone(),
                sourcetype: config.sourcetype.clone(),
                index: config.index.clone(),
                compression: config.compression,
                max_batch: config.max_batch_events,
            }),
            (_, Err(e)) => Err(e),
            (None, Ok(())) => Err(SinkError::config(&name, "url", "cannot be used")),
        }
    }

    fn body(&self, batch: &[Event]) -> Result<Vec<u8>, SinkError> {
        let mut body = Vec::with_capacity(batch.len() * 1024);
        for event in batch {
            let envelope = Envelope {
                time: event.time.timestamp_millis() as f64 / 1000.0,
                host: &self.host,
                source: &self.source,
                sourcetype: &self.sourcetype,
                index: self.index.as_deref(),
                fields: Fields {
                    vigil_event_id: &event.id,
                    vigil_event_kind: &event.kind,
                },
                event: &event.body,
            };
            serde_json::to_writer(&mut body, &envelope).map_err(|e| SinkError::Rejected {
                sink: self.endpoint.sink.clone(),
                endpoint: self.endpoint.display.clone(),
                status: None,
                event_id: Some(event.id.clone()),
                reason: format!("cannot serialise the event: {e}"),
            })?;
            // HEC takes envelopes back to back; a newline keeps the body readable.
            body.push(b'\n');
        }
        match self.compression {
            Compression::None => Ok(body),
            Compression::Gzip => gzip(&body).map_err(|source| SinkError::Io {
                sink: self.endpoint.sink.clone(),
                target: self.endpoint.display.clone(),
                action: "compressing the request body",
                source,
            }),
        }
    }

    /// Turns a non-2xx answer into an error that quotes HEC's code and text,
    /// names the event HEC pointed at, and says what to check.
    fn answer_error(&self, answer: &Answer, batch: &[Event]) -> SinkError {
        let Ok(hec) = serde_json::from_slice::<HecAnswer>(&answer.body) else {
            let text = String::from_utf8_lossy(&answer.body);
            return self.endpoint.status_error(answer, &text, None);
        };
        let mut detail = match hec.code {
            Some(code) => format!("HEC code {code} \"{}\"", hec.text),
            None => format!("\"{}\"", hec.text),
        };
        let hint = match hec.code {
            Some(1..=4) => Some("check the token in `token_env` or `token_file`"),
            Some(7) => {
                Some("check `index`: it must exist and the token must be allowed to write to it")
            }
            Some(10 | 11) => Some(
                "the token has indexer acknowledgement on, which this sink does not use; turn it off for this token",
            ),
            _ => None,
        };
        if let Some(hint) = hint {
            detail.push_str("; ");
            detail.push_str(hint);
        }
        let event_id = hec
            .invalid_event_number
            .and_then(|n| batch.get(n))
            .map(|e| e.id.clone());
        self.endpoint.status_error(answer, &detail, event_id)
    }
}

/// The event endpoint for a configured URL: the base address gets
/// `/services/collector/event`; a URL that already names the collector is kept.
fn event_url(check: &mut Checker, mut url: Url) -> Option<Url> {
    let path = url.path().trim_end_matches('/').to_owned();
    if path.ends_with("/services/collector/raw") || path.contains("/services/collector/raw/") {
        check.problem(
            "url",
            "the raw endpoint takes no HEC envelopes; give the base address, such as `https://splunk.example.com:8088`",
        );
        return None;
    }
    if path.ends_with("/services/collector") {
        url.set_path(&format!("{path}/event"));
    } else if !path.contains("/services/collector/") {
        url.set_path(&format!("{path}/{EVENT_PATH}"));
    }
    Some(url)
}

#[async_trait::async_trait]
impl Sink for SplunkHecSink {
    fn name(&self) -> &str {
        &self.endpoint.sink
    }

    fn kind(&self) -> &'static str {
        "splunk_hec"
    }

    fn endpoint(&self) -> &str {
        &self.endpoint.display
    }

    fn max_batch(&self) -> usize {
        self.max_batch
    }

    async fn send(&self, batch: &[Event]) -> Result<(), SinkError> {
        self.endpoint
            .post_batches(
                &self.headers,
                batch,
                self.max_batch,
                |chunk| self.body(chunk),
                |answer, chunk| self.answer_error(answer, chunk),
            )
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(raw: &str) -> Option<String> {
        let mut check = Checker::new("t");
        event_url(&mut check, Url::parse(raw).unwrap()).map(|u| u.to_string())
    }

    #[test]
    fn event_url_appends_the_collector_path_once() {
        let want = "https://s:8088/services/collector/event";
        assert_eq!(url("https://s:8088").as_deref(), Some(want));
        assert_eq!(url("https://s:8088/").as_deref(), Some(want));
        assert_eq!(
            url("https://s:8088/services/collector").as_deref(),
            Some(want)
        );
        assert_eq!(url(want).as_deref(), Some(want));
        assert_eq!(
            url("https://p/splunk").as_deref(),
            Some("https://p/splunk/services/collector/event")
        );
        assert_eq!(url("https://s:8088/services/collector/raw"), None);
    }
}
