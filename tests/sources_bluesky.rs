//! The Bluesky sources against a fake Bluesky (XRPC and Jetstream) on 127.0.0.1: the first
//! poll, pagination, a restart that resumes from the cursor, 429 (Retry-After and
//! RateLimit-Reset), a 500 then recovery, malformed JSON, session expiry and refresh, the
//! firehose's drop and reconnect with a rewound cursor, and the own-account watcher's ledger.

mod support;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use support::fake_bluesky::{self as fb, Failure, FakeBluesky};
use talkback::clock::{SharedClock, SystemClock};
use talkback::config::{Config, Needs};
use talkback::pipeline::Pipeline;
use talkback::sources::bluesky::{self, Parts, REWIND_US};
use talkback::sources::poll::{Backoff, Poller};
use talkback::sources::{http, Health, Setup, Source, SourceContext};
use talkback::store::{ActivityKind, Mention, Store};
use talkback::triage::Triage;
use tempfile::TempDir;
use tokio::sync::watch;
use tokio::task::JoinHandle;

const ACME: &str = "acme.bsky.social";
const ACME_DID: &str = "did:plc:acmebrand";
const BOB: &str = "did:plc:bob";
const SEARCH: &str = "firehose = false\nsearch = true\nnotifications = false";
const NOTIFICATIONS: &str = "firehose = false\nsearch = false\nnotifications = true";
const BOTH: &str = "firehose = false\nsearch = true\nnotifications = true";
const FIREHOSE: &str = "firehose = true\nsearch = false\nnotifications = false";
/// A Jetstream `time_us` (2025-11-20T10:00:00Z).
const T: u64 = 1_763_632_800_000_000;
const SEC: u64 = 1_000_000;

struct Harness {
    _dir: TempDir,
    config: Config,
    store: Store,
    cx: SourceContext,
    stop: watch::Sender<bool>,
}

impl Harness {
    fn new(fake: &FakeBluesky, parts: &str) -> Harness {
        Harness::with_password(fake, parts, Some(fb::PASSWORD))
    }

    /// `password`: the app password in the environment; `None` configures no account at all.
    fn with_password(fake: &FakeBluesky, parts: &str, password: Option<&str>) -> Harness {
        let dir = TempDir::new().unwrap();
        let login = match password {
            Some(_) => format!(
                "identifier = \"{}\"\napp_password_env = \"BSKY_APP_PASSWORD\"",
                fb::IDENTIFIER
            ),
            None => String::new(),
        };
        let text = format!(
            r#"
[store]
path = "store"

[[brands]]
name = "Acme"
query = "acme"
own_accounts = ["bluesky:{ACME}"]

[[sources]]
kind = "bluesky"
base_url = "{}"
jetstream_url = "{}"
{login}
{parts}
"#,
            fake.base_url, fake.jetstream_url,
        );
        let env = |n: &str| (n == "BSKY_APP_PASSWORD").then(|| password.unwrap_or_default().to_string());
        let config = Config::from_str(&dir.path().join("talkback.toml"), &text, Needs::Everything, &env)
            .unwrap_or_else(|e| panic!("{e}"));
        let store = Store::open(&dir.path().join("store")).unwrap();
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
        Harness {
            _dir: dir,
            config,
            store,
            cx,
            stop,
        }
    }

    /// A fresh set of sources over the same store, as after a restart.
    fn parts(&self) -> Parts {
        let setup = Setup {
            source: &self.config.sources[0],
            brands: &self.config.brands,
            http: http::client(),
        };
        bluesky::parts(&setup).unwrap()
    }

    async fn round(&self, poller: &mut Poller) -> Duration {
        poller.round(&self.cx, &mut Backoff::default()).await.unwrap()
    }

    fn mentions(&self) -> Vec<Mention> {
        self.store.all_mentions().map(Result::unwrap).collect()
    }

    /// The post ids of every mention, sorted; duplicates would show twice.
    fn mention_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self.mentions().into_iter().map(|m| m.post.id).collect();
        ids.sort();
        ids
    }

    fn cursor(&self, part: &str) -> Option<Value> {
        let raw = self.store.cursor(&format!("bluesky/{part}")).unwrap()?;
        Some(serde_json::from_str(&raw).unwrap_or(Value::String(raw)))
    }

    fn health(&self, part: &str) -> talkback::sources::health::SourceHealth {
        self.cx.health.snapshot()[&format!("bluesky/{part}")].clone()
    }

    fn spawn_firehose(&self) -> JoinHandle<()> {
        let source = self.parts().firehose.expect("the firehose is on");
        let cx = self.cx.clone();
        tokio::spawn(async move { Box::new(source).run(cx).await.unwrap() })
    }

    fn activity(&self) -> HashMap<String, ActivityKind> {
        let entries = self.store.activity(Some("Acme")).unwrap();
        entries.into_iter().map(|e| (e.post_id, e.kind)).collect()
    }
}

fn view(did: &str, rkey: &str, text: &str, at: &str) -> Value {
    let handle = format!("{}.bsky.social", did.trim_start_matches("did:plc:"));
    fb::post_view(did, &handle, rkey, text, at, None)
}

/// `2026-11-20T10:MM:SS.000Z` for a count of seconds after 10:00.
fn at(secs: u32) -> String {
    format!(
        "2026-11-20T{:02}:{:02}:{:02}.000Z",
        10 + secs / 3600,
        (secs / 60) % 60,
        secs % 60
    )
}

// ---- searchPosts ----

#[tokio::test]
async fn search_first_poll_maps_posts() {
    let fake = FakeBluesky::start().await;
    let bob_post = fb::uri(BOB, "3kb1");
    fake.add_search_hits([
        fb::post_view(BOB, "bob.bsky.social", "3kb1", "Does Acme support IPv6?", &at(0), None),
        fb::post_view(
            "did:plc:cat",
            "cat.example.com",
            "3kc1",
            "acme is down for me too",
            &at(60),
            Some(&bob_post),
        ),
        fb::post_view(
            "did:plc:dan",
            "handle.invalid",
            "3kd1",
            "nothing to see here",
            &at(120),
            None,
        ),
    ]);
    let h = Harness::new(&fake, SEARCH);
    let mut search = h.parts().search.unwrap();
    assert_eq!(h.round(&mut search).await, Duration::from_secs(60));

    let calls = fake.calls("app.bsky.feed.searchPosts");
    assert_eq!(calls.len(), 1, "a first poll reads one page, not all of history");
    let c = &calls[0];
    assert_eq!(
        (c.param("q"), c.param("sort"), c.param("limit")),
        (Some("acme"), Some("latest"), Some("100"))
    );
    assert_eq!((c.param("since"), c.param("cursor")), (None, None));
    assert_eq!(c.auth.as_deref(), Some("access-1"));
    assert_eq!(fake.calls("com.atproto.server.createSession").len(), 1);

    let ms = h.mentions();
    assert_eq!(ms.len(), 2, "{ms:?}");
    let bob = &ms.iter().find(|m| m.post.id == bob_post).unwrap().post;
    assert_eq!(
        bob.url.as_deref(),
        Some("https://bsky.app/profile/bob.bsky.social/post/3kb1")
    );
    assert_eq!(bob.author_handle(), Some("bob.bsky.social"));
    assert_eq!(
        bob.author.as_ref().unwrap().name.as_deref(),
        Some("bob.bsky.social (display)")
    );
    assert_eq!((bob.lang.as_deref(), bob.reply_to.as_deref()), (Some("en"), None));
    assert_eq!(bob.created_at.unwrap().to_rfc3339(), "2026-11-20T10:00:00+00:00");
    let cat = &ms
        .iter()
        .find(|m| m.post.id == fb::uri("did:plc:cat", "3kc1"))
        .unwrap()
        .post;
    assert_eq!(cat.reply_to.as_deref(), Some(bob_post.as_str()));
    assert_eq!(h.cursor("search").unwrap()["since"], "2026-11-20T10:02:00Z");
}

#[tokio::test]
async fn search_paginates_and_resumes_after_a_500_and_a_restart() {
    let fake = FakeBluesky::start().await;
    fake.add_search_hits([view(BOB, "old", "acme, a while ago", "2026-11-20T09:00:00.000Z")]);
    let h = Harness::new(&fake, SEARCH);
    let mut search = h.parts().search.unwrap();
    h.round(&mut search).await;
    assert_eq!(h.mentions().len(), 1);

    // 150 new posts: two pages of 100; the second page fails once.
    fake.add_search_hits((0..150).map(|i| view(BOB, &format!("p{i:03}"), &format!("acme #{i}"), &at(i))));
    fake.fail_nth("app.bsky.feed.searchPosts", 2, Failure::Status(500, vec![]));
    let wait = h.round(&mut search).await;
    assert!(
        wait >= Duration::from_secs(2) && wait <= Duration::from_secs(4),
        "backoff, not the poll interval: {wait:?}"
    );
    assert_eq!(h.mentions().len(), 101, "the first page is stored before the failure");
    let saved = h.cursor("search").unwrap();
    assert_eq!(
        (saved["page"].as_str(), saved["since"].as_str()),
        (Some("100"), Some("2026-11-20T09:00:00Z"))
    );
    assert_eq!(h.health("search").consecutive_failures, 1);

    // A restart: new sources (and a new session) resume at the saved page.
    let mut search = h.parts().search.unwrap();
    assert_eq!(h.round(&mut search).await, Duration::from_secs(60));
    let calls = fake.calls("app.bsky.feed.searchPosts");
    let resumed = calls.last().unwrap();
    assert_eq!(resumed.param("cursor"), Some("100"));
    assert_eq!(
        resumed.param("since"),
        Some("2026-11-20T08:58:00.000Z"),
        "since, rewound by the overlap"
    );
    let ids = h.mention_ids();
    assert_eq!(ids.len(), 151);
    let mut unique = ids.clone();
    unique.dedup();
    assert_eq!(unique, ids, "no duplicates");
    assert_eq!(h.health("search").consecutive_failures, 0);

    // The next sweep starts from the newest post; what it reads again is not stored twice.
    let before = fake.calls("app.bsky.feed.searchPosts").len();
    h.round(&mut search).await;
    let next = &fake.calls("app.bsky.feed.searchPosts")[before];
    assert_eq!(
        (next.param("since"), next.param("cursor")),
        (Some("2026-11-20T10:00:29.000Z"), None)
    );
    assert_eq!(h.mentions().len(), 151);
}

#[tokio::test]
async fn rate_limits_are_honoured() {
    let fake = FakeBluesky::start().await;
    fake.add_search_hits([view(BOB, "3kb1", "acme", &at(0))]);
    let h = Harness::new(&fake, SEARCH);
    let mut search = h.parts().search.unwrap();

    let method = "app.bsky.feed.searchPosts";
    fake.fail_next(method, Failure::Status(429, vec![("retry-after", "30".into())]));
    assert_eq!(h.round(&mut search).await, Duration::from_secs(30));
    assert_eq!(h.cursor("search"), None, "nothing moves while rate limited");
    assert_eq!(h.health("search").last_error.as_deref(), Some("rate limited"));

    // Bluesky's own headers: RateLimit-Reset is an epoch second.
    let reset = chrono::Utc::now().timestamp() + 90;
    let headers = vec![
        ("ratelimit-limit", "3000".to_string()),
        ("ratelimit-remaining", "0".to_string()),
        ("ratelimit-reset", reset.to_string()),
        ("ratelimit-policy", "3000;w=300".to_string()),
    ];
    fake.fail_next(method, Failure::Status(429, headers));
    let wait = h.round(&mut search).await;
    assert!(
        wait >= Duration::from_secs(85) && wait <= Duration::from_secs(91),
        "{wait:?}"
    );

    assert_eq!(h.round(&mut search).await, Duration::from_secs(60));
    assert_eq!(h.mentions().len(), 1);
}

#[tokio::test]
async fn malformed_json_is_skipped_and_the_source_goes_on() {
    let fake = FakeBluesky::start().await;
    let mut broken = view(BOB, "3kbad", "acme broken", &at(30));
    broken["uri"] = json!(42);
    fake.add_search_hits([
        view(BOB, "3kb1", "acme one", &at(0)),
        broken,
        view(BOB, "3kb2", "acme two", &at(60)),
    ]);
    let h = Harness::new(&fake, SEARCH);
    let mut search = h.parts().search.unwrap();

    // A body that is not JSON at all: retried after a backoff.
    fake.fail_next("app.bsky.feed.searchPosts", Failure::Body("{\"posts\": [".into()));
    let wait = h.round(&mut search).await;
    assert!(wait <= Duration::from_secs(4), "{wait:?}");
    assert!(h.health("search").last_error.unwrap().contains("malformed JSON"));

    // One malformed item is skipped; the others are stored.
    assert_eq!(h.round(&mut search).await, Duration::from_secs(60));
    assert_eq!(h.mention_ids(), vec![fb::uri(BOB, "3kb1"), fb::uri(BOB, "3kb2")]);
}

// ---- sessions ----

#[tokio::test]
async fn one_session_is_shared_and_refreshed_when_it_expires() {
    let fake = FakeBluesky::start().await;
    let h = Harness::new(&fake, BOTH);
    let parts = h.parts();
    let (mut search, mut notes) = (parts.search.unwrap(), parts.notifications.unwrap());
    h.round(&mut search).await;
    h.round(&mut notes).await;
    assert_eq!(
        fake.calls("com.atproto.server.createSession").len(),
        1,
        "one login for both pollers"
    );
    assert_eq!(
        fake.calls("app.bsky.notification.listNotifications")[0].auth.as_deref(),
        Some("access-1")
    );

    fake.expire_access();
    assert_eq!(h.round(&mut search).await, Duration::from_secs(60));
    let auths: Vec<_> = fake
        .calls("app.bsky.feed.searchPosts")
        .into_iter()
        .map(|c| c.auth.unwrap())
        .collect();
    assert_eq!(
        auths,
        ["access-1", "access-1", "access-2"],
        "refused, refreshed, retried"
    );
    let refreshes = fake.calls("com.atproto.server.refreshSession");
    assert_eq!(refreshes.len(), 1);
    assert_eq!(refreshes[0].auth.as_deref(), Some("refresh-1"));
    h.round(&mut notes).await;
    assert_eq!(
        fake.calls("app.bsky.notification.listNotifications")[1].auth.as_deref(),
        Some("access-2")
    );

    // When the refresh token has expired too, log in again.
    fake.expire_access();
    fake.expire_refresh();
    assert_eq!(h.round(&mut notes).await, Duration::from_secs(60));
    assert_eq!(fake.calls("com.atproto.server.createSession").len(), 2);
    let last = fake.calls("app.bsky.notification.listNotifications").pop().unwrap();
    assert_eq!(last.auth.as_deref(), Some("access-3"));
    assert_eq!(
        fake.calls("app.bsky.feed.searchPosts").len(),
        3,
        "search did not run again"
    );
}

#[tokio::test]
async fn a_refused_login_backs_off_without_leaking_the_password() {
    let fake = FakeBluesky::start().await;
    let h = Harness::with_password(&fake, SEARCH, Some("wrong-app-password"));
    let mut search = h.parts().search.unwrap();
    let wait = h.round(&mut search).await;
    assert!(wait <= Duration::from_secs(4), "{wait:?}");
    let error = h.health("search").last_error.unwrap();
    assert!(error.contains("Invalid identifier or password"), "{error}");
    assert!(!error.contains("wrong-app-password"));
    assert!(fake.calls("app.bsky.feed.searchPosts").is_empty());
}

// ---- listNotifications ----

#[tokio::test]
async fn notifications_keep_mentions_replies_and_quotes_and_page_back() {
    let fake = FakeBluesky::start().await;
    fake.add_notifications([
        fb::notification("like", BOB, "bob.bsky.social", "l1", "", &at(0)),
        fb::notification("follow", BOB, "bob.bsky.social", "f1", "", &at(1)),
        fb::notification(
            "mention",
            BOB,
            "bob.bsky.social",
            "3km1",
            "@talkback.bsky.social is Acme up?",
            &at(2),
        ),
        fb::notification(
            "reply",
            "did:plc:cat",
            "cat.bsky.social",
            "3kr1",
            "acme still broken",
            &at(3),
        ),
        fb::notification(
            "quote",
            "did:plc:dan",
            "dan.bsky.social",
            "3kq1",
            "acme, look at this",
            &at(4),
        ),
        fb::notification("repost", BOB, "bob.bsky.social", "r1", "", &at(5)),
    ]);
    let h = Harness::new(&fake, NOTIFICATIONS);
    let mut notes = h.parts().notifications.unwrap();
    h.round(&mut notes).await;
    let ids = h.mention_ids();
    assert_eq!(
        ids,
        vec![
            fb::uri(BOB, "3km1"),
            fb::uri("did:plc:cat", "3kr1"),
            fb::uri("did:plc:dan", "3kq1")
        ]
    );
    let reply = h
        .mentions()
        .into_iter()
        .find(|m| m.post.id.ends_with("3kr1"))
        .unwrap()
        .post;
    assert_eq!(reply.reply_to.as_deref(), Some(fb::OWN_POST));
    assert_eq!(
        reply.url.as_deref(),
        Some("https://bsky.app/profile/cat.bsky.social/post/3kr1")
    );
    assert_eq!(h.cursor("notifications").unwrap()["since"], "2026-11-20T10:00:05Z");

    // 60 new mentions, one of them malformed: two pages of 50, back to what was seen.
    let mut fresh: Vec<Value> = (0..60)
        .map(|i| {
            fb::notification(
                "mention",
                BOB,
                "bob.bsky.social",
                &format!("n{i:02}"),
                "acme?",
                &at(100 + i),
            )
        })
        .collect();
    fresh[30]["author"] = json!("not a profile");
    fake.add_notifications(fresh);
    fake.fail_next("app.bsky.notification.listNotifications", Failure::Status(502, vec![]));
    let wait = h.round(&mut notes).await;
    assert!(wait <= Duration::from_secs(4), "a 502 backs off: {wait:?}");
    assert_eq!(h.round(&mut notes).await, Duration::from_secs(60));
    let calls = fake.calls("app.bsky.notification.listNotifications");
    let pages: Vec<_> = calls[calls.len() - 2..]
        .iter()
        .map(|c| (c.param("limit"), c.param("cursor")))
        .collect();
    assert_eq!(pages, [(Some("50"), None), (Some("50"), Some("50"))]);
    assert_eq!(h.mentions().len(), 3 + 59, "every new mention but the malformed one");

    // A restart reads only the newest page again, and stores nothing twice.
    let mut notes = h.parts().notifications.unwrap();
    h.round(&mut notes).await;
    assert_eq!(
        fake.calls("app.bsky.notification.listNotifications").len(),
        calls.len() + 1
    );
    assert_eq!(h.mentions().len(), 62);
}

// ---- own-account watcher ----

#[tokio::test]
async fn own_account_watcher_classifies_broadcast_reply_and_share() {
    let fake = FakeBluesky::start().await;
    let complaint = fb::post_view(BOB, "bob.bsky.social", "3kb1", "acme is broken again", &at(0), None);
    fake.add_search_hits([complaint.clone()]);
    let launch = fb::post_view(ACME_DID, ACME, "3ka1", "Acme 2.0 is out (1/2)", &at(60), None);
    let thread = fb::post_view(
        ACME_DID,
        ACME,
        "3ka2",
        "(2/2) with IPv6",
        &at(61),
        Some(&fb::uri(ACME_DID, "3ka1")),
    );
    let answer = fb::post_view(
        ACME_DID,
        ACME,
        "3ka3",
        "Sorry Bob, fixed now",
        &at(120),
        Some(&fb::uri(BOB, "3kb1")),
    );
    let praise = fb::post_view(BOB, "bob.bsky.social", "3kb2", "acme saved my day", &at(130), None);
    fake.add_feed(
        ACME,
        [
            fb::feed_post(launch.clone(), None),
            fb::feed_post(thread, Some(launch)),
            fb::feed_post(answer, Some(complaint)),
            fb::feed_repost(praise, ACME_DID, ACME, "3kr1", &at(180)),
        ],
    );
    let h = Harness::new(&fake, SEARCH);
    let parts = h.parts();
    h.round(&mut parts.search.unwrap()).await;
    let mut own = parts.own.into_iter().next().unwrap();
    h.round(&mut own).await;

    let c = &fake.calls("app.bsky.feed.getAuthorFeed")[0];
    assert_eq!(
        (c.param("actor"), c.param("filter"), c.param("limit")),
        (Some(ACME), Some("posts_with_replies"), Some("50"))
    );
    let expected = HashMap::from([
        (fb::uri(ACME_DID, "3ka1"), ActivityKind::Broadcast),
        (fb::uri(ACME_DID, "3ka2"), ActivityKind::Broadcast),
        (fb::uri(ACME_DID, "3ka3"), ActivityKind::Reply),
        (
            format!("at://{ACME_DID}/app.bsky.feed.repost/3kr1"),
            ActivityKind::Share,
        ),
    ]);
    assert_eq!(h.activity(), expected);
    let ms = h.mentions();
    assert_eq!(ms.len(), 1, "the brand's own posts are never mentions: {ms:?}");
    let replies: Vec<_> = ms[0].replies.iter().map(|r| r.post_id.clone()).collect();
    assert_eq!(replies, [fb::uri(ACME_DID, "3ka3")], "the complaint is answered");

    // The next round reads only what is new.
    fake.add_feed(
        ACME,
        [fb::feed_post(
            fb::post_view(ACME_DID, ACME, "3ka4", "Acme news", &at(300), None),
            None,
        )],
    );
    h.round(&mut own).await;
    assert_eq!(h.activity().len(), 5);
    assert_eq!(h.activity()[&fb::uri(ACME_DID, "3ka4")], ActivityKind::Broadcast);
}

// ---- Jetstream firehose ----

/// Cuts the firehose and waits for its reconnection, which proves everything up to
/// `last_time_us` was stored: the source reconnects from its stored cursor, rewound.
async fn sync(fake: &FakeBluesky, last_time_us: u64) -> Vec<Option<u64>> {
    let before = fake.connections().len();
    fake.drop_connections();
    let conns = fake.wait_connections(before + 1).await;
    assert_eq!(
        conns.last().copied().flatten(),
        Some(last_time_us - REWIND_US),
        "{conns:?}"
    );
    conns
}

async fn stop(h: &Harness, task: JoinHandle<()>) {
    h.stop.send(true).unwrap();
    task.await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn firehose_reconnects_after_a_drop_with_a_rewound_cursor_and_loses_nothing() {
    let fake = FakeBluesky::start().await;
    let h = Harness::new(&fake, FIREHOSE);
    let task = h.spawn_firehose();
    assert_eq!(fake.wait_connections(1).await, [None], "a first start reads live");

    fake.emit(fb::jet_post(BOB, "3k1", T, "acme one", None));
    fake.emit(fb::jet_post(BOB, "3k2", T + SEC, "nothing to see", None));
    fake.emit(fb::jet_post(BOB, "3k3", T + 2 * SEC, "acme three", None));
    fake.drop_connections();
    // Posted while the link is down: replayed from the rewound cursor.
    fake.emit(fb::jet_post(
        "did:plc:cat",
        "3k4",
        T + 3 * SEC,
        "acme four",
        Some(&fb::uri(BOB, "3k2")),
    ));
    fake.emit(fb::jet_post("did:plc:cat", "3k5", T + 4 * SEC, "acme five", None));
    let conns = fake.wait_connections(2).await;
    assert_eq!(conns[1], Some(T + 2 * SEC - REWIND_US));

    let conns = sync(&fake, T + 4 * SEC).await;
    assert_eq!(conns.len(), 3);
    stop(&h, task).await;

    let ids = h.mention_ids();
    let expected: Vec<String> = ["3k1", "3k3"]
        .iter()
        .map(|k| fb::uri(BOB, k))
        .chain(["3k4", "3k5"].iter().map(|k| fb::uri("did:plc:cat", k)))
        .collect();
    assert_eq!(ids, expected, "each matching post once, none lost");
    let four = h
        .mentions()
        .into_iter()
        .find(|m| m.post.id.ends_with("3k4"))
        .unwrap()
        .post;
    assert_eq!(
        four.url.as_deref(),
        Some("https://bsky.app/profile/did:plc:cat/post/3k4")
    );
    assert_eq!(
        (four.author_handle(), four.reply_to.as_deref()),
        (Some("did:plc:cat"), Some(fb::uri(BOB, "3k2").as_str()))
    );
    assert_eq!(
        h.store.cursor("bluesky/firehose").unwrap(),
        Some((T + 4 * SEC).to_string())
    );
    assert_eq!(fake.calls("app.bsky.feed.searchPosts").len(), 0);
}

#[tokio::test(start_paused = true)]
async fn firehose_restart_resumes_from_the_stored_cursor() {
    let fake = FakeBluesky::start().await;
    let h = Harness::new(&fake, FIREHOSE);
    let task = h.spawn_firehose();
    fake.wait_connections(1).await;
    fake.emit(fb::jet_post(BOB, "3k1", T, "acme a", None));
    fake.emit(fb::jet_post(BOB, "3k2", T + SEC, "acme b", None));
    sync(&fake, T + SEC).await;
    stop(&h, task).await;

    // Posted while talkback is down.
    fake.emit(fb::jet_post(BOB, "3k3", T + 2 * SEC, "acme c", None));
    let (stop_tx, shutdown) = watch::channel(false);
    let h = Harness {
        cx: SourceContext {
            shutdown,
            ..h.cx.clone()
        },
        stop: stop_tx,
        ..h
    };
    let task = h.spawn_firehose();
    let conns = fake.wait_connections(3).await;
    assert_eq!(
        conns[2],
        Some(T + SEC - REWIND_US),
        "resumed from the stored cursor, rewound"
    );
    sync(&fake, T + 2 * SEC).await;
    stop(&h, task).await;
    let ids = h.mention_ids();
    assert_eq!(ids, ["3k1", "3k2", "3k3"].map(|k| fb::uri(BOB, k)));
}

#[tokio::test(start_paused = true)]
async fn firehose_backs_off_while_jetstream_refuses_then_recovers() {
    let fake = FakeBluesky::start().await;
    fake.refuse_connections(2);
    let h = Harness::new(&fake, FIREHOSE);
    let started = tokio::time::Instant::now();
    let task = h.spawn_firehose();
    fake.wait_connections(1).await;
    assert_eq!(fake.refused(), 2);
    assert!(
        started.elapsed() >= Duration::from_secs(6),
        "2–4 s then 4–8 s: {:?}",
        started.elapsed()
    );
    assert_eq!(h.health("firehose").consecutive_failures, 2);

    fake.emit(fb::jet_post(BOB, "3k1", T, "acme is back", None));
    sync(&fake, T).await;
    stop(&h, task).await;
    assert_eq!(h.mention_ids(), [fb::uri(BOB, "3k1")]);
}

#[tokio::test(start_paused = true)]
async fn firehose_skips_malformed_and_other_events_but_moves_past_them() {
    let fake = FakeBluesky::start().await;
    let h = Harness::new(&fake, FIREHOSE);
    let task = h.spawn_firehose();
    fake.wait_connections(1).await;
    fake.emit(fb::jet_identity(BOB, "bob.bsky.social", T));
    fake.emit(fb::jet_commit(BOB, "create", "app.bsky.feed.like", "3kl1", T + 1));
    fake.emit(fb::jet_commit(BOB, "delete", "app.bsky.feed.post", "3k0", T + 2));
    fake.emit_raw("{\"did\": \"did:plc:bob\", \"time_us\": ");
    let mut bad = fb::jet_post(BOB, "3kbad", T + 3, "acme", None);
    bad["commit"]["record"]["text"] = json!(42);
    fake.emit(bad);
    fake.emit(fb::jet_post(BOB, "3k1", T + 4, "acme survives", None));
    fake.emit(fb::jet_identity(BOB, "bob.bsky.social", T + 5));
    sync(&fake, T + 5).await;
    stop(&h, task).await;
    assert_eq!(h.mention_ids(), [fb::uri(BOB, "3k1")]);
}

#[tokio::test(start_paused = true)]
async fn firehose_knows_the_brands_own_posts_by_their_did() {
    let fake = FakeBluesky::start().await;
    fake.add_handle(ACME, ACME_DID);
    let h = Harness::new(&fake, FIREHOSE);
    let task = h.spawn_firehose();
    fake.wait_connections(1).await;
    assert_eq!(
        fake.calls("com.atproto.identity.resolveHandle")[0].param("handle"),
        Some(ACME)
    );

    let complaint = fb::uri(BOB, "3kb1");
    fake.emit(fb::jet_post(BOB, "3kb1", T, "acme ate my data", None));
    fake.emit(fb::jet_post(ACME_DID, "3ka1", T + SEC, "Acme 3.0 ships today", None));
    fake.emit(fb::jet_post(
        ACME_DID,
        "3ka2",
        T + 2 * SEC,
        "Sorry! Restored it",
        Some(&complaint),
    ));
    sync(&fake, T + 2 * SEC).await;
    stop(&h, task).await;

    let ms = h.mentions();
    assert_eq!(ms.len(), 1, "the brand's own post is not a mention: {ms:?}");
    assert_eq!(ms[0].replies[0].post_id, fb::uri(ACME_DID, "3ka2"));
    assert_eq!(
        ms[0].replies[0].url.as_deref(),
        Some("https://bsky.app/profile/acme.bsky.social/post/3ka2")
    );
    let expected = HashMap::from([
        (fb::uri(ACME_DID, "3ka1"), ActivityKind::Broadcast),
        (fb::uri(ACME_DID, "3ka2"), ActivityKind::Reply),
    ]);
    assert_eq!(h.activity(), expected);
}

#[tokio::test]
async fn own_account_watcher_reads_the_public_feed_without_an_account() {
    let fake = FakeBluesky::start().await;
    let launch = fb::post_view(ACME_DID, ACME, "3ka1", "Acme 2.0 is out", &at(60), None);
    fake.add_feed(ACME, [fb::feed_post(launch, None)]);
    let h = Harness::with_password(&fake, "firehose = false", None);
    let parts = h.parts();
    assert!(parts.search.is_none() && parts.notifications.is_none());
    let mut own = parts.own.into_iter().next().unwrap();
    assert_eq!(h.round(&mut own).await, Duration::from_secs(60));
    assert_eq!(fake.calls("app.bsky.feed.getAuthorFeed")[0].auth, None);
    assert!(fake.calls("com.atproto.server.createSession").is_empty());
    assert_eq!(h.activity()[&fb::uri(ACME_DID, "3ka1")], ActivityKind::Broadcast);
}
