//! Intent and sentiment from the lexicon: phrase hits with negation, contrast and sarcasm for
//! sentiment, weighted cues per intent. Deterministic; reads only the post's text.

use std::collections::HashSet;

use super::text::{mark_brand, normalize, product_names, tokenize, Hit, PhraseSet, Token};
use crate::domain::{Intent, Sentiment};

/// The lexicon as written in `bot-config/triage/lexicon.toml`: plain lists of phrases.
#[derive(Debug, Clone, Default)]
pub struct LexiconSpec {
    pub positive: Vec<String>,
    pub negative: Vec<String>,
    pub negators: Vec<String>,
    pub contrast: Vec<String>,
    pub sarcasm: Vec<String>,
    pub sarcasm_in_context: Vec<String>,
    pub question_openers: Vec<String>,
    /// Per intent: weak cues worth ½, cues worth 1 and strong cues worth 2.
    pub intents: Vec<IntentCues>,
    /// In a comparison, phrases that lean away from the brand ("moving off {brand}") and
    /// toward it ("switched to {brand}").
    pub away: Vec<String>,
    pub toward: Vec<String>,
    /// Alternatives every brand is compared with (big clouds, "self-hosting").
    pub competitors: Vec<String>,
    /// Capitalized words that are not products ("Postgres", "Friday"), so that other names in a
    /// post can be taken for competitors.
    pub not_competitors: Vec<String>,
    /// Phrases that make a post an idea or a feature request ("would be great if").
    pub ideas: Vec<String>,
    /// Topic label → the words that mean it.
    pub topics: Vec<(String, Vec<String>)>,
}

/// One intent's cues, by weight.
#[derive(Debug, Clone)]
pub struct IntentCues {
    pub intent: Intent,
    pub weak: Vec<String>,
    pub cues: Vec<String>,
    pub strong: Vec<String>,
}

/// What the words say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Cue {
    Positive,
    Negative,
}

/// The compiled lexicon.
#[derive(Debug, Clone)]
pub struct Lexicon {
    sentiment: PhraseSet<Cue>,
    negators: PhraseSet<()>,
    contrast: PhraseSet<()>,
    sarcasm: PhraseSet<()>,
    sarcasm_in_context: PhraseSet<()>,
    openers: PhraseSet<()>,
    intents: PhraseSet<(Intent, f32)>,
    competitors: PhraseSet<()>,
    not_competitors: HashSet<String>,
    ideas: PhraseSet<()>,
    /// Comparison direction: -1 away from the brand, +1 toward it.
    direction: PhraseSet<i32>,
    topics: PhraseSet<usize>,
    topic_names: Vec<String>,
}

/// What the lexicon found in one post: the raw material for the rules and the learned model.
#[derive(Debug, Clone)]
pub struct Evidence {
    pub tokens: Vec<Token>,
    /// Per intent, in `Intent::ALL` order.
    pub intent_scores: [f32; 7],
    pub sentiment_score: f32,
    pub sarcastic: bool,
    pub rival: bool,
    /// How many words look like other products' names.
    pub named: usize,
    /// Sentiment cues found: praise, negated praise, criticism, negated criticism.
    pub cue_counts: [f32; 4],
    /// How many words are written in capitals for emphasis ("STILL", "NOTHING").
    pub shouting: usize,
    /// Comparison direction: below zero away from the brand, above toward it.
    pub lean: i32,
    /// What the rules alone decide.
    pub reading: Reading,
}

/// The labels and the evidence for them.
#[derive(Debug, Clone, PartialEq)]
pub struct Reading {
    pub intent: Intent,
    pub sentiment: Sentiment,
    pub sarcastic: bool,
    pub topic: Option<String>,
    /// The post suggests an idea or asks for a feature.
    pub idea: bool,
}

fn set<V: Copy>(entries: &[String], value: V) -> PhraseSet<V> {
    let mut s = PhraseSet::default();
    for e in entries {
        s.add(e, value);
    }
    s
}

impl Lexicon {
    pub fn new(spec: &LexiconSpec) -> Lexicon {
        let mut sentiment = set(&spec.positive, Cue::Positive);
        for e in &spec.negative {
            sentiment.add(e, Cue::Negative);
        }
        let mut intents = PhraseSet::default();
        for c in &spec.intents {
            for (list, weight) in [(&c.weak, 0.5), (&c.cues, 1.0), (&c.strong, 2.0)] {
                for entry in list {
                    intents.add(entry, (c.intent, weight));
                }
            }
        }
        let mut topics = PhraseSet::default();
        for (i, (_, words)) in spec.topics.iter().enumerate() {
            for w in words {
                topics.add(w, i);
            }
        }
        let mut direction = set(&spec.away, -1);
        for e in &spec.toward {
            direction.add(e, 1);
        }
        Lexicon {
            direction,
            sentiment,
            negators: set(&spec.negators, ()),
            contrast: set(&spec.contrast, ()),
            sarcasm: set(&spec.sarcasm, ()),
            sarcasm_in_context: set(&spec.sarcasm_in_context, ()),
            openers: set(&spec.question_openers, ()),
            intents,
            competitors: set(&spec.competitors, ()),
            not_competitors: spec.not_competitors.iter().map(|w| w.to_lowercase()).collect(),
            ideas: set(&spec.ideas, ()),
            topics,
            topic_names: spec.topics.iter().map(|(n, _)| n.clone()).collect(),
        }
    }

    /// Everything the lexicon finds in a post's text, and what its rules make of it.
    /// `competitors` are the brand's own list, compiled by the caller.
    pub fn evidence(&self, text: &str, brand: &str, competitors: &PhraseSet<()>) -> Evidence {
        let tokens = mark_brand(tokenize(&normalize(text)), brand);
        // Strong markers of sarcasm count alone; weak ones only beside something going wrong
        // ("love how it's down again").
        let cues = self.sentiment.find_all(&tokens);
        let something_wrong = cues.iter().any(|h| h.value == Cue::Negative);
        let sarcastic =
            self.sarcasm.contains_any(&tokens) || (self.sarcasm_in_context.contains_any(&tokens) && something_wrong);
        let (score, cue_counts) = self.sentiment_score(&tokens, &cues, sarcastic);
        let rival = competitors.contains_any(&tokens) || self.competitors.contains_any(&tokens);
        let named = product_names(text, brand, &self.not_competitors);
        let idea = self.ideas.contains_any(&tokens);
        let lean: i32 = self.direction.find_all(&tokens).iter().map(|h| h.value).sum();
        let scores = self.intent_scores(&tokens, leaning(score), sarcastic, rival, named > 0);
        let intent = decide(&scores);
        let sentiment = self.sentiment_for(intent, &tokens, score, lean);
        let topic = self
            .topics
            .find_all(&tokens)
            .first()
            .map(|h| self.topic_names[h.value].clone());
        Evidence {
            tokens,
            intent_scores: scores,
            sentiment_score: score,
            sarcastic,
            rival,
            named,
            shouting: shouting(text),
            cue_counts,
            lean,
            reading: Reading {
                intent,
                sentiment,
                sarcastic,
                topic,
                idea,
            },
        }
    }

    /// The intent says most about the feeling: a complaint is bad news, praise good news; someone asking or buying is neutral unless they say otherwise
    /// clearly.
    pub fn sentiment_for(&self, intent: Intent, tokens: &[Token], score: f32, lean: i32) -> Sentiment {
        match intent {
            Intent::Complaint => Sentiment::Negative,
            // A bug report is neutral when it only states the facts.
            Intent::BugReport if score <= -1.0 => Sentiment::Negative,
            Intent::BugReport => Sentiment::Neutral,
            Intent::Praise => Sentiment::Positive,
            Intent::Comparison => comparison_sentiment(tokens, score, lean),
            Intent::PurchaseIntent if score >= 1.5 => Sentiment::Positive,
            Intent::Question | Intent::Other => leaning(score / 3.0),
            Intent::PurchaseIntent => Sentiment::Neutral,
        }
    }

    /// Sum of the sentiment cues found in `tokens`. A negator up to four words before a cue flips
    /// it ("not happy", "no complaints"); what follows a contrast word ("but") weighs more than what came before it; with
    /// a sarcasm marker, praise words count against.
    fn sentiment_score(&self, tokens: &[Token], cues: &[Hit<Cue>], sarcastic: bool) -> (f32, [f32; 4]) {
        let contrast_at = (0..tokens.len()).find(|&i| self.contrast.longest_at(tokens, i).is_some());
        let mut score = 0.0;
        let mut counts = [0.0f32; 4];
        for hit in cues {
            let negated = self.negated(tokens, hit.start);
            let kind = match hit.value {
                Cue::Positive => 0,
                Cue::Negative => 2,
            } + usize::from(negated);
            counts[kind] += 1.0;
            let mut value = match (hit.value, negated) {
                (Cue::Positive, false) => 1.0,
                (Cue::Positive, true) => -1.0,
                (Cue::Negative, false) => -1.0,
                (Cue::Negative, true) => 1.0,
            };
            if sarcastic && value > 0.0 {
                value = -value;
            }
            if let Some(c) = contrast_at {
                value *= if hit.start > c { 1.5 } else { 0.5 };
            }
            score += value;
        }
        if sarcastic && score >= 0.0 {
            score = -1.0;
        }
        (score, counts)
    }

    /// True when a negator stands in the three words before `at`, within the same clause.
    fn negated(&self, tokens: &[Token], at: usize) -> bool {
        let from = at.saturating_sub(4);
        for i in (from..at).rev() {
            let t = &tokens[i];
            if !t.word && matches!(t.text.as_str(), "." | "," | "!" | "?" | ";" | ":") {
                return false;
            }
            if self.negators.longest_at(tokens, i).is_some() {
                return true;
            }
        }
        false
    }

    /// Each intent's weight of evidence, in `Intent::ALL` order.
    fn intent_scores(
        &self,
        tokens: &[Token],
        sentiment: Sentiment,
        sarcastic: bool,
        rival: bool,
        named: bool,
    ) -> [f32; 7] {
        let mut score = [0.0f32; 7];
        for hit in self.intents.find_all(tokens) {
            let (intent, weight) = hit.value;
            score[slot(intent)] += weight;
        }
        if rival {
            score[slot(Intent::Comparison)] += 1.5;
        } else if named {
            score[slot(Intent::Comparison)] += 1.0;
        }
        score[slot(Intent::Question)] += self.question_signal(tokens);
        if sarcastic {
            // "love paying twice 🙃" is not praise.
            score[slot(Intent::Complaint)] += score[slot(Intent::Praise)];
            score[slot(Intent::Praise)] = 0.0;
        }
        match sentiment {
            Sentiment::Negative => score[slot(Intent::Complaint)] += 1.0,
            Sentiment::Positive => score[slot(Intent::Praise)] += 1.0,
            Sentiment::Neutral => {}
        }
        score
    }

    /// 1½ for a question mark, ½ for a sentence that opens like a question.
    fn question_signal(&self, tokens: &[Token]) -> f32 {
        let mark = tokens.iter().any(|t| t.text == "?");
        let mut opener = false;
        let mut start = true;
        for (i, t) in tokens.iter().enumerate() {
            if start && t.word && self.openers.longest_at(tokens, i).is_some() {
                opener = true;
            }
            if t.word {
                start = false;
            } else if matches!(t.text.as_str(), "." | "!" | "?") {
                start = true;
            }
        }
        (if mark { 1.5 } else { 0.0 }) + if opener { 0.5 } else { 0.0 }
    }
}

/// A comparison is good news when it leans toward the brand, bad news when away; an open
/// question ("X or Acme?") is neutral; otherwise the words decide.
fn comparison_sentiment(tokens: &[Token], score: f32, lean: i32) -> Sentiment {
    match lean {
        l if l > 0 => Sentiment::Positive,
        l if l < 0 => Sentiment::Negative,
        _ if tokens.iter().any(|t| t.text == "?") => Sentiment::Neutral,
        _ if score >= 1.0 => Sentiment::Positive,
        _ if score <= -1.0 => Sentiment::Negative,
        _ => Sentiment::Neutral,
    }
}

fn leaning(score: f32) -> Sentiment {
    match score {
        s if s >= 0.5 => Sentiment::Positive,
        s if s <= -0.5 => Sentiment::Negative,
        _ => Sentiment::Neutral,
    }
}

/// Comparison and purchase intent win when their evidence is clear, because they say the most
/// about how to answer; otherwise the best score wins, ties going to the more specific intent.
fn decide(score: &[f32; 7]) -> Intent {
    for decisive in [Intent::Comparison, Intent::PurchaseIntent] {
        if score[slot(decisive)] >= 2.5 {
            return decisive;
        }
    }
    const PRIORITY: [Intent; 7] = [
        Intent::Comparison,
        Intent::PurchaseIntent,
        Intent::BugReport,
        Intent::Question,
        Intent::Complaint,
        Intent::Praise,
        Intent::Other,
    ];
    let (best, top) =
        PRIORITY
            .iter()
            .map(|i| (*i, score[slot(*i)]))
            .fold(
                (Intent::Other, 0.0f32),
                |(bi, bs), (i, s)| if s > bs { (i, s) } else { (bi, bs) },
            );
    if top < 1.0 {
        Intent::Other
    } else {
        best
    }
}

/// Words of four letters or more in capitals: emphasis, not acronyms.
fn shouting(text: &str) -> usize {
    text.split(|c: char| !c.is_alphabetic())
        .filter(|w| w.chars().count() >= 4 && w.chars().all(char::is_uppercase))
        .count()
}

/// An intent's place in `Intent::ALL`, where its score is kept.
fn slot(intent: Intent) -> usize {
    Intent::ALL
        .iter()
        .position(|x| *x == intent)
        .unwrap_or(Intent::ALL.len() - 1)
}

/// A brand's own competitor list, compiled once.
pub fn competitors(names: &[String]) -> PhraseSet<()> {
    set(names, ())
}
