//! Polls one X tweet list — recent search, or one own account's timeline — with `since_id` as
//! the cursor. A round pages with the continuation token until X has no more; the cursor becomes
//! the first page's `meta.newest_id` only on the last page, so an interruption re-reads (the
//! store drops duplicates) rather than skipping anything.

use std::sync::Arc;

use async_trait::async_trait;
use tokio::time::Instant;

use super::api::Api;
use super::tweets::{TweetsPage, TWEET_FIELDS};
use crate::sources::http::{self, FetchError};
use crate::sources::poll::{Fetch, Page};

pub(super) enum Endpoint {
    Search {
        query: String,
    },
    /// The id is looked up once, on first use.
    Timeline {
        username: String,
        user_id: Option<String>,
    },
}

/// A round in progress: the continuation token and the cursor to save at its end.
struct Walk {
    token: String,
    newest: Option<String>,
}

pub(super) struct TweetsFetch {
    api: Arc<Api>,
    /// The poller's name, for logs.
    name: String,
    endpoint: Endpoint,
    walk: Option<Walk>,
    /// No request before this: the endpoint's 15-minute budget is spent.
    resume_at: Option<Instant>,
}

impl TweetsFetch {
    pub fn new(api: Arc<Api>, name: &str, endpoint: Endpoint) -> TweetsFetch {
        TweetsFetch {
            api,
            name: name.to_string(),
            endpoint,
            walk: None,
            resume_at: None,
        }
    }

    /// The path, the extra query and the name of the continuation parameter (search pages with
    /// `next_token`, timelines with `pagination_token`).
    async fn target(&mut self) -> Result<(String, Vec<(&'static str, String)>, &'static str), FetchError> {
        match &mut self.endpoint {
            Endpoint::Search { query } => Ok((
                "/2/tweets/search/recent".into(),
                vec![("query", query.clone())],
                "next_token",
            )),
            Endpoint::Timeline { username, user_id } => {
                let id = match user_id {
                    Some(id) => id.clone(),
                    None => user_id.insert(self.api.user_id(username).await?).clone(),
                };
                Ok((format!("/2/users/{id}/tweets"), Vec::new(), "pagination_token"))
            }
        }
    }

    /// Recent search refuses a `since_id` older than its 7-day window (after a long outage):
    /// the posts in between are out of reach anyway, so start again from the newest page.
    fn start_over(&mut self) -> Page {
        tracing::warn!(source = %self.name, "x: the cursor is older than the search window; starting from now");
        self.walk = None;
        Page {
            posts: Vec::new(),
            cursor: Some(String::new()),
            more: true,
        }
    }

    fn fallback_author(&self) -> Option<&str> {
        match &self.endpoint {
            Endpoint::Timeline { username, .. } => Some(username),
            Endpoint::Search { .. } => None,
        }
    }
}

/// X answers an out-of-window `since_id` with 400 and `errors[].parameters.since_id`;
/// `http::send` puts the status and the start of that body in the message.
fn is_stale_since_id(e: &FetchError) -> bool {
    matches!(e, FetchError::Rejected(m) if m.starts_with("HTTP 400") && m.contains("since_id"))
}

#[async_trait]
impl Fetch for TweetsFetch {
    async fn fetch(&mut self, cursor: Option<&str>) -> Result<Page, FetchError> {
        if let Some(at) = self.resume_at.filter(|at| *at > Instant::now()) {
            return Err(FetchError::RateLimited(Some(at - Instant::now())));
        }
        let cursor = cursor.filter(|c| !c.is_empty());
        let (path, mut query, continuation) = self.target().await?;
        query.push(("max_results", "100".into()));
        query.push(("tweet.fields", TWEET_FIELDS.into()));
        query.push(("expansions", "author_id".into()));
        query.push(("user.fields", "username,name".into()));
        if let Some(since) = cursor {
            query.push(("since_id", since.to_string()));
        }
        if let Some(w) = &self.walk {
            query.push((continuation, w.token.clone()));
        }
        let (value, headers) = match self.api.get(&path, &query).await {
            Err(e) if cursor.is_some() && is_stale_since_id(&e) => return Ok(self.start_over()),
            other => other?,
        };
        // A 200 that spends the last request of the window: wait for the reset.
        self.resume_at = http::retry_after(&headers).map(|d| Instant::now() + d);
        let page = TweetsPage::parse(&self.name, &value, self.fallback_author())?;
        let newest = match self.walk.take() {
            Some(w) => w.newest,
            None => page.newest_id,
        };
        let mut posts = page.posts;
        // Oldest first, so a parent is stored before a reply to it read in the same page.
        posts.reverse();
        // A first poll takes only the newest page: the backlog is history, not news.
        match page.next_token.filter(|_| cursor.is_some()) {
            Some(token) => {
                self.walk = Some(Walk { token, newest });
                Ok(Page {
                    posts,
                    cursor: None,
                    more: true,
                })
            }
            None => Ok(Page {
                posts,
                cursor: newest,
                more: false,
            }),
        }
    }
}
