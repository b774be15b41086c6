//! From a connection URL to a connected client: the URL's Vigil-specific parts, TLS by
//! rustls with the aws-lc-rs provider, and the schema the store lives in.
//!
//! TLS, for a managed database (RDS, Aurora, Cloud SQL): the certificate is always
//! verified, host name included (libpq's `verify-full`), against the public web roots
//! plus the CA file named by `sslrootcert`. RDS certificates chain to Amazon's own RDS
//! CAs, which are not public roots: download the bundle
//! (`global-bundle.pem` from the RDS documentation) and connect with
//! `postgres://vigil@db.xxxx.eu-west-1.rds.amazonaws.com/vigil?sslmode=require&sslrootcert=/etc/vigil/rds-global-bundle.pem`.
//! `sslmode` may be `disable`, `prefer` (the default: TLS when the server offers it),
//! `require`, or libpq's `verify-ca` and `verify-full`, which mean `require` here since
//! verification is never skipped. There is no way to turn verification off: a store
//! that accepts any certificate would hand the findings to whoever sits on the path.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;

use postgres::config::{Host, SslMode};
use postgres::{Client, Config};
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::error::StoreError;

/// Everything needed to (re)connect: the parsed settings, the TLS connector and the
/// schema. Kept so a broken connection can be replaced without the caller's help.
pub(crate) struct Connector {
    config: Config,
    tls: MakeRustlsConnect,
    schema: Option<String>,
    /// Server, port, database, user and schema, never the password: for messages.
    pub target: String,
}

impl std::fmt::Debug for Connector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connector")
            .field("target", &self.target)
            .finish_non_exhaustive()
    }
}

impl Connector {
    /// Parses `url` (`postgres://user:password@host:port/database?sslmode=…`, or libpq's
    /// `key=value` form) and prepares TLS. `schema`, when given, is where the tables
    /// live (created if missing): one database can hold several stores, which is how
    /// the conformance tests run in parallel.
    pub fn new(url: &str, schema: Option<&str>) -> Result<Connector, StoreError> {
        let (url, root_file) = split_url(url)?;
        let config = Config::from_str(&url).map_err(|e| StoreError::Config {
            target: "the PostgreSQL URL".into(),
            message: format!("{e}"),
        })?;
        let target = describe(&config, schema);
        if let Some(schema) = schema
            && (schema.is_empty() || schema.len() > 63 || schema.contains('\0'))
        {
            return Err(StoreError::Config {
                target,
                message: format!("{schema:?} is not a usable schema name (1 to 63 bytes)"),
            });
        }
        let tls = tls_connector(root_file.as_deref()).map_err(|message| StoreError::Config {
            target: target.clone(),
            message,
        })?;
        Ok(Connector {
            config,
            tls,
            schema: schema.map(str::to_owned),
            target,
        })
    }

    /// A new connection, with the store's schema first on the search path.
    pub fn connect(&self) -> Result<Client, StoreError> {
        let failed = |step: &'static str| {
            move |source: postgres::Error| StoreError::Connect {
                target: self.target.clone(),
                step,
                source: source.into(),
            }
        };
        let mut client = self
            .config
            .connect(self.tls.clone())
            .map_err(failed("connect"))?;
        if let Some(schema) = &self.schema {
            let schema = quote_ident(schema);
            client
                .batch_execute(&format!(
                    "CREATE SCHEMA IF NOT EXISTS {schema}; SET search_path TO {schema}"
                ))
                .map_err(failed("select the schema"))?;
        }
        Ok(client)
    }
}

/// `name` as a quoted SQL identifier.
pub(crate) fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Takes out of a URL what the driver does not know: `sslrootcert` (libpq's name for
/// the CA file) and the `verify-*` modes, which become `require` since rustls always
/// verifies. Other forms than a URL pass through unchanged.
fn split_url(url: &str) -> Result<(String, Option<PathBuf>), StoreError> {
    if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
        return Ok((url.to_owned(), None));
    }
    let mut parsed = url::Url::parse(url).map_err(|e| StoreError::Config {
        target: "the PostgreSQL URL".into(),
        message: format!("not a URL: {e}"),
    })?;
    let mut root_file = None;
    let mut kept = Vec::new();
    for (key, value) in parsed.query_pairs() {
        match key.as_ref() {
            "sslrootcert" => root_file = Some(PathBuf::from(value.as_ref())),
            "sslmode" if value == "verify-ca" || value == "verify-full" => {
                kept.push((key.into_owned(), "require".to_owned()));
            }
            _ => kept.push((key.into_owned(), value.into_owned())),
        }
    }
    if kept.is_empty() {
        parsed.set_query(None);
    } else {
        parsed.query_pairs_mut().clear().extend_pairs(kept);
    }
    Ok((parsed.into(), root_file))
}

/// `postgres://user@host:port/database (schema s)`, for messages and logs.
fn describe(config: &Config, schema: Option<&str>) -> String {
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .zip(config.get_ports().iter().chain(std::iter::repeat(&5432)))
        .map(|(host, port)| match host {
            Host::Tcp(name) => format!("{name}:{port}"),
            Host::Unix(path) => format!("{}:{port}", path.display()),
        })
        .collect();
    let user = config.get_user().unwrap_or("?");
    let database = config.get_dbname().unwrap_or(user);
    let mut target = format!("postgres://{user}@{}/{database}", hosts.join(","));
    if config.get_ssl_mode() == SslMode::Require {
        target.push_str(" (TLS)");
    }
    if let Some(schema) = schema {
        target.push_str(&format!(" schema {schema}"));
    }
    target
}

/// rustls with the aws-lc-rs provider named explicitly (see the workspace Cargo.toml:
/// a second provider compiled in by another crate must not make rustls panic).
fn tls_connector(root_file: Option<&Path>) -> Result<MakeRustlsConnect, String> {
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Some(path) = root_file {
        let certs = CertificateDer::pem_file_iter(path)
            .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
            .map_err(|e| format!("sslrootcert {}: {e}", path.display()))?;
        if certs.is_empty() {
            return Err(format!(
                "sslrootcert {}: no PEM certificate in it",
                path.display()
            ));
        }
        for cert in certs {
            roots
                .add(cert)
                .map_err(|e| format!("sslrootcert {}: {e}", path.display()))?;
        }
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS: {e}"))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(MakeRustlsConnect::new(config))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ca_file_and_verify_modes_are_taken_out_of_the_url() {
        let (url, root) = split_url(
            "postgres://u:secret@db.example:5433/vigil?sslmode=verify-full&sslrootcert=/etc/rds.pem&application_name=vigil",
        )
        .unwrap();
        assert_eq!(root.as_deref(), Some(Path::new("/etc/rds.pem")));
        assert_eq!(
            url,
            "postgres://u:secret@db.example:5433/vigil?sslmode=require&application_name=vigil"
        );
        let (url, root) = split_url("postgres://u@h/db?sslrootcert=/x.pem").unwrap();
        assert_eq!((url.as_str(), root.is_some()), ("postgres://u@h/db", true));
        let (url, root) = split_url("host=h user=u").unwrap();
        assert_eq!((url.as_str(), root), ("host=h user=u", None));
    }

    #[test]
    fn the_description_never_holds_the_password() {
        let connector = Connector::new(
            "postgres://vigil:hunter2@db.example:6432/fleet?sslmode=require",
            Some("tenant"),
        )
        .unwrap();
        assert_eq!(
            connector.target,
            "postgres://vigil@db.example:6432/fleet (TLS) schema tenant"
        );
        assert!(!format!("{connector:?}").contains("hunter2"));
    }

    #[test]
    fn a_missing_ca_file_is_a_config_error_naming_it() {
        let err =
            Connector::new("postgres://u@h/db?sslrootcert=/nonexistent/ca.pem", None).unwrap_err();
        assert!(matches!(err, StoreError::Config { .. }), "{err}");
        assert!(err.to_string().contains("/nonexistent/ca.pem"), "{err}");
    }

    #[test]
    fn identifiers_are_quoted() {
        assert_eq!(quote_ident("a\"b"), "\"a\"\"b\"");
    }
}
