//! Sharing the weekly chart in chat: Slack's external upload flow (get an upload URL, POST the
//! bytes there, complete the upload into the channel) against the fake Slack on 127.0.0.1, its
//! 429 and `ok: false` answers, the console saving the file, and chats that take no files.

mod support;

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use chrono::NaiveDate;
use serde_json::{json, Value};
use support::fake_slack::FakeSlack;
use support::recording_chat::RecordingChat;
use talkback::chat::console::{ConsoleChat, Output};
use talkback::chat::slack::SlackChat;
use talkback::chat::{ChannelRef, ChatAdapter, ChatError, ChatFile};
use talkback::clock::{SharedClock, SystemClock};
use talkback::config::SlackConfig;
use talkback::report::chart::{weekly_chart_png, DayCount};

/// The weekly chart of a made-up week, drawn once (PNG encoding is slow in debug builds).
fn chart() -> Vec<u8> {
    static CHART: OnceLock<Vec<u8>> = OnceLock::new();
    CHART
        .get_or_init(|| {
            let monday = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
            let days: Vec<DayCount> = (0..7u32)
                .map(|i| DayCount {
                    day: monday + chrono::Days::new(u64::from(i)),
                    broadcasts: 5 - i % 5,
                    replies: i,
                    shares: i % 2,
                })
                .collect();
            weekly_chart_png("Acme", &days)
        })
        .clone()
}

fn chart_file() -> ChatFile {
    ChatFile {
        name: "acme-week-2026-11-23.png".into(),
        title: "Acme: replies vs broadcasts, 23 Nov – 29 Nov 2026".into(),
        bytes: chart(),
        comment: "Weekly digest for Acme: 21 replies, 23 broadcasts <see chart>".into(),
    }
}

fn slack(fake: &FakeSlack) -> SlackChat {
    let config = SlackConfig {
        api_url: fake.api_url.clone(),
        bot_token: Some("xoxb-test-bot-token".into()),
        app_token: None,
        signing_secret: None,
    };
    let clock: SharedClock = Arc::new(SystemClock);
    SlackChat::new(&config, clock).unwrap()
}

/// The names of the calls the fake saw, in order (the upload URL shows as `upload`).
fn call_names(fake: &FakeSlack) -> Vec<String> {
    fake.all_calls().into_iter().map(|(m, _)| m).collect()
}

#[tokio::test]
async fn the_chart_goes_up_in_three_calls_to_the_channel_with_its_comment() {
    let fake = FakeSlack::start().await;
    let file = chart_file();
    slack(&fake)
        .post_file(&ChannelRef("C0ALERTS".into()), &file)
        .await
        .unwrap();

    assert_eq!(
        call_names(&fake),
        ["files.getUploadURLExternal", "upload", "files.completeUploadExternal"]
    );
    let asked = &fake.calls("files.getUploadURLExternal")[0];
    assert_eq!(asked["filename"], "acme-week-2026-11-23.png");
    assert_eq!(asked["length"], file.bytes.len().to_string());
    assert_eq!(
        asked["alt_txt"],
        file.title.as_str(),
        "the title doubles as screen-reader text"
    );

    assert_eq!(fake.calls("upload")[0]["content_type"], "application/octet-stream");
    let uploads = fake.uploads();
    assert_eq!(uploads.len(), 1);
    assert_eq!(uploads[0].1, file.bytes, "the PNG arrives byte for byte");
    assert_eq!(&uploads[0].1[..8], b"\x89PNG\r\n\x1a\n");

    let done = &fake.calls("files.completeUploadExternal")[0];
    assert_eq!(done["channel_id"], "C0ALERTS");
    assert_eq!(
        done["initial_comment"], "Weekly digest for Acme: 21 replies, 23 broadcasts &lt;see chart&gt;",
        "the comment is escaped like any other message"
    );
    assert_eq!(done["files"], json!([{"id": uploads[0].0, "title": file.title}]));
    assert!(fake.auth_headers().iter().all(|h| h == "Bearer xoxb-test-bot-token"));
}

#[tokio::test(start_paused = true)]
async fn a_channel_given_by_name_gets_the_comment_as_a_message_then_the_file() {
    let fake = FakeSlack::start().await;
    let file = chart_file();
    let started = tokio::time::Instant::now();
    slack(&fake)
        .post_file(&ChannelRef("#brand-mentions".into()), &file)
        .await
        .unwrap();

    assert_eq!(
        call_names(&fake),
        [
            "files.getUploadURLExternal",
            "upload",
            "chat.postMessage",
            "files.completeUploadExternal"
        ]
    );
    let said = &fake.calls("chat.postMessage")[0];
    assert_eq!(said["channel"], "#brand-mentions");
    assert!(said["text"].as_str().unwrap().starts_with("Weekly digest for Acme"));
    let done = &fake.calls("files.completeUploadExternal")[0];
    assert_eq!(
        done["channel_id"], "CBRANDMENTIONS",
        "shared by the ID Slack answered with"
    );
    assert_eq!(done["initial_comment"], Value::Null, "the comment is not said twice");
    assert!(
        started.elapsed() >= std::time::Duration::from_secs(1),
        "a second between the two messages"
    );
}

#[tokio::test(start_paused = true)]
async fn a_name_slack_already_resolved_is_shared_by_its_id_with_the_comment() {
    let fake = FakeSlack::start().await;
    let chat = slack(&fake);
    let channel = ChannelRef("#brand-mentions".into());
    chat.say(&channel, "good morning").await.unwrap();
    chat.post_file(&channel, &chart_file()).await.unwrap();

    assert_eq!(fake.calls("chat.postMessage").len(), 1, "only the morning message");
    let done = &fake.calls("files.completeUploadExternal")[0];
    assert_eq!(done["channel_id"], "CBRANDMENTIONS");
    assert!(done["initial_comment"].as_str().unwrap().starts_with("Weekly digest"));
}

#[tokio::test(start_paused = true)]
async fn a_429_on_the_upload_url_is_retried_after_retry_after() {
    let fake = FakeSlack::start().await;
    fake.fail_next("files.getUploadURLExternal", 429, Some(3));
    let file = chart_file();
    let started = tokio::time::Instant::now();
    slack(&fake)
        .post_file(&ChannelRef("C0ALERTS".into()), &file)
        .await
        .unwrap();

    assert!(
        started.elapsed() >= std::time::Duration::from_secs(3),
        "waited for Retry-After"
    );
    assert_eq!(fake.calls("files.getUploadURLExternal").len(), 2);
    assert_eq!(fake.uploads().len(), 1, "the bytes went up once");
    assert_eq!(fake.uploads()[0].1, file.bytes);
    assert_eq!(fake.calls("files.completeUploadExternal").len(), 1);
}

/// Slack's reason when `result` is a rejection; any other outcome fails the test.
fn rejection(result: Result<(), ChatError>) -> String {
    match result {
        Err(ChatError::Rejected(why)) => why,
        other => panic!("expected a rejection, got {other:?}"),
    }
}

#[tokio::test]
async fn ok_false_answers_are_chat_errors_with_slacks_code() {
    let fake = FakeSlack::start().await;
    let chat = slack(&fake);
    let channel = ChannelRef("C0ALERTS".into());

    fake.error_next("files.completeUploadExternal", "not_in_channel");
    assert_eq!(
        rejection(chat.post_file(&channel, &chart_file()).await),
        "not_in_channel"
    );

    fake.error_next("files.getUploadURLExternal", "file_uploads_disabled");
    assert_eq!(
        rejection(chat.post_file(&channel, &chart_file()).await),
        "file_uploads_disabled"
    );
    assert_eq!(fake.uploads().len(), 1, "nothing is uploaded without an upload URL");

    // A token without files:write: the error says which scope to add.
    fake.error_next("files.getUploadURLExternal", "missing_scope");
    let why = rejection(chat.post_file(&channel, &chart_file()).await);
    assert!(why.starts_with("missing_scope") && why.contains("files:write"), "{why}");
}

#[tokio::test]
async fn a_failed_upload_is_neither_completed_nor_announced() {
    let fake = FakeSlack::start().await;
    fake.fail_next("upload", 500, None);
    let result = slack(&fake)
        .post_file(&ChannelRef("#brand-mentions".into()), &chart_file())
        .await;
    assert!(matches!(result, Err(ChatError::Transport(_))), "{result:?}");
    assert!(fake.calls("files.completeUploadExternal").is_empty());
    assert!(fake.calls("chat.postMessage").is_empty(), "nothing said in the channel");
}

/// Console output captured in memory.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

#[tokio::test]
async fn the_console_saves_the_file_and_prints_the_comment_and_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let captured = Captured::default();
    let out: Output = Arc::new(Mutex::new(Box::new(captured.clone())));
    let clock: SharedClock = Arc::new(SystemClock);
    let data = dir.path().join("data");
    let console = ConsoleChat::new(out, clock).with_files_dir(&data);
    let file = chart_file();
    console.post_file(&ChannelRef("alerts".into()), &file).await.unwrap();

    let saved = data.join("acme-week-2026-11-23.png");
    assert_eq!(std::fs::read(&saved).unwrap(), file.bytes);
    let text = captured.text();
    assert!(text.contains("[alerts] Weekly digest for Acme"), "{text}");
    assert!(text.contains(&saved.display().to_string()), "{text}");
    assert!(text.contains(&file.title), "{text}");

    let default = ConsoleChat::new(
        Arc::new(Mutex::new(Box::new(Captured::default()))),
        Arc::new(SystemClock),
    );
    assert!(default.file_path("x.png").starts_with(std::env::temp_dir()));
}

#[tokio::test]
async fn a_chat_that_takes_no_files_still_says_the_comment() {
    let chat = RecordingChat::default();
    chat.post_file(&ChannelRef("alerts".into()), &chart_file())
        .await
        .unwrap();
    assert_eq!(
        chat.lines(),
        ["say alerts Weekly digest for Acme: 21 replies, 23 broadcasts <see chart>"]
    );
}
