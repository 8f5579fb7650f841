//! Socket Mode: Slack opens a WebSocket to us (no public URL needed). slack-morphism runs the
//! connection; we hand its commands and interactions to `SlackInbound`. Started and stopped by
//! `app`, never by signals.

use std::sync::Arc;

use secrecy::{ExposeSecret, SecretString};
use slack_morphism::errors::SlackClientError;
use slack_morphism::prelude::*;

use super::inbound::SlackInbound;
use super::Client;

async fn inbound(states: &SlackClientEventsUserState) -> Option<Arc<SlackInbound>> {
    states.read().await.get_user_state::<Arc<SlackInbound>>().cloned()
}

async fn on_command(
    ev: SlackCommandEvent,
    _client: Arc<Client>,
    states: SlackClientEventsUserState,
) -> UserCallbackResult<SlackCommandEventResponse> {
    let answer = match inbound(&states).await {
        Some(i) => i.command(&ev).await,
        None => "talkback is starting; try again in a moment.".to_string(),
    };
    Ok(
        SlackCommandEventResponse::new(SlackMessageContent::new().with_text(answer))
            .with_response_type(SlackMessageResponseType::Ephemeral),
    )
}

async fn on_interaction(
    ev: SlackInteractionEvent,
    _client: Arc<Client>,
    states: SlackClientEventsUserState,
) -> UserCallbackResult<SlackInteractionResponse> {
    let Some(i) = inbound(&states).await else {
        return Ok(SlackInteractionResponse::Empty);
    };
    match i.interaction(&ev).await {
        Some((block, message)) => {
            let errors = serde_json::json!({"response_action": "errors", "errors": {block: message}});
            match serde_json::from_value::<SlackViewSubmissionResponse>(errors) {
                Ok(r) => Ok(r.into()),
                Err(_) => Ok(SlackInteractionResponse::Empty),
            }
        }
        None => Ok(SlackInteractionResponse::Empty),
    }
}

fn on_error(
    err: Box<dyn std::error::Error + Send + Sync>,
    _client: Arc<Client>,
    _states: SlackClientEventsUserState,
) -> axum::http::StatusCode {
    tracing::warn!(error = %err, "Slack Socket Mode error");
    axum::http::StatusCode::OK
}

/// A running Socket Mode connection.
pub struct SocketMode {
    listener: SlackClientSocketModeListener<SlackClientHyperHttpsConnector>,
}

impl SocketMode {
    /// Connects with the app-level token (`apps.connections.open`) and starts listening.
    ///
    /// A token Slack refuses is an error here: slack-morphism would only log the refusal and
    /// ask again forever, and `run` would listen for commands that never come. Slack being
    /// unreachable is not: the listener keeps trying, as it does when a connection drops.
    pub async fn start(
        client: Arc<Client>,
        app_token: &SecretString,
        inbound: Arc<SlackInbound>,
    ) -> Result<SocketMode, SlackClientError> {
        let token = SlackApiToken::new(SlackApiTokenValue(app_token.expose_secret().to_string()));
        let check = client.open_session(&token);
        match check
            .apps_connections_open(&SlackApiAppsConnectionOpenRequest::new())
            .await
        {
            Ok(_) => {}
            Err(refused @ SlackClientError::ApiError(_)) => return Err(refused),
            Err(e) => tracing::warn!(error = %e, "Slack Socket Mode: Slack is not answering yet; still trying"),
        }
        let callbacks = SlackSocketModeListenerCallbacks::new()
            .with_command_events(on_command)
            .with_interaction_events(on_interaction);
        let env = Arc::new(
            SlackClientEventsListenerEnvironment::new(client)
                .with_error_handler(on_error)
                .with_user_state(inbound),
        );
        let listener = SlackClientSocketModeListener::new(&SlackClientSocketModeConfig::new(), env, callbacks);
        listener.listen_for(&token).await?;
        listener.start().await;
        Ok(SocketMode { listener })
    }

    pub async fn shutdown(&self) {
        self.listener.shutdown().await;
    }
}
