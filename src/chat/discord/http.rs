//! Discord's HTTP interactions endpoint, `POST /discord/interactions`. Every request's Ed25519
//! signature (over the timestamp and the body, with the application's public key) is checked
//! before anything is read, and a timestamp more than five minutes away is refused as stale: a
//! forged or replayed request gets 401 and changes nothing. PING is answered with PONG.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use ed25519_dalek::{Signature, VerifyingKey};
use serenity::all::Interaction;

use super::inbound::DiscordInbound;
use crate::clock::SharedClock;

/// How far a request's timestamp may be from our clock.
const WINDOW_SECS: i64 = 300;

#[derive(Clone)]
struct Endpoint {
    inbound: Arc<DiscordInbound>,
    key: VerifyingKey,
    clock: SharedClock,
}

pub fn routes(inbound: Arc<DiscordInbound>, key: VerifyingKey, clock: SharedClock) -> Router {
    Router::new()
        .route("/discord/interactions", post(interactions))
        .with_state(Endpoint { inbound, key, clock })
}

/// Why a request is refused, for the log.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Forged {
    #[error("missing X-Signature-Ed25519 or X-Signature-Timestamp")]
    MissingHeaders,
    #[error("the signature is not 64 bytes of hex")]
    BadSignature,
    #[error("the signature does not match the body")]
    Mismatch,
    #[error("the timestamp is not within five minutes of now")]
    Stale,
}

/// Checks a request as Discord signs it: Ed25519 over `timestamp ‖ body`.
pub fn verify(key: &VerifyingKey, headers: &HeaderMap, body: &[u8], now_unix: i64) -> Result<(), Forged> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let (Some(sig), Some(ts)) = (header("x-signature-ed25519"), header("x-signature-timestamp")) else {
        return Err(Forged::MissingHeaders);
    };
    let bytes: [u8; 64] = hex::decode(sig)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or(Forged::BadSignature)?;
    let mut message = Vec::with_capacity(ts.len() + body.len());
    message.extend_from_slice(ts.as_bytes());
    message.extend_from_slice(body);
    key.verify_strict(&message, &Signature::from_bytes(&bytes))
        .map_err(|_| Forged::Mismatch)?;
    match ts.trim().parse::<i64>() {
        Ok(t) if now_unix.abs_diff(t) <= WINDOW_SECS.unsigned_abs() => Ok(()),
        _ => Err(Forged::Stale),
    }
}

async fn interactions(State(e): State<Endpoint>, headers: HeaderMap, body: Bytes) -> Response {
    if let Err(why) = verify(&e.key, &headers, &body, e.clock.now().timestamp()) {
        tracing::warn!("rejected a Discord interaction: {why}");
        return (StatusCode::UNAUTHORIZED, "invalid request signature").into_response();
    }
    let interaction: Interaction = match serde_json::from_slice(&body) {
        Ok(i) => i,
        Err(err) => {
            tracing::warn!(error = %err, "skipping a Discord interaction we cannot read");
            return (StatusCode::BAD_REQUEST, "not an interaction payload").into_response();
        }
    };
    let token = interaction.token().to_string();
    let answer = e.inbound.respond(interaction).await;
    if let Some(later) = answer.later {
        let inbound = e.inbound.clone();
        tokio::spawn(async move { inbound.finish(&token, later).await });
    }
    // serenity writes `"data": null` for PONG and ACK; Discord documents them as `{"type": N}`.
    let mut body = serde_json::to_value(&answer.now).unwrap_or_default();
    if let Some(map) = body
        .as_object_mut()
        .filter(|m| m.get("data").is_some_and(|d| d.is_null()))
    {
        map.remove("data");
    }
    Json(body).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::{Signer, SigningKey};

    /// Found by tests/fuzz.rs: `(now - t).abs()` overflowed on a signed timestamp near
    /// `i64::MIN`: a panic in debug builds; in release builds it wrapped, and a timestamp 2^63
    /// seconds before now (`now - t` = `i64::MIN`, whose `abs()` is itself) was accepted.
    #[test]
    fn a_signed_timestamp_at_the_ends_of_i64_is_stale() {
        let key = SigningKey::from_bytes(&[7u8; 32]);
        let now: i64 = 1_763_632_800;
        let body = br#"{"type":1}"#;
        for ts in [
            i64::MIN,
            i64::MIN + 1,
            now.wrapping_add(i64::MIN),
            i64::MAX,
            now - 301,
            now + 301,
            now,
        ] {
            let ts = ts.to_string();
            let mut message = ts.as_bytes().to_vec();
            message.extend_from_slice(body);
            let mut h = HeaderMap::new();
            h.insert(
                "x-signature-ed25519",
                hex::encode(key.sign(&message).to_bytes()).parse().unwrap(),
            );
            h.insert("x-signature-timestamp", ts.parse().unwrap());
            let expected = if ts == now.to_string() {
                Ok(())
            } else {
                Err(Forged::Stale)
            };
            assert_eq!(verify(&key.verifying_key(), &h, body, now), expected, "{ts}");
        }
    }
}
