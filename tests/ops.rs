//! Source health is reported in chat: failing, silent, and recovered.

mod support;

use std::path::Path;
use std::sync::Arc;

use chrono::{TimeZone, Utc};
use support::recording_chat::RecordingChat;
use talkback::chat::ChannelRef;
use talkback::clock::ManualClock;
use talkback::config::{Config, Needs};
use talkback::ops::HealthWatch;
use talkback::sources::Health;

#[test]
fn failing_silent_and_recovered_sources_are_said_once_each() {
    let cfg = Config::from_str(
        Path::new("t.toml"),
        "[[brands]]\nname = \"Acme\"\nquery = \"acme\"\n\n[[sources]]\nkind = \"hackernews\"\nsilent_after = \"2h\"\n\n[[sources]]\nkind = \"replay\"\npath = \"p.jsonl\"\n",
        Needs::Everything,
        &|_| None,
    )
    .unwrap();
    let t0 = Utc.with_ymd_and_hms(2026, 11, 20, 10, 0, 0).unwrap();
    let clock = ManualClock::new(t0);
    use talkback::clock::Clock;
    let health = Health::default();
    let chat = RecordingChat::default();
    let mut watch = HealthWatch::new(
        health.clone(),
        cfg.sources.clone(),
        Arc::new(chat.clone()),
        ChannelRef("ops".into()),
        Arc::new(clock.clone()),
    );
    health.ok("hackernews/q/acme", 3, t0);
    assert!(watch.check().is_empty());

    for _ in 0..5 {
        health.failed("hackernews/q/acme", "HTTP 500 Internal Server Error", t0);
    }
    let notes = watch.check();
    assert_eq!(notes.len(), 1);
    assert!(
        notes[0].contains("`hackernews/q/acme` has failed 5 times in a row: HTTP 500"),
        "{notes:?}"
    );
    assert!(watch.check().is_empty(), "said once");

    health.ok("hackernews/q/acme", 0, t0);
    let notes = watch.check();
    assert!(notes[0].contains("`hackernews` is working again"), "{notes:?}");

    clock.advance(chrono::Duration::hours(3));
    let notes = watch.check();
    assert_eq!(notes.len(), 1);
    assert!(
        notes[0].contains("`hackernews` has brought no posts for over 2h"),
        "{notes:?}"
    );
    health.ok("hackernews/q/acme", 1, clock.now());
    assert!(watch.check()[0].contains("working again"));
}
