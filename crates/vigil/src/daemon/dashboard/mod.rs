//! The dashboard: the daemon's store as pages a person reads in a browser — the
//! accounts, maturity and scores over time, findings by lifecycle, drift per resource,
//! a scan's details.
//!
//! It is the HTML report's look from the same source: `vigil_report::html`'s template
//! environment (layout, partials, macros) with the dashboard's pages added, and its
//! stylesheet and findings script served as files from the binary (`/assets/…`). The
//! pages are rendered on the server; charts are inline SVG; the one script is the
//! report's. Nothing is fetched from elsewhere: every response carries a
//! Content-Security-Policy that allows the daemon's own stylesheet and script and
//! nothing else (no inline script, no connection, no frame, forms only to itself).
//!
//! Access is the API's token, exchanged at sign-in for a session cookie (see
//! [`session`] for why). Every page but the sign-in form and the two assets redirects
//! to it without a live session.

mod chart;
mod findings;
mod pages;
mod session;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Form, Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Router, routing::post};
use minijinja::{Environment, Value, context};
use serde::Deserialize;
use subtle::ConstantTimeEq;

use super::Daemon;
use session::Sessions;

/// The dashboard's own pages, beside the report's templates.
const TEMPLATES: [(&str, &str); 8] = [
    ("dashboard/base.html", include_str!("templates/base.html")),
    ("dashboard/login.html", include_str!("templates/login.html")),
    (
        "dashboard/overview.html",
        include_str!("templates/overview.html"),
    ),
    (
        "dashboard/account.html",
        include_str!("templates/account.html"),
    ),
    (
        "dashboard/findings.html",
        include_str!("templates/findings.html"),
    ),
    ("dashboard/drift.html", include_str!("templates/drift.html")),
    (
        "dashboard/changes.html",
        include_str!("templates/changes.html"),
    ),
    ("dashboard/scan.html", include_str!("templates/scan.html")),
];

/// The policy every dashboard response carries: the daemon's own stylesheet and
/// script, inline SVG, and nothing else.
pub const CSP: &str = "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; \
     connect-src 'none'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The same policy for the page's `<meta>` element (which must not name
/// `frame-ancestors`: a browser ignores it there and says so in the console).
const META_CSP: &str = "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; \
     connect-src 'none'; form-action 'self'; base-uri 'none'";

/// What the dashboard's handlers share.
pub struct Dashboard {
    daemon: Arc<Daemon>,
    token: Arc<String>,
    sessions: Sessions,
    env: Environment<'static>,
}

impl std::fmt::Debug for Dashboard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Neither the token nor the session ids.
        f.debug_struct("Dashboard").finish_non_exhaustive()
    }
}

/// The dashboard's routes, to merge into the API's router.
pub fn router(daemon: Arc<Daemon>, token: Arc<String>) -> Router {
    let mut env = vigil_report::html::environment();
    for (name, source) in TEMPLATES {
        if let Err(error) = env.add_template(name, source) {
            tracing::error!(template = name, %error, "built-in template does not parse");
        }
    }
    let dashboard = Arc::new(Dashboard {
        daemon,
        token,
        sessions: Sessions::default(),
        env,
    });
    let pages = Router::new()
        .route("/", get(pages::overview))
        .route("/accounts/{account}", get(pages::account))
        .route("/findings", get(pages::findings))
        .route("/drift", get(pages::drift))
        .route("/scans/{id}", get(pages::scan))
        .route("/logout", post(logout))
        .route_layer(middleware::from_fn_with_state(
            Arc::clone(&dashboard),
            require_session,
        ));
    Router::new()
        .route("/login", get(login_form).post(login))
        .route("/assets/{name}", get(asset))
        .merge(pages)
        .with_state(dashboard)
}

/// The live session of a request, if it has one.
fn session_of<'a>(dashboard: &Dashboard, headers: &'a HeaderMap) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(session::from_cookie_header)
        .find(|id| dashboard.sessions.is_live(id))
}

async fn require_session(
    State(dashboard): State<Arc<Dashboard>>,
    request: Request,
    next: Next,
) -> Response {
    if session_of(&dashboard, request.headers()).is_some() {
        next.run(request).await
    } else {
        Redirect::to("/login").into_response()
    }
}

/// A page's headers: HTML, the policy, never framed, never cached (it shows the
/// store's state and is behind a sign-in).
fn html_response(status: StatusCode, html: String) -> Response {
    let mut response = (status, html).into_response();
    let headers = response.headers_mut();
    for (name, value) in [
        (header::CONTENT_TYPE, "text/html; charset=utf-8"),
        (header::CONTENT_SECURITY_POLICY, CSP),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "same-origin"),
        (header::CACHE_CONTROL, "no-store"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}

impl Dashboard {
    /// Renders a dashboard template with the shared context (`csp`, `signed_in`).
    fn render(&self, status: StatusCode, name: &str, page: Value, signed_in: bool) -> Response {
        let rendered = self.env.get_template(name).and_then(|t| {
            t.render(context! {
                page => page,
                csp => META_CSP,
                signed_in => signed_in,
            })
        });
        match rendered {
            Ok(html) => html_response(status, html),
            Err(error) => {
                tracing::error!(
                    template = name,
                    error = format!("{error:#}"),
                    "dashboard page"
                );
                html_response(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "<!doctype html><title>Vigil</title><p>The page could not be rendered; the daemon's log says why.</p>".into(),
                )
            }
        }
    }

    /// A page that says something went wrong (an unknown scan, a store error).
    fn message(&self, status: StatusCode, title: &str, text: &str) -> Response {
        self.render(
            status,
            "dashboard/base.html",
            context! { title => title, message => text },
            true,
        )
    }
}

async fn asset(Path(name): Path<String>) -> Response {
    let content_type = if name.ends_with(".css") {
        "text/css; charset=utf-8"
    } else {
        "text/javascript; charset=utf-8"
    };
    match vigil_report::html::ASSETS.iter().find(|(n, _)| *n == name) {
        Some((_, body)) => (
            [
                (header::CONTENT_TYPE, content_type),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
                (header::CACHE_CONTROL, "no-cache"),
            ],
            *body,
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "no such asset\n").into_response(),
    }
}

async fn login_form(State(dashboard): State<Arc<Dashboard>>, headers: HeaderMap) -> Response {
    if session_of(&dashboard, &headers).is_some() {
        return Redirect::to("/").into_response();
    }
    dashboard.render(
        StatusCode::OK,
        "dashboard/login.html",
        context! { title => "Vigil — sign in", error => false },
        false,
    )
}

/// The sign-in form's body. Not `Debug`: it holds the token.
#[derive(Deserialize)]
struct LoginForm {
    token: String,
}

/// A POST from another origin is refused: `SameSite=Strict` already keeps the cookie
/// from such a request, and this keeps another site from even trying tokens.
fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    origin
        .split_once("://")
        .is_some_and(|(_, rest)| !host.is_empty() && rest == host)
}

async fn login(
    State(dashboard): State<Arc<Dashboard>>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    if !same_origin(&headers) {
        return (StatusCode::FORBIDDEN, "cross-origin sign-in refused\n").into_response();
    }
    let given = form.token.trim();
    let token = dashboard.token.as_str();
    if token.is_empty() || !bool::from(given.as_bytes().ct_eq(token.as_bytes())) {
        tracing::warn!("dashboard sign-in with a wrong token");
        // Slows guessing down; the comparison itself leaks nothing.
        tokio::time::sleep(Duration::from_millis(300)).await;
        return dashboard.render(
            StatusCode::UNAUTHORIZED,
            "dashboard/login.html",
            context! { title => "Vigil — sign in", error => true },
            false,
        );
    }
    let Some(id) = dashboard.sessions.create() else {
        tracing::error!("the OS random generator failed: no dashboard session");
        return (StatusCode::INTERNAL_SERVER_ERROR, "no session\n").into_response();
    };
    tracing::info!("dashboard sign-in");
    let mut response = Redirect::to("/").into_response();
    if let Ok(cookie) = HeaderValue::from_str(&session::set_cookie(&id)) {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    response
}

async fn logout(State(dashboard): State<Arc<Dashboard>>, headers: HeaderMap) -> Response {
    if !same_origin(&headers) {
        return (StatusCode::FORBIDDEN, "cross-origin sign-out refused\n").into_response();
    }
    if let Some(id) = session_of(&dashboard, &headers) {
        dashboard.sessions.remove(id);
    }
    let mut response = Redirect::to("/login").into_response();
    if let Ok(cookie) = HeaderValue::from_str(&session::clear_cookie()) {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_dashboard_template_parses() {
        let mut env = vigil_report::html::environment();
        for (name, source) in TEMPLATES {
            env.add_template(name, source)
                .unwrap_or_else(|e| panic!("{name}: {e:#}"));
        }
    }

    #[test]
    fn a_post_from_another_origin_is_refused() {
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, HeaderValue::from_static("127.0.0.1:8080"));
        assert!(same_origin(&headers), "no Origin: a same-origin form");
        headers.insert(
            header::ORIGIN,
            HeaderValue::from_static("http://127.0.0.1:8080"),
        );
        assert!(same_origin(&headers));
        headers.insert(
            header::ORIGIN,
            HeaderValue::from_static("https://evil.example"),
        );
        assert!(!same_origin(&headers));
        headers.insert(header::ORIGIN, HeaderValue::from_static("null"));
        assert!(!same_origin(&headers));
    }
}
