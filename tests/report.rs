//! Reports (design §7): the broadcast nudge's four must-show cases, the digest's numbers and
//! median, stats per local day across a timezone boundary with p50/p90, the `stats`, `digest`
//! and `nudge` chat commands, and `talkback stats` on a store filled here. Time is a ManualClock.

mod support;

use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::json;
use support::recording_chat::RecordingChat;
use talkback::chat::{ChannelRoutes, Commands};
use talkback::clock::ManualClock;
use talkback::config::{BrandConfig, Config, Needs, TeamConfig};
use talkback::domain::{ChatUser, MentionId, Network, Post};
use talkback::publish::{Outbox, ReplayPublisher};
use talkback::report::{self, NudgeKind, Reports};
use talkback::store::{ActivityEntry, ActivityKind, MessageRef, SentReply, Store};

/// Friday 20 November 2026, 16:00 UTC: 17:00 in Berlin, 11:00 in New York.
fn now() -> DateTime<Utc> {
    utc(20, 16, 0)
}

/// A time in November 2026, UTC.
fn utc(day: u32, h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, day, h, m, 0).unwrap()
}

struct Fx {
    dir: tempfile::TempDir,
    store: Store,
    clock: ManualClock,
    chat: RecordingChat,
    cfg: Config,
    own: u32,
}

impl Fx {
    fn new(tz: &str, min_reply_share: f64) -> Fx {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("store")).unwrap();
        let text = format!(
            "[store]\npath = \"store\"\n\n[[brands]]\nname = \"Acme\"\nquery = \"acme\"\nchannel = \"alerts\"\ntimezone = \"{tz}\"\n\n\
             [channels.alerts]\nslack = \"#acme-mentions\"\n\n[nudge]\nmin_reply_share = {min_reply_share}\n"
        );
        let cfg = Config::from_str(&dir.path().join("talkback.toml"), &text, Needs::BrandsOnly, &|_| None)
            .unwrap_or_else(|e| panic!("{e}"));
        Fx {
            dir,
            store,
            clock: ManualClock::new(now()),
            chat: RecordingChat::default(),
            cfg,
            own: 0,
        }
    }

    fn brand(&self) -> &BrandConfig {
        &self.cfg.brands[0]
    }

    /// An open mention of `brand`, asked at `asked` and seen at `received`.
    fn mention_of(
        &self,
        brand: &str,
        author: &str,
        text: &str,
        asked: DateTime<Utc>,
        received: DateTime<Utc>,
    ) -> MentionId {
        let n = self.store.all_mentions().count() + 1;
        let post: Post = serde_json::from_value(json!({
            "network": "mastodon", "id": format!("p{n}"), "text": text,
            "author": {"handle": author}, "created_at": asked,
        }))
        .unwrap();
        let m = self.store.insert_mention(brand, &post, None, true, received).unwrap();
        let talkback::store::Ingested::New(m) = m else {
            panic!("duplicate")
        };
        let msg = MessageRef {
            platform: "test".into(),
            channel: "C".into(),
            id: m.id.0.to_string(),
            group: vec![],
        };
        self.store.mark_alerted(m.id, msg).unwrap();
        m.id
    }

    fn mention(&self, author: &str, text: &str, asked: DateTime<Utc>) -> MentionId {
        self.mention_of("Acme", author, text, asked, asked)
    }

    fn answer(&self, id: MentionId, at: DateTime<Utc>) {
        let reply = SentReply {
            post_id: format!("r{}", id.0),
            url: None,
            text: "thanks".into(),
            by: None,
            at,
        };
        self.store.record_reply(id, reply).unwrap();
    }

    fn dismiss(&self, id: MentionId) {
        let who = ChatUser::new("slack", "U1");
        self.store.update(id, |m| m.dismiss(&who, None, now())).unwrap();
    }

    fn snooze(&self, id: MentionId, until: DateTime<Utc>) {
        let who = ChatUser::new("slack", "U1");
        self.store.update(id, |m| m.snooze(&who, until, now())).unwrap();
    }

    /// One own post of Acme's in the activity ledger.
    fn own(&mut self, kind: ActivityKind, at: DateTime<Utc>) {
        self.own += 1;
        let entry = ActivityEntry {
            brand: "Acme".into(),
            network: Network::Bluesky,
            post_id: format!("own{}", self.own),
            kind,
            at,
            via_talkback: false,
        };
        assert!(self.store.record_activity(&entry).unwrap());
    }

    fn owns(&mut self, kind: ActivityKind, n: u32) {
        for i in 0..n {
            self.own(kind, utc(20, 8, i));
        }
    }

    fn nudge(&self) -> Option<report::Nudge> {
        report::nudge(&self.store, self.brand(), &self.cfg.nudge, now()).unwrap()
    }

    fn reports(&self) -> Arc<Reports> {
        let routes = ChannelRoutes::new(&self.cfg, |c| c.slack.as_ref());
        let clock = Arc::new(self.clock.clone());
        Arc::new(Reports::new(
            &self.cfg,
            self.store.clone(),
            clock,
            Arc::new(self.chat.clone()),
            routes,
        ))
    }

    fn commands(&self) -> Commands {
        let clock = Arc::new(self.clock.clone());
        let outbox = Arc::new(Outbox::new(self.store.clone(), clock.clone()));
        let chat = Arc::new(self.chat.clone());
        Commands::new(
            self.store.clone(),
            outbox,
            clock,
            chat,
            TeamConfig::default(),
            vec!["Acme".into()],
        )
        .with_reports(self.reports())
    }
}

#[test]
fn five_broadcasts_and_no_reply_only_broadcast_today_with_the_oldest_open_mentions() {
    let mut fx = Fx::new("Europe/Berlin", 0.3);
    fx.owns(ActivityKind::Broadcast, 5);
    let oldest = fx.mention(
        "@old@example.social",
        "acme, is anyone there? Billing page is down",
        utc(19, 10, 0),
    );
    let snoozed = fx.mention("@sleepy@example.social", "acme later please", utc(20, 9, 0));
    fx.snooze(snoozed, utc(21, 9, 0));
    let second = fx.mention("@ana@example.social", "acme: how do I export my data?", utc(20, 10, 0));
    let answered = fx.mention("@bo@example.social", "acme rocks", utc(20, 11, 0));
    fx.answer(answered, utc(20, 11, 30));
    let third = fx.mention("@cy@example.social", "does acme support IPv6?", utc(20, 12, 0));
    let fourth = fx.mention("@di@example.social", "acme pricing?", utc(20, 13, 0));

    let n = fx.nudge().expect("a nudge");
    assert_eq!(n.kind, NudgeKind::OnlyBroadcast);
    let ids: Vec<MentionId> = n.worth_answering.iter().map(|i| i.id).collect();
    assert_eq!(
        ids,
        vec![oldest, second, third],
        "oldest first, never snoozed, at most three"
    );
    let text = n.render();
    assert!(
        text.starts_with("Acme only broadcast today: 5 broadcasts, 0 replies."),
        "{text}"
    );
    for needle in [
        "#1  @old@example.social  1d ago  \"acme, is anyone there? Billing page is down\"",
        "#3  @ana@example.social  6h ago  \"acme: how do I export my data?\"",
        "#5  @cy@example.social  4h ago  \"does acme support IPv6?\"",
    ] {
        assert!(text.contains(needle), "{needle}\n{text}");
    }
    for absent in [snoozed, answered, fourth] {
        assert!(!text.contains(&format!("{absent} ")), "{absent} listed:\n{text}");
    }
}

#[tokio::test]
async fn five_broadcasts_and_one_reply_through_talkback_get_the_gentle_line() {
    let mut fx = Fx::new("Europe/Berlin", 0.3);
    fx.owns(ActivityKind::Broadcast, 5);
    let id = fx.mention("@ana@example.social", "acme: how do I export my data?", utc(20, 10, 0));
    // The reply goes out through the outbox, which must put it in the ledger as a reply.
    let outbox = Outbox::new(fx.store.clone(), Arc::new(fx.clock.clone()))
        .with_replay(Arc::new(ReplayPublisher::new(fx.dir.path())));
    let mention = fx.store.mention(id).unwrap();
    outbox
        .send(&mention, "Settings → Export", &ChatUser::new("slack", "U1"))
        .await
        .unwrap();
    let ledger = fx.store.activity(Some("Acme")).unwrap();
    let sent: Vec<&ActivityEntry> = ledger.iter().filter(|e| e.via_talkback).collect();
    assert_eq!(sent.len(), 1, "{ledger:?}");
    assert_eq!((sent[0].kind, sent[0].at), (ActivityKind::Reply, now()));

    let n = fx.nudge().expect("a nudge");
    assert_eq!(n.kind, NudgeKind::FewReplies);
    assert_eq!(
        (n.activity.broadcasts, n.activity.replies, n.activity.via_talkback),
        (5, 1, 1)
    );
    let text = n.render();
    assert!(
        text.starts_with("Acme mostly broadcast today: 5 broadcasts, 1 reply (17% replies; the aim is at least 30%)."),
        "{text}"
    );
    assert!(!text.contains("only broadcast"), "{text}");
}

#[test]
fn two_broadcasts_and_three_replies_or_no_activity_need_no_nudge() {
    let mut fx = Fx::new("Europe/Berlin", 0.3);
    assert_eq!(fx.nudge(), None, "no activity");
    fx.owns(ActivityKind::Share, 3);
    assert_eq!(fx.nudge(), None, "shares alone");
    fx.owns(ActivityKind::Broadcast, 2);
    fx.owns(ActivityKind::Reply, 3);
    assert_eq!(fx.nudge(), None, "2 broadcasts and 3 replies");
}

#[test]
fn shares_never_count_as_replies() {
    let mut fx = Fx::new("UTC", 0.3);
    fx.owns(ActivityKind::Broadcast, 2);
    fx.owns(ActivityKind::Share, 4);
    let n = fx.nudge().expect("a nudge");
    assert_eq!(n.kind, NudgeKind::OnlyBroadcast);
    let text = n.render();
    assert!(
        text.starts_with("Acme only broadcast today: 2 broadcasts, 0 replies, 4 shares."),
        "{text}"
    );
    assert!(text.contains("Nobody is waiting in talkback right now"), "{text}");
}

#[test]
fn the_nudge_counts_the_brands_local_day() {
    let mut fx = Fx::new("Europe/Berlin", 0.3);
    fx.owns(ActivityKind::Broadcast, 3);
    // 23:30 in Berlin on the 19th: yesterday there, whatever UTC says.
    fx.own(ActivityKind::Reply, utc(19, 22, 30));
    assert_eq!(fx.nudge().unwrap().kind, NudgeKind::OnlyBroadcast);
    // 00:30 in Berlin on the 20th, still the 19th in UTC: today.
    fx.own(ActivityKind::Reply, utc(19, 23, 30));
    let n = fx.nudge().unwrap();
    assert_eq!((n.kind, n.activity.replies), (NudgeKind::FewReplies, 1));
}

#[test]
fn the_digest_counts_the_local_day_and_takes_the_median_first_response() {
    let fx = Fx::new("Europe/Berlin", 0.3);
    for (i, minutes) in [10, 30, 50].into_iter().enumerate() {
        let asked = utc(20, 8 + i as u32, 0);
        let id = fx.mention("@happy@example.social", "acme question", asked);
        fx.answer(id, asked + Duration::minutes(minutes));
    }
    let gone = fx.mention("@spam@example.social", "buy acme followers", utc(20, 11, 0));
    fx.dismiss(gone);
    let waiting = fx.mention("@ana@example.social", "acme: still broken", utc(20, 12, 0));
    // Seen at 00:10 in Berlin: today's, though asked (and in UTC) on the 19th.
    let midnight = fx.mention_of(
        "Acme",
        "@owl@example.social",
        "acme at midnight",
        utc(19, 22, 50),
        utc(19, 23, 10),
    );
    // Seen at 23:00 in Berlin on the 19th: yesterday's, still open.
    let old = fx.mention("@old@example.social", "acme??", utc(19, 22, 0));
    fx.mention_of(
        "Globex",
        "@x@example.social",
        "globex and acme",
        utc(20, 9, 0),
        utc(20, 9, 0),
    );

    let d = report::digest(&fx.store, fx.brand(), now()).unwrap();
    assert_eq!(d.day, chrono::NaiveDate::from_ymd_opt(2026, 11, 20).unwrap());
    assert_eq!((d.received, d.answered, d.dismissed, d.still_open), (6, 3, 1, 2));
    assert_eq!(d.open_total, 3);
    assert_eq!(d.median_first_response, Some(Duration::minutes(30)));
    let ids: Vec<MentionId> = d.oldest_open.iter().map(|i| i.id).collect();
    assert_eq!(ids, vec![old, midnight, waiting]);
    let text = d.render();
    for needle in [
        "Daily digest for Acme, Fri 20 Nov 2026",
        "Mentions today: 6 received, 3 answered, 1 dismissed, 2 still open. Median first response: 30m.",
        "Waiting for an answer: 3 in all, oldest first:",
        "#7  @old@example.social  18h ago  \"acme??\"",
    ] {
        assert!(text.contains(needle), "{needle}\n{text}");
    }
}

#[test]
fn a_good_day_gets_a_short_line() {
    let mut fx = Fx::new("Europe/Berlin", 0.3);
    let id = fx.mention("@happy@example.social", "acme question", utc(20, 9, 0));
    fx.answer(id, utc(20, 9, 20));
    fx.own(ActivityKind::Broadcast, utc(20, 10, 0));
    fx.own(ActivityKind::Reply, utc(20, 9, 20));
    let text = report::digest(&fx.store, fx.brand(), now()).unwrap().render();
    assert_eq!(
        text,
        "Daily digest for Acme, Fri 20 Nov 2026: 1 mention, 1 answered, 0 dismissed, nothing open. \
         Median first response: 20m. Own posts: 1 broadcast, 1 reply."
    );
}

#[test]
fn stats_split_days_in_the_brands_timezone_with_p50_and_p90() {
    let mut fx = Fx::new("America/New_York", 0.3);
    fx.own(ActivityKind::Broadcast, utc(20, 3, 0)); // 22:00 on the 19th in New York
    fx.own(ActivityKind::Broadcast, utc(20, 6, 0)); // 01:00 on the 20th
    fx.own(ActivityKind::Reply, utc(18, 12, 0));
    fx.own(ActivityKind::Share, utc(19, 4, 30)); // 23:30 on the 18th
    fx.own(ActivityKind::Broadcast, utc(17, 12, 0)); // before the span
                                                     // Ten answered mentions, first responses 6, 12, … 60 minutes: 4 on the 18th, 3 on the 19th
                                                     // (one of them at 23:00 New York time, the 20th in UTC), 3 on the 20th.
    let received = [
        utc(18, 13, 0),
        utc(18, 14, 0),
        utc(18, 15, 0),
        utc(18, 16, 0),
        utc(19, 13, 0),
        utc(19, 14, 0),
        utc(20, 4, 0),
        utc(20, 13, 0),
        utc(20, 14, 0),
        utc(20, 15, 0),
    ];
    for (i, at) in received.into_iter().enumerate() {
        let id = fx.mention("@a@example.social", "acme?", at);
        fx.answer(id, at + Duration::minutes(6 * (i as i64 + 1)));
    }
    fx.mention("@b@example.social", "acme!", utc(20, 14, 30));
    fx.mention("@c@example.social", "acme!!", utc(20, 15, 30));

    let tz = fx.brand().timezone;
    let s = report::stats(&fx.store, Some("Acme"), 3, now(), tz).unwrap();
    let rows: Vec<(String, u32, u32, u32, u32, u32)> = s
        .days
        .iter()
        .map(|d| {
            (
                d.day.to_string(),
                d.received,
                d.answered,
                d.broadcasts,
                d.replies,
                d.shares,
            )
        })
        .collect();
    assert_eq!(
        rows,
        vec![
            ("2026-11-18".into(), 4, 4, 0, 1, 1),
            ("2026-11-19".into(), 3, 3, 1, 0, 0),
            ("2026-11-20".into(), 5, 3, 1, 0, 0),
        ]
    );
    assert_eq!(s.median_first_response, Some(Duration::minutes(30)));
    assert_eq!(s.p90_first_response, Some(Duration::minutes(54)));
    assert_eq!(s.response_rate(), Some(10.0 / 12.0));
    let counts = s.day_counts();
    assert_eq!((counts[1].broadcasts, counts[2].broadcasts), (1, 1));
    let text = s.render();
    assert!(
        text.starts_with("Stats for Acme, last 3 days (America/New_York)"),
        "{text}"
    );
    assert!(text.contains("Wed 18 Nov"), "{text}");
    assert!(
        text.contains("Response rate: 83% (10 of 12 answered). First response: median 30m, p90 54m."),
        "{text}"
    );
    // The same store in UTC puts the 22:00 broadcast on the 20th.
    let in_utc = report::stats(&fx.store, Some("acme"), 3, now(), chrono_tz::UTC).unwrap();
    assert_eq!((in_utc.days[1].broadcasts, in_utc.days[2].broadcasts), (0, 2));
}

#[tokio::test]
async fn stats_digest_and_nudge_commands_answer_the_asker_and_post_to_the_brand_channel() {
    let mut fx = Fx::new("Europe/Berlin", 0.3);
    fx.owns(ActivityKind::Broadcast, 2);
    fx.owns(ActivityKind::Reply, 2);
    fx.mention("@ana@example.social", "acme: how do I export my data?", utc(20, 10, 0));
    let commands = fx.commands();
    let me = ChatUser::new("slack", "U1");

    let stats = commands.run(&me, "stats").await;
    assert!(
        stats.starts_with("Stats for all brands, last 7 days (Europe/Berlin)"),
        "{stats}"
    );
    let stats = commands.run(&me, "/talkback stats acme 3").await;
    assert!(stats.starts_with("Stats for Acme, last 3 days"), "{stats}");
    assert_eq!(
        commands.run(&me, "stats Nope").await,
        "No brand named `Nope`. Brands: Acme"
    );
    assert!(commands
        .run(&me, "stats Acme 0")
        .await
        .contains("usage: /talkback stats [brand] [days]"));
    assert!(fx.chat.lines().is_empty(), "stats answer only the asker");

    let answer = commands.run(&me, "nudge").await;
    assert_eq!(answer, "No nudge needed for Acme: 2 replies, 2 broadcasts today.");
    assert!(fx.chat.lines().is_empty(), "nothing posted on a good day");

    fx.owns(ActivityKind::Broadcast, 3);
    let answer = commands.run(&me, "nudge").await;
    assert!(
        answer.starts_with(
            "Posted the nudge for Acme to #acme-mentions: Acme mostly broadcast today: 5 broadcasts, 2 replies"
        ),
        "{answer}"
    );
    let lines = fx.chat.lines();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0].starts_with("say #acme-mentions Acme mostly broadcast today"),
        "{lines:?}"
    );
    assert!(lines[0].contains("#1  @ana@example.social  6h ago"), "{lines:?}");

    let answer = commands.run(&me, "digest").await;
    assert_eq!(
        answer,
        "Posted the digest for Acme to #acme-mentions: 1 received, 0 answered, 0 dismissed, 1 open."
    );
    assert!(fx.chat.lines()[1].starts_with("say #acme-mentions Daily digest for Acme, Fri 20 Nov 2026"));
    assert_eq!(
        commands.run(&me, "digest Nope").await,
        "No brand named `Nope`. Brands: Acme"
    );
    let help = commands.run(&me, "help").await;
    for usage in [
        "/talkback stats [brand] [days]",
        "/talkback digest [brand]",
        "/talkback nudge [brand]",
    ] {
        assert!(help.contains(usage), "{help}");
    }
}

#[tokio::test]
async fn the_scheduler_entry_points_run_one_brand_or_all() {
    let mut fx = Fx::new("Europe/Berlin", 0.3);
    fx.owns(ActivityKind::Broadcast, 1);
    let reports = fx.reports();
    let results = reports.run_nudge(Some("ACME")).await.unwrap();
    assert_eq!(results.len(), 1);
    assert_eq!(results[0].delivery, report::Delivery::Posted);
    assert_eq!(results[0].channel.0, "#acme-mentions");
    let all = reports.run_digest(None).await.unwrap();
    assert_eq!(all.len(), 1);
    assert!(reports.run_digest(Some("Globex")).await.is_err());
}

fn talkback() -> assert_cmd::Command {
    let mut c = assert_cmd::Command::cargo_bin("talkback").unwrap();
    c.env_remove("TALKBACK_CONFIG").env("RUST_LOG", "warn");
    c
}

/// A store for the CLI, filled relative to the real time (the binary has its own clock).
async fn fill_cli_store(dir: &Path) {
    let store = Store::open(&dir.join("store")).unwrap();
    let t = Utc::now();
    let post = |id: &str, at: DateTime<Utc>| -> Post {
        serde_json::from_value(json!({"network": "mastodon", "id": id, "text": "acme?", "created_at": at})).unwrap()
    };
    let yesterday = t - Duration::days(1);
    store
        .insert_mention("Acme", &post("1", yesterday), None, false, yesterday)
        .unwrap();
    store
        .insert_mention("Acme", &post("2", yesterday), None, false, yesterday)
        .unwrap();
    let reply = SentReply {
        post_id: "r1".into(),
        url: None,
        text: "hi".into(),
        by: None,
        at: yesterday + Duration::minutes(20),
    };
    store.record_reply(MentionId(1), reply).unwrap();
    for (id, kind) in [("b1", ActivityKind::Broadcast), ("r1", ActivityKind::Reply)] {
        let entry = ActivityEntry {
            brand: "Acme".into(),
            network: Network::Mastodon,
            post_id: id.into(),
            kind,
            at: t,
            via_talkback: false,
        };
        store.record_activity(&entry).unwrap();
    }
    store.flush().await.unwrap();
}

#[tokio::test]
async fn the_stats_command_line_prints_a_table_or_json_lines() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("talkback.toml"),
        "[store]\npath = \"store\"\n\n[[brands]]\nname = \"Acme\"\nquery = \"acme\"\n",
    )
    .unwrap();
    fill_cli_store(dir.path()).await;

    let out = talkback().args(["stats", "--config"]).arg(dir.path()).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("Stats for all brands, last 7 days (UTC)"), "{text}");
    assert_eq!(text.lines().count(), 2 + 7 + 2, "{text}");
    assert!(
        text.contains("Response rate: 50% (1 of 2 answered). First response: median 20m, p90 20m."),
        "{text}"
    );

    let out = talkback()
        .args(["stats", "--brand", "acme", "--days", "3", "--json", "--config"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 4, "{lines:?}");
    assert_eq!(
        (lines[1]["received"].as_u64(), lines[1]["answered"].as_u64()),
        (Some(2), Some(1))
    );
    assert_eq!(
        (lines[2]["broadcasts"].as_u64(), lines[2]["replies"].as_u64()),
        (Some(1), Some(1))
    );
    let summary = &lines[3]["summary"];
    assert_eq!(summary["brand"], "Acme");
    assert_eq!(summary["response_rate"], 0.5);
    assert_eq!(summary["median_first_response_s"], 1200);

    let bad = talkback()
        .args(["stats", "--brand", "Nope", "--config"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("No brand named `Nope`. Brands: Acme"));
    let zero = talkback()
        .args(["stats", "--days", "0", "--config"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(zero.status.code(), Some(2));
}

#[tokio::test]
async fn the_digest_carries_the_weekly_chart_and_a_morning_digest_covers_yesterday() {
    let mut fx = Fx::new("Europe/Berlin", 0.3);
    fx.owns(ActivityKind::Broadcast, 2);
    let id = fx.mention("@ana@example.social", "acme question", utc(20, 9, 0));
    fx.answer(id, utc(20, 9, 45));
    // Saturday 08:00 in Berlin: the morning digest sums up Friday.
    fx.clock.set(utc(21, 7, 0));
    let results = fx.reports().run_digest(None).await.unwrap();
    assert_eq!(results[0].delivery, report::Delivery::Posted);
    let files = fx.chat.files();
    assert_eq!(files.len(), 1);
    let (channel, file) = &files[0];
    assert_eq!(channel, "#acme-mentions");
    assert!(file.bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "a PNG");
    assert!(
        file.name.ends_with(".png") && file.name.contains("2026-11-20"),
        "{}",
        file.name
    );
    assert!(
        file.comment
            .starts_with("Daily digest for Acme, Fri 20 Nov 2026: 1 mention, 1 answered"),
        "{}",
        file.comment
    );
    assert_eq!(
        report::digest_day(utc(21, 7, 0), chrono_tz::Europe::Berlin).to_string(),
        "2026-11-20"
    );
    assert_eq!(
        report::digest_day(utc(21, 16, 0), chrono_tz::Europe::Berlin).to_string(),
        "2026-11-21"
    );
}
