//! The two authenticated Bluesky pollers: `app.bsky.feed.searchPosts` for the brands' terms and
//! `app.bsky.notification.listNotifications` for the account's mentions, replies and quotes.
//! Each only fetches one page and says where the next starts; the poll driver stores, moves
//! the cursor and schedules. Neither writes anything to Bluesky (notifications stay unread).

use std::sync::Arc;

use async_trait::async_trait;
use chrono::Duration;
use serde_json::Value;

use super::lexicon::{time, Notification, PostView};
use super::session::Auth;
use super::sweep::{iso, Sweep};
use crate::sources::http::{each, FetchError};
use crate::sources::poll::{Fetch, Page};

/// The search index orders by `sortAt`, which a late-indexed post can give an earlier time
/// than posts already read: look back this far on each sweep (the store drops duplicates).
const SEARCH_OVERLAP_SECS: i64 = 120;
const SEARCH_LIMIT: &str = "100";
const NOTIFICATION_LIMIT: &str = "50";
/// The notification reasons that are someone talking to or about the account.
const TALKING: [&str; 3] = ["mention", "reply", "quote"];

fn next_cursor(v: &Value) -> Option<String> {
    v.get("cursor")
        .and_then(Value::as_str)
        .filter(|c| !c.is_empty())
        .map(str::to_string)
}

fn count(items: Option<&Value>) -> usize {
    items.and_then(Value::as_array).map_or(0, Vec::len)
}

pub struct Search {
    name: String,
    auth: Arc<Auth>,
    query: String,
}

impl Search {
    pub fn new(name: &str, auth: Arc<Auth>, query: String) -> Search {
        Search {
            name: name.to_string(),
            auth,
            query,
        }
    }
}

#[async_trait]
impl Fetch for Search {
    async fn fetch(&mut self, cursor: Option<&str>) -> Result<Page, FetchError> {
        let sweep = Sweep::parse(&self.name, cursor);
        let mut params = vec![
            ("q", self.query.clone()),
            ("sort", "latest".to_string()),
            ("limit", SEARCH_LIMIT.to_string()),
        ];
        if let Some(since) = sweep.since {
            params.push(("since", iso(since - Duration::seconds(SEARCH_OVERLAP_SECS))));
        }
        if let Some(page) = &sweep.page {
            params.push(("cursor", page.clone()));
        }
        let v = self.auth.query("app.bsky.feed.searchPosts", &params).await?;
        let views: Vec<PostView> = each(&self.name, v.get("posts"));
        let newest = views.iter().filter_map(PostView::sort_at).max();
        // The server applies `since`: an empty page is the end of the sweep.
        let (next, more) = sweep.after_page(newest, next_cursor(&v), count(v.get("posts")) == 0);
        Ok(Page {
            posts: views.iter().map(PostView::to_post).collect(),
            cursor: Some(next.render()),
            more,
        })
    }
}

pub struct Notifications {
    name: String,
    auth: Arc<Auth>,
}

impl Notifications {
    pub fn new(name: &str, auth: Arc<Auth>) -> Notifications {
        Notifications {
            name: name.to_string(),
            auth,
        }
    }
}

#[async_trait]
impl Fetch for Notifications {
    async fn fetch(&mut self, cursor: Option<&str>) -> Result<Page, FetchError> {
        let sweep = Sweep::parse(&self.name, cursor);
        let mut params = vec![("limit", NOTIFICATION_LIMIT.to_string())];
        if let Some(page) = &sweep.page {
            params.push(("cursor", page.clone()));
        }
        let v = self
            .auth
            .query("app.bsky.notification.listNotifications", &params)
            .await?;
        let items: Vec<Notification> = each(&self.name, v.get("notifications"));
        let times = items.iter().map(|n| time(&n.indexed_at));
        let newest = times.clone().flatten().max();
        let caught_up = count(v.get("notifications")) == 0 || times.into_iter().any(|t| sweep.reached(t));
        let (next, more) = sweep.after_page(newest, next_cursor(&v), caught_up);
        let posts = items
            .iter()
            .filter(|n| TALKING.contains(&n.reason.as_str()))
            .filter_map(|n| n.to_post(&self.name))
            .collect();
        Ok(Page {
            posts,
            cursor: Some(next.render()),
            more,
        })
    }
}
