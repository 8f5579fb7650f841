//! Triage: labels a mention's intent and sentiment, gives the team a one-line guidance prompt and
//! drafts 1–3 suggested replies. Pure functions of the post and the brand; never sends anything.

mod lexicon;
pub mod llm;

use crate::domain::{Intent, Post, Sentiment};
use crate::store::TriageResult;

pub use lexicon::Lexicon;

/// Deterministic, keyword-based triage with a built-in lexicon.
#[derive(Debug, Clone, Default)]
pub struct Triage {
    lexicon: Lexicon,
}

impl Triage {
    pub fn new(lexicon: Lexicon) -> Triage {
        Triage { lexicon }
    }

    pub fn triage(&self, post: &Post, brand: &str) -> TriageResult {
        let text = match &post.title {
            Some(t) => format!("{t}\n{}", post.text),
            None => post.text.clone(),
        };
        let lower = text.to_lowercase();
        let sentiment = self.lexicon.sentiment(&lower);
        let intent = self.lexicon.intent(&lower, sentiment);
        let first_name = first_name(post);
        let suggestions = lexicon::templates(intent)
            .iter()
            .map(|t| fill(t, &first_name, brand))
            .collect();
        TriageResult {
            intent,
            sentiment,
            guidance: lexicon::guidance(intent).to_string(),
            suggestions,
        }
    }
}

/// The author's first name when the display name looks like one, else their handle's user part.
fn first_name(post: &Post) -> String {
    let author = post.author.as_ref();
    if let Some(name) = author.and_then(|a| a.name.as_deref()) {
        if let Some(first) = name
            .split_whitespace()
            .next()
            .filter(|w| w.chars().all(char::is_alphabetic))
        {
            return first.to_string();
        }
    }
    author
        .and_then(|a| a.handle.as_deref())
        .map(|h| {
            h.trim_start_matches('@')
                .split(['@', '.'])
                .next()
                .unwrap_or("")
                .to_string()
        })
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "there".to_string())
}

fn fill(template: &str, first_name: &str, brand: &str) -> String {
    template.replace("{first_name}", first_name).replace("{brand}", brand)
}

/// The intent and sentiment alone, for callers that need no drafts.
pub fn classify(post: &Post) -> (Intent, Sentiment) {
    let t = Triage::default().triage(post, "");
    (t.intent, t.sentiment)
}
