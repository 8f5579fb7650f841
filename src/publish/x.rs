//! Replies on X: `POST /2/tweets` with `reply.in_reply_to_tweet_id`, as the brand's user token.
//! X has no idempotency key, so after a crash the brand's recent tweets are searched for the
//! reply before posting again. X's mention-or-quote rule is checked earlier, in `checks`.

use async_trait::async_trait;
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use tokio::sync::OnceCell;

use super::http::json as call;
use super::{PublishError, Published, Publisher, Reply};
use crate::sources::text::decode_entities;

pub struct XPublisher {
    http: reqwest::Client,
    base: String,
    token: SecretString,
    /// Our user id and username, from `/2/users/me`, asked once.
    me: OnceCell<(String, String)>,
}

impl XPublisher {
    pub fn new(http: reqwest::Client, base_url: &str, token: SecretString) -> XPublisher {
        XPublisher {
            http,
            base: base_url.trim_end_matches('/').to_string(),
            token,
            me: OnceCell::new(),
        }
    }

    fn auth(&self, req: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        req.bearer_auth(self.token.expose_secret())
    }

    async fn me(&self) -> Result<&(String, String), PublishError> {
        self.me
            .get_or_try_init(|| async {
                let v = call(self.auth(self.http.get(format!("{}/2/users/me", self.base)))).await?;
                let id = v["data"]["id"]
                    .as_str()
                    .ok_or_else(|| PublishError::Transport("/2/users/me has no id".into()))?;
                Ok((
                    id.to_string(),
                    v["data"]["username"].as_str().unwrap_or("i").to_string(),
                ))
            })
            .await
    }

    fn url(&self, username: &str, id: &str) -> String {
        format!("https://x.com/{username}/status/{id}")
    }
}

#[async_trait]
impl Publisher for XPublisher {
    async fn publish(&self, reply: &Reply) -> Result<Published, PublishError> {
        let body = json!({"text": reply.text, "reply": {"in_reply_to_tweet_id": reply.in_reply_to}});
        let v = call(self.auth(self.http.post(format!("{}/2/tweets", self.base))).json(&body)).await?;
        let id = v["data"]["id"]
            .as_str()
            .ok_or_else(|| PublishError::Transport("the new tweet has no id".into()))?;
        let username = self.me().await.map(|m| m.1.clone()).unwrap_or_else(|_| "i".into());
        Ok(Published {
            post_id: id.to_string(),
            url: Some(self.url(&username, id)),
        })
    }

    async fn find_existing(&self, reply: &Reply) -> Result<Option<Published>, PublishError> {
        let (id, username) = self.me().await?.clone();
        let url = format!(
            "{}/2/users/{id}/tweets?max_results=100&tweet.fields=referenced_tweets",
            self.base
        );
        let v = call(self.auth(self.http.get(url))).await?;
        for t in v["data"].as_array().into_iter().flatten() {
            let answers = t["referenced_tweets"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|r| r["type"] == "replied_to" && r["id"].as_str() == Some(reply.in_reply_to.as_str()));
            let same = decode_entities(t["text"].as_str().unwrap_or("")).trim() == reply.text.trim();
            if let (true, true, Some(tid)) = (answers, same, t["id"].as_str()) {
                return Ok(Some(Published {
                    post_id: tid.to_string(),
                    url: Some(self.url(&username, tid)),
                }));
            }
        }
        Ok(None)
    }
}
