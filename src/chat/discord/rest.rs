//! Discord's REST API: requests built by serenity (routes, auth, JSON and multipart bodies) and
//! sent here, so that talkback's own rate limiting sits in front — per-route buckets from the
//! `X-RateLimit-*` headers, the global limit, and `Retry-After` on a 429. serenity's own limiter
//! cannot be used with a configurable `api_url`. Never touches sled.

use std::collections::HashMap;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use serenity::http::{LightMethod, Multipart, RatelimitingBucket, Request, Route};
use tokio::sync::Mutex;
use tokio::time::Instant;

use crate::chat::ChatError;
use crate::redact::redact;

/// 429s are retried this many times before the caller is told to come back later.
const RATE_LIMIT_RETRIES: u32 = 4;
/// No single wait is longer than this; a longer Retry-After goes back to the caller.
const MAX_WAIT: Duration = Duration::from_secs(60);

/// What a request carries.
#[derive(Clone)]
pub enum Body {
    Empty,
    Json(Vec<u8>),
    Multipart(Multipart),
    /// No body: these query parameters (a GET's `limit`, `before`).
    Query(Vec<(&'static str, String)>),
}

impl Body {
    /// A serenity builder (or any value) as a JSON body.
    pub fn json(value: &impl serde::Serialize) -> Result<Body, RestError> {
        serde_json::to_vec(value)
            .map(Body::Json)
            .map_err(|e| RestError::Transport(format!("cannot encode the request: {e}")))
    }
}

/// Why a Discord call failed, for callers that branch on it.
#[derive(Debug, thiserror::Error)]
pub enum RestError {
    #[error("Discord is rate limiting us (retry after {0:?})")]
    RateLimited(Duration),
    /// Discord answered with an error: HTTP status, Discord's JSON error code, its message.
    #[error("Discord answered {status}: {message} (code {code})")]
    Rejected { status: u16, code: i64, message: String },
    #[error("Discord unreachable: {0}")]
    Transport(String),
}

impl RestError {
    /// Discord's JSON error code (10003 unknown channel, 50001 missing access, …), if any.
    pub fn code(&self) -> Option<i64> {
        match self {
            RestError::Rejected { code, .. } => Some(*code),
            _ => None,
        }
    }
}

impl From<RestError> for ChatError {
    fn from(e: RestError) -> ChatError {
        match e {
            RestError::RateLimited(d) => ChatError::RateLimited(Some(d)),
            RestError::Rejected { status, .. } if status >= 500 => ChatError::Transport(e.to_string()),
            RestError::Rejected { .. } => ChatError::Rejected(e.to_string()),
            RestError::Transport(m) => ChatError::Transport(m),
        }
    }
}

/// When each bucket, and everything (the global limit), may be called again.
#[derive(Default)]
struct Limits {
    buckets: HashMap<RatelimitingBucket, Instant>,
    global: Option<Instant>,
}

impl Limits {
    fn ready_at(&self, bucket: &RatelimitingBucket) -> Option<Instant> {
        let b = self.buckets.get(bucket).copied();
        b.max(self.global)
    }
}

pub struct Rest {
    client: reqwest::Client,
    /// `Bot <token>`, as the Authorization header wants it.
    auth: SecretString,
    api_url: String,
    limits: Mutex<Limits>,
}

impl Rest {
    pub fn new(api_url: &str, token: &SecretString, client: reqwest::Client) -> Rest {
        let t = token.expose_secret();
        let auth = if t.starts_with("Bot ") {
            t.to_string()
        } else {
            format!("Bot {t}")
        };
        Rest {
            client,
            auth: SecretString::from(auth),
            api_url: api_url.trim_end_matches('/').to_string(),
            limits: Mutex::new(Limits::default()),
        }
    }

    /// Sends a request and decodes Discord's JSON answer.
    pub async fn call<T: DeserializeOwned>(
        &self,
        method: LightMethod,
        route: Route<'_>,
        body: Body,
    ) -> Result<T, RestError> {
        let bytes = self.send(method, route, body).await?;
        serde_json::from_slice(&bytes).map_err(|e| RestError::Rejected {
            status: 200,
            code: 0,
            message: format!("an answer talkback cannot read: {e}"),
        })
    }

    /// Sends a request, waiting first when its bucket (or the global limit) is used up, and
    /// retrying on 429 after Retry-After. Returns the answer's body.
    pub async fn send(&self, method: LightMethod, route: Route<'_>, body: Body) -> Result<Vec<u8>, RestError> {
        let bucket = route.ratelimiting_bucket();
        let mut tries = 0;
        loop {
            let ready = self.limits.lock().await.ready_at(&bucket);
            if let Some(at) = ready {
                tokio::time::sleep_until(at).await;
            }
            let res = self.attempt(method, route, body.clone()).await?;
            let status = res.status().as_u16();
            let headers = res.headers().clone();
            let bytes = res.bytes().await.map_err(|e| RestError::Transport(e.to_string()))?;
            let now = Instant::now();
            let mut limits = self.limits.lock().await;
            if header_f64(&headers, "x-ratelimit-remaining") == Some(0.0) {
                if let Some(after) = header_f64(&headers, "x-ratelimit-reset-after") {
                    limits.buckets.insert(bucket, now + secs(after));
                }
            } else if status != 429 {
                limits.buckets.remove(&bucket);
            }
            if status != 429 {
                drop(limits);
                return match status {
                    200..=299 => Ok(bytes.to_vec()),
                    _ => Err(rejected(status, &bytes)),
                };
            }
            let (wait, global) = retry_after(&headers, &bytes);
            if global {
                limits.global = Some(now + wait);
            } else {
                limits.buckets.insert(bucket, now + wait);
            }
            drop(limits);
            if tries >= RATE_LIMIT_RETRIES || wait > MAX_WAIT {
                return Err(RestError::RateLimited(wait));
            }
            tries += 1;
            tracing::warn!(global, "Discord rate limit; retrying in {:.1}s", wait.as_secs_f64());
        }
    }

    async fn attempt(&self, method: LightMethod, route: Route<'_>, body: Body) -> Result<reqwest::Response, RestError> {
        let req = Request::new(route, method);
        let req = match body {
            Body::Empty => req,
            Body::Json(b) => req.body(Some(b)),
            Body::Multipart(m) => req.multipart(Some(m)),
            Body::Query(q) => req.params(Some(q)),
        };
        let built = req
            .build(&self.client, self.auth.expose_secret(), Some(&self.api_url))
            .map_err(|e| RestError::Transport(format!("cannot build the request: {e}")))?;
        built
            .send()
            .await
            .map_err(|e| RestError::Transport(e.without_url().to_string()))
    }
}

fn secs(s: f64) -> Duration {
    Duration::from_secs_f64(s.clamp(0.0, 3600.0))
}

fn header_f64(headers: &reqwest::header::HeaderMap, name: &str) -> Option<f64> {
    headers
        .get(name)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
        .filter(|v: &f64| v.is_finite())
}

/// How long a 429 asks us to wait, and whether the limit is global. The body's `retry_after`
/// has sub-second precision; the `Retry-After` header is whole seconds.
fn retry_after(headers: &reqwest::header::HeaderMap, body: &[u8]) -> (Duration, bool) {
    #[derive(serde::Deserialize)]
    struct RateLimited {
        retry_after: Option<f64>,
        #[serde(default)]
        global: bool,
    }
    let parsed: Option<RateLimited> = serde_json::from_slice(body).ok();
    let after = parsed
        .as_ref()
        .and_then(|p| p.retry_after)
        .filter(|v| v.is_finite())
        .or_else(|| header_f64(headers, "retry-after"))
        .unwrap_or(1.0);
    let global = parsed.is_some_and(|p| p.global) || headers.contains_key("x-ratelimit-global");
    (secs(after), global)
}

fn rejected(status: u16, body: &[u8]) -> RestError {
    #[derive(serde::Deserialize)]
    struct ErrorBody {
        #[serde(default)]
        code: i64,
        #[serde(default)]
        message: String,
    }
    // Discord's message, else the body's start; redacted, as a proxy may echo the token.
    let (code, message) = match serde_json::from_slice::<ErrorBody>(body) {
        Ok(e) if !e.message.is_empty() => (e.code, redact(&e.message).into_owned()),
        _ => (0, redact(&String::from_utf8_lossy(body)).chars().take(200).collect()),
    };
    RestError::Rejected { status, code, message }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderMap, HeaderValue};

    #[test]
    fn retry_after_prefers_the_precise_body_and_notices_global_limits() {
        let mut h = HeaderMap::new();
        h.insert("retry-after", HeaderValue::from_static("3"));
        let (d, g) = retry_after(
            &h,
            br#"{"message":"You are being rate limited.","retry_after":1.5,"global":false}"#,
        );
        assert_eq!((d, g), (Duration::from_millis(1500), false));
        let (d, _) = retry_after(&h, b"not json");
        assert_eq!(d, Duration::from_secs(3));
        h.insert("x-ratelimit-global", HeaderValue::from_static("true"));
        assert!(retry_after(&h, b"{}").1);
    }

    #[test]
    fn errors_keep_discords_code_and_message() {
        let e = rejected(404, br#"{"message": "Unknown Channel", "code": 10003}"#);
        assert_eq!(e.code(), Some(10003));
        assert!(e.to_string().contains("Unknown Channel"));
        assert!(rejected(502, b"<html>bad gateway</html>").to_string().contains("502"));
    }
}
