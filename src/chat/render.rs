//! Text renderings shared by every platform: ages, one-line summaries, the alert card as plain
//! text, and a mention's full story for `show`. Platforms wrap these in their own markup.

use chrono::{DateTime, Utc};

use crate::pipeline::snippet;
use crate::store::{Mention, MentionState};

/// `just now`, `5m ago`, `3h ago`, `2d ago`.
pub fn age(now: DateTime<Utc>, then: DateTime<Utc>) -> String {
    let secs = (now - then).num_seconds().max(0);
    match secs {
        0..=59 => "just now".to_string(),
        60..=3599 => format!("{}m ago", secs / 60),
        3600..=86_399 => format!("{}h ago", secs / 3600),
        _ => format!("{}d ago", secs / 86_400),
    }
}

/// When the post was written, falling back to when talkback saw it.
pub fn posted_at(m: &Mention) -> DateTime<Utc> {
    m.post.created_at.unwrap_or(m.received_at)
}

/// The state in a few words: `open`, `open · claimed by slack:U1`, `dismissed: spam`.
pub fn status(m: &Mention, now: DateTime<Utc>) -> String {
    let mut parts = vec![match m.state {
        MentionState::Dismissed => match &m.dismissed_reason {
            Some(r) => format!("dismissed: {r}"),
            None => "dismissed".to_string(),
        },
        MentionState::Answered => match m.replies.last().and_then(|r| r.url.as_deref()) {
            Some(url) => format!("answered ({url})"),
            None => "answered".to_string(),
        },
        // An alert being posted is open from the reader's point of view.
        MentionState::New | MentionState::Open => "open".to_string(),
    }];
    if let Some(c) = &m.claimed_by {
        parts.push(format!("claimed by {c}"));
    }
    if let Some(until) = m.snoozed_until.filter(|u| *u > now) {
        parts.push(format!("snoozed until {}", until.format("%Y-%m-%d %H:%M UTC")));
    }
    parts.join(" · ")
}

/// One line for `list`.
pub fn list_line(m: &Mention, now: DateTime<Utc>) -> String {
    let author = m.post.author_handle().unwrap_or("someone");
    format!(
        "{:<5} {:<10} {:<10} {:<24} {:>8}  \"{}\"  [{}]",
        m.id.to_string(),
        m.brand,
        m.post.network.as_str(),
        author,
        age(now, posted_at(m)),
        snippet(&m.post.text, 60),
        status(m, now)
    )
}

/// The alert as a plain-text card (console, and the fallback text of rich messages).
pub fn alert_text(m: &Mention, now: DateTime<Utc>) -> String {
    let mut out = String::new();
    let labels = match &m.triage {
        Some(t) => format!(" · {} · {}", t.intent, t.sentiment),
        None => String::new(),
    };
    out.push_str(&format!(
        "── {} {} · {}{} · {} ──\n",
        m.id,
        m.brand,
        m.post.network.display_name(),
        labels,
        age(now, posted_at(m))
    ));
    out.push_str(&format!("{}:\n", m.post.author_label()));
    if let Some(title) = &m.post.title {
        out.push_str(&format!("  {}\n", snippet(title, 120)));
    }
    out.push_str(&format!("  {}\n", snippet(&m.post.text, 400)));
    if let Some(url) = &m.post.url {
        out.push_str(&format!("  {url}\n"));
    }
    for p in m.conversation.iter().rev().take(3).rev() {
        out.push_str(&format!("  ↳ {}: {}\n", p.author_label(), snippet(&p.text, 200)));
    }
    if let Some(t) = &m.triage {
        out.push_str(&format!("Guidance: {}\n", t.guidance));
        if let crate::store::Drafts::Llm { model } = &t.drafts {
            out.push_str(&format!("  (drafts by {model}: read before sending)\n"));
        }
        for (i, s) in t.suggestions.iter().enumerate() {
            out.push_str(&format!("  #{} {s}\n", i + 1));
        }
    }
    out.push_str(&format!("Status: {}\n", status(m, now)));
    let n = m.id.0;
    if m.post.network.is_read_only() {
        out.push_str(&format!(
            "Actions: open the link to answer · claim {n} · dismiss {n} [reason] · snooze {n} <duration>"
        ));
    } else {
        out.push_str(&format!(
            "Actions: reply {n} <text> · reply {n} #1 · claim {n} · dismiss {n} [reason] · snooze {n} <duration>"
        ));
    }
    out
}

/// Everything about a mention, for `show`.
pub fn details(m: &Mention, now: DateTime<Utc>) -> String {
    let mut out = alert_text(m, now);
    if !m.conversation.is_empty() {
        out.push_str("\nConversation:");
        for p in &m.conversation {
            out.push_str(&format!("\n  {}: {}", p.author_label(), snippet(&p.text, 200)));
        }
    }
    if !m.replies.is_empty() {
        out.push_str("\nReplies:");
        for r in &m.replies {
            let by =
                r.by.as_ref()
                    .map(|b| b.to_string())
                    .unwrap_or_else(|| "on the network".to_string());
            out.push_str(&format!(
                "\n  {} ({by}, {}): {}",
                r.post_id,
                age(now, r.at),
                snippet(&r.text, 200)
            ));
        }
    }
    if !m.history.is_empty() {
        out.push_str("\nHistory:");
        for h in &m.history {
            let by = h.by.as_ref().map(|b| format!(" {b}")).unwrap_or_default();
            out.push_str(&format!("\n  {}{by}: {}", h.at.format("%Y-%m-%d %H:%M"), h.what));
        }
    }
    out
}

/// The text a reply form opens with: the newest draft waiting for approval (`n` = 0) or
/// suggestion `n`; empty when there is none.
pub fn prefill(m: &Mention, n: usize) -> String {
    let draft = m.drafts.last().filter(|_| n == 0).map(|d| d.text.clone());
    draft
        .or_else(|| {
            m.triage
                .as_ref()
                .and_then(|t| t.suggestions.get(n.saturating_sub(1)))
                .cloned()
        })
        .unwrap_or_default()
}
