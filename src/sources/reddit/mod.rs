//! Reddit: an OAuth script-app token, `search?sort=new`, each configured subreddit's new posts
//! and comments, and the brands' own accounts (`/user/<name>/overview`: their submissions and
//! comments, so the pipeline can record broadcasts, replies and shares). One poller per listing,
//! each with its own cursor. Read-only: never posts, never talks to chat.

mod api;
pub mod auth;
mod fetch;
mod listing;

use std::sync::Arc;

use secrecy::SecretString;

use super::poll::Poller;
use super::{Setup, Source};
use api::Api;
use auth::{Auth, Credentials};
use fetch::ListingFetch;

/// Every Reddit source one `[[sources]]` table asks for.
pub fn build(setup: &Setup) -> Result<Vec<Box<dyn Source>>, String> {
    Ok(pollers(setup)?
        .into_iter()
        .map(|p| Box::new(p) as Box<dyn Source>)
        .collect())
}

/// The pollers behind `build`, named by their cursor keys (`reddit/search`, `reddit/r/rust/new`,
/// `reddit/u/acme/overview` …); tests drive them one round at a time.
pub fn pollers(setup: &Setup) -> Result<Vec<Poller>, String> {
    let s = setup.source;
    let api = Arc::new(api(setup)?);
    let mut out = Vec::new();
    let mut add = |part: String, path: String, params: Vec<(&'static str, String)>| {
        let name = setup.part(&part);
        let fetch = ListingFetch::new(api.clone(), &name, path, params);
        out.push(Poller::new(&name, s.every.as_std(), Box::new(fetch)));
    };
    let query = setup.search_query();
    if s.search && !query.trim().is_empty() {
        let params = vec![("q", query), ("sort", "new".into()), ("type", "link".into())];
        add("search".into(), "/search".into(), params);
    }
    for sub in &s.subreddits {
        let sub = checked_name(sub, "subreddit")?;
        add(format!("r/{sub}/new"), format!("/r/{sub}/new"), Vec::new());
        add(format!("r/{sub}/comments"), format!("/r/{sub}/comments"), Vec::new());
    }
    for account in setup.own_accounts() {
        let user = checked_name(user_name(&account), "own account")?;
        // `overview` is submissions and comments in one newest-first listing: one request a
        // round instead of two, and a reply to the brand's own new post is read in the same page
        // as that post (after it), so the pipeline counts it as a broadcast, not a reply.
        let params = vec![("sort", "new".to_string())];
        add(format!("u/{user}/overview"), format!("/user/{user}/overview"), params);
    }
    Ok(out)
}

/// `u/acme`, `/u/acme` and `acme` all name the user `acme`.
fn user_name(handle: &str) -> &str {
    let h = handle.trim().trim_start_matches('/');
    h.strip_prefix("u/").unwrap_or(h)
}

/// Subreddit and user names are letters, digits, `_` and `-`; anything else would change the
/// request path, so it is refused at startup.
fn checked_name<'a>(name: &'a str, what: &str) -> Result<&'a str, String> {
    let ok = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if ok {
        Ok(name)
    } else {
        Err(format!("`{name}` is not a valid reddit {what} name"))
    }
}

fn api(setup: &Setup) -> Result<Api, String> {
    let s = setup.source;
    let missing = "reddit needs `client_id_env`, `client_secret_env`, `username` and `password_env`";
    let need = |v: &Option<SecretString>| v.clone().ok_or(missing);
    let creds = Credentials {
        client_id: need(&s.client_id)?,
        client_secret: need(&s.client_secret)?,
        username: s.identifier.clone().ok_or(missing)?,
        password: need(&s.password)?,
    };
    let user_agent = s
        .user_agent
        .clone()
        .unwrap_or_else(|| format!("talkback/{} by {}", env!("CARGO_PKG_VERSION"), creds.username));
    let auth_url = s.auth_url.as_deref().unwrap_or("https://www.reddit.com");
    let auth = Auth::new(auth_url, creds);
    Ok(Api::new(setup.http.clone(), &s.base_url, user_agent, auth))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_account_forms_name_the_same_user() {
        assert_eq!(user_name("u/acme"), "acme");
        assert_eq!(user_name("/u/acme"), "acme");
        assert_eq!(user_name("acme"), "acme");
        assert!(checked_name("rust", "subreddit").is_ok());
        assert!(checked_name("../x", "subreddit").is_err());
    }
}
