//! Brand queries (design §4): parse each brand's query once, then tell which brands a post mentions.
//! Pure and synchronous: must not touch config files, the store, sources, chat or the network.
//!
//! `Query::parse` checks a query string; `Matcher::matching_brands` applies every brand's query
//! to a post, folding the post's title and text once, and skips brands whose own account wrote it.

mod eval;
mod fold;
mod lex;
mod parse;
mod prefilter;
#[cfg(test)]
mod tests;

use std::fmt;
use std::str::FromStr;

use std::cell::RefCell;

use crate::domain::{Network, OwnAccount, Post, PostRef};
use eval::{Folded, Node};
use prefilter::Prefilter;

/// Why a query string is not a valid query: the 1-based column (in chars) and what was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryError {
    pub column: usize,
    pub message: String,
}

impl QueryError {
    pub(crate) fn new(column: usize, message: impl Into<String>) -> QueryError {
        QueryError {
            column,
            message: message.into(),
        }
    }
}

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "column {}: {}", self.column, self.message)
    }
}

impl std::error::Error for QueryError {}

/// A parsed, checked brand query.
#[derive(Debug, Clone)]
pub struct Query {
    source: String,
    root: Node,
}

impl Query {
    /// Parses `src`; rejects malformed queries and queries that can match without a positive term.
    pub fn parse(src: &str) -> Result<Query, QueryError> {
        Ok(Query {
            source: src.to_string(),
            root: parse::parse(src)?,
        })
    }

    /// The query as it was written.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// The words and phrases a post must contain for the query to match it (those not under a
    /// NOT), for network search APIs; results still go through `matches`.
    pub fn search_terms(&self) -> Vec<String> {
        let mut out = Vec::new();
        self.root.positive_terms(false, &mut out);
        out.dedup();
        out
    }

    /// True when the post matches the query (title or text). Knows nothing of own accounts.
    pub fn matches<'a>(&self, post: impl Into<Subject<'a>>) -> bool {
        let post = post.into();
        let mut folded = Folded::default();
        self.root.eval(&post, &folded.fill(&post))
    }
}

impl FromStr for Query {
    type Err = QueryError;
    fn from_str(s: &str) -> Result<Query, QueryError> {
        Query::parse(s)
    }
}

impl fmt::Display for Query {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

/// What the matcher looks at in a post, borrowed from a `Post` or a `PostRef`.
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    pub network: Network,
    pub author: Option<&'a str>,
    pub title: Option<&'a str>,
    pub text: &'a str,
    pub lang: Option<&'a str>,
}

impl<'a> From<&'a Post> for Subject<'a> {
    fn from(p: &'a Post) -> Subject<'a> {
        Subject {
            network: p.network,
            author: p.author_handle(),
            title: p.title.as_deref(),
            text: &p.text,
            lang: p.lang.as_deref(),
        }
    }
}

impl<'a> From<&'a PostRef<'_>> for Subject<'a> {
    fn from(p: &'a PostRef<'_>) -> Subject<'a> {
        Subject {
            network: p.network,
            author: p.author_handle(),
            title: p.title.as_ref().map(|t| &*t.0),
            text: &p.text.0,
            lang: p.lang.as_ref().map(|l| &*l.0),
        }
    }
}

/// A brand as the matcher sees it.
#[derive(Debug, Clone)]
pub struct BrandRule {
    pub name: String,
    pub query: Query,
    pub own_accounts: Vec<OwnAccount>,
}

impl BrandRule {
    /// True when one of the brand's own accounts wrote `post`.
    pub fn is_own_post<'a>(&self, post: impl Into<Subject<'a>>) -> bool {
        let post = post.into();
        self.own_accounts.iter().any(|a| a.is_author(post.network, post.author))
    }
}

/// Every brand's rule, in config order, with the prefilter compiled from all their queries.
#[derive(Clone)]
pub struct Matcher {
    brands: Vec<BrandRule>,
    prefilter: std::sync::Arc<Prefilter>,
}

impl fmt::Debug for Matcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Matcher")
            .field("brands", &self.brands)
            .finish_non_exhaustive()
    }
}

/// Per-thread buffers for one post at a time, so matching a post allocates nothing unless it
/// matches (the returned list).
#[derive(Default)]
struct Scratch {
    folded: Folded,
    candidates: Vec<u32>,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

impl Matcher {
    pub fn new(brands: Vec<BrandRule>) -> Matcher {
        let prefilter = Prefilter::new(brands.iter().map(|b| &b.query.root));
        Matcher {
            brands,
            prefilter: std::sync::Arc::new(prefilter),
        }
    }

    /// Indices (config order) of the brands this post mentions; skips brands whose own account
    /// wrote it. The prefilter picks the brands whose words occur; only those are evaluated.
    pub fn matching_brands<'a>(&self, post: impl Into<Subject<'a>>) -> Vec<usize> {
        let post = post.into();
        SCRATCH.with(|scratch| {
            let Scratch { folded, candidates } = &mut *scratch.borrow_mut();
            let hay = folded.fill(&post);
            self.prefilter.candidates(&hay, candidates);
            candidates
                .iter()
                .map(|&i| i as usize)
                .filter(|&i| {
                    let b = &self.brands[i];
                    b.query.root.eval(&post, &hay) && !b.is_own_post(post)
                })
                .collect()
        })
    }

    /// The same answer as `matching_brands`, by evaluating every brand's query on the post
    /// with no prefilter: the reference the fast path is tested against.
    pub fn matching_brands_exhaustive<'a>(&self, post: impl Into<Subject<'a>>) -> Vec<usize> {
        let post = post.into();
        let mut folded = Folded::default();
        let hay = folded.fill(&post);
        self.brands
            .iter()
            .enumerate()
            .filter(|(_, b)| !b.is_own_post(post) && b.query.root.eval(&post, &hay))
            .map(|(i, _)| i)
            .collect()
    }

    pub fn brands(&self) -> &[BrandRule] {
        &self.brands
    }
}
