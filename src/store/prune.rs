//! Retention (`[store] keep_for`): forgets mentions nobody has touched for that long, with
//! everything that points at them, and the finished outbox entries, audit lines and activity of
//! the same age. Without it the store, and sled's page table in memory, grow with every mention
//! ever seen. Never touches a mention whose alert is not posted yet, nor an unfinished reply.

use chrono::{DateTime, Utc};

use super::mention::{Mention, MentionState};
use super::mentions::{brand_key, post_key};
use super::records::{ActivityEntry, AuditEntry, OutboxEntry, OutboxState};
use super::{decode, encode, Store, StoreError};
use crate::domain::{MentionId, Network};

/// What one pass of [`Store::prune`] forgot.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pruned {
    pub mentions: u64,
    pub outbox: u64,
    pub audit: u64,
    pub activity: u64,
}

impl Pruned {
    pub fn is_empty(&self) -> bool {
        *self == Pruned::default()
    }
}

impl Mention {
    /// The last time anything happened to this mention: received, the customer wrote, somebody
    /// acted on it or was nagged; a snooze counts until it ends.
    pub fn last_activity(&self) -> DateTime<Utc> {
        let times = [
            Some(self.received_at),
            Some(self.waiting_since),
            self.history.last().map(|h| h.at),
            self.replies.last().map(|r| r.at),
            self.last_nag_at,
            self.snoozed_until,
        ];
        times.into_iter().flatten().max().unwrap_or(self.received_at)
    }

    /// Whether retention may forget it: its alert is out and nothing happened since `cutoff`.
    pub fn forgettable(&self, cutoff: DateTime<Utc>) -> bool {
        self.state != MentionState::New && self.last_activity() < cutoff
    }
}

impl Store {
    /// Forgets what was last active before `cutoff` (see the module's doc). Safe beside the
    /// running pipeline: each mention is checked again under the write lock before it goes.
    pub fn prune(&self, cutoff: DateTime<Utc>) -> Result<Pruned, StoreError> {
        let mut pruned = Pruned::default();
        for entry in self.inner.mentions.iter() {
            let (_, value) = entry?;
            let m: Mention = decode("mention", &value)?;
            // Ids grow with the time they were received: from here on nothing is old enough.
            if m.received_at >= cutoff {
                break;
            }
            if m.forgettable(cutoff) && self.forget_mention(m.id, cutoff)? {
                pruned.mentions += 1;
            }
        }
        pruned.outbox = self.prune_outbox(cutoff)?;
        pruned.audit = self.prune_audit(cutoff)?;
        pruned.activity = self.prune_activity(cutoff)?;
        Ok(pruned)
    }

    /// [`Store::prune`] off the async workers (it reads and deletes many records), then flushed.
    pub async fn prune_and_flush(&self, cutoff: DateTime<Utc>) -> Result<Pruned, StoreError> {
        let store = self.clone();
        let pruned = tokio::task::spawn_blocking(move || store.prune(cutoff))
            .await
            .map_err(|e| sled::Error::ReportableBug(format!("the retention pass did not finish: {e}")))??;
        self.flush().await?;
        Ok(pruned)
    }

    /// Removes one mention and its index entries, unless it changed since it was read.
    fn forget_mention(&self, id: MentionId, cutoff: DateTime<Utc>) -> Result<bool, StoreError> {
        let _guard = self.lock();
        let m = match self.mention(id) {
            Ok(m) if m.forgettable(cutoff) => m,
            Ok(_) | Err(StoreError::NoSuchMention(_)) => return Ok(false),
            Err(e) => return Err(e),
        };
        let network = m.post.network;
        self.inner.by_post.remove(brand_key(network, &m.post.id, &m.brand))?;
        let posts = std::iter::once(m.post.id.as_str())
            .chain(m.conversation.iter().map(|p| p.id.as_str()))
            .chain(m.replies.iter().map(|r| r.post_id.as_str()));
        for post_id in posts {
            self.leave_thread(network, post_id, id)?;
        }
        self.inner.pending.remove(id.0.to_be_bytes())?;
        self.inner.mentions.remove(id.0.to_be_bytes())?;
        Ok(true)
    }

    /// Takes `id` out of the conversation index of one post; the entry goes when it is empty.
    fn leave_thread(&self, network: Network, post_id: &str, id: MentionId) -> Result<(), StoreError> {
        let key = post_key(network, post_id);
        let Some(value) = self.inner.threads.get(&key)? else {
            return Ok(());
        };
        let mut ids: Vec<MentionId> = decode("thread index", &value)?;
        ids.retain(|x| *x != id);
        if ids.is_empty() {
            self.inner.threads.remove(key)?;
        } else {
            self.inner.threads.insert(key, encode(&ids))?;
        }
        Ok(())
    }

    /// Sent or failed replies finished before `cutoff`. Pending ones stay, however old: they
    /// are a reply somebody asked for that has not gone out.
    fn prune_outbox(&self, cutoff: DateTime<Utc>) -> Result<u64, StoreError> {
        remove_older(
            &self.inner.outbox,
            "outbox entry",
            cutoff,
            false,
            |e: &OutboxEntry| match &e.state {
                OutboxState::Pending => None,
                OutboxState::Sent { at, .. } | OutboxState::Failed { at, .. } => Some(*at),
            },
        )
    }

    /// Audit lines are in the order they were written: the old ones are at the front.
    fn prune_audit(&self, cutoff: DateTime<Utc>) -> Result<u64, StoreError> {
        remove_older(&self.inner.audit, "audit entry", cutoff, true, |e: &AuditEntry| {
            Some(e.at)
        })
    }

    fn prune_activity(&self, cutoff: DateTime<Utc>) -> Result<u64, StoreError> {
        remove_older(
            &self.inner.activity,
            "activity entry",
            cutoff,
            false,
            |e: &ActivityEntry| Some(e.at),
        )
    }
}

/// Removes the records of `tree` whose time (`at`; `None` keeps it) is before `cutoff`; when
/// `in_time_order`, the scan stops at the first record that is not. Returns how many went.
fn remove_older<T: serde::de::DeserializeOwned>(
    tree: &sled::Tree,
    what: &str,
    cutoff: DateTime<Utc>,
    in_time_order: bool,
    at: impl Fn(&T) -> Option<DateTime<Utc>>,
) -> Result<u64, StoreError> {
    let mut n = 0;
    for entry in tree.iter() {
        let (key, value) = entry?;
        let old = at(&decode::<T>(what, &value)?).is_some_and(|t| t < cutoff);
        if old {
            tree.remove(key)?;
            n += 1;
        } else if in_time_order {
            break;
        }
    }
    Ok(n)
}
