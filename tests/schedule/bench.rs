//! The test bench: a store, a manual clock moved with tokio's paused clock, a recording chat
//! and a one-brand config; helpers to start, crash and stop schedulers.

use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use talkback::chat::dispatch::ChannelRoutes;
use talkback::clock::{Clock, ManualClock};
use talkback::config::{Config, Needs};
use talkback::domain::{MentionId, Post};
use talkback::schedule::{Scheduler, Wakeup};
use talkback::store::{Ingested, MessageRef, Store};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::support::recording_chat::RecordingChat;

pub fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

pub fn mins(n: i64) -> Duration {
    Duration::minutes(n)
}

pub fn hours(n: i64) -> Duration {
    Duration::hours(n)
}

/// Lets every task run until all of them wait (on time, a poke or the shutdown flag). Tokio
/// moves its paused clock only when nothing else can run, so this 1ms sleep ends last.
pub async fn settle() {
    tokio::time::sleep(std::time::Duration::from_millis(1)).await;
}

/// A store, a clock, a chat that records, and a config with one brand `Acme`.
pub struct Bench {
    _dir: tempfile::TempDir,
    pub store: Store,
    pub clock: ManualClock,
    pub chat: RecordingChat,
    pub config: Config,
    pub wake: Wakeup,
}

/// A scheduler running in the background.
pub struct Running {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Running {
    pub async fn stop(self) {
        self.stop.send(true).unwrap();
        self.task.await.unwrap();
    }

    /// Gone without a goodbye, as in a crash.
    pub async fn crash(self) {
        self.task.abort();
        let _ = self.task.await;
    }
}

impl Bench {
    pub fn new(timezone: &str, extra: &str, start: &str) -> Bench {
        let text = format!(
            "[[brands]]\nname = \"Acme\"\nquery = \"acme\"\nchannel = \"alerts\"\ntimezone = \"{timezone}\"\n\n\
             [channels.alerts]\nslack = \"C0ALERTS\"\n\n{extra}"
        );
        let config = Config::from_str(Path::new("talkback.toml"), &text, Needs::Everything, &|_| None)
            .unwrap_or_else(|e| panic!("{e}"));
        let dir = tempfile::tempdir().unwrap();
        Bench {
            store: Store::open(dir.path()).unwrap(),
            _dir: dir,
            clock: ManualClock::new(utc(start)),
            chat: RecordingChat::default(),
            config,
            wake: Wakeup::default(),
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    pub fn scheduler(&self) -> Scheduler {
        let routes = ChannelRoutes::new(&self.config, |c| c.slack.as_ref());
        Scheduler::new(
            &self.config,
            self.store.clone(),
            Arc::new(self.clock.clone()),
            Arc::new(self.chat.clone()),
            routes,
        )
        .with_wakeup(self.wake.clone())
    }

    pub async fn start(&self, scheduler: Scheduler) -> Running {
        let (stop, shutdown) = watch::channel(false);
        let task = tokio::spawn(scheduler.run(shutdown));
        settle().await;
        Running { stop, task }
    }

    /// Moves both clocks, then lets the scheduler do what fell due.
    pub async fn advance(&self, by: Duration) {
        self.clock.advance(by);
        tokio::time::advance(by.to_std().unwrap()).await;
        settle().await;
    }

    /// Stores a mention of Acme by Bob, written at `written`; its alert is not posted yet.
    pub fn mention(&self, post_id: &str, written: DateTime<Utc>) -> MentionId {
        let post: Post = serde_json::from_value(json!({
            "network": "mastodon", "id": post_id, "text": "is acme down?", "created_at": written,
            "url": format!("https://example.social/@bob/{post_id}"),
            "author": {"handle": "@bob@example.social", "name": "Bob"}
        }))
        .unwrap();
        match self
            .store
            .insert_mention("Acme", &post, None, false, self.now())
            .unwrap()
        {
            Ingested::New(m) => m.id,
            Ingested::Duplicate(id) => id,
        }
    }

    /// A mention whose alert is in chat (thread id = the mention's number).
    pub fn alerted(&self, post_id: &str, written: DateTime<Utc>) -> MentionId {
        let id = self.mention(post_id, written);
        let msg = MessageRef {
            platform: "test".into(),
            channel: "C0ALERTS".into(),
            id: id.0.to_string(),
            group: vec![],
        };
        self.store.mark_alerted(id, msg).unwrap();
        id
    }

    /// Every nag said so far, in order.
    pub fn nags(&self) -> Vec<String> {
        self.chat
            .lines()
            .into_iter()
            .filter(|l| l.contains("unanswered"))
            .collect()
    }
}
