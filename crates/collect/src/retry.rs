//! Which failed calls are worth another attempt. The SDK's own classifiers retry every
//! 500 and every connection error, with backoff: an emulator's "not implemented" (moto
//! answers an unimplemented operation with an HTML 500 page, LocalStack with a 501 or a
//! 500 saying so) was retried five times and cost a scan 20 s of waiting for answers
//! that never change. This classifier runs after the SDK's and forbids a retry when the
//! answer is final:
//!
//! - `501 Not Implemented`, which means exactly that;
//! - a 500 whose body says the operation or service is not implemented or emulated;
//! - a 500 that is not an AWS error at all (an HTML page): AWS's own 500s are errors in
//!   the protocol's format (`InternalError`, `InternalFailure`) and stay retried.
//!
//! Access denied, opt-in required, unknown operations and other 4xx answers are final
//! already (the SDK retries only throttling and timeouts among them); throttling,
//! timeouts, `502`/`503`/`504` and AWS's 500s are still retried under the adaptive
//! limiter. The test below answers each kind from a real local server and counts.

use aws_smithy_runtime_api::client::interceptors::context::InterceptorContext;
use aws_smithy_runtime_api::client::retries::classifiers::{
    ClassifyRetry, RetryAction, RetryClassifierPriority,
};

/// Body fragments that mean "this will never work here" in a 5xx answer.
const NOT_IMPLEMENTED: &[&str] = &[
    "not been implemented",
    "not yet been emulated",
    "not yet implemented",
    "not implemented",
    "notimplemented",
    "not included in your current license plan",
];

/// Forbids retries of answers that cannot change (see the module documentation).
#[derive(Debug, Clone, Copy, Default)]
pub struct FinalErrors;

impl FinalErrors {
    /// Is an HTTP answer final, whatever the SDK's classifiers think?
    pub fn is_final(status: u16, body: &[u8]) -> bool {
        if status == 501 {
            return true;
        }
        if status != 500 {
            return false;
        }
        let text = String::from_utf8_lossy(&body[..body.len().min(4096)]).to_ascii_lowercase();
        let html = text.trim_start().starts_with("<!doctype html")
            || text.trim_start().starts_with("<html");
        html || NOT_IMPLEMENTED.iter().any(|m| text.contains(m))
    }
}

impl ClassifyRetry for FinalErrors {
    fn classify_retry(&self, ctx: &InterceptorContext) -> RetryAction {
        let Some(response) = ctx.response() else {
            return RetryAction::NoActionIndicated;
        };
        let body = response.body().bytes().unwrap_or_default();
        if FinalErrors::is_final(response.status().as_u16(), body) {
            RetryAction::RetryForbidden
        } else {
            RetryAction::NoActionIndicated
        }
    }

    fn name(&self) -> &'static str {
        "VigilFinalErrors"
    }

    fn priority(&self) -> RetryClassifierPriority {
        RetryClassifierPriority::run_after(RetryClassifierPriority::transient_error_classifier())
    }
}

#[cfg(test)]
mod tests {
    use std::io::{BufRead, BufReader, Read, Write};
    use std::net::TcpListener;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use super::*;
    use crate::calls::classify;

    /// A real HTTP server on loopback that gives every request the same answer and
    /// counts the requests.
    fn server(
        status: &'static str,
        content_type: &'static str,
        body: &'static str,
    ) -> (u16, Arc<AtomicUsize>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let count = Arc::new(AtomicUsize::new(0));
        let seen = Arc::clone(&count);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let seen = Arc::clone(&seen);
                std::thread::spawn(move || {
                    let mut reader = BufReader::new(stream.try_clone().unwrap());
                    loop {
                        let mut length = 0usize;
                        let mut line = String::new();
                        if reader.read_line(&mut line).unwrap_or(0) == 0 {
                            return;
                        }
                        loop {
                            let mut header = String::new();
                            if reader.read_line(&mut header).unwrap_or(0) == 0 {
                                return;
                            }
                            if header == "\r\n" {
                                break;
                            }
                            if let Some((name, value)) = header.split_once(':')
                                && name.eq_ignore_ascii_case("content-length")
                            {
                                length = value.trim().parse().unwrap_or(0);
                            }
                        }
                        let mut request_body = vec![0; length];
                        if reader.read_exact(&mut request_body).is_err() {
                            return;
                        }
                        seen.fetch_add(1, Ordering::SeqCst);
                        let reply = format!(
                            "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\n\r\n{body}",
                            body.len()
                        );
                        if (&stream).write_all(reply.as_bytes()).is_err() {
                            return;
                        }
                    }
                });
            }
        });
        (port, count)
    }

    /// One `sts:GetCallerIdentity` against the server, with 3 attempts and short
    /// backoff; returns the error code and how many requests reached the server. The
    /// standard mode, not the scanner's adaptive one: classification is the same, but
    /// the adaptive limiter slows every later client of the process after a throttle
    /// (it is shared per service), which only costs this test time.
    async fn attempts(
        status: &'static str,
        content_type: &'static str,
        body: &'static str,
    ) -> (String, usize) {
        let (port, count) = server(status, content_type, body);
        let conf = aws_sdk_sts::Config::builder()
            .behavior_version(aws_sdk_sts::config::BehaviorVersion::latest())
            .region(aws_sdk_sts::config::Region::new("us-east-1"))
            .endpoint_url(format!("http://127.0.0.1:{port}"))
            .credentials_provider(aws_sdk_sts::config::Credentials::new(
                "AKIDVIGILTEST",
                "not-a-secret",
                None,
                None,
                "test",
            ))
            .retry_config(
                aws_sdk_sts::config::retry::RetryConfig::standard()
                    .with_max_attempts(3)
                    .with_initial_backoff(Duration::from_millis(5)),
            )
            .retry_classifier(FinalErrors)
            .build();
        let err = aws_sdk_sts::Client::from_conf(conf)
            .get_caller_identity()
            .send()
            .await
            .expect_err("every answer is an error");
        (classify(err).code, count.load(Ordering::SeqCst))
    }

    fn query_error(code: &str, message: &str) -> String {
        format!(
            "<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>r</RequestId></ErrorResponse>"
        )
    }

    fn leak(s: String) -> &'static str {
        Box::leak(s.into_boxed_str())
    }

    #[tokio::test]
    async fn answers_that_cannot_change_are_tried_once_and_transient_ones_three_times() {
        let xml = "text/xml";
        let cases: Vec<(&str, &'static str, &'static str, &'static str, usize)> = vec![
            // Final at once.
            ("501 not implemented", "501 Not Implemented", xml, leak(query_error("InternalFailure", "The API for service sts is either not included in your current license plan or has not yet been emulated"))),
            ("500 saying not implemented", "500 Internal Server Error", xml, leak(query_error("InternalFailure", "The get_caller_identity action has not been implemented"))),
            ("moto's HTML 500", "500 Internal Server Error", "text/html", "<!doctype html>\n<html lang=en>\n<title>500 Internal Server Error</title>\n<h1>Internal Server Error</h1>\n"),
            ("access denied", "403 Forbidden", xml, leak(query_error("AccessDenied", "not authorized"))),
            ("opt-in required", "403 Forbidden", xml, leak(query_error("OptInRequired", "subscribe first"))),
            ("unknown operation", "400 Bad Request", xml, leak(query_error("InvalidAction", "Could not find operation GetCallerIdentity"))),
            ("unrecognised client", "400 Bad Request", xml, leak(query_error("UnrecognizedClientException", "The security token included in the request is invalid"))),
            // Retried.
            ("throttling", "400 Bad Request", xml, leak(query_error("Throttling", "Rate exceeded"))),
            ("AWS's own 500", "500 Internal Server Error", xml, leak(query_error("InternalError", "We encountered an internal error. Please try again."))),
            ("503", "503 Service Unavailable", xml, leak(query_error("ServiceUnavailable", "Service is unable to handle request"))),
            ("502 from a proxy", "502 Bad Gateway", "text/html", "<html><body>Bad Gateway</body></html>"),
        ]
        .into_iter()
        .enumerate()
        .map(|(i, (name, status, ct, body))| (name, status, ct, body, if i < 7 { 1 } else { 3 }))
        .collect();
        let mut wrong = Vec::new();
        for (name, status, content_type, body, expected) in cases {
            let (code, requests) = attempts(status, content_type, body).await;
            if requests != expected {
                wrong.push(format!(
                    "{name}: {requests} request(s), expected {expected} (code {code})"
                ));
            }
        }
        assert!(wrong.is_empty(), "{wrong:#?}");
    }
}
