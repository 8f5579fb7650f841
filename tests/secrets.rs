//! Security: secrets never appear in what talkback prints, logs, stores, exports or says in chat —
//! not at `RUST_LOG=trace`, not when every network refuses, echoes our credentials back in its
//! error body, answers garbage or cannot be reached. Also: config structs hide secrets in
//! `Debug`, `team.repliers` is enforced on every path that publishes, and forged Slack and
//! Discord requests are refused.

#![cfg(unix)]

mod support;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;
use serde_json::{json, Value};
use support::fake_discord::{self as fd, FakeDiscord};
use support::fake_slack::FakeSlack;
use tokio::sync::Notify;

/// Only a guard against a hang: every wait below is woken by an event, never by a timer.
const GUARD: Duration = Duration::from_secs(60);

/// Every `*_env` key's variable, each with a value that no other text contains.
const SECRETS: &[(&str, &str)] = &[
    ("SLACK_BOT_TOKEN", "xoxb-4242-SECRETslackbot-9f3a1c"),
    ("SLACK_APP_TOKEN", "xapp-1-A0001-SECRETslackapp-7c1d0e"),
    ("SLACK_SIGNING_SECRET", "SECRETsigning4b7e0c2d9a1f3e5b"),
    ("MASTODON_READ_TOKEN", "SECRETmastoread-8d2f6b1a"),
    ("MASTODON_WRITE_TOKEN", "SECRETmastowrite-3e9c7a4d"),
    ("BLUESKY_READ_PASSWORD", "SECR-ETbs-kyre-ad01"),
    ("BLUESKY_WRITE_PASSWORD", "SECR-ETbs-kywr-it02"),
    ("REDDIT_READ_ID", "SECRETredditreadid5a"),
    ("REDDIT_READ_SECRET", "SECRETredditreadsecret-6b"),
    ("REDDIT_READ_PASSWORD", "SECRETredditreadpass-7c"),
    ("REDDIT_WRITE_ID", "SECRETredditwriteid8d"),
    ("REDDIT_WRITE_SECRET", "SECRETredditwritesecret-9e"),
    ("REDDIT_WRITE_PASSWORD", "SECRETredditwritepass-0f"),
    ("X_BEARER_TOKEN", "AAAAAAAAAAAAAAAAAAAAASECRETxbearer%3Dq1w2e3"),
    ("X_USER_TOKEN", "SECRETxusertoken-r4t5y6u7"),
    ("LLM_API_KEY", "sk-SECRETllmkey-i8o9p0a1s2d3"),
];

// ---------------------------------------------------------------------------------------------
// Looking for a secret in text, in every shape it could take.

const B64_STD: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const B64_URL: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

fn base64(bytes: &[u8], alphabet: &[u8]) -> String {
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..=chunk.len() {
            out.push(alphabet[(n >> (18 - 6 * i)) as usize & 63] as char);
        }
    }
    out
}

/// The part of the base64 of `secret` that is the same wherever the secret sits in the encoded
/// bytes (as in `Basic base64(id:secret)`): one per alignment.
fn base64_cores(secret: &str, alphabet: &[u8]) -> Vec<String> {
    (0..3)
        .map(|shift| {
            let mut bytes = vec![b'.'; shift];
            bytes.extend_from_slice(secret.as_bytes());
            let encoded = base64(&bytes, alphabet);
            // Skip the characters that also encode the filler; drop the last, partial one.
            let skip = (shift * 8).div_ceil(6);
            let end = (bytes.len() * 8) / 6;
            encoded[skip..end].to_string()
        })
        .collect()
}

fn percent_encoded(secret: &str) -> String {
    serde_urlencoded::to_string([("", secret)]).unwrap()[1..].to_string()
}

/// Every shape of `secret` worth looking for, with its name.
fn shapes(secret: &str) -> Vec<(String, String)> {
    let mut out = vec![
        ("as is".to_string(), secret.to_string()),
        ("in a Bearer header".to_string(), format!("Bearer {secret}")),
        ("percent-encoded".to_string(), percent_encoded(secret)),
        ("hex".to_string(), hex::encode(secret)),
        (
            "as a byte list".to_string(),
            secret.bytes().map(|b| b.to_string()).collect::<Vec<_>>().join(", "),
        ),
    ];
    for (name, alphabet) in [("base64", B64_STD), ("url-safe base64", B64_URL)] {
        for core in base64_cores(secret, alphabet) {
            out.push((name.to_string(), core));
        }
    }
    let mut seen = std::collections::HashSet::new();
    out.retain(|(_, needle)| seen.insert(needle.clone()));
    out
}

/// Where in `text` (named `what`) any secret shows, described for the failure message.
fn leaks(what: &str, text: &str, secrets: &[(&str, &str)]) -> Vec<String> {
    let mut found = Vec::new();
    for (name, value) in secrets {
        for (shape, needle) in shapes(value) {
            if let Some(at) = text.find(&needle) {
                let from = text[..at].char_indices().rev().nth(120).map_or(0, |(i, _)| i);
                let context: String = text[from..].chars().take(280).collect();
                found.push(format!("{what}: ${name} {shape} at byte {at}: …{context}…"));
            }
        }
    }
    found
}

fn assert_no_leak(what: &str, text: &str, secrets: &[(&str, &str)]) {
    let found = leaks(what, text, secrets);
    assert!(found.is_empty(), "secrets leaked:\n{}", found.join("\n\n"));
}

#[test]
fn the_leak_finder_finds_every_shape() {
    let secrets = [("S", "hunter2-secret-value")];
    let basic = format!("Basic {}", base64(b"client-id:hunter2-secret-value", B64_STD));
    for text in [
        "error: token hunter2-secret-value refused".to_string(),
        basic,
        format!("x={}", base64(b"..hunter2-secret-value!", B64_URL)),
        "q=hunter2-secret-value%21".to_string(),
        format!("payload: 0x{}", hex::encode("{\"token\":\"hunter2-secret-value\"}")),
        format!("{:?}", b"{\"d\":\"hunter2-secret-value\"}".to_vec()),
    ] {
        assert!(!leaks("t", &text, &secrets).is_empty(), "not found in {text}");
    }
    assert!(leaks("t", "hunter2 secret value, hunter2-secret", &secrets).is_empty());
    assert_eq!(percent_encoded("a b%3D"), "a+b%253D");
}

// ---------------------------------------------------------------------------------------------
// Running the real binary and reading what it prints, as it prints it.

/// Everything a child process wrote, line by line, with a wake-up per line.
#[derive(Clone, Default)]
struct Output {
    lines: Arc<Mutex<Vec<String>>>,
    changed: Arc<Notify>,
}

impl Output {
    fn follow(&self, stream: impl std::io::Read + Send + 'static) -> std::thread::JoinHandle<()> {
        let out = self.clone();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stream);
            let mut line = Vec::new();
            while reader.read_until(b'\n', &mut line).is_ok_and(|n| n > 0) {
                out.lines
                    .lock()
                    .unwrap()
                    .push(String::from_utf8_lossy(&line).into_owned());
                out.changed.notify_waiters();
                line.clear();
            }
            out.changed.notify_waiters();
        })
    }

    fn text(&self) -> String {
        self.lines.lock().unwrap().concat()
    }

    /// Waits until some line satisfies `f`; returns it.
    async fn line(&self, what: &str, f: impl Fn(&str) -> bool) -> String {
        let mut seen = 0;
        let wait = async {
            loop {
                let notified = self.changed.notified();
                {
                    let lines = self.lines.lock().unwrap();
                    if let Some(l) = lines[seen..].iter().find(|l| f(l)) {
                        return l.clone();
                    }
                    seen = lines.len();
                }
                notified.await;
            }
        };
        match tokio::time::timeout(GUARD, wait).await {
            Ok(l) => l,
            Err(_) => panic!("no line {what} within {GUARD:?}; output:\n{}", self.tail()),
        }
    }

    /// The last lines, for failure messages (a trace log is long).
    fn tail(&self) -> String {
        let lines = self.lines.lock().unwrap();
        lines[lines.len().saturating_sub(60)..].concat()
    }
}

/// `talkback run` as a child process, its stdout and stderr followed into one `Output`.
struct Bot {
    child: Option<Child>,
    out: Output,
    readers: Vec<std::thread::JoinHandle<()>>,
}

impl Bot {
    /// Types `line` on the bot's stdin (started with `Stdio::piped()`).
    fn type_line(&mut self, line: &str) {
        use std::io::Write;
        let stdin = self
            .child
            .as_mut()
            .and_then(|c| c.stdin.as_mut())
            .expect("stdin is piped");
        writeln!(stdin, "{line}").unwrap();
        stdin.flush().unwrap();
    }
}

impl Bot {
    fn start(args: &[&str], dir: &Path, log: Option<&str>, secrets: &[(&str, &str)], stdin: Stdio) -> Bot {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_talkback"));
        cmd.args(args)
            .arg("--config")
            .arg(dir)
            .env_remove("RUST_LOG")
            .envs(secrets.iter().copied())
            .stdin(stdin)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(level) = log {
            cmd.env("RUST_LOG", level);
        }
        let mut child = cmd.spawn().unwrap();
        let out = Output::default();
        let readers = vec![
            out.follow(child.stdout.take().unwrap()),
            out.follow(child.stderr.take().unwrap()),
        ];
        Bot {
            child: Some(child),
            out,
            readers,
        }
    }

    /// SIGTERM, then the exit status once every line is read.
    async fn stop(self) -> (std::process::ExitStatus, String) {
        let pid = self.child.as_ref().unwrap().id().to_string();
        assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
        self.exit().await
    }

    /// The exit status, once the process has ended and every line is read. A process still
    /// running after `GUARD` is killed and the test fails.
    async fn exit(mut self) -> (std::process::ExitStatus, String) {
        let mut child = self.child.take().unwrap();
        let pid = child.id().to_string();
        let readers = std::mem::take(&mut self.readers);
        let done = tokio::task::spawn_blocking(move || {
            let status = child.wait().unwrap();
            for r in readers {
                r.join().unwrap();
            }
            status
        });
        match tokio::time::timeout(GUARD, done).await {
            Ok(status) => (status.unwrap(), self.out.text()),
            Err(_) => {
                let _ = Command::new("kill").args(["-KILL", &pid]).status();
                panic!("talkback did not exit within {GUARD:?}; output:\n{}", self.out.tail())
            }
        }
    }
}

impl Drop for Bot {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Runs a talkback command to its end; returns the exit code and stdout + stderr.
fn talkback(args: &[&str], dir: &Path, secrets: &[(&str, &str)]) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_talkback"))
        .args(args)
        .arg("--config")
        .arg(dir)
        .env_remove("RUST_LOG")
        .envs(secrets.iter().copied())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code(), text)
}

/// Every file under `dir` as (lossy) text: the sled store, replies.jsonl, saved charts.
fn files_text(dir: &Path) -> String {
    let mut out = String::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.push_str(&files_text(&path));
        } else {
            out.push_str(&String::from_utf8_lossy(&std::fs::read(&path).unwrap()));
        }
    }
    out
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits until something listens on `port` (the app's HTTP server, once it has started).
async fn wait_for_port(port: u16) {
    while tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err() {
        tokio::task::yield_now().await;
    }
}

/// Loads `dir`'s config, as `edit` changes it, with `SECRETS` as the environment.
fn load(dir: &Path, edit: impl Fn(String) -> String) -> talkback::config::Config {
    let file = dir.join("talkback.toml");
    let text = edit(std::fs::read_to_string(&file).unwrap());
    talkback::config::Config::from_str(&file, &text, talkback::config::Needs::Everything, &env)
        .unwrap_or_else(|e| panic!("{e}"))
}

fn closed_port_url() -> String {
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    format!("http://{addr}")
}

// ---------------------------------------------------------------------------------------------
// A server that refuses everything and echoes what it was sent — the Authorization header, the
// query and the body — in its error body, as a careless proxy or API might.

#[derive(Clone)]
struct Echo {
    url: String,
    status: u16,
    /// A body sent as is instead of the echo (a 200 with garbage).
    raw: Option<&'static str>,
    requests: Arc<Mutex<Vec<String>>>,
    changed: Arc<Notify>,
}

impl Echo {
    async fn start(status: u16) -> Echo {
        Echo::serve(status, None).await
    }

    /// A 200 whose body is not what any API sends.
    async fn garbage() -> Echo {
        Echo::serve(200, Some("<html><body>502 Bad Gateway {\"data\": [")).await
    }

    async fn serve(status: u16, raw: Option<&'static str>) -> Echo {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let echo = Echo {
            url: format!("http://{}", listener.local_addr().unwrap()),
            status,
            raw,
            requests: Arc::default(),
            changed: Arc::default(),
        };
        let app = Router::new().fallback(echo_back).with_state(echo.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        echo
    }

    /// Waits until the server has answered `n` requests.
    async fn served(&self, n: usize) {
        let wait = async {
            loop {
                let notified = self.changed.notified();
                if self.requests.lock().unwrap().len() >= n {
                    return;
                }
                notified.await;
            }
        };
        tokio::time::timeout(GUARD, wait)
            .await
            .unwrap_or_else(|_| panic!("{} got no request", self.url));
    }
}

async fn echo_back(State(echo): State<Echo>, method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("none");
    let sent = format!(
        "{method} {uri} authorization={auth} body={}",
        String::from_utf8_lossy(&body)
    );
    echo.requests.lock().unwrap().push(sent.clone());
    echo.changed.notify_waiters();
    let status = StatusCode::from_u16(echo.status).unwrap();
    let mut resp = match echo.raw {
        Some(raw) => (status, raw.to_string()).into_response(),
        None => {
            let body = json!({"error": format!("invalid credentials: you sent {sent}"), "message": sent, "detail": sent,
                              "errors": [{"message": sent}]});
            (status, axum::Json(body)).into_response()
        }
    };
    if echo.status == 429 {
        resp.headers_mut().insert("retry-after", "1".parse().unwrap());
    }
    resp
}

// ---------------------------------------------------------------------------------------------
// 1. Every network failing, every way, with Slack in Socket Mode: nothing printed, stored,
//    exported, audited or said in chat carries a secret.

const REPLIER: &str = "U0123ABC";

fn slash_command(envelope: &str, user: &str, text: &str) -> Value {
    json!({"envelope_id": envelope, "type": "slash_commands", "accepts_response_payload": true,
           "payload": {"token": "gIkuvaNzQIHg97ATvDxqgjtO", "team_id": "T0001", "team_domain": "acme",
                       "channel_id": "C0ALERTS", "channel_name": "brand-mentions", "user_id": user, "user_name": "ann",
                       "command": "/talkback", "text": text, "api_app_id": "A0001", "is_enterprise_install": "false",
                       "response_url": "https://hooks.slack.com/commands/T0001/1/abc",
                       "trigger_id": "13345224609.738474920.8088930838d88f008e0"}})
}

fn post(network: &str, id: &str, text: &str) -> Value {
    json!({"network": network, "id": id, "url": format!("https://example.social/{id}"),
           "author": {"handle": "@bob@example.social", "name": "Bob"}, "text": text,
           "created_at": "2026-11-20T10:00:00Z", "lang": "en"})
}

/// The endpoints of one run where everything fails.
struct Failing {
    masto_src: Echo,
    bsky_src: Echo,
    reddit_src: Echo,
    x_src: Echo,
    rss: Echo,
    masto_pub: Echo,
    bsky_pub: Echo,
    reddit_pub: Echo,
    x_pub: Echo,
    llm: Echo,
}

impl Failing {
    async fn start() -> Failing {
        Failing {
            masto_src: Echo::start(401).await,
            bsky_src: Echo::start(403).await,
            reddit_src: Echo::start(500).await,
            x_src: Echo::start(429).await,
            rss: Echo::garbage().await,
            masto_pub: Echo::start(403).await,
            bsky_pub: Echo::start(401).await,
            reddit_pub: Echo::start(400).await,
            x_pub: Echo::start(401).await,
            llm: Echo::start(401).await,
        }
    }

    fn config(&self, slack: &FakeSlack) -> String {
        let closed = closed_port_url();
        let jetstream = closed_port_url().replace("http://", "ws://");
        format!(
            r##"[store]
path = "store"

[[brands]]
name = "Acme"
query = "acme"
channel = "alerts"
own_accounts = ["x:@acme"]

[[sources]]
kind = "replay"
path = "posts.jsonl"

[[sources]]
kind = "mastodon"
base_url = "{masto_src}"
token_env = "MASTODON_READ_TOKEN"
hashtags = ["#acme"]
every = "1s"

[[sources]]
kind = "bluesky"
base_url = "{bsky_src}"
jetstream_url = "{jetstream}"
identifier = "acme.bsky.social"
app_password_env = "BLUESKY_READ_PASSWORD"
every = "1s"

[[sources]]
kind = "reddit"
base_url = "{reddit_src}"
auth_url = "{reddit_src}"
client_id_env = "REDDIT_READ_ID"
client_secret_env = "REDDIT_READ_SECRET"
username = "acme_bot"
password_env = "REDDIT_READ_PASSWORD"
every = "1s"

[[sources]]
kind = "hackernews"
base_url = "{closed}"
every = "1s"

[[sources]]
kind = "x"
base_url = "{x_src}"
bearer_token_env = "X_BEARER_TOKEN"
every = "1s"

[[sources]]
kind = "rss"
url = "{rss}/feed"
every = "1s"

[[publishers]]
kind = "mastodon"
base_url = "{masto_pub}"
token_env = "MASTODON_WRITE_TOKEN"

[[publishers]]
kind = "bluesky"
base_url = "{bsky_pub}"
identifier = "acme.bsky.social"
app_password_env = "BLUESKY_WRITE_PASSWORD"

[[publishers]]
kind = "reddit"
base_url = "{reddit_pub}"
auth_url = "{reddit_pub}"
client_id_env = "REDDIT_WRITE_ID"
client_secret_env = "REDDIT_WRITE_SECRET"
username = "acme_bot"
password_env = "REDDIT_WRITE_PASSWORD"

[[publishers]]
kind = "x"
base_url = "{x_pub}"
user_token_env = "X_USER_TOKEN"

[channels.alerts]
slack = "C0ALERTS"

[team]
repliers = ["slack:{REPLIER}"]

[chat.slack]
api_url = "{slack}"
bot_token_env = "SLACK_BOT_TOKEN"
app_token_env = "SLACK_APP_TOKEN"

[nag]
max = 0

[triage.llm]
base_url = "{llm}/v1"
model = "gpt-test"
api_key_env = "LLM_API_KEY"
"##,
            masto_src = self.masto_src.url,
            bsky_src = self.bsky_src.url,
            reddit_src = self.reddit_src.url,
            x_src = self.x_src.url,
            rss = self.rss.url,
            masto_pub = self.masto_pub.url,
            bsky_pub = self.bsky_pub.url,
            reddit_pub = self.reddit_pub.url,
            x_pub = self.x_pub.url,
            llm = self.llm.url,
            slack = slack.api_url,
        )
    }
}

/// Mentions from four networks that have publishers, stored before the run (their sources all
/// fail), so that a reply to each goes to a failing publisher.
fn seed_store(store: &Path) {
    let store = talkback::store::Store::open(store).unwrap();
    for p in [
        post("mastodon", "110", "Does acme support IPv6?"),
        post("bluesky", "at://did:plc:bob/app.bsky.feed.post/3kb1", "acme is down"),
        post("reddit", "t3_r1aaa", "acme billing question"),
        post("x", "1860000000000000101", "@acme your status page is red"),
    ] {
        let post: talkback::domain::Post = serde_json::from_value(p).unwrap();
        store
            .insert_mention("Acme", &post, None, false, chrono::Utc::now())
            .unwrap();
    }
}

async fn everything_fails(log: Option<&str>) {
    let (slack, failing) = tokio::join!(FakeSlack::start(), Failing::start());
    slack.fail_next("chat.postMessage", 500, None);
    slack.fail_next("chat.postMessage", 429, Some(1));
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("talkback.toml"), failing.config(&slack)).unwrap();
    std::fs::write(
        dir.path().join("posts.jsonl"),
        post("mastodon", "900", "acme question from the replay").to_string() + "\n",
    )
    .unwrap();
    seed_store(&dir.path().join("store"));

    let bot = Bot::start(&["run"], dir.path(), log, SECRETS, Stdio::null());
    for echo in [
        &failing.masto_src,
        &failing.bsky_src,
        &failing.reddit_src,
        &failing.x_src,
        &failing.rss,
        &failing.llm,
    ] {
        echo.served(1).await;
    }
    // Slack answered 500, then 429: wait for the alert that went through.
    slack
        .until(|f| {
            let alerts = f
                .calls("chat.postMessage")
                .last()
                .map(|c| c.to_string())
                .unwrap_or_default();
            let through = !f.posted_ts().is_empty();
            (through && (1..=5).all(|i| alerts.contains(&format!("#{i} Acme")))).then_some(())
        })
        .await;
    // A reply to each network's mention: each publisher refuses, echoing what it was sent.
    let mut answers = String::new();
    for (i, envelope) in ["r1", "r2", "r3", "r4"].iter().enumerate() {
        slack
            .send_envelope(slash_command(
                envelope,
                REPLIER,
                &format!("reply {} Thanks for asking!", i + 1),
            ))
            .await;
        let ack = slack.ack(envelope).await;
        let answer = ack["payload"]["text"].as_str().unwrap_or_default().to_string();
        assert!(answer.starts_with("Not sent"), "{answer}");
        answers.push_str(&answer);
    }
    for echo in [
        &failing.masto_pub,
        &failing.bsky_pub,
        &failing.reddit_pub,
        &failing.x_pub,
    ] {
        echo.served(1).await;
    }
    let (status, printed) = bot.stop().await;
    assert!(status.success(), "graceful stop: {status:?}\n{printed}");

    let mut found = leaks("talkback run's output", &printed, SECRETS);
    let (code, export) = talkback(&["export"], dir.path(), &[]);
    assert_eq!(code, Some(0), "{export}");
    found.extend(leaks("talkback export", &export, SECRETS));
    let (code, audit) = talkback(&["audit"], dir.path(), &[]);
    assert_eq!(code, Some(0), "{audit}");
    assert!(audit.contains("failed"), "the refused replies are audited: {audit}");
    found.extend(leaks("talkback audit", &audit, SECRETS));
    found.extend(leaks("the store's files", &files_text(dir.path()), SECRETS));
    let chat = serde_json::to_string(&slack.all_calls()).unwrap();
    found.extend(leaks("what Slack was sent", &chat, SECRETS));
    found.extend(leaks("the answers to the replier", &answers, SECRETS));
    assert!(found.is_empty(), "secrets leaked:\n{}", found.join("\n\n"));
    // The echoes did arrive, and were blanked: the reasons are still there to read.
    for (what, text) in [
        ("the log", &printed),
        ("the audit log", &audit),
        ("the answers", &answers),
    ] {
        assert!(
            text.contains("Bearer [redacted]"),
            "{what} shows no redacted echo: {text}"
        );
    }
    assert!(printed.contains("Basic [redacted]"), "the Reddit token endpoint's echo");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_network_failing_at_trace_level_shows_no_secret() {
    everything_fails(Some("trace")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_network_failing_at_the_default_level_shows_no_secret() {
    everything_fails(None).await;
}

// ---------------------------------------------------------------------------------------------
// 2. Discord over the gateway (the token goes out in IDENTIFY) with errors that echo the token,
//    and a token refused at startup.

const DISCORD_SECRETS: &[(&str, &str)] = &[("DISCORD_TOKEN", "MTEwMDAwMDAwMDAwMDAwMDAwMg.SECRETdc.discord-bot-x9k2")];
const DISCORD_REPLIER: &str = "412345678901234567";

fn discord_config(dir: &Path, fake: &FakeDiscord, mode: &str) {
    std::fs::write(
        dir.join("posts.jsonl"),
        post("mastodon", "1", "Does acme support IPv6?").to_string() + "\n",
    )
    .unwrap();
    let text = format!(
        r#"[store]
path = "store"

[[brands]]
name = "Acme"
query = "acme"
channel = "alerts"

[[sources]]
kind = "replay"
path = "posts.jsonl"

[channels.alerts]
discord = "{channel}"

[team]
repliers = ["discord:{DISCORD_REPLIER}"]

[nag]
max = 0

[chat.discord]
api_url = "{api}"
token_env = "DISCORD_TOKEN"
application_id = "{app}"
guild_id = "{guild}"
{mode}
"#,
        channel = fd::CHANNEL_ID,
        api = fake.api_url,
        app = fd::APP_ID,
        guild = fd::GUILD_ID,
    );
    std::fs::write(dir.join("talkback.toml"), text).unwrap();
}

/// An error body that quotes the token back, as a careless proxy in front of Discord might.
fn echoing(code: i64) -> Value {
    let token = DISCORD_SECRETS[0].1;
    json!({"message": format!("Missing Access for Authorization: Bot {token}"), "code": code})
}

async fn discord_gateway(log: Option<&str>) {
    let fake = FakeDiscord::start().await;
    fake.fail_next("GET", "/users/@me", 500, echoing(0), &[]);
    let commands = format!("/applications/{}/guilds/{}/commands", fd::APP_ID, fd::GUILD_ID);
    fake.fail_next("PUT", &commands, 403, echoing(50001), &[]);
    fake.fail_next(
        "POST",
        "/messages",
        429,
        json!({"message": "You are being rate limited.", "retry_after": 0.2, "global": false}),
        &[],
    );
    let dir = tempfile::tempdir().unwrap();
    discord_config(dir.path(), &fake, "");
    let bot = Bot::start(&["run"], dir.path(), log, DISCORD_SECRETS, Stdio::null());
    fake.wait_identify().await;
    bot.out
        .line("Discord's refusal of /talkback", |l| {
            l.contains("Discord refused /talkback")
        })
        .await;
    fake.wait_for("POST", &format!("/channels/{}/messages", fd::CHANNEL_ID), 2)
        .await;
    fake.dispatch(fd::slash(
        "41",
        DISCORD_REPLIER,
        "reply",
        &[("id", "1"), ("text", "Thanks!")],
    ));
    let done = fake
        .wait_for("POST", &format!("/interactions/41/{}/callback", fd::token("41")), 1)
        .await;
    assert!(done[0].body.to_string().contains("Replied to #1"), "{:?}", done[0].body);
    let (status, printed) = bot.stop().await;
    assert!(status.success(), "{status:?}\n{printed}");
    let mut found = leaks("talkback run's output", &printed, DISCORD_SECRETS);
    found.extend(leaks("the store's files", &files_text(dir.path()), DISCORD_SECRETS));
    let said: String = fake.calls().iter().map(|c| c.body.to_string()).collect();
    found.extend(leaks("what Discord was sent", &said, DISCORD_SECRETS));
    assert!(found.is_empty(), "secrets leaked:\n{}", found.join("\n\n"));

    // The token refused at startup: run stops with a clear message that does not show it.
    let fake = FakeDiscord::start().await;
    fake.fail_next("GET", "/users/@me", 401, echoing(0), &[]);
    discord_config(dir.path(), &fake, "");
    let (status, printed) = Bot::start(&["run"], dir.path(), log, DISCORD_SECRETS, Stdio::null())
        .exit()
        .await;
    assert_eq!(status.code(), Some(1), "{printed}");
    assert!(printed.contains("Discord refused the bot token"), "{printed}");
    assert_no_leak("run with a refused token", &printed, DISCORD_SECRETS);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discord_at_trace_level_shows_no_token() {
    discord_gateway(Some("trace")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discord_at_the_default_level_shows_no_token() {
    discord_gateway(None).await;
}

// ---------------------------------------------------------------------------------------------
// 3. Slack in HTTP mode: the signing secret never shows, and every forged request — on each of
//    the three endpoints — is refused with 401 and changes nothing. Then Slack refusing the
//    tokens at startup.

fn slack_config(dir: &Path, fake: &FakeSlack, chat: &str) {
    std::fs::write(
        dir.join("posts.jsonl"),
        post("mastodon", "1", "Does acme support IPv6?").to_string() + "\n",
    )
    .unwrap();
    let text = format!(
        r#"[store]
path = "store"

[[brands]]
name = "Acme"
query = "acme"
channel = "alerts"

[[sources]]
kind = "replay"
path = "posts.jsonl"

[channels.alerts]
slack = "C0ALERTS"

[team]
repliers = ["slack:{REPLIER}"]

[nag]
max = 0

[chat.slack]
api_url = "{api}"
bot_token_env = "SLACK_BOT_TOKEN"
{chat}
"#,
        api = fake.api_url,
    );
    std::fs::write(dir.join("talkback.toml"), text).unwrap();
}

fn slack_sign(secret: &str, ts: i64, body: &str) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("v0:{ts}:{body}").as_bytes());
    format!("v0={}", hex::encode(mac.finalize().into_bytes()))
}

fn secret_of(name: &str) -> &'static str {
    SECRETS.iter().find(|(n, _)| *n == name).map(|(_, v)| *v).unwrap()
}

/// How a request to a Slack endpoint is signed.
#[derive(Debug, Clone, Copy)]
enum SlackSig {
    Valid,
    /// Signed with another app's secret.
    WrongSecret,
    /// Correctly signed, this many seconds ago (negative: in the future).
    Aged(i64),
    /// No `X-Slack-Signature` and no `X-Slack-Request-Timestamp`.
    Unsigned,
    /// A timestamp but no signature.
    NoSignature,
    /// A signature but no timestamp.
    NoTimestamp,
    /// A request signed a minute ago, sent again with a fresh timestamp.
    Replayed,
    /// Signed, then the body was changed (a byte added).
    Tampered,
}

/// POSTs `body` to `path` signed as `sig` says; returns the status and the answer's body.
async fn slack_post(port: u16, path: &str, content_type: &str, body: &str, sig: SlackSig) -> (u16, String) {
    let secret = secret_of("SLACK_SIGNING_SECRET");
    let now = chrono::Utc::now().timestamp();
    let (signed_at, sent_ts) = match sig {
        SlackSig::Aged(secs) => (now - secs, now - secs),
        SlackSig::Replayed => (now - 60, now),
        _ => (now, now),
    };
    let signature = match sig {
        SlackSig::WrongSecret => slack_sign("another-apps-signing-secret", signed_at, body),
        _ => slack_sign(secret, signed_at, body),
    };
    let sent = match sig {
        SlackSig::Tampered => format!("{body} "),
        _ => body.to_string(),
    };
    let mut req = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{port}{path}"))
        .header("content-type", content_type)
        .body(sent);
    if !matches!(sig, SlackSig::Unsigned | SlackSig::NoTimestamp) {
        req = req.header("x-slack-request-timestamp", sent_ts.to_string());
    }
    if !matches!(sig, SlackSig::Unsigned | SlackSig::NoSignature) {
        req = req.header("x-slack-signature", signature);
    }
    let res = req.send().await.unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

fn slack_command_form(user: &str, text: &str) -> String {
    serde_urlencoded::to_string([
        ("token", "x"),
        ("team_id", "T0001"),
        ("team_domain", "acme"),
        ("channel_id", "C0ALERTS"),
        ("channel_name", "brand-mentions"),
        ("user_id", user),
        ("user_name", "ann"),
        ("command", "/talkback"),
        ("text", text),
        ("api_app_id", "A0001"),
        ("response_url", "https://hooks.slack.com/commands/T0001/1/abc"),
        ("trigger_id", "13345224609.738474920.8088930838d88f008e0"),
    ])
    .unwrap()
}

fn slack_click(user: &str, action: &str, value: &str) -> Value {
    json!({"type": "block_actions", "user": {"id": user, "username": "ann", "name": "ann", "team_id": "T0001"},
           "api_app_id": "A0001", "token": "x", "trigger_id": "1234.5678.trigger",
           "container": {"type": "message", "message_ts": "1763900000.000002", "channel_id": "C0ALERTS", "is_ephemeral": false},
           "team": {"id": "T0001", "domain": "acme"}, "channel": {"id": "C0ALERTS", "name": "brand-mentions"},
           "response_url": "https://hooks.slack.com/actions/T0001/1/abc",
           "actions": [{"action_id": action, "block_id": "mention:1", "text": {"type": "plain_text", "text": action},
                        "value": value, "type": "button", "action_ts": "1763900001.000001"}]})
}

fn slack_interaction_form(payload: &Value) -> String {
    serde_urlencoded::to_string([("payload", payload.to_string())]).unwrap()
}

const FORGERIES: [SlackSig; 9] = [
    SlackSig::WrongSecret,
    SlackSig::Aged(6 * 60),
    SlackSig::Aged(-6 * 60),
    SlackSig::Unsigned,
    SlackSig::NoSignature,
    SlackSig::NoTimestamp,
    SlackSig::Replayed,
    SlackSig::Tampered,
    SlackSig::Aged(24 * 3600),
];

async fn slack_http(log: Option<&str>) {
    const FORM: &str = "application/x-www-form-urlencoded";
    let fake = FakeSlack::start().await;
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let chat = format!("signing_secret_env = \"SLACK_SIGNING_SECRET\"\n\n[server]\nlisten = \"127.0.0.1:{port}\"");
    slack_config(dir.path(), &fake, &chat);
    let bot = Bot::start(&["run"], dir.path(), log, SECRETS, Stdio::null());
    bot.out
        .line("the Slack endpoints", |l| l.contains("Slack HTTP endpoints at"))
        .await;
    fake.wait_calls("chat.postMessage", 1).await;

    // Forged, stale, replayed and unsigned requests: 401 on every endpoint, and nothing changes.
    let claim = slack_command_form(REPLIER, "claim 1");
    let click = slack_interaction_form(&slack_click(REPLIER, "claim", "1"));
    let challenge = json!({"token": "x", "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY", "type": "url_verification"});
    let events = challenge.to_string();
    for sig in FORGERIES {
        for (path, content_type, body) in [
            ("/slack/commands", FORM, claim.as_str()),
            ("/slack/interactions", FORM, click.as_str()),
            ("/slack/events", "application/json", events.as_str()),
        ] {
            let (status, answer) = slack_post(port, path, content_type, body, sig).await;
            assert_eq!(status, 401, "{sig:?} on {path}: {answer}");
            assert!(!answer.contains("3eZbrw1aBm2rZgRNFdxV2595E9CY"), "{answer}");
        }
    }
    let (status, shown) = slack_post(
        port,
        "/slack/commands",
        FORM,
        &slack_command_form(REPLIER, "show 1"),
        SlackSig::Valid,
    )
    .await;
    assert_eq!(status, 200, "{shown}");
    assert!(!shown.contains("claimed by"), "a forged request changed #1: {shown}");
    assert!(
        fake.calls("chat.postEphemeral").is_empty(),
        "a forged click was answered"
    );

    // Signed requests work on every endpoint.
    let (status, answer) = slack_post(
        port,
        "/slack/events",
        "application/json",
        &challenge.to_string(),
        SlackSig::Valid,
    )
    .await;
    assert_eq!(
        (status, answer.contains("3eZbrw1aBm2rZgRNFdxV2595E9CY")),
        (200, true),
        "{answer}"
    );
    let (status, _) = slack_post(port, "/slack/interactions", FORM, &click, SlackSig::Valid).await;
    assert_eq!(status, 200);
    assert!(fake.wait_calls("chat.postEphemeral", 1).await[0]["text"]
        .as_str()
        .is_some_and(|t| t.contains("claimed")));
    let reply = slack_command_form(REPLIER, "reply 1 Yes, IPv6 works everywhere.");
    let (status, answer) = slack_post(port, "/slack/commands", FORM, &reply, SlackSig::Valid).await;
    assert_eq!(status, 200);
    assert!(answer.contains("Replied to #1"), "{answer}");

    let (status, printed) = bot.stop().await;
    assert!(status.success(), "{status:?}\n{printed}");
    let mut found = leaks("talkback run's output", &printed, SECRETS);
    found.extend(leaks("the store's files", &files_text(dir.path()), SECRETS));
    found.extend(leaks(
        "what Slack was sent",
        &serde_json::to_string(&fake.all_calls()).unwrap(),
        SECRETS,
    ));
    assert!(found.is_empty(), "secrets leaked:\n{}", found.join("\n\n"));

    // Slack refuses both tokens at startup: that is said, without showing them.
    let fake = FakeSlack::start().await;
    fake.error_next("auth.test", "invalid_auth");
    fake.error_next("apps.connections.open", "invalid_auth");
    slack_config(dir.path(), &fake, "app_token_env = \"SLACK_APP_TOKEN\"");
    let bot = Bot::start(&["run"], dir.path(), log, SECRETS, Stdio::null());
    bot.out
        .line("the refused bot token", |l| l.contains("invalid_auth"))
        .await;
    // A refused app token stops run (exit 1) with Slack's answer.
    bot.out
        .line("the refused app token", |l| {
            l.contains("Socket Mode") && l.contains("invalid_auth")
        })
        .await;
    let (status, printed) = bot.exit().await;
    assert_eq!(status.code(), Some(1), "{printed}");
    assert_no_leak("run with refused Slack tokens", &printed, SECRETS);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slack_http_mode_at_trace_level_refuses_forgeries_and_shows_no_secret() {
    slack_http(Some("trace")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slack_http_mode_at_the_default_level_refuses_forgeries_and_shows_no_secret() {
    slack_http(None).await;
}

// ---------------------------------------------------------------------------------------------
// 4. `check` and the config structs: a summary, a list of config errors or a `Debug` print
//    shows which variable holds a secret, never the secret.

const SLACK_CHAT: &str = r#"[chat.slack]
bot_token_env = "SLACK_BOT_TOKEN"
app_token_env = "SLACK_APP_TOKEN"
signing_secret_env = "SLACK_SIGNING_SECRET""#;

const DISCORD_CHAT: &str = r#"[chat.discord]
token_env = "DISCORD_TOKEN"
application_id = "1100000000000000001""#;

/// A config naming every secret talkback reads (with `chat`), pointed at hosts never called.
fn every_secret_config(chat: &str, extra: &str) -> String {
    let unused = closed_port_url();
    format!(
        r#"[[brands]]
name = "Acme"
query = "acme"
channel = "alerts"

[[sources]]
kind = "mastodon"
base_url = "{unused}"
token_env = "MASTODON_READ_TOKEN"

[[sources]]
kind = "bluesky"
base_url = "{unused}"
jetstream_url = "ws://127.0.0.1:9"
identifier = "acme.bsky.social"
app_password_env = "BLUESKY_READ_PASSWORD"

[[sources]]
kind = "reddit"
base_url = "{unused}"
auth_url = "{unused}"
client_id_env = "REDDIT_READ_ID"
client_secret_env = "REDDIT_READ_SECRET"
username = "acme_bot"
password_env = "REDDIT_READ_PASSWORD"

[[sources]]
kind = "x"
base_url = "{unused}"
bearer_token_env = "X_BEARER_TOKEN"

[[publishers]]
kind = "mastodon"
base_url = "{unused}"
token_env = "MASTODON_WRITE_TOKEN"

[[publishers]]
kind = "bluesky"
base_url = "{unused}"
identifier = "acme.bsky.social"
app_password_env = "BLUESKY_WRITE_PASSWORD"

[[publishers]]
kind = "reddit"
base_url = "{unused}"
auth_url = "{unused}"
client_id_env = "REDDIT_WRITE_ID"
client_secret_env = "REDDIT_WRITE_SECRET"
username = "acme_bot"
password_env = "REDDIT_WRITE_PASSWORD"

[[publishers]]
kind = "x"
base_url = "{unused}"
user_token_env = "X_USER_TOKEN"

[channels.alerts]
slack = "C0ALERTS"

{chat}

[triage.llm]
base_url = "{unused}/v1"
model = "gpt-test"
api_key_env = "LLM_API_KEY"
{extra}"#
    )
}

fn env(name: &str) -> Option<String> {
    SECRETS
        .iter()
        .chain(DISCORD_SECRETS)
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.to_string())
}

#[test]
fn config_structs_show_no_secret_in_debug() {
    let file = Path::new("talkback.toml");
    let load = |chat| {
        let text = every_secret_config(chat, "");
        talkback::config::Config::from_str(file, &text, talkback::config::Needs::Everything, &env)
            .unwrap_or_else(|e| panic!("{e}"))
    };
    let (slack, discord) = (load(SLACK_CHAT), load(DISCORD_CHAT));
    assert!(slack.chat.slack.as_ref().is_some_and(|s| s.signing_secret.is_some()));
    assert!(discord.chat.discord.as_ref().is_some_and(|d| d.token.is_some()));
    let all: Vec<(&str, &str)> = SECRETS.iter().chain(DISCORD_SECRETS).copied().collect();
    for config in [&slack, &discord] {
        assert_no_leak("Debug of Config", &format!("{config:?}"), &all);
        assert_no_leak("pretty Debug of Config", &format!("{config:#?}"), &all);
        assert_no_leak("the summary", &config.summary(), &all);
    }
}

#[test]
fn check_prints_no_secret_with_a_good_config_or_a_broken_one() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("talkback.toml"), every_secret_config(SLACK_CHAT, "")).unwrap();
    let (code, printed) = talkback(&["check"], dir.path(), SECRETS);
    assert_eq!(code, Some(0), "{printed}");
    assert!(printed.contains("LLM drafts: gpt-test"), "{printed}");
    assert_no_leak("check's summary", &printed, SECRETS);

    // Unknown keys, bad values and an unset variable: every problem reported, no secret shown.
    let broken = every_secret_config(SLACK_CHAT, "timeout = \"soon\"\n\n[nag]\nmax = -1\n")
        .replace(
            "username = \"acme_bot\"\npassword_env = \"REDDIT_READ_PASSWORD\"",
            "usename = \"acme_bot\"\npassword_env = \"REDDIT_UNSET\"",
        )
        .replace("every", "evry");
    std::fs::write(dir.path().join("talkback.toml"), broken).unwrap();
    let (code, printed) = talkback(&["check"], dir.path(), SECRETS);
    assert_eq!(code, Some(2), "{printed}");
    assert!(
        printed.contains("`REDDIT_UNSET` (named by `password_env`) is not set"),
        "{printed}"
    );
    assert!(printed.contains("`max` must be 0 or more"), "{printed}");
    assert_no_leak("check's errors", &printed, SECRETS);
}

// ---------------------------------------------------------------------------------------------
// 5. Secrets written into the config file itself: `check` and `run` warn, naming the place and
//    the key and what to do, never the value; the errors and the summary do not show it either.

const PASTED: &[(&str, &str)] = &[
    ("a Slack bot token", "xoxb-2024-PASTEDbottoken-a1b2c3d4"),
    ("a GitHub token", "ghp_PASTEDfeedtoken0123456789abcdefXYZ"),
];

fn pasted_config(feed: &str) -> String {
    format!(
        r#"[store]
path = "store"

[[brands]]
name = "Acme"
query = "acme"

[[sources]]
kind = "rss"
url = "{feed}/private.atom?token={github}"

[team]
repliers = ["console:operator"]
"#,
        github = PASTED[1].1
    )
}

#[cfg(unix)]
#[test]
fn check_warns_about_secrets_written_into_the_config_without_showing_them() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("talkback.toml");
    let chmod = |mode| std::fs::set_permissions(&file, std::fs::Permissions::from_mode(mode)).unwrap();

    // A token in a feed's URL: the config is valid, so check passes, and warns.
    std::fs::write(&file, pasted_config("https://feeds.example")).unwrap();
    chmod(0o600);
    let (code, printed) = talkback(&["check"], dir.path(), SECRETS);
    assert_eq!(code, Some(0), "{printed}");
    assert!(
        printed.contains("talkback.toml:10:7: warning: [[sources]] #1: `url` holds what looks like a GitHub token"),
        "{printed}"
    );
    assert!(printed.contains("take it out of the URL"), "{printed}");
    assert!(
        printed.contains("https://feeds.example/private.atom?…"),
        "the summary: {printed}"
    );
    assert!(!printed.contains("other users can read"), "{printed}");
    assert_no_leak("check", &printed, PASTED);

    // A bot token pasted where its variable's name belongs, in a file others can read: the
    // variable is not set (an error), and both warnings say what to do.
    let text = pasted_config("https://feeds.example").replace(
        "[team]",
        &format!(
            "[chat.slack]\nbot_token_env = \"{}\"\napp_token_env = \"SLACK_APP_TOKEN\"\n\n[team]",
            PASTED[0].1
        ),
    );
    std::fs::write(&file, text).unwrap();
    chmod(0o644);
    let (code, printed) = talkback(&["check"], dir.path(), SECRETS);
    assert_eq!(code, Some(2), "{printed}");
    let warning = "talkback.toml:13:17: warning: [chat.slack]: `bot_token_env` should name an environment variable, \
                   but holds what looks like a Slack bot token";
    assert!(printed.contains(warning), "{printed}");
    assert!(printed.contains("set `bot_token_env = \"VARIABLE\"`"), "{printed}");
    assert!(
        printed.contains("talkback.toml:1:1: warning: other users can read this file (mode 0644)"),
        "{printed}"
    );
    assert!(
        printed.contains("talkback.toml:13:17: [chat.slack]: `bot_token_env` must name the environment variable"),
        "{printed}"
    );
    assert_no_leak("check", &printed, PASTED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_warns_about_a_secret_in_the_config_and_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("talkback.toml"), pasted_config(&closed_port_url())).unwrap();
    let bot = Bot::start(&["run"], dir.path(), None, &[], Stdio::null());
    bot.out
        .line("the warning", |l| {
            l.contains("warning: [[sources]] #1: `url` holds what looks like a GitHub token")
        })
        .await;
    bot.out
        .line("the feed failing", |l| l.contains("cannot connect (127.0.0.1)"))
        .await;
    let (status, printed) = bot.stop().await;
    assert!(status.success(), "{status:?}\n{printed}");
    assert_no_leak("run", &printed, PASTED);
}

// ---------------------------------------------------------------------------------------------
// 6. `team.repliers` on every path that publishes: someone in neither `team.repliers` nor
//    `team.approvers` is refused on each, with the setting named, and nothing reaches the network
//    (`replies.jsonl` stays empty). A replier who is no approver cannot send a draft; an approver
//    who is no replier may open the reply form (approvers may reply directly).

const DRAFTER: &str = "U0DRAFTER";
const BOSS: &str = "U0BOSS";
const STRANGER: &str = "U0STRANGER";

fn slack_submission(user: &str, text: &str) -> Value {
    json!({"type": "view_submission", "team": {"id": "T0001", "domain": "acme"},
           "user": {"id": user, "username": "ann", "name": "ann", "team_id": "T0001"}, "api_app_id": "A0001",
           "token": "x", "trigger_id": "1234.5678.submit",
           "view": {"id": "V0001", "team_id": "T0001", "type": "modal", "callback_id": "talkback_reply",
                    "private_metadata": "1|C0ALERTS", "hash": "156663117.cd33ad1f",
                    "title": {"type": "plain_text", "text": "Reply to #1"}, "blocks": [],
                    "state": {"values": {"reply": {"text": {"type": "plain_text_input", "value": text}}}}}})
}

fn slack_envelope(envelope: &str, payload: Value) -> Value {
    json!({"envelope_id": envelope, "type": "interactive", "accepts_response_payload": false, "payload": payload})
}

/// The app in process, with a handle on its store (for the audit log while it runs).
fn start_app(
    config: talkback::config::Config,
) -> (
    tokio::sync::watch::Sender<bool>,
    tokio::task::JoinHandle<anyhow::Result<()>>,
    talkback::store::Store,
) {
    let path = config.store.path.clone();
    let app = talkback::app::App::build(
        config,
        &path,
        Arc::new(talkback::clock::SystemClock),
        talkback::chat::console::stdout(),
    )
    .unwrap();
    let store = app.store.clone();
    let (stop, shutdown) = tokio::sync::watch::channel(false);
    (stop, tokio::spawn(app.run(shutdown)), store)
}

/// Counts the audit log's entries with this result.
fn audited(store: &talkback::store::Store, result: &str) -> usize {
    store
        .audit_log(None)
        .unwrap()
        .iter()
        .filter(|a| a.result == result)
        .count()
}

/// Slack in Socket Mode and HTTP mode at once (both keys set), in process.
fn slack_app(
    fake: &FakeSlack,
    dir: &Path,
    port: u16,
) -> (
    tokio::sync::watch::Sender<bool>,
    tokio::task::JoinHandle<anyhow::Result<()>>,
    talkback::store::Store,
) {
    slack_config(
        dir,
        fake,
        &format!(
            "app_token_env = \"SLACK_APP_TOKEN\"\nsigning_secret_env = \"SLACK_SIGNING_SECRET\"\n\n[server]\nlisten = \"127.0.0.1:{port}\""
        ),
    );
    start_app(load(dir, |text| {
        text.replace(
            &format!("repliers = [\"slack:{REPLIER}\"]"),
            &format!("repliers = [\"slack:{DRAFTER}\"]\napprovers = [\"slack:{BOSS}\"]"),
        )
    }))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slack_refuses_non_repliers_on_every_path_that_publishes() {
    const FORM: &str = "application/x-www-form-urlencoded";
    let fake = FakeSlack::start().await;
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let (stop, task, store) = slack_app(&fake, dir.path(), port);
    fake.wait_calls("chat.postMessage", 1).await;
    // A replier who is not an approver drafts: now there is a draft to send or edit.
    fake.send_envelope(slash_command("d1", DRAFTER, "reply 1 Our draft"))
        .await;
    let drafted = fake.ack("d1").await["payload"]["text"].to_string();
    assert!(drafted.contains("is a draft"), "{drafted}");

    // Commands over Socket Mode: the answer comes back in the ack.
    for (envelope, text, setting) in [
        ("s1", "reply 1 hi", "`team.repliers`"),
        ("s2", "reply 1 #1", "`team.repliers`"),
        ("s3", "approve 1", "`team.approvers`"),
    ] {
        fake.send_envelope(slash_command(envelope, STRANGER, text)).await;
        let answer = fake.ack(envelope).await["payload"]["text"].to_string();
        assert!(answer.contains(setting), "{text}: {answer}");
    }
    // Buttons and the form: the answer is an ephemeral message.
    let mut told = 0;
    let mut expect_told = |fake: FakeSlack, who: &'static str, setting: &'static str, what: &'static str| {
        told += 1;
        let n = told;
        async move {
            let said = fake.wait_calls("chat.postEphemeral", n).await;
            let last = &said[n - 1];
            assert_eq!(last["user"], who, "{what}: {last}");
            assert!(
                last["text"].as_str().unwrap_or_default().contains(setting),
                "{what}: {last}"
            );
        }
    };
    for (envelope, value, what) in [
        ("b1", "1|1", "Reply"),
        ("b2", "1|2", "Use #2"),
        ("b3", "1|0", "Edit draft"),
    ] {
        fake.send_envelope(slack_envelope(envelope, slack_click(STRANGER, "reply", value)))
            .await;
        expect_told(fake.clone(), STRANGER, "`team.repliers`", what).await;
    }
    // Over HTTP: the command, the form's submission and the Send draft button.
    let (status, answer) = slack_post(
        port,
        "/slack/commands",
        FORM,
        &slack_command_form(STRANGER, "reply 1 hi"),
        SlackSig::Valid,
    )
    .await;
    assert_eq!(status, 200);
    assert!(answer.contains("`team.repliers`"), "{answer}");
    let submitted = slack_interaction_form(&slack_submission(STRANGER, "Forged answer"));
    assert_eq!(
        slack_post(port, "/slack/interactions", FORM, &submitted, SlackSig::Valid)
            .await
            .0,
        200
    );
    expect_told(fake.clone(), STRANGER, "`team.repliers`", "the reply form").await;
    let send_draft = slack_interaction_form(&slack_click(STRANGER, "approve", "1"));
    assert_eq!(
        slack_post(port, "/slack/interactions", FORM, &send_draft, SlackSig::Valid)
            .await
            .0,
        200
    );
    expect_told(fake.clone(), STRANGER, "`team.approvers`", "Send draft").await;
    // A replier who is no approver cannot send the draft either.
    fake.send_envelope(slack_envelope("b4", slack_click(DRAFTER, "approve", "1")))
        .await;
    expect_told(fake.clone(), DRAFTER, "`team.approvers`", "Send draft by the drafter").await;

    assert!(
        fake.calls("views.open").is_empty(),
        "no reply form opened for a non-replier"
    );
    assert!(
        support::running::replies(store.path()).is_empty(),
        "nothing was published"
    );
    // An approver who is no replier may open the form.
    fake.send_envelope(slack_envelope("b5", slack_click(BOSS, "reply", "1|1")))
        .await;
    fake.wait_calls("views.open", 1).await;

    assert_eq!(
        audited(&store, "refused: not in team.repliers"),
        4,
        "the commands (reply, reply #1, reply over HTTP) and the form"
    );
    assert_eq!(audited(&store, "refused: not in team.approvers"), 3);
    stop.send(true).unwrap();
    task.await.unwrap().unwrap();
    assert!(support::running::replies(store.path()).is_empty());
}

const D_DRAFTER: &str = "412345678901234567";
const D_BOSS: &str = "433333333333333333";
const D_STRANGER: &str = "499999999999999999";

/// How interactions reach the app: its HTTP endpoint (port), or the fake's gateway.
enum Via {
    Http(u16),
    Gateway,
}

/// Sends an interaction and returns the answer the app gave Discord.
async fn ask(via: &Via, fake: &FakeDiscord, interaction: Value) -> Value {
    match via {
        Via::Http(port) => {
            let (status, answer) = discord_post(*port, &interaction, DiscordSig::Valid).await;
            assert_eq!(status, 200, "{answer}");
            serde_json::from_str(&answer).unwrap()
        }
        Via::Gateway => {
            let id = interaction["id"].as_str().unwrap().to_string();
            fake.dispatch(interaction);
            let path = format!("/interactions/{id}/{}/callback", fd::token(&id));
            fake.wait_for("POST", &path, 1).await[0].body.clone()
        }
    }
}

async fn discord_refuses_non_repliers(via: Via) {
    let fake = FakeDiscord::start().await;
    let dir = tempfile::tempdir().unwrap();
    let mode = match via {
        Via::Http(port) => discord_http_mode(port),
        Via::Gateway => String::new(),
    };
    discord_config(dir.path(), &fake, &mode);
    let (stop, task, store) = start_app(load(dir.path(), |text| {
        text.replace(
            &format!("repliers = [\"discord:{DISCORD_REPLIER}\"]"),
            &format!("repliers = [\"discord:{D_DRAFTER}\"]\napprovers = [\"discord:{D_BOSS}\"]"),
        )
    }));
    match via {
        Via::Http(port) => {
            wait_for_port(port).await;
        }
        Via::Gateway => {
            fake.wait_identify().await;
        }
    }
    fake.wait_for("POST", &format!("/channels/{}/messages", fd::CHANNEL_ID), 1)
        .await;
    let alert = (1_200_000_000_000_000_001u64).to_string();
    let content = |answer: &Value| answer["data"]["content"].as_str().unwrap_or_default().to_string();

    let drafted = ask(
        &via,
        &fake,
        fd::slash("50", D_DRAFTER, "reply", &[("id", "1"), ("text", "Our draft")]),
    )
    .await;
    assert!(content(&drafted).contains("is a draft"), "{drafted}");
    for (id, interaction, setting, what) in [
        (
            "51",
            fd::slash("51", D_STRANGER, "reply", &[("id", "1"), ("text", "hi")]),
            "`team.repliers`",
            "/talkback reply",
        ),
        (
            "52",
            fd::slash("52", D_STRANGER, "reply", &[("id", "#1"), ("text", "#1")]),
            "`team.repliers`",
            "/talkback reply #1",
        ),
        (
            "53",
            fd::slash("53", D_STRANGER, "approve", &[("id", "1")]),
            "`team.approvers`",
            "/talkback approve",
        ),
        (
            "54",
            fd::click("54", D_STRANGER, &alert, "talkback:reply:1:1", None),
            "`team.repliers`",
            "Reply",
        ),
        (
            "55",
            fd::click("55", D_STRANGER, &alert, "talkback:reply:1:2", None),
            "`team.repliers`",
            "Use #2",
        ),
        (
            "56",
            fd::click("56", D_STRANGER, &alert, "talkback:reply:1:0", None),
            "`team.repliers`",
            "Edit draft",
        ),
        (
            "57",
            fd::click("57", D_STRANGER, &alert, "talkback:approve:1", None),
            "`team.approvers`",
            "Send draft",
        ),
        (
            "58",
            fd::modal_submit("58", D_STRANGER, "talkback:replyform:1", "Forged answer"),
            "`team.repliers`",
            "the reply form",
        ),
        (
            "59",
            fd::click("59", D_DRAFTER, &alert, "talkback:approve:1", None),
            "`team.approvers`",
            "Send draft by the drafter",
        ),
    ] {
        let answer = ask(&via, &fake, interaction).await;
        assert_eq!(answer["type"], 4, "{what} ({id}): {answer}");
        assert_eq!(answer["data"]["flags"], 64, "{what}: ephemeral");
        assert!(content(&answer).contains(setting), "{what}: {answer}");
    }
    assert!(
        support::running::replies(store.path()).is_empty(),
        "nothing was published"
    );
    // An approver who is no replier may open the form.
    let form = ask(&via, &fake, fd::click("60", D_BOSS, &alert, "talkback:reply:1:1", None)).await;
    assert_eq!(form["type"], 9, "a modal: {form}");
    assert_eq!(
        audited(&store, "refused: not in team.repliers"),
        3,
        "reply, reply #1 and the form"
    );
    assert_eq!(
        audited(&store, "refused: not in team.approvers"),
        3,
        "approve, Send draft ×2"
    );
    stop.send(true).unwrap();
    task.await.unwrap().unwrap();
    assert!(support::running::replies(store.path()).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discord_over_http_refuses_non_repliers_on_every_path_that_publishes() {
    let port = free_port();
    discord_refuses_non_repliers(Via::Http(port)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discord_over_the_gateway_refuses_non_repliers_on_every_path_that_publishes() {
    discord_refuses_non_repliers(Via::Gateway).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_refuses_a_non_replier() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("posts.jsonl"),
        post("mastodon", "1", "Does acme support IPv6?").to_string() + "\n",
    )
    .unwrap();
    let text = "[store]\npath = \"store\"\n\n[[brands]]\nname = \"Acme\"\nquery = \"acme\"\n\n[[sources]]\nkind = \"replay\"\n\
                path = \"posts.jsonl\"\n\n[chat.console]\nuser = \"intern\"\n\n[team]\nrepliers = [\"console:operator\"]\n\
                approvers = [\"console:boss\"]\n\n[nag]\nmax = 0\n";
    std::fs::write(dir.path().join("talkback.toml"), text).unwrap();
    let mut bot = Bot::start(&["run"], dir.path(), None, &[], Stdio::piped());
    bot.out.line("the alert", |l| l.contains("#1")).await;
    for (command, setting) in [
        ("/talkback reply 1 hi", "`team.repliers`"),
        ("/talkback reply 1 #1", "`team.repliers`"),
        ("/talkback approve 1", "`team.approvers`"),
    ] {
        bot.type_line(command);
        bot.out
            .line(setting, |l| l.contains(setting) && l.contains("console:intern"))
            .await;
    }
    // The answers are printed once each command has been refused (and audited).
    let (status, printed) = bot.stop().await;
    assert!(status.success(), "{status:?}\n{printed}");
    assert_eq!(
        printed.matches("`team.repliers`").count(),
        4,
        "two refusals, each naming it twice: {printed}"
    );
    assert!(
        support::running::replies(&dir.path().join("store")).is_empty(),
        "{printed}"
    );
}

// ---------------------------------------------------------------------------------------------
// 7. Forged Discord interactions: every way a request can fail its Ed25519 check gets 401 and
//    changes nothing. (Slack's endpoints: `slack_http` above.)

/// The application's key pair: its public half is the config's `public_key`.
fn app_key() -> ed25519_dalek::SigningKey {
    ed25519_dalek::SigningKey::from_bytes(&[7u8; 32])
}

/// The `[chat.discord]` lines for interactions over HTTP on `port`.
fn discord_http_mode(port: u16) -> String {
    let key = hex::encode(app_key().verifying_key().as_bytes());
    format!("public_key = \"{key}\"\n\n[server]\nlisten = \"127.0.0.1:{port}\"")
}

/// How a request to `/discord/interactions` is signed.
#[derive(Debug, Clone, Copy)]
enum DiscordSig {
    Valid,
    /// By a key that is not the application's.
    WrongKey,
    /// Signed, then the body was changed (a byte added).
    Tampered,
    /// Correctly signed, this many seconds ago (negative: in the future).
    Aged(i64),
    Unsigned,
    NoSignature,
    NoTimestamp,
    /// A signature that is not hex.
    NotHex,
    /// 32 bytes of hex instead of 64.
    Short,
    /// A request signed a minute ago, sent again with a fresh timestamp.
    Replayed,
}

async fn discord_post(port: u16, body: &Value, sig: DiscordSig) -> (u16, String) {
    use ed25519_dalek::Signer;
    let body = body.to_string();
    let now = chrono::Utc::now().timestamp();
    let (signed_at, sent_ts) = match sig {
        DiscordSig::Aged(secs) => (now - secs, now - secs),
        DiscordSig::Replayed => (now - 60, now),
        _ => (now, now),
    };
    let key = match sig {
        DiscordSig::WrongKey => ed25519_dalek::SigningKey::from_bytes(&[9u8; 32]),
        _ => app_key(),
    };
    let signature = match sig {
        DiscordSig::NotHex => "zz".repeat(64),
        DiscordSig::Short => "ab".repeat(32),
        _ => hex::encode(key.sign(format!("{signed_at}{body}").as_bytes()).to_bytes()),
    };
    let sent = match sig {
        DiscordSig::Tampered => format!("{body} "),
        _ => body,
    };
    let mut req = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{port}/discord/interactions"))
        .header("content-type", "application/json")
        .body(sent);
    if !matches!(sig, DiscordSig::Unsigned | DiscordSig::NoSignature) {
        req = req.header("x-signature-ed25519", signature);
    }
    if !matches!(sig, DiscordSig::Unsigned | DiscordSig::NoTimestamp) {
        req = req.header("x-signature-timestamp", sent_ts.to_string());
    }
    let res = req.send().await.unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discord_http_refuses_forged_interactions_and_they_change_nothing() {
    let fake = FakeDiscord::start().await;
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    discord_config(dir.path(), &fake, &discord_http_mode(port));
    let (stop, task, store) = start_app(load(dir.path(), |text| text));
    fake.wait_for("POST", &format!("/channels/{}/messages", fd::CHANNEL_ID), 1)
        .await;
    wait_for_port(port).await;
    let alert = (1_200_000_000_000_000_001u64).to_string();
    let claim = fd::click("70", DISCORD_REPLIER, &alert, "talkback:claim:1", None);
    for sig in [
        DiscordSig::WrongKey,
        DiscordSig::Tampered,
        DiscordSig::Aged(6 * 60),
        DiscordSig::Aged(-6 * 60),
        DiscordSig::Unsigned,
        DiscordSig::NoSignature,
        DiscordSig::NoTimestamp,
        DiscordSig::NotHex,
        DiscordSig::Short,
        DiscordSig::Replayed,
    ] {
        let (status, answer) = discord_post(port, &claim, sig).await;
        assert_eq!(status, 401, "{sig:?}: {answer}");
        let (status, _) = discord_post(port, &fd::ping(), sig).await;
        assert_eq!(status, 401, "{sig:?}: a forged PING");
    }
    let m = store.mention(talkback::domain::MentionId(1)).unwrap();
    assert!(m.claimed_by.is_none(), "a forged click changed #1");
    assert_eq!(audited(&store, "ok"), 0, "nothing was done");
    let (status, pong) = discord_post(port, &fd::ping(), DiscordSig::Valid).await;
    assert_eq!((status, pong.as_str()), (200, r#"{"type":1}"#));
    let (status, claimed) = discord_post(port, &claim, DiscordSig::Valid).await;
    assert_eq!(status, 200);
    assert!(claimed.contains("claimed"), "{claimed}");
    stop.send(true).unwrap();
    task.await.unwrap().unwrap();
}
