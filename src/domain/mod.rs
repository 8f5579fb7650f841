//! The words of the domain — posts, networks, handles, mention ids, intents — as parsed types.
//! Everything here is plain data: no I/O, no knowledge of sled, chat platforms or HTTP.

mod borrowed;
mod duration;
mod ids;

use std::fmt;
use std::str::FromStr;

pub use borrowed::{AuthorRef, PostRef, Text};
pub use duration::HumanDuration;
pub use ids::{ChatUser, DiscordId, Handle, MentionId, OwnAccount};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};

/// A social network talkback knows (design §2). `Replay` is the offline network of the demo.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Network {
    Mastodon,
    Bluesky,
    Reddit,
    Hackernews,
    Rss,
    X,
    Replay,
}

impl Network {
    pub const ALL: [Network; 7] = [
        Network::Mastodon,
        Network::Bluesky,
        Network::Reddit,
        Network::Hackernews,
        Network::Rss,
        Network::X,
        Network::Replay,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Network::Mastodon => "mastodon",
            Network::Bluesky => "bluesky",
            Network::Reddit => "reddit",
            Network::Hackernews => "hackernews",
            Network::Rss => "rss",
            Network::X => "x",
            Network::Replay => "replay",
        }
    }

    /// Networks where talkback can only link to the post, never answer on it.
    pub fn is_read_only(self) -> bool {
        matches!(self, Network::Hackernews | Network::Rss)
    }

    /// A human name for alerts.
    pub fn display_name(self) -> &'static str {
        match self {
            Network::Mastodon => "Mastodon",
            Network::Bluesky => "Bluesky",
            Network::Reddit => "Reddit",
            Network::Hackernews => "Hacker News",
            Network::Rss => "RSS",
            Network::X => "X",
            Network::Replay => "Replay",
        }
    }
}

impl fmt::Display for Network {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Network {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Network::ALL
            .into_iter()
            .find(|n| n.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                let names: Vec<_> = Network::ALL.iter().map(|n| n.as_str()).collect();
                format!("unknown network `{s}` (expected one of: {})", names.join(", "))
            })
    }
}

/// Who wrote a post.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Author {
    #[serde(default)]
    pub handle: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
}

/// One post from any network, normalized (design §3, contract).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Post {
    pub network: Network,
    #[serde(deserialize_with = "string_or_number")]
    pub id: String,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub author: Option<Author>,
    #[serde(default)]
    pub title: Option<String>,
    pub text: String,
    #[serde(default)]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "opt_string_or_number")]
    pub reply_to: Option<String>,
    #[serde(default)]
    pub lang: Option<String>,
    /// Set when the post is a boost/repost of another post (the shared post's id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repost_of: Option<String>,
}

impl Post {
    /// The author's handle as written, if any.
    pub fn author_handle(&self) -> Option<&str> {
        self.author.as_ref().and_then(|a| a.handle.as_deref())
    }

    /// A name to show for the author: the display name, else the handle, else "someone".
    pub fn author_label(&self) -> String {
        let handle = self.author_handle();
        let name = self.author.as_ref().and_then(|a| a.name.as_deref());
        match (name, handle) {
            (Some(n), Some(h)) if !n.is_empty() => format!("{n} ({h})"),
            (_, Some(h)) => h.to_string(),
            (Some(n), None) => n.to_string(),
            (None, None) => "someone".to_string(),
        }
    }

    /// The post's identity across the whole store.
    pub fn key(&self) -> PostKey {
        PostKey {
            network: self.network,
            id: self.id.clone(),
        }
    }
}

/// A post's identity: the network and the network's own id.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PostKey {
    pub network: Network,
    pub id: String,
}

impl fmt::Display for PostKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.network, self.id)
    }
}

fn string_or_number<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    d.deserialize_any(borrowed::TextVisitor { numbers: true })
        .map(std::borrow::Cow::into_owned)
}

fn opt_string_or_number<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(Option::<borrowed::Id<'de>>::deserialize(d)?.map(|id| id.0.into_owned()))
}

/// What the author wants (design §9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Intent {
    Question,
    Complaint,
    BugReport,
    Praise,
    Comparison,
    PurchaseIntent,
    Other,
}

impl Intent {
    pub const ALL: [Intent; 7] = [
        Intent::Question,
        Intent::Complaint,
        Intent::BugReport,
        Intent::Praise,
        Intent::Comparison,
        Intent::PurchaseIntent,
        Intent::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Intent::Question => "question",
            Intent::Complaint => "complaint",
            Intent::BugReport => "bug_report",
            Intent::Praise => "praise",
            Intent::Comparison => "comparison",
            Intent::PurchaseIntent => "purchase_intent",
            Intent::Other => "other",
        }
    }
}

impl fmt::Display for Intent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How the author feels (design §9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sentiment {
    Positive,
    Neutral,
    Negative,
}

impl Sentiment {
    pub fn as_str(self) -> &'static str {
        match self {
            Sentiment::Positive => "positive",
            Sentiment::Neutral => "neutral",
            Sentiment::Negative => "negative",
        }
    }
}

impl fmt::Display for Sentiment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn post_parses_minimal_and_numeric_ids() {
        let p: Post = serde_json::from_str(r#"{"network":"hackernews","id":123,"text":"hi"}"#).unwrap();
        assert_eq!(p.id, "123");
        assert_eq!(p.author_label(), "someone");
        let p: Post =
            serde_json::from_str(r#"{"network":"x","id":"17","text":"hi","reply_to":-4,"repost_of":null}"#).unwrap();
        assert_eq!((p.id.as_str(), p.reply_to.as_deref()), ("17", Some("-4")));
        let p: Post = serde_json::from_str(r#"{"network":"x","id":1.5,"text":"hi","reply_to":null}"#).unwrap();
        assert_eq!((p.id.as_str(), p.reply_to), ("1.5", None));
        for bad in [
            r#"{"network":"x","id":true,"text":"hi"}"#,
            r#"{"network":"x","id":"1","text":"hi","reply_to":[]}"#,
        ] {
            let e = serde_json::from_str::<Post>(bad).unwrap_err().to_string();
            assert!(e.contains("expected a string"), "{e}");
        }
    }
}
