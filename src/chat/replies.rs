//! Publishing from chat: who may reply, suggestions by number, the approval flow (a replier who
//! is not an approver drafts; an approver sends the draft with one command or click), and what
//! the thread and the person are told. Sending itself is the outbox's job.

use super::announce;
use super::command::ReplyText;
use super::handlers::{refusal, Commands};
use crate::domain::{ChatUser, MentionId};
use crate::publish::{OutboxError, SendOutcome};
use crate::store::Mention;

impl Commands {
    /// True when `user` may publish a reply: listed in `team.repliers`, or in `team.approvers`
    /// (approvers may also reply directly). Every path that publishes or opens the reply form
    /// asks this: `reply` (command or form) here, the Reply / Use #n / Edit draft buttons in
    /// each adapter. Sending a draft asks `is_approver` (`approve`).
    pub fn may_reply(&self, user: &ChatUser) -> bool {
        self.team.repliers.contains(user) || self.is_approver(user)
    }

    pub fn is_approver(&self, user: &ChatUser) -> bool {
        self.team.approvers.contains(user)
    }

    /// With `team.approvers` set, only approvers publish directly; other repliers draft.
    pub fn needs_approval(&self, user: &ChatUser) -> bool {
        !self.team.approvers.is_empty() && !self.team.approvers.contains(user)
    }

    /// What someone who may not publish is told.
    pub fn reply_refusal(&self, user: &ChatUser) -> String {
        format!(
            "Only the chat users listed in `team.repliers` may publish replies, and {user} is not one of them. \
             Ask an admin to add \"{user}\" to `team.repliers`; you can still claim, dismiss and snooze."
        )
    }

    pub(super) async fn reply(&self, user: &ChatUser, id: MentionId, text: ReplyText) -> String {
        let now = self.clock.now();
        if !self.may_reply(user) {
            let _ = self.store.audit(
                now,
                Some(user),
                "reply",
                Some(id),
                None,
                "refused: not in team.repliers",
            );
            return self.reply_refusal(user);
        }
        let mention = match self.store.mention(id) {
            Ok(m) => m,
            Err(e) => return refusal(&e),
        };
        let text = match resolve(&mention, text) {
            Ok(t) => t,
            Err(answer) => return answer,
        };
        if self.needs_approval(user) {
            return self.draft(user, &mention, &text).await;
        }
        self.send(user, &mention, &text).await
    }

    /// Stores a draft after the same checks a reply gets, and asks the approvers.
    async fn draft(&self, user: &ChatUser, mention: &Mention, text: &str) -> String {
        let id = mention.id;
        if let Err(e) = self.outbox.check(mention, text) {
            return format!("Not drafted: {e}");
        }
        let now = self.clock.now();
        match self.store.update(id, |m| m.add_draft(text.trim(), user, now)) {
            Ok(((), m)) => {
                let _ = self.store.audit(
                    now,
                    Some(user),
                    "draft",
                    Some(id),
                    Some(text.to_string()),
                    "ok: waiting for approval",
                );
                let approvers: Vec<String> = self.team.approvers.iter().map(|a| a.to_string()).collect();
                let note = format!(
                    "reply drafted by {user}, waiting for an approver ({}): {text}",
                    approvers.join(", ")
                );
                announce(self.chat.as_ref(), &self.store, &m, &note).await;
                format!(
                    "Your reply to {id} is a draft until an approver sends it (`/talkback approve {}`).",
                    id.0
                )
            }
            Err(e) => refusal(&e),
        }
    }

    /// Sends the newest draft of a mention; approvers only.
    pub(super) async fn approve(&self, user: &ChatUser, id: MentionId) -> String {
        let now = self.clock.now();
        if !self.is_approver(user) {
            let _ = self.store.audit(
                now,
                Some(user),
                "approve",
                Some(id),
                None,
                "refused: not in team.approvers",
            );
            return format!("Only the chat users in `team.approvers` may send drafts, and {user} is not one of them.");
        }
        let mention = match self.store.mention(id) {
            Ok(m) => m,
            Err(e) => return refusal(&e),
        };
        let Some(draft) = mention.drafts.last().cloned() else {
            return format!(
                "{id} has no draft waiting. `/talkback reply {} <text>` answers it directly.",
                id.0
            );
        };
        let _ = self.store.audit(
            now,
            Some(user),
            "approve",
            Some(id),
            Some(format!("draft by {}", draft.by)),
            "ok",
        );
        self.send(user, &mention, &draft.text).await
    }

    async fn send(&self, user: &ChatUser, mention: &Mention, text: &str) -> String {
        let id = mention.id;
        match self.outbox.send(mention, text, user).await {
            Ok(SendOutcome::Sent { mention, published }) => {
                let link = published.url.clone().unwrap_or(published.post_id.clone());
                let note = format!("replied by {user} ({link}): {text}");
                announce(self.chat.as_ref(), &self.store, &mention, &note).await;
                format!("Replied to {id} on {}: {text}", mention.post.network.display_name())
            }
            Ok(SendOutcome::AlreadySent { published }) => format!(
                "That reply was already sent to {id} ({}); nothing was sent again.",
                published.url.unwrap_or(published.post_id)
            ),
            Err(OutboxError::Store(e)) => refusal(&e),
            Err(e) => {
                if matches!(e, OutboxError::Publish(_)) {
                    announce(
                        self.chat.as_ref(),
                        &self.store,
                        mention,
                        &format!("reply by {user} failed: {e}"),
                    )
                    .await;
                }
                format!("Not sent: {e}")
            }
        }
    }
}

/// The text to send: as written, or suggestion `#n`.
fn resolve(mention: &Mention, text: ReplyText) -> Result<String, String> {
    match text {
        ReplyText::Text(t) => Ok(t),
        ReplyText::Suggestion(n) => {
            let suggestions = mention.triage.as_ref().map(|t| t.suggestions.as_slice()).unwrap_or(&[]);
            suggestions.get(n - 1).cloned().ok_or_else(|| {
                let count = suggestions.len();
                format!(
                    "{} has {count} suggested repl{}; pick #1–#{}.",
                    mention.id,
                    if count == 1 { "y" } else { "ies" },
                    count.max(1)
                )
            })
        }
    }
}
