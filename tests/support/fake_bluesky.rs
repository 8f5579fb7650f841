//! A fake Bluesky on 127.0.0.1: the XRPC methods the Bluesky sources call (createSession,
//! refreshSession, resolveHandle, searchPosts, listNotifications, getAuthorFeed) answering with
//! payloads shaped like the atproto lexicons, with RateLimit-* headers and XRPC error bodies;
//! and a Jetstream `/subscribe` WebSocket that replays from `cursor` and then streams live
//! events. Every call and connection is recorded; `until()` waits on a Notify, never a timer.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use tokio::sync::{mpsc, Notify};

pub const IDENTIFIER: &str = "talkback.bsky.social";
pub const PASSWORD: &str = "abcd-efgh-ijkl-mnop";
/// The watching account's post that replies and quotes in notifications refer to.
pub const OWN_POST: &str = "at://did:plc:talkbackbot/app.bsky.feed.post/3ktb1";

/// A canned failure for the next call of a method.
#[derive(Clone)]
pub enum Failure {
    Status(u16, Vec<(&'static str, String)>),
    /// A 200 whose body is this text.
    Body(String),
}

#[derive(Debug, Clone)]
pub struct Call {
    pub method: String,
    pub query: Vec<(String, String)>,
    pub auth: Option<String>,
}

impl Call {
    pub fn param(&self, k: &str) -> Option<&str> {
        self.query.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str())
    }
}

enum Push {
    Text(String),
    Drop,
}

#[derive(Default)]
struct Inner {
    calls: Vec<Call>,
    failures: HashMap<String, VecDeque<Option<Failure>>>,
    search: Vec<Value>,
    notifications: Vec<Value>,
    feeds: HashMap<String, Vec<Value>>,
    dids: HashMap<String, String>,
    issued: u32,
    access: Option<String>,
    refresh: Option<String>,
    events: Vec<Value>,
    sockets: Vec<mpsc::UnboundedSender<Push>>,
    connections: Vec<Option<u64>>,
    refuse: u32,
    refused: u32,
}

#[derive(Clone)]
pub struct FakeBluesky {
    pub base_url: String,
    /// Jetstream's subscribe endpoint as the config spells it (http://; the source uses ws://).
    pub jetstream_url: String,
    inner: Arc<Mutex<Inner>>,
    changed: Arc<Notify>,
}

impl FakeBluesky {
    pub async fn start() -> FakeBluesky {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let fake = FakeBluesky {
            base_url: format!("http://{addr}"),
            jetstream_url: format!("http://{addr}/subscribe"),
            inner: Arc::default(),
            changed: Arc::new(Notify::new()),
        };
        let app = Router::new()
            .route("/xrpc/{method}", get(xrpc_get))
            .route("/xrpc/{method}", post(xrpc_post))
            .route("/subscribe", any(subscribe))
            .with_state(fake.clone());
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        fake
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap()
    }

    fn touch(&self) {
        self.changed.notify_waiters();
    }

    /// Waits (no timers: woken by each call or connection) until `f` holds.
    pub async fn until<T>(&self, mut f: impl FnMut(&FakeBluesky) -> Option<T>) -> T {
        loop {
            let notified = self.changed.notified();
            if let Some(v) = f(self) {
                return v;
            }
            notified.await;
        }
    }

    pub fn calls(&self, method: &str) -> Vec<Call> {
        self.lock()
            .calls
            .iter()
            .filter(|c| c.method == method)
            .cloned()
            .collect()
    }

    pub fn fail_next(&self, method: &str, failure: Failure) {
        self.fail_nth(method, 1, failure);
    }

    /// The `n`-th next call of `method` fails (the ones before it answer normally).
    pub fn fail_nth(&self, method: &str, n: usize, failure: Failure) {
        let mut inner = self.lock();
        let queue = inner.failures.entry(method.to_string()).or_default();
        queue.extend(std::iter::repeat_n(None, n.saturating_sub(1)));
        queue.push_back(Some(failure));
    }

    /// Search hits (postViews); the fake answers newest first, honouring `since`.
    pub fn add_search_hits(&self, views: impl IntoIterator<Item = Value>) {
        self.lock().search.extend(views);
    }

    pub fn add_notifications(&self, items: impl IntoIterator<Item = Value>) {
        self.lock().notifications.extend(items);
    }

    /// feedViewPosts in `actor`'s author feed.
    pub fn add_feed(&self, actor: &str, items: impl IntoIterator<Item = Value>) {
        self.lock().feeds.entry(actor.to_string()).or_default().extend(items);
    }

    pub fn add_handle(&self, handle: &str, did: &str) {
        self.lock().dids.insert(handle.to_string(), did.to_string());
    }

    /// The current access token stops working (the next use answers `ExpiredToken`).
    pub fn expire_access(&self) {
        self.lock().access = None;
    }

    /// The refresh token stops working too.
    pub fn expire_refresh(&self) {
        self.lock().refresh = None;
    }

    /// Jetstream: the next `n` handshakes are refused with 503.
    pub fn refuse_connections(&self, n: u32) {
        self.lock().refuse = n;
    }

    /// Jetstream: the `cursor` each accepted connection asked for, in order.
    pub fn connections(&self) -> Vec<Option<u64>> {
        self.lock().connections.clone()
    }

    /// Jetstream: how many handshakes were refused.
    pub fn refused(&self) -> u32 {
        self.lock().refused
    }

    /// Jetstream: waits until `n` connections were accepted; returns their cursors.
    pub async fn wait_connections(&self, n: usize) -> Vec<Option<u64>> {
        self.until(|f| {
            let c = f.connections();
            (c.len() >= n).then_some(c)
        })
        .await
    }

    /// Jetstream: appends an event to the log and sends it to every live connection.
    pub fn emit(&self, event: Value) {
        let mut inner = self.lock();
        inner.events.push(event.clone());
        let text = event.to_string();
        inner.sockets.retain(|tx| tx.send(Push::Text(text.clone())).is_ok());
    }

    /// Jetstream: sends a raw frame (not logged for replay) to every live connection.
    pub fn emit_raw(&self, text: &str) {
        let mut inner = self.lock();
        inner.sockets.retain(|tx| tx.send(Push::Text(text.to_string())).is_ok());
    }

    /// Jetstream: cuts every live connection without a closing handshake, after what was sent.
    pub fn drop_connections(&self) {
        for tx in self.lock().sockets.drain(..) {
            let _ = tx.send(Push::Drop);
        }
    }
}

fn rate_headers(resp: &mut Response) {
    let reset = (Utc::now().timestamp() + 300).to_string();
    for (k, v) in [
        ("ratelimit-limit", "3000".to_string()),
        ("ratelimit-remaining", "2999".to_string()),
        ("ratelimit-reset", reset),
        ("ratelimit-policy", "3000;w=300".to_string()),
    ] {
        resp.headers_mut().insert(k, v.parse().unwrap());
    }
}

fn xrpc_error(status: u16, error: &str, message: &str) -> Response {
    let status = StatusCode::from_u16(status).unwrap();
    (status, Json(json!({"error": error, "message": message}))).into_response()
}

fn failure_response(f: Failure) -> Response {
    match f {
        Failure::Body(text) => (StatusCode::OK, [("content-type", "application/json")], text).into_response(),
        Failure::Status(status, headers) => {
            let mut resp = match status {
                429 => xrpc_error(429, "RateLimitExceeded", "Rate Limit Exceeded"),
                s if s >= 500 => xrpc_error(s, "InternalServerError", "Internal Server Error"),
                s => xrpc_error(s, "InvalidRequest", "Invalid request"),
            };
            for (k, v) in headers {
                resp.headers_mut().insert(k, v.parse().unwrap());
            }
            resp
        }
    }
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_string)
}

impl FakeBluesky {
    /// Records the call; returns the canned failure for it, if any.
    fn record(&self, method: &str, query: Vec<(String, String)>, headers: &HeaderMap) -> Option<Failure> {
        let mut inner = self.lock();
        inner.calls.push(Call {
            method: method.to_string(),
            query,
            auth: bearer(headers),
        });
        inner.failures.get_mut(method).and_then(|q| q.pop_front()).flatten()
    }

    /// Checks an access token like a PDS: a token it issued but no longer honours is expired.
    /// Returns the refusal, if any.
    fn refuse_access(&self, token: Option<&str>, required: bool) -> Option<Response> {
        let inner = self.lock();
        match token {
            None if !required => None,
            None => Some(xrpc_error(401, "AuthenticationRequired", "Authentication Required")),
            Some(t) if inner.access.as_deref() == Some(t) => None,
            Some(t) if t.starts_with("access-") => Some(xrpc_error(400, "ExpiredToken", "Token has expired")),
            Some(_) => Some(xrpc_error(401, "InvalidToken", "Token could not be verified")),
        }
    }

    fn issue(&self) -> Value {
        let mut inner = self.lock();
        inner.issued += 1;
        let n = inner.issued;
        inner.access = Some(format!("access-{n}"));
        inner.refresh = Some(format!("refresh-{n}"));
        json!({"accessJwt": format!("access-{n}"), "refreshJwt": format!("refresh-{n}"),
               "handle": IDENTIFIER, "did": "did:plc:talkbackbot", "email": "bot@example.com",
               "emailConfirmed": true, "emailAuthFactor": false, "active": true,
               "didDoc": {"@context": ["https://www.w3.org/ns/did/v1"], "id": "did:plc:talkbackbot"}})
    }
}

async fn xrpc_post(
    State(fake): State<FakeBluesky>,
    Path(method): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let failure = fake.record(&method, Vec::new(), &headers);
    fake.touch();
    if let Some(f) = failure {
        return failure_response(f);
    }
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    match method.as_str() {
        "com.atproto.server.createSession" => {
            if body["identifier"] != IDENTIFIER || body["password"] != PASSWORD {
                return xrpc_error(401, "AuthenticationRequired", "Invalid identifier or password");
            }
            Json(fake.issue()).into_response()
        }
        "com.atproto.server.refreshSession" => {
            let current = fake.lock().refresh.clone();
            match bearer(&headers) {
                Some(t) if current.as_deref() == Some(t.as_str()) => Json(fake.issue()).into_response(),
                Some(t) if t.starts_with("refresh-") => xrpc_error(400, "ExpiredToken", "Token has expired"),
                _ => xrpc_error(401, "InvalidToken", "Token could not be verified"),
            }
        }
        _ => xrpc_error(501, "MethodNotImplemented", "Method Not Implemented"),
    }
}

async fn xrpc_get(
    State(fake): State<FakeBluesky>,
    Path(method): Path<String>,
    Query(query): Query<Vec<(String, String)>>,
    headers: HeaderMap,
) -> Response {
    let failure = fake.record(&method, query.clone(), &headers);
    fake.touch();
    if let Some(f) = failure {
        return failure_response(f);
    }
    let q = |k: &str| query.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let token = bearer(&headers);
    let required = matches!(
        method.as_str(),
        "app.bsky.feed.searchPosts" | "app.bsky.notification.listNotifications"
    );
    if let Some(resp) = fake.refuse_access(token.as_deref(), required) {
        return resp;
    }
    let mut resp = match method.as_str() {
        "com.atproto.identity.resolveHandle" => {
            let did = q("handle").and_then(|h| fake.lock().dids.get(&h).cloned());
            match did {
                Some(did) => Json(json!({"did": did})).into_response(),
                None => xrpc_error(400, "InvalidRequest", "Unable to resolve handle"),
            }
        }
        "app.bsky.feed.searchPosts" => {
            let since = q("since").map(|s| time(&s));
            let mut hits: Vec<Value> = fake.lock().search.clone();
            hits.retain(|v| since.is_none_or(|s| sort_at(v) >= s));
            hits.sort_by_key(|v| std::cmp::Reverse(sort_at(v)));
            let (page, cursor) = paginate(hits, q("limit"), q("cursor"), 25);
            let total = page.len();
            Json(listing(json!({"posts": page, "hitsTotal": total}), cursor)).into_response()
        }
        "app.bsky.notification.listNotifications" => {
            let mut items = fake.lock().notifications.clone();
            items.sort_by_key(|v| std::cmp::Reverse(time(v["indexedAt"].as_str().unwrap_or(""))));
            let (page, cursor) = paginate(items, q("limit"), q("cursor"), 50);
            let out = json!({"notifications": page, "priority": false, "seenAt": "2026-11-01T00:00:00.000Z"});
            Json(listing(out, cursor)).into_response()
        }
        "app.bsky.feed.getAuthorFeed" => {
            let actor = q("actor").unwrap_or_default();
            let mut items = fake.lock().feeds.get(&actor).cloned().unwrap_or_default();
            items.sort_by_key(|v| std::cmp::Reverse(feed_time(v)));
            let (page, cursor) = paginate(items, q("limit"), q("cursor"), 50);
            Json(listing(json!({"feed": page}), cursor)).into_response()
        }
        _ => xrpc_error(501, "MethodNotImplemented", "Method Not Implemented"),
    };
    rate_headers(&mut resp);
    resp
}

/// A list answer: the lexicons leave `cursor` out on the last page.
fn listing(mut out: Value, cursor: Option<String>) -> Value {
    if let Some(c) = cursor {
        out["cursor"] = json!(c);
    }
    out
}

/// One page from an offset cursor; the next cursor is absent on the last page.
fn paginate(
    items: Vec<Value>,
    limit: Option<String>,
    cursor: Option<String>,
    default: usize,
) -> (Vec<Value>, Option<String>) {
    let limit = limit.and_then(|l| l.parse().ok()).unwrap_or(default);
    let start: usize = cursor.and_then(|c| c.parse().ok()).unwrap_or(0);
    let page: Vec<Value> = items.iter().skip(start).take(limit).cloned().collect();
    let next = (start + limit < items.len()).then(|| (start + limit).to_string());
    (page, next)
}

fn time(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_default()
}

fn sort_at(view: &Value) -> DateTime<Utc> {
    let indexed = time(view["indexedAt"].as_str().unwrap_or(""));
    let created = view["record"]["createdAt"].as_str().map(time).unwrap_or(indexed);
    created.min(indexed)
}

fn feed_time(item: &Value) -> DateTime<Utc> {
    let at = item["reason"]["indexedAt"]
        .as_str()
        .or(item["post"]["indexedAt"].as_str());
    time(at.unwrap_or(""))
}

async fn subscribe(
    State(fake): State<FakeBluesky>,
    Query(query): Query<Vec<(String, String)>>,
    ws: WebSocketUpgrade,
) -> Response {
    {
        let mut inner = fake.lock();
        if inner.refuse > 0 {
            inner.refuse -= 1;
            inner.refused += 1;
            drop(inner);
            fake.touch();
            return (StatusCode::SERVICE_UNAVAILABLE, "jetstream is restarting").into_response();
        }
    }
    let cursor = query
        .iter()
        .find(|(k, _)| k == "cursor")
        .and_then(|(_, v)| v.parse::<u64>().ok());
    let wanted: Vec<String> = query
        .iter()
        .filter(|(k, _)| k == "wantedCollections")
        .map(|(_, v)| v.clone())
        .collect();
    ws.on_upgrade(move |s| stream(fake, s, cursor, wanted))
}

/// Replays the log from `cursor` (a connection without one only gets live events), then
/// forwards live events until told to drop.
async fn stream(fake: FakeBluesky, mut ws: WebSocket, cursor: Option<u64>, wanted: Vec<String>) {
    let keep = |v: &Value| {
        v["kind"] != "commit" || wanted.is_empty() || wanted.iter().any(|w| v["commit"]["collection"] == w.as_str())
    };
    let (tx, mut rx) = mpsc::unbounded_channel();
    let replay: Vec<String> = {
        let mut inner = fake.lock();
        inner.connections.push(cursor);
        inner.sockets.push(tx);
        match cursor {
            Some(c) => inner
                .events
                .iter()
                .filter(|v| v["time_us"].as_u64().unwrap_or(0) >= c && keep(v))
                .map(Value::to_string)
                .collect(),
            None => Vec::new(),
        }
    };
    fake.touch();
    for text in replay {
        if ws.send(Message::Text(text.into())).await.is_err() {
            return;
        }
    }
    while let Some(push) = rx.recv().await {
        match push {
            Push::Text(t) => {
                let filtered = serde_json::from_str::<Value>(&t).map(|v| !keep(&v)).unwrap_or(false);
                if !filtered && ws.send(Message::Text(t.into())).await.is_err() {
                    return;
                }
            }
            // Dropping the socket without a close frame is what a cut link looks like.
            Push::Drop => return,
        }
    }
}

// ---- payloads shaped like the lexicons ----

fn profile(did: &str, handle: &str, name: &str) -> Value {
    json!({"did": did, "handle": handle, "displayName": name,
           "avatar": format!("https://cdn.bsky.app/img/avatar/plain/{did}/bafkreiavatar@jpeg"),
           "associated": {"chat": {"allowIncoming": "following"}},
           "viewer": {"muted": false, "blockedBy": false}, "labels": [],
           "createdAt": "2023-04-01T12:00:00.000Z"})
}

/// An `app.bsky.feed.post` record.
pub fn record(text: &str, created_at: &str, reply_parent: Option<&str>) -> Value {
    let mut r = json!({"$type": "app.bsky.feed.post", "text": text, "createdAt": created_at, "langs": ["en"]});
    if let Some(parent) = reply_parent {
        let strong = json!({"uri": parent, "cid": "bafyreiparentcid"});
        r["reply"] = json!({"root": strong, "parent": strong});
    }
    r
}

pub fn uri(did: &str, rkey: &str) -> String {
    format!("at://{did}/app.bsky.feed.post/{rkey}")
}

/// An `app.bsky.feed.defs#postView`.
pub fn post_view(did: &str, handle: &str, rkey: &str, text: &str, at: &str, reply_parent: Option<&str>) -> Value {
    json!({"uri": uri(did, rkey), "cid": format!("bafyrei{rkey}"),
           "author": profile(did, handle, &format!("{handle} (display)")),
           "record": record(text, at, reply_parent),
           "replyCount": 0, "repostCount": 0, "likeCount": 1, "quoteCount": 0,
           "indexedAt": at, "viewer": {"threadMuted": false, "embeddingDisabled": false}, "labels": []})
}

/// An `app.bsky.notification.listNotifications#notification`.
pub fn notification(reason: &str, did: &str, handle: &str, rkey: &str, text: &str, at: &str) -> Value {
    let (uri, record) = match reason {
        "like" => (
            format!("at://{did}/app.bsky.feed.like/{rkey}"),
            json!({"$type": "app.bsky.feed.like", "subject": {"uri": "at://did:plc:acme/app.bsky.feed.post/1", "cid": "bafy"}, "createdAt": at}),
        ),
        "follow" => (
            format!("at://{did}/app.bsky.graph.follow/{rkey}"),
            json!({"$type": "app.bsky.graph.follow", "subject": "did:plc:talkbackbot", "createdAt": at}),
        ),
        "reply" => (uri(did, rkey), record(text, at, Some(OWN_POST))),
        _ => (uri(did, rkey), record(text, at, None)),
    };
    let mut n = json!({"uri": uri, "cid": format!("bafyrei{rkey}"), "author": profile(did, handle, "Someone"),
                       "reason": reason, "record": record, "isRead": false, "indexedAt": at, "labels": []});
    if matches!(reason, "reply" | "quote" | "like") {
        n["reasonSubject"] = json!(OWN_POST);
    }
    n
}

/// A `#feedViewPost` for an own post; `parent` (a postView) makes it a reply.
pub fn feed_post(view: Value, parent: Option<Value>) -> Value {
    let mut item = json!({"post": view});
    if let Some(mut p) = parent {
        p["$type"] = json!("app.bsky.feed.defs#postView");
        item["reply"] = json!({"root": p.clone(), "parent": p});
    }
    item
}

/// A `#feedViewPost` for `by`'s repost of `view`.
pub fn feed_repost(view: Value, by_did: &str, by_handle: &str, rkey: &str, at: &str) -> Value {
    json!({"post": view, "reason": {"$type": "app.bsky.feed.defs#reasonRepost",
           "by": profile(by_did, by_handle, "Acme"),
           "uri": format!("at://{by_did}/app.bsky.feed.repost/{rkey}"), "cid": format!("bafyrei{rkey}"),
           "indexedAt": at}})
}

/// A Jetstream commit event creating a post.
pub fn jet_post(did: &str, rkey: &str, time_us: u64, text: &str, reply_parent: Option<&str>) -> Value {
    json!({"did": did, "time_us": time_us, "kind": "commit",
           "commit": {"rev": format!("3l{rkey}"), "operation": "create", "collection": "app.bsky.feed.post",
                      "rkey": rkey, "record": record(text, "2026-11-20T10:00:00.000Z", reply_parent),
                      "cid": format!("bafyrei{rkey}")}})
}

/// A Jetstream `identity` event.
pub fn jet_identity(did: &str, handle: &str, time_us: u64) -> Value {
    json!({"did": did, "time_us": time_us, "kind": "identity",
           "identity": {"did": did, "handle": handle, "seq": 1409752997, "time": "2026-11-20T10:00:00.000Z"}})
}

/// A Jetstream commit event deleting a post, or liking one (another collection).
pub fn jet_commit(did: &str, op: &str, collection: &str, rkey: &str, time_us: u64) -> Value {
    let mut commit = json!({"rev": format!("3l{rkey}"), "operation": op, "collection": collection, "rkey": rkey});
    if op != "delete" {
        commit["record"] = json!({"$type": collection, "subject": {"uri": uri(did, "x"), "cid": "bafy"}, "createdAt": "2026-11-20T10:00:00.000Z"});
        commit["cid"] = json!(format!("bafyrei{rkey}"));
    }
    json!({"did": did, "time_us": time_us, "kind": "commit", "commit": commit})
}
