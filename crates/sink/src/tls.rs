//! rustls client configurations for the HTTP, HEC and syslog sinks: the Mozilla
//! roots plus an optional private CA, an optional client certificate, and the
//! crypto provider named explicitly.

use std::path::Path;
use std::sync::Arc;

use rustls::crypto::CryptoProvider;
use rustls::{ClientConfig, RootCertStore};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use crate::error::Checker;

/// The crypto provider of every TLS connection this crate makes. Passed
/// explicitly rather than installed as the process default: when a binary
/// compiles in both aws-lc-rs and ring, rustls refuses to guess and panics.
pub fn crypto_provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// Installs [`crypto_provider`] as the process-wide rustls default, for other
/// rustls users in the same binary that rely on the default (this crate does
/// not). Does nothing if a default is already installed.
pub fn install_crypto_provider() {
    // An error means another part of the program installed one first; keep it.
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
}

/// The TLS options a sink's configuration may set.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct TlsFiles<'a> {
    pub(crate) ca_file: Option<&'a Path>,
    pub(crate) client_cert_file: Option<&'a Path>,
    pub(crate) client_key_file: Option<&'a Path>,
}

/// Builds the client configuration, recording a problem against the field at
/// fault for any file that cannot be read or holds nothing usable.
pub(crate) fn client_config(check: &mut Checker, files: TlsFiles<'_>) -> Option<ClientConfig> {
    let mut roots = RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let mut ok = true;
    if let Some(path) = files.ca_file {
        match read_certs(path) {
            Ok(certs) => {
                let (added, _ignored) = roots.add_parsable_certificates(certs);
                if added == 0 {
                    check.problem(
                        "ca_file",
                        format!("`{}` holds no usable CA certificate", path.display()),
                    );
                    ok = false;
                }
            }
            Err(reason) => {
                check.problem("ca_file", reason);
                ok = false;
            }
        }
    }

    let client_auth = match (files.client_cert_file, files.client_key_file) {
        (None, None) => None,
        (Some(_), None) => {
            check.problem("client_key_file", "required with `client_cert_file`");
            ok = false;
            None
        }
        (None, Some(_)) => {
            check.problem("client_cert_file", "required with `client_key_file`");
            ok = false;
            None
        }
        (Some(cert), Some(key)) => {
            let certs = read_certs(cert)
                .map_err(|reason| check.problem("client_cert_file", reason))
                .ok();
            let key = PrivateKeyDer::from_pem_file(key)
                .map_err(|e| {
                    check.problem(
                        "client_key_file",
                        format!(
                            "cannot read a PEM private key from `{}`: {e}",
                            key.display()
                        ),
                    );
                })
                .ok();
            match (certs, key) {
                (Some(c), Some(k)) => Some((c, k)),
                _ => {
                    ok = false;
                    None
                }
            }
        }
    };
    if !ok {
        return None;
    }

    let builder = match ClientConfig::builder_with_provider(crypto_provider())
        .with_safe_default_protocol_versions()
    {
        Ok(b) => b.with_root_certificates(roots),
        Err(e) => {
            check.problem("ca_file", format!("TLS set-up failed: {e}"));
            return None;
        }
    };
    match client_auth {
        None => Some(builder.with_no_client_auth()),
        Some((certs, key)) => match builder.with_client_auth_cert(certs, key) {
            Ok(config) => Some(config),
            Err(e) => {
                check.problem(
                    "client_key_file",
                    format!("does not fit `client_cert_file`: {e}"),
                );
                None
            }
        },
    }
}

fn read_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs = CertificateDer::pem_file_iter(path)
        .and_then(|iter| iter.collect::<Result<Vec<_>, _>>())
        .map_err(|e| {
            format!(
                "cannot read PEM certificates from `{}`: {e}",
                path.display()
            )
        })?;
    if certs.is_empty() {
        return Err(format!("`{}` holds no PEM certificate", path.display()));
    }
    Ok(certs)
}

/// Explains a TLS failure found anywhere in an error's chain, with the fix when
/// it is a certificate the sink does not trust.
pub(crate) fn describe_tls_failure(err: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = cur {
        if let Some(tls) = e.downcast_ref::<rustls::Error>() {
            let hint = match tls {
                rustls::Error::InvalidCertificate(_) => {
                    "; if the endpoint's certificate comes from a private CA, set `ca_file`"
                }
                _ => "",
            };
            return Some(format!("TLS handshake failed: {tls}{hint}"));
        }
        // `io::Error::source` skips the error it wraps, and connectors wrap
        // rustls' error in one or two `io::Error`s: step into them instead.
        cur = match e
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            Some(inner) => Some(inner),
            None => e.source(),
        };
    }
    None
}
