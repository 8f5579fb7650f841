//! The parts of the atproto lexicons the Bluesky sources read — `app.bsky.feed.defs#postView`,
//! `#feedViewPost`, `#reasonRepost`, `app.bsky.notification.listNotifications#notification`,
//! the `app.bsky.feed.post` record — and how each becomes a normalized `Post`. Plain data: no
//! I/O. Post text on Bluesky is already plain text, so nothing is stripped.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;

use crate::domain::{Author, Network, Post};

pub const POST_COLLECTION: &str = "app.bsky.feed.post";
const REPOST_REASON: &str = "app.bsky.feed.defs#reasonRepost";

/// `app.bsky.actor.defs#profileViewBasic` (and `#profileView`, which has the same head).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Profile {
    pub did: String,
    pub handle: String,
    #[serde(default)]
    pub display_name: Option<String>,
}

impl Profile {
    /// What to show and match the author by: the handle, or the DID when the handle no longer
    /// verifies (the AppView then says `handle.invalid`).
    pub fn name_in_urls(&self) -> &str {
        if self.handle == "handle.invalid" {
            &self.did
        } else {
            &self.handle
        }
    }

    fn author(&self) -> Author {
        Author {
            handle: Some(self.name_in_urls().to_string()),
            name: self.display_name.clone().filter(|n| !n.trim().is_empty()),
        }
    }
}

/// An `app.bsky.feed.post` record.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PostRecord {
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub langs: Option<Vec<String>>,
    #[serde(default)]
    pub reply: Option<ReplyRecord>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ReplyRecord {
    pub parent: StrongRef,
}

/// `com.atproto.repo.strongRef`.
#[derive(Debug, Clone, Deserialize)]
pub struct StrongRef {
    pub uri: String,
}

impl PostRecord {
    fn reply_to(&self) -> Option<String> {
        self.reply.as_ref().map(|r| r.parent.uri.clone())
    }

    fn lang(&self) -> Option<String> {
        self.langs.as_ref().and_then(|l| l.first()).cloned()
    }

    fn created(&self) -> Option<DateTime<Utc>> {
        self.created_at.as_deref().and_then(time)
    }

    /// The post as seen by whoever reads it at `uri`, authored by `author`.
    pub fn to_post(&self, uri: &str, author: Author, url_name: &str, fallback_time: Option<DateTime<Utc>>) -> Post {
        Post {
            network: Network::Bluesky,
            id: uri.to_string(),
            url: web_url(url_name, uri),
            author: Some(author),
            title: None,
            text: self.text.clone(),
            created_at: self.created().or(fallback_time),
            reply_to: self.reply_to(),
            lang: self.lang(),
            repost_of: None,
        }
    }
}

/// `app.bsky.feed.defs#postView`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PostView {
    pub uri: String,
    pub author: Profile,
    pub record: PostRecord,
    pub indexed_at: String,
}

impl PostView {
    pub fn to_post(&self) -> Post {
        let indexed = time(&self.indexed_at);
        let name = self.author.name_in_urls();
        self.record.to_post(&self.uri, self.author.author(), name, indexed)
    }

    /// The search index's `sortAt`: the earlier of creation and indexing.
    pub fn sort_at(&self) -> Option<DateTime<Utc>> {
        let indexed = time(&self.indexed_at);
        match (self.record.created(), indexed) {
            (Some(c), Some(i)) => Some(c.min(i)),
            (c, i) => c.or(i),
        }
    }
}

/// `app.bsky.feed.defs#feedViewPost`: a post in a feed, with why it is there.
#[derive(Debug, Clone, Deserialize)]
pub struct FeedItem {
    pub post: PostView,
    #[serde(default)]
    pub reply: Option<FeedReply>,
    #[serde(default)]
    pub reason: Option<Value>,
}

/// `app.bsky.feed.defs#replyRef`; `parent` is a union (postView, notFoundPost, blockedPost).
#[derive(Debug, Clone, Deserialize)]
pub struct FeedReply {
    pub parent: Value,
}

/// `app.bsky.feed.defs#reasonRepost`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Repost {
    pub by: Profile,
    #[serde(default)]
    pub uri: Option<String>,
    pub indexed_at: String,
}

impl FeedItem {
    /// Set when the item is in the feed because its owner reposted it.
    pub fn repost(&self) -> Option<Repost> {
        let reason = self.reason.as_ref()?;
        if reason.get("$type").and_then(Value::as_str) != Some(REPOST_REASON) {
            return None;
        }
        serde_json::from_value(reason.clone()).ok()
    }

    /// The parent post, when the API could show it.
    pub fn parent(&self) -> Option<PostView> {
        let parent = &self.reply.as_ref()?.parent;
        let ty = parent.get("$type").and_then(Value::as_str);
        if ty.is_some_and(|t| t != "app.bsky.feed.defs#postView") {
            return None;
        }
        serde_json::from_value(parent.clone()).ok()
    }

    /// When the item entered the feed: the repost's time for a repost, else the post's.
    pub fn feed_time(&self) -> Option<DateTime<Utc>> {
        match self.repost() {
            Some(r) => time(&r.indexed_at),
            None => time(&self.post.indexed_at),
        }
    }
}

impl Repost {
    /// The brand's repost of `of` as a post of its own: shared, not written.
    pub fn to_post(&self, of: &PostView) -> Post {
        let id = self
            .uri
            .clone()
            .unwrap_or_else(|| format!("repost:{}:{}", of.uri, self.indexed_at));
        Post {
            network: Network::Bluesky,
            id,
            url: web_url(of.author.name_in_urls(), &of.uri),
            author: Some(self.by.author()),
            title: None,
            text: of.record.text.clone(),
            created_at: time(&self.indexed_at),
            reply_to: None,
            lang: of.record.lang(),
            repost_of: Some(of.uri.clone()),
        }
    }
}

/// `app.bsky.notification.listNotifications#notification`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Notification {
    pub uri: String,
    pub author: Profile,
    pub reason: String,
    pub record: Value,
    pub indexed_at: String,
}

impl Notification {
    /// The post behind a mention, reply or quote; `None` (logged) when its record is not a post.
    pub fn to_post(&self, source: &str) -> Option<Post> {
        match serde_json::from_value::<PostRecord>(self.record.clone()) {
            Ok(r) => Some(r.to_post(
                &self.uri,
                self.author.author(),
                self.author.name_in_urls(),
                time(&self.indexed_at),
            )),
            Err(e) => {
                tracing::warn!(source, uri = %self.uri, error = %e, "skipping a notification whose record is not a post");
                None
            }
        }
    }
}

/// The record key of an `at://did/app.bsky.feed.post/rkey` URI.
pub fn rkey(uri: &str) -> Option<&str> {
    let mut parts = uri.strip_prefix("at://")?.split('/');
    let (_did, collection, rkey) = (parts.next()?, parts.next()?, parts.next()?);
    (collection == POST_COLLECTION && !rkey.is_empty()).then_some(rkey)
}

/// The post's page on bsky.app; `profile` is a handle or a DID.
pub fn web_url(profile: &str, uri: &str) -> Option<String> {
    rkey(uri).map(|k| format!("https://bsky.app/profile/{profile}/post/{k}"))
}

pub fn time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s).ok().map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_come_from_the_record_key() {
        let uri = "at://did:plc:abc/app.bsky.feed.post/3kxyz";
        assert_eq!(rkey(uri), Some("3kxyz"));
        assert_eq!(
            web_url("bob.bsky.social", uri).as_deref(),
            Some("https://bsky.app/profile/bob.bsky.social/post/3kxyz")
        );
        assert_eq!(rkey("at://did:plc:abc/app.bsky.feed.like/3k"), None);
    }

    #[test]
    fn sort_at_is_the_earlier_time() {
        let v: PostView = serde_json::from_value(serde_json::json!({
            "uri": "at://did:plc:a/app.bsky.feed.post/1", "cid": "bafy",
            "author": {"did": "did:plc:a", "handle": "a.test"},
            "record": {"$type": "app.bsky.feed.post", "text": "hi", "createdAt": "2026-01-01T10:00:00Z"},
            "indexedAt": "2026-01-01T10:00:05.123Z"}))
        .unwrap();
        assert_eq!(v.sort_at(), time("2026-01-01T10:00:00Z"));
        assert_eq!(v.to_post().created_at, time("2026-01-01T10:00:00Z"));
    }
}
