//! Learning from labelled examples: a small linear model (multinomial logistic regression) over
//! the lexicon's evidence and the post's words, trained deterministically when the config loads
//! from `bot-config/triage/examples.jsonl`. The lexicon carries what generalizes; the examples
//! teach how much each clue counts and the vocabulary of a brand's own audience.

use std::collections::HashMap;

use super::classify::Evidence;
use crate::domain::{Intent, Sentiment};

const SENTIMENTS: [Sentiment; 3] = [Sentiment::Positive, Sentiment::Neutral, Sentiment::Negative];
const EPOCHS: usize = 12;
const RATE: f32 = 0.5;
const L2: f32 = 1e-4;

/// One labelled example, already read by the lexicon.
#[derive(Debug, Clone)]
pub struct Example {
    pub evidence: Evidence,
    pub intent: Intent,
    pub sentiment: Sentiment,
}

/// Named feature values.
type Features = Vec<(String, f32)>;

/// Feature values by index into the model's vocabulary.
type Indexed = Vec<(usize, f32)>;

/// Weights of one classifier: for each feature index, one weight per class.
#[derive(Debug, Clone, Default)]
struct Linear {
    classes: usize,
    weights: Vec<f32>,
}

/// The trained model: a vocabulary of features and two classifiers, intent and sentiment.
#[derive(Debug, Clone, Default)]
pub struct Model {
    vocab: HashMap<String, usize>,
    intent: Linear,
    sentiment: Linear,
    pub examples: usize,
}

/// The features of a post: the lexicon's evidence and what its rules say, then the words and
/// pairs of words (brand names are one token, `{brand}`).
pub fn features(e: &Evidence) -> Vec<(String, f32)> {
    let mut f: Vec<(String, f32)> = vec![("bias".into(), 1.0)];
    for (i, intent) in Intent::ALL.iter().enumerate() {
        f.push((format!("score:{}", intent.as_str()), e.intent_scores[i].min(6.0) / 2.0));
    }
    f.push((format!("rule:{}", e.reading.intent.as_str()), 1.0));
    f.push((format!("rule_sentiment:{}", e.reading.sentiment.as_str()), 1.0));
    let s = e.sentiment_score.clamp(-4.0, 4.0) / 2.0;
    f.push(("sentiment+".into(), s.max(0.0)));
    f.push(("sentiment-".into(), (-s).max(0.0)));
    for (name, n) in ["praise", "negated_praise", "criticism", "negated_criticism"]
        .iter()
        .zip(e.cue_counts)
    {
        f.push(((*name).into(), n.min(4.0) / 2.0));
    }
    for (flag, on) in [
        ("sarcastic", e.sarcastic),
        ("rival", e.rival),
        ("named", e.named > 0),
        ("toward", e.lean > 0),
        ("away", e.lean < 0),
        ("question_mark", e.tokens.iter().any(|t| t.text == "?")),
        ("exclamation", e.tokens.iter().any(|t| t.text == "!")),
        ("shouting", e.shouting > 0),
    ] {
        if on {
            f.push((flag.into(), 1.0));
        }
    }
    let mut seen: Vec<String> = Vec::new();
    let mut previous: Option<&str> = None;
    for t in &e.tokens {
        if t.word || !t.text.is_ascii() {
            seen.push(format!("w:{}", t.text));
            if t.word {
                seen.push(format!("s:{}", stem(&t.text)));
            }
        }
        if let (Some(p), true) = (previous, t.word) {
            seen.push(format!("b:{p} {}", t.text));
        }
        previous = t.word.then_some(t.text.as_str());
    }
    seen.sort();
    seen.dedup();
    f.extend(seen.into_iter().map(|w| (w, 0.5)));
    f
}

/// A crude stem, so that "crashes", "crashed" and "crashing" share a feature.
fn stem(word: &str) -> &str {
    for suffix in ["ing", "ed", "es", "s", "ly"] {
        if let Some(stem) = word.strip_suffix(suffix) {
            if stem.chars().count() >= 3 {
                return stem;
            }
        }
    }
    word
}

impl Linear {
    fn new(classes: usize, features: usize) -> Linear {
        Linear {
            classes,
            weights: vec![0.0; classes * features],
        }
    }

    fn scores(&self, features: &[(usize, f32)]) -> Vec<f32> {
        let mut out = vec![0.0; self.classes];
        for &(f, x) in features {
            let w = &self.weights[f * self.classes..(f + 1) * self.classes];
            for (o, w) in out.iter_mut().zip(w) {
                *o += w * x;
            }
        }
        out
    }

    /// One step of gradient descent on the log loss for one example (plain SGD with a decaying
    /// rate: deterministic and quick on a few thousand examples).
    fn step(&mut self, features: &[(usize, f32)], label: usize, rate: f32) {
        let p = softmax(&self.scores(features));
        for &(f, x) in features {
            let w = &mut self.weights[f * self.classes..(f + 1) * self.classes];
            for (c, wc) in w.iter_mut().enumerate() {
                let target = if c == label { 1.0 } else { 0.0 };
                *wc -= rate * ((p[c] - target) * x + L2 * *wc);
            }
        }
    }

    fn best(&self, features: &[(usize, f32)]) -> usize {
        let p = self.scores(features);
        p.iter()
            .enumerate()
            .fold(
                (0, f32::MIN),
                |(bi, bp), (i, &v)| if v > bp { (i, v) } else { (bi, bp) },
            )
            .0
    }
}

fn softmax(scores: &[f32]) -> Vec<f32> {
    let max = scores.iter().cloned().fold(f32::MIN, f32::max);
    let exp: Vec<f32> = scores.iter().map(|s| (s - max).exp()).collect();
    let sum: f32 = exp.iter().sum();
    exp.iter().map(|e| e / sum).collect()
}

/// The feature that tells the sentiment classifier which intent the post has.
fn intent_label(i: usize) -> String {
    format!("label:{}", Intent::ALL[i].as_str())
}

impl Model {
    /// Trains on `examples` in order, the same way every time.
    pub fn train(examples: &[Example]) -> Model {
        let mut vocab: HashMap<String, usize> = HashMap::new();
        let index = |f: Features, vocab: &mut HashMap<String, usize>| -> Indexed {
            f.into_iter()
                .map(|(name, x)| {
                    let next = vocab.len();
                    (*vocab.entry(name).or_insert(next), x)
                })
                .collect()
        };
        for i in 0..Intent::ALL.len() {
            index(vec![(intent_label(i), 1.0)], &mut vocab);
        }
        // Per example: its features, the same with its intent label (the sentiment classifier
        // knows the intent; the first vocabulary entries are the intent labels, in order), and
        // the two labels.
        let data: Vec<(Indexed, Indexed, usize, usize)> = examples
            .iter()
            .map(|e| {
                let i = Intent::ALL.iter().position(|x| *x == e.intent).unwrap_or(6);
                let s = SENTIMENTS.iter().position(|x| *x == e.sentiment).unwrap_or(1);
                let f = index(features(&e.evidence), &mut vocab);
                let mut with_label = f.clone();
                with_label.push((i, 1.0));
                (f, with_label, i, s)
            })
            .collect();
        let mut intent = Linear::new(Intent::ALL.len(), vocab.len());
        let mut sentiment = Linear::new(SENTIMENTS.len(), vocab.len());
        for epoch in 0..EPOCHS {
            let rate = RATE / (1.0 + epoch as f32);
            for (f, with_label, i, s) in &data {
                intent.step(f, *i, rate);
                sentiment.step(with_label, *s, rate);
            }
        }
        Model {
            vocab,
            intent,
            sentiment,
            examples: examples.len(),
        }
    }

    pub fn is_trained(&self) -> bool {
        self.examples > 0
    }

    /// The model's intent and sentiment for a post's evidence. Features it never saw in
    /// training count for nothing.
    pub fn predict(&self, e: &Evidence) -> (Intent, Sentiment) {
        let mut f: Indexed = features(e)
            .into_iter()
            .filter_map(|(name, x)| self.vocab.get(&name).map(|&i| (i, x)))
            .collect();
        let i = self.intent.best(&f);
        f.push((i, 1.0));
        let s = self.sentiment.best(&f);
        let intent = Intent::ALL[i];
        // Some intents carry their feeling: a complaint is bad news, praise good news, and a
        // bug report is never good news (calm ones are neutral, upset ones negative).
        let sentiment = match (intent, SENTIMENTS[s]) {
            (Intent::Complaint, _) => Sentiment::Negative,
            (Intent::Praise, _) => Sentiment::Positive,
            (Intent::BugReport, Sentiment::Positive) => Sentiment::Neutral,
            (_, s) => s,
        };
        (intent, sentiment)
    }
}
