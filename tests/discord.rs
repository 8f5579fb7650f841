//! The Discord adapter end to end: the real serenity request builders and gateway client against
//! a fake Discord on 127.0.0.1 — embeds and components as sent, thread notes, rate limits,
//! Discord being down, the Ed25519-signed interactions endpoint, the gateway, deferred answers.

mod support;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use ed25519_dalek::{Signer, SigningKey};
use serde_json::{json, Value};
use support::fake_discord::{self as fd, FakeDiscord, APP_ID, BOT_TOKEN, CHANNEL_ID, GUILD_ID};
use support::running::{replies, start};
use talkback::app::App;
use talkback::chat::console;
use talkback::clock::SystemClock;
use talkback::config::{Config, Needs};

const REPLIER: &str = "412345678901234567";
const STRANGER: &str = "499999999999999999";

fn signing_key() -> SigningKey {
    SigningKey::from_bytes(&[7u8; 32])
}

fn post_line(id: &str, network: &str, text: &str) -> String {
    json!({"network": network, "id": id, "url": format!("https://example.social/@bob/{id}"),
           "author": {"handle": "@bob@example.social", "name": "Bob Smith"}, "text": text,
           "created_at": "2026-11-20T10:00:00Z", "lang": "en"})
    .to_string()
        + "\n"
}

/// A config for the fake; `http_port` set: interactions over HTTP, else over the gateway.
fn config(dir: &Path, fake: &FakeDiscord, http_port: Option<u16>, posts: &str) -> Config {
    std::fs::write(dir.join("posts.jsonl"), posts).unwrap();
    let mode = match http_port {
        Some(port) => format!(
            "public_key = \"{}\"\n\n[server]\nlisten = \"127.0.0.1:{port}\"",
            hex::encode(signing_key().verifying_key().as_bytes())
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
channel = "alerts"

[[sources]]
kind = "replay"
path = "posts.jsonl"
every = "1s"

[channels.alerts]
discord = "{CHANNEL_ID}"

[team]
repliers = ["discord:{REPLIER}"]

[chat.discord]
api_url = "{}"
token_env = "DISCORD_TOKEN"
application_id = "{APP_ID}"
guild_id = "{GUILD_ID}"
{mode}
"#,
        fake.api_url
    );
    std::fs::write(dir.join("talkback.toml"), &text).unwrap();
    let env = |name: &str| (name == "DISCORD_TOKEN").then(|| BOT_TOKEN.to_string());
    Config::from_str(&dir.join("talkback.toml"), &text, Needs::Everything, &env).unwrap_or_else(|e| panic!("{e}"))
}

fn custom_ids(message: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for row in message["components"].as_array().into_iter().flatten() {
        for c in row["components"].as_array().into_iter().flatten() {
            if let Some(id) = c["custom_id"].as_str() {
                out.push(id.to_string());
            }
        }
    }
    out
}

fn field<'a>(embed: &'a Value, name: &str) -> &'a str {
    embed["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == name)
        .and_then(|f| f["value"].as_str())
        .unwrap_or_else(|| panic!("no field {name} in {embed}"))
}

#[test]
fn the_fakes_interactions_are_what_serenity_reads() {
    use serenity::all::Interaction;
    for v in [
        fd::slash("1", REPLIER, "reply", &[("id", "1"), ("text", "hi")]),
        fd::click("2", REPLIER, "1200000000000000001", "talkback:claim:1", None),
        fd::click("3", REPLIER, "1200000000000000001", "talkback:snooze:1", Some(&["2h"])),
        fd::modal_submit("4", REPLIER, "talkback:replyform:1", "hello"),
        fd::ping(),
    ] {
        serde_json::from_value::<Interaction>(v.clone()).unwrap_or_else(|e| panic!("{e}: {v}"));
    }
}

#[tokio::test(start_paused = true)]
async fn alerts_are_embeds_with_buttons_and_changes_edit_them_and_go_in_a_thread() {
    let fake = FakeDiscord::start().await;
    let dir = tempfile::tempdir().unwrap();
    let posts = post_line("1", "mastodon", "Does acme support IPv6? It keeps failing for me")
        + &post_line("2", "hackernews", "acme is a fine host");
    let cfg = config(dir.path(), &fake, None, "");
    let store_path = cfg.store.path.clone();
    let app = App::build(cfg, &store_path, Arc::new(SystemClock), console::stdout()).unwrap();
    let posts: Vec<talkback::domain::Post> = posts.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    app.pipeline().ingest(&posts, false).await.unwrap();
    assert_eq!(app.dispatcher().post_pending().await.unwrap(), 2);

    let posted = fake.calls_to("POST", &format!("/channels/{CHANNEL_ID}/messages"));
    assert_eq!(posted.len(), 2);
    assert!(posted
        .iter()
        .all(|c| c.auth.as_deref() == Some(&format!("Bot {BOT_TOKEN}")[..])));
    let alert = &posted[0].body;
    assert_eq!(alert["allowed_mentions"]["parse"], json!(["users"]));
    let embed = &alert["embeds"][0];
    assert_eq!(embed["title"], "#1 Acme · Mastodon");
    assert_eq!(embed["url"], "https://example.social/@bob/1");
    assert_eq!(embed["author"]["name"], "Bob Smith (@bob@example.social)");
    assert!(embed["description"]
        .as_str()
        .unwrap()
        .starts_with("> Does acme support IPv6?"));
    assert_eq!(field(embed, "Intent"), "question");
    assert!(field(embed, "Suggested replies").starts_with("**#1** "));
    assert!(!field(embed, "Guidance").is_empty());
    assert_eq!(field(embed, "Status"), "open");
    assert_eq!(
        custom_ids(alert)[..4],
        [
            "talkback:reply:1:1",
            "talkback:claim:1",
            "talkback:dismiss:1",
            "talkback:snooze:1"
        ]
    );
    assert!(custom_ids(alert).contains(&"talkback:reply:1:1".to_string()));
    let snooze = &alert["components"][1]["components"][0];
    assert_eq!(snooze["type"], 3);
    assert_eq!(snooze["options"][1]["value"], "2h");
    // A read-only network gets an Open link instead of Reply.
    let hn = &posted[1].body["components"][0]["components"][0];
    assert_eq!((hn["style"].as_u64(), hn["label"].as_str()), (Some(5), Some("Open")));

    // A claim edits the alert and is said in a thread started on it.
    let who = talkback::domain::ChatUser::new("discord", REPLIER);
    let answer = app.commands().run(&who, "claim 1").await;
    assert!(answer.contains("claimed"), "{answer}");
    let message_id = fake.calls_to("POST", "/messages")[0].path.clone();
    assert!(message_id.contains(CHANNEL_ID));
    let alert_id = fake.calls().iter().find_map(|c| {
        c.path
            .strip_prefix(&format!("/channels/{CHANNEL_ID}/messages/"))
            .map(|id| id.split('/').next().unwrap().to_string())
    });
    let alert_id = alert_id.expect("the alert was edited or threaded");
    let threads = fake.calls_to("POST", &format!("/channels/{CHANNEL_ID}/messages/{alert_id}/threads"));
    assert_eq!(threads.len(), 1);
    assert_eq!(threads[0].body["auto_archive_duration"], 10080);
    let notes = fake.calls_to("POST", &format!("/channels/{alert_id}/messages"));
    assert_eq!(notes.len(), 2, "one refused before the thread existed, one in it");
    assert!(notes[1].body["content"]
        .as_str()
        .unwrap()
        .contains(&format!("<@{REPLIER}>")));
    let edits = fake.calls_to("PATCH", &format!("/channels/{CHANNEL_ID}/messages/{alert_id}"));
    let edited = &edits.last().unwrap().body;
    assert!(custom_ids(edited).contains(&"talkback:unclaim:1".to_string()));
    assert!(field(&edited["embeds"][0], "Status").contains(&format!("claimed by <@{REPLIER}>")));

    // The second note goes straight into the existing thread; dismissing removes the buttons.
    app.commands().run(&who, "dismiss 1 spam").await;
    assert_eq!(fake.calls_to("POST", "/threads").len(), 1);
    let edited = fake
        .calls_to("PATCH", &format!("/messages/{alert_id}"))
        .last()
        .unwrap()
        .body
        .clone();
    assert_eq!(edited["components"], json!([]));
    assert_eq!(edited["embeds"][0]["color"], 0x99AAB5);
}

#[tokio::test(start_paused = true)]
async fn without_thread_permission_notes_reply_to_the_alert() {
    let fake = FakeDiscord::start().await;
    fake.forbid_threads();
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), &fake, None, "");
    let store_path = cfg.store.path.clone();
    let app = App::build(cfg, &store_path, Arc::new(SystemClock), console::stdout()).unwrap();
    let post = serde_json::from_str(&post_line("1", "mastodon", "acme question")).unwrap();
    app.pipeline().ingest(&[post], false).await.unwrap();
    app.dispatcher().post_pending().await.unwrap();
    let who = talkback::domain::ChatUser::new("discord", REPLIER);
    app.commands().run(&who, "snooze 1 2h").await;
    let to_channel = fake.calls_to("POST", &format!("/channels/{CHANNEL_ID}/messages"));
    let note = &to_channel.last().unwrap().body;
    assert!(note["content"].as_str().unwrap().contains("snoozed"), "{note}");
    assert!(note["message_reference"]["message_id"].is_string(), "{note}");
}

#[tokio::test(start_paused = true)]
async fn rate_limits_are_honoured_and_nothing_is_lost_while_discord_is_down() {
    use talkback::chat::discord::DiscordChat;
    use talkback::chat::{ChatAdapter, Dispatcher};

    let fake = FakeDiscord::start().await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), &fake, None, "");
    let store = talkback::store::Store::open(&dir.path().join("store")).unwrap();
    for i in 1..=4 {
        let post: talkback::domain::Post =
            serde_json::from_str(&post_line(&i.to_string(), "mastodon", &format!("acme question {i}"))).unwrap();
        store
            .insert_mention("Acme", &post, None, false, chrono::Utc::now())
            .unwrap();
    }
    let clock: talkback::clock::SharedClock = Arc::new(SystemClock);
    let http = reqwest::Client::new();

    // Discord is down: nothing is posted and every mention stays pending.
    let mut down = cfg.chat.discord.clone().unwrap();
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    down.api_url = format!("http://{closed}");
    let chat: Arc<dyn ChatAdapter> = Arc::new(DiscordChat::new(&down, clock.clone(), http.clone()).unwrap());
    let dispatcher = Dispatcher::new(&cfg, store.clone(), chat, |c| c.discord.as_ref());
    assert!(dispatcher.post_pending().await.is_err());
    assert_eq!(store.pending_alerts().unwrap().len(), 4);

    // Back up: a 429 with retry_after 2.5 s, then a bucket used up for 3 s, then a global 429.
    fake.rate_limit_next("POST", "/messages", 2.5, false);
    fake.exhaust_bucket("/messages", 3.0);
    let chat: Arc<dyn ChatAdapter> =
        Arc::new(DiscordChat::new(cfg.chat.discord.as_ref().unwrap(), clock, http).unwrap());
    let dispatcher = Dispatcher::new(&cfg, store.clone(), chat.clone(), |c| c.discord.as_ref());
    assert_eq!(dispatcher.post_pending().await.unwrap(), 4);
    assert!(store.pending_alerts().unwrap().is_empty());
    let calls = fake.calls_to("POST", "/messages");
    assert_eq!(calls.len(), 5, "one 429, then four alerts");
    let gap = |a: usize, b: usize| calls[b].at - calls[a].at;
    assert!(
        gap(0, 1) >= Duration::from_millis(2500),
        "waited for retry_after: {:?}",
        gap(0, 1)
    );
    assert!(
        gap(1, 2) >= Duration::from_secs(3),
        "waited for the bucket to reset: {:?}",
        gap(1, 2)
    );
    assert!(
        gap(2, 3) < Duration::from_secs(1),
        "no waiting while the bucket has room"
    );

    // A global limit holds back every route, not just the one that hit it.
    fake.rate_limit_next("POST", "/messages", 4.0, true);
    let to = talkback::chat::ChannelRef(CHANNEL_ID.into());
    chat.say(&to, "first").await.unwrap();
    let m = store.mention(talkback::domain::MentionId(1)).unwrap();
    chat.update_alert(m.alert.as_ref().unwrap(), std::slice::from_ref(&m))
        .await
        .unwrap();
    let said = fake.calls_to("POST", "/messages");
    let edit = fake.calls_to("PATCH", "").pop().unwrap();
    assert!(edit.at - said[said.len() - 2].at >= Duration::from_secs(4));

    // Past the retries, the caller hears "rate limited" and the mention stays pending.
    for _ in 0..5 {
        fake.rate_limit_next("POST", "/messages", 1.0, false);
    }
    let err = chat.say(&to, "again").await.unwrap_err();
    assert!(
        matches!(err, talkback::chat::ChatError::RateLimited(Some(_))),
        "{err:?}"
    );
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn wait_for_server(port: u16) {
    while tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err() {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// How a test signs an interaction request.
enum Sig {
    Valid,
    /// Signed at this many seconds before now.
    Aged(i64),
    /// Signed by a key that is not the application's.
    WrongKey,
    /// Signed, then the body was changed.
    Tampered,
    Unsigned,
}

/// POSTs an interaction to the app's endpoint; returns the status and the JSON answer.
async fn interact(port: u16, body: &Value, sig: Sig) -> (u16, Value) {
    let body = body.to_string();
    let now = chrono::Utc::now().timestamp();
    let ts = match sig {
        Sig::Aged(secs) => now - secs,
        _ => now,
    }
    .to_string();
    let key = match sig {
        Sig::WrongKey => SigningKey::from_bytes(&[9u8; 32]),
        _ => signing_key(),
    };
    let signature = hex::encode(key.sign(format!("{ts}{body}").as_bytes()).to_bytes());
    let sent = match sig {
        Sig::Tampered => body.replacen("talkback", "talkbacc", 1),
        _ => body,
    };
    let mut req = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{port}/discord/interactions"))
        .header("content-type", "application/json")
        .body(sent);
    if !matches!(sig, Sig::Unsigned) {
        req = req
            .header("x-signature-ed25519", signature)
            .header("x-signature-timestamp", ts);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    let text = res.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_http_endpoint_verifies_signatures_and_a_slash_reply_goes_out_once() {
    let fake = FakeDiscord::start().await;
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let posts = post_line("1", "mastodon", "Does acme support IPv6?")
        + &post_line("2", "mastodon", "acme billing question")
        + &post_line("3", "mastodon", "acme status page?");
    let (stop, task, store) = start(config(dir.path(), &fake, Some(port), &posts));
    wait_for_server(port).await;
    fake.wait_for("POST", &format!("/channels/{CHANNEL_ID}/messages"), 3)
        .await;
    let registered = fake
        .wait_for("PUT", &format!("/applications/{APP_ID}/guilds/{GUILD_ID}/commands"), 1)
        .await;
    assert_eq!(registered[0].body[0]["name"], "talkback");

    // PING → PONG when signed; forged, tampered, stale and unsigned requests get 401.
    assert_eq!(interact(port, &fd::ping(), Sig::Valid).await, (200, json!({"type": 1})));
    let claim = fd::click("10", REPLIER, "1200000000000000001", "talkback:claim:1", None);
    for bad in [Sig::WrongKey, Sig::Tampered, Sig::Aged(600), Sig::Unsigned] {
        assert_eq!(interact(port, &claim, bad).await.0, 401);
    }
    assert!(
        interact(port, &claim, Sig::Aged(30)).await.0 == 200,
        "a little clock skew is fine"
    );

    // Someone outside team.repliers is refused, privately, with the setting named.
    let (status, answer) = interact(
        port,
        &fd::slash("11", STRANGER, "reply", &[("id", "1"), ("text", "hi")]),
        Sig::Valid,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(answer["type"], 4);
    assert_eq!(answer["data"]["flags"], 64, "ephemeral");
    assert!(
        answer["data"]["content"].as_str().unwrap().contains("team.repliers"),
        "{answer}"
    );

    // Slash reply → one reply on the network → the alert edited and the thread told.
    let slash = fd::slash(
        "12",
        REPLIER,
        "reply",
        &[("id", "#1"), ("text", "Yes, IPv6 works everywhere!")],
    );
    let (_, answer) = interact(port, &slash, Sig::Valid).await;
    assert!(
        answer["data"]["content"].as_str().unwrap().starts_with("Replied to #1"),
        "{answer}"
    );
    let sent = replies(&store);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["text"], "Yes, IPv6 works everywhere!");
    let alert_id = alerts_message_id(&fake, 0);
    let edits = fake.wait_for("PATCH", &format!("/messages/{alert_id}"), 2).await;
    let last = &edits.last().unwrap().body;
    assert!(field(&last["embeds"][0], "Status").starts_with("answered"), "{last}");
    assert_eq!(last["components"], json!([]));
    assert_eq!(last["embeds"][0]["color"], 0x57F287);

    // Usage errors answer with usage; `list` comes back as a code block.
    let (_, answer) = interact(
        port,
        &fd::slash("13", REPLIER, "snooze", &[("id", "2"), ("duration", "soon")]),
        Sig::Valid,
    )
    .await;
    assert!(
        answer["data"]["content"]
            .as_str()
            .unwrap()
            .contains("usage: /talkback snooze <id> <duration>"),
        "{answer}"
    );
    let (_, answer) = interact(port, &fd::slash("14", REPLIER, "list", &[]), Sig::Valid).await;
    let listed = answer["data"]["content"].as_str().unwrap();
    assert!(listed.starts_with("```") && listed.contains("#2"), "{listed}");

    // The Reply button opens a modal prefilled with suggestion 1; submitting it replies.
    let second = alerts_message_id(&fake, 1);
    let (_, modal) = interact(
        port,
        &fd::click("15", REPLIER, &second, "talkback:reply:2:1", None),
        Sig::Valid,
    )
    .await;
    assert_eq!(modal["type"], 9, "{modal}");
    assert_eq!(modal["data"]["custom_id"], "talkback:replyform:2");
    let input = &modal["data"]["components"][0]["components"][0];
    assert_eq!(input["custom_id"], "text");
    assert!(!input["value"].as_str().unwrap().is_empty(), "prefilled: {input}");
    let (_, empty) = interact(
        port,
        &fd::modal_submit("16", REPLIER, "talkback:replyform:2", "  "),
        Sig::Valid,
    )
    .await;
    assert_eq!(empty["data"]["content"], "Write a reply first.");
    let (_, done) = interact(
        port,
        &fd::modal_submit("17", REPLIER, "talkback:replyform:2", "Billing is in Settings."),
        Sig::Valid,
    )
    .await;
    assert!(
        done["data"]["content"].as_str().unwrap().starts_with("Replied to #2"),
        "{done}"
    );
    assert_eq!(replies(&store).len(), 2);

    // The snooze menu.
    let third = alerts_message_id(&fake, 2);
    let (_, snoozed) = interact(
        port,
        &fd::click("18", STRANGER, &third, "talkback:snooze:3", Some(&["2h"])),
        Sig::Valid,
    )
    .await;
    assert!(
        snoozed["data"]["content"]
            .as_str()
            .unwrap()
            .starts_with("#3 snoozed until"),
        "{snoozed}"
    );
    let (_, shown) = interact(port, &fd::slash("19", STRANGER, "show", &[("id", "3")]), Sig::Valid).await;
    assert!(
        shown["data"]["content"].as_str().unwrap().contains("snoozed until"),
        "{shown}"
    );

    stop.send(true).unwrap();
    task.await.unwrap().unwrap();
    assert_eq!(replies(&store).len(), 2, "nothing sent twice");
}

/// The id of the `n`th alert message talkback posted in the alert channel.
fn alerts_message_id(fake: &FakeDiscord, n: usize) -> String {
    // The fake numbers messages in order from 1200000000000000001.
    let posted = fake.calls_to("POST", &format!("/channels/{CHANNEL_ID}/messages"));
    assert!(posted.len() > n);
    (1_200_000_000_000_000_001u64 + n as u64).to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_the_gateway_interactions_are_answered_through_the_callback() {
    let fake = FakeDiscord::start().await;
    let dir = tempfile::tempdir().unwrap();
    let (stop, task, store) = start(config(
        dir.path(),
        &fake,
        None,
        &post_line("1", "mastodon", "acme question"),
    ));
    let identify = fake.wait_identify().await;
    assert_eq!(
        identify["d"]["token"].as_str().map(|t| t.trim_start_matches("Bot ")),
        Some(BOT_TOKEN)
    );
    assert_eq!(identify["d"]["intents"], 0, "no privileged intents needed");
    fake.wait_for("POST", &format!("/channels/{CHANNEL_ID}/messages"), 1)
        .await;

    fake.dispatch(fd::slash("21", REPLIER, "list", &[]));
    let answered = fake
        .wait_for("POST", &format!("/interactions/21/{}/callback", fd::token("21")), 1)
        .await;
    assert_eq!(answered[0].body["type"], 4);
    assert_eq!(answered[0].body["data"]["flags"], 64);
    assert!(
        answered[0].body["data"]["content"].as_str().unwrap().contains("#1"),
        "{:?}",
        answered[0].body
    );

    fake.dispatch(fd::click(
        "22",
        REPLIER,
        "1200000000000000001",
        "talkback:reply:1:2",
        None,
    ));
    let modal = fake
        .wait_for("POST", &format!("/interactions/22/{}/callback", fd::token("22")), 1)
        .await;
    assert_eq!(modal[0].body["type"], 9);
    fake.dispatch(fd::modal_submit("23", REPLIER, "talkback:replyform:1", "Thanks Bob!"));
    let done = fake
        .wait_for("POST", &format!("/interactions/23/{}/callback", fd::token("23")), 1)
        .await;
    assert!(
        done[0].body["data"]["content"]
            .as_str()
            .unwrap()
            .starts_with("Replied to #1"),
        "{:?}",
        done[0].body
    );
    assert_eq!(replies(&store).len(), 1);

    stop.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(10), task)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
}

/// A publisher as slow as a struggling network.
struct SlowPublisher;

#[async_trait::async_trait]
impl talkback::publish::Publisher for SlowPublisher {
    async fn publish(
        &self,
        reply: &talkback::publish::Reply,
    ) -> Result<talkback::publish::Published, talkback::publish::PublishError> {
        tokio::time::sleep(Duration::from_secs(10)).await;
        Ok(talkback::publish::Published {
            post_id: format!("slow-{}", reply.key),
            url: None,
        })
    }
    async fn find_existing(
        &self,
        _: &talkback::publish::Reply,
    ) -> Result<Option<talkback::publish::Published>, talkback::publish::PublishError> {
        Ok(None)
    }
}

#[tokio::test(start_paused = true)]
async fn work_past_discords_deadline_is_deferred_and_the_answer_follows() {
    use talkback::chat::discord::inbound::DiscordInbound;
    use talkback::chat::discord::DiscordChat;
    use talkback::chat::Commands;
    use talkback::publish::Outbox;

    let fake = FakeDiscord::start().await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), &fake, None, "");
    let store = talkback::store::Store::open(&dir.path().join("store")).unwrap();
    let post: talkback::domain::Post = serde_json::from_str(&post_line("1", "mastodon", "acme question")).unwrap();
    store
        .insert_mention("Acme", &post, None, false, chrono::Utc::now())
        .unwrap();
    let clock: talkback::clock::SharedClock = Arc::new(SystemClock);
    let chat = Arc::new(
        DiscordChat::new(
            cfg.chat.discord.as_ref().unwrap(),
            clock.clone(),
            reqwest::Client::new(),
        )
        .unwrap(),
    );
    let outbox = Outbox::new(store.clone(), clock.clone())
        .with_brands(&cfg.brands)
        .with_publisher(talkback::domain::Network::Mastodon, Arc::new(SlowPublisher));
    let commands = Commands::new(
        store.clone(),
        Arc::new(outbox),
        clock,
        chat.clone(),
        cfg.team.clone(),
        vec!["Acme".into()],
    );
    let inbound = Arc::new(DiscordInbound {
        commands: Arc::new(commands),
        rest: chat.rest(),
        store,
        application_id: chat.application_id(),
    });
    let slash = fd::slash("31", REPLIER, "reply", &[("id", "1"), ("text", "On it!")]);
    let answer = inbound.respond(serde_json::from_value(slash).unwrap()).await;
    let now = serde_json::to_value(&answer.now).unwrap();
    assert_eq!(now["type"], 5, "deferred: {now}");
    assert_eq!(now["data"]["flags"], 64, "ephemeral");
    let later = answer.later.expect("the work goes on");
    inbound.finish(&fd::token("31"), later).await;
    let edits = fake.calls_to(
        "PATCH",
        &format!("/webhooks/{APP_ID}/{}/messages/@original", fd::token("31")),
    );
    assert_eq!(edits.len(), 1);
    assert!(
        edits[0].body["content"].as_str().unwrap().starts_with("Replied to #1"),
        "{:?}",
        edits[0].body
    );
}

#[tokio::test(start_paused = true)]
async fn the_digest_chart_is_uploaded_as_an_attachment() {
    use talkback::chat::discord::DiscordChat;
    use talkback::chat::{ChannelRef, ChatAdapter, ChatFile};

    let fake = FakeDiscord::start().await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), &fake, None, "");
    let chat = DiscordChat::new(
        cfg.chat.discord.as_ref().unwrap(),
        Arc::new(SystemClock),
        reqwest::Client::new(),
    )
    .unwrap();
    let png = b"\x89PNG\r\n\x1a\n fake image bytes".to_vec();
    let file = ChatFile {
        name: "acme-week-2026-11-23.png".into(),
        title: "Acme: replies vs broadcasts".into(),
        bytes: png.clone(),
        comment: "Acme digest for Monday".into(),
    };
    chat.post_file(&ChannelRef(CHANNEL_ID.into()), &file).await.unwrap();
    let sent = fake.calls_to("POST", &format!("/channels/{CHANNEL_ID}/messages"));
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].body["content"], "Acme digest for Monday");
    assert_eq!(sent[0].body["attachments"][0]["filename"], "acme-week-2026-11-23.png");
    assert!(sent[0].file.as_ref().unwrap().starts_with(&png));
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn talkback_run_works_against_a_fake_discord_as_a_real_install_would() {
    let fake = FakeDiscord::start().await;
    let dir = tempfile::tempdir().unwrap();
    config(
        dir.path(),
        &fake,
        None,
        &post_line("7", "mastodon", "acme hosting question"),
    );
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_talkback"))
        .args(["run", "--config"])
        .arg(dir.path())
        .env("DISCORD_TOKEN", BOT_TOKEN)
        .env("RUST_LOG", "warn")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    fake.wait_identify().await;
    let alert = fake
        .wait_for("POST", &format!("/channels/{CHANNEL_ID}/messages"), 1)
        .await;
    assert_eq!(alert[0].body["embeds"][0]["title"], "#1 Acme · Mastodon");
    fake.dispatch(fd::slash(
        "41",
        REPLIER,
        "reply",
        &[("id", "1"), ("text", "Thanks for asking!")],
    ));
    let done = fake
        .wait_for("POST", &format!("/interactions/41/{}/callback", fd::token("41")), 1)
        .await;
    assert!(
        done[0].body["data"]["content"]
            .as_str()
            .unwrap()
            .starts_with("Replied to #1"),
        "{:?}",
        done[0].body
    );
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

#[test]
fn check_reports_every_discord_setting_problem_at_its_place() {
    let dir = tempfile::tempdir().unwrap();
    let text = r##"[[brands]]
name = "Acme"
query = "acme"
channel = "alerts"

[channels.alerts]
discord = "#brand-mentions"

[chat.discord]
token_env = "DISCORD_TOKEN"
public_key = "not-a-key"
guild_id = "0"
"##;
    std::fs::write(dir.path().join("talkback.toml"), text).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_talkback"))
        .args(["check", "--config"])
        .arg(dir.path())
        .env("DISCORD_TOKEN", BOT_TOKEN)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("talkback.toml:7:11: [channels.alerts]: `discord`: `#brand-mentions` is not a Discord id"),
        "{err}"
    );
    assert!(
        err.contains("talkback.toml:9:1: [chat.discord]: missing required key `application_id`"),
        "{err}"
    );
    assert!(
        err.contains("`public_key`: expected the application's public key: 64 hex characters"),
        "{err}"
    );
    assert!(err.contains("`guild_id`: `0` is not a Discord id"), "{err}");
    assert!(!err.contains(BOT_TOKEN));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_bot_token_stops_run_with_a_clear_message() {
    let fake = FakeDiscord::start().await;
    fake.fail_next(
        "GET",
        "/users/@me",
        401,
        json!({"message": "401: Unauthorized", "code": 0}),
        &[],
    );
    let dir = tempfile::tempdir().unwrap();
    config(dir.path(), &fake, None, "");
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_talkback"));
    cmd.args(["run", "--config"])
        .arg(dir.path())
        .env("DISCORD_TOKEN", BOT_TOKEN)
        .stdin(std::process::Stdio::null());
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("Discord refused the bot token named by [chat.discord] token_env"),
        "{err}"
    );
    assert!(!err.contains(BOT_TOKEN), "the token is never printed");
}

#[tokio::test(start_paused = true)]
async fn the_longest_alerts_still_fit_discords_limits() {
    use talkback::chat::discord::embeds;
    use talkback::chat::discord::DiscordChat;
    use talkback::chat::{ChannelRef, ChatAdapter};
    use talkback::store::{Draft, Drafts, Mention, TriageResult};

    let fake = FakeDiscord::start().await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), &fake, None, "");
    let chat = DiscordChat::new(
        cfg.chat.discord.as_ref().unwrap(),
        Arc::new(SystemClock),
        reqwest::Client::new(),
    )
    .unwrap();
    let markdown = "*bold* _it_ [link](x) `code` > quote | ~x~ # ".repeat(200);
    let mut post: talkback::domain::Post = serde_json::from_str(&post_line("1", "reddit", &markdown)).unwrap();
    post.title = Some("T*i*t_l_e ".repeat(60));
    post.url = Some("https://example.social/a link with spaces".into());
    let triage = TriageResult {
        intent: talkback::domain::Intent::Question,
        sentiment: talkback::domain::Sentiment::Negative,
        guidance: "Be kind *and* quick. ".repeat(80),
        suggestions: vec!["A long draft with _markdown_ ".repeat(400); 3],
        drafts: Drafts::Llm { model: "m".repeat(300) },
    };
    let mut m = Mention::new(
        talkback::domain::MentionId(1),
        &"Acme".repeat(100),
        post.clone(),
        Some(triage),
        chrono::Utc::now(),
    );
    m.conversation = vec![post.clone(), post.clone(), post];
    m.drafts.push(Draft {
        text: "x_".repeat(3000),
        by: talkback::domain::ChatUser::new("discord", REPLIER),
        at: chrono::Utc::now(),
    });
    let msg = chat
        .post_alert(&ChannelRef(CHANNEL_ID.into()), &m)
        .await
        .expect("the fake, like Discord, accepts it");
    chat.update_alert(&msg, std::slice::from_ref(&m)).await.unwrap();
    let sent = &fake.calls_to("POST", "/messages")[0].body;
    assert!(sent["embeds"][0].get("url").is_none(), "a URL with spaces is left out");
    // A suggestion longer than Discord's form is not cut: the person is told how to send it.
    let why = embeds::reply_modal(&m, 2).unwrap_err();
    assert!(why.contains("/talkback reply 1 #2"), "{why}");
}

/// An alert posted just before a crash, whose message id the store never kept, is found in the
/// channel at the next start and adopted: the mention is open on that message and nothing is
/// posted twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alert_posted_just_before_a_crash_is_adopted_not_posted_again() {
    let fake = FakeDiscord::start().await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), &fake, None, "");
    let store_path = cfg.store.path.clone();
    let app = App::build(cfg, &store_path, Arc::new(SystemClock), console::stdout()).unwrap();
    let post: talkback::domain::Post = serde_json::from_str(&post_line("41", "mastodon", "is acme down?")).unwrap();
    let talkback::store::Ingested::New(m) = app
        .store
        .insert_mention("Acme", &post, None, false, chrono::Utc::now())
        .unwrap()
    else {
        panic!("a new mention");
    };
    // Posted by the process that then died, so the store still has it pending; some chatter
    // in the channel after it.
    let to = talkback::chat::ChannelRef(CHANNEL_ID.to_string());
    let posted = app.chat.post_alert(&to, &m).await.unwrap();
    app.chat.say(&to, "someone else's message").await.unwrap();
    assert_eq!(app.store.pending_alerts().unwrap().len(), 1);

    let dispatcher = app.dispatcher();
    assert_eq!(dispatcher.adopt_posted().await.unwrap(), 1);
    let adopted = app.store.mention(m.id).unwrap();
    assert_eq!(adopted.state, talkback::store::MentionState::Open);
    assert_eq!(adopted.alert.as_ref().map(|a| a.id.as_str()), Some(posted.id.as_str()));
    assert_eq!(dispatcher.post_pending().await.unwrap(), 0, "nothing posted twice");
    let messages = format!("/channels/{CHANNEL_ID}/messages");
    let alerts = fake.calls_to("POST", &messages);
    assert_eq!(alerts.iter().filter(|c| !custom_ids(&c.body).is_empty()).count(), 1);
    assert_eq!(fake.calls_to("GET", &messages).len(), 1);
}
