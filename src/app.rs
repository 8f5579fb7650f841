//! Wires the loop of design §1 from a validated config: store, pipeline, sources, chat,
//! outbox, scheduler. Shutdown starts at the edges (sources, scheduler) and everything
//! downstream drains when its input closes. Signals are `main`'s job: this module only watches
//! the shutdown flag.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context};
use tokio::sync::{mpsc, watch};

use crate::chat::console::{self, ConsoleChat, Output};
use crate::chat::discord::gateway::Gateway;
use crate::chat::discord::inbound::DiscordInbound;
use crate::chat::discord::rest::RestError;
use crate::chat::discord::{self, DiscordChat};
use crate::chat::slack::http as slack_http;
use crate::chat::slack::inbound::SlackInbound;
use crate::chat::slack::socket::SocketMode;
use crate::chat::slack::SlackChat;
use crate::chat::{ChannelRef, ChannelRoutes, ChatAdapter, Commands, Dispatcher};
use crate::clock::SharedClock;
use crate::config::{Config, DiscordConfig};
use crate::domain::ChatUser;
use crate::ops::HealthWatch;
use crate::pipeline::Pipeline;
use crate::publish::{Outbox, ReplayPublisher};
use crate::report::Reports;
use crate::schedule::{Job, Scheduler, Wakeup};
use crate::sources::{Health, Setup, Source, SourceContext};
use crate::store::Store;
use crate::triage::{LlmSuggester, Triage};

/// Everything built from a config, ready to run.
pub struct App {
    pub config: Config,
    pub store: Store,
    pub clock: SharedClock,
    pub outbox: Arc<Outbox>,
    pub chat: Arc<dyn ChatAdapter>,
    pub slack: Option<Arc<SlackChat>>,
    pub discord: Option<Arc<DiscordChat>>,
    pub out: Output,
    pub health: Health,
    /// Built once: its draft rotation carries on across pipelines.
    pub triage: Triage,
    /// LLM drafts for new alerts, when `[triage.llm]` is configured.
    pub llm: Option<Arc<LlmSuggester>>,
    /// Pokes the scheduler when mentions change (the dispatcher and the commands hold it).
    pub wake: Wakeup,
}

impl App {
    /// Opens the store and builds the components. Fails before anything runs.
    pub fn build(config: Config, store_path: &Path, clock: SharedClock, out: Output) -> anyhow::Result<App> {
        std::fs::create_dir_all(store_path)
            .with_context(|| format!("cannot create the store directory {}", store_path.display()))?;
        let store = Store::open_with_cache(store_path, config.store.cache_mb)?;
        let mut outbox = Outbox::new(store.clone(), clock.clone())
            .with_replay(Arc::new(ReplayPublisher::new(store_path)))
            .with_brands(&config.brands);
        let http = crate::sources::http::client();
        for (network, publisher) in crate::publish::build(&config.publishers, &http).map_err(anyhow::Error::msg)? {
            outbox = outbox.with_publisher(network, publisher);
        }
        let slack = match &config.chat.slack {
            Some(sc) => Some(Arc::new(SlackChat::new(sc, clock.clone())?)),
            None => None,
        };
        let discord = match &config.chat.discord {
            Some(dc) => Some(Arc::new(DiscordChat::new(dc, clock.clone(), http.clone())?)),
            None => None,
        };
        let chat: Arc<dyn ChatAdapter> = match (&slack, &discord) {
            (Some(s), _) => s.clone(),
            (None, Some(d)) => d.clone(),
            (None, None) => Arc::new(ConsoleChat::new(out.clone(), clock.clone())),
        };
        let triage = config.triage.build(&config.brands);
        let llm = config
            .triage
            .llm
            .clone()
            .map(|settings| Arc::new(LlmSuggester::new(settings, http.clone(), &config.brands)));
        Ok(App {
            triage,
            llm,
            config,
            store,
            clock,
            outbox: Arc::new(outbox),
            chat,
            slack,
            discord,
            out,
            health: Health::default(),
            wake: Wakeup::default(),
        })
    }

    pub fn pipeline(&self) -> Pipeline {
        Pipeline::new(
            &self.config.brands,
            self.triage.clone(),
            self.store.clone(),
            self.clock.clone(),
        )
    }

    /// Which field of a `[channels.NAME]` table this chat platform uses.
    fn pick(&self) -> fn(&crate::config::ChannelConfig) -> Option<&String> {
        match (&self.slack, &self.discord) {
            (Some(_), _) => |c| c.slack.as_ref(),
            (None, Some(_)) => |c| c.discord.as_ref(),
            (None, None) => |_| None,
        }
    }

    /// Where each brand's alerts and escalated nags go on this platform.
    pub fn routes(&self) -> ChannelRoutes {
        ChannelRoutes::new(&self.config, self.pick())
    }

    pub fn dispatcher(&self) -> Dispatcher {
        let d = Dispatcher::new(&self.config, self.store.clone(), self.chat.clone(), self.pick())
            .with_wakeup(self.wake.clone());
        match &self.llm {
            Some(llm) => d.with_llm(llm.clone()),
            None => d,
        }
    }

    /// Where ops notices go: `[channels.ops]`, else the first brand's channel.
    pub fn ops_channel(&self) -> ChannelRef {
        let name = if self.config.channels.contains_key("ops") {
            Some("ops".to_string())
        } else {
            self.config.brands.iter().find_map(|b| b.channel.clone())
        };
        let name = name.unwrap_or_else(|| "alerts".to_string());
        let target = self
            .config
            .channels
            .get(&name)
            .and_then(self.pick())
            .cloned()
            .unwrap_or(name);
        ChannelRef(target)
    }

    /// The digest, nudge and stats, posting to each brand's alert channel.
    pub fn reports(&self) -> Arc<Reports> {
        let routes = ChannelRoutes::new(&self.config, self.pick());
        Arc::new(Reports::new(
            &self.config,
            self.store.clone(),
            self.clock.clone(),
            self.chat.clone(),
            routes,
        ))
    }

    pub fn commands(&self) -> Commands {
        let brands = self.config.brands.iter().map(|b| b.name.clone()).collect();
        Commands::new(
            self.store.clone(),
            self.outbox.clone(),
            self.clock.clone(),
            self.chat.clone(),
            self.config.team.clone(),
            brands,
        )
        .with_wakeup(self.wake.clone())
        .with_reports(self.reports())
    }

    /// The nags, and the cron jobs registered here: retention (`[store] keep_for`), and the
    /// digest and the nudge, one job per brand, e.g. `.with_jobs(Job::per_brand("digest", &self.config.digest.schedule,
    /// &self.config.brands, move |brand, at| ...))`.
    pub fn scheduler(&self) -> Scheduler {
        let reports = self.reports();
        let (digest, nudge) = (reports.clone(), reports);
        let digests = Job::per_brand(
            "digest",
            &self.config.digest.schedule,
            &self.config.brands,
            move |brand, _| {
                let reports = digest.clone();
                async move { log_jobs("digest", reports.run_digest(Some(&brand)).await) }
            },
        );
        let nudges = Job::per_brand(
            "nudge",
            &self.config.nudge.schedule,
            &self.config.brands,
            move |brand, _| {
                let reports = nudge.clone();
                async move { log_jobs("nudge", reports.run_nudge(Some(&brand)).await) }
            },
        );
        Scheduler::new(
            &self.config,
            self.store.clone(),
            self.clock.clone(),
            self.chat.clone(),
            self.routes(),
        )
        .with_wakeup(self.wake.clone())
        .with_jobs(digests)
        .with_jobs(nudges)
        .with_jobs(
            self.config
                .store
                .keep_for
                .map(|keep_for| crate::schedule::retention_job(self.store.clone(), self.clock.clone(), keep_for)),
        )
    }

    /// What `/healthz` and `/metrics` read.
    fn probe(&self, chat: &'static str) -> crate::server::Probe {
        crate::server::Probe {
            chat,
            health: self.health.clone(),
            store: self.store.clone(),
            clock: self.clock.clone(),
        }
    }

    pub fn console_user(&self) -> ChatUser {
        ChatUser::new("console", &self.config.chat.console.user)
    }

    /// Starts whatever receives commands, and the health and metrics endpoints: with the chat
    /// platform's HTTP endpoints, or on their own when `[server]` is configured.
    async fn start_listeners(&self, shutdown: &watch::Receiver<bool>) -> anyhow::Result<Listeners> {
        let mut l = self.start_chat(shutdown).await?;
        if l.http.is_none() && self.config.server.configured {
            let chat = match (&self.discord, &self.slack) {
                (Some(_), _) => "discord",
                (None, Some(_)) => "slack",
                (None, None) => "console",
            };
            let routes = crate::server::router(axum::Router::new(), self.probe(chat));
            let (addr, task) = crate::server::serve(self.config.server.listen, routes, shutdown.clone()).await?;
            tracing::info!(%addr, "health and metrics at /healthz and /metrics");
            l.http = Some(task);
        }
        Ok(l)
    }

    /// Starts whatever receives commands: Slack's Socket Mode and/or HTTP endpoints, Discord's
    /// gateway or HTTP interactions endpoint, or the console's stdin.
    async fn start_chat(&self, shutdown: &watch::Receiver<bool>) -> anyhow::Result<Listeners> {
        let mut l = Listeners::default();
        let commands = Arc::new(self.commands());
        if let (Some(discord), Some(cfg)) = (&self.discord, &self.config.chat.discord) {
            return self.start_discord(discord, cfg, commands, shutdown).await;
        }
        let (Some(slack), Some(cfg)) = (&self.slack, &self.config.chat.slack) else {
            let user = self.console_user();
            let out = self.out.clone();
            l.console = Some(tokio::spawn(async move {
                let stdin = tokio::io::BufReader::new(tokio::io::stdin());
                if let Err(e) = console::read_commands(stdin, &commands, &user, &out).await {
                    tracing::warn!(error = %e, "stopped reading console commands");
                }
            }));
            return Ok(l);
        };
        match slack.auth_test().await {
            Ok(bot) => tracing::info!(%bot, "connected to Slack"),
            Err(e) => tracing::warn!(error = %e, "Slack is not answering yet; alerts wait until it does"),
        }
        let inbound = Arc::new(SlackInbound {
            commands,
            chat: slack.clone(),
            store: self.store.clone(),
        });
        if let Some(app_token) = &cfg.app_token {
            let socket = SocketMode::start(slack.client(), app_token, inbound.clone())
                .await
                .map_err(|e| anyhow::anyhow!("Slack Socket Mode: {e}"))?;
            l.socket = Some(socket);
        }
        if let Some(secret) = &cfg.signing_secret {
            let routes = crate::server::router(slack_http::routes(inbound, secret), self.probe("slack"));
            let (addr, task) = crate::server::serve(self.config.server.listen, routes, shutdown.clone()).await?;
            tracing::info!(%addr, "Slack HTTP endpoints at /slack/events, /slack/commands, /slack/interactions");
            l.http = Some(task);
        }
        Ok(l)
    }

    /// Registers `/talkback` and starts receiving interactions: over HTTP at
    /// `/discord/interactions` when a public key is configured, else over the gateway.
    async fn start_discord(
        &self,
        discord: &Arc<DiscordChat>,
        cfg: &DiscordConfig,
        commands: Arc<Commands>,
        shutdown: &watch::Receiver<bool>,
    ) -> anyhow::Result<Listeners> {
        let mut l = Listeners::default();
        match discord.whoami().await {
            Ok(bot) => tracing::info!(%bot, "connected to Discord"),
            Err(e @ RestError::Rejected { status: 401, .. }) => {
                bail!("Discord refused the bot token named by [chat.discord] token_env: {e}")
            }
            Err(e) => tracing::warn!(error = %e, "Discord is not answering yet; alerts wait until it does"),
        }
        l.register = Some(tokio::spawn(discord::register_until_done(
            discord.clone(),
            cfg.guild_id,
            shutdown.clone(),
        )));
        let inbound = Arc::new(DiscordInbound {
            commands,
            rest: discord.rest(),
            store: self.store.clone(),
            application_id: discord.application_id(),
        });
        match &cfg.public_key {
            Some(key) => {
                let routes = discord::http::routes(inbound, key.0, self.clock.clone());
                let routes = crate::server::router(routes, self.probe("discord"));
                let (addr, task) = crate::server::serve(self.config.server.listen, routes, shutdown.clone()).await?;
                tracing::info!(%addr, "Discord interactions endpoint at /discord/interactions");
                l.http = Some(task);
            }
            None => {
                let token = cfg.token.as_ref().context("[chat.discord] has no bot token")?;
                let gateway = Gateway::start(&cfg.api_url, token, discord.application_id(), inbound)
                    .await
                    .map_err(|e| anyhow::anyhow!("Discord gateway: {e}"))?;
                l.gateway = Some(gateway);
            }
        }
        Ok(l)
    }

    /// Runs until `shutdown` turns true, then drains and flushes.
    pub async fn run(self, shutdown: watch::Receiver<bool>) -> anyhow::Result<()> {
        let http = crate::sources::http::client();
        let mut sources: Vec<Box<dyn Source>> = Vec::new();
        for s in &self.config.sources {
            let setup = Setup {
                source: s,
                brands: &self.config.brands,
                http: http.clone(),
            };
            sources.extend(crate::sources::build(&setup).map_err(|e| anyhow::anyhow!("source `{}`: {e}", s.name))?);
        }
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
                health: self.health.clone(),
                clock: self.clock.clone(),
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
        let watch = HealthWatch::new(
            self.health.clone(),
            self.config.sources.clone(),
            self.chat.clone(),
            self.ops_channel(),
            self.clock.clone(),
        );
        let watch = tokio::spawn(watch.run(Duration::from_secs(60), shutdown.clone()));
        let scheduler = tokio::spawn(self.scheduler().run(shutdown.clone()));
        let listeners = self.start_listeners(&shutdown).await?;
        let mut stop = shutdown.clone();
        while !*stop.borrow() {
            if stop.changed().await.is_err() {
                break;
            }
        }
        tracing::info!("shutting down: listeners and sources first, then chat");
        let drain = async {
            listeners.stop().await;
            let _ = watch.await;
            let _ = scheduler.await;
            for t in tasks {
                let _ = t.await;
            }
            // The sources held the last pipeline handles: the notice channel is closed now.
            let _ = dispatcher.await;
        };
        if tokio::time::timeout(DRAIN_FOR, drain).await.is_err() {
            // Whatever is still busy (a chat or network call that hangs) is dropped with the
            // process. Nothing is lost: mentions are stored before their alert, reply intents
            // before their publish, and both are retried on the next start.
            tracing::warn!(
                "shutdown: some parts were still busy after {}s and were stopped",
                DRAIN_FOR.as_secs()
            );
        }
        self.store.flush().await?;
        tracing::info!("stopped");
        Ok(())
    }
}

/// How long shutdown waits for sources, listeners and chat to finish what they are doing, so
/// that a stop (with the store's flush after it) takes under 10 seconds.
const DRAIN_FOR: Duration = Duration::from_secs(8);

/// What receives commands while the bot runs; stopped first at shutdown.
#[derive(Default)]
struct Listeners {
    console: Option<tokio::task::JoinHandle<()>>,
    socket: Option<SocketMode>,
    gateway: Option<Gateway>,
    register: Option<tokio::task::JoinHandle<()>>,
    http: Option<tokio::task::JoinHandle<()>>,
}

impl Listeners {
    async fn stop(self) {
        if let Some(c) = self.console {
            c.abort();
        }
        if let Some(s) = self.socket {
            s.shutdown().await;
        }
        if let Some(g) = self.gateway {
            g.shutdown().await;
        }
        if let Some(r) = self.register {
            let _ = r.await;
        }
        if let Some(h) = self.http {
            // The server watches the same shutdown flag and finishes its requests.
            let _ = h.await;
        }
    }
}

/// What a scheduled report job did, in the log (the channel shows the report itself).
fn log_jobs(job: &str, results: Result<Vec<crate::report::JobResult>, crate::report::ReportError>) {
    match results {
        Ok(results) => {
            for r in results {
                tracing::info!(job, brand = %r.brand, "{}", r.summary);
            }
        }
        Err(e) => tracing::warn!(job, error = %e, "scheduled report failed"),
    }
}
