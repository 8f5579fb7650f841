//! HTTP for publishers: the same classification as the sources (`sources::http`), turned into
//! `PublishError`, with the network's own reason pulled out of an error body.

use reqwest::RequestBuilder;
use serde_json::Value;

use super::PublishError;
use crate::sources::http::{self, FetchError};

/// The human part of an error body: `error`, `error_description`, `detail`, `message`, or
/// X's `errors[0].message`; else the text itself.
pub fn reason(text: &str) -> String {
    let body = text.split_once(": ").map(|(_, b)| b).unwrap_or(text);
    let Ok(v) = serde_json::from_str::<Value>(body) else {
        return text.to_string();
    };
    let field = ["error_description", "detail", "message", "error"]
        .iter()
        .find_map(|k| v.get(*k).and_then(Value::as_str))
        .or_else(|| v.pointer("/errors/0/message").and_then(Value::as_str))
        .or_else(|| v.pointer("/json/errors/0/1").and_then(Value::as_str));
    field.map(str::to_string).unwrap_or_else(|| text.to_string())
}

fn convert(e: FetchError) -> PublishError {
    match e {
        FetchError::RateLimited(after) => PublishError::RateLimited { retry_after: after },
        FetchError::Transient(t) => PublishError::Transport(t),
        FetchError::Rejected(t) => PublishError::Rejected(reason(&t)),
    }
}

/// Sends `req` and parses the JSON answer of a 2xx.
pub async fn json(req: RequestBuilder) -> Result<Value, PublishError> {
    let (body, _) = http::send(req).await.map_err(convert)?;
    serde_json::from_str(&body).map_err(|e| PublishError::Transport(format!("malformed answer: {e}")))
}
