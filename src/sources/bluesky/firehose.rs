//! The Jetstream firehose source: one WebSocket subscribed to every new `app.bsky.feed.post`,
//! every post handed to the pipeline (which does the matching) in batches of 100 or every
//! second, the cursor (`time_us`) saved after each batch is stored. A dropped connection is
//! retried with backoff from the stored cursor rewound 5 s, so nothing in flight is lost.
//! Never writes to Bluesky.

use std::time::{Duration, Instant};

use async_trait::async_trait;
use futures_util::StreamExt;
use tokio_tungstenite::tungstenite::Message;

use super::jetstream::{self, OwnNames};
use crate::domain::Post;
use crate::sources::poll::Backoff;
use crate::sources::{Source, SourceContext, SourceError};

/// Hand posts over when this many are waiting…
const BATCH_POSTS: usize = 100;
/// …or this often, whichever comes first (each hand-over flushes the store).
const FLUSH_EVERY: Duration = Duration::from_secs(1);
/// Jetstream carries several events a second; this long without a frame is a dead link.
const SILENT_FOR: Duration = Duration::from_secs(60);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

pub struct Firehose {
    name: String,
    stream_url: String,
    names: OwnNames,
}

/// How one connection ended.
enum Ended {
    Stopped,
    /// `progressed`: the cursor moved past where the connection started.
    Dropped {
        why: String,
        progressed: bool,
    },
}

fn dropped(why: impl Into<String>) -> Ended {
    Ended::Dropped {
        why: why.into(),
        progressed: false,
    }
}

/// Posts read but not handed over yet, and the newest `time_us` read.
struct Batch {
    posts: Vec<Post>,
    last: Option<u64>,
    saved: Option<u64>,
}

impl Batch {
    fn dirty(&self) -> bool {
        !self.posts.is_empty() || self.last != self.saved
    }
}

impl Firehose {
    pub fn new(name: &str, stream_url: String, names: OwnNames) -> Firehose {
        Firehose {
            name: name.to_string(),
            stream_url,
            names,
        }
    }

    /// Connects from the stored cursor and reads until the link drops or shutdown.
    async fn connection(&mut self, cx: &mut SourceContext) -> Result<Ended, SourceError> {
        if let Err(e) = self.names.resolve(&self.name).await {
            return Ok(dropped(format!("cannot resolve the brands' own handles: {e}")));
        }
        let stored = cx.store.cursor(&self.name)?.and_then(|c| c.parse::<u64>().ok());
        let from = jetstream::resume_from(stored);
        let url = match jetstream::subscribe_url(&self.stream_url, from) {
            Ok(u) => u,
            Err(e) => return Ok(dropped(e)),
        };
        let ws = match tokio::time::timeout(CONNECT_TIMEOUT, tokio_tungstenite::connect_async(url.as_str())).await {
            Ok(Ok((ws, _))) => ws,
            Ok(Err(e)) => return Ok(dropped(format!("cannot connect to Jetstream: {e}"))),
            Err(_) => return Ok(dropped("connecting to Jetstream timed out")),
        };
        tracing::info!(source = %self.name, cursor = ?from, "connected to Jetstream");
        let mut batch = Batch {
            posts: Vec::new(),
            last: stored,
            saved: stored,
        };
        let ended = self.read(ws, cx, &mut batch).await;
        // Whatever was read before the drop is stored before anything else happens.
        self.flush(cx, &mut batch).await?;
        Ok(match ended? {
            Ended::Dropped { why, .. } => Ended::Dropped {
                why,
                progressed: batch.saved > stored,
            },
            stopped => stopped,
        })
    }

    async fn read<S>(&self, mut ws: S, cx: &mut SourceContext, batch: &mut Batch) -> Result<Ended, SourceError>
    where
        S: futures_util::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin,
    {
        let mut tick = tokio::time::interval(FLUSH_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // Silence is measured on the wall clock: the socket lives in real time even when a
        // test pauses tokio's clock.
        let mut last_frame = Instant::now();
        loop {
            tokio::select! {
                frame = ws.next() => match frame {
                    Some(Ok(Message::Text(t))) => {
                        last_frame = Instant::now();
                        self.take(t.as_str(), batch);
                        if batch.posts.len() >= BATCH_POSTS {
                            self.flush(cx, batch).await?;
                        }
                    }
                    Some(Ok(Message::Close(_))) | None => return Ok(dropped("Jetstream closed the connection")),
                    // Pings are answered by tungstenite itself.
                    Some(Ok(_)) => last_frame = Instant::now(),
                    Some(Err(e)) => return Ok(dropped(format!("the Jetstream connection broke: {e}"))),
                },
                _ = tick.tick() => {
                    self.flush(cx, batch).await?;
                    if last_frame.elapsed() > SILENT_FOR {
                        return Ok(dropped(format!("Jetstream sent nothing for {}s", SILENT_FOR.as_secs())));
                    }
                }
                _ = cx.shutdown.changed() => return Ok(Ended::Stopped),
            }
        }
    }

    /// Decodes one event into the batch; a malformed one is logged and skipped.
    fn take(&self, text: &str, batch: &mut Batch) {
        match serde_json::from_str::<jetstream::Event>(text) {
            Ok(ev) => {
                // Replayed events (after the rewind) never move the cursor backwards.
                batch.last = batch.last.max(Some(ev.time_us));
                if let Some(p) = jetstream::post(&self.name, &ev, self.names.by_did()) {
                    batch.posts.push(p);
                }
            }
            Err(e) => tracing::warn!(source = %self.name, error = %e, "skipping a malformed Jetstream event"),
        }
    }

    /// Stores the batch's posts, then saves its cursor.
    async fn flush(&self, cx: &SourceContext, batch: &mut Batch) -> Result<(), SourceError> {
        if !batch.dirty() {
            return Ok(());
        }
        let cursor = batch.last.map(|c| c.to_string()).unwrap_or_default();
        cx.deliver(&self.name, false, &batch.posts, &cursor).await?;
        cx.health.ok(&self.name, batch.posts.len(), cx.now());
        batch.posts.clear();
        batch.saved = batch.last;
        Ok(())
    }
}

#[async_trait]
impl Source for Firehose {
    fn name(&self) -> &str {
        &self.name
    }

    async fn run(mut self: Box<Self>, mut cx: SourceContext) -> Result<(), SourceError> {
        let mut backoff = Backoff::default();
        while !cx.is_stopping() {
            match self.connection(&mut cx).await? {
                Ended::Stopped => break,
                Ended::Dropped { why, progressed } => {
                    if progressed {
                        // A link that worked and then dropped starts the backoff afresh.
                        backoff.reset();
                    }
                    tracing::warn!(source = %self.name, reason = %why, failures = backoff.failures() + 1, "Jetstream connection lost; reconnecting");
                    cx.health.failed(&self.name, &why, cx.now());
                }
            }
            if cx.pause(backoff.next_delay()).await {
                break;
            }
        }
        Ok(())
    }
}
