//! The configuration as the daemon's TOML holds it: parsing, validation, and
//! errors that name the field at fault and never the secret.

use crate::support::{config, parse, toml_path};
use vigil_sink::{
    Compression, HttpFormat, SinkConfig, SyslogFacility, SyslogTransport, build, build_all,
    build_with_env,
};

/// The examples given to the daemon's documentation, verbatim.
const EXAMPLES: &str = r#"
[[sinks]]
type = "stdout"

[[sinks]]
type = "file"
name = "archive"
path = "/var/lib/vigil/events/vigil.ndjson"
max_file_bytes = 104857600
max_files = 5

[[sinks]]
type = "http"
name = "soar-webhook"
url = "https://soar.example.com/hooks/vigil"
format = "ndjson"
compression = "gzip"
token_env = "VIGIL_WEBHOOK_TOKEN"
headers = { "X-Tenant" = "platform" }
timeout_secs = 30
ca_file = "/etc/vigil/private-ca.pem"
max_batch_events = 100

[[sinks]]
type = "splunk_hec"
name = "splunk"
url = "https://splunk.example.com:8088"
token_file = "/run/secrets/splunk_hec_token"
sourcetype = "ocsf:compliance_finding"
index = "security"
compression = "gzip"

[[sinks]]
type = "syslog"
name = "siem-syslog"
transport = "tls"
address = "syslog.example.com:6514"
facility = "local0"
ca_file = "/etc/vigil/syslog-ca.pem"
max_message_bytes = 8192
"#;

#[test]
fn documented_examples_parse() {
    #[derive(serde::Deserialize)]
    struct Daemon {
        sinks: Vec<SinkConfig>,
    }
    let daemon: Daemon = toml::from_str(EXAMPLES).unwrap();
    let kinds: Vec<&str> = daemon.sinks.iter().map(SinkConfig::kind).collect();
    assert_eq!(kinds, ["stdout", "file", "http", "splunk_hec", "syslog"]);
    let names: Vec<&str> = daemon.sinks.iter().map(SinkConfig::name).collect();
    assert_eq!(
        names,
        ["stdout", "archive", "soar-webhook", "splunk", "siem-syslog"]
    );
    let SinkConfig::Http(http) = &daemon.sinks[2] else {
        panic!("http")
    };
    assert_eq!(http.format, HttpFormat::Ndjson);
    assert_eq!(http.compression, Compression::Gzip);
    assert_eq!(http.connect_timeout_secs, 10);
    let SinkConfig::Syslog(syslog) = &daemon.sinks[4] else {
        panic!("syslog")
    };
    assert_eq!(syslog.transport, SyslogTransport::Tls);
    assert_eq!(syslog.facility, SyslogFacility::Local0);
    assert_eq!(syslog.app_name, "vigil");
}

#[test]
fn an_unknown_field_is_named() {
    let err =
        parse("[[sinks]]\ntype = \"http\"\nurl = \"https://x.example\"\ntimeout = 5").unwrap_err();
    assert!(err.to_string().contains("unknown field `timeout`"), "{err}");
}

#[test]
fn an_unknown_type_is_named() {
    let err = parse("[[sinks]]\ntype = \"kafka\"").unwrap_err();
    assert!(err.to_string().contains("kafka"), "{err}");
}

#[test]
fn a_missing_token_variable_names_token_env_and_the_variable() {
    let err = build(&config(
        "[[sinks]]\ntype = \"splunk_hec\"\nname = \"splunk\"\nurl = \"https://s.example:8088\"\ntoken_env = \"VIGIL_TEST_TOKEN_THAT_IS_NEVER_SET\"",
    ))
    .unwrap_err();
    assert!(!err.is_retryable());
    assert_eq!(err.problems().len(), 1);
    assert_eq!(err.problems()[0].field, "token_env");
    let msg = err.to_string();
    assert!(msg.contains("sink `splunk`"), "{msg}");
    assert!(msg.contains("`token_env`"), "{msg}");
    assert!(msg.contains("VIGIL_TEST_TOKEN_THAT_IS_NEVER_SET"), "{msg}");
}

#[test]
fn hec_requires_a_token() {
    let err = build(&config(
        "[[sinks]]\ntype = \"splunk_hec\"\nurl = \"https://s.example:8088\"",
    ))
    .unwrap_err();
    assert_eq!(err.problems()[0].field, "token_env");
}

#[test]
fn token_env_is_read_through_the_given_environment() {
    let cfg = config(
        "[[sinks]]\ntype = \"splunk_hec\"\nurl = \"https://s.example:8088\"\ntoken_env = \"HEC_TOKEN\"",
    );
    let env = |name: &str| (name == "HEC_TOKEN").then(|| "tok-from-env".to_owned());
    let sink = build_with_env(&cfg, &env).unwrap();
    let debug = format!("{sink:?}");
    assert!(!debug.contains("tok-from-env"), "{debug}");
    assert!(debug.contains("***"), "{debug}");
    assert!(!format!("{cfg:?}").contains("tok-from-env"));
}

#[test]
fn every_problem_of_a_sink_is_reported_at_once() {
    let err = build(&config(
        r#"
        [[sinks]]
        type = "http"
        url = "ftp://x.example"
        max_batch_events = 0
        token_header = "X-Key"
        timeout_secs = 0
        headers = { "Content-Type" = "text/plain" }
        "#,
    ))
    .unwrap_err();
    let mut fields: Vec<&str> = err.problems().iter().map(|p| p.field.as_str()).collect();
    fields.sort_unstable();
    assert_eq!(
        fields,
        [
            "headers",
            "max_batch_events",
            "timeout_secs",
            "token_header",
            "url"
        ]
    );
}

#[test]
fn file_problems_name_the_tls_fields() {
    let dir = tempfile::tempdir().unwrap();
    let not_pem = dir.path().join("ca.pem");
    std::fs::write(&not_pem, "not a certificate").unwrap();
    let err = build(&config(&format!(
        "[[sinks]]\ntype = \"syslog\"\ntransport = \"tls\"\naddress = \"s.example\"\nca_file = \"{}\"\nclient_cert_file = \"{}\"",
        toml_path(&not_pem),
        toml_path(&not_pem),
    )))
    .unwrap_err();
    let fields: Vec<&str> = err.problems().iter().map(|p| p.field.as_str()).collect();
    assert_eq!(fields, ["ca_file", "client_key_file"]);
}

#[test]
fn tls_options_without_tls_are_refused() {
    let err = build(&config(
        "[[sinks]]\ntype = \"syslog\"\ntransport = \"udp\"\naddress = \"s.example:514\"\nserver_name = \"s\"",
    ))
    .unwrap_err();
    assert_eq!(err.problems()[0].field, "server_name");
}

#[test]
fn bad_addresses_are_named() {
    let err = build(&config(
        "[[sinks]]\ntype = \"syslog\"\ntransport = \"tcp\"\naddress = \"s.example:port\"",
    ))
    .unwrap_err();
    assert_eq!(err.problems()[0].field, "address");
}

#[test]
fn build_all_reports_every_sink_and_duplicate_names() {
    #[derive(serde::Deserialize)]
    struct Daemon {
        sinks: Vec<SinkConfig>,
    }
    let daemon: Daemon = toml::from_str(
        r#"
        [[sinks]]
        type = "stdout"
        [[sinks]]
        type = "stdout"
        [[sinks]]
        type = "http"
        name = "hook"
        url = ""
        "#,
    )
    .unwrap();
    let errors = build_all(&daemon.sinks, None).unwrap_err();
    assert_eq!(errors.len(), 2);
    assert_eq!(errors[0].sink(), "stdout");
    assert_eq!(errors[0].problems()[0].field, "name");
    assert_eq!(errors[1].sink(), "hook");
    assert_eq!(errors[1].problems()[0].field, "url");
}

#[test]
fn the_config_has_a_json_schema() {
    let schema = serde_json::to_string(&schemars::schema_for!(SinkConfig)).unwrap();
    for needle in [
        "splunk_hec",
        "max_file_bytes",
        "token_env",
        "octet counting",
    ] {
        assert!(schema.contains(needle), "{needle}");
    }
}
