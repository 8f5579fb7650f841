//! A fake feed server on 127.0.0.1: serves RSS 2.0 / Atom documents (shaped like WordPress's
//! post and comment feeds and a plain Atom blog) at any path, with ETag and/or Last-Modified as
//! configured, and answers a conditional GET whose validators match with 304 Not Modified as
//! RFC 9110 says (If-None-Match first; If-Modified-Since only without it). Every request's path
//! and conditional headers are recorded; failures can be queued.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use tokio::sync::Notify;

/// One feed document and the validators the server sends with it.
#[derive(Debug, Clone, Default)]
pub struct Doc {
    pub body: String,
    pub content_type: &'static str,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

/// One request as the server saw it.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub path: String,
    pub if_none_match: Option<String>,
    pub if_modified_since: Option<String>,
    /// What the fake answered.
    pub status: u16,
}

#[derive(Debug, Clone)]
pub enum Failure {
    /// This status, with `Retry-After` seconds when given.
    Status(u16, Option<u64>),
}

#[derive(Default)]
struct Inner {
    docs: HashMap<String, Doc>,
    requests: Vec<Request>,
    failures: HashMap<usize, Failure>,
}

#[derive(Clone)]
pub struct FakeFeeds {
    pub base_url: String,
    inner: Arc<Mutex<Inner>>,
    changed: Arc<Notify>,
}

impl FakeFeeds {
    pub async fn start() -> FakeFeeds {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let fake = FakeFeeds {
            base_url: format!("http://{}", listener.local_addr().unwrap()),
            inner: Arc::default(),
            changed: Arc::new(Notify::new()),
        };
        let app = Router::new().route("/{*path}", get(serve)).with_state(fake.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        fake
    }

    /// Serves `doc` at `path` (`/feed`) from now on.
    pub fn set(&self, path: &str, doc: Doc) {
        self.inner.lock().unwrap().docs.insert(path.to_string(), doc);
    }

    pub fn requests(&self) -> Vec<Request> {
        self.inner.lock().unwrap().requests.clone()
    }

    pub fn fail_next(&self, failure: Failure) {
        let mut inner = self.inner.lock().unwrap();
        let at = inner.requests.len();
        inner.failures.insert(at, failure);
    }

    /// Waits (woken by each request, no timers) until `f` holds.
    pub async fn until<T>(&self, mut f: impl FnMut(&FakeFeeds) -> Option<T>) -> T {
        loop {
            let notified = self.changed.notified();
            if let Some(v) = f(self) {
                return v;
            }
            notified.await;
        }
    }
}

async fn serve(State(fake): State<FakeFeeds>, Path(path): Path<String>, headers: HeaderMap) -> Response {
    let get = |h: header::HeaderName| headers.get(h).map(|v| v.to_str().unwrap().to_string());
    let mut req = Request {
        path: format!("/{path}"),
        if_none_match: get(header::IF_NONE_MATCH),
        if_modified_since: get(header::IF_MODIFIED_SINCE),
        status: 200,
    };
    let resp = {
        let mut inner = fake.inner.lock().unwrap();
        let n = inner.requests.len();
        let resp = match (inner.failures.remove(&n), inner.docs.get(&req.path)) {
            (Some(Failure::Status(code, retry)), _) => failure(code, retry),
            (None, None) => StatusCode::NOT_FOUND.into_response(),
            (None, Some(doc)) => answer(doc, &req),
        };
        req.status = resp.status().as_u16();
        inner.requests.push(req);
        resp
    };
    fake.changed.notify_waiters();
    resp
}

fn answer(doc: &Doc, req: &Request) -> Response {
    let not_modified = match (&req.if_none_match, &req.if_modified_since) {
        (Some(tags), _) => doc
            .etag
            .as_ref()
            .is_some_and(|e| tags.split(',').any(|t| t.trim() == e)),
        (None, Some(since)) => doc.last_modified.as_ref() == Some(since),
        (None, None) => false,
    };
    let mut headers = HeaderMap::new();
    if let Some(e) = &doc.etag {
        headers.insert(header::ETAG, e.parse().unwrap());
    }
    if let Some(m) = &doc.last_modified {
        headers.insert(header::LAST_MODIFIED, m.parse().unwrap());
    }
    if not_modified {
        return (StatusCode::NOT_MODIFIED, headers).into_response();
    }
    headers.insert(header::CONTENT_TYPE, doc.content_type.parse().unwrap());
    (headers, doc.body.clone()).into_response()
}

fn failure(code: u16, retry_after: Option<u64>) -> Response {
    let status = StatusCode::from_u16(code).unwrap();
    let mut resp = (status, "<html><body><h1>Unavailable</h1></body></html>").into_response();
    if let Some(secs) = retry_after {
        resp.headers_mut().insert(header::RETRY_AFTER, secs.into());
    }
    resp
}

/// An RFC 2822 date as RSS writes it.
pub fn rfc2822(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0)
        .unwrap()
        .format("%a, %d %b %Y %H:%M:%S +0000")
        .to_string()
}

/// A WordPress-style `<item>`: guid `?p=N`, dc:creator, an excerpt and the full content.
pub fn rss_item(guid: &str, title: &str, link: &str, creator: &str, t: i64, html: &str) -> String {
    format!(
        r#"
	<item>
		<title>{title}</title>
		<link>{link}</link>
		<dc:creator><![CDATA[{creator}]]></dc:creator>
		<pubDate>{date}</pubDate>
		<category><![CDATA[Uncategorized]]></category>
		<guid isPermaLink="false">{guid}</guid>
		<description><![CDATA[{excerpt} [&#8230;]]]></description>
		<content:encoded><![CDATA[{html}]]></content:encoded>
	</item>"#,
        date = rfc2822(t),
        excerpt = html.chars().take(20).collect::<String>(),
    )
}

/// A WordPress-style RSS 2.0 document (`/feed/`, or `/comments/feed/` with a "Comments for" title).
pub fn rss2(title: &str, site: &str, items: &[String]) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"
	xmlns:content="http://purl.org/rss/1.0/modules/content/"
	xmlns:wfw="http://wellformedweb.org/CommentAPI/"
	xmlns:dc="http://purl.org/dc/elements/1.1/"
	xmlns:atom="http://www.w3.org/2005/Atom"
	xmlns:sy="http://purl.org/rss/1.0/modules/syndication/"
	xmlns:slash="http://purl.org/rss/1.0/modules/slash/"
	>
<channel>
	<title>{title}</title>
	<atom:link href="{site}/feed/" rel="self" type="application/rss+xml" />
	<link>{site}</link>
	<description>Notes on hosting</description>
	<lastBuildDate>Tue, 24 Nov 2026 10:00:00 +0000</lastBuildDate>
	<language>en-US</language>
	<sy:updatePeriod>hourly</sy:updatePeriod>
	<sy:updateFrequency>1</sy:updateFrequency>
	<generator>https://wordpress.org/?v=6.7</generator>{}
</channel>
</rss>
"#,
        items.concat()
    )
}

/// An Atom `<entry>` with an alternate and a replies link, HTML content and a summary.
pub fn atom_entry(id: &str, title_html: &str, link: &str, author: &str, published: &str, html: &str) -> String {
    format!(
        r#"
  <entry>
    <title type="html">{title}</title>
    <link rel="replies" type="text/html" href="{link}#comments"/>
    <link rel="alternate" type="text/html" href="{link}"/>
    <id>{id}</id>
    <published>{published}</published>
    <updated>{published}</updated>
    <author><name>{author}</name><uri>https://watch.example/about</uri></author>
    <summary type="text">A short summary.</summary>
    <content type="html">{content}</content>
  </entry>"#,
        title = escape(title_html),
        content = escape(html),
    )
}

/// An Atom document in language `lang`.
pub fn atom(lang: &str, entries: &[String]) -> String {
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="{lang}">
  <title>Acme Watch</title>
  <subtitle>Everything about clouds</subtitle>
  <link href="https://watch.example/"/>
  <link rel="self" href="https://watch.example/atom.xml"/>
  <updated>2026-11-24T10:00:00Z</updated>
  <id>urn:uuid:60a76c80-d399-11d9-b91c-0003939e0af6</id>
  <generator uri="https://gohugo.io/" version="0.139">Hugo</generator>{}
</feed>
"#,
        entries.concat()
    )
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}
