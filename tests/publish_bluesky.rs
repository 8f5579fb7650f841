//! The Bluesky publisher through the outbox against a fake PDS: the session, reply strong refs,
//! facets, and no duplicate after a crash.

mod support;

use std::sync::{Arc, Mutex};

use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::routing::{get, post};
use axum::{Json, Router};
use secrecy::SecretString;
use serde_json::{json, Value};
use std::collections::HashMap;
use talkback::clock::SystemClock;
use talkback::domain::{ChatUser, MentionId, Network, Post};
use talkback::publish::bluesky::BlueskyPublisher;
use talkback::publish::{Outbox, SendOutcome};
use talkback::store::{Ingested, Store};

const PARENT: &str = "at://did:plc:tom/app.bsky.feed.post/3lbq2x";
const ROOT: &str = "at://did:plc:tom/app.bsky.feed.post/3lbq00";

#[derive(Default)]
struct Fake {
    records: Vec<(HeaderMap, Value)>,
    sessions: usize,
}

type Shared = Arc<Mutex<Fake>>;

async fn session(State(f): State<Shared>, Json(body): Json<Value>) -> Json<Value> {
    f.lock().unwrap().sessions += 1;
    assert_eq!(body["identifier"], "acme.bsky.social");
    Json(
        json!({"accessJwt": "access-1", "refreshJwt": "refresh-1", "handle": "acme.bsky.social", "did": "did:plc:acme"}),
    )
}

async fn get_posts(Query(q): Query<HashMap<String, String>>) -> Json<Value> {
    assert_eq!(q["uris"], PARENT);
    Json(
        json!({"posts": [{"uri": PARENT, "cid": "bafyparent", "author": {"did": "did:plc:tom", "handle": "tom.example.com"},
        "record": {"$type": "app.bsky.feed.post", "text": "acme down?", "createdAt": "2026-11-20T08:40:00Z",
                   "reply": {"root": {"uri": ROOT, "cid": "bafyroot"}, "parent": {"uri": ROOT, "cid": "bafyroot"}}},
        "indexedAt": "2026-11-20T08:40:01Z"}]}),
    )
}

async fn create(State(f): State<Shared>, headers: HeaderMap, Json(body): Json<Value>) -> Json<Value> {
    let mut f = f.lock().unwrap();
    let uri = format!("at://did:plc:acme/app.bsky.feed.post/3lbr{}", f.records.len());
    f.records
        .push((headers, json!({"uri": uri, "cid": "bafynew", "value": body["record"]})));
    Json(json!({"uri": uri, "cid": "bafynew"}))
}

async fn list(State(f): State<Shared>) -> Json<Value> {
    let records: Vec<Value> = f.lock().unwrap().records.iter().map(|r| r.1.clone()).collect();
    Json(json!({"records": records}))
}

async fn start() -> (String, Shared) {
    let shared: Shared = Arc::default();
    let app = Router::new()
        .route("/xrpc/com.atproto.server.createSession", post(session))
        .route("/xrpc/app.bsky.feed.getPosts", get(get_posts))
        .route("/xrpc/com.atproto.repo.createRecord", post(create))
        .route("/xrpc/com.atproto.repo.listRecords", get(list))
        .route(
            "/xrpc/com.atproto.identity.resolveHandle",
            get(|| async { Json(json!({"did": "did:plc:tom"})) }),
        )
        .with_state(shared.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, shared)
}

fn setup(url: &str) -> (tempfile::TempDir, Store, Arc<BlueskyPublisher>, Outbox, MentionId) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("store")).unwrap();
    let publisher = Arc::new(BlueskyPublisher::new(
        reqwest::Client::new(),
        url,
        "acme.bsky.social",
        SecretString::from("app-pass"),
    ));
    let outbox = Outbox::new(store.clone(), Arc::new(SystemClock)).with_publisher(Network::Bluesky, publisher.clone());
    let post: Post = serde_json::from_value(
        json!({"network": "bluesky", "id": PARENT, "text": "acme down?", "author": {"handle": "tom.example.com"}}),
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
async fn replies_with_strong_refs_and_facets() {
    let (url, fake) = start().await;
    let (_d, store, _p, outbox, id) = setup(&url);
    let text = "Sorry @tom.example.com! Status: https://status.acme.example";
    let out = outbox
        .send(&store.mention(id).unwrap(), text, &ChatUser::new("slack", "U1"))
        .await
        .unwrap();
    let SendOutcome::Sent { published, .. } = out else {
        panic!()
    };
    assert_eq!(
        published.url.as_deref(),
        Some("https://bsky.app/profile/acme.bsky.social/post/3lbr0")
    );
    let f = fake.lock().unwrap();
    let (headers, rec) = &f.records[0];
    assert_eq!(headers["authorization"], "Bearer access-1");
    let v = &rec["value"];
    assert_eq!(v["$type"], "app.bsky.feed.post");
    assert_eq!(v["reply"]["parent"], json!({"uri": PARENT, "cid": "bafyparent"}));
    assert_eq!(v["reply"]["root"], json!({"uri": ROOT, "cid": "bafyroot"}));
    let facets = v["facets"].as_array().unwrap();
    assert_eq!(facets[0]["index"], json!({"byteStart": 6, "byteEnd": 22}));
    assert_eq!(facets[0]["features"][0]["did"], "did:plc:tom");
    assert_eq!(facets[1]["features"][0]["uri"], "https://status.acme.example");
    assert_eq!(f.sessions, 1);
}

#[tokio::test]
async fn after_a_crash_between_the_call_and_the_record_nothing_is_posted_twice() {
    let (url, fake) = start().await;
    let (_d, store, publisher, outbox, id) = setup(&url);
    support::outbox::crash_after_the_call(&store, publisher.as_ref(), id, Network::Bluesky, PARENT, "Fixed now!").await;
    assert_eq!(outbox.resume_pending().await.unwrap(), 1);
    assert_eq!(fake.lock().unwrap().records.len(), 1);
    assert_eq!(
        store.mention(id).unwrap().replies[0].post_id,
        "at://did:plc:acme/app.bsky.feed.post/3lbr0"
    );
}
