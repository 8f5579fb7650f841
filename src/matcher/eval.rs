//! The compiled form of a query and its evaluation against one post (terms, phrases, fields).
//! Pure functions over already-folded text; must not parse query strings or know about brands.

use crate::domain::{Handle, Network, Post};

/// Case folding used on both sides of every comparison: Unicode lowercasing, plus the Greek
/// final sigma `ς` read as `σ` (lowercasing picks one or the other from the context).
pub(crate) fn fold(s: &str) -> String {
    let lower = s.to_lowercase();
    if lower.contains('ς') {
        lower.replace('ς', "σ")
    } else {
        lower
    }
}

/// `fold(s)` appended to `out`, without allocating when `out` has room: the per-post path.
/// Char by char lowercasing differs from `str::to_lowercase` only in choosing `ς` or `σ`,
/// which folding makes the same.
pub(crate) fn fold_into(s: &str, out: &mut String) {
    let mut rest = s;
    while !rest.is_empty() {
        // Copy the ASCII run in one go (most text, even in mixed posts), then fold the
        // non-ASCII run char by char.
        let ascii = rest.bytes().position(|b| !b.is_ascii()).unwrap_or(rest.len());
        let start = out.len();
        out.push_str(&rest[..ascii]);
        out[start..].make_ascii_lowercase();
        rest = &rest[ascii..];
        let other = rest
            .char_indices()
            .find(|(_, c)| c.is_ascii())
            .map_or(rest.len(), |(i, _)| i);
        for c in rest[..other].chars() {
            for l in c.to_lowercase() {
                out.push(if l == 'ς' { 'σ' } else { l });
            }
        }
        rest = &rest[other..];
    }
}

/// Letters, digits and `_`: the characters that may not touch a term's edges.
fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// A term (one word), a prefix (one word, open end) or a phrase (several words), already folded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Pattern {
    words: Vec<String>,
    /// A word boundary is required before the match (the pattern starts with a word char).
    bound_start: bool,
    /// A word boundary is required after the match (not a prefix, ends with a word char).
    bound_end: bool,
}

impl Pattern {
    /// `words` are folded and non-empty; `prefix` drops the boundary at the end.
    pub(crate) fn new(words: Vec<String>, prefix: bool) -> Pattern {
        let first = words.first().and_then(|w| w.chars().next());
        let last = words.last().and_then(|w| w.chars().next_back());
        Pattern {
            bound_start: first.is_some_and(is_word_char),
            bound_end: !prefix && last.is_some_and(is_word_char),
            words,
        }
    }

    /// The first word (folded): a post without it cannot match the pattern.
    pub(crate) fn first_word(&self) -> Option<&str> {
        self.words.first().map(String::as_str)
    }

    /// True when the pattern occurs in `hay` (folded text) with the boundaries it needs.
    /// Every occurrence of the first word is tried, so "macme acme" finds `acme`.
    pub(crate) fn is_in(&self, hay: &str) -> bool {
        let Some((first, rest)) = self.words.split_first() else {
            return false;
        };
        if first.is_empty() {
            return false;
        }
        let mut from = 0;
        while let Some(offset) = hay[from..].find(first.as_str()) {
            let start = from + offset;
            let free_before = !self.bound_start || !word_char_before(hay, start);
            if free_before {
                if let Some(end) = rest_at(hay, start + first.len(), rest) {
                    if !self.bound_end || !word_char_at(hay, end) {
                        return true;
                    }
                }
            }
            // Step one char past this start; occurrences may overlap.
            from = start + hay[start..].chars().next().map_or(1, char::len_utf8);
        }
        false
    }
}

/// Matches the phrase's remaining words from byte `pos`: each must follow a run of at least one
/// whitespace char. Returns the byte offset just past the last word.
fn rest_at(hay: &str, mut pos: usize, rest: &[String]) -> Option<usize> {
    for word in rest {
        let after = &hay[pos..];
        let trimmed = after.trim_start();
        if trimmed.len() == after.len() || !trimmed.starts_with(word.as_str()) {
            return None;
        }
        pos = hay.len() - trimmed.len() + word.len();
    }
    Some(pos)
}

fn word_char_before(hay: &str, pos: usize) -> bool {
    hay[..pos].chars().next_back().is_some_and(is_word_char)
}

fn word_char_at(hay: &str, pos: usize) -> bool {
    hay[pos..].chars().next().is_some_and(is_word_char)
}

/// A condition on the post's metadata rather than its words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Field {
    Network(Network),
    /// A normalized language tag (lowercase, `-` between subtags).
    Lang(String),
    Author(Handle),
}

/// Lowercases a language tag and writes `_` as `-`, so `pt_BR` and `pt-br` are the same.
pub(crate) fn normalize_lang(tag: &str) -> String {
    tag.trim().to_lowercase().replace('_', "-")
}

impl Field {
    fn holds(&self, post: &Post) -> bool {
        match self {
            Field::Network(n) => post.network == *n,
            Field::Lang(want) => post.lang.as_deref().is_some_and(|have| {
                let have = normalize_lang(have);
                // `lang:en` matches `en` and `en-US`; `lang:en-us` matches only `en-US`.
                have == *want || (have.starts_with(want.as_str()) && have[want.len()..].starts_with('-'))
            }),
            Field::Author(handle) => post.author_handle().is_some_and(|h| handle.is_same(h)),
        }
    }
}

/// A parsed query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Node {
    Text(Pattern),
    Field(Field),
    Not(Box<Node>),
    And(Vec<Node>),
    Or(Vec<Node>),
}

impl Node {
    /// First words of which at least one must occur in a post for the node to match it, or
    /// `None` when no such set exists (a NOT, a field). For AND one child's set is enough:
    /// the one with the fewest words, then the longest shortest word (the rarer).
    pub(crate) fn required_words(&self) -> Option<Vec<&str>> {
        match self {
            Node::Text(p) => p.first_word().map(|w| vec![w]),
            Node::Field(_) | Node::Not(_) => None,
            Node::Or(items) => {
                let mut all = Vec::new();
                for n in items {
                    all.extend(n.required_words()?);
                }
                Some(all)
            }
            Node::And(items) => items.iter().filter_map(Node::required_words).min_by_key(|ws| {
                let shortest = ws.iter().map(|w| w.len()).min().unwrap_or(0);
                (ws.len(), std::cmp::Reverse(shortest))
            }),
        }
    }

    /// Collects the patterns that count for a match (not under an odd number of NOTs).
    pub(crate) fn positive_terms(&self, negated: bool, out: &mut Vec<String>) {
        match self {
            Node::Text(p) if !negated => out.push(p.words.join(" ")),
            Node::Text(_) | Node::Field(_) => {}
            Node::Not(n) => n.positive_terms(!negated, out),
            Node::And(items) | Node::Or(items) => items.iter().for_each(|n| n.positive_terms(negated, out)),
        }
    }

    pub(crate) fn eval(&self, post: &Post, hay: &Haystack<'_>) -> bool {
        match self {
            Node::Text(p) => hay.title.is_some_and(|t| p.is_in(t)) || p.is_in(hay.text),
            Node::Field(f) => f.holds(post),
            Node::Not(n) => !n.eval(post, hay),
            Node::And(items) => items.iter().all(|n| n.eval(post, hay)),
            Node::Or(items) => items.iter().any(|n| n.eval(post, hay)),
        }
    }
}

/// A post's title and text, folded once and then shared by every brand's query.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Haystack<'a> {
    pub(crate) title: Option<&'a str>,
    pub(crate) text: &'a str,
}

/// Reusable buffers for a post's folded title and text.
#[derive(Debug, Default)]
pub(crate) struct Folded {
    title: String,
    text: String,
    has_title: bool,
}

impl Folded {
    /// Folds `post` into the buffers, reusing their memory.
    pub(crate) fn fill(&mut self, post: &Post) -> Haystack<'_> {
        self.title.clear();
        self.text.clear();
        self.has_title = post.title.is_some();
        if let Some(t) = &post.title {
            fold_into(t, &mut self.title);
        }
        fold_into(&post.text, &mut self.text);
        Haystack {
            title: self.has_title.then_some(self.title.as_str()),
            text: &self.text,
        }
    }
}
