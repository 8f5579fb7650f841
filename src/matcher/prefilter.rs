//! The prefilter: which brands could match a post, from one hash lookup per word of the post, so
//! that only those brands get the exact §4 evaluation. A superset, never a verdict. Pure; knows
//! nothing of posts' metadata.
//!
//! Every brand needs some words (`Node::required_keys`); each occurrence of such a word starts a
//! maximal run of word chars in the folded post (see `Key`). Folding cuts the post into those
//! runs as it goes, and each run is looked up: as a whole among the exact keys, and by its leading bytes
//! among the open keys (prefixes). The cost per post depends on its length, not on how many
//! brands there are.

use rustc_hash::FxHashMap;

use super::eval::{Haystack, Key, Node};

pub(crate) struct Prefilter {
    /// The exact keys' sketches: a word whose sketch is not here is not a key (most words),
    /// which costs a bit test instead of a hash lookup.
    exact_bits: Bits,
    /// A post's word equal to the key: the brands (config order) that need it.
    exact: FxHashMap<Box<[u8]>, Box<[u32]>>,
    /// A post's word starting with the key: the brands that need it.
    open: FxHashMap<Box<[u8]>, Box<[u32]>>,
    /// The byte lengths of the open keys, ascending, no repeats.
    open_lens: Box<[usize]>,
    /// The sketches of the first `open_lens[0]` bytes of every open key: a word that starts
    /// with none of these needs no open lookups (most words).
    open_heads: Bits,
    /// Brands with no required keys (a query whose every match goes through a NOT or a field);
    /// they are evaluated on every post.
    always: Vec<u32>,
}

impl Prefilter {
    pub(crate) fn new<'a>(roots: impl Iterator<Item = &'a Node>) -> Prefilter {
        let mut exact = FxHashMap::<Box<[u8]>, Vec<u32>>::default();
        let mut open = FxHashMap::<Box<[u8]>, Vec<u32>>::default();
        let mut always = Vec::new();
        for (brand, root) in roots.enumerate() {
            let brand = brand as u32;
            let Some(keys) = root.required_keys().filter(|ks| !ks.is_empty()) else {
                always.push(brand);
                continue;
            };
            for Key { word, open: is_open } in keys {
                let map = if is_open { &mut open } else { &mut exact };
                let brands = map.entry(word.as_bytes().into()).or_default();
                if brands.last() != Some(&brand) {
                    brands.push(brand);
                }
            }
        }
        let mut open_lens: Vec<usize> = open.keys().map(|k| k.len()).collect();
        open_lens.sort_unstable();
        open_lens.dedup();
        let head = open_lens.first().copied().unwrap_or(0);
        let mut open_heads = Bits::new();
        open.keys().for_each(|k| open_heads.insert(Sketch::of(&k[..head])));
        let mut exact_bits = Bits::new();
        exact.keys().for_each(|k| exact_bits.insert(Sketch::of(k)));
        Prefilter {
            exact_bits,
            exact: freeze(exact),
            open: freeze(open),
            open_lens: open_lens.into(),
            open_heads,
            always,
        }
    }

    /// Puts into `out` the brands (config order, no repeats) that may match the post.
    pub(crate) fn candidates(&self, hay: &Haystack<'_>, out: &mut Vec<u32>) {
        out.clear();
        out.extend_from_slice(&self.always);
        let found_before = out.len();
        let texts = [(hay.title.unwrap_or(""), hay.title_words), (hay.text, hay.text_words)];
        for (text, words) in texts {
            let text = text.as_bytes();
            for edges in words.chunks_exact(2) {
                if let Some(word) = text.get(edges[0]..edges[1]) {
                    self.look_up(text, edges[0], word, out);
                }
            }
        }
        if out.len() > found_before {
            out.sort_unstable();
            out.dedup();
        }
    }

    /// Looks up `word`, found at `at` in `text`.
    fn look_up(&self, text: &[u8], at: usize, word: &[u8], out: &mut Vec<u32>) {
        if self.exact_bits.contains(Sketch::in_text(text, at, word)) {
            if let Some(brands) = self.exact.get(word) {
                out.extend_from_slice(brands);
            }
        }
        let Some(&head) = self.open_lens.first() else {
            return;
        };
        if word.len() < head || !self.open_heads.contains(Sketch::in_text(text, at, &word[..head])) {
            return;
        }
        for &len in self.open_lens.iter().take_while(|&&len| len <= word.len()) {
            if let Some(brands) = self.open.get(&word[..len]) {
                out.extend_from_slice(brands);
            }
        }
    }
}

fn freeze(map: FxHashMap<Box<[u8]>, Vec<u32>>) -> FxHashMap<Box<[u8]>, Box<[u32]>> {
    map.into_iter().map(|(k, v)| (k, v.into_boxed_slice())).collect()
}

/// A one-hash Bloom filter over byte strings, by their [`Sketch`]: `contains` may say yes
/// wrongly (about 5% of words with 10,000 keys), never no wrongly.
struct Bits {
    words: Box<[u64]>,
}

impl Bits {
    const LOG2_BITS: u32 = 18;

    fn new() -> Bits {
        Bits {
            words: vec![0; 1 << (Self::LOG2_BITS - 6)].into(),
        }
    }

    fn insert(&mut self, s: Sketch) {
        let bit = s.bit();
        self.words[bit >> 6] |= 1 << (bit & 63);
    }

    fn contains(&self, s: Sketch) -> bool {
        let bit = s.bit();
        self.words[bit >> 6] & (1 << (bit & 63)) != 0
    }
}

/// A byte string's length and its first and last (up to) 8 bytes, as little-endian words
/// (zero-filled when shorter): cheap, and enough to tell apart words that are not keys.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
struct Sketch {
    first: u64,
    last: u64,
    len: usize,
}

impl Sketch {
    fn of(s: &[u8]) -> Sketch {
        let (first, last) = match (s.first_chunk::<8>(), s.last_chunk::<8>()) {
            (Some(first), Some(last)) => (u64::from_le_bytes(*first), u64::from_le_bytes(*last)),
            _ => {
                let mut padded = [0u8; 8];
                padded[..s.len()].copy_from_slice(s);
                (u64::from_le_bytes(padded), 0)
            }
        };
        Sketch {
            first,
            last,
            len: s.len(),
        }
    }

    /// `Sketch::of(word)` for `word` found at `at` in `text`: a short word's bytes are read as
    /// one word from the text and the bytes past it masked off, instead of one at a time.
    fn in_text(text: &[u8], at: usize, word: &[u8]) -> Sketch {
        match text.get(at..at + 8) {
            Some(eight) if word.len() < 8 => {
                let bytes = u64::from_le_bytes(eight.try_into().unwrap_or_default());
                Sketch {
                    first: bytes & ((1u64 << (8 * word.len())) - 1),
                    last: 0,
                    len: word.len(),
                }
            }
            _ => Sketch::of(word),
        }
    }

    fn bit(self) -> usize {
        let h = self.first ^ self.last.rotate_left(29) ^ self.len as u64;
        (h.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> (64 - Bits::LOG2_BITS)) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::Sketch;

    #[test]
    fn a_word_read_in_its_text_has_the_sketch_of_the_word_alone() {
        let text = b"a acme acmecloud x_y_z_longer tail";
        let mut at = 0;
        for word in text.split(|b| *b == b' ') {
            for len in 0..=word.len() {
                assert_eq!(Sketch::in_text(text, at, &word[..len]), Sketch::of(&word[..len]));
            }
            at += word.len() + 1;
        }
    }
}
