//! Finding talkback's alerts already in a channel (`GET /channels/{id}/messages`), so that an
//! alert posted just before a crash, whose message id never reached the store, is adopted on
//! the next start instead of being posted twice. Reads only; never posts. The Discord twin of
//! `slack/history.rs`.

use chrono::{DateTime, Utc};
use serde_json::Value;
use serenity::http::{LightMethod, Route};

use super::inbound::parse_custom_id;
use super::rest::Body;
use super::{channel, DiscordChat};
use crate::chat::ChatError;
use crate::domain::MentionId;
use crate::store::MessageRef;

/// Messages per page (Discord's most), and pages at most: a crash leaves at most a few alerts
/// unrecorded, and they are the newest messages of the channel.
const PAGE: usize = 100;
const PAGES: usize = 5;

impl DiscordChat {
    /// Every alert message in `channel_id` since `since`, newest first, with its mention.
    pub(super) async fn alerts_since(
        &self,
        channel_id: &str,
        since: DateTime<Utc>,
    ) -> Result<Vec<(MentionId, MessageRef)>, ChatError> {
        let id = channel(channel_id)?;
        let mut found = Vec::new();
        let mut before: Option<String> = None;
        for _ in 0..PAGES {
            let mut query = vec![("limit", PAGE.to_string())];
            query.extend(before.take().map(|b| ("before", b)));
            let page: Vec<Value> = self
                .rest
                .call(
                    LightMethod::Get,
                    Route::ChannelMessages { channel_id: id },
                    Body::Query(query),
                )
                .await?;
            let mut older_than_since = false;
            for message in &page {
                let sent = message["timestamp"]
                    .as_str()
                    .and_then(|t| DateTime::parse_from_rfc3339(t).ok());
                if sent.is_some_and(|t| t < since) {
                    older_than_since = true;
                    continue;
                }
                let (Some(message_id), Some(mention)) = (message["id"].as_str(), mention_of(message)) else {
                    continue;
                };
                let msg = MessageRef {
                    platform: "discord".into(),
                    channel: channel_id.to_string(),
                    id: message_id.to_string(),
                    group: Vec::new(),
                };
                found.push((mention, msg));
            }
            // Newest first: the last message is the oldest, and the next page starts below it.
            before = page.last().and_then(|m| m["id"].as_str()).map(str::to_string);
            if older_than_since || page.len() < PAGE || before.is_none() {
                break;
            }
        }
        Ok(found)
    }
}

/// The mention an alert message is about: its buttons' `custom_id`s carry it.
fn mention_of(message: &Value) -> Option<MentionId> {
    let rows = message["components"].as_array()?;
    rows.iter()
        .filter_map(|row| row["components"].as_array())
        .flatten()
        .filter_map(|c| c["custom_id"].as_str())
        .find_map(|id| parse_custom_id(id).map(|(_, mention, _)| mention))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_alert_is_known_by_its_buttons() {
        let alert = json!({"id": "9", "components": [{"type": 1, "components": [
            {"type": 2, "custom_id": "talkback:reply:42", "label": "Reply"},
            {"type": 2, "custom_id": "talkback:claim:42", "label": "Claim"}]}]});
        assert_eq!(mention_of(&alert), Some(MentionId(42)));
        let other = json!({"id": "10", "content": "hello", "components": [{"type": 1, "components": [
            {"type": 2, "custom_id": "someone-else:1"}]}]});
        assert_eq!(mention_of(&other), None);
        assert_eq!(mention_of(&json!({"id": "11"})), None);
    }
}
