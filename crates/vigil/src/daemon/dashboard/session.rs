//! Browser sessions of the dashboard.
//!
//! Why a session cookie and not the bearer token in the browser: a page cannot attach
//! an `Authorization` header to a plain navigation, so the token would have to live in
//! script-readable storage (`localStorage`, where any injected script reads it) or in
//! a URL (where history, logs and `Referer` keep it). Instead the token is typed once
//! into a form, POSTed, compared in constant time, and exchanged for a random session
//! id of 256 bits from the OS generator, sent back as an `HttpOnly` (no script reads
//! it) `SameSite=Strict` (no other site's page sends it, so no CSRF) cookie scoped to
//! the daemon. The token itself is never stored by the browser, put in a URL or
//! logged. Sessions live in memory: a restart signs everyone out, which is the safe
//! direction. They expire after [`SESSION_LIFETIME`] whatever their use, and signing
//! out forgets the id at once.
//!
//! The cookie has no `Secure` attribute because the daemon speaks plain HTTP (it is
//! meant to listen on loopback or behind a TLS-terminating proxy); behind such a proxy
//! the id travels exactly as the bearer token of the API does.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a session lasts after sign-in.
pub const SESSION_LIFETIME: Duration = Duration::from_secs(8 * 3600);
/// The cookie's name.
pub const COOKIE: &str = "vigil_session";
/// At most this many live sessions; the oldest goes when a new one would exceed it,
/// so repeated sign-ins cannot grow memory without bound.
const MAX_SESSIONS: usize = 256;

/// Live session ids and when each expires.
#[derive(Debug, Default)]
pub struct Sessions {
    live: Mutex<HashMap<String, Instant>>,
}

impl Sessions {
    /// A new session: its id (64 hex digits), or `None` when the OS generator fails.
    pub fn create(&self) -> Option<String> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).ok()?;
        let id: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let now = Instant::now();
        let mut live = self.live.lock().unwrap_or_else(|e| e.into_inner());
        live.retain(|_, expires| *expires > now);
        if live.len() >= MAX_SESSIONS
            && let Some(oldest) = live.iter().min_by_key(|(_, e)| **e).map(|(k, _)| k.clone())
        {
            live.remove(&oldest);
        }
        live.insert(id.clone(), now + SESSION_LIFETIME);
        Some(id)
    }

    /// Whether `id` names a live session.
    pub fn is_live(&self, id: &str) -> bool {
        let live = self.live.lock().unwrap_or_else(|e| e.into_inner());
        live.get(id)
            .is_some_and(|expires| *expires > Instant::now())
    }

    /// Forgets a session (sign-out).
    pub fn remove(&self, id: &str) {
        let mut live = self.live.lock().unwrap_or_else(|e| e.into_inner());
        live.remove(id);
    }
}

/// The session id in a `Cookie` header, if there is one.
pub fn from_cookie_header(header: &str) -> Option<&str> {
    header
        .split(';')
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.trim())
        .filter(|v| !v.is_empty())
}

/// The `Set-Cookie` value that starts a session.
pub fn set_cookie(id: &str) -> String {
    format!(
        "{COOKIE}={id}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}",
        SESSION_LIFETIME.as_secs()
    )
}

/// The `Set-Cookie` value that ends one.
pub fn clear_cookie() -> String {
    format!("{COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_is_live_until_removed_and_ids_differ() {
        let sessions = Sessions::default();
        let a = sessions.create().unwrap();
        let b = sessions.create().unwrap();
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert!(sessions.is_live(&a));
        assert!(!sessions.is_live("0000"));
        sessions.remove(&a);
        assert!(!sessions.is_live(&a));
        assert!(sessions.is_live(&b));
    }

    #[test]
    fn sessions_are_bounded() {
        let sessions = Sessions::default();
        let first = sessions.create().unwrap();
        for _ in 0..MAX_SESSIONS {
            sessions.create().unwrap();
        }
        assert!(!sessions.is_live(&first), "the oldest went");
        assert_eq!(sessions.live.lock().unwrap().len(), MAX_SESSIONS);
    }

    #[test]
    fn the_cookie_is_read_among_others() {
        assert_eq!(
            from_cookie_header("a=1; vigil_session=abc ; b=2"),
            Some("abc")
        );
        assert_eq!(from_cookie_header("vigil_session="), None);
        assert_eq!(from_cookie_header("other=x"), None);
        assert!(set_cookie("x").contains("HttpOnly; SameSite=Strict"));
    }
}
