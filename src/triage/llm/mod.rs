//! Drafts suggested replies with an OpenAI-compatible chat-completions API; it only writes
//! suggestions for the team to pick from and edit, and never posts anything anywhere.
//!
//! One call per mention: `POST {base_url}/chat/completions` with a system prompt of good social
//! practice and the post with its thread, bounded as a whole by `LlmSettings::timeout`. Every
//! failure is a typed `LlmError`, so the caller can fall back to the template suggestions.

mod prompt;

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde_json::{json, Value};

use crate::domain::{Intent, Network, Sentiment};
use crate::redact::redact;

/// How long a whole call (connect, send, read the answer) may take by default.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(4);
const TEMPERATURE: f64 = 0.7;
const MAX_TOKENS: u32 = 400;

/// Where and how to ask. `Debug` shows the key as redacted.
#[derive(Debug, Clone)]
pub struct LlmSettings {
    /// The API root, e.g. `https://api.openai.com/v1`; a trailing slash is fine.
    pub base_url: String,
    pub model: String,
    /// Sent as `Authorization: Bearer …` when set (local servers often need none).
    pub api_key: Option<SecretString>,
    pub timeout: Duration,
}

/// An earlier post of the thread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadLine {
    pub author: String,
    pub text: String,
}

/// Everything the model is told about one mention.
#[derive(Debug, Clone, Copy)]
pub struct DraftRequest<'a> {
    pub brand: &'a str,
    pub voice: Option<&'a str>,
    pub network: Network,
    /// The longest reply the network takes, in characters; longer drafts are dropped.
    pub max_chars: usize,
    pub intent: Intent,
    pub sentiment: Sentiment,
    pub guidance: &'a str,
    pub author: &'a str,
    pub first_name: &'a str,
    pub title: Option<&'a str>,
    pub text: &'a str,
    /// Earlier posts of the thread, oldest first.
    pub thread: &'a [ThreadLine],
}

/// Why no drafts came back. No variant ever carries the API key.
#[derive(Debug, thiserror::Error)]
pub enum LlmError {
    #[error("the LLM did not answer within {0:?}")]
    Timeout(Duration),
    #[error("the LLM is rate limited{}", .retry_after.map(|d| format!(" (retry after {}s)", d.as_secs())).unwrap_or_default())]
    RateLimited { retry_after: Option<Duration> },
    #[error("the LLM refused the request (HTTP {status}): {message}")]
    Rejected { status: u16, message: String },
    #[error("the LLM server failed (HTTP {status})")]
    Server { status: u16 },
    #[error("cannot reach the LLM: {0}")]
    Transport(String),
    #[error("unusable answer from the LLM: {0}")]
    Malformed(String),
}

/// A chat-completions client that turns a mention into 1–3 reply drafts.
#[derive(Debug, Clone)]
pub struct LlmDrafter {
    settings: LlmSettings,
    http: reqwest::Client,
    url: String,
}

impl LlmDrafter {
    /// The key is registered for redaction here too: settings need not come from a config.
    pub fn new(settings: LlmSettings, http: reqwest::Client) -> Self {
        if let Some(key) = &settings.api_key {
            crate::redact::register(key.expose_secret());
        }
        let url = format!("{}/chat/completions", settings.base_url.trim_end_matches('/'));
        LlmDrafter { settings, http, url }
    }

    /// 1–3 distinct drafts, each at most `req.max_chars` characters.
    pub async fn drafts(&self, req: &DraftRequest<'_>) -> Result<Vec<String>, LlmError> {
        let body = json!({
            "model": self.settings.model,
            "messages": prompt::messages(req),
            "temperature": TEMPERATURE,
            "max_tokens": MAX_TOKENS,
        });
        let limit = self.settings.timeout;
        let answer = tokio::time::timeout(limit, self.call(&body))
            .await
            .map_err(|_| LlmError::Timeout(limit))??;
        prompt::read_answer(&answer, req.max_chars)
    }

    async fn call(&self, body: &Value) -> Result<Value, LlmError> {
        let mut request = self.http.post(&self.url).json(body);
        if let Some(key) = &self.settings.api_key {
            request = request.bearer_auth(key.expose_secret());
        }
        let response = request.send().await.map_err(|e| self.transport(&e))?;
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.map_err(|e| self.transport(&e))?;
        let code = status.as_u16();
        if status == reqwest::StatusCode::TOO_MANY_REQUESTS {
            return Err(LlmError::RateLimited {
                retry_after: crate::sources::http::retry_after(&headers),
            });
        }
        if status.is_server_error() {
            return Err(LlmError::Server { status: code });
        }
        if !status.is_success() {
            let message = error_message(&bytes)
                .unwrap_or_else(|| status.canonical_reason().unwrap_or("no reason given").to_string());
            return Err(LlmError::Rejected {
                status: code,
                message: redact(&message).into_owned(),
            });
        }
        serde_json::from_slice(&bytes).map_err(|e| LlmError::Malformed(format!("the answer is not JSON ({e})")))
    }

    /// A transport failure in words: what went wrong and where, never a header.
    fn transport(&self, e: &reqwest::Error) -> LlmError {
        if e.is_timeout() {
            return LlmError::Timeout(self.settings.timeout);
        }
        let kind = if e.is_connect() {
            "cannot connect"
        } else if e.is_body() || e.is_decode() {
            "the answer broke off"
        } else {
            "request failed"
        };
        let host = e.url().and_then(|u| u.host_str()).unwrap_or("?").to_string();
        let mut cause: &dyn std::error::Error = e;
        while let Some(inner) = cause.source() {
            cause = inner;
        }
        LlmError::Transport(redact(&format!("{kind} ({host}): {cause}")).into_owned())
    }
}

/// The API's own reason: OpenAI's `error.message`, else a bare `error`, `message` or `detail`,
/// else the start of a plain-text body.
fn error_message(body: &[u8]) -> Option<String> {
    if let Ok(v) = serde_json::from_slice::<Value>(body) {
        let found = v
            .pointer("/error/message")
            .or_else(|| v.get("error"))
            .or_else(|| v.get("message"))
            .or_else(|| v.get("detail"))
            .and_then(Value::as_str);
        if let Some(m) = found {
            return Some(m.to_string());
        }
    }
    let text: String = String::from_utf8_lossy(body).trim().chars().take(200).collect();
    (!text.is_empty()).then_some(text)
}
