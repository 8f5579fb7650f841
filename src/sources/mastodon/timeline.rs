//! Polling Mastodon's list endpoints forward in time: mention notifications, hashtag, public and
//! home timelines, and an account's own statuses. The cursor is the newest id read; each fetch
//! asks for `min_id=cursor`, which Mastodon answers with the items *immediately* newer, so paging
//! forward while pages come back full leaves no gap. Never writes the store itself.

use async_trait::async_trait;
use serde_json::Value;

use super::api::{self, Api};
use super::status::{Account, Convert, Notification, Status};
use crate::domain::{Handle, Post};
use crate::sources::http::{self, FetchError};
use crate::sources::poll::{Fetch, Page};

/// What a list endpoint holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Items {
    Statuses,
    /// Notifications; only mentions become posts, but every id moves the cursor.
    Mentions,
}

/// One list endpoint read forward from a cursor.
pub struct Timeline {
    /// For logs: the source's name.
    name: String,
    api: Api,
    path: String,
    params: Vec<(String, String)>,
    items: Items,
    limit: usize,
    convert: Convert,
}

impl Timeline {
    pub fn new(name: &str, api: &Api, path: &str, items: Items, convert: &Convert) -> Timeline {
        Timeline {
            name: name.to_string(),
            api: api.clone(),
            path: path.to_string(),
            params: Vec::new(),
            items,
            // The documented maximums: 80 notifications, 40 statuses.
            limit: if items == Items::Mentions { 80 } else { 40 },
            convert: convert.clone(),
        }
    }

    pub fn param(mut self, key: &str, value: &str) -> Timeline {
        self.params.push((key.to_string(), value.to_string()));
        self
    }

    /// Mention notifications (`types[]=mention`).
    pub fn notifications(name: &str, api: &Api, convert: &Convert) -> Timeline {
        Timeline::new(name, api, "/api/v1/notifications", Items::Mentions, convert).param("types[]", "mention")
    }

    /// A hashtag's public timeline.
    pub fn hashtag(name: &str, api: &Api, tag: &str, convert: &Convert) -> Timeline {
        let path = format!("/api/v1/timelines/tag/{}", encode_segment(tag));
        Timeline::new(name, api, &path, Items::Statuses, convert)
    }

    /// One page newer than `cursor`; without a cursor, the newest page (history is not read).
    pub async fn page(&self, cursor: Option<&str>) -> Result<Page, FetchError> {
        let cursor = cursor.filter(|c| !c.is_empty());
        let mut query: Vec<(String, String)> = self.params.clone();
        query.push(("limit".into(), self.limit.to_string()));
        if let Some(c) = cursor {
            query.push(("min_id".into(), c.to_string()));
        }
        let (body, headers) = self.api.json(self.api.get(&self.path).query(&query)).await?;
        let raw = body
            .as_array()
            .ok_or_else(|| FetchError::Transient(format!("{}: expected a JSON array", self.path)))?;
        let posts = self.posts(&body);
        // Ids of malformed items count too, so the cursor moves past them.
        let top = raw
            .iter()
            .filter_map(|v| v.get("id").and_then(Value::as_str))
            .fold(None, |a, id| api::newest(a, Some(id)));
        let link = api::link_min_id(&headers);
        let next = api::newest(top, link.as_deref()).or(cursor).map(str::to_string);
        Ok(Page {
            posts,
            more: cursor.is_some() && raw.len() >= self.limit,
            cursor: next.or_else(|| self.anchor()),
        })
    }

    /// Where to start when the first read found nothing, so that what comes next is read in
    /// full rather than as "the newest page": status ids are time-based (a little before now
    /// allows for clock skew); notification ids are a plain sequence, and there were none.
    fn anchor(&self) -> Option<String> {
        Some(match self.items {
            Items::Statuses => api::snowflake_at(chrono::Utc::now() - chrono::Duration::minutes(5)),
            Items::Mentions => "0".to_string(),
        })
    }

    /// The page's posts, oldest first: Mastodon answers newest first, but the pipeline must
    /// see a parent before its replies (a thread by the brand is a broadcast, not a reply).
    fn posts(&self, body: &Value) -> Vec<Post> {
        let mut posts: Vec<Post> = match self.items {
            Items::Statuses => http::each::<Status>(&self.name, Some(body))
                .iter()
                .filter_map(|s| self.convert.post(s))
                .collect(),
            Items::Mentions => http::each::<Notification>(&self.name, Some(body))
                .iter()
                .filter_map(|n| self.convert.mention(n))
                .collect(),
        };
        posts.sort_by(|a, b| api::cmp_ids(&a.id, &b.id));
        posts
    }
}

#[async_trait]
impl Fetch for Timeline {
    async fn fetch(&mut self, cursor: Option<&str>) -> Result<Page, FetchError> {
        self.page(cursor).await
    }
}

/// The statuses of one of the brand's own accounts (boosts and replies included), so the
/// pipeline can record each as broadcast, reply or share. Looks the account's id up once.
pub struct OwnStatuses {
    name: String,
    api: Api,
    /// The handle as configured (`acme@mastodon.social`).
    handle: String,
    convert: Convert,
    timeline: Option<Timeline>,
}

impl OwnStatuses {
    pub fn new(name: &str, api: &Api, handle: &str, convert: &Convert) -> OwnStatuses {
        OwnStatuses {
            name: name.to_string(),
            api: api.clone(),
            handle: handle.to_string(),
            convert: convert.clone(),
            timeline: None,
        }
    }

    /// What to ask `accounts/lookup` for: the bare username for an account of this instance.
    fn acct(&self) -> String {
        let h = Handle::new(&self.handle);
        match h.as_str().split_once('@') {
            Some((user, host)) if host.eq_ignore_ascii_case(&self.convert.host) => user.to_string(),
            _ => h.as_str().to_string(),
        }
    }

    async fn timeline(&mut self) -> Result<&Timeline, FetchError> {
        if self.timeline.is_none() {
            let req = self.api.get("/api/v1/accounts/lookup").query(&[("acct", self.acct())]);
            let (body, _) = self.api.json(req).await?;
            let account: Account = serde_json::from_value(body)
                .map_err(|e| FetchError::Transient(format!("account lookup for {}: {e}", self.handle)))?;
            tracing::info!(source = %self.name, account = %account.acct, id = %account.id, "watching the brand's own account");
            let path = format!("/api/v1/accounts/{}/statuses", encode_segment(&account.id));
            self.timeline = Some(Timeline::new(
                &self.name,
                &self.api,
                &path,
                Items::Statuses,
                &self.convert,
            ));
        }
        self.timeline
            .as_ref()
            .ok_or_else(|| FetchError::Transient("account lookup failed".into()))
    }
}

#[async_trait]
impl Fetch for OwnStatuses {
    async fn fetch(&mut self, cursor: Option<&str>) -> Result<Page, FetchError> {
        self.timeline().await?.page(cursor).await
    }
}

/// Percent-encodes a path segment (a hashtag may hold any letter).
pub fn encode_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
