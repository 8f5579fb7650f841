//! A fake Mastodon instance on 127.0.0.1: the REST endpoints talkback reads (notifications,
//! hashtag/public/home timelines, account lookup and statuses, v2 search) with Mastodon's paging
//! (`max_id`/`since_id`/`min_id`, `Link` headers) and rate-limit headers, and the SSE streaming
//! API. Statuses, accounts and notifications are shaped like the documented entities. Every
//! call is recorded; failures can be queued per path.

use std::collections::{HashMap, VecDeque};
use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Value};
use tokio::sync::{mpsc, Notify};

/// One recorded request.
#[derive(Debug, Clone)]
pub struct Call {
    pub path: String,
    pub query: Vec<(String, String)>,
    pub authorized: bool,
}

impl Call {
    pub fn param(&self, key: &str) -> Option<&str> {
        self.query.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }
}

/// A queued answer that replaces the next matching call's.
struct Failure {
    path: String,
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

#[derive(Default)]
struct Inner {
    next_id: u64,
    next_notification: u64,
    /// Each list ("notifications", "public", "home", "tag:<name>", "account:<id>") ascending by id.
    lists: HashMap<String, Vec<Value>>,
    accounts: Vec<Value>,
    calls: Vec<Call>,
    failures: VecDeque<Failure>,
    /// `X-RateLimit-Remaining` and `X-RateLimit-Reset` for the next answers.
    budget: (u32, String),
    streams: Vec<(String, mpsc::UnboundedSender<String>)>,
    connections: Vec<String>,
    /// Statuses created through `POST /api/v1/statuses`, with their `Idempotency-Key`. Every
    /// POST creates one: the fake does not dedupe, so a test sees talkback's own exactly-once.
    created: Vec<(Option<String>, Value)>,
}

#[derive(Clone)]
pub struct FakeMastodon {
    pub base_url: String,
    /// The instance's domain, as local accounts' handles carry it.
    pub host: String,
    inner: Arc<Mutex<Inner>>,
    changed: Arc<Notify>,
}

impl FakeMastodon {
    pub async fn start() -> FakeMastodon {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let reset = (chrono::Utc::now() + chrono::Duration::minutes(5)).format("%Y-%m-%dT%H:%M:%S%.6fZ");
        let fake = FakeMastodon {
            base_url: format!("http://{addr}"),
            host: "127.0.0.1".into(),
            inner: Arc::new(Mutex::new(Inner {
                next_id: 0,
                next_notification: 34_975_000,
                budget: (299, reset.to_string()),
                ..Inner::default()
            })),
            changed: Arc::new(Notify::new()),
        };
        let app = Router::new()
            .route("/api/v1/notifications", get(list_endpoint))
            .route("/api/v1/timelines/{*which}", get(list_endpoint))
            .route("/api/v1/accounts/lookup", get(lookup))
            .route("/api/v1/accounts/{id}/statuses", get(list_endpoint))
            .route("/api/v2/search", get(search))
            .route("/api/v1/streaming/{*which}", get(streaming))
            .route("/api/v1/statuses", post(create_status))
            .route("/api/v1/statuses/{id}/context", get(context))
            .route("/api/v1/accounts/verify_credentials", get(verify_credentials))
            .with_state(fake.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        fake
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap()
    }

    fn touch(&self) {
        self.changed.notify_waiters();
    }

    /// Waits (no timers: woken by each call) until `f` holds.
    pub async fn until<T>(&self, mut f: impl FnMut(&FakeMastodon) -> Option<T>) -> T {
        loop {
            let notified = self.changed.notified();
            if let Some(v) = f(self) {
                return v;
            }
            notified.await;
        }
    }

    /// An Account entity; `acct` is `user` for a local account, `user@domain` for a remote one.
    pub fn account(&self, acct: &str, display_name: &str) -> Value {
        let mut inner = self.lock();
        if let Some(a) = inner.accounts.iter().find(|a| a["acct"] == acct) {
            return a.clone();
        }
        let (username, domain) = acct.split_once('@').unwrap_or((acct, &self.host));
        let id = (inner.accounts.len() + 1000).to_string();
        let a = json!({"id": id, "username": username, "acct": acct, "display_name": display_name,
            "locked": false, "bot": false, "discoverable": true, "group": false,
            "created_at": "2025-01-01T00:00:00.000Z", "note": "<p></p>",
            "url": format!("https://{domain}/@{username}"),
            "avatar": format!("https://{domain}/avatars/original/missing.png"),
            "avatar_static": format!("https://{domain}/avatars/original/missing.png"),
            "header": format!("https://{domain}/headers/original/missing.png"),
            "header_static": format!("https://{domain}/headers/original/missing.png"),
            "followers_count": 3, "following_count": 5, "statuses_count": 10,
            "last_status_at": "2026-11-20", "emojis": [], "fields": []});
        inner.accounts.push(a.clone());
        a
    }

    /// A fresh status id: like Mastodon's, time-based (`milliseconds << 16`) and increasing.
    pub fn next_id(&self) -> String {
        let now = (chrono::Utc::now().timestamp_millis() as u64) << 16;
        let mut inner = self.lock();
        inner.next_id = (inner.next_id + 1).max(now);
        inner.next_id.to_string()
    }

    /// A fresh notification id: a plain sequence, as Mastodon's are.
    fn next_notification_id(&self) -> String {
        let mut inner = self.lock();
        inner.next_notification += 1;
        inner.next_notification.to_string()
    }

    /// A Status entity by `account` (from `account`), not yet on any timeline.
    pub fn status(&self, account: &Value, html: &str) -> Value {
        let id = self.next_id();
        let username = account["username"].as_str().unwrap();
        let domain = account["acct"]
            .as_str()
            .unwrap()
            .split_once('@')
            .map(|(_, d)| d.to_string());
        let domain = domain.unwrap_or_else(|| self.host.clone());
        json!({"id": id, "created_at": "2026-11-20T10:00:00.000Z", "edited_at": null,
            "in_reply_to_id": null, "in_reply_to_account_id": null, "sensitive": false, "spoiler_text": "",
            "visibility": "public", "language": "en",
            "uri": format!("https://{domain}/users/{username}/statuses/{id}"),
            "url": format!("https://{domain}/@{username}/{id}"),
            "replies_count": 0, "reblogs_count": 0, "favourites_count": 0, "favourited": false,
            "reblogged": false, "muted": false, "bookmarked": false, "content": html, "filtered": [],
            "reblog": null, "application": {"name": "Web", "website": null}, "account": account,
            "media_attachments": [], "mentions": [], "tags": [], "emojis": [], "card": null, "poll": null})
    }

    /// A reply by `account` to `parent`.
    pub fn reply(&self, account: &Value, parent: &Value, html: &str) -> Value {
        let mut s = self.status(account, html);
        s["in_reply_to_id"] = parent["id"].clone();
        s["in_reply_to_account_id"] = parent["account"]["id"].clone();
        s
    }

    /// A boost by `account` of `original`: as Mastodon sends it, an empty status wrapping it.
    pub fn boost(&self, account: &Value, original: &Value) -> Value {
        let mut s = self.status(account, "");
        let id = s["id"].as_str().unwrap().to_string();
        let username = account["username"].as_str().unwrap();
        s["uri"] = json!(format!("https://{}/users/{username}/statuses/{id}/activity", self.host));
        s["url"] = json!(format!("https://{}/users/{username}/statuses/{id}/activity", self.host));
        s["language"] = Value::Null;
        s["reblog"] = original.clone();
        s
    }

    /// Puts `item` on each list (`public`, `home`, `tag:acme`, `account:<id>`, `notifications`),
    /// and sends it to the streams that follow those lists.
    pub fn publish(&self, lists: &[&str], item: Value) {
        self.put(lists, item, true);
    }

    /// Puts `item` on the lists without streaming it: posted while a client was disconnected.
    pub fn publish_quietly(&self, lists: &[&str], item: Value) {
        self.put(lists, item, false);
    }

    fn put(&self, lists: &[&str], item: Value, stream: bool) {
        let mut inner = self.lock();
        for list in lists {
            inner.lists.entry(list.to_string()).or_default().push(item.clone());
            if !stream {
                continue;
            }
            let event = if *list == "notifications" {
                "notification"
            } else {
                "update"
            };
            let stream = match *list {
                "notifications" | "home" => "user",
                other => other,
            };
            let frame = format!("event: {event}\ndata: {item}\n\n");
            inner
                .streams
                .retain(|(key, tx)| key != stream || tx.send(frame.clone()).is_ok());
        }
        drop(inner);
        self.touch();
    }

    /// A `mention` Notification of `status` (not yet published).
    pub fn mention(&self, status: &Value) -> Value {
        json!({"id": self.next_notification_id(), "type": "mention", "created_at": status["created_at"],
               "account": status["account"], "status": status})
    }

    /// A `favourite` Notification of `status` by `by` (not yet published).
    pub fn favourite(&self, by: &Value, status: &Value) -> Value {
        json!({"id": self.next_notification_id(), "type": "favourite", "created_at": "2026-11-20T10:00:00.000Z",
               "account": by, "status": status})
    }

    /// The next call whose path starts with `path` answers `status` with these headers and body.
    pub fn fail_next(&self, path: &str, status: u16, headers: &[(&str, &str)], body: &str) {
        self.lock().failures.push_back(Failure {
            path: path.to_string(),
            status,
            headers: headers.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            body: body.to_string(),
        });
    }

    /// What the rate-limit headers say from now on.
    pub fn set_budget(&self, remaining: u32, reset: &str) {
        self.lock().budget = (remaining, reset.to_string());
    }

    pub fn calls(&self, path: &str) -> Vec<Call> {
        self.lock()
            .calls
            .iter()
            .filter(|c| c.path.starts_with(path))
            .cloned()
            .collect()
    }

    /// Stream connections so far, by stream key (`public`, `tag:acme`, `user`).
    pub fn connections(&self, key: &str) -> usize {
        self.lock().connections.iter().filter(|k| *k == key).count()
    }

    /// Ends every open stream, as a restarting server or a broken link would.
    pub fn drop_streams(&self) {
        self.lock().streams.clear();
        self.touch();
    }

    /// Sends a heartbeat comment to every open stream.
    pub fn heartbeat(&self) {
        self.lock().streams.retain(|(_, tx)| tx.send(":thump\n".into()).is_ok());
    }

    fn record(&self, path: &str, query: &[(String, String)], headers: &HeaderMap) -> Option<Response> {
        let mut inner = self.lock();
        inner.calls.push(Call {
            path: path.to_string(),
            query: query.to_vec(),
            authorized: headers
                .get("authorization")
                .is_some_and(|v| v.as_bytes().starts_with(b"Bearer ")),
        });
        let pos = inner.failures.iter().position(|f| path.starts_with(&f.path));
        let failure = pos.and_then(|p| inner.failures.remove(p));
        drop(inner);
        self.touch();
        failure.map(|f| {
            let mut resp = (StatusCode::from_u16(f.status).unwrap(), f.body).into_response();
            resp.headers_mut()
                .insert("content-type", "application/json".parse().unwrap());
            for (k, v) in f.headers {
                resp.headers_mut().insert(
                    axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                    v.parse().unwrap(),
                );
            }
            resp
        })
    }

    fn json(&self, body: Value) -> Response {
        let (remaining, reset) = self.lock().budget.clone();
        let mut resp = axum::Json(body).into_response();
        let h = resp.headers_mut();
        h.insert("x-ratelimit-limit", "300".parse().unwrap());
        h.insert("x-ratelimit-remaining", remaining.to_string().parse().unwrap());
        h.insert("x-ratelimit-reset", reset.parse().unwrap());
        resp
    }
}

impl FakeMastodon {
    /// The account talkback publishes as (`verify_credentials`).
    pub fn me(&self) -> Value {
        self.account("acme", "Acme")
    }

    /// Every status created by a POST, in order, with its `Idempotency-Key`.
    pub fn created(&self) -> Vec<(Option<String>, Value)> {
        self.lock().created.clone()
    }
}

async fn verify_credentials(State(fake): State<FakeMastodon>, headers: HeaderMap) -> Response {
    if let Some(r) = fake.record("/api/v1/accounts/verify_credentials", &[], &headers) {
        return r;
    }
    fake.json(fake.me())
}

/// `POST /api/v1/statuses`: the status as Mastodon renders it (HTML paragraphs).
async fn create_status(State(fake): State<FakeMastodon>, headers: HeaderMap, body: axum::body::Bytes) -> Response {
    if let Some(r) = fake.record("/api/v1/statuses", &[], &headers) {
        return r;
    }
    let Ok(body) = serde_json::from_slice::<Value>(&body) else {
        return (
            StatusCode::UNPROCESSABLE_ENTITY,
            axum::Json(json!({"error": "Validation failed"})),
        )
            .into_response();
    };
    let text = body["status"].as_str().unwrap_or("");
    let html = format!(
        "<p>{}</p>",
        text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
    );
    let mut status = fake.status(&fake.me(), &html);
    status["in_reply_to_id"] = body["in_reply_to_id"].clone();
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    fake.lock().created.push((key, status.clone()));
    fake.touch();
    fake.json(status)
}

/// `GET /api/v1/statuses/:id/context`: the created statuses that reply to `id`.
async fn context(State(fake): State<FakeMastodon>, Path(id): Path<String>, headers: HeaderMap) -> Response {
    if let Some(r) = fake.record(&format!("/api/v1/statuses/{id}/context"), &[], &headers) {
        return r;
    }
    let descendants: Vec<Value> = fake
        .lock()
        .created
        .iter()
        .map(|(_, s)| s.clone())
        .filter(|s| s["in_reply_to_id"].as_str() == Some(id.as_str()))
        .collect();
    fake.json(json!({"ancestors": [], "descendants": descendants}))
}

fn parse_query(raw: Option<String>) -> Vec<(String, String)> {
    serde_urlencoded::from_str(raw.as_deref().unwrap_or("")).unwrap()
}

fn param<'a>(q: &'a [(String, String)], key: &str) -> Option<&'a str> {
    q.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

fn id_of(v: &Value) -> u64 {
    v["id"].as_str().and_then(|s| s.parse().ok()).unwrap_or(0)
}

fn unauthorized() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        axum::Json(json!({"error": "The access token is invalid"})),
    )
        .into_response()
}

/// Mastodon's paging over a list kept ascending: `max_id`/`since_id` bound it, `min_id` takes
/// the items immediately newer, otherwise the newest; always answered newest first.
fn page(items: &[Value], q: &[(String, String)], default_limit: usize, max_limit: usize) -> Vec<Value> {
    let bound = |k: &str| param(q, k).and_then(|v| v.parse::<u64>().ok());
    let limit = bound("limit")
        .map(|l| l as usize)
        .unwrap_or(default_limit)
        .min(max_limit);
    let mut sel: Vec<&Value> = items
        .iter()
        .filter(|v| bound("max_id").is_none_or(|m| id_of(v) < m))
        .filter(|v| bound("since_id").is_none_or(|m| id_of(v) > m))
        .filter(|v| bound("min_id").is_none_or(|m| id_of(v) > m))
        .collect();
    if bound("min_id").is_some() {
        sel.truncate(limit);
    } else {
        sel = sel.split_off(sel.len().saturating_sub(limit));
    }
    sel.into_iter().rev().cloned().collect()
}

async fn list_endpoint(
    State(fake): State<FakeMastodon>,
    uri: axum::http::Uri,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Response {
    let path = uri.path().to_string();
    let q = parse_query(raw);
    if let Some(r) = fake.record(&path, &q, &headers) {
        return r;
    }
    let authorized = headers.contains_key("authorization");
    let (list, default_limit, max_limit) = if path == "/api/v1/notifications" {
        ("notifications".to_string(), 40, 80)
    } else if let Some(tag) = path.strip_prefix("/api/v1/timelines/tag/") {
        (format!("tag:{}", tag.to_lowercase()), 20, 40)
    } else if let Some(rest) = path.strip_prefix("/api/v1/accounts/") {
        (format!("account:{}", rest.trim_end_matches("/statuses")), 20, 40)
    } else {
        (path.trim_start_matches("/api/v1/timelines/").to_string(), 20, 40)
    };
    if (list == "notifications" || list == "home") && !authorized {
        return unauthorized();
    }
    let mut items = fake.lock().lists.get(&list).cloned().unwrap_or_default();
    let types: Vec<&str> = q
        .iter()
        .filter(|(k, _)| k == "types[]")
        .map(|(_, v)| v.as_str())
        .collect();
    if !types.is_empty() {
        items.retain(|n| n["type"].as_str().is_none_or(|t| types.contains(&t)));
    }
    let items = page(&items, &q, default_limit, max_limit);
    let link = match (items.first(), items.last()) {
        (Some(newest), Some(oldest)) => Some(format!(
            "<{base}{path}?max_id={}>; rel=\"next\", <{base}{path}?min_id={}>; rel=\"prev\"",
            oldest["id"].as_str().unwrap_or(""),
            newest["id"].as_str().unwrap_or(""),
            base = fake.base_url
        )),
        _ => None,
    };
    let mut resp = fake.json(Value::Array(items));
    if let Some(l) = link {
        resp.headers_mut().insert("link", l.parse().unwrap());
    }
    resp
}

async fn lookup(State(fake): State<FakeMastodon>, RawQuery(raw): RawQuery, headers: HeaderMap) -> Response {
    let q = parse_query(raw);
    if let Some(r) = fake.record("/api/v1/accounts/lookup", &q, &headers) {
        return r;
    }
    let acct = param(&q, "acct").unwrap_or("").trim_start_matches('@').to_lowercase();
    let local = acct
        .strip_suffix(&format!("@{}", fake.host))
        .unwrap_or(&acct)
        .to_string();
    let found = fake
        .lock()
        .accounts
        .iter()
        .find(|a| a["acct"].as_str() == Some(&local))
        .cloned();
    match found {
        Some(a) => fake.json(a),
        None => (StatusCode::NOT_FOUND, axum::Json(json!({"error": "Record not found"}))).into_response(),
    }
}

/// Full-text search over every status the instance knows, newest first, like Mastodon's
/// (`min_id` and `offset` as documented; every word must appear).
async fn search(State(fake): State<FakeMastodon>, RawQuery(raw): RawQuery, headers: HeaderMap) -> Response {
    let q = parse_query(raw);
    if let Some(r) = fake.record("/api/v2/search", &q, &headers) {
        return r;
    }
    if !headers.contains_key("authorization") {
        return unauthorized();
    }
    let words: Vec<String> = param(&q, "q")
        .unwrap_or("")
        .to_lowercase()
        .replace('"', " ")
        .split_whitespace()
        .map(str::to_string)
        .collect();
    let mut all: Vec<Value> = Vec::new();
    for list in fake.lock().lists.values() {
        for s in list.iter().filter(|s| s.get("content").is_some()) {
            let text = s["content"].as_str().unwrap_or("").to_lowercase();
            if words.iter().all(|w| text.contains(w.as_str())) && !all.iter().any(|a| a["id"] == s["id"]) {
                all.push(s.clone());
            }
        }
    }
    all.sort_by_key(|s| std::cmp::Reverse(id_of(s)));
    let min_id = param(&q, "min_id").and_then(|v| v.parse::<u64>().ok());
    let offset = param(&q, "offset").and_then(|v| v.parse::<usize>().ok()).unwrap_or(0);
    let limit = param(&q, "limit")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(20)
        .min(40);
    let statuses: Vec<Value> = all
        .into_iter()
        .filter(|s| min_id.is_none_or(|m| id_of(s) > m))
        .skip(offset)
        .take(limit)
        .collect();
    fake.json(json!({"accounts": [], "statuses": statuses, "hashtags": []}))
}

async fn streaming(
    State(fake): State<FakeMastodon>,
    Path(which): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Response {
    let q = parse_query(raw);
    if let Some(r) = fake.record(&format!("/api/v1/streaming/{which}"), &q, &headers) {
        return r;
    }
    let key = match which.as_str() {
        "hashtag" => format!("tag:{}", param(&q, "tag").unwrap_or("").to_lowercase()),
        "user" if !headers.contains_key("authorization") => return unauthorized(),
        other => other.to_string(),
    };
    let (tx, rx) = mpsc::unbounded_channel::<String>();
    // Mastodon's streaming server opens with a comment line.
    tx.send(":)\n".into()).unwrap();
    {
        let mut inner = fake.lock();
        inner.streams.push((key.clone(), tx));
        inner.connections.push(key);
    }
    fake.touch();
    let body = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|frame| (Ok::<_, Infallible>(frame), rx))
    });
    Response::builder()
        .header("content-type", "text/event-stream")
        .header("cache-control", "no-store")
        .body(Body::from_stream(body))
        .unwrap()
}
