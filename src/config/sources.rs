//! The `[[sources]]` tables: which networks to watch, where their APIs live, and with which
//! credentials. Each kind reads only its own keys; any other key is reported as unknown.

use std::path::{Path, PathBuf};

use secrecy::SecretString;

use super::chat::{secret, url, url_with};
use super::diag::Diagnostics;
use super::ops::duration;
use super::section::Section;
use super::Needs;
use crate::domain::{HumanDuration, Network};

#[derive(Debug, Clone)]
pub struct SourceConfig {
    /// Unique among sources (`name`, else the kind, numbered when repeated); keys its cursor.
    pub name: String,
    pub kind: Network,
    pub every: HumanDuration,
    /// The API's root (design §11); defaults per network.
    pub base_url: String,
    /// replay: the JSONL file of posts.
    pub path: Option<PathBuf>,
    /// rss: the feed's URL.
    pub url: Option<String>,
    /// mastodon `token_env`, x `bearer_token_env`.
    pub token: Option<SecretString>,
    /// What to send to the network's search API; default: the brands' positive terms.
    pub query: Option<String>,
    /// mastodon: hashtag timelines to follow (without `#`).
    pub hashtags: Vec<String>,
    /// reddit: subreddits whose new posts and comments to read (without `r/`).
    pub subreddits: Vec<String>,
    /// mastodon: the streaming API (SSE); bluesky: the Jetstream firehose.
    pub streaming: bool,
    /// Use the network's search API.
    pub search: bool,
    /// mastodon/bluesky: the account's mention notifications.
    pub notifications: bool,
    /// mastodon `streaming_url`, bluesky `jetstream_url`.
    pub stream_url: Option<String>,
    /// reddit: the token endpoint's host.
    pub auth_url: Option<String>,
    /// bluesky `identifier` (handle), reddit `username`.
    pub identifier: Option<String>,
    /// bluesky `app_password_env`, reddit `password_env`.
    pub password: Option<SecretString>,
    /// reddit `client_id_env` / `client_secret_env`.
    pub client_id: Option<SecretString>,
    pub client_secret: Option<SecretString>,
    pub user_agent: Option<String>,
    /// Report the source in chat when it has produced nothing for this long.
    pub silent_after: Option<HumanDuration>,
}

fn default_base(kind: Network) -> &'static str {
    match kind {
        Network::Mastodon => "https://mastodon.social",
        Network::Bluesky => "https://bsky.social",
        Network::Reddit => "https://oauth.reddit.com",
        Network::Hackernews => "https://hn.algolia.com",
        Network::X => "https://api.x.com",
        Network::Rss | Network::Replay => "",
    }
}

fn strings(s: &mut Section, d: &mut Diagnostics, key: &'static str, strip: &[char]) -> Vec<String> {
    s.string_list(d, key)
        .into_iter()
        .map(|v| v.value.trim_start_matches(strip).to_string())
        .collect()
}

pub(super) fn sources(
    root: &mut Section,
    d: &mut Diagnostics,
    base: &Path,
    needs: Needs,
    env: &dyn Fn(&str) -> Option<String>,
) -> Vec<SourceConfig> {
    let mut out: Vec<SourceConfig> = Vec::new();
    for mut s in root.sections(d, "sources") {
        let kind = s
            .required_string(d, "kind")
            .and_then(|k| match k.value.parse::<Network>() {
                Ok(n) => Some(n),
                Err(_) => {
                    let names: Vec<_> = Network::ALL.iter().map(|n| n.as_str()).collect();
                    let msg = format!(
                        "{}: unknown source kind `{}` (expected one of: {})",
                        s.what,
                        k.value,
                        names.join(", ")
                    );
                    d.error(k.span, msg);
                    None
                }
            });
        let name = s.string(d, "name");
        let every = duration(&mut s, d, "every", if kind == Some(Network::Replay) { 1 } else { 60 });
        let silent_after = s.parsed::<HumanDuration>(d, "silent_after").map(|v| v.value);
        let Some(kind) = kind else {
            s.finish(d);
            continue;
        };
        let mut src = SourceConfig {
            name: String::new(),
            kind,
            every,
            base_url: default_base(kind).to_string(),
            path: None,
            url: None,
            token: None,
            query: None,
            hashtags: Vec::new(),
            subreddits: Vec::new(),
            streaming: false,
            search: false,
            notifications: false,
            stream_url: None,
            auth_url: None,
            identifier: None,
            password: None,
            client_id: None,
            client_secret: None,
            user_agent: None,
            silent_after,
        };
        kind_keys(&mut src, &mut s, d, base, needs, env);
        let taken = |n: &str| out.iter().any(|o: &SourceConfig| o.name == n);
        src.name = match name {
            Some(n) if taken(&n.value) => {
                d.error(n.span, format!("duplicate source name `{}`", n.value));
                n.value
            }
            Some(n) => n.value,
            None => {
                let mut candidate = kind.to_string();
                let mut i = 2;
                while taken(&candidate) {
                    candidate = format!("{kind}-{i}");
                    i += 1;
                }
                candidate
            }
        };
        s.finish(d);
        out.push(src);
    }
    out
}

/// Reads the keys that belong to `src.kind`.
fn kind_keys(
    src: &mut SourceConfig,
    s: &mut Section,
    d: &mut Diagnostics,
    base: &Path,
    needs: Needs,
    env: &dyn Fn(&str) -> Option<String>,
) {
    let kind = src.kind;
    if !matches!(kind, Network::Replay | Network::Rss) {
        if let Some(u) = url(s, d, "base_url") {
            src.base_url = u;
        }
        src.query = s.string(d, "query").map(|v| v.value);
    }
    match kind {
        Network::Replay => src.path = s.required_string(d, "path").map(|p| base.join(p.value)),
        Network::Rss => {
            if !s.has("url") {
                d.error(
                    s.span.clone(),
                    format!("{}: missing required key `url` (the feed's address)", s.what),
                );
            }
            src.url = url(s, d, "url");
        }
        Network::Mastodon => {
            src.token = secret(s, d, "token_env", false, needs, env);
            src.hashtags = strings(s, d, "hashtags", &['#']);
            src.streaming = s.boolean(d, "streaming").unwrap_or(false);
            src.search = s.boolean(d, "search").unwrap_or(src.token.is_some());
            src.notifications = s.boolean(d, "notifications").unwrap_or(s.has("token_env"));
            src.stream_url = url(s, d, "streaming_url");
        }
        Network::Bluesky => {
            src.identifier = s
                .string(d, "identifier")
                .map(|v| v.value.trim_start_matches('@').to_string());
            src.password = secret(s, d, "app_password_env", src.identifier.is_some(), needs, env);
            src.streaming = s.boolean(d, "firehose").unwrap_or(true);
            src.search = s.boolean(d, "search").unwrap_or(src.identifier.is_some());
            src.notifications = s.boolean(d, "notifications").unwrap_or(src.identifier.is_some());
            src.stream_url = url_with(s, d, "jetstream_url", &["wss://", "ws://", "https://", "http://"])
                .or_else(|| Some("wss://jetstream2.us-east.bsky.network/subscribe".into()));
            if (src.search || src.notifications) && src.identifier.is_none() {
                d.error(
                    s.span.clone(),
                    format!(
                        "{}: search and notifications need `identifier` and `app_password_env`",
                        s.what
                    ),
                );
            }
        }
        Network::Reddit => {
            src.auth_url = url(s, d, "auth_url").or_else(|| Some("https://www.reddit.com".into()));
            src.client_id = secret(s, d, "client_id_env", true, needs, env);
            src.client_secret = secret(s, d, "client_secret_env", true, needs, env);
            src.identifier = s
                .required_string(d, "username")
                .map(|v| v.value.trim_start_matches("u/").to_string());
            src.password = secret(s, d, "password_env", true, needs, env);
            src.subreddits = strings(s, d, "subreddits", &['r', '/']);
            src.search = s.boolean(d, "search").unwrap_or(true);
            src.user_agent = s.string(d, "user_agent").map(|v| v.value);
        }
        Network::Hackernews => {}
        Network::X => src.token = secret(s, d, "bearer_token_env", true, needs, env),
    }
}
