//! The store: mentions and their lifecycle, source cursors, the outbox, the activity ledger and
//! the audit log, on sled. The only module that touches sled; it never talks to a network or chat.
//!
//! Durability rule: anything that cannot be repeated is flushed before it is acknowledged — a
//! mention before its source cursor moves, a reply intent before its publish.

mod export;
mod jobs;
mod mention;
mod mentions;
mod prune;
mod records;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use serde::de::DeserializeOwned;
use serde::Serialize;

pub use mention::{
    Draft, Drafts, HistoryEntry, LifecycleError, Mention, MentionState, MessageRef, SentReply, TriageResult,
};
pub use mentions::{Ingested, Joined};
pub use prune::Pruned;
pub use records::{ActivityEntry, ActivityKind, AuditEntry, OutboxEntry, OutboxState};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the store at {path}: {source}")]
    Open { path: PathBuf, source: sled::Error },
    #[error("store I/O failed: {0}")]
    Sled(#[from] sled::Error),
    #[error("the store holds a record it cannot read ({what}): {source}")]
    Corrupt { what: String, source: serde_json::Error },
    #[error("no mention {0}")]
    NoSuchMention(crate::domain::MentionId),
    #[error(transparent)]
    Lifecycle(#[from] LifecycleError),
    #[error("import: line {line}: {message}")]
    Import { line: usize, message: String },
    #[error("import needs an empty store, but {0} already holds data")]
    NotEmpty(PathBuf),
    #[error("export/import I/O failed: {0}")]
    Io(#[from] std::io::Error),
}

/// A handle to the store; cheap to clone, safe to share between tasks.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    db: sled::Db,
    meta: sled::Tree,
    mentions: sled::Tree,
    /// `network \0 post id \0 brand` → mention id: one mention per (post, brand).
    by_post: sled::Tree,
    /// `network \0 post id` → mention ids whose conversation contains that post.
    threads: sled::Tree,
    /// Ids of mentions still `new` (alert not posted), so a restart posts them.
    pending: sled::Tree,
    cursors: sled::Tree,
    outbox: sled::Tree,
    audit: sled::Tree,
    activity: sled::Tree,
    /// Serializes read-modify-write sequences; sled keeps each single write atomic.
    write: Mutex<()>,
}

const NEXT_MENTION_ID: &[u8] = b"next_mention_id";
const NEXT_AUDIT_SEQ: &[u8] = b"next_audit_seq";

/// The default of `[store] cache_mb`: sled's page cache, in MiB.
///
/// sled 0.34's own default is 1 GiB, and it fills that as the store grows (a soak of a million
/// mentions reached 1.3 GiB resident at 400,000, still climbing): far too much for a bot beside
/// other services. What talkback reads back is small and recent (new mentions, pending alerts,
/// the dedupe index of the last posts); older pages come from the OS's file cache when a command
/// asks for them, so a small cache costs little (see `tests/soak.rs` for the figures).
pub const DEFAULT_CACHE_MB: u64 = 64;

impl Store {
    /// Opens the store with the default page cache ([`DEFAULT_CACHE_MB`]).
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        Store::open_with_cache(path, DEFAULT_CACHE_MB)
    }

    /// Opens the store with a page cache of at most `cache_mb` MiB (`[store] cache_mb`).
    pub fn open_with_cache(path: &Path, cache_mb: u64) -> Result<Store, StoreError> {
        let db = open_db(path, cache_mb.saturating_mul(1 << 20)).map_err(|source| StoreError::Open {
            path: path.to_path_buf(),
            source,
        })?;
        let tree = |name: &str| db.open_tree(name);
        let inner = Inner {
            path: path.to_path_buf(),
            meta: tree("meta")?,
            mentions: tree("mentions")?,
            by_post: tree("by_post")?,
            threads: tree("threads")?,
            pending: tree("pending")?,
            cursors: tree("cursors")?,
            outbox: tree("outbox")?,
            audit: tree("audit")?,
            activity: tree("activity")?,
            write: Mutex::new(()),
            db,
        };
        Ok(Store { inner: Arc::new(inner) })
    }

    /// The store's directory (the replay publisher writes `replies.jsonl` beside the trees).
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Waits until everything written so far is on disk.
    ///
    /// Not sled's `flush_async`: in 0.34 several of them at once (one per source delivering)
    /// can take every thread of sled's own pool waiting for a log write queued behind them, and
    /// then no flush ever returns (spacejam/sled#1308). The blocking flush runs on tokio's pool.
    pub async fn flush(&self) -> Result<(), StoreError> {
        let db = self.inner.db.clone();
        tokio::task::spawn_blocking(move || db.flush())
            .await
            .map_err(|e| sled::Error::ReportableBug(format!("the store's flush did not finish: {e}")))??;
        Ok(())
    }

    /// Bytes on disk, for metrics.
    pub fn size_on_disk(&self) -> u64 {
        self.inner.db.size_on_disk().unwrap_or(0)
    }

    fn lock(&self) -> MutexGuard<'_, ()> {
        // A poisoned lock only means another writer panicked; the data in sled is still whole.
        self.inner.write.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn next_seq(&self, key: &[u8]) -> Result<u64, StoreError> {
        let current = self.inner.meta.get(key)?.map(|v| be_u64(&v)).unwrap_or(1);
        self.inner.meta.insert(key, &(current + 1).to_be_bytes())?;
        Ok(current)
    }

    pub fn cursor(&self, source: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .inner
            .cursors
            .get(source.as_bytes())?
            .map(|v| String::from_utf8_lossy(&v).into_owned()))
    }

    /// Moves a source's cursor, so a restart resumes from here.
    ///
    /// Not flushed on its own: the next flush (the next batch's, a periodic one or shutdown's)
    /// makes it durable. A cursor lost in a crash only means reading again posts the store
    /// already has, which ingest skips; a second fsync per post on a streaming source's path
    /// would instead delay every alert behind it.
    pub async fn set_cursor(&self, source: &str, cursor: &str) -> Result<(), StoreError> {
        self.inner.cursors.insert(source.as_bytes(), cursor.as_bytes())?;
        Ok(())
    }
}

/// Opens sled, waiting up to two seconds for the directory's lock: sled's own threads let go of
/// it a moment after the last handle is dropped, so a quick restart can otherwise find it taken.
fn open_db(path: &Path, cache_bytes: u64) -> Result<sled::Db, sled::Error> {
    let mut tries = 0;
    loop {
        match sled::Config::new().path(path).cache_capacity(cache_bytes).open() {
            Err(sled::Error::Io(e)) if e.to_string().contains("could not acquire lock") && tries < 20 => {
                tries += 1;
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
            other => return other,
        }
    }
}

fn be_u64(bytes: &[u8]) -> u64 {
    let mut buf = [0u8; 8];
    let n = bytes.len().min(8);
    buf[8 - n..].copy_from_slice(&bytes[bytes.len() - n..]);
    u64::from_be_bytes(buf)
}

fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    // Serializing our own plain structs to JSON cannot fail (no maps with non-string keys).
    serde_json::to_vec(value).unwrap_or_default()
}

fn decode<T: DeserializeOwned>(what: &str, bytes: &[u8]) -> Result<T, StoreError> {
    serde_json::from_slice(bytes).map_err(|source| StoreError::Corrupt {
        what: what.to_string(),
        source,
    })
}

#[cfg(test)]
mod tests;
