//! The multi-pattern prefilter: one Aho-Corasick automaton over the words some brand needs, so
//! that a post is checked against only the brands whose words occur in it. A superset, never a
//! verdict: the exact §4 evaluation still decides. Pure; knows nothing of posts' metadata.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

use super::eval::Node;

pub(crate) struct Prefilter {
    /// Matches every required word, overlapping, in folded text. `None` only if the automaton
    /// could not be built (beyond aho-corasick's size limits): then every brand is evaluated.
    automaton: Option<AhoCorasick>,
    /// For each automaton pattern, the brands (config order) that need it.
    brands_of: Vec<Vec<u32>>,
    /// Brands with no required words (a query whose every match goes through a NOT or a field
    /// cannot be prefiltered); they are evaluated on every post.
    always: Vec<u32>,
}

impl Prefilter {
    pub(crate) fn new<'a>(roots: impl Iterator<Item = &'a Node>) -> Prefilter {
        let mut words: Vec<String> = Vec::new();
        let mut index = std::collections::HashMap::<String, usize>::new();
        let mut brands_of: Vec<Vec<u32>> = Vec::new();
        let mut always = Vec::new();
        for (brand, root) in roots.enumerate() {
            let brand = brand as u32;
            let Some(required) = root.required_words().filter(|ws| !ws.is_empty()) else {
                always.push(brand);
                continue;
            };
            for w in required {
                let id = *index.entry(w.to_string()).or_insert_with(|| {
                    words.push(w.to_string());
                    brands_of.push(Vec::new());
                    words.len() - 1
                });
                if brands_of[id].last() != Some(&brand) {
                    brands_of[id].push(brand);
                }
            }
        }
        let automaton = match AhoCorasickBuilder::new().match_kind(MatchKind::Standard).build(&words) {
            Ok(a) => Some(a),
            Err(e) => {
                tracing::warn!(words = words.len(), error = %e, "no matcher prefilter: every brand is checked on every post");
                always = (0..brands_of_count(&brands_of, &always)).collect();
                None
            }
        };
        Prefilter {
            automaton,
            brands_of,
            always,
        }
    }

    /// Puts into `out` the brands (config order, no repeats) that may match a post whose folded
    /// texts are `texts`.
    pub(crate) fn candidates(&self, texts: &[&str], out: &mut Vec<u32>) {
        out.clear();
        out.extend_from_slice(&self.always);
        let Some(automaton) = &self.automaton else {
            return;
        };
        for text in texts {
            for m in automaton.find_overlapping_iter(*text) {
                out.extend_from_slice(&self.brands_of[m.pattern().as_usize()]);
            }
        }
        out.sort_unstable();
        out.dedup();
    }
}

/// How many brands there are: one more than the highest brand index seen.
fn brands_of_count(brands_of: &[Vec<u32>], always: &[u32]) -> u32 {
    brands_of.iter().flatten().chain(always).max().map_or(0, |m| m + 1)
}
