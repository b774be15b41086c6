//! The generic webhook sink against a real HTTP server.

use std::time::Duration;

use crate::support::{Reply, config, events, http_server, refused_port, self_signed, toml_path};
use vigil_sink::build;

#[tokio::test]
async fn posts_a_json_array_of_envelopes_with_the_bearer_token() {
    let server = http_server(Reply::status(200, "ok"), None).await;
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, "s3cr3t-token\n").unwrap();
    let sink = build(&config(&format!(
        r#"
        [[sinks]]
        type = "http"
        name = "webhook"
        url = "{}"
        token_file = "{}"
        headers = {{ "X-Source" = "vigil-test" }}
        "#,
        server.url("/ingest?tenant=7"),
        toml_path(&token_file),
    )))
    .unwrap();
    assert_eq!(sink.name(), "webhook");
    assert_eq!(sink.kind(), "http");

    let batch = events(3);
    sink.send(&batch).await.unwrap();

    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    let req = &requests[0];
    assert_eq!(req.method, "POST");
    assert_eq!(req.path_and_query, "/ingest?tenant=7");
    assert_eq!(
        req.header("content-type").as_deref(),
        Some("application/json")
    );
    assert_eq!(
        req.header("authorization").as_deref(),
        Some("Bearer s3cr3t-token")
    );
    assert_eq!(req.header("x-source").as_deref(), Some("vigil-test"));
    assert_eq!(req.header("content-encoding"), None);
    assert!(req.header("user-agent").unwrap().starts_with("vigil/"));

    let body: serde_json::Value = serde_json::from_slice(&req.body).unwrap();
    let items = body.as_array().unwrap();
    assert_eq!(items.len(), 3);
    for (item, event) in items.iter().zip(&batch) {
        assert_eq!(item["id"], event.id.as_str());
        assert_eq!(item["kind"], "finding.new");
        assert_eq!(
            item["time"],
            event
                .time
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
        );
        assert_eq!(item["event"], event.body);
    }
}

#[tokio::test]
async fn gzipped_ndjson_decodes_to_one_envelope_per_line() {
    let server = http_server(Reply::status(202, ""), None).await;
    let sink = build(&config(&format!(
        r#"
        [[sinks]]
        type = "http"
        url = "{}"
        format = "ndjson"
        compression = "gzip"
        "#,
        server.url("/"),
    )))
    .unwrap();
    sink.send(&events(4)).await.unwrap();

    let req = &server.requests()[0];
    assert_eq!(req.header("content-encoding").as_deref(), Some("gzip"));
    assert_eq!(
        req.header("content-type").as_deref(),
        Some("application/x-ndjson")
    );
    assert_eq!(req.header("authorization"), None);
    assert_eq!(&req.body[..2], &[0x1f, 0x8b], "gzip magic");
    let text = String::from_utf8(req.decoded_body()).unwrap();
    let ids: Vec<String> = text
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(ids, ["ev-0", "ev-1", "ev-2", "ev-3"]);
    assert!(text.ends_with('\n'));
}

#[tokio::test]
async fn token_header_carries_the_bare_token() {
    let server = http_server(Reply::status(200, ""), None).await;
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("key");
    std::fs::write(&token_file, "k-123").unwrap();
    let sink = build(&config(&format!(
        r#"
        [[sinks]]
        type = "http"
        url = "{}"
        token_file = "{}"
        token_header = "X-Api-Key"
        "#,
        server.url("/"),
        toml_path(&token_file),
    )))
    .unwrap();
    sink.send(&events(1)).await.unwrap();
    let req = &server.requests()[0];
    assert_eq!(req.header("x-api-key").as_deref(), Some("k-123"));
    assert_eq!(req.header("authorization"), None);
}

#[tokio::test]
async fn batches_larger_than_max_batch_are_split() {
    let server = http_server(Reply::status(200, ""), None).await;
    let sink = build(&config(&format!(
        r#"
        [[sinks]]
        type = "http"
        url = "{}"
        max_batch_events = 2
        "#,
        server.url("/"),
    )))
    .unwrap();
    assert_eq!(sink.max_batch(), 2);
    sink.send(&events(5)).await.unwrap();
    let sizes: Vec<usize> = server
        .requests()
        .iter()
        .map(|r| {
            serde_json::from_slice::<Vec<serde_json::Value>>(&r.body)
                .unwrap()
                .len()
        })
        .collect();
    assert_eq!(sizes, [2, 2, 1]);
}

#[tokio::test]
async fn http_503_is_retryable_and_keeps_retry_after() {
    let mut reply = Reply::status(503, "maintenance");
    reply.headers.push(("retry-after", "7".to_owned()));
    let server = http_server(reply, None).await;
    let sink = build(&config(&format!(
        "[[sinks]]\ntype = \"http\"\nname = \"soc\"\nurl = \"{}\"",
        server.url("/in")
    )))
    .unwrap();
    let err = sink.send(&events(2)).await.unwrap_err();
    assert!(err.is_retryable(), "{err}");
    assert_eq!(err.retry_after(), Some(Duration::from_secs(7)));
    let msg = err.to_string();
    assert!(msg.contains("sink `soc`"), "{msg}");
    assert!(msg.contains(&server.url("/in")), "{msg}");
    assert!(msg.contains("503"), "{msg}");
    assert!(msg.contains("maintenance"), "{msg}");
}

#[tokio::test]
async fn http_429_is_retryable() {
    let server = http_server(Reply::status(429, "slow down"), None).await;
    let sink = build(&config(&format!(
        "[[sinks]]\ntype = \"http\"\nurl = \"{}\"",
        server.url("/")
    )))
    .unwrap();
    assert!(sink.send(&events(1)).await.unwrap_err().is_retryable());
}

#[tokio::test]
async fn http_400_is_not_retryable_and_the_token_is_scrubbed_from_the_echoed_body() {
    // Some endpoints echo the request's headers in their error body.
    let server = http_server(
        Reply::status(
            400,
            "bad request; you sent Authorization: Bearer s3cr3t-token",
        ),
        None,
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, "s3cr3t-token").unwrap();
    let sink = build(&config(&format!(
        "[[sinks]]\ntype = \"http\"\nurl = \"{}\"\ntoken_file = \"{}\"",
        server.url("/"),
        toml_path(&token_file)
    )))
    .unwrap();
    let err = sink.send(&events(1)).await.unwrap_err();
    assert!(!err.is_retryable(), "{err}");
    assert_eq!(err.status(), Some(400));
    let msg = err.to_string();
    let debug = format!("{err:?}");
    assert!(!msg.contains("s3cr3t"), "{msg}");
    assert!(!debug.contains("s3cr3t"), "{debug}");
    assert!(msg.contains("Bearer ***"), "{msg}");
    assert!(msg.contains("not retried"), "{msg}");
    assert!(!format!("{sink:?}").contains("s3cr3t"));
}

#[tokio::test]
async fn redirects_are_refused_not_followed() {
    let mut reply = Reply::status(302, "");
    reply
        .headers
        .push(("location", "/elsewhere?sig=abc".to_owned()));
    let server = http_server(reply, None).await;
    let sink = build(&config(&format!(
        "[[sinks]]\ntype = \"http\"\nurl = \"{}\"",
        server.url("/in")
    )))
    .unwrap();
    let err = sink.send(&events(1)).await.unwrap_err();
    assert!(!err.is_retryable());
    let msg = err.to_string();
    assert!(msg.contains(&server.url("/elsewhere")), "{msg}");
    assert!(!msg.contains("sig=abc"), "{msg}");
    assert_eq!(server.requests().len(), 1, "the redirect was not followed");
}

#[tokio::test]
async fn refused_connection_is_retryable_and_the_query_stays_out_of_the_message() {
    let port = refused_port();
    let sink = build(&config(&format!(
        "[[sinks]]\ntype = \"http\"\nurl = \"http://127.0.0.1:{port}/hook?token=q-secret\"\nconnect_timeout_secs = 2"
    )))
    .unwrap();
    assert_eq!(sink.endpoint(), format!("http://127.0.0.1:{port}/hook"));
    let err = sink.send(&events(1)).await.unwrap_err();
    assert!(err.is_retryable(), "{err}");
    let msg = err.to_string();
    assert!(msg.contains(&format!("127.0.0.1:{port}/hook")), "{msg}");
    assert!(!msg.contains("q-secret"), "{msg}");
    assert!(!format!("{err:?}").contains("q-secret"));
}

#[tokio::test]
async fn tls_with_a_self_signed_certificate_needs_ca_file() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, server_config) = self_signed(dir.path());
    let server = http_server(Reply::status(200, ""), Some(server_config)).await;
    let url = format!("https://localhost:{}/in", server.addr.port());

    let trusting = build(&config(&format!(
        "[[sinks]]\ntype = \"http\"\nurl = \"{url}\"\nca_file = \"{}\"",
        toml_path(&cert)
    )))
    .unwrap();
    trusting.send(&events(2)).await.unwrap();
    assert_eq!(server.requests().len(), 1);

    let untrusting = build(&config(&format!(
        "[[sinks]]\ntype = \"http\"\nurl = \"{url}\""
    )))
    .unwrap();
    let err = untrusting.send(&events(1)).await.unwrap_err();
    assert!(err.is_retryable(), "{err}");
    let msg = err.to_string();
    assert!(msg.contains("TLS"), "{msg}");
    assert!(msg.contains("`ca_file`"), "{msg}");
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn mutual_tls_presents_the_client_certificate() {
    let pki = crate::support::pki();
    let server = http_server(Reply::status(200, ""), Some(pki.server_config(true))).await;
    let url = format!("https://127.0.0.1:{}/in", server.addr.port());
    let with_cert = build(&config(&format!(
        "[[sinks]]\ntype = \"http\"\nurl = \"{url}\"\nca_file = \"{}\"\nclient_cert_file = \"{}\"\nclient_key_file = \"{}\"",
        toml_path(&pki.ca_file),
        toml_path(&pki.client_cert_file),
        toml_path(&pki.client_key_file),
    )))
    .unwrap();
    with_cert.send(&events(1)).await.unwrap();
    assert_eq!(server.requests().len(), 1);

    let without = build(&config(&format!(
        "[[sinks]]\ntype = \"http\"\nurl = \"{url}\"\nca_file = \"{}\"",
        toml_path(&pki.ca_file),
    )))
    .unwrap();
    assert!(without.send(&events(1)).await.is_err());
    assert_eq!(server.requests().len(), 1);
}

/// A sink token in the URL's query string (`?token=…`) reached the daemon's logs and the
/// store's `outbox.last_error` when the endpoint echoed the request; header tokens were
/// masked, query tokens were not.
#[tokio::test]
async fn a_query_string_token_is_scrubbed_from_the_echoed_body() {
    let server = http_server(
        Reply::status(
            401,
            "unauthorized: POST /ingest?token=qu3ry-s3cret&tenant=7 from collector:pa55w0rd",
        ),
        None,
    )
    .await;
    let url = server.url("/ingest?token=qu3ry-s3cret&tenant=7").replacen(
        "http://",
        "http://collector:pa55w0rd@",
        1,
    );
    let sink = build(&config(&format!(
        "[[sinks]]\ntype = \"http\"\nurl = \"{url}\""
    )))
    .unwrap();
    let err = sink.send(&events(1)).await.unwrap_err();
    for text in [err.to_string(), format!("{err:?}"), format!("{sink:?}")] {
        assert!(!text.contains("qu3ry-s3cret"), "{text}");
        assert!(!text.contains("pa55w0rd"), "{text}");
    }
    assert!(err.to_string().contains("token=***"), "{err}");
}

/// An HTTP sink read a whole error reply into memory (a 2 GB reply took the daemon to
/// ~5 GB). The reply here is 64 MiB; the error quotes its start and the sink keeps at
/// most 64 KiB of it.
#[tokio::test]
async fn a_huge_error_reply_is_not_read_whole() {
    let body = "x".repeat(64 * 1024 * 1024);
    let server = http_server(Reply::status(400, &body), None).await;
    let sink = build(&config(&format!(
        "[[sinks]]\ntype = \"http\"\nurl = \"{}\"",
        server.url("/")
    )))
    .unwrap();
    let err = sink.send(&events(1)).await.unwrap_err();
    assert_eq!(err.status(), Some(400));
    assert!(err.to_string().len() < 2_000, "{}", err.to_string().len());
}
