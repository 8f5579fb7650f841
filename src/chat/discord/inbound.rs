//! What Discord sends us — `/talkback` subcommands, button clicks, the snooze menu, the reply
//! modal — turned into talkback commands and answered to the person only (ephemeral). Shared by
//! the gateway and the HTTP interactions endpoint: each asks `respond` for the immediate answer
//! and hands any slower work to `finish`, which edits the deferred answer when it is done.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use serenity::all::{
    ActionRowComponent, ComponentInteraction, ComponentInteractionDataKind, CreateInteractionResponse,
    CreateInteractionResponseMessage, EditInteractionResponse, Interaction, ModalInteraction,
};
use serenity::http::{LightMethod, Route};
use tokio::task::JoinHandle;

use super::commands::to_text;
use super::embeds::{self, PREFIX};
use super::rest::{Body, Rest};
use crate::chat::command::{Command, ReplyText};
use crate::chat::Commands;
use crate::domain::{ChatUser, DiscordId, HumanDuration, MentionId};
use crate::store::Store;

/// Discord shows "the application did not respond" after 3 seconds; answer before that.
pub const DEADLINE: Duration = Duration::from_millis(2500);
/// Discord's message length limit.
const MESSAGE_MAX: usize = 2000;

pub struct DiscordInbound {
    pub commands: Arc<Commands>,
    pub rest: Arc<Rest>,
    pub store: Store,
    pub application_id: DiscordId,
}

/// The answer to give now, and the work still running whose result will replace it.
pub struct Answer {
    pub now: CreateInteractionResponse,
    pub later: Option<JoinHandle<String>>,
}

impl Answer {
    fn now(response: CreateInteractionResponse) -> Answer {
        Answer {
            now: response,
            later: None,
        }
    }
}

/// An answer only the person who asked can see. Several lines (lists, stats, help) go in a
/// code block so their columns line up; everything is kept under Discord's 2000 characters.
pub fn ephemeral(text: &str) -> CreateInteractionResponse {
    CreateInteractionResponse::Message(
        CreateInteractionResponseMessage::new()
            .content(format_answer(text))
            .ephemeral(true),
    )
}

pub fn format_answer(text: &str) -> String {
    let text = text.trim_end();
    if !text.contains('\n') {
        return cut(text, MESSAGE_MAX);
    }
    let body = cut(&text.replace("```", "'''"), MESSAGE_MAX - 8);
    format!("```\n{body}\n```")
}

/// Cuts at a line end where possible, saying how much was left out.
fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut out = String::new();
    let mut lines = text.lines();
    for line in lines.by_ref() {
        if out.chars().count() + line.chars().count() + 40 > max {
            break;
        }
        out.push_str(line);
        out.push('\n');
    }
    let left = lines.count() + 1;
    if out.is_empty() {
        out = text.chars().take(max - 1).collect::<String>() + "…";
    } else {
        out.push_str(&format!("… and {left} more lines"));
    }
    out
}

fn user(id: impl std::fmt::Display) -> ChatUser {
    ChatUser::new("discord", &id.to_string())
}

/// `talkback:claim:42` → `("claim", 42, None)`; `talkback:reply:42:2` → `("reply", 42, Some("2"))`.
pub(super) fn parse_custom_id(custom_id: &str) -> Option<(&str, MentionId, Option<&str>)> {
    let mut parts = custom_id.splitn(4, ':');
    if parts.next()? != PREFIX {
        return None;
    }
    let action = parts.next()?;
    let id = parts.next()?.parse().ok()?;
    Some((action, id, parts.next()))
}

impl DiscordInbound {
    /// The immediate answer to an interaction. Work that is not done within `DEADLINE` is
    /// deferred ("thinking…", ephemeral) and goes on in `later`.
    pub async fn respond(self: &Arc<Self>, interaction: Interaction) -> Answer {
        match interaction {
            Interaction::Ping(_) => Answer::now(CreateInteractionResponse::Pong),
            Interaction::Command(c) if c.data.name == "talkback" => {
                let (this, who, text) = (self.clone(), user(c.user.id), to_text(&c.data.options));
                self.within_deadline(async move { this.commands.run(&who, &text).await })
                    .await
            }
            Interaction::Component(c) => self.component(&c).await,
            Interaction::Modal(m) => self.modal(&m).await,
            Interaction::Autocomplete(_) => Answer::now(CreateInteractionResponse::Acknowledge),
            Interaction::Command(c) => Answer::now(ephemeral(&format!(
                "talkback does not know `/{}`; try `/talkback help`.",
                c.data.name
            ))),
            _ => Answer::now(CreateInteractionResponse::Acknowledge),
        }
    }

    /// Runs `work`; its text is the answer when it is ready in time, else the answer is deferred.
    async fn within_deadline(&self, work: impl Future<Output = String> + Send + 'static) -> Answer {
        let mut task = tokio::spawn(work);
        match tokio::time::timeout(DEADLINE, &mut task).await {
            Ok(Ok(text)) => Answer::now(ephemeral(&text)),
            Ok(Err(e)) => Answer::now(ephemeral(&format!("That command failed: {e}"))),
            Err(_) => Answer {
                now: CreateInteractionResponse::Defer(CreateInteractionResponseMessage::new().ephemeral(true)),
                later: Some(task),
            },
        }
    }

    async fn component(self: &Arc<Self>, c: &ComponentInteraction) -> Answer {
        let who = user(c.user.id);
        let Some((action, id, arg)) = parse_custom_id(&c.data.custom_id) else {
            return Answer::now(CreateInteractionResponse::Acknowledge);
        };
        let cmd = match action {
            "reply" => return Answer::now(self.open_reply(&who, id, arg.and_then(|a| a.parse().ok()).unwrap_or(1))),
            "claim" => Command::Claim { id },
            "unclaim" => Command::Unclaim { id },
            "dismiss" => Command::Dismiss { id, reason: None },
            "approve" => Command::Approve { id },
            "snooze" => {
                let chosen = match &c.data.kind {
                    ComponentInteractionDataKind::StringSelect { values } => values.first().cloned(),
                    _ => None,
                };
                match chosen.as_deref().map(str::parse::<HumanDuration>) {
                    Some(Ok(duration)) => Command::Snooze { id, duration },
                    _ => return Answer::now(ephemeral("Pick how long to snooze for.")),
                }
            }
            other => return Answer::now(ephemeral(&format!("talkback does not know the button `{other}`."))),
        };
        let this = self.clone();
        self.within_deadline(async move { this.commands.handle(&who, cmd).await })
            .await
    }

    /// The reply modal for a Reply / Use #n / Edit draft click, or why it cannot open.
    fn open_reply(&self, who: &ChatUser, id: MentionId, n: usize) -> CreateInteractionResponse {
        if !self.commands.may_reply(who) {
            return ephemeral(&self.commands.reply_refusal(who));
        }
        match self.store.mention(id) {
            Ok(m) => match embeds::reply_modal(&m, n) {
                Ok(modal) => CreateInteractionResponse::Modal(modal),
                Err(why) => ephemeral(&why),
            },
            Err(e) => ephemeral(&e.to_string()),
        }
    }

    async fn modal(self: &Arc<Self>, m: &ModalInteraction) -> Answer {
        let Some(("replyform", id, _)) = parse_custom_id(&m.data.custom_id) else {
            return Answer::now(CreateInteractionResponse::Acknowledge);
        };
        let text = m
            .data
            .components
            .iter()
            .flat_map(|row| row.components.iter())
            .find_map(|c| match c {
                ActionRowComponent::InputText(t) if t.custom_id == "text" => t.value.clone(),
                _ => None,
            })
            .unwrap_or_default();
        if text.trim().is_empty() {
            return Answer::now(ephemeral("Write a reply first."));
        }
        let (this, who) = (self.clone(), user(m.user.id));
        let cmd = Command::Reply {
            id,
            text: ReplyText::Text(text),
        };
        self.within_deadline(async move { this.commands.handle(&who, cmd).await })
            .await
    }

    /// Replaces a deferred answer with the result of the work once it is done. Discord only
    /// accepts the edit after it has the deferral, so a too-early edit is tried again.
    pub async fn finish(&self, token: &str, later: JoinHandle<String>) {
        let text = later.await.unwrap_or_else(|e| format!("That command failed: {e}"));
        let edit = EditInteractionResponse::new().content(format_answer(&text));
        let Ok(body) = Body::json(&edit) else {
            return;
        };
        let route = Route::WebhookOriginalInteractionResponse {
            application_id: self.application_id.0.into(),
            token,
        };
        for attempt in 0..3 {
            match self.rest.send(LightMethod::Patch, route, body.clone()).await {
                Ok(_) => return,
                Err(e) if e.code() == Some(10015) && attempt < 2 => tokio::time::sleep(Duration::from_secs(1)).await,
                Err(e) => {
                    tracing::warn!(error = %e, "could not send the answer to a Discord interaction");
                    return;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn custom_ids_carry_the_action_the_mention_and_an_argument() {
        assert_eq!(
            parse_custom_id("talkback:reply:42:2"),
            Some(("reply", MentionId(42), Some("2")))
        );
        assert_eq!(parse_custom_id("talkback:claim:7"), Some(("claim", MentionId(7), None)));
        assert_eq!(parse_custom_id("other:claim:7"), None);
        assert_eq!(parse_custom_id("talkback:claim:x"), None);
    }

    #[test]
    fn long_answers_fit_discord_and_tables_go_in_code_blocks() {
        assert_eq!(format_answer("Claimed #4."), "Claimed #4.");
        let table = (0..300)
            .map(|i| format!("#{i} a line of the list"))
            .collect::<Vec<_>>()
            .join("\n");
        let out = format_answer(&table);
        assert!(out.starts_with("```\n#0 a line") && out.ends_with("more lines\n```"));
        assert!(out.chars().count() <= MESSAGE_MAX);
    }
}
