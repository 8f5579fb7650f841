//! One authenticated Bluesky session (`createSession`, renewed with `refreshSession`) shared by
//! the search, notification and own-account pollers, so the tightly rate-limited
//! `createSession` runs once rather than once per poller. Tokens and the app password stay in
//! `SecretString`s, exposed only to build a request; they never reach a log or an error.

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::sync::Mutex;

use super::xrpc::{Xrpc, XrpcError};
use crate::sources::http::FetchError;

struct Tokens {
    access: SecretString,
    refresh: SecretString,
    did: String,
}

/// The output of `createSession` / `refreshSession` (both also carry `did` and `handle`).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SessionOut {
    access_jwt: String,
    refresh_jwt: String,
    #[serde(default)]
    did: String,
}

impl SessionOut {
    fn parse(v: Value) -> Result<Tokens, XrpcError> {
        let out: SessionOut = serde_json::from_value(v)
            .map_err(|e| XrpcError::Fetch(FetchError::Transient(format!("malformed session answer: {e}"))))?;
        Ok(Tokens {
            access: SecretString::from(out.access_jwt),
            refresh: SecretString::from(out.refresh_jwt),
            did: out.did,
        })
    }
}

pub struct Auth {
    xrpc: Xrpc,
    identifier: String,
    password: SecretString,
    // A tokio mutex held across the session calls on purpose: two pollers finding no session
    // (or the same expired one) at once must not both log in.
    tokens: Mutex<Option<Tokens>>,
}

impl Auth {
    pub fn new(xrpc: Xrpc, identifier: &str, password: SecretString) -> Auth {
        Auth {
            xrpc,
            identifier: identifier.to_string(),
            password,
            tokens: Mutex::new(None),
        }
    }

    /// An authenticated query; an expired token is renewed once and the query retried.
    pub async fn query(&self, method: &str, params: &[(&str, String)]) -> Result<Value, FetchError> {
        let access = self.access().await?;
        match self.xrpc.query(method, params, Some(&access)).await {
            Err(XrpcError::Expired) => {
                tracing::info!(method, "the Bluesky session expired; renewing it");
                self.renew(&access).await?;
                let access = self.access().await?;
                Ok(self.xrpc.query(method, params, Some(&access)).await?)
            }
            other => Ok(other?),
        }
    }

    /// An authenticated procedure (POST); an expired token is renewed once and the call retried.
    pub async fn procedure(&self, method: &str, body: &Value) -> Result<Value, FetchError> {
        let access = self.access().await?;
        match self.xrpc.procedure(method, Some(body), Some(&access)).await {
            Err(XrpcError::Expired) => {
                self.renew(&access).await?;
                let access = self.access().await?;
                Ok(self.xrpc.procedure(method, Some(body), Some(&access)).await?)
            }
            other => Ok(other?),
        }
    }

    /// The account's DID (logging in first when needed).
    pub async fn did(&self) -> Result<String, FetchError> {
        self.access().await?;
        Ok(self
            .tokens
            .lock()
            .await
            .as_ref()
            .map(|t| t.did.clone())
            .unwrap_or_default())
    }

    /// The current access token, logging in first when there is no session yet.
    async fn access(&self) -> Result<SecretString, FetchError> {
        let mut tokens = self.tokens.lock().await;
        if let Some(t) = tokens.as_ref() {
            return Ok(t.access.clone());
        }
        let fresh = self.create().await?;
        let access = fresh.access.clone();
        *tokens = Some(fresh);
        Ok(access)
    }

    /// Replaces the session whose access token was `stale`: refresh it, or log in again when
    /// the refresh token is refused too.
    async fn renew(&self, stale: &SecretString) -> Result<(), FetchError> {
        let mut tokens = self.tokens.lock().await;
        let Some(current) = tokens.as_ref() else {
            return Ok(());
        };
        if current.access.expose_secret() != stale.expose_secret() {
            // Another poller renewed it while this one waited for the lock.
            return Ok(());
        }
        let refreshed = self
            .xrpc
            .procedure("com.atproto.server.refreshSession", None, Some(&current.refresh))
            .await
            .and_then(SessionOut::parse);
        let fresh = match refreshed {
            Ok(t) => t,
            Err(XrpcError::Expired) | Err(XrpcError::Fetch(FetchError::Rejected(_))) => {
                tracing::info!("the Bluesky refresh token was refused; logging in again");
                *tokens = None;
                self.create().await?
            }
            Err(XrpcError::Fetch(e)) => return Err(e),
        };
        *tokens = Some(fresh);
        Ok(())
    }

    async fn create(&self) -> Result<Tokens, FetchError> {
        let body = json!({"identifier": self.identifier, "password": self.password.expose_secret()});
        let out = self
            .xrpc
            .procedure("com.atproto.server.createSession", Some(&body), None)
            .await?;
        Ok(SessionOut::parse(out)?)
    }
}
