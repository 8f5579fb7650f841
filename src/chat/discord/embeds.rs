//! What talkback shows on Discord: the alert as an embed with buttons and a snooze menu, and the
//! reply modal, built with serenity's builders and kept inside Discord's documented limits.

use chrono::{DateTime, Utc};
use serenity::all::{
    ButtonStyle, CreateActionRow, CreateButton, CreateEmbed, CreateEmbedAuthor, CreateEmbedFooter, CreateInputText,
    CreateModal, CreateSelectMenu, CreateSelectMenuKind, CreateSelectMenuOption, InputTextStyle,
};

use crate::chat::render;
use crate::domain::Sentiment;
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
    if max == 0 {
        return String::new();
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
        _ if m.triage.as_ref().is_some_and(|t| t.sentiment == Sentiment::Negative) => UPSET,
        _ => OPEN,
    }
}

/// The alert for one mention: its embed and its components (none once it is closed).
pub fn alert(m: &Mention, now: DateTime<Utc>) -> (CreateEmbed, Vec<CreateActionRow>) {
    (embed(m, now), components(m))
}

/// Discord's cap on all the text of a message's embeds together.
const EMBED_TOTAL_MAX: usize = 6000;
/// Caps for the longer fields, so the post's own text keeps most of the room.
const CONVERSATION_MAX: usize = 700;
const DRAFT_MAX: usize = 700;

/// A link Discord accepts: http(s), no spaces, not absurdly long.
pub fn link(url: Option<&str>, max: usize) -> Option<&str> {
    url.filter(|u| {
        (u.starts_with("https://") || u.starts_with("http://")) && u.len() <= max && !u.contains(char::is_whitespace)
    })
}

fn chars(s: &str) -> usize {
    s.chars().count()
}

/// The fields of an alert, each within its cap and never empty.
fn fields(m: &Mention, now: DateTime<Utc>) -> Vec<(&'static str, String, bool)> {
    let mut out = Vec::new();
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
                escape(&snippet(&p.text, 200))
            )
        })
        .collect();
    if !conversation.is_empty() {
        out.push(("Conversation", fit(&conversation.join("\n"), CONVERSATION_MAX), false));
    }
    if let Some(t) = &m.triage {
        out.push(("Intent", t.intent.to_string(), true));
        out.push(("Sentiment", t.sentiment.to_string(), true));
        out.push(("Posted", render::age(now, render::posted_at(m)), true));
        out.push(("Guidance", fit(&format!("💡 {}", escape(&t.guidance)), 400), false));
        if !t.suggestions.is_empty() {
            let per = (FIELD_MAX / t.suggestions.len()).saturating_sub(10).max(20);
            let lines: Vec<String> = t
                .suggestions
                .iter()
                .enumerate()
                .map(|(i, s)| format!("**#{}** {}", i + 1, fit(&escape(s), per)))
                .collect();
            out.push(("Suggested replies", fit(&lines.join("\n"), FIELD_MAX), false));
        }
    }
    if let Some(d) = m.drafts.last().filter(|_| m.is_waiting()) {
        let by = mention_users(&d.by.to_string());
        let text = format!("by {by}\n> {}", escape(&d.text));
        out.push(("📝 Draft waiting for an approver", fit(&text, DRAFT_MAX), false));
    }
    out.push(("Status", fit(&mention_users(&render::status(m, now)), FIELD_MAX), false));
    out
}

/// The alert's embed. The post's text gets whatever room the other parts leave of Discord's
/// 6000 characters per message.
fn embed(m: &Mention, now: DateTime<Utc>) -> CreateEmbed {
    let title = fit(
        &format!("{} {} · {}", m.id, m.brand, m.post.network.display_name()),
        TITLE_MAX,
    );
    let author = fit(&m.post.author_label(), TITLE_MAX);
    let footer = match &m.triage {
        Some(t) => match &t.drafts {
            Drafts::Llm { model } => Some(fit(&format!("Drafts by {model}: read before sending"), 200)),
            _ => None,
        },
        None => None,
    };
    let fields = fields(m, now);
    let used = chars(&title)
        + chars(&author)
        + footer.as_deref().map_or(0, chars)
        + fields.iter().map(|(n, v, _)| chars(n) + chars(v)).sum::<usize>();
    let room = EMBED_TOTAL_MAX.saturating_sub(used + 16).min(DESCRIPTION_MAX);
    let mut description = String::new();
    if let Some(t) = &m.post.title {
        description.push_str(&format!("**{}**\n", escape(&snippet(t, 200))));
    }
    let quoted: Vec<String> = escape(&snippet(&m.post.text, 2000))
        .lines()
        .map(|l| format!("> {l}"))
        .collect();
    description.push_str(&quoted.join("\n"));
    let description = fit(description.trim(), room);
    let mut e = CreateEmbed::new()
        .title(title)
        .colour(colour(m))
        .timestamp(render::posted_at(m));
    if !author.trim().is_empty() {
        e = e.author(CreateEmbedAuthor::new(author));
    }
    if !description.is_empty() {
        e = e.description(description);
    }
    if let Some(url) = link(m.post.url.as_deref(), 2048) {
        e = e.url(url);
    }
    if let Some(f) = footer {
        e = e.footer(CreateEmbedFooter::new(f));
    }
    for (name, value, inline) in fields {
        e = e.field(name, value, inline);
    }
    e
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
    match (read_only, link(m.post.url.as_deref(), 512)) {
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
/// A text longer than Discord's form allows is refused rather than cut, with what to do instead.
pub fn reply_modal(m: &Mention, n: usize) -> Result<CreateModal, String> {
    let initial = render::prefill(m, n);
    if chars(&initial) > INPUT_MAX {
        let how = match n {
            0 => format!("press **Send draft**, or `/talkback approve {}`", m.id.0),
            _ => format!("send it with `/talkback reply {} #{n}`", m.id.0),
        };
        return Err(format!(
            "That text is longer than Discord's form allows ({INPUT_MAX} characters): {how}."
        ));
    }
    let target = m.reply_target();
    let label = format!(
        "Reply to {} on {}",
        target.author_handle().unwrap_or("them"),
        m.post.network.display_name()
    );
    let mut input = CreateInputText::new(InputTextStyle::Paragraph, fit(&label, MODAL_TITLE_MAX), "text")
        .required(true)
        .max_length(INPUT_MAX as u16);
    let placeholder = fit(target.text.trim(), 100);
    if !placeholder.is_empty() {
        input = input.placeholder(placeholder);
    }
    if !initial.is_empty() {
        input = input.value(initial);
    }
    Ok(CreateModal::new(
        format!("{PREFIX}:replyform:{}", m.id.0),
        fit(&format!("Reply to {} ({})", m.id, m.brand), MODAL_TITLE_MAX),
    )
    .components(vec![CreateActionRow::InputText(input)]))
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
        assert_eq!(fit("abc", 0), "");
        assert_eq!(escape("*hi* _x_"), "\\*hi\\* \\_x\\_");
    }
}
