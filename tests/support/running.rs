//! Running the whole app inside a test: start it from a config, stop it, read what it replied.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value;
use talkback::app::App;
use talkback::chat::console;
use talkback::clock::SystemClock;
use talkback::config::Config;
use tokio::sync::watch;

/// Builds the app from `config` and runs it; send `true` on the sender to stop it. Also returns
/// the store directory.
pub fn start(
    config: Config,
) -> (
    watch::Sender<bool>,
    tokio::task::JoinHandle<anyhow::Result<()>>,
    PathBuf,
) {
    let store = config.store.path.clone();
    let app = App::build(config, &store, Arc::new(SystemClock), console::stdout()).unwrap();
    let (stop, shutdown) = watch::channel(false);
    (stop, tokio::spawn(app.run(shutdown)), store)
}

/// The replies the replay publisher wrote (`replies.jsonl` in the store).
pub fn replies(store: &Path) -> Vec<Value> {
    std::fs::read_to_string(store.join("replies.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}
