//! What a reply must pass before anything is stored or sent: each network's length rule, and X's
//! rule that automated replies may only answer posts that mention or quote the brand.

use unicode_segmentation::UnicodeSegmentation;

use crate::domain::Network;

/// The longest reply each network takes, in its own unit (see `length`).
pub fn length_limit(network: Network) -> usize {
    match network {
        Network::Mastodon => 500,
        Network::Bluesky => 300,
        Network::X => 280,
        Network::Reddit | Network::Hackernews | Network::Rss | Network::Replay => 10_000,
    }
}

/// The reply's length as the network counts it: Bluesky counts graphemes; X weighs characters
/// (most scripts 1, CJK and emoji 2) and counts every URL as 23; the others count characters.
pub fn length(network: Network, text: &str) -> usize {
    match network {
        Network::Bluesky => text.graphemes(true).count(),
        Network::X => x_weighted(text),
        _ => text.chars().count(),
    }
}

fn x_weighted(text: &str) -> usize {
    let mut total = 0;
    for word in text.split_inclusive(char::is_whitespace) {
        let trimmed = word.trim_end();
        if trimmed.starts_with("http://") || trimmed.starts_with("https://") {
            total += 23 + (word.len() - trimmed.len());
            continue;
        }
        total += word.chars().map(x_weight).sum::<usize>();
    }
    total
}

/// X's twitter-text ranges of weight 1; everything else weighs 2.
fn x_weight(c: char) -> usize {
    let light = matches!(c as u32, 0..=4351 | 8192..=8205 | 8208..=8223 | 8242..=8247);
    if light {
        1
    } else {
        2
    }
}

/// X's rule: the post must mention one of the brand's X accounts (or quote it, which shows up
/// as the account's handle in the text we have). `handles` are without `@`.
pub fn x_allows_reply(post_text: &str, handles: &[String]) -> bool {
    let text = post_text.to_lowercase();
    handles.iter().any(|h| {
        let at = format!("@{}", h.to_lowercase());
        text.match_indices(&at).any(|(i, _)| {
            let after = text[i + at.len()..].chars().next();
            !after.is_some_and(|c| c.is_alphanumeric() || c == '_')
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_follow_each_network() {
        assert_eq!(length(Network::Bluesky, "👍🏽 ok"), 4);
        assert_eq!(length(Network::Mastodon, "👍🏽 ok"), 5);
        assert_eq!(
            length(Network::X, "hi https://example.com/a/very/long/path/indeed ok"),
            3 + 23 + 3
        );
        assert_eq!(length(Network::X, "日本"), 4);
    }

    #[test]
    fn x_replies_need_a_mention_of_the_brand() {
        let handles = vec!["acme".to_string()];
        assert!(x_allows_reply("hey @Acme is this down?", &handles));
        assert!(!x_allows_reply("hey @acmecorp is this down?", &handles));
        assert!(!x_allows_reply("acme is down", &handles));
    }
}
