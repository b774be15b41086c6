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

    /// Replaces every occurrence of the secret in `text` by `***`: endpoints
    /// sometimes echo request headers in their error bodies, and those bodies end
    /// up in error messages.
    pub(crate) fn scrub(&self, text: &str) -> String {
        if self.0.is_empty() {
            text.to_owned()
        } else {
            text.replace(&self.0, "***")
        }
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
        assert_eq!(s.scrub("token hunter2 rejected"), "token *** rejected");
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
}
