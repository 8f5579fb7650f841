//! Bluesky (AT Protocol): the Jetstream firehose with local matching, `searchPosts` and
//! `listNotifications` over one shared authenticated session, and a watcher per brand account
//! (`getAuthorFeed`) for the activity ledger. Everything is read-only: replying is the
//! publisher's job. Each part keeps its own cursor under `<source>/<part>`.

mod firehose;
pub mod jetstream;
mod lexicon;
mod own;
mod polls;
pub mod session;
mod sweep;
pub mod xrpc;

use std::sync::Arc;

pub use firehose::Firehose;
pub use jetstream::REWIND_US;

use super::poll::{Fetch, Poller};
use super::{Setup, Source};
use jetstream::OwnNames;
use own::OwnFeed;
use polls::{Notifications, Search};
use session::Auth;
use xrpc::Xrpc;

const DEFAULT_JETSTREAM: &str = "wss://jetstream2.us-east.bsky.network/subscribe";
/// The config's default `base_url`, a PDS: it answers `app.bsky.*` only for signed-in calls.
const DEFAULT_PDS: &str = "https://bsky.social";
/// Where Bluesky serves public `app.bsky.*` reads without a session.
const PUBLIC_APPVIEW: &str = "https://public.api.bsky.app";

/// Where unauthenticated `app.bsky.*` reads go: the public AppView when `base_url` is the
/// default PDS; a `base_url` someone set (a self-hosted AppView, a test fake) serves them itself.
fn public_reads(base_url: &str, signed_in: bool) -> &str {
    if !signed_in && base_url.trim_end_matches('/') == DEFAULT_PDS {
        PUBLIC_APPVIEW
    } else {
        base_url
    }
}

/// The sources one `[[sources]] kind = "bluesky"` table asks for, by part.
pub struct Parts {
    pub firehose: Option<Firehose>,
    pub search: Option<Poller>,
    pub notifications: Option<Poller>,
    /// One watcher per own account of the brands on Bluesky.
    pub own: Vec<Poller>,
}

impl Parts {
    pub fn into_sources(self) -> Vec<Box<dyn Source>> {
        let mut out: Vec<Box<dyn Source>> = Vec::new();
        if let Some(f) = self.firehose {
            out.push(Box::new(f));
        }
        let pollers = self.search.into_iter().chain(self.notifications).chain(self.own);
        out.extend(pollers.map(|p| Box::new(p) as Box<dyn Source>));
        out
    }
}

pub fn build(setup: &Setup) -> Result<Vec<Box<dyn Source>>, String> {
    Ok(parts(setup)?.into_sources())
}

/// Builds every part the config turns on; the search and notification pollers share a session.
pub fn parts(setup: &Setup) -> Result<Parts, String> {
    let s = setup.source;
    let xrpc = Xrpc::new(&s.base_url, setup.http.clone());
    let auth = match (&s.identifier, &s.password) {
        (Some(id), Some(pw)) => Some(Arc::new(Auth::new(xrpc.clone(), id, pw.clone()))),
        _ => None,
    };
    let session = || {
        auth.clone().ok_or_else(|| {
            format!(
                "{}: search and notifications need `identifier` and `app_password_env`",
                s.name
            )
        })
    };
    let notifications = match s.notifications {
        true => {
            let auth = session()?;
            Some(poller(setup, "notifications", |name| {
                Box::new(Notifications::new(name, auth))
            }))
        }
        false => None,
    };
    Ok(Parts {
        firehose: firehose(setup, &xrpc)?,
        search: search(setup, session)?,
        notifications,
        own: own_watchers(setup, &auth),
    })
}

/// A poller for one part, named `<source>/<part>`, on the source's schedule.
fn poller(setup: &Setup, part: &str, fetch: impl FnOnce(&str) -> Box<dyn Fetch>) -> Poller {
    let name = setup.part(part);
    Poller::new(&name, setup.source.every.as_std(), fetch(&name))
}

fn firehose(setup: &Setup, xrpc: &Xrpc) -> Result<Option<Firehose>, String> {
    let s = setup.source;
    if !s.streaming {
        return Ok(None);
    }
    let url = s.stream_url.clone().unwrap_or_else(|| DEFAULT_JETSTREAM.to_string());
    jetstream::subscribe_url(&url, None).map_err(|e| format!("{}: {e}", s.name))?;
    let names = OwnNames::new(xrpc.clone(), setup.own_accounts());
    Ok(Some(Firehose::new(&setup.part("firehose"), url, names)))
}

fn search(setup: &Setup, session: impl FnOnce() -> Result<Arc<Auth>, String>) -> Result<Option<Poller>, String> {
    if !setup.source.search {
        return Ok(None);
    }
    let q = setup.search_query();
    if q.trim().is_empty() {
        tracing::warn!(source = %setup.source.name, "no search terms (no `query`, no brand terms); Bluesky search is off");
        return Ok(None);
    }
    let auth = session()?;
    Ok(Some(poller(setup, "search", |name| {
        Box::new(Search::new(name, auth, q))
    })))
}

/// One watcher per own account; without a session they read a public AppView.
fn own_watchers(setup: &Setup, auth: &Option<Arc<Auth>>) -> Vec<Poller> {
    let s = setup.source;
    let reads = Xrpc::new(public_reads(&s.base_url, auth.is_some()), setup.http.clone());
    let watcher = |handle: &String| {
        poller(setup, &format!("own/{handle}"), |name| {
            Box::new(OwnFeed::new(name, handle, reads.clone(), auth.clone()))
        })
    };
    setup.own_accounts().iter().map(watcher).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_reads_leave_the_default_pds_only_without_a_session() {
        assert_eq!(public_reads("https://bsky.social", false), PUBLIC_APPVIEW);
        assert_eq!(public_reads("https://bsky.social", true), "https://bsky.social");
        assert_eq!(public_reads("http://127.0.0.1:9", false), "http://127.0.0.1:9");
    }
}
