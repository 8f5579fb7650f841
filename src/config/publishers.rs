//! The `[[publishers]]` tables: where and as whom talkback replies on each network. Credentials
//! for posting are separate from the sources' read credentials (they need write scopes).

use secrecy::SecretString;

use super::chat::{secret, url};
use super::diag::Diagnostics;
use super::section::Section;
use super::Needs;
use crate::domain::Network;

#[derive(Debug, Clone)]
pub struct PublisherConfig {
    pub kind: Network,
    pub base_url: String,
    /// mastodon `token_env` (write:statuses), x `user_token_env` (OAuth 2.0 user token, tweet.write).
    pub token: Option<SecretString>,
    /// bluesky `identifier`, reddit `username`.
    pub identifier: Option<String>,
    /// bluesky `app_password_env`, reddit `password_env`.
    pub password: Option<SecretString>,
    pub client_id: Option<SecretString>,
    pub client_secret: Option<SecretString>,
    /// reddit: the token endpoint's host.
    pub auth_url: Option<String>,
    pub user_agent: Option<String>,
}

fn default_base(kind: Network) -> &'static str {
    match kind {
        Network::Mastodon => "https://mastodon.social",
        Network::Bluesky => "https://bsky.social",
        Network::Reddit => "https://oauth.reddit.com",
        Network::X => "https://api.x.com",
        _ => "",
    }
}

pub(super) fn publishers(
    root: &mut Section,
    d: &mut Diagnostics,
    needs: Needs,
    env: &dyn Fn(&str) -> Option<String>,
) -> Vec<PublisherConfig> {
    let mut out: Vec<PublisherConfig> = Vec::new();
    for mut s in root.sections(d, "publishers") {
        let Some(kind) = s.required_string(d, "kind").and_then(|k| match k.value.parse::<Network>() {
            Ok(n) if !n.is_read_only() && n != Network::Replay => Some(n),
            _ => {
                let msg = format!(
                    "{}: `{}` cannot be a publisher (expected one of: mastodon, bluesky, reddit, x; hackernews and rss are read-only)",
                    s.what, k.value
                );
                d.error(k.span, msg);
                None
            }
        }) else {
            s.finish(d);
            continue;
        };
        if out.iter().any(|p| p.kind == kind) {
            d.error(
                s.span.clone(),
                format!(
                    "{}: a second `{kind}` publisher; talkback replies as one account per network",
                    s.what
                ),
            );
        }
        let mut p = PublisherConfig {
            kind,
            base_url: url(&mut s, d, "base_url").unwrap_or_else(|| default_base(kind).to_string()),
            token: None,
            identifier: None,
            password: None,
            client_id: None,
            client_secret: None,
            auth_url: None,
            user_agent: None,
        };
        match kind {
            Network::Mastodon => p.token = secret(&mut s, d, "token_env", true, needs, env),
            Network::X => p.token = secret(&mut s, d, "user_token_env", true, needs, env),
            Network::Bluesky => {
                p.identifier = s
                    .required_string(d, "identifier")
                    .map(|v| v.value.trim_start_matches('@').to_string());
                p.password = secret(&mut s, d, "app_password_env", true, needs, env);
            }
            Network::Reddit => {
                p.auth_url = url(&mut s, d, "auth_url").or_else(|| Some("https://www.reddit.com".into()));
                p.client_id = secret(&mut s, d, "client_id_env", true, needs, env);
                p.client_secret = secret(&mut s, d, "client_secret_env", true, needs, env);
                p.identifier = s
                    .required_string(d, "username")
                    .map(|v| v.value.trim_start_matches("u/").to_string());
                p.password = secret(&mut s, d, "password_env", true, needs, env);
                p.user_agent = s.string(d, "user_agent").map(|v| v.value);
            }
            _ => {}
        }
        s.finish(d);
        out.push(p);
    }
    out
}
