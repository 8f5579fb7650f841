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

fn user(id: &str) -> ChatUser {
    ChatUser::new("slack", id)
}

/// `"42"` or `"42|rest"` → the id and the rest.
fn split_value(value: &str) -> Option<(MentionId, &str)> {
    let (id, rest) = value.split_once('|').unwrap_or((value, ""));
    Some((id.parse().ok()?, rest))
}

impl SlackInbound {
    /// `/talkback …`: the answer is the (ephemeral) response.
    pub async fn command(&self, ev: &SlackCommandEvent) -> String {
        let text = ev.text.clone().unwrap_or_default();
        self.commands.run(&user(&ev.user_id.0), &text).await
    }

    /// A click or a form submission. Returns errors to show in a modal, keyed by block id.
    pub async fn interaction(&self, ev: &SlackInteractionEvent) -> Option<(String, String)> {
        match ev {
            SlackInteractionEvent::BlockActions(e) => {
                self.block_actions(e).await;
                None
            }
            SlackInteractionEvent::ViewSubmission(e) => self.view_submission(e).await,
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

    async fn view_submission(&self, e: &SlackInteractionViewSubmissionEvent) -> Option<(String, String)> {
        let meta = match &e.view.view {
            SlackView::Modal(m) if m.callback_id.as_ref().is_some_and(|c| c.0 == "talkback_reply") => {
                m.private_metadata.clone()?
            }
            _ => return None,
        };
        let (id, channel) = split_value(&meta)?;
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
            return Some(("reply".into(), "Write a reply first.".into()));
        }
        let who = e.user.id.0.clone();
        let answer = self
            .commands
            .handle(
                &user(&who),
                Command::Reply {
                    id,
                    text: ReplyText::Text(text),
                },
            )
            .await;
        self.tell(channel, &who, &answer).await;
        None
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
