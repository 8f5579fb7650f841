//! Sources turn a network's API into normalized `Post`s. Each source keeps its own cursor in the
//! store and hands its posts to the pipeline through `SourceContext::deliver`, which stores the
//! mentions before the cursor moves. Sources never talk to chat or publish anything.

pub mod http;
pub mod replay;
pub mod text;

use std::sync::Arc;

use async_trait::async_trait;
use tokio::sync::watch;

use crate::domain::Post;
use crate::pipeline::Pipeline;
use crate::store::{Store, StoreError};

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
}

impl SourceContext {
    /// Stores the mentions in `posts` (flushed), then moves the source's cursor.
    pub async fn deliver(&self, source: &str, replayed: bool, posts: &[Post], cursor: &str) -> Result<(), SourceError> {
        self.pipeline.ingest(posts, replayed).await?;
        self.store.set_cursor(source, cursor).await?;
        Ok(())
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

/// Produces posts until told to stop; keeps its own cursor in the store.
#[async_trait]
pub trait Source: Send {
    fn name(&self) -> &str;
    async fn run(self: Box<Self>, cx: SourceContext) -> Result<(), SourceError>;
}
