//! Mentions in the store: creation with dedupe, conversation joining, lifecycle updates, listing.

use chrono::{DateTime, Utc};

use super::mention::{Mention, MentionState, MessageRef, SentReply, TriageResult};
use super::{be_u64, decode, encode, LifecycleError, Store, StoreError, NEXT_MENTION_ID};
use crate::domain::{MentionId, Network, Post};

/// What storing a (post, brand) pair did.
#[derive(Debug, Clone)]
pub enum Ingested {
    New(Box<Mention>),
    /// That post was already a mention of that brand.
    Duplicate(MentionId),
}

/// A mention whose conversation a post joined.
#[derive(Debug, Clone)]
pub struct Joined {
    pub mention: Mention,
    /// True when the post made an answered mention wait for an answer again.
    pub reopened: bool,
}

pub(super) fn post_key(network: Network, id: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(id.len() + 12);
    k.extend_from_slice(network.as_str().as_bytes());
    k.push(0);
    k.extend_from_slice(id.as_bytes());
    k
}

pub(super) fn brand_key(network: Network, id: &str, brand: &str) -> Vec<u8> {
    let mut k = post_key(network, id);
    k.push(0);
    k.extend_from_slice(brand.to_lowercase().as_bytes());
    k
}

impl Store {
    /// Stores a new mention of `brand`, unless that post already is one.
    pub fn insert_mention(
        &self,
        brand: &str,
        post: &Post,
        triage: Option<TriageResult>,
        replayed: bool,
        now: DateTime<Utc>,
    ) -> Result<Ingested, StoreError> {
        let _guard = self.lock();
        let key = brand_key(post.network, &post.id, brand);
        if let Some(existing) = self.inner.by_post.get(&key)? {
            return Ok(Ingested::Duplicate(MentionId(be_u64(&existing))));
        }
        let id = MentionId(self.next_seq(NEXT_MENTION_ID)?);
        let mut mention = Mention::new(id, brand, post.clone(), triage, now);
        mention.replayed = replayed;
        self.put(&mention)?;
        self.inner.by_post.insert(key, &id.0.to_be_bytes())?;
        self.add_to_thread(post.network, &post.id, id)?;
        self.inner.pending.insert(id.0.to_be_bytes(), &[])?;
        Ok(Ingested::New(Box::new(mention)))
    }

    fn put(&self, m: &Mention) -> Result<(), StoreError> {
        self.inner.mentions.insert(m.id.0.to_be_bytes(), encode(m))?;
        Ok(())
    }

    pub(super) fn add_to_thread(&self, network: Network, post_id: &str, id: MentionId) -> Result<(), StoreError> {
        let key = post_key(network, post_id);
        let mut ids = self.thread_ids(&key)?;
        if !ids.contains(&id) {
            ids.push(id);
            self.inner.threads.insert(key, encode(&ids))?;
        }
        Ok(())
    }

    fn thread_ids(&self, key: &[u8]) -> Result<Vec<MentionId>, StoreError> {
        match self.inner.threads.get(key)? {
            Some(v) => decode("thread index", &v),
            None => Ok(Vec::new()),
        }
    }

    /// The mentions whose conversation already holds this post.
    pub fn conversations_of(&self, network: Network, post_id: &str) -> Result<Vec<MentionId>, StoreError> {
        self.thread_ids(&post_key(network, post_id))
    }

    /// A post by someone other than the brand that replies into known conversations joins them
    /// (once: the same post seen again changes nothing).
    pub fn join_conversations(&self, post: &Post, now: DateTime<Utc>) -> Result<Vec<Joined>, StoreError> {
        let Some(parent) = post.reply_to.as_deref() else {
            return Ok(Vec::new());
        };
        let _guard = self.lock();
        let parents = self.thread_ids(&post_key(post.network, parent))?;
        let already = self.thread_ids(&post_key(post.network, &post.id))?;
        let mut out = Vec::new();
        for id in parents.into_iter().filter(|id| !already.contains(id)) {
            let mut m = self.mention(id)?;
            let was_answered = m.state == MentionState::Answered;
            m.customer_followed_up(post.clone(), now);
            self.put(&m)?;
            self.add_to_thread(post.network, &post.id, id)?;
            let reopened = was_answered && m.state == MentionState::Open;
            out.push(Joined { mention: m, reopened });
        }
        Ok(out)
    }

    /// Records a reply the brand published in a mention's conversation; marks it answered and
    /// makes later answers to that reply join the conversation.
    pub fn record_reply(&self, id: MentionId, reply: SentReply) -> Result<Mention, StoreError> {
        let _guard = self.lock();
        let mut m = self.mention(id)?;
        if m.replies.iter().any(|r| r.post_id == reply.post_id) {
            return Ok(m);
        }
        let network = m.post.network;
        let post_id = reply.post_id.clone();
        m.answered(reply);
        self.put(&m)?;
        self.add_to_thread(network, &post_id, id)?;
        Ok(m)
    }

    pub fn mention(&self, id: MentionId) -> Result<Mention, StoreError> {
        match self.inner.mentions.get(id.0.to_be_bytes())? {
            Some(v) => decode("mention", &v),
            None => Err(StoreError::NoSuchMention(id)),
        }
    }

    /// Applies a lifecycle transition and saves the result.
    pub fn update<T>(
        &self,
        id: MentionId,
        f: impl FnOnce(&mut Mention) -> Result<T, LifecycleError>,
    ) -> Result<(T, Mention), StoreError> {
        let _guard = self.lock();
        let mut m = self.mention(id)?;
        let out = f(&mut m)?;
        self.put(&m)?;
        Ok((out, m))
    }

    /// Mentions whose alert has not been posted yet, oldest first.
    /// How many mentions wait for their alert (for metrics; reads keys only).
    pub fn pending_alert_count(&self) -> usize {
        self.inner.pending.len()
    }

    pub fn pending_alerts(&self) -> Result<Vec<Mention>, StoreError> {
        let mut out = Vec::new();
        for entry in self.inner.pending.iter() {
            let (k, _) = entry?;
            match self.mention(MentionId(be_u64(&k))) {
                Ok(m) => out.push(m),
                Err(StoreError::NoSuchMention(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }

    /// The alert is in chat: the mention is `open` and leaves the pending queue.
    pub fn mark_alerted(&self, id: MentionId, msg: MessageRef) -> Result<Mention, StoreError> {
        let (_, m) = self.update(id, |m| {
            m.alerted(msg);
            Ok(())
        })?;
        self.inner.pending.remove(id.0.to_be_bytes())?;
        Ok(m)
    }

    /// Every mention, in id order.
    pub fn all_mentions(&self) -> impl Iterator<Item = Result<Mention, StoreError>> + '_ {
        self.inner
            .mentions
            .iter()
            .map(|e| e.map_err(StoreError::from).and_then(|(_, v)| decode("mention", &v)))
    }

    /// Mentions still waiting for an answer (new or open), oldest post first, optionally of one brand.
    pub fn open_mentions(&self, brand: Option<&str>) -> Result<Vec<Mention>, StoreError> {
        let mut out = Vec::new();
        for m in self.all_mentions() {
            let m = m?;
            if m.is_waiting() && brand.is_none_or(|b| m.brand.eq_ignore_ascii_case(b)) {
                out.push(m);
            }
        }
        out.sort_by_key(|m| (m.post.created_at.unwrap_or(m.received_at).min(m.received_at), m.id));
        Ok(out)
    }
}
