//! Builds the query tree from tokens (NOT/`-` over AND over OR) and rejects bad queries,
//! including those that can match without a positive term. Must not look at posts.

use super::eval::{normalize_lang, Field, Node, Pattern};
use super::fold::fold;
use super::lex::{lex, Tok, Token};
use super::QueryError;
use crate::domain::{Handle, Network};

/// Deeper nesting of `(`, `NOT` and `-` than this is refused (it keeps recursion bounded).
const MAX_DEPTH: usize = 64;

/// Parses and checks a whole query.
pub(crate) fn parse(src: &str) -> Result<Node, QueryError> {
    let tokens = lex(src)?;
    if tokens.list.is_empty() {
        return Err(QueryError::new(1, "empty query"));
    }
    let mut p = Parser {
        toks: &tokens.list,
        pos: 0,
        end_col: tokens.end_col,
        depth: 0,
    };
    let node = p.or(Ctx::Start)?;
    if let Some(t) = p.peek() {
        // `or` stops only at the end or at a `)` it has no `(` for.
        return Err(QueryError::new(t.col, format!("unexpected `{}`", show(&t.tok))));
    }
    if outcomes(&node).0 {
        return Err(QueryError::new(
            1,
            "this query can match posts that mention none of its terms; add a positive term",
        ));
    }
    Ok(node)
}

/// What came just before the operand being parsed, for error messages.
#[derive(Clone, Copy)]
enum Ctx {
    Start,
    After(&'static str),
}

struct Parser<'a> {
    toks: &'a [Token],
    pos: usize,
    end_col: usize,
    depth: usize,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<&'a Token> {
        self.toks.get(self.pos)
    }

    fn peek_tok(&self) -> Option<&'a Tok> {
        self.peek().map(|t| &t.tok)
    }

    /// The column of the next token, or just past the end.
    fn here(&self) -> usize {
        self.peek().map_or(self.end_col, |t| t.col)
    }

    fn or(&mut self, ctx: Ctx) -> Result<Node, QueryError> {
        let mut items = vec![self.and(ctx)?];
        while self.peek_tok() == Some(&Tok::Or) {
            self.pos += 1;
            items.push(self.and(Ctx::After("OR"))?);
        }
        Ok(join(items, Node::Or))
    }

    fn and(&mut self, ctx: Ctx) -> Result<Node, QueryError> {
        let mut items = vec![self.unary(ctx)?];
        loop {
            match self.peek_tok() {
                Some(Tok::And) => {
                    self.pos += 1;
                    items.push(self.unary(Ctx::After("AND"))?);
                }
                Some(Tok::Word(_) | Tok::Phrase(_) | Tok::LParen | Tok::Minus | Tok::Not) => {
                    items.push(self.unary(Ctx::Start)?);
                }
                _ => break,
            }
        }
        Ok(join(items, Node::And))
    }

    fn unary(&mut self, ctx: Ctx) -> Result<Node, QueryError> {
        let Some(t) = self.peek() else {
            return Err(self.missing(ctx));
        };
        match t.tok {
            Tok::Not => {
                self.pos += 1;
                self.nest(t.col, |p| p.unary(Ctx::After("NOT")))
            }
            Tok::Minus => {
                self.pos += 1;
                let attached = self.peek().is_some_and(|next| {
                    next.col == t.col + 1 && matches!(next.tok, Tok::Word(_) | Tok::Phrase(_) | Tok::LParen)
                });
                if !attached {
                    return Err(QueryError::new(
                        t.col + 1,
                        "expected a term, phrase or `(` right after `-`",
                    ));
                }
                self.nest(t.col, |p| p.primary(ctx))
            }
            _ => self.primary(ctx),
        }
    }

    /// Parses a negated operand one level deeper.
    fn nest(
        &mut self,
        col: usize,
        inner: impl FnOnce(&mut Self) -> Result<Node, QueryError>,
    ) -> Result<Node, QueryError> {
        let node = self.deeper(col, inner)?;
        Ok(Node::Not(Box::new(node)))
    }

    fn deeper(
        &mut self,
        col: usize,
        inner: impl FnOnce(&mut Self) -> Result<Node, QueryError>,
    ) -> Result<Node, QueryError> {
        if self.depth >= MAX_DEPTH {
            return Err(QueryError::new(
                col,
                format!("the query nests `(`, `NOT` and `-` more than {MAX_DEPTH} deep"),
            ));
        }
        self.depth += 1;
        let node = inner(self);
        self.depth -= 1;
        node
    }

    fn primary(&mut self, ctx: Ctx) -> Result<Node, QueryError> {
        let Some(t) = self.peek() else {
            return Err(self.missing(ctx));
        };
        match &t.tok {
            Tok::Word(w) => {
                self.pos += 1;
                word(w, t.col)
            }
            Tok::Phrase(text) => {
                self.pos += 1;
                phrase(text, t.col)
            }
            Tok::LParen => {
                self.pos += 1;
                let inner = self.deeper(t.col, |p| p.or(Ctx::After("(")))?;
                if self.peek_tok() != Some(&Tok::RParen) {
                    return Err(QueryError::new(
                        self.here(),
                        format!("expected `)` to close the `(` at column {}", t.col),
                    ));
                }
                self.pos += 1;
                Ok(inner)
            }
            _ => Err(self.missing(ctx)),
        }
    }

    /// The error for an operand that is missing where the parser stands.
    fn missing(&self, ctx: Ctx) -> QueryError {
        let message = match (ctx, self.peek_tok()) {
            (Ctx::After(what), _) => format!("expected a term after `{what}`"),
            (Ctx::Start, None) => "empty query".to_string(),
            (Ctx::Start, Some(Tok::RParen)) => "unexpected `)`".to_string(),
            (Ctx::Start, Some(tok)) => format!("expected a term before `{}`", show(tok)),
        };
        QueryError::new(self.here(), message)
    }
}

/// One item stays itself; several become an AND/OR node.
fn join(mut items: Vec<Node>, make: fn(Vec<Node>) -> Node) -> Node {
    match (items.pop(), items.is_empty()) {
        (Some(only), true) => only,
        (Some(last), false) => {
            items.push(last);
            make(items)
        }
        (None, _) => make(items),
    }
}

/// How a token is written, for messages.
fn show(tok: &Tok) -> String {
    match tok {
        Tok::LParen => "(".into(),
        Tok::RParen => ")".into(),
        Tok::Minus => "-".into(),
        Tok::And => "AND".into(),
        Tok::Or => "OR".into(),
        Tok::Not => "NOT".into(),
        Tok::Word(w) => w.clone(),
        Tok::Phrase(p) => format!("\"{p}\""),
    }
}

/// A bare word: a field (`network:`, `lang:`, `author:`), a prefix (`acme*`) or a term.
fn word(w: &str, col: usize) -> Result<Node, QueryError> {
    if let Some((name, value)) = w.split_once(':') {
        let name = name.to_lowercase();
        if matches!(name.as_str(), "network" | "lang" | "author") {
            let value_col = col + name.chars().count() + 1;
            return field(&name, value, col, value_col).map(Node::Field);
        }
    }
    if w.trim_end_matches('*').is_empty() {
        return Err(QueryError::new(col, "`*` needs a word before it, as in `acme*`"));
    }
    Ok(Node::Text(match w.strip_suffix('*') {
        Some(stem) => Pattern::new(vec![fold(stem)], true),
        None => Pattern::new(vec![fold(w)], false),
    }))
}

fn field(name: &str, value: &str, col: usize, value_col: usize) -> Result<Field, QueryError> {
    if value.trim_start_matches('@').is_empty() {
        return Err(QueryError::new(col, format!("`{name}:` needs a value")));
    }
    match name {
        "network" => value
            .parse::<Network>()
            .map(Field::Network)
            .map_err(|e| QueryError::new(value_col, e)),
        "lang" => {
            let ok = value
                .split(['-', '_'])
                .all(|part| !part.is_empty() && part.chars().all(|c| c.is_ascii_alphanumeric()));
            if ok {
                Ok(Field::Lang(normalize_lang(value)))
            } else {
                Err(QueryError::new(
                    value_col,
                    format!("`{value}` is not a language code (expected e.g. `en` or `pt-BR`)"),
                ))
            }
        }
        _ => Ok(Field::Author(Handle::new(value))),
    }
}

/// A phrase between quotes: its words in order, any whitespace between them.
fn phrase(text: &str, col: usize) -> Result<Node, QueryError> {
    let words: Vec<String> = fold(text).split_whitespace().map(String::from).collect();
    if words.is_empty() {
        return Err(QueryError::new(col, "empty phrase: expected words between the `\"`"));
    }
    Ok(Node::Text(Pattern::new(words, false)))
}

/// (can be true, can be false) when every term and phrase is false and fields are free.
fn outcomes(node: &Node) -> (bool, bool) {
    match node {
        Node::Text(_) => (false, true),
        Node::Field(_) => (true, true),
        Node::Not(inner) => {
            let (t, f) = outcomes(inner);
            (f, t)
        }
        Node::And(items) => items
            .iter()
            .map(outcomes)
            .fold((true, false), |(t, f), (a, b)| (t && a, f || b)),
        Node::Or(items) => items
            .iter()
            .map(outcomes)
            .fold((false, true), |(t, f), (a, b)| (t || a, f && b)),
    }
}
