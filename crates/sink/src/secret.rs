//! Tokens: where they come from (an environment variable or a file, never the
//! configuration itself) and how they are kept out of logs and errors.

use std::fmt;
use std::path::Path;

use crate::error::Checker;

/// A credential such as a HEC or bearer token. Its `Debug` and `Display` print
/// `***`, so a sink, a configuration dump or an error can be logged whole; the
/// value is reachable only through [`Secret::expose`], at the point where it goes
/// into a request header.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The value itself. Call it only to put the token on the wire.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// Every secret one endpoint knows, and the one path by which text about that endpoint
/// (an error, an echoed response body, a log line) is cleaned before it is logged or
/// stored: the token, the URL's user name and password, and every query parameter
/// value (`?token=…`, `?sig=…`), each as written and percent-decoded.
#[derive(Clone, Default)]
pub struct Redactor {
    /// Longest first, so that a secret containing another is replaced whole.
    secrets: Vec<String>,
}

impl Redactor {
    /// The secrets of a URL and an optional token.
    pub fn new(url: Option<&reqwest::Url>, token: Option<&Secret>) -> Self {
        let mut r = Redactor::default();
        if let Some(token) = token {
            r.add(token.expose());
        }
        if let Some(url) = url {
            r.add(url.username());
            if let Some(password) = url.password() {
                r.add(password);
                // The HTTP client sends userinfo as `Authorization: Basic
                // base64(user:password)`; a receiver that echoes the request echoes
                // that, which is the password in another spelling.
                use base64::Engine as _;
                let pair = format!("{}:{password}", url.username());
                r.add(&base64::engine::general_purpose::STANDARD.encode(pair));
            }
            if let Some(query) = url.query() {
                for pair in query.split('&') {
                    let value = pair.split_once('=').map_or(pair, |(_, v)| v);
                    r.add(value);
                }
            }
            for (_, value) in url.query_pairs() {
                r.add(&value);
            }
            if let Some(fragment) = url.fragment() {
                r.add(fragment);
            }
        }
        r
    }

    /// Adds a secret. Values under four characters are left alone: they would
    /// blank out ordinary words, and are no credential worth the name.
    pub fn add(&mut self, value: &str) {
        if value.chars().count() < 4 || self.secrets.iter().any(|s| s == value) {
            return;
        }
        self.secrets.push(value.to_owned());
        self.secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    }

    /// `text` with every secret replaced by `***`.
    pub fn scrub(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for secret in &self.secrets {
            if out.contains(secret.as_str()) {
                out = out.replace(secret.as_str(), "***");
            }
        }
        out
    }
}

impl fmt::Debug for Redactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[***; {}]", self.secrets.len())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// Reads a token from `token_env` or `token_file` (exactly one may be set),
/// recording a problem against the field at fault. A token file is read whole,
/// with surrounding whitespace (the trailing newline editors add) removed.
pub(crate) fn resolve_token(
    check: &mut Checker,
    token_env: Option<&str>,
    token_file: Option<&Path>,
    required: bool,
    env: &dyn Fn(&str) -> Option<String>,
) -> Option<Secret> {
    match (token_env, token_file) {
        (Some(_), Some(_)) => {
            check.problem(
                "token_file",
                "set either `token_env` or `token_file`, not both",
            );
            None
        }
        (Some(var), None) => {
            if var.is_empty() {
                check.problem("token_env", "must name an environment variable");
                return None;
            }
            match env(var) {
                None => {
                    check.problem(
                        "token_env",
                        format!("environment variable `{var}` is not set"),
                    );
                    None
                }
                Some(v) if v.trim().is_empty() => {
                    check.problem(
                        "token_env",
                        format!("environment variable `{var}` is empty"),
                    );
                    None
                }
                Some(v) => Some(Secret::new(v.trim())),
            }
        }
        (None, Some(path)) => match std::fs::read_to_string(path) {
            Err(e) => {
                check.problem(
                    "token_file",
                    format!("cannot read `{}`: {e}", path.display()),
                );
                None
            }
            Ok(v) if v.trim().is_empty() => {
                check.problem("token_file", format!("`{}` is empty", path.display()));
                None
            }
            Ok(v) => Some(Secret::new(v.trim())),
        },
        (None, None) => {
            if required {
                check.problem(
                    "token_env",
                    "a token is required: set `token_env` (an environment variable) or `token_file`",
                );
            }
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_hide_the_value() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s:?}"), "***");
        assert_eq!(format!("{s}"), "***");
        assert_eq!(s.expose(), "hunter2");
        assert_eq!(
            Redactor::new(None, Some(&s)).scrub("token hunter2 rejected"),
            "token *** rejected"
        );
    }

    #[test]
    fn token_env_is_read_and_trimmed() {
        let mut check = Checker::new("t");
        let env = |name: &str| (name == "TOK").then(|| "abc\n".to_owned());
        let s = resolve_token(&mut check, Some("TOK"), None, true, &env);
        assert_eq!(s.map(|s| s.expose().to_owned()).as_deref(), Some("abc"));
        assert!(check.finish().is_ok());
    }

    #[test]
    fn both_sources_is_an_error() {
        let mut check = Checker::new("t");
        let env = |_: &str| Some("x".to_owned());
        let s = resolve_token(&mut check, Some("A"), Some(Path::new("/x")), true, &env);
        assert!(s.is_none());
        let err = check.finish().unwrap_err();
        assert_eq!(err.problems()[0].field, "token_file");
    }

    #[test]
    fn the_redactor_knows_query_userinfo_and_token_secrets() {
        let url = reqwest::Url::parse(
            "https://collector:pa55word@siem.example/ingest?token=qu3ry-t0ken&sig=a%2Bb%2Fc%3D%3D&x=1",
        )
        .unwrap();
        let r = Redactor::new(Some(&url), Some(&Secret::new("head3r-token")));
        // `Y29sbGVjdG9yOnBhNTV3b3Jk` is base64("collector:pa55word"), the Basic
        // authorization header an echoing receiver sends back.
        let echoed = "you sent /ingest?token=qu3ry-t0ken&sig=a%2Bb%2Fc%3D%3D (sig a+b/c==) \
                      as collector:pa55word with head3r-token \
                      authorization: Basic Y29sbGVjdG9yOnBhNTV3b3Jk";
        let clean = r.scrub(echoed);
        for secret in [
            "qu3ry-t0ken",
            "a%2Bb%2Fc%3D%3D",
            "a+b/c==",
            "pa55word",
            "head3r-token",
            "Y29sbGVjdG9yOnBhNTV3b3Jk",
        ] {
            assert!(!clean.contains(secret), "{secret} in {clean}");
        }
        assert!(
            clean.starts_with("you sent /ingest?token=***&sig=***"),
            "{clean}"
        );
    }
}
