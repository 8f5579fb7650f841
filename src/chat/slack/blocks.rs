//! Block Kit for Slack: the alert card, the grouped card for a burst, and the reply modal. Built
//! as JSON shaped like Slack's documented blocks, then typed by slack-morphism.

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use crate::chat::render;
use crate::pipeline::snippet;
use crate::store::{Mention, MentionState};

/// Slack's mrkdwn needs `&`, `<` and `>` escaped in user text.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

fn quote(text: &str) -> String {
    escape(text)
        .lines()
        .map(|l| format!(">{l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn plain(text: &str) -> Value {
    json!({"type": "plain_text", "text": text, "emoji": true})
}

fn mrkdwn(text: &str) -> Value {
    json!({"type": "mrkdwn", "text": text})
}

fn button(action: &str, label: &str, value: &str, style: Option<&str>) -> Value {
    let mut b = json!({"type": "button", "action_id": action, "text": plain(label), "value": value});
    if let Some(s) = style {
        b["style"] = json!(s);
    }
    b
}

fn headline(m: &Mention, now: DateTime<Utc>) -> String {
    let labels = m
        .triage
        .as_ref()
        .map(|t| format!(" · {} · {}", t.intent, t.sentiment))
        .unwrap_or_default();
    format!(
        "*{} {}* · {}{} · {}",
        m.id,
        escape(&m.brand),
        m.post.network.display_name(),
        labels,
        render::age(now, render::posted_at(m))
    )
}

fn status_line(m: &Mention, now: DateTime<Utc>) -> String {
    let mut s = render::status(m, now);
    if let Some(user) = m.claimed_by.as_ref().and_then(|u| u.0.strip_prefix("slack:")) {
        s = s.replace(&format!("slack:{user}"), &format!("<@{user}>"));
    }
    format!("Status: {s}")
}

/// The buttons of a mention still waiting for an answer.
fn actions(m: &Mention) -> Option<Value> {
    if !m.is_waiting() {
        return None;
    }
    let id = m.id.0.to_string();
    let mut elements = Vec::new();
    match (&m.post.network.is_read_only(), &m.post.url) {
        (true, Some(url)) => {
            elements.push(json!({"type": "button", "action_id": "open", "text": plain("Open"), "url": url}))
        }
        (true, None) => {}
        (false, _) => elements.push(button("reply", "Reply", &format!("{id}|1"), Some("primary"))),
    }
    let claim = if m.claimed_by.is_some() {
        ("unclaim", "Unclaim")
    } else {
        ("claim", "Claim")
    };
    elements.push(button(claim.0, claim.1, &id, None));
    elements.push(button("dismiss", "Dismiss", &id, Some("danger")));
    let options: Vec<Value> = [("30 minutes", "30m"), ("2 hours", "2h"), ("1 day", "1d")]
        .iter()
        .map(|(label, d)| json!({"text": plain(label), "value": format!("{id}|{d}")}))
        .collect();
    elements.push(
        json!({"type": "static_select", "action_id": "snooze", "placeholder": plain("Snooze"), "options": options}),
    );
    Some(json!({"type": "actions", "block_id": format!("mention:{id}"), "elements": elements}))
}

/// The newest draft and its Send / Edit buttons, when one waits for an approver.
fn draft(m: &Mention) -> Vec<Value> {
    let Some(d) = m.drafts.last().filter(|_| m.is_waiting()) else {
        return Vec::new();
    };
    let id = m.id.0.to_string();
    let who =
        d.by.0
            .strip_prefix("slack:")
            .map(|u| format!("<@{u}>"))
            .unwrap_or_else(|| d.by.to_string());
    vec![
        json!({"type": "section", "text": mrkdwn(&format!(":memo: *Draft by {who}, waiting for an approver*\n{}", quote(&d.text)))}),
        json!({"type": "actions", "block_id": format!("draft:{id}"), "elements": [
            button("approve", "Send draft", &id, Some("primary")),
            button("reply", "Edit draft", &format!("{id}|0"), None),
        ]}),
    ]
}

/// The full alert for one mention.
pub fn alert(m: &Mention, now: DateTime<Utc>) -> Vec<Value> {
    let mut body = format!("{}\n*{}*", headline(m, now), escape(&m.post.author_label()));
    if let Some(title) = &m.post.title {
        body.push_str(&format!("\n*{}*", escape(&snippet(title, 150))));
    }
    body.push_str(&format!("\n{}", quote(&snippet(&m.post.text, 2000))));
    if let Some(url) = &m.post.url {
        body.push_str(&format!("\n<{url}|Open on {}>", m.post.network.display_name()));
    }
    let mut blocks = vec![json!({"type": "section", "text": mrkdwn(&body)})];
    for p in m.conversation.iter().rev().take(3).rev() {
        blocks.push(json!({"type": "context", "elements": [mrkdwn(&format!("↳ *{}*: {}", escape(&p.author_label()), escape(&snippet(&p.text, 300))))]}));
    }
    if let Some(t) = &m.triage {
        let mut guidance = format!(":bulb: {}", escape(&t.guidance));
        if let crate::store::Drafts::Llm { model } = &t.drafts {
            guidance.push_str(&format!("  _(drafts by {}: read before sending)_", escape(model)));
        }
        blocks.push(json!({"type": "context", "elements": [mrkdwn(&guidance)]}));
        let can_reply = m.is_waiting() && !m.post.network.is_read_only();
        for (i, s) in t.suggestions.iter().enumerate() {
            let mut section = json!({"type": "section", "text": mrkdwn(&format!("*#{}* {}", i + 1, escape(s)))});
            if can_reply {
                section["accessory"] = button(
                    "reply",
                    &format!("Use #{}", i + 1),
                    &format!("{}|{}", m.id.0, i + 1),
                    None,
                );
            }
            blocks.push(section);
        }
    }
    blocks.push(json!({"type": "context", "elements": [mrkdwn(&status_line(m, now))]}));
    blocks.extend(draft(m));
    blocks.extend(actions(m));
    blocks
}

/// One message listing a burst of mentions, each with its own buttons.
pub fn group(mentions: &[Mention], now: DateTime<Utc>) -> Vec<Value> {
    let brands: Vec<&str> = mentions.iter().map(|m| m.brand.as_str()).fold(Vec::new(), |mut v, b| {
        if !v.contains(&b) {
            v.push(b);
        }
        v
    });
    let mut blocks = vec![
        json!({"type": "header", "text": plain(&format!("{} new mentions of {}", mentions.len(), brands.join(", ")))}),
    ];
    for m in mentions {
        let text = format!(
            "{} · *{}*\n{}\n{}",
            headline(m, now),
            escape(m.post.author_handle().unwrap_or("someone")),
            quote(&snippet(&m.post.text, 200)),
            status_line(m, now)
        );
        blocks.push(json!({"type": "section", "text": mrkdwn(&text)}));
        blocks.extend(actions(m));
    }
    blocks.push(json!({"type": "context", "elements": [mrkdwn("Many mentions at once, so they share one message. `/talkback show <id>` shows one in full.")]}));
    blocks
}

/// The plain-text fallback Slack shows in notifications.
pub fn fallback(mentions: &[Mention]) -> String {
    match mentions {
        [m] => format!(
            "{} {} on {}: {}",
            m.id,
            m.brand,
            m.post.network.display_name(),
            snippet(&m.post.text, 150)
        ),
        _ => {
            let ids: Vec<String> = mentions.iter().map(|m| m.id.to_string()).collect();
            format!("{} new mentions: {}", mentions.len(), ids.join(", "))
        }
    }
}

/// The reply form, prefilled with suggestion `n` (when there is one).
pub fn reply_modal(m: &Mention, n: usize, channel: &str) -> Value {
    // n = 0 is the newest draft waiting for approval; 1.. are suggestions.
    let initial = render::prefill(m, n);
    let network = m.post.network.display_name();
    json!({
        "type": "modal",
        "callback_id": "talkback_reply",
        "private_metadata": format!("{}|{channel}", m.id.0),
        "title": plain(&format!("Reply to {}", m.id)),
        "submit": plain("Send reply"),
        "close": plain("Cancel"),
        "blocks": [
            {"type": "section", "text": mrkdwn(&format!("*{}*\n{}", escape(&m.reply_target().author_label()), quote(&snippet(&m.reply_target().text, 600))))},
            {"type": "input", "block_id": "reply", "label": plain(&format!("Your reply on {network}")),
             "element": {"type": "plain_text_input", "action_id": "text", "multiline": true, "initial_value": initial}},
            {"type": "context", "elements": [mrkdwn(&format!("Sent as the brand's account on {network}. Only `team.repliers` may send."))]}
        ]
    })
}

/// True when the mention's alert should no longer offer buttons.
pub fn is_closed(m: &Mention) -> bool {
    matches!(m.state, MentionState::Answered | MentionState::Dismissed)
}
