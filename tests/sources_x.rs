//! The X source against a fake X API v2 on 127.0.0.1: recent search with `since_id`, paging with
//! `next_token`, restarts, rate limits, outages, malformed and partial answers, and the
//! own-account watcher. Rounds are driven one at a time through `Poller::round`.

mod support;

use std::collections::HashSet;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};
use support::fake_x::{tweet, Failure, FakeX, SEARCH, TOKEN};
use talkback::clock::{SharedClock, SystemClock};
use talkback::config::{Config, Needs};
use talkback::pipeline::Pipeline;
use talkback::sources::poll::{Backoff, Poller};
use talkback::sources::{x, Health, Setup, Source, SourceContext};
use talkback::store::{ActivityKind, Mention, Store};
use talkback::triage::Triage;
use tokio::sync::watch;

const SEARCH_POLLER: &str = "x/search";
const OWN_POLLER: &str = "x/@acme/tweets";
/// Tweet ids are snowflakes; these tests count up from here.
const B: u64 = 1_860_000_000_000_000_000;
const ALICE: &str = "2244994945";
const BOB: &str = "783214";
const ACME: &str = "1491837205";

struct Harness {
    store: Store,
    cx: SourceContext,
    pollers: Vec<Poller>,
    backoff: Backoff,
    _stop: watch::Sender<bool>,
}

fn env(name: &str) -> Option<String> {
    (name == "X_BEARER_TOKEN").then(|| TOKEN.to_string())
}

fn config(dir: &Path, fake: &FakeX) -> Config {
    let text = format!(
        r#"
[store]
path = "store"

[[brands]]
name = "Acme"
query = '"acme cloud" OR acmecloud'
own_accounts = ["x:@acme"]

[[sources]]
kind = "x"
base_url = "{url}"
bearer_token_env = "X_BEARER_TOKEN"
every = "1m"
"#,
        url = fake.url
    );
    Config::from_str(&dir.join("talkback.toml"), &text, Needs::Everything, &env).unwrap_or_else(|e| panic!("{e}"))
}

async fn harness(dir: &Path, fake: &FakeX) -> Harness {
    let config = config(dir, fake);
    let store = Store::open(&dir.join("store")).unwrap();
    let clock: SharedClock = Arc::new(SystemClock);
    let pipeline = Pipeline::new(&config.brands, Triage::default(), store.clone(), clock.clone());
    let (stop, shutdown) = watch::channel(false);
    let cx = SourceContext {
        store: store.clone(),
        pipeline: Arc::new(pipeline),
        shutdown,
        health: Health::default(),
        clock,
    };
    let setup = Setup {
        source: &config.sources[0],
        brands: &config.brands,
        http: talkback::sources::http::client(),
    };
    let pollers = x::pollers(&setup).unwrap();
    Harness {
        store,
        cx,
        pollers,
        backoff: Backoff::default(),
        _stop: stop,
    }
}

impl Harness {
    async fn round(&mut self, name: &str) -> Duration {
        let names: Vec<String> = self.pollers.iter().map(|p| p.name().to_string()).collect();
        let poller = self
            .pollers
            .iter_mut()
            .find(|p| p.name() == name)
            .unwrap_or_else(|| panic!("no poller {name} in {names:?}"));
        poller.round(&self.cx, &mut self.backoff).await.unwrap()
    }

    fn mentions(&self) -> Vec<Mention> {
        self.store.all_mentions().map(|m| m.unwrap()).collect()
    }

    fn ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self.mentions().into_iter().map(|m| m.post.id).collect();
        ids.sort();
        ids
    }

    fn cursor(&self, name: &str) -> Option<String> {
        self.store.cursor(name).unwrap()
    }

    fn last_error(&self, name: &str) -> Option<String> {
        self.cx.health.snapshot().get(name).and_then(|h| h.last_error.clone())
    }
}

/// Collects what the code under test logs (the test runs on one thread, so a thread-local
/// default subscriber sees everything).
#[derive(Clone, Default)]
struct LogCapture(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for LogCapture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl LogCapture {
    fn subscriber(&self) -> impl tracing::Subscriber + Send + Sync {
        let me = self.clone();
        tracing_subscriber::fmt()
            .with_ansi(false)
            .with_writer(move || me.clone())
            .finish()
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

fn users(fake: &FakeX) {
    fake.add_user(ALICE, "alice", "Alice Example");
    fake.add_user(BOB, "bob", "Bob");
    fake.add_user(ACME, "Acme", "Acme Cloud");
}

/// `n` matching tweets by bob with ids `B + first ..`, oldest first.
fn tweets(first: u64, n: u64) -> Vec<Value> {
    (first..first + n)
        .map(|i| {
            tweet(
                B + i,
                BOB,
                &format!("acmecloud question {i}"),
                "2026-11-20T10:00:00.000Z",
                "en",
                &[],
            )
        })
        .collect()
}

fn id(n: u64) -> String {
    (B + n).to_string()
}

#[tokio::test]
async fn first_poll_reads_recent_search_as_posts() {
    let fake = FakeX::start().await;
    let dir = tempfile::tempdir().unwrap();
    users(&fake);
    fake.publish([
        tweet(
            B + 1,
            ALICE,
            "Does Acme Cloud support IPv6? Q&amp;A &lt;3",
            "2026-11-20T10:00:00.000Z",
            "en",
            &[],
        ),
        tweet(
            B + 2,
            BOB,
            "@carol acmecloud does, since 1.4",
            "2026-11-20T10:01:30.000Z",
            "und",
            &[("replied_to", 77)],
        ),
    ]);
    let mut h = harness(dir.path(), &fake).await;
    assert_eq!(h.round(SEARCH_POLLER).await, Duration::from_secs(60));

    let seen = &fake.seen(SEARCH)[0];
    assert_eq!(seen.authorization.as_deref(), Some(format!("Bearer {TOKEN}").as_str()));
    assert_eq!(seen.query["query"], r#"("acme cloud" OR acmecloud) -is:retweet"#);
    assert_eq!(seen.query["max_results"], "100");
    assert_eq!(
        seen.query["tweet.fields"],
        "created_at,lang,conversation_id,referenced_tweets,author_id,in_reply_to_user_id"
    );
    assert_eq!(seen.query["expansions"], "author_id");
    assert_eq!(seen.query["user.fields"], "username,name");
    assert!(!seen.query.contains_key("since_id"));

    let mentions = h.mentions();
    assert_eq!(mentions.len(), 2);
    let q = &mentions.iter().find(|m| m.post.id == id(1)).unwrap().post;
    assert_eq!(
        q.url.as_deref(),
        Some(format!("https://x.com/alice/status/{}", id(1)).as_str())
    );
    let author = q.author.as_ref().unwrap();
    assert_eq!(
        (author.handle.as_deref(), author.name.as_deref()),
        (Some("@alice"), Some("Alice Example"))
    );
    assert_eq!(q.text, "Does Acme Cloud support IPv6? Q&A <3");
    assert_eq!(q.created_at.unwrap().to_rfc3339(), "2026-11-20T10:00:00+00:00");
    assert_eq!(
        (q.lang.as_deref(), q.reply_to.as_deref(), q.title.as_deref()),
        (Some("en"), None, None)
    );
    let r = &mentions.iter().find(|m| m.post.id == id(2)).unwrap().post;
    assert_eq!(r.reply_to.as_deref(), Some("77"));
    assert_eq!(r.lang, None, "`und` is no language");
    assert_eq!(h.cursor(SEARCH_POLLER), Some(id(2)));
}

#[tokio::test]
async fn a_first_poll_takes_one_page_and_later_polls_page_to_the_end() {
    let fake = FakeX::start().await;
    let dir = tempfile::tempdir().unwrap();
    users(&fake);
    fake.publish(tweets(1, 150));
    let mut h = harness(dir.path(), &fake).await;
    h.round(SEARCH_POLLER).await;
    assert_eq!(fake.seen(SEARCH).len(), 1, "the backlog is not read");
    assert_eq!(h.mentions().len(), 100);
    assert_eq!(h.cursor(SEARCH_POLLER), Some(id(150)));

    fake.publish(tweets(1000, 250));
    h.round(SEARCH_POLLER).await;
    let seen = &fake.seen(SEARCH)[1..];
    assert_eq!(seen.len(), 3);
    assert!(seen.iter().all(|s| s.query["since_id"] == id(150)));
    let tokens: Vec<Option<&str>> = seen
        .iter()
        .map(|s| s.query.get("next_token").map(String::as_str))
        .collect();
    assert_eq!(
        tokens,
        vec![None, Some("b26v89c19zqg8o3f0100"), Some("b26v89c19zqg8o3f0200")]
    );
    assert_eq!(h.mentions().len(), 350);
    assert_eq!(h.cursor(SEARCH_POLLER), Some(id(1249)));

    h.round(SEARCH_POLLER).await;
    assert_eq!(fake.seen(SEARCH).last().unwrap().query["since_id"], id(1249));
    assert_eq!(h.mentions().len(), 350);
}

#[tokio::test]
async fn a_restart_mid_round_resumes_from_since_id_without_gaps_or_duplicates() {
    let fake = FakeX::start().await;
    let dir = tempfile::tempdir().unwrap();
    users(&fake);
    fake.publish(tweets(1, 3));
    {
        let mut h = harness(dir.path(), &fake).await;
        h.round(SEARCH_POLLER).await;
        assert_eq!(h.cursor(SEARCH_POLLER), Some(id(3)));
        fake.publish(tweets(100, 250));
        fake.fail_after(SEARCH, 1, Failure::Status(503, None));
        let wait = h.round(SEARCH_POLLER).await;
        assert!(wait >= Duration::from_secs(2), "backs off: {wait:?}");
        assert_eq!(h.mentions().len(), 103);
        assert_eq!(
            h.cursor(SEARCH_POLLER),
            Some(id(3)),
            "the cursor waits for the last page"
        );
    }
    fake.publish(tweets(5000, 5));
    let mut h = harness(dir.path(), &fake).await;
    h.round(SEARCH_POLLER).await;
    let ids = h.ids();
    assert_eq!(ids.len(), 258, "every post exactly once");
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), 258);
    assert!(fake.seen(SEARCH).iter().skip(3).all(|s| s.query["since_id"] == id(3)));
    assert_eq!(h.cursor(SEARCH_POLLER), Some(id(5004)));
}

#[tokio::test]
async fn a_cursor_older_than_the_search_window_starts_again_from_the_newest_page() {
    let fake = FakeX::start().await;
    let dir = tempfile::tempdir().unwrap();
    users(&fake);
    fake.publish(tweets(1, 2));
    let mut h = harness(dir.path(), &fake).await;
    h.round(SEARCH_POLLER).await;
    // A week later: the cursor fell out of the window.
    fake.publish(tweets(9000, 3));
    fake.set_search_window(B + 5000);
    assert_eq!(h.round(SEARCH_POLLER).await, Duration::from_secs(60));
    assert_eq!(h.ids(), vec![id(1), id(2), id(9000), id(9001), id(9002)]);
    assert_eq!(h.cursor(SEARCH_POLLER), Some(id(9002)));
    assert_eq!(h.cx.health.snapshot()[SEARCH_POLLER].consecutive_failures, 0);
}

#[tokio::test]
async fn a_429_with_retry_after_and_a_spent_budget_are_waited_out() {
    let fake = FakeX::start().await;
    let dir = tempfile::tempdir().unwrap();
    users(&fake);
    fake.publish(tweets(1, 2));
    let mut h = harness(dir.path(), &fake).await;
    fake.fail_next(SEARCH, Failure::Status(429, Some(30)));
    assert_eq!(h.round(SEARCH_POLLER).await, Duration::from_secs(30));
    assert_eq!(h.last_error(SEARCH_POLLER).as_deref(), Some("rate limited"));
    assert!(h.mentions().is_empty());
    assert_eq!(h.cursor(SEARCH_POLLER), None);
    assert_eq!(h.round(SEARCH_POLLER).await, Duration::from_secs(60));
    assert_eq!(h.mentions().len(), 2);

    // The answer that spends the window's last request still counts; the next waits for reset.
    fake.publish(tweets(10, 1));
    fake.set_budget(0, chrono::Utc::now().timestamp() + 300);
    h.round(SEARCH_POLLER).await;
    assert_eq!(h.mentions().len(), 3);
    let before = fake.all_seen().len();
    let wait = h.round(SEARCH_POLLER).await;
    assert!(
        wait > Duration::from_secs(280) && wait <= Duration::from_secs(300),
        "{wait:?}"
    );
    assert_eq!(fake.all_seen().len(), before);
}

#[tokio::test]
async fn a_500_backs_off_and_the_next_round_recovers() {
    let fake = FakeX::start().await;
    let dir = tempfile::tempdir().unwrap();
    users(&fake);
    fake.publish(tweets(1, 2));
    let mut h = harness(dir.path(), &fake).await;
    fake.fail_next(SEARCH, Failure::Status(500, None));
    let wait = h.round(SEARCH_POLLER).await;
    assert!(
        wait >= Duration::from_secs(2) && wait <= Duration::from_secs(4),
        "{wait:?}"
    );
    assert!(h.last_error(SEARCH_POLLER).unwrap().contains("500"));
    assert!(h.mentions().is_empty());
    assert_eq!(h.round(SEARCH_POLLER).await, Duration::from_secs(60));
    assert_eq!(h.mentions().len(), 2);
    assert_eq!(h.cx.health.snapshot()[SEARCH_POLLER].consecutive_failures, 0);
}

#[tokio::test]
async fn malformed_json_is_skipped_partial_errors_keep_the_data() {
    let fake = FakeX::start().await;
    let dir = tempfile::tempdir().unwrap();
    users(&fake);
    let mut batch = tweets(1, 2);
    // A tweet without its text, between two good ones.
    batch.insert(
        1,
        json!({"id": id(50), "author_id": BOB, "created_at": "2026-11-20T10:00:00.000Z"}),
    );
    fake.publish(batch);
    let mut h = harness(dir.path(), &fake).await;
    let logs = LogCapture::default();
    let guard = tracing::subscriber::set_default(logs.subscriber());
    h.round(SEARCH_POLLER).await;
    assert_eq!(h.ids(), vec![id(1), id(2)]);
    let logged = logs.text();
    assert!(
        logged.contains("skipping a malformed item") && logged.contains(SEARCH_POLLER),
        "{logged}"
    );

    // A body cut off mid-JSON: a failed round, then the source goes on.
    fake.publish(tweets(100, 1));
    fake.fail_next(SEARCH, Failure::Malformed);
    assert!(h.round(SEARCH_POLLER).await >= Duration::from_secs(2));
    assert!(h.last_error(SEARCH_POLLER).unwrap().contains("malformed JSON"));
    h.round(SEARCH_POLLER).await;
    assert_eq!(h.ids(), vec![id(1), id(2), id(100)]);

    // `errors` beside `data`: logged, the data kept.
    fake.publish(tweets(200, 1));
    let problem = json!({"value": "1", "detail": "Could not find tweet with referenced_tweets.id: [1].",
                         "title": "Not Found Error", "resource_type": "tweet", "parameter": "referenced_tweets.id",
                         "resource_id": "1", "type": "https://api.twitter.com/2/problems/resource-not-found"});
    fake.fail_next(SEARCH, Failure::Partial(vec![problem]));
    h.round(SEARCH_POLLER).await;
    drop(guard);
    assert!(h.ids().contains(&id(200)));
    assert!(logs.text().contains("Could not find tweet"), "{}", logs.text());
}

#[tokio::test]
async fn own_account_tweets_are_recorded_as_broadcast_reply_and_share() {
    let fake = FakeX::start().await;
    let dir = tempfile::tempdir().unwrap();
    users(&fake);
    fake.publish([tweet(
        B + 1,
        ALICE,
        "Does Acme Cloud support IPv6?",
        "2026-11-20T10:00:00.000Z",
        "en",
        &[],
    )]);
    let mut h = harness(dir.path(), &fake).await;
    h.round(SEARCH_POLLER).await;

    let at = |m: u32| format!("2026-11-20T10:{m:02}:00.000Z");
    fake.publish([
        tweet(B + 10, ACME, "Acme Cloud 2.0 is out", &at(1), "en", &[]),
        tweet(
            B + 11,
            ACME,
            "@alice yes, since 1.4!",
            &at(2),
            "en",
            &[("replied_to", B + 1)],
        ),
        tweet(
            B + 12,
            ACME,
            "Changelog: https://t.co/x",
            &at(3),
            "en",
            &[("replied_to", B + 10)],
        ),
    ]);
    h.round(OWN_POLLER).await;
    fake.publish([
        tweet(
            B + 13,
            ACME,
            "RT @bob: acmecloud rocks",
            &at(4),
            "en",
            &[("retweeted", B + 5)],
        ),
        tweet(
            B + 14,
            ACME,
            "Thanks Bob! https://t.co/q",
            &at(5),
            "en",
            &[("quoted", B + 6)],
        ),
    ]);
    h.round(OWN_POLLER).await;

    assert_eq!(
        fake.seen("/2/users/by/username/acme").len(),
        1,
        "the id is looked up once"
    );
    let timeline = fake.seen(&format!("/2/users/{ACME}/tweets"));
    assert!(!timeline[0].query.contains_key("since_id"));
    assert_eq!(timeline[1].query["since_id"], id(12));
    let activity = h.store.activity(Some("Acme")).unwrap();
    let kinds: Vec<(String, ActivityKind)> = activity.iter().map(|a| (a.post_id.clone(), a.kind)).collect();
    assert_eq!(
        kinds,
        vec![
            (id(10), ActivityKind::Broadcast),
            (id(11), ActivityKind::Reply),
            (id(12), ActivityKind::Broadcast),
            (id(13), ActivityKind::Share),
            (id(14), ActivityKind::Broadcast),
        ]
    );
    // The brand's own tweets are not mentions; the answered question knows its reply.
    assert_eq!(h.ids(), vec![id(1)]);
    assert_eq!(h.mentions()[0].replies[0].post_id, id(11));
    assert_eq!(h.cursor(OWN_POLLER), Some(id(14)));
}
