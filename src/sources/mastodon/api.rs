//! One Mastodon instance as the sources of a `[[sources]]` table see it: where it lives, the
//! token (only ever put in the Authorization header), and the rate-limit budget they share.
//! Mastodon sends `X-RateLimit-Reset` as an ISO 8601 time and its 429s carry no Retry-After,
//! so the wait is worked out here. Knows nothing of posts or cursors.

use std::cmp::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::header::HeaderMap;
use reqwest::RequestBuilder;
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;
use tokio::time::Instant;

use crate::sources::http::{self, FetchError};

#[derive(Clone)]
pub struct Api {
    http: reqwest::Client,
    base: String,
    token: Option<Arc<SecretString>>,
    budget: Budget,
}

impl Api {
    pub fn new(http: reqwest::Client, base: &str, token: Option<SecretString>) -> Api {
        Api {
            http,
            base: base.trim_end_matches('/').to_string(),
            token: token.map(Arc::new),
            budget: Budget::default(),
        }
    }

    pub fn has_token(&self) -> bool {
        self.token.is_some()
    }

    /// A GET of `path` below `root` (the instance, or its streaming host), authorized when
    /// there is a token.
    pub fn get_at(&self, root: &str, path: &str) -> RequestBuilder {
        let req = self.http.get(format!("{}{path}", root.trim_end_matches('/')));
        match &self.token {
            Some(t) => req.bearer_auth(t.expose_secret()),
            None => req,
        }
    }

    pub fn get(&self, path: &str) -> RequestBuilder {
        self.get_at(&self.base, path)
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    /// Sends `req` within the shared budget and parses the JSON answer.
    pub async fn json(&self, req: RequestBuilder) -> Result<(Value, HeaderMap), FetchError> {
        self.budget.check(Instant::now())?;
        match http::json(req).await {
            Ok((v, headers)) => {
                self.observe(&headers);
                Ok((v, headers))
            }
            Err(FetchError::RateLimited(after)) => {
                Err(FetchError::RateLimited(self.budget.limited(after, Instant::now())))
            }
            Err(e) => Err(e),
        }
    }

    /// Records the budget an answer reports (also for requests not sent through `json`).
    pub fn observe(&self, headers: &HeaderMap) {
        self.budget.observe(headers, Instant::now(), Utc::now());
    }

    /// A 429 answered outside `json` (the stream's connect).
    pub fn rate_limited(&self, headers: &HeaderMap) -> FetchError {
        FetchError::RateLimited(self.budget.limited(http::retry_after(headers), Instant::now()))
    }

    pub fn check_budget(&self) -> Result<(), FetchError> {
        self.budget.check(Instant::now())
    }
}

/// What the instance said about our request budget: when the current window ends, and whether
/// it is used up. Shared by every source of one table, since Mastodon counts per token and IP.
/// Kept on tokio's clock (the reset is converted once), so waits follow the runtime's time.
#[derive(Clone, Default)]
pub struct Budget(Arc<Mutex<BudgetState>>);

#[derive(Default)]
struct BudgetState {
    /// The end of the current window, as last reported.
    reset: Option<Instant>,
    /// No request before this time.
    blocked_until: Option<Instant>,
}

impl Budget {
    fn with<T>(&self, f: impl FnOnce(&mut BudgetState) -> T) -> T {
        f(&mut self.0.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// `RateLimited` while the budget is used up.
    pub fn check(&self, now: Instant) -> Result<(), FetchError> {
        match self.with(|s| s.blocked_until) {
            Some(until) if until > now => Err(FetchError::RateLimited(Some(wait(until, now)))),
            _ => Ok(()),
        }
    }

    /// Notes the window an answer reports; when nothing is left, blocks until it resets
    /// (`Retry-After` first, else Mastodon's ISO 8601 `X-RateLimit-Reset`).
    pub fn observe(&self, headers: &HeaderMap, now: Instant, wall: DateTime<Utc>) {
        let reset = reset_time(headers, wall).map(|t| now + (t - wall).to_std().unwrap_or_default());
        let exhausted = remaining(headers).is_some_and(|r| r < 1.0);
        let explicit = http::retry_after(headers).map(|d| now + d);
        self.with(|s| {
            if reset.is_some() {
                s.reset = reset;
            }
            if exhausted {
                s.blocked_until = explicit.or(s.reset);
            }
        });
    }

    /// A 429: the server's own wait when it gave one, else the end of the last reported window
    /// (Mastodon's 429s carry no Retry-After, and `http::send` keeps no headers of failures).
    pub fn limited(&self, after: Option<Duration>, now: Instant) -> Option<Duration> {
        self.with(|s| {
            let until = match after {
                Some(d) => Some(now + d),
                None => s.reset.filter(|r| *r > now),
            };
            s.blocked_until = until;
            until.map(|u| wait(u, now))
        })
    }
}

fn wait(until: Instant, now: Instant) -> Duration {
    until.saturating_duration_since(now).max(Duration::from_secs(1))
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim)
}

fn remaining(headers: &HeaderMap) -> Option<f64> {
    header(headers, "x-ratelimit-remaining").and_then(|r| r.parse().ok())
}

/// `X-RateLimit-Reset` as Mastodon sends it (`2026-11-20T10:05:00.000000Z`); seconds or an
/// epoch time are read too, for servers that imitate other APIs.
fn reset_time(headers: &HeaderMap, wall: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let v = header(headers, "x-ratelimit-reset")?;
    if let Ok(t) = DateTime::parse_from_rfc3339(v) {
        return Some(t.with_timezone(&Utc));
    }
    let n: f64 = v.parse().ok()?;
    let secs = if n > 1_000_000_000.0 {
        n as i64
    } else {
        wall.timestamp() + n as i64
    };
    DateTime::from_timestamp(secs, 0)
}

/// Mastodon ids are decimal strings (snowflakes) and grow with time: compare them as numbers.
pub fn cmp_ids(a: &str, b: &str) -> Ordering {
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// The smallest status id Mastodon could give at `t` (its ids are `milliseconds << 16`).
pub fn snowflake_at(t: DateTime<Utc>) -> String {
    ((t.timestamp_millis().max(0) as u64) << 16).to_string()
}

/// The newer of two ids.
pub fn newest<'a>(a: Option<&'a str>, b: Option<&'a str>) -> Option<&'a str> {
    match (a, b) {
        (Some(a), Some(b)) => Some(if cmp_ids(a, b) == Ordering::Less { b } else { a }),
        (a, b) => a.or(b),
    }
}

/// The `min_id` of the `rel="prev"` link: where the next page forward starts.
pub fn link_min_id(headers: &HeaderMap) -> Option<String> {
    let link = header(headers, "link")?;
    link.split(',')
        .find(|part| part.contains("rel=\"prev\""))
        .and_then(|part| {
            let url = part
                .split(';')
                .next()?
                .trim()
                .trim_start_matches('<')
                .trim_end_matches('>');
            let query = url.split_once('?')?.1;
            query
                .split('&')
                .find_map(|kv| kv.strip_prefix("min_id="))
                .map(str::to_string)
        })
        .filter(|id| !id.is_empty())
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
    fn an_exhausted_budget_waits_for_the_iso_reset() {
        let wall: DateTime<Utc> = "2026-11-20T10:00:00Z".parse().unwrap();
        let now = Instant::now();
        let b = Budget::default();
        b.observe(
            &headers(&[
                ("x-ratelimit-remaining", "0"),
                ("x-ratelimit-reset", "2026-11-20T10:02:00.000000Z"),
            ]),
            now,
            wall,
        );
        match b.check(now) {
            Err(FetchError::RateLimited(Some(d))) => assert_eq!(d, Duration::from_secs(120)),
            other => panic!("{other:?}"),
        }
        assert!(b.check(now + Duration::from_secs(121)).is_ok());
    }

    #[test]
    fn a_bare_429_waits_for_the_last_reported_window() {
        let wall: DateTime<Utc> = "2026-11-20T10:00:00Z".parse().unwrap();
        let now = Instant::now();
        let b = Budget::default();
        b.observe(
            &headers(&[
                ("x-ratelimit-remaining", "12"),
                ("x-ratelimit-reset", "2026-11-20T10:00:30Z"),
            ]),
            now,
            wall,
        );
        assert!(b.check(now).is_ok());
        assert_eq!(b.limited(None, now), Some(Duration::from_secs(30)));
        assert_eq!(
            b.limited(Some(Duration::from_secs(5)), now),
            Some(Duration::from_secs(5))
        );
    }

    #[test]
    fn ids_compare_as_numbers_and_links_give_the_next_min_id() {
        assert_eq!(cmp_ids("99", "100"), Ordering::Less);
        // The example status Mastodon documents: id 103270115826048975, posted at 03:48:33.901
        // (its id's clock reads a few milliseconds earlier, hence the margin callers take).
        let t: DateTime<Utc> = "2019-12-08T03:48:33.901Z".parse().unwrap();
        assert!(snowflake_at(t).starts_with("1032701158"));
        let before = snowflake_at(t - chrono::Duration::seconds(1));
        assert_eq!(cmp_ids(&before, "103270115826048975"), Ordering::Less);
        assert_eq!(newest(Some("99"), Some("100")), Some("100"));
        let h = headers(&[(
            "link",
            "<https://m.example/api/v1/notifications?max_id=34975535>; rel=\"next\", <https://m.example/api/v1/notifications?min_id=34975861>; rel=\"prev\"",
        )]);
        assert_eq!(link_min_id(&h).as_deref(), Some("34975861"));
    }
}
