//! HTTP for sources: one reqwest client, and the classification every source relies on —
//! rate limited (with when to retry), transient, rejected, or malformed.

use std::time::Duration;

use reqwest::header::HeaderMap;
use reqwest::{RequestBuilder, StatusCode};

use crate::redact::redact;

/// Why a fetch failed; the poll driver decides what to do from the kind.
#[derive(Debug, Clone, thiserror::Error)]
pub enum FetchError {
    #[error("rate limited{}", .0.map(|d| format!(" (retry in {}s)", d.as_secs())).unwrap_or_default())]
    RateLimited(Option<Duration>),
    /// Worth retrying soon: a 5xx, a timeout, a reset connection, a body that broke off.
    #[error("{0}")]
    Transient(String),
    /// Will not work until someone fixes something: a 4xx such as bad credentials.
    #[error("{0}")]
    Rejected(String),
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .user_agent(concat!(
            "talkback/",
            env!("CARGO_PKG_VERSION"),
            " (+https://github.com/talkback)"
        ))
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap_or_default()
}

/// The longest wait a server's headers can ask for: a longer one (`Retry-After: 1e300`, `inf`)
/// is read as this, so that a wait is always a time callers can add to `Instant::now()`.
pub const MAX_WAIT: Duration = Duration::from_secs(24 * 3600);

/// `secs` as a wait: at least `min`, at most `MAX_WAIT` (NaN is `min`).
fn wait_secs(secs: f64, min: f64) -> Duration {
    Duration::try_from_secs_f64(secs.max(min)).map_or(MAX_WAIT, |d| d.min(MAX_WAIT))
}

/// How long the server asked us to wait: `Retry-After` (seconds or an HTTP date), else an
/// exhausted `X-RateLimit-*` budget's reset (Reddit sends seconds, X an epoch time). Never more
/// than `MAX_WAIT`.
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
    if let Some(v) = get("retry-after") {
        if let Ok(secs) = v.parse::<f64>() {
            return Some(wait_secs(secs, 0.0));
        }
        if let Ok(t) = chrono::DateTime::parse_from_rfc2822(v) {
            let secs = t.timestamp().saturating_sub(chrono::Utc::now().timestamp()).max(0);
            return Some(Duration::from_secs(secs as u64).min(MAX_WAIT));
        }
    }
    let remaining = get("x-ratelimit-remaining").or_else(|| get("x-rate-limit-remaining"));
    if remaining.and_then(|r| r.parse::<f64>().ok()).is_some_and(|r| r < 1.0) {
        // (Mastodon's ISO 8601 reset is read by the Mastodon source, against its own clock.)
        let raw = get("x-ratelimit-reset").or_else(|| get("x-rate-limit-reset"))?;
        let reset = raw.parse::<f64>().ok()?;
        let now = chrono::Utc::now().timestamp() as f64;
        // A reset far beyond "seconds from now" is an epoch time.
        let secs = if reset > 1_000_000_000.0 { reset - now } else { reset };
        return Some(wait_secs(secs, 1.0));
    }
    None
}

/// Sends `req` and returns whatever status came back, with headers and body. Only the transport
/// can fail here (classified as transient); statuses are the caller's to read.
pub async fn fetch(req: RequestBuilder) -> Result<(StatusCode, HeaderMap, Vec<u8>), FetchError> {
    let resp = req.send().await.map_err(|e| FetchError::Transient(describe(&e)))?;
    let status = resp.status();
    let headers = resp.headers().clone();
    let body = resp
        .bytes()
        .await
        .map_err(|e| FetchError::Transient(format!("the body broke off: {}", describe(&e))))?;
    Ok((status, headers, body.to_vec()))
}

/// What a non-2xx answer means: 429 rate limited, 5xx/408 transient, other 4xx rejected. The
/// body's start is kept as the reason, redacted: a server may echo the credentials it was sent.
pub fn classify(status: StatusCode, headers: &HeaderMap, body: &[u8]) -> FetchError {
    let snippet: String = redact(&String::from_utf8_lossy(body)).chars().take(200).collect();
    match status {
        StatusCode::TOO_MANY_REQUESTS => FetchError::RateLimited(retry_after(headers)),
        s if s.is_server_error() || s == StatusCode::REQUEST_TIMEOUT => {
            FetchError::Transient(format!("HTTP {s}: {snippet}"))
        }
        s => FetchError::Rejected(format!("HTTP {s}: {snippet}")),
    }
}

/// Sends `req` and returns the body of a 2xx answer with its headers.
pub async fn send(req: RequestBuilder) -> Result<(String, HeaderMap), FetchError> {
    let (status, headers, body) = fetch(req).await?;
    if !status.is_success() {
        return Err(classify(status, &headers, &body));
    }
    Ok((String::from_utf8_lossy(&body).into_owned(), headers))
}

/// Sends `req` and parses a JSON body. A body that is not JSON is transient (a proxy's error
/// page, a truncated answer): the next poll tries again.
pub async fn json(req: RequestBuilder) -> Result<(serde_json::Value, HeaderMap), FetchError> {
    let (body, headers) = send(req).await?;
    let value = serde_json::from_str(&body).map_err(|e| FetchError::Transient(format!("malformed JSON: {e}")))?;
    Ok((value, headers))
}

fn describe(e: &reqwest::Error) -> String {
    // Never the URL's query string: it may carry a token.
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "cannot connect"
    } else {
        "request failed"
    };
    let host = e
        .url()
        .and_then(|u| u.host_str().map(str::to_string))
        .unwrap_or_default();
    format!("{kind} ({host})")
}

/// Decodes each element of a JSON array on its own, so one malformed item is logged and
/// skipped while the rest go on.
pub fn each<T: serde::de::DeserializeOwned>(source: &str, items: Option<&serde_json::Value>) -> Vec<T> {
    let Some(items) = items.and_then(|v| v.as_array()) else {
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|item| match serde_json::from_value::<T>(item.clone()) {
            Ok(t) => Some(t),
            Err(e) => {
                tracing::warn!(source, error = %e, "skipping a malformed item");
                None
            }
        })
        .collect()
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

    /// Found by tests/fuzz.rs: `Duration::from_secs_f64` panicked on `1e300` and `inf`, and a
    /// wait near `i64::MAX` seconds overflowed `Instant::now() + wait` in the X, Reddit and
    /// Mastodon sources.
    #[test]
    fn absurd_waits_are_capped_not_a_panic() {
        for v in ["1e300", "inf", "9223372036854740480", "18446744073709551616"] {
            let wait = retry_after(&headers(&[("retry-after", v)]));
            assert_eq!(wait, Some(MAX_WAIT), "{v}");
            let wait = retry_after(&headers(&[("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", v)]));
            assert_eq!(wait, Some(MAX_WAIT), "{v}");
        }
        assert_eq!(retry_after(&headers(&[("retry-after", "NaN")])), Some(Duration::ZERO));
        assert_eq!(
            retry_after(&headers(&[("retry-after", "Fri, 31 Dec 9999 23:59:59 GMT")])),
            Some(MAX_WAIT)
        );
        assert_eq!(
            retry_after(&headers(&[("retry-after", "30")])),
            Some(Duration::from_secs(30))
        );
    }
}
