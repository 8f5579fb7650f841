//! Authenticated GETs against Reddit's OAuth host: bearer token, descriptive User-Agent,
//! `raw_json=1` (so text comes unescaped), one retry with a fresh token after a 401, and the
//! shared request budget (`X-Ratelimit-*`, 429) that every poller of one table respects. Knows
//! nothing about listings or posts.

use std::sync::Mutex;
use std::time::Duration;

use reqwest::header::{AUTHORIZATION, USER_AGENT};
use secrecy::ExposeSecret;
use tokio::time::Instant;

use super::auth::Auth;
use crate::sources::http::{self, FetchError};

pub(super) struct Api {
    http: reqwest::Client,
    base_url: String,
    user_agent: String,
    auth: Auth,
    /// No request before this instant: the budget is spent (shared by all pollers of the app).
    resume_at: Mutex<Option<Instant>>,
}

/// A 401 means the token expired or was revoked early: worth one retry with a new token.
/// `http::send` renders the status first, so the prefix is stable.
fn is_unauthorized(e: &FetchError) -> bool {
    matches!(e, FetchError::Rejected(m) if m.starts_with("HTTP 401"))
}

impl Api {
    pub fn new(http: reqwest::Client, base_url: &str, user_agent: String, auth: Auth) -> Api {
        Api {
            http,
            base_url: base_url.trim_end_matches('/').to_string(),
            user_agent,
            auth,
            resume_at: Mutex::new(None),
        }
    }

    /// GETs `path` (below the base URL) with `query` and returns the JSON body.
    pub async fn get(&self, path: &str, query: &[(&str, String)]) -> Result<serde_json::Value, FetchError> {
        self.check_budget()?;
        let mut retried = false;
        loop {
            let bearer = self.auth.bearer(&self.http, &self.user_agent).await?;
            let req = self
                .http
                .get(format!("{}{path}", self.base_url))
                .query(query)
                .query(&[("raw_json", "1")])
                .header(USER_AGENT, &self.user_agent)
                .header(AUTHORIZATION, format!("bearer {}", bearer.value.expose_secret()));
            match http::json(req).await {
                Ok((value, headers)) => {
                    // A 200 may still say the budget is spent: wait before the next request.
                    if let Some(wait) = http::retry_after(&headers) {
                        self.pause_for(wait);
                    }
                    return Ok(value);
                }
                Err(e) if is_unauthorized(&e) && !retried => {
                    tracing::info!("reddit: token refused; fetching a new one");
                    self.auth.invalidate(bearer.generation).await;
                    retried = true;
                }
                Err(FetchError::RateLimited(after)) => {
                    self.pause_for(after.unwrap_or(Duration::from_secs(60)));
                    return Err(FetchError::RateLimited(after));
                }
                Err(e) => return Err(e),
            }
        }
    }

    fn check_budget(&self) -> Result<(), FetchError> {
        let resume_at = *self.resume_at.lock().unwrap_or_else(|e| e.into_inner());
        match resume_at {
            Some(at) if at > Instant::now() => Err(FetchError::RateLimited(Some(at - Instant::now()))),
            _ => Ok(()),
        }
    }

    fn pause_for(&self, wait: Duration) {
        let mut resume_at = self.resume_at.lock().unwrap_or_else(|e| e.into_inner());
        let at = Instant::now() + wait;
        if resume_at.is_none_or(|r| r < at) {
            *resume_at = Some(at);
        }
    }
}
