use std::path::Path;

use super::*;

fn env(name: &str) -> Option<String> {
    (name == "SET_TOKEN").then(|| "secret-value".to_string())
}

fn load(src: &str) -> Result<Config, ConfigErrors> {
    Config::from_str(Path::new("cfg/talkback.toml"), src, Needs::Everything, &env)
}

fn problems(src: &str) -> Vec<String> {
    match load(src) {
        Ok(_) => panic!("expected errors for:\n{src}"),
        Err(e) => e.0.iter().map(|p| p.to_string()).collect(),
    }
}

const GOOD: &str = r#"
[[brands]]
name = "Acme"
query = '"acme cloud" OR acmecloud'
"#;

#[test]
fn the_shipped_configs_are_valid() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("bot-config");
    let c = Config::load(&dir, Needs::Everything).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(c.brands[0].name, "Acme");
    assert_eq!(c.sources[0].kind, crate::domain::Network::Replay);
    assert!(c.summary().contains("brands (1)"));
    let demo = Config::from_str(
        Path::new("demo/talkback.toml"),
        crate::demo::CONFIG,
        Needs::Everything,
        &env,
    );
    assert!(demo.is_ok(), "{:?}", demo.err());
}

#[test]
fn brands_alone_are_enough_and_defaults_apply() {
    let c = load(GOOD).unwrap();
    assert_eq!(c.store.path, Path::new("cfg/data"));
    assert_eq!(c.store.cache_mb, crate::store::DEFAULT_CACHE_MB);
    assert_eq!(c.nag.max, 3);
    assert_eq!(c.nag.first_after.to_string(), "30m");
    assert_eq!(c.nudge.schedule.src, "0 0 17 * * Mon-Fri");
    assert_eq!(c.server.listen.to_string(), "127.0.0.1:8080");
    assert_eq!(c.chat.describe(), "console (as operator)");
}

#[test]
fn every_problem_is_reported_at_once_with_its_place() {
    let src = "[[brands]]\nname = \"Acme\"\nquery = '(acme OR cloud'\nchanel = \"alerts\"\n\n[[sources]]\nkind = \"myspace\"\n";
    let p = problems(src);
    assert_eq!(p.len(), 3, "{p:#?}");
    assert_eq!(
        p[0],
        "cfg/talkback.toml:3:24: brand `Acme`: query column 15: expected `)` to close the `(` at column 1"
    );
    assert!(
        p[1].starts_with("cfg/talkback.toml:4:1: [[brands]] #1: unknown key `chanel` (did you mean `channel`?)"),
        "{}",
        p[1]
    );
    assert!(
        p[2].starts_with(
            "cfg/talkback.toml:7:8: [[sources]] #1: unknown source kind `myspace` (expected one of: mastodon,"
        ),
        "{}",
        p[2]
    );
}

#[test]
fn query_errors_point_into_the_string() {
    let p = problems("[[brands]]\nname = \"A\"\nquery = \"acme OR\"\n");
    assert_eq!(
        p,
        vec!["cfg/talkback.toml:3:17: brand `A`: query column 8: expected a term after `OR`".to_string()]
    );
    let p = problems("[[brands]]\nname = \"A\"\nquery = \"-acme\"\n");
    assert!(p[0].contains("query column 1:"), "{p:?}");
}

#[test]
fn the_store_cache_is_a_size_in_mib_with_its_place_when_wrong() {
    let c = load(&format!("[store]\ncache_mb = 16\n{GOOD}")).unwrap();
    assert_eq!(c.store.cache_mb, 16);
    for (value, problem) in [
        (
            "0",
            "cfg/talkback.toml:2:12: [store]: `cache_mb` must be between 1 and 65536 (MiB)",
        ),
        (
            "-5",
            "cfg/talkback.toml:2:12: [store]: `cache_mb` must be between 1 and 65536 (MiB)",
        ),
        (
            "100000",
            "cfg/talkback.toml:2:12: [store]: `cache_mb` must be between 1 and 65536 (MiB)",
        ),
        (
            "\"64MB\"",
            "cfg/talkback.toml:2:12: [store]: `cache_mb` must be a whole number, found a string",
        ),
    ] {
        let p = problems(&format!("[store]\ncache_mb = {value}\n{GOOD}"));
        assert_eq!(p, vec![problem.to_string()], "cache_mb = {value}");
    }
}

#[test]
fn retention_is_a_duration_of_a_week_or_more_or_forever() {
    assert_eq!(
        load(GOOD).unwrap().store.keep_for.map(|d| d.to_string()),
        Some("90d".into())
    );
    let c = load(&format!("[store]\nkeep_for = \"2w\"\n{GOOD}")).unwrap();
    assert_eq!(c.store.keep_for.map(|d| d.to_string()), Some("14d".into()));
    assert_eq!(
        load(&format!("[store]\nkeep_for = \"forever\"\n{GOOD}"))
            .unwrap()
            .store
            .keep_for,
        None
    );
    for (value, problem) in [
        (
            "\"3d\"",
            "cfg/talkback.toml:2:12: [store]: `keep_for`: `3d` is shorter than the 7d the weekly digest reads \
             back (expected e.g. `90d`, or `forever`)",
        ),
        (
            "\"ninety days\"",
            "cfg/talkback.toml:2:12: [store]: `keep_for`: `ninety days` is not a duration (expected e.g. `30s`, \
             `5m`, `2h`, `1d` or `1h30m`), or `forever`",
        ),
        (
            "90",
            "cfg/talkback.toml:2:12: [store]: `keep_for` must be a string, found an integer",
        ),
    ] {
        let p = problems(&format!("[store]\nkeep_for = {value}\n{GOOD}"));
        assert_eq!(p, vec![problem.to_string()], "keep_for = {value}");
    }
}

#[test]
fn wrong_types_bad_values_and_duplicates() {
    let src = r#"
[[brands]]
name = "Acme"
query = "acme"
timezone = "Mars/Olympus"
own_accounts = ["myspace:@acme"]

[[brands]]
name = "ACME"
query = "acme"
channel = "nowhere"

[[sources]]
kind = "replay"
every = 60

[[sources]]
kind = "mastodon"
every = "often"
token_env = "UNSET_TOKEN"

[nag]
max = -1
business_hours = "weekdays"

[nudge]
schedule = "0 17 * * 1-5"
min_reply_share = 3

[team]
repliers = ["U0123"]

[server]
listen = "localhost"
"#;
    let p = problems(src).join("\n");
    for needle in [
        "unknown time zone `Mars/Olympus`",
        "`own_accounts`: unknown network `myspace`",
        "duplicate brand name `ACME` (first defined on line 3)",
        "channel `nowhere` has no `[channels.nowhere]` table",
        "`every` must be a string, found an integer",
        "[[sources]] #1: missing required key `path`",
        "`every`: `often` is not a duration",
        "environment variable `UNSET_TOKEN` (named by `token_env`) is not set",
        "`max` must be 0 or more",
        "`weekdays` is not business hours",
        "has 5 fields; expected 6",
        "`min_reply_share` must be between 0 and 1",
        "`repliers` entry `U0123` must be `slack:USERID`",
        "`listen` must be an address like `127.0.0.1:8080`",
    ] {
        assert!(p.contains(needle), "missing {needle:?} in:\n{p}");
    }
}

#[test]
fn secrets_come_from_the_environment_only_when_needed() {
    let src = format!("{GOOD}\n[chat.slack]\nbot_token_env = \"NOT_SET\"\napp_token_env = \"SET_TOKEN\"\n");
    let p = problems(&src);
    assert_eq!(p.len(), 1);
    assert!(
        p[0].contains("environment variable `NOT_SET` (named by `bot_token_env`) is not set"),
        "{p:?}"
    );
    // `match` and `triage` need only the brands: a missing secret does not stop them.
    assert!(Config::from_str(Path::new("t.toml"), &src, Needs::BrandsOnly, &env).is_ok());
    let p = problems(&format!("{GOOD}\n[chat.slack]\nbot_token = \"xoxb-123\"\n"));
    assert!(
        p.iter()
            .any(|l| l.contains("`bot_token` looks like a secret written into the file")),
        "{p:?}"
    );
}

#[test]
fn missing_brands_and_broken_toml_are_explained() {
    let p = problems("[store]\npath = \"x\"\n");
    assert!(p[0].contains("no brands"), "{p:?}");
    let p = problems("[[brands]\nname = 1\n");
    assert!(p[0].starts_with("cfg/talkback.toml:1:"), "{p:?}");
    assert!(p[0].contains("invalid TOML"), "{p:?}");
}
