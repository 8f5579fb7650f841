//! The Mastodon source against a fake instance on 127.0.0.1: first poll, pagination, restart
//! from the cursor, rate limits (Retry-After and Mastodon's ISO 8601 reset), server errors,
//! malformed JSON, search sweeps, SSE drop and reconnect with backfill, and the own-account
//! watcher feeding the activity ledger.

mod support;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use support::fake_mastodon::FakeMastodon;
use talkback::clock::SystemClock;
use talkback::config::{Config, Needs};
use talkback::pipeline::{Notice, Pipeline};
use talkback::sources::poll::{Backoff, Poller};
use talkback::sources::{self, http, mastodon, Health, Setup, Source, SourceContext};
use talkback::store::{ActivityKind, Mention, MentionState, Store};
use talkback::triage::Triage;
use tokio::sync::{mpsc, watch};

const TOKEN: &str = "mastodon-test-token-5f2b";

struct Bot {
    _dir: Option<tempfile::TempDir>,
    config: Config,
    store: Store,
    cx: SourceContext,
    notices: mpsc::UnboundedReceiver<Notice>,
    stop: watch::Sender<bool>,
}

/// A bot with brand Acme (own account `@acme` on the fake) and one mastodon source table.
fn bot(fake: &FakeMastodon, source: &str) -> Bot {
    let dir = tempfile::tempdir().unwrap();
    let mut b = bot_at(dir.path(), fake, source);
    b._dir = Some(dir);
    b
}

/// A bot whose config and store live in `dir` (a restart opens the same store again).
fn bot_at(dir: &std::path::Path, fake: &FakeMastodon, source: &str) -> Bot {
    let text = format!(
        "[store]\npath = \"store\"\n\n[[brands]]\nname = \"Acme\"\nquery = \"acme\"\n\
         own_accounts = [\"mastodon:@acme@{}\"]\n\n[[sources]]\nkind = \"mastodon\"\nbase_url = \"{}\"\n{source}\n",
        fake.host, fake.base_url
    );
    let env = |name: &str| (name == "MASTODON_TOKEN").then(|| TOKEN.to_string());
    let config =
        Config::from_str(&dir.join("talkback.toml"), &text, Needs::Everything, &env).unwrap_or_else(|e| panic!("{e}"));
    let store = Store::open(&config.store.path).unwrap();
    let (tx, notices) = mpsc::unbounded_channel();
    let clock = Arc::new(SystemClock);
    let pipeline = Pipeline::new(&config.brands, Triage::default(), store.clone(), clock.clone()).with_notices(tx);
    let (stop, shutdown) = watch::channel(false);
    let cx = SourceContext {
        store: store.clone(),
        pipeline: Arc::new(pipeline),
        shutdown,
        health: Health::default(),
        clock,
    };
    Bot {
        _dir: None,
        config,
        store,
        cx,
        notices,
        stop,
    }
}

impl Bot {
    fn setup(&self) -> Setup<'_> {
        Setup {
            source: &self.config.sources[0],
            brands: &self.config.brands,
            http: http::client(),
        }
    }

    fn poller(&self, name: &str) -> Poller {
        self.pollers().remove(name).unwrap()
    }

    /// One build of the table's pollers, by name: they share the instance's budget.
    fn pollers(&self) -> HashMap<String, Poller> {
        let all = mastodon::pollers(&self.setup()).unwrap();
        all.into_iter().map(|p| (p.name().to_string(), p)).collect()
    }

    async fn round(&self, p: &mut Poller) -> Duration {
        p.round(&self.cx, &mut Backoff::default()).await.unwrap()
    }

    fn mentions(&self) -> Vec<Mention> {
        self.store.all_mentions().map(Result::unwrap).collect()
    }

    fn mention_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self.mentions().into_iter().map(|m| m.post.id).collect();
        ids.sort();
        ids
    }

    /// Waits until the pipeline has stored `n` mentions (woken by its notices, no timers).
    async fn wait_mentions(&mut self, n: usize) {
        while self.mentions().len() < n {
            self.notices.recv().await.unwrap();
        }
    }
}

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_string()
}

fn ids(vs: &[Value]) -> Vec<String> {
    let mut out: Vec<String> = vs.iter().map(id).collect();
    out.sort();
    out
}

const NOTIFY: &str = "token_env = \"MASTODON_TOKEN\"\nsearch = false";

#[tokio::test]
async fn first_poll_reads_mentions_as_normalized_posts() {
    let fake = FakeMastodon::start().await;
    let bob = fake.account("bob", "Bob Smith");
    let carol = fake.account("carol@other.example", "");
    let mut s1 = fake.status(&bob, "<p><span class=\"h-card\"><a href=\"https://127.0.0.1/@acme\" class=\"u-url mention\">@<span>acme</span></a></span> does Acme support IPv6? &amp; v4?</p>");
    s1["spoiler_text"] = json!("networking");
    let parent = fake.status(&carol, "<p>we moved to acme</p>");
    let mut s2 = fake.reply(&carol, &parent, "<p>@acme thanks!<br>it works</p>");
    s2["language"] = json!("de");
    s2["url"] = Value::Null;
    for s in [&s1, &s2] {
        fake.publish(&["notifications"], fake.mention(s));
    }
    // Not a mention: a favourite of the brand's post never becomes a post.
    fake.publish(&["notifications"], fake.favourite(&bob, &parent));
    let b = bot(&fake, NOTIFY);
    let mut p = b.poller("mastodon/notifications");
    assert_eq!(b.round(&mut p).await, Duration::from_secs(60));

    let call = &fake.calls("/api/v1/notifications")[0];
    assert!(call.authorized);
    assert_eq!(call.param("types[]"), Some("mention"));
    assert!(call.query.iter().all(|(_, v)| !v.contains(TOKEN)));
    let mut ms = b.mentions();
    ms.sort_by(|a, b| a.post.id.cmp(&b.post.id));
    assert_eq!(ms.len(), 2);
    let (p1, p2) = (&ms[0].post, &ms[1].post);
    assert_eq!(p1.id, id(&s1));
    assert_eq!(p1.author_handle(), Some("@bob@127.0.0.1"));
    assert_eq!(p1.author.as_ref().unwrap().name.as_deref(), Some("Bob Smith"));
    assert_eq!(p1.text, "networking\n@acme does Acme support IPv6? & v4?");
    assert_eq!(p1.url, s1["url"].as_str().map(str::to_string));
    assert_eq!(p1.lang.as_deref(), Some("en"));
    assert_eq!(p1.reply_to, None);
    assert_eq!(p2.author_handle(), Some("@carol@other.example"));
    assert_eq!(p2.author.as_ref().unwrap().name.as_deref(), Some("carol"));
    assert_eq!(p2.text, "@acme thanks!\nit works");
    assert_eq!(p2.url, s2["uri"].as_str().map(str::to_string));
    assert_eq!(p2.reply_to, Some(id(&parent)));
    assert_eq!(p2.lang.as_deref(), Some("de"));
    assert!(b.cx.health.snapshot()["mastodon/notifications"].last_ok.is_some());
}

#[tokio::test]
async fn pagination_reads_every_page_until_caught_up() {
    let fake = FakeMastodon::start().await;
    let bob = fake.account("bob", "Bob");
    let first = fake.status(&bob, "<p>#acme day one</p>");
    fake.publish(&["tag:acme"], first.clone());
    let b = bot(&fake, "hashtags = [\"#acme\"]");
    let mut p = b.poller("mastodon/tag/acme");
    b.round(&mut p).await;
    assert_eq!(b.store.cursor("mastodon/tag/acme").unwrap(), Some(id(&first)));

    let later: Vec<Value> = (0..45)
        .map(|i| fake.status(&bob, &format!("<p>acme #{i}</p>")))
        .collect();
    for s in &later {
        fake.publish(&["tag:acme"], s.clone());
    }
    b.round(&mut p).await;
    let calls = fake.calls("/api/v1/timelines/tag/acme");
    assert_eq!(calls.len(), 3, "one first poll, then two pages of 40 and 5");
    assert_eq!(calls[1].param("min_id"), Some(id(&first).as_str()));
    assert_eq!(calls[1].param("limit"), Some("40"));
    assert_eq!(calls[2].param("min_id"), Some(id(&later[39]).as_str()));
    assert_eq!(b.mentions().len(), 46);
    assert_eq!(b.store.cursor("mastodon/tag/acme").unwrap(), Some(id(&later[44])));
}

#[tokio::test]
async fn a_restart_resumes_from_the_cursor_without_duplicates_or_gaps() {
    let fake = FakeMastodon::start().await;
    let bob = fake.account("bob", "Bob");
    let before: Vec<Value> = (0..3)
        .map(|i| fake.status(&bob, &format!("@acme question {i}")))
        .collect();
    for s in &before {
        fake.publish(&["notifications"], fake.mention(s));
    }
    let dir = tempfile::tempdir().unwrap();
    let b = bot_at(dir.path(), &fake, NOTIFY);
    b.round(&mut b.poller("mastodon/notifications")).await;
    let cursor = b.store.cursor("mastodon/notifications").unwrap().unwrap();
    drop(b);

    let after: Vec<Value> = (0..2).map(|i| fake.status(&bob, &format!("@acme again {i}"))).collect();
    for s in &after {
        fake.publish(&["notifications"], fake.mention(s));
    }
    // The same post seen through a hashtag too must not make a second mention.
    fake.publish(&["tag:acme"], after[0].clone());
    let b = bot_at(dir.path(), &fake, &format!("{NOTIFY}\nhashtags = [\"acme\"]"));
    b.round(&mut b.poller("mastodon/tag/acme")).await;
    b.round(&mut b.poller("mastodon/notifications")).await;
    b.round(&mut b.poller("mastodon/notifications")).await;
    let calls = fake.calls("/api/v1/notifications");
    assert_eq!(calls[1].param("min_id"), Some(cursor.as_str()));
    let mut all = before.clone();
    all.extend(after.clone());
    assert_eq!(b.mention_ids(), ids(&all));
}

/// Mastodon's own 429: no Retry-After, an ISO 8601 reset.
fn throttled(reset: &str) -> [(&'static str, String); 3] {
    [
        ("x-ratelimit-limit", "300".to_string()),
        ("x-ratelimit-remaining", "0".to_string()),
        ("x-ratelimit-reset", reset.to_string()),
    ]
}

fn iso_in(secs: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::seconds(secs))
        .format("%Y-%m-%dT%H:%M:%S%.6fZ")
        .to_string()
}

fn near(d: Duration, secs: u64) -> bool {
    d <= Duration::from_secs(secs) && d + Duration::from_secs(3) >= Duration::from_secs(secs)
}

#[tokio::test]
async fn a_429_with_retry_after_holds_every_part_of_the_table_then_recovers() {
    let fake = FakeMastodon::start().await;
    let bob = fake.account("bob", "Bob");
    let b = bot(&fake, &format!("{NOTIFY}\nhashtags = [\"acme\"]"));
    let mut all = b.pollers();
    let (mut tag, mut notes) = (
        all.remove("mastodon/tag/acme").unwrap(),
        all.remove("mastodon/notifications").unwrap(),
    );
    b.round(&mut tag).await;
    let anchored = b.store.cursor("mastodon/tag/acme").unwrap();
    assert!(
        anchored.is_some(),
        "an empty first poll still anchors the cursor at now"
    );
    fake.publish(&["tag:acme"], fake.status(&bob, "acme rocks"));
    fake.fail_next(
        "/api/v1/timelines/tag",
        429,
        &[("retry-after", "30")],
        r#"{"error":"Too many requests"}"#,
    );
    assert_eq!(b.round(&mut tag).await, Duration::from_secs(30));
    assert_eq!(b.store.cursor("mastodon/tag/acme").unwrap(), anchored);
    // The budget is the instance's: the other part waits too, without asking.
    let asked = fake.calls("/api/").len();
    assert!(b.round(&mut notes).await <= Duration::from_secs(30));
    assert_eq!(fake.calls("/api/").len(), asked);
    assert!(b.cx.health.snapshot()["mastodon/notifications"].last_error.is_some());

    tokio::time::pause();
    tokio::time::advance(Duration::from_secs(31)).await;
    tokio::time::resume();
    assert_eq!(b.round(&mut tag).await, Duration::from_secs(60));
    assert_eq!(b.mentions().len(), 1);
}

#[tokio::test]
async fn an_exhausted_budget_and_a_bare_429_wait_for_the_iso_reset() {
    let fake = FakeMastodon::start().await;
    let bob = fake.account("bob", "Bob");
    fake.publish(&["notifications"], fake.mention(&fake.status(&bob, "@acme hi")));
    let b = bot(&fake, NOTIFY);
    let mut p = b.poller("mastodon/notifications");
    fake.set_budget(0, &iso_in(120));
    assert_eq!(b.round(&mut p).await, Duration::from_secs(60));
    assert_eq!(b.mentions().len(), 1, "the page that used the budget up is kept");
    let asked = fake.calls("/api/").len();
    let wait = b.round(&mut p).await;
    assert!(near(wait, 120), "{wait:?}");
    assert_eq!(fake.calls("/api/").len(), asked);

    // A fresh table: the window reported on a good answer is what a bare 429 waits for.
    let b = bot(&fake, NOTIFY);
    let mut p = b.poller("mastodon/notifications");
    fake.set_budget(150, &iso_in(200));
    b.round(&mut p).await;
    let headers = throttled(&iso_in(90));
    let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
    fake.fail_next(
        "/api/v1/notifications",
        429,
        &headers,
        r#"{"error":"Too many requests"}"#,
    );
    let wait = b.round(&mut p).await;
    assert!(near(wait, 200), "{wait:?}");
}

#[tokio::test]
async fn a_500_backs_off_then_recovers() {
    let fake = FakeMastodon::start().await;
    let bob = fake.account("bob", "Bob");
    let b = bot(&fake, NOTIFY);
    let mut p = b.poller("mastodon/notifications");
    fake.publish(&["notifications"], fake.mention(&fake.status(&bob, "@acme one")));
    fake.fail_next(
        "/api/v1/notifications",
        500,
        &[],
        r#"{"error":"Internal server error"}"#,
    );
    let mut backoff = Backoff::default();
    let wait = p.round(&b.cx, &mut backoff).await.unwrap();
    assert!(
        wait >= Duration::from_secs(2) && wait <= Duration::from_secs(4),
        "{wait:?}"
    );
    assert_eq!(backoff.failures(), 1);
    assert_eq!(b.cx.health.snapshot()["mastodon/notifications"].consecutive_failures, 1);
    assert!(b.mentions().is_empty());
    assert_eq!(p.round(&b.cx, &mut backoff).await.unwrap(), Duration::from_secs(60));
    assert_eq!(backoff.failures(), 0);
    assert_eq!(b.mentions().len(), 1);
    assert_eq!(b.cx.health.snapshot()["mastodon/notifications"].consecutive_failures, 0);
}

#[tokio::test]
async fn malformed_json_is_skipped_and_the_source_goes_on() {
    let fake = FakeMastodon::start().await;
    let bob = fake.account("bob", "Bob");
    let b = bot(&fake, "hashtags = [\"acme\"]");
    let mut p = b.poller("mastodon/tag/acme");
    b.round(&mut p).await;
    let good = fake.status(&bob, "<p>acme one</p>");
    let broken =
        json!({"id": fake.next_id(), "created_at": "2026-11-20T10:00:00.000Z", "content": 5, "account": "bob"});
    let last = fake.status(&bob, "<p>acme two</p>");
    for s in [&good, &broken, &last] {
        fake.publish(&["tag:acme"], s.clone());
    }
    // A body that is not JSON at all (a proxy's error page): retried later.
    fake.fail_next("/api/v1/timelines/tag", 200, &[], "<html>502 Bad Gateway</html>");
    let mut backoff = Backoff::default();
    p.round(&b.cx, &mut backoff).await.unwrap();
    assert_eq!(backoff.failures(), 1);
    assert!(b.mentions().is_empty());
    p.round(&b.cx, &mut backoff).await.unwrap();
    assert_eq!(b.mention_ids(), ids(&[good, last.clone()]));
    assert_eq!(b.store.cursor("mastodon/tag/acme").unwrap(), Some(id(&last)));
    let broken_last = json!({"id": fake.next_id(), "account": {"id": "1"}});
    fake.publish(&["tag:acme"], broken_last.clone());
    p.round(&b.cx, &mut backoff).await.unwrap();
    assert_eq!(
        b.store.cursor("mastodon/tag/acme").unwrap(),
        Some(id(&broken_last)),
        "the cursor moves past it"
    );
}

#[tokio::test]
async fn search_sweeps_a_full_window_down_to_the_last_poll() {
    let fake = FakeMastodon::start().await;
    let bob = fake.account("bob@else.example", "Bob");
    let seen = fake.status(&bob, "<p>Acme is fine</p>");
    fake.publish_quietly(&["public"], seen.clone());
    let b = bot(&fake, "token_env = \"MASTODON_TOKEN\"\nnotifications = false");
    let mut p = b.poller("mastodon/search/acme");
    b.round(&mut p).await;
    assert_eq!(b.store.cursor("mastodon/search/acme").unwrap(), Some(id(&seen)));

    let fresh: Vec<Value> = (0..50)
        .map(|i| fake.status(&bob, &format!("<p>acme {i}</p>")))
        .collect();
    for s in &fresh {
        fake.publish_quietly(&["public"], s.clone());
    }
    fake.publish_quietly(&["public"], fake.status(&bob, "<p>unrelated</p>"));
    b.round(&mut p).await;
    let calls = fake.calls("/api/v2/search");
    assert_eq!(calls.len(), 3);
    for c in &calls[1..] {
        assert!(c.authorized);
        assert_eq!((c.param("q"), c.param("type")), (Some("acme"), Some("statuses")));
        assert_eq!(c.param("resolve"), Some("false"));
        assert_eq!(c.param("min_id"), Some(id(&seen).as_str()));
    }
    assert_eq!(calls[2].param("offset"), Some("40"));
    let mut all = fresh.clone();
    all.push(seen);
    assert_eq!(b.mention_ids(), ids(&all));
    assert_eq!(b.store.cursor("mastodon/search/acme").unwrap(), Some(id(&fresh[49])));
    b.round(&mut p).await;
    assert_eq!(
        fake.calls("/api/v2/search")[3].param("min_id"),
        Some(id(&fresh[49]).as_str())
    );
}

#[tokio::test]
async fn the_own_account_watcher_records_broadcast_reply_and_share() {
    let fake = FakeMastodon::start().await;
    let acme = fake.account("acme", "Acme Cloud");
    let bob = fake.account("bob@else.example", "Bob");
    let question = fake.status(&bob, "<p>@acme is the API down?</p>");
    fake.publish(&["notifications"], fake.mention(&question));
    let b = bot(&fake, NOTIFY);
    let mut all = b.pollers();
    let (mut notes, mut own) = (
        all.remove("mastodon/notifications").unwrap(),
        all.remove("mastodon/own/acme@127.0.0.1").unwrap(),
    );
    b.round(&mut notes).await;
    assert_eq!(b.mentions().len(), 1);

    let account = format!("account:{}", acme["id"].as_str().unwrap());
    let news = fake.status(&acme, "<p>Acme 2.0 is out</p>");
    let thread = fake.reply(&acme, &news, "<p>1/ more on Acme 2.0</p>");
    let answer = fake.reply(&acme, &question, "<p>@bob fixed now, sorry!</p>");
    let share = fake.boost(&acme, &fake.status(&bob, "<p>loving acme</p>"));
    for s in [&news, &thread, &answer, &share] {
        fake.publish(&[account.as_str()], s.clone());
    }
    b.round(&mut own).await;
    b.round(&mut own).await;
    let lookups = fake.calls("/api/v1/accounts/lookup");
    assert_eq!(lookups.len(), 1, "the id is looked up once");
    assert_eq!(lookups[0].param("acct"), Some("acme"));
    let statuses = fake.calls(&format!("/api/v1/accounts/{}/statuses", acme["id"].as_str().unwrap()));
    assert_eq!(statuses[1].param("min_id"), Some(id(&share).as_str()));

    let kinds: HashMap<String, ActivityKind> = b
        .store
        .activity(Some("Acme"))
        .unwrap()
        .into_iter()
        .map(|e| (e.post_id, e.kind))
        .collect();
    assert_eq!(kinds.len(), 4);
    assert_eq!(kinds[&id(&news)], ActivityKind::Broadcast);
    assert_eq!(kinds[&id(&thread)], ActivityKind::Broadcast, "a reply to its own post");
    assert_eq!(kinds[&id(&answer)], ActivityKind::Reply);
    assert_eq!(kinds[&id(&share)], ActivityKind::Share);
    let ms = b.mentions();
    assert_eq!(ms.len(), 1, "the brand's own posts are not mentions");
    assert_eq!(ms[0].state, MentionState::Answered);
    assert_eq!(ms[0].replies[0].post_id, id(&answer));
}

impl Bot {
    /// Starts the source `name` of the full build (streams included) on its own task.
    fn spawn(&self, name: &str) -> tokio::task::JoinHandle<Result<(), sources::SourceError>> {
        let all = sources::build(&self.setup()).unwrap();
        let names: Vec<String> = all.iter().map(|s| s.name().to_string()).collect();
        let source = all
            .into_iter()
            .find(|s| s.name() == name)
            .unwrap_or_else(|| panic!("no source {name} in {names:?}"));
        tokio::spawn(source.run(self.cx.clone()))
    }
}

#[tokio::test]
async fn a_dropped_stream_reconnects_and_backfills_without_loss() {
    let fake = FakeMastodon::start().await;
    let bob = fake.account("bob@else.example", "Bob");
    let mut b = bot(&fake, "streaming = true");
    let task = b.spawn("mastodon/stream/public");
    fake.until(|f| (f.connections("public") == 1).then_some(())).await;
    fake.heartbeat();
    fake.publish(&["public"], fake.status(&bob, "<p>nothing to see</p>"));
    fake.publish(&["public"], json!({"id": fake.next_id(), "content": "<p>acme</p>"}));
    let first = fake.status(&bob, "<p>acme streams</p>");
    fake.publish(&["public"], first.clone());
    b.wait_mentions(1).await;
    assert_eq!(b.store.cursor("mastodon/stream/public").unwrap(), Some(id(&first)));

    // Posted while the link is down: only the REST timeline has them.
    let missed: Vec<Value> = (0..2)
        .map(|i| fake.status(&bob, &format!("<p>acme missed {i}</p>")))
        .collect();
    for s in &missed {
        fake.publish_quietly(&["public"], s.clone());
    }
    fake.drop_streams();
    fake.until(|f| (f.connections("public") == 2).then_some(())).await;
    let last = fake.status(&bob, "<p>acme is back</p>");
    fake.publish(&["public"], last.clone());
    b.wait_mentions(4).await;

    let backfill = fake.calls("/api/v1/timelines/public");
    assert_eq!(backfill.len(), 2);
    assert_eq!(backfill[0].param("min_id"), None, "the first run reads the newest page");
    assert_eq!(backfill[1].param("min_id"), Some(id(&first).as_str()));
    assert_eq!(
        b.mention_ids(),
        ids(&[first, missed[0].clone(), missed[1].clone(), last.clone()])
    );
    assert_eq!(b.store.cursor("mastodon/stream/public").unwrap(), Some(id(&last)));
    b.stop.send(true).unwrap();
    task.await.unwrap().unwrap();
}

#[tokio::test]
async fn the_user_stream_brings_mentions_and_backfills_notifications() {
    let fake = FakeMastodon::start().await;
    let bob = fake.account("bob@else.example", "Bob");
    let mut b = bot(
        &fake,
        "token_env = \"MASTODON_TOKEN\"\nstreaming = true\nsearch = false",
    );
    let task = b.spawn("mastodon/stream/user");
    fake.until(|f| (f.connections("user") == 1).then_some(())).await;
    assert!(fake.calls("/api/v1/streaming/user")[0].authorized);
    let n1 = fake.mention(&fake.status(&bob, "<p>@acme hello</p>"));
    fake.publish(&["notifications"], n1.clone());
    let home = fake.status(&bob, "<p>acme in my home timeline</p>");
    fake.publish(&["home"], home.clone());
    b.wait_mentions(2).await;

    let n2 = fake.mention(&fake.status(&bob, "<p>@acme are you there?</p>"));
    fake.publish_quietly(&["notifications"], n2.clone());
    fake.drop_streams();
    b.wait_mentions(3).await;
    let calls = fake.calls("/api/v1/notifications");
    assert_eq!(calls[1].param("min_id"), Some(id(&n1).as_str()));
    assert_eq!(
        fake.calls("/api/v1/timelines/home")[1].param("min_id"),
        Some(id(&home).as_str())
    );
    assert_eq!(
        b.store.cursor("mastodon/stream/user").unwrap(),
        Some(format!("{},{}", id(&home), id(&n2)))
    );
    b.stop.send(true).unwrap();
    task.await.unwrap().unwrap();
}

#[test]
fn one_table_builds_a_source_per_part() {
    let names = |source: &str| -> Vec<String> {
        let fake_base = "http://127.0.0.1:9";
        let text = format!(
            "[[brands]]\nname = \"Acme\"\nquery = '\"acme cloud\" OR acmecloud'\nown_accounts = [\"mastodon:@acme@127.0.0.1\"]\n\n\
             [[sources]]\nkind = \"mastodon\"\nbase_url = \"{fake_base}\"\n{source}\n"
        );
        let env = |name: &str| (name == "MASTODON_TOKEN").then(|| TOKEN.to_string());
        let config = Config::from_str(std::path::Path::new("t.toml"), &text, Needs::Everything, &env).unwrap();
        let setup = Setup {
            source: &config.sources[0],
            brands: &config.brands,
            http: http::client(),
        };
        let mut out: Vec<String> = sources::build(&setup)
            .unwrap()
            .iter()
            .map(|s| s.name().to_string())
            .collect();
        out.sort();
        out
    };
    assert_eq!(
        names("token_env = \"MASTODON_TOKEN\"\nhashtags = [\"acme\"]"),
        [
            "mastodon/notifications",
            "mastodon/own/acme@127.0.0.1",
            "mastodon/search/acme cloud",
            "mastodon/search/acmecloud",
            "mastodon/tag/acme"
        ]
    );
    assert_eq!(
        names("token_env = \"MASTODON_TOKEN\"\nhashtags = [\"acme\"]\nstreaming = true\nsearch = false"),
        [
            "mastodon/own/acme@127.0.0.1",
            "mastodon/stream/public",
            "mastodon/stream/tag/acme",
            "mastodon/stream/user"
        ]
    );
}

#[tokio::test]
async fn an_empty_first_poll_anchors_so_a_burst_is_read_in_full() {
    let fake = FakeMastodon::start().await;
    let bob = fake.account("bob", "Bob");
    let b = bot(&fake, "hashtags = [\"acme\"]");
    let mut p = b.poller("mastodon/tag/acme");
    b.round(&mut p).await;
    let burst: Vec<Value> = (0..45)
        .map(|i| fake.status(&bob, &format!("<p>acme {i}</p>")))
        .collect();
    for s in &burst {
        fake.publish(&["tag:acme"], s.clone());
    }
    b.round(&mut p).await;
    assert_eq!(b.mention_ids(), ids(&burst));
}

#[tokio::test]
async fn a_stream_refused_with_429_waits_then_connects() {
    let fake = FakeMastodon::start().await;
    let bob = fake.account("bob", "Bob");
    let mut b = bot(&fake, "streaming = true\nhashtags = [\"acme\"]");
    fake.fail_next(
        "/api/v1/streaming/hashtag",
        429,
        &[("retry-after", "1")],
        r#"{"error":"Too many requests"}"#,
    );
    let task = b.spawn("mastodon/stream/tag/acme");
    fake.until(|f| (f.connections("tag:acme") == 1).then_some(())).await;
    assert_eq!(fake.calls("/api/v1/streaming/hashtag").len(), 2);
    assert_eq!(fake.calls("/api/v1/streaming/hashtag")[1].param("tag"), Some("acme"));
    let s = fake.status(&bob, "<p>#acme live</p>");
    fake.publish(&["tag:acme"], s.clone());
    b.wait_mentions(1).await;
    assert_eq!(b.mention_ids(), ids(&[s]));
    b.stop.send(true).unwrap();
    task.await.unwrap().unwrap();
}
