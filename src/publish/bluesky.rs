//! Replies on Bluesky: `com.atproto.repo.createRecord` of an `app.bsky.feed.post` with reply
//! `root`/`parent` strong refs and facets for links and mentions, over the same renewing
//! session as the Bluesky source. After a crash the account's recent records are searched for
//! the reply before posting again.

use async_trait::async_trait;
use secrecy::SecretString;
use serde_json::{json, Value};

use super::{PublishError, Published, Publisher, Reply};
use crate::sources::bluesky::session::Auth;
use crate::sources::bluesky::xrpc::Xrpc;
use crate::sources::http::FetchError;

pub struct BlueskyPublisher {
    auth: Auth,
    handle: String,
}

fn convert(e: FetchError) -> PublishError {
    match e {
        FetchError::RateLimited(after) => PublishError::RateLimited { retry_after: after },
        FetchError::Transient(t) => PublishError::Transport(t),
        FetchError::Rejected(t) => PublishError::Rejected(t),
    }
}

impl BlueskyPublisher {
    pub fn new(http: reqwest::Client, base_url: &str, identifier: &str, password: SecretString) -> BlueskyPublisher {
        BlueskyPublisher {
            auth: Auth::new(Xrpc::new(base_url, http), identifier, password),
            handle: identifier.to_string(),
        }
    }

    /// The strong refs of the post answered and of its thread's root.
    async fn refs(&self, parent_uri: &str) -> Result<(Value, Value), PublishError> {
        let v = self
            .auth
            .query("app.bsky.feed.getPosts", &[("uris", parent_uri.to_string())])
            .await
            .map_err(convert)?;
        let post = v
            .pointer("/posts/0")
            .ok_or_else(|| PublishError::Rejected("the post being answered is gone".into()))?;
        let parent = json!({"uri": post["uri"], "cid": post["cid"]});
        let root = post
            .pointer("/record/reply/root")
            .cloned()
            .unwrap_or_else(|| parent.clone());
        Ok((root, parent))
    }

    /// Rich-text facets: links, and `@handle` mentions that resolve to a DID. Offsets are UTF-8 bytes.
    async fn facets(&self, text: &str) -> Vec<Value> {
        let mut out = Vec::new();
        for (start, word) in words(text) {
            let end = start + word.len();
            let index = json!({"byteStart": start, "byteEnd": end});
            if word.starts_with("https://") || word.starts_with("http://") {
                out.push(json!({"index": index, "features": [{"$type": "app.bsky.richtext.facet#link", "uri": word}]}));
            } else if let Some(handle) = word.strip_prefix('@').filter(|h| h.contains('.')) {
                let did = self
                    .auth
                    .query("com.atproto.identity.resolveHandle", &[("handle", handle.to_string())])
                    .await;
                if let Some(did) = did.ok().and_then(|v| v["did"].as_str().map(str::to_string)) {
                    out.push(
                        json!({"index": index, "features": [{"$type": "app.bsky.richtext.facet#mention", "did": did}]}),
                    );
                }
            }
        }
        out
    }

    fn published(&self, uri: &str) -> Published {
        let rkey = uri.rsplit('/').next().unwrap_or(uri);
        Published {
            post_id: uri.to_string(),
            url: Some(format!("https://bsky.app/profile/{}/post/{rkey}", self.handle)),
        }
    }
}

/// Whitespace-separated words with their byte offsets, trailing punctuation trimmed.
fn words(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices().chain(std::iter::once((text.len(), ' '))) {
        match (c.is_whitespace(), start) {
            (false, None) => start = Some(i),
            (true, Some(s)) => {
                let word = text[s..i].trim_end_matches(['.', ',', ';', ':', '!', '?', ')', '"', '\'']);
                out.push((s, word));
                start = None;
            }
            _ => {}
        }
    }
    out
}

#[async_trait]
impl Publisher for BlueskyPublisher {
    async fn publish(&self, reply: &Reply) -> Result<Published, PublishError> {
        let (root, parent) = self.refs(&reply.in_reply_to).await?;
        let did = self.auth.did().await.map_err(convert)?;
        let mut record = json!({
            "$type": "app.bsky.feed.post",
            "text": reply.text,
            "createdAt": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            "reply": {"root": root, "parent": parent},
        });
        let facets = self.facets(&reply.text).await;
        if !facets.is_empty() {
            record["facets"] = Value::Array(facets);
        }
        let body = json!({"repo": did, "collection": "app.bsky.feed.post", "record": record});
        let out = self
            .auth
            .procedure("com.atproto.repo.createRecord", &body)
            .await
            .map_err(convert)?;
        let uri = out["uri"]
            .as_str()
            .ok_or_else(|| PublishError::Transport("createRecord answered without a uri".into()))?;
        Ok(self.published(uri))
    }

    async fn find_existing(&self, reply: &Reply) -> Result<Option<Published>, PublishError> {
        let did = self.auth.did().await.map_err(convert)?;
        let params = [
            ("repo", did),
            ("collection", "app.bsky.feed.post".to_string()),
            ("limit", "50".to_string()),
        ];
        let v = self
            .auth
            .query("com.atproto.repo.listRecords", &params)
            .await
            .map_err(convert)?;
        for r in v["records"].as_array().into_iter().flatten() {
            let here = r.pointer("/value/reply/parent/uri").and_then(Value::as_str) == Some(reply.in_reply_to.as_str());
            let same = r.pointer("/value/text").and_then(Value::as_str).map(str::trim) == Some(reply.text.trim());
            if let (true, true, Some(uri)) = (here, same, r["uri"].as_str()) {
                return Ok(Some(self.published(uri)));
            }
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::words;

    #[test]
    fn words_carry_utf8_byte_offsets() {
        let text = "Grüße @tom.example.com, see https://acme.example/docs.";
        let w = words(text);
        assert_eq!(w[1], (8, "@tom.example.com"));
        assert_eq!(&text[w[1].0..w[1].0 + w[1].1.len()], "@tom.example.com");
        assert_eq!(w[3].1, "https://acme.example/docs");
    }
}
