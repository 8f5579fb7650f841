//! Ops: watches the sources' health and says in chat (the `ops` channel, else the first brand's
//! channel) when a source keeps failing, goes silent for longer than its `silent_after`, or
//! recovers — so alerts never stop silently. Reads health; never touches sources or the store.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::watch;

use crate::chat::{ChannelRef, ChatAdapter};
use crate::clock::SharedClock;
use crate::config::SourceConfig;
use crate::sources::Health;

/// This many failures in a row make a source "failing".
pub const FAILING_AFTER: u32 = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reported {
    Fine,
    Failing,
    Silent,
}

pub struct HealthWatch {
    pub health: Health,
    pub sources: Vec<SourceConfig>,
    pub chat: Arc<dyn ChatAdapter>,
    pub to: ChannelRef,
    pub clock: SharedClock,
    pub started: DateTime<Utc>,
    reported: BTreeMap<String, Reported>,
}

impl HealthWatch {
    pub fn new(
        health: Health,
        sources: Vec<SourceConfig>,
        chat: Arc<dyn ChatAdapter>,
        to: ChannelRef,
        clock: SharedClock,
    ) -> HealthWatch {
        let started = clock.now();
        HealthWatch {
            health,
            sources,
            chat,
            to,
            clock,
            started,
            reported: BTreeMap::new(),
        }
    }

    /// What each source's state is now, and the line to say when it changed.
    pub fn check(&mut self) -> Vec<String> {
        let now = self.clock.now();
        let snapshot = self.health.snapshot();
        let mut notes = Vec::new();
        for s in &self.sources {
            // A table may run several parts (`mastodon/notifications`): judge them together.
            let parts: Vec<_> = snapshot
                .iter()
                .filter(|(k, _)| *k == &s.name || k.starts_with(&format!("{}/", s.name)))
                .collect();
            let failing = parts.iter().find(|(_, h)| h.consecutive_failures >= FAILING_AFTER);
            let last_post = parts
                .iter()
                .filter_map(|(_, h)| h.last_post)
                .max()
                .unwrap_or(self.started);
            let silent = s.silent_after.is_some_and(|after| now - last_post > after.as_chrono());
            let state = match (failing, silent) {
                (Some(_), _) => Reported::Failing,
                (None, true) => Reported::Silent,
                _ => Reported::Fine,
            };
            let before = self.reported.insert(s.name.clone(), state).unwrap_or(Reported::Fine);
            if before == state {
                continue;
            }
            let note = match (state, failing) {
                (Reported::Failing, Some((part, h))) => format!(
                    ":warning: source `{part}` has failed {} times in a row: {}. Mentions from it are not coming in.",
                    h.consecutive_failures,
                    h.last_error.as_deref().unwrap_or("unknown error")
                ),
                (Reported::Silent, _) => format!(
                    ":warning: source `{}` has brought no posts for over {}. Check its credentials and query.",
                    s.name,
                    s.silent_after.map(|d| d.to_string()).unwrap_or_default()
                ),
                _ => format!(":white_check_mark: source `{}` is working again.", s.name),
            };
            tracing::warn!(source = %s.name, "{note}");
            notes.push(note);
        }
        notes
    }

    /// Checks every `every` until shutdown.
    pub async fn run(mut self, every: Duration, mut shutdown: watch::Receiver<bool>) {
        loop {
            tokio::select! {
                _ = tokio::time::sleep(every) => {}
                _ = shutdown.changed() => return,
            }
            for note in self.check() {
                if let Err(e) = self.chat.say(&self.to, &note).await {
                    tracing::warn!(error = %e, "could not report source health in chat");
                }
            }
        }
    }
}
