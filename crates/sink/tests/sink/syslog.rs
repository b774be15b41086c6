//! The syslog sink against real UDP, TCP and TLS receivers on loopback.

use std::time::Duration;

use tokio::net::{TcpListener, UdpSocket};
use tokio::time::timeout;
use tokio_rustls::TlsAcceptor;

use crate::support::{
    WAIT, config, event, parse_syslog, pki, read_frames, refused_port, toml_path,
};
use vigil_sink::{Event, build};

/// An id that needs every escape RFC 5424 has for PARAM-VALUE.
fn tricky_event() -> Event {
    let mut e = event(7, 3);
    e.id = r#"ev-"q"\b]z"#.to_owned();
    e
}

fn scan_summary() -> Event {
    Event {
        id: "scan-1".to_owned(),
        kind: "scan.summary".to_owned(),
        time: event(0, 1).time,
        body: serde_json::json!({ "class_uid": 5000, "message": "42 findings" }),
    }
}

#[tokio::test]
async fn udp_sends_one_rfc5424_message_per_datagram() {
    let receiver = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let port = receiver.local_addr().unwrap().port();
    let sink = build(&config(&format!(
        r#"
        [[sinks]]
        type = "syslog"
        name = "rsyslog"
        transport = "udp"
        address = "127.0.0.1:{port}"
        facility = "local4"
        hostname = "scanner-1"
        "#
    )))
    .unwrap();
    assert_eq!(sink.endpoint(), format!("udp://127.0.0.1:{port}"));
    let batch = [event(0, 5), event(1, 2)];
    sink.send(&batch).await.unwrap();

    let mut buf = vec![0u8; 65_536];
    for (e, severity) in batch.iter().zip([2u8, 5]) {
        let n = timeout(WAIT, receiver.recv(&mut buf))
            .await
            .unwrap()
            .unwrap();
        let msg = parse_syslog(&buf[..n]);
        assert_eq!(msg.pri, 20 * 8 + severity, "local4 and the OCSF severity");
        assert_eq!(msg.version, "1");
        assert_eq!(
            msg.timestamp,
            e.time.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
        );
        assert_eq!(msg.hostname, "scanner-1");
        assert_eq!(msg.app_name, "vigil");
        assert_eq!(msg.procid, std::process::id().to_string());
        assert_eq!(msg.msgid, "finding.new");
        assert_eq!(
            msg.structured_data,
            format!("[vigil@32473 event_id=\"{}\"]", e.id)
        );
        assert_eq!(msg.json(), e.body);
    }
}

#[tokio::test]
async fn udp_refuses_an_oversized_message_and_names_the_event() {
    let receiver = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let port = receiver.local_addr().unwrap().port();
    let sink = build(&config(&format!(
        "[[sinks]]\ntype = \"syslog\"\ntransport = \"udp\"\naddress = \"127.0.0.1:{port}\"\nmax_message_bytes = 600"
    )))
    .unwrap();
    let mut big = event(1, 4);
    big.body["evidence"] = serde_json::json!("x".repeat(1000));
    let err = sink.send(&[event(0, 4), big]).await.unwrap_err();
    assert!(!err.is_retryable());
    assert_eq!(err.event_id(), Some("ev-1"));
    let msg = err.to_string();
    assert!(msg.contains("`max_message_bytes` (600)"), "{msg}");
    assert!(msg.contains("ev-1"), "{msg}");
    // Nothing of the batch went out: the caller can resend it whole.
    let mut buf = [0u8; 2048];
    assert!(
        timeout(Duration::from_millis(300), receiver.recv(&mut buf))
            .await
            .is_err()
    );
}

#[tokio::test]
async fn tcp_uses_octet_counting_and_keeps_the_connection() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let sink = build(&config(&format!(
        "[[sinks]]\ntype = \"syslog\"\ntransport = \"tcp\"\naddress = \"127.0.0.1:{port}\"\nhostname = \"scanner 1\""
    )))
    .unwrap();
    sink.send(&[tricky_event(), scan_summary()]).await.unwrap();
    sink.send(&[event(3, 1)]).await.unwrap();

    let (mut conn, _) = timeout(WAIT, listener.accept()).await.unwrap().unwrap();
    let frames = read_frames(&mut conn, 3).await;
    let tricky = parse_syslog(&frames[0]);
    assert_eq!(tricky.pri, 16 * 8 + 4, "local0, medium → warning");
    assert_eq!(tricky.hostname, "scanner1", "no spaces in HOSTNAME");
    assert_eq!(
        tricky.structured_data,
        r#"[vigil@32473 event_id="ev-\"q\"\\b\]z"]"#
    );
    assert_eq!(tricky.json(), tricky_event().body);

    let summary = parse_syslog(&frames[1]);
    assert_eq!(summary.msgid, "scan.summary");
    assert_eq!(summary.pri, 16 * 8 + 6, "no severity → info");
    assert_eq!(summary.json()["message"], "42 findings");

    assert_eq!(
        parse_syslog(&frames[2]).pri,
        16 * 8 + 6,
        "informational → info"
    );
    assert!(
        timeout(Duration::from_millis(300), listener.accept())
            .await
            .is_err(),
        "the second batch reused the connection"
    );
}

#[tokio::test]
async fn tcp_reconnects_after_the_receiver_drops_the_connection() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let sink = build(&config(&format!(
        "[[sinks]]\ntype = \"syslog\"\ntransport = \"tcp\"\naddress = \"127.0.0.1:{port}\""
    )))
    .unwrap();

    sink.send(&[event(0, 4)]).await.unwrap();
    let (mut first, _) = timeout(WAIT, listener.accept()).await.unwrap().unwrap();
    assert_eq!(
        parse_syslog(&read_frames(&mut first, 1).await[0]).structured_data,
        "[vigil@32473 event_id=\"ev-0\"]"
    );
    drop(first);
    tokio::time::sleep(Duration::from_millis(200)).await;

    sink.send(&[event(1, 4)]).await.unwrap();
    let (mut second, _) = timeout(WAIT, listener.accept()).await.unwrap().unwrap();
    let frames = read_frames(&mut second, 1).await;
    assert_eq!(
        parse_syslog(&frames[0]).structured_data,
        "[vigil@32473 event_id=\"ev-1\"]"
    );
}

#[tokio::test]
async fn refused_tcp_connection_is_retryable() {
    let port = refused_port();
    let sink = build(&config(&format!(
        "[[sinks]]\ntype = \"syslog\"\nname = \"siem\"\ntransport = \"tcp\"\naddress = \"127.0.0.1:{port}\""
    )))
    .unwrap();
    let err = sink.send(&[event(0, 4)]).await.unwrap_err();
    assert!(err.is_retryable());
    let msg = err.to_string();
    assert!(msg.contains("sink `siem`"), "{msg}");
    assert!(msg.contains(&format!("tcp://127.0.0.1:{port}")), "{msg}");
}

#[tokio::test]
async fn tls_with_ca_file_and_client_certificate_survives_a_dropped_connection() {
    let pki = pki();
    let acceptor = TlsAcceptor::from(pki.server_config(true));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (dropped_tx, dropped_rx) = tokio::sync::oneshot::channel();
    let receiver = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let mut tls = acceptor.accept(tcp).await.unwrap();
        assert!(
            tls.get_ref().1.peer_certificates().is_some(),
            "client certificate presented"
        );
        let first = read_frames(&mut tls, 2).await;
        drop(tls);
        dropped_tx.send(()).unwrap();
        let (tcp, _) = listener.accept().await.unwrap();
        let mut tls = acceptor.accept(tcp).await.unwrap();
        let second = read_frames(&mut tls, 1).await;
        (first, second)
    });

    let sink = build(&config(&format!(
        r#"
        [[sinks]]
        type = "syslog"
        transport = "tls"
        address = "localhost:{port}"
        ca_file = "{}"
        client_cert_file = "{}"
        client_key_file = "{}"
        "#,
        toml_path(&pki.ca_file),
        toml_path(&pki.client_cert_file),
        toml_path(&pki.client_key_file),
    )))
    .unwrap();
    assert_eq!(sink.endpoint(), format!("tls://localhost:{port}"));
    sink.send(&[tricky_event(), event(1, 5)]).await.unwrap();
    timeout(WAIT, dropped_rx).await.unwrap().unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    sink.send(&[event(2, 2)]).await.unwrap();

    let (first, second) = timeout(WAIT, receiver).await.unwrap().unwrap();
    let tricky = parse_syslog(&first[0]);
    assert_eq!(
        tricky.structured_data,
        r#"[vigil@32473 event_id="ev-\"q\"\\b\]z"]"#
    );
    assert!(tricky.msg.starts_with(b"\xEF\xBB\xBF"));
    assert_eq!(tricky.json(), tricky_event().body);
    assert_eq!(parse_syslog(&first[1]).pri, 16 * 8 + 2, "critical → crit");
    let after = parse_syslog(&second[0]);
    assert_eq!(after.pri, 16 * 8 + 5, "low → notice");
    assert_eq!(after.structured_data, "[vigil@32473 event_id=\"ev-2\"]");
}

#[tokio::test]
async fn tls_to_an_untrusted_receiver_is_retryable_and_points_at_ca_file() {
    let pki = pki();
    let acceptor = TlsAcceptor::from(pki.server_config(false));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        if let Ok((tcp, _)) = listener.accept().await {
            let _ = acceptor.accept(tcp).await;
        }
    });
    let sink = build(&config(&format!(
        "[[sinks]]\ntype = \"syslog\"\ntransport = \"tls\"\naddress = \"127.0.0.1:{port}\""
    )))
    .unwrap();
    let err = sink.send(&[event(0, 4)]).await.unwrap_err();
    assert!(err.is_retryable());
    let msg = err.to_string();
    assert!(msg.contains("TLS handshake failed"), "{msg}");
    assert!(msg.contains("`ca_file`"), "{msg}");
}
