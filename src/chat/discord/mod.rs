//! The Discord adapter on serenity: alerts as embeds with buttons (`embeds.rs`) posted and edited
//! through talkback's rate-limited REST layer (`rest.rs`), notes in a thread on each alert, the
//! digest chart as an attachment (this file); `/talkback` registration (`commands.rs`) and
//! interactions (`inbound.rs`) over the gateway (`gateway.rs`) or HTTP (`http.rs`). Never
//! touches sled or the networks.

pub mod commands;
pub mod embeds;
pub mod gateway;
mod history;
pub mod http;
pub mod inbound;
pub mod rest;

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::json;
use serenity::all::{ChannelId, CreateAllowedMentions, CreateAttachment, CreateMessage, EditMessage};
use serenity::http::{LightMethod, Multipart, MultipartUpload, Route};

use super::{ChannelRef, ChatAdapter, ChatError, ChatFile};
use crate::clock::SharedClock;
use crate::config::DiscordConfig;
use crate::domain::DiscordId;
use crate::store::{Mention, MessageRef};
use rest::{Body, Rest, RestError};

/// Discord's message length limit.
const MESSAGE_MAX: usize = 2000;
/// Threads started on alerts archive after a week without messages.
const THREAD_ARCHIVE_MINUTES: u16 = 10080;

/// Discord's error codes that mean "no thread here yet" and "threads not possible here".
const UNKNOWN_CHANNEL: i64 = 10003;
const NO_THREADS: &[i64] = &[50001, 50013, 50024];
/// "A thread has already been created for this message": another note started it just now.
const THREAD_EXISTS: i64 = 160004;

pub struct DiscordChat {
    rest: Arc<Rest>,
    clock: SharedClock,
    application_id: DiscordId,
}

/// The message Discord created (the fields talkback needs of it).
#[derive(serde::Deserialize)]
struct Created {
    id: String,
    channel_id: String,
}

/// Users may be pinged (a nag naming its claimer); `@everyone` and roles in post text may not.
fn allowed_mentions() -> CreateAllowedMentions {
    CreateAllowedMentions::new().all_users(true)
}

fn channel(id: &str) -> Result<ChannelId, ChatError> {
    id.parse::<DiscordId>()
        .map(|d| ChannelId::new(d.0))
        .map_err(|e| ChatError::Rejected(format!("not a Discord channel: {e}")))
}

/// Splits `text` into messages Discord accepts, at line ends where possible; a line longer
/// than a message is split too, so nothing is cut.
fn messages(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut cur = String::new();
    let mut len = 0;
    for line in text.lines() {
        let chars: Vec<char> = line.chars().collect();
        let pieces: Vec<&[char]> = if chars.is_empty() {
            vec![&[][..]]
        } else {
            chars.chunks(MESSAGE_MAX).collect()
        };
        for piece in pieces {
            if len > 0 && len + 1 + piece.len() > MESSAGE_MAX {
                out.push(std::mem::take(&mut cur));
                len = 0;
            }
            if !cur.is_empty() || len > 0 {
                cur.push('\n');
                len += 1;
            }
            cur.extend(piece.iter());
            len += piece.len();
        }
    }
    out.push(cur);
    out.retain(|m| !m.trim().is_empty());
    out
}

impl DiscordChat {
    pub fn new(config: &DiscordConfig, clock: SharedClock, http: reqwest::Client) -> Result<DiscordChat, ChatError> {
        let token = config
            .token
            .as_ref()
            .ok_or_else(|| ChatError::Rejected("[chat.discord] has no bot token".into()))?;
        let application_id = config
            .application_id
            .ok_or_else(|| ChatError::Rejected("[chat.discord] has no application_id".into()))?;
        Ok(DiscordChat {
            rest: Arc::new(Rest::new(&config.api_url, token, http)),
            clock,
            application_id,
        })
    }

    pub fn rest(&self) -> Arc<Rest> {
        self.rest.clone()
    }

    pub fn application_id(&self) -> DiscordId {
        self.application_id
    }

    /// Checks the token (`GET /users/@me`); returns the bot's name.
    pub async fn whoami(&self) -> Result<String, RestError> {
        #[derive(serde::Deserialize)]
        struct Me {
            username: String,
        }
        let me: Me = self.rest.call(LightMethod::Get, Route::UserMe, Body::Empty).await?;
        Ok(me.username)
    }

    /// Registers `/talkback` (bulk overwrite, so running it again changes nothing): in one guild
    /// when given (available at once), else globally.
    pub async fn register_commands(&self, guild: Option<DiscordId>) -> Result<(), ChatError> {
        let application_id = self.application_id.0.into();
        let route = match guild {
            Some(g) => Route::GuildCommands {
                application_id,
                guild_id: g.0.into(),
            },
            None => Route::Commands { application_id },
        };
        let body = Body::json(&vec![commands::definition()])?;
        self.rest.send(LightMethod::Put, route, body).await?;
        Ok(())
    }

    async fn create(&self, channel_id: ChannelId, msg: &CreateMessage) -> Result<Created, RestError> {
        let body = Body::json(msg)?;
        self.rest
            .call(LightMethod::Post, Route::ChannelMessages { channel_id }, body)
            .await
    }

    async fn text(&self, channel_id: ChannelId, text: &str, reply_to: Option<&str>) -> Result<(), RestError> {
        for part in messages(&embeds::mention_users(text)) {
            let mut msg = CreateMessage::new().content(part).allowed_mentions(allowed_mentions());
            if let Some(id) = reply_to.and_then(|r| r.parse::<DiscordId>().ok()) {
                msg = msg.reference_message((channel_id, serenity::all::MessageId::new(id.0)));
            }
            self.create(channel_id, &msg).await?;
        }
        Ok(())
    }

    /// Starts the thread on an alert; its channel id is the alert message's id.
    async fn start_thread(&self, msg: &MessageRef) -> Result<(), RestError> {
        let (channel_id, message_id) = (channel(&msg.channel)?, msg.id.parse::<DiscordId>());
        let message_id = message_id.map_err(RestError::Transport)?.0.into();
        let body = Body::json(&json!({"name": "talkback notes", "auto_archive_duration": THREAD_ARCHIVE_MINUTES}))?;
        let route = Route::ChannelMessageThreads { channel_id, message_id };
        self.rest.send(LightMethod::Post, route, body).await.map(|_| ())
    }
}

/// Registers `/talkback`, retrying with growing pauses while Discord is unreachable, until it
/// is done or talkback stops.
pub async fn register_until_done(
    chat: Arc<DiscordChat>,
    guild: Option<DiscordId>,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) {
    let mut pause = std::time::Duration::from_secs(5);
    loop {
        match chat.register_commands(guild).await {
            Ok(()) => {
                let scope = guild
                    .map(|g| format!("guild {g}"))
                    .unwrap_or_else(|| "all guilds".into());
                tracing::info!(%scope, "registered /talkback");
                return;
            }
            Err(ChatError::Rejected(why)) => {
                tracing::error!(%why, "Discord refused /talkback; check application_id, guild_id and the bot's scopes");
                return;
            }
            Err(e) => tracing::warn!(error = %e, "could not register /talkback yet; trying again"),
        }
        tokio::select! {
            _ = tokio::time::sleep(pause) => {}
            _ = shutdown.wait_for(|stop| *stop) => return,
        }
        pause = (pause * 2).min(std::time::Duration::from_secs(300));
    }
}

impl From<ChatError> for RestError {
    fn from(e: ChatError) -> RestError {
        RestError::Transport(e.to_string())
    }
}

#[async_trait]
impl ChatAdapter for DiscordChat {
    fn platform(&self) -> &'static str {
        "discord"
    }

    async fn post_alert(&self, to: &ChannelRef, mention: &Mention) -> Result<MessageRef, ChatError> {
        let channel_id = channel(&to.0)?;
        let (embed, rows) = embeds::alert(mention, self.clock.now());
        let msg = CreateMessage::new()
            .embed(embed)
            .components(rows)
            .allowed_mentions(allowed_mentions());
        let created = self.create(channel_id, &msg).await?;
        Ok(MessageRef {
            platform: "discord".into(),
            channel: created.channel_id,
            id: created.id,
            group: Vec::new(),
        })
    }

    async fn posted_alerts(
        &self,
        to: &ChannelRef,
        since: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<(crate::domain::MentionId, MessageRef)>, ChatError> {
        self.alerts_since(&to.0, since).await
    }

    async fn update_alert(&self, msg: &MessageRef, mentions: &[Mention]) -> Result<(), ChatError> {
        let (channel_id, now) = (channel(&msg.channel)?, self.clock.now());
        let message_id = serenity::all::MessageId::new(
            msg.id
                .parse::<DiscordId>()
                .map_err(|e| ChatError::Rejected(format!("not a Discord message: {e}")))?
                .0,
        );
        // Discord alerts are never grouped: the message shows one mention.
        let Some(m) = mentions.first() else {
            return Ok(());
        };
        let (embed, rows) = embeds::alert(m, now);
        let edit = EditMessage::new().embed(embed).components(rows);
        let body = Body::json(&edit)?;
        self.rest
            .send(
                LightMethod::Patch,
                Route::ChannelMessage { channel_id, message_id },
                body,
            )
            .await?;
        Ok(())
    }

    async fn say(&self, to: &ChannelRef, text: &str) -> Result<(), ChatError> {
        Ok(self.text(channel(&to.0)?, text, None).await?)
    }

    /// Writes in the alert's thread, starting it on first use. Where threads are not allowed
    /// (no permission, a channel type without threads) the note is a reply to the alert instead.
    async fn say_in_thread(&self, msg: &MessageRef, text: &str) -> Result<(), ChatError> {
        let thread = channel(&msg.id)?;
        match self.text(thread, text, None).await {
            Err(e) if e.code() == Some(UNKNOWN_CHANNEL) => {}
            other => return Ok(other?),
        }
        match self.start_thread(msg).await {
            Ok(()) => Ok(self.text(thread, text, None).await?),
            Err(e) if e.code() == Some(THREAD_EXISTS) => Ok(self.text(thread, text, None).await?),
            Err(e) if e.code().is_some_and(|c| NO_THREADS.contains(&c)) => {
                tracing::info!(error = %e, "cannot start a thread on the alert; replying to it instead");
                Ok(self.text(channel(&msg.channel)?, text, Some(&msg.id)).await?)
            }
            Err(e) => Err(e.into()),
        }
    }

    async fn post_file(&self, to: &ChannelRef, file: &ChatFile) -> Result<(), ChatError> {
        let channel_id = channel(&to.0)?;
        let parts = messages(&embeds::mention_users(&file.comment));
        let payload = json!({
            "content": parts.first().cloned().unwrap_or_default(),
            "allowed_mentions": {"parse": ["users"]},
            "attachments": [{"id": 0, "filename": file.name, "description": file.title}],
        });
        let multipart = Multipart {
            upload: MultipartUpload::Attachments(vec![CreateAttachment::bytes(file.bytes.clone(), file.name.clone())]),
            fields: Vec::new(),
            payload_json: Some(payload.to_string()),
        };
        self.rest
            .send(
                LightMethod::Post,
                Route::ChannelMessages { channel_id },
                Body::Multipart(multipart),
            )
            .await?;
        // A comment longer than one message follows the file.
        if parts.len() > 1 {
            self.text(channel_id, &parts[1..].join("\n"), None).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_text_is_split_into_messages_discord_accepts() {
        let text = (0..200)
            .map(|i| format!("line {i} of a long digest"))
            .collect::<Vec<_>>()
            .join("\n");
        let parts = messages(&text);
        assert!(parts.len() > 1);
        assert!(parts.iter().all(|p| p.chars().count() <= MESSAGE_MAX));
        assert_eq!(parts.join("\n"), text);
        let long = "x".repeat(4500);
        let parts = messages(&long);
        assert_eq!(
            parts.iter().map(|p| p.chars().count()).collect::<Vec<_>>(),
            [2000, 2000, 500]
        );
    }
}
