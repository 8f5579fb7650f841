//! The own-account watcher: reads a brand account's `app.bsky.feed.getAuthorFeed` (posts and
//! replies, plus its reposts) so the pipeline can record each in the activity ledger. A repost
//! becomes a post with `repost_of` (a share); a reply keeps `reply_to` = its parent's at-uri
//! (a reply, or a broadcast when the parent is the brand's own). Read-only.

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::Value;

use super::lexicon::{FeedItem, PostView};
use super::session::Auth;
use super::sweep::Sweep;
use super::xrpc::Xrpc;
use crate::domain::Post;
use crate::sources::http::{each, FetchError};
use crate::sources::poll::{Fetch, Page};

const FEED_LIMIT: &str = "50";

pub struct OwnFeed {
    name: String,
    handle: String,
    xrpc: Xrpc,
    /// The feed is public; with a session the call goes through the PDS (which proxies
    /// `app.bsky.*` to the AppView only for signed-in calls), else `xrpc` is a public AppView.
    auth: Option<Arc<Auth>>,
}

impl OwnFeed {
    pub fn new(name: &str, handle: &str, xrpc: Xrpc, auth: Option<Arc<Auth>>) -> OwnFeed {
        OwnFeed {
            name: name.to_string(),
            handle: handle.to_string(),
            xrpc,
            auth,
        }
    }

    async fn query(&self, params: &[(&str, String)]) -> Result<Value, FetchError> {
        let method = "app.bsky.feed.getAuthorFeed";
        match &self.auth {
            Some(a) => a.query(method, params).await,
            None => Ok(self.xrpc.query(method, params, None).await?),
        }
    }
}

/// What one feed item says the brand did, oldest first: a self-thread's parent comes before
/// the reply, so the ledger already knows it when the reply is classified.
fn own_posts(item: &FeedItem) -> Vec<Post> {
    if let Some(repost) = item.repost() {
        return vec![repost.to_post(&item.post)];
    }
    let mut out = Vec::new();
    if let Some(parent) = item.parent().filter(|p| same_author(p, &item.post)) {
        out.push(parent.to_post());
    }
    out.push(item.post.to_post());
    out
}

fn same_author(a: &PostView, b: &PostView) -> bool {
    a.author.did == b.author.did
}

#[async_trait]
impl Fetch for OwnFeed {
    async fn fetch(&mut self, cursor: Option<&str>) -> Result<Page, FetchError> {
        let sweep = Sweep::parse(&self.name, cursor);
        let mut params = vec![
            ("actor", self.handle.clone()),
            ("filter", "posts_with_replies".to_string()),
            ("limit", FEED_LIMIT.to_string()),
        ];
        if let Some(page) = &sweep.page {
            params.push(("cursor", page.clone()));
        }
        let v = self.query(&params).await?;
        let items: Vec<FeedItem> = each(&self.name, v.get("feed"));
        let newest = items.iter().filter_map(FeedItem::feed_time).max();
        let empty = v.get("feed").and_then(Value::as_array).is_none_or(Vec::is_empty);
        let caught_up = empty || items.iter().any(|i| sweep.reached(i.feed_time()));
        let next_page = v.get("cursor").and_then(Value::as_str).map(str::to_string);
        let (next, more) = sweep.after_page(newest, next_page, caught_up);
        // The feed is newest first; the ledger wants a thread's start before its replies.
        let posts = items.iter().rev().flat_map(own_posts).collect();
        Ok(Page {
            posts,
            cursor: Some(next.render()),
            more,
        })
    }
}
