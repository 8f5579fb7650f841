//! The `[chat.*]` sections: which chat platforms talkback connects to and with which secrets.

use secrecy::SecretString;

use super::diag::Diagnostics;
use super::section::Section;
use super::Needs;
use crate::domain::DiscordId;

#[derive(Debug, Clone, Default)]
pub struct ChatConfig {
    pub slack: Option<SlackConfig>,
    pub discord: Option<DiscordConfig>,
    pub console: ConsoleConfig,
}

impl ChatConfig {
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(s) = &self.slack {
            parts.push(format!(
                "slack ({})",
                if s.app_token.is_some() { "socket mode" } else { "http" }
            ));
        }
        if let Some(d) = &self.discord {
            parts.push(format!(
                "discord ({})",
                if d.public_key.is_some() {
                    "http interactions"
                } else {
                    "gateway"
                }
            ));
        }
        if parts.is_empty() {
            parts.push(format!("console (as {})", self.console.user));
        }
        parts.join(", ")
    }
}

#[derive(Debug, Clone)]
pub struct SlackConfig {
    pub api_url: String,
    pub bot_token: Option<SecretString>,
    pub app_token: Option<SecretString>,
    pub signing_secret: Option<SecretString>,
}

#[derive(Debug, Clone)]
pub struct DiscordConfig {
    /// The REST API's root (`https://discord.com`); `/api/v10/…` goes below it.
    pub api_url: String,
    pub token: Option<SecretString>,
    /// Needed to register `/talkback` and to answer interactions. `None` only after an error.
    pub application_id: Option<DiscordId>,
    /// Set: interactions arrive at `POST /discord/interactions`; unset: over the gateway.
    pub public_key: Option<DiscordPublicKey>,
    /// Set: `/talkback` is registered in this guild only (instant); unset: globally.
    pub guild_id: Option<DiscordId>,
}

/// The application's Ed25519 public key (Developer Portal → General Information), which signs
/// every request to the interactions endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiscordPublicKey(pub ed25519_dalek::VerifyingKey);

impl std::str::FromStr for DiscordPublicKey {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let expected = "expected the application's public key: 64 hex characters from the Developer Portal";
        let bytes: [u8; 32] = hex::decode(s.trim())
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| format!("{expected}, found `{s}`"))?;
        ed25519_dalek::VerifyingKey::from_bytes(&bytes)
            .map(DiscordPublicKey)
            .map_err(|_| format!("{expected}; `{s}` is not a valid Ed25519 key"))
    }
}

#[derive(Debug, Clone)]
pub struct ConsoleConfig {
    /// The chat user that console commands act as: `console:<user>`.
    pub user: String,
}

impl Default for ConsoleConfig {
    fn default() -> Self {
        ConsoleConfig {
            user: "operator".to_string(),
        }
    }
}

pub(super) fn chat(
    root: &mut Section,
    d: &mut Diagnostics,
    needs: Needs,
    env: &dyn Fn(&str) -> Option<String>,
) -> ChatConfig {
    let Some(mut sec) = root.section(d, "chat") else {
        return ChatConfig::default();
    };
    let slack = sec.section(d, "slack").map(|mut s| {
        let cfg = SlackConfig {
            api_url: url(&mut s, d, "api_url").unwrap_or_else(|| "https://slack.com/api".to_string()),
            bot_token: secret(&mut s, d, "bot_token_env", true, needs, env),
            app_token: secret(&mut s, d, "app_token_env", false, needs, env),
            signing_secret: secret(&mut s, d, "signing_secret_env", false, needs, env),
        };
        if !s.has("app_token_env") && !s.has("signing_secret_env") {
            d.error(
                s.span.clone(),
                "[chat.slack]: set `app_token_env` (Socket Mode) or `signing_secret_env` (HTTP mode)",
            );
        }
        s.finish(d);
        cfg
    });
    let discord = sec.section(d, "discord").map(|mut s| {
        let cfg = DiscordConfig {
            api_url: url(&mut s, d, "api_url").unwrap_or_else(|| "https://discord.com".to_string()),
            token: secret(&mut s, d, "token_env", true, needs, env),
            application_id: s.parsed(d, "application_id").map(|v| v.value),
            public_key: s.parsed(d, "public_key").map(|v| v.value),
            guild_id: s.parsed(d, "guild_id").map(|v| v.value),
        };
        if !s.has("application_id") {
            d.error(
                s.span.clone(),
                "[chat.discord]: missing required key `application_id` (Developer Portal → General Information)",
            );
        }
        s.finish(d);
        cfg
    });
    if let (Some(_), Some(_)) = (&slack, &discord) {
        d.error(
            sec.key_span("discord"),
            "[chat.discord]: [chat.slack] is set too; one talkback runs one chat platform, so run a second \
             talkback with its own config (and store) for the other",
        );
    }
    let console = sec
        .section(d, "console")
        .map(|mut s| {
            let user = s
                .string(d, "user")
                .map(|v| v.value)
                .unwrap_or_else(|| "operator".to_string());
            s.finish(d);
            ConsoleConfig { user }
        })
        .unwrap_or_default();
    sec.finish(d);
    ChatConfig {
        slack,
        discord,
        console,
    }
}

/// An `http://` or `https://` URL, without a trailing slash.
pub(super) fn url(s: &mut Section, d: &mut Diagnostics, key: &'static str) -> Option<String> {
    url_with(s, d, key, &["http://", "https://"])
}

/// A URL with one of `schemes` (`wss://` for a WebSocket), without a trailing slash.
pub(super) fn url_with(s: &mut Section, d: &mut Diagnostics, key: &'static str, schemes: &[&str]) -> Option<String> {
    let v = s.string(d, key)?;
    let ok = schemes.iter().any(|p| v.value.starts_with(p));
    if !ok || v.value.contains(char::is_whitespace) {
        let expected = schemes.iter().map(|p| format!("{p}…")).collect::<Vec<_>>().join(" or ");
        d.error(
            v.span,
            format!("{}: `{key}` must be a URL ({expected}), found `{}`", s.what, v.value),
        );
        return None;
    }
    Some(v.value.trim_end_matches('/').to_string())
}

/// A secret named by an `*_env` key: the environment variable must be set when the command
/// needs it, and its value is registered for redaction. Secrets themselves never live in the file.
pub(super) fn secret(
    s: &mut Section,
    d: &mut Diagnostics,
    key: &'static str,
    required: bool,
    needs: Needs,
    env: &dyn Fn(&str) -> Option<String>,
) -> Option<SecretString> {
    let Some(name) = s.string(d, key) else {
        if required && !s.has(key) {
            d.error(
                s.span.clone(),
                format!(
                    "{}: missing required key `{key}` (the environment variable that holds it)",
                    s.what
                ),
            );
        }
        return None;
    };
    if needs == Needs::BrandsOnly {
        return None;
    }
    match env(&name.value).filter(|v| !v.trim().is_empty()) {
        Some(v) => {
            crate::redact::register(&v);
            Some(SecretString::from(v))
        }
        None => {
            d.error(name.span, super::secrets::unset_variable(&s.what, key, &name.value));
            None
        }
    }
}
