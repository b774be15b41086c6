//! The generic JSON webhook sink: one POST per batch, each event wrapped as
//! `{"id","kind","time","event"}`, as a JSON array or NDJSON, optionally gzipped,
//! with an optional token and extra headers.

use reqwest::header::{
    AUTHORIZATION, CONTENT_ENCODING, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue,
};

use crate::config::{Compression, HttpConfig, HttpFormat};
use crate::error::Checker;
use crate::format::{gzip, write_envelope};
use crate::http_common::{ClientOptions, Endpoint, parse_url};
use crate::secret::{Secret, resolve_token};
use crate::tls::TlsFiles;
use crate::{Event, Sink, SinkError};

/// Posts batches to a JSON webhook. Any 2xx answer is success; its body is ignored.
#[derive(Debug)]
pub struct HttpSink {
    endpoint: Endpoint,
    format: HttpFormat,
    compression: Compression,
    /// Every header of every request, the token's included (marked sensitive,
    /// so that reqwest and hyper never print it).
    headers: HeaderMap,
    max_batch: usize,
}

impl HttpSink {
    pub fn new(
        config: &HttpConfig,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, SinkError> {
        let mut check = Checker::new(config.name.as_deref().unwrap_or("http"));
        check.batch(config.max_batch_events);
        let url = parse_url(&mut check, &config.url);
        let token = resolve_token(
            &mut check,
            config.token_env.as_deref(),
            config.token_file.as_deref(),
            false,
            env,
        );
        let headers = request_headers(&mut check, config, token.as_ref());
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
        match (endpoint, headers, check.finish()) {
            (Some(endpoint), Some(headers), Ok(())) => Ok(Self {
                endpoint,
                format: config.format,
                compression: config.compression,
                headers,
                max_batch: config.max_batch_events,
            }),
            (_, _, Err(e)) => Err(e),
            // Every part that comes back empty has recorded why.
            _ => Err(SinkError::config(&name, "url", "cannot be used")),
        }
    }

    fn body(&self, batch: &[Event]) -> Result<Vec<u8>, SinkError> {
        let mut body = Vec::with_capacity(batch.len() * 1024);
        if self.format == HttpFormat::JsonArray {
            body.push(b'[');
        }
        for (i, event) in batch.iter().enumerate() {
            if i > 0 && self.format == HttpFormat::JsonArray {
                body.push(b',');
            }
            write_envelope(&mut body, event).map_err(|e| SinkError::Rejected {
                sink: self.endpoint.sink.clone(),
                endpoint: self.endpoint.display.clone(),
                status: None,
                event_id: Some(event.id.clone()),
                reason: format!("cannot serialise the event: {e}"),
            })?;
            if self.format == HttpFormat::Ndjson {
                body.push(b'\n');
            }
        }
        if self.format == HttpFormat::JsonArray {
            body.push(b']');
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
}

/// The fixed headers of every request, checked once at start-up.
fn request_headers(
    check: &mut Checker,
    config: &HttpConfig,
    token: Option<&Secret>,
) -> Option<HeaderMap> {
    let mut headers = HeaderMap::new();
    let mut ok = true;
    let content_type = match config.format {
        HttpFormat::JsonArray => "application/json",
        HttpFormat::Ndjson => "application/x-ndjson",
    };
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    if config.compression == Compression::Gzip {
        headers.insert(CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }

    let token_header = match &config.token_header {
        None => AUTHORIZATION,
        Some(name) => match HeaderName::from_bytes(name.as_bytes()) {
            Ok(h) => h,
            Err(_) => {
                check.problem(
                    "token_header",
                    format!("`{name}` is not a valid header name"),
                );
                ok = false;
                AUTHORIZATION
            }
        },
    };
    if config.token_header.is_some() && config.token_env.is_none() && config.token_file.is_none() {
        check.problem(
            "token_header",
            "needs a token in `token_env` or `token_file`",
        );
        ok = false;
    }

    for (name, value) in &config.headers {
        let Ok(header) = HeaderName::from_bytes(name.as_bytes()) else {
            check.problem("headers", format!("`{name}` is not a valid header name"));
            ok = false;
            continue;
        };
        let Ok(value) = HeaderValue::from_str(value) else {
            check.problem(
                "headers",
                format!("the value of `{name}` is not a valid header value"),
            );
            ok = false;
            continue;
        };
        if header == CONTENT_TYPE || header == CONTENT_ENCODING {
            check.problem(
                "headers",
                format!("`{name}` is set by the sink from `format` and `compression`"),
            );
            ok = false;
            continue;
        }
        if token.is_some() && header == token_header {
            check.problem(
                "headers",
                format!("`{name}` would overwrite the token; drop it or the token"),
            );
            ok = false;
            continue;
        }
        headers.insert(header, value);
    }

    if let Some(token) = token {
        let value = if config.token_header.is_some() {
            token.expose().to_owned()
        } else {
            format!("Bearer {}", token.expose())
        };
        match HeaderValue::from_str(&value) {
            Ok(mut v) => {
                v.set_sensitive(true);
                headers.insert(token_header, v);
            }
            Err(_) => {
                // Say which field holds it, never the value.
                let field = if config.token_env.is_some() {
                    "token_env"
                } else {
                    "token_file"
                };
                check.problem(field, "the token holds characters a header cannot carry");
                ok = false;
            }
        }
    }
    ok.then_some(headers)
}

#[async_trait::async_trait]
impl Sink for HttpSink {
    fn name(&self) -> &str {
        &self.endpoint.sink
    }

    fn kind(&self) -> &'static str {
        "http"
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
                |answer, _| {
                    let text = String::from_utf8_lossy(&answer.body);
                    self.endpoint.status_error(answer, &text, None)
                },
            )
            .await
    }
}
