//! The `/talkback` command handlers, one set for every platform. A handler answers the person
//! who typed the command and says every state change in the alert's thread.

use std::sync::Arc;

use crate::chat::command::{help_text, Command};
use crate::chat::{announce, render, ChatAdapter};
use crate::clock::SharedClock;
use crate::config::TeamConfig;
use crate::domain::{ChatUser, MentionId};
use crate::publish::Outbox;
use crate::report::{self, ReportError, Reports};
use crate::schedule::Wakeup;
use crate::store::{LifecycleError, Mention, Store, StoreError};

pub struct Commands {
    pub(super) store: Store,
    pub(super) outbox: Arc<Outbox>,
    pub(super) clock: SharedClock,
    pub(super) chat: Arc<dyn ChatAdapter>,
    pub(super) team: TeamConfig,
    pub(super) brands: Vec<String>,
    /// Told after every lifecycle change, so the scheduler replans the nags.
    pub(super) wake: Option<Wakeup>,
    /// The digest, nudge and stats; without them those commands say they are not set up.
    pub(super) reports: Option<Arc<Reports>>,
}

impl Commands {
    pub fn new(
        store: Store,
        outbox: Arc<Outbox>,
        clock: SharedClock,
        chat: Arc<dyn ChatAdapter>,
        team: TeamConfig,
        brands: Vec<String>,
    ) -> Commands {
        Commands {
            store,
            outbox,
            clock,
            chat,
            team,
            brands,
            wake: None,
            reports: None,
        }
    }

    /// Pokes the scheduler after each claim, unclaim, dismiss and snooze.
    pub fn with_wakeup(mut self, wake: Wakeup) -> Commands {
        self.wake = Some(wake);
        self
    }

    /// Answers `stats`, `digest` and `nudge` with these reports.
    pub fn with_reports(mut self, reports: Arc<Reports>) -> Commands {
        self.reports = Some(reports);
        self
    }

    /// Parses and runs one command; the answer is for `user` only.
    pub async fn run(&self, user: &ChatUser, input: &str) -> String {
        match Command::parse(input) {
            Ok(cmd) => self.handle(user, cmd).await,
            Err(usage) => usage.to_string(),
        }
    }

    pub async fn handle(&self, user: &ChatUser, cmd: Command) -> String {
        let result = match cmd {
            Command::Help => Ok(help_text()),
            Command::List { brand } => self.list(brand.as_deref()),
            Command::Show { id } => self.store.mention(id).map(|m| render::details(&m, self.clock.now())),
            Command::Reply { id, text } => return self.reply(user, id, text).await,
            Command::Approve { id } => return self.approve(user, id).await,
            Command::Claim { id } => self.change(user, id, "claim", None, |m, u, now| m.claim(u, now)).await,
            Command::Unclaim { id } => {
                self.change(user, id, "unclaim", None, |m, u, now| m.unclaim(u, now))
                    .await
            }
            Command::Dismiss { id, reason } => {
                let r = reason.clone();
                self.change(user, id, "dismiss", reason, move |m, u, now| m.dismiss(u, r, now))
                    .await
            }
            Command::Snooze { id, duration } => {
                let until = self.clock.now() + duration.as_chrono();
                let detail = Some(duration.to_string());
                self.change(user, id, "snooze", detail, move |m, u, now| m.snooze(u, until, now))
                    .await
            }
            Command::Stats { brand, days } => return self.stats(brand.as_deref(), days),
            Command::Digest { brand } => {
                let Some(r) = &self.reports else {
                    return NO_REPORTS.into();
                };
                return job_answer(r.run_digest(brand.as_deref()).await);
            }
            Command::Nudge { brand } => {
                let Some(r) = &self.reports else {
                    return NO_REPORTS.into();
                };
                return job_answer(r.run_nudge(brand.as_deref()).await);
            }
        };
        result.unwrap_or_else(|e| refusal(&e))
    }

    fn stats(&self, brand: Option<&str>, days: u32) -> String {
        match &self.reports {
            Some(r) => r
                .stats(brand, days)
                .map(|s| s.render())
                .unwrap_or_else(|e| report_refusal(&e)),
            None => NO_REPORTS.into(),
        }
    }

    fn list(&self, brand: Option<&str>) -> Result<String, StoreError> {
        if let Some(b) = brand {
            if !self.brands.iter().any(|n| n.eq_ignore_ascii_case(b)) {
                return Ok(format!("No brand named `{b}`. Brands: {}", self.brands.join(", ")));
            }
        }
        let open = self.store.open_mentions(brand)?;
        if open.is_empty() {
            return Ok("No open mentions. Everyone has been answered.".to_string());
        }
        let now = self.clock.now();
        let mut out = format!(
            "{} open mention{}, oldest first:",
            open.len(),
            if open.len() == 1 { "" } else { "s" }
        );
        for m in &open {
            out.push('\n');
            out.push_str(&render::list_line(m, now));
        }
        Ok(out)
    }

    /// Applies one lifecycle transition, audits it and says it in the alert's thread.
    async fn change(
        &self,
        user: &ChatUser,
        id: MentionId,
        action: &str,
        detail: Option<String>,
        f: impl FnOnce(&mut Mention, &ChatUser, chrono::DateTime<chrono::Utc>) -> Result<(), LifecycleError>,
    ) -> Result<String, StoreError> {
        let now = self.clock.now();
        match self.store.update(id, |m| f(m, user, now)) {
            Ok(((), m)) => {
                self.store.audit(now, Some(user), action, Some(id), detail, "ok")?;
                let note = m
                    .history
                    .last()
                    .map(|h| format!("{} by {user}", h.what))
                    .unwrap_or_default();
                announce(self.chat.as_ref(), &self.store, &m, &note).await;
                if let Some(w) = &self.wake {
                    w.poke();
                }
                Ok(format!(
                    "{id} {}.",
                    m.history.last().map(|h| h.what.as_str()).unwrap_or(action)
                ))
            }
            Err(StoreError::Lifecycle(e)) => {
                self.store
                    .audit(now, Some(user), action, Some(id), detail, &format!("refused: {e}"))?;
                Ok(e.to_string())
            }
            Err(e) => Err(e),
        }
    }
}

const NO_REPORTS: &str = "Reports (stats, digest, nudge) are not set up in this talkback.";

/// What the person who ran `digest` or `nudge` is told: one line per brand.
fn job_answer(result: Result<Vec<report::JobResult>, ReportError>) -> String {
    match result {
        Ok(results) if results.is_empty() => "There are no brands in the config.".into(),
        Ok(results) => report::answer(&results),
        Err(e) => report_refusal(&e),
    }
}

fn report_refusal(e: &ReportError) -> String {
    match e {
        ReportError::UnknownBrand { .. } => e.to_string(),
        ReportError::Store(s) => refusal(s),
    }
}

pub(super) fn refusal(e: &StoreError) -> String {
    match e {
        StoreError::NoSuchMention(id) => format!("There is no mention {id}. `/talkback list` shows the open ones."),
        StoreError::Lifecycle(l) => l.to_string(),
        other => {
            tracing::error!(error = %other, "a command failed");
            format!("Something went wrong in talkback's store: {other}")
        }
    }
}
