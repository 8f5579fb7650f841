//! Cross-validation of triage over the examples and the labelled set (for tuning; ignored).
use std::path::Path;
use talkback::config::{parse_examples, Config, Needs};
use talkback::triage::{Example, Model};

#[test]
#[ignore]
fn cross_validation() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = Config::load(&root.join("bot-config"), Needs::BrandsOnly).unwrap();
    let mut base = config.triage.clone();
    let mut data = std::mem::take(&mut base.examples);
    let extra = root.join("tests/data/triage/labelled.jsonl");
    data.extend(parse_examples(&extra, &std::fs::read_to_string(&extra).unwrap()).unwrap());
    let triage = base.build(&config.brands);
    let ev: Vec<Example> = data
        .iter()
        .map(|e| Example {
            evidence: triage.evidence(&e.post, "Acme"),
            intent: e.intent,
            sentiment: e.sentiment,
        })
        .collect();
    let k = 5;
    let mut conf = std::collections::BTreeMap::new();
    let mut sconf = std::collections::BTreeMap::new();
    let (mut ri, mut rs, mut mi, mut ms) = (0, 0, 0, 0);
    for fold in 0..k {
        let train: Vec<Example> = ev
            .iter()
            .enumerate()
            .filter(|(i, _)| i % k != fold)
            .map(|(_, e)| e.clone())
            .collect();
        let model = Model::train(&train);
        for (i, e) in ev.iter().enumerate().filter(|(i, _)| i % k == fold) {
            let (pi, ps) = model.predict(&e.evidence);
            ri += (e.evidence.reading.intent == e.intent) as usize;
            rs += (e.evidence.reading.sentiment == e.sentiment) as usize;
            mi += (pi == e.intent) as usize;
            if pi != e.intent && std::env::var_os("SHOW").is_some() {
                println!(
                    "ERR {:?}->{:?}: {}",
                    e.intent,
                    pi,
                    data[i]
                        .post
                        .text
                        .chars()
                        .take(140)
                        .collect::<String>()
                        .replace('\n', " ")
                );
            }
            if pi != e.intent {
                *conf.entry(format!("{:?}->{:?}", e.intent, pi)).or_insert(0) += 1;
            }
            if ps != e.sentiment {
                *sconf
                    .entry(format!("{:?}/{:?}->{:?}", e.intent, e.sentiment, ps))
                    .or_insert(0) += 1;
            }
            ms += (ps == e.sentiment) as usize;
        }
    }
    let mut c: Vec<_> = conf.into_iter().collect();
    c.sort_by_key(|(_, n)| std::cmp::Reverse(*n));
    println!("{:?}", &c[..c.len().min(15)]);
    let mut c: Vec<_> = sconf.into_iter().collect();
    c.sort_by_key(|(_, n)| std::cmp::Reverse(*n));
    println!("{:?}", &c[..c.len().min(15)]);
    let n = ev.len() as f64;
    println!(
        "CV n={} rules {:.1}/{:.1} model {:.1}/{:.1}",
        ev.len(),
        ri as f64 * 100.0 / n,
        rs as f64 * 100.0 / n,
        mi as f64 * 100.0 / n,
        ms as f64 * 100.0 / n
    );
}

#[test]
#[ignore]
fn sentiment_debug() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = Config::load(&root.join("bot-config"), Needs::BrandsOnly).unwrap();
    let mut base = config.triage.clone();
    let data = std::mem::take(&mut base.examples);
    let triage = base.build(&config.brands);
    let want = std::env::var("WANT").unwrap();
    for e in &data {
        if e.intent.as_str() != want {
            continue;
        }
        let ev = triage.evidence(&e.post, "Acme");
        let bad = match e.sentiment.as_str() {
            "positive" => ev.sentiment_score <= 0.0,
            "negative" => ev.sentiment_score >= 0.0,
            _ => false,
        };
        if bad {
            println!(
                "{:+.1} {}: {}",
                ev.sentiment_score,
                e.post.id,
                e.post.text.chars().take(150).collect::<String>().replace('\n', " ")
            );
        }
    }
}

#[test]
#[ignore]
fn holdout_breakdown() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = Config::load(&root.join("bot-config"), Needs::BrandsOnly).unwrap();
    let triage = config.triage.build(&config.brands);
    let f = std::path::PathBuf::from(std::env::var("FILE").unwrap());
    let data = parse_examples(&f, &std::fs::read_to_string(&f).unwrap()).unwrap();
    let mut m = std::collections::BTreeMap::new();
    for e in &data {
        let r = triage.read(&e.post, "Acme");
        let k = format!(
            "{}/{} -> {}",
            e.intent.as_str(),
            e.sentiment.as_str(),
            if r.intent == e.intent {
                r.sentiment.as_str()
            } else {
                "(intent wrong)"
            }
        );
        *m.entry(k).or_insert(0) += 1;
    }
    for (k, v) in m {
        println!("{k}: {v}");
    }
}

#[test]
#[ignore]
fn build_time() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = Config::load(&root.join("bot-config"), Needs::BrandsOnly).unwrap();
    let t = std::time::Instant::now();
    let _ = config.triage.build(&config.brands);
    println!("build: {:?}", t.elapsed());
}
