//! Triage: labels a mention's intent and sentiment, gives the team a one-line guidance prompt and
//! drafts 1–3 suggested replies from the editable lexicon and templates in `bot-config/triage/`.
//! The deterministic part is a pure function of the post and the brand; `llm` may ask a model
//! for drafts. Nothing here ever posts anything.

mod classify;
mod drafts;
mod learn;
pub mod llm;
mod suggest;
mod text;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use crate::domain::{Network, Post};
use crate::publish::checks;
use crate::store::TriageResult;

pub use classify::{Evidence, IntentCues, Lexicon, LexiconSpec, Reading};
pub use drafts::{fill, has_private_details, unknown_variables, IntentTemplates, Templates, Vars, VARIABLES};
pub use learn::{Example, Model};
pub use suggest::LlmSuggester;
pub use text::PhraseSet;

/// Deterministic triage: the compiled lexicon, the templates and each brand's competitors.
#[derive(Debug, Clone)]
pub struct Triage {
    lexicon: Arc<Lexicon>,
    templates: Arc<Templates>,
    /// Learned from labelled examples; when empty the lexicon's rules decide alone.
    model: Arc<Model>,
    /// Brand (lowercase) → its competitors.
    competitors: HashMap<String, PhraseSet<()>>,
    /// Moves on with every mention so consecutive alerts start with different drafts.
    rotation: Arc<AtomicUsize>,
}

impl Default for Triage {
    /// The lexicon and templates bundled with talkback, no competitors.
    fn default() -> Self {
        crate::config::TriageConfig::builtin().build(&[])
    }
}

impl Triage {
    pub fn new(lexicon: Lexicon, templates: Templates) -> Triage {
        Triage {
            lexicon: Arc::new(lexicon),
            templates: Arc::new(templates),
            model: Arc::new(Model::default()),
            competitors: HashMap::new(),
            rotation: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// Names that make a mention of `brand` a comparison.
    pub fn with_competitors(mut self, brand: &str, names: &[String]) -> Triage {
        self.competitors
            .insert(brand.to_lowercase(), classify::competitors(names));
        self
    }

    /// Trains the model on labelled examples (read with this triage's lexicon).
    pub fn with_model(mut self, model: Arc<Model>) -> Triage {
        self.model = model;
        self
    }

    /// What the lexicon finds in a post, as seen by `brand`.
    pub fn evidence(&self, post: &Post, brand: &str) -> Evidence {
        let empty = PhraseSet::default();
        let rivals = self.competitors.get(&brand.to_lowercase()).unwrap_or(&empty);
        self.lexicon.evidence(&post_text(post), brand, rivals)
    }

    /// Intent and sentiment (and the topic) of a post, as seen by `brand`: the learned model's
    /// answer when there is one, else the lexicon's rules.
    pub fn read(&self, post: &Post, brand: &str) -> Reading {
        let evidence = self.evidence(post, brand);
        let mut reading = evidence.reading.clone();
        if self.model.is_trained() {
            let (intent, sentiment) = self.model.predict(&evidence);
            reading.intent = intent;
            reading.sentiment = sentiment;
        }
        reading
    }

    pub fn triage(&self, post: &Post, brand: &str) -> TriageResult {
        let reading = self.read(post, brand);
        let private = has_private_details(&post.text);
        let author = author(post);
        let first_name = first_name(post);
        let vars = Vars {
            author: &author,
            first_name: &first_name,
            brand,
            topic: reading.topic.as_deref().unwrap_or("this"),
        };
        let rotation = self.rotation.fetch_add(1, Ordering::Relaxed);
        let suggestions = self
            .templates
            .drafts(&reading, &vars, post.network, draft_limit(post), rotation);
        TriageResult {
            intent: reading.intent,
            sentiment: reading.sentiment,
            guidance: self
                .templates
                .guidance(reading.intent, reading.sentiment, private, reading.idea),
            suggestions,
            drafts: Default::default(),
        }
    }
}

/// The title (a sentence of its own) and the body.
pub fn post_text(post: &Post) -> String {
    match &post.title {
        Some(t) if !t.is_empty() => format!("{t}.\n{}", post.text),
        _ => post.text.clone(),
    }
}

/// How long a reply to `post` may be. Mastodon counts the `@author` talkback puts in front.
pub fn draft_limit(post: &Post) -> usize {
    let limit = checks::length_limit(post.network);
    match (post.network, post.author_handle()) {
        (Network::Mastodon, Some(h)) => limit.saturating_sub(h.trim_start_matches('@').chars().count() + 2),
        _ => limit,
    }
}

/// How to address the author in a draft: `@handle` where the network has them.
fn author(post: &Post) -> String {
    match (post.network, post.author_handle()) {
        (Network::Reddit, Some(h)) => format!("u/{}", h.trim_start_matches("u/")),
        (Network::Hackernews | Network::Rss | Network::Replay, Some(h)) => h.to_string(),
        (_, Some(h)) => format!("@{}", h.trim_start_matches('@')),
        (_, None) => first_name(post),
    }
}

/// The author's first name when the display name looks like one, else their handle's user part.
pub fn first_name(post: &Post) -> String {
    let author = post.author.as_ref();
    if let Some(name) = author.and_then(|a| a.name.as_deref()) {
        if let Some(first) = name
            .split_whitespace()
            .next()
            .filter(|w| w.chars().count() > 1 && w.chars().all(char::is_alphabetic))
        {
            return first.to_string();
        }
    }
    author
        .and_then(|a| a.handle.as_deref())
        .map(|h| {
            h.trim_start_matches('@')
                .trim_start_matches("u/")
                .split(['@', '.'])
                .next()
                .unwrap_or("")
                .to_string()
        })
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "there".to_string())
}
