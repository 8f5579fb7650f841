//! A reproducible corpus for matcher benchmarks and tests: R brand queries and N posts of
//! realistic shape. Shared by `benches/matcher.rs`, `benches/gen_corpus.rs` (the `gen-corpus`
//! example) and `tests/matcher_equivalence.rs` through `#[path]`; it knows nothing of talkback's
//! types, it only writes query strings (design §4) and post JSON (design §3).
//!
//! Determinism: the same seed gives the same brands and posts, on every machine. `brands(n, s)`
//! is a prefix of `brands(m, s)` for n < m, and the posts for one seed share their words whatever
//! the brands: only the inserted mentions (which brand, which form) depend on the brand list.
//!
//! Shape: brand words are made-up syllable words ("zentrova"), about 10% Cyrillic, Greek, CJK or
//! accented; queries are terms, `"brand product"` phrases, `brand*` prefixes, `brand AND (…)`,
//! exclusions, `@brand OR #brand`, and a few fields. Post texts are 5–60 words drawn Zipf-like from
//! a large vocabulary in several scripts, with emoji, hashtags, handles and links; about 2% of
//! posts mention a brand (in lower, UPPER or Title case, sometimes as `#brand`, `brand's`, …) and
//! about 2% hold a near miss (`zentrovas`, `xzentrova`, `zentrova_hq`) that must not match a term.

#![allow(dead_code)]

use std::collections::HashSet;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;

/// One generated brand: what goes into `talkback.toml`, plus what the post generator needs to
/// write mentions of it.
#[derive(Debug, Clone)]
pub struct Brand {
    pub name: String,
    pub query: String,
    /// The query's positive terms and phrases (not under a NOT), as a search box or
    /// `grep -F` would take them; a prefix `acme*` gives `acme`.
    pub terms: Vec<String>,
    /// Ways to mention the brand so that its query matches: each a list of pieces, every piece
    /// inserted at its own place in the post (`brand` … `cloud` for `brand AND cloud`).
    mentions: Vec<Vec<String>>,
    /// Words that, added to a mention, make the query reject the post (its exclusions).
    spoilers: Vec<String>,
    /// The distinctive word, folded; near misses are built from it.
    word: String,
    script: Script,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Script {
    Latin,
    Accented,
    Cyrillic,
    Greek,
    Cjk,
}

// ---------------------------------------------------------------------------------------------
// Word material

const ONSETS: &[&str] = &[
    "b", "c", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z", "br", "cr", "dr", "fr", "gr", "kr",
    "pl", "tr", "st", "sk", "sp", "zh", "qu", "x", "j", "h", "w", "bl", "gl",
];
const VOWELS: &[&str] = &["a", "e", "i", "o", "u", "a", "e", "o", "ia", "io", "ou", "ae", "y"];
const CODAS: &[&str] = &["", "", "", "", "n", "r", "s", "x", "l", "m", "nt", "rk", "v"];

const CYR_ONSETS: &[&str] = &[
    "б", "в", "г", "д", "ж", "з", "к", "л", "м", "н", "п", "р", "с", "т", "ф", "х", "ц", "ч", "ш", "ст", "тр", "кр",
];
const CYR_VOWELS: &[&str] = &["а", "е", "и", "о", "у", "я", "ю", "ы", "ё"];
const CYR_CODAS: &[&str] = &["", "", "", "н", "р", "с", "к", "й", "л"];

const GRK_ONSETS: &[&str] = &[
    "β", "γ", "δ", "ζ", "θ", "κ", "λ", "μ", "ν", "ξ", "π", "ρ", "σ", "τ", "φ", "χ", "ψ", "στ", "τρ",
];
const GRK_VOWELS: &[&str] = &["α", "ε", "η", "ι", "ο", "υ", "ω", "ά", "έ", "ί", "ό", "ώ"];
const GRK_CODAS: &[&str] = &["", "", "", "ν", "ρ", "λ"];

/// Han characters and katakana for CJK words; vocabulary and brands share them, so CJK brand
/// words also occur inside runs of CJK text, where (no word boundary) they do not match.
const HAN: &str = "星辰云天地人山水火木金土日月光明风雨雪花草树林海河江湖中国大小上下东西南北新旧高低长短\
                   多少快慢好坏美丽爱心手口目耳头足白黑红绿蓝黄紫电车船飞机网络数据智能科技公司服务产品市场\
                   价格质量支付银行医疗健康音乐游戏安全分析平台应用开发设计工程系统软件硬件信息通信城市生活";
const KATAKANA: &str = "アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワン";

/// Frequent English words: the head of the Latin vocabulary (they get the highest ranks).
const COMMON: &[&str] = &[
    "the",
    "a",
    "to",
    "and",
    "of",
    "is",
    "in",
    "it",
    "you",
    "that",
    "for",
    "i",
    "on",
    "with",
    "this",
    "my",
    "be",
    "are",
    "have",
    "was",
    "not",
    "but",
    "just",
    "so",
    "at",
    "your",
    "we",
    "they",
    "can",
    "if",
    "what",
    "from",
    "me",
    "all",
    "get",
    "do",
    "like",
    "about",
    "out",
    "one",
    "up",
    "has",
    "will",
    "there",
    "an",
    "by",
    "or",
    "how",
    "no",
    "new",
    "more",
    "when",
    "now",
    "time",
    "people",
    "would",
    "good",
    "know",
    "them",
    "think",
    "some",
    "really",
    "day",
    "today",
    "still",
    "use",
    "who",
    "any",
    "their",
    "been",
    "app",
    "cloud",
    "support",
    "help",
    "why",
    "much",
    "anyone",
    "thanks",
    "great",
    "work",
    "does",
    "need",
    "want",
    "update",
    "free",
    "price",
    "pricing",
    "account",
    "service",
    "customer",
    "issue",
    "bug",
    "problem",
    "broken",
    "love",
    "hate",
    "better",
    "worse",
    "best",
    "worst",
    "review",
    "launch",
    "release",
    "version",
    "feature",
    "features",
    "login",
    "password",
    "phone",
    "web",
    "site",
    "team",
    "company",
    "product",
    "order",
    "delivery",
    "refund",
    "money",
    "pay",
    "subscription",
    "plan",
    "week",
    "month",
    "year",
    "again",
    "never",
    "always",
    "finally",
    "anyone",
    "else",
    "tried",
    "switch",
    "switched",
    "vs",
    "hosting",
    "server",
    "data",
    "privacy",
    "security",
    "api",
    "docs",
    "mobile",
    "android",
    "ios",
    "desktop",
    "careers",
    "hiring",
    "jobs",
    "job",
    "offer",
    "promo",
    "code",
    "giveaway",
    "coupon",
    "spam",
    "followers",
    "game",
    "music",
    "video",
    "photo",
    "news",
    "story",
    "thread",
    "post",
    "reply",
    "comment",
    "link",
    "check",
    "open",
    "source",
    "rust",
    "python",
    "email",
    "mail",
    "maps",
    "drive",
    "bank",
    "shop",
    "home",
    "health",
    "tv",
    "studio",
    "labs",
    "hub",
    "go",
    "pro",
    "ai",
    "connect",
    "store",
    "music",
    "slow",
    "fast",
    "down",
    "outage",
    "working",
    "fixed",
    "waiting",
    "hours",
    "days",
    "ticket",
    "answer",
    "answered",
    "nobody",
    "please",
    "lol",
    "ok",
    "yes",
    "yeah",
    "nope",
    "wow",
    "omg",
    "cool",
    "nice",
    "awesome",
    "terrible",
    "awful",
    "amazing",
    "meh",
];
const ACCENTED_WORDS: &[&str] = &[
    "café",
    "über",
    "naïve",
    "déjà",
    "vu",
    "résumé",
    "façade",
    "jalapeño",
    "señor",
    "niño",
    "mañana",
    "crème",
    "brûlée",
    "élan",
    "fiancé",
    "piñata",
    "smörgåsbord",
    "straße",
    "grüße",
    "müller",
    "öffnen",
    "schön",
    "français",
    "très",
    "bientôt",
    "où",
    "là",
    "garçon",
    "ação",
    "não",
    "coração",
    "está",
    "também",
    "você",
    "está",
    "más",
    "qué",
    "cómo",
    "añadir",
    "über",
    "hübsch",
    "för",
    "på",
    "även",
    "københavn",
    "æble",
    "ø",
    "şehir",
    "çok",
];
const EMOJI: &[&str] = &[
    "🚀",
    "🔥",
    "😂",
    "👍",
    "❤️",
    "🎉",
    "🙏",
    "👀",
    "✨",
    "💯",
    "😭",
    "🤔",
    "🇩🇪",
    "🇯🇵",
    "👩‍💻",
    "☕",
    "😡",
    "🙄",
];
const PRODUCTS: &[&str] = &[
    "cloud",
    "app",
    "pay",
    "studio",
    "labs",
    "drive",
    "mail",
    "maps",
    "bank",
    "hub",
    "go",
    "pro",
    "ai",
    "one",
    "connect",
    "docs",
    "shop",
    "tv",
    "music",
    "home",
    "health",
    "games",
    "security",
    "analytics",
    "api",
];
const EXCLUDED_WORDS: &[&str] = &[
    "careers",
    "hiring",
    "jobs",
    "giveaway",
    "coupon",
    "spam",
    "recruiter",
    "internship",
];
const EXCLUDED_PHRASES: &[&str] = &["job offer", "promo code", "we are hiring", "free followers"];
const NETWORKS: &[(&str, u32)] = &[
    ("mastodon", 20),
    ("bluesky", 25),
    ("reddit", 18),
    ("hackernews", 7),
    ("rss", 5),
    ("x", 20),
    ("replay", 5),
];
const LINK_HOSTS: &[&str] = &["example.com", "example.org", "blog.example.net", "news.example.com"];

fn pick<'a, T>(rng: &mut StdRng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

fn pick_str<'a>(rng: &mut StdRng, items: &[&'a str]) -> &'a str {
    items[rng.random_range(0..items.len())]
}

/// Picks by weight from `(item, weight)` pairs.
fn pick_weighted<'a, T>(rng: &mut StdRng, items: &'a [(T, u32)]) -> &'a T {
    let total: u32 = items.iter().map(|(_, w)| w).sum();
    let mut r = rng.random_range(0..total);
    for (item, w) in items {
        if r < *w {
            return item;
        }
        r -= w;
    }
    &items[items.len() - 1].0
}

fn syllable_word(rng: &mut StdRng, syllables: usize, onsets: &[&str], vowels: &[&str], codas: &[&str]) -> String {
    let mut w = String::new();
    for i in 0..syllables {
        w.push_str(pick_str(rng, onsets));
        w.push_str(pick_str(rng, vowels));
        // Codas mostly at the end, so words stay pronounceable.
        if i + 1 == syllables || rng.random_bool(0.25) {
            w.push_str(pick_str(rng, codas));
        }
    }
    w
}

fn chars_word(rng: &mut StdRng, alphabet: &[char], len: usize) -> String {
    (0..len).map(|_| *pick(rng, alphabet)).collect()
}

/// Replaces one vowel of a Latin word with an accented one ("zéntrova").
fn accent(rng: &mut StdRng, word: &str) -> String {
    let spots: Vec<usize> = word
        .char_indices()
        .filter(|(_, c)| "aeiou".contains(*c))
        .map(|(i, _)| i)
        .collect();
    if spots.is_empty() {
        return format!("{word}é");
    }
    let at = *pick(rng, &spots);
    let c = word[at..].chars().next().unwrap_or('a');
    let with: &[char] = match c {
        'a' => &['á', 'à', 'â', 'ä', 'å'],
        'e' => &['é', 'è', 'ê', 'ë'],
        'i' => &['í', 'î', 'ï'],
        'o' => &['ó', 'ô', 'ö', 'ø'],
        _ => &['ú', 'û', 'ü'],
    };
    let mut out = String::with_capacity(word.len() + 2);
    out.push_str(&word[..at]);
    out.push(*pick(rng, with));
    out.push_str(&word[at + c.len_utf8()..]);
    out
}

/// Upper-cases the first character of each whitespace-separated word.
fn title_case(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 4);
    let mut at_start = true;
    for c in s.chars() {
        if at_start && c.is_alphabetic() {
            out.extend(c.to_uppercase());
            at_start = false;
        } else {
            if c.is_whitespace() {
                at_start = true;
            } else if c.is_alphanumeric() {
                at_start = false;
            }
            out.push(c);
        }
    }
    out
}

/// The way people write names: mostly lower or Title case, sometimes SHOUTED.
fn random_case(rng: &mut StdRng, s: &str) -> String {
    match rng.random_range(0..10) {
        0..=3 => s.to_string(),
        4..=7 => title_case(s),
        _ => s.to_uppercase(),
    }
}

/// A Zipf-like sampler over ranks 0..n: rank k has weight 1/(k+1)^s.
struct Zipf {
    cdf: Vec<f64>,
}

impl Zipf {
    fn new(n: usize, s: f64) -> Zipf {
        let mut total = 0.0;
        let cdf = (0..n)
            .map(|k| {
                total += 1.0 / ((k + 1) as f64).powf(s);
                total
            })
            .collect();
        Zipf { cdf }
    }

    fn sample(&self, rng: &mut StdRng) -> usize {
        let total = *self.cdf.last().unwrap_or(&1.0);
        let u = rng.random::<f64>() * total;
        self.cdf.partition_point(|&c| c < u).min(self.cdf.len() - 1)
    }
}

struct Vocab {
    words: Vec<String>,
    zipf: Zipf,
}

impl Vocab {
    fn new(words: Vec<String>) -> Vocab {
        let zipf = Zipf::new(words.len(), 1.05);
        Vocab { words, zipf }
    }

    fn word(&self, rng: &mut StdRng) -> &str {
        &self.words[self.zipf.sample(rng)]
    }
}

/// Every script's vocabulary, built from a fixed seed of its own: the same for every corpus.
struct Vocabularies {
    latin: Vocab,
    accented: Vocab,
    cyrillic: Vocab,
    greek: Vocab,
    cjk: Vocab,
    /// Every word of every vocabulary, sorted: brand words are chosen outside of it.
    sorted: Vec<String>,
}

impl Vocabularies {
    fn new() -> Vocabularies {
        let mut rng = StdRng::seed_from_u64(0x7a11_bac4);
        let han: Vec<char> = HAN.chars().filter(|c| !c.is_whitespace()).collect();
        let kata: Vec<char> = KATAKANA.chars().collect();

        let mut seen: HashSet<String> = HashSet::new();
        let mut latin: Vec<String> = Vec::new();
        for w in COMMON {
            if seen.insert(w.to_string()) {
                latin.push(w.to_string());
            }
        }
        while latin.len() < 20_000 {
            let syl = *pick(&mut rng, &[1, 2, 2, 2, 3, 3]);
            let w = syllable_word(&mut rng, syl, ONSETS, VOWELS, CODAS);
            if seen.insert(w.clone()) {
                latin.push(w);
            }
        }
        let mut accented: Vec<String> = Vec::new();
        for w in ACCENTED_WORDS {
            if seen.insert(w.to_string()) {
                accented.push(w.to_string());
            }
        }
        while accented.len() < 2_000 {
            let syl = rng.random_range(1..=3);
            let plain = syllable_word(&mut rng, syl, ONSETS, VOWELS, CODAS);
            let w = accent(&mut rng, &plain);
            if seen.insert(w.clone()) {
                accented.push(w);
            }
        }
        let mut cyrillic: Vec<String> = Vec::new();
        while cyrillic.len() < 4_000 {
            let syl = rng.random_range(1..=3);
            let w = syllable_word(&mut rng, syl, CYR_ONSETS, CYR_VOWELS, CYR_CODAS);
            if seen.insert(w.clone()) {
                cyrillic.push(w);
            }
        }
        let mut greek: Vec<String> = Vec::new();
        while greek.len() < 2_000 {
            let syl = rng.random_range(1..=3);
            let mut w = syllable_word(&mut rng, syl, GRK_ONSETS, GRK_VOWELS, GRK_CODAS);
            if rng.random_bool(0.3) {
                w.push('ς');
            }
            if seen.insert(w.clone()) {
                greek.push(w);
            }
        }
        let mut cjk: Vec<String> = Vec::new();
        while cjk.len() < 3_000 {
            let w = if rng.random_bool(0.8) {
                let len = *pick(&mut rng, &[1, 2, 2, 2]);
                chars_word(&mut rng, &han, len)
            } else {
                let len = rng.random_range(2..=4);
                chars_word(&mut rng, &kata, len)
            };
            if seen.insert(w.clone()) {
                cjk.push(w);
            }
        }
        let mut sorted: Vec<String> = seen.into_iter().collect();
        sorted.sort_unstable();
        Vocabularies {
            latin: Vocab::new(latin),
            accented: Vocab::new(accented),
            cyrillic: Vocab::new(cyrillic),
            greek: Vocab::new(greek),
            cjk: Vocab::new(cjk),
            sorted,
        }
    }

    /// True when `word` is a vocabulary word or begins one (so `word*` would match it).
    fn clashes(&self, word: &str) -> bool {
        let i = self.sorted.partition_point(|w| w.as_str() < word);
        self.sorted.get(i).is_some_and(|w| w.starts_with(word))
    }
}

// ---------------------------------------------------------------------------------------------
// Brands

/// `count` brands from `seed`: distinct names and queries, all valid per design §4.
pub fn brands(count: usize, seed: u64) -> Vec<Brand> {
    let vocab = Vocabularies::new();
    let mut rng = StdRng::seed_from_u64(seed ^ 0xb4a2_d5e7_0000_0001);
    let han: Vec<char> = HAN.chars().filter(|c| !c.is_whitespace()).collect();
    let kata: Vec<char> = KATAKANA.chars().collect();
    let mut words: HashSet<String> = HashSet::new();
    let mut queries: HashSet<String> = HashSet::new();
    let mut out = Vec::with_capacity(count);
    while out.len() < count {
        let script = match rng.random_range(0..100) {
            0..=3 => Script::Cyrillic,
            4..=5 => Script::Greek,
            6..=7 => Script::Cjk,
            8..=9 => Script::Accented,
            _ => Script::Latin,
        };
        let word = match script {
            Script::Latin => {
                let syl = *pick(&mut rng, &[3, 3, 3, 4]);
                syllable_word(&mut rng, syl, ONSETS, VOWELS, CODAS)
            }
            Script::Accented => {
                let syl = *pick(&mut rng, &[2, 3, 3]);
                let plain = syllable_word(&mut rng, syl, ONSETS, VOWELS, CODAS);
                accent(&mut rng, &plain)
            }
            Script::Cyrillic => syllable_word(&mut rng, 3, CYR_ONSETS, CYR_VOWELS, CYR_CODAS),
            Script::Greek => {
                let mut w = syllable_word(&mut rng, 3, GRK_ONSETS, GRK_VOWELS, GRK_CODAS);
                if rng.random_bool(0.3) {
                    w.push('ς');
                }
                w
            }
            Script::Cjk => {
                if rng.random_bool(0.7) {
                    let len = rng.random_range(2..=3);
                    chars_word(&mut rng, &han, len)
                } else {
                    let len = rng.random_range(3..=5);
                    chars_word(&mut rng, &kata, len)
                }
            }
        };
        if words.contains(&word) || vocab.clashes(&word) {
            continue;
        }
        let brand = brand_for(&mut rng, word.clone(), script);
        if !queries.insert(brand.query.clone()) {
            continue;
        }
        words.insert(word);
        out.push(brand);
    }
    out
}

/// Builds one brand's name, query, terms and mention forms around its word `b`.
fn brand_for(rng: &mut StdRng, b: String, script: Script) -> Brand {
    let p = pick(rng, PRODUCTS).to_string();
    let q = loop {
        let q = pick(rng, PRODUCTS).to_string();
        if q != p {
            break q;
        }
    };
    let e = pick(rng, EXCLUDED_WORDS).to_string();
    let bp = format!("{b} {p}");
    let glued = format!("{b}{p}");
    let template = if script == Script::Latin {
        pick_weighted(
            rng,
            &[
                (1, 25),
                (2, 12),
                (3, 8),
                (4, 8),
                (5, 10),
                (6, 8),
                (7, 5),
                (8, 7),
                (9, 5),
                (10, 5),
                (11, 4),
                (12, 3),
            ],
        )
    } else if script == Script::Cjk {
        pick_weighted(rng, &[(1, 50), (2, 20), (5, 20), (10, 10)])
    } else {
        pick_weighted(rng, &[(1, 40), (2, 20), (3, 15), (5, 15), (10, 10)])
    };
    let one = |s: &str| vec![vec![s.to_string()]];
    let (query, terms, mentions, spoilers): (String, Vec<String>, Vec<Vec<String>>, Vec<String>) = match *template {
        1 => (b.clone(), vec![b.clone()], one(&b), vec![]),
        2 => (format!("\"{bp}\""), vec![bp.clone()], one(&bp), vec![]),
        3 => (
            format!("{b}*"),
            vec![b.clone()],
            vec![vec![b.clone()], vec![format!("{b}s")], vec![glued.clone()]],
            vec![],
        ),
        4 => {
            let query = if rng.random_bool(0.5) {
                format!("{b} AND ({p} OR {q})")
            } else {
                format!("{b} ({p} OR {q})")
            };
            let mentions = vec![vec![b.clone(), p.clone()], vec![b.clone(), q.clone()], vec![bp.clone()]];
            (query, vec![b.clone(), p.clone(), q.clone()], mentions, vec![])
        }
        5 => {
            let (query, spoiler) = match rng.random_range(0..4) {
                0 => (format!("{b} -{e}"), e.clone()),
                1 => (format!("{b} NOT {e}"), e.clone()),
                2 => {
                    let ph = pick(rng, EXCLUDED_PHRASES);
                    (format!("{b} -\"{ph}\""), ph.to_string())
                }
                _ => {
                    let ph = pick(rng, EXCLUDED_PHRASES);
                    (format!("{b} NOT \"{ph}\""), ph.to_string())
                }
            };
            (query, vec![b.clone()], one(&b), vec![spoiler])
        }
        6 => (
            format!("\"{bp}\" OR {glued} OR ({b} AND ({p} OR {q})) -{e}"),
            vec![bp.clone(), glued.clone(), b.clone(), p.clone(), q.clone()],
            vec![vec![bp.clone()], vec![glued.clone()], vec![b.clone(), q.clone()]],
            vec![e.clone()],
        ),
        7 => (
            format!("@{b} OR #{b} OR \"{bp}\""),
            vec![format!("@{b}"), format!("#{b}"), bp.clone()],
            vec![vec![format!("@{b}")], vec![format!("#{b}")], vec![bp.clone()]],
            vec![],
        ),
        8 => match rng.random_range(0..5) {
            0 => (format!("{b} lang:en"), vec![b.clone()], one(&b), vec![]),
            1 => {
                let net = pick_weighted(rng, NETWORKS);
                (format!("{b} network:{net}"), vec![b.clone()], one(&b), vec![])
            }
            2 => (
                format!("({b} OR \"{bp}\") -network:x"),
                vec![b.clone(), bp.clone()],
                vec![vec![b.clone()], vec![bp.clone()]],
                vec![],
            ),
            3 => (format!("{b} (lang:de OR lang:fr)"), vec![b.clone()], one(&b), vec![]),
            _ => {
                let spammer = rng.random_range(0..50);
                (
                    format!("{b} -author:@user{spammer}@example.social"),
                    vec![b.clone()],
                    one(&b),
                    vec![],
                )
            }
        },
        9 => (
            format!("{b} OR {glued}"),
            vec![b.clone(), glued.clone()],
            vec![vec![b.clone()], vec![glued.clone()]],
            vec![],
        ),
        10 => (
            format!("{b} {p}"),
            vec![b.clone(), p.clone()],
            vec![vec![b.clone(), p.clone()]],
            vec![],
        ),
        11 => {
            let e2 = loop {
                let e2 = pick(rng, EXCLUDED_WORDS).to_string();
                if e2 != e {
                    break e2;
                }
            };
            (
                format!("({b} OR \"{bp}\") NOT ({e} OR {e2})"),
                vec![b.clone(), bp.clone()],
                vec![vec![b.clone()], vec![bp.clone()]],
                vec![e.clone(), e2],
            )
        }
        _ => (
            format!("{b}.io OR \"{bp}\""),
            vec![format!("{b}.io"), bp.clone()],
            vec![vec![format!("{b}.io")], vec![bp.clone()]],
            vec![],
        ),
    };
    let name = match script {
        Script::Cjk => b.clone(),
        _ => title_case(&b),
    };
    Brand {
        name,
        query,
        terms,
        mentions,
        spoilers,
        word: b,
        script,
    }
}

/// Every positive term and phrase of every brand, each once, in first-seen order: the patterns
/// file for `grep -F -i -f`.
pub fn terms(brands: &[Brand]) -> Vec<String> {
    let mut seen = HashSet::new();
    brands
        .iter()
        .flat_map(|b| b.terms.iter())
        .filter(|t| seen.insert(t.as_str()))
        .cloned()
        .collect()
}

/// `talkback.toml` with one `[[brands]]` table (name, query) per brand, for `talkback match`.
pub fn config_toml(brands: &[Brand]) -> String {
    let mut out = String::with_capacity(brands.len() * 64);
    out.push_str("# Generated by `cargo run --release --example gen-corpus`.\n");
    for b in brands {
        out.push_str("\n[[brands]]\nname = ");
        toml_string(&mut out, &b.name);
        out.push_str("\nquery = ");
        toml_string(&mut out, &b.query);
        out.push('\n');
    }
    out
}

fn toml_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

// ---------------------------------------------------------------------------------------------
// Posts

#[derive(Serialize)]
struct AuthorJson {
    handle: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
}

#[derive(Serialize)]
struct PostJson<'a> {
    network: &'a str,
    id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    author: Option<AuthorJson>,
    title: Option<String>,
    text: String,
    created_at: String,
    reply_to: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    lang: Option<&'a str>,
}

/// Writes posts one at a time (design §3 JSON, one object per line without the newline).
pub struct PostGen<'a> {
    vocab: Vocabularies,
    brands: &'a [Brand],
    /// Draws the post's skeleton: network, words, where a mention goes. Independent of `brands`.
    rng: StdRng,
    /// Draws which brand is mentioned and how: the only part that depends on `brands`.
    mention_rng: StdRng,
    next: u64,
}

impl<'a> PostGen<'a> {
    pub fn new(seed: u64, brands: &'a [Brand]) -> PostGen<'a> {
        PostGen {
            vocab: Vocabularies::new(),
            brands,
            rng: StdRng::seed_from_u64(seed ^ 0x9057_0000_5eed_0002),
            mention_rng: StdRng::seed_from_u64(seed ^ 0x3e47_1000_5eed_0003),
            next: 0,
        }
    }

    /// The next post as one line of JSON.
    pub fn next_json(&mut self) -> String {
        let n = self.next;
        self.next += 1;
        let rng = &mut self.rng;
        let network = *pick_weighted(rng, NETWORKS);
        let (script, lang): (Script, Option<&str>) = match rng.random_range(0..100) {
            0..=49 => (Script::Latin, Some("en")),
            50..=54 => (Script::Latin, Some("en-US")),
            55..=61 => (Script::Latin, None),
            62..=65 => (Script::Accented, Some("de")),
            66..=69 => (Script::Accented, Some("fr")),
            70..=72 => (Script::Accented, Some("es")),
            73..=74 => (Script::Accented, Some("pt-BR")),
            75..=82 => (Script::Cyrillic, Some("ru")),
            83..=85 => (Script::Greek, Some("el")),
            86..=89 => (Script::Cjk, Some("ja")),
            90..=92 => (Script::Cjk, Some("zh")),
            _ => (Script::Latin, None),
        };
        let user = rng.random_range(0..50_000u32);
        let handle = match network {
            "bluesky" => format!("user{user}.bsky.social"),
            "x" => format!("@user{user}"),
            "reddit" | "hackernews" | "rss" => format!("user{user}"),
            _ => format!("@user{user}@example.social"),
        };
        let author = rng.random_bool(0.9).then(|| AuthorJson {
            name: rng.random_bool(0.6).then(|| title_case(&format!("user {user}"))),
            handle,
        });
        let has_title = matches!(network, "reddit" | "hackernews" | "rss") && rng.random_bool(0.7);
        let title_len = rng.random_range(3..=12);
        let text_len = rng.random_range(5..=60);
        let mut title = has_title.then(|| self.words(script, title_len));
        let mut text = self.words(script, text_len);

        // About 2% mention a brand, about 2% hold a near miss.
        let rng = &mut self.rng;
        let roll = rng.random_range(0..1000);
        let in_title = title.is_some() && rng.random_bool(0.3);
        if !self.brands.is_empty() && roll < 40 {
            let target = if in_title { title.as_mut().unwrap() } else { &mut text };
            if roll < 20 {
                let count = if rng.random_bool(0.1) { 2 } else { 1 };
                for _ in 0..count {
                    let pieces = self.mention();
                    for piece in pieces {
                        insert(&mut self.rng, target, &piece);
                    }
                }
            } else {
                let miss = self.near_miss();
                insert(&mut self.rng, target, &miss);
            }
        }
        let rng = &mut self.rng;
        let id = format!("{}{n}", &network[..1]);
        let url = rng.random_bool(0.8).then(|| format!("https://{network}.example/{n}"));
        let reply_to = rng
            .random_bool(0.3)
            .then(|| format!("{}{}", &network[..1], rng.random_range(0..n + 1)));
        let secs = n % (86_400 * 9);
        let created_at = format!(
            "2026-11-{:02}T{:02}:{:02}:{:02}Z",
            10 + secs / 86_400,
            secs / 3600 % 24,
            secs / 60 % 60,
            secs % 60
        );
        let post = PostJson {
            network,
            id,
            url,
            author,
            title,
            text,
            created_at,
            reply_to,
            lang,
        };
        serde_json::to_string(&post).expect("a post serializes")
    }

    /// `count` words of a script, with the punctuation, emoji, hashtags, handles and links of
    /// social posts. CJK words run together in clauses, as CJK is written.
    fn words(&mut self, script: Script, count: usize) -> String {
        let rng = &mut self.rng;
        let mut out = String::with_capacity(count * 8);
        for i in 0..count {
            let w: &str = match script {
                Script::Latin => self.vocab.latin.word(rng),
                Script::Accented if rng.random_bool(0.3) => self.vocab.accented.word(rng),
                Script::Accented => self.vocab.latin.word(rng),
                Script::Cyrillic if rng.random_bool(0.85) => self.vocab.cyrillic.word(rng),
                Script::Greek if rng.random_bool(0.85) => self.vocab.greek.word(rng),
                Script::Cyrillic | Script::Greek => self.vocab.latin.word(rng),
                Script::Cjk => self.vocab.cjk.word(rng),
            };
            if i > 0 {
                let sep = if script == Script::Cjk {
                    match rng.random_range(0..10) {
                        0 => "，",
                        1 => "。",
                        2 => " ",
                        _ => "",
                    }
                } else if rng.random_range(0..40) == 0 {
                    "\n"
                } else {
                    " "
                };
                out.push_str(sep);
            }
            match rng.random_range(0..200) {
                0..=3 => {
                    out.push_str(pick_str(rng, EMOJI));
                    out.push(' ');
                    out.push_str(w);
                }
                4..=6 => {
                    out.push('#');
                    out.push_str(w);
                }
                7..=8 => {
                    out.push('@');
                    out.push_str(w);
                }
                9 => {
                    out.push_str("https://");
                    out.push_str(pick_str(rng, LINK_HOSTS));
                    out.push('/');
                    out.push_str(w);
                }
                10..=14 if i == 0 || script == Script::Latin => out.push_str(&title_case(w)),
                15 => out.push_str(&w.to_uppercase()),
                _ => out.push_str(w),
            }
            match rng.random_range(0..30) {
                0..=1 => out.push(','),
                2 => out.push('.'),
                3 => out.push('!'),
                4 => out.push('?'),
                _ => {}
            }
        }
        if rng.random_range(0..8) == 0 {
            out.push(' ');
            out.push_str(pick_str(rng, EMOJI));
        }
        out
    }

    /// The pieces of one mention of a random brand, each in some case and some decoration.
    fn mention(&mut self) -> Vec<String> {
        let rng = &mut self.mention_rng;
        let brand = &self.brands[rng.random_range(0..self.brands.len())];
        let form = pick(rng, &brand.mentions);
        let mut pieces: Vec<String> = form
            .iter()
            .map(|piece| {
                let mut s = random_case(rng, piece);
                if piece.contains(' ') {
                    // Phrases match across any run of whitespace.
                    match rng.random_range(0..10) {
                        0 => s = s.replacen(' ', "  ", 1),
                        1 => s = s.replacen(' ', "\n", 1),
                        _ => {}
                    }
                } else if !piece.starts_with(['@', '#']) {
                    s = match rng.random_range(0..14) {
                        0 => format!("#{s}"),
                        1 => format!("@{s}"),
                        2 => format!("({s})"),
                        3 => format!("{s}'s"),
                        4 => format!("{s}.com"),
                        5 => format!("{s}!"),
                        6 => format!("\"{s}\""),
                        _ => s,
                    };
                }
                s
            })
            .collect();
        if !brand.spoilers.is_empty() && rng.random_bool(0.3) {
            let spoiler = pick(rng, &brand.spoilers).as_str();
            pieces.push(random_case(rng, spoiler));
        }
        pieces
    }

    /// The brand word of a random brand glued to more letters, so that a term must not match.
    fn near_miss(&mut self) -> String {
        let rng = &mut self.mention_rng;
        let brand = &self.brands[rng.random_range(0..self.brands.len())];
        let b = &brand.word;
        let miss = if brand.script == Script::Cjk {
            match rng.random_range(0..3) {
                0 => format!("我们{b}"),
                1 => format!("{b}的"),
                _ => format!("新{b}服务"),
            }
        } else {
            match rng.random_range(0..8) {
                0 => format!("{b}s"),
                1 => format!("x{b}"),
                2 => format!("{b}_hq"),
                3 => format!("un{b}"),
                4 => format!("{b}2"),
                5 => format!("{b}ed"),
                6 => format!("my{b}"),
                _ => format!("{b}{}", pick(rng, PRODUCTS)),
            }
        };
        random_case(rng, &miss)
    }
}

/// Inserts `piece` between two words of `text` (or at an end), with a space on each inner side.
fn insert(rng: &mut StdRng, text: &mut String, piece: &str) {
    let gaps: Vec<usize> = text.match_indices(' ').map(|(i, _)| i).collect();
    match rng.random_range(0..=gaps.len() + 1) {
        _ if text.is_empty() => text.push_str(piece),
        0 => text.insert_str(0, &format!("{piece} ")),
        k if k > gaps.len() => {
            text.push(' ');
            text.push_str(piece);
        }
        k => text.insert_str(gaps[k - 1], &format!(" {piece}")),
    }
}

/// `count` posts (JSON lines) from `seed` that mention `brands`.
pub fn posts(count: usize, brands: &[Brand], seed: u64) -> Vec<String> {
    let mut gen = PostGen::new(seed, brands);
    (0..count).map(|_| gen.next_json()).collect()
}
