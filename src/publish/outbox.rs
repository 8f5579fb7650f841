//! The outbox: checks a reply, stores the intent (flushed) before the network call, sends it
//! exactly once, and records the result in the mention, the activity ledger and the audit log.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use sha2::{Digest, Sha256};

use super::{checks, PublishError, Published, Publisher, Reply};
use crate::clock::SharedClock;
use crate::domain::{ChatUser, MentionId, Network};
use crate::store::{
    ActivityEntry, ActivityKind, Mention, MentionState, OutboxEntry, OutboxState, SentReply, Store, StoreError,
};

/// How many times a transient failure is retried before the reply is left pending.
const ATTEMPTS: u32 = 3;

#[derive(Debug, thiserror::Error)]
pub enum OutboxError {
    #[error("the reply is empty")]
    Empty,
    #[error("the reply is {len} characters; {network} allows {limit}")]
    TooLong { network: Network, len: usize, limit: usize },
    #[error("{0} is dismissed; undo that before replying")]
    Dismissed(MentionId),
    #[error("{} is read-only: talkback cannot reply there{}", .0.display_name(), .1.as_deref().map(|u| format!("; open {u} to answer")).unwrap_or_default())]
    ReadOnly(Network, Option<String>),
    #[error("X only allows automated replies to posts that mention or quote the brand ({0}); this post does neither, so answer it on X yourself")]
    XRule(String),
    #[error("replying on {0} is not set up in this talkback")]
    NoPublisher(Network),
    #[error("{0}")]
    Publish(PublishError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, Clone)]
pub enum SendOutcome {
    /// Posted now.
    Sent {
        mention: Box<Mention>,
        published: Published,
    },
    /// The same reply was already posted earlier; nothing was sent again.
    AlreadySent { published: Published },
}

pub struct Outbox {
    store: Store,
    clock: SharedClock,
    replay: Option<Arc<dyn Publisher>>,
    publishers: HashMap<Network, Arc<dyn Publisher>>,
    /// Each brand's X handles (lowercase, no `@`), for X's reply rule.
    x_handles: HashMap<String, Vec<String>>,
}

impl Outbox {
    pub fn new(store: Store, clock: SharedClock) -> Outbox {
        Outbox {
            store,
            clock,
            replay: None,
            publishers: HashMap::new(),
            x_handles: HashMap::new(),
        }
    }

    /// The brands' own accounts, for rules that depend on them (X).
    pub fn with_brands(mut self, brands: &[crate::config::BrandConfig]) -> Outbox {
        for b in brands {
            let x: Vec<String> = b
                .own_accounts
                .iter()
                .filter(|a| a.network == Network::X)
                .map(|a| a.handle.as_str().to_string())
                .collect();
            self.x_handles.insert(b.name.to_lowercase(), x);
        }
        self
    }

    /// The publisher for mentions read by the replay source.
    pub fn with_replay(mut self, p: Arc<dyn Publisher>) -> Outbox {
        self.replay = Some(p);
        self
    }

    pub fn with_publisher(mut self, network: Network, p: Arc<dyn Publisher>) -> Outbox {
        self.publishers.insert(network, p);
        self
    }

    fn publisher_for(&self, replayed: bool, network: Network) -> Result<&Arc<dyn Publisher>, OutboxError> {
        let found = if replayed {
            self.replay.as_ref()
        } else {
            self.publishers.get(&network)
        };
        found.ok_or(OutboxError::NoPublisher(network))
    }

    /// Checks what can be checked before anything is stored.
    pub fn check(&self, mention: &Mention, text: &str) -> Result<(), OutboxError> {
        let network = mention.post.network;
        if network.is_read_only() {
            return Err(OutboxError::ReadOnly(network, mention.post.url.clone()));
        }
        if mention.state == MentionState::Dismissed {
            return Err(OutboxError::Dismissed(mention.id));
        }
        let text = text.trim();
        if text.is_empty() {
            return Err(OutboxError::Empty);
        }
        let (mut len, limit) = (checks::length(network, text), checks::length_limit(network));
        if network == Network::Mastodon && !mention.replayed {
            // The publisher puts the person's @handle first; Mastodon counts it as `@user`.
            let handle = reply_author(mention, &mention.reply_target().id).unwrap_or_default();
            if !handle.is_empty() && !text.contains(&handle) {
                let user = handle.trim_start_matches('@').split('@').next().unwrap_or("");
                len += user.chars().count() + 2;
            }
        }
        if len > limit {
            return Err(OutboxError::TooLong { network, len, limit });
        }
        if network == Network::X && !mention.replayed {
            let handles = self
                .x_handles
                .get(&mention.brand.to_lowercase())
                .cloned()
                .unwrap_or_default();
            if !checks::x_allows_reply(&mention.reply_target().text, &handles) {
                return Err(OutboxError::XRule(
                    handles.iter().map(|h| format!("@{h}")).collect::<Vec<_>>().join(", "),
                ));
            }
        }
        self.publisher_for(mention.replayed, network)?;
        Ok(())
    }

    /// Publishes `text` as `by`'s reply in the mention's conversation, exactly once.
    pub async fn send(&self, mention: &Mention, text: &str, by: &ChatUser) -> Result<SendOutcome, OutboxError> {
        self.check(mention, text)?;
        let text = text.trim();
        let target = mention.reply_target();
        let entry = OutboxEntry {
            key: idempotency_key(mention.id, &target.id, text),
            mention: mention.id,
            network: mention.post.network,
            in_reply_to: target.id.clone(),
            text: text.to_string(),
            requested_by: by.clone(),
            requested_at: self.clock.now(),
            state: OutboxState::Pending,
            attempts: 0,
        };
        let (entry, fresh) = self.store.outbox_intent(entry).await?;
        if let OutboxState::Sent { post_id, url, .. } = &entry.state {
            return Ok(SendOutcome::AlreadySent {
                published: Published {
                    post_id: post_id.clone(),
                    url: url.clone(),
                },
            });
        }
        self.deliver(entry, !fresh).await
    }

    /// Finishes every intent a crash or an outage left pending; returns how many were sent.
    pub async fn resume_pending(&self) -> Result<usize, StoreError> {
        let mut sent = 0;
        for entry in self.store.outbox_pending()? {
            let key = entry.key.clone();
            match self.deliver(entry, true).await {
                Ok(_) => sent += 1,
                Err(OutboxError::Store(e)) => return Err(e),
                Err(e) => tracing::warn!(key = %key, error = %e, "a pending reply is still not sent"),
            }
        }
        Ok(sent)
    }

    async fn deliver(&self, mut entry: OutboxEntry, maybe_sent: bool) -> Result<SendOutcome, OutboxError> {
        let mention = self.store.mention(entry.mention)?;
        let publisher = self.publisher_for(mention.replayed, entry.network)?.clone();
        let reply = Reply {
            key: entry.key.clone(),
            network: entry.network,
            in_reply_to: entry.in_reply_to.clone(),
            text: entry.text.clone(),
            to_author: reply_author(&mention, &entry.in_reply_to),
        };
        let mut result = Err(PublishError::Transport("not tried".into()));
        if maybe_sent {
            // A crash may have come after the network call: look before posting again.
            if let Ok(Some(p)) = publisher.find_existing(&reply).await {
                result = Ok(p);
            }
        }
        let mut delay = Duration::from_secs(1);
        while result.is_err() && entry.attempts < ATTEMPTS {
            entry.attempts += 1;
            result = publisher.publish(&reply).await;
            if result.is_err() {
                crate::metrics::error(crate::metrics::ErrorKind::Publish);
            }
            match &result {
                Err(e) if e.is_transient() && entry.attempts < ATTEMPTS => {
                    let wait = match e {
                        PublishError::RateLimited { retry_after: Some(d) } => (*d).min(Duration::from_secs(60)),
                        _ => delay,
                    };
                    tracing::warn!(mention = %entry.mention, error = %e, "publish failed; retrying in {}s", wait.as_secs());
                    tokio::time::sleep(wait).await;
                    delay *= 2;
                }
                _ => break,
            }
        }
        let now = self.clock.now();
        match result {
            Ok(published) => {
                crate::metrics::reply_published();
                entry.state = OutboxState::Sent {
                    post_id: published.post_id.clone(),
                    url: published.url.clone(),
                    at: now,
                };
                self.store.outbox_update(&entry).await?;
                let mention = self.record_sent(&entry, &mention, &published)?;
                Ok(SendOutcome::Sent {
                    mention: Box::new(mention),
                    published,
                })
            }
            Err(e) => {
                if !e.is_transient() {
                    entry.state = OutboxState::Failed {
                        reason: e.to_string(),
                        at: now,
                    };
                } else {
                    // Left pending: `resume_pending` tries again later.
                    entry.attempts = 0;
                }
                self.store.outbox_update(&entry).await?;
                let who = Some(&entry.requested_by);
                self.store.audit(
                    now,
                    who,
                    "reply",
                    Some(entry.mention),
                    Some(entry.text.clone()),
                    &format!("failed: {e}"),
                )?;
                Err(OutboxError::Publish(e))
            }
        }
    }

    fn record_sent(
        &self,
        entry: &OutboxEntry,
        mention: &Mention,
        published: &Published,
    ) -> Result<Mention, StoreError> {
        let now = self.clock.now();
        let reply = SentReply {
            post_id: published.post_id.clone(),
            url: published.url.clone(),
            text: entry.text.clone(),
            by: Some(entry.requested_by.clone()),
            at: now,
        };
        let updated = self.store.record_reply(entry.mention, reply)?;
        self.store.record_activity(&ActivityEntry {
            brand: mention.brand.clone(),
            network: entry.network,
            post_id: published.post_id.clone(),
            kind: ActivityKind::Reply,
            at: now,
            via_talkback: true,
        })?;
        let result = format!("ok: posted {}", published.post_id);
        self.store.audit(
            now,
            Some(&entry.requested_by),
            "reply",
            Some(entry.mention),
            Some(entry.text.clone()),
            &result,
        )?;
        Ok(updated)
    }
}

/// The handle of whoever wrote the post being answered.
fn reply_author(m: &Mention, post_id: &str) -> Option<String> {
    let post = m.conversation.iter().find(|p| p.id == post_id).unwrap_or(&m.post);
    post.author_handle().map(|h| {
        if h.starts_with('@') || m.post.network != Network::Mastodon {
            h.to_string()
        } else {
            format!("@{h}")
        }
    })
}

/// The same reply (mention, post answered, text) always gets the same key.
fn idempotency_key(id: MentionId, in_reply_to: &str, text: &str) -> String {
    let mut h = Sha256::new();
    h.update(id.0.to_be_bytes());
    h.update(in_reply_to.as_bytes());
    h.update([0]);
    h.update(text.as_bytes());
    h.finalize().iter().take(12).map(|b| format!("{b:02x}")).collect()
}
