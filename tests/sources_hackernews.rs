//! The Hacker News source against a fake Algolia HN Search API on 127.0.0.1: each test drives
//! poll rounds one at a time (no timers) and checks what reached the store and the cursor.

mod support;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use support::fake_hackernews::{comment, story, Failure, FakeHn};
use talkback::clock::SystemClock;
use talkback::config::{Config, Needs};
use talkback::domain::Post;
use talkback::pipeline::Pipeline;
use talkback::sources::poll::{Backoff, Poller};
use talkback::sources::{self, hackernews, Health, Setup, Source, SourceContext};
use talkback::store::{ActivityKind, Store};
use talkback::triage::Triage;
use tokio::sync::watch;

const T: i64 = 1_790_000_000;
const EVERY: Duration = Duration::from_secs(120);

fn config(dir: &Path, base_url: &str, extra: &str) -> Config {
    let text = format!(
        r#"
[[brands]]
name = "Acme"
query = 'acme OR "widget co"'
own_accounts = ["hackernews:acmehq"]

[[sources]]
kind = "hackernews"
base_url = "{base_url}"
every = "2m"
{extra}
"#
    );
    Config::from_str(&dir.join("talkback.toml"), &text, Needs::Everything, &|_| None).unwrap_or_else(|e| panic!("{e}"))
}

/// A store, a pipeline and the pollers of the config's first source; `restart` reopens them all
/// from disk, as a new process would.
struct Harness {
    dir: tempfile::TempDir,
    config: Config,
    cx: SourceContext,
    pollers: Vec<Poller>,
    backoff: Backoff,
    _stop: watch::Sender<bool>,
}

impl Harness {
    fn new(fake: &FakeHn, extra: &str) -> Harness {
        let dir = tempfile::tempdir().unwrap();
        let config = config(dir.path(), &fake.base_url, extra);
        Harness::open(dir, config)
    }

    fn open(dir: tempfile::TempDir, config: Config) -> Harness {
        let store = Store::open(&store_path(dir.path())).unwrap();
        let clock = Arc::new(SystemClock);
        let pipeline = Pipeline::new(&config.brands, Triage::default(), store.clone(), clock.clone());
        let (stop, shutdown) = watch::channel(false);
        let cx = SourceContext {
            store,
            pipeline: Arc::new(pipeline),
            shutdown,
            health: Health::default(),
            clock,
        };
        let setup = Setup {
            source: &config.sources[0],
            brands: &config.brands,
            http: sources::http::client(),
        };
        let pollers = hackernews::pollers(&setup);
        Harness {
            dir,
            config,
            cx,
            pollers,
            backoff: Backoff::default(),
            _stop: stop,
        }
    }

    fn restart(self) -> Harness {
        let Harness {
            dir,
            config,
            cx,
            pollers,
            ..
        } = self;
        drop((cx, pollers));
        Harness::open(dir, config)
    }

    /// One round of the poller named `name`; returns the wait the driver asked for.
    async fn round(&mut self, name: &str) -> Duration {
        let p = self.pollers.iter_mut().find(|p| p.name() == name).unwrap();
        p.round(&self.cx, &mut self.backoff).await.unwrap()
    }

    fn posts(&self) -> Vec<Post> {
        let mut posts: Vec<Post> = self.cx.store.all_mentions().map(|m| m.unwrap().post).collect();
        posts.sort_by(|a, b| a.id.cmp(&b.id));
        posts
    }

    fn ids(&self) -> Vec<String> {
        self.posts().into_iter().map(|p| p.id).collect()
    }

    /// Posts the poller `name` handed to the pipeline since this (re)start.
    fn delivered(&self, name: &str) -> u64 {
        self.cx.health.snapshot().get(name).map_or(0, |h| h.posts)
    }

    fn cursor(&self, name: &str) -> serde_json::Value {
        serde_json::from_str(&self.cx.store.cursor(name).unwrap().unwrap()).unwrap()
    }
}

fn store_path(dir: &Path) -> PathBuf {
    dir.join("store")
}

const ACME: &str = "hackernews/q/acme";

fn numbered_comments(from: u64, n: u64, t0: i64) -> Vec<serde_json::Value> {
    (0..n)
        .map(|i| comment(from + i, t0 + i as i64, "someone", "<p>acme again</p>", 9, 9, "Hosting"))
        .collect()
}

#[tokio::test]
async fn first_poll_reads_the_newest_stories_and_comments_as_posts() {
    let fake = FakeHn::start().await;
    fake.add([
        story(
            1001,
            T,
            "pat",
            "Show HN: Acme Cloud, hosting for hobbyists",
            Some("https://acme.example/"),
            None,
        ),
        story(
            1002,
            T + 10,
            "lee",
            "Ask HN: Anyone tried Acme?",
            None,
            Some("Thinking of moving &amp; asking<p>Costs?"),
        ),
        comment(
            1003,
            T + 20,
            "kim",
            "I use <i>Acme</i> daily.<p>Works &gt; fine",
            900,
            900,
            "Cheap hosting?",
        ),
        story(
            1004,
            T + 30,
            "max",
            "Rust 2.0 released",
            Some("https://rust.example/"),
            None,
        ),
    ]);
    let mut h = Harness::new(&fake, "");
    assert_eq!(h.round(ACME).await, EVERY);

    let req = &fake.requests()[0];
    assert_eq!(req["query"], "acme");
    assert_eq!(req["tags"], "(story,comment)");
    assert_eq!(req["hitsPerPage"], "100");
    assert!(
        !req.contains_key("numericFilters"),
        "the first poll has no lower bound: {req:?}"
    );

    let posts = h.posts();
    assert_eq!(h.ids(), ["1001", "1002", "1003"]);
    let link = &posts[0];
    assert_eq!(link.url.as_deref(), Some("https://news.ycombinator.com/item?id=1001"));
    assert_eq!(
        link.title.as_deref(),
        Some("Show HN: Acme Cloud, hosting for hobbyists")
    );
    assert_eq!(link.text, "https://acme.example/");
    assert_eq!(link.author_handle(), Some("pat"));
    assert_eq!(link.reply_to, None);
    assert_eq!(link.created_at.unwrap().timestamp(), T);
    assert_eq!(posts[1].text, "Thinking of moving & asking\nCosts?");
    let reply = &posts[2];
    assert_eq!(reply.title, None);
    assert_eq!(reply.text, "I use Acme daily.\nWorks > fine");
    assert_eq!(reply.reply_to.as_deref(), Some("900"));
    assert_eq!(reply.lang, None);
    assert_eq!(h.cursor(ACME)["since"], T + 20);
}

#[tokio::test]
async fn new_hits_are_paged_through_until_caught_up() {
    let fake = FakeHn::start().await;
    fake.add([story(1, T, "pat", "Acme launches", None, Some("acme"))]);
    let mut h = Harness::new(&fake, "");
    h.round(ACME).await;
    fake.add(numbered_comments(100, 250, T + 1));

    assert_eq!(h.round(ACME).await, EVERY);
    let pages: Vec<_> = fake.requests()[1..]
        .iter()
        .map(|r| (r["page"].clone(), r["numericFilters"].clone()))
        .collect();
    let bound = format!("created_at_i>={T}");
    assert_eq!(
        pages,
        [
            ("0".into(), bound.clone()),
            ("1".into(), bound.clone()),
            ("2".into(), bound)
        ]
    );
    assert_eq!(h.ids().len(), 251);
    assert_eq!(h.delivered(ACME), 251);

    // Caught up: the next round starts at the newest hit and brings nothing again.
    h.round(ACME).await;
    assert_eq!(
        fake.requests()[4]["numericFilters"],
        format!("created_at_i>={}", T + 250)
    );
    assert_eq!(h.delivered(ACME), 251);
}

#[tokio::test]
async fn a_restart_resumes_from_the_cursor_without_duplicates_or_gaps() {
    let fake = FakeHn::start().await;
    fake.add([
        story(1, T, "pat", "Acme one", None, Some("x")),
        story(2, T + 10, "pat", "Acme two", None, Some("x")),
    ]);
    let mut h = Harness::new(&fake, "");
    h.round(ACME).await;
    assert_eq!(h.delivered(ACME), 2);

    let mut h = h.restart();
    // One written in the same second as the newest seen, one later.
    fake.add([
        story(3, T + 10, "lee", "Acme three", None, Some("x")),
        story(4, T + 20, "lee", "Acme four", None, Some("x")),
    ]);
    h.round(ACME).await;
    assert_eq!(
        fake.requests()[1]["numericFilters"],
        format!("created_at_i>={}", T + 10)
    );
    assert_eq!(h.delivered(ACME), 2, "only 3 and 4 are new");
    assert_eq!(h.ids(), ["1", "2", "3", "4"]);
}

#[tokio::test]
async fn a_failure_mid_way_resumes_at_that_page_after_a_restart() {
    let fake = FakeHn::start().await;
    fake.add([story(1, T, "pat", "Acme launches", None, Some("acme"))]);
    let mut h = Harness::new(&fake, "");
    h.round(ACME).await;
    fake.add(numbered_comments(100, 150, T + 1));
    fake.fail_after(1, Failure::Status(503, None));

    let wait = h.round(ACME).await;
    assert!(wait >= Duration::from_secs(2) && wait != EVERY, "{wait:?}");
    assert_eq!(h.ids().len(), 101, "the first page is stored");

    let mut h = h.restart();
    h.round(ACME).await;
    let resumed = &fake.requests()[3];
    assert_eq!(resumed["page"], "1");
    assert_eq!(resumed["numericFilters"], format!("created_at_i>={T}"));
    assert_eq!(h.delivered(ACME), 50);
    assert_eq!(h.ids().len(), 151);
}

#[tokio::test]
async fn a_429_waits_as_long_as_retry_after_says() {
    let fake = FakeHn::start().await;
    fake.add([story(1, T, "pat", "Acme launches", None, Some("acme"))]);
    let mut h = Harness::new(&fake, "");
    fake.fail_next(Failure::Status(429, Some(7)));

    assert_eq!(h.round(ACME).await, Duration::from_secs(7));
    assert!(h.ids().is_empty());
    assert_eq!(h.cx.health.snapshot()[ACME].last_error.as_deref(), Some("rate limited"));

    assert_eq!(h.round(ACME).await, EVERY);
    assert_eq!(h.ids(), ["1"]);
}

#[tokio::test]
async fn a_500_backs_off_then_recovers() {
    let fake = FakeHn::start().await;
    fake.add([story(1, T, "pat", "Acme launches", None, Some("acme"))]);
    let mut h = Harness::new(&fake, "");
    fake.fail_next(Failure::Status(500, None));

    let wait = h.round(ACME).await;
    assert!(
        wait >= Duration::from_secs(2) && wait <= Duration::from_secs(4),
        "{wait:?}"
    );
    assert_eq!(h.cx.health.snapshot()[ACME].consecutive_failures, 1);
    assert!(h.cx.store.cursor(ACME).unwrap().is_none());

    assert_eq!(h.round(ACME).await, EVERY);
    assert_eq!(h.ids(), ["1"]);
    assert_eq!(h.backoff.failures(), 0);
    assert_eq!(h.cx.health.snapshot()[ACME].consecutive_failures, 0);
}

#[tokio::test]
async fn a_malformed_hit_is_skipped_and_a_broken_body_retried() {
    let fake = FakeHn::start().await;
    let mut bad = story(2, T + 5, "pat", "Acme broken", None, Some("acme"));
    bad["created_at_i"] = serde_json::json!("yesterday");
    fake.add([
        story(1, T, "pat", "Acme one", None, Some("acme")),
        bad,
        story(3, T + 10, "pat", "Acme three", None, Some("acme")),
    ]);
    let mut h = Harness::new(&fake, "");
    assert_eq!(h.round(ACME).await, EVERY);
    assert_eq!(h.ids(), ["1", "3"]);

    fake.fail_next(Failure::Body("<html><body>502 Bad Gateway</body></html>".into()));
    let wait = h.round(ACME).await;
    assert!(wait <= Duration::from_secs(4), "{wait:?}");
    assert!(h.cx.health.snapshot()[ACME]
        .last_error
        .as_deref()
        .unwrap()
        .contains("malformed JSON"));

    fake.add([story(4, T + 20, "pat", "Acme four", None, Some("acme"))]);
    assert_eq!(h.round(ACME).await, EVERY);
    assert_eq!(h.ids(), ["1", "3", "4"]);
}

#[tokio::test]
async fn the_own_account_watcher_records_broadcasts_and_replies() {
    let fake = FakeHn::start().await;
    fake.add([
        comment(500, T - 10, "kim", "Is acme down for anyone?", 400, 400, "Outages"),
        story(
            600,
            T,
            "acmehq",
            "Launch HN: Widget 2",
            Some("https://acme.example/w2"),
            None,
        ),
        comment(
            601,
            T + 10,
            "acmehq",
            "Happy to answer questions here.",
            600,
            600,
            "Launch HN: Widget 2",
        ),
        comment(602, T + 20, "acmehq", "We are on it, sorry!", 500, 400, "Outages"),
    ]);
    let mut h = Harness::new(&fake, "");
    h.round(ACME).await;
    let own = "hackernews/own/acmehq";
    h.round(own).await;

    let req = fake
        .requests()
        .into_iter()
        .find(|r| r["tags"].starts_with("author_"))
        .unwrap();
    assert_eq!(req["tags"], "author_acmehq,(story,comment)");
    assert_eq!(req["query"], "");

    let kinds: Vec<(String, ActivityKind)> =
        h.cx.store
            .activity(Some("Acme"))
            .unwrap()
            .into_iter()
            .map(|e| (e.post_id, e.kind))
            .collect();
    assert_eq!(
        kinds,
        [
            ("600".to_string(), ActivityKind::Broadcast),
            ("601".to_string(), ActivityKind::Broadcast),
            ("602".to_string(), ActivityKind::Reply),
        ]
    );
    // The reply answered kim's mention.
    let mention =
        h.cx.store
            .all_mentions()
            .map(|m| m.unwrap())
            .find(|m| m.post.id == "500")
            .unwrap();
    assert!(
        mention.replies.iter().any(|r| r.post_id == "602"),
        "{:?}",
        mention.replies
    );
    assert_eq!(h.ids(), ["500"], "own posts are never mentions");
}

#[tokio::test]
async fn one_source_per_search_term_and_own_account() {
    let fake = FakeHn::start().await;
    let h = Harness::new(&fake, "");
    let names: Vec<&str> = h.pollers.iter().map(|p| p.name()).collect();
    assert_eq!(
        names,
        ["hackernews/q/acme", "hackernews/q/widget co", "hackernews/own/acmehq"]
    );

    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path(), &fake.base_url, "query = \"acme cloud\"");
    let setup = Setup {
        source: &config.sources[0],
        brands: &config.brands,
        http: sources::http::client(),
    };
    let built: Vec<String> = sources::build(&setup)
        .unwrap()
        .iter()
        .map(|s| s.name().to_string())
        .collect();
    assert_eq!(built, ["hackernews/q/acme cloud", "hackernews/own/acmehq"]);
    drop(h);
}
