//! End-to-end tests of the `talkback` binary: check, match, demo (twice), export/import, audit, run.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command as StdCommand, Stdio};

use assert_cmd::Command;

fn talkback() -> Command {
    let mut c = Command::cargo_bin("talkback").unwrap();
    c.env_remove("TALKBACK_CONFIG").env("RUST_LOG", "warn");
    c
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn stdout_of(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn check_accepts_the_shipped_config() {
    let out = talkback().args(["check", "--config", "bot-config"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let s = stdout_of(&out);
    assert!(
        s.contains("brands (1)") && s.contains("Acme") && s.contains("replay"),
        "{s}"
    );
}

#[test]
fn check_reports_every_problem_with_its_place_and_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    write(
        &dir.path().join("talkback.toml"),
        "[[brands]]\nname = \"Acme\"\nquery = '(acme OR cloud'\nchanel = \"alerts\"\n\n[[sources]]\nkind = \"myspace\"\n",
    );
    let out = talkback().args(["check", "--config"]).arg(dir.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 3, "{err}");
    let file = dir.path().join("talkback.toml").display().to_string();
    assert!(
        lines[0].starts_with(&format!("{file}:3:24: brand `Acme`: query column 15:")),
        "{err}"
    );
    assert!(
        lines[1].starts_with(&format!("{file}:4:1: [[brands]] #1: unknown key `chanel`")),
        "{err}"
    );
    assert!(
        lines[2].starts_with(&format!("{file}:7:8: [[sources]] #1: unknown source kind `myspace`")),
        "{err}"
    );
}

#[test]
fn check_reports_problems_in_the_triage_files_with_their_own_places() {
    let dir = tempfile::tempdir().unwrap();
    write(
        &dir.path().join("talkback.toml"),
        "[[brands]]\nname = \"Acme\"\nquery = 'acme'\n",
    );
    let triage = dir.path().join("triage");
    std::fs::create_dir_all(&triage).unwrap();
    let templates = std::fs::read_to_string("bot-config/triage/templates.toml")
        .unwrap()
        .replacen("Thank you, {first_name}!", "Thank you, {frist_name}!", 1);
    write(&triage.join("templates.toml"), &templates);
    write(&triage.join("lexicon.toml"), "[intents.rant]\ncues = [\"ugh\"]\n");
    write(
        &triage.join("examples.jsonl"),
        "{\"network\":\"x\",\"id\":\"1\",\"text\":\"hi\",\"intent\":\"question\",\"sentiment\":\"neutral\"}\n{\"network\":\"x\",\"id\":\"2\",\"text\":\"hm\"}\n",
    );
    let out = talkback().args(["check", "--config"]).arg(dir.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    let line_of = |needle: &str| templates.lines().position(|l| l.contains(needle)).unwrap() + 1;
    let t = triage.join("templates.toml").display().to_string();
    assert!(
        err.contains(&format!("{t}:{}:", line_of("{frist_name}"))) && err.contains("unknown variable {frist_name}"),
        "{err}"
    );
    let l = triage.join("lexicon.toml").display().to_string();
    assert!(err.contains(&format!("{l}:1:10: unknown intent `rant`")), "{err}");
    let e = triage.join("examples.jsonl").display().to_string();
    assert!(err.contains(&format!("{e}:2:")) && err.contains("`intent`"), "{err}");
}

#[test]
fn triage_prints_labels_guidance_and_drafts_per_post() {
    let input = [
        r#"{"network":"mastodon","id":"1","text":"@acme the dashboard crashes every time I open billing on iOS 17. So annoying!","author":{"handle":"@ana@example.social","name":"Ana Silva"}}"#,
        "not json",
        r#"{"network":"bluesky","id":"2","text":"Huge thanks to the Acme team, support sorted my DNS mess in ten minutes 🙏","author":{"handle":"bo.bsky.social"}}"#,
        r#"{"network":"x","id":"3","text":"thinking of moving from acme to Globex, same price and twice the RAM","author":{"handle":"cy"}}"#,
    ]
    .join("\n");
    let out = talkback()
        .args(["triage", "--config", "bot-config"])
        .write_stdin(input)
        .output()
        .unwrap();
    assert!(out.status.success());
    let lines: Vec<serde_json::Value> = stdout_of(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    let first = stdout_of(&out).lines().next().unwrap().to_string();
    let at: Vec<usize> = ["network", "id", "intent", "sentiment", "guidance", "suggestions"]
        .iter()
        .map(|k| first.find(&format!("\"{k}\":")).unwrap())
        .collect();
    assert!(
        at.windows(2).all(|w| w[0] < w[1]),
        "keys in the documented order: {first}"
    );
    let labels: Vec<&str> = lines.iter().map(|l| l["intent"].as_str().unwrap()).collect();
    assert_eq!(labels, ["bug_report", "praise", "comparison"]);
    assert_eq!(lines[0]["sentiment"], "negative");
    assert_eq!(lines[1]["sentiment"], "positive");
    for l in &lines {
        assert!(!l["guidance"].as_str().unwrap().is_empty());
        let n = l["suggestions"].as_array().unwrap().len();
        assert!((1..=3).contains(&n), "{l}");
    }
    assert!(lines[0]["suggestions"][0].as_str().unwrap().contains("Ana"));
    assert!(String::from_utf8_lossy(&out.stderr).contains("line 2:"));
}

#[test]
fn match_prints_mentions_in_order_and_skips_bad_lines() {
    let dir = tempfile::tempdir().unwrap();
    write(
        &dir.path().join("talkback.toml"),
        r#"
[[brands]]
name = "Acme"
query = 'acme -careers'
own_accounts = ["mastodon:@acme@example.social"]

[[brands]]
name = "Cloud"
query = '"cloud hosting" OR cloud*'
"#,
    );
    let input = [
        r#"{"network":"mastodon","id":"1","text":"Acme cloudy\nhosting"}"#,
        "this is not json",
        r#"{"network":"reddit","id":"2","title":"ACME careers","text":"apply now"}"#,
        r#"{"network":"mastodon","id":"3","text":"acme news","author":{"handle":"@ACME@example.social"}}"#,
        r#"{"network":"bluesky","id":"4","text":"cloud\n   hosting with Acme's team"}"#,
    ]
    .join("\n");
    // A line cut in the middle of a character is not UTF-8: skipped, and reading goes on.
    let mut input = input.into_bytes();
    input.extend_from_slice(b"\n{\"network\":\"x\",\"id\":\"5\",\"text\":\"acme caf\xc3\"}\n");
    input.extend_from_slice(br#"{"network":"x","id":"6","text":"acme again"}"#);
    let out = talkback()
        .args(["match", "--config"])
        .arg(dir.path())
        .write_stdin(input)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        stdout_of(&out),
        concat!(
            "{\"network\":\"mastodon\",\"id\":\"1\",\"brand\":\"Acme\"}\n",
            "{\"network\":\"mastodon\",\"id\":\"1\",\"brand\":\"Cloud\"}\n",
            "{\"network\":\"bluesky\",\"id\":\"4\",\"brand\":\"Acme\"}\n",
            "{\"network\":\"bluesky\",\"id\":\"4\",\"brand\":\"Cloud\"}\n",
            "{\"network\":\"x\",\"id\":\"6\",\"brand\":\"Acme\"}\n",
        )
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 2: skipped, not a post"), "{err}");
    assert!(err.contains("line 6: skipped, not UTF-8"), "{err}");
}

fn demo(data: &Path, input: &str) -> String {
    let out = talkback()
        .arg("demo")
        .arg("--data")
        .arg(data)
        .write_stdin(input.to_string())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    stdout_of(&out)
}

fn replies(data: &Path) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(data.join("replies.jsonl")).unwrap_or_default();
    text.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

#[test]
fn the_demo_runs_the_whole_loop_and_a_second_run_repeats_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("d");
    let first = demo(&data, "/talkback list\n/talkback reply 1 Thanks for asking!\n");
    assert!(first.contains("── #1 Acme · Mastodon"), "{first}");
    assert_eq!(first.matches("── #").count(), 6, "{first}");
    assert!(
        !first.contains("careers: senior SRE"),
        "the job ad is excluded:\n{first}"
    );
    assert!(!first.contains("anvil"), "{first}");
    assert!(first.contains("open mentions, oldest first"), "{first}");
    assert!(
        first.contains("Replied to #1 on Mastodon: Thanks for asking!"),
        "{first}"
    );
    // The simulated evening: a nag for each unanswered alert, and the nudge, because the
    // brand only broadcast that day.
    assert_eq!(first.matches("unanswered for").count(), 5, "{first}");
    assert!(
        first.contains("Acme only broadcast today: 2 broadcasts, 0 replies."),
        "{first}"
    );
    let sent = replies(&data);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["text"], "Thanks for asking!");
    assert!(sent[0]["in_reply_to"].is_string() && sent[0]["id"].is_string());

    let second = demo(&data, "/talkback list\n/talkback reply 1 Thanks for asking!\n");
    assert_eq!(second.matches("── #").count(), 0, "no alert twice:\n{second}");
    assert_eq!(second.matches("unanswered for").count(), 0, "no nag twice:\n{second}");
    assert!(second.contains("already sent"), "{second}");
    assert_eq!(replies(&data).len(), 1, "no reply twice");
}

#[test]
fn demo_commands_answer_bad_input_with_usage_and_enforce_read_only_networks() {
    let dir = tempfile::tempdir().unwrap();
    let out = demo(
        dir.path(),
        "/talkback reply\n/talkback snooze 3 soon\n/talkback reply 5 hi\n/talkback claim 99\n/talkback reply 1 #2\n/talkback dismiss 4 price shopper\n/talkback reply 4 hello\n",
    );
    assert!(out.contains("usage: /talkback reply <id> <text>"), "{out}");
    assert!(out.contains("usage: /talkback snooze <id> <duration>"), "{out}");
    assert!(out.contains("Hacker News is read-only"), "{out}");
    assert!(out.contains("There is no mention #99"), "{out}");
    assert!(
        out.contains("Replied to #1 on Mastodon: Thanks for asking, Maria!"),
        "{out}"
    );
    assert!(out.contains("#4 dismissed: price shopper"), "{out}");
    assert!(out.contains("Not sent: #4 is dismissed"), "{out}");
    assert_eq!(replies(dir.path()).len(), 1);
}

#[test]
fn demo_without_data_uses_a_temporary_directory() {
    let out = talkback().arg("demo").write_stdin("").output().unwrap();
    assert!(out.status.success());
    assert!(stdout_of(&out).contains("── #1"));
}

fn config_for_store(dir: &Path, store: &Path) -> PathBuf {
    let cfg = dir.join("cfg");
    write(
        &cfg.join("talkback.toml"),
        &format!(
            "[store]\npath = {:?}\n\n[[brands]]\nname = \"Acme\"\nquery = \"acme\"\n",
            store.display().to_string()
        ),
    );
    cfg
}

#[test]
fn audit_export_and_import_work_on_a_real_store() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("d");
    demo(&data, "/talkback claim 3\n/talkback reply 1 Thanks for asking!\n");
    let cfg = config_for_store(dir.path(), &data);

    let audit = talkback()
        .args(["audit", "--since", "1d", "--config"])
        .arg(&cfg)
        .output()
        .unwrap();
    assert!(audit.status.success(), "{}", String::from_utf8_lossy(&audit.stderr));
    let lines: Vec<serde_json::Value> = stdout_of(&audit)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_eq!(lines[0]["action"], "claim");
    assert_eq!(lines[1]["action"], "reply");
    assert!(lines[1]["result"].as_str().unwrap().starts_with("ok"));
    assert_eq!(lines[1]["who"], "console:operator");

    let export = talkback().args(["export", "--config"]).arg(&cfg).output().unwrap();
    assert!(export.status.success());
    let copy_cfg = config_for_store(&dir.path().join("copy"), &dir.path().join("copy-store"));
    let import = talkback()
        .args(["import", "--config"])
        .arg(&copy_cfg)
        .write_stdin(export.stdout.clone())
        .output()
        .unwrap();
    assert!(import.status.success(), "{}", String::from_utf8_lossy(&import.stderr));
    let again = talkback().args(["export", "--config"]).arg(&copy_cfg).output().unwrap();
    assert_eq!(stdout_of(&export), stdout_of(&again));
    let twice = talkback()
        .args(["import", "--config"])
        .arg(&copy_cfg)
        .write_stdin(export.stdout)
        .output()
        .unwrap();
    assert_eq!(twice.status.code(), Some(1), "import refuses a store that holds data");

    let bad = talkback()
        .args(["audit", "--since", "yesterday-ish", "--config"])
        .arg(&cfg)
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
}

#[cfg(unix)]
#[test]
fn run_follows_the_replay_file_and_stops_gracefully_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let posts = dir.path().join("posts.jsonl");
    write(&posts, "");
    write(
        &dir.path().join("talkback.toml"),
        "[store]\npath = \"store\"\n\n[[brands]]\nname = \"Acme\"\nquery = \"acme\"\n\n[[sources]]\nkind = \"replay\"\npath = \"posts.jsonl\"\nevery = \"1s\"\n",
    );
    let mut child = StdCommand::new(env!("CARGO_BIN_EXE_talkback"))
        .args(["run", "--config"])
        .arg(dir.path())
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Appended while talkback runs: followed like `tail -f`.
    let mut f = std::fs::OpenOptions::new().append(true).open(&posts).unwrap();
    writeln!(f, r#"{{"network":"mastodon","id":"9","text":"is acme any good?"}}"#).unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let found = lines
        .by_ref()
        .map_while(Result::ok)
        .any(|l| l.starts_with("── #1 Acme"));
    assert!(found, "the alert was printed");
    let status = StdCommand::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    assert!(child.wait().unwrap().success(), "graceful stop exits 0");
    drop(child.stdin.take());
}
