//! The Splunk HEC sink against a real HTTP server speaking HEC's answers.

use serde_json::Value;

use crate::support::{Reply, config, events, http_server, toml_path};
use vigil_sink::build;

const SUCCESS: &str = r#"{"text":"Success","code":0}"#;

fn token_file(dir: &tempfile::TempDir) -> String {
    let path = dir.path().join("hec-token");
    std::fs::write(&path, "11111111-2222-3333-4444-555555555555\n").unwrap();
    toml_path(&path)
}

/// Splits a body of back-to-back JSON objects.
fn envelopes(body: &[u8]) -> Vec<Value> {
    serde_json::Deserializer::from_slice(body)
        .into_iter::<Value>()
        .map(Result::unwrap)
        .collect()
}

#[tokio::test]
async fn body_is_concatenated_hec_envelopes_with_token_sourcetype_and_index() {
    let server = http_server(Reply::status(200, SUCCESS), None).await;
    let dir = tempfile::tempdir().unwrap();
    let sink = build(&config(&format!(
        r#"
        [[sinks]]
        type = "splunk_hec"
        name = "splunk"
        url = "{}"
        token_file = "{}"
        host = "scanner-1"
        sourcetype = "ocsf:finding"
        index = "security"
        "#,
        server.url(""),
        token_file(&dir),
    )))
    .unwrap();
    assert_eq!(sink.endpoint(), server.url("/services/collector/event"));

    let batch = events(3);
    sink.send(&batch).await.unwrap();

    let req = &server.requests()[0];
    assert_eq!(req.path_and_query, "/services/collector/event");
    assert_eq!(
        req.header("authorization").as_deref(),
        Some("Splunk 11111111-2222-3333-4444-555555555555")
    );
    assert!(
        !req.body.starts_with(b"["),
        "HEC takes envelopes back to back, not an array"
    );
    let items = envelopes(&req.body);
    assert_eq!(items.len(), 3);
    for (item, event) in items.iter().zip(&batch) {
        let time = item["time"].as_f64().unwrap();
        assert!((time - event.time.timestamp_millis() as f64 / 1000.0).abs() < 1e-6);
        assert_eq!(item["host"], "scanner-1");
        assert_eq!(item["source"], "vigil");
        assert_eq!(item["sourcetype"], "ocsf:finding");
        assert_eq!(item["index"], "security");
        assert_eq!(item["fields"]["vigil_event_id"], event.id.as_str());
        assert_eq!(item["fields"]["vigil_event_kind"], "finding.new");
        assert_eq!(item["event"], event.body);
    }
    // Milliseconds survive: the second event is 1.001 s after the first.
    let t0 = items[0]["time"].as_f64().unwrap();
    let t1 = items[1]["time"].as_f64().unwrap();
    assert!((t1 - t0 - 1.001).abs() < 1e-6, "{t0} {t1}");
}

#[tokio::test]
async fn defaults_and_gzip() {
    let server = http_server(Reply::status(200, SUCCESS), None).await;
    let dir = tempfile::tempdir().unwrap();
    let sink = build(&config(&format!(
        r#"
        [[sinks]]
        type = "splunk_hec"
        url = "{}"
        token_file = "{}"
        compression = "gzip"
        "#,
        server.url("/services/collector"),
        token_file(&dir),
    )))
    .unwrap();
    assert_eq!(sink.name(), "splunk_hec");
    sink.send(&events(2)).await.unwrap();
    let req = &server.requests()[0];
    assert_eq!(req.path_and_query, "/services/collector/event");
    assert_eq!(req.header("content-encoding").as_deref(), Some("gzip"));
    let items = envelopes(&req.decoded_body());
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["sourcetype"], "ocsf:compliance_finding");
    assert_eq!(items[0]["source"], "vigil");
    assert!(
        items[0].get("index").is_none(),
        "no index: the token's default"
    );
    assert!(!items[0]["host"].as_str().unwrap().is_empty());
}

#[tokio::test]
async fn invalid_data_names_hec_code_text_and_event() {
    let server = http_server(
        Reply::status(
            400,
            r#"{"text":"Invalid data format","code":6,"invalid-event-number":1}"#,
        ),
        None,
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let sink = build(&config(&format!(
        "[[sinks]]\ntype = \"splunk_hec\"\nurl = \"{}\"\ntoken_file = \"{}\"",
        server.url(""),
        token_file(&dir)
    )))
    .unwrap();
    let err = sink.send(&events(3)).await.unwrap_err();
    assert!(!err.is_retryable());
    assert_eq!(err.status(), Some(400));
    assert_eq!(err.event_id(), Some("ev-1"));
    let msg = err.to_string();
    assert!(msg.contains("HEC code 6"), "{msg}");
    assert!(msg.contains("Invalid data format"), "{msg}");
    assert!(msg.contains("ev-1"), "{msg}");
}

#[tokio::test]
async fn server_busy_is_retryable() {
    let server = http_server(
        Reply::status(503, r#"{"text":"Server is busy","code":9}"#),
        None,
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let sink = build(&config(&format!(
        "[[sinks]]\ntype = \"splunk_hec\"\nurl = \"{}\"\ntoken_file = \"{}\"",
        server.url(""),
        token_file(&dir)
    )))
    .unwrap();
    let err = sink.send(&events(1)).await.unwrap_err();
    assert!(err.is_retryable());
    assert!(err.to_string().contains("Server is busy"), "{err}");
}

#[tokio::test]
async fn invalid_token_is_not_retryable_and_points_at_the_token_not_its_value() {
    let server = http_server(
        Reply::status(403, r#"{"text":"Invalid token","code":4}"#),
        None,
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let sink = build(&config(&format!(
        "[[sinks]]\ntype = \"splunk_hec\"\nurl = \"{}\"\ntoken_file = \"{}\"",
        server.url(""),
        token_file(&dir)
    )))
    .unwrap();
    let err = sink.send(&events(1)).await.unwrap_err();
    assert!(!err.is_retryable());
    let msg = err.to_string();
    assert!(msg.contains("Invalid token"), "{msg}");
    assert!(msg.contains("`token_file`"), "{msg}");
    assert!(!msg.contains("5555"), "{msg}");
    assert!(!format!("{err:?}").contains("5555"));
    assert!(!format!("{sink:?}").contains("5555"));
}
