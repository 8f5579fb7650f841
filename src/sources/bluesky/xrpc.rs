//! XRPC over HTTP for the Bluesky sources: `{base_url}/xrpc/{method}` calls, answers classified
//! the way the poll driver expects, XRPC error bodies (`{"error", "message"}`) read so an expired
//! token can be told apart, and Bluesky's own `RateLimit-Reset` header (an epoch time) honoured
//! when `Retry-After` is absent. Knows nothing of sessions; never puts a token in an error.

use std::time::Duration;

use reqwest::header::HeaderMap;
use reqwest::{RequestBuilder, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;

use crate::sources::http::{self, fetch, retry_after, FetchError};

/// Why an XRPC call failed.
#[derive(Debug)]
pub enum XrpcError {
    /// The server refused the token as expired or invalid: renew the session and try again.
    Expired,
    Fetch(FetchError),
}

impl From<XrpcError> for FetchError {
    fn from(e: XrpcError) -> FetchError {
        match e {
            XrpcError::Expired => FetchError::Rejected("the Bluesky session token was refused".into()),
            XrpcError::Fetch(f) => f,
        }
    }
}

/// One Bluesky server (PDS or AppView) reached over XRPC.
#[derive(Clone)]
pub struct Xrpc {
    base: String,
    http: reqwest::Client,
}

impl Xrpc {
    pub fn new(base_url: &str, http: reqwest::Client) -> Xrpc {
        Xrpc {
            base: base_url.trim_end_matches('/').to_string(),
            http,
        }
    }

    fn url(&self, method: &str) -> String {
        format!("{}/xrpc/{method}", self.base)
    }

    /// A `query` (GET) with its parameters, authenticated when a token is given.
    pub async fn query(
        &self,
        method: &str,
        params: &[(&str, String)],
        token: Option<&SecretString>,
    ) -> Result<Value, XrpcError> {
        let req = self.http.get(self.url(method)).query(params);
        call(with_token(req, token)).await
    }

    /// A `procedure` (POST) with an optional JSON body.
    pub async fn procedure(
        &self,
        method: &str,
        body: Option<&Value>,
        token: Option<&SecretString>,
    ) -> Result<Value, XrpcError> {
        let mut req = self.http.post(self.url(method));
        if let Some(b) = body {
            req = req.json(b);
        }
        call(with_token(req, token)).await
    }
}

fn with_token(req: RequestBuilder, token: Option<&SecretString>) -> RequestBuilder {
    match token {
        Some(t) => req.bearer_auth(t.expose_secret()),
        None => req,
    }
}

/// Sends `req` and parses the JSON of a 2xx answer; anything else is classified.
async fn call(req: RequestBuilder) -> Result<Value, XrpcError> {
    let (status, headers, body) = fetch(req).await.map_err(XrpcError::Fetch)?;
    if !status.is_success() {
        return Err(classify(status, &headers, &body, chrono::Utc::now().timestamp()));
    }
    // A body that is not JSON (a proxy's error page, a cut answer) is worth another try later.
    serde_json::from_slice(&body).map_err(|e| XrpcError::Fetch(FetchError::Transient(format!("malformed JSON: {e}"))))
}

/// What a non-2xx answer means: `http::classify`, plus Bluesky's rate-limit reset, expired
/// tokens, and the XRPC error's name and message instead of a raw body.
pub fn classify(status: StatusCode, headers: &HeaderMap, body: &[u8], now: i64) -> XrpcError {
    if status == StatusCode::TOO_MANY_REQUESTS {
        let wait = retry_after(headers).or_else(|| reset_in(headers, now));
        return XrpcError::Fetch(FetchError::RateLimited(wait));
    }
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    let field = |k: &str| parsed.as_ref().and_then(|v| v.get(k)).and_then(Value::as_str);
    let error = field("error");
    if matches!(status.as_u16(), 400 | 401) && matches!(error, Some("ExpiredToken" | "InvalidToken")) {
        return XrpcError::Expired;
    }
    let Some(error) = error else {
        return XrpcError::Fetch(http::classify(status, headers, body));
    };
    let detail = match field("message") {
        Some(m) => format!("{error}: {m}"),
        None => error.to_string(),
    };
    let what = format!("HTTP {status}: {}", crate::redact::redact(&detail));
    XrpcError::Fetch(if status.is_server_error() || status == StatusCode::REQUEST_TIMEOUT {
        FetchError::Transient(what)
    } else {
        FetchError::Rejected(what)
    })
}

/// Bluesky's budget: `RateLimit-Reset` is the epoch second when the window refills. Never more
/// than `http::MAX_WAIT`.
pub fn reset_in(headers: &HeaderMap, now: i64) -> Option<Duration> {
    let reset = headers
        .get("ratelimit-reset")?
        .to_str()
        .ok()?
        .trim()
        .parse::<i64>()
        .ok()?;
    Some(Duration::from_secs(reset.saturating_sub(now).max(1) as u64).min(http::MAX_WAIT))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn rate_limit_reset_is_an_epoch_time() {
        let h = headers(&[("ratelimit-remaining", "0"), ("ratelimit-reset", "1000090")]);
        match classify(StatusCode::TOO_MANY_REQUESTS, &h, b"", 1_000_000) {
            XrpcError::Fetch(FetchError::RateLimited(Some(d))) => assert_eq!(d, Duration::from_secs(90)),
            other => panic!("{other:?}"),
        }
    }

    /// `reset - now` overflowed on a reset near `i64::MIN` (tests/fuzz.rs's rate-limit target
    /// reads this header).
    #[test]
    fn a_reset_at_the_ends_of_i64_is_not_a_panic() {
        let h = headers(&[("ratelimit-reset", "-9223372036854775808")]);
        assert_eq!(reset_in(&h, 1_000_000), Some(Duration::from_secs(1)));
        let h = headers(&[("ratelimit-reset", "9223372036854775807")]);
        assert_eq!(reset_in(&h, -1_000_000), Some(http::MAX_WAIT));
    }

    #[test]
    fn expired_token_is_told_apart_from_other_errors() {
        let h = HeaderMap::new();
        let body = br#"{"error":"ExpiredToken","message":"Token has expired"}"#;
        assert!(matches!(
            classify(StatusCode::BAD_REQUEST, &h, body, 0),
            XrpcError::Expired
        ));
        let body = br#"{"error":"AuthenticationRequired","message":"Invalid identifier or password"}"#;
        match classify(StatusCode::UNAUTHORIZED, &h, body, 0) {
            XrpcError::Fetch(FetchError::Rejected(m)) => assert!(m.contains("Invalid identifier"), "{m}"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            classify(StatusCode::BAD_GATEWAY, &h, b"<html>", 0),
            XrpcError::Fetch(FetchError::Transient(_))
        ));
    }
}
