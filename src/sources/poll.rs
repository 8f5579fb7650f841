//! The poll driver shared by every polling source: fetch pages until caught up, hand posts to the
//! pipeline, move the cursor only after they are stored, wait `every`, honour rate limits and
//! back off with jitter on errors. A network module only says how to fetch one page.

use std::time::Duration;

use async_trait::async_trait;
use rand::Rng;

use super::http::FetchError;
use super::{Source, SourceContext, SourceError};
use crate::domain::Post;

/// What one fetch returned.
#[derive(Debug, Default)]
pub struct Page {
    pub posts: Vec<Post>,
    /// Where the next fetch starts; `None` keeps the current cursor.
    pub cursor: Option<String>,
    /// More pages are waiting now (keep going before sleeping).
    pub more: bool,
}

/// One network endpoint that can be polled.
#[async_trait]
pub trait Fetch: Send {
    async fn fetch(&mut self, cursor: Option<&str>) -> Result<Page, FetchError>;
}

/// Exponential backoff with full jitter: 2s, 4s, 8s … up to 15 minutes.
#[derive(Debug, Clone)]
pub struct Backoff {
    failures: u32,
    base: Duration,
    max: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            failures: 0,
            base: Duration::from_secs(2),
            max: Duration::from_secs(15 * 60),
        }
    }
}

impl Backoff {
    /// The wait before the next try after one more failure.
    pub fn next_delay(&mut self) -> Duration {
        self.failures = self.failures.saturating_add(1);
        let exp = self.base.saturating_mul(1u32 << self.failures.min(16)).min(self.max);
        let half = exp / 2;
        half + Duration::from_millis(rand::rng().random_range(0..=half.as_millis() as u64))
    }

    pub fn reset(&mut self) {
        self.failures = 0;
    }

    pub fn failures(&self) -> u32 {
        self.failures
    }
}

/// At most this many pages in one round, so one busy endpoint cannot starve the rest.
const MAX_PAGES_PER_ROUND: usize = 50;

/// A `Source` made of a `Fetch` and a schedule.
pub struct Poller {
    name: String,
    every: Duration,
    fetch: Box<dyn Fetch>,
}

impl Poller {
    pub fn new(name: &str, every: Duration, fetch: Box<dyn Fetch>) -> Poller {
        Poller {
            name: name.to_string(),
            every,
            fetch,
        }
    }

    /// One round: pages until caught up. Returns how long to wait before the next round.
    pub async fn round(&mut self, cx: &SourceContext, backoff: &mut Backoff) -> Result<Duration, SourceError> {
        for _ in 0..MAX_PAGES_PER_ROUND {
            let cursor = cx.store.cursor(&self.name)?;
            match self.fetch.fetch(cursor.as_deref()).await {
                Ok(page) => {
                    backoff.reset();
                    cx.health.ok(&self.name, page.posts.len(), cx.now());
                    let next = page.cursor.or(cursor).unwrap_or_default();
                    cx.deliver(&self.name, false, &page.posts, &next).await?;
                    if !page.more {
                        return Ok(self.every);
                    }
                }
                Err(FetchError::RateLimited(after)) => {
                    let wait = after.unwrap_or(Duration::from_secs(60)).max(Duration::from_secs(1));
                    tracing::warn!(source = %self.name, "rate limited; waiting {}s", wait.as_secs());
                    cx.health.failed(&self.name, "rate limited", cx.now());
                    return Ok(wait);
                }
                Err(e) => {
                    let wait = backoff.next_delay();
                    tracing::warn!(source = %self.name, error = %e, failures = backoff.failures(), "fetch failed; retrying in {}s", wait.as_secs());
                    cx.health.failed(&self.name, &e.to_string(), cx.now());
                    return Ok(wait);
                }
            }
        }
        Ok(Duration::ZERO)
    }
}

#[async_trait]
impl Source for Poller {
    fn name(&self) -> &str {
        &self.name
    }

    async fn run(mut self: Box<Self>, mut cx: SourceContext) -> Result<(), SourceError> {
        let mut backoff = Backoff::default();
        loop {
            let wait = self.round(&cx, &mut backoff).await?;
            if cx.pause(wait).await {
                return Ok(());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_with_jitter_and_caps() {
        let mut b = Backoff::default();
        let first = b.next_delay();
        assert!(
            first >= Duration::from_secs(2) && first <= Duration::from_secs(4),
            "{first:?}"
        );
        for _ in 0..30 {
            assert!(b.next_delay() <= Duration::from_secs(15 * 60));
        }
        b.reset();
        assert_eq!(b.failures(), 0);
    }
}
