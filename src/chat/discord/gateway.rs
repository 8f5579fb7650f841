//! Interactions over Discord's gateway: a serenity client (no privileged intents; interactions
//! need none) whose only job is to hand each interaction to `DiscordInbound` and send the answer
//! back through the interaction callback. serenity reconnects and resumes on its own.

use std::sync::Arc;

use async_trait::async_trait;
use secrecy::{ExposeSecret, SecretString};
use serenity::all::{Context, EventHandler, GatewayIntents, Interaction, Ready, ShardManager};
use serenity::client::ClientBuilder;
use serenity::http::{HttpBuilder, LightMethod, Route};
use tokio::task::JoinHandle;

use super::inbound::DiscordInbound;
use super::rest::Body;
use crate::domain::DiscordId;

struct Handler {
    inbound: Arc<DiscordInbound>,
}

#[async_trait]
impl EventHandler for Handler {
    async fn ready(&self, _: Context, ready: Ready) {
        tracing::info!(bot = %ready.user.name, "connected to the Discord gateway");
    }

    async fn interaction_create(&self, _: Context, interaction: Interaction) {
        let (id, token) = (interaction.id(), interaction.token().to_string());
        let answer = self.inbound.respond(interaction).await;
        let route = Route::InteractionResponse {
            interaction_id: id,
            token: &token,
        };
        let sent = match Body::json(&answer.now) {
            Ok(body) => self.inbound.rest.send(LightMethod::Post, route, body).await.map(|_| ()),
            Err(e) => Err(e),
        };
        if let Err(e) = sent {
            tracing::warn!(error = %e, "could not answer a Discord interaction");
            return;
        }
        if let Some(later) = answer.later {
            self.inbound.finish(&token, later).await;
        }
    }
}

/// The running gateway connection.
pub struct Gateway {
    shards: Arc<ShardManager>,
    task: JoinHandle<()>,
}

impl Gateway {
    /// Connects with the bot token; the gateway URL comes from `GET /gateway` on `api_url`.
    pub async fn start(
        api_url: &str,
        token: &SecretString,
        application_id: DiscordId,
        inbound: Arc<DiscordInbound>,
    ) -> Result<Gateway, serenity::Error> {
        // serenity's own rate limiter ignores the proxy URL; talkback's limiter covers our calls.
        let http = HttpBuilder::new(token.expose_secret())
            .proxy(api_url)
            .ratelimiter_disabled(true)
            .application_id(application_id.0.into())
            .build();
        let mut client = ClientBuilder::new_with_http(http, GatewayIntents::empty())
            .event_handler(Handler { inbound })
            .await?;
        let shards = client.shard_manager.clone();
        let task = tokio::spawn(async move {
            if let Err(e) = client.start().await {
                tracing::error!(error = %e, "the Discord gateway connection stopped");
            }
        });
        Ok(Gateway { shards, task })
    }

    pub async fn shutdown(self) {
        self.shards.shutdown_all().await;
        let _ = self.task.await;
    }
}
