//! A post read without copying: `PostRef` has `Post`'s fields and rules but borrows its strings
//! from the input wherever JSON allows (no escapes), for paths that look at a post and move on
//! (`talkback match` on a firehose). Plain data, like the rest of `domain`.

use std::borrow::Cow;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::de::{Error, Unexpected, Visitor};
use serde::{Deserialize, Deserializer};

use super::Network;

/// One post, as in design §3, borrowing from the JSON it was read from. It accepts exactly the
/// lines `Post` accepts (a test holds the two to that).
#[derive(Debug, Deserialize)]
pub struct PostRef<'a> {
    pub network: Network,
    #[serde(borrow)]
    pub id: Id<'a>,
    #[serde(default, borrow)]
    pub url: Option<Text<'a>>,
    #[serde(default, borrow)]
    pub author: Option<AuthorRef<'a>>,
    #[serde(default, borrow)]
    pub title: Option<Text<'a>>,
    #[serde(borrow)]
    pub text: Text<'a>,
    #[serde(default)]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default, borrow)]
    pub reply_to: Option<Id<'a>>,
    #[serde(default, borrow)]
    pub lang: Option<Text<'a>>,
    #[serde(default, borrow)]
    pub repost_of: Option<Text<'a>>,
}

impl PostRef<'_> {
    /// The author's handle as written, if any.
    pub fn author_handle(&self) -> Option<&str> {
        self.author.as_ref().and_then(|a| a.handle.as_ref()).map(|h| &*h.0)
    }
}

/// Who wrote a post, borrowed.
#[derive(Debug, Default, Deserialize)]
pub struct AuthorRef<'a> {
    #[serde(default, borrow)]
    pub handle: Option<Text<'a>>,
    #[serde(default, borrow)]
    pub name: Option<Text<'a>>,
}

/// A JSON string, borrowed unless it had escapes to undo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text<'a>(pub Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(TextVisitor { numbers: false }).map(Text)
    }
}

/// A network's id, given as a string or a number (HN's are numbers), kept as its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Id<'a>(pub Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Id<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(TextVisitor { numbers: true }).map(Id)
    }
}

/// Reads a string, and when `numbers` a number too, as its text. A visitor rather than an
/// untagged enum: this runs for every post of a firehose, and an untagged enum buffers the value
/// before trying each variant.
pub(super) struct TextVisitor {
    pub(super) numbers: bool,
}

impl TextVisitor {
    fn number<'de, E: Error>(&self, text: String, as_found: Unexpected<'_>) -> Result<Cow<'de, str>, E> {
        match self.numbers {
            true => Ok(Cow::Owned(text)),
            false => Err(E::invalid_type(as_found, self)),
        }
    }
}

impl<'de> Visitor<'de> for TextVisitor {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.numbers {
            "a string or a number"
        } else {
            "a string"
        })
    }

    fn visit_borrowed_str<E: Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }

    fn visit_str<E: Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_string()))
    }

    fn visit_string<E: Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v))
    }

    fn visit_u64<E: Error>(self, v: u64) -> Result<Self::Value, E> {
        self.number(v.to_string(), Unexpected::Unsigned(v))
    }

    fn visit_i64<E: Error>(self, v: i64) -> Result<Self::Value, E> {
        self.number(v.to_string(), Unexpected::Signed(v))
    }

    fn visit_f64<E: Error>(self, v: f64) -> Result<Self::Value, E> {
        // Written the way serde_json writes the number back, e.g. `1.5`.
        let text = serde_json::Number::from_f64(v)
            .map(|n| n.to_string())
            .ok_or_else(|| E::custom("an id must be a finite number"))?;
        self.number(text, Unexpected::Float(v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Post;

    #[test]
    fn post_ref_accepts_what_post_accepts_and_borrows_plain_strings() {
        let lines = [
            r#"{"network":"hackernews","id":123,"text":"hi"}"#,
            r#"{"network":"x","id":"17","text":"a \"quoted\" \u00e9","reply_to":-4,"repost_of":null}"#,
            r#"{"network":"x","id":1.5,"text":"hi","reply_to":null,"lang":"en","extra":[1,{"a":2}]}"#,
            r#"{"network":"mastodon","id":"1","author":{"handle":"@a@b.c","name":null},"title":null,"text":""}"#,
            r#"{"network":"reddit","id":"t3_x","url":"https://r/x","created_at":"2026-11-20T10:00:00Z","text":"t"}"#,
            r#"{"network":"x","id":true,"text":"hi"}"#,
            r#"{"network":"x","id":"1","text":"hi","reply_to":[]}"#,
            r#"{"network":"myspace","id":"1","text":"hi"}"#,
            r#"{"network":"x","id":"1"}"#,
            r#"{"network":"x","id":"1","text":5}"#,
            r#"{"network":"x","id":"1","text":"hi","created_at":"yesterday"}"#,
            r#"{"network":"x","id":"1","text":"hi","author":"someone"}"#,
            r#"{"network":"x","id":"1","text":"hi","lang":null,"author":{}}"#,
            r#"{"network":"x","id":"1","text":"hi"} trailing"#,
            r#"["x","1","hi"]"#,
        ];
        for line in lines {
            let owned = serde_json::from_str::<Post>(line);
            let borrowed = serde_json::from_str::<PostRef>(line);
            assert_eq!(owned.is_ok(), borrowed.is_ok(), "{line}: {owned:?} vs {borrowed:?}");
            if let (Ok(o), Ok(b)) = (owned, borrowed) {
                assert_eq!((o.id.as_str(), o.text.as_str()), (&*b.id.0, &*b.text.0));
                assert_eq!(o.reply_to.as_deref(), b.reply_to.as_ref().map(|r| &*r.0));
                assert_eq!(o.author_handle(), b.author_handle());
                assert_eq!(o.lang.as_deref(), b.lang.as_ref().map(|l| &*l.0));
            }
        }
        let p: PostRef = serde_json::from_str(r#"{"network":"x","id":"9","text":"plain","lang":"e\u006e"}"#).unwrap();
        assert!(matches!(p.text.0, Cow::Borrowed("plain")));
        assert!(matches!(p.id.0, Cow::Borrowed("9")));
        assert_eq!(p.lang.map(|l| l.0), Some(Cow::Owned("en".to_string())));
    }
}
