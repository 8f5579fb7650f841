//! Mastodon: mention notifications, hashtag timelines, full-text search where the instance allows
//! it, the streaming API (public, hashtag and user streams, with REST backfill on reconnect), and
//! the watcher of the brands' own accounts. One `[[sources]]` table becomes several sources, each
//! with its own cursor key; all of them share the instance's rate-limit budget. This module only
//! reads from Mastodon: replying is the publisher's job.

mod api;
mod search;
pub mod sse;
pub mod status;
mod stream;
mod timeline;

use super::poll::{Fetch, Poller};
use super::{Setup, Source};

use api::Api;
use search::Search;
use status::Convert;
use stream::Stream;
use timeline::{Items, OwnStatuses, Timeline};

/// Every source the table asks for.
pub fn build(setup: &Setup) -> Result<Vec<Box<dyn Source>>, String> {
    let parts = Parts::new(setup)?;
    let mut out = parts.streams();
    out.extend(parts.pollers().into_iter().map(|p| Box::new(p) as Box<dyn Source>));
    if out.is_empty() {
        return Err(
            "nothing to watch: set `token_env` (notifications, search), `hashtags` or `streaming`, \
                    or give a brand an own account on mastodon"
                .into(),
        );
    }
    Ok(out)
}

/// Only the polling sources (notifications, hashtags, search, own accounts), for callers that
/// drive rounds themselves (tests, backfills).
pub fn pollers(setup: &Setup) -> Result<Vec<Poller>, String> {
    Ok(Parts::new(setup)?.pollers())
}

/// What every source of one table shares.
struct Parts<'a> {
    setup: &'a Setup<'a>,
    api: Api,
    convert: Convert,
}

impl<'a> Parts<'a> {
    fn new(setup: &'a Setup<'a>) -> Result<Parts<'a>, String> {
        let s = setup.source;
        let api = Api::new(setup.http.clone(), &s.base_url, s.token.clone());
        let host = reqwest::Url::parse(api.base())
            .ok()
            .and_then(|u| u.host_str().map(str::to_lowercase))
            .ok_or_else(|| format!("`base_url` {} has no host", s.base_url))?;
        let convert = Convert {
            host,
            own: setup.own_accounts(),
        };
        Ok(Parts { setup, api, convert })
    }

    /// With a token and `streaming`, the user stream (and its backfill) reads the mentions.
    fn user_stream(&self) -> bool {
        self.setup.source.streaming && self.api.has_token()
    }

    fn pollers(&self) -> Vec<Poller> {
        let s = self.setup.source;
        let (api, convert) = (&self.api, &self.convert);
        let mut out: Vec<(String, Box<dyn Fetch>)> = Vec::new();
        if s.notifications && !self.user_stream() {
            if api.has_token() {
                let name = self.setup.part("notifications");
                out.push((name.clone(), Box::new(Timeline::notifications(&name, api, convert))));
            } else {
                tracing::warn!(source = %s.name, "mention notifications need `token_env`; skipping them");
            }
        }
        // Streams backfill their hashtags themselves.
        if !s.streaming {
            for tag in &s.hashtags {
                let name = self.setup.part(&format!("tag/{tag}"));
                out.push((name.clone(), Box::new(Timeline::hashtag(&name, api, tag, convert))));
            }
        }
        if s.search {
            out.extend(self.searches());
        }
        for handle in self.setup.own_accounts() {
            let name = self.setup.part(&format!("own/{handle}"));
            out.push((name.clone(), Box::new(OwnStatuses::new(&name, api, &handle, convert))));
        }
        out.into_iter()
            .map(|(name, fetch)| Poller::new(&name, s.every.as_std(), fetch))
            .collect()
    }

    /// The source's `query` as given, else one search per brand term: Mastodon's search has no
    /// OR (every word of a query must match).
    fn searches(&self) -> Vec<(String, Box<dyn Fetch>)> {
        if !self.api.has_token() {
            tracing::warn!(source = %self.setup.source.name, "Mastodon search needs `token_env`; skipping it");
            return Vec::new();
        }
        let queries = match &self.setup.source.query {
            Some(q) => vec![q.clone()],
            None => self
                .setup
                .search_terms()
                .into_iter()
                .map(|t| if t.contains(' ') { format!("\"{t}\"") } else { t })
                .collect(),
        };
        queries
            .into_iter()
            .map(|q| {
                let name = self.setup.part(&format!("search/{}", q.trim_matches('"')));
                let fetch: Box<dyn Fetch> = Box::new(Search::new(&name, &self.api, &q, &self.convert));
                (name, fetch)
            })
            .collect()
    }

    /// The streams when `streaming` is on: public, one per hashtag, and the user's with a token.
    fn streams(&self) -> Vec<Box<dyn Source>> {
        let s = self.setup.source;
        if !s.streaming {
            return Vec::new();
        }
        let (api, convert) = (&self.api, &self.convert);
        let root = stream_root(s.stream_url.as_deref().unwrap_or(api.base()));
        let mut out: Vec<Box<dyn Source>> = Vec::new();
        let name = self.setup.part("stream/public");
        let feed = Timeline::new(&name, api, "/api/v1/timelines/public", Items::Statuses, convert);
        out.push(Box::new(Stream::new(
            &name,
            api,
            &root,
            "/api/v1/streaming/public",
            convert,
            vec![feed],
        )));
        for tag in &s.hashtags {
            let name = self.setup.part(&format!("stream/tag/{tag}"));
            let feed = Timeline::hashtag(&name, api, tag, convert);
            let stream = Stream::new(&name, api, &root, "/api/v1/streaming/hashtag", convert, vec![feed]);
            out.push(Box::new(stream.param("tag", tag)));
        }
        if self.user_stream() {
            let name = self.setup.part("stream/user");
            let mut feeds = vec![Timeline::new(
                &name,
                api,
                "/api/v1/timelines/home",
                Items::Statuses,
                convert,
            )];
            if s.notifications {
                feeds.push(Timeline::notifications(&name, api, convert));
            }
            out.push(Box::new(Stream::new(
                &name,
                api,
                &root,
                "/api/v1/streaming/user",
                convert,
                feeds,
            )));
        }
        out
    }
}

/// The streaming host as an HTTP root: instances advertise it as `wss://…`
/// (`configuration.urls.streaming`), but server-sent events are plain HTTP(S).
fn stream_root(url: &str) -> String {
    let url = url.trim_end_matches('/');
    if let Some(rest) = url.strip_prefix("wss://") {
        format!("https://{rest}")
    } else if let Some(rest) = url.strip_prefix("ws://") {
        format!("http://{rest}")
    } else {
        url.to_string()
    }
}
