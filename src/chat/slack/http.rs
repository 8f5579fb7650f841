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
        verify(&self.verifier, headers, body).map_err(|why| Box::new(unauthorized(&why)))
    }
}

/// Checks a request as Slack signs it: `X-Slack-Signature` is `v0=` and the hex HMAC-SHA256 of
/// `v0:<X-Slack-Request-Timestamp>:<body>` with the signing secret, and the timestamp is within
/// five minutes of now. Returns the body as text; the error says why the request is refused.
pub fn verify<'a>(
    verifier: &SlackEventSignatureVerifier,
    headers: &HeaderMap,
    body: &'a [u8],
) -> Result<&'a str, String> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let (Some(sig), Some(ts)) = (header("x-slack-signature"), header("x-slack-request-timestamp")) else {
        return Err("missing signature headers".into());
    };
    let text = std::str::from_utf8(body).map_err(|_| "body is not UTF-8".to_string())?;
    // slack-morphism checks the window too, but with `(now - ts).abs()`, which overflows on a
    // timestamp near `i64::MIN`: only a timestamp within the window reaches it.
    let fresh = ts
        .parse::<i64>()
        .is_ok_and(|t| t.abs_diff(chrono::Utc::now().timestamp()) <= WINDOW_SECS);
    if !fresh {
        return Err(format!("the timestamp `{ts}` is not within five minutes of now"));
    }
    verifier.verify(sig, text, ts).map_err(|e| e.to_string())?;
    Ok(text)
}

/// How far a request's timestamp may be from our clock, in seconds.
const WINDOW_SECS: u64 = 300;

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

#[cfg(test)]
mod tests {
    use super::*;
    use hmac::{Hmac, Mac};
    use sha2::Sha256;

    const SECRET: &str = "8f742231b10e8888abcd99yyyzzz85a5";

    fn signed(ts: &str, body: &str) -> HeaderMap {
        let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
        mac.update(format!("v0:{ts}:{body}").as_bytes());
        let sig = format!("v0={}", hex::encode(mac.finalize().into_bytes()));
        let mut h = HeaderMap::new();
        h.insert("x-slack-signature", sig.parse().unwrap());
        h.insert("x-slack-request-timestamp", ts.parse().unwrap());
        h
    }

    /// Found by tests/fuzz.rs: a correctly signed request with a timestamp near `i64::MIN` made
    /// slack-morphism's window check overflow (a panic in debug builds).
    #[test]
    fn a_signed_timestamp_at_the_ends_of_i64_is_refused() {
        let verifier = SlackEventSignatureVerifier::new(&SlackSigningSecret(SECRET.into()));
        let now = chrono::Utc::now().timestamp();
        let body = "token=x&text=list";
        for ts in [
            i64::MIN,
            i64::MIN + 1,
            now.wrapping_add(i64::MIN),
            i64::MAX,
            now - 400,
            now + 400,
        ] {
            let ts = ts.to_string();
            assert!(verify(&verifier, &signed(&ts, body), body.as_bytes()).is_err(), "{ts}");
        }
        let ts = now.to_string();
        assert_eq!(verify(&verifier, &signed(&ts, body), body.as_bytes()), Ok(body));
        assert!(verify(&verifier, &signed(&ts, body), b"token=x&text=lisT").is_err());
    }
}
