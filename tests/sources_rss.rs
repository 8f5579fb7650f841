//! The RSS/Atom source against a fake feed server on 127.0.0.1: each test drives poll rounds one
//! at a time (no timers) and checks the posts stored, the cursor and the conditional GET.

mod support;

use std::sync::Arc;
use std::time::Duration;

use support::fake_rss::{atom, atom_entry, rss2, rss_item, Doc, Failure, FakeFeeds};
use talkback::clock::SystemClock;
use talkback::config::{Config, Needs};
use talkback::domain::Post;
use talkback::pipeline::Pipeline;
use talkback::sources::poll::{Backoff, Poller};
use talkback::sources::{self, rss, Health, Setup, Source, SourceContext};
use talkback::store::{ActivityKind, Store};
use talkback::triage::Triage;
use tokio::sync::watch;

const T: i64 = 1_795_000_000;
const EVERY: Duration = Duration::from_secs(300);
const SITE: &str = "https://devnotes.example";

/// A store, a pipeline and one poller per `[[sources]]` table; `restart` reopens them from disk.
struct Harness {
    dir: tempfile::TempDir,
    config: Config,
    cx: SourceContext,
    pollers: Vec<Poller>,
    backoff: Backoff,
    _stop: watch::Sender<bool>,
}

impl Harness {
    /// `sources` maps a source name to its feed path on the fake.
    fn new(fake: &FakeFeeds, own: &str, sources: &[(&str, &str)]) -> Harness {
        let dir = tempfile::tempdir().unwrap();
        let mut text = format!("[[brands]]\nname = \"Acme\"\nquery = 'acme'\nown_accounts = [{own}]\n");
        for (name, path) in sources {
            text += &format!(
                "\n[[sources]]\nkind = \"rss\"\nname = \"{name}\"\nurl = \"{}{path}\"\nevery = \"5m\"\n",
                fake.base_url
            );
        }
        let config = Config::from_str(&dir.path().join("talkback.toml"), &text, Needs::Everything, &|_| None)
            .unwrap_or_else(|e| panic!("{e}"));
        Harness::open(dir, config)
    }

    fn open(dir: tempfile::TempDir, config: Config) -> Harness {
        let store = Store::open(&dir.path().join("store")).unwrap();
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
        let pollers = config
            .sources
            .iter()
            .map(|source| {
                let setup = Setup {
                    source,
                    brands: &config.brands,
                    http: sources::http::client(),
                };
                rss::poller(&setup).unwrap()
            })
            .collect();
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

    fn delivered(&self, name: &str) -> u64 {
        self.cx.health.snapshot().get(name).map_or(0, |h| h.posts)
    }

    fn cursor(&self, name: &str) -> Option<String> {
        self.cx.store.cursor(name).unwrap()
    }
}

const FEED: &str = "blog/feed";

fn one_feed(fake: &FakeFeeds) -> Harness {
    Harness::new(fake, "", &[("blog", "/feed")])
}

fn post(n: u32, t: i64, html: &str) -> String {
    rss_item(
        &format!("{SITE}/?p={n}"),
        &format!("Post {n}"),
        &format!("{SITE}/2026/11/post-{n}/"),
        "Jane Doe",
        t,
        html,
    )
}

fn rss_doc(items: &[String], etag: Option<&str>, last_modified: Option<&str>) -> Doc {
    Doc {
        body: rss2("Dev Notes", SITE, items),
        content_type: "application/rss+xml; charset=UTF-8",
        etag: etag.map(str::to_string),
        last_modified: last_modified.map(str::to_string),
    }
}

#[tokio::test]
async fn an_rss2_feed_becomes_posts() {
    let fake = FakeFeeds::start().await;
    let items = [
        post(
            101,
            T,
            "<p>We moved off <strong>Acme Cloud</strong> last week.</p><p>Here&#8217;s why.</p>",
        ),
        post(102, T + 60, "<p>Nothing about clouds.</p>"),
    ];
    fake.set("/feed", rss_doc(&items, Some("\"v1\""), None));
    let mut h = one_feed(&fake);
    assert_eq!(h.round(FEED).await, EVERY);

    let first = &fake.requests()[0];
    assert_eq!((&first.if_none_match, &first.if_modified_since), (&None, &None));
    let posts = h.posts();
    assert_eq!(h.ids(), [format!("{SITE}/?p=101")]);
    let p = &posts[0];
    assert_eq!(p.url.as_deref(), Some("https://devnotes.example/2026/11/post-101/"));
    assert_eq!(p.title.as_deref(), Some("Post 101"));
    assert_eq!(p.text, "We moved off Acme Cloud last week.\nHere’s why.");
    assert_eq!(p.author_handle(), Some("Jane Doe"));
    assert_eq!(p.created_at.unwrap().timestamp(), T);
    assert_eq!(p.lang.as_deref(), Some("en-us"));
    assert_eq!(p.reply_to, None);
    assert_eq!(
        h.delivered(FEED),
        2,
        "both entries reach the pipeline; only one matches"
    );
    let cursor: serde_json::Value = serde_json::from_str(&h.cursor(FEED).unwrap()).unwrap();
    assert_eq!(cursor["etag"], "\"v1\"");
    assert_eq!(cursor["seen"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn an_atom_feed_becomes_posts() {
    let fake = FakeFeeds::start().await;
    let entry = atom_entry(
        "tag:watch.example,2026:1",
        "Acme &amp; friends",
        "https://watch.example/posts/1",
        "Max Mustermann",
        "2026-11-24T09:00:00Z",
        "<p>Acme ist <em>schnell</em></p>",
    );
    fake.set(
        "/atom.xml",
        Doc {
            body: atom("de", &[entry]),
            content_type: "application/atom+xml",
            ..Doc::default()
        },
    );
    let mut h = Harness::new(&fake, "", &[("watch", "/atom.xml")]);
    h.round("watch/feed").await;

    let posts = h.posts();
    assert_eq!(posts.len(), 1);
    let p = &posts[0];
    assert_eq!(p.id, "tag:watch.example,2026:1");
    assert_eq!(
        p.url.as_deref(),
        Some("https://watch.example/posts/1"),
        "the alternate link, not replies"
    );
    assert_eq!(p.title.as_deref(), Some("Acme & friends"));
    assert_eq!(p.text, "Acme ist schnell");
    assert_eq!(p.author_handle(), Some("Max Mustermann"));
    assert_eq!(p.created_at.unwrap().to_rfc3339(), "2026-11-24T09:00:00+00:00");
    assert_eq!(p.lang.as_deref(), Some("de"));
}

#[tokio::test]
async fn an_etag_is_sent_back_and_304_brings_nothing() {
    let fake = FakeFeeds::start().await;
    let first = [post(1, T, "acme one")];
    fake.set("/feed", rss_doc(&first, Some("W/\"v1\""), None));
    let mut h = one_feed(&fake);
    h.round(FEED).await;
    let cursor = h.cursor(FEED);

    assert_eq!(h.round(FEED).await, EVERY);
    let second = &fake.requests()[1];
    assert_eq!(second.if_none_match.as_deref(), Some("W/\"v1\""));
    assert_eq!(second.if_modified_since, None);
    assert_eq!(second.status, 304);
    assert_eq!(h.cursor(FEED), cursor, "a 304 keeps the cursor");
    assert_eq!(h.delivered(FEED), 1);

    fake.set(
        "/feed",
        rss_doc(&[post(2, T + 60, "acme two"), first[0].clone()], Some("W/\"v2\""), None),
    );
    h.round(FEED).await;
    assert_eq!(fake.requests()[2].status, 200);
    assert_eq!(h.delivered(FEED), 2, "only the new entry");
    assert!(h.cursor(FEED).unwrap().contains("v2"));
}

#[tokio::test]
async fn last_modified_is_sent_back_and_304_brings_nothing() {
    let fake = FakeFeeds::start().await;
    let stamp = "Tue, 24 Nov 2026 10:00:00 GMT";
    fake.set("/feed", rss_doc(&[post(1, T, "acme one")], None, Some(stamp)));
    let mut h = one_feed(&fake);
    h.round(FEED).await;

    h.round(FEED).await;
    let second = &fake.requests()[1];
    assert_eq!(second.if_modified_since.as_deref(), Some(stamp));
    assert_eq!(second.if_none_match, None);
    assert_eq!(second.status, 304);
    assert_eq!(h.delivered(FEED), 1);
}

#[tokio::test]
async fn a_restart_resumes_without_duplicates_or_gaps() {
    let fake = FakeFeeds::start().await;
    // No validators: every poll is a full 200, so only the remembered ids prevent repeats.
    let items = vec![post(2, T + 60, "acme two"), post(1, T, "acme one")];
    fake.set("/feed", rss_doc(&items, None, None));
    let mut h = one_feed(&fake);
    h.round(FEED).await;
    assert_eq!(h.delivered(FEED), 2);

    let mut h = h.restart();
    h.round(FEED).await;
    assert_eq!(h.delivered(FEED), 0, "nothing new after a restart");

    let mut more = vec![post(3, T + 120, "acme three")];
    more.extend(items);
    fake.set("/feed", rss_doc(&more, None, None));
    let mut h = h.restart();
    h.round(FEED).await;
    assert_eq!(h.delivered(FEED), 1);
    assert_eq!(h.posts().len(), 3);
}

#[tokio::test]
async fn a_429_waits_as_long_as_retry_after_says() {
    let fake = FakeFeeds::start().await;
    fake.set("/feed", rss_doc(&[post(1, T, "acme one")], Some("\"v1\""), None));
    let mut h = one_feed(&fake);
    fake.fail_next(Failure::Status(429, Some(7)));

    assert_eq!(h.round(FEED).await, Duration::from_secs(7));
    assert!(h.ids().is_empty());
    assert_eq!(h.round(FEED).await, EVERY);
    assert_eq!(h.posts().len(), 1);
}

#[tokio::test]
async fn a_500_backs_off_then_recovers() {
    let fake = FakeFeeds::start().await;
    fake.set("/feed", rss_doc(&[post(1, T, "acme one")], Some("\"v1\""), None));
    let mut h = one_feed(&fake);
    fake.fail_next(Failure::Status(500, None));

    let wait = h.round(FEED).await;
    assert!(
        wait >= Duration::from_secs(2) && wait <= Duration::from_secs(4),
        "{wait:?}"
    );
    assert_eq!(h.cx.health.snapshot()[FEED].consecutive_failures, 1);
    assert_eq!(h.cursor(FEED), None);

    assert_eq!(h.round(FEED).await, EVERY);
    assert_eq!(h.posts().len(), 1);
    assert_eq!(h.backoff.failures(), 0);
}

#[tokio::test]
async fn a_malformed_feed_is_retried_and_the_source_goes_on() {
    let fake = FakeFeeds::start().await;
    let broken = Doc {
        body: "<html><body><h1>Site under maintenance</h1></body></html>".into(),
        content_type: "text/html",
        etag: Some("\"maint\"".into()),
        last_modified: None,
    };
    fake.set("/feed", broken);
    let mut h = one_feed(&fake);

    let wait = h.round(FEED).await;
    assert!(wait <= Duration::from_secs(4), "{wait:?}");
    let error = h.cx.health.snapshot()[FEED].last_error.clone().unwrap();
    assert!(error.contains("malformed feed"), "{error}");
    assert_eq!(h.cursor(FEED), None, "the broken answer's ETag is not kept");

    fake.set("/feed", rss_doc(&[post(1, T, "acme one")], Some("\"v1\""), None));
    assert_eq!(h.round(FEED).await, EVERY);
    assert_eq!(fake.requests()[1].if_none_match, None);
    assert_eq!(h.posts().len(), 1);
}

#[tokio::test]
async fn own_blog_posts_are_broadcasts_and_its_comments_are_mentions() {
    let fake = FakeFeeds::start().await;
    let own_site = &fake.base_url;
    let news = rss_item(
        &format!("{own_site}/?p=7"),
        "Acme Cloud 2.0",
        &format!("{own_site}/2026/11/acme-cloud-2/"),
        "Acme Team",
        T,
        "<p>Acme Cloud 2.0 is out.</p>",
    );
    fake.set("/feed", rss_doc(&[news], None, None));
    let comment = rss_item(
        &format!("{own_site}/?p=7#comment-12"),
        "Comment on Acme Cloud 2.0 by Bob",
        &format!("{own_site}/2026/11/acme-cloud-2/#comment-12"),
        "Bob",
        T + 60,
        "<p>Does Acme Cloud 2.0 support IPv6?</p>",
    );
    let comments = Doc {
        body: rss2("Comments for Acme Blog", own_site, &[comment]),
        content_type: "application/rss+xml; charset=UTF-8",
        ..Doc::default()
    };
    fake.set("/comments/feed", comments);
    let mut h = Harness::new(
        &fake,
        "\"rss:127.0.0.1\"",
        &[("blog", "/feed"), ("blog-comments", "/comments/feed")],
    );
    h.round("blog/feed").await;
    h.round("blog-comments/feed").await;

    let activity = h.cx.store.activity(Some("Acme")).unwrap();
    assert_eq!(activity.len(), 1);
    assert_eq!(activity[0].post_id, format!("{own_site}/?p=7"));
    assert_eq!(activity[0].kind, ActivityKind::Broadcast);
    let posts = h.posts();
    assert_eq!(posts.len(), 1, "the brand's own post is not a mention");
    assert_eq!(posts[0].title.as_deref(), Some("Comment on Acme Cloud 2.0 by Bob"));
    assert_eq!(posts[0].author_handle(), Some("Bob"));
    assert_eq!(posts[0].text, "Does Acme Cloud 2.0 support IPv6?");
}

#[tokio::test]
async fn a_source_without_a_usable_url_is_refused() {
    let fake = FakeFeeds::start().await;
    let h = one_feed(&fake);
    let mut source = h.config.sources[0].clone();
    source.url = None;
    let setup = Setup {
        source: &source,
        brands: &h.config.brands,
        http: sources::http::client(),
    };
    assert!(sources::build(&setup).is_err());
    source.url = Some(format!("{}/feed", fake.base_url));
    let setup = Setup {
        source: &source,
        brands: &h.config.brands,
        http: sources::http::client(),
    };
    let built = sources::build(&setup).unwrap();
    assert_eq!(built[0].name(), "blog/feed");
}
