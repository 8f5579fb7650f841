//! The X publisher through the outbox against a fake X API v2: the documented request, X's
//! mention-or-quote rule, rate limits, and no duplicate after a crash.

mod support;

use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use secrecy::SecretString;
use serde_json::{json, Value};
use talkback::clock::SystemClock;
use talkback::config::{Config, Needs};
use talkback::domain::{ChatUser, MentionId, Network, Post};
use talkback::publish::x::XPublisher;
use talkback::publish::{Outbox, OutboxError, SendOutcome};
use talkback::store::{Ingested, Store};

#[derive(Default)]
struct Fake {
    tweets: Vec<(HeaderMap, Value)>,
    rate_limited: u32,
}

type Shared = Arc<Mutex<Fake>>;

async fn create(State(f): State<Shared>, headers: HeaderMap, Json(body): Json<Value>) -> Response {
    let mut f = f.lock().unwrap();
    if f.rate_limited > 0 {
        f.rate_limited -= 1;
        let mut r = (
            StatusCode::TOO_MANY_REQUESTS,
            Json(json!({"title": "Too Many Requests", "status": 429})),
        )
            .into_response();
        r.headers_mut().insert("x-rate-limit-remaining", "0".parse().unwrap());
        let reset = chrono::Utc::now().timestamp() + 30;
        r.headers_mut()
            .insert("x-rate-limit-reset", reset.to_string().parse().unwrap());
        return r;
    }
    let id = format!("18600000000000000{:02}", f.tweets.len());
    f.tweets.push((headers, json!({"id": id, "text": body["text"], "referenced_tweets": [{"type": "replied_to", "id": body["reply"]["in_reply_to_tweet_id"]}]})));
    (
        StatusCode::CREATED,
        Json(json!({"data": {"id": id, "text": body["text"], "edit_history_tweet_ids": [id]}})),
    )
        .into_response()
}

async fn timeline(State(f): State<Shared>) -> Json<Value> {
    let data: Vec<Value> = f.lock().unwrap().tweets.iter().map(|t| t.1.clone()).collect();
    Json(json!({"data": data, "meta": {"result_count": data.len()}}))
}

async fn start() -> (String, Shared) {
    let shared: Shared = Arc::default();
    let app = Router::new()
        .route("/2/tweets", post(create))
        .route(
            "/2/users/me",
            get(|| async { Json(json!({"data": {"id": "777", "name": "Acme", "username": "acme"}})) }),
        )
        .route("/2/users/777/tweets", get(timeline))
        .with_state(shared.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, shared)
}

fn setup(url: &str, text: &str) -> (tempfile::TempDir, Store, Arc<XPublisher>, Outbox, MentionId) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("store")).unwrap();
    let cfg = Config::from_str(
        &dir.path().join("t.toml"),
        "[[brands]]\nname = \"Acme\"\nquery = \"acme\"\nown_accounts = [\"x:@acme\"]\n",
        Needs::Everything,
        &|_| None,
    )
    .unwrap();
    let publisher = Arc::new(XPublisher::new(
        reqwest::Client::new(),
        url,
        SecretString::from("user-token"),
    ));
    let outbox = Outbox::new(store.clone(), Arc::new(SystemClock))
        .with_brands(&cfg.brands)
        .with_publisher(Network::X, publisher.clone());
    let post: Post =
        serde_json::from_value(json!({"network": "x", "id": "1859", "text": text, "author": {"handle": "@devjen"}}))
            .unwrap();
    let Ingested::New(m) = store
        .insert_mention("Acme", &post, None, false, chrono::Utc::now())
        .unwrap()
    else {
        panic!()
    };
    (dir, store, publisher, outbox, m.id)
}

#[tokio::test(start_paused = true)]
async fn replies_with_the_documented_request_after_waiting_out_a_rate_limit() {
    let (url, fake) = start().await;
    let (_d, store, _p, outbox, id) = setup(&url, "@acme is IPv6 supported?");
    fake.lock().unwrap().rate_limited = 1;
    let out = outbox
        .send(&store.mention(id).unwrap(), "Yes it is!", &ChatUser::new("slack", "U1"))
        .await
        .unwrap();
    let SendOutcome::Sent { published, .. } = out else {
        panic!()
    };
    assert_eq!(
        published.url.as_deref(),
        Some("https://x.com/acme/status/1860000000000000000")
    );
    let f = fake.lock().unwrap();
    assert_eq!(f.tweets.len(), 1);
    assert_eq!(f.tweets[0].0["authorization"], "Bearer user-token");
    assert_eq!(f.tweets[0].1["text"], "Yes it is!");
    assert_eq!(f.tweets[0].1["referenced_tweets"][0]["id"], "1859");
}

#[tokio::test]
async fn posts_that_neither_mention_nor_quote_the_brand_are_refused_with_the_reason() {
    let (url, fake) = start().await;
    let (_d, store, _p, outbox, id) = setup(&url, "acme cloud is down again");
    let err = outbox
        .send(&store.mention(id).unwrap(), "Sorry!", &ChatUser::new("slack", "U1"))
        .await
        .unwrap_err();
    assert!(matches!(err, OutboxError::XRule(_)));
    assert!(
        err.to_string()
            .contains("X only allows automated replies to posts that mention or quote the brand (@acme)"),
        "{err}"
    );
    assert!(fake.lock().unwrap().tweets.is_empty());
}

#[tokio::test]
async fn after_a_crash_between_the_call_and_the_record_nothing_is_posted_twice() {
    let (url, fake) = start().await;
    let (_d, store, publisher, outbox, id) = setup(&url, "@acme hello");
    support::outbox::crash_after_the_call(&store, publisher.as_ref(), id, Network::X, "1859", "Hello back").await;
    assert_eq!(outbox.resume_pending().await.unwrap(), 1);
    assert_eq!(fake.lock().unwrap().tweets.len(), 1);
    assert_eq!(store.mention(id).unwrap().replies[0].post_id, "1860000000000000000");
}
