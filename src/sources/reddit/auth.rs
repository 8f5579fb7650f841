//! Reddit's OAuth for a script app: one bearer token per `[[sources]]` table, fetched with the
//! password grant, shared by every Reddit poller of that table, refreshed shortly before it
//! expires and whenever the API answers 401. Holds the credentials; never logs them and never
//! puts them in an error.

use std::time::Duration;

use reqwest::header::USER_AGENT;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use tokio::sync::Mutex;
use tokio::time::Instant;

use crate::sources::http::{self, FetchError};

/// Refresh this long before the token's stated expiry, so no request races the deadline.
const REFRESH_MARGIN: Duration = Duration::from_secs(5 * 60);

/// What the password grant needs.
pub struct Credentials {
    pub client_id: SecretString,
    pub client_secret: SecretString,
    pub username: String,
    pub password: SecretString,
}

/// A token handed to one request; `generation` names it without exposing it, so a 401 can
/// retire exactly the token that failed.
pub(crate) struct Bearer {
    pub value: SecretString,
    pub generation: u64,
}

struct Token {
    value: SecretString,
    expires: Instant,
    generation: u64,
}

#[derive(Default)]
struct State {
    token: Option<Token>,
    issued: u64,
}

pub(crate) struct Auth {
    token_url: String,
    creds: Credentials,
    state: Mutex<State>,
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: Option<String>,
    expires_in: Option<f64>,
    /// Reddit answers a wrong username or password with 200 and `{"error": "invalid_grant"}`.
    error: Option<serde_json::Value>,
}

/// A token's lifetime from `expires_in` (an hour when absent); at most a day (Reddit's tokens
/// last a day), so that `Instant::now() + lifetime` holds for any number the server sends.
fn lifetime(expires_in: Option<f64>) -> Duration {
    const DAY: Duration = Duration::from_secs(24 * 3600);
    let secs = expires_in.unwrap_or(3600.0).max(0.0);
    Duration::try_from_secs_f64(secs).map_or(DAY, |d| d.min(DAY))
}

impl Auth {
    pub fn new(auth_url: &str, creds: Credentials) -> Auth {
        Auth {
            token_url: format!("{}/api/v1/access_token", auth_url.trim_end_matches('/')),
            creds,
            state: Mutex::new(State::default()),
        }
    }

    /// A token that is good for a while yet; fetches a new one when needed. The lock is held
    /// across the fetch so pollers starting together ask for one token, not one each.
    pub async fn bearer(&self, http: &reqwest::Client, user_agent: &str) -> Result<Bearer, FetchError> {
        let mut state = self.state.lock().await;
        let fresh = state
            .token
            .as_ref()
            .filter(|t| t.expires > Instant::now() + REFRESH_MARGIN);
        if let Some(t) = fresh {
            return Ok(Bearer {
                value: t.value.clone(),
                generation: t.generation,
            });
        }
        let (value, lifetime) = self.request(http, user_agent).await?;
        state.issued += 1;
        let generation = state.issued;
        state.token = Some(Token {
            value: value.clone(),
            expires: Instant::now() + lifetime,
            generation,
        });
        tracing::debug!(generation, "reddit: new access token");
        Ok(Bearer { value, generation })
    }

    /// Forgets the token `generation` (the API refused it); a newer one is kept.
    pub async fn invalidate(&self, generation: u64) {
        let mut state = self.state.lock().await;
        if state.token.as_ref().is_some_and(|t| t.generation == generation) {
            state.token = None;
        }
    }

    async fn request(&self, http: &reqwest::Client, user_agent: &str) -> Result<(SecretString, Duration), FetchError> {
        let c = &self.creds;
        let form = [
            ("grant_type", "password"),
            ("username", c.username.as_str()),
            ("password", c.password.expose_secret()),
        ];
        let req = http
            .post(&self.token_url)
            .basic_auth(c.client_id.expose_secret(), Some(c.client_secret.expose_secret()))
            .header(USER_AGENT, user_agent)
            .form(&form);
        let (value, _) = http::json(req).await.map_err(|e| match e {
            FetchError::Rejected(m) => FetchError::Rejected(format!("reddit token endpoint: {m}")),
            other => other,
        })?;
        let answer: TokenAnswer = serde_json::from_value(value)
            .map_err(|e| FetchError::Transient(format!("reddit token endpoint: unexpected answer: {e}")))?;
        match (answer.access_token, answer.error) {
            (Some(token), _) if !token.is_empty() => Ok((SecretString::from(token), lifetime(answer.expires_in))),
            (_, error) => Err(FetchError::Rejected(format!(
                "reddit token endpoint refused the credentials ({})",
                error.map(|e| e.to_string()).unwrap_or_else(|| "no access_token".into())
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `Duration::from_secs_f64` panicked on an `expires_in` of `1e300`, and
    /// `Instant::now() + lifetime` overflowed on `1e19` (tests/fuzz.rs's Reddit pages fuzz the
    /// token answer).
    #[test]
    fn any_expires_in_is_a_lifetime() {
        let day = Duration::from_secs(24 * 3600);
        assert_eq!(lifetime(Some(1e300)), day);
        assert_eq!(lifetime(Some(1e19)), day);
        assert_eq!(lifetime(Some(f64::INFINITY)), day);
        assert_eq!(lifetime(Some(-5.0)), Duration::ZERO);
        assert_eq!(lifetime(None), Duration::from_secs(3600));
        assert_eq!(lifetime(Some(86_400.0)), day);
        assert!(Instant::now().checked_add(lifetime(Some(1e300))).is_some());
    }
}
