//! The Reddit source against a fake Reddit on 127.0.0.1: token handling, search, subreddit posts
//! and comments, catch-up paging, restarts, rate limits, outages, malformed answers and the
//! own-account watcher. Rounds are driven one at a time through `Poller::round`.

mod support;

use std::collections::HashSet;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};
use support::fake_reddit::{comment, crosspost, link, Failure, FakeReddit, BASIC, PASSWORD, USERNAME};
use talkback::clock::{SharedClock, SystemClock};
use talkback::config::{Config, Needs};
use talkback::pipeline::Pipeline;
use talkback::sources::poll::{Backoff, Poller};
use talkback::sources::{reddit, Health, Setup, Source, SourceContext};
use talkback::store::{ActivityKind, Mention, Store};
use talkback::triage::Triage;
use tokio::sync::watch;

const SEARCH: &str = "reddit/search";
const NEW: &str = "reddit/r/selfhosted/new";
const COMMENTS: &str = "reddit/r/selfhosted/comments";
const OWN: &str = "reddit/u/acme/overview";
/// 2026-11-20T10:00:00Z
const T0: f64 = 1_795_168_800.0;

struct Harness {
    store: Store,
    cx: SourceContext,
    pollers: Vec<Poller>,
    backoff: Backoff,
    _stop: watch::Sender<bool>,
}

fn env(name: &str) -> Option<String> {
    match name {
        "REDDIT_CLIENT_ID" => Some("reddit-client-id".into()),
        "REDDIT_CLIENT_SECRET" => Some("reddit-client-secret".into()),
        "REDDIT_PASSWORD" => Some(PASSWORD.into()),
        "WRONG_PASSWORD" => Some("not-the-password".into()),
        _ => None,
    }
}

fn config(dir: &Path, fake: &FakeReddit, password_env: &str) -> Config {
    let text = format!(
        r#"
[store]
path = "store"

[[brands]]
name = "Acme"
query = '"acme cloud" OR acmecloud'
own_accounts = ["reddit:u/acme"]

[[sources]]
kind = "reddit"
base_url = "{url}"
auth_url = "{url}"
client_id_env = "REDDIT_CLIENT_ID"
client_secret_env = "REDDIT_CLIENT_SECRET"
username = "{USERNAME}"
password_env = "{password_env}"
subreddits = ["r/selfhosted"]
every = "2m"
"#,
        url = fake.url
    );
    Config::from_str(&dir.join("talkback.toml"), &text, Needs::Everything, &env).unwrap_or_else(|e| panic!("{e}"))
}

async fn harness(dir: &Path, fake: &FakeReddit, password_env: &str) -> Harness {
    let config = config(dir, fake, password_env);
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
    let pollers = reddit::pollers(&setup).unwrap();
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

/// `n` matching links `t3_<prefix><i>`, oldest first, one minute apart from `start`.
fn links(prefix: &str, n: usize, start: f64) -> Vec<Value> {
    (0..n)
        .map(|i| {
            let id = format!("{prefix}{i}");
            link(
                &id,
                "selfhosted",
                "alice",
                &format!("Acme Cloud question {id}"),
                "How do I?",
                start + 60.0 * i as f64,
            )
        })
        .collect()
}

#[tokio::test]
async fn first_poll_reads_search_posts_and_comments_as_posts() {
    let fake = FakeReddit::start().await;
    let dir = tempfile::tempdir().unwrap();
    fake.push(
        "/search",
        [
            link(
                "q1",
                "selfhosted",
                "alice",
                "Does Acme Cloud support IPv6?",
                "Asking for a friend & team",
                T0,
            ),
            link("q2", "homelab", "bob", "acmecloud vs the rest", "", T0 + 60.0),
        ],
    );
    fake.push(
        "/r/selfhosted/comments",
        [comment(
            "c1",
            "t3_k7",
            "t1_k8",
            "selfhosted",
            "carol",
            "acmecloud <3 & more",
            T0 + 120.0,
        )],
    );
    let mut h = harness(dir.path(), &fake, "REDDIT_PASSWORD").await;
    assert_eq!(h.round(SEARCH).await, Duration::from_secs(120));
    assert_eq!(h.round(COMMENTS).await, Duration::from_secs(120));

    let token = &fake.token_requests()[0];
    assert_eq!(token.0.as_deref(), Some(BASIC));
    assert_eq!(token.1["grant_type"], "password");
    assert_eq!(token.1["username"], USERNAME);
    let search = &fake.seen("/search")[0];
    assert_eq!(search.query["q"], r#""acme cloud" OR acmecloud"#);
    assert_eq!(search.query["sort"], "new");
    assert_eq!(search.query["type"], "link");
    assert_eq!(search.query["limit"], "100");
    assert_eq!(search.query["raw_json"], "1");
    assert!(search
        .authorization
        .as_deref()
        .unwrap()
        .starts_with("bearer 1-fake-access-token"));
    assert_eq!(search.user_agent.as_deref(), Some("talkback/0.1.0 by acme_bot"));

    let mentions = h.mentions();
    let q1 = &mentions.iter().find(|m| m.post.id == "t3_q1").unwrap().post;
    assert_eq!(
        q1.url.as_deref(),
        Some("https://www.reddit.com/r/selfhosted/comments/q1/does_acme_cloud_support_ipv6/")
    );
    assert_eq!(q1.author.as_ref().unwrap().handle.as_deref(), Some("u/alice"));
    assert_eq!(q1.title.as_deref(), Some("Does Acme Cloud support IPv6?"));
    assert_eq!(q1.text, "Asking for a friend & team");
    assert_eq!(q1.created_at.unwrap().to_rfc3339(), "2026-11-20T10:00:00+00:00");
    assert_eq!((q1.reply_to.as_deref(), q1.lang.as_deref()), (None, None));
    let c1 = &mentions.iter().find(|m| m.post.id == "t1_c1").unwrap().post;
    assert_eq!(c1.text, "acmecloud <3 & more");
    assert_eq!(c1.title, None);
    assert_eq!(c1.reply_to.as_deref(), Some("t1_k8"));
    assert_eq!(
        c1.url.as_deref(),
        Some("https://www.reddit.com/r/selfhosted/comments/k7/a_thread/c1/")
    );
    assert_eq!(mentions.len(), 3);
    assert_eq!(h.cursor(SEARCH).as_deref(), Some("t3_q2@1795168860"));
    assert_eq!(h.cursor(COMMENTS).as_deref(), Some("t1_c1@1795168920"));
    // One token serves every request while it is fresh.
    assert_eq!(fake.token_requests().len(), 1);
}

#[tokio::test]
async fn a_first_poll_takes_one_page_and_later_polls_page_back_to_the_cursor() {
    let fake = FakeReddit::start().await;
    let dir = tempfile::tempdir().unwrap();
    fake.push("/r/selfhosted/new", links("old", 150, T0));
    let mut h = harness(dir.path(), &fake, "REDDIT_PASSWORD").await;
    h.round(NEW).await;
    assert_eq!(fake.seen("/r/selfhosted/new").len(), 1, "the backlog is not read");
    assert_eq!(h.mentions().len(), 100);
    assert_eq!(h.cursor(NEW).as_deref(), Some("t3_old149@1795177740"));

    fake.push("/r/selfhosted/new", links("new", 230, T0 + 100_000.0));
    h.round(NEW).await;
    let seen = fake.seen("/r/selfhosted/new");
    let afters: Vec<Option<&str>> = seen[1..]
        .iter()
        .map(|s| s.query.get("after").map(String::as_str))
        .collect();
    assert_eq!(afters, vec![None, Some("t3_new130"), Some("t3_new30")]);
    assert_eq!(h.mentions().len(), 330);
    assert_eq!(h.cursor(NEW).as_deref(), Some("t3_new229@1795282540"));

    h.round(NEW).await;
    assert_eq!(h.mentions().len(), 330, "nothing new, nothing stored");
}

#[tokio::test]
async fn a_restart_mid_catch_up_resumes_from_the_cursor_without_gaps_or_duplicates() {
    let fake = FakeReddit::start().await;
    let dir = tempfile::tempdir().unwrap();
    fake.push("/search", links("a", 3, T0));
    {
        let mut h = harness(dir.path(), &fake, "REDDIT_PASSWORD").await;
        h.round(SEARCH).await;
        assert_eq!(h.cursor(SEARCH).as_deref(), Some("t3_a2@1795168920"));
        // 250 more arrive; the walk breaks off on its second page.
        fake.push("/search", links("b", 250, T0 + 1000.0));
        fake.fail_after("/search", 1, Failure::Status(502, None));
        let wait = h.round(SEARCH).await;
        assert!(wait >= Duration::from_secs(2), "backs off: {wait:?}");
        assert_eq!(h.mentions().len(), 103);
        assert_eq!(
            h.cursor(SEARCH).as_deref(),
            Some("t3_a2@1795168920"),
            "the cursor waits for the whole walk"
        );
    }
    // While talkback is down, more posts arrive.
    fake.push("/search", links("c", 5, T0 + 100_000.0));
    let mut h = harness(dir.path(), &fake, "REDDIT_PASSWORD").await;
    h.round(SEARCH).await;
    let ids = h.ids();
    assert_eq!(ids.len(), 258, "every post exactly once");
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), 258);
    assert!(ids.contains(&"t3_b0".to_string()) && ids.contains(&"t3_c4".to_string()));
    assert_eq!(h.cursor(SEARCH).as_deref(), Some("t3_c4@1795269040"));
}

#[tokio::test(start_paused = true)]
async fn a_429_with_retry_after_pauses_every_poller_of_the_app() {
    let fake = FakeReddit::start().await;
    let dir = tempfile::tempdir().unwrap();
    fake.push("/search", links("a", 2, T0));
    let mut h = harness(dir.path(), &fake, "REDDIT_PASSWORD").await;
    fake.fail_next("/search", Failure::Status(429, Some(30)));
    assert_eq!(h.round(SEARCH).await, Duration::from_secs(30));
    assert!(h.mentions().is_empty());
    assert_eq!(h.cursor(SEARCH), None);
    let health = h.cx.health.snapshot();
    assert_eq!(health[SEARCH].last_error.as_deref(), Some("rate limited"));

    // The budget belongs to the OAuth client: the other pollers wait too, without asking.
    let before = fake.all_seen().len();
    let wait = h.round(NEW).await;
    assert!(wait > Duration::ZERO && wait <= Duration::from_secs(30), "{wait:?}");
    assert_eq!(fake.all_seen().len(), before);

    tokio::time::advance(Duration::from_secs(30)).await;
    assert_eq!(h.round(SEARCH).await, Duration::from_secs(120));
    assert_eq!(h.mentions().len(), 2);
}

#[tokio::test]
async fn an_exhausted_ratelimit_budget_is_honoured_before_the_next_request() {
    let fake = FakeReddit::start().await;
    let dir = tempfile::tempdir().unwrap();
    fake.push("/search", links("a", 2, T0));
    fake.set_budget(0.0, 240);
    let mut h = harness(dir.path(), &fake, "REDDIT_PASSWORD").await;
    h.round(SEARCH).await;
    assert_eq!(h.mentions().len(), 2, "the answer that spent the budget still counts");
    let before = fake.all_seen().len();
    let wait = h.round(COMMENTS).await;
    assert!(
        wait > Duration::from_secs(200) && wait <= Duration::from_secs(240),
        "{wait:?}"
    );
    assert_eq!(fake.all_seen().len(), before);
}

#[tokio::test]
async fn a_500_backs_off_and_the_next_round_recovers() {
    let fake = FakeReddit::start().await;
    let dir = tempfile::tempdir().unwrap();
    fake.push("/r/selfhosted/new", links("a", 2, T0));
    let mut h = harness(dir.path(), &fake, "REDDIT_PASSWORD").await;
    fake.fail_next("/r/selfhosted/new", Failure::Status(500, None));
    let wait = h.round(NEW).await;
    assert!(
        wait >= Duration::from_secs(2) && wait <= Duration::from_secs(4),
        "{wait:?}"
    );
    assert_eq!(h.cx.health.snapshot()[NEW].consecutive_failures, 1);
    assert!(h.mentions().is_empty());
    assert_eq!(h.round(NEW).await, Duration::from_secs(120));
    assert_eq!(h.mentions().len(), 2);
    assert_eq!(h.cx.health.snapshot()[NEW].consecutive_failures, 0);
}

#[tokio::test]
async fn malformed_json_is_skipped_and_the_source_goes_on() {
    let fake = FakeReddit::start().await;
    let dir = tempfile::tempdir().unwrap();
    let mut things = links("a", 2, T0);
    // A child without its fullname, between two good ones.
    things.insert(
        1,
        json!({"kind": "t3", "data": {"title": "Acme Cloud broken", "created_utc": "yesterday"}}),
    );
    fake.push("/search", things);
    let mut h = harness(dir.path(), &fake, "REDDIT_PASSWORD").await;
    let logs = LogCapture::default();
    let guard = tracing::subscriber::set_default(logs.subscriber());
    h.round(SEARCH).await;
    drop(guard);
    assert_eq!(h.ids(), vec!["t3_a0", "t3_a1"]);
    let logged = logs.text();
    assert!(
        logged.contains("skipping a malformed item") && logged.contains(SEARCH),
        "{logged}"
    );

    // A body cut off mid-JSON: a failed round, then the source goes on.
    fake.push("/search", links("b", 1, T0 + 1000.0));
    fake.fail_next("/search", Failure::Malformed);
    let wait = h.round(SEARCH).await;
    assert!(wait >= Duration::from_secs(2), "{wait:?}");
    let err = h.cx.health.snapshot()[SEARCH].last_error.clone().unwrap();
    assert!(err.contains("malformed JSON"), "{err}");
    h.round(SEARCH).await;
    assert_eq!(h.ids(), vec!["t3_a0", "t3_a1", "t3_b0"]);
}

#[tokio::test]
async fn the_token_is_renewed_on_401_and_before_it_expires() {
    let fake = FakeReddit::start().await;
    let dir = tempfile::tempdir().unwrap();
    fake.push("/search", links("a", 1, T0));
    let mut h = harness(dir.path(), &fake, "REDDIT_PASSWORD").await;
    h.round(SEARCH).await;
    assert_eq!(fake.token_requests().len(), 1);

    fake.revoke_tokens();
    fake.push("/search", links("b", 1, T0 + 1000.0));
    assert_eq!(
        h.round(SEARCH).await,
        Duration::from_secs(120),
        "the round succeeds with a new token"
    );
    assert_eq!(fake.token_requests().len(), 2);
    assert_eq!(h.ids(), vec!["t3_a0", "t3_b0"]);
    let auths: Vec<String> = fake
        .seen("/search")
        .into_iter()
        .map(|s| s.authorization.unwrap())
        .collect();
    assert!(
        auths[1].starts_with("bearer 1-") && auths[2].starts_with("bearer 2-"),
        "{auths:?}"
    );

    // A token that expires within minutes is replaced before use.
    fake.set_expires_in(120);
    fake.revoke_tokens();
    h.round(NEW).await;
    h.round(NEW).await;
    assert_eq!(
        fake.token_requests().len(),
        4,
        "after the 401, a short-lived token is replaced before use"
    );
}

#[tokio::test]
async fn refused_credentials_are_reported_without_the_secrets() {
    let fake = FakeReddit::start().await;
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(dir.path(), &fake, "WRONG_PASSWORD").await;
    let wait = h.round(SEARCH).await;
    assert!(wait >= Duration::from_secs(2));
    let err = h.cx.health.snapshot()[SEARCH].last_error.clone().unwrap();
    assert!(err.contains("invalid_grant"), "{err}");
    assert!(
        !err.contains("not-the-password") && !err.contains("reddit-client-secret"),
        "{err}"
    );
    assert!(fake.seen("/search").is_empty());
}

#[tokio::test]
async fn own_account_posts_are_recorded_as_broadcast_reply_and_share() {
    let fake = FakeReddit::start().await;
    let dir = tempfile::tempdir().unwrap();
    fake.push(
        "/search",
        [link(
            "q1",
            "selfhosted",
            "alice",
            "Does Acme Cloud support IPv6?",
            "Asking",
            T0,
        )],
    );
    fake.push(
        "/user/acme/overview",
        [
            link(
                "b1",
                "acme",
                "acme",
                "Acme Cloud 2.0 is out",
                "Release notes inside",
                T0 + 60.0,
            ),
            comment(
                "r1",
                "t3_q1",
                "t3_q1",
                "selfhosted",
                "acme",
                "Yes, IPv6 works since 1.4!",
                T0 + 120.0,
            ),
            comment(
                "r2",
                "t3_b1",
                "t3_b1",
                "acme",
                "acme",
                "Edit: the changelog link",
                T0 + 180.0,
            ),
            crosspost("s1", "acme", "acme", "Great Acme Cloud write-up", "t3_x9", T0 + 240.0),
        ],
    );
    let mut h = harness(dir.path(), &fake, "REDDIT_PASSWORD").await;
    h.round(SEARCH).await;
    h.round(OWN).await;
    assert_eq!(fake.seen("/user/acme/overview")[0].query["sort"], "new");

    let activity = h.store.activity(Some("Acme")).unwrap();
    let kinds: Vec<(&str, ActivityKind)> = activity.iter().map(|a| (a.post_id.as_str(), a.kind)).collect();
    assert_eq!(
        kinds,
        vec![
            ("t3_b1", ActivityKind::Broadcast),
            ("t1_r1", ActivityKind::Reply),
            ("t1_r2", ActivityKind::Broadcast),
            ("t3_s1", ActivityKind::Share),
        ]
    );
    // The brand's own posts are not mentions; the answered question knows its reply.
    let mentions = h.mentions();
    assert_eq!(h.ids(), vec!["t3_q1"]);
    assert_eq!(mentions[0].replies[0].post_id, "t1_r1");
}
