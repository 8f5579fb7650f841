//! Polls one newest-first Reddit listing (search, a subreddit's new posts or comments, a user's
//! overview) and catches up with `after` until it meets the cursor. The cursor is the newest
//! thing seen; it moves only when a whole catch-up walk has been handed over, so an interruption
//! re-reads (the store drops duplicates) rather than skipping anything.

use std::sync::Arc;

use async_trait::async_trait;

use super::api::Api;
use super::listing::{Listing, Mark};
use crate::sources::http::FetchError;
use crate::sources::poll::{Fetch, Page};

/// Reddit's largest page.
const LIMIT: &str = "100";

/// A catch-up in progress: where the next older page starts, and the cursor to save at the end.
struct Walk {
    after: String,
    newest: Mark,
}

pub(super) struct ListingFetch {
    api: Arc<Api>,
    /// The poller's name, for logs.
    name: String,
    path: String,
    params: Vec<(&'static str, String)>,
    walk: Option<Walk>,
}

impl ListingFetch {
    pub fn new(api: Arc<Api>, name: &str, path: String, params: Vec<(&'static str, String)>) -> ListingFetch {
        ListingFetch {
            api,
            name: name.to_string(),
            path,
            params,
            walk: None,
        }
    }

    fn query(&self) -> Vec<(&str, String)> {
        let mut q: Vec<(&str, String)> = self.params.iter().map(|(k, v)| (*k, v.clone())).collect();
        q.push(("limit", LIMIT.to_string()));
        if let Some(w) = &self.walk {
            q.push(("after", w.after.clone()));
        }
        q
    }
}

#[async_trait]
impl Fetch for ListingFetch {
    async fn fetch(&mut self, cursor: Option<&str>) -> Result<Page, FetchError> {
        let mark = cursor.filter(|c| !c.is_empty()).map(Mark::parse);
        let value = self.api.get(&self.path, &self.query()).await?;
        let listing = Listing::parse(&self.name, &value)?;
        let newest = match self.walk.take() {
            Some(w) => Some(w.newest),
            None => listing.things.first().map(|t| t.mark()),
        };
        let mut reached = false;
        let mut posts = Vec::new();
        for thing in listing.things {
            if mark.as_ref().is_some_and(|m| m.reached_by(&thing)) {
                reached = true;
                break;
            }
            posts.push(thing.into_post());
        }
        // Oldest first, so a parent is stored before a reply to it read in the same page.
        posts.reverse();
        // A first poll takes only the newest page: the backlog is history, not news.
        let done = mark.is_none() || reached || listing.after.is_none() || posts.is_empty();
        match (done, listing.after, newest) {
            (false, Some(after), Some(newest)) => {
                self.walk = Some(Walk { after, newest });
                Ok(Page {
                    posts,
                    cursor: None,
                    more: true,
                })
            }
            (_, _, newest) => Ok(Page {
                posts,
                cursor: newest.map(|m| m.render()),
                more: false,
            }),
        }
    }
}
