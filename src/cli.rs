//! The command line (design §9): parses arguments and runs one subcommand. Exit codes: 0 success,
//! 2 usage or config error, 1 runtime failure.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::{Parser, Subcommand};
use tokio::sync::watch;

use crate::app::App;
use crate::chat::console;
use crate::clock::{SharedClock, SystemClock};
use crate::config::{BrandConfig, Config, ConfigErrors, Needs};
use crate::domain::Post;
use crate::matcher::Matcher;
use crate::store::Store;
use crate::triage::Triage;

#[derive(Debug, Parser)]
#[command(
    name = "talkback",
    version,
    about = "Brings social mentions of your brand into chat and helps your team answer them."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Cmd,
}

#[derive(Debug, clap::Args)]
pub struct ConfigArg {
    /// The config directory (holding talkback.toml) or file.
    #[arg(long, env = "TALKBACK_CONFIG", default_value = "bot-config")]
    pub config: PathBuf,
}

#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Run the bot.
    Run(ConfigArg),
    /// Validate the config and print a summary.
    Check(ConfigArg),
    /// Offline demo: replay bundled posts, print alerts, apply /talkback commands from stdin.
    Demo {
        /// Where the demo keeps its store and replies (default: a fresh temporary directory).
        #[arg(long)]
        data: Option<PathBuf>,
    },
    /// Read Post JSON lines on stdin; print one line per (post, brand) mention.
    Match(ConfigArg),
    /// Read Post JSON lines on stdin; print intent, sentiment, guidance and suggestions per post.
    Triage(ConfigArg),
    /// Write the whole store as JSON lines to stdout.
    Export(ConfigArg),
    /// Read an export from stdin into an empty store.
    Import(ConfigArg),
    /// Print the audit log as JSON lines.
    Audit {
        #[command(flatten)]
        config: ConfigArg,
        /// Only entries from then on: an RFC 3339 time, a date (2026-11-20) or an age (24h, 7d).
        #[arg(long)]
        since: Option<String>,
    },
}

/// A failure with its exit code.
pub struct Exit {
    pub code: i32,
    pub message: String,
}

fn config_error(e: ConfigErrors) -> Exit {
    Exit {
        code: 2,
        message: e.to_string(),
    }
}

fn runtime(e: impl std::fmt::Display) -> Exit {
    Exit {
        code: 1,
        message: format!("error: {e}"),
    }
}

fn load(arg: &ConfigArg, needs: Needs) -> Result<Config, Exit> {
    Config::load(&arg.config, needs).map_err(config_error)
}

fn clock() -> SharedClock {
    Arc::new(SystemClock)
}

pub async fn main(cli: Cli, shutdown: watch::Receiver<bool>) -> Result<(), Exit> {
    match cli.command {
        Cmd::Check(arg) => {
            let config = load(&arg, Needs::Everything)?;
            print!("{}", config.summary());
            Ok(())
        }
        Cmd::Run(arg) => {
            let config = load(&arg, Needs::Everything)?;
            let path = config.store.path.clone();
            let app = App::build(config, &path, clock(), console::stdout()).map_err(|e| Exit {
                code: 2,
                message: format!("error: {e:#}"),
            })?;
            app.run(shutdown).await.map_err(|e| runtime(format!("{e:#}")))
        }
        Cmd::Demo { data } => {
            let (dir, _keep) = crate::demo::data_dir(data).map_err(runtime)?;
            let stdin = tokio::io::BufReader::new(tokio::io::stdin());
            crate::demo::run(&dir, stdin, console::stdout(), clock())
                .await
                .map_err(|e| runtime(format!("{e:#}")))
        }
        Cmd::Match(arg) => {
            let config = load(&arg, Needs::BrandsOnly)?;
            let rules = config.brands.iter().map(BrandConfig::rule).collect();
            let matcher = Matcher::new(rules);
            each_post(|post, out| {
                for i in matcher.matching_brands(post) {
                    let line = MatchLine {
                        network: post.network,
                        id: &post.id,
                        brand: &matcher.brands()[i].name,
                    };
                    serde_json::to_writer(&mut *out, &line)?;
                    out.write_all(b"\n")?;
                }
                Ok(())
            })
        }
        Cmd::Triage(arg) => {
            let config = load(&arg, Needs::BrandsOnly)?;
            let triage = Triage::default();
            let brand = config.brands.first().map(|b| b.name.clone()).unwrap_or_default();
            each_post(|post, out| {
                let t = triage.triage(post, &brand);
                let line = TriageLine {
                    network: post.network,
                    id: &post.id,
                    intent: t.intent,
                    sentiment: t.sentiment,
                    guidance: &t.guidance,
                    suggestions: &t.suggestions,
                };
                serde_json::to_writer(&mut *out, &line)?;
                out.write_all(b"\n")
            })
        }
        Cmd::Export(arg) => {
            let store = open_store(&load(&arg, Needs::BrandsOnly)?.store.path)?;
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            let n = store.export(&mut out).map_err(runtime)?;
            eprintln!("exported {n} records");
            Ok(())
        }
        Cmd::Import(arg) => {
            let path = load(&arg, Needs::BrandsOnly)?.store.path;
            std::fs::create_dir_all(&path).map_err(runtime)?;
            let store = open_store(&path)?;
            let stdin = std::io::stdin();
            let n = store.import(&mut stdin.lock()).await.map_err(runtime)?;
            eprintln!("imported {n} records into {}", path.display());
            Ok(())
        }
        Cmd::Audit { config, since } => {
            let since = since
                .as_deref()
                .map(parse_since)
                .transpose()
                .map_err(|m| Exit { code: 2, message: m })?;
            let store = open_store(&load(&config, Needs::BrandsOnly)?.store.path)?;
            let stdout = std::io::stdout();
            let mut out = stdout.lock();
            for entry in store.audit_log(since).map_err(runtime)? {
                writeln!(out, "{}", serde_json::to_string(&entry).unwrap_or_default()).map_err(runtime)?;
            }
            Ok(())
        }
    }
}

/// One line of `talkback match`, keys in the documented order.
#[derive(serde::Serialize)]
struct MatchLine<'a> {
    network: crate::domain::Network,
    id: &'a str,
    brand: &'a str,
}

/// One line of `talkback triage`, keys in the documented order.
#[derive(serde::Serialize)]
struct TriageLine<'a> {
    network: crate::domain::Network,
    id: &'a str,
    intent: crate::domain::Intent,
    sentiment: crate::domain::Sentiment,
    guidance: &'a str,
    suggestions: &'a [String],
}

fn open_store(path: &Path) -> Result<Store, Exit> {
    if !path.exists() {
        return Err(Exit {
            code: 1,
            message: format!("error: there is no store at {}", path.display()),
        });
    }
    Store::open(path).map_err(runtime)
}

/// Reads Post JSON lines from stdin; a malformed line is reported with its number and skipped.
fn each_post(mut f: impl FnMut(&Post, &mut dyn Write) -> std::io::Result<()>) -> Result<(), Exit> {
    let stdin = std::io::stdin();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for (i, line) in stdin.lock().lines().enumerate() {
        let line = line.map_err(runtime)?;
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Post>(&line) {
            Ok(post) => f(&post, &mut out).map_err(runtime)?,
            Err(e) => eprintln!("line {}: skipped, not a post: {e}", i + 1),
        }
    }
    out.flush().map_err(runtime)
}

/// `2026-11-20T10:00:00Z`, `2026-11-20`, or an age such as `24h`.
pub fn parse_since(s: &str) -> Result<chrono::DateTime<chrono::Utc>, String> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&chrono::Utc));
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Ok(d.and_time(chrono::NaiveTime::MIN).and_utc());
    }
    if let Ok(age) = s.parse::<crate::domain::HumanDuration>() {
        return Ok(chrono::Utc::now() - age.as_chrono());
    }
    Err(format!(
        "--since `{s}`: expected a time (2026-11-20T10:00:00Z), a date (2026-11-20) or an age (24h, 7d)"
    ))
}
