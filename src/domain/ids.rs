//! Identities: handles, own accounts, chat users and mention ids, each parsed once.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::{Network, Post};

/// An account name on a network, compared case-insensitively and with any leading `@` ignored,
/// so `@Bob@example.social` and `bob@example.social` are the same person.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Handle(String);

impl Handle {
    pub fn new(raw: &str) -> Handle {
        Handle(bare(raw).to_lowercase())
    }

    /// The normalized form: lowercase, no leading `@`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_same(&self, raw: &str) -> bool {
        bare(raw).to_lowercase() == self.0
    }
}

/// A handle without its decoration: a leading `@`, or Reddit's `u/` (`u/acme` is `acme`).
fn bare(raw: &str) -> &str {
    let raw = raw.trim();
    raw.strip_prefix("u/")
        .or_else(|| raw.strip_prefix("/u/"))
        .unwrap_or(raw)
        .trim_start_matches('@')
}

impl fmt::Display for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
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

/// A Discord id (a "snowflake": a channel, guild, application or user), written in decimal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DiscordId(pub u64);

impl FromStr for DiscordId {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().parse::<u64>() {
            Ok(n) if n > 0 => Ok(DiscordId(n)),
            _ => Err(format!(
                "`{s}` is not a Discord id (a number such as 123456789012345678; turn on Developer Mode and use Copy ID)"
            )),
        }
    }
}

impl fmt::Display for DiscordId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
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
        self.is_author(post.network, post.author_handle())
    }

    /// True when a post on `network` by `handle` is this account's.
    pub fn is_author(&self, network: Network, handle: Option<&str>) -> bool {
        // Replay posts keep the network they name, so the network must match too.
        network == self.network && handle.is_some_and(|h| self.handle.is_same(h))
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

#[cfg(test)]
mod tests {
    use super::*;

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
