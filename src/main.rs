//! The `talkback` binary: parse the command line, start logging, handle signals, run.

use clap::Parser;
use tokio::sync::watch;
use tracing_subscriber::filter::{EnvFilter, FilterExt, LevelFilter, Targets};
use tracing_subscriber::layer::{Filter, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{Layer, Registry};

/// mimalloc, not glibc's malloc: with tokio's workers, sled's threads and the blocking pool each
/// freeing what another allocated, glibc kept freed memory in per-thread arenas, and a soak at
/// 250,000 mentions sat at 544 MiB resident against 228 MiB with mimalloc (`tests/soak.rs`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() {
    let cli = talkback::cli::Cli::parse();
    let default_level = match cli.command {
        talkback::cli::Cmd::Run(_) => "info",
        _ => "warn",
    };
    tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_filter(log_filter(default_level)),
        )
        .init();

    // Only main handles signals: the first SIGINT/SIGTERM starts a graceful stop.
    let (stop, shutdown) = watch::channel(false);
    tokio::spawn(async move {
        wait_for_signal().await;
        tracing::info!("signal received; stopping (a second signal stops at once)");
        let _ = stop.send(true);
        wait_for_signal().await;
        eprintln!("second signal: stopping at once");
        std::process::exit(130);
    });

    if let Err(exit) = talkback::cli::main(cli, shutdown).await {
        eprintln!("{}", exit.message);
        std::process::exit(exit.code);
    }
}

/// `RUST_LOG`, else `default_level`; either way WebSocket frames are never logged: at trace level
/// tungstenite prints each one, and the Discord gateway's IDENTIFY frame carries the bot token.
fn log_filter(default_level: &str) -> impl Filter<Registry> {
    let asked = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_level));
    let no_frames = Targets::new()
        .with_default(LevelFilter::TRACE)
        .with_target("tungstenite", LevelFilter::DEBUG);
    asked.and(no_frames)
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
