//! Replies on Reddit: `POST /api/comment` (`thing_id` = the parent's fullname) as the brand's
//! script app, with the same token handling as the Reddit source. Reddit has no idempotency
//! key, so after a crash the brand's recent comments are searched before posting again.

use async_trait::async_trait;
use secrecy::ExposeSecret;
use serde_json::Value;

use super::http::json as call;
use super::{PublishError, Published, Publisher, Reply};
use crate::sources::http::FetchError;
use crate::sources::reddit::auth::{Auth, Credentials};

pub struct RedditPublisher {
    http: reqwest::Client,
    base: String,
    auth: Auth,
    username: String,
    user_agent: String,
}

impl RedditPublisher {
    pub fn new(
        http: reqwest::Client,
        base_url: &str,
        auth_url: &str,
        creds: Credentials,
        user_agent: Option<String>,
    ) -> RedditPublisher {
        let username = creds.username.clone();
        RedditPublisher {
            http,
            base: base_url.trim_end_matches('/').to_string(),
            auth: Auth::new(auth_url, creds),
            user_agent: user_agent.unwrap_or_else(|| format!("talkback/{} by u/{username}", env!("CARGO_PKG_VERSION"))),
            username,
        }
    }

    async fn request(&self, method: reqwest::Method, path: &str) -> Result<reqwest::RequestBuilder, PublishError> {
        let bearer = self
            .auth
            .bearer(&self.http, &self.user_agent)
            .await
            .map_err(|e| match e {
                FetchError::RateLimited(after) => PublishError::RateLimited { retry_after: after },
                FetchError::Transient(t) => PublishError::Transport(t),
                FetchError::Rejected(t) => PublishError::Rejected(format!("Reddit refused the credentials: {t}")),
            })?;
        Ok(self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(bearer.value.expose_secret())
            .header(reqwest::header::USER_AGENT, &self.user_agent))
    }
}

/// Reddit reports problems inside a 200: `{"json": {"errors": [["RATELIMIT", "…", "ratelimit"]]}}`.
fn errors(v: &Value) -> Option<PublishError> {
    let first = v.pointer("/json/errors/0")?.as_array()?;
    let code = first.first().and_then(Value::as_str).unwrap_or("");
    let message = first.get(1).and_then(Value::as_str).unwrap_or(code);
    let message = crate::redact::redact(message).into_owned();
    Some(if code == "RATELIMIT" {
        PublishError::RateLimited { retry_after: None }
    } else {
        PublishError::Rejected(message)
    })
}

fn published(thing: &Value) -> Option<Published> {
    let name = thing["name"].as_str()?;
    let url = thing["permalink"]
        .as_str()
        .map(|p| format!("https://www.reddit.com{p}"));
    Some(Published {
        post_id: name.to_string(),
        url,
    })
}

#[async_trait]
impl Publisher for RedditPublisher {
    async fn publish(&self, reply: &Reply) -> Result<Published, PublishError> {
        let form = [
            ("api_type", "json"),
            ("thing_id", reply.in_reply_to.as_str()),
            ("text", reply.text.as_str()),
        ];
        let v = call(self.request(reqwest::Method::POST, "/api/comment").await?.form(&form)).await?;
        if let Some(e) = errors(&v) {
            return Err(e);
        }
        v.pointer("/json/data/things/0/data")
            .and_then(published)
            .ok_or_else(|| PublishError::Transport("Reddit's answer has no comment".into()))
    }

    async fn find_existing(&self, reply: &Reply) -> Result<Option<Published>, PublishError> {
        let path = format!("/user/{}/comments?limit=100&raw_json=1", self.username);
        let v = call(self.request(reqwest::Method::GET, &path).await?).await?;
        for child in v
            .pointer("/data/children")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let c = &child["data"];
            let here = c["parent_id"].as_str() == Some(reply.in_reply_to.as_str());
            if here && c["body"].as_str().map(str::trim) == Some(reply.text.trim()) {
                return Ok(published(c));
            }
        }
        Ok(None)
    }
}
