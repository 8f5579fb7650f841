//! A fake Discord on 127.0.0.1: the REST routes talkback calls under `/api/v10`, answering with
//! payloads shaped like Discord's documented ones (message objects, thread channels, registered
//! commands, rate-limit headers), and a gateway WebSocket that says HELLO, takes IDENTIFY, sends
//! READY and delivers INTERACTION_CREATE. Every REST call is recorded with its virtual time.
//! Also builds interaction payloads as Discord sends them, for the gateway and HTTP tests.

use std::collections::{HashSet, VecDeque};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::Router;
use serde_json::{json, Value};
use tokio::sync::{mpsc, Notify};
use tokio::time::Instant;

pub const APP_ID: &str = "1100000000000000001";
pub const BOT_ID: &str = "1100000000000000002";
pub const GUILD_ID: &str = "1100000000000000003";
pub const CHANNEL_ID: &str = "1100000000000000004";
pub const BOT_TOKEN: &str = "MTEwMDAwMDAwMDAwMDAwMDAwMg.fake.discord-bot-token";

#[derive(Debug, Clone)]
pub struct Call {
    pub method: String,
    /// The path below `/api/v10`, e.g. `/channels/1100…/messages`.
    pub path: String,
    /// The JSON body, or for a multipart upload its `payload_json`.
    pub body: Value,
    /// The bytes of an uploaded file, if any.
    pub file: Option<Vec<u8>>,
    pub auth: Option<String>,
    pub at: Instant,
}

/// A canned failure for the next call whose method and path match.
struct Failure {
    method: String,
    path_contains: String,
    status: u16,
    body: Value,
    headers: Vec<(String, String)>,
}

#[derive(Default)]
struct Inner {
    calls: Vec<Call>,
    next_id: u64,
    /// Message ids talkback posted (a thread on one has the same id).
    messages: HashSet<String>,
    /// Every message posted, as `GET /channels/{id}/messages` shows it, oldest first.
    posted: Vec<Value>,
    threads: HashSet<String>,
    threads_forbidden: bool,
    failures: VecDeque<Failure>,
    /// The next matching answer says the bucket is used up for this many seconds.
    exhaust: Option<(String, f64)>,
    sockets: Vec<mpsc::UnboundedSender<Value>>,
    identifies: Vec<Value>,
    seq: u64,
}

#[derive(Clone)]
pub struct FakeDiscord {
    /// What `[chat.discord] api_url` should be.
    pub api_url: String,
    inner: Arc<Mutex<Inner>>,
    changed: Arc<Notify>,
}

impl FakeDiscord {
    pub async fn start() -> FakeDiscord {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let fake = FakeDiscord {
            api_url: format!("http://{addr}"),
            inner: Arc::new(Mutex::new(Inner {
                next_id: 1_200_000_000_000_000_000,
                ..Inner::default()
            })),
            changed: Arc::new(Notify::new()),
        };
        let app = Router::new()
            .route("/gateway", any(socket))
            .fallback(api)
            .with_state(fake.clone());
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        fake
    }

    fn touch(&self) {
        self.changed.notify_waiters();
    }

    pub fn calls(&self) -> Vec<Call> {
        self.inner.lock().unwrap().calls.clone()
    }

    /// Calls with this method whose path ends with `suffix`.
    pub fn calls_to(&self, method: &str, suffix: &str) -> Vec<Call> {
        self.calls()
            .into_iter()
            .filter(|c| c.method == method && c.path.ends_with(suffix))
            .collect()
    }

    /// Waits until at least `n` calls match (for tests on real time; fails after 30 s).
    pub async fn wait_for(&self, method: &str, suffix: &str, n: usize) -> Vec<Call> {
        let wait = async {
            loop {
                let notified = self.changed.notified();
                let got = self.calls_to(method, suffix);
                if got.len() >= n {
                    return got;
                }
                notified.await;
            }
        };
        tokio::time::timeout(std::time::Duration::from_secs(30), wait)
            .await
            .unwrap_or_else(|_| panic!("no {n} calls to {method} …{suffix}; calls: {:#?}", self.calls()))
    }

    /// The next call with `method` and a path containing `path_contains` fails.
    pub fn fail_next(&self, method: &str, path_contains: &str, status: u16, body: Value, headers: &[(&str, &str)]) {
        self.inner.lock().unwrap().failures.push_back(Failure {
            method: method.into(),
            path_contains: path_contains.into(),
            status,
            body,
            headers: headers.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        });
    }

    /// The next call to `path_contains` is a 429 as Discord sends it.
    pub fn rate_limit_next(&self, method: &str, path_contains: &str, retry_after: f64, global: bool) {
        let body = json!({"message": "You are being rate limited.", "retry_after": retry_after, "global": global});
        let secs = retry_after.ceil().to_string();
        let mut headers = vec![
            ("retry-after", secs.as_str()),
            ("x-ratelimit-scope", if global { "global" } else { "user" }),
        ];
        if global {
            headers.push(("x-ratelimit-global", "true"));
        }
        self.fail_next(method, path_contains, 429, body, &headers);
    }

    /// The next successful answer on `path_contains` says its bucket has no requests left for
    /// `reset_after` seconds.
    pub fn exhaust_bucket(&self, path_contains: &str, reset_after: f64) {
        self.inner.lock().unwrap().exhaust = Some((path_contains.into(), reset_after));
    }

    /// Starting threads fails as it does without the Create Public Threads permission.
    pub fn forbid_threads(&self) {
        self.inner.lock().unwrap().threads_forbidden = true;
    }

    /// The newest IDENTIFY received on the gateway (fails after 30 s without one).
    pub async fn wait_identify(&self) -> Value {
        let wait = async {
            loop {
                let notified = self.changed.notified();
                if let Some(v) = self.inner.lock().unwrap().identifies.last().cloned() {
                    return v;
                }
                notified.await;
            }
        };
        tokio::time::timeout(std::time::Duration::from_secs(30), wait)
            .await
            .expect("nobody identified on the gateway within 30 s")
    }

    /// Sends an INTERACTION_CREATE dispatch on the newest gateway connection.
    pub fn dispatch(&self, interaction: Value) {
        let mut inner = self.inner.lock().unwrap();
        inner.seq += 1;
        let event = json!({"op": 0, "t": "INTERACTION_CREATE", "s": inner.seq, "d": interaction});
        if let Some(tx) = inner.sockets.last() {
            let _ = tx.send(event);
        }
    }
}

fn user_object(id: &str, name: &str, bot: bool) -> Value {
    json!({"id": id, "username": name, "discriminator": "0", "global_name": name, "avatar": null,
           "bot": bot, "public_flags": 0, "flags": 0, "banner": null, "accent_color": null})
}

/// A message object as Discord returns it from Create/Edit Message.
fn message_object(id: &str, channel: &str, sent: &Value) -> Value {
    json!({"id": id, "type": 0, "channel_id": channel, "author": user_object(BOT_ID, "talkback", true),
           "content": sent.get("content").cloned().unwrap_or(json!("")),
           "embeds": sent.get("embeds").cloned().unwrap_or(json!([])),
           "components": sent.get("components").cloned().unwrap_or(json!([])),
           "attachments": [], "mentions": [], "mention_roles": [], "mention_everyone": false,
           "pinned": false, "tts": false, "flags": 0, "timestamp": "2026-11-23T10:00:00.000000+00:00",
           "edited_timestamp": null})
}

/// A channel's messages as Discord lists them: newest first, at most `limit` (50 by default,
/// 100 at most), only those older than `before` when given.
fn history(posted: &[Value], channel: &str, query: &str) -> Value {
    let param = |name: &str| {
        query
            .split('&')
            .find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='))
            .map(str::to_string)
    };
    let limit = param("limit").and_then(|l| l.parse().ok()).unwrap_or(50usize).min(100);
    let before: Option<u64> = param("before").and_then(|b| b.parse().ok());
    let id = |m: &Value| m["id"].as_str().and_then(|i| i.parse::<u64>().ok()).unwrap_or(0);
    let page: Vec<Value> = posted
        .iter()
        .rev()
        .filter(|m| m["channel_id"] == channel && before.is_none_or(|b| id(m) < b))
        .take(limit)
        .cloned()
        .collect();
    Value::Array(page)
}

/// `payload_json` and the first file of a multipart body.
fn multipart(body: &[u8]) -> (Value, Option<Vec<u8>>) {
    let text = String::from_utf8_lossy(body);
    let payload = text
        .split("name=\"payload_json\"")
        .nth(1)
        .and_then(|rest| rest.split("\r\n\r\n").nth(1))
        .and_then(|v| v.split("\r\n--").next())
        .and_then(|v| serde_json::from_str(v).ok())
        .unwrap_or(Value::Null);
    let file = body
        .windows(4)
        .position(|w| w == b"\x89PNG")
        .map(|start| body[start..].to_vec());
    (payload, file)
}

fn answer(status: u16, body: Value, headers: &[(String, String)]) -> Response {
    let mut res = (StatusCode::from_u16(status).unwrap(), axum::Json(body)).into_response();
    for (k, v) in headers {
        res.headers_mut().insert(
            axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
            v.parse().unwrap(),
        );
    }
    res
}

async fn api(State(f): State<FakeDiscord>, method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let Some(path) = uri.path().strip_prefix("/api/v10") else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let path = path.to_string();
    let is_multipart = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.starts_with("multipart/form-data"));
    let (sent, file) = if is_multipart {
        multipart(&body)
    } else {
        (serde_json::from_slice(&body).unwrap_or(Value::Null), None)
    };
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(String::from);
    let mut inner = f.inner.lock().unwrap();
    inner.calls.push(Call {
        method: method.to_string(),
        path: path.clone(),
        body: sent.clone(),
        file,
        auth,
        at: Instant::now(),
    });
    let res = route(
        &mut inner,
        &f.api_url,
        method.as_str(),
        &path,
        uri.query().unwrap_or(""),
        &sent,
    );
    drop(inner);
    f.touch();
    res
}

/// What real Discord refuses in a message body (its documented limits), as its 50035 error.
fn invalid_message(sent: &Value) -> Option<String> {
    let len = |v: &Value| v.as_str().map_or(0, |s| s.chars().count());
    if len(&sent["content"]) > 2000 {
        return Some("content: Must be 2000 or fewer in length.".into());
    }
    let mut total = 0;
    for e in sent["embeds"].as_array().into_iter().flatten() {
        for (key, max) in [("title", 256), ("description", 4096)] {
            if e.get(key).is_some() && !(1..=max).contains(&len(&e[key])) {
                return Some(format!("embeds.{key}: must be 1 to {max} long"));
            }
            total += len(&e[key]);
        }
        if e.get("author").is_some() && !(1..=256).contains(&len(&e["author"]["name"])) {
            return Some("embeds.author.name: must be 1 to 256 long".into());
        }
        total += len(&e["author"]["name"]) + len(&e["footer"]["text"]);
        let fields = e["fields"].as_array().cloned().unwrap_or_default();
        if fields.len() > 25 {
            return Some("embeds.fields: at most 25".into());
        }
        for f in &fields {
            if !(1..=256).contains(&len(&f["name"])) || !(1..=1024).contains(&len(&f["value"])) {
                return Some(format!("embeds.fields: bad field {f}"));
            }
            total += len(&f["name"]) + len(&f["value"]);
        }
    }
    (total > 6000).then(|| format!("embeds: {total} characters in all, more than 6000"))
}

fn route(inner: &mut Inner, api_url: &str, method: &str, path: &str, query: &str, sent: &Value) -> Response {
    if let Some(i) = inner
        .failures
        .iter()
        .position(|fl| fl.method == method && path.contains(&fl.path_contains))
    {
        let fl = inner.failures.remove(i).unwrap();
        return answer(fl.status, fl.body, &fl.headers);
    }
    let mut limits = vec![
        ("x-ratelimit-limit".to_string(), "5".to_string()),
        ("x-ratelimit-remaining".to_string(), "4".to_string()),
        ("x-ratelimit-reset-after".to_string(), "1.000".to_string()),
        (
            "x-ratelimit-bucket".to_string(),
            "80c17d2f203122d936070c88c8d10f33".to_string(),
        ),
    ];
    if let Some((p, after)) = inner.exhaust.clone() {
        if path.contains(&p) {
            inner.exhaust = None;
            limits[1].1 = "0".into();
            limits[2].1 = format!("{after:.3}");
        }
    }
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    if matches!(method, "POST" | "PATCH") && path.contains("/messages") {
        if let Some(why) = invalid_message(sent) {
            let body = json!({"code": 50035, "message": "Invalid Form Body", "errors": {"_errors": [{"code": "BASE_TYPE_BAD", "message": why}]}});
            return answer(400, body, &limits);
        }
    }
    let ok = |body: Value| answer(200, body, &limits);
    match (method, parts.as_slice()) {
        ("GET", ["users", "@me"]) => ok(user_object(BOT_ID, "talkback", true)),
        ("GET", ["gateway"]) | ("GET", ["gateway", "bot"]) => {
            let ws = api_url.replace("http://", "ws://") + "/gateway";
            ok(json!({"url": ws, "shards": 1, "session_start_limit":
                      {"total": 1000, "remaining": 999, "reset_after": 14_400_000, "max_concurrency": 1}}))
        }
        ("PUT", ["applications", app, .., "commands"]) => {
            let registered: Vec<Value> = sent
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .enumerate()
                .map(|(i, mut c)| {
                    c["id"] = json!(format!("13000000000000000{i:02}"));
                    c["application_id"] = json!(app);
                    c["version"] = json!("1300000000000000100");
                    c
                })
                .collect();
            ok(Value::Array(registered))
        }
        ("POST", ["channels", channel, "messages"]) => {
            if inner.messages.contains(*channel) && !inner.threads.contains(*channel) {
                return answer(404, json!({"message": "Unknown Channel", "code": 10003}), &limits);
            }
            inner.next_id += 1;
            let id = inner.next_id.to_string();
            inner.messages.insert(id.clone());
            let mut message = message_object(&id, channel, sent);
            message["timestamp"] = json!(chrono::Utc::now().to_rfc3339());
            inner.posted.push(message.clone());
            ok(message)
        }
        ("GET", ["channels", channel, "messages"]) => ok(history(&inner.posted, channel, query)),
        ("PATCH", ["channels", channel, "messages", id]) => {
            if let Some(m) = inner.posted.iter_mut().find(|m| m["id"] == *id) {
                for key in ["content", "embeds", "components"] {
                    if let Some(v) = sent.get(key) {
                        m[key] = v.clone();
                    }
                }
            }
            ok(message_object(id, channel, sent))
        }
        ("POST", ["channels", channel, "messages", id, "threads"]) => {
            if inner.threads.contains(*id) {
                let body = json!({"code": 160004, "message": "A thread has already been created for this message"});
                return answer(400, body, &limits);
            }
            if inner.threads_forbidden {
                return answer(403, json!({"message": "Missing Permissions", "code": 50013}), &limits);
            }
            inner.threads.insert(id.to_string());
            answer(
                201,
                json!({"id": id, "type": 11, "guild_id": GUILD_ID, "parent_id": channel, "name": sent["name"],
                       "owner_id": BOT_ID, "message_count": 0, "member_count": 1, "rate_limit_per_user": 0,
                       "thread_metadata": {"archived": false, "auto_archive_duration": sent["auto_archive_duration"],
                                           "archive_timestamp": "2026-11-23T10:00:00.000000+00:00", "locked": false}}),
                &limits,
            )
        }
        ("POST", ["interactions", _, _, "callback"]) => StatusCode::NO_CONTENT.into_response(),
        ("PATCH", ["webhooks", _, _, "messages", "@original"]) => {
            ok(message_object("1300000000000000200", CHANNEL_ID, sent))
        }
        _ => answer(404, json!({"message": "404: Not Found", "code": 0}), &limits),
    }
}

async fn socket(State(f): State<FakeDiscord>, ws: WebSocketUpgrade) -> Response {
    ws.on_upgrade(move |s| gateway(f, s))
}

/// HELLO, then READY after IDENTIFY; heartbeats are acknowledged; dispatches are forwarded.
async fn gateway(f: FakeDiscord, mut ws: WebSocket) {
    let (tx, mut rx) = mpsc::unbounded_channel::<Value>();
    f.inner.lock().unwrap().sockets.push(tx);
    let hello = json!({"op": 10, "d": {"heartbeat_interval": 41250}, "s": null, "t": null});
    if ws.send(Message::Text(hello.to_string().into())).await.is_err() {
        return;
    }
    loop {
        tokio::select! {
            out = rx.recv() => {
                let Some(v) = out else { return };
                if ws.send(Message::Text(v.to_string().into())).await.is_err() {
                    return;
                }
            }
            inbound = ws.recv() => {
                let Some(Ok(msg)) = inbound else { return };
                let Message::Text(text) = msg else { continue };
                let Ok(v) = serde_json::from_str::<Value>(&text) else { continue };
                let reply = match v["op"].as_u64() {
                    Some(1) => json!({"op": 11, "d": null, "s": null, "t": null}),
                    Some(2) => {
                        let mut inner = f.inner.lock().unwrap();
                        inner.identifies.push(v.clone());
                        inner.seq += 1;
                        json!({"op": 0, "t": "READY", "s": inner.seq, "d": {
                            "v": 10, "user": user_object(BOT_ID, "talkback", true), "guilds": [{"id": GUILD_ID, "unavailable": true}],
                            "session_id": "9f1c2d3e4b5a69788796a5b4c3d2e1f0",
                            "resume_gateway_url": f.api_url.replace("http://", "ws://") + "/gateway",
                            "shard": [0, 1], "application": {"id": APP_ID, "flags": 0}}})
                    }
                    _ => continue,
                };
                f.touch();
                if ws.send(Message::Text(reply.to_string().into())).await.is_err() {
                    return;
                }
            }
        }
    }
}

/// The token Discord gives the interaction `id` (for its callback and follow-ups).
pub fn token(id: &str) -> String {
    format!("aW50ZXJhY3Rpb246{id}OnRva2Vu")
}

/// The fields every interaction Discord sends carries, for a user in our guild's channel.
fn interaction(kind: u8, id: &str, user: &str, data: Value) -> Value {
    json!({
        "id": id, "application_id": APP_ID, "type": kind, "data": data, "guild_id": GUILD_ID,
        "guild": {"id": GUILD_ID, "features": [], "locale": "en-US"},
        "channel_id": CHANNEL_ID,
        "channel": {"id": CHANNEL_ID, "type": 0, "name": "brand-mentions", "guild_id": GUILD_ID, "permissions": "2248473465835073"},
        "member": {"user": user_object(user, "ann", false), "roles": [], "joined_at": "2025-01-01T00:00:00.000000+00:00",
                   "deaf": false, "mute": false, "flags": 0, "pending": false, "nick": null, "avatar": null,
                   "premium_since": null, "communication_disabled_until": null, "permissions": "2248473465835073"},
        "token": token(id), "version": 1, "app_permissions": "2248473465835073",
        "locale": "en-US", "guild_locale": "en-US", "entitlements": [], "entitlement_sku_ids": [],
        "authorizing_integration_owners": {"0": GUILD_ID}, "context": 0, "attachment_size_limit": 10_485_760
    })
}

/// `/talkback <sub>` with string options, as an APPLICATION_COMMAND interaction.
pub fn slash(id: &str, user: &str, sub: &str, options: &[(&str, &str)]) -> Value {
    let opts: Vec<Value> = options
        .iter()
        .map(|(n, v)| json!({"name": n, "type": 3, "value": v}))
        .collect();
    interaction(
        2,
        id,
        user,
        json!({"id": "1300000000000000000", "name": "talkback", "type": 1, "guild_id": GUILD_ID,
               "options": [{"name": sub, "type": 1, "options": opts}]}),
    )
}

/// A click on a button (or a choice in a select menu when `values` is given) of `message_id`.
pub fn click(id: &str, user: &str, message_id: &str, custom_id: &str, values: Option<&[&str]>) -> Value {
    let data = match values {
        Some(v) => json!({"custom_id": custom_id, "component_type": 3, "values": v}),
        None => json!({"custom_id": custom_id, "component_type": 2}),
    };
    let mut i = interaction(3, id, user, data);
    i["message"] = message_object(message_id, CHANNEL_ID, &json!({}));
    i
}

/// The reply modal submitted with `text`.
pub fn modal_submit(id: &str, user: &str, custom_id: &str, text: &str) -> Value {
    interaction(
        5,
        id,
        user,
        json!({"custom_id": custom_id, "components": [{"type": 1, "components": [{"type": 4, "custom_id": "text", "value": text}]}]}),
    )
}

pub fn ping() -> Value {
    json!({"id": "1300000000000000999", "application_id": APP_ID, "type": 1, "token": "aW50ZXJhY3Rpb246cGluZw", "version": 1})
}
