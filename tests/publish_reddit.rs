//! The Reddit publisher through the outbox against a fake Reddit: the script-app token, the
//! documented `/api/comment` form, Reddit's in-body errors, and no duplicate after a crash.

mod support;

use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::{get, post};
use axum::{Json, Router};
use secrecy::SecretString;
use serde_json::{json, Value};
use std::collections::HashMap;
use talkback::clock::SystemClock;
use talkback::domain::{ChatUser, MentionId, Network, Post};
use talkback::publish::reddit::RedditPublisher;
use talkback::publish::{Outbox, OutboxError, SendOutcome};
use talkback::sources::reddit::auth::Credentials;
use talkback::store::{Ingested, Store};

#[derive(Default)]
struct Fake {
    comments: Vec<(HeaderMap, HashMap<String, String>)>,
    tokens: usize,
    error_next: Option<Value>,
}

type Shared = Arc<Mutex<Fake>>;

async fn token(State(f): State<Shared>) -> Json<Value> {
    f.lock().unwrap().tokens += 1;
    Json(json!({"access_token": "reddit-token", "token_type": "bearer", "expires_in": 86400, "scope": "*"}))
}

async fn comment(State(f): State<Shared>, headers: HeaderMap, body: Bytes) -> Json<Value> {
    let form: HashMap<String, String> = serde_urlencoded::from_bytes(&body).unwrap();
    let mut f = f.lock().unwrap();
    if let Some(e) = f.error_next.take() {
        return Json(json!({"json": {"errors": [e]}}));
    }
    let n = f.comments.len();
    f.comments.push((headers, form.clone()));
    Json(
        json!({"json": {"errors": [], "data": {"things": [{"kind": "t1", "data": {
        "id": format!("c{n}"), "name": format!("t1_c{n}"), "parent_id": form["thing_id"], "body": form["text"],
        "permalink": format!("/r/selfhosted/comments/1gx7k2/x/c{n}/"), "author": "acme"}}]}}}),
    )
}

async fn mine(State(f): State<Shared>) -> Json<Value> {
    let children: Vec<Value> = f.lock().unwrap().comments.iter().enumerate().map(|(n, (_, c))| json!({"kind": "t1", "data": {
        "name": format!("t1_c{n}"), "parent_id": c["thing_id"], "body": c["text"], "permalink": format!("/r/x/comments/1/x/c{n}/")}})).collect();
    Json(json!({"kind": "Listing", "data": {"after": null, "before": null, "children": children}}))
}

async fn start() -> (String, Shared) {
    let shared: Shared = Arc::default();
    let app = Router::new()
        .route("/api/v1/access_token", post(token))
        .route("/api/comment", post(comment))
        .route("/user/acme/comments", get(mine))
        .with_state(shared.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, shared)
}

fn setup(url: &str) -> (tempfile::TempDir, Store, Arc<RedditPublisher>, Outbox, MentionId) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("store")).unwrap();
    let creds = Credentials {
        client_id: SecretString::from("cid"),
        client_secret: SecretString::from("csecret"),
        username: "acme".into(),
        password: SecretString::from("hunter2"),
    };
    let publisher = Arc::new(RedditPublisher::new(reqwest::Client::new(), url, url, creds, None));
    let outbox = Outbox::new(store.clone(), Arc::new(SystemClock)).with_publisher(Network::Reddit, publisher.clone());
    let post: Post = serde_json::from_value(
        json!({"network": "reddit", "id": "t3_1gx7k2", "text": "acme?", "author": {"handle": "u/quietbyte"}}),
    )
    .unwrap();
    let Ingested::New(m) = store
        .insert_mention("Acme", &post, None, false, chrono::Utc::now())
        .unwrap()
    else {
        panic!()
    };
    (dir, store, publisher, outbox, m.id)
}

#[tokio::test]
async fn comments_with_the_documented_form_and_reports_reddits_reason() {
    let (url, fake) = start().await;
    let (_d, store, _p, outbox, id) = setup(&url);
    let out = outbox
        .send(
            &store.mention(id).unwrap(),
            "Thanks for the kind words!",
            &ChatUser::new("slack", "U1"),
        )
        .await
        .unwrap();
    let SendOutcome::Sent { published, .. } = out else {
        panic!()
    };
    assert_eq!(published.post_id, "t1_c0");
    assert_eq!(
        published.url.as_deref(),
        Some("https://www.reddit.com/r/selfhosted/comments/1gx7k2/x/c0/")
    );
    {
        let f = fake.lock().unwrap();
        let (headers, form) = &f.comments[0];
        assert_eq!(headers["authorization"], "Bearer reddit-token");
        assert!(headers["user-agent"].to_str().unwrap().contains("by u/acme"));
        assert_eq!(
            (form["thing_id"].as_str(), form["api_type"].as_str()),
            ("t3_1gx7k2", "json")
        );
        assert_eq!(f.tokens, 1);
    }
    fake.lock().unwrap().error_next = Some(json!(["THREAD_LOCKED", "Comments are locked.", "parent"]));
    let err = outbox
        .send(&store.mention(id).unwrap(), "another", &ChatUser::new("slack", "U1"))
        .await
        .unwrap_err();
    assert!(matches!(err, OutboxError::Publish(_)));
    assert!(err.to_string().contains("Comments are locked."), "{err}");
}

#[tokio::test]
async fn after_a_crash_between_the_call_and_the_record_nothing_is_posted_twice() {
    let (url, fake) = start().await;
    let (_d, store, publisher, outbox, id) = setup(&url);
    support::outbox::crash_after_the_call(
        &store,
        publisher.as_ref(),
        id,
        Network::Reddit,
        "t3_1gx7k2",
        "Glad it works!",
    )
    .await;
    assert_eq!(outbox.resume_pending().await.unwrap(), 1);
    assert_eq!(fake.lock().unwrap().comments.len(), 1);
    assert_eq!(store.mention(id).unwrap().replies[0].post_id, "t1_c0");
}
