//! Replies on Mastodon: `POST /api/v1/statuses` with `in_reply_to_id` and an `Idempotency-Key`
//! (the server drops a repeat of the same key), mentioning the person so they are notified.
//! After a crash, the thread's context is searched for our reply before posting again.

use async_trait::async_trait;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{json, Value};
use tokio::sync::OnceCell;

use super::http::json as call;
use super::{PublishError, Published, Publisher, Reply};
use crate::sources::text::html_to_text;

pub struct MastodonPublisher {
    http: reqwest::Client,
    base: String,
    token: SecretString,
    /// Our account id, from `verify_credentials`, asked once.
    me: OnceCell<String>,
}

impl MastodonPublisher {
    pub fn new(http: reqwest::Client, base_url: &str, token: SecretString) -> MastodonPublisher {
        MastodonPublisher {
            http,
            base: base_url.trim_end_matches('/').to_string(),
            token,
            me: OnceCell::new(),
        }
    }

    fn auth(&self, req: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        req.bearer_auth(self.token.expose_secret())
    }

    async fn me(&self) -> Result<&String, PublishError> {
        self.me
            .get_or_try_init(|| async {
                let v = call(
                    self.auth(
                        self.http
                            .get(format!("{}/api/v1/accounts/verify_credentials", self.base)),
                    ),
                )
                .await?;
                v["id"]
                    .as_str()
                    .map(str::to_string)
                    .ok_or_else(|| PublishError::Transport("verify_credentials has no id".into()))
            })
            .await
    }

    /// The text as posted: the person's handle first, so Mastodon notifies them.
    fn status_text(reply: &Reply) -> String {
        match &reply.to_author {
            Some(h) if !reply.text.contains(h.as_str()) => format!("{h} {}", reply.text),
            _ => reply.text.clone(),
        }
    }
}

fn published(status: &Value) -> Result<Published, PublishError> {
    let id = status["id"]
        .as_str()
        .ok_or_else(|| PublishError::Transport("the status has no id".into()))?;
    Ok(Published {
        post_id: id.to_string(),
        url: status["url"].as_str().map(str::to_string),
    })
}

#[async_trait]
impl Publisher for MastodonPublisher {
    async fn publish(&self, reply: &Reply) -> Result<Published, PublishError> {
        let body =
            json!({"status": Self::status_text(reply), "in_reply_to_id": reply.in_reply_to, "visibility": "public"});
        let req = self
            .auth(self.http.post(format!("{}/api/v1/statuses", self.base)))
            .header("Idempotency-Key", &reply.key)
            .json(&body);
        published(&call(req).await?)
    }

    async fn find_existing(&self, reply: &Reply) -> Result<Option<Published>, PublishError> {
        let me = self.me().await?.clone();
        let url = format!("{}/api/v1/statuses/{}/context", self.base, reply.in_reply_to);
        let context = call(self.auth(self.http.get(url))).await?;
        let want = Self::status_text(reply);
        for status in context["descendants"].as_array().into_iter().flatten() {
            let ours = status["account"]["id"].as_str() == Some(me.as_str());
            let here = status["in_reply_to_id"].as_str() == Some(reply.in_reply_to.as_str());
            let same = html_to_text(status["content"].as_str().unwrap_or("")).trim() == want.trim();
            if ours && here && same {
                return published(status).map(Some);
            }
        }
        Ok(None)
    }
}
