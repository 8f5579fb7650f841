//! The Slack adapter end to end: the real slack-morphism client against a fake Slack Web API and
//! Socket Mode WebSocket on 127.0.0.1, and the signed HTTP endpoints.

mod support;

use std::path::Path;
use std::sync::Arc;

use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;
use support::fake_slack::FakeSlack;
use support::running::{replies, start};
use talkback::clock::SystemClock;
use talkback::config::{Config, Needs};

const REPLIER: &str = "U0123ABC";
const SECRET: &str = "8f742231b10e8888abcd99yyyzzz85a5";

fn post_line(id: &str, text: &str) -> String {
    json!({"network": "mastodon", "id": id, "url": format!("https://example.social/@bob/{id}"),
           "author": {"handle": "@bob@example.social", "name": "Bob Smith"}, "text": text,
           "created_at": "2026-11-20T10:00:00Z", "lang": "en"})
    .to_string()
        + "\n"
}

enum Mode {
    Socket,
    Http(u16),
}

fn config(dir: &Path, fake: &FakeSlack, mode: Mode, posts: &str) -> Config {
    std::fs::write(dir.join("posts.jsonl"), posts).unwrap();
    let chat = match mode {
        Mode::Socket => "app_token_env = \"SLACK_APP_TOKEN\"".to_string(),
        Mode::Http(port) => {
            format!("signing_secret_env = \"SLACK_SIGNING_SECRET\"\n\n[server]\nlisten = \"127.0.0.1:{port}\"")
        }
    };
    let text = format!(
        r#"
[store]
path = "store"

[[brands]]
name = "Acme"
query = "acme"
channel = "alerts"

[[sources]]
kind = "replay"
path = "posts.jsonl"
every = "1s"

[channels.alerts]
slack = "C0ALERTS"

[team]
repliers = ["slack:{REPLIER}"]

[chat.slack]
api_url = "{}"
bot_token_env = "SLACK_BOT_TOKEN"
{chat}
"#,
        fake.api_url
    );
    let env = |name: &str| match name {
        "SLACK_BOT_TOKEN" => Some("xoxb-test-bot-token".to_string()),
        "SLACK_APP_TOKEN" => Some("xapp-test-app-token".to_string()),
        "SLACK_SIGNING_SECRET" => Some(SECRET.to_string()),
        _ => None,
    };
    Config::from_str(&dir.join("talkback.toml"), &text, Needs::Everything, &env).unwrap_or_else(|e| panic!("{e}"))
}

fn command(envelope: &str, user: &str, text: &str) -> Value {
    json!({"envelope_id": envelope, "type": "slash_commands", "accepts_response_payload": true,
           "payload": {"token": "gIkuvaNzQIHg97ATvDxqgjtO", "team_id": "T0001", "team_domain": "acme",
                       "channel_id": "C0ALERTS", "channel_name": "brand-mentions", "user_id": user, "user_name": "ann",
                       "command": "/talkback", "text": text, "api_app_id": "A0001", "is_enterprise_install": "false",
                       "response_url": "https://hooks.slack.com/commands/T0001/1/abc",
                       "trigger_id": "13345224609.738474920.8088930838d88f008e0"}})
}

fn interactive(envelope: &str, payload: Value) -> Value {
    json!({"envelope_id": envelope, "type": "interactive", "accepts_response_payload": false, "payload": payload})
}

fn click(user: &str, action: &str, value: &str) -> Value {
    json!({"type": "block_actions", "user": {"id": user, "username": "ann", "name": "ann", "team_id": "T0001"},
           "api_app_id": "A0001", "token": "x", "trigger_id": "1234.5678.trigger",
           "container": {"type": "message", "message_ts": "1763900000.000002", "channel_id": "C0ALERTS", "is_ephemeral": false},
           "team": {"id": "T0001", "domain": "acme"}, "channel": {"id": "C0ALERTS", "name": "brand-mentions"},
           "response_url": "https://hooks.slack.com/actions/T0001/1/abc",
           "actions": [{"action_id": action, "block_id": "mention:1", "text": {"type": "plain_text", "text": action},
                        "value": value, "type": "button", "action_ts": "1763900001.000001"}]})
}

fn submission(user: &str, text: &str) -> Value {
    json!({"type": "view_submission", "team": {"id": "T0001", "domain": "acme"},
           "user": {"id": user, "username": "ann", "name": "ann", "team_id": "T0001"}, "api_app_id": "A0001",
           "token": "x", "trigger_id": "1234.5678.submit",
           "view": {"id": "V0001", "team_id": "T0001", "type": "modal", "callback_id": "talkback_reply",
                    "private_metadata": "1|C0ALERTS", "hash": "156663117.cd33ad1f",
                    "title": {"type": "plain_text", "text": "Reply to #1"}, "blocks": [],
                    "state": {"values": {"reply": {"text": {"type": "plain_text_input", "value": text}}}}}})
}

fn action_ids(blocks: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for b in blocks.as_array().unwrap() {
        for e in b["elements"].as_array().into_iter().flatten() {
            if let Some(a) = e["action_id"].as_str() {
                out.push(a.to_string());
            }
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn socket_mode_alerts_commands_buttons_and_the_reply_form() {
    let fake = FakeSlack::start().await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(
        dir.path(),
        &fake,
        Mode::Socket,
        &post_line("1", "Does Acme support IPv6?"),
    );
    let (stop, task, store) = start(cfg);

    // A mention arrives → one Block Kit alert in the brand's channel.
    let posted = fake.wait_calls("chat.postMessage", 1).await;
    assert_eq!(posted[0]["channel"], "C0ALERTS");
    assert!(posted[0]["text"].as_str().unwrap().contains("#1 Acme"));
    assert_eq!(
        action_ids(&posted[0]["blocks"]),
        ["reply", "claim", "dismiss", "snooze"]
    );
    let alert_ts = fake.posted_ts()[0].clone();
    let alert_ts = alert_ts.as_str();
    assert!(fake
        .auth_headers()
        .iter()
        .all(|h| h == "Bearer xoxb-test-bot-token" || h == "Bearer xapp-test-app-token"));

    // Reply button → a modal prefilled with the suggestion.
    fake.send_envelope(interactive("e1", click(REPLIER, "reply", "1|1")))
        .await;
    let opened = fake.wait_calls("views.open", 1).await;
    assert_eq!(opened[0]["trigger_id"], "1234.5678.trigger");
    let input = &opened[0]["view"]["blocks"][1]["element"];
    assert!(input["initial_value"].as_str().unwrap().contains("Bob"), "{input}");
    // Submitting it publishes once.
    fake.send_envelope(interactive("e2", submission(REPLIER, "Yes, IPv6 works on every plan.")))
        .await;
    fake.ack("e2").await;
    let answer = fake.wait_calls("chat.postEphemeral", 1).await;
    assert!(
        answer[0]["text"].as_str().unwrap().starts_with("Replied to #1"),
        "{answer:?}"
    );
    assert_eq!(replies(&store).len(), 1);
    assert_eq!(replies(&store)[0]["text"], "Yes, IPv6 works on every plan.");
    // The alert was updated in place and the reply said in its thread.
    let updates = fake.wait_calls("chat.update", 1).await;
    assert_eq!(updates[0]["ts"], alert_ts);
    assert!(updates[0]["blocks"].to_string().contains("answered"));
    let threaded = fake
        .calls("chat.postMessage")
        .into_iter()
        .filter(|c| c["thread_ts"] == alert_ts)
        .count();
    assert_eq!(threaded, 1);

    // `/talkback reply 1 …` answers ephemerally in the ack; the same reply twice is sent once.
    fake.send_envelope(command("e3", REPLIER, "reply 1 Thanks for asking!"))
        .await;
    let ack = fake.ack("e3").await;
    assert_eq!(ack["payload"]["response_type"], "ephemeral");
    assert!(
        ack["payload"]["text"].as_str().unwrap().starts_with("Replied to #1"),
        "{ack}"
    );
    fake.send_envelope(command("e4", REPLIER, "reply 1 Thanks for asking!"))
        .await;
    assert!(fake.ack("e4").await["payload"]["text"]
        .as_str()
        .unwrap()
        .contains("already sent"));
    assert_eq!(replies(&store).len(), 2);

    // Someone not in team.repliers is refused on every path.
    fake.send_envelope(command("e5", "U0OTHER", "reply 1 hi")).await;
    assert!(fake.ack("e5").await["payload"]["text"]
        .as_str()
        .unwrap()
        .contains("team.repliers"));
    fake.send_envelope(interactive("e6", click("U0OTHER", "reply", "1|1")))
        .await;
    let refusals = fake.wait_calls("chat.postEphemeral", 2).await;
    assert!(refusals[1]["text"].as_str().unwrap().contains("team.repliers"));
    assert_eq!(fake.calls("views.open").len(), 1);
    assert_eq!(replies(&store).len(), 2);

    // Claim button: an ephemeral answer, a thread note and the alert redrawn.
    fake.send_envelope(interactive("e7", click("U0OTHER", "claim", "1")))
        .await;
    let answers = fake.wait_calls("chat.postEphemeral", 3).await;
    assert!(answers[2]["text"].as_str().unwrap().contains("claimed"), "{answers:?}");
    let updates = fake.wait_calls("chat.update", 2).await;
    assert!(updates.last().unwrap()["blocks"].to_string().contains("<@U0OTHER>"));
    // Bad arguments get usage, not an error trace.
    fake.send_envelope(command("e8", REPLIER, "snooze 1 soon")).await;
    assert!(fake.ack("e8").await["payload"]["text"]
        .as_str()
        .unwrap()
        .contains("usage: /talkback snooze"));

    stop.send(true).unwrap();
    task.await.unwrap().unwrap();
}

fn sign(ts: i64, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(format!("v0:{ts}:{body}").as_bytes());
    let bytes = mac.finalize().into_bytes();
    format!("v0={}", bytes.iter().map(|b| format!("{b:02x}")).collect::<String>())
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn slash(port: u16, text: &str, signature: Option<(i64, Option<String>)>) -> (u16, String) {
    let body = serde_urlencoded::to_string([
        ("token", "x"),
        ("team_id", "T0001"),
        ("team_domain", "acme"),
        ("channel_id", "C0ALERTS"),
        ("channel_name", "brand-mentions"),
        ("user_id", REPLIER),
        ("user_name", "ann"),
        ("command", "/talkback"),
        ("text", text),
        ("api_app_id", "A0001"),
        ("response_url", "https://hooks.slack.com/commands/T0001/1/abc"),
        ("trigger_id", "13345224609.738474920.8088930838d88f008e0"),
    ])
    .unwrap();
    let mut req = vec![(
        "content-type".to_string(),
        "application/x-www-form-urlencoded".to_string(),
    )];
    if let Some((ts, sig)) = signature {
        let sig = sig.unwrap_or_else(|| sign(ts, &body));
        req.push(("x-slack-request-timestamp".into(), ts.to_string()));
        req.push(("x-slack-signature".into(), sig));
    }
    send(port, "/slack/commands", &body, &req).await
}

/// A minimal HTTP/1.1 POST over a raw socket (the app's own server is the thing under test).
async fn send(port: u16, path: &str, body: &str, headers: &[(String, String)]) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let mut req = format!(
        "POST {path} HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\ncontent-length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(body);
    s.write_all(req.as_bytes()).await.unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).await.unwrap();
    let status = out.split_whitespace().nth(1).unwrap().parse().unwrap();
    let body = out.split("\r\n\r\n").nth(1).unwrap_or("").to_string();
    (status, body)
}

async fn wait_for_server(port: u16) {
    loop {
        if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
            return;
        }
        tokio::task::yield_now().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_mode_accepts_signed_requests_and_rejects_forged_ones() {
    let fake = FakeSlack::start().await;
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let cfg = config(
        dir.path(),
        &fake,
        Mode::Http(port),
        &post_line("1", "acme is down again"),
    );
    let (stop, task, _store) = start(cfg);
    wait_for_server(port).await;
    fake.wait_calls("chat.postMessage", 1).await;
    let now = chrono::Utc::now().timestamp();

    let (status, body) = slash(port, "claim 1", Some((now, None))).await;
    assert_eq!(status, 200, "{body}");
    let answer: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(answer["response_type"], "ephemeral");
    assert!(answer["text"].as_str().unwrap().contains("claimed"), "{answer}");

    // Forged, stale and unsigned requests change nothing.
    assert_eq!(
        slash(port, "unclaim 1", Some((now, Some("v0=deadbeef".into()))))
            .await
            .0,
        401
    );
    assert_eq!(slash(port, "unclaim 1", Some((now - 600, None))).await.0, 401);
    assert_eq!(slash(port, "unclaim 1", None).await.0, 401);
    let (_, shown) = slash(port, "show 1", Some((now, None))).await;
    assert!(shown.contains(&format!("claimed by slack:{REPLIER}")), "{shown}");

    // Slack's URL check on the events endpoint.
    let body = json!({"token": "x", "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P", "type": "url_verification"}).to_string();
    let headers = vec![
        ("content-type".to_string(), "application/json".to_string()),
        ("x-slack-request-timestamp".to_string(), now.to_string()),
        ("x-slack-signature".to_string(), sign(now, &body)),
    ];
    let (status, resp) = send(port, "/slack/events", &body, &headers).await;
    assert_eq!(status, 200);
    assert!(resp.contains("3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"));

    stop.send(true).unwrap();
    task.await.unwrap().unwrap();
}

#[tokio::test(start_paused = true)]
async fn a_burst_is_grouped_429s_are_honoured_and_nothing_is_lost_while_slack_is_down() {
    use talkback::chat::slack::SlackChat;
    use talkback::store::Store;

    let fake = FakeSlack::start().await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), &fake, Mode::Socket, "");
    let store = Store::open(&dir.path().join("store")).unwrap();
    for i in 1..=50 {
        let post: talkback::domain::Post =
            serde_json::from_str(&post_line(&i.to_string(), &format!("acme question {i}"))).unwrap();
        store
            .insert_mention("Acme", &post, None, false, chrono::Utc::now())
            .unwrap();
    }
    let clock: talkback::clock::SharedClock = Arc::new(SystemClock);

    // Slack is down: nothing is posted and every mention stays pending.
    let mut down_cfg = cfg.chat.slack.clone().unwrap();
    down_cfg.api_url = format!("http://127.0.0.1:{}/api", free_port());
    let down: Arc<dyn talkback::chat::ChatAdapter> = Arc::new(SlackChat::new(&down_cfg, clock.clone()).unwrap());
    let dispatcher = talkback::chat::Dispatcher::new(&cfg, store.clone(), down, |c| c.slack.as_ref());
    assert!(dispatcher.post_pending().await.is_err());
    assert_eq!(store.pending_alerts().unwrap().len(), 50);

    // Back up, but the first call is rate limited: it is retried after Retry-After.
    fake.fail_next("chat.postMessage", 429, Some(3));
    let up: Arc<dyn talkback::chat::ChatAdapter> =
        Arc::new(SlackChat::new(cfg.chat.slack.as_ref().unwrap(), clock).unwrap());
    let dispatcher = talkback::chat::Dispatcher::new(&cfg, store.clone(), up, |c| c.slack.as_ref());
    assert_eq!(dispatcher.post_pending().await.unwrap(), 50);
    let posts = fake.calls("chat.postMessage");
    assert_eq!(posts.len(), 1 + 5, "one 429, then 50 mentions in 5 messages");
    let listed: String = posts[1..].iter().map(|p| p["blocks"].to_string()).collect();
    for i in 1..=50 {
        assert!(listed.contains(&format!("*#{i} Acme*")), "mention #{i} is listed");
    }
    assert!(store.pending_alerts().unwrap().is_empty());
    assert!(posts.iter().all(|p| p["channel"] == "C0ALERTS"));
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn talkback_run_works_against_a_fake_slack_as_a_real_install_would() {
    let fake = FakeSlack::start().await;
    let dir = tempfile::tempdir().unwrap();
    let mut child = run_in(
        dir.path(),
        &fake,
        &format!("[team]\nrepliers = [\"slack:{REPLIER}\"]\n"),
    )
    .stdout(std::process::Stdio::null())
    .spawn()
    .unwrap();
    let posted = fake.wait_calls("chat.postMessage", 1).await;
    assert!(posted[0]["text"].as_str().unwrap().contains("#1 Acme"));
    fake.send_envelope(command("r1", REPLIER, "reply 1 Thanks for asking!"))
        .await;
    assert!(fake.ack("r1").await["payload"]["text"]
        .as_str()
        .unwrap()
        .starts_with("Replied to #1"));
    assert_eq!(replies(&dir.path().join("store")).len(), 1);
    let status = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = tokio::task::spawn_blocking(move || child.wait().unwrap())
        .await
        .unwrap();
    assert!(exit.success(), "graceful stop exits 0: {exit:?}");
}

/// An app token Slack refuses stops `run` with exit 1 and Slack's reason, as the README says,
/// instead of a bot that listens for commands that never come.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_app_token_stops_run_with_exit_1() {
    let fake = FakeSlack::start().await;
    fake.error_next("apps.connections.open", "invalid_auth");
    let dir = tempfile::tempdir().unwrap();
    let child = run_in(dir.path(), &fake, "")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let out = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("Socket Mode") && err.contains("invalid_auth"), "{err}");
    assert!(!err.contains("xapp-test-app-token"), "{err}");
    assert_eq!(fake.calls("apps.connections.open").len(), 1);
}

/// A pending alert at start makes talkback read the channel's history first (an alert a crash
/// left unrecorded is adopted, not posted twice). When Slack refuses that for good (here the
/// channel is unknown to `conversations.history`), the alerts still go out.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alerts_go_out_when_the_channel_history_cannot_be_read() {
    let fake = FakeSlack::start().await;
    // As real Slack answers for a channel it does not know, every time.
    for _ in 0..5 {
        fake.error_next("conversations.history", "channel_not_found");
    }
    let dir = tempfile::tempdir().unwrap();
    {
        // Left pending by an earlier run.
        let store = talkback::store::Store::open(&dir.path().join("store")).unwrap();
        let post: talkback::domain::Post = serde_json::from_str(&post_line("6", "acme is down for me too")).unwrap();
        store
            .insert_mention("Acme", &post, None, false, chrono::Utc::now())
            .unwrap();
        store.flush().await.unwrap();
    }
    let _child = KillOnDrop(
        run_in(dir.path(), &fake, "")
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    // Both alerts out, alone or grouped in one message: each shows its mention's block.
    fake.until(|f| {
        let posted = serde_json::to_string(&f.calls("chat.postMessage")).unwrap();
        (posted.contains("mention:1") && posted.contains("mention:2")).then_some(())
    })
    .await;
    assert_eq!(fake.calls("conversations.history").len(), 1);
}

/// A child process that is killed when the test ends, also when it fails.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `talkback run` in `dir` against `fake` in Socket Mode, with one post of Acme to replay and
/// `extra` config; stdout and stderr are the caller's to set.
fn run_in(dir: &std::path::Path, fake: &FakeSlack, extra: &str) -> std::process::Command {
    std::fs::write(dir.join("posts.jsonl"), post_line("7", "acme hosting question")).unwrap();
    let text = format!(
        "[store]\npath = \"store\"\n\n[[brands]]\nname = \"Acme\"\nquery = \"acme\"\nchannel = \"alerts\"\n\n\
         [[sources]]\nkind = \"replay\"\npath = \"posts.jsonl\"\n\n[channels.alerts]\nslack = \"C0ALERTS\"\n\n\
         {extra}\n[chat.slack]\napi_url = \"{}\"\nbot_token_env = \"SLACK_BOT_TOKEN\"\n\
         app_token_env = \"SLACK_APP_TOKEN\"\n",
        fake.api_url
    );
    std::fs::write(dir.join("talkback.toml"), text).unwrap();
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_talkback"));
    command
        .args(["run", "--config"])
        .arg(dir)
        .env("SLACK_BOT_TOKEN", "xoxb-test-bot-token")
        .env("SLACK_APP_TOKEN", "xapp-test-app-token")
        .env("RUST_LOG", "warn")
        .stdin(std::process::Stdio::null());
    command
}
