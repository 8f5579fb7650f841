//! Triage in the running loop: new mentions reach chat with intent, sentiment, guidance and
//! template drafts; with `[triage.llm]` the model's drafts go first, and a slow (in virtual
//! time), failing or nonsensical model leaves the template drafts — the alert still goes out.

mod support;

use std::path::Path;
use std::sync::Arc;

use support::fake_llm::{Behaviour, FakeLlm};
use support::recording_chat::RecordingChat;
use talkback::clock::{ManualClock, SharedClock};
use talkback::config::{Config, Needs};
use talkback::domain::{Intent, Network, Post};
use talkback::pipeline::Pipeline;
use talkback::store::{Drafts, Mention, Store};
use talkback::triage::LlmSuggester;

fn config(llm_url: &str) -> Config {
    let src = format!(
        r#"
[[brands]]
name = "Acme"
query = "acme"
voice = "warm, plain, never corporate"
competitors = ["Globex"]

[triage.llm]
base_url = "{llm_url}"
model = "test-model"
api_key_env = "LLM_KEY"
"#
    );
    Config::from_str(Path::new("talkback.toml"), &src, Needs::Everything, &|name| {
        (name == "LLM_KEY").then(|| "sk-secret-123".to_string())
    })
    .expect("config")
}

fn post(id: &str, text: &str) -> Post {
    serde_json::from_value(serde_json::json!({
        "network": "mastodon", "id": id, "text": text,
        "author": {"handle": "@ana@example.social", "name": "Ana Silva"}
    }))
    .unwrap()
}

/// Ingests `text`, posts pending alerts (asking the LLM when one is set), returns the mention.
async fn alert(cfg: &Config, llm: Option<Arc<LlmSuggester>>, text: &str) -> (Mention, RecordingChat) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let clock: SharedClock = Arc::new(ManualClock::new("2026-11-23T10:00:00Z".parse().unwrap()));
    let pipeline = Pipeline::new(&cfg.brands, cfg.triage.build(&cfg.brands), store.clone(), clock);
    let report = pipeline.ingest(&[post("1", text)], false).await.unwrap();
    let chat = RecordingChat::default();
    let mut dispatcher = talkback::chat::Dispatcher::new(cfg, store.clone(), Arc::new(chat.clone()), |_| None);
    if let Some(llm) = llm {
        dispatcher = dispatcher.with_llm(llm);
    }
    assert_eq!(
        dispatcher.post_pending().await.unwrap(),
        1,
        "the alert goes out whatever the LLM does"
    );
    (store.mention(report.new_mentions[0]).unwrap(), chat)
}

fn suggester(cfg: &Config) -> Arc<LlmSuggester> {
    let settings = cfg.triage.llm.clone().expect("[triage.llm]");
    Arc::new(LlmSuggester::new(settings, reqwest::Client::new(), &cfg.brands))
}

const COMPLAINT: &str = "@acme I was charged twice this month and support still hasn't answered. Not happy.";

#[tokio::test]
async fn alerts_carry_labels_guidance_and_template_drafts() {
    let cfg = config("http://127.0.0.1:9/v1");
    let (m, chat) = alert(&cfg, None, COMPLAINT).await;
    let t = m.triage.expect("triaged");
    assert_eq!(t.intent, Intent::Complaint);
    assert!(t.guidance.to_lowercase().contains("acknowledge"), "{}", t.guidance);
    assert!((1..=3).contains(&t.suggestions.len()));
    assert!(t.suggestions.iter().all(|s| s.contains("Ana")), "{:?}", t.suggestions);
    assert_eq!(t.drafts, Drafts::Templates);
    assert_eq!(chat.lines().len(), 1);
}

#[tokio::test]
async fn llm_drafts_go_first_and_the_model_is_told_the_voice_and_the_post() {
    let fake = FakeLlm::start().await;
    fake.complete(
        r#"["Ana, so sorry about the double charge. Could you DM us the invoice number? We'll fix it today."]"#,
    );
    let cfg = config(&fake.base_url);
    let (m, _) = alert(&cfg, Some(suggester(&cfg)), COMPLAINT).await;
    let t = m.triage.unwrap();
    assert!(
        t.suggestions[0].starts_with("Ana, so sorry about the double charge"),
        "{:?}",
        t.suggestions
    );
    assert!(t.suggestions.len() >= 2, "templates fill up behind the model's draft");
    assert_eq!(
        t.drafts,
        Drafts::Llm {
            model: "test-model".into()
        }
    );
    let req = &fake.requests()[0];
    assert_eq!(req.header("authorization"), Some("Bearer sk-secret-123"));
    let all = format!("{}{}", req.message("system"), req.message("user"));
    assert!(all.contains("warm, plain, never corporate"), "the brand's voice");
    assert!(all.contains("charged twice"), "the mention");
}

#[tokio::test(start_paused = true)]
async fn a_model_that_never_answers_falls_back_to_the_templates_within_the_timeout() {
    let fake = FakeLlm::start().await;
    fake.set(Behaviour::Hang);
    let cfg = config(&fake.base_url);
    let started = tokio::time::Instant::now();
    let (m, chat) = alert(&cfg, Some(suggester(&cfg)), COMPLAINT).await;
    assert!(
        started.elapsed() <= std::time::Duration::from_secs(5),
        "bounded by the 4 s timeout"
    );
    let t = m.triage.unwrap();
    assert!(
        matches!(&t.drafts, Drafts::Fallback { reason } if reason.contains("4")),
        "{:?}",
        t.drafts
    );
    assert!(!t.suggestions.is_empty());
    assert_eq!(chat.lines().len(), 1);
}

#[tokio::test]
async fn a_failing_or_nonsensical_model_leaves_the_template_drafts() {
    for setup in [
        Behaviour::Status {
            status: 500,
            headers: vec![],
            body: "upstream exploded".into(),
        },
        Behaviour::Complete("Sure! Here are some ideas for you.".into()),
        Behaviour::Raw("{not json".into()),
    ] {
        let fake = FakeLlm::start().await;
        fake.set(setup);
        let cfg = config(&fake.base_url);
        let plain = alert(&cfg, None, COMPLAINT).await.0.triage.unwrap();
        let (m, _) = alert(&cfg, Some(suggester(&cfg)), COMPLAINT).await;
        let t = m.triage.unwrap();
        assert!(matches!(t.drafts, Drafts::Fallback { .. }), "{:?}", t.drafts);
        assert_eq!(t.suggestions, plain.suggestions);
        assert!(!format!("{:?}", t.drafts).contains("sk-secret-123"));
    }
}

#[test]
fn consecutive_alerts_do_not_read_canned() {
    let cfg = config("http://127.0.0.1:9/v1");
    let triage = cfg.triage.build(&cfg.brands);
    let firsts: Vec<String> = (0..4)
        .map(|i| triage.triage(&post(&i.to_string(), COMPLAINT), "Acme").suggestions[0].clone())
        .collect();
    for pair in firsts.windows(2) {
        assert_ne!(pair[0], pair[1], "the first draft changes from one alert to the next");
    }
}

#[test]
fn drafts_fit_the_network() {
    let cfg = config("http://127.0.0.1:9/v1");
    let triage = cfg.triage.build(&cfg.brands);
    let mut p = post("1", COMPLAINT);
    p.network = Network::X;
    p.author = Some(talkback::domain::Author {
        handle: Some("ana".into()),
        name: Some(format!("Ana{}", "a".repeat(300))),
    });
    for s in triage.triage(&p, "Acme").suggestions {
        assert!(talkback::publish::checks::length(Network::X, &s) <= 280, "{s}");
    }
}

#[test]
fn ideas_are_thanked_and_told_what_happens_next() {
    let cfg = config("http://127.0.0.1:9/v1");
    let triage = cfg.triage.build(&cfg.brands);
    let idea = post(
        "9",
        "would be great if acme cloud had a dark mode in the mobile app. just an idea!",
    );
    let t = triage.triage(&idea, "Acme");
    assert!(t.guidance.starts_with("It's an idea: thank them"), "{}", t.guidance);
    assert!(
        t.suggestions[0].contains("Ana") && t.suggestions[0].to_lowercase().contains("idea"),
        "{:?}",
        t.suggestions
    );
    let plain = triage.triage(&post("10", "acme cloud status page is green today"), "Acme");
    assert!(!plain.guidance.contains("It's an idea"), "{}", plain.guidance);
}
