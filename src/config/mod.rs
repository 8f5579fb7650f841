//! The configuration: typed, validated once, up front. Loading reports every problem at once as
//! `file:line:col: message`. Nothing here opens sockets or the store; components are built
//! from these structs elsewhere.

mod build;
mod chat;
pub mod diag;
mod examples;
mod ops;
mod publishers;
pub mod secrets;
mod section;
mod sources;
mod triage;
mod triage_files;
pub mod values;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use crate::domain::{ChatUser, HumanDuration, OwnAccount};
use crate::matcher::Query;
use secrets::display_url;

pub use chat::{ChatConfig, ConsoleConfig, DiscordConfig, DiscordPublicKey, SlackConfig};
pub use diag::{ConfigErrors, Problem};
pub use examples::{parse_examples, LabelledPost};
pub use publishers::PublisherConfig;
pub use secrets::Warning;
pub use sources::SourceConfig;
pub use triage::{parse_lexicon, parse_templates, TriageConfig};
pub use values::{BusinessHours, CronSchedule};

/// The file name inside a config directory.
pub const FILE_NAME: &str = "talkback.toml";

/// How much of the config a command needs. `match` and `triage` need only the brands, so a
/// missing secret does not stop them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Needs {
    Everything,
    BrandsOnly,
}

#[derive(Debug, Clone)]
pub struct Config {
    /// The file the config was read from.
    pub file: PathBuf,
    pub store: StoreConfig,
    pub brands: Vec<BrandConfig>,
    pub sources: Vec<SourceConfig>,
    pub publishers: Vec<PublisherConfig>,
    pub channels: BTreeMap<String, ChannelConfig>,
    pub chat: ChatConfig,
    pub server: ServerConfig,
    pub team: TeamConfig,
    pub nag: NagConfig,
    pub nudge: NudgeConfig,
    pub digest: DigestConfig,
    pub triage: TriageConfig,
}

#[derive(Debug, Clone)]
pub struct StoreConfig {
    /// Absolute, or relative to the working directory (already resolved against the config's folder).
    pub path: PathBuf,
    /// sled's page cache, in MiB (`[store] cache_mb`): what the store may keep in memory.
    pub cache_mb: u64,
    /// How long a mention is kept after its last activity (`[store] keep_for`); `None` keeps
    /// everything (`"forever"`).
    pub keep_for: Option<HumanDuration>,
}

impl StoreConfig {
    /// Three months: a conversation nobody touched for that long is over, and the digest and
    /// the nudge read back a week at most.
    pub const DEFAULT_KEEP_FOR: HumanDuration = HumanDuration(std::time::Duration::from_secs(90 * 86_400));
}

#[derive(Debug, Clone)]
pub struct BrandConfig {
    pub name: String,
    pub query_src: String,
    pub query: Query,
    pub own_accounts: Vec<OwnAccount>,
    pub channel: Option<String>,
    pub timezone: chrono_tz::Tz,
    /// Names that make a mention a comparison (`competitors = ["Globex"]`).
    pub competitors: Vec<String>,
    /// How the brand speaks, for LLM drafts (`voice = "warm, plain, no emoji"`).
    pub voice: Option<String>,
}

impl BrandConfig {
    /// What the matcher needs of this brand.
    pub fn rule(&self) -> crate::matcher::BrandRule {
        crate::matcher::BrandRule {
            name: self.name.clone(),
            query: self.query.clone(),
            own_accounts: self.own_accounts.clone(),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct ChannelConfig {
    pub slack: Option<String>,
    pub discord: Option<String>,
}

#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub listen: SocketAddr,
    /// A `[server]` table is present: serve `/healthz` and `/metrics` even when no chat
    /// platform needs HTTP.
    pub configured: bool,
}

#[derive(Debug, Clone, Default)]
pub struct TeamConfig {
    pub repliers: Vec<ChatUser>,
    pub approvers: Vec<ChatUser>,
}

#[derive(Debug, Clone)]
pub struct NagConfig {
    pub first_after: HumanDuration,
    pub repeat_every: HumanDuration,
    pub max: u32,
    pub escalate_after: HumanDuration,
    pub business_hours: Option<BusinessHours>,
}

#[derive(Debug, Clone)]
pub struct NudgeConfig {
    pub schedule: CronSchedule,
    pub min_reply_share: f64,
}

#[derive(Debug, Clone)]
pub struct DigestConfig {
    pub schedule: CronSchedule,
}

/// The config file: `dir/talkback.toml`, or `dir` itself when it is a file.
pub fn file_in(dir: &Path) -> PathBuf {
    if dir.is_dir() {
        dir.join(FILE_NAME)
    } else {
        dir.to_path_buf()
    }
}

/// Values in the config file that look like secrets written into it (see `secrets`), and the
/// file's permissions when it holds one. Warnings only: the config may still load.
pub fn secret_warnings(dir: &Path) -> Vec<Warning> {
    secrets::check_file(&file_in(dir))
}

impl Config {
    /// Reads `dir/talkback.toml` (or `dir` itself when it is a file).
    pub fn load(dir: &Path, needs: Needs) -> Result<Config, ConfigErrors> {
        let file = file_in(dir);
        let src = std::fs::read_to_string(&file).map_err(|e| {
            ConfigErrors(vec![Problem {
                file: file.clone(),
                line: 1,
                col: 1,
                message: format!("cannot read the config: {e}"),
            }])
        })?;
        Config::from_str(&file, &src, needs, &|name| std::env::var(name).ok())
    }

    /// Parses config text; `env` looks up the environment variables named by `*_env` keys.
    pub fn from_str(
        file: &Path,
        src: &str,
        needs: Needs,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigErrors> {
        build::build(file, src, needs, env)
    }

    /// The folder relative paths in the config are resolved against.
    pub fn base_dir(&self) -> PathBuf {
        self.file.parent().map(Path::to_path_buf).unwrap_or_default()
    }

    pub fn brand(&self, name: &str) -> Option<&BrandConfig> {
        self.brands.iter().find(|b| b.name.eq_ignore_ascii_case(name))
    }

    /// A few lines for `talkback check`. URLs are shown without a query or credentials.
    pub fn summary(&self) -> String {
        let mut out = format!("{}: ok\n", self.file.display());
        out.push_str(&format!("  brands ({}):\n", self.brands.len()));
        for b in &self.brands {
            out.push_str(&format!("    {:<16} {}\n", b.name, b.query_src));
        }
        out.push_str(&format!("  sources ({}):", self.sources.len()));
        if self.sources.is_empty() {
            out.push_str(" none");
        }
        out.push('\n');
        for s in &self.sources {
            let target = s
                .path
                .as_ref()
                .map(|p| p.display().to_string())
                .or_else(|| s.url.as_deref().map(display_url))
                .unwrap_or_else(|| display_url(&s.base_url));
            out.push_str(&format!(
                "    {:<16} {:<10} every {:<6} {target}\n",
                s.name, s.kind, s.every
            ));
        }
        let publishers: Vec<String> = self
            .publishers
            .iter()
            .map(|p| format!("{} ({})", p.kind, display_url(&p.base_url)))
            .collect();
        let publishers = if publishers.is_empty() {
            "replay only".to_string()
        } else {
            publishers.join(", ")
        };
        out.push_str(&format!("  replies: {publishers}\n"));
        out.push_str(&format!("  chat: {}\n", self.chat.describe()));
        out.push_str(&format!("  store: {}\n", self.store.path.display()));
        let [lexicon, templates, examples] = &self.triage.files;
        out.push_str(&format!(
            "  triage: {} · {} · {} ({} labelled examples)\n",
            lexicon.display(),
            templates.display(),
            examples.display(),
            self.triage.examples.len()
        ));
        let llm = match &self.triage.llm {
            Some(l) => format!(
                "{} at {} (timeout {:?}, falls back to the templates)",
                l.model,
                display_url(&l.base_url),
                l.timeout
            ),
            None => "none (template drafts)".to_string(),
        };
        out.push_str(&format!("  LLM drafts: {llm}\n"));
        out
    }
}

#[cfg(test)]
mod tests;
