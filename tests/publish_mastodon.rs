//! The Mastodon publisher through the outbox, against a fake Mastodon: the documented request,
//! retries on 5xx, the network's reason on 4xx, and exactly one post across injected crashes.

use std::sync::{Arc, Mutex};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use secrecy::SecretString;
use serde_json::{json, Value};
use talkback::clock::SystemClock;
use talkback::domain::{ChatUser, MentionId, Post};
use talkback::publish::mastodon::MastodonPublisher;
use talkback::publish::{Outbox, OutboxError, Publisher, Reply, SendOutcome};
use talkback::store::{Ingested, MentionState, OutboxEntry, OutboxState, Store};

#[derive(Default)]
struct Fake {
    statuses: Vec<(Option<String>, HeaderMap, Value)>,
    fail: Vec<(u16, Value)>,
}

type Shared = Arc<Mutex<Fake>>;

async fn create(State(f): State<Shared>, headers: HeaderMap, Json(body): Json<Value>) -> Response {
    let mut f = f.lock().unwrap();
    if let Some((status, err)) = f.fail.pop() {
        return (StatusCode::from_u16(status).unwrap(), Json(err)).into_response();
    }
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    // Like Mastodon: the same Idempotency-Key returns the status made the first time.
    if let Some(existing) = f.statuses.iter().find(|(k, _, _)| k.is_some() && *k == key) {
        return Json(existing.2.clone()).into_response();
    }
    let id = format!("9{}", f.statuses.len() + 100);
    let status = json!({"id": id, "uri": format!("https://brand.example/users/acme/statuses/{id}"),
        "url": format!("https://brand.example/@acme/{id}"), "created_at": "2026-11-20T10:05:00.000Z",
        "in_reply_to_id": body["in_reply_to_id"], "visibility": body["visibility"], "language": "en",
        "content": format!("<p>{}</p>", body["status"].as_str().unwrap_or("")),
        "account": {"id": "900", "username": "acme", "acct": "acme", "display_name": "Acme"}});
    f.statuses.push((key, headers, status.clone()));
    Json(status).into_response()
}

async fn context(State(f): State<Shared>, Path(id): Path<String>) -> Json<Value> {
    let f = f.lock().unwrap();
    let descendants: Vec<Value> = f
        .statuses
        .iter()
        .map(|s| s.2.clone())
        .filter(|s| s["in_reply_to_id"] == id)
        .collect();
    Json(json!({"ancestors": [], "descendants": descendants}))
}

async fn start() -> (String, Shared) {
    let shared: Shared = Arc::default();
    let app = Router::new()
        .route("/api/v1/statuses", post(create))
        .route("/api/v1/statuses/{id}/context", get(context))
        .route(
            "/api/v1/accounts/verify_credentials",
            get(|| async { Json(json!({"id": "900", "username": "acme", "acct": "acme"})) }),
        )
        .with_state(shared.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, shared)
}

fn setup(url: &str) -> (tempfile::TempDir, Store, Arc<MastodonPublisher>, Outbox, MentionId) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("store")).unwrap();
    let publisher = Arc::new(MastodonPublisher::new(
        reqwest::Client::new(),
        url,
        SecretString::from("token-123"),
    ));
    let outbox = Outbox::new(store.clone(), Arc::new(SystemClock))
        .with_publisher(talkback::domain::Network::Mastodon, publisher.clone());
    let post: Post = serde_json::from_value(
        json!({"network": "mastodon", "id": "110", "text": "Does Acme support IPv6?",
        "author": {"handle": "@bob@example.social", "name": "Bob"}}),
    )
    .unwrap();
    let id = match store
        .insert_mention("Acme", &post, None, false, chrono::Utc::now())
        .unwrap()
    {
        Ingested::New(m) => m.id,
        Ingested::Duplicate(id) => id,
    };
    (dir, store, publisher, outbox, id)
}

fn ann() -> ChatUser {
    ChatUser::new("slack", "U1")
}

#[tokio::test]
async fn sends_exactly_the_documented_request_once() {
    let (url, fake) = start().await;
    let (_dir, store, _p, outbox, id) = setup(&url);
    let m = store.mention(id).unwrap();
    let out = outbox.send(&m, "Yes, on every plan!", &ann()).await.unwrap();
    let SendOutcome::Sent { mention, published } = out else {
        panic!("not sent")
    };
    assert_eq!(mention.state, MentionState::Answered);
    assert_eq!(published.url.as_deref(), Some("https://brand.example/@acme/9100"));
    {
        let f = fake.lock().unwrap();
        assert_eq!(f.statuses.len(), 1);
        let (key, headers, status) = &f.statuses[0];
        assert!(key.as_ref().is_some_and(|k| k.len() >= 16));
        assert_eq!(headers["authorization"], "Bearer token-123");
        assert_eq!(status["in_reply_to_id"], "110");
        assert_eq!(status["content"], "<p>@bob@example.social Yes, on every plan!</p>");
    }
    // The same reply again is not sent again.
    let again = outbox
        .send(&store.mention(id).unwrap(), "Yes, on every plan!", &ann())
        .await
        .unwrap();
    assert!(matches!(again, SendOutcome::AlreadySent { .. }));
    assert_eq!(fake.lock().unwrap().statuses.len(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_5xx_is_retried_and_a_4xx_is_reported_with_the_networks_reason() {
    let (url, fake) = start().await;
    let (_dir, store, _p, outbox, id) = setup(&url);
    fake.lock()
        .unwrap()
        .fail
        .push((503, json!({"error": "Service Unavailable"})));
    let m = store.mention(id).unwrap();
    assert!(matches!(
        outbox.send(&m, "first", &ann()).await.unwrap(),
        SendOutcome::Sent { .. }
    ));
    assert_eq!(fake.lock().unwrap().statuses.len(), 1);

    fake.lock().unwrap().fail.push((
        422,
        json!({"error": "Validation failed: Text character limit of 500 exceeded"}),
    ));
    let err = outbox
        .send(&store.mention(id).unwrap(), "second", &ann())
        .await
        .unwrap_err();
    assert!(matches!(err, OutboxError::Publish(_)));
    assert!(
        err.to_string()
            .contains("Validation failed: Text character limit of 500 exceeded"),
        "{err}"
    );
    let audit = store.audit_log(None).unwrap();
    assert!(audit.last().unwrap().result.contains("Validation failed"), "{audit:?}");
}

fn pending(id: MentionId, key: &str, text: &str) -> OutboxEntry {
    OutboxEntry {
        key: key.into(),
        mention: id,
        network: talkback::domain::Network::Mastodon,
        in_reply_to: "110".into(),
        text: text.into(),
        requested_by: ann(),
        requested_at: chrono::Utc::now(),
        state: OutboxState::Pending,
        attempts: 0,
    }
}

#[tokio::test]
async fn a_crash_before_the_call_and_a_crash_after_it_both_end_with_one_post() {
    let (url, fake) = start().await;
    let (_dir, store, publisher, outbox, id) = setup(&url);

    // Crash after the intent was stored, before the network call: resuming sends it once.
    store
        .outbox_intent(pending(id, "key-before", "before the call"))
        .await
        .unwrap();
    assert_eq!(outbox.resume_pending().await.unwrap(), 1);
    assert_eq!(fake.lock().unwrap().statuses.len(), 1);

    // Crash after the network call, before the result was recorded: resuming finds the post.
    store
        .outbox_intent(pending(id, "key-after", "after the call"))
        .await
        .unwrap();
    let reply = Reply {
        key: "key-after".into(),
        network: talkback::domain::Network::Mastodon,
        in_reply_to: "110".into(),
        text: "after the call".into(),
        to_author: Some("@bob@example.social".into()),
    };
    publisher.publish(&reply).await.unwrap();
    assert_eq!(fake.lock().unwrap().statuses.len(), 2);
    assert_eq!(outbox.resume_pending().await.unwrap(), 1);
    assert_eq!(fake.lock().unwrap().statuses.len(), 2, "no second post");
    let m = store.mention(id).unwrap();
    assert_eq!(m.replies.len(), 2);
    assert!(store.outbox_pending().unwrap().is_empty());
}
