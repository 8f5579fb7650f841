//! The dispatcher: posts the alerts of new mentions and writes pipeline notices into alert
//! threads. When chat is down the mentions simply stay `new` and go out when it is back.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use futures_util::{stream, StreamExt};
use tokio::sync::mpsc;

use super::{announce, ChannelRef, ChatAdapter, ChatError};
use crate::config::Config;
use crate::domain::MentionId;
use crate::pipeline::Notice;
use crate::schedule::Wakeup;
use crate::store::{Mention, Store, StoreError, TriageResult};
use crate::triage::LlmSuggester;

/// How many LLM calls run at once when a burst of mentions arrives.
const LLM_CONCURRENCY: usize = 4;

#[derive(Debug, thiserror::Error)]
pub enum DispatchError {
    #[error(transparent)]
    Chat(#[from] ChatError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Where each brand's alerts go on one platform; nags, digests and nudges follow the same route.
#[derive(Debug, Clone)]
pub struct ChannelRoutes {
    /// Brand name (lowercase) → channel.
    channels: HashMap<String, ChannelRef>,
    fallback: ChannelRef,
}

impl ChannelRoutes {
    /// `pick` chooses the platform's field of a `[channels.NAME]` table; a brand's `channel`
    /// with no such table is used as written, and a brand without one goes to `alerts`.
    pub fn new(config: &Config, pick: fn(&crate::config::ChannelConfig) -> Option<&String>) -> ChannelRoutes {
        let channels = config
            .brands
            .iter()
            .map(|b| {
                let target = b
                    .channel
                    .as_ref()
                    .and_then(|c| {
                        config
                            .channels
                            .get(c)
                            .and_then(pick)
                            .cloned()
                            .or_else(|| Some(c.clone()))
                    })
                    .unwrap_or_else(|| "alerts".to_string());
                (b.name.to_lowercase(), ChannelRef(target))
            })
            .collect();
        ChannelRoutes {
            channels,
            fallback: ChannelRef("alerts".to_string()),
        }
    }

    /// The brand's channel (any case), or `alerts` for a brand the config does not know.
    pub fn for_brand(&self, brand: &str) -> &ChannelRef {
        self.channels.get(&brand.to_lowercase()).unwrap_or(&self.fallback)
    }
}

pub struct Dispatcher {
    store: Store,
    chat: Arc<dyn ChatAdapter>,
    routes: ChannelRoutes,
    llm: Option<Arc<LlmSuggester>>,
    /// Told when alerts went out or a mention changed, so nags are planned from then.
    wake: Option<Wakeup>,
    /// A post failed in a way that leaves unknown whether the chat kept it (the connection
    /// broke, the answer was cut or unreadable): look in the channel before posting again.
    unsure: std::sync::atomic::AtomicBool,
}

impl Dispatcher {
    /// `pick` chooses the platform's field of a `[channels.NAME]` table.
    pub fn new(
        config: &Config,
        store: Store,
        chat: Arc<dyn ChatAdapter>,
        pick: fn(&crate::config::ChannelConfig) -> Option<&String>,
    ) -> Dispatcher {
        Dispatcher {
            store,
            chat,
            routes: ChannelRoutes::new(config, pick),
            llm: None,
            wake: None,
            unsure: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// Pokes the scheduler whenever mentions open or change.
    pub fn with_wakeup(mut self, wake: Wakeup) -> Dispatcher {
        self.wake = Some(wake);
        self
    }

    fn poke(&self) {
        if let Some(w) = &self.wake {
            w.poke();
        }
    }

    /// Where each brand's messages go, for other jobs that write to the brand's channel.
    pub fn routes(&self) -> &ChannelRoutes {
        &self.routes
    }

    /// Asks the LLM for drafts before each new alert goes out (bounded by its timeout; on any
    /// failure the template drafts stay).
    pub fn with_llm(mut self, llm: Arc<LlmSuggester>) -> Dispatcher {
        self.llm = Some(llm);
        self
    }

    /// Replaces template drafts with LLM drafts where the model has not been asked yet, a few
    /// mentions at a time, saving each answer so a restart does not ask again.
    async fn draft_with_llm(&self, pending: Vec<Mention>) -> Result<Vec<Mention>, StoreError> {
        let Some(llm) = &self.llm else { return Ok(pending) };
        let improved: Vec<(Mention, Option<TriageResult>)> = stream::iter(pending)
            .map(|m| async move {
                let better = if llm.wants(&m) { llm.improve(&m).await } else { None };
                (m, better)
            })
            .buffered(LLM_CONCURRENCY)
            .collect()
            .await;
        let mut out = Vec::with_capacity(improved.len());
        for (m, better) in improved {
            match better {
                Some(t) => {
                    let (_, saved) = self.store.update(m.id, |m| {
                        m.triage = Some(t);
                        Ok(())
                    })?;
                    out.push(saved);
                }
                None => out.push(m),
            }
        }
        Ok(out)
    }

    /// Posts every pending alert, oldest first. Stops at the first chat failure (the rest stay
    /// pending); returns how many went out.
    pub async fn post_pending(&self) -> Result<usize, DispatchError> {
        use std::sync::atomic::Ordering;
        if self.unsure.swap(false, Ordering::Relaxed) {
            if let Err(e) = self.adopt_posted().await {
                self.unsure.store(true, Ordering::Relaxed);
                return Err(e);
            }
        }
        // One batch per channel, so a platform can group a burst into fewer messages.
        let mut batches: Vec<(ChannelRef, Vec<Mention>)> = Vec::new();
        for m in self.draft_with_llm(self.store.pending_alerts()?).await? {
            let to = self.routes.for_brand(&m.brand);
            match batches.iter_mut().find(|(c, _)| c == to) {
                Some((_, list)) => list.push(m),
                None => batches.push((to.clone(), vec![m])),
            }
        }
        let mut posted = 0;
        for (to, mentions) in batches {
            let (refs, error) = self.chat.post_alerts(&to, &mentions).await;
            crate::metrics::alerts_posted(refs.len());
            for (m, msg) in mentions.iter().zip(refs) {
                self.store.mark_alerted(m.id, msg)?;
                posted += 1;
            }
            if posted > 0 {
                self.poke();
            }
            if let Some(e) = error {
                crate::metrics::error(crate::metrics::ErrorKind::Chat);
                if matches!(e, ChatError::Transport(_)) {
                    self.unsure.store(true, Ordering::Relaxed);
                }
                return Err(e.into());
            }
        }
        Ok(posted)
    }

    pub async fn apply(&self, notice: &Notice) -> Result<(), DispatchError> {
        match notice {
            Notice::NewMentions => {
                self.post_pending().await?;
            }
            Notice::Changed { mention, note } => {
                // Re-read: the alert may have been posted since the notice was made.
                let current = self.store.mention(mention.id)?;
                announce(self.chat.as_ref(), &self.store, &current, note).await;
                self.poke();
            }
        }
        Ok(())
    }

    /// Adopts alerts that a crash left unrecorded: a pending mention whose alert is already in
    /// its channel (posted, then the process died before the store kept the message) gets that
    /// message instead of a second alert. Returns how many were adopted.
    pub async fn adopt_posted(&self) -> Result<usize, DispatchError> {
        let pending = self.store.pending_alerts()?;
        let Some(oldest) = pending.iter().map(|m| m.received_at).min() else {
            return Ok(0);
        };
        // The chat's clock and ours may differ a little.
        let since = oldest - chrono::Duration::minutes(5);
        let mut waiting: std::collections::HashSet<MentionId> = pending.iter().map(|m| m.id).collect();
        let mut channels: Vec<&ChannelRef> = pending.iter().map(|m| self.routes.for_brand(&m.brand)).collect();
        channels.sort_by(|a, b| a.0.cmp(&b.0));
        channels.dedup();
        let mut adopted = 0;
        for to in channels {
            let found = match self.chat.posted_alerts(to, since).await {
                Ok(found) => found,
                // Refused for good (a channel given by name where an ID is needed, a missing
                // scope or permission): alerts must not wait for what will never come.
                Err(ChatError::Rejected(why)) => {
                    tracing::warn!(channel = %to.0, %why,
                        "cannot read the channel's history, so an alert posted just before a crash may be posted again");
                    continue;
                }
                Err(e) => return Err(e.into()),
            };
            for (id, msg) in found {
                if waiting.remove(&id) {
                    self.store.mark_alerted(id, msg)?;
                    adopted += 1;
                }
            }
        }
        if adopted > 0 {
            self.store.flush().await?;
            tracing::info!(
                adopted,
                "found alerts posted just before the last stop; not posting them again"
            );
        }
        Ok(adopted)
    }

    /// Runs until the notice channel closes (the pipeline is gone), retrying pending alerts
    /// every `retry` while chat is failing.
    pub async fn run(self, mut rx: mpsc::UnboundedReceiver<Notice>, retry: Duration) {
        // Nothing is posted before the chat's history was checked for alerts a crash left
        // unrecorded; notices that come meanwhile wait.
        let mut waiting = Vec::new();
        while let Err(e) = self.adopt_posted().await {
            tracing::warn!(error = %e, "cannot read chat's history yet; alerts wait");
            tokio::select! {
                n = rx.recv() => match n {
                    Some(n) => waiting.push(n),
                    None => return,
                },
                _ = tokio::time::sleep(retry) => {}
            }
        }
        for n in waiting {
            if let Err(e) = self.apply(&n).await {
                tracing::warn!(error = %e, "chat is failing; alerts stay pending and are retried");
            }
        }
        if let Err(e) = self.post_pending().await {
            tracing::warn!(error = %e, "alerts are waiting for chat");
        }
        loop {
            let notice = tokio::select! {
                n = rx.recv() => match n {
                    Some(n) => Some(n),
                    None => break,
                },
                _ = tokio::time::sleep(retry) => None,
            };
            let result = match &notice {
                Some(n) => self.apply(n).await,
                None => self.post_pending().await.map(|_| ()),
            };
            if let Err(e) = result {
                tracing::warn!(error = %e, "chat is failing; alerts stay pending and are retried");
            }
        }
        if let Err(e) = self.post_pending().await {
            tracing::warn!(error = %e, "some alerts were left pending at shutdown; they go out on the next start");
        }
    }
}
