//! The Slack adapter on slack-morphism: Block Kit alerts, grouped bursts, thread notes, the reply
//! modal and ephemeral answers (this file), file uploads (`files.rs`), inbound commands and clicks (`inbound.rs`) over
//! Socket Mode (`socket.rs`) or HTTP (`http.rs`). Never touches sled or the networks.

pub mod blocks;
mod files;
mod history;
pub mod http;
pub mod inbound;
pub mod socket;

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;
use slack_morphism::errors::SlackClientError;
use slack_morphism::prelude::*;
use tokio::sync::Mutex;
use tokio::time::Instant;

use super::{ChannelRef, ChatAdapter, ChatError, ChatFile};
use crate::clock::SharedClock;
use crate::config::SlackConfig;
use crate::store::{Mention, MessageRef};

/// Slack allows about one message per second per channel.
const CHANNEL_GAP: Duration = Duration::from_secs(1);
/// More pending alerts than this for one channel are grouped.
const GROUP_ABOVE: usize = 3;
/// Mentions per grouped message (Slack allows 50 blocks; each mention takes two).
const GROUP_SIZE: usize = 12;
/// Rate-limited calls are retried this many times, honouring Retry-After.
const RATE_LIMIT_RETRIES: u32 = 3;

pub type Client = SlackClient<SlackClientHyperHttpsConnector>;

/// A Slack Web API client that also accepts `http://` URLs, so tests can point it at a fake.
pub fn client(api_url: &str) -> Result<Arc<Client>, ChatError> {
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_webpki_roots()
        .https_or_http()
        .enable_http1()
        .build();
    let connector = SlackClientHyperConnector::with_connector(https).with_slack_api_url(api_url);
    Ok(Arc::new(SlackClient::new(connector)))
}

pub struct SlackChat {
    client: Arc<Client>,
    token: SlackApiToken,
    clock: SharedClock,
    /// When each channel last got a message from us.
    last_post: Mutex<HashMap<String, Instant>>,
    /// Channel IDs Slack told us for the names we posted to (file sharing needs the ID).
    channel_ids: Mutex<HashMap<String, String>>,
}

fn map_error(e: SlackClientError) -> ChatError {
    match e {
        SlackClientError::RateLimitError(r) => ChatError::RateLimited(r.retry_after),
        SlackClientError::ApiError(a) => ChatError::Rejected(a.code),
        other => ChatError::Transport(crate::redact::redact(&other.to_string()).into_owned()),
    }
}

impl SlackChat {
    pub fn new(config: &SlackConfig, clock: SharedClock) -> Result<SlackChat, ChatError> {
        let token = config
            .bot_token
            .as_ref()
            .ok_or_else(|| ChatError::Rejected("[chat.slack] has no bot token".into()))?;
        Ok(SlackChat {
            client: client(&config.api_url)?,
            token: bot_token(token),
            clock,
            last_post: Mutex::new(HashMap::new()),
            channel_ids: Mutex::new(HashMap::new()),
        })
    }

    pub fn client(&self) -> Arc<Client> {
        self.client.clone()
    }

    /// Checks the token (`auth.test`); returns the bot's user id.
    pub async fn auth_test(&self) -> Result<String, ChatError> {
        let res = self
            .call(|c, t| async move { c.open_session(&t).auth_test().await })
            .await?;
        Ok(res.user_id.to_string())
    }

    /// Runs one API call, retrying while Slack says to slow down.
    async fn call<T, F, Fut>(&self, f: F) -> Result<T, ChatError>
    where
        F: Fn(Arc<Client>, SlackApiToken) -> Fut,
        Fut: Future<Output = Result<T, SlackClientError>>,
    {
        let mut tries = 0;
        loop {
            match f(self.client.clone(), self.token.clone()).await.map_err(map_error) {
                Err(ChatError::RateLimited(after)) if tries < RATE_LIMIT_RETRIES => {
                    tries += 1;
                    let wait = after.unwrap_or(Duration::from_secs(1)).min(Duration::from_secs(60));
                    tracing::warn!("Slack rate limit; retrying in {}s", wait.as_secs());
                    tokio::time::sleep(wait).await;
                }
                other => return other,
            }
        }
    }

    /// Waits until `channel` may take another message.
    async fn pace(&self, channel: &str) {
        let mut last = self.last_post.lock().await;
        if let Some(t) = last.get(channel) {
            tokio::time::sleep_until(*t + CHANNEL_GAP).await;
        }
        last.insert(channel.to_string(), Instant::now());
    }

    /// Posts a message; returns the channel's id (Slack resolves `#name`) and the message's ts.
    async fn post(
        &self,
        channel: &str,
        text: String,
        blocks: Option<Vec<Value>>,
        thread: Option<&str>,
    ) -> Result<(String, String), ChatError> {
        self.pace(channel).await;
        let content = content(text, blocks)?;
        let req = SlackApiChatPostMessageRequest::new(channel.into(), content)
            .opt_thread_ts(thread.map(|t| SlackTs(t.to_string())));
        let res = self
            .call(|c, t| {
                let req = req.clone();
                async move { c.open_session(&t).chat_post_message(&req).await }
            })
            .await?;
        if res.channel.0 != channel {
            self.channel_ids
                .lock()
                .await
                .insert(channel.to_string(), res.channel.to_string());
        }
        Ok((res.channel.to_string(), res.ts.to_string()))
    }

    /// Answers one person only (`chat.postEphemeral`).
    pub async fn ephemeral(&self, channel: &str, user: &str, text: &str) -> Result<(), ChatError> {
        let req = SlackApiChatPostEphemeralRequest::new(channel.into(), user.into(), content(text.to_string(), None)?);
        self.call(|c, t| {
            let req = req.clone();
            async move { c.open_session(&t).chat_post_ephemeral(&req).await }
        })
        .await
        .map(|_| ())
    }

    /// Opens a modal (`views.open`) for the click that carried `trigger_id`.
    pub async fn open_view(&self, trigger_id: &str, view: Value) -> Result<(), ChatError> {
        let view: SlackView =
            serde_json::from_value(view).map_err(|e| ChatError::Rejected(format!("bad view: {e}")))?;
        let req = SlackApiViewsOpenRequest::new(trigger_id.into(), view);
        self.call(|c, t| {
            let req = req.clone();
            async move { c.open_session(&t).views_open(&req).await }
        })
        .await
        .map(|_| ())
    }
}

pub fn bot_token(secret: &SecretString) -> SlackApiToken {
    SlackApiToken::new(SlackApiTokenValue(secret.expose_secret().to_string()))
}

fn content(text: String, blocks: Option<Vec<Value>>) -> Result<SlackMessageContent, ChatError> {
    let mut c = SlackMessageContent::new().with_text(text);
    if let Some(b) = blocks {
        let typed: Vec<SlackBlock> =
            serde_json::from_value(Value::Array(b)).map_err(|e| ChatError::Rejected(format!("bad blocks: {e}")))?;
        c = c.with_blocks(typed);
    }
    Ok(c)
}

#[async_trait]
impl ChatAdapter for SlackChat {
    fn platform(&self) -> &'static str {
        "slack"
    }

    async fn post_alert(&self, to: &ChannelRef, mention: &Mention) -> Result<MessageRef, ChatError> {
        let blocks = blocks::alert(mention, self.clock.now());
        let posted = self
            .post(
                &to.0,
                blocks::fallback(std::slice::from_ref(mention)),
                Some(blocks),
                None,
            )
            .await?;
        let (channel, ts) = posted;
        Ok(MessageRef {
            platform: "slack".into(),
            channel,
            id: ts,
            group: Vec::new(),
        })
    }

    async fn post_alerts(&self, to: &ChannelRef, mentions: &[Mention]) -> (Vec<MessageRef>, Option<ChatError>) {
        let mut refs = Vec::new();
        if mentions.len() <= GROUP_ABOVE {
            for m in mentions {
                match self.post_alert(to, m).await {
                    Ok(r) => refs.push(r),
                    Err(e) => return (refs, Some(e)),
                }
            }
            return (refs, None);
        }
        for chunk in mentions.chunks(GROUP_SIZE) {
            let blocks = blocks::group(chunk, self.clock.now());
            match self.post(&to.0, blocks::fallback(chunk), Some(blocks), None).await {
                Ok((channel, ts)) => {
                    let group: Vec<_> = chunk.iter().map(|m| m.id).collect();
                    let msg = MessageRef {
                        platform: "slack".into(),
                        channel,
                        id: ts,
                        group,
                    };
                    refs.extend(chunk.iter().map(|_| msg.clone()));
                }
                Err(e) => return (refs, Some(e)),
            }
        }
        (refs, None)
    }

    async fn posted_alerts(
        &self,
        to: &ChannelRef,
        since: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<(crate::domain::MentionId, MessageRef)>, ChatError> {
        self.alerts_since(&to.0, since).await
    }

    async fn update_alert(&self, msg: &MessageRef, mentions: &[Mention]) -> Result<(), ChatError> {
        let now = self.clock.now();
        let blocks = match mentions {
            [m] if msg.group.len() <= 1 => blocks::alert(m, now),
            _ => blocks::group(mentions, now),
        };
        let content = content(blocks::fallback(mentions), Some(blocks))?;
        let req = SlackApiChatUpdateRequest::new(msg.channel.as_str().into(), content, SlackTs(msg.id.clone()));
        self.call(|c, t| {
            let req = req.clone();
            async move { c.open_session(&t).chat_update(&req).await }
        })
        .await
        .map(|_| ())
    }

    async fn say(&self, to: &ChannelRef, text: &str) -> Result<(), ChatError> {
        self.post(&to.0, blocks::escape(text), None, None).await.map(|_| ())
    }

    async fn say_in_thread(&self, msg: &MessageRef, text: &str) -> Result<(), ChatError> {
        self.post(&msg.channel, blocks::escape(text), None, Some(&msg.id))
            .await
            .map(|_| ())
    }

    async fn post_file(&self, to: &ChannelRef, file: &ChatFile) -> Result<(), ChatError> {
        self.upload(to, file).await
    }
}
