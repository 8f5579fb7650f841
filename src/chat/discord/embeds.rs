//! What talkback shows on Discord: the alert as an embed with buttons and a snooze menu, and the
//! reply modal, built with serenity's builders and kept inside Discord's documented limits.

use chrono::{DateTime, Utc};
use serenity::all::{
    ButtonStyle, CreateActionRow, CreateButton, CreateEmbed, CreateEmbedAuthor, CreateEmbedFooter, CreateInputText,
    CreateModal, CreateSelectMenu, CreateSelectMenuKind, CreateSelectMenuOption, InputTextStyle,
};

use crate::chat::render;
use crate::pipeline::snippet;
use crate::store::{Drafts, Mention, MentionState};

/// Prefix of every `custom_id` talkback puts on a component or modal.
pub const PREFIX: &str = "talkback";

/// Embed limits (Discord's documented maxima, in characters).
const TITLE_MAX: usize = 256;
const DESCRIPTION_MAX: usize = 4096;
const FIELD_MAX: usize = 1024;
const MODAL_TITLE_MAX: usize = 45;
const INPUT_MAX: usize = 4000;

const OPEN: u32 = 0xE67E22;
const UPSET: u32 = 0xED4245;
const ANSWERED: u32 = 0x57F287;
const DISMISSED: u32 = 0x99AAB5;

/// Snooze choices offered in the alert's menu.
pub const SNOOZES: &[(&str, &str)] = &[("30 minutes", "30m"), ("2 hours", "2h"), ("1 day", "1d")];

/// Cuts `text` to `max` characters, ending with `…` when cut.
fn fit(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max - 1).collect();
    out.push('…');
    out
}

/// Markdown characters in user text shown literally.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '\\' | '*' | '_' | '~' | '`' | '|' | '>' | '#' | '[' | ']') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// `discord:123` in a talkback sentence becomes a Discord mention `<@123>`.
pub fn mention_users(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("discord:") {
        out.push_str(&rest[..i]);
        let after = &rest[i + "discord:".len()..];
        let digits = after.chars().take_while(char::is_ascii_digit).count();
        if digits > 0 {
            out.push_str(&format!("<@{}>", &after[..digits]));
        } else {
            out.push_str("discord:");
        }
        rest = &after[digits..];
    }
    out.push_str(rest);
    out
}

fn colour(m: &Mention) -> u32 {
    match m.state {
        MentionState::Answered => ANSWERED,
        MentionState::Dismissed => DISMISSED,
        _ if m.triage.as_ref().is_some_and(|t| t.sentiment.to_string() == "negative") => UPSET,
        _ => OPEN,
    }
}

/// The alert for one mention: its embed and its components (none once it is closed).
pub fn alert(m: &Mention, now: DateTime<Utc>) -> (CreateEmbed, Vec<CreateActionRow>) {
    (embed(m, now), components(m))
}

fn embed(m: &Mention, now: DateTime<Utc>) -> CreateEmbed {
    let title = format!("{} {} · {}", m.id, m.brand, m.post.network.display_name());
    let mut description = String::new();
    if let Some(t) = &m.post.title {
        description.push_str(&format!("**{}**\n", escape(&snippet(t, 200))));
    }
    let quoted: Vec<String> = escape(&snippet(&m.post.text, 2000))
        .lines()
        .map(|l| format!("> {l}"))
        .collect();
    description.push_str(&quoted.join("\n"));
    let mut e = CreateEmbed::new()
        .title(fit(&title, TITLE_MAX))
        .author(CreateEmbedAuthor::new(fit(&m.post.author_label(), TITLE_MAX)))
        .description(fit(&description, DESCRIPTION_MAX))
        .colour(colour(m))
        .timestamp(render::posted_at(m));
    if let Some(url) = m.post.url.as_deref().filter(|u| u.starts_with("http")) {
        e = e.url(url);
    }
    let conversation: Vec<String> = m
        .conversation
        .iter()
        .rev()
        .take(3)
        .rev()
        .map(|p| {
            format!(
                "↳ **{}**: {}",
                escape(&p.author_label()),
                escape(&snippet(&p.text, 300))
            )
        })
        .collect();
    if !conversation.is_empty() {
        e = e.field("Conversation", fit(&conversation.join("\n"), FIELD_MAX), false);
    }
    if let Some(t) = &m.triage {
        e = e
            .field("Intent", t.intent.to_string(), true)
            .field("Sentiment", t.sentiment.to_string(), true)
            .field("Posted", render::age(now, render::posted_at(m)), true)
            .field(
                "Guidance",
                fit(&format!("💡 {}", escape(&t.guidance)), FIELD_MAX),
                false,
            );
        if !t.suggestions.is_empty() {
            let per = FIELD_MAX / t.suggestions.len() - 8;
            let lines: Vec<String> = t
                .suggestions
                .iter()
                .enumerate()
                .map(|(i, s)| format!("**#{}** {}", i + 1, escape(&fit(s, per))))
                .collect();
            e = e.field("Suggested replies", fit(&lines.join("\n"), FIELD_MAX), false);
        }
        if let Drafts::Llm { model } = &t.drafts {
            e = e.footer(CreateEmbedFooter::new(fit(
                &format!("Drafts by {model}: read before sending"),
                2048,
            )));
        }
    }
    if let Some(d) = m.drafts.last().filter(|_| m.is_waiting()) {
        let by = mention_users(&d.by.to_string());
        e = e.field(
            "📝 Draft waiting for an approver",
            fit(&format!("by {by}\n> {}", escape(&d.text)), FIELD_MAX),
            false,
        );
    }
    e.field("Status", fit(&mention_users(&render::status(m, now)), FIELD_MAX), false)
}

fn button(action: &str, id: u64, arg: Option<&str>, label: &str, style: ButtonStyle) -> CreateButton {
    let custom_id = match arg {
        Some(a) => format!("{PREFIX}:{action}:{id}:{a}"),
        None => format!("{PREFIX}:{action}:{id}"),
    };
    CreateButton::new(custom_id).label(label).style(style)
}

/// Reply (or Open) · Claim · Dismiss [· Send draft · Edit draft], a snooze menu, and one
/// button per suggestion. A closed mention has none.
fn components(m: &Mention) -> Vec<CreateActionRow> {
    if !m.is_waiting() {
        return Vec::new();
    }
    let id = m.id.0;
    let read_only = m.post.network.is_read_only();
    let mut first = Vec::new();
    match (read_only, m.post.url.as_deref().filter(|u| u.starts_with("http"))) {
        (true, Some(url)) => first.push(CreateButton::new_link(url).label("Open")),
        (true, None) => {}
        (false, _) => first.push(button("reply", id, Some("1"), "Reply", ButtonStyle::Primary)),
    }
    first.push(match m.claimed_by {
        Some(_) => button("unclaim", id, None, "Unclaim", ButtonStyle::Secondary),
        None => button("claim", id, None, "Claim", ButtonStyle::Secondary),
    });
    first.push(button("dismiss", id, None, "Dismiss", ButtonStyle::Danger));
    if !m.drafts.is_empty() {
        first.push(button("approve", id, None, "Send draft", ButtonStyle::Success));
        first.push(button("reply", id, Some("0"), "Edit draft", ButtonStyle::Secondary));
    }
    let options = SNOOZES
        .iter()
        .map(|(label, value)| CreateSelectMenuOption::new(*label, *value))
        .collect();
    let snooze = CreateSelectMenu::new(
        format!("{PREFIX}:snooze:{id}"),
        CreateSelectMenuKind::String { options },
    )
    .placeholder("Snooze…");
    let mut rows = vec![CreateActionRow::Buttons(first), CreateActionRow::SelectMenu(snooze)];
    let suggestions = m.triage.as_ref().map(|t| t.suggestions.len()).unwrap_or(0);
    if !read_only && suggestions > 0 {
        let uses = (1..=suggestions.min(5))
            .map(|n| {
                button(
                    "reply",
                    id,
                    Some(&n.to_string()),
                    &format!("Use #{n}"),
                    ButtonStyle::Secondary,
                )
            })
            .collect();
        rows.push(CreateActionRow::Buttons(uses));
    }
    rows
}

/// The reply form, prefilled with suggestion `n` (0: the newest draft waiting for approval).
pub fn reply_modal(m: &Mention, n: usize) -> CreateModal {
    let draft = m.drafts.last().filter(|_| n == 0).map(|d| d.text.clone());
    let initial = draft
        .or_else(|| {
            m.triage
                .as_ref()
                .and_then(|t| t.suggestions.get(n.saturating_sub(1)))
                .cloned()
        })
        .unwrap_or_default();
    let target = m.reply_target();
    let label = format!(
        "Reply to {} on {}",
        target.author_handle().unwrap_or("them"),
        m.post.network.display_name()
    );
    let mut input = CreateInputText::new(InputTextStyle::Paragraph, fit(&label, MODAL_TITLE_MAX), "text")
        .placeholder(fit(&target.text, 100))
        .required(true)
        .max_length(INPUT_MAX as u16);
    if !initial.is_empty() {
        input = input.value(fit(&initial, INPUT_MAX));
    }
    CreateModal::new(
        format!("{PREFIX}:replyform:{}", m.id.0),
        fit(&format!("Reply to {} ({})", m.id, m.brand), MODAL_TITLE_MAX),
    )
    .components(vec![CreateActionRow::InputText(input)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claimers_become_discord_mentions_and_other_text_is_kept() {
        assert_eq!(
            mention_users("open · claimed by discord:412345 · x"),
            "open · claimed by <@412345> · x"
        );
        assert_eq!(mention_users("discord: nothing"), "discord: nothing");
    }

    #[test]
    fn long_text_is_cut_with_an_ellipsis() {
        assert_eq!(fit("abcdef", 4), "abc…");
        assert_eq!(fit("abc", 4), "abc");
        assert_eq!(escape("*hi* _x_"), "\\*hi\\* \\_x\\_");
    }
}
