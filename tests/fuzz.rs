//! Fuzzing, with proptest (cargo-fuzz needs a nightly toolchain): whatever reads outside input
//! answers with a value or an error, never a panic, and the matcher's fast path agrees with its
//! reference.
//!
//! Targets: the query language (`Query::parse`, then `Query::matches` on what parses); the
//! matcher (`matching_brands` against `matching_brands_exhaustive` over many scripts); the
//! slash-command parser; `Post` and `PostRef` JSON; the sources' decoders (Mastodon statuses and
//! notifications, its streaming API's server-sent events, Bluesky's Jetstream events, RSS, Atom
//! and JSON feeds, the HTML and entity decoder, the redaction of error bodies and the rate-limit
//! headers every source reads); each polling source's whole page path (one poll round against a
//! server on 127.0.0.1 that answers a mutated payload with odd statuses and headers: Mastodon,
//! Bluesky, Reddit, Hacker News, X, RSS); and Slack's and Discord's request verification.
//!
//! Inputs are arbitrary bytes and strings, strings built from each language's own tokens, and
//! real-shaped payloads (`tests/data/fuzz/`, in the shapes of the fakes in `tests/support/`)
//! mutated: a value replaced by another JSON type, a field removed or repeated, a byte flipped,
//! inserted or dropped, the document cut short.
//!
//! The default run (`cargo test --test fuzz`, a few seconds) tries a few hundred inputs per target
//! from fixed seeds, so every run tries the same inputs; each target prints how many it tried
//! (`-- --nocapture` to see them). The long run (`#[ignore]`d, one test per target, other seeds)
//! tries about 2.5 million cases in a few minutes:
//!
//! ```text
//! cargo test --release --test fuzz -- --ignored
//! ```
//!
//! A dev build (`cargo test --test fuzz -- --ignored`) runs a tenth of those cases in about the
//! same time, with overflow checks, which a release build (and so `.ci/run`'s long pass) lacks:
//! most of the panics this file found were arithmetic overflows, which a release build wraps.
//!
//! `TALKBACK_FUZZ_SEED=<n>` mixes `n` into every seed, to explore further; `TALKBACK_FUZZ_SCALE=<x>`
//! multiplies the long run's cases. A failure prints the smallest failing input proptest could
//! shrink it to, and the seed to run it again.

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::Path;
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use ed25519_dalek::{Signer, SigningKey};
use hmac::{Hmac, Mac};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::{select, Index};
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner};
use serde_json::{json, Value};
use sha2::Sha256;
use slack_morphism::prelude::SlackSigningSecret;
use slack_morphism::signature_verifier::SlackEventSignatureVerifier;
use talkback::chat::command::Command;
use talkback::clock::{SharedClock, SystemClock};
use talkback::config::{Config as TalkbackConfig, Needs};
use talkback::domain::{Author, HumanDuration, MentionId, Network, OwnAccount, Post, PostRef};
use talkback::matcher::{BrandRule, Matcher, Query};
use talkback::pipeline::Pipeline;
use talkback::sources::bluesky::{jetstream, xrpc};
use talkback::sources::mastodon::sse;
use talkback::sources::mastodon::status::{Account, Convert, Notification, Status};
use talkback::sources::poll::{Backoff, Poller};
use talkback::sources::{
    self, bluesky, hackernews, mastodon, reddit, rss, text, x, Health, Setup, Source, SourceContext, SourceError,
};
use talkback::store::Store;
use talkback::triage::Triage;

// ---------------------------------------------------------------------------------------------
// The runner: a fixed seed per target, a count of what was tried, the smallest failure.

/// What one target tried, printed when it ends.
#[derive(Default)]
struct Tried {
    cases: Cell<u64>,
    /// Inputs in all: a case may try several (posts against one matcher, items of a page).
    inputs: Cell<u64>,
    /// How many inputs went each way (parsed, rejected, matched …), to show the fuzzing reaches
    /// past the first error.
    outcomes: RefCell<BTreeMap<&'static str, u64>>,
}

impl Tried {
    fn add(&self, n: usize) {
        self.inputs.set(self.inputs.get() + n as u64);
    }

    fn outcome(&self, what: &'static str) {
        *self.outcomes.borrow_mut().entry(what).or_default() += 1;
    }
}

/// A 64-bit FNV-1a, to turn a target's name into its seed.
fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The seed of a target's run: fixed by its name and whether it is the long run, with
/// `TALKBACK_FUZZ_SEED` mixed in when set.
fn seed(target: &str, long: bool, extra: u64) -> [u8; 32] {
    let mut h = fnv(target) ^ u64::from(long).wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ extra.rotate_left(29);
    let mut out = [0u8; 32];
    for chunk in out.chunks_mut(8) {
        // splitmix64
        h = h.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = h;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        chunk.copy_from_slice(&(z ^ (z >> 31)).to_le_bytes());
    }
    out
}

/// Runs `cases` cases of `test` on values of `strategy`, from the target's seed. Panics with the
/// smallest failing input when a case fails or panics.
fn fuzz<S: Strategy>(
    target: &str,
    long: bool,
    cases: u32,
    strategy: S,
    test: impl Fn(S::Value, &Tried) -> Result<(), TestCaseError>,
) {
    let extra = std::env::var("TALKBACK_FUZZ_SEED")
        .ok()
        .and_then(|s| s.trim().parse::<u64>().ok())
        .unwrap_or(0);
    let config = Config {
        cases,
        failure_persistence: None,
        max_shrink_iters: 4096,
        rng_algorithm: RngAlgorithm::ChaCha,
        ..Config::default()
    };
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &seed(target, long, extra));
    let mut runner = TestRunner::new_with_rng(config, rng);
    let tried = Tried::default();
    let started = std::time::Instant::now();
    let result = runner.run(&strategy, |value| {
        tried.cases.set(tried.cases.get() + 1);
        test(value, &tried)
    });
    let outcomes: Vec<String> = tried
        .outcomes
        .borrow()
        .iter()
        .map(|(k, n)| format!("{n} {k}"))
        .collect();
    eprintln!(
        "fuzz {target}{}: {} inputs fuzzed ({} cases) in {:.1?}{}{}",
        if long { " (long)" } else { "" },
        tried.inputs.get(),
        tried.cases.get(),
        started.elapsed(),
        if outcomes.is_empty() { "" } else { "; " },
        outcomes.join(", "),
    );
    match result {
        Ok(()) => {}
        Err(TestError::Fail(why, input)) => panic!(
            "fuzz {target} (TALKBACK_FUZZ_SEED={extra}, long: {long}) failed: {why}\nsmallest failing input: {input:#?}"
        ),
        Err(TestError::Abort(why)) => panic!("fuzz {target} aborted: {why}"),
    }
}

/// The long run's cases: as given in a dev build, ten times as many in a release build (which
/// runs them about as fast), times `TALKBACK_FUZZ_SCALE` when set.
fn scaled(cases: u32) -> u32 {
    let profile = if cfg!(debug_assertions) { 1.0 } else { 10.0 };
    let scale = std::env::var("TALKBACK_FUZZ_SCALE")
        .ok()
        .and_then(|s| s.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s > 0.0)
        .unwrap_or(1.0);
    (f64::from(cases) * profile * scale).clamp(1.0, f64::from(u32::MAX)) as u32
}

/// The default run and the long run of each target.
macro_rules! targets {
    ($($name:ident: $quick:expr, $long:expr;)*) => {
        mod quick {
            $(
                #[test]
                fn $name() {
                    super::$name(false, $quick);
                }
            )*
        }

        mod fuzz_long {
            $(
                #[test]
                #[ignore = "long fuzz run: cargo test --release --test fuzz -- --ignored"]
                fn $name() {
                    super::$name(true, super::scaled($long));
                }
            )*
        }
    };
}

targets! {
    query_parser: 600, 25_000;
    matcher: 250, 8_000;
    command_parser: 800, 30_000;
    post_json: 500, 20_000;
    mastodon_entities: 300, 10_000;
    mastodon_stream: 300, 10_000;
    jetstream_events: 400, 15_000;
    feeds: 300, 10_000;
    html_text: 800, 30_000;
    redaction: 500, 20_000;
    rate_limit_headers: 800, 30_000;
    slack_verify: 300, 10_000;
    discord_verify: 150, 2_500;
    pages_hackernews: 200, 5_000;
    pages_rss: 200, 5_000;
    pages_mastodon: 200, 5_000;
    pages_reddit: 200, 5_000;
    pages_x: 200, 5_000;
    pages_bluesky: 200, 5_000;
}

// ---------------------------------------------------------------------------------------------
// Inputs shared by several targets.

/// Bytes that print as text (lossily) when a failure is shown.
#[derive(Clone)]
struct Bytes(Vec<u8>);

impl fmt::Debug for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(&self.0))
    }
}

impl Bytes {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0).into_owned()
    }
}

/// Whitespace and near-whitespace, as separators.
const GAPS: &[&str] = &[
    "", " ", " ", " ", "  ", "\t", "\n", "\r\n", "\u{a0}", "\u{3000}", "\u{2028}", "\u{85}", "\u{200b}",
];

/// Tokens joined with gaps: strings near a language's own shape.
fn token_soup(tokens: &'static [&'static str], max: usize) -> impl Strategy<Value = String> {
    vec((select(tokens), select(GAPS)), 0..max).prop_map(|parts| {
        parts.into_iter().fold(String::new(), |mut s, (t, g)| {
            s.push_str(t);
            s.push_str(g);
            s
        })
    })
}

/// Any string: arbitrary chars, or arbitrary bytes read lossily.
fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => any::<String>(),
        1 => vec(any::<u8>(), 0..64).prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
    ]
}

/// Numbers at the edges of what decoders convert (times, ids, durations, pages).
const NUMBERS: &[&str] = &[
    "0",
    "-0",
    "1",
    "-1",
    "1.5",
    "0.000001",
    "1e300",
    "-1e300",
    "1.7976931348623157e308",
    "4294967296",
    "9007199254740993",
    "9223372036854775807",
    "-9223372036854775808",
    "18446744073709551615",
    "1763632800",
    "1763632800000000",
    "-62135596800",
    "253402300800",
];

/// Strings that mean something somewhere in a payload.
const STRINGS: &[&str] = &[
    "",
    " ",
    "acme",
    "Acme Cloud",
    "2026-11-20T10:00:00Z",
    "2026-11-20T10:00:00.000Z",
    "2026-11-20T10:00:00+14:00",
    "9999-12-31T23:59:59Z",
    "+262143-12-31T23:59:59.999999999Z",
    "-262144-01-01T00:00:00Z",
    "2026-02-30T25:61:61Z",
    "Tue, 24 Nov 2026 09:00:00 +0000",
    "not a date",
    "18446744073709551615",
    "18446744073709551616",
    "-1",
    "1e300",
    "NaN",
    "<p>",
    "</",
    "<",
    "&",
    "&#x110000;",
    "&#",
    "&#xD800;",
    "at://did:plc:x/app.bsky.feed.post/",
    "at://did:plc:x/app.bsky.feed.post/3k/extra",
    "at://",
    "handle.invalid",
    "did:plc:acme",
    "acme.test",
    "mention",
    "reply",
    "quote",
    "like",
    "commit",
    "create",
    "delete",
    "app.bsky.feed.post",
    "app.bsky.feed.defs#postView",
    "app.bsky.feed.defs#reasonRepost",
    "t1_x",
    "t3_x",
    "t1_",
    "comment",
    "story",
    "retweeted",
    "replied_to",
    "und",
    "@",
    "@@",
    "u/",
    "/u/",
    "[deleted]",
    "https://blog.example/p/#comment-1",
    "acme@127.0.0.1",
    "ΣΟΦΙΑΣ 東京 😀 e\u{301}",
    "\u{0}",
    "\u{feff}",
    "\\",
    "/",
    "?",
    "..",
];

/// A JSON value of any type, leaning on values that mean something to decoders.
fn json_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        2 => Just(Value::Null),
        1 => any::<bool>().prop_map(Value::Bool),
        3 => select(NUMBERS).prop_map(|n| serde_json::from_str::<Value>(n).unwrap_or(Value::Null)),
        1 => any::<i64>().prop_map(Value::from),
        1 => any::<f64>().prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        4 => select(STRINGS).prop_map(Value::from),
        2 => any::<String>().prop_map(Value::from),
        1 => Just(json!([])),
        1 => Just(json!({})),
        1 => Just(json!([null, 1, "a", {}])),
        1 => Just(json!({"": null, "id": "1", "$type": "app.bsky.feed.post"})),
        1 => (1..2000usize).prop_map(|n| Value::from("acme <b>x</b> &amp; ".repeat(n))),
    ]
}

/// One change to a JSON document; the index picks the value (in document order) it applies to.
#[derive(Debug, Clone)]
enum Edit {
    Replace(Index, Value),
    Remove(Index),
    Repeat(Index),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        3 => (any::<Index>(), json_value()).prop_map(|(i, v)| Edit::Replace(i, v)),
        2 => any::<Index>().prop_map(Edit::Remove),
        1 => any::<Index>().prop_map(Edit::Repeat),
    ]
}

/// One change to a document's bytes.
#[derive(Debug, Clone)]
enum ByteEdit {
    Truncate(Index),
    Flip(Index, u8),
    Insert(Index, u8),
    Delete(Index),
}

fn byte_edit() -> impl Strategy<Value = ByteEdit> {
    prop_oneof![
        (any::<Index>()).prop_map(ByteEdit::Truncate),
        (any::<Index>(), 1..=255u8).prop_map(|(i, b)| ByteEdit::Flip(i, b)),
        (any::<Index>(), any::<u8>()).prop_map(|(i, b)| ByteEdit::Insert(i, b)),
        (any::<Index>()).prop_map(ByteEdit::Delete),
    ]
}

/// The JSON pointers of every value in `v`, in document order (the root first).
fn pointers(v: &Value) -> Vec<String> {
    fn walk(v: &Value, at: String, out: &mut Vec<String>) {
        out.push(at.clone());
        match v {
            Value::Object(m) => {
                for (k, child) in m {
                    walk(child, format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")), out);
                }
            }
            Value::Array(a) => {
                for (i, child) in a.iter().enumerate() {
                    walk(child, format!("{at}/{i}"), out);
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(v, String::new(), &mut out);
    out
}

fn apply_edit(doc: &mut Value, e: &Edit) {
    let all = pointers(doc);
    match e {
        Edit::Replace(i, new) => {
            if let Some(target) = doc.pointer_mut(&all[i.index(all.len())]) {
                *target = new.clone();
            }
        }
        Edit::Remove(i) => {
            let inner = &all[1..];
            if inner.is_empty() {
                return;
            }
            let at = &inner[i.index(inner.len())];
            let (parent, last) = at.rsplit_once('/').unwrap_or(("", at));
            let key = last.replace("~1", "/").replace("~0", "~");
            match doc.pointer_mut(parent) {
                Some(Value::Object(m)) => {
                    m.remove(&key);
                }
                Some(Value::Array(a)) => {
                    if let Ok(n) = key.parse::<usize>() {
                        if n < a.len() {
                            a.remove(n);
                        }
                    }
                }
                _ => {}
            }
        }
        Edit::Repeat(i) => {
            let at = all[i.index(all.len())].clone();
            match doc.pointer_mut(&at) {
                Some(Value::Array(a)) if !a.is_empty() => {
                    let first = a[0].clone();
                    a.push(first);
                }
                Some(Value::Object(m)) => {
                    let copy = Value::Object(m.clone());
                    m.insert("extra".into(), copy);
                }
                _ => {}
            }
        }
    }
}

fn apply_byte_edit(bytes: &mut Vec<u8>, e: &ByteEdit) {
    if bytes.is_empty() {
        if let ByteEdit::Insert(_, b) = e {
            bytes.push(*b);
        }
        return;
    }
    match e {
        ByteEdit::Truncate(i) => bytes.truncate(i.index(bytes.len())),
        ByteEdit::Flip(i, b) => {
            let at = i.index(bytes.len());
            bytes[at] ^= b;
        }
        ByteEdit::Insert(i, b) => {
            let at = i.index(bytes.len() + 1);
            bytes.insert(at, *b);
        }
        ByteEdit::Delete(i) => {
            bytes.remove(i.index(bytes.len()));
        }
    }
}

/// A JSON document: one of `samples` with its values mutated (and now and then its bytes), or
/// arbitrary bytes.
fn json_doc(samples: Vec<Value>) -> impl Strategy<Value = Bytes> {
    let mutated = (
        select(samples),
        vec(edit(), 0..4),
        prop_oneof![3 => Just(Vec::new()), 1 => vec(byte_edit(), 1..3)],
    )
        .prop_map(|(mut doc, edits, byte_edits)| {
            for e in &edits {
                apply_edit(&mut doc, e);
            }
            let mut bytes = serde_json::to_vec(&doc).unwrap_or_default();
            for e in &byte_edits {
                apply_byte_edit(&mut bytes, e);
            }
            Bytes(bytes)
        });
    prop_oneof![
        8 => mutated,
        1 => vec(any::<u8>(), 0..128).prop_map(Bytes),
        1 => any::<String>().prop_map(|s| Bytes(s.into_bytes())),
    ]
}

/// The sample payloads in `tests/data/fuzz/`.
fn data(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/fuzz").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn json_data(name: &str) -> Value {
    serde_json::from_str(&data(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// The elements of a sample array, or the sample itself.
fn items(v: &Value) -> Vec<Value> {
    match v {
        Value::Array(a) => a.clone(),
        other => vec![other.clone()],
    }
}

fn json_lines(name: &str) -> Vec<Value> {
    data(name)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{name}: {e}: {l}")))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// 1. The query language.

/// Query tokens, right and wrong.
const QUERY_TOKENS: &[&str] = &[
    "AND",
    "OR",
    "NOT",
    "and",
    "or",
    "not",
    "(",
    ")",
    "\"",
    "*",
    "-",
    "network:",
    "lang:",
    "author:",
    "network:reddit",
    "NETWORK:Bluesky",
    "network:myspace",
    "lang:en",
    "lang:pt-BR",
    "lang:pt_br",
    "lang:e-",
    "lang:",
    "author:@bob@example.social",
    "author:@",
    "author:",
    "@x",
    "#y",
    "acme",
    "Acme",
    "ACME*",
    "acme*",
    "**",
    "c++",
    "\"acme cloud\"",
    "\"\"",
    "\" \"",
    "ünïcode",
    "ΣΟΦΙΑΣ",
    "σοφίας",
    "東京",
    "İstanbul",
    "e\u{301}",
    "😀",
    "_",
    "a:b",
    ":",
    "-acme",
    "--acme",
    "-(",
    "NOT(",
    "\u{212a}elvin",
    "ﬁ",
    "ß",
    "\u{0}",
    "\u{feff}",
    "\\",
    "'",
];

/// Words a matcher test builds both its queries and its posts from: several scripts, case pairs
/// whose folding is special (final sigma, dotted I, Kelvin sign, ligatures, sharp s), combining
/// marks, emoji, non-BMP letters, and words with `@`, `#`, `+`, `_`, `.` and `'`.
const WORDS: &[&str] = &[
    "acme",
    "cloud",
    "acmes",
    "macme",
    "acme_corp",
    "c++",
    "@acme",
    "#acme",
    "ipv6",
    "σοφία",
    "ΣΟΦΙΑΣ",
    "σοφιας",
    "οδός",
    "ς",
    "東京",
    "タワー",
    "東京タワー",
    "café",
    "cafe\u{301}",
    "naïve",
    "straße",
    "STRASSE",
    "İstanbul",
    "i\u{307}stanbul",
    "ǅemal",
    "ﬁle",
    "\u{212a}elvin",
    "kelvin",
    "Ω",
    "😀",
    "👍🏽",
    "x\u{327}",
    "Ꭰ",
    "𐐀𐐨",
    "ſ",
    "ß",
    "ẞ",
    "a.b",
    "don't",
    "_",
    "42",
    "٣",
    "Ⅻ",
];

/// Separators and punctuation between the words of a post.
const SEPARATORS: &[&str] = &[
    " ", " ", " ", "", "  ", "\n", ".", ",", "'s ", "(", ")", "-", "_", "…", "\u{3000}", "\u{a0}", "\u{200b}", "\t",
    "!", "@", "#", "😀", "\u{301}", ":", "/", "'", "\"",
];

/// A query tree over `words`, mostly valid, in the surface syntax.
fn query_tree(words: &'static [&'static str]) -> impl Strategy<Value = String> {
    let fields = select(
        &[
            "network:reddit",
            "network:mastodon",
            "network:bluesky",
            "lang:en",
            "lang:pt-br",
            "author:@bob@example.social",
            "author:bob.test",
        ][..],
    );
    let leaf = prop_oneof![
        5 => select(words).prop_map(String::from),
        2 => select(words).prop_map(|w| format!("{w}*")),
        2 => (select(words), select(words)).prop_map(|(a, b)| format!("\"{a} {b}\"")),
        1 => (select(words), select(words), select(words)).prop_map(|(a, b, c)| format!("\"{a}  {b}\n{c}\"")),
        1 => fields.prop_map(String::from),
    ];
    leaf.prop_recursive(5, 32, 4, |inner| {
        prop_oneof![
            vec(inner.clone(), 2..4).prop_map(|v| v.join(" OR ")),
            vec(inner.clone(), 2..4).prop_map(|v| v.join(" AND ")),
            vec(inner.clone(), 2..4).prop_map(|v| v.join(" ")),
            inner.clone().prop_map(|q| format!("({q})")),
            inner.clone().prop_map(|q| format!("NOT {q}")),
            inner.clone().prop_map(|q| format!("-({q})")),
            (inner.clone(), inner).prop_map(|(a, b)| format!("{a} -{b}")),
        ]
    })
}

/// Edits that turn a valid query into a near-valid one.
fn corrupt(q: String, edits: Vec<(Index, &'static str, bool)>) -> String {
    let mut chars: Vec<char> = q.chars().collect();
    for (at, token, delete) in edits {
        if delete && !chars.is_empty() {
            chars.remove(at.index(chars.len()));
        } else {
            let at = at.index(chars.len() + 1);
            chars.splice(at..at, token.chars());
        }
    }
    chars.into_iter().collect()
}

fn query_text() -> impl Strategy<Value = String> {
    prop_oneof![
        2 => any_text(),
        4 => token_soup(QUERY_TOKENS, 24),
        3 => query_tree(QUERY_TOKENS),
        3 => (query_tree(WORDS), vec((any::<Index>(), select(QUERY_TOKENS), any::<bool>()), 0..3))
            .prop_map(|(q, edits)| corrupt(q, edits)),
        1 => (0..160usize, select(&["(", "NOT ", "-", "-(", "NOT (", "(NOT "][..]), any::<bool>())
            .prop_map(|(depth, open, close)| {
                let closing = if close && open.contains('(') { ")".repeat(depth) } else { String::new() };
                format!("{}acme{closing}", open.repeat(depth))
            }),
    ]
}

/// A post to run queries on: words of `words` in any case, with punctuation between them.
fn post(words: &'static [&'static str]) -> impl Strategy<Value = Post> {
    let sentence = vec((select(words), 0..5u8, any::<u32>(), select(SEPARATORS)), 0..14).prop_map(|parts| {
        let mut s = String::new();
        for (w, case, bits, sep) in parts {
            s.push_str(&recase(w, case, bits));
            s.push_str(sep);
        }
        s
    });
    let text = prop_oneof![6 => sentence, 1 => any_text()];
    let network = select(Network::ALL.to_vec());
    let author = select(vec![
        None,
        Some("@bob@example.social"),
        Some("BOB@Example.Social"),
        Some("bob.test"),
        Some("acme"),
        Some("u/acme"),
        Some("@acme"),
    ]);
    let lang = select(vec![
        None,
        Some("en"),
        Some("en-US"),
        Some("EN_gb"),
        Some("pt-BR"),
        Some("de"),
        Some(""),
    ]);
    (network, author, prop::option::of(text.clone()), text, lang).prop_map(|(network, author, title, text, lang)| {
        Post {
            network,
            id: "1".into(),
            url: None,
            author: author.map(|h| Author {
                handle: Some(h.to_string()),
                name: None,
            }),
            title,
            text,
            created_at: None,
            reply_to: None,
            lang: lang.map(String::from),
            repost_of: None,
        }
    })
}

/// A word as written in some case: as is, lower, upper, capitalised, or mixed per char.
fn recase(w: &str, case: u8, bits: u32) -> String {
    match case {
        0 => w.to_string(),
        1 => w.to_lowercase(),
        2 => w.to_uppercase(),
        3 => {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect())
                .unwrap_or_default()
        }
        _ => w
            .chars()
            .enumerate()
            .flat_map(|(i, c)| {
                let up: Vec<char> = if bits >> (i % 32) & 1 == 1 {
                    c.to_uppercase().collect()
                } else {
                    c.to_lowercase().collect()
                };
                up
            })
            .collect(),
    }
}

fn query_parser(long: bool, cases: u32) {
    let strategy = (query_text(), vec(post(WORDS), 1..4));
    fuzz("query_parser", long, cases, strategy, |(q, posts), tried| {
        tried.add(1);
        match Query::parse(&q) {
            Ok(query) => {
                tried.outcome("parsed");
                prop_assert_eq!(query.as_str(), q.as_str());
                let _ = query.search_terms();
                for p in &posts {
                    let _ = query.matches(p);
                }
                prop_assert!(Query::parse(&query.to_string()).is_ok());
            }
            Err(e) => {
                tried.outcome("rejected");
                let chars = q.chars().count();
                prop_assert!(
                    (1..=chars + 1).contains(&e.column),
                    "column {} outside 1..={} ({})",
                    e.column,
                    chars + 1,
                    e.message
                );
                prop_assert!(!e.message.trim().is_empty());
            }
        }
        Ok(())
    });
}

// ---------------------------------------------------------------------------------------------
// 2. The matcher: the prefilter's fast path against evaluating every brand.

fn matcher(long: bool, cases: u32) {
    let owns = select(vec![
        vec![],
        vec!["mastodon:@bob@example.social"],
        vec!["bluesky:bob.test", "x:@acme"],
        vec!["reddit:u/acme"],
    ]);
    let brands = vec((query_tree(WORDS), owns), 1..14);
    let strategy = (brands, vec(post(WORDS), 1..16));
    fuzz("matcher", long, cases, strategy, |(brands, posts), tried| {
        let rules: Vec<BrandRule> = brands
            .iter()
            .enumerate()
            .filter_map(|(i, (q, owns))| {
                Some(BrandRule {
                    name: format!("brand{i}"),
                    query: Query::parse(q).ok()?,
                    own_accounts: owns.iter().map(|o| o.parse::<OwnAccount>().unwrap()).collect(),
                })
            })
            .collect();
        if rules.len() < brands.len() {
            tried.outcome("queries rejected");
        }
        let m = Matcher::new(rules.clone());
        for p in &posts {
            tried.add(1);
            let fast = m.matching_brands(p);
            let reference = m.matching_brands_exhaustive(p);
            tried.outcome(if fast.is_empty() {
                "posts matching no brand"
            } else {
                "posts matching a brand"
            });
            let show = |ids: &[usize]| -> Vec<String> { ids.iter().map(|&i| rules[i].query.to_string()).collect() };
            prop_assert_eq!(
                &fast,
                &reference,
                "fast path {:?} vs reference {:?} on title {:?}, text {:?}",
                show(&fast),
                show(&reference),
                p.title,
                p.text
            );
            let each: Vec<usize> = (0..rules.len())
                .filter(|&i| rules[i].query.matches(p) && !rules[i].is_own_post(p))
                .collect();
            prop_assert_eq!(&each, &reference, "Query::matches brand by brand");
            let line = serde_json::to_string(p).unwrap();
            let borrowed: PostRef = serde_json::from_str(&line).unwrap();
            prop_assert_eq!(&m.matching_brands(&borrowed), &fast, "the same post read as a PostRef");
        }
        Ok(())
    });
}

// ---------------------------------------------------------------------------------------------
// 3. The slash-command parser.

const COMMAND_TOKENS: &[&str] = &[
    "/talkback",
    "/TALKBACK",
    "list",
    "show",
    "reply",
    "claim",
    "unclaim",
    "dismiss",
    "snooze",
    "approve",
    "stats",
    "digest",
    "nudge",
    "help",
    "LiSt",
    "SHOW",
    "lists",
    "42",
    "#42",
    "#0",
    "0",
    "-1",
    "+1",
    "#-1",
    "18446744073709551615",
    "18446744073709551616",
    "#",
    "##1",
    "1.5",
    "30m",
    "2h",
    "1d",
    "1h30m",
    "2w",
    "99999999999999999999d",
    "18446744073709551615w",
    "307445734561825860w",
    "0s",
    "5x",
    "7",
    "14d",
    "366",
    "367",
    "-3",
    "+5",
    "D",
    "d",
    "#2",
    "#18446744073709551616",
    "\"Acme Cloud\"",
    "\"",
    "\"\"",
    "Acme",
    "東京",
    "ΣΟΦΙΑΣ",
    "😀",
    "\u{0}",
    "thanks for asking!",
];

fn command_parser(long: bool, cases: u32) {
    let strategy = prop_oneof![2 => any_text(), 5 => token_soup(COMMAND_TOKENS, 8)];
    fuzz("command_parser", long, cases, strategy, |input, tried| {
        tried.add(1);
        let parsed = Command::parse(&input);
        tried.outcome(if parsed.is_ok() { "commands" } else { "usage errors" });
        if let Err(e) = &parsed {
            prop_assert!(!e.message.trim().is_empty(), "empty message");
            let shown = e.to_string();
            prop_assert!(
                shown.contains("usage: /talkback") || shown.contains("talkback commands:"),
                "no usage in {:?}",
                shown
            );
        }
        // The argument parsers behind it, on every word of the input.
        for word in input.split_whitespace().chain([input.as_str()]) {
            tried.add(1);
            if let Ok(d) = word.parse::<HumanDuration>() {
                prop_assert!(d.as_std().as_secs() > 0);
                let _ = d.as_chrono();
                prop_assert_eq!(d.to_string().parse::<HumanDuration>(), Ok(d));
            }
            if let Ok(id) = word.parse::<MentionId>() {
                prop_assert_eq!(id.to_string().parse::<MentionId>(), Ok(id));
            }
        }
        Ok(())
    });
}

// ---------------------------------------------------------------------------------------------
// 4. Decoders.

/// `Post` and `PostRef` read the same lines (the contract of `PostRef`), and agree on them.
fn post_json(long: bool, cases: u32) {
    let strategy = json_doc(json_lines("post.jsonl"));
    fuzz("post_json", long, cases, strategy, |doc, tried| {
        tried.add(1);
        let owned = serde_json::from_slice::<Post>(&doc.0);
        let borrowed = serde_json::from_slice::<PostRef>(&doc.0);
        prop_assert_eq!(
            owned.is_ok(),
            borrowed.is_ok(),
            "Post: {:?}, PostRef: {:?}",
            owned.as_ref().err(),
            borrowed.as_ref().err()
        );
        tried.outcome(if owned.is_ok() { "posts" } else { "errors" });
        if let (Ok(o), Ok(b)) = (&owned, &borrowed) {
            prop_assert_eq!(o.network, b.network);
            prop_assert_eq!(o.id.as_str(), &*b.id.0);
            prop_assert_eq!(o.text.as_str(), &*b.text.0);
            prop_assert_eq!(o.title.as_deref(), b.title.as_ref().map(|t| &*t.0));
            prop_assert_eq!(o.url.as_deref(), b.url.as_ref().map(|t| &*t.0));
            prop_assert_eq!(o.lang.as_deref(), b.lang.as_ref().map(|t| &*t.0));
            prop_assert_eq!(o.reply_to.as_deref(), b.reply_to.as_ref().map(|t| &*t.0));
            prop_assert_eq!(o.repost_of.as_deref(), b.repost_of.as_ref().map(|t| &*t.0));
            prop_assert_eq!(o.author_handle(), b.author_handle());
            prop_assert_eq!(o.created_at, b.created_at);
            // What is written back reads back the same.
            let again: Post = serde_json::from_str(&serde_json::to_string(o).unwrap()).unwrap();
            prop_assert_eq!(&again, o);
        }
        Ok(())
    });
}

fn convert(host: &str) -> Convert {
    Convert {
        host: host.into(),
        own: vec!["acme@example.social".into()],
    }
}

/// Mastodon's `Status`, `Notification` and `Account`, and their posts.
fn mastodon_entities(long: bool, cases: u32) {
    let statuses = json_data("mastodon_statuses.json");
    let notifications = json_data("mastodon_notifications.json");
    let mut samples = items(&statuses);
    samples.extend(items(&notifications));
    samples.extend([
        statuses.clone(),
        notifications.clone(),
        json_data("mastodon_account.json"),
        json_data("mastodon_search.json"),
    ]);
    let converts = [convert("example.social"), convert("")];
    fuzz("mastodon_entities", long, cases, json_doc(samples), |doc, tried| {
        let text = doc.text();
        tried.add(1);
        for c in &converts {
            if let Ok(s) = serde_json::from_str::<Status>(&text) {
                tried.outcome("statuses");
                if let Some(p) = c.post(&s) {
                    prop_assert_eq!(p.network, Network::Mastodon);
                    prop_assert!(p.author_handle().is_some_and(|h| h.starts_with('@')));
                }
            }
            if let Ok(n) = serde_json::from_str::<Notification>(&text) {
                let _ = c.mention(&n);
            }
            let _ = serde_json::from_str::<Account>(&text);
            // A page: each item on its own, a malformed one skipped.
            if let Ok(v) = serde_json::from_str::<Value>(&text) {
                let page = v.get("statuses").unwrap_or(&v);
                let list = sources::http::each::<Status>("fuzz", Some(page));
                tried.add(list.len());
                for s in &list {
                    let _ = c.post(s);
                }
                for n in &sources::http::each::<Notification>("fuzz", Some(page)) {
                    let _ = c.mention(n);
                }
            }
        }
        Ok(())
    });
}

/// A stream of server-sent events as Mastodon's streaming API sends them, cut into chunks.
#[derive(Debug, Clone)]
struct Stream {
    events: Vec<(&'static str, Bytes)>,
    crlf: bool,
    /// Where the bytes are cut into chunks (each index picks a point).
    cuts: Vec<Index>,
    edits: Vec<ByteEdit>,
}

impl Stream {
    fn bytes(&self) -> Vec<u8> {
        let nl: &[u8] = if self.crlf { b"\r\n" } else { b"\n" };
        let mut out = b":)".to_vec();
        out.extend_from_slice(nl);
        out.extend_from_slice(nl);
        for (name, data) in &self.events {
            if !name.is_empty() {
                out.extend_from_slice(b"event: ");
                out.extend_from_slice(name.as_bytes());
                out.extend_from_slice(nl);
            }
            for line in data.0.split(|b| *b == b'\n') {
                out.extend_from_slice(b"data: ");
                out.extend_from_slice(line);
                out.extend_from_slice(nl);
            }
            out.extend_from_slice(nl);
            out.extend_from_slice(b":thump");
            out.extend_from_slice(nl);
        }
        for e in &self.edits {
            apply_byte_edit(&mut out, e);
        }
        out
    }
}

fn mastodon_stream(long: bool, cases: u32) {
    let mut samples = items(&json_data("mastodon_statuses.json"));
    samples.extend(items(&json_data("mastodon_notifications.json")));
    let names = select(vec![
        "update",
        "status.update",
        "notification",
        "delete",
        "filters_changed",
        "",
        "announcement",
    ]);
    let data = prop_oneof![4 => json_doc(samples), 1 => Just(Bytes(b"113000000000000110".to_vec()))];
    let stream = (
        vec((names, data), 0..5),
        any::<bool>(),
        vec(any::<Index>(), 0..6),
        prop_oneof![3 => Just(Vec::new()), 1 => vec(byte_edit(), 1..3)],
    )
        .prop_map(|(events, crlf, cuts, edits)| Stream {
            events,
            crlf,
            cuts,
            edits,
        });
    let c = convert("example.social");
    fuzz("mastodon_stream", long, cases, stream, |stream, tried| {
        let bytes = stream.bytes();
        let mut cuts: Vec<usize> = stream.cuts.iter().map(|i| i.index(bytes.len() + 1)).collect();
        cuts.sort_unstable();
        cuts.push(bytes.len());
        // Chunked as the network cuts it, and whole: the same events.
        let mut chunked = sse::Parser::default();
        let mut events = Vec::new();
        let mut from = 0;
        for to in cuts {
            events.extend(chunked.push(&bytes[from..to]));
            from = to;
        }
        let whole = sse::Parser::default().push(&bytes);
        prop_assert_eq!(&events, &whole, "chunking changed the events");
        if stream.edits.is_empty() {
            prop_assert_eq!(events.len(), stream.events.len(), "an event was lost");
        }
        // What the stream source does with each event.
        for e in &events {
            tried.add(1);
            match e.name.as_str() {
                "update" | "status.update" => {
                    if let Ok(s) = serde_json::from_str::<Status>(&e.data) {
                        tried.outcome("statuses");
                        let _ = c.post(&s);
                    }
                }
                "notification" => {
                    if let Ok(n) = serde_json::from_str::<Notification>(&e.data) {
                        let _ = c.mention(&n);
                    }
                }
                _ => {}
            }
        }
        Ok(())
    });
}

fn jetstream_events(long: bool, cases: u32) {
    let names = HashMap::from([("did:plc:acme".to_string(), "acme.test".to_string())]);
    let strategy = (json_doc(json_lines("jetstream.jsonl")), any::<u64>(), any_text());
    fuzz(
        "jetstream_events",
        long,
        cases,
        strategy,
        |(doc, cursor, url), tried| {
            tried.add(1);
            if let Ok(ev) = serde_json::from_slice::<jetstream::Event>(&doc.0) {
                tried.outcome("events");
                if let Some(p) = jetstream::post("fuzz", &ev, &names) {
                    tried.outcome("posts");
                    prop_assert_eq!(p.network, Network::Bluesky);
                    prop_assert!(p.id.starts_with("at://"));
                }
            }
            let from = jetstream::resume_from(Some(cursor));
            prop_assert!(from.is_some_and(|f| f <= cursor));
            let _ = jetstream::subscribe_url(&url, from);
            let _ = jetstream::subscribe_url("https://jetstream.example/subscribe", from);
            Ok(())
        },
    );
}

/// Text inside feed markup that parsers and `html_to_text` treat specially.
const FEED_TOKENS: &[&str] = &[
    "",
    "&amp;",
    "&",
    "&#0;",
    "&#x110000;",
    "&lt;p&gt;",
    "<",
    "]]>",
    "<![CDATA[",
    "<!--",
    "<?xml",
    "<!DOCTYPE x [<!ENTITY a \"aaaa\">]>",
    "&a;",
    "Tue, 99 Nov 2026 09:00:00 +0000",
    "2026-13-45T99:99:99Z",
    "+262143-12-31T23:59:59Z",
    "javascript:alert(1)",
    "#comment-3",
    "ΣΟΦΙΑΣ 東京 😀",
    "\u{0}",
    "\u{feff}",
    "<b>acme</b>",
    "{\"",
    "null",
];

/// An XML document with the text of one element replaced.
fn xml_doc(samples: Vec<String>) -> impl Strategy<Value = Bytes> {
    let mutated = (
        select(samples),
        vec((any::<Index>(), select(FEED_TOKENS)), 0..3),
        prop_oneof![2 => Just(Vec::new()), 1 => vec(byte_edit(), 1..4)],
    )
        .prop_map(|(doc, texts, byte_edits)| {
            let mut doc = doc;
            for (at, token) in texts {
                // The text nodes: after a `>`, up to the next `<`.
                let starts: Vec<usize> = doc.match_indices('>').map(|(i, _)| i + 1).collect();
                if starts.is_empty() {
                    continue;
                }
                let start = starts[at.index(starts.len())];
                let end = doc[start..].find('<').map_or(doc.len(), |e| start + e);
                doc.replace_range(start..end, token);
            }
            let mut bytes = doc.into_bytes();
            for e in &byte_edits {
                apply_byte_edit(&mut bytes, e);
            }
            Bytes(bytes)
        });
    prop_oneof![
        6 => mutated,
        1 => token_soup(FEED_TOKENS, 16).prop_map(|s| Bytes(s.into_bytes())),
        1 => vec(any::<u8>(), 0..128).prop_map(Bytes),
    ]
}

fn feeds(long: bool, cases: u32) {
    let xml = vec![data("feed_rss2.xml"), data("feed_atom.xml")];
    let strategy = prop_oneof![3 => xml_doc(xml), 1 => json_doc(vec![json_data("feed_json.json")])];
    fuzz("feeds", long, cases, strategy, |doc, tried| {
        tried.add(1);
        if let Ok(feed) = rss::parse(&doc.0, "https://blog.example/feed/") {
            tried.outcome("feeds");
            for e in &feed.entries {
                tried.add(1);
                let content = e.content.as_ref().and_then(|c| c.body.as_deref());
                let summary = e.summary.as_ref().map(|s| s.content.as_str());
                let title = e.title.as_ref().map(|t| t.content.as_str());
                for html in [content, summary, title].into_iter().flatten() {
                    let _ = text::html_to_text(html);
                }
            }
        }
        Ok(())
    });
}

const HTML_TOKENS: &[&str] = &[
    "<",
    ">",
    "</",
    "<p>",
    "</p>",
    "<br>",
    "<br/>",
    "<BR >",
    "<li>",
    "</li>",
    "</div>",
    "<!--",
    "-->",
    "<![CDATA[",
    "&",
    "&amp;",
    "&lt;",
    "&#39;",
    "&#x27;",
    "&#x110000;",
    "&#xD800;",
    "&#99999999999;",
    "&#;",
    "&#x;",
    "&;",
    "&nbsp;",
    "&hellip",
    ";",
    "<a href=\"x\">",
    "</a>",
    "é",
    "東京",
    "😀",
    "\u{301}",
    "\n",
    "\r\n",
    "\r",
    " ",
    "\t",
    "<p",
    "< p>",
    "<1>",
    "<é>",
    "acme",
    "\u{a0}",
    "\u{2028}",
];

fn html_text(long: bool, cases: u32) {
    let strategy = prop_oneof![1 => any_text(), 3 => token_soup(HTML_TOKENS, 32)];
    fuzz("html_text", long, cases, strategy, |html, tried| {
        tried.add(1);
        let out = text::html_to_text(&html);
        prop_assert_eq!(out.trim(), out.as_str(), "not trimmed");
        let decoded = text::decode_entities(&html);
        if !html.contains('&') {
            prop_assert_eq!(decoded, html);
        }
        Ok(())
    });
}

/// A secret as a config's `*_env` would register it, with characters that spell differently
/// form-encoded and in JSON.
const SECRET: &str = "fuzz/secret+7f\"3a";

/// Text an error body may hold around secrets: their spellings, pieces of them, and `Basic`
/// credentials (base64 of `id:secret`) whole and cut.
const REDACT_TOKENS: &[&str] = &[
    SECRET,
    "fuzz%2Fsecret%2B7f%223a",
    "fuzz/secret+7f\\\"3a",
    "fuzz/secret",
    "+7f",
    "\"3a",
    "[redacted]",
    "Basic ",
    "basic ",
    "BASIC ",
    "dXNlcjpwYXNzd29yZA",
    "cmVkZGl0LWlkOnJlZGRpdC1zZWNyZXQ=",
    "Og==",
    "=",
    ":",
    "/",
    "+",
    "é",
    "😀",
    "password=",
    "{\"token\":\"",
];

/// `redact`, which every reader of error bodies calls: never a panic, and a registered secret
/// never comes out.
fn redaction(long: bool, cases: u32) {
    talkback::redact::register(SECRET);
    let strategy = prop_oneof![1 => any_text(), 4 => token_soup(REDACT_TOKENS, 16)];
    fuzz("redaction", long, cases, strategy, |text, tried| {
        tried.add(1);
        let out = talkback::redact::redact(&text);
        tried.outcome(if out == text { "unchanged" } else { "redacted" });
        prop_assert!(!out.contains(SECRET), "the secret came out: {:?}", out);
        Ok(())
    });
}

/// Values for the rate-limit headers sources read.
fn header_value() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => select(NUMBERS).prop_map(String::from),
        2 => select(&[
            "0", "5", "-5", "0.5", "inf", "-inf", "infinity", "NaN", "1e19", "1e20", "18446744073709551616",
            "Wed, 21 Oct 2015 07:28:00 GMT", "Fri, 31 Dec 9999 23:59:59 GMT", "2026-11-20T10:05:00.000000Z",
            "+262143-12-31T23:59:59Z", "garbage", "", " 7 ",
            "<https://m.example/api/v1/notifications?min_id=34975861>; rel=\"prev\"",
            "<https://m.example/x?min_id=>; rel=\"prev\", <>; rel=\"next\"", "<>; rel=\"prev\"", "\"etag-1\"",
        ][..]).prop_map(String::from),
        1 => any::<f64>().prop_map(|f| f.to_string()),
        1 => any::<i64>().prop_map(|n| n.to_string()),
        1 => any::<u64>().prop_map(|n| n.to_string()),
        1 => (0..400i32).prop_map(|e| format!("1e{e}")),
        1 => "[ -~]{0,24}",
    ]
}

const HEADER_NAMES: &[&str] = &[
    "retry-after",
    "x-ratelimit-remaining",
    "x-ratelimit-reset",
    "x-rate-limit-remaining",
    "x-rate-limit-reset",
    "ratelimit-remaining",
    "ratelimit-reset",
    "link",
    "etag",
    "last-modified",
];

fn headers() -> impl Strategy<Value = Vec<(&'static str, String)>> {
    vec((select(HEADER_NAMES), header_value()), 0..5)
}

fn header_map(pairs: &[(&'static str, String)]) -> HeaderMap {
    let mut h = HeaderMap::new();
    for (name, value) in pairs {
        if let Ok(v) = HeaderValue::from_str(value) {
            h.append(HeaderName::from_static(name), v);
        }
    }
    h
}

const STATUSES: &[u16] = &[
    200, 200, 200, 200, 200, 200, 200, 200, 204, 304, 400, 401, 403, 404, 408, 429, 500, 502, 503,
];

/// How long sources are told to wait, from the headers of any answer: never a panic, and a wait
/// that can be added to the current time (callers do).
fn rate_limit_headers(long: bool, cases: u32) {
    let strategy = (
        headers(),
        select(STATUSES),
        json_doc(vec![
            json!({"error": "ExpiredToken", "message": "Token has expired"}),
            json!({"error": "RateLimitExceeded"}),
        ]),
        prop_oneof![3 => Just(1_763_632_800i64), 1 => 0..4_102_444_800i64],
    );
    fuzz(
        "rate_limit_headers",
        long,
        cases,
        strategy,
        |(pairs, status, body, now), tried| {
            tried.add(1);
            let h = header_map(&pairs);
            let status = StatusCode::from_u16(status).unwrap();
            let waits = [
                sources::http::retry_after(&h),
                xrpc::reset_in(&h, now),
                match xrpc::classify(status, &h, &body.0, now) {
                    xrpc::XrpcError::Fetch(sources::http::FetchError::RateLimited(after)) => after,
                    _ => None,
                },
                match sources::http::classify(status, &h, &body.0) {
                    sources::http::FetchError::RateLimited(after) => after,
                    _ => None,
                },
            ];
            for wait in waits.into_iter().flatten() {
                prop_assert!(
                    std::time::Instant::now().checked_add(wait).is_some(),
                    "a wait of {:?} cannot be added to now",
                    wait
                );
            }
            Ok(())
        },
    );
}

// ---------------------------------------------------------------------------------------------
// 5. Request verification.

const SLACK_SECRET: &str = "8f742231b10e8888abcd99yyyzzz85a5";

fn slack_sign(ts: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(SLACK_SECRET.as_bytes()).unwrap();
    mac.update(b"v0:");
    mac.update(ts.as_bytes());
    mac.update(b":");
    mac.update(body);
    format!("v0={}", hex::encode(mac.finalize().into_bytes()))
}

/// How a request is made: signed right, or with one byte of its body, timestamp or signature
/// changed, or with headers made up.
#[derive(Debug, Clone)]
enum Forgery {
    None,
    Body(Index, u8),
    Timestamp(Index, u8),
    Signature(Index, u8),
    MadeUp(Option<String>, Option<String>),
}

fn forgery() -> impl Strategy<Value = Forgery> {
    // A printable ASCII byte (what a header value may hold), or any byte for the body.
    let printable = 0x20u8..0x7f;
    prop_oneof![
        2 => Just(Forgery::None),
        2 => (any::<Index>(), any::<u8>()).prop_map(|(i, b)| Forgery::Body(i, b)),
        2 => (any::<Index>(), printable.clone()).prop_map(|(i, b)| Forgery::Timestamp(i, b)),
        2 => (any::<Index>(), printable).prop_map(|(i, b)| Forgery::Signature(i, b)),
        2 => (prop::option::of(any_header_text()), prop::option::of(any_header_text()))
            .prop_map(|(s, t)| Forgery::MadeUp(s, t)),
    ]
}

fn any_header_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[ -~]{0,80}",
        "v0=[0-9a-f]{64}",
        "[0-9a-f]{128}",
        select(NUMBERS).prop_map(String::from),
    ]
}

/// Replaces the byte at `at` with `b`, or with a neighbour when it is already `b`: one changed
/// byte, still printable when both were.
fn change_byte(bytes: &mut [u8], at: Index, b: u8) -> bool {
    if bytes.is_empty() {
        return false;
    }
    let i = at.index(bytes.len());
    bytes[i] = if bytes[i] == b {
        if b == 0x7e {
            0x20
        } else {
            b + 1
        }
    } else {
        b
    };
    true
}

/// A request's timestamp: seconds from now (wrapping at the ends of `i64`), or a number as is.
#[derive(Debug, Clone, Copy)]
enum Stamp {
    From(i64),
    At(i64),
}

impl Stamp {
    fn at(self, now: i64) -> i64 {
        match self {
            Stamp::From(offset) => now.wrapping_add(offset),
            Stamp::At(t) => t,
        }
    }
}

/// Timestamps inside the window, outside it, and at the ends of `i64` (and `i64::MIN` away from
/// now, where `now - ts` overflows to exactly `i64::MIN`).
fn stamps() -> impl Strategy<Value = Stamp> {
    let ends = vec![i64::MIN, i64::MAX, i64::MIN + 1, -i64::MAX, 1 << 62, -(1 << 62), 0, -1];
    prop_oneof![
        4 => (-290..=290i64).prop_map(Stamp::From),
        2 => prop_oneof![310..100_000i64, -100_000..-310i64].prop_map(Stamp::From),
        1 => select(vec![i64::MIN, i64::MAX, i64::MIN + 1]).prop_map(Stamp::From),
        1 => select(ends).prop_map(Stamp::At),
        1 => any::<i64>().prop_map(Stamp::At),
    ]
}

fn slack_bodies() -> impl Strategy<Value = Bytes> {
    prop_oneof![
        3 => "token=x&team_id=T0001&user_id=U0REPLIER&command=%2Ftalkback&text=[ -~]{0,40}"
            .prop_map(|s| Bytes(s.into_bytes())),
        1 => any::<String>().prop_map(|s| Bytes(s.into_bytes())),
        1 => vec(any::<u8>(), 0..64).prop_map(Bytes),
    ]
}

fn slack_verify(long: bool, cases: u32) {
    let verifier = SlackEventSignatureVerifier::new(&SlackSigningSecret(SLACK_SECRET.to_string()));
    let strategy = (slack_bodies(), stamps(), forgery());
    fuzz(
        "slack_verify",
        long,
        cases,
        strategy,
        |(body, stamp, forgery), tried| {
            tried.add(1);
            let now = Utc::now().timestamp();
            let ts_num = stamp.at(now);
            let mut ts = ts_num.to_string().into_bytes();
            let mut body = body.0;
            let mut sig = slack_sign(std::str::from_utf8(&ts).unwrap(), &body).into_bytes();
            let (mut sig_header, mut ts_header) = (true, true);
            let changed = match &forgery {
                Forgery::None => false,
                Forgery::Body(at, b) => change_byte(&mut body, *at, *b),
                Forgery::Timestamp(at, b) => change_byte(&mut ts, *at, *b),
                Forgery::Signature(at, b) => change_byte(&mut sig, *at, *b),
                Forgery::MadeUp(s, t) => {
                    sig_header = s.is_some();
                    ts_header = t.is_some();
                    sig = s.clone().unwrap_or_default().into_bytes();
                    ts = t.clone().unwrap_or_default().into_bytes();
                    true
                }
            };
            let mut h = HeaderMap::new();
            if sig_header {
                h.insert("x-slack-signature", HeaderValue::from_bytes(&sig).unwrap());
            }
            if ts_header {
                h.insert("x-slack-request-timestamp", HeaderValue::from_bytes(&ts).unwrap());
            }
            let verdict = talkback::chat::slack::http::verify(&verifier, &h, &body);
            tried.outcome(if verdict.is_ok() { "accepted" } else { "refused" });
            // The verifier reads the clock again: keep clear of the window's edges.
            let in_window = ts_num.abs_diff(now) <= 290;
            let far = ts_num.abs_diff(now) >= 310;
            if changed {
                prop_assert!(verdict.is_err(), "a changed request was accepted");
            } else if std::str::from_utf8(&body).is_err() || far {
                prop_assert!(verdict.is_err(), "accepted a stale or non-UTF-8 request");
            } else if in_window {
                prop_assert_eq!(verdict, Ok(std::str::from_utf8(&body).unwrap()));
            }
            Ok(())
        },
    );
}

fn discord_verify(long: bool, cases: u32) {
    let key = SigningKey::from_bytes(&[7u8; 32]);
    let public = key.verifying_key();
    let bodies = prop_oneof![
        3 => "\\{\"type\":[12],\"id\":\"[0-9]{1,19}\",\"token\":\"[a-z]{0,12}\"\\}".prop_map(|s| Bytes(s.into_bytes())),
        1 => vec(any::<u8>(), 0..64).prop_map(Bytes),
    ];
    let now = prop_oneof![3 => Just(1_763_632_800i64), 1 => 0..4_102_444_800i64];
    let stamps = prop_oneof![4 => stamps(), 1 => select(vec![-301i64, -300, 300, 301]).prop_map(Stamp::From)];
    let strategy = (bodies, now, stamps, forgery());
    fuzz(
        "discord_verify",
        long,
        cases,
        strategy,
        |(body, now, stamp, forgery), tried| {
            tried.add(1);
            let ts_num = stamp.at(now);
            let mut ts = ts_num.to_string().into_bytes();
            let mut body = body.0;
            let mut message = ts.clone();
            message.extend_from_slice(&body);
            let signature = key.sign(&message).to_bytes();
            let mut sig = hex::encode(signature).into_bytes();
            let (mut sig_header, mut ts_header) = (true, true);
            let changed = match &forgery {
                Forgery::None => false,
                Forgery::Body(at, b) => change_byte(&mut body, *at, *b),
                Forgery::Timestamp(at, b) => change_byte(&mut ts, *at, *b),
                Forgery::Signature(at, b) => {
                    change_byte(&mut sig, *at, *b);
                    // Hex is read in either case: `A` for `a` is the same signature.
                    hex::decode(&sig).ok().as_deref() != Some(&signature[..])
                }
                Forgery::MadeUp(s, t) => {
                    sig_header = s.is_some();
                    ts_header = t.is_some();
                    sig = s.clone().unwrap_or_default().into_bytes();
                    ts = t.clone().unwrap_or_default().into_bytes();
                    true
                }
            };
            let mut h = HeaderMap::new();
            if sig_header {
                h.insert("x-signature-ed25519", HeaderValue::from_bytes(&sig).unwrap());
            }
            if ts_header {
                h.insert("x-signature-timestamp", HeaderValue::from_bytes(&ts).unwrap());
            }
            let verdict = talkback::chat::discord::http::verify(&public, &h, &body, now);
            tried.outcome(if verdict.is_ok() { "accepted" } else { "refused" });
            let in_window = ts_num.abs_diff(now) <= 300;
            if changed {
                prop_assert!(verdict.is_err(), "a changed request was accepted");
            } else {
                prop_assert_eq!(
                    verdict.is_ok(),
                    in_window,
                    "{:?} at {} for now {}",
                    verdict,
                    ts_num,
                    now
                );
            }
            Ok(())
        },
    );
}

// ---------------------------------------------------------------------------------------------
// 6. Whole pages: one poll round against a server that answers a mutated payload.

/// What the local server answers.
#[derive(Debug, Clone)]
struct Answer {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: Bytes,
}

impl Answer {
    fn ok(body: &Value) -> Answer {
        Answer {
            status: 200,
            headers: vec![("content-type", "application/json".into())],
            body: Bytes(serde_json::to_vec(body).unwrap()),
        }
    }

    fn response(&self) -> Response {
        let mut resp = (
            StatusCode::from_u16(self.status).unwrap_or(StatusCode::OK),
            self.body.0.clone(),
        )
            .into_response();
        let h = resp.headers_mut();
        for (name, value) in &self.headers {
            if let Ok(v) = HeaderValue::from_str(value) {
                h.append(HeaderName::from_static(name), v);
            }
        }
        resp
    }
}

/// A server on 127.0.0.1 answering each path from a table: the fuzzed answer once, then the
/// standing answer (sign-in, lookups), else 503 (so a round that asks for more pages ends).
#[derive(Clone, Default)]
struct Server {
    inner: Arc<Mutex<Answers>>,
}

#[derive(Default)]
struct Answers {
    once: Option<(String, Answer)>,
    standing: HashMap<String, Answer>,
    /// How many fuzzed answers were asked for.
    served: u64,
}

async fn answer(State(server): State<Server>, uri: Uri) -> Response {
    let mut a = server.inner.lock().unwrap();
    let path = uri.path();
    if a.once.as_ref().is_some_and(|(p, _)| p == path) {
        if let Some((_, answer)) = a.once.take() {
            a.served += 1;
            return answer.response();
        }
    }
    match a.standing.get(path) {
        Some(answer) => answer.response(),
        None => (StatusCode::SERVICE_UNAVAILABLE, "no more").into_response(),
    }
}

/// One fuzzed path of a site: which poller asks for it, and what it usually answers.
struct Plan {
    /// A part of the poller's name.
    poller: &'static str,
    path: &'static str,
    samples: Vec<Value>,
    /// Cursors the poller may have stored.
    cursors: Vec<&'static str>,
}

/// A network's polling sources, as one config table, with the answers they need to get going.
struct Site {
    name: &'static str,
    /// The `[[sources]]` table and the brand's own account; `{url}` is the server.
    source: &'static str,
    own: &'static str,
    env: &'static [(&'static str, &'static str)],
    pollers: fn(&Setup) -> Vec<Poller>,
    standing: Vec<(&'static str, Value)>,
    plans: Vec<Plan>,
    /// The payload is not JSON (a feed): also mutate it as XML.
    xml: Vec<String>,
}

/// One case: a plan, its answer, and the cursor the poller starts from.
#[derive(Debug, Clone)]
struct PageCase {
    plan: usize,
    answer: Answer,
    cursor: String,
}

fn page_case(site: &Site) -> impl Strategy<Value = PageCase> {
    let per_plan: Vec<BoxedStrategy<PageCase>> = site
        .plans
        .iter()
        .enumerate()
        .map(|(i, plan)| {
            let body = if site.xml.is_empty() {
                json_doc(plan.samples.clone()).boxed()
            } else {
                prop_oneof![3 => xml_doc(site.xml.clone()), 1 => json_doc(plan.samples.clone())].boxed()
            };
            let cursor = prop_oneof![
                3 => select(plan.cursors.clone()).prop_map(String::from),
                1 => Just(String::new()),
                1 => any_text(),
                1 => json_doc(plan.cursors.iter().filter_map(|c| serde_json::from_str(c).ok()).collect::<Vec<Value>>()
                    .into_iter().chain([json!({})]).collect()).prop_map(|b| b.text()),
            ];
            let status = select(STATUSES);
            let answer = (status, headers(), body).prop_map(|(status, mut headers, body)| {
                headers.push(("content-type", "application/json".into()));
                Answer { status, headers, body }
            });
            (answer, cursor)
                .prop_map(move |(answer, cursor)| PageCase {
                    plan: i,
                    answer,
                    cursor,
                })
                .boxed()
        })
        .collect();
    proptest::strategy::Union::new(per_plan)
}

/// A directory for a store: in memory where the system has one (sled flushes every round).
fn store_dir() -> tempfile::TempDir {
    let shm = Path::new("/dev/shm");
    if shm.is_dir() {
        if let Ok(d) = tempfile::tempdir_in(shm) {
            return d;
        }
    }
    tempfile::tempdir().unwrap()
}

/// A site's pollers against the local server, with a store and a pipeline behind them.
struct Pages {
    site: Site,
    rt: tokio::runtime::Runtime,
    server: Server,
    config: TalkbackConfig,
    cx: SourceContext,
    http: reqwest::Client,
    _stop: tokio::sync::watch::Sender<bool>,
    _dir: tempfile::TempDir,
}

impl Pages {
    fn start(site: Site) -> Pages {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let server = Server::default();
        let url = rt.block_on(async {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let url = format!("http://{}", listener.local_addr().unwrap());
            let app = axum::Router::new().fallback(answer).with_state(server.clone());
            tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
            url
        });
        {
            let mut a = server.inner.lock().unwrap();
            for (path, body) in &site.standing {
                a.standing.insert(path.to_string(), Answer::ok(body));
            }
        }
        let dir = store_dir();
        let text = format!(
            "[store]\npath = \"store\"\n\n[[brands]]\nname = \"Acme\"\nquery = 'acme OR \"acme cloud\"'\n\
             own_accounts = [\"{}\"]\n\n[[sources]]\n{}\n",
            site.own,
            site.source.replace("{url}", &url)
        );
        let env: HashMap<&str, &str> = site.env.iter().copied().collect();
        let lookup = |name: &str| env.get(name).map(|v| v.to_string());
        let config = TalkbackConfig::from_str(&dir.path().join("talkback.toml"), &text, Needs::Everything, &lookup)
            .unwrap_or_else(|e| panic!("{}: {e}", site.name));
        let store = Store::open(&dir.path().join("store")).unwrap();
        let clock: SharedClock = Arc::new(SystemClock);
        let pipeline = Pipeline::new(&config.brands, Triage::default(), store.clone(), clock.clone());
        let (stop, shutdown) = tokio::sync::watch::channel(false);
        let cx = SourceContext {
            store,
            pipeline: Arc::new(pipeline),
            shutdown,
            health: Health::default(),
            clock,
        };
        Pages {
            site,
            rt,
            server,
            config,
            cx,
            http: sources::http::client(),
            _stop: stop,
            _dir: dir,
        }
    }

    /// One poll round of the case's poller (built afresh, so no sign-in or budget carries over),
    /// from the case's cursor, with the case's answer served once on its path.
    fn round(&self, case: &PageCase) -> Result<std::time::Duration, SourceError> {
        let plan = &self.site.plans[case.plan];
        self.server.inner.lock().unwrap().once = Some((plan.path.to_string(), case.answer.clone()));
        let setup = Setup {
            source: &self.config.sources[0],
            brands: &self.config.brands,
            http: self.http.clone(),
        };
        let mut pollers = (self.site.pollers)(&setup);
        let names: Vec<String> = pollers.iter().map(|p| p.name().to_string()).collect();
        let poller = pollers
            .iter_mut()
            .find(|p| p.name().contains(plan.poller))
            .unwrap_or_else(|| panic!("no poller like {} among {names:?}", plan.poller));
        self.rt.block_on(async {
            self.cx.store.set_cursor(poller.name(), &case.cursor).await?;
            poller.round(&self.cx, &mut Backoff::default()).await
        })
    }
}

fn pages(site: Site, long: bool, cases: u32) {
    let pages = Pages::start(site);
    let target = format!("pages_{}", pages.site.name);
    let served = || pages.server.inner.lock().unwrap().served;
    fuzz(&target, long, cases, page_case(&pages.site), |case, tried| {
        let before = served();
        let round = pages.round(&case);
        prop_assert!(round.is_ok(), "{:?}", round.err());
        // An input counts when the poller read it (a case whose poller stopped earlier, at a
        // fuzzed sign-in, say, does not).
        tried.add((served() - before) as usize);
        Ok(())
    });
    let posts: u64 = pages.cx.health.snapshot().values().map(|h| h.posts).sum();
    eprintln!("fuzz {target}: {posts} posts delivered from the answers");
}

fn hackernews_site() -> Site {
    let page = json_data("hackernews.json");
    let cursors = vec![
        r#"{"since":1763632800,"seen":["41000002"]}"#,
        r#"{"since":1763632800,"seen":[],"paging":{"page":3,"newest":1763632900,"newest_ids":["1"]}}"#,
        r#"{"since":-9223372036854775808,"seen":[]}"#,
    ];
    let plan = |poller| Plan {
        poller,
        path: "/api/v1/search_by_date",
        samples: vec![page.clone()],
        cursors: cursors.clone(),
    };
    Site {
        name: "hackernews",
        source: "kind = \"hackernews\"\nbase_url = \"{url}\"",
        own: "hackernews:acmehq",
        env: &[],
        pollers: hackernews::pollers,
        standing: vec![],
        plans: vec![plan("/q/"), plan("/own/")],
        xml: vec![],
    }
}

fn rss_site() -> Site {
    Site {
        name: "rss",
        source: "kind = \"rss\"\nurl = \"{url}/feed\"",
        own: "rss:127.0.0.1",
        env: &[],
        pollers: |s| vec![rss::poller(s).unwrap()],
        standing: vec![],
        plans: vec![Plan {
            poller: "feed",
            path: "/feed",
            samples: vec![json_data("feed_json.json")],
            cursors: vec![
                r#"{"etag":"\"abc\"","last_modified":"Tue, 24 Nov 2026 10:00:00 GMT","seen":["https://blog.example/?p=42"]}"#,
                r#"{"etag":"a\nb","seen":[]}"#,
            ],
        }],
        xml: vec![data("feed_rss2.xml"), data("feed_atom.xml")],
    }
}

fn mastodon_site() -> Site {
    let statuses = json_data("mastodon_statuses.json");
    let ids = vec!["113000000000000100", "100/200/40", "x/y/z", "/", ",,", "0"];
    let plan = |poller, path, samples: Vec<Value>| Plan {
        poller,
        path,
        samples,
        cursors: ids.clone(),
    };
    Site {
        name: "mastodon",
        source: "kind = \"mastodon\"\nbase_url = \"{url}\"\ntoken_env = \"MASTODON_TOKEN\"\nhashtags = [\"acme\"]\n\
                 search = true\nnotifications = true",
        own: "mastodon:@acme@127.0.0.1",
        env: &[("MASTODON_TOKEN", "token-1")],
        pollers: |s| mastodon::pollers(s).unwrap(),
        standing: vec![("/api/v1/accounts/lookup", json_data("mastodon_account.json"))],
        plans: vec![
            plan(
                "notifications",
                "/api/v1/notifications",
                vec![json_data("mastodon_notifications.json")],
            ),
            plan("tag/acme", "/api/v1/timelines/tag/acme", vec![statuses.clone()]),
            plan("search/", "/api/v2/search", vec![json_data("mastodon_search.json")]),
            plan(
                "own/",
                "/api/v1/accounts/lookup",
                vec![json_data("mastodon_account.json")],
            ),
            plan("own/", "/api/v1/accounts/1/statuses", vec![statuses]),
        ],
        xml: vec![],
    }
}

fn reddit_site() -> Site {
    let listing = json_data("reddit_listing.json");
    let marks = vec![
        "t3_1abc@1763632790",
        "t3_1abc",
        "t1_k1@-9223372036854775808",
        "@",
        "t3_x@1e300",
    ];
    let plan = |poller, path| Plan {
        poller,
        path,
        samples: vec![listing.clone()],
        cursors: marks.clone(),
    };
    Site {
        name: "reddit",
        source: "kind = \"reddit\"\nbase_url = \"{url}\"\nauth_url = \"{url}\"\nclient_id_env = \"ID\"\n\
                 client_secret_env = \"SECRET\"\nusername = \"bot\"\npassword_env = \"PASSWORD\"\n\
                 subreddits = [\"selfhosted\"]",
        own: "reddit:u/acme",
        env: &[("ID", "id"), ("SECRET", "secret"), ("PASSWORD", "password")],
        pollers: |s| reddit::pollers(s).unwrap(),
        standing: vec![("/api/v1/access_token", json_data("reddit_token.json"))],
        plans: vec![
            plan("search", "/search"),
            plan("r/selfhosted/new", "/r/selfhosted/new"),
            plan("r/selfhosted/comments", "/r/selfhosted/comments"),
            plan("u/acme/overview", "/user/acme/overview"),
            Plan {
                poller: "search",
                path: "/api/v1/access_token",
                samples: vec![json_data("reddit_token.json")],
                cursors: marks.clone(),
            },
        ],
        xml: vec![],
    }
}

fn x_site() -> Site {
    let tweets = json_data("x_tweets.json");
    let ids = vec!["1860000000000000000", "", "x"];
    Site {
        name: "x",
        source: "kind = \"x\"\nbase_url = \"{url}\"\nbearer_token_env = \"X_BEARER_TOKEN\"",
        own: "x:@acme",
        env: &[("X_BEARER_TOKEN", "bearer-1")],
        pollers: |s| x::pollers(s).unwrap(),
        standing: vec![("/2/users/by/username/acme", json_data("x_user.json"))],
        plans: vec![
            Plan {
                poller: "search",
                path: "/2/tweets/search/recent",
                samples: vec![tweets.clone()],
                cursors: ids.clone(),
            },
            Plan {
                poller: "acme",
                path: "/2/users/by/username/acme",
                samples: vec![json_data("x_user.json")],
                cursors: ids.clone(),
            },
            Plan {
                poller: "acme",
                path: "/2/users/2244994945/tweets",
                samples: vec![tweets],
                cursors: ids,
            },
        ],
        xml: vec![],
    }
}

fn bluesky_site() -> Site {
    let sweeps = vec![
        r#"{"since":"2026-11-20T09:00:00Z"}"#,
        r#"{"since":"2026-11-20T09:00:00Z","top":"2026-11-20T10:00:00Z","page":"2"}"#,
        r#"{"top":"+262143-12-31T23:59:59Z","page":""}"#,
    ];
    let plan = |poller, path, sample| Plan {
        poller,
        path,
        samples: vec![sample],
        cursors: sweeps.clone(),
    };
    let session = json_data("bluesky_session.json");
    Site {
        name: "bluesky",
        source: "kind = \"bluesky\"\nbase_url = \"{url}\"\nidentifier = \"bot.test\"\n\
                 app_password_env = \"BSKY_APP_PASSWORD\"\nfirehose = false\nsearch = true\nnotifications = true",
        own: "bluesky:acme.test",
        env: &[("BSKY_APP_PASSWORD", "app-password")],
        pollers: |s| {
            let parts = bluesky::parts(s).unwrap();
            parts
                .search
                .into_iter()
                .chain(parts.notifications)
                .chain(parts.own)
                .collect()
        },
        standing: vec![
            ("/xrpc/com.atproto.server.createSession", session.clone()),
            ("/xrpc/com.atproto.server.refreshSession", session.clone()),
        ],
        plans: vec![
            plan(
                "search",
                "/xrpc/app.bsky.feed.searchPosts",
                json_data("bluesky_search.json"),
            ),
            plan(
                "notifications",
                "/xrpc/app.bsky.notification.listNotifications",
                json_data("bluesky_notifications.json"),
            ),
            plan(
                "own/",
                "/xrpc/app.bsky.feed.getAuthorFeed",
                json_data("bluesky_feed.json"),
            ),
            plan("search", "/xrpc/com.atproto.server.createSession", session),
        ],
        xml: vec![],
    }
}

fn pages_hackernews(long: bool, cases: u32) {
    pages(hackernews_site(), long, cases);
}

fn pages_rss(long: bool, cases: u32) {
    pages(rss_site(), long, cases);
}

fn pages_mastodon(long: bool, cases: u32) {
    pages(mastodon_site(), long, cases);
}

fn pages_reddit(long: bool, cases: u32) {
    pages(reddit_site(), long, cases);
}

fn pages_x(long: bool, cases: u32) {
    pages(x_site(), long, cases);
}

fn pages_bluesky(long: bool, cases: u32) {
    pages(bluesky_site(), long, cases);
}

// ---------------------------------------------------------------------------------------------
// The failures the fuzzing found in the sources, as fixed cases (the verification ones are unit
// tests in `src/chat/{slack,discord}/http.rs`).

mod regressions {
    use super::*;

    fn case(plan: usize, headers: Vec<(&'static str, String)>, body: &Value, cursor: &str) -> PageCase {
        let mut answer = Answer::ok(body);
        answer.headers.extend(headers);
        PageCase {
            plan,
            answer,
            cursor: cursor.into(),
        }
    }

    /// `page + 1` overflowed on `"page": 18446744073709551615` with a cursor.
    #[test]
    fn hacker_news_page_at_u64_max() {
        let pages = Pages::start(hackernews_site());
        let mut body = json_data("hackernews.json");
        body["page"] = json!(u64::MAX);
        body["nbPages"] = json!(u64::MAX);
        let cursor = r#"{"since":1763632800,"seen":["41000002"]}"#;
        assert!(pages.round(&case(0, vec![], &body, cursor)).is_ok());
    }

    /// `Retry-After: 1e300` panicked in `Duration::from_secs_f64` (X, and Mastodon's budget), and
    /// a wait near `i64::MAX` seconds overflowed `Instant::now() + wait` (Reddit).
    #[test]
    fn absurd_retry_after_on_a_good_page() {
        for wait in ["1e300", "inf", "9223372036854740480"] {
            let headers = vec![("retry-after", wait.to_string())];
            let x = Pages::start(x_site());
            let tweets = json_data("x_tweets.json");
            assert!(x
                .round(&case(0, headers.clone(), &tweets, "1860000000000000000"))
                .is_ok());
            let mastodon = Pages::start(mastodon_site());
            let search = json_data("mastodon_search.json");
            assert!(mastodon.round(&case(2, headers.clone(), &search, "")).is_ok());
            let reddit = Pages::start(reddit_site());
            let listing = json_data("reddit_listing.json");
            assert!(reddit.round(&case(1, headers, &listing, "t3_1abc@1763632790")).is_ok());
        }
    }

    /// `expires_in: 1e300` in Reddit's token answer panicked in `Duration::from_secs_f64`.
    #[test]
    fn reddit_token_for_ever() {
        let pages = Pages::start(reddit_site());
        let mut token = json_data("reddit_token.json");
        token["expires_in"] = json!(1e300);
        assert!(pages.round(&case(4, vec![], &token, "")).is_ok());
    }
}
