//! Guidance and reply drafts from the templates in `bot-config/triage/templates.toml`: fills the
//! variables, rotates through the variants so consecutive alerts do not read canned, and keeps
//! only drafts that fit the network. Never sends anything.

use super::Reading;
use crate::domain::{Intent, Network, Sentiment};
use crate::publish::checks;

/// The variables a template may use.
pub const VARIABLES: [&str; 4] = ["author", "first_name", "brand", "topic"];

/// One intent's entry in the templates file.
#[derive(Debug, Clone, Default)]
pub struct IntentTemplates {
    pub guidance: String,
    /// Used instead of `guidance` when the author is upset.
    pub guidance_negative: Option<String>,
    pub replies: Vec<String>,
    /// Preferred when the author is upset (an upset question needs an apology first).
    pub replies_negative: Vec<String>,
}

/// All intents' templates.
#[derive(Debug, Clone, Default)]
pub struct Templates {
    pub by_intent: Vec<(Intent, IntentTemplates)>,
    /// Added to the guidance when the post carries personal details (an email, an order number).
    pub private_details: Option<String>,
    /// Added to the guidance when the post suggests an idea or asks for a feature (and used
    /// instead of the guidance of `other`).
    pub idea: Option<String>,
    /// Offered first for an idea.
    pub idea_replies: Vec<String>,
}

/// The values of the variables for one mention.
#[derive(Debug, Clone)]
pub struct Vars<'a> {
    pub author: &'a str,
    pub first_name: &'a str,
    pub brand: &'a str,
    pub topic: &'a str,
}

impl Templates {
    fn get(&self, intent: Intent) -> Option<&IntentTemplates> {
        self.by_intent.iter().find(|(i, _)| *i == intent).map(|(_, t)| t)
    }

    /// The one-line prompt for the team.
    pub fn guidance(&self, intent: Intent, sentiment: Sentiment, private: bool, idea: bool) -> String {
        let Some(t) = self.get(intent) else {
            return String::new();
        };
        let mut line = match (&t.guidance_negative, sentiment) {
            (Some(g), Sentiment::Negative) => g.clone(),
            _ => t.guidance.clone(),
        };
        if let (true, Intent::Other, Some(g)) = (idea, intent, &self.idea) {
            // "Reply only if you can add something" is wrong for an idea: thank them.
            line = g.clone();
            return self.with_private(line, private);
        }
        if let (true, Some(extra)) = (idea, &self.idea) {
            line.push(' ');
            line.push_str(extra);
        }
        self.with_private(line, private)
    }

    fn with_private(&self, mut line: String, private: bool) -> String {
        if let (true, Some(extra)) = (private, &self.private_details) {
            line.push(' ');
            line.push_str(extra);
        }
        line
    }

    /// Up to three different drafts, starting at `rotation` in the intent's list, each within
    /// `max_len` as `network` counts length.
    pub fn drafts(
        &self,
        reading: &Reading,
        vars: &Vars,
        network: Network,
        max_len: usize,
        rotation: usize,
    ) -> Vec<String> {
        let Some(t) = self.get(reading.intent) else {
            return Vec::new();
        };
        let mut pool: Vec<&String> = Vec::new();
        if reading.idea {
            pool.extend(rotated(&self.idea_replies, rotation));
        }
        if reading.sentiment == Sentiment::Negative {
            pool.extend(rotated(&t.replies_negative, rotation));
        }
        pool.extend(rotated(&t.replies, rotation));
        let mut out: Vec<String> = Vec::new();
        for template in pool {
            let draft = fill(template, vars);
            if !draft.trim().is_empty() && checks::length(network, &draft) <= max_len && !out.contains(&draft) {
                out.push(draft);
            }
            if out.len() == 3 {
                break;
            }
        }
        out
    }
}

fn rotated(list: &[String], rotation: usize) -> impl Iterator<Item = &String> {
    let n = list.len().max(1);
    list.iter().cycle().skip(rotation % n).take(list.len())
}

/// Replaces `{name}` for each variable; unknown names are left as written (the config check
/// rejects them before they get here).
pub fn fill(template: &str, vars: &Vars) -> String {
    template
        .replace("{author}", vars.author)
        .replace("{first_name}", vars.first_name)
        .replace("{brand}", vars.brand)
        .replace("{topic}", vars.topic)
}

/// The `{name}` placeholders in a template that are not variables.
pub fn unknown_variables(template: &str) -> Vec<String> {
    let mut unknown = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else { break };
        let name = &after[..close];
        if !VARIABLES.contains(&name) {
            unknown.push(name.to_string());
        }
        rest = &after[close + 1..];
    }
    unknown
}

/// True when the text carries something that belongs in a private channel: an email address,
/// a phone or order number (six digits or more in a row).
pub fn has_private_details(text: &str) -> bool {
    // A word starting with `@` is a fediverse handle (`@acme@mastodon.social`), not an email.
    let email = text.split_whitespace().filter(|w| !w.starts_with('@')).any(|w| {
        let w = w.trim_matches(|c: char| !c.is_alphanumeric());
        matches!(w.split_once('@'), Some((user, host)) if !user.is_empty() && host.contains('.'))
    });
    let mut run = 0;
    let digits = text.chars().any(|c| {
        run = if c.is_ascii_digit() { run + 1 } else { 0 };
        run >= 6
    });
    email || digits
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_unknown_variables() {
        assert_eq!(unknown_variables("Hi {first_name}, {brnd} here {"), ["brnd"]);
        assert!(unknown_variables("{author} {brand} {topic}").is_empty());
    }

    #[test]
    fn private_details() {
        assert!(has_private_details("my email is jo@example.com"));
        assert!(has_private_details("order 12345678 never came"));
        assert!(!has_private_details("@acme@mastodon.social v2.3.1 broke"));
    }

    #[test]
    fn drafts_rotate_and_fit() {
        let t = IntentTemplates {
            guidance: "g".into(),
            replies: vec!["a {brand}".into(), "b".into(), "c".into(), "d".into(), "x".repeat(400)],
            ..Default::default()
        };
        let templates = Templates {
            by_intent: vec![(Intent::Praise, t)],
            private_details: None,
            idea: None,
            idea_replies: vec![],
        };
        let vars = Vars {
            author: "@jo",
            first_name: "Jo",
            brand: "Acme",
            topic: "this",
        };
        let reading = Reading {
            intent: Intent::Praise,
            sentiment: Sentiment::Positive,
            sarcastic: false,
            topic: None,
            idea: false,
        };
        let d = |r| templates.drafts(&reading, &vars, Network::Bluesky, 300, r);
        assert_eq!(d(0), ["a Acme", "b", "c"]);
        assert_eq!(d(1), ["b", "c", "d"]);
        assert_eq!(d(3), ["d", "a Acme", "b"]);
    }
}
