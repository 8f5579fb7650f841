//! The words of the domain — posts, networks, handles, mention ids, intents — as parsed types.
//! Everything here is plain data: no I/O, no knowledge of sled, chat platforms or HTTP.

use std::fmt;
use std::str::FromStr;

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

/// An account name on a network, compared case-insensitively and with any leading `@` ignored,
/// so `@Bob@example.social` and `bob@example.social` are the same person.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Handle(String);

impl Handle {
    pub fn new(raw: &str) -> Handle {
        Handle(raw.trim().trim_start_matches('@').to_lowercase())
    }

    /// The normalized form: lowercase, no leading `@`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_same(&self, raw: &str) -> bool {
        let raw = raw.trim().trim_start_matches('@');
        raw.to_lowercase() == self.0
    }
}

impl fmt::Display for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
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
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Id {
        S(String),
        N(serde_json::Number),
    }
    Ok(match Id::deserialize(d)? {
        Id::S(s) => s,
        Id::N(n) => n.to_string(),
    })
}

fn opt_string_or_number<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Id {
        S(String),
        N(serde_json::Number),
    }
    Ok(Option::<Id>::deserialize(d)?.map(|id| match id {
        Id::S(s) => s,
        Id::N(n) => n.to_string(),
    }))
}

/// A mention's short id, shown as `#42`. Unique and increasing within one store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct MentionId(pub u64);

impl fmt::Display for MentionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

impl FromStr for MentionId {
    type Err = String;
    /// Accepts `42` and `#42`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let digits = s.trim().strip_prefix('#').unwrap_or(s.trim());
        match digits.parse::<u64>() {
            Ok(n) if n > 0 => Ok(MentionId(n)),
            _ => Err(format!("`{s}` is not a mention id (write it as 42 or #42)")),
        }
    }
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

/// A chat user, written `platform:USERID` (`slack:U0123ABC`, `discord:4123…`, `console:operator`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ChatUser(pub String);

impl ChatUser {
    pub fn new(platform: &str, id: &str) -> ChatUser {
        ChatUser(format!("{platform}:{id}"))
    }
}

impl fmt::Display for ChatUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An own account of a brand: `network:handle` (design §10).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OwnAccount {
    pub network: Network,
    pub handle: Handle,
}

impl OwnAccount {
    /// True when `post` was written by this account.
    pub fn wrote(&self, post: &Post) -> bool {
        // Replay posts keep the network they name, so the network must match too.
        post.network == self.network && post.author_handle().is_some_and(|h| self.handle.is_same(h))
    }
}

impl FromStr for OwnAccount {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (net, handle) = s
            .split_once(':')
            .ok_or_else(|| format!("`{s}` is not `network:handle` (e.g. `mastodon:@acme@mastodon.social`)"))?;
        let network: Network = net.parse()?;
        let handle = handle.trim();
        if handle.trim_start_matches('@').is_empty() {
            return Err(format!("`{s}` has no handle after `{net}:`"));
        }
        Ok(OwnAccount {
            network,
            handle: Handle::new(handle),
        })
    }
}

/// A span of time written the way people write it: `30s`, `5m`, `2h`, `1d`, `1h30m`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HumanDuration(pub std::time::Duration);

impl HumanDuration {
    pub fn as_std(self) -> std::time::Duration {
        self.0
    }

    pub fn as_chrono(self) -> chrono::Duration {
        chrono::Duration::from_std(self.0).unwrap_or(chrono::Duration::MAX)
    }
}

impl FromStr for HumanDuration {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let expected = || format!("`{s}` is not a duration (expected e.g. `30s`, `5m`, `2h`, `1d` or `1h30m`)");
        let mut total: u64 = 0;
        let mut digits = String::new();
        let mut parts = 0;
        for c in s.trim().chars() {
            if c.is_ascii_digit() {
                digits.push(c);
                continue;
            }
            let unit = match c {
                's' => 1,
                'm' => 60,
                'h' => 3600,
                'd' => 86_400,
                'w' => 7 * 86_400,
                _ => return Err(expected()),
            };
            let n: u64 = digits.parse().map_err(|_| expected())?;
            total = n
                .checked_mul(unit)
                .and_then(|v| total.checked_add(v))
                .ok_or_else(expected)?;
            digits.clear();
            parts += 1;
        }
        if parts == 0 || !digits.is_empty() {
            return Err(expected());
        }
        if total == 0 {
            return Err(format!("`{s}` is zero; a duration must be positive"));
        }
        Ok(HumanDuration(std::time::Duration::from_secs(total)))
    }
}

impl fmt::Display for HumanDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut secs = self.0.as_secs();
        if secs == 0 {
            return f.write_str("0s");
        }
        for (unit, name) in [(86_400, "d"), (3600, "h"), (60, "m"), (1, "s")] {
            if secs >= unit {
                write!(f, "{}{name}", secs / unit)?;
                secs %= unit;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_and_print() {
        let d: HumanDuration = "1h30m".parse().unwrap();
        assert_eq!(d.0.as_secs(), 5400);
        assert_eq!(d.to_string(), "1h30m");
        assert_eq!("2d".parse::<HumanDuration>().unwrap().0.as_secs(), 172_800);
        for bad in ["", "5", "m", "5x", "0s", "1.5h"] {
            assert!(bad.parse::<HumanDuration>().is_err(), "{bad}");
        }
    }

    #[test]
    fn post_parses_minimal_and_numeric_ids() {
        let p: Post = serde_json::from_str(r#"{"network":"hackernews","id":123,"text":"hi"}"#).unwrap();
        assert_eq!(p.id, "123");
        assert_eq!(p.author_label(), "someone");
    }

    #[test]
    fn mention_ids_parse_with_and_without_hash() {
        assert_eq!("#42".parse::<MentionId>().unwrap(), MentionId(42));
        assert_eq!("42".parse::<MentionId>().unwrap(), MentionId(42));
        assert!("x".parse::<MentionId>().is_err());
        assert!("0".parse::<MentionId>().is_err());
    }

    #[test]
    fn own_accounts_compare_handles_loosely() {
        let own: OwnAccount = "mastodon:@Acme@mastodon.social".parse().unwrap();
        let p: Post = serde_json::from_str(
            r#"{"network":"mastodon","id":"1","text":"x","author":{"handle":"acme@Mastodon.social"}}"#,
        )
        .unwrap();
        assert!(own.wrote(&p));
        assert!("nowhere:@a".parse::<OwnAccount>().is_err());
    }
}
