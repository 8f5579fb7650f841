//! Case folding and word characters, the two text primitives every comparison in §4 rests on.
//! Pure functions over strings; must not know about queries, brands or posts.
//!
//! Folding is Unicode lowercasing plus the Greek final sigma `ς` read as `σ`. A post is folded
//! once per match, so the per-char work goes through a table of what each char folds to, kept
//! for the Basic Multilingual Plane as chars are met.

use std::sync::atomic::{AtomicU32, Ordering};

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
    entry(c) & WORD != 0
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
    bounds.clear();
    // Whether the last char written was a word char: a run is open.
    let mut in_word = false;
    let mut rest = s;
    while !rest.is_empty() {
        // An ASCII run (most text, even in mixed posts): copied and lowercased in bulk, and its
        // word edges found eight bytes at a time (`ascii_edges`).
        let ascii = ascii_prefix(rest.as_bytes());
        let start = out.len();
        out.push_str(&rest[..ascii]);
        out[start..].make_ascii_lowercase();
        in_word = ascii_edges(&out.as_bytes()[start..], start, in_word, bounds);
        rest = &rest[ascii..];
        // Then the non-ASCII run, char by char.
        let other = rest.bytes().position(|b| b.is_ascii()).unwrap_or(rest.len());
        for c in rest[..other].chars() {
            let mut put = |l: char, word: bool| {
                if word != in_word {
                    bounds.push(out.len());
                    in_word = word;
                }
                out.push(l);
            };
            // One lookup gives the folded char and whether it is a word char.
            let entry = entry(c);
            match char::from_u32(entry & CHAR) {
                Some(l) if entry & CHAR != SLOW => put(l, entry & FOLDED_WORD != 0),
                _ => c.to_lowercase().for_each(|l| {
                    let l = if l == 'ς' { 'σ' } else { l };
                    put(l, is_word_char(l))
                }),
            }
        }
        rest = &rest[other..];
    }
    if in_word {
        bounds.push(out.len());
    }
}

/// The length of the ASCII prefix of `s`, eight bytes at a time.
fn ascii_prefix(s: &[u8]) -> usize {
    let mut chunks = s.chunks_exact(8);
    let mut n = 0;
    for chunk in chunks.by_ref() {
        let high = u64::from_le_bytes(chunk.try_into().unwrap_or_default()) & HIGH;
        if high != 0 {
            return n + (high.trailing_zeros() / 8) as usize;
        }
        n += 8;
    }
    n + chunks.remainder().iter().take_while(|b| b.is_ascii()).count()
}

/// Pushes to `bounds` the offsets (`base` + index) in lowercased ASCII `s` where a run of word
/// chars starts or ends, given whether a run is open before `s`; returns whether one is open
/// after it. Eight bytes at a time: a mask of the word bytes, its changes from one byte to the
/// next, and a push per change (about one every three bytes in prose).
fn ascii_edges(s: &[u8], base: usize, mut in_word: bool, bounds: &mut Vec<usize>) -> bool {
    let mut at = base;
    for chunk in s.chunks(8) {
        let mut bytes = [0u8; 8];
        bytes[..chunk.len()].copy_from_slice(chunk);
        let words = word_bytes(u64::from_le_bytes(bytes));
        // A change at byte i: word-ness differs from byte i - 1 (or from before the chunk).
        let mut changes = words ^ ((words << 8) | (u64::from(in_word) << 7));
        // Past a short last chunk, the zero padding is not text.
        if chunk.len() < 8 {
            changes &= (1u64 << (8 * chunk.len())) - 1;
        }
        while changes != 0 {
            bounds.push(at + (changes.trailing_zeros() / 8) as usize);
            changes &= changes - 1;
        }
        in_word = (words >> (8 * chunk.len() - 1)) & 1 == 1;
        at += chunk.len();
    }
    in_word
}

/// Of eight lowercase ASCII bytes, the high bit of each that is a word char (`0-9`, `a-z`, `_`).
/// Every byte is below 0x80, so adding `0x80 - lo` to it sets its high bit exactly when it is
/// at least `lo`, without a carry into the next byte.
fn word_bytes(x: u64) -> u64 {
    const fn at_least(x: u64, lo: u8) -> u64 {
        x.wrapping_add(splat(0x80 - lo))
    }
    let digit = at_least(x, b'0') & !at_least(x, b'9' + 1);
    let letter = at_least(x, b'a') & !at_least(x, b'z' + 1);
    // `_` is the byte whose xor with `_` is zero: adding 0x7f leaves exactly those below 0x80.
    let underscore = !(x ^ splat(b'_')).wrapping_add(splat(0x7f));
    (digit | letter | underscore) & HIGH
}

const fn splat(b: u8) -> u64 {
    b as u64 * 0x0101_0101_0101_0101
}

const HIGH: u64 = splat(0x80);

/// Bit set in a table entry when the char itself is a word char.
const WORD: u32 = 1 << 31;
/// Bit set in a table entry when its folded char is a word char.
const FOLDED_WORD: u32 = 1 << 30;
/// The folded char's bits of a table entry.
const CHAR: u32 = 0x1f_ffff;
/// The folded char of a char whose lowercase is several chars (`İ`): no shortcut. Above every
/// char, so never mistaken for one.
const SLOW: u32 = CHAR;

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

/// What folding needs to know of `c`: its folded form (when that is one char), and whether it
/// and its folded form are word chars. Kept for the chars of the Basic Multilingual Plane
/// (every script a post is likely to be in) as they are first met: 256 KiB of zeros until then,
/// so a process pays for the chars its posts use (building it whole took 15 ms at start-up,
/// 4% of `talkback match` on a 200,000-post corpus), and a lookup is one load.
fn entry(c: char) -> u32 {
    static TABLE: [AtomicU32; 0x1_0000] = [const { AtomicU32::new(0) }; 0x1_0000];
    let Some(slot) = TABLE.get(c as usize) else {
        return compute(c);
    };
    match slot.load(Ordering::Relaxed) {
        0 => {
            // Two threads meeting a new char at once both compute it, and store the same value.
            let e = compute(c);
            slot.store(e, Ordering::Relaxed);
            e
        }
        e => e,
    }
}

/// Bit set in every computed entry, so none is 0 (not computed yet).
const KNOWN: u32 = 1 << 29;

fn compute(c: char) -> u32 {
    let mut lower = c.to_lowercase();
    let folded = match (lower.next(), lower.next()) {
        (Some('ς'), None) => Some('σ'),
        (Some(l), None) => Some(l),
        _ => None,
    };
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    let word = if is_word(c) { WORD } else { 0 };
    KNOWN
        | word
        | match folded {
            Some(l) if is_word(l) => l as u32 | FOLDED_WORD,
            Some(l) => l as u32,
            None => SLOW,
        }
}
