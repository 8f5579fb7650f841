//! Table-driven tests of the query language (design §4) and of own-account exclusion.
//! Test-only; must not touch anything outside the matcher.

use super::{BrandRule, Matcher, Query, QueryError};
use crate::domain::{Author, Network, OwnAccount, Post};

fn post(text: &str, title: Option<&str>, net: Network, lang: Option<&str>, author: Option<&str>) -> Post {
    Post {
        network: net,
        id: "1".into(),
        url: None,
        author: author.map(|h| Author {
            handle: Some(h.into()),
            name: None,
        }),
        title: title.map(String::from),
        text: text.into(),
        created_at: None,
        reply_to: None,
        lang: lang.map(String::from),
        repost_of: None,
    }
}

/// Parses `q`, checks `post` with `Query::matches` and with a one-brand `Matcher` (which must agree).
fn check(q: &str, p: &Post, want: bool, failures: &mut Vec<String>) {
    let query = match Query::parse(q) {
        Ok(query) => query,
        Err(e) => return failures.push(format!("{q:?} failed to parse: {e}")),
    };
    let got = query.matches(p);
    let rule = BrandRule {
        name: "b".into(),
        query,
        own_accounts: vec![],
    };
    let via_matcher = Matcher::new(vec![rule]).matching_brands(p) == vec![0];
    if got != want || via_matcher != want {
        failures.push(format!(
            "{q:?} on {:?} / title {:?}: want {want}, got {got} (matcher {via_matcher})",
            p.text, p.title
        ));
    }
}

fn assert_clean(failures: &[String]) {
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

const DESIGN: &str = r#""acme cloud" OR acmecloud OR (acme AND (cloud OR hosting)) -careers"#;

/// (query, post text, expected) — text only, any network, no language or author.
#[rustfmt::skip]
const TEXT_ROWS: &[(&str, &str, bool)] = &[
    // Unicode case
    ("acme", "ACME rocks", true),
    ("äcme", "ÄCME GmbH", true),
    ("ÄCME", "wir lieben äcme", true),
    ("café", "CAFÉ au lait", true),
    ("ακμη", "Η ΑΚΜΗ είναι εδώ", true),
    ("ΟΔΟΣ*", "ΟΔΟΣΗΜΑΝΣΗ", true), // final sigma in the query, medial in the text
    ("акме", "Купил АКМЕ вчера", true),
    ("АКМЕ", "акмес", false),
    ("acme", "acmé", false),
    ("straße", "STRASSE", false), // lowercasing, not full case folding
    // word boundaries
    ("acme", "Acme's new plan", true),
    ("acme", "love #acme", true),
    ("acme", "ping @acme", true),
    ("acme", "see acme.com", true),
    ("acme", "(ACME)", true),
    ("acme", "acme", true),
    ("acme", "mention acme-cloud", true),
    ("acme", "acmes everywhere", false),
    ("acme", "macme", false),
    ("acme", "acme_corp", false),
    ("acme", "acme2", false),
    ("acme", "2acme", false),
    ("acme", "", false),
    ("acme", "macme acme", true),
    ("acme", "macme, acmes, (acme)", true),
    ("@acme", "thanks @acme!", true),
    ("@acme", "thanks acme", false),
    ("@acme", "mail bob@acme.com", true),
    ("@acme", "@acmeCloud", false),
    ("#acme", "#acme", true),
    ("#acme", "x#acme", true),
    ("#acme", "#acmes", false),
    ("c++", "I write C++ daily", true),
    ("c++", "c++11", true),
    ("c++", "abc++", false),
    ("acme.com", "visit ACME.COM today", true),
    ("acme.com", "visit acme.community", false),
    ("acme-cloud", "Acme-Cloud is down", true),
    ("acme-cloud", "acme cloud", false),
    ("acme:cloud", "acme:cloud rocks", true),
    ("https://acme.dev", "see https://acme.dev/docs", true),
    // prefixes
    ("acme*", "acmes", true),
    ("acme*", "acmeCloud", true),
    ("acme*", "the ACME", true),
    ("acme*", "#acmefest", true),
    ("acme*", "macmes", false),
    // phrases
    ("\"acme cloud\"", "Acme Cloud rocks", true),
    ("\"acme cloud\"", "acme\ncloud", true),
    ("\"acme cloud\"", "acme  \t cloud", true),
    ("\"acme cloud\"", "acme\r\n\r\ncloud", true),
    ("\"acme   cloud\"", "acme cloud", true),
    ("\"acme cloud\"", "acme acme cloud", true),
    ("\"acme cloud\"", "macme cloud, acme cloud", true),
    ("\"acme cloud\"", "cloud acme", false),
    ("\"acme cloud\"", "acme clouds", false),
    ("\"acme cloud\"", "macme cloud", false),
    ("\"acme cloud\"", "acmecloud", false),
    ("\"acme cloud\"", "acme, cloud", false),
    ("\"ÄCME Wolke\"", "äcme\nwolke", true),
    // AND, OR, NOT, precedence, parentheses
    ("acme cloud", "cloud by acme", true),
    ("acme cloud", "acme only", false),
    ("acme AND cloud", "acme cloud", true),
    ("acme AND cloud", "cloud", false),
    ("acme OR beta", "beta", true),
    ("acme OR beta", "gamma", false),
    ("a OR b c", "a", true),
    ("a OR b c", "b", false),
    ("a OR b c", "c b", true),
    ("acme cloud OR beta", "beta", true),
    ("acme cloud OR beta", "acme", false),
    ("NOT beta acme", "acme", true),
    ("NOT beta acme", "acme beta", false),
    ("acme -beta", "acme", true),
    ("acme -beta", "acme beta", false),
    ("acme -\"beta max\"", "acme beta", true),
    ("acme -\"beta max\"", "acme beta\nmax", false),
    ("acme -(jobs OR careers)", "acme news", true),
    ("acme -(jobs OR careers)", "acme careers", false),
    ("acme NOT (jobs OR careers)", "acme jobs", false),
    ("(acme OR beta) cloud", "beta cloud", true),
    ("(acme OR beta) cloud", "beta", false),
    ("((acme))", "ACME", true),
    ("-(-acme)", "acme", true),
    ("NOT NOT acme", "nothing", false),
    ("acme(cloud)", "cloud acme", true),
    ("acme OR\tbeta\n", "beta", true),
    // lowercase and/or/not are terms
    ("acme or beta", "beta", false),
    ("acme or beta", "acme or beta", true),
    ("rock and roll", "Rock AND roll", true),
    ("rock and roll", "rock roll", false),
    ("acme not", "acme is not bad", true),
    ("acme not", "acme is bad", false),
    // the design's example
    (DESIGN, "Does Acme Cloud support IPv6?", true),
    (DESIGN, "acmecloud careers", true),
    (DESIGN, "acme hosting", true),
    (DESIGN, "acme hosting careers", false),
    (DESIGN, "acme", false),
];

#[test]
fn text_rows() {
    let mut failures = Vec::new();
    for (q, text, want) in TEXT_ROWS {
        check(
            q,
            &post(text, None, Network::Mastodon, None, None),
            *want,
            &mut failures,
        );
    }
    assert_clean(&failures);
}

type PostRow = (
    &'static str,
    &'static str,
    Option<&'static str>,
    Network,
    Option<&'static str>,
    Option<&'static str>,
    bool,
);

/// (query, text, title, network, lang, author handle, expected).
#[rustfmt::skip]
const POST_ROWS: &[PostRow] = &[
    // title
    ("acme", "nothing here", Some("Acme launches"), Network::Reddit, None, None, true),
    ("acme cloud", "cloud is great", Some("ACME"), Network::Reddit, None, None, true),
    ("\"acme cloud\"", "cloud is great", Some("acme"), Network::Reddit, None, None, false),
    ("\"acme cloud\"", "x", Some("acme\ncloud"), Network::Reddit, None, None, true),
    ("acme -beta", "acme", Some("beta"), Network::Reddit, None, None, false),
    ("acme", "nothing", None, Network::Reddit, None, None, false),
    // network
    ("network:reddit acme", "acme", None, Network::Reddit, None, None, true),
    ("network:reddit acme", "acme", None, Network::Mastodon, None, None, false),
    ("network:Hackernews acme", "acme", None, Network::Hackernews, None, None, true),
    ("acme -network:x", "acme", None, Network::X, None, None, false),
    ("acme -network:x", "acme", None, Network::Bluesky, None, None, true),
    ("acme (network:reddit OR network:rss)", "acme", None, Network::Rss, None, None, true),
    ("NETWORK:replay acme", "acme", None, Network::Replay, None, None, true),
    // lang
    ("lang:en acme", "acme", None, Network::Mastodon, Some("en"), None, true),
    ("lang:en acme", "acme", None, Network::Mastodon, Some("EN"), None, true),
    ("lang:en acme", "acme", None, Network::Mastodon, Some("en-US"), None, true),
    ("lang:en acme", "acme", None, Network::Mastodon, Some("en_GB"), None, true),
    ("lang:en acme", "acme", None, Network::Mastodon, Some("eng"), None, false),
    ("lang:en acme", "acme", None, Network::Mastodon, Some("de"), None, false),
    ("lang:en acme", "acme", None, Network::Mastodon, None, None, false),
    ("lang:en-us acme", "acme", None, Network::Mastodon, Some("en-US"), None, true),
    ("lang:en-us acme", "acme", None, Network::Mastodon, Some("en"), None, false),
    ("acme -lang:de", "acme", None, Network::Mastodon, None, None, true),
    ("acme -lang:de", "acme", None, Network::Mastodon, Some("de-AT"), None, false),
    // author
    ("author:@bob@example.social acme", "acme", None, Network::Mastodon, None, Some("@Bob@Example.social"), true),
    ("author:bob@example.social acme", "acme", None, Network::Mastodon, None, Some("@bob@example.social"), true),
    ("author:@bob@example.social acme", "acme", None, Network::Mastodon, None, Some("bob@example.social"), true),
    ("author:@bob@example.social acme", "acme", None, Network::Mastodon, None, Some("alice@example.social"), false),
    ("author:@bob@example.social acme", "acme", None, Network::Mastodon, None, None, false),
    ("acme -author:spambot", "acme", None, Network::Bluesky, None, Some("SpamBot"), false),
];

#[test]
fn post_rows() {
    let mut failures = Vec::new();
    for (q, text, title, net, lang, author, want) in POST_ROWS {
        check(q, &post(text, *title, *net, *lang, *author), *want, &mut failures);
    }
    assert_clean(&failures);
}

const NEG: &str = "this query can match posts that mention none of its terms; add a positive term";
const UNTERMINATED: &str = "unterminated phrase: expected a closing `\"`";
const AFTER_MINUS: &str = "expected a term, phrase or `(` right after `-`";

/// (query, column, message).
#[rustfmt::skip]
const REJECTED: &[(&str, usize, &str)] = &[
    ("", 1, "empty query"),
    ("  \t ", 1, "empty query"),
    ("(acme", 6, "expected `)` to close the `(` at column 1"),
    ("ab (acme OR (b)", 16, "expected `)` to close the `(` at column 4"),
    ("äöü (x", 7, "expected `)` to close the `(` at column 5"),
    ("acme)", 5, "unexpected `)`"),
    (")", 1, "unexpected `)`"),
    ("(a) b)", 6, "unexpected `)`"),
    ("\"acme cloud", 1, UNTERMINATED),
    ("acme \"cloud", 6, UNTERMINATED),
    ("\"a\" \"b", 5, UNTERMINATED),
    ("acme OR", 8, "expected a term after `OR`"),
    ("acme OR OR beta", 9, "expected a term after `OR`"),
    ("(acme OR)", 9, "expected a term after `OR`"),
    ("OR acme", 1, "expected a term before `OR`"),
    ("acme AND", 9, "expected a term after `AND`"),
    ("acme AND OR b", 10, "expected a term after `AND`"),
    ("AND acme", 1, "expected a term before `AND`"),
    ("acme NOT", 9, "expected a term after `NOT`"),
    ("NOT", 4, "expected a term after `NOT`"),
    ("acme ()", 7, "expected a term after `(`"),
    ("acme -", 7, AFTER_MINUS),
    ("acme - beta", 7, AFTER_MINUS),
    ("acme --beta", 7, AFTER_MINUS),
    ("acme -OR b", 7, AFTER_MINUS),
    ("-acme", 1, NEG),
    ("NOT acme", 1, NEG),
    ("NOT (a OR b)", 1, NEG),
    ("-a -b", 1, NEG),
    ("network:reddit", 1, NEG),
    ("network:reddit -acme", 1, NEG),
    ("lang:en author:bob", 1, NEG),
    ("acme OR -beta", 1, NEG),
    ("acme OR NOT beta", 1, NEG),
    ("acme OR lang:en", 1, NEG),
    ("NOT (acme network:x)", 1, NEG),
    ("network:myspace acme", 9, "unknown network `myspace` (expected one of: mastodon, bluesky, reddit, hackernews, rss, x, replay)"),
    ("acme network:", 6, "`network:` needs a value"),
    ("acme network: reddit", 6, "`network:` needs a value"),
    ("acme lang:", 6, "`lang:` needs a value"),
    ("acme author:@", 6, "`author:` needs a value"),
    ("acme lang:e*", 11, "`e*` is not a language code (expected e.g. `en` or `pt-BR`)"),
    ("acme \"\"", 6, "empty phrase: expected words between the `\"`"),
    ("acme \" \"", 6, "empty phrase: expected words between the `\"`"),
    ("acme *", 6, "`*` needs a word before it, as in `acme*`"),
];

#[test]
fn rejected_queries() {
    let mut failures = Vec::new();
    for (q, column, message) in REJECTED {
        let want = QueryError {
            column: *column,
            message: message.to_string(),
        };
        match Query::parse(q) {
            Err(got) if got == want => {}
            Err(got) => failures.push(format!("{q:?}: want `{want}`, got `{got}`")),
            Ok(_) => failures.push(format!("{q:?}: want `{want}`, but it parsed")),
        }
    }
    assert_clean(&failures);
}

#[test]
fn errors_display_and_queries_keep_their_source() {
    let err = Query::parse("acme OR").err().map(|e| e.to_string());
    assert_eq!(err.as_deref(), Some("column 8: expected a term after `OR`"));
    let boxed: Box<dyn std::error::Error> = Box::new(QueryError::new(1, "empty query"));
    assert_eq!(boxed.to_string(), "column 1: empty query");
    let q: Query = "acme  OR beta".parse().unwrap();
    assert_eq!(q.as_str(), "acme  OR beta");
    assert_eq!(q.clone().to_string(), "acme  OR beta");
}

#[test]
fn deep_nesting_is_refused_not_overflowed() {
    let deep = format!("{}acme{}", "(".repeat(10_000), ")".repeat(10_000));
    let err = Query::parse(&deep).err().map(|e| e.column);
    assert_eq!(err, Some(65));
    let ok = format!("{}acme{}", "(".repeat(64), ")".repeat(64));
    assert!(Query::parse(&ok).is_ok());
    assert!(Query::parse(&format!("{}acme", "NOT ".repeat(10_000))).is_err());
}

const ACME_OWN: &[&str] = &["mastodon:@acme@mastodon.social", "bluesky:acme.bsky.social"];

fn brands() -> Matcher {
    let rule = |name: &str, q: &str, accounts: &[&str]| BrandRule {
        name: name.into(),
        query: Query::parse(q).unwrap(),
        own_accounts: accounts.iter().map(|a| a.parse::<OwnAccount>().unwrap()).collect(),
    };
    Matcher::new(vec![
        rule("Acme", "acme", ACME_OWN),
        rule("Watcher", "acme OR beta", &[]),
        rule("Beta", "beta", &["mastodon:@beta@example.social"]),
    ])
}

/// (network, author handle, text, brands expected).
#[rustfmt::skip]
const OWN_ROWS: &[(Network, Option<&str>, &str, &[usize])] = &[
    (Network::Mastodon, Some("@acme@mastodon.social"), "acme news", &[1]),
    (Network::Mastodon, Some("ACME@Mastodon.Social"), "acme news", &[1]),
    (Network::Bluesky, Some("acme.bsky.social"), "acme and beta", &[1, 2]),
    (Network::Reddit, Some("acme@mastodon.social"), "acme", &[0, 1]),
    (Network::Mastodon, Some("@bob@example.social"), "acme", &[0, 1]),
    (Network::Mastodon, None, "acme beta", &[0, 1, 2]),
    (Network::Mastodon, Some("@beta@example.social"), "acme beta", &[0, 1]),
    (Network::Mastodon, Some("@bob@example.social"), "nothing", &[]),
];

#[test]
fn own_accounts_are_never_mentions() {
    let m = brands();
    let mut failures = Vec::new();
    for (net, author, text, want) in OWN_ROWS {
        let p = post(text, None, *net, None, *author);
        let got = m.matching_brands(&p);
        if got != *want {
            failures.push(format!("{net} {author:?} {text:?}: want {want:?}, got {got:?}"));
        }
    }
    assert_clean(&failures);
    // The query alone still matches an own post; only the matcher skips it.
    let (net, author, text, _) = OWN_ROWS[0];
    let own_post = post(text, None, net, None, author);
    assert!(m.brands()[0].query.matches(&own_post));
    let names: Vec<_> = m.brands().iter().map(|b| b.name.as_str()).collect();
    assert_eq!(names, ["Acme", "Watcher", "Beta"]);
}

#[test]
fn search_terms_are_the_positive_words_and_phrases() {
    let q =
        Query::parse(r#"("acme cloud" OR acmecloud OR (Acme AND (cloud OR hosting*))) -careers NOT (x -y)"#).unwrap();
    assert_eq!(
        q.search_terms(),
        ["acme cloud", "acmecloud", "acme", "cloud", "hosting", "y"]
    );
}

#[test]
fn the_prefilter_agrees_with_evaluating_every_brand() {
    let queries = [
        "acme",
        "acmecloud",
        "acme*",
        r#""acme cloud" OR acmecloud OR (acme AND (cloud OR hosting)) -careers"#,
        "cloud AND acme",
        "network:reddit acme",
        "lang:en (beta OR gamma)",
        "@acme",
        "#acme",
        "c++",
        "σοφία",
        "ΣΟΦΙΑΣ",
        "köln",
        "東京",
        "NOT NOT acme",
        "-(x) y*",
    ];
    let rules = queries
        .iter()
        .enumerate()
        .map(|(i, q)| BrandRule {
            name: format!("b{i}"),
            query: Query::parse(q).unwrap_or_else(|e| panic!("{q}: {e}")),
            own_accounts: vec![],
        })
        .collect();
    let m = Matcher::new(rules);
    let texts = [
        "ACMECloud is down",
        "acme cloud hosting",
        "I love Acme's cloud",
        "macme acmes acme_x",
        "ask @acme about #acme and c++",
        "ΣΟΦΊΑ and σοφίας",
        "Σοφιας",
        "KÖLN und Köln",
        "東京タワー",
        "acme careers page",
        "yellow gamma rays",
        "",
        "nothing here",
    ];
    for text in texts {
        for title in [None, Some("Acme news"), Some("BETA")] {
            for net in [Network::Reddit, Network::Mastodon] {
                let p = post(text, title, net, Some("en-US"), None);
                assert_eq!(
                    m.matching_brands(&p),
                    m.matching_brands_exhaustive(&p),
                    "{text:?} / {title:?} on {net}"
                );
            }
        }
    }
    let p = post("ACMECloud is down", None, Network::Mastodon, None, None);
    assert_eq!(m.matching_brands(&p), [1, 2, 3]);
}

#[test]
fn folding_into_a_buffer_equals_folding() {
    for s in [
        "",
        "ACME Cloud",
        "ΣΟΦΙΑΣ abc Σ",
        "İstanbul ẞ ǅ Ⅻ",
        "mixed café 東京 ACME 🚀 ÉCOLE",
        "ascii only",
    ] {
        let mut buf = String::from("kept ");
        super::fold::fold_into(s, &mut buf);
        assert_eq!(buf, format!("kept {}", super::fold::fold(s)), "{s:?}");
    }
}

#[test]
fn folding_finds_the_words_of_the_folded_text() {
    use super::fold::{fold, fold_words_into, is_word_char};
    for s in [
        "",
        "x",
        "ACME, Cloud!",
        "  @acme #acme c++ acme_x 3.5 ",
        "İstanbul ẞ ǅ Ⅻ",
        "mixed café東京 ACME 🚀ÉCOLE σοφίαΣ",
        "Ωmega-ω",
        "Seven_7 EIGHT_8! nine99999 a_b-c.d/e:f@g#h[i]j`k{l}m~n^o\\p\"q'r",
        "ABCDEFGH",
        "abcdefg",
        "abcdefghi",
        "       x",
        "x       ",
        "_______ _",
        "aé",
        "éa",
        "a\u{80}b",
        "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_/:@[`{\x7f\t\n",
    ]
    .into_iter()
    .map(String::from)
    // Every ASCII byte between two letters and at either end, across chunk edges.
    .chain((0u8..128).map(|b| format!("ab{}cdefg{}", b as char, b as char)))
    .chain((0u8..128).map(|b| format!("{}bcdefgh", b as char)))
    {
        let s = s.as_str();
        let folded = fold(s);
        // Reference: the maximal runs of word chars, char by char.
        let mut want = Vec::new();
        let mut open = None;
        for (i, c) in folded.char_indices().chain([(folded.len(), ' ')]) {
            match (is_word_char(c), open) {
                (true, None) => open = Some(i),
                (false, Some(start)) => {
                    want.extend([start, i]);
                    open = None;
                }
                _ => {}
            }
        }
        let (mut out, mut bounds) = (String::new(), vec![7]);
        fold_words_into(s, &mut out, &mut bounds);
        assert_eq!(out, folded, "{s:?}");
        assert_eq!(bounds, want, "{s:?}");
    }
}

#[test]
fn every_char_folds_and_counts_as_a_word_char_as_the_standard_library_says() {
    use super::fold::{fold, fold_words_into, is_word_char};
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    let (mut out, mut bounds) = (String::new(), Vec::new());
    // The Basic Multilingual Plane (the table) and the plane after it (the slow path).
    for c in (0..0x2_0000u32).filter_map(char::from_u32) {
        assert_eq!(is_word_char(c), is_word(c), "{c:?}");
        let s = format!("a{c}");
        out.clear();
        fold_words_into(&s, &mut out, &mut bounds);
        let folded = fold(&s);
        assert_eq!(out, folded, "{c:?}");
        // The maximal runs of word chars of the folded text.
        let mut runs = Vec::new();
        for (i, l) in folded.char_indices().chain([(folded.len(), ' ')]) {
            if is_word(l) != (runs.len() % 2 == 1) {
                runs.push(i);
            }
        }
        assert_eq!(bounds, runs, "{c:?}");
    }
}
