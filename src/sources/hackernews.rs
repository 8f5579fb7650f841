//! Hacker News through the Algolia HN Search API (`/api/v1/search_by_date`): stories and comments
//! that contain a brand's search terms, and what the brand's own HN accounts wrote. Read-only:
//! nothing here publishes, and the only state it keeps is its cursors, moved by the poll driver.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::http::{self, FetchError};
use super::poll::{Fetch, Page, Poller};
use super::text::html_to_text;
use super::{Setup, Source};
use crate::domain::{Author, Network, Post};

/// Algolia's largest page; fewer requests against the ~10k requests/hour budget per IP.
const HITS_PER_PAGE: u32 = 100;

/// The sources of one `[[sources]]` table of kind `hackernews`.
pub fn build(setup: &Setup) -> Vec<Box<dyn Source>> {
    pollers(setup)
        .into_iter()
        .map(|p| Box::new(p) as Box<dyn Source>)
        .collect()
}

/// One poller per search term, so a term added later starts its own history without moving the
/// others' cursors, plus one per own account (`author_<user>`). Public so tests can drive a
/// round at a time.
pub fn pollers(setup: &Setup) -> Vec<Poller> {
    let every = setup.source.every.as_std();
    // Algolia's query is plain words with no OR operator, so terms cannot be joined into one.
    let terms = match &setup.source.query {
        Some(q) => vec![q.clone()],
        None => setup.search_terms(),
    };
    let mut out = Vec::new();
    for term in terms {
        let name = setup.part(&format!("q/{term}"));
        let search = Search::new(setup, &name, &term, "(story,comment)");
        out.push(Poller::new(&name, every, Box::new(search)));
    }
    for user in setup.own_accounts() {
        let name = setup.part(&format!("own/{user}"));
        let search = Search::new(setup, &name, "", &format!("author_{user},(story,comment)"));
        out.push(Poller::new(&name, every, Box::new(search)));
    }
    out
}

/// One `search_by_date` query, read newest first from where its cursor stopped.
struct Search {
    http: reqwest::Client,
    endpoint: String,
    name: String,
    query: String,
    tags: String,
}

impl Search {
    fn new(setup: &Setup, name: &str, query: &str, tags: &str) -> Search {
        Search {
            http: setup.http.clone(),
            endpoint: format!("{}/api/v1/search_by_date", setup.source.base_url.trim_end_matches('/')),
            name: name.to_string(),
            query: query.to_string(),
            tags: tags.to_string(),
        }
    }

    fn params(&self, cursor: Option<&Cursor>) -> Vec<(&'static str, String)> {
        let mut params = vec![
            ("query", self.query.clone()),
            ("tags", self.tags.clone()),
            ("hitsPerPage", HITS_PER_PAGE.to_string()),
        ];
        if let Some(c) = cursor {
            params.push(("numericFilters", format!("created_at_i>={}", c.since)));
            params.push(("page", c.paging.as_ref().map_or(0, |p| p.page).to_string()));
        }
        params
    }
}

#[async_trait]
impl Fetch for Search {
    async fn fetch(&mut self, cursor: Option<&str>) -> Result<Page, FetchError> {
        let cursor = Cursor::parse(&self.name, cursor);
        let req = self.http.get(&self.endpoint).query(&self.params(cursor.as_ref()));
        let (body, _) = http::json(req).await?;
        if !body.get("hits").is_some_and(Value::is_array) {
            return Err(FetchError::Transient("the search answer has no `hits` list".into()));
        }
        let hits: Vec<Hit> = http::each(&self.name, body.get("hits"));
        let number = |k: &str| body.get(k).and_then(Value::as_u64).unwrap_or(0);
        let (page, pages) = (number("page"), number("nbPages"));
        if cursor.is_some()
            && page.checked_add(1) == Some(pages)
            && number("nbHits") > pages.saturating_mul(u64::from(HITS_PER_PAGE))
        {
            tracing::warn!(source = %self.name, "more new hits than Algolia pages through; the oldest were not read");
        }
        let step = advance(cursor, hits, page, pages);
        let mut posts: Vec<Post> = step.fresh.iter().map(Hit::to_post).collect();
        // Oldest first, so a brand's own story is on record before its own reply to it.
        posts.sort_by_key(|p| p.created_at);
        Ok(Page {
            posts,
            cursor: step.cursor.map(|c| c.render()),
            more: step.more,
        })
    }
}

/// Where a search stands: hits at or after `since` are new unless listed in `seen` (already
/// delivered at exactly that second). `>=` rather than `>` so a post written in the same second
/// as the newest one seen is not lost.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct Cursor {
    since: i64,
    #[serde(default)]
    seen: Vec<String>,
    /// Set while a round pages back through the new hits; the lower bound stays fixed until the
    /// last page is stored, so a crash mid-way resumes at this page and never leaves a gap.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    paging: Option<Paging>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Paging {
    page: u64,
    newest: i64,
    newest_ids: Vec<String>,
}

impl Cursor {
    /// A missing, empty or unreadable cursor means "start from the newest page".
    fn parse(source: &str, raw: Option<&str>) -> Option<Cursor> {
        let raw = raw.map(str::trim).filter(|r| !r.is_empty())?;
        match serde_json::from_str(raw) {
            Ok(c) => Some(c),
            Err(e) => {
                tracing::warn!(source, error = %e, "ignoring an unreadable cursor");
                None
            }
        }
    }

    fn render(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// What one page means: the hits not delivered before, the cursor to store, whether to go on.
struct Step {
    fresh: Vec<Hit>,
    cursor: Option<Cursor>,
    more: bool,
}

/// Works out the next cursor from one page. Without a cursor only the newest page is read (the
/// first poll does not page back through all of history).
fn advance(cursor: Option<Cursor>, hits: Vec<Hit>, page: u64, pages: u64) -> Step {
    let (mut newest, mut ids) = match &cursor {
        Some(Cursor { paging: Some(p), .. }) => (p.newest, p.newest_ids.clone()),
        Some(c) => (c.since, c.seen.clone()),
        None => (i64::MIN, Vec::new()),
    };
    for h in &hits {
        if h.created_at_i > newest {
            newest = h.created_at_i;
            ids.clear();
        }
        if h.created_at_i == newest && !ids.contains(&h.id) {
            ids.push(h.id.clone());
        }
    }
    let fresh = hits
        .into_iter()
        .filter(|h| cursor.as_ref().is_none_or(|c| c.is_new(h)))
        .collect();
    let Some(c) = cursor else {
        let next = (newest != i64::MIN).then(|| Cursor::at(newest, ids));
        return Step {
            fresh,
            cursor: next,
            more: false,
        };
    };
    if page.saturating_add(1) < pages {
        let paging = Paging {
            page: page + 1,
            newest,
            newest_ids: ids,
        };
        let next = Cursor {
            paging: Some(paging),
            ..c
        };
        return Step {
            fresh,
            cursor: Some(next),
            more: true,
        };
    }
    Step {
        fresh,
        cursor: Some(Cursor::at(newest, ids)),
        more: false,
    }
}

impl Cursor {
    fn at(since: i64, seen: Vec<String>) -> Cursor {
        Cursor {
            since,
            seen,
            paging: None,
        }
    }

    fn is_new(&self, h: &Hit) -> bool {
        h.created_at_i > self.since || (h.created_at_i == self.since && !self.seen.contains(&h.id))
    }
}

/// One search hit as the Algolia HN API documents it (only the fields talkback reads).
#[derive(Debug, Clone, Deserialize)]
struct Hit {
    #[serde(rename = "objectID")]
    id: String,
    created_at_i: i64,
    #[serde(default)]
    created_at: Option<String>,
    #[serde(default)]
    author: Option<String>,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    story_text: Option<String>,
    #[serde(default)]
    comment_text: Option<String>,
    #[serde(default)]
    parent_id: Option<u64>,
    #[serde(default, rename = "_tags")]
    tags: Vec<String>,
}

impl Hit {
    fn is_comment(&self) -> bool {
        self.tags.iter().any(|t| t == "comment") || self.comment_text.is_some()
    }

    fn to_post(&self) -> Post {
        let comment = self.is_comment();
        Post {
            network: Network::Hackernews,
            id: self.id.clone(),
            url: Some(format!("https://news.ycombinator.com/item?id={}", self.id)),
            author: self.author.as_ref().map(|a| Author {
                handle: Some(a.clone()),
                name: None,
            }),
            title: if comment { None } else { self.title.clone() },
            text: if comment {
                hn_text(self.comment_text.as_deref())
            } else {
                self.story_body()
            },
            created_at: DateTime::<Utc>::from_timestamp(self.created_at_i, 0).or_else(|| {
                let at = self.created_at.as_deref()?;
                DateTime::parse_from_rfc3339(at).ok().map(|t| t.with_timezone(&Utc))
            }),
            // A comment answers its parent (a story or another comment), in the same id form.
            reply_to: if comment {
                self.parent_id.map(|p| p.to_string())
            } else {
                None
            },
            lang: None,
            repost_of: None,
        }
    }

    /// A text post's body, and a link post's URL (so a mention in the link itself is seen).
    fn story_body(&self) -> String {
        let text = hn_text(self.story_text.as_deref());
        match self.url.as_deref().filter(|u| !u.is_empty()) {
            Some(u) if text.is_empty() => u.to_string(),
            Some(u) => format!("{text}\n{u}"),
            None => text,
        }
    }
}

/// HN separates paragraphs with a bare `<p>` (never closed), which would glue the words on
/// either side together; each one starts a new line instead.
fn hn_text(html: Option<&str>) -> String {
    html_to_text(&html.unwrap_or("").replace("<p>", "\n<p>"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hit(id: &str, t: i64) -> Hit {
        serde_json::from_value(serde_json::json!({"objectID": id, "created_at_i": t, "_tags": ["story"]})).unwrap()
    }

    fn ids(step: &Step) -> Vec<&str> {
        step.fresh.iter().map(|h| h.id.as_str()).collect()
    }

    /// Found by tests/fuzz.rs: `page + 1` overflowed on an answer with `"page": u64::MAX`.
    #[test]
    fn the_last_possible_page_is_the_last_page() {
        let c = Cursor::at(100, Vec::new());
        let step = advance(Some(c), vec![hit("9", 300)], u64::MAX, u64::MAX);
        assert!(!step.more);
        assert_eq!(step.cursor.unwrap().since, 300);
    }

    #[test]
    fn a_post_in_the_same_second_as_the_cursor_is_kept_once() {
        let first = advance(None, vec![hit("2", 100), hit("1", 100)], 0, 5);
        assert!(!first.more, "the first poll reads only the newest page");
        let c = first.cursor.unwrap();
        assert_eq!((c.since, c.seen.clone()), (100, vec!["2".to_string(), "1".to_string()]));
        let next = advance(Some(c), vec![hit("3", 100), hit("2", 100), hit("1", 100)], 0, 1);
        assert_eq!(ids(&next), ["3"]);
        let mut seen = next.cursor.unwrap().seen;
        seen.sort();
        assert_eq!(seen, ["1", "2", "3"]);
    }

    #[test]
    fn paging_keeps_the_lower_bound_until_the_last_page() {
        let c = Cursor::at(100, vec!["1".into()]);
        let p0 = advance(Some(c), vec![hit("9", 300), hit("8", 250)], 0, 2);
        let mid = p0.cursor.clone().unwrap();
        assert!(p0.more);
        assert_eq!(mid.since, 100);
        assert_eq!(mid.paging.as_ref().unwrap().page, 1);
        let p1 = advance(Some(mid), vec![hit("7", 200), hit("1", 100)], 1, 2);
        assert_eq!(ids(&p1), ["7"]);
        assert!(!p1.more);
        assert_eq!(p1.cursor.unwrap(), Cursor::at(300, vec!["9".into()]));
    }

    #[test]
    fn an_empty_first_poll_keeps_no_cursor() {
        assert!(advance(None, Vec::new(), 0, 0).cursor.is_none());
        assert!(Cursor::parse("hn", Some("")).is_none());
        assert!(Cursor::parse("hn", Some("not json")).is_none());
    }
}
