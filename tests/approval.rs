//! The approval flow: with `team.approvers` set, a replier who is not an approver drafts, an
//! approver sends the draft with one command, and everyone else is refused.

mod support;

use std::sync::Arc;

use serde_json::json;
use support::recording_chat::RecordingChat;
use talkback::chat::Commands;
use talkback::clock::SystemClock;
use talkback::config::TeamConfig;
use talkback::domain::{ChatUser, Post};
use talkback::publish::{Outbox, ReplayPublisher};
use talkback::store::{MessageRef, Store};

#[tokio::test]
async fn drafts_wait_for_an_approver_and_go_out_once_approved() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let clock = Arc::new(SystemClock);
    let outbox = Outbox::new(store.clone(), clock.clone()).with_replay(Arc::new(ReplayPublisher::new(dir.path())));
    let chat = RecordingChat::default();
    let (ann, boss, eve) = (
        ChatUser::new("slack", "ANN"),
        ChatUser::new("slack", "BOSS"),
        ChatUser::new("slack", "EVE"),
    );
    let team = TeamConfig {
        repliers: vec![ann.clone()],
        approvers: vec![boss.clone()],
    };
    let commands = Commands::new(
        store.clone(),
        Arc::new(outbox),
        clock,
        Arc::new(chat.clone()),
        team,
        vec!["Acme".into()],
    );
    let post: Post = serde_json::from_value(json!({"network": "mastodon", "id": "1", "text": "acme?"})).unwrap();
    store
        .insert_mention("Acme", &post, None, true, chrono::Utc::now())
        .unwrap();
    let msg = MessageRef {
        platform: "test".into(),
        channel: "C".into(),
        id: "1".into(),
        group: vec![],
    };
    store.mark_alerted(talkback::domain::MentionId(1), msg).unwrap();
    let replies = || {
        std::fs::read_to_string(dir.path().join("replies.jsonl"))
            .unwrap_or_default()
            .lines()
            .count()
    };

    let answer = commands.run(&ann, "reply 1 Yes we do!").await;
    assert!(answer.contains("is a draft until an approver sends it"), "{answer}");
    assert_eq!(replies(), 0);
    assert!(chat
        .lines()
        .iter()
        .any(|l| l.contains("reply drafted by slack:ANN, waiting for an approver (slack:BOSS): Yes we do!")));

    assert!(commands.run(&eve, "reply 1 hi").await.contains("`team.repliers`"));
    assert!(commands
        .run(&ann, "approve 1")
        .await
        .contains("Only the chat users in `team.approvers`"));
    assert_eq!(replies(), 0);

    let sent = commands.run(&boss, "approve 1").await;
    assert!(sent.starts_with("Replied to #1"), "{sent}");
    assert_eq!(replies(), 1);
    assert!(commands.run(&boss, "approve 1").await.contains("has no draft waiting"));
    let m = store.mention(talkback::domain::MentionId(1)).unwrap();
    assert!(m.drafts.is_empty());
    assert_eq!(m.replies[0].text, "Yes we do!");
    let actions: Vec<String> = store
        .audit_log(None)
        .unwrap()
        .into_iter()
        .map(|a| format!("{} {}", a.action, a.result))
        .collect();
    assert!(
        actions.contains(&"draft ok: waiting for approval".to_string()),
        "{actions:?}"
    );
    assert!(actions.iter().any(|a| a.starts_with("reply refused")), "{actions:?}");
    assert!(actions.iter().any(|a| a.starts_with("approve refused")), "{actions:?}");
    assert!(actions.iter().any(|a| a.starts_with("reply ok")), "{actions:?}");
}
