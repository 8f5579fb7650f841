//! The HTTP endpoints of design §11: the chat platforms' webhooks (mounted by their adapters) and
//! `GET /healthz`. Serves until the shutdown flag turns; never handles signals itself.

use std::net::SocketAddr;

use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;
use tokio::sync::watch;

use crate::ops::FAILING_AFTER;
use crate::sources::Health;

/// The routes every talkback server has, merged with the adapters' own.
pub fn router(adapters: Router, chat: &'static str, health: Health) -> Router {
    adapters.route("/healthz", get(move || healthz(chat, health.clone())))
}

/// 200 with each part's state, or 503 when a source keeps failing.
async fn healthz(chat: &'static str, health: Health) -> impl IntoResponse {
    let sources = health.snapshot();
    let failing: Vec<&String> = sources
        .iter()
        .filter(|(_, h)| h.consecutive_failures >= FAILING_AFTER)
        .map(|(k, _)| k)
        .collect();
    let status = if failing.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = json!({
        "status": if failing.is_empty() { "ok" } else { "degraded" },
        "failing": failing,
        "chat": chat,
        "sources": sources,
    });
    (status, Json(body))
}

/// Binds `listen` and serves until `shutdown` turns true. Returns the bound address.
pub async fn serve(
    listen: SocketAddr,
    app: Router,
    mut shutdown: watch::Receiver<bool>,
) -> std::io::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    let listener = tokio::net::TcpListener::bind(listen).await?;
    let addr = listener.local_addr()?;
    let task = tokio::spawn(async move {
        let stop = async move {
            while !*shutdown.borrow() {
                if shutdown.changed().await.is_err() {
                    break;
                }
            }
        };
        if let Err(e) = axum::serve(listener, app).with_graceful_shutdown(stop).await {
            tracing::error!(error = %e, "the HTTP server stopped");
        }
    });
    tracing::info!(%addr, "serving HTTP");
    Ok((addr, task))
}
