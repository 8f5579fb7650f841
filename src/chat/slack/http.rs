//! Slack's HTTP mode: `/slack/commands`, `/slack/interactions` and `/slack/events`. Every request's
//! `v0` HMAC-SHA256 signature and timestamp (5-minute window) are checked before anything is
//! read; a forged or stale request gets 401 and changes nothing.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use slack_morphism::prelude::*;
use slack_morphism::signature_verifier::SlackEventSignatureVerifier;

use super::inbound::SlackInbound;

#[derive(Clone)]
struct Http {
    inbound: Arc<SlackInbound>,
    verifier: Arc<SlackEventSignatureVerifier>,
}

pub fn routes(inbound: Arc<SlackInbound>, signing_secret: &SecretString) -> Router {
    let secret = SlackSigningSecret(signing_secret.expose_secret().to_string());
    let state = Http {
        inbound,
        verifier: Arc::new(SlackEventSignatureVerifier::new(&secret)),
    };
    Router::new()
        .route("/slack/commands", post(commands))
        .route("/slack/interactions", post(interactions))
        .route("/slack/events", post(events))
        .with_state(state)
}

fn unauthorized(why: &str) -> Response {
    tracing::warn!("rejected a Slack request: {why}");
    (StatusCode::UNAUTHORIZED, "invalid Slack signature").into_response()
}

impl Http {
    /// The body as text when the signature and timestamp are valid.
    /// The error is the HTTP answer to give (always 401).
    fn verified<'a>(&self, headers: &HeaderMap, body: &'a Bytes) -> Result<&'a str, Box<Response>> {
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        let (Some(sig), Some(ts)) = (header("x-slack-signature"), header("x-slack-request-timestamp")) else {
            return Err(Box::new(unauthorized("missing signature headers")));
        };
        let text = std::str::from_utf8(body).map_err(|_| unauthorized("body is not UTF-8"))?;
        self.verifier
            .verify(sig, text, ts)
            .map_err(|e| unauthorized(&e.to_string()))?;
        Ok(text)
    }
}

async fn commands(State(h): State<Http>, headers: HeaderMap, body: Bytes) -> Response {
    let text = match h.verified(&headers, &body) {
        Ok(t) => t,
        Err(r) => return *r,
    };
    let ev: SlackCommandEvent = match serde_urlencoded::from_str(text) {
        Ok(ev) => ev,
        Err(e) => return (StatusCode::BAD_REQUEST, format!("not a slash command: {e}")).into_response(),
    };
    let answer = h.inbound.command(&ev).await;
    Json(json!({"response_type": "ephemeral", "text": answer})).into_response()
}

#[derive(serde::Deserialize)]
struct InteractionForm {
    payload: String,
}

async fn interactions(State(h): State<Http>, headers: HeaderMap, body: Bytes) -> Response {
    let text = match h.verified(&headers, &body) {
        Ok(t) => t,
        Err(r) => return *r,
    };
    let parsed = serde_urlencoded::from_str::<InteractionForm>(text)
        .map_err(|e| e.to_string())
        .and_then(|f| serde_json::from_str::<SlackInteractionEvent>(&f.payload).map_err(|e| e.to_string()));
    let ev = match parsed {
        Ok(ev) => ev,
        Err(e) => {
            tracing::warn!(error = %e, "skipping a Slack interaction we cannot read");
            return (StatusCode::BAD_REQUEST, "not an interaction payload").into_response();
        }
    };
    match h.inbound.interaction(&ev).await {
        Some((block, message)) => {
            Json(json!({"response_action": "errors", "errors": {block: message}})).into_response()
        }
        None => StatusCode::OK.into_response(),
    }
}

async fn events(State(h): State<Http>, headers: HeaderMap, body: Bytes) -> Response {
    let text = match h.verified(&headers, &body) {
        Ok(t) => t,
        Err(r) => return *r,
    };
    let value: serde_json::Value = serde_json::from_str(text).unwrap_or_default();
    if value["type"] == "url_verification" {
        return Json(json!({"challenge": value["challenge"]})).into_response();
    }
    StatusCode::OK.into_response()
}
