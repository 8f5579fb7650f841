//! Chat: the `ChatAdapter` seam every platform implements, the `/talkback` command parser and
//! handlers shared by all platforms, rendering, and the dispatcher that posts alerts. Chat never
//! touches sled directly (it goes through `Store`) and never calls a network (it uses the outbox).

pub mod command;
pub mod console;
pub mod discord;
pub mod dispatch;
pub mod handlers;
pub mod render;
mod replies;
pub mod slack;

use async_trait::async_trait;

use crate::store::{Mention, MessageRef, Store};

pub use command::{Command, UsageError};
pub use dispatch::{ChannelRoutes, Dispatcher};
pub use handlers::Commands;

/// Where a brand's alerts go on one platform (a Slack channel, a Discord channel id, a label).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ChannelRef(pub String);

/// A file to share in a channel, with the message that introduces it (the weekly chart).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatFile {
    /// File name with extension (`acme-week-2026-11-23.png`); platforms infer the type from it.
    pub name: String,
    /// The title shown above the file.
    pub title: String,
    pub bytes: Vec<u8>,
    /// The message text posted with the file.
    pub comment: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ChatError {
    #[error("rate limited by chat (retry after {0:?})")]
    RateLimited(Option<std::time::Duration>),
    #[error("chat refused the request: {0}")]
    Rejected(String),
    #[error("chat unreachable: {0}")]
    Transport(String),
}

/// A chat platform: posts and updates alerts, and writes in their threads.
#[async_trait]
pub trait ChatAdapter: Send + Sync {
    /// `chat:USERID` prefix of this platform's users (`slack`, `discord`, `console`).
    fn platform(&self) -> &'static str;

    async fn post_alert(&self, to: &ChannelRef, mention: &Mention) -> Result<MessageRef, ChatError>;

    /// Posts several alerts for one channel. A platform may group a burst into fewer messages;
    /// returns one `MessageRef` per mention posted, in order, and the error that stopped it.
    async fn post_alerts(&self, to: &ChannelRef, mentions: &[Mention]) -> (Vec<MessageRef>, Option<ChatError>) {
        let mut refs = Vec::new();
        for m in mentions {
            match self.post_alert(to, m).await {
                Ok(r) => refs.push(r),
                Err(e) => return (refs, Some(e)),
            }
        }
        (refs, None)
    }

    /// talkback's alert messages in `to` posted since `since`, with the mention each shows (a
    /// grouped message once per mention). Used once at start: an alert posted just before a
    /// crash, whose message the store never recorded, is adopted instead of posted again. A
    /// platform that cannot read its history back finds none.
    async fn posted_alerts(
        &self,
        _to: &ChannelRef,
        _since: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<(crate::domain::MentionId, MessageRef)>, ChatError> {
        Ok(Vec::new())
    }

    /// Redraws an alert message; `mentions` are every mention the message shows.
    async fn update_alert(&self, msg: &MessageRef, mentions: &[Mention]) -> Result<(), ChatError>;

    async fn say_in_thread(&self, msg: &MessageRef, text: &str) -> Result<(), ChatError>;

    /// A message in a channel, not tied to an alert (ops notices, nags, digests).
    async fn say(&self, to: &ChannelRef, text: &str) -> Result<(), ChatError>;

    /// Shares a file in a channel with `file.comment` as its message. A chat that cannot take
    /// files says the comment alone, so the digest still arrives.
    async fn post_file(&self, to: &ChannelRef, file: &ChatFile) -> Result<(), ChatError> {
        self.say(to, &file.comment).await
    }
}

/// Says `note` in the mention's alert thread and redraws the alert. A mention whose alert is
/// not posted yet needs neither: its alert will show the current state.
pub async fn announce(chat: &dyn ChatAdapter, store: &Store, mention: &Mention, note: &str) {
    let Some(msg) = &mention.alert else {
        return;
    };
    // In a message shared by a burst, say which mention the note is about.
    let note = if msg.group.len() > 1 {
        format!("{}: {note}", mention.id)
    } else {
        note.to_string()
    };
    if let Err(e) = chat.say_in_thread(msg, &note).await {
        tracing::warn!(mention = %mention.id, error = %e, "could not write in the alert's thread");
    }
    let shown = if msg.group.is_empty() {
        vec![mention.clone()]
    } else {
        msg.group
            .iter()
            .filter_map(|id| {
                if *id == mention.id {
                    Some(mention.clone())
                } else {
                    store.mention(*id).ok()
                }
            })
            .collect()
    };
    if let Err(e) = chat.update_alert(msg, &shown).await {
        tracing::warn!(mention = %mention.id, error = %e, "could not update the alert");
    }
}
