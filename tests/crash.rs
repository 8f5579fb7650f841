//! The crash test: `talkback run` (the binary) against a fake Mastodon (the source and the reply
//! publisher) and a fake Slack (HTTP mode, so replies are asked for with signed slash commands),
//! killed with SIGKILL at moments picked by a seeded random generator, and restarted, again and
//! again. Posts keep arriving and replies keep being asked for throughout. At the end every post
//! became exactly one alert, every reply asked for was published exactly once, and a final
//! SIGTERM stops the process cleanly within 10 seconds.
//!
//! The kill moments are tied to the process's own progress (the next Slack or Mastodon call,
//! a reply on its way), not to the clock. The default run kills 6 times; the full run, in
//! `.ci/run`: `cargo test --release --test crash -- --ignored --nocapture` (60 kills; set
//! `CRASH_KILLS` and `CRASH_SEED` to change it).

#![cfg(unix)]

mod support;

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;
use support::fake_mastodon::FakeMastodon;
use support::fake_slack::FakeSlack;

const SECRET: &str = "crash-test-signing-secret";
const REPLIER: &str = "U0REPLIER";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_at_random_moments_it_alerts_and_replies_exactly_once() {
    crash_run(6, 7).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "about 60 kills; run by .ci/run"]
async fn sixty_kills_lose_nothing_and_duplicate_nothing() {
    let kills = std::env::var("CRASH_KILLS")
        .ok()
        .and_then(|k| k.parse().ok())
        .unwrap_or(60);
    let seed = std::env::var("CRASH_SEED")
        .ok()
        .and_then(|k| k.parse().ok())
        .unwrap_or(2026);
    crash_run(kills, seed).await;
}

/// A small seeded generator (xorshift), so a failing run can be repeated.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }
}

async fn crash_run(kills: usize, seed: u64) {
    let masto = FakeMastodon::start().await;
    let slack = FakeSlack::start().await;
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let config = write_config(dir.path(), &masto, &slack, port);
    let author = masto.account("sam", "Sam");
    let mut rng = Rng(seed.max(1));
    let mut posts = 0;
    let mut asked: HashMap<u64, String> = HashMap::new();
    let mut replying = Vec::new();
    let started = Instant::now();
    for round in 0..kills {
        let mut child = spawn(&config, dir.path(), &masto, &slack);
        for _ in 0..=rng.below(4) {
            posts += 1;
            let status = masto.status(&author, &format!("<p>acme question number {posts}</p>"));
            masto.publish(&["tag:acme"], status);
        }
        // Ask for replies to some alerted mentions, and do not wait for the answers: the kill
        // may come while they are on their way.
        let unasked: Vec<u64> = alerted(&slack)
            .into_iter()
            .filter(|id| !asked.contains_key(id))
            .collect();
        for id in unasked {
            if rng.below(3) == 0 {
                let text = format!("thanks for asking (ref {id})");
                asked.insert(id, text.clone());
                replying.push(tokio::spawn(
                    async move { slash(port, &format!("reply {id} {text}")).await },
                ));
            }
        }
        // The moment of the kill: after the next few calls the process makes to either fake.
        let calls = slack.all_calls().len() + masto_calls(&masto);
        let wait_for = calls + rng.below(8) as usize;
        let deadline = Instant::now() + Duration::from_secs(15);
        while slack.all_calls().len() + masto_calls(&masto) < wait_for && Instant::now() < deadline {
            tokio::task::yield_now().await;
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        kill(&mut child, libc_kill::SIGKILL);
        eprintln!(
            "round {round}: killed after {} Slack calls, {} Mastodon calls; {posts} posts, {} replies asked",
            slack.all_calls().len(),
            masto_calls(&masto),
            asked.len()
        );
    }
    for r in replying {
        let _ = r.await;
    }

    // The last start: everything must come out, exactly once.
    let mut child = spawn(&config, dir.path(), &masto, &slack);
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if alerted(&slack).len() >= posts && Instant::now() < deadline {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "not every post was alerted:\n{}",
            log(dir.path())
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Ask again for every reply; an answered one says it was already sent.
    for (id, text) in &asked {
        let answer = loop {
            let (status, answer) = slash(port, &format!("reply {id} {text}")).await;
            if status == 200 && !answer.contains("Working on it") {
                break answer;
            }
            assert!(Instant::now() < deadline, "reply {id} never answered: {answer}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        assert!(
            answer.contains("Replied to") || answer.contains("already sent"),
            "reply {id}: {answer}"
        );
    }
    // The process's own view: nothing waiting, the source healthy, counters in the text format.
    let metrics = reqwest::get(format!("http://127.0.0.1:{port}/metrics")).await.unwrap();
    assert_eq!(metrics.status(), 200);
    let page = metrics.text().await.unwrap();
    for want in [
        "talkback_alerts_pending 0",
        "talkback_replies_pending 0",
        "# TYPE talkback_mentions_ingested_total counter",
        "talkback_source_lag_seconds{source=\"mastodon/tag/acme\"}",
        "talkback_errors_total{kind=\"chat\"}",
        "talkback_store_bytes ",
    ] {
        assert!(page.contains(want), "{want} not in /metrics:\n{page}");
    }
    let health = reqwest::get(format!("http://127.0.0.1:{port}/healthz")).await.unwrap();
    assert_eq!(health.status(), 200);
    let stopping = Instant::now();
    kill(&mut child, libc_kill::SIGTERM);
    let status = child.wait().unwrap();
    let stop_took = stopping.elapsed();
    if std::env::var("CRASH_LOG").is_ok() {
        eprintln!("{}", log(dir.path()));
    }
    assert!(status.success(), "exit {status:?}:\n{}", log(dir.path()));
    assert!(stop_took < Duration::from_secs(10), "stopping took {stop_took:?}");

    // Every post: one alert. Every reply asked for: one status on Mastodon.
    let mut seen = HashSet::new();
    let mut twice = Vec::new();
    for id in alert_ids(&slack) {
        if !seen.insert(id) {
            twice.push(id);
        }
    }
    assert!(twice.is_empty(), "alerted twice: {twice:?}");
    assert_eq!(seen.len(), posts, "every post, one alert");
    let created = masto.created();
    for (id, text) in &asked {
        let n = created
            .iter()
            .filter(|(_, s)| s["content"].as_str().is_some_and(|c| c.contains(text.as_str())))
            .count();
        assert_eq!(n, 1, "reply to #{id} published {n} times");
    }
    assert_eq!(created.len(), asked.len(), "no reply nobody asked for");
    eprintln!(
        "{kills} kills survived; {posts} posts, each alerted once; {} replies, each published once; \
         0 lost, 0 duplicates; clean stop in {stop_took:?}; {:?} in all",
        asked.len(),
        started.elapsed()
    );
}

/// Every mention id in an alert message Slack holds (from the actions blocks), with repeats.
fn alert_ids(slack: &FakeSlack) -> Vec<u64> {
    slack
        .calls("chat.postMessage")
        .iter()
        .filter_map(blocks)
        .flat_map(|b| ids_in(&b))
        .collect()
}

fn alerted(slack: &FakeSlack) -> HashSet<u64> {
    alert_ids(slack).into_iter().collect()
}

fn blocks(call: &Value) -> Option<Value> {
    match &call["blocks"] {
        Value::String(s) => serde_json::from_str(s).ok(),
        Value::Array(a) => Some(Value::Array(a.clone())),
        _ => None,
    }
}

fn ids_in(blocks: &Value) -> Vec<u64> {
    blocks
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|b| b["block_id"].as_str()?.strip_prefix("mention:")?.parse().ok())
        .collect()
}

fn masto_calls(masto: &FakeMastodon) -> usize {
    masto.calls("").len()
}

fn write_config(dir: &Path, masto: &FakeMastodon, slack: &FakeSlack, port: u16) -> std::path::PathBuf {
    let text = format!(
        r##"[store]
path = "{store}"

[[brands]]
name = "Acme"
query = "acme"
channel = "alerts"

[channels.alerts]
slack = "C0ALERTS"

[team]
repliers = ["slack:{REPLIER}"]

[chat.slack]
api_url = "{api}"
bot_token_env = "SLACK_BOT_TOKEN"
signing_secret_env = "SLACK_SIGNING_SECRET"

[server]
listen = "127.0.0.1:{port}"

[[sources]]
kind = "mastodon"
base_url = "{masto}"
token_env = "MASTODON_TOKEN"
hashtags = ["#acme"]
every = "1s"

[[publishers]]
kind = "mastodon"
base_url = "{masto}"
token_env = "MASTODON_TOKEN"
"##,
        store = dir.join("store").display(),
        api = slack.api_url,
        masto = masto.base_url,
    );
    let path = dir.join("talkback.toml");
    std::fs::write(&path, text).unwrap();
    path
}

fn spawn(config: &Path, dir: &Path, _masto: &FakeMastodon, _slack: &FakeSlack) -> Child {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("talkback.log"))
        .unwrap();
    Command::new(env!("CARGO_BIN_EXE_talkback"))
        .args(["run", "--config"])
        .arg(config)
        .env("SLACK_BOT_TOKEN", "xoxb-crash-test")
        .env("SLACK_SIGNING_SECRET", SECRET)
        .env("MASTODON_TOKEN", "mastodon-crash-test")
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap()
}

fn log(dir: &Path) -> String {
    let all = std::fs::read_to_string(dir.join("talkback.log")).unwrap_or_default();
    let lines: Vec<&str> = all.lines().collect();
    lines[lines.len().saturating_sub(60)..].join("\n")
}

mod libc_kill {
    pub const SIGKILL: &str = "KILL";
    pub const SIGTERM: &str = "TERM";
}

fn kill(child: &mut Child, signal: &str) {
    let _ = Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status();
    if signal == libc_kill::SIGKILL {
        let _ = child.wait();
    }
}

/// A signed `/talkback` slash command; (status, answer text). Status 0 when the process was
/// not there to answer.
async fn slash(port: u16, text: &str) -> (u16, String) {
    let body = serde_urlencoded::to_string([
        ("token", "x"),
        ("team_id", "T0001"),
        ("channel_id", "C0ALERTS"),
        ("user_id", REPLIER),
        ("user_name", "ann"),
        ("command", "/talkback"),
        ("text", text),
        ("api_app_id", "A0001"),
        ("response_url", "https://hooks.slack.com/commands/T0001/1/abc"),
        ("trigger_id", "13345224609.738474920.8088930838d88f008e0"),
    ])
    .unwrap();
    let ts = chrono::Utc::now().timestamp();
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(format!("v0:{ts}:{body}").as_bytes());
    let sig = format!("v0={}", hex::encode(mac.finalize().into_bytes()));
    let sent = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{port}/slack/commands"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-slack-request-timestamp", ts.to_string())
        .header("x-slack-signature", sig)
        .timeout(Duration::from_secs(30))
        .body(body)
        .send()
        .await;
    match sent {
        Ok(r) => {
            let status = r.status().as_u16();
            let v: Value = r.json().await.unwrap_or(Value::Null);
            (status, v["text"].as_str().unwrap_or("").to_string())
        }
        Err(_) => (0, String::new()),
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
