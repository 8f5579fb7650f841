//! Wires the loop of design §1 from a validated config: store, pipeline, sources, chat,
//! outbox. Shutdown starts at the edges (sources) and everything downstream drains when its
//! input closes. Signals are `main`'s job: this module only watches the shutdown flag.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context};
use tokio::sync::{mpsc, watch};

use crate::chat::console::{self, ConsoleChat, Output};
use crate::chat::{ChatAdapter, Commands, Dispatcher};
use crate::clock::SharedClock;
use crate::config::{Config, SourceConfig};
use crate::domain::{ChatUser, Network};
use crate::pipeline::Pipeline;
use crate::publish::{Outbox, ReplayPublisher};
use crate::sources::{ReplaySource, Source, SourceContext};
use crate::store::Store;
use crate::triage::Triage;

/// Everything built from a config, ready to run.
pub struct App {
    pub config: Config,
    pub store: Store,
    pub clock: SharedClock,
    pub outbox: Arc<Outbox>,
    pub chat: Arc<dyn ChatAdapter>,
    pub out: Output,
}

impl App {
    /// Opens the store and builds the components. Fails before anything runs.
    pub fn build(config: Config, store_path: &Path, clock: SharedClock, out: Output) -> anyhow::Result<App> {
        if config.chat.slack.is_some() || config.chat.discord.is_some() {
            bail!("Slack and Discord chat are not available in this build yet; remove [chat.slack]/[chat.discord] to use the console");
        }
        std::fs::create_dir_all(store_path)
            .with_context(|| format!("cannot create the store directory {}", store_path.display()))?;
        let store = Store::open(store_path)?;
        let outbox = Outbox::new(store.clone(), clock.clone()).with_replay(Arc::new(ReplayPublisher::new(store_path)));
        let chat: Arc<dyn ChatAdapter> = Arc::new(ConsoleChat::new(out.clone(), clock.clone()));
        Ok(App {
            config,
            store,
            clock,
            outbox: Arc::new(outbox),
            chat,
            out,
        })
    }

    pub fn pipeline(&self) -> Pipeline {
        Pipeline::new(
            &self.config.brands,
            Triage::default(),
            self.store.clone(),
            self.clock.clone(),
        )
    }

    pub fn dispatcher(&self) -> Dispatcher {
        Dispatcher::new(&self.config, self.store.clone(), self.chat.clone(), |_| None)
    }

    pub fn commands(&self) -> Commands {
        let brands = self.config.brands.iter().map(|b| b.name.clone()).collect();
        Commands::new(
            self.store.clone(),
            self.outbox.clone(),
            self.clock.clone(),
            self.chat.clone(),
            self.config.team.repliers.clone(),
            brands,
        )
    }

    pub fn console_user(&self) -> ChatUser {
        ChatUser::new("console", &self.config.chat.console.user)
    }

    fn source(&self, s: &SourceConfig) -> anyhow::Result<Box<dyn Source>> {
        match s.kind {
            Network::Replay => {
                let path = s.path.clone().context("a replay source needs `path`")?;
                Ok(Box::new(ReplaySource::new(&s.name, path, s.every.as_std())))
            }
            other => bail!(
                "source `{}`: the {other} source is not available in this build yet",
                s.name
            ),
        }
    }

    /// Runs until `shutdown` turns true, then drains and flushes.
    pub async fn run(self, shutdown: watch::Receiver<bool>) -> anyhow::Result<()> {
        let sources: Vec<Box<dyn Source>> = self
            .config
            .sources
            .iter()
            .map(|s| self.source(s))
            .collect::<anyhow::Result<_>>()?;
        let resumed = self.outbox.resume_pending().await?;
        if resumed > 0 {
            tracing::info!(resumed, "finished replies left pending by the last run");
        }
        let (tx, rx) = mpsc::unbounded_channel();
        let pipeline = Arc::new(self.pipeline().with_notices(tx));
        let dispatcher = tokio::spawn(self.dispatcher().run(rx, Duration::from_secs(15)));
        let mut tasks = Vec::new();
        for source in sources {
            let cx = SourceContext {
                store: self.store.clone(),
                pipeline: pipeline.clone(),
                shutdown: shutdown.clone(),
            };
            let name = source.name().to_string();
            tracing::info!(source = %name, "source started");
            tasks.push(tokio::spawn(async move {
                if let Err(e) = source.run(cx).await {
                    tracing::error!(source = %name, error = %e, "source stopped");
                }
            }));
        }
        drop(pipeline);
        let commands = self.commands();
        let user = self.console_user();
        let out = self.out.clone();
        let console_task = tokio::spawn(async move {
            let stdin = tokio::io::BufReader::new(tokio::io::stdin());
            if let Err(e) = console::read_commands(stdin, &commands, &user, &out).await {
                tracing::warn!(error = %e, "stopped reading console commands");
            }
        });
        let mut stop = shutdown.clone();
        while !*stop.borrow() {
            if stop.changed().await.is_err() {
                break;
            }
        }
        tracing::info!("shutting down: sources first, then chat");
        console_task.abort();
        for t in tasks {
            let _ = t.await;
        }
        // The sources held the last pipeline handles: the notice channel is closed now.
        let _ = dispatcher.await;
        self.store.flush().await?;
        Ok(())
    }
}
