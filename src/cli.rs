//! The command line (design §9): parses arguments and runs one subcommand. Exit codes: 0 success,
//! 2 usage or config error, 1 runtime failure.

use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use tokio::sync::watch;

use crate::app::App;
use crate::chat::console;
use crate::clock::{SharedClock, SystemClock};
use crate::config::{BrandConfig, Config, ConfigErrors, Needs, StoreConfig};
use crate::domain::MentionId;
use crate::domain::{Post, PostRef};
use crate::matcher::Matcher;
use crate::store::Store;
use crate::triage::LlmSuggester;

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
    Triage {
        #[command(flatten)]
        config: ConfigArg,
        /// Also ask the `[triage.llm]` model for drafts (its key from the environment).
        #[arg(long)]
        llm: bool,
    },
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
    /// Replies vs broadcasts per day, response rate and first-response times.
    Stats {
        #[command(flatten)]
        config: ConfigArg,
        /// One brand (default: every brand together).
        #[arg(long)]
        brand: Option<String>,
        /// How many local days, today included.
        #[arg(long, default_value_t = 7, value_parser = clap::value_parser!(u32).range(1..=366))]
        days: u32,
        /// One JSON object per day, then a `{"summary": …}` line.
        #[arg(long)]
        json: bool,
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

/// Says, on stderr, where the config file seems to hold a secret; `check` and `run` go on.
fn warn_about_secrets(arg: &ConfigArg) {
    for warning in crate::config::secret_warnings(&arg.config) {
        eprintln!("{warning}");
    }
}

pub async fn main(cli: Cli, shutdown: watch::Receiver<bool>) -> Result<(), Exit> {
    match cli.command {
        Cmd::Check(arg) => {
            warn_about_secrets(&arg);
            let config = load(&arg, Needs::Everything)?;
            print!("{}", config.summary());
            Ok(())
        }
        Cmd::Run(arg) => {
            warn_about_secrets(&arg);
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
            each_line(|number, line, out| {
                // Borrowed from the line: a post that matches nothing costs no allocation.
                let post = match serde_json::from_str::<PostRef>(line) {
                    Ok(post) => post,
                    Err(e) => return skipped(number, e),
                };
                for i in matcher.matching_brands(&post) {
                    let line = MatchLine {
                        network: post.network,
                        id: &post.id.0,
                        brand: &matcher.brands()[i].name,
                    };
                    serde_json::to_writer(&mut *out, &line)?;
                    out.write_all(b"\n")?;
                }
                Ok(())
            })
        }
        Cmd::Triage { config, llm } => {
            let config = load(&config, Needs::BrandsOnly)?;
            let triage = config.triage.build(&config.brands);
            let matcher = Matcher::new(config.brands.iter().map(BrandConfig::rule).collect());
            let first = config.brands.first().map(|b| b.name.clone()).unwrap_or_default();
            let suggester = match (llm, &config.triage.llm) {
                (false, _) => None,
                (true, Some(settings)) => Some(LlmSuggester::new(
                    settings.clone(),
                    crate::sources::http::client(),
                    &config.brands,
                )),
                (true, None) => {
                    return Err(Exit {
                        code: 2,
                        message: "error: --llm needs a [triage.llm] table in the config".into(),
                    })
                }
            };
            // Without the model each line goes out as it is read; with it, after the model's
            // answer (each_post is synchronous, so the posts wait in memory).
            let mut waiting = Vec::new();
            each_post(|post, out| {
                // Triage as seen by the brand the post mentions (else the first brand).
                let brand = matcher
                    .matching_brands(post)
                    .first()
                    .map(|&i| matcher.brands()[i].name.clone())
                    .unwrap_or_else(|| first.clone());
                let t = triage.triage(post, &brand);
                match suggester {
                    None => write_triage(out, post, &t),
                    Some(_) => {
                        waiting.push((post.clone(), brand, t));
                        Ok(())
                    }
                }
            })?;
            let Some(suggester) = suggester else { return Ok(()) };
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            for (post, brand, t) in waiting {
                let mention =
                    crate::store::Mention::new(MentionId(0), &brand, post, Some(t.clone()), chrono::Utc::now());
                let t = suggester.improve(&mention).await.unwrap_or(t);
                write_triage(&mut out, &mention.post, &t).map_err(runtime)?;
            }
            out.flush().map_err(runtime)
        }
        Cmd::Export(arg) => {
            let store = open_store(&load(&arg, Needs::BrandsOnly)?.store)?;
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            let n = store.export(&mut out).map_err(runtime)?;
            eprintln!("exported {n} records");
            Ok(())
        }
        Cmd::Import(arg) => {
            let settings = load(&arg, Needs::BrandsOnly)?.store;
            let path = settings.path.clone();
            std::fs::create_dir_all(&path).map_err(runtime)?;
            let store = open_store(&settings)?;
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
            let store = open_store(&load(&config, Needs::BrandsOnly)?.store)?;
            let stdout = std::io::stdout();
            let mut out = stdout.lock();
            for entry in store.audit_log(since).map_err(runtime)? {
                writeln!(out, "{}", serde_json::to_string(&entry).unwrap_or_default()).map_err(runtime)?;
            }
            Ok(())
        }
        Cmd::Stats {
            config,
            brand,
            days,
            json,
        } => {
            let config = load(&config, Needs::BrandsOnly)?;
            if let Some(b) = &brand {
                crate::report::find_brand(&config.brands, b).map_err(|e| Exit {
                    code: 2,
                    message: format!("error: {e}"),
                })?;
            }
            let store = open_store(&config.store)?;
            let stats = crate::report::stats_for(&store, &config.brands, brand.as_deref(), days, chrono::Utc::now())
                .map_err(runtime)?;
            let stdout = std::io::stdout();
            let mut out = stdout.lock();
            if json {
                for line in stats.json_lines() {
                    writeln!(out, "{line}").map_err(runtime)?;
                }
            } else {
                writeln!(out, "{}", stats.render()).map_err(runtime)?;
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

fn write_triage(out: &mut dyn Write, post: &Post, t: &crate::store::TriageResult) -> std::io::Result<()> {
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
}

fn open_store(settings: &StoreConfig) -> Result<Store, Exit> {
    let path = &settings.path;
    if !path.exists() {
        return Err(Exit {
            code: 1,
            message: format!("error: there is no store at {}", path.display()),
        });
    }
    Store::open_with_cache(path, settings.cache_mb).map_err(runtime)
}

/// Reads Post JSON lines from stdin; a malformed line is reported with its number and skipped.
fn each_post(mut f: impl FnMut(&Post, &mut dyn Write) -> std::io::Result<()>) -> Result<(), Exit> {
    each_line(|number, line, out| match serde_json::from_str::<Post>(line) {
        Ok(post) => f(&post, out),
        Err(e) => skipped(number, e),
    })
}

/// Calls `f` with each non-blank line of stdin and its 1-based number, and a buffered stdout.
/// A line that is not UTF-8 is reported with its number and skipped.
fn each_line(mut f: impl FnMut(usize, &str, &mut dyn Write) -> std::io::Result<()>) -> Result<(), Exit> {
    let stdin = std::io::stdin();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(64 * 1024, stdout.lock());
    let mut input = std::io::BufReader::with_capacity(256 * 1024, stdin.lock());
    // One line buffer for the whole run: a firehose-sized input allocates no line twice.
    let mut line = Vec::new();
    for number in 1.. {
        line.clear();
        if input.read_until(b'\n', &mut line).map_err(runtime)? == 0 {
            break;
        }
        // simdutf8 checks a line several times faster than `str::from_utf8`, which took a
        // twentieth of `talkback match`'s time; it accepts exactly the same bytes.
        let Ok(text) = simdutf8::basic::from_utf8(&line) else {
            let e = std::str::from_utf8(&line)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            eprintln!("line {number}: skipped, not UTF-8: {e}");
            continue;
        };
        if !text.trim().is_empty() {
            f(number, text, &mut out).map_err(runtime)?;
        }
    }
    out.flush().map_err(runtime)
}

/// Reports a line that is not a post; the run goes on.
fn skipped(number: usize, e: serde_json::Error) -> std::io::Result<()> {
    eprintln!("line {number}: skipped, not a post: {e}");
    Ok(())
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
