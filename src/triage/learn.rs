//! Learning from labelled examples: a small linear model (multinomial logistic regression) over
//! the lexicon's evidence and the post's words, trained deterministically when the config loads
//! from `bot-config/triage/examples.jsonl`. The lexicon carries what generalizes; the examples
//! teach how much each clue counts and the vocabulary of a brand's own audience.

use std::collections::HashMap;

use super::classify::Evidence;
use crate::domain::{Intent, Sentiment};

const SENTIMENTS: [Sentiment; 3] = [Sentiment::Positive, Sentiment::Neutral, Sentiment::Negative];
const EPOCHS: usize = 30;
const RATE: f32 = 0.5;
const L2: f32 = 1e-4;

/// One labelled example, already read by the lexicon.
pub struct Example {
    pub evidence: Evidence,
    pub intent: Intent,
    pub sentiment: Sentiment,
}

/// Named feature values.
type Features = Vec<(String, f32)>;

/// Weights of one classifier: feature → one weight per class.
#[derive(Debug, Clone, Default)]
struct Linear {
    classes: usize,
    weights: HashMap<String, Vec<f32>>,
}

/// The trained model: intent and sentiment.
#[derive(Debug, Clone, Default)]
pub struct Model {
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
    for (flag, on) in [
        ("sarcastic", e.sarcastic),
        ("rival", e.rival),
        ("toward", e.lean > 0),
        ("away", e.lean < 0),
        ("question_mark", e.tokens.iter().any(|t| t.text == "?")),
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

impl Linear {
    fn new(classes: usize) -> Linear {
        Linear {
            classes,
            weights: HashMap::new(),
        }
    }

    fn scores(&self, features: &[(String, f32)]) -> Vec<f32> {
        let mut out = vec![0.0; self.classes];
        for (name, x) in features {
            if let Some(w) = self.weights.get(name) {
                for (o, w) in out.iter_mut().zip(w) {
                    *o += w * x;
                }
            }
        }
        out
    }

    /// One step of gradient descent on the log loss for one example (AdaGrad-free, plain SGD
    /// with a decaying rate: deterministic and quick on a few thousand examples).
    fn step(&mut self, features: &[(String, f32)], label: usize, rate: f32) {
        let p = softmax(&self.scores(features));
        for (name, x) in features {
            let w = self
                .weights
                .entry(name.clone())
                .or_insert_with(|| vec![0.0; self.classes]);
            for (c, wc) in w.iter_mut().enumerate() {
                let target = if c == label { 1.0 } else { 0.0 };
                *wc -= rate * ((p[c] - target) * x + L2 * *wc);
            }
        }
    }

    fn best(&self, features: &[(String, f32)]) -> (usize, f32) {
        let p = softmax(&self.scores(features));
        p.iter().enumerate().fold(
            (0, f32::MIN),
            |(bi, bp), (i, &v)| if v > bp { (i, v) } else { (bi, bp) },
        )
    }
}

fn softmax(scores: &[f32]) -> Vec<f32> {
    let max = scores.iter().cloned().fold(f32::MIN, f32::max);
    let exp: Vec<f32> = scores.iter().map(|s| (s - max).exp()).collect();
    let sum: f32 = exp.iter().sum();
    exp.iter().map(|e| e / sum).collect()
}

impl Model {
    /// Trains on `examples` in order, the same way every time.
    pub fn train(examples: &[Example]) -> Model {
        let mut intent = Linear::new(Intent::ALL.len());
        let mut sentiment = Linear::new(SENTIMENTS.len());
        let data: Vec<(Features, usize, usize)> = examples
            .iter()
            .map(|e| {
                let i = Intent::ALL.iter().position(|x| *x == e.intent).unwrap_or(6);
                let s = SENTIMENTS.iter().position(|x| *x == e.sentiment).unwrap_or(1);
                (features(&e.evidence), i, s)
            })
            .collect();
        for epoch in 0..EPOCHS {
            let rate = RATE / (1.0 + epoch as f32);
            for (f, i, s) in &data {
                intent.step(f, *i, rate);
                let mut fs = f.clone();
                fs.push((format!("label:{}", Intent::ALL[*i].as_str()), 1.0));
                sentiment.step(&fs, *s, rate);
            }
        }
        Model {
            intent,
            sentiment,
            examples: examples.len(),
        }
    }

    pub fn is_trained(&self) -> bool {
        self.examples > 0
    }

    /// The model's intent and sentiment for a post's evidence.
    pub fn predict(&self, e: &Evidence) -> (Intent, Sentiment) {
        let mut f = features(e);
        let (i, _) = self.intent.best(&f);
        let intent = Intent::ALL[i];
        f.push((format!("label:{}", intent.as_str()), 1.0));
        let (s, _) = self.sentiment.best(&f);
        (intent, SENTIMENTS[s])
    }
}
