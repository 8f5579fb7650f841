//! What Slack sends us — `/talkback` commands, button clicks, modal submissions — turned into
//! talkback commands. Shared by Socket Mode and HTTP mode; answers go to the person only.

use std::sync::Arc;

use slack_morphism::prelude::*;

use super::{blocks, SlackChat};
use crate::chat::command::{Command, ReplyText};
use crate::chat::Commands;
use crate::domain::{ChatUser, HumanDuration, MentionId};
use crate::store::Store;

pub struct SlackInbound {
    pub commands: Arc<Commands>,
    pub chat: Arc<SlackChat>,
    pub store: Store,
}

/// How long Slack waits for an answer before showing the user an error.
const SLACK_DEADLINE: std::time::Duration = std::time::Duration::from_millis(2500);

/// What a submitted reply form asks for.
struct ReplyForm {
    id: MentionId,
    channel: String,
    text: String,
}

/// A problem to show in a form: the block it is about and the message.
type FormProblem = (String, String);

/// The reply form's mention, channel and text; an empty text is a problem shown in the form.
fn reply_form(e: &SlackInteractionViewSubmissionEvent) -> Result<Option<ReplyForm>, FormProblem> {
    let meta = match &e.view.view {
        SlackView::Modal(m) if m.callback_id.as_ref().is_some_and(|c| c.0 == "talkback_reply") => {
            m.private_metadata.clone()
        }
        _ => None,
    };
    let Some((id, channel)) = meta.as_deref().and_then(split_value) else {
        return Ok(None);
    };
    let text = e
        .view
        .state_params
        .state
        .as_ref()
        .and_then(|s| s.values.get(&"reply".into()))
        .and_then(|b| b.get(&"text".into()))
        .and_then(|v| v.value.clone())
        .unwrap_or_default();
    if text.trim().is_empty() {
        return Err(("reply".into(), "Write a reply first.".into()));
    }
    Ok(Some(ReplyForm {
        id,
        channel: channel.to_string(),
        text,
    }))
}

fn user(id: &str) -> ChatUser {
    ChatUser::new("slack", id)
}

/// `"42"` or `"42|rest"` → the id and the rest.
fn split_value(value: &str) -> Option<(MentionId, &str)> {
    let (id, rest) = value.split_once('|').unwrap_or((value, ""));
    Some((id.parse().ok()?, rest))
}

impl SlackInbound {
    /// `/talkback …`: the answer is the (ephemeral) response. Slack wants it within 3 seconds;
    /// a command that takes longer (a slow network while publishing) answers "working on it" and
    /// sends the result as an ephemeral message when it is done.
    pub async fn command(self: &Arc<Self>, ev: &SlackCommandEvent) -> String {
        let text = ev.text.clone().unwrap_or_default();
        let (who, channel) = (ev.user_id.0.clone(), ev.channel_id.0.clone());
        let this = self.clone();
        let mut work = tokio::spawn(async move { this.commands.run(&user(&who), &text).await });
        match tokio::time::timeout(SLACK_DEADLINE, &mut work).await {
            Ok(answer) => answer.unwrap_or_else(|e| format!("That command failed: {e}")),
            Err(_) => {
                let this = self.clone();
                let who = ev.user_id.0.clone();
                tokio::spawn(async move {
                    if let Ok(answer) = work.await {
                        this.tell(&channel, &who, &answer).await;
                    }
                });
                "Working on it; I'll answer here when it's done.".to_string()
            }
        }
    }

    /// A click or a form submission. Answers at once (Slack wants an ack within 3 seconds); the
    /// work runs on and reports by ephemeral message. Returns errors to show in a modal.
    pub async fn interaction(self: &Arc<Self>, ev: &SlackInteractionEvent) -> Option<FormProblem> {
        match ev {
            SlackInteractionEvent::BlockActions(e) => {
                let (this, e) = (self.clone(), e.clone());
                tokio::spawn(async move { this.block_actions(&e).await });
                None
            }
            SlackInteractionEvent::ViewSubmission(e) => {
                let ReplyForm { id, channel, text } = match reply_form(e) {
                    Ok(Some(form)) => form,
                    Ok(None) => return None,
                    Err(problem) => return Some(problem),
                };
                let this = self.clone();
                let who = e.user.id.0.clone();
                tokio::spawn(async move {
                    let cmd = Command::Reply {
                        id,
                        text: ReplyText::Text(text),
                    };
                    let answer = this.commands.handle(&user(&who), cmd).await;
                    this.tell(&channel, &who, &answer).await;
                });
                None
            }
            _ => None,
        }
    }

    async fn block_actions(&self, e: &SlackInteractionBlockActionsEvent) {
        let Some(who) = e.user.as_ref().map(|u| u.id.0.clone()) else {
            return;
        };
        let channel = e.channel.as_ref().map(|c| c.id.0.clone()).unwrap_or_default();
        for action in e.actions.iter().flatten() {
            let value = action
                .selected_option
                .as_ref()
                .map(|o| o.value.clone())
                .or_else(|| action.value.clone())
                .unwrap_or_default();
            let Some((id, rest)) = split_value(&value) else {
                continue;
            };
            let cmd = match action.action_id.0.as_str() {
                "reply" => {
                    self.open_reply(&who, &channel, &e.trigger_id.0, id, rest.parse().unwrap_or(1))
                        .await;
                    continue;
                }
                "approve" => Command::Approve { id },
                "claim" => Command::Claim { id },
                "unclaim" => Command::Unclaim { id },
                "dismiss" => Command::Dismiss { id, reason: None },
                "snooze" => match rest.parse::<HumanDuration>() {
                    Ok(duration) => Command::Snooze { id, duration },
                    Err(_) => continue,
                },
                _ => continue,
            };
            let answer = self.commands.handle(&user(&who), cmd).await;
            self.tell(&channel, &who, &answer).await;
        }
    }

    async fn open_reply(&self, who: &str, channel: &str, trigger: &str, id: MentionId, n: usize) {
        if !self.commands.may_reply(&user(who)) {
            let refusal = self.commands.reply_refusal(&user(who));
            self.tell(channel, who, &refusal).await;
            return;
        }
        let view = match self.store.mention(id) {
            Ok(m) => blocks::reply_modal(&m, n, channel),
            Err(e) => return self.tell(channel, who, &e.to_string()).await,
        };
        if let Err(e) = self.chat.open_view(trigger, view).await {
            tracing::warn!(error = %e, "could not open the reply form");
        }
    }

    async fn tell(&self, channel: &str, who: &str, text: &str) {
        if channel.is_empty() {
            return;
        }
        if let Err(e) = self.chat.ephemeral(channel, who, text).await {
            tracing::warn!(error = %e, "could not answer in Slack");
        }
    }
}
