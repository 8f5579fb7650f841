//! The outbox (reply intents, exactly once), the audit log and the activity ledger.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{be_u64, decode, encode, Store, StoreError, NEXT_AUDIT_SEQ};
use crate::domain::{ChatUser, MentionId, Network};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "lowercase")]
pub enum OutboxState {
    /// Stored and flushed; the network call may or may not have happened.
    Pending,
    Sent {
        post_id: String,
        url: Option<String>,
        at: DateTime<Utc>,
    },
    /// The network refused it for good.
    Failed { reason: String, at: DateTime<Utc> },
}

/// One reply on its way to a network. `key` is the idempotency key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxEntry {
    pub key: String,
    pub mention: MentionId,
    pub network: Network,
    pub in_reply_to: String,
    pub text: String,
    pub requested_by: ChatUser,
    pub requested_at: DateTime<Utc>,
    #[serde(flatten)]
    pub state: OutboxState,
    #[serde(default)]
    pub attempts: u32,
}

/// Who did what, when, with what result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub seq: u64,
    pub at: DateTime<Utc>,
    pub who: Option<ChatUser>,
    pub action: String,
    pub mention: Option<MentionId>,
    pub detail: Option<String>,
    pub result: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ActivityKind {
    /// An original post, or a reply to the brand's own post.
    Broadcast,
    /// A reply to someone else.
    Reply,
    /// A boost or repost of someone else's post.
    Share,
}

/// One post by one of a brand's own accounts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivityEntry {
    pub brand: String,
    pub network: Network,
    pub post_id: String,
    pub kind: ActivityKind,
    pub at: DateTime<Utc>,
    /// Sent through talkback rather than natively on the network.
    #[serde(default)]
    pub via_talkback: bool,
}

fn activity_key(network: Network, post_id: &str, brand: &str) -> Vec<u8> {
    format!("{}\0{}\0{}", network.as_str(), post_id, brand.to_lowercase()).into_bytes()
}

impl Store {
    /// Stores a reply intent and flushes it before anything is sent. When an entry with the
    /// same key exists, returns that one instead and stores nothing.
    pub async fn outbox_intent(&self, entry: OutboxEntry) -> Result<(OutboxEntry, bool), StoreError> {
        {
            let _guard = self.lock();
            if let Some(existing) = self.inner.outbox.get(entry.key.as_bytes())? {
                return Ok((decode("outbox entry", &existing)?, false));
            }
            self.inner.outbox.insert(entry.key.as_bytes(), encode(&entry))?;
        }
        self.flush().await?;
        Ok((entry, true))
    }

    pub fn outbox_entry(&self, key: &str) -> Result<Option<OutboxEntry>, StoreError> {
        self.inner
            .outbox
            .get(key.as_bytes())?
            .map(|v| decode("outbox entry", &v))
            .transpose()
    }

    pub async fn outbox_update(&self, entry: &OutboxEntry) -> Result<(), StoreError> {
        self.inner.outbox.insert(entry.key.as_bytes(), encode(entry))?;
        self.flush().await
    }

    /// Intents that were stored but never finished (a crash, or the network was down).
    pub fn outbox_pending(&self) -> Result<Vec<OutboxEntry>, StoreError> {
        let mut out = Vec::new();
        for e in self.inner.outbox.iter() {
            let (_, v) = e?;
            let entry: OutboxEntry = decode("outbox entry", &v)?;
            if entry.state == OutboxState::Pending {
                out.push(entry);
            }
        }
        out.sort_by_key(|e| e.requested_at);
        Ok(out)
    }

    pub(super) fn outbox_all(&self) -> Result<Vec<OutboxEntry>, StoreError> {
        self.inner
            .outbox
            .iter()
            .map(|e| decode("outbox entry", &e?.1))
            .collect()
    }

    /// Appends to the audit log.
    pub fn audit(
        &self,
        at: DateTime<Utc>,
        who: Option<&ChatUser>,
        action: &str,
        mention: Option<MentionId>,
        detail: Option<String>,
        result: &str,
    ) -> Result<(), StoreError> {
        let _guard = self.lock();
        let seq = self.next_seq(NEXT_AUDIT_SEQ)?;
        let entry = AuditEntry {
            seq,
            at,
            who: who.cloned(),
            action: action.to_string(),
            mention,
            detail,
            result: result.to_string(),
        };
        self.inner.audit.insert(seq.to_be_bytes(), encode(&entry))?;
        Ok(())
    }

    pub(super) fn put_audit(&self, entry: &AuditEntry) -> Result<(), StoreError> {
        self.inner.audit.insert(entry.seq.to_be_bytes(), encode(entry))?;
        let next = self.inner.meta.get(NEXT_AUDIT_SEQ)?.map(|v| be_u64(&v)).unwrap_or(1);
        if entry.seq >= next {
            self.inner.meta.insert(NEXT_AUDIT_SEQ, &(entry.seq + 1).to_be_bytes())?;
        }
        Ok(())
    }

    /// The audit log in order, from `since` on.
    pub fn audit_log(&self, since: Option<DateTime<Utc>>) -> Result<Vec<AuditEntry>, StoreError> {
        let mut out = Vec::new();
        for e in self.inner.audit.iter() {
            let entry: AuditEntry = decode("audit entry", &e?.1)?;
            if since.is_none_or(|s| entry.at >= s) {
                out.push(entry);
            }
        }
        Ok(out)
    }

    /// Records one own post in the activity ledger; false when it was already there.
    pub fn record_activity(&self, entry: &ActivityEntry) -> Result<bool, StoreError> {
        let key = activity_key(entry.network, &entry.post_id, &entry.brand);
        let previous = self
            .inner
            .activity
            .compare_and_swap(key, None as Option<&[u8]>, Some(encode(entry)))?;
        Ok(previous.is_ok())
    }

    /// True when the post is one of any brand's own posts.
    pub fn is_own_post(&self, network: Network, post_id: &str) -> Result<bool, StoreError> {
        let prefix = format!("{}\0{}\0", network.as_str(), post_id);
        Ok(self
            .inner
            .activity
            .scan_prefix(prefix.as_bytes())
            .next()
            .transpose()?
            .is_some())
    }

    /// The whole ledger, optionally for one brand.
    pub fn activity(&self, brand: Option<&str>) -> Result<Vec<ActivityEntry>, StoreError> {
        let mut out = Vec::new();
        for e in self.inner.activity.iter() {
            let entry: ActivityEntry = decode("activity entry", &e?.1)?;
            if brand.is_none_or(|b| entry.brand.eq_ignore_ascii_case(b)) {
                out.push(entry);
            }
        }
        out.sort_by_key(|e| e.at);
        Ok(out)
    }
}
