//! The HTTP endpoints of design §11: the chat platforms' webhooks (mounted by their adapters),
//! `GET /healthz` and `GET /metrics`. Serves until the shutdown flag turns; never handles signals.

use std::net::SocketAddr;

use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;
use tokio::sync::watch;

use crate::clock::SharedClock;
use crate::ops::FAILING_AFTER;
use crate::sources::Health;
use crate::store::Store;

/// What the health and metrics endpoints read.
#[derive(Clone)]
pub struct Probe {
    /// The chat platform in use: `slack`, `discord` or `console`.
    pub chat: &'static str,
    pub health: Health,
    pub store: Store,
    pub clock: SharedClock,
}

/// The routes every talkback server has, merged with the adapters' own.
pub fn router(adapters: Router, probe: Probe) -> Router {
    let metrics_probe = probe.clone();
    adapters
        .route("/healthz", get(move || healthz(probe.chat, probe.health.clone())))
        .route("/metrics", get(move || metrics(metrics_probe.clone())))
}

/// The counters and gauges of `crate::metrics`, in Prometheus' text format.
async fn metrics(probe: Probe) -> impl IntoResponse {
    // Reading the store's queues walks its trees: off the async threads.
    let page = tokio::task::spawn_blocking(move || {
        let sources = probe.health.snapshot();
        let replies_pending = probe.store.outbox_pending().map(|p| p.len()).unwrap_or(0);
        crate::metrics::render(&crate::metrics::Scrape {
            sources: &sources,
            alerts_pending: probe.store.pending_alert_count(),
            replies_pending,
            store_bytes: probe.store.size_on_disk(),
            now: probe.clock.now(),
        })
    })
    .await;
    match page {
        Ok(page) => (
            StatusCode::OK,
            [(
                axum::http::header::CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8",
            )],
            page,
        )
            .into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
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
