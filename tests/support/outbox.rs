//! Crash injection for publisher tests: leave an outbox intent pending after its network call,
//! as a crash between the call and recording the result would.

use talkback::domain::{ChatUser, MentionId, Network};
use talkback::publish::{Publisher, Reply};
use talkback::store::{OutboxEntry, OutboxState, Store};

/// Stores a pending intent keyed `key` and publishes it directly, bypassing the outbox, so the
/// reply exists on the network while the store still says "pending".
pub async fn crash_after_the_call(
    store: &Store,
    publisher: &dyn Publisher,
    mention: MentionId,
    network: Network,
    in_reply_to: &str,
    text: &str,
) {
    let entry = OutboxEntry {
        key: "k1".into(),
        mention,
        network,
        in_reply_to: in_reply_to.into(),
        text: text.into(),
        requested_by: ChatUser::new("slack", "U1"),
        requested_at: chrono::Utc::now(),
        state: OutboxState::Pending,
        attempts: 0,
    };
    store.outbox_intent(entry).await.unwrap();
    let reply = Reply {
        key: "k1".into(),
        network,
        in_reply_to: in_reply_to.into(),
        text: text.into(),
        to_author: None,
    };
    publisher.publish(&reply).await.unwrap();
}
