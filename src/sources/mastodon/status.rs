//! Mastodon's entities as the REST and streaming APIs send them (Status, Account, Notification)
//! and their translation into talkback's `Post`. Pure data: no HTTP, no store.

use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::domain::{Author, Handle, Network, Post};
use crate::sources::text::html_to_text;

/// The fields of Mastodon's `Account` entity that a `Post` needs.
#[derive(Debug, Clone, Deserialize)]
pub struct Account {
    pub id: String,
    pub username: String,
    /// `username` for accounts of this instance, `username@domain` for remote ones.
    pub acct: String,
    #[serde(default)]
    pub display_name: String,
}

/// The fields of Mastodon's `Status` entity that a `Post` needs.
#[derive(Debug, Clone, Deserialize)]
pub struct Status {
    pub id: String,
    #[serde(default)]
    pub uri: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
    /// Kept as text so that an odd date costs the date, not the whole status.
    #[serde(default)]
    pub created_at: Option<String>,
    pub account: Account,
    #[serde(default)]
    pub in_reply_to_id: Option<String>,
    #[serde(default)]
    pub reblog: Option<Box<Status>>,
    #[serde(default)]
    pub content: String,
    #[serde(default)]
    pub spoiler_text: String,
    #[serde(default)]
    pub language: Option<String>,
}

/// The fields of Mastodon's `Notification` entity that a `Post` needs.
#[derive(Debug, Clone, Deserialize)]
pub struct Notification {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub status: Option<Status>,
}

/// What turns statuses into posts: the instance's host (local accounts have no domain in
/// `acct`) and the brands' own handles (their boosts are shares; other boosts are skipped).
#[derive(Debug, Clone)]
pub struct Convert {
    pub host: String,
    pub own: Vec<String>,
}

impl Convert {
    /// `@user@instance` for any `acct`.
    pub fn handle(&self, acct: &str) -> String {
        let acct = acct.trim_start_matches('@');
        if acct.contains('@') || self.host.is_empty() {
            format!("@{acct}")
        } else {
            format!("@{acct}@{}", self.host)
        }
    }

    fn is_own(&self, handle: &str) -> bool {
        let h = Handle::new(handle);
        self.own.iter().any(|o| o == h.as_str())
    }

    /// The post for `s`; `None` for someone else's boost (the boosted post is what matters, and
    /// it arrives on its own where it matches).
    pub fn post(&self, s: &Status) -> Option<Post> {
        let handle = self.handle(&s.account.acct);
        if s.reblog.is_some() && !self.is_own(&handle) {
            return None;
        }
        // A boost carries no content of its own: the text is the boosted post's.
        let body = s.reblog.as_deref().unwrap_or(s);
        let mut text = html_to_text(&body.content);
        let spoiler = body.spoiler_text.trim();
        if !spoiler.is_empty() {
            text = if text.is_empty() {
                spoiler.to_string()
            } else {
                format!("{spoiler}\n{text}")
            };
        }
        let name = Some(s.account.display_name.trim())
            .filter(|n| !n.is_empty())
            .unwrap_or(&s.account.username);
        Some(Post {
            network: Network::Mastodon,
            id: s.id.clone(),
            url: s.url.clone().or_else(|| s.uri.clone()),
            author: Some(Author {
                handle: Some(handle),
                name: Some(name.to_string()),
            }),
            title: None,
            text,
            created_at: s.created_at.as_deref().and_then(parse_time),
            reply_to: s.in_reply_to_id.clone(),
            lang: s.language.clone().or_else(|| body.language.clone()),
            repost_of: s.reblog.as_ref().map(|r| r.id.clone()),
        })
    }

    /// The mentioned post of a `mention` notification; other kinds bring nothing.
    pub fn mention(&self, n: &Notification) -> Option<Post> {
        if n.kind != "mention" {
            return None;
        }
        n.status.as_ref().and_then(|s| self.post(s))
    }
}

fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s).ok().map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn convert() -> Convert {
        Convert {
            host: "example.social".into(),
            own: vec!["acme@example.social".into()],
        }
    }

    fn status(id: &str, acct: &str, content: &str) -> serde_json::Value {
        json!({"id": id, "created_at": "2026-11-20T10:00:00.000Z", "in_reply_to_id": null,
               "in_reply_to_account_id": null, "sensitive": false, "spoiler_text": "", "visibility": "public",
               "language": "en", "uri": format!("https://example.social/users/x/statuses/{id}"),
               "url": format!("https://example.social/@x/{id}"), "content": content, "reblog": null,
               "account": {"id": "1", "username": acct.split('@').next().unwrap(), "acct": acct,
                           "display_name": "", "url": "https://example.social/@x"}})
    }

    #[test]
    fn a_local_status_becomes_a_post() {
        let mut s = status("110", "bob", "<p>Does <b>Acme</b> support IPv6? &amp; more</p>");
        s["spoiler_text"] = json!("tech");
        s["in_reply_to_id"] = json!("100");
        let s: Status = serde_json::from_value(s).unwrap();
        let p = convert().post(&s).unwrap();
        assert_eq!(p.id, "110");
        assert_eq!(p.author_handle(), Some("@bob@example.social"));
        assert_eq!(p.author.as_ref().unwrap().name.as_deref(), Some("bob"));
        assert_eq!(p.text, "tech\nDoes Acme support IPv6? & more");
        assert_eq!(p.url.as_deref(), Some("https://example.social/@x/110"));
        assert_eq!(p.reply_to.as_deref(), Some("100"));
        assert_eq!(p.lang.as_deref(), Some("en"));
        assert_eq!(p.created_at.unwrap().to_rfc3339(), "2026-11-20T10:00:00+00:00");
    }

    #[test]
    fn boosts_are_shares_for_the_brand_and_skipped_for_others() {
        let inner = status("90", "carol@other.example", "<p>hello</p>");
        let mut boost = status("111", "acme", "");
        boost["reblog"] = inner.clone();
        boost["url"] = json!(null);
        let s: Status = serde_json::from_value(boost.clone()).unwrap();
        let p = convert().post(&s).unwrap();
        assert_eq!(p.repost_of.as_deref(), Some("90"));
        assert_eq!(p.text, "hello");
        assert_eq!(p.url.as_deref(), Some("https://example.social/users/x/statuses/111"));
        boost["account"]["acct"] = json!("dave@else.example");
        let s: Status = serde_json::from_value(boost).unwrap();
        assert!(convert().post(&s).is_none());
        let remote: Status = serde_json::from_value(inner).unwrap();
        assert_eq!(
            convert().post(&remote).unwrap().author_handle(),
            Some("@carol@other.example")
        );
    }

    #[test]
    fn only_mention_notifications_bring_posts() {
        let n = json!({"id": "5", "type": "favourite", "created_at": "2026-11-20T10:00:00.000Z",
                       "account": {"id": "1", "username": "bob", "acct": "bob"},
                       "status": status("110", "bob", "x")});
        let n: Notification = serde_json::from_value(n).unwrap();
        assert!(convert().mention(&n).is_none());
    }
}
