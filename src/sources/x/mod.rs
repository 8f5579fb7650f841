//! X (API v2): recent search for the brands' terms with `since_id`, and the brands' own accounts'
//! timelines (tweets, replies and retweets, so the pipeline can record broadcasts, replies and
//! shares). One poller per endpoint, each with its own cursor. Read-only: never posts, never
//! talks to chat.

mod api;
mod fetch;
mod tweets;

use std::sync::Arc;

use super::poll::Poller;
use super::{Setup, Source};
use api::Api;
use fetch::{Endpoint, TweetsFetch};

/// Every X source one `[[sources]]` table asks for.
pub fn build(setup: &Setup) -> Result<Vec<Box<dyn Source>>, String> {
    Ok(pollers(setup)?
        .into_iter()
        .map(|p| Box::new(p) as Box<dyn Source>)
        .collect())
}

/// The pollers behind `build`, named by their cursor keys (`x/search`, `x/@acme/tweets`); tests
/// drive them one round at a time.
pub fn pollers(setup: &Setup) -> Result<Vec<Poller>, String> {
    let s = setup.source;
    let token = s.token.clone().ok_or("x needs `bearer_token_env`")?;
    let api = Arc::new(Api::new(setup.http.clone(), &s.base_url, token));
    let mut out = Vec::new();
    let mut add = |part: String, endpoint: Endpoint| {
        let name = setup.part(&part);
        let fetch = TweetsFetch::new(api.clone(), &name, endpoint);
        out.push(Poller::new(&name, s.every.as_std(), Box::new(fetch)));
    };
    let base = setup.search_query();
    if !base.trim().is_empty() {
        add("search".into(), Endpoint::Search { query: x_query(&base) });
    }
    for account in setup.own_accounts() {
        let username = checked_username(&account)?;
        let endpoint = Endpoint::Timeline {
            username: username.to_string(),
            user_id: None,
        };
        add(format!("@{username}/tweets"), endpoint);
    }
    Ok(out)
}

/// The search query in X's syntax: terms joined by OR (phrases quoted, as `search_query` gives
/// them), without retweets, which only repeat posts already read. Grouped, because X binds the
/// implicit AND tighter than OR.
fn x_query(base: &str) -> String {
    if base.contains("is:retweet") {
        base.to_string()
    } else if base.contains(" OR ") {
        format!("({base}) -is:retweet")
    } else {
        format!("{base} -is:retweet")
    }
}

/// X usernames are letters, digits and `_`; anything else would change the request path.
fn checked_username(handle: &str) -> Result<&str, String> {
    let name = handle.trim().trim_start_matches('@');
    let ok = !name.is_empty() && name.len() <= 15 && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ok {
        Ok(name)
    } else {
        Err(format!("`{handle}` is not a valid X username"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_group_alternatives_and_drop_retweets() {
        assert_eq!(
            x_query(r#""acme cloud" OR acmecloud"#),
            r#"("acme cloud" OR acmecloud) -is:retweet"#
        );
        assert_eq!(x_query("acme"), "acme -is:retweet");
        assert_eq!(x_query("acme -is:retweet lang:en"), "acme -is:retweet lang:en");
        assert!(checked_username("@acme_hq").is_ok());
        assert!(checked_username("acme/../x").is_err());
    }
}
