//! Triage accuracy on the labelled mentions in `tests/data/triage/*.jsonl`, with the shipped
//! lexicon, templates and `bot-config/talkback.toml`'s brands. Every file there is scored on its
//! own (drop a held-out set in and it is scored the same way); each must reach 85% on intent and
//! on sentiment.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;
use talkback::config::{Config, Needs};
use talkback::domain::{Intent, Post, Sentiment};
use talkback::triage::Triage;

const TARGET: f64 = 0.85;

struct Labelled {
    post: Post,
    intent: Intent,
    sentiment: Sentiment,
}

/// A line is a `Post` with `intent` and `sentiment` beside its fields, or `{"post": {…}, …}`.
fn parse_line(line: &str, n: usize) -> Labelled {
    let v: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("line {n}: {e}"));
    let mut post = v.get("post").cloned().unwrap_or_else(|| v.clone());
    if let Some(obj) = post.as_object_mut() {
        obj.entry("network").or_insert_with(|| "mastodon".into());
        obj.entry("id").or_insert_with(|| format!("line-{n}").into());
    }
    let label = |k: &str| -> Value {
        v.get(k)
            .or_else(|| v.get("labels").and_then(|l| l.get(k)))
            .cloned()
            .unwrap_or_else(|| panic!("line {n}: no `{k}` label"))
    };
    Labelled {
        post: serde_json::from_value(post).unwrap_or_else(|e| panic!("line {n}: {e}")),
        intent: serde_json::from_value(label("intent")).unwrap_or_else(|e| panic!("line {n}: intent: {e}")),
        sentiment: serde_json::from_value(label("sentiment")).unwrap_or_else(|e| panic!("line {n}: sentiment: {e}")),
    }
}

fn data_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/triage");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/data/triage")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    files.sort();
    files
}

fn shipped_triage() -> (Triage, String) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("bot-config");
    let config = Config::load(&dir, Needs::BrandsOnly).expect("bot-config loads");
    let brand = config.brands[0].name.clone();
    (config.triage.build(&config.brands), brand)
}

/// Accuracy overall and per label (recall), plus the confusion pairs, printed for tuning.
fn score<L: Copy + PartialEq + std::fmt::Debug>(name: &str, pairs: &[(L, L)]) -> f64 {
    let right = pairs.iter().filter(|(want, got)| want == got).count();
    let accuracy = right as f64 / pairs.len() as f64;
    println!("  {name}: {right}/{} = {:.1}%", pairs.len(), accuracy * 100.0);
    let mut per: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut confused: BTreeMap<(String, String), usize> = BTreeMap::new();
    for (want, got) in pairs {
        let e = per.entry(format!("{want:?}")).or_default();
        e.1 += 1;
        if want == got {
            e.0 += 1;
        } else {
            *confused.entry((format!("{want:?}"), format!("{got:?}"))).or_default() += 1;
        }
    }
    for (label, (r, n)) in per {
        println!("    {label}: {r}/{n} = {:.0}%", r as f64 * 100.0 / n as f64);
    }
    for ((want, got), n) in confused {
        println!("    labelled {want}, said {got}: {n}");
    }
    accuracy
}

#[test]
fn labelled_mentions_reach_85_percent_on_intent_and_sentiment() {
    let (triage, brand) = shipped_triage();
    let files = data_files();
    assert!(!files.is_empty(), "no labelled data");
    let mut total = 0;
    let mut failures = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("readable");
        let set: Vec<Labelled> = text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(i, l)| parse_line(l, i + 1))
            .collect();
        total += set.len();
        let mut intents = Vec::new();
        let mut sentiments = Vec::new();
        for l in &set {
            let r = triage.read(&l.post, &brand);
            if std::env::var_os("TRIAGE_VERBOSE").is_some() && (r.intent != l.intent || r.sentiment != l.sentiment) {
                println!(
                    "  {}: want {:?}/{:?} got {:?}/{:?}: {}",
                    l.post.id,
                    l.intent,
                    l.sentiment,
                    r.intent,
                    r.sentiment,
                    l.post.text.chars().take(120).collect::<String>()
                );
            }
            intents.push((l.intent, r.intent));
            sentiments.push((l.sentiment, r.sentiment));
        }
        println!("{} ({} mentions)", file.display(), set.len());
        let intent = score("intent", &intents);
        let sentiment = score("sentiment", &sentiments);
        if intent < TARGET {
            failures.push(format!("{}: intent accuracy {intent:.3} < {TARGET}", file.display()));
        }
        if sentiment < TARGET {
            failures.push(format!(
                "{}: sentiment accuracy {sentiment:.3} < {TARGET}",
                file.display()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(total >= 150, "only {total} labelled mentions");
}
