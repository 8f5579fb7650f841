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
    #[serde(default, deserialize_with = "timestamp")]
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

/// `created_at`, accepting what chrono's own `Deserialize` (which `Post` uses) accepts.
fn timestamp<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
    let Some(text) = Option::<Text<'de>>::deserialize(d)? else {
        return Ok(None);
    };
    match canonical_timestamp(text.0.as_bytes()) {
        Some(t) => Ok(Some(t)),
        None => text
            .0
            .parse::<DateTime<chrono::FixedOffset>>()
            .map(|t| Some(t.with_timezone(&Utc)))
            .map_err(D::Error::custom),
    }
}

/// `2026-11-20T10:00:00Z`, optionally with 1–9 digits of fraction: the form our sources write
/// and most networks send, read without chrono's general parser (a twelfth of a firehose post's
/// reading time). Anything else (offsets, leap seconds, other spellings), and every value out
/// of range, is `None` and left to chrono, so the two accept the same lines.
fn canonical_timestamp(b: &[u8]) -> Option<DateTime<Utc>> {
    let digits = |at: usize, n: usize| -> Option<u32> {
        b.get(at..at + n)?
            .iter()
            .try_fold(0u32, |v, &c| c.is_ascii_digit().then(|| v * 10 + u32::from(c - b'0')))
    };
    let punctuation = [(4, b'-'), (7, b'-'), (10, b'T'), (13, b':'), (16, b':')];
    if b.len() < 20 || b.last() != Some(&b'Z') || punctuation.iter().any(|&(at, c)| b[at] != c) {
        return None;
    }
    let nanos = match &b[19..b.len() - 1] {
        [] => 0,
        [b'.', fraction @ ..] if (1..=9).contains(&fraction.len()) => {
            digits(20, fraction.len())? * 10u32.pow(9 - fraction.len() as u32)
        }
        _ => return None,
    };
    let date = chrono::NaiveDate::from_ymd_opt(digits(0, 4)? as i32, digits(5, 2)?, digits(8, 2)?)?;
    let time = chrono::NaiveTime::from_hms_nano_opt(digits(11, 2)?, digits(14, 2)?, digits(17, 2)?, nanos)?;
    Some(date.and_time(time).and_utc())
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
        assert!(p.created_at.is_none());
        assert!(matches!(p.text.0, Cow::Borrowed("plain")));
        assert!(matches!(p.id.0, Cow::Borrowed("9")));
        assert_eq!(p.lang.map(|l| l.0), Some(Cow::Owned("en".to_string())));
    }

    #[test]
    fn timestamps_read_as_chrono_reads_them() {
        for t in [
            "2026-11-20T10:00:00Z",
            "2026-11-20T10:00:00.5Z",
            "2026-11-20T10:00:00.123456789Z",
            "2026-11-20T10:00:00.1234567891Z",
            "2024-02-29T23:59:59Z",
            "2026-02-29T10:00:00Z",
            "2026-11-20T24:00:00Z",
            "2026-11-20T23:59:60Z",
            "2026-11-20T10:00:00+02:00",
            "2026-11-20t10:00:00z",
            "2026-11-20 10:00:00Z",
            "2026-11-20T10:00:00.Z",
            "2026-13-20T10:00:00Z",
            "2026-11-20T10:00Z",
            "+2026-11-20T10:00:00Z",
            "2026-1a-20T10:00:00Z",
            "",
        ] {
            let line = format!(r#"{{"network":"x","id":"1","text":"hi","created_at":"{t}"}}"#);
            let owned = serde_json::from_str::<Post>(&line).map(|p| p.created_at);
            let borrowed = serde_json::from_str::<PostRef>(&line).map(|p| p.created_at);
            match (owned, borrowed) {
                (Ok(o), Ok(b)) => assert_eq!(o, b, "{t}"),
                (Err(_), Err(_)) => {}
                (o, b) => panic!("{t}: {o:?} vs {b:?}"),
            }
        }
    }
}
