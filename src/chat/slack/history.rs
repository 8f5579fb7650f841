//! Finding talkback's alerts already in a channel (`conversations.history`), so that an alert
//! posted just before a crash, whose message ts never reached the store, is adopted on the next
//! start instead of being posted twice. Reads only; never posts.

use chrono::{DateTime, Utc};
use serde_json::Value;
use slack_morphism::prelude::*;

use super::SlackChat;
use crate::chat::ChatError;
use crate::domain::MentionId;
use crate::store::MessageRef;

/// Messages per page, and pages at most: a crash leaves at most a few alerts unrecorded, and
/// they are the newest messages of the channel.
const PAGE: u16 = 200;
const PAGES: usize = 5;

impl SlackChat {
    /// Every alert message in `channel` since `since`, with the mentions each shows.
    pub(super) async fn alerts_since(
        &self,
        channel: &str,
        since: DateTime<Utc>,
    ) -> Result<Vec<(MentionId, MessageRef)>, ChatError> {
        // History needs the channel's ID; a name is only known once we posted to it.
        let id = match self.channel_ids.lock().await.get(channel) {
            Some(id) => id.clone(),
            None => channel.trim_start_matches('#').to_string(),
        };
        let oldest = SlackTs(format!("{}.000000", since.timestamp().max(0)));
        let mut found = Vec::new();
        let mut cursor: Option<SlackCursorId> = None;
        for _ in 0..PAGES {
            let req = SlackApiConversationsHistoryRequest::new()
                .with_channel(SlackChannelId(id.clone()))
                .with_oldest(oldest.clone())
                .with_limit(PAGE)
                .opt_cursor(cursor.clone());
            let page = self
                .call(|c, t| {
                    let req = req.clone();
                    async move { c.open_session(&t).conversations_history(&req).await }
                })
                .await?;
            for message in &page.messages {
                let blocks = serde_json::to_value(&message.content.blocks).unwrap_or(Value::Null);
                let shown = mention_ids(&blocks);
                let group = if shown.len() > 1 { shown.clone() } else { Vec::new() };
                found.extend(shown.into_iter().map(|m| {
                    let msg = MessageRef {
                        platform: "slack".into(),
                        channel: id.clone(),
                        id: message.origin.ts.to_string(),
                        group: group.clone(),
                    };
                    (m, msg)
                }));
            }
            cursor = page
                .response_metadata
                .and_then(|m| m.next_cursor)
                .filter(|c| !c.0.is_empty() && page.has_more.unwrap_or(false));
            if cursor.is_none() {
                break;
            }
        }
        Ok(found)
    }
}

/// The mentions an alert message shows: each has an actions block `mention:<id>`.
fn mention_ids(blocks: &Value) -> Vec<MentionId> {
    let Some(blocks) = blocks.as_array() else {
        return Vec::new();
    };
    blocks
        .iter()
        .filter_map(|b| b["block_id"].as_str()?.strip_prefix("mention:")?.parse().ok())
        .map(MentionId)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_the_mentions_an_alert_shows() {
        let blocks = json!([
            {"type": "section", "block_id": "x"},
            {"type": "actions", "block_id": "mention:12"},
            {"type": "actions", "block_id": "draft:12"},
            {"type": "actions", "block_id": "mention:13"},
            {"type": "actions", "block_id": "mention:nope"},
        ]);
        assert_eq!(mention_ids(&blocks), [MentionId(12), MentionId(13)]);
        assert!(mention_ids(&Value::Null).is_empty());
    }
}
