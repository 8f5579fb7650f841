use chrono::{DateTime, TimeZone, Utc};

use super::*;
use crate::domain::{ChatUser, MentionId, Network, Post};

fn t(min: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 10, 0, 0).unwrap() + chrono::Duration::minutes(min)
}

fn post(id: &str, reply_to: Option<&str>) -> Post {
    Post {
        network: Network::Mastodon,
        id: id.into(),
        url: None,
        author: None,
        title: None,
        text: format!("post {id}"),
        created_at: None,
        reply_to: reply_to.map(str::to_string),
        lang: None,
        repost_of: None,
    }
}

fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let s = Store::open(&dir.path().join("db")).unwrap();
    (dir, s)
}

fn new_id(i: Ingested) -> MentionId {
    match i {
        Ingested::New(m) => m.id,
        Ingested::Duplicate(id) => panic!("unexpected duplicate {id}"),
    }
}

#[test]
fn ids_are_short_unique_and_increasing_and_posts_dedupe_per_brand() {
    let (_d, s) = store();
    let a = new_id(s.insert_mention("Acme", &post("1", None), None, false, t(0)).unwrap());
    let b = new_id(s.insert_mention("Acme", &post("2", None), None, false, t(1)).unwrap());
    let c = new_id(s.insert_mention("Globex", &post("1", None), None, false, t(2)).unwrap());
    assert_eq!((a, b, c), (MentionId(1), MentionId(2), MentionId(3)));
    assert!(matches!(
        s.insert_mention("acme", &post("1", None), None, false, t(3)).unwrap(),
        Ingested::Duplicate(MentionId(1))
    ));
    assert_eq!(s.pending_alerts().unwrap().len(), 3);
}

#[test]
fn lifecycle_new_open_claim_snooze_dismiss() {
    let (_d, s) = store();
    let id = new_id(s.insert_mention("Acme", &post("1", None), None, false, t(0)).unwrap());
    let msg = MessageRef {
        platform: "console".into(),
        channel: "c".into(),
        id: "1".into(),
        group: vec![],
    };
    let m = s.mark_alerted(id, msg).unwrap();
    assert_eq!(m.state, MentionState::Open);
    assert!(s.pending_alerts().unwrap().is_empty());
    let ann = ChatUser::new("slack", "U1");
    let bob = ChatUser::new("slack", "U2");
    s.update(id, |m| m.claim(&ann, t(1))).unwrap();
    let err = s.update(id, |m| m.claim(&bob, t(2))).unwrap_err();
    assert!(err.to_string().contains("already claimed by slack:U1"), "{err}");
    s.update(id, |m| m.snooze(&bob, t(60), t(2))).unwrap();
    assert!(s.mention(id).unwrap().is_snoozed(t(30)));
    s.update(id, |m| m.dismiss(&bob, Some("spam".into()), t(3))).unwrap();
    let err = s.update(id, |m| m.claim(&bob, t(4))).unwrap_err();
    assert!(err.to_string().contains("dismissed (spam)"), "{err}");
    let m = s.mention(id).unwrap();
    assert_eq!(m.state, MentionState::Dismissed);
    assert_eq!(m.history.len(), 3);
}

#[test]
fn follow_ups_join_the_conversation_once_and_reopen_answered_mentions() {
    let (_d, s) = store();
    let id = new_id(s.insert_mention("Acme", &post("1", None), None, false, t(0)).unwrap());
    let reply = SentReply {
        post_id: "r1".into(),
        url: None,
        text: "hi".into(),
        by: None,
        at: t(5),
    };
    let m = s.record_reply(id, reply).unwrap();
    assert_eq!(m.state, MentionState::Answered);
    assert_eq!(m.first_response_at, Some(t(5)));
    // The customer answers the brand's reply: the mention waits again.
    let joined = s.join_conversations(&post("2", Some("r1")), t(10)).unwrap();
    assert_eq!(joined.len(), 1);
    assert!(joined[0].reopened);
    assert_eq!(joined[0].mention.state, MentionState::Open);
    assert_eq!(joined[0].mention.waiting_since, t(10));
    assert_eq!(joined[0].mention.reply_target().id, "2");
    // Seen again (restart, second source): nothing changes.
    assert!(s.join_conversations(&post("2", Some("r1")), t(11)).unwrap().is_empty());
    // A reply to the follow-up joins too.
    assert_eq!(s.join_conversations(&post("3", Some("2")), t(12)).unwrap().len(), 1);
    assert!(s
        .join_conversations(&post("4", Some("unknown")), t(12))
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn outbox_intents_are_unique_by_key() {
    let (_d, s) = store();
    let entry = OutboxEntry {
        key: "k1".into(),
        mention: MentionId(1),
        network: Network::Replay,
        in_reply_to: "1".into(),
        text: "hello".into(),
        requested_by: ChatUser::new("console", "op"),
        requested_at: t(0),
        state: OutboxState::Pending,
        attempts: 0,
    };
    let (_, fresh) = s.outbox_intent(entry.clone()).await.unwrap();
    assert!(fresh);
    let (existing, fresh) = s
        .outbox_intent(OutboxEntry {
            text: "other".into(),
            ..entry
        })
        .await
        .unwrap();
    assert!(!fresh);
    assert_eq!(existing.text, "hello");
    assert_eq!(s.outbox_pending().unwrap().len(), 1);
}

#[tokio::test]
async fn export_import_round_trips_everything() {
    let (_d, s) = store();
    let id = new_id(s.insert_mention("Acme", &post("1", None), None, false, t(0)).unwrap());
    new_id(s.insert_mention("Acme", &post("2", None), None, false, t(1)).unwrap());
    s.record_reply(
        id,
        SentReply {
            post_id: "r1".into(),
            url: None,
            text: "hi".into(),
            by: None,
            at: t(5),
        },
    )
    .unwrap();
    s.set_cursor("replay", "42").await.unwrap();
    s.audit(
        t(5),
        Some(&ChatUser::new("console", "op")),
        "reply",
        Some(id),
        Some("hi".into()),
        "ok",
    )
    .unwrap();
    s.record_activity(&ActivityEntry {
        brand: "Acme".into(),
        network: Network::Mastodon,
        post_id: "r1".into(),
        kind: ActivityKind::Reply,
        at: t(5),
        via_talkback: true,
    })
    .unwrap();
    let mut first = Vec::new();
    s.export(&mut first).unwrap();

    let (_d2, copy) = store();
    let n = copy.import(&mut first.as_slice()).await.unwrap();
    assert_eq!(n, 6);
    let mut second = Vec::new();
    copy.export(&mut second).unwrap();
    assert_eq!(
        String::from_utf8(first.clone()).unwrap(),
        String::from_utf8(second).unwrap()
    );
    // Indexes were rebuilt: dedupe, threads, pending queue and id allocation all still work.
    assert!(matches!(
        copy.insert_mention("Acme", &post("1", None), None, false, t(9))
            .unwrap(),
        Ingested::Duplicate(_)
    ));
    assert_eq!(copy.join_conversations(&post("9", Some("r1")), t(9)).unwrap().len(), 1);
    assert_eq!(copy.pending_alerts().unwrap().len(), 2);
    assert_eq!(
        new_id(
            copy.insert_mention("Acme", &post("3", None), None, false, t(9))
                .unwrap()
        ),
        MentionId(3)
    );
    // Importing into a store that holds data is refused.
    assert!(matches!(
        copy.import(&mut first.as_slice()).await,
        Err(StoreError::NotEmpty(_))
    ));
}

#[tokio::test]
async fn bad_import_lines_name_their_line() {
    let (_d, s) = store();
    let input = b"{\"type\":\"meta\",\"next_mention_id\":1}\nnot json\n";
    let err = s.import(&mut input.as_slice()).await.unwrap_err();
    assert!(err.to_string().starts_with("import: line 2:"), "{err}");
}

fn alert(id: &str) -> MessageRef {
    MessageRef {
        platform: "console".into(),
        channel: "c".into(),
        id: id.into(),
        group: vec![],
    }
}

fn outbox(key: &str, state: OutboxState) -> OutboxEntry {
    OutboxEntry {
        key: key.into(),
        mention: MentionId(1),
        network: Network::Mastodon,
        in_reply_to: "1".into(),
        text: "hello".into(),
        requested_by: ChatUser::new("console", "op"),
        requested_at: t(0),
        state,
        attempts: 1,
    }
}

#[tokio::test]
async fn retention_forgets_only_what_was_idle_since_before_the_cutoff() {
    let (_d, s) = store();
    let op = ChatUser::new("slack", "U1");
    let day = |n: i64| t(n * 24 * 60);
    // 1: open, nothing since day 0. 2: answered on day 0, with a follow-up in its thread index.
    // 3: never alerted. 4: snoozed until day 40. 5: dismissed on day 35. 6: received on day 31.
    let ids: Vec<MentionId> = ["1", "2", "3", "4", "5"]
        .iter()
        .map(|p| new_id(s.insert_mention("Acme", &post(p, None), None, false, day(0)).unwrap()))
        .collect();
    let late = new_id(
        s.insert_mention("Acme", &post("6", None), None, false, day(31))
            .unwrap(),
    );
    for id in [ids[0], ids[1], ids[3], ids[4], late] {
        s.mark_alerted(id, alert(&id.0.to_string())).unwrap();
    }
    let reply = SentReply {
        post_id: "r2".into(),
        url: None,
        text: "hi".into(),
        by: Some(op.clone()),
        at: day(0),
    };
    s.record_reply(ids[1], reply).unwrap();
    s.join_conversations(&post("f2", Some("r2")), day(0)).unwrap();
    s.update(ids[3], |m| m.snooze(&op, day(40), day(0))).unwrap();
    s.update(ids[4], |m| m.dismiss(&op, None, day(35))).unwrap();
    s.audit(day(0), Some(&op), "reply", Some(ids[1]), None, "ok").unwrap();
    s.audit(day(32), Some(&op), "claim", Some(late), None, "ok").unwrap();
    let sent = |at| OutboxState::Sent {
        post_id: "r".into(),
        url: None,
        at,
    };
    for (key, state) in [
        ("old-sent", sent(day(0))),
        ("new-sent", sent(day(31))),
        ("old-pending", OutboxState::Pending),
    ] {
        s.outbox_intent(outbox(key, state)).await.unwrap();
    }
    for (post_id, at) in [("r2", day(0)), ("b9", day(33))] {
        s.record_activity(&ActivityEntry {
            brand: "Acme".into(),
            network: Network::Mastodon,
            post_id: post_id.into(),
            kind: ActivityKind::Reply,
            at,
            via_talkback: true,
        })
        .unwrap();
    }

    let pruned = s.prune_and_flush(day(30)).await.unwrap();
    assert_eq!(
        pruned,
        Pruned {
            mentions: 2,
            outbox: 1,
            audit: 1,
            activity: 1
        }
    );
    for gone in [ids[0], ids[1]] {
        assert!(matches!(s.mention(gone), Err(StoreError::NoSuchMention(_))), "{gone}");
    }
    for kept in [ids[2], ids[3], ids[4], late] {
        s.mention(kept).unwrap_or_else(|e| panic!("{kept}: {e}"));
    }
    // The indexes went with them: no conversation holds their posts, and the same post seen
    // again is news.
    for p in ["2", "r2", "f2"] {
        assert!(s.conversations_of(Network::Mastodon, p).unwrap().is_empty(), "{p}");
    }
    assert!(matches!(
        s.insert_mention("Acme", &post("1", None), None, false, day(36))
            .unwrap(),
        Ingested::New(_)
    ));
    assert!(matches!(
        s.insert_mention("Acme", &post("4", None), None, false, day(36)).unwrap(),
        Ingested::Duplicate(id) if id == ids[3]
    ));
    let keys: Vec<String> = s.outbox_all().unwrap().into_iter().map(|e| e.key).collect();
    assert_eq!(keys, ["new-sent", "old-pending"]);
    assert_eq!(s.audit_log(None).unwrap().len(), 1);
    assert!(!s.is_own_post(Network::Mastodon, "r2").unwrap());
    assert!(s.is_own_post(Network::Mastodon, "b9").unwrap());
    // A second pass has nothing left to do.
    assert!(s.prune_and_flush(day(30)).await.unwrap().is_empty());
}
