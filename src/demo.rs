//! `talkback demo`: the whole loop offline. The bundled config and posts are built into the
//! binary so the demo runs from anywhere; the data directory holds the store, the replay file
//! and `replies.jsonl`, so running it again with the same directory repeats nothing.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;

use crate::app::App;
use crate::chat::console::{self, Output};
use chrono::{DateTime, Utc};

use crate::clock::{ManualClock, SharedClock};
use crate::config::{Config, Needs};
use crate::report::Reports;
use crate::schedule::Nagger;
use crate::sources::ReplaySource;
use crate::store::ActivityKind;

pub const CONFIG: &str = include_str!("../bot-config/demo/talkback.toml");
pub const POSTS: &str = include_str!("../bot-config/demo/posts.jsonl");

/// Runs the demo with commands from `input`; alerts and answers go to `out`.
pub async fn run(
    data: &Path,
    input: impl tokio::io::AsyncBufRead + Unpin,
    out: Output,
    clock: SharedClock,
) -> anyhow::Result<()> {
    std::fs::create_dir_all(data).with_context(|| format!("cannot create {}", data.display()))?;
    let posts = data.join("demo-posts.jsonl");
    if std::fs::read_to_string(&posts).ok().as_deref() != Some(POSTS) {
        std::fs::write(&posts, POSTS).with_context(|| format!("cannot write {}", posts.display()))?;
    }
    let config_file = data.join("talkback.toml");
    let mut config = Config::from_str(&config_file, CONFIG, Needs::Everything, &|_| None)
        .map_err(|e| anyhow::anyhow!("the bundled demo config is broken:\n{e}"))?;
    config.store.path = data.to_path_buf();
    let app = App::build(config, data, clock, out.clone())?;
    say(&out, &format!("talkback demo · data in {}", data.display()));

    let resumed = app.outbox.resume_pending().await?;
    if resumed > 0 {
        say(
            &out,
            &format!(
                "(finished {resumed} repl{} left pending by the last run)",
                if resumed == 1 { "y" } else { "ies" }
            ),
        );
    }
    let pipeline = Arc::new(app.pipeline());
    let (_stop, shutdown) = tokio::sync::watch::channel(false);
    let cx = crate::sources::SourceContext {
        store: app.store.clone(),
        pipeline,
        shutdown,
        health: app.health.clone(),
        clock: app.clock.clone(),
    };
    let source = ReplaySource::new("demo", posts.clone(), std::time::Duration::from_secs(1));
    let batch = source.poll_once(&cx).await?;
    let posted = app.dispatcher().post_pending().await?;
    say(
        &out,
        &format!(
            "\n{} new post{} read, {} alert{} posted. Type /talkback commands (try /talkback help).",
            batch.posts.len(),
            plural(batch.posts.len()),
            posted,
            plural(posted)
        ),
    );
    for brand in &app.config.brands {
        let own = app.store.activity(Some(&brand.name))?;
        let count = |k: ActivityKind| own.iter().filter(|e| e.kind == k).count();
        say(
            &out,
            &format!(
                "{}'s own posts (counted for the daily nudge, never alerted): {} broadcast, {} repl{}, {} share{}.",
                brand.name,
                count(ActivityKind::Broadcast),
                count(ActivityKind::Reply),
                if count(ActivityKind::Reply) == 1 { "y" } else { "ies" },
                count(ActivityKind::Share),
                plural(count(ActivityKind::Share))
            ),
        );
    }
    evening(&app, &out).await?;
    let commands = app.commands();
    console::read_commands(input, &commands, &app.console_user(), &out).await?;
    app.store.flush().await?;
    Ok(())
}

/// The demo's posts end on Saturday 21 November. At 17:00 in Berlin that day nobody has
/// answered yet: talkback nags in the alerts' threads and, because the brand only broadcast
/// that day, sends the nudge. Simulated time, so the demo runs in a blink; the nags are stored
/// like real ones, so a second run does not repeat them.
async fn evening(app: &App, out: &Output) -> anyhow::Result<()> {
    let at: DateTime<Utc> = "2026-11-21T16:00:00Z".parse()?;
    say(
        out,
        "\n── Simulated: Saturday 21 November, 17:00 in Berlin, and nobody has answered yet ──",
    );
    let nagger = Nagger::new(&app.config, app.store.clone(), app.chat.clone(), app.routes());
    nagger.pass(at).await?;
    let clock: SharedClock = Arc::new(ManualClock::new(at));
    let reports = Reports::new(&app.config, app.store.clone(), clock, app.chat.clone(), app.routes());
    for r in reports.run_nudge(None).await? {
        if r.text.is_none() {
            say(out, &r.summary);
        }
    }
    say(out, "── Back to now ──");
    Ok(())
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

fn say(out: &Output, text: &str) {
    let mut o = out.lock().unwrap_or_else(|e| e.into_inner());
    let _ = writeln!(o, "{text}");
}

/// The data directory: the one given, or a fresh temporary one kept for the run.
pub fn data_dir(given: Option<PathBuf>) -> anyhow::Result<(PathBuf, Option<tempfile::TempDir>)> {
    match given {
        Some(d) => Ok((d, None)),
        None => {
            let tmp = tempfile::Builder::new().prefix("talkback-demo-").tempdir()?;
            Ok((tmp.path().to_path_buf(), Some(tmp)))
        }
    }
}
