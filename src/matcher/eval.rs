//! The compiled form of a query and its evaluation against one post (terms, phrases, fields).
//! Pure functions over already-folded text; must not parse query strings or know about brands.

use super::fold::{fold_words_into, is_word_char};
use super::Subject;
use crate::domain::{Handle, Network};

/// A word the prefilter can look up for a pattern. Every occurrence of the pattern puts `word`
/// at the start of a maximal run of word chars in the post (a pattern starting with a word char
/// needs a boundary before it; one starting with `@` or `#` has its run right after those).
/// That run equals `word`, or, when `open`, starts with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Key<'a> {
    pub(crate) word: &'a str,
    pub(crate) open: bool,
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

    /// What the prefilter looks for: the first run of word chars in the first word, and whether
    /// a post's word must be exactly that run or may go on after it (a prefix ending in it).
    /// `None` when the first word has no word chars (`++`): then there is nothing to look for.
    pub(crate) fn key(&self) -> Option<Key<'_>> {
        let first = self.words.first()?;
        let lead = first.find(is_word_char)?;
        let run = &first[lead..];
        let end = run.find(|c| !is_word_char(c)).unwrap_or(run.len());
        // The run is followed by more of the pattern (a non-word char, or whitespace before the
        // next word of a phrase) unless it ends a one-word prefix.
        let open = end == run.len() && self.words.len() == 1 && !self.bound_end;
        Some(Key {
            word: &run[..end],
            open,
        })
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
    fn holds(&self, post: &Subject<'_>) -> bool {
        match self {
            Field::Network(n) => post.network == *n,
            Field::Lang(want) => post.lang.is_some_and(|have| {
                let have = normalize_lang(have);
                // `lang:en` matches `en` and `en-US`; `lang:en-us` matches only `en-US`.
                have == *want || (have.starts_with(want.as_str()) && have[want.len()..].starts_with('-'))
            }),
            Field::Author(handle) => post.author.is_some_and(|h| handle.is_same(h)),
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
    /// Keys of which at least one must occur in a post for the node to match it, or `None`
    /// when no such set exists (a NOT, a field, a pattern with no word chars). For AND one
    /// child's set is enough: the one with the fewest keys, then fewest open ones, then the
    /// longest shortest word (the rarer).
    pub(crate) fn required_keys(&self) -> Option<Vec<Key<'_>>> {
        match self {
            Node::Text(p) => p.key().map(|k| vec![k]),
            Node::Field(_) | Node::Not(_) => None,
            Node::Or(items) => {
                let mut all = Vec::new();
                for n in items {
                    all.extend(n.required_keys()?);
                }
                Some(all)
            }
            Node::And(items) => items.iter().filter_map(Node::required_keys).min_by_key(|ks| {
                let open = ks.iter().filter(|k| k.open).count();
                let shortest = ks.iter().map(|k| k.word.len()).min().unwrap_or(0);
                (ks.len(), open, std::cmp::Reverse(shortest))
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

    pub(crate) fn eval(&self, post: &Subject<'_>, hay: &Haystack<'_>) -> bool {
        match self {
            Node::Text(p) => hay.title.is_some_and(|t| p.is_in(t)) || p.is_in(hay.text),
            Node::Field(f) => f.holds(post),
            Node::Not(n) => !n.eval(post, hay),
            Node::And(items) => items.iter().all(|n| n.eval(post, hay)),
            Node::Or(items) => items.iter().any(|n| n.eval(post, hay)),
        }
    }
}

/// A post's title and text, folded once and then shared by every brand's query, with where
/// their words (maximal runs of word chars) start and end, in pairs, for the prefilter.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Haystack<'a> {
    pub(crate) title: Option<&'a str>,
    pub(crate) text: &'a str,
    pub(crate) title_words: &'a [usize],
    pub(crate) text_words: &'a [usize],
}

/// Reusable buffers for a post's folded title and text and their words.
#[derive(Debug, Default)]
pub(crate) struct Folded {
    title: String,
    text: String,
    title_words: Vec<usize>,
    text_words: Vec<usize>,
}

impl Folded {
    /// Folds `post` into the buffers, reusing their memory.
    pub(crate) fn fill(&mut self, post: &Subject<'_>) -> Haystack<'_> {
        self.title.clear();
        self.text.clear();
        fold_words_into(post.title.unwrap_or(""), &mut self.title, &mut self.title_words);
        fold_words_into(post.text, &mut self.text, &mut self.text_words);
        Haystack {
            title: post.title.is_some().then_some(self.title.as_str()),
            text: &self.text,
            title_words: &self.title_words,
            text_words: &self.text_words,
        }
    }
}
