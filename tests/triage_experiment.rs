use std::path::Path;
use talkback::config::{Config, Needs};
use talkback::domain::Post;
use talkback::triage::{Example, Model};

fn load(file: &str) -> Vec<(Post, String, String)> {
    std::fs::read_to_string(file)
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            let p: Post = serde_json::from_value(v.clone()).unwrap();
            (
                p,
                v["intent"].as_str().unwrap().to_string(),
                v["sentiment"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
#[ignore]
fn experiment() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("bot-config");
    let config = Config::load(&dir, Needs::BrandsOnly).unwrap();
    let triage = config.triage.build(&config.brands);
    let train_files: Vec<String> = std::env::var("TRAIN").unwrap().split(',').map(String::from).collect();
    let mut ex = Vec::new();
    for f in &train_files {
        for (p, i, s) in load(f) {
            ex.push(Example {
                evidence: triage.evidence(&p, "Acme"),
                intent: serde_json::from_value(i.into()).unwrap(),
                sentiment: serde_json::from_value(s.into()).unwrap(),
            });
        }
    }
    let model = Model::train(&ex);
    let trained = triage.clone().with_model(model);
    for f in std::env::var("EVAL").unwrap().split(',') {
        let data = load(f);
        let (mut ri, mut rs, mut mi, mut ms) = (0, 0, 0, 0);
        for (p, i, s) in &data {
            let r = triage.read(p, "Acme");
            let m = trained.read(p, "Acme");
            ri += (r.intent.as_str() == i) as usize;
            rs += (r.sentiment.as_str() == s) as usize;
            mi += (m.intent.as_str() == i) as usize;
            ms += (m.sentiment.as_str() == s) as usize;
        }
        let n = data.len() as f64;
        println!(
            "{f}: rules {:.1}/{:.1}  model {:.1}/{:.1}",
            ri as f64 * 100.0 / n,
            rs as f64 * 100.0 / n,
            mi as f64 * 100.0 / n,
            ms as f64 * 100.0 / n
        );
    }
}
