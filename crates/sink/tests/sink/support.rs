//! Real servers on loopback, certificates made on the spot, events and configs.

use std::convert::Infallible;
use std::io::Read as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{TimeZone, Utc};
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
use rustls::ServerConfig;
use rustls::server::WebPkiClientVerifier;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use serde::Deserialize;
use tempfile::TempDir;
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use vigil_sink::{Event, SinkConfig};

/// Upper bound on any wait in these tests, so that a broken sink fails the test
/// instead of hanging it.
pub const WAIT: Duration = Duration::from_secs(10);

/// An OCSF-like finding whose text needs JSON escaping and is not ASCII.
pub fn event(n: usize, severity_id: i64) -> Event {
    Event {
        id: format!("ev-{n}"),
        kind: "finding.new".to_owned(),
        time: Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap()
            + chrono::Duration::milliseconds(n as i64 * 1001),
        body: serde_json::json!({
            "class_uid": 2003,
            "activity_id": 1,
            "severity_id": severity_id,
            "finding_info": { "uid": format!("rule-1:bucket-{n}"), "title": "S3 bucket allows public read" },
            "message": "bucket \"logs\" [prod] → ünïcode",
        }),
    }
}

pub fn events(count: usize) -> Vec<Event> {
    (0..count).map(|n| event(n, 4)).collect()
}

/// Parses one `[[sinks]]` table the way the daemon's config file holds it.
pub fn parse(toml_text: &str) -> Result<SinkConfig, toml::de::Error> {
    #[derive(Deserialize)]
    struct Daemon {
        sinks: Vec<SinkConfig>,
    }
    let mut daemon: Daemon = toml::from_str(toml_text)?;
    Ok(daemon.sinks.remove(0))
}

pub fn config(toml_text: &str) -> SinkConfig {
    parse(toml_text).expect("test config parses")
}

/// A path as a TOML string (backslashes escaped on any platform).
pub fn toml_path(path: &std::path::Path) -> String {
    path.display().to_string().replace('\\', "\\\\")
}

/// One request as the test server saw it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path_and_query: String,
    pub headers: hyper::HeaderMap,
    pub body: Vec<u8>,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    }

    /// The body, gunzipped when the request says it is gzip.
    pub fn decoded_body(&self) -> Vec<u8> {
        if self.header("content-encoding").as_deref() == Some("gzip") {
            let mut out = Vec::new();
            flate2::read::GzDecoder::new(&self.body[..])
                .read_to_end(&mut out)
                .unwrap();
            out
        } else {
            self.body.clone()
        }
    }
}

/// What the test server answers to every request.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub body: String,
    pub headers: Vec<(&'static str, String)>,
}

impl Reply {
    pub fn status(status: u16, body: &str) -> Self {
        Self {
            status,
            body: body.to_owned(),
            headers: Vec::new(),
        }
    }
}

pub struct HttpServer {
    pub addr: SocketAddr,
    pub requests: Arc<Mutex<Vec<Recorded>>>,
    scheme: &'static str,
}

impl HttpServer {
    pub fn url(&self, path: &str) -> String {
        format!("{}://{}{path}", self.scheme, self.addr)
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().unwrap().clone()
    }
}

/// An HTTP/1.1 server on 127.0.0.1 (over TLS when given a config) that records
/// every request and answers each with `reply`.
pub async fn http_server(reply: Reply, tls: Option<Arc<ServerConfig>>) -> HttpServer {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let requests = Arc::new(Mutex::new(Vec::new()));
    let scheme = if tls.is_some() { "https" } else { "http" };
    let acceptor = tls.map(TlsAcceptor::from);
    let recorded = Arc::clone(&requests);
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let recorded = Arc::clone(&recorded);
            let reply = reply.clone();
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let service = service_fn(move |req: Request<Incoming>| {
                    let recorded = Arc::clone(&recorded);
                    let reply = reply.clone();
                    async move {
                        let (parts, body) = req.into_parts();
                        let body = body
                            .collect()
                            .await
                            .map(|b| b.to_bytes())
                            .unwrap_or_default();
                        recorded.lock().unwrap().push(Recorded {
                            method: parts.method.to_string(),
                            path_and_query: parts
                                .uri
                                .path_and_query()
                                .map(|p| p.to_string())
                                .unwrap_or_default(),
                            headers: parts.headers,
                            body: body.to_vec(),
                        });
                        let mut response = Response::builder().status(reply.status);
                        for (name, value) in &reply.headers {
                            response = response.header(*name, value);
                        }
                        Ok::<_, Infallible>(
                            response
                                .body(Full::new(Bytes::from(reply.body.clone())))
                                .unwrap(),
                        )
                    }
                });
                match acceptor {
                    Some(acceptor) => {
                        if let Ok(tls) = acceptor.accept(stream).await {
                            let _ = http1::Builder::new()
                                .serve_connection(TokioIo::new(tls), service)
                                .await;
                        }
                    }
                    None => {
                        let _ = http1::Builder::new()
                            .serve_connection(TokioIo::new(stream), service)
                            .await;
                    }
                }
            });
        }
    });
    HttpServer {
        addr,
        requests,
        scheme,
    }
}

/// A loopback port with nothing listening on it.
pub fn refused_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// A private CA, a server certificate it signed for `localhost` and
/// `127.0.0.1`, and a client certificate it signed, with the files a sink
/// configuration points at.
pub struct Pki {
    /// Holds the files below; they go when the `Pki` does.
    _dir: TempDir,
    pub ca_file: PathBuf,
    pub client_cert_file: PathBuf,
    pub client_key_file: PathBuf,
    ca: CertificateDer<'static>,
    server_chain: Vec<CertificateDer<'static>>,
    server_key: Vec<u8>,
}

pub fn pki() -> Pki {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "Vigil test CA");
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();

    let server_key = KeyPair::generate().unwrap();
    let server = CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
        .unwrap()
        .signed_by(&server_key, &ca)
        .unwrap();

    let client_key = KeyPair::generate().unwrap();
    let mut client_params = CertificateParams::new(vec!["vigil-client".to_owned()]).unwrap();
    client_params
        .distinguished_name
        .push(DnType::CommonName, "vigil-client");
    let client = client_params.signed_by(&client_key, &ca).unwrap();

    let dir = tempfile::tempdir().unwrap();
    let ca_file = dir.path().join("ca.pem");
    let client_cert_file = dir.path().join("client.pem");
    let client_key_file = dir.path().join("client.key");
    std::fs::write(&ca_file, ca.pem()).unwrap();
    std::fs::write(&client_cert_file, client.pem()).unwrap();
    std::fs::write(&client_key_file, client_key.serialize_pem()).unwrap();
    Pki {
        _dir: dir,
        ca_file,
        client_cert_file,
        client_key_file,
        ca: ca.der().clone(),
        server_chain: vec![server.der().clone(), ca.der().clone()],
        server_key: server_key.serialize_der(),
    }
}

impl Pki {
    /// The server side, requiring a client certificate from the CA or not.
    pub fn server_config(&self, require_client_cert: bool) -> Arc<ServerConfig> {
        let provider = vigil_sink::crypto_provider();
        let builder = ServerConfig::builder_with_provider(Arc::clone(&provider))
            .with_safe_default_protocol_versions()
            .unwrap();
        let builder = if require_client_cert {
            let mut roots = rustls::RootCertStore::empty();
            roots.add(self.ca.clone()).unwrap();
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .unwrap();
            builder.with_client_cert_verifier(verifier)
        } else {
            builder.with_no_client_auth()
        };
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.server_key.clone()));
        Arc::new(
            builder
                .with_single_cert(self.server_chain.clone(), key)
                .unwrap(),
        )
    }
}

/// A self-signed server certificate for `localhost` and `127.0.0.1` (no CA),
/// written to `cert.pem` in `dir`, and the server config that presents it.
pub fn self_signed(dir: &std::path::Path) -> (PathBuf, Arc<ServerConfig>) {
    let rcgen::CertifiedKey { cert, signing_key } =
        rcgen::generate_simple_self_signed(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
            .unwrap();
    let path = dir.join("cert.pem");
    std::fs::write(&path, cert.pem()).unwrap();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(signing_key.serialize_der()));
    let config = ServerConfig::builder_with_provider(vigil_sink::crypto_provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert.der().clone()], key)
        .unwrap();
    (path, Arc::new(config))
}

/// Reads `count` RFC 6587 octet-counted frames (`LEN SP MSG`).
pub async fn read_frames<R: AsyncRead + Unpin>(reader: &mut R, count: usize) -> Vec<Vec<u8>> {
    let mut frames = Vec::new();
    for _ in 0..count {
        let mut len = 0usize;
        loop {
            let b = tokio::time::timeout(WAIT, reader.read_u8())
                .await
                .expect("frame in time")
                .expect("frame length");
            match b {
                b'0'..=b'9' => len = len * 10 + usize::from(b - b'0'),
                b' ' => break,
                other => panic!("unexpected byte {other} in a frame length"),
            }
        }
        let mut msg = vec![0u8; len];
        tokio::time::timeout(WAIT, reader.read_exact(&mut msg))
            .await
            .expect("frame in time")
            .expect("frame body");
        frames.push(msg);
    }
    frames
}

/// An RFC 5424 message taken apart.
#[derive(Debug)]
pub struct Syslog {
    pub pri: u8,
    pub version: String,
    pub timestamp: String,
    pub hostname: String,
    pub app_name: String,
    pub procid: String,
    pub msgid: String,
    pub structured_data: String,
    /// MSG, BOM included.
    pub msg: Vec<u8>,
}

pub fn parse_syslog(message: &[u8]) -> Syslog {
    assert_eq!(message[0], b'<', "starts with PRI");
    let close = message.iter().position(|&b| b == b'>').unwrap();
    let pri = std::str::from_utf8(&message[1..close])
        .unwrap()
        .parse()
        .unwrap();
    let mut rest = &message[close + 1..];
    let mut fields = Vec::new();
    for _ in 0..6 {
        let sp = rest.iter().position(|&b| b == b' ').unwrap();
        fields.push(String::from_utf8(rest[..sp].to_vec()).unwrap());
        rest = &rest[sp + 1..];
    }
    // Structured data: up to the first `]` not escaped by a backslash.
    assert_eq!(rest[0], b'[', "structured data present");
    let mut i = 1;
    let mut escaped = false;
    while i < rest.len() {
        match rest[i] {
            b'\\' if !escaped => escaped = true,
            b']' if !escaped => break,
            _ => escaped = false,
        }
        i += 1;
    }
    let structured_data = String::from_utf8(rest[..=i].to_vec()).unwrap();
    assert_eq!(rest[i + 1], b' ', "SP after structured data");
    let msg = rest[i + 2..].to_vec();
    let [version, timestamp, hostname, app_name, procid, msgid]: [String; 6] =
        fields.try_into().unwrap();
    Syslog {
        pri,
        version,
        timestamp,
        hostname,
        app_name,
        procid,
        msgid,
        structured_data,
        msg,
    }
}

impl Syslog {
    /// MSG without its BOM, as JSON; fails if the BOM is missing.
    pub fn json(&self) -> serde_json::Value {
        let body = self
            .msg
            .strip_prefix(b"\xEF\xBB\xBF".as_slice())
            .expect("MSG starts with a UTF-8 BOM");
        serde_json::from_slice(body).expect("MSG is JSON")
    }
}
