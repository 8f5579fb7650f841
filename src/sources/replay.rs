//! The replay source: a JSONL file of `Post`s, read from its saved cursor and then followed for
//! appended lines like `tail -f`. Malformed lines are logged with their line number and skipped.

use std::path::PathBuf;
use std::time::Duration;

use async_trait::async_trait;
use tokio::io::{AsyncReadExt, AsyncSeekExt};

use super::{Source, SourceContext, SourceError};
use crate::domain::Post;

pub struct ReplaySource {
    name: String,
    path: PathBuf,
    every: Duration,
}

/// Where reading stopped: a byte offset just after a complete line, and that line's number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Cursor {
    offset: u64,
    line: usize,
}

impl Cursor {
    fn parse(s: &str) -> Cursor {
        let (o, l) = s.split_once('@').unwrap_or((s, "0"));
        Cursor {
            offset: o.parse().unwrap_or(0),
            line: l.parse().unwrap_or(0),
        }
    }

    fn render(self) -> String {
        format!("{}@{}", self.offset, self.line)
    }
}

/// One batch read from the file.
pub struct Batch {
    pub posts: Vec<Post>,
    pub skipped: usize,
    cursor: Cursor,
}

impl ReplaySource {
    pub fn new(name: &str, path: PathBuf, every: Duration) -> ReplaySource {
        ReplaySource {
            name: name.to_string(),
            path,
            every,
        }
    }

    /// Reads every complete line after the cursor.
    async fn read_new(&self, from: Cursor) -> Result<Batch, SourceError> {
        let io = |e: std::io::Error| SourceError::Io(format!("{}: {e}", self.path.display()));
        let mut file = tokio::fs::File::open(&self.path).await.map_err(io)?;
        let len = file.metadata().await.map_err(io)?.len();
        // A file that shrank was replaced: start it again from the top.
        let from = if len < from.offset { Cursor::default() } else { from };
        file.seek(std::io::SeekFrom::Start(from.offset)).await.map_err(io)?;
        let mut buf = Vec::new();
        file.read_to_end(&mut buf).await.map_err(io)?;
        // Only whole lines: a line still being written is read next time.
        let complete = buf.iter().rposition(|b| *b == b'\n').map(|i| i + 1).unwrap_or(0);
        let mut batch = Batch {
            posts: Vec::new(),
            skipped: 0,
            cursor: from,
        };
        for raw in buf[..complete].split(|b| *b == b'\n') {
            if batch.cursor.offset >= from.offset + complete as u64 {
                break;
            }
            batch.cursor.offset += raw.len() as u64 + 1;
            batch.cursor.line += 1;
            let text = String::from_utf8_lossy(raw);
            if text.trim().is_empty() {
                continue;
            }
            match serde_json::from_str::<Post>(&text) {
                Ok(p) => batch.posts.push(p),
                Err(e) => {
                    batch.skipped += 1;
                    tracing::warn!(source = %self.name, file = %self.path.display(), line = batch.cursor.line, error = %e, "skipping a malformed post");
                }
            }
        }
        Ok(batch)
    }

    /// Reads what is new, hands it to the pipeline and moves the cursor. Returns the batch.
    pub async fn poll_once(&self, cx: &SourceContext) -> Result<Batch, SourceError> {
        let from = cx
            .store
            .cursor(&self.name)?
            .map(|c| Cursor::parse(&c))
            .unwrap_or_default();
        let batch = self.read_new(from).await?;
        if batch.cursor != from {
            cx.deliver(&self.name, true, &batch.posts, &batch.cursor.render())
                .await?;
        }
        Ok(batch)
    }
}

#[async_trait]
impl Source for ReplaySource {
    fn name(&self) -> &str {
        &self.name
    }

    async fn run(self: Box<Self>, mut cx: SourceContext) -> Result<(), SourceError> {
        loop {
            if let Err(e) = self.poll_once(&cx).await {
                // A missing or unreadable file may appear later; keep following it.
                tracing::warn!(source = %self.name, error = %e, "replay source cannot read its file");
            }
            if cx.pause(self.every).await {
                return Ok(());
            }
        }
    }
}
