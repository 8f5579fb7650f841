//! Secrets written into the config file. Keys take secrets from the environment
//! (`bot_token_env = "SLACK_BOT_TOKEN"`), but a token is easily pasted in place of the variable's
//! name, or anywhere else. `scan` finds string values that look like secrets: an `*_env` value
//! that is no variable name, a value shaped like a well-known token (anywhere in the file), a
//! long random string under a key named like a secret. `check_file` adds one more warning when
//! such a file is readable by other users. A warning names the place and the key, never the
//! value, and says what to do. Warnings, not errors: `check` and `run` go on.

use std::fmt;
use std::path::{Path, PathBuf};

use toml_edit::{ImDocument, Item, TableLike, Value};

use super::diag::{Diagnostics, Problem};

/// A value that looks like a secret, or a readable file that holds one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    pub file: PathBuf,
    pub line: usize,
    pub col: usize,
    pub message: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: warning: {}",
            self.file.display(),
            self.line,
            self.col,
            self.message
        )
    }
}

/// Why a value looks like a secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Suspect {
    /// A well-known token shape: "a Slack bot token".
    Token(&'static str),
    /// An `*_env` value that cannot be an environment variable's name.
    NotAVariable,
    /// A long random-looking string.
    Random,
}

impl Suspect {
    fn describe(self) -> &'static str {
        match self {
            Suspect::Token(kind) => kind,
            Suspect::NotAVariable => "a value, not the name of an environment variable (letters, digits and `_`)",
            Suspect::Random => "a random token",
        }
    }
}

/// Whether the value of `key` looks like a secret, and why. Empty values never do.
pub fn suspect(key: &str, value: &str) -> Option<Suspect> {
    if value.trim().is_empty() {
        return None;
    }
    if let Some(kind) = token_shape(value) {
        return Some(Suspect::Token(kind));
    }
    if key.ends_with("_env") {
        if !is_variable_name(value) {
            return Some(Suspect::NotAVariable);
        }
        return looks_random(value).then_some(Suspect::Random);
    }
    (named_like_secret(key) && is_blob(value)).then_some(Suspect::Random)
}

/// Every string value in `src` that looks like a secret, in file order. A file that is not
/// TOML has none here: loading it reports why.
pub fn scan(file: &Path, src: &str) -> Vec<Warning> {
    let d = Diagnostics::new(file, src);
    suspects(src)
        .into_iter()
        .map(|f| {
            let (line, col) = d.line_col(f.offset);
            Warning {
                file: file.to_path_buf(),
                line,
                col,
                message: message(&f),
            }
        })
        .collect()
}

/// The config's problems with every suspect value of `src` left out of their messages: an error
/// that quotes a value (`found \`…\``) must not print a pasted secret.
pub(super) fn hide(problems: Vec<Problem>, src: &str) -> Vec<Problem> {
    // Scanning parses the file again: at 10,000 brands that was 40% of loading a good config.
    if problems.is_empty() {
        return problems;
    }
    // Short values (an `*_env` value of `a b`) could match ordinary words of a message.
    let values: Vec<String> = suspects(src)
        .into_iter()
        .map(|f| f.value)
        .filter(|v| v.chars().count() >= 8)
        .collect();
    if values.is_empty() {
        return problems;
    }
    problems
        .into_iter()
        .map(|mut p| {
            for v in &values {
                p.message = p.message.replace(v.as_str(), HIDDEN);
            }
            p
        })
        .collect()
}

/// What a hidden value is shown as.
const HIDDEN: &str = "(a value not shown: it looks like a secret)";

/// A URL for display: without a query or a `user:password@`, where a token could hide.
pub fn display_url(url: &str) -> String {
    let (before_query, query) = url.split_once('?').map_or((url, false), |(b, _)| (b, true));
    let shown = match before_query.split_once("://") {
        Some((scheme, rest)) => {
            let (authority, path) = rest.split_once('/').map_or((rest, ""), |(a, p)| (a, p));
            let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
            let path = if rest.contains('/') {
                format!("/{path}")
            } else {
                String::new()
            };
            format!("{scheme}://{host}{path}")
        }
        None => before_query.to_string(),
    };
    if query {
        shown + "?…"
    } else {
        shown
    }
}

/// Every suspect string value of `src`, in file order.
fn suspects(src: &str) -> Vec<Found> {
    let Ok(doc) = ImDocument::parse(src) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    visit(doc.as_table(), "top level", "", &mut found);
    found
}

/// `scan` of the file at `file`, plus a warning when other users can read a file that holds a
/// secret. Nothing when the file cannot be read: loading it reports why.
pub fn check_file(file: &Path) -> Vec<Warning> {
    let Ok(src) = std::fs::read_to_string(file) else {
        return Vec::new();
    };
    let mut warnings = scan(file, &src);
    if !warnings.is_empty() {
        if let Some(mode) = readable_by_others(file) {
            warnings.push(Warning {
                file: file.to_path_buf(),
                line: 1,
                col: 1,
                message: format!(
                    "other users can read this file (mode {mode:04o}) and it holds what looks like a secret: \
                     move the secret into an environment variable, and `chmod 600` the file meanwhile"
                ),
            });
        }
    }
    warnings
}

/// The message for an `*_env` variable that is not set. The value is named only when it cannot
/// be a pasted secret.
pub(super) fn unset_variable(what: &str, key: &str, name: &str) -> String {
    match suspect(key, name) {
        None => format!("{what}: environment variable `{name}` (named by `{key}`) is not set"),
        Some(_) => format!(
            "{what}: `{key}` must name the environment variable that holds the secret, not hold the secret \
             itself (its value is not shown)"
        ),
    }
}

#[cfg(unix)]
fn readable_by_others(file: &Path) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(file).ok()?.permissions().mode() & 0o777;
    (mode & 0o044 != 0).then_some(mode)
}

#[cfg(not(unix))]
fn readable_by_others(_file: &Path) -> Option<u32> {
    None
}

/// A suspect value: where it starts, the table it is in (`[chat.slack]`, `[[sources]] #2`), its
/// key and the value itself (never shown).
struct Found {
    offset: usize,
    value: String,
    what: String,
    key: String,
    suspect: Suspect,
    is_url: bool,
}

fn message(f: &Found) -> String {
    let (what, key, looks) = (&f.what, &f.key, f.suspect.describe());
    if key.ends_with("_env") {
        return format!(
            "{what}: `{key}` should name an environment variable, but holds what looks like {looks}; secrets \
             never live in files: put it in an environment variable and set `{key} = \"VARIABLE\"` (the value is \
             not shown; replace the secret if this file has been shared)"
        );
    }
    let todo = if f.is_url {
        "take it out of the URL: talkback sends credentials itself, from the environment variables that the \
         `*_env` keys name"
            .to_string()
    } else {
        format!("put it in an environment variable and name that with `{key}_env = \"VARIABLE\"`")
    };
    format!(
        "{what}: `{key}` holds what looks like {looks}; secrets never live in files: {todo} (the value is not shown)"
    )
}

/// Walks a table; `what` names it as messages do, `path` is its dotted key.
fn visit(table: &dyn TableLike, what: &str, path: &str, out: &mut Vec<Found>) {
    for (key, item) in table.iter() {
        let child = if path.is_empty() {
            key.to_string()
        } else {
            format!("{path}.{key}")
        };
        match item {
            Item::Value(v) => visit_value(v, what, key, &child, out),
            Item::Table(t) => visit(t, &format!("[{child}]"), &child, out),
            Item::ArrayOfTables(a) => {
                for (i, t) in a.iter().enumerate() {
                    visit(t, &format!("[[{child}]] #{}", i + 1), &child, out);
                }
            }
            Item::None => {}
        }
    }
}

fn visit_value(v: &Value, what: &str, key: &str, path: &str, out: &mut Vec<Found>) {
    match v {
        Value::String(s) => {
            if let Some(suspect) = suspect(key, s.value()) {
                out.push(Found {
                    offset: v.span().map(|r| r.start).unwrap_or(0),
                    value: s.value().to_string(),
                    what: what.to_string(),
                    key: key.to_string(),
                    suspect,
                    is_url: s.value().contains("://"),
                });
            }
        }
        Value::Array(a) => {
            for (i, el) in a.iter().enumerate() {
                match el {
                    Value::InlineTable(t) => visit(t, &format!("[[{path}]] #{}", i + 1), path, out),
                    other => visit_value(other, what, key, path, out),
                }
            }
        }
        Value::InlineTable(t) => visit(t, &format!("[{path}]"), path, out),
        _ => {}
    }
}

/// What an environment variable's name may be: letters, digits and `_`, not starting with a digit.
fn is_variable_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A variable name is words joined by `_`; a token has a long run of mixed letters and digits.
fn looks_random(s: &str) -> bool {
    s.split('_').any(|part| part.len() >= 20 && classes(part) >= 2)
}

/// How many of lowercase, uppercase and digits `s` has.
fn classes(s: &str) -> usize {
    [
        s.chars().any(|c| c.is_ascii_lowercase()),
        s.chars().any(|c| c.is_ascii_uppercase()),
        s.chars().any(|c| c.is_ascii_digit()),
    ]
    .iter()
    .filter(|x| **x)
    .count()
}

/// A key such as `token`, `bot_token`, `client_secret`, `password`, `api_key` (but not
/// `public_key`, `*_url`, `*_id`, `*_path` or an `*_env` key).
fn named_like_secret(key: &str) -> bool {
    const SECRET: &[&str] = &[
        "token",
        "tokens",
        "secret",
        "password",
        "passwd",
        "pwd",
        "apikey",
        "key",
        "credential",
        "credentials",
    ];
    const NOT: &[&str] = &["public", "env", "url", "id", "path", "file", "name"];
    let words: Vec<String> = key.split(['_', '-', '.']).map(str::to_ascii_lowercase).collect();
    words.iter().any(|w| SECRET.contains(&w.as_str())) && !words.iter().any(|w| NOT.contains(&w.as_str()))
}

/// One word without spaces, not a URL, long and mixed enough to be a credential.
fn is_blob(s: &str) -> bool {
    !s.contains(char::is_whitespace) && !s.contains("://") && s.chars().count() >= 12 && classes(s) >= 2
}

/// The kind of well-known token somewhere in `value`, if any.
fn token_shape(value: &str) -> Option<&'static str> {
    if value.contains("hooks.slack.com/services/") {
        return Some("a Slack webhook URL");
    }
    if value.contains("discord.com/api/webhooks/") || value.contains("discordapp.com/api/webhooks/") {
        return Some("a Discord webhook URL");
    }
    if value.contains("-----BEGIN") && value.contains("PRIVATE KEY") {
        return Some("a private key");
    }
    value
        .split(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '%')))
        .find_map(word_shape)
}

/// Prefixes of well-known tokens, the least that follows them, and what they are.
const PREFIXES: &[(&str, usize, &str)] = &[
    ("xoxb-", 10, "a Slack bot token"),
    ("xoxp-", 10, "a Slack user token"),
    ("xoxa-", 10, "a Slack token"),
    ("xoxr-", 10, "a Slack token"),
    ("xoxs-", 10, "a Slack token"),
    ("xoxe.", 10, "a Slack token"),
    ("xapp-", 10, "a Slack app-level token"),
    ("sk-", 20, "an API key"),
    ("ghp_", 20, "a GitHub token"),
    ("gho_", 20, "a GitHub token"),
    ("ghu_", 20, "a GitHub token"),
    ("ghs_", 20, "a GitHub token"),
    ("ghr_", 20, "a GitHub token"),
    ("github_pat_", 20, "a GitHub token"),
    ("glpat-", 20, "a GitLab token"),
];

fn word_shape(word: &str) -> Option<&'static str> {
    for (prefix, rest, kind) in PREFIXES {
        if word.strip_prefix(prefix).is_some_and(|r| r.len() >= *rest) {
            return Some(kind);
        }
    }
    if word.starts_with("AAAAAAAAAAAAAAAAAAAA") && word.len() >= 40 {
        return Some("an X bearer token");
    }
    if is_jwt(word) {
        return Some("a JSON Web Token");
    }
    is_discord_token(word).then_some("a Discord bot token")
}

/// `eyJ….eyJ….signature`: a JSON header and payload, base64url-encoded.
fn is_jwt(word: &str) -> bool {
    let parts: Vec<&str> = word.split('.').collect();
    parts.len() == 3 && parts[0].starts_with("eyJ") && parts[1].starts_with("eyJ") && parts[2].len() >= 10
}

/// `<base64 of the bot's user id>.<timestamp>.<hmac>`, as the Developer Portal shows it.
fn is_discord_token(word: &str) -> bool {
    let parts: Vec<&str> = word.split('.').collect();
    let [id, stamp, mac] = parts[..] else {
        return false;
    };
    let id_digits =
        decode_base64url(id).is_some_and(|b| (17..=20).contains(&b.len()) && b.iter().all(u8::is_ascii_digit));
    id_digits && (5..=7).contains(&stamp.len()) && mac.len() >= 25 && mac.chars().all(is_base64url)
}

fn is_base64url(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_'
}

/// Unpadded base64url (`-` and `_`), as Discord writes the id part of its tokens.
fn decode_base64url(s: &str) -> Option<Vec<u8>> {
    let mut bits: u32 = 0;
    let mut count = 0;
    let mut out = Vec::new();
    for c in s.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' | b'+' => 62,
            b'_' | b'/' => 63,
            _ => return None,
        };
        bits = (bits << 6) | u32::from(v);
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<String> {
        scan(Path::new("t.toml"), src)
            .into_iter()
            .map(|w| w.to_string())
            .collect()
    }

    #[test]
    fn pasted_tokens_in_env_keys_are_found_by_place_and_key_never_shown() {
        let src =
            "[chat.slack]\nbot_token_env = \"xoxb-1234567890-abcdefghijKL\"\napp_token_env = \"SLACK_APP_TOKEN\"\n";
        let w = kinds(src);
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(
            w[0].starts_with("t.toml:2:17: warning: [chat.slack]: `bot_token_env` should name an environment variable, but holds what looks like a Slack bot token"),
            "{}",
            w[0]
        );
        assert!(w[0].contains("set `bot_token_env = \"VARIABLE\"`"), "{}", w[0]);
        assert!(!w[0].contains("xoxb-1234567890"), "{}", w[0]);
    }

    #[test]
    fn env_values_that_are_no_variable_name_or_random_are_suspect() {
        for (value, want) in [
            ("SLACK_BOT_TOKEN", None),
            ("MASTODON_TOKEN_2", None),
            ("_PRIVATE_TOKEN", None),
            ("Slack_Bot_Token_For_Workspace_2024", None),
            ("SLACKBOTTOKENFORPRODUCTIONWORKSPACE", None),
            ("hunter2-secret", Some(Suspect::NotAVariable)),
            ("my token", Some(Suspect::NotAVariable)),
            ("2FAST", Some(Suspect::NotAVariable)),
            ("a3F9kL2mQ8xZ7vB1nW4pR6tY", Some(Suspect::Random)),
            ("d41d8cd98f00b204e9800998ecf8427e", Some(Suspect::Random)),
            (
                "xapp-1-A0001-1234567890-abcdef",
                Some(Suspect::Token("a Slack app-level token")),
            ),
            ("", None),
        ] {
            assert_eq!(suspect("token_env", value), want, "{value}");
        }
    }

    #[test]
    fn well_known_token_shapes_are_found_in_any_value() {
        for (value, kind) in [
            ("xoxp-1234-5678-abcdefghij", "a Slack user token"),
            ("https://slack.com/api?token=xoxb-1111-2222-abcdefghij", "a Slack bot token"),
            ("sk-proj-abcdefghijklmnopqrstuvwxyz012345", "an API key"),
            ("ghp_16C7e42F292c6912E7710c838347Ae178B4a", "a GitHub token"),
            ("MTEwMDAwMDAwMDAwMDAwMDAwMg.GhIjKl.abcdefghijklmnopqrstuvwxyz0123456789", "a Discord bot token"),
            ("AAAAAAAAAAAAAAAAAAAAAMLheAAAAAAA0%2BuSeid%2BULvsea4JtiGRiSDSJSI%3DEUifiRBkKG5E2XzMDjRfl76ZC9Ub0wnz4XsNiRVBChTYbJcE3F", "an X bearer token"),
            ("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJkaWQ6cGxjOmFiYyJ9.c2lnbmF0dXJlLXZhbHVl", "a JSON Web Token"),
            ("https://hooks.slack.com/services/T000/B000/XXXXXXXX", "a Slack webhook URL"),
        ] {
            assert_eq!(suspect("anything", value), Some(Suspect::Token(kind)), "{value}");
        }
        for plain in [
            "ask-me-anything-about-acme-cloud-hosting",
            "acme OR \"sk-8 skates\" OR xoxb",
            "123456789012345678",
            "#brand-mentions",
            "mastodon:@acme@mastodon.social",
            "0 0 17 * * Mon-Fri",
            "https://example.com/some.path.with.dots/and-more-words",
        ] {
            assert_eq!(suspect("query", plain), None, "{plain}");
        }
    }

    #[test]
    fn random_values_under_secret_keys_are_suspect_but_public_keys_are_not() {
        assert_eq!(suspect("token", "a3F9kL2mQ8xZ"), Some(Suspect::Random));
        assert_eq!(suspect("client_secret", "hunter2-reddit"), Some(Suspect::Random));
        assert_eq!(suspect("password", "hunter2"), None, "too short to tell");
        let hex = "8f5e6a4b3c2d1e0f8f5e6a4b3c2d1e0f8f5e6a4b3c2d1e0f8f5e6a4b3c2d1e0f";
        assert_eq!(suspect("public_key", hex), None);
        assert_eq!(suspect("application_id", "1100000000000000001"), None);
        assert_eq!(suspect("token_url", "https://example.com/x1y2z3a4b5c6"), None);
    }

    #[test]
    fn the_places_are_named_as_config_errors_name_them() {
        let src = r#"
[[sources]]
kind = "mastodon"

[[sources]]
kind = "x"
bearer_token = "AAAAAAAAAAAAAAAAAAAAAMLheAAAAAAA0%2BuSeid%2BULvsea4JtiGRiSDSJSI"

[chat.slack]
api_url = "https://slack.com/api?token=xoxb-1111-2222-abcdefghij"
"#;
        let w = kinds(src);
        assert_eq!(w.len(), 2, "{w:?}");
        assert!(
            w[0].starts_with(
                "t.toml:7:16: warning: [[sources]] #2: `bearer_token` holds what looks like an X bearer token"
            ),
            "{}",
            w[0]
        );
        assert!(w[0].contains("`bearer_token_env = \"VARIABLE\"`"), "{}", w[0]);
        assert!(
            w[1].starts_with("t.toml:10:11: warning: [chat.slack]: `api_url`"),
            "{}",
            w[1]
        );
        assert!(w[1].contains("take it out of the URL"), "{}", w[1]);
        assert!(w
            .iter()
            .all(|m| !m.contains("AAAAAAAAAAAAAAAAAAAA") && !m.contains("xoxb-1111")));
    }

    #[test]
    fn the_shipped_and_documented_configs_have_no_false_positive() {
        let mut configs = vec![
            (
                "bot-config/talkback.toml",
                include_str!("../../bot-config/talkback.toml").to_string(),
            ),
            (
                "bot-config/demo/talkback.toml",
                include_str!("../../bot-config/demo/talkback.toml").to_string(),
            ),
        ];
        let readme = include_str!("../../README.md");
        for (i, block) in readme.split("```toml\n").skip(1).enumerate() {
            let block = block.split("```").next().unwrap_or_default();
            configs.push(("README.md", format!("# block {}\n{block}", i + 1)));
        }
        let public_key = "public_key = \"8f5e6a4b3c2d1e0f8f5e6a4b3c2d1e0f8f5e6a4b3c2d1e0f8f5e6a4b3c2d1e0f\"";
        configs.push((
            "discord",
            format!("[chat.discord]\ntoken_env = \"DISCORD_TOKEN\"\n{public_key}\n"),
        ));
        let mut parsed = 0;
        for (name, src) in &configs {
            if ImDocument::parse(src.as_str()).is_ok() {
                parsed += 1;
            }
            // The README's config-errors example writes `token = "hunter2"`: too short to tell.
            assert_eq!(kinds(src), Vec::<String>::new(), "{name}:\n{src}");
        }
        assert!(parsed >= 9, "only {parsed} of the configs are TOML");
    }

    #[test]
    fn an_unset_variable_is_named_unless_it_looks_like_a_secret() {
        assert_eq!(
            unset_variable("[chat.slack]", "bot_token_env", "SLACK_BOT_TOKEN"),
            "[chat.slack]: environment variable `SLACK_BOT_TOKEN` (named by `bot_token_env`) is not set"
        );
        let pasted = unset_variable("[chat.slack]", "bot_token_env", "xoxb-1234567890-abcdefghij");
        assert!(!pasted.contains("xoxb"), "{pasted}");
        assert!(
            pasted.contains("`bot_token_env` must name the environment variable"),
            "{pasted}"
        );
    }

    #[test]
    fn errors_that_quote_a_value_do_not_quote_a_pasted_secret() {
        let src =
            "[chat.discord]\npublic_key = \"MTEwMDAwMDAwMDAwMDAwMDAwMg.GhIjKl.abcdefghijklmnopqrstuvwxyz0123456789\"\n";
        let problem = |message: &str| Problem {
            file: PathBuf::from("t.toml"),
            line: 2,
            col: 14,
            message: message.to_string(),
        };
        let token = "MTEwMDAwMDAwMDAwMDAwMDAwMg.GhIjKl.abcdefghijklmnopqrstuvwxyz0123456789";
        let shown = hide(
            vec![problem(&format!(
                "`public_key`: expected 64 hex characters, found `{token}`"
            ))],
            src,
        );
        assert_eq!(
            shown[0].message,
            "`public_key`: expected 64 hex characters, found `(a value not shown: it looks like a secret)`"
        );
        let plain = hide(vec![problem("`every`: `soon` is not a duration")], src);
        assert_eq!(plain[0].message, "`every`: `soon` is not a duration");
    }

    #[test]
    fn urls_are_displayed_without_what_could_hold_a_token() {
        assert_eq!(display_url("https://mastodon.social"), "https://mastodon.social");
        assert_eq!(display_url("https://blog.example/feed/"), "https://blog.example/feed/");
        assert_eq!(
            display_url("https://user:hunter2@feeds.example/private.atom?token=abc"),
            "https://feeds.example/private.atom?…"
        );
        assert_eq!(display_url("not a url?x=1"), "not a url?…");
    }

    #[cfg(unix)]
    #[test]
    fn a_file_others_can_read_is_warned_about_only_when_it_holds_a_secret() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("talkback.toml");
        let chmod = |mode| std::fs::set_permissions(&file, std::fs::Permissions::from_mode(mode)).unwrap();
        std::fs::write(&file, "[chat.slack]\nbot_token_env = \"SLACK_BOT_TOKEN\"\n").unwrap();
        chmod(0o644);
        assert!(check_file(&file).is_empty());
        std::fs::write(&file, "[chat.slack]\nbot_token_env = \"xoxb-1234567890-abcdefghij\"\n").unwrap();
        let w = check_file(&file);
        assert_eq!(w.len(), 2, "{w:?}");
        assert!(
            w[1].to_string().contains("other users can read this file (mode 0644)"),
            "{}",
            w[1]
        );
        chmod(0o600);
        assert_eq!(check_file(&file).len(), 1);
        chmod(0o640);
        assert_eq!(check_file(&file).len(), 2, "readable by the group");
    }
}
