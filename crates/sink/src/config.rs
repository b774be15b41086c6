//! The configuration of each sink as the daemon's config file writes it under
//! `[[sinks]]`: one table per sink, its kind in `type`, unknown fields refused
//! (a misspelt option must not silently fall back to a default), units in the
//! field names. Secrets never appear here: only where to read them.

use std::collections::BTreeMap;
use std::path::PathBuf;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One sink, tagged by `type`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum SinkConfig {
    Stdout(StdoutConfig),
    File(FileConfig),
    Http(HttpConfig),
    SplunkHec(SplunkHecConfig),
    Syslog(SyslogConfig),
    Securityhub(SecurityHubConfig),
}

impl SinkConfig {
    /// The `type` as written in configuration.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Stdout(_) => "stdout",
            Self::File(_) => "file",
            Self::Http(_) => "http",
            Self::SplunkHec(_) => "splunk_hec",
            Self::Syslog(_) => "syslog",
            Self::Securityhub(_) => "securityhub",
        }
    }

    /// The sink's name: `name` if given, else its `type`.
    pub fn name(&self) -> &str {
        let name = match self {
            Self::Stdout(c) => &c.name,
            Self::File(c) => &c.name,
            Self::Http(c) => &c.name,
            Self::SplunkHec(c) => &c.name,
            Self::Syslog(c) => &c.name,
            Self::Securityhub(c) => &c.name,
        };
        name.as_deref().unwrap_or(self.kind())
    }
}

/// NDJSON on standard output: for containers whose log collector is the SIEM
/// pipeline, and for trying a configuration out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StdoutConfig {
    /// Unique name of this sink (the key of its delivery state). Default: `stdout`.
    #[serde(default)]
    pub name: Option<String>,
    /// Most events per batch.
    #[serde(default = "default_local_batch")]
    pub max_batch_events: usize,
}

impl Default for StdoutConfig {
    fn default() -> Self {
        Self {
            name: None,
            max_batch_events: default_local_batch(),
        }
    }
}

/// NDJSON appended to a local file, synced to disk after every batch, rotated by
/// size: `vigil.ndjson` is the file written, `vigil.ndjson.1` the one before, and
/// so on. For a log shipper (Fluent Bit, Vector, the Splunk forwarder) to tail.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// Unique name of this sink. Default: `file`.
    #[serde(default)]
    pub name: Option<String>,
    /// The file written; its directory must exist.
    pub path: PathBuf,
    /// The size past which the file is rotated before the next line is written.
    /// A single line larger than this still goes, alone, into a fresh file.
    #[serde(default = "default_max_file_bytes")]
    pub max_file_bytes: u64,
    /// How many files are kept in all, the one being written included; the
    /// oldest is deleted on rotation.
    #[serde(default = "default_max_files")]
    pub max_files: u32,
    /// Most events per batch (one disk sync each).
    #[serde(default = "default_local_batch")]
    pub max_batch_events: usize,
}

impl Default for FileConfig {
    fn default() -> Self {
        Self {
            name: None,
            path: PathBuf::new(),
            max_file_bytes: default_max_file_bytes(),
            max_files: default_max_files(),
            max_batch_events: default_local_batch(),
        }
    }
}

/// A generic JSON webhook. Each event is sent as
/// `{"id": <event id>, "kind": <kind>, "time": <RFC 3339>, "event": <OCSF body>}`,
/// so the receiver has the id to drop duplicates by and the body unchanged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HttpConfig {
    /// Unique name of this sink. Default: `http`.
    #[serde(default)]
    pub name: Option<String>,
    /// Where batches are POSTed (`http://` or `https://`).
    pub url: String,
    /// How a batch is laid out in the body.
    #[serde(default)]
    pub format: HttpFormat,
    /// Body compression; `gzip` sets `Content-Encoding: gzip`.
    #[serde(default)]
    pub compression: Compression,
    /// Environment variable holding a token, sent as `Authorization: Bearer <token>`
    /// (or in `token_header`). Optional for this sink.
    #[serde(default)]
    pub token_env: Option<String>,
    /// File holding the token, as an alternative to `token_env`.
    #[serde(default)]
    pub token_file: Option<PathBuf>,
    /// Send the token, bare, in this header instead of `Authorization: Bearer`
    /// (for APIs that want, say, `X-Api-Key`).
    #[serde(default)]
    pub token_header: Option<String>,
    /// Extra request headers. Not for secrets: those go in `token_env` or `token_file`.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// Time allowed for a whole request, response included.
    #[serde(default = "default_timeout_secs")]
    pub timeout_secs: u64,
    /// Time allowed to connect (TCP and TLS handshake).
    #[serde(default = "default_connect_timeout_secs")]
    pub connect_timeout_secs: u64,
    /// PEM file of CA certificates trusted besides the built-in Mozilla roots,
    /// for a SIEM behind a private CA.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    /// PEM client certificate chain, for endpoints that want mutual TLS.
    #[serde(default)]
    pub client_cert_file: Option<PathBuf>,
    /// PEM private key of `client_cert_file`.
    #[serde(default)]
    pub client_key_file: Option<PathBuf>,
    /// Most events per request.
    #[serde(default = "default_remote_batch")]
    pub max_batch_events: usize,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            name: None,
            url: String::new(),
            format: HttpFormat::default(),
            compression: Compression::default(),
            token_env: None,
            token_file: None,
            token_header: None,
            headers: BTreeMap::new(),
            timeout_secs: default_timeout_secs(),
            connect_timeout_secs: default_connect_timeout_secs(),
            ca_file: None,
            client_cert_file: None,
            client_key_file: None,
            max_batch_events: default_remote_batch(),
        }
    }
}

/// How the HTTP sink lays out a batch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum HttpFormat {
    /// One JSON array of events (`Content-Type: application/json`).
    #[default]
    JsonArray,
    /// One event per line (`Content-Type: application/x-ndjson`).
    Ndjson,
}

/// Request body compression.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Compression {
    #[default]
    None,
    Gzip,
}

/// Splunk HTTP Event Collector, event endpoint: batches of HEC envelopes
/// concatenated in one body, the OCSF document as `event`, the event id and kind
/// as the indexed fields `vigil_event_id` and `vigil_event_kind`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SplunkHecConfig {
    /// Unique name of this sink. Default: `splunk_hec`.
    #[serde(default)]
    pub name: Option<String>,
    /// The HEC base address, such as `https://splunk.example.com:8088`;
    /// `/services/collector/event` is appended unless the path already names a
    /// `/services/collector` endpoint.
    pub url: String,
    /// Environment variable holding the HEC token (sent as `Authorization: Splunk <token>`).
    #[serde(default)]
    pub token_env: Option<String>,
    /// File holding the HEC token, as an alternative to `token_env`.
    #[serde(default)]
    pub token_file: Option<PathBuf>,
    /// The `host` of every event. Default: this machine's host name.
    #[serde(default)]
    pub host: Option<String>,
    /// The `source` of every event.
    #[serde(default = "default_hec_source")]
    pub source: String,
    /// The `sourcetype` of every event.
    #[serde(default = "default_hec_sourcetype")]
    pub sourcetype: String,
    /// The index to write to. Default: the token's default index.
    #[serde(default)]
    pub index: Option<String>,
    /// Body compression; `gzip` sets `Content-Encoding: gzip`.
    #[serde(default)]
    pub compression: Compression,
    /// Time allowed for a whole request, response included.
    #[serde(default = "default_timeout_secs")]
    pub timeout_secs: u64,
    /// Time allowed to connect (TCP and TLS handshake).
    #[serde(default = "default_connect_timeout_secs")]
    pub connect_timeout_secs: u64,
    /// PEM file of CA certificates trusted besides the built-in Mozilla roots
    /// (Splunk's own default HEC certificate is signed by a private CA).
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    /// PEM client certificate chain, for mutual TLS.
    #[serde(default)]
    pub client_cert_file: Option<PathBuf>,
    /// PEM private key of `client_cert_file`.
    #[serde(default)]
    pub client_key_file: Option<PathBuf>,
    /// Most events per request.
    #[serde(default = "default_remote_batch")]
    pub max_batch_events: usize,
}

impl Default for SplunkHecConfig {
    fn default() -> Self {
        Self {
            name: None,
            url: String::new(),
            token_env: None,
            token_file: None,
            host: None,
            source: default_hec_source(),
            sourcetype: default_hec_sourcetype(),
            index: None,
            compression: Compression::default(),
            timeout_secs: default_timeout_secs(),
            connect_timeout_secs: default_connect_timeout_secs(),
            ca_file: None,
            client_cert_file: None,
            client_key_file: None,
            max_batch_events: default_remote_batch(),
        }
    }
}

/// RFC 5424 syslog, one message per event: PRI from `facility` and the OCSF
/// `severity_id`, MSGID the event kind, the event id in structured data
/// `[vigil@32473 event_id="…"]`, and the compact OCSF JSON as MSG.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SyslogConfig {
    /// Unique name of this sink. Default: `syslog`.
    #[serde(default)]
    pub name: Option<String>,
    /// `udp` (RFC 5426), `tcp` (RFC 6587 octet counting) or `tls` (RFC 5425).
    pub transport: SyslogTransport,
    /// `host:port` of the receiver; the port defaults to 514, or 6514 for `tls`.
    pub address: String,
    /// The syslog facility of every message.
    #[serde(default)]
    pub facility: SyslogFacility,
    /// HOSTNAME in the header. Default: this machine's host name.
    #[serde(default)]
    pub hostname: Option<String>,
    /// APP-NAME in the header.
    #[serde(default = "default_app_name")]
    pub app_name: String,
    /// Largest message, header included. An event whose message is larger is
    /// refused (not truncated: a cut JSON body is useless to the SIEM) with a
    /// non-retryable error naming it. RFC 5425 receivers should take 8192
    /// octets; check what yours accepts before raising it.
    #[serde(default = "default_max_message_bytes")]
    pub max_message_bytes: usize,
    /// Time allowed to connect and to write a batch.
    #[serde(default = "default_syslog_timeout_secs")]
    pub timeout_secs: u64,
    /// For `tls`: PEM file of CA certificates trusted besides the built-in
    /// Mozilla roots.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    /// For `tls`: PEM client certificate chain, for receivers that want mutual TLS.
    #[serde(default)]
    pub client_cert_file: Option<PathBuf>,
    /// For `tls`: PEM private key of `client_cert_file`.
    #[serde(default)]
    pub client_key_file: Option<PathBuf>,
    /// For `tls`: the name to verify the receiver's certificate against, when it
    /// differs from the host in `address`.
    #[serde(default)]
    pub server_name: Option<String>,
    /// Most events per batch.
    #[serde(default = "default_remote_batch")]
    pub max_batch_events: usize,
}

impl Default for SyslogConfig {
    fn default() -> Self {
        Self {
            name: None,
            transport: SyslogTransport::Tls,
            address: String::new(),
            facility: SyslogFacility::default(),
            hostname: None,
            app_name: default_app_name(),
            max_message_bytes: default_max_message_bytes(),
            timeout_secs: default_syslog_timeout_secs(),
            ca_file: None,
            client_cert_file: None,
            client_key_file: None,
            server_name: None,
            max_batch_events: default_remote_batch(),
        }
    }
}

/// AWS Security Hub (CSPM): finding events imported as ASFF findings with
/// `BatchImportFindings`; resolved findings archived (`type = "securityhub"`). It
/// writes, so it has its own credentials: `profile`, `role_arn` and `region` here,
/// never the scanner's, with a policy of their own
/// (`deploy/aws/securityhub-sink-policy.json`). Security Hub only takes findings
/// of the calling account, so a multi-account setup has one sink per account, each
/// with that account's role and its id in `accounts`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SecurityHubConfig {
    /// Unique name of this sink. Default: `securityhub`.
    #[serde(default)]
    pub name: Option<String>,
    /// The region whose Security Hub receives every finding (the resource's own
    /// region is in `Resources[].Region`). Default: the SDK's default region.
    #[serde(default)]
    pub region: Option<String>,
    /// Named profile of the shared AWS configuration to sign with. Default: the
    /// SDK's default credential chain.
    #[serde(default)]
    pub profile: Option<String>,
    /// Role assumed (from `profile` or the default chain) to import.
    #[serde(default)]
    pub role_arn: Option<String>,
    /// External id of `role_arn`'s trust policy.
    #[serde(default)]
    pub external_id: Option<String>,
    /// Another endpoint for Security Hub (a VPC endpoint); default: AWS's.
    #[serde(default)]
    pub endpoint_url: Option<String>,
    /// Only findings of these accounts are imported (the others are skipped, not
    /// failed). Empty: every account, which works only when all findings are of the
    /// account the credentials belong to.
    #[serde(default)]
    pub accounts: Vec<String>,
    /// Time allowed for one API call.
    #[serde(default = "default_timeout_secs")]
    pub timeout_secs: u64,
    /// Most events per batch; at most 100, what one `BatchImportFindings` takes.
    #[serde(default = "default_remote_batch")]
    pub max_batch_events: usize,
}

impl Default for SecurityHubConfig {
    fn default() -> Self {
        Self {
            name: None,
            region: None,
            profile: None,
            role_arn: None,
            external_id: None,
            endpoint_url: None,
            accounts: Vec::new(),
            timeout_secs: default_timeout_secs(),
            max_batch_events: default_remote_batch(),
        }
    }
}

/// How syslog messages travel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SyslogTransport {
    /// One message per datagram; no delivery guarantee at all.
    Udp,
    /// A kept TCP connection, octet-counted frames.
    Tcp,
    /// The same over TLS.
    Tls,
}

/// Syslog facilities (RFC 5424 table 1). The default, `local0`, is the one
/// facilities are conventionally routed by for an application's own messages.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SyslogFacility {
    Kern,
    User,
    Mail,
    Daemon,
    Auth,
    Syslog,
    Lpr,
    News,
    Uucp,
    Cron,
    Authpriv,
    Ftp,
    Ntp,
    Audit,
    Alert,
    Clock,
    #[default]
    Local0,
    Local1,
    Local2,
    Local3,
    Local4,
    Local5,
    Local6,
    Local7,
}

impl SyslogFacility {
    /// The facility's number, which goes into PRI as `facility × 8 + severity`.
    pub fn code(self) -> u8 {
        self as u8
    }
}

fn default_local_batch() -> usize {
    500
}
fn default_remote_batch() -> usize {
    100
}
fn default_max_file_bytes() -> u64 {
    100 * 1024 * 1024
}
fn default_max_files() -> u32 {
    5
}
fn default_timeout_secs() -> u64 {
    30
}
fn default_connect_timeout_secs() -> u64 {
    10
}
fn default_syslog_timeout_secs() -> u64 {
    10
}
fn default_hec_source() -> String {
    "vigil".to_owned()
}
fn default_hec_sourcetype() -> String {
    "ocsf:compliance_finding".to_owned()
}
fn default_app_name() -> String {
    "vigil".to_owned()
}
fn default_max_message_bytes() -> usize {
    8192
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn facility_codes_follow_rfc_5424() {
        assert_eq!(SyslogFacility::Kern.code(), 0);
        assert_eq!(SyslogFacility::Authpriv.code(), 10);
        assert_eq!(SyslogFacility::Local0.code(), 16);
        assert_eq!(SyslogFacility::Local7.code(), 23);
    }
}
