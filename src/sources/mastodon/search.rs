//! Full-text search of statuses (`GET /api/v2/search?type=statuses`), where the instance offers
//! it: it needs a token, and only covers posts whose authors opted in. Mastodon answers newest
//! first (not "immediately newer" like timelines), so a full page starts a sweep down through
//! the window with `offset` until it reaches the last poll's newest id; new posts arriving mid-sweep
//! only shift pages down (duplicates, which the store drops), never open a gap.

use async_trait::async_trait;
use serde_json::Value;

use super::api::{self, Api};
use super::status::{Convert, Status};
use crate::domain::Post;
use crate::sources::http::{self, FetchError};
use crate::sources::poll::{Fetch, Page};

const LIMIT: usize = 40;

/// Where a search stands: caught up at `top`, or sweeping the window above `floor`.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Cursor {
    Caught(Option<String>),
    Sweep { floor: String, top: String, offset: usize },
}

impl Cursor {
    fn parse(s: Option<&str>) -> Cursor {
        let s = s.unwrap_or("").trim();
        let parts: Vec<&str> = s.split('/').collect();
        match parts.as_slice() {
            [floor, top, offset] => match offset.parse() {
                Ok(offset) => Cursor::Sweep {
                    floor: floor.to_string(),
                    top: top.to_string(),
                    offset,
                },
                Err(_) => Cursor::Caught(Some(top.to_string())),
            },
            [""] => Cursor::Caught(None),
            _ => Cursor::Caught(Some(s.to_string())),
        }
    }

    fn render(&self) -> String {
        match self {
            Cursor::Caught(top) => top.clone().unwrap_or_default(),
            Cursor::Sweep { floor, top, offset } => format!("{floor}/{top}/{offset}"),
        }
    }
}

pub struct Search {
    name: String,
    api: Api,
    query: String,
    convert: Convert,
}

impl Search {
    pub fn new(name: &str, api: &Api, query: &str, convert: &Convert) -> Search {
        Search {
            name: name.to_string(),
            api: api.clone(),
            query: query.to_string(),
            convert: convert.clone(),
        }
    }

    async fn statuses(&self, floor: Option<&str>, offset: usize) -> Result<Vec<Value>, FetchError> {
        let mut query: Vec<(&str, String)> = vec![
            ("q", self.query.clone()),
            ("type", "statuses".into()),
            ("resolve", "false".into()),
            ("limit", LIMIT.to_string()),
        ];
        if let Some(f) = floor {
            query.push(("min_id", f.to_string()));
        }
        if offset > 0 {
            query.push(("offset", offset.to_string()));
        }
        let (body, _) = self.api.json(self.api.get("/api/v2/search").query(&query)).await?;
        Ok(body
            .get("statuses")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default())
    }

    /// The new posts, oldest first (the pipeline must see a parent before its replies).
    fn posts(&self, raw: &[Value], floor: Option<&str>) -> Vec<Post> {
        let list = Value::Array(raw.to_vec());
        let mut posts: Vec<Post> = http::each::<Status>(&self.name, Some(&list))
            .iter()
            // `min_id` becomes a whole-second bound server-side: drop what we already read.
            .filter(|s| floor.is_none_or(|f| api::cmp_ids(&s.id, f).is_gt()))
            .filter_map(|s| self.convert.post(s))
            .collect();
        posts.sort_by(|a, b| api::cmp_ids(&a.id, &b.id));
        posts
    }
}

fn newest_id(raw: &[Value]) -> Option<&str> {
    raw.iter()
        .filter_map(|v| v.get("id").and_then(Value::as_str))
        .fold(None, |a, id| api::newest(a, Some(id)))
}

#[async_trait]
impl Fetch for Search {
    async fn fetch(&mut self, cursor: Option<&str>) -> Result<Page, FetchError> {
        let (floor, top, offset) = match Cursor::parse(cursor) {
            Cursor::Caught(top) => (top.clone(), top, 0),
            Cursor::Sweep { floor, top, offset } => (Some(floor), Some(top), offset),
        };
        let raw = self.statuses(floor.as_deref(), offset).await?;
        let posts = self.posts(&raw, floor.as_deref());
        // Nothing yet: start from now (status ids are time-based), not from "the newest page".
        let top = api::newest(top.as_deref(), newest_id(&raw))
            .map(str::to_string)
            .or_else(|| Some(api::snowflake_at(chrono::Utc::now() - chrono::Duration::minutes(5))));
        // The first poll reads only the newest page; later ones sweep the whole window.
        let next = match (floor, top) {
            (Some(floor), Some(top)) if raw.len() >= LIMIT => Cursor::Sweep {
                floor,
                top,
                offset: offset + raw.len(),
            },
            (_, top) => Cursor::Caught(top),
        };
        Ok(Page {
            posts,
            more: matches!(next, Cursor::Sweep { .. }),
            cursor: Some(next.render()).filter(|c| !c.is_empty()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip() {
        for c in [
            Cursor::Caught(None),
            Cursor::Caught(Some("110".into())),
            Cursor::Sweep {
                floor: "100".into(),
                top: "180".into(),
                offset: 40,
            },
        ] {
            let text = c.render();
            assert_eq!(Cursor::parse(Some(&text)), c, "{text}");
        }
        assert_eq!(Cursor::parse(None), Cursor::Caught(None));
    }
}
