//! Sources turn a network's API into normalized `Post`s. Each source keeps its own cursor in the
//! store and hands its posts to the pipeline through `SourceContext::deliver`, which stores the
//! mentions before the cursor moves. Sources never talk to chat or publish anything.

pub mod bluesky;
pub mod hackernews;
pub mod health;
pub mod http;
pub mod mastodon;
pub mod poll;
pub mod reddit;
pub mod replay;
pub mod rss;
pub mod text;
pub mod x;

use std::sync::Arc;

use async_trait::async_trait;
use tokio::sync::watch;

use crate::clock::SharedClock;
use crate::config::{BrandConfig, SourceConfig};
use crate::domain::{Network, Post};
use crate::pipeline::Pipeline;
use crate::store::{Store, StoreError};

pub use health::{Health, SourceHealth};
pub use replay::ReplaySource;

#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Io(String),
}

/// What a running source gets: the store for its cursor, the pipeline for its posts, and a
/// signal that says when to stop.
#[derive(Clone)]
pub struct SourceContext {
    pub store: Store,
    pub pipeline: Arc<Pipeline>,
    pub shutdown: watch::Receiver<bool>,
    pub health: Health,
    pub clock: SharedClock,
}

impl SourceContext {
    /// Stores the mentions in `posts` (flushed), then moves the source's cursor.
    pub async fn deliver(&self, source: &str, replayed: bool, posts: &[Post], cursor: &str) -> Result<(), SourceError> {
        let report = self.pipeline.ingest(posts, replayed).await?;
        crate::metrics::mentions_ingested(source, report.new_mentions.len());
        self.store.set_cursor(source, cursor).await?;
        Ok(())
    }

    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }

    pub fn is_stopping(&self) -> bool {
        *self.shutdown.borrow()
    }

    /// Sleeps for `d`, or less if shutdown starts; true when the source should stop.
    pub async fn pause(&mut self, d: std::time::Duration) -> bool {
        if self.is_stopping() {
            return true;
        }
        tokio::select! {
            _ = tokio::time::sleep(d) => self.is_stopping(),
            _ = self.shutdown.changed() => true,
        }
    }
}

/// What a network module gets to build its sources from one `[[sources]]` table.
pub struct Setup<'a> {
    pub source: &'a SourceConfig,
    pub brands: &'a [BrandConfig],
    pub http: reqwest::Client,
}

impl Setup<'_> {
    /// What to send to a search API: the source's `query`, else every brand's positive terms
    /// joined with OR (phrases quoted). Results still go through the brand queries.
    pub fn search_query(&self) -> String {
        if let Some(q) = &self.source.query {
            return q.clone();
        }
        self.search_terms()
            .iter()
            .map(|t| if t.contains(' ') { format!("\"{t}\"") } else { t.clone() })
            .collect::<Vec<_>>()
            .join(" OR ")
    }

    /// Every brand's positive terms, without duplicates, in config order.
    pub fn search_terms(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for b in self.brands {
            for t in b.query.search_terms() {
                if !out.contains(&t) {
                    out.push(t);
                }
            }
        }
        out
    }

    /// The handles of the brands' own accounts on this source's network.
    pub fn own_accounts(&self) -> Vec<String> {
        let mut out = Vec::new();
        for b in self.brands {
            for a in &b.own_accounts {
                if a.network == self.source.kind && !out.contains(&a.handle.as_str().to_string()) {
                    out.push(a.handle.as_str().to_string());
                }
            }
        }
        out
    }

    /// A cursor key for one part of this source (`mastodon/notifications`).
    pub fn part(&self, part: &str) -> String {
        format!("{}/{part}", self.source.name)
    }
}

/// Every source one `[[sources]]` table asks for (a network may need several: notifications,
/// hashtags, a stream, the own-account watcher).
pub fn build(setup: &Setup) -> Result<Vec<Box<dyn Source>>, String> {
    let s = setup.source;
    match s.kind {
        Network::Replay => {
            let path = s.path.clone().ok_or("a replay source needs `path`")?;
            Ok(vec![Box::new(ReplaySource::new(&s.name, path, s.every.as_std()))])
        }
        Network::Bluesky => bluesky::build(setup),
        Network::Hackernews => Ok(hackernews::build(setup)),
        Network::Rss => rss::build(setup),
        Network::Reddit => reddit::build(setup),
        Network::X => x::build(setup),
        Network::Mastodon => mastodon::build(setup),
    }
}

/// Produces posts until told to stop; keeps its own cursor in the store.
#[async_trait]
pub trait Source: Send {
    fn name(&self) -> &str;
    async fn run(self: Box<Self>, cx: SourceContext) -> Result<(), SourceError>;
}
