//! Words for triage: normalizes a post into lowercase tokens (words, emoji, punctuation) and
//! finds lexicon phrases in them on word boundaries. Knows no labels, only text.

use std::collections::HashMap;

/// One token of a post: a word (letters, digits and inner apostrophes) or one other visible
/// character (`?`, `!`, an emoji).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub text: String,
    pub word: bool,
}

/// Lowercases, folds curly apostrophes, drops URLs, emoji modifiers and variation selectors.
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for piece in text.split_inclusive(char::is_whitespace) {
        let trimmed = piece.trim_end();
        if trimmed.starts_with("http://") || trimmed.starts_with("https://") || trimmed.starts_with("www.") {
            out.push(' ');
            continue;
        }
        for c in piece.chars() {
            match c {
                '\u{2019}' | '\u{2018}' | '`' => out.push('\''),
                '\u{FE0F}' | '\u{FE0E}' | '\u{200D}' | '\u{1F3FB}'..='\u{1F3FF}' => {}
                c => out.extend(c.to_lowercase()),
            }
        }
    }
    out
}

/// Splits normalized text into tokens.
pub fn tokenize(normalized: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut word = String::new();
    let chars: Vec<char> = normalized.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        let inner_apostrophe = c == '\'' && !word.is_empty() && chars.get(i + 1).is_some_and(|n| n.is_alphanumeric());
        if c.is_alphanumeric() || inner_apostrophe {
            word.push(c);
            continue;
        }
        if !word.is_empty() {
            tokens.push(Token {
                text: std::mem::take(&mut word),
                word: true,
            });
        }
        if !c.is_whitespace() && c != '\'' && c != '"' {
            tokens.push(Token {
                text: c.to_string(),
                word: false,
            });
        }
    }
    if !word.is_empty() {
        tokens.push(Token { text: word, word: true });
    }
    tokens
}

/// The placeholder for the brand's name in lexicon phrases ("instead of {brand}").
pub const BRAND: &str = "{brand}";

/// Replaces each occurrence of the brand's name (its words in a row, or run together as in a
/// hashtag) with the single token `{brand}`.
pub fn mark_brand(tokens: Vec<Token>, brand: &str) -> Vec<Token> {
    let name: Vec<String> = tokenize(&normalize(brand)).into_iter().map(|t| t.text).collect();
    if name.is_empty() {
        return tokens;
    }
    let joined = name.concat();
    let mut out = Vec::with_capacity(tokens.len());
    let mut i = 0;
    while i < tokens.len() {
        let words = tokens
            .get(i..i + name.len())
            .is_some_and(|w| w.iter().zip(&name).all(|(t, n)| t.text == *n));
        let (hit, len) = if words {
            (true, name.len())
        } else {
            (tokens[i].text == joined, 1)
        };
        if hit {
            out.push(Token {
                text: BRAND.to_string(),
                word: true,
            });
            i += len;
        } else {
            out.push(tokens[i].clone());
            i += 1;
        }
    }
    out
}

/// A lexicon entry: a sequence of tokens; a final `*` makes the last word a prefix (`crash*`).
#[derive(Debug, Clone)]
struct Phrase {
    tokens: Vec<String>,
    prefix_last: bool,
}

impl Phrase {
    fn parse(entry: &str) -> Option<Phrase> {
        let entry = entry.trim();
        let (body, prefix_last) = match entry.strip_suffix('*') {
            Some(b) if !b.is_empty() => (b, true),
            _ => (entry, false),
        };
        // `{brand}` stands for the brand's name (see `mark_brand`).
        let mut tokens: Vec<String> = Vec::new();
        for (i, part) in body.split(BRAND).enumerate() {
            if i > 0 {
                tokens.push(BRAND.to_string());
            }
            tokens.extend(tokenize(&normalize(part)).into_iter().map(|t| t.text));
        }
        (!tokens.is_empty()).then_some(Phrase { tokens, prefix_last })
    }

    /// How many tokens it covers at `at`, if it matches there.
    fn matches(&self, tokens: &[Token], at: usize) -> Option<usize> {
        let n = self.tokens.len();
        let window = tokens.get(at..at + n)?;
        let last = n - 1;
        let ok = window.iter().zip(&self.tokens).enumerate().all(|(i, (t, p))| {
            if i == last && self.prefix_last {
                t.text.starts_with(p.as_str())
            } else {
                t.text == *p
            }
        });
        ok.then_some(n)
    }
}

/// A found phrase: which entry (its value), where and how long.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hit<V: Copy> {
    pub value: V,
    pub start: usize,
    pub len: usize,
}

/// Phrases with a value each (a weight, a label), indexed by first token.
#[derive(Debug, Clone)]
pub struct PhraseSet<V: Copy> {
    phrases: Vec<(Phrase, V)>,
    by_first: HashMap<String, Vec<usize>>,
    /// Phrases whose only token is a prefix: checked at every position.
    prefixes: Vec<usize>,
}

impl<V: Copy> Default for PhraseSet<V> {
    fn default() -> Self {
        PhraseSet {
            phrases: Vec::new(),
            by_first: HashMap::new(),
            prefixes: Vec::new(),
        }
    }
}

impl<V: Copy> PhraseSet<V> {
    pub fn add(&mut self, entry: &str, value: V) {
        let Some(phrase) = Phrase::parse(entry) else { return };
        let i = self.phrases.len();
        if phrase.prefix_last && phrase.tokens.len() == 1 {
            self.prefixes.push(i);
        } else {
            self.by_first.entry(phrase.tokens[0].clone()).or_default().push(i);
        }
        self.phrases.push((phrase, value));
    }

    pub fn is_empty(&self) -> bool {
        self.phrases.is_empty()
    }

    /// The longest phrase starting at `at`.
    pub fn longest_at(&self, tokens: &[Token], at: usize) -> Option<Hit<V>> {
        let first = &tokens.get(at)?.text;
        let candidates = self.by_first.get(first).into_iter().flatten().chain(&self.prefixes);
        candidates
            .filter_map(|&i| {
                let (p, v) = &self.phrases[i];
                p.matches(tokens, at).map(|len| Hit {
                    value: *v,
                    start: at,
                    len,
                })
            })
            .max_by_key(|h| h.len)
    }

    /// Every non-overlapping match, left to right, longest first at each place.
    pub fn find_all(&self, tokens: &[Token]) -> Vec<Hit<V>> {
        let mut hits = Vec::new();
        let mut at = 0;
        while at < tokens.len() {
            match self.longest_at(tokens, at) {
                Some(h) => {
                    at += h.len;
                    hits.push(h);
                }
                None => at += 1,
            }
        }
        hits
    }

    pub fn contains_any(&self, tokens: &[Token]) -> bool {
        (0..tokens.len()).any(|at| self.longest_at(tokens, at).is_some())
    }
}

/// Words that look like another product's name: capitalized inside a sentence ("switched to
/// Nimbusly"), or run together with a hosting word ("skiffcloud", "hostwell"), and neither the
/// brand nor a `known` everyday name (weekdays, languages, tools). Handles, hashtags, URLs and
/// acronyms are skipped.
pub fn product_names(text: &str, brand: &str, known: &std::collections::HashSet<String>) -> usize {
    const SUFFIXES: [&str; 9] = [
        "cloud", "host", "hosting", "stack", "deploy", "scale", "forge", "ify", "box",
    ];
    let brand_words: Vec<String> = brand.split_whitespace().map(str::to_lowercase).collect();
    let joined = brand_words.concat();
    let mut count = 0;
    let mut sentence_start = true;
    for raw in text.split_whitespace() {
        let skip = raw.starts_with('@') || raw.starts_with('#') || raw.contains("://") || raw.contains('/');
        let word: String = raw
            .trim_matches(|c: char| !c.is_alphanumeric())
            .split('\'')
            .next()
            .unwrap_or("")
            .into();
        let lower = word.to_lowercase();
        let is_brand = brand_words.contains(&lower) || lower == joined || lower.starts_with(&joined);
        let chars: Vec<char> = word.chars().collect();
        let capitalized = chars.len() >= 3
            && chars[0].is_uppercase()
            && chars[1..].iter().any(|c| c.is_lowercase())
            && chars.iter().all(|c| c.is_alphanumeric());
        let compound = chars.len() >= 7
            && chars.iter().all(|c| c.is_ascii_lowercase())
            && SUFFIXES
                .iter()
                .any(|s| lower.ends_with(s) && lower.len() >= s.len() + 4);
        let candidate = !skip && !is_brand && !known.contains(&lower);
        if candidate && ((capitalized && !sentence_start) || compound) {
            count += 1;
        }
        sentence_start = raw.ends_with(['.', '!', '?', ':', '"']) || raw.chars().all(|c| !c.is_alphanumeric());
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<Token> {
        tokenize(&normalize(s))
    }

    #[test]
    fn tokens_keep_apostrophes_emoji_and_drop_urls() {
        let t: Vec<String> = toks("Can’t log in 😡 see https://x.co/a?b=1 ok?")
            .into_iter()
            .map(|t| t.text)
            .collect();
        assert_eq!(t, ["can't", "log", "in", "😡", "see", "ok", "?"]);
        let t: Vec<String> = toks("❤️ 🙏🏽").into_iter().map(|t| t.text).collect();
        assert_eq!(t, ["❤", "🙏"]);
    }

    #[test]
    fn finds_other_product_names() {
        let known: std::collections::HashSet<String> = ["postgres".to_string()].into();
        assert_eq!(
            product_names("We moved from Acme to Nimbusly, Postgres and all.", "Acme", &known),
            1
        );
        assert_eq!(
            product_names("Honestly skiffcloud beats acme. Great.", "Acme", &known),
            1
        );
        assert_eq!(
            product_names("Thanks @Acme! #AcmeCloud rocks. DNS is fine", "Acme", &known),
            0
        );
    }

    #[test]
    fn phrases_match_on_boundaries_and_prefixes() {
        let mut set = PhraseSet::default();
        set.add("not working", 1);
        set.add("crash*", 2);
        set.add("work", 3);
        let hits = set.find_all(&toks("It keeps crashing, not working at all; homework"));
        let values: Vec<i32> = hits.iter().map(|h| h.value).collect();
        assert_eq!(values, [2, 1]);
    }
}
