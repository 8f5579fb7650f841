//! A fake X API v2 on 127.0.0.1: recent search (`GET /2/tweets/search/recent` with `since_id`,
//! `max_results`, `next_token`), user lookup by username and user timelines
//! (`GET /2/users/:id/tweets` with `pagination_token`), answering with X's documented shapes
//! (`data`, `includes.users`, `meta`, `errors`), `x-rate-limit-*` headers and 401 without the
//! app's bearer token. Every request is recorded.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};
use tokio::sync::Notify;

pub const TOKEN: &str = "AAAAAAAAAAAAAAAAAAAAAFakeXBearerToken%3D1234";
pub const SEARCH: &str = "/2/tweets/search/recent";

#[derive(Debug, Clone)]
pub struct Seen {
    pub path: String,
    pub query: HashMap<String, String>,
    pub authorization: Option<String>,
}

#[derive(Debug, Clone)]
pub enum Failure {
    Status(u16, Option<u64>),
    /// A 200 whose body is cut off mid-JSON.
    Malformed,
    /// The normal answer with these `errors` beside the data.
    Partial(Vec<Value>),
}

#[derive(Default)]
struct Inner {
    /// Every tweet, newest first.
    tweets: Vec<Value>,
    users: HashMap<String, Value>,
    seen: Vec<Seen>,
    failures: HashMap<String, VecDeque<(usize, Failure)>>,
    /// `x-rate-limit-remaining` and `-reset` (epoch seconds) on the next answers.
    budget: Option<(u64, i64)>,
    /// Search refuses a `since_id` below this (older than its 7-day window).
    oldest_since: u64,
}

#[derive(Clone)]
pub struct FakeX {
    pub url: String,
    inner: Arc<Mutex<Inner>>,
    changed: Arc<Notify>,
}

impl FakeX {
    pub async fn start() -> FakeX {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let fake = FakeX {
            url: format!("http://{addr}"),
            inner: Arc::new(Mutex::new(Inner::default())),
            changed: Arc::new(Notify::new()),
        };
        let app = Router::new()
            .route(SEARCH, get(search))
            .route("/2/users/by/username/{username}", get(user_by_name))
            .route("/2/users/{id}/tweets", get(timeline))
            .with_state(fake.clone());
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        fake
    }

    pub fn add_user(&self, id: &str, username: &str, name: &str) {
        let user = json!({"id": id, "username": username, "name": name});
        self.inner.lock().unwrap().users.insert(id.to_string(), user);
    }

    /// Publishes tweets (the last one given is the newest). Search sees every tweet; a
    /// timeline sees its author's.
    pub fn publish(&self, tweets: impl IntoIterator<Item = Value>) {
        let mut inner = self.inner.lock().unwrap();
        for t in tweets {
            inner.tweets.insert(0, t);
        }
        drop(inner);
        self.changed.notify_waiters();
    }

    pub fn fail_next(&self, path: &str, failure: Failure) {
        self.fail_after(path, 0, failure);
    }

    /// The request to `path` after `good` more normal answers gets `failure`.
    pub fn fail_after(&self, path: &str, good: usize, failure: Failure) {
        let mut inner = self.inner.lock().unwrap();
        inner
            .failures
            .entry(path.to_string())
            .or_default()
            .push_back((good, failure));
    }

    pub fn set_budget(&self, remaining: u64, reset_epoch: i64) {
        self.inner.lock().unwrap().budget = Some((remaining, reset_epoch));
    }

    /// Search answers 400 to a `since_id` below `id`, as X does past its 7-day window.
    pub fn set_search_window(&self, id: u64) {
        self.inner.lock().unwrap().oldest_since = id;
    }

    pub fn seen(&self, path: &str) -> Vec<Seen> {
        let inner = self.inner.lock().unwrap();
        inner.seen.iter().filter(|s| s.path == path).cloned().collect()
    }

    pub fn all_seen(&self) -> Vec<Seen> {
        self.inner.lock().unwrap().seen.clone()
    }

    /// Waits (no timers: woken by each request) until `f` holds.
    pub async fn until<T>(&self, mut f: impl FnMut(&FakeX) -> Option<T>) -> T {
        loop {
            let notified = self.changed.notified();
            if let Some(v) = f(self) {
                return v;
            }
            notified.await;
        }
    }
}

/// A tweet as v2 returns it with the fields talkback asks for. `refs` are
/// `(type, id)` pairs: `replied_to`, `quoted`, `retweeted`.
pub fn tweet(id: u64, author_id: &str, text: &str, created_at: &str, lang: &str, refs: &[(&str, u64)]) -> Value {
    let mut t = json!({"id": id.to_string(), "text": text, "author_id": author_id, "created_at": created_at,
                       "lang": lang, "conversation_id": id.to_string(), "edit_history_tweet_ids": [id.to_string()]});
    if !refs.is_empty() {
        let r: Vec<Value> = refs
            .iter()
            .map(|(k, i)| json!({"type": k, "id": i.to_string()}))
            .collect();
        t["referenced_tweets"] = json!(r);
    }
    if let Some((_, parent)) = refs.iter().find(|(k, _)| *k == "replied_to") {
        t["conversation_id"] = json!(parent.to_string());
        t["in_reply_to_user_id"] = json!("2244994945");
    }
    t
}

fn id_of(t: &Value) -> u64 {
    t["id"].as_str().and_then(|s| s.parse().ok()).unwrap_or(0)
}

/// Records the request and checks the bearer token; `Some` is the refusal to send instead.
fn refuse(fake: &FakeX, uri: &Uri, query: &HashMap<String, String>, headers: &HeaderMap) -> Option<Response> {
    let authorization = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let ok = authorization.as_deref() == Some(&format!("Bearer {TOKEN}"));
    fake.inner.lock().unwrap().seen.push(Seen {
        path: uri.path().to_string(),
        query: query.clone(),
        authorization,
    });
    fake.changed.notify_waiters();
    if ok {
        return None;
    }
    let body = json!({"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"});
    Some((StatusCode::UNAUTHORIZED, Json(body)).into_response())
}

async fn search(
    State(fake): State<FakeX>,
    uri: Uri,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    if let Some(resp) = refuse(&fake, &uri, &q, &headers) {
        return resp;
    }
    if !q.contains_key("query") {
        let body = json!({"errors": [{"parameters": {"query": []}, "message": "The `query` query parameter can not be empty"}],
                          "title": "Invalid Request", "detail": "One or more parameters to your request was invalid.",
                          "type": "https://api.twitter.com/2/problems/invalid-request"});
        return (StatusCode::BAD_REQUEST, Json(body)).into_response();
    }
    let since: Option<u64> = q.get("since_id").and_then(|s| s.parse().ok());
    let (tweets, oldest) = {
        let inner = fake.inner.lock().unwrap();
        (inner.tweets.clone(), inner.oldest_since)
    };
    if let Some(since) = since.filter(|s| *s < oldest) {
        let body = json!({"errors": [{"parameters": {"since_id": [since.to_string()]},
                          "message": format!("Invalid 'since_id':'{since}'. 'since_id' must be a tweet id created after {oldest}.")}],
                          "title": "Invalid Request", "detail": "One or more parameters to your request was invalid.",
                          "type": "https://api.twitter.com/2/problems/invalid-request"});
        return (StatusCode::BAD_REQUEST, Json(body)).into_response();
    }
    answer(&fake, uri.path(), tweets, &q, "next_token")
}

async fn timeline(
    State(fake): State<FakeX>,
    Path(id): Path<String>,
    uri: Uri,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    if let Some(resp) = refuse(&fake, &uri, &q, &headers) {
        return resp;
    }
    let tweets: Vec<Value> = fake
        .inner
        .lock()
        .unwrap()
        .tweets
        .iter()
        .filter(|t| t["author_id"] == id.as_str())
        .cloned()
        .collect();
    answer(&fake, uri.path(), tweets, &q, "pagination_token")
}

async fn user_by_name(
    State(fake): State<FakeX>,
    Path(username): Path<String>,
    uri: Uri,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    if let Some(resp) = refuse(&fake, &uri, &q, &headers) {
        return resp;
    }
    let inner = fake.inner.lock().unwrap();
    let user = inner.users.values().find(|u| {
        u["username"]
            .as_str()
            .is_some_and(|n| n.eq_ignore_ascii_case(&username))
    });
    let body = match user {
        Some(u) => json!({"data": u}),
        None => {
            json!({"errors": [{"value": username, "detail": format!("Could not find user with username: [{username}]."),
                        "title": "Not Found Error", "resource_type": "user", "parameter": "username",
                        "resource_id": username, "type": "https://api.twitter.com/2/problems/resource-not-found"}]})
        }
    };
    Json(body).into_response()
}

/// One page of `tweets` (newest first) after `since_id`, continued by `token_param`.
fn answer(fake: &FakeX, path: &str, tweets: Vec<Value>, q: &HashMap<String, String>, token_param: &str) -> Response {
    let mut inner = fake.inner.lock().unwrap();
    let failure = next_failure(inner.failures.get_mut(path));
    let budget = inner.budget;
    let mut partial = Vec::new();
    match failure {
        Some(Failure::Partial(errors)) => partial = errors,
        Some(f) => return with_budget(failure_response(f), budget),
        None => {}
    }
    let since: u64 = q.get("since_id").and_then(|s| s.parse().ok()).unwrap_or(0);
    let max: usize = q
        .get("max_results")
        .and_then(|m| m.parse().ok())
        .unwrap_or(10)
        .clamp(5, 100);
    let offset: usize = q
        .get(token_param)
        .and_then(|t| t.strip_prefix("b26v89c19zqg8o3f"))
        .and_then(|o| o.parse().ok())
        .unwrap_or(0);
    let newer: Vec<Value> = tweets.into_iter().filter(|t| id_of(t) > since).collect();
    let page: Vec<Value> = newer.iter().skip(offset).take(max).cloned().collect();
    let mut meta = json!({"result_count": page.len()});
    if let (Some(first), Some(last)) = (page.first(), page.last()) {
        meta["newest_id"] = first["id"].clone();
        meta["oldest_id"] = last["id"].clone();
    }
    if offset + page.len() < newer.len() {
        meta["next_token"] = json!(format!("b26v89c19zqg8o3f{:04}", offset + page.len()));
    }
    let mut body = json!({"meta": meta});
    if !page.is_empty() {
        let mut authors: Vec<Value> = Vec::new();
        for t in &page {
            if let Some(u) = t["author_id"].as_str().and_then(|a| inner.users.get(a)) {
                if !authors.contains(u) {
                    authors.push(u.clone());
                }
            }
        }
        body["data"] = json!(page);
        body["includes"] = json!({"users": authors});
    }
    if !partial.is_empty() {
        body["errors"] = json!(partial);
    }
    drop(inner);
    with_budget(Json(body).into_response(), budget)
}

fn next_failure(queue: Option<&mut VecDeque<(usize, Failure)>>) -> Option<Failure> {
    let queue = queue?;
    match queue.front_mut() {
        Some((0, _)) => queue.pop_front().map(|(_, f)| f),
        Some((good, _)) => {
            *good -= 1;
            None
        }
        None => None,
    }
}

fn failure_response(f: Failure) -> Response {
    match f {
        Failure::Status(status, retry_after) => {
            let title = if status == 429 {
                "Too Many Requests"
            } else {
                "Service Unavailable"
            };
            let body = json!({"title": title, "detail": title, "type": "about:blank", "status": status});
            let mut resp = (StatusCode::from_u16(status).unwrap(), Json(body)).into_response();
            if let Some(s) = retry_after {
                resp.headers_mut().insert("retry-after", s.to_string().parse().unwrap());
            }
            resp
        }
        Failure::Malformed => (
            [("content-type", "application/json; charset=utf-8")],
            r#"{"data":[{"id":"1860000000000000001","text":"acme"#,
        )
            .into_response(),
        Failure::Partial(_) => unreachable!("served as a normal answer"),
    }
}

fn with_budget(mut resp: Response, budget: Option<(u64, i64)>) -> Response {
    let (remaining, reset) = budget.unwrap_or((449, chrono::Utc::now().timestamp() + 900));
    let h = resp.headers_mut();
    h.insert("x-rate-limit-limit", "450".parse().unwrap());
    h.insert("x-rate-limit-remaining", remaining.to_string().parse().unwrap());
    h.insert("x-rate-limit-reset", reset.to_string().parse().unwrap());
    resp
}
