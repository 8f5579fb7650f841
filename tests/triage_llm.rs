//! The LLM drafter against a fake OpenAI-compatible server: the documented request (path, Bearer
//! key, model, messages), drafts read back and cleaned, and each failure as its typed error —
//! timeout (in virtual time), 5xx, 4xx with the API's reason, 429 with Retry-After, bodies and
//! contents that are not what was asked for, an unreachable server.

mod support;

use std::time::Duration;

use secrecy::SecretString;
use support::fake_llm::{Behaviour, FakeLlm};
use talkback::domain::{Intent, Network, Sentiment};
use talkback::triage::llm::{DraftRequest, LlmDrafter, LlmError, LlmSettings, ThreadLine, DEFAULT_TIMEOUT};

const KEY: &str = "sk-test-5f3a9c1e7b2d";
const MODEL: &str = "gpt-4o-mini";

fn settings(base_url: &str, key: Option<&str>) -> LlmSettings {
    LlmSettings {
        base_url: base_url.to_string(),
        model: MODEL.to_string(),
        api_key: key.map(|k| SecretString::from(k.to_string())),
        timeout: DEFAULT_TIMEOUT,
    }
}

fn drafter(fake: &FakeLlm) -> LlmDrafter {
    LlmDrafter::new(settings(&fake.base_url, Some(KEY)), reqwest::Client::new())
}

fn thread() -> Vec<ThreadLine> {
    vec![
        ThreadLine {
            author: "@bo@fosstodon.org".into(),
            text: "Anyone else seeing Acme Sync stall after the update?".into(),
        },
        ThreadLine {
            author: "@ana@mastodon.social".into(),
            text: "Same here, since Tuesday.".into(),
        },
    ]
}

fn request(thread: &[ThreadLine]) -> DraftRequest<'_> {
    DraftRequest {
        brand: "Acme",
        voice: Some("friendly, plain-spoken, never corporate"),
        network: Network::Mastodon,
        max_chars: 500,
        intent: Intent::Complaint,
        sentiment: Sentiment::Negative,
        guidance: "Acknowledge the frustration, then offer to look into it in DMs.",
        author: "@ana@mastodon.social",
        first_name: "Ana",
        title: None,
        text: "@acme your sync has been eating my files for three days now. Not impressed.",
        thread,
    }
}

async fn err(fake: &FakeLlm) -> LlmError {
    let thread = thread();
    match drafter(fake).drafts(&request(&thread)).await {
        Err(e) => e,
        Ok(d) => panic!("expected an error, got drafts {d:?}"),
    }
}

#[tokio::test]
async fn drafts_come_back_from_the_documented_request() {
    let fake = FakeLlm::start().await;
    fake.complete(
        r#"["Sorry, Ana, that sounds maddening. Could you DM us your app version so we can dig in?",
            "Three days is too long, Ana. We're on it; DM us and we'll look at your account together."]"#,
    );
    // A trailing slash on the base URL is tolerated.
    let drafter = LlmDrafter::new(
        settings(&format!("{}/", fake.base_url), Some(KEY)),
        reqwest::Client::new(),
    );
    let thread = thread();
    let drafts = drafter.drafts(&request(&thread)).await.unwrap();
    assert_eq!(
        drafts,
        [
            "Sorry, Ana, that sounds maddening. Could you DM us your app version so we can dig in?",
            "Three days is too long, Ana. We're on it; DM us and we'll look at your account together."
        ]
    );

    let requests = fake.requests();
    assert_eq!(requests.len(), 1);
    let r = &requests[0];
    assert_eq!(r.path, "/v1/chat/completions");
    assert_eq!(r.header("authorization"), Some(format!("Bearer {KEY}").as_str()));
    assert!(r.header("content-type").unwrap().starts_with("application/json"));
    assert_eq!(r.body["model"], MODEL);
    assert_eq!(r.body["temperature"], 0.7);
    assert!(r.body["max_tokens"].as_u64().is_some_and(|t| (200..=800).contains(&t)));
    assert!(r.body.get("n").is_none() && r.body.get("response_format").is_none());
    let roles: Vec<&str> = r.body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["role"].as_str().unwrap())
        .collect();
    assert_eq!(roles, ["system", "user"]);
    let (system, user) = (r.message("system"), r.message("user"));
    assert!(system.contains("Acme") && system.contains("friendly, plain-spoken, never corporate"));
    assert!(system.contains("500 characters"));
    assert!(user.contains("your sync has been eating my files for three days now"));
    assert!(user.contains("@bo@fosstodon.org: Anyone else seeing Acme Sync stall after the update?"));
    assert!(user.contains("Mastodon") && user.contains("complaint") && user.contains("negative"));
    assert!(user.contains("offer to look into it in DMs"));
}

#[tokio::test]
async fn a_fenced_object_is_read_and_no_key_means_no_authorization() {
    let fake = FakeLlm::start().await;
    fake.complete("Here are some options:\n```json\n{\"drafts\": [\"\\\"Thanks, Ana!\\\"\", \"Thanks, Ana!\", \"We hear you.\"]}\n```");
    let drafter = LlmDrafter::new(settings(&fake.base_url, None), reqwest::Client::new());
    let thread = thread();
    let drafts = drafter.drafts(&request(&thread)).await.unwrap();
    assert_eq!(drafts, ["Thanks, Ana!", "We hear you."]);
    assert_eq!(fake.requests()[0].header("authorization"), None);
}

#[tokio::test(start_paused = true)]
async fn a_server_that_never_answers_times_out_after_the_default_four_seconds() {
    let fake = FakeLlm::start().await;
    fake.set(Behaviour::Hang);
    let started = tokio::time::Instant::now();
    let e = err(&fake).await;
    assert!(matches!(e, LlmError::Timeout(d) if d == DEFAULT_TIMEOUT), "{e:?}");
    assert!(started.elapsed() >= DEFAULT_TIMEOUT);
    assert_eq!(DEFAULT_TIMEOUT, Duration::from_secs(4));
}

#[tokio::test]
async fn a_5xx_is_a_server_error() {
    let fake = FakeLlm::start().await;
    fake.fail(
        500,
        &[],
        r#"{"error": {"message": "The server had an error while processing your request.", "type": "server_error"}}"#,
    );
    assert!(matches!(err(&fake).await, LlmError::Server { status: 500 }));
}

#[tokio::test]
async fn a_401_is_rejected_with_the_apis_reason_and_never_shows_the_key() {
    let fake = FakeLlm::start().await;
    // Some compatible servers echo the key they were given.
    let body = format!(
        r#"{{"error": {{"message": "Incorrect API key provided: {KEY}. You can find your API key at https://platform.openai.com/account/api-keys.", "type": "invalid_request_error", "param": null, "code": "invalid_api_key"}}}}"#
    );
    fake.fail(401, &[], &body);
    let e = err(&fake).await;
    match &e {
        LlmError::Rejected { status, message } => {
            assert_eq!(*status, 401);
            assert!(message.starts_with("Incorrect API key provided"), "{message}");
        }
        other => panic!("expected Rejected, got {other:?}"),
    }
    for shown in [e.to_string(), format!("{e:?}"), format!("{:?}", drafter(&fake))] {
        assert!(!shown.contains(KEY), "the key leaked: {shown}");
    }
}

#[tokio::test]
async fn a_429_is_rate_limited_with_retry_after() {
    let fake = FakeLlm::start().await;
    fake.fail(
        429,
        &[("retry-after", "20")],
        r#"{"error": {"message": "Rate limit reached for gpt-4o-mini on requests per min (RPM): Limit 3, Used 3, Requested 1.", "type": "requests", "param": null, "code": "rate_limit_exceeded"}}"#,
    );
    let e = err(&fake).await;
    assert!(
        matches!(e, LlmError::RateLimited { retry_after: Some(d) } if d == Duration::from_secs(20)),
        "{e:?}"
    );
    fake.fail(429, &[], "{}");
    assert!(matches!(err(&fake).await, LlmError::RateLimited { retry_after: None }));
}

#[tokio::test]
async fn a_body_that_is_not_json_is_malformed() {
    let fake = FakeLlm::start().await;
    fake.set(Behaviour::Raw("<html><body>502 Bad Gateway</body></html>".into()));
    assert!(matches!(err(&fake).await, LlmError::Malformed(_)));
}

#[tokio::test]
async fn prose_instead_of_json_is_malformed() {
    let fake = FakeLlm::start().await;
    fake.complete("Sorry to hear that, Ana! We'd love to help; please DM us your details.");
    assert!(matches!(err(&fake).await, LlmError::Malformed(m) if m.contains("no JSON array")));
}

#[tokio::test]
async fn drafts_longer_than_the_network_allows_are_dropped() {
    let fake = FakeLlm::start().await;
    let long = "x".repeat(501);
    let exact = "é".repeat(500);
    fake.complete(&serde_json::json!([long, "Short and kind.", exact]).to_string());
    let thread = thread();
    let drafts = drafter(&fake).drafts(&request(&thread)).await.unwrap();
    assert_eq!(drafts, ["Short and kind.".to_string(), exact]);

    fake.complete(&serde_json::json!([long]).to_string());
    assert!(matches!(err(&fake).await, LlmError::Malformed(m) if m == "no usable drafts"));
}

#[tokio::test]
async fn an_unreachable_server_is_a_transport_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let drafter = LlmDrafter::new(
        settings(&format!("http://{addr}/v1"), Some(KEY)),
        reqwest::Client::new(),
    );
    let thread = thread();
    let e = drafter.drafts(&request(&thread)).await.unwrap_err();
    assert!(
        matches!(&e, LlmError::Transport(m) if m.contains("cannot connect")),
        "{e:?}"
    );
    assert!(!e.to_string().contains(KEY));
}
