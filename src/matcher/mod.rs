//! TEMPORARY stub while the real matcher is written elsewhere.
use crate::domain::{OwnAccount, Post};
#[derive(Debug, Clone)]
pub struct QueryError { pub column: usize, pub message: String }
#[derive(Debug, Clone)]
pub struct Query(String);
impl Query {
    pub fn parse(src: &str) -> Result<Query, QueryError> {
        if src.matches('(').count() != src.matches(')').count() { return Err(QueryError{column: 1, message: "unbalanced".into()}); }
        Ok(Query(src.to_lowercase()))
    }
    pub fn matches(&self, post: &Post) -> bool { post.text.to_lowercase().contains(&self.0) }
}
pub struct BrandRule { pub name: String, pub query: Query, pub own_accounts: Vec<OwnAccount> }
pub struct Matcher { brands: Vec<BrandRule> }
impl Matcher {
    pub fn new(brands: Vec<BrandRule>) -> Matcher { Matcher { brands } }
    pub fn matching_brands(&self, post: &Post) -> Vec<usize> {
        self.brands.iter().enumerate().filter(|(_, b)| !b.own_accounts.iter().any(|a| a.wrote(post)) && b.query.matches(post)).map(|(i, _)| i).collect()
    }
    pub fn brands(&self) -> &[BrandRule] { &self.brands }
}
