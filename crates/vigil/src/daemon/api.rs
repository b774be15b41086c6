//! The HTTP API: health for orchestrators, Prometheus metrics, and read access to scans,
//! findings and scores, plus `POST /api/v1/scans` to scan now. Everything but the two
//! health endpoints needs the bearer token. The dashboard (`super::dashboard`) is
//! served beside it, behind the same token, exchanged for a session cookie.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::Router;
use axum::extract::{Query, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;
use subtle::ConstantTimeEq;
use vigil_store::ScanTrigger;

use super::Daemon;
use super::query::{FindingsQuery, ScansQuery, ScoresQuery};

/// The router, with the token every protected route checks.
pub fn router(daemon: Arc<Daemon>, token: String) -> Router {
    let token = Arc::new(token);
    let dashboard = super::dashboard::router(Arc::clone(&daemon), Arc::clone(&token));
    let protected = Router::new()
        .route("/metrics", get(metrics))
        .route("/api/v1/scans", get(list_scans).post(start_scan))
        .route("/api/v1/findings", get(list_findings))
        .route("/api/v1/scores", get(scores))
        .route_layer(middleware::from_fn(move |request: Request, next: Next| {
            let token = Arc::clone(&token);
            async move { authorize(&token, request, next).await }
        }));
    Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(ready))
        .merge(protected)
        .with_state(daemon)
        .merge(dashboard)
}

async fn authorize(token: &str, request: Request, next: Next) -> Response {
    let given = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    if bool::from(given.as_bytes().ct_eq(token.as_bytes())) && !token.is_empty() {
        next.run(request).await
    } else {
        (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
            "missing or wrong bearer token\n",
        )
            .into_response()
    }
}

/// An error as JSON with its status.
fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, axum::Json(json!({ "error": message.into() }))).into_response()
}

/// A store call off the async runtime; a failure is the response to send.
pub(super) async fn store_call<T: Send + 'static>(
    daemon: &Arc<Daemon>,
    f: impl FnOnce(&dyn vigil_store::Store) -> vigil_store::Result<T> + Send + 'static,
) -> Result<T, Response> {
    let store = Arc::clone(&daemon.store);
    match tokio::task::spawn_blocking(move || f(store.as_ref())).await {
        Ok(Ok(value)) => Ok(value),
        // The caller's input (a malformed page cursor) is the caller's error.
        Ok(Err(err @ vigil_store::StoreError::InvalidInput { .. })) => {
            Err(error(StatusCode::BAD_REQUEST, err.to_string()))
        }
        Ok(Err(err)) => Err(error(StatusCode::INTERNAL_SERVER_ERROR, err.to_string())),
        Err(err) => Err(error(StatusCode::INTERNAL_SERVER_ERROR, err.to_string())),
    }
}

async fn ready(State(daemon): State<Arc<Daemon>>) -> Response {
    if !daemon.ready.load(Ordering::SeqCst) {
        return error(StatusCode::SERVICE_UNAVAILABLE, "starting");
    }
    match store_call(&daemon, |s| s.outbox_stats()).await {
        Ok(_) => "ready\n".into_response(),
        Err(_) => error(StatusCode::SERVICE_UNAVAILABLE, "the store does not answer"),
    }
}

async fn metrics(State(daemon): State<Arc<Daemon>>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        daemon.metrics.render(),
    )
        .into_response()
}

async fn list_scans(
    State(daemon): State<Arc<Daemon>>,
    Query(query): Query<ScansQuery>,
) -> Response {
    let (filter, page) = match query.request() {
        Ok(request) => request,
        Err(message) => return error(StatusCode::BAD_REQUEST, message),
    };
    match store_call(&daemon, move |s| s.list_scans(&filter, &page)).await {
        Ok(page) => axum::Json(json!({ "items": page.items, "next": page.next })).into_response(),
        Err(response) => response,
    }
}

/// `POST /api/v1/scans`: queue a scan of every target now.
async fn start_scan(State(daemon): State<Arc<Daemon>>) -> Response {
    match daemon.requests.try_send(super::ScanRequest {
        trigger: ScanTrigger::Api,
        cycle: None,
    }) {
        Ok(()) => (StatusCode::ACCEPTED, axum::Json(json!({ "queued": true }))).into_response(),
        Err(_) => (
            StatusCode::ACCEPTED,
            axum::Json(json!({ "queued": false, "reason": "a scan is already queued" })),
        )
            .into_response(),
    }
}

async fn list_findings(
    State(daemon): State<Arc<Daemon>>,
    Query(query): Query<FindingsQuery>,
) -> Response {
    let (filter, page) = match query.request() {
        Ok(request) => request,
        Err(message) => return error(StatusCode::BAD_REQUEST, message),
    };
    match store_call(&daemon, move |s| s.list_findings(&filter, &page)).await {
        Ok(page) => axum::Json(json!({ "items": page.items, "next": page.next })).into_response(),
        Err(response) => response,
    }
}

async fn scores(State(daemon): State<Arc<Daemon>>, Query(query): Query<ScoresQuery>) -> Response {
    let account = query.account.clone();
    let current = match store_call(&daemon, move |s| s.latest_scores(account.as_deref())).await {
        Ok(current) => current,
        Err(response) => return response,
    };
    let mut body = json!({ "current": current });
    if query.history.unwrap_or(false) {
        let Some(account) = query.account else {
            return error(StatusCode::BAD_REQUEST, "history needs an account");
        };
        let (epic, limit) = (query.epic, query.limit.unwrap_or(100));
        match store_call(&daemon, move |s| {
            s.score_history(&account, epic.as_deref(), limit)
        })
        .await
        {
            Ok(history) => body["history"] = json!(history),
            Err(response) => return response,
        }
    }
    axum::Json(body).into_response()
}
