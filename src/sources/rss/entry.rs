//! One feed entry as a `Post`: id, link, author, title, plain text, time and language. Pure
//! mapping; no I/O and no knowledge of cursors.

use feed_rs::model::{Entry, Link};

use crate::domain::{Author, Network, Post};
use crate::sources::text::html_to_text;

/// What every entry of one feed shares.
#[derive(Debug, Clone)]
pub(super) struct Origin {
    /// The feed's host, lowercase: the author handle when an entry names no author, and the
    /// handle of every post on the brand's own blog.
    pub host: String,
    /// The host is one of the brands' own accounts (`rss:<host>`).
    pub own: bool,
    /// The feed's language, for entries that do not name their own.
    pub lang: Option<String>,
}

pub(super) fn to_post(e: &Entry, origin: &Origin) -> Post {
    let url = main_link(&e.links).map(|l| l.href.clone());
    let text = e
        .content
        .as_ref()
        .and_then(|c| c.body.as_deref())
        .or(e.summary.as_ref().map(|s| s.content.as_str()))
        .map(html_to_text)
        .unwrap_or_default();
    let title = e
        .title
        .as_ref()
        .map(|t| html_to_text(&t.content))
        .filter(|t| !t.is_empty());
    let name = author_name(e);
    // On the brand's own blog every post is the brand's; comments on it are still the readers'.
    let handle = if origin.own && !is_comment(url.as_deref()) {
        Some(origin.host.clone())
    } else {
        name.clone().or_else(|| Some(origin.host.clone()))
    };
    Post {
        network: Network::Rss,
        id: entry_id(e, url.as_deref(), title.as_deref(), &text),
        url,
        author: Some(Author { handle, name }),
        title,
        text,
        created_at: e.published.or(e.updated),
        reply_to: None,
        lang: e.language.clone().or_else(|| origin.lang.clone()),
        repost_of: None,
    }
}

/// The entry's page: the first `alternate` link (Atom also lists `self`, `replies`, `edit`…).
pub(super) fn main_link(links: &[Link]) -> Option<&Link> {
    links
        .iter()
        .find(|l| l.rel.as_deref().is_none_or(|r| r == "alternate"))
        .or_else(|| links.first())
}

/// WordPress comment feeds link each comment as `…/post/#comment-12`.
fn is_comment(url: Option<&str>) -> bool {
    url.is_some_and(|u| u.contains("#comment-"))
}

/// The guid / Atom id, else the link (set by the parser), else a hash of what the entry says,
/// so the same entry keeps the same id from one poll to the next.
fn entry_id(e: &Entry, url: Option<&str>, title: Option<&str>, text: &str) -> String {
    let id = e.id.trim();
    if !id.is_empty() {
        return id.to_string();
    }
    if let Some(u) = url {
        return u.to_string();
    }
    let when = e.published.or(e.updated).map(|t| t.to_rfc3339()).unwrap_or_default();
    format!("h:{:016x}", fnv1a(&[title.unwrap_or(""), &when, text]))
}

/// FNV-1a: small and stable across Rust releases (std's hasher is not guaranteed to be).
fn fnv1a(parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for b in part.bytes().chain(std::iter::once(0)) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

/// The first author's name. RSS 2.0's `<author>` is an email address, often written
/// `jane@example.com (Jane Doe)`; feed-rs then leaves a placeholder name.
fn author_name(e: &Entry) -> Option<String> {
    let p = e.authors.first()?;
    let name = p.name.trim();
    if !name.is_empty() && name != "unknown" && name != "author" {
        return Some(name.to_string());
    }
    let email = p.email.as_deref()?.trim();
    let shown = match email.split_once('(') {
        Some((_, rest)) => rest.trim_end_matches(')').trim(),
        None => email,
    };
    (!shown.is_empty()).then(|| shown.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin(own: bool) -> Origin {
        Origin {
            host: "blog.acme.test".into(),
            own,
            lang: Some("en".into()),
        }
    }

    fn first_entry(xml: &str) -> Entry {
        feed_rs::parser::parse(xml.as_bytes()).unwrap().entries.remove(0)
    }

    #[test]
    fn rss_author_emails_give_the_name_in_parentheses() {
        let e = first_entry(
            r#"<rss version="2.0"><channel><title>t</title><item><title>Hi</title>
            <guid isPermaLink="false">42</guid><author>jane@example.com (Jane Doe)</author>
            <description>&lt;p&gt;About &lt;b&gt;Acme&lt;/b&gt;&lt;/p&gt;</description></item></channel></rss>"#,
        );
        let p = to_post(&e, &origin(false));
        assert_eq!(p.id, "42");
        assert_eq!(p.author_handle(), Some("Jane Doe"));
        assert_eq!(p.text, "About Acme");
        assert_eq!(p.lang.as_deref(), Some("en"));
    }

    #[test]
    fn own_blog_posts_are_the_brands_but_comments_are_not() {
        let post = first_entry(
            r#"<rss version="2.0"><channel><title>t</title><item><title>News</title>
            <link>https://blog.acme.test/news/</link></item></channel></rss>"#,
        );
        assert_eq!(to_post(&post, &origin(true)).author_handle(), Some("blog.acme.test"));
        let comment = first_entry(
            r#"<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>t</title>
            <item><title>Comment on News by Bob</title><link>https://blog.acme.test/news/#comment-7</link>
            <dc:creator>Bob</dc:creator></item></channel></rss>"#,
        );
        assert_eq!(to_post(&comment, &origin(true)).author_handle(), Some("Bob"));
    }

    #[test]
    fn an_entry_without_id_or_link_gets_a_stable_id() {
        let xml = r#"<rss version="2.0"><channel><title>t</title><item><title>Same</title>
            <description>text</description></item></channel></rss>"#;
        let a = super::super::parse(xml.as_bytes(), "https://blog.acme.test/feed").unwrap();
        let b = super::super::parse(xml.as_bytes(), "https://blog.acme.test/feed").unwrap();
        let (a, b) = (
            to_post(&a.entries[0], &origin(false)),
            to_post(&b.entries[0], &origin(false)),
        );
        assert_eq!(a.id, b.id);
        assert!(a.id.starts_with("h:"), "{}", a.id);
    }
}
