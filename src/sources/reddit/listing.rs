//! Reddit's listing JSON (`{kind: "Listing", data: {after, children: [{kind, data}]}}`) and its
//! links (t3) and comments (t1) as normalized `Post`s. Pure data: no HTTP, no store.

use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::domain::{Author, Network, Post};
use crate::sources::http::{self, FetchError};
use crate::sources::text::html_to_text;

/// Where permalinks live.
const WEB: &str = "https://www.reddit.com";

/// One element of `data.children`.
#[derive(Debug, Deserialize)]
pub(super) struct Child {
    pub kind: String,
    pub data: Thing,
}

/// The fields talkback reads from a link (t3) or a comment (t1).
#[derive(Debug, Deserialize)]
pub(super) struct Thing {
    /// The fullname: `t3_abc`, `t1_def`.
    pub name: String,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub selftext: Option<String>,
    #[serde(default)]
    pub is_self: Option<bool>,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub body: Option<String>,
    #[serde(default)]
    pub body_html: Option<String>,
    #[serde(default)]
    pub author: Option<String>,
    #[serde(default)]
    pub permalink: Option<String>,
    #[serde(default)]
    pub created_utc: Option<f64>,
    /// Comments: the link (`t3_…`) or comment (`t1_…`) answered.
    #[serde(default)]
    pub parent_id: Option<String>,
    /// Crossposts: the fullname of the post shared.
    #[serde(default)]
    pub crosspost_parent: Option<String>,
}

/// One page of a listing: its things (newest first) and the `after` token for older ones.
pub(super) struct Listing {
    pub things: Vec<Thing>,
    pub after: Option<String>,
}

impl Listing {
    /// Reads a listing; malformed children are logged and skipped, a body without
    /// `data.children` is an error (the next poll tries again).
    pub fn parse(source: &str, value: &serde_json::Value) -> Result<Listing, FetchError> {
        let data = value
            .get("data")
            .filter(|d| d.get("children").is_some_and(|c| c.is_array()))
            .ok_or_else(|| FetchError::Transient("reddit: the answer is not a listing".into()))?;
        let things = http::each::<Child>(source, data.get("children"))
            .into_iter()
            .filter(|c| c.kind == "t3" || c.kind == "t1")
            .map(|c| c.data)
            .collect();
        let after = data.get("after").and_then(|a| a.as_str()).map(str::to_string);
        Ok(Listing { things, after })
    }
}

/// A position in a newest-first listing: the newest thing already stored.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Mark {
    pub id: String,
    pub created: Option<i64>,
}

impl Mark {
    /// Cursors are `fullname@created_utc`; a bare fullname is accepted too.
    pub fn parse(s: &str) -> Mark {
        let (id, created) = s.split_once('@').unwrap_or((s, ""));
        Mark {
            id: id.to_string(),
            created: created.parse().ok(),
        }
    }

    pub fn render(&self) -> String {
        match self.created {
            Some(c) => format!("{}@{c}", self.id),
            None => self.id.clone(),
        }
    }

    /// True when `thing` is this mark or older, i.e. the catch-up walk is done. The time also
    /// counts because the marked thing may have been deleted since.
    pub fn reached_by(&self, thing: &Thing) -> bool {
        thing.name == self.id || matches!((self.created, thing.created()), (Some(mine), Some(theirs)) if theirs < mine)
    }
}

impl Thing {
    fn created(&self) -> Option<i64> {
        self.created_utc.map(|t| t.floor() as i64)
    }

    pub fn mark(&self) -> Mark {
        Mark {
            id: self.name.clone(),
            created: self.created(),
        }
    }

    pub fn into_post(self) -> Post {
        let is_comment = self.name.starts_with("t1_");
        let created_at = self.created_utc.and_then(|t| {
            let secs = t.floor();
            DateTime::<Utc>::from_timestamp(secs as i64, ((t - secs) * 1e9) as u32)
        });
        let author = self
            .author
            .as_deref()
            .filter(|a| !a.is_empty() && *a != "[deleted]")
            .map(|a| Author {
                handle: Some(format!("u/{a}")),
                name: None,
            });
        let text = if is_comment {
            match self.body_html.as_deref().filter(|h| !h.is_empty()) {
                Some(html) => html_to_text(html),
                None => self.body.clone().unwrap_or_default(),
            }
        } else {
            self.link_text()
        };
        Post {
            network: Network::Reddit,
            id: self.name,
            url: self.permalink.map(|p| format!("{WEB}{p}")),
            author,
            title: if is_comment { None } else { self.title },
            text,
            created_at,
            reply_to: if is_comment { self.parent_id } else { None },
            lang: None,
            repost_of: self.crosspost_parent,
        }
    }

    /// A self post's text, else the link it shares (so a link to the brand's site still matches).
    fn link_text(&self) -> String {
        match self.selftext.as_deref().filter(|s| !s.is_empty()) {
            Some(s) => s.to_string(),
            None if self.is_self == Some(false) => self.url.clone().unwrap_or_default(),
            None => String::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_round_trip_and_stop_at_older_things() {
        let m = Mark::parse("t3_abc@1700000000");
        assert_eq!(m.render(), "t3_abc@1700000000");
        let older: Thing =
            serde_json::from_value(serde_json::json!({"name": "t3_zzz", "created_utc": 1699999999.0})).unwrap();
        let newer: Thing =
            serde_json::from_value(serde_json::json!({"name": "t3_new", "created_utc": 1700000001.0})).unwrap();
        assert!(m.reached_by(&older));
        assert!(!m.reached_by(&newer));
        assert_eq!(Mark::parse("t3_abc").created, None);
    }
}
