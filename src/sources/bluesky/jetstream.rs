//! Jetstream's side of the firehose: the subscribe URL (with the rewound
//! `cursor`), event decoding (only `create` commits of `app.bsky.feed.post`; `identity` and
//! `account` events and other operations only move the cursor), and how a firehose record
//! becomes a `Post`. The firehose names authors by DID alone, so the brands' own handles are
//! resolved to DIDs once (`OwnNames`) and their posts carry the handle the pipeline knows.
//! Touches neither the store nor the socket: the firehose source does.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;

use super::lexicon::{PostRecord, POST_COLLECTION};
use super::xrpc::{Xrpc, XrpcError};
use crate::domain::{Author, Post};
use crate::sources::http::FetchError;

/// How far a reconnect rewinds the cursor (µs), so events in flight at the drop are read
/// again rather than lost; the store drops the duplicates.
pub const REWIND_US: u64 = 5_000_000;

/// One Jetstream event; `commit` is set for `kind: "commit"`.
#[derive(Debug, Deserialize)]
pub struct Event {
    pub did: String,
    pub time_us: u64,
    pub kind: String,
    #[serde(default)]
    pub commit: Option<Commit>,
}

#[derive(Debug, Deserialize)]
pub struct Commit {
    pub operation: String,
    pub collection: String,
    pub rkey: String,
    #[serde(default)]
    pub record: Option<Value>,
}

/// The subscribe URL: `wantedCollections=app.bsky.feed.post`, plus `cursor` when resuming.
/// Config URLs are http(s); the WebSocket schemes are derived from them.
pub fn subscribe_url(stream_url: &str, cursor: Option<u64>) -> Result<String, String> {
    let ws = match stream_url.split_once("://") {
        Some(("http", rest)) => format!("ws://{rest}"),
        Some(("https", rest)) => format!("wss://{rest}"),
        _ => stream_url.to_string(),
    };
    let mut url = reqwest::Url::parse(&ws).map_err(|e| format!("bad Jetstream URL `{stream_url}`: {e}"))?;
    if !matches!(url.scheme(), "ws" | "wss") {
        return Err(format!("bad Jetstream URL `{stream_url}`: expected wss:// or https://"));
    }
    url.query_pairs_mut().append_pair("wantedCollections", POST_COLLECTION);
    if let Some(c) = cursor {
        url.query_pairs_mut().append_pair("cursor", &c.to_string());
    }
    Ok(url.into())
}

/// Where a (re)connection starts: the stored cursor rewound by `REWIND_US`; none means live.
pub fn resume_from(stored: Option<u64>) -> Option<u64> {
    stored.map(|c| c.saturating_sub(REWIND_US))
}

/// The post a firehose event creates, if any. `names` maps own DIDs to their handles.
pub fn post(source: &str, ev: &Event, names: &HashMap<String, String>) -> Option<Post> {
    let commit = ev.commit.as_ref()?;
    if ev.kind != "commit" || commit.operation != "create" || commit.collection != POST_COLLECTION {
        return None;
    }
    let record: PostRecord = match serde_json::from_value(commit.record.clone()?) {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!(source, did = %ev.did, rkey = %commit.rkey, error = %e, "skipping a malformed post record");
            return None;
        }
    };
    let uri = format!("at://{}/{POST_COLLECTION}/{}", ev.did, commit.rkey);
    let who = names.get(&ev.did).unwrap_or(&ev.did);
    let author = Author {
        handle: Some(who.clone()),
        name: None,
    };
    Some(record.to_post(&uri, author, who, event_time(ev.time_us)))
}

fn event_time(time_us: u64) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp_micros(i64::try_from(time_us).ok()?)
}

/// The brands' own handles and the DIDs they resolve to.
pub struct OwnNames {
    xrpc: Xrpc,
    pending: Vec<String>,
    by_did: HashMap<String, String>,
}

impl OwnNames {
    pub fn new(xrpc: Xrpc, handles: Vec<String>) -> OwnNames {
        OwnNames {
            xrpc,
            pending: handles,
            by_did: HashMap::new(),
        }
    }

    pub fn by_did(&self) -> &HashMap<String, String> {
        &self.by_did
    }

    /// Resolves the handles not resolved yet with `com.atproto.identity.resolveHandle`. A
    /// handle the server refuses is logged and given up (its posts keep the DID); a transient
    /// failure is returned so the firehose waits rather than misattribute the brand's posts.
    pub async fn resolve(&mut self, source: &str) -> Result<(), FetchError> {
        while let Some(handle) = self.pending.last().cloned() {
            let params = [("handle", handle.clone())];
            match self
                .xrpc
                .query("com.atproto.identity.resolveHandle", &params, None)
                .await
            {
                Ok(v) => match v.get("did").and_then(Value::as_str) {
                    Some(did) => {
                        self.by_did.insert(did.to_string(), handle.clone());
                    }
                    None => tracing::warn!(source, %handle, "resolveHandle answered without a DID"),
                },
                Err(XrpcError::Fetch(FetchError::Rejected(e))) => {
                    tracing::warn!(source, %handle, error = %e, "cannot resolve an own account; its firehose posts keep their DID");
                }
                Err(e) => return Err(e.into()),
            }
            self.pending.pop();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subscribe_url_rewinds_and_maps_schemes() {
        assert_eq!(resume_from(Some(1_726_000_010_000_000)), Some(1_726_000_005_000_000));
        assert_eq!(resume_from(Some(3)), Some(0));
        let u = subscribe_url("http://127.0.0.1:9/subscribe", Some(7)).unwrap();
        assert_eq!(
            u,
            "ws://127.0.0.1:9/subscribe?wantedCollections=app.bsky.feed.post&cursor=7"
        );
        let u = subscribe_url("wss://jetstream2.us-east.bsky.network/subscribe", None).unwrap();
        assert!(u.starts_with("wss://") && !u.contains("cursor"), "{u}");
        assert!(subscribe_url("ftp://x", None).is_err());
    }

    #[test]
    fn only_post_creates_become_posts() {
        let ev: Event = serde_json::from_value(serde_json::json!({
            "did": "did:plc:own", "time_us": 1_726_000_000_000_000u64, "kind": "commit",
            "commit": {"rev": "3l", "operation": "create", "collection": "app.bsky.feed.post", "rkey": "3k1",
                       "record": {"$type": "app.bsky.feed.post", "text": "hi", "createdAt": "2026-01-01T10:00:00Z",
                                  "langs": ["de"], "reply": {"root": {"uri": "at://r", "cid": "c"}, "parent": {"uri": "at://p", "cid": "c"}}},
                       "cid": "bafy"}}))
        .unwrap();
        let names = HashMap::from([("did:plc:own".to_string(), "acme.test".to_string())]);
        let p = post("t", &ev, &names).unwrap();
        assert_eq!(p.id, "at://did:plc:own/app.bsky.feed.post/3k1");
        assert_eq!(p.url.as_deref(), Some("https://bsky.app/profile/acme.test/post/3k1"));
        assert_eq!((p.reply_to.as_deref(), p.lang.as_deref()), (Some("at://p"), Some("de")));
        assert_eq!(p.author_handle(), Some("acme.test"));
        let delete: Event = serde_json::from_value(serde_json::json!({
            "did": "did:plc:x", "time_us": 1u64, "kind": "commit",
            "commit": {"rev": "3l", "operation": "delete", "collection": "app.bsky.feed.post", "rkey": "3k1"}}))
        .unwrap();
        assert!(post("t", &delete, &names).is_none());
    }
}
