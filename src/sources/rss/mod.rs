//! RSS, Atom and JSON Feed sources: one feed per `[[sources]]` table (its `url`), read with a
//! conditional GET (ETag / Last-Modified) and parsed with feed-rs; blog comment feeds work the
//! same way. Read-only: nothing here publishes; the only state kept is the feed's cursor, which
//! the poll driver moves after the posts are stored.

mod entry;

use async_trait::async_trait;
use reqwest::header::{HeaderMap, HeaderValue, ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED};
use reqwest::StatusCode;
use serde::{Deserialize, Serialize};

use super::http::{self, FetchError};
use super::poll::{Fetch, Page, Poller};
use super::{Setup, Source};
use crate::domain::Post;

use entry::Origin;

/// At least this many entry ids are remembered (more when the feed itself is longer), so an
/// entry still in the feed is never delivered twice even when the server sends no validators.
const SEEN_MIN: usize = 200;

/// The source of one `[[sources]]` table of kind `rss`.
pub fn build(setup: &Setup) -> Result<Vec<Box<dyn Source>>, String> {
    Ok(vec![Box::new(poller(setup)?)])
}

/// The feed's poller; public so tests can drive a round at a time.
pub fn poller(setup: &Setup) -> Result<Poller, String> {
    let url = setup
        .source
        .url
        .clone()
        .ok_or("an rss source needs `url` (the feed's address)")?;
    let host = reqwest::Url::parse(&url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_lowercase))
        .ok_or_else(|| format!("`{url}` is not a feed address with a host"))?;
    // The brand's own blog: an own account `rss:<host>` makes its posts broadcasts.
    let own = setup.own_accounts().contains(&host);
    let name = setup.part("feed");
    let feed = Feed {
        http: setup.http.clone(),
        url,
        name: name.clone(),
        origin: Origin { host, own, lang: None },
    };
    Ok(Poller::new(&name, setup.source.every.as_std(), Box::new(feed)))
}

/// One feed, fetched whole each round and compared with what was seen before.
struct Feed {
    http: reqwest::Client,
    url: String,
    name: String,
    origin: Origin,
}

/// The server's validators for the conditional GET, and the ids of the entries already
/// delivered (newest first, bounded).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct Cursor {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    etag: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    last_modified: Option<String>,
    #[serde(default)]
    seen: Vec<String>,
}

impl Cursor {
    /// A missing or unreadable cursor starts over (the store still dedupes by post id).
    fn parse(source: &str, raw: Option<&str>) -> Cursor {
        let Some(raw) = raw.map(str::trim).filter(|r| !r.is_empty()) else {
            return Cursor::default();
        };
        serde_json::from_str(raw).unwrap_or_else(|e| {
            tracing::warn!(source, error = %e, "ignoring an unreadable cursor");
            Cursor::default()
        })
    }

    fn render(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

#[async_trait]
impl Fetch for Feed {
    async fn fetch(&mut self, cursor: Option<&str>) -> Result<Page, FetchError> {
        let cursor = Cursor::parse(&self.name, cursor);
        let Some((body, headers)) = self.get(&cursor).await? else {
            // 304 Not Modified: nothing new, the cursor stays.
            return Ok(Page::default());
        };
        let feed = parse(&body, &self.url).map_err(|e| FetchError::Transient(format!("malformed feed: {e}")))?;
        self.origin.lang = feed.language.clone();
        let (posts, seen) = self.fresh(&feed, &cursor.seen);
        let next = Cursor {
            etag: header(&headers, ETAG.as_str()),
            last_modified: header(&headers, LAST_MODIFIED.as_str()),
            seen,
        };
        Ok(Page {
            posts,
            cursor: Some(next.render()),
            more: false,
        })
    }
}

impl Feed {
    /// The feed's body and headers, or `None` when the server answers 304 Not Modified.
    async fn get(&self, cursor: &Cursor) -> Result<Option<(Vec<u8>, HeaderMap)>, FetchError> {
        let mut req = self.http.get(&self.url);
        let valid = |v: &Option<String>| v.as_deref().and_then(|v| HeaderValue::from_str(v).ok());
        if let Some(etag) = valid(&cursor.etag) {
            req = req.header(IF_NONE_MATCH, etag);
        }
        if let Some(since) = valid(&cursor.last_modified) {
            req = req.header(IF_MODIFIED_SINCE, since);
        }
        let (status, headers, body) = http::fetch(req).await?;
        if status == StatusCode::NOT_MODIFIED {
            return Ok(None);
        }
        if status.is_success() {
            return Ok(Some((body, headers)));
        }
        Err(http::classify(status, &headers, &body))
    }

    /// The entries not delivered before (oldest first, so an own post is on record before
    /// anything answering it), and the ids to remember next time.
    fn fresh(&self, feed: &feed_rs::model::Feed, seen: &[String]) -> (Vec<Post>, Vec<String>) {
        let mut posts: Vec<Post> = Vec::new();
        let mut ids: Vec<String> = Vec::new();
        for e in &feed.entries {
            let post = entry::to_post(e, &self.origin);
            if ids.contains(&post.id) {
                continue;
            }
            ids.push(post.id.clone());
            if !seen.contains(&post.id) {
                posts.push(post);
            }
        }
        posts.sort_by_key(|p| p.created_at);
        let keep = SEEN_MIN.max(ids.len());
        for id in seen {
            if !ids.contains(id) {
                ids.push(id.clone());
            }
        }
        ids.truncate(keep);
        (posts, ids)
    }
}

/// Parses RSS 0.9x/1.0/2.0, Atom or JSON Feed. An entry without an id gets its link as id (not
/// feed-rs's default hash or random UUID, which would change between polls and repeat it).
/// Public for the fuzz tests.
pub fn parse(body: &[u8], url: &str) -> Result<feed_rs::model::Feed, feed_rs::parser::ParseFeedError> {
    feed_rs::parser::Builder::new()
        .base_uri(Some(url))
        .id_generator(|links, _title, _uri| entry::main_link(links).map(|l| l.href.clone()).unwrap_or_default())
        .build()
        .parse(body)
}

fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    let v = headers.get(name)?.to_str().ok()?.trim();
    (!v.is_empty()).then(|| v.to_string())
}
