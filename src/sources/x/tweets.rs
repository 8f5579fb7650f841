//! The X API v2 tweet list JSON (`data`, `includes.users`, `meta`, `errors`) as normalized
//! `Post`s. Pure data: no HTTP, no store.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::domain::{Author, Network, Post};
use crate::sources::http::{self, FetchError};
use crate::sources::text::decode_entities;

/// The fields every request asks for.
pub(super) const TWEET_FIELDS: &str = "created_at,lang,conversation_id,referenced_tweets,author_id,in_reply_to_user_id";

#[derive(Debug, Deserialize)]
struct Tweet {
    id: String,
    text: String,
    #[serde(default)]
    created_at: Option<DateTime<Utc>>,
    #[serde(default)]
    lang: Option<String>,
    #[serde(default)]
    author_id: Option<String>,
    #[serde(default)]
    referenced_tweets: Vec<Reference>,
}

#[derive(Debug, Deserialize)]
struct Reference {
    #[serde(rename = "type")]
    kind: String,
    id: String,
}

#[derive(Debug, Deserialize)]
struct User {
    id: String,
    username: String,
    #[serde(default)]
    name: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct Meta {
    #[serde(default)]
    newest_id: Option<String>,
    #[serde(default)]
    next_token: Option<String>,
}

/// One page of tweets, newest first as X sends them.
pub(super) struct TweetsPage {
    pub posts: Vec<Post>,
    pub newest_id: Option<String>,
    pub next_token: Option<String>,
}

impl TweetsPage {
    /// Reads a page. Malformed tweets are logged and skipped; `errors` next to data (a deleted
    /// referenced tweet, a suspended author) are logged and the data kept. `fallback` is the
    /// author's username when the page is one account's timeline.
    pub fn parse(source: &str, value: &serde_json::Value, fallback: Option<&str>) -> Result<TweetsPage, FetchError> {
        if !value.is_object() {
            return Err(FetchError::Transient("x: the answer is not a JSON object".into()));
        }
        let problems = value
            .get("errors")
            .and_then(|e| e.as_array())
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        for p in problems {
            let (title, detail) = (
                p.get("title").and_then(|t| t.as_str()),
                p.get("detail").and_then(|d| d.as_str()),
            );
            tracing::warn!(
                source,
                title,
                detail = %crate::redact::redact(detail.unwrap_or_default()),
                "x reported a problem next to the data; keeping the data"
            );
        }
        if value.get("data").is_none() && value.get("meta").is_none() && !problems.is_empty() {
            let detail = problems[0]
                .get("detail")
                .and_then(|d| d.as_str())
                .unwrap_or("unknown error");
            return Err(FetchError::Rejected(format!("x: {}", crate::redact::redact(detail))));
        }
        let meta: Meta = match value.get("meta") {
            Some(m) => serde_json::from_value(m.clone())
                .map_err(|e| FetchError::Transient(format!("x: malformed meta: {e}")))?,
            None => Meta::default(),
        };
        let users: HashMap<String, User> = http::each::<User>(source, value.pointer("/includes/users"))
            .into_iter()
            .map(|u| (u.id.clone(), u))
            .collect();
        let posts = http::each::<Tweet>(source, value.get("data"))
            .into_iter()
            .map(|t| {
                let user = t.author_id.as_ref().and_then(|id| users.get(id));
                post(t, user, fallback)
            })
            .collect();
        Ok(TweetsPage {
            posts,
            newest_id: meta.newest_id,
            next_token: meta.next_token,
        })
    }
}

fn post(t: Tweet, user: Option<&User>, fallback: Option<&str>) -> Post {
    let username = user.map(|u| u.username.as_str()).or(fallback);
    let url = match username {
        Some(u) => format!("https://x.com/{u}/status/{}", t.id),
        None => format!("https://x.com/i/web/status/{}", t.id),
    };
    let reference = |kind: &str| {
        t.referenced_tweets
            .iter()
            .find(|r| r.kind == kind)
            .map(|r| r.id.clone())
    };
    Post {
        network: Network::X,
        url: Some(url),
        author: username.map(|u| Author {
            handle: Some(format!("@{u}")),
            name: user.and_then(|u| u.name.clone()),
        }),
        title: None,
        // X text is plain but keeps `&amp;`, `&lt;` and `&gt;` escaped.
        text: decode_entities(&t.text),
        created_at: t.created_at,
        reply_to: reference("replied_to"),
        // X's "undetermined" is no language.
        lang: t.lang.clone().filter(|l| !l.is_empty() && l != "und"),
        repost_of: reference("retweeted"),
        id: t.id,
    }
}
