//! The syslog sink: RFC 5424 messages over UDP (RFC 5426), TCP with
//! octet-counting framing (RFC 6587) or TLS with the same framing (RFC 5425).
//!
//! One message per event:
//! `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [vigil@32473 event_id="…"] BOM{json}`,
//! PRI from the configured facility and the OCSF `severity_id`, MSGID the event
//! kind, MSG the compact OCSF JSON after a UTF-8 BOM (which RFC 5424 uses to say
//! the MSG is UTF-8). 32473 is the private enterprise number RFC 5612 reserves
//! for documentation, which is what this structured-data id uses until Vigil has
//! its own.
//!
//! TCP and TLS connections are kept between batches. Before a batch goes out on
//! a kept connection the sink checks whether the receiver has closed it, and a
//! write that fails on a kept connection is tried once more on a new one. Stream
//! syslog has no acknowledgement, so a receiver that goes away just after
//! taking the bytes can still lose a batch that this sink reported as sent.

use std::fmt;
use std::io::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::FutureExt as _;
use rustls_pki_types::ServerName;
use serde_json::Value;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpStream, UdpSocket};
use tokio::sync::Mutex;
use tokio::time::timeout;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

use crate::config::{SyslogConfig, SyslogTransport};
use crate::error::Checker;
use crate::format::rfc3339;
use crate::tls::{self, TlsFiles};
use crate::{Event, Sink, SinkError};

/// The structured-data id of Vigil's SD element.
const SD_ID: &str = "vigil@32473";
/// RFC 5424's marker that MSG is UTF-8.
const BOM: &[u8] = b"\xEF\xBB\xBF";
/// Largest payload of one UDP datagram over IPv4.
const MAX_UDP_PAYLOAD: usize = 65_507;

/// Sends events as RFC 5424 syslog messages.
pub struct SyslogSink {
    name: String,
    display: String,
    transport: SyslogTransport,
    host: String,
    port: u16,
    /// For TLS: the connector (with the explicit crypto provider) and the name
    /// the receiver's certificate must carry.
    tls: Option<(TlsConnector, ServerName<'static>)>,
    header: Header,
    max_message_bytes: usize,
    timeout_secs: u64,
    max_batch: usize,
    conn: Mutex<Option<Conn>>,
}

impl fmt::Debug for SyslogSink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SyslogSink")
            .field("name", &self.name)
            .field("endpoint", &self.display)
            .field("header", &self.header)
            .field("max_message_bytes", &self.max_message_bytes)
            .finish_non_exhaustive()
    }
}

/// The fixed parts of every message header.
#[derive(Debug, Clone)]
struct Header {
    facility: u8,
    hostname: String,
    app_name: String,
    procid: String,
}

enum Conn {
    Udp(UdpSocket),
    Tcp(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

/// This machine's host name, for syslog HOSTNAME and HEC `host`.
pub(crate) fn local_hostname() -> String {
    gethostname::gethostname().to_string_lossy().into_owned()
}

/// The syslog severity for an OCSF document, from its `severity_id`: Critical
/// and Fatal → 2 (crit), High → 3 (err), Medium → 4 (warning), Low → 5
/// (notice); Informational, Unknown, Other and documents without a severity
/// (scan summaries) → 6 (info).
pub fn syslog_severity(body: &Value) -> u8 {
    match body.get("severity_id").and_then(Value::as_i64) {
        Some(5 | 6) => 2,
        Some(4) => 3,
        Some(3) => 4,
        Some(2) => 5,
        _ => 6,
    }
}

/// A header field as RFC 5424 allows it: printable US-ASCII without spaces, at
/// most `max` characters, `-` (the NILVALUE) when nothing is left.
fn header_field(value: &str, max: usize) -> String {
    let cleaned: String = value
        .chars()
        .filter(|c| c.is_ascii_graphic())
        .take(max)
        .collect();
    if cleaned.is_empty() {
        "-".to_owned()
    } else {
        cleaned
    }
}

/// Escapes a PARAM-VALUE: `"`, `\` and `]` take a backslash.
fn escape_param(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        if matches!(c, '"' | '\\' | ']') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

impl Header {
    /// The whole RFC 5424 message for one event.
    fn format(&self, event: &Event) -> Result<Vec<u8>, serde_json::Error> {
        let pri = self.facility * 8 + syslog_severity(&event.body);
        let mut out = Vec::with_capacity(256);
        // Writing into a Vec cannot fail.
        let _ = write!(
            out,
            "<{pri}>1 {} {} {} {} {} [{SD_ID} event_id=\"{}\"] ",
            rfc3339(&event.time),
            self.hostname,
            self.app_name,
            self.procid,
            header_field(&event.kind, 32),
            escape_param(&event.id),
        );
        out.extend_from_slice(BOM);
        serde_json::to_writer(&mut out, &event.body)?;
        Ok(out)
    }
}

fn parse_port(text: &str) -> Result<u16, String> {
    text.parse::<u16>()
        .map_err(|_| format!("`{text}` is not a port number"))
}

/// Splits `host:port`, `[v6]:port`, `host` or a bare IPv6 address.
fn split_address(address: &str, default_port: u16) -> Result<(String, u16), String> {
    let address = address.trim();
    if address.is_empty() {
        return Err("is required, such as `siem.example.com:6514`".to_owned());
    }
    if let Ok(addr) = address.parse::<SocketAddr>() {
        return Ok((addr.ip().to_string(), addr.port()));
    }
    if let Ok(ip) = address.parse::<std::net::IpAddr>() {
        return Ok((ip.to_string(), default_port));
    }
    let (host, port) = if let Some(rest) = address.strip_prefix('[') {
        let (host, after) = rest
            .split_once(']')
            .ok_or_else(|| "has `[` without `]`".to_owned())?;
        match after {
            "" => (host, default_port),
            _ => (host, parse_port(after.strip_prefix(':').unwrap_or(after))?),
        }
    } else {
        match address.rsplit_once(':') {
            Some((h, p)) if !h.contains(':') => (h, parse_port(p)?),
            Some(_) => {
                return Err("an IPv6 address with a port goes in brackets: `[::1]:6514`".to_owned());
            }
            None => (address, default_port),
        }
    };
    if host.is_empty() {
        return Err("has no host".to_owned());
    }
    if port == 0 {
        return Err("port 0 cannot be connected to".to_owned());
    }
    Ok((host.to_owned(), port))
}

impl SyslogSink {
    pub fn new(config: &SyslogConfig) -> Result<Self, SinkError> {
        let mut check = Checker::new(config.name.as_deref().unwrap_or("syslog"));
        check.batch(config.max_batch_events);
        let default_port = match config.transport {
            SyslogTransport::Tls => 6514,
            _ => 514,
        };
        let (host, port) = match split_address(&config.address, default_port) {
            Ok(hp) => hp,
            Err(reason) => {
                check.problem("address", reason);
                (String::new(), 0)
            }
        };
        if config.timeout_secs == 0 {
            check.problem("timeout_secs", "must be at least 1");
        }
        // Smaller than any useful message; RFC 5424 receivers must take 480.
        if config.max_message_bytes < 480 {
            check.problem("max_message_bytes", "must be at least 480");
        }
        if config.transport == SyslogTransport::Udp && config.max_message_bytes > MAX_UDP_PAYLOAD {
            check.problem(
                "max_message_bytes",
                format!("a UDP datagram carries at most {MAX_UDP_PAYLOAD} bytes"),
            );
        }
        if config.app_name.trim().is_empty() {
            check.problem("app_name", "must not be empty");
        }

        let tls = if config.transport == SyslogTransport::Tls {
            let name = config.server_name.clone().unwrap_or_else(|| host.clone());
            let server_name = match ServerName::try_from(name.clone()) {
                Ok(n) => Some(n),
                Err(_) if config.server_name.is_some() => {
                    check.problem(
                        "server_name",
                        format!("`{name}` is not a valid DNS name or IP address"),
                    );
                    None
                }
                Err(_) => {
                    if !host.is_empty() {
                        check.problem(
                            "address",
                            format!("`{name}` is not a valid DNS name or IP address"),
                        );
                    }
                    None
                }
            };
            let config = tls::client_config(
                &mut check,
                TlsFiles {
                    ca_file: config.ca_file.as_deref(),
                    client_cert_file: config.client_cert_file.as_deref(),
                    client_key_file: config.client_key_file.as_deref(),
                },
            );
            match (config, server_name) {
                (Some(c), Some(n)) => Some((TlsConnector::from(Arc::new(c)), n)),
                _ => None,
            }
        } else {
            for (field, set) in [
                ("ca_file", config.ca_file.is_some()),
                ("client_cert_file", config.client_cert_file.is_some()),
                ("client_key_file", config.client_key_file.is_some()),
                ("server_name", config.server_name.is_some()),
            ] {
                if set {
                    check.problem(field, "only applies with `transport = \"tls\"`");
                }
            }
            None
        };

        let name = check.sink().to_owned();
        check.finish()?;
        let scheme = match config.transport {
            SyslogTransport::Udp => "udp",
            SyslogTransport::Tcp => "tcp",
            SyslogTransport::Tls => "tls",
        };
        let display = if host.contains(':') {
            format!("{scheme}://[{host}]:{port}")
        } else {
            format!("{scheme}://{host}:{port}")
        };
        let hostname = config.hostname.clone().unwrap_or_else(local_hostname);
        Ok(Self {
            name,
            display,
            transport: config.transport,
            host,
            port,
            tls,
            header: Header {
                facility: config.facility.code(),
                hostname: header_field(&hostname, 255),
                app_name: header_field(&config.app_name, 48),
                procid: std::process::id().to_string(),
            },
            max_message_bytes: config.max_message_bytes,
            timeout_secs: config.timeout_secs,
            max_batch: config.max_batch_events,
            conn: Mutex::new(None),
        })
    }

    fn timeout(&self) -> Duration {
        Duration::from_secs(self.timeout_secs)
    }

    fn unavailable(&self, reason: impl Into<String>) -> SinkError {
        SinkError::Unavailable {
            sink: self.name.clone(),
            endpoint: self.display.clone(),
            reason: reason.into(),
            retry_after: None,
        }
    }

    /// Every message of the batch, refusing the batch if one is over the limit
    /// (naming that event) before anything is sent.
    fn messages(&self, batch: &[Event]) -> Result<Vec<Vec<u8>>, SinkError> {
        batch
            .iter()
            .map(|event| {
                let rejected = |reason: String| SinkError::Rejected {
                    sink: self.name.clone(),
                    endpoint: self.display.clone(),
                    status: None,
                    event_id: Some(event.id.clone()),
                    reason,
                };
                let msg = self
                    .header
                    .format(event)
                    .map_err(|e| rejected(format!("cannot serialise the event: {e}")))?;
                if msg.len() > self.max_message_bytes {
                    return Err(rejected(format!(
                        "the message is {} bytes, over `max_message_bytes` ({}); raise it if the receiver accepts larger messages, or send this event through the HTTP or HEC sink",
                        msg.len(),
                        self.max_message_bytes
                    )));
                }
                Ok(msg)
            })
            .collect()
    }

    async fn connect_udp(&self) -> Result<UdpSocket, SinkError> {
        let addr = tokio::net::lookup_host((self.host.as_str(), self.port))
            .await
            .ok()
            .and_then(|mut addrs| addrs.next())
            .ok_or_else(|| self.unavailable(format!("cannot resolve `{}`", self.host)))?;
        let local: SocketAddr = if addr.is_ipv4() {
            ([0, 0, 0, 0], 0).into()
        } else {
            ([0u16; 8], 0).into()
        };
        let socket = UdpSocket::bind(local)
            .await
            .map_err(|e| self.unavailable(format!("cannot open a UDP socket: {e}")))?;
        socket
            .connect(addr)
            .await
            .map_err(|e| self.unavailable(format!("cannot connect the UDP socket: {e}")))?;
        Ok(socket)
    }

    async fn connect_stream(&self) -> Result<Conn, SinkError> {
        let tcp = match timeout(
            self.timeout(),
            TcpStream::connect((self.host.as_str(), self.port)),
        )
        .await
        {
            Err(_) => {
                return Err(self.unavailable(format!(
                    "no connection within {} s (`timeout_secs`)",
                    self.timeout_secs
                )));
            }
            Ok(Err(e)) => return Err(self.unavailable(format!("cannot connect: {e}"))),
            Ok(Ok(s)) => s,
        };
        let _ = tcp.set_nodelay(true);
        let Some((connector, server_name)) = &self.tls else {
            return Ok(Conn::Tcp(tcp));
        };
        match timeout(self.timeout(), connector.connect(server_name.clone(), tcp)).await {
            Err(_) => Err(self.unavailable(format!(
                "no TLS handshake within {} s (`timeout_secs`)",
                self.timeout_secs
            ))),
            Ok(Err(e)) => Err(self.unavailable(
                tls::describe_tls_failure(&e)
                    .unwrap_or_else(|| format!("TLS handshake failed: {e}")),
            )),
            Ok(Ok(s)) => Ok(Conn::Tls(Box::new(s))),
        }
    }

    async fn send_udp(
        &self,
        conn: &mut Option<Conn>,
        messages: &[Vec<u8>],
    ) -> Result<(), SinkError> {
        let socket = match conn.take() {
            Some(Conn::Udp(s)) => s,
            _ => self.connect_udp().await?,
        };
        for msg in messages {
            match timeout(self.timeout(), socket.send(msg)).await {
                Ok(Ok(n)) if n == msg.len() => {}
                Ok(Ok(n)) => {
                    return Err(self.unavailable(format!("sent {n} of {} bytes", msg.len())));
                }
                // A refused datagram shows up as an error on a later send.
                Ok(Err(e)) => return Err(self.unavailable(format!("cannot send: {e}"))),
                Err(_) => {
                    return Err(self.unavailable("the socket did not take the message in time"));
                }
            }
        }
        *conn = Some(Conn::Udp(socket));
        Ok(())
    }

    async fn send_stream(&self, conn: &mut Option<Conn>, frames: &[u8]) -> Result<(), SinkError> {
        let kept = match conn.take() {
            Some(mut c) => {
                if c.is_open() {
                    Some(c)
                } else {
                    tracing::debug!(sink = %self.name, endpoint = %self.display, "receiver closed the connection; reconnecting");
                    None
                }
            }
            None => None,
        };
        if let Some(mut c) = kept {
            match self.write(&mut c, frames).await {
                Ok(()) => {
                    *conn = Some(c);
                    return Ok(());
                }
                Err(e) => {
                    tracing::debug!(sink = %self.name, endpoint = %self.display, error = %e, "write on kept connection failed; reconnecting");
                }
            }
        }
        let mut c = self.connect_stream().await?;
        self.write(&mut c, frames).await?;
        *conn = Some(c);
        Ok(())
    }

    async fn write(&self, conn: &mut Conn, frames: &[u8]) -> Result<(), SinkError> {
        match timeout(self.timeout(), conn.write_all(frames)).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(self.unavailable(format!("cannot write: {e}"))),
            Err(_) => Err(self.unavailable(format!(
                "the receiver did not take the batch within {} s (`timeout_secs`)",
                self.timeout_secs
            ))),
        }
    }
}

impl Conn {
    /// Whether a kept connection still looks usable. The receiver never
    /// writes, so anything readable is its end-of-stream or an error; a read
    /// that would block means the connection is still there.
    fn is_open(&mut self) -> bool {
        let mut buf = [0u8; 512];
        let polled = match self {
            Conn::Udp(_) => return true,
            Conn::Tcp(s) => s.read(&mut buf).now_or_never(),
            Conn::Tls(s) => s.read(&mut buf).now_or_never(),
        };
        !matches!(polled, Some(Ok(0) | Err(_)))
    }

    async fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        match self {
            Conn::Udp(_) => Err(std::io::Error::other("not a stream")),
            Conn::Tcp(s) => {
                s.write_all(buf).await?;
                s.flush().await
            }
            Conn::Tls(s) => {
                s.write_all(buf).await?;
                s.flush().await
            }
        }
    }
}

#[async_trait::async_trait]
impl Sink for SyslogSink {
    fn name(&self) -> &str {
        &self.name
    }

    fn kind(&self) -> &'static str {
        "syslog"
    }

    fn endpoint(&self) -> &str {
        &self.display
    }

    fn max_batch(&self) -> usize {
        self.max_batch
    }

    async fn send(&self, batch: &[Event]) -> Result<(), SinkError> {
        for chunk in batch.chunks(self.max_batch) {
            let started = Instant::now();
            let messages = self.messages(chunk)?;
            let bytes: usize = messages.iter().map(Vec::len).sum();
            let mut conn = self.conn.lock().await;
            match self.transport {
                SyslogTransport::Udp => self.send_udp(&mut conn, &messages).await?,
                SyslogTransport::Tcp | SyslogTransport::Tls => {
                    // RFC 6587 octet counting: "LEN SP MSG", back to back.
                    let mut frames = Vec::with_capacity(bytes + messages.len() * 6);
                    for msg in &messages {
                        let _ = write!(frames, "{} ", msg.len());
                        frames.extend_from_slice(msg);
                    }
                    self.send_stream(&mut conn, &frames).await?;
                }
            }
            tracing::debug!(
                sink = %self.name,
                events = chunk.len(),
                bytes,
                elapsed_ms = started.elapsed().as_millis() as u64,
                "batch sent"
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn severity_follows_ocsf_severity_id() {
        let sev = |id: i64| syslog_severity(&serde_json::json!({ "severity_id": id }));
        assert_eq!(
            [
                sev(5),
                sev(6),
                sev(4),
                sev(3),
                sev(2),
                sev(1),
                sev(0),
                sev(99)
            ],
            [2, 2, 3, 4, 5, 6, 6, 6]
        );
        assert_eq!(syslog_severity(&serde_json::json!({})), 6);
    }

    #[test]
    fn message_layout() {
        let header = Header {
            facility: 16,
            hostname: "scanner-1".into(),
            app_name: "vigil".into(),
            procid: "42".into(),
        };
        let event = Event {
            id: r#"a"b\c]d"#.into(),
            kind: "finding.new".into(),
            time: chrono::Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap(),
            body: serde_json::json!({"severity_id": 4}),
        };
        let msg = header.format(&event).unwrap();
        let want = "<131>1 2026-01-02T03:04:05.000Z scanner-1 vigil 42 finding.new [vigil@32473 event_id=\"a\\\"b\\\\c\\]d\"] \u{feff}{\"severity_id\":4}";
        assert_eq!(String::from_utf8(msg).unwrap(), want);
    }

    #[test]
    fn header_fields_are_printable_ascii() {
        assert_eq!(header_field("my host", 255), "myhost");
        assert_eq!(header_field("", 255), "-");
        assert_eq!(header_field(&"k".repeat(40), 32).len(), 32);
    }

    #[test]
    fn addresses() {
        assert_eq!(split_address("h:1", 514), Ok(("h".into(), 1)));
        assert_eq!(split_address("h", 6514), Ok(("h".into(), 6514)));
        assert_eq!(split_address("[::1]:9", 514), Ok(("::1".into(), 9)));
        assert_eq!(split_address("::1", 514), Ok(("::1".into(), 514)));
        assert_eq!(split_address("[::1]", 514), Ok(("::1".into(), 514)));
        assert!(split_address("h:x", 514).is_err());
        assert!(split_address("", 514).is_err());
    }
}
