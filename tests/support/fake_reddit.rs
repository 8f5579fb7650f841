//! A fake Reddit on 127.0.0.1: the OAuth token endpoint (`POST /api/v1/access_token`, password
//! grant with HTTP Basic client credentials) and the OAuth API's newest-first listings (`/search`,
//! `/r/<sub>/new`, `/r/<sub>/comments`, `/user/<name>/submitted|comments`) with Reddit's
//! `limit`/`after`/`before` paging, `raw_json`, `X-Ratelimit-*` headers and 401 for unknown
//! tokens. Payloads follow Reddit's documented listing JSON. Every request is recorded.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use tokio::sync::Notify;

pub const CLIENT_ID: &str = "reddit-client-id";
pub const CLIENT_SECRET: &str = "reddit-client-secret";
pub const USERNAME: &str = "acme_bot";
pub const PASSWORD: &str = "hunter2-reddit";
/// `Basic base64(CLIENT_ID:CLIENT_SECRET)`.
pub const BASIC: &str = "Basic cmVkZGl0LWNsaWVudC1pZDpyZWRkaXQtY2xpZW50LXNlY3JldA==";

/// One API request as the fake saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub path: String,
    pub query: HashMap<String, String>,
    pub authorization: Option<String>,
    pub user_agent: Option<String>,
}

/// What the next request to a path gets instead of its listing.
#[derive(Debug, Clone)]
pub enum Failure {
    Status(u16, Option<u64>),
    /// A 200 whose body is cut off mid-JSON.
    Malformed,
}

struct Inner {
    /// Listing path → things, newest first.
    listings: HashMap<String, Vec<Value>>,
    seen: Vec<Seen>,
    token_forms: Vec<(Option<String>, HashMap<String, String>)>,
    valid_tokens: HashSet<String>,
    issued: u64,
    expires_in: u64,
    /// Path → failures to serve, each after this many more good answers.
    failures: HashMap<String, VecDeque<(usize, Failure)>>,
    remaining: f64,
    reset: u64,
}

#[derive(Clone)]
pub struct FakeReddit {
    /// Both the OAuth API (`base_url`) and the token host (`auth_url`).
    pub url: String,
    inner: Arc<Mutex<Inner>>,
    changed: Arc<Notify>,
}

impl FakeReddit {
    pub async fn start() -> FakeReddit {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let fake = FakeReddit {
            url: format!("http://{addr}"),
            inner: Arc::new(Mutex::new(Inner {
                listings: HashMap::new(),
                seen: Vec::new(),
                token_forms: Vec::new(),
                valid_tokens: HashSet::new(),
                issued: 0,
                expires_in: 86400,
                failures: HashMap::new(),
                remaining: 996.0,
                reset: 420,
            })),
            changed: Arc::new(Notify::new()),
        };
        let app = Router::new()
            .route("/api/v1/access_token", post(token))
            .route("/{*path}", get(listing))
            .with_state(fake.clone());
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        fake
    }

    /// Adds things to the top of a listing (the last one given is the newest).
    pub fn push(&self, path: &str, things: impl IntoIterator<Item = Value>) {
        let mut inner = self.inner.lock().unwrap();
        let list = inner.listings.entry(path.to_string()).or_default();
        for t in things {
            list.insert(0, t);
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

    /// Tokens issued from now on say they live this many seconds.
    pub fn set_expires_in(&self, secs: u64) {
        self.inner.lock().unwrap().expires_in = secs;
    }

    /// Every token issued so far stops working (as if revoked or expired early).
    pub fn revoke_tokens(&self) {
        self.inner.lock().unwrap().valid_tokens.clear();
    }

    /// The budget the next answers report (`X-Ratelimit-Remaining`, `-Reset` in seconds).
    pub fn set_budget(&self, remaining: f64, reset: u64) {
        let mut inner = self.inner.lock().unwrap();
        inner.remaining = remaining;
        inner.reset = reset;
    }

    pub fn seen(&self, path: &str) -> Vec<Seen> {
        let inner = self.inner.lock().unwrap();
        inner.seen.iter().filter(|s| s.path == path).cloned().collect()
    }

    pub fn all_seen(&self) -> Vec<Seen> {
        self.inner.lock().unwrap().seen.clone()
    }

    /// Each token request: its Authorization header and form.
    pub fn token_requests(&self) -> Vec<(Option<String>, HashMap<String, String>)> {
        self.inner.lock().unwrap().token_forms.clone()
    }

    /// Waits (no timers: woken by each request) until `f` holds.
    pub async fn until<T>(&self, mut f: impl FnMut(&FakeReddit) -> Option<T>) -> T {
        loop {
            let notified = self.changed.notified();
            if let Some(v) = f(self) {
                return v;
            }
            notified.await;
        }
    }
}

/// A link (t3) as Reddit's listings carry it.
pub fn link(id: &str, sub: &str, author: &str, title: &str, selftext: &str, created: f64) -> Value {
    let permalink = format!("/r/{sub}/comments/{id}/{}/", slug(title));
    json!({"kind": "t3", "data": {
        "approved_at_utc": null, "subreddit": sub, "selftext": selftext, "author_fullname": "t2_9xk2f",
        "saved": false, "gilded": 0, "clicked": false, "title": title, "subreddit_name_prefixed": format!("r/{sub}"),
        "hidden": false, "downs": 0, "name": format!("t3_{id}"), "upvote_ratio": 1.0, "subreddit_type": "public",
        "ups": 3, "score": 3, "is_self": !selftext.is_empty(), "created": created, "domain": format!("self.{sub}"),
        "selftext_html": if selftext.is_empty() { Value::Null } else {
            json!(format!("<!-- SC_OFF --><div class=\"md\"><p>{}</p>\n</div><!-- SC_ON -->", html_escape(selftext))) },
        "likes": null, "subreddit_id": "t5_2qh1i", "id": id, "author": author, "num_comments": 0,
        "over_18": false, "permalink": permalink, "stickied": false, "locked": false,
        "url": format!("https://www.reddit.com{permalink}"), "created_utc": created, "is_video": false
    }})
}

/// A crosspost (t3) of `parent` (a fullname), as the sharing account's listing shows it.
pub fn crosspost(id: &str, sub: &str, author: &str, title: &str, parent: &str, created: f64) -> Value {
    let mut t = link(id, sub, author, title, "", created);
    t["data"]["crosspost_parent"] = json!(parent);
    t["data"]["crosspost_parent_list"] = json!([{"name": parent, "title": title}]);
    t["data"]["is_self"] = json!(false);
    t["data"]["url"] = json!(format!("/r/somewhere/comments/{}/", parent.trim_start_matches("t3_")));
    t
}

/// A comment (t1) as `/r/<sub>/comments` and `/user/<name>/comments` carry it.
pub fn comment(id: &str, link_id: &str, parent_id: &str, sub: &str, author: &str, body: &str, created: f64) -> Value {
    let link = link_id.trim_start_matches("t3_");
    json!({"kind": "t1", "data": {
        "total_awards_received": 0, "approved_at_utc": null, "edited": false, "link_id": link_id,
        "replies": "", "author_fullname": "t2_7q1jz", "saved": false, "id": id, "gilded": 0, "archived": false,
        "author": author, "created_utc": created, "send_replies": true, "parent_id": parent_id, "score": 1,
        "subreddit_id": "t5_2qh1i", "body": body, "link_title": "A thread", "name": format!("t1_{id}"),
        "body_html": format!("<div class=\"md\"><p>{}</p>\n</div>", html_escape(body)),
        "subreddit": sub, "link_author": "someone", "link_permalink": format!("https://www.reddit.com/r/{sub}/comments/{link}/a_thread/"),
        "permalink": format!("/r/{sub}/comments/{link}/a_thread/{id}/"), "created": created,
        "subreddit_name_prefixed": format!("r/{sub}"), "controversiality": 0, "depth": 0, "ups": 1
    }})
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

fn slug(title: &str) -> String {
    title
        .to_lowercase()
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join("_")
}

async fn token(State(fake): State<FakeReddit>, headers: HeaderMap, body: Bytes) -> Response {
    let form: HashMap<String, String> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let auth = header(&headers, "authorization");
    let answer = {
        let mut inner = fake.inner.lock().unwrap();
        inner.token_forms.push((auth.clone(), form.clone()));
        if auth.as_deref() != Some(BASIC) {
            None
        } else if form.get("grant_type").map(String::as_str) != Some("password")
            || form.get("username").map(String::as_str) != Some(USERNAME)
            || form.get("password").map(String::as_str) != Some(PASSWORD)
        {
            Some(json!({"error": "invalid_grant"}))
        } else {
            inner.issued += 1;
            let token = format!("{}-fake-access-token-{}", inner.issued, inner.issued * 7919);
            inner.valid_tokens.insert(token.clone());
            Some(json!({"access_token": token, "token_type": "bearer", "expires_in": inner.expires_in, "scope": "*"}))
        }
    };
    fake.changed.notify_waiters();
    match answer {
        Some(v) => Json(v).into_response(),
        None => (
            StatusCode::UNAUTHORIZED,
            Json(json!({"message": "Unauthorized", "error": 401})),
        )
            .into_response(),
    }
}

fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_string)
}

async fn listing(
    State(fake): State<FakeReddit>,
    uri: Uri,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let path = uri.path().to_string();
    let authorization = header(&headers, "authorization");
    let (resp, budget) = {
        let mut inner = fake.inner.lock().unwrap();
        inner.seen.push(Seen {
            path: path.clone(),
            query: query.clone(),
            authorization: authorization.clone(),
            user_agent: header(&headers, "user-agent"),
        });
        let token = authorization.as_deref().and_then(|a| a.strip_prefix("bearer "));
        let resp = if !token.is_some_and(|t| inner.valid_tokens.contains(t)) {
            (
                StatusCode::UNAUTHORIZED,
                Json(json!({"message": "Unauthorized", "error": 401})),
            )
                .into_response()
        } else if let Some(f) = next_failure(inner.failures.get_mut(&path)) {
            failure(f)
        } else {
            let things = inner.listings.get(&path).cloned().unwrap_or_default();
            Json(page(&things, &query)).into_response()
        };
        inner.remaining = (inner.remaining - 1.0).max(0.0);
        (resp, (inner.remaining, inner.reset))
    };
    fake.changed.notify_waiters();
    with_budget(resp, budget)
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

fn failure(f: Failure) -> Response {
    match f {
        Failure::Status(status, retry_after) => {
            let mut resp = (
                StatusCode::from_u16(status).unwrap(),
                Json(json!({"message": "Too Many Requests", "error": status})),
            )
                .into_response();
            if let Some(s) = retry_after {
                resp.headers_mut().insert("retry-after", s.to_string().parse().unwrap());
            }
            resp
        }
        Failure::Malformed => (
            [("content-type", "application/json; charset=UTF-8")],
            r#"{"kind": "Listing", "data": {"after": null, "children": [{"kind": "t3", "da"#,
        )
            .into_response(),
    }
}

fn with_budget(mut resp: Response, (remaining, reset): (f64, u64)) -> Response {
    let h = resp.headers_mut();
    h.insert("x-ratelimit-remaining", format!("{remaining:.1}").parse().unwrap());
    h.insert("x-ratelimit-used", "4".parse().unwrap());
    h.insert("x-ratelimit-reset", reset.to_string().parse().unwrap());
    resp
}

/// One page of a newest-first listing, paged like Reddit: `after`/`before` name a fullname,
/// `limit` defaults to 25 and caps at 100; `data.after` is set while older things remain.
fn page(things: &[Value], query: &HashMap<String, String>) -> Value {
    let limit = query
        .get("limit")
        .and_then(|l| l.parse().ok())
        .unwrap_or(25usize)
        .min(100);
    let pos = |name: &str| things.iter().position(|t| t["data"]["name"] == name);
    let (start, end) = if let Some(a) = query.get("after") {
        let s = pos(a).map(|p| p + 1).unwrap_or(things.len());
        (s, (s + limit).min(things.len()))
    } else if let Some(b) = query.get("before") {
        let e = pos(b).unwrap_or(0);
        (e.saturating_sub(limit), e)
    } else {
        (0, limit.min(things.len()))
    };
    let raw = query.get("raw_json").map(String::as_str) == Some("1");
    let children: Vec<Value> = things[start..end].iter().map(|t| escaped(t, raw)).collect();
    let name_at = |i: usize| {
        children
            .get(i)
            .map(|c| c["data"]["name"].clone())
            .unwrap_or(Value::Null)
    };
    let after = if end < things.len() {
        name_at(children.len().wrapping_sub(1))
    } else {
        Value::Null
    };
    let before = if start > 0 { name_at(0) } else { Value::Null };
    json!({"kind": "Listing", "data": {"after": after, "dist": children.len(), "modhash": "",
           "geo_filter": "", "children": children, "before": before}})
}

/// Without `raw_json=1` Reddit HTML-escapes `&`, `<` and `>` in text fields.
fn escaped(thing: &Value, raw: bool) -> Value {
    let mut t = thing.clone();
    if raw {
        return t;
    }
    for key in ["title", "selftext", "selftext_html", "body", "body_html"] {
        if let Some(s) = t["data"][key].as_str() {
            t["data"][key] = json!(html_escape(s));
        }
    }
    t
}
