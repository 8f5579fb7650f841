//! A fake Algolia HN Search API on 127.0.0.1: `GET /api/v1/search_by_date` over a list of items
//! shaped like the documented hits (https://hn.algolia.com/api), applying `query`, `tags`,
//! `numericFilters`, `page` and `hitsPerPage` the way the real API does, newest first. Every
//! request is recorded; failures (a status with Retry-After, or a broken body) can be queued.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};
use tokio::sync::Notify;

/// What a queued failure answers instead of the search result.
#[derive(Debug, Clone)]
pub enum Failure {
    /// This HTTP status with Algolia's error body, and `Retry-After` seconds when given.
    Status(u16, Option<u64>),
    /// A 200 whose body is this text (e.g. a proxy's HTML page, truncated JSON).
    Body(String),
}

#[derive(Default)]
struct Inner {
    items: Vec<Value>,
    requests: Vec<HashMap<String, String>>,
    /// Failures keyed by the number of the request they answer (0-based, in arrival order).
    failures: HashMap<usize, Failure>,
}

#[derive(Clone)]
pub struct FakeHn {
    /// The value for the source's `base_url`.
    pub base_url: String,
    inner: Arc<Mutex<Inner>>,
    changed: Arc<Notify>,
}

impl FakeHn {
    pub async fn start() -> FakeHn {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let fake = FakeHn {
            base_url: format!("http://{}", listener.local_addr().unwrap()),
            inner: Arc::default(),
            changed: Arc::new(Notify::new()),
        };
        let app = Router::new()
            .route("/api/v1/search_by_date", get(search_by_date))
            .with_state(fake.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        fake
    }

    pub fn add(&self, items: impl IntoIterator<Item = Value>) {
        self.inner.lock().unwrap().items.extend(items);
    }

    /// The query parameters of every request, in order.
    pub fn requests(&self) -> Vec<HashMap<String, String>> {
        self.inner.lock().unwrap().requests.clone()
    }

    /// The next request gets `failure`.
    pub fn fail_next(&self, failure: Failure) {
        self.fail_after(0, failure);
    }

    /// The request after `ok` more successful ones gets `failure`.
    pub fn fail_after(&self, ok: usize, failure: Failure) {
        let mut inner = self.inner.lock().unwrap();
        let at = inner.requests.len() + ok;
        inner.failures.insert(at, failure);
    }

    /// Waits (woken by each request, no timers) until `f` holds.
    pub async fn until<T>(&self, mut f: impl FnMut(&FakeHn) -> Option<T>) -> T {
        loop {
            let notified = self.changed.notified();
            if let Some(v) = f(self) {
                return v;
            }
            notified.await;
        }
    }
}

async fn search_by_date(State(fake): State<FakeHn>, Query(params): Query<HashMap<String, String>>) -> Response {
    let answer = {
        let mut inner = fake.inner.lock().unwrap();
        let n = inner.requests.len();
        inner.requests.push(params.clone());
        match inner.failures.remove(&n) {
            Some(f) => failure(f),
            None => (
                [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
                results(&inner.items, &params).to_string(),
            )
                .into_response(),
        }
    };
    fake.changed.notify_waiters();
    answer
}

fn failure(f: Failure) -> Response {
    match f {
        Failure::Status(code, retry_after) => {
            let status = StatusCode::from_u16(code).unwrap();
            let body = json!({"message": status.canonical_reason().unwrap_or("error"), "status": code});
            let mut resp = (status, [(header::CONTENT_TYPE, "application/json")], body.to_string()).into_response();
            if let Some(secs) = retry_after {
                resp.headers_mut().insert(header::RETRY_AFTER, secs.into());
            }
            resp
        }
        Failure::Body(text) => ([(header::CONTENT_TYPE, "application/json")], text).into_response(),
    }
}

/// The search result: matching hits newest first, one page of them, and Algolia's envelope.
fn results(items: &[Value], params: &HashMap<String, String>) -> Value {
    let query = params.get("query").cloned().unwrap_or_default();
    let per_page: usize = params.get("hitsPerPage").and_then(|v| v.parse().ok()).unwrap_or(20);
    let page: usize = params.get("page").and_then(|v| v.parse().ok()).unwrap_or(0);
    let mut hits: Vec<&Value> = items
        .iter()
        .filter(|h| matches_query(h, &query))
        .filter(|h| params.get("tags").is_none_or(|t| matches_tags(h, t)))
        .filter(|h| params.get("numericFilters").is_none_or(|f| matches_numeric(h, f)))
        .collect();
    hits.sort_by_key(|h| {
        let id: u64 = h["objectID"].as_str().and_then(|s| s.parse().ok()).unwrap_or(0);
        std::cmp::Reverse((h["created_at_i"].as_i64().unwrap_or(0), id))
    });
    let nb_hits = hits.len();
    // Algolia pages through at most 1000 hits.
    let nb_pages = nb_hits.min(1000).div_ceil(per_page);
    let page_hits: Vec<Value> = hits.into_iter().skip(page * per_page).take(per_page).cloned().collect();
    let echoed: Vec<(&String, &String)> = params.iter().collect();
    json!({
        "exhaustive": {"nbHits": true, "typo": true},
        "exhaustiveNbHits": true,
        "exhaustiveTypo": true,
        "hits": page_hits,
        "hitsPerPage": per_page,
        "nbHits": nb_hits,
        "nbPages": nb_pages,
        "page": page,
        "params": serde_urlencoded::to_string(echoed).unwrap(),
        "processingTimeMS": 1,
        "processingTimingsMS": {"_request": {"roundTrip": 1}, "total": 1},
        "query": query,
        "serverTimeMS": 2
    })
}

fn matches_query(hit: &Value, query: &str) -> bool {
    let haystack: String = ["title", "url", "story_text", "comment_text", "author"]
        .iter()
        .filter_map(|k| hit[*k].as_str())
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase();
    query.split_whitespace().all(|w| haystack.contains(&w.to_lowercase()))
}

/// `a,(b,c)`: every comma-separated part must hold; a parenthesized part is an OR.
fn matches_tags(hit: &Value, tags: &str) -> bool {
    let have: Vec<&str> = hit["_tags"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, c) in tags.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&tags[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&tags[start..]);
    parts.iter().all(|part| {
        let inner = part.trim().trim_start_matches('(').trim_end_matches(')');
        inner.split(',').any(|t| have.contains(&t.trim()))
    })
}

/// `created_at_i>=N` and friends, comma-separated, all must hold.
fn matches_numeric(hit: &Value, filters: &str) -> bool {
    filters.split(',').all(|f| {
        let op_at = f.find(['<', '>', '=']).unwrap();
        let (field, rest) = f.split_at(op_at);
        let op_len = if rest[1..].starts_with('=') { 2 } else { 1 };
        let (op, value) = rest.split_at(op_len);
        let want: i64 = value.trim().parse().unwrap();
        let Some(have) = hit[field.trim()].as_i64() else {
            return false;
        };
        match op {
            ">=" => have >= want,
            ">" => have > want,
            "<=" => have <= want,
            "<" => have < want,
            _ => have == want,
        }
    })
}

fn iso(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0)
        .unwrap()
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

fn highlight(value: &str) -> Value {
    json!({"value": value, "matchLevel": "none", "matchedWords": []})
}

/// A story hit: a link story when `url` is set, a text story (Ask HN) when `text` is.
pub fn story(id: u64, t: i64, author: &str, title: &str, url: Option<&str>, text: Option<&str>) -> Value {
    let mut hit = json!({
        "_highlightResult": {"author": highlight(author), "title": highlight(title)},
        "_tags": ["story", format!("author_{author}"), format!("story_{id}")],
        "author": author,
        "children": [],
        "created_at": iso(t),
        "created_at_i": t,
        "num_comments": 0,
        "objectID": id.to_string(),
        "points": 1,
        "story_id": id,
        "title": title,
        "updated_at": iso(t + 60)
    });
    if let Some(u) = url {
        hit["url"] = json!(u);
        hit["_highlightResult"]["url"] = highlight(u);
    }
    if let Some(s) = text {
        hit["story_text"] = json!(s);
        hit["_highlightResult"]["story_text"] = highlight(s);
    }
    hit
}

/// A comment hit answering `parent` (a story or a comment) in story `story_id`.
pub fn comment(id: u64, t: i64, author: &str, html: &str, parent: u64, story_id: u64, story_title: &str) -> Value {
    json!({
        "_highlightResult": {
            "author": highlight(author),
            "comment_text": highlight(html),
            "story_title": highlight(story_title)
        },
        "_tags": ["comment", format!("author_{author}"), format!("story_{story_id}")],
        "author": author,
        "children": [],
        "comment_text": html,
        "created_at": iso(t),
        "created_at_i": t,
        "objectID": id.to_string(),
        "parent_id": parent,
        "story_id": story_id,
        "story_title": story_title,
        "updated_at": iso(t + 60)
    })
}
