//! The scheduler in virtual time: nags (timings, escalation, business hours, snooze, restart)
//! and cron jobs (brand timezones, DST, restart and grace). Time is a `ManualClock` moved in
//! step with tokio's paused clock; nothing sleeps for real.

mod support;

use std::path::Path;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use support::recording_chat::RecordingChat;
use talkback::chat::dispatch::ChannelRoutes;
use talkback::chat::Dispatcher;
use talkback::clock::{Clock, ManualClock};
use talkback::config::{Config, Needs};
use talkback::domain::{ChatUser, MentionId, Post};
use talkback::pipeline::Notice;
use talkback::schedule::{Job, Scheduler, Wakeup};
use talkback::store::{Ingested, MessageRef, SentReply, Store};
use tokio::sync::watch;
use tokio::task::JoinHandle;

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn mins(n: i64) -> Duration {
    Duration::minutes(n)
}

fn hours(n: i64) -> Duration {
    Duration::hours(n)
}

/// Lets every task run until all of them wait (on time, a poke or the shutdown flag). Tokio
/// moves its paused clock only when nothing else can run, so this 1ms sleep ends last.
async fn settle() {
    tokio::time::sleep(std::time::Duration::from_millis(1)).await;
}

/// A store, a clock, a chat that records, and a config with one brand `Acme`.
struct Bench {
    _dir: tempfile::TempDir,
    store: Store,
    clock: ManualClock,
    chat: RecordingChat,
    config: Config,
    wake: Wakeup,
}

/// A scheduler running in the background.
struct Running {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Running {
    async fn stop(self) {
        self.stop.send(true).unwrap();
        self.task.await.unwrap();
    }

    /// Gone without a goodbye, as in a crash.
    async fn crash(self) {
        self.task.abort();
        let _ = self.task.await;
    }
}

impl Bench {
    fn new(timezone: &str, extra: &str, start: &str) -> Bench {
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

    fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    fn scheduler(&self) -> Scheduler {
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

    async fn start(&self, scheduler: Scheduler) -> Running {
        let (stop, shutdown) = watch::channel(false);
        let task = tokio::spawn(scheduler.run(shutdown));
        settle().await;
        Running { stop, task }
    }

    /// Moves both clocks, then lets the scheduler do what fell due.
    async fn advance(&self, by: Duration) {
        self.clock.advance(by);
        tokio::time::advance(by.to_std().unwrap()).await;
        settle().await;
    }

    /// Stores a mention of Acme by Bob, written at `written`; its alert is not posted yet.
    fn mention(&self, post_id: &str, written: DateTime<Utc>) -> MentionId {
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
    fn alerted(&self, post_id: &str, written: DateTime<Utc>) -> MentionId {
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
    fn nags(&self) -> Vec<String> {
        self.chat
            .lines()
            .into_iter()
            .filter(|l| l.contains("unanswered"))
            .collect()
    }
}

const NO_ESCALATION: &str = "[nag]\nfirst_after = \"30m\"\nrepeat_every = \"2h\"\nmax = 3\nescalate_after = \"1d\"\n";

#[tokio::test(start_paused = true)]
async fn nags_come_at_first_after_then_every_repeat_and_stop_at_max() {
    let b = Bench::new("UTC", NO_ESCALATION, "2026-11-18T10:00:00Z");
    let id = b.alerted("1", b.now());
    let run = b.start(b.scheduler()).await;

    b.advance(mins(29)).await;
    assert!(b.nags().is_empty(), "not at 29m: {:?}", b.nags());
    b.advance(mins(1)).await;
    assert_eq!(
        b.nags(),
        ["thread 1 :bell: #1 unanswered for 30m: Bob (@bob@example.social) is waiting for a reply. `reply 1 <text>` · `claim 1` · `snooze 1 1h`"]
    );
    b.advance(hours(2) - mins(1)).await;
    assert_eq!(b.nags().len(), 1);
    b.advance(mins(1)).await;
    assert_eq!(b.nags().len(), 2);
    assert!(
        b.nags()[1].starts_with("thread 1 :bell: #1 unanswered for 2h30m"),
        "{:?}",
        b.nags()
    );
    b.advance(hours(2)).await;
    assert_eq!(b.nags().len(), 3);
    b.advance(hours(20)).await;
    assert_eq!(b.nags().len(), 3, "nag.max is 3");

    let m = b.store.mention(id).unwrap();
    assert_eq!(m.nags, 3);
    assert_eq!(m.last_nag_at, Some(utc("2026-11-18T14:30:00Z")));
    run.stop().await;
}

#[tokio::test(start_paused = true)]
async fn an_escalated_nag_goes_to_the_brand_channel_naming_the_claimer() {
    // Defaults: 30m, every 2h, 3 nags, escalated after 4h.
    let b = Bench::new("UTC", "", "2026-11-18T10:00:00Z");
    let id = b.alerted("1", b.now());
    let ann = ChatUser::new("slack", "U0ANN");
    b.store
        .update(id, |m| m.claim(&ann, utc("2026-11-18T10:05:00Z")))
        .unwrap();
    let run = b.start(b.scheduler()).await;

    b.advance(mins(30)).await;
    b.advance(hours(2)).await;
    let nags = b.nags();
    assert_eq!(nags.len(), 2);
    assert!(nags.iter().all(|n| n.starts_with("thread 1 ")), "{nags:?}");
    assert!(nags[0].ends_with("Claimed by slack:U0ANN."), "{nags:?}");

    b.advance(hours(2)).await;
    assert_eq!(
        b.nags()[2],
        "say C0ALERTS :rotating_light: #1 (Acme · Mastodon) still unanswered for 4h30m: Bob (@bob@example.social) \
         is waiting for a reply. slack:U0ANN claimed it: please answer or hand it over (`unclaim 1`). \
         https://example.social/@bob/1"
    );
    run.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_friday_evening_mention_is_first_nagged_on_monday_at_nine_local() {
    let hours_cfg = "[nag]\nbusiness_hours = \"Mon-Fri 09:00-18:00\"\n";
    // Friday 17:50 in Berlin (UTC+1).
    let b = Bench::new("Europe/Berlin", hours_cfg, "2026-11-20T16:50:00Z");
    b.alerted("1", b.now());
    let run = b.start(b.scheduler()).await;

    b.advance(mins(30)).await; // 18:20 Friday: closed
    assert!(b.nags().is_empty());
    b.advance(utc("2026-11-23T07:59:00Z") - b.now()).await; // Monday 08:59
    assert!(b.nags().is_empty(), "{:?}", b.nags());
    b.advance(mins(1)).await; // Monday 09:00 local
    assert_eq!(b.nags().len(), 1);
    // Bob has waited all weekend, past `escalate_after` (4h): straight to the channel.
    assert!(
        b.nags()[0].starts_with("say C0ALERTS :rotating_light: #1 (Acme · Mastodon) still unanswered for 2d15h10m"),
        "{:?}",
        b.nags()
    );
    b.advance(hours(2)).await; // 11:00: the repeat, still in hours
    assert_eq!(b.nags().len(), 2);
    run.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_snoozed_mention_is_nagged_only_after_the_snooze_ends() {
    let b = Bench::new("UTC", NO_ESCALATION, "2026-11-18T10:00:00Z");
    let id = b.alerted("1", b.now());
    let run = b.start(b.scheduler()).await;
    b.advance(mins(10)).await;
    let until = b.now() + hours(3);
    b.store
        .update(id, |m| {
            m.snooze(&ChatUser::new("slack", "U1"), until, utc("2026-11-18T10:10:00Z"))
        })
        .unwrap();
    b.wake.poke();
    settle().await;

    b.advance(hours(3) - mins(1)).await;
    assert!(b.nags().is_empty(), "{:?}", b.nags());
    b.advance(mins(1)).await;
    assert_eq!(b.nags().len(), 1);
    assert!(b.nags()[0].contains("unanswered for 3h10m"), "{:?}", b.nags());
    run.stop().await;
}

#[tokio::test(start_paused = true)]
async fn answered_dismissed_and_unposted_mentions_are_never_nagged() {
    let b = Bench::new("UTC", "", "2026-11-18T10:00:00Z");
    let answered = b.alerted("1", b.now());
    let dismissed = b.alerted("2", b.now());
    b.mention("3", b.now()); // its alert never went out
    let reply = SentReply {
        post_id: "r1".into(),
        url: None,
        text: "Fixed now!".into(),
        by: None,
        at: b.now(),
    };
    b.store.record_reply(answered, reply).unwrap();
    let eve = ChatUser::new("slack", "U2");
    b.store
        .update(dismissed, |m| {
            m.dismiss(&eve, Some("spam".into()), utc("2026-11-18T10:00:00Z"))
        })
        .unwrap();
    let run = b.start(b.scheduler()).await;
    b.advance(hours(12)).await;
    assert!(b.nags().is_empty(), "{:?}", b.nags());
    run.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_new_alert_wakes_the_sleeping_scheduler() {
    let b = Bench::new("UTC", NO_ESCALATION, "2026-11-18T10:00:00Z");
    let run = b.start(b.scheduler()).await; // nothing to do: a long sleep
    b.advance(mins(1)).await;
    b.mention("1", b.now() - mins(40)); // written 40 minutes ago: due at once
    let dispatcher = Dispatcher::new(&b.config, b.store.clone(), Arc::new(b.chat.clone()), |c| {
        c.slack.as_ref()
    })
    .with_wakeup(b.wake.clone());
    assert_eq!(dispatcher.post_pending().await.unwrap(), 1);
    settle().await; // no time passes
    assert_eq!(b.nags().len(), 1, "{:?}", b.chat.lines());
    assert!(b.nags()[0].contains("unanswered for 40m"), "{:?}", b.nags());
    run.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_follow_up_after_an_answer_restarts_the_nag_clock() {
    let b = Bench::new("UTC", NO_ESCALATION, "2026-11-18T10:00:00Z");
    let id = b.alerted("1", b.now());
    let run = b.start(b.scheduler()).await;
    b.advance(mins(30)).await;
    assert_eq!(b.nags().len(), 1);
    let reply = SentReply {
        post_id: "r1".into(),
        url: None,
        text: "We're on it.".into(),
        by: None,
        at: b.now(),
    };
    b.store.record_reply(id, reply).unwrap();
    b.advance(hours(3)).await;
    assert_eq!(b.nags().len(), 1, "answered: quiet");

    // Bob answers the brand's reply: the conversation waits again, from now.
    let follow_up: Post = serde_json::from_value(json!({
        "network": "mastodon", "id": "2", "reply_to": "r1", "text": "still broken", "created_at": b.now(),
        "author": {"handle": "@bob@example.social", "name": "Bob"}
    }))
    .unwrap();
    let joined = b.store.join_conversations(&follow_up, b.now()).unwrap();
    assert!(joined[0].reopened);
    let dispatcher = Dispatcher::new(&b.config, b.store.clone(), Arc::new(b.chat.clone()), |c| {
        c.slack.as_ref()
    })
    .with_wakeup(b.wake.clone());
    let notice = Notice::Changed {
        mention: Box::new(joined[0].mention.clone()),
        note: "Bob answered back and is waiting again".into(),
    };
    dispatcher.apply(&notice).await.unwrap();
    b.advance(mins(29)).await;
    assert_eq!(b.nags().len(), 1);
    b.advance(mins(1)).await;
    assert_eq!(b.nags().len(), 2);
    assert!(b.nags()[1].contains("#1 unanswered for 30m"), "{:?}", b.nags());
    assert_eq!(b.store.mention(id).unwrap().nags, 1, "the count restarted too");
    run.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_restart_in_the_middle_of_a_nag_cycle_repeats_nothing_and_carries_on() {
    let b = Bench::new("UTC", "", "2026-11-18T10:00:00Z");
    let id = b.alerted("1", b.now());
    let first = b.start(b.scheduler()).await;
    b.advance(mins(30)).await;
    b.advance(hours(2)).await;
    assert_eq!(b.nags().len(), 2);
    first.crash().await;

    b.advance(mins(5)).await;
    // The same store, as a restarted process opens it.
    let second = b.start(b.scheduler()).await;
    assert_eq!(b.nags().len(), 2, "the second nag is not repeated: {:?}", b.nags());
    b.advance(hours(2) - mins(5)).await; // 4h30m: the third, escalated
    assert_eq!(b.nags().len(), 3);
    assert!(
        b.nags()[2].starts_with("say C0ALERTS :rotating_light: #1"),
        "{:?}",
        b.nags()
    );
    b.advance(hours(12)).await;
    assert_eq!(b.nags().len(), 3);
    assert_eq!(b.store.mention(id).unwrap().nags, 3);
    second.stop().await;
}

/// A job that records the times it was scheduled for.
fn recording_job(name: &str, schedule: &str, tz: chrono_tz::Tz) -> (Job, Arc<Mutex<Vec<DateTime<Utc>>>>) {
    let runs = Arc::new(Mutex::new(Vec::new()));
    let seen = runs.clone();
    let job = Job::new(name, schedule.parse().unwrap(), tz, move |at| {
        let seen = seen.clone();
        async move { seen.lock().unwrap().push(at) }
    });
    (job, runs)
}

fn runs(r: &Arc<Mutex<Vec<DateTime<Utc>>>>) -> Vec<DateTime<Utc>> {
    r.lock().unwrap().clone()
}

#[tokio::test(start_paused = true)]
async fn a_five_pm_new_york_job_runs_at_22z_in_winter() {
    let b = Bench::new("America/New_York", "", "2026-11-20T12:00:00Z");
    let ran = Arc::new(Mutex::new(Vec::new()));
    let seen = ran.clone();
    let schedule = "0 0 17 * * Mon-Fri".parse().unwrap();
    let jobs = Job::per_brand("nudge", &schedule, &b.config.brands, move |brand, at| {
        let seen = seen.clone();
        async move { seen.lock().unwrap().push((brand, at)) }
    });
    let run = b.start(b.scheduler().with_jobs(jobs)).await;
    b.advance(hours(10) - mins(1)).await;
    assert!(ran.lock().unwrap().is_empty());
    b.advance(mins(1)).await;
    assert_eq!(
        *ran.lock().unwrap(),
        [("Acme".to_string(), utc("2026-11-20T22:00:00Z"))]
    );
    assert_eq!(
        b.store.job_last_run("nudge:Acme").unwrap(),
        Some(utc("2026-11-20T22:00:00Z"))
    );
    b.advance(Duration::days(2)).await; // the weekend
    assert_eq!(ran.lock().unwrap().len(), 1);
    run.stop().await;
}

/// Steps both clocks by ten minutes until `until`.
async fn walk(b: &Bench, until: &str) {
    while b.now() < utc(until) {
        b.advance(mins(10)).await;
    }
}

#[tokio::test(start_paused = true)]
async fn a_job_at_two_thirty_berlin_survives_both_dst_changes_once_each() {
    let b = Bench::new("Europe/Berlin", "", "2026-03-28T12:00:00Z");
    let (job, ran) = recording_job("night", "0 30 2 * * *", chrono_tz::Europe::Berlin);
    let run = b.start(b.scheduler().with_job(job)).await;
    walk(&b, "2026-03-30T12:00:00Z").await;
    // 02:30 did not exist on the 29th: it ran at 03:00 CEST, the end of the gap.
    assert_eq!(runs(&ran), [utc("2026-03-29T01:00:00Z"), utc("2026-03-30T00:30:00Z")]);

    b.advance(utc("2026-10-24T12:00:00Z") - b.now()).await;
    ran.lock().unwrap().clear();
    walk(&b, "2026-10-26T12:00:00Z").await;
    // 02:30 happened twice on the 25th (CEST, then CET): it ran at the first only.
    assert_eq!(runs(&ran), [utc("2026-10-25T00:30:00Z"), utc("2026-10-26T01:30:00Z")]);
    run.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_restart_after_a_run_does_not_repeat_it() {
    let b = Bench::new("UTC", "", "2026-11-20T16:00:00Z");
    let (job, ran) = recording_job("digest", "0 0 17 * * *", chrono_tz::UTC);
    let first = b.start(b.scheduler().with_job(job.clone())).await;
    b.advance(hours(1)).await;
    assert_eq!(runs(&ran), [utc("2026-11-20T17:00:00Z")]);
    first.crash().await;
    b.advance(mins(10)).await;
    let second = b.start(b.scheduler().with_job(job)).await;
    assert_eq!(runs(&ran).len(), 1, "not repeated after the restart");
    b.advance(hours(24)).await;
    assert_eq!(runs(&ran), [utc("2026-11-20T17:00:00Z"), utc("2026-11-21T17:00:00Z")]);
    second.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_run_missed_while_down_is_made_up_within_the_grace_window_only() {
    for (down_until, made_up) in [("2026-11-20T17:20:00Z", true), ("2026-11-20T18:30:00Z", false)] {
        let b = Bench::new("UTC", "", "2026-11-20T16:00:00Z");
        let (job, ran) = recording_job("digest", "0 0 17 * * *", chrono_tz::UTC);
        let first = b.start(b.scheduler().with_job(job.clone())).await;
        b.advance(mins(30)).await;
        first.crash().await; // down from 16:30
        b.advance(utc(down_until) - b.now()).await;
        let second = b.start(b.scheduler().with_job(job)).await;
        let expected = if made_up {
            vec![utc("2026-11-20T17:00:00Z")]
        } else {
            vec![]
        };
        assert_eq!(runs(&ran), expected, "back at {down_until}");
        b.advance(hours(1)).await;
        assert_eq!(runs(&ran), expected, "once only");
        second.stop().await;
    }
}
