//! Authenticated GETs against the X API v2 with the app's bearer token, and the one lookup the
//! own-account watcher needs (a username's id). Holds the token; never logs it and never puts
//! it in an error. Knows nothing about pages or cursors.

use reqwest::header::{HeaderMap, AUTHORIZATION};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use crate::sources::http::{self, FetchError};

pub(super) struct Api {
    http: reqwest::Client,
    base_url: String,
    token: SecretString,
}

#[derive(Deserialize)]
struct UserAnswer {
    data: Option<UserId>,
    #[serde(default)]
    errors: Vec<serde_json::Value>,
}

#[derive(Deserialize)]
struct UserId {
    id: String,
}

impl Api {
    pub fn new(http: reqwest::Client, base_url: &str, token: SecretString) -> Api {
        Api {
            http,
            base_url: base_url.trim_end_matches('/').to_string(),
            token,
        }
    }

    /// GETs `path` (below the base URL) with `query`; the JSON body and the headers (for the
    /// `x-rate-limit-*` budget).
    pub async fn get(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<(serde_json::Value, HeaderMap), FetchError> {
        let req = self
            .http
            .get(format!("{}{path}", self.base_url))
            .query(query)
            .header(AUTHORIZATION, format!("Bearer {}", self.token.expose_secret()));
        http::json(req).await
    }

    /// The numeric id behind `@username` (`GET /2/users/by/username/:username`).
    pub async fn user_id(&self, username: &str) -> Result<String, FetchError> {
        let (value, _) = self.get(&format!("/2/users/by/username/{username}"), &[]).await?;
        let answer: UserAnswer = serde_json::from_value(value)
            .map_err(|e| FetchError::Transient(format!("x: unexpected user lookup answer: {e}")))?;
        match answer.data {
            Some(u) => Ok(u.id),
            None => {
                let why = answer
                    .errors
                    .first()
                    .and_then(|e| e.get("detail").and_then(|d| d.as_str()).map(str::to_string))
                    .unwrap_or_else(|| "no such user".into());
                let why = crate::redact::redact(&why);
                Err(FetchError::Rejected(format!("x: cannot look up @{username}: {why}")))
            }
        }
    }
}
