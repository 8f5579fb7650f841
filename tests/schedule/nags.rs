//! Nags: first at `first_after`, repeats up to `max`, escalation naming the claimer, business
//! hours over a weekend, snooze, answered and dismissed, wake-ups, follow-ups and restarts.

use std::sync::Arc;

use serde_json::json;
use talkback::chat::Dispatcher;
use talkback::domain::{ChatUser, Post};
use talkback::pipeline::Notice;
use talkback::store::SentReply;

use crate::bench::{hours, mins, settle, utc, Bench};

pub const NO_ESCALATION: &str =
    "[nag]\nfirst_after = \"30m\"\nrepeat_every = \"2h\"\nmax = 3\nescalate_after = \"1d\"\n";

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
        ["thread 1 🔔 #1 unanswered for 30m: Bob (@bob@example.social) is waiting for a reply. `reply 1 <text>` · `claim 1` · `snooze 1 1h`"]
    );
    b.advance(hours(2) - mins(1)).await;
    assert_eq!(b.nags().len(), 1);
    b.advance(mins(1)).await;
    assert_eq!(b.nags().len(), 2);
    assert!(
        b.nags()[1].starts_with("thread 1 🔔 #1 unanswered for 2h30m"),
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
