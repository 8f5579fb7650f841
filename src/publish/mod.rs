//! Replies back onto the networks: the `Publisher` seam, one publisher per network, and the
//! outbox that makes each approved reply exactly one post. Never reads config files or chat input.

pub mod bluesky;
pub mod checks;
mod http;
pub mod mastodon;
mod outbox;
pub mod reddit;
mod replay;
pub mod x;

use std::time::Duration;

use async_trait::async_trait;

use crate::domain::Network;

pub use outbox::{Outbox, OutboxError, SendOutcome};
pub use replay::ReplayPublisher;

/// One reply to publish.
#[derive(Debug, Clone)]
pub struct Reply {
    /// The idempotency key: the same key must never make a second post.
    pub key: String,
    pub network: Network,
    /// The network's id of the post being answered.
    pub in_reply_to: String,
    pub text: String,
    /// The handle of the person answered (`@bob@example.social`), for networks that notify
    /// people only when they are mentioned.
    pub to_author: Option<String>,
}

/// What the network made of a reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    pub post_id: String,
    pub url: Option<String>,
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum PublishError {
    /// Try again later (after `retry_after` when the network said so).
    #[error("rate limited{}", .retry_after.map(|d| format!(" (retry after {}s)", d.as_secs())).unwrap_or_default())]
    RateLimited { retry_after: Option<Duration> },
    /// The network refused this reply for good; the reason is the network's own.
    #[error("rejected by the network: {0}")]
    Rejected(String),
    /// The network could not be reached or failed; worth retrying.
    #[error("network unreachable: {0}")]
    Transport(String),
}

impl PublishError {
    pub fn is_transient(&self) -> bool {
        !matches!(self, PublishError::Rejected(_))
    }
}

/// A network and the publisher that replies there.
pub type NetworkPublisher = (Network, std::sync::Arc<dyn Publisher>);

/// The publishers the config asks for, one per network.
pub fn build(
    configs: &[crate::config::PublisherConfig],
    http: &reqwest::Client,
) -> Result<Vec<NetworkPublisher>, String> {
    let mut out: Vec<NetworkPublisher> = Vec::new();
    for c in configs {
        match (c.kind, &c.token) {
            (Network::Mastodon, Some(token)) => {
                out.push((
                    c.kind,
                    std::sync::Arc::new(mastodon::MastodonPublisher::new(
                        http.clone(),
                        &c.base_url,
                        token.clone(),
                    )),
                ));
            }
            (Network::X, Some(token)) => {
                out.push((
                    c.kind,
                    std::sync::Arc::new(x::XPublisher::new(http.clone(), &c.base_url, token.clone())),
                ));
            }
            (Network::Bluesky, _) => {
                let (Some(identifier), Some(password)) = (&c.identifier, &c.password) else {
                    return Err("the bluesky publisher needs identifier and app_password_env".into());
                };
                let p = bluesky::BlueskyPublisher::new(http.clone(), &c.base_url, identifier, password.clone());
                out.push((c.kind, std::sync::Arc::new(p)));
            }
            (Network::Reddit, _) => {
                let creds = match (&c.client_id, &c.client_secret, &c.identifier, &c.password) {
                    (Some(id), Some(secret), Some(user), Some(password)) => crate::sources::reddit::auth::Credentials {
                        client_id: id.clone(),
                        client_secret: secret.clone(),
                        username: user.clone(),
                        password: password.clone(),
                    },
                    _ => {
                        return Err(
                            "the reddit publisher needs client_id_env, client_secret_env, username and password_env"
                                .into(),
                        )
                    }
                };
                let auth_url = c.auth_url.clone().unwrap_or_else(|| "https://www.reddit.com".into());
                let p = reddit::RedditPublisher::new(http.clone(), &c.base_url, &auth_url, creds, c.user_agent.clone());
                out.push((c.kind, std::sync::Arc::new(p)));
            }
            (kind, _) => return Err(format!("replying on {kind} is not available in this build yet")),
        }
    }
    Ok(out)
}

/// Posts one reply on one network; must be safe to call again with the same key.
#[async_trait]
pub trait Publisher: Send + Sync {
    async fn publish(&self, reply: &Reply) -> Result<Published, PublishError>;

    /// After a crash: was this reply (by key) already posted? Checked before publishing again.
    async fn find_existing(&self, reply: &Reply) -> Result<Option<Published>, PublishError>;
}
