//! The offline publisher: appends each reply as a JSON line `{"in_reply_to","text","id"}` to
//! `replies.jsonl` in the store directory (design §2, contract).

use std::path::PathBuf;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tokio::io::AsyncWriteExt;
use tokio::sync::Mutex;

use super::{PublishError, Published, Publisher, Reply};

pub struct ReplayPublisher {
    file: PathBuf,
    /// One writer at a time, so lines never interleave.
    lock: Mutex<()>,
}

#[derive(Serialize, Deserialize)]
struct Line {
    in_reply_to: String,
    text: String,
    id: String,
}

impl ReplayPublisher {
    pub fn new(store_dir: &std::path::Path) -> ReplayPublisher {
        ReplayPublisher {
            file: store_dir.join("replies.jsonl"),
            lock: Mutex::new(()),
        }
    }

    fn id_for(reply: &Reply) -> String {
        format!("reply-{}", reply.key)
    }

    async fn find(&self, id: &str) -> Result<bool, PublishError> {
        let text = match tokio::fs::read_to_string(&self.file).await {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
            Err(e) => return Err(PublishError::Transport(format!("{}: {e}", self.file.display()))),
        };
        Ok(text
            .lines()
            .filter_map(|l| serde_json::from_str::<Line>(l).ok())
            .any(|l| l.id == id))
    }
}

#[async_trait]
impl Publisher for ReplayPublisher {
    async fn publish(&self, reply: &Reply) -> Result<Published, PublishError> {
        let _guard = self.lock.lock().await;
        let id = Self::id_for(reply);
        // Idempotent by key: the same reply is never appended twice.
        if !self.find(&id).await? {
            let line = Line {
                in_reply_to: reply.in_reply_to.clone(),
                text: reply.text.clone(),
                id: id.clone(),
            };
            let mut bytes = serde_json::to_vec(&line).map_err(|e| PublishError::Transport(e.to_string()))?;
            bytes.push(b'\n');
            let io = |e: std::io::Error| PublishError::Transport(format!("{}: {e}", self.file.display()));
            let mut f = tokio::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&self.file)
                .await
                .map_err(io)?;
            f.write_all(&bytes).await.map_err(io)?;
            f.sync_data().await.map_err(io)?;
        }
        Ok(Published { post_id: id, url: None })
    }

    async fn find_existing(&self, reply: &Reply) -> Result<Option<Published>, PublishError> {
        let id = Self::id_for(reply);
        Ok(self.find(&id).await?.then_some(Published { post_id: id, url: None }))
    }
}
