//! Splits a brand query into tokens, each with its 1-based column (in chars).
//! Only knows the surface syntax; must not interpret words, fields or posts (that is `parse`).

use super::QueryError;

/// One piece of a query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Tok {
    LParen,
    RParen,
    /// A `-` at the start of a token: negates what is written right after it.
    Minus,
    And,
    Or,
    Not,
    /// A bare word as written (may be a term, a prefix or a field; `parse` decides).
    Word(String),
    /// The text between a pair of `"`, as written.
    Phrase(String),
}

/// A token and the column where it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Token {
    pub tok: Tok,
    pub col: usize,
}

/// The tokens of a query, plus the column just past its end (for "expected … at end" errors).
#[derive(Debug)]
pub(crate) struct Tokens {
    pub list: Vec<Token>,
    pub end_col: usize,
}

/// True for the characters that end a bare word.
fn ends_word(c: char) -> bool {
    c.is_whitespace() || matches!(c, '(' | ')' | '"')
}

/// Tokenizes `src`. The only lexical error is a phrase without its closing `"`.
pub(crate) fn lex(src: &str) -> Result<Tokens, QueryError> {
    let chars: Vec<char> = src.chars().collect();
    let mut list = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let col = i + 1;
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let tok = match c {
            '(' => {
                i += 1;
                Tok::LParen
            }
            ')' => {
                i += 1;
                Tok::RParen
            }
            '-' => {
                i += 1;
                Tok::Minus
            }
            '"' => {
                let start = i + 1;
                let close = chars[start..].iter().position(|&c| c == '"');
                let Some(len) = close else {
                    return Err(QueryError::new(col, "unterminated phrase: expected a closing `\"`"));
                };
                i = start + len + 1;
                Tok::Phrase(chars[start..start + len].iter().collect())
            }
            _ => {
                let start = i;
                while i < chars.len() && !ends_word(chars[i]) {
                    i += 1;
                }
                let word: String = chars[start..i].iter().collect();
                match word.as_str() {
                    "AND" => Tok::And,
                    "OR" => Tok::Or,
                    "NOT" => Tok::Not,
                    _ => Tok::Word(word),
                }
            }
        };
        list.push(Token { tok, col });
    }
    Ok(Tokens {
        list,
        end_col: chars.len() + 1,
    })
}
