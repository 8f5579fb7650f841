//! Chat: the `ChatAdapter` seam every platform implements, the `/talkback` command parser and
//! handlers shared by all platforms, rendering, and the dispatcher that posts alerts. Chat never
//! touches sled directly (it goes through `Store`) and never calls a network (it uses the outbox).

pub mod command;
pub mod console;
pub mod dispatch;
pub mod handlers;
pub mod render;

use async_trait::async_trait;

use crate::store::{Mention, MessageRef};

pub use command::{Command, UsageError};
pub use dispatch::Dispatcher;
pub use handlers::Commands;

/// Where a brand's alerts go on one platform (a Slack channel, a Discord channel id, a label).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ChannelRef(pub String);

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
    async fn post_alert(&self, to: &ChannelRef, mention: &Mention) -> Result<MessageRef, ChatError>;
    async fn update_alert(&self, msg: &MessageRef, mention: &Mention) -> Result<(), ChatError>;
    async fn say_in_thread(&self, msg: &MessageRef, text: &str) -> Result<(), ChatError>;
}

/// Says `note` in the mention's alert thread and refreshes the alert. A mention whose alert is
/// not posted yet needs neither: its alert will show the current state.
pub async fn announce(chat: &dyn ChatAdapter, mention: &Mention, note: &str) {
    let Some(msg) = &mention.alert else {
        return;
    };
    if let Err(e) = chat.say_in_thread(msg, note).await {
        tracing::warn!(mention = %mention.id, error = %e, "could not write in the alert's thread");
    }
    if let Err(e) = chat.update_alert(msg, mention).await {
        tracing::warn!(mention = %mention.id, error = %e, "could not update the alert");
    }
}
