//! `talkback run` end to end with all six networks at once: the real binary, a config listing
//! Mastodon, Bluesky (XRPC and the Jetstream firehose), Reddit, Hacker News, X and two RSS
//! feeds, every one pointed at a fake on 127.0.0.1, and Slack faked in Socket Mode. Each network
//! is seeded with posts that match the brand and posts that do not; where a network has several
//! paths to the same post (a Mastodon status in a hashtag timeline, in search and in the
//! notifications; a Bluesky post in search, in the notifications and on the firehose; a Reddit
//! link in search and in its subreddit; an HN story found by two search terms; an RSS item in
//! two feeds) it is seeded on all of them. Every matching post must be alerted exactly once.

#![cfg(unix)]

mod support;

use std::cell::Cell;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use support::fake_bluesky::{self as bsky, FakeBluesky};
use support::fake_hackernews::{self as hn, FakeHn};
use support::fake_mastodon::FakeMastodon;
use support::fake_reddit::{self as reddit, FakeReddit};
use support::fake_rss::{rss2, rss_item, Doc, FakeFeeds};
use support::fake_slack::FakeSlack;
use support::fake_x::{self as x, FakeX};
use support::faults::FaultProxy;

/// Only a guard against a hang: every wait below is woken by the fakes, never by a timer.
const GUARD: Duration = Duration::from_secs(60);
const T: i64 = 1_795_000_000;
const SITE: &str = "https://devnotes.example";

/// A post that must become exactly one mention: where it lives and what its alert quotes.
struct Expected {
    network: &'static str,
    id: String,
    text: &'static str,
}

fn expect(network: &'static str, id: impl Into<String>, text: &'static str) -> Expected {
    Expected {
        network,
        id: id.into(),
        text,
    }
}

/// Seeds every fake; returns the posts that match the brand (`acme OR acmecloud`).
fn seed(
    masto: &FakeMastodon,
    sky: &FakeBluesky,
    red: &FakeReddit,
    news: &FakeHn,
    tw: &FakeX,
    feeds: &FakeFeeds,
) -> Vec<Expected> {
    let mut want = Vec::new();

    // Mastodon. m1 is in the hashtag timeline, in search ("acme") and a mention notification;
    // m2 is in the hashtag timeline and found by both searches ("acme", "acmecloud"). The other
    // two are what the instance also answers: a tagged status that does not say the name, and a
    // search hit for the substring ("pacmen") that the brand's word-boundary term rejects.
    let bob = masto.account("bob", "Bob Smith");
    let carol = masto.account("carol@other.example", "Carol");
    let m1 = masto.status(&bob, "<p>Is Acme down for anyone?</p>");
    let m2 = masto.status(&carol, "<p>AcmeCloud billing question, anyone?</p>");
    let tagged = masto.status(&carol, "<p>Wile E. Coyote orders more rockets</p>");
    let pacmen = masto.status(&bob, "<p>Pacmen everywhere at the arcade</p>");
    masto.publish(&["public", "tag:acme"], m1.clone());
    masto.publish(&["notifications"], masto.mention(&m1));
    masto.publish(&["public", "tag:acme"], m2.clone());
    masto.publish(&["public", "tag:acme"], tagged);
    masto.publish(&["public"], pacmen);
    want.push(expect(
        "mastodon",
        m1["id"].as_str().unwrap(),
        "Is Acme down for anyone?",
    ));
    want.push(expect(
        "mastodon",
        m2["id"].as_str().unwrap(),
        "AcmeCloud billing question, anyone?",
    ));

    // Bluesky: b1 in search and the notifications now, and on the firehose later (see
    // `firehose`); b2 only on the firehose. The search fake answers every hit it holds.
    let b1_text = "Acme status page says all green";
    let at = "2026-11-20T10:00:00.000Z";
    let alice = ("did:plc:alice", "alice.bsky.social");
    sky.add_search_hits([
        bsky::post_view(alice.0, alice.1, "3kb1", b1_text, at, None),
        bsky::post_view("did:plc:dan", "dan.bsky.social", "3kb3", "pacmen are back", at, None),
    ]);
    sky.add_notifications([
        bsky::notification("mention", alice.0, alice.1, "3kb1", b1_text, at),
        bsky::notification("like", "did:plc:erin", "erin.bsky.social", "3kl1", "", at),
    ]);
    want.push(expect("bluesky", bsky::uri(alice.0, "3kb1"), b1_text));
    want.push(expect(
        "bluesky",
        bsky::uri("did:plc:frank", "3kb2"),
        "acmecloud deploys are fast today",
    ));

    // Reddit: r1 in search and in r/selfhosted/new; a comment that matches; a thread that does
    // not; and a search hit for the substring only.
    let r1 = reddit::link(
        "r1aaa",
        "selfhosted",
        "gina",
        "Acme outage right now?",
        "Anyone else seeing Acme errors?",
        T as f64,
    );
    let weekly = reddit::link(
        "r3ccc",
        "selfhosted",
        "automod",
        "Weekly self-promo thread",
        "Share your projects",
        (T + 10) as f64,
    );
    let pac = reddit::link(
        "r4ddd",
        "gaming",
        "hal",
        "Pacmen homelab",
        "retro cabinet",
        (T + 20) as f64,
    );
    let c1 = reddit::comment(
        "c1eee",
        "t3_r3ccc",
        "t3_r3ccc",
        "selfhosted",
        "ivy",
        "AcmeCloud support answered in minutes",
        (T + 30) as f64,
    );
    red.push("/search", [r1.clone(), pac]);
    red.push("/r/selfhosted/new", [r1, weekly]);
    red.push("/r/selfhosted/comments", [c1]);
    want.push(expect("reddit", "t3_r1aaa", "Anyone else seeing Acme errors?"));
    want.push(expect("reddit", "t1_c1eee", "AcmeCloud support answered in minutes"));

    // Hacker News: one poller per term; 41002 is found by both "acme" and "acmecloud". The
    // comment answers a story that is no mention (an answer to a mention would join its
    // conversation instead of becoming a mention of its own).
    news.add([
        hn::story(
            41001,
            T,
            "jk",
            "Ask HN: Is Acme worth it?",
            None,
            Some("We are thinking about moving to Acme."),
        ),
        hn::story(
            41002,
            T + 60,
            "lm",
            "Show HN: AcmeCloud CLI",
            None,
            Some("A terminal client for AcmeCloud."),
        ),
        hn::comment(
            41003,
            T + 120,
            "no",
            "I moved off acme last year",
            41005,
            41005,
            "Rust 2.0 released",
        ),
        hn::story(41004, T + 180, "pq", "Pacmen reunion", None, Some("retro games night")),
        hn::story(41005, T + 240, "rs", "Rust 2.0 released", None, Some("finally")),
    ]);
    want.push(expect("hackernews", "41001", "We are thinking about moving to Acme."));
    want.push(expect("hackernews", "41002", "A terminal client for AcmeCloud."));
    want.push(expect("hackernews", "41003", "I moved off acme last year"));

    // X: recent search (the fake answers every tweet it holds).
    tw.add_user("2244994945", "tuser", "T User");
    let when = "2026-11-20T10:00:00.000Z";
    tw.publish([
        x::tweet(
            1_860_000_000_000_000_101,
            "2244994945",
            "acme is down again",
            when,
            "en",
            &[],
        ),
        x::tweet(
            1_860_000_000_000_000_102,
            "2244994945",
            "pacmen forever",
            when,
            "en",
            &[],
        ),
        x::tweet(
            1_860_000_000_000_000_103,
            "2244994945",
            "Loving the new AcmeCloud dashboard",
            when,
            "en",
            &[],
        ),
    ]);
    want.push(expect("x", "1860000000000000101", "acme is down again"));
    want.push(expect("x", "1860000000000000103", "Loving the new AcmeCloud dashboard"));

    // RSS: the same post in the blog's main feed and in its category feed.
    let moved = rss_item(
        &format!("{SITE}/?p=12"),
        "Why we moved to Acme",
        &format!("{SITE}/2026/11/why-we-moved/"),
        "Tom",
        T,
        "<p>We moved our stack to Acme last month.</p>",
    );
    let lisbon = rss_item(
        &format!("{SITE}/?p=11"),
        "Our trip to Lisbon",
        &format!("{SITE}/2026/11/lisbon/"),
        "Tom",
        T - 3600,
        "<p>Pastel de nata everywhere.</p>",
    );
    let doc = |items: &[String], etag: &str| Doc {
        body: rss2("Dev Notes", SITE, items),
        content_type: "application/rss+xml; charset=UTF-8",
        etag: Some(format!("\"{etag}\"")),
        last_modified: None,
    };
    feeds.set("/feed", doc(&[moved.clone(), lisbon], "main-1"));
    feeds.set("/category/acme/feed", doc(&[moved], "cat-1"));
    want.push(expect(
        "rss",
        format!("{SITE}/?p=12"),
        "We moved our stack to Acme last month.",
    ));

    want
}

/// Jetstream only sends live events to a connection without a cursor: emitted once the
/// firehose is connected. b1 repeats what search and the notifications already gave; b2 comes
/// last, so its alert proves everything before it was read.
fn firehose(sky: &FakeBluesky) {
    let t0 = 1_795_000_000_000_000u64;
    sky.emit(bsky::jet_post(
        "did:plc:alice",
        "3kb1",
        t0,
        "Acme status page says all green",
        None,
    ));
    sky.emit(bsky::jet_post(
        "did:plc:gus",
        "3kb4",
        t0 + 1,
        "good morning everyone",
        None,
    ));
    sky.emit(bsky::jet_post(
        "did:plc:frank",
        "3kb2",
        t0 + 2,
        "acmecloud deploys are fast today",
        None,
    ));
}

/// Where talkback finds each fake: straight, or through a fault-injecting proxy.
struct Urls {
    masto: String,
    sky: String,
    jet: String,
    red: String,
    news: String,
    tw: String,
    feeds: String,
    slack: String,
}

fn config(u: &Urls) -> String {
    format!(
        r##"[store]
path = "store"

[[brands]]
name = "Acme"
query = "acme OR acmecloud"
channel = "alerts"

[[sources]]
kind = "mastodon"
base_url = "{masto}"
token_env = "MASTODON_TOKEN"
hashtags = ["#acme"]
every = "1s"

[[sources]]
kind = "bluesky"
base_url = "{sky}"
jetstream_url = "{jet}"
identifier = "{identifier}"
app_password_env = "BLUESKY_APP_PASSWORD"
every = "1s"

[[sources]]
kind = "reddit"
base_url = "{red}"
auth_url = "{red}"
client_id_env = "REDDIT_CLIENT_ID"
client_secret_env = "REDDIT_CLIENT_SECRET"
username = "{username}"
password_env = "REDDIT_PASSWORD"
subreddits = ["r/selfhosted"]
every = "1s"

[[sources]]
kind = "hackernews"
base_url = "{news}"
every = "1s"

[[sources]]
kind = "x"
base_url = "{tw}"
bearer_token_env = "X_BEARER_TOKEN"
every = "1s"

[[sources]]
kind = "rss"
url = "{feeds}/feed"
every = "1s"

[[sources]]
kind = "rss"
url = "{feeds}/category/acme/feed"
every = "1s"

[channels.alerts]
slack = "C0ALERTS"

[chat.slack]
api_url = "{slack}"
bot_token_env = "SLACK_BOT_TOKEN"
app_token_env = "SLACK_APP_TOKEN"
"##,
        masto = u.masto,
        sky = u.sky,
        jet = u.jet,
        identifier = bsky::IDENTIFIER,
        red = u.red,
        username = reddit::USERNAME,
        news = u.news,
        tw = u.tw,
        feeds = u.feeds,
        slack = u.slack,
    )
}

/// The running bot; killed if the test fails before stopping it.
struct Bot(Option<Child>);

impl Drop for Bot {
    fn drop(&mut self) {
        if let Some(mut c) = self.0.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Every top-level alert message's blocks, as text.
fn alert_bodies(slack: &FakeSlack) -> Vec<String> {
    slack
        .calls("chat.postMessage")
        .iter()
        .filter(|c| c.get("thread_ts").is_none_or(Value::is_null))
        .map(|c| c["blocks"].to_string())
        .collect()
}

/// The mention ids alerted (`*#7 Acme*` per mention, in a single alert or a grouped one), with
/// how many times each was.
fn alerted_ids(slack: &FakeSlack) -> BTreeMap<u64, usize> {
    let mut out = BTreeMap::new();
    for body in alert_bodies(slack) {
        for part in body.split("*#").skip(1) {
            let digits: String = part.chars().take_while(char::is_ascii_digit).collect();
            if part[digits.len()..].starts_with(" Acme*") {
                *out.entry(digits.parse().unwrap()).or_default() += 1;
            }
        }
    }
    out
}

fn export(dir: &Path) -> Vec<Value> {
    let out = Command::new(env!("CARGO_BIN_EXE_talkback"))
        .args(["export", "--config"])
        .arg(dir)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "export failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn talkback_run_with_all_six_sources_alerts_each_matching_post_exactly_once() {
    all_six(false).await;
}

/// The same run with a fault-injecting proxy in front of every API (each network, the
/// firehose and Slack): 500s, 429s, resets, cut and malformed bodies, slow answers and broken
/// streams. Each is retried or skipped, nothing is lost or doubled, the process stays up.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_faults_on_every_api_nothing_is_lost_or_doubled() {
    all_six(true).await;
}

async fn all_six(faulty: bool) {
    let started = Instant::now();
    let (masto, sky, red, news, tw, feeds, slack) = tokio::join!(
        FakeMastodon::start(),
        FakeBluesky::start(),
        FakeReddit::start(),
        FakeHn::start(),
        FakeX::start(),
        FakeFeeds::start(),
        FakeSlack::start(),
    );
    let want = seed(&masto, &sky, &red, &news, &tw, &feeds);
    let dir = tempfile::tempdir().unwrap();
    let mut proxies: Vec<(&str, FaultProxy)> = Vec::new();
    let mut via = async |name: &'static str, straight: &str| -> String {
        if !faulty {
            return straight.to_string();
        }
        // Every third request is a fault, until 7 (each kind at least once).
        let proxy = FaultProxy::start(addr_of(straight), 3, 7).await;
        let path = straight
            .splitn(4, '/')
            .nth(3)
            .map(|p| format!("/{p}"))
            .unwrap_or_default();
        let scheme = if straight.starts_with("ws") { "ws" } else { "http" };
        let routed = format!("{scheme}{}{path}", proxy.url.trim_start_matches("http"));
        proxies.push((name, proxy));
        routed
    };
    let urls = Urls {
        masto: via("mastodon", &masto.base_url).await,
        sky: via("bluesky", &sky.base_url).await,
        jet: via("jetstream", &sky.jetstream_url).await,
        red: via("reddit", &red.url).await,
        news: via("hackernews", &news.base_url).await,
        tw: via("x", &tw.url).await,
        feeds: via("rss", &feeds.base_url).await,
        slack: via("slack", &slack.api_url).await,
    };
    std::fs::write(dir.path().join("talkback.toml"), config(&urls)).unwrap();
    let log = dir.path().join("talkback.log");
    let child = Command::new(env!("CARGO_BIN_EXE_talkback"))
        .args(["run", "--config"])
        .arg(dir.path())
        .env("MASTODON_TOKEN", "mastodon-test-token-5f2b")
        .env("BLUESKY_APP_PASSWORD", bsky::PASSWORD)
        .env("REDDIT_CLIENT_ID", reddit::CLIENT_ID)
        .env("REDDIT_CLIENT_SECRET", reddit::CLIENT_SECRET)
        .env("REDDIT_PASSWORD", reddit::PASSWORD)
        .env("X_BEARER_TOKEN", x::TOKEN)
        .env("SLACK_BOT_TOKEN", "xoxb-test-bot-token")
        .env("SLACK_APP_TOKEN", "xapp-test-app-token")
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let mut bot = Bot(Some(child));
    let pid = bot.0.as_ref().unwrap().id();
    let log_text = || std::fs::read_to_string(&log).unwrap_or_default();

    // Every polled path asked twice: its first round (read, stored, cursor moved) is over.
    // The counts only grow, so waiting on one fake after another is waiting for all of them.
    let stage = Cell::new("start");
    let waited = tokio::time::timeout(GUARD, async {
        stage.set("mastodon: two rounds of the hashtag, both searches and the notifications");
        masto
            .until(|f| {
                let searched = |q: &str| {
                    f.calls("/api/v2/search")
                        .iter()
                        .filter(|c| c.param("q") == Some(q))
                        .count()
                };
                let rounds = [
                    f.calls("/api/v1/timelines/tag/acme").len(),
                    f.calls("/api/v1/notifications").len(),
                    searched("acme"),
                    searched("acmecloud"),
                ];
                rounds.iter().all(|n| *n >= 2).then_some(())
            })
            .await;
        stage.set("bluesky: the firehose connects");
        sky.wait_connections(1).await;
        firehose(&sky);
        stage.set("bluesky: two rounds of search and the notifications");
        sky.until(|f| {
            let n = |m: &str| f.calls(m).len();
            (n("app.bsky.feed.searchPosts") >= 2 && n("app.bsky.notification.listNotifications") >= 2).then_some(())
        })
        .await;
        stage.set("reddit: two rounds of search and r/selfhosted new posts and comments");
        red.until(|f| {
            let paths = ["/search", "/r/selfhosted/new", "/r/selfhosted/comments"];
            paths.iter().all(|p| f.seen(p).len() >= 2).then_some(())
        })
        .await;
        stage.set("hackernews: two rounds of each term");
        news.until(|f| {
            let asked = |q: &str| {
                f.requests()
                    .iter()
                    .filter(|r| r.get("query").map(String::as_str) == Some(q))
                    .count()
            };
            (asked("acme") >= 2 && asked("acmecloud") >= 2).then_some(())
        })
        .await;
        stage.set("x: two rounds of recent search");
        tw.until(|f| (f.seen(x::SEARCH).len() >= 2).then_some(())).await;
        stage.set("rss: two rounds of both feeds");
        feeds
            .until(|f| {
                let asked = |p: &str| f.requests().iter().filter(|r| r.path == p).count();
                (asked("/feed") >= 2 && asked("/category/acme/feed") >= 2).then_some(())
            })
            .await;
        stage.set("slack: an alert quoting every matching post");
        slack
            .until(|f| {
                let bodies = alert_bodies(f).concat();
                want.iter().all(|w| bodies.contains(w.text)).then_some(())
            })
            .await;
    })
    .await;
    if waited.is_err() {
        let bodies = alert_bodies(&slack).concat();
        let missing: Vec<&str> = want
            .iter()
            .filter(|w| !bodies.contains(w.text))
            .map(|w| w.text)
            .collect();
        let requests =
            format!(
            "mastodon {:?}\nbluesky {:?} (firehose connections {:?})\nreddit {:?}\nhackernews {:?}\nx {:?}\nrss {:?}",
            masto.calls("/").iter().map(|c| (&c.path, c.param("q"))).collect::<Vec<_>>(),
            ["app.bsky.feed.searchPosts", "app.bsky.notification.listNotifications"].map(|m| sky.calls(m).len()),
            sky.connections(),
            red.all_seen().iter().map(|s| &s.path).collect::<Vec<_>>(),
            news.requests().iter().map(|r| r.get("query").cloned()).collect::<Vec<_>>(),
            tw.seen(x::SEARCH).len(),
            feeds.requests().iter().map(|r| (&r.path, r.status)).collect::<Vec<_>>(),
        );
        panic!(
            "still waiting after {GUARD:?} for {}; not alerted yet: {missing:?}\n--- requests seen ---\n{requests}\n--- talkback's log ---\n{}",
            stage.get(),
            log_text()
        );
    }

    // A graceful stop: everything pending is posted and flushed, and the exit code is 0.
    let status = Command::new("kill").args(["-TERM", &pid.to_string()]).status().unwrap();
    assert!(status.success());
    let mut child = bot.0.take().unwrap();
    let exited = tokio::time::timeout(GUARD, tokio::task::spawn_blocking(move || child.wait().unwrap())).await;
    let Ok(exit) = exited else {
        // The waiting thread returns once the process is gone.
        let _ = Command::new("kill").args(["-KILL", &pid.to_string()]).status();
        panic!("no exit {GUARD:?} after SIGTERM\n{}", log_text());
    };
    let exit = exit.unwrap();
    assert!(exit.success(), "graceful stop exits 0: {exit:?}\n{}", log_text());

    // The store holds exactly one mention per matching post, and nothing else.
    let records = export(dir.path());
    let mentions: Vec<&Value> = records.iter().filter(|r| r["type"] == "mention").collect();
    let stored: Vec<(String, String)> = mentions
        .iter()
        .map(|m| {
            let p = &m["post"];
            (
                p["network"].as_str().unwrap().to_string(),
                p["id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let stored_set: BTreeSet<(String, String)> = stored.iter().cloned().collect();
    assert_eq!(stored.len(), stored_set.len(), "a post was stored twice: {stored:#?}");
    let expected: BTreeSet<(String, String)> = want.iter().map(|w| (w.network.to_string(), w.id.clone())).collect();
    assert_eq!(stored_set, expected, "mentions in the store");
    assert!(mentions.iter().all(|m| m["brand"] == "Acme"));

    // Every path really was read and stored: its cursor moved. The firehose's cursor is the
    // last event sent, so b1's second sighting there was read too.
    let cursors: BTreeMap<&str, &str> = records
        .iter()
        .filter(|r| r["type"] == "cursor")
        .map(|r| (r["source"].as_str().unwrap(), r["cursor"].as_str().unwrap()))
        .collect();
    for part in [
        "mastodon/notifications",
        "mastodon/tag/acme",
        "mastodon/search/acme",
        "mastodon/search/acmecloud",
        "bluesky/search",
        "bluesky/notifications",
        "reddit/search",
        "reddit/r/selfhosted/new",
        "reddit/r/selfhosted/comments",
        "hackernews/q/acme",
        "hackernews/q/acmecloud",
        "x/search",
        "rss/feed",
        "rss-2/feed",
    ] {
        assert!(
            cursors.get(part).is_some_and(|c| !c.is_empty()),
            "no cursor for {part}: {cursors:#?}"
        );
    }
    assert_eq!(cursors.get("bluesky/firehose"), Some(&"1795000000000002"));

    // Slack: each mention in exactly one alert (single or grouped), and no other alert.
    let alerted = alerted_ids(&slack);
    let ids: BTreeSet<u64> = mentions.iter().map(|m| m["id"].as_u64().unwrap()).collect();
    assert_eq!(
        alerted.keys().copied().collect::<BTreeSet<_>>(),
        ids,
        "alerted mention ids"
    );
    assert!(
        alerted.values().all(|n| *n == 1),
        "a mention was alerted more than once: {alerted:?}"
    );
    assert_eq!(alerted.len(), want.len());
    let bodies = alert_bodies(&slack);
    for w in &want {
        let n = bodies.iter().map(|b| b.matches(w.text).count()).sum::<usize>();
        assert_eq!(n, 1, "`{}` ({} {}) quoted {n} times in alerts", w.text, w.network, w.id);
    }
    assert!(slack
        .calls("chat.postMessage")
        .iter()
        .all(|c| c["channel"] == "C0ALERTS"));
    for (name, p) in &proxies {
        eprintln!("{name}: {} faults injected: {:?}", p.total(), p.injected());
        assert!(p.total() > 0, "no fault reached {name}");
    }
    let total: u64 = proxies.iter().map(|(_, p)| p.total()).sum();
    eprintln!(
        "all six sources end to end in {:?}{}",
        started.elapsed(),
        if faulty {
            format!(", with {total} faults injected")
        } else {
            String::new()
        }
    );
}

/// `127.0.0.1:PORT` of a fake's URL.
fn addr_of(url: &str) -> std::net::SocketAddr {
    let rest = url.split("://").nth(1).unwrap();
    rest.split('/').next().unwrap().parse().unwrap()
}
