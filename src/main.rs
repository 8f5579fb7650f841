//! The `talkback` binary: parse the command line, start logging, handle signals, run.

use clap::Parser;
use tokio::sync::watch;

#[tokio::main]
async fn main() {
    let cli = talkback::cli::Cli::parse();
    let default_level = match cli.command {
        talkback::cli::Cmd::Run(_) => "info",
        _ => "warn",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_level));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
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
