//! Mastodon's streaming API (server-sent events): the public, hashtag and user streams. Posts are
//! handed to the pipeline as they arrive (the brand queries do the matching). On every (re)connect
//! the REST timeline behind the stream is read forward from the cursor before the stream is,
//! so whatever was posted while disconnected still arrives; duplicates are the store's to drop.
//! The cursor holds one id per REST feed (`statuses,notifications`).

use std::time::Duration;

use async_trait::async_trait;
use futures_util::StreamExt;
use rand::Rng;
use reqwest::StatusCode;

use super::api::{self, Api};
use super::sse::{Event, Parser};
use super::status::{Convert, Notification, Status};
use super::timeline::Timeline;
use crate::domain::Post;
use crate::sources::http::FetchError;
use crate::sources::poll::Backoff;
use crate::sources::{Source, SourceContext, SourceError};

/// Backfill at most this many pages per reconnect, so a long outage on a busy federated
/// timeline cannot keep the stream from starting.
const MAX_BACKFILL_PAGES: usize = 50;

/// Mastodon sends a heartbeat every few seconds; this long without a byte means a dead link.
const IDLE: Duration = Duration::from_secs(90);

pub struct Stream {
    name: String,
    api: Api,
    /// The streaming host's root (often the instance itself).
    root: String,
    path: String,
    query: Vec<(String, String)>,
    convert: Convert,
    /// Slot 0: the statuses feed behind `update` events; slot 1 (user stream only): mention
    /// notifications behind `notification` events.
    feeds: Vec<Timeline>,
}

/// How a session ended without an error worth backing off for.
enum Ended {
    Stopping,
    /// The server or the network closed the stream; `worked` when it had sent anything.
    Dropped {
        why: String,
        worked: bool,
    },
}

enum Failure {
    Fetch(FetchError),
    Store(SourceError),
}

impl From<FetchError> for Failure {
    fn from(e: FetchError) -> Self {
        Failure::Fetch(e)
    }
}

impl From<SourceError> for Failure {
    fn from(e: SourceError) -> Self {
        Failure::Store(e)
    }
}

impl Stream {
    pub fn new(name: &str, api: &Api, root: &str, path: &str, convert: &Convert, feeds: Vec<Timeline>) -> Stream {
        Stream {
            name: name.to_string(),
            api: api.clone(),
            root: root.to_string(),
            path: path.to_string(),
            query: Vec::new(),
            convert: convert.clone(),
            feeds,
        }
    }

    pub fn param(mut self, key: &str, value: &str) -> Stream {
        self.query.push((key.to_string(), value.to_string()));
        self
    }

    /// The stored cursor, one slot per feed.
    fn cursor(&self, cx: &SourceContext) -> Result<Vec<Option<String>>, SourceError> {
        let stored = cx.store.cursor(&self.name)?.unwrap_or_default();
        let mut slots: Vec<Option<String>> = stored
            .split(',')
            .map(|s| Some(s.trim().to_string()).filter(|s| !s.is_empty()))
            .collect();
        slots.resize(self.feeds.len(), None);
        Ok(slots)
    }

    async fn deliver(&self, cx: &SourceContext, posts: &[Post], slots: &[Option<String>]) -> Result<(), SourceError> {
        let cursor = slots
            .iter()
            .map(|s| s.as_deref().unwrap_or(""))
            .collect::<Vec<_>>()
            .join(",");
        cx.deliver(&self.name, false, posts, &cursor).await?;
        cx.health.ok(&self.name, posts.len(), cx.now());
        Ok(())
    }

    async fn connect(&self) -> Result<reqwest::Response, FetchError> {
        self.api.check_budget()?;
        let req = self
            .api
            .get_at(&self.root, &self.path)
            .query(&self.query)
            .header("accept", "text/event-stream")
            // The client's whole-request timeout would cut a healthy stream; idleness is
            // watched below instead.
            .timeout(Duration::from_secs(24 * 3600));
        let resp = req
            .send()
            .await
            .map_err(|e| FetchError::Transient(format!("stream: {}", e.without_url())))?;
        self.api.observe(resp.headers());
        let status = resp.status();
        if status.is_success() {
            return Ok(resp);
        }
        Err(match status {
            StatusCode::TOO_MANY_REQUESTS => self.api.rate_limited(resp.headers()),
            s if s.is_server_error() => FetchError::Transient(format!("stream: HTTP {s}")),
            s => FetchError::Rejected(format!("stream: HTTP {s}")),
        })
    }

    /// Reads each feed forward from its slot, so nothing posted while disconnected is lost.
    /// A slot without a cursor (the first run) reads the newest page, as a poller's first poll.
    async fn backfill(&self, cx: &SourceContext, slots: &mut [Option<String>]) -> Result<(), Failure> {
        for (i, feed) in self.feeds.iter().enumerate() {
            let mut pages = 0;
            loop {
                let page = feed.page(slots[i].as_deref()).await?;
                slots[i] = page.cursor.or(slots[i].take());
                self.deliver(cx, &page.posts, slots).await?;
                pages += 1;
                if !page.more {
                    break;
                }
                if pages == MAX_BACKFILL_PAGES {
                    tracing::warn!(source = %self.name, pages, "backfill stopped early; the rest of the outage may be skipped");
                    break;
                }
            }
        }
        Ok(())
    }

    /// One connection: connect, catch up, then follow the stream until it ends.
    async fn session(&self, cx: &mut SourceContext, backoff: &mut Backoff) -> Result<Ended, Failure> {
        let resp = self.connect().await?;
        let mut slots = self.cursor(cx)?;
        self.backfill(cx, &mut slots).await?;
        tracing::info!(source = %self.name, "stream connected");
        let mut body = std::pin::pin!(resp.bytes_stream());
        let mut parser = Parser::default();
        let mut worked = false;
        loop {
            let chunk = tokio::select! {
                c = tokio::time::timeout(IDLE, body.next()) => c,
                _ = cx.shutdown.changed() => return Ok(Ended::Stopping),
            };
            let why = match chunk {
                Err(_) => format!("nothing for {}s", IDLE.as_secs()),
                Ok(None) => "the server closed the stream".into(),
                Ok(Some(Err(e))) => e.without_url().to_string(),
                Ok(Some(Ok(bytes))) => {
                    if !worked {
                        worked = true;
                        backoff.reset();
                    }
                    let posts = self.read(parser.push(&bytes), &mut slots);
                    if posts.is_empty() {
                        // Heartbeats say the stream is alive, even when nobody posts.
                        cx.health.ok(&self.name, 0, cx.now());
                    } else {
                        self.deliver(cx, &posts, &slots).await?;
                    }
                    continue;
                }
            };
            return Ok(Ended::Dropped { why, worked });
        }
    }

    /// The posts `events` bring; moves each slot to the newest id seen.
    fn read(&self, events: Vec<Event>, slots: &mut [Option<String>]) -> Vec<Post> {
        let mut posts = Vec::new();
        for e in events {
            let (slot, id, post) = match e.name.as_str() {
                "update" | "status.update" => match serde_json::from_str::<Status>(&e.data) {
                    Ok(s) => (0, s.id.clone(), self.convert.post(&s)),
                    Err(err) => {
                        tracing::warn!(source = %self.name, error = %err, "skipping a malformed status");
                        continue;
                    }
                },
                "notification" if slots.len() > 1 => match serde_json::from_str::<Notification>(&e.data) {
                    Ok(n) => (1, n.id.clone(), self.convert.mention(&n)),
                    Err(err) => {
                        tracing::warn!(source = %self.name, error = %err, "skipping a malformed notification");
                        continue;
                    }
                },
                _ => continue,
            };
            slots[slot] = api::newest(slots[slot].as_deref(), Some(&id)).map(str::to_string);
            posts.extend(post);
        }
        posts
    }
}

#[async_trait]
impl Source for Stream {
    fn name(&self) -> &str {
        &self.name
    }

    async fn run(self: Box<Self>, mut cx: SourceContext) -> Result<(), SourceError> {
        let mut backoff = Backoff::default();
        loop {
            if cx.is_stopping() {
                return Ok(());
            }
            let wait = match self.session(&mut cx, &mut backoff).await {
                Ok(Ended::Stopping) => return Ok(()),
                Ok(Ended::Dropped { why, worked }) => {
                    // A stream that worked is picked up again at once (a little jitter so a
                    // restarted server is not hit by every client in the same instant); one that
                    // closes before sending anything is failing, and backs off.
                    let wait = if worked {
                        Duration::from_millis(rand::rng().random_range(0..=500))
                    } else {
                        backoff.next_delay()
                    };
                    tracing::warn!(source = %self.name, reason = %why, "stream dropped; reconnecting in {}ms", wait.as_millis());
                    wait
                }
                Err(Failure::Store(e)) => return Err(e),
                Err(Failure::Fetch(FetchError::RateLimited(after))) => {
                    let wait = after.unwrap_or(Duration::from_secs(60));
                    tracing::warn!(source = %self.name, "rate limited; reconnecting in {}s", wait.as_secs());
                    cx.health.failed(&self.name, "rate limited", cx.now());
                    wait
                }
                Err(Failure::Fetch(e)) => {
                    let wait = backoff.next_delay();
                    tracing::warn!(source = %self.name, error = %e, failures = backoff.failures(), "stream failed; retrying in {}s", wait.as_secs());
                    cx.health.failed(&self.name, &e.to_string(), cx.now());
                    wait
                }
            };
            if cx.pause(wait).await {
                return Ok(());
            }
        }
    }
}
