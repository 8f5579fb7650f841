//! Five-fold cross-validation of triage over `bot-config/triage/examples.jsonl` and the labelled
//! set: the model is trained on four fifths and scored on the rest, five times. A guard against
//! lexicon or model changes that only fit the data they were tuned on. Slow-ish: `#[ignore]`d,
//! run by `.ci/run` (`cargo test --test triage_cv -- --ignored --nocapture` prints the figures).

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use talkback::config::{parse_examples, Config, Needs};
use talkback::triage::{Example, Model};

#[test]
#[ignore]
fn cross_validated_accuracy_stays_above_80_percent() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = Config::load(&root.join("bot-config"), Needs::BrandsOnly).expect("bot-config");
    let mut base = config.triage.clone();
    let mut data = std::mem::take(&mut base.examples);
    let labelled = root.join("tests/data/triage/labelled.jsonl");
    data.extend(parse_examples(&labelled, &std::fs::read_to_string(&labelled).unwrap()).unwrap());
    // The lexicon alone: no examples, no model.
    let triage = base.build(&config.brands);
    let examples: Vec<Example> = data
        .iter()
        .map(|e| Example {
            evidence: triage.evidence(&e.post, e.brand.as_deref().unwrap_or("Acme")),
            intent: e.intent,
            sentiment: e.sentiment,
        })
        .collect();
    let k = 5;
    let (mut intents, mut sentiments) = (0, 0);
    let mut confused: BTreeMap<String, usize> = BTreeMap::new();
    for fold in 0..k {
        let train: Vec<Example> = examples
            .iter()
            .enumerate()
            .filter(|(i, _)| i % k != fold)
            .map(|(_, e)| e.clone())
            .collect();
        let model = Arc::new(Model::train(&train));
        for e in examples
            .iter()
            .enumerate()
            .filter(|(i, _)| i % k == fold)
            .map(|(_, e)| e)
        {
            let (intent, sentiment) = model.predict(&e.evidence);
            intents += usize::from(intent == e.intent);
            sentiments += usize::from(sentiment == e.sentiment);
            if intent != e.intent {
                *confused
                    .entry(format!("{} → {}", e.intent.as_str(), intent.as_str()))
                    .or_default() += 1;
            }
        }
    }
    let n = examples.len() as f64;
    let (intent, sentiment) = (intents as f64 / n, sentiments as f64 / n);
    println!(
        "{k}-fold cross-validation over {} mentions: intent {:.1}%, sentiment {:.1}%",
        examples.len(),
        intent * 100.0,
        sentiment * 100.0
    );
    let mut worst: Vec<_> = confused.into_iter().collect();
    worst.sort_by_key(|(_, n)| std::cmp::Reverse(*n));
    println!("most confused: {:?}", &worst[..worst.len().min(8)]);
    assert!(intent >= 0.80, "intent {intent:.3}");
    assert!(sentiment >= 0.75, "sentiment {sentiment:.3}");
}
