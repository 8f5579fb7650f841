//! Case folding and word characters, the two text primitives every comparison in §4 rests on.
//! Pure functions over strings; must not know about queries, brands or posts.
//!
//! Folding is Unicode lowercasing plus the Greek final sigma `ς` read as `σ`. A post is folded
//! once per match, so the per-char work goes through a table built once for the Basic
//! Multilingual Plane (every script a post is likely to be in); other chars take the slow path.

use std::sync::OnceLock;

/// `fold(s)` as a new string. Used for queries (once, at config time) and as the reference.
pub(crate) fn fold(s: &str) -> String {
    let lower = s.to_lowercase();
    if lower.contains('ς') {
        lower.replace('ς', "σ")
    } else {
        lower
    }
}

/// Letters, digits and `_`: the characters that may not touch a term's edges.
pub(crate) fn is_word_char(c: char) -> bool {
    if c.is_ascii() {
        return ASCII_WORD[c as usize];
    }
    match table().get(c as usize) {
        Some(entry) => entry & WORD != 0,
        None => c.is_alphanumeric(),
    }
}

/// `fold(s)` appended to `out`.
#[cfg(test)]
pub(crate) fn fold_into(s: &str, out: &mut String) {
    fold_words_into(s, out, &mut Vec::new());
}

/// `fold(s)` appended to `out`, and in `bounds` the byte offsets (in `out`) where each maximal
/// run of word chars of the folded text starts and ends, in pairs: the per-post path, one pass.
/// Char by char lowercasing differs from `str::to_lowercase` only in choosing `ς` or `σ`,
/// which folding makes the same.
pub(crate) fn fold_words_into(s: &str, out: &mut String, bounds: &mut Vec<usize>) {
    let table = table();
    bounds.clear();
    // Whether the last char written was a word char: a run is open.
    let mut in_word = false;
    let mut rest = s;
    while !rest.is_empty() {
        // An ASCII run (most text, even in mixed posts): copied and lowercased in bulk; its
        // word edges are found without branching on each byte, as edges come every few bytes
        // and would be mispredicted.
        let ascii = rest.bytes().position(|b| !b.is_ascii()).unwrap_or(rest.len());
        let start = out.len();
        out.push_str(&rest[..ascii]);
        out[start..].make_ascii_lowercase();
        let mut k = bounds.len();
        bounds.resize(k + ascii, 0);
        for (at, &b) in out.as_bytes()[start..].iter().enumerate() {
            let word = ASCII_WORD[b as usize];
            bounds[k] = start + at;
            k += usize::from(word != in_word);
            in_word = word;
        }
        bounds.truncate(k);
        rest = &rest[ascii..];
        // Then the non-ASCII run, char by char.
        let other = rest.bytes().position(|b| b.is_ascii()).unwrap_or(rest.len());
        for c in rest[..other].chars() {
            let mut put = |l: char| {
                let word = is_word_char(l);
                if word != in_word {
                    bounds.push(out.len());
                    in_word = word;
                }
                out.push(l);
            };
            match table.get(c as usize).map(|e| e & !WORD) {
                Some(l) if l != SLOW => put(char::from_u32(l).unwrap_or(c)),
                _ => c.to_lowercase().for_each(|l| put(if l == 'ς' { 'σ' } else { l })),
            }
        }
        rest = &rest[other..];
    }
    if in_word {
        bounds.push(out.len());
    }
}

/// Bit set in a table entry when the char itself is a word char.
const WORD: u32 = 1 << 31;
/// Entry (without `WORD`) for a char whose lowercase is several chars (`İ`): no shortcut.
const SLOW: u32 = 0x7fff_ffff;

static ASCII_WORD: [bool; 128] = {
    let mut t = [false; 128];
    let mut i = 0;
    while i < 128 {
        let b = i as u8;
        t[i] = b.is_ascii_alphanumeric() || b == b'_';
        i += 1;
    }
    t
};

/// For every char of the Basic Multilingual Plane: its folded form (when that is one char) and
/// whether it is a word char. 256 KiB, built on first use in about a millisecond.
fn table() -> &'static [u32] {
    static TABLE: OnceLock<Box<[u32]>> = OnceLock::new();
    TABLE.get_or_init(|| {
        (0..=0xffffu32)
            .map(|cp| {
                let Some(c) = char::from_u32(cp) else {
                    return SLOW; // surrogates: never in a &str
                };
                let mut lower = c.to_lowercase();
                let folded = match (lower.next(), lower.next()) {
                    (Some('ς'), None) => 'σ' as u32,
                    (Some(l), None) => l as u32,
                    _ => SLOW,
                };
                let word = if c.is_alphanumeric() || c == '_' { WORD } else { 0 };
                folded | word
            })
            .collect()
    })
}
