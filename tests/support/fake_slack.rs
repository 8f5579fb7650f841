//! A fake Slack on 127.0.0.1: the Web API methods talkback calls, answering with payloads shaped
//! like Slack's documented ones, a file upload URL (the external upload flow) that keeps the
//! bytes, and a Socket Mode WebSocket that says hello, delivers envelopes and records acks. Every
//! call is recorded for assertions.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use tokio::sync::{mpsc, Notify};

#[derive(Default)]
struct Inner {
    calls: Vec<(String, Value)>,
    /// The `ts` each chat.postMessage answered with, in call order.
    posted_ts: Vec<String>,
    /// Every message posted, as conversations.history shows it, oldest first; `channel` added.
    messages: Vec<Value>,
    failures: HashMap<String, VecDeque<(u16, Option<u64>)>>,
    /// `ok: false` answers (HTTP 200) to give, per method.
    errors: HashMap<String, VecDeque<String>>,
    /// Bytes POSTed to each upload URL, by file id, in order.
    uploads: Vec<(String, Vec<u8>)>,
    next_file: u64,
    acks: Vec<Value>,
    next_ts: u64,
    /// The seconds part of every `ts`: when the fake started.
    ts_base: i64,
    /// Every open Socket Mode connection, oldest first; envelopes go to the newest. slack-morphism
    /// opens a second one after a few seconds: the first must stay open, as it does on Slack.
    sockets: Vec<mpsc::UnboundedSender<Value>>,
    auth_headers: Vec<String>,
}

#[derive(Clone)]
pub struct FakeSlack {
    pub api_url: String,
    pub addr: std::net::SocketAddr,
    inner: Arc<Mutex<Inner>>,
    changed: Arc<Notify>,
}

impl FakeSlack {
    pub async fn start() -> FakeSlack {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let fake = FakeSlack {
            api_url: format!("http://{addr}/api"),
            addr,
            inner: Arc::new(Mutex::new(Inner {
                next_ts: 1,
                ts_base: chrono::Utc::now().timestamp(),
                ..Inner::default()
            })),
            changed: Arc::new(Notify::new()),
        };
        let app = Router::new()
            .route("/api/{method}", get(api).post(api))
            .route("/upload/v1/{file_id}", post(upload))
            .route("/socket", any(socket))
            .with_state(fake.clone());
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        fake
    }

    fn touch(&self) {
        self.changed.notify_waiters();
    }

    /// Bodies of every call to `method`, in order.
    pub fn calls(&self, method: &str) -> Vec<Value> {
        self.inner
            .lock()
            .unwrap()
            .calls
            .iter()
            .filter(|(m, _)| m == method)
            .map(|(_, b)| b.clone())
            .collect()
    }

    pub fn posted_ts(&self) -> Vec<String> {
        self.inner.lock().unwrap().posted_ts.clone()
    }

    pub fn all_calls(&self) -> Vec<(String, Value)> {
        self.inner.lock().unwrap().calls.clone()
    }

    pub fn auth_headers(&self) -> Vec<String> {
        self.inner.lock().unwrap().auth_headers.clone()
    }

    /// The next call to `method` fails with `status` (and Retry-After when given).
    pub fn fail_next(&self, method: &str, status: u16, retry_after: Option<u64>) {
        self.inner
            .lock()
            .unwrap()
            .failures
            .entry(method.to_string())
            .or_default()
            .push_back((status, retry_after));
    }

    /// The next call to `method` answers HTTP 200 with `{"ok": false, "error": code}`.
    pub fn error_next(&self, method: &str, code: &str) {
        self.inner
            .lock()
            .unwrap()
            .errors
            .entry(method.to_string())
            .or_default()
            .push_back(code.to_string());
    }

    /// Every upload received at an upload URL: the file id and the bytes, in order.
    pub fn uploads(&self) -> Vec<(String, Vec<u8>)> {
        self.inner.lock().unwrap().uploads.clone()
    }

    /// Waits (no timers: woken by each call) until `f` holds.
    pub async fn until<T>(&self, mut f: impl FnMut(&FakeSlack) -> Option<T>) -> T {
        loop {
            let notified = self.changed.notified();
            if let Some(v) = f(self) {
                return v;
            }
            notified.await;
        }
    }

    pub async fn wait_calls(&self, method: &str, n: usize) -> Vec<Value> {
        self.until(|f| {
            let c = f.calls(method);
            (c.len() >= n).then_some(c)
        })
        .await
    }

    /// Sends a Socket Mode envelope to the connected client.
    pub async fn send_envelope(&self, envelope: Value) {
        let tx = self.until(|f| f.inner.lock().unwrap().sockets.last().cloned()).await;
        tx.send(envelope).unwrap();
    }

    /// Waits for the ack of envelope `id` and returns it.
    pub async fn ack(&self, id: &str) -> Value {
        self.until(|f| {
            f.inner
                .lock()
                .unwrap()
                .acks
                .iter()
                .find(|a| a["envelope_id"] == id)
                .cloned()
        })
        .await
    }
}

/// The call's arguments: a JSON body, a form body, or (for GET) the query string.
fn body_value(headers: &HeaderMap, body: &Bytes, query: Option<&str>) -> Value {
    if body.is_empty() {
        if let Some(q) = query {
            return form_value(q.as_bytes());
        }
    }
    let is_json = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.starts_with("application/json"));
    if is_json {
        return serde_json::from_slice(body).unwrap_or(Value::Null);
    }
    form_value(body)
}

fn form_value(form: &[u8]) -> Value {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(form).unwrap_or_default();
    let mut map = serde_json::Map::new();
    for (k, v) in pairs {
        let parsed = serde_json::from_str::<Value>(&v)
            .ok()
            .filter(|p| p.is_array() || p.is_object());
        map.insert(k, parsed.unwrap_or(Value::String(v)));
    }
    Value::Object(map)
}

async fn api(
    State(fake): State<FakeSlack>,
    Path(method): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let body = body_value(&headers, &body, query.as_deref());
    let (failure, error, ts) = {
        let mut inner = fake.inner.lock().unwrap();
        if let Some(a) = headers.get("authorization").and_then(|v| v.to_str().ok()) {
            inner.auth_headers.push(a.to_string());
        }
        inner.calls.push((method.clone(), body.clone()));
        let failure = inner.failures.get_mut(&method).and_then(|q| q.pop_front());
        let error = inner.errors.get_mut(&method).and_then(|q| q.pop_front());
        inner.next_ts += 1;
        // Like Slack's: the posting time in seconds, then a sequence that keeps them apart.
        let ts = format!("{}.{:06}", inner.ts_base, inner.next_ts);
        if method == "chat.postMessage" && failure.is_none() && error.is_none() {
            inner.posted_ts.push(ts.clone());
            inner
                .messages
                .push(json!({"type": "message", "user": "U0BOT", "bot_id": "B0001", "ts": ts,
                "text": body["text"], "blocks": blocks_of(&body), "channel": channel_id(&body["channel"])}));
        }
        if method == "chat.update" && failure.is_none() && error.is_none() {
            let blocks = blocks_of(&body);
            if let Some(m) = inner.messages.iter_mut().find(|m| m["ts"] == body["ts"]) {
                m["text"] = body["text"].clone();
                m["blocks"] = blocks;
            }
        }
        (failure, error, ts)
    };
    fake.touch();
    if let Some(code) = error {
        return Json(json!({"ok": false, "error": code})).into_response();
    }
    if let Some((status, retry_after)) = failure {
        let mut resp = (
            StatusCode::from_u16(status).unwrap(),
            Json(json!({"ok": false, "error": "ratelimited"})),
        )
            .into_response();
        if let Some(s) = retry_after {
            resp.headers_mut().insert("retry-after", s.to_string().parse().unwrap());
        }
        return resp;
    }
    let channel = channel_id(&body["channel"]);
    let answer = match method.as_str() {
        "auth.test" => json!({"ok": true, "url": "https://acme.slack.com/", "team": "Acme", "user": "talkback",
                              "team_id": "T0001", "user_id": "U0BOT", "bot_id": "B0001", "is_enterprise_install": false}),
        "chat.postMessage" => json!({"ok": true, "channel": channel, "ts": ts,
                                     "message": {"type": "message", "text": body["text"], "user": "U0BOT", "ts": ts}}),
        "chat.update" => json!({"ok": true, "channel": channel, "ts": body["ts"], "text": body["text"],
                                "message": {"text": body["text"], "user": "U0BOT"}}),
        "chat.postEphemeral" => json!({"ok": true, "message_ts": ts}),
        "conversations.history" => history(&fake, &body),
        "views.open" => {
            let mut view = body["view"].clone();
            view["id"] = json!("V0001");
            view["team_id"] = json!("T0001");
            view["hash"] = json!("156663117.cd33ad1f");
            view["state"] = json!({"values": {}});
            json!({"ok": true, "view": view})
        }
        "apps.connections.open" => json!({"ok": true, "url": format!("ws://{}/socket", fake.addr)}),
        "files.getUploadURLExternal" => upload_url(&fake, &body),
        "files.completeUploadExternal" => complete_upload(&fake, &body),
        _ => json!({"ok": false, "error": "unknown_method"}),
    };
    Json(answer).into_response()
}

/// Blocks arrive as a JSON array in JSON bodies and as a JSON string in form bodies.
fn blocks_of(body: &Value) -> Value {
    match &body["blocks"] {
        Value::String(s) => serde_json::from_str(s).unwrap_or(Value::Null),
        other => other.clone(),
    }
}

/// `conversations.history`: the channel's messages newest first, from `oldest` (exclusive),
/// `limit` per page (default 100) with a cursor, as Slack documents it. Needs a channel ID.
fn history(fake: &FakeSlack, args: &Value) -> Value {
    let Some(channel) = args["channel"].as_str().filter(|c| is_id(c)) else {
        return json!({"ok": false, "error": "channel_not_found"});
    };
    let num = |v: &Value| v.as_str().and_then(|s| s.parse::<f64>().ok()).or_else(|| v.as_f64());
    let oldest = num(&args["oldest"]).unwrap_or(0.0);
    let limit = num(&args["limit"]).map_or(100, |l| l as usize).clamp(1, 999);
    let skip: usize = args["cursor"]
        .as_str()
        .and_then(|c| c.strip_prefix("page:")?.parse().ok())
        .unwrap_or(0);
    let inner = fake.inner.lock().unwrap();
    let all: Vec<Value> = inner
        .messages
        .iter()
        .rev()
        .filter(|m| m["channel"] == channel && num(&m["ts"]).is_some_and(|ts| ts > oldest))
        .map(|m| {
            let mut m = m.clone();
            m.as_object_mut().map(|o| o.remove("channel"));
            m
        })
        .collect();
    let page: Vec<Value> = all.iter().skip(skip).take(limit).cloned().collect();
    let has_more = skip + page.len() < all.len();
    let next = if has_more {
        format!("page:{}", skip + page.len())
    } else {
        String::new()
    };
    json!({"ok": true, "messages": page, "has_more": has_more, "pin_count": 0,
           "response_metadata": {"next_cursor": next}})
}

/// Every message posted so far, oldest first, each with its `channel`.
impl FakeSlack {
    pub fn messages(&self) -> Vec<Value> {
        self.inner.lock().unwrap().messages.clone()
    }
}

/// Slack answers with the channel's ID even when it was addressed by name: `#brand-mentions`
/// becomes `CBRANDMENTIONS` here.
fn channel_id(channel: &Value) -> Value {
    match channel.as_str() {
        Some(c) if !is_id(c) => json!(format!(
            "C{}",
            c.chars()
                .filter(char::is_ascii_alphanumeric)
                .collect::<String>()
                .to_uppercase()
        )),
        _ => channel.clone(),
    }
}

fn is_id(c: &str) -> bool {
    c.starts_with(['C', 'G', 'D']) && c.chars().all(|ch| ch.is_ascii_uppercase() || ch.is_ascii_digit())
}

/// `files.getUploadURLExternal`: a new file id and an upload URL on this fake.
fn upload_url(fake: &FakeSlack, args: &Value) -> Value {
    let length_ok = args["length"].as_str().is_some_and(|l| l.parse::<u64>().is_ok());
    if args["filename"].as_str().is_none_or(str::is_empty) || !length_ok {
        return json!({"ok": false, "error": "invalid_arguments"});
    }
    let id = {
        let mut inner = fake.inner.lock().unwrap();
        inner.next_file += 1;
        format!("F{:08}", inner.next_file)
    };
    json!({"ok": true, "upload_url": format!("http://{}/upload/v1/{id}", fake.addr), "file_id": id})
}

/// `files.completeUploadExternal`: every file must have been uploaded first.
fn complete_upload(fake: &FakeSlack, args: &Value) -> Value {
    let inner = fake.inner.lock().unwrap();
    let files = args["files"].as_array().cloned().unwrap_or_default();
    let uploaded = |id: &Value| inner.uploads.iter().any(|(f, _)| id.as_str() == Some(f.as_str()));
    if files.is_empty() || !files.iter().all(|f| uploaded(&f["id"])) {
        return json!({"ok": false, "error": "invalid_arguments"});
    }
    if args["channel_id"].as_str().is_some_and(|c| !is_id(c)) {
        return json!({"ok": false, "error": "invalid_channel"});
    }
    let shared: Vec<Value> = files
        .iter()
        .map(|f| json!({"id": f["id"], "title": f["title"]}))
        .collect();
    json!({"ok": true, "files": shared})
}

/// The upload URL: keeps the bytes and answers as Slack's file service does, 200 with a line of
/// text (or the failure queued for `"upload"`).
async fn upload(State(fake): State<FakeSlack>, Path(id): Path<String>, headers: HeaderMap, body: Bytes) -> Response {
    let failure = {
        let mut inner = fake.inner.lock().unwrap();
        let content_type = headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("");
        let call = json!({"file_id": id, "length": body.len(), "content_type": content_type});
        inner.calls.push(("upload".to_string(), call));
        let failure = inner.failures.get_mut("upload").and_then(|q| q.pop_front());
        if failure.is_none() {
            inner.uploads.push((id, body.to_vec()));
        }
        failure
    };
    fake.touch();
    match failure {
        Some((status, _)) => (StatusCode::from_u16(status).unwrap(), "upload failed").into_response(),
        None => (
            StatusCode::OK,
            [("content-type", "text/plain")],
            format!("OK - {}", body.len()),
        )
            .into_response(),
    }
}

async fn socket(State(fake): State<FakeSlack>, ws: WebSocketUpgrade) -> Response {
    ws.on_upgrade(move |s| run_socket(fake, s))
}

async fn run_socket(fake: FakeSlack, mut ws: WebSocket) {
    let hello = json!({"type": "hello", "num_connections": 1,
                       "debug_info": {"host": "applink-fake", "build_number": 1, "approximate_connection_time": 18060},
                       "connection_info": {"app_id": "A0001"}});
    if ws.send(Message::Text(hello.to_string().into())).await.is_err() {
        return;
    }
    let (tx, mut rx) = mpsc::unbounded_channel::<Value>();
    fake.inner.lock().unwrap().sockets.push(tx.clone());
    fake.touch();
    loop {
        tokio::select! {
            out = rx.recv() => match out {
                Some(v) => if ws.send(Message::Text(v.to_string().into())).await.is_err() { break },
                None => break,
            },
            incoming = ws.recv() => match incoming {
                Some(Ok(Message::Text(t))) => {
                    if let Ok(v) = serde_json::from_str::<Value>(&t) {
                        fake.inner.lock().unwrap().acks.push(v);
                        fake.touch();
                    }
                }
                Some(Ok(Message::Ping(p))) => { let _ = ws.send(Message::Pong(p)).await; }
                Some(Ok(_)) => {}
                _ => break,
            },
        }
    }
    fake.inner.lock().unwrap().sockets.retain(|s| !s.same_channel(&tx));
}
